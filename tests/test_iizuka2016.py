"""The Iizuka et al. (2016) network and its loss: shapes, sizes, fusion, ablations, saving, training."""

import keras
import numpy as np
import pytest

from chroma_lab.color import rgb_to_lab
from chroma_lab.losses import (IIZUKA_ALPHA, IizukaAbLoss, SceneCrossEntropy, ab_to_unit,
                               iizuka_compile_losses, iizuka_loss)  # fmt: skip
from chroma_lab.models import iizuka2016 as iz
from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes


@pytest.fixture(scope="module")
def small():
    keras.utils.set_random_seed(0)
    return iz.build("small", num_classes=6)


@pytest.fixture(scope="module")
def full():
    return iz.build("full")


def _np(tensor):
    """A backend tensor as NumPy (torch tensors that need a gradient included)."""
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(tensor))


def _names(model):
    return [layer.name for layer in model.layers]


def expected_weights(config, num_classes, head=True, use_global=True):
    """Weights + biases from the config alone, layer by layer (an independent count)."""

    def conv(c_in, c_out, k=3):
        return k * k * c_in * c_out + c_out

    def dense(n_in, n_out):
        return n_in * n_out + n_out

    total, c = 0, 1
    for width, _ in config.low:
        total, c = total + conv(c, width), width
    for width in config.mid:
        total, c = total + conv(c, width), width
    if use_global:
        g = config.low[-1][0]
        for width, _ in config.global_convs:
            total, g = total + conv(g, width), width
        side = config.global_size // 32  # three low-level and two global stride-2 layers
        n = side * side * g
        for units in config.global_fc:
            total, n = total + dense(n, units), units
        if head:
            total += dense(config.global_fc[-2], config.class_hidden)
            total += dense(config.class_hidden, num_classes)
        total, c = total + conv(c + config.global_fc[-1], config.fusion, k=1), config.fusion
    for width in config.color:
        total, c = total + conv(c, width), width
    return total + conv(c, 2)


# ----------------------------------------------------------------------------------------------
# Layout and sizes
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(32, 32), (48, 64), (64, 40)])
def test_both_outputs_have_the_input_size_and_the_class_count(small, shape):
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (2, *shape, 1)).astype("float32")
    out = small(x, training=False)
    assert set(out) == {"ab", "scene"}
    assert tuple(out["ab"].shape) == (2, *shape, 2)
    assert tuple(out["scene"].shape) == (2, 6)
    ab = _np(out["ab"])
    assert np.all(np.abs(ab) <= 110.0 + 1e-4)  # a sigmoid mapped to -110..110


def test_full_network_has_the_published_parameter_counts(full):
    config = iz.CONFIGS["full"]
    assert expected_weights(config, 205) == 42_353_839
    assert expected_weights(config, 205, head=False) == 42_169_826
    assert iz.parameter_count(full) == 42_353_839
    assert iz.parameter_count(full, head=False) == 42_169_826


def test_small_network_count_follows_the_formula(small):
    count = iz.parameter_count(small)
    print(f"small network, 6 classes: {count:,} weights and biases")
    assert count == expected_weights(iz.CONFIGS["small"], 6) == 1_171_136
    assert iz.parameter_count(small, head=False) == expected_weights(iz.CONFIGS["small"], 6, head=False)


def test_full_network_forward_at_224(full):
    out = full(np.zeros((1, 224, 224, 1), "float32"), training=False)
    assert tuple(out["ab"].shape) == (1, 224, 224, 2)
    assert tuple(out["scene"].shape) == (1, 205)


def test_low_level_layers_are_shared_by_both_paths(small):
    convs = [la for la in small.layers
             if la.name.startswith("low_conv") and isinstance(la, keras.layers.Conv2D)]
    assert [la.name for la in convs] == [f"low_conv{i}" for i in range(1, 7)]
    # the global path's first convolution sees the shared low-level features of the 64x64 copy
    probe = keras.Model(small.input, small.get_layer("global_conv1").input)
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (1, 40, 48, 1)).astype("float32")
    expected = keras.ops.image.resize(x, (64, 64), interpolation="bilinear", antialias=True)
    for name in [f"low_conv{i}" for i in range(1, 7)]:
        for suffix in ("", "_bn", "_relu"):
            expected = small.get_layer(name + suffix)(expected, training=False)
    np.testing.assert_allclose(_np(probe(x, training=False)), _np(expected), rtol=1e-5, atol=1e-5)


