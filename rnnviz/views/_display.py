"""How a view reaches the user: a widget in a notebook, a plain figure elsewhere.

In a running IPython kernel a view is a :class:`View`, an ``ipywidgets.VBox``
holding its controls and one ``plotly.graph_objects.FigureWidget`` (an
anywidget that bundles plotly.js: JupyterLab 4, Notebook 7, VS Code, offline).
Outside Jupyter it is a ``plotly.graph_objects.Figure`` with animation frames
and Play/Pause, ready for :func:`rnnviz.views.export_html`.
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ._figure import CONFIG, Timeline, add_timeline, apply_step, as_lists


def in_kernel() -> bool:
    """True inside a running IPython kernel (a notebook), where widgets can show."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def static_figure(spec: dict, timeline: Timeline) -> go.Figure:
    """A plain Figure: slider driven by frames, Play/Pause buttons, PNG button config."""
    return go.Figure(as_lists(add_timeline(spec, timeline, animated=True)))


def widget_figure(spec: dict, timeline: Timeline) -> go.FigureWidget:
    """A FigureWidget whose slider steps restyle/relayout in the browser (no frames)."""
    fig = go.FigureWidget(add_timeline(dict(spec), timeline, animated=False))
    fig._config = dict(CONFIG)
    return fig


_DATA_KEYS = frozenset({"x", "y", "z", "text", "customdata"})


class View(widgets.VBox):
    """A view in a notebook: optional controls above one FigureWidget.

    ``figure`` is the FigureWidget; ``timeline`` its slider steps; ``steps``
    their number. Scrubbing runs in the browser. ``set_step`` moves the time
    cursor from the kernel (used by :func:`linked_views` and the Play widget);
    ``refresh`` replaces the data in place after a new input or clamp.
    """

    def __init__(self, spec: dict, timeline: Timeline, controls: list | None = None, play: bool = True):
        self.figure = widget_figure(spec, timeline)
        self.spec, self.timeline = spec, timeline
        self.player = widgets.Play(min=0, max=max(len(timeline) - 1, 0), value=timeline.active, interval=400,
                                   description="Play", layout=widgets.Layout(width="auto"))
        self.player.observe(lambda change: self.set_step(change["new"]), names="value")
        top = list(controls or [])
        if play:
            top.append(self.player)
        self.controls = top
        children = ([widgets.HBox(top)] if top else []) + [self.figure]
        super().__init__(children=children)

    @property
    def steps(self) -> int:
        return len(self.timeline)

    def set_step(self, k: int) -> None:
        """Show slider step ``k`` (0-based); clipped to the last step."""
        if not isinstance(k, int) or k < 0:
            raise ValueError(f"expected a step index 0..{self.steps - 1}, got {k!r}")
        apply_step(self.figure, self.timeline, min(k, self.steps - 1))

    def refresh(self, spec: dict, timeline: Timeline) -> None:
        """Replace data, layout and slider in place (same FigureWidget, one batch update)."""
        new = add_timeline(dict(spec), timeline, animated=False)
        fig = self.figure
        if len(new["data"]) != len(fig.data):
            raise ValueError(f"the new figure has {len(new['data'])} traces, the shown one {len(fig.data)}; "
                             "build a new view for a different model")
        old = self.spec["data"]
        with fig.batch_update():
            for trace, attrs, before in zip(fig.data, new["data"], old):
                # data always; styling only where it changed (plotly validates every property set)
                changed = {k: v for k, v in attrs.items()
                           if k in _DATA_KEYS or (k != "type" and not isinstance(v, np.ndarray) and before.get(k) != v)}
                trace.update(changed, overwrite=True)
            fig.layout.update(new["layout"], overwrite=True)
        self.spec, self.timeline = spec, timeline
        self.player.max = max(len(timeline) - 1, 0)


def make(spec: dict, timeline: Timeline, widget: bool | None, **view_kwargs):
    """A :class:`View` when ``widget`` (default: inside a kernel), else a plain Figure."""
    if widget is None:
        widget = in_kernel()
    if not isinstance(widget, bool):
        raise TypeError(f"expected widget=True, False or None (auto), got {widget!r}")
    return View(spec, timeline, **view_kwargs) if widget else static_figure(spec, timeline)
