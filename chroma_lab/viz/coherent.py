"""Lesson 7: coherent and colorful (seed 000's refinement)."""

from __future__ import annotations

import numpy as np

from chroma_lab.color import lab_to_rgb, rgb_to_lab, to_uint8
from chroma_lab.viz._common import _figure, _image_axis


def at_lightness_50(rgb) -> np.ndarray:
    """uint8 RGB images (..., H, W, 3) redrawn with every L* set to 50: their colour alone.

    The view of the report's Figure 1: two colorizations of the same gray image differ only in
    a*, b*, and with the lightness flattened a colour change inside a surface shows at once.
    """
    lab = rgb_to_lab(np.asarray(rgb))
    lab[..., 0] = 50.0
    return to_uint8(lab_to_rgb(lab))


def bleeding_map(true_rgb, pred_rgb, regions, width: int = 2) -> np.ndarray:
    """Per pixel, the truth's colour contrast across surface edges that the prediction lost.

    The terms of :func:`chroma_lab.metrics.edge_bleeding`, ``max(0, |T_p - T_q| - |P_p - P_q|)``
    for each edge pair (p, q) (q up to ``width`` pixels right or below, another surface), half
    given to each pixel of the pair; so ``map.sum() / contrast`` is that measure (ab units).

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (H, W, 3), uint8 RGB
    regions : ndarray of shape (H, W), int

    Returns
    -------
    ndarray of shape (H, W), float64, ab units
    """
    true_ab = rgb_to_lab(np.asarray(true_rgb))[..., 1:]
    pred_ab = rgb_to_lab(np.asarray(pred_rgb))[..., 1:]
    regions = np.asarray(regions)
    out = np.zeros(regions.shape)
    height, width_px = regions.shape
    for dy, dx in [(0, k) for k in range(1, width + 1)] + [(k, 0) for k in range(1, width + 1)]:
        if dy >= height or dx >= width_px:
            continue
        a = (slice(0, height - dy), slice(0, width_px - dx))
        b = (slice(dy, height), slice(dx, width_px))
        edge = regions[a] != regions[b]
        c_true = np.linalg.norm(true_ab[a] - true_ab[b], axis=-1)
        c_pred = np.linalg.norm(pred_ab[a] - pred_ab[b], axis=-1)
        lost = np.where(edge, np.maximum(c_true - c_pred, 0.0), 0.0) / 2.0
        out[a] += lost
        out[b] += lost
    return out


def plot_coherence_views(truth, predictions, regions=None, max_images: int = 3, size: float = 1.7,
                         title: str | None = None):  # fmt: skip
    """For each image: each method's colorization, the same at L* = 50, and its bleeding map.

    Parameters
    ----------
    truth : ndarray of shape (n, H, W, 3), uint8
    predictions : dict of str -> ndarray of shape (n, H, W, 3), uint8
    regions : ndarray of shape (n, H, W), int, optional
        True surfaces; without them the bleeding row is left out.
    max_images : int
    """
    truth = np.asarray(truth)
    methods = {"truth": truth, **{str(k): np.asarray(v) for k, v in predictions.items()}}
    n = min(len(truth), int(max_images))
    rows_per_image = 3 if regions is not None else 2
    fig = _figure(figsize=(size * len(methods), size * rows_per_image * n + 0.4), layout="constrained")
    axes = np.array(fig.subplots(rows_per_image * n, len(methods), squeeze=False))
    vmax = 1.0
    maps = {}
    if regions is not None:
        for i in range(n):
            for name, images in methods.items():
                maps[i, name] = bleeding_map(truth[i], images[i], regions[i])
        vmax = max(1.0, max(float(m.max()) for m in maps.values()))
    for i in range(n):
        for j, (name, images) in enumerate(methods.items()):
            r = rows_per_image * i
            _image_axis(axes[r, j], images[i], name if i == 0 else None)
            _image_axis(axes[r + 1, j], at_lightness_50(images[i]))
            if regions is not None:
                axes[r + 2, j].imshow(maps[i, name], cmap="magma", vmin=0, vmax=vmax)
                axes[r + 2, j].set_xticks([])
                axes[r + 2, j].set_yticks([])
                axes[r + 2, j].set_xlabel(f"lost {maps[i, name].sum():.0f}", fontsize=7)
        axes[rows_per_image * i, 0].set_ylabel("colour", fontsize=8)
        axes[rows_per_image * i + 1, 0].set_ylabel("at L* = 50", fontsize=8)
        if regions is not None:
            axes[rows_per_image * i + 2, 0].set_ylabel("bleeding", fontsize=8)
    fig.suptitle(title or "Colour, colour alone (L* = 50) and lost edge contrast (ab units)", fontsize=10)
    return fig


def plot_ablation_bars(summary, keys=("colorfulness", "bleeding", "incoherence", "auc_rebalanced"),
                       reference: str | None = None, title: str | None = None):  # fmt: skip
    """The ablation as bars: one panel per measure, a bar per method; ``reference`` as a line.

    Parameters
    ----------
    summary : dict of str -> dict of str -> float
        :attr:`chroma_lab.evaluate.Evaluation.summary`.
    keys : tuple of str
    reference : str, optional
        A method (the annealed mean, say) drawn as a dashed line across each panel.
    """
    methods = list(summary)
    fig = _figure(figsize=(3.0 * len(keys), 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(keys)))
    x = np.arange(len(methods))
    for ax, key in zip(axes, keys):
        values = np.array([float(summary[m][key]) for m in methods])
        ax.bar(x, np.nan_to_num(values), color=[f"C{i % 10}" for i in x])
        if reference is not None:
            ax.axhline(float(summary[reference][key]), color="black", linestyle="--", linewidth=0.8)
        ax.set_xticks(x, methods, rotation=45, ha="right", fontsize=7)
        ax.set_title(key, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title or "Ablation on the held-out set", fontsize=10)
    return fig
