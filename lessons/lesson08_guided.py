# %% [markdown]
# # Lesson 8 — User-guided colorization (Zhang et al. 2017), against Levin et al. (2004)
#
# Lessons 4 to 7 fought one problem: lightness does not determine colour. A ball of one gray can
# be green or magenta; the squared error then paints it the brown-gray mean, the most likely class
# flickers between the two, rebalancing dares a rare colour that is often wrong. No automatic
# colorizer can know which ball was which: the information is not in the gray image.
#
# A person can settle it with a click. This lesson lets a user give a few colour dots ("hints")
# and compares two ways to use them:
#
# 1. **Levin, Lischinski and Weiss, "Colorization using Optimization" (SIGGRAPH 2004)**: no
#    learning at all. Neighbouring pixels of similar lightness should have similar colours; this
#    makes one sparse linear system whose solution spreads each dot along its region.
# 2. **Zhang, Zhu, Isola, Geng, Lin, Yu and Efros, "Real-Time User-Guided Image Colorization with
#    Learned Deep Priors" (SIGGRAPH 2017)**: the network of lesson 5, turned into a U-Net whose
#    input is the lightness *plus* the dots, trained on users simulated from the true colours.
#    With no dot it is an automatic colorizer; each dot corrects it.
#
# **Goals.** After this lesson you can simulate the paper's user, write Levin's affinity weights
# and solve his system on a tiny image, build the guided network's input, and measure what a few
# hints buy: PSNR and colourfulness against the number of hints, random hints against hints on the
# largest error, as claims over seeds.
#
# **Exercises** (4): rendering simulated hints, Levin's weights, Levin's linear system, and the
# guided network's input.

# %%
# %matplotlib inline
import os

# Before anything imports TensorFlow: hide its start-up notes, and turn off its oneDNN kernels (their
# order of floating-point sums changes trained networks), as lessons 5 to 7 do.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import time  # noqa: E402

import numpy as np  # noqa: E402

from chroma_lab import checks  # noqa: E402
from chroma_lab.color import gray_to_lightness, normalize_l, rgb_to_gray, rgb_to_lab  # noqa: E402
from chroma_lab.experiments import experiment  # noqa: E402
from chroma_lab.hint_sweep import COUNTS, format_sweep  # noqa: E402
from chroma_lab.hints import GEOMETRIC_P, draw_hint_points, draw_point_count, hint_at_largest_error  # noqa: E402
from chroma_lab.hints import render_hints as library_render_hints  # noqa: E402
from chroma_lab.hints import sample_hints  # noqa: E402
from chroma_lab.lessons import fast_mode  # noqa: E402
from chroma_lab.metrics import colorfulness  # noqa: E402
from chroma_lab.models.base import GrayColorizer  # noqa: E402
from chroma_lab.models.guided2017 import build, conv_parameters  # noqa: E402 - imports Keras
from chroma_lab.models.levin2004 import LevinColorizer, affinity_weights as library_affinity  # noqa: E402
from chroma_lab.scenes import ambiguous_scenes  # noqa: E402
from chroma_lab.viz import (hints_image, plot_colorizations, plot_hint_curves, plot_image_row,  # noqa: E402
                            plot_loss_curves)  # fmt: skip

# %% tags=["parameters"]
# Parameters. CHROMA_LAB_FAST=1 (used by the tests) shrinks data and training; the lesson is the same.
FAST = fast_mode()
lab8 = experiment(8)  # chroma_lab.experiments.lesson08: the data, training and claims of this lesson
SEEDS = (0, 1) if FAST else lab8.SEEDS  # the claims of section 7 are paired over these seeds
SEED = SEEDS[0]
BUDGET = lab8.budget(FAST)
print(BUDGET)

# %% [markdown]
# ## 1. The ambiguity, and one click
#
# Lesson 5's ambiguous rooms: gray backgrounds with balls and boxes that all have the same
# lightness, whatever their colour (green, magenta or gray). The gray image shows their shapes and
# nothing else. Below, the all-gray guess, then Levin's method given **one dot per object**,
# placed by a user who clicks where the current result is most wrong
# (`hints.hint_at_largest_error`): after each click the picture is redone and the next click goes
# to the worst remaining mistake.

