# %% [markdown]
# # Lesson 7 — Coherent and colorful: a refinement of Zhang et al., its collapse, and its fixes
#
# Lesson 5 ended with a choice. Zhang et al.'s network predicts a distribution over 313 colours
# at every pixel, and one colour has to be picked from it:
#
# * the **mode** (the most probable bin) keeps the vivid colours, but two neighbouring pixels
#   whose distributions are nearly tied can pick different colours: blotches, and colour changes
#   inside one surface;
# * the **mean** is smooth but dull (lesson 4's averaging again);
# * the paper's **annealed mean** (T = 0.38) sits in between, and still lets colour bleed across
#   the edges of surfaces, because the prediction is made at a quarter of the resolution and then
#   blurred back up.
#
# A student report, *Coherent and Colorful Image Colorization* by Florian Stellbrink, proposes to
# keep the mode and make it coherent instead: a second network looks at the gray image and at the
# distribution, and predicts a **refined distribution** whose mode is the output. Its two losses
# never name a colour: one compares the *gradients* of the colours with the truth's, the other
# keeps the refined mode likely under the original distribution. The report's own run collapsed
# to one colour per image. This lesson rebuilds the idea, tries to reproduce the collapse, applies
# the fixes the report proposes, plus two of ours, and measures whether the result does what
# the report set out to do: beat the plain mode on coherence without losing its colour.
#
# **Goals.** After this lesson you can write the gradient (coherence) loss and the regulariser,
# rebalance a loss by the rarity of gradient magnitudes, explain why the naive version collapses,
# and read claims about colourfulness, bleeding and incoherence measured over several seeds.
#
# **Exercises** (3): the gradient loss, the regulariser, the gradient-magnitude rebalancing.

# %%
# %matplotlib inline
import os
import time

import numpy as np

# hide TensorFlow's start-up notes about CPU instructions (your own setting wins)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same numbers on every CPU

from keras import ops  # noqa: E402 (after the logging setting above)

from chroma_lab import checks  # noqa: E402
from chroma_lab import quantize  # noqa: E402
from chroma_lab.color import normalize_l  # noqa: E402
from chroma_lab.data import split_lab  # noqa: E402
from chroma_lab.evaluate import evaluate_predictions  # noqa: E402
from chroma_lab.experiments import lesson07 as experiment  # noqa: E402
from chroma_lab import losses  # noqa: E402
from chroma_lab.lessons import fast_mode  # noqa: E402
from chroma_lab.models import coherent  # noqa: E402
from chroma_lab.viz import plot_ablation_bars, plot_coherence_views  # noqa: E402

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) shrinks data and training; the lesson is the same.
FAST = fast_mode()
BUDGET = experiment.budget(FAST)  # scenes, image size, epochs of the base and of each refinement
SEEDS = (0, 1) if FAST else experiment.SEEDS  # the claims are measured over these seeds
SEED = SEEDS[0]  # the run this lesson looks at closely

# %% [markdown]
# ## 1. The problem: mode, mean, and colour that leaks
#
# We train lesson 5's small network (rebalanced classification) on synthetic scenes, whose
# surfaces are known exactly (every pixel carries the label of the sky, the house, the ball it
# belongs to), and decode its held-out predictions three ways by changing only `temperature`.
# `chroma_lab.experiments.lesson07` holds this experiment, so that the claims at the end of the
# lesson and `benchmarks/claims_robustness.py` run the same code; it also trains the two
# refinements of sections 5 and 6, which we look at there.

# %%
start = time.process_time()
run = experiment.seed_colorizations(SEED, fast=FAST)
train, test, test_regions, base = run["train"], run["test"], run["test_regions"], run["base"]
colorized = run["colorized"]
print(f"{len(train)} training and {len(test)} test scenes of {BUDGET.image_size}x{BUDGET.image_size}; "
      f"the base and both refinements trained in {time.process_time() - start:.0f} s of CPU time")

