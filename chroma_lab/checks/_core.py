"""The checker machinery: one printed PASS/FAIL line, tolerant comparisons, "not tried yet".

A lesson's checker (``lesson01.py`` ...) writes an ``attempt()`` that returns the PASS message or
raises :class:`Mismatch`, and hands it to :func:`run`, which prints exactly one line and returns
True or False; nothing a student writes makes a checker raise.

* A function that still raises ``NotImplementedError`` (the exercise is untouched) gets
  ``FAIL: not implemented yet (name): ...`` and **no hint**: Run All on an unsolved notebook must
  not show the answers before the student has tried.
* A wrong answer gets ``FAIL: name: what went wrong. Hint: ...``; the hint names the concept or
  the mistake, never the solution's code.
* Numbers are compared as ``np.allclose`` does, |got - want| <= atol + rtol |want|, with defaults
  (:data:`RTOL`, :data:`ATOL`) that a float32 answer meets; a checker whose answer takes a log
  widens atol by what an epsilon of :data:`LOG_EPS` inside the log changes (:func:`log_eps_slack`).
  When the rounded values print alike, the FAIL line shows the largest difference and the dtypes.

To add the checkers of a new lesson, write ``lessonNN.py`` with functions ``check_*`` built on
:func:`run`, :func:`expect_close` and :func:`expect_indices`, and re-export them from
``chroma_lab/checks/__init__.py``.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-4  # relative: float32 carries about 7 digits, so 1e-4 leaves room for its sums
ATOL = 1e-5  # absolute, in the quantity's own units
LOG_EPS = 1e-6  # an epsilon up to this inside a log (log(p + eps)) is an accepted habit


class Mismatch(Exception):
    """The student's answer is wrong; carries what went wrong and a hint for that mistake."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def name_of(fn, default: str) -> str:
    """The name the student gave ``fn`` (``my_extract_patches``), or ``default`` for a lambda."""
    name = getattr(fn, "__name__", "")
    return name if name.isidentifier() else default


def report(passed: bool, message: str, hint: str | None = None) -> bool:
    """Print one ``PASS: ...`` or ``FAIL: ... Hint: ...`` line; return ``passed``."""
    if not passed and hint:
        message = message.rstrip(". ") + ". Hint: " + hint
    print(f"PASS: {message}" if passed else f"FAIL: {message}", flush=True)
    return passed


def run(name: str, attempt, hint: str) -> bool:
    """Run ``attempt()`` (returns the PASS message) and turn every outcome into one printed line.

    Parameters
    ----------
    name : str
        The student's function name, as the FAIL line shows it.
    attempt : callable
        Returns the PASS message or raises :class:`Mismatch`; any other exception is the
        student's function failing and is reported, not raised.
    hint : str
        The checker's general hint, for a FAIL without a more specific one (never for an
        untouched exercise).
    """
    try:
        message = attempt()
    except NotImplementedError:
        return report(False, f"not implemented yet ({name}): replace the `raise NotImplementedError` "
                             "line with your code, run that cell, then this one")  # fmt: skip
    except Mismatch as exc:
        return report(False, f"{name}: {exc.message}", exc.hint or hint)
    except Exception as exc:  # noqa: BLE001 - a checker reports, it never raises
        return report(False, f"{name} raised {type(exc).__name__}: {describe_exception(exc)}", hint)
    return report(True, message)


def describe_exception(exc: BaseException, limit: int = 160) -> str:
    """The message of ``exc`` as a FAIL line can show it: one line, at most ``limit`` characters,
    and a missing bytes key (a table looked up by ``array.tobytes()``) said in words, not as
    thousands of escaped bytes."""
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], (bytes, bytearray)):
        return f"a key of {len(exc.args[0])} bytes is not in the dictionary (a table of the inputs it was built for?)"
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_array(value, what: str) -> np.ndarray:
    """``value`` as a float64 array, or :class:`Mismatch` saying what came back instead."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise Mismatch(f"{what} returned {type(value).__name__}, which is not a numeric array ({exc})") from None


def expect_close(got, want, what: str, inputs=None, rtol: float = RTOL, atol: float = ATOL,
                 hint: str | None = None) -> None:  # fmt: skip
    """Raise :class:`Mismatch` unless ``got`` has ``want``'s shape and values within tolerance.

    The message names the worst element (and the input row it came from, if ``inputs`` is given);
    when the rounded values print alike it adds the largest difference and both dtypes.
    """
    got_dtype = getattr(got, "dtype", type(got).__name__)
    got, want = as_array(got, what), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise Mismatch(f"{what} returned shape {got.shape}, expected {want.shape}", hint)
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} returned NaN or infinite values", hint)
    excess = np.abs(got - want) - (atol + rtol * np.abs(want))
    if np.all(excess <= 0):
        return
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(excess), excess.shape))
    row = worst[:-1] if got.ndim > 1 else worst
    at = f" for input {np.round(np.asarray(inputs)[row], 4).tolist()}" if inputs is not None else ""
    if got.ndim > 1 and got.shape[-1] > 4:  # a long row (313 bins): show the worst entry only
        at, row = f"{at} at index {list(worst)}", worst
    shown_got, shown_want = np.round(got[row], 4).tolist(), np.round(want[row], 4).tolist()
    message = f"{what}{at} gave {shown_got}, expected {shown_want}"
    if shown_got == shown_want:
        message += (f" (they print alike but differ by up to {np.abs(got - want).max():.3g}, more than "
                    f"{atol:g} + {rtol:g} x |expected|; you returned {got_dtype}, the reference float64)")
    raise Mismatch(message, hint)


def expect_indices(got, want, what: str, hint: str) -> None:
    """Raise :class:`Mismatch` unless ``got`` is an integer array equal to ``want``."""
    got = np.asarray(got)
    if got.shape != want.shape:
        raise Mismatch(f"{what} returned shape {got.shape}, expected {want.shape}", hint)
    if got.dtype.kind not in "iu":
        raise Mismatch(f"{what} returned dtype {got.dtype}, expected integer class indices",
                       "class indices are positions, whole numbers; do not divide or scale them.")  # fmt: skip
    wrong = np.argwhere(got != want)
    if len(wrong):
        first = tuple(int(i) for i in wrong[0])
        raise Mismatch(f"{what}: {len(wrong)} of {want.size} indices differ, e.g. at {list(first)} "
                       f"got {got[first]}, expected {want[first]}", hint)  # fmt: skip


def log_eps_slack(reference, eps: float = LOG_EPS) -> float:
    """How much an epsilon ``eps`` inside the logs changes a result: the atol to add for it.

    ``reference(eps)`` computes the answer with ``log(p + eps)``; the slack is twice the largest
    change against ``eps = 0``, so every epsilon from 0 to ``eps`` passes.
    """
    return 2.0 * float(np.abs(np.asarray(reference(eps)) - np.asarray(reference(0.0))).max())


def nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """NumPy re-derivation of nearest-centre encoding (the first centre wins a tie)."""
    flat = points.reshape(-1, points.shape[-1])
    d2 = ((flat[:, None, :] - centres[None]) ** 2).sum(-1)
    return d2.argmin(1).reshape(points.shape[:-1])


def random_rgb(rng, n: int) -> np.ndarray:
    """n random float colours in 0..1 after black, white, the primaries and a dark gray."""
    special = [[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.02, 0.02, 0.02]]
    return np.concatenate([np.array(special, dtype=np.float64), rng.uniform(0, 1, (n, 3))])
