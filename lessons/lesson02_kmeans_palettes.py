# %% [markdown]
# # Lesson 2 — Palettes: K-means colour classes and a colorizer without context
#
# Lesson 1 reduced colorization to guessing two numbers per pixel, a\* and b\*. Guessing real
# numbers is *regression*. One of the course's seed reports (a student project colorizing cartoon
# frames with a small CNN) turns it into *classification* instead: summarise the training colours
# by a palette of 32, give every pixel the index of its nearest palette colour, and predict that
# index. This lesson builds the palette and a first colorizer on top of it, one that looks at
# nothing but a pixel's own lightness, and shows why that cannot work.
#
# **Goals.** After this lesson you can
#
# 1. find a palette of 32 colours with K-means and explain the algorithm;
# 2. turn an image into a 2-D map of palette indices, and back into colours;
# 3. compare palettes in RGB and in the ab plane, and how the error falls with more colours;
# 4. build the lookup colorizer: for each gray level, the palette colour seen most often;
# 5. explain its failure: pixels of the same lightness can have very different colours.
#
# **Exercises** (4): fitting a palette, encoding, decoding, and the lookup table. The narrative
# cells use the library (`chroma_lab.quantize.KMeansPalette`, `chroma_lab.models.lookup`), so the
# notebook runs before you solve them.

# %%
# %matplotlib inline
import numpy as np

from chroma_lab import checks, color
from chroma_lab.compare import claim
from chroma_lab.data import to_gray, train_test_split_images
from chroma_lab.lessons import fast_mode
from chroma_lab.metrics import image_scores, mean_ab_error
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.quantize import KMeansPalette
from chroma_lab.scenes import BALL_COLORS, synthetic_scenes
from chroma_lab.viz import (plot_colorizations, plot_image_row, plot_palette,
                            plot_quantization_error)

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) shrinks the data; the lesson is the same.
FAST = fast_mode()
N_SCENES = 36 if FAST else 120  # synthetic landscapes, 64x64
N_SAMPLES = 5000 if FAST else 20000  # pixels sampled to fit each palette
N_COLORS_LIST = (2, 8, 32) if FAST else (2, 4, 8, 16, 32, 64)
SEED = 0

# %% [markdown]
# ## 1. The data: synthetic landscapes
#
# `synthetic_scenes` draws little landscapes (sky, grass, sand, water, snow, trees, houses, balls)
# in a fraction of a second, reproducibly from a seed. They are made so that colour *can* be
# learned from lightness and texture, with one deliberate exception we will meet at the end.
# We split them by whole image: 75 % to learn from, 25 % held out to measure.

# %%
scenes, kinds = synthetic_scenes(N_SCENES, size=64, seed=SEED)
train, test, train_kinds, test_kinds = train_test_split_images(scenes, kinds, test_size=0.25, random_state=SEED)
print(f"{len(train)} training and {len(test)} test images of shape {train.shape[1:]}")
plot_image_row(scenes[:6], list(kinds[:6]), size=1.8)

# %% [markdown]
# ## 2. A palette of 32 colours with K-means
#
# K-means finds k "centres" that summarise a cloud of points (here: the colours of the training
# pixels), by repeating two steps until nothing changes:
#
# 1. start with k guesses for the centres (scikit-learn uses the careful "k-means++" seeding);
# 2. give each point to its closest centre;
# 3. move each centre to the mean of its points;
# 4. repeat 2-3 until convergence.
#
# The result depends on the start, so we run it a few times (`n_init`) and keep the best, and fix
# the seed (`random_state`) so that every run of the lesson gives the same palette.
#
# ### Exercise 1: fit a palette
# Write `fit_palette(pixels, n_colors, random_state)`: `pixels` is a float array `(N, 3)` of RGB
# colours in 0..1; return the `(n_colors, 3)` cluster centres. Use
# `sklearn.cluster.KMeans(n_clusters=..., n_init=4, random_state=...)`.

