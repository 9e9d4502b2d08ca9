"""Notebook 03 checkers: a right answer passes, wrong ones fail with a hint."""
from torch import nn

from rnncourse.checks import nb03


def test_stacked_parameters():
    expected = sum(p.numel() for p in nn.LSTM(10, 20, num_layers=2, bidirectional=True).parameters())
    assert expected == 15040                                   # independent count by hand
    assert nb03.stacked_parameters(15040)
    assert nb03.stacked_parameters(15040.0)
    assert not nb03.stacked_parameters(2 * 2 * 4 * (20 * 30 + 40))   # forgot layer 2 reads 40 features
    assert not nb03.stacked_parameters("15040 parameters")
    assert not nb03.stacked_parameters(True)


def test_bidirectional_width():
    assert nb03.bidirectional_width(32)
    wrong = nb03.bidirectional_width(16)
    assert not wrong and "direction" in wrong.message
    assert not nb03.bidirectional_width(32.5)


def test_streaming_choice():
    assert nb03.streaming_choice("unidirectional")
    assert nb03.streaming_choice("Uni")
    assert not nb03.streaming_choice("bidirectional")
    unclear = nb03.streaming_choice("transformer")
    assert not unclear and "unidirectional" in unclear.message
