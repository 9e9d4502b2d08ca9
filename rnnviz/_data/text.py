"""Text loaders: IMDB reviews, sentence polarity, Tiny Shakespeare, Tatoeba pairs, UD POS tags."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from .store import fingerprint, load_bundle, load_json, read_xz
from .vocab import PAD, UNK, Vocab, rank_tokens, tokenize

IMDB_MAX_VOCAB = 10_002     # 10,000 words + <pad> + <unk>
TAG_PAD = -100              # padding value of tag targets: F.cross_entropy ignores it by default


@dataclass
class Reviews:
    """One IMDB split. ``ids`` (N, max_len) int64, 0 = padding; ``lengths`` (N,) tokens kept
    (at most max_len); ``labels`` (N,) 0 negative / 1 positive; ``review_lengths`` (N,)
    tokens in the whole review; ``ratings`` (N,) stars 1..10."""
    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    review_lengths: torch.Tensor
    ratings: torch.Tensor

    def __len__(self) -> int:
        return self.ids.shape[0]


@dataclass
class IMDB:
    """``train`` and ``test`` (25,000 reviews each), the ``vocab`` and a raw-text ``sample``."""
    train: Reviews
    test: Reviews
    vocab: Vocab
    sample: list[dict] = field(repr=False)
    align: str = "right"


@lru_cache(maxsize=1)
def _imdb_arrays(files: tuple) -> tuple[dict, np.ndarray, dict]:
    """The unpacked IMDB arrays, review offsets and vocab JSON, cached per file fingerprint."""
    _, arrays = load_bundle("imdb.arrays.zlib")  # ``files`` only keys the cache
    planes = arrays.pop("id_planes")                                      # (2, sum of lengths)
    arrays["ids"] = planes[0].astype(np.uint16) | (planes[1].astype(np.uint16) << 8)
    offsets = np.zeros(len(arrays["lengths"]) + 1, dtype=np.int64)
    np.cumsum(arrays["lengths"], out=offsets[1:])
    return arrays, offsets, load_json("imdb_vocab.json.xz")


def _window(flat, starts, ends, max_len: int, align: str) -> np.ndarray:
    """Cut flat[starts:ends] per row into a padded (N, max_len) array."""
    n = ends - starts                                                     # (N,)
    cols = np.arange(max_len)                                             # (max_len,)
    if align == "right":   # the last token sits in the last column
        index = ends[:, None] - max_len + cols[None, :]                   # (N, max_len)
        keep = cols[None, :] >= (max_len - n)[:, None]
    else:                  # the first kept token sits in column 0
        index = starts[:, None] + cols[None, :]
        keep = cols[None, :] < n[:, None]
    out = np.zeros((len(n), max_len), dtype=np.int64)
    out[keep] = flat[index[keep]]
    return out


def imdb(max_len: int = 100, vocab_size: int = 10_000, align: str = "right",
         keep: str = "last") -> IMDB:
    """The Large Movie Review Dataset (Maas et al., 2011): 25,000 train and 25,000 test reviews.

    Reviews are tokenized with :func:`rnnviz.data.tokenize` (lowercase, ``<br />``
    removed, word runs with inner apostrophes kept, punctuation dropped).

    - ``max_len``: tokens per review in ``ids``; ``keep="last"`` keeps the last
      ``max_len`` tokens of a longer review (the course's setting), ``"first"`` the first.
    - ``vocab_size``: number of ids, i.e. the rows of an ``nn.Embedding``: id 0 is padding,
      id 1 an unknown word, ids 2..vocab_size-1 the most frequent train words (at most 10,002).
    - ``align="right"``: padding on the left, the last kept token in column max_len-1
      (Keras' ``pad_sequences`` default: the RNN's final step reads the review's end);
      ``"left"``: tokens from column 0, padding on the right (for ``pack_padded_sequence``).

    Each split's ``ids`` is (N, max_len) int64; see :class:`Reviews`.
    """
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"expected max_len a positive int, got {max_len!r}")
    if not isinstance(vocab_size, int) or not 3 <= vocab_size <= IMDB_MAX_VOCAB:
        raise ValueError(f"expected vocab_size an int in 3..{IMDB_MAX_VOCAB} "
                         f"(ids incl. 0 <pad> and 1 <unk>), got {vocab_size!r}")
    if align not in ("right", "left"):
        raise ValueError(f"expected align 'right' or 'left', got {align!r}")
    if keep not in ("last", "first"):
        raise ValueError(f"expected keep 'last' or 'first', got {keep!r}")
    names = ("imdb.arrays.zlib", "imdb_vocab.json.xz")
    arrays, offsets, vocab_json = _imdb_arrays(tuple(fingerprint(n) for n in names))
    flat = arrays["ids"]
    if vocab_size < IMDB_MAX_VOCAB:
        flat = np.where(flat < vocab_size, flat, UNK).astype(flat.dtype)
    vocab = Vocab(vocab_json["words"][: vocab_size - 2], tokenizer=tokenize)

    def split(mask: np.ndarray) -> Reviews:
        starts, ends = offsets[:-1][mask], offsets[1:][mask]               # (N,)
        if keep == "last":
            starts = np.maximum(starts, ends - max_len)
        else:
            ends = np.minimum(ends, starts + max_len)
        return Reviews(
            ids=torch.from_numpy(_window(flat, starts, ends, max_len, align)),  # (N, max_len)
            lengths=torch.from_numpy(ends - starts),                            # (N,)
            labels=torch.from_numpy(arrays["label"][mask].astype(np.int64)),
            review_lengths=torch.from_numpy(arrays["lengths"][mask].astype(np.int64)),
            ratings=torch.from_numpy(arrays["rating"][mask].astype(np.int64)))

    test = arrays["test"].astype(bool)
    return IMDB(split(~test), split(test), vocab, [dict(s) for s in vocab_json["sample"]], align)


@dataclass
class Snippets:
    """Sentence polarity: ``texts`` (lowercased, space-tokenized snippets) and ``labels``
    (N,) int64, 0 negative / 1 positive, negatives first in source order."""
    texts: list[str]
    labels: torch.Tensor


def polarity() -> Snippets:
    """Pang & Lee's sentence polarity v1.0: 5,331 negative + 5,331 positive review snippets."""
    data = load_json("sentence_polarity.json.xz")
    texts = data["neg"] + data["pos"]
    labels = torch.cat([torch.zeros(len(data["neg"]), dtype=torch.long),
                        torch.ones(len(data["pos"]), dtype=torch.long)])  # (N,)
    return Snippets(texts, labels)


@dataclass
class CharText:
    """A text, its character ``vocab`` (ids 0 pad, 1 unk, then the sorted characters)
    and ``ids`` (T,) int64, the whole text encoded."""
    text: str
    vocab: Vocab
    ids: torch.Tensor


def shakespeare() -> CharText:
    """Tiny Shakespeare (1,115,394 characters, 65 distinct) for character-level models."""
    text = read_xz("tinyshakespeare.txt.xz").decode("utf-8")
    vocab = Vocab(sorted(set(text)), tokenizer=list, joiner="")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")                  # (T,) code points
    lookup = np.zeros(int(codes.max()) + 1, dtype=np.int64)                        # code point -> id
    for i, ch in enumerate(vocab.itos[2:], start=2):
        lookup[ord(ch)] = i
    return CharText(text, vocab, torch.from_numpy(lookup[codes]))                  # (T,)


@dataclass
class Pairs:
    """Parallel sentences: ``source[i]`` (English) translates to ``target[i]`` (French);
    ``attribution[i]`` is the Tatoeba licence line for that pair (CC BY 2.0 FR)."""
    source: list[str]
    target: list[str]
    attribution: list[str] = field(repr=False)

    def __len__(self) -> int:
        return len(self.source)


def eng_fra() -> Pairs:
    """5,000 English-French sentence pairs from Tatoeba, in source order (short first)."""
    pairs = load_json("tatoeba_eng_fra.json.xz")["pairs"]
    return Pairs([p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs])


@dataclass
class Tagged:
    """One tagging split. ``words`` (N, T) int64 word ids, 0 padding on the right;
    ``tags`` (N, T) int64 tag ids, ``TAG_PAD`` (-100) on padding; ``lengths`` (N,);
    ``sentences`` and ``tag_names`` the same as strings."""
    words: torch.Tensor
    tags: torch.Tensor
    lengths: torch.Tensor
    sentences: list[list[str]] = field(repr=False)
    tag_names: list[list[str]] = field(repr=False)

    def __len__(self) -> int:
        return self.words.shape[0]


@dataclass
class POS:
    """UD English-EWT words with UPOS tags: ``train``, ``test``, the word ``vocab``
    (train words by frequency; case kept) and ``tags`` (the 17 UPOS names; tag id = index)."""
    train: Tagged
    test: Tagged
    vocab: Vocab
    tags: list[str]
    pad_tag: int = TAG_PAD


def ud_pos() -> POS:
    """UD English-EWT dev + test (4,078 sentences) split into course train/test (every 5th
    sentence is test), as padded word-id and tag-id tensors."""
    data = load_json("ud_pos.json.xz")
    vocab = Vocab(data["words"])
    tag_id = {t: i for i, t in enumerate(data["upos"])}

    def split(sents: list[dict]) -> Tagged:
        lengths = torch.tensor([len(s["words"]) for s in sents])          # (N,)
        words = torch.full((len(sents), int(lengths.max())), PAD)          # (N, T)
        tags = torch.full_like(words, TAG_PAD)                             # (N, T)
        for i, s in enumerate(sents):
            words[i, : len(s["words"])] = vocab.encode(s["words"])
            tags[i, : len(s["tags"])] = torch.tensor([tag_id[t] for t in s["tags"]])
        return Tagged(words, tags, lengths, [s["words"] for s in sents], [s["tags"] for s in sents])

    return POS(split(data["train"]), split(data["test"]), vocab, list(data["upos"]))


def build_vocab(sequences, max_size: int | None = None, tokenizer=None, joiner: str = " ") -> Vocab:
    """A :class:`Vocab` of the ``max_size`` most frequent tokens in ``sequences`` (texts,
    tokenized with ``tokenizer``, or token lists); ties broken alphabetically."""
    split = tokenizer if tokenizer is not None else str.split
    token_lists = [split(s) if isinstance(s, str) else s for s in sequences]
    return Vocab(rank_tokens(token_lists, max_size), tokenizer=tokenizer, joiner=joiner)
