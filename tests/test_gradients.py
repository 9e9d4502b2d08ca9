"""rnnviz.gradient_flow, state_jacobian_norms and GradientRecorder, checked two ways:

- against an independent unrolled loop written here (float64, its own cell
  equations, ``retain_grad`` on every h_t), for RNN, LSTM and GRU;
- against torch itself: the real module's outputs, the real module's input
  gradient, dL/dh_t obtained by splitting the sequence at t and feeding h_t
  back as ``hx`` (deep, bidirectional and packed modules as a chain of torch's
  1-layer modules), and state Jacobians by torch.autograd.functional.jacobian
  of torch's module continuing from h_t.
Each tolerance says the size of the values and the worst error measured.
"""
from __future__ import annotations

import copy
import types

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnviz
from rnnviz.gradients._unroll import unroll

KINDS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


# ---------------------------------------------------------------- reference

def ref_cell(kind, p, x, h, c, nonlinearity="tanh", wrong_gru=False):
    """Textbook equations, written from torch's documentation. x (B, I), h (B, P)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = p
    H = w_hh.shape[0] // {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    b_ih = 0 if b_ih is None else b_ih
    b_hh = torch.zeros(w_hh.shape[0], dtype=x.dtype) if b_hh is None else b_hh
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if kind == "RNN":
        return (torch.tanh if nonlinearity == "tanh" else torch.relu)(gx + gh), None
    if kind == "LSTM":
        a = gx + gh
        i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H])
        g, o = torch.tanh(a[:, 2 * H:3 * H]), torch.sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    r = torch.sigmoid(gx[:, :H] + gh[:, :H])
    z = torch.sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    if wrong_gru:  # the textbook variant: reset applied to h before W_hn
        n = torch.tanh(gx[:, 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
    else:
        n = torch.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h, None


def ref_params(m, layer, d):
    sfx = f"_l{layer}" + ("_reverse" if d else "")
    get = lambda n: None if getattr(m, n + sfx, None) is None else getattr(m, n + sfx).detach().double()  # noqa: E731
    return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")


def reference(m, x, loss_fn, wrong_gru=False):
    """(hidden (L, D, B, T), inputs (B, T)) by an independent float64 loop. x in m's layout."""
    kind = type(m).__name__
    D, L = 2 if m.bidirectional else 1, m.num_layers
    P = m.proj_size or m.hidden_size
    xb = (x if m.batch_first else x.transpose(0, 1)).detach().double().requires_grad_(True)  # (B, T, I)
    B, T = xb.shape[:2]
    layer_in, hs_all, h_n, c_n = xb, [], [], []
    for layer in range(L):
        outs, per_dir = [], []
        for d in range(D):
            h, c = xb.new_zeros(B, P), xb.new_zeros(B, m.hidden_size)
            hs = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = ref_cell(kind, ref_params(m, layer, d), layer_in[:, t], h, c,
                                getattr(m, "nonlinearity", "tanh"), wrong_gru)
                h.retain_grad()
                hs[t] = h
            per_dir.append(hs)
            outs.append(torch.stack(hs, 1))
            h_n.append(h)
            c_n.append(c)
        hs_all.append(per_dir)
        layer_in = torch.cat(outs, -1)
    out = layer_in if m.batch_first else layer_in.transpose(0, 1)
    h_n = torch.stack(h_n)
    loss = loss_fn((out, (h_n, torch.stack(c_n)) if kind == "LSTM" else h_n))
    loss.backward()
    hidden = torch.stack([torch.stack([torch.stack([h.grad.norm(dim=-1) for h in hs], 1) for hs in per_dir])
                          for per_dir in hs_all])
    return hidden, xb.grad.norm(dim=-1)


