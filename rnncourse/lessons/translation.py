"""Encoder-decoder experiments of notebook 04: where one vector is not enough, and teacher forcing.

- :func:`copy_digits`: copy a string of random digits; the longer it is, the more the
  encoder's final state must hold;
- :func:`copy_model`, :func:`greedy_accuracy`, :func:`teacher_forced_accuracy`: a GRU
  :class:`~rnnviz.models.Seq2Seq` with or without attention, scored when it writes
  from its own previous characters (greedy) or is fed the true ones (teacher forcing);
- :func:`length_sweep`: both kinds trained on growing lengths with the same budget.

Letters: B batch, S source steps, T target steps (S + 1 with the end mark), V vocabulary.
"""
from __future__ import annotations

import torch

from rnnviz.models import Seq2Seq

__all__ = ["PAD", "BOS", "EOS", "SRC_VOCAB", "TGT_VOCAB", "copy_digits", "copy_model", "greedy_accuracy",
           "teacher_forced_accuracy", "train_copy", "length_sweep"]

PAD, BOS, EOS = 0, 1, 2          # target ids; digit d is d + 1 in the source and d + 3 in the target
SRC_VOCAB, TGT_VOCAB = 11, 13


def copy_digits(n: int, length: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """``n`` strings of ``length`` random digits to copy, as ``rnnviz.fit`` data for a Seq2Seq.

    Returns ``(src (B, S), src_lengths (B,), tgt_in (B, S + 1), tgt_out (B, S + 1))``:
    ``tgt_in`` starts with ``BOS`` and ``tgt_out`` ends with ``EOS`` (teacher forcing feeds
    ``tgt_in``, the loss scores ``tgt_out``).
    """
    for name, v in (("n", n), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"expected {name} an int >= 1, got {v!r}")
    digits = torch.randint(0, 10, (n, length), generator=torch.Generator().manual_seed(seed))   # (B, S)
    src = digits + 1
    tgt = digits + 3
    tgt_in = torch.cat([torch.full((n, 1), BOS), tgt], 1)                   # (B, S + 1)
    tgt_out = torch.cat([tgt, torch.full((n, 1), EOS)], 1)                  # (B, S + 1)
    return src, torch.full((n,), length), tgt_in, tgt_out


def copy_model(attention: str | None, hidden_size: int = 64, embed_dim: int = 16, seed: int = 0) -> Seq2Seq:
    """A GRU Seq2Seq for :func:`copy_digits`, initialised from ``seed`` (the global RNG is left alone)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Seq2Seq(SRC_VOCAB, TGT_VOCAB, embed_dim=embed_dim, hidden_size=hidden_size, attention=attention,
                       bos_id=BOS, eos_id=EOS, pad_id=PAD)


def _scored(model: Seq2Seq, data, free_running: bool) -> float:
    src, lengths, tgt_in, tgt_out = data
    S = src.shape[1]
    was = model.training
    model.eval()
    with torch.no_grad():
        if free_running:
            ids = model.greedy(src, lengths, max_len=S + 1)                    # (B, S + 1)
        else:
            ids = model(src, lengths, tgt_in).argmax(-1)                       # (B, S + 1)
    model.train(was)
    return float((ids[:, :S] == tgt_out[:, :S]).float().mean())


def greedy_accuracy(model: Seq2Seq, data) -> float:
    """Share of digits written right when the decoder reads its *own* previous outputs (no teacher)."""
    return _scored(model, data, free_running=True)


def teacher_forced_accuracy(model: Seq2Seq, data) -> float:
    """Share of digits right when the decoder is fed the *true* previous digits (as in training)."""
    return _scored(model, data, free_running=False)


def train_copy(attention: str | None, length: int, *, n_train: int = 2000, n_test: int = 500, epochs: int = 4,
               hidden_size: int = 64, lr: float = 1e-2, batch_size: int = 64, seed: int = 0):
    """Train one copy model (``attention`` None or "additive") on ``length``-digit strings with
    teacher forcing: data seed ``seed``, initial weights and batch order from ``seed``.

    Returns ``(model, greedy digit accuracy on n_test fresh strings of test seed seed + 1)``.
    """
    from rnnviz.train import fit, token_cross_entropy

    train = copy_digits(n_train, length, seed=seed)
    test = copy_digits(n_test, length, seed=seed + 1)
    model = copy_model(attention, hidden_size=hidden_size, seed=seed)
    fit(model, train, epochs=epochs, loss_fn=token_cross_entropy, lr=lr, batch_size=batch_size, seed=seed,
        progress=False)
    return model, greedy_accuracy(model, test)


def length_sweep(lengths, *, n_train: int = 2000, n_test: int = 500, epochs: int = 4, hidden_size: int = 64,
                 lr: float = 1e-2, batch_size: int = 64, seed: int = 0):
    """Train a Seq2Seq with and without attention on each copy length (same data, budget and
    initial seed) with :func:`train_copy`.

    Returns ``(accuracy, models)``: {"no attention" | "attention": {length: greedy digit
    accuracy on ``n_test`` fresh strings (test seed ``seed + 1``)}} and the trained models,
    {"no attention" | "attention": {length: model}}.
    """
    result: dict[str, dict[int, float]] = {"no attention": {}, "attention": {}}
    models: dict[str, dict[int, Seq2Seq]] = {"no attention": {}, "attention": {}}
    for length in lengths:
        for name, kind in (("no attention", None), ("attention", "additive")):
            model, accuracy = train_copy(kind, length, n_train=n_train, n_test=n_test, epochs=epochs,
                                         hidden_size=hidden_size, lr=lr, batch_size=batch_size, seed=seed)
            result[name][length] = accuracy
            models[name][length] = model
    return result, models
