"""Issue 14: long inputs in a window, words as a token strip, the model's answer under the state.

Browser-free: every check reads the figure dict a notebook would get (data,
layout, frames), with values against the Trace and the model's own output.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.data import Vocab
from rnnviz.views._figure import Tokens, time_window, token_text
from rnnviz.views.unroll import pick_units


def r3(v) -> float:
    return float(f"{float(v):.3g}")


def strip_of(fig: dict) -> dict:
    return next(tr for tr in fig["data"] if tr.get("name") == "input tokens")


def heatmaps(fig: dict) -> list[dict]:
    return [tr for tr in fig["data"] if tr["type"] == "heatmap" and tr.get("xaxis", "x") == "x"]


def steps_labels(fig: dict) -> list[str]:
    return [s["label"] for s in fig["layout"]["sliders"][0]["steps"]]


@pytest.fixture(scope="module")
def long_view():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 64)
    x = torch.randn(300, 4)                                               # (T, I)
    words = [f"w{t % 17}" for t in range(300)]
    return lstm, x, words, rnnviz.unroll_view(lstm, x, tokens=words, widget=True).figure_dict()


# ---------------------------------------------------------------- windowing

def test_a_long_input_shows_a_window_that_follows_the_cursor(long_view):
    _, _, _, fig = long_view
    assert len(fig["frames"]) == len(steps_labels(fig)) == 300            # every step reachable on the slider
    for k in (0, 1, 150, 299):
        lo, hi = fig["frames"][k]["layout"]["xaxis"]["range"]
        assert lo < k < hi and hi - lo <= 50                              # t inside a window of at most 50 steps
    lo, hi = fig["layout"]["xaxis"]["range"]                              # the figure opens on step 0
    assert lo < 0 < hi and hi - lo == 30                                  # words: 30 at a time (WORD_WINDOW)
    # the room the fixed cursor leaves before step 0 carries no labels: no "-10" step for a student to read
    assert fig["layout"]["xaxis"]["tickvals"] == list(range(0, 300, 5))
    assert all("tickvals" not in f["layout"]["xaxis"] for f in fig["frames"])   # set once, kept by every frame
    # the cursor box and veils stay put on screen (x axis fraction): step t is always at the same place
    cursor = fig["layout"]["shapes"][-1]
    assert cursor["xref"] == "x domain"
    for k in (0, 150, 299):
        lo, hi = fig["frames"][k]["layout"]["xaxis"]["range"]
        assert (k - 0.5 - lo) / (hi - lo) == pytest.approx(cursor["x0"])
        assert (k + 0.5 - lo) / (hi - lo) == pytest.approx(cursor["x1"])
    assert all("shapes" not in f["layout"] for f in fig["frames"])       # frames stay small


def test_a_long_bidirectional_view_veils_what_each_direction_has_not_read():
    """A long view's veils stay put on screen: at step t the forward rows are grey right of column t
    (the steps after it), the backward rows left of it (read last). Swapped, a student saw the
    forward row's past greyed out and its future in colour."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(4, 5, bidirectional=True)
    fig = rnnviz.unroll_view(gru, torch.randn(80, 4), widget=True).figure_dict()
    row = {tr["name"]: tr["yaxis"] for tr in heatmaps(fig)}
    veil = {s["yref"].split()[0]: s for s in fig["layout"]["shapes"]
            if s.get("xref") == "x domain" and "fillcolor" in s}
    fwd, bwd = veil[row["layer 0 →"]], veil[row["layer 0 ←"]]
    for k in (0, 40, 79):
        lo, hi = fig["frames"][k]["layout"]["xaxis"]["range"]
        steps = lambda f: lo + f * (hi - lo)                               # noqa: E731  axis fraction -> x
        assert (steps(fwd["x0"]), steps(fwd["x1"])) == pytest.approx((k + 0.5, hi))
        assert (steps(bwd["x0"]), steps(bwd["x1"])) == pytest.approx((lo, k - 0.5))


def test_every_frame_update_names_its_traces_type(long_view):
    """plotly reads a frame's trace update without a type as a scatter: the overview's window box, a bar,
    then lost its width and base and shrank to a dot as soon as the slider moved (seen in the browser)."""
    _, _, _, fig = long_view
    for frame in fig["frames"][:5] + fig["frames"][-5:]:
        for i, update in zip(frame["traces"], frame["data"]):
            assert update["type"] == fig["data"][i].get("type", "scatter"), (frame["name"], i)
    box = next(i for i, tr in enumerate(fig["data"]) if tr.get("name") == "window shown")
    assert fig["data"][box]["type"] == "bar" and fig["frames"][150]["data"][0]["type"] == "bar"


