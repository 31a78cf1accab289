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


def test_regions_leave_images_and_labels_unchanged(scenes):
    images, labels = scenes
    with_regions, again_labels, regions = synthetic_scenes(60, size=32, seed=0, return_regions=True)
    assert with_regions.tobytes() == images.tobytes()  # bit for bit
    assert list(again_labels) == list(labels)
    assert regions.shape == (60, 32, 32) and regions.dtype == np.int32
    _, _, regions_again = synthetic_scenes(60, size=32, seed=0, return_regions=True)
    np.testing.assert_array_equal(regions_again, regions)
    _, _, prefix = synthetic_scenes(4, size=32, seed=0, return_regions=True)
    np.testing.assert_array_equal(prefix, regions[:4])
    image, region_map = render_scene(np.random.default_rng([0, 0]), 32, labels[0], return_regions=True)
    np.testing.assert_array_equal(image, images[0])
    np.testing.assert_array_equal(region_map, regions[0])


def test_region_ids_are_compact_and_the_sky_is_zero():
    _, _, regions = synthetic_scenes(24, size=48, seed=4, return_regions=True)
    for region_map in regions:
        ids = np.unique(region_map)
        np.testing.assert_array_equal(ids, np.arange(len(ids)))  # 0..k-1, none missing
        assert len(ids) >= 2  # at least a sky and a ground
        assert np.all(region_map[0] == 0)  # the top row is sky
        assert region_map[-1, 0] != 0 or region_map[-1, -1] != 0  # the bottom is not


def test_colour_changes_at_region_boundaries_not_inside():
    images, _, regions = synthetic_scenes(30, size=48, seed=5, return_regions=True)
    ab = rgb_to_lab(images)[..., 1:]
    steps = [np.linalg.norm(np.diff(ab, axis=a), axis=-1) for a in (1, 2)]
    crossing = [np.diff(regions, axis=a) != 0 for a in (1, 2)]
    across = np.concatenate([s[c] for s, c in zip(steps, crossing)])
    inside = np.concatenate([s[~c] for s, c in zip(steps, crossing)])
    assert across.mean() > 5 * inside.mean()
    # each ball is one surface of one colour: red (a* > 0) or blue (b* < 0) throughout
    ball_regions = 0
    for image_ab, region_map in zip(ab, regions):
        for rid in np.unique(region_map):
            a, b = np.median(image_ab[region_map == rid], axis=0)
            big = np.sum(region_map == rid) >= 20  # a small one is mostly anti-aliased edge
            if big and (a > 40 or b < -40):  # only balls are that saturated
                ball_regions += 1
                values = image_ab[region_map == rid]
                red = a > 40
                share = np.mean(values[:, 0] > 20) if red else np.mean(values[:, 1] < -20)
                assert share > 0.8  # the rest: anti-aliased rim, shaded side
    assert ball_regions >= 5


def test_an_anti_aliased_pixel_belongs_to_the_surface_that_dominates_it():
    from chroma_lab.scenes import _Canvas

    c = _Canvas(16, track_surfaces=True)
    c.fill(np.zeros((16, 16, 3)), "sky")
    alpha = np.zeros((16, 16))
    alpha[0, :3] = (0.4, 0.5, 0.6)  # an edge: less than, exactly, more than half covered
    alpha[1, 0] = 1.0
    c.paint(alpha, (255, 0, 0), "ball")
    c.paint(np.where(np.arange(16) == 0, 0.3, 0.0)[:, None] * np.ones(16), (0, 0, 0))  # a tint
    regions = c.region_map()
    # ball weight a, sky 1 - a; the tint (no surface) changes neither's share
    assert regions[0, :3].tolist() == [0, 0, 1]  # a tie goes to the surface drawn first
    assert regions[1, 0] == 1 and regions[5, 5] == 0
    c.paint(alpha * 0 + (np.arange(16) == 1)[None, :] * 0.7, (0, 0, 255), "window")
    regions = c.region_map()
    # row 1, col 0: ball 1 -> still ball (window alpha there is 0); row 0, col 1: window 0.7 wins
    assert regions[1, 0] == 1 and regions[0, 1] == 2 and regions[0, 0] == 0


