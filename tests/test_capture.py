"""rnnviz.trace against torch itself and against a step-by-step loop written here.

The reference below reads the module's parameters by name and steps one
sample at a time; it shares no code with rnnviz (not even ``_cells.step``).
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import rnnviz

CLASSES = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}
NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ()}
# Tolerance relative to the largest value of the compared tensor, and absolute floor when
# that is below 1. float32: about 16 units of rounding (eps 1.2e-7) of the largest value;
# each step sums at most ~12 products and errors compound over 7 steps and 2 layers, and
# an unbounded relu RNN reaches hundreds, so a fixed absolute bound would not scale.
# Measured worst case over every configuration and CPU kernel variant: 2.8e-7.
TOL = {torch.float32: 2e-6, torch.float64: 1e-12}


# ---------------------------------------------------------------- the independent reference
def reference(m, seqs, h0, c0, *, clamp=None, wrong=None):
    """Every state and gate by a plain loop, one sample at a time.

    seqs: list of (T_b, I) tensors; h0 (L*D, B, P), c0 (L*D, B, H) or None.
    wrong: "swap_if" (LSTM rows read as f, i, g, o) or "textbook" (GRU with r
    multiplied into h before W_hn), to show the comparison can fail.
    Returns hidden (L, D, B, T, P), cell (L, D, B, T, H) or None, gates; NaN past lengths.
    """
    kind = type(m).__name__.removeprefix("Parametrized")                  # torch's class for a parametrized LSTM
    L, D, H = m.num_layers, 2 if m.bidirectional else 1, m.hidden_size
    P = getattr(m, "proj_size", 0) or H
    B, T = len(seqs), max(len(s) for s in seqs)
    blank = lambda n: torch.full((L, D, B, T, n), math.nan, dtype=seqs[0].dtype)  # noqa: E731
    hidden, cell = blank(P), (blank(H) if kind == "LSTM" else None)
    gates = {name: blank(H) for name in NAMES[kind]}
    clamp = clamp or {}
    for b, seq in enumerate(seqs):
        inp = seq                                                        # (T_b, I)
        for l in range(L):
            outs = []
            for d in range(D):
                sfx = f"_l{l}" + ("_reverse" if d else "")
                W, U = getattr(m, "weight_ih" + sfx), getattr(m, "weight_hh" + sfx)
                zero = torch.zeros(W.shape[0], dtype=W.dtype)
                bw = getattr(m, "bias_ih" + sfx) if m.bias else zero
                bu = getattr(m, "bias_hh" + sfx) if m.bias else zero
                h = h0[l * D + d, b]
                c = c0[l * D + d, b] if c0 is not None else None
                steps = list(range(len(inp)))
                rows = [None] * len(inp)
                for t in (steps if d == 0 else steps[::-1]):
                    a, u = W @ inp[t] + bw, U @ h + bu
                    blk = lambda v, k: v[k * H:(k + 1) * H]  # noqa: E731
                    if kind == "RNN":
                        s = a + u
                        h = torch.tanh(s) if m.nonlinearity == "tanh" else torch.clamp(s, min=0)
                        g_now = {}
                    elif kind == "LSTM":
                        ki, kf = (1, 0) if wrong == "swap_if" else (0, 1)
                        g_now = {"input": torch.sigmoid(blk(a, ki) + blk(u, ki)),
                                 "forget": torch.sigmoid(blk(a, kf) + blk(u, kf)),
                                 "cell": torch.tanh(blk(a, 2) + blk(u, 2)),
                                 "output": torch.sigmoid(blk(a, 3) + blk(u, 3))}
                        g_now.update({k: torch.full_like(g_now[k], v) for k, v in clamp.items()})
                        c = g_now["forget"] * c + g_now["input"] * g_now["cell"]
                        h = g_now["output"] * torch.tanh(c)
                        if m.proj_size:
                            h = getattr(m, "weight_hr" + sfx) @ h
                    else:
                        r = torch.sigmoid(blk(a, 0) + blk(u, 0))
                        r = torch.full_like(r, clamp["reset"]) if "reset" in clamp else r
                        z = torch.sigmoid(blk(a, 1) + blk(u, 1))
                        z = torch.full_like(z, clamp["update"]) if "update" in clamp else z
                        if wrong == "textbook":
                            n = torch.tanh(blk(a, 2) + blk(U, 2) @ (r * h) + blk(bu, 2))
                        else:
                            n = torch.tanh(blk(a, 2) + r * blk(u, 2))
                        n = torch.full_like(n, clamp["new"]) if "new" in clamp else n
                        h = (1 - z) * n + z * h
                        g_now = {"reset": r, "update": z, "new": n}
                    hidden[l, d, b, t] = h
                    if c is not None:
                        cell[l, d, b, t] = c
                    for name, value in g_now.items():
                        gates[name][l, d, b, t] = value
                    rows[t] = h
                outs.append(torch.stack(rows))                           # (T_b, P)
            inp = torch.cat(outs, dim=1)                                 # (T_b, D*P)
    return hidden, cell, gates


def close(got, want, tol) -> bool:
    """``|got - want| <= tol * max(1, max |want|)`` everywhere (NaN only where ``want`` is NaN).

    Float rounding grows with the size of the numbers summed, so the bound scales with the
    tensor's largest value; a wrong gate order or the textbook GRU is off by ~1e-2 and fails.
    """
    if got.shape != want.shape:
        return False
    got, want = got.detach().double(), want.detach().double()
    if not torch.equal(got.isnan(), want.isnan()):
        return False
    scale = max(1.0, float(want.abs().nan_to_num().max())) if want.numel() else 1.0
    return bool(((got - want).abs().nan_to_num() <= tol * scale).all())


# The sigmoid gates are also held to their own size, element by element: a gate of 1e-3 (or a
# saturated one of 1e-8) is below the absolute floor of ``close``, so a wrong small gate would pass
# it. Their error relative to the value is the pre-activation's absolute error times (1 - gate),
# which the tolerance bounds: measured worst over every configuration 7.5e-7 (float32) and 2.8e-15
# (float64), against 5 x tol = 1e-5 and 5e-12. The tanh gates are not: a pre-activation near 0 that
# is a sum of larger terms cancels, and tanh keeps that error relative to the small value.
SIGMOID_GATES = {"input", "forget", "output", "reset", "update"}


def relatively_close(got, want, rtol) -> bool:
    """``|got - want| <= rtol * |want|`` everywhere (NaN only where ``want`` is NaN)."""
    got, want = got.detach().double(), want.detach().double()
    if got.shape != want.shape or not torch.equal(got.isnan(), want.isnan()):
        return False
    real = ~want.isnan()
    return bool(((got - want).abs()[real] <= rtol * want.abs()[real]).all())


def assert_matches_reference(tr, ref, tol):
    hidden, cell, gates = ref
    assert close(tr.hidden, hidden, tol), (tr.hidden.double() - hidden).abs().nan_to_num().max()
    if cell is None:
        assert tr.cell is None
    else:
        assert close(tr.cell, cell, tol), (tr.cell.double() - cell).abs().nan_to_num().max()
    assert set(tr.gates) == set(gates)
    for name in gates:
        assert close(tr.gates[name], gates[name], tol), name
        if name in SIGMOID_GATES:
            rel = ((tr.gates[name].double() - gates[name]).abs() / gates[name].abs()).nan_to_num().max()
            assert relatively_close(tr.gates[name], gates[name], 5 * tol), (name, float(rel))


# ---------------------------------------------------------------- set-ups
CONFIGS = [
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 3, "batch_first": True}),
    ("LSTM", {"bias": False, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "dropout": 0.5}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False, "num_layers": 2}),
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("RNN", {"bias": False, "batch_first": True}),
]
IDS = [f"{k}-" + ("-".join(f"{a}={b}" for a, b in kw.items()) or "plain") for k, kw in CONFIGS]


def make(kind, kw, dtype=torch.float32, inputs=5, units=6):
    torch.manual_seed(1)
    m = CLASSES[kind](inputs, units, **kw).to(dtype)
    with torch.no_grad():  # larger weights than the default keep the gates away from 0.5
        for p in m.parameters():
            p.mul_(2.5)
    return m


def states(m, batch, dtype):
    D = 2 if m.bidirectional else 1
    P = getattr(m, "proj_size", 0) or m.hidden_size
    h0 = torch.randn(m.num_layers * D, batch, P, dtype=dtype)
    c0 = torch.randn(m.num_layers * D, batch, m.hidden_size, dtype=dtype)
    return h0, c0


def hx_for(m, h0, c0):
    return (h0, c0) if isinstance(m, nn.LSTM) else h0


def module_out(m, x, hx=None):
    out = m.eval()(x, hx) if hx is not None else m.eval()(x)
    o, h = out
    return (o, h[0], h[1]) if isinstance(m, nn.LSTM) else (o, h, None)


# ---------------------------------------------------------------- exactness
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
@pytest.mark.parametrize("kind,kw", CONFIGS, ids=IDS)
def test_trace_equals_module_and_reference(kind, kw, with_hx, dtype):
    m = make(kind, kw, dtype)
    B, T = 3, 7
    x = torch.randn(B, T, 5, dtype=dtype)                                # (B, T, I)
    h0, c0 = states(m, B, dtype) if with_hx else (None, None)
    given = x if m.batch_first else x.transpose(0, 1).contiguous()
    hx = hx_for(m, h0, c0) if with_hx else None
    tr = rnnviz.trace(m, given, hx)
    o, h_n, c_n = module_out(copy.deepcopy(m), given, hx)
    tol = TOL[dtype]
    assert close(tr.output, o, tol) and close(tr.h_n, h_n, tol)
    assert (tr.c_n is None) == (c_n is None) and (c_n is None or close(tr.c_n, c_n, tol))
    # the module's own output is the last layer's hidden, both directions
    L, D = tr.num_layers, tr.num_directions
    last = tr.hidden[-1].permute(1, 2, 0, 3).reshape(B, T, -1)          # (B, T, D*P)
    assert close(last, o if m.batch_first else o.transpose(0, 1), tol)
    # float32 traces are held to a float64 reference of the same weights
    ref_m = copy.deepcopy(m).double()
    if h0 is None:
        h0, c0 = (torch.zeros(*s.shape) for s in states(m, B, dtype))
    ref = reference(ref_m, list(x.double()), h0.double(), c0.double() if kind == "LSTM" else None)
    assert_matches_reference(tr, ref, tol)
    assert tr.hidden.dtype == dtype and not tr.hidden.requires_grad
    assert all(not g.requires_grad for g in tr.gates.values())
    assert torch.equal(tr.lengths, torch.full((B,), T))
    assert tr.hidden.shape == (L, D, B, T, getattr(m, "proj_size", 0) or 6)


@pytest.mark.parametrize("kind,kw", [c for c in CONFIGS if "dropout" not in c[1]],
                         ids=[i for i, c in zip(IDS, CONFIGS) if "dropout" not in c[1]])
def test_packed_sequences_are_exact_and_nan_past_length(kind, kw):
    m = make(kind, kw, torch.float64)
    lengths = torch.tensor([4, 7, 1, 5])
    x = torch.randn(4, 7, 5, dtype=torch.float64)
    for b, n in enumerate(lengths):
        x[b, n:] = 0
    h0, c0 = states(m, 4, torch.float64)
    hx = hx_for(m, h0, c0)
    given = x if m.batch_first else x.transpose(0, 1)
    packed = pack_padded_sequence(given, lengths, batch_first=m.batch_first, enforce_sorted=False)
    tr = rnnviz.trace(m, packed, hx)
    o, h_n, c_n = module_out(m, packed, hx)
    assert isinstance(tr.output, PackedSequence)
    assert torch.equal(tr.output.batch_sizes, o.batch_sizes)
    assert torch.equal(tr.output.sorted_indices, o.sorted_indices)
    assert close(tr.output.data, o.data, 1e-10) and close(tr.h_n, h_n, 1e-10)
    assert c_n is None or close(tr.c_n, c_n, 1e-10)
    ref = reference(m, [x[b, :n] for b, n in enumerate(lengths)], h0, c0 if kind == "LSTM" else None)
    assert_matches_reference(tr, ref, 1e-10)
    assert torch.equal(tr.lengths, lengths)
    past = torch.arange(7)[None, :] >= lengths[:, None]                  # (B, T)
    assert tr.hidden[:, :, past].isnan().all() and not tr.hidden[:, :, ~past].isnan().any()
    for g in tr.gates.values():
        assert g[:, :, past].isnan().all() and not g[:, :, ~past].isnan().any()


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_unsorted_input_with_given_states_equals_the_module_bit_for_bit(kind):
    """h_t comes from torch's own kernel, so it must equal the module's output exactly, not only
    within float rounding. The kernel's last bit can depend on where a layer's initial state starts
    in memory; this failed (for 51 of 60 such models) while each layer's state was permuted alone."""
    for seed in range(10):
        torch.manual_seed(seed)
        m = getattr(nn, kind)(3, 5, num_layers=2, bidirectional=True).eval()
        packed = pack_padded_sequence(torch.randn(6, 3, 3), [2, 6, 4], enforce_sorted=False)
        h0 = torch.randn(4, 3, 5)                                        # (L*D, B, H)
        hx = (h0, torch.randn(4, 3, 5)) if kind == "LSTM" else h0
        tr = rnnviz.trace(m, packed, hx)
        o, h_n, c_n = module_out(m, packed, hx)
        assert torch.equal(tr.output.data, o.data) and torch.equal(tr.h_n, h_n), seed
        assert c_n is None or torch.equal(tr.c_n, c_n), seed


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time-first", "batch-first"])
def test_an_input_in_another_memory_layout_equals_the_module_bit_for_bit(kind, batch_first):
    """A transposed view handed to the module reaches torch's float64 kernel as it is, and the input
    projection rounds differently on it than on a contiguous copy; the first layer must see the same
    tensor. A contiguous time-major copy of the input differed from the module by 5.6e-16 here."""
    for seed in range(3):
        torch.manual_seed(seed)
        m = getattr(nn, kind)(5, 8, num_layers=2, bidirectional=True, batch_first=batch_first).double().eval()
        x = torch.randn((9, 300, 5) if batch_first else (300, 9, 5), dtype=torch.float64)
        x = x.transpose(0, 1)                       # the module's layout as a view of the other one
        h0 = torch.randn(4, 300, 8, dtype=torch.float64)
        hx = (h0, torch.randn(4, 300, 8, dtype=torch.float64)) if kind == "LSTM" else h0
        tr = rnnviz.trace(m, x, hx)
        o, h_n, c_n = module_out(m, x, hx)
        assert torch.equal(tr.output, o) and torch.equal(tr.h_n, h_n), seed
        assert c_n is None or torch.equal(tr.c_n, c_n), seed


