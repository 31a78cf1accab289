"""chroma_lab.data.streaming: a folder decoded batch by batch, seeded, sharded, resumable."""

import csv
import json
import multiprocessing
import warnings

import numpy as np
import pytest
from PIL import Image

from chroma_lab.data import FolderStream, load_folder, split_lab, streamed_class_prior
from chroma_lab.quantize import class_prior
from chroma_lab.scenes import synthetic_scenes

SIZE = 16


def _write_folder(root, n=10, nested=True, fmt="JPEG"):
    images, names = synthetic_scenes(n, size=24, seed=1)
    for i, (image, name) in enumerate(zip(images, names)):
        folder = root / name if nested else root
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"img{i:03d}.{'jpg' if fmt == 'JPEG' else 'png'}", fmt)
    return root


@pytest.fixture
def folder(tmp_path):
    return _write_folder(tmp_path / "scenes")


def _epoch_images(stream):
    return np.concatenate([stream[i] for i in range(len(stream))])


def test_lists_the_files_and_labels_load_folder_reads(folder):
    stream = FolderStream(folder, SIZE, batch_size=4, shuffle=False)
    images, labels = load_folder(folder, size=SIZE, progress=False)
    np.testing.assert_array_equal(stream.labels, labels)
    np.testing.assert_array_equal(_epoch_images(stream), images)
    assert len(stream) == 3 and stream[0].dtype == np.uint8


def test_manifest_lists_the_files(folder):
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))[:4]
    (folder / "manifest.csv").write_text("file,category\n" + "".join(f"{f},c{i % 2}\n"
                                                                    for i, f in enumerate(files)))
    stream = FolderStream(folder, SIZE, batch_size=3)
    assert [p.relative_to(folder).as_posix() for p in stream.files] == files
    assert stream.labels.tolist() == ["c0", "c1", "c0", "c1"]


def test_epoch_order_is_seeded_per_epoch_and_replayed_on_resume(folder):
    a, b = FolderStream(folder, SIZE, 4, seed=3), FolderStream(folder, SIZE, 4, seed=3)
    first = _epoch_images(a)
    np.testing.assert_array_equal(first, _epoch_images(b))
    a.on_epoch_end()
    a.on_epoch_end()
    resumed = FolderStream(folder, SIZE, 4, seed=3)
    resumed.set_epoch(2)  # what continue_fit does after a restart
    np.testing.assert_array_equal(_epoch_images(a), _epoch_images(resumed))
    np.testing.assert_array_equal(a.epoch_order(2), np.random.default_rng([3, 2]).permutation(10))
    assert not np.array_equal(a.epoch_order(0), a.epoch_order(1))


def test_augment_is_seeded_by_seed_epoch_and_file(folder):
    a, b = (FolderStream(folder, SIZE, 10, seed=0, augment=True) for _ in range(2))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (10, SIZE, SIZE, 3)
    a.on_epoch_end()
    b.set_epoch(1)
    np.testing.assert_array_equal(a[0], b[0])
    plain = FolderStream(folder, SIZE, 10, seed=0)
    plain.set_epoch(1)
    assert not np.array_equal(a[0], plain[0])  # cropped and flipped differently


class _Recorder(FolderStream):
    """A stream that notes which files it decodes."""

    def read(self, indices, fill=False, augment=False):
        self.decoded.extend(self.files[int(i)].name for i in indices)
        return super().read(indices, fill=fill, augment=augment)


