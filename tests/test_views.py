"""The views without a browser: read the figure and widget state they produce.

Values are checked against the Trace, against torch's own module output, and
against an independent rounding (Python's ``f"{v:.3g}"``); hover numbers
against pre-activations recomputed here from the weights.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import rnnviz
from conftest import encode
from rnnviz.capture import Trace
from rnnviz.gradients import GradientFlow
from rnnviz.views._display import View

TOKENS = "the cat sat on the mat and then it ran".split()


def r3(v) -> float | None:
    """The documented rounding, written independently: 3 significant digits, NaN as a gap."""
    v = float(v)
    return None if math.isnan(v) else float(f"{v:.3g}")


def rounded(a) -> list:
    a = np.asarray(a, dtype=np.float64)
    return [rounded(x) for x in a] if a.ndim > 1 else [r3(v) for v in a]


def known_trace(kind="LSTM", L=1, D=1, B=1, T=5, H=3) -> Trace:
    """A Trace built from known tensors (no capture involved)."""
    g = torch.Generator().manual_seed(1)
    rand = lambda: torch.rand(L, D, B, T, H, generator=g)  # noqa: E731  (L, D, B, T, H)
    gates = {"LSTM": ["input", "forget", "cell", "output"], "GRU": ["reset", "update", "new"], "RNN": []}[kind]
    gates = {n: rand() for n in gates}
    if "cell" in gates:
        gates["cell"] = gates["cell"] * 2 - 1
    if "new" in gates:
        gates["new"] = gates["new"] * 2 - 1
    hidden = rand() * 2 - 1
    cell = rand() if kind == "LSTM" else None
    return Trace(kind, hidden, cell, gates, hidden[-1, 0], hidden[:, :, :, -1].reshape(L * D, B, H), None,
                 torch.full((B,), T))


@pytest.fixture
def lstm():
    torch.manual_seed(0)
    return torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True)


# ---------------------------------------------------------------- unroll

def test_unroll_shows_every_layer_and_direction_rounded(lstm):
    x = torch.randn(len(TOKENS), 3)                                       # (T, I)
    fig = rnnviz.unroll_view(lstm, x, tokens=TOKENS)
    assert isinstance(fig, go.Figure) and not isinstance(fig, go.FigureWidget)  # outside Jupyter
    tr = rnnviz.trace(lstm, x)
    assert len(fig.data) == 5                                             # 2 layers x 2 directions + tokens
    for r, (l, d) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        assert [list(row) for row in fig.data[r].z] == rounded(tr.hidden[l, d, 0].T)   # (H, T)
    # independent of capture: the top layer equals what nn.LSTM itself returns
    out, _ = lstm(x)                                                      # (T, D*H)
    top = np.concatenate([np.array(fig.data[2].z), np.array(fig.data[3].z)], axis=0).T
    assert np.allclose(top, out.detach().numpy(), atol=5e-3)
    steps = fig.layout.sliders[0].steps
    assert len(steps) == len(TOKENS) == len(fig.frames)
    assert [s.label for s in steps] == [f"{t} · {w}" for t, w in enumerate(TOKENS)]
    assert list(fig.data[4].text) == TOKENS and (fig.data[4].x0, fig.data[4].dx) == (0, 1)  # the token strip
    assert "'cat'" in fig.frames[1].layout.title.text


def test_each_unroll_panel_is_named_for_the_direction_whose_states_it_shows(lstm):
    """A student reads "layer 1 ←" as the backward direction: that panel must hold what nn.LSTM
    returns in the second half of its output, "layer 1 →" the first half (layer 0 likewise, from a
    one-layer copy of layer 0). With the arrows swapped, forward states were labelled backward."""
    x = torch.randn(6, 3)
    fig = rnnviz.unroll_view(lstm, x)
    low = torch.nn.LSTM(3, 6, bidirectional=True)                         # torch's own layer 0
    low.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith(("_l0", "_l0_reverse"))})
    out = {0: low(x)[0].detach().numpy(), 1: lstm(x)[0].detach().numpy()}   # (T, 2*H): forward, then backward
    panels = {d.name: d for d in fig.data if d.type == "heatmap"}
    assert sorted(panels) == sorted(f"layer {l} {a}" for l in (0, 1) for a in "→←")
    for name, d in panels.items():
        l, back = int(name.split()[1]), name.endswith("←")
        want = out[l][:, 6 * back:6 * (back + 1)]                           # (T, H)
        # 3 significant digits of |h| < 1 are off by at most 5e-4; 1e-3 leaves room for float32 noise
        assert np.allclose(np.array(d.z, dtype=float).T, want, atol=1e-3, rtol=0), name
        assert fig.layout[d.yaxis.replace("y", "yaxis")].title.text.startswith(name)   # the row's label says it


def test_unroll_steps_veil_the_future_forward_and_the_past_backward():
    tr = known_trace("GRU", D=2, T=6)
    fig = rnnviz.unroll_view(tr)
    for k, frame in enumerate(fig.frames):
        fwd, bwd, cursor = frame.layout.shapes
        assert fwd.x0 == k + 0.5 and fwd.x1 == 5.5                        # not yet read forward
        assert bwd.x0 == -0.5 and bwd.x1 == k - 0.5                       # not yet read backward
        assert (cursor.x0, cursor.x1) == (k - 0.5, k + 0.5)
        # opaque: at 0.9 a state not computed yet still showed its red or blue through the grey
        assert fwd.fillcolor == bwd.fillcolor == "rgb(200,200,200)" and (fwd.opacity is None or fwd.opacity == 1)


def test_unroll_view_in_a_notebook_is_one_figure_whose_time_runs_in_the_browser(lstm):
    view = rnnviz.unroll_view(lstm, torch.randn(7, 3), widget=True)
    assert isinstance(view, View) and view.widget is None and view.controls == []   # nothing needs the kernel
    fig = view.figure_dict()
    slider = fig["layout"]["sliders"][0]
    assert [s["args"][0] for s in slider["steps"]] == [[str(k)] for k in range(7)]  # each step shows a frame
    assert {s["method"] for s in slider["steps"]} == {"animate"}
    assert [f["name"] for f in fig["frames"]] == [str(k) for k in range(7)]
    play = fig["layout"]["updatemenus"][0]["buttons"][0]
    assert play["args"][0] is None and play["args"][1]["fromcurrent"] is True     # from where the slider stands
    # a frame moves the veils and the cursor to its step
    frames = rnnviz.unroll_view(lstm, torch.zeros(7, 3), widget=False).frames
    for k, frame in enumerate(fig["frames"]):
        assert [(sh["x0"], sh["x1"]) for sh in frame["layout"]["shapes"]] == \
            [(sh.x0, sh.x1) for sh in frames[k].layout.shapes]
    view.set_step(3)
    assert view.step == 3 and view.figure_dict()["layout"]["sliders"][0]["active"] == 3
    assert view.figure.layout.shapes[0].x0 == 3.5


def test_big_view_stays_under_a_megabyte_and_shows_a_window_of_exact_values():
    tr = known_trace("RNN", T=200, H=128)
    fig = rnnviz.unroll_view(tr)
    assert len(fig.to_json()) < 1_000_000
    assert len(fig.layout.sliders[0].steps) == 200
    long = known_trace("RNN", L=2, T=600, H=128)
    fig = rnnviz.unroll_view(long)
    assert len(fig.to_json()) < 1_500_000
    assert "16 most active of 128 units" in fig.layout.title.text       # 2 panels: 16 units each
    heat = fig.data[2]                                                  # after the overview and its window box
    assert (heat.x0, heat.dx, len(heat.z[0])) == (0, 1, 600)            # every step kept: no striding
    units = [int(u) for u in heat.y]
    assert [list(r) for r in heat.z] == rounded(long.hidden[0, 0, 0][:, units].T)
    assert tuple(fig.frames[300].layout.xaxis.range) == (286.5, 326.5)  # 40 steps around t = 300


def test_nan_steps_are_gaps():
    tr = known_trace("RNN", T=4)
    tr.hidden[..., 3, :] = float("nan")
    fig = rnnviz.unroll_view(tr)
    assert all(row[3] is None for row in fig.data[0].z)
    json.loads(fig.to_json())                                             # still valid JSON


# ---------------------------------------------------------------- gates

def test_gates_hover_shows_the_equation_with_the_actual_numbers(lstm):
    x = torch.randn(5, 3)
    fig = rnnviz.gates_view(lstm, x, tokens=TOKENS[:5], units=[1, 4], layer=0)
    tr = rnnviz.trace(lstm, x)
    forget = fig.data[2]                                                  # row 1 (forget), first unit
    assert ("f<sub>t</sub> = σ(W<sub>f</sub> x<sub>t</sub> + U<sub>f</sub> h<sub>t−1</sub> + b<sub>f</sub>)"
            in forget.hovertemplate)                                      # indices as subscripts, no braces
    assert list(forget.y) == rounded(tr.gates["forget"][0, 0, 0, :, 1])
    # the pre-activation in the hover, recomputed here from the weights
    H = 6
    h_prev = torch.zeros(H)
    for t in range(5):
        pre = (lstm.weight_ih_l0[H:2 * H] @ x[t] + lstm.bias_ih_l0[H:2 * H]
               + lstm.weight_hh_l0[H:2 * H] @ h_prev + lstm.bias_hh_l0[H:2 * H])[1]
        f = torch.sigmoid(pre).item()
        assert forget.text[t] == f"σ({pre.item():.3g}) = {f:.3g}"
        h_prev = tr.hidden[0, 0, 0, t]
    cell = fig.data[8]                                                    # row 4 (c_t), unit 1
    i, f, g, c = (tr.gates["input"][0, 0, 0, 2, 1].item(), tr.gates["forget"][0, 0, 0, 2, 1].item(),
                  tr.gates["cell"][0, 0, 0, 2, 1].item(), tr.cell[0, 0, 0, 2, 1].item())
    assert f"{f:.3g}·" in cell.text[2] and f"{i:.3g}·" in cell.text[2] and cell.text[2].endswith(f"= {c:.3g}")


def test_every_gate_line_hovers_with_its_own_units_numbers(lstm):
    """Hovering unit 4's line (not the focus unit 1) must show unit 4's numbers: its forget gate as
    σ(pre-activation) recomputed here from the weights, and every row's value from the trace. With the
    focus unit's text on every line, a student read unit 1's gates over unit 4's curve."""
    x = torch.randn(5, 3)
    fig = rnnviz.gates_view(lstm, x, units=[1, 4], layer=0)
    tr = rnnviz.trace(lstm, x)
    rows = {"y": tr.gates["input"], "y2": tr.gates["forget"], "y3": tr.gates["cell"], "y4": tr.gates["output"],
            "y5": tr.cell, "y6": tr.hidden}
    lines = {d.yaxis: d for d in fig.data if d.name == "unit 4"}         # one line per row
    assert sorted(lines) == sorted(rows)
    for ax, values in rows.items():
        want = [f"{v:.3g}" for v in values[0, 0, 0, :, 4].tolist()]
        assert [t.rsplit(" = ", 1)[1] for t in lines[ax].text] == want, ax
    H, h_prev = 6, torch.zeros(6)
    for t in range(5):
        pre = (lstm.weight_ih_l0[H:2 * H] @ x[t] + lstm.bias_ih_l0[H:2 * H]
               + lstm.weight_hh_l0[H:2 * H] @ h_prev + lstm.bias_hh_l0[H:2 * H])[4]
        assert lines["y2"].text[t] == f"σ({pre.item():.3g}) = {torch.sigmoid(pre).item():.3g}", t
        h_prev = tr.hidden[0, 0, 0, t]


