"""``record(model)``: traces of every recurrent submodule during an ordinary ``model(x)``.

A forward hook on each ``nn.RNN``/``nn.LSTM``/``nn.GRU`` traces the call it
sees (from the same inputs and hx, so the trace equals what the module
computed); one on each ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell`` keeps each
call as one step. ``nn.MultiheadAttention`` is asked for per-head weights by a
forward pre-hook and a forward hook hands back the value its caller asked
for. Letters: B batch, T time, D*P output features of a recurrent module.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn

from .._recurrent.cells import CELLS, RECURRENT, unreadable
from .._restore import TRAINING_NOTE, eval_mode
from ._cells import call_trace, continues, initial_states, join_cell_calls
from ._layout import Trace
from ._trace import trace

# positions of need_weights and average_attn_weights in MultiheadAttention.forward
_NEED, _AVERAGE = 4, 6


def _join_traces(calls: list, carried: list[bool] | None = None):
    """One Trace for a module called several times (see ``record``); ``carried[k]``: call k started
    from call k-1's final state (``h = rnn(chunk, h)``)."""
    last = calls[-1]
    if len(calls) == 1:
        return last
    batches = {t.batch_size for t in calls}
    full = all(bool((t.lengths == t.steps).all()) for t in calls)
    packed = any(not isinstance(t.output, torch.Tensor) for t in calls)
    forms = {(t.output.dim(), t.batch_first) for t in calls if isinstance(t.output, torch.Tensor)}
    why = ("batch sizes differ" if len(batches) != 1 else
           "some calls had padded (packed) steps" if not full or packed else
           "some calls were unbatched and some batched" if len(forms) > 1 else None)
    if why is not None:
        note = f"{len(calls)} calls not joined ({why}): this is the last call; every call is in .calls[name]"
        return dataclasses.replace(last, notes=[*last.notes, note])   # a copy: reading changes nothing
    cat = lambda ts: torch.cat(ts, dim=3)  # noqa: E731                 (L, D, B, sum T, .)
    out_dim = 0 if last.output.dim() == 2 or not last.batch_first else 1
    notes = [f"{len(calls)} calls joined along time (each call is in .calls[name]); "
             "h_n/c_n are the last call's; each call starts from the state it was given (zeros when none)"]
    carried = carried or [False] * len(calls)
    # each call's first step, unless it carried on from the call before: then h_{t-1} there is the last
    # column of that call, exactly (a backward direction restarts at every call all the same)
    begin = [k for k in range(len(calls)) if k == 0 or not carried[k] or last.num_directions == 2]
    starts = tuple(int(sum(t.steps for t in calls[:k])) for k in begin)
    return Trace(
        kind=last.kind, hidden=cat([t.hidden for t in calls]),
        cell=None if last.cell is None else cat([t.cell for t in calls]),
        gates={name: cat([t.gates[name] for t in calls]) for name in last.gates},
        output=torch.cat([t.output for t in calls], dim=out_dim),
        h_n=last.h_n, c_n=last.c_n, lengths=sum(t.lengths for t in calls),
        batch_first=last.batch_first, notes=notes + [n for n in last.notes if n not in notes],
        clamp=None, starts=starts,
        initial_hidden=initial_states([calls[k] for k in begin], "initial_hidden"),
        initial_cell=initial_states([calls[k] for k in begin], "initial_cell"),
    )


def _join_weights(calls: list[torch.Tensor]) -> torch.Tensor:
    """(B, heads, target, source) per call -> joined along target when the rest matches."""
    if len({(w.shape[0], w.shape[1], w.shape[3]) for w in calls}) == 1:
        return torch.cat(calls, dim=2)                                   # (B, heads, sum target, source)
    return calls[-1]


class Recording(Mapping):
    """What ``record`` saw: a mapping {qualified module name: Trace}.

    - ``recording[name]``: the module's Trace; several calls of one module are
      joined along time when every call has the same batch size and no padded
      (packed) steps, else it is the last call's Trace (its notes say which).
    - a cell (``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``) called once per
      step: one Trace (L = D = 1) over its calls in call order; calls that cannot
      be read as one sequence (a changing batch size) raise a ValueError that says so.
    - ``calls[name]``: the list of each call's own Trace, in call order.
    - ``refused``: {name: why} for recurrent modules rnnviz cannot read exactly
      (a subclass with its own ``forward``); they are not traced, and
      ``recording[name]`` raises a KeyError with the reason.
    - ``attention[name]``: (B, heads, target, source) attention weights of each
      ``nn.MultiheadAttention`` (and of any module that keeps ``last_weights``
      (B, target, source), stored with heads = 1); several calls are joined
      along target when batch, heads and source match, else the last call's.
      ``attention_calls[name]`` lists each call's weights.
    """

    def __init__(self) -> None:
        self.calls: dict[str, list] = {}
        self.carried: dict[str, list[bool]] = {}    # per call of a module: it started from the last one's state
        self.cells: dict[str, nn.Module] = {}
        self.refused: dict[str, str] = {}
        self.attention_calls: dict[str, list[torch.Tensor]] = {}

    def __getitem__(self, name: str):
        if name in self.refused:
            raise KeyError(f"{name!r} was not recorded: {self.refused[name]}")
        if name not in self.calls:
            raise KeyError(f"no recurrent module named {name!r} was called; recorded: {list(self.calls)}")
        if name in self.cells:
            return join_cell_calls(name, self.cells[name], self.calls[name])
        return _join_traces(self.calls[name], self.carried.get(name))

    def __contains__(self, name) -> bool:
        return name in self.calls

    def __iter__(self) -> Iterator[str]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    @property
    def attention(self) -> dict[str, torch.Tensor]:
        return {name: _join_weights(ws) for name, ws in self.attention_calls.items()}

    def __repr__(self) -> str:
        rnns = ", ".join(f"{n or '<model>'}: {self.calls[n][-1].kind} x{len(self.calls[n])}" for n in self.calls)
        att = ", ".join(f"{n}: x{len(w)}" for n, w in self.attention_calls.items())
        refused = f", refused {sorted(self.refused)}" if self.refused else ""
        return f"Recording(recurrent {{{rnns}}}, attention {{{att}}}{refused})"


