"""rnnviz.gradient_flow, state_jacobian_norms and GradientRecorder, checked two ways:

- against an independent unrolled loop written here (float64, its own cell
  equations, ``retain_grad`` on every h_t), for RNN, LSTM and GRU;
- against torch itself: the real module's outputs, the real module's input
  gradient, and dL/dh_t obtained by splitting the sequence at t and feeding
  h_t back as ``hx``.
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
    torch.testing.assert_close(flow.hidden, hidden, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(flow.inputs, inputs, atol=1e-10, rtol=1e-10)
    assert flow.finite and flow.kind == kind and flow.module_name == ""
    with torch.no_grad():
        assert flow.loss == pytest.approx(mixed_loss(m(x)).item(), rel=1e-12)


@pytest.mark.parametrize("kind,kw", [("RNN", {"nonlinearity": "relu"}), ("LSTM", {"proj_size": 3}),
                                     ("GRU", {"bias": False})])
def test_matches_reference_variants(kind, kw):
    m = make(kind, 2, True, True, **kw)
    x = sample(m)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    hidden, inputs = reference(m, x, mixed_loss)
    torch.testing.assert_close(flow.hidden, hidden, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(flow.inputs, inputs, atol=1e-10, rtol=1e-10)


def test_unbatched_input_is_a_batch_of_one():
    m = make("GRU", 2, True, False)
    x = sample(m, B=1)                                                      # (T, 1, I)
    flow, single = rnnviz.gradient_flow(m, x, mixed_loss), rnnviz.gradient_flow(m, x[:, 0], mixed_loss)
    assert single.hidden.shape == (2, 2, 1, 5) and single.inputs.shape == (1, 5)
    torch.testing.assert_close(single.hidden, flow.hidden, atol=1e-12, rtol=0)
    torch.testing.assert_close(single.inputs, flow.inputs, atol=1e-12, rtol=0)


def test_a_wrong_gru_reference_breaks_the_comparison():
    """The comparison can fail: the textbook GRU (r * h before W_hn) is not torch's GRU."""
    m = make("GRU", 2, True, True)
    x = sample(m)
    flow = rnnviz.gradient_flow(m, x, mixed_loss)
    hidden, inputs = reference(m, x, mixed_loss, wrong_gru=True)
    assert not torch.allclose(flow.hidden, hidden, atol=1e-6)
    assert not torch.allclose(flow.inputs, inputs, atol=1e-6)


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
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
        want, got = m(x[0] if bf else x[:, 0]), unroll(m, x[0] if bf else x[:, 0])[0]  # unbatched
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unrolled_forward_equals_the_module_on_packed_input(kind):
    m = make(kind, 2, True, True, dtype=torch.float32)
    x = sample(m, B=4, T=6)
    lengths = torch.tensor([3, 6, 1, 4])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h0 = torch.randn(4, 4, 6)
    hx = (h0, torch.randn(4, 4, 6)) if kind == "LSTM" else h0
    (out, st), (want_out, want_st) = unroll(m, packed, hx)[0], m(packed, hx)
    torch.testing.assert_close(out.data, want_out.data, atol=1e-5, rtol=0)
    assert torch.equal(out.batch_sizes, want_out.batch_sizes)
    assert torch.equal(out.unsorted_indices, want_out.unsorted_indices)
    torch.testing.assert_close(st, want_st, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_input_gradient_equals_torchs_own_backward(kind):
    """dL/dx_t from the real nn module's backward, float32, deep bidirectional and packed."""
    m = make(kind, 2, True, False, dtype=torch.float32)
    x = sample(m, B=4, T=6).requires_grad_(True)
    mixed_loss(m(x)).backward()
    flow = rnnviz.gradient_flow(m, x.detach(), mixed_loss)
    torch.testing.assert_close(flow.inputs, x.grad.double().norm(dim=-1).T, atol=1e-5, rtol=1e-4)

    lengths = torch.tensor([3, 6, 1, 4])
    xp = sample(m, B=4, T=6).transpose(0, 1).contiguous().requires_grad_(True)  # (B, T, I)
    loss = lambda out: (torch.sin(pad_packed_sequence(out[0], batch_first=True)[0]).sum()  # noqa: E731
                        + mixed_loss((out[0].data, out[1])))
    loss(m(pack_padded_sequence(xp, lengths, batch_first=True, enforce_sorted=False))).backward()
    flow = rnnviz.gradient_flow(m, pack_padded_sequence(xp.detach(), lengths, batch_first=True,
                                                        enforce_sorted=False), loss)
    valid = torch.arange(6) < lengths[:, None]
    torch.testing.assert_close(flow.inputs[valid], xp.grad.double().norm(dim=-1)[valid], atol=1e-5, rtol=1e-4)
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
        torch.testing.assert_close(flow.hidden[0, 0, :, t], total.double().norm(dim=-1), atol=1e-5, rtol=1e-4)


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
    torch.testing.assert_close(flow.inputs, grabbed[0].grad.double().norm(dim=-1), atol=1e-6, rtol=1e-5)
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
        torch.testing.assert_close(flow.hidden[:, :, b, :n], alone.hidden[:, :, 0], atol=1e-10, rtol=1e-10)
        torch.testing.assert_close(flow.inputs[b, :n], alone.inputs[0], atol=1e-10, rtol=1e-10)
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
        torch.testing.assert_close(got, want.expand(2, T), atol=1e-10, rtol=1e-10)


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
    torch.testing.assert_close(low[:, -1], torch.ones(3, dtype=torch.float64))  # identity at t = T-1


def test_state_jacobian_matches_autograd_jacobian_of_a_reference_loop():
    """Layer 1, backward direction of a 2-layer bidirectional LSTM, against torch.autograd.functional."""
    m = make("LSTM", 2, True, True)
    x = sample(m, B=2, T=6)
    got = rnnviz.state_jacobian_norms(m, x, layer=1, direction=1, norm="fro")
    lower_out = reference_layer_outputs(m, x)                               # (B, T, 12) layer 0
    p = ref_params(m, 1, 1)
    for b in range(2):
        xb = lower_out[b:b + 1]                                             # (1, T, 12)
        states = {}
        h, c = torch.zeros(1, 6, dtype=torch.float64), torch.zeros(1, 6, dtype=torch.float64)
        for t in range(5, -1, -1):
            h, c = ref_cell("LSTM", p, xb[:, t], h, c)
            states[t] = (h, c)
        for t in (5, 3, 0):
            def rest(h_t, t=t):
                h, c = h_t, states[t][1]                                    # c_t held fixed
                for s in range(t - 1, -1, -1):
                    h, c = ref_cell("LSTM", p, xb[:, s], h, c)
                return h
            jac = torch.autograd.functional.jacobian(rest, states[t][0])   # (1, H, 1, H)
            assert got[b, t].item() == pytest.approx(jac.reshape(6, 6).norm().item(), rel=1e-9)


def reference_layer_outputs(m, x):
    """Layer-0 output (B, T, D*H) of m by the reference cell (no grad)."""
    xb = (x if m.batch_first else x.transpose(0, 1)).detach().double()
    B, T = xb.shape[:2]
    outs = []
    for d in range(2 if m.bidirectional else 1):
        h, c, hs = xb.new_zeros(B, 6), xb.new_zeros(B, 6), [None] * T
        for t in (range(T - 1, -1, -1) if d else range(T)):
            h, c = ref_cell(type(m).__name__, ref_params(m, 0, d), xb[:, t], h, c)
            hs[t] = h
        outs.append(torch.stack(hs, 1))
    return torch.cat(outs, -1)


def test_state_jacobian_of_a_whole_model_uses_what_the_model_passes_in():
    torch.manual_seed(0)
    model = Encoder("GRU").double()
    ids, _ = ids_and_lengths()
    got = rnnviz.state_jacobian_norms(model, ids, layer=0)
    want = rnnviz.state_jacobian_norms(model.rnn, model.emb(ids).detach(), layer=0)
    torch.testing.assert_close(got, want, atol=0, rtol=0)
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
    torch.testing.assert_close(first, rnnviz.state_jacobian_norms(model[3], inner), atol=0, rtol=0)


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
    assert flow.finite and torch.allclose(flow.hidden, rnnviz.gradient_flow(m, made_there.clone(),
                                                                            lambda out: out[0].sum()).hidden)


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
        torch.testing.assert_close(flow.hidden, want.hidden, atol=0, rtol=0)
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
