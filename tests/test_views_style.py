"""One look for every view, laptop and projector sizes, and views that explain themselves (issue 14).

Read without a browser: the figure dicts the views produce. The browser test
(tests/test_browser.py) checks the same views drawn at 1366x768.
"""
from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import rnnviz
from rnnviz.views import _style
from rnnviz.views.gates import cell_range

TOKENS = "the cat sat on the mat".split()


def r3(v) -> float:
    """3 significant digits, the views' rounding, written here independently."""
    return float(f"{float(v):.3g}")


@pytest.fixture(autouse=True)
def laptop():
    """Every test starts (and leaves the module) at laptop size."""
    rnnviz.set_projector(False)
    yield
    rnnviz.set_projector(False)


@pytest.fixture
def lstm():
    torch.manual_seed(0)
    return torch.nn.LSTM(3, 6)


def all_views(lstm, **kw) -> dict[str, dict]:
    """Every kind of view of the course, as figure dicts (frames included)."""
    torch.manual_seed(1)
    x = torch.randn(len(TOKENS), 3)
    flow = rnnviz.gradient_flow(lstm, x, lambda out: out[0][-1].sum())
    views = {
        "unroll": rnnviz.unroll_view(lstm, x, tokens=TOKENS, widget=True),
        "gates": rnnviz.gates_view(lstm, x, tokens=TOKENS, widget=True, **kw),
        "attention": rnnviz.attention_view(torch.softmax(torch.randn(2, 2, 6, 6), -1), TOKENS, TOKENS, widget=True,
                                           **kw),
        "gradients": rnnviz.gradient_view(flow, widget=True, **kw),
    }
    views["linked"] = rnnviz.linked_views(views["unroll"], rnnviz.gates_view(lstm, x, tokens=TOKENS, widget=True))
    return {name: v.figure_dict() for name, v in views.items()}


def font_sizes(fig: dict) -> dict[str, list[int]]:
    """Font sizes by role, from the layout and every frame's layout."""
    lay = fig["layout"]
    axes = [v for k, v in lay.items() if re.match(r"^[xy]axis\d*$", k)]
    out = {"ticks": [a["tickfont"]["size"] for a in axes],
           "axis titles": [a["title"]["font"]["size"] for a in axes if "title" in a],
           "titles": ([lay["title"]["font"]["size"]] if "title" in lay else [])
           + [f["layout"]["title"]["font"]["size"] for f in fig["frames"] if "title" in f["layout"]]
           + [a["font"]["size"] for f in fig["frames"] for a in f["layout"].get("annotations", [])
              if a.get("name") == _style.TITLE_NAME],
           "text": [lay["font"]["size"], lay["legend"]["font"]["size"]]
           + [a["font"]["size"] for a in lay.get("annotations", [])]
           + [a["font"]["size"] for f in fig["frames"] for a in f["layout"].get("annotations", [])
              if a.get("name") != _style.TITLE_NAME],
           "colour bars": [c["colorbar"]["tickfont"]["size"] for k, c in lay.items() if k.startswith("coloraxis")]}
    for sl in lay.get("sliders", []):
        out["text"].append(sl["currentvalue"]["font"]["size"])
    for um in lay.get("updatemenus", []):
        out["text"].append(um["font"]["size"])
    return out


def test_laptop_fonts_are_readable_and_projector_fonts_are_18_px_or_more(lstm):
    for projector, least in ((False, {"ticks": 13, "text": 13, "axis titles": 14, "titles": 17, "colour bars": 13}),
                             (True, {"ticks": 18, "text": 18, "axis titles": 20, "titles": 24, "colour bars": 18})):
        rnnviz.set_projector(projector)
        for name, fig in all_views(lstm).items():
            roles = font_sizes(fig)
            assert roles["ticks"] and roles["titles"] and roles["text"], name
            for role, sizes in roles.items():
                assert not sizes or min(sizes) == least[role], (name, projector, role, sizes)


