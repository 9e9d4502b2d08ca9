"""rnnviz.record: traces of every recurrent submodule during an ordinary model(x) call."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import rnnviz


class Tagger(nn.Module):
    """embedding -> LSTM -> head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 5)
        self.rnn = nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(12, 3)

    def forward(self, ids):
        out, _ = self.rnn(self.embed(ids))                               # (B, T, 2H)
        return self.head(out)


class EncoderDecoder(nn.Module):
    """A GRU encoder, then a GRU decoder called one step at a time."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.GRU(4, 6)
        self.decoder = nn.GRU(4, 6)

    def forward(self, src, tgt):                                         # (S, B, 4), (T, B, 4)
        _, h = self.encoder(src)
        outs = []
        for t in range(tgt.size(0)):
            out, h = self.decoder(tgt[t:t + 1], h)                       # (1, B, 6)
            outs.append(out)
        return torch.cat(outs)


def no_hooks(model):
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_embedding_lstm_head_is_traced_and_the_output_unchanged():
    model = Tagger()
    ids = torch.randint(0, 20, (3, 7))
    plain = model(ids)
    with rnnviz.record(model) as rec:
        recorded = model(ids)
    assert torch.equal(plain, recorded) and recorded.requires_grad
    assert list(rec) == ["rnn"] and len(rec.calls["rnn"]) == 1
    expected = rnnviz.trace(model.rnn, model.embed(ids))
    got = rec["rnn"]
    assert torch.equal(got.hidden, expected.hidden) and torch.equal(got.cell, expected.cell)
    assert all(torch.equal(got.gates[k], expected.gates[k]) for k in expected.gates)
    assert got.hidden.shape == (2, 2, 3, 7, 6)
    assert no_hooks(model)


def test_a_model_that_is_an_rnn_is_named_empty_and_packed_input_works():
    model = nn.GRU(4, 5)
    lengths = torch.tensor([3, 6])
    packed = pack_padded_sequence(torch.randn(6, 2, 4), lengths, enforce_sorted=False)
    with rnnviz.record(model) as rec:
        out, h = model(packed)
    assert list(rec) == [""]
    tr = rec[""]
    assert torch.equal(tr.lengths, lengths) and torch.equal(tr.output.data, out.data) and torch.equal(tr.h_n, h)
    assert tr.hidden[0, 0, 0, 3:].isnan().all()


def test_a_decoder_called_step_by_step_is_joined_along_time():
    model = EncoderDecoder()
    src, tgt = torch.randn(5, 2, 4), torch.randn(4, 2, 4)
    plain = model(src, tgt)
    with rnnviz.record(model) as rec:
        recorded = model(src, tgt)
    assert torch.equal(plain, recorded)
    assert len(rec.calls["encoder"]) == 1 and len(rec.calls["decoder"]) == 4
    joined = rec["decoder"]
    assert joined.hidden.shape == (1, 1, 2, 4, 6) and joined.steps == 4
    assert torch.equal(joined.lengths, torch.tensor([4, 4]))
    assert torch.equal(joined.output, recorded)
    assert any("4 calls joined" in n for n in joined.notes)
    # stepping with the state carried over is the same computation as one call on the whole sequence
    whole = rnnviz.trace(model.decoder, tgt, rec["encoder"].h_n)
    # values in (-1, 1); one matrix product over 4 steps against 4 of one step rounds differently:
    # worst 1.8e-7 over 300 seeds (AVX512), 0 with ATEN_CPU_CAPABILITY=default; 1e-6 is about 8 float32 ulps at 1
    assert torch.allclose(joined.hidden, whole.hidden, atol=1e-6, rtol=0)
    for name in ("reset", "update", "new"):
        assert torch.allclose(joined.gates[name], whole.gates[name], atol=1e-6, rtol=0)   # as above: worst 1.8e-7
    assert torch.equal(rec.calls["decoder"][2].hidden[0, 0, :, 0], joined.hidden[0, 0, :, 2])


def test_calls_that_cannot_be_joined_keep_the_last_one():
    rnn = nn.LSTM(3, 4)
    with rnnviz.record(rnn) as rec:
        rnn(torch.randn(5, 2, 3))
        rnn(torch.randn(6, 3, 3))
    assert rec[""].batch_size == 3 and rec[""].steps == 6
    assert any("not joined (batch sizes differ)" in n for n in rec[""].notes)
    assert [t.batch_size for t in rec.calls[""]] == [2, 3]
    # an unbatched call and a batch of 1 have the same batch size but not the same layout (torch.cat raised)
    with rnnviz.record(rnn) as rec:
        rnn(torch.randn(5, 3))
        rnn(torch.randn(4, 1, 3))
    assert rec[""].steps == 4 and any("not joined (some calls were unbatched and some batched)" in n
                                      for n in rec[""].notes)


@pytest.fixture(params=[True, False], ids=["fastpath_on", "fastpath_off"])
def fastpath(request):
    """The MHA fast path setting a test starts from: torch's default (on) and off, so that a record
    that always restored one value would fail one of the two; torch's own setting restored after."""
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(request.param)
    try:
        yield request.param
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def test_hooks_are_removed_when_the_forward_raises(fastpath):
    model = Tagger()
    with pytest.raises(IndexError):
        with rnnviz.record(model):
            model(torch.tensor([[25, 1]]))                               # id past the embedding
    assert no_hooks(model)
    assert torch.backends.mha.get_fastpath_enabled() is fastpath
    with pytest.raises(TypeError, match="expected a torch.nn.Module to record, got list"):
        with rnnviz.record([model]):
            pass


