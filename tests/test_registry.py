"""The registry of trainable colorizers and load_colorizer's errors for bad folders."""

import json
import subprocess
import sys

import pytest

from chroma_lab.models import registry
from chroma_lab.models.registry import ModelFolderError, colorizer_class, load_colorizer


@pytest.mark.slow  # a fresh interpreter, ~2.5 s
def test_importing_the_registry_does_not_import_keras():
    code = "import sys, chroma_lab.models.registry; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_names_map_to_classes_that_know_their_name():
    assert set(registry.TRAINABLE) == {"zhang", "cnn", "iizuka", "coherent", "guided"}
    for name in registry.TRAINABLE:
        cls = colorizer_class(name)
        assert cls.registry_name == name
        assert cls.__module__ + ":" + cls.__name__ == registry.TRAINABLE[name]


@pytest.mark.parametrize("name", ["resnet", "Zhang", None])
def test_unknown_name_lists_the_available_ones(name):
    with pytest.raises(ValueError, match=r"unknown model .*; available: zhang, cnn"):
        colorizer_class(name)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer
    from chroma_lab.scenes import synthetic_scenes

    folder = tmp_path_factory.mktemp("cnn")
    images = synthetic_scenes(4, size=16, seed=0)[0]
    PaletteCNNColorizer(n_colors=3, image_size=16, filters=2, epochs=0, verbose=0).fit(images).save(folder)
    return folder


def test_load_colorizer_picks_the_class(saved):
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    model = load_colorizer(saved)
    assert type(model) is PaletteCNNColorizer and model.n_colors == 3 and model.is_fitted_


def _copy(saved, tmp_path, settings=None, model_bytes=None):
    folder = tmp_path / "copy"
    folder.mkdir()
    text = (saved / "colorizer.json").read_text() if settings is None else settings
    (folder / "colorizer.json").write_text(text)
    (folder / "model.keras").write_bytes((saved / "model.keras").read_bytes() if model_bytes is None
                                         else model_bytes)  # fmt: skip
    return folder


def _settings(saved, **changes):
    return json.dumps({**json.loads((saved / "colorizer.json").read_text()), **changes})


@pytest.mark.parametrize("case, match", [
    ("missing folder", "holds no saved colorizer: no such folder"),
    ("empty folder", "expected colorizer.json and model.keras"),
    ("no model.keras", "expected colorizer.json and model.keras"),
    ("invalid json", "is not valid JSON"),
    ("json of something else", "was not written by chroma_lab"),
    ("json list", "was not written by chroma_lab"),
    ("format not a string", "was not written by chroma_lab"),
    ("model not a string", "model named \\[1\\]"),
    ("unknown model", "model named 'deoldify', which this chroma_lab does not know .*retrain"),
    ("text model.keras", "is not a Keras archive"),
    ("zip that is not keras", "does not load .*retrain"),
])  # fmt: skip
def test_bad_folders_raise_one_clear_line(case, match, saved, tmp_path):
    import zipfile

    folder = {
        "missing folder": lambda: tmp_path / "nowhere",
        "empty folder": lambda: tmp_path,
        "no model.keras": lambda: (tmp_path / "colorizer.json").write_text("{}") and tmp_path,
        "invalid json": lambda: _copy(saved, tmp_path, settings="{not json"),
        "json of something else": lambda: _copy(saved, tmp_path, settings='{"format": "other/1"}'),
        "json list": lambda: _copy(saved, tmp_path, settings="[1, 2]"),
        "format not a string": lambda: _copy(saved, tmp_path, settings=_settings(saved, format=[1])),
        "model not a string": lambda: _copy(saved, tmp_path, settings=_settings(saved, model=[1])),
        "unknown model": lambda: _copy(saved, tmp_path, settings=_settings(saved, model="deoldify")),
        "text model.keras": lambda: _copy(saved, tmp_path, model_bytes=b"not a model"),
        "zip that is not keras": lambda: _copy(saved, tmp_path, model_bytes=b""),
    }[case]()
    if case == "zip that is not keras":
        with zipfile.ZipFile(folder / "model.keras", "w") as archive:
            archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFolderError, match=match) as info:
        load_colorizer(folder)
    message = str(info.value)
    assert str(folder) in message and isinstance(info.value, ValueError)


def test_a_class_refuses_another_models_folder(saved):
    from chroma_lab.models.zhang2016 import ZhangColorizer

    with pytest.raises(ModelFolderError, match="holds a 'cnn' colorizer, not 'zhang'"):
        ZhangColorizer.load(saved)
