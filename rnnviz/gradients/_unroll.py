"""A differentiable, step-by-step copy of a torch recurrent module's forward pass.

``unroll(module, input, hx)`` computes exactly what ``module(input, hx)`` computes,
in exactly the module's output format, but as the shared masked step loop
(``rnnviz._recurrent.cells.run_direction``), so that every hidden state h_t is
its own tensor in the autograd graph. The gradient autograd gives for that
tensor is the *total* dL/dh_t: the sum over every path from h_t to the loss
(the next step of the same layer and direction, the layer above, the module's
output and h_n).

Letters: L layers, D directions, B batch, T time, I input size, H hidden size,
P output size of a step (proj_size of an LSTM, else H).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .._recurrent.cells import cell_weights, input_part, run_direction
from .._recurrent.inputs import pack_like, prepare


@dataclass
class Unrolled:
    """The graph nodes of one unrolled call, batch in the caller's order.

    - ``hidden[l][d][t]``: (B, P), the h_t tensor that every later use reads.
    - ``x``: (B, T, I), the module's input as a node used by this call only, so its
      gradient is what flows back to the input *through the recurrent module*.
    - ``valid``: (B, T) bool, False at steps at or past a sequence's length.
    - ``batched``: False when the module was called on an unbatched (T, I) tensor.
    """

    hidden: list[list[list[torch.Tensor]]]
    x: torch.Tensor
    valid: torch.Tensor
    batched: bool


def _own(x: torch.Tensor) -> torch.Tensor:
    """A new graph node equal to ``x`` that only this call uses (a leaf if ``x`` has no graph)."""
    if x.is_inference():                     # made under torch.inference_mode(): autograd needs a normal copy
        x = x.clone()
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def unroll(module: nn.Module, input, hx=None, dropout: bool = True):
    """``module(input, hx)`` as an unrolled loop. Returns (output in the module's format, Unrolled).

    ``dropout``: apply the module's between-layer dropout when it is in training
    mode (what torch does); False gives eval semantics.
    """
    p = prepare(module, input, hx)
    x = _own(p.x)                                                      # (B, T, I)
    B, T = x.shape[:2]
    valid = p.valid()                                                  # (B, T) or None
    hidden, h_n, c_n = [], [], []
    layer_in = x                                                       # (B, T, I)
    for layer in range(p.layers):
        per_dir, outs = [], []
        for d in range(p.directions):
            k = layer * p.directions + d
            w = cell_weights(module, layer, d)
            hs, _, _, h, c = run_direction(p.kind, p.nonlinearity, w, input_part(w, layer_in), p.h0[k],
                                           None if p.c0 is None else p.c0[k], reverse=bool(d), valid=valid)
            per_dir.append(hs)
            outs.append(torch.stack(hs, 1))                            # (B, T, P)
            h_n.append(h)
            c_n.append(c)
        hidden.append(per_dir)
        layer_in = torch.cat(outs, -1) if p.directions == 2 else outs[0]  # (B, T, D*P)
        last = layer == p.layers - 1
        if not last and dropout and module.training and module.dropout > 0:
            layer_in = nn.functional.dropout(layer_in, module.dropout, training=True)
    h_n = torch.stack(h_n)                                             # (L*D, B, P)
    c_n = torch.stack(c_n) if p.kind == "LSTM" else None               # (L*D, B, H)
    if p.packed is not None:
        pk = p.packed
        output = PackedSequence(pack_like(layer_in, pk), pk.batch_sizes, pk.sorted_indices, pk.unsorted_indices)
    elif p.unbatched:
        output, h_n = layer_in[0], h_n[:, 0]                           # (T, D*P), (L*D, P)
        c_n = c_n[:, 0] if c_n is not None else None
    else:
        output = layer_in if module.batch_first else layer_in.transpose(0, 1)
    if valid is None:
        valid = torch.ones(B, T, dtype=torch.bool, device=x.device)
    record = Unrolled(hidden, x, valid, not p.unbatched)
    return (output, (h_n, c_n) if p.kind == "LSTM" else h_n), record
