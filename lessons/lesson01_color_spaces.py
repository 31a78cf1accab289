# %% [markdown]
# # Lesson 1 — Colour spaces: why colorization predicts *ab* from *L*
#
# A colour photo stores three numbers per pixel; a grayscale photo stores one. Colorization has
# to guess the two that are missing. Which two? That depends on the colour space, and choosing it
# well is the first design decision of every method in this course.
#
# **Goals.** After this lesson you can
#
# 1. explain why RGB is a poor space to measure colour differences in, and what CIE L\*a\*b\*
#    ("Lab") fixes;
# 2. convert sRGB to Lab yourself: undo the sRGB "gamma", go to XYZ, then to Lab;
# 3. tell apart three gray formulas, and spot the typo in one of them;
# 4. see why a colorizer predicts only *a\** and *b\** and takes *L\** from the gray input, and why
#    its choices shrink for very dark and very bright pixels;
# 5. name the baseline every colorizer must beat: leaving the picture gray.
#
# **Exercises** (5) are marked *Exercise*: write the body of a function, then run the check cell
# below it, which prints `PASS` or `FAIL` with a hint. The rest of the notebook uses the library's
# own functions (`chroma_lab.color`), so it runs even before you solve anything.

# %%
# %matplotlib inline
import numpy as np

from chroma_lab import checks, color
from chroma_lab.compare import claim
from chroma_lab.data import bundled_photos, split_lab, to_gray
from chroma_lab.lessons import fast_mode
from chroma_lab.metrics import image_scores
from chroma_lab.models.base import GrayColorizer
from chroma_lab.quantize import N_BINS, class_prior
from chroma_lab.viz import plot_ab_gamut, plot_bins, plot_image_row, plot_lab_decomposition

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) makes the images smaller; the lesson is the same.
FAST = fast_mode()
SIZE = 64 if FAST else 128  # side of the square photos, in pixels

# %% [markdown]
# ## 1. The data: nine colour photos
#
# `bundled_photos` returns nine photos that ship inside scikit-image, scikit-learn and matplotlib,
# so nothing is downloaded. We crop them to squares.

# %%
photos, names = bundled_photos(size=SIZE)
print(photos.shape, photos.dtype)
plot_image_row(photos, names, size=1.6)

# %% [markdown]
# ## 2. RGB mixes lightness and colour; Lab separates them
#
# An RGB pixel says how much red, green and blue light a screen emits. Make a pixel darker and all
# three numbers change; make it bluer and, usually, its brightness changes too. Lightness and
# colour are tangled in all three channels.
#
# CIE L\*a\*b\* untangles them: **L\*** is the lightness (0 black, 100 white), **a\*** runs from
# green (negative) to red (positive), **b\*** from blue (negative) to yellow (positive). The
# figure shows a photo, its three Lab channels, and the colour alone (a\*, b\* drawn at a fixed
# L\* = 50).

# %%
plot_lab_decomposition(photos[names.index("flower")], title="flower in CIE Lab")

# %% [markdown]
# Lab was also designed to be **perceptually uniform**: the Euclidean distance between two Lab
# colours, called ΔE, roughly tracks how different they look (ΔE ≈ 2.3 is a just-noticeable
# difference). RGB is not: below, every pair differs by the same 30 steps in one RGB channel, yet
# the visible difference ranges from nothing to a lot. A loss measured in RGB would punish
# invisible errors and forgive visible ones; a loss in Lab punishes what we see.

# %%
pairs = [((0, 0, 0), (0, 30, 0)), ((0, 0, 0), (0, 0, 30)), ((0, 225, 0), (0, 255, 0)),
         ((128, 0, 0), (128, 30, 0)), ((255, 255, 0), (255, 255, 30)), ((0, 225, 255), (30, 225, 255))]
for a, b in pairs:
    delta_e = np.linalg.norm(color.rgb_to_lab(np.uint8(a)) - color.rgb_to_lab(np.uint8(b)))
    print(f"{str(a):>16} -> {str(b):<16} RGB distance 30, Lab distance ΔE = {delta_e:5.2f}")