def test_one_look_everywhere_also_for_a_plain_figure(lstm):
    figs = all_views(lstm)
    torch.manual_seed(0)
    flow = rnnviz.gradient_flow(lstm, torch.randn(4, 3), lambda out: out[0][-1].sum())
    plain = rnnviz.gradient_view(flow, widget=False)                    # was plotly.py's grey default
    assert isinstance(plain, go.Figure)
    figs["plain gradients"] = plain.to_plotly_json()
    for name, fig in figs.items():
        lay = fig["layout"]
        assert (lay["plot_bgcolor"], lay["paper_bgcolor"]) == ("white", "white"), name
        assert lay["template"]["layout"]["plot_bgcolor"] == "white", name
        assert lay["font"]["family"] == _style.FONT_FAMILY, name
        for key, axis in lay.items():
            if re.match(r"^[xy]axis\d*$", key):
                assert axis["gridcolor"] == _style.GRID_COLOUR, (name, key)
            if key.startswith("coloraxis"):
                assert (axis["colorbar"]["thickness"], axis["colorbar"]["outlinewidth"]) == (14, 0), (name, key)


def test_at_projector_size_a_view_is_taller_and_its_words_are_as_large_as_its_ticks(lstm):
    """The teacher's review: in projector mode the fonts grew but the 600 px figure did not (six gate
    rows of ~30 px, attention labels on top of each other), and the token strip stayed at 13 px."""
    words = "the quick brown fox jumps over the lazy sleeping dog again".split() * 3   # 33 words: windowed
    x = torch.randn(len(words), 3)
    for view in (rnnviz.gates_view, rnnviz.unroll_view):
        small = view(lstm, x, tokens=words, widget=True).figure_dict()
        with rnnviz.views.style(projector=True):
            big = view(lstm, x, tokens=words, widget=True).figure_dict()
        assert big["layout"]["height"] == round(small["layout"]["height"] * _style.PROJECTOR_GROWTH)
        strip = lambda fig: next(tr for tr in fig["data"] if tr["name"] == "input tokens")  # noqa: E731
        assert (strip(small)["textfont"]["size"], strip(big)["textfont"]["size"]) == (13, 18)
        # fewer characters fit at 18 px: each word is cut to at most 13/18 of the room it had at 13 px
        longest = lambda fig: max(len(t.rstrip("…")) for t in strip(fig)["text"])  # noqa: E731
        assert longest(big) < longest(small) and all(t in words or t.endswith("…") for t in strip(big)["text"])

    # styled again (a plain figure built under the switch and given projector= too): no second growth
    rnnviz.set_projector(True)
    try:
        heights = [rnnviz.gates_view(lstm, x, projector=p).layout.height for p in (True, False)]
    finally:
        rnnviz.set_projector(False)
    assert heights == [round(600 * _style.PROJECTOR_GROWTH), 600]


def test_a_plain_figure_built_at_projector_size_and_asked_for_laptop_size_writes_its_words_long_again(lstm):
    """A plain figure is restyled from what it holds: the words cut for 18 px stayed cut when the same
    figure was asked for at 13 px (``set_projector(True)`` then ``projector=False``)."""
    words = "the quick brown fox jumps over the lazy sleeping dog again".split() * 3
    x = torch.randn(len(words), 3)
    strip = lambda fig: next(tr for tr in fig.data if tr.name == "input tokens")  # noqa: E731
    for view in (rnnviz.gates_view, rnnviz.unroll_view):
        laptop = strip(view(lstm, x, tokens=words))
        rnnviz.set_projector(True)
        try:
            back = strip(view(lstm, x, tokens=words, projector=False))
            big = strip(view(lstm, x, tokens=words))
        finally:
            rnnviz.set_projector(False)
        assert list(big.text) != list(laptop.text)                        # the projector cut is shorter
        assert list(back.text) == list(laptop.text) and back.textfont.size == laptop.textfont.size == 13