# %% [markdown]
# Two ways of looking. The first row of each scene is the colorization; the second is the same
# picture with every pixel's lightness set to L\* = 50, the report's view: the gray image is the
# same for every method, so only a\* and b\* differ, and with the lightness gone a colour change
# inside one surface jumps out. The third row is the **bleeding map**: at every pair of
# neighbouring pixels on two different true surfaces, the colour contrast the truth has there and
# the colorization lost (`chroma_lab.metrics.edge_bleeding` sums it and divides by the truth's
# contrast; `viz.bleeding_map` draws its terms). Bright marks an edge whose contrast the
# colorization lost. That happens when colour leaks across the edge, and also when both sides got
# the same colour or none: a bright ring around a ball that no method coloured is lost contrast,
# not leakage. The map shows where the truth's edges went missing, not why.

# %%
decodings = ("mean T=1", "annealed T=0.38", "mode T=0")
plot_coherence_views(test, {name: colorized[name] for name in decodings}, test_regions, max_images=3)

# %% [markdown]
# The evaluation harness (`chroma_lab.evaluate`) measures the same on the whole held-out set of
# this seed (one run: the table is for looking, the claims of section 7 for concluding): the
# colourfulness (Hasler and Süsstrunk), the **bleeding** (share of the truth's edge contrast lost,
# 0..1), the **incoherence** (colour variation inside true surfaces that the truth lacks, ab
# units) and the raw and rebalanced AuC of lesson 5.

# %%
KEYS = (("colorfulness", 2), ("bleeding", 3), ("incoherence", 2), ("auc_raw", 2), ("auc_rebalanced", 2))


def show(summary):
    """Print the ablation table: one row per method."""
    print(f"{'method':<16}" + "".join(f"{key:>16}" for key, _ in KEYS))
    for method, values in summary.items():
        print(f"{method:<16}" + "".join(f"{values[key]:>16.{digits}f}" for key, digits in KEYS))


summary = evaluate_predictions(test, colorized, regions=test_regions).summary
show({name: summary[name] for name in decodings})

# %% [markdown]
# ## 2. The idea: a second network that makes the mode coherent
#
# The report's architecture (its Figure 3): the base network runs as before; a separate branch
# convolves the gray input; its features are concatenated with the base's distribution,
# upsampled to full resolution; a few more convolutions predict the refined distribution. Two
# details matter:
#
# 1. the losses must not name colours, or the refinement becomes a regression and averages again;
# 2. the refined mode must stay likely under the base's distribution, or it is coherent but no
#    longer uses what the base network predicted.
#
# The base network keeps its own loss and sees the new losses through a **stop-gradient**: the
# two parts train independently. Here the base is the network of section 1, frozen.
# `coherent.build` puts the refinement around it; dilated convolutions (1, 2, 4, 8) let it see
# about 31 pixels, enough to spread one colour over a surface.

# %%
network = coherent.build(base.network_)  # the report's layout, refining residually
refinement = [layer for layer in network.layers if layer.name.startswith(("gray", "refine"))]
print(f"refinement layers: {', '.join(layer.name for layer in refinement)}; "
      f"{sum(layer.count_params() for layer in refinement):,} parameters "
      f"(the base has {base.network_.count_params():,})")
print("output:", network(np.zeros((1, BUDGET.image_size, BUDGET.image_size, 1), "float32")).shape,
      "= 313 refined logits + the 313 base logits, upsampled, at every pixel")

