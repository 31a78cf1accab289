"""Exercise checkers of lesson 8 (user-guided colorization): the simulated user's hints, Levin et al.'s
affinity weights and linear system, the guided network's input. Same contract and machinery as
:mod:`chroma_lab.checks._core`: one ``PASS``/``FAIL`` line, True or False, never an exception. The
references are the library's :mod:`chroma_lab.hints`, :mod:`chroma_lab.models.levin2004` and
:func:`chroma_lab.models.guided2017.network_input`, themselves tested against loop-by-loop and
dense re-derivations (tests/test_levin2004.py, tests/test_guided2017.py).
"""

from __future__ import annotations

import numpy as np

from chroma_lab.checks._core import Mismatch, as_array, expect_close, run
from chroma_lab.hints import render_hints


def _tiny_lightness(rng, height=4, width=5):
    L = rng.uniform(20, 80, (height, width))
    L[:3, :3] = 40.0  # a flat corner: a window of zero variance...
    L[0, 0], L[1, 1] = 40.1, 46.0  # ...and one whose variance is floored (an outlier in a flat patch)
    return L


def check_render_hints(fn, seed: int = 0) -> bool:
    """Check ``fn(ab_true, points)``: (n, H, W, 2) and per image (count, 3) points (top, left, side)
    -> (ab, mask) of the hints, each patch showing its mean true ab, a later point on top."""
    name = getattr(fn, "__name__", "render_hints")
    hint = ("for each point take the square ab_true[i, top:top+side, left:left+side], average its "
            "colours over the pixels (both axes), write that mean into every pixel of the square and set the "
            "mask there; go through the points in order so that a later one covers an earlier one.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        ab_true = rng.uniform(-60, 60, (2, 8, 9, 2))
        points = [np.array([[1, 2, 3], [2, 3, 2], [6, 0, 1]]), np.array([[0, 0, 4]])]  # two overlap
        got = fn(ab_true.copy(), [p.copy() for p in points])
        if not isinstance(got, tuple) or len(got) != 2:
            raise Mismatch(f"{name} returned {type(got).__name__}, expected a pair (ab, mask)", hint)
        want_ab, want_mask = render_hints(ab_true, points)
        mask = as_array(got[1], f"{name}(...)[1] (the mask)")
        expect_close(mask, want_mask, f"{name}(...)[1] (the mask)", hint=hint)
        expect_close(np.where(want_mask[..., None], got[0], 0.0), want_ab, f"{name}(...)[0] (the hint ab)",
                     hint=hint)  # fmt: skip
        return f"{name} matches chroma_lab.hints.render_hints, overlapping patches included."

    return run(name, attempt, hint)


def check_affinity_weights(fn, seed: int = 0) -> bool:
    """Check ``fn(L)``: lightness (H, W) -> the dense (H W, H W) matrix of Levin et al.'s weights."""
    from chroma_lab.models.levin2004 import affinity_weights

    name = getattr(fn, "__name__", "affinity_weights")
    hint = ("for pixel r = y W + x, over its (up to 8) neighbours s in the 3x3 window: w = exp(-(Y_r - Y_s)^2 "
            "/ two_sigma2) with Y = L / 100, two_sigma2 = 2 x the variance of Y over the window (r included), "
            "raised to at least min_s (Y_r - Y_s)^2 / -log(0.01) and 2e-6; then divide by the row's sum.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        for shape in ((4, 5), (3, 3)):
            L = _tiny_lightness(rng, *shape)
            got = as_array(fn(L.copy()), f"{name}(L)")
            want = affinity_weights(L).toarray()
            if got.shape == want.shape and np.allclose(got.sum(axis=1), 1) and not np.allclose(got, want, atol=1e-6):
                where = np.abs(got - want).max(axis=1).argmax()
                if abs(got[where, where]) > 1e-9:
                    raise Mismatch(f"{name}(L): row {where} gives the pixel itself a weight",
                                   "a pixel's own value is what the weights predict; only its neighbours weigh.")
            expect_close(got, want, f"{name}(L) of shape {shape}", atol=1e-6, hint=hint)
        return f"{name} matches chroma_lab.models.levin2004.affinity_weights on 4x5 and 3x3 images."

    return run(name, attempt, hint)


def check_levin_solve(fn, seed: int = 0) -> bool:
    """Check ``fn(L, hint_ab, hint_mask)``: one image -> the ab (H, W, 2) that solves Levin's system."""
    from chroma_lab.models.levin2004 import propagate_hints

    name = getattr(fn, "__name__", "levin_solve")
    hint = ("one row per pixel: a hinted pixel's row is U_r = hint (a 1 on the diagonal, the hint on the "
            "right), a free pixel's row is U_r - sum_s w_rs U_s = 0; solve for a and b (np.linalg.solve "
            "takes both right-hand sides at once).")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        L = _tiny_lightness(rng)
        ab = rng.uniform(-50, 50, L.shape + (2,))
        mask = np.zeros(L.shape, dtype=bool)
        mask[0, 0] = mask[3, 4] = mask[1, 3] = True
        got = fn(L.copy(), ab.copy(), mask.copy())
        expect_close(got, propagate_hints(L, ab, mask), f"{name}(L, hint_ab, hint_mask)", atol=1e-6, hint=hint)
        return f"{name} matches chroma_lab.models.levin2004.propagate_hints on a 4x5 image with 3 hints."

    return run(name, attempt, hint)


def check_guided_input(fn, seed: int = 0) -> bool:
    """Check ``fn(L, hint_ab, hint_mask)``: (H, W), (H, W, 2), (H, W) -> the network's (H, W, 4) input."""
    from keras import ops

    from chroma_lab.color import normalize_l
    from chroma_lab.models.guided2017 import network_input

    name = getattr(fn, "__name__", "guided_input")
    hint = ("four channels: (L - 50) / 100; the hint a and b divided by 110 where the mask is set and 0 "
            "elsewhere (whatever ab holds there); the mask as 1.0 / 0.0 minus 0.5.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        L = rng.uniform(0, 100, (5, 6))
        ab = rng.uniform(-80, 80, (5, 6, 2))  # junk where not hinted: it must not leak in
        mask = rng.random((5, 6)) < 0.3
        want = ops.convert_to_numpy(network_input(normalize_l(L)[None, ..., None], ab[None], mask[None, ..., None]))[0]
        expect_close(fn(L.copy(), ab.copy(), mask.copy()), want, f"{name}(L, hint_ab, hint_mask)",
                     atol=1e-5, hint=hint)  # fmt: skip
        return f"{name} builds the same 4 channels as chroma_lab.models.guided2017.network_input."

    return run(name, attempt, hint)
