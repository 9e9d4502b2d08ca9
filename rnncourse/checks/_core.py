"""The shared pieces of every exercise checker."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: truthy when right; shows as one friendly line."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return ("Correct: " if self.ok else "Not yet: ") + self.message

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b35900"
        mark = "&#10004; Correct" if self.ok else "&#10008; Not yet"
        return f'<div style="color:{colour}"><b>{mark}:</b> {html.escape(self.message)}</div>'


def verdict(ok: bool, right: str, hint: str) -> Feedback:
    """``right`` explains why the answer holds; ``hint`` nudges without giving it away."""
    return Feedback(bool(ok), right if ok else hint)


def approx(answer, expected: float, rel: float = 0.05, abs_: float = 1e-9) -> bool:
    """True when ``answer`` is a real number within ``rel`` (relative) of ``expected``."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and math.isclose(value, expected, rel_tol=rel, abs_tol=abs_)


def whole_number(answer) -> int | None:
    """``answer`` as an int when it is a whole number (``12``, ``12.0``, ``"12"``), else None."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def choice(answer, options) -> str | None:
    """``answer`` normalised (stripped, lower case) when it is one of ``options``, else None."""
    if not isinstance(answer, str) or answer.strip().lower() not in options:
        return None
    return answer.strip().lower()
