"""The notebook 06 checkers: a right and wrong answers for each, with hints that point the right way."""
from __future__ import annotations

import torch
from torch import nn

from rnncourse.checks import nb06


def test_onehot_row_right_and_wrong():
    assert nb06.onehot_row(7)
    off = nb06.onehot_row(6)
    assert not off and "from 0" in off.message
    assert not nb06.onehot_row(0)
    assert "int" in nb06.onehot_row("7").message
    assert not nb06.onehot_row(True)


def test_onehot_row_is_what_torch_computes():
    W = torch.randn(10, 3)
    v = nn.functional.one_hot(torch.tensor(7), 10).float()
    assert torch.equal(v @ W, W[7]) and nb06.onehot_row(7)


def test_onehot_input_weights_right_and_wrong():
    assert nb06.onehot_input_weights(nn.RNN(10000, 32).weight_ih_l0.numel())
    assert nb06.onehot_input_weights(320_000)
    small = nb06.onehot_input_weights(20_000)
    assert not small and "embedding" in small.message
    both = nb06.onehot_input_weights(10000 * 32 + 32 * 32)
    assert not both and "weight_hh_l0" in both.message
    assert not nb06.onehot_input_weights(320_000.0)


def test_onehot_input_weights_leaves_the_random_state_alone():
    """It built its nn.RNN(10000, 32) from the global generator: a student's next torch.rand changed."""
    torch.manual_seed(0)
    before = torch.get_rng_state()
    assert nb06.onehot_input_weights(320_000)
    assert torch.equal(torch.get_rng_state(), before)


def test_why_integer_fails_right_and_wrong():
    assert nb06.why_integer_fails("b") and nb06.why_integer_fails(" B ")
    assert not nb06.why_integer_fails("a") and "embedding" in nb06.why_integer_fails("a").message
    assert not nb06.why_integer_fails("c")
    assert "one letter" in nb06.why_integer_fails(2).message


def test_unanswered_exercises_say_so_and_every_one_has_a_solution():
    from rnncourse.checks import solutions

    for check in (nb06.onehot_row, nb06.onehot_input_weights, nb06.why_integer_fails, nb06.onehot_vocab):
        fb = check(...)
        assert not fb and "not answered" in str(fb).lower()
        assert check.solution
    assert "320,000" in solutions("nb06")


def test_onehot_vocab_recomputes_the_students_run(monkeypatch):
    # the checker compares with its own retraining; stand it in with a known accuracy to test the verdicts
    monkeypatch.setattr(nb06, "onehot_accuracy", lambda vocab_size, seed=0: 0.7 + vocab_size / 1e5)
    assert nb06.onehot_vocab(0.72, vocab_size=2000)
    assert nb06.onehot_vocab(0.721, vocab_size=2000)
    wrong = nb06.onehot_vocab(0.6, vocab_size=2000)
    assert not wrong and "vocab_size=2000" in wrong.message
    assert not nb06.onehot_vocab("0.72x", vocab_size=2000)


def test_onehot_accuracy_matches_the_notebook_recipe_and_leaves_rng_and_threads_alone():
    import pytest

    with pytest.raises(ValueError, match="vocab_size"):
        nb06.onehot_accuracy(1)
    before, state = torch.get_num_threads(), torch.random.get_rng_state()
    torch.set_num_threads(2)              # not the 1 thread it trains on (conftest pins 1): a restore must show
    try:
        acc = nb06.onehot_accuracy(100, seed=0)
        assert torch.get_num_threads() == 2
        assert 0.0 <= acc <= 1.0
        assert acc == nb06.onehot_accuracy(100, seed=0)                          # seeded: the same number again
        assert torch.get_num_threads() == 2 and torch.equal(torch.random.get_rng_state(), state)
    finally:
        torch.set_num_threads(before)
