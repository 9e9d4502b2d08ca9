"""The notebook 07 checkers: a right and wrong answers for each, with hints that point the right way."""
from __future__ import annotations

import torch
from torch import nn

from rnncourse.checks import nb07


def test_attention_weight_count_right_and_wrong():
    assert nb07.attention_weight_count(4 * 100 * 100)
    one_head = nb07.attention_weight_count(10_000)
    assert not one_head and "head" in one_head.message
    assert not nb07.attention_weight_count(400)
    assert not nb07.attention_weight_count(40_000.0)
    assert "int" in nb07.attention_weight_count("40000").message


def test_stream_state_floats_right_and_wrong():
    _, (h, c) = nn.LSTM(32, 128)(torch.zeros(3, 1, 32))
    assert nb07.stream_state_floats(h.numel() + c.numel())
    only_h = nb07.stream_state_floats(128)
    assert not only_h and "cell state" in only_h.message
    assert not nb07.stream_state_floats(sum(p.numel() for p in nn.LSTM(32, 128).parameters()))


def test_top_probability_right_and_wrong():
    exact = float(torch.softmax(torch.tensor([4.0, 2.0, 0.0]), dim=0)[0])
    assert nb07.top_probability(exact) and nb07.top_probability(round(exact, 2))
    at_one = nb07.top_probability(0.665)
    assert not at_one and "temperature 1" in at_one.message
    assert not nb07.top_probability(0.5)
    assert not nb07.top_probability(float("nan"))


def test_top_probability_refuses_the_softmax_without_its_e0_term_and_a_wrong_second_decimal():
    """softmax([4, 2, 0])[0] = 0.8668: a relative 2 % took 0.849..0.884, so 0.88 (e^4 / (e^4 + e^2),
    the e^0 term left out) and 0.85 passed as right."""
    import math
    forgot = math.exp(4) / (math.exp(4) + math.exp(2))                  # 0.8808
    for wrong in (forgot, 0.88, 0.85, 0.86):
        assert not nb07.top_probability(wrong), wrong
    assert nb07.top_probability(0.87) and nb07.top_probability(0.867)


def test_the_checkers_that_build_a_module_leave_the_random_state_alone():
    """attention_weight_count and stream_state_floats built their modules from the global generator,
    so a student's next torch.rand gave other numbers after the check."""
    for check, answer in ((nb07.attention_weight_count, 40_000), (nb07.stream_state_floats, 256)):
        torch.manual_seed(0)
        before = torch.get_rng_state()
        assert check(answer)
        assert torch.equal(torch.get_rng_state(), before), check.__name__


def test_unanswered_exercises_say_so_and_every_one_has_a_solution():
    from rnncourse.checks import solutions

    for check in (nb07.attention_weight_count, nb07.stream_state_floats, nb07.top_probability, nb07.longer_gru):
        fb = check(...)
        assert not fb and "not answered" in str(fb).lower()
        assert check.solution
    assert "40,000" in solutions("nb07")


def test_longer_gru_recomputes_the_students_run(monkeypatch):
    monkeypatch.setattr(nb07, "gru_recall_accuracy", lambda epochs, seed=0: 0.1 + epochs / 100)
    ok = nb07.longer_gru(0.2, epochs=10)
    assert ok and "near chance" in ok.message
    assert not nb07.longer_gru(0.9, epochs=10)
    assert "epochs=10" in nb07.longer_gru(0.9, epochs=10).message


def test_gru_recall_accuracy_is_seeded_and_rejects_bad_epochs():
    import pytest

    with pytest.raises(ValueError, match="epochs"):
        nb07.gru_recall_accuracy(0)
    state = torch.random.get_rng_state()
    a = nb07.gru_recall_accuracy(1, seed=0)
    assert 0.0 <= a <= 1.0 and a == nb07.gru_recall_accuracy(1, seed=0)
    assert torch.equal(torch.random.get_rng_state(), state)
