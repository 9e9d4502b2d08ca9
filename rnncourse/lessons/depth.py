"""Depth and direction on a small tagging task (notebook 03).

- :func:`tagging_splits` - train / validation / test sentences from ``rnnviz.data.ud_pos()``,
  with a vocabulary of the words seen at least twice in the training sentences (the rest
  read as ``<unk>``, so the network learns what an unknown word looks like in context).
- :func:`majority_tags` - the baselines a tagger must beat: the most frequent tag overall,
  and the most frequent tag of each word (a lookup table).
- :func:`train_taggers` - one tagger per setting and seed, trained until the validation
  accuracy stops improving (early stopping), with what each cost and scored.
- :func:`mean_by` - the runs averaged over seeds.

Letters: B batch, T time, V vocabulary, C tags.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from rnnviz.train import accuracy, evaluate, fit, token_cross_entropy

__all__ = ["TaggingSplits", "tagging_splits", "majority_tags", "train_taggers", "mean_by"]

UNK = 1


@dataclass
class TaggingSplits:
    """``train``, ``val``, ``test``: tuples (ids (B, T), lengths (B,), tags (B, T)); tags past a
    sentence's end are -100. ``words``: id -> word (0 ``<pad>``, 1 ``<unk>``); ``tags``: tag names."""

    train: tuple
    val: tuple
    test: tuple
    words: list[str]
    tags: list[str]

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    def encode(self, words: Sequence[str]) -> torch.Tensor:
        """Words -> (1, T) ids in this vocabulary (unknown words -> ``<unk>``)."""
        index = {w: i for i, w in enumerate(self.words)}
        return torch.tensor([[index.get(w, UNK) for w in words]])

    def encode_text(self, text: str) -> tuple[torch.Tensor, list[str]]:
        """A sentence as one string -> ((1, T) ids, its words), for a view's text box."""
        words = text.split()
        if not words:
            raise ValueError("expected at least one word, got an empty text")
        return self.encode(words), words


def _short(split, max_len: int):
    keep = split.lengths <= max_len                                              # (N,)
    return split.words[keep][:, :max_len], split.lengths[keep], split.tags[keep][:, :max_len]


def tagging_splits(pos, n_train: int, *, n_val: int = 400, max_len: int = 20, min_count: int = 2,
                   seed: int = 0) -> TaggingSplits:
    """Sentences of at most ``max_len`` words from ``pos`` (a ``rnnviz.data.ud_pos()``).

    Validation: the last ``n_val`` short sentences of ``pos.train`` (the same for every seed);
    training: ``n_train`` of the others, drawn with ``seed``; test: every short sentence of
    ``pos.test``. Words seen fewer than ``min_count`` times in the training sentences become
    ``<unk>`` everywhere, and the kept words are renumbered from 2.
    """
    ids, lengths, tags = _short(pos.train, max_len)
    pool = ids.shape[0] - n_val
    if not 0 < n_train <= pool:
        raise ValueError(f"expected n_train in 1..{pool} (short training sentences left after {n_val} "
                         f"for validation), got {n_train}")
    pick = torch.randperm(pool, generator=torch.Generator().manual_seed(seed))[:n_train]   # (B,)
    counts = torch.bincount(ids[pick].flatten(), minlength=len(pos.vocab))                 # (V,)
    counts[:2] = 0
    kept = (counts >= min_count).nonzero().flatten()                                       # old ids kept
    new = torch.full((len(pos.vocab),), UNK, dtype=torch.long)
    new[0] = 0
    new[kept] = torch.arange(2, 2 + kept.numel())
    words = ["<pad>", "<unk>"] + [pos.vocab.itos[i] for i in kept.tolist()]

    test_ids, test_lengths, test_tags = _short(pos.test, max_len)
    return TaggingSplits((new[ids[pick]], lengths[pick], tags[pick]),
                         (new[ids[pool:]], lengths[pool:], tags[pool:]),
                         (new[test_ids], test_lengths, test_tags), words, list(pos.tags))


def majority_tags(train: tuple, test: tuple, num_tags: int) -> dict[str, float]:
    """Test accuracy of two taggers that read no context: ``"most frequent tag"`` (one tag for
    every word) and ``"most frequent tag of each word"`` (a lookup table from the training
    sentences; words never seen there, or ``<unk>``, get the most frequent tag of ``<unk>``,
    or overall when ``<unk>`` never occurs)."""
    ids, _, tags = train
    mask = tags != -100
    w, t = ids[mask], tags[mask]
    table = torch.zeros(int(max(ids.max(), test[0].max())) + 1, num_tags)          # (V, C) counts
    table.index_put_((w, t), torch.ones_like(t, dtype=torch.float), accumulate=True)
    overall = int(torch.bincount(t, minlength=num_tags).argmax())
    fallback = int(table[UNK].argmax()) if table[UNK].sum() > 0 else overall
    guess = table.argmax(1)                                                         # (V,)
    guess[table.sum(1) == 0] = fallback
    guess[UNK] = fallback
    test_ids, _, test_tags = test
    m = test_tags != -100
    return {"most frequent tag": float((test_tags[m] == overall).float().mean()),
            "most frequent tag of each word": float((guess[test_ids[m]] == test_tags[m]).float().mean())}


def train_taggers(make_model: Callable[..., nn.Module], settings: Sequence[dict], splits: TaggingSplits,
                  seeds: Sequence[int], *, max_epochs: int = 30, patience: int = 2, lr: float = 2e-2,
                  batch_size: int = 64) -> list[dict]:
    """Train ``make_model(**setting)`` for every setting and seed, with early stopping on the
    validation accuracy (patience ``patience`` epochs, best weights restored).

    Returns one row per run:
    the setting's keys, ``seed``, ``parameters``, ``epochs`` (the best epoch), ``seconds``
    (training wall time), ``train``, ``val``, ``test`` accuracy, ``gap`` (train - val) and ``model``.
    """
    rows = []
    runs = [(s, seed) for s in settings for seed in seeds]
    for setting, seed in tqdm(runs, desc="taggers", leave=False):
        train = splits.train
        torch.manual_seed(seed)
        model = make_model(**setting)
        start = time.perf_counter()
        history = fit(model, train, epochs=max_epochs, loss_fn=token_cross_entropy, lr=lr,
                      batch_size=batch_size, val_data=splits.val, metric=accuracy,
                      early_stopping=patience, seed=seed, progress=False)
        seconds = time.perf_counter() - start
        tr, va = evaluate(model, train), evaluate(model, splits.val)
        rows.append({**setting, "seed": seed, "parameters": sum(p.numel() for p in model.parameters()),
                     "epochs": history.best_epoch, "seconds": seconds, "train": tr, "val": va,
                     "test": evaluate(model, splits.test), "gap": tr - va, "model": model})
    return rows


def mean_by(rows: Sequence[dict], key: str | Sequence[str],
            columns: Sequence[str] = ("parameters", "epochs", "seconds", "train", "val", "test", "gap")) -> list[dict]:
    """Rows averaged over seeds: one row per distinct value of ``key`` (a column or several),
    in first-seen order, with the mean of each of ``columns`` and ``runs``."""
    keys = [key] if isinstance(key, str) else list(key)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for value, group in groups.items():
        row = dict(zip(keys, value))
        for c in columns:
            row[c] = sum(float(g[c]) for g in group) / len(group)
        row["runs"] = len(group)
        out.append(row)
    return out