# %%
rooms = ambiguous_scenes(4, size=48, seed=SEED)
gray_rooms = rgb_to_gray(rooms)
ab_rooms = rgb_to_lab(rooms)[..., 1:]
levin = LevinColorizer.fitted()
hints = (np.zeros_like(ab_rooms), np.zeros(gray_rooms.shape, dtype=bool))
result = GrayColorizer().fit(rooms).colorize(gray_rooms)
results = {"all gray": result}
for click in range(1, 5):
    hints = hint_at_largest_error(ab_rooms, rgb_to_lab(result)[..., 1:], hints, patch=3)
    result = levin.colorize(gray_rooms, hints=hints)
    if click in (1, 4):
        results[f"levin, {click} click{'s' * (click > 1)}"] = result
plot_colorizations(gray_rooms, rooms, results, title="One click per object settles what lightness cannot")

# %% [markdown]
# Each click lands on a coloured object (the gray ones are already right in the all-gray guess),
# and the object's colour flows to its edges, where the lightness changes, and stops there. That
# is the whole idea of Levin et al.; section 3 writes it down.
#
# ## 2. Simulating a user
#
# To *train* a network that takes hints, Zhang et al. need millions of hinted images; no person
# clicks that much. They simulate the user from the true colours (Sec. 3.2 of the paper):
#
# * the **number of points** is geometric, P(k) = (1 − p)^k p for k = 0, 1, 2, ..., with p = 1/8:
#   on average 7 points, and no point at all one time in 8, so that the network also learns to
#   colorize alone;
# * each point is a **square patch** of side 1 to 9 pixels (uniform), whose top-left corner is
#   drawn from a normal distribution around the middle of the image with a standard deviation of a
#   quarter of the side (people click near the centre), clipped into the image;
# * the patch reveals the **mean true colour** under it (a user picks one colour, not a texture).
#
# `GuidedColorizer` departs from the paper in one place here: by default it trains with p = 1/16
# (15 points on average, none one time in 16). Trained on a couple of hundred photos with p = 1/8,
# the small network leaned on its automatic guess and gained less from 10 hints than Levin's
# method below; with more hints per training image it follows them further
# (`benchmarks/README.md`). `chroma-lab train guided --hint-p 0.125` trains with the paper's p.
# This lesson's experiments train with the paper's p = 1/8 (`hint_p=GEOMETRIC_P`): that is the user
# its claims were checked with.
#
# The counts first: `hints.draw_point_count` draws them; the histogram should follow (1 − p)^k p.

# %%
counts = draw_point_count(np.random.default_rng(SEED), size=20_000)
k = np.arange(0, 25)
observed = np.bincount(counts, minlength=k.size)[: k.size] / counts.size
expected = (1 - GEOMETRIC_P) ** k * GEOMETRIC_P
print(f"mean number of points {counts.mean():.2f} (expected {(1 - GEOMETRIC_P) / GEOMETRIC_P:.0f}), "
      f"no point at all in {np.mean(counts == 0):.1%} of the images (expected {GEOMETRIC_P:.1%})")
for label, row in (("k", [f"{i:5d}" for i in k[:10]]), ("drawn", [f"{v:5.3f}" for v in observed[:10]]),
                   ("(1-p)^k p", [f"{v:5.3f}" for v in expected[:10]])):
    print(f"{label:<10}" + " ".join(row))

# %% [markdown]
# ### Exercise 1: rendering the hints
# `hints.draw_hint_points` draws where the points go: for each image an integer array of shape
# `(count, 3)`, one row `(top, left, side)` per point. Write `render_hints(ab_true, points)`:
# `ab_true` of shape `(n, H, W, 2)` -> `(ab, mask)` of shapes `(n, H, W, 2)` and `(n, H, W)`, where
# each point's square `[top:top+side, left:left+side]` gets the mean true ab over the square and
# the mask is True there. Go through the points in order, so that a later point covers an earlier
# one where they overlap.

# %%
def render_hints(ab_true, points):
    """True ab (n, H, W, 2) and per image the (count, 3) points -> (hint ab, mask)."""
    ### BEGIN SOLUTION
    ab, mask = np.zeros_like(ab_true, dtype=np.float64), np.zeros(ab_true.shape[:3], dtype=bool)
    for i, rows in enumerate(points):
        for top, left, side in rows:
            square = (i, slice(top, top + side), slice(left, left + side))
            ab[square] = ab_true[square].mean(axis=(0, 1))
            mask[square] = True
    return ab, mask
    ### END SOLUTION


