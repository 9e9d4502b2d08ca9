"""Cells stepped once per time step (``nn.RNNCell``, ``nn.LSTMCell``, ``nn.GRUCell``) as one Trace.

Each call is one step: its h (and c) are the cell's own outputs, so they are
exact by construction, and its gates follow from the shared cell equations
(``rnnviz._recurrent.cells.step``) on the call's own input and state. Calls are
then joined along time into the usual layout with L = D = 1.
Letters: B batch, T time (calls), I input size, H hidden size.
"""
from __future__ import annotations

import torch
from torch import nn

from .._recurrent.cells import cell_weights, check_clamp, check_module, input_part, run_direction, step
from ._layout import Trace


def _as_tensor_state(cell, kind: str, hx, batch: int, like: torch.Tensor):
    """(h (B, H), c (B, H) or None) from what the cell was given; zeros for None."""
    H = cell.hidden_size
    zeros = lambda: like.new_zeros(batch, H)  # noqa: E731
    if kind == "LSTM":
        h, c = (None, None) if hx is None else hx
        return (zeros() if h is None else h), (zeros() if c is None else c)
    return (zeros() if hx is None else hx), None


def _initial(state: torch.Tensor | None) -> torch.Tensor | None:
    """A cell's starting state (B, H) as a one-run ``Trace.initial_*``: (1, 1, 1, B, H), its own copy."""
    return None if state is None else state.detach().reshape(1, 1, 1, *state.shape).clone()


def call_trace(cell: nn.Module, x: torch.Tensor, hx, output, previous=None) -> Trace:
    """A one-step Trace of one call ``output = cell(x, hx)``.

    x: (B, I) or unbatched (I,); hx and output as the cell takes and returns them.
    ``previous``: the output of the cell's previous call, to note a chain that breaks.
    """
    kind = check_module(cell, cells=True)
    notes = []
    if previous is not None and not continues(hx, previous):
        notes.append("starts from zeros (hx=None)" if hx is None else
                     "starts from a state that is not the previous call's output")
    unbatched = x.dim() == 1
    one = (lambda t: None if t is None else t.detach().unsqueeze(0)) if unbatched else \
          (lambda t: None if t is None else t.detach())                                   # noqa: E731
    xb = one(x)                                                                           # (B, I)
    if kind == "LSTM":
        hx = None if hx is None else tuple(one(s) for s in hx)
        h_out, c_out = one(output[0]), one(output[1])                                     # (B, H)
    else:
        hx, (h_out, c_out) = one(hx), (one(output), None)
    h, c = _as_tensor_state(cell, kind, hx, xb.size(0), xb)                               # (B, H)
    w = cell_weights(cell)
    with torch.no_grad():
        _, _, gates = step(kind, getattr(cell, "nonlinearity", "tanh"), w, input_part(w, xb), h, c)
    if unbatched:
        notes.append("unbatched call: batch of 1 in the trace")
    five = lambda t: None if t is None else t.reshape(1, 1, t.size(0), 1, t.size(-1))  # noqa: E731  (1, 1, B, 1, H)
    return Trace(kind=kind, hidden=five(h_out), cell=five(c_out),
                 gates={name: five(g) for name, g in gates.items()},
                 output=h_out.unsqueeze(1), h_n=h_out.unsqueeze(0),
                 c_n=None if c_out is None else c_out.unsqueeze(0),
                 lengths=torch.ones(xb.size(0), dtype=torch.int64, device=xb.device),
                 batch_first=True, notes=notes, initial_hidden=_initial(h), initial_cell=_initial(c))


def continues(hx, previous) -> bool:
    """Whether ``hx`` is the previous call's output (the same tensors, as a step loop passes them)."""
    if hx is None:
        return False
    if isinstance(hx, tuple):
        return isinstance(previous, tuple) and all(_same(a, b) for a, b in zip(hx, previous))
    return _same(hx, previous if not isinstance(previous, tuple) else previous[0])


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a.detach(), b.detach()))


def _grouped_notes(calls: list[Trace], shown: int = 4) -> list[str]:
    """Each distinct note of the calls once, with the calls it applies to: "every call: ...",
    "call 3: ..." or "57 calls (1, 2, 3, 4, ...): ..." (a loop of hundreds of calls would
    otherwise repeat one note hundreds of times, in a view's title too)."""
    where: dict[str, list[int]] = {}
    for k, t in enumerate(calls):
        for n in t.notes:
            if not n.startswith("unbatched"):
                where.setdefault(n, []).append(k)
    out = []
    for n, ks in where.items():
        if len(ks) == len(calls) and len(ks) > 1:
            out.append(f"every call: {n}")
        elif len(ks) == 1:
            out.append(f"call {ks[0]}: {n}")
        else:
            listed = ", ".join(map(str, ks[:shown])) + (", ..." if len(ks) > shown else "")
            out.append(f"{len(ks)} calls ({listed}): {n}")
    return out