def test_gates_known_values_and_gru_rows():
    tr = known_trace("GRU", T=4, H=2)
    tr.gates["update"][0, 0, 0, 2, 0] = 0.93
    fig = rnnviz.gates_view(tr, units=[0])
    names = [d.hovertemplate.split("<br>")[1].split(" =")[0] for d in fig.data]
    assert names == ["r<sub>t</sub>", "z<sub>t</sub>", "n<sub>t</sub>", "h<sub>t</sub>"]
    assert fig.data[1].y[2] == 0.93 and fig.data[1].text[2].endswith("= 0.93")
    assert len(fig.layout.sliders[0].steps) == 4


def test_gates_errors_are_clear():
    with pytest.raises(ValueError, match="plain RNN has no gates"):
        rnnviz.gates_view(known_trace("RNN"))
    with pytest.raises(ValueError, match=r"unit indices in 0\.\.2, got \[5\]"):
        rnnviz.gates_view(known_trace("LSTM"), units=[5])
    with pytest.raises(ValueError, match=r"expected 5 tokens, one per time step, got 3"):
        rnnviz.gates_view(known_trace("LSTM"), tokens=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"sample in 0\.\.0"):
        rnnviz.unroll_view(known_trace("LSTM"), sample=2)
    with pytest.raises(ValueError, match="cannot be recomputed"):
        rnnviz.unroll_view(known_trace("LSTM"), clamp={"forget": 1.0})
    with pytest.raises(TypeError, match="expected a torch.nn.RNN/LSTM/GRU"):
        rnnviz.unroll_view(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="needs inputs"):
        rnnviz.unroll_view(torch.nn.GRU(2, 3))


