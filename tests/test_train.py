"""fit: seeded determinism, clipping, early stopping, callbacks, data forms; evaluate and accuracy."""
import copy

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rnnviz.models import SequenceClassifier
from rnnviz.train import BucketBatches, accuracy, evaluate, fit, token_cross_entropy



def _task(n=96, seed=0):
    """Label = whether token 3 occurs in the sequence; variable lengths."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, 8, (n, 10), generator=g)                     # (B, T)
    lengths = torch.randint(2, 11, (n,), generator=g)                 # (B,)
    x = x.masked_fill(torch.arange(10)[None] >= lengths[:, None], 0)
    y = ((x == 3).any(1)).long()                                      # (B,)
    return x, lengths, y


def _model(seed=0):
    torch.manual_seed(seed)
    return SequenceClassifier(8, embed_dim=4, hidden_size=8, embed_dropout=0.2, pooling="max")


def test_same_seed_gives_identical_losses_and_leaves_global_rng_alone():
    data = _task()
    h1 = fit(_model(), data, epochs=2, loss_fn=nn.functional.cross_entropy, batch_size=16, seed=3, progress=False)
    h2 = fit(_model(), data, epochs=2, loss_fn=nn.functional.cross_entropy, batch_size=16, seed=3, progress=False)
    assert h1.step_loss == h2.step_loss and len(h1.step_loss) == 12
    assert h1.train_loss == h2.train_loss
    h3 = fit(_model(), data, epochs=2, loss_fn=nn.functional.cross_entropy, batch_size=16, seed=4, progress=False)
    assert h3.step_loss != h1.step_loss
    model = _model()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    fit(model, data, epochs=1, loss_fn=nn.functional.cross_entropy, batch_size=16, progress=False)
    assert torch.equal(torch.rand(1), before)


def test_fit_learns_and_history_is_complete():
    data, val = _task(256), _task(128, seed=1)
    h = fit(_model(), data, epochs=6, loss_fn=nn.functional.cross_entropy, lr=0.02, batch_size=32,
            val_data=val, metric=accuracy, progress=False)
    assert len(h.train_loss) == len(h.val_metric) == len(h.seconds) == 6 and len(h.step_loss) == 48
    assert h.train_loss[-1] < h.train_loss[0] and h.val_metric[-1] > 0.8
    assert h.train_seconds == pytest.approx(sum(h.seconds))


def test_fit_matches_a_hand_written_loop():
    data = _task(32)
    model_a, model_b = _model(), _model()
    model_a.inputs.dropout.p = model_b.inputs.dropout.p = 0.0
    h = fit(model_a, data, epochs=1, loss_fn=nn.functional.cross_entropy, batch_size=32, lr=0.01,
            progress=False)
    opt = torch.optim.Adam(model_b.parameters(), lr=0.01)
    perm = torch.randperm(32, generator=torch.Generator().manual_seed(0))
    loss = nn.functional.cross_entropy(model_b(data[0][perm], data[1][perm]), data[2][perm])
    loss.backward()
    opt.step()
    assert h.step_loss == [loss.item()]
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pa, pb)


def test_clip_records_pre_clip_norms():
    data = _task(64)
    model = _model()
    h = fit(model, data, epochs=1, loss_fn=lambda o, t: 1e3 * nn.functional.cross_entropy(o, t),
            batch_size=16, clip=0.5, progress=False)
    assert len(h.grad_norm) == 4 and max(h.grad_norm) > 0.5   # pre-clip norms, bigger than the clip


def test_callbacks_and_stop():
    seen = []

    class Stopper:
        def on_batch_end(self, state):
            seen.append((state.epoch, state.step, state.loss))
            if state.step == 5:
                state.stop = True

    class EpochOnly:
        def on_epoch_end(self, state):
            seen.append(("epoch", state.epoch, state.history.train_loss[-1]))

    h = fit(_model(), _task(), epochs=3, loss_fn=nn.functional.cross_entropy, batch_size=16,
            callbacks=[Stopper(), EpochOnly()], progress=False)
    assert [s[1] for s in seen[:5]] == [1, 2, 3, 4, 5] and seen[5][0] == "epoch"
    assert len(h.step_loss) == 5 and [s[2] for s in seen[:5]] == h.step_loss


def test_early_stopping_restores_best_weights():
    data = _task(64)
    val = (data[0], data[1], 1 - data[2])         # inverted labels: the better the fit, the worse val
    model = _model()
    states = []

    class Keep:
        def on_epoch_end(self, state):
            states.append({k: v.clone() for k, v in state.model.state_dict().items()})

    h = fit(model, data, epochs=30, loss_fn=nn.functional.cross_entropy, lr=0.05, batch_size=16,
            val_data=val, early_stopping=2, callbacks=[Keep()], progress=False)
    assert h.stopped_early and len(h.val_loss) < 30
    best = min(range(len(h.val_loss)), key=lambda i: h.val_loss[i])
    assert h.best_epoch == best + 1
    for k, v in model.state_dict().items():
        assert torch.equal(v, states[best][k])
    with pytest.raises(ValueError, match="early_stopping needs val_data"):
        fit(model, data, epochs=1, loss_fn=nn.functional.cross_entropy, early_stopping=2, progress=False)


def test_dataloader_buckets_and_evaluate():
    x, lengths, y = _task(64)
    loader = DataLoader(TensorDataset(x, lengths, y), batch_size=16)
    h = fit(_model(), loader, epochs=1, loss_fn=nn.functional.cross_entropy, progress=False)
    assert len(h.step_loss) == 4
    buckets = BucketBatches((x, lengths, y), lengths, 8, seed=1)
    batches = list(buckets)
    assert len(batches) == len(buckets) == 8
    assert sorted(torch.cat([b[0] for b in batches]).tolist()) == sorted(x.tolist())
    assert sum(int(b[1].max() - b[1].min()) for b in batches) < sum(int(lengths.max() - lengths.min()) for _ in batches)
    model = _model().eval()
    acc = evaluate(model, (x, lengths, y), batch_size=10)
    assert acc == pytest.approx(accuracy(model(x, lengths), y))
    with pytest.raises(TypeError, match="one-shot iterator"):
        fit(_model(), iter(loader), epochs=1, loss_fn=nn.functional.cross_entropy, progress=False)


def test_accuracy_and_token_loss():
    assert accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0])) == 0.5
    assert accuracy(torch.tensor([0.3, -1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])) == pytest.approx(1 / 3)
    logits = torch.zeros(1, 3, 4)
    logits[0, :, 2] = 1
    assert accuracy(logits, torch.tensor([[2, 1, -100]])) == 0.5
    with pytest.raises(ValueError, match="expected logits"):
        accuracy(torch.zeros(3, 2), torch.zeros(4, dtype=torch.long))
    target = torch.tensor([[2, 1, -100]])
    ref = nn.functional.cross_entropy(logits[0, :2], target[0, :2])
    torch.testing.assert_close(token_cross_entropy(logits, target), ref)


# ---------------------------------------------------------------- process settings, errors, non-finite losses
def _flushing() -> bool:
    """Whether torch flushes denormals now: a float32 denormal survives only while flushing is off."""
    return bool(torch.tensor(1e-40, dtype=torch.float32) == 0)


@pytest.mark.parametrize("before", [False, True])
def test_fit_restores_the_flush_denormal_setting(before):
    seen = []

    class Spy:
        def on_batch_end(self, state):
            seen.append(_flushing())

    torch.set_flush_denormal(before)
    try:
        fit(_model(), _task(32), epochs=1, loss_fn=nn.functional.cross_entropy, batch_size=16,
            progress=False, callbacks=[Spy()])
        after = _flushing()
    finally:
        torch.set_flush_denormal(True)                                   # the test suite's own setting
    assert seen == [True, True]                                          # on while training ...
    assert after == before                                               # ... and as found afterwards


def test_the_progress_bar_is_closed_when_training_raises():
    from tqdm import tqdm

    def boom(out, target):
        raise RuntimeError("boom")

    open_before = len(tqdm._instances)
    with pytest.raises(RuntimeError, match="boom"):
        fit(_model(), _task(32), epochs=1, loss_fn=boom, batch_size=16, progress=True)
    assert len(tqdm._instances) == open_before


def _nan_on_call(k):
    """cross_entropy, but the k-th call (1-based) returns NaN."""
    calls = []

    def loss(out, target):
        calls.append(1)
        value = nn.functional.cross_entropy(out, target)
        return value * float("nan") if len(calls) == k else value
    return loss


def test_a_nan_loss_stops_fit_at_that_step_before_it_touches_the_weights():
    data = _task(64)
    reference = _model()
    fit(reference, data, epochs=1, loss_fn=nn.functional.cross_entropy, batch_size=16, seed=1,
        progress=False, callbacks=[type("Stop", (), {"on_batch_end": lambda self, s: setattr(s, "stop", s.step == 2)})()])
    model = _model()
    with pytest.warns(RuntimeWarning, match=r"the loss is nan at step 3 \(epoch 1\)"):
        history = fit(model, data, epochs=3, loss_fn=_nan_on_call(3), batch_size=16, seed=1, progress=False)
    assert history.nonfinite_step == 3 and len(history.step_loss) == 3 and len(history.train_loss) == 1
    assert all(torch.isfinite(p).all() for p in model.parameters())
    for p, q in zip(model.parameters(), reference.parameters()):         # the weights after step 2
        assert torch.equal(p, q)
    with pytest.raises(FloatingPointError, match=r"the loss is nan at step 2 \(epoch 1\)"):
        fit(_model(), data, epochs=1, loss_fn=_nan_on_call(2), batch_size=16, progress=False, nonfinite="raise")
    with pytest.raises(ValueError, match="nonfinite='stop' or 'raise'"):
        fit(_model(), data, epochs=1, loss_fn=nn.functional.cross_entropy, nonfinite="ignore")


def test_fit_and_evaluate_name_what_they_expected():
    loss = nn.functional.cross_entropy
    with pytest.raises(ValueError, match=r"expected train_data as a tuple \(\*inputs, target\).*empty"):
        fit(_model(), (), epochs=1, loss_fn=loss)
    with pytest.raises(ValueError, match="expected a model with parameters to train, but ReLU has none"):
        fit(nn.ReLU(), (torch.randn(4, 3), torch.zeros(4)), epochs=1, loss_fn=loss)
    with pytest.raises(TypeError, match="expected a torch.nn.Module to train, got function"):
        fit(lambda x: x, (torch.randn(4, 3), torch.zeros(4)), epochs=1, loss_fn=loss)
    with pytest.raises(ValueError, match=r"expected data as a tuple \(\*inputs, target\).*empty list"):
        evaluate(_model(), [])
    data = (torch.randint(0, 8, (4, 3)), torch.zeros(4, dtype=torch.long))   # token ids, labels
    with pytest.raises(TypeError, match="expected epochs as a whole number.*1.5"):
        fit(_model(), data, epochs=1.5, loss_fn=loss)
    for patience in (0, -1, 2.0):                                         # 0 stopped after the first epoch
        with pytest.raises(ValueError, match=f"early_stopping as a patience of 1 or more epochs.*got {patience}"):
            fit(_model(), data, epochs=1, loss_fn=loss, val_data=data, early_stopping=patience)
    with pytest.raises(TypeError, match="expected seed as a whole number.*1.5"):   # was torch's "expected a long"
        fit(_model(), data, epochs=1, loss_fn=loss, seed=1.5)
    with pytest.raises(TypeError, match="expected loss_fn.*scalar tensor.*got float 0.5"):
        fit(_model(), data, epochs=1, loss_fn=lambda out, y: 0.5, progress=False)
    with pytest.raises(TypeError, match=r"scalar tensor.*got a tensor of shape \(4, "):
        fit(_model(), data, epochs=1, loss_fn=lambda out, y: out, progress=False)
    # a model without parameters can still be evaluated (on the CPU)
    x, y = torch.tensor([[2.0, -1.0], [-3.0, 4.0]]), torch.tensor([0, 1])
    assert evaluate(nn.Identity(), (x, y)) == 1.0


class _Counter:
    def __init__(self):
        self.batches = 0

    def on_batch_end(self, state):
        self.batches += 1


@pytest.mark.parametrize("clip", [0.0, -1.0, float("nan"), True, "1", torch.tensor([1.0, 2.0])])
def test_a_clip_that_is_not_a_positive_number_is_refused_before_training(clip):
    """clip_grad_norm_ takes any number: 0 froze training and -1 reversed every step (the loss grew)."""
    model, data = _model(), _task()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="expected clip as a positive number"):
        fit(model, (data[0], data[2]), epochs=1, loss_fn=nn.functional.cross_entropy, clip=clip, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_clip_takes_any_positive_number_and_inf_records_the_norms_without_clipping():
    """numpy and 0-d tensor numbers worked before the check and still do; inf clips nothing (the only
    way to fill history.grad_norm without changing training)."""
    import numpy as np
    data = _task()
    runs = {}
    for clip in (None, float("inf"), np.float32(1e9), torch.tensor(1e9)):
        model = _model()
        h = fit(model, (data[0], data[2]), epochs=1, loss_fn=nn.functional.cross_entropy, clip=clip, progress=False)
        runs[repr(clip)] = (h.train_loss, len(h.grad_norm), [p.detach().clone() for p in model.parameters()])
    (loss, n, weights), *others = runs.values()
    assert n == 0 and all(k == 3 for _, k, _ in others)                  # 96 examples / 32: one norm a step
    for other_loss, _, other_weights in others:                          # a limit never reached: the same run
        assert other_loss == loss and all(torch.equal(p, q) for p, q in zip(weights, other_weights))


@pytest.mark.parametrize("callbacks,match", [(_Counter(), r"expected callbacks as a list, e.g. callbacks=\[_Counter"),
                                             ([_Counter(), print], "each callback to have on_batch_end"),
                                             (5, "expected callbacks as a list of objects")])
def test_callbacks_are_checked_before_the_first_step(callbacks, match):
    """One callback passed without its list failed only after the first update had changed the weights."""
    model, data = _model(), _task()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(TypeError, match=match):
        fit(model, (data[0], data[2]), epochs=1, loss_fn=nn.functional.cross_entropy, callbacks=callbacks,
            progress=False)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    counter = _Counter()
    fit(model, (data[0], data[2]), epochs=1, loss_fn=nn.functional.cross_entropy, callbacks=(counter,),
        progress=False, batch_size=32)
    assert counter.batches == 3                                          # 96 examples / 32


@pytest.mark.parametrize("mode", ["eval", "train", "mixed"])
def test_fit_gives_the_model_back_in_the_mode_it_came_in(mode):
    """Training turns dropout on; a model handed over in eval mode used to come back predicting with it."""
    model, data = _model(), _task()
    model.train(mode == "train")
    if mode == "mixed":
        next(m for m in model.modules() if isinstance(m, nn.Dropout)).train()   # one submodule differs
    modes = [m.training for m in model.modules()]
    fit(model, (data[0], data[2]), epochs=1, loss_fn=nn.functional.cross_entropy, progress=False)
    assert [m.training for m in model.modules()] == modes
    if mode == "eval":
        with torch.no_grad():
            assert torch.equal(model(data[0]), model(data[0]))            # no dropout in the predictions


def test_bucket_batches_follow_fits_seed_so_a_second_fit_sees_the_same_batches():
    """A BucketBatches kept its own generator running: fitting twice on it (a rerun cell, or two
    models compared on one object) gave different batch orders and losses, and fit's seed did nothing."""
    x, lengths, y = _task()
    buckets = BucketBatches((x, lengths, y), lengths, 16)
    runs = [fit(_model(), buckets, epochs=2, loss_fn=nn.functional.cross_entropy, seed=3, progress=False).step_loss
            for _ in range(2)]
    assert runs[0] == runs[1]
    other = fit(_model(), buckets, epochs=2, loss_fn=nn.functional.cross_entropy, seed=4, progress=False).step_loss
    assert other != runs[0]
    with pytest.raises(ValueError, match="batch_size as a whole number >= 1"):
        BucketBatches((x, lengths, y), lengths, 0)
    with pytest.raises(TypeError, match="got one tensor"):
        BucketBatches(x, lengths, 8)
    with pytest.raises(ValueError, match="1-D tensor"):
        BucketBatches((x, lengths, y), lengths[:, None], 8)


