"""Notebook 02 checkers: a right answer passes, wrong ones fail with a hint."""
from rnncourse.checks import nb02


def test_gradient_factor():
    assert nb02.gradient_factor(0.9 ** 20)
    assert nb02.gradient_factor(0.1216)
    wrong = nb02.gradient_factor(0.9 * 20)
    assert not wrong and "step" in wrong.message
    assert not nb02.gradient_factor("a lot")
    assert not nb02.gradient_factor(0.9 ** 19)


def test_clipped():
    assert nb02.clipped((0.6, 0.8))
    assert nb02.clipped([0.6, 0.8])
    assert not nb02.clipped((3, 4))            # not clipped at all
    assert not nb02.clipped((1.0, 1.0))        # clipped per coordinate: direction changed
    assert not nb02.clipped((0.6, 0.8, 0.0))
    assert not nb02.clipped("0.6, 0.8")


def test_regime():
    assert nb02.regime("exploding")
    assert nb02.regime("  Explode ")
    wrong = nb02.regime("vanishing")
    assert not wrong and "1.3" in wrong.message
    unclear = nb02.regime(1.3)
    assert not unclear and "vanishing" in unclear.message
