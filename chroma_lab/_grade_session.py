"""One submission's run for ``chroma-lab grade``: the student's cells in a kernel, the checks here.

:func:`run_submission` starts a kernel in a temporary folder and runs the student's code cells one
by one. After each cell it asks the kernel which exercise functions exist; a function that has
appeared (or been redefined) is graded at once, so a crash or a hang later in the notebook costs
only the exercises after it; when the cells have run, what failed is tried once more. Grading one check means running the lesson's checker **in this
process**, with the student's function replaced by a stand-in (:func:`_remote_function`) that
sends each call's inputs to the kernel and returns what the student's function computed there, as
data (``.npz`` read without pickles, its size checked first; see :mod:`chroma_lab._grade_kernel`).
A reply is the student's to forge: one that cannot be read is that check's FAIL, never the
grader's crash. The checker then compares
those outputs with the library's reference, here, where the student's code cannot reach: no
printed line, patched module or replaced function in the kernel can change a verdict, only
outputs that are right on inputs the checker chose.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import inspect
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
KERNEL_HELPER = PACKAGE_DIR / "_grade_kernel.py"
MAX_REPLY_BYTES = 512 * 2**20  # a reply larger than this is refused unread (a function returning 50 GB)
DIED = "the kernel died (a crash, os._exit, or the memory limit)"


class KernelDied(BaseException):
    """The kernel is gone; a BaseException so that no checker's ``except Exception`` hides it."""


class CheckTimedOut(BaseException):
    """The student's function ran past the check's time."""


