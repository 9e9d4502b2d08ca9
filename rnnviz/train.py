"""One small, honest training loop for every notebook: ``fit``, ``evaluate`` and ``accuracy``.

Data is either a tuple of tensors ``(*inputs, target)`` sharing their first
dimension N (fit batches and shuffles it itself) or any re-iterable of such
tuples, e.g. a ``DataLoader``. A batch calls ``model(*inputs)``, so lengths
simply travel as one more input: ``(ids, lengths, labels)`` -> ``model(ids, lengths)``.

Callback protocol: any object with ``on_batch_end(state)`` (after every
optimiser step) and/or ``on_epoch_end(state)`` (after every epoch, once the
validation figures are in the history). ``state`` is a :class:`TrainState`;
setting ``state.stop = True`` ends training after that batch or epoch.
"""
from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from ._restore import eval_mode, flush_denormal

__all__ = ["fit", "evaluate", "accuracy", "token_cross_entropy", "BucketBatches", "History", "TrainState"]


@dataclass
class History:
    """What happened, one entry per epoch (``train_*``, ``val_*``, ``seconds``) or per step.

    ``seconds`` is the wall time of each epoch's training (not its validation, which is in
    ``eval_seconds``); ``step_loss`` the loss of every batch; ``grad_norm`` the total gradient
    norm of every step *before* clipping (only when ``clip`` is set). ``val_*`` and metrics
    are None where not computed. ``best_epoch`` (1-based) is the one early stopping kept.
    ``nonfinite_step`` is the (1-based) step whose loss was inf or NaN, where training stopped.
    """

    train_loss: list[float] = field(default_factory=list)
    train_metric: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_metric: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    nonfinite_step: int | None = None

    @property
    def train_seconds(self) -> float:
        """Total wall time spent training (validation excluded)."""
        return sum(self.seconds)