checks.check_render_hints(render_hints)

# %% [markdown]
# The library's `hints.render_hints` is the same; `hints.sample_hints` draws and renders in one
# call. Here are 10 simulated points on four scenes, shown on the gray image at the pixels'
# own lightness:

# %%
train, test = lab8.make_data(SEED, FAST)
gray_test, ab_test = rgb_to_gray(test), rgb_to_lab(test)[..., 1:]
points = draw_hint_points(gray_test.shape, 10, np.random.default_rng(SEED))
hint_ab, hint_mask = library_render_hints(ab_test, points)
plot_image_row([hints_image(g, a, m) for g, a, m in zip(gray_test[:4], hint_ab[:4], hint_mask[:4])],
               suptitle="10 simulated hints")  # fmt: skip

# %% [markdown]
# ## 3. Levin et al.: colour flows along similar lightness
#
# Call U the a\* channel (b\* is solved the same way). Levin et al. want each pixel's colour to be
# the weighted mean of its neighbours' colours, with large weights for neighbours of similar
# lightness:
#
# $$J(U) = \sum_r \Big(U(r) - \sum_{s \in N(r)} w_{rs} U(s)\Big)^2,\qquad
#   w_{rs} \propto \exp\!\Big(-\frac{(Y(r) - Y(s))^2}{2\sigma_r^2}\Big),\quad \sum_s w_{rs} = 1,$$
#
# where N(r) are the 8 neighbours in the 3x3 window around r, Y = L\*/100 the intensity and
# σ_r² the variance of Y over the window (a busy window tolerates larger differences). The
# authors' code adds one guard we keep: in a flat window the variance is 0 and every weight would
# underflow, so 2σ_r² is at least min_s (Y(r) − Y(s))² / (−log 0.01) (the most similar neighbour
# keeps a weight of 0.01 or more before normalising) and at least 2·10⁻⁶.
#
# ### Exercise 2: the affinity weights
# Write `affinity_weights(L)`: lightness `(H, W)` -> the dense `(H·W, H·W)` matrix whose row r
# (pixel r = y·W + x) holds w_rs for its neighbours and 0 elsewhere (the pixel itself included).

# %%
def affinity_weights(L):
    """Lightness (H, W) -> dense weights (H W, H W), each row summing to 1 over the neighbours."""
    ### BEGIN SOLUTION
    Y = np.asarray(L, dtype=np.float64) / 100.0
    height, width = Y.shape
    W = np.zeros((Y.size, Y.size))
    for y in range(height):
        for x in range(width):
            window = [(j, i) for j in range(max(0, y - 1), min(height, y + 2))
                      for i in range(max(0, x - 1), min(width, x + 2))]
            neighbours = [(j, i) for j, i in window if (j, i) != (y, x)]
            d2 = np.array([(Y[j, i] - Y[y, x]) ** 2 for j, i in neighbours])
            two_sigma2 = max(2 * np.var([Y[j, i] for j, i in window]), d2.min() / -np.log(0.01), 2e-6)
            w = np.exp(-d2 / two_sigma2)
            for (j, i), wk in zip(neighbours, w / w.sum()):
                W[y * width + x, j * width + i] = wk
    return W
    ### END SOLUTION


checks.check_affinity_weights(affinity_weights)

# %% [markdown]
# ### Exercise 3: the linear system
# J is a sum of squares, smallest (zero) when every free pixel equals the weighted mean of its
# neighbours, and the hinted pixels keep their hints. That is one linear equation per pixel:
#
# * hinted r: U(r) = hint(r);
# * free r: U(r) − Σ_s w_rs U(s) = 0.
#
# Write `levin_solve(L, hint_ab, hint_mask)` for one small image: build the `(H·W, H·W)` matrix
# and the right-hand side (two columns, a\* and b\*), solve with `np.linalg.solve`, and return the
# ab of shape `(H, W, 2)`.

