"""The gates view chooses its units as the unroll view does: a list, "active" or ("token", word), and says which."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import rnnviz
from rnnviz.views.gates import build_gates
from conftest import encode

WORDS = "the cat sat on the mat and the dog saw the cat run".split()


def legend(fig: dict) -> list[int]:
    """Units in the order the view draws them (its legend)."""
    return [int(re.match(r"unit (\d+)", d["name"]).group(1)) for d in fig["data"] if d.get("showlegend")]


def titles(fig: dict) -> list[str]:
    return [fig["layout"]["title"]["text"]] + [f["layout"]["title"]["text"] for f in fig.get("frames", [])]


def plain(text: str) -> str:
    """A title without the style's font spans."""
    return re.sub(r"</?span[^>]*>", "", text)


def top(score: np.ndarray, k: int) -> list[int]:
    """The k largest scores' indices, largest first (ties: lower index first)."""
    return sorted(range(len(score)), key=lambda u: (-score[u], u))[:k]


@pytest.fixture
def lstm_trace():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 12, num_layers=2, bidirectional=True)
    x = torch.randn(len(WORDS), 2, 3)                                      # (T, B, I)
    return rnnviz.trace(lstm, x)


def test_active_draws_the_units_with_the_largest_mean_abs_h(lstm_trace):
    tr = lstm_trace
    for layer, direction, sample in ((-1, 0, 0), (0, 1, 1), (1, 1, 0)):
        h = tr.hidden[layer, direction, sample].numpy()                    # (T, H)
        want = top(np.abs(h).mean(0), 4)
        fig = rnnviz.gates_view(tr, units="active", layer=layer, direction=direction, sample=sample,
                                widget=True).figure_dict()
        assert legend(fig) == want
        # the lines are those units' gates, in that order
        forget = [d for d in fig["data"] if d.get("yaxis") == "y2"]
        want_f = tr.gates["forget"][layer, direction, sample][:, want].numpy()
        for j, line in enumerate(forget):
            assert np.allclose(line["y"], want_f[:, j], atol=5e-3)
        assert "(equation)" in fig["data"][0]["name"] and legend(fig)[0] == want[0]   # focus: the most active


def test_max_units_sets_how_many_and_gru_works_too():
    torch.manual_seed(1)
    gru = torch.nn.GRU(4, 10)
    x = torch.randn(9, 4)
    tr = rnnviz.trace(gru, x)
    want = top(np.abs(tr.hidden[0, 0, 0].numpy()).mean(0), 6)
    fig = rnnviz.gates_view(gru, x, units="active", max_units=6, widget=True).figure_dict()
    assert legend(fig) == want
    assert "6 most active of 10 units (largest mean |h| over the 9 steps)" in plain(fig["layout"]["title"]["text"])
    assert legend(rnnviz.gates_view(tr, max_units=2, widget=True).figure_dict()) == [0, 1]


def test_token_draws_the_units_most_correlated_with_the_word(lstm_trace):
    tr = lstm_trace
    hit = np.array([w == "cat" for w in WORDS], dtype=float)
    h = tr.hidden[-1, 0, 1].numpy()
    r = np.array([np.corrcoef(h[:, u], hit)[0, 1] for u in range(h.shape[1])])
    want = top(np.abs(r), 3)
    assert want != top(np.abs(h).mean(0), 3)                              # not the same as "active" here
    fig = rnnviz.gates_view(tr, tokens=WORDS, units=("token", "cat"), max_units=3, sample=1,
                            widget=True).figure_dict()
    assert legend(fig) == want
    for text in titles(fig):
        assert "3 of 12 units most correlated with the input 'cat' (|r| over the 13 steps)" in plain(text)


def test_a_list_keeps_its_order_and_focus_stays_among_the_units_shown(lstm_trace):
    fig = rnnviz.gates_view(lstm_trace, units=[7, 2, 9], widget=True).figure_dict()
    assert legend(fig) == [7, 2, 9]
    assert "units 7, 2, 9 of 12 · gates i, f, o" in plain(fig["layout"]["title"]["text"])
    assert "unit 7: c<sub>t</sub>" in fig["layout"]["title"]["text"]                 # default focus: the first shown
    fig = rnnviz.gates_view(lstm_trace, units=range(9, 5, -1), focus=8, widget=True).figure_dict()
    assert legend(fig) == [9, 8, 7, 6] and "unit 8: c<sub>t</sub>" in fig["layout"]["title"]["text"]
    active = top(np.abs(lstm_trace.hidden[-1, 0, 0].numpy()).mean(0), 4)
    fig = rnnviz.gates_view(lstm_trace, units="active", focus=active[2], widget=True).figure_dict()
    assert f"unit {active[2]}: c<sub>t</sub>" in fig["layout"]["title"]["text"]
    other = next(u for u in range(12) if u not in active)
    with pytest.raises(ValueError, match=r"focus as one of the units shown \[.*\], got " + str(other)):
        rnnviz.gates_view(lstm_trace, units="active", focus=other)


