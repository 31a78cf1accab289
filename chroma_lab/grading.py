"""Grading submitted exercise notebooks: ``chroma-lab grade`` (:mod:`chroma_lab.cli.grade`).

Each submission is read into memory, copied into a temporary folder of its own and executed there
in a fresh kernel, cell by cell, continuing after a cell that raises (that costs the exercise the
cell defines, not the lesson). The grader does not count printed ``PASS`` lines: after the
student's cells it runs, in the same kernel, one grading cell per check of the lesson, taken from
the packaged exercise notebook (its cell metadata, written by :func:`chroma_lab.lessons.
exercise_cell_metadata`), not from the submission. Each grading cell calls :func:`grade_call`:

* the checker modules are reloaded from their files, so a ``checks.check_*`` redefined (or a
  ``chroma_lab.checks._core.report`` patched) in the notebook is not the one that runs;
* the checker runs twice, on the inputs the student saw (``seed=0``) and on fresh ones (a seed
  drawn per grading run), so an answer hard-coded for the visible inputs fails;
* while the student's function runs, a profile hook (``sys.setprofile``) watches for calls into
  the library's reference of that exercise (:data:`REFERENCES`) or into any checker code, however
  the function reached it (``color.srgb_to_linear``, an alias imported earlier, a library
  function calling it): such a call is a FAIL, "calls the library's reference";
* a reference replaced in the notebook (``color.srgb_to_linear = my_function``) is a FAIL too:
  the checker would compare the student's function with itself.

Results come back as one JSON line per check, prefixed by a token drawn per run. The memory limit
is ``RLIMIT_AS``, set in the kernel before the student's first cell where the OS has it (Linux;
macOS ignores it; Windows has no ``resource``). What this cannot prevent is in the README's
*Grading* section: the student's code runs as the instructor, with their files and network.

``import chroma_lab.grading`` imports only the standard library (the kernel reloads it for every
check); nbformat and nbclient are imported where the host side needs them.

Why one file of about 510 lines: executing a submission, guarding the references and writing the
grade table are one pipeline whose parts share the per-run token and the result format; the
command itself is :mod:`chroma_lab.cli.grade`.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib
import inspect
import io
import json
import re
import sys
import time
from pathlib import Path

from chroma_lab.errors import ChromaLabError

VISIBLE_SEED = 0
CHECK_TIMEOUT = 120  # seconds for one grading cell (both runs of one checker)
PACKAGE_DIR = Path(__file__).resolve().parent
CSV_COLUMNS = ["student", "file", "lesson", "exercise", "check", "result", "message", "seconds"]

# What each checker compares with: the student's function must not reach it while it is graded.
# "module:qualified.name". Code in chroma_lab/checks/ (the checkers' own NumPy re-derivations,
# `nearest`, `lookup_table_reference` ...) is off limits for every exercise and needs no entry.
# tests/test_grading.py fails when a check of a packaged exercise notebook has no entry here.
REFERENCES = {
    "check_srgb_to_linear": ["chroma_lab.color:srgb_to_linear"],
    "check_rgb_to_xyz": ["chroma_lab.color:rgb_to_xyz"],
    "check_xyz_to_lab": ["chroma_lab.color:xyz_to_lab"],
    "check_gray": ["chroma_lab.color:rgb_to_gray"],
    "check_palette_fit": ["chroma_lab.quantize:KMeansPalette.fit"],
    "check_encode": ["chroma_lab.quantize:_Palette.encode"],
    "check_decode": ["chroma_lab.quantize:_Palette.decode"],
    "check_lookup_colorizer": ["chroma_lab.models.lookup:LookupColorizer._fit"],
    "check_extract_patches": ["chroma_lab.data:extract_patches"],
    "check_som_classes": ["chroma_lab.quantize:_Palette.encode"],
    "check_patch_mlp": ["chroma_lab.models.som_mlp:SOMPatchColorizer._fit"],
    "check_onehot": [],
    "check_crossentropy": [],
    "check_index_losses": [],
    "check_soft_encode": ["chroma_lab.quantize:soft_encode", "chroma_lab.quantize:soft_encode_sparse"],
    "check_rebalance_weights": ["chroma_lab.quantize:rebalance_weights"],
    "check_annealed_mean": ["chroma_lab.quantize:annealed_mean"],
    "check_rebalanced_loss": ["chroma_lab.losses:rebalanced_crossentropy"],
    "check_fusion": ["chroma_lab.models.iizuka2016:Fusion.call"],
    "check_resize_for_global": ["chroma_lab.models.iizuka2016:ResizeSquare.call"],
    "check_iizuka_loss": ["chroma_lab.losses:iizuka_loss"],
    "check_gradient_loss": ["chroma_lab.models.coherent:coherence_loss", "chroma_lab.models.coherent:ab_gradients",
                            "chroma_lab.models.coherent:gradient_magnitude"],
    "check_color_regularizer": ["chroma_lab.models.coherent:color_regularizer"],
    "check_gradient_rebalancing": ["chroma_lab.models.coherent:gradient_prior",
                                   "chroma_lab.models.coherent:gradient_magnitude"],
}  # fmt: skip


class BadSubmission(ValueError):
    """A file that cannot be graded at all (not a notebook, empty, another lesson's)."""


@dataclasses.dataclass
class Grade:
    """One row of the grades: one check of one submission (or one line for a bad submission)."""

    student: str
    file: str
    lesson: str
    exercise: str
    check: str
    result: str  # PASS, FAIL, or ERROR for a submission that could not be graded
    message: str
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------------
# the host side: run each submission, collect the rows
# ----------------------------------------------------------------------------------------------


def grade_submissions(paths, lesson=None, timeout: float = 600, memory_gb: float | None = 8.0,
                      fresh_seed: int | None = None, fast: bool = False, progress=None,
                      reference=None) -> list[Grade]:  # fmt: skip
    """Grade every submitted notebook in ``paths``; one failing does not stop the others.

    Parameters
    ----------
    paths : list of str or os.PathLike
        Submitted exercise notebooks. All are read before any runs, so a notebook that deletes
        files cannot remove another submission.
    lesson : str or int, optional
        The lesson they must be (``5``, ``lesson05``); by default each notebook's own metadata.
    timeout : float
        Seconds for the student's cells of one notebook, all together; each grading cell has
        :data:`CHECK_TIMEOUT` (or ``timeout`` if less) more.
    memory_gb : float or None
        Address-space limit of the kernel, where the OS allows; None for none.
    fresh_seed : int, optional
        The seed of the fresh inputs; drawn at random by default.
    fast : bool
        Run the notebooks in fast mode (``CHROMA_LAB_FAST=1``): the checks are the same.
    progress : callable, optional
        Called with one line per submission as it is graded.
    reference : str or os.PathLike, optional
        The trusted exercise notebook to take the checks from, instead of the packaged notebook of
        each submission's lesson (the tests grade a tiny lesson this way).

    Returns
    -------
    list of Grade
    """
    import secrets

    seed = secrets.randbelow(2**31 - 1) + 1 if fresh_seed is None else int(fresh_seed)
    blobs = []
    for path in map(Path, paths):
        try:
            blobs.append((path, path.read_bytes()))
        except OSError as exc:
            blobs.append((path, exc))
    grades = []
    for path, data in blobs:
        try:
            if isinstance(data, OSError):
                raise BadSubmission(f"cannot be read ({data.strerror or data})")
            rows = grade_notebook(data, path.name, lesson=lesson, timeout=timeout, memory_gb=memory_gb,
                                  fresh_seed=seed, fast=fast, reference=reference)  # fmt: skip
        except BadSubmission as exc:
            rows = [Grade(path.stem, path.name, "", "", "", "ERROR", str(exc))]
        grades += rows
        if progress is not None:
            passed = sum(r.result == "PASS" for r in rows)
            progress(f"{path.name}: {rows[0].message}" if rows[0].result == "ERROR"
                     else f"{path.name}: {passed}/{len(rows)} PASS ({rows[0].student}, {rows[0].lesson})")  # fmt: skip
    return grades


def grade_notebook(data: bytes, filename: str, lesson=None, timeout: float = 600, memory_gb: float | None = 8.0,
                   fresh_seed: int = 1, fast: bool = False, reference=None) -> list[Grade]:  # fmt: skip
    """Grade one submission (its bytes); ``reference`` is the trusted exercise notebook (a path),
    by default the packaged one of the submission's lesson. Raises :class:`BadSubmission`."""
    import nbformat

    nb = _read_submission(data)
    stem = _lesson_of(nb, filename, lesson, reference)
    trusted = nbformat.read(reference or _packaged_exercise(stem), as_version=4)
    checks = [(cell.id, call) for cell in trusted.cells
              for call in cell.get("metadata", {}).get("chroma_lab", {}).get("checks", [])]  # fmt: skip
    if not checks:
        raise BadSubmission(f"lesson {stem} has no exercises to grade")
    student = _student_name(nb, filename)
    outcome = _execute(nb, checks, timeout, memory_gb, fresh_seed, fast)
    rows = []
    for cell_id, call in checks:
        result = outcome["results"].get(call)
        exercise = _exercise_of(call)
        if result is None:
            result = {"passed": False, "message": outcome["stopped"] or "the grading cell printed no result",
                      "seconds": 0.0}  # fmt: skip
        message = result["message"]
        if cell_id in outcome["errors"] and not result["passed"]:
            message += f" (its cell raised {outcome['errors'][cell_id]})"
        if outcome["stopped"] and not result["passed"] and outcome["stopped"] not in message:
            message += f" ({outcome['stopped']})"
        rows.append(Grade(student, filename, stem, exercise, call.split("(")[0].split(".")[-1],
                          "PASS" if result["passed"] else "FAIL", message, round(result["seconds"], 2)))  # fmt: skip
    return rows


def summary_table(grades: list[Grade]) -> str:
    """Students x exercises, PASS/FAIL in each cell and a total; then one line per bad file."""
    graded = [g for g in grades if g.result != "ERROR"]
    columns = list(dict.fromkeys(g.exercise for g in graded))
    students = list(dict.fromkeys((g.student, g.file) for g in graded))
    cells = {(g.student, g.file, g.exercise): g.result for g in graded}
    header = ["student", *columns, "total"]
    lines = []
    for student, file in students:
        mine = [g for g in graded if (g.student, g.file) == (student, file)]
        total = f"{sum(g.result == 'PASS' for g in mine)}/{len(mine)}"
        lines.append([student, *(cells.get((student, file, c), "-") for c in columns), total])
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *lines]]
    text += [f"{g.file}: not graded: {g.message}" for g in grades if g.result == "ERROR"]
    return "\n".join(text if graded else text[1:])