# %% [markdown]
# ## 3. Coherence without colours: the gradient loss L_C
#
# The report defines coherence by the truth's gradients: wherever the true colour changes, the
# prediction should change by the same amount in the same direction; wherever the truth is flat,
# the prediction should be flat. It never says *which* colour. With dx and dy the horizontal and
# vertical differences of ab (each a 2-vector: a and b), per pixel
#
# L_C = || (dx_true - dx_pred, dy_true - dy_pred) ||_2.
#
# The prediction's ab must come from the refined distribution in a way gradients can pass
# through; the mode (an argmax) has none. The report takes the annealed mean of lesson 5 with a
# tiny temperature, T = 0.01: almost the mode, still differentiable (`quantize.annealed_mean_ops`
# with the 313 x 2 matrix of bin centres).
#
# ### Exercise 1: the gradient loss
# Write `gradient_loss(true_ab, pred_ab)`: two ab arrays of shape `(n, H, W, 2)` in Lab units ->
# the per-pixel L_C of shape `(n, H - 1, W - 1)`, on ab divided by 110 (the library's ab scale, so
# that L_C and the regulariser below have similar sizes). Use forward differences (a pixel's right
# neighbour minus itself for dx, its lower neighbour minus itself for dy), cropped to the pixels
# that have both neighbours.

# %%
def gradient_loss(true_ab, pred_ab):
    """True and predicted ab (n, H, W, 2) -> per-pixel L_C (n, H - 1, W - 1) on ab / 110."""
    ### BEGIN SOLUTION
    d = (np.asarray(true_ab, dtype=np.float64) - np.asarray(pred_ab, dtype=np.float64)) / 110.0
    dx = d[:, :-1, 1:] - d[:, :-1, :-1]  # gradients are linear: the gradient of the difference
    dy = d[:, 1:, :-1] - d[:, :-1, :-1]
    return np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1))
    ### END SOLUTION


checks.check_gradient_loss(gradient_loss)

# %% [markdown]
# The library's `chroma_lab.losses.coherence_loss` is the same with `keras.ops`, plus a tiny epsilon under
# the square root: the derivative of sqrt at 0 is infinite, and a prediction whose gradients
# match the truth's is exactly there. On a held-out scene, with the library's version: the
# truth, the truth recoloured by a constant shift, the base's mode, and a flat gray prediction.

# %%
true_ab = split_lab(test[:1])[1]
mode_ab = split_lab(colorized["mode T=0"][:1])[1]
flat_ab = np.zeros_like(true_ab)
for name, ab in {"the truth": true_ab, "truth + (30, -20)": true_ab + [30.0, -20.0],
                 "base mode": mode_ab, "all gray": flat_ab}.items():
    print(f"{name:>18}: mean L_C {ops.convert_to_numpy(losses.coherence_loss(true_ab, ab)).mean():.4f}")

# %% [markdown]
# The shifted truth costs nothing: L_C sees edges, not colours. The flat prediction and the mode
# pay for different things: the flat one for every edge of the truth it lacks, the mode for the
# edges it has and the truth does not (its bin flips inside surfaces) and for its edges in the
# wrong place. Which of the two costs more depends on the scene; neither is anywhere near 0.
#
# ## 4. Staying true to the distribution: the regulariser L_R
#
# The refined mode should be a colour the base network found likely. The report's measure:
# 1 - Z[argmax Z_hat] / max Z, where Z is the base's distribution and Z_hat the refined one: 0
# when the refined mode is the base's mode, 1 when the base gave that colour no probability. The
# argmax has no gradient, so the report replaces the one-hot of the mode by f_T(Z_hat), the
# annealed distribution of lesson 5 at T = 0.01:
#
# L_R = 1 - Z . f_T(Z_hat) / max(Z), per pixel.
#
# ### Exercise 2: the regulariser
# Write `color_regularizer(base_probs, refined_probs, T=0.01)`: two arrays of probabilities of
# shape `(..., 313)` -> L_R of shape `(...)`. Compute f_T as in lesson 5's annealed mean,
# exp(log(p) / T) normalised over the bins, subtracting the maximum of log(p) / T before exp.

