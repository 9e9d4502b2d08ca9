"""``trace``: one call of a recurrent module (or a cell over a sequence) as a ``Trace``.

Letters: L layers, D directions, B batch, T time, H hidden size, P proj_size or H.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .._recurrent.cells import CELLS, cell_weights, check_clamp, input_part, run_direction
from .._recurrent.inputs import Prepared, pack_like, prepare
from .._restore import eval_mode
from ._cells import trace_cell
from ._fast import Result, allocate, run_fast
from ._layout import Trace


def _module_output(rnn, p, res):
    """output, h_n, c_n exactly as the module returns them."""
    if p.packed is not None:
        pk = p.packed
        output = PackedSequence(res.last_data, pk.batch_sizes, pk.sorted_indices, pk.unsorted_indices)
    elif p.unbatched:
        output = res.last[0]                                              # (T, D*P)
    else:
        output = res.last if rnn.batch_first else res.last.transpose(0, 1).contiguous()
    h_n, c_n = res.h_n, res.c_n                                           # (L*D, B, P), (L*D, B, H)
    if p.unbatched:
        h_n, c_n = h_n[:, 0], (c_n[:, 0] if c_n is not None else None)
    return output, h_n, c_n


def run_clamped(rnn, p: Prepared, clamp: dict[str, float]) -> Result:
    """The shared step loop with ``clamp``'s gates fixed; not what the module computes."""
    res = allocate(p)
    B, T = p.x.shape[:2]
    D, P = p.directions, p.out_size
    valid = p.valid()                                                    # (B, T) or None
    x = p.x                                                              # (B, T, I)
    for layer in range(p.layers):
        for d in range(D):
            w = cell_weights(rnn, layer, d)
            row = layer * D + d
            c0 = p.c0[row] if p.c0 is not None else None
            hs, cs, gates, h, c = run_direction(p.kind, p.nonlinearity, w, input_part(w, x), p.h0[row], c0,
                                                reverse=bool(d), valid=valid, clamp=clamp)
            res.hidden[layer, d] = torch.stack(hs, 1)                    # (B, T, P)
            res.h_n[row] = h
            if cs is not None:
                res.cell[layer, d] = torch.stack(cs, 1)                  # (B, T, H)
                res.c_n[row] = c
            for name, values in gates.items():
                res.gates[name][layer, d] = torch.stack(values, 1)      # (B, T, H)
        x = res.hidden[layer].permute(1, 2, 0, 3).reshape(B, T, D * P)   # (B, T, D*P)
    res.last = x
    res.last_data = pack_like(x, p.packed) if p.packed is not None else None
    return res


