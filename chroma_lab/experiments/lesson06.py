"""Lesson 6's claims: Iizuka et al.'s loss weighting and global stream, measured over seeds.

The small two-stream network (:class:`~chroma_lab.models.iizuka2016.IizukaColorizer`) is trained
on the labelled synthetic landscapes several ways, all with the same data, epochs and batch, and
scored on held-out scenes. Each seed draws new scenes (the first :attr:`Budget.n_train` train,
the next :attr:`Budget.n_test` are held out), new initial weights and a new data order. The
scenes' sunsets are ``ambiguous_sunsets`` (:func:`~chroma_lab.scenes.synthetic_scenes`):
the sky of a sunset has the lightness of a day sky and a sunset's hues, so a patch of sky cannot
tell the two apart and only the whole scene can, the situation the global stream is built for
(with the usual sunsets the local stream can read the sunset off the sky's own, darker, gradient).
The claims:

* ``L6-paper-weighting``: our alpha = 1/300 weighs the cross-entropy against the *mean* squared
  error; the paper's colour term is a squared Frobenius norm, a *sum* over the pixels, so its
  alpha = 1/300 is ours divided by 2 H W (the number of ab values). Ours beats the paper's on
  the class head's held-out scene accuracy;
* ``L6-global-stream``: the global stream beats the local stream alone on the held-out ab error.

Every model trains with Adam (:attr:`Budget.optimizer`), not the paper's Adadelta: in the few
dozen steps of the lesson's budget Adadelta's steps are still tiny, a model's error then hangs on
its initial weights (which differ between backends for the same seed: JAX draws other ones than
TensorFlow), and with it the global stream's effect was ``unresolved`` under JAX.

Equal weights (alpha = 1), the report's first pitfall, are trained by the lesson on one seed to
look at; measuring their effect over seeds would cost more than the lesson's budget of CPU time.

The lesson and ``benchmarks/claims_robustness.py`` both call :func:`run_claims`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chroma_lab.compare import over_seeds, paired_claim
from chroma_lab.data import to_gray
from chroma_lab.losses import IIZUKA_ALPHA
from chroma_lab.metrics import image_scores
from chroma_lab.models.iizuka2016 import IizukaColorizer
from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes

CLAIM_IDS = ("L6-paper-weighting", "L6-global-stream")


@dataclass(frozen=True)
class Budget:
    """Data and training of one seed's experiment."""

    n_train: int  # labelled landscapes to train on, a multiple of 6: every class as often
    n_test: int  # held-out landscapes, a multiple of 6; testing costs little next to training
    image_size: int  # a multiple of 8 (three stride-2 layers)
    epochs: int
    batch_size: int = 16
    # Adam, not the paper's Adadelta: Adadelta's steps start tiny and grow with the history of
    # updates, which suits the paper's long training; in our few dozen steps Adam gets further.
    optimizer: str = "adam"


# Many held-out scenes: each seed's score then hardly depends on which scenes were held out, so
# the spread between seeds is the training's (initial weights, data order), not the test set's.
FULL = Budget(n_train=60, n_test=120, image_size=32, epochs=8)
FAST = Budget(n_train=18, n_test=6, image_size=16, epochs=1)
SEEDS = (0, 1, 2, 3, 4)  # full mode; the tests' fast mode runs two


def budget(fast: bool = False) -> Budget:
    """The lesson's budget: :data:`FAST` for the tests, :data:`FULL` otherwise."""
    return FAST if fast else FULL


def paper_alpha(image_size: int) -> float:
    """The paper's alpha = 1/300 against a sum over the 2 H W ab values, as a weight against their mean."""
    return IIZUKA_ALPHA / (2 * image_size * image_size)


def variants(fast: bool = False) -> dict:
    """Method name -> the :class:`IizukaColorizer` settings it changes from the lesson's model."""
    return {
        "alpha = 1/300": {},
        "paper's weighting": {"alpha": paper_alpha(budget(fast).image_size)},
        "no global stream": {"use_global": False},
    }


def make_data(seed: int, fast: bool = False):
    """The labelled scenes of ``seed``: ``(train, test, y_train, y_test)``.

    The first ``n_train`` scenes of ``synthetic_scenes(n_train + n_test, seed=seed)`` train and the
    next ``n_test`` are held out; both hold every class equally often (the scenes come in blocks
    of one per class).
    """
    b = budget(fast)
    scenes, kinds = synthetic_scenes(b.n_train + b.n_test, size=b.image_size, seed=seed, ambiguous_sunsets=True)
    labels = np.array([SCENE_CLASSES.index(kind) for kind in kinds])
    return scenes[: b.n_train], scenes[b.n_train :], labels[: b.n_train], labels[b.n_train :]


def train_model(train, y_train, seed: int, fast: bool = False, verbose=0, **settings) -> IizukaColorizer:
    """The small network with the lesson's budget and ``settings`` (alpha, use_global, batch_norm,
    optimizer, ...)."""
    b = budget(fast)
    options = {"image_size": b.image_size, "epochs": b.epochs, "batch_size": b.batch_size,
               "optimizer": b.optimizer, "seed": seed, "verbose": verbose, **settings}  # fmt: skip
    return IizukaColorizer(**options).fit(train, y_train, class_names=SCENE_CLASSES)


def score(model, test, y_test) -> dict:
    """:func:`chroma_lab.metrics.image_scores` on the held-out scenes, plus the class head's accuracy."""
    gray = to_gray(test)
    scores = dict(image_scores(test, model.colorize(gray)))
    if model.use_global:
        names, _ = model.predict_classes(gray)
        scores["scene_accuracy"] = 100.0 * float(np.mean(np.array(names) == np.array(SCENE_CLASSES)[y_test]))
    return scores


def seed_scores(seed: int, fast: bool = False, models: dict | None = None) -> dict:
    """``{method: scores}`` for every method of :func:`variants` on the held-out scenes of ``seed``.

    ``models`` maps a method to a model already trained on this seed's data (the lesson's own).
    """
    train, test, y_train, y_test = make_data(seed, fast)
    scores = {}
    for method, settings in variants(fast).items():
        model = (models or {}).get(method) or train_model(train, y_train, seed, fast, **settings)
        scores[method] = score(model, test, y_test)
    return scores


def claims_from_scores(by_seed: dict) -> list:
    """The lesson's claims, decided from ``{method: {measure: [one value per seed]}}``."""
    base = by_seed["alpha = 1/300"]
    return [
        paired_claim("L6-paper-weighting", "alpha = 1/300 against the mean", "the paper's (against the sum)",
                     "scene accuracy (%)", base["scene_accuracy"], by_seed["paper's weighting"]["scene_accuracy"]),
        paired_claim("L6-global-stream", "the global stream", "the local stream alone", "held-out ab error",
                     base["mean_ab_error"], by_seed["no global stream"]["mean_ab_error"], lower_is_better=True),
    ]  # fmt: skip


def run_claims(seeds=SEEDS, *, fast: bool = False, models: dict | None = None) -> list:
    """Train and score every method on every seed; one :class:`~chroma_lab.compare.ClaimResult`
    per id of :data:`CLAIM_IDS`, in that order.

    Parameters
    ----------
    seeds : sequence of int
        At least 2 (the paired interval needs two differences).
    fast : bool
        The tests' tiny budget (:data:`FAST`): the verdicts may be ``unresolved``.
    models : dict, optional
        ``{seed: {method: trained model}}`` already trained on a seed's data, reused.
    """
    by_seed = over_seeds(lambda s: seed_scores(s, fast, (models or {}).get(s)), seeds)
    return claims_from_scores(by_seed)
