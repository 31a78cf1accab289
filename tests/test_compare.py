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
