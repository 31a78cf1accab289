"""Held-out numbers for Iizuka et al. (2016) on the 220 photos, with and without the global stream.

The photos (``../shared/datasets/photos``, categories from its ``manifest.csv`` as scene labels)
are centre-cropped to ``--image-size`` squares and split by image 80/20, stratified by category
(``train_test_split_images(random_state=0)``: 176 to train on, 44 to test). The small network is
trained with the paper's loss (MSE + 1/300 cross-entropy, Adadelta) with and without its global
stream for the same budget, then the test images are colorized from their lightness and measured
by :func:`chroma_lab.metrics.image_scores` (AuC raw and rebalanced over all pixels, colourfulness per
image), beside the all-gray baseline; the class head's accuracy on the test categories is printed
beside the majority-class rate.

    python3 benchmarks/eval_iizuka.py                  # 15 epochs, 64x64
    python3 benchmarks/eval_iizuka.py --epochs 3       # a quick look

Measured (seed 0, 2 shared CPU cores; AuC raw / rebalanced, colourfulness, ab error, scene
accuracy; gray 87.1 / 66.6, 0.0, 19.4; truth's colourfulness 47.4; majority category 18 %):

* 15 epochs: global 87.2 / 67.5, 20.5, 19.2, 18 %; no global 86.9 / 67.1, 10.3, 19.6.
* 40 epochs: global 87.4 / 67.5, 21.4, 18.9, 34 %; no global 87.1 / 67.3, 22.4, 19.4.

176 photos of 12 categories are far too few for the paper's claim: both stay within a point of
gray on either AuC, and the class head beats the majority rate only after 40 epochs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "photos"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--optimizer", default="adadelta")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        parser.error(f"no photo folder at {args.photos}")

    from chroma_lab.data import load_dataset, to_gray, train_test_split_images
    from chroma_lab.metrics import image_scores
    from chroma_lab.models.base import GrayColorizer
    from chroma_lab.models.iizuka2016 import IizukaColorizer

    images, labels, class_names = load_dataset(f"folder:{args.photos}", args.image_size)
    train, test, y_train, y_test = train_test_split_images(images, labels, test_size=0.2, random_state=0,
                                                           stratify=labels)  # fmt: skip
    gray = to_gray(test)
    majority = np.bincount(y_test).max() / len(y_test)
    print(f"photos: {len(train)} train / {len(test)} test images of {args.image_size}x{args.image_size}, "
          f"{len(class_names)} categories; small network, {args.epochs} epochs, batch {args.batch_size}, "
          f"{args.optimizer}, seed {args.seed}")
    rows = {"all gray": (image_scores(test, GrayColorizer().fit(train).colorize(gray)), None, 0.0)}
    for name, use_global in (("global", True), ("no global", False)):
        start, cpu = time.perf_counter(), time.process_time()
        model = IizukaColorizer(use_global=use_global, optimizer=args.optimizer, image_size=args.image_size,
                                epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, verbose=0)
        model.fit(train, y_train, class_names=class_names)
        seconds = time.perf_counter() - start
        accuracy = None
        if use_global:
            predicted, _ = model.predict_classes(gray)
            accuracy = float(np.mean(np.array(predicted) == np.array(class_names)[y_test]))
        rows[name] = (image_scores(test, model.colorize(gray)), accuracy, seconds)
        ab_loss = model.history_.get("ab_loss", model.history_["loss"])  # one output: Keras logs "loss" only
        print(f"  {name}: trained in {seconds:.0f} s ({time.process_time() - cpu:.0f} s CPU); ab loss "
              f"{ab_loss[0]:.4f} -> {ab_loss[-1]:.4f}", flush=True)

    print(f"\n{'method':>10} {'AuC raw':>8} {'AuC rebal':>10} {'colourful':>10} {'ab error':>9} {'scene acc':>10}")
    for name, (s, accuracy, _) in rows.items():
        acc = "-" if accuracy is None else f"{accuracy:.0%}"
        print(f"{name:>10} {s['auc_raw']:8.1f} {s['auc_rebalanced']:10.1f} {s['colorfulness']:10.1f} "
              f"{s['mean_ab_error']:9.1f} {acc:>10}")
    print(f"{'truth':>10} {'':8} {'':10} {s['colorfulness_true']:10.1f}")
    print(f"scene accuracy by chance (the majority category of the test set): {majority:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
