"""lessons.forecast: feeding a forecaster its own forecasts, and the errors per horizon against the baselines."""
import pytest
import torch
from torch import nn

from rnncourse.lessons import forecast


class Echo(nn.Module):
    """Forecasts the mean of the last two values of a window: (N, T, 1) -> (N, 1)."""

    def forward(self, x):
        return x[:, -2:, 0].mean(1, keepdim=True)


def test_rollout_feeds_forecasts_back_by_hand():
    x = torch.tensor([[1.0, 2.0, 4.0]]).unsqueeze(-1)                  # (1, 3, 1)
    got = forecast.rollout(Echo(), x, 3)
    a = (2 + 4) / 2
    b = (4 + a) / 2
    c = (a + b) / 2
    torch.testing.assert_close(got, torch.tensor([[a, b, c]]))
    with pytest.raises(ValueError, match="N, T, 1"):
        forecast.rollout(Echo(), x[..., 0], 2)


def test_horizon_errors_by_hand():
    series = torch.arange(30.0) % 5                                     # period 5, exactly
    starts = torch.tensor([10, 17])
    e = forecast.horizon_errors(Echo(), series, starts, length=4, steps=3, season=5)
    assert set(e) == {"model (fed back)", "naive (last value)", "seasonal naive"}
    assert torch.equal(e["seasonal naive"], torch.zeros(3))              # the period is exact
    truth = torch.stack([series[s:s + 3] for s in starts])              # (N, K)
    last = torch.stack([series[s - 1] for s in starts])[:, None]
    torch.testing.assert_close(e["naive (last value)"], ((truth - last) ** 2).mean(0))
    windows = torch.stack([series[s - 4:s] for s in starts]).unsqueeze(-1)
    torch.testing.assert_close(e["model (fed back)"], ((forecast.rollout(Echo(), windows, 3) - truth) ** 2).mean(0))
    with pytest.raises(ValueError, match="starts"):
        forecast.horizon_errors(Echo(), series, torch.tensor([3]), length=4, steps=3, season=5)


def test_horizon_figure_traces():
    series = torch.sin(torch.arange(60.0))
    starts = torch.arange(20, 50)
    fig = forecast.horizon_figure(Echo(), series, starts, length=4, horizon=2, season=10, time=torch.arange(60) / 12)
    names = [t.name for t in fig.data]
    assert names == ["truth", "naive (last value)", "seasonal naive", "model fed back, 2 ahead"]   # model on top
    assert list(fig.data[0].y) == pytest.approx(series[starts + 1].tolist())
    assert list(fig.data[0].x) == pytest.approx((torch.arange(21, 51) / 12).tolist())
    assert list(fig.data[1].y) == pytest.approx(series[starts - 1].tolist())
    assert list(fig.data[2].y) == pytest.approx(series[starts + 1 - 10].tolist())
    assert fig.layout.xaxis.title.text == "year" and fig.data[3].line.width > fig.data[1].line.width
