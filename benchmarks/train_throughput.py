"""Training throughput of Zhang et al. (2016), Iizuka et al. (2016) and lesson 4's palette CNN.

A training step here is the whole pipeline on the active Keras backend: uint8 RGB in, Lab
conversion and targets built inside the graph, forward, backward, update. For Zhang: soft-encoded
targets, rebalancing weights and the gray mask, Adam. For Iizuka (``--model iizuka``): the ab
target in sigmoid space and the scene labels of the synthetic scenes, MSE + cross-entropy / 300,
Adadelta. The batch is placed on the device once, as uint8, before timing; warm-up steps (tracing,
XLA compilation, autotuning) are excluded.

    python3 benchmarks/train_throughput.py --size small --image-size 64              # 2-core CPU
    python3 benchmarks/train_throughput.py --size full --image-size 224 --batch-size 4 --steps 2
    KERAS_BACKEND=jax python3 benchmarks/train_throughput.py --size full --image-size 224 \
        --batch-size 64 --mixed-bfloat16 --torch                                      # GPU
    python3 benchmarks/train_throughput.py --model iizuka --size small --image-size 64 \
        --batch-size 16 --torch-reference                                             # 2-core CPU
    KERAS_BACKEND=jax python3 benchmarks/train_throughput.py --model iizuka --size full \
        --image-size 224 --batch-size 64 --mixed-bfloat16 --torch-reference          # GPU
    python3 benchmarks/train_throughput.py --model palette --batch-size 4 --torch     # lesson 4
    python3 benchmarks/train_throughput.py --model iizuka --image-size 32 --batch-size 16 --torch
                                                                                      # lesson 6

``--torch`` also times a plain PyTorch version of the same step in the same command: for Zhang
``benchmarks/torch_zhang.py`` (eager and ``torch.compile``), for Iizuka ``benchmarks/torch_iizuka.py``
(same layers, parameter count asserted equal, same loss and optimizer, bfloat16 autocast with
``--mixed-bfloat16``; ``--torch-reference`` is the same flag), for the palette CNN
``benchmarks/torch_palette.py``. The contenders run in turn, ``--steps`` steps each, round after
round (``--repeats`` rounds), so that on a shared machine each sees the same load; the script prints
each one's median and best images/s, its ratio to PyTorch eager, and the load average before and
after. Peak memory: the device's
peak allocation on a GPU (JAX ``memory_stats``, TensorFlow ``get_memory_info``, ``torch.cuda``),
the process's peak resident memory on a CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np


def on_device(array):
    """A backend tensor on the default accelerator (the CPU when there is none)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        with tf.device(gpus[0].name if gpus else "/CPU:0"):
            return tf.identity(tf.constant(array))
    return keras.ops.convert_to_tensor(array)  # jax and torch place it on their default device


