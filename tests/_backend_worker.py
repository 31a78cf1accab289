"""Run in a subprocess by tests/test_backends.py and tests/test_distributed.py (Keras fixes its
backend at import, so every backend and every device layout needs a process of its own).

    KERAS_BACKEND=jax python tests/_backend_worker.py JOB RESULT.npz [arguments]

Each job does all of its checks in one process and writes its figures to RESULT.npz; the test
compares them. Jobs:

* ``same-model MODEL_DIR BATCH.npz``: network outputs and loss of a saved Zhang model on a batch,
  then two more epochs, save, load and colorize;
* ``data-parallel OUT_DIR``: one device against 4 (the command line's ``--devices 4``, stopped
  after one epoch and resumed), same global batches;
* ``process ID PORT OUT_DIR``: one of two processes training together (``--coordinator``).
* ``process-stream ID PORT OUT_DIR FOLDER``: the same, streaming a folder (``--stream``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# The run every data-parallel job trains: 16 scenes of 32x32, global batch 8, 2 epochs (4 steps).
RUN = {"size": "small", "image_size": 32, "batch_size": 8, "epochs": 2, "seed": 0}
N_SCENES = 16
# The BatchNorm epsilon of the plain-SGD comparison (see _sgd_zhang).
SGD_BN_EPSILON = 0.1


def train_args(out, epochs=RUN["epochs"]):
    return ["train", "zhang", "--size", RUN["size"], "--image-size", str(RUN["image_size"]),
            "--batch-size", str(RUN["batch_size"]), "--epochs", str(epochs), "--seed", str(RUN["seed"]),
            "--data", "scenes", "--n-scenes", str(N_SCENES), "--out", str(out)]  # fmt: skip


def run_images():
    from chroma_lab.scenes import synthetic_scenes

    return synthetic_scenes(N_SCENES, size=RUN["image_size"], seed=RUN["seed"])[0]


def weights(colorizer) -> dict[str, np.ndarray]:
    """The training model's weights as ``{"w0": ..., "w1": ...}`` for ``np.savez``."""
    return {f"w{i}": np.asarray(w) for i, w in enumerate(colorizer.model_.get_weights())}


def same_model(result, model_dir, batch_file):
    import keras

    from chroma_lab.models.zhang2016 import ZhangColorizer

    batch = np.load(batch_file)
    colorizer = ZhangColorizer.load(model_dir)
    out = {"backend": np.array(keras.backend.backend())}
    out["logits"] = colorizer._forward(batch["L"])
    out["loss"] = np.array(colorizer.model_.evaluate(batch["rgb"], batch["rgb"], batch_size=len(batch["rgb"]), verbose=0))
    colorizer.epochs = colorizer.epochs_done_ + 2  # a few training steps on this backend
    colorizer.continue_fit(batch["train"])
    colorizer.save(Path(result).with_suffix(".model"))
    again = ZhangColorizer.load(Path(result).with_suffix(".model"))
    out["epochs_done"] = np.array(again.epochs_done_)
    out["trained_loss"] = np.array(again.history_["loss"])
    out["colorized"] = again.colorize(batch["gray"])
    np.savez(result, **out)


