"""The live figure of a view with kernel controls: a small anywidget that draws with plotly.js.

``figure`` (data, layout, frames, config) is drawn once; a new ``figure`` from
the kernel (what-if text, clamp, Train) goes through ``Plotly.react`` on the
same element, so the output is never redrawn from scratch and the time cursor
stays where the user left it. ``step`` is the time cursor as a synced trait:
the browser sets it while the user scrubs or Play runs, the kernel may set it
(``View.set_step``), and ``ipywidgets.jslink`` can tie it to another view's.

plotly.js (about 4.8 MB) travels once per page: the first Canvas whose page
has no ``window.Plotly`` asks the kernel, which answers with a custom message
(not widget state, so a notebook saved with widget state stays small). Until
it arrives, the view's static figure stays on screen.
"""
from __future__ import annotations

import anywidget
import traitlets

from ._display import plotly_js

_ESM = r"""
// plotly.js comes from the kernel once per page, as a custom message (never part of the widget
// state, so a notebook saved with widget state does not carry it again).
function loadPlotly(model) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  const shared = (globalThis.rnnvizPlotly = globalThis.rnnvizPlotly || { waiting: [], asked: 0 });
  return new Promise((resolve) => {
    shared.waiting.push(resolve);
    model.on("msg:custom", (msg) => {
      if (!msg || typeof msg.plotly !== "string") return;
      if (!globalThis.Plotly) {
        globalThis.PlotlyConfig = { MathJaxConfig: "local" };
        (0, eval)(msg.plotly);                 // global scope: defines window.Plotly
      }
      shared.waiting.splice(0).forEach((r) => r(globalThis.Plotly));
    });
    if (Date.now() - shared.asked > 10000) {  // one request at a time for the whole page
      shared.asked = Date.now();
      model.send({ need: "plotly" });
    }
  });
}

function frameIndex(gd, name) {
  const frames = gd._transitionData ? gd._transitionData._frames : [];
  return frames.findIndex((f) => f.name === name);
}

// The view's static output (drawn by the notebook's own plotly renderer) shows the same figure:
// hide it while this live copy runs, so the user sees one figure.
function hideStatic(model, gd) {
  const id = model.get("view_id");
  let tries = 0;
  const look = () => {
    for (const other of document.querySelectorAll(".js-plotly-plot")) {
      const meta = other.layout && other.layout.meta;
      if (other !== gd && meta && meta.rnnviz === id) {
        const box = other.closest(".jp-OutputArea-child") || other;
        box.style.display = "none";
        return;
      }
    }
    if (++tries < 60) setTimeout(look, 250);
  };
  look();
}

// The figure's layout gives a height, never a width: with autosize plotly.js takes the width of `gd`
// every time it draws. Without it plotly.js fixes the width at its first draw, and a widget's element
// is often not on the page yet then (0 px wide): the figure stayed at plotly's default 700 px.
const autosized = (layout) => ({ ...layout, autosize: true });

// Resolves once `el` is on the page and has a width (at most `ms` later: the figure is drawn anyway).
function attached(el, ms) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const look = () => (el.isConnected && el.clientWidth > 0) || performance.now() - t0 > ms
      ? resolve() : requestAnimationFrame(look);
    look();
  });
}

async function render({ model, el }) {
  const Plotly = await loadPlotly(model);
  const gd = document.createElement("div");
  gd.style.width = "100%";                    // as wide as the output area, like the static figure
  el.appendChild(gd);
  hideStatic(model, gd);
  await attached(gd, 5000);
  let shown = model.get("step");

  const report = (k) => {
    if (k >= 0 && k !== shown) { shown = k; model.set("step", k); model.save_changes(); }
  };
  const jump = (k) => Plotly.animate(gd, [String(k)], {
    mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } });

  const fig = model.get("figure");
  await Plotly.newPlot(gd, fig.data, autosized(fig.layout), { ...fig.config, responsive: true });
  await Plotly.addFrames(gd, fig.frames);
  // the output area changes width (attached late, sidebar opened, window resized): draw to the new width
  const resized = new ResizeObserver(() => {
    const w = gd.clientWidth;
    if (w > 0 && gd._fullLayout && Math.abs(gd._fullLayout.width - w) > 1) Plotly.Plots.resize(gd);
  });
  resized.observe(gd);
  gd.on("plotly_sliderchange", (e) => report(e.step._index ?? e.slider.steps.indexOf(e.step)));
  gd.on("plotly_animatingframe", (e) => report(frameIndex(gd, e.name)));

  const redraw = async () => {
    const t0 = performance.now();
    const next = model.get("figure");
    shown = model.get("step");
    await Plotly.react(gd, { data: next.data, layout: autosized(next.layout), frames: next.frames,
                             config: { ...next.config, responsive: true } });
    gd.rnnvizUpdateMs = performance.now() - t0;   // what the browser spent on the update (tests read it)
  };
  const moved = () => {
    const k = model.get("step");
    if (k !== shown) { shown = k; jump(k); }
  };
  model.on("change:figure", redraw);
  model.on("change:step", moved);
  return () => {
    model.off("change:figure", redraw); model.off("change:step", moved); resized.disconnect(); Plotly.purge(gd);
  };
}

export default { render };
"""


class Canvas(anywidget.AnyWidget):
    """A plotly figure with frames, drawn and updated in place by its own script (see module doc)."""

    _esm = _ESM
    figure = traitlets.Dict().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    view_id = traitlets.Unicode("").tag(sync=True)

    def __init__(self, figure: dict, step: int = 0, view_id: str = ""):
        super().__init__(figure=figure, step=step, view_id=view_id)
        self.on_msg(self._asked)

    def _asked(self, _widget, content, _buffers) -> None:
        """The browser has no plotly.js yet: send it (a custom message, not widget state)."""
        if isinstance(content, dict) and content.get("need") == "plotly":
            self.send({"plotly": plotly_js()})

    def show(self, figure: dict, step: int) -> None:
        """Replace the figure (drawn at ``step``) in one message; the browser reacts in place."""
        with self.hold_sync():
            self.step = step
            self.figure = figure
