"""Data-parallel training with keras.distribution (JAX backend), in subprocesses.

* 4 virtual CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``) through
  ``chroma-lab train --devices 4``, stopped after one epoch and resumed, end with the weights of
  one device trained on the same global batches;
* 2 processes on 127.0.0.1 (``--coordinator``, JAX's Gloo collectives on CPU) train together and
  end with identical weights, equal to the single-device run; only process 0 writes the folder;
* the same two processes streaming the images from a folder of files (``--stream``): each decodes
  its own half of every epoch, and the weights are again the single-device run's.

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
# float32 over 4 steps: the data-parallel sums add the per-device gradients in another order,
# and training amplifies the rounding. BatchNorm amplifies it most: it divides by
# sqrt(var + epsilon), and channels of near-zero batch variance turn rounding into weight changes.
# With plain SGD at lr 0.01, how far one device and four end apart depends on the data order:
# at Keras' epsilon 1e-3, 6e-8 for one order and 2e-3 to 5e-3 for three others (seeds 0-2 of two
# versions of the epoch order), as much as a wrong shard moves them. So the SGD check runs with
# BatchNorm epsilon 0.1 (tests/_backend_worker.py, SGD_BN_EPSILON): measured over seeds 0, 1, 2,
# four devices end at most 7e-7 from one, while one image repeated in place of another (a wrong
# shard) ends 2.0e-4 to 2.5e-4 apart, 20 times SGD_TOLERANCE. Adam's first steps move each weight
# by about lr * sign(gradient): a weight whose gradient is rounding noise around 0 can end up to
# 2 * lr * steps away (lr 1e-3, 4 steps); the losses show the runs are the same training. The
# first epoch's mean loss agrees to float32; the second's differs by 2.5e-5 or 3.2e-4 (two data
# orders) through that Adam amplification, and it is the same with the command stopped after
# epoch 1 and resumed, bit for bit, as without the stop.
SGD_TOLERANCE, ADAM_TOLERANCE, LOSS_TOLERANCE = 1e-5, 8e-3, 1e-3


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
    sgd, adam = float(found["sgd_diff"]), float(found["adam_diff"])
    loss = np.abs(found["loss"] - found["cli_loss"]).max()
    print(f"1 vs 4 devices, 4 steps: max weight difference {sgd:.3g} (SGD), {adam:.3g} (Adam, "
          f"the command, resumed); loss difference {loss:.3g}")
    assert sgd < SGD_TOLERANCE and adam < ADAM_TOLERANCE and loss < LOSS_TOLERANCE
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
    single = load_weights(folder / "dp.npz")
    loss = np.abs(np.load(tmp_path / "p0.npz")["loss"] - found["loss"]).max()
    print(f"1 vs 2 processes, 4 steps: max weight difference {max_difference(first, single):.3g} "
          f"(Adam); loss difference {loss:.3g}")
    assert max_difference(first, single) < ADAM_TOLERANCE and loss < LOSS_TOLERANCE
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
    single = load_weights(folder / "dp.npz")
    loss = np.abs(results[0]["loss"] - found["loss"]).max()
    print(f"1 device in memory vs 2 processes streaming, 4 steps: max weight difference "
          f"{max_difference(first, single):.3g} (Adam); loss difference {loss:.3g}")
    assert max_difference(first, single) < ADAM_TOLERANCE and loss < LOSS_TOLERANCE
    assert json.loads((out / "train.json").read_text())["stream"] is True
