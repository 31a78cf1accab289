"""Tests for chroma_lab.scenes: reproducible, balanced, and colour that follows the label."""

import numpy as np
import pytest

from chroma_lab.color import rgb_to_lab
from chroma_lab.scenes import BALL_COLORS, SCENE_CLASSES, render_scene, synthetic_scenes


@pytest.fixture(scope="module")
def scenes():
    return synthetic_scenes(60, size=32, seed=0)


def test_shapes_and_dtypes(scenes):
    images, labels = scenes
    assert images.shape == (60, 32, 32, 3) and images.dtype == np.uint8
    assert labels.shape == (60,) and labels.dtype.kind == "U"


def test_labels_are_known_and_balanced(scenes):
    _, labels = scenes
    assert set(labels) == set(SCENE_CLASSES)
    counts = [int((labels == name).sum()) for name in SCENE_CLASSES]
    assert counts == [10] * len(SCENE_CLASSES)
    _, odd = synthetic_scenes(7, size=16, seed=3)
    assert max(np.unique(odd, return_counts=True)[1]) <= 2


def test_same_seed_same_bytes_and_prefix_stable(scenes):
    images, labels = scenes
    again, again_labels = synthetic_scenes(60, size=32, seed=0)
    assert again.tobytes() == images.tobytes() and list(again_labels) == list(labels)
    prefix, prefix_labels = synthetic_scenes(5, size=32, seed=0)
    np.testing.assert_array_equal(prefix, images[:5])
    np.testing.assert_array_equal(prefix_labels, labels[:5])


def test_different_seeds_differ(scenes):
    other, _ = synthetic_scenes(60, size=32, seed=1)
    assert not np.array_equal(other, scenes[0])
    assert len({im.tobytes() for im in scenes[0]}) == 60  # no two images alike


@pytest.mark.parametrize("size", [16, 17, 48])
def test_any_size(size):
    images, _ = synthetic_scenes(6, size=size, seed=2)
    assert images.shape == (6, size, size, 3)
    assert images.std() > 10  # a picture, not a flat fill


def test_red_and_blue_balls_have_the_same_lightness():
    red, blue = (rgb_to_lab(np.array(BALL_COLORS[c], dtype=np.uint8)) for c in ("red", "blue"))
    assert abs(red[0] - blue[0]) < 1.0
    assert red[1] > 40 and blue[2] < -40  # and they really are red and blue


def test_colour_follows_the_label(scenes):
    images, labels = scenes
    lab = rgb_to_lab(images)
    bottom, top = lab[:, 2 * 32 // 3 :], lab[:, : 32 // 4]

    def mean_ab(part, name):
        return part[labels == name][..., 1:].mean(axis=(0, 1, 2))

    assert mean_ab(bottom, "grass")[0] < -10  # green ground
    assert mean_ab(bottom, "lake")[1] < -15  # blue water
    assert mean_ab(bottom, "beach")[1] > 10  # yellow sand
    assert mean_ab(top, "grass")[1] < -15  # blue sky by day
    assert mean_ab(top, "sunset")[0] > 10  # red-pink sky at sunset
    assert lab[labels == "night"][..., 0].mean() < 25  # night is dark
    assert bottom[labels == "snow"][..., 0].mean() > 75  # snow is light


def test_grass_is_noisier_than_sky(scenes):
    images, labels = scenes
    L = rgb_to_lab(images[labels == "grass"])[..., 0]
    # horizontal neighbour differences: texture in the ground, smooth gradient in the sky
    texture = np.abs(np.diff(L, axis=2))
    assert texture[:, -6:].mean() > 3 * texture[:, :4].mean()


@pytest.mark.parametrize("kwargs, match", [({"n": 0}, "n must"), ({"n": 2.5}, "n must"),
                                           ({"n": 2, "size": 8}, "size must"),
                                           ({"n": 2, "seed": -1}, "seed must")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthetic_scenes(**kwargs)


def test_render_scene_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        render_scene(np.random.default_rng(0), 32, "desert")