def test_the_overview_shows_the_whole_sequence_and_where_the_window_is(long_view):
    lstm, x, _, fig = long_view
    over = next(tr for tr in fig["data"] if tr.get("name") == "whole sequence")
    assert over["x"][0] == 0 and over["x"][-1] >= 300 - 2 and fig["layout"]["xaxis2"]["range"] == [-0.5, 299.5]
    box = next(i for i, tr in enumerate(fig["data"]) if tr.get("name") == "window shown")
    for k in (0, 150, 299):
        frame = fig["frames"][k]
        assert frame["traces"] == [box]
        lo, hi = frame["layout"]["xaxis"]["range"]
        assert frame["data"][0]["x"] == [(lo + hi) / 2]                   # the box sits on the window shown
    assert fig["data"][box]["width"] == [30]
    # overview values are exact values of every k-th step (rounded), not averages
    tr = rnnviz.trace(lstm, x)
    units = [int(u) for u in heatmaps(fig)[0]["y"]]
    cols = over["x"]
    want = tr.hidden[0, 0, 0][cols][:, units].T                           # (units, cols)
    assert over["z"][3][5] == r3(want[3, 5])


def test_long_values_are_exact_and_every_step_is_kept(long_view):
    lstm, x, _, fig = long_view
    heat = heatmaps(fig)[0]
    tr = rnnviz.trace(lstm, x)
    units = [int(u) for u in heat["y"]]
    assert (heat["x0"], heat["dx"], len(heat["z"][0])) == (0, 1, 300) and len(units) == 32   # no striding, 32 of 64 rows
    z = np.array(heat["z"])
    want = tr.hidden[0, 0, 0][:, units].T.numpy()                         # (32, 300)
    assert all(z[i, j] == r3(want[i, j]) for i in range(0, 32, 7) for j in range(0, 300, 13))


