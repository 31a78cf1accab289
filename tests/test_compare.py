"""chroma_lab.compare: the comparison lines a lesson prints, and their check."""

from __future__ import annotations

import numpy as np
import pytest

from chroma_lab.compare import CLAIM_PATTERN, check_claim_line, claim, claim_holds, over_seeds


def test_one_value_each():
    line = claim("lookup", "all gray", "mean ab error", 20.34, np.float64(25.91), lower_is_better=True)
    assert line == "lookup beats all gray on mean ab error: yes (20.3 vs 25.9), lower is better"
    assert check_claim_line(line) is True and claim_holds(line)
    line = claim("L2", "gray", "share within 10 ab units (%)", [9.0], [13.0])
    assert line == "L2 beats gray on share within 10 ab units (%): no (9.0 vs 13.0)"
    assert check_claim_line(line) is True and not claim_holds(line)


def test_several_seeds_count_the_wins():
    line = claim("full", "L2", "rebalanced AuC", [74.4, 70.8, 76.2], [74.3, 72.3, 72.5])
    assert line == "full beats L2 on rebalanced AuC in 2 of 3 seeds (74.4 vs 74.3; 70.8 vs 72.3; 76.2 vs 72.5)"
    assert check_claim_line(line) is True and not claim_holds(line)
    assert claim_holds(claim("a", "b", "x", [2, 3], [1, 2]))
    # a tie is not a win
    assert "in 0 of 1" not in claim("a", "b", "x", [1.0], [1.0]) and ": no (" in claim("a", "b", "x", [1.0], [1.0])


@pytest.mark.parametrize("line", [
    "full beats L2 on rebalanced AuC in 3 of 3 seeds (74.4 vs 74.3; 70.8 vs 78.3; 76.2 vs 72.5)",
    "full beats L2 on rebalanced AuC in 2 of 2 seeds (74.4 vs 74.3; 70.8 vs 68.3; 76.2 vs 72.5)",
    "lookup beats all gray on mean ab error: yes (26.3 vs 25.9), lower is better",
    "lookup beats all gray on mean ab error: no (26.3 vs 25.9)",
])  # fmt: skip
def test_a_verdict_that_contradicts_its_numbers_is_caught(line):
    assert check_claim_line(line) is False


def test_rounding_that_hides_a_difference_is_not_a_contradiction():
    assert check_claim_line(claim("a", "b", "x", 1.04, 1.01)) is True  # prints "1.0 vs 1.0: yes"


def test_other_lines_are_not_claims():
    assert check_claim_line("PASS: decode turns a label map back into colours.") is None
    assert not CLAIM_PATTERN.match("full beats gray")
    with pytest.raises(ValueError, match="not a claim line"):
        claim_holds("hello")


def test_mismatched_values_raise():
    with pytest.raises(ValueError, match="one score per seed"):
        claim("a", "b", "x", [1, 2], [1])


def test_over_seeds_collects_one_value_per_seed():
    seen = []

    def run(seed):
        seen.append(seed)
        return {"m": {"auc": seed + 0.5, "err": 2 * seed}, "gray": {"auc": 1}}

    assert over_seeds(run, (0, 1, 2)) == {"m": {"auc": [0.5, 1.5, 2.5], "err": [0.0, 2.0, 4.0]},
                                          "gray": {"auc": [1.0, 1.0, 1.0]}}  # fmt: skip
    assert seen == [0, 1, 2]


# ----------------------------------------------------------------------------------------------
# Named claims with a paired t-interval over seeds
# ----------------------------------------------------------------------------------------------
from chroma_lab.compare import (  # noqa: E402
    PAIRED_CLAIM_PATTERN, check_claim_result_line, equivalence_claim, paired_claim, paired_interval,
    parse_claim_result)  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_paired_interval_matches_scipy_ttest_rel(seed, n):
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(seed)
    a, b = rng.normal(5, 2, n), rng.normal(4, 2, n)
    mean, low, high = paired_interval(a, b)
    reference = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert mean == pytest.approx(np.mean(a - b), abs=1e-12)
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-10)


def test_the_verdict_follows_the_interval():
    a, b = [60, 62, 70, 58, 65], [50, 49, 55, 52, 51]
    assert paired_claim("L5-x", "full", "class", "colour", a, b).verdict == "holds"
    assert paired_claim("L5-x", "class", "full", "colour", b, a).verdict == "reversed"
    assert paired_claim("L5-x", "full", "class", "error", a, b, lower_is_better=True).verdict == "reversed"
    # a difference of mixed sign over seeds is unresolved, whatever its mean
    assert paired_claim("L5-x", "a", "b", "m", [1.0, 2.0, 3.0], [1.5, 0.5, 3.2]).verdict == "unresolved"
    # the same difference in every seed: zero width, decided
    assert paired_claim("L5-x", "a", "b", "m", [2.0, 3.0, 4.0], [1.0, 2.0, 3.0]).verdict == "holds"


