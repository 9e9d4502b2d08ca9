"""What a torch recurrent cell is and computes: kinds, weights, gates and one time step.

Every loop in rnnviz (capture with a clamped gate, the differentiable unroll of
gradients, the state Jacobians, captured cell calls) steps through :func:`step`.
Letters: B batch, I input size, H hidden size, P output size of a step
(proj_size for a projected LSTM, else H), G gates per cell (4 LSTM, 3 GRU, 1 RNN).

torch facts these functions follow:
- LSTM rows of ``weight_ih_l{k}`` are ordered i, f, g, o; GRU rows r, z, n.
- GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h.
- LSTM with proj_size: h = W_hr (o * tanh(c)).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

RECURRENT = (nn.RNN, nn.LSTM, nn.GRU)
CELLS = (nn.RNNCell, nn.LSTMCell, nn.GRUCell)
GATE_NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ()}
# the range of each gate's activation: sigmoid gates [0, 1], tanh gates [-1, 1]
GATE_RANGE = {"input": (0.0, 1.0), "forget": (0.0, 1.0), "cell": (-1.0, 1.0), "output": (0.0, 1.0),
              "reset": (0.0, 1.0), "update": (0.0, 1.0), "new": (-1.0, 1.0)}
_KINDS = ((nn.LSTM, "LSTM"), (nn.GRU, "GRU"), (nn.RNN, "RNN"),
          (nn.LSTMCell, "LSTM"), (nn.GRUCell, "GRU"), (nn.RNNCell, "RNN"))


def kind_of(module: nn.Module) -> str:
    """'RNN', 'LSTM' or 'GRU' for a torch recurrent module or cell, else a TypeError."""
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    raise TypeError(f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got {type(module).__name__}")


def unreadable(module: nn.Module) -> str | None:
    """Why rnnviz cannot recompute ``module`` exactly, or None when it can.

    rnnviz recomputes torch's own equations from the weights, so a subclass that
    replaces ``forward`` (it may compute anything) cannot be read.
    """
    for cls, _ in _KINDS:
        if isinstance(module, cls):
            if type(module).forward is not cls.forward:
                return (f"{type(module).__name__} subclasses nn.{cls.__name__} but overrides forward, so "
                        f"rnnviz cannot know what it computes; capture a plain nn.{cls.__name__} "
                        f"(or the modules your forward calls)")
            return None
    return f"{type(module).__name__} is not a torch recurrent module"


def check_module(module, *, cells: bool = False) -> str:
    """The kind of a sequence module (and of a cell when ``cells``); a TypeError otherwise."""
    allowed = RECURRENT + (CELLS if cells else ())
    if isinstance(module, CELLS) and not cells:
        raise TypeError(f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got {type(module).__name__}, "
                        "a single-step cell; wrap the same sizes in the matching sequence module instead")
    if not isinstance(module, allowed):
        what = "nn.RNN, nn.LSTM, nn.GRU or one of their cells" if cells else "nn.RNN, nn.LSTM or nn.GRU"
        raise TypeError(f"expected a torch.{what} module, got {type(module).__name__}")
    why = unreadable(module)
    if why is not None:
        raise TypeError(why)
    return kind_of(module)


def check_clamp(kind: str, clamp) -> dict[str, float] | None:
    """``clamp`` as {gate name: float}, or None for no clamp (None or {}).

    Names must be gates of ``kind``; values finite and inside the gate's range
    (sigmoid gates [0, 1], tanh gates [-1, 1]).
    """
    if clamp is None:
        return None
    if not isinstance(clamp, dict):
        raise TypeError(f"expected clamp as a dict of gate name -> float, got {type(clamp).__name__}")
    if not clamp:
        return None
    names = GATE_NAMES[kind]
    if not names:
        raise ValueError(f"a plain {kind} has no gates to clamp; got clamp={clamp!r}")
    out = {}
    for name, value in clamp.items():
        if name not in names:
            raise ValueError(f"unknown {kind} gate {name!r} in clamp; expected one of {list(names)}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"expected a float for clamp[{name!r}], got {type(value).__name__}")
        value = float(value)                                     # numpy and 0-d torch numbers alike
        low, high = GATE_RANGE[name]
        if not (math.isfinite(value) and low <= value <= high):
            act = "sigmoid" if low == 0 else "tanh"
            raise ValueError(f"expected clamp[{name!r}] in [{low:g}, {high:g}] (the range of the {act} "
                             f"gate), got {value!r}")
        out[name] = float(value)
    return out


@dataclass(frozen=True)
class CellWeights:
    """The parameters of one layer and direction, or of one cell (views, no copies)."""

    w_ih: torch.Tensor            # (G*H, I)
    w_hh: torch.Tensor            # (G*H, P)
    b_ih: torch.Tensor | None     # (G*H,)
    b_hh: torch.Tensor | None     # (G*H,)
    w_hr: torch.Tensor | None     # (P, H) LSTM projection, else None


def cell_weights(module: nn.Module, layer: int = 0, direction: int = 0) -> CellWeights:
    """Weights of ``layer`` (0-based) and ``direction`` (0 forward, 1 backward) of a sequence
    module, or of a cell (``weight_ih`` without a suffix)."""
    sfx = "" if isinstance(module, CELLS) else f"_l{layer}" + ("_reverse" if direction else "")
    get = lambda name: getattr(module, name + sfx, None)  # noqa: E731
    return CellWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr"))


def input_part(w: CellWeights, x: torch.Tensor) -> torch.Tensor:
    """W_ih x + b_ih for any leading shape: x (..., I) -> (..., G*H). One matmul for all steps."""
    return F.linear(x, w.w_ih, w.b_ih)


def step(kind: str, nonlinearity: str, w: CellWeights, gi: torch.Tensor, h: torch.Tensor,
         c: torch.Tensor | None = None, clamp: dict[str, float] | None = None):
    """One time step from the input part ``gi`` = W_ih x + b_ih (B, G*H), h (B, P), c (B, H).

    ``clamp`` {gate name: value} replaces those gates by constants (a "what if"
    experiment; the result is then not what torch computes).
    Returns (h_new (B, P), c_new (B, H) or None, gates {name: (B, H)}).
    """
    gh = F.linear(h, w.w_hh, w.b_hh)                                     # (B, G*H)
    clamp = clamp or {}
    fix = lambda name, v: torch.full_like(v, clamp[name]) if name in clamp else v  # noqa: E731
    if kind == "RNN":
        act = torch.tanh if nonlinearity == "tanh" else torch.relu
        return act(gi + gh), None, {}
    if kind == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, dim=-1)                          # 4 x (B, H)
        i, f = fix("input", torch.sigmoid(i)), fix("forget", torch.sigmoid(f))
        g, o = fix("cell", torch.tanh(g)), fix("output", torch.sigmoid(o))
        c_new = f * c + i * g                                            # (B, H)
        h_new = o * torch.tanh(c_new)                                    # (B, H)
        if w.w_hr is not None:
            h_new = h_new @ w.w_hr.T                                     # (B, P)
        return h_new, c_new, {"input": i, "forget": f, "cell": g, "output": o}
    if kind == "GRU":
        i_r, i_z, i_n = gi.chunk(3, dim=-1)                              # 3 x (B, H)
        h_r, h_z, h_n = gh.chunk(3, dim=-1)
        r = fix("reset", torch.sigmoid(i_r + h_r))
        z = fix("update", torch.sigmoid(i_z + h_z))
        n = fix("new", torch.tanh(i_n + r * h_n))
        h_new = (1 - z) * n + z * h                                      # (B, H)
        return h_new, None, {"reset": r, "update": z, "new": n}
    raise ValueError(f"unknown cell kind {kind!r}; expected 'RNN', 'LSTM' or 'GRU'")


def run_direction(kind: str, nonlinearity: str, w: CellWeights, gi: torch.Tensor, h: torch.Tensor,
                  c: torch.Tensor | None, *, reverse: bool = False, valid: torch.Tensor | None = None,
                  clamp: dict[str, float] | None = None):
    """The masked step loop: one layer and direction over time.

    gi: (B, T, G*H) input parts of every step (:func:`input_part`); h (B, P), c (B, H) or None.
    ``valid`` (B, T) bool freezes the state at steps at or past a sequence's length
    (the backward direction then starts at a sequence's last real step, as torch does).
    Returns (hs, cs, gates, h_last, c_last): hs T tensors (B, P) by input position,
    cs T tensors (B, H) or None, gates {name: T tensors (B, H)}.
    """
    gis = gi.unbind(1)                                                   # T x (B, G*H): one backward node
    T = len(gis)
    hs, cs = [None] * T, ([None] * T if c is not None else None)
    gates = {name: [None] * T for name in GATE_NAMES[kind]}
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h_new, c_new, g = step(kind, nonlinearity, w, gis[t], h, c, clamp)
        if valid is not None:
            m = valid[:, t, None]                                        # (B, 1)
            h_new = torch.where(m, h_new, h)
            c_new = torch.where(m, c_new, c) if c is not None else None
        h, c = h_new, c_new
        hs[t] = h
        if cs is not None:
            cs[t] = c
        for name, value in g.items():
            gates[name][t] = value
    return hs, cs, gates, h, c