# ---------------------------------------------------------------- what-if

def test_a_one_word_text_for_a_padded_input_is_drawn_without_labels_not_refused():
    """An encode that pads every text to 8 steps and returns ids only: a one-word text matched the
    batch size 1 of the ids' shape and was taken as the tokens, then refused ("expected 8 tokens")."""
    vocab = {w: i + 1 for i, w in enumerate("a great film not bad at all".split())}

    class Clf(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn = torch.nn.Embedding(10, 4), torch.nn.GRU(4, 6, batch_first=True)

        def forward(self, ids):
            return self.rnn(self.emb(ids))[1][-1]

    def padded(text):                                                      # (1, 8) ids, left-padded
        ids = [vocab.get(w, 0) for w in text.split()][:8]
        return torch.tensor([[0] * (8 - len(ids)) + ids])

    torch.manual_seed(0)
    model = Clf()
    for view in (rnnviz.unroll_view, rnnviz.gates_view):
        fig = view(model, encode=padded, text="great", widget=True)
        labels = [s["label"] for s in fig.figure_dict()["layout"]["sliders"][0]["steps"]]
        assert labels == [str(t) for t in range(8)]                        # 8 steps, numbered
        fig.whatif.set_text("a b c d e f g h")                             # 8 words for 8 steps: their labels
        assert [s["label"] for s in fig.canvas.figure["layout"]["sliders"][0]["steps"]][-1] == "7 · h"
        fig.whatif.set_text("bad")
        assert len(fig.canvas.figure["layout"]["sliders"][0]["steps"]) == 8


def test_new_text_updates_the_same_figure_in_place():
    torch.manual_seed(0)
    gru = torch.nn.GRU(26, 5)
    view = rnnviz.unroll_view(gru, encode=encode, text="abc", widget=True)
    canvas = view.canvas
    before = canvas.figure["data"][0]["z"]
    canvas.step = 2                                                       # the user scrubbed to t = 2
    view.whatif.set_text("hello")
    assert view.canvas is canvas and view.widget.children[-1] is canvas   # the same live figure, new data
    fig = canvas.figure
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == [f"{t} · {c}" for t, c in enumerate("hello")]
    tr = rnnviz.trace(gru, encode("hello")[0])
    assert fig["data"][0]["z"] == rounded(tr.hidden[0, 0, 0].T) != before
    assert canvas.step == 2 and fig["layout"]["sliders"][0]["active"] == 2   # the time cursor stayed
    assert fig["layout"]["shapes"][-1]["x0"] == 1.5
    box = next(c for c in view.controls if getattr(c, "description", "") == "input")
    box.value = "zz"                                                      # what typing does
    fig = canvas.figure
    assert len(fig["data"][0]["z"][0]) == 2 and fig["layout"]["sliders"][0]["steps"][1]["label"] == "1 · z"
    assert canvas.step == 1                                               # clipped to the shorter input


def test_a_typed_text_the_model_cannot_read_leaves_the_view_as_it_was():
    """An id past the embedding (torch's IndexError, not one of ours): the refused input was kept and
    every later edit, a clamp too, failed with it."""
    class Chars(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn = torch.nn.Embedding(26, 4), torch.nn.LSTM(4, 5, batch_first=True)

        def forward(self, ids):
            return self.rnn(self.emb(ids))[1][0][-1]

    torch.manual_seed(0)
    view = rnnviz.gates_view(Chars(), encode=lambda text: torch.tensor([[ord(c) - 97 for c in text]]),
                             text="hello", widget=True)
    before, inputs = view.whatif.trace, view.whatif.inputs
    with pytest.raises(IndexError):
        view.whatif.set_text("héllo")                                     # 'é' is id 136
    assert view.whatif.trace is before and view.whatif.inputs is inputs
    view.whatif.set_text("cab")                                          # goes on from "hello"
    assert len(view.canvas.figure["layout"]["sliders"][0]["steps"]) == 3


def test_clamping_a_gate_changes_the_data(lstm):
    x = torch.randn(6, 3)
    assert rnnviz.gates_view(lstm, x, widget=True, layer=0).controls == []   # no clamp= : no kernel controls
    view = rnnviz.gates_view(lstm, x, widget=True, layer=0, clamp={})
    data = lambda i: view.canvas.figure["data"][i]  # noqa: E731
    free = list(data(4)["y"])                                             # forget row, unit 0
    dropdown = next(c for c in view.controls if getattr(c, "description", "") == "clamp")
    dropdown.value = "forget"                                             # the value slider starts at 1.0
    assert list(data(4)["y"]) == [1.0] * 6 != free
    assert list(data(4)["text"]) == ["clamped to 1"] * 6
    assert "clamped forget=1" in view.canvas.figure["layout"]["title"]["text"]   # the trace's note, in the title
    clamped = rnnviz.trace(lstm, x, clamp={"forget": 1.0})
    assert list(data(16)["y"]) == rounded(clamped.cell[0, 0, 0, :, 0])
    dropdown.value = "none"
    assert list(data(4)["y"]) == free
    view.whatif.set_clamp({"forget": 0.0})
    assert list(data(4)["y"]) == [0.0] * 6
    with pytest.raises(ValueError, match="forget"):
        view.whatif.set_clamp({"forget": 5.0})                            # out of a sigmoid gate's range
    assert view.whatif.clamp == {"forget": 0.0}                           # the refused clamp was not kept
    view.whatif.set_clamp({"forget": 0.0})                                # so a refresh still works


class Tagger(torch.nn.Module):
    """Embedding + GRU + linear head: a whole model, captured through rnnviz.record."""

    def __init__(self):
        super().__init__()
        self.emb, self.rnn, self.head = torch.nn.Embedding(26, 4), torch.nn.GRU(4, 5, batch_first=True), torch.nn.Linear(5, 2)

    def forward(self, ids):                                               # (B, T) -> (B, T, 2)
        return self.head(self.rnn(self.emb(ids))[0])


def test_whole_model_with_typed_text():
    torch.manual_seed(0)
    model = Tagger()
    enc = lambda text: (torch.tensor([[ord(c) - 97 for c in text]]), list(text))  # noqa: E731
    view = rnnviz.unroll_view(model, encode=enc, text="hello", widget=True)
    assert [c.description for c in view.controls] == ["input"]            # no clamp: needs the GRU itself
    view.whatif.set_text("abcdefg")
    ids = enc("abcdefg")[0]
    tr = rnnviz.trace(model.rnn, model.emb(ids))
    assert view.canvas.figure["data"][0]["z"] == rounded(tr.hidden[0, 0, 0].T)
    with pytest.raises(ValueError, match="clamp= works on a recurrent module itself"):
        rnnviz.unroll_view(model, ids, clamp={"update": 1.0})


# ---------------------------------------------------------------- gradients

def flow(T=6, L=2, B=2, scale=1.0, kind="LSTM") -> GradientFlow:
    g = torch.Generator().manual_seed(int(scale * 10))
    return GradientFlow(torch.rand(L, 1, B, T, generator=g) * scale, torch.rand(B, T, generator=g), 0.5, kind=kind)


def test_gradient_view_side_by_side_on_a_log_axis():
    flows = {"RNN": flow(kind="RNN"), "LSTM": flow(scale=2.0)}
    flows["RNN"].hidden[0, 0, :, 0] = 0.0                                 # cannot be drawn on a log axis
    fig = rnnviz.gradient_view(flows, sample=1)
    assert len(fig.data) == 6                                             # 2 models x (2 layers + inputs)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    # one shared scale labelled once (the second panel's labels met the first panel's time cursor)
    assert fig.layout.yaxis2.matches == "y" and fig.layout.yaxis2.showticklabels is False
    assert fig.layout.sliders[0].currentvalue.prefix == "t = "                 # no tokens: no "· token"
    assert fig.data[0].y[0] is None
    assert list(fig.data[4].y) == rounded(flows["LSTM"].hidden[1, 0, 1])
    assert list(fig.data[5].y) == rounded(flows["LSTM"].inputs[1])
    mean = rnnviz.gradient_view(flows["LSTM"])
    assert list(mean.data[0].y) == rounded(flows["LSTM"].hidden[0, 0].mean(0))


def test_gradient_view_walks_training_steps():
    history = [(s, flow(scale=1.0 + s)) for s in (0, 10, 20)]
    fig = rnnviz.gradient_view(history)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["0", "10", "20"]
    assert list(fig.frames[2].data[1].y) == rounded(history[2][1].hidden[1, 0].mean(0))
    lo, hi = fig.layout.yaxis.range                                       # fixed over training (log10 units)
    everything = torch.cat([f.hidden.mean(2).flatten() for _, f in history] + [f.inputs.mean(0) for _, f in history])
    assert 10 ** lo < everything.min().item() and everything.max().item() < 10 ** hi
    view = rnnviz.gradient_view(history, widget=True, fps=8)
    play = view.figure_dict()["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["duration"] == 125.0                             # 8 training steps per second
    view.set_step(2)
    assert list(view.figure.data[1].y) == rounded(history[2][1].hidden[1, 0].mean(0))


def test_a_bidirectional_gradient_view_names_each_line_for_its_own_direction():
    """The line a student reads as "layer 0 ←" must be the backward direction's ‖dL/dh_t‖ and
    "layer 0 →" the forward one's (here known, different tensors); with the arrows swapped, or both
    lines drawn from the forward direction, a backward gradient fading the other way was misread."""
    g = torch.Generator().manual_seed(0)
    hidden = torch.rand(2, 2, 1, 6, generator=g)                         # (L, D, B, T)
    fl = GradientFlow(hidden, torch.rand(1, 6, generator=g), 0.5, kind="GRU")
    fig = rnnviz.gradient_view(fl, sample=0)
    assert {d.name: list(d.y) for d in fig.data} == {
        "layer 0 →": rounded(fl.hidden[0, 0, 0]), "layer 0 ←": rounded(fl.hidden[0, 1, 0]),
        "layer 1 →": rounded(fl.hidden[1, 0, 0]), "layer 1 ←": rounded(fl.hidden[1, 1, 0]),
        "input x<sub>t</sub>": rounded(fl.inputs[0])}


def test_gradient_hover_numbers_are_those_of_the_step_pointed_at():
    """The hover is the number a student reads off a line: at step t it must be that line's ‖dL/dh_t‖
    (3 significant digits), for every line and at every training step of a history; reversed in time
    it gave the norm of step T−1−t beside the point of step t."""
    fl = flow()
    fig = rnnviz.gradient_view(fl, sample=1)
    for d, want in zip(fig.data, [fl.hidden[0, 0, 1], fl.hidden[1, 0, 1], fl.inputs[1]]):
        assert list(d.text) == [f"{v:.3g}" for v in want.tolist()], d.name
    history = [(s, flow(scale=1.0 + s)) for s in (0, 10)]
    fig = rnnviz.gradient_view(history, sample=0)
    for k, (_, f) in enumerate(history):
        assert list(fig.frames[k].data[1].text) == [f"{v:.3g}" for v in f.hidden[1, 0, 0].tolist()], k


def test_gradient_view_from_a_live_model_and_a_train_button():
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 4)
    x = torch.randn(8, 1, 2)                                              # (T, B, I)
    loss = lambda out: out[0][-1].pow(2).sum()  # noqa: E731
    fig = rnnviz.gradient_view(rnn, x, loss)
    ref = rnnviz.gradient_flow(rnn, x, loss)
    assert list(fig.data[0].y) == rounded(ref.hidden[0, 0, 0])
    rec = rnnviz.GradientRecorder(x, loss)
    rec.record(rnn, 0)
    opt = torch.optim.SGD(rnn.parameters(), lr=0.5)

    def train():
        opt.zero_grad()
        loss(rnn(x)).backward()
        opt.step()
        rec.record(rnn, len(rec))
    view = rnnviz.gradient_view(rec, train=train, widget=True)
    canvas = view.canvas
    assert [c.description for c in view.controls] == ["Train"]
    view.train(None)
    fig = canvas.figure
    assert view.canvas is canvas and len(fig["layout"]["sliders"][0]["steps"]) == 2
    assert canvas.step == 1                                               # the newest training step is shown
    assert fig["data"][0]["y"] == rounded(rec.records[1][1].hidden[0, 0, 0])


# ---------------------------------------------------------------- attention

@pytest.mark.parametrize("shape,heads", [((4, 5), 1), ((2, 4, 5), 1), ((2, 3, 4, 5), 3)])
def test_attention_accepts_three_layouts(shape, heads):
    w = torch.softmax(torch.randn(*shape), dim=-1)
    fig = rnnviz.attention_view(w, list("abcde"), list("wxyz"), sample=1 if len(shape) > 2 else 0)
    assert len(fig.data) == heads
    picked = w if len(shape) == 2 else w[1]
    picked = picked.reshape(heads, 4, 5)
    for k in range(heads):
        assert [list(r) for r in fig.data[k].z] == rounded(picked[k])
    assert len(fig.layout.sliders[0].steps) == 4
    assert list(fig.layout.xaxis.ticktext) == [f"{i} · {c}" for i, c in enumerate("abcde")]
    assert list(fig.layout.yaxis.ticktext) == [f"{i} · {c}" for i, c in enumerate("wxyz")]


def test_attention_heads_fit_the_size_budget():
    w = torch.softmax(torch.randn(1, 8, 100, 200), dim=-1)               # 160k weights > 105k
    fig = rnnviz.attention_view(w)
    assert len(fig.data) == 5 and "heads 0..4 of 8 shown" in fig.layout.title.text
    assert len(fig.to_json()) < 1_000_000
    fig = rnnviz.attention_view(w, heads=[6, 7])
    assert [d.name for d in fig.data] == ["head 6", "head 7"]
    assert [list(r) for r in fig.data[1].z] == rounded(w[0, 7])
    with pytest.raises(ValueError, match=r"head indices in 0\.\.7 .*got \[8\]"):
        rnnviz.attention_view(w, heads=[8])


def test_attention_errors():
    with pytest.raises(ValueError, match=r"\(batch, heads, target, source\), got shape \(5,\)"):
        rnnviz.attention_view(torch.rand(5))
    with pytest.raises(ValueError, match="expected 3 tokens, one per source position, got 2"):
        rnnviz.attention_view(torch.rand(2, 3), ["a", "b"])
    with pytest.raises(ValueError, match="expected 2 tokens, one per target step, got 3"):
        rnnviz.attention_view(torch.rand(2, 3), list("abc"), list("abc"))
    for empty in (torch.rand(0, 0), torch.rand(3, 0), torch.rand(1, 2, 0, 4)):
        with pytest.raises(ValueError, match=r"at least one target step and one source position, got shape"):
            rnnviz.attention_view(empty)


# ---------------------------------------------------------------- linked, export

def test_linked_views_are_one_figure_with_one_time_axis(lstm):
    x = torch.randn(5, 3)
    a = rnnviz.unroll_view(lstm, x, widget=True)
    b = rnnviz.gates_view(lstm, x, widget=True)
    linked = rnnviz.linked_views(a, b)
    fig = linked.figure_dict()
    shown = {tuple(t["meta"].values()) for t in b.spec["data"] if t.get("legendgroup")}    # the gates' layer
    heatmaps = sum(t["type"] == "heatmap" and tuple(t["meta"].values()) in shown for t in a.spec["data"])
    units = len({t["legendgroup"] for t in b.spec["data"] if t.get("legendgroup")})
    # both views' traces, then a focus outline per unit of the gates view on the heatmap of the same layer
    # and direction (unit 2 of another layer is another unit)
    assert sum(t["type"] == "heatmap" for t in a.spec["data"]) > heatmaps == 1
    assert len(fig["data"]) == len(a.spec["data"]) + len(b.spec["data"]) + heatmaps * units
    assert len(fig["layout"]["sliders"]) == 1 and len(fig["frames"]) == 5
    # every frame moves both views' cursors: the unroll outline and the gates line sit on the same step
    for k, frame in enumerate(fig["frames"]):
        outline = [s for s in frame["layout"]["shapes"] if s.get("line", {}).get("color") == "black"
                   and s.get("type", "rect") == "rect"]
        line = [s for s in frame["layout"]["shapes"] if s.get("type") == "line"]
        assert [(s["x0"] + s["x1"]) / 2 for s in outline] == [k] and [s["x0"] for s in line] == [k]
        assert line[0]["xref"] != outline[0]["xref"]                     # each on its own view's time axis
    # no two views share an axis; every trace points at axes the layout has
    axes = {k for k in fig["layout"] if "axis" in k and not k.startswith("coloraxis")}
    for tr in fig["data"]:
        for key in ("xaxis", "yaxis"):
            name = tr[key][0] + "axis" + tr[key][1:]
            assert name in axes
    # side by side: every plot area (x domain of its anchor x axis, y domain) apart from every other
    lay = fig["layout"]
    boxes = {(tuple(lay["xaxis" + lay[k]["anchor"][1:]]["domain"]), tuple(lay[k]["domain"]))
             for k in axes if k.startswith("yaxis")}
    apart = lambda a, b: a[1] <= b[0] + 1e-9 or b[1] <= a[0] + 1e-9  # noqa: E731
    assert all(apart(p[0], q[0]) or apart(p[1], q[1]) for p in boxes for q in boxes if p != q)
    assert lay["height"] <= 600                                       # two views fit a laptop with one slider
    linked.set_step(4)
    assert linked.figure_dict()["layout"]["sliders"][0]["active"] == 4
    c = rnnviz.unroll_view(lstm, torch.randn(3, 3), widget=True)
    with pytest.raises(ValueError, match=r"same number of slider steps to link, got \[5, 3\]"):
        rnnviz.linked_views(a, c)
    with pytest.raises(TypeError, match="widget=True"):
        rnnviz.linked_views(a, go.Figure())


def test_linked_views_keep_each_views_own_colour_scale(lstm):
    """Linked beside an unroll view (h on a diverging ±1 scale), an attention map must keep its own
    0..1 weight colours and colour bar; drawn on the unroll view's colour axis a weight of 0 came out
    white, the middle of the h scale, and the weights had no colour bar of their own."""
    x = torch.randn(6, 3)
    w = torch.softmax(torch.randn(6, 6), -1)
    fig = rnnviz.linked_views(rnnviz.unroll_view(lstm, x, widget=True), rnnviz.attention_view(w, widget=True))
    fig = fig.figure_dict()
    lay = fig["layout"]
    heads = [t for t in fig["data"] if t["type"] == "heatmap" and t["name"].startswith("head")]
    states = [t for t in fig["data"] if t["type"] == "heatmap" and t["name"].startswith("layer")]
    assert len(heads) == 1 and len(states) == 4
    h_max = rnnviz.trace(lstm, x).hidden.abs().max().item()
    for t in states:
        axis = lay[t["coloraxis"]]
        assert axis["cmin"] == -axis["cmax"] and axis["cmax"] >= h_max, t["name"]     # ±1: h of tanh
    weights = lay[heads[0]["coloraxis"]]
    assert heads[0]["coloraxis"] not in {t["coloraxis"] for t in states}
    assert weights["cmin"] == 0 and weights["cmax"] >= w.max().item()                  # weights: 0..1
    assert weights["colorscale"] != lay[states[0]["coloraxis"]]["colorscale"]


def test_export_html_is_standalone(tmp_path, lstm):
    view = rnnviz.unroll_view(lstm, torch.randn(4, 3), tokens=TOKENS[:4], widget=True)
    path = rnnviz.export_html(view, tmp_path / "view.html")
    page = path.read_text()
    assert "<script src=" not in page and "requirejs" not in page
    assert "Plotly.newPlot" in page and "toImageButtonOptions" in page and "Plotly.addFrames" in page
    assert len(page) > 1_000_000 and page.count("plotly.js v") == 1       # plotly.js inlined, once
    with pytest.raises(ValueError, match="ending in .html"):
        rnnviz.export_html(view, tmp_path / "view.png")


def test_an_exported_page_fetches_nothing_from_the_network(tmp_path, lstm):
    """Offline in a classroom, a page that loads a script from a CDN draws nothing: no <script> with a
    src in any quoting or attribute order, and no http(s) address anywhere but inside plotly.js itself
    (its bundle names XML namespaces and licences), compared against plotly's own copy of plotly.js."""
    from plotly.offline import get_plotlyjs
    view = rnnviz.unroll_view(lstm, torch.randn(4, 3), tokens=TOKENS[:4], widget=True)
    page = rnnviz.export_html(view, tmp_path / "view.html").read_text()
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I)
    bundle = get_plotlyjs()
    assert page.count(bundle) == 1                                        # inlined whole, once
    rest = page.replace(bundle, "")
    found = re.search(r".{0,60}(?:https?://|<link\b).{0,60}", rest, re.I | re.S)
    assert found is None, found.group(0)


def test_export_html_takes_any_plotly_figure_with_gaps_and_dates(tmp_path):
    """A plain plotly figure may hold NaN (a gap in a line), numpy arrays and dates; they failed
    to export (ValueError 'Out of range float values', 'cannot write ndarray')."""
    fig = go.Figure([go.Scatter(x=[0, 1, 2], y=[1, float("nan"), 2]),
                     go.Scatter(x=np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
                                y=np.array([1.0, 2.0]))])
    fig.frames = [go.Frame(data=[go.Scatter(y=[2, float("nan"), 1])], name="f0")]
    page = rnnviz.export_html(fig, tmp_path / "plain.html").read_text()
    drawn = json.loads(re.search(r"var fig = (.*);\n", page).group(1))   # strict JSON: no NaN
    assert drawn["data"][0]["y"] == [1, None, 2] and drawn["frames"][0]["name"] == "f0"
    assert drawn["data"][1]["x"] == ["2020-01-01", "2020-01-02"]


def test_export_html_expands_the_home_directory(tmp_path, monkeypatch, lstm):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = rnnviz.export_html(rnnviz.unroll_view(lstm, torch.randn(4, 3), widget=True), "~/x.html")
    assert path == tmp_path / "x.html" and path.stat().st_size > 1_000_000


def test_linked_clamped_and_free_gates_views_list_each_unit_once_in_the_legend():
    # clamped against unclamped side by side: one slider, and one legend entry per unit that
    # toggles that unit in both views (the same legend group)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6)
    x = torch.randn(12, 3)                                                    # (T, I)
    free = rnnviz.gates_view(lstm, x, widget=True)
    clamped = rnnviz.gates_view(lstm, x, clamp={"forget": 1.0}, widget=True)
    fig = rnnviz.linked_views(free, clamped).figure_dict()
    listed = [(t.get("legendgroup"), t.get("name")) for t in fig["data"] if t.get("showlegend")]
    assert len(listed) == len(set(listed)) == 4                               # units 0-3, once each
    groups = {t.get("legendgroup") for t in fig["data"] if t.get("legendgroup")}
    for g in groups:                                                          # each group spans both views
        axes = {t["xaxis"] for t in fig["data"] if t.get("legendgroup") == g}
        assert len(axes) >= 2, (g, axes)


def test_linked_focus_outlines_unit_rows_only():
    # an attention map's rows are target steps, not units: the focus menu must not outline them
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6)
    x = torch.randn(6, 3)                                                     # (T, I)
    attention = rnnviz.attention_view(torch.softmax(torch.randn(6, 6), -1), widget=True)
    fig = rnnviz.linked_views(rnnviz.unroll_view(lstm, x, widget=True), attention).figure_dict()
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    outlines = [t for t in fig["data"] if str(t.get("name", "")).endswith("(focus)")]
    assert len(heat) == 2 and outlines and {t["yaxis"] for t in outlines} == {heat[0]["yaxis"]}
    menu = [m for m in fig["layout"]["updatemenus"] if m["type"] == "dropdown"][0]
    assert [b["label"] for b in menu["buttons"]] == ["focus: none"] + [f"focus: unit {u}" for u in range(6)]


