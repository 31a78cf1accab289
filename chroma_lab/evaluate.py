"""The evaluation harness: any colorizers, one held-out set, every measure, one report.

    from chroma_lab.evaluate import baselines, evaluate, write_report

    train, test = ...                                   # uint8 RGB, (n, H, W, 3)
    models = {"cnn": PaletteCNNColorizer().fit(train), "zhang": "runs/zhang"}
    result = evaluate(models, test, train_images=train)  # + the gray, random, lookup baselines
    write_report(result, "out/eval")                     # CSV, Markdown, HTML, two PNGs

A colorizer is anything with the shared ``colorize(gray)`` surface of
:mod:`chroma_lab.models.base` (fitted), or the folder of a saved one (``chroma-lab train --out``).
Each one colours the 8-bit gray of the held-out images (:func:`chroma_lab.data.to_gray`), and
every colorization is measured against the truth with :func:`chroma_lab.metrics.all_scores`:

* per image (``Evaluation.rows``, ``results.csv``): the measures on that image alone;
* per method (``Evaluation.summary``, ``summary.csv``, the report's table): the measures on the
  whole set at once, each pooled as it is defined (AuC and ab error over all pixels, as in Zhang
  et al.'s Table 1; PSNR, SSIM and colourfulness per image, then averaged; bleeding as the share
  of all edge contrast in the set), so a summary is not always the plain mean of its rows.

The class-rebalanced AuC weighs pixels by 1 / p(true colour class) with one prior for the whole
set: the raw class histogram of the held-out truth unless one is passed (the report says which).
The coherence measures need the true surfaces: pass a region map (the synthetic scenes have an
exact one, ``synthetic_scenes(..., return_regions=True)``) or they are guessed from the truth's
lightness with :func:`chroma_lab.metrics.lightness_regions`.

Colorizers that take user hints (``takes_hints``, :mod:`chroma_lab.models.base`: Levin et al.'s,
the guided network) can also be swept over the number of hints (``hint_counts``): each held-out
image is colorized again with 0, 1, 2, 5, 10, 20 points simulated from its truth
(:func:`chroma_lab.hint_sweep.hint_sweep`, the paper's user, seeded, nested counts), and the
report gains ``hints.csv`` and ``hints.png``; the 0-hint column is the plain colorization's score.

Why one file: the harness is one pipeline (colorize, score, write CSV,
Markdown, HTML and figures), and the report writers must stay in step with the rows they print;
the HTML writer is the part to move out first if it grows.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chroma_lab._checks import check_int
from chroma_lab._files import atomic_path, write_text_atomic
from chroma_lab.color import rgb_to_lab
from chroma_lab.data import to_gray
from chroma_lab.errors import ChromaLabError
from chroma_lab.hint_sweep import format_sweep, hint_sweep
from chroma_lab.metrics import all_scores, lightness_regions
from chroma_lab.models.base import Colorizer, GrayColorizer, check_rgb_batch
from chroma_lab.quantize import N_BINS, ab_bins, class_prior

# (key, column label, what it is, which way is better): the order of every table and chart
BASELINES = ("gray", "random", "lookup")  # what baselines() fits, in this order
METRICS = (
    ("auc_raw", "AuC raw %", "area under the share-of-pixels-within-threshold curve, 0..150 ab", "higher"),
    ("auc_rebalanced", "AuC rebal %", "the same, each pixel weighted by 1 / p(its true colour class)", "higher"),
    ("mean_ab_error", "ab error", "mean per-pixel ab distance to the truth (ab units)", "lower"),
    ("within_10", "<=10 ab", "share of pixels within 10 ab units of the truth", "higher"),
    ("psnr", "PSNR dB", "peak signal-to-noise ratio on RGB, per image", "higher"),
    ("ssim", "SSIM", "structural similarity on RGB, 7x7 window, per image", "higher"),
    ("colorfulness", "colourful", "Hasler-Suesstrunk colourfulness of the colorization", "closer to truth"),
    ("colorfulness_true", "truth col.", "the same of the ground truth", "-"),
    ("colorfulness_gap", "col. gap", "colourfulness minus the truth's (negative: duller)", "closer to 0"),
    ("incoherence", "incoherence", "ab variation inside true surfaces that the truth lacks (ab units)", "lower"),
    ("bleeding", "bleeding", "share of the truth's ab contrast across surface edges lost (0..1)", "lower"),
)
METRIC_KEYS = tuple(key for key, *_ in METRICS)
_DECIMALS = {"within_10": 3, "ssim": 3, "bleeding": 3}  # the others: 2 in the report's tables


@dataclass
class HintSweep:
    """What a few user colours buy each method that takes them, on the held-out images.

    Attributes
    ----------
    counts : tuple of int
        Numbers of hint points per image, simulated from the truth.
    seed : int
        The simulated user's draws (:func:`chroma_lab.hint_sweep.hint_sweep`).
    results : dict of str -> {"psnr": list, "colorfulness": list}
        Per method, one value per count, averaged over the images as the summary's PSNR is.
    """

    counts: tuple
    seed: int
    results: dict


@dataclass
class Evaluation:
    """What :func:`evaluate` measured; :func:`write_report` turns it into files.

    Attributes
    ----------
    truth : ndarray of shape (n, H, W, 3), uint8
    gray : ndarray of shape (n, H, W), uint8
        The inputs the colorizers were given.
    predictions : dict of str -> ndarray of shape (n, H, W, 3), uint8
        Each method's colorizations, in evaluation order.
    rows : list of dict
        One per image and method: ``method``, ``image`` (name), ``index``, then :data:`METRIC_KEYS`.
    summary : dict of str -> dict
        Per method, :data:`METRIC_KEYS` measured on the whole set.
    image_names : list of str
    regions_source, prior_source : str
        Where the surfaces and the rebalancing prior came from, in words.
    seconds : dict of str -> float
        Colorizing time per method (not written to the files, which stay deterministic).
    hints : HintSweep or None
        PSNR and colourfulness against the number of hints, for the methods that take hints,
        when :func:`evaluate` was asked for them (else None).
    """

    truth: np.ndarray
    gray: np.ndarray
    predictions: dict
    rows: list
    summary: dict
    image_names: list
    regions_source: str
    prior_source: str
    seconds: dict = field(default_factory=dict)
    hints: HintSweep | None = None

    @property
    def methods(self) -> list:
        return list(self.predictions)


class RandomColorizer(Colorizer):
    """The random-colours baseline: each pixel's ab drawn from the training colours' prior.

    ``fit`` takes the raw histogram of the training images' ab over the 313 bins of Zhang et
    al. (:func:`chroma_lab.quantize.class_prior` with ``sigma=None``); ``colorize`` draws every
    pixel's bin independently from it and uses that bin's centre, on the input's lightness (a
    bin outside the gamut at that lightness is clipped to displayable RGB, as for every
    colorizer). So the colours are as frequent as in training but placed with no regard to the
    image: what a model scores by knowing only the colour statistics. The draw for an image
    depends only on ``random_state`` and the image itself, not on what else is in the batch.

    Parameters
    ----------
    random_state : int
        Seed of the draws.

    Attributes
    ----------
    prior_ : ndarray of shape (313,)
        The training colours' class frequencies.
    """

    def __init__(self, random_state=0):
        self.random_state = random_state

    def _fit(self, images):
        check_int(self.random_state, "random_state", low=0)
        self.prior_ = class_prior(rgb_to_lab(images)[..., 1:], sigma=None)

    def _predict_ab(self, L):
        centres, ab = ab_bins(), np.empty(L.shape + (2,))
        for i, image in enumerate(L):
            key = zlib.crc32(np.ascontiguousarray(image).tobytes())
            rng = np.random.default_rng([int(self.random_state), key])
            ab[i] = centres[rng.choice(N_BINS, size=image.shape, p=self.prior_)]
        return ab


def baselines(train_images, seed: int = 0) -> dict:
    """The three baselines every evaluation shows, fitted on ``train_images``.

    Parameters
    ----------
    train_images : ndarray of shape (n, H, W, 3), uint8 RGB
    seed : int
        Seed of the random colours and of the lookup's K-means palette.

    Returns
    -------
    dict of str -> fitted colorizer
        ``"gray"`` (ab = 0, :class:`~chroma_lab.models.base.GrayColorizer`), ``"random"``
        (:class:`RandomColorizer`) and ``"lookup"`` (the most frequent of 32 K-means colours per
        gray level, :class:`~chroma_lab.models.lookup.LookupColorizer`).
    """
    from chroma_lab.models.lookup import LookupColorizer

    train_images = check_rgb_batch(train_images, "train_images")
    seed = check_int(seed, "seed", low=0)
    try:
        lookup = LookupColorizer(random_state=seed).fit(train_images)
    except ChromaLabError as exc:  # nearly uniform images: nothing to compare colorizers on
        raise ChromaLabError(f"the training images are too uniform for the lookup baseline ({exc}); "
                             "evaluate on colour images with more variety") from exc
    return {
        "gray": GrayColorizer().fit(train_images),
        "random": RandomColorizer(random_state=seed).fit(train_images),
        "lookup": lookup,
    }


def evaluate(colorizers, images, *, train_images=None, regions=None, prior=None, image_names=None,
             seed: int = 0, progress: bool = True, batch_size: int = 16, hint_counts=None) -> Evaluation:  # fmt: skip
    """Colorize the held-out ``images`` with every colorizer and measure each against the truth.

    Parameters
    ----------
    colorizers : dict of str -> colorizer or path
        Method name -> a fitted colorizer (anything with ``colorize(gray)``) or the folder of a
        saved one, loaded with :func:`chroma_lab.models.registry.load_colorizer`.
    images : ndarray of shape (n, H, W, 3), uint8 RGB
        The held-out truth; each colorizer gets ``to_gray(images)``.
    train_images : ndarray of shape (m, H', W', 3), uint8 RGB, optional
        When given, the :func:`baselines` are fitted on it and evaluated first (names "gray",
        "random", "lookup"; a colorizer of the same name is an error).
    regions : ndarray of shape (n, H, W), int, optional
        The true surfaces; by default :func:`chroma_lab.metrics.lightness_regions` of ``images``.
    prior : array_like of shape (313,), optional
        For the rebalanced AuC; by default the raw class histogram of ``images``.
    image_names : list of str, optional
        One per image, for the report; ``image_000`` ... by default.
    seed : int
        Seed of the baselines.
    progress : bool
        A tqdm progress bar per method while it colorizes.
    batch_size : int
        Images per ``colorize`` call.
    hint_counts : sequence of int, optional
        Numbers of hints (e.g. :data:`chroma_lab.hint_sweep.COUNTS`) for which every colorizer
        that takes hints colours the images again, with hints simulated from the truth (seeded
        by ``seed``): ``Evaluation.hints``. None (the default): no sweep.

    Returns
    -------
    Evaluation
    """
    seed = check_int(seed, "seed", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    hint_counts = None if hint_counts is None else _check_hint_counts(hint_counts)
    images = check_rgb_batch(images, "images")
    if not isinstance(colorizers, dict) or not colorizers:
        raise ChromaLabError(f"colorizers must be a non-empty dict of name -> fitted colorizer or "
                             f"saved model folder, got {colorizers!r}")  # fmt: skip
    methods = {name: _resolve(name, value) for name, value in colorizers.items()}
    if train_images is not None:
        fitted = baselines(train_images, seed=seed)
        clash = sorted(set(fitted) & set(methods))
        if clash:
            raise ChromaLabError(f"colorizers must not reuse the baseline names {clash} when "
                                 "train_images is given (the baselines are added under them)")
        methods = {**fitted, **methods}
    gray = to_gray(images)
    predictions, seconds = {}, {}
    for name, colorizer in methods.items():
        start = time.perf_counter()
        predictions[name] = _colorize(name, colorizer, gray, batch_size, progress)
        seconds[name] = time.perf_counter() - start
    result = evaluate_predictions(images, predictions, regions=regions, prior=prior,
                                  image_names=image_names)  # fmt: skip
    result.seconds = seconds
    takers = {name: c for name, c in methods.items() if getattr(c, "takes_hints", False)}
    if hint_counts is not None and takers:
        results = hint_sweep(takers, images, hint_counts, seed=seed, progress=progress)
        result.hints = HintSweep(counts=hint_counts, seed=seed, results=results)
    return result



def evaluate_predictions(images, predictions, *, regions=None, prior=None,
                         image_names=None) -> Evaluation:  # fmt: skip
    """Measure colorizations already made (the second half of :func:`evaluate`).

    Parameters
    ----------
    images : ndarray of shape (n, H, W, 3), uint8 RGB
        The truth.
    predictions : dict of str -> ndarray of shape (n, H, W, 3), uint8 RGB
        Method name -> its colorizations of ``to_gray(images)``.
    regions, prior, image_names
        As for :func:`evaluate`.

    Returns
    -------
    Evaluation
    """
    images = check_rgb_batch(images, "images")
    if not isinstance(predictions, dict) or not predictions:
        raise ChromaLabError(f"predictions must be a non-empty dict of name -> colorizations, "
                             f"got {predictions!r}")  # fmt: skip
    checked = {}
    for name, pred in predictions.items():
        _check_name(name, "predictions")
        pred = np.asarray(pred)
        if pred.shape != images.shape or pred.dtype != np.uint8:
            raise ChromaLabError(f"predictions[{name!r}] must be uint8 RGB of the images' shape "
                                 f"{images.shape}, got {pred.dtype} {pred.shape}")  # fmt: skip
        checked[name] = pred
    names = _image_names(image_names, len(images))
    if regions is None:
        regions = lightness_regions(images)
        regions_source = ("guessed from the truth's lightness edges (Felzenszwalb segmentation "
                          "of L*, chroma_lab.metrics.lightness_regions)")  # fmt: skip
    else:
        regions = np.asarray(regions)
        if regions.shape != images.shape[:-1] or regions.dtype.kind not in "iu":
            raise ChromaLabError(f"regions must be an int map of the images' surfaces, shape "
                                 f"{images.shape[:-1]}, got {regions.dtype} {regions.shape}")  # fmt: skip
        regions_source = "given (the true surfaces)"
    if prior is None:
        prior = class_prior(rgb_to_lab(images)[..., 1:], sigma=None)
        prior_source = "the held-out truth's own class histogram"
    else:
        prior = np.asarray(prior, dtype=np.float64)
        if prior.shape != (N_BINS,):
            raise ChromaLabError(f"prior must hold {N_BINS} class probabilities, got shape {prior.shape}")
        prior_source = "the prior passed in"
    rows, summary = [], {}
    for name, pred in checked.items():
        summary[name] = _select(all_scores(images, pred, regions, prior=prior))
        for i in range(len(images)):
            scores = all_scores(images[i], pred[i], regions[i], prior=prior)
            rows.append({"method": name, "image": names[i], "index": i, **_select(scores)})
    return Evaluation(truth=images, gray=to_gray(images), predictions=checked, rows=rows,
                      summary=summary, image_names=names, regions_source=regions_source,
                      prior_source=prior_source)  # fmt: skip


def combine_evaluations(parts) -> Evaluation:
    """One :class:`Evaluation` from evaluations of the same images by different methods, in order:
    what one evaluation of them all would have given (every measure of a method depends only on
    its own colorizations, the truth, the surfaces and the prior, which the parts must share).
    :func:`chroma_lab.course.train_and_compare` measures each model as soon as it is trained and
    combines the parts with it."""
    parts = list(parts)
    if not parts or not all(isinstance(p, Evaluation) for p in parts):
        raise ChromaLabError("parts must be a non-empty sequence of Evaluation objects")
    first = parts[0]
    predictions, summary, seconds, rows, hints = {}, {}, {}, [], None
    for part in parts:
        same = (part.truth.shape == first.truth.shape and np.array_equal(part.truth, first.truth)
                and part.image_names == first.image_names and part.regions_source == first.regions_source
                and part.prior_source == first.prior_source)  # fmt: skip
        if not same:
            raise ChromaLabError("parts must evaluate the same images with the same surfaces and prior")
        clash = set(part.predictions) & set(predictions)
        if clash:
            raise ChromaLabError(f"method {sorted(clash)[0]!r} appears in more than one part")
        hints = _merge_hints(hints, part.hints)
        predictions.update(part.predictions)
        summary.update(part.summary)
        seconds.update(part.seconds)
        rows += part.rows
    return Evaluation(truth=first.truth, gray=first.gray, predictions=predictions, rows=rows,
                      summary=summary, image_names=first.image_names,
                      regions_source=first.regions_source, prior_source=first.prior_source,
                      seconds=seconds, hints=hints)  # fmt: skip


def _merge_hints(done: HintSweep | None, new: HintSweep | None) -> HintSweep | None:
    """Two parts' hint sweeps as one; they must count and draw the hints alike."""
    if done is None or new is None:
        return done or new
    if (done.counts, done.seed) != (new.counts, new.seed):
        raise ChromaLabError("parts must sweep the same numbers of hints with the same seed")
    return HintSweep(counts=done.counts, seed=done.seed, results={**done.results, **new.results})


