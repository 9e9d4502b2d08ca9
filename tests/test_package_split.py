"""Library and course stay apart: rnnviz never imports rnncourse, and rnncourse uses
only rnnviz's public API (no ``rnnviz._private`` module, no private name)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """Every import in ``path`` as (absolute module, imported names, line)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((base, [a.name for a in node.names], node.lineno))
    return found


def _private_parts(module: str, names: list[str]) -> list[str]:
    """The private pieces of an import of rnnviz: a ``_module`` on the path or a ``_name`` imported."""
    parts = [p for p in module.split(".") if p.startswith("_") and p != "__future__"]
    return parts + [n for n in names if n.startswith("_")]


LIBRARY = sorted((ROOT / "rnnviz").rglob("*.py"))
COURSE = sorted((ROOT / "rnncourse").rglob("*.py"))


def test_both_packages_exist():
    assert len(LIBRARY) > 10 and len(COURSE) > 10, (len(LIBRARY), len(COURSE))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_the_course(path):
    bad = [(m, line) for m, _, line in _imports(path) if m.split(".")[0] == "rnncourse"]
    assert not bad, f"{path.relative_to(ROOT)} imports the course package: {bad}"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_course_uses_only_public_rnnviz(path):
    bad = [(m, names, line) for m, names, line in _imports(path)
           if m.split(".")[0] == "rnnviz" and _private_parts(m, names)]
    assert not bad, f"{path.relative_to(ROOT)} reaches into rnnviz's private parts: {bad}"


def test_the_rule_checker_sees_a_private_import(tmp_path):
    # the checks above must be able to fail: a private import is found, a public one is not
    assert _private_parts("rnnviz._data.store", ["path_of"]) == ["_data"]
    assert _private_parts("rnnviz.models", ["_check"]) == ["_check"]
    assert _private_parts("rnnviz.models", ["make_rnn", "validate"]) == []


def test_importing_rnnviz_does_not_load_the_course():
    code = ("import sys, rnnviz, rnnviz.capture, rnnviz.gradients, rnnviz.models, rnnviz.data, rnnviz.train;"
            "print([m for m in sys.modules if m.split('.')[0] == 'rnncourse'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout
