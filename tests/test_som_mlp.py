"""SOMPatchColorizer (lesson 3): SOM colour classes predicted by an MLP from lightness patches."""

import numpy as np
import pytest

from chroma_lab.color import gray_to_lightness, in_gamut, lab_to_rgb, lightness, to_uint8
from chroma_lab.data import to_gray
from chroma_lab.metrics import ab_errors
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.models.som_mlp import SOMPatchColorizer
from chroma_lab.scenes import synthetic_scenes

STRIPES_AB, FLAT_AB = (-40.0, 30.0), (45.0, -30.0)  # green stripes, magenta flat areas
DARK, LIGHT = 40.0, 60.0
FAST = dict(som_shape=(1, 2), patch_size=3, hidden_layer_sizes=(32,), n_pixels=3000, max_iter=100)


def texture_images(n, size=48, block=16, seed=0):
    """Colour depends on texture only: blocks of 1-pixel vertical stripes (L* 40/60, green) or
    flat blocks (L* 40 or 60, magenta). Both colours occur at both lightness values.

    Returns uint8 RGB images (n, size, size, 3) and the mask (n, size, size) of the stripes."""
    rng = np.random.default_rng(seed)
    lab = np.empty((n, size, size, 3))
    cols = np.arange(size)
    for image in lab:
        for top in range(0, size, block):
            for left in range(0, size, block):
                cell = image[top : top + block, left : left + block]
                kind = rng.integers(3)
                if kind == 0:
                    phase = rng.integers(2)
                    stripe = np.where((cols[left : left + block] + phase) % 2, LIGHT, DARK)
                    cell[...] = (0.0, *STRIPES_AB)
                    cell[..., 0] = stripe[None, :]
                else:
                    cell[...] = (DARK if kind == 1 else LIGHT, *FLAT_AB)
    assert in_gamut(lab).all()
    return to_uint8(lab_to_rgb(lab)), lab[..., 1] == STRIPES_AB[0]


@pytest.fixture(scope="module")
def texture_model():
    train, _ = texture_images(12, seed=0)
    return SOMPatchColorizer(**FAST, random_state=0).fit(train)


def test_learns_colour_from_texture(texture_model):
    test, striped = texture_images(4, seed=1)
    out = texture_model.colorize(to_gray(test))
    assert out.shape == test.shape and out.dtype == np.uint8
    right = ab_errors(test, out) < 10.0
    assert right.mean() > 0.9
    assert right[striped].mean() > 0.9
    # the SOM found the two colours
    found = sorted(map(tuple, np.round(texture_model.colors_ab_)))
    np.testing.assert_allclose(found, sorted([STRIPES_AB, FLAT_AB]), atol=3)
    # lightness alone cannot do it: both colours occur at both lightness values, and the lookup
    # table picks one colour per lightness, so it paints at least half of the stripes magenta
    lookup = LookupColorizer(n_colors=2).fit(texture_images(12, seed=0)[0])
    assert (ab_errors(test, lookup.colorize(to_gray(test))) < 10.0)[striped].mean() <= 0.6


def test_border_pixels_get_full_patches(texture_model):
    # a 1-pixel-wide image still works: reflect padding gives every pixel a 3x3 patch
    gray = np.full((2, 5, 1), 120, dtype=np.uint8)
    assert texture_model.colorize(gray).shape == (2, 5, 1, 3)
    cells = texture_model.predict_cells(gray_to_lightness(np.full((1, 7, 9), 99, np.uint8)))
    assert cells.shape == (1, 7, 9) and len(np.unique(cells)) == 1  # flat image, one class


def test_deterministic_and_lightness_preserved():
    images, _ = synthetic_scenes(4, size=32, seed=2)
    gray = to_gray(images)
    kwargs = dict(som_shape=(2, 2), n_pixels=2000, max_iter=20, hidden_layer_sizes=(8,))
    first = SOMPatchColorizer(**kwargs, random_state=5).fit(images)
    second = SOMPatchColorizer(**kwargs, random_state=5).fit(images)
    np.testing.assert_array_equal(first.som_.palette_, second.som_.palette_)
    out = first.colorize(gray)
    np.testing.assert_array_equal(out, second.colorize(gray))
    assert first.mlp_.n_features_in_ == 25  # patch_size 5 -> 25 inputs
    L = gray_to_lightness(gray)
    displayable = in_gamut(np.concatenate([L[..., None], first._predict_ab(L)], axis=-1))
    assert displayable.mean() > 0.5
    np.testing.assert_allclose(lightness(out)[displayable], L[displayable], atol=0.5)


def test_bad_input_and_options():
    images, _ = texture_images(1)
    with pytest.raises(RuntimeError, match="not fitted"):
        SOMPatchColorizer().colorize(to_gray(images))
    with pytest.raises(TypeError, match="uint8"):
        SOMPatchColorizer(**FAST).fit(images.astype(np.float32) / 255)
    with pytest.raises(ValueError, match="patch_size must be odd"):
        SOMPatchColorizer(patch_size=4).fit(images)
    with pytest.raises(ValueError, match="n_pixels"):
        SOMPatchColorizer(n_pixels=0).fit(images)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SOMPatchColorizer(hidden_layer_sizes=64).fit(images)
    with pytest.raises(ValueError, match="space"):
        SOMPatchColorizer(space="hsv").fit(images)
    with pytest.raises(ValueError, match="one SOM cell"):
        SOMPatchColorizer(**FAST).fit(np.full((1, 8, 8, 3), 90, np.uint8))


def test_colorize_refuses_rgb(texture_model):
    with pytest.raises(ValueError, match=r"RGB\? convert"):
        texture_model.colorize(texture_images(1)[0])


def test_som_grid_figure(texture_model):
    from chroma_lab.viz import palette_swatches, plot_som_grid

    fig = plot_som_grid(texture_model.som_, L=50)
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (1, 2, 3)  # the (1, 2) map
    want = palette_swatches(texture_model.som_.palette_, "ab", 50).reshape(1, 2, 3)
    np.testing.assert_allclose(shown, want)
    assert len(fig.axes[0].texts) == 2
    with pytest.raises(ValueError, match="fitted SOMPalette"):
        plot_som_grid(SOMPatchColorizer())
