"""LookupColorizer (lesson 2): most frequent palette colour per lightness level."""

import numpy as np
import pytest

from chroma_lab.checks import lookup_table_reference
from chroma_lab.color import gray_to_lightness, in_gamut, lab_to_rgb, lightness, rgb_to_lab
from chroma_lab.color import to_uint8
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
    images = np.stack([dark, light])
    lo, hi = np.unique(to_gray(images))  # the two gray values seen in training
    model = LookupColorizer(n_colors=2).fit(images)
    assert np.flatnonzero(model.seen_).tolist() == [lo, hi]
    dark_class, light_class = model.table_[lo], model.table_[hi]
    assert dark_class != light_class
    np.testing.assert_allclose(model.colors_ab_[dark_class], (-20, 15), atol=1)
    np.testing.assert_allclose(model.colors_ab_[light_class], (20, 30), atol=1)
    darker_half = np.arange(256) - lo <= hi - np.arange(256)  # nearer to lo, or a tie
    np.testing.assert_array_equal(model.table_, np.where(darker_half, dark_class, light_class))
    # unseen grays get the ab of the nearest training colour (the colour itself may leave the
    # gamut at another lightness and be clipped, so compare the prediction before recombining)
    gray = np.array([[[lo - 20, lo + 10, hi - 10, hi + 20]]], dtype=np.uint8)
    ab = model._predict_ab(gray_to_lightness(gray))[0, 0]
    np.testing.assert_array_equal(ab, model.colors_ab_[[dark_class] * 2 + [light_class] * 2])
    out = rgb_to_lab(model.colorize(gray[..., 1:3]))[0, 0, :, 1:]
    np.testing.assert_allclose(out, ab[1:3], atol=2)


def test_levels_group_gray_values_and_match_the_lesson_rule():
    images, _ = synthetic_scenes(3, size=24, seed=4)
    gray = to_gray(images)
    for levels in (256, 16):
        model = LookupColorizer(n_colors=6, levels=levels).fit(images)
        classes = model.palette_.encode(images)
        want = lookup_table_reference(gray.astype(int) * levels // 256, classes, 6, levels=levels)
        np.testing.assert_array_equal(model.table_, want)
        # every gray value is looked up in its band
        ab = model._predict_ab(gray_to_lightness(np.arange(256, dtype=np.uint8)))
        np.testing.assert_array_equal(ab, model.colors_ab_[want[np.arange(256) * levels // 256]])


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
    for levels in (0, 257, 2.5):
        with pytest.raises(ValueError, match="levels"):
            LookupColorizer(n_colors=4, levels=levels).fit(image)
    with pytest.raises(ValueError, match="space"):
        LookupColorizer(n_colors=4, space="hsv").fit(image)


def test_quantization_error_and_colorizations_figures():
    from chroma_lab.viz import plot_colorizations, plot_quantization_error

    fig = plot_quantization_error([2, 4, 8], {"rgb": [9.0, 6.0, 4.0], "ab": [7.0, 4.0, 2.0]})
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["rgb", "ab"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [2, 4, 8])
    np.testing.assert_array_equal(lines[1].get_ydata(), [7.0, 4.0, 2.0])
    with pytest.raises(ValueError, match="one value per palette size"):
        plot_quantization_error([2, 4, 8], {"rgb": [1.0, 2.0]})

    images = stripes(COLOURS)
    gray = to_gray(images)
    out = LookupColorizer(n_colors=4).fit(images).colorize(gray)
    fig = plot_colorizations(np.repeat(gray, 3, 0), np.repeat(images, 3, 0),
                             {"lookup": np.repeat(out, 3, 0)}, max_images=2)  # fmt: skip
    assert len(fig.axes) == 2 * 3  # 2 images x (gray, truth, lookup)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["gray input", "truth", "lookup"]
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), out[0])
    with pytest.raises(ValueError, match="'lookup' must hold"):
        plot_colorizations(gray, images, {"lookup": out[:, :2]})
