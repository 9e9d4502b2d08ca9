"""Where a view's numbers come from: a saved Trace, or a live module run through capture.

Views never run a model themselves except through ``rnnviz.trace`` /
``rnnviz.record`` (and ``rnnviz.gradient_flow`` for gradients), so every view
can be rebuilt from saved tensors.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable

import torch
from torch import nn

from .. import capture
from .._recurrent.cells import CELLS, RECURRENT
from .._recurrent.inputs import model_args
from ..capture import Trace
from ._figure import Tokens


def check_trace(tr: Trace) -> Trace:
    """A Trace whose tensors have the documented layout, or a ValueError saying what is off."""
    if tr.hidden.dim() != 5:
        raise ValueError(f"expected Trace.hidden as a (layers, directions, batch, time, units) tensor, "
                         f"got shape {tuple(tr.hidden.shape)}")
    L, D, B, T, _ = tr.hidden.shape  # (L, D, B, T, P)
    for name, g in tr.gates.items():
        if g.dim() != 5 or tuple(g.shape[:4]) != (L, D, B, T):
            raise ValueError(f"expected gate {name!r} as a ({L}, {D}, {B}, {T}, units) tensor, got {tuple(g.shape)}")
    if tr.cell is not None and tuple(tr.cell.shape[:4]) != (L, D, B, T):
        raise ValueError(f"expected Trace.cell as a ({L}, {D}, {B}, {T}, units) tensor, got {tuple(tr.cell.shape)}")
    return tr


def run_trace(model: nn.Module, inputs, clamp: dict | None = None, module: str | nn.Module | None = None) -> Trace:
    """Capture ``model(inputs)``: ``rnnviz.trace`` for a recurrent module or a bare cell (stepped
    over ``inputs`` (B, T, I) or (T, I), as ``rnnviz.trace`` does), ``rnnviz.record`` otherwise.

    ``module`` picks one recurrent submodule of a larger model, by qualified name
    or as the submodule itself (default: the only one that ``model(inputs)`` calls).
    ``clamp`` (gate name -> value) needs the recurrent module itself, since it is
    passed to ``rnnviz.trace``.
    """
    if inputs is None:
        raise ValueError(f"a live {type(model).__name__} needs inputs: pass inputs=<tensor in the module's layout>")
    if isinstance(model, RECURRENT + CELLS):
        if module is not None:
            raise ValueError(f"module={module!r} names a submodule, but the model is itself a {type(model).__name__}")
        with torch.no_grad():
            return capture.trace(model, inputs, clamp=clamp) if clamp else capture.trace(model, inputs)
    if clamp:
        raise ValueError("clamp= works on a recurrent module itself (nn.RNN/LSTM/GRU): pass that module and its "
                         "own input, or capture with rnnviz.trace(rnn, x, clamp=...) and give the view the Trace")
    if isinstance(module, nn.Module):                 # the submodule itself, as gradient_flow takes it
        names = [n for n, m in model.named_modules() if m is module]
        if not names:
            raise ValueError(f"expected module to be a submodule of {type(model).__name__} (or its name), "
                             f"got a {type(module).__name__} that it does not hold")
        module = names[0]
    with torch.no_grad(), capture.record(model) as traces:
        model(*model_args(inputs))                    # a tuple is the model's arguments, as in gradient_flow
    refused = "".join(f"; {name or type(model).__name__} cannot be read: {why}" for name, why in traces.refused.items())
    if module is not None:
        if module in traces.refused:
            raise ValueError(f"{module!r} cannot be read: {traces.refused[module]}")
        if module not in traces:
            raise ValueError(f"expected module to name a recurrent submodule that model(inputs) calls, "
                             f"one of {sorted(traces)}, got {module!r}{refused}")
        return traces[module]
    if len(traces) != 1:
        held = [n for n, m in model.named_modules() if isinstance(m, RECURRENT + CELLS)]
        if not traces:
            why = (refused[2:] if refused else
                   "it holds none (no nn.RNN/LSTM/GRU or cell)" if not held else
                   f"model(inputs) did not call its recurrent submodule(s) {held}")
            raise ValueError(f"found no recurrent module to show in {type(model).__name__}: {why}")
        raise ValueError(f"{type(model).__name__} calls {len(traces)} recurrent submodules {sorted(traces)}; "
                         f"choose one with module=<name>{refused}")
    return next(iter(traces.values()))


def resolve(source, inputs=None, clamp: dict | None = None, module: str | nn.Module | None = None) -> Trace:
    """A checked Trace from a Trace (``inputs`` must then be None) or a live model plus inputs."""
    if isinstance(source, Trace):
        if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(t, str) for t in inputs):
            raise ValueError("got a Trace and a list of strings as inputs: a Trace needs no inputs; "
                             "pass the words as tokens=[...]")
        if inputs is not None or clamp:
            raise ValueError("got a Trace together with inputs/clamp: a Trace is already computed; "
                             "pass the live module instead to recompute")
        return check_trace(source)
    if isinstance(source, nn.Module):
        return check_trace(run_trace(source, inputs, clamp=clamp, module=module))
    raise TypeError(f"expected a torch.nn.RNN/LSTM/GRU, a model holding one, or an rnnviz.Trace, "
                    f"got {type(source).__name__}")


def encoded(encode: Callable, text: str):
    """``encode(text)`` -> (inputs, tokens or None).

    ``encode`` may return the inputs alone, ``(inputs, tokens)`` (tokens: one
    string per step, or a :class:`~rnnviz.views.Tokens` list that also marks
    unknown words, padding and cut tokens), or ``(inputs, tokens, info)`` with
    ``info`` a dict of the Tokens attributes, e.g. ``{"dropped": 50}`` for a
    text whose first 50 tokens were cut, ``{"unknown": [3, 7], "padding": [9]}``.
    """
    out = encode(text)
    if isinstance(out, tuple) and len(out) == 3:
        inputs, tokens, info = out
        if not isinstance(info, dict):
            raise TypeError(f"expected encode's third result as a dict like {{'dropped': 50, 'unknown': [3]}}, "
                            f"got {type(info).__name__}")
        bad = set(info) - {"dropped", "dropped_at", "unknown", "padding"}
        if bad:
            raise ValueError(f"expected encode's info keys among dropped, dropped_at, unknown, padding; "
                             f"got {sorted(bad)}")
        return inputs, Tokens(tokens, **info)
    if isinstance(out, tuple) and len(out) == 2:
        return out[0], out[1] if isinstance(out[1], Tokens) else Tokens(out[1])
    return out, None


def pick_sample(sample: int, batch: int) -> int:
    """A checked batch index."""
    if isinstance(sample, bool) or not isinstance(sample, numbers.Integral):   # numpy ints too
        raise TypeError(f"expected sample as an int batch index, got {type(sample).__name__}")
    if not -batch <= sample < batch:
        raise ValueError(f"expected sample in 0..{batch - 1} (the batch holds {batch}), got {sample}")
    return int(sample) % batch


def sample_length(trace: Trace, sample: int) -> int:
    """Steps of batch element ``sample``: its own length when a packed batch made it shorter than
    the trace's T (the steps after it are NaN padding), else T."""
    B, T = trace.hidden.shape[2:4]
    n = int(trace.lengths[pick_sample(sample, B)]) if trace.lengths.numel() == B else T
    return n if 0 < n < T else T


