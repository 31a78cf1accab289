"""Lesson 3: SOM colour classes and patch classifiers (the SOM grid, colorizations side by side)."""

from __future__ import annotations

import numpy as np

from chroma_lab.errors import ChromaLabError
from chroma_lab.viz._common import _figure
from chroma_lab.viz.palettes import palette_swatches, plot_image_grid


def plot_som_grid(som_palette, L: float = 65.0, title: str | None = None):
    """The colour classes of a self-organising map, drawn on the map's grid.

    Neighbouring cells hold similar colours: that is what distinguishes a SOM from K-means.

    Parameters
    ----------
    som_palette : chroma_lab.quantize.SOMPalette
        Fitted (its ``shape``, ``space`` and ``palette_`` are used), e.g. ``model.som_`` of a
        :class:`chroma_lab.models.som_mlp.SOMPatchColorizer`.
    L : float
        Lightness at which an ab palette is shown.
    """
    palette = getattr(som_palette, "palette_", None)
    if palette is None:
        raise ChromaLabError("som_palette must be a fitted SOMPalette (call fit(images) first)")
    rows, cols = (int(s) for s in som_palette.shape)
    swatches = palette_swatches(palette, som_palette.space, L).reshape(rows, cols, 3)
    fig = _figure(figsize=(1.3 * cols + 0.6, 1.3 * rows + 0.7))
    ax = fig.subplots()
    ax.imshow(swatches)
    for r in range(rows):
        for c in range(cols):
            value = palette[r * cols + c]
            text = f"{r * cols + c}\n" + ", ".join(f"{v:.0f}" if som_palette.space == "ab"
                                                  else f"{v:.2f}" for v in value)  # fmt: skip
            ax.text(c, r, text, ha="center", va="center", fontsize=7,
                    color="white" if L < 50 else "black")  # fmt: skip
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    ax.set_xlabel("map column")
    ax.set_ylabel("map row")
    space = f"ab at L* = {L:g}" if som_palette.space == "ab" else "RGB"
    ax.set_title(title or f"SOM colour classes, {rows}x{cols} map ({space})", fontsize=9)
    return fig


def plot_colorizations(gray, truth, predictions, max_images: int = 6, size: float = 1.8,
                       title: str | None = None):  # fmt: skip
    """Held-out colorizations side by side: one row per image, one column per model.

    Also serves for comparisons within one model family (patch sizes, SOM sizes, losses): name
    the entries of ``predictions`` accordingly, e.g. ``{"patch 3": ..., "patch 7": ...}``.

    Parameters
    ----------
    gray : ndarray of shape (n, H, W), uint8
        The inputs.
    truth : ndarray of shape (n, H, W, 3), uint8, or None
        The original colour images (None leaves the column out).
    predictions : dict of str -> ndarray of shape (n, H, W, 3), uint8
        Colorizations, e.g. ``{"lookup": ..., "SOM + MLP": ...}``.
    max_images : int
        Show the first ``max_images`` images only.
    """
    gray = np.asarray(gray)
    n = min(len(gray), int(max_images))
    columns = [("gray input", gray)]
    if truth is not None:
        columns.append(("truth", np.asarray(truth)))
    columns += [(str(name), np.asarray(images)) for name, images in predictions.items()]
    for name, images in columns:
        if len(images) < n or images.shape[1:3] != gray.shape[1:3]:
            raise ChromaLabError(f"{name!r} must hold at least {n} images of size {gray.shape[1:3]}, "
                                 f"got shape {images.shape}")  # fmt: skip
    import textwrap

    rows = [[images[i] for _, images in columns] for i in range(n)]
    # long model names would run into each other above narrow columns
    titles = [textwrap.fill(name, width=max(8, int(9 * size))) for name, _ in columns]
    fig = plot_image_grid(rows, col_titles=titles, size=size)
    if title:
        fig.suptitle(title)
    return fig