# %%
def color_regularizer(base_probs, refined_probs, T=0.01):
    """Base and refined distributions (..., 313) -> L_R (...), in 0..1."""
    ### BEGIN SOLUTION
    scaled = np.log(refined_probs) / T
    sharp = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    sharp /= sharp.sum(axis=-1, keepdims=True)
    return 1.0 - (base_probs * sharp).sum(-1) / base_probs.max(-1)
    ### END SOLUTION


checks.check_color_regularizer(color_regularizer)

# %% [markdown]
# ## 5. The naive version, and its collapse
#
# `CoherentColorizer` with all three changes of section 6 switched off is the report's recipe:
# the refined distribution is predicted from scratch by the refinement branch, trained with
# L_C + L_R (`coherent.CoherentLoss`), on top of the frozen base network. Its output is the mode
# of the refined distribution.

# %%
models = run["models"]
print("naive:", {key: value for key, value in experiment.NAIVE.items()})


def mode_stats(name):
    """Distinct refined modes per test image, and the share of pixels where it is the start's mode."""
    l_norm = normalize_l(split_lab(test)[0][..., None]).astype("float32")
    out = ops.convert_to_numpy(models[name].network_(l_norm, training=False))
    refined, start = out[..., : quantize.N_BINS].argmax(-1), out[..., quantize.N_BINS :].argmax(-1)
    distinct = np.mean([len(np.unique(image)) for image in refined])
    return f"{distinct:.1f} bins per image (the base's mode: {np.mean([len(np.unique(b)) for b in start]):.1f}), " \
           f"{np.mean(refined == start):.0%} of pixels keep the base's mode"


print("naive:", mode_stats("naive"))
show({name: summary[name] for name in ("mode T=0", "naive")})
plot_coherence_views(test, {k: colorized[k] for k in ("mode T=0", "naive")}, test_regions, max_images=2)

# %% [markdown]
# Did it collapse? The lines above show this seed's run: how many different colours (bins) the
# naive refinement's modes use per image, and its scores next to the base's mode. The report,
# after 15 epochs on 86,301 COCO photos, got one constant colour per image. Two claims of
# section 7 ask whether more than this one seed's accident happens here, and they look at
# different things:
#
# * `L7-naive-collapse` compares the colourfulness. It sees a collapse to a *dull* colour, but
#   not every failure is dull: a refinement still close to its random start can paint vivid
#   blotches that the colourfulness measure scores high, higher than the mode's even.
# * `L7-naive-edges` compares the bleeding. One colour per image loses every colour edge of the
#   truth, whether that colour is dull or vivid, and blotches that ignore the edges lose them too.
#
# Why the report's recipe fails, as the report explains it, with two more reasons that follow
# from the definitions:
#
# * **The gradient loss is unbalanced.** Most neighbouring pixels differ by a few ab units
#   (texture), few by tens (surface edges): the prior printed in section 6 gives the shares. A
#   flat prediction pays a little at every pixel and the full contrast only at the rare edges, a
#   blotchy one pays everywhere, so flattening is the cheapest first step.
# * **f_T at T = 0.01 barely passes a gradient.** It is almost one-hot: moving a logit changes
#   the colour only where two bins are nearly tied. A refinement that starts from random weights
#   has a random mode everywhere and little signal about where the base's mode was.
# * **The regulariser does not forbid flatness.** L_R only asks each pixel's colour to be likely
#   under that pixel's base distribution; a dull colour that every distribution gives some
#   probability pays a little everywhere, and nothing in L_C asks for more colour.
#
# ## 6. The fixes
#
# **Rebalancing by gradient magnitude** (the report's proposal). As lesson 5 weighted each pixel
# by the rarity of its colour, weigh each pixel's L_C by the rarity of its true gradient
# magnitude |grad ab| = sqrt(|dx|² + |dy|²) (ab units): bin the magnitudes of the training images
# at the edges `coherent.GRADIENT_EDGES` (0, 0.5, 1, 2, ... 64 ab units; the last bin is
# open-ended), take the share of pixels per bin as the prior, and lesson 5's
# `quantize.rebalance_weights` (λ = 0.5) as the weights.
#
# ### Exercise 3: gradient-magnitude rebalancing
# Write `gradient_rebalancing(ab, edges, lam=0.5)`: ab of shape `(n, H, W, 2)` -> `(prior,
# weights)`, each of shape `(len(edges),)`. Crop the magnitudes as in exercise 1, bin them with
# `np.digitize(magnitude, edges[1:])`.

