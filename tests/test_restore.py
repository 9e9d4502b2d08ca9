"""rnnviz._restore: one context manager puts a model's modes, buffers and the RNG back, always."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnviz._restore import eval_mode, flush_denormal, flush_denormal_enabled


def model():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    m[2].eval()                                                          # mixed modes come back as they were
    return m


@pytest.mark.parametrize("raises", [False, True])
def test_eval_mode_restores_modes_buffers_and_rng(raises):
    m = model()
    modes = [x.training for x in m.modules()]
    mean = m[1].running_mean
    saved = mean.clone()
    rng = torch.get_rng_state()
    with pytest.raises(RuntimeError) if raises else torch.no_grad():
        with eval_mode(m) as was_training:
            assert was_training and not any(x.training for x in m.modules())
            m[1].train()                                                 # something inside changes them anyway
            m(torch.randn(8, 3))                                         # moves the statistics, draws from the RNG
            m[1].running_mean = torch.zeros(4)                           # even replaces the buffer
            if raises:
                raise RuntimeError("boom")
    assert [x.training for x in m.modules()] == modes
    assert m[1].running_mean is mean and torch.equal(mean, saved)
    assert torch.equal(torch.get_rng_state(), rng)


def test_eval_mode_says_when_nothing_was_training():
    m = model().eval()
    with eval_mode(m) as was_training:
        assert not was_training
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got int"):
        with eval_mode(3):
            pass


class OwnDropout(nn.Module):
    """A forward of its own that reads self.training: it acts differently in training mode."""

    def forward(self, x):
        return nn.functional.dropout(x, 0.5, self.training)


def test_eval_mode_says_whether_training_mode_would_change_the_result():
    """Only a module that acts differently in training mode makes the views say 'run in eval mode':
    a note about dropout on a model without any would only puzzle a class."""
    plain = nn.Sequential(nn.Embedding(5, 3), nn.GRU(3, 4)).train()
    cases = [(plain, False), (nn.LSTM(3, 4, num_layers=2).train(), False),
             (nn.LSTM(3, 4, num_layers=2, dropout=0.2).train(), True),
             (nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.1)).train(), True),
             (nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.0)).train(), False),
             (nn.Sequential(nn.BatchNorm1d(3)).train(), True),
             (nn.Sequential(OwnDropout()).train(), True),
             (nn.Sequential(OwnDropout()).eval(), False)]
    for m, expected in cases:
        with eval_mode(m) as changes:
            assert changes == expected, m
            assert not any(x.training for x in m.modules())
        assert m.training == (m is not cases[-1][0])                     # the mode comes back either way


def test_flush_denormal_is_put_back():
    before = flush_denormal_enabled()
    try:
        for start in (False, True):
            torch.set_flush_denormal(start)
            assert flush_denormal_enabled() == start                     # the probe reads the setting
            with flush_denormal(not start):
                assert flush_denormal_enabled() == (not start)
            assert flush_denormal_enabled() == start
    finally:
        torch.set_flush_denormal(before)