def write_grades_csv(path, grades: list[Grade]) -> None:
    """Write the rows as CSV (columns :data:`CSV_COLUMNS`), atomically."""
    import csv

    from chroma_lab._files import write_text_atomic

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(dataclasses.asdict(g) for g in grades)
    write_text_atomic(path, buffer.getvalue())


def _read_submission(data: bytes):
    import nbformat

    if not data.strip():
        raise BadSubmission("empty file")
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any failure to parse means "not a notebook"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BadSubmission(f"not a Jupyter notebook ({first[:120]})") from None
    return nb


def _lesson_of(nb, filename: str, wanted, reference) -> str:
    own = nb.metadata.get("chroma_lab", {}).get("lesson") or ""
    if not own:
        match = re.match(r"lesson\d+_\w+", Path(filename).stem)
        own = match.group(0) if match else ""
    if reference is not None:
        import nbformat

        expected = nbformat.read(reference, as_version=4).metadata.get("chroma_lab", {}).get("lesson", "")
    elif wanted is not None:
        expected = _lesson_stem(wanted)
    else:
        expected = own
    if not expected:
        raise BadSubmission("cannot tell which lesson this notebook is (no chroma_lab metadata, no lessonNN in "
                            "its name); pass --lesson")  # fmt: skip
    if own and own != expected:
        raise BadSubmission(f"this is the notebook of {own}, not of {expected}")
    if reference is None:
        _packaged_exercise(expected)  # raises for a lesson that does not exist
    return expected


