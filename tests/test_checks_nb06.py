"""The notebook 06 checkers: a right and wrong answers for each, with hints that point the right way."""
from __future__ import annotations

import torch
from torch import nn

from rnncourse.checks import nb06


def test_onehot_row_right_and_wrong():
    assert nb06.onehot_row(7)
    off = nb06.onehot_row(6)
    assert not off and "from 0" in off.message
    assert not nb06.onehot_row(0)
    assert "int" in nb06.onehot_row("7").message
    assert not nb06.onehot_row(True)


def test_onehot_row_is_what_torch_computes():
    W = torch.randn(10, 3)
    v = nn.functional.one_hot(torch.tensor(7), 10).float()
    assert torch.equal(v @ W, W[7]) and nb06.onehot_row(7)


def test_onehot_input_weights_right_and_wrong():
    assert nb06.onehot_input_weights(nn.RNN(10000, 32).weight_ih_l0.numel())
    assert nb06.onehot_input_weights(320_000)
    small = nb06.onehot_input_weights(20_000)
    assert not small and "embedding" in small.message
    both = nb06.onehot_input_weights(10000 * 32 + 32 * 32)
    assert not both and "weight_hh_l0" in both.message
    assert not nb06.onehot_input_weights(320_000.0)


def test_why_integer_fails_right_and_wrong():
    assert nb06.why_integer_fails("b") and nb06.why_integer_fails(" B ")
    assert not nb06.why_integer_fails("a") and "embedding" in nb06.why_integer_fails("a").message
    assert not nb06.why_integer_fails("c")
    assert "one letter" in nb06.why_integer_fails(2).message
