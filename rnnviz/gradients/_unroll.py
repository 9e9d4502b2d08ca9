"""A differentiable, step-by-step copy of a torch recurrent module's forward pass.

``unroll(module, input, hx)`` computes exactly what ``module(input, hx)`` computes,
in exactly the module's output format, but as a Python loop over
``rnnviz._cells.step``, so that every hidden state h_t is its own tensor in the
autograd graph. The gradient autograd gives for that tensor is the *total*
dL/dh_t: the sum over every path from h_t to the loss (the next step of the same
layer and direction, the layer above, the module's output and h_n).

Letters: L layers, D directions, B batch, T time, I input size, H hidden size,
P output size of a step (proj_size of an LSTM, else H).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .._recurrent.cells import cell_weights, kind_of, step


@dataclass
class Unrolled:
    """The graph nodes of one unrolled call, in the module's internal batch order.

    - ``hidden[l][d][t]``: (B, P), the h_t tensor that every later use reads.
    - ``x``: (B, T, I), the module's input as a node used by this call only, so its
      gradient is what flows back to the input *through the recurrent module*.
    - ``valid``: (B, T) bool, False at steps at or past a sequence's length.
    - ``unsorted``: (B,) index that puts the internal order back into the
      caller's batch order (PackedSequence input), or None (same order).
    - ``batched``: False when the module was called on an unbatched (T, I) tensor.
    """

    hidden: list[list[list[torch.Tensor]]]
    x: torch.Tensor
    valid: torch.Tensor
    unsorted: torch.Tensor | None
    batched: bool


def describe(module: nn.Module) -> str:
    """A short name like 'LSTM(8 -> 16, 2 layers, bidirectional, batch_first=True)'."""
    extra = f", {module.num_layers} layers" if module.num_layers > 1 else ""
    extra += ", bidirectional" if module.bidirectional else ""
    return f"{kind_of(module)}({module.input_size} -> {module.hidden_size}{extra}, batch_first={module.batch_first})"


def _own(x: torch.Tensor) -> torch.Tensor:
    """A new graph node equal to ``x`` that only this call uses (a leaf if ``x`` has no graph)."""
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def _input_to_bti(module: nn.Module, input) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, bool]:
    """The input as (B, T, I) in internal order, plus the packed-sequence bookkeeping.

    Returns (x (B, T, I), valid (B, T) or None, unsorted (B,) or None, batched).
    """
    size, dtype = module.input_size, module.weight_ih_l0.dtype
    data = input.data if isinstance(input, PackedSequence) else input
    if isinstance(data, torch.Tensor) and data.dtype != dtype:
        raise TypeError(f"expected input of dtype {dtype} like the module's weights, got {data.dtype}")
    if isinstance(input, PackedSequence):
        batch_sizes = input.batch_sizes                                # (T,)
        if data.dim() != 2 or data.shape[1] != size:
            raise ValueError(f"expected packed data of shape (N, {size}) for this {describe(module)}, "
                             f"got {tuple(data.shape)}")
        B, T = int(batch_sizes[0]), len(batch_sizes)
        valid_tb = torch.arange(B)[None, :] < batch_sizes[:, None]     # (T, B), packed order is t-major
        t_idx, b_idx = valid_tb.nonzero(as_tuple=True)
        t_idx, b_idx = t_idx.to(data.device), b_idx.to(data.device)
        x = data.new_zeros(B, T, size).index_put((b_idx, t_idx), data)  # (B, T, I)
        return x, valid_tb.T.contiguous().to(data.device), input.unsorted_indices, True
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"expected a tensor or PackedSequence as input of this {describe(module)}, "
                        f"got {type(input).__name__}")
    layout = "(batch, time, " if module.batch_first else "(time, batch, "
    if input.dim() not in (2, 3) or input.shape[-1] != size:
        raise ValueError(f"expected a {layout}{size}) tensor (or unbatched (time, {size})) for this "
                         f"{describe(module)}, got {tuple(input.shape)}")
    if input.dim() == 2:
        return input.unsqueeze(0), None, None, False                   # (1, T, I)
    return (input if module.batch_first else input.transpose(0, 1)), None, None, True


def _initial_state(module: nn.Module, hx, B: int, batched: bool, ref: torch.Tensor, sorted_idx):
    """h0 (L*D, B, P) and c0 (L*D, B, H) or None, in internal batch order."""
    LD = module.num_layers * (2 if module.bidirectional else 1)
    P = module.proj_size or module.hidden_size
    is_lstm = kind_of(module) == "LSTM"
    if hx is None:
        h0 = ref.new_zeros(LD, B, P)
        return h0, (ref.new_zeros(LD, B, module.hidden_size) if is_lstm else None)
    if is_lstm and not (isinstance(hx, tuple) and len(hx) == 2):
        raise TypeError(f"expected hx=(h_0, c_0) for this {describe(module)}, got {type(hx).__name__}")
    h0, c0 = hx if is_lstm else (hx, None)
    states = [(h0, P, "h_0")] + ([(c0, module.hidden_size, "c_0")] if is_lstm else [])
    out = []
    for s, width, name in states:
        want = (LD, B, width) if batched else (LD, width)
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != want:
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise ValueError(f"expected {name} of shape {want} for this {describe(module)}, got {got}")
        s = s if batched else s.unsqueeze(1)                           # (L*D, B, width)
        out.append(s.index_select(1, sorted_idx) if sorted_idx is not None else s)
    return out[0], (out[1] if is_lstm else None)


def run_direction(kind: str, nonlinearity: str, w, xs, h, c, reverse: bool, valid=None):
    """One layer and direction over time. xs: T tensors (B, I); h: (B, P); c: (B, H) or None.

    ``valid`` (B, T) bool freezes the state at steps past a sequence's length (the
    backward direction then starts at the sequence's last real step, as torch does).
    Returns (hs: T tensors (B, P) by input position, h_last (B, P), c_last (B, H) or None).
    """
    T = len(xs)
    hs = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h_new, c_new, _ = step(kind, nonlinearity, w, xs[t], h, c)
        if valid is not None:
            m = valid[:, t, None]                                      # (B, 1)
            h_new = torch.where(m, h_new, h)
            c_new = torch.where(m, c_new, c) if c is not None else None
        h, c = h_new, c_new
        hs[t] = h
    return hs, h, c


def unroll(module: nn.Module, input, hx=None, dropout: bool = True):
    """``module(input, hx)`` as an unrolled loop. Returns (output in the module's format, Unrolled).

    ``dropout``: apply the module's between-layer dropout when it is in training
    mode (what torch does); False gives eval semantics.
    """
    kind = kind_of(module)
    D = 2 if module.bidirectional else 1
    x, valid, unsorted, batched = _input_to_bti(module, input)
    x = _own(x)                                                        # (B, T, I)
    B, T = x.shape[0], x.shape[1]
    if T == 0:
        raise ValueError(f"expected at least one time step for this {describe(module)}, got 0")
    sorted_idx = input.sorted_indices if isinstance(input, PackedSequence) else None
    h0, c0 = _initial_state(module, hx, B, batched, x, sorted_idx)
    nonlin = getattr(module, "nonlinearity", "tanh")
    hidden, h_n, c_n = [], [], []
    layer_in = x                                                       # (B, T, I)
    for layer in range(module.num_layers):
        xs = layer_in.unbind(1)                                        # T x (B, I)
        per_dir, outs = [], []
        for d in range(D):
            k = layer * D + d
            hs, h, c = run_direction(kind, nonlin, cell_weights(module, layer, d), xs, h0[k],
                                     None if c0 is None else c0[k], reverse=bool(d), valid=valid)
            per_dir.append(hs)
            outs.append(torch.stack(hs, 1))                            # (B, T, P)
            h_n.append(h)
            c_n.append(c)
        hidden.append(per_dir)
        layer_in = torch.cat(outs, -1) if D == 2 else outs[0]          # (B, T, D*P)
        last = layer == module.num_layers - 1
        if not last and dropout and module.training and module.dropout > 0:
            layer_in = nn.functional.dropout(layer_in, module.dropout, training=True)
    h_n = torch.stack(h_n)                                             # (L*D, B, P)
    c_n = torch.stack(c_n) if kind == "LSTM" else None                 # (L*D, B, H)
    if isinstance(input, PackedSequence):
        t_idx, b_idx = valid.T.nonzero(as_tuple=True)
        output = PackedSequence(layer_in[b_idx, t_idx], input.batch_sizes,
                                input.sorted_indices, input.unsorted_indices)
        if unsorted is not None:
            h_n = h_n.index_select(1, unsorted)
            c_n = c_n.index_select(1, unsorted) if c_n is not None else None
    elif not batched:
        output, h_n = layer_in[0], h_n[:, 0]                           # (T, D*P), (L*D, P)
        c_n = c_n[:, 0] if c_n is not None else None
    else:
        output = layer_in if module.batch_first else layer_in.transpose(0, 1)
    if valid is None:
        valid = torch.ones(B, T, dtype=torch.bool, device=x.device)
    record = Unrolled(hidden, x, valid, unsorted, batched)
    return (output, (h_n, c_n) if kind == "LSTM" else h_n), record