def _lesson_stem(wanted) -> str:
    from chroma_lab.lessons import EXERCISES_DIR, lesson_files

    stems = sorted(p.stem for p in (lesson_files() / EXERCISES_DIR).glob("lesson*.ipynb"))
    text = str(wanted).strip()
    key = f"lesson{int(text):02d}" if text.isdigit() else text
    matches = [s for s in stems if s == key or s.startswith(key + "_")]
    if len(matches) != 1:
        raise ChromaLabError(f"--lesson {wanted!r} names no lesson; the lessons are {', '.join(stems)}")
    return matches[0]


def _packaged_exercise(stem: str) -> Path:
    from chroma_lab.lessons import EXERCISES_DIR, lesson_files

    path = lesson_files() / EXERCISES_DIR / f"{stem}.ipynb"
    if not path.is_file():
        raise BadSubmission(f"no lesson named {stem} in this version of chroma_lab")
    return path


def _student_name(nb, filename: str) -> str:
    # a cell whose first line is "Name: Ada Lovelace" (markdown) or "# Student: ..." (code)
    pattern = re.compile(r"^[#*\s]*(?:student|name)\s*[:=]\s*[\"']?([^\"'\n]+?)[\"'*\s]*$", re.IGNORECASE)
    for cell in nb.cells:
        lines = cell.source.strip().splitlines()
        match = pattern.match(lines[0]) if lines else None
        if match and match.group(1).strip():
            return match.group(1).strip()
    return Path(filename).stem


