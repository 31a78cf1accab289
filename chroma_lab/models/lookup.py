"""Lesson 2: colour by lightness alone, the simplest learned colorizer and the first to fail.

A :class:`~chroma_lab.quantize.KMeansPalette` summarises the training colours in ``n_colors``
classes; every training pixel gets its palette class; for each lightness level the colorizer
remembers the most frequent class, and colorizing is a table lookup. It is context-free: a red and
a blue ball of the same lightness get the same colour, whatever surrounds them, which is the point
of the lesson (the next lessons look at a pixel's neighbourhood).
"""

from __future__ import annotations

import numpy as np

from chroma_lab.color import gray_to_lightness, rgb_to_gray, rgb_to_lab
from chroma_lab.models.base import Colorizer
from chroma_lab.quantize import KMeansPalette


class LookupColorizer(Colorizer):
    """Most frequent palette colour per lightness level.

    Parameters
    ----------
    n_colors : int
        Size of the K-means palette.
    space : {"ab", "rgb"}
        Cluster colours in the ab plane (the default: lightness comes from the input anyway) or
        in RGB, as the seed report does; an RGB palette colour contributes its a*, b* only.
    levels : int
        Number of lightness levels: L* in 0..100 is cut into ``levels`` equal intervals (256
        gives intervals of 0.39 L* units, about one gray value each).
    random_state : int or None
        Seed of the K-means palette.

    Attributes
    ----------
    palette_ : KMeansPalette
        The fitted palette.
    colors_ab_ : ndarray of shape (n_colors, 2)
        a*, b* of each palette colour.
    counts_ : ndarray of shape (levels, n_colors), int
        How many training pixels of each lightness level fell in each palette class: a row with
        several large counts is a gray level the table cannot colour well.
    table_ : ndarray of shape (levels,), int
        Palette index used for each level: the most frequent class (lowest index on ties); a level
        never seen in training borrows the class of the nearest seen level (the darker on ties).
    seen_ : ndarray of shape (levels,), bool
        Levels that occurred in the training images.

    Examples
    --------
    >>> from chroma_lab.scenes import synthetic_scenes
    >>> from chroma_lab.data import to_gray
    >>> images, _ = synthetic_scenes(12, size=32)
    >>> model = LookupColorizer(n_colors=8).fit(images)
    >>> model.colorize(to_gray(images[:2])).shape
    (2, 32, 32, 3)
    """

    def __init__(self, n_colors=32, space="ab", levels=256, random_state=0):
        self.n_colors = n_colors
        self.space = space
        self.levels = levels
        self.random_state = random_state

    def _fit(self, images):
        if isinstance(self.levels, bool) or not isinstance(self.levels, (int, np.integer)) \
                or self.levels < 1:
            raise ValueError(f"levels must be a positive int (number of lightness levels), "
                             f"got {self.levels!r}")  # fmt: skip
        levels = int(self.levels)
        self.palette_ = KMeansPalette(n_colors=self.n_colors, space=self.space,
                                      random_state=self.random_state).fit(images)  # fmt: skip
        centres = self.palette_.palette_
        self.colors_ab_ = centres if self.space == "ab" else rgb_to_lab(centres)[..., 1:]
        classes = self.palette_.encode(images).ravel()
        # Learn from the lightness colorize() will be given: the 8-bit gray's, not the colour's.
        level = self._level(gray_to_lightness(rgb_to_gray(images, method="cie"))).ravel()
        n = len(centres)
        self.counts_ = np.bincount(level * n + classes, minlength=levels * n).reshape(levels, n)
        self.seen_ = self.counts_.sum(axis=1) > 0
        seen = np.flatnonzero(self.seen_)
        # nearest seen level; argmin picks the first, i.e. the darker one, on ties
        nearest = seen[np.argmin(np.abs(np.arange(levels)[:, None] - seen[None, :]), axis=1)]
        self.table_ = np.argmax(self.counts_, axis=1)[nearest]

    def _predict_ab(self, L):
        return self.colors_ab_[self.table_[self._level(L)]]

    def _level(self, L):
        """Lightness level of L* values (any shape): 0 .. levels - 1."""
        levels = int(self.levels)
        return np.clip(np.floor(np.asarray(L) * (levels / 100.0)), 0, levels - 1).astype(np.intp)
