"""Held-out numbers for Zhang et al. (2016) on the 220 shared photos: the three losses of Table 1.

The photos (``../shared/datasets/photos``) are centre-cropped to 64x64 and split by image 80/20
(``train_test_split_images(random_state=0)``: 176 to train on, 44 to test). The small network is
trained with each loss for the same fixed budget (``--epochs``), then the test images are
colorized from their lightness and measured with :func:`chroma_lab.metrics.evaluate`, beside the
all-gray baseline and the ground truth's colourfulness.

The paper (ImageNet, full network; AuC raw / rebalanced): gray 89.1 / 58.0, L2 91.2 / 64.4,
class 91.6 / 65.1, full 89.5 / 67.3. The claim to check on tiny data: "full" beats gray and L2 on
rebalanced AuC and on colourfulness.

    python3 benchmarks/eval_zhang.py                     # about 2-4 minutes per loss, 2 CPU cores
    python3 benchmarks/eval_zhang.py --epochs 5 --losses full   # a quick look
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "photos"
PAPER = {"gray": (89.1, 58.0), "l2": (91.2, 64.4), "class": (91.6, 65.1), "full": (89.5, 67.3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--losses", nargs="+", default=["full", "class", "l2"])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.0, 0.38, 1.0],
                        help="annealed-mean temperatures to report for the classification losses")
    parser.add_argument("--figure", type=Path, help="write test colorizations to this PNG")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        parser.error(f"no photo folder at {args.photos}")

    from chroma_lab import viz
    from chroma_lab.data import load_folder, to_gray, train_test_split_images
    from chroma_lab.metrics import evaluate
    from chroma_lab.models.base import GrayColorizer
    from chroma_lab.models.zhang2016 import ZhangColorizer

    images, _ = load_folder(args.photos, size=64, progress=False)
    train, test = train_test_split_images(images, test_size=0.2, random_state=0)
    gray = to_gray(test)
    print(f"photos: {len(train)} train / {len(test)} test images of 64x64; small network, "
          f"{args.epochs} epochs, batch {args.batch_size}, Adam lr {args.learning_rate}, seed {args.seed}")

    rows, predictions = [], {}
    baseline = GrayColorizer().fit(train).colorize(gray)
    rows.append(("gray", "-", evaluate(test, baseline), 0.0))
    for loss in args.losses:
        start = time.perf_counter()
        model = ZhangColorizer(size="small", loss=loss, image_size=64, epochs=args.epochs,
                               batch_size=args.batch_size, learning_rate=args.learning_rate,
                               seed=args.seed, verbose=0).fit(train)  # fmt: skip
        seconds = time.perf_counter() - start
        temperatures = args.temperatures if loss != "l2" else [None]
        for t in temperatures:
            if t is not None:
                model.temperature = t
            pred = model.colorize(gray)
            rows.append((loss, "-" if t is None else f"{t:g}", evaluate(test, pred), seconds))
            if t is None or np.isclose(t, 0.38):
                predictions[loss] = pred
        print(f"  trained {loss!r} in {seconds:.0f} s, final training loss "
              f"{model.history_.history['loss'][-1]:.4f}", flush=True)

    truth_colourfulness = rows[0][2]["colorfulness_true"]
    header = f"{'method':8} {'T':>5} {'AuC raw':>8} {'AuC rebal':>9} {'colourful':>9} {'PSNR dB':>8} " \
             f"{'ab err':>7} {'train s':>8}   paper raw/rebal"
    print("\n" + header + "\n" + "-" * len(header))
    for name, t, m, seconds in rows:
        paper = "{:.1f} / {:.1f}".format(*PAPER[name]) if name in PAPER and t in ("-", "0.38") else ""
        print(f"{name:8} {t:>5} {m['auc_raw']:8.1f} {m['auc_rebalanced']:9.1f} {m['colorfulness']:9.1f} "
              f"{m['psnr']:8.2f} {m['mean_ab_error']:7.2f} {seconds:8.0f}   {paper}")
    print(f"{'truth':8} {'':>5} {'':>8} {'':>9} {truth_colourfulness:9.1f}")

    if args.figure:
        fig = viz.plot_colorizations(gray, test, predictions, max_images=8)
        viz.save_figure(fig, args.figure)
        print(f"figure: {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
