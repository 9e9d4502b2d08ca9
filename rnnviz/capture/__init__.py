"""Exact per-step hidden states, cell states and gates of live torch RNNs.

``trace(rnn, inputs)`` captures one call of an ``nn.RNN``/``nn.LSTM``/``nn.GRU``;
``record(model)`` captures every recurrent (and attention) submodule during an
ordinary ``model(x)`` call. Both give ``Trace`` objects in one fixed layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence

from .._recurrent.inputs import check_clamp, prepare
from ._record import Recording, record
from ._fast import run_clamped, run_fast

__all__ = ["Trace", "trace", "record", "Recording"]


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
      a PackedSequence ``output`` for packed input).
    - ``lengths``: (B,) int64; steps at or past a sequence's length are NaN.
    - ``kind``: "RNN", "LSTM" or "GRU".
    - ``notes``: what a reader should know (eval semantics, clamped gates, joined calls).
    - ``clamp``: the gates fixed by ``trace(..., clamp=...)``, else None.
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
        """
        return {
            "hidden": self.hidden.cpu().numpy(), "lengths": self.lengths.cpu().numpy(),
            "cell": None if self.cell is None else self.cell.cpu().numpy(),
            "gates": {name: g.cpu().numpy() for name, g in self.gates.items()},
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
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"expected an int {what}, got {type(value).__name__}")
            if not -size <= value < size:
                raise ValueError(f"expected {what} in [{-size}, {size - 1}], got {value}")
        steps = int(self.lengths[sample])
        pick = lambda t: t[layer, direction, sample, :steps].cpu().numpy()  # noqa: E731  (T_b, H)
        return {"hidden": pick(self.hidden), "cell": None if self.cell is None else pick(self.cell),
                "gates": {name: pick(g) for name, g in self.gates.items()}}


def _module_output(rnn, p, res):
    """output, h_n, c_n exactly as the module returns them."""
    if p.packed is not None:
        pk = p.packed
        output = PackedSequence(res.last_data, pk.batch_sizes, pk.sorted_indices, pk.unsorted_indices)
    elif p.unbatched:
        output = res.last[0]                                              # (T, D*P)
    else:
        output = res.last if rnn.batch_first else res.last.transpose(0, 1).contiguous()
    h_n, c_n = res.h_n, res.c_n                                           # (L*D, B, P), (L*D, B, H)
    if p.unbatched:
        h_n, c_n = h_n[:, 0], (c_n[:, 0] if c_n is not None else None)
    return output, h_n, c_n


def trace(rnn, inputs, hx=None, *, clamp: dict[str, float] | None = None) -> Trace:
    """Run ``rnn`` on ``inputs`` and return every hidden state, cell state and gate.

    rnn: a live ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` in any configuration
        (layers, bidirectional, batch_first, bias=False, relu, proj_size), any
        float dtype and device. Dropout between layers is not applied: the
        trace has eval semantics whatever ``rnn.training`` says, and says so in
        ``notes``. The module is not changed.
    inputs: in the module's own layout: (B, T, I) with batch_first, else
        (T, B, I); unbatched (T, I) gets a batch of 1 in the trace while
        ``output``/``h_n`` stay unbatched as the module returns them; or a
        PackedSequence, whose steps past each length are NaN in the trace.
    hx: as the module takes it ((h_0, c_0) for an LSTM), or None for zeros.
    clamp: optional {gate name: value}, e.g. {"forget": 1.0}, for "what if"
        experiments: a step-by-step loop runs with those gates fixed, so every
        state and ``output`` then differs from the module's (said in ``notes``).

    Returns a ``Trace`` (see its docstring for the layout), all detached, in the
    module's dtype and device, equal to torch's own computation to float
    rounding (about 1e-6 in float32, 1e-12 in float64).

    Cost: one forward through torch's fused kernels, layer by layer, plus one
    batched recompute of the gates (one matmul per gate for the input and one
    for h_{t-1}, all steps at once): on a CPU about 1.5x to 3x the module's own
    forward (bench/trace_overhead.py prints it). Memory of the
    result, with s bytes per element (4 float32, 8 float64):
    LSTM s*L*D*B*T*(P + 5H), GRU s*L*D*B*T*(P + 3H), RNN s*L*D*B*T*P, plus the
    module's own ``output`` s*B*T*D*P; the recompute needs about s*B*T*(H + P)
    more while it runs. E.g. an LSTM of 256 units, 10,000 steps, batch 1:
    4*10,000*(256 + 5*256) bytes = 61 MB in float32.
    """
    p = prepare(rnn, inputs, hx)
    clamp = check_clamp(p.kind, clamp)
    with torch.no_grad():
        res = run_fast(rnn, p) if clamp is None else run_clamped(rnn, p, clamp)
        if not p.full:
            past = ~(torch.arange(p.x.size(1)) < p.lengths.unsqueeze(1)).to(p.x.device)   # (B, T)
            past = past[None, None, :, :, None]                                          # (1, 1, B, T, 1)
            for t in [res.hidden, res.cell, *res.gates.values()]:
                if t is not None:
                    t.masked_fill_(past, float("nan"))
        output, h_n, c_n = _module_output(rnn, p, res)
    notes = []
    if rnn.dropout > 0 and rnn.num_layers > 1:
        notes.append(f"dropout={rnn.dropout} not applied: captured in eval semantics"
                     + (" (the module is in training mode)" if rnn.training else ""))
    if clamp is not None:
        fixed = ", ".join(f"{k}={v:g}" for k, v in clamp.items())
        notes.append(f"clamped {fixed}: states and output differ from what the module computes")
    if p.unbatched:
        notes.append("unbatched input: batch of 1 in the trace; output and h_n as the module returns them")
    return Trace(kind=p.kind, hidden=res.hidden, cell=res.cell, gates=res.gates, output=output,
                 h_n=h_n, c_n=c_n, lengths=p.lengths.to(p.x.device), batch_first=rnn.batch_first,
                 notes=notes, clamp=clamp)