def test_fusion_tiles_the_global_vector_like_numpy():
    rng = np.random.default_rng(2)
    mid_in = keras.Input(shape=(None, None, 4))
    vec_in = keras.Input(shape=(3,))
    model = keras.Model([mid_in, vec_in], iz.Fusion()([mid_in, vec_in]))  # H, W unknown when built
    for h, w in [(2, 5), (7, 3)]:
        mid = rng.normal(size=(2, h, w, 4)).astype("float32")
        vec = rng.normal(size=(2, 3)).astype("float32")
        tiled = np.tile(vec[:, None, None, :], (1, h, w, 1))
        np.testing.assert_array_equal(_np(model([mid, vec])), np.concatenate([tiled, mid], axis=-1))


def test_fusion_in_the_network_joins_mid_level_and_global_features(small):
    probe = keras.Model(small.input, [small.get_layer("mid_conv2_relu").output,
                                      small.get_layer("global_fc3_relu").output,
                                      small.get_layer("fusion").output])  # fmt: skip
    x = np.random.default_rng(3).uniform(-0.5, 0.5, (2, 48, 32, 1)).astype("float32")
    mid, vec, fused = (_np(t) for t in probe(x, training=False))
    assert mid.shape == (2, 6, 4, 64) and vec.shape == (2, 64)
    tiled = np.broadcast_to(vec[:, None, None, :], (2, 6, 4, 64))
    np.testing.assert_allclose(fused, np.concatenate([tiled, mid], axis=-1), rtol=1e-6)
    assert small.get_layer("fusion_conv").kernel_size == (1, 1)


def test_without_global_branch_only_ab_remains():
    net = iz.build("small", use_global=False)
    names = _names(net)
    assert not [n for n in names if n.startswith(("global", "fusion", "class"))]
    assert [n for n in names if n.startswith("mid_conv")][:1] == ["mid_conv1"]
    out = net(np.zeros((1, 48, 64, 1), "float32"), training=False)
    assert set(out) == {"ab"} and tuple(out["ab"].shape) == (1, 48, 64, 2)
    # the mid-level features feed the colorization network directly
    assert net.get_layer("color_conv1").input.shape[-1] == iz.CONFIGS["small"].mid[-1]
    assert iz.parameter_count(net) == expected_weights(iz.CONFIGS["small"], 0, use_global=False)


def test_batch_norm_false_has_no_batch_normalization():
    with_bn = iz.build("small", num_classes=6)
    without = iz.build("small", num_classes=6, batch_norm=False)
    assert any(isinstance(la, keras.layers.BatchNormalization) for la in with_bn.layers)
    assert not any(isinstance(la, keras.layers.BatchNormalization) for la in without.layers)
    assert iz.parameter_count(without) == iz.parameter_count(with_bn)


def test_sigmoid_half_is_neutral_and_the_ends_are_plus_minus_ab_scale(small):
    net = iz.build("small", num_classes=6)
    out_conv = net.get_layer("color_output")
    kernel, bias = out_conv.get_weights()
    x = np.random.default_rng(4).uniform(-0.5, 0.5, (1, 16, 24, 1)).astype("float32")
    for b, expected in [((0.0, 0.0), (0.0, 0.0)), ((50.0, -50.0), (110.0, -110.0))]:
        out_conv.set_weights([np.zeros_like(kernel), np.array(b, "float32")])
        ab = _np(net(x, training=False)["ab"])
        np.testing.assert_allclose(ab, np.broadcast_to(expected, ab.shape), atol=1e-4)
    # the loss's target space is the inverse mapping
    np.testing.assert_allclose(ab_to_unit(np.array([-110.0, 0.0, 55.0, 110.0])), [0.0, 0.5, 0.75, 1.0])


BAD_ARGUMENTS = [
    ({"size": "medium"}, "size"),
    ({"num_classes": 0}, "num_classes"),
    ({"use_global": 1}, "use_global"),
    ({"config": iz.IizukaConfig(global_size=100)}, "global_size"),
    ({"config": iz.IizukaConfig(upsample_after=(1,))}, "upsamples"),
]


@pytest.mark.parametrize("kwargs, message", BAD_ARGUMENTS)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        iz.build(**kwargs)


# ----------------------------------------------------------------------------------------------
# The loss, against NumPy
# ----------------------------------------------------------------------------------------------
def _numpy_loss(rgb, ab_pred, labels, logits, alpha=IIZUKA_ALPHA):
    unit_true = (rgb_to_lab(rgb)[..., 1:] / 110.0 + 1.0) / 2.0
    unit_pred = (ab_pred / 110.0 + 1.0) / 2.0
    mse = np.mean((unit_pred - unit_true) ** 2)
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    keep = labels >= 0
    ce = -log_p[keep, labels[keep]].mean() if keep.any() else 0.0
    return mse, ce, mse + alpha * ce


