"""The whole course at a glance: every colorizer of the lessons, trained briefly on one data set
and compared on the same held-out images (``chroma-lab demo``, ``chroma-lab evaluate --models``).

    from chroma_lab.course import train_and_compare, load_split

    split = load_split("scenes", size=64, n_scenes=160, seed=0)   # exact surfaces for scenes
    result = train_and_compare(split, ["som", "cnn", "zhang", "zhang-l2"])  # + gray, random, lookup
    write_report(result, "out/scenes")                              # chroma_lab.evaluate

:data:`COURSE_MODELS` maps a name to a brief, CPU-friendly training recipe of one lesson's model.
A recipe's budget is counted in optimizer steps (or passes, for scikit-learn's MLP), not epochs,
so that sets of different sizes get about the same amount of training, up to
:data:`MAX_EPOCHS` (a set of 6 photos gets fewer steps); ``scale`` multiplies it
(``chroma-lab demo --quick`` trains less). Adding a model to the demo and to
``chroma-lab evaluate --models`` is one entry there, e.g. for lesson 6::

    "iizuka": CourseModel("Iizuka et al. 2016, small (lesson 6)", 6, _iizuka),

with ``_iizuka(n_train, size, seed, scale)`` returning the unfitted colorizer (see :func:`_zhang`).

:func:`train_and_compare` fits each model on the training images, colours the held-out ones with the
evaluation harness (:func:`chroma_lab.evaluate.evaluate`) and prints its row of the table as soon
as it is measured; the result is the same :class:`~chroma_lab.evaluate.Evaluation` as one call of
:func:`~chroma_lab.evaluate.evaluate_predictions` on every colorization.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from chroma_lab._checks import check_int, check_number
from chroma_lab.errors import ChromaLabError
from chroma_lab.evaluate import (BASELINES, Evaluation, baselines, combine_evaluations, evaluate, format_hint_table,
                                 format_value)  # fmt: skip


@dataclass(frozen=True)
class CourseModel:
    """A lesson's model with brief training settings.

    Attributes
    ----------
    description : str
        What it is, in a few words (printed beside the table).
    lesson : int
    build : callable
        ``build(n_train, size, seed, scale)`` -> an unfitted colorizer for ``n_train`` training
        images of ``size`` x ``size``; ``scale`` (> 0) multiplies the training budget.
    """

    description: str
    lesson: int
    build: Callable


# ----------------------------------------------------------------------------------------------
# The recipes: the lessons' models and settings, budgets for 120 scenes of 64x64 on 2 CPU cores.
# ----------------------------------------------------------------------------------------------
MAX_EPOCHS = 100


def _epochs(steps: float, n_train: int, batch_size: int, scale: float) -> int:
    """Epochs that make about ``steps * scale`` optimizer steps on ``n_train`` images, at most
    ``MAX_EPOCHS * scale``: each epoch costs Keras a fixed overhead, which on a set of 6 photos
    (one or two steps per epoch) would cost more than the steps themselves."""
    per_epoch = math.ceil(n_train / batch_size)
    return max(1, round(scale * min(steps / per_epoch, MAX_EPOCHS)))


def _som(n_train, size, seed, scale):
    from chroma_lab.models.som_mlp import SOMPatchColorizer

    # lesson 3's model: 3x3 SOM colour classes, an MLP on 5x5 gray patches
    return SOMPatchColorizer(som_shape=(3, 3), patch_size=5, hidden_layer_sizes=(64,), n_pixels=12000,
                             max_iter=max(5, round(100 * scale)), random_state=seed)  # fmt: skip


def _cnn(n_train, size, seed, scale):
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    # lesson 4's model and settings: one-hot loss over 32 palette colours, batches of 4
    return PaletteCNNColorizer(n_colors=32, loss="onehot", image_size=size, batch_size=4,
                               epochs=_epochs(900, n_train, 4, scale), verbose=0, seed=seed)  # fmt: skip


def _zhang(n_train, size, seed, scale, loss="full"):
    from chroma_lab.models.zhang2016 import ZhangColorizer

    # lesson 5's settings (Adam 2e-3, batches of 8, 160 steps: 10 epochs of 128 scenes); the
    # network's input side is a multiple of 8. At 300 steps (seed 0) the L2 variant turned
    # garish (colourfulness 121 against the truth's 68) instead of showing L2's dull average.
    return ZhangColorizer(size="small", loss=loss, image_size=max(8, size - size % 8), batch_size=8,
                          learning_rate=2e-3, epochs=_epochs(160, n_train, 8, scale), verbose=0,
                          seed=seed)  # fmt: skip


def _zhang_l2(n_train, size, seed, scale):
    return _zhang(n_train, size, seed, scale, loss="l2")


def _iizuka(n_train, size, seed, scale):
    from chroma_lab.models.iizuka2016 import IizukaColorizer

    # lesson 6's small network, global + local streams; input side a multiple of 8
    return IizukaColorizer(size="small", image_size=max(16, size - size % 8), batch_size=16,
                           epochs=_epochs(64, n_train, 16, scale), verbose=0, seed=seed)  # fmt: skip


def _coherent(n_train, size, seed, scale):
    from chroma_lab.models.coherent import CoherentColorizer

    # lesson 7: a small Zhang et al. base trained first (as _zhang), then the coherent refinement
    return CoherentColorizer(base=None, image_size=max(8, size - size % 8), batch_size=8, learning_rate=2e-3,
                             base_epochs=_epochs(160, n_train, 8, scale), epochs=_epochs(48, n_train, 8, scale),
                             verbose=0, seed=seed)  # fmt: skip


def _levin(n_train, size, seed, scale):
    from chroma_lab.models.levin2004 import LevinColorizer

    # lesson 8's optimisation: nothing to learn; with no hint its answer is gray (the hint sweep shows the rest)
    return LevinColorizer()


def _guided(n_train, size, seed, scale):
    from chroma_lab.models.guided2017 import GuidedColorizer

    # lesson 8's network with the model's own batch size and learning rate, lesson 5's budget of
    # 160 steps; input side a multiple of 8
    batch_size = GuidedColorizer().batch_size
    return GuidedColorizer(size="small", image_size=max(8, size - size % 8),
                           epochs=_epochs(160, n_train, batch_size, scale), verbose=0, seed=seed)  # fmt: skip


COURSE_MODELS = {
    "som": CourseModel("SOM colour classes + MLP on 5x5 patches (lesson 3)", 3, _som),
    "cnn": CourseModel("palette CNN, one-hot loss over 32 colours (lesson 4)", 4, _cnn),
    "zhang": CourseModel("Zhang et al. 2016, small, rebalanced loss (lesson 5)", 5, _zhang),
    "zhang-l2": CourseModel("Zhang et al. 2016, small, L2 on ab (lesson 5)", 5, _zhang_l2),
    "iizuka": CourseModel("Iizuka et al. 2016, small, global + local streams (lesson 6)", 6, _iizuka),
    "coherent": CourseModel("coherent refinement of Zhang et al. (seed 000, lesson 7)", 7, _coherent),
    "levin2004": CourseModel("Levin et al. 2004, hints spread by optimisation; no hint: gray (lesson 8)", 8, _levin),
    "guided": CourseModel("Zhang et al. 2017, small, user hints; here without (lesson 8)", 8, _guided),
}
BASELINE_DESCRIPTIONS = {
    "gray": "all gray (ab = 0)",
    "random": "random colours drawn from the training prior",
    "lookup": "most frequent K-means colour per gray level (lesson 2)",
}
# the columns printed while the table grows (report.md has them all)
TABLE_COLUMNS = (("auc_raw", "AuC raw"), ("auc_rebalanced", "AuC rebal"), ("mean_ab_error", "ab err"),
                 ("psnr", "PSNR"), ("ssim", "SSIM"), ("colorfulness", "colourful"),
                 ("incoherence", "incoher."), ("bleeding", "bleeding"))  # fmt: skip


@dataclass
class Split:
    """A data set split by whole images: what :func:`train_and_compare` trains on and measures on.

    Attributes
    ----------
    name : str
        The data spec it came from (``"scenes"``, ``"photos"``, ``"folder:..."``).
    train, test : ndarray of shape (n, size, size, 3), uint8 RGB
    test_names : list of str
    test_regions : ndarray of shape (n_test, size, size), int, or None
        The true surfaces of the test images (the scenes have them), else None.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    test_names: list
    test_regions: np.ndarray | None = None


