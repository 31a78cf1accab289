"""Argument checks shared by every module: one wording for every bad argument.

Each raises :class:`~chroma_lab.errors.ChromaLabError` (a ``ValueError``), or
:class:`~chroma_lab.errors.ChromaLabTypeError` (also a ``TypeError``) for a wrong type, naming the
argument, what it got and what it accepts, and returns the value so a call can sit inside an
assignment.
"""

from __future__ import annotations

import numbers

from chroma_lab.errors import ChromaLabError, ChromaLabTypeError


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer (not a bool) with ``low <= value <= high``; returns it as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ChromaLabTypeError(f"{name} must be an int{_range(low, high)}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ChromaLabError(f"{name} must be an int{_range(low, high)}, got {value!r}")
    return int(value)


def check_number(value, name: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:  # fmt: skip
    """A real number (not a bool, not NaN) inside the given bounds; returns it as a float.

    ``low_open`` / ``high_open`` make a bound strict (``> low`` rather than ``>= low``).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ChromaLabTypeError(f"{name} must be a number{_bounds(low, high, low_open, high_open)}, "
                                 f"got {value!r}")
    ok = value == value  # not NaN
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ChromaLabError(f"{name} must be a number{_bounds(low, high, low_open, high_open)}, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> object:
    """One of ``choices``; the error lists them."""
    if isinstance(value, bool) or value not in tuple(choices):
        raise ChromaLabError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_bool(value, name: str) -> bool:
    """True or False (not 0, 1 or a string, which ``if value`` would silently accept)."""
    if not isinstance(value, bool):
        raise ChromaLabTypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_fitted(estimator, attribute: str = "is_fitted_") -> None:
    """Raise a RuntimeError that says what to do when ``estimator`` has not been fitted.

    Fitted means ``attribute`` is set (to anything but None or False: a palette array counts).
    """
    value = getattr(estimator, attribute, None)
    if value is None or value is False:
        raise RuntimeError(f"this {type(estimator).__name__} is not fitted yet: call fit(images) first")


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _bounds(low, high, low_open: bool, high_open: bool) -> str:
    lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
    bounds = " and ".join(b for b in (lo, hi) if b)
    return " " + bounds if bounds else ""
