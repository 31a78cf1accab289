"""Fixtures several test files share."""

import os

import pytest


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write in; the test is skipped where the OS lets us write anyway (root)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        yield locked
    finally:
        locked.chmod(0o700)
