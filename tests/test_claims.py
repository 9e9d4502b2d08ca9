"""rnncourse.claims and the robustness report: a claim that breaks its bound fails, loudly,
and the report flags the worst run, a missing run and a notebook error."""
from __future__ import annotations

import importlib.util
import json
import math

import nbformat
import pytest
import torch

from conftest import ROOT
from rnncourse.claims import LOG_VAR, claim, margin


def _robustness():
    spec = importlib.util.spec_from_file_location("robustness", ROOT / "bench" / "robustness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_claim_that_holds_prints_its_evidence(capsys):
    claim("RNN recall at lag 5", 0.97, ">=", 0.9)
    claim("error below the baseline", torch.tensor(0.2), "<", 0.5)
    out = capsys.readouterr().out
    assert "✓ RNN recall at lag 5: 0.97 >= 0.9" in out and "error below the baseline: 0.2 < 0.5" in out


@pytest.mark.parametrize("value,op,bound", [(0.89, ">=", 0.9), (0.9, ">", 0.9), (0.51, "<=", 0.5),
                                            (0.5, "<", 0.5), (math.nan, ">=", 0.0), (math.nan, "<=", 1e9)])
def test_a_claim_that_breaks_its_bound_raises(value, op, bound):
    with pytest.raises(AssertionError, match="claim failed: x:"):
        claim("x", value, op, bound)


def test_bad_claims_are_refused_clearly():
    with pytest.raises(ValueError, match="op must be one of"):
        claim("x", 1.0, "=>", 0.0)
    with pytest.raises(TypeError, match="must be numbers"):
        claim("x", "high", ">=", 0.0)
    with pytest.raises(TypeError, match="short text"):
        claim("", 1.0, ">=", 0.0)


def test_claims_are_logged_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VAR, str(log))
    claim("a", 2.0, ">=", 1.0)
    with pytest.raises(AssertionError):
        claim("b", 0.0, ">=", 1.0)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["claim"], r["ok"]) for r in rows] == [("a", True), ("b", False)]


def test_margin_is_relative_room_to_the_bound():
    assert margin(0.99, ">=", 0.9) == pytest.approx(0.1)
    assert margin(0.3, "<=", 0.45) == pytest.approx(1 / 3)
    assert margin(0.8, ">=", 0.9) < 0 and margin(math.nan, ">=", 0.9) == -math.inf


def _run(nb, seed, variant, claims, errors=()):
    return {"notebook": nb, "seed": seed, "variant": variant, "seconds": 1.0, "errors": list(errors),
            "claims": [{"claim": t, "value": v, "op": op, "bound": b, "ok": True} for t, v, op, b in claims]}


def test_report_takes_the_worst_run_and_flags_failures():
    rob = _robustness()
    good = [_run("02", s, "native", [("acc", 0.95 + 0.01 * s, ">=", 0.9)]) for s in range(3)]
    table, ok = rob.report(good)
    assert ok and "0.95 - 0.97" in table and "| 0.95 |" in table and "3/3" in table
    broken = good + [_run("02", 3, "default", [("acc", 0.85, ">=", 0.9)])]
    table, ok = rob.report(broken)
    assert not ok and "**FAILED**" in table
    # a run that never reached the claim (a cell raised before it) fails the report too
    missing = good + [_run("02", 4, "default", [], errors=["cell 7: AssertionError: ..."])]
    table, ok = rob.report(missing)
    assert not ok and "3/4" in table and "cell 7" in table


def test_every_notebook_with_claims_has_one_seed_line():
    rob = _robustness()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        if "claim(" in code:
            seeded = rob.with_seed(nb, 7)
            assert any("SEED = 7" in c.source for c in seeded.cells), path.name


def test_the_report_runs_every_notebook_whose_code_makes_claims_and_no_other():
    """The tour names ``claim(`` in its text and makes none: ``make robustness`` ran it 9 times, found
    no ``SEED = 0`` line in it and failed every run."""
    rob = _robustness()
    picked = {p.name[:2] for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if rob.makes_claims(p)}
    assert "00" not in picked and {"01", "02", "03", "04", "05", "06", "07"} <= picked
