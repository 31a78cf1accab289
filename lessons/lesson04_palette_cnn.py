# %% [markdown]
# # Lesson 4 — A small CNN, and why the loss matters
#
# Lessons 2 and 3 classified pixels into palette colours. This lesson does it with a small
# **convolutional neural network** (CNN) that colours a whole image in one pass, as in the seed
# report of lesson 2: a 3x3 convolution for a little context, dropout, and a per-pixel layer
# scoring the 32 palette classes, trained with the Adadelta optimiser in Keras. One departure:
# the report's second layer is *fully connected*, 64x64 = 4,096 units each seeing the features
# of the whole 64x64 image (131,072 inputs, over 500 million weights for that layer alone),
# followed by a 64x64x32 softmax output. We use a per-pixel 1x1 convolution instead: a few
# thousand weights, any image size, and a context that stays the 3x3 window.
#
# The report's most instructive part is a failure. Its first loss compared the predicted class
# *index* with the true one by their absolute difference, and the network "was hard to converge".
# We train the network three ways and compare:
#
# 1. **one-hot cross-entropy** over the palette classes (the report's fix);
# 2. **L1 on the class index** (the report's failing loss);
# 3. **L2 regression on a\*, b\*** (no palette at all), which averages colours into desaturated ones.
#
# **Goals.** After this lesson you can encode class targets one-hot, compute a cross-entropy by
# hand, explain why a distance between class indices is a poor colour distance, and read loss
# curves and held-out numbers to see why regression gives dull colours: the motivation for
# lesson 5.
#
# **Exercises** (3): one-hot encoding, cross-entropy in NumPy, and the numbers behind the L1 loss.

# %%
# %matplotlib inline
import os

# Before anything imports TensorFlow (your own settings win): hide its start-up notes, and turn off
# its oneDNN kernels, whose different order of floating-point sums changes the trained networks,
# so that this lesson prints the same numbers on every CPU. This also silences the oneDNN notice.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

from chroma_lab import checks, color  # noqa: E402
from chroma_lab.compare import claim  # noqa: E402
from chroma_lab.data import to_gray, train_test_split_images
from chroma_lab.lessons import fast_mode
from chroma_lab.metrics import image_scores
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.lookup import LookupColorizer
from chroma_lab.models.palette_cnn import PaletteCNNColorizer, build_palette_cnn  # imports Keras
from chroma_lab.scenes import BALL_COLORS, synthetic_scenes
from chroma_lab.viz import plot_colorizations, plot_loss_curves

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) shrinks data and training; the lesson is the same.
FAST = fast_mode()
N_SCENES = 24 if FAST else 120  # synthetic landscapes, 64x64
EPOCHS = 3 if FAST else 30
BATCH_SIZE = 4  # small batches: more updates per epoch for this small data set
LEARNING_RATE = 2.0  # Adadelta; the report's network learns slowly at 1.0 on 90 scenes
SEED = 0

# %% [markdown]
# ## 1. Data and baselines
#
# The scenes and split of lessons 2 and 3, with the all-gray and lookup colorizers to beat.

# %%
scenes, kinds = synthetic_scenes(N_SCENES, size=64, seed=SEED)
train, test = train_test_split_images(scenes, test_size=0.25, random_state=SEED)
gray_test = to_gray(test)
predictions = {
    "all gray": GrayColorizer().fit(train).colorize(gray_test),
    "lookup": LookupColorizer(n_colors=32, space="ab", random_state=SEED).fit(train).colorize(gray_test),
}
print(f"{len(train)} training and {len(test)} test scenes")

# %% [markdown]
# ## 2. The network
#
# `build_palette_cnn` returns the Keras model. The 3x3 convolution computes 32 features per pixel
# from the pixel and its 8 neighbours; dropout switches a random quarter of them off during
# training, so the network cannot lean on any single one (the report's guard against
# overfitting); a 1x1 convolution, a dense layer applied at every pixel, turns the features into
# 32 scores ("logits"), one per palette class. The network is *fully convolutional*: it works on
# images of any size.