def test_the_switch_holds_for_views_built_after_it_and_a_block_or_a_view_can_choose(lstm):
    x = torch.randn(4, 3)
    tick = lambda view: view.figure_dict()["layout"]["xaxis"]["tickfont"]["size"]  # noqa: E731
    before = rnnviz.unroll_view(lstm, x, widget=True)
    rnnviz.set_projector(True)
    after = rnnviz.unroll_view(lstm, x, widget=True)
    assert (tick(before), tick(after)) == (13, 18)                      # a view keeps the size it was built with
    rnnviz.set_projector(False)
    with rnnviz.views.style(projector=True) as look:
        inside = rnnviz.gates_view(lstm, x, widget=True)
        assert look.projector is True and look.sizes.tick == 18 and "projector=True" in repr(look)
    assert rnnviz.views.style().projector is False                      # the block is over
    assert tick(inside) == 18
    assert tick(rnnviz.gates_view(lstm, x, widget=True, projector=True)) == 18
    assert tick(rnnviz.attention_view(torch.rand(3, 3), widget=True, projector=True)) == 18
    assert rnnviz.gates_view(lstm, x, projector=True).layout.xaxis.tickfont.size == 18   # a plain Figure too
    with pytest.raises(TypeError, match=r"set_projector\(True\) or set_projector\(False\), got 'yes'"):
        rnnviz.set_projector("yes")
    with pytest.raises(TypeError, match="projector=True, False or None"):
        rnnviz.views.style(projector=1)
    with pytest.raises(TypeError, match="projector=True, False or None"):
        rnnviz.attention_view(torch.rand(3, 3), widget=True, projector="big")


def test_every_view_says_how_to_read_it_and_titles_leave_room(lstm):
    for name, fig in all_views(lstm).items():
        lay = fig["layout"]
        titles = [lay["title"]["text"]] if "title" in lay else []
        titles += [a["text"] for a in lay.get("annotations", [])]
        text = " ".join(titles)
        assert re.search(r"rows?|lines?|step|colour|column", text), (name, text)
        lines = max(t.count("<br>") + 1 for t in titles)
        if "title" in lay:                                               # room above the plot for every line
            assert lay["margin"]["t"] >= lines * 1.3 * lay["title"]["font"]["size"], name


# ---------------------------------------------------------------- gates

def test_gates_title_shows_the_state_update_with_the_numbers_of_each_step(lstm):
    x = torch.randn(5, 3)
    view = rnnviz.gates_view(lstm, x, tokens=TOKENS[:5], units=[1, 4], focus=4, widget=True)
    tr = rnnviz.trace(lstm, x)
    g = {k: v[0, 0, 0, :, 4] for k, v in tr.gates.items()}
    c = tr.cell[0, 0, 0, :, 4]
    frames = view.figure_dict()["frames"]
    for t, frame in enumerate(frames):
        line = frame["layout"]["title"]["text"]
        got = re.search(r"unit 4: c<sub>t</sub> = f·c<sub>t−1</sub> \+ i·g = (\S+)·\(?(\S+?)\)? \+ (\S+)·\(?(\S+?)\)? = ([^<\s]+)<", line)
        assert got, line
        c_prev = c[t - 1].item() if t else 0.0
        want = [g["forget"][t].item(), c_prev, g["input"][t].item(), g["cell"][t].item(), c[t].item()]
        assert [float(v) for v in got.groups()] == [float(f"{v:.3g}") for v in want], (t, line)
        assert "units 1, 4 of 6" in line
    gru = torch.nn.GRU(3, 2)
    tr = rnnviz.trace(gru, x)
    line = rnnviz.gates_view(gru, x, widget=True).figure_dict()["frames"][3]["layout"]["title"]["text"]
    z, n, h = (tr.gates["update"][0, 0, 0, 3, 0].item(), tr.gates["new"][0, 0, 0, 3, 0].item(),
               tr.hidden[0, 0, 0, :, 0])
    got = re.search(r"unit 0: h<sub>t</sub> = \(1 − z\)·n \+ z·h<sub>t−1</sub> = \(1 − (\S+)\)·\(?(\S+?)\)? \+ \S+ = ([^<\s]+)<", line)
    assert got and [float(v) for v in got.groups()] == [float(f"{v:.3g}") for v in (z, n, h[3].item())], line
    with pytest.raises(ValueError, match=r"focus as one of the units shown \[1, 4\], got 2"):
        rnnviz.gates_view(lstm, x, units=[1, 4], focus=2)


