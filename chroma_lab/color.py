"""One home for colour: sRGB (D65) <-> CIE Lab, luminance, and the model normalisation constants.

Every other module converts colour through these functions; nobody re-derives them.

Two flavours of each conversion:

* NumPy functions (``rgb_to_lab``, ``lab_to_rgb``, ...) for data preparation, metrics and figures,
  computed in float64 and matching :func:`skimage.color.rgb2lab` to better than 1e-6 Lab units.
* ``keras.ops`` functions (``rgb_to_lab_ops``, ``lab_to_rgb_ops``, ``lightness_ops``) that run
  inside a model on any Keras backend, so a GPU input pipeline can ship uint8 RGB to the device and
  convert there. ``lightness_ops`` (the input layers of the training models) computes Y alone and
  reads uint8 through a 256-entry table: it halved the lightness of a training batch of the small
  Zhang network on a CPU (``benchmarks/train_throughput.py``, issue 24).

Conventions: RGB is gamma-encoded sRGB, either uint8 in 0..255 or float in 0..1, channels on the
last axis, any leading shape. Lab is CIE L*a*b* relative to the D65 white point, 2 degree observer.
L* runs from 0 (black) to 100 (white); a* (green -> red) and b* (blue -> yellow) are roughly within
-110..110 for displayable colours.
"""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError, ChromaLabTypeError

# --- Normalisation used by every model (as in Zhang et al.'s reference code): these three numbers
# live here and nowhere else. A model sees (L - 50) / 100 in [-0.5, 0.5] and predicts ab / 110.
L_CENTER = 50.0
L_SCALE = 100.0
AB_SCALE = 110.0

# --- sRGB / CIE constants (IEC 61966-2-1 and CIE 15), the same values scikit-image uses.
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)

_SRGB_KNEE = 0.04045  # below this, the sRGB transfer curve is linear
_LINEAR_KNEE = 0.0031308  # the same knee on the linear side
_LAB_EPSILON = 0.008856  # (6/29)**3, rounded as in CIE 15
_LAB_KAPPA_SLOPE = 7.787  # slope of the linear part of f(t), rounded as in CIE 15
_LAB_F_KNEE = 0.2068966  # f(_LAB_EPSILON) = 6/29

# Luma weights on gamma-encoded RGB. "report" is the formula of one seed report (the report prints
# 0.007 for blue, a typo: the weights must sum to 1 for white to stay white).
LUMA_WEIGHTS = {
    "rec601": (0.299, 0.587, 0.114),
    "report": (0.21, 0.72, 0.07),
}
GRAY_METHODS = ("cie", "rec601", "report")

# sRGB decoding of the 256 possible uint8 values, used as a lookup table for uint8 input.
_LINEAR_LUT = np.where(
    np.arange(256) / 255.0 > _SRGB_KNEE,
    ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4,
    np.arange(256) / 255.0 / 12.92,
)


# ----------------------------------------------------------------------------------------------
# NumPy conversions
# ----------------------------------------------------------------------------------------------
def as_float_rgb(rgb, name: str = "rgb") -> np.ndarray:
    """Validate an RGB array and return it as float64 in 0..1.

    Parameters
    ----------
    rgb : array_like of shape (..., 3)
        uint8 values in 0..255, or floats in 0..1.
    name : str
        The argument name used in error messages.
    """
    arr = np.asarray(rgb)
    _check_last_axis(arr, name)
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.floating):
        raise ChromaLabTypeError(
            f"{name} must be uint8 (0..255) or float (0..1), got dtype {arr.dtype}; "
            "convert with np.asarray(x, dtype=np.uint8) or x / 255.0"
        )
    if arr.size:
        lo, hi = float(arr.min()), float(arr.max())
        if lo < -1e-6 or hi > 1.0 + 1e-6:
            raise ChromaLabError(
                f"{name} is float but spans {lo:.3g}..{hi:.3g}; float RGB must lie in 0..1 "
                "(divide 0..255 floats by 255, or pass uint8)"
            )
    return np.clip(arr.astype(np.float64), 0.0, 1.0)