# %%
build_palette_cnn(n_colors=32, output="classes").summary()

# %% [markdown]
# A softmax turns the 32 logits of a pixel into probabilities, p_q = exp(z_q) / sum_j exp(z_j).
# Training needs a target in the same form and a loss that compares the two.
#
# ## 3. One-hot targets
#
# The target of a pixel whose palette class is 3 is the vector with a 1 at position 3 and 0
# elsewhere: its "one-hot" encoding. It is the probability distribution that is certain of class 3.
#
# ### Exercise 1: one-hot encoding
# Write `onehot(labels, n_classes)`: an int array of any shape `(...,)` -> floats
# `(..., n_classes)`. (Hint: rows of the identity matrix.)

# %%
def onehot(labels, n_classes):
    """Int labels (...,) -> one-hot float array (..., n_classes)."""
    ### BEGIN SOLUTION
    return np.eye(n_classes)[np.asarray(labels)]
    ### END SOLUTION


checks.check_onehot(onehot)

# %% [markdown]
# ## 4. Cross-entropy
#
# The cross-entropy between target t and prediction p is -sum_q t_q log p_q, averaged over the
# pixels. With a one-hot target only the true class counts: the loss is -log of the probability
# given to the right colour. 0 if the network is sure and right; large if it is sure and wrong.
# Which wrong class got the probability does not matter.
#
# ### Exercise 2: cross-entropy in NumPy
# Write `crossentropy(probs, targets)`: probabilities and targets of shape `(..., K)` (targets may
# be one-hot or any distribution, as in lesson 5) -> one number, the mean over pixels.

# %%
def crossentropy(probs, targets):
    """Probabilities and targets (..., K) -> mean over pixels of -sum_q t_q log p_q (float)."""
    ### BEGIN SOLUTION
    return float(np.mean(-np.sum(targets * np.log(probs), axis=-1)))
    ### END SOLUTION


checks.check_crossentropy(crossentropy)

# %% [markdown]
# Keras computes the same quantity from the logits (`SparseCategoricalCrossentropy(from_logits=True)`
# takes the class index instead of the one-hot vector, which saves memory). A check of the
# NumPy re-derivation against Keras on random numbers:

# %%
import keras  # noqa: E402 (already imported by the model module)

rng = np.random.default_rng(SEED)
logits = rng.normal(size=(2, 3, 32)).astype("float32")
labels = rng.integers(0, 32, size=(2, 3))
probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
print(f"Keras {float(keras_loss):.5f}  NumPy {checks.crossentropy_reference(probs, np.eye(32)[labels]):.5f}")

# %% [markdown]
# ## 5. The report's L1 loss on class indices
#
# The report's first attempt had one output per pixel, squashed to 0..31 (`31 * sigmoid(output)`,
# then `int()`, which truncates the fractional part; the report calls it rounding) and compared
# with the true index: Loss = mean |label - output|. The report itself explains the flaw: "if a
# pixel should be labeled with 3, the loss of mislabeling it as 7 is 4. If the model mislabels
# it as 30, then loss is 26 [sic: 27]. However, we know that mislabeling it as 7 or 30 should
# have the same penalty."
#
# Our palette is not numbered at random: `KMeansPalette` sorts its centres on their first
# feature, a\* for an ab palette (lesson 2), so the index does carry one direction of colour.
# That makes things subtler, not better. An L1 loss on such an index in effect regresses a\*
# alone and cannot express b\* at all: two colours of equal a\*, one blue and one yellow, sit
# side by side in the order. One number cannot order the 2-D ab plane so that neighbours in index
# are neighbours in colour, and a different sort (or the report's K-means order, which is
# arbitrary) would change what the loss rewards. (Also, truncating or rounding has a zero
# gradient almost everywhere, so that loss could not train at all; the library leaves it to
# decoding.)
#
# ### Exercise 3: the numbers
# Write `index_losses(true_class, predicted_class, n_classes, confidence)` returning `(l1, ce)`:
# the L1 loss on indices, and the one-hot cross-entropy when the network puts probability
# `confidence` on `predicted_class` and spreads the rest evenly over the other classes.

