# %% [markdown]
# # Lesson 3 — Context: SOM colour classes and a patch classifier
#
# Lesson 2 ended with a colorizer that sees one pixel at a time and therefore cannot tell grass
# from sky of the same lightness. This lesson gives it **context**: it classifies each pixel from
# the small square *patch* of lightness around it. We follow Richart, Visca and Baliosian,
# "Image Colorization with Neural Networks" (Workshop of Computer Vision 2017), summarised in one
# of the course's seed documents:
#
# 1. a **self-organising map** (SOM) trained on the ab values of the training pixels turns the
#    colours into a handful of classes (the paper shows 4- and 9-neuron maps; we also try 16
#    and 25);
# 2. every pixel's lightness patch (they use a few pixels on a side) is flattened into a vector;
# 3. a **multi-layer perceptron** (MLP) learns to classify a patch into the SOM class of its
#    centre pixel; colorizing paints each pixel with its predicted class's colour.
#
# **Goals.** After this lesson you can explain how a SOM learns ordered colour classes, extract
# patches with sensible borders, train a patch classifier, and judge the effect of the number of
# classes and of the patch size on held-out scenes, against the all-gray and lookup baselines.
#
# **Exercises** (3): nearest-SOM-cell labels, patch extraction, training the MLP.

# %%
# %matplotlib inline
import numpy as np

from chroma_lab import checks
from chroma_lab.color import normalize_l
from chroma_lab.compare import claim
from chroma_lab.data import extract_patches, sample_pixels, split_lab, to_gray, train_test_split_images
from chroma_lab.lessons import fast_mode
from chroma_lab.metrics import image_scores, mean_ab_error
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.models.som_mlp import SOMPatchColorizer
from chroma_lab.quantize import KMeansPalette, SOMPalette
from chroma_lab.scenes import synthetic_scenes
from chroma_lab.viz import plot_colorizations, plot_quantization_error, plot_som_grid

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) shrinks data and training; the lesson is the same.
FAST = fast_mode()
N_SCENES = 36 if FAST else 120  # synthetic landscapes, 64x64
N_PIXELS = 3000 if FAST else 12000  # training pixels (patches) per model
MAX_ITER = 25 if FAST else 100  # MLP training epochs
SOM_SHAPES = ((2, 2), (3, 3)) if FAST else ((2, 2), (3, 3), (4, 4), (5, 5))
PATCH_SIZES = (3, 5) if FAST else (3, 5, 11)
SEED = 0

# %% [markdown]
# ## 1. Data and the baselines from lessons 1 and 2
#
# The same synthetic scenes and split as in lesson 2, and the two colorizers to beat.

# %%
scenes, kinds = synthetic_scenes(N_SCENES, size=64, seed=SEED)
train, test = train_test_split_images(scenes, test_size=0.25, random_state=SEED)
gray_test = to_gray(test)
baselines = {
    "all gray": GrayColorizer().fit(train),
    "lookup": LookupColorizer(n_colors=32, space="ab", random_state=SEED).fit(train),
}
predictions = {name: model.colorize(gray_test) for name, model in baselines.items()}
for name, predicted in predictions.items():
    print(f"{name:>8}: mean ab error {mean_ab_error(test, predicted):5.2f}")

# %% [markdown]
# ## 2. Colour classes from a self-organising map
#
# A SOM is a small grid of "neurons", here 3x3, each holding a colour (an ab pair). Training
# shows it one training pixel at a time:
#
# 1. find the **best-matching unit** (BMU), the neuron whose colour is closest to the pixel's;
# 2. pull the BMU's colour towards the pixel, and its grid *neighbours* too, a bit less;
# 3. shrink the pull and the neighbourhood over time.
#
# Like K-means, it ends with a few representative colours. Unlike K-means, the neighbourhood step
# makes neighbouring neurons hold similar colours: the classes come **ordered on a map**. After
# training, a pixel's class is simply its BMU. `chroma_lab.quantize.SOMPalette` wraps the
# `minisom` library behind the same interface as `KMeansPalette`.

# %%
som = SOMPalette(shape=(3, 3), space="ab", n_samples=N_PIXELS, random_state=SEED).fit(train)
print("palette_ (one ab colour per neuron, row by row):\n", np.round(som.palette_, 1))
bluish = som.palette_[:, 1] < -5  # b* clearly negative: blue to violet
print(f"{bluish.sum()} of the {len(som.palette_)} classes are bluish (b* < -5)")
plot_som_grid(som)

# %% [markdown]
# ### Exercise 1: SOM classes
# Write `som_classes(ab, weights)`: `ab` of shape `(..., 2)` and the neuron colours `weights` of
# shape `(k, 2)` (`som.palette_`) -> the index of each pixel's best-matching unit, shape `(...,)`.