def weights_like(t, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(t.shape, generator=g, dtype=t.dtype)


def mixed_loss(out):
    """Nonlinear in the output and in h_n (and c_n), so every path to the loss carries gradient."""
    o, state = out
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    loss = (torch.sin(o) * weights_like(o, 1)).sum() + (h_n.pow(2) * weights_like(h_n, 2)).sum()
    return loss + (0 if c_n is None else (c_n * weights_like(c_n, 3)).sum())


def make(kind, layers=1, bidirectional=False, batch_first=True, seed=0, dtype=torch.float64, **kw):
    torch.manual_seed(seed)
    return KINDS[kind](4, 6, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                       **kw).to(dtype)


def sample(m, B=3, T=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, m.input_size, generator=g, dtype=m.weight_ih_l0.dtype)
    return x if m.batch_first else x.transpose(0, 1).contiguous()


# ---------------------------------------------------------------- against the reference loop

@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
@pytest.mark.parametrize("batch_first", [True, False])
def test_matches_reference_loop(kind, layers, bidirectional, batch_first):
    m = make(kind, layers, bidirectional, batch_first)
    x = sample(m)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    hidden, inputs = reference(m, x, mixed_loss)
    assert flow.hidden.shape == (layers, 2 if bidirectional else 1, 3, 5)
    # both float64, the same sums in another order: norms 0.03 .. 5.7, worst relative error measured
    # 1e-15; relative, not absolute, so that a vanished gradient could not pass as 0 (here and below)
    torch.testing.assert_close(flow.hidden, hidden, rtol=1e-12, atol=0)
    torch.testing.assert_close(flow.inputs, inputs, rtol=1e-12, atol=0)
    assert flow.finite and flow.kind == kind and flow.module_name == ""
    with torch.no_grad():
        # losses 0.03 .. 6.5, sums of ~100 signed terms: worst relative error measured 2e-14 (cancellation)
        assert flow.loss == pytest.approx(mixed_loss(m(x)).item(), rel=1e-12, abs=0)


@pytest.mark.parametrize("kind,kw", [("RNN", {"nonlinearity": "relu"}), ("LSTM", {"proj_size": 3}),
                                     ("GRU", {"bias": False})])
def test_matches_reference_variants(kind, kw):
    m = make(kind, 2, True, True, **kw)
    x = sample(m)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    hidden, inputs = reference(m, x, mixed_loss)
    # float64 both: norms 0.07 .. 5.5, worst relative error measured 4e-16
    torch.testing.assert_close(flow.hidden, hidden, rtol=1e-12, atol=0)
    torch.testing.assert_close(flow.inputs, inputs, rtol=1e-12, atol=0)


def test_unbatched_input_is_a_batch_of_one():
    m = make("GRU", 2, True, False)
    x = sample(m, B=1)                                                      # (T, 1, I)
    flow, single = rnnviz.gradient_flow(m, x, mixed_loss), rnnviz.gradient_flow(m, x[:, 0], mixed_loss)
    assert single.hidden.shape == (2, 2, 1, 5) and single.inputs.shape == (1, 5)
    # the same float64 operations on differently strided copies: norms 0.2 .. 4.9, measured equal;
    # a kernel may still pick another summation order for another stride, hence a few ulps
    torch.testing.assert_close(single.hidden, flow.hidden, rtol=1e-13, atol=0)
    torch.testing.assert_close(single.inputs, flow.inputs, rtol=1e-13, atol=0)


def test_a_wrong_gru_reference_breaks_the_comparison():
    """The comparison can fail: the textbook GRU (r * h before W_hn) is not torch's GRU."""
    m = make("GRU", 2, True, True)
    x = sample(m)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    hidden, inputs = reference(m, x, mixed_loss, wrong_gru=True)
    # the two GRUs differ by up to 0.57 (hidden) and 0.21 (inputs), the float64 agreement is 1e-15
    assert not torch.allclose(flow.hidden, hidden, rtol=1e-6, atol=0)
    assert not torch.allclose(flow.inputs, inputs, rtol=1e-6, atol=0)


# ---------------------------------------------------------------- against torch itself

@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unrolled_forward_equals_the_module(kind):
    for layers, bidir, bf in [(1, False, True), (2, True, False), (2, True, True)]:
        m = make(kind, layers, bidir, bf, dtype=torch.float32, dropout=0.3 * (layers > 1)).eval()
        x = sample(m, B=4, T=7)
        D = 2 if bidir else 1
        h0 = torch.randn(layers * D, 4, 6)
        hx = (h0, torch.randn(layers * D, 4, 6)) if kind == "LSTM" else h0
        want, got = m(x, hx), unroll(m, x, hx)[0]
        # float32 states and outputs |v| <= 1.9: worst absolute error measured 2.4e-7 (2 ulps at 1);
        # absolute, as a value near 0 keeps the rounding of its O(1) summands; 1e-5 leaves 40x
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
        want, got = m(x[0] if bf else x[:, 0]), unroll(m, x[0] if bf else x[:, 0])[0]  # unbatched
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)                   # the same bound


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unrolled_forward_equals_the_module_on_packed_input(kind):
    m = make(kind, 2, True, True, dtype=torch.float32)
    x = sample(m, B=4, T=6)
    lengths = torch.tensor([3, 6, 1, 4])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h0 = torch.randn(4, 4, 6)
    hx = (h0, torch.randn(4, 4, 6)) if kind == "LSTM" else h0
    (out, st), (want_out, want_st) = unroll(m, packed, hx)[0], m(packed, hx)
    # float32 |v| <= 1.9, worst absolute error measured 1.8e-7; absolute for the reason just above
    torch.testing.assert_close(out.data, want_out.data, atol=1e-5, rtol=0)
    assert torch.equal(out.batch_sizes, want_out.batch_sizes)
    assert torch.equal(out.unsorted_indices, want_out.unsorted_indices)
    torch.testing.assert_close(st, want_st, atol=1e-5, rtol=0)                    # the same bound


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_input_gradient_equals_torchs_own_backward(kind):
    """dL/dx_t from the real nn module's backward, float32, deep bidirectional and packed."""
    m = make(kind, 2, True, False, dtype=torch.float32)
    x = sample(m, B=4, T=6).requires_grad_(True)
    mixed_loss(m(x)).backward()
    flow = rnnviz.gradient_flow(m, x.detach(), mixed_loss)
    # float32 gradients by two backward orders (torch's kernel, the unrolled loop): norms 0.06 .. 2.1,
    # worst relative error measured 3.2e-7 (a few ulps); relative, 30x room
    torch.testing.assert_close(flow.inputs, x.grad.double().norm(dim=-1).T, rtol=1e-5, atol=0)

    lengths = torch.tensor([3, 6, 1, 4])
    xp = sample(m, B=4, T=6).transpose(0, 1).contiguous().requires_grad_(True)  # (B, T, I)
    loss = lambda out: (torch.sin(pad_packed_sequence(out[0], batch_first=True)[0]).sum()  # noqa: E731
                        + mixed_loss((out[0].data, out[1])))
    loss(m(pack_padded_sequence(xp, lengths, batch_first=True, enforce_sorted=False))).backward()
    flow = rnnviz.gradient_flow(m, pack_padded_sequence(xp.detach(), lengths, batch_first=True,
                                                        enforce_sorted=False), loss)
    valid = torch.arange(6) < lengths[:, None]
    # float32, norms 0.14 .. 2.9, worst relative error measured 2.8e-7
    torch.testing.assert_close(flow.inputs[valid], xp.grad.double().norm(dim=-1)[valid], rtol=1e-5, atol=0)
    assert flow.inputs[~valid].isnan().all() and flow.hidden[:, :, ~valid].isnan().all()
    assert flow.finite and torch.equal(flow.lengths, lengths)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_total_hidden_gradient_equals_torch_split_at_t(kind):
    """Run torch's module on x[:t+1], feed its h_t back as hx for x[t+1:]: the gradient of hx
    plus the direct output gradient at t is the total dL/dh_t, computed by torch alone."""
    m = make(kind, 1, False, True, dtype=torch.float32)
    x = sample(m, B=3, T=8)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    for t in (0, 3, 6):
        first, st = m(x[:, :t + 1])
        h_t = (st[0] if kind == "LSTM" else st).detach().requires_grad_(True)
        o_t = first.detach().requires_grad_(True)
        hx = (h_t, st[1].detach()) if kind == "LSTM" else h_t
        rest, st2 = m(x[:, t + 1:], hx)
        mixed_loss((torch.cat([o_t, rest], 1), st2)).backward()
        total = h_t.grad[0] + o_t.grad[:, t]                                # (B, H)
        # float32, norms 1.4 .. 4.0, worst relative error measured 8e-8
        torch.testing.assert_close(flow.hidden[0, 0, :, t], total.double().norm(dim=-1), rtol=1e-5, atol=0)


# ---------------------------------------------------------------- torch's own modules, split at any h_t
#
# A deep or bidirectional module fuses its steps, so no h_t is a tensor of its own. Torch's
# 1-layer unidirectional modules carrying one (layer, direction)'s weights are chained here the
# way the deep module chains them (checked against the real module: test_torch_chain_is_the_module);
# the chosen direction is run in two calls, cut after h_t, and h_t is a leaf read by both the
# output at t and the second call. Its .grad is then the total dL/dh_t, computed by torch alone.

def one_direction(m, layer, d):
    """A 1-layer unidirectional batch-first torch module with m's weights of (layer, direction d)."""
    P, D = m.proj_size or m.hidden_size, 2 if m.bidirectional else 1
    kw = {"proj_size": m.proj_size} if m.proj_size else {}
    kw.update({"nonlinearity": m.nonlinearity} if isinstance(m, nn.RNN) else {})
    s = type(m)(m.input_size if layer == 0 else D * P, m.hidden_size, bias=m.bias, batch_first=True, **kw)
    s = s.to(m.weight_ih_l0.dtype)
    with torch.no_grad():
        for name, w in s.named_parameters():
            w.copy_(getattr(m, name.replace("_l0", f"_l{layer}" + ("_reverse" if d else ""))))
    return s


def flip_within(y, n):
    """y (B, T, F) with each sequence's first n[b] steps in reverse order (the backward reading order)."""
    i = torch.arange(y.shape[1])
    idx = torch.where(i < n[:, None], n[:, None] - 1 - i, i)           # (B, T)
    return y.gather(1, idx[..., None].expand_as(y))