def join_cell_calls(name: str, cell: nn.Module, calls: list[Trace]) -> Trace:
    """One Trace (1, 1, B, T, H) from T one-step call Traces, or a ValueError saying why not."""
    label = f"{type(cell).__name__} {name!r}" if name else type(cell).__name__
    shapes = {(t.batch_size, t.hidden.dtype, t.hidden.device) for t in calls}
    if len(shapes) != 1:
        seen = [t.batch_size for t in calls]
        raise ValueError(f"the {len(calls)} calls of {label} cannot be read as one sequence: each call must "
                         f"step the same batch (same size, dtype, device), got batch sizes {seen[:12]}"
                         f"{' ...' if len(seen) > 12 else ''}; each call's one-step Trace is in "
                         f".calls[{name!r}]")
    cat = lambda ts: torch.cat(ts, dim=3)  # noqa: E731                (1, 1, B, T, H)
    first, last = calls[0], calls[-1]
    notes = [f"{len(calls)} calls of {type(cell).__name__}, one step each, joined along time in call order"]
    notes += _grouped_notes(calls)
    if any(n.startswith("unbatched") for n in first.notes):
        notes.append("unbatched calls: batch of 1 in the trace")
    starts = (0,) + tuple(k for k, t in enumerate(calls) if k and any(n.startswith("starts from") for n in t.notes))
    return Trace(kind=first.kind, hidden=cat([t.hidden for t in calls]),
                 cell=None if first.cell is None else cat([t.cell for t in calls]),
                 gates={g: cat([t.gates[g] for t in calls]) for g in first.gates},
                 output=torch.cat([t.output for t in calls], dim=1),                 # (B, T, H)
                 h_n=last.h_n, c_n=last.c_n, lengths=sum(t.lengths for t in calls),
                 batch_first=True, notes=notes, starts=starts,
                 initial_hidden=initial_states([calls[k] for k in starts], "initial_hidden"),
                 initial_cell=initial_states([calls[k] for k in starts], "initial_cell"))


def initial_states(runs: list[Trace], name: str) -> torch.Tensor | None:
    """The ``name`` ("initial_hidden"/"initial_cell") of the calls that begin a run of a joined
    Trace, one after the other: (S, L, D, B, .); None when a call does not know its own."""
    states = [getattr(t, name) for t in runs]
    return None if any(s is None for s in states) else torch.cat(states)


def trace_cell(cell: nn.Module, inputs, hx=None, *, clamp=None) -> Trace:
    """Step ``cell`` over ``inputs`` (B, T, I) (or unbatched (T, I)) from ``hx``; see ``rnnviz.trace``."""
    kind = check_module(cell, cells=True)
    clamp = check_clamp(kind, clamp)
    weight, I, H = cell.weight_ih, cell.input_size, cell.hidden_size
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"expected a (batch, time, {I}) tensor for this {type(cell).__name__}, "
                        f"got {type(inputs).__name__}")
    if not inputs.is_floating_point() or inputs.dtype != weight.dtype:
        raise TypeError(f"expected input of dtype {weight.dtype} like the cell's weights, got {inputs.dtype}")
    if inputs.device != weight.device:
        raise ValueError(f"expected the input on the cell's device {weight.device}, got {inputs.device}")
    if inputs.dim() not in (2, 3) or inputs.size(-1) != I or inputs.size(-2) == 0:
        raise ValueError(f"expected a (batch, time, {I}) tensor (or unbatched (time, {I})) of at least one "
                         f"step to step this {type(cell).__name__} over, got shape {tuple(inputs.shape)}; "
                         "a single step is just the cell's own call")
    unbatched = inputs.dim() == 2
    x = inputs.unsqueeze(0) if unbatched else inputs                     # (B, T, I)
    B = x.size(0)
    states = (hx if kind == "LSTM" else (hx,)) if hx is not None else ()
    if kind == "LSTM" and hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"expected hx as a tuple (h_0, c_0) for an LSTMCell, got {type(hx).__name__}")
    want = (H,) if unbatched else (B, H)
    for s in states:
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != want:
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise ValueError(f"expected every initial state of shape {want} for this {type(cell).__name__} "
                             f"and input, got {got}")
        if s.dtype != weight.dtype:
            raise TypeError(f"expected initial states of dtype {weight.dtype} like the cell's weights, got {s.dtype}")
        if s.device != weight.device:
            raise ValueError(f"expected initial states on the cell's device {weight.device}, got {s.device}")
    if unbatched and hx is not None:
        hx = tuple(s.unsqueeze(0) for s in hx) if kind == "LSTM" else hx.unsqueeze(0)
    with torch.no_grad():
        if clamp is not None:
            return _clamped(cell, kind, x, hx, clamp)
        calls, state = [], hx
        for t in range(x.size(1)):
            out = cell(x[:, t], state)                                   # (B, H) or ((B, H), (B, H))
            calls.append(call_trace(cell, x[:, t], state, out, previous=state if calls else None))
            state = tuple(out) if kind == "LSTM" else out
    tr = join_cell_calls("", cell, calls)
    tr.notes = [f"{type(cell).__name__} stepped over {x.size(1)} steps by calling it once per step"]
    tr.notes += ["unbatched input: batch of 1 in the trace"] if unbatched else []
    return tr


def _clamped(cell, kind: str, x: torch.Tensor, hx, clamp: dict[str, float]) -> Trace:
    """The shared step loop with ``clamp``'s gates fixed (not what the cell computes)."""
    w = cell_weights(cell)
    h0, c0 = _as_tensor_state(cell, kind, hx, x.size(0), x)             # (B, H)
    hs, cs, gates, h, c = run_direction(kind, getattr(cell, "nonlinearity", "tanh"), w, input_part(w, x), h0, c0,
                                        clamp=clamp)
    five = lambda ts: torch.stack(ts, 1)[None, None]  # noqa: E731     (1, 1, B, T, H)
    hidden = five(hs)
    fixed = ", ".join(f"{k}={v:g}" for k, v in clamp.items())
    return Trace(kind=kind, hidden=hidden, cell=None if cs is None else five(cs),
                 gates={name: five(v) for name, v in gates.items()}, output=hidden[0, 0],
                 h_n=h.unsqueeze(0), c_n=None if c is None else c.unsqueeze(0),
                 lengths=torch.full((x.size(0),), x.size(1), dtype=torch.int64, device=x.device),
                 batch_first=True, clamp=clamp, initial_hidden=_initial(h0), initial_cell=_initial(c0),
                 notes=[f"clamped {fixed}: states and output differ from what the cell computes"])

