"""Teaching models: output shapes, packing equals running each sequence alone, clear errors,
and every recurrent part visible to rnnviz.record / rnnviz.trace."""
import pytest
import torch
from torch import nn

import rnnviz
from rnnviz.models import (CNNRNNMLP, MLP, CharLM, ConvLSTM, ConvLSTMCell, ConvRNN, RNNTransformer, Seq2Seq,
                           SequenceClassifier, Tagger)

X = torch.randint(1, 30, (4, 9))                     # (B, T)
LENGTHS = torch.tensor([9, 4, 1, 6])                 # (B,)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean", "meanmax"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_with_padding_equals_each_sequence_alone(cell, pooling, bidirectional):
    torch.manual_seed(0)
    model = SequenceClassifier(30, embed_dim=5, hidden_size=6, num_classes=3, cell=cell, num_layers=2,
                               bidirectional=bidirectional, pooling=pooling).eval()
    padded = X.masked_fill(torch.arange(9)[None] >= LENGTHS[:, None], 0)
    out = model(padded, LENGTHS)
    assert out.shape == (4, 3)
    for b in range(4):                               # reference: the unpadded sequence on its own
        torch.testing.assert_close(out[b], model(X[b:b + 1, : LENGTHS[b]])[0], atol=1e-5, rtol=1e-5)


def test_classifier_pooling_by_hand():
    torch.manual_seed(0)
    model = SequenceClassifier(30, embed_dim=4, hidden_size=5, pooling="meanmax").eval()
    out, _ = model.rnn(model.inputs.embedding(X))            # (B, T, H)
    ref = model.head(torch.cat([out.mean(1), out.amax(1)], -1))
    torch.testing.assert_close(model(X), ref)


def test_features_tagger_charlm_shapes():
    feats = torch.randn(4, 9, 3)
    assert SequenceClassifier(input_size=3, num_classes=1)(feats).shape == (4, 1)
    assert Tagger(30, num_tags=7)(X, LENGTHS).shape == (4, 9, 7)
    assert Tagger(input_size=3, num_tags=2, bidirectional=False)(feats).shape == (4, 9, 2)
    assert CharLM(30, hidden_size=8)(X).shape == (4, 9, 30)


def test_unidirectional_tagger_does_not_see_the_future():
    torch.manual_seed(0)
    model = Tagger(30, num_tags=3, bidirectional=False).eval()
    changed = X.clone()
    changed[:, 5:] = 7
    torch.testing.assert_close(model(X)[:, :5], model(changed)[:, :5])
    bi = Tagger(30, num_tags=3, bidirectional=True).eval()
    assert not torch.allclose(bi(X)[:, :5], bi(changed)[:, :5])


def test_generate_is_deterministic_given_seed():
    torch.manual_seed(0)
    lm = CharLM(20, hidden_size=16)
    a, b = lm.generate([3, 4, 5], 30, seed=7), lm.generate(torch.tensor([3, 4, 5]), 30, seed=7)
    assert a.shape == (33,) and torch.equal(a, b) and torch.equal(a[:3], torch.tensor([3, 4, 5]))
    assert not torch.equal(a, lm.generate([3, 4, 5], 30, seed=8))
    greedy = lm.generate([3], 10, temperature=0)
    logits = lm(greedy[None, :-1])[0]                # (T, V): greedy means each id is the argmax
    assert torch.equal(greedy[1:], logits.argmax(-1))
    # a NaN or infinite temperature named clearly (torch said "probability tensor contains nan")
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="finite temperature >= 0"):
            lm.generate([3], 5, temperature=bad)
    with pytest.raises(TypeError, match="expected n as a whole number"):
        lm.generate([3], 2.5)
    assert torch.equal(lm.generate(torch.tensor([[3, 4, 5]]), 30, seed=7), a)      # (1, T) is one prompt
    assert torch.equal(lm.generate(torch.tensor([[3], [4], [5]]), 30, seed=7), a)    # (T, 1) too
    with pytest.raises(ValueError, match=r"expected one prompt, ids of shape .*got shape \(2, 3\)"):
        lm.generate(torch.tensor([[1, 2, 3], [4, 5, 6]]), 2)               # was read as one prompt of 6 ids


@pytest.mark.parametrize("attention", [None, "additive", "multiplicative"])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_seq2seq_shapes_and_attention(attention, cell):
    torch.manual_seed(0)
    model = Seq2Seq(30, 12, embed_dim=6, hidden_size=8, cell=cell, attention=attention,
                    bidirectional_encoder=cell == "lstm", bos_id=2, eos_id=3).eval()
    tgt_in = torch.randint(0, 12, (4, 5))
    logits = model(X, LENGTHS, tgt_in)
    assert logits.shape == (4, 5, 12)
    if attention is None:
        assert model.last_attention is None
    else:
        w = model.last_attention                     # (B, T, S)
        assert w.shape == (4, 5, 9)
        torch.testing.assert_close(w.sum(-1), torch.ones(4, 5))
        assert (w[1, :, 4:] == 0).all() and (w[2, :, 1:] == 0).all()
    out = model.greedy(X, LENGTHS, max_len=6)
    assert out.shape == (4, 6)
    # greedy equals teacher forcing fed with its own previous outputs
    first = out[:, :1]
    again = model(X, LENGTHS, torch.cat([torch.full((4, 1), model.bos_id), first], 1))
    torch.testing.assert_close(again[:, 0].argmax(-1), out[:, 0])