def test_gates_say_which_units_they_show_and_veil_the_steps_not_read_yet(lstm):
    fig = rnnviz.gates_view(lstm, torch.randn(6, 3), widget=True).figure_dict()
    assert "units 0–3 of 6" in fig["layout"]["title"]["text"]
    for k, frame in enumerate(fig["frames"]):
        veil, cursor = frame["layout"]["shapes"]
        assert (veil["x0"], veil["x1"], veil["layer"]) == (k + 0.5, 5.5, "above") and cursor["x0"] == k
    back = rnnviz.gates_view(torch.nn.LSTM(3, 2, bidirectional=True), torch.randn(6, 3), direction=1,
                             widget=True).figure_dict()
    veil = back["frames"][2]["layout"]["shapes"][0]
    assert (veil["x0"], veil["x1"]) == (-0.5, 1.5)                      # read backward: the start comes last
    assert fig["layout"]["height"] <= 600


def test_the_backward_direction_writes_c_t_from_the_step_after_it():
    """Read backward, the state before step t is c_{t+1}: the title and the c_t hover must write
    f_t·c_{t+1} + i_t·g_t = c_t with the c of step t+1 (0 at the last step, where the backward run
    starts); with c_{t−1} a student's numbers did not add up to c_t."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3, bidirectional=True)
    x = torch.randn(5, 2)
    fig = rnnviz.gates_view(lstm, x, direction=1, units=[0], widget=True).figure_dict()
    tr = rnnviz.trace(lstm, x)
    g = {k: v[0, 1, 0, :, 0] for k, v in tr.gates.items()}
    c = tr.cell[0, 1, 0, :, 0]
    assert torch.allclose(c[0], lstm(x)[1][1][1, 0], atol=1e-6)         # the trace's c: torch's own c_n backward
    cell_row = next(d for d in fig["data"] if d["yaxis"] == "y5")
    number = r"\(?(-?[\d.e+-]+?)\)?"
    for t, frame in enumerate(fig["frames"]):
        c_next = c[t + 1].item() if t < 4 else 0.0
        want = [r3(v) for v in (g["forget"][t], c_next, g["input"][t], g["cell"][t], c[t])]
        line = frame["layout"]["title"]["text"]
        got = re.search(r"unit 0: c<sub>t</sub> = f·c<sub>t\+1</sub> \+ i·g = " + number + "·" + number
                        + r" \+ " + number + "·" + number + " = " + number + "<", line)
        assert got and [float(v) for v in got.groups()] == want, (t, line)
        hover = re.fullmatch(number + "·" + number + r" \+ " + number + "·" + number + " = " + number,
                             cell_row["text"][t])
        assert hover and [float(v) for v in hover.groups()] == want, (t, cell_row["text"][t])


def test_c_t_has_a_fixed_range_that_moves_only_when_c_leaves_plus_minus_one(lstm):
    assert cell_range(np.array([0.2, -0.9])) == 1.0 and cell_range(np.array([2.3, -0.1])) == 3.0
    x = torch.randn(30, 3)
    for inputs in (x, 0.1 * x):
        c_axis = rnnviz.gates_view(lstm, inputs, widget=True).figure_dict()["layout"]["yaxis5"]
        assert c_axis["range"] == [-1.2, 1.2] and c_axis["tickvals"] == [-1.0, 1.0]
    clamped = rnnviz.trace(lstm, x, clamp={"forget": 1.0, "input": 1.0})    # c_t adds up g_t: leaves ±1
    top = np.ceil(clamped.cell.abs().max().item())
    c_axis = rnnviz.gates_view(clamped, widget=True).figure_dict()["layout"]["yaxis5"]
    assert top > 1 and c_axis["range"] == [-1.2 * top, 1.2 * top]


# ---------------------------------------------------------------- attention

def test_one_query_row_is_a_strip_and_the_title_says_sample_or_mean():
    w = torch.softmax(torch.randn(4, 1, 12), -1)                        # (B, T=1, S)
    one = rnnviz.attention_view(w, widget=True).figure_dict()["layout"]
    assert one["height"] == 170 + 32 and "sliders" not in one and "updatemenus" not in one   # nothing to move
    mean = rnnviz.attention_view(w, sample=None, widget=True)
    assert "mean of 4 samples" in mean.figure_dict()["layout"]["title"]["text"]
    assert [float(v) for v in mean.spec["data"][0]["z"][0]] == [float(f"{v:.3g}") for v in w.mean(0)[0]]
    assert "sample 2" in rnnviz.attention_view(w, sample=2, widget=True).figure_dict()["layout"]["title"]["text"]
    many = rnnviz.attention_view(torch.softmax(torch.randn(1, 40, 40), -1), widget=True).figure_dict()["layout"]
    assert many["height"] == 170 + 320 + 90                              # 320 px of panel at most


# ---------------------------------------------------------------- clamp controls

def test_clamp_controls_name_the_quantity_hide_an_unused_value_and_keep_the_cursor(lstm):
    x = torch.randn(6, 3)
    view = rnnviz.gates_view(lstm, x, widget=True, clamp={})
    which, value = [c for c in view.controls if c.description in ("clamp", "to")]
    assert [label for label, _ in which.options] == ["none", "input gate i", "forget gate f", "candidate g",
                                                     "output gate o"]
    assert which.value == "none" and value.layout.display == "none"   # no 1.00 shown while nothing is clamped
    view.canvas.step = 3                                                 # the user left the cursor at t = 3
    which.value = "cell"                                                 # "candidate g": g_t, not c_t
    assert value.layout.display == "" and (value.min, value.max) == (-1.0, 1.0)   # a tanh candidate's range
    fig = view.canvas.figure
    assert view.canvas.step == 3 and fig["layout"]["sliders"][0]["active"] == 3
    assert fig["layout"]["shapes"][1]["x0"] == 3                         # the gates' time cursor stayed at t = 3
    assert "clamped cell=1" in fig["layout"]["title"]["text"]
    assert list(fig["data"][8]["y"]) == [1.0] * 6                         # row g_t, unit 0: held at 1
    value.value = -0.5
    assert list(view.canvas.figure["data"][8]["y"]) == [-0.5] * 6 and view.canvas.step == 3
    which.value = "forget"                                               # back to a sigmoid gate: 0..1
    assert (value.min, value.max, value.value) == (0.0, 1.0, 0.0)
    which.value = "none"
    assert value.layout.display == "none" and "clamped" not in view.canvas.figure["layout"]["title"]["text"]
    gru = rnnviz.gates_view(torch.nn.GRU(3, 2), x, widget=True, clamp={})
    assert [label for label, _ in gru.controls[0].options] == ["none", "reset gate r", "update gate z", "candidate n"]


def test_long_title_lines_wrap_to_the_figure_and_labels_above_the_plot_get_room(lstm):
    """A long title or note line (e.g. the eval-mode note of a model left in training mode) breaks at spaces into
    lines that fit ``TITLE_WIDTH`` px, each sub-line keeping its small size; the margin above the plot
    grows with the lines; "head k" labels above attention panels get a line of their own."""
    x = torch.randn(len(TOKENS), 3)
    note = "a long note " * 20                                       # 240 characters on one line
    for projector in (False, True):
        s = _style.sizes(projector)
        rnnviz.set_projector(projector)
        fig = rnnviz.unroll_view(lstm, x, tokens=TOKENS, title=note.strip(), widget=True).figure_dict()
        for frame in fig["frames"]:
            text = frame["layout"]["title"]["text"]
            lines = text.split("<br>")
            assert len(lines) >= 4, text                               # the head went over three lines at least
            for line in lines:
                size = s.text if f"font-size:{s.text}px" in line else s.title
                plain = re.sub(r"<[^>]+>", "", line)
                assert len(plain) <= _style.TITLE_WIDTH / (0.5 * size), (projector, line)
                assert "<sup>" not in line                              # every sub-line at the text size
            assert fig["layout"]["margin"]["t"] >= len(lines) * s.line
        words = re.sub(r"<[^>]+>", "", fig["frames"][0]["layout"]["title"]["text"].replace("<br>", " ")).split()
        assert " ".join(words).startswith(" ".join(note.split()))          # nothing lost
    rnnviz.set_projector(False)
    assert _style.wrap("<sup>aa bb cc</sup>", 5) == "<sup>aa bb</sup><br><sup>cc</sup>"
    # the slider's own step labels are invisible (the axis labels the steps): they take no room by Play
    assert fig["layout"]["sliders"][0]["font"] == {"size": 1, "color": "rgba(0,0,0,0)"}
    heads = rnnviz.attention_view(torch.softmax(torch.randn(1, 2, 4, 4), -1), widget=True).figure_dict()["layout"]
    one = rnnviz.attention_view(torch.softmax(torch.randn(1, 1, 4, 4), -1), widget=True).figure_dict()["layout"]
    assert [a["yanchor"] for a in heads["annotations"]] == ["bottom", "bottom"]
    assert heads["margin"]["t"] >= one["margin"]["t"] + 1.4 * _style.LAPTOP.text   # a line for "head k"


def test_gates_write_tokens_in_a_strip_under_the_rows_and_label_time_with_flat_numbers(lstm):
    """Tokens go in a strip under the gate rows (as in the unroll view), not in rotated tick labels
    whose boxes reach the axis title."""
    x = torch.randn(len(TOKENS), 3)
    fig = rnnviz.gates_view(lstm, x, tokens=TOKENS, widget=True).figure_dict()
    lay = fig["layout"]
    assert "ticktext" not in lay["xaxis"] and lay["xaxis"].get("tickangle", 0) == 0
    assert lay["xaxis"]["title"]["text"] == "time step t"
    strip = [tr for tr in fig["data"] if tr["name"] == "input tokens"]
    assert len(strip) == 1 and strip[0]["text"] == TOKENS and list(strip[0]["x"]) == list(range(len(TOKENS)))
    strip_axis = lay["yaxis" + strip[0]["yaxis"][1:]]
    assert lay["xaxis"]["anchor"] == strip[0]["yaxis"]                  # the time axis under the strip
    rows = [v["domain"] for k, v in lay.items() if re.match(r"^yaxis\d*$", k) and v is not strip_axis]
    assert strip_axis["domain"][1] < min(d[0] for d in rows)             # below every gate row
    assert any(a["text"] == "input" for a in lay["annotations"])
    assert "input 'cat'" in fig["frames"][1]["layout"]["title"]["text"]


def test_gates_of_a_long_input_show_a_window_that_follows_the_cursor(lstm):
    """54 words (more than the 40 a strip holds at once) and 2,000 steps: the x axis shows a window
    of at most 40 steps containing the step shown, every token stays in the strip, and the
    view stays under the 1 MB budget; the values are the trace's, every step kept."""
    many = "the cat sat on the mat and ran off".split() * 6              # 54 words
    x = torch.randn(len(many), 3)
    fig = rnnviz.gates_view(lstm, x, tokens=many, widget=True).figure_dict()
    strip = [tr for tr in fig["data"] if tr["name"] == "input tokens"]
    assert len(strip) == 1 and strip[0]["text"] == many
    assert "ticktext" not in fig["layout"]["xaxis"]
    for k, frame in enumerate(fig["frames"]):
        lo, hi = frame["layout"]["xaxis"]["range"]
        assert hi - lo <= 40 and lo < k < hi and lo >= -0.5 and hi <= len(many) - 0.5, (k, lo, hi)
    assert "input 'sat'" in fig["frames"][2]["layout"]["title"]["text"]
    assert "(30 of 54 steps at a time, the" in fig["frames"][2]["layout"]["title"]["text"]   # said, as the unroll view does
    tr = rnnviz.trace(lstm, x)
    forget = [d for d in fig["data"] if d.get("yaxis") == "y2" and d["name"].startswith("unit 1")][0]
    want = tr.gates["forget"][0, 0, 0, :, 1].double().numpy()                # (T,) unit 1
    assert forget["x0"] == 0 and forget["dx"] == 1 and len(forget["y"]) == len(many)
    assert np.allclose(forget["y"], want, rtol=5e-3, atol=0)   # 3 significant digits: half a unit of the 3rd is <= 5e-3 relative
    words = [f"w{t % 97}" for t in range(2000)]                           # 2,000 steps: every 4th kept, said
    big = rnnviz.gates_view(lstm, torch.randn(2000, 3), tokens=words, widget=True)
    assert len(json.dumps(big._repr_mimebundle_()["application/vnd.plotly.v1+json"])) < 1_000_000
    assert "one step in 4 of 2000 shown" in big.figure_dict()["layout"]["title"]["text"]


