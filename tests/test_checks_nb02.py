"""Notebook 02 checkers: a right answer passes, wrong ones fail with a hint."""
from rnncourse.checks import nb02


def test_gradient_factor():
    assert nb02.gradient_factor(0.9 ** 20)
    assert nb02.gradient_factor(0.1216)
    wrong = nb02.gradient_factor(0.9 * 20)
    assert not wrong and "step" in wrong.message
    assert not nb02.gradient_factor("a lot")
    assert not nb02.gradient_factor(0.9 ** 19)
    assert not nb02.gradient_factor(0.9 ** 21)


def test_gradient_factor_takes_the_value_rounded_to_two_decimals():
    """0.12 is 0.9 ** 20 = 0.1216 to two decimals, 1.3 % off: a 1 % tolerance refused it and told a
    student who had counted the 20 steps right to count them again."""
    assert nb02.gradient_factor(0.12) and nb02.gradient_factor(0.122)


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


def test_open_exercises_say_not_answered_and_never_raise():
    import rnncourse.checks as checks
    for check in (nb02.gradient_factor, nb02.clipped, nb02.regime):
        feedback = check(...)
        assert not feedback and not feedback.answered and str(feedback).startswith("Not answered yet")
        assert "Not answered yet" in feedback._repr_html_()
    assert str(nb02.regime("vanishing")).startswith("Not yet")       # answered, wrong
    text = checks.solutions("nb02")
    assert "gradient_factor: 0.9 ** 20" in text and "clipped: (0.6, 0.8)" in text and "regime:" in text


def test_keep_gate_reach_recomputes_the_measurement():
    from rnncourse.lessons import memory
    xs, ys = memory.distracted_recall(64, 40, seed=99)
    measured, _ = memory.gradient_reach(memory.memory_model("lstm", keep_bias=1.0, seed=0), xs, ys)
    assert nb02.keep_gate_reach(1.0, measured)
    assert nb02.keep_gate_reach(1, f"{measured:.3g}")
    assert not nb02.keep_gate_reach(1.0, measured * 10)
    assert not nb02.keep_gate_reach(2.0, measured)            # another bias, another ratio
    assert not nb02.keep_gate_reach("open", measured)
    assert not nb02.keep_gate_reach(1.0, ...).answered