def test_the_overview_of_stacked_panels_shows_the_first_panel():
    """The overview strip of a long view with several panels is documented to show the first one
    (layer 0 →): it must hold layer 0's forward h_t as torch's own one-layer GRU with those weights
    gives it, not another panel's (the strip is not labelled: a student cannot tell which it shows)."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 8, num_layers=2, bidirectional=True)
    x = torch.randn(120, 3)                                               # (T, I): 120 > 40, long
    units = [5, 0, 3]                                                     # every panel shows these rows
    fig = rnnviz.unroll_view(gru, x, units=units, widget=True).figure_dict()
    over = next(tr for tr in fig["data"] if tr.get("name") == "whole sequence")
    first = torch.nn.GRU(3, 8)
    first.load_state_dict({k: v for k, v in gru.state_dict().items() if k.endswith("_l0")})
    want = first(x)[0].detach().double().numpy()[:, units].T              # (units, T)
    assert list(over["x"]) == list(range(120))                            # 120 <= 250 columns: every step
    # 3 significant digits: off by at most half a unit of the 3rd (5e-3 relative); atol for float32 noise
    assert np.allclose(np.asarray(over["z"], dtype=float), want, rtol=5e-3, atol=1e-6)


def test_time_window_keeps_the_cursor_at_one_third():
    assert time_window(0, 10, 40) == [-0.5, 9.5]                           # short: the whole sequence
    assert time_window(0, 100, 40, fixed=True) == [-13.5, 26.5]
    assert time_window(99, 100, 40, fixed=True) == [85.5, 125.5]
    assert time_window(99, 100, 40) == [59.5, 99.5]                        # not fixed: kept inside the data


# ---------------------------------------------------------------- units

def test_units_are_chosen_and_the_title_says_which():
    h = np.zeros((6, 5))
    h[:, 3], h[:, 1] = 0.9, -0.5
    assert pick_units(h, "active", 2, None) == ([3, 1], "2 most active of 5 units (largest mean |h| over the 6 steps), "
                                                      "most active on top")
    assert pick_units(h, None, 8, None)[0] == [0, 1, 2, 3, 4]
    assert pick_units(h, range(1, 4), 8, None) == ([1, 2, 3], "units 1-3 of 5")
    h[:, 2] = [0, 1, 0, 0, 1, 0]                                          # fires on "dog"
    toks = ["a", "dog", "b", "c", "dog", "d"]
    assert pick_units(h, ("token", "dog"), 1, toks)[0] == [2]
    with pytest.raises(ValueError, match="not among the input tokens"):
        pick_units(h, ("token", "cat"), 1, toks)
    with pytest.raises(ValueError, match=r"unit indices in 0..4, got \[1, 7\]"):
        pick_units(h, [1, 7], 8, None)
    with pytest.raises(TypeError, match="list/range of unit indices"):
        pick_units(h, 3, 8, None)
    torch.manual_seed(0)
    fig = rnnviz.unroll_view(torch.nn.GRU(3, 20), torch.randn(5, 3), units=[4, 2], widget=True).figure_dict()
    assert heatmaps(fig)[0]["y"] == ["4", "2"] and "units 4, 2 of 20" in json.dumps(fig["layout"]["title"])


# ---------------------------------------------------------------- token strip

def test_every_token_is_written_once_under_its_step_as_text():
    torch.manual_seed(0)
    tokens = ["<b>x</b>", " ", "\n", "ok", '<a href="http://evil">y</a>', "&"]
    fig = rnnviz.unroll_view(torch.nn.GRU(2, 3), torch.randn(6, 2), tokens=tokens, widget=True).figure_dict()
    strip = strip_of(fig)
    assert (strip["x0"], strip["dx"]) == (0, 1) and strip["mode"] == "text"           # x = 0..5
    assert strip["text"] == ["&lt;b&gt;x&lt;/b&gt;", "␣", "↵", "ok", "&lt;a␣href=…", "&amp;"]   # escaped, at most 9 chars
    everything = json.dumps(fig)
    assert "<b>x" not in everything and "<a href" not in everything
    assert "tickangle" not in fig["layout"]["xaxis"] and "ticktext" not in fig["layout"]["xaxis"]   # no token ticks
    # a long input: the strip still holds one text per step, the window shows about 40 of them
    long = rnnviz.unroll_view(torch.nn.GRU(2, 3), torch.randn(120, 2), tokens=[f"t{i}" for i in range(120)],
                              widget=True).figure_dict()
    assert strip_of(long)["text"] == [f"t{i}" for i in range(120)]


def test_unknown_and_padding_are_marked_and_a_cut_is_said():
    torch.manual_seed(0)
    toks = Tokens(["good", "flibber", "film", "<pad>", "<pad>"], dropped=50, unknown=[1])
    assert toks.padding == {3, 4} and toks.unknown == {1}
    fig = rnnviz.unroll_view(torch.nn.GRU(2, 3), torch.randn(5, 2), tokens=toks, widget=True).figure_dict()
    strip = strip_of(fig)
    assert strip["text"][1] == "<i>flibber?</i>" and strip["text"][3] == "<i>&lt;pad&gt;</i>"
    assert strip["textfont"]["color"][1] == strip["textfont"]["color"][3] != strip["textfont"]["color"][0]
    title = json.dumps(fig["layout"]["title"])
    assert "input cut: the first 50 of 53 tokens were dropped" in title
    assert "5 steps (3 tokens + 2 padding, shaded)" in title                  # how much of the view is text
    assert "unknown" in fig["frames"][1]["layout"]["title"]["text"]
    shade = [s for s in fig["frames"][0]["layout"]["shapes"] if s.get("fillcolor", "").startswith("rgba(90")]
    assert [(s["x0"], s["x1"]) for s in shade] == [(2.5, 4.5)]             # the padding columns shaded
    with pytest.raises(ValueError, match="unknown steps in 0..4"):
        Tokens(["a"] * 5, unknown=[5])
    with pytest.raises(ValueError, match="dropped as a count"):
        Tokens(["a"], dropped=-1)


def test_the_review_encoder_says_what_it_cut_and_did_not_know():
    from rnncourse.lessons import text
    vocab = Vocab(["good", "film"], tokenizer=str.split)
    ids, words = text.review_encoder(vocab, max_len=3)("so a good zork film")
    assert words == ["good", "zork", "film"] and words.dropped == 2 and words.unknown == {1}
    torch.manual_seed(0)
    model = text.CodedClassifier(len(vocab), "embedding", hidden_size=4)
    view = rnnviz.unroll_view(model, encode=text.review_encoder(vocab, max_len=3), text="so a good zork film",
                              widget=True)
    fig = view.figure_dict()
    assert "the first 2 of 5 tokens were dropped" in json.dumps(fig["layout"]["title"])
    assert strip_of(fig)["text"] == ["good", "<i>zork?</i>", "film"]


# ---------------------------------------------------------------- the answer next to the state

def test_the_readout_track_shows_the_models_answer_after_every_step():
    from rnncourse.lessons import text
    torch.manual_seed(0)
    vocab = Vocab("a dull plot but the acting was wonderful".split(), tokenizer=str.split)
    model = text.CodedClassifier(len(vocab), "embedding", hidden_size=6, pooling="mean").eval()
    encode = text.review_encoder(vocab)

    def p_positive(h):                                                    # (T, H) -> (T,)
        return model.head(h.cumsum(0) / torch.arange(1, len(h) + 1)[:, None]).softmax(-1)[:, 1]

    review = "a dull plot but the acting was wonderful"
    view = rnnviz.unroll_view(model, encode=encode, text=review, readout=p_positive, readout_name="P(positive)",
                              widget=True)
    track = next(tr for tr in view.figure_dict()["data"] if tr.get("name") == "P(positive)")
    words = review.split()
    for t in range(len(words)):                                           # the model itself, on each prefix
        assert track["y"][t] == r3(text.sentiment(model, encode, " ".join(words[:t + 1])))
    fig = view.figure_dict()
    assert f"P(positive) = {track['y'][3]:.3g}" in fig["frames"][3]["layout"]["title"]["text"]
    assert steps_labels(fig)[3] == f"3 · but · {track['y'][3]:.3g}"
    assert fig["layout"]["sliders"][0]["currentvalue"]["prefix"] == "t · token · P(positive) = "
    # a what-if edit re-runs the readout: the new verdict shows
    view.whatif.set_text("wonderful wonderful acting")
    track = next(tr for tr in view.canvas.figure["data"] if tr.get("name") == "P(positive)")
    assert len(track["y"]) == 3 and track["y"][-1] == r3(text.sentiment(model, encode, "wonderful wonderful acting"))


def test_a_readout_of_class_scores_shows_the_top_label():
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(3, 5), torch.nn.Linear(5, 4)
    x = torch.randn(6, 3)
    labels = ["a", " ", "<b>", "z"]
    fig = rnnviz.unroll_view(lstm, x, readout=lambda h: head(h).softmax(-1), readout_labels=labels,
                             readout_name="next char", widget=True).figure_dict()
    p = head(lstm(x)[0]).softmax(-1).detach()                             # (T, 4), from the module itself
    track = next(tr for tr in fig["data"] if tr.get("name") == "next char")
    assert track["text"] == [token_text(labels[k]) for k in p.argmax(-1)]
    assert all(math.isclose(track["y"][t], r3(p[t].max()), rel_tol=1e-9) for t in range(6))
    with pytest.raises(ValueError, match="one number per step, shape \\(6,\\)"):
        rnnviz.unroll_view(lstm, x, readout=lambda h: h[:3, 0], widget=True)
    with pytest.raises(TypeError, match="readout as a callable"):
        rnnviz.unroll_view(lstm, x, readout="head", widget=True)


def test_a_bidirectional_readout_gets_the_modules_own_output():
    """readout(h) gets the top layer's h_t with the directions concatenated, as the module returns it:
    a head on nn.LSTM's output must give the same answer in the view as on the module. With layer 0's
    states, or the two directions laid end to end in time, the track showed another model's answer."""
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True), torch.nn.Linear(8, 1)
    x = torch.randn(7, 3)
    fig = rnnviz.unroll_view(lstm, x, readout=lambda h: head(h)[:, 0], readout_name="score",
                             widget=True).figure_dict()
    track = next(tr for tr in fig["data"] if tr.get("name") == "score")
    want = head(lstm(x)[0])[:, 0].detach().double().numpy()              # (T,), from the module itself
    # 3 significant digits: off by at most 5e-3 relative; atol for float32 noise near 0
    assert np.allclose(np.asarray(track["y"], dtype=float), want, rtol=5e-3, atol=1e-6)


