"""Writing files so that a crash never leaves a half-written one under the final name.

Everything that a run must not lose (checkpoints, logs, reports, colorized images) is written to a
temporary name in the same folder and moved into place with ``os.replace``, which is atomic on one
file system: a reader sees the old complete file or the new complete file, never a part.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


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
