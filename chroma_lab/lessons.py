"""The lesson machinery: notebooks built from their jupytext sources, exercise versions, runs.

Each lesson is a plain-text source ``lessons/lessonNN_*.py`` in jupytext percent format (``# %%``
code cells, ``# %% [markdown]`` cells); it is the truth. From it :func:`build_lessons` generates

* the teaching notebook ``lessons/notebooks/<name>.ipynb``: narrative, code and solutions;
* the student notebook ``lessons/exercises/<name>.ipynb``: every block between the nbgrader-style
  markers ``### BEGIN SOLUTION`` and ``### END SOLUTION`` replaced by
  ``raise NotImplementedError(...)`` at the block's indentation (:func:`exercise_source`).

Both are written without outputs or execution counts, with a fixed kernelspec, fixed cell ids and
sorted-key JSON, so building twice gives byte-identical files and ``--check`` can tell a stale
notebook from a fresh one.

Lessons call :func:`fast_mode` in a parameter cell near the top (``FAST = fast_mode()``): with the
environment variable ``CHROMA_LAB_FAST=1`` they shrink their data and epochs, which is how the tests
execute every notebook (``pytest --durations`` shows how long each takes).

:func:`run_notebook` executes a notebook in a fresh kernel and returns its run time and printed
lines; the tests, the timings in the lessons' README and the ``chroma-lab lessons`` command
(:mod:`chroma_lab.cli.lessons`) use it.

``import chroma_lab.lessons`` stays light (the notebooks import it first thing): jupytext,
nbformat and nbclient are imported inside the functions that need them.
"""

from __future__ import annotations

import os
from pathlib import Path

from chroma_lab.errors import ChromaLabError

FAST_ENV = "CHROMA_LAB_FAST"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
EXERCISE_MESSAGE = "Exercise: replace this line with your solution, then run the check below"
SOURCE_GLOB = "lesson[0-9]*.py"
NOTEBOOKS_DIR = "notebooks"
EXERCISES_DIR = "exercises"
PACKAGED_DIR = "lesson_files"  # inside the installed package: copies of lessons/notebooks, exercises

# The same kernelspec in every notebook, whatever machine built it: a notebook differs from the
# committed one only when its source changed.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

_EXERCISE_BANNER = (
    "**Exercise version.** Each exercise cell raises `NotImplementedError` where the solution "
    "goes: replace that line with your code and run the check cell below it, which prints "
    "`PASS: ...` or `FAIL: ... Hint: ...`. Until then the checks print `FAIL: ... not implemented "
    "yet`, and the rest of the notebook still runs: the narrative uses the library's functions, "
    "not yours."
)


# The first cell of every exercise notebook: `chroma-lab grade` reads the name from its first line
# (chroma_lab.grading._student_name); left empty, the grade table shows the file name instead.
NAME_CELL = (
    "Name: \n\n"
    "*Write your name after `Name:` on the line above (double-click this cell to edit it), e.g. "
    "`Name: Ada Lovelace`: the grader puts it in the grade table.*"
)


def fast_mode() -> bool:
    """True when the environment variable ``CHROMA_LAB_FAST`` is ``1``.

    Lessons read it once in their parameter cell (``FAST = fast_mode()``) and shrink data sets and
    training epochs accordingly; the tests set it to execute every notebook quickly.
    """
    return os.environ.get(FAST_ENV, "").strip() == "1"


