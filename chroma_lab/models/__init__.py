"""Colorizers. Each file is one model; all share the surface of :class:`base.Colorizer`.

The Keras ones (:mod:`zhang2016`, :mod:`palette_cnn`) build on :mod:`keras_colorizer` and are
listed by name in :mod:`registry`, which also loads a saved one from its folder. Importing this
package does not import Keras.
"""

from chroma_lab.models.base import Colorizer, GrayColorizer
from chroma_lab.models.registry import TRAINABLE, ModelFolderError, colorizer_class, load_colorizer

__all__ = ["Colorizer", "GrayColorizer", "TRAINABLE", "ModelFolderError", "colorizer_class",
           "load_colorizer"]  # fmt: skip
