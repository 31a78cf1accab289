"""Levin, Lischinski and Weiss (2004), "Colorization using Optimization": hints spread by a linear system.

Neighbouring pixels of similar lightness should have similar colours. For each pixel r and its
neighbours s in the 3x3 window around it (eq. 2 of the paper, on intensity Y = L*/100):

    w_rs ∝ exp(-(Y_r - Y_s)^2 / (2 σ_r^2)),   Σ_s w_rs = 1,

with σ_r^2 the variance of Y over the window. Minimising J(U) = Σ_r (U_r - Σ_s w_rs U_s)^2 with the
hinted pixels fixed makes every free pixel the weighted mean of its neighbours:

    U_r - Σ_s w_rs U_s = 0   for free r,        U_r = hint_r   for hinted r,

a sparse linear system with 9 entries a row, solved once per channel (a*, then b*, same matrix).
Moving the hinted pixels' known values to the right-hand side leaves (I - W)_ff u_f = W_fh u_h over
the free pixels only, which SciPy's SuperLU factorises once for both channels (benchmarks/bench_hints.py
times one solve at 256x256).

Two details from the authors' released code rather than the paper: σ_r^2 has a floor so that the
most similar neighbour keeps a weight of at least 0.01 of the largest possible one (in a flat window
the variance is 0 and all weights would otherwise underflow), and an absolute floor of 1e-6. Without
any hint the system has no unique solution (any constant solves it); the colorizer then returns
gray (ab = 0), the honest answer to "no colour information".
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from chroma_lab.errors import ChromaLabError
from chroma_lab.models.base import Colorizer

# The 8 neighbours of the 3x3 window (the pixel itself has no weight in its own row)
NEIGHBOURS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
# The most similar neighbour's weight is at least this (before normalising): the released code's
MIN_WEIGHT = 0.01
MIN_TWO_SIGMA2 = 2e-6  # intensity units (0..1) squared: a fully flat window


def affinity_weights(L) -> sp.csr_matrix:
    """The paper's weights w_rs for one image, as a sparse (H W) x (H W) matrix; rows sum to 1.

    Parameters
    ----------
    L : ndarray of shape (H, W)
        Lightness L* in 0..100 (pixels are numbered row by row, r = y W + x).

    Returns
    -------
    scipy.sparse.csr_matrix of shape (H W, H W)
        Row r holds w_rs for the (up to) 8 neighbours s of r.
    """
    Y = np.asarray(L, dtype=np.float64) / 100.0
    if Y.ndim != 2:
        raise ChromaLabError(f"L must have shape (H, W), got {Y.shape}")
    height, width = Y.shape
    index = np.arange(height * width).reshape(height, width)
    diff = np.full((len(NEIGHBOURS), height, width), np.nan)  # Y_s - Y_r, NaN off the image
    cols = np.zeros(diff.shape, dtype=np.int64)
    for k, (dy, dx) in enumerate(NEIGHBOURS):
        rows_r, cols_r = _inside(height, dy), _inside(width, dx)
        rows_s, cols_s = slice(rows_r.start + dy, rows_r.stop + dy), slice(cols_r.start + dx, cols_r.stop + dx)
        diff[k, rows_r, cols_r] = Y[rows_s, cols_s] - Y[rows_r, cols_r]
        cols[k, rows_r, cols_r] = index[rows_s, cols_s]
    inside = ~np.isnan(diff)
    # the window's variance, the pixel itself included (a variance ignores the shift by Y_r)
    window = np.concatenate([np.zeros((1, height, width)), diff])
    two_sigma2 = 2.0 * np.nanvar(window, axis=0)
    closest = np.nanmin(diff**2, axis=0)
    two_sigma2 = np.maximum(np.maximum(two_sigma2, closest / -np.log(MIN_WEIGHT)), MIN_TWO_SIGMA2)
    weights = np.where(inside, np.exp(-np.where(inside, diff, 0.0) ** 2 / two_sigma2), 0.0)
    weights /= weights.sum(axis=0, keepdims=True)
    rows = np.broadcast_to(index, diff.shape)
    size = height * width
    return sp.csr_matrix((weights[inside], (rows[inside], cols[inside])), shape=(size, size))


def propagate_hints(L, hint_ab, hint_mask) -> np.ndarray:
    """Solve the paper's system for one image: the ab that spreads the hints along similar lightness.

    Parameters
    ----------
    L : ndarray of shape (H, W), L* 0..100
    hint_ab : ndarray of shape (H, W, 2)
    hint_mask : ndarray of shape (H, W), bool

    Returns
    -------
    ndarray of shape (H, W, 2)
        Equal to ``hint_ab`` where ``hint_mask``; zeros everywhere when there is no hint.
    """
    height, width = np.shape(L)
    mask = np.asarray(hint_mask, dtype=bool).ravel()
    known = np.asarray(hint_ab, dtype=np.float64).reshape(-1, 2)
    ab = np.where(mask[:, None], known, 0.0)
    if not mask.any() or mask.all():  # nothing to spread, or nothing left to solve
        return ab.reshape(height, width, 2)
    weights = affinity_weights(L)
    free = ~mask
    system = sp.identity(int(free.sum()), format="csc") - weights[free][:, free].tocsc()
    rhs = weights[free][:, mask] @ known[mask]
    ab[free] = splu(system).solve(rhs)
    return ab.reshape(height, width, 2)


class LevinColorizer(Colorizer):
    """Levin et al. (2004): user colours spread along similar lightness; nothing to learn.

    ``fit(images)`` only checks the images and returns self (there are no parameters to learn);
    ``colorize(gray, hints=(ab, mask))`` solves :func:`propagate_hints` for each image. With no
    hints the result is gray. The image is solved at its own resolution: a hinted pixel keeps its
    hint exactly (up to the rounding of the RGB result).
    """

    takes_hints = True

    def _fit(self, images):
        pass

    def _predict_ab(self, L, hint_ab, hint_mask):
        return np.stack([propagate_hints(*image) for image in zip(L, hint_ab, hint_mask)])

    @classmethod
    def fitted(cls):
        """A ready colorizer (fitting learns nothing): what ``--model levin2004`` loads."""
        obj = cls()
        obj.is_fitted_ = True
        return obj


def _inside(size: int, step: int) -> slice:
    """The positions p along an axis of ``size`` whose neighbour p + step is inside too."""
    return slice(max(0, -step), size - max(0, step))
