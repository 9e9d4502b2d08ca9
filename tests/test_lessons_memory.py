"""lessons.memory: the experiment helpers of notebooks 02 and 03, checked against torch and by hand."""
import math

import pytest
import torch
from torch import nn

import rnnviz
from rnnviz import synthetic
from rnncourse.lessons import memory
from rnnviz.models import Tagger
from rnnviz.train import evaluate


def test_distracted_recall_layout_and_seed():
    x, y = memory.distracted_recall(200, 7, n_symbols=4, seed=3)
    assert x.shape == (200, 8) and y.shape == (200,) and x.dtype == torch.long
    assert torch.equal(x[:, 0], y + 1)
    assert int(x[:, 1:].min()) >= 5 and int(x[:, 1:].max()) <= 8          # distractors only
    assert len(torch.unique(x[:, 1:])) == 4
    again, _ = memory.distracted_recall(200, 7, n_symbols=4, seed=3)
    other, _ = memory.distracted_recall(200, 7, n_symbols=4, seed=4)
    assert torch.equal(x, again) and not torch.equal(x, other)
    _, y_plain = synthetic.recall(200, 7, n_symbols=4, seed=3)
    assert torch.equal(y, y_plain)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_memory_model_opens_the_keep_gate(cell):
    open_ = memory.memory_model(cell, hidden_size=6, keep_bias=3.0, seed=1)
    plain = memory.memory_model(cell, hidden_size=6, keep_bias=0.0, seed=1)
    diff = open_.rnn.bias_ih_l0 - plain.rnn.bias_ih_l0                      # rows: i,f,g,o or r,z,n
    expected = torch.zeros_like(diff)
    expected[6:12] = 3.0
    torch.testing.assert_close(diff, expected)
    torch.testing.assert_close(open_.rnn.weight_hh_l0, plain.rnn.weight_hh_l0)


def test_memory_model_rnn_has_no_gate_to_open():
    a = memory.memory_model("rnn", hidden_size=6, keep_bias=3.0, seed=1)
    b = memory.memory_model("rnn", hidden_size=6, keep_bias=0.0, seed=1)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_memory_span_learns_a_short_lag():
    acc, models = memory.memory_span(("gru",), lags=(2,), n_train=256, n_test=128, epochs=6)
    assert set(acc) == {"gru"} and set(acc["gru"]) == {2}
    assert acc["gru"][2] >= 0.9, acc                                   # chance is 0.25
    x, y = memory.distracted_recall(128, 2, seed=20)
    assert evaluate(models["gru"][2], (x, y)) == acc["gru"][2]


def test_random_rnn_spectral_radius_and_linear_regime():
    rnn = memory.random_rnn(1.3, hidden_size=8, seed=2)
    moduli = torch.linalg.eigvals(rnn.weight_hh_l0.detach()).abs()
    torch.testing.assert_close(moduli, torch.full((8,), 1.3), rtol=1e-4, atol=1e-4)
    assert float((rnn.bias_ih_l0.abs().sum() + rnn.bias_hh_l0.abs().sum()).detach()) == 0.0
    # with zero input h stays 0, so dh_T/dh_t = W_hh^(T-1-t) exactly: spectral norm 1.3^(T-1-t)
    norms = rnnviz.state_jacobian_norms(rnn, torch.zeros(1, 6, 1))[0]     # (T,)
    torch.testing.assert_close(norms, torch.tensor([1.3 ** k for k in range(5, -1, -1)]), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="spectral radius"):
        memory.random_rnn(0.0)


def test_exploding_run_blows_up_without_clipping_only():
    data = synthetic.noisy_sine(256, 30, seed=0)              # the notebook's setting
    plain = memory.exploding_run(data, clip=None)
    clipped = memory.exploding_run(data, clip=1.0)
    assert not (plain.train_loss[-1] < 1e3), plain.train_loss
    assert all(math.isfinite(v) for v in clipped.train_loss) and clipped.train_loss[-1] < 0.5 * float(data[1].var())
    assert len(clipped.grad_norm) == 8 * 8 and max(clipped.grad_norm) > 1.0 and plain.grad_norm == []


def test_next_token_pairs():
    ids = torch.arange(100) * 3
    x, y = memory.next_token_pairs(ids, 10, 20, seed=1)
    assert x.shape == y.shape == (20, 10)
    torch.testing.assert_close(y - x, torch.full_like(x, 3))              # the id right after each input
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert bool((x % 3 == 0).all())
    with pytest.raises(ValueError, match="longer than"):
        memory.next_token_pairs(torch.arange(5), 10, 2)


def test_streaming_accuracy_against_a_prefix_loop():
    torch.manual_seed(0)
    x, y = synthetic.future_tags(16, 8, k=1, n_symbols=5, seed=1)
    y = y.clone()
    y[:, -1] = x[:, 0]                                     # give the last step a label too
    for bi in (False, True):
        model = Tagger(5, num_tags=5, embed_dim=4, hidden_size=6, bidirectional=bi, padding_idx=None)
        got = memory.streaming_accuracy(model, x, y)
        with torch.no_grad():
            right = sum(int(model(x[b:b + 1, :t + 1])[0, -1].argmax() == y[b, t]) for b in range(16) for t in range(8))
        assert got == pytest.approx(right / (16 * 8))
        if not bi:                                          # a forward-only model loses nothing
            assert got == pytest.approx(evaluate(model, (x, y)))
    with pytest.raises(ValueError, match="same"):
        memory.streaming_accuracy(model, x, y[:, :3])


