"""Claims: the numbers a notebook asserts, stated once, checked in class and in the report.

A notebook states every measured result it relies on as a claim::

    from rnncourse.claims import claim
    claim("RNN recall over 5 distractors", acc["rnn"][5], ">=", 0.9)

which prints ``✓ RNN recall over 5 distractors: 1.000 >= 0.9`` and raises an
``AssertionError`` when the measured value breaks its bound, so the notebook
stops exactly as an ``assert`` would. The bound is written in the notebook, next
to the experiment, where a student reads it.

``bench/robustness.py`` runs the notebooks themselves under several seeds and CPU
kernel variants; with ``RNNCOURSE_CLAIMS_LOG`` set to a file path, every claim is
also appended to that file as one JSON line, and the report takes the worst value
of each claim from there. Nothing else changes: the notebook computes the same
thing either way.
"""
from __future__ import annotations

import json
import math
import operator
import os

__all__ = ["claim", "LOG_VAR", "OPS", "margin"]

LOG_VAR = "RNNCOURSE_CLAIMS_LOG"
OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def margin(value: float, op: str, bound: float) -> float:
    """How far ``value`` is on the right side of ``bound``, relative to the bound's size.

    Positive when the claim holds with room to spare, negative when it fails (NaN counts
    as failing by an infinite margin). ``0.1`` means 10 % of ``|bound|`` to spare.
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}, got {op!r}")
    if math.isnan(value):
        return -math.inf
    room = value - bound if op in (">=", ">") else bound - value
    return room / abs(bound) if bound else room


def claim(text: str, value, op: str, bound: float) -> None:
    """Check that the measured ``value`` satisfies ``value <op> bound``; print the verdict.

    ``text`` names the claim in words (it is the key in the robustness report, so keep it
    unique within a notebook); ``value`` is a number (a Python float, or a 0-d tensor);
    ``op`` is one of ``>=``, ``>``, ``<=``, ``<``. Raises ``AssertionError`` naming the
    claim, the value and the bound when the claim does not hold (NaN never holds).
    """
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"a claim needs a short text naming it, got {text!r}")
    if op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}, got {op!r}")
    try:
        value = float(value)
        bound = float(bound)
    except (TypeError, ValueError) as err:
        raise TypeError(f"claim {text!r}: value and bound must be numbers, got {value!r} and {bound!r}") from err
    ok = not math.isnan(value) and OPS[op](value, bound)
    path = os.environ.get(LOG_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"claim": text, "value": value, "op": op, "bound": bound, "ok": ok}) + "\n")
    line = f"{text}: {value:.4g} {op} {bound:.4g}"
    if not ok:
        raise AssertionError(f"claim failed: {line}")
    print(f"✓ {line}")
