"""The surface every colorizer shares, so lessons, the evaluation harness and the commands can swap them.

* ``fit(images, y=None)``: uint8 RGB images of shape (n, H, W, 3), and optionally one label per
  image (a model that learns from labels uses them, the others ignore them) -> ``self``.
* ``colorize(gray)``: uint8 grayscale images of shape (n, H, W) -> uint8 RGB (n, H, W, 3).
* ``validate_params()``: check the constructor parameters; raises
  :class:`~chroma_lab.errors.ChromaLabError` naming the bad one. ``fit`` calls it; so does
  ``chroma-lab train`` before it reads any data, and ``load`` on the settings of a saved model.
* ``predict_scenes(gray)``: the scene of each image, for a model with a scene classifier
  (Iizuka et al.'s); the others raise :class:`~chroma_lab.errors.ChromaLabError` saying so.
* ``cli_options``: the options ``chroma-lab train`` offers for the class, a dict
  ``{"--option": (parameter, argparse keywords)}``; the option sets that constructor parameter.
  A new model declares its own (``{**KerasColorizer.cli_options, "--alpha": ("alpha", {"type":
  float, "help": "..."})}``) and the command line needs no change: a new colorizer is a model
  file plus a line in :data:`chroma_lab.models.registry.TRAINABLE`.

``chroma-lab train`` needs a :class:`~chroma_lab.models.keras_colorizer.KerasColorizer` (epochs,
checkpoints, ``continue_fit``, ``save``/``load``); ``colorize`` and ``evaluate`` need only the
surface above (and ``temperature`` among ``get_params()`` for ``colorize --temperature``).

A gray pixel v means the sRGB colour (v, v, v); its CIE L* is the lightness to keep. A subclass
only implements ``_fit(images)`` and ``_predict_ab(L)``, which maps lightness (n, H, W) in 0..100
to ab (n, H, W, 2); the base class validates inputs and recombines L with the predicted ab.

:class:`Colorizer` is a scikit-learn ``BaseEstimator``: its parameters are the ``__init__``
arguments, so ``get_params`` / ``set_params`` / ``repr`` and ``sklearn.base.clone`` come for free.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from chroma_lab._checks import check_fitted
from chroma_lab.color import gray_to_lightness, rgb_from_l_ab
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.hints import check_hints


def check_rgb_batch(images, name: str = "images") -> np.ndarray:
    """Validate uint8 RGB images of shape (n, H, W, 3) (a single (H, W, 3) image is refused)."""
    arr = np.asarray(images)
    if arr.dtype != np.uint8:
        raise ChromaLabTypeError(f"{name} must be uint8 RGB (0..255), got dtype {arr.dtype}")
    if arr.ndim != 4 or arr.shape[-1] != 3:
        hint = " (a single image? use images[None])" if arr.ndim == 3 and arr.shape[-1] == 3 else ""
        raise ChromaLabError(f"{name} must have shape (n, H, W, 3), got {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ChromaLabError(f"{name} is empty: need at least one image")
    return arr


def check_gray_batch(gray, name: str = "gray") -> np.ndarray:
    """Validate uint8 grayscale images of shape (n, H, W)."""
    arr = np.asarray(gray)
    if arr.dtype != np.uint8:
        raise ChromaLabTypeError(f"{name} must be uint8 grayscale (0..255), got dtype {arr.dtype}")
    if arr.ndim != 3:
        hint = " (RGB? convert with chroma_lab.data.to_gray)" if arr.ndim == 4 else ""
        hint = hint or (" (a single image? use gray[None])" if arr.ndim == 2 else "")
        raise ChromaLabError(f"{name} must have shape (n, H, W), got {arr.shape}{hint}")
    return arr


class Colorizer(BaseEstimator):
    """Base class: input checks and the L + ab -> RGB recombination shared by all colorizers.

    A colorizer that takes user hints (Levin et al. 2004, Zhang et al. 2017) sets ``takes_hints``
    and implements ``_predict_ab(L, hint_ab, hint_mask)``; the others refuse hints.
    """

    takes_hints = False

    cli_options: dict = {}  # see the module docstring

    def fit(self, images, y=None):
        """Learn from colour images.

        Parameters
        ----------
        images : ndarray of shape (n, H, W, 3), uint8 RGB
        y : array_like of shape (n,), optional
            One label per image; ignored by a colorizer that does not learn from labels.

        Returns
        -------
        self
        """
        self.validate_params()
        self._fit(check_rgb_batch(images))
        self.is_fitted_ = True
        return self

    def validate_params(self) -> None:
        """Check the constructor parameters; raises ChromaLabError naming a bad one."""

    def predict_scenes(self, gray):
        """The scene of each grayscale image (n, H, W): ``(names, probabilities)``, for a model
        with a scene classifier; this one has none, so it raises ChromaLabError."""
        raise ChromaLabError(f"this {type(self).__name__} has no scene classifier (iizuka trained "
                             "with scene labels has one)")

    def colorize(self, gray, hints=None) -> np.ndarray:
        """Colour grayscale images.

        Parameters
        ----------
        gray : ndarray of shape (n, H, W), uint8
            A gray value v stands for the sRGB colour (v, v, v).
        hints : (ab, mask) or None
            User colours for a colorizer with ``takes_hints`` (see :mod:`chroma_lab.hints`):
            ``ab`` float Lab a*, b* of shape (n, H, W, 2), ``mask`` bool (n, H, W). None: no hints.

        Returns
        -------
        ndarray of shape (n, H, W, 3), uint8 RGB with the lightness of ``gray``
        """
        check_fitted(self)
        gray = check_gray_batch(gray)
        L = gray_to_lightness(gray)
        if self.takes_hints:
            ab = self._predict_ab(L, *check_hints(hints, L.shape))
        elif hints is not None:
            raise ChromaLabTypeError(f"{type(self).__name__} takes no hints (pass hints=None)")
        else:
            ab = self._predict_ab(L)
        ab = np.asarray(ab, dtype=np.float64)
        if ab.shape != L.shape + (2,):
            raise RuntimeError(f"{type(self).__name__}._predict_ab returned {ab.shape}, expected {L.shape + (2,)}")
        return rgb_from_l_ab(L, ab)

    # --- to implement -------------------------------------------------------------------------
    def _fit(self, images: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_ab(self, L: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class GrayColorizer(Colorizer):
    """The all-gray baseline: predicts ab = 0 everywhere (what every colorizer must beat)."""

    def _fit(self, images):
        pass

    def _predict_ab(self, L):
        return np.zeros(L.shape + (2,))
