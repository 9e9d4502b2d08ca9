"""Sequence models over one RNN: many-to-one classifier, synced tagger, character LM.

Every model takes batch_first inputs, either token ids (B, T) through an
embedding or raw features (B, T, F), plus optional ``lengths`` (B,) for padded
batches; padding is handled by packing, so it changes nothing in the result.
Letters: L layers, D directions, B batch, T time, H units, V vocabulary, C classes.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from .._restore import eval_mode
from . import validate as _check
from .rnn import last_layer_state, make_rnn, run_rnn as run

__all__ = ["SequenceClassifier", "Tagger", "CharLM"]


class _Inputs(nn.Module):
    """Embedding of token ids (vocab_size given) or identity on raw features (input_size given)."""

    def __init__(self, vocab_size: int | None, input_size: int | None, embed_dim: int,
                 padding_idx: int | None, dropout: float):
        super().__init__()
        if (vocab_size is None) == (input_size is None):
            raise ValueError("give exactly one of vocab_size (token ids) or input_size (raw features), "
                             f"got vocab_size={vocab_size}, input_size={input_size}")
        self.vocab_size, self.input_size = vocab_size, input_size
        self.embedding = (nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
                          if vocab_size is not None else None)
        self.size = embed_dim if vocab_size is not None else input_size
        self.dropout = nn.Dropout(dropout)

    def check_padding(self, x: torch.Tensor, lengths: torch.Tensor | None) -> None:
        """Token ids with lengths must be padded at the end (see ``validate.padded_at_the_end``)."""
        if self.embedding is not None:
            _check.padded_at_the_end(x, lengths, self.embedding.padding_idx)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            return self.dropout(self.embedding(_check.token_ids(x, self.vocab_size)))  # (B, T, E)
        return self.dropout(_check.features(x, self.input_size))                       # (B, T, F)


class SequenceClassifier(nn.Module):
    """Many-to-one: read a whole sequence, output one prediction (e.g. sentiment).

    Args:
        vocab_size: token ids in [0, vocab_size) go through an embedding of ``embed_dim``;
        input_size: or raw features of this size (give exactly one of the two);
        hidden_size, num_classes, cell ("rnn" | "lstm" | "gru"), num_layers, bidirectional;
        pooling: how the per-step states become one vector: "last" (final state of each
            direction), "max" or "mean" over the valid steps, or "meanmax" (both, concatenated);
        dropout: between stacked layers; embed_dropout: on the inputs; padding_idx: embedding pad id.

    ``forward(x, lengths=None)``: x (B, T) ids or (B, T, F) features -> logits (B, C).
    The recurrent part is ``self.rnn``.
    """

    POOLINGS = ("last", "max", "mean", "meanmax")

    def __init__(self, vocab_size: int | None = None, *, input_size: int | None = None,
                 embed_dim: int = 32, hidden_size: int = 64, num_classes: int = 2, cell: str = "gru",
                 num_layers: int = 1, bidirectional: bool = False, pooling: str = "last",
                 dropout: float = 0.0, embed_dropout: float = 0.0, padding_idx: int | None = 0):
        super().__init__()
        if pooling not in self.POOLINGS:
            raise ValueError(f"pooling must be one of {self.POOLINGS}, got {pooling!r}")
        self.inputs = _Inputs(vocab_size, input_size, embed_dim, padding_idx, embed_dropout)
        self.rnn = make_rnn(cell, self.inputs.size, hidden_size, num_layers, bidirectional, dropout)
        self.pooling = pooling
        width = hidden_size * (2 if bidirectional else 1) * (2 if pooling == "meanmax" else 1)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        e = self.inputs(x)                                               # (B, T, E)
        B, T = e.shape[:2]
        lengths = _check.lengths(lengths, B, T)
        self.inputs.check_padding(x, lengths)
        out, h_n = run(self.rnn, e, lengths)                             # (B, T, D*H), (L*D, B, H)
        if self.pooling == "last":
            return self.head(last_layer_state(h_n, self.rnn))            # (B, C)
        valid = _check.valid_mask(lengths, B, T, out.device)[:, :, None]  # (B, T, 1)
        pooled = []
        if self.pooling in ("mean", "meanmax"):
            n = valid.sum(1) if lengths is not None else T               # (B, 1)
            pooled.append(out.sum(1) / n)                                # (B, D*H), padded steps are 0
        if self.pooling in ("max", "meanmax"):
            masked = out if lengths is None else out.masked_fill(~valid, float("-inf"))
            pooled.append(masked.amax(1))                                # (B, D*H)
        return self.head(torch.cat(pooled, dim=-1))                      # (B, C)


class Tagger(nn.Module):
    """Many-to-many, synced: one output per input step (e.g. part-of-speech tags).

    Args as :class:`SequenceClassifier` (no pooling), with ``num_tags`` outputs per step.
    A bidirectional tagger sees the whole sentence at every step.

    ``forward(x, lengths=None)``: x (B, T) ids or (B, T, F) -> logits (B, T, num_tags);
    steps past a sequence's length get logits from a zero state (mask them in the loss).
    """

    def __init__(self, vocab_size: int | None = None, *, input_size: int | None = None,
                 num_tags: int = 2, embed_dim: int = 32, hidden_size: int = 64, cell: str = "gru",
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.0,
                 embed_dropout: float = 0.0, padding_idx: int | None = 0):
        super().__init__()
        self.inputs = _Inputs(vocab_size, input_size, embed_dim, padding_idx, embed_dropout)
        self.rnn = make_rnn(cell, self.inputs.size, hidden_size, num_layers, bidirectional, dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        e = self.inputs(x)                                               # (B, T, E)
        lengths = _check.lengths(lengths, e.shape[0], e.shape[1])
        self.inputs.check_padding(x, lengths)
        out, _ = run(self.rnn, e, lengths)                               # (B, T, D*H)
        return self.head(out)                                            # (B, T, num_tags)


class CharLM(nn.Module):
    """Character language model: predict the next id at every step; generate text one-to-many.

    Args: vocab_size V, embed_dim, hidden_size, cell, num_layers, dropout.
    Unidirectional on purpose: a model that predicts the next character must not see it.

    ``forward(x, hx=None)``: x (B, T) ids -> logits (B, T, V) for the id at t+1.
    ``generate(prompt_ids, n, temperature=1.0, seed=0)``: the prompt followed by n sampled ids.
    """

    def __init__(self, vocab_size: int, *, embed_dim: int = 32, hidden_size: int = 128,
                 cell: str = "lstm", num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = make_rnn(cell, embed_dim, hidden_size, num_layers, False, dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def step(self, x: torch.Tensor, hx=None):
        """x (B, T) ids -> (logits (B, T, V), state to continue from)."""
        e = self.embedding(_check.token_ids(x, self.vocab_size))        # (B, T, E)
        out, hx = self.rnn(e, hx)                                        # (B, T, H)
        return self.head(out), hx                                        # (B, T, V)

    def forward(self, x: torch.Tensor, hx=None) -> torch.Tensor:
        return self.step(x, hx)[0]                                       # (B, T, V)

    @torch.no_grad()
    def generate(self, prompt_ids, n: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
        """Sample ``n`` ids after ``prompt_ids`` (a sequence of ids, (T,), (1, T) or (T, 1)).

        temperature 0 is greedy (argmax); higher is more random. The same seed
        gives the same ids (a private generator: the global RNG is untouched).
        Returns (T + n,) int64: the prompt, then the generated ids.
        """
        given = torch.as_tensor(prompt_ids, dtype=torch.long)
        if given.dim() > 2 or (given.dim() == 2 and min(given.shape) != 1):     # (1, T) or (T, 1): one prompt
            raise ValueError(f"expected one prompt, ids of shape (T,), (1, T) or (T, 1), got shape {tuple(given.shape)}; "
                             "generate from each prompt in turn")
        prompt = given.reshape(-1)                                           # (T,)
        if prompt.numel() == 0:
            raise ValueError("generate needs a prompt of at least one id, got an empty one")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"expected n as a whole number of ids to generate, got {n!r}")
        if isinstance(temperature, torch.Tensor) and temperature.numel() == 1:
            temperature = float(temperature)                                  # a 0-d tensor from a slider or a sweep
        if not isinstance(temperature, numbers.Real) or isinstance(temperature, bool):
            raise TypeError(f"expected temperature as a number >= 0, got {temperature!r}")
        temperature = float(temperature)                                     # numpy float32 too
        if n < 0 or not (0 <= temperature < float("inf")):              # NaN fails this too
            raise ValueError(f"need n >= 0 and a finite temperature >= 0, got n={n}, temperature={temperature}")
        device = self.head.weight.device
        gen = torch.Generator(device=device).manual_seed(seed)
        with eval_mode(self):
            logits, hx = self.step(prompt[None].to(device))                  # (1, T, V)
            out = [prompt.to(device)]
            for _ in range(n):
                last = logits[:, -1]                                         # (1, V)
                if temperature == 0:
                    nxt = last.argmax(-1, keepdim=True)                      # (1, 1)
                else:
                    probs = torch.softmax(last / temperature, dim=-1)        # (1, V)
                    nxt = torch.multinomial(probs, 1, generator=gen)         # (1, 1)
                out.append(nxt[0])
                logits, hx = self.step(nxt, hx)                              # (1, 1, V)
        return torch.cat(out).cpu()                                          # (T + n,)