def test_the_gates_window_keeps_the_step_shown_a_third_from_its_left_edge(lstm):
    """54 words, 30 at a time: at step t the window starts 10 steps before t (kept inside the words),
    so the step shown and the ones just read are on screen. A window one step behind still held t
    but left the cursor drifting right of where Play keeps it."""
    many = "the cat sat on the mat and ran off".split() * 6              # 54 words
    fig = rnnviz.gates_view(lstm, torch.randn(54, 3), tokens=many, widget=True).figure_dict()
    assert len(fig["frames"]) == 54
    for t, frame in enumerate(fig["frames"]):
        lo = min(max(0, t - 10), 54 - 30)                                 # the first step shown
        assert frame["layout"]["xaxis"]["range"] == [lo - 0.5, lo + 29.5], t


@pytest.mark.parametrize("steps,stride", [(602, 2), (1301, 3)])
def test_a_thinned_gates_view_still_reaches_the_last_step(lstm, steps, stride):
    """Beyond 600 steps every k-th step is kept; the last one (the final state) was dropped when k did not
    divide the length: neither drawn nor on the slider. Now it is both, at its own x, and the title says so."""
    x = torch.randn(steps, 3)
    fig = rnnviz.gates_view(lstm, x, widget=True).figure_dict()
    labels = [s["label"] for s in fig["layout"]["sliders"][0]["steps"]]
    assert labels[-1].split()[0] == str(steps - 1) and labels[-2].split()[0] == str(steps - 1 - (steps - 1) % stride)
    tr = rnnviz.trace(lstm, x)
    forget = [d for d in fig["data"] if d.get("yaxis") == "y2" and d["name"].startswith("unit 0")][0]
    xs = np.asarray(forget["x"])                                             # (steps kept,)
    assert xs[-1] == steps - 1 and xs[-2] == steps - 1 - (steps - 1) % stride and np.all(np.diff(xs[:-1]) == stride)
    assert np.isclose(forget["y"][-1], float(tr.gates["forget"][0, 0, 0, -1, 0]), rtol=5e-3)
    assert f"one step in {stride} of {steps} shown, and the last" in fig["layout"]["title"]["text"]