class Session:
    """A started kernel: run cells in it and exchange requests and replies with it."""

    def __init__(self, client, exchange: Path):
        self.client, self.exchange, self.count = client, exchange, 0
        self.helper = KERNEL_HELPER.read_text(encoding="utf-8")

    def run_cell(self, source: str, timeout: float) -> tuple[bool, str | None]:
        """Run ``source``; return (finished in time, the error it raised or None)."""
        import nbformat
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells.append(cell)
        self.client.timeout = max(1, int(timeout))
        started = time.monotonic()
        try:
            self.client.execute_cell(cell, len(self.client.nb.cells) - 1)
        except CellTimeoutError:
            pass
        except DeadKernelError:
            raise KernelDied from None
        # nbclient interrupts a cell past its timeout (a KeyboardInterrupt among its outputs)
        in_time = time.monotonic() - started < self.client.timeout
        errors = [f"{o.get('ename')}: {o.get('evalue')}"[:200] for o in cell.outputs if o.get("output_type") == "error"]
        return in_time, (errors[0] if errors else None)

    def request(self, spec: dict, arrays: dict, timeout: float) -> tuple[dict, dict]:
        """Send one request to the kernel helper; its reply and arrays (KernelDied, CheckTimedOut)."""
        self.count += 1
        request, reply = self.exchange / f"request{self.count}.npz", self.exchange / f"reply{self.count}.npz"
        np.savez(request, __spec__=np.array(json.dumps(spec)), **arrays)
        source = ("__chroma_lab_grade__ = {'__name__': 'chroma_lab_grade_helper'}\n"
                  f"exec({self.helper!r}, __chroma_lab_grade__)\n"
                  f"__chroma_lab_grade__['serve'](globals(), {str(request)!r}, {str(reply)!r}, {str(PACKAGE_DIR)!r})\n"
                  "del __chroma_lab_grade__\n")  # fmt: skip
        in_time, error = self.run_cell(source, timeout)
        if not in_time:
            raise CheckTimedOut
        try:
            with zipfile.ZipFile(reply) as archive:  # sizes as stored: a compressed bomb is refused unread
                if sum(info.file_size for info in archive.infolist()) > MAX_REPLY_BYTES:
                    return {"error": ["ValueError", f"returned more than {MAX_REPLY_BYTES >> 20} MB"]}, {}
            with np.load(reply, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            answer = json.loads(str(arrays.pop("__spec__")))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            return {"error": ["RuntimeError", f"the grader got no reply from the kernel ({error or exc})"]}, {}
        finally:
            request.unlink(missing_ok=True)
            reply.unlink(missing_ok=True)
        if not isinstance(answer, dict):
            return {"error": ["RuntimeError", "the kernel's reply could not be read"]}, {}
        return answer, arrays


class _Watch:
    """What the calls of one check have seen: the references reached and those replaced."""

    def __init__(self, session: Session, references: list, deadline: float):
        self.session, self.references, self.deadline = session, references, deadline
        self.used: set = set()
        self.replaced: set = set()

    def call(self, target: dict, args, kwargs):
        arrays: dict = {}
        spec = {"op": "call", "target": target, "args": _encode(list(args), arrays),
                "kwargs": _encode(dict(kwargs), arrays), "references": self.references}  # fmt: skip
        return self._answer(spec, arrays)

    def getattr(self, handle: str, name: str):
        return self._answer({"op": "getattr", "handle": handle, "name": name}, {})

    def _answer(self, spec: dict, arrays: dict):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CheckTimedOut
        reply, out = self.session.request(spec, arrays, left)
        self.used.update(_strings(reply.get("used")))
        self.replaced.update(_strings(reply.get("replaced")))
        if "error" in reply:
            raise _student_error(*(_strings(reply["error"]) + ["Exception", ""])[:2])
        try:
            return _decode(reply["ok"], out, self)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise RuntimeError("the kernel's reply could not be read") from None


def _strings(value) -> list:
    return [str(v)[:200] for v in value] if isinstance(value, list) else []


def _remote_function(watch: _Watch, expression: str):
    def remote(*args, **kwargs):
        return watch.call({"name": expression}, args, kwargs)

    remote.__name__ = expression if expression.isidentifier() else "<lambda>"
    return remote


class _Remote:
    """An object the student's function returned that is not data (a fitted model): it stays in
    the kernel; its attributes and calls are requests. Its class is named like the original, so a
    checker's ``type(model).__name__`` reads as it would in the notebook."""

    def __init__(self, watch: _Watch, handle: str):
        self._watch, self._handle = watch, handle

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._watch.getattr(self._handle, name)

    def __call__(self, *args, **kwargs):
        return self._watch.call({"handle": self._handle}, args, kwargs)


def _student_error(type_name: str, message: str) -> Exception:
    """The error the student's code raised in the kernel, raised again here for the checker: a
    built-in type as itself (``hasattr`` needs a real AttributeError, the checkers a real
    NotImplementedError), any other as a new class of that name."""
    builtin = getattr(builtins, str(type_name), None)
    message = str(message)[:300]
    if isinstance(builtin, type) and issubclass(builtin, Exception) and builtin is not KeyError:
        with contextlib.suppress(TypeError):  # UnicodeDecodeError and the like take other arguments
            return builtin(message)  # (and KeyError would quote the message)
    name = type_name if re.fullmatch(r"[A-Za-z_]\w{0,40}", str(type_name)) else "Exception"
    return type(name, (Exception,), {})(message)


def _encode(value, arrays: dict):
    """The checker's inputs as the JSON + arrays the kernel helper decodes."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, _Remote):
        return {"handle": value._handle}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, (np.ndarray, np.generic)):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"array": key, "scalar": isinstance(value, np.generic)}
    raise TypeError(f"a checker passed {type(value).__name__}, which the grader cannot send as data")


def _decode(value, arrays: dict, watch: _Watch):
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return arrays[value["array"]][()] if value.get("scalar") else arrays[value["array"]]
    if "object" in value:
        name = value["type"] if re.fullmatch(r"[A-Za-z_]\w{0,60}", str(value["type"])) else "object"
        return type(name, (_Remote,), {})(watch, value["object"])
    if "tuple" in value:
        return tuple(_decode(v, arrays, watch) for v in value["tuple"])
    if "list" in value:
        return [_decode(v, arrays, watch) for v in value["list"]]
    return {k: _decode(v, arrays, watch) for k, v in value["dict"].items()}


# ----------------------------------------------------------------------------------------------
# one check
# ----------------------------------------------------------------------------------------------


def grade_check(session: Session, call: str, fresh_seed: int, references: list, time_limit: float):
    """Grade one check call of the trusted notebook: (result, message), result PASS/FAIL/TIMEOUT."""
    from chroma_lab import checks

    node = ast.parse(call, mode="eval").body
    name, expression = node.func.attr, ast.unparse(node.args[0])
    try:
        args = [ast.literal_eval(a) for a in node.args[1:]]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    except ValueError:
        return "FAIL", f"could not be graded: {call} passes more than constants"
    checker = getattr(checks, name) if name.startswith("check_") else None
    if checker is None:
        return "FAIL", f"could not be graded: chroma_lab.checks has no {name}"
    watch = _Watch(session, references, time.monotonic() + time_limit)
    seeded = "seed" in inspect.signature(checker).parameters
    runs = [kwargs.pop("seed", 0), fresh_seed] if seeded else [None]
    lines = []
    for seed in runs:
        try:
            ok, line = _run_checker(checker, _remote_function(watch, expression), args,
                                    dict(kwargs, seed=seed) if seeded else kwargs)  # fmt: skip
        except CheckTimedOut:
            return "TIMEOUT", f"{expression} ran past the {time_limit:g} s a check may take"
        if watch.replaced:
            return "FAIL", (f"{', '.join(sorted(watch.replaced))} was replaced in the notebook; "
                            "leave the library's functions as they are")  # fmt: skip
        if watch.used:
            used = ", ".join(sorted(watch.used))
            return "FAIL", f"{expression} calls the library's reference ({used}): write it yourself"
        if not ok:
            return "FAIL", line if not lines else f"passes on the visible inputs but not on fresh ones: {line}"
        lines.append(line)
    return "PASS", lines[0] if seeded else lines[0] + " (this checker has no fresh inputs)"


def _run_checker(checker, fn, args, kwargs) -> tuple[bool, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ok = checker(fn, *args, **kwargs)
    lines = printed.getvalue().strip().splitlines()
    line = lines[-1] if lines else "the checker printed nothing"
    return ok is True, line.removeprefix("PASS: ").removeprefix("FAIL: ")


# ----------------------------------------------------------------------------------------------
# one submission
# ----------------------------------------------------------------------------------------------


def run_submission(nb, checks: list, timeout: float, memory_gb, fresh_seed: int, fast: bool,
                   references: dict, check_timeout: float, import_keras=None) -> dict:  # fmt: skip
    """Run the student's code cells in a fresh kernel, grading each check once its function exists.

    Returns ``{"results": {call: (result, message, seconds)}, "errors": {cell id: error},
    "ran": {ids of the cells that ran to their end or error}, "stopped": why the notebook did not
    run to its end, or ""}``.
    """
    from nbclient import NotebookClient

    from chroma_lab.lessons import KERNELSPEC

    outcome = {"results": {}, "errors": {}, "ran": set(), "stopped": ""}
    with tempfile.TemporaryDirectory(prefix="chroma-lab-grade-") as folder, \
            tempfile.TemporaryDirectory(prefix="chroma-lab-exchange-") as exchange:  # fmt: skip
        import nbformat

        # the copy, never the original, is what runs; a notebook that deletes files starts here
        nbformat.write(nb, Path(folder) / "submission.ipynb")
        client = NotebookClient(nbformat.v4.new_notebook(metadata=nb.metadata), kernel_name=KERNELSPEC["name"],
                                timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                                resources={"metadata": {"path": folder}})  # fmt: skip
        try:
            with client.setup_kernel(env=_kernel_env(fast), stderr=subprocess.DEVNULL, cwd=folder):
                session = Session(client, Path(exchange))
                session.run_cell(_memory_limit_source(memory_gb), 60)
                grader = _Grader(session, checks, fresh_seed, references, min(check_timeout, timeout), import_keras)
                _run_cells(session, nb, grader, timeout, outcome)
        except KernelDied:
            outcome["stopped"] = DIED
        except Exception as exc:  # noqa: BLE001 - a kernel that will not start or answer costs this notebook
            outcome["stopped"] = f"the kernel failed: {type(exc).__name__}: {exc}"
    return outcome


class _Grader:
    """Grades each check when its function appears or changes (the kernel reports ``id()``s)."""

    def __init__(self, session, checks, fresh_seed, references, check_timeout, import_keras):
        self.session, self.checks, self.fresh_seed = session, checks, fresh_seed
        self.references, self.check_timeout, self.import_keras = references, check_timeout, import_keras
        self.graded: dict = {}  # call -> the function's id when it was graded
        self.results: dict = {}

    def grade_ready(self, last: bool = False) -> float:
        """Grade what is ready; return the seconds it took (not the student's time). ``last``:
        the notebook has run, so a FAIL is tried once more (its function may need a name that a
        later cell defined)."""
        started = time.monotonic()
        names = sorted({ast.unparse(ast.parse(call, mode="eval").body.args[0]) for call in self.checks})
        reply, _ = self.session.request({"op": "state", "names": names}, {}, 60)
        state = reply.get("ok") if isinstance(reply.get("ok"), dict) else {}
        for call in self.checks:
            identity = state.get(ast.unparse(ast.parse(call, mode="eval").body.args[0]))
            again = last and self.results.get(call, ("",))[0] == "FAIL"
            if identity is None or (self.graded.get(call) == identity and not again):
                continue
            self.graded[call] = identity
            check_started = time.monotonic()
            name = call.split("(")[0].split(".")[-1]
            if self.import_keras is not None and "keras" not in sys.modules and _uses_keras(name):
                self.import_keras()  # seconds, paid only by the lessons whose checkers need it
            try:
                result, message = grade_check(self.session, call, self.fresh_seed, self.references.get(name, []),
                                              self.check_timeout)  # fmt: skip
            except KernelDied:
                self.results[call] = ("FAIL", f"{DIED} while this exercise was graded",
                                      time.monotonic() - check_started)  # fmt: skip
                raise
            self.results[call] = (result, message, time.monotonic() - check_started)
        return time.monotonic() - started


@functools.cache
def _uses_keras(checker_name: str) -> bool:
    from chroma_lab import checks

    module = inspect.getmodule(getattr(checks, checker_name, None))
    return module is not None and "keras" in inspect.getsource(module)


def _run_cells(session: Session, nb, grader: _Grader, timeout: float, outcome: dict) -> None:
    """The student's code cells in order, against one deadline that grading time does not use up."""
    outcome["results"] = grader.results
    deadline = time.monotonic() + timeout
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            left = deadline - time.monotonic()
            in_time, error = session.run_cell(cell.source, left) if left > 0 else (False, None)
            if error:
                outcome["errors"].setdefault(cell.get("id"), error)
            if not in_time:
                outcome["stopped"] = f"the notebook ran past the timeout of {timeout:g} s; later cells did not run"
                break
            outcome["ran"].add(cell.get("id"))
            deadline += grader.grade_ready()
        grader.grade_ready(last=True)  # what exists when time ran out counts too
    except KernelDied:
        outcome["stopped"] = DIED


def _kernel_env(fast: bool) -> dict:
    from chroma_lab.lessons import FAST_ENV

    env = dict(os.environ, **{FAST_ENV: "1" if fast else "0", "MPLBACKEND": "Agg"})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")]))
    return env


def _memory_limit_source(memory_gb) -> str:
    if memory_gb is None:
        return "pass"
    limit = int(memory_gb * 2**30)
    return ("try:\n    import resource as _r\n"
            f"    _r.setrlimit(_r.RLIMIT_AS, ({limit}, {limit}))\n"
            "except (ImportError, ValueError, OSError):\n    pass  # no such limit on this OS\n")  # fmt: skip
