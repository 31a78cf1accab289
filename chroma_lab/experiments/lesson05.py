"""Lesson 5's claims: the paper's Table 1 (full, class, L2) on scenes built around its ambiguity.

Zhang et al. (2016) train one network three ways: ``full`` (soft-encoded classification with class
rebalancing), ``class`` (the same without rebalancing) and ``l2`` (regression of a*, b*). On
:func:`chroma_lab.scenes.ambiguous_scenes` (balls and boxes of one lightness whose hue the gray
image does not tell) the three losses answer the same ambiguity differently, and the claims
measure it over seeds (each seed: new scenes, a new split, new initial weights and data order):

* ``L5-rebalance-colour``: full beats class on colourfulness (rebalancing makes gray, the most
  common colour, cheap, so the network dares the object's likely hue);
* ``L5-l2-dull``: class beats L2 on colourfulness (the squared error's best answer is the mean of
  the hues, which cancel; classification picks one);
* ``L5-full-vs-l2``: full beats L2 on the rebalanced AuC (where every colour counts the same);
* ``L5-raw-price``: class beats full on the raw AuC (the price the paper pays for colour);
* ``L5-prior-pull``: the class network believes in gray at the balls more than the training data
  says it should (the probability it gives the bins near gray, against the share of gray among
  the balls' soft-encoded colours): plain classification is pulled towards the prior, the gray
  that fills most pixels, which is the hedge rebalancing removes.

The lesson and ``benchmarks/claims_robustness.py`` both call :func:`run_claims`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from keras import ops

from chroma_lab import quantize
from chroma_lab.color import normalize_l
from chroma_lab.compare import over_seeds, paired_claim
from chroma_lab.data import split_lab, to_gray, train_test_split_images
from chroma_lab.metrics import image_scores
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import AMBIGUOUS_HUES, BALL_L, ambiguous_scenes

CLAIM_IDS = ("L5-rebalance-colour", "L5-l2-dull", "L5-full-vs-l2", "L5-raw-price", "L5-prior-pull")
METHODS = ("full", "class", "l2")  # the losses of ZhangColorizer, the rows of the paper's Table 1


@dataclass(frozen=True)
class Budget:
    """Data and training of one seed's experiment."""

    n_scenes: int  # ambiguous scenes; a fifth are held out
    image_size: int  # a multiple of 8
    epochs: int
    batch_size: int = 8
    learning_rate: float = 2e-3  # Adam; the paper's 3e-5 is for 1.3 million images


FULL = Budget(n_scenes=120, image_size=24, epochs=20, learning_rate=2e-3)
FAST = Budget(n_scenes=20, image_size=16, epochs=1)
SEEDS = (0, 1, 2, 3, 4)  # full mode
FAST_SEEDS = (0, 1)  # the tests' fast mode: the fewest a paired interval accepts


def budget(fast: bool = False) -> Budget:
    """The lesson's budget: :data:`FAST` for the tests, :data:`FULL` otherwise."""
    return FAST if fast else FULL


def make_data(seed: int, fast: bool = False):
    """The scenes of ``seed``, split: ``(train, test)``, uint8 RGB of shape (n, S, S, 3) each."""
    b = budget(fast)
    scenes = ambiguous_scenes(b.n_scenes, size=b.image_size, seed=seed)
    return train_test_split_images(scenes, test_size=0.2, random_state=seed)


def train_model(loss: str, train, seed: int, fast: bool = False, verbose=0) -> ZhangColorizer:
    """The small network trained with ``loss`` ("full", "class" or "l2") on ``train``."""
    b = budget(fast)
    return ZhangColorizer(size="small", loss=loss, image_size=b.image_size, epochs=b.epochs,
                          batch_size=b.batch_size, learning_rate=b.learning_rate, seed=seed,
                          verbose=verbose).fit(train)  # fmt: skip