def test_a_spectral_norm_weight_in_training_mode_is_read_once_as_in_eval_mode():
    """torch's spectral_norm parametrization runs a power-iteration step, changing its buffers, at every
    read of the weight in training mode: the trace changed the module and its kernel and recompute did
    not even see the same weights. It is now traced in eval mode and the module is left as it was."""
    from torch.nn.utils.parametrizations import spectral_norm

    m = spectral_norm(make("LSTM", {"num_layers": 2}), "weight_hh_l0").train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    x = torch.randn(7, 3, 5)                                             # (T, B, I)
    tr = rnnviz.trace(m, x)
    assert m.training and all(torch.equal(v, before[k]) for k, v in m.state_dict().items())
    frozen, ref_m = copy.deepcopy(m).eval(), copy.deepcopy(m).eval().double()
    with torch.no_grad():
        o, h_n, c_n = module_out(frozen, x)
    tol = TOL[torch.float32]
    assert torch.equal(tr.output, o) and torch.equal(tr.h_n, h_n)      # the eval-mode module's own output
    h0, c0 = (torch.zeros(*s.shape, dtype=torch.float64) for s in states(m, 3, torch.float64))
    with torch.no_grad():
        ref = reference(ref_m, list(x.double().transpose(0, 1)), h0, c0)
    assert_matches_reference(tr, ref, tol)