# %% [markdown]
# ## 3. From sRGB to Lab, step by step
#
# The conversion has three steps. You will write each one.
#
# **Step 1: undo the sRGB transfer curve ("gamma").** Pixel values are not proportional to light:
# screens and files store gamma-encoded values, which spend more of the 256 levels on dark tones
# where our eyes are sensitive. With `c` in 0..1, the light intensity is
#
# $$c_{\text{linear}} = \begin{cases} c / 12.92 & c \le 0.04045 \\ \left(\frac{c + 0.055}{1.055}\right)^{2.4} & c > 0.04045 \end{cases}$$
#
# The short linear piece near black exists because of the other direction: a pure power
# encoding, x^(1/2.4), has an infinite slope at 0, so tiny noise in dark linear values would blow
# up into large encoded steps. The offset (0.055) already tames the power piece, and below the
# knee the straight line takes over: the cell below prints the slopes at black. A pure power 2.2
# is a common approximation, but not the standard.

# %%
power_piece = lambda c: ((c + 0.055) / 1.055) ** 2.4  # noqa: E731 (the curve above, right-hand piece)
h = 1e-6
print(f"decoding slope at c = 0: pure power c ** 2.4 -> 0, offset power piece -> "
      f"{(power_piece(h) - power_piece(0.0)) / h:.4f}, straight piece -> {1 / 12.92:.4f}")
print(f"encoding slope at black: pure power x ** (1/2.4) -> infinite, sRGB -> {12.92:.2f}")

# %% [markdown]
# ### Exercise 1: sRGB decoding
# Write `srgb_to_linear(c)` for a float array `c` in 0..1 of any shape (use `np.where`).

# %%
def srgb_to_linear(c):
    """Gamma-encoded sRGB values in 0..1 (any shape) -> linear light in 0..1, same shape."""
    ### BEGIN SOLUTION
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    ### END SOLUTION


checks.check_srgb_to_linear(srgb_to_linear)

# %% [markdown]
# **Step 2: linear RGB to CIE XYZ.** XYZ comes from the CIE colour-matching functions, measured
# in experiments where observers matched colours with mixtures of three lights; they are a linear
# transform of the responses of the eye's three cone types. Y is the luminance. Linear RGB maps
# to XYZ by a fixed 3x3 matrix (for sRGB primaries and the D65 white point), `color.XYZ_FROM_RGB`,
# whose rows give X, Y and Z:

# %%
print(np.round(color.XYZ_FROM_RGB, 4))
white_xyz = color.XYZ_FROM_RGB.sum(axis=1)  # linear white (1, 1, 1) times the matrix
print("row sums (the XYZ of RGB white):", np.round(white_xyz, 6))
print("color.D65_WHITE (the standard's white point):", color.D65_WHITE)
print(f"they differ by up to {np.abs(white_xyz - color.D65_WHITE).max():.1e}: both are published rounded "
      f"(as in scikit-image), so RGB white comes out at a* = {color.rgb_to_lab(np.uint8([255, 255, 255]))[1]:.4f}, "
      f"b* = {color.rgb_to_lab(np.uint8([255, 255, 255]))[2]:.4f} instead of exactly 0")

# %% [markdown]
# Why not derive the white point from the matrix, so that RGB white is exactly gray? Because the
# library's reference, scikit-image, uses these two rounded constants, and the tests compare our
# Lab with its Lab to within 0.001: a derived white would make RGB white exactly gray, moving its
# a\* and b\* by the amounts just printed, more than that tolerance (and far less than a visible
# difference, ΔE ≈ 2.3). So `color.D65_WHITE` stays the standard's white point.
#
# ### Exercise 2: sRGB to XYZ
# Write `rgb_to_xyz(rgb)` for float RGB of shape `(..., 3)` in 0..1. Decode with the library's
# `color.srgb_to_linear` (so this exercise does not depend on the previous one), then apply the
# matrix to the last axis, so that each row of the matrix gives one of X, Y and Z.

