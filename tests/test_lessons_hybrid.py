"""rnncourse.lessons.hybrid: the helpers of notebooks 04 and 05, checked against independent computations."""
from __future__ import annotations

import math
import types

import pytest
import torch

from rnnviz import synthetic
from rnncourse.lessons import hybrid
from rnnviz.models import SequenceClassifier


def test_bursts_shapes_seed_and_frequency():
    x, y = hybrid.bursts(64, 200, seed=3)
    assert x.shape == (64, 200, 1) and y.shape == (64,) and x.dtype == torch.float32
    x2, y2 = hybrid.bursts(64, 200, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert 10 < int(y.sum()) < 54
    clean, _ = hybrid.bursts(64, 200, noise=0.0, seed=3)          # same draws, no noise: only the burst
    for signal, label in zip(clean[:, :, 0], y):
        spectrum = torch.fft.rfft(signal).abs()
        period = 200 / int(spectrum[1:].argmax() + 1)
        assert (abs(period - 6) < 1.5) if label == 1 else (abs(period - 16) < 4), (period, int(label))
        assert int((signal != 0).sum()) <= 32
    with pytest.raises(ValueError, match="length"):
        hybrid.bursts(4, 10, width=32)


def test_next_frame_shapes_loss_and_errors():
    video, _ = synthetic.moving_squares(5, 6, size=10, seed=0)
    model = hybrid.NextFrame(1, 4)
    logits = model(video)
    assert logits.shape == video.shape
    manual = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, :5], video[:, 1:])
    assert torch.allclose(hybrid.next_frame_loss(logits, video), manual)
    errors = hybrid.frame_errors(model, video)
    copy = sum(float(((video[:, t - 1] - video[:, t]) ** 2).mean()) for t in range(2, 6)) / 4
    assert errors["copy last frame"] == pytest.approx(copy, rel=1e-6)
    prob = torch.sigmoid(logits.detach())
    assert errors["model"] == pytest.approx(float(((prob[:, 1:5] - video[:, 2:]) ** 2).mean()), rel=1e-5)
    with pytest.raises(ValueError, match="same"):
        hybrid.next_frame_loss(logits[:, :3], video)
    with pytest.raises(ValueError, match="more than 2 frames"):
        hybrid.frame_errors(model, video[:, :2])


def test_frames_figure_one_heatmap_per_frame():
    video, _ = synthetic.moving_squares(2, 5, size=8, seed=0)
    fig = hybrid.frames_figure({"a": video, "b": video[0, :, 0]}, sample=1)
    assert len(fig.data) == 10 and fig.data[0].type == "heatmap"
    assert fig.data[0].z.tolist() == video[1, 0, 0].tolist()
    with pytest.raises(ValueError, match="at least one"):
        hybrid.frames_figure({})
    with pytest.raises(ValueError, match="row 'x'"):
        hybrid.frames_figure({"x": torch.zeros(3, 4)})


def test_year_span_and_attention_share():
    assert hybrid.year_span("20210303") == (0, 4)
    assert hybrid.year_span("3 march 2021") == (8, 12)
    assert hybrid.year_span("03/03/21") == (6, 8)
    with pytest.raises(ValueError, match="ends with its year"):
        hybrid.year_span("march")
    task = synthetic.dates(3, ["3 march 2021", "20210303", "03/03/21"], seed=0)
    B, S = task.src.shape
    on_year = torch.zeros(B, 11, S)
    uniform = torch.zeros(B, 11, S)
    for i, s in enumerate(task.source):
        a, b = hybrid.year_span(s)
        on_year[i, :, a] = 1.0
        uniform[i, :, : len(s)] = 1.0 / len(s)
    assert hybrid.year_attention(on_year, task) == pytest.approx(1.0)
    expected = sum((b - a) / len(s) for s in task.source for a, b in [hybrid.year_span(s)]) / B
    assert hybrid.year_attention(uniform, task) == pytest.approx(expected)
    with pytest.raises(ValueError, match="attention weights"):
        hybrid.year_attention(on_year[:2], task)


