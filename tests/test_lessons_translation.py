"""rnncourse.lessons.translation: the copy task, and the two ways a Seq2Seq is scored."""
from __future__ import annotations

import pytest
import torch

from rnncourse.lessons import translation as tr


def test_copy_digits_layout():
    src, lengths, tgt_in, tgt_out = tr.copy_digits(5, 7, seed=3)
    assert src.shape == (5, 7) and lengths.tolist() == [7] * 5
    assert tgt_in.shape == tgt_out.shape == (5, 8)
    assert (tgt_in[:, 0] == tr.BOS).all() and (tgt_out[:, -1] == tr.EOS).all()
    assert torch.equal(tgt_in[:, 1:], tgt_out[:, :-1])                 # shifted by one step
    assert torch.equal(tgt_out[:, :-1] - 3, src - 1)                   # the same digits
    assert int(src.min()) >= 1 and int(src.max()) < tr.SRC_VOCAB and int(tgt_out.max()) < tr.TGT_VOCAB
    assert torch.equal(tr.copy_digits(5, 7, seed=3)[0], src)
    with pytest.raises(ValueError, match="length"):
        tr.copy_digits(5, 0)


class _Oracle(torch.nn.Module):
    """Answers with the true next digit when fed the truth, and copies its input otherwise."""

    def __init__(self, wrong_from: int):
        super().__init__()
        self.wrong_from = wrong_from
        self.p = torch.nn.Parameter(torch.zeros(1))

    def forward(self, src, lengths, tgt_in):
        truth = torch.cat([src + 2, torch.full((src.shape[0], 1), tr.EOS)], 1)      # (B, S + 1)
        return torch.nn.functional.one_hot(truth, tr.TGT_VOCAB).float()

    def greedy(self, src, lengths, max_len):
        out = torch.cat([src + 2, torch.full((src.shape[0], 1), tr.EOS)], 1)
        out[:, self.wrong_from:-1] = 3                                  # its own mistakes from here on
        return out[:, :max_len]


def test_greedy_and_teacher_forced_accuracy_count_digits():
    data = tr.copy_digits(200, 10, seed=0)
    model = _Oracle(wrong_from=5)
    assert tr.teacher_forced_accuracy(model, data) == 1.0
    wrong_digits = float((data[0][:, 5:] != 1).float().mean())         # digit 0 is written right by chance
    assert tr.greedy_accuracy(model, data) == pytest.approx(1 - 0.5 * wrong_digits)


def test_copy_model_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    a, b = tr.copy_model(None, hidden_size=8, seed=2), tr.copy_model(None, hidden_size=8, seed=2)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert tr.copy_model("additive", hidden_size=8).attention is not None and a.attention is None


def test_length_sweep_trains_both_kinds_and_attention_copies_short_strings():
    result, models = tr.length_sweep([3], n_train=600, n_test=100, epochs=4, hidden_size=32, seed=0)
    assert set(result) == set(models) == {"no attention", "attention"}
    assert all(set(r) == {3} for r in result.values()) and all(set(m) == {3} for m in models.values())
    assert result["attention"][3] > 0.5                                # chance is 0.1 per digit
    test = tr.copy_digits(100, 3, seed=1)
    assert tr.greedy_accuracy(models["attention"][3], test) == result["attention"][3]


def test_train_copy_is_what_length_sweep_runs():
    result, models = tr.length_sweep([2], n_train=200, n_test=50, epochs=1, hidden_size=8, seed=3)
    model, accuracy = tr.train_copy(None, 2, n_train=200, n_test=50, epochs=1, hidden_size=8, seed=3)
    assert accuracy == result["no attention"][2]
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), models["no attention"][2].parameters()))
