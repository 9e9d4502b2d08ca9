"""rnncourse.lessons.charlm: count baselines in bits per character, and the line-position unit search."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnncourse.lessons import charlm


def test_unigram_bits_by_hand():
    train, test = torch.tensor([0, 0, 0, 1]), torch.tensor([0, 1])
    p0, p1 = 4 / 6, 2 / 6                                                      # add-one counts 4 and 2 of 6
    assert charlm.ngram_bits(train, test, 2, 1) == pytest.approx(-(math.log2(p0) + math.log2(p1)) / 2)


def test_bigram_bits_by_hand_with_backoff_to_the_unigram():
    train, test = torch.tensor([0, 1, 0, 1, 0]), torch.tensor([0, 1, 1])
    uni = {0: 4 / 7, 1: 3 / 7}                                                 # add-one counts 4 and 3 of 7
    # after 0: 1 twice, 0 never; after 1: 0 twice. p = (N(ctx, c) + p_uni(c)) / (N(ctx) + 1)
    p01 = (2 + uni[1]) / (2 + 1)
    p11 = (0 + uni[1]) / (2 + 1)
    assert charlm.ngram_bits(train, test, 2, 2) == pytest.approx(-(math.log2(p01) + math.log2(p11)) / 2)


def test_a_longer_context_helps_on_a_periodic_text_and_probabilities_sum_to_one():
    text = torch.tensor([0, 1, 2, 0, 2, 1] * 200)
    bits = [charlm.ngram_bits(text[:900], text[900:], 3, n) for n in (1, 2, 3)]
    assert bits[0] > bits[1] > bits[2]                                          # order 3 predicts this text almost surely
    assert bits[2] < 0.1
    # the backed-off bigram is a distribution: summing p over every next id gives 1 for every context
    V = 3
    for ctx in range(V):
        total = sum(2 ** -charlm.ngram_bits(text[:900], torch.tensor([ctx, c]), V, 2) for c in range(V))
        assert total == pytest.approx(1.0)


def test_ngram_bits_rejects_bad_input():
    with pytest.raises(ValueError, match="order"):
        charlm.ngram_bits(torch.tensor([0, 1]), torch.tensor([0, 1]), 2, 0)
    with pytest.raises(ValueError, match="at least as long as the order"):
        charlm.ngram_bits(torch.tensor([0, 1]), torch.tensor([0]), 2, 2)


def test_model_bits_is_the_cross_entropy_in_base_two():
    class Uniform(nn.Module):
        def forward(self, x):
            return torch.zeros(*x.shape, 8)                                     # (B, T, V)

    x = torch.randint(0, 8, (2, 5))
    assert charlm.model_bits(Uniform(), x, x) == pytest.approx(3.0)


def test_line_position_and_a_unit_that_counts_it():
    ids = torch.tensor([5, 6, 0, 7, 8, 9, 0, 5])
    assert charlm.line_position(ids, newline=0).tolist() == [0, 1, 0, 1, 2, 3, 0, 1]

    class Counter(nn.Module):                                                  # unit 0 is the line position itself
        def __init__(self):
            super().__init__()
            self.embedding = nn.Identity()

        def rnn(self, x):
            pos = charlm.line_position(x[0], newline=0)
            return torch.stack([pos, torch.ones_like(pos) * 0 + torch.arange(len(pos)) % 2], 1)[None], None

    r = charlm.line_position_units(Counter(), ids, newline=0)
    assert r[0] == pytest.approx(1.0) and abs(float(r[1])) < 0.9
