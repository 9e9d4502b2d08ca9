"""Notebook 03 checkers: a right answer passes, wrong ones fail with a hint."""
import torch
from torch import nn

from rnncourse.checks import nb03


def test_stacked_parameters():
    expected = sum(p.numel() for p in nn.LSTM(10, 20, num_layers=2, bidirectional=True).parameters())
    assert expected == 15040                                   # independent count by hand
    assert nb03.stacked_parameters(15040)
    assert nb03.stacked_parameters(15040.0)
    assert not nb03.stacked_parameters(2 * 2 * 4 * (20 * 30 + 40))   # forgot layer 2 reads 40 features
    assert not nb03.stacked_parameters("15040 parameters")
    assert not nb03.stacked_parameters(True)


def test_stacked_parameters_leaves_the_random_state_alone():
    """It built its nn.LSTM from the global generator: a student's next torch.rand changed."""
    torch.manual_seed(0)
    before = torch.get_rng_state()
    assert nb03.stacked_parameters(15_040)
    assert torch.equal(torch.get_rng_state(), before)


def test_bidirectional_width():
    assert nb03.bidirectional_width(32)
    wrong = nb03.bidirectional_width(16)
    assert not wrong and "direction" in wrong.message
    assert not nb03.bidirectional_width(32.5)


def test_streaming_choice():
    assert nb03.streaming_choice("unidirectional")
    assert nb03.streaming_choice("Uni")
    assert not nb03.streaming_choice("bidirectional")
    unclear = nb03.streaming_choice("transformer")
    assert not unclear and "unidirectional" in unclear.message


def test_unanswered_exercises_say_so_and_do_not_raise():
    for check in (nb03.stacked_parameters, nb03.bidirectional_width, nb03.streaming_choice):
        feedback = check(...)
        assert not feedback and "..." in feedback.message and "Not answered yet" in str(feedback)
    assert not nb03.horizon_error(None, 6, ...)


def test_solutions_for_teachers():
    from rnncourse.checks import solutions

    text = solutions("nb03")
    for name in ("stacked_parameters", "bidirectional_width", "streaming_choice", "horizon_error"):
        assert name in text
    assert "15,040" in text


class _Last(nn.Module):
    """Forecasts the last value of the window: the naive forecast as a model, (N, T, 1) -> (N, 1)."""

    def forward(self, x):
        return x[:, -1]


def test_horizon_error_recomputes_the_measurement():
    import torch

    from rnncourse.lessons import forecast
    from rnnviz.data import sunspots

    spots = sunspots().values[:, 0]
    z = (spots - spots[:1600].mean()) / spots[:1600].std()
    errors = forecast.horizon_errors(_Last(), z, torch.arange(2000, len(z) - 24), 36, 6, season=132)
    expected = float(errors["model (fed back)"][-1])
    # the last-value model fed back repeats the last value: its error is the naive forecast's
    assert expected == float(errors["naive (last value)"][-1])
    right = nb03.horizon_error(_Last(), 6, expected)
    assert right and "6 month(s) ahead" in right.message
    assert nb03.horizon_error(_Last(), 6, round(expected, 3))
    assert not nb03.horizon_error(_Last(), 6, expected * 1.2)
    assert not nb03.horizon_error(_Last(), 6, "about half")
    assert "1 to 24" in nb03.horizon_error(_Last(), 0, 0.5).message
    assert not nb03.horizon_error(_Last(), 25, expected)
