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


# ----------------------------------------------------------------------------------------------
# Lesson 1: colour spaces
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# Lesson 2: palettes
# ----------------------------------------------------------------------------------------------
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
            raise ValueError(f"errors[{name!r}] must hold one value per palette size "
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


# ----------------------------------------------------------------------------------------------
# Lesson 3: SOM colour classes and patch classifiers
# ----------------------------------------------------------------------------------------------
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
        raise ValueError("som_palette must be a fitted SOMPalette (call fit(images) first)")
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
            raise ValueError(f"{name!r} must hold at least {n} images of size {gray.shape[1:3]}, "
                             f"got shape {images.shape}")  # fmt: skip
    import textwrap

    rows = [[images[i] for _, images in columns] for i in range(n)]
    # long model names would run into each other above narrow columns
    titles = [textwrap.fill(name, width=max(8, int(9 * size))) for name, _ in columns]
    fig = plot_image_grid(rows, col_titles=titles, size=size)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------------------------
# Lesson 4: training curves
# ----------------------------------------------------------------------------------------------
def plot_loss_curves(histories, key: str = "loss", relative: bool = False, log: bool = False,
                     title: str | None = None):  # fmt: skip
    """Loss per epoch, one line per variant (validation values dashed, when logged).

    Parameters
    ----------
    histories : dict of str -> dict or keras History
        Per-variant training logs, e.g. ``{"one-hot": model.history_, "L1 on index": ...}``
        (``PaletteCNNColorizer.history_``, ``keras.callbacks.History.history`` or the History).
    key : str
        Which logged value to draw; ``"val_" + key`` is drawn dashed when present.
    relative : bool
        Divide each curve by its first value, so losses in different units (cross-entropy, L1 on
        an index, L2 on ab) can share an axis: what counts is how far each one falls.
    log : bool
        Logarithmic y axis.
    """
    fig = _figure(figsize=(6, 3.8))
    ax = fig.subplots()
    for i, (name, history) in enumerate(histories.items()):
        logs = getattr(history, "history", history)
        if key not in logs:
            raise ValueError(f"histories[{name!r}] has no {key!r}; it logged {sorted(logs)}")
        colour = f"C{i % 10}"
        for k, style in ((key, "-"), ("val_" + key, "--")):
            if k not in logs:
                continue
            values = np.asarray(logs[k], dtype=float)
            if relative:
                values = values / values[0]
            epochs = np.arange(1, len(values) + 1)
            label = name if k == key else f"{name} (validation)"
            ax.plot(epochs, values, style, color=colour, marker="." if len(values) < 40 else None,
                    label=label)  # fmt: skip
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{key} / first epoch" if relative else key)
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Training loss per epoch", fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------
# Lesson 5: Zhang, Isola, Efros 2016 (class rebalancing, annealed mean)
# ----------------------------------------------------------------------------------------------
def plot_prior_and_weights(prior, lam: float = 0.5, title: str | None = None):
    """The class prior over the 313 bins (log scale) beside the rebalancing weights it gives.

    Parameters
    ----------
    prior : array_like of shape (313,)
        E.g. ``quantize.class_prior(ab of the training images)`` or Zhang et al.'s ImageNet prior.
    lam : float
        Mixing with the uniform distribution, as in :func:`chroma_lab.quantize.rebalance_weights`.
    """
    from chroma_lab.quantize import rebalance_weights

    prior = np.asarray(prior, dtype=float)
    weights = rebalance_weights(prior, lam)
    bins = ab_bins()
    fig = _figure(figsize=(10.5, 4.3), layout="constrained")
    axes = fig.subplots(1, 2)
    import matplotlib
    from matplotlib.colors import ListedColormap

    # magma without its last part, which fades to cream: the largest weights must stand out on white
    magma = matplotlib.colormaps["magma"]
    weight_cmap = ListedColormap(magma(np.linspace(0.0, 0.82, 256)), name="magma_no_white")
    panels = ((np.log10(np.maximum(prior, 1e-12)), "log10 p(q)", "viridis"),
              (weights, f"w(q), lambda = {lam:g}", weight_cmap))  # fmt: skip
    for ax, (values, label, cmap) in zip(axes, panels):
        sc = ax.scatter(bins[:, 0], bins[:, 1], c=values, marker="s", s=45, cmap=cmap)
        fig.colorbar(sc, ax=ax, label=label)
        ax.set_xlabel("a*")
        ax.set_ylabel("b*")
        ax.set_aspect("equal")
    axes[0].set_title("How often each colour occurs", fontsize=10)
    axes[1].set_title("Its weight in the loss (mean over pixels = 1)", fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_temperature_sweep(gray, truth, by_temperature, max_images: int = 4, size: float = 1.8):
    """Colorizations decoded with the annealed mean at several temperatures, one column each.

    Parameters
    ----------
    gray : ndarray of shape (n, H, W), uint8
    truth : ndarray of shape (n, H, W, 3), uint8, or None
    by_temperature : dict of float -> ndarray of shape (n, H, W, 3), uint8
        E.g. ``{t: model.colorize(gray) for t in (0, 0.38, 1)}`` after setting
        ``model.temperature = t``. T = 0 is the mode (vivid, patchy), T = 1 the mean (smooth,
        desaturated); the paper settles on 0.38.
    """
    names = {0.0: " (mode)", 1.0: " (mean)"}
    predictions = {f"T = {t:g}{names.get(float(t), '')}": images
                   for t, images in sorted(by_temperature.items())}  # fmt: skip
    return plot_colorizations(gray, truth, predictions, max_images=max_images, size=size,
                              title="Annealed mean: from the mode to the mean")  # fmt: skip


RARE_PRIOR = 1e-7


def plot_rebalancing_effect(prior, lams=(1.0, 0.5, 0.0), title: str | None = None):
    """What class rebalancing does to the loss, for several mixing values lambda.

    Left: the weight of each bin against its prior probability (log-log); lambda = 1 weighs every
    bin 1, lambda = 0 divides by the prior, the paper's 0.5 flattens the weights where the prior
    falls below about 1 / Q (bins rarer than ``RARE_PRIOR`` are left out of this panel). Right: the
    share of the total loss weight (prior x weight) carried by the k most frequent bins, against
    k: without rebalancing a handful of dull bins carry most of it.

    Parameters
    ----------
    prior : array_like of shape (Q,)
        Bin probabilities summing to 1, e.g. from :func:`chroma_lab.quantize.class_prior`.
    lams : sequence of float in [0, 1]
        Values of lambda to compare, one line each.
    """
    from chroma_lab.quantize import rebalance_weights

    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.size == 0:
        raise ValueError(f"prior must be a 1-D array of bin probabilities, got shape {prior.shape}")
    order = np.argsort(prior)[::-1]
    # a smoothed prior is tiny but not 0 far from the data (1e-40 and less); below one pixel in
    # ten million it is smoothing residue, and lambda = 0 would stretch the axis to 1e40
    seen = order[prior[order] >= RARE_PRIOR]
    fig = _figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    ranks = np.arange(1, prior.size + 1)
    for i, lam in enumerate(lams):
        weights = rebalance_weights(prior, lam)
        label = f"lambda = {lam:g}" + (" (paper)" if lam == 0.5 else "")
        left.plot(prior[seen], weights[seen], color=f"C{i}", label=label)
        share = np.cumsum((prior * weights)[order])
        right.plot(ranks, share / share[-1], color=f"C{i}", label=label)
    left.axvline(1.0 / prior.size, color="gray", ls=":", lw=1)
    left.text(1.0 / prior.size, 0.5, " 1/Q", color="gray", fontsize=8, transform=left.get_xaxis_transform())
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("prior probability of the bin")
    left.set_ylabel("rebalancing weight")
    left.set_title("Weight of a bin against its frequency", fontsize=10)
    right.set_xscale("log")
    right.set_xlabel("k most frequent bins")
    right.set_ylabel("share of the loss weight")
    right.set_ylim(0, 1.02)
    right.set_title("Who carries the loss", fontsize=10)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_temperature_scores(temperatures, scores, paper_T: float | None = 0.38, title: str | None = None):
    """Measures of a colorization against the annealed-mean temperature, one panel per measure.

    The numbers behind :func:`plot_temperature_sweep`'s pictures.

    Parameters
    ----------
    temperatures : sequence of float
        T values, e.g. (1, 0.77, 0.58, 0.38, 0.29, 0.14, 0): T = 1 decodes the mean of the
        predicted distribution, T = 0 its mode.
    scores : dict of str -> sequence of float
        One value per temperature for each named measure, e.g. ``{"colourfulness": [...],
        "AuC rebalanced (%)": [...]}`` (from :func:`chroma_lab.metrics.evaluate`).
    paper_T : float or None
        Marked with a dashed line (Zhang et al. use 0.38).
    """
    temperatures = np.asarray(temperatures, dtype=np.float64)
    if not scores:
        raise ValueError("scores must name at least one measure, e.g. {'colourfulness': [...]}")
    fig = _figure(figsize=(3.6 * len(scores), 3.2))
    axes = np.atleast_1d(fig.subplots(1, len(scores)))
    for i, (ax, (name, values)) in enumerate(zip(axes, scores.items())):
        values = np.asarray(values, dtype=np.float64)
        if values.shape != temperatures.shape:
            raise ValueError(f"scores[{name!r}] must hold one value per temperature "
                             f"({temperatures.size}), got shape {values.shape}")  # fmt: skip
        order = np.argsort(temperatures)
        ax.plot(temperatures[order], values[order], marker="o", color=f"C{i}")
        if paper_T is not None:
            ax.axvline(paper_T, color="gray", ls="--", lw=1, label=f"T = {paper_T:g} (paper)")
            ax.legend(fontsize=8)
        ax.set_xlabel("temperature T  (0 = mode, 1 = mean)")
        ax.set_title(str(name), fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_accuracy_curves(curves, thresholds=None, rebalanced=None, title: str | None = None):
    """Accuracy curves: the share of pixels whose ab error is within each threshold.

    The area under a curve, as a percentage of the whole box, is the "AuC" of Zhang et al.'s
    Table 1 (:func:`chroma_lab.metrics.auc_raw`; with per-pixel weights 1 / frequency of the true
    colour class, :func:`chroma_lab.metrics.auc_rebalanced`).

    Parameters
    ----------
    curves : dict of str -> array_like of shape (T,)
        One curve per model, from :func:`chroma_lab.metrics.accuracy_curve`.
    thresholds : array_like of shape (T,), optional
        The thresholds in ab units; 0, 1, ..., T - 1 by default (the metric's own default).
    rebalanced : dict of str -> array_like of shape (T,), optional
        The same models' class-rebalanced curves, drawn dashed in the same colour.
    """
    fig = _figure(figsize=(6, 3.8))
    ax = fig.subplots()
    for i, (name, curve) in enumerate(curves.items()):
        lines = (("-", curve, name), ("--", (rebalanced or {}).get(name), f"{name} (rebalanced)"))
        for style, values, label in lines:
            if values is None:
                continue
            values = np.asarray(values, dtype=np.float64)
            x = np.arange(values.size) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
            if x.shape != values.shape:
                raise ValueError(f"the curve of {name!r} has {values.size} points but there are "
                                 f"{x.size} thresholds")  # fmt: skip
            ax.plot(x, values, style, color=f"C{i % 10}", label=label)
    ax.set_xlabel("threshold (ab units)")
    ax.set_ylabel("share of pixels within the threshold")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Accuracy curves (area under a curve = AuC)", fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------
# Lesson 7: the evaluation harness
# ----------------------------------------------------------------------------------------------
def plot_metric_bars(summary, metrics=None, title: str | None = None, columns: int = 4):
    """One small bar chart per measure, a bar per method (the harness's ``metrics.png``).

    Parameters
    ----------
    summary : dict of str -> dict of str -> float
        Method -> measure -> value, e.g. :attr:`chroma_lab.evaluate.Evaluation.summary`.
    metrics : list of str or of (key, label, better) tuples, optional
        Which measures, in order; ``better`` ("higher", "lower", ...) is shown in the panel's
        title. All keys of the first method by default.
    columns : int
        Panels per row.

    A value that is NaN (undefined) or infinite (a perfect PSNR) gets no bar, only its word
    above the method's place.
    """
    methods = list(summary)
    if not methods:
        raise ValueError("summary must hold at least one method")
    if metrics is None:
        metrics = list(summary[methods[0]])
    panels = [(m, m, None) if isinstance(m, str) else tuple(m) for m in metrics]
    for key, _, _ in panels:
        missing = [name for name in methods if key not in summary[name]]
        if missing:
            raise ValueError(f"measure {key!r} is missing for {missing}")
    columns = max(1, min(int(columns), len(panels)))
    n_rows = (len(panels) + columns - 1) // columns
    fig = _figure(figsize=(3.0 * columns, 2.4 * n_rows + 0.4), layout="constrained")
    axes = np.array(fig.subplots(n_rows, columns, squeeze=False)).ravel()
    x = np.arange(len(methods))
    for ax, (key, label, better) in zip(axes, panels):
        values = np.array([float(summary[name][key]) for name in methods])
        finite = np.isfinite(values)
        ax.bar(x[finite], values[finite], color=[f"C{i % 10}" for i in x[finite]])
        top = float(np.max(np.abs(values[finite]))) if finite.any() else 1.0
        for i in x[~finite]:
            ax.text(i, 0.05 * top, "nan" if np.isnan(values[i]) else "inf", ha="center", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, methods, rotation=45, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(label + (f" ({better})" if better and better != "-" else ""), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(panels):]:
        ax.axis("off")
    fig.suptitle(title or "Every measure, on the whole held-out set", fontsize=10)
    return fig
