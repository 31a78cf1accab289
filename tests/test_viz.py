"""Tests for chroma_lab.viz: every figure function, on tiny hand-made inputs, checked by what the
Figure holds (axes, titles, image and line data) rather than by "it runs". References are the
colour and quantisation functions the figures are meant to show, or a NumPy re-derivation."""

import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (only to check that viz never touches it)
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from chroma_lab import viz  # noqa: E402
from chroma_lab.color import in_gamut, lab_to_rgb, rgb_to_lab, to_uint8  # noqa: E402
from chroma_lab.quantize import ab_bins  # noqa: E402

# A 2x3 picture with six distinct colours: red, green, blue / white, black, mid gray.
RGB_2X3 = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                    [[255, 255, 255], [0, 0, 0], [128, 128, 128]]], dtype=np.uint8)  # fmt: skip


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    """viz builds Figure objects directly: no test may leave a figure in pyplot's registry."""
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def image_of(ax, k=0):
    return np.asarray(ax.get_images()[k].get_array())


def shown_rgba(ax, k=0):
    """The colours an image axis actually paints (through its norm and colormap for 2-D data)."""
    im = ax.get_images()[k]
    return im.to_rgba(im.get_array())


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def mentions(text: str, *facts) -> bool:
    """``text`` names every fact (a number, an option): a title is checked for what it reports,
    not for its wording."""
    return bool(text) and all(str(fact).lower() in text.lower() for fact in facts)


# ----------------------------------------------------------------------------------------------
# save_figure
# ----------------------------------------------------------------------------------------------
def test_save_figure_writes_a_readable_png(tmp_path):
    fig = viz.plot_image_row([RGB_2X3], ["colours"])
    path = tmp_path / "row.png"
    viz.save_figure(fig, path, dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.width > 10 and im.height > 10
        pixels = np.asarray(im.convert("RGB"))
    # the pure red of the top-left pixel is on the canvas somewhere
    assert np.any(np.all(pixels == [255, 0, 0], axis=-1))


@pytest.mark.parametrize("ext, magic", [("pdf", b"%PDF"), ("svg", b"<svg")])
def test_save_figure_picks_the_format_from_the_extension(tmp_path, ext, magic):
    path = tmp_path / f"fig.{ext}"
    viz.save_figure(viz.plot_accuracy_curves({"m": [0.0, 1.0]}), path)
    assert magic in path.read_bytes()[:400]


# ----------------------------------------------------------------------------------------------
# Lesson 1: colour spaces
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_lab_decomposition_panels(dtype):
    image = RGB_2X3 if dtype == np.uint8 else RGB_2X3 / 255.0
    fig = viz.plot_lab_decomposition(image, title="six colours")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 7  # five panels and the colour bars of a* and b*
    assert titles(fig)[:5] == ["RGB", "L* (lightness, the input)", "a* (green-red)", "b* (blue-yellow)",
                               "ab at L*=50 (what we predict)"]  # fmt: skip
    assert fig.get_suptitle() == "six colours"
    lab = rgb_to_lab(image)
    np.testing.assert_array_equal(image_of(fig.axes[0]), image)
    for k in range(3):
        np.testing.assert_allclose(image_of(fig.axes[1 + k]), lab[..., k])
    assert [fig.axes[k].get_images()[0].get_clim() for k in (1, 2, 3)] == [(0, 100), (-60, 60), (-60, 60)]
    # a*, b* maps are diverging with a neutral centre: ab = 0 (gray) is drawn without a tint
    for k in (2, 3):
        centre = np.asarray(fig.axes[k].get_images()[0].cmap(0.5)[:3])
        assert np.ptp(centre) < 0.02
    low_a, high_a = (np.asarray(fig.axes[2].get_images()[0].cmap(x)[:3]) for x in (0.0, 1.0))
    assert low_a[1] > low_a[0] and high_a[0] > high_a[1]  # negative a* green, positive red
    low_b, high_b = (np.asarray(fig.axes[3].get_images()[0].cmap(x)[:3]) for x in (0.0, 1.0))
    assert low_b[2] > low_b[0] and high_b[2] < min(high_b[:2])  # negative b* blue, positive yellow
    flat = lab.copy()
    flat[..., 0] = 50.0
    ab_at_50 = image_of(fig.axes[4])
    np.testing.assert_array_equal(ab_at_50, to_uint8(lab_to_rgb(flat)))
    # white, black and gray have ab = 0: at L* = 50 they all become the same mid gray (sRGB 119)
    np.testing.assert_array_equal(ab_at_50[1], np.full((3, 3), 119))
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in fig.axes[:5])


def test_lab_decomposition_without_title_has_no_suptitle():
    assert viz.plot_lab_decomposition(RGB_2X3).get_suptitle() == ""


def test_lab_decomposition_rejects_non_rgb():
    with pytest.raises(ValueError, match="rgb must have 3 channels"):
        viz.plot_lab_decomposition(RGB_2X3[:, :2, 0])  # a gray image
    with pytest.raises(ValueError, match="float RGB must lie in 0..1"):
        viz.plot_lab_decomposition(RGB_2X3.astype(float))  # 0..255 floats
    with pytest.raises(TypeError, match="uint8"):
        viz.plot_lab_decomposition(RGB_2X3.astype(np.int64))


