"""``chroma-lab import-weights`` and ``chroma-lab fetch-weights``: Zhang et al.'s released network.

    chroma-lab fetch-weights eccv16 --out models/eccv16
    chroma-lab import-weights eccv16 colorization_release_v2-9b330a0b.pth --out models/eccv16
    chroma-lab colorize photo.jpg --model models/eccv16 --out colorized/

Both write a colorizer folder like ``chroma-lab train`` does (``colorizer.json`` with
``"weights": "eccv16"``, and ``model.keras``): the full network with the released ECCV16 weights
(:func:`chroma_lab.models.zhang2016_published.published_colorizer`), at 256x256 and T = 0.38 as in
the paper, with Zhang et al.'s ImageNet class prior for a later fine-tuning. ``import-weights``
reads a ``.pth`` file you have (its hash suffix is checked); ``fetch-weights`` downloads it first
into ``OUT/downloads/`` (kept, so a second fetch does not download again), checking its sha256
prefix. Nothing reaches ``OUT`` before the import has succeeded: a missing or damaged file, a
wrong layout, no network or an HTTP error is one line and exit status 1, and leaves no folder
behind that was not there before. A folder holding another model (say one ``train`` wrote) is
refused; an earlier import is replaced.

One module for the two commands: ``add_arguments`` tells them apart by the parser's ``prog``
(``chroma-lab fetch-weights``). ``--url`` (fetch) and ``--size small`` are hidden options for the
tests, which serve small fixtures from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from chroma_lab.cli import UsageError, check_output_folder, import_keras

NAMES = ("eccv16",)
DOWNLOADS = "downloads"


def add_arguments(parser) -> None:
    fetch = parser.prog.endswith("fetch-weights")
    parser.add_argument("name", choices=NAMES, help="the released model (Zhang et al. 2016, ECCV)")
    if not fetch:
        parser.add_argument("path", metavar="PATH",
                            help="the released file, colorization_release_v2-9b330a0b.pth")  # fmt: skip
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the colorizer (for chroma-lab colorize --model DIR)"
                             + (f"; the download goes to DIR/{DOWNLOADS}/" if fetch else ""))  # fmt: skip
    if fetch:
        parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=("full", "small"), default="full", help=argparse.SUPPRESS)


def main(args) -> int:
    out = check_output_folder(args.out)
    fetch = args.command == "fetch-weights"
    if not fetch and not Path(args.path).is_file():
        what = "a folder" if Path(args.path).is_dir() else "no such file"
        raise UsageError(f"'{args.path}': {what}; give the released .pth file")
    _refuse_a_trained_model(out)
    import_keras()
    from chroma_lab.models import zhang2016_published as zp

    created = [p for p in (out, *out.parents) if not p.exists()]
    try:
        if fetch:
            path = zp.fetch_eccv16(out / DOWNLOADS, url=args.url or zp.ECCV16_URL,
                                   progress=sys.stderr.isatty())  # fmt: skip
        else:
            path = Path(args.path)
        colorizer = zp.published_colorizer(path, size=args.size)
        _save_into(colorizer, out)
    except BaseException:
        _remove_if_empty([out / DOWNLOADS, *created])
        raise
    print(f"{path} -> {out}: Zhang et al. (2016) with the released {args.name.upper()} weights; "
          f"colorize with: chroma-lab colorize IMAGE --model {out} --out DIR")
    return 0


def _refuse_a_trained_model(out: Path) -> None:
    """A folder holding another model is not overwritten; an earlier import may be."""
    import json

    from chroma_lab.models.registry import SETTINGS_FILE

    path = out / SETTINGS_FILE
    if not path.is_file():
        return
    try:
        weights = json.loads(path.read_text()).get("weights")
    except (ValueError, AttributeError):
        weights = None
    if weights not in NAMES:
        raise UsageError(f"'{out}' already holds a model ({SETTINGS_FILE}); "
                         "choose another --out for the released weights")  # fmt: skip


def _save_into(colorizer, out: Path) -> None:
    """Save in a hidden folder inside ``out``, then move the files into place, model first."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=out))
    try:
        colorizer.save(tmp)
        from chroma_lab.models.registry import MODEL_FILE, SETTINGS_FILE

        for name in (MODEL_FILE, SETTINGS_FILE):  # colorizer.json last: it names a whole folder
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_if_empty(folders) -> None:
    for folder in folders:  # innermost first
        try:
            folder.rmdir()
        except OSError:
            pass