@pytest.mark.parametrize("n_files", [12, 11])
def test_two_processes_read_every_file_once_per_epoch(tmp_path, monkeypatch, n_files):
    """Each data-parallel process decodes only its slice of every global batch (what
    KerasColorizer feeds it; a real two-process run is in test_distributed.py)."""
    from chroma_lab import backend
    from chroma_lab.models.keras_colorizer import _ProcessBatches

    folder = _write_folder(tmp_path / "f", n=n_files)
    everything = sorted(p.name for p in folder.rglob("*.jpg"))
    read = {}
    for process in (0, 1):
        monkeypatch.setattr(backend, "_jax_process", lambda p=process: (p, 2))
        stream = _Recorder(folder, SIZE, batch_size=4, seed=5)
        # data-parallel cuts the last batch to a multiple of the device count (here 2)
        batches = _ProcessBatches(stream, n_files - n_files % 2)
        for epoch in (0, 1):
            stream.set_epoch(epoch)
            stream.decoded = []
            images = np.concatenate([batches[i] for i in range(len(batches))])
            assert len(images) == len(stream.decoded) == n_files // 2
            read[process, epoch] = stream.decoded
    for epoch in (0, 1):
        both = sorted(read[0, epoch] + read[1, epoch])
        assert len(set(both)) == len(both)  # no file twice
        if n_files % 2 == 0:
            assert both == everything
        else:  # the one file cut from the last batch is the epoch order's last
            left_out = stream.files[stream.epoch_order(epoch)[-1]].name
            assert sorted(both + [left_out]) == everything
    assert read[0, 0] != read[0, 1]  # a new order each epoch


def test_bad_files_are_skipped_once_each_and_counted(folder):
    (folder / "grass" / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "zz_truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    stream = FolderStream(folder, SIZE, batch_size=4, workers=1, shuffle=False)
    with pytest.warns(UserWarning, match="Skipped") as record:
        first = _epoch_images(stream)
    # a skipped file's place in its batch is taken by another image of that batch: same shapes
    assert len(first) == 12 and len(record) == 2 and len(stream.files) == 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        readable = load_folder(folder, size=SIZE, progress=False, on_error="skip")[0]
    assert {image.tobytes() for image in first} == {image.tobytes() for image in readable}
    with pytest.warns(UserWarning):
        assert len(FolderStream(folder, SIZE, 4).read(np.arange(12))) == 10  # fill=False: left out
    assert {p.name for p in stream.skipped} == {"broken.jpg", "zz_truncated.png"}
    stream.on_epoch_end()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning for the same file
        assert len(_epoch_images(stream)) == 12
    assert len(stream.skipped) == 2


def test_a_batch_of_only_bad_files_is_an_error(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"nope")
    stream = FolderStream(tmp_path, SIZE, batch_size=2)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="none of the files"):
        stream[0]


def test_streamed_prior_equals_the_in_memory_prior(folder):
    stream = FolderStream(folder, SIZE, batch_size=3, seed=2)
    images, _ = load_folder(folder, size=SIZE, progress=False)
    expected = class_prior(split_lab(images)[1])
    np.testing.assert_allclose(streamed_class_prior(stream), expected, rtol=0, atol=1e-15)
    assert streamed_class_prior(stream, sample=100) == pytest.approx(expected, abs=1e-15)
    take = np.sort(np.random.default_rng(4).choice(10, size=4, replace=False))
    np.testing.assert_allclose(streamed_class_prior(stream, sample=4, seed=4),
                               class_prior(split_lab(images[take])[1]), rtol=0, atol=1e-15)


@pytest.mark.parametrize("bad, error", [(dict(size=0), ValueError),
                                        (dict(seed=-1), ValueError),
                                        (dict(batch_size=0), ValueError)])
def test_bad_arguments_name_themselves(folder, bad, error):
    with pytest.raises(error, match="size|seed|batch_size"):
        FolderStream(folder, **{"size": SIZE, "batch_size": 4, **bad})


