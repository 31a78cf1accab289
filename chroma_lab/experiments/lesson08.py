"""Lesson 8's claims: what a few user colours buy, and what learning buys over Levin et al. (2004).

On the synthetic scenes (:func:`chroma_lab.scenes.synthetic_scenes`), each seed draws new scenes, a
new split, new initial weights, data order and simulated users. Per seed, the small guided network
(Zhang et al. 2017) is trained, and every colorizer is scored with 0, 1, 2, 5, 10 and 20 hints
(:func:`chroma_lab.hint_sweep.hint_sweep`, the paper's simulated user, nested counts). The small
automatic network of lesson 5 (same budget) is the flat line a hint must beat; no claim reads it,
so only the lesson's first seed trains it, and the CPU it would cost on the other seeds goes to the
guided network's epochs. The claims:

* ``L8-hints-help``: the guided network with 10 hints beats itself with none, on PSNR;
* ``L8-guided-vs-levin``: with the same 10 hints, Levin's optimisation beats the guided network (the
  claim was first put the other way round, the paper's; it came out reversed in every setting of the
  robustness check, so the lesson teaches it in this form);
* ``L8-levin-vs-gray``: Levin with 10 hints beats the all-gray baseline;
* ``L8-few-points``: for the guided network, the first 5 hints bring more than half of the gain of 20
  (the paper's "a few points bring most of the gain");
* ``L8-worst-first``: for Levin with 10 hints, a user who puts each hint (a 3x3 square) on the
  largest error beats a random user revealing 3x3 squares too (at 10 rather than 5: the worst-first
  user's first dot, the most saturated pixel, colours the whole image, and at 5 hints the two users
  were within the seed spread);
* ``L8-photos``: on the bundled photos, Levin with 10 hints beats all gray (the guided network, trained
  on scenes, is out of its world there; its numbers are printed, not claimed).

The lesson and ``benchmarks/claims_robustness.py`` call :func:`run_claims`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chroma_lab.compare import paired_claim
from chroma_lab.data import bundled_photos, train_test_split_images
from chroma_lab.hint_sweep import COUNTS, hint_sweep
from chroma_lab.hints import GEOMETRIC_P
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.guided2017 import GuidedColorizer
from chroma_lab.models.levin2004 import LevinColorizer
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import synthetic_scenes

CLAIM_IDS = ("L8-hints-help", "L8-guided-vs-levin", "L8-levin-vs-gray", "L8-few-points", "L8-worst-first",
             "L8-photos")  # fmt: skip


@dataclass(frozen=True)
class Budget:
    """Data and training of one seed's experiment."""

    n_scenes: int  # synthetic scenes; a fifth are held out
    image_size: int  # a multiple of 8
    epochs: int
    photo_size: int  # the bundled photos are scored at this side
    batch_size: int = 8
    learning_rate: float = 2e-3  # Adam, as lesson 5


# the lesson within 5 minutes of CPU on 2 cores. At 10 epochs (80 steps) the guided network stayed near
# gray and hardly used its hints (lessons/README.md, lesson 8's robustness paragraph); the 30 epochs
# are paid for by training the automatic network on the first seed only.
FULL = Budget(n_scenes=80, image_size=32, epochs=30, photo_size=64)
FAST = Budget(n_scenes=16, image_size=16, epochs=1, photo_size=32)
SEEDS = (0, 1, 2, 3, 4)  # full mode; the tests' fast mode runs two
ERROR_PATCH = 3  # the worst-first user reveals 3x3 squares, and is compared with a random one that does
AUTOMATIC = "zhang (no hints)"  # lesson 5's automatic network, the flat line of the sweeps


def budget(fast: bool = False) -> Budget:
    """:data:`FAST` for the tests, :data:`FULL` otherwise."""
    return FAST if fast else FULL


def make_data(seed: int, fast: bool = False):
    """The scenes of ``seed``, split: ``(train, test)``, uint8 RGB (n, S, S, 3) each."""
    b = budget(fast)
    scenes = synthetic_scenes(b.n_scenes, size=b.image_size, seed=seed)[0]
    return train_test_split_images(scenes, test_size=0.2, random_state=seed)


