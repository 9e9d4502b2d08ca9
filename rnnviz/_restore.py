"""Leave the caller's world as found: a model's modes, buffers and random stream, process settings.

Every library call that runs a user's model goes through :func:`eval_mode`, and
every call that changes a process-wide torch setting through a context manager
here that puts it back, always in a ``finally``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

TRAINING_NOTE = "run in eval mode (no dropout, BatchNorm running statistics); the model is left in training mode"


def acts_differently_in_training(module: nn.Module) -> bool:
    """Whether ``module`` itself computes something else in training mode than in eval mode:
    dropout, batch or instance norm with running statistics, dropout inside a recurrent or attention
    layer, or a ``forward`` of its own that reads ``self.training`` (code it calls further down is
    not inspected)."""
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return module.p > 0
    if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)):
        return module.track_running_stats
    if isinstance(module, (nn.RNNBase, nn.MultiheadAttention)):
        return getattr(module, "dropout", 0) > 0
    forward = getattr(type(module), "forward", None)
    code = getattr(forward, "__code__", None)
    own = not type(module).__module__.startswith("torch.")
    return own and code is not None and "training" in code.co_names


def _cuda_devices(model: nn.Module) -> list[int]:
    tensors = [*model.parameters(), *model.buffers()]
    return sorted({t.device.index or 0 for t in tensors if t.device.type == "cuda"})


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[bool]:
    """Run ``model`` in eval mode; restore every module's mode, every buffer and the RNG on exit.

    Yields True when some module of ``model`` was in training mode and acts
    differently in eval mode (:func:`acts_differently_in_training`: dropout off,
    BatchNorm on running statistics), so that the picture may differ from a
    training-mode run; a model of plain layers in training mode yields False.
    On exit, also after an error: each submodule's ``training`` flag as it was,
    each buffer (e.g. BatchNorm running statistics) with its old value and
    object, and the CPU random stream (and that of every CUDA device the model
    uses) as it was.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(m, name, b, b.detach().clone()) for m in model.modules()
               for name, b in m._buffers.items() if b is not None]
    try:
        with torch.random.fork_rng(devices=_cuda_devices(model)):
            model.eval()
            yield any(training and acts_differently_in_training(m) for m, training in modes)
    finally:
        for m, training in modes:
            m.training = training
        with torch.no_grad():
            for m, name, b, saved in buffers:
                b.copy_(saved)
                m._buffers[name] = b


def flush_denormal_enabled() -> bool:
    """Whether torch flushes denormal floats to zero now (torch has no getter: a denormal
    float32 survives only while flushing is off)."""
    return bool(torch.tensor(1e-40, dtype=torch.float32) == 0)


@contextmanager
def flush_denormal(on: bool = True) -> Iterator[None]:
    """``torch.set_flush_denormal(on)`` inside the block, the previous setting restored after it."""
    before = flush_denormal_enabled()
    torch.set_flush_denormal(on)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)
