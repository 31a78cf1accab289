"""Benchmark the colour core: soft-encoding onto the 313 bins, and sRGB <-> Lab conversion.

Run from the repository root (about 30 s on 2 CPU cores)::

    python3 benchmarks/bench_core.py

Soft-encoding is timed on the ab channels of a 256x256 photo (scikit-image's astronaut, resized)
against the method of Zhang et al.'s reference code (``NNEncode`` in richzhang/colorization):
a scikit-learn ``NearestNeighbors`` ball tree over the 313 bins, 5-NN, Gaussian weights, written
into a dense (N, 313) float64 array it keeps between calls. Every line also prints the largest
difference between our weights and the reference's, which must stay at float32 rounding (< 1e-6).
Lab conversion is timed against scikit-image on a 512x512 photo. Figures are medians of several
runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from chroma_lab.color import lab_to_rgb, rgb_to_lab
from chroma_lab.quantize import ab_bins, soft_encode, soft_encode_sparse


def median_ms(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


class ReferenceEncoder:
    """Zhang et al.'s ``NNEncode``: ball-tree 5-NN, Gaussian weights, a reused dense float64 buffer."""

    def __init__(self, k: int = 5, sigma: float = 5.0, reuse: bool = False):
        from sklearn.neighbors import NearestNeighbors

        self.nbrs = NearestNeighbors(n_neighbors=k, algorithm="ball_tree").fit(ab_bins())
        self.sigma = sigma
        self.reuse = reuse
        self.buffer = None

    def sparse(self, ab_flat):
        dists, inds = self.nbrs.kneighbors(ab_flat)
        wts = np.exp(-(dists**2) / (2 * self.sigma**2))
        return inds, wts / wts.sum(axis=1, keepdims=True)

    def dense(self, ab_flat):
        inds, wts = self.sparse(ab_flat)
        if self.reuse and self.buffer is not None:
            self.buffer[...] = 0
        else:
            self.buffer = np.zeros((len(ab_flat), len(ab_bins())))
        self.buffer[np.arange(len(ab_flat))[:, None], inds] = wts
        return self.buffer


def photo(size: int) -> np.ndarray:
    from skimage import data, transform

    img = transform.resize(data.astronaut(), (size, size), anti_aliasing=True)
    return (img * 255).round().astype(np.uint8)


def bench_soft_encoding(repeats: int) -> None:
    ab = rgb_to_lab(photo(256))[..., 1:]
    flat = ab.reshape(-1, 2)
    n = len(flat)
    ref = ReferenceEncoder()
    ref_dense = ref.dense(flat).copy()
    ref_idx, ref_w = ref.sparse(flat)
    buffer = np.zeros((n, 314), dtype=np.float32)

    rows = []
    t_ref = median_ms(lambda: ref.dense(flat), repeats)
    rows.append(("reference dense (NNEncode, fresh float64)", t_ref, t_ref, 0.0))
    ref_reuse = ReferenceEncoder(reuse=True)
    t = median_ms(lambda: ref_reuse.dense(flat), repeats)
    rows.append(("reference dense (NNEncode, reused buffer)", t, t_ref, 0.0))
    ours = soft_encode(ab).reshape(n, -1)
    t = median_ms(lambda: soft_encode(ab), repeats)
    rows.append(("ours dense (fresh float32)", t, t_ref, np.abs(ours - ref_dense).max()))
    ours = soft_encode(ab, out=buffer).reshape(n, -1)
    t = median_ms(lambda: soft_encode(ab, out=buffer), repeats)
    rows.append(("ours dense (reused out= buffer)", t, t_ref, np.abs(ours - ref_dense).max()))
    ours = soft_encode(ab, dtype=np.float64).reshape(n, -1)
    t = median_ms(lambda: soft_encode(ab, dtype=np.float64), repeats)
    rows.append(("ours dense (fresh float64)", t, t_ref, np.abs(ours - ref_dense).max()))

    t_ref_sparse = median_ms(lambda: ref.sparse(flat), repeats)
    rows.append(("reference sparse (kneighbors + weights)", t_ref_sparse, t_ref_sparse, 0.0))
    idx, w = soft_encode_sparse(ab)
    idx, w = idx.reshape(n, -1), w.reshape(n, -1)
    # compare as dense rows: the k bins may come in a different order
    diff = np.abs(_scatter(idx, w, n) - _scatter(ref_idx, ref_w, n)).max()
    t = median_ms(lambda: soft_encode_sparse(ab), repeats)
    rows.append(("ours sparse (soft_encode_sparse)", t, t_ref_sparse, diff))

    print(f"Soft-encoding {n} ab values (256x256 photo), k=5, sigma=5, median of {repeats} runs")
    print(f"{'method':44s} {'ms':>8s} {'speed-up':>9s} {'max |w - w_ref|':>16s}")
    for name, ms, base, err in rows:
        print(f"{name:44s} {ms:8.1f} {base / ms:8.1f}x {err:16.2e}")
    print("(speed-up: dense rows against the fresh reference dense, sparse against reference sparse)")


def _scatter(idx, w, n):
    dense = np.zeros((n, 313))
    dense[np.arange(n)[:, None], idx] = w
    return dense


def bench_lab(repeats: int) -> None:
    from skimage.color import lab2rgb, rgb2lab

    rgb = photo(512)
    lab = rgb_to_lab(rgb)
    print(f"\nLab conversion of a 512x512 photo, median of {repeats} runs")
    print(f"{'method':44s} {'ours ms':>8s} {'skimage ms':>10s} {'ratio':>7s} {'max diff':>10s}")
    for name, ours, theirs in (
        ("rgb_to_lab vs rgb2lab (uint8 input)", lambda: rgb_to_lab(rgb), lambda: rgb2lab(rgb)),
        ("lab_to_rgb vs lab2rgb", lambda: lab_to_rgb(lab), lambda: lab2rgb(lab)),
    ):
        err = np.abs(ours() - theirs()).max()
        t_ours, t_theirs = median_ms(ours, repeats), median_ms(theirs, repeats)
        print(f"{name:44s} {t_ours:8.1f} {t_theirs:10.1f} {t_theirs / t_ours:6.2f}x {err:10.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per method (default 9)")
    args = parser.parse_args()
    bench_soft_encoding(args.repeats)
    bench_lab(args.repeats)


if __name__ == "__main__":
    main()
