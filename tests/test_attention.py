"""Attention layers: weights are a softmax over the source, padding gets exactly 0, and the
context equals an independent loop over examples. The attention view of long maps (100 to 2,000
positions): a window that follows the slider, every label in it, an overview, under 1 MB."""
import html
import json
import math
import re

import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.attention import AdditiveAttention, MultiplicativeAttention
from rnnviz.views import attention as view_module
from rnnviz.views._display import to_json
from rnnviz.views._figure import FIT_HEIGHT, round_sig, step_labels, time_window

LAYERS = [lambda: AdditiveAttention(6, 5, 7), lambda: MultiplicativeAttention(6, 5, "general"),
          lambda: MultiplicativeAttention(5, 5, "dot", scaled=True)]


@pytest.mark.parametrize("make", LAYERS)
def test_weights_sum_to_one_and_padding_is_exactly_zero(make):
    torch.manual_seed(0)
    att = make()
    q = torch.randn(3, 4, att.query_size)                  # (B, Q, Hq)
    k = torch.randn(3, 6, 5)                               # (B, S, Hk)
    mask = torch.arange(6)[None] < torch.tensor([6, 2, 4])[:, None]   # (B, S)
    ctx, w = att(q, k, mask=mask)
    assert ctx.shape == (3, 4, 5) and w.shape == (3, 4, 6)
    # float32 rounding of a softmax row of 6: worst 2.4e-7 (2 ulps at 1) over 300 seeds, AVX512 and ATEN default
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4), atol=1e-6, rtol=0)
    assert (w[1, :, 2:] == 0).all() and (w[2, :, 4:] == 0).all()
    assert (w[1, :, :2] > 0).all()
    assert att.last_weights.shape == (3, 4, 6) and not att.last_weights.requires_grad
    assert torch.equal(att.last_weights, w)                # kept as weights.detach(): the very values returned


@pytest.mark.parametrize("make", LAYERS)
def test_single_step_query_and_reference_loop(make):
    torch.manual_seed(1)
    att = make()
    q = torch.randn(2, att.query_size)                     # (B, Hq)
    k = torch.randn(2, 5, 5)                               # (B, S, Hk)
    v = torch.randn(2, 5, 3)                               # (B, S, Hv)
    ctx, w = att(q, k, v)
    assert ctx.shape == (2, 3) and w.shape == (2, 5) and att.last_weights.shape == (2, 1, 5)
    for b in range(2):                                     # independent reference, one example at a time
        if isinstance(att, AdditiveAttention):
            scores = torch.stack([att.v.weight[0] @ torch.tanh(att.w_query.weight @ q[b] + att.w_key.weight @ k[b, s]
                                                               + att.w_key.bias) for s in range(5)])
        else:
            W = att.w.weight if att.w is not None else torch.eye(5)
            scores = torch.stack([q[b] @ (W @ k[b, s]) for s in range(5)]) / (5 ** 0.5 if att.scaled else 1)
        ref_w = torch.exp(scores - scores.max()) / torch.exp(scores - scores.max()).sum()
        # weights in (0, 1), batched scores against one dot product at a time: worst 1.8e-7 over 300 seeds
        torch.testing.assert_close(w[b], ref_w, atol=1e-6, rtol=0)
        # |ctx| <= 2.8, a 5-term weighted sum on top of the weights' rounding: worst 6.0e-7 over 300 seeds
        torch.testing.assert_close(ctx[b], (ref_w[:, None] * v[b]).sum(0), atol=5e-6, rtol=0)


def test_gradients_flow_to_the_scorer():
    att = AdditiveAttention(4, 4)
    ctx, _ = att(torch.randn(2, 4), torch.randn(2, 3, 4))
    ctx.sum().backward()
    assert att.w_query.weight.grad is not None and att.w_query.weight.grad.abs().sum() > 0


def test_bad_inputs_say_what_was_expected():
    att = AdditiveAttention(6, 5)
    with pytest.raises(ValueError, match=r"\(batch, 6\)"):
        att(torch.randn(2, 7), torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="keys of shape"):
        att(torch.randn(2, 6), torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="bool mask"):
        att(torch.randn(2, 6), torch.randn(2, 3, 5), mask=torch.ones(2, 3))
    with pytest.raises(ValueError, match="all False"):
        att(torch.randn(2, 6), torch.randn(2, 3, 5), mask=torch.tensor([[True] * 3, [False] * 3]))
    with pytest.raises(ValueError, match="query_size == key_size"):
        MultiplicativeAttention(4, 5, "dot")