def test_a_thinned_gates_view_writes_each_kept_steps_own_update(lstm):
    """Beyond 600 steps every 3rd step is kept: slider step j shows t = 3j (then the last, 1300), and
    its title must write the focus unit's c_t update of step t with that step's numbers from the
    trace; with the kept index j written instead, a student at step 900 read the numbers of step 300."""
    x = torch.randn(1301, 3)
    frames = rnnviz.gates_view(lstm, x, widget=True).figure_dict()["frames"]
    tr = rnnviz.trace(lstm, x)
    g = {k: v[0, 0, 0, :, 0] for k, v in tr.gates.items()}
    c = tr.cell[0, 0, 0, :, 0]
    assert len(frames) == 435
    for j, t in ((1, 3), (300, 900), (433, 1299), (434, 1300)):
        line = frames[j]["layout"]["title"]["text"]
        assert f"t = {t}" in line, (j, line)
        got = re.search(r"unit 0: c<sub>t</sub> = f·c<sub>t−1</sub> \+ i·g = (\S+)·\(?(\S+?)\)? \+ (\S+)·\(?(\S+?)\)? = ([^<\s]+)<", line)
        want = [g["forget"][t], c[t - 1], g["input"][t], g["cell"][t], c[t]]
        assert got and [float(v) for v in got.groups()] == [r3(v) for v in want], (j, t, line)


