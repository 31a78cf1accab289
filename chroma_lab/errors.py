"""The package's error types: what a user can fix, as opposed to a bug.

:class:`ChromaLabError` (a ``ValueError``) is raised for anything the caller gave that the package
cannot use: a bad argument, an image file that does not decode, a folder that holds no model, a
data folder or settings file that is not what it claims. :class:`ChromaLabTypeError` is the same
for an argument of the wrong type (it is also a ``TypeError``). The command line turns these, and
``OSError`` about the user's files, into one line; any other exception (a plain ``ValueError``
from NumPy inside the library, a ``KeyError``...) is a bug and keeps its traceback, so that it is
reported rather than blamed on the user's input.

This module imports nothing of the package, so every module can use it.
"""

from __future__ import annotations


class ChromaLabError(ValueError):
    """Something the user gave that the package cannot use; the message says what and why."""


class ChromaLabTypeError(ChromaLabError, TypeError):
    """An argument of the wrong type (a :class:`ChromaLabError` that is also a ``TypeError``)."""
