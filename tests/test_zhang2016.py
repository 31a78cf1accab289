"""The Zhang et al. (2016) network and ZhangColorizer: sizes, layout, decoding, saving, training."""


import keras
import numpy as np
import pytest

from chroma_lab import losses
from chroma_lab.color import gray_to_lightness, lightness, normalize_l, rgb_to_lab
from chroma_lab.data import to_gray
from chroma_lab.models import zhang2016 as z
from chroma_lab.models.keras_colorizer import walk_layers
from chroma_lab.models.registry import ModelFolderError
from chroma_lab.quantize import ab_bins, annealed_mean
from chroma_lab.scenes import synthetic_scenes

CONV_NAMES = [f"conv{b}_{i}" for b, n in zip(range(1, 8), (2, 2, 3, 3, 3, 3, 3)) for i in range(1, n + 1)]
CONV_NAMES += ["conv8_1", "conv8_2", "conv8_3", "conv8_313"]


@pytest.fixture(scope="module")
def scenes():
    return synthetic_scenes(24, size=16, seed=1)[0]


@pytest.fixture(scope="module")
def fitted(scenes):
    return z.ZhangColorizer(image_size=16, epochs=2, batch_size=8, verbose=0).fit(scenes)


def _convs(model):
    return [la for la in walk_layers(model) if isinstance(la, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------
def test_full_network_has_the_published_parameter_count_and_flops():
    net = z.build("full")
    # the caffe model's conv weights + biases (colorization_deploy_v2.prototxt, conv1_1..conv8_313)
    assert z.conv_parameters(net) == 32_230_393
    # independent count, layer by layer: (output side, c_in, c_out, kernel) at 224x224
    table = [(224, 1, 64, 3), (112, 64, 64, 3), (112, 64, 128, 3), (56, 128, 128, 3),
             (56, 128, 256, 3), (56, 256, 256, 3), (28, 256, 256, 3), (28, 256, 512, 3)]
    table += [(28, 512, 512, 3)] * 8 + [(28, 512, 512, 3)] * 3
    macs = sum(s * s * cin * cout * k * k for s, cin, cout, k in table)
    macs += 28 * 28 * 512 * 256 * 16 + 2 * 56 * 56 * 256 * 256 * 9 + 56 * 56 * 256 * 313
    assert z.conv_flops(net, 224, 224) == 2 * macs
    assert 63e9 < 2 * macs < 65e9  # "about 64 GFLOP"


def test_layer_names_strides_and_dilations_follow_the_paper():
    net = z.build("small")
    convs = _convs(net)
    assert [la.name for la in convs] == CONV_NAMES
    strided = [la.name for la in convs if la.strides == (2, 2)]
    assert strided == ["conv1_2", "conv2_2", "conv3_3", "conv8_1"]
    assert [la.name for la in convs if la.dilation_rate == (2, 2)] == [f"conv{b}_{i}" for b in (5, 6) for i in (1, 2, 3)]
    deconv = net.get_layer("conv8_1")
    assert isinstance(deconv, keras.layers.Conv2DTranspose) and deconv.kernel_size == (4, 4)
    norms = [la.name for la in net.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert norms == ["conv1_2norm", "conv2_2norm", "conv3_3norm", "conv4_3norm", "conv5_3norm",
                     "conv6_3norm", "conv7_3norm"]  # fmt: skip
    # the released network's details: BatchNorm epsilon 1e-5, stride-2 layers padded 1 all round
    assert all(la.epsilon == 1e-5 for la in net.layers if isinstance(la, keras.layers.BatchNormalization))
    pads = [la for la in net.layers if isinstance(la, keras.layers.ZeroPadding2D)]
    assert [la.name for la in pads] == ["conv1_2pad", "conv2_2pad", "conv3_3pad"]
    assert all(la.padding == ((1, 1), (1, 1)) for la in pads)
    assert all(net.get_layer(la.name[:-3]).padding == "valid" for la in pads)


def test_small_network_is_small():
    net = z.build("small")
    assert net.count_params() <= 1_000_000
    assert [la.filters for la in _convs(net)][-1] == 313


@pytest.mark.parametrize("output, channels", [("classes", 313), ("ab", 2)])
def test_output_is_a_quarter_of_the_input(output, channels):
    net = z.build("small", output=output)
    out = net(np.zeros((2, 32, 48, 1), np.float32))
    assert tuple(out.shape) == (2, 8, 12, channels)
    assert tuple(net(np.zeros((1, 8, 16, 1), np.float32)).shape) == (1, 2, 4, channels)
    assert net.layers[-1].name == ("conv8_313" if output == "classes" else "conv8_ab")


def test_lightness_layer_matches_numpy():
    rgb = np.random.default_rng(0).integers(0, 256, (2, 5, 7, 3)).astype(np.uint8)
    out = keras.ops.convert_to_numpy(z.LightnessFromRGB()(rgb))
    np.testing.assert_allclose(out[..., 0], normalize_l(lightness(rgb)), atol=2e-5)


def test_mixed_bfloat16_keeps_head_and_colour_maths_in_float32():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = z.build_training_model(z.build("small"))
        net = model.get_layer("zhang2016")
        assert net.get_layer("conv1_1").compute_dtype == "bfloat16"
        assert net.get_layer("conv8_313").compute_dtype == "float32"
        assert model.get_layer("rgb_to_l").compute_dtype == "float32"
        out = model(np.zeros((1, 16, 16, 3), np.uint8))
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_build_rejects_unknown_options():
    with pytest.raises(ValueError, match="size must be one of"):
        z.build("medium")
    with pytest.raises(ValueError, match="output must be one of"):
        z.build("small", output="rgb")


# ----------------------------------------------------------------------------------------------
# Decoding
# ----------------------------------------------------------------------------------------------
def test_decoding_limits():
    logits = np.random.default_rng(1).normal(0, 3, (2, 3, 4, 313)).astype(np.float32)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    mode = ab_bins()[np.argmax(logits, axis=-1)]
    decode = lambda t: keras.ops.convert_to_numpy(z.decode_ab(logits, t))  # noqa: E731
    np.testing.assert_allclose(decode(0), mode)
    np.testing.assert_allclose(decode(1e-3), mode, atol=1e-3)  # T -> 0: the mode
    np.testing.assert_allclose(decode(1.0), probs @ ab_bins(), atol=1e-3)  # T = 1: the mean
    np.testing.assert_allclose(decode(0.38), annealed_mean(probs, 0.38), atol=1e-3)
    ab = np.float32([[[[0.5, -0.25]]]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(z.decode_ab(ab)), [[[[55.0, -27.5]]]])


# ----------------------------------------------------------------------------------------------
# ZhangColorizer
# ----------------------------------------------------------------------------------------------
def test_colorizer_fits_and_colorizes_any_size(fitted, scenes):
    assert fitted.epochs_done_ == 2 and fitted.prior_.shape == (313,)
    gray = to_gray(synthetic_scenes(2, size=40, seed=5)[0][:, :, :28])  # (2, 40, 28)
    out = fitted.colorize(gray)
    assert out.shape == (2, 40, 28, 3) and out.dtype == np.uint8
    # the output keeps the input's lightness, up to 8-bit rounding and gamut clipping
    assert np.abs(rgb_to_lab(out)[..., 0] - gray_to_lightness(gray)).mean() < 0.5
    assert list(fitted.history_) == ["loss"] and fitted.history_["loss"][1] < fitted.history_["loss"][0]


@pytest.mark.slow  # a second Zhang fit, ~4 s
def test_seeded_fit_is_deterministic(fitted, scenes):
    again = z.ZhangColorizer(image_size=16, epochs=2, batch_size=8, verbose=0).fit(scenes)
    for a, b in zip(fitted.model_.weights, again.model_.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_save_load_round_trip_safe_mode(fitted, scenes, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = z.ZhangColorizer.load(tmp_path / "model")
    gray = to_gray(scenes[:3])
    np.testing.assert_array_equal(loaded.colorize(gray), fitted.colorize(gray))
    assert loaded.epochs_done_ == 2 and loaded.loss == "full"
    np.testing.assert_allclose(loaded.prior_, fitted.prior_)
    model = keras.saving.load_model(tmp_path / "model" / z.MODEL_FILE, safe_mode=True)
    x = scenes[:2]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(fitted.model_(x)))
    assert not [p.name for p in (tmp_path / "model").iterdir() if "tmp" in p.name]


@pytest.mark.parametrize("loss", ["class", "l2"])
@pytest.mark.slow  # one Zhang fit per loss, ~4 s each
def test_other_losses_train(loss, scenes):
    c = z.ZhangColorizer(loss=loss, image_size=16, epochs=1, batch_size=8, verbose=0).fit(scenes[:8])
    head = c.network_.layers[-1]
    assert head.name == ("conv8_ab" if loss == "l2" else "conv8_313")
    assert c.colorize(to_gray(scenes[:1])).shape == (1, 16, 16, 3)


def test_continue_fit_needs_the_same_data(fitted, scenes):
    with pytest.raises(ValueError, match="resume on the same data"):
        fitted.continue_fit(scenes[:4])


@pytest.mark.parametrize("kwargs, match", [
    ({"size": "huge"}, "size must be one of"), ({"loss": "huber"}, "loss must be one of"),
    ({"image_size": 20}, "multiple of 8"), ({"epochs": -1}, "epochs must be an int"),
    ({"temperature": -0.1}, "temperature must be"), ({"learning_rate": 0}, "learning_rate must be"),
])  # fmt: skip
def test_bad_settings_raise(kwargs, match, scenes):
    with pytest.raises(ValueError, match=match):
        z.ZhangColorizer(**kwargs).fit(scenes[:2])


def test_unfitted_and_missing_model_errors(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        z.ZhangColorizer().colorize(np.zeros((1, 8, 8), np.uint8))
    with pytest.raises(ModelFolderError, match="no saved ZhangColorizer"):
        z.ZhangColorizer.load(tmp_path)


def test_stride_and_input_multiple_come_from_the_strided_blocks():
    for config in z.CONFIGS.values():
        assert (config.input_multiple, config.output_stride) == (8, 4)
        net = z.build(config=config)
        side = 3 * config.input_multiple
        out = net(np.zeros((1, side, side, 1), np.float32))
        assert out.shape[1] == side // config.output_stride
    assert losses.PAPER_OUTPUT_STRIDE == z.CONFIGS["full"].output_stride  # the functions' default
    wider = z.ZhangConfig(strided_blocks=(1, 2))
    assert (wider.input_multiple, wider.output_stride) == (4, 2)


def test_training_loss_gets_the_network_stride(fitted):
    assert fitted.model_.loss.stride == z.CONFIGS["small"].output_stride


def test_lesson5_figures(fitted, scenes):
    from matplotlib.figure import Figure

    from chroma_lab import viz

    fig = viz.plot_prior_and_weights(fitted.prior_)
    assert isinstance(fig, Figure) and len(fig.axes) == 4  # two panels and their colour bars
    gray = to_gray(scenes[:2])
    sweep = {}
    for t in (0.0, 0.38, 1.0):
        fitted.temperature = t
        sweep[t] = fitted.colorize(gray)
    fitted.temperature = 0.38
    fig = viz.plot_temperature_sweep(gray, scenes[:2], sweep)
    titles = [ax.get_title() for ax in fig.axes[:5]]
    assert titles == ["gray input", "truth", "T = 0 (mode)", "T = 0.38", "T = 1 (mean)"]
