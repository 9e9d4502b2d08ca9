"""lessons.diagrams: well-formed SVG with one box per cell, labels as text, sizes checked."""
import xml.etree.ElementTree as ET

import pytest

from rnncourse.lessons import diagrams

NS = "{http://www.w3.org/2000/svg}"


def _parse(d):
    root = ET.fromstring(d.svg)                                   # raises on malformed markup
    texts = [t.text for t in root.iter(NS + "text")]
    return root, texts


def test_the_loop_unrolls_into_one_box_per_step():
    root, texts = _parse(diagrams.rnn_loop(5))
    assert [f"h_{t}" for t in range(6)] == [t for t in texts if t.startswith("h_")]
    assert {"x_t", "y_t", "RNN", "W_hh", "W_xh"} <= set(texts) and "x_5" in texts and "y_5" in texts
    assert not any("∂L" in t for t in texts)
    assert diagrams.rnn_loop(5)._repr_svg_().startswith("<svg")


def test_backward_draws_the_gradient_path():
    plain, _ = _parse(diagrams.rnn_loop(4))
    back, texts = _parse(diagrams.rnn_loop(4, backward=True))
    assert any("∂L" in t for t in texts)
    dashed = [p for p in back.iter(NS + "path") if p.get("stroke-dasharray")]
    assert len(dashed) == 3                                       # h_4 -> h_3 -> h_2 -> h_1
    assert not [p for p in plain.iter(NS + "path") if p.get("stroke-dasharray")]


def test_stack_has_layers_times_steps_cells():
    _, texts = _parse(diagrams.stack(3, 4))
    cells = [t for t in texts if t.startswith("h") and "_" in t]
    assert sorted(cells) == sorted(f"h{l}_{t}" for l in (1, 2, 3) for t in (1, 2, 3, 4))
    assert {"layer 1", "layer 3", "input"} <= set(texts)


def test_bidirectional_has_both_rows_and_the_concatenation():
    _, texts = _parse(diagrams.bidirectional(3))
    assert [t for t in texts if t.startswith("h→")] == ["h→1", "h→2", "h→3"]
    assert [t for t in texts if t.startswith("h←")] == ["h←1", "h←2", "h←3"]
    assert "[→2;←2]" in texts and "backward" in texts


@pytest.mark.parametrize("call", [lambda: diagrams.rnn_loop(0), lambda: diagrams.stack(0, 3),
                                  lambda: diagrams.stack(2, 2.5), lambda: diagrams.bidirectional(True),
                                  lambda: diagrams.rnn_loop(100)])
def test_bad_sizes_are_refused(call):
    with pytest.raises(ValueError, match="whole number"):
        call()
