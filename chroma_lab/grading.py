"""Grading submitted exercise notebooks: ``chroma-lab grade`` (:mod:`chroma_lab.cli.grade`).

Each submission is read into memory, copied into a temporary folder of its own and executed there
in a fresh kernel, cell by cell, continuing after a cell that raises (that costs the exercise the
cell defines, not the lesson). The checks are those of the packaged exercise notebook (its cell
metadata, written by :func:`chroma_lab.lessons.exercise_cell_metadata`), not the submission's,
and they are **decided in the grader's process, never in the student's kernel**
(:mod:`chroma_lab._grade_session`): the kernel only computes the student's functions on the inputs
the checker sends and returns the outputs as data; the checker, here, compares them with the
library's reference. So nothing the notebook prints, patches or replaces in its kernel can fake a
PASS; what remains is computing the right outputs, on inputs the student has not seen:

* every checker runs twice, on the inputs the student saw (``seed=0``) and on fresh ones (a seed
  drawn per grading run), so an answer hard-coded for the visible inputs fails;
* while the student's function runs, a profile hook in the kernel notes calls into the library's
  reference of that exercise (:data:`REFERENCES`) or into checker code, however reached: a FAIL,
  "calls the library's reference"; a reference replaced in the notebook is a FAIL too. That
  report comes from the kernel, so a student who disables the hook on purpose can hide such a
  call (the README's *Grading* section says what remains possible);
* an exercise is graded as soon as its function exists (again if it is redefined, and a FAIL once
  more when the notebook has run), so a crash or a hang later in the notebook costs only what
  comes after.

The memory limit is ``RLIMIT_AS``, set in the kernel before the student's first cell where the OS
has it (Linux; macOS ignores it; Windows has no ``resource``). The student's code runs as the
instructor, with their files and network: see the README.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
from pathlib import Path

from chroma_lab.errors import ChromaLabError

CHECK_TIMEOUT = 120  # seconds for one check (both runs of its checker)
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
    "check_gradient_loss": ["chroma_lab.losses:coherence_loss", "chroma_lab.losses:ab_gradients",
                            "chroma_lab.losses:gradient_magnitude"],
    "check_color_regularizer": ["chroma_lab.losses:color_regularizer"],
    "check_gradient_rebalancing": ["chroma_lab.losses:gradient_prior", "chroma_lab.losses:gradient_magnitude"],
    "check_render_hints": ["chroma_lab.hints:render_hints"],
    "check_affinity_weights": ["chroma_lab.models.levin2004:affinity_weights"],
    "check_levin_solve": ["chroma_lab.models.levin2004:propagate_hints"],
    "check_guided_input": ["chroma_lab.models.guided2017:network_input"],
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
    result: str  # PASS, FAIL, TIMEOUT (ran out of time), or ERROR for a submission that could not be graded
    message: str
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------------
# run each submission, collect the rows
# ----------------------------------------------------------------------------------------------


def grade_submissions(paths, lesson=None, timeout: float = 600, memory_gb: float | None = 8.0,
                      fresh_seed: int | None = None, fast: bool = False, progress=None,
                      reference=None, jobs: int = 1, import_keras=None) -> list[Grade]:  # fmt: skip
    """Grade every submitted notebook in ``paths``; one failing does not stop the others.

    Parameters
    ----------
    paths : list of str or os.PathLike
        Submitted exercise notebooks. All are read before any runs, so a notebook that deletes
        files cannot remove another submission.
    lesson : str or int, optional
        The lesson they must be (``5``, ``lesson05``); by default each notebook's own metadata.
    timeout : float
        Seconds for the student's cells of one notebook, all together; each check has
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
    jobs : int
        Notebooks graded at once, each in its own process, kernel and folder; the rows come back
        in the order of ``paths`` whatever the order they finish in.
    import_keras : callable, optional
        Imports Keras, before the first checker whose module uses it runs in a grading process
        (the command line's imports it without TensorFlow's start-up notes); a picklable function,
        for ``jobs`` > 1.

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
    options = dict(lesson=lesson, timeout=timeout, memory_gb=memory_gb, fresh_seed=seed, fast=fast,
                   reference=reference, import_keras=import_keras)  # fmt: skip
    rows: list = [_refusal(path, data, lesson, reference) for path, data in blobs]  # bad files: no kernel
    for (path, _), r in zip(blobs, rows):
        if r is not None:
            _report(path, r, progress)
    todo = [i for i, r in enumerate(rows) if r is None]
    if jobs <= 1 or len(todo) <= 1:
        for i in todo:
            rows[i] = grade_notebook(blobs[i][1], blobs[i][0].name, **options)
            _report(blobs[i][0], rows[i], progress)
    else:
        _grade_in_parallel(blobs, todo, rows, options, jobs, progress)
    return [g for r in rows for g in r]