def test_unbatched_input_gets_a_batch_of_one():
    m = make("LSTM", {"num_layers": 2, "bidirectional": True})
    x = torch.randn(6, 5)                                                # (T, I)
    tr = rnnviz.trace(m, x)
    o, h_n, c_n = module_out(m, x)
    assert tr.hidden.shape == (2, 2, 1, 6, 6) and tr.output.shape == o.shape == (6, 12)
    assert close(tr.output, o, 1e-5) and close(tr.h_n, h_n, 1e-5) and close(tr.c_n, c_n, 1e-5)
    assert any("unbatched" in n for n in tr.notes)


def test_dropout_is_captured_in_eval_semantics_and_the_module_left_training():
    m = make("GRU", {"num_layers": 3, "dropout": 0.9}).train()
    x = torch.randn(7, 2, 5)
    tr = rnnviz.trace(m, x)
    assert m.training
    o, h_n, _ = module_out(copy.deepcopy(m), x)                          # eval copy
    assert close(tr.output, o, 1e-5) and close(tr.h_n, h_n, 1e-5)
    assert any("eval semantics" in n for n in tr.notes)


def test_trace_works_inside_autograd_and_leaves_parameters_alone():
    m = make("LSTM", {"num_layers": 2})
    before = {k: v.clone() for k, v in m.state_dict().items()}
    x = torch.randn(5, 2, 5, requires_grad=True)
    tr = rnnviz.trace(m, x)
    assert not tr.hidden.requires_grad and not tr.output.requires_grad
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    assert all(p.grad is None for p in m.parameters())


