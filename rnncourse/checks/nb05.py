"""Exercises of notebook 05 (kinds of RNN, input/output patterns); expected values come from torch."""
from __future__ import annotations

import torch

from ._core import Feedback, choice, verdict, whole_number

__all__ = ["rnn_params", "io_pattern", "keras_output", "TASKS", "PATTERNS"]

PATTERNS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "many-to-many synced")
TASKS = {
    "the sentiment of a review": "many-to-one",
    "a part-of-speech tag for every word": "many-to-many synced",
    "a sentence translated into another language": "many-to-many",
    "a melody generated from one chosen first note": "one-to-many",
    "a house price from ten numbers about the house": "one-to-one",
}
_GATES = {"rnn": 1, "gru": 3, "lstm": 4}



def rnn_params(cell: str, input_size: int, hidden_size: int, answer) -> Feedback:
    """Trainable parameters of a one-layer ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (counted on the module)."""
    from rnnviz.models import make_rnn
    if not isinstance(cell, str) or cell.lower() not in _GATES:
        raise ValueError(f"expected cell as one of {list(_GATES)}, got {cell!r}")
    with torch.random.fork_rng(devices=[]):                    # the student's random numbers stay as they were
        expected = sum(p.numel() for p in make_rnn(cell, input_size, hidden_size).parameters())
    k = _GATES[cell.lower()]
    return verdict(whole_number(answer) == expected,
                   f"{expected} = {k} x ({hidden_size}x{input_size} + {hidden_size}x{hidden_size} + 2x{hidden_size}): "
                   f"{k} block(s) of input weights, recurrent weights and torch's two bias vectors.",
                   f"a {cell} layer has {k} block(s), each with W_i ({hidden_size} x {input_size}), W_h "
                   f"({hidden_size} x {hidden_size}) and, in torch, two biases of {hidden_size}.")


def io_pattern(task: str, answer: str) -> Feedback:
    """The input/output pattern of a task: one of :data:`PATTERNS`, for a key of :data:`TASKS`."""
    if task not in TASKS:
        raise ValueError(f"expected task as one of {list(TASKS)}, got {task!r}")
    picked = choice(answer, PATTERNS)
    if picked is None:
        return verdict(False, "", f"answer with one of {list(PATTERNS)}, got {answer!r}")
    expected = TASKS[task]
    return verdict(picked == expected, f"{expected}.",
                   "count what goes in (one item or a sequence?) and what comes out (one, a sequence, "
                   "one per input step?).")


def keras_output(return_sequences: bool, answer: str) -> Feedback:
    """Which value of ``out, (h_n, c_n) = lstm(x)`` (one layer, one direction, batch_first=True)
    equals what Keras' ``LSTM(return_sequences=...)`` returns."""
    norm = answer.replace(" ", "") if isinstance(answer, str) else None
    right = {"output"} if return_sequences else {"output[:,-1]", "h_n[-1]", "h_n[0]"}
    return verdict(norm in right,
                   ("output: every step's h_t, (batch, time, units)." if return_sequences else
                    f"{answer}: the last step's h_t, (batch, units); output[:, -1] and h_n[-1] are the same numbers."),
                   "return_sequences=True gives h_t for every step; False gives only the last one. "
                   "Answer with an expression such as 'output', 'output[:, -1]', 'h_n[-1]' or 'c_n[-1]'.")
