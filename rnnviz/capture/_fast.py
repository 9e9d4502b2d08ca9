"""The fast, exact way capture computes a trace.

Each layer runs through torch's own fused kernel (``torch._VF.lstm`` and
friends, one layer, both directions), which gives the exact h_t of that layer
for every t. With every h_{t-1} known, all gates of a layer and direction
follow from one batched matmul each for the input and the recurrent part, a
block of time steps at a time; the LSTM cell state then follows from the
elementwise recurrence c_t = f_t * c_{t-1} + i_t * g_t over the block's steps
while its gates are still in cache.

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

# The gates are projected into a scratch block of about this many bytes at a time (1024 rows of
# 4 x 128 float32 units: 32 steps of a batch of 32), small enough to stay in cache while the
# activations and the LSTM cell recurrence read it back.
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
    """Empty storage for a whole trace.

    Each tensor is laid out time-major in memory, (L, D, T, B, .), and handed out as its
    (L, D, B, T, .) view, as torch's own batch_first output is a view of time-major memory:
    the recompute then writes a block of time steps as one contiguous run."""
    B, T = p.x.shape[:2]
    L, D, H, P = p.layers, p.directions, p.hidden_size, p.out_size
    new = lambda size: p.x.new_empty(L, D, T, B, size).transpose(2, 3)  # noqa: E731  (L, D, B, T, size)
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
    """torch's fused kernel on one layer: (out (T, B, D*P) contiguous, packed out data or None, finals).

    x: the layer's input (B, T, F) exactly as the module hands it to its kernel (a float64
    input projection can round differently on another memory layout): the first layer's is
    the caller's input seen batch first, a later layer's the time-major output below it
    seen batch first. states: from :func:`_initial_states`."""
    rows = slice(layer * p.directions, (layer + 1) * p.directions)
    state = tuple(s[rows] for s in states) if p.kind == "LSTM" else states[0][rows]  # (D, B, P), (D, B, H)
    args = (_params(rnn, p, layer), rnn.bias, 1, 0.0, False, p.directions == 2)
    with warnings.catch_warnings():  # CUDA warns about weights outside one flat buffer
        warnings.simplefilter("ignore", UserWarning)
        if p.packed is None:
            res = _kernel(p)(x, state, *args, True)
            return res[0].transpose(0, 1).contiguous(), None, res[1:]     # the kernel's own time-major output
        pk = p.packed
        res = _kernel(p)(data, pk.batch_sizes, state, *args)
    seq = PackedSequence(res[0], pk.batch_sizes, pk.sorted_indices, pk.unsorted_indices)
    out = pad_packed_sequence(seq, total_length=x.size(1))[0].contiguous()    # (T, B, D*P)
    return out, res[0], tuple(_permute(s, pk.unsorted_indices) for s in res[1:])


def _shifted_backward(p: Prepared, hid: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """h_{t-1} of the backward direction when sequences end at different steps: (T*B, P).

    The step at t reads h at t+1, except at a sequence's last real step, which reads h0
    (the backward pass of a shorter sequence starts there)."""
    B = h0.size(0)
    prev = torch.cat([hid[B:], h0])                                      # (T*B, P), time-major rows
    ends = (p.lengths.to(prev.device) - 1) * B + torch.arange(B, device=prev.device)  # (B,)
    prev[ends] = h0
    return prev


def _sources(d: int, s: int, e: int, hid: torch.Tensor, h0: torch.Tensor, shifted: torch.Tensor | None):
    """Where the rows s..e of a layer (time-major, t*B + b; s and e multiples of B) read their
    h_{t-1}: a list of (first, stop, h (stop - first, P)) pieces, rows counted from s.

    Mostly a view of the layer's own output one step earlier (forward) or later
    (backward); the first step of each sequence reads h0 (B, P)."""
    B, N = h0.size(0), hid.size(0)
    if shifted is not None:
        return [(0, e - s, shifted[s:e])]
    if d == 0:
        pieces = [(0, B, h0)] if s == 0 else []
        lo = max(s, B)
        return pieces + ([(lo - s, e - s, hid[lo - B:e - B])] if lo < e else [])
    hi = min(e, N - B)
    pieces = [(0, hi - s, hid[s + B:hi + B])] if hi > s else []
    return pieces + ([(hi - s, e - s, h0)] if e == N else [])


def _layer_weights(kind: str, w, H: int):
    """(W_ih' (C, F), W_hh' (C2, P), bias (C,) or None, b_hn (H,) or None) arranged for one wide product.

    LSTM: C = C2 = 4H, the cell gate's rows doubled (:func:`_tanh` starts from 2x, and a factor 2
    is exact in floating point), both biases added once. GRU: C = 3H (r, z, n of the input),
    C2 = 3H (r, z, n of h), the recurrent biases of r and z folded into the input's; b_hn kept
    apart, as n needs W_hn h + b_hn on its own."""
    if kind == "LSTM":
        two = w.w_ih.new_ones(4 * H, 1)
        two[2 * H:3 * H] = 2
        bias = None if w.b_ih is None else (w.b_ih + w.b_hh) * two[:, 0]
        return w.w_ih * two, w.w_hh * two, bias, None
    bias = None
    if w.b_ih is not None:
        bias = w.b_ih.clone()
        bias[:2 * H] += w.b_hh[:2 * H]
    return w.w_ih, w.w_hh, bias, (None if w.b_hh is None else w.b_hh[2 * H:])


def _recompute(p: Prepared, res: Result, layer: int, d: int, w, inp: torch.Tensor, out: torch.Tensor,
               work: torch.Tensor) -> None:
    """All gates (and an LSTM's cell states) of one layer and direction from the known h_t.

    inp (T*B, F): the layer's input, out (T*B, D*P): its output from the kernel, both
    time-major (row t*B + b), like the trace's storage. The rows are taken a block of whole
    time steps at a time: one wide product for the input and one for h_{t-1} into ``work``
    (rows, 4H), the activations straight into the trace, and an LSTM's cell recurrence
    c_t = f_t c_{t-1} + i_t g_t over the block's steps while its gates are still in cache.
    """
    B, T = p.x.shape[:2]
    H, P = p.hidden_size, p.out_size
    row = layer * p.directions + d
    h0 = p.h0[row]                                                       # (B, P)
    hid = out[:, d * P:(d + 1) * P]                                      # (T*B, P), rows D*P apart
    shifted = _shifted_backward(p, hid, h0) if d == 1 and not p.full else None
    w_ih, w_hh, bias, b_hn = _layer_weights(p.kind, w, H)
    lstm = p.kind == "LSTM"
    time_major = lambda t: t[layer, d].transpose(0, 1).view(T * B, H)  # noqa: E731  storage (T*B, H)
    gate = {name: time_major(g) for name, g in res.gates.items()}
    cells = time_major(res.cell) if lstm else None
    steps = max(1, work.size(0) // max(B, 1))                            # time steps per block
    starts = list(range(0, T, steps))
    valid = None if p.full else p.valid().T.unsqueeze(-1)                # (T, B, 1)
    c = p.c0[row] if lstm else None                                      # (B, H)
    for t0 in (reversed(starts) if d else starts):
        t1 = min(T, t0 + steps)
        s, e = t0 * B, t1 * B
        pre = work[:e - s]                                               # (rows, 4H)
        wide = pre[:, :w_ih.size(0)]                                     # LSTM 4H; GRU r, z, n of x
        if bias is None:
            torch.mm(inp[s:e], w_ih.T, out=wide)
        else:
            torch.addmm(bias, inp[s:e], w_ih.T, out=wide)
        if not lstm:                                                     # GRU: W_hn h + b_hn apart
            if b_hn is None:
                pre[:, 3 * H:].zero_()
            else:
                pre[:, 3 * H:].copy_(b_hn)
        for first, stop, h in _sources(d, s, e, hid, h0, shifted):
            if lstm:
                pre[first:stop].addmm_(h, w_hh.T)
            else:
                pre[first:stop, :2 * H].addmm_(h, w_hh[:2 * H].T)
                pre[first:stop, 3 * H:].addmm_(h, w_hh[2 * H:].T)
        if lstm:
            for k, name in ((0, "input"), (1, "forget"), (3, "output")):
                torch.sigmoid(pre[:, k * H:(k + 1) * H], out=gate[name][s:e])
            g = pre[:, 2 * H:3 * H]                                      # 2x: the rows were doubled
            _tanh(g, gate["cell"][s:e], scratch=g, doubled=True)
            c = _cells(gate["input"][s:e], gate["forget"][s:e], gate["cell"][s:e], cells[s:e], c,
                       B, range(t0, t1), d == 1, valid)
        else:
            r, n = gate["reset"][s:e], gate["new"][s:e]
            torch.sigmoid(pre[:, :H], out=r)
            torch.sigmoid(pre[:, H:2 * H], out=gate["update"][s:e])
            torch.addcmul(pre[:, 2 * H:3 * H], r, pre[:, 3 * H:], out=n)   # W_in x + b_in + r (W_hn h + b_hn)
            _tanh(n, n, scratch=pre[:, 3 * H:], doubled=False)


def _cells(i: torch.Tensor, f: torch.Tensor, g: torch.Tensor, cells: torch.Tensor, c: torch.Tensor, B: int,
           steps: range, backward: bool, valid: torch.Tensor | None) -> torch.Tensor:
    """c_t = f_t * c_{t-1} + i_t * g_t over one block of steps into ``cells``; returns the last c.

    i, f, g, cells: the block's rows (time-major, rows, H); c: (B, H) carried in. A step at or
    past a sequence's length keeps c (those steps are NaN-ed by the caller)."""
    torch.mul(i, g, out=cells)                                           # i*g for now
    k = len(steps)
    H = cells.size(-1)
    cs, fs = cells.view(k, B, H).unbind(0), f.view(k, B, H).unbind(0)    # k x (B, H), one call each
    for j in (range(k - 1, -1, -1) if backward else range(k)):
        if valid is None:
            c = cs[j].addcmul_(fs[j], c)
        else:
            c = torch.where(valid[steps.start + j], cs[j].addcmul_(fs[j], c), c, out=cs[j])
    return c


def _tanh(x: torch.Tensor, out: torch.Tensor, scratch: torch.Tensor, doubled: bool) -> torch.Tensor:
    """out = tanh(x) as e / (e + 2) with e = expm1(2x) (``doubled``: x already holds 2x).

    Within a few units in the last place, relative, for every x (2.3 at worst over float32 values
    from 1e-30 to 50, checked against float64 tanh). The earlier 2 sigmoid(2x) - 1 was off by up to
    1.2e-7 absolute, which made small values wrong relative to themselves: tanh(1e-8) came out
    as 0. Still about 3x faster than ``torch.tanh`` on the CPU: 0.12-0.15 ms against 0.47 ms for a
    block of 1024 x 128 float32 on 2 threads. ``x`` may be ``out``; ``scratch`` (like ``out``) is
    overwritten and may be ``x``. Past the bound, tanh rounds to 1 in the dtype (float16 from
    x = 4.2, float32 and bfloat16 from 9.1, float64 from 19.1) and e + 2 stays finite."""
    bound = 10.0 if out.dtype == torch.float16 else 40.0
    if doubled:
        torch.clamp(x, max=bound, out=out)
    else:
        torch.mul(x, 2, out=out).clamp_(max=bound)
    out.expm1_()
    return out.div_(torch.add(out, 2, out=scratch))


def run_fast(rnn, p: Prepared) -> Result:
    """Exact trace: fused kernel per layer, then a batched recompute of the gates.

    Everything runs time-major (row t*B + b), as torch's kernels do inside: a layer's output
    then is the next layer's input and, one block of rows earlier, its own h_{t-1}, without
    copies."""
    res = allocate(p)
    B, T = p.x.shape[:2]
    D, P, H = p.directions, p.out_size, p.hidden_size
    rows = max(B, min(B * T, CHUNK_BYTES // (4 * H * p.x.element_size())))   # a block of whole steps
    work = p.x.new_empty(rows if p.kind != "RNN" else 0, 4 * H)          # (rows, 4H)
    x = p.x.transpose(0, 1).contiguous()                                 # (T, B, I)
    given = p.x                                                          # (B, T, I) as the module runs it
    data = p.packed.data if p.packed is not None else None
    states = _initial_states(p)
    for layer in range(p.layers):
        out, out_data, finals = _run_layer(rnn, p, layer, given, data, states)   # (T, B, D*P)
        res.hidden[layer] = out.view(T, B, D, P).permute(2, 1, 0, 3)
        span = slice(layer * D, (layer + 1) * D)
        res.h_n[span] = finals[0]
        if res.c_n is not None:
            res.c_n[span] = finals[1]
        if p.kind != "RNN":
            for d in range(D):
                _recompute(p, res, layer, d, cell_weights(rnn, layer, d), x.view(T * B, x.size(-1)),
                           out.view(T * B, D * P), work)
        x, data = out, out_data
        given = out.transpose(0, 1)                                      # (B, T, D*P)
    res.last, res.last_data = x.transpose(0, 1), data                   # (B, T, D*P)
    return res
