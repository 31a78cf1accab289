"""Data-parallel training with keras.distribution (JAX backend), in subprocesses.

* 4 virtual CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``) through
  ``chroma-lab train --devices 4``, stopped after one epoch and resumed, train as one device on
  the same global batches does (its SGD weights, the command's losses);
* 2 processes on 127.0.0.1 (``--coordinator``, JAX's Gloo collectives on CPU) train together and
  end with identical weights, with the single-device run's losses; only process 0 writes the folder;
* the same two processes streaming the images from a folder of files (``--stream``): each decodes
  its own half of every epoch, and the losses are again the single-device run's.

"As one device does" is measured against a control trained beside it (see SEPARATION).

Skipped, saying so, where JAX is not installed (``pip install -e ".[dev]"`` installs it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed: no data-parallel tests"),
]

WORKER = Path(__file__).with_name("_backend_worker.py")
ROOT = Path(__file__).resolve().parents[1]
# How close is close enough. Data-parallel training adds the per-device gradients in another
# order than one device does, so float32 rounding (its 7th digit) makes the runs differ, and
# training amplifies that; a data-parallel bug (a wrong, repeated or missing shard, a gradient
# summed instead of averaged) changes at least one image's contribution to a step. So each
# tolerance is a fraction of a CONTROL the worker trains in the same process: the one-device run
# with one image repeated in place of another (tests/_backend_worker.py, data_parallel). Rounding
# must leave the runs SEPARATION times closer than the control is:
# * the weights after plain SGD (lr 0.01, 4 steps, BatchNorm epsilon 0.1, see SGD_BN_EPSILON: at
#   Keras' 1e-3, channels of near-zero batch variance turn rounding into changes as large as the
#   control's), where a step is proportional to the gradient, so agreeing weights mean agreeing
#   gradients;
# * the per-epoch mean loss of the Adam runs (the command's). Their weights are not compared:
#   Adam's first steps move every weight by about lr * sign(gradient), so a weight whose gradient
#   is rounding noise around 0 ends anywhere within 2 * lr * steps of the other run's, as far as
#   the control's weights are.
SEPARATION = 10


def run_worker(args, devices=1, wait=True):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}  # fmt: skip
    cmd = [sys.executable, str(WORKER), *map(str, args)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.communicate(timeout=600)[0] if wait else proc


def load_weights(path) -> dict:
    with np.load(path) as data:
        return {k: data[k] for k in data.files if k.startswith("w")}


def loss_control(found) -> float:
    """How far the control's per-epoch mean loss ends from the one-device run's, at the least."""
    return float(np.abs(found["loss"] - found["wrong_loss"]).min())


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys() and a
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dp")
    log = run_worker(["data-parallel", folder / "dp.npz", folder / "run"], devices=4)
    assert (folder / "dp.npz").is_file(), log[-3000:]
    return folder, np.load(folder / "dp.npz"), log


def test_four_devices_match_one_device_and_resume(four_devices):
    folder, found, log = four_devices
    assert int(found["replicas"]) == 4
    assert found["status"].tolist() == [0, 0], log[-3000:]
    assert "resuming" in log and "at epoch 2 of 2" in log
    assert int(found["epochs_done"]) == 2
    sgd, sgd_control = float(found["sgd_diff"]), float(found["sgd_wrong_diff"])
    loss = np.abs(found["loss"] - found["cli_loss"]).max()
    print(f"1 vs 4 devices, 4 steps: max weight difference {sgd:.3g} (SGD; control {sgd_control:.3g}); "
          f"loss difference {loss:.3g} (Adam, the command, resumed; control {loss_control(found):.3g})")
    assert sgd < sgd_control / SEPARATION
    assert loss < loss_control(found) / SEPARATION
    # the same checkpoint and log as one device: one row per epoch, figures per epoch
    rows = (folder / "run" / "log.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[1].startswith("0,") and rows[2].startswith("1,")
    assert sorted(p.name for p in (folder / "run" / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    # more devices than there are: one line, nothing written
    assert int(found["too_many"]) == 1
    assert "devices 5 is more than the 4 available" in log
    assert not (folder / "run" / "refused").exists()


def test_two_processes_train_together(four_devices, tmp_path):
    folder, found, _ = four_devices
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "run"
    procs = [run_worker(["process", tmp_path / f"p{i}.npz", i, port, out], wait=False) for i in (0, 1)]
    logs = [p.communicate(timeout=600)[0] for p in procs]
    for i in (0, 1):
        assert (tmp_path / f"p{i}.npz").is_file(), logs[i][-3000:]
        assert int(np.load(tmp_path / f"p{i}.npz")["status"]) == 0, logs[i][-3000:]
    first, second = (load_weights(tmp_path / f"p{i}.npz") for i in (0, 1))
    assert max_difference(first, second) == 0.0  # replicated variables: the same in both
    loss = np.abs(np.load(tmp_path / "p0.npz")["loss"] - found["loss"]).max()
    print(f"1 vs 2 processes, 4 steps: loss difference {loss:.3g} (control {loss_control(found):.3g})")
    assert loss < loss_control(found) / SEPARATION
    # only process 0 wrote: the checkpoint, one log row per epoch, no stray temporaries
    names = sorted(p.name for p in out.iterdir())
    assert names == ["colorizer.json", "log.csv", "loss_curves.png", "model.keras", "samples", "train.json"]
    assert len((out / "log.csv").read_text().splitlines()) == 3


def test_two_processes_stream_a_folder(four_devices, tmp_path):
    from PIL import Image

    sys.path.insert(0, str(WORKER.parent))
    from _backend_worker import run_images

    folder, found, _ = four_devices
    images = tmp_path / "images"
    images.mkdir()
    names = []
    for i, image in enumerate(run_images()):  # PNG: the streamed images are the in-memory ones
        names.append(f"img{i:03d}.png")
        Image.fromarray(image).save(images / names[-1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "run"
    procs = [run_worker(["process-stream", tmp_path / f"p{i}.npz", i, port, out, images], wait=False)
             for i in (0, 1)]  # fmt: skip
    logs = [p.communicate(timeout=600)[0] for p in procs]
    results = []
    for i in (0, 1):
        assert (tmp_path / f"p{i}.npz").is_file(), logs[i][-3000:]
        results.append(np.load(tmp_path / f"p{i}.npz"))
        assert int(results[i]["status"]) == 0, logs[i][-3000:]
    for epoch in (0, 1):  # each process decoded its half of the epoch, together every file once
        halves = [set(r[f"epoch{epoch}"].tolist()) for r in results]
        assert len(halves[0]) == len(halves[1]) == len(names) // 2
        assert halves[0] | halves[1] == set(names)
    first, second = (load_weights(tmp_path / f"p{i}.npz") for i in (0, 1))
    assert max_difference(first, second) == 0.0
    loss = np.abs(results[0]["loss"] - found["loss"]).max()
    print(f"1 device in memory vs 2 processes streaming, 4 steps: loss difference {loss:.3g} "
          f"(control {loss_control(found):.3g})")
    assert loss < loss_control(found) / SEPARATION
    assert json.loads((out / "train.json").read_text())["stream"] is True
