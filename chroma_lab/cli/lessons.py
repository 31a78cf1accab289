"""``chroma-lab lessons``: build the lesson notebooks from their jupytext sources, or run them.

    chroma-lab lessons build [--check]                 # regenerate lessons/notebooks and lessons/exercises
    chroma-lab lessons run [lesson05] [--fast] [--exercises]  # lessons/ here, else the package's notebooks
    chroma-lab lessons copy DIR [--exercises] [--force]  # the notebooks the package carries, for a student

The machinery (jupytext -> notebook JSON, the exercise transform, executing a notebook) is
:mod:`chroma_lab.lessons`, which the lessons themselves import for ``fast_mode``; this module is
only the command.
"""

from __future__ import annotations

import sys
import tempfile

from chroma_lab.cli import UsageError
from chroma_lab.lessons import build_lessons, copy_lessons, lesson_notebooks, run_notebook


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["build", "run", "copy"],
                        help="build: generate the notebooks from the sources; "
                             "run: execute them and report time and checks; "
                             "copy: write the notebooks into a folder DIR for a student")  # fmt: skip
    parser.add_argument("names", nargs="*", metavar="LESSON",
                        help="run: only lessons whose name starts with this (e.g. lesson02); copy: the folder DIR")
    parser.add_argument("--src", help="folder of lessonNN_*.py sources (default: lessons; for run, the "
                                      "notebooks the installed package carries where there is no lessons/ here)")
    parser.add_argument("--check", action="store_true",
                        help="build: write nothing; exit 1 listing the notebooks that are stale")  # fmt: skip
    parser.add_argument("--fast", action="store_true", help="run: in fast mode (CHROMA_LAB_FAST=1)")
    parser.add_argument("--exercises", action="store_true",
                        help="run, copy: the exercise notebooks instead of the teaching ones")  # fmt: skip
    parser.add_argument("--force", action="store_true", help="copy: overwrite notebooks already in DIR")


def main(args) -> int:
    if args.action == "run":
        return _run_lessons(args)
    if args.action == "copy":
        return _copy_lessons(args)
    if args.names:
        raise UsageError(f"lesson names ({' '.join(args.names)}) only apply to 'run'; 'build' builds every lesson")
    args.src = args.src or "lessons"
    changed = build_lessons(args.src, check=args.check)
    if args.check:
        if changed:
            print(f"{len(changed)} stale notebook(s); run 'chroma-lab lessons build':", file=sys.stderr)
            for path in changed:
                print(f"  {path}", file=sys.stderr)
            return 1
        print(f"all notebooks in '{args.src}' are up to date")
        return 0
    for path in changed:
        print(f"wrote {path}" if path.exists() else f"removed {path}")
    print(f"{len(changed)} notebook(s) changed" if changed else "all notebooks already up to date")
    return 0


def _run_lessons(args) -> int:
    from nbclient.exceptions import CellExecutionError

    notebooks = lesson_notebooks(args.src, args.exercises)
    chosen = [p for p in notebooks if not args.names or any(p.stem.startswith(n) for n in args.names)]
    if not notebooks:
        raise UsageError("this installation of chroma_lab carries no lesson notebooks; reinstall it from a wheel")
    if not chosen:
        raise UsageError(f"no lesson in '{notebooks[0].parent}' starts with {', '.join(args.names)}; "
                         f"lessons: {', '.join(p.stem for p in notebooks)}")  # fmt: skip
    failed = 0
    for path in chosen:
        stem = path.stem
        try:
            # in a folder of its own: the package's notebooks may sit in a read-only site-packages
            with tempfile.TemporaryDirectory(prefix="chroma-lab-run-") as cwd:
                seconds, lines = run_notebook(path, fast=args.fast, cwd=cwd)
        except CellExecutionError as exc:
            failed += 1
            last = str(exc).strip().splitlines()[-1]
            print(f"{stem}: a cell raised: {last}", file=sys.stderr)
            continue
        passed = sum(line.startswith("PASS:") for line in lines)
        fails = sum(line.startswith("FAIL:") for line in lines)
        print(f"{stem}: {seconds:6.1f} s ({'fast' if args.fast else 'full'} mode), {passed} PASS, {fails} FAIL")
    return 1 if failed else 0


def _copy_lessons(args) -> int:
    from chroma_lab.cli import check_output_folder

    if len(args.names) != 1:
        raise UsageError(f"'copy' takes one folder DIR, got {len(args.names)}: chroma-lab lessons copy DIR [--exercises]")
    dest = check_output_folder(args.names[0], "DIR")
    written = copy_lessons(dest, exercises=args.exercises, force=args.force)
    kind = "exercise" if args.exercises else "teaching"
    print(f"copied {len(written)} files ({kind} notebooks and a README.md for them) into {dest}; "
          f"open them with: jupyter lab {dest}")
    return 0