def test_ab_gamut_image_at_hand_picked_points():
    # extent 100, 5 samples: a (columns) = -100, -50, 0, 50, 100; b (rows) = 100, 50, 0, -50, -100
    img = viz.ab_gamut_image(50, extent=100, resolution=5)
    assert img.shape == (5, 5, 3)
    np.testing.assert_allclose(img[2, 2], 118.9 / 255, atol=2e-3)  # L* 50 gray is sRGB 118.9
    points = {(2, 3): (50, 0), (1, 2): (0, 50)}  # (row, col): (a, b), both displayable at L* 50
    for (r, c), ab in points.items():
        lab = np.array([50.0, *ab])
        assert in_gamut(lab)
        np.testing.assert_allclose(img[r, c], lab_to_rgb(lab))
    r, g, b = img[2, 3]
    assert r > g and r > b  # +a is red
    r, g, b = img[1, 2]
    assert b < r and b < g  # +b is yellow
    # not displayable: white, although clipping would have given a colour (pure red for (100, 100))
    for (r, c), ab in {(3, 2): (0, -50), (0, 4): (100, 100), (4, 4): (100, -100)}.items():
        assert not in_gamut(np.array([50.0, *ab]))
        np.testing.assert_array_equal(img[r, c], [1.0, 1.0, 1.0])


@pytest.mark.parametrize("L", [20.0, 50.0, 80.0])
def test_ab_gamut_image_is_white_exactly_out_of_gamut(L):
    extent, n = 115.0, 47
    img = viz.ab_gamut_image(L, extent=extent, resolution=n)
    a = np.linspace(-extent, extent, n)
    lab = np.stack([np.full((n, n), L), *np.meshgrid(a, a[::-1])], axis=-1)
    inside = in_gamut(lab)
    assert 0 < inside.sum() < n * n
    # no displayable colour at L < 100 is white, so white marks the outside and only the outside
    np.testing.assert_array_equal(np.all(img == 1.0, axis=-1), ~inside)
    np.testing.assert_allclose(img[inside], lab_to_rgb(lab[inside]))


def test_ab_gamut_figure():
    fig = viz.plot_ab_gamut((20, 50, 80))
    assert len(fig.axes) == 3
    assert [mentions(title, f"L* = {L}", "313") for title, L in zip(titles(fig), (20, 50, 80))] == [True] * 3
    for ax, L in zip(fig.axes, (20, 50, 80)):
        np.testing.assert_array_equal(image_of(ax), viz.ab_gamut_image(L, 115.0))
        assert ax.get_images()[0].get_extent() == [-115.0, 115.0, -115.0, 115.0]
        assert ax.get_xlabel() == "a*"
        (dots,) = ax.collections
        np.testing.assert_array_equal(dots.get_offsets(), ab_bins())
    # one shared b* axis, labelled on the left panel only, so labels cannot collide
    assert [ax.get_ylabel() for ax in fig.axes] == ["b*", "", ""]
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[2])
    # the gamut shrinks towards the dark end: fewer displayable pixels at L* 20 than at 50
    shown = [np.sum(~np.all(image_of(ax) == 1.0, axis=-1)) for ax in fig.axes]
    assert shown[0] < shown[1]


def test_ab_gamut_figure_one_lightness_without_bins():
    fig = viz.plot_ab_gamut((65,), show_bins=False)
    assert len(fig.axes) == 1 and mentions(fig.axes[0].get_title(), "L* = 65")
    assert len(fig.axes[0].collections) == 0


def test_bins_coloured_by_their_colour():
    fig = viz.plot_bins(title="bins")
    assert len(fig.axes) == 1  # no colorbar
    ax = fig.axes[0]
    assert ax.get_title() == "bins"
    (squares,) = ax.collections
    bins = ab_bins()
    np.testing.assert_array_equal(squares.get_offsets(), bins)
    want = lab_to_rgb(np.column_stack([np.full(len(bins), 50.0), bins]))
    np.testing.assert_allclose(squares.get_facecolors()[:, :3], want)


def test_bins_with_marks():
    marks = {"truth": [10.0, -20.0], "mode": (0.0, 0.0)}
    ax = viz.plot_bins(np.full(313, 1 / 313), marks=marks).axes[0]
    squares, *points = ax.collections
    assert len(points) == 2
    for dots, ab in zip(points, marks.values()):
        np.testing.assert_array_equal(dots.get_offsets(), [ab])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["truth", "mode"]
    assert viz.plot_bins().axes[0].get_legend() is None


