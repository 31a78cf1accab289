"""Lesson 7: the evaluation harness (a bar chart per measure, the report's ``metrics.png``)."""

from __future__ import annotations

import re

import numpy as np

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
        raise ValueError("summary must hold at least one method")
    if metrics is None:
        metrics = list(summary[methods[0]])
    panels = [(m, m, None) if isinstance(m, str) else tuple(m) for m in metrics]
    for key, _, _ in panels:
        missing = [name for name in methods if key not in summary[name]]
        if missing:
            raise ValueError(f"measure {key!r} is missing for {missing}")
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


_VERDICT_COLORS = {"holds": "tab:green", "reversed": "tab:red", "unresolved": "tab:gray"}


def plot_claim_intervals(results, title: str | None = "Claims: mean paired difference and its 95% interval"):
    """One row per claim: the mean difference over seeds, its 95 % interval, and zero.

    Parameters
    ----------
    results : sequence of :class:`chroma_lab.compare.ClaimResult`
        As ``run_claims`` of :mod:`chroma_lab.experiments` returns them. Each row has its own
        x-axis (the claims' measures have different units); the claimed side of zero is shaded,
        and the interval is coloured by the verdict (green holds, red reversed, gray unresolved).
    """
    results = list(results)
    if not results:
        raise ValueError("results must hold at least one claim")
    fig = _figure(figsize=(7.0, 0.9 * len(results) + 0.6), layout="constrained")
    axes = np.array(fig.subplots(len(results), 1, squeeze=False)).ravel()
    for ax, r in zip(axes, results):
        margin = re.search(r" are within (\S+) of each other", r.statement)
        span = max(abs(r.low), abs(r.high), float(margin[1]) if margin else 0.0, 1e-9) * 1.3
        if margin:  # an absent effect: the claimed side is inside the margin
            claimed = (-float(margin[1]), float(margin[1]))
        else:
            claimed = (-span, 0.0) if r.statement.endswith(", lower is better") else (0.0, span)
        ax.axvspan(*claimed, color="tab:green", alpha=0.08)
        ax.axvline(0, color="black", lw=0.8)
        color = _VERDICT_COLORS.get(r.verdict, "black")
        ax.plot([r.low, r.high], [0, 0], color=color, lw=3)
        ax.plot([r.mean], [0], "o", color=color)
        ax.set_xlim(-span, span)
        ax.set_yticks([])
        ax.set_title(f"[{r.id}] {r.statement}: {r.verdict} ({r.n} seeds)", fontsize=8, loc="left")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