def write_report(evaluation: Evaluation, out_dir, max_images: int = 12) -> dict:
    """Write the evaluation's files into ``out_dir`` (created if needed), each atomically.

    * ``results.csv``: every measure per image and method (full precision);
    * ``summary.csv``: every measure per method, on the whole set;
    * ``report.md``: the summary table, rounded, with what each column means;
    * ``report.html``: one self-contained page (images inline as PNG data URIs, no external
      files): the summary table, then for each of the first ``max_images`` images its gray input,
      its truth and each method's colorization above that image's numbers;
    * ``grid.png``: the first ``max_images`` colorizations side by side
      (:func:`chroma_lab.viz.plot_colorizations`);
    * ``metrics.png``: a bar per method for each measure (:func:`chroma_lab.viz.plot_metric_bars`);
    * with a hint sweep (``evaluation.hints``): ``hints.csv`` (PSNR and colourfulness per method and
      number of hints) and ``hints.png`` (:func:`chroma_lab.viz.plot_hint_sweep`, with the gray
      baseline's PSNR and the truth's colourfulness as references); report.md and report.html
      show the PSNR table too.

    Returns
    -------
    dict of str -> Path
        File name -> where it was written.
    """
    from chroma_lab import viz

    if not isinstance(evaluation, Evaluation):
        raise ChromaLabError(f"evaluation must be an Evaluation from evaluate(), got {type(evaluation).__name__}")
    max_images = check_int(max_images, "max_images", low=1)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ChromaLabError(f"out_dir '{out}' is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("results.csv", "summary.csv", "report.md",
                                           "report.html", "grid.png", "metrics.png")}  # fmt: skip
    write_text_atomic(paths["results.csv"], _csv(evaluation.rows, ["method", "image", "index"]))
    summary_rows = [{"method": name, **values} for name, values in evaluation.summary.items()]
    write_text_atomic(paths["summary.csv"], _csv(summary_rows, ["method"]))
    write_text_atomic(paths["report.md"], _markdown(evaluation))
    write_text_atomic(paths["report.html"], _html(evaluation, max_images))
    grid = viz.plot_colorizations(evaluation.gray, evaluation.truth, evaluation.predictions,
                                  max_images=max_images)  # fmt: skip
    bars = viz.plot_metric_bars(evaluation.summary, metrics=[(k, label, better) for k, label, _, better
                                                             in METRICS if k != "colorfulness_true"])
    figures = [(grid, "grid.png"), (bars, "metrics.png")]
    if evaluation.hints is not None:
        paths["hints.csv"], paths["hints.png"] = out / "hints.csv", out / "hints.png"
        write_text_atomic(paths["hints.csv"], _hints_csv(evaluation.hints))
        figures.append((_hints_figure(evaluation), "hints.png"))
    for figure, name in figures:
        with atomic_path(paths[name]) as tmp:
            viz.save_figure(figure, tmp)
    return paths


