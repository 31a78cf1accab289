"""One home for colour quantisation.

* The 313 in-gamut ab bins of Zhang, Isola and Efros (2016) and the encodings onto them:
  :func:`nearest_bin` (hard) and :func:`soft_encode` (Gaussian weights on the k nearest bins).
* The class prior over those bins, the rebalancing weights, and the annealed-mean decoding.
* Palettes as scikit-learn style estimators: :class:`KMeansPalette` and :class:`SOMPalette`.

NumPy functions work on any leading shape with ab on the last axis. The ``*_ops`` functions do the
same with ``keras.ops`` inside a model, on any backend.

The bins lie on a regular grid with step 10, so the k nearest bins of a point are found from short
lists precomputed for the small square of the ab plane the point falls in (which bins are surely
among the k nearest there, which may be), instead of a generic nearest-neighbour search over all
313 bins: same results, ties to the lower bin index, about 12 times faster on one core
(``chroma_lab._bin_search``, ``benchmarks/bench_core.py``).
"""

from __future__ import annotations

import weakref
from functools import lru_cache

import numpy as np

from chroma_lab import _bin_search
from chroma_lab.color import as_float_rgb, rgb_from_l_ab, rgb_to_lab, to_uint8

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

# soft_encode(out=buffer) remembers where it wrote into each buffer, so that the next call clears
# only those entries, not all 82 MB of a 256x256 image; a sample of the buffer tells whether
# someone else wrote into it meanwhile.
_LAST_WRITES: dict = {}
_SAMPLE_STRIDE = 4099  # a prime, so the sample visits every column

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
    """Per sub-cell candidate tables of the k-nearest-bin search (``chroma_lab._bin_search``).

    None for k above ``_bin_search.MAX_K``: the search then measures distances to all 313 bins.
    """
    return _bin_search.build_tables(_bins(), k) if k <= _bin_search.MAX_K else None


def _check_ab(ab, name: str = "ab") -> np.ndarray:
    ab = np.asarray(ab, dtype=np.float64)
    if ab.ndim == 0 or ab.shape[-1] != 2:
        raise ValueError(f"{name} must have a and b on its last axis (shape (..., 2)), got {ab.shape}")
    return ab


def _check_k_sigma(k: int, sigma: float) -> None:
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= N_BINS:
        raise ValueError(f"k must be an integer in 1..{N_BINS}, got {k!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")


def _ab_points(ab, name: str = "ab") -> tuple[np.ndarray, np.ndarray]:
    """``ab`` as float64 (..., 2), and its values as a C-contiguous (N, 2) array, all finite."""
    ab = _check_ab(ab, name)
    flat = ab.reshape(-1, 2)
    if not flat.flags.c_contiguous:  # e.g. lab[..., 1:]: column by column is 4x faster here
        flat = np.empty(flat.shape)
        flat[:, 0], flat[:, 1] = ab[..., 0].reshape(-1), ab[..., 1].reshape(-1)
    bad = flat.size - np.count_nonzero(np.isfinite(flat))
    if bad:
        raise ValueError(f"{name} holds {bad} NaN or infinite values; a and b must be finite")
    return ab, flat