def _refusal(path: Path, data, lesson, reference) -> list[Grade] | None:
    """The one ERROR row of a submission that cannot be graded at all, or None."""
    try:
        if isinstance(data, OSError):
            raise BadSubmission(f"cannot be read ({data.strerror or data})")
        _lesson_of(_read_submission(data), path.name, lesson, reference)
    except BadSubmission as exc:
        return [Grade(path.stem, path.name, "", "", "", "ERROR", str(exc))]
    return None


def _grade_in_parallel(blobs, todo: list, rows: list, options: dict, jobs: int, progress) -> None:
    import concurrent.futures
    import multiprocessing

    # spawn, not fork: the parent may hold threads (nbclient's) that a fork would copy half-way
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
        futures = {pool.submit(grade_notebook, blobs[i][1], blobs[i][0].name, **options): i for i in todo}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            rows[i] = future.result()
            _report(blobs[i][0], rows[i], progress)


def _report(path: Path, rows: list[Grade], progress) -> list[Grade]:
    if progress is not None:
        passed = sum(r.result == "PASS" for r in rows)
        late = sum(r.result == "TIMEOUT" for r in rows)
        progress(f"{path.name}: {rows[0].message}" if rows[0].result == "ERROR"
                 else f"{path.name}: {passed}/{len(rows)} PASS ({rows[0].student}, {rows[0].lesson})"
                 + (f", {late} ran out of time" if late else ""))  # fmt: skip
    return rows


def grade_notebook(data: bytes, filename: str, lesson=None, timeout: float = 600, memory_gb: float | None = 8.0,
                   fresh_seed: int = 1, fast: bool = False, reference=None, import_keras=None) -> list[Grade]:  # fmt: skip
    """Grade one submission (its bytes); ``reference`` is the trusted exercise notebook (a path),
    by default the packaged one of the submission's lesson; ``import_keras`` as in
    :func:`grade_submissions`. Raises :class:`BadSubmission`."""
    import nbformat

    from chroma_lab._grade_session import run_submission

    nb = _read_submission(data)
    stem = _lesson_of(nb, filename, lesson, reference)
    trusted = nbformat.read(reference or _packaged_exercise(stem), as_version=4)
    checks = [(cell.id, call) for cell in trusted.cells
              for call in cell.get("metadata", {}).get("chroma_lab", {}).get("checks", [])]  # fmt: skip
    if not checks:
        raise BadSubmission(f"lesson {stem} has no exercises to grade")
    student = _student_name(nb, filename)
    outcome = run_submission(nb, [call for _, call in checks], timeout, memory_gb, fresh_seed, fast,
                             REFERENCES, CHECK_TIMEOUT, import_keras)  # fmt: skip
    rows = []
    for cell_id, call in checks:
        exercise = _exercise_of(call)
        result, message, seconds = outcome["results"].get(call) or _not_graded(
            exercise, "" if cell_id in outcome["ran"] else outcome["stopped"])
        if cell_id in outcome["errors"] and result != "PASS":
            message += f" (its cell raised {outcome['errors'][cell_id]})"
        rows.append(Grade(student, filename, stem, exercise, call.split("(")[0].split(".")[-1], result, message,
                          round(seconds, 2)))  # fmt: skip
    return rows


