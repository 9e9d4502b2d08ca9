"""Metrics and losses ``rnnviz.fit`` users pass in: accuracy and per-token cross-entropy.
Letters: B batch, T time, C classes, V vocabulary."""
from __future__ import annotations

import torch
from torch import nn


def accuracy(output: torch.Tensor, target: torch.Tensor, ignore_index: int = -100) -> float:
    """Fraction of correct predictions.

    - logits (B, C) and class ids (B,): argmax; logits (B, T, C) and ids (B, T): per token,
      skipping targets equal to ``ignore_index``;
    - one logit per example (B,) or (B, 1) and 0/1 targets (B,) or (B, 1) (the shapes
      ``binary_cross_entropy_with_logits`` takes): positive logit means class 1.
    """
    if output.dim() == target.dim() + 1 and output.shape[:-1] == target.shape and output.shape[-1] > 1:
        pred = output.argmax(-1)                                    # (B,) or (B, T)
    elif (output.reshape(output.shape[0], -1).shape[1] == 1 and target.dim() in (1, 2)
          and target.reshape(target.shape[0], -1).shape[1] == 1 and output.shape[0] == target.shape[0]):
        pred = (output.reshape(-1) > 0).long()                     # (B,)
        target = (target.reshape(-1) > 0.5).long()
    else:
        raise ValueError(f"expected logits (B, C) with targets (B,), (B, T, C) with (B, T), or (B,)/(B, 1) "
                         f"with (B,)/(B, 1); got {tuple(output.shape)} and {tuple(target.shape)}")
    keep = target != ignore_index
    if not bool(keep.any()):
        raise ValueError(f"every target equals ignore_index={ignore_index}: nothing to score")
    return float((pred[keep] == target[keep]).float().mean())


def token_cross_entropy(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Cross-entropy of per-step logits (B, T, V) against ids (B, T), skipping ``ignore_index``."""
    if logits.dim() != 3 or logits.shape[:2] != target.shape:
        raise ValueError(f"expected logits (B, T, V) and targets (B, T), got {tuple(logits.shape)} "
                         f"and {tuple(target.shape)}")
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                       ignore_index=ignore_index)