# %%
def fit_palette(pixels, n_colors, random_state):
    """K-means centres of RGB pixels (N, 3) in 0..1 -> palette (n_colors, 3)."""
    ### BEGIN SOLUTION
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=n_colors, n_init=4, random_state=random_state).fit(pixels)
    return km.cluster_centers_
    ### END SOLUTION


checks.check_palette_fit(fit_palette)

# %% [markdown]
# The library's `KMeansPalette` does the same on a random sample of `n_samples` training pixels
# (clustering millions of pixels would add little), and sorts the palette so that runs are easy to
# compare. It follows scikit-learn's conventions: settings in the constructor, `fit` learns, the
# learned state ends in `_`.

# %%
palette_rgb = KMeansPalette(n_colors=32, space="rgb", n_samples=N_SAMPLES, random_state=SEED).fit(train)
print("palette_ shape:", palette_rgb.palette_.shape)
plot_palette(palette_rgb.palette_, "rgb", title="32 K-means colours of the training scenes (RGB)")

# %% [markdown]
# ## 3. Images as label maps
#
# With a palette, every pixel gets the **index of its nearest palette colour**, a number in
# 0..31. An image becomes a 2-D array of class labels, exactly what a classifier is trained to
# predict ("a mapping from gray values to 0..31", in the report's words). Decoding maps every
# label back to its palette colour.
#
# ### Exercise 2: encode
# Write `encode(pixels, palette)`: colours `(..., 3)` and a palette `(k, 3)` -> the index of the
# nearest palette colour for each pixel, shape `(...,)`. Broadcasting does it without a loop:
# `pixels[..., None, :] - palette` has shape `(..., k, 3)`.

# %%
def encode(pixels, palette):
    """Colours (..., 3), palette (k, 3) -> index of the nearest palette colour, int (...,)."""
    ### BEGIN SOLUTION
    d2 = ((np.asarray(pixels, dtype=float)[..., None, :] - palette) ** 2).sum(axis=-1)
    return d2.argmin(axis=-1)
    ### END SOLUTION


checks.check_encode(encode)

# %% [markdown]
# ### Exercise 3: decode
# Write `decode(indices, palette)`: a label map `(...,)` -> colours `(..., 3)`.

# %%
def decode(indices, palette):
    """Class indices (...,), palette (k, 3) -> palette colours (..., 3)."""
    ### BEGIN SOLUTION
    return np.asarray(palette)[indices]
    ### END SOLUTION


checks.check_decode(decode)

# %% [markdown]
# Here is one test scene as the report's Figure 2 shows it: gray input, original, and the
# picture drawn with the 32 palette colours, plus the label map itself, drawn as gray levels
# (label x 8). It looks like a smooth gray photo, not noise, because `KMeansPalette` numbers its
# colours by sorting the centres on their first feature: R for an RGB palette (a\* for the ab
# palettes below). So the index carries *one* direction of colour, here roughly "how red". But a
# colour has three numbers (two for ab), and one index cannot put every similar pair next to each
# other: label 7 and label 8 share a similar R, yet may differ completely in G and B. Labels are
# best read as *names* of colours, not measurements. Remember this for lesson 4.

