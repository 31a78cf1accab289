"""Benchmark the colour core: soft-encoding onto the 313 bins, and sRGB <-> Lab conversion.

Run from the repository root (under a minute on 2 CPU cores)::

    python3 benchmarks/bench_core.py [--repeats 15]

Soft-encoding is timed on the ab channels of a 256x256 photo (scikit-image's astronaut, resized)
against the method of Zhang et al.'s reference code (``NNEncode`` in richzhang/colorization): a
scikit-learn ``NearestNeighbors`` ball tree over the 313 bins, 5 nearest, Gaussian weights
written into a dense (N, 313) float64 array. Every line prints the largest difference between
its weights and the reference's (float32 rounding, about 1e-7, is the most a line may show).
Lab conversion is timed against scikit-image on a 512x512 photo.

Times are milliseconds after a warm-up call: the median and the minimum wall-clock time of
``--repeats`` runs, and the minimum CPU time (summed over threads; both run on one). On a shared
machine the minimum is the better estimate of an idle machine. What a user waits for (a folder's
class prior, lesson 5's cells) is measured by ``benchmarks/bench_bin_search.py``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from chroma_lab.color import lab_to_rgb, rgb_to_lab
from chroma_lab.quantize import SOFT_K, SOFT_SIGMA, ab_bins, soft_encode, soft_encode_sparse


def timings_ms(fn, repeats: int) -> tuple[float, float, float]:
    """Median and minimum wall time, and minimum CPU time (all threads) of ``fn()`` in ms."""
    fn()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1e3 * float(np.median(times)), 1e3 * float(np.min(times)), 1e3 * float(np.min(cpu))


class ReferenceEncoder:
    """Zhang et al.'s ``NNEncode``: ball-tree k-NN, Gaussian weights, a dense float64 array."""

    def __init__(self, k: int = SOFT_K, sigma: float = SOFT_SIGMA):
        from sklearn.neighbors import NearestNeighbors

        self.nbrs = NearestNeighbors(n_neighbors=k, algorithm="ball_tree").fit(ab_bins())
        self.sigma = sigma

    def sparse(self, ab_flat):
        dists, inds = self.nbrs.kneighbors(ab_flat)
        wts = np.exp(-(dists**2) / (2 * self.sigma**2))
        return inds, wts / wts.sum(axis=1, keepdims=True)

    def dense(self, ab_flat):
        inds, wts = self.sparse(ab_flat)
        dense = np.zeros((len(ab_flat), len(ab_bins())))
        dense[np.arange(len(ab_flat))[:, None], inds] = wts
        return dense


def photo(size: int) -> np.ndarray:
    """scikit-image's astronaut, resized to size x size, uint8 RGB."""
    from skimage import data, transform

    img = transform.resize(data.astronaut(), (size, size), anti_aliasing=True)
    return (img * 255).round().astype(np.uint8)


def _scatter(idx, w, n):
    dense = np.zeros((n, 313))
    dense[np.arange(n)[:, None], idx] = w
    return dense


def bench_soft_encoding(repeats: int) -> None:
    ab = rgb_to_lab(photo(256))[..., 1:]
    flat = ab.reshape(-1, 2)
    n = len(flat)
    ref = ReferenceEncoder()
    ref_dense = ref.dense(flat)
    ref_sparse = _scatter(*ref.sparse(flat), n)

    def dense_err(result):
        return np.abs(result.reshape(n, -1) - ref_dense).max()

    rows = []  # (name, (median, min), baseline (median, min), max weight difference)
    t_ref = timings_ms(lambda: ref.dense(flat), repeats)
    rows.append(("reference dense (NNEncode, fresh float64)", t_ref, t_ref, 0.0))
    for name, fn in (
        ("ours dense (fresh float32)", lambda: soft_encode(ab)),
        ("ours dense (fresh float64)", lambda: soft_encode(ab, dtype=np.float64)),
    ):
        rows.append((name, timings_ms(fn, repeats), t_ref, dense_err(fn())))
    t_ref_sparse = timings_ms(lambda: ref.sparse(flat), repeats)
    rows.append(("reference sparse (kneighbors + weights)", t_ref_sparse, t_ref_sparse, 0.0))
    ours_sparse = _scatter(*(x.reshape(n, -1) for x in soft_encode_sparse(ab)), n)
    t = timings_ms(lambda: soft_encode_sparse(ab), repeats)
    sparse_err = np.abs(ours_sparse - ref_sparse).max()
    rows.append(("ours sparse (soft_encode_sparse)", t, t_ref_sparse, sparse_err))

    print(f"Soft-encoding {n} ab values (256x256 photo), k=5, sigma=5; {repeats} runs; "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    header = f"{'median ms':>9s} {'min ms':>7s} {'cpu ms':>7s} {'speed-up':>15s}"
    print(f"{'method':42s} {header} {'max |w - w_ref|':>15s}")
    for name, (med, best, cpu), (base_med, base_best, _), err in rows:
        speed = f"{base_med / med:5.1f}x ({base_best / best:4.1f}x)"
        print(f"{name:42s} {med:9.1f} {best:7.1f} {cpu:7.1f} {speed:>15s} {err:15.1e}")
    worst = max(err for *_, err in rows)
    assert worst < 1e-6, f"weights differ from the reference by {worst:.2g}"
    print("speed-up: median over median (min over min); dense lines against the fresh reference")
    print("dense, sparse against the reference sparse")


def bench_lab(repeats: int) -> None:
    from skimage.color import lab2rgb, rgb2lab

    rgb = photo(512)
    lab = rgb_to_lab(rgb)
    print(f"\nLab conversion of a 512x512 photo; {repeats} runs")
    print(f"{'method':42s} {'ours ms':>9s} {'skimage':>7s} {'ratio':>15s} {'max diff':>15s}")
    for name, ours, theirs in (
        ("rgb_to_lab vs rgb2lab (uint8 input)", lambda: rgb_to_lab(rgb), lambda: rgb2lab(rgb)),
        ("lab_to_rgb vs lab2rgb", lambda: lab_to_rgb(lab), lambda: lab2rgb(lab)),
    ):
        err = np.abs(ours() - theirs()).max()
        t_ours, t_theirs = timings_ms(ours, repeats)[0], timings_ms(theirs, repeats)[0]
        print(f"{name:42s} {t_ours:9.1f} {t_theirs:7.1f} {t_theirs / t_ours:14.2f}x {err:15.1e}")
    print("median ms; ratio: scikit-image time / ours")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per method (default 15)")
    args = parser.parse_args()
    bench_soft_encoding(args.repeats)
    bench_lab(args.repeats)


if __name__ == "__main__":
    main()
