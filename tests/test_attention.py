"""Attention layers: weights are a softmax over the source, padding gets exactly 0, and the
context equals an independent loop over examples."""
import pytest
import torch

from rnnviz.attention import AdditiveAttention, MultiplicativeAttention

LAYERS = [lambda: AdditiveAttention(6, 5, 7), lambda: MultiplicativeAttention(6, 5, "general"),
          lambda: MultiplicativeAttention(5, 5, "dot", scaled=True)]


@pytest.mark.parametrize("make", LAYERS)
def test_weights_sum_to_one_and_padding_is_exactly_zero(make):
    torch.manual_seed(0)
    att = make()
    q = torch.randn(3, 4, att.query_size)                  # (B, Q, Hq)
    k = torch.randn(3, 6, 5)                               # (B, S, Hk)
    mask = torch.arange(6)[None] < torch.tensor([6, 2, 4])[:, None]   # (B, S)
    ctx, w = att(q, k, mask=mask)
    assert ctx.shape == (3, 4, 5) and w.shape == (3, 4, 6)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4))
    assert (w[1, :, 2:] == 0).all() and (w[2, :, 4:] == 0).all()
    assert (w[1, :, :2] > 0).all()
    assert att.last_weights.shape == (3, 4, 6) and not att.last_weights.requires_grad
    torch.testing.assert_close(att.last_weights, w.detach())


@pytest.mark.parametrize("make", LAYERS)
def test_single_step_query_and_reference_loop(make):
    torch.manual_seed(1)
    att = make()
    q = torch.randn(2, att.query_size)                     # (B, Hq)
    k = torch.randn(2, 5, 5)                               # (B, S, Hk)
    v = torch.randn(2, 5, 3)                               # (B, S, Hv)
    ctx, w = att(q, k, v)
    assert ctx.shape == (2, 3) and w.shape == (2, 5) and att.last_weights.shape == (2, 1, 5)
    for b in range(2):                                     # independent reference, one example at a time
        if isinstance(att, AdditiveAttention):
            scores = torch.stack([att.v.weight[0] @ torch.tanh(att.w_query.weight @ q[b] + att.w_key.weight @ k[b, s]
                                                               + att.w_key.bias) for s in range(5)])
        else:
            W = att.w.weight if att.w is not None else torch.eye(5)
            scores = torch.stack([q[b] @ (W @ k[b, s]) for s in range(5)]) / (5 ** 0.5 if att.scaled else 1)
        ref_w = torch.exp(scores - scores.max()) / torch.exp(scores - scores.max()).sum()
        torch.testing.assert_close(w[b], ref_w)
        torch.testing.assert_close(ctx[b], (ref_w[:, None] * v[b]).sum(0))


def test_gradients_flow_to_the_scorer():
    att = AdditiveAttention(4, 4)
    ctx, _ = att(torch.randn(2, 4), torch.randn(2, 3, 4))
    ctx.sum().backward()
    assert att.w_query.weight.grad is not None and att.w_query.weight.grad.abs().sum() > 0


def test_bad_inputs_say_what_was_expected():
    att = AdditiveAttention(6, 5)
    with pytest.raises(ValueError, match=r"\(batch, 6\)"):
        att(torch.randn(2, 7), torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="keys of shape"):
        att(torch.randn(2, 6), torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="bool mask"):
        att(torch.randn(2, 6), torch.randn(2, 3, 5), mask=torch.ones(2, 3))
    with pytest.raises(ValueError, match="all False"):
        att(torch.randn(2, 6), torch.randn(2, 3, 5), mask=torch.tensor([[True] * 3, [False] * 3]))
    with pytest.raises(ValueError, match="query_size == key_size"):
        MultiplicativeAttention(4, 5, "dot")
