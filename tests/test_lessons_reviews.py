"""rnncourse.lessons.reviews: the recurrent IMDB classifier of notebook 06 and the benchmark."""
from __future__ import annotations

import math
import types
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from rnncourse.lessons.reviews import ReviewRNN, reference_epoch_seconds, train_reviews


@dataclass
class Split:
    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return len(self.labels)


def _toy(n: int, seed: int) -> Split:
    """Reviews whose label is whether word 5 occurs; lengths vary, padding 0 on the right."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 13, (n,), generator=g)
    ids = torch.randint(6, 20, (n, 12), generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    pos = (torch.rand(n, generator=g) * lengths).long()
    ids[labels == 1, pos[labels == 1]] = 5
    ids[torch.arange(12)[None] >= lengths[:, None]] = 0
    return Split(ids, lengths, labels)


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("pooling", ["last", "mean", "meanmax"])
@pytest.mark.parametrize("stride", [1, 4])
def test_padding_changes_nothing(pooling, stride, pack):
    """A review scores the same alone and in a padded batch: padding never reaches the output."""
    torch.manual_seed(0)
    model = ReviewRNN(20, embed_dim=4, hidden_size=3, pooling=pooling, stride=stride, pack=pack).eval()
    ids = torch.tensor([[7, 8, 9, 10, 11, 0, 0, 0, 0], [7, 8, 9, 10, 11, 12, 13, 14, 15]])  # (2, 9)
    lengths = torch.tensor([5, 9])
    both = model(ids, lengths)                                                  # (2, 2)
    alone = model(ids[:1, :5], torch.tensor([5]))                               # (1, 2)
    torch.testing.assert_close(both[:1], alone, rtol=1e-5, atol=1e-6)           # float32 sums in another order


def test_reference_layout_and_the_convolution_shortens_the_sequence():
    ref = ReviewRNN(10_000, embed_dim=2, hidden_size=32, cell="rnn", pooling="last")
    assert ref.conv is None and isinstance(ref.rnn, nn.RNN)
    assert ref.embedding.weight.shape == (10_000, 2) and ref.head.in_features == 32
    seen = {}
    model = ReviewRNN(20, embed_dim=4, hidden_size=3, stride=4)
    model.rnn.register_forward_hook(lambda m, args, out: seen.update(steps=out[0].shape[1]))
    model(torch.randint(1, 20, (2, 10)))                                        # 10 words -> ceil(10/4) = 3 steps
    assert seen["steps"] == 3


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match="pooling"):
        ReviewRNN(10, pooling="sum")
    with pytest.raises(ValueError, match="stride"):
        ReviewRNN(10, stride=0)
    with pytest.raises(ValueError, match="int64"):
        ReviewRNN(10)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="schedule"):
        train_reviews(ReviewRNN(20), _toy(8, 0), _toy(8, 1), epochs=1, schedule="cosine")


def test_training_learns_a_word_and_is_reproducible():
    train, test = _toy(512, 0), _toy(256, 1)

    def once():
        torch.manual_seed(0)
        model = ReviewRNN(20, embed_dim=8, hidden_size=8, stride=2)
        return train_reviews(model, train, test, epochs=4, batch_size=32, lr=2e-2, seed=3)

    a, b = once(), once()
    assert a.steps == 4 * 16 and len(a.train_acc) == len(a.test_acc) == 4
    assert a.test_acc[-1] > 0.9, a                                              # chance is 0.5
    assert a.test_acc == b.test_acc and a.train_acc == b.train_acc             # same seed, same schedule


def test_reference_epoch_time_scales_a_few_batches_to_the_epoch(monkeypatch):
    seconds = reference_epoch_seconds(_toy(320, 2), batches=2, batch_size=32)
    assert 0 < seconds < math.inf        # real clock: only that a time came out (bench/imdb_sentiment.py reports it)
    # on a fake clock: 2 timed batches took 6 s, so each 3 s, and the epoch of 320 / 32 = 10 batches 30 s
    from rnncourse.lessons import reviews
    clock = iter([100.0, 106.0])
    monkeypatch.setattr(reviews, "time", types.SimpleNamespace(process_time=lambda: next(clock)))
    forward, calls = reviews.ReviewRNN.forward, []
    monkeypatch.setattr(reviews.ReviewRNN, "forward", lambda self, *a: calls.append(1) or forward(self, *a))
    assert reference_epoch_seconds(_toy(320, 2), batches=2, batch_size=32) == 6.0 / 2 * 10
    assert len(calls) == 2 and next(clock, None) is None           # 2 batches run, the clock read before and after


def test_the_summary_lists_every_epoch_with_or_without_train_scores():
    from rnncourse.lessons.reviews import Trained

    both = repr(Trained(train_acc=[0.6, 0.7], test_acc=[0.55, 0.65], steps=8, wall_s=1.0, cpu_s=0.5))
    assert "epoch 2: train 0.700  test 0.650" in both and "8 steps" in both
    assert "epoch 1: test 0.550" in repr(Trained(test_acc=[0.55], steps=4))


def test_keras_start_sets_the_keras_defaults_and_leaves_the_rng_alone():
    from rnncourse.lessons.reviews import ReviewRNN, keras_start
    model = ReviewRNN(50, embed_dim=2, hidden_size=6, cell="rnn", pooling="last")
    state = torch.get_rng_state()
    keras_start(model, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert float(model.embedding.weight.detach().abs().max()) <= 0.05
    W = model.rnn.weight_hh_l0.detach().double()
    assert torch.allclose(W @ W.T, torch.eye(6, dtype=torch.float64), atol=1e-5)        # orthogonal
    bound = (6 / (6 + 2)) ** 0.5                                                           # Glorot: fan_in 2, fan_out 6
    with torch.no_grad():                                   # read the weights, no autograd (float() of them warned)
        assert float(model.rnn.weight_ih_l0.abs().max()) <= bound
        assert float(model.rnn.bias_ih_l0.abs().sum() + model.rnn.bias_hh_l0.abs().sum() + model.head.bias.abs().sum()) == 0
    again = keras_start(ReviewRNN(50, embed_dim=2, hidden_size=6, cell="rnn", pooling="last"), seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    gru = keras_start(ReviewRNN(50, embed_dim=2, hidden_size=4, cell="gru", pooling="last"), seed=0)
    block = gru.rnn.weight_hh_l0.detach().double()[:4]
    assert torch.allclose(block @ block.T, torch.eye(4, dtype=torch.float64), atol=1e-5)  # each gate's block


@pytest.mark.parametrize("stride", [2, 4, 8])
def test_the_shortening_product_is_the_convolution(stride):
    """The reshape-and-multiply that the model runs gives what ``nn.Conv1d`` itself gives."""
    torch.manual_seed(0)
    model = ReviewRNN(30, embed_dim=5, hidden_size=3, stride=stride)
    x = torch.randn(3, 4 * stride, 5)                                           # (B, T, E), T a multiple of the stride
    by_conv = model.conv(x.transpose(1, 2)).transpose(1, 2)                     # (B, T / stride, E)
    torch.testing.assert_close(model.shorten(x), by_conv, rtol=1e-5, atol=1e-6)
    assert model.shorten(x).shape == (3, 4, 5)


@pytest.mark.parametrize("pooling", ["last", "meanmax"])
def test_running_over_the_padding_computes_the_same_function(pooling):
    """pack=False (the RNN also steps through the padding, then ignores it) gives the packed model's logits."""
    torch.manual_seed(0)
    packed = ReviewRNN(20, embed_dim=4, hidden_size=3, pooling=pooling, stride=2).eval()
    unpacked = ReviewRNN(20, embed_dim=4, hidden_size=3, pooling=pooling, stride=2, pack=False).eval()
    unpacked.load_state_dict(packed.state_dict())
    batch = _toy(16, 4)
    torch.testing.assert_close(unpacked(batch.ids, batch.lengths), packed(batch.ids, batch.lengths),
                               rtol=1e-5, atol=1e-6)