def test_date_model_batches_translate_and_attention():
    task = synthetic.dates(6, ["3.3.2021", "20210303"], seed=0)
    model = hybrid.date_model(task, hidden_size=8)
    assert model.bos_id == task.tgt_vocab.stoi["<s>"] and model.eos_id == task.tgt_vocab.stoi["</s>"]
    src, lengths, tgt_in, tgt_out = hybrid.date_batches(task)
    assert tgt_in.shape == tgt_out.shape == (6, 11) and torch.equal(tgt_in[:, 1:], tgt_out[:, :-1])
    assert model(src, lengths, tgt_in).shape == (6, 11, len(task.tgt_vocab))
    texts = hybrid.translate(model, task)
    assert len(texts) == 6 and all(isinstance(t, str) for t in texts)
    weights, source, target = hybrid.date_attention(model, task, 1)
    assert weights.shape == (len(target), len(task.source[1])) and source == list(task.source[1])
    assert target[-1] == "</s>" and torch.allclose(weights.sum(-1), torch.ones(len(target)))
    src_i, len_i, month = hybrid.date_months(task)
    assert month.tolist() == [int(t[5:7]) - 1 for t in task.target]


def test_moving_direction_labels_follow_the_corners():
    video, y = hybrid.moving_direction(50, frames=5, size=10, seed=2)
    _, corner = synthetic.moving_squares(50, 5, size=10, seed=2)
    cols = torch.nonzero(video[:, -1, 0].amax(1))                       # columns lit in the last frame
    first_col = torch.stack([cols[cols[:, 0] == i, 1].min() for i in range(50)])
    assert torch.equal(first_col, corner[:, -1, 1])
    assert torch.equal(y, (corner[:, -1, 1] - corner[:, -2, 1] > 0).long())


def test_interleaved_fit_equals_training_each_model_alone():
    x, y = hybrid.bursts(40, 30, width=8, seed=0)
    torch.manual_seed(1)
    a = SequenceClassifier(input_size=1, hidden_size=4, cell="gru")
    b = SequenceClassifier(input_size=1, hidden_size=4, cell="rnn")
    a0, b0 = [{k: v.clone() for k, v in m.state_dict().items()} for m in (a, b)]
    secs = hybrid.interleaved_fit({"a": a, "b": b}, (x, y), epochs=2, loss_fn=torch.nn.functional.cross_entropy,
                                  batch_size=8, lr=1e-2, progress=False)
    assert [len(s) for s in secs.values()] == [2, 2] and all(t > 0 for s in secs.values() for t in s)
    from rnnviz.train import fit
    alone = SequenceClassifier(input_size=1, hidden_size=4, cell="rnn")
    alone.load_state_dict(b0)
    opt = torch.optim.Adam(alone.parameters(), lr=1e-2)
    for epoch in range(2):
        fit(alone, (x, y), epochs=1, optimizer=opt, seed=epoch, loss_fn=torch.nn.functional.cross_entropy,
            batch_size=8, progress=False)
    for k, v in alone.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert not torch.equal(a.state_dict()["rnn.weight_hh_l0"], a0["rnn.weight_hh_l0"])


def test_param_counts_match_the_formula():
    counts = hybrid.param_counts(16, 32)
    block = 32 * 16 + 32 * 32 + 2 * 32
    assert counts == {"vanilla RNN": block, "LSTM": 4 * block, "GRU": 3 * block, "bidirectional GRU": 6 * block,
                      "2-layer GRU": 3 * block + 3 * (32 * 32 + 32 * 32 + 2 * 32)}