def train_models(train, seed: int, fast: bool = False, verbose=0, automatic: bool = True) -> dict:
    """The guided network and (``automatic``) lesson 5's automatic one (small, rebalanced loss), same
    budget: ``{"guided": ..., AUTOMATIC: ...}``. The guided network trains first, so it is the same
    with or without the automatic one."""
    b = budget(fast)
    common = dict(size="small", image_size=b.image_size, epochs=b.epochs, batch_size=b.batch_size,
                  learning_rate=b.learning_rate, seed=seed, verbose=verbose)  # fmt: skip
    # the paper's simulated user (p = 1/8), as the robustness check ran it; the library's default
    # since (1/16, tuned on photos for bench_hints.py) has not been through the lesson's check
    models = {"guided": GuidedColorizer(**common, hint_p=GEOMETRIC_P).fit(train)}
    if automatic:
        models[AUTOMATIC] = ZhangColorizer(**common).fit(train)
    return models


def seed_sweeps(seed: int, fast: bool = False, models: dict | None = None) -> dict:
    """Every sweep of one seed: ``{"random": ..., "random 3x3": ..., "error": ..., "photos": ...}``, each a
    :func:`~chroma_lab.hint_sweep.hint_sweep` result over :data:`~chroma_lab.hint_sweep.COUNTS`.

    ``models`` (``{"guided": ..., AUTOMATIC: ...}`` trained on this seed's data) are reused; without
    them only the guided network is trained (no claim reads the automatic one).
    """
    train, test = make_data(seed, fast)
    models = models or train_models(train, seed, fast, automatic=False)
    colorizers = {"all gray": GrayColorizer().fit(train), **models, "levin2004": LevinColorizer.fitted()}
    hinted = {name: colorizers[name] for name in ("levin2004", "guided")}
    photos = bundled_photos(budget(fast).photo_size)[0]
    return {
        "random": hint_sweep(colorizers, test, COUNTS, seed=seed),
        "random 3x3": hint_sweep(hinted, test, COUNTS, seed=seed, patch_sizes=(ERROR_PATCH,)),
        "error": hint_sweep(hinted, test, COUNTS, placement="error", error_patch=ERROR_PATCH),
        "photos": hint_sweep(colorizers, photos, COUNTS, seed=seed),
    }


def claims_from_sweeps(sweeps: list) -> list:
    """The lesson's claims from one :func:`seed_sweeps` result per seed."""
    def psnr(part, name, count):
        return [s[part][name]["psnr"][COUNTS.index(count)] for s in sweeps]

    gain5 = np.subtract(psnr("random", "guided", 5), psnr("random", "guided", 0))
    half20 = np.subtract(psnr("random", "guided", 20), psnr("random", "guided", 0)) / 2
    return [
        paired_claim("L8-hints-help", "guided, 10 hints", "guided, no hint", "PSNR",
                     psnr("random", "guided", 10), psnr("random", "guided", 0), digits=2),
        paired_claim("L8-guided-vs-levin", "levin2004", "guided", "PSNR with 10 hints",
                     psnr("random", "levin2004", 10), psnr("random", "guided", 10), digits=2),
        paired_claim("L8-levin-vs-gray", "levin2004, 10 hints", "all gray", "PSNR",
                     psnr("random", "levin2004", 10), psnr("random", "all gray", 10), digits=2),
        paired_claim("L8-few-points", "guided's gain from 5 hints", "half its gain from 20", "PSNR (dB)",
                     gain5, half20, digits=2),
        paired_claim("L8-worst-first", "3x3 hints on the largest error", "random 3x3 hints",
                     "Levin's PSNR with 10 hints", psnr("error", "levin2004", 10), psnr("random 3x3", "levin2004", 10),
                     digits=2),
        paired_claim("L8-photos", "levin2004, 10 hints", "all gray", "PSNR on the bundled photos",
                     psnr("photos", "levin2004", 10), psnr("photos", "all gray", 10), digits=2),
    ]  # fmt: skip


def run_claims(seeds=SEEDS, *, fast: bool = False, models: dict | None = None, sweeps: dict | None = None) -> list:
    """Train and sweep every seed; one :class:`~chroma_lab.compare.ClaimResult` per id of
    :data:`CLAIM_IDS`, in that order.

    Parameters
    ----------
    seeds : sequence of int
        At least 2 (the paired interval needs two differences).
    fast : bool
        The tests' tiny budget (:data:`FAST`): the verdicts may be ``unresolved``.
    models : dict, optional
        ``{seed: {"guided": ...}}`` already trained on a seed's data, reused.
    sweeps : dict, optional
        ``{seed: seed_sweeps(seed)}`` already computed, reused (the lesson plots them first).
    """
    done = sweeps or {}
    return claims_from_sweeps([done.get(s) or seed_sweeps(s, fast, (models or {}).get(s)) for s in seeds])
