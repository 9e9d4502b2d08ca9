"""Exercise checkers of notebook 05: each accepts the right answer and rejects a wrong one."""
from __future__ import annotations

import pytest
import torch

from rnncourse.checks import nb05


@pytest.mark.parametrize("cell, blocks", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_rnn_params_against_torch_and_a_formula(cell, blocks):
    module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](16, 32)
    counted = sum(p.numel() for p in module.parameters())
    assert counted == blocks * (32 * 16 + 32 * 32 + 2 * 32)
    assert nb05.rnn_params(cell, 16, 32, counted)
    assert not nb05.rnn_params(cell, 16, 32, counted - 32)       # one bias vector only (the textbook count)
    assert not nb05.rnn_params(cell, 16, 32, "lots")


def test_rnn_params_rejects_an_unknown_cell():
    with pytest.raises(ValueError, match="expected cell"):
        nb05.rnn_params("transformer", 16, 32, 1)


def test_io_pattern_every_task():
    for task, right in nb05.TASKS.items():
        assert nb05.io_pattern(task, right)
        wrong = next(p for p in nb05.PATTERNS if p != right)
        assert not nb05.io_pattern(task, wrong)
    assert not nb05.io_pattern("the sentiment of a review", "sequence")
    with pytest.raises(ValueError, match="expected task"):
        nb05.io_pattern("weather", "many-to-one")


def test_keras_output_matches_what_torch_returns():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True)
    output, (h_n, c_n) = lstm(torch.randn(2, 4, 3))
    assert torch.equal(output[:, -1], h_n[-1])                   # why both answers count as right
    assert nb05.keras_output(True, "output")
    assert not nb05.keras_output(True, "h_n[-1]")
    assert nb05.keras_output(False, "h_n[-1]") and nb05.keras_output(False, "output[:, -1]")
    assert not nb05.keras_output(False, "c_n[-1]") and not nb05.keras_output(False, "output")
    assert not nb05.keras_output(False, None)