# ---------------------------------------------------------------- the attention view of long maps

WORDS = ("the", "film", "was", "wonderful", "and", "i", "loved", "it")


def self_attention(T: int, seed: int = 0) -> torch.Tensor:
    """(T, T) weights like a trained encoder's: mostly near the diagonal, some far, rows sum to 1."""
    g = torch.Generator().manual_seed(seed)
    i = torch.arange(T, dtype=torch.float64)
    noise = torch.randn(T, T, generator=g, dtype=torch.float64)
    return torch.softmax(-(i[:, None] - i[None]).abs() / 4 + 2 * noise, -1)


def main_heatmaps(fig: dict, axis: str = "x") -> list[dict]:
    return [tr for tr in fig["data"] if tr["type"] == "heatmap" and tr["xaxis"] == axis]


def cells(fig: dict, axis: str = "x") -> dict[tuple[int, int], float]:
    """(target, source) -> the value the figure holds there, from heatmaps given by x0/dx, y0/dy."""
    out = {}
    for tr in main_heatmaps(fig, axis):
        z = np.asarray(tr["z"], dtype=float)
        for i, row in enumerate(z):
            for j, v in enumerate(row):
                out[(int(tr["y0"] + i * tr["dy"]), int(tr["x0"] + j * tr["dx"]))] = v
    return out


def title_text(fig: dict) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fig["layout"]["title"]["text"]).split())


@pytest.fixture(scope="module")
def view120():
    w = self_attention(120)
    toks = [WORDS[t % 8] for t in range(120)]
    return w, toks, rnnviz.attention_view(w, toks, toks, widget=True).figure_dict()


@pytest.fixture(scope="module")
def view2000():
    w = self_attention(2000, seed=1)
    view = rnnviz.attention_view(w, widget=True)
    return w, view.figure_dict(), view._repr_mimebundle_()


def test_a_short_map_is_drawn_whole_as_before():
    """Up to 64 x 64 stays one whole panel (notebook 07's 41-step recall map shows its far look-back):
    all rows and columns, no window, no overview, the veil and outline move with the step, the title
    names the source attended most; 65 is long."""
    w = torch.softmax(torch.randn(64, 64), -1)
    fig = rnnviz.attention_view(w, widget=True).figure_dict()
    assert len(fig["data"]) == 1 and fig["data"][0]["x"] == list(range(64)) and fig["data"][0]["y"] == list(range(64))
    assert "range" not in fig["layout"]["xaxis"] and fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert fig["layout"]["sliders"][0]["active"] == 63 and len(fig["frames"]) == 64
    frame = fig["frames"][7]["layout"]
    assert "xaxis" not in frame and [s["y0"] for s in frame["shapes"]] == [7.5, 6.5]
    best = int(w[7].argmax())
    assert f"target step 7 attends most to source {best}" in frame["title"]["text"]
    long = rnnviz.attention_view(torch.softmax(torch.randn(65, 65), -1), widget=True).figure_dict()
    assert "range" in long["frames"][0]["layout"]["xaxis"] and len(long["data"]) == 3


def test_a_mean_over_samples_is_said_under_a_custom_title_too():
    """Notebook 07 shows the mean of 8 samples under its own title, which dropped 'mean of 8 samples'."""
    w = torch.softmax(torch.randn(8, 2, 5, 5), -1)                      # (B, heads, T, S)
    mean = rnnviz.attention_view(w, sample=None, title="recall", widget=True).figure_dict()
    assert title_text(mean).startswith("recall, mean of 8 samples")
    one = rnnviz.attention_view(w, sample=3, title="recall", widget=True).figure_dict()
    assert title_text(one).startswith("recall") and "sample" not in title_text(one)   # the caller's words
    assert "mean of 8 samples" in title_text(rnnviz.attention_view(w, sample=None, widget=True).figure_dict())