def test_a_thinned_gates_view_writes_each_kept_steps_token_under_it(lstm):
    """2,000 words, every 4th step kept (and the last): the token strip must stand at those steps,
    each word under the step that read it. At x = 0, 1, 2, ... the strip ran 4 times too slow and
    word 1996 sat under step 499."""
    words = [f"w{t}" for t in range(2000)]
    fig = rnnviz.gates_view(lstm, torch.randn(2000, 3), tokens=words, widget=True).figure_dict()
    strip = next(d for d in fig["data"] if d["name"] == "input tokens")
    assert list(strip["x"]) == list(range(0, 2000, 4)) + [1999]
    written = [(int(t), s) for t, s in zip(strip["x"], strip["text"]) if s]
    assert len(written) > 100 and all(words[t].startswith(s.rstrip("…")) for t, s in written)


def test_rotated_tick_labels_keep_off_their_axis_title_and_a_one_row_panel_has_a_readable_colour_bar():
    """One query row over 15 "t · token" sources (notebook 05): labels turn -45 degrees, and their
    corners reached the axis title at plotly.js's own standoff; the colour bar was as thin as the row."""
    ex = list("1702oct8ebr0u31")
    lay = rnnviz.attention_view(torch.softmax(torch.randn(1, 1, 15), -1), ex, ["month?"], widget=True) \
        .figure_dict()["layout"]
    assert lay["xaxis"]["tickangle"] == -45 and lay["xaxis"]["title"]["standoff"] >= _style.ROTATED_STANDOFF
    assert "standoff" not in lay["yaxis"]["title"]                       # flat labels: plotly.js's own
    bar = lay["coloraxis"]["colorbar"]
    assert (bar["lenmode"], bar["len"]) == ("pixels", 110)
    tall = rnnviz.attention_view(torch.softmax(torch.randn(1, 8, 8), -1), widget=True).figure_dict()["layout"]
    assert "lenmode" not in tall["coloraxis"]["colorbar"]


