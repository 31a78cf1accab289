"""Training throughput of Zhang et al. (2016), in images per second, on the active Keras backend.

A training step here is the whole pipeline: uint8 RGB in, Lab conversion, soft-encoded targets,
rebalancing weights and the gray mask built inside the graph, forward, backward, Adam update.
The batch is placed on the device once, as uint8, before timing; warm-up steps (tracing, XLA
compilation, autotuning) are excluded.

    python3 benchmarks/train_throughput.py --size small --image-size 64              # 2-core CPU
    python3 benchmarks/train_throughput.py --size full --image-size 224 --batch-size 4 --steps 2
    KERAS_BACKEND=jax python3 benchmarks/train_throughput.py --size full --image-size 224 \
        --batch-size 64 --mixed-bfloat16 --torch                                      # GPU

``--torch`` also times the plain PyTorch network of ``benchmarks/torch_zhang.py`` (eager and
``torch.compile``) on the same sizes in the same command. Peak memory: the device's peak
allocation on a GPU (JAX ``memory_stats``, TensorFlow ``get_memory_info``, ``torch.cuda``), the
process's peak resident memory on a CPU.
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
    parser.add_argument("--size", choices=("small", "full"), default="small")
    parser.add_argument("--loss", choices=("full", "class", "l2"), default="full")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of --steps steps")
    parser.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                        help="jit_compile (XLA on TensorFlow; JAX always compiles)")
    parser.add_argument("--mixed-bfloat16", action="store_true")
    parser.add_argument("--via-fit", action="store_true",
                        help="time the epochs of one model.fit on host uint8 batches "
                             "(data.make_batches, as ZhangColorizer trains) instead of "
                             "train_on_batch on a device batch")
    parser.add_argument("--torch", action="store_true",
                        help="also time benchmarks/torch_zhang.py, eager and torch.compile")
    args = parser.parse_args(argv)

    import keras

    from chroma_lab.data import split_lab
    from chroma_lab.losses import get_loss
    from chroma_lab.models.zhang2016 import CONFIGS, build, build_training_model, conv_flops, conv_parameters
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
                  loss=get_loss(args.loss, prior, stride=CONFIGS[args.size].output_stride), jit_compile=jit)
    times = []
    if args.via_fit:
        from chroma_lab.data import make_batches

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
        loss = history.history["loss"][-1]
    else:
        x = on_device(images)
        for _ in range(args.warmup):
            model.train_on_batch(x, x)
        for _ in range(args.repeats):  # a shared machine is noisy: report the median and the best
            start = time.perf_counter()
            for _ in range(args.steps):
                loss = model.train_on_batch(x, x)  # a host float: every step is synchronised
            times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    rate = args.steps * args.batch_size / seconds
    best = args.steps * args.batch_size / min(times)

    gflop = conv_flops(network, args.image_size, args.image_size) / 1e9
    print(f"backend            {keras.backend.backend()}  (jit_compile={args.jit}, policy "
          f"{keras.mixed_precision.global_policy().name})")
    print(f"network            {args.size}: {conv_parameters(network):,} conv parameters, "
          f"{gflop:.2f} GFLOP forward per {args.image_size}x{args.image_size} image")
    print(f"batch              {args.batch_size} x {args.image_size}x{args.image_size} uint8 RGB, "
          f"loss {args.loss}, last loss {float(np.asarray(loss)):.4f}")
    how = "model.fit epoch on host batches" if args.via_fit else "train_on_batch on a device batch"
    print(f"time               {seconds / args.steps * 1000:.1f} ms per step, median of "
          f"{args.repeats} runs of {args.steps} steps ({how}; "
          f"{'the first epoch' if args.via_fit else f'{args.warmup} warm-up steps'} excluded)")
    print(f"throughput         {rate:.1f} images/s median, {best:.1f} best  "
          f"(~{3 * gflop * rate / 1000:.3f} TFLOP/s counting training as 3x forward)")
    print(f"peak memory        {peak_memory_bytes() / 2**20:.0f} MiB")
    if args.torch:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import torch_zhang

        for compiled in (False, True):
            r = torch_zhang.run(args.size, args.image_size, args.batch_size, args.steps, args.warmup,
                                compile_=compiled, bf16=args.mixed_bfloat16)  # fmt: skip
            print(f"pytorch {'compile' if compiled else 'eager  '}    {r['images_per_s']:.1f} images/s "
                  f"(~{r['tflops']:.3f} TFLOP/s), peak memory {r['peak_bytes'] / 2**20:.0f} MiB, {r['device']}")
    if hasattr(os, "getloadavg"):
        print(f"load average       {os.getloadavg()[0]:.2f} (other processes share the CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
