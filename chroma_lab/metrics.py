"""How close is a colorization to the truth? The numbers of Zhang, Isola, Efros (2016), Table 1.

Every function takes the true and the predicted colour images as uint8 RGB arrays of the same
shape, either one image (H, W, 3) or a batch (n, H, W, 3). Distances are measured in the ab plane
of CIE Lab: the colorizer is given L*, so only a* and b* are its prediction.

* :func:`ab_errors`, :func:`mean_ab_error`, :func:`fraction_within`: per-pixel Euclidean distance
  in ab, its mean, and the share of pixels closer than a threshold.
* :func:`accuracy_curve`, :func:`auc_raw`, :func:`auc_rebalanced`: the share of pixels within each
  threshold 0..150, and the area under that curve in percent ("AuC"). The rebalanced version
  weighs every pixel by the inverse frequency of its true colour, so the rare saturated colours
  count as much as the frequent grays, browns and sky blues. Predicting gray scores well on the
  raw AuC and badly on the rebalanced one: that is why the paper reports both.
* :func:`psnr`, :func:`ssim` (per image, averaged) and :func:`colorfulness` (Hasler and
  Suesstrunk 2003).
* :func:`image_scores`: the measures of Zhang et al.'s table in one dict, for tables.
* Coherence, measured against the true surfaces (a region map: every pixel labelled with the
  surface it belongs to, from :func:`chroma_lab.scenes.synthetic_scenes` or, on photos,
  :func:`lightness_regions`): :func:`surface_incoherence`, the colour variation inside a surface
  that the truth does not have (blotches, colour changing within a wall), and
  :func:`edge_bleeding`, the share of the truth's colour contrast across surface edges that the
  prediction loses (colour leaking from one surface into the next, or no edges at all).
  :func:`all_scores` gives every measure of this module in one dict.

NumPy only at import time (scikit-image is imported inside :func:`ssim` and
:func:`lightness_regions`), so ``import chroma_lab.metrics`` stays light.

Why one file: every measure the lessons, the benchmarks and the harness report
lives here, with its definition in its docstring, so a student looks up "what does AuC mean" and
"what does bleeding mean" in the same place. The surface measures (incoherence, bleeding,
regions) are the natural part to split off if it grows.
"""

from __future__ import annotations

import numpy as np

from chroma_lab._checks import check_int, check_number
from chroma_lab.color import rgb_to_lab
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.quantize import N_BINS, class_prior, nearest_bin

DEFAULT_MAX_THRESHOLD = 150  # ab units; the sweep of Zhang et al. (2016)


# ----------------------------------------------------------------------------------------------
# Per-pixel ab distance
# ----------------------------------------------------------------------------------------------
def ab_errors(true_rgb, pred_rgb) -> np.ndarray:
    """Euclidean distance in the ab plane between true and predicted colours, per pixel.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
        Same shape.

    Returns
    -------
    ndarray of shape (n, H, W) or (H, W), float64
        sqrt((a_true - a_pred)^2 + (b_true - b_pred)^2) in ab units (Lab via
        :func:`chroma_lab.color.rgb_to_lab`).
    """
    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    return _distance(rgb_to_lab(true_rgb)[..., 1:], rgb_to_lab(pred_rgb)[..., 1:])


def mean_ab_error(true_rgb, pred_rgb) -> float:
    """Mean over all pixels of :func:`ab_errors` (ab units; 0 for a perfect colorization)."""
    return float(np.mean(ab_errors(true_rgb, pred_rgb)))


def fraction_within(true_rgb, pred_rgb, threshold: float = 10.0) -> float:
    """Share of pixels (0..1) whose ab error is at most ``threshold`` ab units."""
    threshold = check_number(threshold, "threshold", low=0.0, high=np.inf, high_open=True)
    return float(np.mean(ab_errors(true_rgb, pred_rgb) <= threshold))


