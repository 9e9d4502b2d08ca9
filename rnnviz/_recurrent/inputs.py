"""Checks and normalises what ``rnnviz.trace`` is given: module, input, hx.

Everything downstream sees one form: a padded batch-first input (B, T, I), the
lengths (B,), and initial states in the module's (L*D, B, P) layout, batch in
the caller's order. Letters: L layers, D directions, B batch, T time,
I input size, H hidden size, P proj_size or H.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .cells import GATE_NAMES, RECURRENT, kind_of

_CELLS = (nn.RNNCell, nn.LSTMCell, nn.GRUCell)


@dataclass
class Prepared:
    """One call of a recurrent module, in the form the capture code works on."""

    kind: str                       # "RNN", "LSTM" or "GRU"
    nonlinearity: str               # "tanh" or "relu" (RNN), else "tanh"
    layers: int                     # L
    directions: int                 # D
    hidden_size: int                # H
    out_size: int                   # P
    x: torch.Tensor                 # (B, T, I), zeros past each length
    lengths: torch.Tensor           # (B,) int64 on the CPU
    full: bool                      # every sequence runs all T steps
    packed: PackedSequence | None   # the caller's packed input, if any
    unbatched: bool
    h0: torch.Tensor                # (L*D, B, P)
    c0: torch.Tensor | None         # (L*D, B, H) for an LSTM


def check_module(rnn) -> str:
    """The kind of ``rnn``; a TypeError that says what is supported otherwise."""
    if isinstance(rnn, _CELLS):
        raise TypeError(
            f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got {type(rnn).__name__}, "
            "a single-step cell; wrap the same sizes in the matching sequence module instead"
        )
    if not isinstance(rnn, RECURRENT):
        raise TypeError(f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got {type(rnn).__name__}")
    return kind_of(rnn)


def check_clamp(kind: str, clamp) -> dict[str, float] | None:
    """``clamp`` as {gate name: float}; names must be gates of this kind."""
    if clamp is None:
        return None
    if not isinstance(clamp, dict):
        raise TypeError(f"expected clamp as a dict of gate name -> float, got {type(clamp).__name__}")
    names = GATE_NAMES[kind]
    if not names:
        raise ValueError(f"a plain {kind} has no gates to clamp; got clamp={clamp!r}")
    out = {}
    for name, value in clamp.items():
        if name not in names:
            raise ValueError(f"unknown {kind} gate {name!r} in clamp; expected one of {list(names)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a float for clamp[{name!r}], got {type(value).__name__}")
        out[name] = float(value)
    return out


def _layout(rnn, kind: str) -> str:
    i = rnn.input_size
    if rnn.batch_first:
        return f"a (batch, time, {i}) tensor for this {kind} (batch_first=True)"
    return f"a (time, batch, {i}) tensor for this {kind} (batch_first=False)"


def _check_tensor(rnn, kind: str, x, what: str) -> None:
    weight = rnn.weight_ih_l0
    if not x.is_floating_point():
        raise TypeError(
            f"expected a floating-point {what} ({weight.dtype}), got {x.dtype}; "
            "token ids go through an nn.Embedding first"
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"expected a {weight.dtype} {what} like the module's weights, got {x.dtype}")
    if x.device != weight.device:
        raise ValueError(f"expected the {what} on the module's device {weight.device}, got {x.device}")


def _prepare_input(rnn, kind: str, inputs):
    """(x (B, T, I), lengths (B,), packed or None, unbatched)."""
    if isinstance(inputs, PackedSequence):
        data = inputs.data
        _check_tensor(rnn, kind, data, "input")
        if data.dim() != 2 or data.size(-1) != rnn.input_size:
            raise ValueError(
                f"expected a PackedSequence of (steps, {rnn.input_size}) data for this {kind}, "
                f"got data of shape {tuple(data.shape)}"
            )
        x, lengths = pad_packed_sequence(inputs, batch_first=True)   # (B, T, I), (B,)
        return x, lengths.to("cpu", torch.int64), inputs, False
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"expected {_layout(rnn, kind)} or a PackedSequence, got {type(inputs).__name__}")
    _check_tensor(rnn, kind, inputs, "input")
    if inputs.dim() not in (2, 3):
        raise ValueError(
            f"expected {_layout(rnn, kind)} or an unbatched (time, {rnn.input_size}) one, "
            f"got {inputs.dim()} dimensions {tuple(inputs.shape)}"
        )
    if inputs.size(-1) != rnn.input_size:
        raise ValueError(
            f"expected input of size {rnn.input_size} in the last dimension ({_layout(rnn, kind)}), "
            f"got {inputs.size(-1)} in shape {tuple(inputs.shape)}"
        )
    unbatched = inputs.dim() == 2
    x = inputs.unsqueeze(0) if unbatched else (inputs if rnn.batch_first else inputs.transpose(0, 1))  # (B, T, I)
    if x.size(0) == 0 or x.size(1) == 0:
        raise ValueError(f"expected at least one sequence of at least one step, got shape {tuple(inputs.shape)}")
    lengths = torch.full((x.size(0),), x.size(1), dtype=torch.int64)
    return x, lengths, None, unbatched


def _prepare_state(rnn, kind, state, name, size, batch, unbatched, like):
    rows = rnn.num_layers * (2 if rnn.bidirectional else 1)
    if state is None:
        return torch.zeros(rows, batch, size, dtype=like.dtype, device=like.device)
    if not isinstance(state, torch.Tensor):
        raise TypeError(f"expected {name} as a tensor, got {type(state).__name__}")
    _check_tensor(rnn, kind, state, name)
    want = (rows, size) if unbatched else (rows, batch, size)
    if tuple(state.shape) != want:
        raise ValueError(
            f"expected {name} of shape {want} (layers*directions, {'' if unbatched else 'batch, '}units) "
            f"for this {kind} and input, got {tuple(state.shape)}"
        )
    return state.unsqueeze(1) if unbatched else state      # (L*D, B, size)


def prepare(rnn, inputs, hx) -> Prepared:
    """Check ``rnn``, ``inputs`` and ``hx`` and bring them into one form (see module doc)."""
    kind = check_module(rnn)
    x, lengths, packed, unbatched = _prepare_input(rnn, kind, inputs)
    batch = x.size(0)
    hidden = rnn.hidden_size
    out = getattr(rnn, "proj_size", 0) or hidden
    if kind == "LSTM":
        if hx is None:
            hx = (None, None)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"expected hx as a tuple (h_0, c_0) for an LSTM, got {type(hx).__name__}")
        h0 = _prepare_state(rnn, kind, hx[0], "h_0", out, batch, unbatched, x)
        c0 = _prepare_state(rnn, kind, hx[1], "c_0", hidden, batch, unbatched, x)
    else:
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"expected hx as one tensor for a {kind}, got a {type(hx).__name__}")
        h0, c0 = _prepare_state(rnn, kind, hx, "hx", out, batch, unbatched, x), None
    return Prepared(
        kind=kind, nonlinearity=getattr(rnn, "nonlinearity", "tanh"), layers=rnn.num_layers,
        directions=2 if rnn.bidirectional else 1, hidden_size=hidden, out_size=out,
        x=x, lengths=lengths, full=bool((lengths == x.size(1)).all()), packed=packed,
        unbatched=unbatched, h0=h0, c0=c0,
    )
