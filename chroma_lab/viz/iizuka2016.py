"""Lesson 6: Iizuka, Simo-Serra, Ishikawa 2016 (two loss terms, the factorial ablation)."""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError
from chroma_lab.viz._common import _figure


def plot_loss_terms(histories, title: str | None = None):
    """The two terms of a two-output loss per epoch, on a log axis: colour solid, classes dashed.

    Parameters
    ----------
    histories : dict of str -> dict
        Per-variant logs with ``ab_loss`` and, where the model has a classifier, ``scene_loss``
        (:attr:`IizukaColorizer.history_`): unweighted, so their magnitudes can be compared.
    """
    fig = _figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for i, (name, history) in enumerate(histories.items()):
        logs = getattr(history, "history", history)
        for key, style, what in (("ab_loss", "-", "colour MSE"), ("scene_loss", "--", "scene CE")):
            if key in logs and np.all(np.asarray(logs[key]) > 0):
                values = np.asarray(logs[key], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, style, color=f"C{i % 10}", marker=".",
                        label=f"{name}: {what}")  # fmt: skip
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss term (unweighted, log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title(title or "The two loss terms per epoch", fontsize=10)
    return fig


def plot_factor_grid(values, row_labels, col_labels, label: str, better: str = "lower",
                     title: str | None = None):  # fmt: skip
    """A two-factor experiment as a grid of numbers: one cell per (row, column) setting.

    Parameters
    ----------
    values : array_like of shape (R, C)
        The measure of each setting.
    row_labels, col_labels : sequence of str
        The levels of the two factors.
    label : str
        The measure's name; ``better`` ("lower" or "higher") colours the better cells darker.
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(row_labels), len(col_labels)):
        raise ChromaLabError(f"values has shape {values.shape}, expected {(len(row_labels), len(col_labels))}")
    if better not in ("lower", "higher"):
        raise ChromaLabError(f"better must be 'lower' or 'higher', got {better!r}")
    fig = _figure(figsize=(1.8 + 1.6 * len(col_labels), 1.2 + 0.8 * len(row_labels)), layout="constrained")
    ax = fig.subplots()
    ax.imshow(-values if better == "lower" else values, cmap="Greens", aspect="auto")
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=10)
    ax.set_xticks(range(len(col_labels)), col_labels, fontsize=8)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=8)
    ax.set_title(title or f"{label} ({better} is better)", fontsize=10)
    return fig
