"""``chroma-lab colorize``: colorize image files with a model trained by ``chroma-lab train``.

    chroma-lab colorize old_photo.jpg scan.tif --model runs/zhang --out colorized/

Any size and any image mode (gray, RGB, RGBA, 16-bit, palette, CMYK: :func:`chroma_lab.data.load_image`
reads them all). Each image is reduced to its CIE lightness (colour inputs too), colorized, and
written as ``OUT/<name>.png`` at the input's own size. A file that cannot be read gets one error
line naming it; the others are still processed, and the exit status is 1 if any failed. An output
that would land on one of the inputs, or on another input's output, is refused.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files to colorize")
    parser.add_argument("--model", required=True, metavar="DIR", help="a folder written by chroma-lab train")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the colorized PNGs")
    parser.add_argument("--temperature", type=float, default=None,
                        help="annealed-mean temperature: 0 = mode (vivid), 1 = mean (dull); "
                             "default: the model's (0.38, the paper's)")  # fmt: skip


def main(args) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out '{out}' is a file; give a folder")
    if args.temperature is not None and not args.temperature >= 0:
        raise ValueError(f"--temperature must be >= 0, got {args.temperature}")

    from PIL import Image

    from chroma_lab.data import load_image, to_gray
    from chroma_lab.models.zhang2016 import ZhangColorizer

    colorizer = ZhangColorizer.load(args.model)
    if args.temperature is not None:
        colorizer.temperature = args.temperature
    out.mkdir(parents=True, exist_ok=True)

    inputs = {Path(name).resolve() for name in args.images}
    claimed: dict[Path, str] = {}
    failures = 0
    for name in args.images:
        target = out / (Path(name).stem + ".png")
        try:
            resolved = target.resolve()
            if resolved in inputs:
                raise ValueError(f"its output '{target}' is one of the input files; refusing to "
                                 "overwrite it (choose another --out)")
            if resolved in claimed:
                raise ValueError(f"its output '{target}' is also the output of '{claimed[resolved]}'; "
                                 "rename one of them or colorize them separately")
            rgb = load_image(name)
            colorized = colorizer.colorize(to_gray(rgb)[None])[0]
            tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.png")
            Image.fromarray(colorized).save(tmp)
            os.replace(tmp, target)  # never a half-written PNG under the final name
            claimed[resolved] = name
            print(f"{name} -> {target}")
        except Exception as exc:  # noqa: BLE001 - one line per bad file, then carry on
            failures += 1
            message = str(exc) if name in str(exc) else f"'{name}': {exc}"
            print(f"chroma-lab colorize: error: {message}", file=sys.stderr)
    if failures:
        print(f"chroma-lab colorize: {failures} of {len(args.images)} images failed", file=sys.stderr)
    return 1 if failures else 0