def srgb_to_linear(rgb) -> np.ndarray:
    """Undo the sRGB transfer curve ("companding"): gamma-encoded 0..1 -> linear light 0..1."""
    arr = np.asarray(rgb)
    if arr.dtype == np.uint8:
        return _LINEAR_LUT[arr]
    c = np.asarray(arr, dtype=np.float64)
    return np.where(c > _SRGB_KNEE, ((np.maximum(c, _SRGB_KNEE) + 0.055) / 1.055) ** 2.4, c / 12.92)


def linear_to_srgb(linear) -> np.ndarray:
    """Apply the sRGB transfer curve: linear light 0..1 -> gamma-encoded 0..1."""
    c = np.asarray(linear, dtype=np.float64)
    safe = np.maximum(c, _LINEAR_KNEE)
    return np.where(c > _LINEAR_KNEE, 1.055 * safe ** (1 / 2.4) - 0.055, c * 12.92)


def rgb_to_xyz(rgb) -> np.ndarray:
    """sRGB (uint8 or float 0..1, shape (..., 3)) -> CIE XYZ (D65), float64 of the same shape."""
    arr = np.asarray(rgb)
    _check_last_axis(arr, "rgb")
    linear = srgb_to_linear(arr) if arr.dtype == np.uint8 else srgb_to_linear(as_float_rgb(arr))
    return linear @ XYZ_FROM_RGB.T


