"""Long noisy signals for notebook 04's CNN-RNN section, and the convolution-only baseline.

- :func:`bursts`: one short sine burst hides somewhere in a long noisy signal; fast or slow?
  A Conv1D front end pays off here (and alone already suffices);
- :func:`ordered_bursts`: a fast and a slow burst; which came first? Here the order decides,
  and the RNN behind the convolution earns its place;
- :class:`ConvOnly`: the front end of ``ConvRNN`` without the RNN, pooled over all positions.

Letters: B batch, T time, F input features, C channels, K classes.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from rnnviz.models import validate as _check

__all__ = ["bursts", "ordered_bursts", "ConvOnly"]


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"expected {name} an int >= {minimum}, got {value!r}")
    return value


def bursts(n: int, length: int, width: int = 32, noise: float = 1.0, seed: int = 0):
    """Long noisy signals that each hide one short sine burst: is the burst fast or slow?

    Every sequence is Gaussian noise (std ``noise``) plus, somewhere, a burst of
    ``width`` steps with amplitude 2: period 6 steps for class 1, 16 for class 0.
    Returns ``x`` (B, T, 1) float32 and ``y`` (B,) int64. The answer is local (a few
    dozen steps) but may sit anywhere in a long sequence: a convolution finds it, an
    RNN alone must carry it across hundreds of noisy steps.
    """
    _count("n", n), _count("width", width, 2), _count("length", length, width)
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)                                # (B,)
    x = noise * torch.randn(n, length, generator=g)                          # (B, T)
    start = torch.randint(0, length - width + 1, (n,), generator=g)           # (B,)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)                       # (B, 1)
    period = torch.where(y == 1, 6.0, 16.0)[:, None]                          # (B, 1)
    t = torch.arange(width)                                                   # (width,)
    burst = 2.0 * torch.sin(2 * math.pi * t / period + phase)                 # (B, width)
    x.scatter_add_(1, start[:, None] + t, burst)
    return x.unsqueeze(-1), y                                                 # (B, T, 1)



def ordered_bursts(n: int, length: int, width: int = 32, noise: float = 1.0, seed: int = 0):
    """Long noisy signals with two bursts, one fast (period 6) and one slow (period 16):
    which comes first? ``y`` is 1 when the fast burst comes first, else 0.

    The two bursts never overlap. Returns ``x`` (B, T, 1) float32 and ``y`` (B,) int64.
    Both classes contain the same two patterns, so a model that only detects *what*
    is in the signal, not *in which order*, stays at chance.
    """
    _count("n", n), _count("width", width, 2), _count("length", length, 2 * width)
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)                                # (B,)
    x = noise * torch.randn(n, length, generator=g)                          # (B, T)
    first = (torch.rand(n, generator=g) * (length - 2 * width + 1)).long()   # (B,)
    room = length - width - (first + width) + 1                               # (B,) starts left for the second
    second = first + width + (torch.rand(n, generator=g) * room).long()       # (B,)
    t = torch.arange(width)                                                   # (width,)
    for start, fast in ((first, y == 1), (second, y == 0)):
        phase = 2 * math.pi * torch.rand(n, 1, generator=g)                   # (B, 1)
        period = torch.where(fast, 6.0, 16.0)[:, None]                        # (B, 1)
        x.scatter_add_(1, start[:, None] + t, 2.0 * torch.sin(2 * math.pi * t / period + phase))
    return x.unsqueeze(-1), y                                                 # (B, T, 1)


class ConvOnly(nn.Module):
    """The convolutional front end of :class:`~rnnviz.models.ConvRNN` with no RNN behind it.

    conv (stride) -> ReLU -> max pooling, as in ConvRNN, then the maximum of each channel
    over all remaining positions and a linear layer. It can tell *whether* a pattern occurs
    anywhere, but not *when* or in which order. ``forward(x (B, T, F))`` -> (B, K).
    """

    def __init__(self, input_size: int, *, conv_channels: int = 16, kernel_size: int = 7, stride: int = 2,
                 pool: int = 4, output_size: int = 2):
        super().__init__()
        self.input_size = input_size
        self.conv = nn.Conv1d(input_size, conv_channels, kernel_size, stride=stride, padding=kernel_size // 2)
        self.pool = nn.MaxPool1d(pool) if pool > 1 else nn.Identity()
        self.head = nn.Linear(conv_channels, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check.features(x, self.input_size)
        z = self.pool(torch.relu(self.conv(x.transpose(1, 2))))               # (B, C, T')
        return self.head(z.amax(-1))                                          # (B, K)
