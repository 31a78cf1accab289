"""How long a user waits for the full Zhang et al. network to colorize a photo on the CPU.

One forward pass of ``zhang2016.build("full")`` (the released ECCV16 layout) on normalised L of
256x256, the size the reference pipeline and ``ZhangColorizer`` resize every photo to, timed in
one run through:

* ``eager``: ``network(x, training=False)``, what ``ZhangColorizer`` called before;
* ``predict_on_batch``: Keras' compiled predict function (a ``tf.function`` on TensorFlow),
  traced once for the fixed 256x256 input;
* ``colorizer``: ``ZhangColorizer._forward`` of lightness 256x256 (normalising, chunking, then
  ``predict_on_batch``): the path ``colorize`` takes now, less the decoding;
* ``xla``: the same with ``jit_compile=True`` (``--xla``; slower on some CPUs);
* ``bfloat16``: ``predict_on_batch`` of the same weights under the ``mixed_bfloat16`` policy
  (``--bf16``): not what ``colorize`` runs, as its outputs differ from float32's by more than
  round-off; it shows what a CPU with AVX512_BF16 or AMX would buy;
* ``torch``: the same layout in PyTorch eager under ``no_grad`` (when torch is importable).

The variants are timed in turn, round after round. It prints milliseconds per image (median and
best of ``--repeats``), the ratio to PyTorch, the
load average before and after, and, for photos of mixed sizes colorized one by one with
``ZhangColorizer.colorize``, how many times the predict function was traced (TensorFlow only).

    python3 benchmarks/bench_colorize_full.py [--repeats 7] [--batch 1] [--xla] [--bf16]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def timed_round_robin(calls: dict, repeats: int, warmup: int = 2) -> dict:
    """Seconds per call of each ``name -> (fn, x)``, interleaved: on a shared machine every
    variant sees the same load, so their ratios stay meaningful when the absolute times do not."""
    for fn, x in calls.values():
        for _ in range(warmup):
            fn(x)
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, (fn, x) in calls.items():
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    return times


def torch_network(config):
    """The ECCV16 layout in PyTorch (as colorizers/eccv16.py builds it), random weights."""
    import torch
    from torch import nn

    blocks, in_ch = [], 1
    for block in range(1, 8):
        width, depth = config.widths[block - 1], config.depths[block - 1]
        dilation = config.dilation if block in config.dilated_blocks else 1
        for i in range(depth):
            stride = 2 if (block in config.strided_blocks and i == depth - 1) else 1
            blocks += [nn.Conv2d(in_ch, width, 3, stride, padding=dilation, dilation=dilation),
                       nn.ReLU(True)]  # fmt: skip
            in_ch = width
        blocks.append(nn.BatchNorm2d(width))
    width = config.widths[7]
    blocks += [nn.ConvTranspose2d(in_ch, width, 4, 2, padding=1), nn.ReLU(True)]
    for _ in range(config.depths[7] - 1):
        blocks += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(True)]
    blocks.append(nn.Conv2d(width, 313, 1))
    network = nn.Sequential(*blocks).eval()

    def forward(x):
        with torch.no_grad():
            return network(x)

    return forward, torch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1, help="images per forward pass")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--xla", action="store_true", help="also time jit_compile=True")
    parser.add_argument("--bf16", action="store_true", help="also time the mixed_bfloat16 policy")
    args = parser.parse_args(argv)

    import keras

    from chroma_lab.models import zhang2016
    from chroma_lab.models.zhang2016 import CONFIGS
    from chroma_lab.quantize import N_BINS

    load_before = os.getloadavg()
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (args.batch, args.side, args.side, 1)).astype(np.float32)
    network = zhang2016.build("full")
    colorizer = zhang2016.ZhangColorizer.from_network(
        zhang2016.build("full"), prior=np.full(N_BINS, 1 / N_BINS), weights="random",
        size="full", image_size=args.side, verbose=0)  # fmt: skip
    calls = {}
    eager_x = keras.ops.convert_to_tensor(x)
    calls["eager"] = (lambda v: keras.ops.convert_to_numpy(network(v, training=False)), eager_x)
    calls["predict_on_batch"] = (network.predict_on_batch, x)
    calls["colorizer"] = (colorizer._forward, 50 + 100 * x[..., 0].astype(np.float64))
    if args.xla:
        xla = zhang2016.build("full")
        xla.compile(jit_compile=True)
        calls["xla"] = (xla.predict_on_batch, x)
    if args.bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        bf16 = zhang2016.build("full")
        keras.mixed_precision.set_global_policy("float32")
        bf16.set_weights(network.get_weights())
        calls["bfloat16"] = (bf16.predict_on_batch, x)
        ab = [keras.ops.convert_to_numpy(zhang2016.decode_ab(m.predict_on_batch(x).astype(np.float32)))
              for m in (bf16, network)]  # fmt: skip
        gap = np.abs(ab[0] - ab[1])
        print(f"bfloat16: largest ab difference from float32 {float(np.max(gap)):.2g} (random weights, "
              f"near-uniform outputs: trained weights differ more)")
    try:
        forward, torch = torch_network(CONFIGS["full"])
        calls["torch"] = (forward, torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
        threads = torch.get_num_threads()
    except ImportError:
        threads = None
    rows = timed_round_robin(calls, args.repeats)

    print(f"full network, {args.batch} x {args.side}x{args.side}, backend "
          f"{keras.backend.backend()}, {os.cpu_count()} CPUs (torch threads {threads})")
    torch_ms = 1000 * np.median(rows["torch"]) / args.batch if "torch" in rows else None
    for name, times in rows.items():
        median, best = (1000 * f(times) / args.batch for f in (np.median, np.min))
        ratio = f"{median / torch_ms:5.2f}x torch" if torch_ms else ""
        print(f"  {name:17s} {median:7.1f} ms/image (best {best:7.1f})  {ratio}")

    # mixed sizes: every photo enters at side x side, so the predict function is traced once
    sizes = [(300, 200), (517, 389), (256, 256), (123, 457)]
    gray = [rng.integers(0, 256, s, dtype=np.uint8) for s in sizes]
    fresh = zhang2016.ZhangColorizer.from_network(
        zhang2016.build("full"), prior=np.full(N_BINS, 1 / N_BINS), weights="random",
        size="full", image_size=args.side, verbose=0)  # fmt: skip
    start = time.perf_counter()
    for g in gray:
        fresh.colorize(g[None])
    total = time.perf_counter() - start
    traces = "n/a"
    if keras.backend.backend() == "tensorflow":
        traces = fresh.network_.predict_function.experimental_get_tracing_count()
    print(f"  ZhangColorizer.colorize, {len(sizes)} photos of sizes {sizes} one by one: "
          f"{1000 * total / len(sizes):.0f} ms/photo (first includes the trace), predict function "
          f"traced {traces} time(s)")
    print(f"  load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