def test_token_metrics_are_the_mean_over_tokens_whatever_the_batch_size():
    """evaluate weighted each batch's mean by its number of sentences, so a per-token accuracy (and
    fit's reported losses) depended on batch_size: 0.1333 over all tokens read 0.1167 at batch size 1."""
    torch.manual_seed(0)
    lengths = torch.tensor([6, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    x = torch.randint(0, 3, (10, 6, 4)).float()
    y = torch.randint(0, 3, (10, 6)).masked_fill(torch.arange(6)[None] >= lengths[:, None], -100)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            return self.lin(x)                                               # (B, T, 3)
    m = Tagger()
    with torch.no_grad():
        logits = m(x)
    keep = y != -100
    want = float((logits.argmax(-1)[keep] == y[keep]).float().mean())
    want_loss = float(nn.functional.cross_entropy(logits[keep], y[keep]))
    for bs in (1, 3, 100):
        assert evaluate(m, (x, y), batch_size=bs) == pytest.approx(want, abs=1e-6)
    for bs in (1, 100):            # lr 0: the weights stay m's, so the epoch means are over all tokens
        h = fit(copy.deepcopy(m), (x, y), epochs=1, loss_fn=token_cross_entropy, batch_size=bs, lr=0.0,
                progress=False, val_data=(x, y), metric=accuracy)
        assert h.train_loss[0] == pytest.approx(want_loss, rel=1e-5) and h.val_loss[0] == pytest.approx(want_loss, rel=1e-5)
        assert h.train_metric[0] == pytest.approx(want, abs=1e-6) and h.val_metric[0] == pytest.approx(want, abs=1e-6)


def test_a_nan_loss_with_early_stopping_names_the_weights_it_keeps():
    """The warning said "the weights are those after step N-1" while fit then restored the best
    epoch's weights."""
    data, val = _task(64), _task(32, seed=1)
    calls = []

    def loss_fn(out, target):
        calls.extend([1] if torch.is_grad_enabled() else [])           # training steps only, not validation
        loss = nn.functional.cross_entropy(out, target)
        return loss * float("nan") if len(calls) == 7 else loss       # step 7, 4 steps per epoch: epoch 2
    with pytest.warns(RuntimeWarning, match="restores the weights of epoch 1"):
        h = fit(_model(), data, epochs=3, loss_fn=loss_fn, batch_size=16, val_data=val, early_stopping=2,
                progress=False)
    assert h.nonfinite_step == 7 and h.best_epoch == 1


def test_clear_errors_for_lengths_as_a_list_and_fit_under_no_grad():
    x, lengths, y = _task()
    with pytest.raises(TypeError, match="element 1 is a list"):
        fit(_model(), (x, lengths.tolist(), y), epochs=1, loss_fn=nn.functional.cross_entropy, progress=False)
    with torch.no_grad(), pytest.raises(RuntimeError, match="gradients switched off"):
        fit(_model(), (x, lengths, y), epochs=1, loss_fn=nn.functional.cross_entropy, progress=False)


def test_accuracy_takes_the_shapes_of_binary_cross_entropy_with_logits():
    out = torch.tensor([[2.0], [-1.0], [0.5]])
    assert accuracy(out, torch.tensor([[1.0], [0.0], [0.0]])) == pytest.approx(2 / 3)
    assert accuracy(out, torch.tensor([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)


def test_empty_validation_data_is_refused_before_the_model_changes():
    """val_data=(x[:0], y[:0]) trained a whole epoch, then raised "no examples in the evaluation data":
    the caller's model had already changed when the call failed."""
    x, lengths, y = _task()
    for empty in ((x[:0], lengths[:0], y[:0]), [], DataLoader(TensorDataset(x[:0], lengths[:0], y[:0]), batch_size=4)):
        model = _model()
        before = copy.deepcopy(model.state_dict())
        with pytest.raises(ValueError, match="expected val_data with at least one example"):
            fit(model, (x, lengths, y), epochs=1, loss_fn=nn.functional.cross_entropy, val_data=empty, progress=False)
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    h = fit(_model(), (x, lengths, y), epochs=1, loss_fn=nn.functional.cross_entropy, val_data=(x[:3], lengths[:3], y[:3]),
            progress=False)
    assert h.val_loss[0] is not None


def _dropout_batchnorm_model():
    """A classifier in training mode whose eval-mode output differs from its training-mode one in
    two ways: live dropout, and BatchNorm's batch statistics against running statistics that are
    far from a fresh layer's (mean 0, var 1), so neither can pass for the other."""
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    with torch.no_grad():
        model[1].running_mean.uniform_(-1.0, 1.0)
        model[1].running_var.uniform_(0.5, 2.0)
        model[1].num_batches_tracked.fill_(7)
    return model.train()


def _true_class_probability(out, target):
    """A metric that moves with every logit (accuracy could hide a live dropout by coincidence)."""
    return out.softmax(-1).gather(1, target[:, None]).mean()


def _snapshot(model):
    return ([m.training for m in model.modules()],
            {k: v.detach().clone() for k, v in model.state_dict().items()},     # parameters and BN buffers
            [id(b) for b in model.buffers()])


def test_evaluate_runs_a_training_mode_model_in_eval_mode_and_gives_it_back_untouched():
    """evaluate of a model in training mode must score what its eval-mode copy scores (no dropout,
    BatchNorm on running statistics) and leave modes, BatchNorm buffers, parameters and the global
    random stream as they were."""
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(40, 6, generator=g), torch.randint(0, 3, (40,), generator=g)
    model = _dropout_batchnorm_model()
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():                                   # the setup can tell the two modes apart
        assert _true_class_probability(copy.deepcopy(model)(x), y) != _true_class_probability(reference(x), y)
    modes, state, buffer_ids = _snapshot(model)
    rng = torch.random.get_rng_state()
    got = evaluate(model, (x, y), _true_class_probability, batch_size=16)                # 3 batches
    assert got == evaluate(reference, (x, y), _true_class_probability, batch_size=16)   # same ops, same batches: exact
    assert [m.training for m in model.modules()] == modes and all(modes)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert [id(b) for b in model.buffers()] == buffer_ids
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert not any(m.training for m in reference.modules())                              # the copy stayed in eval


def test_fits_validation_pass_scores_the_eval_mode_model_and_gives_the_mode_back():
    """fit's val_data pass must run in eval mode: the reported validation loss and metric equal
    evaluate of an eval-mode copy of the weights after the epoch; and fit's docstring promises the
    model back in the mode it came in (training mode here), the global random stream untouched."""
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(64, 6, generator=g), torch.randint(0, 3, (64,), generator=g)
    val = (torch.randn(40, 6, generator=g), torch.randint(0, 3, (40,), generator=g))
    model = _dropout_batchnorm_model()
    modes = [m.training for m in model.modules()]
    rng = torch.random.get_rng_state()
    h = fit(model, (x, y), epochs=1, loss_fn=nn.functional.cross_entropy, batch_size=16, val_data=val,
            metric=_true_class_probability, progress=False)
    assert [m.training for m in model.modules()] == modes and all(modes)
    assert torch.equal(torch.random.get_rng_state(), rng)
    reference = copy.deepcopy(model).eval()                 # the weights the validation pass saw (no early stopping)
    # one batch of 40 either way (fit validates in batches of max(batch_size, 256)): same ops, exact
    assert h.val_metric == [evaluate(reference, val, _true_class_probability)]
    assert h.val_loss == [evaluate(reference, val, nn.functional.cross_entropy)]
    with torch.no_grad():                                   # a training-mode pass would have scored otherwise
        assert h.val_metric[0] != float(_true_class_probability(copy.deepcopy(model)(val[0]), val[1]))
