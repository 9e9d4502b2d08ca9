"""Attention layers that show their weights: additive (Bahdanau) and multiplicative (Luong).

Both take a query (what the decoder is looking for) and the encoder's states,
score every source position, turn the scores into weights with a softmax over
the source, and return the weighted sum of the values (the context vector).

Letters: B batch, Q target (query) steps, S source steps, H units.

- query ``(B, Hq)`` for one decoder step, or ``(B, Q, Hq)`` for many at once;
- keys ``(B, S, Hk)``; values ``(B, S, Hv)`` (default: the keys);
- mask ``(B, S)`` bool, True where the source is real and False on padding;
  padded positions get a weight of exactly 0;
- returns ``context`` ``(B, Hv)`` or ``(B, Q, Hv)`` and ``weights`` ``(B, S)`` or
  ``(B, Q, S)``; each row of weights sums to 1 over the source.

After every call the layer keeps ``last_weights``, always ``(B, Q, S)`` (Q = 1
for a single step) and detached, so a view can show it without holding the graph.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["AdditiveAttention", "MultiplicativeAttention"]


class _Attention(nn.Module):
    """Shared checks, masking, softmax and context; subclasses define ``score``."""

    query_size: int
    key_size: int
    # subclasses define score(query (B, Q, Hq), keys (B, S, Hk)) -> (B, Q, S) unnormalised scores

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        values = keys if values is None else values
        single = query.dim() == 2
        if query.dim() not in (2, 3) or query.shape[-1] != self.query_size:
            raise ValueError(f"expected a query of shape (batch, {self.query_size}) or "
                             f"(batch, target, {self.query_size}), got {tuple(query.shape)}")
        if keys.dim() != 3 or keys.shape[-1] != self.key_size or keys.shape[0] != query.shape[0]:
            raise ValueError(f"expected keys of shape ({query.shape[0]}, source, {self.key_size}), "
                             f"got {tuple(keys.shape)}")
        if values.dim() != 3 or values.shape[:2] != keys.shape[:2]:
            raise ValueError(f"expected values of shape ({keys.shape[0]}, {keys.shape[1]}, any), "
                             f"got {tuple(values.shape)}")
        q = query.unsqueeze(1) if single else query                    # (B, Q, Hq)
        scores = self.score(q, keys)                                   # (B, Q, S)
        if mask is not None:
            if mask.shape != keys.shape[:2] or mask.dtype != torch.bool:
                raise ValueError(f"expected a bool mask of shape {tuple(keys.shape[:2])} "
                                 f"(True on real source steps), got {mask.dtype} {tuple(mask.shape)}")
            if not bool(mask.any(dim=1).all()):
                raise ValueError("every sequence needs at least one unmasked source step; "
                                 "got a mask row that is all False")
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))  # exp(-inf) = 0 exactly
        weights = torch.softmax(scores, dim=-1)                        # (B, Q, S)
        context = weights @ values                                     # (B, Q, Hv)
        self.last_weights = weights.detach()                           # (B, Q, S)
        if single:
            return context.squeeze(1), weights.squeeze(1)              # (B, Hv), (B, S)
        return context, weights


class AdditiveAttention(_Attention):
    """Bahdanau's score: ``v . tanh(W_q q + W_k k)``, a one-hidden-layer net per pair.

    Args: query_size Hq, key_size Hk, attention_size A (the hidden width of the scorer).
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int | None = None):
        super().__init__()
        self.query_size, self.key_size = query_size, key_size
        attention_size = attention_size or key_size
        self.w_query = nn.Linear(query_size, attention_size, bias=False)
        self.w_key = nn.Linear(key_size, attention_size, bias=True)
        self.v = nn.Linear(attention_size, 1, bias=False)
        self.last_weights: torch.Tensor | None = None

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        q = self.w_query(query)                                        # (B, Q, A)
        k = self.w_key(keys)                                           # (B, S, A)
        e = torch.tanh(q[:, :, None, :] + k[:, None, :, :])            # (B, Q, S, A)
        return self.v(e).squeeze(-1)                                   # (B, Q, S)


class MultiplicativeAttention(_Attention):
    """Luong's score: ``q . W k`` ("general") or ``q . k`` ("dot").

    Args: query_size Hq, key_size Hk, method "general" (learned W) or "dot"
    (needs Hq == Hk), scaled: divide by sqrt(Hk) as Transformers do.
    """

    def __init__(self, query_size: int, key_size: int, method: str = "general", scaled: bool = False):
        super().__init__()
        if method not in ("general", "dot"):
            raise ValueError(f"method must be 'general' or 'dot', got {method!r}")
        if method == "dot" and query_size != key_size:
            raise ValueError(f"'dot' attention needs query_size == key_size, got {query_size} and {key_size}")
        self.query_size, self.key_size, self.method, self.scaled = query_size, key_size, method, scaled
        self.w = nn.Linear(key_size, query_size, bias=False) if method == "general" else None
        self.last_weights: torch.Tensor | None = None

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        k = self.w(keys) if self.w is not None else keys               # (B, S, Hq)
        scores = query @ k.transpose(1, 2)                             # (B, Q, S)
        return scores / self.key_size ** 0.5 if self.scaled else scores
