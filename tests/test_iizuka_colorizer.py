"""IizukaColorizer: labels, save / load / resume bit for bit, colorizing at the image's own size,
the scene classifier, and the ``train iizuka`` / ``colorize --classes`` commands on tiny data."""

import json
import shutil

import keras
import numpy as np
import pytest

from chroma_lab import cli
from chroma_lab.data import to_gray
from chroma_lab.models.iizuka2016 import MAX_COLORIZE_PIXELS, IizukaColorizer, colorize_side
from chroma_lab.models.registry import load_colorizer
from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes

# 12 scenes of 16x16 in batches of 4: 3 steps an epoch; the same data as CLI_TINY gives the command
TINY = dict(image_size=16, batch_size=4, verbose=0, seed=0)
CLI_TINY = ["--data", "scenes", "--n-scenes", "12", "--image-size", "16", "--batch-size", "4"]
# The command passes each image's scene name as y; string labels make the classes their sorted
# distinct values (as scikit-learn's classes_), so the API runs here use that order too.
CLASSES = sorted(SCENE_CLASSES)


@pytest.fixture(scope="module")
def scenes():
    images, names = synthetic_scenes(12, size=16, seed=0)
    return images, np.array([CLASSES.index(n) for n in names])


@pytest.fixture(scope="module")
def fitted(scenes):
    """Two epochs, uninterrupted: what every resumed run must equal, bit for bit."""
    images, labels = scenes
    return IizukaColorizer(**TINY, epochs=2).fit(images, labels, class_names=CLASSES)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """The folder ``chroma-lab train iizuka`` leaves after one epoch."""
    out = tmp_path_factory.mktemp("iizuka") / "run"
    assert cli.main(["train", "iizuka", "--out", str(out), *CLI_TINY, "--epochs", "1"]) == 0
    return out


def _weights(colorizer):
    return [keras.ops.convert_to_numpy(w) for w in colorizer.model_.weights]


# ----------------------------------------------------------------------------------------------
# Training with labels, saving, resuming
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow  # the module's two-epoch Iizuka fit, ~9 s
def test_fit_logs_both_losses_and_keeps_the_class_names(fitted):
    assert fitted.class_names_ == CLASSES and fitted.epochs_done_ == 2
    assert set(fitted.history_) == {"loss", "ab_loss", "scene_loss"}
    for total, ab, scene in zip(fitted.history_["loss"], fitted.history_["ab_loss"], fitted.history_["scene_loss"]):
        assert total == pytest.approx(ab + scene / 300, rel=1e-4)  # alpha = 1/300
    assert fitted.network_.get_layer("class_output").units == len(SCENE_CLASSES)


@pytest.mark.slow  # two Iizuka fits
def test_string_labels_are_indices_into_their_sorted_names(scenes):
    """y as scene names (what chroma-lab train passes) trains as the indices into sorted names."""
    images, labels = scenes
    by_name = IizukaColorizer(**TINY, epochs=1).fit(images, [CLASSES[i] for i in labels])
    by_index = IizukaColorizer(**TINY, epochs=1).fit(images, labels, class_names=CLASSES)
    assert by_name.class_names_ == CLASSES
    for a, b in zip(_weights(by_name), _weights(by_index)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"\['fog'\] are not among the model's classes"):
        by_name.continue_fit(images, ["fog"] * len(images))


