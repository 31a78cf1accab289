"""Lesson 7: the evaluation harness (a bar chart per measure, the report's ``metrics.png``)."""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError
from chroma_lab.viz._common import _figure


def plot_metric_bars(summary, metrics=None, title: str | None = None, columns: int = 4):
    """One small bar chart per measure, a bar per method (the harness's ``metrics.png``).

    Parameters
    ----------
    summary : dict of str -> dict of str -> float
        Method -> measure -> value, e.g. :attr:`chroma_lab.evaluate.Evaluation.summary`.
    metrics : list of str or of (key, label, better) tuples, optional
        Which measures, in order; ``better`` ("higher", "lower", ...) is shown in the panel's
        title. All keys of the first method by default.
    columns : int
        Panels per row.

    A value that is NaN (undefined) or infinite (a perfect PSNR) gets no bar, only its word
    above the method's place.
    """
    methods = list(summary)
    if not methods:
        raise ChromaLabError("summary must hold at least one method")
    if metrics is None:
        metrics = list(summary[methods[0]])
    panels = [(m, m, None) if isinstance(m, str) else tuple(m) for m in metrics]
    for key, _, _ in panels:
        missing = [name for name in methods if key not in summary[name]]
        if missing:
            raise ChromaLabError(f"measure {key!r} is missing for {missing}")
    columns = max(1, min(int(columns), len(panels)))
    n_rows = (len(panels) + columns - 1) // columns
    fig = _figure(figsize=(3.0 * columns, 2.4 * n_rows + 0.4), layout="constrained")
    axes = np.array(fig.subplots(n_rows, columns, squeeze=False)).ravel()
    x = np.arange(len(methods))
    for ax, (key, label, better) in zip(axes, panels):
        values = np.array([float(summary[name][key]) for name in methods])
        finite = np.isfinite(values)
        ax.bar(x[finite], values[finite], color=[f"C{i % 10}" for i in x[finite]])
        top = float(np.max(np.abs(values[finite]))) if finite.any() else 1.0
        for i in x[~finite]:
            ax.text(i, 0.05 * top, "nan" if np.isnan(values[i]) else "inf", ha="center", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, methods, rotation=45, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(label + (f" ({better})" if better and better != "-" else ""), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(panels):]:
        ax.axis("off")
    fig.suptitle(title or "Every measure, on the whole held-out set", fontsize=10)
    return fig
