"""Exact per-step hidden states, cell states and gates of live torch RNNs.

``trace(rnn, inputs)`` captures one call of an ``nn.RNN``/``nn.LSTM``/``nn.GRU``
(or steps a cell over a sequence); ``record(model)`` captures every recurrent
(and attention) submodule, and every cell stepped in a loop, during an ordinary
``model(x)`` call. Both give ``Trace`` objects in one fixed layout.

- ``_layout``: the ``Trace`` dataclass;
- ``_trace``: ``trace`` for sequence modules (fast and exact, or clamped);
- ``_fast``: the fused-kernel run plus batched gate recompute;
- ``_cells``: cells called once per step, joined into one Trace;
- ``_record``: ``record`` and ``Recording``.
"""
from __future__ import annotations

from ._layout import Trace
from ._record import Recording, record
from ._trace import trace

__all__ = ["Trace", "trace", "record", "Recording"]
