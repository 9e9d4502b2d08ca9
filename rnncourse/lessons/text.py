"""Helpers for notebooks 06 (words: integer codes vs embeddings) and 07 (RNNs vs Transformers).

- :class:`CodedClassifier` - one RNN classifier that reads word ids as a raw integer, a
  one-hot vector or a learned embedding, so the three codings compare side by side.
- :class:`PooledEmbedding` - the mean of a review's word embeddings, then a linear layer.
- :func:`subset`, :func:`cap_vocab`, :func:`one_cycle`, :func:`fit_reviews`, :func:`review_encoder`, :func:`sentiment`,
  :func:`word_scores`, :func:`embedding_map` - the rest of notebook 06's wiring.
- :class:`SelfAttentionClassifier` - one Transformer encoder layer that classifies from its last position.
- :func:`race` - an RNN against a Transformer layer of the same size over growing lengths.
- :class:`CachedLayer` and :func:`stream_costs` - generating token by token: an RNN's fixed
  state against a Transformer's growing key/value cache.
- :func:`char_windows`, :func:`unigram_loss` - data and the baseline for a character LM.

Letters: B batch, T time, H units, E embedding size, V vocabulary, C classes, S cached steps.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnviz.data import UNK, Vocab
from rnnviz.models import last_layer_state, make_rnn, run_rnn as run
from ._text_speed import CachedLayer, Race, race, stream_costs

__all__ = ["CODINGS", "CodedClassifier", "PooledEmbedding", "subset", "cap_vocab", "one_cycle", "fit_reviews", "review_encoder",
           "sentiment", "word_scores", "embedding_map", "SelfAttentionClassifier", "Race", "race", "CachedLayer",
           "stream_costs", "char_windows", "unigram_loss"]

CODINGS = ("integer", "onehot", "embedding")


def _ids(x: torch.Tensor, vocab_size: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dtype != torch.long or x.dim() != 2:
        raise ValueError(f"expected (batch, time) int64 word ids, got "
                         f"{getattr(x, 'dtype', type(x).__name__)} {tuple(getattr(x, 'shape', ()))}")
    if x.numel() and not (0 <= int(x.min()) and int(x.max()) < vocab_size):
        raise ValueError(f"expected ids in 0..{vocab_size - 1}, got {int(x.min())}..{int(x.max())}")
    return x


class CodedClassifier(nn.Module):
    """Many-to-one RNN classifier whose input coding of a word id is a choice.

    - ``"integer"``: the id itself as one number per step, scaled to 0..1 (``id / (V - 1)``);
    - ``"onehot"``: a V-long vector with a single 1 at the id;
    - ``"embedding"``: a learned E-long vector per id (``nn.Embedding(V, E)``).

    ``forward(ids, lengths=None)``: ids (B, T) int64 -> logits (B, C) from the final state
    (``pooling="last"``) or the mean of the states over the valid steps (``"mean"``: every
    step gets a direct gradient, so it learns faster). Padded steps are packed away.
    The recurrent part is ``self.rnn``.
    """

    def __init__(self, vocab_size: int, coding: str, *, embed_dim: int = 2, hidden_size: int = 32,
                 cell: str = "rnn", pooling: str = "last", num_classes: int = 2):
        super().__init__()
        if coding not in CODINGS:
            raise ValueError(f"coding must be one of {CODINGS}, got {coding!r}")
        if pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.vocab_size, self.coding, self.pooling = vocab_size, coding, pooling
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0) if coding == "embedding" else None
        width = {"integer": 1, "onehot": vocab_size, "embedding": embed_dim}[coding]
        self.rnn = make_rnn(cell, width, hidden_size)
        self.head = nn.Linear(hidden_size, num_classes)

    def code(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) -> the RNN's input (B, T, 1 | V | E)."""
        ids = _ids(ids, self.vocab_size)
        if self.coding == "integer":
            return (ids.float() / (self.vocab_size - 1))[..., None]                  # (B, T, 1)
        if self.coding == "onehot":
            return nn.functional.one_hot(ids, self.vocab_size).float()                # (B, T, V)
        return self.embedding(ids)                                                    # (B, T, E)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out, h_n = run(self.rnn, self.code(ids), lengths)                             # (B, T, H), (1, B, H)
        if self.pooling == "last":
            return self.head(last_layer_state(h_n, self.rnn))                         # (B, C)
        steps = lengths.to(out.dtype)[:, None] if lengths is not None else out.shape[1]  # (B, 1)
        return self.head(out.sum(1) / steps)                                          # (B, C), padding is 0


