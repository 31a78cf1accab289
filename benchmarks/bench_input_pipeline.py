"""Input pipeline for training on a folder: throughput per core, and memory while training.

    python3 benchmarks/bench_input_pipeline.py throughput --n 512     # JPEG 256 -> 224 batches
    python3 benchmarks/bench_input_pipeline.py memory --sizes 5000 20000

``throughput`` writes ``--n`` synthetic scenes as 256x256 JPEG files and reads them as 224x224
uint8 batches of 64 (centre crop, Lanczos) with: a plain single-process PIL loop
(``load_image`` + ``resize_crop``); :class:`chroma_lab.data.FolderStream` through Keras' own
``PyDataset`` reader with 1 worker, 2 and 4 threads, and 2 processes; and, for reference,
``tf.data`` (``decode_jpeg``, crop, bilinear resize, ``num_parallel_calls=AUTOTUNE``; TensorFlow
only, and a cheaper resize). Each line: images/s (wall), CPU seconds, and images per CPU second,
the rate per core, which is what decides how many cores feed a GPU.

``memory`` writes each folder of 64x64 JPEG scenes and trains the small Zhang network one epoch on
it from a FolderStream in a fresh subprocess per folder, printing the child's peak RSS
(``getrusage`` maxrss), wall and CPU time and images/s: the pipeline plus the training step.
``--in-memory`` adds the same run through ``load_folder`` (the whole array) for contrast.

Load averages are printed with every table: the machine is shared, so wall figures vary with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BATCH, SIDE, CROP = 64, 256, 224


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--n", type=int, default=512)
    t.add_argument("--repeats", type=int, default=2)
    m = sub.add_parser("memory")
    m.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    m.add_argument("--image-size", type=int, default=64)
    m.add_argument("--batch-size", type=int, default=32)
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--in-memory", action="store_true")
    c = sub.add_parser("_train")  # the child of `memory`
    c.add_argument("folder")
    c.add_argument("--image-size", type=int)
    c.add_argument("--batch-size", type=int)
    c.add_argument("--workers", type=int)
    c.add_argument("--in-memory", action="store_true")
    args = parser.parse_args(argv)
    {"throughput": throughput, "memory": memory, "_train": _train}[args.what](args)


# ----------------------------------------------------------------------------------------------
# Throughput of the input pipeline alone
# ----------------------------------------------------------------------------------------------
def throughput(args) -> None:
    root = Path(tempfile.mkdtemp(prefix="chroma_bench_"))
    try:
        folder = write_jpegs(root / "jpeg256", args.n, SIDE)
        print(f"{args.n} JPEG files {SIDE}x{SIDE} -> uint8 batches of {BATCH} x {CROP}x{CROP}x3; "
              f"{os.cpu_count()} cores; load {_load()}")
        lines = [("PIL loop, 1 process", lambda: _pil_loop(folder)),
                 ("FolderStream, workers=1", lambda: _stream(folder, 1, False)),
                 ("FolderStream, 2 threads", lambda: _stream(folder, 2, False)),
                 ("FolderStream, 4 threads", lambda: _stream(folder, 4, False)),
                 ("FolderStream, 2 processes", lambda: _stream(folder, 2, True)),
                 ("tf.data, AUTOTUNE (reference)", lambda: _tf_data(folder))]
        print(f"{'loader':32s} {'images/s':>9s} {'CPU s':>7s} {'images/CPU s':>13s}  (best of "
              f"{args.repeats} after a warm-up, round-robin)")
        results = {name: [] for name, _ in lines}
        for round_ in range(args.repeats + 1):  # round 0 warms up: imports, tf.function tracing
            for name, run in lines:
                timing = _timed(run, args.n)
                if round_:
                    results[name].append(timing)
        for name, runs in results.items():
            wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
            print(f"{name:32s} {args.n / wall:9.0f} {cpu:7.2f} {args.n / cpu:13.0f}")
        print(f"load after: {_load()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _timed(run, n):
    start_wall, start_cpu = time.perf_counter(), _cpu_seconds()
    count = run()
    assert count == n, (count, n)
    return time.perf_counter() - start_wall, _cpu_seconds() - start_cpu


def _pil_loop(folder):
    from chroma_lab.data import load_image, resize_crop
    from chroma_lab.data.images import _folder_entries

    files = [file for file, _ in _folder_entries(folder)]
    count = 0
    for start in range(0, len(files), BATCH):
        batch = np.stack([resize_crop(load_image(f), CROP) for f in files[start : start + BATCH]])
        count += len(batch)
    return count


def _stream(folder, workers, processes):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    from chroma_lab.data import FolderStream

    stream = FolderStream(folder, CROP, BATCH, workers=workers, use_multiprocessing=processes)
    adapter = PyDatasetAdapter(stream, shuffle=False)
    adapter.on_epoch_begin()
    # the adapter hands each batch over as a tuple (x,)
    count = sum(len(batch[0] if isinstance(batch, tuple) else batch)
                for batch in adapter.get_numpy_iterator())
    adapter.on_epoch_end()
    return count


def _tf_data(folder):
    import tensorflow as tf

    def decode(path):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
        image = tf.image.resize_with_crop_or_pad(image, side, side)
        return tf.cast(tf.image.resize(image, (CROP, CROP), antialias=True) + 0.5, tf.uint8)

    files = sorted(str(p) for p in folder.rglob("*.jpg"))
    ds = tf.data.Dataset.from_tensor_slices(files).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)
    return sum(int(batch.shape[0]) for batch in ds)


# ----------------------------------------------------------------------------------------------
# Peak memory of one training epoch, per folder size, each in a fresh process
# ----------------------------------------------------------------------------------------------
def memory(args) -> None:
    root = Path(tempfile.mkdtemp(prefix="chroma_bench_"))
    try:
        print(f"small Zhang, one epoch, image_size {args.image_size}, batch {args.batch_size}, "
              f"{args.workers} decoding threads; {os.cpu_count()} cores")
        print(f"{'images':>7s} {'source':10s} {'peak RSS MB':>11s} {'wall s':>7s} {'CPU s':>7s} "
              f"{'images/s':>8s} {'images/CPU s':>12s}  load")
        for n in args.sizes:
            folder = write_jpegs(root / f"scenes{n}", n, args.image_size)
            for in_memory in ([False, True] if args.in_memory else [False]):
                command = [sys.executable, __file__, "_train", str(folder),
                           "--image-size", str(args.image_size), "--batch-size", str(args.batch_size),
                           "--workers", str(args.workers), *(["--in-memory"] if in_memory else [])]
                out = subprocess.run(command, capture_output=True, text=True, check=False)
                if out.returncode:
                    sys.exit(f"child failed:\n{out.stderr[-3000:]}")
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{n:7d} {'in memory' if in_memory else 'stream':10s} {r['maxrss_mb']:11.0f} "
                      f"{r['wall']:7.1f} {r['cpu']:7.1f} {n / r['wall']:8.0f} {n / r['cpu']:12.0f}"
                      f"  {_load()}")
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _train(args) -> None:
    from chroma_lab.data import FolderStream, load_folder
    from chroma_lab.models.zhang2016 import ZhangColorizer

    start_wall, start_cpu = time.perf_counter(), _cpu_seconds()
    colorizer = ZhangColorizer(image_size=args.image_size, epochs=1, batch_size=args.batch_size,
                               verbose=0, seed=0)  # fmt: skip
    if args.in_memory:
        data = load_folder(args.folder, size=args.image_size, progress=False)[0]
    else:
        data = FolderStream(args.folder, args.image_size, args.batch_size, workers=args.workers)
    colorizer.fit(data)
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"maxrss_mb": maxrss_kb / 1024, "wall": time.perf_counter() - start_wall,
                      "cpu": _cpu_seconds() - start_cpu}))  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def write_jpegs(folder: Path, n: int, side: int) -> Path:
    """n synthetic scenes as JPEG files (quality 90) in class subfolders, drawn 512 at a time."""
    from PIL import Image

    from chroma_lab.scenes import synthetic_scenes

    for start in range(0, n, 512):
        images, names = synthetic_scenes(min(512, n - start), size=side, seed=start)
        for i, (image, name) in enumerate(zip(images, names)):
            (folder / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / name / f"{start + i:06d}.jpg", quality=90)
    return folder


def _cpu_seconds() -> float:
    """User + system CPU of this process (all its threads) and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
