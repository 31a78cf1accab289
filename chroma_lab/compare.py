"""Comparisons that a lesson prints from its own numbers: named claims with a paired test over seeds.

A claim that a lesson teaches ("rebalancing makes the network more colourful") is measured over
several seeds and decided by a paired test, so that a student's run and ours agree on the verdict
even though their floating point differs::

    scores = over_seeds(train_and_score, seeds=range(5))   # {method: {measure: [one per seed]}}
    print(paired_claim("L5-rebalance-colour", "full", "class", "colourfulness",
                       scores["full"]["colourfulness"], scores["class"]["colourfulness"]))
    # [L5-rebalance-colour] full beats class on colourfulness: holds (+14.2, 95% interval +9.1 to +19.3, 5 seeds)

The verdict is ``holds`` when the 95% interval of the mean paired difference lies entirely on the
claimed side of zero, ``reversed`` when it lies entirely on the other side, and ``unresolved``
otherwise. The interval is Student's t over seeds (:func:`paired_interval`): the seeds are the
independent repetitions (each retrains every method on the same data), the pairing removes what
the methods share (the data, the held-out images), and with 3 to 10 seeds a bootstrap interval is
too narrow while a sign test cannot reach 95% below 6 seeds. :func:`equivalence_claim` states that
an effect is absent: it holds when the whole interval lies within a stated margin.

A comparison that does not depend on a seed (a formula against another on fixed inputs) is a
plain :func:`claim` line:

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
        that seed and scoring it with :func:`chroma_lab.metrics.image_scores`.
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


# ----------------------------------------------------------------------------------------------
# Named claims with a paired test over seeds
# ----------------------------------------------------------------------------------------------
VERDICTS = ("holds", "reversed", "unresolved")

_NUMBER = r"[+-]?\d+(?:\.\d+)?"
PAIRED_CLAIM_PATTERN = re.compile(
    rf"^\[(?P<id>[A-Za-z0-9][A-Za-z0-9-]*)\] (?P<statement>.+): (?P<verdict>holds|reversed|unresolved) "
    rf"\((?P<mean>{_NUMBER}), 95% interval (?P<low>{_NUMBER}) to (?P<high>{_NUMBER}), (?P<n>\d+) seeds\)$"
)


def paired_interval(values_a, values_b, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of the paired differences ``a - b`` and its Student-t confidence interval.

    Parameters
    ----------
    values_a, values_b : sequence of float
        One score per seed for each side, the same seeds in the same order (at least 2).
    confidence : float
        The interval's coverage, 0.95 by default.

    Returns
    -------
    (mean, low, high) : tuple of float
        ``mean +- t_{n-1} * sd / sqrt(n)`` of the differences; zero width when every seed gives
        the same difference.
    """
    from scipy import stats

    a, b = _as_list(values_a), _as_list(values_b)
    if len(a) != len(b) or len(a) < 2:
        raise ChromaLabError(f"values_a and values_b must hold one score per seed each, for at least 2 seeds; "
                         f"got {len(a)} and {len(b)}")  # fmt: skip
    if not 0 < confidence < 1:
        raise ChromaLabError(f"confidence must be between 0 and 1, got {confidence}")
    diffs = [x - y for x, y in zip(a, b)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = (sum((d - mean) ** 2 for d in diffs) / (n - 1)) ** 0.5
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / n**0.5
    return mean, mean - half, mean + half


class ClaimResult:
    """One measured claim: its id, statement, verdict and the interval it rests on.

    ``str(result)`` is the line a lesson prints (:data:`PAIRED_CLAIM_PATTERN`); ``holds``,
    ``reversed`` and ``unresolved`` are its verdicts.
    """

    def __init__(self, claim_id, statement, verdict, mean, low, high, n, digits=1):
        self.id, self.statement, self.verdict = claim_id, statement, verdict
        self.mean, self.low, self.high, self.n, self.digits = mean, low, high, n, digits

    def __str__(self) -> str:
        d = self.digits
        return (f"[{self.id}] {self.statement}: {self.verdict} ({self.mean:+.{d}f}, 95% interval "
                f"{self.low:+.{d}f} to {self.high:+.{d}f}, {self.n} seeds)")  # fmt: skip

    def __repr__(self) -> str:
        return f"ClaimResult({str(self)!r})"

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


def paired_claim(claim_id: str, a: str, b: str, measure: str, values_a, values_b, *,
                 lower_is_better: bool = False, digits: int = 1) -> ClaimResult:  # fmt: skip
    """The claim "``a`` beats ``b`` on ``measure``", decided by a paired t-interval over seeds.

    Parameters
    ----------
    claim_id : str
        The claim's id, as in ``lessons/claims.csv`` (``"L5-rebalance-colour"``).
    a, b : str
        The two things compared.
    measure : str
        What is compared, in words.
    values_a, values_b : sequence of float
        One score per seed each (the same seeds, same order; at least 2).
    lower_is_better : bool
        For errors: ``a`` beats ``b`` when its value is lower.
    digits : int
        Decimals printed; the verdict uses the unrounded interval.

    Returns
    -------
    ClaimResult
        Printed as ``[id] a beats b on measure: holds (+d, 95% interval +lo to +hi, n seeds)``,
        where ``d`` is the mean of ``a - b`` (negative when ``a`` wins on an error measure).
    """
    _check_id(claim_id)
    mean, low, high = paired_interval(values_a, values_b)
    better, worse = (high < 0, low > 0) if lower_is_better else (low > 0, high < 0)
    verdict = "holds" if better else "reversed" if worse else "unresolved"
    statement = f"{a} beats {b} on {measure}" + (", lower is better" if lower_is_better else "")
    return ClaimResult(claim_id, statement, verdict, mean, low, high, len(_as_list(values_a)), digits)


def equivalence_claim(claim_id: str, a: str, b: str, measure: str, values_a, values_b, margin: float, *,
                      digits: int = 1) -> ClaimResult:  # fmt: skip
    """The claim "``a`` and ``b`` are within ``margin`` of each other on ``measure``" (an absent effect).

    ``holds`` when the whole 95% interval of ``a - b`` lies inside ``(-margin, margin)``;
    ``reversed`` when it lies entirely outside it (the effect surely exceeds the margin);
    ``unresolved`` otherwise. The margin is the smallest difference the lesson would call an
    effect; choose it before looking at the numbers.
    """
    _check_id(claim_id)
    if not margin > 0:
        raise ChromaLabError(f"margin must be positive, got {margin}")
    mean, low, high = paired_interval(values_a, values_b)
    inside = -margin < low and high < margin
    outside = low >= margin or high <= -margin
    verdict = "holds" if inside else "reversed" if outside else "unresolved"
    statement = f"{a} and {b} are within {margin:g} of each other on {measure}"
    return ClaimResult(claim_id, statement, verdict, mean, low, high, len(_as_list(values_a)), digits)


def parse_claim_result(line: str) -> dict | None:
    """The fields of a line printed from a :class:`ClaimResult` (id, statement, verdict, mean, low,
    high as floats, n as int), or None if the line is not one."""
    match = PAIRED_CLAIM_PATTERN.match(line)
    if not match:
        return None
    fields = match.groupdict()
    for key in ("mean", "low", "high"):
        fields[key] = float(fields[key])
    fields["n"] = int(fields["n"])
    return fields


def check_claim_result_line(line: str) -> bool | None:
    """Does the verdict of a printed :class:`ClaimResult` line follow from its printed interval?
    None if the line is not one. Rounding may put a bound at zero, never on the wrong side."""
    fields = parse_claim_result(line)
    if fields is None:
        return None
    low, high, verdict = fields["low"], fields["high"], fields["verdict"]
    if not low <= fields["mean"] <= high:
        return False
    margin = re.search(r" are within (\S+) of each other on ", fields["statement"])
    if margin:
        m = float(margin[1])
        inside, outside = (-m <= low and high <= m), (low >= m or high <= -m)
        possible = {"holds": inside, "reversed": outside, "unresolved": not (-m < low and high < m)
                    and not (low > m or high < -m)}  # fmt: skip
        return possible[verdict]
    lower = fields["statement"].endswith(", lower is better")
    better, worse = (high <= 0, low >= 0) if lower else (low >= 0, high <= 0)
    strictly_better, strictly_worse = (high < 0, low > 0) if lower else (low > 0, high < 0)
    return {"holds": better, "reversed": worse,
            "unresolved": not strictly_better and not strictly_worse}[verdict]  # fmt: skip


CLAIM_STATUSES = ("robust", "unresolved")
CLAIMS_COLUMNS = ("id", "lesson", "statement", "status")


def read_claims_table(path) -> list[dict]:
    """The table of the lessons' claims (``lessons/claims.csv``), validated.

    Parameters
    ----------
    path : str or Path
        A CSV file with the header ``id,lesson,statement,status``.

    Returns
    -------
    list of dict
        One per row: ``id`` (str, unique), ``lesson`` (int), ``statement`` (str) and ``status``:
        ``"robust"`` (the claim held in every setting of ``benchmarks/claims_robustness.py`` and
        the lesson's prose relies on it) or ``"unresolved"`` (the lesson teaches it as open).
    """
    import csv
    from pathlib import Path

    with Path(path).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != CLAIMS_COLUMNS:
            raise ChromaLabError(f"{path}: the header must be {','.join(CLAIMS_COLUMNS)}, got {reader.fieldnames}")
        rows = list(reader)
    seen = set()
    for number, row in enumerate(rows, start=2):
        _check_id(row["id"])
        if row["id"] in seen:
            raise ChromaLabError(f"{path}, line {number}: the id {row['id']!r} appears twice")
        seen.add(row["id"])
        if not row["lesson"].isdigit():
            raise ChromaLabError(f"{path}, line {number}: lesson must be a number, got {row['lesson']!r}")
        row["lesson"] = int(row["lesson"])
        if row["status"] not in CLAIM_STATUSES:
            raise ChromaLabError(f"{path}, line {number}: status must be one of {CLAIM_STATUSES}, got {row['status']!r}")
    return rows


def _check_id(claim_id: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", str(claim_id)):
        raise ChromaLabError(f"a claim id is letters, digits and dashes (like 'L5-rebalance-colour'), got {claim_id!r}")
