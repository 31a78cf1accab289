"""``chroma-lab train``: one-line errors, checkpoints, and a real kill -9 followed by --resume."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from PIL import Image

from chroma_lab import cli
from chroma_lab._checks import check_int
from chroma_lab.color import denormalize_ab, normalize_ab, rgb_to_lab
from chroma_lab.models.keras_colorizer import KerasColorizer, LightnessFromRGB
from chroma_lab.models.zhang2016 import ZhangColorizer

# 24 scenes of 16x16 in batches of 8: 3 steps an epoch, a second or so
TINY = ["--data", "scenes", "--n-scenes", "24", "--image-size", "16", "--batch-size", "8"]


def _train(out, *extra):
    return cli.main(["train", "zhang", "--out", str(out), *TINY, *extra])


def _log_epochs(out):
    with open(out / "log.csv", newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def _weights(colorizer):
    return [keras.ops.convert_to_numpy(w) for w in colorizer.model_.weights]


class ToyColorizer(KerasColorizer):
    """A colorizer defined here, not in chroma_lab: two 1x1 convolutions from L to ab, and an
    option of its own (--width). Registered by a test, it must train, resume and colorize through
    the commands with no change in chroma_lab/cli."""

    registry_name = "toy"
    predicts_at_training_scale = False  # per pixel: any size
    cli_options = {**KerasColorizer.cli_options,
                   "--width": ("width", {"type": int, "help": "hidden units (default 4)"})}  # fmt: skip

    def __init__(self, width=4, image_size=16, epochs=1, batch_size=4, learning_rate=0.01, seed=0,
                 verbose="auto"):  # fmt: skip
        self.width, self.image_size, self.epochs, self.batch_size = width, image_size, epochs, batch_size
        self.learning_rate, self.seed, self.verbose = learning_rate, seed, verbose

    def validate_params(self):
        super().validate_params()
        check_int(self.width, "width", low=1)

    def _setup(self, images):
        pass

    def _build_model(self):
        lightness = keras.Input((None, None, 1))
        hidden = keras.layers.Conv2D(self.width, 1, activation="relu")(lightness)
        network = keras.Model(lightness, keras.layers.Conv2D(2, 1)(hidden), name="toy")
        rgb = keras.Input((None, None, 3), dtype="uint8")
        model = keras.Model(rgb, network(LightnessFromRGB()(rgb)))
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        return model

    def _training_data(self, images):
        return images, normalize_ab(rgb_to_lab(images)[..., 1:]).astype(np.float32)

    def _decode(self, output):
        return denormalize_ab(keras.ops.convert_to_numpy(output).astype(np.float64))


@pytest.mark.parametrize("argv, message", [
    (["train", "resnet", "--out", "{tmp}/o"], "unknown model 'resnet'; available: zhang"),
    (["train", "zhang", "--out", "{tmp}/o", "--loss", "huber"], "loss must be one of"),
    (["train", "zhang", "--out", "{tmp}/o", "--size", "huge"], "size must be one of"),
    (["train", "zhang", "--out", "{tmp}/o", "--epochs", "-1"], "epochs must be an int >= 0, got -1"),
    (["train", "zhang", "--out", "{tmp}/o", "--learning-rate", "0"], "learning_rate must be a number > 0"),
    (["train", "zhang", "--out", "{tmp}/o", "--n-scenes", "0"], "--n-scenes must be an int >= 1, got 0"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "imagenet"], "--data: unknown data spec 'imagenet'"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/nope"], "No folder at '{tmp}/nope'"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/empty"], "No images found in '{tmp}/empty'"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/junk"], "Cannot read '{tmp}/junk/notes.png'"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/file.txt"], "'{tmp}/file.txt' is a file, not a folder"),
    (["train", "zhang", "--out", "{tmp}/file.txt"], "--out '{tmp}/file.txt' is a file"),
    (["train", "zhang", "--out", "{tmp}/file.txt/run"], "'{tmp}/file.txt' is a file, not a folder"),
    (["train", "zhang", "--out", "{tmp}/o", "--resume"], "--resume: no checkpoint"),
    (["train", "zhang", "--out", "{tmp}/half", "--resume"], "--resume: '{tmp}/half/train.json' is not valid JSON"),
    (["train", "zhang", "--out", "{tmp}/junk_model", "--resume"], "'{tmp}/junk_model'"),
    (["train", "zhang", "--out", "{tmp}/o", "--image-size", "20"], "multiple of 8"),
    (["train", "toy", "--out", "{tmp}/o", "--loss", "l2"],
     "--loss is not an option of toy (it takes --epochs, --batch-size, --image-size, --learning-rate, --seed, --width)"),
    (["train", "toy", "--out", "{tmp}/o", "--size", "full"], "--size is not an option of toy"),
    (["train", "toy", "--out", "{tmp}/o", "--width", "0"], "width must be an int >= 1, got 0"),
    (["train", "cnn", "--out", "{tmp}/o", "--size", "full"], "--size is not an option of cnn (it takes --loss,"),
    (["train", "zhang", "--out", "{tmp}/o", "--augment"], "--augment crops and flips a stream's images"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "photos", "--stream"],
     "--stream reads a folder: use it with --data folder:PATH"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/nothere", "--stream"],
     "is not a folder of images"),
    # issue 20: an --out inside the data would train on its own figures (and never resume a stream)
    (["train", "zhang", "--out", "{tmp}/pics/run", "--data", "folder:{tmp}/pics"], "is inside the --data folder"),
    (["train", "zhang", "--out", "{tmp}/pics", "--data", "folder:{tmp}/pics", "--stream"],
     "is inside the --data folder"),
    # symbolic link loops: one line naming them, not a RuntimeError traceback
    (["train", "zhang", "--out", "{tmp}/loop"], "'{tmp}/loop': a symbolic link loop"),
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/loop"], "'{tmp}/loop': a symbolic link loop"),
    # a stream of unreadable files only: refused, and no train.json (nor --out) left behind
    (["train", "zhang", "--out", "{tmp}/o", "--data", "folder:{tmp}/unreadable", "--stream", "--image-size",
      "16", "--batch-size", "2"], "none of the files of a batch could be read"),
])  # fmt: skip
def test_errors_are_one_line(argv, message, tmp_path, capsys, monkeypatch):
    """Bad options, data and output folders: one line naming them, exit 1, nothing written."""
    from chroma_lab.models import registry

    monkeypatch.setitem(registry.TRAINABLE, "toy", f"{__name__}:ToyColorizer")
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.png").write_text("a text file named .png")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.keras").write_text("x")
    (tmp_path / "half" / "train.json").write_text("{cut short")
    (tmp_path / "junk_model").mkdir()  # a run's files, but a model file that is not a Keras archive
    (tmp_path / "junk_model" / "model.keras").write_text("not a zip")
    (tmp_path / "junk_model" / "train.json").write_text('{"model": "zhang", "data": "scenes"}')
    (tmp_path / "pics").mkdir()
    Image.fromarray(np.full((20, 20, 3), 90, np.uint8)).save(tmp_path / "pics" / "a.png")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "unreadable").mkdir()
    for i in range(3):
        (tmp_path / "unreadable" / f"{i}.png").write_text("not an image")
    before = sorted(tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    err = "\n".join(line for line in err.splitlines() if not line.startswith("warning: Skipped"))
    assert err.startswith("chroma-lab train: error: ") and message.replace("{tmp}", str(tmp_path)) in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_a_read_only_output_folder_is_one_line(read_only_folder, capsys):
    locked = read_only_folder
    assert _train(locked / "run") == 1
    assert "no permission to write in" in capsys.readouterr().err


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(tmp_path, capsys):
    assert _train(tmp_path / "a", "--epochs", "2") == 0
    assert _train(tmp_path / "b", "--epochs", "1") == 0
    assert _train(tmp_path / "b", "--epochs", "2", "--resume") == 0
    a, b = ZhangColorizer.load(tmp_path / "a"), ZhangColorizer.load(tmp_path / "b")
    assert a.epochs_done_ == b.epochs_done_ == 2
    # same weights, BatchNorm statistics and Adam moments, bit for bit, on a CPU
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)
    for name in ("m", "v"):
        va = [keras.ops.convert_to_numpy(v) for v in a.model_.optimizer.variables if name in v.path]
        vb = [keras.ops.convert_to_numpy(v) for v in b.model_.optimizer.variables if name in v.path]
        assert va and all(np.array_equal(x, y) for x, y in zip(va, vb))
    assert _log_epochs(tmp_path / "a") == _log_epochs(tmp_path / "b") == [0, 1]
    for out in ("a", "b"):
        assert (tmp_path / out / "loss_curves.png").is_file()
        assert (tmp_path / out / "samples" / "epoch_002.png").is_file()
    # a finished run: nothing to do; a second fresh start in the same folder: refused
    assert _train(tmp_path / "b", "--epochs", "2", "--resume") == 0
    assert _train(tmp_path / "b", "--epochs", "2") == 1
    assert "already holds a trained model" in capsys.readouterr().err
    assert _train(tmp_path / "b", "--resume", "--loss", "l2") == 1
    assert "which used --loss full" in capsys.readouterr().err


@pytest.mark.slow
def test_kill_dash_nine_then_resume(tmp_path):
    out = tmp_path / "run"
    epochs = 8
    cmd = [sys.executable, "-m", "chroma_lab.cli", "train", "zhang", "--out", str(out), *TINY,
           "--epochs", str(epochs)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "model.keras").exists():
            assert proc.poll() is None, "training exited before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    interrupted = ZhangColorizer.load(out)  # the checkpoint on disk is complete and loads
    assert 1 <= interrupted.epochs_done_ < epochs
    assert cli.main(["train", "zhang", "--out", str(out), "--resume"]) == 0
    done = ZhangColorizer.load(out)
    assert done.epochs_done_ == epochs
    assert _log_epochs(out) == list(range(epochs))  # each epoch logged once
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]  # leftovers cleaned up


@pytest.mark.slow  # two commands end to end, ~3 s
def test_another_registered_model_trains_and_colorizes_through_the_same_commands(tmp_path):
    from PIL import Image

    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    out = tmp_path / "cnn"
    assert cli.main(["train", "cnn", "--out", str(out), *TINY[:2], "--n-scenes", "8", "--image-size", "16",
                     "--batch-size", "8", "--epochs", "1"]) == 0  # fmt: skip
    saved = json.loads((out / "train.json").read_text())
    assert saved["model"] == "cnn" and "size" not in saved  # the options cnn takes, and only those
    assert saved["loss"] == PaletteCNNColorizer().loss and saved["learning_rate"] == PaletteCNNColorizer().learning_rate
    assert _log_epochs(out) == [0] and (out / "samples" / "epoch_001.png").is_file()
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(photo)
    assert cli.main(["colorize", str(photo), "--model", str(out), "--out", str(tmp_path / "colorized")]) == 0
    result = Image.open(tmp_path / "colorized" / "photo.png")
    assert result.mode == "RGB" and result.size == (20, 12)


def test_data_specs(tmp_path, monkeypatch):
    from PIL import Image

    from chroma_lab.cli import train

    folder = tmp_path / "pics"
    folder.mkdir()
    for i, shape in enumerate([(20, 30, 3), (40, 24, 3), (16, 16, 3)]):
        Image.fromarray(np.full(shape, 40 * i, np.uint8)).save(folder / f"{i}.png")
    images, labels, _ = train._load_training_images({"data": f"folder:{folder}", "image_size": 16})
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8 and labels is None
    scenes, labels, names = train._load_training_images({"data": "scenes", "image_size": 16, "n_scenes": 5, "seed": 0})
    assert scenes.shape == (5, 16, 16, 3) and len(labels) == 5 and len(names) == 6
    # a relative folder is stored absolute, so --resume works from any working folder
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "zhang", "--out", "o", "--data", "folder:pics", "--epochs", "0",
                     "--image-size", "16"]) == 0  # fmt: skip
    saved = json.loads((tmp_path / "o" / "train.json").read_text())
    assert saved["data"] == f"folder:{folder.resolve()}"
    # every constructor option the model takes is saved with its value (the class's default
    # unless given), the epochs excepted: --resume may change them
    assert {k: saved[k] for k in ("model", "size", "loss", "image_size", "batch_size", "seed")} == \
        {"model": "zhang", "size": "small", "loss": "full", "image_size": 16, "batch_size": 16, "seed": 0}
    assert saved["learning_rate"] == ZhangColorizer().learning_rate and "epochs" not in saved


# ----------------------------------------------------------------------------------------------
# One run per folder (issue 20, item 3)
# ----------------------------------------------------------------------------------------------
_HOLD_LOCK = """
import sys, time
from chroma_lab._files import folder_lock
with folder_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(300)
"""


def _hold_lock(folder):
    """A process holding ``folder``'s lock, as a running train does; returns it once it holds it."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path, capsys):
    """Two runs into one --out: the second is refused in one line (before, both ran and the folder
    held whichever saved last); a --resume started meanwhile is refused too, before its clean-up
    of stale temporaries could delete the live run's checkpoint in progress. A lock held by a
    killed process is free (flock is released with the process)."""
    out = tmp_path / "run"
    out.mkdir()
    live = out / ".model.12345.tmp.keras"  # the running run's checkpoint being written
    live.write_bytes(b"half a checkpoint")
    holder = _hold_lock(out)
    try:
        for extra in (["--resume"], []):
            assert _train(out, "--epochs", "0", *extra) == 1
            err = capsys.readouterr().err
            assert err == f"chroma-lab train: error: '{out}' is in use by another chroma-lab train run; " \
                          "wait until it ends or choose another folder\n", err
            assert [p.name for p in out.iterdir()] == [live.name]  # untouched
    finally:
        holder.kill()
        holder.wait()
    assert _train(out, "--epochs", "0") == 0  # the killed holder's lock is gone
    assert (out / "train.json").is_file()