@pytest.mark.parametrize("log", [True, False])
def test_bins_coloured_by_values(log):
    values = np.zeros(313)
    values[:3] = [1e-3, 0.5, 1.0]
    fig = viz.plot_bins(values, log=log)
    assert len(fig.axes) == 2  # the plot and its colorbar
    (squares,) = fig.axes[0].collections
    want = np.log10(np.maximum(values, 1e-12)) if log else values
    np.testing.assert_allclose(squares.get_array(), want)
    if log:
        np.testing.assert_allclose(squares.get_array()[:4], [-3, np.log10(0.5), 0, -12])
    assert fig.axes[1].get_ylabel() == ("log10 value" if log else "value")


# ----------------------------------------------------------------------------------------------
# Lesson 2: palettes
# ----------------------------------------------------------------------------------------------
def test_palette_swatches_rgb_scales():
    as_uint8 = np.array([[255, 0, 0], [0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(viz.palette_swatches(as_uint8), [[1, 0, 0], [0, 0.2, 1]])
    np.testing.assert_allclose(viz.palette_swatches(as_uint8 / 255.0), [[1, 0, 0], [0, 0.2, 1]])
    np.testing.assert_allclose(viz.palette_swatches([[255.0, 0, 0]]), [[1, 0, 0]])  # 0..255 floats


def test_palette_swatches_dark_uint8_palette_is_scaled():
    # a uint8 palette is 0..255 whatever its largest value: (1, 1, 1) is almost black, not white
    dark = np.array([[0, 0, 0], [1, 1, 1]], dtype=np.uint8)
    np.testing.assert_allclose(viz.palette_swatches(dark), dark / 255.0)


@pytest.mark.parametrize("L", [30.0, 65.0])
def test_palette_swatches_ab_at_lightness(L):
    ab = np.array([[0.0, 0.0], [40.0, 20.0], [-30.0, 10.0]])
    got = viz.palette_swatches(ab, "ab", L)
    np.testing.assert_allclose(got, lab_to_rgb(np.column_stack([np.full(3, L), ab])))
    np.testing.assert_allclose(got[0], np.full(3, got[0, 0]), atol=1e-4)  # ab = 0 is a gray


def test_palette_figure_lays_swatches_on_a_grid():
    palette = np.random.default_rng(0).integers(0, 256, (20, 3)).astype(np.uint8)
    fig = viz.plot_palette(palette, columns=8)
    assert len(fig.axes) == 1
    assert mentions(fig.axes[0].get_title(), 20, "rgb")
    shown = image_of(fig.axes[0])
    assert shown.shape == (3, 8, 3)  # 20 swatches in rows of 8
    np.testing.assert_allclose(shown.reshape(-1, 3)[:20], palette / 255.0)
    np.testing.assert_array_equal(shown.reshape(-1, 3)[20:], np.ones((4, 3)))  # padding is white


def test_palette_figure_short_palette_and_ab():
    ab = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    fig = viz.plot_palette(ab, "ab", title="three")
    assert fig.axes[0].get_title() == "three"
    shown = image_of(fig.axes[0])
    assert shown.shape == (1, 3, 3)  # fewer colours than columns: one row, no padding
    np.testing.assert_allclose(shown[0], viz.palette_swatches(ab, "ab"))
    assert mentions(viz.plot_palette(ab, "ab").axes[0].get_title(), 3, "ab")


def test_quantization_error_lines():
    errors = {"rgb": [9.0, 6.0, 4.0], "ab": [7.0, 4.0, 2.0]}
    fig = viz.plot_quantization_error((2, 4, 8), errors, ylabel="err", title="t")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["rgb", "ab"]
    for line, values in zip(lines, errors.values()):
        np.testing.assert_array_equal(line.get_xdata(), [2, 4, 8])
        np.testing.assert_array_equal(line.get_ydata(), values)
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "8"]
    assert (ax.get_ylabel(), ax.get_title(), ax.get_ylim()[0]) == ("err", "t", 0.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rgb", "ab"]


def test_quantization_error_single_sequence_and_bad_length():
    fig = viz.plot_quantization_error([2, 4], [3.0, 1.0])
    (line,) = fig.axes[0].get_lines()
    assert line.get_label() == "error"
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 1.0])
    with pytest.raises(ValueError, match=r"errors\['ab'\] must hold one value per palette size \(2\)"):
        viz.plot_quantization_error([2, 4], {"ab": [1.0, 2.0, 3.0]})


def test_image_row_draws_each_image():
    gray = RGB_2X3[..., 1]
    fig = viz.plot_image_row([RGB_2X3, gray], ["colour", "gray"], suptitle="row")
    assert len(fig.axes) == 2
    assert titles(fig) == ["colour", "gray"]
    assert fig.get_suptitle() == "row"
    np.testing.assert_array_equal(image_of(fig.axes[0]), RGB_2X3)
    np.testing.assert_array_equal(image_of(fig.axes[1]), gray)
    assert fig.axes[1].get_images()[0].get_cmap().name == "gray"
    # uint8 gray is drawn on the 0..255 scale: 255 white, 0 black, no contrast stretch
    np.testing.assert_allclose(shown_rgba(fig.axes[1])[..., 0], gray / 255.0, atol=1 / 255)


def test_image_row_single_image_no_titles():
    fig = viz.plot_image_row([RGB_2X3])
    assert len(fig.axes) == 1
    assert titles(fig) == [""]
    assert fig.get_suptitle() == ""


def test_image_row_float_gray_is_drawn_on_the_0_1_scale():
    # float images are 0..1 throughout chroma_lab (rgb_to_gray of a float image returns one)
    gray = np.array([[0.0, 0.5, 1.0]])
    fig = viz.plot_image_row([gray, (gray * 255).astype(np.uint8)])
    for ax in fig.axes:
        np.testing.assert_allclose(shown_rgba(ax)[0, :, 0], [0.0, 0.5, 1.0], atol=1 / 255)


def test_image_grid_layout_and_titles():
    gray = RGB_2X3[..., 0]
    rows = [[gray, RGB_2X3, RGB_2X3[::-1]], [gray]]
    fig = viz.plot_image_grid(rows, row_titles=["first", "second"], col_titles=["a", "b", "c"])
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the short row padded with empty axes
    assert titles(fig) == ["a", "b", "c", "", "", ""]  # column titles on the first row only
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["first", "second"]
    np.testing.assert_array_equal(image_of(fig.axes[2]), RGB_2X3[::-1])
    np.testing.assert_array_equal(image_of(fig.axes[3]), gray)
    assert fig.axes[3].get_images()[0].get_cmap().name == "gray"
    for ax in fig.axes[4:]:
        assert ax.get_images() == [] and not ax.axison


# ----------------------------------------------------------------------------------------------
# Lesson 3: SOM colour classes and colorization comparisons
# ----------------------------------------------------------------------------------------------
def fake_som(space, palette, shape):
    # the three attributes plot_som_grid reads from a fitted SOMPalette
    return SimpleNamespace(space=space, palette_=np.asarray(palette, dtype=float), shape=shape)


def test_som_grid_ab():
    palette = [[0, 0], [40, 0], [0, 40], [-30, -30], [20, 20], [-40, 10]]
    fig = viz.plot_som_grid(fake_som("ab", palette, (2, 3)), L=40)
    (ax,) = fig.axes
    assert mentions(ax.get_title(), "2x3", "ab", 40)
    want = viz.palette_swatches(palette, "ab", 40).reshape(2, 3, 3)
    np.testing.assert_allclose(image_of(ax), want)
    texts = {(t.get_position()): t.get_text() for t in ax.texts}
    assert texts[(0, 0)] == "0\n0, 0"
    assert texts[(2, 1)] == "5\n-40, 10"  # column 2, row 1: class 1 * 3 + 2
    assert {t.get_color() for t in ax.texts} == {"white"}  # dark swatches at L* 40
    assert (list(ax.get_xticks()), list(ax.get_yticks())) == ([0, 1, 2], [0, 1])


def test_som_grid_rgb_and_title():
    palette = [[0.1, 0.2, 0.3], [1.0, 0.5, 0.0]]
    fig = viz.plot_som_grid(fake_som("rgb", palette, (1, 2)), title="mine")
    ax = fig.axes[0]
    assert ax.get_title() == "mine"
    np.testing.assert_allclose(image_of(ax), [palette])
    assert sorted(t.get_text() for t in ax.texts) == ["0\n0.10, 0.20, 0.30", "1\n1.00, 0.50, 0.00"]
    default = viz.plot_som_grid(fake_som("rgb", palette, (1, 2)))
    assert mentions(default.axes[0].get_title(), "1x2", "rgb")


def test_som_grid_refuses_an_unfitted_map():
    with pytest.raises(ValueError, match="som_palette must be a fitted SOMPalette"):
        viz.plot_som_grid(SimpleNamespace(space="ab", shape=(2, 2)))


def small_batch(n=3, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.integers(0, 256, (n, 2, 3, 3)).astype(np.uint8)
    return colour[..., 0], colour  # a stand-in "gray" and the "truth"


def test_colorizations_one_row_per_image_one_column_per_model():
    gray, truth = small_batch(3)
    preds = {"lookup": truth[:, ::-1], "SOM + MLP": 255 - truth}
    fig = viz.plot_colorizations(gray, truth, preds, max_images=2, title="held out")
    assert len(fig.axes) == 2 * 4  # 2 of the 3 images x (gray, truth, two models)
    assert titles(fig)[:4] == ["gray input", "truth", "lookup", "SOM + MLP"]
    assert titles(fig)[4:] == ["", "", "", ""]
    assert fig.get_suptitle() == "held out"
    second_row = fig.axes[4:]
    for ax, want in zip(second_row, (gray[1], truth[1], truth[1, ::-1], 255 - truth[1])):
        np.testing.assert_array_equal(image_of(ax), want)
    assert second_row[0].get_images()[0].get_cmap().name == "gray"


def test_colorizations_without_truth_and_fewer_images_than_max():
    gray, truth = small_batch(2)
    fig = viz.plot_colorizations(gray, None, {"m": truth}, max_images=6)
    assert len(fig.axes) == 2 * 2
    assert titles(fig)[:2] == ["gray input", "m"]


def test_colorizations_refuses_mismatched_predictions():
    gray, truth = small_batch(3)
    with pytest.raises(ValueError, match=r"'m' must hold at least 3 images of size \(2, 3\)"):
        viz.plot_colorizations(gray, truth, {"m": truth[:2]})
    with pytest.raises(ValueError, match=r"'truth' must hold .* got shape \(3, 3, 2, 3\)"):
        viz.plot_colorizations(gray, truth.transpose(0, 2, 1, 3), {"m": truth})


# ----------------------------------------------------------------------------------------------
# Lesson 4: training curves
# ----------------------------------------------------------------------------------------------
HISTORIES = {
    "one-hot": {"loss": [4.0, 2.0, 1.0], "val_loss": [5.0, 3.0, 2.5]},
    "L1 on index": SimpleNamespace(history={"loss": [2.0, 1.5, 1.0, 0.5]}),  # like keras History
}


def test_loss_curves_lines():
    fig = viz.plot_loss_curves(HISTORIES)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["one-hot", "one-hot (validation)", "L1 on index"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])  # epochs count from 1
    np.testing.assert_array_equal(lines[1].get_ydata(), [5.0, 3.0, 2.5])
    np.testing.assert_array_equal(lines[2].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(lines[2].get_ydata(), [2.0, 1.5, 1.0, 0.5])
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("epoch", "loss", "linear")
    assert mentions(ax.get_title(), "loss")


def test_loss_curves_relative_and_log():
    fig = viz.plot_loss_curves(HISTORIES, relative=True, log=True, title="falls")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 0.6, 0.5])  # by its own first
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), [1.0, 0.75, 0.5, 0.25])
    assert (ax.get_ylabel(), ax.get_yscale(), ax.get_title()) == ("loss / first epoch", "log", "falls")


