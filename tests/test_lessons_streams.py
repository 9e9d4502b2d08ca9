"""lessons.streams: the delayed-copy stream, truncated BPTT and the two ways of clipping."""
import math

import pytest
import torch

from rnncourse.lessons import streams


def test_delayed_copy_targets_are_the_past_symbol():
    x, y = streams.delayed_copy_stream(3, 20, lag=5, n_symbols=4, seed=1)
    assert x.shape == y.shape == (3, 20) and x.dtype == torch.long
    assert (y[:, :5] == -100).all() and torch.equal(y[:, 5:], x[:, :-5])
    assert int(x.min()) >= 0 and int(x.max()) <= 3
    assert torch.equal(x, streams.delayed_copy_stream(3, 20, lag=5, seed=1)[0])
    with pytest.raises(ValueError, match="lag"):
        streams.delayed_copy_stream(3, 5, lag=5)


def test_tbptt_cuts_the_gradient_at_each_chunk():
    # the mechanism itself: after detach, a loss in chunk 2 sends no gradient to chunk 1's input
    torch.manual_seed(0)
    model = streams.StreamModel(4, 6)
    x, _ = streams.delayed_copy_stream(2, 8, lag=2, seed=0)
    e1 = model.embedding(x[:, :4]).detach().requires_grad_(True)
    _, h = model.rnn(e1)
    out2, _ = model.rnn(model.embedding(x[:, 4:]), h.detach())
    out2.sum().backward()
    assert e1.grad is None
    out2b, _ = model.rnn(model.embedding(x[:, 4:]), model.rnn(e1)[1])   # without detach it flows
    out2b.sum().backward()
    assert e1.grad is not None and float(e1.grad.abs().sum()) > 0


def test_a_chunk_shorter_than_the_lag_cannot_learn_it_and_a_longer_one_can():
    short = streams.tbptt_run(3, 6, length=600, epochs=3, seed=0)
    long = streams.tbptt_run(24, 6, length=600, epochs=3, seed=0)
    # chunks holding only the first `lag` steps have no target and give no step
    assert short["steps"] == 3 * (200 - 2) and long["steps"] == 3 * 25
    assert short["accuracy"] < 0.35 < 0.45 < long["accuracy"], (short, long)


def test_tbptt_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    streams.tbptt_run(8, 2, length=64, epochs=1, seed=0)
    assert torch.equal(state, torch.get_rng_state())


def test_clip_directions_by_hand():
    g = torch.tensor([3.0, 4.0, 0.5])
    got = streams.clip_directions(g, 1.0)
    assert got["norm before"] == pytest.approx(math.sqrt(25.25))
    assert got["norm after (norm clip)"] == pytest.approx(1.0) and got["cosine (norm clip)"] == pytest.approx(1.0)
    # element-wise: (1, 1, 0.5), norm 1.5, turned towards the diagonal
    assert got["norm after (value clip)"] == pytest.approx(1.5)
    assert got["cosine (value clip)"] == pytest.approx((3 + 4 + 0.25) / (1.5 * math.sqrt(25.25)))
    with pytest.raises(ValueError, match="limit"):
        streams.clip_directions(g, 0)


def test_exploding_gradient_is_the_models_flat_gradient():
    x, y = torch.randn(40, 6, 1), torch.randn(40, 1)
    g = streams.exploding_gradient((x, y), hidden_size=5, seed=0)
    assert g.dim() == 1 and g.numel() == (5 + 5 * 5 + 5 + 5) + (5 + 1) and torch.isfinite(g).all()
    assert torch.equal(g, streams.exploding_gradient((x, y), hidden_size=5, seed=0))