# ----------------------------------------------------------------------------------------------
# Accuracy curve and its area (AuC)
# ----------------------------------------------------------------------------------------------
def accuracy_curve(true_rgb, pred_rgb, thresholds=None, weights=None) -> np.ndarray:
    """Share of pixels whose ab error is at most each threshold (a cumulative distribution).

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    thresholds : array_like of shape (T,), optional
        Distances in ab units; ``np.arange(0, 151)`` (0, 1, ..., 150) by default.
    weights : array_like of shape (n, H, W) or (H, W), optional
        Non-negative per-pixel weights (the shape of the images without the channel axis);
        the curve is then the weighted share. None weighs all pixels equally.

    Returns
    -------
    ndarray of shape (T,), float64 in 0..1
        Non-decreasing in the threshold; 1 everywhere for identical images (error 0 <= 0).
    """
    errors = ab_errors(true_rgb, pred_rgb)
    thresholds = np.arange(0, DEFAULT_MAX_THRESHOLD + 1) if thresholds is None else thresholds
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.size == 0 or not np.all(np.isfinite(thresholds)):
        raise ChromaLabError(f"thresholds must be a non-empty 1-D array of finite distances, "
                             f"got shape {thresholds.shape}")  # fmt: skip
    return _curve(errors, thresholds, _check_weights(weights, errors.shape))


def auc_raw(true_rgb, pred_rgb, max_threshold: int = DEFAULT_MAX_THRESHOLD) -> float:
    """Area under the accuracy curve over thresholds 0..max_threshold, in percent (0..100).

    The curve is sampled at the integer thresholds 0, 1, ..., max_threshold, integrated with the
    trapezoid rule and divided by ``max_threshold``: 100 for identical images, and for a constant
    error of d ab units (0 < d < max_threshold, d not an integer),
    (max_threshold - ceil(d) + 0.5) / max_threshold * 100. This is the "AuC" column of
    Zhang et al. (2016), Table 1.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    max_threshold : int
        Largest threshold of the sweep, >= 1 (150 in the paper).

    Returns
    -------
    float in 0..100
    """
    return _auc(ab_errors(true_rgb, pred_rgb), None, max_threshold)


def auc_rebalanced(true_rgb, pred_rgb, prior=None,
                   max_threshold: int = DEFAULT_MAX_THRESHOLD) -> float:
    """:func:`auc_raw` with every pixel weighted by 1 / p(its true colour class), in percent.

    The class of a pixel is the nearest of the 313 ab bins of its *true* colour
    (:func:`chroma_lab.quantize.nearest_bin`). This is the "AuC rebal" column of Zhang et al.
    (2016), Table 1: frequent low-saturation colours no longer dominate, so a gray prediction no
    longer scores well.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    prior : array_like of shape (313,), optional
        Class probabilities, e.g. a training-set prior from
        :func:`chroma_lab.quantize.class_prior` or Zhang et al.'s ImageNet ``prior_probs.npy``;
        it is not renormalised (only ratios matter). Every class present in ``true_rgb`` needs a
        positive probability. None (the default) uses the raw histogram of the true images
        themselves, ``class_prior(true ab, sigma=None)``: every class present then has a positive
        probability, and each class carries the same total weight, so the curve is the average
        over the colour classes present of each class's own accuracy curve.
    max_threshold : int
        Largest threshold of the sweep, >= 1.

    Returns
    -------
    float in 0..100
    """
    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    true_ab, pred_ab = rgb_to_lab(true_rgb)[..., 1:], rgb_to_lab(pred_rgb)[..., 1:]
    return _auc(_distance(true_ab, pred_ab), _inverse_prior_weights(true_ab, prior), max_threshold)


