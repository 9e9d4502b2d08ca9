"""Check-yourself exercises of notebook 01 (what an RNN is).

Every expected value is computed by torch itself from the module named in the
question, so the checkers cannot drift from what ``nn.RNN`` does. Teachers:
``rnncourse.checks.solutions("nb01")`` prints the solutions.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, build, exercise, verdict

__all__ = ["h_n_shape", "parameter_count", "default_h0", "weight_matrices", "padding_drift"]


def _as_shape(answer) -> tuple[int, ...] | None:
    """A tuple of ints from a tuple, list or torch.Size of ints, else None."""
    if isinstance(answer, (tuple, list, torch.Size)) and all(
            isinstance(d, int) and not isinstance(d, bool) for d in answer):
        return tuple(answer)
    return None


@exercise("(4, 5, 16): 2 layers x 2 directions, 5 sequences in the batch, 16 units; batch_first changes "
          "x and output only.")
def h_n_shape(answer) -> Feedback:
    """``nn.RNN(input_size=3, hidden_size=16, num_layers=2, bidirectional=True, batch_first=True)``
    reads ``x`` of shape (5, 7, 3). What is the shape of ``h_n`` in ``output, h_n = rnn(x)``?

    Answer with a tuple of ints, e.g. ``(1, 2, 3)``.
    """
    rnn = build(nn.RNN, 3, 16, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        output, h_n = rnn(torch.zeros(5, 7, 3))                          # (B, T, D*H), (L*D, B, H)
    shape = _as_shape(answer)
    if shape is None:
        return verdict(False, "", f"answer with a tuple of ints such as (1, 2, 3), got {answer!r}")
    hints = {
        tuple(output.shape): "that is the shape of `output` (every step of the top layer); h_n holds only "
                             "the last step, but of every layer and direction",
        (2, 5, 16): "count the directions too: the first dimension is layers x directions",
        (2, 2, 5, 16): "torch folds layers and directions into one first dimension",
        (4, 7, 16): "h_n is the state after the last step, one per sequence in the batch: which dimension "
                    "of x is the batch when batch_first=True?",
        (5, 4, 16): "batch_first changes the layout of x and output, not of h_n",
    }
    return verdict(shape == tuple(h_n.shape),
                   f"h_n is {tuple(h_n.shape)}: (layers x directions, batch, hidden). batch_first only "
                   "changes x and output.",
                   hints.get(shape, "h_n has one final state per layer and direction, for every sequence "
                                    "in the batch: (layers x directions, batch, hidden_size)"))


@exercise("640 = W_ih 20x10 + W_hh 20x20 + b_ih 20 + b_hh 20.")
def parameter_count(answer) -> Feedback:
    """How many trainable numbers does ``nn.RNN(input_size=10, hidden_size=20)`` hold?

    Answer with an int.
    """
    rnn = build(nn.RNN, 10, 20)
    expected = sum(p.numel() for p in rnn.parameters())
    if isinstance(answer, bool) or not isinstance(answer, int):
        return verdict(False, "", f"answer with an int, got {type(answer).__name__}")
    I, H = 10, 20
    hints = {
        H * I + H * H: "you have both weight matrices; what about the biases?",
        H * I + H * H + H: "torch keeps two bias vectors, b_ih and b_hh (they add up, but both are learned)",
        H * I + H: "do not forget W_hh, the weights from h_{t-1} to h_t: that is what makes it recurrent",
    }
    return verdict(answer == expected,
                   f"{expected} = W_ih {H}x{I} + W_hh {H}x{H} + b_ih {H} + b_hh {H}; the same numbers "
                   "serve every time step, so a longer sequence needs no more parameters.",
                   hints.get(answer, "list the tensors in rnn.named_parameters(): two weight matrices "
                                     "and two bias vectors"))


@exercise("torch.zeros(2, 3, 8): (layers x directions, batch, hidden), all zeros.")
def default_h0(answer) -> Feedback:
    """``rnn = nn.RNN(4, 8, num_layers=2)`` (batch_first=False) reads ``x`` of shape (6, 3, 4).
    Give the tensor ``h0`` for which ``rnn(x, h0)`` equals ``rnn(x)``.
    """
    if not isinstance(answer, torch.Tensor):
        return verdict(False, "", f"answer with a torch tensor, got {type(answer).__name__}")
    gen = torch.Generator().manual_seed(1)
    rnn = build(nn.RNN, 4, 8, num_layers=2)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
        x = torch.randn(6, 3, 4, generator=gen)                                  # (T, B, I)
        out, h_n = rnn(x)                                                        # (T, B, H), (L, B, H)
        if answer.shape != h_n.shape:
            return verdict(False, "", f"h0 has the layout of h_n: (layers x directions, batch, hidden); got "
                                      f"{tuple(answer.shape)} (batch_first=False: x is (time, batch, features))")
        if not answer.is_floating_point():
            return verdict(False, "", f"h0 must be a floating-point tensor like x, got dtype {answer.dtype}")
        out_h0, _ = rnn(x, answer.to(x.dtype))
    same = bool(torch.allclose(out_h0, out, atol=1e-6, rtol=0))
    return verdict(same, "when you pass no h0, torch starts every sequence from zeros: nothing remembered yet.",
                   "right shape, other values: what does an RNN remember before it has read anything?")


@exercise("1: the same W_hh at every step.")
def weight_matrices(answer) -> Feedback:
    """A one-layer ``nn.RNN`` reads a 50-word sentence. How many *different* recurrent weight
    matrices W_hh does it use across the 50 steps? Answer with an int.
    """
    if isinstance(answer, bool) or not isinstance(answer, int):
        return verdict(False, "", f"answer with an int, got {type(answer).__name__}")
    rnn = build(nn.RNN, 2, 3)
    expected = sum(1 for name, _ in rnn.named_parameters() if name.startswith("weight_hh"))
    return verdict(answer == expected,
                   "one: unrolling draws 50 copies, but they are the same W_hh, so the network works for "
                   "any length and learns from every step at once.",
                   "the unrolled picture has one box per step; do the boxes have their own weights? "
                   "Look at rnn.named_parameters()." if answer > expected else
                   "an RNN does have a recurrent matrix: W_hh maps h_{t-1} into h_t")


@exercise("Any number of pads works; the checker recomputes the drift with the student's model. Without "
          "pads the drift is 0; with the course's trained network a single pad already moves the final "
          "state by more than 1 (1.2 to 1.9 for seeds 0-3): an unpacked pad is read as one more input. "
          "Further pads move it less, and after a few (up to about ten) the drift stops growing: reading "
          "<pad> over and over pulls the state to one resting point. Packing makes it 0 again.")
def padding_drift(model: nn.Module, ids: torch.Tensor, pads, answer) -> Feedback:
    """Modify and observe: the largest change of the final state of ``model`` when the sentence
    ``ids`` (T,) is followed by ``pads`` unpacked padding steps (``basics.padding_drift``)."""
    from ..lessons import basics

    if isinstance(pads, bool) or not isinstance(pads, int) or pads < 0:
        return verdict(False, "", f"pads must be a whole number >= 0, got {pads!r}.")
    expected = basics.padding_drift(model, ids, pads)
    return verdict(approx(answer, expected, rel=0.02, abs_=1e-6),
                   f"with {pads} pad(s) the final state moved by up to {expected:.3g}. Try other numbers "
                   "of pads: does the move keep growing with every pad, or does it level off?",
                   f"run the cell with pads = {pads} and copy the printed drift into answer (a number such as 0.5).")
