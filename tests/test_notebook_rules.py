"""The course notebooks follow the course's rules (what nbval cannot see).

Each notebook: learning goals and the course question up front, at least one
rnnviz view in a short cell, assert-checked evidence, self-checked exercises,
a closing answer; stored small, offline, with no hidden fast mode.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["00", "01", "02", "03", "04", "05", "06", "07"]


def test_the_course_is_complete_and_ordered():
    assert [p.name[:2] for p in NOTEBOOKS] == EXPECTED, [p.name for p in NOTEBOOKS]


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    return nb, code, markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_rules(path):
    nb, code, markdown = _cells(path)
    text = path.read_text()
    assert path.stat().st_size <= 200 * 1024, f"{path.name} is over 200 KB stored"
    first = markdown[0] if markdown else ""
    assert re.search(r"learning goals", first, re.I), "the first cell must state the learning goals"
    if not path.name.startswith("00"):
        assert re.search(r"course question", first, re.I), "the first cell must state the course question"
        assert any(re.search(r"^#+ .*answer", m, re.I | re.M) for m in markdown[-3:]), \
            "the notebook must close with its answer to the course question"
        assert any(re.search(r"^\s*(assert\b|claim\()", c, re.M) for c in code), "no assert or claim on measured evidence"
        assert any("rnncourse.checks" in c for c in code), "no self-checked exercise"
    views = [c for c in code if re.search(r"\b\w+_view\(", c)]
    assert views, "the notebook shows no rnnviz view"
    for cell in views:
        lines = [ln for ln in cell.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(lines) <= 3, f"a view cell should be about one line, got:\n{cell}"
    assert not re.search(r"cdn\.|cdnjs|unpkg\.com|jsdelivr|require\.js|requirejs", text, re.I)
    assert not re.search(r"os\.environ|getenv", "\n".join(code)), "notebooks must not branch on the environment"
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.outputs:
            assert cell.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT"), \
                "only nbval-checked cells keep stored outputs (run scripts/notebooks.py strip)"
