"""KerasColorizer, the base of the Keras colorizers: save / load, resume, history, parameters."""

import json

import keras
import numpy as np
import pytest
from sklearn.base import clone

from chroma_lab.data import to_gray
from chroma_lab.models.keras_colorizer import LightnessFromGray, LightnessFromRGB
from chroma_lab.models.palette_cnn import PaletteCNNColorizer
from chroma_lab.models.registry import FORMAT, ModelFolderError
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import synthetic_scenes

CNN = dict(n_colors=4, image_size=16, filters=4, batch_size=4, verbose=0, seed=2)


@pytest.fixture(scope="module")
def images():
    return synthetic_scenes(12, size=16, seed=3)[0]


@pytest.fixture(scope="module")
def one_epoch(images):
    """The palette CNN after one epoch, shared by the tests that only read it or save it (a fit
    traces Keras' training step: about a second each)."""
    return PaletteCNNColorizer(**CNN, epochs=1).fit(images)


def _weights(colorizer):
    return [keras.ops.convert_to_numpy(w) for w in colorizer.model_.weights]


@pytest.mark.parametrize("make", [
    lambda: PaletteCNNColorizer(**CNN, epochs=2),
    lambda: PaletteCNNColorizer(**{**CNN, "loss": "l2_ab"}, epochs=1),
    # test_zhang2016.py::test_save_load_round_trip_safe_mode covers Zhang in the quick tier
    pytest.param(lambda: ZhangColorizer(image_size=16, epochs=1, batch_size=6, verbose=0), marks=pytest.mark.slow),
], ids=["cnn", "cnn-l2", "zhang"])  # fmt: skip
def test_save_load_round_trip(make, images, tmp_path):
    fitted = make().fit(images)
    fitted.save(tmp_path / "m")
    loaded = type(fitted).load(tmp_path / "m")
    gray = to_gray(synthetic_scenes(2, size=24, seed=9)[0])  # another size than the training one
    np.testing.assert_array_equal(loaded.colorize(gray), fitted.colorize(gray))
    assert loaded.get_params() == fitted.get_params()
    assert loaded.history_ == fitted.history_ and loaded.epochs_done_ == fitted.epochs_done_
    for a, b in zip(_weights(loaded), _weights(fitted)):
        np.testing.assert_array_equal(a, b)
    settings = json.loads((tmp_path / "m" / "colorizer.json").read_text())
    assert settings["format"] == FORMAT and settings["model"] == type(fitted).registry_name
    assert not [p.name for p in (tmp_path / "m").iterdir() if "tmp" in p.name]


def test_cnn_resumed_run_equals_an_uninterrupted_one(images, one_epoch, tmp_path):
    whole = PaletteCNNColorizer(**CNN, epochs=3).fit(images)
    one_epoch.save(tmp_path / "m")
    resumed = PaletteCNNColorizer.load(tmp_path / "m")
    assert resumed.epochs_done_ == 1
    resumed.epochs = 3
    resumed.continue_fit(images)
    assert resumed.epochs_done_ == 3
    for a, b in zip(_weights(resumed), _weights(whole)):
        np.testing.assert_array_equal(a, b)
    assert resumed.history_ == whole.history_ and len(whole.history_["loss"]) == 3
    gray = to_gray(images[:3])
    np.testing.assert_array_equal(resumed.colorize(gray), whole.colorize(gray))


def test_continue_fit_stops_at_epochs_and_needs_the_same_data(images, one_epoch):
    model = one_epoch
    before = _weights(model)
    model.continue_fit(images)  # already at epochs: nothing to do
    for a, b in zip(_weights(model), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="resume on the same data"):
        model.continue_fit(images[:4])
    with pytest.raises(RuntimeError, match="not fitted"):
        PaletteCNNColorizer(**CNN).continue_fit(images)