def check_model_name(name: str) -> str:
    """``name`` if it is a course model or a baseline; else a ValueError listing them."""
    if name in COURSE_MODELS or name in BASELINES:
        return name
    raise ChromaLabError(f"unknown model {name!r}; use {', '.join((*BASELINES, *COURSE_MODELS))} "
                         "or the folder of a trained model")  # fmt: skip


def load_split(spec: str, size: int = 64, n_scenes: int = 160, test_size=0.25, seed: int = 0) -> Split:
    """Read a data spec (``photos``, ``scenes``, ``folder:PATH``) and split it by whole images.

    The scenes are drawn with their region maps, so the coherence measures use the true surfaces;
    the test part of any set keeps its original order. ``test_size`` is a fraction (rounded up)
    or a number of images; the split is seeded by ``seed``, as are the scenes.
    """
    from chroma_lab.data import check_data_spec, load_dataset, train_test_split_images

    spec = check_data_spec(spec)
    size = check_int(size, "size", low=16 if spec == "scenes" else 1)
    seed = check_int(seed, "seed", low=0)
    regions = None
    if spec == "scenes":  # drawn here, with their surfaces (load_dataset gives the same images)
        from chroma_lab.scenes import synthetic_scenes

        n_scenes = check_int(n_scenes, "n_scenes", low=2)
        images, labels, regions = synthetic_scenes(n_scenes, size=size, seed=seed, return_regions=True)
        names = [f"{label}_{i:03d}" for i, label in enumerate(labels)]
    elif spec == "photos":
        from chroma_lab.data import bundled_photos

        images, names = bundled_photos(size=size)
    else:
        images, labels, classes = load_dataset(spec, size)
        names = [f"image_{i:03d}" + (f"_{classes[label]}" if labels is not None and classes[label] else "")
                 for i, label in enumerate(labels if labels is not None else [None] * len(images))]  # fmt: skip
    if len(images) < 2:
        raise ChromaLabError(f"--data {spec}: {len(images)} image; need at least 2 to train and test")
    index = np.arange(len(images))
    _, _, train_idx, test_idx = train_test_split_images(images, index, test_size=test_size, random_state=seed)
    return Split(name=spec, train=images[train_idx], test=images[test_idx],
                 test_names=[str(names[i]) for i in test_idx],
                 test_regions=None if regions is None else regions[test_idx])  # fmt: skip


