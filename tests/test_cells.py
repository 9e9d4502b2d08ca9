"""Cells stepped once per time step (nn.RNNCell, nn.LSTMCell, nn.GRUCell) captured as one Trace.

Checked against the cell's own outputs (h, c) and against a loop written here
that reads the cell's parameters by name and shares no code with rnnviz.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

import rnnviz

CELLS = {"LSTM": nn.LSTMCell, "GRU": nn.GRUCell, "RNN": nn.RNNCell}
NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ()}
# float32: relative to the largest value, ~16 units of rounding (eps 1.2e-7); torch's fused cell
# kernels and the separate matmuls here sum the same ~12 products in a different order.
# float64: the same argument with eps 2.2e-16.
TOL = {torch.float32: 2e-6, torch.float64: 1e-12}


def close(got, want, tol) -> bool:
    """``|got - want| <= tol * max(1, max |want|)`` everywhere (shapes must match)."""
    if got.shape != want.shape:
        return False
    got, want = got.detach().double(), want.detach().double()
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    return bool(((got - want).abs() <= tol * scale).all())


def make(kind, dtype=torch.float32, **kw):
    torch.manual_seed(3)
    cell = CELLS[kind](5, 6, **kw).to(dtype)
    with torch.no_grad():  # larger weights than the default keep the gates away from 0.5
        for p in cell.parameters():
            p.mul_(2.5)
    return cell


def reference(cell, x, h, c=None, clamp=None):
    """Every state and gate by a plain loop over (B, T, I) x, one step at a time.

    clamp: gate name -> value, that gate held at the value at every step (the what-if loop)."""
    clamp = clamp or {}
    held = lambda name, v: torch.full_like(v, clamp[name]) if name in clamp else v  # noqa: E731
    kind = type(cell).__name__.replace("Cell", "")
    W, U = cell.weight_ih, cell.weight_hh
    bw = cell.bias_ih if cell.bias else torch.zeros(W.shape[0], dtype=W.dtype)
    bu = cell.bias_hh if cell.bias else torch.zeros(W.shape[0], dtype=W.dtype)
    H = cell.hidden_size
    hs, cs, gates = [], [], {name: [] for name in NAMES[kind]}
    for t in range(x.shape[1]):
        a, b = x[:, t] @ W.T + bw, h @ U.T + bu                         # (B, G*H)
        if kind == "RNN":
            h = torch.tanh(a + b) if cell.nonlinearity == "tanh" else torch.relu(a + b)
        elif kind == "LSTM":
            s = a + b
            i, f = held("input", torch.sigmoid(s[:, :H])), held("forget", torch.sigmoid(s[:, H:2 * H]))
            g, o = held("cell", torch.tanh(s[:, 2 * H:3 * H])), held("output", torch.sigmoid(s[:, 3 * H:]))
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, v in zip(NAMES[kind], (i, f, g, o)):
                gates[name].append(v)
            cs.append(c)
        else:
            r = held("reset", torch.sigmoid(a[:, :H] + b[:, :H]))
            z = held("update", torch.sigmoid(a[:, H:2 * H] + b[:, H:2 * H]))
            n = held("new", torch.tanh(a[:, 2 * H:] + r * b[:, 2 * H:]))
            h = (1 - z) * n + z * h
            for name, v in zip(NAMES[kind], (r, z, n)):
                gates[name].append(v)
        hs.append(h)
    stack = lambda vs: torch.stack(vs, 1)[None, None]  # noqa: E731        (1, 1, B, T, H)
    return stack(hs), (stack(cs) if cs else None), {k: stack(v) for k, v in gates.items()}


class Decoder(nn.Module):
    """A tutorial-style loop: an embedding, then a cell stepped once per token, then a head."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding(11, 5)
        self.cell = make(kind)
        self.head = nn.Linear(6, 11)

    def forward(self, ids):                                              # (B, T)
        x = self.embed(ids)                                              # (B, T, 5)
        h = torch.zeros(ids.shape[0], 6)
        state = (h, torch.zeros_like(h)) if self.kind == "LSTM" else h
        outs = []
        for t in range(ids.shape[1]):
            state = self.cell(x[:, t], state)                            # (B, 6) or ((B, 6), (B, 6))
            outs.append(state[0] if self.kind == "LSTM" else state)
        return self.head(torch.stack(outs, 1))                           # (B, T, 11)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_a_cell_loop_is_one_trace_equal_to_the_cell_and_an_independent_loop(kind):
    model = Decoder(kind)
    ids = torch.randint(0, 11, (3, 7))
    plain = model(ids)
    with rnnviz.record(model) as rec:
        recorded = model(ids)
    assert torch.equal(plain, recorded)                                  # recording changes nothing
    assert list(rec) == ["cell"] and len(rec.calls["cell"]) == 7
    tr = rec["cell"]
    assert tr.kind == kind and tr.hidden.shape == (1, 1, 3, 7, 6) and tr.steps == 7
    assert torch.equal(tr.lengths, torch.full((3,), 7))
    assert set(tr.gates) == set(NAMES[kind]) and all(g.shape == (1, 1, 3, 7, 6) for g in tr.gates.values())
    with torch.no_grad():
        x = model.embed(ids)                                             # (B, T, 5)
        h0 = torch.zeros(3, 6)
        hidden, cell, gates = reference(model.cell, x, h0, torch.zeros(3, 6))
        state, own_h, own_c = ((h0, torch.zeros_like(h0)) if kind == "LSTM" else h0), [], []
        for t in range(7):                                               # the cell's own outputs, step by step
            state = model.cell(x[:, t], state)
            own_h.append(state[0] if kind == "LSTM" else state)
            own_c.append(state[1] if kind == "LSTM" else None)
    # hidden (and an LSTM's cell) states are the cell's own outputs, bit for bit, at every step
    assert torch.equal(tr.hidden[0, 0], torch.stack(own_h, 1))
    assert kind != "LSTM" or torch.equal(tr.cell[0, 0], torch.stack(own_c, 1))
    assert close(tr.hidden, hidden, TOL[torch.float32])
    assert torch.equal(tr.output, tr.hidden[0, 0]) and torch.equal(tr.h_n, tr.hidden[:, 0, :, -1])
    if kind == "LSTM":
        assert close(tr.cell, cell, TOL[torch.float32]) and torch.equal(tr.c_n, tr.cell[:, 0, :, -1])
    else:
        assert tr.cell is None and tr.c_n is None
    for name in NAMES[kind]:
        assert close(tr.gates[name], gates[name], TOL[torch.float32]), name
    assert any("7 calls" in n for n in tr.notes)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kind,kw", [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"}),
                                     ("LSTM", {"bias": False}), ("GRU", {"bias": False})])
