"""The notebook 00 checker: right and wrong answers, computed from rnnviz.trace itself."""
from __future__ import annotations

import torch
from torch import nn

import rnnviz
from rnncourse.checks import nb00


def test_trace_hidden_shape_right_and_wrong():
    assert nb00.trace_hidden_shape((2, 2, 3, 7, 6))
    assert nb00.trace_hidden_shape(torch.Size([2, 2, 3, 7, 6]))
    swapped = nb00.trace_hidden_shape((2, 2, 7, 3, 6))
    assert not swapped and "another order" in swapped.message
    folded = nb00.trace_hidden_shape((4, 3, 6))
    assert not folded and "5 dimensions" in folded.message
    assert not nb00.trace_hidden_shape((2, 2, 3, 7, 12))
    assert "tuple of ints" in nb00.trace_hidden_shape("2, 2, 3, 7, 6").message


def test_trace_hidden_shape_agrees_with_a_trace():
    lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    shape = rnnviz.trace(lstm, torch.randn(3, 7, 4)).hidden.shape
    assert nb00.trace_hidden_shape(tuple(shape))
    assert str(nb00.trace_hidden_shape(tuple(shape))).startswith("Correct")


def test_checker_leaves_the_global_random_state_alone():
    state = torch.get_rng_state()
    nb00.trace_hidden_shape((2, 2, 3, 7, 6))
    assert torch.equal(state, torch.get_rng_state())


def test_clamped_cell_recomputes_with_the_students_module():
    import rnnviz
    torch.manual_seed(3)
    lstm = nn.LSTM(4, 6, batch_first=True)
    x = torch.randn(1, 5, 4)
    want = rnnviz.trace(lstm, x, clamp={"forget": 1.0}).cell[0, 0, 0, -1, 0].item()
    free = rnnviz.trace(lstm, x).cell[0, 0, 0, -1, 0].item()
    assert nb00.clamped_cell(lstm, x, want)
    assert not nb00.clamped_cell(lstm, x, free)               # the unclamped value is not the answer
    assert not nb00.clamped_cell(nn.GRU(4, 6), x, want)
    assert not nb00.clamped_cell(lstm, x, ...).answered
    assert not nb00.trace_hidden_shape(...).answered
