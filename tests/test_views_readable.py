"""Views a class can read (issue 14, first items): tokens as text, fixed colour meaning, laptop size."""
from __future__ import annotations

import pytest
import torch

import rnnviz
from rnnviz.capture import Trace
from rnnviz.views._figure import FIT_HEIGHT, token_text


@pytest.mark.parametrize("token,text", [
    ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
    ('<a href="http://x">x</a>', '&lt;a␣href="http://x"&gt;x&lt;/a&gt;'),   # every space visible
    ("<span style='color:red'>", "&lt;span␣style='color:red'&gt;"),
    ("a&b", "a&amp;b"), (" ", "␣"), ("\n", "↵"), ("\t", "⇥"), ("\x00", "␀"), ("", "∅"), ("·", "·"),
])
def test_a_token_is_shown_as_text(token, text):
    assert token_text(token) == text


def test_markup_in_tokens_never_reaches_the_figure_as_markup():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3)
    tokens = ["<b>x</b>", " ", '<a href="http://evil">y</a>']
    fig = rnnviz.unroll_view(lstm, torch.randn(3, 2), tokens=tokens, widget=True).figure_dict()
    labels = [s["label"] for s in fig["layout"]["sliders"][0]["steps"]]
    assert labels == ["0 · &lt;b&gt;x&lt;/b&gt;", "1 · ␣", '2 · &lt;a␣href="http://evil"&gt;y&lt;/a&gt;']
    everything = str(fig["layout"]) + str(fig["frames"])
    assert "<b>x" not in everything and "<a href" not in everything
    assert fig["frames"][1]["layout"]["title"]["text"].split("<br>")[0].endswith("input '␣'")
    att = rnnviz.attention_view(torch.rand(1, 2), ["<i>a</i>", "b"], ["<u>q</u>"], widget=True).figure_dict()
    assert att["layout"]["xaxis"]["ticktext"][0] == "0 · &lt;i&gt;a&lt;/i&gt;" and "<u>" not in str(att["frames"])


def trace_with(hidden: torch.Tensor) -> Trace:
    L, D, B, T, H = hidden.shape
    return Trace("RNN", hidden, None, {}, hidden[-1, 0], hidden[:, :, :, -1].reshape(L * D, B, H), None,
                 torch.full((B,), T))


def test_colours_mean_the_same_value_whatever_the_input():
    small = rnnviz.unroll_view(trace_with(torch.rand(1, 1, 1, 5, 4) * 0.2 - 0.1), widget=True).figure_dict()
    large = rnnviz.unroll_view(trace_with(torch.rand(1, 1, 1, 5, 4) * 1.8 - 0.9), widget=True).figure_dict()
    for fig in (small, large):
        assert (fig["layout"]["coloraxis"]["cmin"], fig["layout"]["coloraxis"]["cmax"]) == (-1.0, 1.0)
    relu = rnnviz.unroll_view(trace_with(torch.full((1, 1, 1, 3, 2), 2.5)), widget=True).figure_dict()
    assert relu["layout"]["coloraxis"]["cmax"] == 2.5 == -relu["layout"]["coloraxis"]["cmin"]  # beyond tanh range
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    gates = rnnviz.gates_view(lstm, torch.randn(6, 3), widget=True).figure_dict()["layout"]
    assert gates["yaxis"]["range"] == [-0.2, 1.2]                        # i_t, a gate: 0..1 (and room for labels)
    assert gates["yaxis3"]["range"] == [-1.2, 1.2]                       # g_t, tanh: -1..1
    assert gates["yaxis6"]["range"] == [-1.2, 1.2]                       # h_t
    att = rnnviz.attention_view(torch.full((2, 2), 0.3), widget=True).figure_dict()["layout"]["coloraxis"]
    assert (att["cmin"], att["cmax"]) == (0.0, 1.0)


def test_every_view_fits_a_laptop_window():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=3, bidirectional=True)
    x = torch.randn(8, 3)
    views = [rnnviz.unroll_view(lstm, x, widget=True), rnnviz.gates_view(lstm, x, widget=True),
             rnnviz.attention_view(torch.rand(1, 8, 5, 5), widget=True),
             rnnviz.gradient_view(rnnviz.gradient_flow(lstm, x, lambda out: out[0].sum()), widget=True)]
    for view in views:
        assert view.figure_dict()["layout"]["height"] <= FIT_HEIGHT <= 647  # with its slider and Play