@dataclass
class TrainState:
    """What a callback sees. ``step`` is global and 1-based; ``epoch`` is 1-based."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    epoch: int = 0
    step: int = 0
    loss: float = float("nan")
    batch: tuple = ()
    stop: bool = False


class BucketBatches:
    """Batches of similar lengths, for variable-length data: little padding, and batches that
    are all full length skip packing altogether.

    ``BucketBatches((*inputs, target), lengths, batch_size, seed=0)`` is a re-iterable for
    ``fit``: every pass shuffles, sorts by length within pools of 50 batches, and shuffles the
    batch order, from its own generator (the same seed gives the same batches, epoch by epoch).
    """

    def __init__(self, tensors: Sequence[torch.Tensor], lengths: torch.Tensor, batch_size: int, seed: int = 0):
        self.tensors, self.lengths, self.batch_size = tuple(tensors), torch.as_tensor(lengths), batch_size
        if any(t.shape[0] != self.lengths.shape[0] for t in self.tensors):
            raise ValueError(f"expected tensors with {self.lengths.shape[0]} examples (as lengths), got "
                             f"{[t.shape[0] for t in self.tensors]}")
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-self.lengths.shape[0] // self.batch_size)

    def __iter__(self):
        order = torch.randperm(self.lengths.shape[0], generator=self.generator)        # (N,)
        pool = 50 * self.batch_size
        chunks = []
        for start in range(0, order.shape[0], pool):
            part = order[start:start + pool]
            part = part[torch.argsort(self.lengths[part], stable=True)]              # by length
            chunks += list(part.split(self.batch_size))
        for i in torch.randperm(len(chunks), generator=self.generator).tolist():
            yield tuple(t[chunks[i]] for t in self.tensors)


def _batches(data, batch_size: int, generator: torch.Generator | None):
    """Yield (inputs tuple, target) batches from a tuple of tensors or an iterable of tuples."""
    if isinstance(data, (tuple, list)) and not data:
        raise ValueError(f"expected data as a tuple (*inputs, target) of tensors or an iterable of such "
                         f"batches, got an empty {type(data).__name__}")
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        if len(data) < 2:
            raise ValueError(f"expected a tuple (*inputs, target) of at least 2 tensors, got {len(data)}")
        n = data[0].shape[0]
        if any(t.shape[0] != n for t in data):
            raise ValueError(f"all tensors must share their first (example) dimension, got sizes "
                             f"{[t.shape[0] for t in data]}")
        order = torch.randperm(n, generator=generator) if generator is not None else None
        for start in range(0, n, batch_size):
            if order is None:
                batch = tuple(t[start:start + batch_size] for t in data)
            else:
                idx = order[start:start + batch_size]
                batch = tuple(t[idx] for t in data)
            yield batch[:-1], batch[-1]
        return
    if iter(data) is data:
        raise TypeError("expected a tuple of tensors or a re-iterable (e.g. a DataLoader), got a "
                        f"one-shot iterator {type(data).__name__}: it would be empty after the first epoch")
    for batch in data:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(f"each batch must be a tuple (*inputs, target), got {type(batch).__name__}")
        yield tuple(batch[:-1]), batch[-1]


def _to(x, device):
    return x.to(device, non_blocking=True) if isinstance(x, torch.Tensor) else x


def _count(target) -> int:
    return target.shape[0] if isinstance(target, torch.Tensor) and target.dim() else 1


def _device(model: nn.Module) -> torch.device:
    """Where the model lives: its first parameter's (or buffer's) device, the CPU when it has none."""
    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


@torch.no_grad()
def _evaluate(model, data, loss_fn, metric, batch_size):
    """(mean loss or None, mean metric or None), weighted by batch size, in eval mode."""
    device = _device(model)
    tot_loss = tot_metric = 0.0
    n = 0
    with eval_mode(model):
        for inputs, target in _batches(data, batch_size, None):
            inputs, target = tuple(_to(x, device) for x in inputs), _to(target, device)
            out = model(*inputs)
            k = _count(target)
            if loss_fn is not None:
                tot_loss += float(loss_fn(out, target)) * k
            if metric is not None:
                tot_metric += float(metric(out, target)) * k
            n += k
    if n == 0:
        raise ValueError("no examples in the evaluation data")
    return (tot_loss / n if loss_fn is not None else None), (tot_metric / n if metric is not None else None)


def evaluate(model: nn.Module, data, metric: Callable | None = None, *, batch_size: int = 512) -> float:
    """Mean ``metric(output, target)`` (default :func:`accuracy`) over ``data``, in eval mode, no grad."""
    return _evaluate(model, data, None, metric or accuracy, batch_size)[1]


def fit(model: nn.Module, train_data, *, epochs: int, loss_fn: Callable, optimizer: torch.optim.Optimizer | None = None,
        lr: float = 1e-3, batch_size: int = 32, val_data=None, metric: Callable | None = None, seed: int = 0,
        clip: float | None = None, early_stopping: int | None = None, scheduler: Callable | None = None,
        callbacks: Sequence = (), progress: bool = True, nonfinite: str = "stop") -> History:
    """Train ``model`` and return its :class:`History`.

    Args:
        train_data, val_data: a tuple ``(*inputs, target)`` of tensors or an iterable of such batches.
        epochs: passes over train_data; loss_fn: ``loss_fn(model(*inputs), target)`` -> scalar.
        optimizer: default ``Adam(model.parameters(), lr)`` (lr is only used for that default).
        batch_size: for tuple data (a DataLoader batches itself).
        metric: ``metric(output, target)`` -> float, e.g. :func:`accuracy`; averaged by batch size.
        seed: shuffling, dropout and every other random draw inside fit; the same seed, model
            initialisation and data give identical losses. The global RNG is left as it was.
        clip: max total gradient norm (pre-clip norms go to ``history.grad_norm``).
        early_stopping: patience in epochs without improvement of the validation metric
            (higher is better) or, without a metric, the validation loss; the best weights are
            restored at the end. Needs val_data.
        scheduler: ``scheduler(optimizer, total_steps)`` -> an LR scheduler, stepped after every step.
        callbacks: objects with ``on_batch_end(state)`` / ``on_epoch_end(state)`` (see module doc).
        progress: show a ``tqdm`` progress bar (closed at the end, also on an error).
        nonfinite: what an inf or NaN loss does: ``"stop"`` ends training at that step, before
            its update, with a RuntimeWarning naming the step (``history.nonfinite_step``; the
            epoch's ``train_loss`` is then inf or NaN too); ``"raise"`` raises a
            FloatingPointError naming the step instead.

    Leaves the process as found: the global RNG and torch's flush-denormal setting (on
    while training, since underflowing gate products slow the CPU down) are restored.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"need epochs >= 1 and batch_size >= 1, got epochs={epochs}, batch_size={batch_size}")
    if early_stopping is not None and val_data is None:
        raise ValueError("early_stopping needs val_data to watch; got val_data=None")
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module to train, got {type(model).__name__}")
    if not any(True for _ in model.parameters()):
        raise ValueError(f"expected a model with parameters to train, but {type(model).__name__} has none")
    if nonfinite not in ("stop", "raise"):
        raise ValueError(f"expected nonfinite='stop' or 'raise', got {nonfinite!r}")
    if isinstance(train_data, (tuple, list)) and not train_data:
        raise ValueError("expected train_data as a tuple (*inputs, target) of tensors or an iterable of "
                         "such batches, got an empty one")
    device = _device(model)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    state = TrainState(model, optimizer, history)
    gen = torch.Generator().manual_seed(seed)
    tuple_data = isinstance(train_data, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in train_data)
    steps_per_epoch = (-(-train_data[0].shape[0] // batch_size) if tuple_data
                       else len(train_data) if hasattr(train_data, "__len__") else None)
    total = steps_per_epoch * epochs if steps_per_epoch is not None else None
    sched = scheduler(optimizer, total) if scheduler is not None else None
    forked = [device] if device.type == "cuda" else []
    bar = tqdm(total=total, disable=not progress, desc="fit", unit="step", leave=False)
    # flushing denormals: underflowing gate products otherwise slow the CPU down a lot
    try:
        with flush_denormal(True), torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            best_state = _epochs(state, train_data, gen if tuple_data else None, batch_size, epochs, loss_fn,
                                 metric, clip, sched, val_data, early_stopping, callbacks, bar, nonfinite)
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _epochs(state: TrainState, train_data, gen, batch_size, epochs, loss_fn, metric, clip, sched, val_data,
            early_stopping, callbacks, bar, nonfinite):
    """The training loop of :func:`fit`; returns the state dict early stopping kept (or None)."""
    model, optimizer, history = state.model, state.optimizer, state.history
    device = _device(model)
    best, best_state, waited = None, None, 0
    for epoch in range(1, epochs + 1):
        state.epoch = epoch
        model.train()
        t0 = time.perf_counter()
        tot_loss = tot_metric = 0.0
        n = 0
        for inputs, target in _batches(train_data, batch_size, gen):
            inputs, target = tuple(_to(x, device) for x in inputs), _to(target, device)
            out = model(*inputs)
            loss = loss_fn(out, target)
            value = float(loss.detach())
            k = _count(target)
            if not math.isfinite(value):
                history.step_loss.append(value)
                tot_loss, n = tot_loss + value * k, n + k
                _nonfinite(state, value, nonfinite)
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                history.grad_norm.append(float(nn.utils.clip_grad_norm_(model.parameters(), clip)))
            optimizer.step()
            if sched is not None:
                sched.step()
            state.step += 1
            state.loss = value
            state.batch = (inputs, target)
            history.step_loss.append(state.loss)
            tot_loss += state.loss * k
            if metric is not None:
                with torch.no_grad():
                    tot_metric += float(metric(out, target)) * k
            n += k
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{state.loss:.4f}", refresh=False)
            for cb in callbacks:
                if hasattr(cb, "on_batch_end"):
                    cb.on_batch_end(state)
            if state.stop:
                break
        history.seconds.append(time.perf_counter() - t0)
        if n == 0:
            raise ValueError("no examples in the training data")
        history.train_loss.append(tot_loss / n)
        history.train_metric.append(tot_metric / n if metric is not None else None)
        if history.nonfinite_step is not None:
            break
        t1 = time.perf_counter()
        vl, vm = _evaluate(model, val_data, loss_fn, metric, max(batch_size, 256)) if val_data is not None else (None, None)
        history.eval_seconds.append(time.perf_counter() - t1)
        history.val_loss.append(vl)
        history.val_metric.append(vm)
        if early_stopping is not None:
            score = vm if metric is not None else -vl
            if best is None or score > best:
                best, waited, history.best_epoch = score, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if waited >= early_stopping:
                    history.stopped_early = state.stop = True
        for cb in callbacks:
            if hasattr(cb, "on_epoch_end"):
                cb.on_epoch_end(state)
        if state.stop:
            break
    return best_state


def _nonfinite(state: TrainState, value: float, nonfinite: str) -> None:
    """Stop (or raise) at a step whose loss is inf or NaN, before it touches the weights."""
    step = state.step + 1
    state.history.nonfinite_step = step
    message = (f"the loss is {value} at step {step} (epoch {state.epoch}): training stopped before that "
               f"step's update, the weights are those after step {step - 1}; exploding gradients? try "
               f"clip=1.0 or a smaller lr")
    if nonfinite == "raise":
        raise FloatingPointError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def accuracy(output: torch.Tensor, target: torch.Tensor, ignore_index: int = -100) -> float:
    """Fraction of correct predictions.

    - logits (B, C) and class ids (B,): argmax; logits (B, T, C) and ids (B, T): per token,
      skipping targets equal to ``ignore_index``;
    - one logit per example (B,) or (B, 1) and 0/1 targets (B,): positive logit means class 1.
    """
    if output.dim() == target.dim() + 1 and output.shape[:-1] == target.shape and output.shape[-1] > 1:
        pred = output.argmax(-1)                                    # (B,) or (B, T)
    elif output.reshape(output.shape[0], -1).shape[1] == 1 and target.dim() == 1 and output.shape[0] == target.shape[0]:
        pred = (output.reshape(-1) > 0).long()                     # (B,)
        target = (target > 0.5).long()
    else:
        raise ValueError(f"expected logits (B, C) with targets (B,), (B, T, C) with (B, T), or (B,)/(B, 1) "
                         f"with (B,); got {tuple(output.shape)} and {tuple(target.shape)}")
    keep = target != ignore_index
    if not bool(keep.any()):
        raise ValueError(f"every target equals ignore_index={ignore_index}: nothing to score")
    return float((pred[keep] == target[keep]).float().mean())


def token_cross_entropy(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Cross-entropy of per-step logits (B, T, V) against ids (B, T), skipping ``ignore_index``."""
    if logits.dim() != 3 or logits.shape[:2] != target.shape:
        raise ValueError(f"expected logits (B, T, V) and targets (B, T), got {tuple(logits.shape)} "
                         f"and {tuple(target.shape)}")
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                       ignore_index=ignore_index)