def test_side_by_side_heads_write_the_row_labels_once_and_keep_their_width_whatever_the_tokens():
    """The second head's row labels ('0 · sym') ran into the first head's panel in notebook 07; the gap
    was then sized to the longest label, so a 27-character target token (or 8 '<', escaped to 32)
    left 4 heads no width at all and plotly refused the negative domain. Every panel of a row has
    the same target steps: the first writes their labels, cut to LABEL_CHARS; the slider keeps them whole."""
    from rnnviz.views._figure import LABEL_CHARS

    torch.manual_seed(0)
    w = torch.softmax(torch.randn(1, 4, 3, 3), -1)                       # (batch, heads, T, S)
    for last in ("s'est", "anticonstitutionnellement!!", "<<<<<<<<", "x" * 200):
        view = rnnviz.attention_view(w, ["the", "cat", "sat"], ["le", "chat", last], widget=True)
        fig = view.figure_dict()
        lay = fig["layout"]
        domains = [lay[k]["domain"] for k in ("xaxis", "xaxis2", "xaxis3", "xaxis4")]
        assert all(d1 - d0 > 0.2 for d0, d1 in domains), (last, domains)  # 4 panels of a 740 px plot area
        assert all(b[0] > a[1] for a, b in zip(domains, domains[1:])), domains   # side by side, apart
        assert lay["yaxis"]["showticklabels"] is True
        assert [lay[f"yaxis{k}"]["showticklabels"] for k in (2, 3, 4)] == [False] * 3
        written = [html.unescape(t) for t in lay["yaxis"]["ticktext"]]
        assert max(map(len, written)) <= LABEL_CHARS
        assert written[:2] == ["0 · le", "1 · chat"]
        assert written[2] == ("2 · " + last if len(last) + 4 <= LABEL_CHARS else
                              ("2 · " + last)[:LABEL_CHARS - 1] + "…")
        rnnviz.attention_view(w, ["the", "cat", "sat"], ["le", "chat", last], widget=False)   # plotly takes it
        slider = fig["layout"]["sliders"][0]["steps"][2]["label"]
        assert html.unescape(slider).endswith(last)                       # the whole token, there


def test_a_long_map_shows_a_window_that_follows_the_cursor(view120):
    """120 x 120 self-attention: every frame sets a 30-row x 40-column window holding the step shown
    and the source it attends to most, kept inside the map; the figure opens on the last step."""
    w, _, fig = view120
    best = w.argmax(-1).tolist()
    frames = fig["frames"]
    assert len(frames) == 120                                          # every step on the slider
    seen = set()
    for t in (0, 1, 10, 30, 60, 100, 119):
        lay = frames[t]["layout"]
        bottom, top = lay["yaxis"]["range"]                            # reversed: the first target step on top
        lo, hi = lay["xaxis"]["range"]
        assert bottom - top == 30 and hi - lo == 40, t
        assert top < t < bottom and lo < best[t] < hi, t               # the row's strongest weight in view
        assert top >= -0.5 and bottom <= 119.5 and lo >= -0.5 and hi <= 119.5
        outline = [s for s in lay["shapes"] if "fillcolor" not in s]
        assert [(s["y0"], s["y1"]) for s in outline] == [(t - 0.5, t + 0.5)]
        seen.add((top, lo))
    assert len(seen) >= 4                                               # it moved
    middle = frames[60]["layout"]
    assert middle["yaxis"]["range"] == [70.5, 40.5]                  # t two thirds down: 19 rows above it
    assert middle["xaxis"]["range"] == time_window(best[60], 120, 40)                     # and its source
    assert fig["layout"]["yaxis"]["range"] == frames[-1]["layout"]["yaxis"]["range"]    # opens on the last step
    assert fig["layout"]["sliders"][0]["active"] == 119 and "autorange" not in fig["layout"]["yaxis"]
    assert fig["layout"]["height"] <= FIT_HEIGHT