@pytest.fixture
def batch():
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (4, 8, 16, 3), dtype=np.uint8)
    ab = rng.uniform(-100, 100, (4, 8, 16, 2)).astype("float32")
    logits = rng.normal(0, 3, (4, 6)).astype("float32")
    return rgb, ab, logits


@pytest.mark.parametrize("labels", [[3, 0, 5, 1], [2, -1, 4, -1], [-1, -1, -1, -1]])
def test_loss_matches_numpy(batch, labels):
    rgb, ab, logits = batch
    labels = np.array(labels)
    mse, ce, total = _numpy_loss(rgb, ab, labels, logits)
    y_true, y_pred = {"ab": rgb, "scene": labels}, {"ab": ab, "scene": logits}
    np.testing.assert_allclose(float(iizuka_loss(y_true, y_pred)), total, rtol=1e-5)
    np.testing.assert_allclose(float(IizukaAbLoss()(rgb, ab)), mse, rtol=1e-5)
    np.testing.assert_allclose(float(SceneCrossEntropy()(labels, logits)), ce, rtol=1e-5, atol=1e-7)
    if (labels >= 0).any():  # Keras' own sparse cross-entropy on the labelled images
        keep = labels >= 0
        keras_ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        reference = float(keras_ce(labels[keep], logits[keep]))
        np.testing.assert_allclose(float(SceneCrossEntropy()(labels, logits)), reference, rtol=1e-5)


def test_unlabelled_logits_do_not_change_the_loss(batch):
    rgb, ab, logits = batch
    labels = np.array([2, -1, 4, -1])
    changed = logits.copy()
    changed[[1, 3]] = 100.0 * np.random.default_rng(6).normal(size=(2, 6))
    y_true = {"ab": rgb, "scene": labels}
    assert float(iizuka_loss(y_true, {"ab": ab, "scene": logits})) == pytest.approx(
        float(iizuka_loss(y_true, {"ab": ab, "scene": changed})), rel=1e-6)


def test_loss_without_scene_output_is_the_mse(batch):
    rgb, ab, logits = batch
    mse, _, _ = _numpy_loss(rgb, ab, np.array([-1] * 4), logits)
    np.testing.assert_allclose(float(iizuka_loss({"ab": rgb}, {"ab": ab})), mse, rtol=1e-5)


def test_compile_losses_weigh_the_classes_by_alpha():
    args = iizuka_compile_losses()
    assert args["loss_weights"] == {"ab": 1.0, "scene": pytest.approx(1 / 300)}
    assert set(iizuka_compile_losses(use_global=False)["loss"]) == {"ab"}
    with pytest.raises(ValueError, match="alpha"):
        iizuka_compile_losses(alpha=-1)


# ----------------------------------------------------------------------------------------------
# Training model: saving and a few steps
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenes():
    images, names = synthetic_scenes(8, size=32, seed=3)
    labels = np.array([SCENE_CLASSES.index(n) for n in names])
    labels[:2] = -1  # two unlabelled images: they train the colour loss only
    return images, labels


def _compiled(use_global=True, optimizer=None, run_eagerly=False):
    keras.utils.set_random_seed(0)
    network = iz.build("small", num_classes=len(SCENE_CLASSES), use_global=use_global)
    model = iz.build_training_model(network)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), run_eagerly=run_eagerly,
                  **iizuka_compile_losses(use_global=use_global))  # fmt: skip
    return model


def test_save_and_load_in_safe_mode_gives_the_same_outputs(tmp_path, scenes):
    images, _ = scenes
    model = _compiled()
    rng = np.random.default_rng(7)
    for variable in model.weights:  # BatchNorm statistics too, so that they must round-trip
        shape = tuple(variable.shape)
        if "variance" in variable.path:
            variable.assign(rng.uniform(0.5, 2.0, shape).astype("float32"))
        else:
            variable.assign(rng.normal(0, 0.1, shape).astype("float32"))
    model.optimizer.build(model.trainable_variables)  # an untrained model saves its optimizer too
    model.save(tmp_path / "iizuka.keras")
    loaded = keras.saving.load_model(tmp_path / "iizuka.keras", safe_mode=True)
    before, after = model(images, training=False), loaded(images, training=False)
    for key in ("ab", "scene"):
        np.testing.assert_allclose(_np(after[key]), _np(before[key]), rtol=1e-5, atol=1e-5)
    assert isinstance(loaded.loss["ab"], IizukaAbLoss)
    assert isinstance(loaded.loss["scene"], SceneCrossEntropy)
    assert loaded.get_layer("iizuka2016").get_layer("global_resize").size == 64


