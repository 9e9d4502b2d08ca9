"""rnncourse.lessons.cells: the hand-written cells equal torch's, and wrong ones do not."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnncourse.lessons import cells

# float32, 12 steps: the hand loop and torch's kernels round differently; values are in [-1, 1],
# so a small absolute tolerance is relative too.
TOL = 1e-5


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_unroll_equals_the_torch_module(kind):
    module = kind(3, 5, batch_first=True)
    x = torch.randn(4, 12, 3)
    mine = cells.unroll(module, x)
    theirs = module(x)[0]
    assert mine.shape == theirs.shape == (4, 12, 5)
    assert torch.allclose(mine, theirs, atol=TOL, rtol=TOL)
    assert cells.max_difference(module, x) < TOL


def test_lstm_step_final_cell_state_matches_c_n():
    lstm = nn.LSTM(2, 4, batch_first=True)
    x = torch.randn(3, 6, 2)
    _, (h_n, c_n) = lstm(x)
    state = (torch.zeros(3, 4), torch.zeros(3, 4))
    weights = (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    with torch.no_grad():
        for t in range(6):
            state = cells.lstm_step(x[:, t], state, *weights)
    assert torch.allclose(state[0], h_n[0], atol=TOL) and torch.allclose(state[1], c_n[0], atol=TOL)


def test_a_wrong_gate_order_or_the_textbook_gru_does_not_match():
    torch.manual_seed(1)
    gru = nn.GRU(3, 6, batch_first=True)
    x = torch.randn(8, 10, 3)
    assert cells.max_difference(gru, x, step=cells.textbook_gru_step) > 1e-3
    lstm = nn.LSTM(3, 6, batch_first=True)

    def swapped(x, state, W_ih, W_hh, b_ih, b_hh):            # f and i blocks exchanged
        def swap(w):
            i, f, g, o = w.chunk(4, 0)
            return torch.cat([f, i, g, o], 0)
        return cells.lstm_step(x, state, swap(W_ih), swap(W_hh), swap(b_ih), swap(b_hh))

    assert cells.max_difference(lstm, x, step=swapped) > 1e-3


def test_gru_step_by_its_formula_on_one_unit():
    """One unit, known weights: the GRU update computed by hand with Python floats."""
    import math
    sig = lambda v: 1 / (1 + math.exp(-v))
    W_ih = torch.tensor([[0.5], [-1.0], [2.0]])              # r, z, n rows
    W_hh = torch.tensor([[1.0], [0.3], [-0.7]])
    b_ih, b_hh = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([-0.1, 0.0, 0.4])
    x, h = 0.8, -0.5
    r = sig(0.5 * x + 0.1 + 1.0 * h - 0.1)
    z = sig(-1.0 * x + 0.2 + 0.3 * h)
    n = math.tanh(2.0 * x + 0.3 + r * (-0.7 * h + 0.4))
    expected = (1 - z) * n + z * h
    got = cells.gru_step(torch.tensor([[x]]), torch.tensor([[h]]), W_ih, W_hh, b_ih, b_hh)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_unroll_rejects_what_it_cannot_reproduce():
    with pytest.raises(ValueError, match="one-layer"):
        cells.unroll(nn.GRU(2, 3, num_layers=2, batch_first=True), torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match="batch_first"):
        cells.unroll(nn.LSTM(2, 3), torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match=r"\(batch, time, 2\)"):
        cells.unroll(nn.GRU(2, 3, batch_first=True), torch.randn(4, 2))
    with pytest.raises(TypeError, match="nn.RNN, nn.LSTM or nn.GRU"):
        cells.unroll(nn.Linear(2, 3), torch.randn(1, 4, 2))