# %%
def rgb_to_xyz(rgb):
    """Float sRGB (..., 3) in 0..1 -> CIE XYZ (..., 3), D65 white point."""
    ### BEGIN SOLUTION
    return color.srgb_to_linear(np.asarray(rgb, dtype=np.float64)) @ color.XYZ_FROM_RGB.T
    ### END SOLUTION


checks.check_rgb_to_xyz(rgb_to_xyz)

# %% [markdown]
# **Step 3: XYZ to Lab.** Divide by the XYZ of white (`color.D65_WHITE`), so that white becomes
# (1, 1, 1), then compress with a cube root, which mimics the eye's response:
#
# $$f(t) = \begin{cases} t^{1/3} & t > 0.008856 \\ 7.787\,t + 16/116 & t \le 0.008856 \end{cases}$$
#
# $$L^* = 116 f(Y) - 16, \qquad a^* = 500\,(f(X) - f(Y)), \qquad b^* = 200\,(f(Y) - f(Z))$$
#
# L\* depends on Y only: lightness is luminance, compressed. a\* and b\* are *differences*, so any
# gray (X, Y, Z proportional to white) has a\* = b\* = 0.
#
# ### Exercise 3: XYZ to Lab
# Write `xyz_to_lab(xyz)` for XYZ of shape `(..., 3)`.

# %%
def xyz_to_lab(xyz):
    """CIE XYZ (..., 3) -> CIE Lab (..., 3), relative to the D65 white."""
    ### BEGIN SOLUTION
    t = np.asarray(xyz, dtype=np.float64) / color.D65_WHITE
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)
    ### END SOLUTION


checks.check_xyz_to_lab(xyz_to_lab)

# %% [markdown]
# The library's `color.rgb_to_lab` chains the same three steps. An independent implementation,
# scikit-image's `rgb2lab`, agrees with it to rounding error:

# %%
import skimage.color  # noqa: E402 (imported here, where it is needed)

lab = color.rgb_to_lab(photos)
print("largest difference to skimage.color.rgb2lab:", np.abs(lab - skimage.color.rgb2lab(photos)).max())
print(f"L* spans {lab[..., 0].min():.1f}..{lab[..., 0].max():.1f}, "
      f"a* {lab[..., 1].min():.1f}..{lab[..., 1].max():.1f}, b* {lab[..., 2].min():.1f}..{lab[..., 2].max():.1f}")

# %% [markdown]
# ## 4. Why predict *ab* from *L*
#
# A grayscale photo *is* the L\* channel (more on that in the next section). So in Lab the input
# gives us one of the three numbers exactly, and a colorizer only has to guess **two numbers per
# pixel, a\* and b\***. In RGB it would have to guess three numbers that must also reproduce the
# known lightness, a constraint the network would have to learn.
#
# Recombining is lossless: the true L\* with the true ab gives the photo back, and L\* with
# ab = 0 gives the gray picture.

# %%
L, ab = split_lab(photos)
rebuilt = color.rgb_from_l_ab(L, ab)
print("photo rebuilt from L and ab, largest error:", np.abs(rebuilt.astype(int) - photos).max(), "levels")
grayed = color.rgb_from_l_ab(L, np.zeros_like(ab))
plot_image_row([photos[1], grayed[1], rebuilt[1]], ["photo", "L with ab = 0", "L with the true ab"], size=2.2)

# %% [markdown]
# ## 5. Three ways to make a photo gray
#
# Which gray image is "the" gray image? Three formulas are in use:
#
# * **CIE (L\*-preserving)**: take the luminance Y of the colour (steps 1-2) and encode it back
#   with the sRGB curve. The gray pixel then has *exactly* the colour's L\*. This is what
#   `chroma_lab.data.to_gray` does, so that a colorizer's input is the L\* it must keep.
# * **Rec. 601 luma**: 0.299 R + 0.587 G + 0.114 B, on the gamma-encoded values; what old TV and
#   many libraries use. Close, but not the same lightness.
# * **The report's formula**: one of the course's seed reports prints
#   Gray = 0.21 R + 0.72 G + 0.007 B. The 0.007 is a typo for 0.07: the weights of a gray formula
#   must sum to 1, or white is no longer white. With 0.07, the weights are essentially the Y row
#   printed in step 2 (0.2127, 0.7152, 0.0722): the report's formula computes luminance, but on
#   the gamma-encoded values instead of linear light. That, not the weights, is all that
#   separates it from the CIE gray.
#
# ### Exercise 4: luma formulas
# Write `gray_rec601(rgb)` and `gray_report(rgb)` (with the corrected 0.07) for uint8 RGB of shape
# `(..., 3)`, returning gray levels on the 0..255 scale (float is fine).

