"""Self-checking "check yourself" exercises: one module per notebook.

Each checker takes the student's answer and returns a :class:`Feedback` that
shows as a short verdict with a hint, and is truthy only when the answer is
right, so a notebook can also ``assert`` on it::

    from rnncourse.checks import nb01
    nb01.hidden_state_shape((2, 5, 16))
"""
from __future__ import annotations

import importlib

from ._core import Feedback, approx, verdict

__all__ = ["Feedback", "approx", "verdict"]


def __getattr__(name: str):
    if name.startswith("nb") and name[2:].isdigit():
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'rnncourse.checks' has no attribute {name!r}")
