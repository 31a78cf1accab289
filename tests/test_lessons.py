"""The lesson machinery and the lessons themselves.

* Unit tests of :mod:`chroma_lab.lessons`: the exercise transform, deterministic notebook JSON,
  ``build_lessons``, and of the ``chroma-lab lessons`` command (:mod:`chroma_lab.cli.lessons`;
  fast, on temporary folders).
* The committed notebooks are exactly what their sources generate (not stale).
* Every lesson source follows the house rules (parameter cell, 3-6 checked exercises, no data
  outside the package, no Keras in the Keras-free lessons).
* ``@pytest.mark.notebook``: every teaching notebook runs top to bottom in a fresh ``python3``
  kernel in fast mode and prints ``PASS:`` for every check (these are the reference solutions in
  place of the exercise cells) and no ``FAIL:``; every exercise notebook, unsolved, runs to the end
  and prints ``FAIL: not implemented yet`` for every check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chroma_lab import cli
from chroma_lab.compare import (CLAIM_PATTERN, check_claim_line, check_claim_result_line, claim_holds,
                                parse_claim_result, read_claims_table)  # fmt: skip
from chroma_lab.lessons import (BEGIN_SOLUTION, END_SOLUTION, build_lessons, count_exercises,
                                exercise_source, fast_mode, lesson_sources, notebook_json,
                                run_notebook)  # fmt: skip

REPO = Path(__file__).resolve().parents[1]
LESSONS = REPO / "lessons"
SOURCES = sorted(LESSONS.glob("lesson[0-9]*.py"))
CHECK_CALL = re.compile(r"^\s*checks\.check_\w+\(", re.MULTILINE)
CELL_TIMEOUT = 300  # seconds per cell; fast mode needs a few
# Comparisons the lessons print (chroma_lab.compare.claim) that must hold in fast mode too; the
# others are checked only for agreeing with their own numbers (full mode is where they are read).
FAST_CLAIMS = {
    "lesson01": ["the CIE gray beats rec601 on mean L* error", "the CIE gray beats report on mean L* error"],
    "lesson02": ["the ab palette beats the RGB palette on quantisation error",
                 "lookup beats all gray on mean ab error"],
}  # fmt: skip
KERAS_IMPORT = re.compile(r"^\s*(import keras|from keras|import tensorflow|"
                          r"from chroma_lab\.models\.(palette_cnn|zhang))", re.MULTILINE)  # fmt: skip


SOLVED = '''\
# %% [markdown]
# # Lesson 0 - a test
# Some text.

# %%
import numpy as np

# %% tags=["parameters"]
FAST = True


# %%
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION


def square(x):
    """x squared."""
    if x is not None:
        ### BEGIN SOLUTION
        return x * x
        ### END SOLUTION


print(double(2))
'''


# ----------------------------------------------------------------------------------------------
# exercise_source
# ----------------------------------------------------------------------------------------------
def test_exercise_source_replaces_each_block_at_its_indentation():
    out = exercise_source(SOLVED)
    assert BEGIN_SOLUTION not in out and END_SOLUTION not in out
    assert "y = 2 * x" not in out and "return x * x" not in out
    raises = [line for line in out.splitlines() if "raise NotImplementedError" in line]
    assert len(raises) == 2 == count_exercises(SOLVED)
    assert raises[0].startswith("    raise NotImplementedError(\"Exercise: ")
    assert raises[1].startswith("        raise NotImplementedError(\"Exercise: ")
    # signature, docstring and the code around the blocks are kept, line for line
    assert 'def double(x):\n    """Twice x."""\n    raise NotImplementedError' in out
    assert out.endswith("print(double(2))\n")
    compile(out, "exercise", "exec")  # still valid Python


def test_exercise_source_of_a_function_raises_when_called():
    namespace = {}
    exec(compile(exercise_source(SOLVED.replace("print(double(2))", "")), "ex", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Exercise"):
        namespace["double"](2)


def test_exercise_source_without_markers_is_unchanged():
    text = "x = 1\n\ndef f():\n    return x\n"
    assert exercise_source(text) == text
    assert count_exercises(text) == 0


@pytest.mark.parametrize("text, line", [
    ("a = 1\n### BEGIN SOLUTION\nb = 2\n", 2),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", 2),
    ("a = 1\n### END SOLUTION\n", 2),
])  # fmt: skip
def test_exercise_source_rejects_unbalanced_markers(text, line):
    with pytest.raises(ValueError, match=f"line {line}: "):
        exercise_source(text)


# ----------------------------------------------------------------------------------------------
# Notebook JSON and build_lessons
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise", [False, True])
def test_notebook_json_is_deterministic_and_clean(exercise):
    text = notebook_json(SOLVED, exercise)
    assert text == notebook_json(SOLVED, exercise)  # jupytext's random cell ids are replaced
    nb = json.loads(text)
    assert text.endswith("}\n") and (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"] == {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                             "name": "python3"}, "language_info": {"name": "python"}}
    ids = [cell["id"] for cell in nb["cells"]]
    assert len(set(ids)) == len(ids)
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert code[1]["metadata"] == {"tags": ["parameters"]}
    source = "".join("".join(cell["source"]) for cell in code)
    assert ("y = 2 * x" in source) is not exercise
    assert source.count("raise NotImplementedError") == (2 if exercise else 0)
    # the exercise version opens with the title, then a banner that explains the exercises
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# Lesson 0")
    assert ("Exercise version" in "".join(nb["cells"][1]["source"])) is exercise


def test_build_lessons_writes_checks_and_removes_orphans(tmp_path):
    (tmp_path / "lesson00_test.py").write_text(SOLVED)
    (tmp_path / "not_a_lesson.py").write_text("x = 1\n")
    teaching = tmp_path / "notebooks" / "lesson00_test.ipynb"
    student = tmp_path / "exercises" / "lesson00_test.ipynb"

    assert build_lessons(tmp_path, check=True) == [student, teaching]  # missing: stale, not written
    assert not teaching.exists()
    assert build_lessons(tmp_path) == [student, teaching]
    first = teaching.read_bytes()
    assert build_lessons(tmp_path) == [] and build_lessons(tmp_path, check=True) == []
    assert teaching.read_bytes() == first

    (tmp_path / "lesson00_test.py").write_text(SOLVED.replace("Some text.", "Other text."))
    assert build_lessons(tmp_path, check=True) == [student, teaching]
    assert teaching.read_bytes() == first  # --check writes nothing

    orphan = tmp_path / "notebooks" / "lesson09_gone.ipynb"
    orphan.write_text("{}")
    assert orphan in build_lessons(tmp_path, check=True) and orphan.exists()
    assert orphan in build_lessons(tmp_path) and not orphan.exists()


def test_build_lessons_names_the_bad_source(tmp_path):
    (tmp_path / "lesson00_bad.py").write_text("# %%\n### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError, match=r"lesson00_bad\.py: line 2"):
        build_lessons(tmp_path)


def test_lesson_sources_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No lessons folder"):
        lesson_sources(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="No lesson sources"):
        lesson_sources(tmp_path)


def test_cli_build_and_check(tmp_path, capsys):
    (tmp_path / "lesson00_test.py").write_text(SOLVED)
    assert cli.main(["lessons", "build", "--src", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "2 stale notebook(s)" in err and "lesson00_test.ipynb" in err
    assert cli.main(["lessons", "build", "--src", str(tmp_path)]) == 0
    assert "2 notebook(s) changed" in capsys.readouterr().out
    assert cli.main(["lessons", "build", "--src", str(tmp_path), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_cli_missing_folder_is_one_line_error(tmp_path, capsys):
    assert cli.main(["lessons", "build", "--src", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chroma-lab lessons: error: No lessons folder") and err.count("\n") == 1


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False), ("", False), ("yes", False)])
def test_fast_mode(monkeypatch, value, expected):
    monkeypatch.setenv("CHROMA_LAB_FAST", value)
    assert fast_mode() is expected
    monkeypatch.delenv("CHROMA_LAB_FAST")
    assert fast_mode() is False


# ----------------------------------------------------------------------------------------------
# The committed lessons
# ----------------------------------------------------------------------------------------------
def test_committed_notebooks_are_not_stale():
    stale = build_lessons(LESSONS, check=True)
    assert stale == [], f"rebuild with 'chroma-lab lessons build': {[str(p) for p in stale]}"


def test_there_are_lessons():
    assert [s.stem[:8] for s in SOURCES][:4] == ["lesson01", "lesson02", "lesson03", "lesson04"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lesson_source_follows_the_house_rules(source):
    text = source.read_text(encoding="utf-8")
    assert re.search(r'^# %% tags=\["parameters"\]\n(#.*\n)*FAST = fast_mode\(\)$', text, re.MULTILINE), \
        "a parameter cell near the top must set FAST = fast_mode()"
    assert 3 <= count_exercises(text) <= 6
    assert len(CHECK_CALL.findall(text)) >= count_exercises(text)  # every solution block is checked
    assert "# %matplotlib inline" in text  # viz returns Figure objects; inline displays them
    assert "shared" not in text.replace("shares", ""), "lessons must not read ../shared (users lack it)"
    assert "## Summary" in text


@pytest.mark.parametrize("name", ["lesson01", "lesson02", "lesson03"])
def test_early_lessons_do_not_import_keras(name):
    # their kernels start in a second instead of importing TensorFlow
    text = next(s for s in SOURCES if s.stem.startswith(name)).read_text(encoding="utf-8")
    assert not KERAS_IMPORT.search(text)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lessons_with_keras_quiet_tensorflow_and_turn_onednn_off_first(source):
    # TF_CPP_MIN_LOG_LEVEL alone leaves the oneDNN notice on stderr (it is printed before absl's
    # logging starts); TF_ENABLE_ONEDNN_OPTS=0 silences it and makes the trained numbers the same
    # on every CPU. Both must be set before anything imports TensorFlow.
    text = source.read_text(encoding="utf-8")
    found = KERAS_IMPORT.search(text)
    if not found:
        pytest.skip("no Keras in this lesson")
    before = text[: found.start()]
    for setting in ('os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")',
                    'os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")'):  # fmt: skip
        assert setting in before, f"{setting} must come before the first Keras import"
    first_import = re.search(r"^(from chroma_lab|import keras|from keras)", text, re.MULTILINE)
    assert first_import.start() > before.index("TF_ENABLE_ONEDNN_OPTS")


CLAIMS_CSV = LESSONS / "claims.csv"
NAMED_CLAIM_START = re.compile(r"^\[L\d+-")


def _check_claims(stem: str, lines: list[str]) -> None:
    """Every printed comparison agrees with its own numbers; the fast-mode ones hold; every claim of
    ``lessons/claims.csv`` for this lesson is printed exactly once, with a verdict its interval allows."""
    claims = [line for line in lines if CLAIM_PATTERN.match(line)]
    named = [line for line in lines if NAMED_CLAIM_START.match(line)]
    assert claims or named, f"{stem} prints no comparison (chroma_lab.compare.claim or paired_claim)"
    wrong = [line for line in claims if not check_claim_line(line)]
    assert wrong == [], f"claims whose verdict contradicts their numbers: {wrong}"
    for expected in FAST_CLAIMS.get(stem[:8], []):
        matching = [line for line in claims if line.startswith(expected)]
        assert len(matching) == 1, f"{stem} does not print '{expected} ...'"
        assert claim_holds(matching[0]), f"in fast mode: {matching[0]}"
    unparsed = [line for line in named if parse_claim_result(line) is None]
    assert unparsed == [], f"lines that look like named claims but do not parse: {unparsed}"
    wrong = [line for line in named if not check_claim_result_line(line)]
    assert wrong == [], f"named claims whose verdict contradicts their interval: {wrong}"
    printed = [parse_claim_result(line)["id"] for line in named]
    lesson = int(stem[6:8])
    expected = [row["id"] for row in read_claims_table(CLAIMS_CSV) if row["lesson"] == lesson]
    for claim_id in expected:
        assert printed.count(claim_id) == 1, f"{stem} prints [{claim_id}] {printed.count(claim_id)} times, not once"
    strays = sorted(set(printed) - set(expected))
    assert strays == [], f"{stem} prints claims that lessons/claims.csv does not list: {strays}"


def _constants(path: Path) -> dict:
    """The module-level constants of a Python file, read without importing it (no Keras)."""
    import ast

    out = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_claims_table_matches_the_experiments_claim_ids():
    rows = read_claims_table(CLAIMS_CSV)
    assert rows, "lessons/claims.csv lists no claim"
    by_lesson: dict[int, list[str]] = {}
    for row in rows:
        assert row["id"].startswith(f"L{row['lesson']}-"), row
        by_lesson.setdefault(row["lesson"], []).append(row["id"])
    for lesson, ids in by_lesson.items():
        module = REPO / "chroma_lab" / "experiments" / f"lesson{lesson:02d}.py"
        if not module.exists():  # a lesson whose claims are still printed by the lesson itself
            continue
        assert sorted(_constants(module)["CLAIM_IDS"]) == sorted(ids), f"lesson {lesson}"


def test_check_claims_catches_a_missing_a_repeated_and_a_contradicted_claim():
    ids = [row["id"] for row in read_claims_table(CLAIMS_CSV) if row["lesson"] == 5]
    good = [f"[{i}] a beats b on m: holds (+2.0, 95% interval +1.0 to +3.0, 5 seeds)" for i in ids]
    _check_claims("lesson05_zhang2016", ["some output", *good])
    for broken in (good[1:], good + good[:1],
                   [good[0].replace("holds", "reversed"), *good[1:]],
                   [good[0].replace("95% interval", "interval"), *good[1:]],
                   [*good, "[L5-unknown] a beats b on m: holds (+2.0, 95% interval +1.0 to +3.0, 5 seeds)"]):
        with pytest.raises(AssertionError):
            _check_claims("lesson05_zhang2016", broken)


# ----------------------------------------------------------------------------------------------
# Executing the notebooks (fast mode)
# ----------------------------------------------------------------------------------------------
def _execute(path: Path, cwd: Path) -> list[str]:
    """Run a notebook in a fresh python3 kernel in fast mode; return its stdout lines."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    return run_notebook(path, fast=True, timeout=CELL_TIMEOUT, cwd=cwd)[1]