def test_linked_views_focus_a_unit_in_every_view():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6)
    x = torch.randn(12, 3)                                                    # (T, I)
    unroll, gates = rnnviz.unroll_view(lstm, x, widget=True), rnnviz.gates_view(lstm, x, widget=True)
    fig = rnnviz.linked_views(unroll, gates, focus=2).figure_dict()
    heat = [t for t in fig["data"] if t["type"] == "heatmap"][0]
    outlines = [t for t in fig["data"] if t["type"] == "bar" and t["name"].endswith("(focus)")]
    assert [t["y"] for t in outlines] == [["0"], ["1"], ["2"], ["3"]]         # one per unit of the gates view
    assert all(t["yaxis"] == heat["yaxis"] and t["x"] == [12] and t["base"] == [-0.5] for t in outlines)
    assert [t["opacity"] for t in outlines] == [0, 0, 1, 0]                   # unit 2's row outlined at first
    lines = [t for t in fig["data"] if str(t.get("legendgroup", "")).startswith("unit ")]
    assert {t["line"]["width"] for t in lines if t["legendgroup"] == "unit 2"} == {3.5}
    # the others fade, but unit 0, whose update the gates title writes out with its numbers, stays drawn
    assert all(t.get("opacity") == (1.0 if t["name"].endswith("(equation)") else 0.35)
               for t in lines if t["legendgroup"] != "unit 2")
    assert {t["legendgroup"] for t in lines if t["name"].endswith("(equation)")} == {"unit 0"}
    # frames never touch the focus (a trace, not a shape: a frame replaces every shape)
    index = {id(t): i for i, t in enumerate(fig["data"])}
    touched = {i for f in fig["frames"] for i in f.get("traces", [])}
    assert not touched & {index[id(t)] for t in outlines + lines}
    # the browser's menu: none, then each unit; a choice restyles the lines and shows that unit's outline
    menu = [m for m in fig["layout"]["updatemenus"] if m["type"] == "dropdown"][0]
    assert [b["label"] for b in menu["buttons"]] == ["focus: none"] + [f"focus: unit {u}" for u in range(4)]
    assert menu["active"] == 3
    for b in menu["buttons"]:
        values, traces = b["args"]
        state = dict(zip(traces, zip(values["line.width"], values["opacity"])))
        unit = b["label"].removeprefix("focus: unit ")
        for t in lines:
            width, opacity = state[index[id(t)]]
            if b["label"] == "focus: none":
                assert opacity == 1.0                                      # widths: checked against plain below
            else:
                faded = 1.0 if t["name"].endswith("(equation)") else 0.35
                assert (width, opacity) == ((3.5, 1.0) if t["legendgroup"] == f"unit {unit}" else (1.5, faded))
        assert [state[index[id(t)]][1] for t in outlines] == [float(t["y"][0] == unit) for t in outlines]
    none = dict(zip(menu["buttons"][0]["args"][1], menu["buttons"][0]["args"][0]["line.width"]))
    plain = rnnviz.linked_views(unroll, gates).figure_dict()                   # "none" = the views as drawn
    assert [none[index[id(t)]] for t in lines] == [t["line"]["width"] for t in plain["data"]
                                                   if str(t.get("legendgroup", "")).startswith("unit ")]
    assert [t.get("opacity") for t in plain["data"] if t["type"] == "bar"] == [0.0] * 4
    with pytest.raises(TypeError, match="focus as a unit index"):
        rnnviz.linked_views(unroll, gates, focus="2")
    with pytest.raises(ValueError, match=r"focus as a unit that the views show, one of \[0, 1, .*got 99"):
        rnnviz.linked_views(unroll, gates, focus=99)                     # was a menu entry for a unit no view has


