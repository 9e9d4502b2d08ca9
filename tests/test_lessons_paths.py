"""rnncourse.lessons.paths: the gradient of the loss with respect to each input step."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnncourse.lessons.paths import step_gradients


class LastStep(nn.Module):
    """Logits from the last step's embedding only: no gradient reaches earlier steps."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(5, 3)
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.embedding(x)[:, -1])


def test_gradient_reaches_only_the_steps_the_output_reads():
    torch.manual_seed(0)
    model = LastStep().train()
    x, y = torch.randint(0, 5, (4, 6)), torch.tensor([0, 1, 0, 1])
    g = step_gradients(model, model.embedding, x, y)
    assert g.shape == (6,) and torch.all(g[:-1] == 0) and g[-1] > 0
    assert model.training and all(p.grad is None for p in model.parameters())   # mode restored, no gradients left


def test_step_gradients_against_autograd_by_hand():
    torch.manual_seed(1)
    model = LastStep()
    x, y = torch.randint(0, 5, (3, 4)), torch.tensor([1, 0, 1])
    e = model.embedding(x).detach().requires_grad_(True)                         # (B, T, E)
    nn.functional.cross_entropy(model.head(e[:, -1]), y).backward()
    expected = e.grad.norm(dim=-1).mean(0)                                       # (T,)
    torch.testing.assert_close(step_gradients(model, model.embedding, x, y), expected)


def test_a_recurrent_path_fades_with_distance_at_initialisation():
    torch.manual_seed(0)
    emb, rnn, head = nn.Embedding(9, 8), nn.RNN(8, 8, batch_first=True), nn.Linear(8, 2)

    class Reader(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn, self.head = emb, rnn, head

        def forward(self, x):
            return self.head(self.rnn(self.emb(x))[0][:, -1])

    g = step_gradients(Reader(), emb, torch.randint(0, 9, (16, 30)), torch.randint(0, 2, (16,)))
    assert g[0] < 1e-2 * g[-1]                                                  # 29 tanh steps shrink it
    with pytest.raises(AttributeError):
        step_gradients(Reader(), None, torch.zeros(1, 2, dtype=torch.long), torch.zeros(1, dtype=torch.long))
