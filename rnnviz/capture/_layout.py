"""``Trace``: everything a recurrent module (or a cell stepped in a loop) computed, in one layout."""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class Trace:
    """Everything a recurrent module computed, in one layout whatever ``batch_first`` says.

    Letters: L layers, D directions, B batch, T time, H hidden size, P = proj_size or H.

    - ``hidden``: (L, D, B, T, P), h_t after the step at input position t
      (backward direction: after reading positions t..end, as torch lays out ``output``).
    - ``cell``: (L, D, B, T, H) for an LSTM, else None.
    - ``gates``: name -> (L, D, B, T, H). LSTM "input", "forget", "cell" (the
      candidate g), "output"; GRU "reset", "update", "new" (torch's n, where r
      multiplies ``W_hn h + b_hn``); RNN: {}.
    - ``output``, ``h_n``, ``c_n``: what the module itself returns (its own layout;
      a PackedSequence ``output`` for packed input). For a cell stepped once per
      step (``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``): L = D = 1, ``output``
      (B, T, H) the stacked h_t (``batch_first`` True), ``h_n``/``c_n`` (1, B, H).
    - ``lengths``: (B,) int64; steps at or past a sequence's length are NaN.
    - ``kind``: "RNN", "LSTM" or "GRU".
    - ``notes``: what a reader should know (eval semantics, a model run in eval mode,
      clamped gates, joined calls, cell calls that restart from another state).
    - ``clamp``: the gates fixed by ``trace(..., clamp=...)``, else None.
    - ``starts``: the steps whose state before them is an initial state (given, or zeros)
      rather than the state of the step before: (0,) for one call; in a trace that joins
      calls (``record``) the first step of every call that does not carry on from the call
      before (``h = rnn(chunk, h)`` carries on), and of every call of a bidirectional module
      (its backward direction restarts there in any case). A view writes h_{t−1}/c_{t−1}
      there from the step's own equation when ``initial_hidden`` is None.
    - ``initial_hidden``: (S, L, D, B, P), S = ``len(starts)``: the state each run in
      ``starts`` began from (the h_0 it was given, or zeros), for the backward direction
      the state its run began from at the run's last step; ``initial_cell``: (S, L, D, B, H)
      the same for an LSTM's c, else None. None when not known (a Trace built by hand).
    """

    kind: str
    hidden: torch.Tensor
    cell: torch.Tensor | None
    gates: dict[str, torch.Tensor]
    output: torch.Tensor
    h_n: torch.Tensor
    c_n: torch.Tensor | None
    lengths: torch.Tensor
    batch_first: bool = False
    notes: list[str] = field(default_factory=list)
    clamp: dict[str, float] | None = None
    starts: tuple[int, ...] = (0,)
    initial_hidden: torch.Tensor | None = None
    initial_cell: torch.Tensor | None = None

    @property
    def num_layers(self) -> int:
        return self.hidden.size(0)

    @property
    def num_directions(self) -> int:
        return self.hidden.size(1)

    @property
    def batch_size(self) -> int:
        return self.hidden.size(2)

    @property
    def steps(self) -> int:
        """T, the number of time positions (the longest sequence)."""
        return self.hidden.size(3)

    def __repr__(self) -> str:
        shape = lambda t: "x".join(map(str, t.shape))  # noqa: E731
        lines = [
            f"Trace({self.kind}: {self.num_layers} layer(s), {self.num_directions} direction(s), "
            f"batch {self.batch_size}, {self.steps} steps, {self.hidden.dtype}, {self.hidden.device})",
            f"  hidden  (L, D, B, T, P) {shape(self.hidden)}",
        ]
        if self.cell is not None:
            lines.append(f"  cell    (L, D, B, T, H) {shape(self.cell)}")
        if self.gates:
            lines.append(f"  gates   {', '.join(self.gates)}: (L, D, B, T, H) {shape(next(iter(self.gates.values())))}")
        lines.append(f"  lengths {self.lengths.tolist() if self.batch_size <= 8 else shape(self.lengths)}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_numpy(self) -> dict:
        """Plain numpy copies: "hidden", "cell" (LSTM, else None), "lengths", "gates" {name: array}.

        The gates sit in their own dict because the LSTM candidate gate is also called "cell".
        bfloat16, which numpy lacks, becomes float32 (exactly: every bfloat16 is a float32).
        """
        return {
            "hidden": _numpy(self.hidden), "lengths": self.lengths.cpu().numpy(),
            "cell": None if self.cell is None else _numpy(self.cell),
            "gates": {name: _numpy(g) for name, g in self.gates.items()},
        }

    def select(self, layer: int = -1, direction: int = 0, sample: int = 0) -> dict:
        """One layer, direction and sample as numpy arrays over that sample's own steps.

        Returns {"hidden": (T_b, P), "cell": (T_b, H) or None, "gates": {name: (T_b, H)}},
        T_b = ``lengths[sample]`` (the steps past it, NaN in the trace, are left out).
        Negative indices count from the end, as in Python.
        """
        for what, value, size in (("layer", layer, self.num_layers),
                                  ("direction", direction, self.num_directions),
                                  ("sample", sample, self.batch_size)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):   # numpy ints too
                raise TypeError(f"expected an int {what}, got {type(value).__name__}")
            if not -size <= value < size:
                raise ValueError(f"expected {what} in [{-size}, {size - 1}], got {value}")
        layer, direction, sample = int(layer), int(direction), int(sample)
        steps = int(self.lengths[sample])
        pick = lambda t: _numpy(t[layer, direction, sample, :steps])  # noqa: E731  (T_b, H)
        return {"hidden": pick(self.hidden), "cell": None if self.cell is None else pick(self.cell),
                "gates": {name: pick(g) for name, g in self.gates.items()}}


def _numpy(t: torch.Tensor):
    """A C-ordered numpy copy of ``t`` on the CPU (never a view of the trace: ``.numpy()`` of a CPU tensor
    shares its memory); bfloat16 (which numpy has no type for) as float32, exactly."""
    t = t.detach().cpu()
    return np.array((t.float() if t.dtype == torch.bfloat16 else t).numpy(), order="C", copy=True)
