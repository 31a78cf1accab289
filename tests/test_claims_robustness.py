"""benchmarks/claims_robustness.py: its table and its settings (the runs themselves are a benchmark)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
    from chroma_lab.experiments import lesson05

    assert script._lesson_seeds(5, fast=False) == list(lesson05.SEEDS)
    assert script._lesson_seeds(5, fast=True) == list(lesson05.FAST_SEEDS)
    base = script.SETTINGS["base"]
    for name, setting in script.SETTINGS.items():
        assert sum(a != b for a, b in zip(setting, base)) == (0 if name == "base" else 1), name