def test_forecast_windows():
    s = torch.arange(20.0)
    x, y = memory.forecast_windows(s, length=5, horizon=3, stride=2)
    assert x.shape == (7, 5, 1) and y.shape == (7, 1)
    for i in range(7):
        assert torch.equal(x[i, :, 0], s[2 * i:2 * i + 5])
        assert float(y[i, 0]) == float(s[2 * i + 4 + 3])
    with pytest.raises(ValueError, match="at least"):
        memory.forecast_windows(torch.arange(4.0), 5, 1)
    with pytest.raises(ValueError, match=">= 1"):
        memory.forecast_windows(s, 5, 0)


def test_table():
    text = memory.table([{"layers": 1, "test": 0.12345, "model": nn.Linear(1, 1)}, {"layers": 2, "test": 0.5}])
    lines = text.splitlines()
    assert lines[0].split() == ["layers", "test"] and lines[1].split() == ["1", "0.123"]
    assert "Linear" not in text
    assert memory.table({"RNN": {"lag 5": 1.0}}).splitlines()[1].split() == ["RNN", "1"]
    with pytest.raises(ValueError):
        memory.table([])


@pytest.mark.parametrize("keep", [0.0, 3.0])
def test_forget_path_is_the_product_of_forget_gates_by_hand(keep):
    model = memory.memory_model("lstm", hidden_size=6, keep_bias=keep, seed=2)
    x, _ = memory.distracted_recall(5, 9, seed=4)                              # (B, T)
    lstm, H = model.rnn, 6
    e = model.inputs.embedding(x).detach().double()                            # (B, T, E)
    W_i, W_h = lstm.weight_ih_l0.detach().double(), lstm.weight_hh_l0.detach().double()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().double()
    h = torch.zeros(5, H, dtype=torch.float64)
    c = torch.zeros(5, H, dtype=torch.float64)
    forgets = []
    for t in range(x.shape[1]):                                                 # rows i, f, g, o
        a = e[:, t] @ W_i.T + h @ W_h.T + b
        i, f, g, o = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid(), a[:, 2 * H:3 * H].tanh(), a[:, 3 * H:].sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        forgets.append(f)
    want = torch.stack(forgets[1:], dim=1).prod(dim=1).mean()                  # f_1 ... f_T, step 0 excluded
    # float32 capture against a float64 loop: products of <= 9 gates in (0, 1), relative 1e-5
    assert memory.forget_path(model, x) == pytest.approx(float(want), rel=1e-5)
    if keep:
        assert memory.forget_path(model, x) > 100 * memory.forget_path(memory.memory_model("lstm", hidden_size=6, keep_bias=0.0, seed=2), x)


def test_forget_path_needs_an_lstm():
    with pytest.raises(TypeError, match="nn.LSTM"):
        memory.forget_path(memory.memory_model("gru", hidden_size=6, seed=1), torch.ones(2, 3, dtype=torch.long))


def test_gradient_reach_is_the_first_over_last_step_norm_and_leaves_the_model():
    model = memory.memory_model("gru", hidden_size=6, keep_bias=3.0, seed=1)
    x, y = memory.distracted_recall(8, 6, seed=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ratio, flow = memory.gradient_reach(model, x, y)
    norms = flow.hidden[0, 0]                                                   # (B, T)
    assert ratio == pytest.approx(float(norms[:, 0].mean() / norms[:, -1].mean()))
    # the same number from autograd directly: dL/dh_t of a hand-run GRU over the embedded input
    e = model.inputs.embedding(x)
    hs, h = [], torch.zeros(1, 8, 6, requires_grad=False)
    for t in range(x.shape[1]):
        _, h = model.rnn(e[:, t:t + 1], h)
        h.retain_grad()
        hs.append(h)
    nn.functional.cross_entropy(model.head(hs[-1][0]), y).backward()
    want = hs[0].grad[0].norm(dim=-1).mean() / hs[-1].grad[0].norm(dim=-1).mean()
    assert ratio == pytest.approx(float(want), rel=1e-4)                       # float32, two summation orders
    model.zero_grad(set_to_none=True)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_memory_model_orthogonal_start_is_the_rnns_help():
    m = memory.memory_model("rnn", hidden_size=6, seed=1, orthogonal=True)
    W = m.rnn.weight_hh_l0.detach().double()
    assert torch.allclose(W @ W.T, torch.eye(6, dtype=torch.float64), atol=1e-5)    # orthogonal: W W^T = I
    plain = memory.memory_model("rnn", hidden_size=6, seed=1).rnn.weight_hh_l0.detach().double()
    assert not torch.allclose(plain @ plain.T, torch.eye(6, dtype=torch.float64), atol=1e-2)
    with pytest.raises(ValueError, match="keep_bias"):
        memory.memory_model("lstm", orthogonal=True)