# ---------------------------------------------------------------- the test can fail
@pytest.mark.parametrize("kind,wrong", [("LSTM", "swap_if"), ("GRU", "textbook")])
def test_a_wrong_reference_is_detected(kind, wrong):
    m = make(kind, {"num_layers": 2})
    x = torch.randn(3, 6, 5, dtype=torch.float64)
    zeros = torch.zeros(2, 3, 6, dtype=torch.float64)
    tr = rnnviz.trace(m.double(), x.transpose(0, 1))
    c0 = zeros if kind == "LSTM" else None
    assert_matches_reference(tr, reference(m, list(x), zeros, c0), 1e-10)
    with pytest.raises(AssertionError):
        assert_matches_reference(tr, reference(m, list(x), zeros, c0, wrong=wrong), 1e-5)


# ---------------------------------------------------------------- clamp
@pytest.mark.parametrize("kind,clamp", [("LSTM", {"forget": 1.0}), ("LSTM", {"input": 0.0, "output": 1.0}),
                                        ("GRU", {"update": 0.0}), ("GRU", {"reset": 1.0})])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zeros", "hx"])
def test_clamp_runs_the_what_if_loop(kind, clamp, with_hx):
    m = make(kind, {"num_layers": 2, "bidirectional": True}, torch.float64)
    lengths = torch.tensor([6, 3])
    x = torch.randn(2, 6, 5, dtype=torch.float64)
    packed = pack_padded_sequence(x.transpose(0, 1), lengths, enforce_sorted=False)
    h0, c0 = states(m, 2, torch.float64) if with_hx else (torch.zeros(4, 2, 6, dtype=torch.float64),) * 2
    tr = rnnviz.trace(m, packed, hx_for(m, h0, c0) if with_hx else None, clamp=clamp)
    ref = reference(m, [x[b, :n] for b, n in enumerate(lengths)], h0,
                    c0 if kind == "LSTM" else None, clamp=clamp)
    assert_matches_reference(tr, ref, 1e-10)                             # float64: as the packed test
    assert torch.equal(tr.initial_hidden[0].flatten(0, 1), h0)          # (L, D, B, P) as torch's (L*D, B, P)
    assert kind != "LSTM" or torch.equal(tr.initial_cell[0].flatten(0, 1), c0)
    for name, value in clamp.items():
        g = tr.gates[name][:, :, 0]                                      # sample 0 runs all steps
        assert torch.equal(g, torch.full_like(g, value))
    free = rnnviz.trace(m, packed)
    assert not close(tr.output.data, free.output.data, 1e-3)
    assert tr.clamp == clamp and any("clamped" in n for n in tr.notes)
    last = tr.hidden[-1, 0, 1, 2]                                        # forward h at sample 1's last step
    assert close(tr.h_n[2, 1], last, 1e-12)


