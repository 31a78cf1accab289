"""User colour hints: sparse ab values with a mask, as Levin et al. (2004) and Zhang et al. (2017) take them.

A hint set for n images of H x W pixels is a pair ``(ab, mask)``: ``ab`` float Lab a*, b* of shape
(n, H, W, 2) and ``mask`` bool (n, H, W), True where a user gave a colour (``ab`` elsewhere is
ignored). Three places make them:

* :func:`sample_hints` simulates a user from the true colours, as Zhang et al. (2017, Sec. 3.2)
  do for training: each point is a square patch of side 1..9 revealing the *mean* colour of the
  truth under it, centred on a 2-D Gaussian around the image centre (users click near the middle);
  :func:`draw_point_count` draws how many, from the paper's geometric distribution (p = 1/8).
  The guided network draws the same in its graph for training
  (:class:`chroma_lab.models.guided2017.SimulatedHints`); this NumPy version is the one the
  lesson, the evaluation and the tests read.
* :func:`hint_at_largest_error` places the next point where a colorization is furthest from the
  truth: a user correcting the worst mistake first.
* :func:`hints_from_rgba` reads a user's dots drawn in a paint program: opaque pixels of an RGBA
  image are colours, transparent ones are not hints.
"""

from __future__ import annotations

import numpy as np

from chroma_lab._checks import check_int, check_number
from chroma_lab.color import rgb_to_lab
from chroma_lab.errors import ChromaLabError

# Zhang et al. (2017): P(k points) = (1 - p)^k p, k = 0, 1, ...: 7 points on average, none 1 time in 8
GEOMETRIC_P = 1 / 8
# Side of a hint's square patch, drawn uniformly (the paper's 1x1 to 9x9 at 256x256)
PATCH_SIZES = tuple(range(1, 10))
# The point's standard deviation around the centre, as a fraction of the side (the paper's H/4)
LOCATION_SPREAD = 0.25
# An RGBA pixel is a user colour when its alpha is at least this: a paint program's anti-aliased
# dot edges (half transparent, same colour) count, faint smudges do not
OPAQUE_ALPHA = 128


class HintsError(ChromaLabError):
    """Hints that do not fit the images they are for; the message says what was expected."""


def check_hints(hints, shape) -> tuple:
    """Validate ``hints`` for gray images of ``shape`` (n, H, W); None means no hints.

    Returns
    -------
    ab : ndarray of shape (n, H, W, 2), float64 (0 where not hinted)
    mask : ndarray of shape (n, H, W), bool
    """
    shape = tuple(shape)
    if hints is None:
        return np.zeros(shape + (2,)), np.zeros(shape, dtype=bool)
    if not isinstance(hints, (tuple, list)) or len(hints) != 2:
        raise HintsError(f"hints must be a pair (ab, mask) or None, got {type(hints).__name__}")
    ab, mask = np.asarray(hints[0]), np.asarray(hints[1])
    if ab.shape != shape + (2,):
        raise HintsError(f"hint ab must have shape {shape + (2,)} (the images' plus a, b), got {ab.shape}")
    if mask.shape != shape:
        raise HintsError(f"hint mask must have shape {shape} (the images'), got {mask.shape}")
    if mask.dtype != bool:
        raise HintsError(f"hint mask must be bool, got dtype {mask.dtype}")
    if not np.issubdtype(ab.dtype, np.number) or not np.all(np.isfinite(ab[mask])):
        raise HintsError("hint ab must be finite numbers (Lab a*, b*) where the mask is True")
    return np.where(mask[..., None], ab, 0.0).astype(np.float64), mask


def draw_point_count(rng: np.random.Generator, size=None, p: float = GEOMETRIC_P):
    """Number of hint points, geometric on {0, 1, 2, ...}: P(k) = (1 - p)^k p (mean (1 - p) / p)."""
    check_number(p, "p", low=0, high=1, low_open=True)
    return rng.geometric(p, size=size) - 1  # NumPy's geometric counts trials, from 1


def sample_hints(ab_true, n_points, rng: np.random.Generator, patch_sizes=PATCH_SIZES,
                 spread: float = LOCATION_SPREAD) -> tuple:  # fmt: skip
    """Simulate a user's hints from the true colours (Zhang et al. 2017, Sec. 3.2).

    Each point: a patch side P drawn from ``patch_sizes``; its top-left corner (h, w) from a normal
    with mean (H - P + 1) / 2 and standard deviation ``spread`` (H - P + 1), clipped into the image
    (likewise w); the patch's pixels get the mean true ab over the patch. A later point overwrites
    an earlier one where they overlap. :func:`draw_hint_points` then :func:`render_hints`.

    Parameters
    ----------
    ab_true : ndarray of shape (n, H, W, 2)
        The true a*, b*.
    n_points : int or array of n ints
        Points per image (use :func:`draw_point_count` for the paper's random count).
    rng : numpy.random.Generator
    patch_sizes : sequence of int
    spread : float

    Returns
    -------
    ab : ndarray of shape (n, H, W, 2), float64
    mask : ndarray of shape (n, H, W), bool
    """
    ab_true = _check_ab(ab_true)
    points = draw_hint_points(ab_true.shape[:3], n_points, rng, patch_sizes, spread)
    return render_hints(ab_true, points)


