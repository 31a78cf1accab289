"""Lesson 1: colour spaces (L*, a*, b* channels, the ab gamut, the 313 bins)."""

from __future__ import annotations

import numpy as np

from chroma_lab.color import in_gamut, lab_to_rgb, rgb_to_lab, to_uint8
from chroma_lab.quantize import ab_bins
from chroma_lab.viz._common import _figure, _image_axis

AB_SHOWN = 60.0  # a*, b* colour scales of plot_lab_decomposition span -AB_SHOWN..AB_SHOWN


def plot_lab_decomposition(image, title: str | None = None):
    """An RGB image beside its L*, a* and b* channels, and its ab drawn at constant L = 50.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8 or float RGB
    """
    from matplotlib.colors import LinearSegmentedColormap

    lab = rgb_to_lab(image)
    flat_l = lab.copy()
    flat_l[..., 0] = 50.0
    fig = _figure(figsize=(13, 3.0))
    axes = fig.subplots(1, 5)
    _image_axis(axes[0], np.asarray(image), "RGB")
    axes[1].imshow(lab[..., 0], cmap="gray", vmin=0, vmax=100)
    axes[1].set_title("L* (lightness, the input)", fontsize=9)
    # diverging maps whose centre is neutral, so that a* = 0 or b* = 0 (gray) looks gray, not
    # tinted; +-60 covers most photo pixels (the gamut reaches ~+-100 only for a few hues)
    channels = ((axes[2], 1, "a* (green-red)", ("#1b7837", "#f2f2f2", "#c51b2a")),
                (axes[3], 2, "b* (blue-yellow)", ("#2160b0", "#f2f2f2", "#d9b000")))  # fmt: skip
    for ax, ch, name, colours in channels:
        cmap = LinearSegmentedColormap.from_list(name, colours)
        shown = ax.imshow(lab[..., ch], cmap=cmap, vmin=-AB_SHOWN, vmax=AB_SHOWN)
        ax.set_title(name, fontsize=9)
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=7)
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
    # one shared b* axis: labels only on the left panel, so they cannot collide between panels
    axes = np.atleast_1d(fig.subplots(1, len(lightnesses), sharey=True))
    bins = ab_bins()
    extent = 115.0
    for ax, L in zip(axes, lightnesses):
        ax.imshow(ab_gamut_image(L, extent), extent=(-extent, extent, -extent, extent))
        if show_bins:
            ax.scatter(bins[:, 0], bins[:, 1], s=2, c="k", alpha=0.5)
        ax.set_title(f"ab gamut at L* = {L}" + (" with the 313 bins" if show_bins else ""), fontsize=9)
        ax.set_xlabel("a*")
    axes[0].set_ylabel("b*")
    return fig


def plot_bins(values=None, log: bool = True, title: str = "The 313 ab bins", marks=None):
    """The 313 bins coloured by their colour at L = 50, or by ``values`` (e.g. a prior, log scale).

    Parameters
    ----------
    values : array_like of shape (313,), optional
    log : bool
        Colour by log10 of ``values``.
    title : str
    marks : dict of str -> array_like of shape (2,), optional
        Named ab points drawn on top with a legend, e.g. the true colour and decoded predictions.
    """
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
    # colours absent from viridis, black-edged, so marks stand out on any bin colour
    mark_colours = ("red", "white", "orange", "magenta", "cyan")
    for i, (name, ab) in enumerate((marks or {}).items()):
        ab = np.asarray(ab, dtype=float).reshape(2)
        ax.scatter(*ab, marker="oXPD*"[i % 5], s=90, color=mark_colours[i % 5], edgecolors="black",
                   linewidths=0.8, label=name, zorder=3)  # fmt: skip
    if marks:
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel("a*")
    ax.set_ylabel("b*")
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10)
    return fig
