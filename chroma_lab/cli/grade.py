"""``chroma-lab grade``: run submitted exercise notebooks and record every check.

    chroma-lab grade SUBMISSION.ipynb... --out grades.csv [--gradebook book.csv] [--jobs N]
                     [--lesson 5] [--timeout 600] [--fast]

Each notebook runs in a fresh kernel, in a temporary copy; the grader decides every check in its
own process from the outputs the student's functions computed (:mod:`chroma_lab.grading`). It
prints one line per submission, then a table of students x exercises, and writes one CSV row per
check (or per bad file), and with ``--gradebook`` one row per student. Exit status 0 when every
file was graded in time, 1 when one could not be graded or a check ran out of time (it says which).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from chroma_lab.cli import UsageError


def add_arguments(parser) -> None:
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb", help="the notebooks to grade")
    parser.add_argument("--out", required=True, help="the CSV of grades to write (one row per check)")
    parser.add_argument("--lesson", help="the lesson every submission must be (5, lesson05); "
                                         "by default each notebook's own")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds for one notebook's own cells (default 600); each check has up to 120 more")  # fmt: skip
    parser.add_argument("--memory-gb", type=float, default=8.0,
                        help="address-space limit of each kernel where the OS allows it (default 8; 0: none)")  # fmt: skip
    parser.add_argument("--seed", type=int, help="seed of the fresh inputs (default: drawn at random, printed)")
    parser.add_argument("--fast", action="store_true", help="run the notebooks in fast mode (CHROMA_LAB_FAST=1)")
    parser.add_argument("--gradebook", metavar="FILE",
                        help="also write one CSV row per student: name, file, 1/0 per exercise, total")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks graded at once, each in its own kernel (default: the number of cores, "
                             f"{os.cpu_count() or 1} here)")  # fmt: skip


def main(args) -> int:
    from chroma_lab.cli import check_output_folder, import_keras
    from chroma_lab.grading import grade_submissions, summary_table, write_gradebook, write_grades_csv

    if args.timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    if args.memory_gb < 0:
        raise UsageError(f"--memory-gb must be 0 (no limit) or more, got {args.memory_gb:g}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, got {args.jobs}")
    out = _csv_path(args.out, "--out", check_output_folder)
    book = None if args.gradebook is None else _csv_path(args.gradebook, "--gradebook", check_output_folder)
    if book is not None and book.resolve() == out.resolve():
        raise UsageError(f"--gradebook and --out are the same file '{out}'; give two files")
    if args.lesson is not None:
        from chroma_lab.grading import _lesson_stem

        _lesson_stem(args.lesson)  # a bad --lesson is refused before anything runs
    import secrets

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31 - 1) + 1
    print(f"grading {len(args.submissions)} notebook(s), fresh inputs from seed {seed}", flush=True)
    grades = grade_submissions(args.submissions, lesson=args.lesson, timeout=args.timeout,
                               memory_gb=args.memory_gb or None, fresh_seed=seed, fast=args.fast,
                               progress=lambda line: print(line, flush=True), jobs=args.jobs,
                               import_keras=import_keras)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    write_grades_csv(out, grades)
    print()
    print(summary_table(grades))
    print(f"\nwrote {out} ({len(grades)} rows)")
    if book is not None:
        book.parent.mkdir(parents=True, exist_ok=True)
        write_gradebook(book, grades)
        print(f"wrote {book} (one row per student)")
    bad = sum(g.result == "ERROR" for g in grades)
    late = sorted({g.file for g in grades if g.result == "TIMEOUT"})
    if bad:
        print(f"{bad} file(s) could not be graded", file=sys.stderr)
    if late:
        print(f"{len(late)} file(s) ran out of time ({', '.join(late)}): their TIMEOUT checks count as failed; "
              "grade them again with a longer --timeout", file=sys.stderr)  # fmt: skip
    return 1 if bad or late else 0


def _csv_path(text: str, option: str, check_output_folder) -> Path:
    path = Path(text)
    if path.is_dir():
        raise UsageError(f"{option} '{path}' is a folder; give the CSV file to write")
    check_output_folder(path.parent if str(path.parent) else ".", option)
    return path
