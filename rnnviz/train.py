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
import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from ._batching import BucketBatches, batches, count, to_device
from ._metrics import accuracy, token_cross_entropy
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


def _device(model: nn.Module) -> torch.device:
    """Where the model lives: its first parameter's (or buffer's) device, the CPU when it has none."""
    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


@torch.no_grad()
def _evaluate(model, data, loss_fn, metric, batch_size):
    """(mean loss or None, mean metric or None) over the data, in eval mode: each batch's mean
    weighted by the targets it scores (:func:`count`: tokens, padding left out, or examples)."""
    device = _device(model)
    tot_loss = tot_metric = 0.0
    n = 0
    with eval_mode(model):
        for inputs, target in batches(data, batch_size, None):
            inputs, target = tuple(to_device(x, device) for x in inputs), to_device(target, device)
            out = model(*inputs)
            k = count(target)
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


def _known_empty(data) -> bool:
    """Whether ``data`` holds no example, where that shows before reading it: a tuple
    ``(*inputs, target)`` of tensors with 0 rows, or an empty tuple, list or other sized collection
    of batches (an iterator is only found empty once read)."""
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        return any(t.dim() > 0 and t.size(0) == 0 for t in data)
    try:
        return len(data) == 0
    except TypeError:                    # no len (a generator, an iterable dataset's loader)
        return False