def build_model(name: str, n_train: int, size: int, seed: int = 0, scale: float = 1.0):
    """The unfitted colorizer of :data:`COURSE_MODELS` ``[name]`` for this training set."""
    if name not in COURSE_MODELS:
        raise ChromaLabError(f"unknown model {name!r}; the course models are {', '.join(COURSE_MODELS)}")
    check_int(n_train, "n_train", low=1)
    scale = check_number(scale, "scale", low=0, low_open=True)
    return COURSE_MODELS[name].build(int(n_train), check_int(size, "size", low=1), check_int(seed, "seed", low=0), scale)


def train_and_compare(split: Split, models=(), trained=None, *, seed: int = 0, scale: float = 1.0,
            progress: bool = True, stream=None, hint_counts=None) -> Evaluation:  # fmt: skip
    """Fit the baselines and ``models`` on ``split.train``; measure them and ``trained`` on
    ``split.test``, printing each method's row as soon as it is measured.

    Parameters
    ----------
    split : Split
        From :func:`load_split`.
    models : sequence of str
        Names of :data:`COURSE_MODELS` to train briefly (a baseline's name is accepted and
        ignored: the baselines always come first).
    trained : dict of str -> colorizer or folder, optional
        Fitted colorizers or saved model folders, measured as they are (after ``models``).
    seed : int
        Seed of the baselines, of every model's weights and of its data order.
    scale : float > 0
        Multiplies every training budget.
    progress : bool
        tqdm bars while a model trains and colorizes (on stderr).
    stream : file, optional
        Where the table goes: ``sys.stdout`` by default; ``False`` prints nothing.
    hint_counts : sequence of int, optional
        For the methods that take hints, PSNR and colourfulness with these numbers of hints
        simulated from the truth (seeded by ``seed``; :func:`chroma_lab.evaluate.evaluate`),
        printed after the table. None: no sweep.

    Returns
    -------
    Evaluation
        As :func:`chroma_lab.evaluate.evaluate_predictions` of every colorization at once; its
        ``seconds`` hold each method's training plus colorizing time.
    """
    if not isinstance(split, Split):
        raise ChromaLabError(f"split must be a Split from load_split(), got {type(split).__name__}")
    seed = check_int(seed, "seed", low=0)
    scale = check_number(scale, "scale", low=0, low_open=True)
    if isinstance(models, str):
        raise ChromaLabError(f"models must be a sequence of model names, got the string {models!r}")
    names = [name for name in dict.fromkeys(map(check_model_name, models)) if name not in BASELINES]
    trained = dict(trained or {})
    clash = sorted(set(trained) & (set(BASELINES) | set(names)))
    if clash:
        raise ChromaLabError(f"trained models must not reuse the names {clash} of the other methods")
    stream = sys.stdout if stream is None else stream
    table = _Table(stream, split) if stream is not False else None
    size = split.train.shape[1]
    parts = []

    def measure(name, colorizer, started):
        part = evaluate({name: colorizer}, split.test, regions=split.test_regions, image_names=split.test_names,
                        seed=seed, progress=progress, hint_counts=hint_counts)  # fmt: skip
        part.seconds = {name: time.perf_counter() - started}
        parts.append(part)
        if table:
            table.row(name, part)

    started = time.perf_counter()
    for name, colorizer in baselines(split.train, seed=seed).items():
        measure(name, colorizer, started)
        started = time.perf_counter()
    for name in names:
        started = time.perf_counter()
        model = build_model(name, len(split.train), size, seed=seed, scale=scale)
        _fit(name, model, split.train, progress)
        measure(name, model, started)
    for name, colorizer in trained.items():
        measure(name, colorizer, time.perf_counter())
    result = combine_evaluations(parts)
    if table:
        table.footer(result)
    return result


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def _fit(name, model, images, progress):
    """Fit ``model``, with a tqdm bar over the epochs of a Keras model (one step otherwise)."""
    from tqdm import tqdm

    epochs = getattr(model, "epochs", None)
    keras_model = hasattr(model, "continue_fit")
    with tqdm(total=epochs if keras_model else 1, desc=f"training: {name}", unit="epoch" if keras_model else "fit",
              disable=not progress, leave=False) as bar:  # fmt: skip
        if keras_model:
            model.fit(images, callbacks=[_epoch_bar(bar)])
        else:
            model.fit(images)
            bar.update(1)
    return model