# ---------------------------------------------------------------- size

def test_a_2000_step_view_is_under_a_megabyte():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(8, 128)
    view = rnnviz.unroll_view(lstm, torch.randn(2000, 8), tokens=[f"w{t}" for t in range(2000)], widget=True)
    size = len(json.dumps(view._repr_mimebundle_()["application/vnd.plotly.v1+json"]))
    assert size < 1_000_000


# ---------------------------------------------------------------- linked

def test_a_long_view_keeps_its_window_veils_cursor_and_title_when_linked():
    """Linked views carry a long unroll view's static veils and cursor box, its per-step 40-step window
    (on its renamed time axis) and its title, next to a view whose steps move shapes (gates)."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(4, 16)
    x = torch.randn(80, 4)
    long = rnnviz.unroll_view(gru, x, widget=True)
    gates = rnnviz.gates_view(gru, x, widget=True)
    fig = rnnviz.linked_views(long, gates).figure_dict()
    own = long.figure_dict()
    # the unroll view's time axis in the linked figure: the one its heatmaps use
    xname = next(tr["xaxis"] for tr in fig["data"] if tr["type"] == "heatmap" and tr["name"] == "layer 0")
    key = "xaxis" + xname[1:]
    assert fig["layout"][key]["range"] == own["layout"]["xaxis"]["range"]      # opens on its window at step 0
    cursor_of = lambda lay: [s for s in lay["shapes"] if s.get("xref") == f"{xname} domain"  # noqa: E731
                             and s.get("line", {}).get("color") == "black"]
    for k in (0, 30, 79):
        frame = fig["frames"][k]["layout"]
        assert frame[key]["range"] == own["frames"][k]["layout"]["xaxis"]["range"] == time_window(k, 80, 40, fixed=True)
        assert len(cursor_of(frame)) == 1                                      # the read head, fixed on screen
        assert (cursor_of(frame)[0]["x0"], cursor_of(frame)[0]["x1"]) == pytest.approx((13 / 40, 14 / 40))
        veils = [s for s in frame["shapes"] if s.get("xref") == f"{xname} domain" and "fillcolor" in s]
        assert len(veils) == 1 and veils[0]["yref"].endswith(" domain")
        gate_lines = [s for s in frame["shapes"] if s.get("type") == "line"]
        assert [s["x0"] for s in gate_lines] == [k]                            # the gates' cursor moves too
        titles = [a["text"] for a in frame["annotations"] if a.get("name") == "rnnviz-title"]
        assert len(titles) == 2 and titles[0].startswith("GRU unrolled in time") and f"t = {k}" in titles[1].replace("<br>", " ")
    assert len(cursor_of(fig["layout"])) == 1                                  # the figure as first drawn


def test_a_long_view_linked_after_another_still_moves_its_overview_box():
    """Linked after a gates view, a long unroll view's window box (a bar over its overview) must still
    follow the slider: each frame has to update that bar at its index in the linked figure, not at its
    index in the view alone (a gates line there: the box stood still)."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(4, 16)
    x = torch.randn(80, 4)
    gates, long = rnnviz.gates_view(gru, x, widget=True), rnnviz.unroll_view(gru, x, widget=True)
    fig = rnnviz.linked_views(gates, long).figure_dict()
    box = next(i for i, tr in enumerate(fig["data"]) if tr.get("name") == "window shown")
    assert fig["data"][box]["type"] == "bar"
    for k in (0, 40, 79):
        frame = fig["frames"][k]
        assert frame["traces"] == [box], (k, frame["traces"])
        assert frame["data"][0]["x"] == [k + 6.5]          # the middle of the 40 steps from t − 13.5


