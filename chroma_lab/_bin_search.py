"""Exact k-nearest-bin search on the ab plane, behind ``quantize.k_nearest_bins`` and the encoders.

Private: :mod:`chroma_lab.quantize` is the public home of the bins and the encodings. The 313 bins
sit on the corners of a grid of 10x10 cells, so the k nearest bins of a point are always among a
few bins around its cell. :func:`build_candidates` lists them once per cell (for k = 5, at most 12
of the 313); :func:`k_nearest` then measures a point's distances to its cell's candidates only and
keeps the k smallest with a stable sort, so equally near bins come in bin-index order, exactly as
a search over all 313 bins would return them. Points off the grid (far outside the sRGB gamut) and
k above ``MAX_K`` are measured against every bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP = 10.0  # the bins' grid step: bins lie on cell corners
ORIGIN = (-100.0, -120.0)  # lower corner of cell (0, 0)
SHAPE = (21, 23)  # cells cover a in -100..110 and b in -120..110: the sRGB gamut with a margin
MAX_K = 16  # beyond this, a cell's candidates are too many to gain over all 313 bins
CHUNK = 16384  # points per step: keeps the (points, candidates) temporaries within a few MB
# Each cell's list is built for the cell widened by EPS on every side, so a point that rounding
# puts in the neighbouring cell is still covered by that cell's list.
EPS = 1e-6


@dataclass(frozen=True)
class Candidates:
    """For every grid cell, the bins that are among the k nearest of some point in it."""

    k: int
    index: np.ndarray  # (n_cells, width) int: bin indices in increasing order, padded with -1
    a: np.ndarray  # (n_cells, width) float64: their a; padding is +inf, never among the nearest
    b: np.ndarray  # (n_cells, width) float64: their b


def build_candidates(bins: np.ndarray, k: int, eps: float = EPS) -> Candidates:
    """Candidate lists of every cell for the k nearest of ``bins`` (n_bins, 2).

    Each cell is widened by ``eps`` on every side (a float32 caller needs more than ``EPS``).

    Bin i can be among the k nearest somewhere in a cell unless k other bins are nearer than it
    everywhere in the cell. The difference of two squared distances is affine in the point, so
    "nearer everywhere in a rectangle" is "nearer at its four corners". To keep the pairwise test
    small, a first cut keeps only bins whose distance to the cell is at most the k-th smallest of
    the bins' farthest distances to it (k bins are always within that distance).
    """
    ii, jj = np.meshgrid(np.arange(SHAPE[0]), np.arange(SHAPE[1]), indexing="ij")
    lo_a = ORIGIN[0] + STEP * ii.reshape(-1, 1) - eps
    lo_b = ORIGIN[1] + STEP * jj.reshape(-1, 1) - eps
    hi_a, hi_b = lo_a + STEP + 2 * eps, lo_b + STEP + 2 * eps
    a, b = bins[:, 0], bins[:, 1]
    near = np.maximum(np.maximum(lo_a - a, 0), a - hi_a) ** 2 + np.maximum(np.maximum(lo_b - b, 0), b - hi_b) ** 2
    far = np.maximum(abs(a - lo_a), abs(a - hi_a)) ** 2 + np.maximum(abs(b - lo_b), abs(b - hi_b)) ** 2
    radius = np.partition(far, k - 1, axis=1)[:, k - 1 : k]
    first_cut = near <= radius
    width = int(first_cut.sum(axis=1).max())
    index = np.argsort(~first_cut, axis=1, kind="stable")[:, :width]  # kept bins first, in order
    valid = np.take_along_axis(first_cut, index, axis=1)

    corners = [(lo_a, lo_b), (lo_a, hi_b), (hi_a, lo_b), (hi_a, hi_b)]
    d2 = np.stack([(ca - a[index]) ** 2 + (cb - b[index]) ** 2 for ca, cb in corners])  # (4, c, w)
    # beats[c, j, i]: bin j is strictly nearer than bin i at all four corners of cell c
    beats = (d2[:, :, :, None] < d2[:, :, None, :]).all(axis=0) & valid[:, :, None]
    keep = valid & (beats.sum(axis=1) < k)
    width = int(keep.sum(axis=1).max())
    order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    index = np.where(np.take_along_axis(keep, order, 1), np.take_along_axis(index, order, 1), -1)
    coords = np.concatenate([bins, np.full((1, 2), np.inf)])  # index -1: the padding
    return Candidates(k=k, index=index, a=coords[index, 0], b=coords[index, 1])


def k_nearest(bins: np.ndarray, candidates: Candidates | None, pts: np.ndarray, k: int):
    """The k nearest bins of points ``pts`` (n, 2) and their squared distances.

    ``candidates`` comes from :func:`build_candidates` for the same k, or is None to measure
    every bin.

    Returns
    -------
    index : ndarray of shape (n, k), intp
        Nearest first; equally near bins in increasing index order.
    d2 : ndarray of shape (n, k), float64
        Squared distances (a - a_bin)^2 + (b - b_bin)^2.
    """
    index = np.empty((len(pts), k), dtype=np.intp)
    d2 = np.empty((len(pts), k))
    for start in range(0, len(pts), CHUNK):
        chunk = slice(start, start + CHUNK)
        index[chunk], d2[chunk] = _k_nearest_chunk(bins, candidates, pts[chunk], k)
    return index, d2


def _k_nearest_chunk(bins, candidates, pts, k):
    if candidates is None:
        return _k_smallest(_all_distances(bins, pts), np.arange(len(bins)), k)
    a, b = pts[:, 0], pts[:, 1]
    i = np.floor((a - ORIGIN[0]) / STEP)
    j = np.floor((b - ORIGIN[1]) / STEP)
    on_grid = (i >= 0) & (i < SHAPE[0]) & (j >= 0) & (j < SHAPE[1])
    cell = np.where(on_grid, i * SHAPE[1] + j, 0).astype(np.intp)
    d2 = (candidates.a[cell] - a[:, None]) ** 2 + (candidates.b[cell] - b[:, None]) ** 2
    index, dist2 = _k_smallest(d2, candidates.index[cell], k)
    if not on_grid.all():
        off = ~on_grid
        index[off], dist2[off] = _k_smallest(_all_distances(bins, pts[off]), np.arange(len(bins)), k)
    return index, dist2


def _all_distances(bins, pts):
    return (pts[:, 0:1] - bins[:, 0]) ** 2 + (pts[:, 1:2] - bins[:, 1]) ** 2


def _k_smallest(d2, index, k):
    """The k smallest of each row of d2 (n, w), nearest first, ties in column order."""
    if k == 1:
        cols = np.argmin(d2, axis=1)[:, None]  # the first of equal minima
    else:
        cols = np.argsort(d2, axis=1, kind="stable")[:, :k]
    rows = index if index.ndim == 2 else np.broadcast_to(index, d2.shape)
    return np.take_along_axis(rows, cols, axis=1), np.take_along_axis(d2, cols, axis=1)