class PooledEmbedding(nn.Module):
    """The mean of the word embeddings of a review (padding id 0 left out), then a linear layer.

    No recurrence: word order is ignored, and every extra word costs one lookup.
    ``forward(ids, lengths=None)``: ids (B, T) int64 -> logits (B, C).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_classes: int = 2):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean", padding_idx=0)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.embedding(_ids(ids, self.vocab_size)))                  # (B, C)


def subset(split, n: int, seed: int = 0):
    """``n`` reviews of an IMDB ``Reviews`` split drawn at random (seeded), as a ``Reviews`` again."""
    from dataclasses import fields, replace

    if not 1 <= n <= len(split):
        raise ValueError(f"expected n in 1..{len(split)}, got {n}")
    pick = torch.randperm(len(split), generator=torch.Generator().manual_seed(seed))[:n]   # (n,)
    return replace(split, **{f.name: getattr(split, f.name)[pick] for f in fields(split)})


def cap_vocab(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Ids at or above ``vocab_size`` become ``<unk>`` (1); padding (0) stays. Same shape."""
    if vocab_size < 2:
        raise ValueError(f"expected vocab_size >= 2 (<pad> and <unk>), got {vocab_size}")
    return torch.where(ids < vocab_size, ids, torch.full_like(ids, UNK))


def one_cycle(max_lr: float, warmup: float = 0.2):
    """A ``scheduler=`` for ``rnnviz.fit``: warm up to ``max_lr`` over ``warmup`` of the steps, then anneal."""
    return lambda optimizer, total: torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, pct_start=warmup)


def fit_reviews(model: nn.Module, train, test, *, epochs: int, batch_size: int = 64, max_lr: float = 1e-2,
                vocab_size: int | None = None, seed: int = 0) -> tuple:
    """Train ``model(ids, lengths)`` on IMDB ``Reviews`` and score it on ``test``.

    Batches come in length buckets (little padding to pack), the learning rate follows
    :func:`one_cycle`; ``vocab_size`` caps the ids first (see :func:`cap_vocab`).
    Returns (the ``rnnviz.fit`` History, test accuracy).
    """
    from rnnviz.train import BucketBatches, evaluate, fit

    def tensors(split):
        ids = split.ids if vocab_size is None else cap_vocab(split.ids, vocab_size)
        return ids, split.lengths, split.labels                                       # (N, T), (N,), (N,)

    batches = BucketBatches(tensors(train), train.lengths, batch_size, seed=seed)
    history = fit(model, batches, epochs=epochs, loss_fn=nn.functional.cross_entropy,
                  scheduler=one_cycle(max_lr), seed=seed)
    return history, evaluate(model, BucketBatches(tensors(test), test.lengths, 1000, seed=seed))


def review_encoder(vocab: Vocab, max_len: int | None = None):
    """``encode(text) -> (ids (1, T), words)``: a review as the models read it (last ``max_len`` words).

    ``words`` is an ``rnnviz.views.Tokens`` list (a list of str) that also says
    what the views should show: ``dropped``, how many words were cut from the
    start, and ``unknown``, the steps whose word is not in the vocabulary (read as <unk>).
    """
    from rnnviz.views import Tokens

    def encode(text: str):
        words = vocab.tokenizer(text)
        kept = words[-max_len:] if max_len else words
        if not kept:
            raise ValueError(f"expected a text with at least one word, got {text!r}")
        return vocab.encode(kept)[None], Tokens(kept, dropped=len(words) - len(kept),      # (1, T)
                                                unknown=[t for t, w in enumerate(kept) if w not in vocab])
    return encode


@torch.no_grad()
def sentiment(model: nn.Module, encode, text: str) -> float:
    """P(positive) the model gives ``text`` (class 1 of a two-class classifier)."""
    was = model.training
    model.eval()
    ids, _ = encode(text)
    p = float(torch.softmax(model(ids), dim=-1)[0, 1])
    model.train(was)
    return p


@torch.no_grad()
def word_scores(model: PooledEmbedding, vocab: Vocab, words) -> torch.Tensor:
    """How far each word alone pushes a :class:`PooledEmbedding` towards "positive": (N,) logit differences."""
    ids = vocab.encode(list(words))                                                   # (N,)
    e = model.embedding.weight[ids]                                                   # (N, E)
    w = model.head.weight                                                             # (2, E)
    return e @ (w[1] - w[0])                                                          # (N,)


