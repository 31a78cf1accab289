"""PaletteCNNColorizer and build_palette_cnn (lesson 4): per-pixel palette classes, small CNN."""

import keras
import numpy as np
import pytest

from chroma_lab.color import gray_to_lightness, in_gamut, lab_to_rgb, lightness, to_uint8
from chroma_lab.data import to_gray
from chroma_lab.metrics import fraction_within, mean_ab_error
from chroma_lab.models.palette_cnn import LOSSES, PaletteCNNColorizer, build_palette_cnn
from chroma_lab.scenes import synthetic_scenes
from chroma_lab.viz import plot_loss_curves

# Three lightness levels, two colours each, equally likely: a gray pixel cannot tell which. The
# palette sorts colours by a*, so each pair sits at distant indices (0 and 5, 1 and 4, 2 and 3).
AMBIGUOUS_LAB = np.array([[40, -35, 20], [40, 40, 20], [55, -20, -20], [55, 20, -20],
                          [70, -5, 30], [70, 5, 30]], dtype=float)  # fmt: skip


def ambiguous_images(n=32, size=16, seed=0):
    """4x4 blocks of the six colours above, drawn uniformly: uint8 RGB (n, size, size, 3)."""
    assert in_gamut(AMBIGUOUS_LAB).all()
    colours = to_uint8(lab_to_rgb(AMBIGUOUS_LAB))
    blocks = np.random.default_rng(seed).integers(0, 6, (n, size // 4, size // 4))
    return colours[blocks.repeat(4, axis=1).repeat(4, axis=2)]


@pytest.fixture(scope="module")
def tiny_images():
    return synthetic_scenes(4, size=16, seed=1)[0]


def test_build_shapes_names_and_parameter_count():
    x = np.zeros((2, 9, 13, 1), dtype="float32")  # any size: fully convolutional
    for output, channels in (("classes", 5), ("index", 1), ("ab", 2)):
        model = build_palette_cnn(n_colors=5, filters=4, dropout=0.5, output=output)
        assert model(x).shape == (2, 9, 13, channels)
        assert [layer.name for layer in model.layers][:3] == ["lightness", "conv3x3", "dropout"]
    classes = build_palette_cnn(n_colors=5, filters=4, output="classes")
    # by hand: 3x3x1x4 weights + 4 biases, then 4x5 weights + 5 biases
    assert classes.count_params() == (9 * 4 + 4) + (4 * 5 + 5)
    assert classes.get_layer("class_logits").activation.__name__ == "linear"  # logits, no softmax
    index = build_palette_cnn(n_colors=5, filters=4, output="index")
    values = keras.ops.convert_to_numpy(index(np.random.default_rng(0).normal(0, 50, x.shape)))
    assert values.min() >= 0 and values.max() <= 4


@pytest.fixture(scope="module")
def one_epoch_models(tiny_images):
    """One model per loss, trained for one epoch on the tiny images."""
    return {loss: PaletteCNNColorizer(n_colors=4, loss=loss, image_size=16, filters=4, epochs=1,
                                      batch_size=2, verbose=0).fit(tiny_images)
            for loss in LOSSES}  # fmt: skip


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_one_epoch_and_colorizes_any_size(loss, one_epoch_models, tiny_images):
    model = one_epoch_models[loss]
    assert list(model.history_) == ["loss"] and len(model.history_["loss"]) == 1
    assert np.isfinite(model.history_["loss"][0])
    gray = to_gray(tiny_images)[:, :11, :7]
    out = model.colorize(gray)
    assert out.shape == (4, 11, 7, 3) and out.dtype == np.uint8
    if loss != "l2_ab":
        classes = model.predict_classes(gray_to_lightness(gray))
        assert classes.shape == (4, 11, 7) and classes.min() >= 0 and classes.max() < 4


def test_training_images_are_cropped_and_resized(tiny_images):
    wide = np.concatenate([tiny_images, tiny_images], axis=2)  # 16 x 32
    model = PaletteCNNColorizer(n_colors=4, image_size=8, filters=4, epochs=1, batch_size=4,
                                verbose=0).fit(wide)  # fmt: skip
    assert model.colorize(to_gray(wide)).shape == wide.shape


@pytest.mark.slow  # three CNN fits, ~3 s
def test_onehot_beats_l1_on_index():
    images = ambiguous_images()
    scores = {}
    for loss in ("onehot", "l1_index"):
        model = PaletteCNNColorizer(n_colors=6, loss=loss, image_size=16, epochs=8, batch_size=4,
                                    verbose=0).fit(images)  # fmt: skip
        out = model.colorize(to_gray(images))
        scores[loss] = (fraction_within(images, out), mean_ab_error(images, out))
    # one-hot picks one of the two colours a gray level can have; L1 on the index settles between
    # their distant indices, i.e. on an unrelated colour
    assert scores["onehot"][0] > scores["l1_index"][0] + 0.15
    assert scores["onehot"][1] < scores["l1_index"][1] - 4.0


def test_same_seed_same_model_and_lightness_preserved(tiny_images):
    kwargs = dict(n_colors=4, image_size=16, filters=8, epochs=2, batch_size=2, verbose=0)
    gray = to_gray(tiny_images)
    first = PaletteCNNColorizer(**kwargs, seed=3).fit(tiny_images)
    second = PaletteCNNColorizer(**kwargs, seed=3).fit(tiny_images)
    other = PaletteCNNColorizer(**kwargs, seed=4).fit(tiny_images)
    L = gray_to_lightness(gray)
    np.testing.assert_array_equal(first._forward(L), second._forward(L))
    assert first.history_ == second.history_
    assert not np.array_equal(first._forward(L), other._forward(L))
    out = first.colorize(gray)
    np.testing.assert_array_equal(out, second.colorize(gray))
    displayable = in_gamut(np.concatenate([L[..., None], first._predict_ab(L)], axis=-1))
    assert displayable.mean() > 0.5
    np.testing.assert_allclose(lightness(out)[displayable], L[displayable], atol=0.5)


def test_loss_curves_figure(one_epoch_models):
    history = one_epoch_models["onehot"].history_
    fig = plot_loss_curves({"one-hot": history, "other": {"loss": [2.0, 1.0]}}, relative=True)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [1.0])
    np.testing.assert_allclose(lines[1].get_ydata(), [1.0, 0.5])
    with pytest.raises(ValueError, match="no 'val_loss'"):
        plot_loss_curves({"x": history}, key="val_loss")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(loss="l2"), r"loss must be one of 'onehot', 'l1_index', 'l2_ab', got 'l2'"),
        (dict(dropout=1.0), "dropout"),
        (dict(n_colors=1), "n_colors"),
        (dict(epochs=-1), "epochs must be an int >= 0"),
        (dict(batch_size=0), "batch_size"),
        (dict(filters=2.5), "filters"),
        (dict(image_size=0), "image_size"),
        (dict(learning_rate=0), "learning_rate"),
        (dict(verbose="yes"), "verbose"),
    ],
)
def test_bad_options(kwargs, match, tiny_images):
    with pytest.raises(ValueError, match=match):
        PaletteCNNColorizer(**kwargs).fit(tiny_images)


def test_bad_input(tiny_images, one_epoch_models):
    with pytest.raises(RuntimeError, match="not fitted"):
        PaletteCNNColorizer().colorize(to_gray(tiny_images))
    with pytest.raises(TypeError, match="uint8"):
        PaletteCNNColorizer().fit(tiny_images.astype(np.float32))
    with pytest.raises(ValueError, match="output must be one of"):
        build_palette_cnn(output="probabilities")
    model = one_epoch_models["l2_ab"]
    with pytest.raises(ValueError, match=r"RGB\? convert"):
        model.colorize(tiny_images)
    with pytest.raises(ValueError, match="predicts ab directly"):
        model.predict_classes(gray_to_lightness(to_gray(tiny_images)))