# %%
def som_classes(ab, weights):
    """ab (..., 2), neuron colours (k, 2) -> index of the best-matching neuron, int (...,)."""
    ### BEGIN SOLUTION
    d2 = ((np.asarray(ab, dtype=float)[..., None, :] - weights) ** 2).sum(axis=-1)
    return d2.argmin(axis=-1)
    ### END SOLUTION


checks.check_som_classes(som_classes)

# %% [markdown]
# How many classes? Richart et al. show maps of 4 and 9 neurons; we also try 16 and 25 (in full
# mode). More classes quantise the colours more finely (a smaller error even for a perfect
# classifier), but each class has fewer examples and the classifier's task gets harder. Below, the quantisation error of SOMs and of
# K-means palettes of the same sizes: the map's ordering costs the SOM little or no accuracy.
# Then the largest map: neighbouring neurons hold neighbouring colours.

# %%
sizes, som_errors, kmeans_errors = [], [], []
for shape in SOM_SHAPES:
    n = shape[0] * shape[1]
    som_n = SOMPalette(shape=shape, space="ab", n_samples=N_PIXELS, random_state=SEED).fit(train)
    km_n = KMeansPalette(n_colors=n, space="ab", n_samples=N_PIXELS, random_state=SEED).fit(train)
    sizes.append(n)
    som_errors.append(mean_ab_error(test, som_n.quantize(test)))
    kmeans_errors.append(mean_ab_error(test, km_n.quantize(test)))
    print(f"{n:2d} classes: SOM {som_errors[-1]:5.2f}, K-means {kmeans_errors[-1]:5.2f} ab units")
plot_quantization_error(sizes, {"SOM": som_errors, "K-means": kmeans_errors})

# %%
plot_som_grid(som_n)

# %% [markdown]
# ## 3. Patches: a pixel and its neighbourhood
#
# The classifier's input for a pixel is the square of `p x p` lightness values centred on it,
# flattened row by row into a vector of `p * p` numbers. Pixels on the border lack neighbours on
# one side; we **reflect** the image at its edge (`np.pad(..., mode="reflect")`), which continues
# textures naturally and invents no black frame.
#
# ### Exercise 2: patch extraction
# Write `my_extract_patches(gray, patch_size)` (a new name, so that it does not shadow the
# library's `extract_patches`, which the rest of the lesson uses) for one image `(H, W)` and an
# odd `patch_size`:
# return `(H * W, patch_size ** 2)`, the patch of every pixel in raster order (row by row).
# Pad, then take the `p x p` window around every pixel; a double loop is fine.

# %%
def my_extract_patches(gray, patch_size):
    """One image (H, W), odd patch_size p -> patches (H * W, p * p), reflect padding."""
    ### BEGIN SOLUTION
    half = patch_size // 2
    padded = np.pad(np.asarray(gray), half, mode="reflect")
    H, W = np.shape(gray)
    return np.array([padded[r : r + patch_size, c : c + patch_size].ravel()
                     for r in range(H) for c in range(W)])
    ### END SOLUTION


checks.check_extract_patches(my_extract_patches)

# %% [markdown]
# The library's `chroma_lab.data.extract_patches` does the same without a Python loop (a strided
# view of the padded image), for a stack of images and only the pixels you ask for. A training
# set is a random sample of pixels (`sample_pixels`): their patches are the inputs, the SOM class
# of their colour the targets. L\* is centred and scaled to about -0.5..0.5 first, as neural
# networks prefer small inputs.

# %%
L_train, ab_train = split_lab(train)
positions = sample_pixels(L_train.shape, N_PIXELS, random_state=SEED)  # (image, row, col)
X = extract_patches(normalize_l(L_train), 5, positions)  # (L - 50) / 100
y = som.encode(train[positions[:, 0], positions[:, 1], positions[:, 2]])
print("inputs X:", X.shape, " targets y:", y.shape, " class counts:", np.bincount(y, minlength=9))

# %% [markdown]
# ## 4. The MLP patch classifier
#
# An MLP maps the 25 inputs through a hidden layer of neurons (weighted sums followed by a
# non-linearity) to one score per class, and is trained by gradient descent to give the right
# class the highest score. scikit-learn's `MLPClassifier` does all of it in `fit`.
#
# ### Exercise 3: train the MLP
# Write `train_mlp(X, y, hidden_layer_sizes, random_state)` returning a fitted
# `sklearn.neural_network.MLPClassifier` (use `max_iter=300` and pass `random_state`, so the
# result is reproducible).

