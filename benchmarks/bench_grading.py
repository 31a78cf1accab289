"""How long ``chroma-lab grade`` takes for a class, one notebook at a time and N at once.

    python3 benchmarks/bench_grading.py                    # 8 lesson 1 submissions, --jobs 1 then 2
    python3 benchmarks/bench_grading.py --students 16 --jobs 1 2 4 --lesson 1

The class: copies of the lesson's teaching notebook (every exercise solved) and of its exercise
notebook (none solved), alternating, named student01.ipynb ... . Each setting runs the command
as an instructor would (``--seed 1``, fast mode), and the script prints its wall time, the load
average around it (a busy machine inflates every figure) and whether its CSV holds the same grades
as the first setting's (every column but ``seconds``).
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chroma_lab.lessons import EXERCISES_DIR, NOTEBOOKS_DIR, lesson_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--lesson", default="1", help="the lesson number (default 1, the quickest)")
    args = parser.parse_args()
    folder = lesson_files()
    [teaching] = (folder / NOTEBOOKS_DIR).glob(f"lesson{int(args.lesson):02d}_*.ipynb")
    exercise = folder / EXERCISES_DIR / teaching.name
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = []
        for i in range(args.students):
            paths.append(tmp / f"student{i + 1:02d}.ipynb")
            shutil.copyfile(teaching if i % 2 == 0 else exercise, paths[-1])
        print(f"{args.students} submissions of {teaching.stem}, {os.cpu_count()} cores")
        first = None
        for jobs in args.jobs:
            out = tmp / f"grades{jobs}.csv"
            load = os.getloadavg()[0]
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "chroma_lab.cli", "grade", *map(str, paths), "--lesson",
                            args.lesson, "--fast", "--seed", "1", "--jobs", str(jobs), "--out", str(out)],
                           check=False, stdout=subprocess.DEVNULL)  # fmt: skip
            seconds = time.perf_counter() - start
            rows = [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(out.open())]
            first = rows if first is None else first
            print(f"--jobs {jobs}: {seconds:7.1f} s  ({seconds / args.students:5.1f} s per notebook; load average "
                  f"{load:.1f} before, {os.getloadavg()[0]:.1f} after; grades "
                  f"{'the same as the first setting' if rows == first else 'DIFFER from the first setting'})")


if __name__ == "__main__":
    main()
