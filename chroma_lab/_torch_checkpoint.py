"""Read a PyTorch state dict (a ``.pth`` file written by ``torch.save``) with NumPy only.

A state dict of plain tensors is a pickle of an ``OrderedDict`` whose values are rebuilt by
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``; the storages' bytes live
outside the pickle, reached through "persistent ids":

* the zip format (``torch.save`` since PyTorch 1.6): ``<root>/data.pkl`` holds the pickle and
  ``<root>/data/<key>`` the raw bytes of each storage (``<root>/byteorder`` says their order);
* the legacy format (``_use_new_zipfile_serialization=False``): five pickles in a row (magic
  number, protocol version, system info, the state dict, the list of storage keys), then each
  storage as an int64 element count followed by its bytes, in the order of that list.

Unpickling runs whatever callables the file names, so :class:`_StateDictUnpickler` resolves only
the few names a state dict needs, to harmless stand-ins of ours, and refuses any other with a
``ChromaLabError`` before anything of the file's choosing runs. PyTorch itself is never imported.

Nothing is allocated on the file's word. The pickle only records each tensor's layout (storage,
offset, size, stride); every layout is checked against its storage's element count (no element
past the end, no more elements than the storage holds: a stride-0 view of one float as 30000 x
30000 is refused), the names and shapes against the ``expected`` table, and each storage's size
against the zip directory's or the file's byte counts and a byte budget (the expected table's
size, or :data:`MAX_BYTES`), all before one storage byte is read. A file larger than the budget is
refused from its size alone. The peak memory of the crafted files (``benchmarks/README.md``) comes
from ``tests/_crafted_pth.py``.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from chroma_lab.errors import ChromaLabError

# torch's storage classes -> NumPy dtype (bfloat16 is read as its 16 bits and widened).
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}  # fmt: skip
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
# The byte budget of a file read without an expected table (the released ECCV16 file is 129 MB).
MAX_BYTES = 1 << 30
# Beside the expected tensors: float64 storages (twice float32), the pickle, the zip directory.
_SLACK_BYTES = 1 << 20


def read_state_dict(path, expected: dict | None = None, optional: tuple = ()) -> dict:
    """The tensors of a PyTorch state dict file, as NumPy arrays, without PyTorch.

    Parameters
    ----------
    path : str or Path
        A ``.pth`` / ``.pt`` file written by ``torch.save(module.state_dict(), path)``, in the
        zip format or the legacy one.
    expected : dict of str -> tuple, optional
        The tensors the caller needs, name -> shape. Given, a tensor of another name (unless it
        ends with one of ``optional`` and holds at most one element) or shape is refused before
        anything is read, and the byte budget is what these tensors can take in float64.
    optional : tuple of str
        Name suffixes of tensors that may be present beside ``expected`` (BatchNorm's
        ``.num_batches_tracked``).

    Returns
    -------
    dict of str -> ndarray
        In the file's order; each array is a C-contiguous copy (strided views are resolved) in
        the tensor's dtype (bfloat16 becomes float32).

    Raises
    ------
    ChromaLabError
        The file is neither format, names a Python object a state dict does not need (the
        message names it), holds something other than a flat mapping of tensors, a tensor whose
        layout does not fit its storage or the expected table, or more bytes than the budget.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at '{path}'")
    budget = MAX_BYTES if expected is None else _SLACK_BYTES + 8 * sum(_numel(s) for s in expected.values())
    if path.stat().st_size > budget:
        raise ChromaLabError(f"'{path}' has {path.stat().st_size:,} bytes, more than the {budget:,} "
                             "its tensors can take; it is not the state dict expected")
    try:
        reader = _ZipReader(path, budget) if zipfile.is_zipfile(path) else _LegacyReader(path, budget)
    except ChromaLabError as exc:
        if f"'{path}'" in str(exc):
            raise
        raise ChromaLabError(f"'{path}': {exc}") from exc
    with reader:
        state = reader.state
        if not isinstance(state, dict):
            raise ChromaLabError(f"'{path}' holds a {type(state).__name__}, not a state dict")
        bad = [key for key, value in state.items() if not isinstance(value, _PendingTensor)]
        if bad:
            raise ChromaLabError(f"'{path}' is not a state dict of tensors: {bad[0]!r} is a "
                                 f"{type(state[bad[0]]).__name__}")  # fmt: skip
        if expected is not None:
            _check_expected(path, state, expected, optional)
        storages = reader.storages({value.storage.key for value in state.values()})
        return {key: value.build(storages[value.storage.key]) for key, value in state.items()}


def _numel(shape) -> int:
    return math.prod(int(n) for n in shape)


