"""Exact per-step hidden states, cell states and gates of live torch RNNs.

(Foundation skeleton: the Trace layout is the contract of ../shared/DESIGN.md;
``trace`` and ``record`` are filled in by the capture work, issue 3.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Trace:
    """Everything a recurrent module computed, in one layout whatever ``batch_first`` says.

    Letters: L layers, D directions, B batch, T time, H hidden size, P = proj_size or H.

    - ``hidden``: (L, D, B, T, P), h_t after the step at input position t
      (backward direction: after reading positions t..end, as torch lays out ``output``).
    - ``cell``: (L, D, B, T, H) for an LSTM, else None.
    - ``gates``: name -> (L, D, B, T, H). LSTM "input", "forget", "cell", "output";
      GRU "reset", "update", "new"; RNN: {}.
    - ``output``, ``h_n``, ``c_n``: what the module itself returns (its own layout).
    - ``lengths``: (B,) int64; steps at or past a sequence's length are NaN.
    - ``kind``: "RNN", "LSTM" or "GRU".
    """

    kind: str
    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    output: torch.Tensor
    h_n: torch.Tensor
    c_n: torch.Tensor | None
    lengths: torch.Tensor
    batch_first: bool = False
    notes: list[str] = field(default_factory=list)