@pytest.mark.slow
def test_resume_redraws_the_figures_a_kill_cut_short(tmp_path, capsys):
    """Killed after the checkpoint and before the figures of an epoch: the resume draws the loss
    curves from log.csv and the samples of the checkpoint's epoch again."""
    out = tmp_path / "run"
    assert _train(out, "--epochs", "1") == 0
    shutil.rmtree(out / "samples")
    (out / "loss_curves.png").unlink()
    assert _train(out, "--resume", "--epochs", "1") == 0  # nothing to train; the figures come back
    assert "nothing to do" in capsys.readouterr().out
    assert (out / "loss_curves.png").is_file() and (out / "samples" / "epoch_001.png").is_file()
    (out / "samples" / "epoch_001.png").unlink()
    assert _train(out, "--resume", "--epochs", "2") == 0
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]


# ----------------------------------------------------------------------------------------------
# A colorizer the command line has never heard of (issue 21, item 4)
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_new_colorizer_needs_no_change_in_the_command_line(tmp_path, monkeypatch, capsys):
    """ToyColorizer, defined in this file and registered here, trains with its own option, resumes
    and colorizes through the commands; its --help lists its option."""
    from chroma_lab.models import registry

    monkeypatch.setitem(registry.TRAINABLE, "toy", f"{__name__}:ToyColorizer")
    out = tmp_path / "toy"
    args = ["train", "toy", "--out", str(out), *TINY[:4], "--image-size", "16", "--batch-size", "8"]
    assert cli.main([*args, "--width", "3", "--epochs", "1"]) == 0
    saved = json.loads((out / "train.json").read_text())
    assert saved["model"] == "toy" and saved["width"] == 3 and "size" not in saved
    assert cli.main(["train", "toy", "--out", str(out), "--resume", "--epochs", "2"]) == 0
    model = registry.load_colorizer(out)
    assert isinstance(model, ToyColorizer) and model.width == 3 and model.epochs_done_ == 2
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(photo)
    assert cli.main(["colorize", str(photo), "--model", str(out), "--out", str(tmp_path / "c")]) == 0
    assert Image.open(tmp_path / "c" / "photo.png").size == (20, 12)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(["train", "toy", "--help"])
    assert re.search(r"--width WIDTH\s+hidden units \(default 4\)", capsys.readouterr().out)
