"""Check-yourself exercises of notebook 06 (words: integer codes vs one-hot vs embeddings).

Expected values are computed by torch from the modules named in each question.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, verdict

__all__ = ["onehot_row", "onehot_input_weights", "why_integer_fails"]


def _int(answer) -> int | None:
    return answer if isinstance(answer, int) and not isinstance(answer, bool) else None


def onehot_row(answer) -> Feedback:
    """``v = one_hot(torch.tensor(7), 10).float()`` and ``W`` is a (10, 3) matrix.
    ``v @ W`` equals which row of ``W``? Answer with the row index (an int)."""
    W = torch.arange(30.0).reshape(10, 3)                                      # (V, E)
    v = nn.functional.one_hot(torch.tensor(7), 10).float()                     # (V,)
    row = int(torch.nonzero((W == v @ W).all(dim=1))[0])
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with a row index (an int), got {answer!r}")
    hint = ("rows count from 0, and so do word ids" if k in (6, 8)
            else "v is all zeros except a single 1: which rows of W does the product add up?")
    return verdict(k == row, f"v @ W is row {row} of W: multiplying by a one-hot vector looks up one row, "
                             "which is exactly what nn.Embedding does, without the multiplications.", hint)


def onehot_input_weights(answer) -> Feedback:
    """A one-hot vector of the 10,000-word vocabulary feeds ``nn.RNN(10000, 32)`` directly.
    How many numbers does its input matrix ``weight_ih_l0`` hold? Answer with an int."""
    expected = nn.RNN(10000, 32).weight_ih_l0.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {20000: "that is the 2-d embedding's size; the RNN's input matrix maps 10,000 inputs to 32 units",
             10000 * 32 + 32 * 32: "only the input matrix weight_ih_l0: leave out the recurrent weight_hh_l0"}
    return verdict(k == expected,
                   f"{expected:,} numbers: one column of 32 per word, i.e. a 32-d embedding of every word "
                   "hidden inside the RNN's input matrix.",
                   hints.get(k, "weight_ih_l0 has one row per hidden unit and one column per input feature"))


def why_integer_fails(answer) -> Feedback:
    """Why does an RNN that reads each word id as one number stay near chance? Answer "a", "b" or "c".

    a. 32 hidden units are too few for 10,000 words.
    b. An id's size means nothing (word 501 is not "more" than word 500), yet the input
       weight treats it as an amount, so similar ids look alike whatever they mean.
    c. 100 words are too few to tell a review's sentiment.
    """
    choice = answer.strip().lower() if isinstance(answer, str) else None
    hints = {"a": "the same 32 units reach well above chance with an embedding in this notebook",
             "c": "the embedding models in this notebook read the same 100 words and do well"}
    return verdict(choice == "b",
                   "ids are names, not amounts: one weight times the id puts 'excellent' next to whichever "
                   "words happen to have nearby ranks in the frequency list.",
                   hints.get(choice, 'answer with one letter: "a", "b" or "c"'))
