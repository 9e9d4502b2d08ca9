"""Forecasting a series step by step, and what each further step costs (notebook 03).

- :func:`rollout` - a one-step forecaster fed its own forecasts, k steps ahead.
- :func:`horizon_errors` - mean squared error at every horizon 1..k: the rolled-out model
  against the naive forecast (the last value) and the seasonal-naive one (the value one
  season earlier).
- :func:`horizon_figure` - a plotly figure of the truth and the forecasts made k steps before.

Letters: N windows, T time, K horizons.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["rollout", "horizon_errors", "horizon_figure"]


@torch.no_grad()
def rollout(model: nn.Module, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Forecasts 1..``steps`` ahead from windows ``x`` (N, T, 1), each one fed back as the next input.

    ``model`` maps (N, T, 1) to the next value (N, 1). The window slides: after every step
    its oldest value drops out and the forecast joins at the end. Returns (N, steps).
    """
    if x.dim() != 3 or x.shape[-1] != 1:
        raise ValueError(f"expected windows of shape (N, T, 1), got {tuple(x.shape)}")
    if steps < 1:
        raise ValueError(f"expected steps >= 1, got {steps}")
    was_training = model.training
    model.eval()
    try:
        window, out = x, []
        for _ in range(steps):
            nxt = model(window).reshape(-1, 1, 1)                                # (N, 1, 1)
            out.append(nxt[:, 0, 0])
            window = torch.cat([window[:, 1:], nxt], dim=1)                     # (N, T, 1)
    finally:
        model.train(was_training)
    return torch.stack(out, dim=1)                                               # (N, K)


def horizon_errors(model: nn.Module, series: torch.Tensor, starts: torch.Tensor, length: int, steps: int,
                   season: int) -> dict[str, torch.Tensor]:
    """Mean squared error at horizons 1..``steps`` for windows of ``length`` values ending
    just before each of ``starts`` (indices into the (T,) ``series``).

    Returns {"model (fed back)", "naive (last value)", "seasonal naive": (K,) tensors}. The
    seasonal-naive forecast of ``series[s + h - 1]`` is ``series[s + h - 1 - season]``.
    """
    series = torch.as_tensor(series, dtype=torch.float32)
    starts = torch.as_tensor(starts)
    if int(starts.min()) < max(length, season) or int(starts.max()) + steps > series.shape[0]:
        raise ValueError(f"starts must lie in [{max(length, season)}, {series.shape[0] - steps}] so that every "
                         "window, season and horizon is inside the series")
    x = series[starts[:, None] + torch.arange(-length, 0)].unsqueeze(-1)         # (N, T, 1)
    idx = starts[:, None] + torch.arange(steps)                                  # (N, K)
    truth = series[idx]                                                          # (N, K)
    forecasts = {"model (fed back)": rollout(model, x, steps),
                 "naive (last value)": x[:, -1, 0:1].expand(-1, steps),
                 "seasonal naive": series[idx - season]}
    return {name: ((f - truth) ** 2).mean(0) for name, f in forecasts.items()}


def horizon_figure(model: nn.Module, series: torch.Tensor, starts: torch.Tensor, length: int, horizon: int,
                   season: int, time=None, time_title: str = "year"):
    """A plotly figure of ``series`` at ``starts + horizon - 1`` and the forecasts made ``horizon``
    steps before: the naive and the seasonal-naive one (thin, dashed), and on top of them the model
    fed back its own forecasts (the line the lesson is about, drawn last and thickest).

    ``time`` (T,) labels the x axis, titled ``time_title`` (default: the index, titled "step").
    Other arguments as :func:`horizon_errors`.
    """
    import plotly.graph_objects as go

    series = torch.as_tensor(series, dtype=torch.float32)
    starts = torch.as_tensor(starts)
    x = series[starts[:, None] + torch.arange(-length, 0)].unsqueeze(-1)          # (N, T, 1)
    target = starts + horizon - 1                                                  # (N,)
    forecasts = {"naive (last value)": (x[:, -1, 0], dict(color="#999999", width=1, dash="dot")),
                 "seasonal naive": (series[target - season], dict(color="#0072B2", width=1.2, dash="dash")),
                 f"model fed back, {horizon} ahead": (rollout(model, x, horizon)[:, -1],
                                                      dict(color="#D55E00", width=2.5))}
    when = (torch.as_tensor(time)[target] if time is not None else target).tolist()
    fig = go.Figure(go.Scatter(x=when, y=series[target].tolist(), name="truth", line=dict(color="black", width=2)))
    for name, (values, line) in forecasts.items():
        fig.add_trace(go.Scatter(x=when, y=values.tolist(), name=name, line=line))
    fig.update_layout(title=f"test months: truth and forecasts made {horizon} steps before", height=360,
                      margin=dict(l=50, r=10, t=40, b=40), legend=dict(orientation="h", y=-0.22),
                      xaxis_title=time_title if time is not None else "step",
                      yaxis_title="standardised value", template="plotly_white")   # rnnviz's look
    return fig