# ----------------------------------------------------------------------------------------------
# Whole-image measures
# ----------------------------------------------------------------------------------------------
def psnr(true_rgb, pred_rgb) -> float:
    """Peak signal-to-noise ratio on RGB 0..255, in dB: per image, then averaged over images.

    PSNR = 10 log10(255^2 / MSE), with the MSE over all pixels and channels of one image. Averaging
    per-image values (as Zhang et al.'s evaluation does) gives every image the same say whatever
    its size; one perfect image makes the average ``inf``.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB

    Returns
    -------
    float
        dB; ``inf`` when an image is reproduced exactly.
    """
    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    diff = true_rgb.astype(np.float64) - pred_rgb.astype(np.float64)
    batch = diff if diff.ndim == 4 else diff[None]
    mse = np.mean(batch.reshape(len(batch), -1) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        per_image = 10.0 * np.log10(255.0**2 / mse)
    return float(np.mean(per_image))


def colorfulness(rgb) -> float:
    """Colourfulness of Hasler and Suesstrunk (2003), per image, averaged over images.

    With rg = R - G and yb = (R + G) / 2 - B on 0..255 values, one image scores
    sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2) (population standard
    deviations over its pixels). 0 for a gray image; above about 60 is "very colourful" on their
    scale. Desaturated colorizations (the regression loss) score low.

    Parameters
    ----------
    rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB

    Returns
    -------
    float
    """
    rgb = _check_rgb(rgb, "rgb").astype(np.float64)
    batch = rgb if rgb.ndim == 4 else rgb[None]
    flat = batch.reshape(len(batch), -1, 3)
    r, g, b = flat[..., 0], flat[..., 1], flat[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    spread = np.sqrt(rg.std(axis=1) ** 2 + yb.std(axis=1) ** 2)
    offset = np.sqrt(rg.mean(axis=1) ** 2 + yb.mean(axis=1) ** 2)
    return float(np.mean(spread + 0.3 * offset))


def ssim(true_rgb, pred_rgb) -> float:
    """Structural similarity (Wang et al. 2004) on RGB 0..255: per image, averaged over images.

    :func:`skimage.metrics.structural_similarity` with ``data_range=255`` and
    ``channel_axis=-1`` (the mean of the three channels' SSIM), on a 7x7 uniform window, or the
    largest odd window that fits an image smaller than 7 pixels on a side. 1 for identical images.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
        At least 3 pixels on each side.

    Returns
    -------
    float in -1..1
    """
    from skimage.metrics import structural_similarity

    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    side = min(true_rgb.shape[-3:-1])
    if side < 3:
        raise ChromaLabError(f"ssim needs images of at least 3x3 pixels, got {true_rgb.shape[-3:-1]}")
    win_size = min(7, side if side % 2 else side - 1)
    batch_true = true_rgb if true_rgb.ndim == 4 else true_rgb[None]
    batch_pred = pred_rgb if pred_rgb.ndim == 4 else pred_rgb[None]
    return float(np.mean([structural_similarity(t, p, data_range=255, channel_axis=-1,
                                                win_size=win_size)
                          for t, p in zip(batch_true, batch_pred)]))  # fmt: skip


def image_scores(true_rgb, pred_rgb, prior=None) -> dict:
    """All the measures of this module at once.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    prior : array_like of shape (313,), optional
        For :func:`auc_rebalanced`.

    Returns
    -------
    dict
        ``mean_ab_error`` (ab units), ``within_10`` (0..1), ``auc_raw`` and ``auc_rebalanced``
        (0..100), ``psnr`` (dB), ``colorfulness`` of the prediction and ``colorfulness_true``.
    """
    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    # Lab once for all measures: the conversion dominates the cost
    true_ab, pred_ab = rgb_to_lab(true_rgb)[..., 1:], rgb_to_lab(pred_rgb)[..., 1:]
    errors = _distance(true_ab, pred_ab)
    return {
        "mean_ab_error": float(errors.mean()),
        "within_10": float(np.mean(errors <= 10.0)),
        "auc_raw": _auc(errors, None, DEFAULT_MAX_THRESHOLD),
        "auc_rebalanced": _auc(errors, _inverse_prior_weights(true_ab, prior),
                               DEFAULT_MAX_THRESHOLD),
        "psnr": psnr(true_rgb, pred_rgb),
        "colorfulness": colorfulness(pred_rgb),
        "colorfulness_true": colorfulness(true_rgb),
    }


# ----------------------------------------------------------------------------------------------
# Coherence: colour inside surfaces and across their edges, against the true surfaces
# ----------------------------------------------------------------------------------------------
DEFAULT_EDGE_WIDTH = 2  # pixels; anti-aliased edges spread one surface's colour over one pixel


def surface_incoherence(true_rgb, pred_rgb, regions) -> float:
    """Colour variation inside the true surfaces that the truth does not have, in ab units.

    For a pixel p of surface R (a region of ``regions``), with P and T the predicted and true ab
    and ``mean_R`` the mean over the pixels of R in the same image, the pixel's incoherence is
    ``|(P_p - mean_R P) - (T_p - mean_R T)|`` (Euclidean in ab); the result is its mean over all
    pixels of all images, i.e. the pixel-weighted mean over surfaces.

    It subtracts each surface's mean colour, so it does not care *which* colour a surface gets
    (that is :func:`mean_ab_error`'s job): a surface painted in one wrong but even colour scores
    0, and so does a perfect prediction. A blotch of another colour inside a wall, a surface that
    changes colour half-way, or colour leaking in from a neighbour scores above 0. A prediction
    flatter than the truth pays for the truth's own variation inside its surfaces (texture,
    gradients), so uniform output is not free here either; and :func:`edge_bleeding` catches the
    edges it loses.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    regions : ndarray of shape (n, H, W) or (H, W), int
        The surface of each pixel; any non-negative labels, the same label in two images being
        two different surfaces.

    Returns
    -------
    float >= 0, ab units
    """
    true_ab, pred_ab, regions = _coherence_inputs(true_rgb, pred_rgb, regions)
    return _incoherence(true_ab, pred_ab, regions)


def edge_bleeding(true_rgb, pred_rgb, regions, width: int = DEFAULT_EDGE_WIDTH) -> float:
    """Share (0..1) of the truth's colour contrast across surface edges that the prediction loses.

    Edge pairs are the pixel pairs (p, q) of one image, q = p + k steps right or down with
    k = 1..``width``, that lie in different surfaces (``regions[p] != regions[q]``); ``width``
    above 1 also looks across the anti-aliased pixel of an edge. For each pair the truth's
    contrast is ``c_T = |T_p - T_q|`` and the prediction's ``c_P = |P_p - P_q|`` (Euclidean in ab),
    and the result is ``sum max(0, c_T - c_P) / sum c_T`` over all edge pairs of all images.

    0 when the prediction keeps at least the truth's contrast across every edge (a perfect one,
    or one with other colours but edges as sharp); 1 for a uniform prediction when the truth has
    any coloured edge (the failure of the coherence loss of seed 000, which learned to predict a
    single colour); in between when colour leaks or blurs across edges: a flat square whose colour
    spreads past its border into the neighbour loses the contrast at the border. Contrast beyond
    the truth's is neither rewarded nor penalised here: per-pixel noise (the random-colours
    baseline) keeps every edge "sharp" and bleeds little, and pays in :func:`surface_incoherence`
    instead. Read the two together.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    regions : ndarray of shape (n, H, W) or (H, W), int
        The surface of each pixel (see :func:`surface_incoherence`).
    width : int
        Pair distance in pixels, >= 1.

    Returns
    -------
    float in 0..1, or NaN when the truth has no colour contrast across any edge (one surface,
    or surfaces that differ in lightness only): there is then no colour to bleed.
    """
    width = check_int(width, "width", low=1)
    true_ab, pred_ab, regions = _coherence_inputs(true_rgb, pred_rgb, regions)
    lost, contrast = _bleeding_sums(true_ab, pred_ab, regions, width)
    return lost / contrast if contrast > 0 else float("nan")


def lightness_regions(true_rgb, scale: float | None = None, min_size: int | None = None) -> np.ndarray:
    """Surfaces of photos guessed from their lightness: a Felzenszwalb-Huttenlocher segmentation of L*.

    Photos come without a region map, so the coherence measures need one guessed from the
    truth. It is guessed from L* only: that is what the colorizer sees, so an edge it cannot
    see (two colours of the same lightness) is not held against it, and the segmentation does
    not depend on the colours being judged. :func:`skimage.segmentation.felzenszwalb` merges
    pixels into a region while the lightness step between them is small compared with the
    variation already inside the region, so it returns whole surfaces (a flat wall, a sky
    gradient) rather than compact superpixels that would cut a surface into pieces (SLIC), and
    it partitions every pixel, unlike thresholded Sobel edges that leave the edge pixels
    unassigned. L* is not smoothed first (felzenszwalb's ``sigma=0``): smoothing turns a sharp
    step into a ramp that comes back as thin ring regions along every edge. On the synthetic
    scenes at 64x64 its borders lie within one pixel of a true surface edge about half the time
    and find about 80% of the true edges (the rest are edges between colours of similar
    lightness), and the measures follow the exact ones: on 20 scenes, the truth blurred in ab by
    a Gaussian of sigma 1, 2, 4 px bleeds 0.46, 0.66, 0.81 here against 0.45, 0.70, 0.86 on the
    exact map. Measure on the exact region map where you have one.

    Parameters
    ----------
    true_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    scale : float, optional
        Felzenszwalb's scale on L* / 100 (larger: fewer, bigger regions); by default
        ``0.025 * H * W`` (102 at 64x64), so the number of regions hardly depends on the size.
    min_size : int, optional
        Smallest region in pixels; by default ``max(4, H * W // 400)`` (10 at 64x64).

    Returns
    -------
    ndarray of shape (n, H, W) or (H, W), int32
        Region labels 0..k-1 per image.
    """
    from skimage.segmentation import felzenszwalb

    rgb = _check_rgb(true_rgb, "true_rgb")
    height, width = rgb.shape[-3:-1]
    scale = 0.025 * height * width if scale is None else check_number(scale, "scale", low=0.0,
                                                                        low_open=True)
    min_size = max(4, height * width // 400) if min_size is None else check_int(min_size,
                                                                                  "min_size", low=1)
    lightness = rgb_to_lab(rgb if rgb.ndim == 4 else rgb[None])[..., 0] / 100.0
    labels = np.stack([felzenszwalb(L, scale=scale, sigma=0.0, min_size=min_size,
                                    channel_axis=None) for L in lightness]).astype(np.int32)
    return labels if rgb.ndim == 4 else labels[0]


def all_scores(true_rgb, pred_rgb, regions, prior=None, width: int = DEFAULT_EDGE_WIDTH) -> dict:
    """Every measure of this module for one set of images, pooled as each measure defines it.

    Parameters
    ----------
    true_rgb, pred_rgb : ndarray of shape (n, H, W, 3) or (H, W, 3), uint8 RGB
    regions : ndarray of shape (n, H, W) or (H, W), int
        True surfaces, for the coherence measures.
    prior : array_like of shape (313,), optional
        For :func:`auc_rebalanced`.
    width : int
        For :func:`edge_bleeding`.

    Returns
    -------
    dict
        The keys of :func:`image_scores`, plus ``colorfulness_gap`` (prediction minus truth:
        negative is duller than the truth), ``ssim``, ``incoherence`` (ab units) and
        ``bleeding`` (0..1).
    """
    width = check_int(width, "width", low=1)
    true_ab, pred_ab, regions = _coherence_inputs(true_rgb, pred_rgb, regions)
    scores = image_scores(true_rgb, pred_rgb, prior=prior)
    scores["colorfulness_gap"] = scores["colorfulness"] - scores["colorfulness_true"]
    scores["ssim"] = ssim(true_rgb, pred_rgb)
    scores["incoherence"] = _incoherence(true_ab, pred_ab, regions)
    lost, contrast = _bleeding_sums(true_ab, pred_ab, regions, width)
    scores["bleeding"] = lost / contrast if contrast > 0 else float("nan")
    return scores


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def _check_rgb(rgb, name: str) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise ChromaLabTypeError(f"{name} must be uint8 RGB (0..255), got dtype {arr.dtype}")
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
        hint = " (gray? compare colour images, not the gray input)" if arr.ndim in (2, 3) else ""
        raise ChromaLabError(f"{name} must have shape (H, W, 3) or (n, H, W, 3), got {arr.shape}{hint}")
    if arr.size == 0:
        raise ChromaLabError(f"{name} is empty: shape {arr.shape}")
    return arr


def _check_pair(true_rgb, pred_rgb):
    true_rgb, pred_rgb = _check_rgb(true_rgb, "true_rgb"), _check_rgb(pred_rgb, "pred_rgb")
    if true_rgb.shape != pred_rgb.shape:
        raise ChromaLabError(f"true_rgb and pred_rgb must have the same shape, got {true_rgb.shape} "
                             f"and {pred_rgb.shape}")  # fmt: skip
    return true_rgb, pred_rgb


def _check_weights(weights, shape):
    if weights is None:
        return None
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != shape:
        raise ChromaLabError(f"weights must have one value per pixel, shape {shape}, "
                             f"got {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ChromaLabError("weights must be finite, non-negative and not all 0")
    return weights


def _curve(errors: np.ndarray, thresholds: np.ndarray, weights) -> np.ndarray:
    # Sort once, then a cumulative sum answers every threshold: O(N log N), not O(N T).
    order = np.argsort(errors, axis=None, kind="stable")
    sorted_errors = errors.ravel()[order]
    w = np.ones(errors.size) if weights is None else weights.ravel()[order]
    cumulative = np.concatenate([[0.0], np.cumsum(w)])
    counts = np.searchsorted(sorted_errors, thresholds, side="right")  # errors <= threshold
    return cumulative[counts] / cumulative[-1]


def _distance(true_ab: np.ndarray, pred_ab: np.ndarray) -> np.ndarray:
    diff = true_ab - pred_ab
    return np.sqrt(np.sum(diff * diff, axis=-1))


def _inverse_prior_weights(true_ab: np.ndarray, prior) -> np.ndarray:
    """Per-pixel weights 1 / prior[class of the true colour], validating the prior."""
    classes = nearest_bin(true_ab)
    if prior is None:
        prior = class_prior(true_ab, sigma=None)
    prior = np.asarray(prior, dtype=np.float64)
    if prior.shape != (N_BINS,) or not np.all(np.isfinite(prior)) or np.any(prior < 0):
        raise ChromaLabError(f"prior must hold {N_BINS} non-negative class probabilities (shape "
                             f"({N_BINS},)), got shape {prior.shape}")  # fmt: skip
    p = prior[classes]
    if np.any(p <= 0):
        missing = np.unique(classes[p <= 0])
        raise ChromaLabError(f"prior gives probability 0 to colour classes present in true_rgb "
                             f"(bins {missing[:10].tolist()}{'...' if len(missing) > 10 else ''}); "
                             "pass a prior with positive probabilities for them, e.g. a smoothed one "
                             "(class_prior(..., sigma=5.0)), or prior=None")  # fmt: skip
    return 1.0 / p


def _auc(errors: np.ndarray, weights, max_threshold) -> float:
    max_threshold = check_int(max_threshold, "max_threshold", low=1)
    curve = _curve(errors, np.arange(0, max_threshold + 1, dtype=np.float64), weights)
    trapezoid = 0.5 * float(np.sum(curve[:-1] + curve[1:]))
    return 100.0 * trapezoid / max_threshold


def _coherence_inputs(true_rgb, pred_rgb, regions):
    """ab of both images as (n, H, W, 2) and the regions as (n, H, W) labels unique per image."""
    true_rgb, pred_rgb = _check_pair(true_rgb, pred_rgb)
    regions = np.asarray(regions)
    if regions.shape != true_rgb.shape[:-1]:
        raise ChromaLabError(f"regions must label every pixel: shape {true_rgb.shape[:-1]}, got "
                             f"{regions.shape}")  # fmt: skip
    if regions.dtype.kind not in "iu" or (regions.size and regions.min() < 0):
        raise ChromaLabError(f"regions must hold non-negative int labels, got dtype {regions.dtype}")
    if true_rgb.ndim == 3:
        true_rgb, pred_rgb, regions = true_rgb[None], pred_rgb[None], regions[None]
    # one label per (image, region): the same label in two images is two surfaces
    per_image = regions.astype(np.int64) + (int(regions.max()) + 1) * np.arange(len(regions))[:, None, None]
    labels = np.unique(per_image, return_inverse=True)[1].reshape(regions.shape)
    return rgb_to_lab(true_rgb)[..., 1:], rgb_to_lab(pred_rgb)[..., 1:], labels


def _incoherence(true_ab, pred_ab, labels) -> float:
    flat = labels.ravel()
    count = np.bincount(flat).astype(np.float64)
    deviation = pred_ab.reshape(-1, 2) - true_ab.reshape(-1, 2)  # P - T, its mean per surface
    means = np.stack([np.bincount(flat, deviation[:, c]) / count for c in range(2)], axis=-1)
    return float(np.mean(_distance(deviation, means[flat])))


def _bleeding_sums(true_ab, pred_ab, labels, width: int):
    lost = contrast = 0.0
    for axis in (1, 2):
        for k in range(1, min(width, labels.shape[axis] - 1) + 1):
            a, b = (slice(None, -k), slice(k, None))
            index_a = [slice(None)] * 3
            index_b = [slice(None)] * 3
            index_a[axis], index_b[axis] = a, b
            edge = labels[tuple(index_a)] != labels[tuple(index_b)]
            c_true = _distance(true_ab[tuple(index_a)][edge], true_ab[tuple(index_b)][edge])
            c_pred = _distance(pred_ab[tuple(index_a)][edge], pred_ab[tuple(index_b)][edge])
            lost += float(np.sum(np.maximum(c_true - c_pred, 0.0)))
            contrast += float(np.sum(c_true))
    return lost, contrast