def _check_expected(path: Path, state: dict, expected: dict, optional: tuple) -> None:
    missing = [key for key in expected if key not in state]
    if missing:
        raise ChromaLabError(f"'{path}' lacks {len(missing)} tensor(s) of the expected layout, "
                             f"first {missing[0]!r}")  # fmt: skip
    for key, tensor in state.items():
        if key in expected:
            if tensor.size != tuple(expected[key]):
                raise ChromaLabError(f"'{path}': {key} has shape {tensor.size}, the expected layout "
                                     f"needs {tuple(expected[key])}")  # fmt: skip
        elif not (key.endswith(optional) and _numel(tensor.size) <= 1):
            raise ChromaLabError(f"'{path}' holds a tensor {key!r} of shape {tensor.size} that the "
                                 "expected layout does not use")  # fmt: skip


# ----------------------------------------------------------------------------------------------
# The restricted unpickler: layouts only, no bytes
# ----------------------------------------------------------------------------------------------
class _StorageType:
    """Stands for ``torch.FloatStorage`` etc.: only its dtype matters."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    @property
    def itemsize(self) -> int:
        return 2 if self.dtype == "bfloat16" else np.dtype(self.dtype).itemsize


class _Pending:
    """A storage named by the pickle; its bytes are read once every tensor's layout is checked."""

    def __init__(self, key: str, storage_type: _StorageType, numel: int):
        self.key, self.type, self.numel = key, storage_type, numel

    @property
    def nbytes(self) -> int:
        return self.numel * self.type.itemsize


class _PendingTensor:
    """A tensor's checked layout over a pending storage; :meth:`build` copies its elements."""

    def __init__(self, storage: _Pending, offset, size, stride):
        if not isinstance(storage, _Pending):
            raise ChromaLabError("a tensor refers to something that is not a storage")
        try:
            offset, size, stride = int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride)
        except (TypeError, ValueError):
            raise ChromaLabError("a tensor's offset, size and stride must be integers") from None
        if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size + stride):
            raise ChromaLabError(f"a tensor has an invalid layout (size {size}, stride {stride})")
        numel = _numel(size)
        if numel:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            # more elements than the storage holds could only come from overlapping (stride-0)
            # views, which torch.save never writes for a state dict: refused before any copy
            if last >= storage.numel or numel > storage.numel:
                raise ChromaLabError(f"a tensor of size {size} (stride {stride}, offset {offset}) "
                                     f"does not fit its storage of {storage.numel} elements")  # fmt: skip
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def build(self, storage: np.ndarray) -> np.ndarray:
        """``torch._utils._rebuild_tensor_v2`` in NumPy: the strided view, copied."""
        if 0 in self.size:
            return np.zeros(self.size, storage.dtype)
        view = np.lib.stride_tricks.as_strided(storage[self.offset :], shape=self.size,
                                               strides=[s * storage.itemsize for s in self.stride])  # fmt: skip
        return np.array(view, order="C")  # a copy; ascontiguousarray would make 0-d arrays 1-d