def draw_hint_points(shape, n_points, rng: np.random.Generator, patch_sizes=PATCH_SIZES,
                     spread: float = LOCATION_SPREAD) -> list:  # fmt: skip
    """Where :func:`sample_hints` puts its points: for each of n images of ``shape`` (n, H, W), an
    int array of shape (count, 3) holding each point's (top, left, side)."""
    n, height, width = shape
    counts = np.broadcast_to(np.asarray(n_points), (n,))
    sizes = [check_int(int(s), "patch size", low=1, high=min(height, width)) for s in patch_sizes]
    points = []
    for i in range(n):
        rows = []
        for _ in range(check_int(int(counts[i]), "n_points", low=0)):
            side = int(rng.choice(sizes))
            top = _clipped_normal(rng, height - side + 1, spread)
            rows.append((top, _clipped_normal(rng, width - side + 1, spread), side))
        points.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
    return points


def render_hints(ab_true, points, count=None) -> tuple:
    """The hints of ``points`` (from :func:`draw_hint_points`): each patch shows its mean true ab.

    ``count`` keeps only the first ``count`` points of every image, so the hints of 5 points are
    those of 10 points minus the last 5: a sweep over the number of hints compares nested sets.
    """
    ab_true = _check_ab(ab_true)
    ab, mask = np.zeros_like(ab_true), np.zeros(ab_true.shape[:3], dtype=bool)
    for i, rows in enumerate(points):
        for top, left, side in rows[:count]:
            patch = (i, slice(top, top + side), slice(left, left + side))
            ab[patch] = ab_true[patch].reshape(-1, 2).mean(axis=0)
            mask[patch] = True
    return ab, mask


def hint_at_largest_error(ab_true, ab_pred, hints, patch: int = 1) -> tuple:
    """Add one point per image where the prediction's ab error is largest, revealing the truth there.

    Parameters
    ----------
    ab_true, ab_pred : ndarray of shape (n, H, W, 2)
    hints : (ab, mask) of shape (n, H, W, 2) and (n, H, W)
        The hints so far (not changed).
    patch : int
        Side of the revealed square (the mean true colour under it, as in :func:`sample_hints`).

    Returns
    -------
    (ab, mask) : the hints with one more point per image.
    """
    ab_true, ab_pred = np.asarray(ab_true, dtype=np.float64), np.asarray(ab_pred, dtype=np.float64)
    ab, mask = (np.array(part) for part in check_hints(hints, ab_true.shape[:3]))
    error = np.linalg.norm(ab_true - ab_pred, axis=-1)
    error[mask] = -1.0  # a pixel already hinted is settled
    height, width = error.shape[1:]
    for i in range(len(error)):
        y, x = np.unravel_index(np.argmax(error[i]), (height, width))
        top, left = min(max(y - patch // 2, 0), height - patch), min(max(x - patch // 2, 0), width - patch)
        window = (i, slice(top, top + patch), slice(left, left + patch))
        ab[window] = ab_true[window].reshape(-1, 2).mean(axis=0)
        mask[window] = True
    return ab, mask


def hints_from_rgba(rgba) -> tuple:
    """A user's dots: an RGBA image (H, W, 4) uint8 -> hint ab (H, W, 2) and mask (H, W).

    Pixels with alpha >= ``OPAQUE_ALPHA`` are hints with the a*, b* of their RGB colour (its
    lightness is ignored: the photo's lightness stays); the rest are not hints.
    """
    rgba = np.asarray(rgba)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[-1] != 4:
        raise HintsError(f"hints must be a uint8 RGBA image (H, W, 4), got {rgba.dtype} {rgba.shape}")
    mask = rgba[..., 3] >= OPAQUE_ALPHA
    ab = np.where(mask[..., None], rgb_to_lab(rgba[..., :3])[..., 1:], 0.0)
    return ab, mask


def _check_ab(ab) -> np.ndarray:
    ab = np.asarray(ab, dtype=np.float64)
    if ab.ndim != 4 or ab.shape[-1] != 2:
        raise ChromaLabError(f"ab_true must have shape (n, H, W, 2), got {ab.shape}")
    return ab


def _clipped_normal(rng: np.random.Generator, positions: int, spread: float) -> int:
    """A start index in 0..positions-1: normal around the middle, sd ``spread * positions``."""
    return int(np.clip(rng.normal(positions / 2, spread * positions), 0, positions - 1))
