"""How a view reaches the user: one output that draws without a kernel, plus live controls when needed.

A :class:`View` shows itself as one MIME bundle:

- ``application/vnd.plotly.v1+json``: the figure with its animation frames,
  time slider and Play button. JupyterLab and Notebook 7 draw it with their
  bundled plotly renderer, also from a saved notebook with no kernel; VS Code
  draws it with its own.
- ``text/html``: the same figure for ``jupyter nbconvert --to html`` and other
  HTML frontends. plotly.js is inlined by the first view a kernel shows (once
  per notebook); later views wait for ``window.Plotly``. No CDN, no requirejs.
- ``text/plain``: one line saying what the view is.

Only a view with controls that need the model (what-if text, clamp, Train)
adds a second output, a live widget: its controls above a
:class:`~rnnviz.views._canvas.Canvas`, which draws the same figure with its
own small script, updates it in place and hides the static figure while the
kernel runs. A saved notebook keeps the static figure drawn; where the widget
cannot run, its output says what needs a kernel (nbconvert) or JupyterLab
shows its own one-line widget message. Outside a kernel a view is a plain
``plotly.graph_objects.Figure`` (``widget=False``).
"""
from __future__ import annotations

import base64
import html
import json
import uuid
from importlib import resources

import numpy as np

from . import _style
from ._figure import CONFIG, PLAY_FPS, Timeline, add_timeline, as_lists, at_step, check_fps

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
KERNEL_NOTE = "what-if text, clamp and Train need a running kernel: run this cell again to use them"


