"""Lesson 5's claim experiment: the claims follow the scores over seeds, and the prior-pull
measurement (the probability near gray at the balls, against the data's gray share) agrees with
counts made independently of it (no training here: fast)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from chroma_lab import quantize  # noqa: E402
from chroma_lab.color import rgb_to_lab  # noqa: E402
from chroma_lab.experiments import lesson05  # noqa: E402
from chroma_lab.scenes import AMBIGUOUS_HUES, ambiguous_scenes  # noqa: E402


def test_hue_shares_of_the_scene_colours_are_whole_and_separate():
    targets = quantize.soft_encode(np.array([AMBIGUOUS_HUES[h] for h in AMBIGUOUS_HUES]))
    shares = lesson05.hue_shares(targets)
    for i, hue in enumerate(AMBIGUOUS_HUES):  # each colour's soft target lies around its own hue only
        assert shares[hue][i] == pytest.approx(1.0, abs=1e-6)
        assert all(shares[other][i] == pytest.approx(0.0, abs=1e-6) for other in AMBIGUOUS_HUES if other != hue)


def test_hue_shares_of_a_made_up_distribution():
    probs = np.zeros(313)
    bins = quantize.ab_bins()
    probs[np.argmin(np.linalg.norm(bins, axis=1))] = 0.6  # the gray bin
    probs[np.argmin(np.linalg.norm(bins - (-40, 20), axis=1))] = 0.3  # a green one
    probs[np.argmin(np.linalg.norm(bins - (60, 60), axis=1))] = 0.1  # far from every scene colour
    shares = lesson05.hue_shares(probs)
    assert (shares["gray"], shares["green"], shares["magenta"]) == pytest.approx((0.6, 0.3, 0.0))


def test_gray_share_is_the_share_of_gray_ball_pixels():
    images, colors = ambiguous_scenes(40, size=24, seed=2, return_colors=True)
    lab = rgb_to_lab(images / 255.0)
    balls = np.abs(lab[..., 0] - 60) < 3
    counted = np.mean(np.hypot(lab[..., 1], lab[..., 2])[balls] < 5)  # chroma: gray or a vivid hue
    assert lesson05.gray_share(images) == pytest.approx(counted, abs=0.01)
    assert 0.15 < counted < 0.5  # the scenes' odds (gray 0.3 of the balls), seen in their pixels


def test_lesson05_claims_follow_the_scores():
    def scores(values):
        return {k: list(v) for k, v in values.items()}

    by_seed = {
        "full": scores({"colorfulness": (50, 55, 60), "auc_rebalanced": (76, 75, 77), "auc_raw": (81, 82, 80)}),
        "class": scores({"colorfulness": (20, 25, 22), "auc_rebalanced": (74, 74, 75), "auc_raw": (85, 86, 85),
                         "gray_belief": (0.7, 0.6, 0.65)}),
        "l2": scores({"colorfulness": (15, 18, 16), "auc_rebalanced": (74, 73, 74), "auc_raw": (85, 85, 85)}),
        "training data": scores({"gray_belief": (0.35, 0.3, 0.33)}),
    }  # fmt: skip
    results = lesson05.claims_from_scores(by_seed)
    assert [r.id for r in results] == list(lesson05.CLAIM_IDS)
    assert all(r.verdict == "holds" for r in results), [str(r) for r in results]
    by_seed["class"]["gray_belief"] = [0.2, 0.15, 0.18]  # below the data's share: the pull reversed
    assert lesson05.claims_from_scores(by_seed)[-1].verdict == "reversed"