# %%
def gray_rec601(rgb):
    """uint8 RGB (..., 3) -> Rec. 601 luma, gray levels 0..255, shape (...,)."""
    ### BEGIN SOLUTION
    return np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])
    ### END SOLUTION


def gray_report(rgb):
    """uint8 RGB (..., 3) -> 0.21 R + 0.72 G + 0.07 B, gray levels 0..255, shape (...,)."""
    ### BEGIN SOLUTION
    return np.asarray(rgb, dtype=np.float64) @ np.array([0.21, 0.72, 0.07])
    ### END SOLUTION


checks.check_gray(gray_rec601, "rec601")
checks.check_gray(gray_report, "report")

# %% [markdown]
# ### Exercise 5: the L\*-preserving gray
# Write `gray_cie(rgb)`: decode with `color.srgb_to_linear(rgb / 255)`, take Y with the middle row
# of the matrix (`color.XYZ_FROM_RGB[1]`), encode Y back with `color.linear_to_srgb`, and scale to
# 0..255. (The three weights of Y sum to 1, so white stays white.)

# %%
def gray_cie(rgb):
    """uint8 RGB (..., 3) -> gray levels 0..255 whose CIE L* equals the colour's, shape (...,)."""
    ### BEGIN SOLUTION
    linear = color.srgb_to_linear(np.asarray(rgb, dtype=np.float64) / 255.0)
    return 255.0 * color.linear_to_srgb(linear @ color.XYZ_FROM_RGB[1])
    ### END SOLUTION


checks.check_gray(gray_cie, "cie")

# %% [markdown]
# Now compare the three on the photos (with the library's `color.rgb_to_gray`). For each formula:
# how far is the L\* of the gray image from the L\* of the colour photo? And what does the
# misprinted 0.007 do to a white pixel?

# %%
true_L = color.rgb_to_lab(photos)[..., 0]
grays = {method: color.rgb_to_gray(photos, method) for method in color.GRAY_METHODS}
mean_error = {}
for method, gray in grays.items():
    err = np.abs(color.gray_to_lightness(gray) - true_L)
    mean_error[method] = err.mean()
    print(f"{method:>7}: L* error mean {err.mean():5.2f}, max {err.max():5.2f}")
for other in ("rec601", "report"):
    print(claim("the CIE gray", other, "mean L* error", mean_error["cie"], mean_error[other], lower_is_better=True,
                digits=2))

white = np.array([255.0, 255.0, 255.0])
typo = white @ np.array([0.21, 0.72, 0.007])
print(f"\nwith 0.007, white (255, 255, 255) becomes gray level {typo:.1f}, "
      f"L* = {color.gray_to_lightness(np.uint8(round(typo))):.1f} instead of 100")
typo_gray = np.round(np.clip(photos @ np.array([0.21, 0.72, 0.007]), 0, 255)).astype(np.uint8)

# %%
i = names.index("astronaut")
plot_image_row([photos[i], grays["cie"][i], grays["rec601"][i], grays["report"][i], typo_gray[i]],
               ["photo", "CIE (keeps L*)", "Rec. 601", "0.21/0.72/0.07", "0.007 typo: no white"], size=2.2)