def in_kernel() -> bool:
    """True inside a running IPython kernel (a notebook), where widgets can show."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _number(o):
    """json.dumps fallback for numpy scalars."""
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def figure_dict(spec: dict, timeline: Timeline, fps: float = PLAY_FPS, projector: bool | None = None) -> dict:
    """The whole figure as plain JSON-ready data: data, layout, frames, config.

    Every view passes here, so every view gets the one look of
    :mod:`rnnviz.views._style` (laptop or ``projector`` sizes; None: the global switch).
    """
    fig = _style.apply(as_lists(add_timeline(spec, timeline, fps)), _style.resolve(projector))
    return {"data": fig["data"], "layout": fig["layout"], "frames": fig["frames"], "config": dict(CONFIG)}


PACK_AT = 100  # numeric arrays with at least this many values travel as base64 typed arrays (plotly.js):
               # float32, or the smallest integer type that holds them when every value is a whole number


def _packed_array(value):
    """A plotly.js typed-array spec for a long numeric list (1-D or 2-D), else ``value`` unchanged."""
    if not isinstance(value, list) or not value:
        return value
    try:
        a = np.array([np.nan if v is None else v for v in value] if not isinstance(value[0], list)
                     else [[np.nan if v is None else v for v in row] for row in value], dtype=np.float32)
    except (TypeError, ValueError):
        return value
    if a.size < PACK_AT or a.ndim > 2 or a.dtype.kind != "f":
        return value
    dtype = "<f4"
    if np.isfinite(a).all() and (a == np.round(a)).all() and np.abs(a).max(initial=0) < 2 ** 31:
        # whole numbers (steps, strip lines) as the least ints; larger ones (a gradient norm of 3e13,
        # rounded to 3 digits) stay float32, which int32 would wrap
        lo, hi = float(a.min()), float(a.max())
        dtype = next((d for d, m in (("i1", 127), ("<i2", 32767)) if -m - 1 <= lo and hi <= m), "<i4")
    spec = {"dtype": dtype.lstrip("<"), "bdata": base64.b64encode(a.astype(dtype).tobytes()).decode("ascii")}
    if a.ndim == 2:
        spec["shape"] = f"{a.shape[0]}, {a.shape[1]}"
    return spec


def packed(fig: dict) -> dict:
    """``fig`` with its long numeric data arrays as base64 typed arrays: about 5 characters a value
    in a saved notebook instead of about 14 (the notebook's JSON puts each list item on its own line)."""
    def trace(tr: dict) -> dict:
        return {k: _packed_array(v) if k in ("x", "y", "z") else v for k, v in tr.items()}
    out = dict(fig)
    out["data"] = [trace(tr) for tr in fig["data"]]
    out["frames"] = [{**f, "data": [trace(tr) for tr in f.get("data", [])]} for f in fig.get("frames", [])]
    return out


def to_json(fig: dict) -> str:
    """Compact JSON; safe inside a ``<script>`` element (no ``</``)."""
    return json.dumps(fig, separators=(",", ":"), default=_number, allow_nan=False).replace("</", "<\\/")


def plotly_js() -> str:
    """plotly.js as shipped inside the plotly package (read from disk, never fetched)."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


# Defines window.Plotly once and draws every view that waited for it.
_LOADER_HEAD = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n<script>"
_LOADER_TAIL = "</script>\n<script>(window.rnnvizWaiting || []).splice(0).forEach(function (f) { f(); });</script>\n"

_DRAW = """<div id="{id}" class="rnnviz-view" style="width:100%;min-height:{height}px"></div>
<script>(function () {{
  var fig = {fig};
  function draw() {{
    var gd = document.getElementById("{id}");
    if (!gd || gd.dataset.drawn) return;
    gd.dataset.drawn = "1";
    window.Plotly.newPlot(gd, fig.data, fig.layout, fig.config)
      .then(function () {{ return window.Plotly.addFrames(gd, fig.frames); }});
  }}
  if (window.Plotly) draw(); else (window.rnnvizWaiting = window.rnnvizWaiting || []).push(draw);
}})();</script>
"""


def html_div(fig: dict, with_plotly: bool) -> str:
    """The figure as an HTML fragment that draws with ``window.Plotly`` (inlined when ``with_plotly``)."""
    div = _DRAW.format(id=f"rnnviz-{uuid.uuid4().hex}", height=int(fig["layout"].get("height", 450)),
                       fig=to_json(fig))
    return (_LOADER_HEAD + plotly_js() + _LOADER_TAIL + div) if with_plotly else div


class _Carrier:
    """Which output carries plotly.js in this kernel: the first view shown, once per notebook.

    The carrier is remembered by notebook cell (JupyterLab, Notebook 7, VS Code
    and nbclient name the cell in each request), so running that cell again
    carries plotly.js again in its new output, and other cells never do.
    """

    cell: object = None
    count: object = None

    @classmethod
    def take(cls) -> bool:
        cell, count = _current_cell()
        if cls.cell is None or (cls.cell == cell and cls.count != count):
            cls.cell, cls.count = cell, count
            return True
        return False


def _current_cell() -> tuple[object, object]:
    """(cell id, execution count) of the request being run, or (None, None) outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None, None
    shell = get_ipython()
    if shell is None:
        return None, None
    parent = getattr(shell, "parent_header", None) or {}
    cell = (parent.get("metadata") or {}).get("cellId") or (parent.get("header") or {}).get("msg_id")
    return cell or "?", getattr(shell, "execution_count", None)


class View:
    """A view in a notebook: a figure whose time slider and Play run in the browser.

    ``spec`` and ``timeline`` are what the view's builder made; ``fps`` the
    Play rate; ``projector`` its font sizes (None: the global switch, read now,
    so a view keeps the size it was built with). ``figure`` is the whole figure (frames included) as a plotly
    ``Figure``, ``figure_dict()`` the same as plain data. ``controls`` are the
    ipywidgets that need the model (empty for most views); when there are any,
    ``widget`` is the live ipywidget (controls above a Canvas) shown in a running
    kernel, and ``refresh`` redraws its figure in place.
    """

    def __init__(self, spec: dict, timeline: Timeline, controls: list | None = None, fps: float = PLAY_FPS,
                 title: str = "rnnviz view", projector: bool | None = None):
        self.spec, self.timeline, self.fps = spec, timeline, check_fps(fps)
        self.projector = _style.resolve(projector)
        self.controls = list(controls or [])
        self.title = title
        self.id = uuid.uuid4().hex
        self.canvas = None
        self.widget = None
        if self.controls:
            import ipywidgets as widgets

            from ._canvas import Canvas
            self.canvas = Canvas(self.figure_dict(), timeline.active, self.id)
            bar = widgets.HBox(self.controls, layout=widgets.Layout(flex_flow="row wrap"))
            self.widget = widgets.VBox([bar, self.canvas])

    @property
    def steps(self) -> int:
        return len(self.timeline)

    @property
    def step(self) -> int:
        """The step the time cursor shows (in a live widget: where the user left it in the browser)."""
        return self.canvas.step if self.canvas is not None else self.timeline.active

    def figure_dict(self) -> dict:
        return figure_dict(self.spec, self.timeline, self.fps, self.projector)

    @property
    def figure(self):
        """The figure as a ``plotly.graph_objects.Figure`` (built on demand)."""
        import plotly.graph_objects as go
        return go.Figure(self.figure_dict())

    def set_step(self, k: int) -> None:
        """Show slider step ``k`` (0-based; clipped to the last step)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"expected a step index 0..{self.steps - 1}, got {k!r}")
        self.spec, self.timeline = at_step(self.spec, self.timeline, int(k))
        if self.canvas is not None:
            self.canvas.step = self.timeline.active

    def refresh(self, spec: dict, timeline: Timeline, step: int | None = None) -> None:
        """Replace the figure in place (same widget), at ``step`` or where the user left the time cursor."""
        self.spec, self.timeline = at_step(spec, timeline, self.step if step is None else step)
        if self.canvas is not None:
            self.canvas.show(self.figure_dict(), self.timeline.active)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The figure as it draws without a kernel: plotly JSON, self-contained HTML, a line of text."""
        fig = packed(self.figure_dict())
        fig["layout"]["meta"] = {"rnnviz": self.id}
        text = f"<{self.title}: {self.steps} steps; drawn by plotly in the browser>"
        return {PLOTLY_MIME: json.loads(to_json(fig).replace("<\\/", "</")),
                "text/html": html_div(fig, _Carrier.take()), "text/plain": text}

    def live_bundle(self) -> dict | None:
        """The live widget's output (None without kernel controls), saying what it needs where it cannot run."""
        if self.widget is None:
            return None
        note = f"<p class=\"rnnviz-note\"><small>{html.escape(KERNEL_NOTE)}</small></p>"
        return {WIDGET_MIME: self.widget._repr_mimebundle_()[WIDGET_MIME], "text/html": note,
                "text/plain": KERNEL_NOTE}

    def _ipython_display_(self):
        """Show the figure, then (with kernel controls) the live widget, which hides the figure while it runs,
        and a hidden style that words JupyterLab's "model not found" line as :data:`KERNEL_NOTE`."""
        from IPython.display import display
        display(self._repr_mimebundle_(), raw=True)
        live = self.live_bundle()
        if live is not None:
            display(live, raw=True)
            display({"text/html": KERNEL_CSS}, raw=True)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes and backslashes escaped, non-ASCII as code points)."""
    return '"' + "".join(c if c.isascii() and c not in '"\\' else f"\\{ord(c):06x}" for c in text) + '"'


# A saved notebook reopened without the kernel has no widget model, and JupyterLab writes
# "Error displaying widget: model not found" as bare text into the widget's output node (no
# child elements, class jupyter-widgets). In cells that show a view with kernel controls this
# style turns that line into KERNEL_NOTE; its own output takes no room. It applies where the
# output is trusted (the notebook ran or was saved here); elsewhere JupyterLab's own line stays.
_MISSING = ".jp-OutputArea:has(.rnnviz-kernel-css) .jp-OutputArea-output.jupyter-widgets:not(:has(*))"
KERNEL_CSS = (
    '<div class="rnnviz-kernel-css"><style>'
    ".jp-OutputArea-child:has(.rnnviz-kernel-css){display:none}"
    f"{_MISSING}{{font-size:0}}"
    f"{_MISSING}::after{{content:{_css_string(KERNEL_NOTE)};font-size:var(--jp-content-font-size1,13px);"
    "color:var(--jp-ui-font-color1,#333)}"
    "</style></div>"
)


def make(spec: dict, timeline: Timeline, widget: bool | None, controls: list | None = None,
         fps: float = PLAY_FPS, title: str = "rnnviz view", projector: bool | None = None):
    """A :class:`View` when ``widget`` (default: inside a kernel), else a plain plotly Figure.

    ``projector``: font sizes for a projector (True), a laptop (False) or as the global switch says (None).
    """
    if widget is None:
        widget = in_kernel()
    if not isinstance(widget, bool):
        raise TypeError(f"expected widget=True, False or None (auto), got {widget!r}")
    view = View(spec, timeline, controls=controls if widget else None, fps=fps, title=title, projector=projector)
    return view if widget else view.figure