def peak_memory_bytes() -> int:
    """Peak memory of the Keras run: the accelerator's where there is one, else the process's."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.local_devices()[0]
            if device.platform != "cpu":
                return int(device.memory_stats()["peak_bytes_in_use"])
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_logical_devices("GPU"):
                return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return int(torch.cuda.max_memory_allocated())
    except (KeyError, RuntimeError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("zhang", "iizuka", "palette"), default="zhang")
    parser.add_argument("--size", choices=("small", "full"), default="small")
    parser.add_argument("--loss", choices=("full", "class", "l2"), default="full",
                        help="Zhang's loss (Table 1 of the paper)")
    parser.add_argument("--optimizer", choices=("adadelta", "adam"), default="adadelta",
                        help="Iizuka's optimizer (the paper: Adadelta)")
    parser.add_argument("--torch", "--torch-reference", dest="torch", action="store_true",
                        help="also time the plain PyTorch version of the step, in turn with Keras "
                             "(Zhang: eager and torch.compile; needs torch)")
    parser.add_argument("--torch-threads", type=int, default=0,
                        help="CPU threads of the torch reference (0: torch's default); on a "
                             "loaded CPU its OpenMP pool can be 10x slower with 2 than with 1")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each contender per round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of --steps steps")
    parser.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                        help="jit_compile (XLA on TensorFlow; JAX always compiles)")
    parser.add_argument("--mixed-bfloat16", action="store_true")
    parser.add_argument("--via-fit", action="store_true",
                        help="Zhang: time the epochs of one model.fit on host uint8 batches "
                             "(data.make_batches, as ZhangColorizer trains) instead of "
                             "train_on_batch on a device batch; Keras only")
    args = parser.parse_args(argv)
    if args.torch:
        # JAX takes 75% of the GPU's memory when it starts; leave room for the torch reference
        os.environ.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.45")
    if args.via_fit and (args.model != "zhang" or args.torch):
        parser.error("--via-fit times Zhang's model.fit pipeline alone; use it without --model "
                     "and without --torch")
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"zhang": _zhang, "iizuka": _iizuka, "palette": _palette}[args.model](args, load_before)


def _zhang(args, load_before) -> int:
    """Zhang et al.'s whole step, Keras, then in turn with the torch reference if asked."""
    import keras

    from chroma_lab.data import split_lab
    from chroma_lab.losses import get_loss
    from chroma_lab.models.zhang2016 import (CONFIGS, build, build_training_model, conv_flops,
                                             conv_parameters)  # fmt: skip
    from chroma_lab.quantize import class_prior
    from chroma_lab.scenes import synthetic_scenes

    if args.mixed_bfloat16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    # real-looking colours, so the soft encoding and the prior are those of training
    images, _ = synthetic_scenes(min(args.batch_size, 64), size=args.image_size, seed=0)
    images = np.resize(images, (args.batch_size,) + images.shape[1:])
    prior = class_prior(split_lab(images)[1])

    network = build(args.size, "ab" if args.loss == "l2" else "classes")
    model = build_training_model(network)
    jit = {"auto": "auto", "on": True, "off": False}[args.jit]
    model.compile(optimizer=keras.optimizers.Adam(1e-4, beta_1=0.9, beta_2=0.99),
                  loss=get_loss(args.loss, prior, stride=CONFIGS[args.size].output_stride),
                  jit_compile=jit)  # fmt: skip
    gflop = conv_flops(network, args.image_size, args.image_size) / 1e9
    print(f"backend            {keras.backend.backend()}  (jit_compile={args.jit}, policy "
          f"{keras.mixed_precision.global_policy().name})")
    print(f"network            {args.size}: {conv_parameters(network):,} conv parameters, "
          f"{gflop:.2f} GFLOP forward per {args.image_size}x{args.image_size} image")
    if args.via_fit:
        times, loss = _zhang_via_fit(model, images, args)
        print(f"batch              {args.batch_size} x {args.image_size}x{args.image_size} uint8 RGB, "
              f"loss {args.loss}, last loss {loss:.4f}")
        _report("keras", times, args, gflop, how="model.fit epochs on host batches; the first excluded")
    else:
        x = on_device(images)
        steps = {"keras": lambda: float(np.asarray(model.train_on_batch(x, x)))}  # host float: synchronised
        if args.torch:
            torch_zhang = _torch_module("torch_zhang", args)
            steps["torch eager"], device = torch_zhang.make_runner(
                args.size, args.image_size, args.batch_size, bf16=args.mixed_bfloat16)  # fmt: skip
            steps["torch compile"], _ = torch_zhang.make_runner(
                args.size, args.image_size, args.batch_size, compile_=True, bf16=args.mixed_bfloat16)  # fmt: skip
        times, losses = alternate(steps, args.steps, args.warmup, args.repeats)
        print(f"batch              {args.batch_size} x {args.image_size}x{args.image_size} uint8 RGB, "
              f"loss {args.loss}, last Keras loss {losses['keras']:.4f}")
        _report_all(times, args, gflop)
    print(f"peak memory        {peak_memory_bytes() / 2**20:.0f} MiB (the process: Keras and torch)")
    _print_load(load_before)
    return 0