def test_last_words_keeps_each_reviews_end_left_aligned():
    from rnncourse.lessons.reviews import last_words

    split = Split(torch.tensor([[1, 2, 3, 4, 5, 0], [6, 7, 0, 0, 0, 0], [8, 9, 10, 11, 12, 13]]),
                  torch.tensor([5, 2, 6]), torch.tensor([0, 1, 1]))
    cut = last_words(split, 3)
    assert torch.equal(cut.ids, torch.tensor([[3, 4, 5], [6, 7, 0], [11, 12, 13]]))
    assert torch.equal(cut.lengths, torch.tensor([3, 2, 3])) and torch.equal(cut.labels, split.labels)
    assert torch.equal(last_words(split, 6).ids, split.ids)
    with pytest.raises(ValueError, match="1..6"):
        last_words(split, 7)


def test_recipe_model_follows_the_recipe_and_leaves_the_rng_alone():
    from rnncourse.lessons.reviews import RECIPE, recipe_model

    state = torch.get_rng_state()
    model = recipe_model({**RECIPE, "embed_dim": 6, "stride": 2, "pooling": "last"}, vocab_size=50, seed=1)
    assert torch.equal(state, torch.get_rng_state())
    assert model.embedding.weight.shape == (50, 6) and model.stride == 2 and model.pooling == "last"
    assert isinstance(model.rnn, nn.GRU) and not model.pack
    again = recipe_model({**RECIPE, "embed_dim": 6, "stride": 2, "pooling": "last"}, vocab_size=50, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_ablation_changes_one_choice_per_row_on_the_same_budget():
    from rnncourse.lessons.reviews import RECIPE, ablation, ablation_table

    train, test = _toy(512, 0), _toy(128, 1)
    recipe = {**RECIPE, "max_len": 12, "embed_dim": 8, "hidden_size": 8, "stride": 2, "batch_size": 32}
    changes = {"last state": {"pooling": "last"}, "last 6 words": {"max_len": 6}, "no convolution": {"stride": 1}}
    rows = ablation(train, test, changes, recipe=recipe, epochs=3, seed=0)
    assert [r.change for r in rows] == ["the recipe", *changes]
    assert rows[0].recipe == recipe and rows[1].recipe == {**recipe, "pooling": "last"}
    assert [r.rnn_steps for r in rows] == [6, 6, 3, 12]                          # max_len / stride, rounded up
    assert all(0 <= r.test_acc <= 1 and r.cpu_s > 0 for r in rows)
    assert rows[0].test_acc > 0.8, rows                                          # the word is easy to find; chance 0.5
    again = ablation(train, test, changes, recipe=recipe, epochs=3, seed=0)
    assert [r.test_acc for r in again] == [r.test_acc for r in rows]             # seeded: the same table again
    table = ablation_table(rows).splitlines()
    assert len(table) == 5 and "vs recipe" in table[0] and "+0.000" in table[1]
    assert table[3].startswith("last 6 words") and f"{rows[2].test_acc - rows[0].test_acc:+.3f}" in table[3]
    with pytest.raises(ValueError, match="unknown recipe keys"):
        ablation(train, test, {"bigger": {"layers": 2}}, recipe=recipe, epochs=1)
    with pytest.raises(ValueError, match="lacks"):
        ablation(train, test, {}, recipe={"max_len": 12}, epochs=1)


def test_training_accuracy_on_a_fixed_sample():
    """score_train=n scores n training reviews; a count beyond the split says what is allowed."""
    train, test = _toy(200, 0), _toy(50, 1)
    torch.manual_seed(0)
    model = ReviewRNN(20, embed_dim=4, hidden_size=4)
    run = train_reviews(model, train, test, epochs=2, batch_size=50, seed=1, score_train=7)
    assert len(run.train_acc) == 2 and all(abs(a * 7 - round(a * 7)) < 1e-9 for a in run.train_acc)  # k/7
    with pytest.raises(ValueError, match="1..200"):
        train_reviews(model, train, test, epochs=1, score_train=201)
