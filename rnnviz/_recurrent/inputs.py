"""One check and normalisation of what a recurrent module is given: module, input, hx.

``trace``, ``record``, ``gradient_flow`` and ``state_jacobian_norms`` all call
:func:`prepare`, so they accept the same inputs and word their errors alike.
Everything downstream sees one form: a padded batch-first input (B, T, I) in
the caller's batch order, the lengths (B,), and initial states in the module's
(L*D, B, P) layout. Nothing is detached: the gradients code differentiates
through it. Letters: L layers, D directions, B batch, T time, I input size,
H hidden size, P proj_size or H.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .cells import check_module



def model_args(inputs) -> tuple:
    """A whole model's positional arguments: a tuple is the arguments themselves (e.g. ``(ids,
    lengths)`` for ``model(ids, lengths)``), anything else, a PackedSequence too, is the one argument."""
    return inputs if isinstance(inputs, tuple) and not isinstance(inputs, PackedSequence) else (inputs,)

@dataclass
class Prepared:
    """One call of a recurrent module, in the form rnnviz's loops work on."""

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

    def valid(self) -> torch.Tensor | None:
        """(B, T) bool on the input's device, False at steps at or past a length; None when all run T steps."""
        if self.full:
            return None
        return (torch.arange(self.x.size(1)) < self.lengths.unsqueeze(1)).to(self.x.device)


def describe(rnn) -> str:
    """A short name like 'LSTM(8 -> 16, 2 layers, bidirectional, batch_first=True)'."""
    extra = f", {rnn.num_layers} layers" if rnn.num_layers > 1 else ""
    extra += ", bidirectional" if rnn.bidirectional else ""
    return f"{type(rnn).__name__}({rnn.input_size} -> {rnn.hidden_size}{extra}, batch_first={rnn.batch_first})"


def _layout(rnn) -> str:
    i = rnn.input_size
    order = "batch, time" if rnn.batch_first else "time, batch"
    return f"a ({order}, {i}) tensor for this {describe(rnn)}"


def _check_tensor(rnn, x: torch.Tensor, what: str) -> None:
    weight = rnn.weight_ih_l0
    if not x.is_floating_point():
        raise TypeError(f"expected a floating-point {what} ({weight.dtype}), got {x.dtype}; "
                        "token ids go through an nn.Embedding first")
    if x.dtype != weight.dtype:
        raise TypeError(f"expected {what} of dtype {weight.dtype} like the module's weights, got {x.dtype}")
    if x.device != weight.device:
        raise ValueError(f"expected the {what} on the module's device {weight.device}, got {x.device}")


def _prepare_input(rnn, inputs):
    """(x (B, T, I), lengths (B,) int64 CPU, packed or None, unbatched)."""
    if isinstance(inputs, PackedSequence):
        data = inputs.data
        _check_tensor(rnn, data, "input")
        if data.dim() != 2 or data.size(-1) != rnn.input_size:
            raise ValueError(f"expected a PackedSequence of (steps, {rnn.input_size}) data for this "
                             f"{describe(rnn)}, got data of shape {tuple(data.shape)}")
        x, lengths = pad_packed_sequence(inputs, batch_first=True)      # (B, T, I), (B,)
        return x, lengths.to("cpu", torch.int64), inputs, False
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"expected {_layout(rnn)} or a PackedSequence, got {type(inputs).__name__}")
    _check_tensor(rnn, inputs, "input")
    if inputs.dim() not in (2, 3) or inputs.size(-1) != rnn.input_size:
        raise ValueError(f"expected {_layout(rnn)} or an unbatched (time, {rnn.input_size}) one, "
                         f"got shape {tuple(inputs.shape)}")
    unbatched = inputs.dim() == 2
    x = inputs.unsqueeze(0) if unbatched else (inputs if rnn.batch_first else inputs.transpose(0, 1))  # (B, T, I)
    if x.size(1) == 0:
        raise ValueError(f"expected at least one time step, got shape {tuple(inputs.shape)} "
                         "(torch's recurrent modules refuse 0 steps too)")
    lengths = torch.full((x.size(0),), x.size(1), dtype=torch.int64)
    return x, lengths, None, unbatched


def _prepare_state(rnn, state, name: str, size: int, batch: int, unbatched: bool, like: torch.Tensor):
    """An initial state (L*D, B, size), zeros when ``state`` is None."""
    rows = rnn.num_layers * (2 if rnn.bidirectional else 1)
    if state is None:
        return torch.zeros(rows, batch, size, dtype=like.dtype, device=like.device)
    if not isinstance(state, torch.Tensor):
        raise TypeError(f"expected {name} as a tensor, got {type(state).__name__}")
    _check_tensor(rnn, state, name)
    want = (rows, size) if unbatched else (rows, batch, size)
    if tuple(state.shape) != want:
        raise ValueError(f"expected {name} of shape {want} (layers*directions, {'' if unbatched else 'batch, '}"
                         f"units) for this {describe(rnn)} and input, got {tuple(state.shape)}")
    return state.unsqueeze(1) if unbatched else state                  # (L*D, B, size)


def prepare(rnn, inputs, hx) -> Prepared:
    """Check ``rnn``, ``inputs`` and ``hx`` and bring them into one form (see the module doc)."""
    kind = check_module(rnn)
    x, lengths, packed, unbatched = _prepare_input(rnn, inputs)
    batch = x.size(0)
    hidden = rnn.hidden_size
    out = getattr(rnn, "proj_size", 0) or hidden
    if kind == "LSTM":
        if hx is None:
            hx = (None, None)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"expected hx as a tuple (h_0, c_0) for an LSTM, got {type(hx).__name__}")
        h0 = _prepare_state(rnn, hx[0], "h_0", out, batch, unbatched, x)
        c0 = _prepare_state(rnn, hx[1], "c_0", hidden, batch, unbatched, x)
    else:
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"expected hx as one tensor for a {kind}, got a {type(hx).__name__}")
        h0, c0 = _prepare_state(rnn, hx, "h_0", out, batch, unbatched, x), None
    return Prepared(
        kind=kind, nonlinearity=getattr(rnn, "nonlinearity", "tanh"), layers=rnn.num_layers,
        directions=2 if rnn.bidirectional else 1, hidden_size=hidden, out_size=out,
        x=x, lengths=lengths, full=bool((lengths == x.size(1)).all()), packed=packed,
        unbatched=unbatched, h0=h0, c0=c0,
    )


def pack_like(padded: torch.Tensor, packed: PackedSequence) -> torch.Tensor:
    """The packed data (N, F) of ``padded`` (B, T, F), in the order of ``packed``."""
    sizes = packed.batch_sizes                                           # (T,) on the CPU
    steps = torch.repeat_interleave(torch.arange(sizes.numel()), sizes)  # (N,)
    starts = torch.cumsum(sizes, 0) - sizes
    slot = torch.arange(int(sizes.sum())) - torch.repeat_interleave(starts, sizes)
    order = packed.sorted_indices
    rows = slot if order is None else order.cpu()[slot]
    return padded[rows.to(padded.device), steps.to(padded.device)]
