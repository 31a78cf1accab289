"""User hints on held-out photos: PSNR against the number of hints, and the time of one update.

The 220 shared photos (``../shared/datasets/photos``) are centre-cropped to 64x64 and split by image
80/20 as in ``eval_zhang.py`` (``train_test_split_images(random_state=0)``: 176 to train on, 44 to
test). The guided network (``--model``, a folder written by ``chroma-lab train guided``) is scored
beside Levin et al. (2004) and the all-gray baseline on the 44 test photos, with 0, 1, 2, 5, 10 and
20 hints simulated from the truth by the paper's user (:func:`chroma_lab.hints.sample_hints`), one
row per hint seed, then the mean over seeds. Train the model on the 176 (a folder of symlinks,
or ``--train-epochs`` here). Then the time of one interactive update at 256x256 (a bundled photo,
10 hints): the small network's forward pass and Levin's solve.

    python3 benchmarks/bench_hints.py --link-train TRAIN                # the 176, as symlinks
    chroma-lab train guided --data folder:TRAIN --epochs 60 --out runs/guided
    python3 benchmarks/bench_hints.py --model runs/guided
    python3 benchmarks/bench_hints.py --train-epochs 60 --save runs/guided   # train here

The issue's targets: guided at 10 hints >= 3 dB above its 0-hint output and above Levin at 10
hints; Levin above all-gray.
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
    parser.add_argument("--model", type=Path, help="a trained guided model folder")
    parser.add_argument("--train-epochs", type=int, default=0, help="train one here instead (on the 176)")
    parser.add_argument("--save", type=Path, help="where to save the model trained here")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="hint draws")
    parser.add_argument("--repeats", type=int, default=5, help="timed updates per method")
    parser.add_argument("--link-train", type=Path, metavar="DIR",
                        help="only write DIR: symlinks to the 176 training photos, for chroma-lab train")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        parser.error(f"no photo folder at {args.photos}")
    if args.link_train is not None:
        return _link_train(args.photos, args.link_train)
    if (args.model is None) == (args.train_epochs == 0):
        parser.error("give --model DIR or --train-epochs N")

    from chroma_lab.data import load_folder, train_test_split_images
    from chroma_lab.hint_sweep import COUNTS, format_sweep, hint_sweep
    from chroma_lab.models.base import GrayColorizer
    from chroma_lab.models.guided2017 import GuidedColorizer
    from chroma_lab.models.levin2004 import LevinColorizer
    from chroma_lab.metrics import colorfulness

    images, _ = load_folder(args.photos, size=64, progress=False)
    train, test = train_test_split_images(images, test_size=0.2, random_state=0)
    if args.model is not None:
        guided = GuidedColorizer.load(args.model)
    else:
        start = time.perf_counter()
        guided = GuidedColorizer(epochs=args.train_epochs, verbose=2).fit(train)
        print(f"trained {args.train_epochs} epochs in {time.perf_counter() - start:.0f} s")
        if args.save:
            guided.save(args.save)
    colorizers = {"all gray": GrayColorizer().fit(test), "levin2004": LevinColorizer.fitted(),
                  "guided": guided}  # fmt: skip
    print(f"{len(test)} held-out photos of 64x64; guided: size {guided.size}, "
          f"{guided.epochs_done_} epochs; hints: the paper's simulated user, nested counts")
    runs = []
    for seed in args.seeds:
        result = hint_sweep(colorizers, test, counts=COUNTS, seed=seed)
        runs.append(result)
        print(f"\nhint seed {seed}\n" + format_sweep(result, COUNTS))
    mean = {name: {m: list(np.mean([r[name][m] for r in runs], axis=0)) for m in ("psnr", "colorfulness")}
            for name in colorizers}  # fmt: skip
    print(f"\nmean over {len(runs)} hint seeds (PSNR, dB)\n" + format_sweep(mean, COUNTS))
    print(f"\ncolourfulness (mean over seeds; the truth: {colorfulness(test):.1f})\n"
          + format_sweep(mean, COUNTS, "colorfulness", 1))
    at = COUNTS.index(10)
    gains = [r["guided"]["psnr"][at] - r["guided"]["psnr"][0] for r in runs]
    over_levin = [r["guided"]["psnr"][at] - r["levin2004"]["psnr"][at] for r in runs]
    levin_gray = [r["levin2004"]["psnr"][at] - r["all gray"]["psnr"][at] for r in runs]
    print(f"\nguided, 10 hints - 0 hints: {_range(gains)} dB (target >= 3)")
    print(f"guided - levin2004, 10 hints: {_range(over_levin)} dB (target > 0)")
    print(f"levin2004 - all gray, 10 hints: {_range(levin_gray)} dB (target > 0)")
    _time_updates(guided, args.repeats)
    return 0


def _link_train(photos: Path, folder: Path) -> int:
    """Symlink the training part of the split into ``folder``; checked by reading it back."""
    from chroma_lab.data import load_folder, train_test_split_images

    images, _ = load_folder(photos, size=64, progress=False)
    train, _ = train_test_split_images(images, test_size=0.2, random_state=0)
    files = sorted(p for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(files) != len(images):
        raise SystemExit(f"{photos}: {len(files)} image files but load_folder read {len(images)}")
    index = np.arange(len(files)).reshape(-1, 1, 1)  # split the indices as the images are split
    keep = train_test_split_images(index, test_size=0.2, random_state=0)[0].ravel()
    folder.mkdir(parents=True, exist_ok=True)
    for i in keep:
        link = folder / files[i].name
        if not link.exists():
            link.symlink_to(files[i].resolve())
    linked, _ = load_folder(folder, size=64, progress=False)
    if not np.array_equal(linked, train):
        raise SystemExit(f"{folder} does not hold exactly the {len(train)} training photos; empty it and rerun")
    print(f"{folder}: the {len(train)} training photos (the other {len(images) - len(train)} are held out)")
    return 0


def _range(values) -> str:
    return f"mean {np.mean(values):+.2f}, per seed " + ", ".join(f"{v:+.2f}" for v in values)


def _time_updates(guided, repeats: int) -> None:
    """One interactive update at 256x256 with 10 hints: what a user waits for after a click."""
    from chroma_lab.color import rgb_to_gray, rgb_to_lab
    from chroma_lab.data import bundled_photos
    from chroma_lab.hints import sample_hints
    from chroma_lab.models.levin2004 import LevinColorizer

    photo = bundled_photos(256)[0][:1]
    gray = rgb_to_gray(photo)
    hints = sample_hints(rgb_to_lab(photo)[..., 1:], 10, np.random.default_rng(0))
    print(f"\none update at 256x256, 10 hints, median of {repeats} (first call excluded):")
    for name, colorizer in (("guided (small)", guided), ("levin2004", LevinColorizer.fitted())):
        colorizer.colorize(gray, hints=hints)  # warm-up: Keras traces its function once
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            colorizer.colorize(gray, hints=hints)
            times.append(time.perf_counter() - start)
        print(f"  {name:15s} {1000 * np.median(times):7.0f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