# %%
def index_losses(true_class, predicted_class, n_classes, confidence):
    """L1 loss on class indices, and one-hot cross-entropy, for one wrong prediction."""
    ### BEGIN SOLUTION
    l1 = abs(true_class - predicted_class)
    p_true = (1.0 - confidence) / (n_classes - 1)
    return l1, -np.log(p_true)
    ### END SOLUTION


checks.check_index_losses(index_losses)

# %% [markdown]
# ## 6. L2 regression on ab, and the average colour
#
# Why classify at all? We could regress a\*, b\* directly with the L2 (squared error) loss, as
# many early colorizers did. But the value that minimises the expected squared error is the
# **mean** of the possible answers. Our red and blue balls have the same lightness and a patch
# cannot tell them apart; the L2-optimal colour for both is halfway between:

# %%
red_ab = color.rgb_to_lab(np.uint8(BALL_COLORS["red"]))[1:]
blue_ab = color.rgb_to_lab(np.uint8(BALL_COLORS["blue"]))[1:]
mean_ab = (red_ab + blue_ab) / 2
ball_L = color.rgb_to_lab(np.uint8(BALL_COLORS["red"]))[0]
print(f"red ab {np.round(red_ab, 1)}, blue ab {np.round(blue_ab, 1)} -> L2 optimum {np.round(mean_ab, 1)}, "
      f"RGB {color.rgb_from_l_ab(np.array(ball_L), mean_ab)}: neither red nor blue")
# the L2 loss charges the *squared* distance: that is where the mean wins
sq_mean = np.sum((mean_ab - red_ab) ** 2)  # the same to blue
sq_guess = np.sum((blue_ab - red_ab) ** 2)
print(f"squared ab error of the mean colour: {sq_mean:,.0f} whether the ball is red or blue")
print(f"squared ab error of guessing red (or blue): 0 or {sq_guess:,.0f}, on average {sq_guess / 2:,.0f}")

# %% [markdown]
# In plain distances the two choices tie (the mean is half the red-blue distance from each,
# a guess is right or wrong by all of it), but squared, the guess's misses cost four times as
# much and the mean halves the expected loss. Averaged over many plausible colours, the mean
# drifts towards the middle of the ab plane, near gray: regression gives safe, desaturated
# colorizations.
#
# ## 7. Training the three variants
#
# `PaletteCNNColorizer(loss=...)` fits an ab palette of 32 colours with K-means (lesson 2), builds
# the network with the matching output (32 logits, one index in 0..31, or two ab values), and
# trains it. Everything is seeded, so the run is reproducible on a CPU.

# %%
LOSS_NAMES = {"onehot": "one-hot CE", "l1_index": "L1 on index", "l2_ab": "L2 on ab"}
models = {}
for loss, name in LOSS_NAMES.items():
    models[name] = PaletteCNNColorizer(n_colors=32, loss=loss, epochs=EPOCHS, batch_size=BATCH_SIZE,
                                       learning_rate=LEARNING_RATE, verbose=0, seed=SEED).fit(train)
    predictions[name] = models[name].colorize(gray_test)
    print(f"{name:>12}: loss {models[name].history_['loss'][0]:.3f} -> {models[name].history_['loss'][-1]:.3f}")

# %% [markdown]
# The three losses are in different units, so the curves are drawn relative to their first epoch:
# what matters is how far each one falls.

# %%
plot_loss_curves({name: model.history_ for name, model in models.items()}, relative=True)

# %%
print(f"{'model':>12}  {'ab error':>8}  {'within 10':>9}  {'colourfulness':>13}")
scores = {name: image_scores(test, predicted) for name, predicted in predictions.items()}
for name, s in scores.items():
    print(f"{name:>12}  {s['mean_ab_error']:8.2f}  {s['within_10']:9.0%}  {s['colorfulness']:13.1f}")