def format_hint_table(sweep: HintSweep, measure: str = "psnr") -> str:
    """The sweep as printed: one row per method, one column per number of hints."""
    return format_sweep(sweep.results, sweep.counts, measure, digits=2 if measure == "psnr" else 1)


def format_value(key: str, value: float) -> str:
    """A measure as the report's tables print it (2 decimals, 3 for shares and SSIM)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{_DECIMALS.get(key, 2)}f}"


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def _check_hint_counts(counts) -> tuple:
    """``counts`` as a tuple of distinct non-negative ints, in increasing order; else ChromaLabError."""
    if isinstance(counts, (str, bytes)) or not hasattr(counts, "__iter__"):
        raise ChromaLabError(f"hint_counts must be a sequence of numbers of hints, got {counts!r}")
    counts = tuple(check_int(c, "hint_counts", low=0) for c in counts)
    if not counts or len(set(counts)) != len(counts):
        raise ChromaLabError(f"hint_counts must be distinct numbers of hints, at least one, got {counts}")
    return tuple(sorted(counts))


def _check_name(name, argument: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ChromaLabError(f"{argument} must be keyed by non-empty method names, got {name!r}")


def _resolve(name, value):
    """A fitted colorizer from a dict value: the object itself, or loaded from its folder."""
    _check_name(name, "colorizers")
    if isinstance(value, (str, os.PathLike)):
        folder = Path(value)
        if not folder.is_dir():
            raise ChromaLabError(f"colorizers[{name!r}] = {str(value)!r} is neither a fitted colorizer "
                                 "nor a saved model folder (no such folder; a folder written by "
                                 "chroma-lab train --out)")  # fmt: skip
        try:  # written beside this module; imported here so the harness works without it
            from chroma_lab.models.registry import load_colorizer
        except ImportError as exc:
            raise ChromaLabError(f"colorizers[{name!r}]: loading a saved model folder needs "
                                 f"chroma_lab.models.registry ({exc})") from exc  # fmt: skip
        return load_colorizer(folder)
    if not callable(getattr(value, "colorize", None)):
        raise ChromaLabError(f"colorizers[{name!r}] must be a fitted colorizer (with colorize(gray)) or "
                             f"a saved model folder, got {type(value).__name__}")  # fmt: skip
    return value


def _colorize(name, colorizer, gray, batch_size, progress):
    from tqdm import tqdm

    parts = []
    with tqdm(total=len(gray), desc=f"colorizing: {name}", unit="image", disable=not progress,
              leave=False) as bar:  # fmt: skip
        for start in range(0, len(gray), batch_size):
            chunk = gray[start : start + batch_size]
            out = np.asarray(colorizer.colorize(chunk))
            if out.shape != chunk.shape + (3,) or out.dtype != np.uint8:
                raise ChromaLabError(f"colorizers[{name!r}].colorize returned {out.dtype} {out.shape} "
                                     f"for gray {chunk.shape}; expected uint8 {chunk.shape + (3,)}")
            parts.append(out)
            bar.update(len(chunk))
    return np.concatenate(parts)


def _image_names(image_names, n):
    if image_names is None:
        return [f"image_{i:03d}" for i in range(n)]
    names = [str(name) for name in image_names]
    if len(names) != n:
        raise ChromaLabError(f"image_names must hold one name per image ({n}), got {len(names)}")
    return names


def _select(scores: dict) -> dict:
    return {key: float(scores[key]) for key in METRIC_KEYS}


def _csv(rows, leading) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(leading) + list(METRIC_KEYS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def _markdown(evaluation: Evaluation) -> str:
    n, height, width = evaluation.gray.shape
    lines = [
        "# Colorization evaluation",
        "",
        f"{n} held-out images of {height}x{width}. Surfaces for incoherence and bleeding: "
        f"{evaluation.regions_source}. Rebalanced AuC weighted with {evaluation.prior_source}.",
        "Every measure is taken on the whole set at once (see results.csv for each image).",
        "",
        "| method | " + " | ".join(label for _, label, _, _ in METRICS) + " |",
        "| --- |" + " ---: |" * len(METRICS),
    ]
    for name, values in evaluation.summary.items():
        cells = " | ".join(format_value(key, values[key]) for key in METRIC_KEYS)
        lines.append(f"| {_markdown_escape(name)} | {cells} |")
    lines += ["", "| column | what | better |", "| --- | --- | --- |"]
    lines += [f"| {label} | {what} | {better} |" for _, label, what, better in METRICS]
    if evaluation.hints is not None:
        lines += _hints_markdown(evaluation.hints)
    return "\n".join(lines) + "\n"


def _hints_csv(sweep: HintSweep) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["method", "hints", "psnr", "colorfulness", "seed"])
    for name, values in sweep.results.items():
        for count, psnr_value, colour in zip(sweep.counts, values["psnr"], values["colorfulness"]):
            writer.writerow([name, count, repr(float(psnr_value)), repr(float(colour)), sweep.seed])
    return buffer.getvalue()


def _hints_figure(evaluation: Evaluation):
    from chroma_lab.viz import plot_hint_sweep

    any_method = next(iter(evaluation.summary.values()))
    references = {"colorfulness": {"truth": any_method["colorfulness_true"]}}
    if "gray" in evaluation.summary:
        references["psnr"] = {"gray (no colour)": evaluation.summary["gray"]["psnr"]}
    return plot_hint_sweep(evaluation.hints.results, evaluation.hints.counts, references,
                           title=f"{len(evaluation.truth)} held-out images, hints simulated from the truth "
                                 f"(seed {evaluation.hints.seed})")  # fmt: skip


def _hints_text(sweep: HintSweep) -> str:
    """What the hint table shows, one sentence (report.md and report.html)."""
    return (f"PSNR (dB) with hints simulated from the truth by the paper's user (seed {sweep.seed}; "
            "the hints of fewer points are the first of more), for the methods that take hints; "
            "0 hints is the plain colorization above. See hints.csv (colourfulness too) and hints.png.")


def _hints_markdown(sweep: HintSweep) -> list:
    lines = ["", "## Against the number of hints", "", _hints_text(sweep), "",
             "| method | " + " | ".join(f"{c} hints" for c in sweep.counts) + " |",
             "| --- |" + " ---: |" * len(sweep.counts)]  # fmt: skip
    for name, values in sweep.results.items():
        cells = " | ".join(format_value("psnr", v) for v in values["psnr"])
        lines.append(f"| {_markdown_escape(name)} | {cells} |")
    return lines


def _markdown_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


_STYLE = """body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; font-size: 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.row { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 1.2em; }
figure { margin: 0; }
figure img { width: 128px; height: auto; image-rendering: pixelated; display: block; }
figcaption { font-size: 11px; max-width: 160px; }
figcaption table { margin: 0; }"""


def _html(evaluation: Evaluation, max_images: int) -> str:
    n, height, width = evaluation.gray.shape
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>Colorization evaluation</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>Colorization evaluation</h1>",
             f"<p>{n} held-out images of {height}x{width}. Surfaces for incoherence and bleeding: "
             f"{e(evaluation.regions_source)}. Rebalanced AuC weighted with "
             f"{e(evaluation.prior_source)}.</p>",
             '<h2>On the whole set</h2><table class="summary"><tr><th>method</th>']  # fmt: skip
    parts += [f'<th title="{e(what)}">{e(label)}</th>' for _, label, what, _ in METRICS]
    parts.append("</tr>")
    for name, values in evaluation.summary.items():
        cells = "".join(f'<td data-metric="{key}">{format_value(key, values[key])}</td>'
                        for key in METRIC_KEYS)  # fmt: skip
        parts.append(f'<tr data-method="{e(name, quote=True)}"><td>{e(name)}</td>{cells}</tr>')
    parts.append("</table>")
    if evaluation.hints is not None:
        sweep = evaluation.hints
        parts.append(f"<h2>Against the number of hints</h2><p>{e(_hints_text(sweep))}</p>"
                     '<table class="hints"><tr><th>method</th>' + "".join(f"<th>{c} hints</th>" for c in sweep.counts)
                     + "</tr>")  # fmt: skip
        for name, values in sweep.results.items():
            cells = "".join(f"<td>{format_value('psnr', v)}</td>" for v in values["psnr"])
            parts.append(f'<tr data-method="{e(name, quote=True)}"><td>{e(name)}</td>{cells}</tr>')
        parts.append("</table>")
    shown = min(n, max_images)
    parts.append(f"<h2>Per image (the first {shown} of {n})</h2>")
    by_key = {(row["method"], row["index"]): row for row in evaluation.rows}
    for i in range(shown):
        name = evaluation.image_names[i]
        parts.append(f'<h3>{e(name)}</h3><div class="row" data-image="{e(name, quote=True)}">')
        parts.append(_figure(evaluation.gray[i], "gray input"))
        parts.append(_figure(evaluation.truth[i], "truth"))
        for method, pred in evaluation.predictions.items():
            row = by_key[(method, i)]
            cells = "".join(f'<tr><td>{e(label)}</td><td data-metric="{key}">'
                            f"{format_value(key, row[key])}</td></tr>"
                            for key, label, _, _ in METRICS if key != "colorfulness_true")
            parts.append(_figure(pred[i], method, f'<table data-method="{e(method, quote=True)}">'
                                                  f"{cells}</table>"))  # fmt: skip
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figure(image, caption, extra="") -> str:
    return (f'<figure><img alt="{html.escape(caption, quote=True)}" src="{_png_data_uri(image)}">'
            f"<figcaption><b>{html.escape(caption)}</b>{extra}</figcaption></figure>")


def _png_data_uri(image) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