def window(y, start, n):
    """(B, max n, F): steps start[b] .. start[b]+n[b]-1 of each sequence, zeros after."""
    i = torch.arange(max(int(n.max()), 0))
    idx = (start[:, None] + i).clamp(max=y.shape[1] - 1)               # (B, W)
    return y.gather(1, idx[..., None].expand(-1, -1, y.shape[2])) * (i < n[:, None])[..., None]


def run_torch(s, seq, n, h, c, packed):
    """s over seq (B, W, I) for n[b] steps from (h, c) (1, B, .): (out (B, W, P), h, c). A sequence with
    n = 0 keeps its state. packed: torch runs a PackedSequence; else all n are equal and it runs seq."""
    hx = (h, c) if c is not None else h
    if not packed:
        if int(n[0]) == 0:
            return seq.new_zeros(*seq.shape[:2], h.shape[-1]), h, c
        out, st = s(seq, hx)
        return (out, *st) if c is not None else (out, st, None)
    go = (n > 0).nonzero()[:, 0]
    if go.numel() == 0:
        return seq.new_zeros(*seq.shape[:2], h.shape[-1]), h, c
    sub = lambda v: v[:, go]  # noqa: E731
    out, st = s(pack_padded_sequence(seq[go], n[go], batch_first=True, enforce_sorted=False),
                (sub(h), sub(c)) if c is not None else sub(h))
    out = pad_packed_sequence(out, batch_first=True, total_length=seq.shape[1])[0]
    h2, c2 = st if c is not None else (st, None)
    full = seq.new_zeros(*seq.shape[:2], out.shape[-1]).index_copy(0, go, out)
    return (full, h.index_copy(1, go, h2), None if c is None else c.index_copy(1, go, c2))


def torch_chain(m, x, hx=None, lengths=None, cut=None, layers=None):
    """m's forward by torch's 1-layer modules. x (B, T, I) batch first; lengths: run packed.
    cut (layer, d, t): that direction is run up to and from h_t, a leaf. layers: stop after that many.
    Returns (out (B, T, D*P) zeros past lengths, h_n (L*D, B, P), c_n or None, the leaf (1, B, P))."""
    B, T = x.shape[:2]
    D, P, H = 2 if m.bidirectional else 1, m.proj_size or m.hidden_size, m.hidden_size
    n = torch.full((B,), T) if lengths is None else lengths
    lstm = isinstance(m, nn.LSTM)
    if hx is None:
        hx = x.new_zeros(m.num_layers * D, B, P)
        hx = (hx, x.new_zeros(m.num_layers * D, B, H)) if lstm else hx
    h0, c0 = hx if lstm else (hx, None)
    layer_in, h_n, c_n, leaf = x, [], [], None
    for layer in range(m.num_layers if layers is None else layers):
        outs = []
        for d in range(D):
            s, k = one_direction(m, layer, d), layer * D + d
            seq = flip_within(layer_in, n) if d else layer_in
            h, c = h0[k:k + 1], None if c0 is None else c0[k:k + 1]
            if cut is None or cut[:2] != (layer, d):
                out, h, c = run_torch(s, seq, n, h, c, lengths is not None)
            else:
                t = cut[2]
                at = n - 1 - t if d else torch.full((B,), t)           # h_t's place in reading order
                first = torch.where(t < n, at + 1, n)                  # a sequence too short runs whole
                packed, rest = lengths is not None, n - first
                o1, h1, c1 = run_torch(s, window(seq, 0 * n, first), first, h, c, packed)
                leaf = h1.detach().requires_grad_(True)                # (1, B, P)
                c1 = None if c1 is None else c1.detach()               # c_t held fixed, as rnnviz defines it
                o2, h, c = run_torch(s, window(seq, first, rest), rest, leaf, c1, packed)
                out = torch.stack([torch.cat([o1[b, :first[b] - 1], leaf[0, b:b + 1], o2[b, :rest[b]],
                                              seq.new_zeros(T - n[b], P)]) for b in range(B)])
            outs.append(flip_within(out, n) if d else out)
            h_n.append(h[0])
            c_n.append(None if c is None else c[0])
        layer_in = torch.cat(outs, -1)
    return layer_in, torch.stack(h_n), torch.stack(c_n) if lstm else None, leaf


def as_module_output(m, out, h_n, c_n, lengths=None):
    """(output, state) in m's own format."""
    if lengths is not None:
        out = pack_padded_sequence(out, lengths, batch_first=True, enforce_sorted=False)
    elif not m.batch_first:
        out = out.transpose(0, 1)
    return out, ((h_n, c_n) if c_n is not None else h_n)


def torch_hidden_grad_norms(m, x, loss_fn, hx=None, lengths=None):
    """(L, D, B, T) norms of dL/dh_t, one torch run split at each (layer, direction, t); NaN past lengths."""
    B, T = x.shape[:2]
    D = 2 if m.bidirectional else 1
    got = torch.full((m.num_layers, D, B, T), float("nan"), dtype=torch.float64)
    n = torch.full((B,), T) if lengths is None else lengths
    for layer in range(m.num_layers):
        for d in range(D):
            for t in range(T):
                *chain, leaf = torch_chain(m, x, hx, lengths, cut=(layer, d, t))
                g, = torch.autograd.grad(loss_fn(as_module_output(m, *chain, lengths)), leaf)
                got[layer, d, :, t] = torch.where(t < n, g[0].double().norm(dim=-1), float("nan"))
    return got


def hidden_state(m, B, seed=3):
    """A nonzero initial state in m's hx format (layers*directions, B, units)."""
    g = torch.Generator().manual_seed(seed)
    D, dt = 2 if m.bidirectional else 1, m.weight_ih_l0.dtype
    h0 = 0.8 * torch.randn(m.num_layers * D, B, m.proj_size or m.hidden_size, generator=g, dtype=dt).tanh()
    if not isinstance(m, nn.LSTM):
        return h0
    return h0, torch.randn(m.num_layers * D, B, m.hidden_size, generator=g, dtype=dt)


CONFIGS = [pytest.param(kind, layers, bidir, bf, {}, id=f"{kind}-{layers}{'bi' if bidir else 'uni'}-{'tb'[bf]}f")
           for kind in KINDS for layers, bidir, bf in [(1, False, False), (2, False, True), (1, True, True),
                                                      (2, True, False)]]
CONFIGS += [pytest.param("RNN", 2, True, False, {"nonlinearity": "relu"}, id="RNN-relu"),
            pytest.param("LSTM", 2, True, True, {"proj_size": 3}, id="LSTM-proj3"),
            pytest.param("GRU", 2, True, False, {"bias": False}, id="GRU-nobias"),
            pytest.param("LSTM", 2, True, False, {"bias": False, "proj_size": 4}, id="LSTM-nobias-proj4")]


