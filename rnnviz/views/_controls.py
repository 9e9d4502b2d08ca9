"""The clamp controls of a live LSTM/GRU view: which gate, and the value it is held at.

The options name the quantity, not the PyTorch gate key: "candidate g" is the
LSTM's g_t (``"cell"`` in ``rnnviz.trace(clamp=...)``), never the cell state
c_t; "candidate n" is the GRU's n_t. The value slider is hidden while nothing
is clamped (it would show a value that is not in use) and spans the gate's own
range: 0..1 for a sigmoid gate, -1..1 for a tanh candidate. Changing either
recomputes through the view's ``WhatIf`` state, which keeps the time cursor
where the user left it.
"""
from __future__ import annotations

from .._recurrent.cells import GATE_NAMES, GATE_RANGE

LABELS = {"input": "input gate i", "forget": "forget gate f", "cell": "candidate g", "output": "output gate o",
          "reset": "reset gate r", "update": "update gate z", "new": "candidate n"}


def clamp_controls(state) -> list:
    """[dropdown, value slider] for ``state`` (a ``_whatif.WhatIf`` of an LSTM/GRU), or [] for a plain RNN."""
    import ipywidgets as widgets
    gates = GATE_NAMES.get(state.trace.kind, ())
    if not gates:
        return []
    start = next(iter(state.clamp), "none")
    which = widgets.Dropdown(options=[("none", "none")] + [(LABELS.get(g, g), g) for g in gates], value=start,
                             description="clamp", layout=widgets.Layout(width="220px"))
    lo, hi = GATE_RANGE.get(start, (0.0, 1.0))
    value = widgets.FloatSlider(value=float(state.clamp.get(start, 1.0)), min=lo, max=hi, step=0.05,
                                continuous_update=False, description="to",
                                layout=widgets.Layout(width="220px", display="none" if start == "none" else ""))
    busy = []

    def changed(_):
        if busy:                                   # the slider's range is being set: one recompute, not three
            return
        if which.value == "none":
            value.layout.display = "none"          # no value in use: none shown
            state.set_clamp(None)
            return
        low, high = GATE_RANGE.get(which.value, (0.0, 1.0))
        busy.append(1)
        try:
            value.min, value.max = min(low, value.min), max(high, value.max)
            value.min, value.max = low, high
            value.value = min(max(value.value, low), high)
        finally:
            busy.clear()
        value.layout.display = ""
        state.set_clamp({which.value: value.value})

    which.observe(changed, names="value")
    value.observe(changed, names="value")
    return [which, value]
