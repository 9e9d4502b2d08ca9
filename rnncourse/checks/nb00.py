"""Check-yourself exercise of notebook 00 (the tour): the layout of a Trace."""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, exercise, verdict

__all__ = ["trace_hidden_shape", "clamped_cell"]


@exercise("(2, 2, 3, 7, 6): 2 layers, 2 directions, batch 3, 7 steps, 6 units.")
def trace_hidden_shape(answer) -> Feedback:
    """``lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)`` reads a batch
    of 3 sentences of 7 words, ``x`` of shape (3, 7, 4). What is the shape of
    ``rnnviz.trace(lstm, x).hidden``? Answer with a tuple of ints.
    """
    from rnnviz.capture import trace

    with torch.random.fork_rng(devices=[]):          # leave the student's random state alone
        lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    expected = tuple(trace(lstm, torch.zeros(3, 7, 4)).hidden.shape)          # (L, D, B, T, H)
    if not (isinstance(answer, (tuple, list, torch.Size))
            and all(isinstance(d, int) and not isinstance(d, bool) for d in answer)):
        return verdict(False, "", f"answer with a tuple of ints such as (1, 2, 3), got {answer!r}")
    answer = tuple(answer)
    if sorted(answer) == sorted(expected) and answer != expected:
        hint = "the right numbers in another order: a Trace is always (layers, directions, batch, time, units)"
    elif len(answer) != len(expected):
        hint = (f"a Trace keeps layers and directions apart, so hidden has {len(expected)} dimensions: "
                "(layers, directions, batch, time, units)")
    else:
        hint = "look at the letters printed in the Trace above: (L, D, B, T, P); fill them in for this LSTM"
    return verdict(answer == expected,
                   f"{expected}: layers, directions, batch, time, units; the same order whatever batch_first says.",
                   hint)


@exercise("Any module works; the checker recomputes trace(lstm, x, clamp={'forget': 1.0}).cell[0, 0, 0, -1, 0]. "
          "With the forget gate held at 1 the cell state only adds i * g at each step, so it tends to grow "
          "in size instead of settling.")
def clamped_cell(lstm, x, answer) -> Feedback:
    """Modify and observe: the cell state of unit 0 after the last word, with the forget gate
    clamped at 1 (``rnnviz.trace(lstm, x, clamp={"forget": 1.0})``), for the student's own
    ``lstm`` and input ``x`` (B, T, I)."""
    from rnnviz.capture import trace

    if not isinstance(lstm, nn.LSTM):
        return verdict(False, "", f"pass the notebook's nn.LSTM as the first argument, got {type(lstm).__name__}")
    clamped = trace(lstm, x, clamp={"forget": 1.0}).cell[0, 0, 0, -1, 0].item()
    free = trace(lstm, x).cell[0, 0, 0, -1, 0].item()
    return verdict(approx(answer, clamped, rel=0.01, abs_=1e-3),
                   f"c_T of unit 0 is {clamped:.3f} with the forget gate at 1, against {free:.3f} unclamped: "
                   "nothing is forgotten, every step only adds i_t * g_t.",
                   "Run rnnviz.trace(lstm, x, clamp={'forget': 1.0}) and read .cell[0, 0, 0, -1, 0] "
                   "(layer 0, direction 0, sample 0, last step, unit 0).")
