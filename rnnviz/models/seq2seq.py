"""Encoder-decoder (many-to-many, lengths may differ), with or without attention.

The encoder reads the source with a plain ``nn.GRU``/``nn.LSTM`` (packed, so
padding is free). The decoder steps one token at a time through its own
``nn.GRU``/``nn.LSTM`` (``self.decoder``):

- ``attention=None``: the encoder's final state is all the decoder gets;
- ``"additive"`` (Bahdanau): before each step, the previous decoder state
  attends over the source; the context joins the input of the step and the output layer;
- ``"multiplicative"`` (Luong): after each step, the new decoder state attends;
  ``tanh(W [state; context])`` predicts the token and is fed to the next step.

Training uses teacher forcing (``forward``), inference greedy decoding
(``greedy``). After either, ``last_attention`` holds the (B, target, source)
weights of that call (detached), or None without attention.
Letters: B batch, S source steps, T target steps, E embedding, H units, V vocabulary.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from ..attention import AdditiveAttention, MultiplicativeAttention
from . import validate as _check
from .rnn import make_rnn, run_rnn as run

__all__ = ["Seq2Seq"]


class Seq2Seq(nn.Module):
    """Args:
        src_vocab, tgt_vocab: vocabulary sizes; bos_id starts decoding, eos_id ends it (required:
            the target vocabulary's own "<s>"/"</s>" ids; rnnviz's Vocab gives 0 and 1 to <pad> and
            <unk>, so a default would have started decoding from one of them);
        embed_dim, hidden_size, cell ("gru" | "lstm"), attention (None | "additive" | "multiplicative");
        bidirectional_encoder: read the source both ways (a linear bridge maps the
            2H final state to the decoder's H); pad_id: the source padding id.
    ``forward(src (B, S), src_lengths (B,), tgt_in (B, T))`` -> logits (B, T, V), where tgt_in
    is the target shifted right (starting with bos_id).
    ``greedy(src, src_lengths, max_len)`` -> (B, max_len) ids, pad_id after each eos_id.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, *, embed_dim: int = 32, hidden_size: int = 64,
                 cell: str = "gru", attention: str | None = "additive", bidirectional_encoder: bool = False,
                 bos_id: int, eos_id: int, pad_id: int = 0):
        super().__init__()
        for what, value, size in (("bos_id", bos_id, tgt_vocab), ("eos_id", eos_id, tgt_vocab)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < size:
                raise ValueError(f"expected {what} as a target id in 0..{size - 1}, got {value!r}")
        bos_id, eos_id = int(bos_id), int(eos_id)
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        if attention not in (None, "additive", "multiplicative"):
            raise ValueError(f"attention must be None, 'additive' or 'multiplicative', got {attention!r}")
        self.src_vocab, self.tgt_vocab, self.attention_kind = src_vocab, tgt_vocab, attention
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        H, E = hidden_size, embed_dim
        enc_size = H * (2 if bidirectional_encoder else 1)
        self.src_embedding = nn.Embedding(src_vocab, E, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab, E)
        self.encoder = make_rnn(cell, E, H, 1, bidirectional_encoder)
        self.bridge = nn.Linear(enc_size, H) if bidirectional_encoder else None
        extra = {None: 0, "additive": enc_size, "multiplicative": H}[attention]
        self.decoder = make_rnn(cell, E + extra, H)
        if attention == "additive":
            self.attention = AdditiveAttention(H, enc_size, H)
            self.out = nn.Linear(H + enc_size, tgt_vocab)
        elif attention == "multiplicative":
            self.attention = MultiplicativeAttention(H, enc_size, "general")
            self.combine = nn.Linear(H + enc_size, H)
            self.out = nn.Linear(H, tgt_vocab)
        else:
            self.attention = None
            self.out = nn.Linear(H, tgt_vocab)
        self.last_attention: torch.Tensor | None = None

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None):
        """src (B, S) -> (states (B, S, D*H), mask (B, S), decoder's initial state)."""
        _check.token_ids(src, self.src_vocab, "source ids")
        B, S = src.shape
        lengths = _check.lengths(src_lengths, B, S)
        _check.padded_at_the_end(src, lengths, self.src_embedding.padding_idx)
        states, _ = run(self.encoder, self.src_embedding(src), lengths)       # (B, S, D*H)
        mask = _check.valid_mask(lengths, B, S, src.device)                    # (B, S)
        last = lengths - 1 if lengths is not None else torch.full((B,), S - 1)
        fwd = states[torch.arange(B), last.to(src.device), : self.encoder.hidden_size]  # (B, H)
        if self.bridge is None:
            h0 = fwd[None]                                                     # (1, B, H)
        else:
            bwd = states[:, 0, self.encoder.hidden_size:]                      # (B, H)
            h0 = torch.tanh(self.bridge(torch.cat([fwd, bwd], -1)))[None]      # (1, B, H)
        state = (h0, torch.zeros_like(h0)) if isinstance(self.decoder, nn.LSTM) else h0
        return states, mask, state

    def _step(self, y_prev: torch.Tensor, state, feed: torch.Tensor | None, states, mask):
        """One decoder step. y_prev (B,) ids -> (logits (B, V), state, feed, weights (B, S) or None)."""
        e = self.tgt_embedding(y_prev)                                         # (B, E)
        h_prev = state[0] if isinstance(state, tuple) else state               # (1, B, H)
        weights = None
        if self.attention_kind == "additive":
            context, weights = self.attention(h_prev[0], states, mask=mask)    # (B, D*H), (B, S)
            out, state = self.decoder(torch.cat([e, context], -1)[:, None], state)  # (B, 1, H)
            logits = self.out(torch.cat([out[:, 0], context], -1))             # (B, V)
        elif self.attention_kind == "multiplicative":
            out, state = self.decoder(torch.cat([e, feed], -1)[:, None], state)  # (B, 1, H)
            context, weights = self.attention(out[:, 0], states, mask=mask)    # (B, D*H), (B, S)
            feed = torch.tanh(self.combine(torch.cat([out[:, 0], context], -1)))  # (B, H)
            logits = self.out(feed)                                            # (B, V)
        else:
            out, state = self.decoder(e[:, None], state)                       # (B, 1, H)
            logits = self.out(out[:, 0])                                       # (B, V)
        return logits, state, feed, weights

    def _initial_feed(self, states: torch.Tensor) -> torch.Tensor | None:
        if self.attention_kind != "multiplicative":
            return None
        return states.new_zeros(states.shape[0], self.decoder.hidden_size)     # (B, H)

    def _keep(self, weights: list) -> None:
        self.last_attention = torch.stack(weights, 1).detach() if weights and weights[0] is not None else None

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor | None, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits (B, T, V) for each next target token given the true previous ones."""
        _check.token_ids(tgt_in, self.tgt_vocab, "target ids")
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"source and target batch sizes differ: {src.shape[0]} and {tgt_in.shape[0]}")
        states, mask, state = self.encode(src, src_lengths)
        feed = self._initial_feed(states)
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            step_logits, state, feed, w = self._step(tgt_in[:, t], state, feed, states, mask)
            logits.append(step_logits)
            weights.append(w)
        self._keep(weights)
        return torch.stack(logits, 1)                                          # (B, T, V)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None, max_len: int = 20) -> torch.Tensor:
        """Greedy decoding: (B, max_len) ids, each the argmax given the model's own previous ones."""
        if isinstance(max_len, bool) or not isinstance(max_len, numbers.Integral) or max_len < 1:
            raise ValueError(f"expected max_len as a whole number of steps, at least 1, got {max_len!r}")
        states, mask, state = self.encode(src, src_lengths)
        feed = self._initial_feed(states)
        B = src.shape[0]
        y = torch.full((B,), self.bos_id, dtype=torch.long, device=src.device)  # (B,)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)             # (B,)
        ids, weights = [], []
        for _ in range(max_len):
            logits, state, feed, w = self._step(y, state, feed, states, mask)
            y = logits.argmax(-1)                                              # (B,)
            ids.append(y.masked_fill(done, self.pad_id))
            weights.append(w)
            done |= y == self.eos_id
            if bool(done.all()):
                break
        self._keep(weights)
        out = torch.stack(ids, 1)                                              # (B, T')
        pad = out.new_full((B, max_len - out.shape[1]), self.pad_id)
        return torch.cat([out, pad], 1)                                        # (B, max_len)