def xyz_to_lab(xyz) -> np.ndarray:
    """CIE XYZ (D65) -> CIE Lab, float64, shape (..., 3)."""
    t = np.asarray(xyz, dtype=np.float64) / D65_WHITE
    f = np.where(t > _LAB_EPSILON, np.cbrt(t), _LAB_KAPPA_SLOPE * t + 16.0 / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def lab_to_xyz(lab) -> np.ndarray:
    """CIE Lab -> CIE XYZ (D65), float64, shape (..., 3). Negative z is clamped to 0."""
    lab = np.asarray(lab, dtype=np.float64)
    _check_last_axis(lab, "lab")
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = np.maximum(fy - lab[..., 2] / 200.0, 0.0)
    f = np.stack([fx, fy, fz], axis=-1)
    t = np.where(f > _LAB_F_KNEE, f**3, (f - 16.0 / 116.0) / _LAB_KAPPA_SLOPE)
    return t * D65_WHITE


def rgb_to_lab(rgb) -> np.ndarray:
    """Convert sRGB to CIE Lab.

    Parameters
    ----------
    rgb : array_like of shape (..., 3)
        uint8 in 0..255 or float in 0..1, gamma-encoded sRGB.

    Returns
    -------
    ndarray of shape (..., 3), float64
        L* in 0..100, a* and b* in about -110..110.
    """
    return xyz_to_lab(rgb_to_xyz(rgb))


def lab_to_rgb(lab, clip: bool = True) -> np.ndarray:
    """Convert CIE Lab to sRGB floats.

    Parameters
    ----------
    lab : array_like of shape (..., 3)
    clip : bool
        Clip to the displayable range 0..1 (the default). With ``clip=False`` the raw values are
        returned, which is how :func:`in_gamut` tells displayable colours apart.

    Returns
    -------
    ndarray of shape (..., 3), float64
    """
    linear = lab_to_xyz(lab) @ RGB_FROM_XYZ.T
    rgb = linear_to_srgb(linear)
    return np.clip(rgb, 0.0, 1.0) if clip else rgb


def in_gamut(lab, tol: float = 1e-6) -> np.ndarray:
    """Boolean mask of shape (...,): which Lab colours are displayable in sRGB."""
    rgb = lab_to_rgb(lab, clip=False)
    return np.all((rgb >= -tol) & (rgb <= 1.0 + tol), axis=-1)


def to_uint8(rgb) -> np.ndarray:
    """Float RGB 0..1 -> uint8 0..255, rounding to nearest."""
    return np.round(np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)


def rgb_from_l_ab(L, ab) -> np.ndarray:
    """Recombine a lightness channel with predicted ab into a displayable uint8 RGB image.

    Parameters
    ----------
    L : array_like of shape (...,)
        CIE L* (0..100), usually the original full-resolution lightness.
    ab : array_like of shape (..., 2)
        Predicted a*, b*.

    Returns
    -------
    ndarray of shape (..., 3), uint8
    """
    L = np.asarray(L, dtype=np.float64)
    ab = np.asarray(ab, dtype=np.float64)
    if ab.shape[-1:] != (2,) or ab.shape[:-1] != L.shape:
        raise ChromaLabError(f"ab must have shape L.shape + (2,) = {L.shape + (2,)}, got {ab.shape}")
    return to_uint8(lab_to_rgb(np.concatenate([L[..., None], ab], axis=-1)))


# ----------------------------------------------------------------------------------------------
# Luminance
# ----------------------------------------------------------------------------------------------
def lightness(rgb) -> np.ndarray:
    """CIE L* (0..100) of sRGB colours, shape (...,). Depends on Y only: no need for a and b."""
    arr = np.asarray(rgb)
    _check_last_axis(arr, "rgb")
    linear = srgb_to_linear(arr) if arr.dtype == np.uint8 else srgb_to_linear(as_float_rgb(arr))
    y = linear @ XYZ_FROM_RGB[1]
    return 116.0 * np.where(y > _LAB_EPSILON, np.cbrt(y), _LAB_KAPPA_SLOPE * y + 16.0 / 116.0) - 16.0


def gray_to_lightness(gray) -> np.ndarray:
    """L* of gray pixels: a gray value v means the sRGB colour (v, v, v).

    Parameters
    ----------
    gray : array_like of shape (...)
        uint8 in 0..255 or float in 0..1.
    """
    arr = np.asarray(gray)
    return lightness(np.repeat(arr[..., None], 3, axis=-1))


def rgb_to_gray(rgb, method: str = "cie"):
    """Convert sRGB colour to gray with one of three luminance formulas.

    Parameters
    ----------
    rgb : array_like of shape (..., 3)
        uint8 in 0..255 or float in 0..1.
    method : {"cie", "rec601", "report"}
        ``"cie"``: the gray whose CIE L* equals the colour's (the sRGB encoding of the linear
        luminance Y), so colorizing it back keeps the lightness exactly.
        ``"rec601"``: video luma 0.299 R + 0.587 G + 0.114 B on the gamma-encoded values.
        ``"report"``: 0.21 R + 0.72 G + 0.07 B, the formula of one seed report.

    Returns
    -------
    ndarray of shape (...,)
        uint8 for uint8 input, float64 in 0..1 for float input.
    """
    arr = np.asarray(rgb)
    if method not in GRAY_METHODS:
        raise ChromaLabError(f"method must be one of {GRAY_METHODS}, got {method!r}")
    rgb01 = as_float_rgb(arr)
    if method == "cie":
        linear = srgb_to_linear(arr) if arr.dtype == np.uint8 else srgb_to_linear(rgb01)
        # the three weights of Y sum to 1, so linear_to_srgb(Y) is the gray with the same Y (and L*)
        gray = linear_to_srgb(linear @ XYZ_FROM_RGB[1])
    else:
        gray = rgb01 @ np.asarray(LUMA_WEIGHTS[method])
    gray = np.clip(gray, 0.0, 1.0)
    return np.round(gray * 255.0).astype(np.uint8) if arr.dtype == np.uint8 else gray


# ----------------------------------------------------------------------------------------------
# Normalisation: plain arithmetic, so the same functions work on NumPy arrays and Keras tensors.
# ----------------------------------------------------------------------------------------------
def normalize_l(L):
    """L* 0..100 -> model input (L - 50) / 100, in -0.5..0.5."""
    return (L - L_CENTER) / L_SCALE


def denormalize_l(l_norm):
    """Inverse of :func:`normalize_l`."""
    return l_norm * L_SCALE + L_CENTER


def normalize_ab(ab):
    """a*, b* -> model scale ab / 110, roughly -1..1."""
    return ab / AB_SCALE


def denormalize_ab(ab_norm):
    """Inverse of :func:`normalize_ab`."""
    return ab_norm * AB_SCALE


# ----------------------------------------------------------------------------------------------
# keras.ops versions: run inside a model on TensorFlow, JAX or PyTorch.
# ----------------------------------------------------------------------------------------------
def rgb_to_lab_ops(rgb, dtype: str = "float32"):
    """:func:`rgb_to_lab` with ``keras.ops``.

    Parameters
    ----------
    rgb : tensor of shape (..., 3)
        Integer dtypes are read as 0..255, float dtypes as 0..1.
    dtype : str
        Compute dtype (float32 by default; keep colour maths out of bfloat16).
    """
    from keras import backend, ops

    x = ops.convert_to_tensor(rgb)
    is_int = "int" in backend.standardize_dtype(x.dtype)
    x = ops.cast(x, dtype)
    if is_int:
        x = x / 255.0
    x = ops.clip(x, 0.0, 1.0)
    linear = ops.where(
        x > _SRGB_KNEE, ops.power((ops.maximum(x, _SRGB_KNEE) + 0.055) / 1.055, 2.4), x / 12.92
    )
    t = ops.matmul(linear, ops.convert_to_tensor((XYZ_FROM_RGB / D65_WHITE[:, None]).T, dtype))
    f = ops.where(
        t > _LAB_EPSILON,
        ops.power(ops.maximum(t, _LAB_EPSILON), 1.0 / 3.0),
        _LAB_KAPPA_SLOPE * t + 16.0 / 116.0,
    )
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return ops.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lightness_ops(rgb, dtype: str = "float32"):
    """:func:`lightness` with ``keras.ops``: CIE L* (0..100) of sRGB colours, shape (...,).

    Parameters
    ----------
    rgb : tensor of shape (..., 3)
        Integer dtypes are read as 0..255 (clipped), through a 256-entry table of the sRGB curve;
        float dtypes as 0..1.
    dtype : str
        Compute dtype (float32 by default; keep colour maths out of bfloat16).

    Notes
    -----
    Only Y is needed, and a uint8 pixel has 256 possible values: the table and the one row of the
    XYZ matrix make the lightness a small part of a training step where the full conversion was
    a noticeable one (``benchmarks/train_throughput.py`` measures the step); L* agrees with
    :func:`rgb_to_lab_ops` to float32 round-off (``tests/test_color.py``).
    """
    from keras import backend, ops

    x = ops.convert_to_tensor(rgb)
    kind = backend.standardize_dtype(x.dtype)
    if "int" in kind:
        if kind != "uint8":  # a uint8 is in range already; the clip showed in the step's profile
            x = ops.clip(x, 0, 255)
        linear = ops.take(ops.convert_to_tensor(_LINEAR_LUT, dtype), ops.cast(x, "int32"))
    else:
        x = ops.clip(ops.cast(x, dtype), 0.0, 1.0)
        linear = ops.where(x > _SRGB_KNEE, ops.power((ops.maximum(x, _SRGB_KNEE) + 0.055) / 1.055, 2.4),
                           x / 12.92)  # fmt: skip
    y = ops.matmul(linear, ops.convert_to_tensor(XYZ_FROM_RGB[1] / D65_WHITE[1], dtype))
    f = ops.where(y > _LAB_EPSILON, ops.power(ops.maximum(y, _LAB_EPSILON), 1.0 / 3.0),
                  _LAB_KAPPA_SLOPE * y + 16.0 / 116.0)  # fmt: skip
    return 116.0 * f - 16.0


def lab_to_rgb_ops(lab, dtype: str = "float32"):
    """:func:`lab_to_rgb` with ``keras.ops``: Lab (..., 3) -> sRGB floats clipped to 0..1."""
    from keras import ops

    lab = ops.cast(ops.convert_to_tensor(lab), dtype)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = ops.maximum(fy - lab[..., 2] / 200.0, 0.0)
    f = ops.stack([fx, fy, fz], axis=-1)
    t = ops.where(f > _LAB_F_KNEE, f * f * f, (f - 16.0 / 116.0) / _LAB_KAPPA_SLOPE)
    linear = ops.matmul(t, ops.convert_to_tensor((RGB_FROM_XYZ * D65_WHITE[None, :]).T, dtype))
    safe = ops.maximum(linear, _LINEAR_KNEE)
    rgb = ops.where(linear > _LINEAR_KNEE, 1.055 * ops.power(safe, 1.0 / 2.4) - 0.055, linear * 12.92)
    return ops.clip(rgb, 0.0, 1.0)


def _check_last_axis(arr: np.ndarray, name: str) -> None:
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ChromaLabError(f"{name} must have 3 channels on its last axis, got shape {arr.shape}")