# %%
def gradient_rebalancing(ab, edges, lam=0.5):
    """ab (n, H, W, 2) -> (prior, weights) over the gradient-magnitude bins of ``edges``."""
    ### BEGIN SOLUTION
    ab = np.asarray(ab, dtype=np.float64)
    dx = ab[:, :-1, 1:] - ab[:, :-1, :-1]
    dy = ab[:, 1:, :-1] - ab[:, :-1, :-1]
    magnitude = np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1))
    counts = np.bincount(np.digitize(magnitude.ravel(), edges[1:]), minlength=len(edges))
    prior = counts / counts.sum()
    return prior, quantize.rebalance_weights(prior, lam)
    ### END SOLUTION


checks.check_gradient_rebalancing(gradient_rebalancing)

# %%
prior = coherent.gradient_prior(split_lab(train)[1])  # the library's, as in your exercise
weights = quantize.rebalance_weights(prior, 0.5)
print(f"{'|grad ab| from':>15} {'share of pixels':>16} {'weight':>8}")
for low, p, w in zip(coherent.GRADIENT_EDGES, prior, weights):
    print(f"{low:>15.1f} {p:>16.3f} {w:>8.2f}")
small, large = np.searchsorted(coherent.GRADIENT_EDGES, [8.0, 16.0])
print(f"{prior[:small].sum():.0%} of the training pixels have a gradient below 8 ab units, "
      f"{prior[large:].sum():.0%} one of 16 or more")

# %% [markdown]
# **Lower penalties where the gamut shrinks** (the report's second proposal). Near black and near
# white few colours exist (lesson 1's gamut figure), so a wrong colour there is hardly visible.
# `coherent.lightness_weights()` weighs each L\* by the share of the 313 bins displayable at that
# lightness, relative to the widest; both L_C and L_R are multiplied by it.

# %%
lw = coherent.lightness_weights()
print("L*:     " + "".join(f"{L:>6d}" for L in (5, 15, 30, 50, 70, 85, 95)))
print("weight: " + "".join(f"{lw[L]:>6.2f}" for L in (5, 15, 30, 50, 70, 85, 95)))

# %% [markdown]
# **A residual refinement** (our first addition). Instead of predicting the refined logits from
# scratch, predict a correction added to the base's own (upsampled) logits, and initialise the
# last layer at zero. Training then starts exactly at the base network's mode, where L_R is 0,
# and only has to learn where to change it. This is the usual answer to "a random start has no
# signal": start from the best thing you already have.
#
# **An edge-aware start** (our second addition). A residual refinement starts from the base's
# logits upsampled bilinearly from a quarter of the resolution: across an edge they blend the two
# surfaces over a few pixels, so the mode's colour edge falls where the blend tips over, not where
# the lightness changes, and L_R then holds the refinement to that misplaced edge. The gray image
# knows where the edges are. `coherent.EdgeAwareSmoothing` is a *joint bilateral filter* guided
# by the gray image: each pixel averages over its neighbourhood, each neighbour weighted by its
# distance and by how close its lightness is to the pixel's, so a pixel listens to the neighbours
# on its own side of an edge. What it averages matters. Averaged *logits* can tip to a third,
# duller colour between two vivid ones; with `vote=True` it averages each neighbour's *mode*
# (the one-hot of its most probable bin) instead, and the pixel takes the colour most of its
# own-surface neighbours have: a weighted majority vote, twice over (`coherent.EDGE_VOTE`). The
# colour edge moves onto the lightness edge, a lone flip of the mode inside a surface is
# outvoted, and every colour the vote picks is one the base chose somewhere. The refinement
# starts from, and L_R compares with, the log of these vote shares (`edge_aware="vote"`).
#
# `fixed` is the refinement with all four changes (`experiment.FIXED`), on the same base and data
# as `naive`. It starts where the naive one hopes to end, at a good colorization, and L_C + L_R
# keep pulling it towards smoothness: while designing the lesson we saw training give back the
# edge contrast the start had gained, and in some seeds colour, for smoothness. So in full mode
# `fixed` is measured at its start (`BUDGET.fixed_epochs` is 0): the claims of section 7 test the
# edge-aware vote inside the refinement, not what L_C + L_R learn on top of it. Try training it
# (the `epochs` of `coherent.CoherentColorizer`) and measure the difference the same way.