PROBE = """\
# %%
from chroma_lab.lessons import fast_mode
print("FAST", fast_mode())
print("PASS: probe")
"""


@pytest.mark.notebook
@pytest.mark.parametrize("fast", [True, False])
def test_run_notebook_passes_fast_mode_and_finds_the_package(tmp_path, fast):
    (tmp_path / "lesson00_probe.py").write_text(PROBE)
    build_lessons(tmp_path)
    seconds, lines = run_notebook(tmp_path / "notebooks" / "lesson00_probe.ipynb", fast=fast, cwd=tmp_path)
    assert lines == [f"FAST {fast}", "PASS: probe"] and seconds > 0


@pytest.mark.notebook
def test_cli_run_reports_checks_and_a_failing_cell(tmp_path, capsys):
    (tmp_path / "lesson00_probe.py").write_text(PROBE)
    (tmp_path / "lesson01_broken.py").write_text("# %%\nraise KeyError('boom')\n")
    build_lessons(tmp_path)
    assert cli.main(["lessons", "run", "lesson00", "--src", str(tmp_path), "--fast"]) == 0
    assert re.fullmatch(r"lesson00_probe: +[0-9.]+ s \(fast mode\), 1 PASS, 0 FAIL\n", capsys.readouterr().out)
    assert cli.main(["lessons", "run", "lesson01", "--src", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lesson01_broken: a cell raised: ") and "boom" in err and err.count("\n") == 1


def test_cli_run_takes_options_after_the_lesson_names(tmp_path, monkeypatch, capsys):
    """``chroma-lab lessons run --fast lesson01`` (options between and after the positionals)."""
    from chroma_lab.cli import lessons as command

    for name in ("lesson00_probe", "lesson01_second", "lesson02_third"):
        (tmp_path / f"{name}.py").write_text(PROBE)
    calls = []

    def fake_run(path, fast=False, **kwargs):
        calls.append((Path(path).relative_to(tmp_path).as_posix(), fast))
        return 1.5, ["PASS: probe", "FAIL: probe"]

    monkeypatch.setattr(command, "run_notebook", fake_run)
    assert cli.main(["lessons", "run", "--fast", "lesson01", "--src", str(tmp_path), "lesson02", "--exercises"]) == 0
    assert calls == [("exercises/lesson01_second.ipynb", True), ("exercises/lesson02_third.ipynb", True)]
    out = capsys.readouterr().out.splitlines()
    assert out == ["lesson01_second:    1.5 s (fast mode), 1 PASS, 1 FAIL",
                   "lesson02_third:    1.5 s (fast mode), 1 PASS, 1 FAIL"]  # fmt: skip


def test_cli_run_and_build_argument_errors(tmp_path, capsys):
    (tmp_path / "lesson00_probe.py").write_text(PROBE)
    assert cli.main(["lessons", "run", "lesson07", "--src", str(tmp_path)]) == 1
    assert "no lesson in" in capsys.readouterr().err
    assert cli.main(["lessons", "build", "lesson00", "--src", str(tmp_path)]) == 1
    assert "only apply to 'run'" in capsys.readouterr().err


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_teaching_notebook_runs_and_every_check_passes(source, tmp_path):
    lines = _execute(LESSONS / "notebooks" / f"{source.stem}.ipynb", tmp_path)
    n_checks = len(CHECK_CALL.findall(source.read_text(encoding="utf-8")))
    fails = [line for line in lines if line.startswith("FAIL:")]
    assert fails == []
    assert sum(line.startswith("PASS:") for line in lines) == n_checks
    _check_claims(source.stem, lines)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_exercise_notebook_runs_unsolved_and_every_check_fails(source, tmp_path):
    lines = _execute(LESSONS / "exercises" / f"{source.stem}.ipynb", tmp_path)
    n_checks = len(CHECK_CALL.findall(source.read_text(encoding="utf-8")))
    assert not any(line.startswith("PASS:") for line in lines)
    fails = [line for line in lines if line.startswith("FAIL:")]
    assert len(fails) == n_checks
    assert all(line.startswith("FAIL: not implemented yet") for line in fails)
    # no hint before the student has tried: Run All must not show the answers
    assert not any("Hint" in line for line in fails), fails
