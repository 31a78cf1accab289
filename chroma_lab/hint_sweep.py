"""How much do a few user colours buy? PSNR and colourfulness against the number of hints.

:func:`hint_sweep` colorizes the same images with 0, 1, 2, 5, 10, 20 hints (the counts of Zhang et
al. 2017's Figure 4 style of plot), for any colorizers: one that takes hints
(:class:`~chroma_lab.models.levin2004.LevinColorizer`,
:class:`~chroma_lab.models.guided2017.GuidedColorizer`) gets them, an automatic one colorizes
without them (its curve is flat, the reference a hint must beat). Two ways to place the hints:

* ``"random"``: the paper's simulated user (:func:`chroma_lab.hints.draw_hint_points`), nested:
  the hints of 5 points are the first 5 of the 20, so a curve compares like with like;
* ``"error"``: a user who corrects the worst mistake first: each next point goes where the
  colorizer's current result is furthest from the truth (:func:`chroma_lab.hints.hint_at_largest_error`),
  so each colorizer gets its own points.

The benchmark ``benchmarks/bench_hints.py`` and lesson 8 print its tables; the numbers per seed are
what a paired claim over seeds (:mod:`chroma_lab.compare`) needs.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.errors import ChromaLabError
from chroma_lab.hints import PATCH_SIZES, draw_hint_points, hint_at_largest_error, render_hints
from chroma_lab.metrics import colorfulness, psnr

COUNTS = (0, 1, 2, 5, 10, 20)
PLACEMENTS = ("random", "error")


def hint_sweep(colorizers: dict, images, counts=COUNTS, seed: int = 0, placement: str = "random",
               patch_sizes=PATCH_SIZES, error_patch: int = 1, progress: bool = False) -> dict:  # fmt: skip
    """PSNR and colourfulness of each colorizer for each number of hints.

    Parameters
    ----------
    colorizers : dict of name -> fitted colorizer
    images : ndarray of shape (n, H, W, 3), uint8 RGB
        The truth the hints are taken from and the results are scored against.
    counts : sequence of int
        Numbers of hint points per image.
    seed : int
        The simulated user's random draws (``"random"`` placement).
    placement : {"random", "error"}
    patch_sizes : sequence of int
        Sides of the revealed patches, drawn at random (``"random"``).
    error_patch : int
        Side of the square revealed around the largest error (``"error"``): compare it with a random
        sweep of ``patch_sizes=(error_patch,)``, so that both users reveal as many pixels.
    progress : bool
        A tqdm bar (on stderr) over the colorizations with hints.

    Returns
    -------
    dict of name -> {"psnr": list, "colorfulness": list}
        One value per entry of ``counts``, averaged over the images.
    """
    if placement not in PLACEMENTS:
        raise ChromaLabError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    images = np.asarray(images)
    gray = rgb_to_gray(images)
    ab_true = rgb_to_lab(images)[..., 1:]
    counts = [int(c) for c in counts]
    results = {}
    calls = (len(counts) if placement == "random" else max(counts) + 1) * sum(
        bool(getattr(c, "takes_hints", False)) for c in colorizers.values())
    with tqdm(total=calls, desc="hint sweep", unit="colorization", disable=not progress, leave=False) as bar:
        for name, colorizer in colorizers.items():
            if not getattr(colorizer, "takes_hints", False):
                out = colorizer.colorize(gray)
                results[name] = {"psnr": [psnr(images, out)] * len(counts),
                                 "colorfulness": [colorfulness(out)] * len(counts)}  # fmt: skip
                continue
            colorize = _counted(colorizer, bar)
            outputs = (_random_outputs(colorize, gray, ab_true, counts, seed, patch_sizes) if placement == "random"
                       else _error_outputs(colorize, gray, ab_true, counts, error_patch))  # fmt: skip
            results[name] = {"psnr": [psnr(images, out) for out in outputs],
                             "colorfulness": [colorfulness(out) for out in outputs]}  # fmt: skip
    return results


def format_sweep(results: dict, counts=COUNTS, measure: str = "psnr", digits: int = 2) -> str:
    """A plain-text table: one row per colorizer, one column per number of hints."""
    width = max(len(name) for name in results) + 2
    lines = [f"{measure:<{width}}" + "".join(f"{c:>8d}" for c in counts)]
    for name, values in results.items():
        lines.append(f"{name:<{width}}" + "".join(f"{v:>8.{digits}f}" for v in values[measure]))
    return "\n".join(lines)


def _counted(colorizer, bar):
    """``colorizer.colorize`` that advances the progress bar by one call."""
    def colorize(gray, hints):
        out = colorizer.colorize(gray, hints=hints)
        bar.update(1)
        return out

    return colorize


def _random_outputs(colorize, gray, ab_true, counts, seed, patch_sizes):
    points = draw_hint_points(gray.shape, max(counts), np.random.default_rng(seed), patch_sizes)
    return [colorize(gray, hints=render_hints(ab_true, points, count)) for count in counts]


def _error_outputs(colorize, gray, ab_true, counts, patch):
    """One point at a time where the current result is worst, results kept at each count."""
    hints = (np.zeros_like(ab_true), np.zeros(gray.shape, dtype=bool))
    outputs, out = [], colorize(gray, hints=hints)
    for step in range(max(counts) + 1):
        if step in counts:
            outputs.append(out)
        if step == max(counts):
            break
        ab_out = rgb_to_lab(out)[..., 1:]
        hints = hint_at_largest_error(ab_true, ab_out, hints, patch)
        out = colorize(gray, hints=hints)
    return [outputs[sorted(set(counts)).index(c)] for c in counts]
