"""benchmarks/claims_robustness.py: its table and its settings (the runs themselves are a benchmark)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "claims_robustness.py"


def _script():
    spec = importlib.util.spec_from_file_location("claims_robustness", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_claim_is_robust_only_where_it_holds_in_every_setting():
    script = _script()
    verdicts = {"L5-a": {"base": "holds", "jax": "holds"}, "L5-b": {"base": "holds", "jax": "unresolved"},
                "L5-c": {"base": "holds"}}
    table = script.markdown_table(verdicts, ["base", "jax"], {"L5-a": "robust", "L5-b": "unresolved"})
    lines = table.splitlines()
    assert lines[0] == "| claim | base | jax | holds in every setting | claims.csv |"
    assert lines[2] == "| L5-a | holds | holds | yes | robust |"
    assert lines[3] == "| L5-b | holds | unresolved | no | unresolved |"
    assert lines[4] == "| L5-c | holds | (failed) | no | (missing) |"  # a failed run is no evidence


def test_the_seeds_are_the_lessons_own_and_the_settings_change_one_thing():
    script = _script()
    from chroma_lab.experiments import lesson05, lesson08

    assert script._lesson_seeds(5, fast=False) == list(lesson05.SEEDS)
    assert script._lesson_seeds(5, fast=True) == list(lesson05.FAST_SEEDS)
    assert script._lesson_seeds(8, fast=False) == list(lesson08.SEEDS)
    base = script.SETTINGS["base"]
    for name, setting in script.SETTINGS.items():
        assert sum(a != b for a, b in zip(setting, base)) == (0 if name == "base" else 1), name


@pytest.mark.slow  # lesson 8's claims in fast mode, in the script's own worker process (~1 min on 2 cores)
def test_lesson_8_runs_through_the_script_and_every_claim_gets_a_verdict(capsys):
    from chroma_lab.experiments.lesson08 import CLAIM_IDS

    script = _script()
    assert script.main(["--lessons", "8", "--settings", "base", "--fast"]) == 0
    printed = capsys.readouterr().out
    assert "(seeds 0-1, 2 thread(s), oneDNN off, tensorflow)" in printed and "failed" not in printed
    rows = [line.split(" | ") for line in printed.splitlines() if line.startswith("| L8-")]
    assert [row[0][2:] for row in rows] == list(CLAIM_IDS)
    assert all(row[1] in ("holds", "reversed", "unresolved") for row in rows)
    assert "lesson 8, base: " in printed  # its CPU time
