"""The same saved model on TensorFlow, JAX and PyTorch: model code is backend-agnostic.

A small Zhang model is trained and saved once under TensorFlow (this process's backend); a
subprocess per other backend (Keras fixes its backend at import) loads it and computes the
network's logits and the loss on the same batch, then trains two more epochs, saves, loads and
colorizes (tests/_backend_worker.py). A backend that is not installed is skipped by name.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chroma_lab.color import rgb_to_lab
from chroma_lab.data import to_gray
from chroma_lab.scenes import synthetic_scenes

WORKER = Path(__file__).with_name("_backend_worker.py")
ROOT = Path(__file__).resolve().parents[1]
# float32 through 20 convolutions: the backends' kernels sum in different orders
LOGIT_TOLERANCE, LOSS_TOLERANCE = 1e-3, 1e-4


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small Zhang model trained one epoch under TensorFlow, a batch, and TensorFlow's figures."""
    from chroma_lab.models.zhang2016 import ZhangColorizer

    folder = tmp_path_factory.mktemp("backends")
    images = synthetic_scenes(8, size=32, seed=1)[0]
    colorizer = ZhangColorizer(image_size=32, epochs=1, batch_size=4, verbose=0).fit(images)
    colorizer.save(folder / "model")
    batch = {"rgb": images[:4], "L": rgb_to_lab(images[:4])[..., 0], "gray": to_gray(images[:2]), "train": images}
    np.savez(folder / "batch.npz", **batch)
    logits = colorizer._forward(batch["L"])
    loss = colorizer.model_.evaluate(batch["rgb"], batch["rgb"], batch_size=4, verbose=0)
    return folder, logits, float(loss)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_same_saved_model_on_every_backend(saved, backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed: the {backend} backend is not tested")
    folder, logits, loss = saved
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    result = folder / f"{backend}.npz"
    cmd = [sys.executable, str(WORKER), "same-model", str(result), str(folder / "model"), str(folder / "batch.npz")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = np.load(result)
    assert str(found["backend"]) == backend
    logit_diff, loss_diff = np.abs(found["logits"] - logits).max(), abs(float(found["loss"]) - loss)
    print(f"{backend} vs tensorflow: max logit difference {logit_diff:.3g}, loss difference {loss_diff:.3g}")
    assert found["logits"].shape == logits.shape
    assert logit_diff < LOGIT_TOLERANCE and loss_diff < LOSS_TOLERANCE
    # trained on, saved, loaded and colorized under that backend
    assert int(found["epochs_done"]) == 3 and len(found["trained_loss"]) == 3
    assert np.isfinite(found["trained_loss"]).all()
    assert found["colorized"].shape == (2, 32, 32, 3) and found["colorized"].dtype == np.uint8


def test_devices_on_tensorflow_is_one_line_error(tmp_path, capsys):
    from chroma_lab.cli import main

    status = main(["train", "zhang", "--data", "photos", "--out", str(tmp_path / "run"), "--devices", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1
    assert "data-parallel training needs KERAS_BACKEND=jax" in err[0] and "this is tensorflow" in err[0]
    assert not (tmp_path / "run").exists()
