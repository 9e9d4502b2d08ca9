"""Exercise checkers of notebook 04: each accepts the right answer and rejects a wrong one."""
from __future__ import annotations

import pytest
import torch

from rnncourse.checks import nb04


def test_downsampled_steps_right_and_wrong():
    assert nb04.downsampled_steps(32, length=256, stride=2, pool=4)
    assert nb04.downsampled_steps(50.0)                          # a float that is a whole number is fine
    assert not nb04.downsampled_steps(250)                       # forgot the pooling
    assert not nb04.downsampled_steps(32)                        # section 1's model, printed in the notebook
    assert not nb04.downsampled_steps("many")
    assert nb04.downsampled_steps(50, length=200, stride=4, pool=1)


def test_downsampled_steps_hints_do_not_do_the_division():
    """The hint said "keeps every 4-th position, then one of every 5; start from 1000": the answer
    left to the student was 1000 / 4 / 5."""
    after_conv = nb04.downsampled_steps(250)
    assert not after_conv and "pooling" in after_conv.message
    for wrong in (250, 1000, 49, 7):
        message = nb04.downsampled_steps(wrong).message
        assert "1000" not in message and "every 4" not in message and "of every 5" not in message, message


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
    video = "the action shown in a short video clip"
    assert nb04.hybrid_for(video, "convlstm")                   # a defensible second answer, accepted
    assert "usual choice" in nb04.hybrid_for(video, "convlstm").message
    assert not nb04.hybrid_for("the next ten radar rain maps from the last ten", "cnn-rnn-mlp")
    fb = nb04.hybrid_for("the action shown in a short video clip", "lstm")
    assert not fb and "one of" in fb.message
    with pytest.raises(ValueError, match="expected scenario"):
        nb04.hybrid_for("a cat video", "cnn-rnn")


def test_checkers_leave_the_random_state_alone():
    torch.manual_seed(3)
    before = torch.rand(3)
    torch.manual_seed(3)
    nb04.downsampled_steps(50), nb04.convlstm_params(2624)
    assert torch.equal(torch.rand(3), before)


def test_every_checker_waits_for_an_answer_and_has_a_solution():
    for fb in (nb04.downsampled_steps(...), nb04.convlstm_params(...),
               nb04.hybrid_for("the action shown in a short video clip", ...), nb04.bigger_vector(...)):
        assert not fb and "not answered" in str(fb).lower()
    from rnncourse.checks import solutions
    text = solutions("nb04")
    for name in ("downsampled_steps", "convlstm_params", "hybrid_for", "bigger_vector"):
        assert name in text
    assert "2624" in text and "32" in text


def test_bigger_vector_recomputes_the_measurement():
    from rnncourse.lessons.translation import train_copy
    _, measured = train_copy(None, 3, hidden_size=8, seed=1)
    assert nb04.bigger_vector(measured, hidden_size=8, length=3, seed=1)
    assert nb04.bigger_vector(round(measured, 3), hidden_size=8, length=3, seed=1)   # as printed
    assert not nb04.bigger_vector(measured + 0.2, hidden_size=8, length=3, seed=1)
    fb = nb04.bigger_vector(measured, hidden_size=8, length=3, seed=1, baseline=measured)
    assert fb and "bought little" in fb.message
    fb = nb04.bigger_vector(measured, hidden_size=8, length=3, seed=1, baseline=measured - 0.3)
    assert fb and "helped somewhat" in fb.message
    assert not nb04.bigger_vector("high", hidden_size=8, length=3, seed=1)
    with pytest.raises(ValueError, match="hidden_size"):
        nb04.bigger_vector(0.5, hidden_size=0)
