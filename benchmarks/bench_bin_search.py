"""Time what a user waits for from the nearest-bin search: a folder's class prior, lesson 5's cells.

Run from the repository root (a few minutes on 2 CPU cores; most of it reading and Lab)::

    python3 benchmarks/bench_bin_search.py [--images 1000] [--size 256] [--repeats 3]
    python3 benchmarks/bench_bin_search.py --against /tmp/old   # a second checkout, interleaved

Two workloads, each timed end to end with whatever ``chroma_lab`` is importable and, with
``--against DIR``, with the copy of the package in ``DIR/chroma_lab`` as well (for example an
older commit: ``git archive <commit> chroma_lab | tar -x -C /tmp/old``), alternating between the
two in the same run so that both see the same machine load:

1. **The class prior of a folder**: ``load_folder(folder, size=256)`` on a temporary folder of
   ``--images`` links to the shared photos (``../shared/datasets/photos``, repeated; synthetic
   scenes written as PNG files where that folder is absent), then ``split_lab`` and ``class_prior``,
   as ``ZhangColorizer.fit`` does. The prior runs on ``--chunk`` images at a time (the raw
   histograms weighted by pixel count, then smoothed once: the same prior as one call on every
   pixel, without several GB of float64 Lab at once). Reading is the same code for both engines,
   so it is timed once.
2. **Lesson 5's cells that soft-encode or count bins**, at the lesson's full size: one pixel's
   target, the exercise checker's 24 values, the prior of 128 training scenes and of the 9 photos
   at 64x64, the dense targets of a 3-image batch, the AuC class weights of 32 test scenes.
3. For scale, **the search alone** on one 256x256 photo's 65536 ab values: ``nearest_bin`` and
   ``soft_encode_sparse`` (k = 5).

Prints medians over ``--repeats`` runs in seconds, the machine's load average, and checks that
the two engines' results agree.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "photos"


def import_package(root=None) -> SimpleNamespace:
    """``quantize`` and ``split_lab`` of the chroma_lab under ``root`` (None: the importable one).

    The modules of another root are imported under the usual names and then taken out of
    ``sys.modules`` again, so two copies live side by side, each bound to its own engine.
    """
    if root is None:
        import chroma_lab.data
        import chroma_lab.quantize

        return SimpleNamespace(name="this checkout", quantize=chroma_lab.quantize,
                               split_lab=chroma_lab.data.split_lab)  # fmt: skip
    ours = [n for n in sys.modules if n == "chroma_lab" or n.startswith("chroma_lab.")]
    saved = {n: sys.modules.pop(n) for n in ours}
    sys.path.insert(0, str(root))
    try:
        quantize = importlib.import_module("chroma_lab.quantize")
        data = importlib.import_module("chroma_lab.data")
        where = Path(sys.modules["chroma_lab"].__file__).resolve()
        if Path(root).resolve() not in where.parents:
            raise SystemExit(f"--against {root}: imported chroma_lab from {where} instead")
    finally:
        sys.path.remove(str(root))
        for n in [n for n in sys.modules if n == "chroma_lab" or n.startswith("chroma_lab.")]:
            del sys.modules[n]
        sys.modules.update(saved)
    return SimpleNamespace(name=str(root), quantize=quantize, split_lab=data.split_lab)


def make_folder(folder: Path, n: int) -> str:
    """``n`` image files in ``folder``: links to the shared photos, or synthetic scenes as PNG."""
    photos = sorted(p for p in PHOTOS.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if photos:
        for i in range(n):
            (folder / f"{i:05d}{photos[i % len(photos)].suffix}").symlink_to(photos[i % len(photos)])
        return f"{len(photos)} shared photos, repeated"
    from PIL import Image

    from chroma_lab.scenes import synthetic_scenes

    scenes, _ = synthetic_scenes(min(n, 200), size=256, seed=0)
    for i in range(n):
        Image.fromarray(scenes[i % len(scenes)]).save(folder / f"{i:05d}.png")
    return "synthetic scenes (the shared photos are absent)"


def folder_prior(package, images, chunk: int) -> np.ndarray:
    """class_prior of every pixel of ``images``, ``chunk`` images per call."""
    q = package.quantize
    counts = np.zeros(q.N_BINS)
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk]
        counts += q.class_prior(package.split_lab(part)[1], sigma=None) * part[..., 0].size
    prior = q.smooth_on_bins(counts / counts.sum(), 5.0)
    return prior / prior.sum()


def lesson_cells(package, scenes, photos) -> list:
    """The engine calls of lesson 5 (full mode: 160 scenes of 64x64, 128 to train on)."""
    q, split_lab = package.quantize, package.split_lab
    train, test = scenes[:128], scenes[128:]
    pixel = np.array([23.0, -41.0])
    checker_ab = np.random.default_rng(0).uniform(-80, 80, (12, 2))
    batch = train[:3]
    true_ab = split_lab(test)[1]
    return [
        q.soft_encode(pixel), q.nearest_bin(pixel),
        *(q.soft_encode(checker_ab, k, s) for k, s in ((5, 5.0), (3, 10.0))),
        q.class_prior(split_lab(train)[1]),
        q.class_prior(split_lab(photos)[1]),
        q.soft_encode(split_lab(batch)[1][:, ::4, ::4]),
        1.0 / q.class_prior(true_ab, sigma=None)[q.nearest_bin(true_ab)],
    ]  # fmt: skip


def interleaved(packages, fn, repeats: int):
    """Median wall and CPU seconds of ``fn(package)`` per package, alternating the order.

    CPU time is summed over the process's threads; on a loaded machine it varies less than the
    wall time, which is what a user waits for.
    """
    times = {p.name: [] for p in packages}
    results = {p.name: fn(p) for p in packages}  # warm-up: builds each engine's tables
    for r in range(repeats):
        for p in packages if r % 2 == 0 else packages[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            fn(p)
            times[p.name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: np.median(t, axis=0) for name, t in times.items()}, results


def largest_difference(results) -> float:
    """Largest difference between the engines' results (priors and bin indices must agree
    exactly; weights within float32 rounding)."""
    first, second = results.values()
    return max(float(np.abs(np.asarray(a, float) - np.asarray(b, float)).max())
               for a, b in zip(first, second))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="images in the folder (1000)")
    parser.add_argument("--size", type=int, default=256, help="side they are read at (256)")
    parser.add_argument("--chunk", type=int, default=100, help="images per class_prior call (100)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine (3)")
    parser.add_argument("--against", type=Path, help="a folder holding another chroma_lab package")
    args = parser.parse_args()

    from chroma_lab.data import bundled_photos, load_folder
    from chroma_lab.scenes import synthetic_scenes

    packages = [import_package()] + ([import_package(args.against)] if args.against else [])
    print(f"{len(os.sched_getaffinity(0))} cores; load average at start "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        source = make_folder(Path(tmp), args.images)
        start = time.perf_counter()
        images, _ = load_folder(tmp, size=args.size, progress=False)
        read = time.perf_counter() - start
    print(f"\n1. Class prior of a folder of {len(images)} images at {args.size}x{args.size} "
          f"({source}); median of {args.repeats}")
    prior_times, priors = interleaved(packages, lambda p: [folder_prior(p, images, args.chunk)],
                                      args.repeats)  # fmt: skip
    print(f"   {'engine':40s} {'read s':>7s} {'Lab + prior s':>14s} {'total s':>8s} {'(cpu s)':>8s}")
    for name, (t, cpu) in prior_times.items():
        print(f"   {name:40s} {read:7.2f} {t:14.2f} {read + t:8.2f} {cpu:8.2f}")

    scenes, _ = synthetic_scenes(160, size=64, seed=0)
    photos, _ = bundled_photos(size=64)
    cell_times, cells = interleaved(packages, lambda p: lesson_cells(p, scenes, photos),
                                    max(args.repeats, 5))  # fmt: skip
    print(f"\n2. Lesson 5's soft-encoding and prior cells (full mode); median of "
          f"{max(args.repeats, 5)}")
    for name, (t, cpu) in cell_times.items():
        print(f"   {name:40s} {1e3 * t:8.1f} ms (cpu {1e3 * cpu:.1f} ms)")

    ab = np.ascontiguousarray(packages[0].split_lab(images[:1])[1].reshape(-1, 2))
    engine_times, _ = interleaved(
        packages, lambda p: [p.quantize.nearest_bin(ab), *p.quantize.soft_encode_sparse(ab)],
        max(3 * args.repeats, 15))  # fmt: skip
    print(f"\n3. The search alone on {len(ab)} ab values (nearest_bin + soft_encode_sparse); "
          f"median of {max(3 * args.repeats, 15)}")
    for name, (t, cpu) in engine_times.items():
        print(f"   {name:40s} {1e3 * t:8.1f} ms (cpu {1e3 * cpu:.1f} ms)")

    if len(packages) == 2:
        a, b = (p.name for p in packages)
        print(f"\nwall-time ratio {b} / {a}: folder total "
              f"{(read + prior_times[b][0]) / (read + prior_times[a][0]):.2f}x, "
              f"lesson cells {cell_times[b][0] / cell_times[a][0]:.2f}x, "
              f"search alone {engine_times[b][0] / engine_times[a][0]:.2f}x")
        print(f"largest difference of the results: folder prior "
              f"{largest_difference(priors):.1e}, lesson cells {largest_difference(cells):.1e}")
    print(f"load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
