"""LookupColorizer (lesson 2): most frequent palette colour per lightness level."""

import numpy as np
import pytest

from chroma_lab.color import gray_to_lightness, in_gamut, lab_to_rgb, lightness, rgb_to_lab, to_uint8
from chroma_lab.data import to_gray
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.scenes import BALL_COLORS, synthetic_scenes

# Four colours with well separated lightness (L* about 25, 45, 65, 85): one colour per gray level.
COLOURS = np.array([(20, 60, 120), (160, 60, 40), (90, 170, 80), (240, 200, 160)], dtype=np.uint8)


def stripes(colours, width=3, height=4):
    """One image of vertical stripes, one per colour: shape (1, height, width * len, 3)."""
    return np.repeat(colours[None, None], height, axis=1).repeat(width, axis=2)


def lab_image(L, ab, shape=(4, 4)):
    """A flat image of the given L*, a*, b* (asserting it is displayable)."""
    lab = np.array([L, *ab], dtype=float)
    assert in_gamut(lab)
    return np.broadcast_to(to_uint8(lab_to_rgb(lab)), shape + (3,))


@pytest.mark.parametrize("space", ["ab", "rgb"])
def test_one_colour_per_gray_level_is_recovered(space):
    assert np.all(np.diff(lightness(COLOURS)) > 10)
    image = stripes(COLOURS)
    model = LookupColorizer(n_colors=4, space=space).fit(image)
    out = model.colorize(to_gray(image))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - image).max() <= 2  # only the 8-bit gray's rounding is lost
    assert model.counts_.sum() == image.shape[1] * image.shape[2]
    assert model.seen_.sum() == 4


def test_same_lightness_gets_the_same_colour():
    # the scenes' red and blue balls: same gray, so the table cannot tell them apart and paints
    # both with the more frequent one
    red, blue = BALL_COLORS["red"], BALL_COLORS["blue"]
    balls = np.array([red, red, red, blue], dtype=np.uint8)
    image = stripes(balls)
    assert len(np.unique(to_gray(image))) == 1
    out = LookupColorizer(n_colors=2).fit(image).colorize(to_gray(image))
    assert len(np.unique(out.reshape(-1, 3), axis=0)) == 1
    ab_out, ab_red = rgb_to_lab(out[0, 0, 0])[1:], rgb_to_lab(np.array(red, np.uint8))[1:]
    assert np.linalg.norm(ab_out - ab_red) < 2.0


def test_unseen_levels_borrow_the_nearest_seen_level():
    dark, light = lab_image(20.5, (-20, 15)), lab_image(80.5, (20, 30))
    model = LookupColorizer(n_colors=2, levels=100).fit(np.stack([dark, light]))
    assert np.flatnonzero(model.seen_).tolist() == [20, 80]  # levels of width 1 L* unit
    dark_class, light_class = model.table_[20], model.table_[80]
    assert dark_class != light_class
    np.testing.assert_allclose(model.colors_ab_[dark_class], (-20, 15), atol=1)
    np.testing.assert_allclose(model.colors_ab_[light_class], (20, 30), atol=1)
    assert np.all(model.table_[:51] == dark_class)  # 50 is as near to 20 as to 80: the darker
    assert np.all(model.table_[51:] == light_class)
    # a gray of L* about 30 is coloured like the dark training colour, one of 70 like the light one
    gray = np.array([[[70, 175]]], dtype=np.uint8)
    assert gray_to_lightness(gray)[0, 0, 0] < 50 < gray_to_lightness(gray)[0, 0, 1]
    ab = rgb_to_lab(model.colorize(gray))[0, 0, :, 1:]
    np.testing.assert_allclose(ab[0], model.colors_ab_[dark_class], atol=2)
    np.testing.assert_allclose(ab[1], model.colors_ab_[light_class], atol=2)


def test_lightness_is_preserved_and_fit_is_deterministic():
    images, _ = synthetic_scenes(6, size=32, seed=3)
    gray = to_gray(images)
    first = LookupColorizer(n_colors=8, random_state=1).fit(images)
    second = LookupColorizer(n_colors=8, random_state=1).fit(images)
    np.testing.assert_array_equal(first.table_, second.table_)
    out = first.colorize(gray)
    np.testing.assert_array_equal(out, second.colorize(gray))
    L = gray_to_lightness(gray)
    displayable = in_gamut(np.concatenate([L[..., None], first._predict_ab(L)], axis=-1))
    assert displayable.mean() > 0.5
    np.testing.assert_allclose(lightness(out)[displayable], L[displayable], atol=0.5)


def test_bad_input_and_options():
    image = stripes(COLOURS)
    with pytest.raises(RuntimeError, match="not fitted"):
        LookupColorizer().colorize(to_gray(image))
    with pytest.raises(TypeError, match="uint8"):
        LookupColorizer(n_colors=4).fit(image.astype(float))
    model = LookupColorizer(n_colors=4).fit(image)
    with pytest.raises(ValueError, match=r"RGB\? convert"):
        model.colorize(image)
    with pytest.raises(ValueError, match="levels"):
        LookupColorizer(n_colors=4, levels=0).fit(image)
    with pytest.raises(ValueError, match="space"):
        LookupColorizer(n_colors=4, space="hsv").fit(image)
