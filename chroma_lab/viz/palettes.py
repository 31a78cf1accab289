"""Lesson 2: palettes (swatches, quantisation error, rows and grids of images)."""

from __future__ import annotations

import numpy as np

from chroma_lab.color import lab_to_rgb
from chroma_lab.errors import ChromaLabError
from chroma_lab.viz._common import _figure, _image_axis


def palette_swatches(palette, space: str = "rgb", L: float = 65.0):
    """Palette colours as displayable RGB (n, 3) floats; ab palettes are shown at lightness L."""
    raw = np.asarray(palette)
    palette = raw.astype(float)
    if space == "rgb":
        # uint8 is 0..255 whatever its largest value (a dark palette may stop at 1)
        scale = 255.0 if raw.dtype == np.uint8 or palette.max() > 1.0 else 1.0
        return np.clip(palette / scale, 0, 1)
    return lab_to_rgb(np.column_stack([np.full(len(palette), L), palette]))


def plot_palette(palette, space: str = "rgb", title: str | None = None, columns: int = 16):
    """Swatches of a palette (e.g. ``KMeansPalette().fit(images).palette_``)."""
    swatches = palette_swatches(palette, space)
    rows = int(np.ceil(len(swatches) / columns))
    grid = np.ones((rows * columns, 3))
    grid[: len(swatches)] = swatches
    fig = _figure(figsize=(min(columns, len(swatches)) * 0.45 + 0.5, rows * 0.5 + 0.6))
    ax = fig.subplots()
    ax.imshow(grid.reshape(rows, columns, 3)[:, : min(columns, len(swatches))])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"{len(swatches)}-colour palette ({space})", fontsize=9)
    return fig


def plot_quantization_error(n_colors_list, errors, ylabel: str = "mean ab error (ab units)",
                            title: str | None = None):  # fmt: skip
    """How the quantisation error falls with the palette size, one line per colour space.

    Parameters
    ----------
    n_colors_list : sequence of int
        Palette sizes, e.g. (2, 4, 8, 16, 32, 64).
    errors : dict of str -> sequence of float, or a sequence of float
        One error per palette size for each named variant, e.g. ``{"rgb": [...], "ab": [...]}``
        (K-means in RGB versus in the ab plane), measured with
        :func:`chroma_lab.metrics.mean_ab_error` between the images and their quantised version.
    ylabel, title : str
    """
    n_colors_list = [int(n) for n in n_colors_list]
    if not isinstance(errors, dict):
        errors = {"error": errors}
    fig = _figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    for name, values in errors.items():
        values = np.asarray(values, dtype=float)
        if values.shape != (len(n_colors_list),):
            raise ChromaLabError(f"errors[{name!r}] must hold one value per palette size "
                                 f"({len(n_colors_list)}), got shape {values.shape}")  # fmt: skip
        ax.plot(n_colors_list, values, marker="o", label=str(name))
    ax.set_xscale("log", base=2)
    ax.set_xticks(n_colors_list)
    ax.set_xticklabels([str(n) for n in n_colors_list])
    ax.set_xlabel("palette size (n_colors)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Quantisation error against palette size", fontsize=10)
    return fig


def plot_image_row(images, titles=None, suptitle: str | None = None, size: float = 2.4):
    """Images side by side (uint8 RGB (H, W, 3) or gray (H, W))."""
    images = list(images)
    fig = _figure(figsize=(size * len(images), size + 0.4))
    axes = np.atleast_1d(fig.subplots(1, len(images)))
    for i, (ax, im) in enumerate(zip(axes, images)):
        im = np.asarray(im)
        _image_axis(ax, im, titles[i] if titles else None, cmap="gray" if im.ndim == 2 else None)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_image_grid(rows, row_titles=None, col_titles=None, size: float = 2.0):
    """A grid of images: ``rows`` is a list of lists of images (e.g. gray / truth / models)."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig = _figure(figsize=(size * n_cols, size * n_rows + 0.3))
    axes = np.array(fig.subplots(n_rows, n_cols, squeeze=False))
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i, j]
            if j < len(row):
                im = np.asarray(row[j])
                _image_axis(ax, im, col_titles[j] if (col_titles and i == 0) else None,
                            cmap="gray" if im.ndim == 2 else None)  # fmt: skip
            else:
                ax.axis("off")
        if row_titles:
            axes[i, 0].set_ylabel(row_titles[i], fontsize=9)
    return fig