class AttendOver(nn.Module):
    """LSTM states attended by nn.MultiheadAttention, asking for averaged weights."""

    def __init__(self, need_weights=True):
        super().__init__()
        self.rnn = nn.LSTM(4, 8, batch_first=True)
        self.attn = nn.MultiheadAttention(8, num_heads=2, batch_first=True)
        self.need_weights = need_weights

    def forward(self, x):
        states, _ = self.rnn(x)                                          # (B, T, 8)
        return self.attn(states[:, -2:], states, states, need_weights=self.need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_weights_per_head_without_changing_the_return(need_weights):
    model = AttendOver(need_weights).eval()
    x = torch.randn(3, 6, 4)
    out, weights = model(x)
    with torch.no_grad():                                                # torch's own per-head weights
        states, _ = model.rnn(x)
        _, torch_per_head = model.attn(states[:, -2:], states, states, average_attn_weights=False)
    with rnnviz.record(model) as rec:
        rec_out, rec_weights = model(x)
    # |out| <= 0.22; record forces need_weights=True, torch's explicit path instead of the fused one when
    # need_weights=False: worst 3e-8 over 300 seeds (AVX512 and ATEN default)
    assert torch.allclose(out, rec_out, atol=1e-6, rtol=0)
    if need_weights:
        # torch's head mean and the hook's over the same explicit-path weights: identical (300 seeds)
        assert rec_weights.shape == (3, 2, 6) and torch.equal(weights, rec_weights)
    else:
        assert weights is None and rec_weights is None
    per_head = rec.attention["attn"]
    assert per_head.shape == (3, 2, 2, 6)                                 # (B, heads, target, source)
    # float32 rounding of a 6-term softmax row: worst 2.4e-7 (2 ulps at 1) over 300 seeds
    assert torch.allclose(per_head.sum(-1), torch.ones(3, 2, 2), atol=1e-6, rtol=0)
    # what torch itself returns per head for the same call (average_attn_weights=False): the same path, identical
    assert torch.equal(per_head, torch_per_head)
    assert "rnn" in rec and no_hooks(model)


def test_a_recording_inside_another_gets_every_head_too():
    """The outer recording's hook averaged the heads (as the caller asked) before the inner one read
    them: the inner recording stored each sample's head average as a 'head', or nothing at all for a
    TransformerEncoderLayer (which asks for no weights)."""
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(4, num_heads=2, batch_first=True)
    x = torch.randn(3, 5, 4)
    with torch.no_grad():
        plain, averaged = mha(x, x, x)
        _, per_head = mha(x, x, x, average_attn_weights=False)           # (3, 2, 5, 5)
        with rnnviz.record(mha) as outer:
            with rnnviz.record(mha) as inner:
                out, weights = mha(x, x, x)
    # need_weights=True in all three calls: torch's explicit path each time, identical (0 over 300 seeds)
    assert torch.equal(out, plain) and torch.equal(weights, averaged)
    for rec in (outer, inner):
        assert torch.equal(rec.attention[""], per_head)
    layer = nn.TransformerEncoderLayer(4, 2, 8, 0.0, batch_first=True).eval()
    with torch.no_grad(), rnnviz.record(layer) as outer:
        with rnnviz.record(layer) as inner:
            layer(x)
    assert inner.attention["self_attn"].shape == outer.attention["self_attn"].shape == (3, 2, 5, 5)
    assert torch.equal(inner.attention["self_attn"], outer.attention["self_attn"])
    assert no_hooks(mha) and no_hooks(layer)


def test_transformer_encoder_layer_fast_path_is_bypassed_and_restored(fastpath):
    layer = nn.TransformerEncoderLayer(8, nhead=2, dim_feedforward=16, batch_first=True).eval()
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        plain = layer(x)
        with rnnviz.record(layer) as rec:
            recorded = layer(x)
    assert torch.backends.mha.get_fastpath_enabled() is fastpath
    # |out| <= 2.6 (LayerNorm output); fused fast path against the explicit one record forces: worst 0 on AVX512,
    # 4.8e-7 with ATEN_CPU_CAPABILITY=default over 300 seeds; 1e-5 leaves 20x for other kernels
    assert torch.allclose(plain, recorded, atol=1e-5, rtol=0)
    assert rec.attention["self_attn"].shape == (2, 2, 5, 5) and len(rec) == 0


def test_seq2seq_with_rnnviz_attention_records_decoder_and_weights():
    from rnnviz.models.seq2seq import Seq2Seq

    torch.manual_seed(0)
    model = Seq2Seq(12, 10, embed_dim=8, hidden_size=16, attention="additive", bos_id=1, eos_id=2).eval()
    src, tgt = torch.randint(3, 12, (2, 5)), torch.randint(3, 10, (2, 4))
    plain = model(src, None, tgt)
    with rnnviz.record(model) as rec:
        recorded = model(src, None, tgt)
    assert torch.equal(plain, recorded)
    assert set(rec) == {"encoder", "decoder"} and len(rec.calls["decoder"]) == 4
    assert rec["decoder"].hidden.shape == (1, 1, 2, 4, 16)
    weights = rec.attention["attention"]                                 # (B, 1, target, source)
    assert weights.shape == (2, 1, 4, 5)
    assert torch.allclose(weights[:, 0], model.last_attention, atol=0)
    assert no_hooks(model)


# ---------------------------------------------------------------- the model is left as it was
class Noisy(nn.Module):
    """Dropout and BatchNorm before an LSTM: training mode changes what the LSTM sees."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 5)
        self.norm = nn.BatchNorm1d(5)
        self.drop = nn.Dropout(0.5)
        self.rnn = nn.LSTM(5, 6, num_layers=2, dropout=0.3, batch_first=True)

    def forward(self, x):                                                # (B, T, 4)
        z = self.norm(self.proj(x).transpose(1, 2)).transpose(1, 2)      # (B, T, 5)
        return self.rnn(self.drop(z))[0]


def snapshot(model):
    return ({n: m.training for n, m in model.named_modules()},
            {n: b.clone() for n, b in model.named_buffers()}, torch.get_rng_state())


def same(model, snap):
    modes, buffers, rng = snap
    return ({n: m.training for n, m in model.named_modules()} == modes
            and all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())
            and torch.equal(torch.get_rng_state(), rng))


def test_record_runs_a_training_model_in_eval_mode_and_restores_it():
    torch.manual_seed(0)
    model = Noisy().train()
    model.drop.eval()                                                    # a mixed mode must come back as it was
    x = torch.randn(3, 7, 4)
    model(x)                                                             # BatchNorm statistics away from their init
    snap = snapshot(model)
    with rnnviz.record(model) as first:
        model(x)
    assert same(model, snap)                                             # modes, BatchNorm statistics, RNG
    with rnnviz.record(model) as second:
        model(x)
    a, b = first["rnn"], second["rnn"]
    assert torch.equal(a.hidden, b.hidden) and torch.equal(a.cell, b.cell)   # the same picture twice
    with torch.no_grad():                                                # what the LSTM sees in eval mode
        reference = Noisy()
        reference.load_state_dict(model.state_dict())
        reference.eval()
        z = reference.norm(reference.proj(x).transpose(1, 2)).transpose(1, 2)
    expected = rnnviz.trace(reference.rnn, z)
    assert torch.allclose(a.hidden, expected.hidden, atol=1e-6, rtol=0)  # float32 rounding of one recompute
    assert any("training mode" in n for n in a.notes)
    model.eval()
    with rnnviz.record(model) as rec:
        model(x)
    assert not any("training mode" in n for n in rec["rnn"].notes) and not model.training


def test_record_restores_the_model_when_the_block_raises():
    model = Noisy().train()
    snap = snapshot(model)
    with pytest.raises(RuntimeError, match="boom"):
        with rnnviz.record(model):
            model(torch.randn(2, 3, 4))
            raise RuntimeError("boom")
    assert same(model, snap) and no_hooks(model)


class Flipped(nn.LSTM):
    """A subclass with its own forward: rnnviz cannot know what it computes."""

    def forward(self, x, hx=None):
        out, state = super().forward(x.flip(1), hx)
        return out.flip(1), state


def test_a_subclass_with_its_own_forward_is_refused_in_a_recording():
    model = nn.Sequential()
    model.add_module("rnn", Flipped(4, 6, batch_first=True))
    with rnnviz.record(model) as rec:
        model[0](torch.randn(2, 5, 4))
    assert "rnn" not in rec and len(rec) == 0 and "rnn" in rec.refused
    with pytest.raises(KeyError, match="Flipped subclasses nn.LSTM but overrides forward"):
        rec["rnn"]
    assert "refused ['rnn']" in repr(rec)


def _equation_numbers(view, t):
    """The numbers of the title's state update at step t: 'h_t = (1 − z)·n + z·h_{t−1} = (1 − z)·n + z·h' = h'."""
    import re
    title = view.figure_dict()["frames"][t]["layout"]["title"]["text"]
    line = re.search(r"unit 0: (.*?)</(?:sup|span)>", title).group(1)      # the equation's own line
    rhs = re.sub("<[^>]+>", "", line).split(" = ", 2)[2]
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", rhs.replace("1 − ", ""))]


def test_a_joined_trace_knows_where_each_call_started_and_the_gates_view_adds_up_there():
    """A GRU called twice (each call from zeros) and an LSTMCell stepped over two sentences: the gates
    view wrote the first step of the second run with the first run's last state as h_{t−1}/c_{t−1},
    so its equation did not add up. Trace.starts says where each run began."""
    torch.manual_seed(0)

    class TwoReads(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(2, 3, batch_first=True)

        def forward(self, a, b):
            return self.gru(a)[0], self.gru(b)[0]

    m = TwoReads()
    with torch.no_grad(), rnnviz.record(m) as rec:
        m(torch.randn(1, 4, 2), torch.randn(1, 3, 2))
    tr = rec["gru"]
    assert tr.starts == (0, 4) and "each call starts from the state it was given" in tr.notes[0]
    for t in range(7):
        z, n, _, hp, h = _equation_numbers(rnnviz.gates_view(tr, widget=True, units=[0]), t)   # z appears twice
        assert abs((1 - z) * n + z * hp - h) <= 2e-3, t                  # 3 significant digits each
        want = 0.0 if t in (0, 4) else float(tr.hidden[0, 0, 0, t - 1, 0])
        assert abs(hp - want) <= 5e-3 * max(1.0, abs(want)), t

    cell = nn.LSTMCell(2, 3)
    with torch.no_grad(), rnnviz.record(cell) as rec:
        for sentence in (torch.randn(4, 1, 2), torch.randn(3, 1, 2)):
            h = c = torch.zeros(1, 3)
            for x in sentence:
                h, c = cell(x, (h, c))
    tr = rec[""]
    assert tr.starts == (0, 4)
    view = rnnviz.gates_view(tr, widget=True, units=[0])
    for t in range(7):
        f, cp, i, g, c_t = _equation_numbers(view, t)
        assert abs(f * cp + i * g - c_t) <= 2e-3, t
        assert (cp == 0.0) == (t in (0, 4)), t


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_a_model_reading_in_chunks_carries_its_state_and_the_view_writes_the_exact_previous_step(kind):
    """h = rnn(chunk, h): a call that starts from the last one's final state is not a start, so the view
    writes the last column of the call before as h_{t-1}/c_{t-1}; worked back from the equation instead,
    it was wrong where the gate is tiny (z ~ 5e-7 gave -0.45 for -0.609). A fresh call still starts."""
    torch.manual_seed(0)
    rnn = getattr(nn, kind)(2, 3, batch_first=True)
    chunks = torch.randn(1, 9, 2).split(3, dim=1)
    with torch.no_grad(), rnnviz.record(rnn) as rec:
        out, state = rnn(chunks[0])
        out, state = rnn(chunks[1], state)                               # carries on
        rnn(chunks[2])                                                   # from zeros
    tr = rec[""]
    assert tr.starts == (0, 6)
    view = rnnviz.gates_view(tr, widget=True, units=[0])
    for t in range(1, 9):
        numbers = _equation_numbers(view, t)
        before = 0.0 if t == 6 else float((tr.hidden if kind == "GRU" else tr.cell)[0, 0, 0, t - 1, 0])
        shown_ = numbers[3] if kind == "GRU" else numbers[1]             # h_{t-1} or c_{t-1} as written
        assert abs(shown_ - before) <= 5e-3 * max(1.0, abs(before)), (t, shown_, before)
    bi = nn.GRU(2, 3, batch_first=True, bidirectional=True)
    with torch.no_grad(), rnnviz.record(bi) as rec:
        _, h = bi(chunks[0])
        bi(chunks[1], h)
    assert rec[""].starts == (0, 3)                                      # the backward run restarts anyway


def test_the_backward_direction_writes_the_step_it_read_before_as_t_plus_1():
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 3, bidirectional=True)
    x = torch.randn(5, 1, 2)
    back = rnnviz.gates_view(lstm, x, direction=1, widget=True).figure_dict()
    fwd = rnnviz.gates_view(lstm, x, direction=0, widget=True).figure_dict()
    assert "c<sub>t+1</sub>" in back["frames"][2]["layout"]["title"]["text"]
    assert "h<sub>t+1</sub>" in back["data"][0]["hovertemplate"] and "t−1" not in back["data"][0]["hovertemplate"]
    assert "c<sub>t−1</sub>" in fwd["frames"][2]["layout"]["title"]["text"]


def test_reading_a_recording_that_could_not_join_its_calls_adds_its_note_once():
    """Each read of rec[name] added the "not joined" note to the stored last call again (3 reads, 3 notes,
    and a view's title repeated the sentence as often)."""
    lstm = nn.LSTM(3, 4)
    with torch.no_grad(), rnnviz.record(lstm) as rec:
        lstm(torch.randn(5, 2, 3))
        lstm(torch.randn(5, 3, 3))                                       # another batch size: not joined
    stored = list(rec.calls[""][-1].notes)
    for _ in range(3):
        notes = rec[""].notes
        assert sum("not joined" in n for n in notes) == 1, notes
    assert rec.calls[""][-1].notes == stored
    title = rnnviz.unroll_view(rec[""], widget=False).layout.title.text
    assert title.count("not joined") == 1


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_a_trace_keeps_the_state_each_run_began_from(kind):
    """Trace.initial_hidden/initial_cell: (S, L, D, B, .) the given h_0/c_0 (zeros when none), in the
    caller's batch order for packed input, for trace, record (joined calls) and cells stepped in a loop."""
    torch.manual_seed(0)
    rnn = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=True)
    h0 = torch.randn(4, 3, 3)
    state = (h0, torch.randn(4, 3, 3)) if kind == "LSTM" else h0
    packed = nn.utils.rnn.pack_padded_sequence(torch.randn(5, 3, 2), [2, 5, 3], enforce_sorted=False)
    tr = rnnviz.trace(rnn, packed, state)
    assert tr.initial_hidden.shape == (1, 2, 2, 3, 3)
    assert torch.equal(tr.initial_hidden[0].reshape(4, 3, 3), h0)
    if kind == "LSTM":
        assert torch.equal(tr.initial_cell[0].reshape(4, 3, 3), state[1])
    else:
        assert tr.initial_cell is None
    h0.add_(1.0)                                                         # the trace holds its own copy
    assert not torch.equal(tr.initial_hidden[0].reshape(4, 3, 3), h0)

    one = getattr(nn, kind)(2, 3)
    chunks = torch.randn(6, 1, 2).split(2)
    with torch.no_grad(), rnnviz.record(one) as rec:
        _, s = one(chunks[0])
        one(chunks[1], s)                                                # carries on: not a start
        given = torch.full((1, 1, 3), 0.5)
        one(chunks[2], (given, given) if kind == "LSTM" else given)
    tr = rec[""]
    assert tr.starts == (0, 4) and tr.initial_hidden.shape == (2, 1, 1, 1, 3)
    assert float(tr.initial_hidden[0].abs().max()) == 0.0 and bool((tr.initial_hidden[1] == 0.5).all())

    cell = getattr(nn, kind + "Cell")(2, 3)
    with torch.no_grad(), rnnviz.record(cell) as rec:
        for start in (0.0, -0.25):
            h = torch.full((1, 3), start)
            s = (h, h) if kind == "LSTM" else h
            for x in torch.randn(3, 1, 2):
                s = cell(x, s)
    tr = rec[""]
    assert tr.starts == (0, 3)
    assert tr.initial_hidden[:, 0, 0, 0, 0].tolist() == [0.0, -0.25]
    assert rnnviz.trace(cell, torch.randn(1, 4, 2)).initial_hidden.abs().max() == 0


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_the_gates_view_writes_the_initial_state_itself_not_one_worked_back_through_a_tiny_gate(kind):
    """At the first step the view worked h_{t-1} (GRU) / c_{t-1} (LSTM) back from the step's equation,
    dividing by z or f: with the gate near 1e-5 float32 noise read as a state (0.00634 for a zero h_0).
    It now writes the initial state the trace keeps: 0 for zeros, the given value otherwise."""
    torch.manual_seed(0)
    rnn = getattr(nn, kind)(3, 8, batch_first=True)
    with torch.no_grad():                                                # rows 8..15: z (GRU), f (LSTM)
        rnn.bias_ih_l0[8:16].fill_(-12.0)                                # the gate ~ 1e-5
    x = torch.randn(1, 5, 3)
    for value in (0.0, 0.375):
        state = torch.full((1, 1, 8), value)
        tr = rnnviz.trace(rnn, x, (state, state) if kind == "LSTM" else state)
        for unit in range(8):
            view = rnnviz.gates_view(tr, units=[unit], widget=True)
            numbers = _equation_numbers_of(view, 0, unit)
            previous = numbers[3] if kind == "GRU" else numbers[1]
            assert previous == value, (value, unit, numbers)


def _equation_numbers_of(view, t, unit):
    import re
    title = view.figure_dict()["frames"][t]["layout"]["title"]["text"]
    line = re.search(rf"unit {unit}: (.*?)</(?:sup|span)>", title).group(1)
    rhs = re.sub("<[^>]+>", "", line).split(" = ", 2)[2]
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", rhs.replace("1 − ", ""))]