def test_the_printed_line_names_the_id_and_the_numbers():
    result = paired_claim("L5-rebalance-colour", "full", "class", "colourfulness",
                          [60, 62, 70, 58, 65], [50, 49, 55, 52, 51])  # fmt: skip
    line = str(result)
    assert line == ("[L5-rebalance-colour] full beats class on colourfulness: holds "
                    "(+11.6, 95% interval +7.1 to +16.1, 5 seeds)")  # fmt: skip
    fields = parse_claim_result(line)
    assert fields["id"] == "L5-rebalance-colour" and fields["n"] == 5 and fields["verdict"] == "holds"
    assert check_claim_result_line(line) is True
    lower = str(paired_claim("L7-b", "fixed", "mode", "bleeding", [0.7, 0.71, 0.69], [0.8, 0.79, 0.78],
                             lower_is_better=True, digits=3))  # fmt: skip
    assert lower.startswith("[L7-b] fixed beats mode on bleeding, lower is better: holds (-0.090")
    assert check_claim_result_line(lower) is True


def test_equivalence_holds_only_inside_the_margin():
    near = [87.0, 87.5, 86.0, 86.8], [87.1, 87.4, 86.2, 86.7]
    assert equivalence_claim("L6-w", "a", "b", "AuC", *near, margin=1.0).verdict == "holds"
    assert equivalence_claim("L6-w", "a", "b", "AuC", *near, margin=0.01).verdict == "unresolved"
    far = [90.0, 91.0, 92.0], [80.0, 81.5, 82.0]
    assert equivalence_claim("L6-w", "a", "b", "AuC", *far, margin=1.0).verdict == "reversed"
    for values in (near, far):
        assert check_claim_result_line(str(equivalence_claim("L6-w", "a", "b", "AuC", *values, margin=1.0)))


@pytest.mark.parametrize("line", [
    "[L5-x] full beats class on colourfulness: holds (-1.0, 95% interval -2.0 to +0.5, 5 seeds)",
    "[L5-x] full beats class on colourfulness: unresolved (+3.0, 95% interval +1.0 to +5.0, 5 seeds)",
    "[L5-x] full beats class on colourfulness: reversed (+3.0, 95% interval -1.0 to +5.0, 5 seeds)",
    "[L7-b] fixed beats mode on bleeding, lower is better: holds (+0.1, 95% interval +0.05 to +0.2, 3 seeds)",
    "[L6-w] a and b are within 1 of each other on AuC: holds (+0.5, 95% interval -0.5 to +1.5, 3 seeds)",
    "[L5-x] a beats b on m: holds (+9.0, 95% interval +1.0 to +5.0, 3 seeds)",
])  # fmt: skip
def test_a_verdict_that_contradicts_its_interval_is_caught(line):
    assert check_claim_result_line(line) is False


def test_bad_ids_and_too_few_seeds_are_refused():
    with pytest.raises(ValueError, match="claim id"):
        paired_claim("L5 x", "a", "b", "m", [1, 2], [0, 1])
    with pytest.raises(ValueError, match="at least 2 seeds"):
        paired_claim("L5-x", "a", "b", "m", [1], [0])
    assert not PAIRED_CLAIM_PATTERN.match("full beats L2 on x: yes (1.0 vs 0.5)")


def _table(tmp_path, text):
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_claims_table_is_read_and_validated(tmp_path):
    from chroma_lab.compare import read_claims_table

    rows = read_claims_table(_table(tmp_path, "id,lesson,statement,status\n"
                                    "L5-x,5,\"full beats class, on colour\",robust\nL6-y,6,a and b,unresolved\n"))
    assert rows == [{"id": "L5-x", "lesson": 5, "statement": "full beats class, on colour", "status": "robust"},
                    {"id": "L6-y", "lesson": 6, "statement": "a and b", "status": "unresolved"}]
    bad = {"status must be one of": "id,lesson,statement,status\nL5-x,5,s,holds\n",
           "appears twice": "id,lesson,statement,status\nL5-x,5,s,robust\nL5-x,5,t,robust\n",
           "the header must be": "id,statement,status\nL5-x,s,robust\n",
           "lesson must be a number": "id,lesson,statement,status\nL5-x,five,s,robust\n",
           "a claim id is": "id,lesson,statement,status\nL5 x,5,s,robust\n"}
    for message, text in bad.items():
        with pytest.raises(ValueError, match=message):
            read_claims_table(_table(tmp_path, text))
