"""IMDB sentiment with a recurrent layer in the path: notebook 06's ablation and ``bench/imdb_sentiment.py``.

- :class:`ReviewRNN` - embedding, an optional strided convolution that shortens the review,
  a recurrent layer, and the last state or the pooled states into a linear layer.
- :func:`train_reviews` - a fixed, seeded schedule (epochs of length-bucketed batches, so a
  fixed number of optimiser steps), with train and test accuracy after every epoch.
- :func:`ablation` and :func:`ablation_table` - one recipe, then one choice changed per row, each
  row trained on the same reviews with the same number of epochs.

Letters: B batch, T time (words), T' time after the convolution, E embedding, H units, C classes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnviz.models import last_layer_state, make_rnn, run_rnn as run

__all__ = ["ReviewRNN", "Trained", "train_reviews", "reference_epoch_seconds", "keras_start", "last_words",
           "RECIPE", "CHANGES", "recipe_model", "Row", "ablation", "ablation_table"]

POOLINGS = ("last", "mean", "meanmax")


class ReviewRNN(nn.Module):
    """Word ids -> ``nn.Embedding(V, E)`` -> [``Conv1d(E, E, k=stride, stride=stride)`` + ReLU] -> RNN(H)
    -> the last state (``"last"``), the mean of the states (``"mean"``) or mean and max (``"meanmax"``)
    over the valid steps -> ``nn.Linear`` -> logits.

    With ``stride=1`` there is no convolution: the reference is ``ReviewRNN(10_000, embed_dim=2,
    hidden_size=32, cell="rnn", pooling="last")``. A stride s convolution turns every s words into
    one step, so the RNN runs s times fewer sequential steps.

    ``pack=True`` skips each review's padding (torch's packed sequences). ``pack=False`` runs the RNN
    over the padding of the batch too and ignores those steps afterwards: a forward RNN's state at
    step t never depends on the padding after t, so the model computes the same function (up to float
    rounding), and its backward pass is several times faster on a CPU for long reviews.
    ``forward(ids, lengths=None)``: ids (B, T) int64, padding 0 on the right -> logits (B, C).
    """

    def __init__(self, vocab_size: int, *, embed_dim: int = 32, hidden_size: int = 32, cell: str = "gru",
                 pooling: str = "meanmax", stride: int = 1, embed_dropout: float = 0.0, num_classes: int = 2,
                 pack: bool = True):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be a positive int, got {stride!r}")
        self.vocab_size, self.pooling, self.stride, self.pack = vocab_size, pooling, stride, pack
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.dropout = nn.Dropout(embed_dropout)
        self.conv = nn.Conv1d(embed_dim, embed_dim, stride, stride=stride) if stride > 1 else None
        self.rnn = make_rnn(cell, embed_dim, hidden_size)
        self.head = nn.Linear(hidden_size * (2 if pooling == "meanmax" else 1), num_classes)

    def shorten(self, x: torch.Tensor) -> torch.Tensor:
        """``self.conv`` on (B, T, E) inputs with T a multiple of the stride -> (B, T / stride, E').

        A kernel as wide as its stride sees every word exactly once, so the convolution is one
        linear layer on each group of ``stride`` consecutive word vectors laid side by side. Computed
        that way (a reshape and a matrix product) it is the same map as ``self.conv`` and several
        times faster on a CPU than the convolution routine, forwards and backwards.
        """
        B, T, E = x.shape
        s = self.stride
        groups = x.reshape(B, T // s, s * E)                                          # (B, T', s*E), word-major
        w = self.conv.weight.permute(0, 2, 1).reshape(self.conv.out_channels, s * E)  # (E', s*E), same order
        return nn.functional.linear(groups, w, self.conv.bias)                        # (B, T', E')

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if ids.dtype != torch.long or ids.dim() != 2:
            raise ValueError(f"expected (batch, time) int64 word ids, got {ids.dtype} {tuple(ids.shape)}")
        B, T = ids.shape
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        T = max(int(lengths.max()), 1)
        ids = ids[:, :T]                                                              # (B, T) past the longest: padding
        x = self.dropout(self.embedding(ids))                                         # (B, T, E)
        if self.conv is not None:
            pad = (-T) % self.stride
            x = nn.functional.pad(x, (0, 0, 0, pad))                                  # (B, T + pad, E)
            x = torch.relu(self.shorten(x))                                           # (B, T', E)
            lengths = (lengths + self.stride - 1) // self.stride                      # (B,)
        lengths = lengths.clamp(min=1)
        if self.pack:
            out, h_n = run(self.rnn, x, lengths)                                      # (B, T', H), (1, B, H)
            last = last_layer_state(h_n, self.rnn)                                    # (B, H)
        else:
            out, _ = self.rnn(x[:, : int(lengths.max())])                             # (B, T'', H), T'' <= T'
            last = out[torch.arange(B), lengths - 1]                                  # (B, H) at each last word
        if self.pooling == "last":
            return self.head(last)                                                    # (B, C)
        valid = torch.arange(out.shape[1])[None, :] < lengths[:, None]                # (B, T')
        out = out * valid[:, :, None]                                                 # padding steps -> 0
        mean = out.sum(1) / lengths[:, None].to(out.dtype)                            # (B, H), padding is 0
        if self.pooling == "mean":
            return self.head(mean)
        top = out.masked_fill(~valid[:, :, None], float("-inf")).amax(1)             # (B, H)
        return self.head(torch.cat([mean, top], dim=-1))                              # (B, C)


@dataclass
class Trained:
    """What :func:`train_reviews` measured: accuracy after each epoch, steps and training time."""

    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    steps: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def __repr__(self) -> str:
        rows = [f"epoch {i + 1}: " + (f"train {self.train_acc[i]:.3f}  " if i < len(self.train_acc) else "")
                + f"test {b:.3f}" for i, b in enumerate(self.test_acc)]
        return "\n".join(rows + [f"{self.steps} steps, {self.wall_s:.1f} s wall, {self.cpu_s:.1f} s CPU"])


def keras_start(model: "ReviewRNN", seed: int = 0) -> "ReviewRNN":
    """Start ``model``'s weights as Keras does by default, for a like-for-like reference run.

    Embedding uniform in [-0.05, 0.05]; input and output matrices Glorot-uniform; the
    recurrent matrix W_hh orthogonal; biases zero (torch's defaults differ: embeddings N(0, 1),
    everything else uniform in ±1/sqrt(H)). Seeded without touching the global RNG; returns
    ``model``. A Conv1d, if any, keeps torch's start.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.embedding.weight.uniform_(-0.05, 0.05, generator=g)
        for name, p in model.rnn.named_parameters():
            if name.startswith("weight_ih"):
                bound = (6 / (p.shape[0] + p.shape[1])) ** 0.5
                p.uniform_(-bound, bound, generator=g)
            elif name.startswith("weight_hh"):
                q, r = torch.linalg.qr(torch.randn(p.shape[1], p.shape[1], generator=g))
                q = q * torch.sign(torch.diagonal(r))                               # (H, H) orthogonal
                p.copy_(torch.cat([q] * (p.shape[0] // p.shape[1]), dim=0))          # one block per gate
            else:
                p.zero_()
        bound = (6 / (model.head.weight.shape[0] + model.head.weight.shape[1])) ** 0.5
        model.head.weight.uniform_(-bound, bound, generator=g)
        model.head.bias.zero_()
    return model


def _tensors(split):
    return split.ids, split.lengths, split.labels                                     # (N, T), (N,), (N,)


@torch.no_grad()
def _accuracy(model: nn.Module, split, batch_size: int = 1000) -> float:
    from rnnviz.train import BucketBatches

    was = model.training
    model.eval()
    right = 0
    for ids, lengths, labels in BucketBatches(_tensors(split), split.lengths, batch_size, seed=0):
        right += int((model(ids, lengths).argmax(-1) == labels).sum())
    model.train(was)
    return right / len(split)


def train_reviews(model: nn.Module, train, test, *, epochs: int, batch_size: int = 256, lr: float = 1e-2,
                  schedule: str = "one-cycle", seed: int = 0, score_train: bool | int = True) -> Trained:
    """Train ``model(ids, lengths)`` on IMDB ``Reviews`` with Adam for ``epochs`` passes of
    length-bucketed batches (a fixed number of steps, seeded order), scoring after each epoch.

    ``schedule``: ``"one-cycle"`` (warm up to ``lr`` over 20 % of the steps, then anneal to 0) or
    ``"constant"`` (Adam at ``lr`` throughout, as the reference). ``score_train``: ``True`` scores
    every training review after each epoch, ``False`` none, an int n a fixed sample of n of them
    (drawn from ``seed``; cheaper). The time covers training only.
    """
    from rnnviz.train import BucketBatches

    if schedule not in ("one-cycle", "constant"):
        raise ValueError(f"schedule must be 'one-cycle' or 'constant', got {schedule!r}")
    batches = BucketBatches(_tensors(train), train.lengths, batch_size, seed=seed)
    total = epochs * len(batches)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.2)
             if schedule == "one-cycle" else None)
    scored = train
    if score_train is not True and score_train:                                       # an int: a fixed sample
        if not isinstance(score_train, int) or not 1 <= score_train <= len(train):
            raise ValueError(f"score_train must be True, False or a count in 1..{len(train)}, got {score_train!r}")
        from dataclasses import fields, replace

        pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:score_train]
        scored = replace(train, **{f.name: getattr(train, f.name)[pick] for f in fields(train)})
    out = Trained()
    torch.manual_seed(seed)                                                           # dropout draws
    for _ in range(epochs):
        model.train()
        wall, cpu = time.perf_counter(), time.process_time()
        for ids, lengths, labels in batches:
            loss = nn.functional.cross_entropy(model(ids, lengths), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            out.steps += 1
        out.wall_s += time.perf_counter() - wall
        out.cpu_s += time.process_time() - cpu
        if score_train:
            out.train_acc.append(_accuracy(model, scored))
        out.test_acc.append(_accuracy(model, test))
    return out


def reference_epoch_seconds(train, *, batches: int = 10, batch_size: int = 32, seed: int = 0) -> float:
    """Seconds of one epoch of the course reference (Embedding(V, 2) + RNN(32) + Linear, Adam,
    batches of 32), estimated from ``batches`` timed batches (CPU time of this process)."""
    from rnnviz.train import BucketBatches

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = ReviewRNN(int(train.ids.max()) + 1, embed_dim=2, hidden_size=32, cell="rnn", pooling="last")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = BucketBatches(_tensors(train), train.lengths, batch_size, seed=seed)
    start, done = time.process_time(), 0
    for ids, lengths, labels in loader:
        loss = nn.functional.cross_entropy(model(ids, lengths), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done += 1
        if done == batches:
            break
    return (time.process_time() - start) / done * len(loader)


def last_words(split, n: int):
    """The last ``n`` words of every review of an IMDB ``Reviews`` split whose ids hold each review's
    last words left-aligned (``align="left", keep="last"``), as a ``Reviews`` again: ids (N, n).

    The same reviews cut shorter, as ``rnnviz.data.imdb(max_len=n, ...)`` would load them.
    """
    from dataclasses import replace

    T = split.ids.shape[1]
    if not 1 <= n <= T:
        raise ValueError(f"expected n in 1..{T}, got {n}")
    lengths = split.lengths.clamp(max=n)                                              # (N,)
    start = split.lengths - lengths                                                   # (N,) first kept word
    cols = (start[:, None] + torch.arange(n)[None, :]).clamp(max=T - 1)               # (N, n)
    ids = split.ids.gather(1, cols)                                                   # (N, n)
    ids = ids.masked_fill(torch.arange(n)[None, :] >= lengths[:, None], 0)            # padding on the right
    return replace(split, ids=ids, lengths=lengths)


@dataclass
class Row:
    """One row of :func:`ablation`: what changed, the test accuracy, the training CPU time, and the
    recurrent steps the model runs for a review of full length."""

    change: str
    recipe: dict
    test_acc: float
    cpu_s: float
    rnn_steps: int


RECIPE = dict(max_len=400, embed_dim=32, stride=8, hidden_size=32, cell="gru", pooling="meanmax",
              schedule="one-cycle", lr=2e-2, batch_size=256)
"""Notebook 06's recurrent recipe: the last 400 words, 32-d embeddings, a stride-8 convolution, a GRU of
32 units, mean and max of its states, Adam with a one-cycle rate peaking at 0.02, batches of 256."""

CHANGES = {
    "last state instead of mean+max of states": {"pooling": "last"},
    "last 100 words instead of 400": {"max_len": 100},
    "2-d embedding instead of 32-d": {"embed_dim": 2},
    "constant learning rate instead of one-cycle": {"schedule": "constant"},
    "no convolution: the GRU reads every word": {"stride": 1},
}
"""The one-choice changes of notebook 06's ablation, each against :data:`RECIPE`."""


def recipe_model(recipe: dict, vocab_size: int, seed: int = 0) -> ReviewRNN:
    """A fresh ``ReviewRNN`` with the model keys of ``recipe`` (see :data:`RECIPE`), its weights drawn
    from ``seed`` without touching the global random state; it runs with ``pack=False``."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return ReviewRNN(vocab_size, embed_dim=recipe["embed_dim"], hidden_size=recipe["hidden_size"],
                         cell=recipe["cell"], pooling=recipe["pooling"], stride=recipe["stride"], pack=False)


def ablation(train, test, changes: dict | None = None, *, recipe: dict | None = None, epochs: int,
             seed: int = 0) -> list:
    """Train ``recipe`` (default :data:`RECIPE`) once as given, then once per entry of ``changes``
    (default :data:`CHANGES`; ``{"what changed": {key: new value, ...}}``) with only those keys
    changed; return the :class:`Row` s, the recipe first.

    ``train`` and ``test`` are IMDB ``Reviews`` splits holding at least ``recipe["max_len"]`` words
    per review; a row with a smaller ``max_len`` reads only each review's last ``max_len`` words.
    Every row trains on the same reviews, for the same epochs (so the same number of optimiser steps),
    from the same seed, and is scored on the same test reviews: the rows differ in the changed choice
    only. The time is the CPU time of training (:func:`train_reviews`).
    """
    base = dict(RECIPE if recipe is None else recipe)
    missing = set(RECIPE) - set(base)
    if missing:
        raise ValueError(f"recipe lacks {sorted(missing)}; expected the keys of RECIPE: {sorted(RECIPE)}")
    vocab = int(max(train.ids.max(), test.ids.max())) + 1
    rows = []
    for change, diff in {"the recipe": {}, **(CHANGES if changes is None else changes)}.items():
        unknown = set(diff) - set(base)
        if unknown:
            raise ValueError(f"unknown recipe keys {sorted(unknown)} in {change!r}; expected some of {sorted(base)}")
        r = {**base, **diff}
        with torch.random.fork_rng():
            run = train_reviews(recipe_model(r, vocab, seed), last_words(train, r["max_len"]),
                                last_words(test, r["max_len"]), epochs=epochs, batch_size=r["batch_size"],
                                lr=r["lr"], schedule=r["schedule"], seed=seed, score_train=False)
        rows.append(Row(change, r, run.test_acc[-1], run.cpu_s, -(-r["max_len"] // r["stride"])))
    return rows


def ablation_table(rows: list) -> str:
    """The rows of :func:`ablation` as a plain-text table, the first row as the reference for the
    differences."""
    width = max(len(row.change) for row in rows)
    lines = [f"{'':{width}s} {'test acc':>8s} {'vs recipe':>9s} {'RNN steps':>9s} {'train CPU s':>11s}"]
    for row in rows:
        lines.append(f"{row.change:{width}s} {row.test_acc:8.3f} {row.test_acc - rows[0].test_acc:+9.3f} "
                     f"{row.rnn_steps:9d} {row.cpu_s:11.1f}")
    return "\n".join(lines)
