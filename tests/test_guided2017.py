"""Zhang et al. (2017), local hints: the layout's size, the simulated user's statistics, the colorizer."""

import keras
import numpy as np
import pytest

from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.hints import GEOMETRIC_P, draw_point_count, sample_hints
from chroma_lab.models.guided2017 import (MAX_POINTS, GuidedColorizer, SimulatedHints, build,
                                          conv_parameters, hint_huber, network_input, points_cap,
                                          resize_hints)
from chroma_lab.models.registry import colorizer_class, load_colorizer
from chroma_lab.scenes import synthetic_scenes

TINY = dict(image_size=16, epochs=1, batch_size=4, verbose=0, seed=1)


def conv(cin, cout, k=3):
    return k * k * cin * cout + cout


def test_full_network_has_the_papers_parameter_count():
    """Counted from the paper's layer table (and the released model): 4 input channels, the 2016
    encoder, three decoder blocks each with a 4x4 up-convolution and a 3x3 shortcut, a 1x1 ab head."""
    encoder = (conv(4, 64) + conv(64, 64) + conv(64, 128) + conv(128, 128) + conv(128, 256)
               + 2 * conv(256, 256) + conv(256, 512) + 2 * conv(512, 512) + 9 * conv(512, 512))
    conv8 = conv(512, 256, 4) + conv(256, 256) + 2 * conv(256, 256)
    conv9 = conv(256, 128, 4) + conv(128, 128) + conv(128, 128)
    conv10 = conv(128, 128, 4) + conv(64, 128) + conv(128, 128)
    expected = encoder + conv8 + conv9 + conv10 + conv(128, 2, 1)
    assert expected == 34_045_314
    assert conv_parameters(build("full")) == expected


def test_network_keeps_the_resolution_and_takes_four_channels():
    net = build("small")
    out = net(np.zeros((2, 24, 32, 4), dtype="float32"))
    assert tuple(out.shape) == (2, 24, 32, 2)
    assert net.get_layer("conv10_ab").activation.__name__ == "tanh"


