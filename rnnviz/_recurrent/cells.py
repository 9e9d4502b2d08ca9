"""Weights and one-step equations of torch's recurrent cells, in torch's own layout.

Shared by capture (batched recompute of the gates) and gradients (a
differentiable unrolled loop). Letters: B batch, I input size, H hidden size,
P output size of a step (proj_size for a projected LSTM, else H).

torch facts these functions follow:
- LSTM rows of ``weight_ih_l{k}`` are ordered i, f, g, o; GRU rows r, z, n.
- GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h.
- LSTM with proj_size: h = W_hr (o * tanh(c)).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

RECURRENT = (nn.RNN, nn.LSTM, nn.GRU)
GATE_NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ()}


def kind_of(module: nn.Module) -> str:
    """'RNN', 'LSTM' or 'GRU' for a torch recurrent module, else a TypeError."""
    for cls in (nn.LSTM, nn.GRU, nn.RNN):  # LSTM/GRU are not RNN subclasses, but be explicit
        if type(module) is cls or isinstance(module, cls):
            return cls.__name__
    raise TypeError(
        f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got {type(module).__name__}"
    )


@dataclass(frozen=True)
class CellWeights:
    """The parameters of one layer and direction (views, no copies)."""

    w_ih: torch.Tensor            # (G*H, I)   G = 4 LSTM, 3 GRU, 1 RNN
    w_hh: torch.Tensor            # (G*H, P)
    b_ih: torch.Tensor | None     # (G*H,)
    b_hh: torch.Tensor | None     # (G*H,)
    w_hr: torch.Tensor | None     # (P, H) LSTM projection, else None


def cell_weights(module: nn.Module, layer: int, direction: int) -> CellWeights:
    """Weights of ``layer`` (0-based) and ``direction`` (0 forward, 1 backward)."""
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    get = lambda name: getattr(module, name + sfx, None)  # noqa: E731
    return CellWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr"))


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return torch.nn.functional.linear(x, w, b)


def step(kind: str, nonlinearity: str, w: CellWeights, x: torch.Tensor, h: torch.Tensor,
         c: torch.Tensor | None = None):
    """One time step. x: (B, I), h: (B, P), c: (B, H) for LSTM.

    Returns (h_new (B, P), c_new (B, H) or None, gates {name: (B, H)}).
    """
    gi = _linear(x, w.w_ih, w.b_ih)                       # (B, G*H)
    gh = _linear(h, w.w_hh, w.b_hh)                       # (B, G*H)
    if kind == "RNN":
        act = torch.tanh if nonlinearity == "tanh" else torch.relu
        return act(gi + gh), None, {}
    if kind == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, dim=-1)           # 4 x (B, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_new = f * c + i * g                             # (B, H)
        h_new = o * torch.tanh(c_new)                     # (B, H)
        if w.w_hr is not None:
            h_new = h_new @ w.w_hr.T                      # (B, P)
        return h_new, c_new, {"input": i, "forget": f, "cell": g, "output": o}
    if kind == "GRU":
        i_r, i_z, i_n = gi.chunk(3, dim=-1)
        h_r, h_z, h_n = gh.chunk(3, dim=-1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h_new = (1 - z) * n + z * h
        return h_new, None, {"reset": r, "update": z, "new": n}
    raise ValueError(f"unknown cell kind {kind!r}; expected 'RNN', 'LSTM' or 'GRU'")
