"""Held-out numbers for the classical colorizers of lessons 2-4 on the 220 shared photos.

The photos (``../shared/datasets/photos``) are centre-cropped to 64x64 and split by image 80/20
(``train_test_split_images(random_state=0)``: 176 to train on, 44 to test). Each colorizer is fitted
on the training images with its defaults, then colours the test images from their 8-bit gray and
is measured by the evaluation harness (:func:`chroma_lab.evaluate.evaluate`): mean per-pixel ab
error, share of pixels within 10 ab units, AuC raw and rebalanced (percent; the rebalanced one
weighs each pixel by the inverse frequency of its true colour class among the test pixels, or,
with ``--imagenet-prior``, in Zhang et al.'s ImageNet prior), PSNR, colourfulness, SSIM, and the
incoherence and bleeding measured on surfaces guessed from the photos' lightness, with the fit
time. ``--out DIR`` also writes the harness's full report (CSV, Markdown, HTML, figures).

For the CNN the training speed is also printed: training images seen per second (epochs x images
/ fit time, palette fit included, so a lower bound).

    python3 benchmarks/eval_classical.py                  # about 2-3 minutes on 2 CPU cores
    python3 benchmarks/eval_classical.py --models gray lookup --figure /tmp/classical.png
    python3 benchmarks/eval_classical.py --models gray lookup --out /tmp/classical   # the report
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PHOTOS = SHARED / "datasets" / "photos"
PRIOR = SHARED / "reference" / "prior_probs.npy"
MODELS = ("gray", "lookup", "som", "cnn", "cnn_l1", "cnn_l2")
LABELS = {
    "gray": "gray (ab = 0)",
    "lookup": "lookup, 32 K-means colours",
    "som": "SOM 3x3 + MLP, 5x5 patch",
    "cnn": "palette CNN, one-hot",
    "cnn_l1": "palette CNN, L1 on index",
    "cnn_l2": "palette CNN, L2 on ab",
}


def make_model(name: str, epochs: int, seed: int):
    """A colorizer with the library's defaults (only the CNN's epochs are set here)."""
    from chroma_lab.models.base import GrayColorizer
    from chroma_lab.models.lookup import LookupColorizer
    from chroma_lab.models.som_mlp import SOMPatchColorizer

    if name == "gray":
        return GrayColorizer()
    if name == "lookup":
        return LookupColorizer(random_state=seed)
    if name == "som":
        return SOMPatchColorizer(random_state=seed)
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    loss = {"cnn": "onehot", "cnn_l1": "l1_index", "cnn_l2": "l2_ab"}[name]
    return PaletteCNNColorizer(loss=loss, epochs=epochs, verbose=0, seed=seed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--models", nargs="+", choices=MODELS,
                        default=["gray", "lookup", "som", "cnn", "cnn_l2"])  # fmt: skip
    parser.add_argument("--epochs", type=int, default=30,
                        help="CNN epochs (the default of the class)")  # fmt: skip
    parser.add_argument("--imagenet-prior", action="store_true",
                        help="rebalance the AuC with Zhang et al.'s ImageNet prior_probs.npy")
    parser.add_argument("--figure", type=Path, help="write test colorizations to this PNG")
    parser.add_argument("--out", type=Path, help="write the harness's report into this folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        parser.error(f"no photo folder at {args.photos}")

    import numpy as np

    from chroma_lab.data import load_folder, to_gray, train_test_split_images
    from chroma_lab.evaluate import evaluate, write_report

    prior = None
    if args.imagenet_prior:
        if not PRIOR.is_file():
            parser.error(f"no prior at {PRIOR}")
        prior = np.load(PRIOR)
    images, _ = load_folder(args.photos, size=64, progress=False)
    train, test = train_test_split_images(images, test_size=0.2, random_state=0)
    gray = to_gray(test)
    source = "the ImageNet prior" if prior is not None else "the test images' own prior"
    print(f"photos: {len(train)} train / {len(test)} test images of 64x64, seed {args.seed}; "
          f"AuC rebalanced with {source}")

    models, fit_seconds = {}, {}
    for name in args.models:
        model = make_model(name, args.epochs, args.seed)
        start = time.perf_counter()
        model.fit(train)
        fit_seconds[LABELS[name]] = fit_s = time.perf_counter() - start
        models[LABELS[name]] = model
        if name.startswith("cnn"):
            speed = len(train) * args.epochs / fit_s
            print(f"  {LABELS[name]}: {args.epochs} epochs in {fit_s:.1f} s, {speed:.0f} training "
                  f"images/s at 64x64; final loss {model.history_['loss'][-1]:.4f}")
    result = evaluate(models, test, prior=prior, seed=args.seed, progress=False)

    header = (f"{'model':<28} {'fit s':>6} {'ab err':>7} {'<=10':>6} {'AuC raw':>8} "
              f"{'AuC reb':>8} {'PSNR':>6} {'colourf.':>9} {'SSIM':>6} {'incoh.':>7} {'bleed':>6}")
    print()
    print(header)
    print("-" * len(header))
    for label, r in result.summary.items():
        print(f"{label:<28} {fit_seconds[label]:>6.1f} {r['mean_ab_error']:>7.2f} "
              f"{100 * r['within_10']:>5.1f}% {r['auc_raw']:>8.2f} {r['auc_rebalanced']:>8.2f} "
              f"{r['psnr']:>6.2f} {r['colorfulness']:>9.1f} {r['ssim']:>6.3f} "
              f"{r['incoherence']:>7.2f} {r['bleeding']:>6.3f}")
    truth = next(iter(result.summary.values()))["colorfulness_true"]
    print(f"{'ground truth':<28} {'':>6} {'':>7} {'':>6} {'':>8} {'':>8} {'':>6} {truth:>9.1f}")
    print("incoh.: ab variation inside surfaces the truth lacks (ab units); bleed: share of the "
          "truth's edge contrast lost; surfaces from the photos' lightness")

    if args.out:
        write_report(result, args.out)
        print(f"\nreport written to {args.out}")
    if args.figure:
        from chroma_lab import viz

        fig = viz.plot_colorizations(gray, test, result.predictions, max_images=6)
        viz.save_figure(fig, args.figure)
        print(f"\nfigure written to {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