def test_loss_curves_other_key_and_missing_key():
    fig = viz.plot_loss_curves({"m": {"loss": [1.0], "acc": [0.2, 0.4]}}, key="acc")
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [0.2, 0.4])
    with pytest.raises(ValueError, match=r"histories\['m'\] has no 'val'; it logged \['acc', 'loss'\]"):
        viz.plot_loss_curves({"m": {"loss": [1.0], "acc": [0.2]}}, key="val")


# ----------------------------------------------------------------------------------------------
# Lesson 5: Zhang et al. 2016
# ----------------------------------------------------------------------------------------------
def numpy_rebalance(prior, lam):
    # eq. 4 of Zhang et al., re-derived: w ~ 1 / ((1 - lam) p + lam / Q), with E_p[w] = 1
    w = 1.0 / ((1.0 - lam) * prior + lam / prior.size)
    return w / np.sum(prior * w)


@pytest.fixture(scope="module")
def prior_313():
    p = np.arange(1.0, 314.0) ** 2
    return p / p.sum()


def test_prior_and_weights_panels(prior_313):
    fig = viz.plot_prior_and_weights(prior_313, lam=0.3, title="scenes")
    assert len(fig.axes) == 4  # two panels and their colorbars
    left, right = fig.axes[:2]
    assert left.get_title() and right.get_title()
    assert mentions(fig.axes[2].get_ylabel(), "log") and mentions(fig.axes[3].get_ylabel(), "0.3")  # lambda
    assert fig.get_suptitle() == "scenes"
    for ax, want in ((left, np.log10(prior_313)), (right, numpy_rebalance(prior_313, 0.3))):
        (squares,) = ax.collections
        np.testing.assert_array_equal(squares.get_offsets(), ab_bins())
        np.testing.assert_allclose(squares.get_array(), want, rtol=1e-12)


