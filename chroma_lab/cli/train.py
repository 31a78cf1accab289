"""``chroma-lab train``: train a colorization model, with checkpoints that survive a kill -9.

    chroma-lab train zhang --size small --loss full --data scenes --epochs 10 --out runs/zhang
    chroma-lab train zhang --out runs/zhang --resume            # after an interruption

Data: ``photos`` (the 9 bundled photos), ``scenes`` (``--n-scenes`` synthetic landscapes, 512 by
default) or ``folder:PATH`` (every image in a folder). Every image is centre-cropped to
``--image-size``. Every model's ``fit`` gets the data's labels, if it has any: the scenes' classes,
a folder's subfolder names or ``manifest.csv`` categories (iizuka's scene classifier learns them,
the other models ignore them); data without labels trains iizuka's colour loss alone. An
``--out`` inside the ``--data`` folder is refused: the run's own figures would become its data.

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
  same images and refuses an option that would change the run. Written with the first
  checkpoint (or at the end of a run of no epochs): a run refused or failed before that leaves
  no file, and an ``--out`` it created is removed again.

One run at a time: the run holds a lock on ``--out`` (``flock``, released by the operating system
when the run ends, killed or not), and a second run into the same folder, ``--resume`` included,
is refused in one line. (Not on Windows, which cannot lock a folder.) ``--resume`` draws again
what a kill may have cut short: the loss curves from ``log.csv`` and the samples of the
checkpoint's epoch.

Models: the names of :data:`chroma_lab.models.registry.TRAINABLE`. Each class declares its options
(``cli_options``: option -> constructor parameter, see :mod:`chroma_lab.models.base`);
``chroma-lab train MODEL --help`` lists them, and another model's option is refused in one line
("--loss is not an option of ..."). Unset, each takes the class's default, except ``--epochs``
(10). Adding a model needs no change here.

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
import contextlib
import csv
import json
import sys
import warnings
from pathlib import Path

from chroma_lab._checks import check_int
from chroma_lab._files import atomic_path, folder_lock, remove_stale_temporaries, resolve_path, write_json_atomic
from chroma_lab.cli import UsageError, check_output_folder, import_keras
from chroma_lab.errors import ChromaLabError
from chroma_lab.models.registry import TRAINABLE, colorizer_class

# The command's own default where it differs from the class's: a short run on a CPU.
COMMAND_DEFAULTS = {"epochs": 10}
DATA_DEFAULTS = {"data": "scenes", "n_scenes": 512, "stream": False, "augment": False}
CHECKPOINT_FILE = "model.keras"  # written by the colorizer's save, with colorizer.json
LOG_FILE, RUN_FILE, CURVES_FILE, SAMPLES_DIR = "log.csv", "train.json", "loss_curves.png", "samples"
N_SAMPLES = 4


def add_arguments(parser, required: bool = True) -> None:
    """The options every model shares; :func:`add_model_arguments` adds the model's own."""
    parser.add_argument("model", nargs=None if required else "?",
                        help=f"the model to train: {', '.join(TRAINABLE)} ('chroma-lab train MODEL "
                             "--help' lists its options)")  # fmt: skip
    parser.add_argument("--out", required=required, metavar="DIR", help="folder for checkpoints, log and figures")
    parser.add_argument("--data", default=argparse.SUPPRESS,
                        help="photos, scenes (default) or folder:PATH")  # fmt: skip
    parser.add_argument("--n-scenes", type=int, default=argparse.SUPPRESS,
                        help=f"images for --data scenes (default {DATA_DEFAULTS['n_scenes']})")  # fmt: skip
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


