"""``chroma-lab colorize``: colorize image files with a model trained by ``chroma-lab train``.

    chroma-lab colorize old_photo.jpg scan.tif --model runs/zhang --out colorized/

``--model`` is any folder ``chroma-lab train`` wrote: the model it holds is named in its own
``colorizer.json`` (:func:`chroma_lab.models.registry.load_colorizer`). Any size and any image
mode (gray, RGB, RGBA, 16-bit, palette, CMYK: :func:`chroma_lab.data.load_image` reads them all).
Each image is reduced to its CIE lightness (colour inputs too), colorized, and written as
``OUT/<name>.png`` at the input's own size, atomically (a temporary file moved into place). A file
that cannot be read gets one error line naming it; the others are still processed, and the exit
status is 1 if any failed. An output that would land on one of the inputs, or on another input's
output, is refused. An image of more than :data:`chroma_lab.data.MAX_PIXELS` pixels (a decompression
bomb, or more memory than colorizing it would find) is refused from its header, as every command
does. ``--classes`` also prints each image's scene as the model's classifier sees it (a model with
one: ``iizuka`` trained on labelled data). The command uses only the colorizers' public surface
(:mod:`chroma_lab.models.base`), so it colorizes with any model the registry knows.

Hints (a model that takes them: ``guided``, or ``--model levin2004``, Levin et al.'s optimisation,
which needs no training)::

    chroma-lab colorize photo.jpg --model runs/guided --hints dots.png --out colorized/
    chroma-lab colorize photo.jpg --model levin2004 --hints dots.png --out colorized/

``dots.png`` is an RGBA image of the photo's size, drawn in any paint program on a transparent
layer: its opaque pixels (alpha at least 128) are the user's colours, whose a*, b* the model keeps
(:func:`chroma_lab.hints.hints_from_rgba`). A hints image of another size, or without an alpha
channel, is refused in one line. ``levin2004`` names the method; write ``./levin2004`` for a
folder of that name.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from chroma_lab._files import resolve_path
from chroma_lab.cli import USER_ERRORS, UsageError, check_output_folder, error_message, import_keras, report_error
from chroma_lab.errors import ChromaLabError


def add_arguments(parser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files to colorize")
    parser.add_argument("--model", required=True, metavar="DIR", help="a folder written by chroma-lab train")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the colorized PNGs")
    parser.add_argument("--temperature", type=float, default=None,
                        help="annealed-mean temperature, for a model that has one (Zhang's): "
                             "0 = mode (vivid), 1 = mean (dull); default: the model's (0.38)")  # fmt: skip
    parser.add_argument("--hints", metavar="PNG",
                        help="an RGBA image of the photo's size whose opaque pixels are colour "
                             "hints (models that take hints: guided, levin2004; one photo)")  # fmt: skip
    parser.add_argument("--classes", action="store_true",
                        help="also print each image's predicted scene (a model with a scene "
                             "classifier: iizuka trained with labels)")  # fmt: skip


def main(args) -> int:
    out = check_output_folder(args.out)
    if args.temperature is not None and not args.temperature >= 0:
        raise UsageError(f"--temperature must be >= 0, got {args.temperature}")

    import_keras()
    from chroma_lab.models.registry import load_colorizer

    colorizer = _with_options(load_colorizer(args.model), args)
    _check_hints_option(colorizer, args)
    inputs = set()
    for name in args.images:
        with contextlib.suppress(OSError):  # a symlink loop: refused with the file, in the loop below
            inputs.add(resolve_path(name))
    claimed: dict[Path, str] = {}
    failures = 0
    for name in args.images:
        try:
            _colorize_file(colorizer, name, out, args.classes, inputs, claimed, args.hints)
        except USER_ERRORS as exc:  # one line per bad file, then carry on; a bug still raises
            failures += 1
            message = error_message(exc)
            report_error("colorize", exc, args.debug, message if name in message else f"'{name}': {message}")
    if failures and len(args.images) > 1:
        print(f"chroma-lab colorize: {failures} of {len(args.images)} images failed", file=sys.stderr)
    return 1 if failures else 0


def _with_options(colorizer, args):
    """``colorizer`` with ``--temperature`` set; ``--temperature`` or ``--classes`` refused for
    a model without a temperature or a scene classifier, before any image is read."""
    name = f"the {type(colorizer).__name__} in '{args.model}'"
    if args.temperature is not None:
        if "temperature" not in colorizer.get_params():
            raise UsageError(f"--temperature: {name} has no temperature (an annealed mean, as "
                             "Zhang et al.'s, has one)")
        colorizer.set_params(temperature=args.temperature)
    if args.classes:
        import numpy as np

        try:  # one tiny image asks the model whether it can name scenes at all
            colorizer.predict_scenes(np.zeros((1, 16, 16), np.uint8))
        except ChromaLabError as exc:
            raise UsageError(f"--classes: {name}: {exc}") from exc
    return colorizer


def _check_hints_option(colorizer, args) -> None:
    """``--hints`` refused, before any image is read, for several photos or a model without hints."""
    if args.hints is None:
        return
    if len(args.images) > 1:
        raise UsageError(f"--hints belongs to one photo; got {len(args.images)} (colorize them one at a time)")
    if not colorizer.takes_hints:
        raise UsageError(f"--hints: the {type(colorizer).__name__} in '{args.model}' takes no hints "
                         "(guided and levin2004 do)")


def _read_hints(path: str, shape, photo: str):
    """(ab, mask) of shape (1, H, W, 2), (1, H, W) from an RGBA hints image of the photo's size."""
    import numpy as np
    from PIL import Image

    from chroma_lab.hints import hints_from_rgba

    with Image.open(path) as image:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if not has_alpha:
            raise UsageError(f"--hints '{path}' has no alpha channel (mode {image.mode}): save the dots "
                             "as a PNG with transparency, opaque where you painted")
        if (image.height, image.width) != tuple(shape):
            raise UsageError(f"--hints '{path}' is {image.width}x{image.height} but '{photo}' is "
                             f"{shape[1]}x{shape[0]}: draw the dots on an image of the photo's size")
        rgba = np.asarray(image.convert("RGBA"))
    ab, mask = hints_from_rgba(rgba)
    return ab[None], mask[None]


def _colorize_file(colorizer, name: str, out: Path, classes: bool, inputs: set, claimed: dict,
                   hints_file: str | None = None) -> None:  # fmt: skip
    """Colorize the image file ``name`` into ``out`` (atomically), refusing an output that would
    overwrite an input or another input's output."""
    from PIL import Image

    from chroma_lab._files import atomic_path
    from chroma_lab.data import load_image, to_gray

    target = out / (Path(name).stem + ".png")
    resolved = resolve_path(target)
    if resolved in inputs:
        raise UsageError(f"its output '{target}' is one of the input files; refusing to "
                         "overwrite it (choose another --out)")
    if resolved in claimed:
        raise UsageError(f"its output '{target}' is also the output of '{claimed[resolved]}'; "
                         "rename one of them or colorize them separately")
    gray = to_gray(load_image(name))[None]
    hints = None if hints_file is None else _read_hints(hints_file, gray.shape[1:], name)
    colorized = colorizer.colorize(gray, hints=hints)[0]
    out.mkdir(parents=True, exist_ok=True)  # not before an image is ready for it
    with atomic_path(target) as tmp:  # never a half-written PNG under the final name
        Image.fromarray(colorized).save(tmp)
    claimed[resolved] = name
    print(f"{name} -> {target}")
    if classes:
        scenes, probabilities = colorizer.predict_scenes(gray)
        print(f"{name}: scene {scenes[0]} ({probabilities[0].max():.0%})")