# %%
def levin_solve(L, hint_ab, hint_mask):
    """One image: lightness (H, W), hints (H, W, 2) and mask (H, W) -> ab (H, W, 2)."""
    ### BEGIN SOLUTION
    A = np.eye(L.size) - affinity_weights(L)
    rhs = np.zeros((L.size, 2))
    hinted = np.flatnonzero(hint_mask.ravel())
    A[hinted] = 0.0
    A[hinted, hinted] = 1.0
    rhs[hinted] = np.asarray(hint_ab).reshape(-1, 2)[hinted]
    return np.linalg.solve(A, rhs).reshape(L.shape + (2,))
    ### END SOLUTION


checks.check_levin_solve(levin_solve)

# %% [markdown]
# A dense matrix has (H·W)² entries: 16 million for a 64x64 image, 4 billion for 256x256. Yet each
# row has at most 9 non-zeros. The library (`models.levin2004`) stores the weights as a SciPy
# sparse matrix, moves the hinted pixels to the right-hand side and factorises the remaining
# system once for both channels (SuperLU); your dense version and it agree on tiny images (the
# checks above compared them).

# %%
tiny_L = gray_to_lightness(gray_test[0, :6, :7])
sparse = library_affinity(tiny_L)
print(f"a 6x7 image: {tiny_L.size ** 2} entries in the dense matrix, {sparse.nnz} of them non-zero")
start = time.perf_counter()
levin_10 = levin.colorize(gray_test, hints=(hint_ab, hint_mask))
print(f"Levin on {len(test)} scenes of {test.shape[1]}x{test.shape[2]} with 10 hints each: "
      f"{time.perf_counter() - start:.2f} s")

# %% [markdown]
# ## 4. The guided network
#
# Zhang et al. (2017) keep the 2016 network's eight blocks (lesson 5) and make three changes:
#
# * the **input** has 4 channels: the normalised lightness (L − 50)/100, the hint's a\* and b\*
#   divided by 110 (0 where there is no hint) and the mask minus 0.5 (+0.5 hinted, −0.5 not),
#   so that "no hint" is not confused with "a gray hint";
# * it is a **U-Net**: after the encoder at 1/8 resolution, three decoder blocks each double the
#   resolution with a 4x4 transposed convolution and add a 3x3 convolution of the encoder block
#   at that resolution (a "shortcut"), so the output has the input's full resolution: a hint of
#   one pixel can be honoured at that pixel;
# * it **regresses** ab with a smooth-L1 (Huber) loss, δ = 1 Lab unit, rather than lesson 5's
#   classification: with hints, the answer is far less ambiguous, and the regression follows the
#   hint's colour exactly.
#
# ### Exercise 4: the network's input
# Write `guided_input(L, hint_ab, hint_mask)`: lightness `(H, W)` in 0..100, hints `(H, W, 2)` and
# the mask `(H, W)` -> the `(H, W, 4)` input. Where the mask is False the hint ab must be 0,
# whatever `hint_ab` holds there.

# %%
def guided_input(L, hint_ab, hint_mask):
    """(H, W), (H, W, 2), (H, W) -> the guided network's 4 input channels (H, W, 4)."""
    ### BEGIN SOLUTION
    mask = np.asarray(hint_mask, dtype=np.float64)[..., None]
    return np.concatenate([normalize_l(np.asarray(L))[..., None], np.asarray(hint_ab) / 110 * mask, mask - 0.5],
                          axis=-1)  # fmt: skip
    ### END SOLUTION


checks.check_guided_input(guided_input)

# %% [markdown]
# The published network and our small one (the same layout at a quarter to an eighth of the
# widths):

# %%
for size in ("full", "small"):
    print(f"{size:5s}: {conv_parameters(build(size)):>12,} convolution parameters")

# %% [markdown]
# Training: the training model takes the colour images, and the simulated user draws a fresh set
# of hints for every image of every batch inside the graph (`models.guided2017.SimulatedHints`),
# so a network sees the same photo with different hints in every epoch. We train the small guided
# network and, with the same budget, lesson 5's small automatic network, on the scenes of section
# 2 (the seed of this section is the first seed of section 7, so its models are reused there;
# in fast mode, where the tests only check that the lesson runs, they serve every seed). The
# other seeds train the guided network only: no claim reads the automatic one, and the CPU it would
# take pays for more epochs of the guided network.

