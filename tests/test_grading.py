"""chroma-lab grade: checks run by the grader itself, the two cheats, crashes, hangs, bad files.

The notebooks are a tiny two-exercise lesson built from a source here (two of lesson 1's checks),
so that each kernel runs in a few seconds; one test grades the real lesson 1's packaged metadata.
"""

import csv
import json
import re

import nbformat
import numpy as np
import pytest

from chroma_lab import grading
from chroma_lab.cli import main
from chroma_lab.lessons import EXERCISES_DIR, exercise_cell_metadata, lesson_files, notebook_json

SOURCE = '''# %% [markdown]
# # A tiny lesson

# %%
import numpy as np

from chroma_lab import checks, color


# %%
def srgb_to_linear(c):
    """sRGB -> linear."""
    ### BEGIN SOLUTION
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    ### END SOLUTION


checks.check_srgb_to_linear(srgb_to_linear)


# %%
def gray_cie(rgb):
    """uint8 RGB -> the L*-preserving gray."""
    ### BEGIN SOLUTION
    lin = color.srgb_to_linear(rgb / 255.0) @ color.XYZ_FROM_RGB[1]
    return 255 * np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    ### END SOLUTION


checks.check_gray(gray_cie, "cie")
'''
# the ids of the two exercise cells in the built notebook (after the name, title, banner and import cells)
FIRST, SECOND = [cell["id"] for cell in json.loads(notebook_json(SOURCE, exercise=True))["cells"]
                 if "exercise" in cell["metadata"].get("chroma_lab", {})]  # fmt: skip
SOLVED = {cell_id: re.sub(r" *### (BEGIN|END) SOLUTION\n", "", SOURCE.split("# %%\n")[part])
          for cell_id, part in ((FIRST, 2), (SECOND, 3))}  # the two exercise cells, solved


def _notebooks(tmp_path):
    reference = tmp_path / "reference.ipynb"
    reference.write_text(notebook_json(SOURCE, exercise=True, lesson="lesson99_tiny"))
    base = nbformat.read(reference, as_version=4)

    def submission(name, cells, extra_first=None, extra_last=None):
        nb = nbformat.from_dict(json.loads(json.dumps(base)))
        for cell in nb.cells:
            if cell.id in cells:
                cell.source = cells[cell.id]
        if extra_first:
            nb.cells.insert(1, nbformat.v4.new_code_cell(extra_first))
        if extra_last:
            nb.cells.append(nbformat.v4.new_code_cell(extra_last))
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, path)
        return path

    return reference, submission


def _results(grades, file):
    return {g.exercise: (g.result, g.message) for g in grades if g.file == file}