def test_a_packed_sample_is_shown_over_its_own_steps():
    """A shorter sequence of a packed batch showed NaN steps past its end ('nan·nan' in the
    title) and refused its own tokens; it is now shown over its own length, and padded tokens are cut."""
    from torch.nn.utils.rnn import pack_padded_sequence

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    packed = pack_padded_sequence(torch.randn(3, 6, 3), [6, 2, 4], batch_first=True, enforce_sorted=False)
    tr = rnnviz.trace(lstm, packed)
    for tokens in (["a", "b"], list("abcdef")):
        fig = rnnviz.gates_view(lstm, packed, sample=1, tokens=tokens)
        assert len(fig.frames) == 2 and "sample 1: its 2 steps" in fig.layout.title.text
        assert fig.layout.title.text.startswith("LSTM gates, layer 0, sample 1:")   # was "sample 0" (its index once cut)
        assert "nan" not in json.dumps([f.layout.title.text for f in fig.frames])
        assert list(fig.data[0].y) == rounded(tr.gates["input"][0, 0, 1, :2, 0])
    fig = rnnviz.unroll_view(lstm, packed, sample=2)
    assert fig.layout.title.text.startswith("LSTM unrolled in time, sample 2:")
    assert len(fig.frames) == 4 and np.isfinite(np.array(fig.data[0].z, dtype=float)).all()
    assert len(rnnviz.unroll_view(lstm, packed, sample=0).frames) == 6      # the longest: all steps
    with pytest.raises(ValueError, match="expected 2 tokens"):
        rnnviz.unroll_view(lstm, packed, sample=1, tokens=list("abc"))