# %%
start = time.perf_counter()
models = lab8.train_models(train, SEED, FAST)
print(f"both trained in {time.perf_counter() - start:.0f} s ({BUDGET.epochs} epochs each)")
plot_loss_curves({"guided (Huber, Lab units)": models["guided"].history_})

# %%
guided = models["guided"]
plot_colorizations(gray_test, test, {
    "guided, no hint": guided.colorize(gray_test),
    "guided, 10 hints": guided.colorize(gray_test, hints=(hint_ab, hint_mask)),
    "levin, 10 hints": levin_10,
}, max_images=4, title="The same 10 hints, two ways to use them")  # fmt: skip

# %% [markdown]
# ## 5. What hints buy: quality against the number of hints
#
# `hint_sweep.hint_sweep` colorizes the held-out scenes with 0, 1, 2, 5, 10 and 20 simulated
# points (nested: the 5 points are the first 5 of the 20) and measures the PSNR (on RGB, higher
# is closer to the truth) and the colourfulness. The automatic network ignores hints: its line is
# flat, the bar a hint has to clear. The same on the bundled photos, which these scene-trained
# networks never saw, and which Levin needs no training for.

# %%
sweeps = {}
for seed in SEEDS:
    start = time.perf_counter()
    reuse = seed == SEED or FAST  # fast mode: the tests' budget trains once, for speed
    sweeps[seed] = lab8.seed_sweeps(seed, FAST, models if reuse else None)
    print(f"seed {seed}: {'swept' if reuse else 'trained and swept'} in {time.perf_counter() - start:.0f} s")
print(f"\nheld-out scenes, seed {SEED}\n" + format_sweep(sweeps[SEED]["random"], COUNTS))
print(f"\nbundled photos, seed {SEED}\n" + format_sweep(sweeps[SEED]["photos"], COUNTS))
print(f"\ncolourfulness on the scenes, seed {SEED} (the truth: {colorfulness(test):.1f})\n"
      + format_sweep(sweeps[SEED]["random"], COUNTS, "colorfulness", 1))

# %% [markdown]
# The curves over seeds leave out the automatic network, trained on the first seed only (its row
# is in the tables above).

# %%
def over_seeds(part):
    """One sweep per seed, without the automatic network (trained on the first seed only)."""
    return [{name: row for name, row in sweeps[s][part].items() if name != lab8.AUTOMATIC} for s in SEEDS]


runs = over_seeds("random")
plot_hint_curves(runs, COUNTS, "psnr", title=f"Held-out scenes, mean and range over {len(SEEDS)} seeds")

# %%
plot_hint_curves(runs, COUNTS, "colorfulness", title="Colourfulness of the results")

# %%
plot_hint_curves(over_seeds("photos"), COUNTS, "psnr", title="Bundled photos")

# %% [markdown]
# ## 6. Where the hints go
#
# A real user does not click at random: they look at the result and fix what is wrong. The sweep
# with `placement="error"` puts each next point (a 3x3 square, showing its mean true colour) where
# the current result is furthest from the truth, redoing the colorization after every point, so
# each colorizer gets its own points. To compare like with like, the random user of this section
# reveals 3x3 squares too.

# %%
print(f"3x3 hints on the largest error, seed {SEED}\n" + format_sweep(sweeps[SEED]["error"], COUNTS))
print(f"\nrandom 3x3 hints, seed {SEED}\n" + format_sweep(sweeps[SEED]["random 3x3"], COUNTS))
plot_hint_curves({**{f"{k}, random": v for k, v in sweeps[SEED]["random 3x3"].items()},
                  **{f"{k}, worst first": v for k, v in sweeps[SEED]["error"].items()}},
                 COUNTS, "psnr", title=f"Random hints against hints on the largest error (seed {SEED})")  # fmt: skip

# %% [markdown]
# Look at Levin's first point. The largest error of the all-gray start is the most saturated pixel
# of the image, and with a single hint Levin's system has one solution: that colour everywhere.
# The worst-first user can make the first picture worse than gray before the later points pin the
# other regions down. Which user is ahead once each has given 10 points is claim L8-worst-first
# below.
#
# ## 7. Claims, over seeds
#
# Each seed draws new scenes, a new split, new initial weights and new simulated users. A claim
# compares two numbers seed by seed and decides with a paired 95 % interval of their difference:
# **holds** when the whole interval favours the claim, **reversed** when it is against it,
# **unresolved** when it straddles zero (`compare.paired_claim`). Read the verdicts your run
# prints; they, not the prose, are the result.

