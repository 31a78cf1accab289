"""Writing files so that a crash never leaves a half-written one under the final name.

Everything that a run must not lose (checkpoints, logs, reports, colorized images) is written to a
temporary name in the same folder and moved into place with ``os.replace``, which is atomic on one
file system: a reader sees the old complete file or the new complete file, never a part.
:func:`folder_lock` keeps two runs out of one folder; :func:`resolve_path` reports a symlink loop
as the ``OSError`` it is.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path

from chroma_lab.errors import ChromaLabError

try:
    import fcntl
except ImportError:  # Windows: msvcrt locks byte ranges of files, not folders; no lock there
    fcntl = None


class FolderInUseError(ChromaLabError):
    """Another process holds the folder's lock (:func:`folder_lock`)."""


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it goes.

    The temporary name keeps the suffix (Keras and Pillow choose the format from it) and starts
    with a dot, so a folder listing of finished files does not show it.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_json_atomic(path, payload) -> None:
    """Write ``payload`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(payload, indent=1))


def remove_stale_temporaries(folder) -> list:
    """Delete the temporaries a killed run left in ``folder`` (from :func:`atomic_path`)."""
    removed = []
    for stale in Path(folder).glob(".*.tmp*"):
        if stale.is_file():
            stale.unlink()
            removed.append(stale)
    return removed


@contextlib.contextmanager
def folder_lock(folder, user: str = "another run"):
    """Hold an exclusive lock on the existing ``folder`` while the block runs.

    ``flock`` on the folder itself: no lock file to leave behind, and the operating system drops
    the lock when its holder exits, killed or not, so a crashed run never leaves a stale lock.
    Raises :class:`FolderInUseError` (naming ``user``) at once if another process holds it. On
    Windows (no ``fcntl``; ``msvcrt`` cannot lock a folder) the block runs without a lock.
    """
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderInUseError(f"'{folder}' is in use by {user}; wait until it ends or choose "
                                   "another folder") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def resolve_path(path) -> Path:
    """``Path(path).expanduser().resolve()``; a symlink loop raises ``OSError`` (ELOOP), not the
    ``RuntimeError`` of Python before 3.13, so it reads as a problem with the user's path."""
    try:
        return Path(path).expanduser().resolve()
    except RuntimeError as exc:
        raise OSError(errno.ELOOP, "a symbolic link loop", str(path)) from exc