def _rebuild_tensor(storage, offset, size, stride, *unused):
    """``torch._utils._rebuild_tensor_v2``: the layout, checked; the values come later.

    The unused arguments (requires_grad, backward hooks, metadata) do not change the values.
    """
    return _PendingTensor(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
    """``torch._utils._rebuild_parameter``: a Parameter is its data here."""
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Resolves only what a state dict of plain tensors names; a storage is a :class:`_Pending`."""

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}  # key -> _Pending

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise ChromaLabError(f"refusing to load {module}.{name}: a state dict of tensors only needs "
                             f"OrderedDict, torch._utils._rebuild_tensor_v2 and torch storage types")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):  # fmt: skip
            raise ChromaLabError(f"refusing an unknown persistent id {str(pid)[:60]!r}")
        storage_type, key = pid[1], str(pid[2])
        if len(pid) > 5 and pid[5] is not None:  # legacy storage views (PyTorch < 0.4)
            raise ChromaLabError("storage views of the oldest PyTorch format are not supported")
        try:
            numel = int(pid[4])
        except (TypeError, ValueError):
            raise ChromaLabError(f"storage {key} has no element count") from None
        if numel < 0:
            raise ChromaLabError(f"storage {key} has {numel} elements")
        if key not in self.storages:
            self.storages[key] = _Pending(key, storage_type, numel)
        elif (self.storages[key].type.name, self.storages[key].numel) != (storage_type.name, numel):
            raise ChromaLabError(f"storage {key} is declared twice, differently")
        return self.storages[key]


def _to_array(raw: bytes, storage: _Pending, big_endian: bool) -> np.ndarray:
    if len(raw) != storage.nbytes:
        raise ChromaLabError(f"a {storage.type.name} of {storage.numel} elements has {len(raw)} bytes")
    order = ">" if big_endian else "<"
    if storage.type.dtype == "bfloat16":  # the high 16 bits of a float32
        bits = np.frombuffer(raw, f"{order}u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    dtype = np.dtype(storage.type.dtype).newbyteorder(order)
    return np.frombuffer(raw, dtype).astype(np.dtype(storage.type.dtype).newbyteorder("="))


# ----------------------------------------------------------------------------------------------
# The two container formats
# ----------------------------------------------------------------------------------------------
class _ZipReader:
    """``torch.save``'s zip format: ``<root>/data.pkl`` and one record per storage."""

    def __init__(self, path: Path, budget: int):
        self.path, self.budget = path, budget
        self.archive = zipfile.ZipFile(path)
        infos = {info.filename: info for info in self.archive.infolist()}
        pickles = [n for n in infos if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise ChromaLabError(f"'{path}' is a zip file but not a PyTorch checkpoint (no data.pkl)")
        self.root, self.infos = pickles[0][: -len("data.pkl")], infos
        # the zip directory's sizes, before anything is inflated: a zip bomb stops here
        total = sum(info.file_size for info in infos.values())
        if total > budget:
            raise ChromaLabError(f"'{path}' unpacks to {total:,} bytes, more than the {budget:,} its "
                                 "tensors can take; it is not the state dict expected")  # fmt: skip
        self.big_endian = (f"{self.root}byteorder" in infos
                           and self.archive.read(f"{self.root}byteorder").strip() == b"big")  # fmt: skip
        unpickler = _StateDictUnpickler(io.BytesIO(self.archive.read(pickles[0])))
        self.state, self.pending = unpickler.load(), unpickler.storages

    def storages(self, keys) -> dict:
        records = {}
        for key in keys:
            storage, name = self.pending[key], f"{self.root}data/{key}"
            if name not in self.infos:
                raise ChromaLabError(f"'{self.path}' lacks the storage record {name}")
            if self.infos[name].file_size != storage.nbytes:
                raise ChromaLabError(f"'{self.path}': the record {name} has {self.infos[name].file_size:,} "
                                     f"bytes, its {storage.type.name} of {storage.numel} elements "
                                     f"{storage.nbytes:,}")  # fmt: skip
        for key in keys:
            records[key] = _to_array(self.archive.read(f"{self.root}data/{key}"), self.pending[key],
                                     self.big_endian)  # fmt: skip
        return records

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.archive.close()


class _LegacyReader:
    """``_use_new_zipfile_serialization=False``: five pickles, then each storage's count and bytes."""

    def __init__(self, path: Path, budget: int):
        self.path, self.budget = path, budget
        self.file = open(path, "rb")
        try:
            self._read_pickles()
        except BaseException:
            self.file.close()
            raise

    def _read_pickles(self):
        path = self.path
        try:
            header = _StateDictUnpickler(self.file)
            magic, protocol, sys_info = header.load(), header.load(), header.load()
        except ChromaLabError:
            raise
        except Exception as exc:  # not a pickle at all: say so in one line
            raise ChromaLabError(f"'{path}' is not a PyTorch checkpoint (zip or legacy)") from exc
        if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL or not isinstance(sys_info, dict):
            raise ChromaLabError(f"'{path}' is not a PyTorch checkpoint (no legacy magic number)")
        self.big_endian = not sys_info.get("little_endian", True)
        unpickler = _StateDictUnpickler(self.file)
        self.state, self.pending = unpickler.load(), unpickler.storages
        self.keys = _StateDictUnpickler(self.file).load()
        if not isinstance(self.keys, list) or set(map(str, self.keys)) != set(self.pending):
            raise ChromaLabError(f"'{path}' has a storage key list that does not match its tensors")
        # every storage's bytes must be in the file, before one of them is read
        left = self.path.stat().st_size - self.file.tell()
        needed = sum(8 + self.pending[str(key)].nbytes for key in self.keys)
        if needed > left:
            raise ChromaLabError(f"'{path}' declares {needed:,} bytes of storages but holds {max(left, 0):,}; "
                                 "it is truncated or not a PyTorch checkpoint")  # fmt: skip

    def storages(self, keys) -> dict:
        records = {}
        for key in map(str, self.keys):  # in the file's order
            storage = self.pending[key]
            (count,) = struct.unpack(">q" if self.big_endian else "<q", self.file.read(8))
            if count != storage.numel:
                raise ChromaLabError(f"'{self.path}': storage {key} has {count} elements, expected {storage.numel}")
            records[key] = _to_array(self.file.read(storage.nbytes), storage, self.big_endian)
        return records

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()