def test_attention_classifier_masks_padding_and_matches_a_manual_context():
    torch.manual_seed(0)
    model = hybrid.AttentionClassifier(10, embed_dim=4, hidden_size=6, num_classes=3).eval()
    x = torch.tensor([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    lengths = torch.tensor([3, 5])
    out = model(x, lengths)
    w = model.attention.last_weights                                   # (B, 1, T)
    assert out.shape == (2, 3) and torch.all(w[0, 0, 3:] == 0)
    assert torch.allclose(model(x[:1, :3]), out[:1], atol=1e-6)       # padding changes nothing
    states, _ = model.rnn(model.embedding(x[1:]))                      # independent: score, softmax, sum
    att = model.attention
    e = att.v(torch.tanh(att.w_query(model.query) + att.w_key(states[0]))).squeeze(-1)
    context = torch.softmax(e, 0) @ states[0]
    assert torch.allclose(model.head(context), out[1], atol=1e-6)
    with pytest.raises(TypeError, match="integer token ids"):
        model(x.float(), lengths)


def test_step_seconds_times_every_model():
    models = {"rnn": torch.nn.RNN(3, 4, batch_first=True), "gru": torch.nn.GRU(3, 4, batch_first=True)}
    secs = hybrid.step_seconds(models, torch.randn(2, 10, 3), repeats=3)
    # real clock: only that a time came out (how fast is no unit test's business)
    assert set(secs) == {"rnn", "gru"} and all(0 < s < math.inf for s in secs.values())
    with pytest.raises(ValueError, match="repeats"):
        hybrid.step_seconds(models, torch.randn(2, 10, 3), repeats=0)


def test_step_seconds_is_the_median_call_over_the_steps_interleaved_without_grad(monkeypatch):
    """On a fake clock each model's call takes a known time: the result is the median over the
    repeats divided by T, and the models take turns."""
    now = [0.0]
    monkeypatch.setattr(hybrid, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    durations = {"rnn": iter([3.0, 1.0, 8.0]), "gru": iter([10.0, 50.0, 20.0])}   # medians 3, 20; means 4, 26.7
    calls = []

    def model(name):
        def run(x):
            calls.append((name, torch.is_grad_enabled()))
            now[0] += next(durations[name])
        return run

    secs = hybrid.step_seconds({"rnn": model("rnn"), "gru": model("gru")}, torch.zeros(2, 10, 3), repeats=3)
    assert secs == {"rnn": 3.0 / 10, "gru": 20.0 / 10}
    assert calls == [("rnn", False), ("gru", False)] * 3


def test_count_up_and_one_to_many():
    x, y = hybrid.count_up(20, 6, n_symbols=10, step=3, seed=0)
    assert y.shape == (20, 6) and torch.equal(y[:, 0], x)
    assert torch.equal(y, torch.stack([(x + 3 * t) % 10 for t in range(6)], 1))
    model = hybrid.OneToMany(10, 6, hidden_size=8)
    assert model(x, y).shape == (20, 6, 10)                            # teacher forcing in training mode
    model.eval()
    greedy = model(x)
    assert greedy.shape == (20, 6, 10)
    manual = model(x, y)                                               # eval mode ignores targets: greedy
    assert torch.equal(greedy, manual)
    with pytest.raises(ValueError, match="one symbol per example"):
        model(x[:, None])
    lstm = hybrid.OneToMany(10, 4, cell="lstm").eval()
    assert lstm(x).shape == (20, 4, 10)


def test_ordered_bursts_put_the_fast_burst_first_exactly_when_the_label_says():
    x, y = hybrid.ordered_bursts(64, 200, seed=4)
    assert x.shape == (64, 200, 1) and y.shape == (64,)
    x2, y2 = hybrid.ordered_bursts(64, 200, seed=4)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert 10 < int(y.sum()) < 54
    clean, _ = hybrid.ordered_bursts(64, 200, noise=0.0, seed=4)     # same draws, no noise: the two bursts
    for signal, label in zip(clean[:, :, 0], y):
        lit = torch.nonzero(signal != 0)[:, 0]
        assert 40 <= len(lit) <= 64                                    # two 32-step bursts (a few zero crossings)
        halves = [signal[lit.min():lit.min() + 32], signal[lit.max() - 31:lit.max() + 1]]
        periods = [32 / int(torch.fft.rfft(h).abs()[1:].argmax() + 1) for h in halves]
        fast_first = periods[0] < periods[1]
        assert fast_first == bool(label), (periods, int(label))
    with pytest.raises(ValueError, match="length"):
        hybrid.ordered_bursts(4, 60, width=32)


def test_conv_only_shares_the_conv_rnn_front_end_and_pools_over_time():
    from rnnviz.models import ConvRNN
    torch.manual_seed(0)
    only = hybrid.ConvOnly(1, conv_channels=5, kernel_size=7, stride=2, pool=4, output_size=3)
    hybrid_model = ConvRNN(1, conv_channels=5, kernel_size=7, stride=2, pool=4, hidden_size=4, output_size=3)
    hybrid_model.conv.load_state_dict(only.conv.state_dict())
    x = torch.randn(6, 256, 1)
    features = hybrid_model.downsample(x)                               # (B, T', C)
    expected = only.head(features.amax(1))
    assert torch.allclose(only(x), expected, atol=1e-6)
    a, b, gap = x[:, :64], x[:, 64:128], torch.zeros(6, 16, 1)          # two parts, apart by silence
    ab, ba = torch.cat([a, gap, b], 1), torch.cat([b, gap, a], 1)      # the same parts in the other order
    assert torch.allclose(only(ab), only(ba), atol=1e-6)               # blind to order
    assert not torch.allclose(hybrid_model(ab), hybrid_model(ba), atol=1e-4)   # the RNN behind it is not
    with pytest.raises(ValueError, match="1"):
        only(torch.randn(2, 10, 3))
