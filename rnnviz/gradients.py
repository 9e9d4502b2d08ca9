"""Per-time-step gradient norms: BPTT made visible.

(Foundation skeleton: the GradientFlow layout is the contract of
../shared/DESIGN.md; ``gradient_flow`` is filled in by issue 4.)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class GradientFlow:
    """Gradient norms of one forward/backward pass.

    - ``hidden``: (L, D, B, T), L2 norm over units of the total dL/dh_t.
    - ``inputs``: (B, T), L2 norm of dL/dx_t at the recurrent module's input.
    - ``loss``: the scalar loss value (float).
    - ``module_name``: qualified name of the inspected recurrent submodule ("" for the model itself).
    - ``finite``: False when any norm is inf or NaN (exploding gradients), never raised.
    """

    hidden: torch.Tensor
    inputs: torch.Tensor
    loss: float
    module_name: str = ""
    kind: str = ""
    finite: bool = True