def _exercise_of(call: str) -> str:
    node = ast.parse(call, mode="eval").body
    return ast.unparse(node.args[0]) if node.args else node.func.attr.removeprefix("check_")


def _execute(nb, checks, timeout, memory_gb, fresh_seed, fast) -> dict:
    """Run the student's cells then the grading cells in a fresh kernel in a temporary folder."""
    import os
    import secrets
    import subprocess
    import tempfile

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from chroma_lab.lessons import FAST_ENV, KERNELSPEC

    token = f"@@chroma-lab-grade-{secrets.token_hex(8)}@@"
    student_cells = [c for c in nb.cells if c.cell_type == "code"]
    setup = nbformat.v4.new_code_cell(_setup_source(memory_gb))
    grading = [nbformat.v4.new_code_cell(_grading_source(token, call, fresh_seed)) for _, call in checks]
    outcome = {"errors": {}, "results": {}, "stopped": ""}
    env = dict(os.environ, **{FAST_ENV: "1" if fast else "0", "MPLBACKEND": "Agg"})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="chroma-lab-grade-") as tmp:
        # the copy, never the original, is what runs; a notebook that deletes files starts here
        nbformat.write(nb, Path(tmp) / "submission.ipynb")
        run_nb = nbformat.v4.new_notebook(cells=[setup, *student_cells, *grading], metadata=nb.metadata)
        client = NotebookClient(run_nb, kernel_name=KERNELSPEC["name"], timeout=timeout, allow_errors=True,
                                interrupt_on_timeout=True, resources={"metadata": {"path": tmp}})  # fmt: skip
        try:
            with client.setup_kernel(env=env, stderr=subprocess.DEVNULL, cwd=tmp):
                deadline = time.monotonic() + timeout  # from the started kernel: its start is not the student's
                for index, cell in enumerate(run_nb.cells):
                    is_grading = index > len(student_cells)
                    if not is_grading and outcome["stopped"]:
                        continue
                    left = deadline - time.monotonic()
                    client.timeout = max(1, int(min(CHECK_TIMEOUT, timeout) if is_grading else left))
                    if not is_grading and left <= 0:
                        outcome["stopped"] = f"the notebook ran past the timeout of {timeout:g} s; later cells did not run"
                        continue
                    started = time.monotonic()
                    try:
                        client.execute_cell(cell, index)
                    except CellTimeoutError:
                        pass
                    # nbclient interrupts a cell past its timeout (a KeyboardInterrupt in its outputs)
                    timed_out = time.monotonic() - started >= client.timeout
                    _collect(cell, token, outcome, student_cells[index - 1].get("id") if 0 < index <= len(student_cells)
                             else None)  # fmt: skip
                    if is_grading:
                        call = checks[index - len(student_cells) - 1][1]
                        outcome["results"].setdefault(call, {"passed": False, "seconds": time.monotonic() - started,
                                                             "message": f"the check ran past {client.timeout} s"
                                                             if timed_out else "the grading cell printed no result"})  # fmt: skip
                    elif index and (timed_out or time.monotonic() >= deadline):
                        outcome["stopped"] = f"the notebook ran past the timeout of {timeout:g} s; later cells did not run"
        except DeadKernelError:
            outcome["stopped"] = "the kernel died (a crash, os._exit, or the memory limit)"
        except Exception as exc:  # noqa: BLE001 - a kernel that will not start or answer costs this notebook
            outcome["stopped"] = f"the kernel failed: {type(exc).__name__}: {exc}"
    return outcome