@pytest.mark.parametrize("kind,layers,bidir,bf,kw", CONFIGS)
@pytest.mark.parametrize("given_h0", [False, True])
def test_hidden_and_input_gradients_equal_torchs_own(kind, layers, bidir, bf, kw, given_h0):
    """Every dL/dh_t against a torch run split at t; dL/dx_t against the real module's backward.
    float64 throughout; the configurations of the reference-loop tests, with and without a given h0."""
    m = make(kind, layers, bidir, bf, **kw)
    x = sample(m).requires_grad_(True)
    hx = hidden_state(m, 3) if given_h0 else None
    flow = rnnviz.gradient_flow(m, (x.detach(), hx) if given_h0 else x.detach(), mixed_loss)
    xb = x if bf else x.transpose(0, 1)
    want = torch_hidden_grad_norms(m, xb.detach(), mixed_loss, hx)
    # float64 both: norms 0.12 .. 5.8, worst relative error measured 6.5e-16
    torch.testing.assert_close(flow.hidden, want, rtol=1e-12, atol=0)
    mixed_loss(m(x, hx)).backward()
    # float64: norms 0.015 .. 2.1, worst relative error measured 1e-15
    gx = x.grad if bf else x.grad.transpose(0, 1)                          # (B, T, I)
    torch.testing.assert_close(flow.inputs, gx.norm(dim=-1), rtol=1e-12, atol=0)