def test_trace_steps_a_cell_over_a_sequence(kind, kw, dtype):
    cell = make(kind, dtype, **kw)
    x = torch.randn(4, 9, 5, dtype=dtype)                                # (B, T, I)
    h0 = torch.randn(4, 6, dtype=dtype)
    c0 = torch.randn(4, 6, dtype=dtype)
    hx = (h0, c0) if kind == "LSTM" else h0
    tr = rnnviz.trace(cell, x, hx)
    with torch.no_grad():
        hidden, cell_states, gates = reference(cell, x, h0, c0)
    assert tr.hidden.shape == (1, 1, 4, 9, 6) and tr.batch_first
    assert close(tr.hidden, hidden, TOL[dtype])
    with torch.no_grad():                                                # the cell stepped by torch itself
        state, own_h, own_c = hx, [], []
        for t in range(9):
            state = cell(x[:, t], state)
            own_h.append(state[0] if kind == "LSTM" else state)
            own_c.append(state[1] if kind == "LSTM" else None)
    assert torch.equal(tr.hidden[0, 0], torch.stack(own_h, 1))
    assert kind != "LSTM" or torch.equal(tr.cell[0, 0], torch.stack(own_c, 1))
    if kind == "LSTM":
        assert close(tr.cell, cell_states, TOL[dtype])
    for name in NAMES[kind]:
        assert close(tr.gates[name], gates[name], TOL[dtype]), name
    # unbatched (T, I) gives a batch of 1 with that sample's numbers (to rounding: a matmul
    # over 1 row may sum in another order than over 4)
    one = rnnviz.trace(cell, x[1], (h0[1], c0[1]) if kind == "LSTM" else h0[1])
    assert one.batch_size == 1 and close(one.hidden[:, :, 0], tr.hidden[:, :, 1], TOL[dtype])


