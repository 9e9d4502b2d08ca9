"""Date-format translation: many human spellings of a date -> ISO ``yyyy-mm-dd``.

A sequence-to-sequence task small enough to train on a laptop in minutes, and
exact enough to score by exact match. Dates are drawn uniformly from
1970-01-01 .. 2069-12-31, so two-digit years are unambiguous (70..99 -> 19xx,
00..69 -> 20xx, the POSIX rule); slashes are always month/day (US order), dots
always day.month (European order).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import torch

from ._data.vocab import PAD, Vocab

_FIRST, _LAST = dt.date(1970, 1, 1).toordinal(), dt.date(2069, 12, 31).toordinal()
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
BOS, EOS = "<s>", "</s>"

# One function per spelling; every one is a function of the date alone.
FORMATS = {
    "march 3, 2021": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "3 march 2021": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "3 mar 2021": lambda d: f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}",
    "mar 3 2021": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "wednesday, march 3, 2021": lambda d: f"{_DAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "03/03/21": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    "3/3/2021": lambda d: f"{d.month}/{d.day}/{d.year}",
    "3.3.2021": lambda d: f"{d.day}.{d.month}.{d.year}",
    "20210303": lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
}
SOURCE_CHARS = sorted(set(" ,./0123456789" + "".join(_MONTHS) + "".join(_DAYS)))


@dataclass
class DateTask:
    """Pairs of date spellings and their ISO form, as padded id tensors.

    - ``source`` / ``target``: the B strings (e.g. "3 mar 2021" / "2021-03-03").
    - ``src`` (B, S) int64 char ids, left-aligned, 0 padding; ``src_lengths`` (B,).
    - ``tgt`` (B, 12) int64: ``<s>``, the 10 ISO characters, ``</s>``; feed ``tgt[:, :-1]``
      to a decoder and score its outputs against ``tgt[:, 1:]``.
    - ``src_vocab`` / ``tgt_vocab``: character :class:`~rnnviz.data.Vocab` s (0 pad, 1 unk).
    """
    source: list[str]
    target: list[str]
    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt: torch.Tensor
    src_vocab: Vocab
    tgt_vocab: Vocab

    def __len__(self) -> int:
        return self.src.shape[0]

    def encode(self, text: str) -> torch.Tensor:
        """A date spelling -> source ids (S,) int64 (lowercased first)."""
        return self.src_vocab.encode(text.lower())

    def decode(self, ids) -> str:
        """Target ids (a (T,) tensor or list) -> text, dropping ``<s>`` and stopping at ``</s>``."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bos, eos = self.tgt_vocab.stoi[BOS], self.tgt_vocab.stoi[EOS]
        out = []
        for i in ids:
            if i == eos:
                break
            if i not in (bos, PAD):
                out.append(int(i))
        return self.tgt_vocab.decode(out)


def _vocabs() -> tuple[Vocab, Vocab]:
    src = Vocab(SOURCE_CHARS, tokenizer=list, joiner="")
    tgt = Vocab([BOS, EOS, *"-0123456789"], tokenizer=list, joiner="")
    return src, tgt


def dates(n: int, formats=None, seed: int = 0) -> DateTask:
    """``n`` random dates (1970-2069), each in one spelling drawn uniformly from ``formats``
    (names of :data:`FORMATS`, default all nine), with their ISO ``yyyy-mm-dd`` targets."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"expected n an int >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"expected seed an int, got {type(seed).__name__}")
    names = list(FORMATS) if formats is None else list(formats)
    unknown = [f for f in names if f not in FORMATS]
    if unknown or not names:
        raise ValueError(f"expected formats among {list(FORMATS)}, got {names}")
    g = torch.Generator().manual_seed(seed)
    days = torch.randint(_FIRST, _LAST + 1, (n,), generator=g).tolist()
    kinds = torch.randint(0, len(names), (n,), generator=g).tolist()
    stamps = [dt.date.fromordinal(d) for d in days]
    source = [FORMATS[names[k]](d) for k, d in zip(kinds, stamps)]
    target = [d.isoformat() for d in stamps]
    src_vocab, tgt_vocab = _vocabs()
    lengths = torch.tensor([len(s) for s in source])                        # (B,)
    src = torch.zeros(n, int(lengths.max()), dtype=torch.long)              # (B, S)
    for i, s in enumerate(source):
        src[i, : len(s)] = src_vocab.encode(s)
    bos, eos = tgt_vocab.stoi[BOS], tgt_vocab.stoi[EOS]
    tgt = torch.tensor([[bos, *(tgt_vocab.stoi[c] for c in t), eos] for t in target])  # (B, 12)
    return DateTask(source, target, src, lengths, tgt, src_vocab, tgt_vocab)
