"""What-if controls shared by the trace views: type a new input, clamp a gate.

Both recompute through ``rnnviz.trace`` / ``rnnviz.record`` and refresh the
view's live figure in place (one message, ``Plotly.react`` in the browser),
never ``clear_output``. A view gets these controls only when it needs them:
``encode=`` (a text box, plus clamp for a recurrent module) or ``clamp=``
(a dict, ``{}`` for the controls with nothing clamped yet).
"""
from __future__ import annotations

from collections.abc import Callable

from .._recurrent.cells import RECURRENT
from . import _display
from ._controls import clamp_controls
from ._display import View, make
from ._sources import encoded, resolve


class WhatIf:
    """State of one live view: model, current inputs/tokens/clamp, and how to rebuild the figure.

    ``build(trace, tokens) -> (spec, timeline)``. ``set_text`` and ``set_clamp``
    are what the controls call; tests call them directly.
    """

    def __init__(self, model, inputs, tokens, clamp: dict | None, module: str | None,
                 build: Callable, encode: Callable | None):
        self.model, self.inputs, self.tokens, self.module = model, inputs, tokens, module
        self.clamp = dict(clamp or {})
        self.build, self.encode = build, encode
        self.view: View | None = None
        self.trace = resolve(model, inputs, clamp=self.clamp, module=module)

    def figure(self):
        return self.build(self.trace, self.tokens)

    def _refresh(self) -> None:
        trace = resolve(self.model, self.inputs, clamp=self.clamp, module=self.module)
        spec, timeline = self.build(trace, self.tokens)
        self.trace = trace                     # only once the new figure could be built
        if self.view is not None:
            self.view.refresh(spec, timeline)

    def _change(self, **new) -> None:
        """Set ``new`` attributes and recompute; on any error (a refused clamp, an id the embedding
        lacks) put them back, so that the view and later edits go on from the last good state."""
        old = {k: getattr(self, k) for k in new}
        self.__dict__.update(new)
        try:
            self._refresh()
        except Exception:
            self.__dict__.update(old)
            raise

    def set_text(self, text: str) -> None:
        """Encode ``text`` with the caller's ``encode`` and recompute."""
        if self.encode is None:
            raise ValueError("this view has no encode function: pass encode=<text -> inputs> to type new input")
        inputs, tokens = encoded(self.encode, text)
        self._change(inputs=inputs, tokens=tokens if tokens is not None else FromText(text))

    def set_clamp(self, clamp: dict | None) -> None:
        """Clamp gates (name -> value in 0..1, e.g. {"forget": 1.0}) or None to release; recompute."""
        self._change(clamp=dict(clamp or {}))


class FromText:
    """Labels taken from the typed text once the trace says how many steps it has: its characters
    or its words when their count is the number of steps, else none. (Guessed from the input's
    shape, a batch of 1 passed for one step: a one-word text was then refused as 1 token for 8 steps.)"""

    def __init__(self, text: str):
        self.text = text

    def labels(self, steps: int) -> list[str] | None:
        for cand in (list(self.text), self.text.split()):
            if len(cand) == steps:
                return cand
        return None


def _labels(tokens, trace):
    return tokens.labels(trace.steps) if isinstance(tokens, FromText) else tokens


def controls(state: WhatIf, text: str | None) -> list:
    """Text box (when there is an encode function) and gate clamp controls (LSTM/GRU)."""
    import ipywidgets as widgets
    out = []
    if state.encode is not None:
        box = widgets.Text(value=text or "", description="input", continuous_update=False,
                           placeholder="type, then Enter", layout=widgets.Layout(width="50%"))
        box.observe(lambda ch: state.set_text(ch["new"]), names="value")
        out.append(box)
    if isinstance(state.model, RECURRENT):  # clamping goes through rnnviz.trace(rnn, ...)
        out += clamp_controls(state)
    return out


def show(source, inputs, tokens, *, clamp, module, encode, text, widget, build: Callable, check_tokens: Callable,
         fps: float, what: str, projector: bool | None = None):
    """Build a trace view from a Trace or a live model; attach what-if controls in a notebook.

    ``build(trace, tokens) -> (spec, timeline)``; ``check_tokens(trace, tokens)``
    validates the labels against the trace's steps. ``projector``: its size (None: the global switch).
    """
    from ..capture import Trace
    if isinstance(source, Trace):
        if encode is not None or clamp:
            raise ValueError("encode=/clamp= need the live module: a Trace cannot be recomputed")
        trace = resolve(source, inputs)
        spec, timeline = build(trace, check_tokens(trace, tokens))
        return make(spec, timeline, widget, fps=fps, title=what, projector=projector)
    if encode is not None and inputs is None:
        if text is None:
            raise ValueError("with encode= give the first input as text=<str> (or inputs=)")
        inputs, toks = encoded(encode, text)
        tokens = tokens if tokens is not None else (toks if toks is not None else FromText(text))
    state = WhatIf(source, inputs, tokens, clamp, module,
                   lambda tr, toks: build(tr, check_tokens(tr, _labels(toks, tr))), encode)
    spec, timeline = state.figure()
    if widget is None:
        widget = _display.in_kernel()
    live = widget is True and (encode is not None or clamp is not None)
    view = make(spec, timeline, widget, controls=controls(state, text) if live else None, fps=fps, title=what,
                projector=projector)
    if isinstance(view, View):
        view.whatif = state
        state.view = view
    return view