def test_clamp_names_are_checked():
    with pytest.raises(ValueError, match=r"unknown LSTM gate 'reset'.*'forget'"):
        rnnviz.trace(make("LSTM", {}), torch.randn(3, 1, 5), clamp={"reset": 1.0})
    with pytest.raises(ValueError, match="plain RNN has no gates"):
        rnnviz.trace(make("RNN", {}), torch.randn(3, 1, 5), clamp={"input": 1.0})
    with pytest.raises(TypeError, match="expected a float"):
        rnnviz.trace(make("GRU", {}), torch.randn(3, 1, 5), clamp={"update": "1"})


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("module,match", [
    (nn.Linear(5, 3), "expected a torch.nn.RNN, nn.LSTM or nn.GRU module, got Linear"),
])
def test_unsupported_modules_raise(module, match):
    with pytest.raises(TypeError, match=match):
        rnnviz.trace(module, torch.randn(4, 5))


@pytest.mark.parametrize("bad,error,match", [
    (torch.randn(2, 4, 7), ValueError, r"expected a \(batch, time, 5\) tensor .* got shape \(2, 4, 7\)"),
    (torch.randn(4, 5)[0], ValueError, r"\(batch, time, 5\) tensor for this LSTM\(5 -> 6, batch_first=True\).* got shape \(5,\)"),
    (torch.randn(1, 2, 4, 5), ValueError, r"or an unbatched \(time, 5\) one, got shape \(1, 2, 4, 5\)"),
    (torch.randn(2, 0, 5), ValueError, "at least one time step"),
    (torch.zeros(2, 4, 5, dtype=torch.int64), TypeError, "floating-point input.*got torch.int64"),
    (torch.randn(2, 4, 5, dtype=torch.float64), TypeError, "input of dtype torch.float32.*got torch.float64"),
    ([[0.0] * 5] * 4, TypeError, "or a PackedSequence, got list"),
])
def test_bad_inputs_raise_clear_errors(bad, error, match):
    m = make("LSTM", {"batch_first": True})
    with pytest.raises(error, match=match):
        rnnviz.trace(m, bad)
    assert not m._forward_hooks and not m._forward_pre_hooks
    # one input check for trace and gradient_flow: the same words for the same mistake
    with pytest.raises(error, match=match):
        rnnviz.gradient_flow(m, bad, lambda out: out[0].sum())


