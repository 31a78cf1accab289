"""Crafted PyTorch state-dict files for the import-weights memory tests (and the benchmark that
measures their peak memory): tiny files that declare enormous tensors.

Written without PyTorch: stand-in ``torch`` modules are put in ``sys.modules`` only while the
pickle is written, so the pickle names ``torch._utils._rebuild_tensor_v2`` and
``torch.FloatStorage`` as ``torch.save`` does.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

LEGACY_MAGIC, LEGACY_PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


class FloatStorage:
    pass


def _rebuild_tensor_v2(*args):
    raise AssertionError("only pickled, never called")


@contextlib.contextmanager
def _fake_torch():
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    FloatStorage.__module__, _rebuild_tensor_v2.__module__ = "torch", "torch._utils"
    torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _Tensor:
    def __init__(self, numel, size, stride, offset=0):
        self.numel, self.size, self.stride, self.offset = numel, size, stride, offset

    def __reduce__(self):
        return (_rebuild_tensor_v2, (_Storage(self.numel), self.offset, self.size, self.stride, False, OrderedDict()))


class _Storage:
    def __init__(self, numel):
        self.numel = numel


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", FloatStorage, "0", "cpu", obj.numel)
        return None


def _pickle(tensors: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    with _fake_torch():
        _Pickler(buffer, protocol=2).dump(OrderedDict((k, _Tensor(*v)) for k, v in tensors.items()))
    return buffer.getvalue()


def write_zip(path, size, stride, numel=1, stored_bytes=None, offset=0, key="model1.0.weight"):
    """A zip-format .pth whose one tensor ``key`` is ``size``/``stride`` over a float storage of
    ``numel`` elements; the storage record holds ``stored_bytes`` zero bytes (default: numel * 4),
    deflated, written a megabyte at a time (a zip bomb when it is large)."""
    data = _pickle({key: (numel, tuple(size), tuple(stride), offset)})
    stored = numel * 4 if stored_bytes is None else stored_bytes
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("crafted/data.pkl", data)
        with archive.open("crafted/data/0", "w", force_zip64=True) as record:
            chunk = bytes(1 << 20)
            for start in range(0, stored, len(chunk)):
                record.write(chunk[: min(len(chunk), stored - start)])


def write_legacy(path, size, stride, numel, key="model1.0.weight"):
    """A legacy-format .pth declaring a float storage of ``numel`` elements that holds 4 bytes."""
    header = b"".join(pickle.dumps(x, protocol=2) for x in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}))
    body = _pickle({key: (numel, tuple(size), tuple(stride), 0)}) + pickle.dumps(["0"], protocol=2)
    with open(path, "wb") as handle:
        handle.write(header + body + struct.pack("<q", numel) + bytes(4))


if __name__ == "__main__":  # python tests/_crafted_pth.py FOLDER: the files benchmarks/README measures
    from pathlib import Path

    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    write_zip(folder / "stride0_30000.pth", (30000, 30000), (0, 0))
    write_zip(folder / "stride0_60000.pth", (60000, 60000), (0, 0))
    write_zip(folder / "zip_bomb.pth", (250_000_000,), (1,), numel=250_000_000)
    write_legacy(folder / "legacy_huge.pth", (10**11,), (1,), numel=10**11)
    for file in sorted(folder.glob("*.pth")):
        print(f"{file.name}: {file.stat().st_size:,} bytes")
