"""Exact k-nearest-bin search on the ab plane: the engine behind ``quantize.soft_encode``.

Private. :mod:`chroma_lab.quantize` is the public home of the bins and the encodings; this module
only answers "which k bins are nearest to each point, and at what squared distance", exactly as a
generic nearest-neighbour search would (float64, (a - a_bin)^2 + (b - b_bin)^2, like
scikit-learn), about 12 times faster than a scikit-learn ball tree on one core.
``benchmarks/bench_core.py`` measures it.

How. The ab plane is cut into square sub-cells of ``SUB_CELL`` units. For each k, a table lists
for every sub-cell

* the m bins that are among the k nearest of *every* point of the sub-cell ("certain"), then
* the u bins that are among the k nearest of *some* of its points ("uncertain"),

so a point needs the distances to m + u bins and, among the uncertain ones, the r = k - m
nearest. Every point is first computed as the common case, r <= 2 nearest of r + 1 candidates
(90% of a photo's points; certain bins moved to the head of the candidates and padding slots
give any such sub-cell that shape), then the others are redone group by group. Work runs on a
(slot, point) layout, so that every NumPy call streams over contiguous rows (reducing along a
short last axis is slow in NumPy), and temporaries live in per-thread buffers: fresh
multi-megabyte arrays cost page faults that would double the time. Points off the tables (far
outside the sRGB gamut) and k > ``MAX_K`` fall back to distances to all bins. Chunks of points
run on a thread pool; on a 2-core machine that gains only about 1.3x, as gathers and scatters
over megabytes are bound by memory bandwidth.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

SUB_CELL = 1.25
# Sub-cell edges lie at 0.3 (a) and 0.55 (b) modulo 1.25, off the bisectors between bins of the
# step-10 grid (a = 5 + 10 i, b = 5 + 10 j, a +- b = 10 i, ...): an edge on a bisector would leave
# both bins undecided in the two sub-cells it separates.
ORIGIN = (-95.95, -115.7)
SHAPE = (162, 175)  # a in -95.95..106.55, b in -115.7..103.05; sRGB spans -86..99 and -108..95
MAX_K = 16  # tables exist for k <= MAX_K
TOL = 1e-6  # slack on squared distances while building: covers rounding in a point's sub-cell
CHUNK = 65536  # points per task at most
_WINDOW = 4  # bins within +-4 grid steps of a sub-cell are examined while building its list
_FAR = 44.0**2  # farther than any bin outside that window (it is >= 50 - 5.625 away)
_SIDE_B = SHAPE[1] + 2  # table rows carry one border cell on each side


@dataclass(frozen=True)
class Tables:
    """Candidate lists of every sub-cell for one k (see :func:`build_tables`)."""

    groups: tuple  # group id -> (r, u): the r nearest of u uncertain bins join the k - r certain
    group_of_cell: np.ndarray  # ((SHAPE[0] + 2) * (SHAPE[1] + 2),) int16; off tables: len(groups)
    slot_index: np.ndarray  # (n_slots, n_cells) int16: certain bins, then uncertain ones
    slot_ab: np.ndarray  # (n_slots, n_cells) complex128: their coordinates a + ib
    n_main: int  # groups 0..n_main-1 are the common case every point is first computed as
    main_r: int  # ... the nearest main_r of main_r + 1 candidates after k - main_r certain bins


def build_tables(bins: np.ndarray, k: int) -> Tables:
    """Candidate lists of every sub-cell: which bins are certainly, or maybe, among the k nearest."""
    n_bins = len(bins)
    grid = np.full((40, 40), n_bins, dtype=np.intp)  # grid point -> bin index (n_bins: no bin)
    gi = np.round((bins - bins.min(axis=0)) / 10).astype(int) + 10
    grid[gi[:, 0], gi[:, 1]] = np.arange(n_bins)
    coords = np.concatenate([bins, np.full((1, 2), 1e6)])  # index n_bins: a bin nobody is near
    ii, jj = np.divmod(np.arange(SHAPE[0] * SHAPE[1]), SHAPE[1])
    lo = np.stack([ORIGIN[0] + SUB_CELL * ii, ORIGIN[1] + SUB_CELL * jj], axis=-1)
    parts = [_classify(lo[s : s + 4096], k, grid, coords, bins.min(axis=0))
             for s in range(0, len(lo), 4096)]  # fmt: skip
    on_table = np.concatenate([p[2] for p in parts])
    width = max(p[0].shape[1] for p in parts)
    slots = np.concatenate([np.pad(p[0], ((0, 0), (0, width - p[0].shape[1])), constant_values=n_bins)
                            for p in parts])  # fmt: skip
    kind = np.concatenate([np.pad(p[1], ((0, 0), (0, width - p[1].shape[1])), constant_values=2)
                           for p in parts])  # fmt: skip
    m, u = (kind == 0).sum(1), (kind == 1).sum(1)
    r = k - m
    if np.any(on_table & ((r < 0) | (r > u))):
        raise AssertionError("inconsistent k-nearest-bin tables")  # a bug, never bad input
    # fewer groups, less Python: pad the uncertain beyond r to a power of two; r == u needs no search
    extra = u - r
    search = (r > 0) & (extra > 0)  # else the certain bins, with the uncertain if r == u, are all
    u_pad = np.where(search, r + 2 ** np.ceil(np.log2(np.maximum(extra, 1))).astype(int), 0)
    keys = np.stack([np.where(search, r, 0), u_pad], axis=1)[on_table]
    groups, gid = np.unique(keys, axis=0, return_inverse=True)
    # the common case first: r <= 2 with one candidate to spare, (0, 0), (1, 2) and (2, 3): 90% of
    # a photo's points. Moving certain bins to the head of the candidates gives them that shape.
    main_r = min(2, k)
    is_main = (groups[:, 1] == 0) | ((groups[:, 0] <= main_r) & (groups[:, 1] == groups[:, 0] + 1))
    order = np.argsort(~is_main, kind="stable")
    groups, gid = groups[order], np.argsort(order)[gid]
    slots[~search, k:] = n_bins
    n_slots = max(int((k - groups[:, 0] + groups[:, 1]).max()), k + 1)
    slots = np.pad(slots, ((0, 0), (0, max(0, n_slots - width))), constant_values=n_bins)[:, :n_slots]

    off_table = len(groups)  # the last group id: brute force
    group_of_cell = np.full((SHAPE[0] + 2, _SIDE_B), off_table, dtype=np.int16)
    inner = np.full(len(lo), off_table, dtype=np.int16)
    inner[on_table] = gid.ravel()
    group_of_cell[1:-1, 1:-1] = inner.reshape(SHAPE)
    slot_index = np.full((SHAPE[0] + 2, _SIDE_B, n_slots), n_bins, dtype=np.intp)
    slot_index[1:-1, 1:-1] = np.where(on_table[:, None], slots, n_bins).reshape(SHAPE + (n_slots,))
    slot_index = np.ascontiguousarray(slot_index.reshape(-1, n_slots).T.astype(np.int16))
    return Tables(
        groups=tuple((int(a), int(b)) for a, b in groups),
        group_of_cell=group_of_cell.reshape(-1),
        slot_index=slot_index,
        slot_ab=coords[slot_index, 0] + 1j * coords[slot_index, 1],
        n_main=int(is_main.sum()),
        main_r=main_r,
    )


def _classify(lo, k, grid, coords, grid_min):
    """Bins near the sub-cells [lo, lo + SUB_CELL]: certain (kind 0), uncertain (1), out (2).

    d2_i - d2_j is affine in the point, so over a rectangle it is extreme at a corner: bin i can be
    as near as bin j somewhere in the sub-cell iff it is at one of the 4 corners. A bin that fewer
    than k others can ever match is certainly in; a bin that k others always beat is certainly out.

    Returns (slots, kind, on_table): (c, w) bin indices, certain then uncertain then out, each in
    bin-index order (so ties go to the lower index); kinds; and whether the window sufficed.
    """
    n_bins = len(coords) - 1
    offsets = np.arange(-_WINDOW, _WINDOW + 1)
    home = np.round((lo + SUB_CELL / 2 - grid_min) / 10).astype(int) + 10
    window = grid[home[:, 0, None, None] + offsets[:, None], home[:, 1, None, None] + offsets]
    window = np.sort(window.reshape(len(lo), -1), axis=1)
    pts, lo3, hi3 = coords[window], lo[:, None, :], lo[:, None, :] + SUB_CELL
    min_d2 = ((pts - np.clip(pts, lo3, hi3)) ** 2).sum(-1)
    max_d2 = ((pts - np.where(np.abs(pts - lo3) > np.abs(pts - hi3), lo3, hi3)) ** 2).sum(-1)
    # a bin farther than the k-th smallest farthest distance is never among the k nearest, and
    # only bins within reach of such a candidate can ever be as near as one
    radius = np.partition(max_d2, k - 1, axis=1)[:, k - 1 : k]
    reach = np.where(min_d2 <= radius + TOL, max_d2, 0.0).max(axis=1)
    on_table = reach < _FAR  # else bins outside the window could matter: leave it to brute force
    near = (min_d2 <= reach[:, None] + TOL) & on_table[:, None]
    width = max(int(near.sum(1).max()), 1)
    keep = np.argsort(~near, axis=1, kind="stable")[:, :width]
    window = np.where(np.take_along_axis(near, keep, 1), np.take_along_axis(window, keep, 1), n_bins)
    valid = window < n_bins
    corners = np.stack([lo, lo + SUB_CELL, lo + [0, SUB_CELL], lo + [SUB_CELL, 0]], axis=1)
    d2 = ((corners[:, :, None] - coords[window][:, None]) ** 2).sum(-1)  # (c, 4, w)
    diff = d2[:, :, :, None] - d2[:, :, None, :]  # [cell, corner, i, j] = d2_i - d2_j
    pair = valid[:, :, None] & valid[:, None, :] & ~np.eye(width, dtype=bool)
    may_match = (diff.min(axis=1) <= TOL) & pair  # i is as near as j somewhere
    always_beats = (diff.max(axis=1) < -TOL) & pair
    is_in = valid & (may_match.sum(axis=1) <= k - 1)
    is_out = ~valid | (always_beats.sum(axis=1) >= k)
    kind = np.where(is_in, 0, np.where(is_out, 2, 1))
    order = np.argsort(kind, axis=1, kind="stable")
    kind = np.take_along_axis(kind, order, axis=1)
    return np.where(kind < 2, np.take_along_axis(window, order, axis=1), n_bins), kind, on_table


class _Workspace(threading.local):
    """Per-thread scratch arrays, grown on demand and reused from call to call."""

    def get(self, name: str, shape, dtype) -> np.ndarray:
        size = math.prod(shape) if isinstance(shape, tuple) else shape
        buf = self.__dict__.get(name)
        if buf is None or buf.dtype != dtype or buf.size < size:
            buf = self.__dict__[name] = np.empty(max(size, CHUNK), dtype=dtype)
        return buf[:size].reshape(shape)


_WS = _Workspace()


def search(tables: Tables | None, bins: np.ndarray, pts: np.ndarray, k: int):
    """The k nearest bins of points (n, 2) (C-contiguous float64).

    Returns
    -------
    index : ndarray of shape (k, n), int16
        Bin indices of point j in column j, in no particular order; equally near bins are taken in
        bin-index order.
    d2 : ndarray of shape (k, n), float64
        Their squared distances. Both are per-thread buffers, overwritten by the next call.
    """
    if tables is None:
        return brute_force(bins, pts, k)
    cell = _cells(pts)
    points = pts.view(np.complex128).reshape(len(pts))
    # every point first as if its sub-cell had k - r certain bins and the r nearest of r + 1 more
    # (padding slots make up the count): true for 90% of a photo's points, which then need no
    # sorting into groups, gathering and scattering back
    r = tables.main_r
    index, d2 = _distances(tables, cell, points, k + 1, "main")
    _keep_nearest(d2, index, k - r, r)
    index, d2 = index[:k], d2[:k]
    gid = np.take(tables.group_of_cell, cell, out=_WS.get("gid", len(pts), np.int16), mode="clip")
    others = np.flatnonzero(gid >= tables.n_main)
    if len(others):  # redo the others group by group
        others = others[np.argsort(gid[others], kind="stable")]  # a radix sort
        ids = range(tables.n_main, len(tables.groups) + 1)  # the last one: off the tables
        bounds = np.searchsorted(gid[others], np.arange(tables.n_main, len(tables.groups) + 2))
        cell, points = cell[others], points[others]
        other_index = _WS.get("other_index", (k, len(others)), np.int16)
        other_d2 = _WS.get("other_d2", (k, len(others)), np.float64)
        for g, start, stop in zip(ids, bounds[:-1], bounds[1:]):
            if start == stop:
                continue
            if g == len(tables.groups):
                idx, dist2 = brute_force(bins, pts[others[start:stop]], k)
            else:
                r, u = tables.groups[g]
                idx, dist2 = _distances(tables, cell[start:stop], points[start:stop], k - r + u, "group")
                _keep_nearest(dist2, idx, k - r, r)
            other_index[:, start:stop], other_d2[:, start:stop] = idx[:k], dist2[:k]
        for t in range(k):  # row by row: 2-D fancy assignment is twice as slow
            index[t][others], d2[t][others] = other_index[t], other_d2[t]
    return index, d2


def _distances(tables: Tables, cell, points, n_slots: int, name: str):
    """Bin indices and squared distances of the first ``n_slots`` slots, each (n_slots, n)."""
    size = len(cell)
    diff = np.take(tables.slot_ab[:n_slots], cell, axis=1, mode="clip",
                   out=_WS.get(name + "_diff", (n_slots, size), np.complex128))  # fmt: skip
    diff -= points
    parts = diff.view(np.float64)  # (n_slots, 2 size): a and b differences, interleaved
    np.square(parts, out=parts)
    d2 = _WS.get(name + "_d2", (n_slots, size), np.float64)
    np.add(parts[:, 0::2], parts[:, 1::2], out=d2)
    index = np.take(tables.slot_index[:n_slots], cell, axis=1, mode="clip",
                    out=_WS.get(name + "_index", (n_slots, size), np.int16))  # fmt: skip
    return index, d2


def _cells(pts: np.ndarray) -> np.ndarray:
    """Table cell of each point; everything off the tables lands in a border cell."""
    n = len(pts)
    f = _WS.get("f", n, np.float64)
    cell = _WS.get("cell", n, np.intp)
    i = _WS.get("i", n, np.intp)
    for axis, (dst, side) in enumerate(((cell, SHAPE[0] + 2), (i, _SIDE_B))):
        np.subtract(pts[:, axis], ORIGIN[axis] - SUB_CELL, out=f)  # cell 1 starts at ORIGIN
        f *= 1.0 / SUB_CELL
        np.clip(f, 0.0, side - 1.0, out=f)  # non-negative: truncating is flooring
        np.copyto(dst, f, casting="unsafe")
    cell *= _SIDE_B
    cell += i
    return cell


def _keep_nearest(d2: np.ndarray, index: np.ndarray, start: int, r: int) -> None:
    """In place: rows start..start+r-1 receive the r nearest of rows start.. (in no fixed order).

    The first r rows are sorted by insertion, then each further candidate challenges the farthest
    of them and, unless it is the last candidate, is moved up to its place. Comparisons are
    strict: a later candidate never displaces an equally near earlier one, and candidates come in
    bin-index order after the certain bins, so ties go to the lower bin index.
    """
    end = len(d2)
    for j in range(start + 1, min(start + r, end)):  # sort the first r
        for t in range(start, j):
            _exchange(d2, index, t, j)
    for j in range(start + r, end):
        _exchange(d2, index, start + r - 1, j, keep_loser=False)
        if j < end - 1:
            for t in range(start + r - 2, start - 1, -1):
                _exchange(d2, index, t, t + 1)


def _exchange(d2, index, t: int, j: int, keep_loser: bool = True) -> None:
    """Row t gets the nearer of rows t and j (row t if equally near), row j the other one.

    Indices swap by arithmetic (i += nearer * (j - i)): np.where and masked copies are 10 times
    slower.
    """
    n = d2.shape[1]
    nearer = np.less(d2[j], d2[t], out=_WS.get("nearer", n, np.bool_))
    delta = np.subtract(index[j], index[t], out=_WS.get("delta", n, index.dtype))
    delta *= nearer
    index[t] += delta
    if keep_loser:
        index[j] -= delta
        spare = np.maximum(d2[t], d2[j], out=_WS.get("spare", n, np.float64))
        np.minimum(d2[t], d2[j], out=d2[t])
        d2[j] = spare
    else:
        np.minimum(d2[t], d2[j], out=d2[t])


def brute_force(bins: np.ndarray, pts: np.ndarray, k: int):
    """Exact k nearest of all bins: (k, n) indices and squared distances; ties to the lower index."""
    d2 = (pts[:, 0:1] - bins[:, 0]) ** 2 + (pts[:, 1:2] - bins[:, 1]) ** 2  # (n, n_bins)
    if k < d2.shape[1]:
        kth = np.partition(d2, k - 1, axis=1)[:, k - 1 : k]
        below, tie = d2 < kth, d2 == kth
        keep = below | (tie & (np.cumsum(tie, axis=1) <= k - below.sum(axis=1, keepdims=True)))
        index = np.nonzero(keep)[1].reshape(-1, k)  # exactly k per row, in bin order
    else:
        index = np.broadcast_to(np.arange(d2.shape[1]), d2.shape)
    return index.T.astype(np.int16), np.take_along_axis(d2, index, axis=1).T.copy()


def flat_positions(index: np.ndarray, first_row: int, row_width: int) -> np.ndarray:
    """Positions in a flattened (rows, row_width) array of ``index`` (k, n): column j is row
    first_row + j. A per-thread intp buffer."""
    n = index.shape[1]
    rows = np.arange(first_row * row_width, (first_row + n) * row_width, row_width)
    return np.add(index, rows, out=_WS.get("flat", index.shape, np.intp))


def gaussian_weights(d2: np.ndarray, sigma: float, exact: bool = False, out=None) -> np.ndarray:
    """exp(-d2 / (2 sigma^2)) normalised over axis 0; ``d2`` (k, n) is overwritten.

    The exponent is taken relative to the nearest bin: the same weights after normalising, and no
    0/0 for points far from every bin. exp runs in float32 unless ``exact``: without AVX-512,
    NumPy's float64 exp is 4-8 times slower and would dominate the whole encoding; float32 exp
    keeps the weights within about 1e-7 of the exact ones.

    Returns a per-thread float32 buffer (float64 if ``exact``), or writes float64 weights into
    ``out`` (k, n), which may be a transposed view: normalising and transposing in one pass.
    """
    d2 -= d2.min(axis=0)
    e = _WS.get("e", d2.shape, np.float64 if exact else np.float32)
    np.multiply(d2, -0.5 / sigma**2, out=e, casting="same_kind")
    np.exp(e, out=e)
    if out is None:
        e /= e.sum(axis=0)
        return e
    return np.divide(e, e.sum(axis=0, dtype=np.float64), out=out, dtype=np.float64)


_POOL = None


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_chunks(task, n: int) -> None:
    """Call ``task(start, stop)`` on chunks covering range(n), on a thread pool when there are several.

    NumPy releases the GIL inside its loops, so the chunks run in parallel on several cores. Chunks
    hold at most ``CHUNK`` points, and there are at least as many as cores when n allows.
    """
    global _POOL
    cores = min(_cores(), 8)
    count = max(-(-n // CHUNK), min(cores, n // 16384), 1)  # below 16384 points, threads cost more
    edges = [n * i // count for i in range(count + 1)]
    if count == 1:
        task(0, n)
        return
    if _POOL is None or _POOL[0] != os.getpid():  # a forked child has the pool but not its threads
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=cores, thread_name_prefix="chroma_lab"))
    futures = [_POOL[1].submit(task, a, b) for a, b in zip(edges[1:-1], edges[2:])]
    task(edges[0], edges[1])  # the calling thread takes the first chunk instead of waiting idle
    for future in futures:
        future.result()