@pytest.mark.slow
@pytest.mark.notebook
def test_grading_runs_the_checks_itself(tmp_path):
    reference, submission = _notebooks(tmp_path)
    solved = submission("solved", SOLVED, extra_first="# Student: Ada Lovelace")
    # deletes the folder it runs in and another submission, then kills its kernel
    crash = submission("crash", {}, extra_first=f"import os, shutil\nos.remove({str(solved)!r})\n"
                                                "shutil.rmtree(os.getcwd())\nos._exit(3)")  # fmt: skip
    cheats = submission("cheats", {
        # the reference, reached through an alias imported before grading starts
        FIRST: "from chroma_lab.color import srgb_to_linear as _ref\n"
                    "def srgb_to_linear(c):\n    return _ref(c)\n"
                    "checks.check_srgb_to_linear(srgb_to_linear)",
        # a checker redefined to print PASS for an unsolved exercise
        SECOND: "def gray_cie(rgb):\n    raise NotImplementedError\n"
                    "checks.check_gray = lambda fn, method='cie', seed=0: print('PASS: gray') or True\n"
                    "checks.check_gray(gray_cie, 'cie')",
    }, extra_first="1 / 0  # a scratch cell that raises costs nothing")  # fmt: skip
    hardcoded = submission("hardcoded", {
        # right on the visible inputs only (the checker's seed 0), from a table
        FIRST: "_c = np.concatenate([[0.0, 0.01, 0.04045, 0.05, 0.5, 1.0], np.random.default_rng(0).uniform(0, 1, 24)])\n"
                    "_table = {x.tobytes(): color.srgb_to_linear(x) for x in (_c, _c[:12].reshape(2, 2, 3))}\n"
                    "def srgb_to_linear(c):\n    return _table[np.asarray(c).tobytes()]\n",
        SECOND: "color.rgb_to_gray = lambda rgb, method='cie': gray_cie(rgb)\n"  # the reference replaced
                    + SOLVED[SECOND],
    })  # fmt: skip
    # both exercises solved, then a segmentation fault in the last cell
    segfault = submission("segfault", SOLVED, extra_last="import ctypes\nctypes.string_at(0)")
    # a function that needs a name a later cell defines is graded on the notebook's end state too
    later = submission("later", {FIRST: "def srgb_to_linear(c):\n    return _solution(c)\n",
                                 SECOND: "def _solution(c):\n" + SOLVED[FIRST].split("\n", 2)[2]})  # fmt: skip
    (tmp_path / "empty.ipynb").write_text("")
    paths = [crash, solved, cheats, hardcoded, segfault, later, tmp_path / "empty.ipynb"]
    grades = grading.grade_submissions(paths, timeout=60, fresh_seed=12345, reference=reference)

    assert {e: r for e, (r, _) in _results(grades, "solved.ipynb").items()} == {"srgb_to_linear": "PASS",
                                                                                "gray_cie": "PASS"}  # fmt: skip
    assert {g.student for g in grades if g.file == "solved.ipynb"} == {"Ada Lovelace"}
    assert not solved.exists()  # the crashing notebook did delete it, after the grader had read it
    for result, message in _results(grades, "crash.ipynb").values():
        assert result == "FAIL" and "kernel died" in message
    got = _results(grades, "cheats.ipynb")
    assert got["srgb_to_linear"][0] == "FAIL" and "calls the library's reference" in got["srgb_to_linear"][1]
    assert got["gray_cie"][0] == "FAIL" and "not implemented yet" in got["gray_cie"][1]
    got = _results(grades, "hardcoded.ipynb")
    assert got["srgb_to_linear"][0] == "FAIL" and "not on fresh ones" in got["srgb_to_linear"][1]
    # the missing table key is said in words, not as the raw bytes of the fresh inputs
    assert "KeyError: a key of" in got["srgb_to_linear"][1] and "\\x" not in got["srgb_to_linear"][1]
    assert got["gray_cie"][0] == "FAIL" and "was replaced in the notebook" in got["gray_cie"][1]
    assert [(g.result, g.message) for g in grades if g.file == "empty.ipynb"] == [("ERROR", "empty file")]
    # the crash after the solved exercises costs nothing: each was graded once its function existed
    assert {e: r for e, (r, _) in _results(grades, "segfault.ipynb").items()} == {"srgb_to_linear": "PASS",
                                                                                  "gray_cie": "PASS"}  # fmt: skip

    table = grading.summary_table(grades)
    assert table.splitlines()[0].split() == ["student", "srgb_to_linear", "gray_cie", "total"]
    assert "Ada Lovelace  PASS" in table and "empty.ipynb: not graded: empty file" in table
    out = tmp_path / "grades.csv"
    grading.write_grades_csv(out, grades)
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == grading.CSV_COLUMNS and len(rows) == 13
    assert _results(grades, "later.ipynb")["srgb_to_linear"][0] == "PASS"