def test_hybrid_shapes():
    assert MLP(9 * 3, (16, 8), 2)(torch.randn(5, 9, 3)).shape == (5, 2)
    conv = ConvRNN(3, conv_channels=4, stride=2, pool=2, hidden_size=6, output_size=2)
    assert conv.downsample(torch.randn(2, 40, 3)).shape == (2, 10, 4)
    for T in (7, 103, 1000):                                             # the docstring's ceil(T / stride) // pool
        assert conv.downsample(torch.randn(1, T, 3)).shape[1] == -(-T // 2) // 2
    assert conv(torch.randn(2, 40, 3)).shape == (2, 2)
    h, c = ConvLSTMCell(2, 4)(torch.randn(3, 2, 8, 8))
    assert h.shape == c.shape == (3, 4, 8, 8)
    outs, (h, c) = ConvLSTM(1, 4)(torch.randn(2, 5, 1, 8, 8))
    assert outs.shape == (2, 5, 4, 8, 8) and torch.equal(outs[:, -1], h)
    assert RNNTransformer(30, hidden_size=8, nhead=2, num_classes=3)(X, LENGTHS).shape == (4, 3)
    assert CNNRNNMLP(1, num_classes=3)(torch.randn(2, 4, 1, 12, 12)).shape == (2, 3)


def test_convlstm_cell_is_an_lstm_cell_when_the_kernel_is_1x1():
    torch.manual_seed(0)
    conv = ConvLSTMCell(3, 4, kernel_size=1)
    ref = nn.LSTMCell(3, 4)
    with torch.no_grad():
        w = conv.conv.weight[:, :, 0, 0]             # (4H, C + H)
        ref.weight_ih.copy_(w[:, :3]), ref.weight_hh.copy_(w[:, 3:])
        ref.bias_ih.copy_(conv.conv.bias), ref.bias_hh.zero_()
    x, h0, c0 = torch.randn(2, 3, 1, 1), torch.randn(2, 4, 1, 1), torch.randn(2, 4, 1, 1)
    h, c = conv(x, (h0, c0))
    rh, rc = ref(x.flatten(1), (h0.flatten(1), c0.flatten(1)))
    torch.testing.assert_close(h.flatten(1), rh)
    torch.testing.assert_close(c.flatten(1), rc)


def test_errors_name_expected_and_got():
    model = SequenceClassifier(30)
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 30\), got max 35"):
        model(torch.tensor([[1, 35]]))
    with pytest.raises(ValueError, match=r"\(batch, time\) tensor of token ids, got \(9,\)"):
        model(X[0])
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 9\]"):
        model(X, torch.tensor([10, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"\(batch, time, 3\) tensor of inputs, got \(4, 9, 2\)"):
        SequenceClassifier(input_size=3)(torch.randn(4, 9, 2))
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceClassifier(30, cell="transformer")
    with pytest.raises(ValueError, match="exactly one of vocab_size"):
        SequenceClassifier(30, input_size=3)
    with pytest.raises(ValueError, match=r"target ids must be in \[0, 12\)"):
        Seq2Seq(30, 12, bos_id=2, eos_id=3)(X, LENGTHS, torch.full((4, 2), 12))
    with pytest.raises(TypeError, match="bos_id"):                      # no default: 1 is rnnviz's <unk>
        Seq2Seq(30, 12)
    import numpy as np
    assert Seq2Seq(30, 12, bos_id=np.int64(2), eos_id=np.int32(3)).bos_id == 2          # numpy ids are ids
    with pytest.raises(ValueError, match=r"expected eos_id as a target id in 0..11, got 12"):
        Seq2Seq(30, 12, bos_id=2, eos_id=12)
    with pytest.raises(ValueError, match="expected max_len as a whole number of steps, at least 1, got 0"):
        Seq2Seq(30, 12, bos_id=2, eos_id=3).greedy(X, LENGTHS, max_len=0)   # was torch's "non-empty TensorList"
    with pytest.raises(ValueError, match=r"\(batch, time, 1, height, width\)"):
        ConvLSTM(1, 2)(torch.randn(2, 3, 8, 8))


def test_record_sees_every_recurrent_part():
    torch.manual_seed(0)
    clf = SequenceClassifier(30, hidden_size=6, cell="lstm", bidirectional=True, num_layers=2).eval()
    with rnnviz.record(clf) as rec:
        clf(X)
    tr = rec["rnn"]
    assert tr.hidden.shape == (2, 2, 4, 9, 6)
    ref = rnnviz.trace(clf.rnn, clf.inputs.embedding(X))
    torch.testing.assert_close(tr.hidden, ref.hidden)
    torch.testing.assert_close(tr.hidden[-1, 0, :, -1], ref.h_n[2])

    tagger = Tagger(30, hidden_size=5, cell="gru").eval()
    with rnnviz.record(tagger) as rec:
        tagger(X, LENGTHS)
    assert rec["rnn"].gates["update"].shape == (1, 2, 4, 9, 5)
    assert torch.equal(rec["rnn"].lengths, LENGTHS)

    s2s = Seq2Seq(30, 12, hidden_size=8, attention="additive", bos_id=2, eos_id=3).eval()
    with rnnviz.record(s2s) as rec:
        s2s(X, LENGTHS, torch.randint(0, 12, (4, 5)))
    assert set(rec) == {"encoder", "decoder"}
    assert len(rec.calls["decoder"]) == 5             # one decoder call per target token
    assert rec["encoder"].hidden.shape == (1, 1, 4, 9, 8)


def test_gradient_flow_through_models():
    torch.manual_seed(0)
    clf = SequenceClassifier(30, hidden_size=6, cell="gru", pooling="mean")
    flow = rnnviz.gradient_flow(clf, (X, LENGTHS), lambda out: out[:, 1].sum())
    assert flow.hidden.shape == (1, 1, 4, 9)
    assert (flow.hidden[0, 0, 1, :4] > 0).all()          # real steps get gradient
    assert torch.isnan(flow.hidden[0, 0, 1, 4:]).all()    # padding is not a step (NaN by contract)
    lm = CharLM(30, hidden_size=8, cell="lstm")
    flow = rnnviz.gradient_flow(lm, X, lambda out: out[:, -1].sum())
    assert flow.hidden.shape == (1, 1, 4, 9) and flow.inputs.shape == (4, 9)
    assert (flow.inputs[:, :-1] > 0).all()                # the last output depends on every earlier input


def test_generate_puts_the_training_mode_back_also_on_error():
    lm = CharLM(20, hidden_size=8, num_layers=2, dropout=0.5).train()
    rng = torch.get_rng_state()
    first, again = lm.generate([1, 2], 5, seed=3), lm.generate([1, 2], 5, seed=3)
    assert torch.equal(first, again) and lm.training                     # eval mode inside: no dropout draws
    assert torch.equal(torch.get_rng_state(), rng)
    with pytest.raises(ValueError, match="token ids must be in"):
        lm.generate([25], 3)                                             # an id past the embedding
    assert lm.training and all(m.training for m in lm.modules())


def test_small_input_forms_of_the_models():
    """run_rnn with lengths as a list failed on `list < int`; ConvRNN on a sequence too short to pool
    raised max_pool1d's "Invalid computed output size: 0"; generate refused numpy float32 and 0-d tensor
    temperatures."""
    import numpy as np
    from rnnviz.models.rnn import make_rnn, run_rnn
    torch.manual_seed(0)
    rnn, x = make_rnn("gru", 3, 4), torch.randn(2, 5, 3)
    out, h = run_rnn(rnn, x, [5, 2])
    want, hw = run_rnn(rnn, x, torch.tensor([5, 2]))
    assert torch.equal(out, want) and torch.equal(h, hw) and bool((out[1, 2:] == 0).all())
    with pytest.raises(ValueError, match="T = 1 gives 1 step"):
        ConvRNN(2)(torch.randn(2, 1, 2))
    assert ConvRNN(2)(torch.randn(2, 3, 2)).shape == (2, 1)
    lm = CharLM(10, embed_dim=4, hidden_size=8)
    prompt = torch.tensor([1, 2, 3])
    a = lm.generate(prompt, 5, temperature=np.float32(0.5), seed=1)
    assert torch.equal(a, lm.generate(prompt, 5, temperature=torch.tensor(0.5), seed=1))
    assert torch.equal(a, lm.generate(prompt, 5, temperature=0.5, seed=1))


def test_ids_padded_at_the_front_with_lengths_are_refused():
    """rnnviz.data.imdb's default align="right" pads at the front; with lengths, packing read the
    padding as the review and dropped its last words, silently."""
    torch.manual_seed(0)
    front = torch.tensor([[0, 0, 5, 6], [7, 8, 9, 4]])                     # sample 0: 2 words, padded at the front
    end = torch.tensor([[5, 6, 0, 0], [7, 8, 9, 4]])
    lengths = torch.tensor([2, 4])
    clf = SequenceClassifier(10, embed_dim=3, hidden_size=4)
    tagger = Tagger(10, num_tags=3, embed_dim=3, hidden_size=4)
    for model in (clf, tagger):
        with pytest.raises(ValueError, match="sample 0: .* padded at the front"):
            model(front, lengths)
        model(end, lengths)                                                 # padded at the end: fine
        model(front)                                                        # no lengths: read as it is
    s2s = Seq2Seq(10, 10, embed_dim=3, hidden_size=4, bos_id=1, eos_id=2)
    with pytest.raises(ValueError, match="padded at the front"):
        s2s(front, lengths, torch.tensor([[1, 3], [1, 3]]))
