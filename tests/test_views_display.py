"""How a view shows itself, read without a browser: its MIME bundle, its live widget's state.

A view must draw without a kernel (the plotly MIME type for JupyterLab,
Notebook 7 and VS Code, self-contained HTML for nbconvert), carry plotly.js
once per notebook, keep its data within 1 MB, and add a live widget only when
a control needs the model.
"""
from __future__ import annotations

import base64
import json
import re

import nbformat
import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.capture import Trace
from rnnviz.views import _display
from rnnviz.views._canvas import Canvas
from rnnviz.views._display import PLOTLY_MIME, WIDGET_MIME

PLOTLY_JS_MARK = "plotly.js v"   # the licence header at the top of plotly.min.js


class FakeKernel:
    """Pretend to run inside a kernel, one notebook cell (id, execution count) at a time."""

    def __init__(self, monkeypatch):
        self.cell = ("cell-a", 1)
        monkeypatch.setattr(_display, "in_kernel", lambda: True)
        monkeypatch.setattr(_display, "_current_cell", lambda: self.cell)
        monkeypatch.setattr(_display._Carrier, "cell", None)
        monkeypatch.setattr(_display._Carrier, "count", None)


@pytest.fixture
def kernel(monkeypatch):
    return FakeKernel(monkeypatch)


@pytest.fixture
def lstm():
    torch.manual_seed(0)
    return torch.nn.LSTM(3, 6)


def test_a_view_is_a_plotly_figure_with_frames_and_html_and_no_widget(kernel, lstm):
    view = rnnviz.unroll_view(lstm, torch.randn(8, 3), tokens=list("abcdefgh"))
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {PLOTLY_MIME, "text/html", "text/plain"}       # nothing that needs a kernel
    fig = bundle[PLOTLY_MIME]
    assert set(fig) == {"data", "layout", "frames", "config"}
    assert len(fig["frames"]) == 8 == len(fig["layout"]["sliders"][0]["steps"])
    labels = [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]]
    assert labels[0] == "▶ Play"
    json.dumps(fig, allow_nan=False)                                      # plain JSON, no NaN
    page = bundle["text/html"]
    ours = page[:page.index(PLOTLY_JS_MARK)] + page[page.index("window.Plotly = Plotly;"):]  # plotly.js cut out
    assert "<script src" not in ours and "require" not in ours and "http" not in ours
    assert "Plotly.newPlot" in page and "Plotly.addFrames" in page


def test_plotly_js_travels_once_per_notebook(kernel, lstm):
    x = torch.randn(4, 3)
    first = rnnviz.unroll_view(lstm, x)._repr_mimebundle_()["text/html"]
    again_same_run = rnnviz.gates_view(lstm, x)._repr_mimebundle_()["text/html"]
    kernel.cell = ("cell-b", 2)
    other_cell = rnnviz.unroll_view(lstm, x)._repr_mimebundle_()["text/html"]
    kernel.cell = ("cell-a", 3)                                          # the first cell run again
    rerun = rnnviz.unroll_view(lstm, x)._repr_mimebundle_()["text/html"]
    assert [h.count(PLOTLY_JS_MARK) for h in (first, again_same_run, other_cell, rerun)] == [1, 0, 0, 1]
    assert len(other_cell) < 60_000 < 4_000_000 < len(first)
    assert "window.rnnvizWaiting" in other_cell                           # waits for the carrier's plotly.js