def exercise_source(text: str) -> str:
    """Turn a solution source into the student's version.

    Every block between a line ``### BEGIN SOLUTION`` and a line ``### END SOLUTION`` (markers
    included) becomes one line ``raise NotImplementedError("Exercise: ...")`` indented like the
    BEGIN marker; everything else (function signature, docstring, check calls) is kept.

    Parameters
    ----------
    text : str
        A lesson source, a cell, or any Python text.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A marker without its partner (unclosed, nested or stray END), naming the line.
    """
    out, inside, begin_line = [], False, 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if inside:
                raise ChromaLabError(f"line {number}: '{BEGIN_SOLUTION}' inside the solution block "
                                     f"opened on line {begin_line}; close it with '{END_SOLUTION}' first")
            inside, begin_line = True, number
            indent = line[: len(line) - len(line.lstrip())]
            newline = "\n" if line.endswith("\n") else ""
            out.append(f'{indent}raise NotImplementedError("{EXERCISE_MESSAGE}"){newline}')
        elif stripped.startswith(END_SOLUTION):
            if not inside:
                raise ChromaLabError(f"line {number}: '{END_SOLUTION}' without a '{BEGIN_SOLUTION}' above it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ChromaLabError(f"line {begin_line}: '{BEGIN_SOLUTION}' is never closed by '{END_SOLUTION}'")
    return "".join(out)


def count_exercises(text: str) -> int:
    """Number of solution blocks (``### BEGIN SOLUTION`` lines) in a lesson source."""
    return sum(line.strip().startswith(BEGIN_SOLUTION) for line in text.splitlines())


def exercise_cell_metadata(source: str) -> dict:
    """The metadata of one code cell of an exercise notebook, read by ``chroma-lab grade``.

    * ``{"chroma_lab": {"exercise": [...]}}``: the functions the cell defines that hold an
      exercise (a ``raise NotImplementedError("Exercise: ...")`` line);
    * ``{"chroma_lab": {"checks": [...]}}``: the source of each checker call of the cell
      (``checks.check_gray(gray_cie, "cie")``), top-level statements only;
    * nbgrader's metadata, for courses that use nbgrader: a cell with an exercise is a solution
      cell (``grade_id`` its first function), a cell with only checks is read-only. The checks
      print ``FAIL`` rather than raise, so nbgrader's autograder would count every one as passed:
      grade with ``chroma-lab grade``, which runs them itself.

    Any other cell gets ``{}``.
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
             and EXERCISE_MESSAGE in (ast.get_source_segment(source, node) or "")]  # fmt: skip
    calls = [node.value for node in tree.body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and isinstance(node.value.func, ast.Attribute) and node.value.func.attr.startswith("check_")]  # fmt: skip
    ours = {}
    if names:
        ours["exercise"] = names
    if calls:
        ours["checks"] = [ast.get_source_segment(source, call) for call in calls]
    if not ours:
        return {}
    if names:
        nbgrader = {"grade": False, "grade_id": names[0], "locked": False, "solution": True}
    else:
        first = calls[0].args[0] if calls[0].args else calls[0].func
        nbgrader = {"grade": False, "grade_id": "check-" + ast.unparse(first), "locked": True, "solution": False}
    return {"chroma_lab": ours, "nbgrader": dict(nbgrader, schema_version=3)}


def lesson_sources(src="lessons") -> list[Path]:
    """The lesson sources ``lessonNN_*.py`` in ``src``, sorted by name."""
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"No lessons folder at '{src}'; pass --src with the folder holding lessonNN_*.py")
    sources = sorted(src.glob(SOURCE_GLOB))
    if not sources:
        raise FileNotFoundError(f"No lesson sources matching '{SOURCE_GLOB}' in '{src}'")
    return sources


def notebook_json(text: str, exercise: bool = False, lesson: str = "") -> str:
    """The notebook generated from a lesson source, as the exact JSON text that is committed.

    Parameters
    ----------
    text : str
        The jupytext percent-format source.
    exercise : bool
        Build the student version: solutions removed, a first cell asking for the student's name
        (:data:`NAME_CELL`), a short banner after the title, and the cell metadata
        :func:`exercise_cell_metadata` that ``chroma-lab grade`` reads.
    lesson : str
        The lesson's name (``lesson01_color_spaces``), recorded (when given) in an exercise
        notebook's metadata so that the grader can tell one lesson's notebook from another's.

    Returns
    -------
    str
        nbformat 4.5 JSON, no outputs, no execution counts, sorted keys, ending in a newline.
    """
    import jupytext
    import nbformat

    if exercise:
        text = exercise_source(text)
    nb = jupytext.reads(text, fmt="py:percent")
    if exercise:
        nb.cells.insert(_banner_position(nb.cells), nbformat.v4.new_markdown_cell(_EXERCISE_BANNER))
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(NAME_CELL))
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    if exercise and lesson:
        nb.metadata["chroma_lab"] = {"lesson": lesson}
    for i, cell in enumerate(nb.cells):
        # jupytext draws random cell ids; numbered ids keep rebuilt notebooks byte-identical
        cell.id = f"cell-{i:03d}"
        tags = cell.get("metadata", {}).get("tags")
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if exercise:
                cell.metadata.update(nbformat.from_dict(exercise_cell_metadata(cell.source)))
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def build_lessons(src="lessons", check: bool = False, out=None) -> list[Path]:
    """Generate the teaching and exercise notebooks of every lesson source in ``src``.

    Parameters
    ----------
    src : str or os.PathLike
        Folder of ``lessonNN_*.py`` sources.
    check : bool
        Write nothing; only report which notebooks are missing, differ from their source, or have
        no source any more.
    out : str or os.PathLike, optional
        Where to put ``notebooks/`` and ``exercises/``; ``src`` by default.

    Returns
    -------
    list of Path
        The notebooks that changed (written, or with ``check=True`` stale), sorted. Orphans
        (notebooks whose source is gone) are deleted, or listed with ``check=True``.
    """
    sources = lesson_sources(src)
    out = Path(src if out is None else out)
    changed, expected = [], set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for folder, exercise in ((NOTEBOOKS_DIR, False), (EXERCISES_DIR, True)):
            target = out / folder / f"{source.stem}.ipynb"
            expected.add(target)
            try:
                wanted = notebook_json(text, exercise, lesson=source.stem)
            except ValueError as exc:
                raise ChromaLabError(f"{source}: {exc}") from exc
            if target.is_file() and target.read_text(encoding="utf-8") == wanted:
                continue
            changed.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(wanted, encoding="utf-8", newline="\n")
    for folder in (NOTEBOOKS_DIR, EXERCISES_DIR):
        for orphan in sorted((out / folder).glob("lesson*.ipynb")):
            if orphan not in expected:
                changed.append(orphan)
                if not check:
                    orphan.unlink()
    return sorted(changed)


def lesson_files() -> Path:
    """The folder holding ``notebooks/`` and ``exercises/``: the copies inside the installed
    package (``chroma_lab/lesson_files``, written into the wheel by ``setup.py``), or in a clone
    of the repository the ``lessons/`` folder beside the package."""
    here = Path(__file__).resolve().parent
    for folder in (here / PACKAGED_DIR, here.parent / "lessons"):
        if (folder / EXERCISES_DIR).is_dir():
            return folder
    raise FileNotFoundError(f"This installation of chroma_lab has no lesson notebooks (looked in "
                            f"'{here / PACKAGED_DIR}' and '{here.parent / 'lessons'}'); reinstall it from a wheel")


def copy_lessons(dest, exercises: bool = False, force: bool = False) -> list[Path]:
    """Copy the teaching (or with ``exercises`` the exercise) notebooks into ``dest`` for a student,
    with a README.md written for that folder; returns the files written, sorted.

    The README (``chroma_lab/resources/lessons_folder_*.md``) says how to open, run and check the
    notebooks there, with no word of the repository; the exercises' README does not point at the
    teaching notebooks, so an instructor can hand out exercises without their solutions.

    Raises
    ------
    FileExistsError
        A file of that name is already in ``dest`` (nothing is written); ``force`` overwrites.
    """
    import shutil

    files = sorted((lesson_files() / (EXERCISES_DIR if exercises else NOTEBOOKS_DIR)).glob("lesson*.ipynb"))
    dest = Path(dest)
    targets = [dest / f.name for f in files] + [dest / "README.md"]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise FileExistsError(f"'{existing[0]}' exists already ({len(existing)} of the {len(targets)} files "
                              f"would be overwritten); choose another folder or pass --force")  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    for f, t in zip(files, targets):
        shutil.copyfile(f, t)
    kind = "exercises" if exercises else "teaching"
    template = Path(__file__).resolve().parent / "resources" / f"lessons_folder_{kind}.md"
    listing = "\n".join(f"- `{f.name}`" for f in files)
    targets[-1].write_text(template.read_text(encoding="utf-8").replace("{notebooks}", listing), encoding="utf-8")
    return sorted(targets)


def lesson_notebooks(src=None, exercises: bool = False) -> list[Path]:
    """The notebooks ``chroma-lab lessons run`` runs, one per lesson, sorted: those of the sources
    in ``src`` (or in ``./lessons``, a clone), built or not, else those the installed package
    carries (after a wheel install there is no ``lessons/`` folder)."""
    kind = EXERCISES_DIR if exercises else NOTEBOOKS_DIR
    if src is None and not any(Path("lessons").glob(SOURCE_GLOB)):
        return sorted((lesson_files() / kind).glob("lesson*.ipynb"))
    return [Path(src or "lessons") / kind / f"{source.stem}.ipynb" for source in lesson_sources(src or "lessons")]


def run_notebook(path, fast: bool = False, timeout: int = 600, cwd=None) -> tuple[float, list[str]]:
    """Execute a notebook top to bottom in a fresh ``python3`` kernel (nbclient).

    The kernel sees ``CHROMA_LAB_FAST=1`` when ``fast`` (``0`` otherwise) and imports this same
    ``chroma_lab``, installed or not. Nothing is written back to the notebook.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.ipynb`` file.
    fast : bool
        Fast mode (:func:`fast_mode`): smaller data and fewer epochs.
    timeout : int
        Seconds allowed per cell.
    cwd : str or os.PathLike, optional
        The kernel's working folder; the notebook's folder by default.

    Returns
    -------
    seconds : float
        Wall-clock time of the execution, kernel start included.
    stdout : list of str
        The lines the cells printed, in order (``PASS: ...`` / ``FAIL: ...`` among them).

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        A cell raised; the message names the cell and the exception.
    """
    import subprocess
    import time

    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No notebook at '{path}'; build it with 'chroma-lab lessons build'")
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, **{FAST_ENV: "1" if fast else "0"})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes go to the kernel's stderr
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    client = NotebookClient(nb, kernel_name=KERNELSPEC["name"], timeout=timeout,
                            resources={"metadata": {"path": str(cwd or path.parent)}})  # fmt: skip
    start = time.perf_counter()
    # the kernel process's own log lines (ipykernel's transport notice) would interleave with the
    # caller's output; what the cells write to stderr still lands in the notebook
    client.execute(env=env, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    lines = [line for cell in nb.cells for out in cell.get("outputs", [])
             if out.get("output_type") == "stream" and out.get("name") == "stdout"
             for line in out.get("text", "").splitlines()]  # fmt: skip
    return seconds, lines


def _banner_position(cells) -> int:
    # after the title cell, so the notebook still opens with the lesson's name
    return 1 if cells and cells[0].cell_type == "markdown" else 0