def test_a_long_gates_view_keeps_its_time_axis_title_and_anchor_at_every_step(lstm):
    many = "the cat sat on the mat".split() * 10                             # 60 words: windowed
    view = rnnviz.gates_view(lstm, torch.randn(len(many), 3), tokens=many, widget=True)
    for k in (0, 30):
        view.set_step(k)
        axis = view.figure_dict()["layout"]["xaxis"]
        assert axis["title"]["text"] == "time step t" and axis["anchor"] != "y" and k < axis["range"][1]


def test_every_hover_writes_its_numbers_as_decimals_not_si_prefixes(lstm):
    """plotly.js writes a bare %{y} or %{z} with SI prefixes: a weight of 0.000744 read '744μ', a forget
    gate of 0.00006 '60μ'. Every value a view's hover shows carries a format (steps are whole numbers)."""
    import re
    words = "the cat sat on the mat".split() * 8                             # 48: the windowed forms too
    x = torch.randn(len(words), 3)
    head = torch.nn.Linear(6, 2)
    views = [rnnviz.unroll_view(lstm, x, tokens=words, widget=True,
                                readout=lambda h: head(h).softmax(-1)[:, 0], readout_name="p"),
             rnnviz.unroll_view(lstm, x[:6], widget=True),
             rnnviz.gates_view(lstm, x, tokens=words, widget=True), rnnviz.gates_view(lstm, x[:6], widget=True),
             rnnviz.attention_view(torch.softmax(torch.randn(2, 3, 150, 150), -1), widget=True),
             rnnviz.attention_view(torch.softmax(torch.randn(1, 2, 6, 6), -1), widget=True),
             rnnviz.gradient_view(rnnviz.gradient_flow(lstm, x, lambda out: out[0].sum()), widget=True)]
    seen = 0
    for view in views:
        for tr in view.figure_dict()["data"]:
            # a value after "=", ":" or "weight" (a bare %{y} elsewhere is a row's label: unit, target step)
            for value in re.findall(r"(?:= |: |weight )%\{([yz][^}]*)\}", tr.get("hovertemplate", "")):
                seen += 1
                assert ":" in value, (tr.get("name"), tr["hovertemplate"])
    assert seen >= 6


def test_row_label_thinning_leaves_category_axes_and_roomy_axes_alone():
    """Only a y axis of numeric array ticks over a fixed range whose rows are closer than a line of tick
    text is thinned; string tick values (a category axis) raised a TypeError in the first draft."""
    def styled(vals, text, rng, height):
        fig = {"layout": {"height": height, "yaxis": {"tickmode": "array", "tickvals": vals, "ticktext": text,
                                                        "range": rng}}, "data": [], "frames": []}
        return _style.apply(fig, False)["layout"]

    assert styled(["a", "b", "c"], ["a", "b", "c"], [0, 2], 500)["yaxis"]["ticktext"] == ["a", "b", "c"]
    roomy = styled(list(range(5)), list("abcde"), [-0.5, 4.5], 600)
    assert roomy["yaxis"]["ticktext"] == list("abcde") and "row_labels" not in roomy.get("meta", {})
    dense = styled(list(range(100)), [str(i) for i in range(100)], [-0.5, 99.5], 400)["yaxis"]["ticktext"]
    kept = [i for i, t in enumerate(dense) if t]
    assert kept[0] == 0 and len({b - a for a, b in zip(kept, kept[1:])}) == 1 and len(kept) < 100
