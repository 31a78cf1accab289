"""Lesson 2: colour by lightness alone, the simplest learned colorizer and the first to fail.

A :class:`~chroma_lab.quantize.KMeansPalette` summarises the training colours in ``n_colors``
classes; every training pixel gets its palette class; for each gray level (the 8-bit gray of the
pixel's lightness) the colorizer remembers the most frequent class, and colorizing is a table
lookup. It is context-free: a red and a blue ball of the same lightness get the same colour,
whatever surrounds them, which is the point of the lesson (the next lessons look at a pixel's
neighbourhood). The table follows the rule of :func:`chroma_lab.checks.lookup_table_reference`.
"""

from __future__ import annotations

import numpy as np

from chroma_lab._checks import check_int
from chroma_lab.color import gray_to_lightness, rgb_to_gray, rgb_to_lab
from chroma_lab.models.base import Colorizer
from chroma_lab.quantize import KMeansPalette


class LookupColorizer(Colorizer):
    """Most frequent palette colour per gray level.

    Parameters
    ----------
    n_colors : int
        Size of the K-means palette.
    space : {"ab", "rgb"}
        Cluster colours in the ab plane (the default: lightness comes from the input anyway) or
        in RGB, as the seed report does; an RGB palette colour contributes its a*, b* only.
    levels : int in 1..256
        Number of gray levels. A pixel's level is its 8-bit gray value v (the gray of the same
        CIE lightness, :func:`chroma_lab.data.to_gray`), grouped into ``levels`` equal bands:
        ``v * levels // 256``. 256 (the default) gives one level per gray value.
    random_state : int or None
        Seed of the K-means palette.

    Attributes
    ----------
    palette_ : KMeansPalette
        The fitted palette.
    colors_ab_ : ndarray of shape (n_colors, 2)
        a*, b* of each palette colour.
    counts_ : ndarray of shape (levels, n_colors), int
        How many training pixels of each gray level fell in each palette class: a row with
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
        levels = check_int(self.levels, "levels", low=1, high=256)
        self.palette_ = KMeansPalette(n_colors=self.n_colors, space=self.space,
                                      random_state=self.random_state).fit(images)  # fmt: skip
        centres = self.palette_.palette_
        self.colors_ab_ = centres if self.space == "ab" else rgb_to_lab(centres)[..., 1:]
        classes = self.palette_.encode(images).ravel()
        # learn from what colorize() will be given: the 8-bit gray of each pixel
        level = (rgb_to_gray(images, method="cie").ravel().astype(np.intp) * levels) // 256
        n = len(centres)
        self.counts_ = np.bincount(level * n + classes, minlength=levels * n).reshape(levels, n)
        self.seen_ = self.counts_.sum(axis=1) > 0
        seen = np.flatnonzero(self.seen_)
        # nearest seen level; argmin picks the first, i.e. the darker one, on ties
        nearest = seen[np.argmin(np.abs(np.arange(levels)[:, None] - seen[None, :]), axis=1)]
        self.table_ = np.argmax(self.counts_, axis=1)[nearest]

    def _predict_ab(self, L):
        return self.colors_ab_[self.table_[(_gray_value(L) * int(self.levels)) // 256]]


def _gray_value(L) -> np.ndarray:
    """The 8-bit gray value v whose lightness is nearest to L* (inverts gray_to_lightness)."""
    grid = gray_to_lightness(np.arange(256, dtype=np.uint8))  # strictly increasing
    return np.searchsorted((grid[1:] + grid[:-1]) / 2, np.asarray(L)).astype(np.intp)