def _collect(cell, token: str, outcome: dict, student_cell_id) -> None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error" and student_cell_id:
            outcome["errors"].setdefault(student_cell_id, f"{out.get('ename')}: {out.get('evalue')}"[:200])
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            for line in out.get("text", "").splitlines():
                if line.startswith(token):
                    with contextlib.suppress(ValueError):
                        result = json.loads(line[len(token):])
                        outcome["results"][result["call"]] = result


def _setup_source(memory_gb) -> str:
    if memory_gb is None:
        return "pass"
    limit = int(memory_gb * 2**30)
    return ("try:\n    import resource as _r\n"
            f"    _r.setrlimit(_r.RLIMIT_AS, ({limit}, {limit}))\n"
            "except (ImportError, ValueError, OSError):\n    pass  # no such limit on this OS\n")  # fmt: skip


def _grading_source(token: str, call: str, fresh_seed: int) -> str:
    return ("import importlib as _grade_il\n"
            "_grade_mod = _grade_il.reload(_grade_il.import_module('chroma_lab.grading'))\n"
            f"_grade_mod.grade_call({token!r}, {call!r}, {int(fresh_seed)}, globals())\n")  # fmt: skip


# ----------------------------------------------------------------------------------------------
# the kernel side: one check, run by the grading cell after the student's cells
# ----------------------------------------------------------------------------------------------


def grade_call(token: str, call: str, fresh_seed: int, namespace: dict) -> None:
    """Run one check call (``checks.check_gray(gray_cie, "cie")``) as the grader: fresh checker,
    visible and fresh seeds, the reference out of reach; print ``token`` + the result as JSON."""
    start = time.perf_counter()
    try:
        passed, message = _grade(call, fresh_seed, namespace)
    except Exception as exc:  # noqa: BLE001 - the grader reports, it never raises
        passed, message = False, f"could not be graded: {type(exc).__name__}: {exc}"
    message = message if len(message) <= 300 else message[:297] + "..."
    result = {"call": call, "passed": passed, "message": message, "seconds": time.perf_counter() - start}
    print(token + json.dumps(result), flush=True)


