"""Token vocabularies with the course's id convention, and the word tokenizer.

Id convention (every word vocabulary in rnnviz): id 0 is padding ``<pad>``,
id 1 is the unknown word ``<unk>``, ids 2, 3, ... are the kept tokens from the
most to the least frequent (ties broken alphabetically). ``len(vocab)`` is the
number of ids, i.e. the rows an ``nn.Embedding`` needs.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

PAD, UNK = 0, 1
PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"

# A word is a run of letters/digits (any script), possibly with inner apostrophes
# ("don't", "it's"); punctuation and the rest are dropped.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """The IMDB tokenizer: lowercase, drop ``<br />`` tags, keep word runs.

    >>> tokenize("Great film!<br /><br />I didn't expect THAT.")
    ['great', 'film', 'i', "didn't", 'expect', 'that']
    """
    return _WORD.findall(text.lower().replace("<br />", " "))


def rank_tokens(sequences: Iterable[Iterable[str]], max_size: int | None = None) -> list[str]:
    """Distinct tokens by decreasing count, ties alphabetical; the first ``max_size`` of them.
    ``<pad>`` and ``<unk>`` are left out: a :class:`Vocab` always has them as ids 0 and 1 (text
    decoded back from ids holds them)."""
    counts = Counter(tok for seq in sequences for tok in seq if tok not in (PAD_TOKEN, UNK_TOKEN))
    ranked = sorted(counts, key=lambda tok: (-counts[tok], tok))
    return ranked if max_size is None else ranked[:max_size]


class Vocab:
    """Map tokens to ids and back (id 0 ``<pad>``, id 1 ``<unk>``, then ``tokens``).

    ``tokenizer`` turns text into tokens for :meth:`encode` (default: split on
    spaces); ``joiner`` glues tokens back in :meth:`decode` (default: a space).
    """

    def __init__(self, tokens: Sequence[str], tokenizer=None, joiner: str = " "):
        self.itos: list[str] = [PAD_TOKEN, UNK_TOKEN, *tokens]
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            twice = sorted({t for t in self.itos if self.itos.count(t) > 1})
            raise ValueError(f"expected distinct tokens (and not {PAD_TOKEN}/{UNK_TOKEN}, ids 0 and 1 already), "
                             f"got {twice[:5]} more than once")
        self.tokenizer = tokenizer if tokenizer is not None else str.split
        self.joiner = joiner

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} ids: 0 {PAD_TOKEN}, 1 {UNK_TOKEN}, 2 {self.itos[2:3]} ...)"

    def encode(self, text: str | Sequence[str]) -> torch.Tensor:
        """Text (tokenized first) or a token list -> ids, a (T,) int64 tensor."""
        tokens = self.tokenizer(text) if isinstance(text, str) else list(text)
        return torch.tensor([self.stoi.get(t, UNK) for t in tokens], dtype=torch.long)  # (T,)

    def decode(self, ids, skip_pad: bool = True) -> str:
        """Ids (a (T,) tensor or list) -> text; padding is left out unless ``skip_pad=False``."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"expected a (time,) tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if not 0 <= int(i) < len(self.itos):
                raise ValueError(f"expected ids in 0..{len(self.itos) - 1}, got {int(i)}")
            if not (skip_pad and int(i) == PAD):
                out.append(self.itos[int(i)])
        return self.joiner.join(out)