def test_a_model_that_takes_several_arguments_gets_them_as_a_tuple():
    """gradient_flow takes (ids, lengths) as model(*inputs); the views passed the tuple as one argument
    ("expected token ids as a torch.Tensor, got tuple")."""
    from rnnviz.models import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier(10, embed_dim=4, hidden_size=6, cell="gru")
    ids, lengths = torch.randint(2, 10, (3, 7)), torch.tensor([7, 4, 5])
    assert len(rnnviz.unroll_view(model, (ids, lengths), sample=1).frames) == 4   # packed inside: its 4 steps
    assert len(rnnviz.gates_view(model, (ids, lengths), sample=0).frames) == 7


def test_a_saturated_gate_reads_far_out_not_nan():
    """A gate that rounds to exactly 1 (or tanh to ±1) has an infinite recovered pre-activation; its
    hover read 'σ(nan) = 1' before."""
    torch.manual_seed(0)
    fig = rnnviz.gates_view(torch.nn.LSTM(3, 4), torch.full((6, 1, 3), 50.0), units=[0, 1, 2, 3])
    texts = [t for tr in fig.data if tr.text is not None for t in tr.text]
    assert texts and not any("(nan)" in t for t in texts)
    assert any(t.endswith("(≫0) = 1") or t.endswith("(≪0) = -1") or t.endswith("(≪0) = 0") for t in texts)


