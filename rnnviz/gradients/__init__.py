"""Per-time-step gradient norms: backpropagation through time made visible.

``gradient_flow(model, inputs, loss_fn)`` runs one forward and backward pass and
reports, for every layer, direction, sequence and time step, how much of the
loss's gradient reaches the hidden state h_t and the recurrent module's input x_t.

How it stays exact: during the pass the recurrent submodule's ``forward`` is
replaced by an unrolled loop over torch's own cell equations (``_unroll``, on
the step loop shared with capture), which returns the module's output in its own
format, so the rest of the model runs unchanged. Each h_t is then a tensor of
its own and ``torch.autograd.grad`` gives the gradient of the loss with respect
to it. Parameters' ``.grad`` are never touched (no ``.backward()``), and the
forward is restored afterwards, even on error. ``_jacobian`` holds
``state_jacobian_norms``.

Letters: L layers, D directions, B batch, T time, P units of h (proj_size or hidden_size).
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

import torch
from torch import nn

from .._recurrent.cells import kind_of
from .._recurrent.find import find_recurrent
from .._recurrent.inputs import model_args
from .._restore import TRAINING_NOTE, eval_mode
from ._jacobian import state_jacobian_norms
from ._unroll import unroll

__all__ = ["GradientFlow", "gradient_flow", "GradientRecorder", "state_jacobian_norms"]


@dataclass
class GradientFlow:
    """Gradient norms of one forward/backward pass.

    - ``hidden``: (L, D, B, T), L2 norm over units of the total dL/dh_t: the
      gradient autograd gives for the h_t tensor of an unrolled loop, i.e. the sum
      over every path from h_t to the loss (later steps of the same layer and
      direction, the layers above, the output, h_n). For an LSTM the cell state
      c_t is held fixed (h_t does not influence c_t; c_t's own path to the loss is
      not part of dL/dh_t). Position t follows torch's ``output`` layout: the
      backward direction's h_t is its state after reading positions t..end.
    - ``inputs``: (B, T), L2 norm of dL/dx_t at the recurrent module's input, as the
      module passes it back (the gradient reaching x_t *through* the recurrent module).
    - ``loss``: the scalar loss value (float).
    - ``module_name``: qualified name of the inspected recurrent submodule ("" for the model itself).
    - ``kind``: "RNN", "LSTM" or "GRU".
    - ``finite``: False when the loss or any norm is inf or NaN (exploding gradients), never raised.
    - ``lengths``: (B,) int64 sequence lengths; steps at or past a length are NaN in
      ``hidden`` and ``inputs`` (PackedSequence input), and are not counted by ``finite``.
    Tensors are detached, on the module's device (the norms on the CPU for a device without
    float64), batch in the caller's order; the norms are
    float64, computed from the gradients in the module's dtype (in float32 the squares of a
    vanished gradient underflow and a norm of 1e-24 came out as 0).
    """

    hidden: torch.Tensor
    inputs: torch.Tensor
    loss: float
    module_name: str = ""
    kind: str = ""
    finite: bool = True
    lengths: torch.Tensor | None = None
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _unrolled_forward(rnn: nn.Module, records: list):
    """Temporarily make ``rnn(...)`` run the unrolled loop; restores the module afterwards."""
    had_own = "forward" in vars(rnn)
    saved = vars(rnn).get("forward")

    def forward(input, hx=None):
        output, record = unroll(rnn, input, hx)
        records.append(record)
        return output

    rnn.forward = forward
    try:
        yield
    finally:
        if had_own:
            rnn.forward = saved
        else:
            del rnn.forward


@functools.lru_cache(maxsize=None)
def _has_float64(device: torch.device) -> bool:
    """Whether ``device`` computes in float64 (Apple's MPS does not)."""
    try:
        torch.zeros(1, dtype=torch.float64, device=device)
    except (TypeError, RuntimeError):
        return False
    return True


def _norm(g: torch.Tensor) -> torch.Tensor:
    """The L2 norm over the last dim, in float64: in float32 the squares of a vanished gradient
    (elements below about 1e-19) underflow, and the norm of a non-zero vector came out exactly 0.
    On a device without float64 the gradients go to the CPU for it (the norms stay there)."""
    if not _has_float64(g.device):
        g = g.cpu()
    return torch.linalg.vector_norm(g, dim=-1, dtype=torch.float64)


def _norms(grads, nodes, valid) -> torch.Tensor:
    """Per-step L2 norms (B, T), float64, of gradients for T nodes (B, P); None (unused) counts as 0."""
    g = [torch.zeros_like(n) if gr is None else gr for gr, n in zip(grads, nodes)]
    out = _norm(torch.stack(g, 1))                                      # (B, T)
    return out.masked_fill(~valid.to(out.device), float("nan"))


def gradient_flow(model: nn.Module, inputs, loss_fn, module=None) -> GradientFlow:
    """Gradient norms of ``loss_fn(model(*inputs))`` at every hidden state and input step.

    - ``model``: an ``nn.RNN``/``nn.LSTM``/``nn.GRU`` or any ``nn.Module`` containing one.
    - ``inputs``: a tensor (or PackedSequence), or a tuple of positional arguments for ``model``.
    - ``loss_fn``: called on the model's output; must return a scalar tensor.
    - ``module``: which recurrent submodule (qualified name or the module), default the only one.
    The module must be called exactly once per forward pass. The pass runs in eval mode
    (no dropout, BatchNorm on its running statistics; ``notes`` say so when that changes
    what a module computes). The model is left as it was: parameters, ``.grad``, modes,
    ``requires_grad``, buffers and the random stream.
    Returns a GradientFlow with ``hidden`` (L, D, B, T) and ``inputs`` (B, T), float64 whatever
    the model's dtype: a vanished float32 gradient of 1e-30 has a norm float32 could not compute.
    They lie on the model's device, or on the CPU for a device without float64 (Apple's MPS).
    """
    name, rnn = find_recurrent(model, module)
    if not callable(loss_fn):
        raise TypeError(f"expected a callable loss_fn(output) -> scalar tensor, got {type(loss_fn).__name__}")
    if torch.is_inference_mode_enabled():
        raise ValueError("gradient_flow needs autograd, but it was called inside torch.inference_mode() "
                         "(which, unlike torch.no_grad(), cannot be switched back on); call it outside that block")
    args = model_args(inputs)
    records: list = []
    label = repr(name) if name else "the model itself"
    # buffers are restored only after the backward pass: BatchNorm saves them for it
    with torch.enable_grad(), eval_mode(model) as was_training:
        with _unrolled_forward(rnn, records):
            output = model(*args)
        if len(records) != 1:
            raise ValueError(f"expected the recurrent module {label} to be called once in model(inputs), "
                             f"it was called {len(records)} times")
        loss = loss_fn(output)
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"expected loss_fn to return a scalar tensor, got {type(loss).__name__}")
        if loss.numel() != 1:
            raise ValueError(f"expected loss_fn to return a scalar (one element), got a tensor of shape "
                             f"{tuple(loss.shape)}; reduce it, e.g. with .mean()")
        if not loss.requires_grad:
            raise ValueError("expected a loss computed from the model's output, but it has no gradient "
                             "(was it detached, or computed under torch.no_grad()?)")
        rec = records[0]
        nodes = [h for per_dir in rec.hidden for hs in per_dir for h in hs]
        grads = torch.autograd.grad(loss.reshape(()), nodes + [rec.x], allow_unused=True)
    L, D, T = len(rec.hidden), len(rec.hidden[0]), rec.x.shape[1]
    with torch.no_grad():
        per = [_norms(grads[i * T:(i + 1) * T], nodes[i * T:(i + 1) * T], rec.valid) for i in range(L * D)]
        hidden = torch.stack(per).reshape(L, D, *rec.valid.shape)      # (L, D, B, T)
        gx = grads[-1] if grads[-1] is not None else torch.zeros_like(rec.x)
        x_norm = _norm(gx)                                             # (B, T)
        x_norm = x_norm.masked_fill(~rec.valid.to(x_norm.device), float("nan"))
        lengths = rec.valid.to(hidden.device).sum(1)                   # (B,)
        valid = torch.arange(T, device=lengths.device) < lengths[:, None]  # (B, T)
        finite = bool(torch.isfinite(loss.detach()).all() and torch.isfinite(hidden[:, :, valid]).all()
                      and torch.isfinite(x_norm[valid]).all())
    notes = [TRAINING_NOTE] if was_training else []
    return GradientFlow(hidden=hidden, inputs=x_norm, loss=float(loss.detach()), module_name=name,
                        kind=kind_of(rnn), finite=finite, lengths=lengths.cpu(), notes=notes)


