"""rnncourse.lessons.text: the helpers of notebooks 06 and 07, against torch and hand computations."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnnviz.data import Reviews, Vocab
from rnncourse.lessons import text


def _ids(B=3, T=6, V=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(2, V, (B, T), generator=g)


def test_codings_are_what_they_claim():
    ids = _ids()
    integer = text.CodedClassifier(20, "integer")
    assert torch.equal(integer.code(ids), ids.float()[..., None] / 19)
    onehot = text.CodedClassifier(20, "onehot")
    assert torch.equal(onehot.code(ids), nn.functional.one_hot(ids, 20).float())
    emb = text.CodedClassifier(20, "embedding", embed_dim=4)
    assert torch.equal(emb.code(ids), emb.embedding.weight[ids])


def test_onehot_rnn_input_is_an_embedding_lookup():
    model = text.CodedClassifier(20, "onehot", hidden_size=8)
    ids = _ids()
    W = model.rnn.weight_ih_l0                                                     # (H, V)
    assert torch.allclose(model.code(ids) @ W.T, W.T[ids], atol=1e-6)


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_padding_changes_nothing(pooling):
    model = text.CodedClassifier(20, "embedding", embed_dim=3, hidden_size=5, pooling=pooling).eval()
    ids = _ids(T=7)
    lengths = torch.tensor([7, 4, 2])
    padded = ids.clone()
    for b, n in enumerate(lengths.tolist()):
        padded[b, n:] = 0
    together = model(padded, lengths)                                              # (B, C)
    for b, n in enumerate(lengths.tolist()):
        alone = model(ids[b:b + 1, :n])
        assert torch.allclose(together[b], alone[0], atol=1e-5)


def test_mean_pooling_is_the_mean_of_the_states():
    model = text.CodedClassifier(20, "embedding", embed_dim=3, hidden_size=5, pooling="mean").eval()
    ids = _ids()
    out, _ = model.rnn(model.code(ids))                                            # (B, T, H)
    assert torch.allclose(model(ids), model.head(out.mean(1)), atol=1e-6)


def test_coded_classifier_rejects_bad_input():
    with pytest.raises(ValueError, match="coding"):
        text.CodedClassifier(20, "bits")
    with pytest.raises(ValueError, match="pooling"):
        text.CodedClassifier(20, "onehot", pooling="max")
    model = text.CodedClassifier(20, "onehot")
    with pytest.raises(ValueError, match=r"ids in 0\.\.19"):
        model(torch.tensor([[3, 25]]))
    with pytest.raises(ValueError, match="int64"):
        model(torch.zeros(2, 3))


def test_pooled_embedding_is_the_mean_over_real_words():
    model = text.PooledEmbedding(20, embed_dim=4)
    ids = torch.tensor([[5, 6, 0, 0], [7, 7, 7, 9]])
    E = model.embedding.weight
    means = torch.stack([E[[5, 6]].mean(0), E[[7, 7, 7, 9]].mean(0)])
    assert torch.allclose(model(ids), model.head(means), atol=1e-6)


def test_word_scores_are_the_logit_push_of_one_word():
    vocab = Vocab(["good", "bad", "film"])
    model = text.PooledEmbedding(len(vocab), embed_dim=4)
    scores = text.word_scores(model, vocab, ["good", "bad", "film"])
    logits = model(vocab.encode(["good", "bad", "film"])[:, None])                 # each word alone, (3, 2)
    bias = model.head.bias[1] - model.head.bias[0]
    assert torch.allclose(scores, logits[:, 1] - logits[:, 0] - bias, atol=1e-5)


def _reviews(n=40, T=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, T + 1, (n,), generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    ids = torch.zeros(n, T, dtype=torch.long)
    for i, (k, y) in enumerate(zip(lengths.tolist(), labels.tolist())):
        ids[i, :k] = torch.randint(4, 10, (k,), generator=g) if y else torch.randint(10, 16, (k,), generator=g)
    return Reviews(ids, lengths, labels, lengths.clone(), labels * 9 + 1)


def test_subset_keeps_rows_together_and_is_seeded():
    full = _reviews()
    a, b = text.subset(full, 10, seed=3), text.subset(full, 10, seed=3)
    assert len(a) == 10 and torch.equal(a.ids, b.ids)
    for i in range(10):
        j = int(torch.nonzero((full.ids == a.ids[i]).all(1))[0])
        assert full.labels[j] == a.labels[i] and full.lengths[j] == a.lengths[i]
    with pytest.raises(ValueError, match="n in 1..40"):
        text.subset(full, 41)


def test_fit_reviews_learns_a_separable_toy_task():
    torch.manual_seed(0)
    model = text.CodedClassifier(16, "embedding", embed_dim=4, hidden_size=8, pooling="mean")
    history, acc = text.fit_reviews(model, _reviews(200), _reviews(100, seed=1), epochs=4, batch_size=20,
                                    max_lr=3e-2)
    assert len(history.train_loss) == 4 and history.train_loss[-1] < history.train_loss[0]
    assert acc > 0.9


def test_cap_vocab_and_review_encoder():
    ids = torch.tensor([[0, 3, 12, 40]])
    assert torch.equal(text.cap_vocab(ids, 10), torch.tensor([[0, 3, 1, 1]]))
    with pytest.raises(ValueError, match="vocab_size >= 2"):
        text.cap_vocab(ids, 1)
    vocab = Vocab(["good", "film"], tokenizer=str.split)
    encode = text.review_encoder(vocab, max_len=2)
    ids, words = encode("a good film")
    assert words == ["good", "film"] and torch.equal(ids, torch.tensor([[2, 3]]))
    with pytest.raises(ValueError, match="at least one word"):
        encode("   ")


def test_sentiment_is_the_softmax_of_class_one():
    vocab = Vocab(["good", "bad"])
    model = text.PooledEmbedding(len(vocab), embed_dim=3)
    encode = text.review_encoder(vocab)
    p = text.sentiment(model, encode, "good good bad")
    assert math.isclose(p, float(torch.softmax(model(vocab.encode("good good bad")[None]).detach(), -1)[0, 1]), rel_tol=1e-6)


def test_embedding_map_draws_each_group():
    vocab = Vocab(["good", "bad", "film", "plot"])
    W = torch.randn(len(vocab), 5)
    fig = text.embedding_map(W, vocab, {"pos": ["good"], "neg": ["bad", "unknownword"], "neutral": ["film", "plot"]})
    assert [t.name for t in fig.data] == ["pos", "neg", "neutral"]
    assert list(fig.data[2].text) == ["film", "plot"]
    flat = text.embedding_map(W[:, :2], vocab, {"all": ["good", "bad"]})
    assert list(flat.data[0].x) == pytest.approx(W[[2, 3], 0].tolist())             # 2-d vectors drawn as they are
    with pytest.raises(ValueError, match="vocabulary"):
        text.embedding_map(W, vocab, {"x": ["nothing"]})


def test_attention_classifier_and_its_recorded_weights():
    import rnnviz
    model = text.SelfAttentionClassifier(9, 12, d_model=8, nhead=2, num_classes=3).eval()
    x = torch.randint(0, 9, (4, 12))
    with torch.no_grad(), rnnviz.record(model) as rec:
        out = model(x)
    w = rec.attention["encoder.self_attn"]
    assert out.shape == (4, 3) and w.shape == (4, 2, 12, 12)
    assert torch.allclose(w.sum(-1), torch.ones(4, 2, 12), atol=1e-5)
    with pytest.raises(ValueError, match="at most 12 steps"):
        model(torch.zeros(1, 13, dtype=torch.long))


def test_cached_layer_equals_the_causal_layer():
    torch.manual_seed(1)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True).eval()
    x = torch.randn(2, 9, 16)
    with torch.no_grad():
        full = layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(9), is_causal=True)
    cached = text.CachedLayer(layer)
    steps = torch.stack([cached.step(x[:, t]) for t in range(9)], dim=1)            # (B, T, E)
    assert torch.allclose(steps, full, atol=1e-5)
    assert cached.cached_floats == 2 * 2 * 9 * 16
    cached.prefill(x[:, :5])
    assert torch.allclose(cached.step(x[:, 5]), full[:, 5], atol=1e-5)
    cached.truncate(3)
    assert cached.cached_floats == 2 * 2 * 3 * 16


def test_cached_layer_against_a_float64_hand_computation():
    torch.manual_seed(2)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    x = torch.randn(1, 4, 8)
    cached = text.CachedLayer(layer)
    outs = [cached.step(x[:, t]) for t in range(4)]
    p = {k: v.double() for k, v in layer.state_dict().items()}
    X = x[0].double()                                                              # (T, E)
    q, k, v = (X @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]).chunk(3, -1)
    heads = []
    for h in range(2):
        s = slice(4 * h, 4 * h + 4)
        score = q[-1, s] @ k[:, s].T / 2.0                                         # last token, sqrt(4) = 2
        heads.append(torch.softmax(score, -1) @ v[:, s])
    a = torch.cat(heads) @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
    ln = lambda z, n: (z - z.mean()) / torch.sqrt(z.var(unbiased=False) + 1e-5) * p[f"{n}.weight"] + p[f"{n}.bias"]  # noqa: E731
    h1 = ln(X[-1] + a, "norm1")
    ff = torch.relu(h1 @ p["linear1.weight"].T + p["linear1.bias"]) @ p["linear2.weight"].T + p["linear2.bias"]
    assert torch.allclose(outs[-1][0].double(), ln(h1 + ff, "norm2"), atol=1e-5)


def test_cached_layer_rejects_other_layers():
    with pytest.raises(TypeError, match="post-norm"):
        text.CachedLayer(nn.TransformerEncoderLayer(8, 2, norm_first=True, batch_first=True))
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        text.CachedLayer(nn.GRU(8, 8))


def test_race_times_both_models_and_restores_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)              # not the 1 thread race runs on (conftest pins 1): a restore must show
    try:
        race = text.race((4, 8), d_model=8, nhead=2, batch=2, reps=1, threads=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert set(race.ms) == {(m, mode) for m in ("rnn", "transformer") for mode in ("inference", "training")}
    assert all(len(v) == 2 and min(v) > 0 for v in race.ms.values())
    assert race.params == {"rnn": 6 * 64 + 6 * 8, "transformer": 6 * 64 + 10 * 8}
    assert race.growth("rnn", "training") == race.ms[("rnn", "training")][1] / race.ms[("rnn", "training")][0]
    assert "growth" in repr(race)
    with pytest.raises(ValueError, match="two positive lengths"):
        text.race((8,))


def test_stream_costs_memory_columns():
    rows = text.stream_costs((2, 6), d_model=8, nhead=2, reps=1)
    assert [r["prefix"] for r in rows] == [2, 6]
    assert [r["state_floats"] for r in rows] == [8, 8]
    assert [r["cache_floats"] for r in rows] == [2 * 2 * 8, 2 * 6 * 8]
    assert all(r[k] > 0 for r in rows for k in ("rnn_us", "cached_us", "recompute_us"))


def test_stream_costs_runs_on_its_threads_and_restores_the_callers(monkeypatch):
    from rnncourse.lessons import _text_speed
    inside = []
    timed = _text_speed._stream_costs

    def spy(*args):
        inside.append(torch.get_num_threads())
        return timed(*args)

    monkeypatch.setattr(_text_speed, "_stream_costs", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)              # not the 1 thread stream_costs runs on (conftest pins 1)
    try:
        rows = text.stream_costs((2,), d_model=8, nhead=2, reps=1, threads=1)
        assert torch.get_num_threads() == 2
        monkeypatch.setattr(_text_speed, "_stream_costs", lambda *args: 1 / 0)      # also when timing fails
        with pytest.raises(ZeroDivisionError):
            text.stream_costs((2,), d_model=8, nhead=2, reps=1, threads=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert inside == [1] and [r["prefix"] for r in rows] == [2]


def test_stream_costs_read_the_sizes_off_the_models(monkeypatch):
    """The notebook asserts these columns "exactly": they must come from the tensors the two models
    carry, not from the formulas the text states (which would make the assert check itself)."""
    from rnncourse.lessons import _text_speed
    monkeypatch.setattr(_text_speed.CachedLayer, "cached_floats", property(lambda self: 2 * self.k.numel() + 1))
    rows = text.stream_costs((2, 6), d_model=8, nhead=2, reps=1)
    assert [r["cache_floats"] for r in rows] == [2 * 2 * 8 + 1, 2 * 6 * 8 + 1]


def test_char_windows_are_shifted_by_one():
    ids = torch.arange(100)
    x, y = text.char_windows(ids, 5, 10, seed=0)
    assert x.shape == y.shape == (5, 10) and torch.equal(y, x + 1)
    assert torch.equal(text.char_windows(ids, 5, 10, seed=0)[0], x)
    with pytest.raises(ValueError, match="longer than"):
        text.char_windows(torch.arange(5), 2, 10)


def test_unigram_loss_by_hand():
    train = torch.tensor([2, 2, 2, 3])                   # counts +1: id0 1, id1 1, id2 4, id3 2 -> total 8
    test = torch.tensor([2, 3])
    expected = -(math.log(4 / 8) + math.log(2 / 8)) / 2
    assert math.isclose(text.unigram_loss(train, test, 4), expected, rel_tol=1e-9)


def test_race_ratio_and_crossover_interpolate_on_log_scales():
    r = text.Race([16, 64, 256], ms={("rnn", "training"): [2.0, 3.0, 4.0], ("transformer", "training"): [1.0, 3.0, 16.0],
                                     ("rnn", "inference"): [1.0, 1.0, 1.0], ("transformer", "inference"): [2.0, 2.0, 2.0]})
    assert r.ratio("training") == [0.5, 1.0, 4.0]
    assert r.crossover("training") == pytest.approx(64.0)                       # the ratio reaches 1 at 64 exactly
    assert math.isnan(r.crossover("inference"))                                 # slower everywhere: no crossover
    r.ms[("transformer", "training")] = [1.0, 1.0, 8.0]                         # ratios 0.5, 1/3, 2: crosses between 64 and 256
    expected = math.exp(math.log(64) + math.log(4) * math.log(3) / (math.log(2) + math.log(3)))
    assert r.crossover("training") == pytest.approx(expected)


def _boxes(xy, words, where, width_px=700.0, height_px=340.0):
    """The label boxes label_positions reasons with, to measure overlaps here."""
    places = {name: (kx, ky) for name, kx, ky in text._PLACES}
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    sx = width_px / (1.1 * ((max(xs) - min(xs)) or 1.0))
    sy = height_px / (1.1 * ((max(ys) - min(ys)) or 1.0))
    out = []
    for (x, y), w, pos in zip(xy, words, where):
        kx, ky = places[pos]
        cx, cy = x * sx + kx * (6 + 3.5 * len(w)), y * sy + ky * (6 + 8)
        out.append((cx - 3.5 * len(w), cy - 8, cx + 3.5 * len(w), cy + 8))
    return out


def _overlap(boxes) -> float:
    total = 0.0
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            total += max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return total


def test_embedding_labels_go_where_they_cover_the_least():
    """Words above and below their points in turn wrote "story" over "the" and "waste" over "poor" in
    notebook 06's map; each label now takes the side where it covers the least."""
    close = [[0.0, 0.0], [0.02, 0.0], [0.0, 0.03], [5.0, 5.0]]               # three points on top of each other
    words = ["story", "the", "film", "far"]
    where = text.label_positions(close, words)
    assert len(set(where[:3])) == 3 and _overlap(_boxes(close, words, where)[:3]) == 0
    g = torch.Generator().manual_seed(0)
    xy = (torch.randn(30, 2, generator=g) * torch.tensor([3.0, 1.0])).tolist()   # a crowded map, 30 words
    words = [f"word{k}" for k in range(30)]
    alternating = [("top center", "bottom center")[k % 2] for k in range(30)]
    assert _overlap(_boxes(xy, words, text.label_positions(xy, words))) < 0.5 * _overlap(_boxes(xy, words, alternating))
    assert text.label_positions([], []) == []
