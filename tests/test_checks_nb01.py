"""The notebook 01 checkers: a right and wrong answers for each, hints that point the right way."""
from __future__ import annotations

import torch
from torch import nn

from rnncourse.checks import nb01


def test_h_n_shape_right_and_wrong():
    assert nb01.h_n_shape((4, 5, 16))
    assert nb01.h_n_shape([4, 5, 16])
    assert nb01.h_n_shape(torch.Size([4, 5, 16]))
    wrong = nb01.h_n_shape((5, 7, 32))
    assert not wrong and "output" in wrong.message
    assert "directions" in nb01.h_n_shape((2, 5, 16)).message
    assert not nb01.h_n_shape((4, 16, 5))
    assert "tuple of ints" in nb01.h_n_shape("4, 5, 16").message
    assert not nb01.h_n_shape((4.0, 5.0, 16.0))


def test_h_n_shape_agrees_with_torch():
    rnn = nn.RNN(3, 16, num_layers=2, bidirectional=True, batch_first=True)
    _, h_n = rnn(torch.randn(5, 7, 3))
    assert nb01.h_n_shape(tuple(h_n.shape))


def test_parameter_count_right_and_wrong():
    assert nb01.parameter_count(sum(p.numel() for p in nn.RNN(10, 20).parameters()))
    assert nb01.parameter_count(20 * 10 + 20 * 20 + 2 * 20)
    one_bias = nb01.parameter_count(20 * 10 + 20 * 20 + 20)
    assert not one_bias and "two bias" in one_bias.message
    assert "W_hh" in nb01.parameter_count(20 * 10 + 20).message
    assert not nb01.parameter_count(641)
    assert not nb01.parameter_count(640.0)
    assert not nb01.parameter_count(True)


def test_default_h0_right_and_wrong():
    assert nb01.default_h0(torch.zeros(2, 3, 8))
    assert nb01.default_h0(torch.zeros(2, 3, 8, dtype=torch.float64))
    ones = nb01.default_h0(torch.ones(2, 3, 8))
    assert not ones and "other values" in ones.message
    small = nb01.default_h0(torch.full((2, 3, 8), 1e-3))
    assert not small
    shape = nb01.default_h0(torch.zeros(2, 6, 8))
    assert not shape and "(layers x directions, batch, hidden)" in shape.message
    assert "(2, 3, 8)" not in shape.message                              # the hint leaves the answer to the student
    assert not nb01.default_h0(torch.zeros(3, 2, 8))
    assert not nb01.default_h0(torch.zeros(2, 3, 8, dtype=torch.long))
    assert "torch tensor" in nb01.default_h0([[0.0]]).message


def test_weight_matrices_right_and_wrong():
    assert nb01.weight_matrices(1)
    fifty = nb01.weight_matrices(50)
    assert not fifty and "boxes" in fifty.message
    assert not nb01.weight_matrices(0)
    assert not nb01.weight_matrices("1")


def test_feedback_reads_as_a_verdict():
    assert str(nb01.weight_matrices(1)).startswith("Correct")
    assert str(nb01.weight_matrices(2)).startswith("Not yet")
    assert "Not yet" in nb01.weight_matrices(2)._repr_html_()


def test_checkers_leave_the_global_random_state_alone():
    state = torch.get_rng_state()
    nb01.h_n_shape((4, 5, 16)), nb01.parameter_count(640)
    nb01.default_h0(torch.zeros(2, 3, 8)), nb01.weight_matrices(1)
    assert torch.equal(state, torch.get_rng_state())


def test_unanswered_exercises_say_so_and_do_not_raise():
    for check in (nb01.h_n_shape, nb01.parameter_count, nb01.default_h0, nb01.weight_matrices):
        feedback = check(...)
        assert not feedback and "..." in feedback.message and "Not answered yet" in str(feedback)
    assert not nb01.padding_drift(None, None, 3, ...)


def test_solutions_for_teachers():
    from rnncourse.checks import solutions

    text = solutions("nb01")
    for name in ("h_n_shape", "parameter_count", "default_h0", "weight_matrices", "padding_drift"):
        assert name in text
    assert "(4, 5, 16)" in text and "640" in text


def test_solutions_show_as_text_in_a_cell_and_import_rnncourse_reaches_them():
    """The README said solutions(...) "prints the answers": it returned a str, which a cell showed as a
    quoted repr with literal \\n, and ``import rnncourse`` alone did not reach rnncourse.checks."""
    import subprocess
    import sys

    from IPython.lib.pretty import pretty

    from rnncourse.checks import solutions

    text = solutions("nb02")
    assert repr(text) == str(text) and pretty(text) == str(text) and "\n\n" in str(text)
    run = subprocess.run([sys.executable, "-c", "import rnncourse; print(rnncourse.checks.solutions('nb01'))"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "h_n_shape:" in run.stdout, run.stderr


def test_padding_drift_recomputes_the_measurement():
    from rnncourse.lessons import basics
    from rnnviz.models import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier(6, embed_dim=3, hidden_size=5, cell="rnn", num_classes=2)
    ids = torch.tensor([2, 3, 4])
    expected = basics.padding_drift(model, ids, 4)
    right = nb01.padding_drift(model, ids, 4, expected)
    assert right and "4 pad(s)" in right.message
    assert nb01.padding_drift(model, ids, 4, round(expected, 4))
    assert not nb01.padding_drift(model, ids, 4, expected * 1.5)
    assert not nb01.padding_drift(model, ids, 4, "big")
    assert nb01.padding_drift(model, ids, 0, 0.0)
    assert "whole number" in nb01.padding_drift(model, ids, -2, 0.0).message
