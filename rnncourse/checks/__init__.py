"""Self-checking "check yourself" exercises: one module per notebook.

Each checker takes the student's answer and returns a :class:`Feedback` that
shows as a short verdict with a hint, and is truthy only when the answer is
right, so a notebook can also ``assert`` on it::

    from rnncourse.checks import nb01
    nb01.hidden_state_shape((2, 5, 16))
"""
from __future__ import annotations

import importlib

from ._core import Feedback, approx, exercise, verdict
from ._core import solutions as _solutions

__all__ = ["Feedback", "approx", "exercise", "verdict", "solutions"]


def solutions(notebook: str) -> str:
    """The teacher's solutions of one notebook's exercises, e.g. ``solutions("nb02")``.

    Students see only the questions; a teacher runs
    ``from rnncourse.checks import solutions; solutions("nb02")`` in a cell, which shows them
    as text (or reads the checkers' source).
    """
    if not (isinstance(notebook, str) and notebook.startswith("nb") and notebook[2:].isdigit()):
        raise ValueError(f"expected a notebook name such as 'nb02', got {notebook!r}")
    return _solutions(importlib.import_module(f".{notebook}", __name__))


def __getattr__(name: str):
    if name.startswith("nb") and name[2:].isdigit():
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'rnncourse.checks' has no attribute {name!r}")