@pytest.mark.slow  # the module's Iizuka fit
def test_save_load_round_trip(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = load_colorizer(tmp_path / "m")
    assert type(loaded) is IizukaColorizer and loaded.get_params() == fitted.get_params()
    assert loaded.class_names_ == fitted.class_names_ and loaded.history_ == fitted.history_
    gray = to_gray(synthetic_scenes(2, size=24, seed=9)[0])  # another size than the training one
    np.testing.assert_array_equal(loaded.colorize(gray), fitted.colorize(gray))
    np.testing.assert_array_equal(loaded.predict_classes(gray)[1], fitted.predict_classes(gray)[1])
    assert json.loads((tmp_path / "m" / "colorizer.json").read_text())["model"] == "iizuka"


@pytest.mark.slow  # trains the command's checkpoint (module fixture), ~10 s
def test_a_loaded_model_with_a_class_head_needs_its_labels_to_continue(scenes, fitted, checkpoint):
    resumed = IizukaColorizer.load(checkpoint)
    assert resumed.epochs_done_ == 1
    assert resumed.get_params() == {**fitted.get_params(), "epochs": 1, "verbose": "auto"}  # the command's
    resumed.epochs = 2
    with pytest.raises(ValueError, match="pass the same labels"):
        resumed.continue_fit(scenes[0])


@pytest.mark.slow  # the command's resume below checks the same, bit for bit
def test_resumed_run_equals_an_uninterrupted_one(scenes, fitted, checkpoint):
    images, labels = scenes
    resumed = IizukaColorizer.load(checkpoint)
    resumed.epochs = 2
    resumed.continue_fit(images, labels)
    for a, b in zip(_weights(resumed), _weights(fitted)):
        np.testing.assert_array_equal(a, b)
    assert resumed.history_ == fitted.history_


@pytest.mark.slow  # two Iizuka fits, ~10 s
def test_without_labels_the_scene_loss_is_zero_and_there_is_no_class_head(scenes):
    images, _ = scenes
    model = IizukaColorizer(**TINY, epochs=1, optimizer="adam").fit(images)
    assert model.class_names_ is None and model.history_["scene_loss"] == [0.0]
    assert model.history_["loss"] == model.history_["ab_loss"]
    with pytest.raises(ValueError, match="without scene labels"):
        model.predict_classes(to_gray(images[:1]))
    model.epochs = 2
    with pytest.raises(ValueError, match="trained with class names None"):
        model.continue_fit(images, scenes[1])
    no_global = IizukaColorizer(**TINY, epochs=0, use_global=False).fit(images, np.zeros(12, int))
    assert set(no_global.network_.output) == {"ab"} and no_global.class_names_ is None
    with pytest.raises(ValueError, match="without its global branch"):
        no_global.predict_classes(to_gray(images[:1]))


@pytest.mark.parametrize("kwargs, labels, message", [
    ({"optimizer": "sgd"}, None, "optimizer must be one of 'adadelta', 'adam'"),
    ({"alpha": -1.0}, None, "alpha must be a number >= 0"),
    ({"image_size": 20}, None, "multiple of 8"),
    ({"learning_rate": 0.0}, None, "learning_rate must be a number > 0"),
    ({"use_global": 1}, None, "use_global must be True or False"),
    ({}, np.zeros(5, int), "labels must be 12 integers"),
    ({}, np.full(12, 0.5), "labels must be 12 integers"),
    ({}, np.full(12, -2), "labels must be class indices >= 0 or -1"),
    ({}, np.full(12, 6), "labels go up to 6 but class_names has 6 names"),
])  # fmt: skip
def test_bad_arguments_name_themselves(scenes, kwargs, labels, message):
    with pytest.raises((ValueError, TypeError), match=message):
        IizukaColorizer(**{**TINY, **kwargs}, epochs=0).fit(scenes[0], labels, class_names=CLASSES)


# ----------------------------------------------------------------------------------------------
# Colorizing at the image's own size; the scene classifier
# ----------------------------------------------------------------------------------------------
def test_colorize_side_rounds_to_multiples_of_8_and_caps_the_pixels():
    assert colorize_side(300, 451) == (304, 448)
    assert colorize_side(3, 5) == (8, 8)
    h, w = colorize_side(3000, 4000)
    assert h * w <= MAX_COLORIZE_PIXELS * 1.02 and abs(w / h - 4 / 3) < 0.02


@pytest.mark.slow  # the module's Iizuka fit
def test_colorize_runs_the_network_at_the_image_size_not_the_training_square(fitted):
    L = np.full((1, 30, 45), 50.0)
    (output,) = list(fitted._network_outputs(L))
    assert tuple(output["ab"].shape) == (1, 32, 48, 2)  # not 16x16, the training square
    gray = np.random.default_rng(0).integers(0, 256, (1, 30, 45), dtype=np.uint8)
    out = fitted.colorize(gray)
    assert out.shape == (1, 30, 45, 3) and out.dtype == np.uint8


@pytest.mark.slow  # the module's Iizuka fit
def test_predict_classes_names_and_probabilities(fitted, scenes):
    names, probabilities = fitted.predict_classes(to_gray(scenes[0][:3]))
    assert len(names) == 3 and set(names) <= set(SCENE_CLASSES)
    assert probabilities.shape == (3, 6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert names == [CLASSES[i] for i in probabilities.argmax(axis=1)]


# ----------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow  # the command trains and resumes, ~12 s
def test_train_resume_and_colorize_with_classes(fitted, checkpoint, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(checkpoint, out)
    assert json.loads((out / "train.json").read_text())["use_global"] is True
    assert cli.main(["train", "iizuka", "--out", str(out), "--resume", "--epochs", "2"]) == 0
    resumed = load_colorizer(out)
    assert resumed.class_names_ == CLASSES
    for a, b in zip(_weights(resumed), _weights(fitted)):  # the labels reached the resumed run too
        np.testing.assert_array_equal(a, b)
    assert (out / "log.csv").read_text().count("\n") == 3 and (out / "samples" / "epoch_002.png").is_file()

    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 45), dtype=np.uint8)).save(tmp_path / "g.png")
    capsys.readouterr()
    assert cli.main(["colorize", str(tmp_path / "g.png"), "--model", str(out), "--out", str(tmp_path / "c"),
                     "--classes"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith(f"{tmp_path / 'g.png'}: scene ") and lines[1].split()[2] in SCENE_CLASSES
    assert Image.open(tmp_path / "c" / "g.png").size == (45, 30)


def test_no_global_model_refuses_classes_in_one_line(scenes, tmp_path, capsys):
    out = tmp_path / "run"
    IizukaColorizer(**TINY, epochs=0, use_global=False).fit(scenes[0], scenes[1]).save(out)
    (tmp_path / "g.png").write_bytes(b"")  # never read: the option is refused first
    capsys.readouterr()
    assert cli.main(["colorize", str(tmp_path / "g.png"), "--model", str(out), "--out", str(tmp_path / "c"),
                     "--classes"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("chroma-lab colorize: error: --classes: the IizukaColorizer") and err.count("\n") == 1
    assert "without its global branch" in err or "without scene labels" in err
    assert not (tmp_path / "c").exists()


def test_model_options_reach_the_colorizer_and_other_models_refuse_them(tmp_path, capsys, monkeypatch):
    from chroma_lab.cli import train

    class Stop(Exception):
        pass

    def stop(settings, workers=2):  # the options are checked and set by the time the data are read
        raise Stop(settings)

    monkeypatch.setattr(train, "_load_training_images", stop)
    argv = ["train", "iizuka", "--out", str(tmp_path / "o"), "--no-global", "--alpha", "0.5", "--optimizer", "adam"]
    with pytest.raises(Stop) as stopped:
        cli.main(argv)
    settings = stopped.value.args[0]
    assert (settings["use_global"], settings["alpha"], settings["optimizer"]) == (False, 0.5, "adam")
    assert cli.main(["train", "iizuka", "--out", str(tmp_path / "o"), "--optimizer", "sgd"]) == 1
    assert "optimizer must be one of 'adadelta', 'adam'" in capsys.readouterr().err
    assert cli.main(["train", "zhang", "--out", str(tmp_path / "o"), "--no-global"]) == 1
    assert "--no-global is not an option of zhang" in capsys.readouterr().err