def trace(rnn, inputs, hx=None, *, clamp: dict[str, float] | None = None) -> Trace:
    """Run ``rnn`` on ``inputs`` and return every hidden state, cell state and gate.

    rnn: a live ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` in any configuration
        (layers, bidirectional, batch_first, bias=False, relu, proj_size), any
        float dtype and device. Dropout between layers is not applied: the
        trace has eval semantics whatever ``rnn.training`` says, and says so in
        ``notes``. The module is not changed (its mode, buffers and the RNG are put
        back; a parametrized weight such as ``spectral_norm``'s is read as in eval
        mode, without a power-iteration step).
    inputs: in the module's own layout: (B, T, I) with batch_first, else
        (T, B, I); unbatched (T, I) gets a batch of 1 in the trace while
        ``output``/``h_n`` stay unbatched as the module returns them; or a
        PackedSequence, whose steps past each length are NaN in the trace.
    hx: as the module takes it ((h_0, c_0) for an LSTM), or None for zeros.
    clamp: optional {gate name: value}, e.g. {"forget": 1.0}, for "what if"
        experiments: a step-by-step loop runs with those gates fixed, so every
        state and ``output`` then differs from the module's (said in ``notes``).
        Values lie in the gate's range ([0, 1] sigmoid gates, [-1, 1] the tanh
        gates "cell" and "new"); ``{}`` is the same as None.

    A single-step ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell`` is stepped over a
    (B, T, I) sequence (unbatched (T, I): a batch of 1), from ``hx`` ((h_0, c_0)
    of (B, H) each for an LSTMCell, h_0 (B, H) otherwise; None for zeros), by
    calling the cell itself once per step: a Trace with L = D = 1, ``output``
    (B, T, H) the stacked h_t, ``batch_first`` True.

    Returns a ``Trace`` (see its docstring for the layout), all detached, in the
    module's dtype and device, equal to torch's own computation to float
    rounding (about 1e-6 in float32, 1e-12 in float64). Its (L, D, B, T, .)
    tensors are views of time-major memory, as the batch_first output of torch's
    own modules is (``.contiguous()`` gives a batch-major copy).

    Cost: one forward through torch's fused kernels, layer by layer, plus one
    batched recompute of the gates (matmuls over all steps at once, for the
    input and for h_{t-1}): on a CPU about 1.5x to 3x the module's own
    forward (bench/trace_overhead.py prints it). Memory of the
    result, with s bytes per element (4 float32, 8 float64):
    LSTM s*L*D*B*T*(P + 5H), GRU s*L*D*B*T*(P + 3H), RNN s*L*D*B*T*P, plus the
    module's own ``output`` s*B*T*D*P. While it runs, the recompute also needs a
    block of about 2 MB (s*B*4H when one step of the batch is larger), a
    time-major copy of the input when it is batch first (s*B*T*I), and for the
    backward direction of sequences of unequal lengths s*B*T*P. E.g. an LSTM of
    256 units, 10,000 steps, batch 1:
    4*10,000*(256 + 5*256) bytes = 61 MB in float32.
    """
    if not isinstance(rnn, nn.Module):
        return _trace(rnn, inputs, hx, clamp, training=False)           # prepare says what was expected
    training = rnn.training
    # eval mode, and everything put back after: a parametrized weight (e.g. spectral_norm) read in
    # training mode runs a power-iteration step and changes its buffers at every read, so the kernel
    # and the recompute would not even see the same weights
    with eval_mode(rnn):
        return _trace(rnn, inputs, hx, clamp, training)


def _trace(rnn, inputs, hx, clamp, training: bool) -> Trace:
    """:func:`trace` inside eval mode; ``training``: the module's own mode, for the notes."""
    if isinstance(rnn, CELLS):
        return trace_cell(rnn, inputs, hx, clamp=clamp)
    p = prepare(rnn, inputs, hx)
    clamp = check_clamp(p.kind, clamp)
    with torch.no_grad():
        res = run_fast(rnn, p) if clamp is None else run_clamped(rnn, p, clamp)
        if not p.full:
            past = ~p.valid()[None, None, :, :, None]                   # (1, 1, B, T, 1)
            for t in [res.hidden, res.cell, *res.gates.values()]:
                if t is not None:
                    t.masked_fill_(past, float("nan"))
        output, h_n, c_n = _module_output(rnn, p, res)
    notes = []
    if rnn.dropout > 0 and rnn.num_layers > 1:
        notes.append(f"dropout={rnn.dropout} not applied: captured in eval semantics"
                     + (" (the module is in training mode)" if training else ""))
    if clamp is not None:
        fixed = ", ".join(f"{k}={v:g}" for k, v in clamp.items())
        notes.append(f"clamped {fixed}: states and output differ from what the module computes")
    if p.unbatched:
        notes.append("unbatched input: batch of 1 in the trace; output and h_n as the module returns them")
    L, D, B = p.layers, p.directions, p.x.size(0)
    initial = lambda s: None if s is None else s.detach().reshape(1, L, D, B, s.size(-1)).clone()  # noqa: E731
    return Trace(kind=p.kind, hidden=res.hidden, cell=res.cell, gates=res.gates, output=output,
                 h_n=h_n, c_n=c_n, lengths=p.lengths.to(p.x.device), batch_first=rnn.batch_first,
                 notes=notes, clamp=clamp, initial_hidden=initial(p.h0), initial_cell=initial(p.c0))