def test_strip_words_fit_the_room_they_have():
    # two lines of words under a 30-step window: a word gets about 49 px, so at most 6 characters; the
    # same words under 10 steps keep their 9; the slider names each token whole
    from rnnviz.views._figure import CHAR_PX, STRIP_WIDTH
    torch.manual_seed(0)
    words = ["elsewhere", "mathematics", "company", "a"] * 25                 # 100 words
    lstm = torch.nn.LSTM(3, 4)
    fig = rnnviz.unroll_view(lstm, torch.randn(100, 3), tokens=words, widget=True).figure_dict()
    strip = next(tr for tr in fig["data"] if tr.get("name") == "input tokens")
    room = 2 * STRIP_WIDTH / 30
    assert max(len(t) for t in strip["text"]) * CHAR_PX <= room                # neighbours on a line never meet
    assert strip["text"][:3] == ["elsew…", "mathe…", "company"[:5] + "…"] and strip["text"][3] == "a"
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"][:2]] == ["0 · elsewhere", "1 · mathematics"]
    short = rnnviz.unroll_view(lstm, torch.randn(10, 3), tokens=words[:10], widget=True).figure_dict()
    strip = next(tr for tr in short["data"] if tr.get("name") == "input tokens")
    assert strip["text"][:2] == ["elsewhere", "mathemat…"]
    assert strip["cliponaxis"] is False                  # all in view: the last word may reach past the axis
    long_strip = next(tr for tr in fig["data"] if tr.get("name") == "input tokens")
    assert "cliponaxis" not in long_strip                # a window clips the words outside it
    gates = rnnviz.gates_view(lstm, torch.randn(100, 3), tokens=words, widget=True).figure_dict()
    strip = next(tr for tr in gates["data"] if tr.get("name") == "input tokens")
    assert max(len(t) for t in strip["text"]) * CHAR_PX <= room