def test_the_reference_can_fail():
    """A GRU cell read with the textbook reset (r multiplied into h before W_hn) is caught."""
    cell = make("GRU")
    x, h0 = torch.randn(2, 5, 5), torch.zeros(2, 6)
    tr = rnnviz.trace(cell, x, h0)
    H = 6
    with torch.no_grad():
        h, hs = h0, []
        for t in range(5):
            a = x[:, t] @ cell.weight_ih.T + cell.bias_ih
            r = torch.sigmoid(a[:, :H] + h @ cell.weight_hh[:H].T + cell.bias_hh[:H])
            z = torch.sigmoid(a[:, H:2 * H] + h @ cell.weight_hh[H:2 * H].T + cell.bias_hh[H:2 * H])
            n = torch.tanh(a[:, 2 * H:] + (r * h) @ cell.weight_hh[2 * H:].T + cell.bias_hh[2 * H:])
            h = (1 - z) * n + z * h
            hs.append(h)
    assert not close(tr.hidden, torch.stack(hs, 1)[None, None], 1e-3)


def test_a_clamped_cell_fixes_the_gate():
    cell = make("LSTM")
    x = torch.randn(2, 6, 5)
    tr = rnnviz.trace(cell, x, clamp={"forget": 1.0, "input": 0.0})
    assert torch.equal(tr.gates["forget"], torch.ones_like(tr.gates["forget"]))
    assert torch.equal(tr.cell, torch.zeros_like(tr.cell))               # never written, never forgotten
    assert any("clamped" in n for n in tr.notes) and tr.clamp == {"forget": 1.0, "input": 0.0}


@pytest.mark.parametrize("given", [False, True], ids=["zeros", "hx"])
@pytest.mark.parametrize("kind,clamp", [("LSTM", {"forget": 1.0, "input": 0.0}), ("LSTM", {"output": 0.5}),
                                        ("GRU", {"update": 0.0}), ("GRU", {"reset": 1.0, "new": 0.25})])
def test_a_clamped_cell_equals_the_reference_loop_with_the_gate_held(kind, clamp, given):
    """Every state and gate of the what-if loop, not only the held gate: its hidden state and the
    state it starts from (a clamp that forgot hx, or kept the free cell's h, would pass the test above)."""
    cell = make(kind, torch.float64)
    x = torch.randn(3, 6, 5, dtype=torch.float64)
    h0 = torch.randn(3, 6, dtype=torch.float64) if given else torch.zeros(3, 6, dtype=torch.float64)
    c0 = torch.randn(3, 6, dtype=torch.float64) if given else torch.zeros(3, 6, dtype=torch.float64)
    hx = ((h0, c0) if kind == "LSTM" else h0) if given else None
    tr = rnnviz.trace(cell, x, hx, clamp=clamp)
    with torch.no_grad():
        hidden, cells, gates = reference(cell, x, h0, c0, clamp=clamp)
    assert close(tr.hidden, hidden, TOL[torch.float64])
    assert kind != "LSTM" or close(tr.cell, cells, TOL[torch.float64])
    for name in NAMES[kind]:
        assert close(tr.gates[name], gates[name], TOL[torch.float64]), name
    free = rnnviz.trace(cell, x, hx)
    assert not close(tr.hidden, free.hidden, 1e-3)                       # the clamp changed the states