# %%
def train_mlp(X, y, hidden_layer_sizes, random_state):
    """Patches X (n, p * p), classes y (n,) -> fitted MLPClassifier."""
    ### BEGIN SOLUTION
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=hidden_layer_sizes, max_iter=300, random_state=random_state)
    return mlp.fit(X, y)
    ### END SOLUTION


checks.check_patch_mlp(train_mlp)

# %% [markdown]
# `chroma_lab.models.som_mlp.SOMPatchColorizer` puts the three steps together (SOM, patches, MLP)
# behind the `fit` / `colorize` interface. We train one per patch size: 3x3, 5x5 and, in full
# mode, 11x11. A larger patch sees more context but gives the MLP more inputs to learn from the
# same number of examples.

# %%
models = {}
for p in PATCH_SIZES:
    models[p] = SOMPatchColorizer(som_shape=(3, 3), patch_size=p, hidden_layer_sizes=(64,), n_pixels=N_PIXELS,
                                  max_iter=MAX_ITER, random_state=SEED).fit(train)
    predictions[f"SOM + MLP {p}x{p}"] = models[p].colorize(gray_test)

print(f"{'model':>16}  {'train acc.':>10}  {'ab error':>8}  {'within 10':>9}  {'colourfulness':>13}")
scores = {name: image_scores(test, predicted) for name, predicted in predictions.items()}
for name, s in scores.items():
    p = int(name.split()[-1].split("x")[0]) if name.startswith("SOM") else None
    accuracy = f"{models[p].train_accuracy_:10.0%}" if p else " " * 10
    print(f"{name:>16}  {accuracy}  {s['mean_ab_error']:8.2f}  {s['within_10']:9.0%}  {s['colorfulness']:13.1f}")
print()
for p in PATCH_SIZES:
    for baseline in ("all gray", "lookup"):
        print(claim(f"SOM + MLP {p}x{p}", baseline, "mean ab error", scores[f"SOM + MLP {p}x{p}"]["mean_ab_error"],
                    scores[baseline]["mean_ab_error"], lower_is_better=True, digits=2))
for small, large in zip(PATCH_SIZES, PATCH_SIZES[1:]):
    print(claim(f"{large}x{large} patches", f"{small}x{small}", "training accuracy (%)",
                100 * models[large].train_accuracy_, 100 * models[small].train_accuracy_))

# %%
plot_colorizations(gray_test[:4], test[:4], predictions)

# %% [markdown]
# Reading the table and the pictures:
#
# * Context helps: the patch classifier tells the smooth sky from the textured grass and the
#   rippled water, which the lookup table could not; the lines under the table say whether each
#   patch size beats both baselines on the mean ab error, and whether training accuracy rises
#   with the patch size (one seed: small differences there could go either way in another run).
# * Nine colours are few: the sky's whole gradient of blues shares the few bluish classes of the
#   map (counted in section 2), so it comes out in bands. The SOM's ab classes are coarse, and the
#   quantisation error of section 2 is a floor no classifier can beat.
# * The MLP makes mistakes of context too. Orange halos around the clouds and the sun, orange
#   lines along other sharp edges of the sky, and red streaks on the water: the classifier sees
#   only a small patch of lightness, and a patch across a bright edge, or across the light and
#   dark stripes of a ripple, resembles the patches of warm-coloured things it was trained on (the
#   sun's glow, the shaded rim of a red ball, a roof) more than those of sky or water. A wider
#   view of the image, lesson 5's network, is what tells an edge in the sky from an object.
# * The red and blue balls are still hopeless: a patch shows a round, shaded ball, but whether it
#   is red or blue was decided by a coin toss, so the MLP picks whichever class was more frequent.
#   A model that outputs a single class per pixel cannot express "red or blue"; lesson 5 will
#   predict a *distribution* over colours instead.
#
# *In fast mode the numbers above come from a few seconds of training and may not show this; run
# in full mode (`CHROMA_LAB_FAST` unset) to read them.*
#
# ## Summary
#
# * A self-organising map gives a few colour classes, ordered on a grid (similar colours on
#   neighbouring neurons); a pixel's class is its best-matching unit.
# * A pixel's context enters as its lightness patch, with reflect padding at the border.
# * An MLP classifying patches into SOM classes (Richart et al. 2017) beats both the all-gray and
#   the lookup colorizer on held-out scenes (printed under the table); the number of classes
#   bounds the error from below (the quantisation floor), a small patch confuses edges with
#   objects, and colours that lightness and shape cannot tell apart stay ambiguous.
#
# **Next:** lesson 4 replaces the MLP on one patch by a small convolutional network that colours
# the whole image at once, and compares three ways of training it.
