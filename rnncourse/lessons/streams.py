"""Long streams and truncated backpropagation through time (notebook 02).

A network that reads one long stream (a book, a sensor) cannot backpropagate through
all of it: the graph would hold every step. Truncated BPTT cuts the stream into chunks
of ``chunk`` steps, carries the hidden state from one chunk to the next (the model
still *sees* the whole past) but calls ``detach()`` on it, so the gradient stops at the
chunk's first step. A dependency longer than the chunk then never produces a learning
signal: :func:`tbptt_run` measures that on :func:`delayed_copy_stream`.

:func:`clip_directions` compares the two usual ways of clipping a gradient.

Letters: B parallel streams, T time, V vocabulary, H units.
"""
from __future__ import annotations

import math
import time

import torch
from torch import nn

__all__ = ["delayed_copy_stream", "StreamModel", "tbptt_run", "clip_directions", "exploding_gradient"]


def delayed_copy_stream(streams: int, length: int, lag: int, n_symbols: int = 4,
                        seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random symbols, and as target at every step the symbol seen ``lag`` steps earlier.

    Returns ``x`` (B, T) int64 in [0, n_symbols) and ``y`` (B, T) int64, with ``y[:, t] =
    x[:, t - lag]`` and ``-100`` (ignored by cross-entropy) for the first ``lag`` steps.
    Chance accuracy is ``1 / n_symbols``.
    """
    if lag < 1 or length <= lag:
        raise ValueError(f"need 1 <= lag < length, got lag={lag}, length={length}")
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, n_symbols, (streams, length), generator=g)                # (B, T)
    y = torch.full_like(x, -100)
    y[:, lag:] = x[:, :-lag]
    return x, y


class StreamModel(nn.Module):
    """Embedding, one GRU layer and a per-step classifier; ``forward(x, h)`` returns (logits, h)."""

    def __init__(self, n_symbols: int = 4, hidden_size: int = 32):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, 8)
        self.rnn = nn.GRU(8, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_symbols)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None):
        out, h = self.rnn(self.embedding(x), h)                                    # (B, T, H), (1, B, H)
        return self.head(out), h                                                   # (B, T, V)


def tbptt_run(chunk: int, lag: int, *, streams: int = 32, length: int = 1200, n_symbols: int = 4,
              hidden_size: int = 32, epochs: int = 3, lr: float = 1e-2, seed: int = 0) -> dict:
    """Train a :class:`StreamModel` on :func:`delayed_copy_stream` with truncated BPTT.

    Each epoch walks the training streams in chunks of ``chunk`` steps; the hidden state is
    carried across chunks and detached at every boundary. Returns ``{"accuracy": held-out
    per-step accuracy on fresh streams read in one pass, "steps": optimiser steps,
    "seconds": training time}``. The held-out streams are read whole, so a model that
    learned the dependency uses it whatever the chunk was.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    x, y = delayed_copy_stream(streams, length, lag, n_symbols, seed=seed + 1)
    x_test, y_test = delayed_copy_stream(64, 400, lag, n_symbols, seed=seed + 2)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = StreamModel(n_symbols, hidden_size)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    steps, start = 0, time.perf_counter()
    model.train()
    for _ in range(epochs):
        h = None
        for t0 in range(0, length, chunk):
            logits, h = model(x[:, t0:t0 + chunk], h)                              # (B, chunk, V)
            h = h.detach()                                        # the state goes on, its gradient stops here
            target = y[:, t0:t0 + chunk]
            if bool((target >= 0).any()):
                loss = loss_fn(logits.reshape(-1, n_symbols), target.reshape(-1))
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                steps += 1
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        logits, _ = model(x_test)                                                  # (B, T, V)
        keep = y_test >= 0
        accuracy = float((logits.argmax(-1)[keep] == y_test[keep]).float().mean())
    return {"accuracy": accuracy, "steps": steps, "seconds": seconds}


def clip_directions(grad: torch.Tensor, limit: float) -> dict[str, float]:
    """Clip ``grad`` (any shape) by its norm and element-wise at ``limit``; compare directions.

    Returns ``{"norm before", "norm after (norm clip)", "norm after (value clip)",
    "cosine (norm clip)", "cosine (value clip)"}``: the cosine between the clipped and the
    raw gradient is exactly 1 for norm clipping (only the length changes) and below 1
    for element-wise clipping, which flattens the large coordinates and so turns the step.
    """
    if not limit > 0:
        raise ValueError(f"limit must be > 0, got {limit!r}")
    g = grad.detach().double().reshape(-1)                                       # (N,)
    norm = float(g.norm())
    by_norm = g * min(1.0, limit / norm) if norm > 0 else g
    by_value = g.clamp(-limit, limit)

    def cosine(a: torch.Tensor) -> float:
        denom = float(a.norm()) * norm
        return float(a @ g) / denom if denom > 0 else math.nan

    return {"norm before": norm, "norm after (norm clip)": float(by_norm.norm()),
            "norm after (value clip)": float(by_value.norm()),
            "cosine (norm clip)": cosine(by_norm), "cosine (value clip)": cosine(by_value)}


def exploding_gradient(data: tuple[torch.Tensor, torch.Tensor], *, radius: float = 1.5, hidden_size: int = 32,
                       batch_size: int = 32, seed: int = 0) -> torch.Tensor:
    """The first gradient of :func:`memory.exploding_run`'s model: (N,) all parameters, flattened.

    Same model and start as ``exploding_run`` (a vanilla RNN regressor whose W_hh has spectral
    radius ``radius``), mean squared error on the first ``batch_size`` examples of ``data``.
    """
    from .memory import exploding_model

    x, y = data
    with torch.random.fork_rng():                                # leave the caller's random numbers alone
        model = exploding_model(x.shape[-1], y.shape[-1], radius=radius, hidden_size=hidden_size, seed=seed)
    loss = nn.functional.mse_loss(model(x[:batch_size]), y[:batch_size])
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return torch.cat([g.reshape(-1) for g in grads])