def test_a_cross_attention_window_follows_the_source_attended_most():
    """T != S: the column window follows each step's most-attended source, which the slider caption names."""
    T, S = 150, 90
    w = torch.full((T, S), 0.1 / (S - 1))
    peak = [(7 * t) % S for t in range(T)]                             # jumps around the source
    w[torch.arange(T), peak] = 0.9
    fig = rnnviz.attention_view(w, widget=True).figure_dict()
    labels = [s["label"] for s in fig["layout"]["sliders"][0]["steps"]]
    for t in (0, 5, 77, 149):
        lo, hi = fig["frames"][t]["layout"]["xaxis"]["range"]
        assert hi - lo == 40 and lo < peak[t] < hi, t
        assert labels[t] == f"{t}, attends most to source {peak[t]}"
    assert cells(fig)[(77, peak[77])] == 0.9                            # the peak is in the figure at full value


def test_every_label_in_the_window_is_there(view120):
    """Every source position in any window has its label; every target step has its tick, and its label
    where a row has a line of text's height (else every k-th row is written: see the next tests)."""
    w, toks, fig = view120
    want = step_labels(120, toks)
    ax = fig["layout"]["xaxis"]
    assert ax["tickvals"] == list(range(120)) and ax["ticktext"] == want
    ay = fig["layout"]["yaxis"]
    assert ay["tickvals"] == list(range(120)) and fig["layout"]["meta"]["row_labels"]["y"] == want
    assert all(t in ("", want[i]) for i, t in enumerate(ay["ticktext"])) and ay["ticktext"][0] == want[0]
    lo, hi = fig["frames"][60]["layout"]["xaxis"]["range"]
    shown = [v for v in fig["layout"]["xaxis"]["tickvals"] if lo < v < hi]
    first = int(time_window(int(w[60].argmax()), 120, 40)[0] + 0.5)
    assert len(shown) == 40 and shown[0] == first and fig["layout"]["xaxis"]["ticktext"][first] == want[first]


def test_the_overview_shows_the_whole_map_and_where_the_window_is(view120):
    w, _, fig = view120
    over = [tr for tr in fig["data"] if tr.get("name") == "whole map"]
    assert len(over) == 1 and over[0]["xaxis"] == "x2" and over[0]["yaxis"] == "y2"
    assert np.asarray(over[0]["z"]).shape == (120, 120)                 # small enough: exact values
    assert over[0]["z"][30][31] == round_sig(np.float64(w[30, 31]))
    lay = fig["layout"]
    assert lay["xaxis2"]["domain"][0] > lay["xaxis"]["domain"][1]       # beside the window panel
    assert lay["xaxis2"]["range"] == [-0.5, 119.5] and lay["yaxis2"]["range"] == [119.5, -0.5]
    box = next(i for i, tr in enumerate(fig["data"]) if tr.get("name") == "window shown")
    for t in (0, 60, 119):
        frame = fig["frames"][t]
        assert frame["traces"] == [box]
        lo, hi = frame["layout"]["xaxis"]["range"]
        bottom, top = frame["layout"]["yaxis"]["range"]
        assert frame["data"][0] == {"type": "scatter", "x": [lo, hi, hi, lo, lo], "y": [top, top, bottom, bottom, top]}
    assert fig["data"][box]["x"] == fig["frames"][-1]["data"][0]["x"]   # the figure opens on the last step's box
    assert "window: 30 of 120 target steps × 40 of 120 sources" in title_text(fig)


def test_a_2000_by_2000_map_is_under_a_megabyte(view2000):
    """The figure JSON (frames included) stays under 1 MB, both as built and as a notebook stores it;
    the title says the window and which target steps are kept; the window follows the cursor.
    (The build-time goal, under 1 s, is measured by bench/views.py, part 4.)"""
    _, fig, bundle = view2000
    assert len(to_json(fig)) < 1_000_000
    assert len(json.dumps(bundle["application/vnd.plotly.v1+json"])) < 1_000_000
    text = title_text(fig)
    assert "window: 30 of 2000 target steps × 40 of 2000 sources" in text
    k = int(re.search(r"every (\d+)(st|nd|rd|th) target step shown", text).group(1))
    assert len(fig["frames"]) == math.ceil(2000 / k) and 1 < k <= 6
    assert f"target step shown ({math.ceil(30 / k)} rows in the window)" in text   # what the window holds
    kept = fig["layout"]["yaxis"]["tickvals"]
    assert kept == list(range(0, 2000, k))                              # every kept row labelled
    for j in (0, 250, len(kept) - 1):
        t = kept[j]
        lay = fig["frames"][j]["layout"]
        bottom, top = lay["yaxis"]["range"]
        lo, hi = lay["xaxis"]["range"]
        assert bottom - top == 30 and hi - lo == 40 and top < t < bottom and lo < t < hi
        assert fig["layout"]["sliders"][0]["steps"][j]["label"].startswith(f"{t}, attends most to source ")
    assert fig["layout"]["height"] <= FIT_HEIGHT


