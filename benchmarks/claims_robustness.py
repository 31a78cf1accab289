"""Do the lessons' claims hold on another machine? Rerun them under settings that stand in for one.

A training run's floating point depends on the machine: its CPU's kernels, the number of threads
that split a sum, the library and its version. Each lesson's claims (``chroma_lab.experiments``)
are decided by a paired test over seeds; a claim a lesson may teach as a fact must come out
``holds`` whichever of these the student's machine does. This script reruns each lesson's
``run_claims`` in a fresh process per setting and prints each claim's verdict per setting, then a
markdown table (the one in ``lessons/README.md``).

The settings change one thing at a time from the base (the lesson's own seeds, 2 threads, oneDNN
off, TensorFlow), rather than every combination, which would cost 16 runs per lesson:

* ``base``: as the lesson runs in full mode;
* ``seeds+5``: five other seeds (new scenes, new initial weights and data order);
* ``1 thread``: TensorFlow's thread pools and the process's CPUs cut to one;
* ``oneDNN on``: TensorFlow's oneDNN kernels (another order of floating-point sums);
* ``jax``: ``KERAS_BACKEND=jax`` (XLA's kernels instead of TensorFlow's).

Usage, from the repository root::

    python benchmarks/claims_robustness.py                   # lessons 5 to 8, all settings
    python benchmarks/claims_robustness.py --lessons 5 --settings base jax
    python benchmarks/claims_robustness.py --fast            # the tests' budget: a smoke test

Each line printed per run ends with the run's CPU time (user + system, all threads), so the cost of
a lesson's claims can be read off the ``base`` row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLAIMS_CSV = REPO / "lessons" / "claims.csv"
RESULT_TAG = "RESULT "

# name -> (seed offset, threads, oneDNN on, Keras backend)
SETTINGS = {
    "base": (0, 2, False, "tensorflow"),
    "seeds+5": (5, 2, False, "tensorflow"),
    "1 thread": (0, 1, False, "tensorflow"),
    "oneDNN on": (0, 2, True, "tensorflow"),
    "jax": (0, 2, False, "jax"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    from chroma_lab.experiments import LESSONS  # the lessons with claims (imports no Keras)

    parser.add_argument("--lessons", type=int, nargs="+", default=sorted(LESSONS), choices=sorted(LESSONS))
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS), metavar="SETTING",
                        help=f"some of: {', '.join(repr(s) for s in SETTINGS)} (default: all)")
    parser.add_argument("--fast", action="store_true", help="the tests' tiny budget (verdicts may be unresolved)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # one lesson in this process
    parser.add_argument("--seeds", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return _worker(args.worker, [int(s) for s in args.seeds.split(",")], args.fast)

    verdicts: dict[str, dict[str, str]] = {}  # claim id -> setting -> verdict
    cpu: dict[tuple[int, str], float] = {}
    for lesson in args.lessons:
        for setting in args.settings:
            result = _run_setting(lesson, setting, args.fast)
            if result is None:
                continue
            cpu[lesson, setting] = result["cpu_s"]
            for line in result["claims"]:
                verdicts.setdefault(line["id"], {})[setting] = line["verdict"]
    print()
    print(markdown_table(verdicts, args.settings, _statuses()))
    print()
    for (lesson, setting), seconds in cpu.items():
        print(f"lesson {lesson}, {setting}: {seconds:.0f} s of CPU time")
    return 0


def _run_setting(lesson: int, setting: str, fast: bool):
    """Run one lesson's claims in a fresh process under ``setting``; its result, or None on failure."""
    offset, threads, onednn, backend = SETTINGS[setting]
    seeds = _lesson_seeds(lesson, fast)
    seeds = [s + offset for s in seeds]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_ENABLE_ONEDNN_OPTS="1" if onednn else "0",
               TF_CPP_MIN_LOG_LEVEL="2", CLAIMS_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads),
               XLA_FLAGS=f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                         f"intra_op_parallelism_threads={threads}")  # fmt: skip
    command = [sys.executable, __file__, "--worker", str(lesson), "--seeds", ",".join(map(str, seeds))]
    command += ["--fast"] if fast else []
    print(f"lesson {lesson}, {setting} (seeds {seeds[0]}-{seeds[-1]}, {threads} thread(s), "
          f"oneDNN {'on' if onednn else 'off'}, {backend}):", flush=True)
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    results = [line[len(RESULT_TAG):] for line in done.stdout.splitlines() if line.startswith(RESULT_TAG)]
    if done.returncode != 0 or not results:
        print(f"  failed (exit {done.returncode}):\n{done.stderr[-2000:]}", flush=True)
        return None
    result = json.loads(results[-1])
    for line in result["lines"]:
        print("  " + line)
    print(f"  {result['cpu_s']:.0f} s of CPU time", flush=True)
    return result


def _lesson_seeds(lesson: int, fast: bool) -> list[int]:
    from chroma_lab.experiments import LESSONS

    # the seeds are module constants; read them without importing Keras in this process
    import ast

    source = Path(REPO / (LESSONS[lesson].replace(".", "/") + ".py")).read_text(encoding="utf-8")
    constants = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return list(constants.get("FAST_SEEDS" if fast else "SEEDS", (0, 1) if fast else (0, 1, 2, 3, 4)))


def _worker(lesson: int, seeds: list[int], fast: bool) -> int:
    """In the fresh process: limit the threads, run the lesson's claims, print them as JSON."""
    import resource

    threads = int(os.environ.get("CLAIMS_THREADS", "2"))
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, cpus[:threads])
    from chroma_lab.experiments import experiment

    results = experiment(lesson).run_claims(seeds, fast=fast)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    payload = {"lines": [str(r) for r in results], "cpu_s": usage.ru_utime + usage.ru_stime,
               "claims": [{"id": r.id, "verdict": r.verdict} for r in results]}  # fmt: skip
    print(RESULT_TAG + json.dumps(payload), flush=True)
    return 0


def _statuses() -> dict[str, str]:
    from chroma_lab.compare import read_claims_table

    return {row["id"]: row["status"] for row in read_claims_table(CLAIMS_CSV)} if CLAIMS_CSV.exists() else {}


def markdown_table(verdicts: dict, settings: list, statuses: dict | None = None) -> str:
    """``| claim | setting ... | holds everywhere | claims.csv |`` with one row per claim id."""
    statuses = statuses or {}
    head = ["claim", *settings, "holds in every setting", "claims.csv"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for claim_id, by_setting in verdicts.items():
        cells = [by_setting.get(s, "(failed)") for s in settings]
        everywhere = all(c == "holds" for c in cells)
        rows.append(f"| {claim_id} | " + " | ".join(cells) + f" | {'yes' if everywhere else 'no'} | "
                    f"{statuses.get(claim_id, '(missing)')} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