def saved_size(bundle: dict) -> int:
    """Bytes the view's figure takes in a notebook saved as Jupyter saves it (nbformat, indent 1)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("view")
    cell.outputs = [nbformat.v4.new_output("display_data", data={PLOTLY_MIME: bundle[PLOTLY_MIME]})]
    nb.cells = [cell]
    return len(nbformat.writes(nb).encode())


def test_saved_view_data_stays_under_a_megabyte(kernel):
    torch.manual_seed(0)
    T, H = 200, 128
    lstm = torch.nn.LSTM(16, H)
    x = torch.randn(T, 16)
    tr = rnnviz.trace(lstm, x)
    stacked = Trace("LSTM", torch.rand(2, 2, 1, T, H) * 2 - 1, None, {}, tr.output, tr.h_n, None, tr.lengths)
    tokens = [f"w{t}" for t in range(T)]
    for view in (rnnviz.unroll_view(lstm, x, tokens=tokens), rnnviz.unroll_view(stacked, tokens=tokens),
                 rnnviz.gates_view(lstm, x, units=range(16))):
        bundle = view._repr_mimebundle_()
        assert saved_size(bundle) < 1_000_000
        html = bundle["text/html"]
        if PLOTLY_JS_MARK in html:
            html = html[html.index("<div id=\"rnnviz-"):]
        assert len(html) < 1_000_000


def test_long_arrays_travel_as_typed_arrays_with_the_rounded_values(kernel):
    tr = Trace("RNN", torch.rand(1, 1, 1, 40, 30) * 2 - 1, None, {}, None, None, None, torch.tensor([40]))
    tr.hidden[0, 0, 0, 5, 3] = float("nan")
    view = rnnviz.unroll_view(tr)
    z = view._repr_mimebundle_()[PLOTLY_MIME]["data"][0]["z"]
    assert z["dtype"] == "f4" and z["shape"] == "30, 40"
    got = np.frombuffer(base64.b64decode(z["bdata"]), dtype="<f4").reshape(30, 40)
    want = np.array([[np.nan if v is None else v for v in row] for row in view.figure_dict()["data"][0]["z"]])
    assert np.isnan(got[3, 5]) and np.allclose(got, want, rtol=1e-6, equal_nan=True)   # (H, T)
    assert view.figure_dict()["data"][0]["z"][3][5] is None                  # the plain figure keeps lists


@pytest.mark.parametrize("values,dtype", [([0.0, 1.0] * 60, "i1"), (list(range(-200, 200)), "i2"),
                                          ([70000.0] * 120, "i4"), ([3.0e9, 1.0] * 60, "f4"),
                                          ([3.0e13] * 120, "f4"), ([0.5, 1.0] * 60, "f4")])
def test_whole_numbers_travel_as_the_least_int_type_that_holds_them(values, dtype):
    """Steps and strip lines as int8/16/32; whole numbers past int32 (a gradient norm of 3e13 rounded to
    3 digits) stay float32: as int32 they wrapped to -2147483648 and vanished from a log axis."""
    spec = _display._packed_array(values)
    assert spec["dtype"] == dtype
    got = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + dtype if dtype != "i1" else dtype)
    assert np.array_equal(got, np.asarray(values, dtype=np.float32))


def test_tokens_cannot_end_the_script(kernel, lstm):
    view = rnnviz.unroll_view(lstm, torch.randn(2, 3), tokens=["</script><b>x", "ok"])
    html = view._repr_mimebundle_()["text/html"]
    div = html[html.index("<div id=\"rnnviz-"):]
    assert div.count("</script>") == 1                                    # only the view's own closing tag


def test_a_view_with_kernel_controls_adds_a_live_widget_and_says_what_needs_the_kernel(kernel, lstm):
    enc = lambda s: (torch.randn(len(s), 3), list(s))  # noqa: E731
    view = rnnviz.unroll_view(lstm, encode=enc, text="abc")
    assert set(view._repr_mimebundle_()) == {PLOTLY_MIME, "text/html", "text/plain"}   # the figure, as always
    live = view.live_bundle()
    assert live[WIDGET_MIME]["model_id"] == view.widget.model_id
    assert "need a running kernel" in live["text/html"] and "need a running kernel" in live["text/plain"]
    assert view.widget.children[-1] is view.canvas
    assert view.canvas.figure["layout"]["sliders"][0]["steps"][2]["label"] == "2 · c"
    # the live copy knows which static figure to hide while it runs
    assert view.canvas.view_id == view.id == view._repr_mimebundle_()[PLOTLY_MIME]["layout"]["meta"]["rnnviz"]
    assert rnnviz.unroll_view(lstm, torch.randn(3, 3)).live_bundle() is None


def test_the_live_canvas_sends_plotly_js_on_request_never_as_state():
    canvas = Canvas({"data": [], "layout": {}, "frames": [], "config": {}}, 0, "v1")
    sent = []
    canvas.send = lambda content, buffers=None: sent.append(content)  # noqa: E731
    canvas._asked(canvas, {"need": "plotly"}, [])                        # the page has no window.Plotly
    assert len(sent) == 1 and sent[0]["plotly"].count(PLOTLY_JS_MARK) == 1
    state = canvas.get_state()
    assert set(state) >= {"figure", "step", "view_id", "_esm"}
    assert len(json.dumps(state)) < 20_000                                # plotly.js is not in the state
    assert re.search(r"Plotly\.react\(gd", state["_esm"]) and "plotly_animatingframe" in state["_esm"]


def test_set_step_moves_the_live_cursor(kernel, lstm):
    view = rnnviz.gates_view(lstm, torch.randn(6, 3), clamp={})
    view.set_step(4)
    assert view.canvas.step == 4 == view.step
    with pytest.raises(ValueError, match=r"step index 0\.\.5"):
        view.set_step(-1)


def test_fps_is_checked():
    with pytest.raises(ValueError, match="fps as steps per second"):
        rnnviz.attention_view(torch.rand(2, 2), fps=0)


def test_a_view_with_kernel_controls_words_the_missing_widget_line_as_the_kernel_note(kernel, lstm, monkeypatch):
    import IPython.display
    from rnnviz.views._display import KERNEL_CSS, KERNEL_NOTE
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    enc = lambda s: (torch.randn(len(s), 3), list(s))  # noqa: E731
    rnnviz.unroll_view(lstm, encode=enc, text="abc")._ipython_display_()
    assert [set(b) for b in shown] == [{PLOTLY_MIME, "text/html", "text/plain"},
                                       {WIDGET_MIME, "text/html", "text/plain"}, {"text/html"}]
    css = shown[2]["text/html"]
    assert css == KERNEL_CSS and f'content:"{KERNEL_NOTE}"' in css
    # only JupyterLab's bare "model not found" text node is restyled, never a drawn widget
    assert ".jupyter-widgets:not(:has(*))::after" in css
    shown.clear()
    rnnviz.unroll_view(lstm, torch.randn(3, 3))._ipython_display_()            # no controls: one output, no style
    assert len(shown) == 1
