"""``chroma-lab evaluate``: compare colorizers on the held-out part of a data set, with a report.

    chroma-lab evaluate --models som cnn zhang runs/zhang --data scenes --out out/eval
    chroma-lab evaluate --models runs/zhang runs/cnn --data folder:~/photos --size 96 --out out/mine

``--models`` takes names of :data:`chroma_lab.course.COURSE_MODELS` (trained briefly here on the
training part, as ``chroma-lab demo`` does) and folders of trained models (``chroma-lab train
--out``; loaded as they are, named by their path). The baselines (gray, random, lookup) are
always measured first; naming one is allowed and changes nothing. A name wins over a folder of
the same name: write ``./zhang`` for the folder.

A model that takes user hints (``levin2004``, ``guided``, or a folder holding one) is also
measured with 0, 1, 2, 5, 10 and 20 hints per image simulated from the truth (seeded by
``--seed``): a second table, and ``hints.csv`` and ``hints.png`` in ``--out``.

``--data`` is ``photos``, ``scenes`` (``--n-scenes`` of them, with their true surfaces) or
``folder:PATH``, split by whole images (``--test-size``, seeded by ``--seed``). Prints the table
as it goes and writes :func:`chroma_lab.evaluate.write_report`'s files into ``--out``.

Everything is checked before any work (the output folder, the data spec, the model names and
folders); a bad one is one error line and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from chroma_lab.cli import UsageError, check_output_folder, import_keras
from chroma_lab.errors import ChromaLabError


def add_arguments(parser) -> None:
    from chroma_lab.course import BASELINES, COURSE_MODELS

    parser.add_argument("--models", nargs="+", required=True, metavar="MODEL",
                        help=f"course models to train briefly ({', '.join(COURSE_MODELS)}; the baselines "
                             f"{', '.join(BASELINES)} are always shown) and/or folders of trained models")
    parser.add_argument("--data", default="scenes", help="photos, scenes (default) or folder:PATH")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the report")
    parser.add_argument("--size", type=int, default=64, help="side of the square images (default 64)")
    parser.add_argument("--n-scenes", type=int, default=160, help="images for --data scenes (default 160)")
    parser.add_argument("--test-size", type=float, default=0.25,
                        help="held-out share (below 1) or number of images (default 0.25)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the training budgets (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="split, baselines and training (default 0)")  # fmt: skip


def main(args) -> int:
    from chroma_lab.course import COURSE_MODELS, check_model_name, train_and_compare, load_split
    from chroma_lab.evaluate import write_report
    from chroma_lab.hint_sweep import COUNTS
    from chroma_lab.models.registry import read_settings

    out = check_output_folder(args.out)
    _check_data_spec(args.data)
    for option, value, low in (("--size", args.size, 16), ("--n-scenes", args.n_scenes, 2), ("--seed", args.seed, 0)):
        if value < low:
            raise UsageError(f"{option} must be an int >= {low}, got {value}")
    if not args.scale > 0:
        raise UsageError(f"--scale must be a number > 0, got {args.scale}")
    test_size = _test_size(args.test_size)
    names, folders = [], {}
    for model in args.models:
        try:
            names.append(check_model_name(model))
        except ChromaLabError:
            if not Path(model).is_dir():
                raise
            read_settings(model)  # a ModelFolderError naming the folder, before any work
            if model in folders:
                raise UsageError(f"--models names the folder '{model}' twice") from None
            folders[model] = model
    import_keras()
    from chroma_lab.models.registry import load_colorizer

    trained = {name: load_colorizer(folder) for name, folder in folders.items()}
    split = load_split(args.data, size=args.size, n_scenes=args.n_scenes, test_size=test_size, seed=args.seed)
    result = train_and_compare(split, [n for n in names if n in COURSE_MODELS], trained, seed=args.seed,
                               scale=args.scale, hint_counts=COUNTS)  # fmt: skip
    written = write_report(result, out)
    print(f"\nwrote {', '.join(path.name for path in written.values())} in {out}")
    return 0


def _check_data_spec(spec: str) -> None:
    from chroma_lab.data import check_data_spec

    spec = check_data_spec(spec)  # a ChromaLabError naming the valid specs
    if spec.startswith("folder:") and not Path(spec[len("folder:") :]).is_dir():
        raise UsageError(f"--data {spec}: no such folder")


def _test_size(value: float):
    """A share in (0, 1) or a whole number of images."""
    if 0 < value < 1:
        return value
    if value >= 1 and value == int(value):
        return int(value)
    raise UsageError(f"--test-size must be a share in (0, 1) or a whole number of images, got {value}")
