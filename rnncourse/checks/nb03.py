"""Checkers for notebook 03 (stacked and bidirectional RNNs)."""
from __future__ import annotations

from torch import nn

from ._core import Feedback, verdict

__all__ = ["stacked_parameters", "bidirectional_width", "streaming_choice"]


def _count(answer):
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def stacked_parameters(answer) -> Feedback:
    """Parameters of ``nn.LSTM(10, 20, num_layers=2, bidirectional=True)`` (an integer)."""
    expected = sum(p.numel() for p in nn.LSTM(10, 20, num_layers=2, bidirectional=True).parameters())
    got = _count(answer)
    return verdict(got == expected,
                   f"{expected:,} parameters: each direction of layer 1 has 4 x (20 x (10 + 20) + 2 x 20), and "
                   "layer 2 reads both directions of layer 1, so its input size is 40, not 10.",
                   "Per direction and layer an LSTM has 4 gates, each with W_ih (20 x input), W_hh (20 x 20) and "
                   "two biases of 20. What is the input size of the second layer of a bidirectional stack?")


def bidirectional_width(answer) -> Feedback:
    """Feature size of the output of ``nn.GRU(8, 16, bidirectional=True)`` at each step (an integer)."""
    got = _count(answer)
    return verdict(got == 32, "32: the forward and backward states (16 each) are concatenated at every step.",
                   "The output at each step joins the states of both directions. How big is each?")


def streaming_choice(answer) -> Feedback:
    """Live captions that must appear while someone speaks: "unidirectional" or "bidirectional"?"""
    text = str(answer).strip().lower()
    if not (text.startswith("uni") or text.startswith("bi")):
        return verdict(False, "", f"Answer with 'unidirectional' or 'bidirectional', got {answer!r}.")
    return verdict(text.startswith("uni"),
                   "Unidirectional: a caption for now cannot wait for words not yet spoken, and the backward "
                   "direction needs the whole sequence before its first output.",
                   "The backward direction starts at the last step. When is the last step of a live stream known?")
