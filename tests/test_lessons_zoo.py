"""rnncourse.lessons.zoo: learning curves equal ordinary training, and the ratio helpers."""
from __future__ import annotations

import pytest
import torch

from rnnviz.models import SequenceClassifier
from rnnviz.train import evaluate, fit
from rnncourse.lessons import hybrid, zoo

CE = torch.nn.functional.cross_entropy


def test_learning_curves_equal_training_each_model_alone():
    x, y = hybrid.bursts(40, 30, width=8, seed=0)
    test = hybrid.bursts(30, 30, width=8, seed=1)
    torch.manual_seed(1)
    a = SequenceClassifier(input_size=1, hidden_size=4, cell="gru")
    b = SequenceClassifier(input_size=1, hidden_size=4, cell="rnn")
    b0 = {k: v.clone() for k, v in b.state_dict().items()}
    acc, secs = zoo.learning_curves({"a": a, "b": b}, (x, y), test, epochs=3, seed=5, loss_fn=CE, batch_size=8)
    assert [len(v) for v in acc.values()] == [3, 3] and [len(v) for v in secs.values()] == [3, 3]
    alone = SequenceClassifier(input_size=1, hidden_size=4, cell="rnn")
    alone.load_state_dict(b0)
    opt = torch.optim.Adam(alone.parameters(), lr=1e-2)
    curve = []
    for epoch in range(3):
        fit(alone, (x, y), epochs=1, optimizer=opt, seed=5 + epoch, loss_fn=CE, batch_size=8, progress=False)
        curve.append(evaluate(alone, test))
    assert curve == acc["b"]
    with pytest.raises(ValueError, match="epochs"):
        zoo.learning_curves({"a": a}, (x, y), test, epochs=0, loss_fn=CE)


def test_median_ratio_and_first_epoch_reaching():
    assert zoo.median_ratio([1.0, 2.0, 9.0], [1.0, 1.0, 1.0]) == 2.0
    assert zoo.median_ratio([1.0, 3.0], [1.0, 1.0]) == 2.0
    assert zoo.median_ratio([2.0, 100.0, 3.0], [1.0, 1.0, 3.0]) == 2.0   # one loaded epoch does not move it
    with pytest.raises(ValueError):
        zoo.median_ratio([1.0], [])
    assert zoo.first_epoch_reaching([0.2, 0.5, 0.91, 0.95], 0.9) == 3
    assert zoo.first_epoch_reaching([0.2, 0.5], 0.9) is None


def test_over_seeds_equals_learning_curves_seed_by_seed():
    x, y = hybrid.bursts(40, 30, width=8, seed=0)
    test = hybrid.bursts(30, 30, width=8, seed=1)

    def make(seed):
        return {"gru": SequenceClassifier(input_size=1, hidden_size=4, cell="gru"),
                "rnn": SequenceClassifier(input_size=1, hidden_size=4, cell="rnn")}

    torch.manual_seed(11)
    before = torch.random.get_rng_state()
    acc, first = zoo.over_seeds(make, (x, y), test, seeds=[3, 4], epochs=2, loss_fn=CE, batch_size=8)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert set(acc) == {"gru", "rnn"} and all(len(v) == 2 for v in acc.values())
    for k, seed in enumerate([3, 4]):
        torch.manual_seed(seed)
        models = make(seed)
        curves, _ = zoo.learning_curves(models, (x, y), test, epochs=2, seed=seed, loss_fn=CE, batch_size=8)
        assert [acc[name][k] for name in curves] == [c[-1] for c in curves.values()]
        if k == 0:
            assert all(torch.equal(p, q) for p, q in zip(models["gru"].parameters(), first["gru"].parameters()))