print(f"{'truth':>12}  {'':8}  {'':9}  {s['colorfulness_true']:13.1f}")
print()
for a, b, measure, key, lower in [  # each comparison the text below makes, from the numbers above
    ("one-hot CE", "lookup", "mean ab error", "mean_ab_error", True),
    ("one-hot CE", "lookup", "share within 10 ab units (%)", "within_10", False),
    ("one-hot CE", "L1 on index", "mean ab error", "mean_ab_error", True),
    ("L2 on ab", "all gray", "mean ab error", "mean_ab_error", True),
    ("L2 on ab", "all gray", "share within 10 ab units (%)", "within_10", False),
    ("one-hot CE", "L2 on ab", "colourfulness", "colorfulness", False),
]:
    scale = 100 if key == "within_10" else 1
    print(claim(a, b, measure, scale * scores[a][key], scale * scores[b][key], lower_is_better=lower))

# %%
plot_colorizations(gray_test[:4], test[:4], predictions)

# %% [markdown]
# ## 8. Reading the results
#
# The lines under the table state each comparison below from this run's numbers (one seed:
# a difference of a point or less could go the other way in another run).
#
# * **One-hot cross-entropy** learns steadily, and its colours are about as vivid as the truth's.
#   But compare it with the **lookup** row: it does not beat the lookup table, which sees no
#   context at all, on the mean ab error (in our full-mode run it was 1.4 behind, 24.7 against
#   23.3) nor on the share of pixels within 10 ab units (49 % against 55 %). The CNN at best
#   matches it. Its receptive field is the 3x3 window (a pixel and its 8
#   neighbours): too small to tell sky from water or grass from a tree, and less than lesson 3's
#   5x5 and 11x11 patches. What it shows is a loss that treats colours as classes, and a network
#   that colours a whole image at once; to see more, a network needs depth, strides and
#   dilation, which is lesson 5's network.
# * **L1 on the index** falls little and plateaus: the index follows a\* only, so the loss in
#   effect regresses a\* and cannot express b\*, and its "in-between" predictions are whatever
#   colours happen to sit between in the sorted palette, often unrelated ones. Its mean ab error
#   can still come out as low as one-hot CE's (in our full-mode run slightly lower, 24.3 against
#   24.7): an average distance does not see which colour was wrong. The share within 10 ab units
#   does (39 % against 49 %), and so do its pictures.
# * **L2 on ab** beats gray on the mean ab error (hedging towards the middle is never far off),
#   yet has a *smaller* share of pixels within 10 ab units than gray itself: the hedged colour is
#   rarely exactly right, while gray is exactly right on the near-gray pixels. Its pictures are
#   the most desaturated of the three CNNs, as the colourfulness shows. A good average error is
#   not a good colorization.
#
# *In fast mode the numbers above come from a few seconds of training and may not show this
# (one-hot CE may even fall least); run in full mode (`CHROMA_LAB_FAST` unset) to read them.*
#
# Zhang, Isola and Efros (2016) build on exactly these observations: predict a **distribution**
# over colour classes (the 313 ab bins of lesson 1) with a cross-entropy, soft-encode the targets
# so that neighbouring bins share the credit, **re-weight** rare colours so that the gray middle
# does not dominate, and turn the distribution back into one colour with an **annealed mean**
# between the dull mean and the noisy mode. That is lesson 5.
#
# ## Summary
#
# * A CNN scores palette classes at every pixel at once; a softmax makes the scores probabilities.
# * Class targets are one-hot vectors; the cross-entropy is -log of the probability of the true
#   class (exercises 1 and 2, checked against NumPy and Keras).
# * Class indices are a poor measurement of colour: an L1 loss on them charges 4 for 3 -> 7 and
#   27 for 3 -> 30 (exercise 3); our sorted palette makes the index follow a\* but leaves b\*
#   out, and the network trained with it fails.
# * A 3x3 receptive field is too little context: the CNN does not beat the context-free lookup.
# * L2 regression on ab averages plausible colours: a lower mean error than gray, fewer pixels
#   within 10 ab units than gray, desaturated pictures.