def test_a_2000_map_keeps_full_resolution_wherever_a_window_reaches(view2000):
    """Every cell of every kept row that any step's window shows is in the figure, at its exact
    (rounded) value; far from the diagonal only the overview (max of each block) holds the map."""
    w, fig, _ = view2000
    held = cells(fig)
    kept = fig["layout"]["yaxis"]["tickvals"]
    k = kept[1] - kept[0]
    for j in (0, 1, 123, 300, len(kept) - 1):
        lay = fig["frames"][j]["layout"]
        bottom, top = lay["yaxis"]["range"]
        lo, hi = lay["xaxis"]["range"]
        for t in (r for r in kept if r + k / 2 > top and r - k / 2 < bottom):
            for s in range(math.ceil(lo), math.floor(hi) + 1):
                assert held[(t, s)] == round_sig(np.float64(w[t, s])), (j, t, s)
    assert len(held) < 2000 * 2000 / k / 10                             # not the whole map
    over = next(tr for tr in fig["data"] if tr.get("name") == "whole map")
    z = np.asarray(over["z"], dtype=float)
    assert z.shape == (118, 118) and over["dx"] == over["dy"] == 17     # max-pooled to at most 120 a side
    assert z[3, 5] == round_sig(w[51:68, 85:102].max().item())
    assert "max of 17 × 17" in fig["layout"]["xaxis2"]["title"]["text"]


def test_a_500_map_is_under_a_megabyte_and_its_window_follows_the_step():
    """(Its build time, under 1 s, is measured by bench/views.py, part 4.)"""
    w = self_attention(500, seed=2)
    toks = [WORDS[t % 8] for t in range(500)]
    fig = rnnviz.attention_view(w, toks, toks, widget=True).figure_dict()
    assert len(to_json(fig)) < 1_000_000
    assert fig["frames"][250]["layout"]["yaxis"]["range"] == [260.5, 230.5]       # t two thirds down


def test_long_multi_head_maps_window_every_panel_alike():
    w = torch.softmax(torch.randn(1, 3, 100, 100), -1)                 # (B, heads, T, S)
    fig = rnnviz.attention_view(w, widget=True).figure_dict()
    assert [tr["name"] for tr in fig["data"]] == ["head 0", "head 1", "head 2"]   # no overview
    assert "the same in every head" in title_text(fig) and "3 heads" in title_text(fig)
    for frame in (fig["frames"][0], fig["frames"][70]):
        lay = frame["layout"]
        xs = [lay[a]["range"] for a in ("xaxis", "xaxis2", "xaxis3")]
        ys = [lay[a]["range"] for a in ("yaxis", "yaxis2", "yaxis3")]
        assert xs[0] == xs[1] == xs[2] and ys[0] == ys[1] == ys[2]
        assert 8 <= xs[0][1] - xs[0][0] < 40 and ys[0][0] - ys[0][1] == 30   # narrower panels: fewer columns
        assert len(lay["shapes"]) == 6                                  # a veil and an outline per head
    assert fig["layout"]["height"] <= FIT_HEIGHT


def test_every_head_of_a_long_multi_head_map_shows_its_own_weights():
    """Three heads of a 500-step map are kept only where a window reaches, in blocks of rows (x0, y0,
    every dy-th target step); each block must hold its own head's weights at those cells (3
    significant digits). With head 0's in every panel, a student compared three copies of one head."""
    g = torch.Generator().manual_seed(0)
    w = torch.softmax(3 * torch.randn(1, 3, 500, 500, generator=g), -1)   # (B, heads, T, S)
    fig = rnnviz.attention_view(w, heads=[0, 1, 2], widget=True).figure_dict()
    r3 = np.vectorize(lambda v: float(f"{v:.3g}"))                       # the rounding, written here
    for h in range(3):
        blocks = [tr for tr in fig["data"] if tr["name"] == f"head {h}"]
        assert len(blocks) > 1, h                                         # the blocks plan, not the whole map
        for tr in blocks:
            z = np.asarray(tr["z"], dtype=float)                          # (rows, cols)
            rows = tr["y0"] + tr["dy"] * np.arange(z.shape[0])
            cols = tr["x0"] + np.arange(z.shape[1])
            assert np.array_equal(z, r3(w[0, h][rows][:, cols].double().numpy())), (h, tr["y0"], tr["x0"])


