"""Checkers for notebook 03 (stacked and bidirectional RNNs).

Teachers: ``rnncourse.checks.solutions("nb03")`` prints the solutions.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, build, exercise, verdict

__all__ = ["stacked_parameters", "bidirectional_width", "streaming_choice", "horizon_error"]

# notebook 03's forecasting setup: standardise with the first FIT_END months, test from VAL_END on
FIT_END, VAL_END, LENGTH, SEASON, LAST = 1600, 2000, 36, 132, 24


def _count(answer):
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


@exercise("15,040: layer 1 has 2 directions x 4 gates x (20 x (10 + 20) + 2 x 20) = 5,120; layer 2 reads "
          "both directions of layer 1 (40 features): 2 x 4 x (20 x (40 + 20) + 2 x 20) = 9,920.")
def stacked_parameters(answer) -> Feedback:
    """Parameters of ``nn.LSTM(10, 20, num_layers=2, bidirectional=True)`` (an integer)."""
    expected = sum(p.numel() for p in build(nn.LSTM, 10, 20, num_layers=2, bidirectional=True).parameters())
    got = _count(answer)
    return verdict(got == expected,
                   f"{expected:,} parameters: each direction of layer 1 has 4 x (20 x (10 + 20) + 2 x 20), and "
                   "layer 2 reads both directions of layer 1, so its input size is 40, not 10.",
                   "Per direction and layer an LSTM has 4 gates, each with W_ih (20 x input), W_hh (20 x 20) and "
                   "two biases of 20. What is the input size of the second layer of a bidirectional stack?")


@exercise("32: 16 forward + 16 backward features, concatenated at every step.")
def bidirectional_width(answer) -> Feedback:
    """Feature size of the output of ``nn.GRU(8, 16, bidirectional=True)`` at each step (an integer)."""
    got = _count(answer)
    return verdict(got == 32, "32: the forward and backward states (16 each) are concatenated at every step.",
                   "The output at each step joins the states of both directions. How big is each?")


@exercise('"unidirectional": the backward direction needs the end of the sequence, which a live stream '
          "does not have yet.")
def streaming_choice(answer) -> Feedback:
    """Live captions that must appear while someone speaks: "unidirectional" or "bidirectional"?"""
    text = str(answer).strip().lower()
    if not (text.startswith("uni") or text.startswith("bi")):
        return verdict(False, "", f"Answer with 'unidirectional' or 'bidirectional', got {answer!r}.")
    return verdict(text.startswith("uni"),
                   "Unidirectional: a caption for now cannot wait for words not yet spoken, and the backward "
                   "direction needs the whole sequence before its first output.",
                   "The backward direction starts at the last step. When is the last step of a live stream known?")


@exercise("Any horizon 1..24 works; the checker recomputes the error with the student's model. With the "
          "notebook's first GRU (SEED = 0) the error grows from about 0.23 one month ahead to about 1.9 at "
          "24 months; the seasonal-naive error stays near 1.1, so it wins somewhere between 12 and 24 "
          "months. Up to 12 months this GRU is slightly worse than the naive last-value forecast (0.23 vs "
          "0.22 at 1 month, 0.57 vs 0.54 at 6, 0.95 vs 0.90 at 12), beyond that better (1.9 vs 2.2 at 24).")
def horizon_error(model: nn.Module, horizon, answer) -> Feedback:
    """Modify and observe: the test mean squared error of ``model`` (a one-step sunspot
    forecaster of notebook 03) ``horizon`` months ahead, fed its own forecasts back."""
    from rnnviz.data import sunspots

    from ..lessons import forecast

    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= LAST:
        return verdict(False, "", f"horizon must be a whole number of months from 1 to {LAST}, got {horizon!r}.")
    spots = sunspots().values[:, 0]
    z = (spots - spots[:FIT_END].mean()) / spots[:FIT_END].std()
    starts = torch.arange(VAL_END, len(z) - LAST)
    with torch.random.fork_rng(devices=[]):
        errors = forecast.horizon_errors(model, z, starts, LENGTH, horizon, season=SEASON)
    expected = float(errors["model (fed back)"][-1])
    naive, seasonal = float(errors["naive (last value)"][-1]), float(errors["seasonal naive"][-1])
    return verdict(approx(answer, expected, rel=0.02),
                   f"{horizon} month(s) ahead the model's error is {expected:.3g}, against {naive:.3g} for the "
                   f"naive forecast and {seasonal:.3g} for the seasonal-naive one. Try a horizon further away.",
                   f"Run the cell with horizon = {horizon} and copy the printed error into answer "
                   "(a number such as 0.5).")