def _not_graded(exercise: str, stopped: str) -> tuple[str, str, float]:
    if "timeout" in stopped:
        return "TIMEOUT", f"not graded: {stopped}, {exercise} among them; raise --timeout", 0.0
    if stopped:
        return "FAIL", f"{stopped} before {exercise} was defined", 0.0
    return "FAIL", f"{exercise} is not defined (did its cell run without errors?)", 0.0


def summary_table(grades: list[Grade]) -> str:
    """Students x exercises, PASS/FAIL/TIMEOUT in each cell and a total; then one line per bad file."""
    graded = [g for g in grades if g.result != "ERROR"]
    columns, students = _exercises_and_students(graded)
    header = ["student", *columns, "total"]
    lines = []
    for (student, file), mine in students.items():
        cells = {}
        for g in mine:  # an exercise with two checks shows its worst
            cells[g.exercise] = g.result if cells.get(g.exercise, "PASS") == "PASS" else cells[g.exercise]
        total = f"{sum(g.result == 'PASS' for g in mine)}/{len(mine)}"
        lines.append([student, *(cells.get(c, "-") for c in columns), total])
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *lines]]
    late = [g for g in graded if g.result == "TIMEOUT"]
    if late:
        text.append(f"TIMEOUT: {len(late)} check(s) ran out of time and count as failed; "
                    "grade again with a longer --timeout (or --fast)")  # fmt: skip
    text += [f"{g.file}: not graded: {g.message}" for g in grades if g.result == "ERROR"]
    return "\n".join(text if graded else text[1:])


def write_grades_csv(path, grades: list[Grade]) -> None:
    """Write the rows as CSV (columns :data:`CSV_COLUMNS`), atomically."""
    _write_csv(path, CSV_COLUMNS, [dataclasses.asdict(g) for g in grades])


def write_gradebook(path, grades: list[Grade]) -> None:
    """One row per submission, as gradebooks import it: ``name``, ``file``, a column per exercise
    (1 when every check of it passed, else 0) and ``total``; a file that could not be graded has
    empty exercise and total cells (not graded is not zero). Written atomically."""
    columns, students = _exercises_and_students(grades)
    rows = []
    for (student, file), mine in students.items():
        row = {"name": student, "file": file}
        if all(g.result != "ERROR" for g in mine):
            for exercise in dict.fromkeys(g.exercise for g in mine):
                row[exercise] = int(all(g.result == "PASS" for g in mine if g.exercise == exercise))
            row["total"] = sum(row[e] for e in columns if e in row)
        rows.append(row)
    _write_csv(path, ["name", "file", *columns, "total"], rows)


def _exercises_and_students(grades: list[Grade]):
    columns = list(dict.fromkeys(g.exercise for g in grades if g.result != "ERROR"))
    students: dict = {}
    for g in grades:
        students.setdefault((g.student, g.file), []).append(g)
    return columns, students


def _write_csv(path, columns: list, rows: list) -> None:
    import csv

    from chroma_lab._files import write_text_atomic

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
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
    own = _own_lesson(nb)
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


def _own_lesson(nb) -> str:
    """The lesson the notebook's metadata names, "" for none; BadSubmission unless it is a known
    lesson id (the metadata is the student's: never a path to open)."""
    meta = nb.metadata.get("chroma_lab")
    if meta is None:
        return ""
    if not isinstance(meta, dict):
        raise BadSubmission(f"its metadata 'chroma_lab' is a {type(meta).__name__}, not the table the exercise "
                            "notebooks carry; start again from the handed-out notebook, or remove it and pass --lesson")
    own = meta.get("lesson") or ""
    if not isinstance(own, str) or not re.fullmatch(r"lesson\d+_\w+", own):
        raise BadSubmission(f"its metadata names the lesson {str(own)[:60]!r}, which is no lesson id "
                            "(lessonNN_name); remove it and pass --lesson")  # fmt: skip
    return own


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

    folder = lesson_files() / EXERCISES_DIR
    path = folder / f"{stem}.ipynb"
    if stem not in {p.stem for p in folder.glob("lesson*.ipynb")}:
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