def _rnn_hook(recording: Recording, name: str, notes: list[str]):
    last = []   # the previous call's final state, to see whether a call carries on from it

    def hook(module, args, kwargs, output):
        inputs = args[0] if args else kwargs.get("input")
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        tr = trace(module, inputs, hx)
        tr.notes += notes
        recording.calls.setdefault(name, []).append(tr)
        recording.carried.setdefault(name, []).append(bool(last) and continues(hx, last[0]))
        last[:] = [output[1]]
    return hook


def _cell_hook(recording: Recording, name: str, notes: list[str]):
    last = []   # the previous call's output, to see where a chain of steps breaks

    def hook(module, args, kwargs, output):
        x = args[0] if args else kwargs.get("input")
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        tr = call_trace(module, x, hx, output, previous=last[0] if last else None)
        tr.notes += notes
        recording.calls.setdefault(name, []).append(tr)
        recording.cells[name] = module
        last[:] = [output]
    return hook


def _store(recording: Recording, name: str, weights: torch.Tensor | None) -> None:
    if weights is None:
        return
    w = weights.detach()
    w = w.unsqueeze(0) if w.dim() == 3 else w                            # (B, heads, target, source)
    recording.attention_calls.setdefault(name, []).append(w)


def _mha_hooks(recording: Recording, name: str, module: nn.Module):
    asked: list[tuple[bool, bool]] = []

    def pre(mod, args, kwargs):
        args = list(args)
        need = args[_NEED] if len(args) > _NEED else kwargs.get("need_weights", True)
        average = args[_AVERAGE] if len(args) > _AVERAGE else kwargs.get("average_attn_weights", True)
        asked.append((bool(need), bool(average)))
        for pos, key in ((_NEED, "need_weights"), (_AVERAGE, "average_attn_weights")):
            value = key == "need_weights"   # force need_weights=True, average_attn_weights=False
            if len(args) > pos:
                args[pos] = value
            else:
                kwargs[key] = value
        return tuple(args), kwargs

    def post(mod, args, kwargs, output):
        need, average = asked.pop()
        attn, weights = output                                           # weights (B, heads, tgt, src)
        _store(recording, name, weights)
        if not need:
            return attn, None
        return (attn, weights.mean(dim=-3)) if average else (attn, weights)

    # the post hook goes first among the module's forward hooks: in a recording inside another one
    # (its hooks registered later), it must see the full weights before the outer one averages them
    # or drops them as the caller asked
    return [module.register_forward_pre_hook(pre, with_kwargs=True),
            module.register_forward_hook(post, with_kwargs=True, prepend=True)]


def _weights_hook(recording: Recording, name: str):
    def hook(module, args, output):
        weights = getattr(module, "last_weights", None)
        if isinstance(weights, torch.Tensor):
            _store(recording, name, weights.unsqueeze(-3) if weights.dim() == 3 else weights)
    return hook


@contextmanager
def record(model: nn.Module):
    """Trace every recurrent submodule of ``model`` while the block runs ``model(x)``.

    >>> with rnnviz.record(model) as rec:
    ...     y = model(x)
    >>> rec["encoder.rnn"].hidden.shape        # (L, D, B, T, P)
    >>> rec.attention["attn"].shape            # (B, heads, target, source)

    Names are ``model.named_modules()`` names ("" when ``model`` is itself an
    RNN). Each call of a recurrent module is traced from the inputs and hx it
    got, with ``trace``; each call of a cell is one step (see ``Recording``,
    which also says how repeated calls, e.g. a decoder run step by step, are
    kept). The model runs in eval mode inside the block (no dropout, BatchNorm
    on its running statistics; each Trace's notes say so when that changes what a
    module computes: dropout, batch statistics, or a ``forward`` of its own that
    reads ``self.training``). What ``model`` returns is untouched for recurrent modules;
    attention modules are run with need_weights=True, which may change their
    output in the last float bits (torch then takes its explicit rather than
    its fused path). The fused ``nn.TransformerEncoderLayer`` fast path is off
    inside the block. On exit, also when the block raises: every hook is
    removed, and the fast path setting, each module's mode, every buffer and
    the random stream are as they were before the block.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module to record, got {type(model).__name__}")
    recording = Recording()
    handles = []
    fastpath = torch.backends.mha.get_fastpath_enabled()
    try:
        with eval_mode(model) as was_training:
            notes = [TRAINING_NOTE] if was_training else []
            for name, module in model.named_modules():
                if isinstance(module, RECURRENT + CELLS):
                    why = unreadable(module)
                    if why is not None:
                        recording.refused[name] = why
                        continue
                    hook = _rnn_hook if isinstance(module, RECURRENT) else _cell_hook
                    handles.append(module.register_forward_hook(hook(recording, name, notes), with_kwargs=True))
                elif isinstance(module, nn.MultiheadAttention):
                    handles += _mha_hooks(recording, name, module)
                elif hasattr(module, "last_weights"):
                    handles.append(module.register_forward_hook(_weights_hook(recording, name)))
            torch.backends.mha.set_fastpath_enabled(False)
            yield recording
    finally:
        for handle in handles:
            handle.remove()
        torch.backends.mha.set_fastpath_enabled(fastpath)