def test_prior_and_weights_largest_weights_stand_out_on_white(prior_313):
    # the colour of the largest weight must not fade into the white background (magma ends in cream)
    (squares,) = viz.plot_prior_and_weights(prior_313).axes[1].collections
    r, g, b, _ = squares.to_rgba(np.max(squares.get_array()))
    assert 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.8, (r, g, b)


def test_prior_and_weights_rejects_a_bad_prior():
    with pytest.raises(ValueError, match="prior must be non-negative and sum to 1"):
        viz.plot_prior_and_weights(np.ones(313))


def test_temperature_sweep_columns_sorted_by_temperature():
    gray, truth = small_batch(3)
    sweep = {1.0: truth // 2, 0: truth, 0.38: 255 - truth}
    fig = viz.plot_temperature_sweep(gray, truth, sweep, max_images=2)
    assert len(fig.axes) == 2 * 5
    assert mentions(titles(fig)[0], "gray") and mentions(titles(fig)[1], "truth")
    # one column per temperature, in increasing order, each named by its T
    assert [re.search(r"T = ([0-9.]+)", title)[1] for title in titles(fig)[2:5]] == ["0", "0.38", "1"]
    assert fig.get_suptitle()
    for ax, want in zip(fig.axes[7:10], (truth[1], 255 - truth[1], truth[1] // 2)):
        np.testing.assert_array_equal(image_of(ax), want)


def test_rebalancing_effect_lines():
    prior = np.array([0.6, 0.3, 0.1 - 1e-9, 1e-9])  # the last bin is smoothing residue
    lams = (1.0, 0.5, 0.0)
    fig = viz.plot_rebalancing_effect(prior, lams, title="Q = 4")
    left, right = fig.axes
    assert fig.get_suptitle() == "Q = 4"
    labels = ["lambda = 1", "lambda = 0.5 (paper)", "lambda = 0"]
    assert [line.get_label() for line in right.get_lines()] == labels
    assert [line.get_label() for line in left.get_lines()][:3] == labels
    np.testing.assert_array_equal(left.get_lines()[3].get_xdata(), [0.25, 0.25])  # the 1/Q mark
    for i, lam in enumerate(lams):
        w = numpy_rebalance(prior, lam)
        np.testing.assert_allclose(left.get_lines()[i].get_xdata(), prior[:3])  # rare bin left out
        np.testing.assert_allclose(left.get_lines()[i].get_ydata(), w[:3])
        np.testing.assert_array_equal(right.get_lines()[i].get_xdata(), [1, 2, 3, 4])
        share = np.cumsum(prior * w)
        np.testing.assert_allclose(right.get_lines()[i].get_ydata(), share / share[-1])
    # without rebalancing the most frequent bin carries 60 % of the loss weight; with lambda = 0
    # every bin carries the same share
    assert right.get_lines()[0].get_ydata()[0] == pytest.approx(0.6)
    np.testing.assert_allclose(right.get_lines()[2].get_ydata(), [0.25, 0.5, 0.75, 1.0])
    assert (left.get_xscale(), left.get_yscale(), right.get_xscale()) == ("log", "log", "log")


def test_rebalancing_effect_rejects_a_2d_prior():
    with pytest.raises(ValueError, match=r"prior must be a 1-D array .* got shape \(2, 2\)"):
        viz.plot_rebalancing_effect(np.full((2, 2), 0.25))


def test_temperature_scores_panels():
    temperatures = [1.0, 0.0, 0.38]
    scores = {"colourfulness": [1.0, 3.0, 2.0], "AuC rebalanced (%)": [60.0, 70.0, 66.0]}
    fig = viz.plot_temperature_scores(temperatures, scores, title="sweep")
    assert titles(fig) == ["colourfulness", "AuC rebalanced (%)"]
    assert fig.get_suptitle() == "sweep"
    for ax, values in zip(fig.axes, scores.values()):
        curve, paper = ax.get_lines()
        np.testing.assert_array_equal(curve.get_xdata(), [0.0, 0.38, 1.0])  # sorted by T
        np.testing.assert_array_equal(curve.get_ydata(), np.asarray(values)[[1, 2, 0]])
        np.testing.assert_array_equal(paper.get_xdata(), [0.38, 0.38])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 0.38 (paper)"]
    no_mark = viz.plot_temperature_scores(temperatures, {"c": [1.0, 2.0, 3.0]}, paper_T=None)
    assert len(no_mark.axes) == 1 and len(no_mark.axes[0].get_lines()) == 1


def test_temperature_scores_validation():
    with pytest.raises(ValueError, match="scores must name at least one measure"):
        viz.plot_temperature_scores([0.0, 1.0], {})
    with pytest.raises(ValueError, match=r"scores\['c'\] must hold one value per temperature \(2\)"):
        viz.plot_temperature_scores([0.0, 1.0], {"c": [1.0, 2.0, 3.0]})


def test_accuracy_curves_lines():
    curves = {"zhang": [0.1, 0.6, 0.9], "lookup": [0.0, 0.4, 0.8]}
    fig = viz.plot_accuracy_curves(curves, thresholds=[0, 5, 10], rebalanced={"zhang": [0.0, 0.5, 0.7]})
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["zhang", "zhang (rebalanced)", "lookup"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    for line, want in zip(lines, ([0.1, 0.6, 0.9], [0.0, 0.5, 0.7], [0.0, 0.4, 0.8])):
        np.testing.assert_array_equal(line.get_xdata(), [0, 5, 10])
        np.testing.assert_array_equal(line.get_ydata(), want)
    assert ax.get_ylim() == (0, 1.02)
    assert mentions(ax.get_title(), "AuC")


def test_accuracy_curves_default_thresholds_and_mismatch():
    fig = viz.plot_accuracy_curves({"m": [0.0, 0.5, 1.0, 1.0]}, title="t")
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [0, 1, 2, 3])
    assert fig.axes[0].get_title() == "t"
    with pytest.raises(ValueError, match="the curve of 'm' has 3 points but there are 2 thresholds"):
        viz.plot_accuracy_curves({"m": [0.0, 0.5, 1.0]}, thresholds=[0, 1])


# ----------------------------------------------------------------------------------------------
# Every public figure function returns a Figure (the no_pyplot_figures fixture runs on each)
# ----------------------------------------------------------------------------------------------
def test_every_public_function_is_tested_here():
    import inspect
    import re
    from pathlib import Path

    public = {name for name, f in inspect.getmembers(viz, inspect.isfunction)
              if not name.startswith("_") and f.__module__.startswith(viz.__name__ + ".")}  # fmt: skip
    called = set(re.findall(r"viz\.(\w+)\(", Path(__file__).read_text()))
    assert public <= called, f"no test calls {sorted(public - called)}"


def test_the_package_re_exports_every_public_name_of_its_modules():
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(viz.__path__):
        module = importlib.import_module(f"{viz.__name__}.{info.name}")
        own = {name for name, value in vars(module).items() if not name.startswith("_")
               and (getattr(value, "__module__", None) == module.__name__ or name.isupper())}  # fmt: skip
        assert own <= set(viz.__all__), f"{module.__name__} defines {sorted(own - set(viz.__all__))}"
    assert all(getattr(viz, name) is not None for name in viz.__all__)


@pytest.mark.parametrize("make", [
    lambda: viz.plot_lab_decomposition(RGB_2X3),
    lambda: viz.plot_ab_gamut((50,)),
    lambda: viz.plot_bins(),
    lambda: viz.plot_palette(RGB_2X3.reshape(-1, 3)),
    lambda: viz.plot_quantization_error([2], [1.0]),
    lambda: viz.plot_image_row([RGB_2X3]),
    lambda: viz.plot_image_grid([[RGB_2X3]]),
    lambda: viz.plot_som_grid(fake_som("ab", [[0, 0]], (1, 1))),
    lambda: viz.plot_colorizations(*small_batch(1), {"m": small_batch(1)[1]}),
    lambda: viz.plot_loss_curves({"m": {"loss": [1.0]}}),
    lambda: viz.plot_prior_and_weights(np.full(313, 1 / 313)),
    lambda: viz.plot_temperature_sweep(*small_batch(1), {0.38: small_batch(1)[1]}),
    lambda: viz.plot_rebalancing_effect(np.full(4, 0.25)),
    lambda: viz.plot_temperature_scores([0.0], {"c": [1.0]}),
    lambda: viz.plot_accuracy_curves({"m": [1.0]}),
])  # fmt: skip
def test_returns_a_figure_outside_pyplot(make):
    fig = make()
    assert isinstance(fig, Figure)
    assert fig.axes  # something was drawn on it


def test_metric_bars_one_panel_per_measure_bars_at_the_values():
    summary = {"gray": {"auc": 80.0, "bleeding": 1.0, "psnr": float("inf")},
               "lookup": {"auc": 70.0, "bleeding": float("nan"), "psnr": 20.0}}  # fmt: skip
    fig = viz.plot_metric_bars(summary, metrics=[("auc", "AuC", "higher"), "bleeding", "psnr"],
                               columns=2)  # fmt: skip
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["AuC (higher)", "bleeding", "psnr"]
    heights = [[bar.get_height() for bar in ax.patches] for ax in panels]
    assert heights == [[80.0, 70.0], [1.0], [20.0]]  # no bar for NaN or inf, only a word
    assert {t.get_text() for t in panels[1].texts} == {"nan"}
    assert {t.get_text() for t in panels[2].texts} == {"inf"}
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["gray", "lookup"]
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # the spare panel of the 2x2 grid is off


def test_metric_bars_default_measures_and_bad_input():
    fig = viz.plot_metric_bars({"m": {"a": 1.0, "b": 2.0}})
    assert [ax.get_title() for ax in fig.axes if ax.axison] == ["a", "b"]
    with pytest.raises(ValueError, match="at least one method"):
        viz.plot_metric_bars({})
    with pytest.raises(ValueError, match="'c' is missing"):
        viz.plot_metric_bars({"m": {"a": 1.0}}, metrics=["c"])


def test_loss_terms_one_line_per_logged_term_on_a_log_axis():
    histories = {"a": {"ab_loss": [0.02, 0.01], "scene_loss": [1.8, 0.5]}, "b": {"ab_loss": [0.03, 0.02]},
                 "unlabelled": {"ab_loss": [0.02], "scene_loss": [0.0]}}  # fmt: skip
    fig = viz.plot_loss_terms(histories)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"a: colour MSE", "a: scene CE", "b: colour MSE", "unlabelled: colour MSE"}
    assert list(lines["a: scene CE"].get_ydata()) == [1.8, 0.5] and lines["a: scene CE"].get_linestyle() == "--"


def test_factor_grid_writes_every_value_and_refuses_a_bad_shape():
    fig = viz.plot_factor_grid([[1.0, 2.5], [3.0, 4.25]], ["g", "no g"], ["8", "16"], "ab error")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["1.00", "2.50", "3.00", "4.25"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["g", "no g"]
    assert mentions(ax.get_title(), "ab error", "lower")
    with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
        viz.plot_factor_grid([[1.0, 2.0]], ["g", "no g"], ["8", "16"], "ab error")
    with pytest.raises(ValueError, match="better must be"):
        viz.plot_factor_grid([[1.0]], ["g"], ["8"], "x", better="up")


def test_bleeding_map_sums_to_edge_bleeding_and_l50_view_keeps_ab():
    from chroma_lab.metrics import edge_bleeding
    from chroma_lab.scenes import synthetic_scenes

    images, _, regions = synthetic_scenes(2, size=24, seed=3, return_regions=True)
    blurred = images.copy()
    blurred[:, :, 1:] = images[:, :, :-1] // 2 + images[:, :, 1:] // 2  # colour smeared rightwards
    for i in range(2):
        lost = viz.bleeding_map(images[i], blurred[i], regions[i])
        zero_pred = np.repeat(images[i].mean(-1, keepdims=True).astype(np.uint8), 3, -1)
        contrast = viz.bleeding_map(images[i], zero_pred, regions[i]).sum()  # a gray prediction loses all
        assert lost.sum() / contrast == pytest.approx(edge_bleeding(images[i], blurred[i], regions[i]), rel=1e-3)
    flat = rgb_to_lab(viz.at_lightness_50(images))
    assert np.allclose(flat[..., 0], 50, atol=1.0)
    fig = viz.plot_coherence_views(images, {"smeared": blurred}, regions, max_images=2)
    assert len(fig.axes) == 2 * 3 * 2


def test_ablation_bars_one_panel_per_measure_one_bar_per_method_and_the_reference_line():
    summary = {"annealed": {"colorfulness": 60.0, "bleeding": 0.8}, "mode": {"colorfulness": 80.0, "bleeding": 0.7},
               "fixed": {"colorfulness": 78.0, "bleeding": 0.6}}  # fmt: skip
    fig = viz.plot_ablation_bars(summary, keys=("colorfulness", "bleeding"), reference="annealed")
    panels = [ax for ax in fig.axes if ax.patches]
    assert len(panels) == 2
    assert [round(p.get_height(), 6) for p in panels[1].patches] == [0.8, 0.7, 0.6]
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == 60.0 for line in panels[0].get_lines())


def test_plot_claim_intervals_draws_one_row_per_claim_coloured_by_verdict():
    from chroma_lab.compare import equivalence_claim, paired_claim

    results = [paired_claim("L5-a", "x", "y", "m", [1, 2, 3], [0, 0.5, 1]),
               paired_claim("L5-b", "x", "y", "m", [1, 2, 3], [1, 2.5, 2]),
               equivalence_claim("L6-c", "x", "y", "m", [1, 2, 3], [1.1, 2, 2.9], 0.5)]
    fig = viz.plot_claim_intervals(results)
    axes = fig.get_axes()
    assert len(axes) == 3
    assert axes[0].get_title(loc="left").startswith("[L5-a] x beats y on m: holds")
    interval = axes[1].get_lines()[1]  # after the zero line; unresolved: gray, from low to high
    assert tuple(interval.get_xdata()) == pytest.approx((results[1].low, results[1].high))
    assert interval.get_color() == "tab:gray"
    with pytest.raises(ValueError, match="at least one claim"):
        viz.plot_claim_intervals([])


def test_hint_figures():
    gray = np.full((6, 8), 128, dtype=np.uint8)
    ab, mask = np.zeros((6, 8, 2)), np.zeros((6, 8), dtype=bool)
    ab[2, 3], mask[2, 3] = (40.0, 20.0), True
    dots = viz.hints_image(gray, ab, mask)
    assert dots.shape == (6, 8, 3) and dots.dtype == np.uint8
    assert np.ptp(dots[2, 3].astype(int)) > 20 and np.ptp(dots[0, 0].astype(int)) <= 1  # colour only at the dot
    np.testing.assert_allclose(rgb_to_lab(dots[2:3, 3:4])[0, 0, 1:], (40.0, 20.0), atol=1.5)
    runs = [{"levin": {"psnr": [20, 22, 25]}, "gray": {"psnr": [20, 20, 20]}},
            {"levin": {"psnr": [20, 23, 26]}, "gray": {"psnr": [20, 20, 20]}}]
    fig = viz.plot_hint_curves(runs, [0, 2, 10], "psnr", title="t")
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 2
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [20, 22.5, 25.5])  # the mean over seeds
    rgb = np.zeros((6, 8, 3), dtype=np.uint8)
    fig = viz.plot_hinted_colorizations(gray, rgb, {0: (ab, mask * False), 1: (ab, mask)},
                                        {"levin": {0: rgb, 1: rgb}})  # fmt: skip
    assert isinstance(fig, Figure) and len(fig.axes) == 2 * 3


def test_hint_sweep_figure_draws_both_measures_and_the_references():
    results = {"levin": {"psnr": [20.0, 22.0, 25.0], "colorfulness": [0.0, 10.0, 30.0]}}
    fig = viz.plot_hint_sweep(results, [0, 2, 10], {"psnr": {"gray": 19.5}, "colorfulness": {"truth": 40.0}})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, curve, reference in zip(fig.axes, ([20, 22, 25], [0, 10, 30]), (19.5, 40.0)):
        np.testing.assert_allclose(ax.lines[0].get_ydata(), curve)
        np.testing.assert_allclose(ax.lines[1].get_ydata(), [reference, reference])  # the flat reference
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["levin", "truth"]
