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
* :func:`psnr` (per image, averaged) and :func:`colorfulness` (Hasler and Suesstrunk 2003).
* :func:`evaluate`: all of the above in one dict, for tables.

NumPy only, so ``import chroma_lab.metrics`` stays light.
"""

from __future__ import annotations

import numpy as np

from chroma_lab.color import rgb_to_lab
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
    threshold = _check_threshold(threshold, "threshold")
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
        raise ValueError(f"thresholds must be a non-empty 1-D array of finite distances, "
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


def evaluate(true_rgb, pred_rgb, prior=None) -> dict:
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
# Private workers
# ----------------------------------------------------------------------------------------------
def _check_rgb(rgb, name: str) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8 RGB (0..255), got dtype {arr.dtype}")
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3:
        hint = " (gray? compare colour images, not the gray input)" if arr.ndim in (2, 3) else ""
        raise ValueError(f"{name} must have shape (H, W, 3) or (n, H, W, 3), got {arr.shape}{hint}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    return arr


def _check_pair(true_rgb, pred_rgb):
    true_rgb, pred_rgb = _check_rgb(true_rgb, "true_rgb"), _check_rgb(pred_rgb, "pred_rgb")
    if true_rgb.shape != pred_rgb.shape:
        raise ValueError(f"true_rgb and pred_rgb must have the same shape, got {true_rgb.shape} "
                         f"and {pred_rgb.shape}")  # fmt: skip
    return true_rgb, pred_rgb


def _check_threshold(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number of ab units, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite distance >= 0 (ab units), got {value!r}")
    return float(value)


def _check_weights(weights, shape):
    if weights is None:
        return None
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != shape:
        raise ValueError(f"weights must have one value per pixel, shape {shape}, "
                         f"got {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all 0")
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
        raise ValueError(f"prior must hold {N_BINS} non-negative class probabilities (shape "
                         f"({N_BINS},)), got shape {prior.shape}")  # fmt: skip
    p = prior[classes]
    if np.any(p <= 0):
        missing = np.unique(classes[p <= 0])
        raise ValueError(f"prior gives probability 0 to colour classes present in true_rgb "
                         f"(bins {missing[:10].tolist()}{'...' if len(missing) > 10 else ''}); "
                         "pass a prior with positive probabilities for them, e.g. a smoothed one "
                         "(class_prior(..., sigma=5.0)), or prior=None")  # fmt: skip
    return 1.0 / p


def _auc(errors: np.ndarray, weights, max_threshold) -> float:
    if isinstance(max_threshold, bool) or not isinstance(max_threshold, (int, np.integer)) \
            or max_threshold < 1:
        raise ValueError(f"max_threshold must be a positive int (ab units), got {max_threshold!r}")
    curve = _curve(errors, np.arange(0, int(max_threshold) + 1, dtype=np.float64), weights)
    trapezoid = 0.5 * float(np.sum(curve[:-1] + curve[1:]))
    return 100.0 * trapezoid / int(max_threshold)
