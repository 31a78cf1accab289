"""Held-out numbers for Zhang et al. (2016) on the 220 shared photos: the three losses of Table 1.

The photos (``../shared/datasets/photos``) are centre-cropped to 64x64 and split by image 80/20
(``train_test_split_images(random_state=0)``: 176 to train on, 44 to test). The small network is
trained with each loss for the same fixed budgets (``--epochs``: one run per loss, measured after
each budget), then the test images are colorized from their lightness and measured by the evaluation
harness (:func:`chroma_lab.evaluate.evaluate_predictions`, on surfaces guessed from the photos'
lightness), beside the all-gray baseline and the ground truth's colourfulness.

The paper (ImageNet, full network; AuC raw / rebalanced): gray 89.1 / 58.0, L2 91.2 / 64.4,
class 91.6 / 65.1, full 89.5 / 67.3. The claim to check on tiny data: "full" beats gray and L2 on
rebalanced AuC and on colourfulness.

    python3 benchmarks/eval_zhang.py          # 40 epochs per loss, measured at 10, 20 and 40
    python3 benchmarks/eval_zhang.py --epochs 5 --losses full   # a quick look
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "photos"
IMAGENET_PRIOR = PHOTOS.parents[1] / "reference" / "prior_probs.npy"
PAPER = {"gray": (89.1, 58.0), "l2": (91.2, 64.4), "class": (91.6, 65.1), "full": (89.5, 67.3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--losses", nargs="+", default=["full", "class", "l2"])
    parser.add_argument("--epochs", type=int, nargs="+", default=[10, 20, 40],
                        help="report after each of these epoch counts (one run, continued)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.0, 0.38, 1.0],
                        help="annealed-mean temperatures to report for the classification losses")
    parser.add_argument("--figure", type=Path, help="write test colorizations to this PNG")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--imagenet-prior", type=Path, default=IMAGENET_PRIOR,
                        help="Zhang et al.'s prior_probs.npy, for a second rebalanced AuC")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        parser.error(f"no photo folder at {args.photos}")

    from chroma_lab import viz
    from chroma_lab.data import load_folder, to_gray, train_test_split_images
    from chroma_lab.evaluate import evaluate_predictions
    from chroma_lab.metrics import auc_rebalanced, lightness_regions
    from chroma_lab.models.base import GrayColorizer
    from chroma_lab.models.zhang2016 import ZhangColorizer

    images, _ = load_folder(args.photos, size=64, progress=False)
    train, test = train_test_split_images(images, test_size=0.2, random_state=0)
    gray = to_gray(test)
    budgets = sorted(set(args.epochs))
    print(f"photos: {len(train)} train / {len(test)} test images of 64x64; small network, "
          f"batch {args.batch_size}, Adam lr {args.learning_rate}, seed {args.seed}; "
          f"measured after {budgets} epochs")
    imagenet = np.load(args.imagenet_prior) if args.imagenet_prior.is_file() else None
    regions = lightness_regions(test)  # the surfaces, once for every measurement

    def measure(pred):
        # rebalanced AuC weighted by the test images' own histogram
        m = evaluate_predictions(test, {"pred": pred}, regions=regions).summary["pred"]
        m["auc_rebal_imagenet"] = auc_rebalanced(test, pred, imagenet) if imagenet is not None else np.nan
        return m

    rows, predictions = [("gray", "-", "-", measure(GrayColorizer().fit(train).colorize(gray)), 0.0)], {}
    for loss in args.losses:
        model = ZhangColorizer(size="small", loss=loss, image_size=64, epochs=budgets[0],
                               batch_size=args.batch_size, learning_rate=args.learning_rate,
                               seed=args.seed, verbose=0)  # fmt: skip
        seconds = 0.0
        for i, epochs in enumerate(budgets):
            start = time.perf_counter()
            if i == 0:
                model.fit(train)
            else:  # same run, trained on: the table shows one learning curve per loss
                model.epochs = epochs
                model.continue_fit(train)
            seconds += time.perf_counter() - start
            last = i == len(budgets) - 1
            temperatures = [None] if loss == "l2" else (args.temperatures if last else [0.38])
            for t in temperatures:
                model.temperature = 0.38 if t is None else t
                pred = model.colorize(gray)
                rows.append((loss, str(epochs), "-" if t is None else f"{t:g}", measure(pred), seconds))
                if last and (t is None or np.isclose(t, 0.38)):
                    predictions[loss] = pred
            print(f"  {loss!r}: {epochs} epochs, {seconds:.0f} s, training loss "
                  f"{model.history_['loss'][-1]:.4f}", flush=True)

    header = (f"{'method':7} {'epochs':>6} {'T':>5} {'AuC raw':>8} {'rebal':>6} {'rebal-IN':>8} "
              f"{'colourful':>9} {'PSNR dB':>8} {'ab err':>7} {'SSIM':>6} {'incoh.':>7} {'bleed':>6} "
              f"{'train s':>8}   paper raw/rebal")
    print("\n" + header + "\n" + "-" * len(header))
    for name, epochs, t, m, seconds in rows:
        paper = "{:.1f} / {:.1f}".format(*PAPER[name]) if name in PAPER and t in ("-", "0.38") else ""
        print(f"{name:7} {epochs:>6} {t:>5} {m['auc_raw']:8.1f} {m['auc_rebalanced']:6.1f} "
              f"{m['auc_rebal_imagenet']:8.1f} {m['colorfulness']:9.1f} {m['psnr']:8.2f} "
              f"{m['mean_ab_error']:7.2f} {m['ssim']:6.3f} {m['incoherence']:7.2f} {m['bleeding']:6.3f} "
              f"{seconds:8.0f}   {paper}")
    print(f"{'truth':7} {'':>6} {'':>5} {'':>8} {'':>6} {'':>8} {rows[0][3]['colorfulness_true']:9.1f}")
    print("rebal: weights 1/p from the test images' own histogram; rebal-IN: from Zhang et al.'s "
          "ImageNet prior_probs.npy (the paper's weighting); incoh.: ab variation inside surfaces "
          "the truth lacks; bleed: share of the truth's edge contrast lost (surfaces from lightness)")

    if args.figure:
        fig = viz.plot_colorizations(gray, test, predictions, max_images=8)
        viz.save_figure(fig, args.figure)
        print(f"figure: {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