# %%
for result in lab8.run_claims(SEEDS, fast=FAST, sweeps=sweeps):
    print(result)

# %% [markdown]
# ### Reading the claims
#
# `lessons/claims.csv` marks four of the six claims `robust`: each came out the same in every
# setting of `benchmarks/claims_robustness.py` (other seeds, one thread, oneDNN on, JAX; see
# `lessons/README.md`), so your run should print `holds` for all four. `L8-hints-help` and
# `L8-few-points` are `unresolved`: the lesson teaches no verdict for them; read the lines your run
# printed. The numbers in the lines are your run's.
#
# * **L8-levin-vs-gray** and **L8-photos**: ten dots given to Levin's optimisation beat the
#   all-gray guess, on the held-out scenes and on the bundled photos, with no training at all.
#   Colour spread along regions of similar lightness is wrong mainly where a region's colour
#   changes without a change of lightness, and that is rare enough in scenes and in photos.
# * **L8-guided-vs-levin**: with the same ten dots, Levin beats our guided network. This is the
#   question of the lesson, what learning buys over the classical method, and at this budget the
#   answer is: not yet. Levin reproduces every hint exactly and stops it at lightness edges; our
#   network is small, trained for 30 short epochs on 64 scenes, and has first to learn what every
#   scene looks like before it learns to follow a dot. Zhang et al. train on over a million ImageNet
#   photos; the claim is about this course's budget, not about the paper. Look at the pictures of
#   section 4: where does each method go wrong?
# * **L8-worst-first**: after ten dots, a user who puts each dot on the largest remaining error
#   beats a user who puts the same 3x3 dots at random, for Levin. The first dot can be the exception
#   (section 6): on the all-gray start the largest error is the most saturated pixel, and one dot
#   colours the whole image; the later dots bound it, and by ten the worst-first user is ahead.
# * **L8-hints-help** (does the network with ten dots beat itself with none?) and **L8-few-points**
#   (do the first five dots bring more than half the gain of twenty?) are open at this budget.
#   Whether the small network learns to follow its hint channels in 30 epochs varies from seed to
#   seed: in some seeds the dots help it clearly, in others hardly at all, and five seeds do not
#   settle it. The curves of section 5 show the spread. With ten epochs (an earlier version of this
#   lesson) the network hardly used its hints in any seed; longer training, or the paper's data, is
#   what the mechanism needs.
#
# *In fast mode (one epoch on a dozen tiny scenes, two seeds sharing the first seed's networks) the
# network has barely trained and the verdicts are noise; run in full mode (`CHROMA_LAB_FAST` unset)
# to read them.*
#
# ## Summary
#
# * Lightness does not determine colour; a user's dots do. Zhang et al.'s simulated user draws a
#   geometric number of points (p = 1/8), square patches of side 1 to 9 near the centre, each
#   showing its mean true colour (exercise 1).
# * Levin et al. spread dots by one sparse linear system: each free pixel equals the weighted mean
#   of its 8 neighbours, the weights a Gaussian of the lightness difference scaled by the window's
#   variance (exercises 2 and 3). No training; a hinted pixel keeps its colour exactly.
# * Zhang et al. (2017) feed lightness, hint ab and mask (exercise 4) to a U-Net version of the
#   2016 network, trained with a Huber loss on users simulated from the truth; with no hint it is
#   an automatic colorizer.
# * Levin's ten dots beat gray, on scenes and photos (`L8-levin-vs-gray`, `L8-photos`), and at
#   this budget they beat the guided network given the same dots (`L8-guided-vs-levin`); a user
#   who fixes the worst error first is ahead of a random one by ten dots (`L8-worst-first`),
#   though the first such dot can make things worse. Whether the small network learns to follow
#   its hints within the budget (`L8-hints-help`, `L8-few-points`) stays open.
# * `chroma-lab colorize photo.jpg --model levin2004 --hints dots.png` and
#   `chroma-lab train guided ...` then `--model runs/guided --hints dots.png` do this on your own
#   photos: draw the dots on a transparent layer of the photo's size in any paint program.
