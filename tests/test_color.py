"""Tests for chroma_lab.color against independent references: scikit-image's conversions, the
luma formulas re-derived with NumPy, and the sRGB cube itself."""

import numpy as np
import pytest
from skimage.color import lab2rgb, rgb2lab

from chroma_lab import color
from chroma_lab.color import (
    gray_to_lightness,
    in_gamut,
    lab_to_rgb,
    lightness,
    rgb_to_gray,
    rgb_to_lab,
)

# Every 5th level per channel plus 0 and 255: 52^3 = 140608 colours, the 8-bit cube subsampled.
LEVELS = np.unique(np.r_[np.arange(0, 256, 5), 255]).astype(np.uint8)


@pytest.fixture(scope="module")
def cube():
    r, g, b = np.meshgrid(LEVELS, LEVELS, LEVELS, indexing="ij")
    return np.stack([r, g, b], axis=-1).reshape(-1, 3)


# ----------------------------------------------------------------------------------------------
# sRGB <-> Lab, NumPy
# ----------------------------------------------------------------------------------------------
def test_rgb_to_lab_matches_skimage_on_the_cube(cube):
    np.testing.assert_allclose(rgb_to_lab(cube), rgb2lab(cube), rtol=0, atol=1e-3)


def test_known_colours():
    # white is L* = 100 with a*, b* ~ 0; black is 0; sRGB red is (53.24, 80.09, 67.20) (Lindbloom)
    lab = rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.01)


def test_float_input_equals_uint8_input(cube):
    np.testing.assert_allclose(rgb_to_lab(cube / 255.0), rgb_to_lab(cube), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2, 3), (1, 4, 5, 3)])
def test_any_leading_shape(shape, cube):
    rgb = cube[: int(np.prod(shape[:-1]))].reshape(shape)
    lab = rgb_to_lab(rgb)
    assert lab.shape == shape and lab.dtype == np.float64
    np.testing.assert_array_equal(lab.reshape(-1, 3), rgb_to_lab(rgb.reshape(-1, 3)))
    assert lab_to_rgb(lab).shape == shape


def test_round_trip_on_the_cube(cube):
    back = lab_to_rgb(rgb_to_lab(cube))
    assert np.abs(back * 255 - cube).max() < 1.0
    np.testing.assert_array_equal(color.to_uint8(back), cube)


def test_lab_to_rgb_matches_skimage_in_gamut(cube):
    lab = rgb_to_lab(cube)  # in gamut by construction
    np.testing.assert_allclose(lab_to_rgb(lab), lab2rgb(lab), rtol=0, atol=1e-6)


