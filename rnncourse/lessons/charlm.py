"""The character model of notebook 07, measured: count baselines in bits per character, and a search
for a hidden unit that tracks something a reader can name (the position in a line).

- :func:`ngram_bits` - held-out bits per character of a count model that sees the last n-1 characters.
- :func:`model_bits` - the same measure for a character model, on the same held-out text.
- :func:`line_position_units` - how well each hidden unit follows the position in the current line.

Letters: N characters, V vocabulary, H units.
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ngram_bits", "model_bits", "line_position", "line_position_units"]

LN2 = math.log(2)


def ngram_bits(train_ids: torch.Tensor, test_ids: torch.Tensor, vocab_size: int, order: int,
               prior: float = 1.0) -> float:
    """Bits per character on ``test_ids`` of an order-``order`` count model fitted on ``train_ids``
    (1: character frequencies, 2: given the previous character, 3: given the previous two).

    Each order backs off to the one below it: p_n(c | ctx) = (N(ctx, c) + prior * p_{n-1}(c | shorter ctx))
    / (N(ctx) + prior), starting from add-one frequencies, so an unseen context falls back on the
    shorter one instead of on a uniform guess. The first order-1 test characters are not scored.
    """
    if order < 1 or train_ids.dim() != 1 or test_ids.dim() != 1 or test_ids.numel() < order:
        raise ValueError(f"expected order >= 1 and (N,) id streams at least as long as the order, got order {order}, "
                         f"{tuple(train_ids.shape)} and {tuple(test_ids.shape)}")
    V = vocab_size
    counts = torch.bincount(train_ids, minlength=V).double() + 1.0                      # (V,)
    p = (counts / counts.sum())[test_ids[order - 1:]]                                   # (N',) unigram
    for n in range(2, order + 1):
        def keys(ids):                                                                  # context of n-1 ids, then the id
            k = torch.zeros(ids.numel() - n + 1, dtype=torch.long)
            for j in range(n):
                k = k * V + ids[j: ids.numel() - n + 1 + j]
            return k
        joint = torch.bincount(keys(train_ids), minlength=V ** n).double()              # (V^n,)
        ctx = joint.view(-1, V).sum(1)                                                  # (V^(n-1),)
        k = keys(test_ids)[order - n:]                                                  # (N',)
        p = (joint[k] + prior * p) / (ctx[k // V] + prior)
    return float(-(p.log().mean()) / LN2)


@torch.no_grad()
def model_bits(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Bits per character of ``model(x)`` logits (B, T, V) on the next ids ``y`` (B, T)."""
    was = model.training
    model.eval()
    logits = model(x)
    model.train(was)
    return float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))) / LN2


def line_position(ids: torch.Tensor, newline: int) -> torch.Tensor:
    """(T,) ids -> (T,) characters since the last newline (0 on the newline itself)."""
    pos = torch.zeros(ids.numel())
    for t in range(1, ids.numel()):
        pos[t] = 0 if int(ids[t]) == newline else pos[t - 1] + 1
    return pos


@torch.no_grad()
def line_position_units(model: nn.Module, ids: torch.Tensor, newline: int) -> torch.Tensor:
    """Correlation of each hidden unit of ``model.rnn`` with the position in the line, over one
    stretch of text ``ids`` (T,) read from a zero state: (H,) values in -1..1."""
    h, _ = model.rnn(model.embedding(ids[None]))                                       # (1, T, H)
    h = h[0] - h[0].mean(0)                                                             # (T, H)
    pos = line_position(ids, newline)
    pos = pos - pos.mean()                                                              # (T,)
    return (pos @ h) / (pos.norm() * h.norm(dim=0) + 1e-12)                             # (H,)