def _zhang_via_fit(model, images, args):
    """Seconds of each epoch after the first of one ``model.fit``, and the last loss."""
    import keras

    from chroma_lab.data import make_batches

    times = []

    class EpochTimes(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch > 0:  # epoch 0 traces the training graph: the warm-up
                times.append(time.perf_counter() - self.start)

    # one fit call, as ZhangColorizer trains: a new fit call may trace the graph again
    data = np.resize(images, (args.steps * args.batch_size,) + images.shape[1:])
    batches = make_batches(data, data, batch_size=args.batch_size, seed=0)
    history = model.fit(batches, epochs=1 + args.repeats, verbose=0, shuffle=False,
                        callbacks=[EpochTimes()])  # fmt: skip
    return times, float(history.history["loss"][-1])


def alternate(steps: dict, n_steps: int, warmup: int, repeats: int):
    """Seconds of ``repeats`` runs of ``n_steps`` calls of each ``name -> step()``, in turn.

    Round after round each contender runs its steps, so that on a shared machine every one sees
    the same load and their ratio stays meaningful when the absolute rates do not. Returns
    ``({name: [seconds per round]}, {name: last value step() returned})``; the process's CPU
    seconds per round, which load moves much less than wall time, are in ``CPU_TIMES``.
    """
    last = {}
    for name, step in steps.items():
        for _ in range(warmup):
            last[name] = step()
    times = {name: [] for name in steps}
    CPU_TIMES.clear()
    CPU_TIMES.update({name: [] for name in steps})
    for _ in range(repeats):
        for name, step in steps.items():
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(n_steps):
                last[name] = step()
            times[name].append(time.perf_counter() - start)
            CPU_TIMES[name].append(time.process_time() - cpu)
    return times, last


CPU_TIMES = {}  # name -> process CPU seconds of each round of the last alternate()


def _torch_module(name, args):
    """A torch reference module of this folder, torch's CPU threads set as asked."""
    import importlib

    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    where = torch.cuda.get_device_name() if torch.cuda.is_available() else f"cpu, {torch.get_num_threads()} threads"
    print(f"torch              {torch.__version__} on {where}, bfloat16 autocast "
          f"{'on' if args.mixed_bfloat16 else 'off'}")
    return importlib.import_module(name)


def _time_and_report(steps: dict, args, gflop: float, load_before: float, batch: str) -> int:
    """Alternate ``steps``, then print the batch (``batch`` and each contender's last loss), each
    one's figures with its ratio to PyTorch eager, and the load (the Iizuka and palette runs)."""
    times, losses = alternate(steps, args.steps, args.warmup, args.repeats)
    print(f"batch              {batch}, last loss " + ", ".join(f"{name} {loss:.4f}" for name, loss in losses.items()))
    _report_all(times, args, gflop)
    _print_load(load_before)
    return 0


def _report_all(times: dict, args, gflop: float) -> None:
    rates = {name: _report(name, t, args, gflop) for name, t in times.items()}
    if "torch eager" in rates:
        for name in rates:
            if name != "torch eager":
                print(f"ratio              {name} / torch eager = {rates[name] / rates['torch eager']:.2f} "
                      f"(median images/s of the same rounds)")


def _iizuka(args, load_before) -> int:
    """The ``--model iizuka`` run: Keras training steps, in turn with the torch reference if asked."""
    import keras

    from chroma_lab.losses import iizuka_compile_losses
    from chroma_lab.models.iizuka2016 import CONFIGS, build, build_training_model, parameter_count
    from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes

    if args.mixed_bfloat16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    num_classes = 205  # the paper's Places classes; the scenes use the first 6
    images, names = synthetic_scenes(min(args.batch_size, 64), size=args.image_size, seed=0)
    labels = np.array([SCENE_CLASSES.index(name) for name in names])
    images = np.resize(images, (args.batch_size,) + images.shape[1:])
    labels = np.resize(labels, (args.batch_size,))

    config = CONFIGS[args.size]
    network = build(args.size, num_classes=num_classes)
    model = build_training_model(network)
    jit = {"auto": "auto", "on": True, "off": False}[args.jit]
    optimizer = (keras.optimizers.Adadelta(1.0, rho=0.95, epsilon=1e-6) if args.optimizer == "adadelta"
                 else keras.optimizers.Adam(1e-4))  # fmt: skip
    model.compile(optimizer=optimizer, jit_compile=jit, **iizuka_compile_losses())
    x = on_device(images)
    y = {"ab": x, "scene": on_device(labels.astype(np.int32))}
    steps = {"keras": lambda: float(np.asarray(model.train_on_batch(x, y, return_dict=True)["loss"]))}
    gflop = iizuka_flops(config, args.image_size, args.image_size, num_classes) / 1e9
    print(f"backend            {keras.backend.backend()}  (jit_compile={args.jit}, policy "
          f"{keras.mixed_precision.global_policy().name})")
    print(f"network            iizuka {args.size}: {parameter_count(network):,} weights and biases, "
          f"{gflop:.2f} GFLOP forward per {args.image_size}x{args.image_size} image")
    if args.torch:
        torch_iizuka = _torch_module("torch_iizuka", args)
        count = torch_iizuka.check_against_keras(network, config, num_classes)
        torch_iizuka.check_lab()
        print(f"torch reference    eager, {count:,} weights and biases (= Keras)")
        steps["torch eager"] = torch_iizuka.make_step(images, labels, config, num_classes,
                                                      args.mixed_bfloat16)  # fmt: skip
    return _time_and_report(steps, args, gflop, load_before, f"{args.batch_size} x {args.image_size}x"
                            f"{args.image_size} uint8 RGB + scene labels, {args.optimizer}")  # fmt: skip


def _palette(args, load_before) -> int:
    """Lesson 4's palette CNN ("onehot", 32 colours, 32 filters, Adadelta 2.0), as the lesson trains it."""
    import keras

    from chroma_lab.color import rgb_to_gray
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer
    from chroma_lab.scenes import synthetic_scenes

    keras.utils.set_random_seed(0)
    images, _ = synthetic_scenes(min(args.batch_size, 64), size=args.image_size, seed=0)
    images = np.resize(images, (args.batch_size,) + images.shape[1:])
    colorizer = PaletteCNNColorizer(n_colors=32, image_size=args.image_size, batch_size=args.batch_size,
                                    seed=0)  # fmt: skip
    colorizer._setup(images)  # the K-means palette of the batch, as fit learns it
    model = colorizer._build_model()
    gray, classes = colorizer._training_data(images)
    x, y = on_device(gray), on_device(classes)
    steps = {"keras": lambda: float(np.asarray(model.train_on_batch(x, y)))}
    n_weights = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    gflop = 2 * args.image_size**2 * (9 * 32 + 32 * 32) / 1e9
    print(f"backend            {keras.backend.backend()}  (jit_compile=auto, policy "
          f"{keras.mixed_precision.global_policy().name})")
    print(f"network            palette CNN (lesson 4): {n_weights:,} weights, {gflop:.4f} GFLOP "
          f"forward per {args.image_size}x{args.image_size} image")
    if args.torch:
        torch_palette = _torch_module("torch_palette", args)
        torch_palette.check_lightness()
        steps["torch eager"] = torch_palette.make_step(rgb_to_gray(images, method="cie"), classes)
    return _time_and_report(steps, args, gflop, load_before, f"{args.batch_size} x {args.image_size}x"
                            f"{args.image_size} uint8 gray, 32 palette classes, Adadelta")  # fmt: skip


def iizuka_flops(config, height: int, width: int, num_classes: int) -> int:
    """Forward FLOPs (2 x multiply-adds) of the convolutions and FC layers for one image."""
    macs = 0

    def convs(h, w, c, table, kernel=3):
        nonlocal macs
        for channels, stride in table:
            h, w = -(-h // stride), -(-w // stride)
            macs += h * w * kernel * kernel * c * channels
            c = channels
        return h, w, c

    h, w, c = convs(height, width, 1, config.low)  # the local path
    h, w, c = convs(h, w, c, [(m, 1) for m in config.mid])
    gh, gw, gc = convs(config.global_size, config.global_size, 1, config.low)  # the global path
    gh, gw, gc = convs(gh, gw, gc, config.global_convs)
    n = gh * gw * gc
    for units in config.global_fc:
        macs, n = macs + n * units, units
    macs += config.global_fc[-2] * config.class_hidden + config.class_hidden * num_classes
    h, w, c = convs(h, w, c + config.global_fc[-1], [(config.fusion, 1)], kernel=1)
    for i, channels in enumerate(config.color, 1):
        h, w, c = convs(h, w, c, [(channels, 1)])
        if i in config.upsample_after:
            h, w = 2 * h, 2 * w
    convs(h, w, c, [(2, 1)])
    return 2 * macs


def _report(label, times, args, gflop, how=None) -> float:
    seconds = float(np.median(times))
    rate = args.steps * args.batch_size / seconds
    best = args.steps * args.batch_size / min(times)
    how = how or f"{args.warmup} warm-up steps excluded"
    cpu = (f"; CPU {1000 * float(np.median(CPU_TIMES[label])) / args.steps:.1f} ms per step"
           if label in CPU_TIMES else "")  # fmt: skip
    print(f"{label + ' time':19s}{seconds / args.steps * 1000:.1f} ms per step{cpu}, median of "
          f"{len(times)} runs of {args.steps} steps ({how})")
    print(f"{label + ' rate':19s}{rate:.1f} images/s median, {best:.1f} best  "
          f"(~{3 * gflop * rate / 1000:.3f} TFLOP/s counting training as 3x forward)")
    return rate


def _print_load(before: float) -> None:
    if hasattr(os, "getloadavg"):
        print(f"load average       {before:.2f} before, {os.getloadavg()[0]:.2f} after (1 minute; "
              f"other processes share the CPU)")


if __name__ == "__main__":
    raise SystemExit(main())