# %%
print("fixed:", experiment.FIXED)
print("fixed:", mode_stats("fixed"))
show({name: summary[name] for name in ("mode T=0", "naive", "fixed")})

# %% [markdown]
# ## 7. The claims
#
# The report set out to keep the mode's colours and make them coherent. Four claims test whether
# this course's version does that, each measured on every seed of `SEEDS` (new scenes, a new
# split, a new base network and new refinements) and decided by a paired t-interval over the seeds
# (`chroma_lab.compare.paired_claim`): `holds` when the whole 95 % interval of the difference lies
# on the claimed side of zero, `reversed` when it lies on the other side, `unresolved` otherwise.
# Each compares a refinement with the plain mode decoding (T = 0) of *its own base*, so what a
# claim credits to the refinement is the refinement's doing, not the choice of the mode over the
# annealed mean:
#
# * `L7-naive-collapse`: the base's mode is more colourful than the naive refinement;
# * `L7-naive-edges`: the naive refinement loses more of the truth's edge contrast than the
#   base's mode (its bleeding is higher);
# * `L7-fixed-bleeding`: the fixed refinement loses less of the truth's edge contrast;
# * `L7-fixed-incoherence`: it varies less inside the true surfaces;
# * `L7-fixed-colour`: it keeps at least 90 % of the mode's colourfulness.

# %%
start = time.process_time()
results = experiment.run_claims(SEEDS, fast=FAST, runs={SEED: run})
print(f"(the other seeds trained in {time.process_time() - start:.0f} s of CPU time)\n")
for result in results:
    print(result)

# %%
plot_ablation_bars({name: summary[name] for name in ("annealed T=0.38", "mode T=0", "naive", "fixed")},
                   reference="mode T=0", title=f"Seed {SEED}: the base's decodings and the two refinements")

# %%
plot_coherence_views(test, {k: colorized[k] for k in ("annealed T=0.38", "mode T=0", "naive", "fixed")},
                     test_regions, max_images=3)

