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
``ValueError`` before anything of the file's choosing runs. PyTorch itself is never imported.
"""

from __future__ import annotations

import collections
import io
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


def read_state_dict(path) -> dict:
    """The tensors of a PyTorch state dict file, as NumPy arrays, without PyTorch.

    Parameters
    ----------
    path : str or Path
        A ``.pth`` / ``.pt`` file written by ``torch.save(module.state_dict(), path)``, in the
        zip format or the legacy one.

    Returns
    -------
    dict of str -> ndarray
        In the file's order; each array is a C-contiguous copy (strided views are resolved) in
        the tensor's dtype (bfloat16 becomes float32).

    Raises
    ------
    ValueError
        The file is neither format, names a Python object a state dict does not need (the
        message names it), or holds something other than a flat mapping of tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at '{path}'")
    if zipfile.is_zipfile(path):
        state = _read_zip(path)
    else:
        state = _read_legacy(path)
    if not isinstance(state, dict):
        raise ChromaLabError(f"'{path}' holds a {type(state).__name__}, not a state dict")
    bad = [key for key, value in state.items() if not isinstance(value, np.ndarray)]
    if bad:
        raise ChromaLabError(f"'{path}' is not a state dict of tensors: {bad[0]!r} is a "
                             f"{type(state[bad[0]]).__name__}")  # fmt: skip
    return dict(state)


# ----------------------------------------------------------------------------------------------
# The restricted unpickler
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
    """A legacy-format storage whose bytes follow the pickle: tensors on it are rebuilt later."""

    def __init__(self, key):
        self.key = key


class _PendingTensor:
    def __init__(self, key, offset, size, stride):
        self.key, self.args = key, (offset, size, stride)


def _rebuild_tensor(storage, offset, size, stride, *unused):
    """``torch._utils._rebuild_tensor_v2`` in NumPy: a strided view of the storage, copied.

    The unused arguments (requires_grad, backward hooks, metadata) do not change the values.
    """
    if isinstance(storage, _Pending):
        return _PendingTensor(storage.key, offset, size, stride)
    if not isinstance(storage, np.ndarray):
        raise ChromaLabError("a tensor refers to something that is not a storage")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size + stride):
        raise ChromaLabError(f"a tensor has an invalid layout (size {size}, stride {stride})")
    if 0 in size:
        return np.zeros(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise ChromaLabError(f"a tensor of size {size} reads past the end of its storage "
                             f"({storage.size} elements)")  # fmt: skip
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                           strides=[s * storage.itemsize for s in stride])
    return np.array(view, order="C")  # a copy; ascontiguousarray would make 0-d arrays 1-d


def _rebuild_parameter(data, *unused):
    """``torch._utils._rebuild_parameter``: a Parameter is its data here."""
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Resolves only what a state dict of plain tensors names; storages come from ``load``.

    ``load(key, storage_type, numel)`` returns the storage's elements as a 1-D array.
    """

    def __init__(self, file, load_storage):
        super().__init__(file)
        self._load_storage = load_storage
        self._storages = {}

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
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
        if len(pid) > 5 and pid[5] is not None:  # legacy storage views (PyTorch < 0.4)
            raise ChromaLabError("storage views of the oldest PyTorch format are not supported")
        if key not in self._storages:
            self._storages[key] = self._load_storage(key, storage_type, numel)
        return self._storages[key]


def _to_array(raw: bytes, storage_type: _StorageType, numel: int, big_endian: bool) -> np.ndarray:
    if len(raw) != numel * storage_type.itemsize:
        raise ChromaLabError(f"a {storage_type.name} of {numel} elements has {len(raw)} bytes")
    order = ">" if big_endian else "<"
    if storage_type.dtype == "bfloat16":  # the high 16 bits of a float32
        bits = np.frombuffer(raw, f"{order}u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    dtype = np.dtype(storage_type.dtype).newbyteorder(order)
    return np.frombuffer(raw, dtype).astype(np.dtype(storage_type.dtype).newbyteorder("="))


# ----------------------------------------------------------------------------------------------
# The two container formats
# ----------------------------------------------------------------------------------------------
def _read_zip(path: Path):
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise ChromaLabError(f"'{path}' is a zip file but not a PyTorch checkpoint (no data.pkl)")
        root = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        big_endian = (f"{root}byteorder" in names
                      and archive.read(f"{root}byteorder").strip() == b"big")  # fmt: skip

        def load(key, storage_type, numel):
            name = f"{root}data/{key}"
            if name not in names:
                raise ChromaLabError(f"'{path}' lacks the storage record {name}")
            return _to_array(archive.read(name), storage_type, numel, big_endian)

        return _StateDictUnpickler(io.BytesIO(archive.read(pickles[0])), load).load()


def _read_legacy(path: Path):
    with open(path, "rb") as file:
        try:
            header = _StateDictUnpickler(file, None)
            magic, protocol, sys_info = header.load(), header.load(), header.load()
        except ValueError:
            raise
        except Exception as exc:  # not a pickle at all: say so in one line
            raise ChromaLabError(f"'{path}' is not a PyTorch checkpoint (zip or legacy)") from exc
        if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL or not isinstance(sys_info, dict):
            raise ChromaLabError(f"'{path}' is not a PyTorch checkpoint (no legacy magic number)")
        big_endian = not sys_info.get("little_endian", True)
        wanted = {}  # key -> (storage type, numel); the bytes come after the key list

        def later(key, storage_type, numel):
            wanted[key] = (storage_type, numel)
            return _Pending(key)

        state = _StateDictUnpickler(file, later).load()
        keys = _StateDictUnpickler(file, None).load()
        if not isinstance(keys, list) or set(keys) != set(wanted):
            raise ChromaLabError(f"'{path}' has a storage key list that does not match its tensors")
        storages = {}
        for key in keys:
            storage_type, numel = wanted[key]
            (count,) = struct.unpack(">q" if big_endian else "<q", file.read(8))
            if count != numel:
                raise ChromaLabError(f"'{path}': storage {key} has {count} elements, expected {numel}")
            storages[key] = _to_array(file.read(numel * storage_type.itemsize), storage_type,
                                      numel, big_endian)  # fmt: skip
    if not isinstance(state, dict):
        return state
    out = collections.OrderedDict()
    for name, value in state.items():
        if isinstance(value, _PendingTensor):
            value = _rebuild_tensor(storages[value.key], *value.args)
        out[name] = value
    return out