def add_model_arguments(parser, argv: list[str]) -> None:
    """Add the options of the model ``argv`` names (its class's ``cli_options``) to ``parser``.

    Called by :func:`chroma_lab.cli.parse_args` with the command's arguments. An option that
    neither the command nor the model takes is refused with a :class:`UsageError` naming the
    model's options. An unknown model adds nothing (``main`` refuses it).
    """
    probe = argparse.ArgumentParser(prog=parser.prog, add_help=False, exit_on_error=False)
    add_arguments(probe, required=False)
    probe.add_argument("--debug", action="store_true")
    try:
        known, rest = probe.parse_known_intermixed_args(argv)
    except argparse.ArgumentError:  # a malformed shared option: the command's parser reports it
        return
    if known.model not in TRAINABLE:
        return
    import_keras()  # the model's module imports Keras: without TensorFlow's start-up notes
    options = colorizer_class(known.model).cli_options
    group = parser.add_argument_group(f"options of {known.model}")
    for option, (parameter, keywords) in options.items():
        group.add_argument(option, dest=parameter, default=argparse.SUPPRESS, **keywords)
    for token in rest:
        option = token.split("=", 1)[0]
        if option.startswith("--") and option not in options and option != "--help":
            raise UsageError(f"{option} is not an option of {known.model} (it takes {', '.join(options)})")


def main(args) -> int:
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning  # e.g. a stream's skipped file: one line each
        return _train(args)


def _train(args) -> int:
    out, given = _check_arguments(args)
    import_keras()
    chief = _setup_devices(args)
    cls = colorizer_class(args.model)
    with _run_folder(out, chief):
        colorizer, settings = _resumed(args, out, given, cls) if args.resume else _new(args, out, given, cls)
        colorizer.validate_params()  # a bad option fails here, before data are read or files written
        images, labels, class_names = _load_training_images(settings, workers=args.workers)
        y = None if labels is None else [class_names[i] for i in labels]
        if args.resume:
            if chief:
                _tidy_resumed_folder(out, colorizer, images, args.model)
            if colorizer.epochs_done_ >= settings["epochs"]:
                print(f"{out}: already trained for {colorizer.epochs_done_} epochs (--epochs "
                      f"{settings['epochs']}); nothing to do")
                return 0
            step = colorizer.steps_into_epoch_
            at = f", step {step + 1} of {colorizer.steps_per_epoch_}" if step else ""
            print(f"resuming {out} at epoch {colorizer.epochs_done_ + 1} of {settings['epochs']}{at}")
        run_file = _RunFile(out / RUN_FILE, settings, colorizer, written=args.resume or not chief)
        callbacks = _callbacks(colorizer, images, out, append=args.resume, label=args.model,
                               every=args.checkpoint_every, chief=chief, run_file=run_file)  # fmt: skip
        train = colorizer.continue_fit if args.resume else colorizer.fit
        train(images, y, callbacks=callbacks)
        run_file.write()  # a run of no epochs saved no checkpoint
    _report(colorizer, images, settings, out)
    return 0


def _check_arguments(args) -> tuple:
    """The output folder and the options given, checked before Keras is imported."""
    out = check_output_folder(args.out)
    if args.model not in TRAINABLE:
        raise UsageError(f"unknown model {args.model!r}; available: {', '.join(TRAINABLE)}")
    given = {key: value for key, value in vars(args).items()
             if key in DATA_DEFAULTS or key in _model_parameters(args)}  # fmt: skip
    data = _check_data_spec(given.get("data", DATA_DEFAULTS["data"]))
    if data.startswith("folder:"):
        # absolute, so that --resume from another working folder reads the same images
        given["data"] = data
        _refuse_out_in_data(out, Path(data[len("folder:") :]))
    check_int(given.get("n_scenes", 1), "--n-scenes", low=1)
    check_int(args.checkpoint_every, "--checkpoint-every", low=0)
    check_int(args.workers, "--workers", low=1)
    if given.get("stream") and not data.startswith("folder:"):
        raise UsageError("--stream reads a folder: use it with --data folder:PATH")
    if given.get("augment") and not given.get("stream"):
        raise UsageError("--augment crops and flips a stream's images: use it with --stream")
    return out, given


