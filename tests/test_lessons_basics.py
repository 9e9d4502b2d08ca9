"""rnncourse.lessons.basics: the tour's environment check and notebook 01's experiment helpers."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest
import torch
from torch import nn

from conftest import ROOT
from rnnviz.data import DataFileError
from rnncourse.lessons import basics
from rnnviz.models import SequenceClassifier



def test_environment_reports_versions_and_every_data_file():
    import plotly

    env = basics.environment()
    assert env["torch"] == torch.__version__ and env["plotly"] == plotly.__version__
    assert env["threads"] == torch.get_num_threads()
    listed = [line.split()[1] for line in (ROOT / "data" / "SHA256SUMS").read_text().splitlines() if line.strip()]
    assert sorted(env["data"].files) == sorted(listed)
    assert env["data"].files["sunspots.arrays.xz"] == (ROOT / "data" / "sunspots.arrays.xz").stat().st_size
    assert f"{len(listed)} files verified" in repr(env["data"])


def test_environment_names_a_damaged_data_file(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    target = copy / "seattle_temps.arrays.xz"
    raw = bytearray(target.read_bytes())
    raw[100] ^= 0xFF
    target.write_bytes(bytes(raw))
    monkeypatch.setenv("RNNVIZ_DATA", str(copy))
    with pytest.raises(DataFileError, match="seattle_temps.arrays.xz is corrupted"):
        basics.environment()
    target.unlink()
    with pytest.raises(DataFileError, match="missing"):
        basics.environment()


def _positions(task, i):
    words = task.words(i)
    return words, words.index(basics.SUBJECT), words.index(basics.OBJECT)


def test_order_task_labels_follow_word_order_only():
    task = basics.order_task(500, min_len=3, max_len=9, seed=4)
    assert task.ids.shape == (500, 9) and task.ids.dtype == torch.int64
    assert int(task.lengths.min()) >= 3 and int(task.lengths.max()) <= 9
    for i in range(len(task)):
        words, dog, man = _positions(task, i)
        assert len(words) == int(task.lengths[i])
        assert words.count(basics.SUBJECT) == 1 and words.count(basics.OBJECT) == 1
        assert set(words) - {basics.SUBJECT, basics.OBJECT} <= set(basics.FILLERS)
        assert int(task.labels[i]) == int(dog < man)
        assert (task.ids[i, len(words):] == 0).all()
    assert 0.4 < task.labels.float().mean() < 0.6


def test_order_task_is_seeded_and_checks_its_arguments():
    a, b = basics.order_task(50, seed=3), basics.order_task(50, seed=3)
    assert torch.equal(a.ids, b.ids) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.ids, basics.order_task(50, seed=4).ids)
    state = torch.get_rng_state()
    basics.order_task(10)
    assert torch.equal(state, torch.get_rng_state())
    with pytest.raises(ValueError, match="max_len >= min_len"):
        basics.order_task(10, min_len=8, max_len=5)
    with pytest.raises(ValueError, match="n an int >= 1"):
        basics.order_task(0)
    with pytest.raises(ValueError, match="min_len an int >= 2"):
        basics.order_task(5, min_len=1)


def test_encode_and_words_round_trip():
    task = basics.order_task(5, seed=0)
    ids, words = task.encode("the dog bites a man")
    assert ids.shape == (1, 5) and words == ["the", "dog", "bites", "a", "man"]
    assert [task.vocab.itos[k] for k in ids[0].tolist()] == words
    assert task.encode("a cat")[0][0, 1].item() == 1       # unknown word -> <unk>
    with pytest.raises(ValueError, match="empty"):
        task.encode("   ")
    with pytest.raises(ValueError, match="sentence index in 0..4"):
        task.words(5)


def test_bag_of_words_counts_and_forgets_order():
    task = basics.order_task(200, seed=1)
    bags = basics.bag_of_words(task.ids, len(task.vocab))
    assert bags.shape == (200, len(task.vocab)) and bags.dtype == torch.float32
    for i in range(200):
        counts = Counter(task.words(i))
        expected = [float(counts.get(w, 0)) for w in task.vocab.itos]
        expected[0] = 0.0
        assert bags[i].tolist() == expected
    flipped = task.ids.flip(1)
    assert torch.equal(basics.bag_of_words(flipped, len(task.vocab)), bags)


def test_bag_of_words_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(batch, time\) integer"):
        basics.bag_of_words(torch.zeros(3, 4), 5)
    with pytest.raises(ValueError, match=r"\(batch, time\) integer"):
        basics.bag_of_words(torch.zeros(4, dtype=torch.long), 5)
    with pytest.raises(ValueError, match=r"ids in \[0, 5\)"):
        basics.bag_of_words(torch.tensor([[1, 5]]), 5)


def test_count_parameters():
    layer = nn.Linear(3, 4)
    assert basics.count_parameters(layer) == 16
    assert basics.count_parameters(nn.RNN(10, 20)) == 640
    layer.bias.requires_grad_(False)
    assert basics.count_parameters(layer) == 12
    with pytest.raises(TypeError, match="torch.nn.Module"):
        basics.count_parameters([layer.weight])


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_read_one_by_one_reset_matches_the_model(cell):
    model = SequenceClassifier(12, embed_dim=4, hidden_size=5, cell=cell).train()
    seqs = [torch.tensor([2, 4, 3]), torch.tensor([5, 3, 6, 2, 7]), torch.tensor([9])]
    verdicts = basics.read_one_by_one(model, seqs, reset=True)
    assert model.training
    for seq, v in zip(seqs, verdicts):
        assert v.shape == (len(seq), 2)
        with torch.no_grad():
            expected = model.eval()(seq[None])[0]
            out, _ = model.rnn(model.inputs(seq[None]))
            steps = model.head(out[0])
        torch.testing.assert_close(v[-1], expected, rtol=0, atol=1e-6)
        torch.testing.assert_close(v, steps, rtol=0, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_read_one_by_one_carrying_equals_one_long_stream(cell):
    model = SequenceClassifier(12, embed_dim=4, hidden_size=5, cell=cell).eval()
    seqs = [torch.tensor([2, 4, 3]), torch.tensor([5, 3, 6, 2, 7]), torch.tensor([9, 8])]
    carried = torch.cat(basics.read_one_by_one(model, seqs, reset=False))           # (sum T, C)
    with torch.no_grad():
        out, _ = model.rnn(model.inputs(torch.cat(seqs)[None]))
        stream = model.head(out[0])
    torch.testing.assert_close(carried, stream, rtol=0, atol=1e-6)
    fresh = torch.cat(basics.read_one_by_one(model, seqs, reset=True))
    assert torch.equal(carried[:3], fresh[:3]) and (carried[3:] - fresh[3:]).abs().max() > 1e-4


def test_read_one_by_one_rejects_what_it_cannot_read():
    seq = [torch.tensor([2, 3])]
    with pytest.raises(TypeError, match="pooling='last'"):
        basics.read_one_by_one(SequenceClassifier(12, pooling="mean"), seq)
    with pytest.raises(TypeError, match="bidirectional=True"):
        basics.read_one_by_one(SequenceClassifier(12, bidirectional=True), seq)
    with pytest.raises(TypeError, match="Linear"):
        basics.read_one_by_one(nn.Linear(2, 2), seq)
    with pytest.raises(ValueError, match="non-empty list"):
        basics.read_one_by_one(SequenceClassifier(12), [])
    with pytest.raises(ValueError, match="non-empty list"):
        basics.read_one_by_one(SequenceClassifier(12), torch.tensor([[2, 3]]))


def test_state_change_by_word_against_a_loop():
    import rnnviz

    task = basics.order_task(40, min_len=3, max_len=7, seed=5)
    model = SequenceClassifier(len(task.vocab), embed_dim=4, hidden_size=6, cell="gru", num_layers=2)
    with rnnviz.record(model) as traces:
        model(task.ids, task.lengths)
    got = basics.state_change_by_word(traces["rnn"], task.ids, task.vocab)
    sums, counts = Counter(), Counter()
    for i in range(len(task)):
        seq = task.ids[i, : int(task.lengths[i])]
        with torch.no_grad():
            out, _ = model.rnn(model.inputs.embedding(seq[None]))               # (1, T, H) top layer
        for t in range(1, len(seq)):
            word = task.vocab.itos[int(seq[t])]
            sums[word] += float((out[0, t] - out[0, t - 1]).norm())
            counts[word] += 1
    assert set(got) == set(counts) and "<pad>" not in got
    for word in counts:
        assert abs(got[word] - sums[word] / counts[word]) < 1e-5, word


def test_state_change_by_word_rejects_mismatched_ids():
    import rnnviz

    trace = rnnviz.trace(nn.RNN(3, 4, batch_first=True), torch.randn(2, 5, 3))
    vocab = basics.order_task(2).vocab
    with pytest.raises(ValueError, match=r"\(2, 5\)"):
        basics.state_change_by_word(trace, torch.zeros(2, 6, dtype=torch.long), vocab)
    with pytest.raises(TypeError, match="rnnviz.Trace"):
        basics.state_change_by_word(torch.zeros(1), torch.zeros(2, 5, dtype=torch.long), vocab)


def test_padding_drift_against_a_padded_run():
    from rnnviz.models import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier(6, embed_dim=3, hidden_size=5, cell="rnn", num_classes=2, num_layers=2)
    ids = torch.tensor([2, 3, 4])
    assert basics.padding_drift(model, ids, 0) == 0.0
    with torch.no_grad():
        _, h = model.rnn(model.inputs(torch.tensor([[2, 3, 4, 0, 0]])))           # (L, 1, H)
        _, alone = model.rnn(model.inputs(ids[None]))
    assert basics.padding_drift(model, ids, 2) == pytest.approx(float((h[-1] - alone[-1]).abs().max()))
    assert basics.padding_drift(model, ids, 2) > 0
    assert model.training                                                           # left as found
    with pytest.raises(ValueError, match="pads"):
        basics.padding_drift(model, ids, -1)
    with pytest.raises(ValueError, match="sentence"):
        basics.padding_drift(model, ids[None], 1)
