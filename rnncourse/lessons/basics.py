"""Helpers for notebooks 00 (tour) and 01 (what an RNN is).

- :func:`environment` - the versions, device, threads and verified data files a
  student's setup has (the tour's first cell).
- :func:`order_task` - "who bites whom": sentences whose label depends only on
  word order, so a bag of words cannot tell the classes apart.
- :func:`bag_of_words` - the order-free view of the same sentences, for a
  feedforward network.
- :func:`count_parameters` - trainable parameters of a module.
- :func:`read_one_by_one` - a classifier reading independent sequences one after
  the other, with the hidden state reset between them or carried over.
- :func:`state_change_by_word` - how far each word moves the hidden state.
- :func:`padding_drift` - how far unpacked padding moves a final state.

Letters: L layers, D directions, B batch, T time, H units, V vocabulary.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass

import torch
from torch import nn

from rnnviz.data import PAD, Vocab

__all__ = ["environment", "DataCheck", "OrderTask", "order_task", "bag_of_words", "count_parameters",
           "read_one_by_one", "state_change_by_word", "padding_drift", "SUBJECT", "OBJECT", "FILLERS"]

SUBJECT, OBJECT = "dog", "man"
FILLERS = ("the", "a", "big", "old", "bites", "today", "again", "loudly")


@dataclass(frozen=True)
class DataCheck:
    """The shipped data files: ``files`` {name: size in bytes}, all matching ``data/SHA256SUMS``."""

    folder: str
    files: dict[str, int]

    def __repr__(self) -> str:
        total = sum(self.files.values()) / 2**20
        return f"DataCheck({len(self.files)} files verified against SHA256SUMS, {total:.1f} MB in {self.folder})"


def _verify_data() -> DataCheck:
    """Check every file listed in ``SHA256SUMS``; raises ``rnnviz.data.DataFileError`` on the first bad one."""
    from rnnviz.data import data_dir, verify

    return DataCheck(str(data_dir()), verify())


def environment() -> dict:
    """What this setup runs: versions, device, torch threads and the verified data files.

    Returns {"python", "torch", "numpy", "plotly", "ipywidgets", "anywidget": version strings,
    "device": "cpu" or the GPU's name, "threads": torch's intra-op threads,
    "data": a :class:`DataCheck`}. Raises ``rnnviz.data.DataFileError`` (saying which file
    and how to restore it) when a data file is missing or damaged.
    """
    import anywidget
    import ipywidgets
    import numpy
    import plotly

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "plotly": plotly.__version__, "ipywidgets": ipywidgets.__version__,
            "anywidget": anywidget.__version__, "device": device, "threads": torch.get_num_threads(),
            "data": _verify_data()}


@dataclass
class OrderTask:
    """Sentences for "who bites whom", padded with id 0.

    - ``ids``: (B, T) int64, each sentence left-aligned, then padding (``PAD`` = 0).
    - ``lengths``: (B,) int64, the words in each sentence.
    - ``labels``: (B,) int64, 1 when "dog" comes before "man" (the dog bites), else 0.
    - ``vocab``: the :class:`rnnviz.data.Vocab` (0 pad, 1 unk, then "dog", "man", fillers).
    """

    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    vocab: Vocab

    def __len__(self) -> int:
        return self.ids.shape[0]

    def words(self, i: int) -> list[str]:
        """The words of sentence ``i`` (no padding)."""
        if isinstance(i, bool) or not isinstance(i, int) or not -len(self) <= i < len(self):
            raise ValueError(f"expected a sentence index in 0..{len(self) - 1}, got {i!r}")
        return [self.vocab.itos[k] for k in self.ids[i, : int(self.lengths[i])].tolist()]

    def encode(self, text: str) -> tuple[torch.Tensor, list[str]]:
        """Text -> ((1, T) ids, its words), e.g. for a view's text box; unknown words become <unk>."""
        words = text.split()
        if not words:
            raise ValueError("expected at least one word, got an empty text")
        return self.vocab.encode(words)[None], words                          # (1, T)


def order_task(n: int, min_len: int = 4, max_len: int = 12, seed: int = 0) -> OrderTask:
    """``n`` sentences of ``min_len``..``max_len`` words holding "dog" and "man" once each.

    The other words are fillers drawn uniformly from :data:`FILLERS`. The label
    says whether "dog" comes first (1: the dog bites) or "man" does (0); both are
    equally likely, whatever the length. "dog bites man" and "man bites dog"
    hold the same words: only the order tells the labels apart, so a model that
    sees a bag of words is at chance (50 %) by construction.
    Same ``seed``, same sentences, on every machine (a private generator).
    """
    for name, value, low in (("n", n, 1), ("min_len", min_len, 2), ("max_len", max_len, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"expected {name} an int >= {low}, got {value!r}")
    if max_len < min_len:
        raise ValueError(f"expected max_len >= min_len, got min_len={min_len}, max_len={max_len}")
    vocab = Vocab([SUBJECT, OBJECT, *FILLERS])
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=g)                  # (B,)
    fill = torch.randint(4, 4 + len(FILLERS), (n, max_len), generator=g)             # (B, T) filler ids
    # two distinct positions per sentence: argsort of random keys, masked past the length
    keys = torch.rand(n, max_len, generator=g)                                        # (B, T)
    keys[torch.arange(max_len)[None, :] >= lengths[:, None]] = 2.0
    first, second = keys.argsort(dim=1)[:, :2].sort(dim=1).values.unbind(1)          # (B,), (B,)
    labels = torch.randint(0, 2, (n,), generator=g)                                   # (B,)
    rows = torch.arange(n)
    ids = fill.clone()                                                                # (B, T)
    dog, man = vocab.stoi[SUBJECT], vocab.stoi[OBJECT]
    ids[rows, first] = torch.where(labels == 1, dog, man)
    ids[rows, second] = torch.where(labels == 1, man, dog)
    ids[torch.arange(max_len)[None, :] >= lengths[:, None]] = PAD
    return OrderTask(ids, lengths, labels, vocab)