# %% [markdown]
# **Reading the claims.** `lessons/claims.csv` marks `L7-naive-edges`, `L7-fixed-bleeding` and
# `L7-fixed-colour` `robust`: each held in every setting of `benchmarks/claims_robustness.py` that
# ran (see `lessons/README.md`), so your run should print `holds` for all three.
# `L7-naive-collapse` and `L7-fixed-incoherence` are `unresolved`: the lesson teaches no verdict
# for them; read the lines your run printed. The numbers in the lines are your run's.
#
# * `L7-fixed-bleeding` and `L7-fixed-colour`: the fixed refinement, at its edge-aware start,
#   loses less of the truth's edge contrast than the plain mode of its own base, and keeps at
#   least 90 % of the mode's colourfulness. The base predicts at a quarter of the resolution; the
#   vote moves each colour edge onto the lightness edge of the gray image, and since it only
#   picks among colours the base chose, the colour stays. This is half of what the report set out
#   to do, and it is the gray image's edges that do it, not L_C + L_R: `fixed` is measured before
#   they train it (section 6).
# * `L7-fixed-incoherence`: whether it also varies less inside the true surfaces is open at this
#   budget: its interval reaches across zero. Here is why it is hard, from what we tried while
#   designing the lesson. The base's mode is picked at a quarter of the resolution and its colours
#   are blended bilinearly back up, so where the mode changes inside a surface (a ball split
#   between red and blue, a sky crossing from one bin into the next) the colour *ramps*. The vote,
#   like any refinement that picks one bin per pixel at full resolution, turns each ramp it leaves
#   into a *step* of a whole bin, and pays inside the surfaces for what it gains at their edges.
#   A vote over each *true* surface would remove most of the incoherence, since the base's mode
#   is right on most of a surface; but the gray image does not show where a surface ends when its
#   neighbour has the same lightness. In our trials on a few seeds, wider votes (more passes of
#   the filter, a wider lightness scale, or whole segments of similar lightness) brought the
#   incoherence only a little below the mode's, and further only by also mixing such
#   neighbours, at a cost in colour beyond what `L7-fixed-colour` allows; decoding the vote's
#   shares by their mean instead of their mode smooths the steps and loses much of the colour,
#   as the annealed mean does. Try it yourself: the `passes` and `sigma_lightness` of
#   `coherent.EdgeAwareSmoothing`, and the `temperature` of `coherent.CoherentColorizer`,
#   measured over seeds with the claims' code.
# * `L7-naive-collapse` and `L7-naive-edges`: the refinement learnt from scratch does not fail
#   the same way in every seed. In some it falls to a dull colour, as in the report; in others it
#   stays near its random start, with vivid blotches, and in our trials neither more epochs nor a
#   larger learning rate moved those seeds to a dull colour within this lesson's budget. So the
#   colourfulness does not settle the collapse across the seeds of the check. What both kinds of
#   failure share is that they ignore the truth's colour edges: **the naive refinement loses more
#   of the edge contrast than the base's own mode** (`L7-naive-edges`, robust). One colour per
#   image has no edge at all, and blotches from a random start do not follow the gray image's.
#
# *In fast mode the claims rest on one epoch on a few tiny scenes and two seeds: the lines still
# print, but their verdicts mean nothing. Run in full mode (`CHROMA_LAB_FAST` unset) to read them.*
#
# ## Summary
#
# * The mode of Zhang et al.'s distribution is vivid but incoherent, the mean coherent but dull;
#   the annealed mean still loses edge contrast. The L\* = 50 view and the bleeding map show
#   where; the map shows lost contrast, whatever its cause.
# * Stellbrink's refinement predicts a new distribution from the gray image and the old one,
#   trained with a gradient loss L_C that never names a colour and a regulariser L_R that keeps
#   the new mode likely under the old distribution; a stop-gradient keeps the base network out of
#   it.
# * Learnt from scratch, it can lose the base's colour, or stay at the vivid blotches of its
#   random start (`L7-naive-collapse`, unresolved at this budget); either way it loses the truth's
#   colour edges, more than the base's own mode (`L7-naive-edges`, robust): the loss
#   is dominated by flat pixels, the T = 0.01 softmax passes little gradient, and a random start
#   has no colour to keep.
# * The report's fixes (rebalancing by gradient magnitude, lightness weights) and ours (a
#   residual start, an edge-aware vote of the base's modes as the start) beat the base's own mode
#   on bleeding while keeping 90 % of its colour (`L7-fixed-bleeding`, `L7-fixed-colour`); the
#   gray image's edges do it, at the start, before L_C + L_R train. Coherence inside surfaces
#   (`L7-fixed-incoherence`) stays open at this budget (one reason we found: a refinement that
#   picks one bin per pixel at full resolution turns the ramps of the base's blurred mode into
#   steps, and the gray image alone does not show where each surface ends).
# * Compare a refinement with the plain decoding of its own base, over seeds: a gain measured
#   against the annealed mean may be the mode's, not the refinement's.
