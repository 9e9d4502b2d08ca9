"""Check-yourself exercises of notebook 07 (RNNs vs Transformers).

Expected values are computed by torch from the modules named in each question.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, verdict

__all__ = ["attention_weight_count", "stream_state_floats", "top_probability"]


def _int(answer) -> int | None:
    return answer if isinstance(answer, int) and not isinstance(answer, bool) else None


def attention_weight_count(answer) -> Feedback:
    """``nn.MultiheadAttention(64, num_heads=4)`` attends a sequence of 100 tokens to itself
    (batch 1). How many attention weights does it compute? Answer with an int."""
    mha = nn.MultiheadAttention(64, 4, batch_first=True)
    x = torch.zeros(1, 100, 64)                                                # (B, T, E)
    with torch.no_grad():
        _, w = mha(x, x, x, average_attn_weights=False)                        # (B, heads, T, T)
    expected = w.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {10000: "that is one head: every head has its own weights",
             400: "every token weighs every token, not just itself"}
    return verdict(k == expected, f"{expected:,}: heads x T x T. Doubling the length quadruples them, which "
                                  "is the price of letting every token see every other in one step.",
                   hints.get(k, "each head gives one weight for every (query token, key token) pair"))


def stream_state_floats(answer) -> Feedback:
    """An ``nn.LSTM(32, 128)`` generates text one token at a time (batch 1). How many numbers
    does it carry from one step to the next, whatever the length so far? Answer with an int."""
    lstm = nn.LSTM(32, 128)
    with torch.no_grad():
        _, (h, c) = lstm(torch.zeros(5, 1, 32))                                # (L, B, H) each
    expected = h.numel() + c.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {128: "an LSTM carries two vectors: the hidden state and the cell state"}
    return verdict(k == expected, f"{expected}: h and c, 128 each, after 5 tokens or after 5 million.",
                   hints.get(k, "count the state vectors the LSTM hands to its next step, not its weights"))


def top_probability(answer) -> Feedback:
    """Logits ``[2.0, 1.0, 0.0]`` are sampled at temperature 0.5, i.e. ``softmax(logits / 0.5)``.
    What probability does the first character get? Answer with a float (2 decimals are enough)."""
    expected = float(torch.softmax(torch.tensor([2.0, 1.0, 0.0]) / 0.5, dim=0)[0])
    plain = float(torch.softmax(torch.tensor([2.0, 1.0, 0.0]), dim=0)[0])
    if approx(answer, plain, rel=0.02):
        return verdict(False, "", "that is temperature 1: divide the logits by 0.5 first")
    return verdict(approx(answer, expected, rel=0.02),
                   f"about {expected:.2f} (against {plain:.2f} at temperature 1): a low temperature sharpens "
                   "the distribution towards the most likely character; a high one flattens it.",
                   "divide every logit by the temperature, then take the softmax")