def bag_of_words(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(B, T) ids -> (B, V) float32 counts of each id, padding (id 0) not counted: order is gone."""
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.is_floating_point():
        got = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"expected a (batch, time) integer tensor of ids, got {got}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"expected ids in [0, {vocab_size}), got min {int(ids.min())}, max {int(ids.max())}")
    counts = torch.zeros(ids.shape[0], vocab_size)                                   # (B, V)
    counts.scatter_add_(1, ids, torch.ones(ids.shape, dtype=counts.dtype))
    counts[:, PAD] = 0.0
    return counts


def count_parameters(module: nn.Module) -> int:
    """Number of trainable values (``requires_grad``) in ``module``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@torch.no_grad()
def read_one_by_one(model: nn.Module, sequences: list[torch.Tensor], reset: bool = True) -> list[torch.Tensor]:
    """Feed independent sequences to a classifier one after another; its verdict after every word.

    model: a :class:`rnnviz.models.SequenceClassifier` (one direction, ``pooling="last"``);
    its ``inputs``, ``rnn`` and ``head`` are called directly so that the state can be passed on.
    sequences: (T_i,) id tensors, any lengths.
    reset=True starts every sequence from h_0 = 0 (what ``model(x)`` does); reset=False
    starts each from the final state of the previous one, as if they were one stream.

    Returns one (T_i, C) tensor of logits per sequence: row t is the head applied to the top
    layer's h_t, y_t = W_y h_t + b_y; the last row is what ``model`` outputs for the sequence.
    """
    from rnnviz.models import SequenceClassifier

    if not isinstance(model, SequenceClassifier) or model.pooling != "last" or model.rnn.bidirectional:
        what = type(model).__name__
        if isinstance(model, SequenceClassifier):
            what += f" (pooling={model.pooling!r}, bidirectional={model.rnn.bidirectional})"
        raise TypeError(f"expected a one-direction SequenceClassifier with pooling='last', got {what}")
    if isinstance(sequences, torch.Tensor) or not sequences or any(
            not isinstance(s, torch.Tensor) or s.dim() != 1 or s.numel() == 0 for s in sequences):
        raise ValueError("expected a non-empty list of non-empty (time,) id tensors")
    was_training = model.training
    model.eval()
    state, verdicts = None, []
    try:
        for seq in sequences:
            e = model.inputs(seq[None])                                              # (1, T, E)
            out, state = model.rnn(e, None if reset else state)                      # (1, T, H)
            verdicts.append(model.head(out[0]))                                      # (T, C)
    finally:
        model.train(was_training)
    return verdicts


def state_change_by_word(trace, ids: torch.Tensor, vocab: Vocab) -> dict[str, float]:
    """Mean distance ||h_t - h_{t-1}|| the hidden state moves when it reads each word.

    trace: an ``rnnviz.Trace`` of the sequences ``ids`` (B, T) (steps past each length are
    NaN in the trace and are skipped); the top layer's forward direction is used. Step 0 is
    left out (it starts from h_0 = 0, not from a previous word). Returns {word: mean
    distance} for every word of ``vocab`` read at least once at steps t >= 1.
    """
    from rnnviz.capture import Trace

    if not isinstance(trace, Trace):
        raise TypeError(f"expected an rnnviz.Trace, got {type(trace).__name__}")
    h = trace.hidden[-1, 0]                                                          # (B, T, H)
    if not isinstance(ids, torch.Tensor) or tuple(ids.shape) != tuple(h.shape[:2]):
        got = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"expected ids of shape {tuple(h.shape[:2])} (the trace's batch, time), got {got}")
    moved = (h[:, 1:] - h[:, :-1]).norm(dim=-1)                                       # (B, T-1), NaN past ends
    words = ids[:, 1:].to(moved.device)                                              # (B, T-1)
    out = {}
    for k, word in enumerate(vocab.itos):
        sel = moved[(words == k) & ~moved.isnan()]
        if sel.numel():
            out[word] = float(sel.mean())
    return out


@torch.no_grad()
def padding_drift(model: nn.Module, ids: torch.Tensor, pads: int) -> float:
    """How far ``pads`` padding steps move a classifier's final state when nothing packs them.

    model: a one-direction :class:`rnnviz.models.SequenceClassifier`; ids: one sentence, (T,)
    ids without padding. Runs ``model.rnn`` on the sentence alone and on the sentence followed
    by ``pads`` ids 0, and returns the largest absolute difference between the two final
    states of the top layer (0.0 for ``pads=0``).
    """
    if isinstance(pads, bool) or not isinstance(pads, int) or pads < 0:
        raise ValueError(f"expected pads a whole number >= 0, got {pads!r}")
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or ids.numel() == 0:
        raise ValueError("expected one sentence as a non-empty (time,) id tensor")
    padded = torch.cat([ids, ids.new_zeros(pads)])                                  # (T + pads,)
    was_training = model.training
    model.eval()
    try:
        _, alone = model.rnn(model.inputs(ids[None]))                               # (L, 1, H)
        _, drifted = model.rnn(model.inputs(padded[None]))                          # (L, 1, H)
    finally:
        model.train(was_training)
    return float((drifted[-1] - alone[-1]).abs().max())
