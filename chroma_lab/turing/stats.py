"""The fooling rate of each method, with a 95% Wilson score interval.

A judgement is one trial: a participant saw the real photo and one colorization of it, and picked
the one they believed real. They were *fooled* when they picked the colorization. A method that
cannot be told from real photos fools half the time (50%); Zhang et al. 2016 report 32% for their
full model on ImageNet.

The Wilson interval (Wilson 1927) is used rather than the textbook ``p +- z sqrt(p(1-p)/n)``
because it stays inside 0..1 and keeps close to its nominal coverage for the small ``n`` and the
rates near 0 that a classroom test gives (Brown, Cai, DasGupta 2001).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from chroma_lab._checks import check_int, check_number

COLUMNS = ("method", "judgements", "fooled", "fooling_rate", "ci_low", "ci_high")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : int in 0..trials
    trials : int >= 1
    confidence : float in (0, 1)

    Returns
    -------
    (low, high) : floats in 0..1
    """
    trials = check_int(trials, "trials", low=1)
    successes = check_int(successes, "successes", low=0, high=trials)
    confidence = check_number(confidence, "confidence", low=0, high=1, low_open=True, high_open=True)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    # clip the rounding error at k = 0 or k = n, where the exact bound is 0 or 1
    return max(0.0, centre - half), min(1.0, centre + half)


def fooling_rates(judgements, methods=()) -> list[dict]:
    """One row per method: judgements, fooled, fooling rate and its 95% Wilson interval.

    Parameters
    ----------
    judgements : iterable of (method, fooled) pairs
        ``fooled`` is true when the participant picked the colorization as the real photo.
    methods : sequence of str
        Methods to list even without judgements (their rate and interval are None); the rows
        follow this order, then any other method in sorted order.

    Returns
    -------
    list of dict with the keys of :data:`COLUMNS`
    """
    counts: dict[str, list[int]] = {name: [0, 0] for name in methods}
    for method, fooled in judgements:
        count = counts.setdefault(method, [0, 0])
        count[0] += 1
        count[1] += bool(fooled)
    order = list(dict.fromkeys(methods)) + sorted(set(counts) - set(methods))
    rows = []
    for method in order:
        n, k = counts[method]
        low, high = wilson_interval(k, n) if n else (None, None)
        rows.append({"method": method, "judgements": n, "fooled": k,
                     "fooling_rate": k / n if n else None, "ci_low": low, "ci_high": high})  # fmt: skip
    return rows


def format_rows(rows) -> str:
    """The rows as an aligned text table (for ``chroma-lab turing --report``)."""
    lines = [f"{'method':<20} {'judgements':>10} {'fooled':>6}  fooling rate (95% CI)"]
    for row in rows:
        if row["judgements"]:
            rate = (f"{100 * row['fooling_rate']:5.1f}%  "
                    f"({100 * row['ci_low']:.1f}% .. {100 * row['ci_high']:.1f}%)")  # fmt: skip
        else:
            rate = "  no judgements yet"
        lines.append(f"{row['method']:<20} {row['judgements']:>10} {row['fooled']:>6}  {rate}")
    return "\n".join(lines)


def csv_text(rows) -> str:
    """The rows as CSV with the header :data:`COLUMNS`; rates as fractions, empty when unknown."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else f"{row[k]:.4f}" if isinstance(row[k], float) else row[k])
                         for k in COLUMNS})  # fmt: skip
    return buffer.getvalue()
