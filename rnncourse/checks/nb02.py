"""Checkers for notebook 02 (backpropagation through time, vanishing and exploding gradients)."""
from __future__ import annotations

import math

import torch

from ._core import Feedback, approx, exercise, verdict

__all__ = ["gradient_factor", "clipped", "regime"]


@exercise("0.9 ** 20, about 0.122: each of the 20 steps multiplies the gradient by w = 0.9.")
def gradient_factor(answer) -> Feedback:
    """A linear 1-unit RNN h_t = 0.9 h_{t-1} + x_t: the factor dh_20/dh_0 (a number)."""
    expected = 0.9 ** 20
    # 2 % takes 0.12 (two decimals of 0.1216) and 0.122, not 0.9 ** 19 or 0.9 ** 21 (0.135, 0.109)
    return verdict(approx(answer, expected, rel=0.02),
                   f"dh_20/dh_0 is the product of 20 factors w = 0.9, about {expected:.3f}: "
                   "about 88% of the signal is lost over 20 steps.",
                   "Each step multiplies the gradient by dh_t/dh_(t-1) = w. How many steps separate h_0 from h_20?")


@exercise("(0.6, 0.8): the norm is 5, so the vector is divided by 5; the direction is kept.")
def clipped(answer) -> Feedback:
    """The gradient (3, 4) after clipping its total norm at 1 (two numbers)."""
    try:
        got = torch.as_tensor(answer, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        return verdict(False, "", f"Give two numbers, e.g. (0.1, 0.2); got {answer!r}.")
    ok = got.shape == (2,) and bool(torch.allclose(got, torch.tensor([0.6, 0.8], dtype=torch.float64), atol=1e-3))
    return verdict(ok, "The norm is 5, so the whole vector is scaled by 1/5: (0.6, 0.8). "
                       "Clipping keeps the direction and only shortens the step.",
                   "Clipping by norm divides the whole vector by its norm (here sqrt(3**2 + 4**2)) "
                   "and multiplies by the limit; the direction must not change.")


@exercise('"exploding": 1.3 ** 30 is about 2,600 in the linear regime.')
def regime(answer) -> Feedback:
    """W_hh with spectral radius 1.3, tanh near its linear part: "vanishing" or "exploding"?"""
    text = str(answer).strip().lower()
    ok = text.startswith("explod")
    if not ok and not text.startswith("vanish"):
        return verdict(False, "", f"Answer with the word 'vanishing' or 'exploding', got {answer!r}.")
    return verdict(ok, f"Over k steps the gradient is scaled by about 1.3**k (1.3**30 is about "
                       f"{1.3 ** 30:,.0f}): it explodes, until tanh saturates or clipping stops it.",
                   "Near the linear regime dh_T/dh_t behaves like W_hh**(T-t). Is 1.3 above or below 1?")


@exercise("Any keep-gate bias works; the checker recomputes the ratio. For a bias b the forget gate starts "
          "near sigmoid(b), and the ratio grows with b: measured 1.6e-9 to 1.1e-8 at b = 0, "
          "1.3e-4 to 1.9e-4 at b = 1, 0.012 to 0.024 at b = 2 and 0.05 to 0.10 at b = 3 (model seeds 0-2, "
          "on notebook 02's 64 lag-40 sequences, the ones its own table uses).")
def keep_gate_reach(keep: float, answer, seed: int = 0) -> Feedback:
    """Modify and observe: the measured ‖∂L/∂h_0‖ / ‖∂L/∂h_40‖ of an untrained LSTM whose
    keep-gate bias is ``keep``, on notebook 02's 64 lag-40 sequences (seed ``seed + 99``)."""
    from ..lessons import memory

    try:
        keep = float(keep)
    except (TypeError, ValueError):
        return verdict(False, "", f"keep must be a number (the forget-gate bias you chose), got {keep!r}.")
    xs, ys = memory.distracted_recall(64, 40, seed=seed + 99)
    with torch.random.fork_rng():
        expected, _ = memory.gradient_reach(memory.memory_model("lstm", keep_bias=keep, seed=seed), xs, ys)
    return verdict(approx(answer, expected, rel=0.05),
                   f"With bias {keep:g} the ratio is {expected:.2g}; the forget gate starts near "
                   f"sigmoid({keep:g}) = {1 / (1 + math.exp(-keep)):.2f}, and 40 of them multiply.",
                   f"Run the cell with keep = {keep:g} and copy the printed ratio into answer "
                   "(a number such as 3e-05).")