# ----------------------------------------------------------------------------------------------
# ambiguous_scenes: lesson 5's balls whose lightness does not tell their hue
# ----------------------------------------------------------------------------------------------
def test_ambiguous_scenes_are_seeded_and_prefix_stable():
    from chroma_lab.scenes import ambiguous_scenes

    a, b = ambiguous_scenes(6, size=24, seed=3), ambiguous_scenes(6, size=24, seed=3)
    assert a.shape == (6, 24, 24, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and np.array_equal(ambiguous_scenes(3, size=24, seed=3), a[:3])
    assert not np.array_equal(ambiguous_scenes(6, size=24, seed=4), a)


def test_ambiguous_balls_share_one_lightness_and_follow_the_odds():
    from chroma_lab.scenes import AMBIGUOUS_HUES, BALL_L, BALL_ODDS, BAND_L, ambiguous_scenes

    images, colors = ambiguous_scenes(200, size=16, seed=0, return_colors=True)
    drawn = [c for image in colors for c in image]
    for name, odds in BALL_ODDS.items():  # 900 or so balls: within 4 standard errors of the odds
        assert abs(drawn.count(name) / len(drawn) - odds) < 4 * np.sqrt(odds * (1 - odds) / len(drawn))
    lab = rgb_to_lab(images)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    colourful = chroma > 20  # a ball of green or magenta, or the band
    assert set(np.unique(np.round(lab[..., 0][colourful] / 10) * 10)) <= {BALL_L, BAND_L}
    on_ball = colourful & (np.abs(lab[..., 0] - BALL_L) < 3)
    ab = lab[..., 1:][on_ball]
    hues = {name: np.array(value) for name, value in AMBIGUOUS_HUES.items() if name != "gray"}
    nearest = np.min([np.linalg.norm(ab - h, axis=-1) for h in hues.values()], axis=0)
    assert np.percentile(nearest, 99) < 4  # only green or magenta at a ball's lightness (noise aside)
    # the gray balls are gray at the same lightness: a gray image cannot tell the three apart
    gray_ball = (chroma < 3) & (np.abs(lab[..., 0] - BALL_L) < 1.5)
    assert gray_ball.sum() > 0.02 * gray_ball.size


def test_ambiguous_scenes_band_evens_green_and_magenta():
    from chroma_lab.data import split_lab
    from chroma_lab.quantize import class_prior, nearest_bin, rebalance_weights
    from chroma_lab.scenes import AMBIGUOUS_HUES, ambiguous_scenes

    def weights(band):
        w = rebalance_weights(class_prior(split_lab(ambiguous_scenes(40, size=24, seed=1, band=band))[1]))
        return {name: w[nearest_bin(np.array(ab))] for name, ab in AMBIGUOUS_HUES.items()}

    without, with_band = weights(0.0), weights(0.25)
    assert without["magenta"] > 2 * without["green"]  # rarer, so rebalancing would favour it
    assert 0.7 < with_band["magenta"] / with_band["green"] < 1.4
    assert with_band["gray"] < with_band["green"] / 2  # and gray, the hedge, weighs least


@pytest.mark.parametrize("kwargs, match", [({"n": 0}, "n must"), ({"size": 8}, "size must"),
                                           ({"seed": -1}, "seed must"), ({"band": 1.0}, "band must")])
def test_ambiguous_scenes_bad_arguments(kwargs, match):
    from chroma_lab.scenes import ambiguous_scenes

    with pytest.raises(ValueError, match=match):
        ambiguous_scenes(**{"n": 2, **kwargs})


def test_ambiguous_sunsets_give_the_sunset_sky_a_day_skys_lightness_and_keep_its_hue(scenes):
    images, labels = scenes
    recoloured, same_labels, regions = synthetic_scenes(60, size=32, seed=0, ambiguous_sunsets=True,
                                                         return_regions=True)  # fmt: skip
    assert (same_labels == labels).all()
    sunset = labels == "sunset"
    assert (recoloured[~sunset] == images[~sunset]).all()  # the other classes: the same bytes
    lab_new, lab_old = rgb_to_lab(recoloured), rgb_to_lab(images)
    sky = regions == 0
    day = (labels == "grass")[:, None, None] & sky
    sunset_sky = sunset[:, None, None] & sky
    # the usual sunset sky is darker than a day sky; the ambiguous one is as light as a day sky ...
    assert lab_old[..., 0][sunset_sky].mean() < lab_old[..., 0][day].mean() - 8
    assert abs(lab_new[..., 0][sunset_sky].mean() - lab_old[..., 0][day].mean()) < 3
    # ... and keeps a sunset's hues: red-purple above, orange near the horizon, never a day's blue
    assert lab_new[..., 1][sunset_sky].mean() > 15 and lab_old[..., 2][day].mean() < -15
    assert lab_new[..., 2][sunset_sky].mean() > lab_old[..., 2][day].mean() + 25