def data_parallel(result, out_dir):
    import keras

    from chroma_lab import backend
    from chroma_lab.cli import main
    from chroma_lab.models.zhang2016 import ZhangColorizer

    assert len(keras.distribution.list_devices()) == 4, keras.distribution.list_devices()
    images = run_images()
    # Plain gradient steps show that the gradients agree: Adam's first steps move every weight by
    # about lr * sign(gradient), so a gradient that is float32 noise around 0 moves by +-lr.
    sgd_one = _sgd_zhang(**RUN, verbose=0).fit(images)
    reference = ZhangColorizer(**RUN, verbose=0).fit(images)  # one device, no distribution
    # The control: what a data-parallel bug does at the least (a wrong shard feeds one image in
    # place of another), on one device; the tests' tolerances are fractions of its distances.
    wrong = images.copy()
    wrong[1] = wrong[0]
    sgd_wrong = _sgd_zhang(**RUN, verbose=0).fit(wrong)
    adam_wrong = ZhangColorizer(**RUN, verbose=0).fit(wrong)
    backend.setup_data_parallel(4)
    sgd_four = _sgd_zhang(**RUN, verbose=0).fit(images)
    keras.distribution.set_distribution(None)  # the command line sets its own
    found = {"too_many": main(train_args(Path(out_dir) / "refused") + ["--devices", "5"])}
    # interrupted after epoch 1 and resumed: the checkpoint, log and --resume of one device
    first = main(train_args(out_dir, epochs=1) + ["--devices", "4"])
    second = main(train_args(out_dir) + ["--devices", "4", "--resume"])
    trained = ZhangColorizer.load(out_dir)
    np.savez(result, status=np.array([first, second]), too_many=np.array(found["too_many"]),
             replicas=np.array(backend.replicas()), epochs_done=np.array(trained.epochs_done_),
             sgd_diff=np.array(_max_difference(weights(sgd_one), weights(sgd_four))),
             sgd_wrong_diff=np.array(_max_difference(weights(sgd_one), weights(sgd_wrong))),
             wrong_loss=np.array(adam_wrong.history_["loss"]),
             loss=np.array(reference.history_["loss"]), cli_loss=np.array(trained.history_["loss"]),
             **weights(reference))  # fmt: skip


def _max_difference(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def _sgd_zhang(**params):
    import keras

    from chroma_lab.models.keras_colorizer import walk_layers
    from chroma_lab.models.zhang2016 import ZhangColorizer

    class SGDZhang(ZhangColorizer):
        def _build_model(self):
            model = super()._build_model()
            # BatchNorm epsilon 0.1 instead of the network's 1e-5: a channel of near-zero batch
            # variance scales by 1 / sqrt(var + eps), which turns the float32 rounding of the
            # sharded sums into weight changes as large as a wrong shard's (test_distributed.py
            # has the figures); at 0.1 the rounding stays under 1e-6 and a wrong shard shows.
            for layer in walk_layers(model):
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.epsilon = SGD_BN_EPSILON
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss=model.loss)
            return model

    return SGDZhang(**params)


def process(result, process_id, port, out_dir):
    from chroma_lab.cli import main, train

    captured = []
    callbacks = train._callbacks

    def capture(colorizer, *args, **kwargs):  # the colorizer the command trains, for its weights
        captured.append(colorizer)
        return callbacks(colorizer, *args, **kwargs)

    train._callbacks = capture
    status = main(train_args(out_dir) + ["--devices", "all", "--coordinator", f"127.0.0.1:{port}",
                                         "--num-processes", "2", "--process-id", str(process_id)])  # fmt: skip
    np.savez(result, status=np.array(status), loss=np.array(captured[0].history_["loss"]),
             **weights(captured[0]))


def process_stream(result, process_id, port, out_dir, folder):
    """``process`` on the run's images as PNG files in ``folder``, streamed (``--stream``); also
    saves which files this process decoded for training, per epoch."""
    from chroma_lab.cli import main, train
    from chroma_lab.data import FolderStream

    captured, decoded = [], {}
    callbacks, load = train._callbacks, FolderStream.load

    def capture(colorizer, *args, **kwargs):
        captured.append(colorizer)
        return callbacks(colorizer, *args, **kwargs)

    def record(stream, indices):
        decoded.setdefault(stream.epoch, set()).update(stream.files[int(i)].name for i in indices)
        return load(stream, indices)

    train._callbacks, FolderStream.load = capture, record
    args = train_args(out_dir) + ["--data", f"folder:{folder}", "--stream", "--devices", "all",
                                  "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
                                  "--process-id", str(process_id)]  # fmt: skip
    status = main(args)
    np.savez(result, status=np.array(status), loss=np.array(captured[0].history_["loss"]),
             **{f"epoch{e}": np.array(sorted(names)) for e, names in decoded.items()},
             **weights(captured[0]))


if __name__ == "__main__":
    job, result, *rest = sys.argv[1:]
    if job == "same-model":
        same_model(result, *rest)
    elif job == "data-parallel":
        data_parallel(result, *rest)
    elif job == "process":
        process(result, int(rest[0]), rest[1], rest[2])
    elif job == "process-stream":
        process_stream(result, int(rest[0]), *rest[1:])
    else:
        raise SystemExit(f"unknown job {job!r}")