# %% [markdown]
# The CIE gray is off by rounding only (8-bit levels); Rec. 601 misses L\* by a unit on average
# and by much more on saturated colours: pure blue (0, 0, 255) gets luma 29, a gray of L\* 11,
# although its own L\* is 32, because luma weighs the gamma-encoded values, not light. A model
# trained on one kind of gray and fed another gets the wrong lightness, so the whole course uses
# the L\*-preserving gray of `to_gray`.
#
# ## 6. The ab gamut: fewer colours near black and white
#
# Not every (L\*, a\*, b\*) is a colour a screen can show. The figure draws, for a few lightness
# values, the ab plane with the displayable colours filled in (white outside), and the 313 bins
# that lesson 5 will use as classes. The displayable region is largest at mid lightness and
# **shrinks towards black and white**: a very dark or very bright pixel can only be nearly gray.
# A colorizer has little to choose there, and a prediction outside the region gets clipped.

# %%
plot_ab_gamut((10, 30, 50, 70, 90))

# %%
grid = np.linspace(-128, 128, 257)  # ab grid with step 1
A, B = np.meshgrid(grid, grid)
for Lstar in (5, 10, 30, 50, 70, 90, 97):
    lab_plane = np.stack([np.full_like(A, Lstar), A, B], axis=-1)
    print(f"L* = {Lstar:>2}: {color.in_gamut(lab_plane).sum():6d} displayable ab points (step 1)")

# %% [markdown]
# ## 7. The 313 bins
#
# Zhang, Isola and Efros (2016), lesson 5, turn colorization into classification: they cut the ab
# plane into squares of side 10 and keep the 313 that hold displayable colours at *some*
# lightness. Here they are, coloured by their colour at L\* = 50, then by how often the pixels of
# our nine photos fall in each (log scale): a few dull bins near the gray centre hold most pixels.

# %%
plot_bins()

# %%
prior = class_prior(ab)
print(f"{N_BINS} bins; the 10 most frequent hold {np.sort(prior)[::-1][:10].sum():.0%} of the pixels")
plot_bins(prior, title="How often the photos' pixels fall in each bin")

# %% [markdown]
# ## 8. The baseline to beat: leave it gray
#
# The simplest "colorizer" predicts a\* = b\* = 0 everywhere: the gray picture. Every later model
# is compared with it using the measures of `chroma_lab.metrics`: the mean ab error (Euclidean
# distance in the ab plane, in ab units) and the share of pixels within 10 ab units of the truth.
# Because most pixels are dull, gray is already right for a good part of every photo: a model
# has to get colourful pixels right to beat it.
#
# The third number is the **colourfulness** of Hasler and Süsstrunk (2003), which the course
# uses to tell vivid pictures from dull ones: from the opponent channels rg = R - G and
# yb = (R + G) / 2 - B (on 0..255 values) it adds their spread over the picture (standard
# deviations) and, with weight 0.3, how far their mean lies from gray. It is 0 for a gray picture
# and roughly 30 to 60 for everyday photos.

# %%
gray_model = GrayColorizer().fit(photos)  # nothing to learn
predicted = gray_model.colorize(to_gray(photos))
scores = image_scores(photos, predicted)
print(f"all-gray baseline: mean ab error {scores['mean_ab_error']:.1f}, "
      f"within 10 ab units {scores['within_10']:.0%}, colourfulness {scores['colorfulness']:.0f} "
      f"(photos: {scores['colorfulness_true']:.0f})")

# %% [markdown]
# ## Summary
#
# * sRGB values are gamma-encoded; decoding them gives linear light, a 3x3 matrix gives XYZ, and
#   a cube-root compression gives CIE Lab, where distances match what we see.
# * L\* is the lightness and a\*, b\* the colour. A gray image gives L\*, so a colorizer predicts
#   only a\*, b\* and recombines them with the input's L\* (`color.rgb_from_l_ab`).
# * Use the L\*-preserving gray (`data.to_gray`); luma formulas miss L\* on saturated colours, and
#   gray weights must sum to 1 (the report's 0.007 turns white into level 239).
# * The displayable ab region shrinks at very low and very high L\*; the 313 bins of Zhang et al.
#   cover it at all lightnesses, and a few dull bins hold most pixels.
# * The all-gray baseline scores a mean ab error above 20 on these photos: the number to beat.
#
# **Next:** lesson 2 reduces the colours of the training images to a small palette and builds a
# first colorizer that looks at nothing but a pixel's lightness.
