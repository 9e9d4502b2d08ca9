"""The fast, exact way capture computes a trace.

Each layer runs through torch's own fused kernel (``torch._VF.lstm`` and
friends, one layer, both directions), which gives the exact h_t of that layer
for every t. With every h_{t-1} known, all gates of a layer and direction
follow from one batched matmul each for the input and the recurrent part; the
LSTM cell state then follows from the elementwise recurrence
c_t = f_t * c_{t-1} + i_t * g_t, one loop over time for all layers together.

Letters: L layers, D directions, B batch, T time, H hidden size, P proj_size or H,
G gates per cell (4 LSTM, 3 GRU, 1 RNN).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .._recurrent.cells import GATE_NAMES, cell_weights
from .._recurrent.inputs import Prepared

# An LSTM's four gates are projected into a scratch block of about this many bytes at a time
# (1024 rows of 4 x 128 float32 units), small enough that the sigmoid reads it back from cache.
CHUNK_BYTES = 2 ** 21


@dataclass
class Result:
    """Filled in layer by layer; NaN past each length is applied by the caller."""

    hidden: torch.Tensor                 # (L, D, B, T, P)
    cell: torch.Tensor | None            # (L, D, B, T, H)
    gates: dict[str, torch.Tensor]       # name -> (L, D, B, T, H)
    h_n: torch.Tensor                    # (L*D, B, P)
    c_n: torch.Tensor | None             # (L*D, B, H)
    last: torch.Tensor | None = None     # (B, T, D*P) padded output of the last layer
    last_data: torch.Tensor | None = None  # (N, D*P) the same, packed like the input


def allocate(p: Prepared) -> Result:
    """Empty storage for a whole trace."""
    B, T = p.x.shape[:2]
    L, D, H, P = p.layers, p.directions, p.hidden_size, p.out_size
    new = lambda size: p.x.new_empty(L, D, B, T, size)  # noqa: E731
    lstm = p.kind == "LSTM"
    return Result(
        hidden=new(P), cell=new(H) if lstm else None,
        gates={name: new(H) for name in GATE_NAMES[p.kind]},
        h_n=p.x.new_empty(L * D, B, P), c_n=p.x.new_empty(L * D, B, H) if lstm else None,
    )


def _kernel(p: Prepared):
    if p.kind == "RNN":
        return torch._VF.rnn_tanh if p.nonlinearity == "tanh" else torch._VF.rnn_relu
    return torch._VF.lstm if p.kind == "LSTM" else torch._VF.gru


def _params(rnn, p: Prepared, layer: int) -> list[torch.Tensor]:
    """One layer's weights in the order torch's kernels take them."""
    out = []
    for d in range(p.directions):
        w = cell_weights(rnn, layer, d)
        out += [w.w_ih, w.w_hh] + ([w.b_ih, w.b_hh] if rnn.bias else [])
        out += [w.w_hr] if w.w_hr is not None else []
    return out


def _permute(t: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    return t if index is None else t.index_select(1, index)


def _initial_states(p: Prepared) -> list[torch.Tensor]:
    """h0 (L*D, B, P) and for an LSTM c0 (L*D, B, H), in the batch order the kernel reads.

    For packed input the whole state is permuted once and then sliced per layer, as
    ``nn.RNNBase.forward`` does: the CPU kernel's rounding can depend on where a layer's
    rows start in memory, so a separately permuted slice could differ in the last bit."""
    states = [p.h0] + ([p.c0] if p.kind == "LSTM" else [])
    return states if p.packed is None else [_permute(s, p.packed.sorted_indices) for s in states]


def _run_layer(rnn, p: Prepared, layer: int, x: torch.Tensor, data: torch.Tensor | None,
               states: list[torch.Tensor]):
    """torch's fused kernel on one layer: (out (B, T, D*P), packed out data or None, finals).

    states: from :func:`_initial_states`."""
    rows = slice(layer * p.directions, (layer + 1) * p.directions)
    state = tuple(s[rows] for s in states) if p.kind == "LSTM" else states[0][rows]  # (D, B, P), (D, B, H)
    args = (_params(rnn, p, layer), rnn.bias, 1, 0.0, False, p.directions == 2)
    with warnings.catch_warnings():  # CUDA warns about weights outside one flat buffer
        warnings.simplefilter("ignore", UserWarning)
        if p.packed is None:
            res = _kernel(p)(x, state, *args, True)
            return res[0], None, res[1:]
        pk = p.packed
        res = _kernel(p)(data, pk.batch_sizes, state, *args)
    seq = PackedSequence(res[0], pk.batch_sizes, pk.sorted_indices, pk.unsorted_indices)
    out = pad_packed_sequence(seq, batch_first=True, total_length=x.size(1))[0]   # (B, T, D*P)
    return out, res[0], tuple(_permute(s, pk.unsorted_indices) for s in res[1:])


def _previous(p: Prepared, hid: torch.Tensor, h0: torch.Tensor, direction: int) -> torch.Tensor:
    """h_{t-1} as seen by the step at each t: (B, T, P) from hid (B, T, P) and h0 (B, P)."""
    if direction == 0:
        return torch.cat([h0.unsqueeze(1), hid[:, :-1]], dim=1)          # (B, T, P)
    prev = torch.cat([hid[:, 1:], h0.unsqueeze(1)], dim=1)               # (B, T, P)
    if not p.full:  # the backward pass of a shorter sequence starts from h0 at its last step
        rows = torch.arange(prev.size(0), device=prev.device)
        prev[rows, p.lengths.to(prev.device) - 1] = h0
    return prev


def _project(parts: list[torch.Tensor], w: torch.Tensor, rows: slice, b: torch.Tensor | None,
             out: torch.Tensor) -> torch.Tensor:
    """sum_k parts[k] @ w[rows, cols_k].T + b into ``out`` (N, H), no new allocation.

    parts: (N, K_k) contiguous pieces of the input whose widths add up to w's columns
    (the two directions of the layer below, so they need no concatenation).
    """
    start = 0
    for k, part in enumerate(parts):
        piece = w[rows, start:start + part.size(1)].T                   # (K_k, H)
        if k:
            out.addmm_(part, piece)
        elif b is None:
            torch.mm(part, piece, out=out)
        else:
            torch.addmm(b, part, piece, out=out)
        start += part.size(1)
    return out


def _recompute(rnn, p: Prepared, res: Result, layer: int, d: int, parts: list[torch.Tensor],
               work: torch.Tensor) -> None:
    """All gates of one layer and direction from the known h_t (the LSTM cell follows in
    :func:`_cell_states`).

    parts: the layer input as contiguous (B*T, K) pieces. work: for an LSTM a
    (rows, 4H) scratch block, its gates projected chunk by chunk and activated into
    their own storage; for a GRU a (B*T, H) buffer for W_hn h + b_hn, its gates
    projected straight into their storage and activated in place.
    """
    w = cell_weights(rnn, layer, d)
    row = layer * p.directions + d
    B, T = p.x.shape[:2]
    H = p.hidden_size
    prev = [_previous(p, res.hidden[layer, d], p.h0[row], d).view(B * T, p.out_size)]  # (B*T, P)
    block = lambda k: slice(k * H, (k + 1) * H)  # noqa: E731
    bias = lambda b, k: None if b is None else b[block(k)]  # noqa: E731
    gate = lambda name: res.gates[name][layer, d].view(B * T, H)  # noqa: E731
    if p.kind == "GRU":
        for k, name in enumerate(GATE_NAMES["GRU"][:2]):
            out = _project(parts, w.w_ih, block(k), bias(w.b_ih, k), gate(name))
            out.addmm_(prev[0], w.w_hh[block(k)].T)
            if w.b_hh is not None:
                out += w.b_hh[block(k)]
            out.sigmoid_()
        n = _project(parts, w.w_ih, block(2), bias(w.b_ih, 2), gate("new"))      # W_in x + b_in
        h_n = _project(prev, w.w_hh, block(2), bias(w.b_hh, 2), work)           # W_hn h + b_hn
        _tanh_(n.addcmul_(gate("reset"), h_n))
        return
    if p.kind != "LSTM":
        return
    # One wide product for all four gates, row chunk by row chunk, so the activations read it
    # back from cache. The cell gate's rows are doubled: tanh(x) = 2 sigmoid(2x) - 1, and a
    # factor 2 is exact in floating point, so one sigmoid serves every gate (see _tanh_).
    two = w.w_ih.new_ones(4 * H, 1)
    two[block(2)] = 2
    w_ih, w_hh = w.w_ih * two, w.w_hh * two                              # (4H, I), (4H, P)
    both = None if w.b_ih is None else (w.b_ih + w.b_hh) * two[:, 0]     # (4H,)
    step = work.size(0)
    for s in range(0, B * T, step):
        e = min(B * T, s + step)
        out = _project([part[s:e] for part in parts], w_ih, slice(None), both, work[:e - s])
        out.addmm_(prev[0][s:e], w_hh.T)                                 # (rows, 4H)
        for k, name in enumerate(GATE_NAMES["LSTM"]):
            torch.sigmoid(out[:, block(k)], out=gate(name)[s:e])
    gate("cell").mul_(2).sub_(1)


def _cell_states(p: Prepared, res: Result) -> None:
    """Every LSTM cell state: c_t = f_t * c_{t-1} + i_t * g_t, all layers in one loop over time
    (each layer's gates are already known), one direction after the other. A step at or past
    a sequence's length keeps c; those steps are NaN-ed by the caller."""
    i, f, g = (res.gates[name] for name in ("input", "forget", "cell"))       # (L, D, B, T, H)
    torch.mul(i, g, out=res.cell)                                            # i*g for now
    L, D = p.layers, p.directions
    T = p.x.size(1)
    c0 = p.c0.reshape(L, D, *p.c0.shape[1:])                                 # (L, D, B, H)
    valid = None if p.full else p.valid().unsqueeze(-1).unbind(1)            # T x (B, 1)
    for d in range(D):
        cells, forgets = res.cell[:, d].unbind(2), f[:, d].unbind(2)         # T x (L, B, H)
        c = c0[:, d]                                                         # (L, B, H)
        for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
            if valid is None:
                c = cells[t].addcmul_(forgets[t], c)                         # c_t = f_t c_{t-1} + i_t g_t
            else:
                c = torch.where(valid[t], cells[t].addcmul_(forgets[t], c), c, out=cells[t])


def _tanh_(t: torch.Tensor) -> torch.Tensor:
    """tanh in place as 2 sigmoid(2x) - 1: the same function, within about 2e-7 absolute in float32
    (the rounding of the last step), and several times faster than ``tanh_`` on the CPU (measured
    3.7 ms against 1.1 ms for 6400 x 128 floats on 2 threads), which made it a large share of a trace."""
    return t.mul_(2).sigmoid_().mul_(2).sub_(1)


def run_fast(rnn, p: Prepared) -> Result:
    """Exact trace: fused kernel per layer, then a batched recompute of the gates."""
    res = allocate(p)
    B, T = p.x.shape[:2]
    D, P = p.directions, p.out_size
    H = p.hidden_size
    if p.kind == "LSTM":  # a chunk of rows of all four gates, about CHUNK_BYTES
        work = p.x.new_empty(max(1, min(B * T, CHUNK_BYTES // (4 * H * p.x.element_size()))), 4 * H)
    else:
        work = p.x.new_empty(B * T, H)                                   # (B*T, H)
    x, data = p.x, (p.packed.data if p.packed is not None else None)
    parts = [x.reshape(B * T, x.size(-1))]                                       # (B*T, I)
    states = _initial_states(p)
    for layer in range(p.layers):
        out, out_data, finals = _run_layer(rnn, p, layer, x, data, states)   # (B, T, D*P)
        res.hidden[layer] = out.view(B, T, D, P).permute(2, 0, 1, 3)
        rows = slice(layer * D, (layer + 1) * D)
        res.h_n[rows] = finals[0]
        if res.c_n is not None:
            res.c_n[rows] = finals[1]
        for d in range(D):
            _recompute(rnn, p, res, layer, d, parts, work)
        parts = [res.hidden[layer, d].view(B * T, P) for d in range(D)]  # D x (B*T, P)
        x, data = out, out_data
    if p.kind == "LSTM":
        _cell_states(p, res)
    res.last, res.last_data = x, data
    return res
