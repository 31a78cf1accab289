"""Lesson 8, user hints: the dots a user gives, and quality against the number of hints."""

from __future__ import annotations

import numpy as np

from chroma_lab.color import gray_to_lightness, rgb_from_l_ab
from chroma_lab.viz._common import _figure, _image_axis


def hints_image(gray, hint_ab, hint_mask) -> np.ndarray:
    """The gray image with each hinted pixel in its hint colour (at the pixel's own lightness).

    Parameters
    ----------
    gray : ndarray of shape (H, W), uint8
    hint_ab : ndarray of shape (H, W, 2)
    hint_mask : ndarray of shape (H, W), bool

    Returns
    -------
    ndarray of shape (H, W, 3), uint8
    """
    ab = np.where(np.asarray(hint_mask)[..., None], hint_ab, 0.0)
    return rgb_from_l_ab(gray_to_lightness(gray), ab)


def plot_hint_curves(results: dict, counts, measure: str = "psnr", label: str | None = None, title=None):
    """One line per colorizer: ``measure`` against the number of hints.

    Parameters
    ----------
    results : dict of name -> {measure: list of float (one per count)} or list of such dicts
        :func:`chroma_lab.hint_sweep.hint_sweep`'s output; a list (one per seed) draws the mean
        and the range over seeds.
    counts : sequence of int
    measure : {"psnr", "colorfulness"}
    """
    fig = _figure(figsize=(5.2, 3.4))
    _draw_hint_curves(fig.add_subplot(), results, counts, measure, label)
    if title:
        fig.axes[0].set_title(title)
    fig.tight_layout()
    return fig


def plot_hint_sweep(results: dict, counts, references: dict | None = None, title=None):
    """PSNR and colourfulness against the number of hints, side by side (the evaluation report's
    ``hints.png``).

    Parameters
    ----------
    results : dict of name -> {"psnr": list, "colorfulness": list}
        :func:`chroma_lab.hint_sweep.hint_sweep`'s output (one value per count).
    counts : sequence of int
    references : dict of measure -> dict of label -> float, optional
        Flat dashed lines, e.g. ``{"psnr": {"gray": 21.3}, "colorfulness": {"truth": 40.2}}``:
        what the curves are to be read against.
    """
    fig = _figure(figsize=(9.4, 3.4))
    for ax, measure in zip(fig.subplots(1, 2), ("psnr", "colorfulness")):
        _draw_hint_curves(ax, results, counts, measure)
        for i, (name, value) in enumerate((references or {}).get(measure, {}).items()):
            ax.axhline(value, color="0.4", linestyle=("--", ":", "-.")[i % 3], linewidth=1, label=name)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _draw_hint_curves(ax, results, counts, measure, label=None):
    runs = results if isinstance(results, list) else [results]
    for name in runs[0]:
        values = np.array([run[name][measure] for run in runs])
        ax.plot(counts, values.mean(axis=0), marker="o", label=name)
        if len(runs) > 1:
            ax.fill_between(counts, values.min(axis=0), values.max(axis=0), alpha=0.2)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(list(counts), [str(c) for c in counts])
    ax.set_xlabel("hints per image")
    ax.set_ylabel(label or {"psnr": "PSNR (dB)", "colorfulness": "colourfulness"}.get(measure, measure))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def plot_hinted_colorizations(gray, truth, hints_by_count: dict, outputs: dict, title=None):
    """For one image: its hints and each colorizer's result at each number of hints.

    Parameters
    ----------
    gray : ndarray of shape (H, W), uint8
    truth : ndarray of shape (H, W, 3), uint8
    hints_by_count : dict of count -> (hint_ab (H, W, 2), hint_mask (H, W))
    outputs : dict of name -> dict of count -> ndarray of shape (H, W, 3), uint8
    """
    counts = list(hints_by_count)
    rows = 1 + len(outputs)
    fig = _figure(figsize=(1.6 * (len(counts) + 1), 1.7 * rows))
    axes = fig.subplots(rows, len(counts) + 1, squeeze=False)
    _image_axis(axes[0, 0], truth, "truth")
    for j, count in enumerate(counts, start=1):
        _image_axis(axes[0, j], hints_image(gray, *hints_by_count[count]), f"{count} hints")
    for i, (name, by_count) in enumerate(outputs.items(), start=1):
        _image_axis(axes[i, 0], gray, None, cmap="gray")
        axes[i, 0].set_ylabel(name, fontsize=8)
        axes[i, 0].set_title(name, fontsize=8)
        for j, count in enumerate(counts, start=1):
            _image_axis(axes[i, j], by_count[count])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