def test_network_input_channels():
    l_norm = np.full((1, 2, 2, 1), 0.25, dtype="float32")
    ab = np.full((1, 2, 2, 2), 55.0, dtype="float32")
    mask = np.array([[[[1.0], [0.0]], [[0.0], [0.0]]]], dtype="float32")
    x = keras.ops.convert_to_numpy(network_input(l_norm, ab, mask))
    np.testing.assert_allclose(x[0, 0, 0], [0.25, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(x[0, 0, 1], [0.25, 0.0, 0.0, -0.5])  # no hint: ab 0, mask -0.5


def test_numpy_point_count_is_the_papers_geometric():
    counts = draw_point_count(np.random.default_rng(0), size=40_000)
    p = GEOMETRIC_P
    assert abs(counts.mean() - (1 - p) / p) < 4 * np.sqrt((1 - p) / p**2 / len(counts))
    assert abs(np.mean(counts == 0) - p) < 0.01 and counts.min() == 0


def test_numpy_hints_show_the_patch_mean_near_the_centre():
    rng = np.random.default_rng(0)
    ab_true = rng.uniform(-50, 50, size=(2000, 32, 32, 2))
    ab, mask = sample_hints(ab_true, 1, rng, patch_sizes=(3,))
    assert mask.sum() == 2000 * 9  # one 3x3 patch each
    for i in (0, 7):
        patch = mask[i]
        np.testing.assert_allclose(ab[i][patch], np.broadcast_to(ab_true[i][patch].mean(axis=0), (9, 2)))
    top, left = np.argmax(mask.any(axis=2), axis=1), np.argmax(mask.any(axis=1), axis=1)
    positions = 32 - 3 + 1  # start ~ floor(N(positions / 2, positions / 4)), clipped
    se = positions / 4 / np.sqrt(len(top))
    for start in (top, left):
        assert abs(start.mean() + 0.5 - positions / 2) < 4 * se
        assert 0.85 * positions / 4 < start.std() < 1.05 * positions / 4


def _render(ab, active, side, top, left):
    """The simulated hints drawn pixel by pixel from the layer's draws (last point wins)."""
    n, height, width = ab.shape[:3]
    hint, mask = np.zeros_like(ab), np.zeros((n, height, width, 1))
    for i in range(n):
        for k in range(active.shape[1]):
            if active[i, k]:
                window = (i, slice(int(top[i, k]), int(top[i, k] + side[i, k])),
                          slice(int(left[i, k]), int(left[i, k] + side[i, k])))
                hint[window] = ab[window].reshape(-1, 2).mean(axis=0)
                mask[window] = 1.0
    return hint, mask


@pytest.mark.parametrize("p", [GEOMETRIC_P, 1 / 16])
def test_layer_draws_follow_the_paper(p):
    layer = SimulatedHints(p=p, seed=4)
    assert layer.max_points == points_cap(p) and (1 - p) ** (points_cap(p) + 1) < 0.0016
    active, side, top, left = (keras.ops.convert_to_numpy(t) for t in layer.draw(20_000, 64, 64))
    counts = active.sum(axis=1)
    truncated_mean = (1 - p) * (1 - (1 - p) ** layer.max_points) / p
    assert abs(counts.mean() - truncated_mean) < 4 * np.sqrt((1 - p) / p**2 / len(counts))
    assert abs(np.mean(counts == 0) - p) < 0.01
    assert set(np.unique(side)) == set(range(1, 10)) and abs(side.mean() - 5) < 0.05
    positions = 64 - side + 1
    z = (top + 0.5 - positions / 2) / (0.25 * positions)  # standardised, floor's half pixel undone
    assert abs(np.median(z)) < 0.05
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01  # a normal's one-sigma mass (clipping is at 2)
    assert np.all(top >= 0) and np.all(top + side <= 64) and np.all(left + side <= 64)


def test_layer_hints_are_the_patch_means_of_its_draws():
    ab = np.random.default_rng(1).uniform(-60, 60, size=(6, 24, 24, 2)).astype("float32")
    draws = [keras.ops.convert_to_numpy(t) for t in SimulatedHints(seed=7).draw(6, 24, 24)]
    hint, mask = (keras.ops.convert_to_numpy(t) for t in SimulatedHints(seed=7)(ab))
    expected_hint, expected_mask = _render(ab.astype(np.float64), *draws)
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_allclose(hint, expected_hint, atol=1e-3)


def test_huber_loss_against_numpy():
    rgb = np.random.default_rng(2).integers(0, 256, size=(2, 4, 4, 3)).astype("float32")
    pred = np.random.default_rng(3).uniform(-0.3, 0.3, size=(2, 4, 4, 2)).astype("float32")
    err = np.abs(rgb_to_lab(rgb.astype(np.uint8))[..., 1:] - 110 * pred)
    expected = np.where(err < 1, 0.5 * err**2, err - 0.5).sum(axis=-1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(hint_huber(rgb, pred)), expected, rtol=1e-4, atol=1e-3)


def test_resize_hints_keeps_every_dot():
    ab = np.zeros((1, 256, 256, 2))
    mask = np.zeros((1, 256, 256), dtype=bool)
    ab[0, 100, 37], mask[0, 100, 37] = (30.0, -20.0), True
    small_ab, small_mask = resize_hints(ab, mask, (64, 64))
    assert small_mask.sum() == 1 and small_mask[0, 25, 9] == 1
    np.testing.assert_allclose(small_ab[0, 25, 9], (30.0, -20.0))


@pytest.mark.slow
def test_colorizer_trains_saves_and_takes_or_skips_hints(tmp_path):
    images = synthetic_scenes(8, size=16, seed=2)[0]
    assert colorizer_class("guided") is GuidedColorizer
    model = GuidedColorizer(**TINY).fit(images)
    gray = rgb_to_gray(images[:2])
    automatic = model.colorize(gray)
    lab = rgb_to_lab(images[:2])
    hints = sample_hints(lab[..., 1:], 5, np.random.default_rng(0))
    hinted = model.colorize(gray, hints=hints)
    assert automatic.shape == hinted.shape == (2, 16, 16, 3)
    assert not np.array_equal(automatic, hinted)  # the hints reach the network
    model.save(tmp_path / "g")
    loaded = load_colorizer(tmp_path / "g")
    np.testing.assert_array_equal(loaded.colorize(gray, hints=hints), hinted)


def test_points_cap_keeps_the_papers_48():
    assert points_cap(GEOMETRIC_P) == MAX_POINTS == 48 and points_cap(1 / 16) == 100


@pytest.mark.parametrize("side", [16, 40])
def test_hinted_pixels_come_back_at_their_hint(side):
    """What a user expects and what Levin's constraints give: a dot keeps its colour exactly, at
    the training scale and on a larger photo (whose hints the network sees resized)."""
    images = synthetic_scenes(4, size=side, seed=3)[0]
    model = GuidedColorizer(**{**TINY, "epochs": 0}).fit(synthetic_scenes(4, size=16, seed=2)[0])
    ab_true = rgb_to_lab(images)[..., 1:]
    ab, mask = sample_hints(ab_true, 6, np.random.default_rng(5))
    L = rgb_to_lab(images)[..., 0]
    out = model._predict_ab(L, ab, mask)
    np.testing.assert_array_equal(out[mask], ab[mask])
    assert np.abs(out[~mask] - ab_true[~mask]).mean() > 1  # elsewhere the (untrained) network speaks
    rgb = model.colorize(rgb_to_gray(images), hints=(ab, mask))
    # through uint8 RGB: within a few Lab units where the hint's colour is inside the gamut
    assert np.median(np.abs(rgb_to_lab(rgb)[..., 1:][mask] - ab[mask])) < 1.5


def test_hint_p_trains_the_simulated_user_and_is_saved(tmp_path):
    """The default user gives 15 points on average (p = 1/16); the paper's 1/8 stays one option away."""
    images = synthetic_scenes(4, size=16, seed=2)[0]
    default = GuidedColorizer(**{**TINY, "epochs": 0}).fit(images)
    assert default.hint_p == 1 / 16 == default.model_.get_layer("simulated_hints").p
    model = GuidedColorizer(**{**TINY, "epochs": 0}, hint_p=GEOMETRIC_P).fit(images)
    assert model.model_.get_layer("simulated_hints").p == GEOMETRIC_P
    model.save(tmp_path / "g")
    assert load_colorizer(tmp_path / "g").hint_p == GEOMETRIC_P
    with pytest.raises(ValueError, match="hint_p"):
        GuidedColorizer(**TINY, hint_p=1.0).fit(images)


def test_folder_saved_before_hint_p_loads_with_the_papers_p(tmp_path):
    import json

    images = synthetic_scenes(4, size=16, seed=2)[0]
    GuidedColorizer(**{**TINY, "epochs": 0}, hint_p=GEOMETRIC_P).fit(images).save(tmp_path / "g")  # as before
    settings = json.loads((tmp_path / "g" / "colorizer.json").read_text())
    del settings["hint_p"]
    (tmp_path / "g" / "colorizer.json").write_text(json.dumps(settings))
    loaded = load_colorizer(tmp_path / "g")
    assert loaded.hint_p == GEOMETRIC_P == loaded.model_.get_layer("simulated_hints").p


@pytest.mark.slow
def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    """The simulated hints draw once per step, so a resumed run re-draws the same ones."""
    images = synthetic_scenes(8, size=16, seed=2)[0]
    whole = GuidedColorizer(**{**TINY, "epochs": 2}).fit(images)
    GuidedColorizer(**TINY).fit(images).save(tmp_path / "g")
    resumed = GuidedColorizer.load(tmp_path / "g")
    resumed.epochs = 2
    resumed.continue_fit(images)
    for a, b in zip(resumed.model_.weights, whole.model_.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


@pytest.mark.parametrize("size", [20, 4])
def test_bad_image_size_is_refused(size):
    with pytest.raises(ValueError, match="image_size"):
        GuidedColorizer(image_size=size).fit(synthetic_scenes(2, size=16)[0])


def test_cosine_schedule_decays_from_the_rate_to_a_hundredth():
    model = GuidedColorizer(learning_rate=2e-3, epochs=5, schedule="cosine")
    rates = [model.epoch_learning_rate(e) for e in range(5)]
    np.testing.assert_allclose([rates[0], rates[2], rates[4]], [2e-3, 2e-3 * (0.01 + 0.99 / 2), 2e-5])
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert GuidedColorizer(learning_rate=2e-3, epochs=5).epoch_learning_rate(4) == 2e-3


@pytest.mark.slow
def test_cosine_training_ends_at_the_last_epochs_rate_and_saves_its_schedule(tmp_path):
    images = synthetic_scenes(8, size=16, seed=2)[0]
    model = GuidedColorizer(**{**TINY, "epochs": 2}, schedule="cosine").fit(images)
    rate = float(keras.ops.convert_to_numpy(model.model_.optimizer.learning_rate))
    np.testing.assert_allclose(rate, model.epoch_learning_rate(1), rtol=1e-6)
    assert rate < model.learning_rate / 50
    model.save(tmp_path / "g")
    assert load_colorizer(tmp_path / "g").schedule == "cosine"


def test_bad_schedule_is_refused():
    with pytest.raises(ValueError, match="schedule"):
        GuidedColorizer(**TINY, schedule="linear").fit(synthetic_scenes(2, size=16)[0])


def test_train_command_takes_the_schedule(tmp_path):
    from chroma_lab.cli import parse_args

    args = parse_args(["train", "guided", "--schedule", "cosine", "--hint-p", "0.0625",
                       "--out", str(tmp_path / "g")])  # fmt: skip
    assert args.schedule == "cosine" and args.hint_p == 0.0625
