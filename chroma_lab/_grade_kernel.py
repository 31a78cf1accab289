"""The grader's helper inside a student's kernel: compute, never judge.

``chroma-lab grade`` (:mod:`chroma_lab.grading`) does not import this module in the kernel (the
student's code could have replaced it there); it sends this file's text with every request, and
the request cell runs it in a fresh namespace. One request, one reply, both ``.npz`` files in the
kernel's folder read with ``allow_pickle=False``: a JSON description (``__spec__``) and the arrays
it names. Requests:

* ``state``: which of the given names are functions now, as ``id()`` numbers, so the grader
  knows when an exercise's function appears or is redefined;
* ``call``: call a name of the notebook (or an object kept from an earlier reply) on the inputs
  the grader sent, and reply with the outputs as data; an output that is not data (a fitted
  model) stays here and is named by a handle, on which the grader may ``getattr`` and call again;
* ``getattr``: an attribute of a kept object.

While the student's function runs, a profile hook notes every call into the library functions the
exercise is compared with, and into checker code; the reply lists them. The reply is only a
report: everything here can be forged by the student's code, which is why the grader trusts no
verdict from it, only outputs that it then compares with its own reference, on inputs it chose.
"""

import json
import sys

import numpy as np

HANDLES = "__chroma_lab_grade_handles__"  # the kernel's global holding the kept objects


def serve(namespace: dict, request_path: str, reply_path: str, package_dir: str) -> None:
    """Answer the request in ``request_path``; write the reply to ``reply_path``."""
    with np.load(request_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    spec = json.loads(str(arrays.pop("__spec__")))
    handles = namespace.setdefault(HANDLES, {})
    out_arrays: dict = {}
    reply = {"used": [], "replaced": []}
    try:
        if spec["op"] == "state":
            reply["ok"] = {name: _identity(name, namespace) for name in spec["names"]}
        elif spec["op"] == "getattr":
            reply["ok"] = _encode(getattr(handles[spec["handle"]], spec["name"]), out_arrays, handles)
        else:
            target = (handles[spec["target"]["handle"]] if "handle" in spec["target"]
                      else eval(spec["target"]["name"], namespace))  # an expression of the trusted notebook
            args = _decode(spec["args"], arrays, handles)
            kwargs = _decode(spec["kwargs"], arrays, handles)
            codes, reply["replaced"] = _references(spec["references"], package_dir)
            value = _watched(target, args, kwargs, codes, package_dir + "/checks", reply["used"])
            reply["ok"] = _encode(value, out_arrays, handles)
    except BaseException as exc:  # noqa: BLE001 - the student's error is the reply, not the helper's
        if isinstance(exc, KeyboardInterrupt):
            raise
        from chroma_lab.checks._core import describe_exception

        reply = dict(reply, error=[type(exc).__name__, describe_exception(exc)])
        reply.pop("ok", None)
    np.savez(reply_path, __spec__=np.array(json.dumps(reply)), **out_arrays)


def _identity(name: str, namespace: dict):
    """``id()`` of the function ``name`` names now; None when there is none (not yet defined, or
    the name reused for data later in the notebook, which leaves the exercise's grade as it was)."""
    try:
        value = eval(name, namespace)
    except Exception:  # noqa: BLE001 - not defined (yet)
        return None
    return id(value) if callable(value) else None


def _references(specs, package_dir: str):
    """code object -> label of each genuine reference; the labels of those the notebook replaced."""
    import importlib

    codes, replaced = {}, []
    for spec in specs:
        module_name, qualname = spec.split(":")
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        label = f"{module_name}.{qualname}"
        code = getattr(obj, "__code__", None)
        if code is None or not code.co_filename.startswith(package_dir) or obj.__name__ != qualname.split(".")[-1]:
            replaced.append(label)
        else:
            codes[code] = label
    return codes, replaced


def _watched(fn, args, kwargs, codes: dict, checks_dir: str, used: list):
    def watch(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code in codes:
                used.append(codes[code])
            elif code.co_filename.startswith(checks_dir):
                used.append(f"the checker code {code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        return fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)


def _encode(value, arrays: dict, handles: dict):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_encode(v, arrays, handles) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: _encode(v, arrays, handles) for k, v in value.items()}}
    array = _as_array(value)
    if array is not None:
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"array": key, "scalar": np.ndim(value) == 0 and not isinstance(value, np.ndarray)}
    key = f"h{len(handles)}"
    handles[key] = value
    return {"object": key, "type": type(value).__name__}


def _as_array(value):
    """NumPy data for an array-like (a NumPy array or scalar, a Keras/TensorFlow tensor), else None."""
    if callable(getattr(value, "numpy", None)):
        try:
            value = value.numpy()
        except Exception:  # noqa: BLE001 - not a tensor after all
            return None
    if not isinstance(value, (np.ndarray, np.generic)) and not hasattr(value, "__array__"):
        return None
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001
        return None
    return None if array.dtype.kind in "OV" else array


def _decode(value, arrays: dict, handles: dict):
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return arrays[value["array"]][()] if value.get("scalar") else arrays[value["array"]]
    if "handle" in value:
        return handles[value["handle"]]
    if "tuple" in value:
        return tuple(_decode(v, arrays, handles) for v in value["tuple"])
    if "list" in value:
        return [_decode(v, arrays, handles) for v in value["list"]]
    return {k: _decode(v, arrays, handles) for k, v in value["dict"].items()}

