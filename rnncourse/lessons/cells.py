"""The vanilla RNN, LSTM and GRU cells written out by hand, step by step, with torch's own weights.

Notebook 05 prints these functions and checks that they give the same numbers as
``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``. Letters: B batch, T time, F input features,
H units. Each ``*_step`` takes the weights in torch's layout (``weight_ih_l0`` is
(k*H, F), ``weight_hh_l0`` (k*H, H), with the k gate blocks stacked in torch's order:
LSTM i, f, g, o; GRU r, z, n).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["rnn_step", "lstm_step", "gru_step", "textbook_gru_step", "unroll", "max_difference"]


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); x (B, F), h (B, H) -> h (B, H)."""
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def lstm_step(x, state, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step; x (B, F), state (h, c) each (B, H) -> the new (h, c)."""
    h, c = state
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=-1)   # four (B, H) blocks
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g                  # forget part of the old cell, write the gated candidate
    h = o * torch.tanh(c)              # show a gated view of the cell
    return h, c


def gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One GRU step as torch computes it; x (B, F), h (B, H) -> h (B, H).

    The reset gate multiplies the recurrent term *after* ``W_hn h + b_hn`` (torch's form).
    """
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)                    # (B, H) each
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)                    # (B, H) each
    r = torch.sigmoid(x_r + h_r)       # reset: how much of the old state the candidate sees
    z = torch.sigmoid(x_z + h_z)       # update: how much of the old state to keep
    n = torch.tanh(x_n + r * h_n)      # candidate
    return (1 - z) * n + z * h


def textbook_gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """The GRU of many textbooks (Cho et al. 2014): ``n = tanh(W_in x + W_hn (r * h) + b)``.

    Same weights, a different function: it does *not* reproduce ``nn.GRU`` (kept to show that).
    """
    H = h.shape[-1]
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)                    # (B, H) each
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=-1)                      # (B, H) each
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h


_STEPS = {nn.RNN: rnn_step, nn.LSTM: lstm_step, nn.GRU: gru_step}


@torch.no_grad()
def unroll(module: nn.Module, x: torch.Tensor, step=None) -> torch.Tensor:
    """Run a one-layer, one-direction, batch-first ``nn.RNN``/``nn.LSTM``/``nn.GRU``'s weights
    through a hand-written ``step`` (default: the matching one above), one time step at a time.

    x (B, T, F) -> every step's hidden state (B, T, H), like ``module(x)[0]``.
    """
    kind = type(module)
    if kind not in _STEPS:
        raise TypeError(f"expected an nn.RNN, nn.LSTM or nn.GRU, got {kind.__name__}")
    if module.num_layers != 1 or module.bidirectional or not module.batch_first or not module.bias:
        raise ValueError("expected a one-layer, one-direction recurrent layer with biases and batch_first=True; "
                         f"got num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                         f"batch_first={module.batch_first}, bias={module.bias}")
    if kind is nn.RNN and module.nonlinearity != "tanh":
        raise ValueError(f"rnn_step is the tanh RNN; got nonlinearity={module.nonlinearity!r}")
    if x.dim() != 3 or x.shape[-1] != module.input_size:
        raise ValueError(f"expected a (batch, time, {module.input_size}) tensor, got {tuple(x.shape)}")
    step = step or _STEPS[kind]
    weights = (module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0)
    h = x.new_zeros(x.shape[0], module.hidden_size)                            # (B, H)
    state = (h, h) if kind is nn.LSTM else h
    outputs = []
    for t in range(x.shape[1]):
        state = step(x[:, t], state, *weights)
        outputs.append(state[0] if kind is nn.LSTM else state)                 # (B, H)
    return torch.stack(outputs, 1)                                             # (B, T, H)


@torch.no_grad()
def max_difference(module: nn.Module, x: torch.Tensor, step=None) -> float:
    """Largest absolute difference between :func:`unroll` and the module's own output on ``x``."""
    return float((unroll(module, x, step) - module(x)[0]).abs().max())