@pytest.mark.slow
def test_mid_epoch_resume_continues_at_the_step(folder, tmp_path):
    import keras

    from chroma_lab.models.zhang2016 import ZhangColorizer

    def colorizer():
        return ZhangColorizer(image_size=SIZE, epochs=2, batch_size=4, verbose=0, seed=0)

    def stream():  # two reader threads: the weights must not depend on them
        return FolderStream(folder, SIZE, batch_size=4, seed=0, workers=2)

    whole = colorizer().fit(stream())

    class StopAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations) == 4:  # epoch 2, after its first step
                first.save(tmp_path / "run")
                self.model.stop_training = True

    first = colorizer()
    first.fit(stream(), callbacks=[StopAt()])
    resumed = ZhangColorizer.load(tmp_path / "run")
    assert (resumed.optimizer_steps_, resumed.epochs_done_) == (4, 1)
    seen = []

    class Steps(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(int(self.model.optimizer.iterations))

    resumed.continue_fit(stream(), callbacks=[Steps()])
    assert seen == [4, 5] and resumed.optimizer_steps_ == 6
    for w, r in zip(whole.model_.weights, resumed.model_.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(w), keras.ops.convert_to_numpy(r))
    np.testing.assert_array_equal(whole.prior_, resumed.prior_)


@pytest.mark.slow
def test_train_cli_streams_a_folder_with_mid_epoch_checkpoints(folder, tmp_path, capsys):
    from chroma_lab import cli
    from chroma_lab.models.zhang2016 import ZhangColorizer
    from chroma_lab.resources import zhang2016_imagenet_prior

    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "run"
    common = ["train", "zhang", "--out", str(out), "--data", f"folder:{folder}", "--stream",
              "--image-size", str(SIZE), "--batch-size", "4", "--prior", "imagenet"]
    assert cli.main([*common, "--epochs", "1", "--checkpoint-every", "2", "--workers", "3"]) == 0
    captured = capsys.readouterr()
    warned = [line for line in captured.err.splitlines() if "broken.jpg" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: Skipped")
    assert "trained 1 epoch on 10 images (1 unreadable file skipped)" in captured.out
    run = json.loads((out / "train.json").read_text())
    assert run["stream"] is True and run["setup_sample"] == 11 and run["prior_source"] == "imagenet"
    with open(out / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["skipped_files"] for row in rows] == ["1"]
    colorizer = ZhangColorizer.load(out)
    np.testing.assert_array_equal(colorizer.prior_, zhang2016_imagenet_prior())
    assert colorizer.optimizer_steps_ == 3  # 11 files, one unreadable, in batches of 4
    assert cli.main(["train", "zhang", "--out", str(out), "--resume", "--epochs", "2"]) == 0
    assert "resuming" in capsys.readouterr().out
    assert ZhangColorizer.load(out).optimizer_steps_ == 6


# Run in a subprocess by the kill -9 test: the command, killed (SIGKILL) as step 5 ends, after
# the checkpoint of step 4 and before that of step 6 (--checkpoint-every 2).
_KILLED_RUN = """
import os, signal, sys
import keras
from chroma_lab.cli import main, train

callbacks = train._callbacks

class Kill(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) == 5:
            os.kill(os.getpid(), signal.SIGKILL)

train._callbacks = lambda *args, **kwargs: [*callbacks(*args, **kwargs), Kill()]
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_streamed_run_killed_mid_epoch_resumes_to_the_same_weights(folder, tmp_path):
    """With random crops and flips (--augment): they too are drawn from (seed, epoch, file)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import keras

    from chroma_lab import cli
    from chroma_lab.models.zhang2016 import ZhangColorizer

    def args(out):  # 10 files in batches of 4: 3 steps an epoch, 9 in all
        return ["train", "zhang", "--out", str(out), "--data", f"folder:{folder}", "--stream",
                "--image-size", str(SIZE), "--batch-size", "4", "--epochs", "3",
                "--checkpoint-every", "2", "--augment"]  # fmt: skip

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, *args(tmp_path / "killed")],
                            env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert ZhangColorizer.load(tmp_path / "killed").optimizer_steps_ == 4  # epoch 2, step 1 saved
    assert cli.main([*args(tmp_path / "killed"), "--resume"]) == 0
    assert cli.main(args(tmp_path / "whole")) == 0
    assert json.loads((tmp_path / "killed" / "train.json").read_text())["augment"] is True
    resumed, whole = (ZhangColorizer.load(tmp_path / name) for name in ("killed", "whole"))
    assert resumed.optimizer_steps_ == whole.optimizer_steps_ == 9
    for r, w in zip(resumed.model_.weights, whole.model_.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(r), keras.ops.convert_to_numpy(w))
    with open(tmp_path / "killed" / "log.csv", newline="") as handle:  # one row per epoch
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1", "2"]


def test_palette_cnn_trains_on_a_stream_as_on_its_images(folder):
    """Fit-time state from the stream's images (all of a small folder) equals the in-memory fit's."""
    import keras

    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    images, _ = load_folder(folder, size=SIZE, progress=False)
    def cnn():
        return PaletteCNNColorizer(n_colors=8, image_size=SIZE, epochs=1, batch_size=4, verbose=0)

    streamed = cnn().fit(FolderStream(folder, SIZE, 4, workers=1))
    in_memory = cnn().fit(images)
    assert streamed.setup_sample_ == 10
    np.testing.assert_array_equal(streamed.palette_.palette_, in_memory.palette_.palette_)
    np.testing.assert_array_equal(*(keras.ops.convert_to_numpy(c.model_.weights[0]) for c in (streamed, in_memory)))


@pytest.mark.slow  # a Zhang base and the coherent model, ~15 s
def test_coherent_trains_on_a_stream_and_its_base_too(folder):
    """The coherent model's gradient prior comes from the stream's images, and its base trains on
    the stream itself."""
    from chroma_lab.color import rgb_to_lab
    from chroma_lab.models.coherent import CoherentColorizer, gradient_prior

    images, _ = load_folder(folder, size=SIZE, progress=False)
    coherent = CoherentColorizer(image_size=SIZE, epochs=1, base_epochs=1, batch_size=4, verbose=0)
    coherent.fit(FolderStream(folder, SIZE, 4))
    np.testing.assert_array_equal(coherent.gradient_prior_, gradient_prior(rgb_to_lab(images)[..., 1:]))
    assert coherent.optimizer_steps_ == 3 and coherent.colorize(images[:2, ..., 0]).shape == (2, SIZE, SIZE, 3)


def test_iizuka_refuses_a_stream_in_one_line(folder):
    from chroma_lab.models.iizuka2016 import IizukaColorizer

    with pytest.raises(ValueError, match="not supported yet"):
        IizukaColorizer(image_size=32).fit(FolderStream(folder, 32, 4))


def test_image_class_prior_in_chunks_equals_the_prior_at_once(monkeypatch):
    from chroma_lab.data import image_class_prior, preprocess

    images = synthetic_scenes(7, size=20, seed=3)[0]
    expected = class_prior(split_lab(images)[1])
    monkeypatch.setattr(preprocess, "PRIOR_CHUNK", 3)  # chunks of 3, 3 and 1 images
    np.testing.assert_allclose(image_class_prior(images), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(image_class_prior(iter([images[:5], images[5:]])), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(image_class_prior(images, sigma=None), class_prior(split_lab(images)[1], sigma=None),
                               rtol=0, atol=1e-15)  # fmt: skip
    with pytest.raises(ValueError, match="no images"):
        image_class_prior(iter([]))


@pytest.mark.slow  # a JAX process, two Zhang fits
def test_on_jax_the_weights_do_not_depend_on_the_reader_threads(folder):
    """Keras on JAX builds the loss from a batch before the first epoch; read through the reader
    threads, that batch left the ones they had read ahead in the queue, and the first epoch started
    at one of those. KerasColorizer builds the loss from batch 0 itself (public methods only)."""
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed")
    script = f"""
import keras, numpy as np
from chroma_lab.data import FolderStream
from chroma_lab.models.zhang2016 import ZhangColorizer
assert keras.backend.backend() == "jax"
weights = []
for workers in (1, 2):
    z = ZhangColorizer(image_size={SIZE}, epochs=1, batch_size=4, verbose=0, seed=0)
    z.fit(FolderStream({str(folder)!r}, {SIZE}, batch_size=4, seed=0, workers=workers))
    weights.append([keras.ops.convert_to_numpy(w) for w in z.model_.weights])
print(*[all(np.array_equal(a, b) for a, b in zip(weights[0], w)) for w in weights[1:]])
"""
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    ran = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.split() == ["True"]