def packed_loss(out):
    """mixed_loss on the padded output: every valid step and h_n (and c_n) reach the loss."""
    return mixed_loss((pad_packed_sequence(out[0], batch_first=True)[0], out[1]))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_gradients_equal_torchs_own_on_the_packed_module(kind):
    """A PackedSequence (lengths 3, 6, 1, 4) and a given h0: dL/dh_t against torch's 1-layer modules
    running packed sequences split at t, dL/dx_t against the real module's backward on the packed input."""
    m = make(kind, 2, True, True)
    x = sample(m, B=4, T=6).requires_grad_(True)
    lengths, hx = torch.tensor([3, 6, 1, 4]), hidden_state(m, 4)
    packed = lambda v: pack_padded_sequence(v, lengths, batch_first=True, enforce_sorted=False)  # noqa: E731
    flow = rnnviz.gradient_flow(m, (packed(x.detach()), hx), packed_loss)
    want = torch_hidden_grad_norms(m, x.detach(), packed_loss, hx, lengths)
    assert want.isnan().sum() == 4 * (3 + 0 + 5 + 2)                    # padded steps, 4 directions
    # float64: norms 0.3 .. 5.1, worst relative error measured 4.9e-16
    torch.testing.assert_close(flow.hidden, want, rtol=1e-12, atol=0, equal_nan=True)
    packed_loss(m(packed(x), hx)).backward()
    valid = torch.arange(6) < lengths[:, None]
    # float64: norms 0.15 .. 1.7, worst relative error measured 5.7e-16
    torch.testing.assert_close(flow.inputs[valid], x.grad.norm(dim=-1)[valid], rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("lengths", [None, [3, 6, 1, 4]])
def test_torch_chain_is_the_module(kind, lengths):
    """The chain of 1-layer modules the tests above split is torch's deep bidirectional module:
    without a cut, and with a cut (the leaf changes no value)."""
    m = make(kind, 2, True, True, **({"proj_size": 3} if kind == "LSTM" else {}))
    x, hx = sample(m, B=4, T=6), hidden_state(m, 4)
    n = None if lengths is None else torch.tensor(lengths)
    want = m(x if n is None else pack_padded_sequence(x, n, batch_first=True, enforce_sorted=False), hx)
    for cut in (None, (0, 1, 2), (1, 0, 5), (1, 1, 0)):
        got = as_module_output(m, *torch_chain(m, x, hx, n, cut)[:3], n)
        # float64 states |v| <= 1.1 (down to 2e-5): worst absolute error measured 1.7e-16; absolute,
        # as a state near 0 keeps the rounding of its O(1) summands (relative error 6e-13 there)
        torch.testing.assert_close(got[0].data if n is not None else got[0],
                                   want[0].data if n is not None else want[0], rtol=0, atol=1e-14)
        torch.testing.assert_close(got[1], want[1], rtol=0, atol=1e-14)


# ---------------------------------------------------------------- whole models, packing, tuples

class Encoder(nn.Module):
    def __init__(self, kind="LSTM", packed=False):
        super().__init__()
        self.emb = nn.Embedding(20, 4)
        self.rnn = KINDS[kind](4, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.packed = packed

    def forward(self, ids, lengths=None):
        e = self.emb(ids)                                                   # (B, T, 4)
        if self.packed:
            e = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(e)
        if self.packed:
            out = pad_packed_sequence(out, batch_first=True)[0]
        return out


class Classifier(nn.Module):
    def __init__(self, kind="LSTM", packed=False):
        super().__init__()
        self.encoder = Encoder(kind, packed)
        self.head = nn.Sequential(nn.Linear(12, 5), nn.BatchNorm1d(5), nn.Dropout(0.5), nn.Linear(5, 1))

    def forward(self, ids, lengths=None):
        return self.head(self.encoder(ids, lengths).mean(1)).squeeze(-1)


def ids_and_lengths(B=4, T=6):
    g = torch.Generator().manual_seed(5)
    return torch.randint(0, 20, (B, T), generator=g), torch.tensor([6, 2, 5, 3])[:B]


def test_whole_model_finds_the_rnn_and_matches_torch_embedding_gradient():
    torch.manual_seed(0)
    model = Classifier("GRU").eval()
    ids, _ = ids_and_lengths()
    loss_fn = lambda y: (y - 1).pow(2).mean()  # noqa: E731
    flow = rnnviz.gradient_flow(model, ids, loss_fn)
    assert flow.module_name == "encoder.rnn" and flow.kind == "GRU" and flow.hidden.shape == (2, 2, 4, 6)
    twin = copy.deepcopy(model)
    grabbed = []

    def grab(mod, args, out):
        out.retain_grad()
        grabbed.append(out)

    twin.encoder.emb.register_forward_hook(grab)
    loss_fn(twin(ids)).backward()
    # float32 norms 4e-3 .. 8e-3 (a mean over the batch shrinks them): worst relative error measured
    # 2.8e-7; the old absolute 1e-6 was a quarter per mille of these values, hence relative
    torch.testing.assert_close(flow.inputs, grabbed[0].grad.double().norm(dim=-1), rtol=1e-5, atol=0)
    by_name = rnnviz.gradient_flow(model, ids, loss_fn, module="encoder.rnn")
    by_module = rnnviz.gradient_flow(model, ids, loss_fn, module=model.encoder.rnn)
    assert torch.equal(by_name.hidden, flow.hidden) and torch.equal(by_module.inputs, flow.inputs)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_packed_model_with_tuple_inputs_matches_sequences_run_alone(kind):
    """With packing, each sequence's flow equals the flow of that sequence run on its own."""
    torch.manual_seed(0)
    model = Encoder(kind, packed=True).double()
    ids, lengths = ids_and_lengths()
    loss_fn = lambda out: (torch.sin(out) * weights_like(out, 7)[:, :out.shape[1]]).sum()  # noqa: E731
    flow = rnnviz.gradient_flow(model, (ids, lengths), loss_fn)
    assert torch.equal(flow.lengths, lengths)
    for b, n in enumerate(lengths.tolist()):
        e = model.emb(ids[b:b + 1, :n]).detach()                            # (1, n, 4)
        w = weights_like(torch.zeros(4, 6, 12, dtype=torch.float64), 7)[b:b + 1, :n]
        alone = rnnviz.gradient_flow(model.rnn, e, lambda out: (torch.sin(out[0]) * w).sum())
        # float64, norms 0.03 .. 4.8, worst relative error measured 4e-16 (batched vs alone matmuls)
        torch.testing.assert_close(flow.hidden[:, :, b, :n], alone.hidden[:, :, 0], rtol=1e-12, atol=0)
        torch.testing.assert_close(flow.inputs[b, :n], alone.inputs[0], rtol=1e-12, atol=0)
        assert flow.hidden[:, :, b, n:].isnan().all()


def test_the_model_is_left_as_it_was():
    torch.manual_seed(0)
    model = Classifier("LSTM", packed=True)
    model.train()
    model.encoder.emb.eval()
    model.encoder.emb.weight.requires_grad_(False)
    ids, lengths = ids_and_lengths()
    model(ids, lengths).sum().backward()                                    # some .grad exist ...
    model.head[0].weight.grad = None                                        # ... and one is None again
    params = {n: (p.detach().clone(), None if p.grad is None else p.grad.clone(), p.grad, p.requires_grad)
              for n, p in model.named_parameters()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    modes = {n: m.training for n, m in model.named_modules()}
    rng = torch.get_rng_state()
    flow = rnnviz.gradient_flow(model, (ids, lengths), lambda y: y.pow(2).mean())
    assert flow.finite
    for n, p in model.named_parameters():
        value, grad, grad_obj, req = params[n]
        assert torch.equal(p, value) and p.requires_grad == req
        assert (p.grad is None) == (grad is None) and p.grad is grad_obj
        assert grad is None or torch.equal(p.grad, grad)
    assert all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert torch.equal(torch.get_rng_state(), rng)
    assert "forward" not in vars(model.encoder.rnn)
    with pytest.raises(RuntimeError, match="boom"):
        rnnviz.gradient_flow(model, (ids, lengths), lambda y: (_ for _ in ()).throw(RuntimeError("boom")))
    assert "forward" not in vars(model.encoder.rnn)
    assert all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())


def test_exploding_gradients_are_reported_not_raised():
    torch.manual_seed(0)
    m = nn.RNN(3, 4, nonlinearity="relu", batch_first=True)
    with torch.no_grad():
        m.weight_hh_l0.copy_(torch.eye(4) * 1e4)
        m.bias_hh_l0.fill_(1.0)
    flow = rnnviz.gradient_flow(m, torch.rand(2, 30, 3), lambda out: out[0].sum())
    assert not flow.finite
    assert not torch.isfinite(flow.hidden).all()
    small = rnnviz.gradient_flow(m, torch.rand(2, 3, 3), lambda out: out[0].sum())
    assert small.finite


# ---------------------------------------------------------------- bad input

def test_clear_errors():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = nn.GRU(4, 6), nn.LSTM(6, 6)

        def forward(self, x):
            return self.dec(self.enc(x)[0])[0]

    x = torch.randn(5, 2, 4)
    with pytest.raises(ValueError, match="several recurrent submodules: 'enc', 'dec'"):
        rnnviz.gradient_flow(Two(), x, lambda o: o.sum())
    with pytest.raises(ValueError, match="no recurrent submodule named 'decoder'.*valid names: 'enc', 'dec'"):
        rnnviz.gradient_flow(Two(), x, lambda o: o.sum(), module="decoder")
    assert rnnviz.gradient_flow(Two(), x, lambda o: o.sum(), module="dec").kind == "LSTM"
    with pytest.raises(ValueError, match=r"scalar.*got a tensor of shape \(5, 2, 6\)"):
        rnnviz.gradient_flow(Two(), x, lambda o: o, module="enc")
    with pytest.raises(ValueError, match="has none"):
        rnnviz.gradient_flow(nn.Linear(4, 2), x, lambda o: o.sum())
    with pytest.raises(ValueError, match=r"expected a \(batch, time, 4\) tensor.*got shape \(8, 20\)"):
        rnnviz.gradient_flow(nn.LSTM(4, 6, batch_first=True), torch.randn(8, 20), lambda o: o[0].sum())
    with pytest.raises(TypeError, match="dtype torch.float32.*got torch.float64"):
        rnnviz.gradient_flow(nn.GRU(4, 6), x.double(), lambda o: o[0].sum())
    with pytest.raises(ValueError, match="no gradient"):
        rnnviz.gradient_flow(nn.GRU(4, 6), x, lambda o: o[0].detach().sum())
    with pytest.raises(TypeError, match="scalar tensor, got float"):
        rnnviz.gradient_flow(nn.GRU(4, 6), x, lambda o: float(o[0].detach().sum()))
    with pytest.raises(ValueError, match=r"h_0 of shape \(1, 2, 6\)"):
        rnnviz.gradient_flow(nn.GRU(4, 6), (x, torch.zeros(1, 3, 6)), lambda o: o[0].sum())

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 4)

        def forward(self, x):
            return self.rnn(self.rnn(x)[0])[0]

    with pytest.raises(ValueError, match="called once.*called 2 times"):
        rnnviz.gradient_flow(Twice(), x, lambda o: o.sum())


def test_training_mode_dropout_follows_torch():
    """dropout=1.0 in training mode is deterministic (layer 2 sees zeros): the unroll must match torch."""
    m = make("LSTM", 2, True, True, dtype=torch.float32, dropout=1.0).train()
    x = sample(m)
    # float32 |v| <= 0.9, worst absolute error measured 9e-8; absolute as for the forward tests above
    torch.testing.assert_close(unroll(m, x)[0], m(x), atol=1e-5, rtol=0)


def test_gradient_flow_runs_a_training_model_in_eval_mode_and_says_so():
    """With dropout=1.0 a training-mode pass would cut layer 2 off from layer 1 (zero gradient
    there); gradient_flow runs in eval mode instead, so it equals the flow of the eval'd module,
    says so in its notes, and leaves the module in training mode."""
    m = make("LSTM", 2, True, True, dtype=torch.float32, dropout=1.0).train()
    x = sample(m)
    loss = lambda out: torch.sin(out[0]).sum()  # noqa: E731  the output only, no h_n
    flow = rnnviz.gradient_flow(m, x, loss)
    assert m.training
    assert flow.notes and "training mode" in flow.notes[0]
    assert (flow.hidden[0] > 0).all() and (flow.inputs > 0).all()      # no layer cut off
    reference = rnnviz.gradient_flow(copy.deepcopy(m).eval(), x, loss)
    assert torch.equal(flow.hidden, reference.hidden) and torch.equal(flow.inputs, reference.inputs)
    assert reference.notes == []


# ---------------------------------------------------------------- state Jacobians

def scaled_rnn(rho, H=6, seed=0):
    """A tanh nn.RNN (float64, no bias) whose W_hh has spectral radius ``rho``."""
    torch.manual_seed(seed)
    m = nn.RNN(3, H, bias=False, batch_first=True).double()
    with torch.no_grad():
        w = m.weight_hh_l0
        w.mul_(rho / torch.linalg.eigvals(w).abs().max())
    return m


@pytest.mark.parametrize("rho", [0.5, 1.5])
def test_state_jacobian_is_a_matrix_power_in_the_linear_regime(rho):
    m, T = scaled_rnn(rho), 12
    x = torch.zeros(2, T, 3, dtype=torch.float64)                          # h stays 0: tanh' = 1
    for norm, ord_ in (("spectral", 2), ("fro", "fro")):
        got = rnnviz.state_jacobian_norms(m, x, norm=norm)
        want = torch.stack([torch.linalg.matrix_norm(torch.linalg.matrix_power(m.weight_hh_l0.detach(), T - 1 - t),
                                                     ord=ord_) for t in range(T)])
        assert got.shape == (2, T)
        # float64 norms 1e-3 .. 211 (rho^(T-1-t) shrinks for 0.5): relative, worst measured 1e-15
        torch.testing.assert_close(got, want.expand(2, T), rtol=1e-12, atol=0)


def test_spectral_radius_below_one_vanishes_above_one_explodes():
    T = 25
    x = 1e-4 * torch.randn(3, T, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    low = rnnviz.state_jacobian_norms(scaled_rnn(0.5), x)
    high = rnnviz.state_jacobian_norms(scaled_rnn(1.5), x)
    assert (low[:, 0] < 1e-5).all() and (high[:, 0] > 1e3).all()
    # W_hh is not normal, so single steps may wiggle; over 5 steps the trend is strict
    assert (low[:, :-5] < low[:, 5:]).all()                                 # grows toward the last step
    assert (high[:, :-5] > high[:, 5:]).all()                               # shrinks toward the last step
    rate = lambda n: (n[:, 0].log() - n[:, 12].log()) / 12                  # noqa: E731  per-step log change
    assert (rate(low) < -0.4).all() and (rate(high) > 0.25).all()           # log 0.5 = -0.69, log 1.5 = 0.41
    # identity at t = T-1: its spectral norm came out exactly 1; an SVD may round by an ulp
    torch.testing.assert_close(low[:, -1], torch.ones(3, dtype=torch.float64), rtol=1e-14, atol=0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("given_hx", [False, True])
def test_state_jacobian_matches_autograd_jacobian_of_a_reference_loop(kind, given_hx):
    """Layer 1, backward direction of a 2-layer bidirectional module, against torch.autograd.functional
    on the reference cells. A given hx is where both layers start: layer 0's output and layer 1's states."""
    m = make(kind, 2, True, True)
    x = sample(m, B=2, T=6)
    hx = hidden_state(m, 2) if given_hx else None
    zeros = torch.zeros(4, 2, 6, dtype=torch.float64)
    h0, c0 = (hx if kind == "LSTM" else (hx, None)) if given_hx else (zeros, zeros)
    got = rnnviz.state_jacobian_norms(m, x, hx, layer=1, direction=1, norm="fro")
    lower_out = reference_layer_outputs(m, x, h0, c0)                      # (B, T, 12) layer 0
    p = ref_params(m, 1, 1)
    for b in range(2):
        xb = lower_out[b:b + 1]                                             # (1, T, 12)
        states = {}
        h, c = h0[3, b:b + 1], None if c0 is None else c0[3, b:b + 1]      # row 3: layer 1, backward
        for t in range(5, -1, -1):
            h, c = ref_cell(kind, p, xb[:, t], h, c)
            states[t] = (h, c)
        for t in range(6):
            def rest(h_t, t=t):
                h, c = h_t, states[t][1]                                    # c_t held fixed
                for s in range(t - 1, -1, -1):
                    h, c = ref_cell(kind, p, xb[:, s], h, c)
                return h
            jac = torch.autograd.functional.jacobian(rest, states[t][0])   # (1, H, 1, H)
            # float64: norms 0.016 .. 2.4, worst relative error measured 3.7e-16
            assert got[b, t].item() == pytest.approx(jac.reshape(6, 6).norm().item(), rel=1e-12, abs=0)


def reference_layer_outputs(m, x, h0, c0):
    """Layer-0 output (B, T, D*H) of m by the reference cell (no grad), from h0 (L*D, B, H), c0 or None."""
    xb = (x if m.batch_first else x.transpose(0, 1)).detach().double()
    T = xb.shape[1]
    outs = []
    for d in range(2 if m.bidirectional else 1):
        h, c, hs = h0[d], None if c0 is None else c0[d], [None] * T
        for t in (range(T - 1, -1, -1) if d else range(T)):
            h, c = ref_cell(type(m).__name__, ref_params(m, 0, d), xb[:, t], h, c)
            hs[t] = h
        outs.append(torch.stack(hs, 1))
    return torch.cat(outs, -1)


def torch_state_jacobians(m, x, hx, layer, d):
    """(B, T, P, P): d h_last / d h_t of one layer and direction, by torch.autograd.functional.jacobian
    of torch's 1-layer module run on from h_t (c_t held fixed). x (B, T, I) batch first."""
    B, T = x.shape[:2]
    k, lstm = layer * (2 if m.bidirectional else 1) + d, isinstance(m, nn.LSTM)
    layer_in = torch_chain(m, x, hx, layers=layer)[0] if layer else x
    s = one_direction(m, layer, d)
    seq = layer_in.flip(1) if d else layer_in                              # reading order
    if hx is None:
        hx = x.new_zeros(k + 1, B, m.proj_size or m.hidden_size)
        hx = (hx, x.new_zeros(k + 1, B, m.hidden_size)) if lstm else hx
    h0, c0 = hx if lstm else (hx, None)
    jacs = []
    for t in range(T):
        st = s(seq[:, :t + 1], (h0[k:k + 1], c0[k:k + 1]) if lstm else h0[k:k + 1])[1]
        h_t, c_t = st if lstm else (st, None)

        def rest(h, t=t, c_t=c_t):
            if t == T - 1:
                return h                                                   # h_last is h_t itself
            st = s(seq[:, t + 1:], (h, c_t) if lstm else h)[1]
            return st[0] if lstm else st

        j = torch.autograd.functional.jacobian(rest, h_t)[0, :, :, 0]      # (B, P, B, P)
        jacs.append(torch.stack([j[b, :, b] for b in range(B)]))           # (B, P, P) one sample each
    jac = torch.stack(jacs, 1)                                             # (B, T, P, P) reading order
    return jac.flip(1) if d else jac


@pytest.mark.parametrize("kind,kw", [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
                                     ("LSTM", {"proj_size": 3}), ("GRU", {}), ("GRU", {"bias": False})],
                         ids=["RNN", "RNN-relu", "LSTM", "LSTM-proj3", "GRU", "GRU-nobias"])
@pytest.mark.parametrize("given_hx", [False, True])
def test_state_jacobian_equals_torchs_jacobian_of_the_module_run_on_from_h_t(kind, kw, given_hx):
    """Every layer and direction of a 2-layer bidirectional time-first module, both norms, against the
    Jacobian torch.autograd.functional takes of torch's own module continuing from h_t."""
    m = make(kind, 2, True, False, **kw)
    x = sample(m, B=3, T=6)                                                 # (T, B, I)
    hx = hidden_state(m, 3) if given_hx else None
    for layer, d in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        want = torch_state_jacobians(m, x.transpose(0, 1), hx, layer, d)   # (B, T, P, P)
        for norm, ord_ in (("spectral", 2), ("fro", "fro")):
            got = rnnviz.state_jacobian_norms(m, x, hx, layer=layer, direction=d, norm=norm)
            # float64: norms 7e-5 .. 2.5, worst relative error measured 7e-16 (relative: they shrink)
            torch.testing.assert_close(got, torch.linalg.matrix_norm(want, ord=ord_), rtol=1e-12, atol=0)


def test_state_jacobian_of_a_whole_model_uses_what_the_model_passes_in():
    torch.manual_seed(0)
    model = Encoder("GRU").double()
    ids, _ = ids_and_lengths()
    got = rnnviz.state_jacobian_norms(model, ids, layer=0)
    want = rnnviz.state_jacobian_norms(model.rnn, model.emb(ids).detach(), layer=0)
    torch.testing.assert_close(got, want, atol=0, rtol=0)                # same input, same code: bit-equal
    with pytest.raises(ValueError, match="expected norm"):
        rnnviz.state_jacobian_norms(model, ids, norm="max")
    with pytest.raises(ValueError, match=r"layer in \[-2, 2\)"):
        rnnviz.state_jacobian_norms(model, ids, layer=2)


def test_state_jacobian_norms_leaves_a_training_model_as_it_was():
    """A whole model with BatchNorm and Dropout in training mode: run in eval mode, restored after."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5), nn.GRU(5, 6, batch_first=True)).train()
    norm = nn.BatchNorm1d(7)                                              # statistics over the 7 steps
    model.insert(1, norm)
    x = torch.randn(3, 7, 4)
    modes = {n: m.training for n, m in model.named_modules()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    rng = torch.get_rng_state()
    first = rnnviz.state_jacobian_norms(model, x)
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.equal(first, rnnviz.state_jacobian_norms(model, x))     # no dropout mask: the same twice
    with torch.no_grad():
        model.eval()
        inner = model[1](model[0](x))                                    # what the GRU sees in eval mode
    # the same input and code: bit-equal
    torch.testing.assert_close(first, rnnviz.state_jacobian_norms(model[3], inner), atol=0, rtol=0)



class CallsThenFails(nn.Module):
    """A model whose forward raises after its recurrent submodule has run."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 6, batch_first=True)

    def forward(self, x):
        self.rnn(x)
        raise RuntimeError("after the recurrent call")


@pytest.mark.parametrize("enabled", [False, True])
def test_grad_mode_is_left_as_it_was(enabled):
    """Both functions switch autograd on inside; the caller's grad mode is back after each call, also
    after an error, and under torch.no_grad() the results are those of a call with grad enabled."""
    m, model, ids = make("LSTM", 2, True, True), Encoder("GRU").double(), ids_and_lengths()[0]
    x = sample(m)
    want_flow, want_jac = rnnviz.gradient_flow(m, x, mixed_loss), rnnviz.state_jacobian_norms(m, x)
    want_whole = rnnviz.state_jacobian_norms(model, ids)

    def boom(out):
        raise RuntimeError("boom")

    with torch.set_grad_enabled(enabled):
        flow = rnnviz.gradient_flow(m, x, mixed_loss)
        assert torch.is_grad_enabled() is enabled
        jac = rnnviz.state_jacobian_norms(m, x)
        assert torch.is_grad_enabled() is enabled
        whole = rnnviz.state_jacobian_norms(model, ids)
        assert torch.is_grad_enabled() is enabled
        with pytest.raises(RuntimeError, match="boom"):
            rnnviz.gradient_flow(m, x, boom)
        assert torch.is_grad_enabled() is enabled
        with pytest.raises(RuntimeError, match="after the recurrent call"):
            rnnviz.state_jacobian_norms(CallsThenFails(), torch.randn(2, 5, 4))
        assert torch.is_grad_enabled() is enabled
    assert torch.equal(flow.hidden, want_flow.hidden) and torch.equal(flow.inputs, want_flow.inputs)
    assert torch.equal(jac, want_jac) and torch.equal(whole, want_whole)
    assert not (flow.hidden.requires_grad or flow.inputs.requires_grad or jac.requires_grad)


def hooks_of(model):
    """Every hook dict of every submodule of model, and torch's global module hooks, copied."""
    found = {(name, k): dict(v) for name, mod in model.named_modules() for k, v in vars(mod).items()
             if "hook" in k and isinstance(v, dict)}
    g = vars(torch.nn.modules.module)
    found.update({("global", k): dict(v) for k, v in g.items() if "hook" in k and isinstance(v, dict)})
    assert ("rnn", "_forward_pre_hooks") in found and ("", "_forward_hooks") in found
    return found


def test_hooks_are_left_as_they_were():
    """state_jacobian_norms hooks a whole model's recurrent submodule to see what it is passed; that
    hook must be gone after the call, also when the model raises. The user's own hooks stay and run."""
    torch.manual_seed(0)
    model = Encoder("GRU").double()
    seen = []
    model.rnn.register_forward_pre_hook(lambda mod, args: seen.append("pre"))
    model.rnn.register_forward_hook(lambda mod, args, out: seen.append("post"))
    model.register_forward_pre_hook(lambda mod, args, kwargs: seen.append("model"), with_kwargs=True)
    ids, _ = ids_and_lengths()
    before = hooks_of(model)
    rnnviz.state_jacobian_norms(model, ids)
    assert hooks_of(model) == before and seen == ["model", "pre", "post"]
    rnnviz.gradient_flow(model, ids, lambda out: out.pow(2).sum())
    assert hooks_of(model) == before
    seen.clear()
    model(ids)
    assert seen == ["model", "pre", "post"]
    failing = CallsThenFails()
    before = hooks_of(failing)
    with pytest.raises(RuntimeError, match="after the recurrent call"):
        rnnviz.state_jacobian_norms(failing, torch.randn(2, 5, 4))
    assert hooks_of(failing) == before

class Flipped(nn.GRU):
    """A subclass with its own forward: rnnviz cannot know what it computes."""

    def forward(self, x, hx=None):
        out, h = super().forward(x.flip(1), hx)
        return out.flip(1), h


def test_a_subclass_with_its_own_forward_is_refused():
    m, x = Flipped(4, 6, batch_first=True), torch.randn(2, 5, 4)
    with pytest.raises(TypeError, match="Flipped subclasses nn.GRU but overrides forward"):
        rnnviz.gradient_flow(m, x, lambda out: out[0].sum())
    with pytest.raises(TypeError, match="overrides forward"):
        rnnviz.gradient_flow(nn.Sequential(m), x, lambda out: out[0].sum())
    with pytest.raises(TypeError, match="overrides forward"):
        rnnviz.state_jacobian_norms(m, x)
    with pytest.raises(TypeError, match="overrides forward"):
        rnnviz.state_jacobian_norms(nn.Sequential(m), x)


def test_inference_mode_is_named_in_the_error():
    m, x = nn.GRU(4, 6), torch.randn(5, 2, 4)
    with torch.inference_mode():
        with pytest.raises(ValueError, match=r"inside torch.inference_mode\(\)"):
            rnnviz.gradient_flow(m, x, lambda out: out[0].sum())
    with torch.no_grad():                                                # no_grad is fine: it is switched back on
        assert rnnviz.gradient_flow(m, x, lambda out: out[0].sum()).finite
    with torch.inference_mode():
        made_there = torch.randn(5, 2, 4)                                # an inference tensor, used outside it
    flow = rnnviz.gradient_flow(m, made_there, lambda out: out[0].sum())
    again = rnnviz.gradient_flow(m, made_there.clone(), lambda out: out[0].sum())
    assert flow.finite and torch.equal(flow.hidden, again.hidden)         # same values, same code: bit-equal


def test_jacobian_layer_and_direction_must_be_ints():
    m, x = nn.GRU(4, 6, num_layers=2), torch.randn(5, 2, 4)
    for bad in ({"layer": 0.0}, {"layer": None}, {"direction": True}):
        with pytest.raises(TypeError, match=r"expected (layer|direction) as an int"):
            rnnviz.state_jacobian_norms(m, x, **bad)
    with pytest.raises(ValueError, match="at least one sequence.*batch of 0"):
        rnnviz.state_jacobian_norms(m, torch.randn(5, 0, 4))             # torch.cat's "non-empty list" before


# ---------------------------------------------------------------- training callback

def train(recorder, steps=5, epoch_len=2):
    """A small hand-written loop that calls the callback the way rnnviz.fit will."""
    torch.manual_seed(0)
    model = Classifier("GRU")
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    ids, lengths = ids_and_lengths()
    target = torch.tensor([1.0, 0.0, 1.0, 0.0])
    direct = []
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = (model(ids) - target).pow(2).mean()                          # dropout in train mode
        loss.backward()
        opt.step()
        state = types.SimpleNamespace(model=model, step=step, epoch=(step - 1) // epoch_len, loss=loss.item())
        if recorder is not None:
            recorder.on_batch_end(state)
            if step % recorder.every == 0:
                direct.append(rnnviz.gradient_flow(model, ids, recorder.loss_fn))
            if step % epoch_len == 0:
                recorder.on_epoch_end(state)
    return model, direct


def test_recorder_records_every_k_steps_without_changing_training():
    ids, _ = ids_and_lengths()
    rec = rnnviz.GradientRecorder(ids, lambda y: y.pow(2).mean(), every=2)
    model, direct = train(rec)
    assert [s for s, _ in rec.records] == [2, 4] and len(rec) == 2 and rec.epoch_ends == [2, 4]
    for (_, flow), want in zip(rec.records, direct):
        assert flow.module_name == "encoder.rnn"
        torch.testing.assert_close(flow.hidden, want.hidden, atol=0, rtol=0)     # the same call: bit-equal
    first = rec.records[0][1].hidden
    assert not torch.equal(first, rec.records[1][1].hidden)                 # training moved it
    plain, _ = train(None)
    for (n, p), q in zip(model.named_parameters(), plain.parameters()):
        assert torch.equal(p, q), n
    with pytest.raises(ValueError, match="positive int"):
        rnnviz.GradientRecorder(ids, lambda y: y.sum(), every=0)


def test_a_vanished_float32_gradient_has_its_true_tiny_norm_not_zero():
    """100 steps of a float32 RNN: dL/dh_t at the first steps is ~1e-24, non-zero in every element,
    but its squares underflow float32 and the norm came out exactly 0 (the view drew gaps there and
    the batch mean shrank). Checked against the same weights stepped by hand in float64."""
    torch.manual_seed(0)
    x = torch.randn(4, 100, 8)
    rnn = nn.RNN(8, 32, batch_first=True)
    flow = rnnviz.gradient_flow(rnn, x, lambda out: out[0][:, -1].pow(2).sum())
    assert flow.hidden.dtype == torch.float64
    w = {k: v.double() for k, v in rnn.state_dict().items()}
    h, hs = torch.zeros(4, 32, dtype=torch.float64, requires_grad=True), []
    for t in range(100):
        h = torch.tanh(x[:, t].double() @ w["weight_ih_l0"].T + w["bias_ih_l0"] + h @ w["weight_hh_l0"].T + w["bias_hh_l0"])
        h.retain_grad()
        hs.append(h)
    hs[-1].pow(2).sum().backward()
    want = torch.stack([s.grad.norm(dim=-1) for s in hs], 1)                # (B, T)
    assert float(want[:, 0].max()) < 1e-20                                  # the gradient has vanished there
    assert (flow.hidden[0, 0] > 0).all()
    # float32's backward rounds each of 100 steps: ~100 x 6e-8 relative, within 1e-4
    torch.testing.assert_close(flow.hidden[0, 0], want, rtol=1e-4, atol=0)


def test_a_device_without_float64_gets_its_norms_computed_on_the_cpu(monkeypatch):
    """Apple's MPS has no float64. There the gradients go to the CPU for the norms. The CPU stands in
    for such a device here: the fallback path must give the same norms and NaN past each length."""
    from rnnviz import gradients
    torch.manual_seed(0)
    rnn = nn.GRU(5, 7, batch_first=True)
    x = nn.utils.rnn.pack_padded_sequence(torch.randn(3, 9, 5), [9, 4, 6], batch_first=True, enforce_sorted=False)
    loss = lambda out: nn.utils.rnn.pad_packed_sequence(out[0], batch_first=True)[0].pow(2).sum()  # noqa: E731
    want = rnnviz.gradient_flow(rnn, x, loss)
    calls = []
    monkeypatch.setattr(gradients, "_has_float64", lambda device: calls.append(device) or False)
    got = rnnviz.gradient_flow(rnn, x, loss)
    assert calls, "the fallback was not asked for"
    assert got.hidden.dtype == got.inputs.dtype == torch.float64
    torch.testing.assert_close(got.hidden, want.hidden, rtol=0, atol=0, equal_nan=True)  # same numbers, same code
    torch.testing.assert_close(got.inputs, want.inputs, rtol=0, atol=0, equal_nan=True)
    assert torch.isnan(got.hidden[0, 0, 1, 4:]).all() and got.finite
    monkeypatch.undo()
    assert gradients._has_float64(torch.device("cpu"))                   # the real check, on the real CPU