def test_one_long_query_row_is_a_strip_with_its_window():
    w = torch.softmax(torch.randn(1, 1, 300), -1)                      # (B, T=1, S)
    fig = rnnviz.attention_view(w, widget=True).figure_dict()
    lay = fig["layout"]
    best = int(w[0, 0].argmax())
    assert "sliders" not in lay and f"target step 0, attends most to source {best}" in title_text(fig)
    lo, hi = lay["xaxis"]["range"]
    assert hi - lo == 40 and lo < best < hi and lay["height"] <= FIT_HEIGHT


def test_the_window_panel_keeps_its_margins_while_the_window_moves(view120):
    """Row labels differ in width from step to step ("3 · wonderful", "21 · i"): with plotly's
    automargin the browser moved the plot area mid-animation and drew the heatmap off its axes.
    The window's axes have fixed margins that hold the longest label, at laptop and projector size."""
    _, toks, fig = view120
    lay = fig["layout"]
    assert lay["xaxis"]["automargin"] is False and lay["yaxis"]["automargin"] is False
    longest = max(len(label) for label in step_labels(120, toks))      # "107 · wonderful"
    assert lay["margin"]["l"] >= 0.6 * 13 * longest + 30
    big = rnnviz.attention_view(self_attention(120), toks, toks, widget=True, projector=True).figure_dict()
    assert big["layout"]["margin"]["l"] >= 0.6 * 18 * longest + 30 > lay["margin"]["l"]
    assert big["layout"]["yaxis"]["tickfont"]["size"] == 18
    bottom, top = big["frames"][60]["layout"]["yaxis"]["range"]        # larger labels: fewer rows and columns
    lo, hi = big["frames"][60]["layout"]["xaxis"]["range"]
    assert (bottom - top, hi - lo) == (18, 29)
    assert "window: 18 of 120 target steps × 29 of 120 sources" in title_text(big)


def test_long_maps_check_their_inputs():
    w = torch.softmax(torch.randn(2, 4, 100, 60), -1)
    with pytest.raises(ValueError, match="expected 60 tokens, one per source position, got 59"):
        rnnviz.attention_view(w, ["a"] * 59)
    with pytest.raises(ValueError, match=r"head indices in 0\.\.3 .*got \[4\]"):
        rnnviz.attention_view(w, heads=[4])
    with pytest.raises(TypeError, match="split it first"):
        rnnviz.attention_view(w, "a " * 60)
    assert view_module.ROW_WINDOW == 30 and view_module.WINDOW == 40


def test_play_steps_without_easing_when_the_window_moves():
    # plotly.js hides heatmap images while an eased transition moves a y range (seen in chromium: no
    # <image> left during Play), so a windowed map plays step by step; a short map keeps its easing
    def play(view):
        menus = view.figure_dict()["layout"]["updatemenus"]
        return [b for m in menus for b in m["buttons"] if b["label"].startswith("▶")][0]["args"][1]["transition"]

    torch.manual_seed(0)
    long = rnnviz.attention_view(torch.softmax(torch.randn(1, 120, 120), -1), widget=True)
    short = rnnviz.attention_view(torch.softmax(torch.randn(1, 6, 6), -1), widget=True)
    assert play(long) == {"duration": 0}
    assert play(short)["duration"] > 0
    assert not long.timeline.eased and short.timeline.eased
    long.set_step(3)                                                     # a step keeps it
    assert play(long) == {"duration": 0}