def _model_parameters(args) -> set:
    """The constructor parameters the parsed options set (the model's ``cli_options``)."""
    return {parameter for parameter, _ in colorizer_class(args.model).cli_options.values()}


def _refuse_out_in_data(out: Path, folder: Path) -> None:
    """Refuse an --out inside the --data folder: its figures would be read as training images
    (and a --stream run would find more images on --resume than it started with)."""
    out_path, data_path = resolve_path(out), resolve_path(folder)
    if out_path == data_path or data_path in out_path.parents:
        raise UsageError(f"--out '{out}' is inside the --data folder '{folder}': the run's figures "
                         "would become training images; choose an --out outside it")


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


@contextlib.contextmanager
def _run_folder(out: Path, chief: bool):
    """Create ``out`` if needed and hold its lock while the run works in it; a run that fails
    before writing anything removes the folders it created. Other processes than 0 write nothing."""
    if not chief:
        yield
        return
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    out.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(out, "another chroma-lab train run"):
            yield
    except BaseException:
        for folder in created:  # deepest first; a folder that holds anything stays
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _report(colorizer, images, settings: dict, out: Path) -> None:
    done = colorizer.epochs_done_
    n_images = len(images.files) if settings.get("stream") else len(images)
    skipped = len(images.skipped) if settings.get("stream") else 0
    unreadable = f" ({skipped} unreadable file{'s' * (skipped != 1)} skipped)" if skipped else ""
    print(f"trained {done} epoch{'s' * (done != 1)} on {n_images - skipped} images{unreadable}; "
          f"model in {out}")


# ----------------------------------------------------------------------------------------------
# Options and settings: defaults for a new run, the saved ones for --resume
# ----------------------------------------------------------------------------------------------
def _new(args, out: Path, given: dict, cls) -> tuple:
    """A new colorizer and the run's settings: model name, data options and every constructor
    parameter the model's options set (the class's default unless given)."""
    if (out / CHECKPOINT_FILE).exists():
        raise UsageError(f"'{out}' already holds a trained model; add --resume to continue it "
                         "or choose another --out")
    defaults = cls().get_params()
    parameters = {parameter: COMMAND_DEFAULTS.get(parameter, defaults[parameter])
                  for parameter, _ in cls.cli_options.values()}  # fmt: skip
    settings = {"model": args.model, **DATA_DEFAULTS, **parameters, **given}
    return cls(**{key: settings[key] for key in parameters}), settings


def _resumed(args, out: Path, given: dict, cls) -> tuple:
    """The colorizer saved in ``out`` and the run's settings from ``train.json``; an option given
    that would change the run is refused. ``--epochs`` may change: it is the run's length."""
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
    colorizer = cls.load(out)
    checkpoint = colorizer.get_params()
    # the checkpoint's own parameters for any that train.json lacks
    parameters = {parameter: checkpoint[parameter] for parameter, _ in cls.cli_options.values()}
    settings = {**DATA_DEFAULTS, **parameters, **saved, **given}
    settings["epochs"] = given.get("epochs", checkpoint["epochs"])
    colorizer.set_params(epochs=settings["epochs"], verbose="auto")
    return colorizer, settings


class _RunFile:
    """``train.json``, written once: with the first checkpoint, so that a run refused or failed
    before it leaves no file (and --resume finds both or neither)."""

    def __init__(self, path: Path, settings: dict, colorizer, written: bool = False):
        self.path, self.settings, self.colorizer, self.written = path, settings, colorizer, written

    def write(self) -> None:
        if self.written:
            return
        settings = {key: value for key, value in self.settings.items() if key != "epochs"}
        if settings.get("stream"):  # how many files the fit-time state was learnt from
            settings["setup_sample"] = self.colorizer.setup_sample_
        write_json_atomic(self.path, settings)
        self.written = True


