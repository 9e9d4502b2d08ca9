"""How far the error signal travels: the gradient of a classifier's loss with respect to each input step.

Notebook 07 uses it to separate two things said of Transformers: they run in parallel (a question of
speed), and every position is one hop from every other (a question of the gradient's path).

- :func:`step_gradients` - mean gradient norm of the loss with respect to each step's input vector.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["step_gradients"]


def step_gradients(model: nn.Module, embedding: nn.Embedding, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ‖∂ loss / ∂ e_t‖ for every step t, where e_t is the output of ``embedding``
    (an ``nn.Embedding`` inside ``model``) at step t and the loss is the cross-entropy of ``model(x)``
    logits (B, C) against ``y`` (B,). Returns (T,). The model is left in the mode it was in."""
    grabbed = {}

    def keep(module, args, out):
        out.retain_grad()
        grabbed["e"] = out                                                        # (B, T, E)

    handle = embedding.register_forward_hook(keep)
    was = model.training
    model.eval()
    try:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
    finally:
        handle.remove()
        model.train(was)
        model.zero_grad(set_to_none=True)
    return grabbed["e"].grad.norm(dim=-1).mean(0)                                # (T,)
