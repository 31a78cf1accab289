"""``chroma-lab train``: train a colorization model, with checkpoints that survive a kill -9.

    chroma-lab train zhang --size small --loss full --data scenes --epochs 10 --out runs/zhang
    chroma-lab train zhang --out runs/zhang --resume            # after an interruption

Data: ``photos`` (the 9 bundled photos), ``scenes`` (``--n-scenes`` synthetic landscapes, 512 by
default) or ``folder:PATH`` (every image in a folder). Every image is centre-cropped to
``--image-size``.

What lands in ``--out`` after every epoch:

* ``model.keras`` + ``colorizer.json``: the model with its optimizer state, loadable by
  ``ZhangColorizer.load`` and by ``chroma-lab colorize --model``. Written to a temporary file in
  the same folder, then moved into place with ``os.replace``: a kill leaves the previous epoch's
  complete checkpoint, never a half-written one. The epoch count is the optimizer's step counter
  divided by the steps per epoch, so it lives inside the same atomic file.
* ``log.csv``: one row per epoch (``keras.callbacks.CSVLogger``, appended to on resume);
* ``loss_curves.png`` and ``samples/epoch_NNN.png``: the loss so far and the first training
  images colorized by the current model.
* ``train.json``: the run's data settings, so ``--resume`` reloads the same images.

``--resume`` continues from the last checkpoint: same weights, optimizer state and epoch counter,
and epoch e shuffles the data with ``(seed, e)`` as an uninterrupted run does, so on a CPU the
resumed run ends with the same weights, bit for bit.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

MODELS = ("zhang",)
DEFAULTS = {"size": "small", "loss": "full", "data": "scenes", "epochs": 10, "batch_size": 16,
            "image_size": 64, "seed": 0, "learning_rate": 1e-3, "n_scenes": 512}  # fmt: skip
# settings a resumed run must share with the run it continues
_RUN_KEYS = ("size", "loss", "data", "batch_size", "image_size", "seed", "learning_rate", "n_scenes")
LOG_FILE, RUN_FILE, CURVES_FILE, SAMPLES_DIR = "log.csv", "train.json", "loss_curves.png", "samples"
N_SAMPLES = 4


def add_arguments(parser) -> None:
    parser.add_argument("model", help=f"the model to train: {', '.join(MODELS)}")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for checkpoints, log and figures")
    parser.add_argument("--size", help="network size: small (CPU, default) or full (the paper's)")
    parser.add_argument("--loss", help="full (rebalanced, default), class or l2: Table 1 of the paper")
    parser.add_argument("--data", help="photos, scenes (default) or folder:PATH")
    parser.add_argument("--epochs", type=int, help=f"epochs in all (default {DEFAULTS['epochs']})")
    parser.add_argument("--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}")
    parser.add_argument("--image-size", type=int, help=f"training square, a multiple of 8 (default {DEFAULTS['image_size']})")
    parser.add_argument("--learning-rate", type=float, help=f"Adam step (default {DEFAULTS['learning_rate']})")
    parser.add_argument("--n-scenes", type=int, help=f"images for --data scenes (default {DEFAULTS['n_scenes']})")
    parser.add_argument("--seed", type=int, help="weights and data order (default 0)")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out")


def main(args) -> int:
    if args.model not in MODELS:
        raise ValueError(f"unknown model {args.model!r}; available: {', '.join(MODELS)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out '{out}' is a file; give a folder")
    settings = _settings(args, out)
    _check_data_spec(settings["data"])

    from chroma_lab.models.zhang2016 import ZhangColorizer

    if args.resume:
        colorizer = ZhangColorizer.load(out)
        colorizer.epochs, colorizer.verbose = settings["epochs"], "auto"
        start = colorizer.epochs_done_
    else:
        colorizer = ZhangColorizer(size=settings["size"], loss=settings["loss"],
                                   image_size=settings["image_size"], epochs=settings["epochs"],
                                   batch_size=settings["batch_size"], seed=settings["seed"],
                                   learning_rate=settings["learning_rate"])  # fmt: skip
        start = 0
    colorizer._validate()  # a bad option fails here, before data are read or files written
    images = load_training_images(settings)
    out.mkdir(parents=True, exist_ok=True)
    if args.resume:
        _truncate_log(out / LOG_FILE, start)
        for stale in out.glob(".*.tmp*"):  # half-written files of the killed run
            stale.unlink()
    else:
        _write_json(out / RUN_FILE, {key: settings[key] for key in ("model", *_RUN_KEYS)})
    if start >= settings["epochs"]:
        print(f"{out}: already trained for {start} epochs (--epochs {settings['epochs']}); nothing to do")
        return 0
    callbacks = _callbacks(colorizer, images, out, append=args.resume)
    if args.resume:
        print(f"resuming {out} at epoch {start + 1} of {settings['epochs']}")
        colorizer.continue_fit(images, callbacks=callbacks)
    else:
        colorizer.fit(images, callbacks=callbacks)
    print(f"trained {colorizer.epochs_done_} epochs on {len(images)} images; model in {out}")
    return 0


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def load_training_images(settings: dict):
    """uint8 RGB (n, S, S, 3) for a data spec ``photos``, ``scenes`` or ``folder:PATH``."""
    size, spec = settings["image_size"], settings["data"]
    if spec == "photos":
        from chroma_lab.data import bundled_photos

        return bundled_photos(size=size)[0]
    if spec == "scenes":
        from chroma_lab.scenes import synthetic_scenes

        return synthetic_scenes(settings["n_scenes"], size=size, seed=settings["seed"])[0]
    from chroma_lab.data import load_folder

    return load_folder(spec[len("folder:") :], size=size)[0]


def _check_data_spec(spec: str) -> None:
    if spec in ("photos", "scenes") or (spec.startswith("folder:") and len(spec) > len("folder:")):
        return
    raise ValueError(f"unknown --data {spec!r}; use photos, scenes or folder:PATH")


# ----------------------------------------------------------------------------------------------
# Settings: defaults for a new run, the saved ones for --resume
# ----------------------------------------------------------------------------------------------
def _settings(args, out: Path) -> dict:
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key, None) is not None}
    if not args.resume:
        if (out / "model.keras").exists():
            raise ValueError(f"'{out}' already holds a trained model; add --resume to continue it "
                             "or choose another --out")
        settings = {"model": args.model, **DEFAULTS, **given}
        if settings["data"].startswith("folder:") and len(settings["data"]) > len("folder:"):
            # absolute, so that --resume from another working folder reads the same images
            settings["data"] = "folder:" + str(Path(settings["data"][len("folder:") :]).resolve())
        return settings
    run_file = out / RUN_FILE
    if not (out / "model.keras").is_file() or not run_file.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint in '{out}' (an interrupted run leaves "
                                f"model.keras and {RUN_FILE}); start again without --resume")
    try:
        saved = json.loads(run_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--resume: '{run_file}' is not valid JSON ({exc})") from exc
    if saved.get("model") != args.model:
        raise ValueError(f"--resume: '{out}' holds a {saved.get('model')!r} run, not {args.model!r}")
    for key in _RUN_KEYS:
        if key in given and given[key] != saved.get(key):
            option = "--" + key.replace("_", "-")
            raise ValueError(f"--resume continues the run in '{out}', which used {option} "
                             f"{saved.get(key)}; drop {option} {given[key]} or choose another --out")
    from chroma_lab.models.zhang2016 import SETTINGS_FILE

    saved_epochs = json.loads((out / SETTINGS_FILE).read_text()).get("epochs", DEFAULTS["epochs"])
    return {**saved, "epochs": given.get("epochs", saved_epochs)}


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="") as handle:
        csv.writer(handle).writerows([header, *kept])
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------
def _callbacks(colorizer, images, out: Path, append: bool) -> list:
    import keras

    from chroma_lab.data import to_gray

    samples = images[:N_SAMPLES]
    gray = to_gray(samples)

    class Checkpoint(keras.callbacks.Callback):
        """Save the colorizer atomically at the end of every epoch."""

        def on_epoch_end(self, epoch, logs=None):
            colorizer.save(out)

    class Figures(keras.callbacks.Callback):
        """Loss curves so far and sample colorizations, after every epoch."""

        def on_epoch_end(self, epoch, logs=None):
            from chroma_lab import viz

            history = _read_log(out / LOG_FILE)
            if history:
                _save_figure(viz.plot_loss_curves({colorizer.loss: history}), out / CURVES_FILE)
            colorized = colorizer.colorize(gray)
            fig = viz.plot_colorizations(gray, samples, {f"epoch {epoch + 1}": colorized})
            (out / SAMPLES_DIR).mkdir(exist_ok=True)
            _save_figure(fig, out / SAMPLES_DIR / f"epoch_{epoch + 1:03d}.png")

    # the log row first, then the checkpoint: a kill in between is repaired by _truncate_log
    return [keras.callbacks.CSVLogger(str(out / LOG_FILE), append=append), Checkpoint(), Figures()]


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

    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    save_figure(fig, tmp)
    os.replace(tmp, path)
