"""Exercise checkers of notebook 04: each accepts the right answer and rejects a wrong one."""
from __future__ import annotations

import pytest
import torch

from rnncourse.checks import nb04


def test_downsampled_steps_right_and_wrong():
    assert nb04.downsampled_steps(32, length=256, stride=2, pool=4)
    assert nb04.downsampled_steps(32.0)                          # a float that is a whole number is fine
    assert not nb04.downsampled_steps(128)                       # forgot the pooling
    assert not nb04.downsampled_steps("many")
    assert nb04.downsampled_steps(50, length=200, stride=4, pool=1)


def test_convlstm_params_right_and_wrong():
    # independent count: one Conv2d (C + Hc) -> 4 Hc with a k x k kernel, plus 4 Hc biases
    expected = 4 * 8 * (1 + 8) * 3 * 3 + 4 * 8
    assert nb04.convlstm_params(expected)
    assert not nb04.convlstm_params(expected - 4 * 8)           # without the biases
    assert nb04.convlstm_params(4 * 4 * (3 + 4) * 5 * 5 + 16, in_channels=3, hidden_channels=4, kernel_size=5)


def test_hybrid_for_every_scenario():
    for scenario, right in nb04.SCENARIOS.items():
        assert nb04.hybrid_for(scenario, right)
        assert nb04.hybrid_for(scenario, right.upper() + " ")  # case and spaces do not matter
        wrong = next(h for h in nb04.HYBRIDS if h != right)
        fb = nb04.hybrid_for(scenario, wrong)
        assert not fb and "Not yet" in str(fb)
    fb = nb04.hybrid_for("the action shown in a short video clip", "lstm")
    assert not fb and "one of" in fb.message
    with pytest.raises(ValueError, match="expected scenario"):
        nb04.hybrid_for("a cat video", "cnn-rnn")


def test_checkers_leave_the_random_state_alone():
    torch.manual_seed(3)
    before = torch.rand(3)
    torch.manual_seed(3)
    nb04.downsampled_steps(32), nb04.convlstm_params(2624)
    assert torch.equal(torch.rand(3), before)