def token_steps(trace: Trace, sample: int, tokens) -> int:
    """How many tokens a view of ``sample`` takes: its own length, or the padded T (then cut)."""
    T = trace.hidden.shape[3]
    if tokens is not None and hasattr(tokens, "__len__") and len(tokens) == T:
        return T
    return sample_length(trace, sample)


def cut_to_sample(trace: Trace, sample: int, tokens):
    """(trace, tokens, sample) for a view of one batch element: unchanged when the sample runs all
    T steps; else a batch of 1 cut to the sample's length, with tokens cut alike and a note."""
    B, T = trace.hidden.shape[2:4]
    b, n = pick_sample(sample, B), sample_length(trace, sample)
    if n == T:
        return trace, tokens, sample
    cut = lambda t: None if t is None else t[:, :, b:b + 1, :n]  # noqa: E731   (L, D, 1, n, .)
    if tokens is not None and len(tokens) == T:
        old = tokens if isinstance(tokens, Tokens) else Tokens(tokens)
        tokens = Tokens(list(old)[:n], dropped=old.dropped, dropped_at=old.dropped_at,
                        unknown=[t for t in old.unknown if t < n], padding=[t for t in old.padding if t < n])
    note = f"sample {b}: its {n} steps (a packed batch padded to {T})"
    one = lambda t: None if t is None else t[:, :, :, b:b + 1]  # noqa: E731   (S, L, D, 1, .)
    return dataclasses.replace(trace, hidden=cut(trace.hidden), cell=cut(trace.cell),
                               gates={k: cut(g) for k, g in trace.gates.items()},
                               initial_hidden=one(trace.initial_hidden), initial_cell=one(trace.initial_cell),
                               lengths=trace.lengths.new_tensor([n]), notes=[*trace.notes, note]), tokens, 0