def k_nearest_bins(ab, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
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
    _check_k_sigma(k, 1.0)
    ab, flat = _ab_points(ab)
    k = int(k)
    tables = _candidates(k)
    idx = np.empty((len(flat), k), dtype=np.intp)
    d2 = np.empty((len(flat), k))

    def task(start, stop):
        index, dist2 = _bin_search.search(tables, _bins(), flat[start:stop], k)
        idx[start:stop], d2[start:stop] = index.T, dist2.T

    _bin_search.run_chunks(task, len(flat))
    if k > 1:  # nearest first; equal distances in bin order, so ties resolve the same way every time
        by_index = np.argsort(idx, axis=1)
        idx, d2 = np.take_along_axis(idx, by_index, 1), np.take_along_axis(d2, by_index, 1)
        order = np.argsort(d2, axis=1, kind="stable")
        idx, d2 = np.take_along_axis(idx, order, 1), np.take_along_axis(d2, order, 1)
    return idx.reshape(ab.shape[:-1] + (k,)), np.sqrt(d2).reshape(ab.shape[:-1] + (k,))


def nearest_bin(ab) -> np.ndarray:
    """Hard encoding: the index of the nearest of the 313 bins, shape (...,)."""
    return k_nearest_bins(ab, k=1)[0][..., 0]


def soft_encode_sparse(ab, k: int = 5, sigma: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Soft-encoding in its compact form: the k bins each value spreads over, and their weights.

    Same numbers as :func:`soft_encode` without the 313-wide array, which is what a
    cross-entropy needs: -sum_j w_j log p[index_j].

    Returns
    -------
    index : ndarray of shape (..., k), int
        The k nearest bins, in no particular order.
    weights : ndarray of shape (..., k), float64, summing to 1 over the last axis
        Within about 1e-7 of the exact Gaussian weights (the exponential runs in float32).
    """
    _check_k_sigma(k, sigma)
    ab, flat = _ab_points(ab)
    k = int(k)
    tables = _candidates(k)
    index = np.empty((len(flat), k), dtype=np.intp)
    weights = np.empty((len(flat), k))

    def task(start, stop):
        idx, d2 = _bin_search.search(tables, _bins(), flat[start:stop], k)
        index[start:stop] = idx.T
        _bin_search.gaussian_weights(d2, sigma, out=weights[start:stop].T)

    _bin_search.run_chunks(task, len(flat))
    return index.reshape(ab.shape[:-1] + (k,)), weights.reshape(ab.shape[:-1] + (k,))


def soft_encode(ab, k: int = 5, sigma: float = 5.0, dtype=np.float32, out=None) -> np.ndarray:
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
        Of the result; float32 by default, since a 256x256 image already takes 82 MB. float64
        results are exact; smaller types are within about 1e-7 (the exponential runs in float32).
    out : ndarray of shape (N, 314), optional
        A C-contiguous buffer to reuse between calls of the same size (N = number of ab values),
        as the reference implementation does; the result is then a view into it, of its dtype.
        The next call with the same buffer clears only the entries this call wrote (a buffer
        changed in between is detected by sampling and cleared in full).

    Returns
    -------
    ndarray of shape (..., 313)
    """
    _check_k_sigma(k, sigma)
    ab, flat = _ab_points(ab)
    k = int(k)
    n, tables = len(flat), _candidates(k)
    record = None
    if out is None:
        out = np.zeros((n, N_BINS + 1), dtype=dtype)  # the OS zeroes the pages lazily, on first write
    elif out.shape != (n, N_BINS + 1):
        raise ValueError(f"out must have shape {(n, N_BINS + 1)}, got {out.shape}")
    elif not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be a writeable C-contiguous array, such as np.zeros((N, 314))")
    else:
        record = _reuse_record(out, k)
    values = out.reshape(-1)
    positions, clear = None, "none"
    if record is not None:
        positions = record["positions"]  # (k, n): where each row's k weights went last time
        clear = "written" if record["valid"] else "all"
        record["valid"] = False  # until every chunk below has run

    def task(start, stop):
        idx, d2 = _bin_search.search(tables, _bins(), flat[start:stop], k)
        weights = _bin_search.gaussian_weights(d2, sigma, exact=out.dtype == np.float64)
        idx = _bin_search.flat_positions(idx, start, N_BINS + 1)
        if clear == "written":  # only this chunk's rows: chunks run in parallel
            values[positions[:, start:stop]] = 0
        elif clear == "all":
            out[start:stop] = 0
        values[idx] = weights
        if positions is not None:
            positions[:, start:stop] = idx

    _bin_search.run_chunks(task, n)
    if record is not None:
        record.update(valid=True, sample=values[::_SAMPLE_STRIDE].copy())
    return out[:, :N_BINS].reshape(ab.shape[:-1] + (N_BINS,))


def _reuse_record(out: np.ndarray, k: int) -> dict:
    """What soft_encode remembers of a reused ``out``: the flat positions it wrote last time.

    ``valid`` is False for a buffer seen for the first time, or one whose contents changed since
    (label smoothing, ``+=`` ...: most such changes touch some of the sampled entries); it is then
    cleared in full.
    """
    key = id(out)
    record = _LAST_WRITES.get(key)
    if record is not None and record["ref"]() is out and record["k"] == k:
        if not np.array_equal(out.reshape(-1)[::_SAMPLE_STRIDE], record["sample"]):
            record["valid"] = False
        return record

    def forget(ref):
        if key in _LAST_WRITES and _LAST_WRITES[key]["ref"] is ref:
            del _LAST_WRITES[key]

    record = {"ref": weakref.ref(out, forget), "k": k, "valid": False,
              "positions": np.empty((k, len(out)), dtype=np.intp)}  # fmt: skip
    _LAST_WRITES[key] = record
    return record


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
        raise ValueError("ab_values is empty: need at least one ab value to estimate a prior")
    counts = np.bincount(nearest_bin(ab).ravel(), minlength=N_BINS).astype(np.float64)
    prior = counts / counts.sum()
    if sigma:
        prior = smooth_on_bins(prior, sigma)
        prior /= prior.sum()
    return prior


def rebalance_weights(prior, lam: float = 0.5) -> np.ndarray:
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
        raise ValueError(f"prior must be a 1-D array of bin probabilities, got shape {prior.shape}")
    if np.any(prior < 0) or not np.isclose(prior.sum(), 1.0, atol=1e-6):
        raise ValueError(f"prior must be non-negative and sum to 1, got sum {prior.sum():.6g}")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam!r}")
    mixed = (1.0 - lam) * prior + lam / prior.size
    with np.errstate(divide="ignore"):
        weights = 1.0 / mixed
    weights[~np.isfinite(weights)] = 0.0  # lam = 0 and an empty bin: nobody ever has that class
    return weights / np.sum(prior * weights)


def annealed_mean(probs, T: float = 0.38, bins=None) -> np.ndarray:
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
        raise ValueError(f"probs must have {centres.shape[0]} bins on its last axis, got {probs.shape}")
    if not T >= 0:
        raise ValueError(f"T must be >= 0, got {T!r}")
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
    bins = ops.convert_to_tensor(_bins(), "float32")
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2 loses precision in float32 near a bin; the difference form
    # is exact enough and the (..., 313, 2) intermediate is small next to a conv layer.
    diff = ops.expand_dims(ab, -2) - bins
    return ops.sum(diff * diff, axis=-1)


def nearest_bin_ops(ab):
    """:func:`nearest_bin` with ``keras.ops``: ab (..., 2) -> int indices (...,)."""
    from keras import ops

    return ops.argmin(_squared_distances_ops(ab), axis=-1)


def soft_encode_ops(ab, k: int = 5, sigma: float = 5.0):
    """:func:`soft_encode` with ``keras.ops``: ab (..., 2) -> float32 (..., 313).

    On an accelerator, distances to all 313 bins and a top-k are cheaper than gathers, so this
    version takes the k smallest distances directly; the weights equal :func:`soft_encode`'s.
    """
    from keras import ops

    _check_k_sigma(k, sigma)
    d2 = _squared_distances_ops(ab)
    kth = -ops.top_k(-d2, k=k, sorted=True)[0][..., k - 1 : k]
    logits = ops.where(d2 <= kth, -d2 / (2.0 * sigma**2), -1e9)
    return ops.softmax(logits, axis=-1)


def annealed_mean_ops(z, T: float = 0.38, from_logits: bool = True):
    """:func:`annealed_mean` with ``keras.ops``.

    With ``from_logits=True`` (a model's raw output), exp(log softmax(z) / T) is proportional to
    exp(z / T), so the annealed distribution is simply softmax(z / T).
    """
    from keras import ops

    if not T >= 0:
        raise ValueError(f"T must be >= 0, got {T!r}")
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
            raise ValueError("images is an empty list")
        return np.concatenate([as_float_rgb(im, "images").reshape(-1, 3) for im in images])
    return as_float_rgb(images, "images").reshape(-1, 3)


class _Palette:
    """Shared machinery: sampling pixels, features in the chosen space, nearest-colour encoding."""

    def _validate(self) -> None:
        if self.space not in _SPACES:
            raise ValueError(f"space must be one of {_SPACES}, got {self.space!r}")
        if not isinstance(self.n_samples, (int, np.integer)) or self.n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {self.n_samples!r}")

    def _features(self, rgb01: np.ndarray) -> np.ndarray:
        return rgb01 if self.space == "rgb" else rgb_to_lab(rgb01)[..., 1:]

    def _sample(self, images) -> np.ndarray:
        pixels = _pixels(images)
        rng = np.random.default_rng(self.random_state)
        if len(pixels) > self.n_samples:
            pixels = pixels[rng.choice(len(pixels), self.n_samples, replace=False)]
        return self._features(pixels)

    def _check_fitted(self) -> None:
        if not hasattr(self, "palette_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(images) first")

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
        self._check_fitted()
        if isinstance(images, (list, tuple)):
            return [self.encode(im) for im in images]
        rgb01 = as_float_rgb(images, "images")
        feats = self._features(rgb01).reshape(-1, self.palette_.shape[1])
        out = np.empty(len(feats), dtype=np.intp)
        for start in range(0, len(feats), 65536):  # bounded memory for big batches
            chunk = feats[start : start + 65536]
            d2 = ((chunk[:, None, :] - self.palette_[None, :, :]) ** 2).sum(-1)
            out[start : start + 65536] = d2.argmin(axis=1)
        return out.reshape(rgb01.shape[:-1])

    def decode(self, indices) -> np.ndarray:
        """Palette colours of class indices: uint8 RGB (..., 3) for space="rgb", ab (..., 2) for "ab"."""
        self._check_fitted()
        indices = np.asarray(indices)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.palette_)):
            raise ValueError(f"indices must lie in 0..{len(self.palette_) - 1}")
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
        if not isinstance(self.n_colors, (int, np.integer)) or self.n_colors < 1:
            raise ValueError(f"n_colors must be a positive integer, got {self.n_colors!r}")
        feats = self._sample(images)
        if len(np.unique(feats, axis=0)) < self.n_colors:
            raise ValueError(
                f"the images hold fewer distinct colours than n_colors={self.n_colors}; lower n_colors"
            )
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
            raise ValueError(f"shape must be (rows, columns) of positive ints, got {self.shape!r}")
        feats = self._sample(images)
        seed = None if self.random_state is None else int(self.random_state)
        som = MiniSom(int(self.shape[0]), int(self.shape[1]), feats.shape[1], sigma=self.sigma,
                      learning_rate=self.learning_rate, random_seed=seed)  # fmt: skip
        som.random_weights_init(feats)
        som.train_random(feats, int(self.n_iterations))
        self.som_ = som
        self.palette_ = som.get_weights().reshape(-1, feats.shape[1]).copy()
        return self