def _epoch_bar(bar):
    import keras

    class EpochBar(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.3f}", refresh=False)
            bar.update(1)

    return EpochBar()


class _Table:
    """The summary table, printed a row at a time."""

    def __init__(self, stream, split: Split):
        self.stream = stream
        n, size = len(split.test), split.test.shape[1]
        where = "true surfaces" if split.test_regions is not None else "surfaces guessed from lightness"
        self.say(f"\n{split.name}: {len(split.train)} training / {n} held-out images of {size}x{size} "
                 f"({where} for incoherence and bleeding)")  # fmt: skip
        self.widths = [max(9, len(label)) for _, label in TABLE_COLUMNS]
        header = f"{'method':<12} {'seconds':>7} " + " ".join(f"{label:>{w}}" for (_, label), w
                                                               in zip(TABLE_COLUMNS, self.widths))
        self.say(header)
        self.say("-" * len(header))

    def say(self, text):
        print(text, file=self.stream, flush=True)

    def row(self, name, part):
        values = part.summary[name]
        cells = " ".join(f"{format_value(key, values[key]):>{w}}" for (key, _), w
                         in zip(TABLE_COLUMNS, self.widths))  # fmt: skip
        self.say(f"{name:<12} {part.seconds[name]:7.1f} {cells}")

    def footer(self, result):
        truth = next(iter(result.summary.values()))["colorfulness_true"]
        self.say(f"{'truth':<12} {'':>7} " + " ".join(
            f"{(format_value('colorfulness', truth) if key == 'colorfulness' else ''):>{w}}"
            for (key, _), w in zip(TABLE_COLUMNS, self.widths)))  # fmt: skip
        self.say("(seconds: training, colorizing and measuring; gray's include fitting the three baselines)")
        if result.hints is not None:
            self.say(f"\nagainst the number of hints, simulated from the truth (seed {result.hints.seed}; 0 hints: "
                     "the row above)\n" + format_hint_table(result.hints)
                     + "\n\n" + format_hint_table(result.hints, "colorfulness")
                     + f"\n(truth's colourfulness: {format_value('colorfulness', truth)})")  # fmt: skip
