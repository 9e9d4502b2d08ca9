"""lessons.depth: the tagging splits, the context-free baselines and the seeded tagger runs of notebook 03."""
from types import SimpleNamespace

import pytest
import torch

from rnncourse.lessons import depth
from rnnviz.data import Vocab
from rnnviz.models import Tagger


def _pos():
    """A toy ``ud_pos()``: 12 training sentences, 3 test ones, tags = word id % 3."""
    vocab = Vocab(["a", "b", "c", "d", "e"])                      # ids 2..6
    g = torch.Generator().manual_seed(0)

    def split(n):
        lengths = torch.randint(2, 6, (n,), generator=g)
        words = torch.randint(2, 7, (n, 6), generator=g)
        pad = torch.arange(6)[None] >= lengths[:, None]
        words[pad] = 0
        tags = words % 3
        tags[pad] = -100
        return SimpleNamespace(words=words, lengths=lengths, tags=tags)

    return SimpleNamespace(train=split(12), test=split(3), vocab=vocab, tags=["X", "Y", "Z"])


def test_tagging_splits_layout_and_unknown_words():
    pos = _pos()
    s = depth.tagging_splits(pos, 5, n_val=4, max_len=6, min_count=2, seed=1)
    assert [len(t[0]) for t in (s.train, s.val, s.test)] == [5, 4, 3]
    assert torch.equal(s.val[1], pos.train.lengths[-4:]) and torch.equal(s.val[2], pos.train.tags[-4:])
    # every kept word occurs at least twice in the training sentences; the others read as <unk>
    counts = torch.bincount(s.train[0].flatten(), minlength=s.vocab_size)
    assert bool((counts[2:] >= 2).all())
    assert s.words[:2] == ["<pad>", "<unk>"] and len(s.words) == s.vocab_size
    for split, old in ((s.val, pos.train.words[-4:]), (s.test, pos.test.words)):
        back = [s.words[i] for i in split[0].flatten().tolist()]
        orig = [pos.vocab.itos[i] for i in old.flatten().tolist()]
        assert all(b == o or b == "<unk>" for b, o in zip(back, orig))
        assert torch.equal(split[0] == 0, old == 0)                  # padding stays padding
    again = depth.tagging_splits(pos, 5, n_val=4, max_len=6, seed=1)
    other = depth.tagging_splits(pos, 5, n_val=4, max_len=6, seed=2)
    assert torch.equal(s.train[0], again.train[0]) and not torch.equal(s.train[1], other.train[1])
    assert s.encode(["a", "zebra"]).tolist() == [[s.words.index("a") if "a" in s.words else 1, 1]]
    with pytest.raises(ValueError, match="n_train"):
        depth.tagging_splits(pos, 9, n_val=4, max_len=6)


def test_majority_tags_by_hand():
    # training: word 2 is tagged 0 twice and 1 once; word 3 tagged 2; <unk> (1) tagged 1
    train = (torch.tensor([[2, 2, 2, 3, 1]]), torch.tensor([5]), torch.tensor([[0, 0, 1, 2, 1]]))
    test = (torch.tensor([[2, 3, 4, 1, 0]]), torch.tensor([4]), torch.tensor([[0, 2, 1, 0, -100]]))
    got = depth.majority_tags(train, test, num_tags=3)
    # most frequent tag overall: 0 and 1 tie at 2 each, argmax takes 0 -> test right at positions 0 and 3
    assert got["most frequent tag"] == pytest.approx(2 / 4)
    # lookup: 2->0 right, 3->2 right, 4 unseen -> <unk>'s tag 1 right, <unk> -> 1 wrong
    assert got["most frequent tag of each word"] == pytest.approx(3 / 4)


def test_train_taggers_and_mean_by():
    s = depth.tagging_splits(_pos(), 6, n_val=4, max_len=6, min_count=1)

    def make(layers, bi=True):
        return Tagger(s.vocab_size, num_tags=3, embed_dim=4, hidden_size=5, num_layers=layers, bidirectional=bi)

    rows = depth.train_taggers(make, [{"layers": 1}, {"layers": 2, "bi": False}], s, [0, 1], max_epochs=3)
    assert [(r["layers"], r["seed"]) for r in rows] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    for r in rows:
        assert r["parameters"] == sum(p.numel() for p in r["model"].parameters())
        assert r["model"].rnn.num_layers == r["layers"] and 1 <= r["epochs"] <= 3
        assert r["gap"] == pytest.approx(r["train"] - r["val"]) and 0 <= r["test"] <= 1
    assert rows[0]["model"].rnn.bidirectional and not rows[2]["model"].rnn.bidirectional
    again = depth.train_taggers(make, [{"layers": 1}], s, [0], max_epochs=3)[0]
    assert again["val"] == rows[0]["val"] and again["test"] == rows[0]["test"]     # seeded
    means = depth.mean_by(rows, "layers")
    assert [m["layers"] for m in means] == [1, 2] and all(m["runs"] == 2 for m in means)
    assert means[1]["test"] == pytest.approx((rows[2]["test"] + rows[3]["test"]) / 2)


def test_encode_text_for_a_views_text_box():
    s = depth.tagging_splits(_pos(), 6, n_val=4, max_len=6, min_count=1)
    ids, words = s.encode_text("a  b zebra")
    assert words == ["a", "b", "zebra"] and torch.equal(ids, s.encode(words)) and ids.shape == (1, 3)
    assert ids[0, 2] == 1                                               # unknown -> <unk>
    with pytest.raises(ValueError, match="empty"):
        s.encode_text("   ")