def test_a_self_attention_window_follows_a_far_look_back():
    # a recall task's query attends to an early step, not its neighbours: the window must show that step
    T = 120
    w = torch.full((T, T), 0.2 / (T - 1))
    w[:, 3] = 0.8                                                        # every step looks back at step 3
    fig = rnnviz.attention_view(w, widget=True).figure_dict()
    for t in (10, 60, 119):
        lo, hi = fig["frames"][t]["layout"]["xaxis"]["range"]
        assert lo < 3 < hi, (t, lo, hi)
        bottom, top = fig["frames"][t]["layout"]["yaxis"]["range"]
        assert top < t < bottom


def test_a_blank_weight_draws_as_a_gap_without_numpy_warnings():
    """A NaN weight (e.g. a position masked out before the softmax) printed numpy's "Mean of empty
    slice" RuntimeWarning into the student's notebook; it is drawn as a gap, silently."""
    import warnings
    w = torch.softmax(torch.randn(3, 4), -1)
    w[1, 2] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = rnnviz.attention_view(w, widget=True).figure_dict()
    assert fig["data"][0]["z"] is not None


def test_narrow_head_panels_label_only_the_sources_they_have_room_for():
    """Four heads side by side leave ~100 px a panel: all 20 turned source labels piled on top of each
    other. A panel now labels one source per LABEL_PX of its width (hover still names every cell)."""
    from rnnviz.views import attention as att
    toks = [f"w{k}" for k in range(20)]
    w = torch.softmax(torch.randn(1, 4, 20, 20), -1)                       # (B, heads, T, S)
    for heads, most in ((1, 20), (4, None)):
        lay = rnnviz.attention_view(w[:, :heads], toks, toks, widget=True).figure_dict()["layout"]
        a, b = lay["xaxis"]["domain"]
        room = int((b - a) * att.STRIP_WIDTH / att.LABEL_PX)
        shown_ = lay["xaxis"]["tickvals"]
        assert len(shown_) == (most or len(shown_)) and len(shown_) <= max(2, room)
        assert lay["xaxis"]["ticktext"][0] == "0 · w0"
    assert "(mean over the 4 heads)" in lay["title"]["text"]


def _check_row_labels(fig: dict, size: float, full: list[str]) -> int:
    """Every k-th row label written, k the fewest rows that hold a line of ``size`` px text; returns k."""
    from rnnviz.views import _style
    lay = fig["layout"]
    plot_px = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    y = lay["yaxis"]
    lo, hi = fig["frames"][60]["layout"]["yaxis"]["range"][::-1]        # a window in the middle
    per_row = plot_px * (y["domain"][1] - y["domain"][0]) / (hi - lo)
    every = math.ceil(_style.LABEL_LINE * size / per_row)
    assert y["ticktext"] == [t if i % every == 0 else "" for i, t in enumerate(full)], (per_row, every)
    return every


@pytest.mark.parametrize("heads", [1, 4])
def test_the_row_labels_of_a_long_map_stand_a_line_apart(heads):
    """30 window rows in about 300 px at 13 px: plotly.js wrote every row's label on top of its
    neighbours'. Where a row is thinner than a line of tick text, every k-th row is labelled (the
    same rows at every step; the slider names the row shown); a projector's taller rows keep them
    all. Styling again (the projector switch, a linked view) starts from the full labels."""
    from rnnviz.views import _style

    torch.manual_seed(0)
    w = torch.softmax(3 * torch.randn(1, heads, 120, 120), -1)
    toks = [WORDS[t % 8] for t in range(120)]
    full = step_labels(120, toks)
    ks = {}
    for projector in (False, True):
        fig = rnnviz.attention_view(w, toks, toks, widget=True, projector=projector).figure_dict()
        ks[projector] = _check_row_labels(fig, _style.sizes(projector).tick, full)
        assert f"119 · {toks[119]}" in fig["layout"]["sliders"][0]["steps"][119]["label"]   # the row shown, named
        if projector:
            again = _style.apply(_style.apply(fig, False), True)   # thinned at laptop size, then back
            _check_row_labels(again, _style.sizes(True).tick, full)
            assert again["layout"]["meta"]["row_labels"]["y"] == full
    assert ks[False] > 1                                 # laptop: rows too thin for every label
    assert ks[True] == 1 or heads > 1                    # projector, one head: 18 taller rows, room for all
