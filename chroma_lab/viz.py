"""Figures. Every function returns a :class:`matplotlib.figure.Figure`; lessons and the CLI call
these instead of building plots inline, so a figure looks the same everywhere.

Sections follow the lessons; add new figures to the section of the lesson that introduces them.
"""

from __future__ import annotations

import numpy as np

from chroma_lab.color import in_gamut, lab_to_rgb, rgb_to_lab, to_uint8
from chroma_lab.quantize import ab_bins


def _figure(*args, **kwargs):
    # Figure objects (not pyplot) so that nothing opens a window or leaks global state in scripts;
    # notebooks display a returned Figure as usual.
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


def _image_axis(ax, image, title=None, cmap=None):
    ax.imshow(image, cmap=cmap, vmin=0 if cmap else None, vmax=255 if cmap else None)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def save_figure(fig, path, dpi: int = 110) -> None:
    """Write a figure to ``path`` (PNG, PDF or SVG by extension)."""
    fig.savefig(path, dpi=dpi, bbox_inches="tight")


# ----------------------------------------------------------------------------------------------
# Lesson 1: colour spaces
# ----------------------------------------------------------------------------------------------
def plot_lab_decomposition(image, title: str | None = None):
    """An RGB image beside its L*, a* and b* channels, and its ab drawn at constant L = 50.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8 or float RGB
    """
    lab = rgb_to_lab(image)
    flat_l = lab.copy()
    flat_l[..., 0] = 50.0
    fig = _figure(figsize=(12, 3.0))
    axes = fig.subplots(1, 5)
    _image_axis(axes[0], np.asarray(image), "RGB")
    axes[1].imshow(lab[..., 0], cmap="gray", vmin=0, vmax=100)
    axes[1].set_title("L* (lightness, the input)", fontsize=9)
    for ax, ch, name, cmap in ((axes[2], 1, "a* (green-red)", "RdYlGn_r"), (axes[3], 2, "b* (blue-yellow)", "RdYlBu_r")):
        ax.imshow(lab[..., ch], cmap=cmap, vmin=-100, vmax=100)
        ax.set_title(name, fontsize=9)
    _image_axis(axes[4], to_uint8(lab_to_rgb(flat_l)), "ab at L*=50 (what we predict)")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def ab_gamut_image(L: float, extent: float = 115.0, resolution: int = 231):
    """RGB picture of the ab plane at lightness L, out-of-gamut colours white.

    Returns
    -------
    image : ndarray (resolution, resolution, 3) float RGB, rows from b = +extent down to -extent
    """
    a = np.linspace(-extent, extent, resolution)
    A, B = np.meshgrid(a, a[::-1])
    lab = np.stack([np.full_like(A, L), A, B], axis=-1)
    rgb = lab_to_rgb(lab)
    rgb[~in_gamut(lab)] = 1.0
    return rgb


def plot_ab_gamut(lightnesses=(20, 50, 80), show_bins: bool = True):
    """The displayable ab plane at several lightness values, with the 313 bins of Zhang et al.

    The gamut shrinks towards very dark and very bright L: there are fewer colours to choose from.
    """
    fig = _figure(figsize=(4 * len(lightnesses), 4.2))
    axes = np.atleast_1d(fig.subplots(1, len(lightnesses)))
    bins = ab_bins()
    extent = 115.0
    for ax, L in zip(axes, lightnesses):
        ax.imshow(ab_gamut_image(L, extent), extent=(-extent, extent, -extent, extent))
        if show_bins:
            ax.scatter(bins[:, 0], bins[:, 1], s=2, c="k", alpha=0.5)
        ax.set_title(f"ab gamut at L* = {L}" + (" with the 313 bins" if show_bins else ""), fontsize=9)
        ax.set_xlabel("a*")
        ax.set_ylabel("b*")
    return fig


def plot_bins(values=None, log: bool = True, title: str = "The 313 ab bins"):
    """The 313 bins coloured by their colour at L = 50, or by ``values`` (e.g. a prior, log scale)."""
    bins = ab_bins()
    fig = _figure(figsize=(5, 4.5))
    ax = fig.subplots()
    if values is None:
        colours = lab_to_rgb(np.column_stack([np.full(len(bins), 50.0), bins]))
        ax.scatter(bins[:, 0], bins[:, 1], c=colours, marker="s", s=60)
    else:
        values = np.asarray(values, dtype=float)
        shown = np.log10(np.maximum(values, 1e-12)) if log else values
        sc = ax.scatter(bins[:, 0], bins[:, 1], c=shown, marker="s", s=60, cmap="viridis")
        fig.colorbar(sc, ax=ax, label="log10 value" if log else "value")
    ax.set_xlabel("a*")
    ax.set_ylabel("b*")
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------
# Lesson 2: palettes
# ----------------------------------------------------------------------------------------------
def palette_swatches(palette, space: str = "rgb", L: float = 65.0):
    """Palette colours as displayable RGB (n, 3) floats; ab palettes are shown at lightness L."""
    palette = np.asarray(palette, dtype=float)
    if space == "rgb":
        return np.clip(palette if palette.max() <= 1.0 else palette / 255.0, 0, 1)
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
