"""Seeded synthetic sequence tasks, each built to test one thing an RNN can or cannot do.

Every generator takes ``seed`` and draws from its own ``torch.Generator``, so the
same arguments give the same tensors on every machine, and never touch torch's
global random state. Tensors are on the CPU, float32 or int64.

- :func:`adding` - the adding problem (long-range, many-to-one regression).
- :func:`recall` - remember a symbol for exactly ``lag`` steps (memory span).
- :func:`parity` - XOR of a bit stream (needs every step).
- :func:`noisy_sine` - forecast the next values of a noisy sine.
- :func:`future_tags` - tag each token with the token ``k`` steps later (needs the future).
- :func:`moving_squares` - bouncing squares as (B, T, 1, H, W) frames (ConvLSTM).
- :func:`dates` - date-format translation (seq2seq); spellings in :data:`DATE_FORMATS`.
"""
from __future__ import annotations

import torch

from ._dates import FORMATS as DATE_FORMATS
from ._dates import DateTask, dates

__all__ = ["adding", "recall", "parity", "noisy_sine", "future_tags", "moving_squares",
           "dates", "DateTask", "DATE_FORMATS", "IGNORE"]

IGNORE = -100   # target value for steps without a label (F.cross_entropy's ignore_index)


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"expected {name} an int >= {minimum}, got {value!r}")
    return value


def _rng(seed: int) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"expected seed an int, got {type(seed).__name__}")
    return torch.Generator().manual_seed(seed)


def adding(n: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Returns ``x`` (B, T, 2) float32 and ``y`` (B,) float32. ``x[..., 0]`` holds
    uniform values in [0, 1); ``x[..., 1]`` marks exactly two steps with 1, one in
    each half of the sequence; ``y`` is the sum of the two marked values.
    """
    _count("n", n), _count("length", length, 2)
    g = _rng(seed)
    values = torch.rand(n, length, generator=g)                              # (B, T)
    half = length // 2
    first = torch.randint(0, half, (n,), generator=g)                        # (B,)
    second = torch.randint(half, length, (n,), generator=g)                  # (B,)
    marks = torch.zeros(n, length)                                           # (B, T)
    rows = torch.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]                           # (B,)
    return torch.stack([values, marks], dim=-1), y                           # (B, T, 2)


def recall(n: int, lag: int, n_symbols: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Remember a symbol shown at the first step and answer ``lag`` steps later.

    Returns ``x`` (B, lag + 1) int64 token ids and ``y`` (B,) int64 classes.
    ``x[:, 0]`` is the symbol (ids 1..n_symbols), ``x[:, 1:]`` is blank (id 0);
    the answer is read after the last step, ``lag`` steps after the symbol:
    ``y = x[:, 0] - 1`` in 0..n_symbols-1. Chance accuracy is 1 / n_symbols.
    """
    _count("n", n), _count("lag", lag), _count("n_symbols", n_symbols, 2)
    g = _rng(seed)
    y = torch.randint(0, n_symbols, (n,), generator=g)                       # (B,)
    x = torch.zeros(n, lag + 1, dtype=torch.long)                            # (B, T)
    x[:, 0] = y + 1
    return x, y


def parity(n: int, length: int, running: bool = False, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Parity (XOR) of a random bit stream.

    Returns ``x`` (B, T, 1) float32 bits and ``y`` int64: (B,) the parity of all
    T bits, or with ``running=True`` (B, T) the parity of bits 0..t at each step.
    """
    _count("n", n), _count("length", length)
    g = _rng(seed)
    bits = torch.randint(0, 2, (n, length), generator=g)                     # (B, T)
    prefix = bits.cumsum(dim=1) % 2                                          # (B, T)
    return bits.float().unsqueeze(-1), (prefix if running else prefix[:, -1])


def noisy_sine(n: int, length: int, horizon: int = 1, noise: float = 0.1,
               seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Forecast a sine from its noisy past.

    Each sequence has its own period (uniform in 8..32 steps), phase and
    amplitude (0.5..1.5). Returns ``x`` (B, T, 1) float32, the sine plus Gaussian
    noise of std ``noise`` at steps 0..T-1, and ``y`` (B, horizon) float32, the
    noiseless sine at steps T..T+horizon-1.
    """
    _count("n", n), _count("length", length), _count("horizon", horizon)
    if not 0 <= noise < float("inf"):
        raise ValueError(f"expected a finite noise >= 0, got {noise!r}")
    g = _rng(seed)
    period = 8 + 24 * torch.rand(n, 1, generator=g)                          # (B, 1)
    phase = 2 * torch.pi * torch.rand(n, 1, generator=g)                     # (B, 1)
    amp = 0.5 + torch.rand(n, 1, generator=g)                                # (B, 1)
    t = torch.arange(length + horizon, dtype=torch.float32)                  # (T + horizon,)
    clean = amp * torch.sin(2 * torch.pi * t / period + phase)               # (B, T + horizon)
    x = clean[:, :length] + noise * torch.randn(n, length, generator=g)      # (B, T)
    return x.unsqueeze(-1), clean[:, length:]


def future_tags(n: int, length: int, k: int = 1, n_symbols: int = 8,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Tag each token with the symbol that comes ``k`` steps later.

    Returns ``x`` (B, T) int64 symbols in 0..n_symbols-1 and ``y`` (B, T) int64 with
    ``y[:, t] = x[:, t + k]``, and ``IGNORE`` (-100) for the last ``k`` steps. A
    forward-only RNN has not seen ``x[:, t + k]`` when it tags step t (chance:
    1 / n_symbols); a bidirectional one has.
    """
    _count("n", n), _count("k", k), _count("length", length, k + 1), _count("n_symbols", n_symbols, 2)
    g = _rng(seed)
    x = torch.randint(0, n_symbols, (n, length), generator=g)                # (B, T)
    y = torch.full_like(x, IGNORE)                                           # (B, T)
    y[:, :-k] = x[:, k:]
    return x, y


def moving_squares(n: int, frames: int, size: int = 16, square: int = 3,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Squares of ``square`` x ``square`` pixels moving at constant speed, bouncing off the walls.

    Returns ``video`` (B, T, 1, H, W) float32 (1 inside the square, else 0; H = W =
    ``size``) and ``corner`` (B, T, 2) int64, the (row, column) of each square's top-left
    pixel. Velocities are -1 or +1 pixel per frame on each axis (never still), so frame
    t + 1 is a function of frames t - 1 and t: next-frame prediction is learnable.
    """
    _count("n", n), _count("frames", frames), _count("square", square)
    _count("size", size, square + 1)
    g = _rng(seed)
    span = size - square                                                      # positions 0..span
    pos = torch.randint(0, span + 1, (n, 2), generator=g)                    # (B, 2)
    vel = torch.randint(0, 2, (n, 2), generator=g) * 2 - 1                   # (B, 2)
    corners = []
    for _ in range(frames):
        corners.append(pos.clone())
        step = pos + vel
        bounce = (step < 0) | (step > span)
        vel = torch.where(bounce, -vel, vel)
        pos = pos + vel
    corner = torch.stack(corners, dim=1)                                     # (B, T, 2)
    grid = torch.arange(size)                                                # (H,)
    rows = (grid >= corner[..., :1]) & (grid < corner[..., :1] + square)     # (B, T, H)
    cols = (grid >= corner[..., 1:]) & (grid < corner[..., 1:] + square)     # (B, T, W)
    video = (rows.unsqueeze(-1) & cols.unsqueeze(-2)).float()                # (B, T, H, W)
    return video.unsqueeze(2), corner                                        # (B, T, 1, H, W)
