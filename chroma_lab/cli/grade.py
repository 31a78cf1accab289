"""``chroma-lab grade``: run submitted exercise notebooks and record every check.

    chroma-lab grade SUBMISSION.ipynb... [--lesson 5] [--timeout 600] [--fast] --out grades.csv

Each notebook runs in a fresh kernel, in a temporary copy, and the grader runs the lesson's checks
itself after the student's cells (:mod:`chroma_lab.grading`). It prints one line per submission,
then a table of students x exercises, and writes one CSV row per check (or per bad file).
Exit status 0 when every file could be graded, 1 when one could not (its line says why).
"""

from __future__ import annotations

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


def main(args) -> int:
    from chroma_lab.cli import check_output_folder
    from chroma_lab.grading import grade_submissions, summary_table, write_grades_csv

    if args.timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    if args.memory_gb < 0:
        raise UsageError(f"--memory-gb must be 0 (no limit) or more, got {args.memory_gb:g}")
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out '{out}' is a folder; give the CSV file to write")
    check_output_folder(out.parent if str(out.parent) else ".", "--out")
    if args.lesson is not None:
        from chroma_lab.grading import _lesson_stem

        _lesson_stem(args.lesson)  # a bad --lesson is refused before anything runs
    import secrets

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31 - 1) + 1
    print(f"grading {len(args.submissions)} notebook(s), fresh inputs from seed {seed}", flush=True)
    grades = grade_submissions(args.submissions, lesson=args.lesson, timeout=args.timeout,
                               memory_gb=args.memory_gb or None, fresh_seed=seed, fast=args.fast,
                               progress=lambda line: print(line, flush=True))  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    write_grades_csv(out, grades)
    print()
    print(summary_table(grades))
    print(f"\nwrote {out} ({len(grades)} rows)")
    bad = sum(g.result == "ERROR" for g in grades)
    if bad:
        print(f"{bad} file(s) could not be graded", file=sys.stderr)
    return 1 if bad else 0
