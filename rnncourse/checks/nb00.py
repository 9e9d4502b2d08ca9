"""Check-yourself exercise of notebook 00 (the tour): the layout of a Trace."""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, verdict

__all__ = ["trace_hidden_shape"]


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
