"""``chroma-lab train``: train a colorization model, with checkpoints that survive a kill -9.

    chroma-lab train zhang --size small --loss full --data scenes --epochs 10 --out runs/zhang
    chroma-lab train zhang --out runs/zhang --resume            # after an interruption

Data: ``photos`` (the 9 bundled photos), ``scenes`` (``--n-scenes`` synthetic landscapes, 512 by
default) or ``folder:PATH`` (every image in a folder). Every image is centre-cropped to
``--image-size``. A model whose ``fit`` takes ``labels`` (iizuka's scene classifier) gets the
data's labels: the scenes' classes, a folder's subfolder names or ``manifest.csv`` categories;
data without labels trains its colour loss alone.

What lands in ``--out`` after every epoch:

* ``model.keras`` + ``colorizer.json``: the model with its optimizer state, loadable by
  its class's ``load``, :func:`chroma_lab.models.registry.load_colorizer` and
  ``chroma-lab colorize --model``. Written to a temporary file in
  the same folder, then moved into place with ``os.replace``: a kill leaves the previous epoch's
  complete checkpoint, never a half-written one. The epoch count is the optimizer's step counter
  divided by the steps per epoch, so it lives inside the same atomic file.
* ``log.csv``: one row per epoch (``keras.callbacks.CSVLogger``, appended to on resume);
* ``loss_curves.png`` and ``samples/epoch_NNN.png``: the loss so far and the first training
  images colorized by the current model.
* ``train.json``: the run's settings (model, data, parameters), so ``--resume`` reloads the
  same images and refuses an option that would change the run.

Models: the names of :data:`chroma_lab.models.registry.TRAINABLE`. The options of
:data:`MODEL_OPTIONS` set constructor parameters; a model takes those its ``__init__`` names, and
refuses the others in one line ("--loss is not an option of ..."). Unset, each takes the class's
default, except ``--epochs`` (10). Adding a model needs no change here.

``--stream`` (with ``folder:PATH``) decodes the folder batch by batch
(:class:`chroma_lab.data.FolderStream`) instead of loading it into memory: memory stays flat
whatever the folder's size, an unreadable file is skipped with one warning line and counted in
``log.csv`` (``skipped_files``), and fit-time state (Zhang's class prior) comes from a seeded
sample of ``setup_sample`` files, written into ``train.json``. It is an explicit choice, not
automatic: a streamed run differs from an in-memory one in those three ways. ``--prior imagenet``
(zhang) uses the paper's published ImageNet prior instead of the data's.
``--checkpoint-every N`` also saves after every N training steps, and ``--resume`` then
continues at the step after the checkpoint, mid-epoch. ``--augment`` takes a random square of at least 7/8 of each image's
shorter side and flips it at random, seeded by the run's seed, the epoch and the file. ``--workers N`` sets the stream's decoding
threads; a batch depends only on the seed, the epoch and its index, so the weights do not depend
on N. With several processes ``skipped_files`` counts the files process 0 could not read.

``--resume`` continues from the last checkpoint: same weights, optimizer state and epoch counter,
and epoch e shuffles the data with ``(seed, e)`` as an uninterrupted run does, so on a CPU the
resumed run ends with the same weights, bit for bit.

``--devices N|all`` trains data-parallel (``keras.distribution.DataParallel``, KERAS_BACKEND=jax),
the global ``--batch-size`` split over the devices; ``--coordinator HOST:PORT --num-processes P
--process-id I`` (or the environment variables of :mod:`chroma_lab.backend`) joins several
processes or machines. Each process trains on its slice of every global batch; only process 0
writes into ``--out``. Same checkpoints, log and ``--resume``. With ``--stream`` each process
decodes only its slice of every batch.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import sys
import warnings
from pathlib import Path

from chroma_lab._checks import check_int
from chroma_lab._files import atomic_path, remove_stale_temporaries, write_json_atomic
from chroma_lab.cli import UsageError, check_output_folder, import_keras
from chroma_lab.models.registry import TRAINABLE, colorizer_class

# Options that set a constructor parameter of the model: option -> (parameter, argparse keywords).
# A model takes those its __init__ names (inspect.signature), so adding a model is one entry in
# chroma_lab.models.registry.TRAINABLE; adding an option is one line here.
MODEL_OPTIONS = {
    "--size": ("size", {"help": "network size: small (CPU, the default) or full (the paper's)"}),
    "--loss": ("loss", {"help": "the loss, for a model that offers several; zhang: full "
                                "(rebalanced, default), class or l2 (Table 1 of the paper)"}),
    "--epochs": ("epochs", {"type": int, "help": "epochs in all (default 10)"}),
    "--batch-size": ("batch_size", {"type": int, "help": "images per step (default: the model's, 16)"}),
    "--image-size": ("image_size", {"type": int, "help": "training square (default: the model's, 64; "
                                                         "zhang: a multiple of 8)"}),
    "--learning-rate": ("learning_rate", {"type": float, "help": "optimizer step (default: the model's)"}),
    "--seed": ("seed", {"type": int, "help": "weights and data order (default 0)"}),
    "--no-global": ("use_global", {"action": "store_false",
                                   "help": "iizuka: no global branch, fusion or scene classifier"}),
    "--alpha": ("alpha", {"type": float, "help": "iizuka: weight of the scene loss (default 1/300)"}),
    "--optimizer": ("optimizer", {"help": "iizuka: adadelta (the paper's, default) or adam"}),
    "--base": ("base", {"metavar": "DIR", "help": "coherent: the trained zhang model (its --out "
                                                  "folder) to refine; default: train one first"}),
    "--prior": ("prior_source", {"metavar": "data|imagenet",
                                 "help": "zhang's class prior: data (of the training images, default) or "
                                 "imagenet (the paper's published one)"}),
}  # fmt: skip
# The command's own default where it differs from the class's: a short run on a CPU.
COMMAND_DEFAULTS = {"epochs": 10}
DATA_DEFAULTS = {"data": "scenes", "n_scenes": 512, "stream": False, "augment": False}
CHECKPOINT_FILE = "model.keras"  # written by the colorizer's save, with colorizer.json
LOG_FILE, RUN_FILE, CURVES_FILE, SAMPLES_DIR = "log.csv", "train.json", "loss_curves.png", "samples"
N_SAMPLES = 4


def add_arguments(parser) -> None:
    parser.add_argument("model", help=f"the model to train: {', '.join(TRAINABLE)}")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for checkpoints, log and figures")
    parser.add_argument("--data", default=argparse.SUPPRESS,
                        help="photos, scenes (default) or folder:PATH")  # fmt: skip
    parser.add_argument("--n-scenes", type=int, default=argparse.SUPPRESS,
                        help=f"images for --data scenes (default {DATA_DEFAULTS['n_scenes']})")  # fmt: skip
    for option, (parameter, keywords) in MODEL_OPTIONS.items():
        parser.add_argument(option, dest=parameter, default=argparse.SUPPRESS, **keywords)
    parser.add_argument("--stream", action="store_const", const=True, default=argparse.SUPPRESS,
                        help="decode --data folder:PATH batch by batch instead of loading it all")  # fmt: skip
    parser.add_argument("--augment", action="store_const", const=True, default=argparse.SUPPRESS,
                        help="--stream: a random crop (at least 7/8 of the shorter side) and flip per "
                             "image and epoch, seeded")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="--stream: threads decoding images (default 2; a GPU needs about 6)")
    parser.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                        help="also save a checkpoint every N training steps (resumed at the step)")  # fmt: skip
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    parser.add_argument("--devices", default=None, metavar="N|all",
                        help="train data-parallel on N devices (or all), KERAS_BACKEND=jax; the "
                             "global --batch-size is split over them")
    parser.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                        help="several processes: the address of process 0 (or CHROMA_LAB_COORDINATOR)")
    parser.add_argument("--num-processes", type=int, default=None, metavar="P",
                        help="several processes: how many (or CHROMA_LAB_NUM_PROCESSES)")
    parser.add_argument("--process-id", type=int, default=None, metavar="I",
                        help="several processes: this one's id, 0..P-1 (or CHROMA_LAB_PROCESS_ID)")


def main(args) -> int:
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning  # e.g. a stream's skipped file: one line each
        return _train(args)


def _train(args) -> int:
    out = check_output_folder(args.out)
    if args.model not in TRAINABLE:
        raise UsageError(f"unknown model {args.model!r}; available: {', '.join(TRAINABLE)}")
    given = {key: getattr(args, key) for key in (*DATA_DEFAULTS, *_parameters())
             if hasattr(args, key)}  # fmt: skip
    _check_data_spec(given.get("data", DATA_DEFAULTS["data"]))
    check_int(given.get("n_scenes", 1), "--n-scenes", low=1)
    check_int(args.checkpoint_every, "--checkpoint-every", low=0)
    check_int(args.workers, "--workers", low=1)
    if given.get("stream") and not given.get("data", "").startswith("folder:"):
        raise UsageError("--stream reads a folder: use it with --data folder:PATH")
    if given.get("augment") and not given.get("stream"):
        raise UsageError("--augment crops and flips a stream's images: use it with --stream")
    import_keras()
    chief = _setup_devices(args)
    cls = colorizer_class(args.model)
    accepted = _check_options(cls, args.model, given)
    settings = _settings(args, out, given, cls, accepted)

    if args.resume:
        colorizer = cls.load(out)
        # the checkpoint's own parameters for any that train.json lacks
        settings = {**DATA_DEFAULTS, **{key: getattr(colorizer, key) for key in accepted}, **settings}
        settings["epochs"] = given.get("epochs", colorizer.epochs)
        colorizer.epochs, colorizer.verbose = settings["epochs"], "auto"
        start = colorizer.epochs_done_
    else:
        colorizer = cls(**{key: settings[key] for key in accepted})
        start = 0
    colorizer._validate()  # a bad option fails here, before data are read or files written
    images, labels, class_names = _load_training_images(settings, workers=args.workers)
    n_images = len(images.files) if settings.get("stream") else len(images)
    if chief:  # with several processes only process 0 writes into --out
        out.mkdir(parents=True, exist_ok=True)
        if args.resume:
            _truncate_log(out / LOG_FILE, start)
            remove_stale_temporaries(out)  # half-written files of the killed run
        else:
            if settings.get("stream"):
                from chroma_lab.models.keras_colorizer import SETUP_SAMPLE

                settings["setup_sample"] = len(images.sample_indices(SETUP_SAMPLE))
            write_json_atomic(out / RUN_FILE, {key: value for key, value in settings.items() if key != "epochs"})
    if start >= settings["epochs"]:
        print(f"{out}: already trained for {start} epochs (--epochs {settings['epochs']}); nothing to do")
        return 0
    callbacks = _callbacks(colorizer, images, out, append=args.resume, label=args.model,
                           every=args.checkpoint_every, chief=chief)  # fmt: skip
    if args.resume:
        step = colorizer.optimizer_steps_ % colorizer.steps_per_epoch_
        at = f", step {step + 1} of {colorizer.steps_per_epoch_}" if step else ""
        print(f"resuming {out} at epoch {start + 1} of {settings['epochs']}{at}")
        colorizer.continue_fit(images, callbacks=callbacks, **_labels_for(colorizer.continue_fit, labels))
    else:
        colorizer.fit(images, callbacks=callbacks, **_labels_for(colorizer.fit, labels, class_names))
    done = colorizer.epochs_done_
    skipped = len(images.skipped) if settings.get("stream") else 0
    unreadable = f" ({skipped} unreadable file{'s' * (skipped != 1)} skipped)" if skipped else ""
    print(f"trained {done} epoch{'s' * (done != 1)} on {n_images - skipped} images{unreadable}; "
          f"model in {out}")
    return 0


def _setup_devices(args) -> bool:
    """Set up data-parallel training if asked (``--devices``, ``--coordinator`` or the
    environment); returns whether this process writes the outputs (process 0)."""
    from chroma_lab import backend

    cluster = backend.cluster_from_env(args.coordinator, args.num_processes, args.process_id)
    if args.devices is None and cluster == (None, None, None):
        return True
    devices = "all" if args.devices in (None, "all") else args.devices
    if devices != "all":
        try:
            devices = int(devices)
        except ValueError:
            raise UsageError(f"--devices must be a number or 'all', got {args.devices!r}") from None
    backend.setup_data_parallel(devices, *cluster)
    return backend.is_chief()


# ----------------------------------------------------------------------------------------------
# Options and settings: defaults for a new run, the saved ones for --resume
# ----------------------------------------------------------------------------------------------
def _parameters() -> list[str]:
    return [parameter for parameter, _ in MODEL_OPTIONS.values()]


def _option(parameter: str) -> str:
    return next(option for option, (p, _) in MODEL_OPTIONS.items() if p == parameter)


def _check_options(cls, name: str, given: dict) -> list[str]:
    """The option parameters ``cls.__init__`` takes; an option given that it does not take is
    refused, naming the options it does take."""
    signature = inspect.signature(cls.__init__).parameters
    accepted = [parameter for parameter in _parameters() if parameter in signature]
    for parameter in given:
        if parameter not in DATA_DEFAULTS and parameter not in accepted:
            takes = ", ".join(_option(p) for p in accepted)
            raise UsageError(f"{_option(parameter)} is not an option of {name} (it takes {takes})")
    return accepted


def _settings(args, out: Path, given: dict, cls, accepted: list[str]) -> dict:
    """The run's settings: model name, data options and constructor parameters (on --resume
    ``epochs`` only if given: the caller then takes it from the checkpoint)."""
    if given.get("data", "").startswith("folder:"):
        # absolute, so that --resume from another working folder reads the same images
        given = {**given, "data": "folder:" + str(Path(given["data"][len("folder:") :]).resolve())}
    if not args.resume:
        if (out / CHECKPOINT_FILE).exists():
            raise UsageError(f"'{out}' already holds a trained model; add --resume to continue it "
                             "or choose another --out")
        signature = inspect.signature(cls.__init__).parameters
        defaults = {key: COMMAND_DEFAULTS.get(key, signature[key].default) for key in accepted}
        return {"model": args.model, **DATA_DEFAULTS, **defaults, **given}
    run_file = out / RUN_FILE
    if not (out / CHECKPOINT_FILE).is_file() or not run_file.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint in '{out}' (an interrupted run leaves "
                                f"model.keras and {RUN_FILE}); start again without --resume")
    try:
        saved = json.loads(run_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--resume: '{run_file}' is not valid JSON ({exc})") from exc
    if not isinstance(saved, dict) or saved.get("model") != args.model:
        model = saved.get("model") if isinstance(saved, dict) else None
        raise UsageError(f"--resume: '{out}' holds a {model!r} run, not {args.model!r}")
    if not isinstance(saved.get("data"), str):
        raise UsageError(f"--resume: '{run_file}' does not say which --data the run used; "
                         "start again without --resume")
    for key, value in given.items():
        if key != "epochs" and value != saved.get(key):
            option = "--" + key.replace("_", "-")
            raise UsageError(f"--resume continues the run in '{out}', which used {option} "
                             f"{saved.get(key)}; drop {option} {value} or choose another --out")
    return {**saved, **given}


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr if file is None else file)


def _truncate_log(path: Path, epochs_done: int) -> None:
    """Keep the log rows of the epochs the checkpoint holds: a kill between the log row and the
    checkpoint of an epoch (or in the middle of a row) would otherwise log that epoch twice."""
    if not path.is_file():
        return
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    header, kept = rows[0], []
    for row in rows[1:]:
        if len(row) == len(header) and row[0].isdigit() and int(row[0]) < epochs_done:
            kept.append(row)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        csv.writer(handle).writerows([header, *kept])


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def _load_training_images(settings: dict, workers: int = 2):
    """uint8 RGB (n, S, S, 3), labels (n,) or None and class names for the run's ``--data`` spec
    (:func:`chroma_lab.data.load_dataset`); for ``--stream`` a
    :class:`chroma_lab.data.FolderStream` of the folder in place of the array, and no labels."""
    from chroma_lab.data import FolderStream, load_dataset

    if settings.get("stream"):
        stream = FolderStream(settings["data"][len("folder:") :], settings["image_size"],
                              batch_size=settings["batch_size"], seed=settings.get("seed", 0),
                              augment=settings.get("augment", False), workers=workers)  # fmt: skip
        return stream, None, None
    return load_dataset(settings["data"], settings["image_size"],
                        n_scenes=settings.get("n_scenes", DATA_DEFAULTS["n_scenes"]),
                        seed=settings.get("seed", 0))  # fmt: skip


def _labels_for(method, labels, class_names=None) -> dict:
    """``labels`` (and ``class_names``) for a ``fit`` / ``continue_fit`` that takes them: the
    scenes' classes, a folder's subfolders or manifest categories train a model's classifier."""
    accepted = inspect.signature(method).parameters
    given = {"labels": labels, "class_names": class_names}
    return {key: value for key, value in given.items() if key in accepted and value is not None}