def test_the_unroll_view_says_what_the_grey_columns_mean():
    # the veil over steps not read yet is explained in the view itself, short and long inputs alike
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    for T in (5, 80):
        fig = rnnviz.unroll_view(lstm, torch.randn(T, 3), widget=True).figure_dict()
        assert "grey = not read yet" in fig["layout"]["title"]["text"], T


def test_words_fit_the_strip_of_a_linked_view_and_the_strip_numbers_keep_clear_of_the_heatmap():
    """Side by side each view has about half the width: its token strip wrote words cut for the whole
    width and they ran together ("thebrownjumps"); the overview's step numbers sat on the heatmap."""
    from rnnviz.views import _figure
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 16)
    words = "the quick brown fox jumps over the lazy sleeping dog while farmers watch".split() * 3   # 42
    x = torch.randn(len(words), 4)
    alone = rnnviz.unroll_view(lstm, x, tokens=words, widget=True)
    fig = rnnviz.linked_views(alone, rnnviz.gates_view(lstm, x, tokens=words, widget=True)).figure_dict()
    strips = [tr for tr in fig["data"] if tr["name"] == "input tokens"]
    own = next(tr for tr in alone.figure_dict()["data"] if tr["name"] == "input tokens")
    assert len(strips) == 2
    assert own["meta"]["strip_every"] == 1 and all(own["text"])            # alone, every word is written
    for strip in strips:
        room, every = strip["meta"]["strip_room"], strip["meta"]["strip_every"]
        assert room < 0.5 * own["meta"]["strip_room"]                     # its box is under half the width
        # 20 px a word: 3 characters (22.5 px at 13 px) ran into each other, so every 3rd word is written
        assert room < 3 * _figure.CHAR_PX <= room * every and every == 3
        chars = _figure.strip_chars(room * every, 13)
        assert chars < max(len(w) for w in words)
        text = strip["text"]
        assert all(len(t) <= chars for t in text) and any(t.endswith("…") for t in text)
        assert [i for i, t in enumerate(text) if t] == list(range(0, len(text), every))
    # at projector size (18 px) the written words still have room for 3 characters each
    big = rnnviz.linked_views(alone, rnnviz.gates_view(lstm, x, tokens=words, widget=True), projector=True)
    for strip in [tr for tr in big.figure_dict()["data"] if tr["name"] == "input tokens"]:
        room, every = strip["meta"]["strip_room"], strip["meta"]["strip_every"]
        assert room * every >= 3 * _figure.CHAR_PX * 18 / 13 and every % 2 == 1
        assert all(len(t) <= _figure.strip_chars(room * every, 18) for t in strip["text"])
    # the overview strip keeps 34 px of the plot area for its step numbers (13 px on a laptop), so
    # squeezed into a linked box it still has more than 13 px + its ticks
    lay = alone.figure_dict()["layout"]
    over = lay["yaxis"]["domain"][0] - lay["yaxis2"]["domain"][1]
    area = lay["height"] - 78 - 118
    assert over * area >= 33


def test_a_gradient_view_of_2000_steps_stays_under_1_mb_and_writes_its_title_once():
    """Every slider step repeated the view's title (the same at every t, ~250 bytes), so 2,000 steps of a
    2-layer GRU came to 1.6 MB of figure JSON; a step now moves only the cursors."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(4, 8, num_layers=2)
    flow = rnnviz.gradient_flow(gru, torch.randn(2000, 1, 4), lambda out: out[0][-1].sum())
    view = rnnviz.gradient_view(flow, widget=True)
    fig = view.figure_dict()
    size = len(json.dumps(view._repr_mimebundle_()["application/vnd.plotly.v1+json"]))
    assert size <= 1_000_000, size
    assert all("title" not in frame["layout"] for frame in fig["frames"])
    assert fig["layout"]["title"]["text"].startswith("gradient norm through time")
    assert [s["x0"] for s in fig["frames"][1234]["layout"]["shapes"]] == [1234]