def test_bad_states_raise_clear_errors():
    m = make("LSTM", {"num_layers": 2})
    x = torch.randn(4, 3, 5)
    with pytest.raises(ValueError, match=r"h_0 of shape \(2, 3, 6\).*got \(1, 3, 6\)"):
        rnnviz.trace(m, x, (torch.zeros(1, 3, 6), torch.zeros(2, 3, 6)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        rnnviz.trace(m, x, torch.zeros(2, 3, 6))
    with pytest.raises(TypeError, match="one tensor for a GRU"):
        rnnviz.trace(make("GRU", {}), x, (torch.zeros(1, 3, 6),))


# ---------------------------------------------------------------- using a Trace
def test_trace_is_easy_to_read():
    m = make("LSTM", {"num_layers": 2, "bidirectional": True})
    lengths = torch.tensor([5, 3])
    packed = pack_padded_sequence(torch.randn(5, 2, 5), lengths, enforce_sorted=False)
    tr = rnnviz.trace(m, packed)
    text = repr(tr)
    assert "LSTM" in text and "2x2x2x5x6" in text and "float32" in text and "input, forget, cell, output" in text
    assert (tr.num_layers, tr.num_directions, tr.batch_size, tr.steps) == (2, 2, 2, 5)
    arrays = tr.to_numpy()
    assert set(arrays) == {"hidden", "cell", "lengths", "gates"}
    assert set(arrays["gates"]) == {"input", "forget", "cell", "output"}
    assert arrays["hidden"].shape == (2, 2, 2, 5, 6) and isinstance(arrays["gates"]["forget"], np.ndarray)
    assert np.array_equal(arrays["cell"], tr.cell.numpy(), equal_nan=True)
    assert np.array_equal(arrays["gates"]["cell"], tr.gates["cell"].numpy(), equal_nan=True)
    one = tr.select(layer=-1, direction=1, sample=1)
    assert one["hidden"].shape == (3, 6) and one["gates"]["forget"].shape == (3, 6)
    assert np.array_equal(one["cell"], tr.cell[1, 1, 1, :3].numpy())
    assert np.array_equal(one["gates"]["cell"], tr.gates["cell"][1, 1, 1, :3].numpy())
    assert np.array_equal(one["hidden"], tr.hidden[1, 1, 1, :3].numpy())
    assert rnnviz.trace(make("GRU", {}), torch.randn(4, 1, 5)).select()["cell"] is None
    with pytest.raises(ValueError, match=r"layer in \[-2, 1\], got 2"):
        tr.select(layer=2)
    # numpy integers (an argmax, an index from an array) as the views take them; a bool is no index
    picked = tr.select(layer=np.int64(-1), direction=np.int32(1), sample=np.int64(1))
    assert np.array_equal(picked["hidden"], one["hidden"])
    with pytest.raises(TypeError, match="expected an int sample, got bool"):
        tr.select(sample=np.bool_(True))


# Half precision: rounding of about 8-16 units of each dtype's eps on values up to ~3 (float16 eps
# 9.8e-4, bfloat16 7.8e-3); measured worst against the float64 reference 2.5e-3 and 1.5e-2.
HALF_TOL = {torch.float16: 1e-2, torch.bfloat16: 6e-2}


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["f16", "bf16"])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_half_precision_traces_equal_the_module_and_the_reference(kind, dtype):
    """The recompute runs in the module's dtype: its tanh must stay finite where float16's exp
    overflows (pre-activations here reach past 10, where e^{2x} is beyond float16's 65504)."""
    m = make(kind, {"num_layers": 2}, dtype)
    x = (3 * torch.randn(7, 3, 5)).to(dtype)                             # (T, B, I)
    tr = rnnviz.trace(m, x)
    o, h_n, c_n = module_out(copy.deepcopy(m), x)
    assert torch.equal(tr.output, o) and torch.equal(tr.h_n, h_n)       # the kernel's own h_t
    zeros = torch.zeros(2, 3, 6, dtype=torch.float64)
    ref = reference(copy.deepcopy(m).double(), list(x.double().transpose(0, 1)), zeros,
                    zeros if kind == "LSTM" else None)
    assert_matches_reference(tr, ref, HALF_TOL[dtype])


def test_a_bfloat16_trace_reads_out_as_float32():
    """numpy has no bfloat16: to_numpy and select raised 'Got unsupported ScalarType BFloat16'."""
    m = make("LSTM", {}).bfloat16()
    tr = rnnviz.trace(m, torch.randn(4, 2, 5).bfloat16())
    arrays = tr.to_numpy()
    assert arrays["hidden"].dtype == np.float32 and arrays["gates"]["forget"].dtype == np.float32
    assert np.array_equal(arrays["cell"], tr.cell.float().numpy())          # bfloat16 -> float32 is exact
    assert np.array_equal(tr.select(sample=1)["hidden"], tr.hidden[-1, 0, 1].float().numpy())


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_small_tanh_gates_keep_their_relative_precision(kind):
    """The tanh gates (LSTM "cell", GRU "new") were computed as 2 sigmoid(2x) - 1, off by up to 1.2e-7
    absolute: a gate of 1e-6 was 10 % wrong and one of 1e-8 read 0. With positive weights and inputs
    no sum cancels, so the float32 products are good to a few units in the last place, relative, and
    so must the gates be: 1e-5 relative leaves room for 100 of them."""
    torch.manual_seed(0)
    m = getattr(nn, kind)(5, 6, num_layers=2)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(0, 1e-6)                                          # pre-activations around 1e-6
    x = torch.rand(7, 3, 5)                                              # (T, B, I), positive
    tr = rnnviz.trace(m, x)
    m64 = m.double()
    _, _, gates = reference(m64, list(x.double().transpose(0, 1)), torch.zeros(2, 3, 6, dtype=torch.float64),
                            torch.zeros(2, 3, 6, dtype=torch.float64) if kind == "LSTM" else None)
    name = "cell" if kind == "LSTM" else "new"
    want, got = gates[name].detach(), tr.gates[name].double()
    assert float(want.abs().max()) < 1e-4                                # the case: small values
    assert float(((got - want).abs() / want.abs()).max()) < 1e-5


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_saturated_sigmoid_gates_keep_their_relative_precision(kind):
    """Gates that have shut (sigmoid of about -18: 1e-8) are far below any absolute bound of the
    other tests, so a gate off by 1e-6 (100 times its value) would pass them. Here they are held to
    their own size: near 0 the sigmoid's relative error equals the pre-activation's absolute error,
    a few units in the last place of 18 in float32 (2e-6); 1e-4 leaves a factor of 50."""
    torch.manual_seed(0)
    m = getattr(nn, kind)(5, 6, num_layers=2)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.startswith("weight_ih"):
                p.uniform_(-1, 0)
            elif name.startswith("weight_hh"):                           # a GRU's h is near -1: U h <= 0
                p.uniform_(0, 0.1)
            else:
                p.uniform_(-9, -8)
    x = torch.rand(7, 3, 5)                                              # (T, B, I), positive: no sum cancels
    tr = rnnviz.trace(m, x)
    zeros = torch.zeros(2, 3, 6, dtype=torch.float64)
    _, _, gates = reference(m.double(), list(x.double().transpose(0, 1)), zeros,
                            zeros if kind == "LSTM" else None)
    for name in sorted(SIGMOID_GATES & set(gates)):
        want = gates[name].detach()
        assert float(want.max()) < 1e-5, name                            # the case: shut gates (1e-9 to 1e-5)
        assert relatively_close(tr.gates[name], want, 1e-4), name


def test_to_numpy_and_select_give_copies_that_leave_the_trace_alone():
    """They are documented as copies, but ``.numpy()`` of a CPU tensor shares its memory: zeroing the
    arrays zeroed the trace. The arrays are also C-ordered (the trace's tensors are time-major views)."""
    tr = rnnviz.trace(make("LSTM", {"num_layers": 2}), torch.randn(5, 3, 5))   # (T, B, I)
    before = {"hidden": tr.hidden.clone(), "cell": tr.cell.clone(), "forget": tr.gates["forget"].clone()}
    arrays, one = tr.to_numpy(), tr.select(layer=0, sample=1)
    for a in (arrays["hidden"], arrays["cell"], arrays["gates"]["forget"], one["hidden"], one["cell"],
              one["gates"]["forget"]):
        assert a.flags["C_CONTIGUOUS"] and a.flags["OWNDATA"]
        a[...] = 0
    assert torch.equal(tr.hidden, before["hidden"]) and torch.equal(tr.cell, before["cell"])
    assert torch.equal(tr.gates["forget"], before["forget"])


def test_ten_thousand_steps_of_256_units():
    m = make("LSTM", {}, inputs=8, units=256)
    with torch.no_grad():
        for p in m.parameters():
            p.div_(2.5)
    x = torch.randn(10_000, 1, 8)
    tr = rnnviz.trace(m, x)
    o, h_n, c_n = module_out(m, x)
    assert tr.hidden.shape == (1, 1, 1, 10_000, 256)
    held = sum(t.nelement() * t.element_size() for t in [tr.hidden, tr.cell, *tr.gates.values()])
    assert held == 4 * 10_000 * (256 + 5 * 256)                         # the docstring's formula
    assert close(tr.output, o, 1e-5)
    assert close(tr.cell[0, 0, :, -1], c_n[0], 1e-5)                    # 10,000 steps of cell recurrence
    assert close(tr.hidden[0, 0, 0, -1], h_n[0, 0], 1e-5)


# ---------------------------------------------------------------- modules rnnviz cannot read
class Flipped(nn.LSTM):
    """An LSTM subclass whose own forward reads the sequence backwards: not what nn.LSTM computes."""

    def forward(self, x, hx=None):
        out, state = super().forward(x.flip(0), hx)
        return out.flip(0), state


class Renamed(nn.GRU):
    """A subclass that only adds a name: its forward is nn.GRU's own."""

    label = "encoder"


def test_a_subclass_with_its_own_forward_is_refused_not_traced_wrong():
    torch.manual_seed(0)
    m, x = Flipped(5, 6), torch.randn(4, 2, 5)
    with pytest.raises(TypeError, match="Flipped subclasses nn.LSTM but overrides forward"):
        rnnviz.trace(m, x)
    with pytest.raises(TypeError, match="overrides forward"):
        rnnviz.trace(type("Cell", (nn.GRUCell,), {"forward": lambda self, x, h=None: h})(5, 6), x)
    plain = Renamed(5, 6)                                                # no forward of its own: traced exactly
    o, h_n, _ = module_out(plain, x)
    tr = rnnviz.trace(plain, x)
    assert close(tr.output, o, TOL[torch.float32]) and close(tr.h_n, h_n, TOL[torch.float32])


# ---------------------------------------------------------------- clamp values and empty batches
def test_an_empty_clamp_is_no_clamp():
    m = make("LSTM", {"num_layers": 2})
    x = torch.randn(6, 3, 5)
    free, empty = rnnviz.trace(m, x), rnnviz.trace(m, x, clamp={})
    assert empty.clamp is None and empty.notes == free.notes
    assert torch.equal(empty.hidden, free.hidden) and torch.equal(empty.cell, free.cell)
    assert all(torch.equal(empty.gates[k], free.gates[k]) for k in free.gates)


@pytest.mark.parametrize("kind,clamp,match", [
    ("LSTM", {"forget": 5.0}, r"clamp\['forget'\] in \[0, 1\] \(the range of the sigmoid gate\), got 5.0"),
    ("LSTM", {"input": -0.1}, r"clamp\['input'\] in \[0, 1\]"),
    ("LSTM", {"cell": float("nan")}, r"clamp\['cell'\] in \[-1, 1\] \(the range of the tanh gate\), got nan"),
    ("GRU", {"new": float("inf")}, r"clamp\['new'\] in \[-1, 1\]"),
    ("GRU", {"update": 1.5}, r"clamp\['update'\] in \[0, 1\]"),
    ("GRU", {"forget": 1.0}, r"unknown GRU gate 'forget'.*\['reset', 'update', 'new'\]"),
])
def test_clamp_values_are_checked(kind, clamp, match):
    with pytest.raises(ValueError, match=match):
        rnnviz.trace(make(kind, {}), torch.randn(3, 1, 5), clamp=clamp)


def test_clamp_values_at_the_ends_of_the_range_are_accepted():
    tr = rnnviz.trace(make("LSTM", {}), torch.randn(3, 2, 5), clamp={"forget": 1, "cell": -1.0})
    assert tr.clamp == {"forget": 1.0, "cell": -1.0}
    # numpy numbers are numbers too ("expected a float, got float32" before)
    assert rnnviz.trace(make("LSTM", {}), torch.randn(3, 2, 5), clamp={"forget": np.float32(1)}).clamp == {"forget": 1.0}
    with pytest.raises(TypeError, match=r"expected a float for clamp\['forget'\], got bool"):
        rnnviz.trace(make("LSTM", {}), torch.randn(3, 2, 5), clamp={"forget": np.bool_(True)})
    assert torch.equal(tr.gates["cell"], torch.full_like(tr.gates["cell"], -1.0))


@pytest.mark.parametrize("kind,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                     ("GRU", {"batch_first": True}), ("RNN", {})])
def test_a_batch_of_zero_is_traced_as_torch_runs_it(kind, kw):
    m = make(kind, kw)
    x = torch.randn(0, 4, 5) if kw.get("batch_first") else torch.randn(4, 0, 5)
    o, h_n, c_n = module_out(m, x)                                        # torch accepts it
    tr = rnnviz.trace(m, x)
    L, D = m.num_layers, 2 if m.bidirectional else 1
    assert tr.hidden.shape == (L, D, 0, 4, 6) and tr.lengths.shape == (0,)
    assert tr.output.shape == o.shape and tr.h_n.shape == h_n.shape
    with rnnviz.record(m) as rec:
        m(x)
    assert rec[""].batch_size == 0 and rec[""].steps == 4


@pytest.mark.parametrize("kw", [{"num_layers": 2, "bidirectional": True}, {"proj_size": 4, "batch_first": True}],
                         ids=["2-layers-bidirectional", "proj"])
def test_an_lstm_recomputed_in_many_row_chunks_still_matches(kw, monkeypatch):
    """The LSTM gates are projected a block of whole time steps at a time (about CHUNK_BYTES); a
    block of 8 rows is 2 steps of this batch of 4, so the 7 steps make 3 full blocks and one of
    1 step, in both directions and with packed steps, and the cell state is carried across them."""
    from rnnviz.capture import _fast
    monkeypatch.setattr(_fast, "CHUNK_BYTES", 8 * 4 * 6 * 8)                 # 8 rows of 4 gates x 6 float64 units
    m = make("LSTM", kw, torch.float64)
    lengths = torch.tensor([4, 7, 1, 5])
    x = torch.randn(4, 7, 5, dtype=torch.float64)
    for b, n in enumerate(lengths):
        x[b, n:] = 0
    h0, c0 = states(m, 4, torch.float64)
    given = x if m.batch_first else x.transpose(0, 1)
    packed = pack_padded_sequence(given, lengths, batch_first=m.batch_first, enforce_sorted=False)
    tr = rnnviz.trace(m, packed, (h0, c0))
    ref = reference(m, [x[b, :n] for b, n in enumerate(lengths)], h0, c0)
    assert_matches_reference(tr, ref, 1e-10)
    full = rnnviz.trace(m, given, (h0, c0))                                 # all 7 steps, no padding
    assert_matches_reference(full, reference(m, list(x), h0, c0), 1e-10)