def _plane(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Rows ``ids`` of an embedding matrix in 2-d: as they are for E = 2, else their two main axes (PCA)."""
    x = weight.detach().float()[ids]                                                  # (N, E)
    if x.shape[1] == 2:
        return x
    x = x - x.mean(0)
    _, _, v = torch.linalg.svd(x, full_matrices=False)                                # v (E', E)
    return x @ v[:2].T                                                                # (N, 2)


_GROUP_COLOURS = ("#0072B2", "#D55E00", "#7F7F7F", "#009E73", "#CC79A7", "#E69F00")   # Okabe-Ito
_GROUP_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x")


def embedding_map(weight: torch.Tensor, vocab: Vocab, groups: dict, title: str = "word embeddings"):
    """A labelled scatter of word vectors: ``groups`` {name: [words]}; returns a plotly Figure."""
    import plotly.graph_objects as go

    names = [(g, w) for g, words in groups.items() for w in words if w in vocab]
    if not names:
        raise ValueError(f"none of the words in {groups!r} is in the vocabulary")
    xy = _plane(weight, vocab.encode([w for _, w in names]))                          # (N, 2)
    fig = go.Figure(layout={"title": {"text": title}, "height": 480, "template": "plotly_white",  # rnnviz's look
                            "xaxis": {"title": {"text": "axis 1"}}, "yaxis": {"title": {"text": "axis 2"}}})
    where = label_positions(xy.tolist(), [w for _, w in names])      # each word where it covers the least
    for k, g in enumerate(groups):
        rows = [i for i, (gi, _) in enumerate(names) if gi == g]
        # colours a colour-blind reader can tell apart (blue, vermillion, grey, ...) and a marker shape per group
        fig.add_scatter(x=xy[rows, 0].tolist(), y=xy[rows, 1].tolist(), mode="markers+text", name=g,
                        text=[names[i][1] for i in rows],
                        marker={"color": _GROUP_COLOURS[k % len(_GROUP_COLOURS)], "size": 9,
                                "symbol": _GROUP_SYMBOLS[k % len(_GROUP_SYMBOLS)]},
                        textposition=[where[i] for i in rows])
    return fig


# where a label can sit around its point: (plotly textposition, which side of the point its box's
# centre lies on, across and up); above and below first, then to the sides and the corners
_PLACES = (("top center", 0, 1), ("bottom center", 0, -1), ("middle right", 1, 0), ("middle left", -1, 0),
           ("top right", 1, 1), ("bottom left", -1, -1), ("top left", -1, 1), ("bottom right", 1, -1))


def label_positions(xy: list[list[float]], words: list[str], width_px: float = 700.0,
                    height_px: float = 340.0, char_px: float = 7.0, line_px: float = 16.0) -> list[str]:
    """A plotly ``textposition`` for each labelled point, chosen greedily (points in order) so that its
    label covers as little as possible of the labels already placed and of the points.

    xy: (N, 2) data coordinates; the plot area is taken as ``width_px`` x ``height_px`` (a laptop's);
    a label is ``char_px`` per character wide and ``line_px`` high.
    """
    if not xy:
        return []
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    span = lambda v: (max(v) - min(v)) or 1.0  # noqa: E731
    sx, sy = width_px / (1.1 * span(xs)), height_px / (1.1 * span(ys))      # px per data unit (axis padding)
    pts = [(x * sx, y * sy) for x, y in zip(xs, ys)]
    dot = 6.0                                                               # px: half a marker, and a gap

    def overlap(a, b) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return max(0.0, w) * max(0.0, h)

    placed, out = [], []
    for (px, py), word in zip(pts, words):
        w, h = char_px * max(1, len(word)), line_px
        best = None
        for name, kx, ky in _PLACES:
            cx, cy = px + kx * (dot + w / 2), py + ky * (dot + h / 2)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            cost = sum(overlap(box, other) for other in placed)
            cost += sum(overlap(box, (qx - dot, qy - dot, qx + dot, qy + dot)) for qx, qy in pts)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, name, box)
        placed.append(best[2])
        out.append(best[1])
    return out


class SelfAttentionClassifier(nn.Module):
    """Token ids -> embedding + learned position -> one ``nn.TransformerEncoderLayer`` -> logits
    read at the last position.

    ``forward(ids)``: ids (B, T) int64 with T <= max_len -> logits (B, C). The attention
    module is ``self.encoder.self_attn`` (``rnnviz.record`` gives its per-head weights).
    """

    def __init__(self, vocab_size: int, max_len: int, *, d_model: int = 32, nhead: int = 2,
                 dim_feedforward: int = 64, num_classes: int = 2):
        super().__init__()
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.encoder = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        ids = _ids(ids, self.vocab_size)
        if ids.shape[1] > self.max_len:
            raise ValueError(f"expected at most {self.max_len} steps, got {ids.shape[1]}")
        z = self.embedding(ids) + self.position.weight[: ids.shape[1]]                # (B, T, E)
        return self.head(self.encoder(z)[:, -1])                                      # (B, C)


def char_windows(ids: torch.Tensor, n: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random windows of a (N,) id stream: inputs x (n, length) and next ids y (n, length)."""
    if ids.dim() != 1 or ids.shape[0] <= length + 1:
        raise ValueError(f"expected a (N,) id stream longer than length + 1 = {length + 1}, got {tuple(ids.shape)}")
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, ids.shape[0] - length - 1, (n,), generator=g)          # (n,)
    idx = starts[:, None] + torch.arange(length + 1)                                  # (n, length+1)
    w = ids[idx]
    return w[:, :-1], w[:, 1:]


def unigram_loss(train_ids: torch.Tensor, test_ids: torch.Tensor, vocab_size: int) -> float:
    """Cross-entropy (nats per id) on test_ids of the add-one smoothed id frequencies of train_ids:
    what a model that ignores all context at best achieves."""
    counts = torch.bincount(train_ids.reshape(-1), minlength=vocab_size).double() + 1.0  # (V,)
    logp = (counts / counts.sum()).log()
    return float(-logp[test_ids.reshape(-1)].mean())