def test_the_batch_mean_of_gradient_norms_keeps_a_real_nan_as_a_gap_and_says_it_per_sample():
    """A NaN in one sample's input made its norms NaN; the "mean over the batch" quietly became the
    other sample's curve, and the title said "not drawn" for every sample. The mean now leaves out
    only padding (past a length) and the note follows the sample shown."""
    torch.manual_seed(0)
    m = torch.nn.GRU(3, 5, batch_first=True)
    x = torch.randn(2, 4, 3)
    x[0, 1, 0] = float("nan")
    flow = rnnviz.gradient_flow(m, x, lambda o: o[0].sum())
    h = flow.hidden[0, 0].numpy()                                            # (B, T)
    assert np.isnan(h[0, :3]).all() and np.isfinite(h[1]).all()
    mean = rnnviz.gradient_view(flow, widget=False)
    assert list(mean.data[0].y[:3]) == [None] * 3                            # a gap, not sample 1's curve
    assert mean.data[0].y[3] == r3((h[0, 3] + h[1, 3]) / 2)
    assert "inf or NaN" in mean.layout.title.text
    one = rnnviz.gradient_view(flow, sample=1, widget=False)
    assert list(one.data[0].y) == [r3(v) for v in h[1]] and "inf or NaN" not in one.layout.title.text
    assert "sample 1" in rnnviz.gradient_view(flow, sample=-1, widget=False).layout.title.text