@pytest.mark.slow
@pytest.mark.notebook
def test_a_hanging_notebook_gets_its_reason(tmp_path):
    reference, submission = _notebooks(tmp_path)
    # the first exercise's cell runs into the memory limit, the second's never ends
    hangs = submission("hangs", {FIRST: "x = bytearray(3 * 2**30)\n" + SOLVED[FIRST],
                                 SECOND: "import time\ntime.sleep(120)"})  # fmt: skip
    grades = grading.grade_submissions([hangs], timeout=6, memory_gb=2, reference=reference)
    [first, second] = grades
    assert first.result == "FAIL" and "its cell raised MemoryError" in first.message
    # out of time is not a plain FAIL: the table says which exercise it cost and what to do
    assert second.result == "TIMEOUT" and "timeout of 6 s" in second.message
    table = grading.summary_table(grades)
    assert table.splitlines()[1].split()[1:] == ["FAIL", "TIMEOUT", "0/2"]
    assert "ran out of time" in table and "--timeout" in table


# Forged channels, each in an unsolved notebook: the grade must stay 0/2.
FORGERIES = {
    # the 8-line forgery of issue 22: the grading cell reloaded chroma_lab.grading, so a fake
    # reload gave it a grade_call printing a PASS line in the grader's format
    "reload": "import importlib, json, types\n"
              "def _fake(module):\n"
              "    return types.SimpleNamespace(grade_call=lambda token, call, seed, ns: print(\n"
              "        token + json.dumps({'call': call, 'passed': True, 'message': 'looks fine', 'seconds': 0})))\n"
              "importlib.reload = _fake\n",
    # result lines printed by the notebook itself, in every format a grader might read
    "printed": "import json\n"
               "for call in ['checks.check_srgb_to_linear(srgb_to_linear)', 'checks.check_gray(gray_cie, \"cie\")']:\n"
               "    print('PASS: ' + call)\n"
               "    print('@@chroma-lab-grade-0@@' + json.dumps({'call': call, 'passed': True, 'message': 'ok', 'seconds': 0}))\n",
    # the checker modules patched to pass everything, the grader's kernel helper starved of exec
    "patched": "import builtins, sys, types\n"
               "import chroma_lab.checks as _c, chroma_lab.checks._core as _core\n"
               "_core.run = lambda name, attempt, hint: print('PASS: forged') or True\n"
               "_core.report = lambda passed, message, hint=None: print('PASS: forged') or True\n"
               "_c.check_srgb_to_linear = _c.check_gray = lambda *a, **k: print('PASS: forged') or True\n"
               "sys.modules['chroma_lab.grading'] = types.SimpleNamespace(grade_call=print)\n"
               "builtins.exec = lambda *a, **k: None\n",
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.notebook
def test_a_forged_channel_earns_no_pass(tmp_path):
    reference, submission = _notebooks(tmp_path)
    paths = [submission(name, {}, extra_first=source) for name, source in FORGERIES.items()]
    grades = grading.grade_submissions(paths, timeout=60, fresh_seed=7, reference=reference)
    assert [(g.file, g.result) for g in grades] == [(f"{name}.ipynb", "FAIL") for name in FORGERIES for _ in (1, 2)]
    got = _results(grades, "reload.ipynb")  # the honest verdict on an untouched exercise
    assert all("not implemented yet" in message for _, message in got.values())


@pytest.mark.slow
@pytest.mark.notebook
def test_two_jobs_give_the_grades_of_one_and_a_gradebook(tmp_path):
    reference, submission = _notebooks(tmp_path)
    paths = [submission("ada", SOLVED, extra_first="# Name: Ada Lovelace"), submission("half", {FIRST: SOLVED[FIRST]})]
    tables = {}
    for jobs in (1, 2):
        grades = grading.grade_submissions(paths, timeout=60, fresh_seed=99, reference=reference, jobs=jobs)
        grading.write_grades_csv(tmp_path / f"jobs{jobs}.csv", grades)
        grading.write_gradebook(tmp_path / f"book{jobs}.csv", grades)
        rows = list(csv.DictReader((tmp_path / f"jobs{jobs}.csv").open()))
        tables[jobs] = [{k: v for k, v in row.items() if k != "seconds"} for row in rows]  # times differ
        assert (tmp_path / f"book{jobs}.csv").read_text() == (tmp_path / "book1.csv").read_text()
    assert tables[1] == tables[2] and len(tables[1]) == 4
    book = list(csv.reader((tmp_path / "book1.csv").open()))
    assert book == [["name", "file", "srgb_to_linear", "gray_cie", "total"],
                    ["Ada Lovelace", "ada.ipynb", "1", "1", "2"],
                    ["half", "half.ipynb", "1", "0", "1"]]  # fmt: skip


def test_student_metadata_is_validated_and_never_a_path(tmp_path, capsys):
    base = (lesson_files() / EXERCISES_DIR / "lesson01_color_spaces.ipynb").read_text()
    paths = []
    for name, meta in (("text", "lesson01"), ("list", ["lesson01_color_spaces"]),
                       ("escape", {"lesson": "../../../tmp/x"}), ("unknown", {"lesson": "lesson42_x"})):  # fmt: skip
        nb = json.loads(base)
        nb["metadata"]["chroma_lab"] = meta
        paths.append(tmp_path / f"{name}.ipynb")
        paths[-1].write_text(json.dumps(nb))
    out, book = tmp_path / "grades.csv", tmp_path / "book.csv"
    assert main(["grade", *map(str, paths), "--out", str(out), "--gradebook", str(book), "--jobs", "1"]) == 1
    printed = capsys.readouterr().out
    assert "text.ipynb: not graded: its metadata 'chroma_lab' is a str" in printed
    assert "list.ipynb: not graded: its metadata 'chroma_lab' is a list" in printed
    assert "escape.ipynb: not graded: its metadata names the lesson '../../../tmp/x', which is no lesson id" in printed
    assert "unknown.ipynb: not graded: no lesson named lesson42_x" in printed
    assert [row["result"] for row in csv.DictReader(out.open())] == ["ERROR"] * 4
    # not graded is not zero: the gradebook leaves those cells empty
    assert [row for row in csv.reader(book.open())][1:] == [[p.stem, p.name, ""] for p in paths]


def test_a_missing_bytes_key_reads_in_words():
    from chroma_lab.checks._core import describe_exception

    message = describe_exception(KeyError(np.arange(30.0).tobytes()))
    assert message.startswith("a key of 240 bytes is not in the dictionary") and "\\x" not in message
    assert len(describe_exception(ValueError("x" * 1000))) == 160


def test_bad_submissions_get_one_clear_line(tmp_path, capsys):
    (tmp_path / "notes.ipynb").write_text("my notes")
    other = tmp_path / "mine.ipynb"
    other.write_text((lesson_files() / EXERCISES_DIR / "lesson02_kmeans_palettes.ipynb").read_text())
    out = tmp_path / "grades.csv"
    status = main(["grade", str(tmp_path / "notes.ipynb"), str(other), str(tmp_path / "gone.ipynb"),
                   "--lesson", "1", "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 1
    assert "notes.ipynb: not graded: not a Jupyter notebook" in printed
    assert "mine.ipynb: not graded: this is the notebook of lesson02_kmeans_palettes, not of lesson01_color_spaces" in printed
    assert "gone.ipynb: not graded: cannot be read (No such file or directory)" in printed
    assert [row["result"] for row in csv.DictReader(out.open())] == ["ERROR"] * 3


def test_bad_options_are_refused_before_anything_runs(tmp_path, capsys):
    assert main(["grade", "x.ipynb", "--lesson", "42", "--out", str(tmp_path / "g.csv")]) == 1
    assert "--lesson '42' names no lesson; the lessons are lesson01_color_spaces" in capsys.readouterr().err
    assert main(["grade", "x.ipynb", "--out", str(tmp_path)]) == 1
    assert main(["grade", "x.ipynb", "--out", str(tmp_path / "g.csv"), "--jobs", "0"]) == 1
    assert "--jobs must be 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_exercise_metadata_names_functions_and_checks():
    cell = 'def gray(rgb):\n    raise NotImplementedError("Exercise: replace this line with your solution, ' \
           'then run the check below")\n\n\nchecks.check_gray(gray, "cie")\nprint(1)\n'
    meta = exercise_cell_metadata(cell)
    assert meta["chroma_lab"] == {"exercise": ["gray"], "checks": ['checks.check_gray(gray, "cie")']}
    assert meta["nbgrader"] == {"grade": False, "grade_id": "gray", "locked": False, "solution": True,
                                "schema_version": 3}  # fmt: skip
    assert exercise_cell_metadata("checks.check_onehot(onehot)")["nbgrader"]["locked"] is True
    assert exercise_cell_metadata("x = 1") == {}


def test_every_packaged_check_has_its_references():
    # a new lesson's checker must say what it compares with (grading.REFERENCES), or be listed as []
    folder = lesson_files() / EXERCISES_DIR
    for path in sorted(folder.glob("lesson*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["chroma_lab"]["lesson"] == path.stem
        calls = [c for cell in nb.cells for c in cell.metadata.get("chroma_lab", {}).get("checks", [])]
        assert calls, path
        for call in calls:
            name = call.split("(")[0].split(".")[-1]
            assert name in grading.REFERENCES, f"{path.name}: {name} has no entry in chroma_lab.grading.REFERENCES"
            for spec in grading.REFERENCES[name]:
                assert _defines(spec), f"{spec} names no function of the package"


def _defines(spec: str) -> bool:
    """Whether "module:Class.method" names a function defined in the package's source (read, not
    imported: several of these modules import TensorFlow), following a package's re-exports."""
    import ast
    from pathlib import Path

    module, qualname = spec.split(":")
    path = Path(grading.PACKAGE_DIR).parent / module.replace(".", "/")
    node = ast.parse((path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text())
    first = qualname.split(".")[0]
    for n in node.body:  # `from chroma_lab.data.patches import extract_patches` in a package
        if isinstance(n, ast.ImportFrom) and any((a.asname or a.name) == first for a in n.names):
            return _defines(f"{n.module}:{qualname}")
    for part in qualname.split("."):
        found = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part]
        if not found:
            return False
        node = found[0]
    return isinstance(node, ast.FunctionDef)


class _InProcessKernel:
    """The grader's side of the exchange with the kernel helper served in this process: the
    protocol without a kernel (the notebook tests above cover the kernel)."""

    def __init__(self, tmp_path, namespace):
        self.tmp, self.namespace, self.count = tmp_path, namespace, 0

    def request(self, spec, arrays, timeout):
        from chroma_lab import _grade_kernel, _grade_session

        self.count += 1
        request, reply = self.tmp / f"q{self.count}.npz", self.tmp / f"r{self.count}.npz"
        np.savez(request, __spec__=np.array(json.dumps(spec)), **arrays)
        _grade_kernel.serve(self.namespace, str(request), str(reply), str(_grade_session.PACKAGE_DIR))
        with np.load(reply, allow_pickle=False) as data:
            out = {k: data[k] for k in data.files}
        return json.loads(str(out.pop("__spec__"))), out


def test_the_checker_decides_here_on_what_the_kernel_computed(tmp_path):
    from chroma_lab import color
    from chroma_lab._grade_session import _Watch, grade_check

    class Model:
        def __init__(self, scale):
            self.scale = scale

        def predict(self, x):
            return np.asarray(x) * self.scale

    namespace = {"np": np, "color": color, "Model": Model}
    exec(SOLVED[FIRST].split("checks.")[0], namespace)  # the solved srgb_to_linear
    exec("def cheat(c):\n    return color.srgb_to_linear(c)\n"
         "def todo(c):\n    raise NotImplementedError('Exercise: ...')\n"
         "def wrong(c):\n    return c ** 2.2\n", namespace)  # fmt: skip
    kernel = _InProcessKernel(tmp_path, namespace)
    refs = grading.REFERENCES["check_srgb_to_linear"]
    grade = lambda name: grade_check(kernel, f"checks.check_srgb_to_linear({name})", 5, refs, 60)  # noqa: E731
    assert grade("srgb_to_linear")[0] == "PASS"
    assert grade("cheat") == ("FAIL", "cheat calls the library's reference (chroma_lab.color.srgb_to_linear): "
                                      "write it yourself")  # fmt: skip
    assert grade("todo")[0] == "FAIL" and grade("todo")[1].startswith("not implemented yet (todo)")
    assert grade("wrong") == ("FAIL", "wrong: you used the power 2.2 everywhere. Hint: the sRGB curve has two "
                                      "pieces, a straight line near black and an offset power above the knee at "
                                      "0.04045; choose the piece value by value.")  # fmt: skip
    # an object the student's function returns stays in the kernel; the checker still reads it
    watch = _Watch(kernel, [], float("inf"))
    model = watch.call({"name": "Model"}, (3.0,), {})
    assert type(model).__name__ == "Model" and model.scale == 3.0 and not hasattr(model, "fit")
    np.testing.assert_array_equal(model.predict(np.arange(4)), [0, 3, 6, 9])
    # what comes back is data, never a pickle: an object array cannot be sent at all
    assert watch.call({"name": "np.asarray"}, ([1, 2],), {}).tolist() == [1, 2]


def test_a_check_out_of_time_is_not_a_silent_fail(tmp_path, capsys, monkeypatch):
    # what the command does with the grades (the notebook test above makes a real TIMEOUT)
    rows = [grading.Grade("Ada", "ada.ipynb", "lesson05_zhang2016", e, "check_" + e, result, "", 1.0)
            for e, result in (("soft_encode", "PASS"), ("annealed_mean", "TIMEOUT"))]  # fmt: skip
    monkeypatch.setattr(grading, "grade_submissions", lambda *a, **k: rows)
    out = tmp_path / "grades.csv"
    assert main(["grade", "ada.ipynb", "--out", str(out), "--gradebook", str(tmp_path / "book.csv")]) == 1
    captured = capsys.readouterr()
    assert "Ada      PASS         TIMEOUT        1/2" in captured.out
    assert "1 file(s) ran out of time (ada.ipynb)" in captured.err and "--timeout" in captured.err
    assert list(csv.reader((tmp_path / "book.csv").open())) == [
        ["name", "file", "soft_encode", "annealed_mean", "total"], ["Ada", "ada.ipynb", "1", "0", "1"]]


def test_a_forged_reply_is_a_fail_not_a_crash(tmp_path, monkeypatch):
    from chroma_lab import _grade_session
    from chroma_lab._grade_session import Session, grade_check

    class Forger(_InProcessKernel):
        def __init__(self, tmp_path, reply):
            super().__init__(tmp_path, {})
            self.reply = reply

        def request(self, spec, arrays, timeout):
            return self.reply, {}

    refs = grading.REFERENCES["check_srgb_to_linear"]
    for reply in ([1, 2], {"used": [1, None], "ok": {"array": "nowhere"}}, {"ok": {"tuple": 3}}, {"error": 5}):
        result, message = grade_check(Forger(tmp_path, reply), "checks.check_srgb_to_linear(f)", 5, refs, 60)
        assert result == "FAIL", (reply, message)
    # a compressed reply that would unpack past the limit is refused from its header
    monkeypatch.setattr(_grade_session, "MAX_REPLY_BYTES", 2**20)
    session = Session.__new__(Session)
    session.exchange, session.count, session.helper = tmp_path, 0, ""

    def run_cell(source, timeout):
        np.savez_compressed(tmp_path / "reply1.npz", __spec__=np.array("{}"),
                            big=np.zeros(2**17 + 1))  # 1 MB and 8 bytes, a few kB compressed  # fmt: skip
        return True, None

    session.run_cell = run_cell
    reply, arrays = session.request({"op": "state", "names": []}, {}, 10)
    assert reply["error"][1].startswith("returned more than") and arrays == {}
