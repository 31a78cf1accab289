"""Lesson 5: Zhang, Isola, Efros 2016 (class rebalancing, annealed mean)."""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError
from chroma_lab.quantize import ab_bins
from chroma_lab.viz._common import _figure
from chroma_lab.viz.som_mlp import plot_colorizations


def plot_prior_and_weights(prior, lam: float = 0.5, title: str | None = None):
    """The class prior over the 313 bins (log scale) beside the rebalancing weights it gives.

    Parameters
    ----------
    prior : array_like of shape (313,)
        E.g. ``quantize.class_prior(ab of the training images)`` or Zhang et al.'s ImageNet prior.
    lam : float
        Mixing with the uniform distribution, as in :func:`chroma_lab.quantize.rebalance_weights`.
    """
    from chroma_lab.quantize import rebalance_weights

    prior = np.asarray(prior, dtype=float)
    weights = rebalance_weights(prior, lam)
    bins = ab_bins()
    fig = _figure(figsize=(10.5, 4.3), layout="constrained")
    axes = fig.subplots(1, 2)
    import matplotlib
    from matplotlib.colors import ListedColormap

    # magma without its last part, which fades to cream: the largest weights must stand out on white
    magma = matplotlib.colormaps["magma"]
    weight_cmap = ListedColormap(magma(np.linspace(0.0, 0.82, 256)), name="magma_no_white")
    panels = ((np.log10(np.maximum(prior, 1e-12)), "log10 p(q)", "viridis"),
              (weights, f"w(q), lambda = {lam:g}", weight_cmap))  # fmt: skip
    for ax, (values, label, cmap) in zip(axes, panels):
        sc = ax.scatter(bins[:, 0], bins[:, 1], c=values, marker="s", s=45, cmap=cmap)
        fig.colorbar(sc, ax=ax, label=label)
        ax.set_xlabel("a*")
        ax.set_ylabel("b*")
        ax.set_aspect("equal")
    axes[0].set_title("How often each colour occurs", fontsize=10)
    axes[1].set_title("Its weight in the loss (mean over pixels = 1)", fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_temperature_sweep(gray, truth, by_temperature, max_images: int = 4, size: float = 1.8):
    """Colorizations decoded with the annealed mean at several temperatures, one column each.

    Parameters
    ----------
    gray : ndarray of shape (n, H, W), uint8
    truth : ndarray of shape (n, H, W, 3), uint8, or None
    by_temperature : dict of float -> ndarray of shape (n, H, W, 3), uint8
        E.g. ``{t: model.colorize(gray) for t in (0, 0.38, 1)}`` after setting
        ``model.temperature = t``. T = 0 is the mode (vivid, patchy), T = 1 the mean (smooth,
        desaturated); the paper settles on 0.38.
    """
    names = {0.0: " (mode)", 1.0: " (mean)"}
    predictions = {f"T = {t:g}{names.get(float(t), '')}": images
                   for t, images in sorted(by_temperature.items())}  # fmt: skip
    return plot_colorizations(gray, truth, predictions, max_images=max_images, size=size,
                              title="Annealed mean: from the mode to the mean")  # fmt: skip


RARE_PRIOR = 1e-7


def plot_rebalancing_effect(prior, lams=(1.0, 0.5, 0.0), title: str | None = None):
    """What class rebalancing does to the loss, for several mixing values lambda.

    Left: the weight of each bin against its prior probability (log-log); lambda = 1 weighs every
    bin 1, lambda = 0 divides by the prior, the paper's 0.5 flattens the weights where the prior
    falls below about 1 / Q (bins rarer than ``RARE_PRIOR`` are left out of this panel). Right: the
    share of the total loss weight (prior x weight) carried by the k most frequent bins, against
    k: without rebalancing a handful of dull bins carry most of it.

    Parameters
    ----------
    prior : array_like of shape (Q,)
        Bin probabilities summing to 1, e.g. from :func:`chroma_lab.quantize.class_prior`.
    lams : sequence of float in [0, 1]
        Values of lambda to compare, one line each.
    """
    from chroma_lab.quantize import rebalance_weights

    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.size == 0:
        raise ChromaLabError(f"prior must be a 1-D array of bin probabilities, got shape {prior.shape}")
    order = np.argsort(prior)[::-1]
    # a smoothed prior is tiny but not 0 far from the data (1e-40 and less); below one pixel in
    # ten million it is smoothing residue, and lambda = 0 would stretch the axis to 1e40
    seen = order[prior[order] >= RARE_PRIOR]
    fig = _figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    ranks = np.arange(1, prior.size + 1)
    for i, lam in enumerate(lams):
        weights = rebalance_weights(prior, lam)
        label = f"lambda = {lam:g}" + (" (paper)" if lam == 0.5 else "")
        left.plot(prior[seen], weights[seen], color=f"C{i}", label=label)
        share = np.cumsum((prior * weights)[order])
        right.plot(ranks, share / share[-1], color=f"C{i}", label=label)
    left.axvline(1.0 / prior.size, color="gray", ls=":", lw=1)
    left.text(1.0 / prior.size, 0.5, " 1/Q", color="gray", fontsize=8, transform=left.get_xaxis_transform())
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("prior probability of the bin")
    left.set_ylabel("rebalancing weight")
    left.set_title("Weight of a bin against its frequency", fontsize=10)
    right.set_xscale("log")
    right.set_xlabel("k most frequent bins")
    right.set_ylabel("share of the loss weight")
    right.set_ylim(0, 1.02)
    right.set_title("Who carries the loss", fontsize=10)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_temperature_scores(temperatures, scores, paper_T: float | None = 0.38, title: str | None = None):
    """Measures of a colorization against the annealed-mean temperature, one panel per measure.

    The numbers behind :func:`plot_temperature_sweep`'s pictures.

    Parameters
    ----------
    temperatures : sequence of float
        T values, e.g. (1, 0.77, 0.58, 0.38, 0.29, 0.14, 0): T = 1 decodes the mean of the
        predicted distribution, T = 0 its mode.
    scores : dict of str -> sequence of float
        One value per temperature for each named measure, e.g. ``{"colourfulness": [...],
        "AuC rebalanced (%)": [...]}`` (from :func:`chroma_lab.metrics.image_scores`).
    paper_T : float or None
        Marked with a dashed line (Zhang et al. use 0.38).
    """
    temperatures = np.asarray(temperatures, dtype=np.float64)
    if not scores:
        raise ChromaLabError("scores must name at least one measure, e.g. {'colourfulness': [...]}")
    fig = _figure(figsize=(3.6 * len(scores), 3.2))
    axes = np.atleast_1d(fig.subplots(1, len(scores)))
    for i, (ax, (name, values)) in enumerate(zip(axes, scores.items())):
        values = np.asarray(values, dtype=np.float64)
        if values.shape != temperatures.shape:
            raise ChromaLabError(f"scores[{name!r}] must hold one value per temperature "
                                 f"({temperatures.size}), got shape {values.shape}")  # fmt: skip
        order = np.argsort(temperatures)
        ax.plot(temperatures[order], values[order], marker="o", color=f"C{i}")
        if paper_T is not None:
            ax.axvline(paper_T, color="gray", ls="--", lw=1, label=f"T = {paper_T:g} (paper)")
            ax.legend(fontsize=8)
        ax.set_xlabel("temperature T  (0 = mode, 1 = mean)")
        ax.set_title(str(name), fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_accuracy_curves(curves, thresholds=None, rebalanced=None, title: str | None = None):
    """Accuracy curves: the share of pixels whose ab error is within each threshold.

    The area under a curve, as a percentage of the whole box, is the "AuC" of Zhang et al.'s
    Table 1 (:func:`chroma_lab.metrics.auc_raw`; with per-pixel weights 1 / frequency of the true
    colour class, :func:`chroma_lab.metrics.auc_rebalanced`).

    Parameters
    ----------
    curves : dict of str -> array_like of shape (T,)
        One curve per model, from :func:`chroma_lab.metrics.accuracy_curve`.
    thresholds : array_like of shape (T,), optional
        The thresholds in ab units; 0, 1, ..., T - 1 by default (the metric's own default).
    rebalanced : dict of str -> array_like of shape (T,), optional
        The same models' class-rebalanced curves, drawn dashed in the same colour.
    """
    fig = _figure(figsize=(6, 3.8))
    ax = fig.subplots()
    for i, (name, curve) in enumerate(curves.items()):
        lines = (("-", curve, name), ("--", (rebalanced or {}).get(name), f"{name} (rebalanced)"))
        for style, values, label in lines:
            if values is None:
                continue
            values = np.asarray(values, dtype=np.float64)
            x = np.arange(values.size) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
            if x.shape != values.shape:
                raise ChromaLabError(f"the curve of {name!r} has {values.size} points but there are "
                                     f"{x.size} thresholds")  # fmt: skip
            ax.plot(x, values, style, color=f"C{i % 10}", label=label)
    ax.set_xlabel("threshold (ab units)")
    ax.set_ylabel("share of pixels within the threshold")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Accuracy curves (area under a curve = AuC)", fontsize=10)
    return fig