def _grade(call: str, fresh_seed: int, namespace: dict) -> tuple[bool, str]:
    node = ast.parse(call, mode="eval").body
    checker_name = node.func.attr
    fn_source = ast.unparse(node.args[0])
    try:
        fn = eval(fn_source, namespace)  # the expression comes from the packaged notebook
    except NameError:
        return False, f"{fn_source} is not defined (did its cell run without errors?)"
    args = [_value(a, namespace) for a in node.args[1:]]
    kwargs = {k.arg: _value(k.value, namespace) for k in node.keywords}
    checker = _fresh_checker(node.func.value, checker_name, namespace)
    references = _references(checker_name)
    for label, obj in references.items():
        if obj is None:
            return False, f"{label} was replaced in the notebook, so nothing trustworthy is left to compare with"
    codes = {obj.__code__: label for label, obj in references.items()}
    seeded = "seed" in inspect.signature(checker).parameters
    visible = {"seed": kwargs.pop("seed", VISIBLE_SEED)} if seeded else {}
    ok, line, used = _run_checker(checker, fn, args, dict(kwargs, **visible), codes)
    if used:
        return False, f"{fn_source} calls the library's reference ({', '.join(sorted(used))}): write it yourself"
    if not ok:
        return False, line
    if not seeded:
        return True, line + " (this checker has no fresh inputs)"
    ok_fresh, line_fresh, used = _run_checker(checker, fn, args, dict(kwargs, seed=fresh_seed), codes)
    if used:
        return False, f"{fn_source} calls the library's reference ({', '.join(sorted(used))}): write it yourself"
    if not ok_fresh:
        return False, f"passes on the visible inputs but not on fresh ones: {line_fresh}"
    return True, line


def _value(node, namespace: dict):
    try:
        return ast.literal_eval(node)  # "cie": what the check calls pass today
    except ValueError:
        return eval(ast.unparse(node), namespace)  # a name the lesson defines


def _fresh_checker(alias_node, name: str, namespace: dict):
    """The checker ``name`` as its file defines it: every loaded checker module is reloaded."""
    alias = namespace.get(ast.unparse(alias_node)) if isinstance(alias_node, ast.Name) else None
    module_name = getattr(alias, "__name__", "") if inspect.ismodule(alias) else ""
    if not module_name.startswith("chroma_lab"):
        module_name = "chroma_lab.checks"
    importlib.import_module(module_name)
    order = ["chroma_lab.checks._core"] + sorted(m for m in list(sys.modules) if m.startswith("chroma_lab.checks")
                                                 and m not in ("chroma_lab.checks._core", "chroma_lab.checks"))  # fmt: skip
    for mod in [*order, "chroma_lab.checks", module_name]:
        if mod in sys.modules:
            importlib.reload(sys.modules[mod])
    checker = getattr(sys.modules[module_name], name)
    if not str(Path(inspect.getfile(checker)).resolve()).startswith(str(PACKAGE_DIR)):
        raise RuntimeError(f"{name} does not come from the chroma_lab package")
    return checker


def _references(checker_name: str) -> dict:
    """label -> the reference function, or None where the notebook replaced it."""
    found = {}
    for spec in REFERENCES.get(checker_name, []):
        module_name, qualname = spec.split(":")
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        label = f"{module_name}.{qualname}"
        code = getattr(obj, "__code__", None)
        genuine = code is not None and str(Path(code.co_filename).resolve()).startswith(str(PACKAGE_DIR))
        found[label] = obj if genuine and getattr(obj, "__name__", "") == qualname.split(".")[-1] else None
    return found


def _run_checker(checker, fn, args, kwargs, codes: dict) -> tuple[bool, str, set]:
    used: set = set()
    checks_dir = str(PACKAGE_DIR / "checks")

    def watch(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code in codes:
                used.add(codes[code])
            elif code.co_filename.startswith(checks_dir):
                used.add(f"the checker code {code.co_name}")

    @functools.wraps(fn)
    def guarded(*a, **k):
        previous = sys.getprofile()
        sys.setprofile(watch)
        try:
            return fn(*a, **k)
        finally:
            sys.setprofile(previous)

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ok = checker(guarded if callable(fn) else fn, *args, **kwargs)
    lines = printed.getvalue().strip().splitlines()
    line = lines[-1] if lines else "the checker printed nothing"
    return ok is True, line.removeprefix("PASS: ").removeprefix("FAIL: "), used
