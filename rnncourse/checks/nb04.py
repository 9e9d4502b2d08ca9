"""Exercises of notebook 04 (hybrid architectures); every expected value is computed, not typed in."""
from __future__ import annotations

import torch

from ._core import Feedback, approx, choice, exercise, verdict, whole_number

__all__ = ["downsampled_steps", "convlstm_params", "hybrid_for", "bigger_vector", "SCENARIOS", "HYBRIDS"]

HYBRIDS = ("cnn-rnn", "convlstm", "rnn-attention", "rnn-transformer", "cnn-rnn-mlp")
SCENARIOS = {
    "one label for an hour of 100 Hz sensor readings": "cnn-rnn",
    "the next ten radar rain maps from the last ten": "convlstm",
    "a sentence in one language written in another": "rnn-attention",
    "the action shown in a short video clip": "cnn-rnn-mlp",
}
# defensible second answers, accepted with what they trade away
ALSO = {("the action shown in a short video clip", "convlstm"):
        "convlstm works too: it reads the frames as images over time, and a classifier on its last state decides; "
        "cnn-rnn-mlp is the usual choice, since a CNN per frame can be large and pretrained while the RNN stays small"}



@exercise("50: the stride keeps every 4th of the 1,000 positions (250), the max pooling one of every 5 (50). "
          "(Section 1's model: 256 / 2 / 4 = 32.)")
def downsampled_steps(answer, length: int = 1000, stride: int = 4, pool: int = 5, kernel_size: int = 7) -> Feedback:
    """How many steps the RNN of a ConvRNN runs on a ``length``-step signal (counted by running one)."""
    from rnnviz.models import ConvRNN
    with torch.random.fork_rng(devices=[]), torch.no_grad():   # the student's random numbers stay as they were
        model = ConvRNN(1, conv_channels=1, kernel_size=kernel_size, stride=stride, pool=pool, hidden_size=1)
        steps = model.downsample(torch.zeros(1, length, 1)).shape[1]          # T'
    return verdict(whole_number(answer) == steps,
                   f"{steps}: the stride divides the {length} steps by {stride}, the pooling by {pool} more, "
                   f"so the RNN runs {length / steps:.0f} times fewer sequential steps.",
                   ("that is after the strided convolution; the max pooling shortens the sequence again"
                    if whole_number(answer) == -(-length // stride) else
                    "the strided convolution and then the max pooling each shorten the sequence: by how much?"))


@exercise("2624 = 4 x 8 x (1 + 8) x 3 x 3 weights + 4 x 8 biases: one Conv2d from [x; h] to the four gates.")
def convlstm_params(answer, in_channels: int = 1, hidden_channels: int = 8, kernel_size: int = 3) -> Feedback:
    """Trainable parameters of a ConvLSTMCell (counted on the module itself)."""
    from rnnviz.models import ConvLSTMCell
    with torch.random.fork_rng(devices=[]):                    # the student's random numbers stay as they were
        cell = ConvLSTMCell(in_channels, hidden_channels, kernel_size)
    expected = sum(p.numel() for p in cell.parameters())
    return verdict(whole_number(answer) == expected,
                   f"{expected}: one convolution makes all four gates, 4 x {hidden_channels} output channels, each "
                   f"a {kernel_size}x{kernel_size} kernel over {in_channels} + {hidden_channels} input channels, "
                   "plus one bias each. The count does not depend on the image size.",
                   f"the gates come from one Conv2d with ({in_channels} + {hidden_channels}) input channels "
                   f"([x; h]) and 4 x {hidden_channels} output channels; count its weights and biases.")


@exercise("cnn-rnn (the long sensor signal), convlstm (radar maps), rnn-attention (translation), "
          "cnn-rnn-mlp (video clip action; convlstm is accepted there too).")
def hybrid_for(scenario: str, answer: str) -> Feedback:
    """Which hybrid fits a scenario: one of :data:`HYBRIDS`, for a key of :data:`SCENARIOS`."""
    if scenario not in SCENARIOS:
        raise ValueError(f"expected scenario as one of {list(SCENARIOS)}, got {scenario!r}")
    picked = choice(answer, HYBRIDS)
    if picked is None:
        return verdict(False, "", f"answer with one of {list(HYBRIDS)}, got {answer!r}")
    expected = SCENARIOS[scenario]
    why = {"cnn-rnn": "a strided convolution shortens 360,000 steps to something an RNN can run through",
           "convlstm": "the state itself is an image, and convolutions in the gates keep neighbouring pixels together",
           "rnn-attention": "the decoder looks back at the source words it needs at each output step",
           "cnn-rnn-mlp": "a CNN reads each frame, an RNN reads the frames in order, an MLP decides"}[expected]
    if (scenario, picked) in ALSO:
        return verdict(True, ALSO[scenario, picked] + ".", "")
    return verdict(picked == expected, f"{expected}: {why}.",
                   "ask what the data looks like (very long? images over time? two sequences?) "
                   "and which part of the model handles it.")


@exercise("Any answer the student measured: the checker retrains the model itself. Seen on the course's machine "
          "with the notebook's budget (2000 strings, 4 epochs), seeds 0-2: 0.33-0.38 of the digits with 128 units "
          "(0.24-0.27 with 64, 0.42-0.44 with 256). A wider vector helps somewhat, but far less than attention, "
          "which copied 12 digits almost perfectly with 64 units.")
def bigger_vector(answer, hidden_size: int = 128, length: int = 12, seed: int = 0, baseline: float | None = None
                  ) -> Feedback:
    """Modify and observe: the greedy digit accuracy of a copy model *without* attention with
    ``hidden_size`` units on ``length``-digit strings, trained as in notebook 04
    (``translation.train_copy(None, length, hidden_size=hidden_size, seed=seed)``).

    The checker retrains that model (a few seconds) and compares; ``baseline`` (the 64-unit
    accuracy printed in the notebook) only shapes the explanation.
    """
    from rnncourse.lessons.translation import train_copy
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, int) or hidden_size < 1:
        raise ValueError(f"expected hidden_size an int >= 1, got {hidden_size!r}")
    with torch.random.fork_rng(devices=[]):                    # the student's random numbers stay as they were
        _, measured = train_copy(None, length, hidden_size=hidden_size, seed=seed)
    compare = ""
    if baseline is not None:
        gain = measured - float(baseline)
        compare = (f" The 64-unit model scored {float(baseline):.3f}: "
                   + ("the wider vector helped somewhat, but" if gain > 0.05 else "the wider vector bought little, and")
                   + " attention copied 12 digits almost perfectly with 64 units.")
    return verdict(approx(answer, measured, rel=0.02, abs_=0.01),
                   f"{measured:.3f} of the digits right on their own, with {hidden_size} units.{compare}",
                   f"train the model with translation.train_copy(None, {length}, hidden_size={hidden_size}, "
                   f"seed=SEED) and give the accuracy it returns (a number between 0 and 1).")
