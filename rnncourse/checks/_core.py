"""The shared pieces of every exercise checker."""
from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: truthy when right; shows as one friendly line."""

    ok: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.ok

    def _mark(self) -> str:
        return "Correct" if self.ok else ("Not yet" if self.answered else "Not answered yet")

    def __str__(self) -> str:
        return f"{self._mark()}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else ("#b35900" if self.answered else "#555555")
        symbol = "&#10004;" if self.ok else ("&#10008;" if self.answered else "&#9998;")
        return f'<div style="color:{colour}"><b>{symbol} {self._mark()}:</b> {html.escape(self.message)}</div>'


def build(cls, *args, **kwargs):
    """A torch module ``cls(*args, **kwargs)`` built without touching the student's global random
    state (its initial weights draw from a forked generator)."""
    with torch.random.fork_rng(devices=[]):
        return cls(*args, **kwargs)


NOT_ANSWERED = "replace the `...` with your answer and run the cell again."


def exercise(solution: str) -> Callable:
    """Decorate a checker: an answer left as ``...`` gets "not answered yet" (falsy, never an
    error, so a notebook with open exercises still runs top to bottom), and the teacher's
    ``solution`` is kept on the checker as ``.solution`` (see :func:`solutions`)."""
    def wrap(check: Callable) -> Callable:
        @functools.wraps(check)
        def run(*args, **kwargs) -> Feedback:
            if any(a is Ellipsis for a in args) or any(v is Ellipsis for v in kwargs.values()):
                return Feedback(False, NOT_ANSWERED, answered=False)
            return check(*args, **kwargs)

        run.solution = solution
        return run
    return wrap


class Solutions(str):
    """The solutions as text that a notebook cell shows as text (its paragraphs, not a quoted
    string with ``\\n`` in it), also when it is the cell's last expression; ``print`` works too."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:   # IPython's plain-text display
        printer.text(str(self))


def solutions(module) -> Solutions:
    """Every checker's solution in ``module`` (a checks module), one paragraph each, for teachers."""
    found = [(name, fn.solution) for name, fn in vars(module).items()
             if callable(fn) and isinstance(getattr(fn, "solution", None), str)]
    return Solutions("\n\n".join(f"{name}: {text}" for name, text in found))


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


def exact_int(answer) -> int | None:
    """``answer`` when it is a Python int (not a bool, not a float or a string), else None."""
    return answer if isinstance(answer, int) and not isinstance(answer, bool) else None


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