def test_out_of_gamut_lab_is_clipped():
    lab = np.array([[50.0, 120.0, 0.0], [50.0, -100.0, -100.0], [100.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
    raw = lab_to_rgb(lab, clip=False)
    assert raw[:2].min() < 0 or raw[:2].max() > 1  # the first two are not displayable ...
    clipped = lab_to_rgb(lab)
    np.testing.assert_array_equal(clipped, np.clip(raw, 0, 1))  # ... and are clipped to 0..1
    np.testing.assert_allclose(clipped[2], [1, 1, 1], atol=1e-3)  # white stays white


def test_in_gamut(cube):
    assert in_gamut(rgb_to_lab(cube)).all()
    # sRGB white is Lab (100, -0.0025, 0.0047): (100, 0, 0) itself lies 4e-5 outside the gamut,
    # as in scikit-image, because the published matrix and white point are rounded
    white = rgb_to_lab(np.array([255, 255, 255], dtype=np.uint8))
    lab = np.array([[50.0, 120.0, 0.0], [50.0, 0.0, 0.0], white, [101.0, 0.0, 0.0],
                    [0.0, 0.0, 0.0], [90.0, -80.0, 80.0]])  # fmt: skip
    np.testing.assert_array_equal(in_gamut(lab), [False, True, True, False, True, False])
    assert in_gamut(lab[:3].reshape(3, 1, 3)).shape == (3, 1)


# ----------------------------------------------------------------------------------------------
# keras.ops versions
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("as_float", [False, True])
def test_ops_conversions_match_numpy(as_float, cube):
    keras = pytest.importorskip("keras")
    ops = keras.ops
    x = ops.convert_to_tensor(cube / 255.0, "float32") if as_float else ops.convert_to_tensor(cube)
    lab = color.rgb_to_lab_ops(x)
    assert ops.is_tensor(lab)
    np.testing.assert_allclose(ops.convert_to_numpy(lab), rgb_to_lab(cube), rtol=0, atol=1e-3)
    rgb = color.lab_to_rgb_ops(ops.convert_to_tensor(rgb_to_lab(cube), "float32"))
    assert ops.is_tensor(rgb)
    np.testing.assert_allclose(ops.convert_to_numpy(rgb), cube / 255.0, rtol=0, atol=1e-3)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32"])
def test_ops_lightness_matches_numpy_and_the_full_conversion(dtype, cube):
    """lightness_ops (uint8 through a table, floats through the curve) is L* of scikit-image and
    of rgb_to_lab_ops to float32 round-off; integers outside 0..255 are clipped, as floats are."""
    keras = pytest.importorskip("keras")
    ops = keras.ops
    x = cube / 255.0 if dtype == "float32" else cube
    L = ops.convert_to_numpy(color.lightness_ops(ops.convert_to_tensor(x, dtype)))
    np.testing.assert_allclose(L, rgb2lab(cube)[..., 0], rtol=0, atol=1e-4)
    full = ops.convert_to_numpy(color.rgb_to_lab_ops(ops.convert_to_tensor(cube / 255.0, "float32")))
    np.testing.assert_allclose(L, full[..., 0], rtol=0, atol=5e-5)
    if dtype == "int32":
        out = ops.convert_to_numpy(color.lightness_ops(ops.convert_to_tensor([[-40, 300, 0]], "int32")))
        np.testing.assert_allclose(out, lightness(np.array([[0, 255, 0]], dtype=np.uint8)), atol=1e-4)


def test_ops_lab_to_rgb_clips():
    keras = pytest.importorskip("keras")
    lab = np.array([[50.0, 120.0, 0.0], [50.0, -100.0, -100.0]], dtype=np.float32)
    out = keras.ops.convert_to_numpy(color.lab_to_rgb_ops(lab))
    np.testing.assert_allclose(out, lab_to_rgb(lab), atol=1e-3)


# ----------------------------------------------------------------------------------------------
# Gray
# ----------------------------------------------------------------------------------------------
def test_cie_gray_keeps_lightness_exactly_for_floats(cube):
    rgb = cube / 255.0
    np.testing.assert_allclose(gray_to_lightness(rgb_to_gray(rgb)), lightness(rgb), rtol=0, atol=1e-9)
    np.testing.assert_allclose(lightness(rgb), rgb_to_lab(rgb)[:, 0], atol=1e-9)


def test_cie_gray_uint8_is_the_nearest_level(cube):
    gray = rgb_to_gray(cube).astype(int)
    assert rgb_to_gray(cube).dtype == np.uint8
    # the float gray rounded: within the 1/255 rounding of the exact answer
    np.testing.assert_array_equal(gray, np.round(rgb_to_gray(cube / 255.0) * 255))
    # so its L* misses the colour's by at most the L* change of half a gray level
    levels = gray_to_lightness(np.arange(256, dtype=np.uint8))
    step = np.maximum(np.diff(levels, prepend=0.0), np.diff(levels, append=100.0))
    assert np.all(np.abs(levels[gray] - lightness(cube)) <= step[gray] / 2 + 1e-9)


@pytest.mark.parametrize(
    "method, weights",
    [
        ("rec601", (0.299, 0.587, 0.114)),
        # the seed report prints 0.007 for blue, a typo: the weights must sum to 1
        ("report", (0.21, 0.72, 0.07)),
    ],
)
def test_luma_formulas(method, weights, cube):
    rgb = cube / 255.0
    np.testing.assert_allclose(rgb_to_gray(rgb, method), rgb @ np.array(weights), atol=1e-12)
    expected = np.round(np.clip(rgb @ np.array(weights), 0, 1) * 255)
    assert np.abs(rgb_to_gray(cube, method).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("method", color.GRAY_METHODS)
def test_white_stays_white_and_black_stays_black(method):
    rgb = np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(rgb_to_gray(rgb, method), [255, 0])
    np.testing.assert_allclose(rgb_to_gray(rgb / 255.0, method), [1.0, 0.0], atol=1e-12)


def test_gray_to_lightness_of_extremes():
    extremes = np.array([0, 255], dtype=np.uint8)
    np.testing.assert_allclose(gray_to_lightness(extremes), [0, 100], atol=1e-3)


# ----------------------------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------------------------
def test_constants():
    assert (color.L_CENTER, color.L_SCALE, color.AB_SCALE) == (50, 100, 110)


def test_normalisation_round_trips():
    L = np.linspace(0, 100, 11)
    ab = np.linspace(-110, 110, 12)
    np.testing.assert_allclose(color.normalize_l(L), (L - 50) / 100)
    np.testing.assert_allclose(color.normalize_l(np.array([0.0, 50.0, 100.0])), [-0.5, 0, 0.5])
    np.testing.assert_allclose(color.denormalize_l(color.normalize_l(L)), L, atol=1e-12)
    np.testing.assert_allclose(color.normalize_ab(np.array([-110.0, 110.0])), [-1, 1])
    np.testing.assert_allclose(color.denormalize_ab(color.normalize_ab(ab)), ab, atol=1e-12)


def test_normalisation_works_on_tensors():
    keras = pytest.importorskip("keras")
    x = keras.ops.convert_to_tensor([0.0, 50.0, 100.0])
    out = color.normalize_l(x)
    assert keras.ops.is_tensor(out)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), [-0.5, 0, 0.5])


# ----------------------------------------------------------------------------------------------
# Errors name the argument, what it got, what it accepts
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad, error, words",
    [
        (np.zeros((4, 4), dtype=np.uint8), ValueError, ["rgb", "3 channels", "(4, 4)"]),
        (np.zeros((2, 4)), ValueError, ["rgb", "(2, 4)"]),
        (np.full((2, 3), 2.0), ValueError, ["rgb", "0..1"]),
        (np.full((2, 3), -0.5), ValueError, ["rgb", "0..1"]),
        (np.zeros((2, 3), dtype=np.int16), TypeError, ["rgb", "int16", "uint8"]),
        (np.zeros((2, 3), dtype=bool), TypeError, ["rgb", "bool"]),
    ],
)
def test_bad_rgb_is_refused_clearly(bad, error, words):
    for fn in (rgb_to_lab, rgb_to_gray, lightness):
        with pytest.raises(error) as info:
            fn(bad)
        for word in words:
            assert word in str(info.value)


def test_bad_lab_and_method_are_refused_clearly():
    with pytest.raises(ValueError, match=r"lab .*3 channels.*\(5, 2\)"):
        lab_to_rgb(np.zeros((5, 2)))
    expected = r"method must be one of \('cie', 'rec601', 'report'\), got 'hsv'"
    with pytest.raises(ValueError, match=expected):
        rgb_to_gray(np.zeros((1, 3), dtype=np.uint8), method="hsv")
    with pytest.raises(ValueError, match="ab must have shape"):
        color.rgb_from_l_ab(np.zeros((2, 2)), np.zeros((2, 3, 2)))