def _check_data_spec(spec: str) -> str:
    from chroma_lab.data import check_data_spec

    try:
        return check_data_spec(spec)
    except ValueError as exc:
        raise UsageError(f"--data: {exc}") from exc


# ----------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------
def _callbacks(colorizer, images, out: Path, append: bool, label: str, every: int = 0,
               chief: bool = True) -> list:  # fmt: skip
    import keras
    import numpy as np

    from chroma_lab.data import FolderStream, to_gray

    streamed = isinstance(images, FolderStream)
    samples = images.read(np.arange(min(N_SAMPLES, len(images.files)))) if streamed \
        else images[:N_SAMPLES]
    gray = to_gray(samples)

    class Checkpoint(keras.callbacks.Callback):
        """Save the colorizer atomically at the end of every epoch (and every ``every`` steps)."""

        def on_train_batch_end(self, batch, logs=None):
            if not every:
                return
            # through self.model: on JAX that copies the training state back into the variables
            if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) % every == 0:
                colorizer.save(out)

        def on_epoch_end(self, epoch, logs=None):
            colorizer.save(out)

    class SkippedFiles(keras.callbacks.Callback):
        """Put the count of unreadable files so far into the epoch's logs (a log.csv column)."""

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["skipped_files"] = len(images.skipped)

    class Figures(keras.callbacks.Callback):
        """Loss curves so far and sample colorizations, after every epoch."""

        def on_epoch_end(self, epoch, logs=None):
            from chroma_lab import viz

            history = _read_log(out / LOG_FILE)
            if history:
                curves = viz.plot_loss_curves({getattr(colorizer, "loss", label): history})
                _save_figure(curves, out / CURVES_FILE)
            colorized = colorizer.colorize(gray)
            fig = viz.plot_colorizations(gray, samples, {f"epoch {epoch + 1}": colorized})
            (out / SAMPLES_DIR).mkdir(exist_ok=True)
            _save_figure(fig, out / SAMPLES_DIR / f"epoch_{epoch + 1:03d}.png")

    if not chief:  # its save only takes part in reading the weights out (see KerasColorizer.save)
        return [Checkpoint()]
    # the log row first, then the checkpoint: a kill in between is repaired by _truncate_log
    logger = keras.callbacks.CSVLogger(str(out / LOG_FILE), append=append)
    return [*([SkippedFiles()] if streamed else []), logger, Checkpoint(), Figures()]


def _read_log(path: Path) -> dict:
    """log.csv -> {"loss": [...], ...} with one value per logged epoch."""
    if not path.is_file():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    history = {}
    for key in (rows[0] if rows else {}):
        values = [row[key] for row in rows]
        # CSVLogger writes "NA" for a value an epoch did not log (val_loss without validation)
        if key != "epoch" and all(v not in ("", "NA") for v in values):
            history[key] = [float(v) for v in values]
    return history


def _save_figure(fig, path: Path) -> None:
    from chroma_lab.viz import save_figure

    with atomic_path(path) as tmp:
        save_figure(fig, tmp)