def test_callbacks_see_the_history_of_the_epoch(images):
    seen = []

    class Probe(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(len(model.history_["loss"]))

    model = PaletteCNNColorizer(**CNN, epochs=2)
    model.fit(images, callbacks=[Probe()])
    assert seen == [1, 2]


def test_history_is_trimmed_to_the_weights_on_load(one_epoch, tmp_path):
    """A kill between colorizer.json (written first) and model.keras leaves a history one epoch ahead."""
    model = one_epoch
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "colorizer.json"
    settings = json.loads(path.read_text())
    settings["history"]["loss"].append(0.5)
    path.write_text(json.dumps(settings))
    assert PaletteCNNColorizer.load(tmp_path / "m").history_ == model.history_


def test_dropout_draws_on_where_the_saved_run_stopped(one_epoch, tmp_path):
    """The random state of the dropout layer travels in colorizer.json (a .keras archive restarts
    it); a state saved for another step than the weights' (a kill between the two files) is left
    fresh rather than put back at the wrong step."""
    model = one_epoch
    model.save(tmp_path / "m")
    state = json.loads((tmp_path / "m" / "colorizer.json").read_text())["random_state"]
    assert state["step"] == model.optimizer_steps_ == 3 and len(state["values"]) == 1  # one Dropout
    assert state["values"][0][1] > 0  # drawn from in training
    loaded = PaletteCNNColorizer.load(tmp_path / "m")
    [variable] = [v for v in loaded.model_.variables if "seed_generator" in v.path]
    assert keras.ops.convert_to_numpy(variable).tolist() == state["values"][0]
    path = tmp_path / "m" / "colorizer.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "random_state": {**state, "step": 2}}))
    [variable] = [v for v in PaletteCNNColorizer.load(tmp_path / "m").model_.variables if "seed_generator" in v.path]
    assert keras.ops.convert_to_numpy(variable).tolist() != state["values"][0]


def test_parameters_follow_scikit_learn(images):
    model = PaletteCNNColorizer(**CNN, epochs=1)
    assert model.get_params()["n_colors"] == 4
    assert repr(model).startswith("PaletteCNNColorizer(") and "n_colors=4" in repr(model)
    copy = clone(model).set_params(epochs=0)
    assert copy.epochs == 0 and model.epochs == 1 and not hasattr(copy, "model_")
    assert copy.fit(images).epochs_done_ == 0 and copy.history_ == {}


def test_saved_settings_a_version_refuses_say_retrain(images, tmp_path):
    model = PaletteCNNColorizer(**CNN, epochs=0).fit(images)
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "colorizer.json"
    settings = json.loads(path.read_text())
    wrong_state = {**settings["random_state"], "values": [[1, 2, 3]]}  # the dropout's state has 2
    for broken in ({**settings, "n_colors": 1}, {k: v for k, v in settings.items() if k != "palette"},
                   {**settings, "random_state": wrong_state}, {**settings, "random_state": [0]}):
        path.write_text(json.dumps(broken))
        with pytest.raises(ModelFolderError, match="retrain"):
            PaletteCNNColorizer.load(tmp_path / "m")


def test_input_layers_match_numpy_lightness():
    from chroma_lab.color import gray_to_lightness, lightness, normalize_l

    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)[None]
    out = keras.ops.convert_to_numpy(LightnessFromGray()(gray))
    assert out.shape == (1, 16, 16, 1)
    np.testing.assert_allclose(out[..., 0], normalize_l(gray_to_lightness(gray)), atol=2e-5)
    rgb = np.random.default_rng(0).integers(0, 256, (1, 4, 5, 3)).astype(np.uint8)
    out = keras.ops.convert_to_numpy(LightnessFromRGB()(rgb))
    np.testing.assert_allclose(out[..., 0], normalize_l(lightness(rgb)), atol=2e-5)
    # float input 0..255 takes the curve, integer input the table: the same L* to round-off
    for layer, x in ((LightnessFromGray(), gray), (LightnessFromRGB(), rgb)):
        floats = keras.ops.convert_to_numpy(layer(x.astype(np.float32)))
        np.testing.assert_allclose(floats, keras.ops.convert_to_numpy(layer(x)), rtol=0, atol=1e-6)