def _what(x) -> str:
    """A short description of a value for an error message."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}" + ("" if x.requires_grad else " with no gradient")
    return f"{type(x).__name__} {x!r}"[:80]


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
        metric: ``metric(output, target)`` -> float, e.g. :func:`accuracy`. Reported epoch means weight
            each batch by the targets it scores (token ids equal to -100, padding, are left out), so
            they equal the mean over all the data whatever the batch size.
        seed: shuffling (a :class:`BucketBatches` is reseeded with it), dropout and every other
            random draw inside fit; the same seed, model initialisation and data give identical
            losses. The global RNG is left as it was.
        clip: max total gradient norm, a positive number (pre-clip norms go to ``history.grad_norm``;
            ``float("inf")`` records them without clipping).
        early_stopping: patience in epochs without improvement of the validation metric
            (higher is better) or, without a metric, the validation loss; the best weights are
            restored at the end. Needs val_data.
        scheduler: ``scheduler(optimizer, total_steps)`` -> an LR scheduler, stepped after every step.
        callbacks: a list of objects with ``on_batch_end(state)`` / ``on_epoch_end(state)`` (see module doc).
        progress: show a ``tqdm`` progress bar (closed at the end, also on an error).
        nonfinite: what an inf or NaN loss does: ``"stop"`` ends training at that step, before
            its update, with a RuntimeWarning naming the step (``history.nonfinite_step``; the
            epoch's ``train_loss`` is then inf or NaN too); ``"raise"`` raises a
            FloatingPointError naming the step instead.

    The model comes back in the mode it came in (``train()``/``eval()`` of every submodule),
    with the trained weights. Leaves the process as found: the global RNG and torch's flush-denormal setting (on
    while training, since underflowing gate products slow the CPU down) are restored.
    """
    for what, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected {what} as a whole number (an int), got {value!r}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"need epochs >= 1 and batch_size >= 1, got epochs={epochs}, batch_size={batch_size}")
    if early_stopping is not None and (isinstance(early_stopping, bool) or not isinstance(early_stopping, int)
                                       or early_stopping < 1):
        raise ValueError(f"expected early_stopping as a patience of 1 or more epochs, or None; got {early_stopping!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"expected seed as a whole number (an int), got {seed!r}")
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
    if val_data is not None and _known_empty(val_data):     # found out after an epoch, the model had changed
        raise ValueError("expected val_data with at least one example, got none (tensors of 0 rows or no "
                         "batches); pass val_data=None to train without validation")
    if clip is not None:
        # clip_grad_norm_ takes any number: 0 would freeze training, a negative one reverse every step;
        # inf clips nothing and still records every step's norm in history.grad_norm
        value = float(clip) if isinstance(clip, numbers.Real) or (
            isinstance(clip, torch.Tensor) and clip.numel() == 1 and clip.is_floating_point()) else None
        if isinstance(clip, bool) or value is None or not value > 0:
            raise ValueError(f"expected clip as a positive number (the largest gradient norm; inf records the "
                             f"norms without clipping), or None; got {clip!r}")
        clip = value
    callbacks = _check_callbacks(callbacks)
    device = _device(model)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    state = TrainState(model, optimizer, history)
    gen = torch.Generator().manual_seed(seed)
    if isinstance(train_data, BucketBatches):
        train_data.reseed(seed)
    tuple_data = isinstance(train_data, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in train_data)
    steps_per_epoch = (-(-train_data[0].shape[0] // batch_size) if tuple_data
                       else len(train_data) if hasattr(train_data, "__len__") else None)
    total = steps_per_epoch * epochs if steps_per_epoch is not None else None
    sched = scheduler(optimizer, total) if scheduler is not None else None
    forked = [device] if device.type == "cuda" else []
    bar = tqdm(total=total, disable=not progress, desc="fit", unit="step", leave=False)
    modes = {m: m.training for m in model.modules()}
    # flushing denormals: underflowing gate products otherwise slow the CPU down a lot
    try:
        with flush_denormal(True), torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            best_state = _epochs(state, train_data, gen if tuple_data else None, batch_size, epochs, loss_fn,
                                 metric, clip, sched, val_data, early_stopping, callbacks, bar, nonfinite)
    finally:
        bar.close()
        for m, training in modes.items():      # training switched dropout on: back to the mode it came in
            m.train(training)
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
        for inputs, target in batches(train_data, batch_size, gen):
            inputs, target = tuple(to_device(x, device) for x in inputs), to_device(target, device)
            out = model(*inputs)
            loss = loss_fn(out, target)
            if not (isinstance(loss, torch.Tensor) and loss.numel() == 1 and loss.requires_grad):
                if not torch.is_grad_enabled():
                    raise RuntimeError("fit was called with gradients switched off (inside torch.no_grad() "
                                       "or torch.inference_mode()): call it outside that block")
                raise TypeError("expected loss_fn(output, target) to return a scalar tensor that depends on "
                                f"the model's parameters, got {_what(loss)}")
            value = float(loss.detach())
            k = count(target)
            if not math.isfinite(value):
                history.step_loss.append(value)
                tot_loss, n = tot_loss + value * k, n + k
                _nonfinite(state, value, nonfinite, history.best_epoch if best_state is not None else None)
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


def _check_callbacks(callbacks) -> tuple:
    """``callbacks`` as a tuple, checked before any step changes the model."""
    if hasattr(callbacks, "on_batch_end") or hasattr(callbacks, "on_epoch_end"):
        raise TypeError(f"expected callbacks as a list, e.g. callbacks=[{type(callbacks).__name__}(...)], "
                        f"got one {type(callbacks).__name__}")
    if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"expected callbacks as a list of objects with on_batch_end(state) and/or "
                        f"on_epoch_end(state), got {type(callbacks).__name__}")
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not (hasattr(cb, "on_batch_end") or hasattr(cb, "on_epoch_end")):
            raise TypeError(f"expected each callback to have on_batch_end(state) and/or on_epoch_end(state), "
                            f"got {type(cb).__name__}")
    return callbacks


def _nonfinite(state: TrainState, value: float, nonfinite: str, best_epoch: int | None = None) -> None:
    """Stop (or raise) at a step whose loss is inf or NaN, before it touches the weights.
    best_epoch: the epoch whose weights early stopping will restore, if any."""
    step = state.step + 1
    state.history.nonfinite_step = step
    kept = (f"early stopping restores the weights of epoch {best_epoch}, the best so far" if best_epoch is not None
            else f"the weights are those after step {step - 1}")
    message = (f"the loss is {value} at step {step} (epoch {state.epoch}): training stopped before that "
               f"step's update, {kept}; exploding gradients? try clip=1.0 or a smaller lr")
    if nonfinite == "raise":
        raise FloatingPointError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)
