"""Helpers every figure shares: a Figure outside pyplot, an image panel, saving."""

from __future__ import annotations

import numpy as np


def _figure(*args, **kwargs):
    # Figure objects (not pyplot) so that nothing opens a window or leaks global state in scripts;
    # notebooks display a returned Figure as usual.
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


def _image_axis(ax, image, title=None, cmap=None):
    # gray follows imshow's own rule for RGB: float images are 0..1, integer ones 0..255
    vmax = (1.0 if np.issubdtype(np.asarray(image).dtype, np.floating) else 255) if cmap else None
    ax.imshow(image, cmap=cmap, vmin=0 if cmap else None, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def save_figure(fig, path, dpi: int = 110) -> None:
    """Write a figure to ``path`` (PNG, PDF or SVG by extension)."""
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
