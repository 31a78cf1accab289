"""Comparisons that a lesson prints from its own numbers, over one seed or several.

A lesson's prose states a comparison ("the lookup table beats gray on the mean ab error") only
where the cell above prints it, computed from the scores of that run::

    print(claim("lookup", "all gray", "mean ab error", [20.3], [25.9], lower_is_better=True))
    # lookup beats all gray on mean ab error: yes (20.3 vs 25.9)

and a claim that may vary with the seed is counted over several::

    scores = over_seeds(train_and_score, seeds=(0, 1, 2))   # {method: {measure: [one per seed]}}
    print(claim("full", "L2", "rebalanced AuC", scores["full"]["auc_rebalanced"], scores["l2"]["auc_rebalanced"]))
    # full beats L2 on rebalanced AuC in 2 of 3 seeds (74.4 vs 74.3; 70.8 vs 68.3; 76.2 vs 72.5)

The line's format is fixed (:data:`CLAIM_PATTERN`), so the tests can check, in every notebook they
run, that each printed claim agrees with the numbers printed inside it.
"""

from __future__ import annotations

import re

from chroma_lab.errors import ChromaLabError

CLAIM_PATTERN = re.compile(
    r"^(?P<a>.+?) beats (?P<b>.+?) on (?P<measure>.+?)"
    r"(?:: (?P<verdict>yes|no)| in (?P<k>\d+) of (?P<n>\d+) seeds)"
    r" \((?P<pairs>[^()]*)\)(?P<lower>, lower is better)?$"
)


def claim(a: str, b: str, measure: str, values_a, values_b, lower_is_better: bool = False, digits: int = 1) -> str:
    """One line saying whether ``a`` beats ``b`` on ``measure``, with the numbers it rests on.

    Parameters
    ----------
    a, b : str
        The two things compared (methods, formulas, palettes).
    measure : str
        What is compared, in words ("rebalanced AuC").
    values_a, values_b : float or sequence of float
        ``a``'s and ``b``'s score, one per seed (the same seeds in the same order).
    lower_is_better : bool
        For errors: ``a`` beats ``b`` when its value is lower.
    digits : int
        Decimals shown; the verdict uses the unrounded values.

    Returns
    -------
    str
        ``"a beats b on measure: yes (x vs y)"`` for one value each, ``"a beats b on measure in k
        of n seeds (x1 vs y1; x2 vs y2; ...)"`` for several; ``", lower is better"`` is appended
        for errors.
    """
    values_a, values_b = _as_list(values_a), _as_list(values_b)
    if len(values_a) != len(values_b) or not values_a:
        raise ChromaLabError(f"values_a and values_b must hold one score per seed each, got {len(values_a)} "
                             f"and {len(values_b)}")  # fmt: skip
    wins = sum((x < y) if lower_is_better else (x > y) for x, y in zip(values_a, values_b))
    pairs = "; ".join(f"{x:.{digits}f} vs {y:.{digits}f}" for x, y in zip(values_a, values_b))
    if len(values_a) == 1:
        line = f"{a} beats {b} on {measure}: {'yes' if wins else 'no'} ({pairs})"
    else:
        line = f"{a} beats {b} on {measure} in {wins} of {len(values_a)} seeds ({pairs})"
    return line + (", lower is better" if lower_is_better else "")


def over_seeds(run, seeds) -> dict[str, dict[str, list[float]]]:
    """Collect ``run(seed)`` over ``seeds``: ``{method: {measure: [value for each seed]}}``.

    Parameters
    ----------
    run : callable
        ``run(seed) -> {method: {measure: float}}``, e.g. training every method on the data of
        that seed and scoring it with :func:`chroma_lab.metrics.evaluate`.
    seeds : sequence of int
    """
    collected: dict[str, dict[str, list[float]]] = {}
    for seed in seeds:
        for method, scores in run(seed).items():
            for measure, value in scores.items():
                collected.setdefault(method, {}).setdefault(measure, []).append(float(value))
    return collected


def check_claim_line(line: str) -> bool | None:
    """For a line printed by :func:`claim`: does its verdict follow from its numbers? None if the
    line is not a claim. The tests run this on every line a notebook prints."""
    match = CLAIM_PATTERN.match(line)
    if not match:
        return None
    pairs = [tuple(float(v) for v in pair.split(" vs ")) for pair in match["pairs"].split("; ")]
    lower = bool(match["lower"])
    wins = sum((x < y) if lower else (x > y) for x, y in pairs)
    if match["verdict"]:
        # rounding can hide a difference but never reverse it
        x, y = pairs[0]
        return len(pairs) == 1 and (x == y or (match["verdict"] == "yes") == bool(wins))
    ties = sum(x == y for x, y in pairs)
    return int(match["n"]) == len(pairs) and wins <= int(match["k"]) <= wins + ties


def claim_holds(line: str) -> bool:
    """True when a :func:`claim` line says ``a`` beats ``b`` (every seed, for several)."""
    match = CLAIM_PATTERN.match(line)
    if not match:
        raise ChromaLabError(f"not a claim line: {line!r}")
    return match["verdict"] == "yes" if match["verdict"] else match["k"] == match["n"]


def _as_list(values) -> list[float]:
    if isinstance(values, (int, float)) or getattr(values, "ndim", None) == 0:
        return [float(values)]
    return [float(v) for v in values]