def test_the_batch_mean_of_gradient_norms_leaves_out_padding():
    """Past a packed sample's length its norms are NaN padding: the mean is over the samples that
    have step t, and that is not an inf/NaN note."""
    torch.manual_seed(0)
    m = torch.nn.RNN(3, 4, batch_first=True)
    x = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(2, 5, 3), [5, 2], batch_first=True)
    flow = rnnviz.gradient_flow(m, x, lambda o: torch.nn.utils.rnn.pad_packed_sequence(o[0])[0].sum())
    h = flow.hidden[0, 0].numpy()
    fig = rnnviz.gradient_view(flow, widget=False)
    assert list(fig.data[0].y) == [r3((h[0, t] + h[1, t]) / 2) for t in range(2)] + [r3(h[0, t]) for t in range(2, 5)]
    assert "inf or NaN" not in fig.layout.title.text


def test_an_infinite_attention_weight_is_a_gap_not_a_crash():
    """An inf weight made the colour scale's top inf, which strict JSON refused: the view could not
    be shown or exported."""
    w = torch.softmax(torch.randn(3, 4, generator=torch.Generator().manual_seed(0)), -1)
    w[0, 0] = float("inf")
    fig = rnnviz.attention_view(w, widget=False)
    assert fig.layout.coloraxis.cmax == 1.0 and fig.data[0].z[0][0] is None
    assert rnnviz.attention_view(w, widget=True)._repr_mimebundle_()        # what Jupyter calls to show it


def test_numpy_integers_pick_samples_and_heads():
    """np.int64 from an argmax or np.arange(2) for heads were refused as "not an int"."""
    w = torch.rand(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    a = rnnviz.attention_view(w, sample=np.int64(-1), heads=np.arange(2), widget=False)
    b = rnnviz.attention_view(w, sample=1, heads=[0, 1], widget=False)
    assert a.to_json() == b.to_json() and "sample 1" in a.layout.title.text
    assert rnnviz.attention_view(w, heads=-1, widget=False).to_json() == rnnviz.attention_view(w, heads=2, widget=False).to_json()
    with pytest.raises(ValueError, match="head indices"):
        rnnviz.attention_view(w, heads=[3], widget=False)
    with pytest.raises(TypeError, match="int batch index"):
        rnnviz.attention_view(w, sample=1.0, widget=False)


class _OwnForwardLSTM(torch.nn.LSTM):
    def forward(self, x, hx=None):               # rnnviz cannot see inside: refused with a reason
        return super().forward(x, hx)


class _Holder(torch.nn.Module):
    def __init__(self, rnn, call=True):
        super().__init__()
        self.rnn, self.call = rnn, call

    def forward(self, x):
        return self.rnn(x)[0] if self.call else x


def test_a_view_of_a_model_says_why_it_found_no_recurrent_module():
    """A refused subclass, a model without an RNN and one that never calls its RNN all read
    "holds 0 recurrent submodules []; choose one with module=<name>"."""
    x = torch.randn(1, 5, 3)
    with pytest.raises(ValueError, match="overrides forward|own forward"):
        rnnviz.unroll_view(_Holder(_OwnForwardLSTM(3, 4, batch_first=True)), x, widget=False)
    with pytest.raises(ValueError, match="'rnn' cannot be read: .*forward"):
        rnnviz.unroll_view(_Holder(_OwnForwardLSTM(3, 4, batch_first=True)), x, module="rnn", widget=False)
    with pytest.raises(ValueError, match=r"holds none \(no nn.RNN/LSTM/GRU or cell\)"):
        rnnviz.unroll_view(torch.nn.Linear(3, 3), x, widget=False)
    with pytest.raises(ValueError, match=r"did not call its recurrent submodule\(s\) \['rnn'\]"):
        rnnviz.unroll_view(_Holder(torch.nn.GRU(3, 4, batch_first=True), call=False), x, widget=False)


def test_views_take_the_submodule_itself_as_module_like_gradient_flow():
    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.GRU(3, 4, batch_first=True), torch.nn.GRU(4, 4, batch_first=True)

        def forward(self, x):
            return self.b(self.a(x)[0])[0]
    torch.manual_seed(0)
    two, x = Two(), torch.randn(1, 5, 3)
    by_object = rnnviz.unroll_view(two, x, module=two.b, widget=False)
    assert by_object.to_json() == rnnviz.unroll_view(two, x, module="b", widget=False).to_json()
    with pytest.raises(ValueError, match="does not hold"):
        rnnviz.unroll_view(two, x, module=torch.nn.GRU(4, 4), widget=False)


def test_a_trace_with_words_as_inputs_is_told_to_use_tokens():
    tr = rnnviz.trace(torch.nn.GRU(3, 4, batch_first=True), torch.randn(1, 3, 3))
    with pytest.raises(ValueError, match=r"tokens=\[\.\.\.\]"):
        rnnviz.unroll_view(tr, ["the", "cat", "sat"], widget=False)
    assert rnnviz.unroll_view(tr, tokens=["the", "cat", "sat"], widget=False).data


def test_small_input_checks_of_the_views(tmp_path):
    """A unit asked for twice drew two rows and two legend entries of the same unit; a 1-step view
    said "1 steps"; export_html into a missing folder gave a bare FileNotFoundError."""
    torch.manual_seed(0)
    gru, x = torch.nn.GRU(3, 4, batch_first=True), torch.randn(1, 1, 3)
    for view in (rnnviz.unroll_view, rnnviz.gates_view):
        with pytest.raises(ValueError, match=r"each unit once in units=, got \[1\]"):
            view(gru, x, units=[1, 0, 1], widget=False)
    assert "1 step;" in rnnviz.unroll_view(gru, x, widget=False).layout.title.text
    fig = rnnviz.unroll_view(gru, torch.randn(1, 3, 3), widget=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rnnviz.export_html(fig, tmp_path / "missing" / "view.html")
    assert not (tmp_path / "missing").exists()
    assert rnnviz.export_html(fig, tmp_path / "view.html").stat().st_size > 1_000_000   # plotly.js inlined


def test_the_title_names_the_heads_shown():
    """heads=[0, 2] of 3 was titled "heads 0..2 of 3 shown", which reads as all three."""
    w = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    assert "(heads 0, 2 of 3 shown" in rnnviz.attention_view(w, heads=[0, 2], widget=False).layout.title.text
    assert "(head 1 of 3 shown" in rnnviz.attention_view(w, heads=1, widget=False).layout.title.text
    assert "(heads 1..2 of 3 shown" in rnnviz.attention_view(w, heads=[1, 2], widget=False).layout.title.text
    assert "shown" not in rnnviz.attention_view(w, heads=None, widget=False).layout.title.text