def _tidy_resumed_folder(out: Path, colorizer, images, label: str) -> None:
    """Before a resumed run: drop the log rows and temporaries of the killed run, and draw again
    the figures a kill may have cut short (loss curves, the checkpoint's epoch's samples)."""
    done = colorizer.epochs_done_
    _truncate_log(out / LOG_FILE, done)
    remove_stale_temporaries(out)  # half-written files of the killed run
    _draw_curves(out, colorizer, label)
    sample = out / SAMPLES_DIR / f"epoch_{done:03d}.png"
    if done and not colorizer.steps_into_epoch_ and not sample.is_file():
        _draw_samples(out, colorizer, *_sample_images(images), done)


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


def _check_data_spec(spec: str) -> str:
    from chroma_lab.data import check_data_spec

    try:
        return check_data_spec(spec)
    except ChromaLabError as exc:
        raise UsageError(f"--data: {exc}") from exc


# ----------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------
def _callbacks(colorizer, images, out: Path, append: bool, label: str, every: int = 0,
               chief: bool = True, run_file: _RunFile | None = None) -> list:  # fmt: skip
    """The run's Keras callbacks: checkpoints (with ``train.json`` before the first), the log,
    the skipped-file count of a stream, the figures."""
    import keras

    gray, samples = _sample_images(images)

    class Checkpoint(keras.callbacks.Callback):
        """Save the colorizer atomically at the end of every epoch (and every ``every`` steps)."""

        def on_train_batch_end(self, batch, logs=None):
            if not every:
                return
            # through self.model: on JAX that copies the training state back into the variables
            if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) % every == 0:
                self.save()

        def on_epoch_end(self, epoch, logs=None):
            self.save()

        def save(self):
            if run_file is not None:
                run_file.write()
            colorizer.save(out)

    class SkippedFiles(keras.callbacks.Callback):
        """Put the count of unreadable files so far into the epoch's logs (a log.csv column)."""

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["skipped_files"] = len(images.skipped)

    class Figures(keras.callbacks.Callback):
        """Loss curves so far and sample colorizations, after every epoch."""

        def on_epoch_end(self, epoch, logs=None):
            _draw_curves(out, colorizer, label)
            _draw_samples(out, colorizer, gray, samples, epoch + 1)

    if not chief:  # its save only takes part in reading the weights out (see KerasColorizer.save)
        return [Checkpoint()]
    # the log row first, then the checkpoint: a kill in between is repaired by _truncate_log
    logger = keras.callbacks.CSVLogger(str(out / LOG_FILE), append=append)
    from chroma_lab.data import FolderStream

    streamed = isinstance(images, FolderStream)
    return [*([SkippedFiles()] if streamed else []), logger, Checkpoint(), Figures()]


def _sample_images(images) -> tuple:
    """Gray and colour versions of the first training images, for the sample figures."""
    import numpy as np

    from chroma_lab.data import FolderStream, to_gray

    if isinstance(images, FolderStream):
        samples = images.read(np.arange(min(N_SAMPLES, len(images.files))))
    else:
        samples = images[:N_SAMPLES]
    return to_gray(samples), samples


def _draw_curves(out: Path, colorizer, label: str) -> None:
    """``loss_curves.png`` from ``log.csv``, named by the model's loss if it has a choice of them."""
    from chroma_lab import viz

    history = _read_log(out / LOG_FILE)
    if history:
        name = colorizer.get_params().get("loss", label)
        _save_figure(viz.plot_loss_curves({name: history}), out / CURVES_FILE)


def _draw_samples(out: Path, colorizer, gray, samples, epoch: int) -> None:
    """``samples/epoch_NNN.png``: the sample images colorized by the model after ``epoch``."""
    from chroma_lab import viz

    fig = viz.plot_colorizations(gray, samples, {f"epoch {epoch}": colorizer.colorize(gray)})
    (out / SAMPLES_DIR).mkdir(exist_ok=True)
    _save_figure(fig, out / SAMPLES_DIR / f"epoch_{epoch:03d}.png")


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