@pytest.mark.slow  # ~3 s
def test_three_eager_steps_on_eight_scenes_reduce_the_loss(scenes):
    images, labels = scenes
    model = _compiled(run_eagerly=True)  # graph tracing takes longer than these steps
    y = {"ab": images, "scene": labels}
    losses = [model.train_on_batch(images, y, return_dict=True)["loss"] for _ in range(4)]
    assert losses[-1] < losses[0]
    # the total Keras minimises is the paper's: iizuka_loss on the same outputs
    assert model.evaluate(images, y, verbose=0, return_dict=True)["loss"] == pytest.approx(
        float(_np(iizuka_loss(y, model(images, training=False)))), rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("use_global, optimizer", [(True, "adadelta"), (False, "adam")])
def test_fit_on_eight_scenes_reduces_the_loss(scenes, use_global, optimizer):
    images, labels = scenes
    if optimizer == "adam":
        opt = keras.optimizers.Adam(1e-3)
    else:  # the paper's optimizer, with the learning rate 1 of Zeiler (2012)
        opt = keras.optimizers.Adadelta(1.0, rho=0.95, epsilon=1e-6)
    model = _compiled(use_global, opt)
    y = {"ab": images, "scene": labels} if use_global else {"ab": images}
    history = model.fit(images, y, epochs=10, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    if use_global:
        assert history["scene_loss"][-1] < history["scene_loss"][0]


# ----------------------------------------------------------------------------------------------
# Lesson 6's checkers (chroma_lab.checks.lesson06): references against the library, mistakes caught
# ----------------------------------------------------------------------------------------------
def test_checker_references_match_the_library():
    from chroma_lab.checks import lesson06 as ch
    from chroma_lab.data import split_lab

    rng = np.random.default_rng(0)
    mid, vector = rng.normal(size=(2, 3, 5, 4)).astype("float32"), rng.normal(size=(2, 6)).astype("float32")
    np.testing.assert_allclose(_np(iz.Fusion()([mid, vector])), ch.fuse_reference(mid, vector), atol=1e-6)
    for shape, size in (((1, 30, 45), 16), ((2, 5, 3), 8)):  # shrinking (no antialias) and enlarging
        images = rng.uniform(0, 100, shape).astype("float32")
        keras_resized = _np(keras.ops.image.resize(images[..., None], (size, size), antialias=False))[..., 0]
        np.testing.assert_allclose(ch.resize_bilinear_reference(images, size), keras_resized, atol=1e-3)
    rgb = synthetic_scenes(3, size=16, seed=1)[0]
    out = {"ab": rng.uniform(-50, 50, (3, 16, 16, 2)).astype("float32"), "scene": rng.normal(size=(3, 6))}
    labels = np.array([2, -1, 5])
    want = float(_np(iizuka_loss({"ab": rgb, "scene": labels}, out, alpha=0.1)))
    got = ch.iizuka_loss_reference(out["ab"], split_lab(rgb)[1], out["scene"], labels, 0.1)
    assert got == pytest.approx(want, rel=1e-4)


def _lines(capsys):
    return capsys.readouterr().out.strip().splitlines()


def test_checkers_pass_the_references_and_fail_the_usual_mistakes(capsys):
    from chroma_lab.checks import lesson06 as ch

    def not_yet(*args):
        raise NotImplementedError

    assert ch.check_fusion(ch.fuse_reference)
    assert not ch.check_fusion(lambda mid, v: np.concatenate([mid, np.broadcast_to(
        v[:, None, None], mid.shape[:3] + v.shape[-1:])], -1))  # fmt: skip
    assert ch.check_resize_for_global(ch.resize_bilinear_reference)
    assert not ch.check_resize_for_global(ch._align_corners)
    assert ch.check_iizuka_loss(ch.iizuka_loss_reference)
    lab_units = lambda p, t, lo, la, a: np.mean((p - t) ** 2) + ch.iizuka_loss_reference(  # noqa: E731
        p, p, lo, la, a)
    assert not ch.check_iizuka_loss(lab_units)
    everyone = lambda p, t, lo, la, a: ch.iizuka_loss_reference(p, t, lo, np.maximum(la, 0), a)  # noqa: E731
    assert not ch.check_iizuka_loss(everyone)
    assert not ch.check_fusion(not_yet)
    lines = _lines(capsys)
    assert [line[:4] for line in lines] == ["PASS", "FAIL", "PASS", "FAIL", "PASS", "FAIL", "FAIL", "FAIL"]
    assert "global vector first" in lines[1] and "aligned the corners" in lines[3]
    assert "Lab units" in lines[5] and "unlabelled" in lines[6]
    assert lines[7].startswith("FAIL: not implemented yet (fuse)") and "Hint" not in lines[7]