# %%
labels = palette_rgb.encode(test[0])
print("label map:", labels.shape, labels.dtype, f"{len(np.unique(labels))} distinct labels")
label_picture = (labels * (255 // 31)).astype(np.uint8)
plot_image_row([to_gray(test[0]), test[0], palette_rgb.quantize(test[0]), label_picture],
               ["gray input", "original", "32 palette colours", "label map (label x 8)"], size=2.2)

# %% [markdown]
# ## 4. RGB or ab palettes?
#
# An RGB palette spends its entries on light *and* dark versions of the same colour. But the gray
# input already gives each pixel's lightness, so a colorizer only needs the chroma: a palette in
# the **ab plane** (`space="ab"`) keeps every pixel's own L\* and picks only a\*, b\*. All 32
# entries go to colour.
#
# We measure a palette by its **quantisation error** on the held-out scenes: the mean ab distance
# between each pixel and its palette version (`chroma_lab.metrics.mean_ab_error`). This is the
# error of a perfect classifier, one that always predicts the right palette class: no model built
# on this palette can do better.

# %%
palette_ab = KMeansPalette(n_colors=32, space="ab", n_samples=N_SAMPLES, random_state=SEED).fit(train)
quantisation_error = {}
for name, palette in (("RGB", palette_rgb), ("ab", palette_ab)):
    quantisation_error[name] = mean_ab_error(test, palette.quantize(test))
    print(f"32 colours in {name:>3}: quantisation error {quantisation_error[name]:5.2f} ab units")
print(claim("the ab palette", "the RGB palette", "quantisation error", quantisation_error["ab"],
            quantisation_error["RGB"], lower_is_better=True, digits=2))
plot_palette(palette_ab.palette_, "ab", title="32 K-means colours in the ab plane (shown at L* = 65)")

# %% [markdown]
# How many colours do we need? Below, the error of each palette size, and how much of the error
# each larger palette removes.

# %%
errors = {"rgb": [], "ab": []}
for n_colors in N_COLORS_LIST:
    for space in errors:
        palette = KMeansPalette(n_colors=n_colors, space=space, n_samples=N_SAMPLES, random_state=SEED).fit(train)
        errors[space].append(mean_ab_error(test, palette.quantize(test)))
    cut = "" if len(errors["ab"]) == 1 else f"  (ab: {1 - errors['ab'][-1] / errors['ab'][-2]:.0%} less error)"
    print(f"{n_colors:3d} colours: RGB {errors['rgb'][-1]:5.2f}, ab {errors['ab'][-1]:5.2f}{cut}")
plot_quantization_error(N_COLORS_LIST, errors)

# %% [markdown]
# ## 5. The lookup colorizer: colour by lightness alone
#
# The simplest learned colorizer: for every gray level, remember which palette colour the
# training pixels of that level had most often, and paint every pixel of that level with it.
# Learning is counting: a table `counts[level, class]`, then the most frequent class of each row.
# Two details make it well defined: a tie goes to the lower class index, and a gray level that
# never occurs in training borrows the answer of the nearest level that does (the darker one on a
# tie).
#
# ### Exercise 4: the lookup table
# Write `lookup_table(gray, classes, n_classes)`: `gray` holds gray levels 0..255 and `classes`
# palette indices 0..n_classes-1, both int arrays of the same shape (one entry per training
# pixel). Return the `(256,)` array of the most frequent class of each level, with the two rules
# above. Count with `np.add.at`, which adds once per pixel even when a (level, class) pair repeats
# (plain fancy-index assignment would count it once).

# %%
def lookup_table(gray, classes, n_classes):
    """Gray levels and palette classes of training pixels -> most frequent class per level (256,)."""
    ### BEGIN SOLUTION
    counts = np.zeros((256, n_classes), dtype=np.int64)
    np.add.at(counts, (np.ravel(gray), np.ravel(classes)), 1)
    seen = np.flatnonzero(counts.sum(axis=1) > 0)
    nearest_seen = seen[np.abs(np.arange(256)[:, None] - seen[None, :]).argmin(axis=1)]
    return counts.argmax(axis=1)[nearest_seen]
    ### END SOLUTION


checks.check_lookup_colorizer(lookup_table)

# %% [markdown]
# `chroma_lab.models.lookup.LookupColorizer` is this table with an ab palette, behind the
# interface every colorizer of the course shares: `fit(rgb_images)`, then
# `colorize(gray_images) -> rgb_images`. Its baseline is `GrayColorizer`, which predicts no colour
# at all (lesson 1). Both are measured on the held-out scenes.

# %%
lookup = LookupColorizer(n_colors=32, space="ab", random_state=SEED).fit(train)
gray_test = to_gray(test)
predictions = {"all gray": GrayColorizer().fit(train).colorize(gray_test), "lookup": lookup.colorize(gray_test)}
scores = {name: image_scores(test, predicted) for name, predicted in predictions.items()}
for name, s in scores.items():
    print(f"{name:>8}: mean ab error {s['mean_ab_error']:5.2f}, within 10 ab units {s['within_10']:4.0%}, "
          f"colourfulness {s['colorfulness']:4.1f} (truth {s['colorfulness_true']:.1f})")
print(claim("lookup", "all gray", "mean ab error", scores["lookup"]["mean_ab_error"],
            scores["all gray"]["mean_ab_error"], lower_is_better=True, digits=2))

# %%
print("the scenes below:", ", ".join(test_kinds[:4]))
plot_colorizations(gray_test[:4], test[:4], predictions)

# %% [markdown]
# The lookup table beats gray on the mean ab error: some materials, like the sky's smooth light
# blues and the snow's whites, have lightness values of their own. But look at the pictures: a
# region of one colour in the truth comes out in bands of several colours (the water takes green
# bands from the gray levels where grass is the most common colour), and every other material
# takes whatever colour is most common at its gray levels.
#
# ## 6. Why it fails: same lightness, different colours
#
# The scenes contain balls that are red or blue at random, and the two colours were chosen with
# **the same CIE lightness**. In gray they are identical:

# %%
for name, rgb in BALL_COLORS.items():
    print(f"{name:>4} ball {rgb}: L* = {color.rgb_to_lab(np.uint8(rgb))[0]:.1f}, "
          f"gray level {color.rgb_to_gray(np.uint8(rgb))}")

# %% [markdown]
# So the lookup table *must* give them the same colour: whichever palette colour is most common
# at that gray level in the training images. At least one of the two balls is always wrong. The
# counts table shows the competition at that level (`counts_` has one row per gray level):

# %%
level = int(color.rgb_to_gray(np.uint8(BALL_COLORS["red"])))  # with levels=256, level = gray value
row = lookup.counts_[level]
for cls in np.argsort(row)[::-1][:4]:
    a, b = lookup.colors_ab_[cls]
    print(f"class {cls:2d} (a* = {a:6.1f}, b* = {b:6.1f}): {row[cls]:4d} training pixels")
print("the table picks class", lookup.table_[level])

# %%
swatch = np.zeros((1, 24, 48, 3), dtype=np.uint8)
swatch[0, :, :24], swatch[0, :, 24:] = BALL_COLORS["red"], BALL_COLORS["blue"]
with_balls = [i for i, kind in enumerate(test_kinds) if kind in ("grass", "beach", "snow")][:2]
plot_image_row([swatch[0], to_gray(swatch)[0], lookup.colorize(to_gray(swatch))[0]]
               + [image for i in with_balls for image in (test[i], predictions["lookup"][i])],
               ["red | blue", "their gray", "lookup colours"] + ["truth", "lookup"] * len(with_balls), size=2.0)

# %% [markdown]
# The same happens, less visibly, everywhere: a textured region (grass, rippled water) spreads
# over many gray levels, and at some of those levels another material is more frequent, hence the
# bands and speckles of wrong colours. No rule that sees one pixel at a time can fix this. The
# colour of a pixel depends on its **context**: the texture around it, the shapes, the place in
# the picture.
#
# ## Summary
#
# * K-means summarises the training colours in a palette (32 colours, as in the seed report);
#   `KMeansPalette` wraps scikit-learn's `KMeans` with a seed and a pixel sample.
# * Encoding turns an image into a label map of palette indices, the targets of a classifier;
#   our labels are sorted by the first colour channel, but one number cannot order colours, so
#   labels are names, not measurements.
# * An ab palette spends all its entries on chroma, since L\* comes from the input; it quantises
#   with a smaller error than an RGB palette of the same size. Every doubling of the palette
#   still removes a good share of the error (printed above): 32 is the report's choice, a budget,
#   not the size where more colours stop helping.
# * The lookup colorizer (most frequent colour per gray level) beats the all-gray baseline on the
#   mean ab error, but cannot tell apart colours of equal lightness (the red and blue balls) and
#   paints textured regions in bands of wrong colours.
#
# **Next:** lesson 3 classifies each pixel from the *patch* around it, with colour classes from a
# self-organising map (Richart, Visca and Baliosian 2017).
