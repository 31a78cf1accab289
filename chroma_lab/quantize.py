"""One home for colour quantisation.

* The 313 in-gamut ab bins of Zhang, Isola and Efros (2016) and the encodings onto them:
  :func:`nearest_bin` (hard) and :func:`soft_encode` (Gaussian weights on the k nearest bins).
* The class prior over those bins, the rebalancing weights, and the annealed-mean decoding.
* Palettes as scikit-learn style estimators: :class:`KMeansPalette` and :class:`SOMPalette`.

NumPy functions work on any leading shape with ab on the last axis. The ``*_ops`` functions do the
same with ``keras.ops`` inside a model, on any backend.

The bins lie on a regular grid with step 10, so the k nearest bins of a point are among a few
bins listed once per grid cell (``chroma_lab._bin_search``): the same bins and distances as a search
over all 313, with equally near bins in bin-index order. The training targets of Zhang's losses use
the same lists in the graph (``_soft_encode_srgb_ops``): with the distances one coordinate at a
time, that made the targets a small part of a training step of the small network
(``benchmarks/train_throughput.py``), bit for bit the same targets.

The module is longer than most because quantisation has one home; its four
sections (bins and encodings, prior and decoding, ``keras.ops`` versions, palettes) read apart.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from chroma_lab import _bin_search
from chroma_lab._checks import check_choice, check_fitted, check_int, check_number
from chroma_lab.color import as_float_rgb, rgb_from_l_ab, rgb_to_lab, to_uint8
from chroma_lab.errors import ChromaLabError

GRID_STEP = 10
N_BINS = 313
# Zhang et al. 2016's settings, named once: every default below and in losses/models uses these.
SOFT_K = 5  # soft-encoding: each pixel's weight goes to its 5 nearest bins (Sec. 2.1)
SOFT_SIGMA = 5.0  # ... with a Gaussian kernel of sigma 5 ab units
REBALANCE_LAMBDA = 0.5  # eq. 4: mix of the empirical prior and the uniform distribution
ANNEALED_T = 0.38  # eq. 5: the annealed-mean temperature the paper settles on
# The published table, column by column: for each a (step 10), the bins run over b_min..b_max.
# It is the set of grid points whose +-10 square touches the convex hull of the sRGB gamut's
# projection onto the ab plane (tests/test_quantize.py re-derives it from the gamut).
_BIN_COLUMNS = (
    (-90, 50, 90), (-80, 20, 90), (-70, 0, 90), (-60, -20, 90), (-50, -30, 100),
    (-40, -40, 100), (-30, -50, 100), (-20, -50, 100), (-10, -60, 100), (0, -70, 100),
    (10, -80, 90), (20, -80, 90), (30, -90, 90), (40, -100, 90), (50, -100, 80),
    (60, -110, 80), (70, -110, 80), (80, -110, 70), (90, -110, 70), (100, -90, 0),
)  # fmt: skip

# ----------------------------------------------------------------------------------------------
# The 313 bins and the encodings onto them
# ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _bins() -> np.ndarray:
    pts = [(a, b) for a, lo, hi in _BIN_COLUMNS for b in range(lo, hi + 1, GRID_STEP)]
    out = np.array(pts, dtype=np.float64)
    out.flags.writeable = False
    return out


def ab_bins() -> np.ndarray:
    """The 313 in-gamut ab bin centres of Zhang et al. (2016).

    Returns
    -------
    ndarray of shape (313, 2), float64
        (a, b) pairs, sorted by a then b; a in -90..100, b in -110..100, step 10.
    """
    return _bins().copy()


@lru_cache(maxsize=8)
def _candidates(k: int):
    """Per-cell candidate bins of the k-nearest-bin search (``chroma_lab._bin_search``).

    None for k above ``_bin_search.MAX_K``: the search then measures distances to all 313 bins.
    """
    return _bin_search.build_candidates(_bins(), k) if k <= _bin_search.MAX_K else None


def _check_ab(ab, name: str = "ab") -> np.ndarray:
    ab = np.asarray(ab, dtype=np.float64)
    if ab.ndim == 0 or ab.shape[-1] != 2:
        raise ChromaLabError(f"{name} must have a and b on its last axis (shape (..., 2)), got {ab.shape}")
    return ab


def _check_k_sigma(k: int, sigma: float) -> tuple[int, float]:
    return check_int(k, "k", 1, N_BINS), check_number(sigma, "sigma", low=0, low_open=True)


def _search(ab, k: int, name: str = "ab"):
    """Leading shape of ``ab``, and the k nearest bins of its values with squared distances, (N, k)."""
    ab = _check_ab(ab, name)
    flat = ab.reshape(-1, 2)
    bad = flat.size - np.count_nonzero(np.isfinite(flat))
    if bad:
        raise ChromaLabError(f"{name} holds {bad} NaN or infinite values; a and b must be finite")
    index, d2 = _bin_search.k_nearest(_bins(), _candidates(k), flat, k)
    return ab.shape[:-1], index, d2


def k_nearest_bins(ab, k: int = SOFT_K) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest bins of each ab value, and their distances.

    Parameters
    ----------
    ab : array_like of shape (..., 2)
    k : int

    Returns
    -------
    indices : ndarray of shape (..., k), int
        Bin indices into :func:`ab_bins`, nearest first; equally near bins in index order.
    distances : ndarray of shape (..., k), float64
    """
    k = check_int(k, "k", 1, N_BINS)
    shape, index, d2 = _search(ab, k)
    return index.reshape(shape + (k,)), np.sqrt(d2).reshape(shape + (k,))