def test_cell_calls_that_are_not_one_sequence_say_why():
    cell = nn.GRUCell(5, 6)
    with rnnviz.record(cell) as rec:
        h = cell(torch.randn(3, 5))
        cell(torch.randn(3, 5), h)
        cell(torch.randn(2, 5))                                          # a new batch size
    with pytest.raises(ValueError, match=r"cannot be read as one sequence.*batch sizes \[3, 3, 2\]"):
        rec[""]
    assert [t.batch_size for t in rec.calls[""]] == [3, 3, 2]
    # a restart from zeros or from a state that is not the last output is noted, not hidden
    with rnnviz.record(cell) as rec:
        h = cell(torch.randn(3, 5))
        cell(torch.randn(3, 5), h * 2)
        cell(torch.randn(3, 5))
    notes = " ".join(rec[""].notes)
    assert "call 1: starts from a state that is not the previous call's output" in notes
    assert "call 2: starts from zeros" in notes


def test_a_note_shared_by_many_calls_is_written_once():
    """A loop of 100 steps that restarts from zeros at each one gave 100 notes, all in a view's title."""
    cell = nn.GRUCell(3, 4)
    x = torch.randn(2, 100, 3)
    with rnnviz.record(cell) as rec:
        for t in range(100):
            cell(x[:, t])                                                # hx=None: from zeros every time
        h = cell(x[:, 0])
        cell(x[:, 1], h * 2)
    notes = rec[""].notes
    assert notes[1:] == ["100 calls (1, 2, 3, 4, ...): starts from zeros (hx=None)",
                         "call 101: starts from a state that is not the previous call's output"]


class Restarting(nn.Module):
    """Steps its cell from zeros at every step, in training mode with dropout on its input."""

    def __init__(self):
        super().__init__()
        self.drop, self.cell = nn.Dropout(0.5), nn.GRUCell(3, 4)

    def forward(self, x):                                                # (B, T, 3)
        return torch.stack([self.cell(self.drop(x[:, t])) for t in range(x.size(1))], 1)


def test_a_view_of_a_long_cell_loop_keeps_a_short_title():
    """The same: 100 notes 'run in eval mode' and 99 'starts from zeros' made a 100-line title."""
    title = rnnviz.unroll_view(Restarting().train(), torch.randn(1, 100, 3)).layout.title.text
    assert title.count("eval mode") == 1 and title.count("starts from zeros") == 1 and len(title) < 1000


def test_cell_errors_are_clear():
    gru = nn.GRUCell(3, 4)
    with pytest.raises(TypeError, match="initial states of dtype torch.float32.*got torch.float64"):
        rnnviz.trace(gru, torch.randn(2, 5, 3), torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="initial states on the cell's device cpu, got meta"):
        rnnviz.trace(gru, torch.randn(2, 5, 3), torch.zeros(2, 4, device="meta"))
    cell = nn.LSTMCell(5, 6)
    with pytest.raises(ValueError, match=r"expected a \(batch, time, 5\) tensor.*got shape \(4, 7\)"):
        rnnviz.trace(cell, torch.randn(4, 7))
    with pytest.raises(ValueError, match=r"initial state of shape \(4, 6\)"):
        rnnviz.trace(cell, torch.randn(4, 3, 5), (torch.zeros(3, 6), torch.zeros(3, 6)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        rnnviz.trace(cell, torch.randn(4, 3, 5), torch.zeros(4, 6))
    with pytest.raises(ValueError, match="unknown LSTM gate 'reset'"):
        rnnviz.trace(cell, torch.randn(4, 3, 5), clamp={"reset": 0.5})


def test_a_view_of_a_bare_cell_steps_it_over_time_like_trace():
    """unroll_view(cell, (T, I)) read the T steps as a batch of T (one frame), and a (B, T, I) input
    gave torch's '1D or 2D' error; a view now steps the cell as rnnviz.trace(cell, x) does."""
    torch.manual_seed(0)
    gru = nn.GRUCell(3, 4)
    x = torch.randn(10, 3)                                               # (T, I)
    assert rnnviz.trace(gru, x).steps == 10 and len(rnnviz.unroll_view(gru, x).frames) == 10
    lstm = nn.LSTMCell(3, 4)
    xb = torch.randn(2, 5, 3)                                            # (B, T, I)
    fig = rnnviz.gates_view(lstm, xb, sample=1, clamp={"forget": 1.0})
    assert len(fig.frames) == 5 and "clamped forget=1" in fig.layout.title.text
