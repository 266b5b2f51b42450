"""Workload, config and data files are data, never code: no path in the package can execute or
unpickle what a user's file contains."""

from __future__ import annotations

import ast
from pathlib import Path

import prime_rs

PACKAGE = Path(prime_rs.__file__).parent

# Calls that run or deserialise code: builtins, and module.function pairs.
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("marshal", "load"),
    ("marshal", "loads"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("dill", "load"),
    ("dill", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("shelve", "open"),
}


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_BUILTINS:
                found.append(f"{f.id}() at line {node.lineno}")
            if (
                isinstance(f, ast.Attribute)
                and isinstance(f.value, ast.Name)
                and (f.value.id, f.attr) in FORBIDDEN_ATTRS
            ):
                found.append(f"{f.value.id}.{f.attr}() at line {node.lineno}")
            # numpy's loaders unpickle object arrays only when asked to.
            for kw in node.keywords:
                if (
                    kw.arg == "allow_pickle"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value
                ):
                    found.append(f"allow_pickle=True at line {node.lineno}")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            mod = getattr(node, "module", None) or ""
            if {"pickle", "marshal", "dill", "cloudpickle", "shelve"} & {mod, *names}:
                found.append(f"import of a code-deserialising module at line {node.lineno}")
    return found


def test_the_checker_catches_what_it_looks_for() -> None:
    bad = "import pickle\npickle.loads(b'')\neval('1')\nnp.load('x', allow_pickle=True)\n"
    assert len(offences(bad)) == 4
    assert offences("import json\njson.loads('1')\n") == []


def test_no_module_of_the_package_executes_or_unpickles_data() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    report = {
        str(p.relative_to(PACKAGE)): o for p in files if (o := offences(p.read_text("utf-8")))
    }
    assert report == {}
