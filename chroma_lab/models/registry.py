"""The trainable colorizers by name, and loading a saved one from its folder.

A saved colorizer is a folder with ``colorizer.json`` (its parameters, written by
:meth:`~chroma_lab.models.keras_colorizer.KerasColorizer.save`) and ``model.keras``. The JSON names
the model (``"model": "zhang"``), so :func:`load_colorizer` needs nothing but the folder.

The classes are import strings, so importing this module (say, to list the names for ``--help``)
does not import Keras. Adding a model is one entry in :data:`TRAINABLE`.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from chroma_lab.errors import ChromaLabError

TRAINABLE = {
    "zhang": "chroma_lab.models.zhang2016:ZhangColorizer",
    "cnn": "chroma_lab.models.palette_cnn:PaletteCNNColorizer",
    "iizuka": "chroma_lab.models.iizuka2016:IizukaColorizer",
    "coherent": "chroma_lab.models.coherent:CoherentColorizer",
    "guided": "chroma_lab.models.guided2017:GuidedColorizer",
}
# Methods with nothing to learn, used by name where a model folder is expected (``--model levin2004``):
# "module:factory", the factory returning a ready colorizer.
READY = {
    "levin2004": "chroma_lab.models.levin2004:LevinColorizer.fitted",
}
SETTINGS_FILE = "colorizer.json"
MODEL_FILE = "model.keras"
FORMAT = "chroma_lab.colorizer/2"


class ModelFolderError(ChromaLabError):
    """A folder that does not hold a loadable saved colorizer; the message names the folder."""


def colorizer_class(name: str):
    """The colorizer class registered under ``name`` (imports its module, hence Keras)."""
    if not isinstance(name, str) or name not in TRAINABLE:
        raise ChromaLabError(f"unknown model {name!r}; available: {', '.join(TRAINABLE)}")
    module, _, attribute = TRAINABLE[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_colorizer(folder):
    """The fitted colorizer saved in ``folder``, whatever its model; or, for a name in
    :data:`READY` (``"levin2004"``), that method, which needs no training (``./levin2004`` is a
    folder of that name).

    Raises
    ------
    ModelFolderError
        The folder is missing, holds no ``colorizer.json`` or ``model.keras``, its JSON was not
        written by chroma_lab, or names a model this version does not know.
    """
    if isinstance(folder, str) and folder in READY:
        module, _, factory = READY[folder].partition(":")
        target = importlib.import_module(module)
        for attribute in factory.split("."):
            target = getattr(target, attribute)
        return target()
    settings = read_settings(folder)
    return colorizer_class(settings["model"]).load(folder)


def read_settings(folder, cls=None) -> dict:
    """``folder/colorizer.json`` as a dict with its ``"model"`` key, checked; see load_colorizer.

    ``cls`` (a registered class) also refuses a folder holding another model.
    """
    folder = Path(folder)
    expected = None if cls is None else cls.registry_name
    what = f"a saved {cls.__name__}" if cls is not None else "a saved colorizer"
    if not folder.is_dir():
        raise ModelFolderError(f"'{folder}' holds no {what[2:]}: no such folder")
    path = folder / SETTINGS_FILE
    if not path.is_file() or not (folder / MODEL_FILE).is_file():
        raise ModelFolderError(f"'{folder}' holds no {what[2:]}: expected {SETTINGS_FILE} "
                               f"and {MODEL_FILE} in it")  # fmt: skip
    try:
        settings = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFolderError(f"'{path}' is not valid JSON ({exc}); it is not {what}") from exc
    fmt = settings.get("format") if isinstance(settings, dict) else None
    fmt = fmt if isinstance(fmt, str) else repr(fmt)
    if fmt != FORMAT:
        raise ModelFolderError(f"'{path}' was not written by chroma_lab (format {fmt}, expected "
                               f"{FORMAT!r}); it is not {what}")  # fmt: skip
    name = settings.get("model")
    if not isinstance(name, str) or name not in TRAINABLE:
        raise ModelFolderError(f"'{folder}' holds a model named {name!r}, which this chroma_lab "
                               f"does not know (available: {', '.join(TRAINABLE)}); retrain it")
    if expected is not None and name != expected:
        raise ModelFolderError(f"'{folder}' holds a {name!r} colorizer, not {expected!r}; load it "
                               "with chroma_lab.models.registry.load_colorizer")  # fmt: skip
    return settings
