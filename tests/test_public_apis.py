"""chroma_lab uses only public names of the libraries it builds on (Keras, scikit-learn, ...).

A private name (``obj._x``, ``keras.src``) is not part of a library's API and may change in any
minor release. The check: every ``_name`` that chroma_lab's code reads as an attribute of
something must be a name chroma_lab itself defines (a function, class, method, attribute or module
of its own); a name it only reads belongs to another library.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chroma_lab"


def _trees():
    return {path: ast.parse(path.read_text(), filename=str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined(trees) -> set:
    """Every private name chroma_lab defines: modules, functions, classes, assigned names."""
    names = {path.stem for path in trees} | {path.parent.name for path in trees}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)  # self._x = ...
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[-1])
    return {name for name in names if _private(name)}


def _foreign_uses(trees, defined):
    for path, tree in trees.items():
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in defined:
                yield f"{where}: .{node.attr}"
            elif isinstance(node, ast.Attribute) and _is_keras_src(node):
                yield f"{where}: .src"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for module in modules:
                    parts = module.split(".")
                    if parts[0] != "chroma_lab" and (parts[:2] == ["keras", "src"] or any(map(_private, parts))):
                        yield f"{where}: import {module}"


def _is_keras_src(node: ast.Attribute) -> bool:
    """``keras.src``: Keras' implementation package, whose layout is not its API."""
    return node.attr == "src" and isinstance(node.value, ast.Name) and node.value.id == "keras"


def test_no_private_name_of_another_library():
    trees = _trees()
    assert list(_foreign_uses(trees, _defined(trees))) == []


@pytest.mark.parametrize("source, found", [
    ("model._symbolic_build(data_batch=x)", ["._symbolic_build"]),
    ("keras.src.backend.compute_output_spec(f)", [".src"]),
    ("from keras.src.layers import Dense", ["import keras.src.layers"]),
    ("import sklearn.utils._param_validation", ["import sklearn.utils._param_validation"]),
    ("class A:\n    def _own(self):\n        return self._own()", []),
])  # fmt: skip
def test_the_check_finds_private_names(source, found):
    path = PACKAGE / "example.py"  # a name inside the package, so the report's paths are relative
    tree = ast.parse(source)
    uses = [use.split(": ", 1)[1] for use in _foreign_uses({path: tree}, _defined({path: tree}))]
    assert uses == found