class GradientRecorder:
    """A training callback that records ``gradient_flow`` every ``every`` optimisation steps.

    ``rnnviz.fit`` calls ``on_batch_end(state)`` after each optimiser step (``state``
    has ``.model``, ``.step`` (1-based), ``.epoch``, ``.loss``) and
    ``on_epoch_end(state)`` after each epoch. ``records`` is a list of
    (step, GradientFlow) on the fixed ``inputs`` and ``loss_fn``; ``epoch_ends`` the
    steps at which epochs ended. Recording does not change training: no ``.grad``
    is touched and the random stream is restored.
    """

    def __init__(self, inputs, loss_fn, every: int = 1, module=None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"expected every to be a positive int (record every k steps), got {every!r}")
        if not callable(loss_fn):
            raise TypeError(f"expected a callable loss_fn(output) -> scalar tensor, got {type(loss_fn).__name__}")
        self.inputs, self.loss_fn, self.every, self.module = inputs, loss_fn, every, module
        self.records: list[tuple[int, GradientFlow]] = []
        self.epoch_ends: list[int] = []

    def record(self, model: nn.Module, step: int) -> GradientFlow:
        """Record the model now (e.g. step 0, before training) and return the GradientFlow."""
        flow = gradient_flow(model, self.inputs, self.loss_fn, self.module)
        self.records.append((int(step), flow))
        return flow

    def on_batch_end(self, state) -> None:
        """Record when ``state.step`` is a multiple of ``every``."""
        if state.step % self.every == 0:
            self.record(state.model, state.step)

    def on_epoch_end(self, state) -> None:
        """Remember where the epoch ended (views mark it on the time line)."""
        self.epoch_ends.append(int(state.step))

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"GradientRecorder(every={self.every}, records={len(self.records)})"