def hue_shares(probs, hues=AMBIGUOUS_HUES, radius: float = 15.0) -> dict:
    """``{hue: probability mass on the bins within radius ab units of it}`` of probabilities (..., 313).

    Every bin a scene colour's soft-encoding touches lies within 15 ab units of it, so the
    shares of a soft-encoded colour sum to 1 over its own hue.
    """
    near = {name: np.linalg.norm(quantize.ab_bins() - np.asarray(ab), axis=1) < radius for name, ab in hues.items()}
    return {name: probs[..., mask].sum(axis=-1) for name, mask in near.items()}


def _on_balls(L) -> np.ndarray:
    return np.abs(L - BALL_L) < 3  # the balls are the only thing of this lightness


def gray_belief(model: ZhangColorizer, test) -> float:
    """The mean probability a classification model gives the bins near gray at the balls of ``test``."""
    L = split_lab(test)[0]
    logits = model.network_(normalize_l(L[..., None]).astype("float32"), training=False)
    probs = ops.convert_to_numpy(ops.softmax(logits))
    stride = L.shape[1] // probs.shape[1]  # output position (i, j) predicts pixel (s i, s j)
    return float(hue_shares(probs[_on_balls(L[:, ::stride, ::stride])])["gray"].mean())


def gray_share(train) -> float:
    """The share of gray among the soft-encoded colours of the balls' pixels of ``train``."""
    L, ab = split_lab(train)
    return float(hue_shares(quantize.soft_encode(ab[_on_balls(L)]))["gray"].mean())


def seed_scores(seed: int, fast: bool = False, models: dict | None = None) -> dict:
    """``{method: image_scores(...)}`` for all gray and the three losses on the held-out scenes of ``seed``,
    with the class network's :func:`gray_belief` and, as ``"training data"``, :func:`gray_share`.

    ``models`` maps a method to a model already trained on this seed's data (the lesson's own),
    which is then scored instead of trained again.
    """
    train, test = make_data(seed, fast)
    gray = to_gray(test)
    scores = {"all gray": image_scores(test, GrayColorizer().fit(train).colorize(gray))}
    for loss in METHODS:
        model = (models or {}).get(loss) or train_model(loss, train, seed, fast)
        scores[loss] = image_scores(test, model.colorize(gray))
        if loss == "class":
            scores[loss]["gray_belief"] = gray_belief(model, test)
    scores["training data"] = {"gray_belief": gray_share(train)}
    return scores


def claims_from_scores(by_seed: dict) -> list:
    """The lesson's claims, decided from ``{method: {measure: [one value per seed]}}``."""
    def pair(claim_id, a, b, measure, key, lower=False):
        return paired_claim(claim_id, a, b, measure, by_seed[a][key], by_seed[b][key], lower_is_better=lower)

    return [
        pair("L5-rebalance-colour", "full", "class", "colourfulness", "colorfulness"),
        pair("L5-l2-dull", "class", "l2", "colourfulness", "colorfulness"),
        pair("L5-full-vs-l2", "full", "l2", "rebalanced AuC", "auc_rebalanced"),
        pair("L5-raw-price", "class", "full", "raw AuC", "auc_raw"),
        paired_claim("L5-prior-pull", "the training data", "class", "gray probability at the balls",
                     by_seed["training data"]["gray_belief"], by_seed["class"]["gray_belief"],
                     lower_is_better=True, digits=2),
    ]  # fmt: skip


def run_claims(seeds=None, *, fast: bool = False, models: dict | None = None) -> list:
    """Train and score every method on every seed; one :class:`~chroma_lab.compare.ClaimResult`
    per id of :data:`CLAIM_IDS`, in that order.

    Parameters
    ----------
    seeds : sequence of int, optional
        At least 2 (the paired interval needs two differences); :data:`SEEDS`, or
        :data:`FAST_SEEDS` with ``fast``, by default.
    fast : bool
        The tests' tiny budget (:data:`FAST`): the verdicts may be ``unresolved``.
    models : dict, optional
        ``{seed: {method: trained model}}`` already trained on a seed's data, reused.
    """
    seeds = (FAST_SEEDS if fast else SEEDS) if seeds is None else seeds
    by_seed = over_seeds(lambda s: seed_scores(s, fast, (models or {}).get(s)), seeds)
    return claims_from_scores(by_seed)