def nearest_bin(ab) -> np.ndarray:
    """Hard encoding: the index of the nearest of the 313 bins, shape (...,).

    Of two equally near bins, the lower index.
    """
    shape, index, _ = _search(ab, 1)
    return index.reshape(shape)


def soft_encode_sparse(ab, k: int = SOFT_K, sigma: float = SOFT_SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Soft-encoding in its compact form: the k bins each value spreads over, and their weights.

    Same numbers as :func:`soft_encode` without the 313-wide array, which is what a
    cross-entropy needs: -sum_j w_j log p[index_j].

    Returns
    -------
    index : ndarray of shape (..., k), int
        The k nearest bins, nearest first.
    weights : ndarray of shape (..., k), float64, summing to 1 over the last axis
    """
    k, sigma = _check_k_sigma(k, sigma)
    shape, index, d2 = _search(ab, k)
    return index.reshape(shape + (k,)), _gaussian_weights(d2, sigma).reshape(shape + (k,))


def soft_encode(ab, k: int = SOFT_K, sigma: float = SOFT_SIGMA, dtype=np.float32) -> np.ndarray:
    """Soft-encode ab values onto the 313 bins (Zhang et al. 2016, section 2.1).

    Each value spreads over its k nearest bins with Gaussian weights exp(-d^2 / (2 sigma^2)),
    normalised to sum to 1.

    Parameters
    ----------
    ab : array_like of shape (..., 2)
    k : int
        Number of nearest bins (the paper uses 5).
    sigma : float
        Gaussian width in ab units (the paper uses 5).
    dtype : numpy dtype
        Of the result; float32 by default, since a 256x256 image already takes 82 MB. The weights
        are computed in float64 and rounded once.

    Returns
    -------
    ndarray of shape (..., 313)
    """
    k, sigma = _check_k_sigma(k, sigma)
    shape, index, d2 = _search(ab, k)
    out = np.zeros((len(index), N_BINS), dtype=dtype)
    np.put_along_axis(out, index, _gaussian_weights(d2, sigma), axis=1)
    return out.reshape(shape + (N_BINS,))


def _gaussian_weights(d2: np.ndarray, sigma: float) -> np.ndarray:
    """exp(-d2 / (2 sigma^2)) normalised over the last axis, for d2 (N, k) sorted nearest first.

    The exponent is taken relative to the nearest bin: the same weights after normalising, and no
    0/0 for values far from every bin.
    """
    w = np.exp((d2[:, :1] - d2) / (2.0 * sigma**2))
    return w / w.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------
# Class prior, rebalancing, decoding
# ----------------------------------------------------------------------------------------------
def smooth_on_bins(values, sigma: float = 5.0) -> np.ndarray:
    """Convolve a distribution over the 313 bins with a Gaussian of width sigma (ab units)."""
    values = np.asarray(values, dtype=np.float64)
    bins = _bins()
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(axis=-1)
    return values @ np.exp(-d2 / (2.0 * sigma**2))  # the kernel is symmetric


def class_prior(ab_values, sigma: float | None = 5.0) -> np.ndarray:
    """Empirical distribution of ab values over the 313 bins.

    Parameters
    ----------
    ab_values : array_like of shape (..., 2)
        For example the ab channels of all training images, shape (n, H, W, 2).
    sigma : float or None
        Smooth the histogram with a Gaussian of this width on the ab plane (the paper uses 5);
        ``None`` or 0 returns the raw histogram.

    Returns
    -------
    ndarray of shape (313,), float64, summing to 1
    """
    ab = _check_ab(ab_values, "ab_values")
    if ab.size == 0:
        raise ChromaLabError("ab_values is empty: need at least one ab value to estimate a prior")
    return prior_from_counts(bin_counts(ab), sigma)


def bin_counts(ab_values) -> np.ndarray:
    """How many ab values fall in each of the 313 bins, shape (313,) int64: the histogram of
    :func:`class_prior`, which sums exactly over batches of a dataset too large to hold."""
    return np.bincount(nearest_bin(_check_ab(ab_values, "ab_values")).ravel(), minlength=N_BINS)


def prior_from_counts(counts, sigma: float | None = 5.0) -> np.ndarray:
    """:func:`class_prior` from bin counts (313,): normalised, then smoothed as there."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape != (N_BINS,) or counts.sum() <= 0:
        raise ChromaLabError(f"counts must be {N_BINS} bin counts with a positive sum, got shape {counts.shape}")
    prior = counts / counts.sum()
    if sigma:
        prior = smooth_on_bins(prior, sigma)
        prior /= prior.sum()
    return prior


def rebalance_weights(prior, lam: float = REBALANCE_LAMBDA) -> np.ndarray:
    """Class-rebalancing weights (Zhang et al. 2016, eq. 3-4).

    w is proportional to 1 / ((1 - lam) p + lam / Q), normalised so that sum(p * w) = 1: the
    expected weight of a pixel is 1, and rare colours weigh more than common ones.

    Parameters
    ----------
    prior : array_like of shape (Q,)
        Bin probabilities, e.g. from :func:`class_prior`.
    lam : float in [0, 1]
        Mixing with the uniform distribution; 0 divides by the prior, 1 gives no rebalancing.

    Returns
    -------
    ndarray of shape (Q,)
    """
    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.size == 0:
        raise ChromaLabError(f"prior must be a 1-D array of bin probabilities, got shape {prior.shape}")
    if np.any(prior < 0) or not np.isclose(prior.sum(), 1.0, atol=1e-6):
        raise ChromaLabError(f"prior must be non-negative and sum to 1, got sum {prior.sum():.6g}")
    lam = check_number(lam, "lam", 0.0, 1.0)
    mixed = (1.0 - lam) * prior + lam / prior.size
    with np.errstate(divide="ignore"):
        weights = 1.0 / mixed
    weights[~np.isfinite(weights)] = 0.0  # lam = 0 and an empty bin: nobody ever has that class
    return weights / np.sum(prior * weights)


def annealed_mean(probs, T: float = ANNEALED_T, bins=None) -> np.ndarray:
    """Decode per-pixel bin distributions into ab with the annealed mean (Zhang et al. eq. 5).

    f_T(z) = exp(log z / T) / sum_q exp(log z_q / T); the result is the mean of the bin centres
    under f_T(z). T = 1 gives the mean, T -> 0 the mode; the paper uses T = 0.38.

    Parameters
    ----------
    probs : array_like of shape (..., Q)
        Probabilities over the bins (non-negative; rows are renormalised).
    T : float >= 0
        Temperature. 0 returns the centre of the most probable bin.
    bins : array_like of shape (Q, 2), optional
        Bin centres; the 313 ab bins by default.

    Returns
    -------
    ndarray of shape (..., 2)
    """
    probs = np.asarray(probs, dtype=np.float64)
    centres = _bins() if bins is None else np.asarray(bins, dtype=np.float64)
    if probs.shape[-1:] != centres.shape[:1]:
        raise ChromaLabError(f"probs must have {centres.shape[0]} bins on its last axis, got {probs.shape}")
    T = check_number(T, "T", low=0.0)
    if T == 0:
        return centres[np.argmax(probs, axis=-1)]
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / T
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ centres


# ----------------------------------------------------------------------------------------------
# keras.ops versions
# ----------------------------------------------------------------------------------------------
def _squared_distances_ops(ab):
    from keras import ops

    ab = ops.cast(ab, "float32")
    bins = _bins()
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2 loses precision in float32 near a bin, so the difference
    # form, one coordinate at a time: the same float32 numbers as summing an (..., 313, 2)
    # difference over its last axis, without TensorFlow's reduction over an axis of 2, which cost
    # several times as much in a training step (benchmarks/train_throughput.py).
    da = ab[..., 0:1] - ops.convert_to_tensor(bins[:, 0], "float32")
    db = ab[..., 1:2] - ops.convert_to_tensor(bins[:, 1], "float32")
    return da * da + db * db


def nearest_bin_ops(ab):
    """:func:`nearest_bin` with ``keras.ops``: ab (..., 2) -> int indices (...,)."""
    from keras import ops

    return ops.argmin(_squared_distances_ops(ab), axis=-1)


def soft_encode_ops(ab, k: int = SOFT_K, sigma: float = SOFT_SIGMA):
    """:func:`soft_encode` with ``keras.ops``: ab (..., 2) -> float32 (..., 313).

    On an accelerator, distances to all 313 bins and a top-k are cheaper than gathers, so this
    version takes the k smallest distances directly; the weights equal :func:`soft_encode`'s.
    """
    return soft_encode_nearest_ops(ab, k, sigma)[0]


def soft_encode_nearest_ops(ab, k: int = SOFT_K, sigma: float = SOFT_SIGMA):
    """:func:`soft_encode_ops` and :func:`nearest_bin_ops` of the same ab, from one set of distances.

    Returns
    -------
    z : tensor of shape (..., 313), float32
    nearest : int tensor of shape (...,)
        The nearest bin, the lower index on a tie (as ``argmax(z)``; ``top_k`` orders ties
        differently on PyTorch).
    """
    from keras import ops

    _check_k_sigma(k, sigma)
    d2 = _squared_distances_ops(ab)
    kth = -ops.top_k(-d2, k=k, sorted=True)[0][..., k - 1 : k]
    logits = ops.where(d2 <= kth, -d2 / (2.0 * sigma**2), -1e9)
    return ops.softmax(logits, axis=-1), ops.argmin(d2, axis=-1)


# A float32 ab can land about 1e-5 from its float64 value, so across a cell border: the candidate
# lists of the in-graph search are built for cells widened by this much.
_OPS_CELL_MARGIN = 1e-2


@lru_cache(maxsize=8)
def _ops_candidates(k: int):
    return _bin_search.build_candidates(_bins(), k, eps=_OPS_CELL_MARGIN)


def _soft_encode_srgb_ops(ab, k: int = SOFT_K, sigma: float = SOFT_SIGMA):
    """:func:`soft_encode_nearest_ops` for the ab of sRGB colours, the k nearest found per grid cell.

    The same numbers, bit for bit: the k-th smallest distance is taken among the few candidate
    bins of the value's cell of ``chroma_lab._bin_search`` (at most 12 for k = 5) instead of a
    top-k over all 313 bins, which was a visible share of a training step of the small Zhang
    network (``benchmarks/train_throughput.py``). The candidate
    lists hold the k nearest bins of every point of the grid (a in -100..110, b in -120..110),
    which contains the ab of every sRGB colour (what :func:`chroma_lab.losses.target_ab` gives);
    values off the grid are clamped to its border cells and their encoding is then not exact,
    so for any other ab use :func:`soft_encode_nearest_ops`.

    Returns
    -------
    z : tensor of shape (..., 313), float32
    nearest : int tensor of shape (...,)
    """
    from keras import ops

    k, sigma = _check_k_sigma(k, sigma)
    if k > _bin_search.MAX_K:
        return soft_encode_nearest_ops(ab, k, sigma)
    candidates = _ops_candidates(k)
    d2 = _squared_distances_ops(ab)
    ab = ops.cast(ab, "float32")
    i = ops.clip(ops.floor((ab[..., 0] - _bin_search.ORIGIN[0]) / _bin_search.STEP), 0, _bin_search.SHAPE[0] - 1)
    j = ops.clip(ops.floor((ab[..., 1] - _bin_search.ORIGIN[1]) / _bin_search.STEP), 0, _bin_search.SHAPE[1] - 1)
    cell = ops.cast(i * _bin_search.SHAPE[1] + j, "int32")
    # each cell's bins in increasing order, then padding (-1): read as bin 0 and masked out
    index = ops.take(ops.convert_to_tensor(np.maximum(candidates.index, 0), "int32"), cell, axis=0)
    valid = ops.take(ops.convert_to_tensor(candidates.index >= 0), cell, axis=0)
    near = ops.where(valid, ops.take_along_axis(d2, index, axis=-1), np.inf)  # the same float32 d2
    kth = -ops.top_k(-near, k=k, sorted=True)[0][..., k - 1 : k]
    logits = ops.where(d2 <= kth, -d2 / (2.0 * sigma**2), -1e9)
    # the first of equal minima is the lower bin index (candidates are in increasing order) on
    # every backend, as argmax(z) is; top_k's order of ties differs on PyTorch
    nearest = ops.take_along_axis(index, ops.argmin(near, axis=-1)[..., None], axis=-1)[..., 0]
    return ops.softmax(logits, axis=-1), nearest


def annealed_mean_ops(z, T: float = ANNEALED_T, from_logits: bool = True):
    """:func:`annealed_mean` with ``keras.ops``.

    With ``from_logits=True`` (a model's raw output), exp(log softmax(z) / T) is proportional to
    exp(z / T), so the annealed distribution is simply softmax(z / T).
    """
    from keras import ops

    T = check_number(T, "T", low=0.0)
    z = ops.cast(z, "float32")
    bins = ops.convert_to_tensor(_bins(), "float32")
    if T == 0:
        return ops.take(bins, ops.argmax(z, axis=-1), axis=0)
    logits = z if from_logits else ops.log(ops.maximum(z, 1e-30))
    return ops.matmul(ops.softmax(logits / T, axis=-1), bins)


# ----------------------------------------------------------------------------------------------
# Palettes (scikit-learn style estimators)
# ----------------------------------------------------------------------------------------------
_SPACES = ("rgb", "ab")


def _pixels(images) -> np.ndarray:
    """All pixels of an image, a batch or a list of images, as float RGB 0..1, shape (N, 3)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ChromaLabError("images is an empty list")
        return np.concatenate([as_float_rgb(im, "images").reshape(-1, 3) for im in images])
    return as_float_rgb(images, "images").reshape(-1, 3)


class _Palette:
    """Shared machinery: sampling pixels, features in the chosen space, nearest-colour encoding."""

    def _validate(self) -> None:
        check_choice(self.space, "space", _SPACES)
        check_int(self.n_samples, "n_samples", 1)

    def _features(self, rgb01: np.ndarray) -> np.ndarray:
        return rgb01 if self.space == "rgb" else rgb_to_lab(rgb01)[..., 1:]

    def _sample(self, images) -> np.ndarray:
        pixels = _pixels(images)
        rng = np.random.default_rng(self.random_state)
        if len(pixels) > self.n_samples:
            pixels = pixels[rng.choice(len(pixels), self.n_samples, replace=False)]
        return self._features(pixels)

    def encode(self, images):
        """Palette index of every pixel.

        Parameters
        ----------
        images : ndarray of shape (..., 3) or list of such arrays
            uint8 or float RGB.

        Returns
        -------
        ndarray of shape (...,), int (a list of arrays for a list input)
        """
        from sklearn.metrics import pairwise_distances_argmin

        check_fitted(self, "palette_")
        if isinstance(images, (list, tuple)):
            return [self.encode(im) for im in images]
        rgb01 = as_float_rgb(images, "images")
        feats = self._features(rgb01).reshape(-1, self.palette_.shape[1])
        # scikit-learn works through the pixels in blocks of bounded memory
        out = pairwise_distances_argmin(feats, self.palette_)
        return out.reshape(rgb01.shape[:-1])

    def decode(self, indices) -> np.ndarray:
        """Palette colours of class indices: uint8 RGB (..., 3) for space="rgb", ab (..., 2) for "ab"."""
        check_fitted(self, "palette_")
        indices = np.asarray(indices)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.palette_)):
            raise ChromaLabError(f"indices must lie in 0..{len(self.palette_) - 1}")
        colours = self.palette_[indices]
        return to_uint8(colours) if self.space == "rgb" else colours

    def quantize(self, images) -> np.ndarray:
        """Replace every pixel by its palette colour, as uint8 RGB.

        In "ab" space the palette holds chroma only, so each pixel keeps its own lightness L*.
        """
        if isinstance(images, (list, tuple)):
            return [self.quantize(im) for im in images]
        decoded = self.decode(self.encode(images))
        if self.space == "rgb":
            return decoded
        return rgb_from_l_ab(rgb_to_lab(images)[..., 0], decoded)


class KMeansPalette(_Palette):
    """A palette of ``n_colors`` colours found by K-means (scikit-learn) on training pixels.

    Parameters
    ----------
    n_colors : int
        Palette size (32 in the seed report that colorizes with palette classes).
    space : {"rgb", "ab"}
        Cluster RGB colours (0..1) or the chroma plane ab of CIE Lab.
    n_samples : int
        Pixels sampled from the training images for clustering.
    n_init : int
        K-means restarts.
    random_state : int or None

    Attributes
    ----------
    palette_ : ndarray of shape (n_colors, 3) or (n_colors, 2)
        Colour centres in the chosen space.
    inertia_ : float
        Sum of squared distances of the sampled pixels to their centre.
    """

    def __init__(self, n_colors=32, space="rgb", n_samples=20000, n_init=4, random_state=0):
        self.n_colors = n_colors
        self.space = space
        self.n_samples = n_samples
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, images):
        """Cluster pixels of ``images`` (ndarray (..., 3) or list of arrays); returns self."""
        from sklearn.cluster import KMeans

        self._validate()
        check_int(self.n_colors, "n_colors", 1)
        feats = self._sample(images)
        distinct = len(np.unique(feats, axis=0))
        if distinct < self.n_colors:
            raise ChromaLabError(f"the images hold {distinct} distinct colour(s) in {self.space}, fewer "
                                 f"than the {self.n_colors} of the palette asked for")  # fmt: skip
        km = KMeans(self.n_colors, n_init=self.n_init, random_state=self.random_state).fit(feats)
        # sort the centres by their first feature (R for RGB, a* for ab; ties by the next), so
        # palettes from different seeds are easy to compare; indices thus follow R or a*
        order = np.lexsort(km.cluster_centers_.T[::-1])
        self.palette_ = km.cluster_centers_[order]
        self.inertia_ = float(km.inertia_)
        return self


class SOMPalette(_Palette):
    """Colour classes from a self-organising map (minisom), as in Richart, Visca, Baliosian 2017.

    Neighbouring map cells hold similar colours, so the classes are ordered on a 2-D grid.

    Parameters
    ----------
    shape : tuple of int
        Map size (rows, columns); (3, 3) gives 9 colour classes.
    space : {"ab", "rgb"}
    sigma : float
        Initial neighbourhood radius on the map.
    learning_rate : float
    n_iterations : int
        Training steps (one sampled pixel each).
    n_samples : int
        Pixels sampled from the training images.
    random_state : int or None

    Attributes
    ----------
    palette_ : ndarray of shape (rows * columns, dim)
        Map weights in row-major cell order.
    som_ : minisom.MiniSom
    """

    def __init__(self, shape=(3, 3), space="ab", sigma=1.0, learning_rate=0.5, n_iterations=5000,
                 n_samples=20000, random_state=0):  # fmt: skip
        self.shape = shape
        self.space = space
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.n_samples = n_samples
        self.random_state = random_state

    def fit(self, images):
        """Train the map on pixels of ``images``; returns self."""
        from minisom import MiniSom

        self._validate()
        if len(self.shape) != 2 or min(self.shape) < 1:
            raise ChromaLabError(f"shape must be (rows, columns) of positive ints, got {self.shape!r}")
        check_int(self.n_iterations, "n_iterations", 1)
        feats = self._sample(images)
        seed = None if self.random_state is None else int(self.random_state)
        som = MiniSom(int(self.shape[0]), int(self.shape[1]), feats.shape[1], sigma=self.sigma,
                      learning_rate=self.learning_rate, random_seed=seed)  # fmt: skip
        som.random_weights_init(feats)
        som.train_random(feats, int(self.n_iterations))
        self.som_ = som
        self.palette_ = som.get_weights().reshape(-1, feats.shape[1]).copy()
        return self