def test_the_title_names_the_selection_on_every_frame_and_still_wraps(lstm_trace):
    fig = rnnviz.gates_view(lstm_trace, units="active", widget=True).figure_dict()
    for text in titles(fig):
        lines = plain(text).split("<br>")
        assert "4 most active of 12 units (largest mean |h| over the 13 steps)" in lines
        assert "on top" not in text                                     # a gates view has lines, not rows
    # a long phrase takes its own line, so no line passes the title width (107 characters at laptop size)
    assert max(len(line) for line in plain(fig["layout"]["title"]["text"]).split("<br>")) <= 107


def test_default_is_unchanged_the_first_four_units(lstm_trace):
    fig = rnnviz.gates_view(lstm_trace, widget=True).figure_dict()
    assert legend(fig) == [0, 1, 2, 3]
    assert ("units 0–3 of 12 · gates i, f, o in 0..1; dotted line = step shown, pale = not read yet"
            in plain(fig["layout"]["title"]["text"]).split("<br>"))
    spec, _ = build_gates(lstm_trace, None)
    assert legend(spec) == [0, 1, 2, 3]


def test_a_projected_lstm_is_judged_by_each_units_own_output():
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(3, 8, proj_size=3)
    x = torch.randn(7, 3)
    tr = rnnviz.trace(lstm, x)
    out = tr.gates["output"][0, 0, 0].numpy() * np.tanh(tr.cell[0, 0, 0].numpy())   # (T, H): before projection
    fig = rnnviz.gates_view(lstm, x, units="active", widget=True).figure_dict()
    assert legend(fig) == top(np.abs(out).mean(0), 4)
    assert "largest mean |o⊙tanh(c)| over the 7 steps" in plain(fig["layout"]["title"]["text"])


def test_bad_unit_choices_raise_clear_errors(lstm_trace):
    tr = lstm_trace
    with pytest.raises(ValueError, match=r"expected units as 'active', \('token', word\) or a list"):
        rnnviz.gates_view(tr, units="busiest")
    with pytest.raises(TypeError, match=r"'active', \('token', word\) or a list/range of unit indices, got int"):
        rnnviz.gates_view(tr, units=3)
    with pytest.raises(ValueError, match=r"unit indices in 0\.\.11, got \[1, 12\]"):
        rnnviz.gates_view(tr, units=[1, 12])
    with pytest.raises(ValueError, match=r"non-empty list of unit indices"):
        rnnviz.gates_view(tr, units=[])
    with pytest.raises(ValueError, match=r"got \['token', 'cat'\]"):                   # a list is not the form
        rnnviz.gates_view(tr, tokens=WORDS, units=["token", "cat"])
    with pytest.raises(ValueError, match=r"needs tokens="):
        rnnviz.gates_view(tr, units=("token", "cat"))
    with pytest.raises(ValueError, match=r"'bird' is not among the input tokens"):
        rnnviz.gates_view(tr, tokens=WORDS, units=("token", "bird"))
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match=r"expected max_units as a positive int, got"):
            rnnviz.gates_view(tr, units="active", max_units=bad)


def test_what_if_chooses_the_units_again_for_new_text():
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(26, 16)
    view = rnnviz.gates_view(lstm, encode=encode, text="abcabc", units="active", widget=True)
    first = legend(view.figure_dict())
    view = rnnviz.gates_view(lstm, encode=encode, text="abcabc", units="active", focus=first[3], widget=True)
    kept = []
    for new in ("zzyzx", "hello", "abcabc"):
        view.whatif.set_text(new)
        fig = view.canvas.figure
        h = rnnviz.trace(lstm, encode(new)[0]).hidden[0, 0, 0].numpy()
        want = top(np.abs(h).mean(0), 4)
        assert legend(fig) == want
        kept.append(first[3] in want)
        focus = first[3] if first[3] in want else want[0]                 # a focus left out falls back, no error
        assert f"unit {focus}: c<sub>t</sub>" in fig["layout"]["title"]["text"]
        assert f"4 most active of 16 units (largest mean |h| over the {len(new)} steps)" in plain(
            fig["layout"]["title"]["text"])
    assert kept == [False, True, True]                                    # both cases met
    view = rnnviz.gates_view(lstm, encode=encode, text="cabbage", units=("token", "b"), widget=True)
    view.whatif.set_text("bob")
    h = rnnviz.trace(lstm, encode("bob")[0]).hidden[0, 0, 0].numpy()
    hit = np.array([c == "b" for c in "bob"], dtype=float)
    r = np.array([np.corrcoef(h[:, u], hit)[0, 1] for u in range(16)])
    assert legend(view.canvas.figure) == top(np.abs(r), 4)
