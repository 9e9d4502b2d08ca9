"""The network unrolled in time: h_t filling in step by step, one heatmap row per layer and direction.

From top to bottom: an overview strip of the whole sequence (long inputs only),
one heatmap per layer and direction (units x time), the token strip (each
input token written under its column) and, with ``readout=``, the model's
answer after every step. A long input shows a window of ``window`` steps that
follows the time cursor; the overview's rectangle marks where that window is.
"""
from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ._figure import (DIVERGING, FIT_HEIGHT, OVERVIEW_COLS, PLAY_FPS, Step, Timeline, Tokens, as_numpy,
                      check_tokens, fmt, notes_line, shown, step_labels, symmetric_range, time_window, token_strip,
                      token_text, window_for)
from ._sources import cut_to_sample, pick_sample, token_steps
from ._whatif import show

_MASK = "rgb(200,200,200)"    # grey over steps not read yet (opaque: a state that does not exist yet shows no colour; white is h = 0)
_PAD = "rgba(90,90,90,0.35)"
MAX_UNITS = 32       # heatmap rows one panel shows by default (about 8 px a row); more are chosen by units=


def _row_names(L: int, D: int) -> list[tuple[int, int, str]]:
    return [(l, d, f"layer {l}" + (" ←" if d else " →" if D == 2 else "")) for l in range(L) for d in range(D)]


def _spans(steps: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive steps as (first, last) pairs."""
    out: list[list[int]] = []
    for t in sorted(steps):
        if out and out[-1][1] == t - 1:
            out[-1][1] = t
        else:
            out.append([t, t])
    return [(a, b) for a, b in out]


def _check_count(v, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"expected {what} as a positive int, got {v!r}")
    return int(v)


def unit_list(units, P: int) -> list[int]:
    """``units`` given as a list/range of unit indices, checked: each in 0..P-1, each once, at least one."""
    if isinstance(units, (str, bytes)) or not hasattr(units, "__iter__"):
        raise TypeError(f"expected units as 'active', ('token', word) or a list/range of unit indices, "
                        f"got {type(units).__name__}")
    chosen = list(units)
    if any(isinstance(u, bool) or not isinstance(u, (int, np.integer)) or not 0 <= u < P for u in chosen):
        raise ValueError(f"expected units as 'active', ('token', word) or a list of unit indices in "
                         f"0..{P - 1}, got {chosen!r}")
    if not chosen:
        raise ValueError("expected a non-empty list of unit indices in units=")
    chosen = [int(u) for u in chosen]
    if len(set(chosen)) < len(chosen):
        twice = sorted({u for u in chosen if chosen.count(u) > 1})
        raise ValueError(f"expected each unit once in units=, got {twice} more than once")
    return chosen


def pick_units(h: np.ndarray, units, max_units: int, tokens: list[str] | None) -> tuple[list[int], str]:
    """Which units (rows) one panel shows, in display order (top first), and a phrase saying so.

    h: (T, P) one panel's h_t. units: None (all units when they fit in
    ``max_units``, else "active"), a list/range of unit indices (shown in that
    order), "active" (the ``max_units`` units with the largest mean |h_t| over
    the sequence, most active on top), or ("token", word): the ``max_units``
    units whose h_t is most correlated (|Pearson r| over the steps) with
    "the input at t is ``word``", strongest on top.
    """
    T, P = h.shape
    if units is None:
        if P <= max_units:
            return list(range(P)), (f"all {P} units" if P > 1 else "1 unit")
        units = "active"
    finite = np.where(np.isfinite(h), h, 0.0)
    if isinstance(units, str):
        if units != "active":
            raise ValueError(f"expected units as 'active', ('token', word) or a list of unit indices, got {units!r}")
        score = np.abs(finite).mean(0)                                        # (P,)
        order = sorted(range(P), key=lambda u: (-score[u], u))[:max_units]
        return order, f"{len(order)} most active of {P} units (largest mean |h| over the {T} steps), most active on top"
    if isinstance(units, tuple) and len(units) == 2 and units[0] == "token":
        word = units[1]
        if tokens is None:
            raise ValueError("units=('token', word) needs tokens= (or an encode that returns them)")
        hit = np.array([t == word for t in tokens], dtype=np.float64)        # (T,)
        if hit.sum() == 0:
            raise ValueError(f"units=('token', {word!r}): {word!r} is not among the input tokens")
        if hit.sum() == T:
            raise ValueError(f"units=('token', {word!r}): every step is {word!r}, nothing to correlate with")
        x = finite - finite.mean(0)
        y = hit - hit.mean()
        denom = np.sqrt((x ** 2).sum(0) * (y ** 2).sum())
        r = np.divide(x.T @ y, denom, out=np.zeros(P), where=denom > 0)     # (P,)
        order = sorted(range(P), key=lambda u: (-abs(r[u]), u))[:max_units]
        return order, (f"{len(order)} of {P} units most correlated with the input {token_text(word)!r} "
                       f"(|r| over the {T} steps), strongest on top")
    chosen = unit_list(units, P)
    if chosen == list(range(chosen[0], chosen[-1] + 1)) and len(chosen) > 1:
        return chosen, f"units {chosen[0]}-{chosen[-1]} of {P}"
    return chosen, f"units {', '.join(map(str, chosen[:8]))}{', …' if len(chosen) > 8 else ''} of {P}"


def run_readout(readout: Callable, h: torch.Tensor, labels: list[str] | None):
    """The readout's answer after every step: ((T,) float64 values or None, T strings or None).

    ``readout(h)`` gets h, the top layer's h_t of the shown sample (T, D*P)
    (directions concatenated, as the module's output), under ``torch.no_grad``,
    and returns (T,) numbers (e.g. P(positive) after each word), T strings,
    a pair ((T,) numbers, T strings), or (T, K) numbers (e.g. next-character
    probabilities): the largest of the K is shown, named by ``labels[k]``
    (default: its index k).
    """
    T = h.shape[0]
    if not callable(readout):
        raise TypeError(f"expected readout as a callable h (T, D*P) -> (T,) numbers or T labels, "
                        f"got {type(readout).__name__}")
    with torch.no_grad():
        out = readout(h)
    values, text = None, None
    if isinstance(out, tuple) and len(out) == 2:
        values, text = as_numpy(out[0], "readout values"), [str(s) for s in out[1]]
    elif isinstance(out, (list, tuple)) and out and all(isinstance(s, str) for s in out):
        text = list(out)
    else:
        values = as_numpy(out, "readout(h)")
        if values.ndim == 2:
            if labels is not None and len(labels) != values.shape[1]:
                raise ValueError(f"expected {values.shape[1]} readout_labels, one per readout column, "
                                 f"got {len(labels)}")
            top = np.nan_to_num(values, nan=-np.inf).argmax(1)                                 # (T,)
            text = [str(labels[k]) if labels is not None else str(k) for k in top]
            values = values[np.arange(T), top]
    if values is not None and values.shape != (T,):
        raise ValueError(f"expected readout(h) to give one number per step, shape ({T},), got {values.shape}")
    if text is not None and len(text) != T:
        raise ValueError(f"expected readout(h) to give {T} labels, one per step, got {len(text)}")
    return values, text


def _tick_step(width: int) -> int:
    """A round step between labelled time steps: at most 10 labels across ``width`` steps."""
    return next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if width / s <= 10)


def build_unroll(trace, tokens: list[str] | None, sample: int = 0, title: str | None = None, *,
                 units=None, max_units: int | None = None, window: int | None = None,
                 readout: Callable | None = None, readout_name: str = "readout",
                 readout_labels: list[str] | None = None):
    """Figure spec and timeline of the unroll view for one sample of ``trace``.

    One heatmap per (layer, direction): units (y) x time (x), values h_t
    (``trace.hidden[l, d, sample]``, (T, P)) rounded to 3 significant digits,
    every step kept. Step k of the slider shows input position t = k: the
    forward rows have read positions 0..t, the backward rows t..end; the rest
    is veiled, and column t is outlined from the heatmaps down through its
    token and readout. Under the heatmaps, the token strip writes each token
    (:func:`~rnnviz.views._figure.strip_text`) under its column.

    Long inputs (T > ``window``, default ``WINDOW`` = 40 steps, ``WORD_WINDOW``
    = 30 for word tokens, 50 for single characters): the x axis shows ``window`` steps around t and
    each step moves it; an overview strip above shows the whole sequence (the
    first panel, at most ``OVERVIEW_COLS`` columns: every k-th step, exact
    values) with a rectangle marking the window.

    units / max_units: which units each panel shows (see :func:`pick_units`;
    default ``MAX_UNITS`` = 32 for one panel, fewer per panel for stacked
    ones); the title says which. readout: see :func:`run_readout`; drawn as a
    track under the tokens, its value at t written in the title.
    """
    named = pick_sample(sample, trace.hidden.size(2))               # its index in the batch, for the title
    trace, tokens, sample = cut_to_sample(trace, sample, tokens)   # a packed sample: its own steps
    L, D, B, T, P = trace.hidden.shape
    b = pick_sample(sample, B)
    h = as_numpy(trace.hidden[:, :, b], "Trace.hidden")   # (L, D, T, P)
    rows = _row_names(L, D)
    n = len(rows)
    max_units = _check_count(max_units, "max_units") if max_units is not None else max(8, MAX_UNITS // n)
    if window is None:
        window = window_for(tokens)
    window = _check_count(window, "window")
    long = T > window
    toks = Tokens(tokens) if tokens is not None and not isinstance(tokens, Tokens) else tokens
    picks = [pick_units(h[l, d], units, max_units, toks) for l, d, _ in rows]
    said = picks[0][1] if all(p[1] == picks[0][1] for p in picks) else picks[0][1] + " (chosen per panel)"
    values, text = (run_readout(readout, trace.hidden[-1, :, b].permute(1, 0, 2).reshape(T, D * P), readout_labels)
                    if readout is not None else (None, None))
    has_readout = readout is not None

    # vertical layout in px of the plot area, top to bottom; paper fractions below
    height = FIT_HEIGHT
    top_m, bottom_m = 78, 118
    area = height - top_m - bottom_m
    over_px, over_gap = (30, 34) if long else (0, 0)   # the gap holds the strip's tick labels, also squeezed into a linked box
    strip_px = 34 if toks is not None else 0
    read_px = 56 if has_readout else 0
    gaps = over_gap + (6 if strip_px else 0) + (10 if read_px else 0) + 8 * (n - 1)
    heat_px = area - over_px - strip_px - read_px - gaps
    frac = lambda px: px / area  # noqa: E731
    y = 1.0
    data, layout = [], {}
    axis_no = 0

    def new_axis(px_: float, gap: float = 0.0) -> tuple[str, list[float]]:
        nonlocal y, axis_no
        axis_no += 1
        dom = [round(max(0.0, y - frac(px_)), 4), round(y, 4)]
        y = dom[0] - frac(gap)
        return ("" if axis_no == 1 else str(axis_no)), dom

    box = None
    if long:                                            # the whole sequence, with a box around the window shown
        over_ax, dom = new_axis(over_px, over_gap)
        l0, d0, _ = rows[0]
        every = max(1, -(-T // OVERVIEW_COLS))
        cols = list(range(0, T, every))
        k0 = len(picks[0][0])
        data.append({"type": "heatmap", "z": shown(h[l0, d0][np.ix_(cols, picks[0][0])].T), "x": cols,
                     "y": list(range(k0)), "xaxis": "x2", "yaxis": f"y{over_ax}", "coloraxis": "coloraxis",
                     "name": "whole sequence",
                     "hovertemplate": "whole sequence: t = %{x}<br>h = %{z:.3g}<extra></extra>"})
        rng = time_window(0, T, window, fixed=True)
        box = len(data)                                 # a bar as wide as the window: a step moves its x only
        data.append({"type": "bar", "x": [(rng[0] + rng[1]) / 2], "y": [k0], "base": [-0.5], "width": [window],
                     "xaxis": "x2", "yaxis": f"y{over_ax}", "hoverinfo": "skip", "showlegend": False,
                     "marker": {"color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
                     "name": "window shown"})
        layout[f"yaxis{over_ax}"] = {"domain": dom, "anchor": "x2", "showticklabels": False, "fixedrange": True,
                                     "autorange": "reversed", "showgrid": False, "zeroline": False,
                                     "title": {"text": "all" if every == 1 else f"all (1 in {every})",
                                               "font": {"size": 11}}}
        layout["xaxis2"] = {"anchor": f"y{over_ax}", "range": [-0.5, T - 0.5], "fixedrange": True,
                            "ticks": "outside", "showgrid": False}
    heat_axes = []
    per = heat_px / n
    for r, (l, d, name) in enumerate(rows):
        ax, dom = new_axis(per, 8 if r < n - 1 else (6 if strip_px else 10 if read_px else 0))
        heat_axes.append(ax)
        order = picks[r][0]
        data.append({
            "type": "heatmap", "z": shown(h[l, d][:, order].T), "x0": 0, "dx": 1,       # (units, T): steps 0..T-1 without writing them
            "meta": {"layer": l, "direction": d},                    # whose units: a linked focus needs it
            "y": [str(u) for u in order], "xaxis": "x", "yaxis": f"y{ax}", "coloraxis": "coloraxis", "name": name,
            "hovertemplate": f"{name}<br>t = %{{x}}<br>unit %{{y}}<br>h = %{{z:.3g}}<extra></extra>",
        })
        layout[f"yaxis{ax}"] = {"domain": dom, "title": {"text": f"{name}<br>unit"}, "anchor": "x",
                                "type": "category", "autorange": "reversed"}
    bottom_ax = heat_axes[-1]
    tracks: list[tuple[str, list[float], int]] = []     # (name, domain, px left): written level, left of the track
    name_text = html.escape(readout_name, quote=False)
    strip_dom = None
    if toks is not None:
        ax, strip_dom = new_axis(strip_px, 10 if read_px else 0)
        bottom_ax = ax
        strip, layout[f"yaxis{ax}"] = token_strip(toks, range(T), f"y{ax}", strip_dom, min(T, window))
        data.append({**strip, "x0": 0, "dx": 1})                                       # x = 0..T-1
        tracks.append(("input", strip_dom, 8))
    read_dom = None
    if has_readout:
        ax, read_dom = new_axis(read_px)
        bottom_ax = ax
        tr = {"type": "scatter", "x0": 0, "dx": 1, "xaxis": "x", "yaxis": f"y{ax}", "name": readout_name,
              "showlegend": False, "line": {"color": "#444"}, "marker": {"size": 5, "color": "#444"}}
        if values is not None:
            tr.update({"y": shown(values), "mode": "lines+markers" + ("+text" if text else ""),
                       "hovertemplate": f"t = %{{x}}<br>{name_text} = %{{y:.3g}}"
                                        + (" %{text}" if text else "") + "<extra></extra>"})
            finite = values[np.isfinite(values)]
            if finite.size and finite.min() >= 0 and finite.max() <= 1:
                rng = [-0.1, 1.1] if not text else [-0.1, 1.5]           # a probability: always 0..1
            else:
                lo_, hi_ = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
                pad = 0.1 * (hi_ - lo_ or 1.0)
                rng = [lo_ - pad, hi_ + pad * (4 if text else 1)]
        else:
            tr.update({"y": [0.5] * T, "mode": "text", "hovertemplate": "t = %{x}: %{text}<extra></extra>"})
            rng = [0, 1]
        if text:
            tr.update({"text": [token_text(s) for s in text], "textposition": "top center",
                       "textfont": {"size": 12, "color": "#1a5fb4"}})
        data.append(tr)
        layout[f"yaxis{ax}"] = {"domain": read_dom, "anchor": "x", "range": rng, "fixedrange": True,
                                "showticklabels": values is not None, "nticks": 3, "zeroline": False}
        short = name_text if len(readout_name) <= 11 else "<br>".join(name_text.split(" ", 1))  # fits the margin
        tracks.append((short, read_dom, 36 if values is not None else 8))   # clear of its tick labels
    layout["xaxis"] = {"title": {"text": "time step t", "standoff": 4}, "anchor": f"y{bottom_ax}",
                       "range": time_window(0, T, window, fixed=True), "ticks": "outside"}
    if long:   # the fixed cursor shows room before step 0 and after the last: label only real steps there
        layout["xaxis"]["tickvals"] = list(range(0, T, _tick_step(window)))
    m = symmetric_range(h)                                                  # fixed: ±1 for tanh-range h
    layout["coloraxis"] = {"colorscale": DIVERGING, "cmin": -m, "cmax": m,
                           "colorbar": {"title": {"text": "h"}, "len": 0.6, "y": 0.6, "thickness": 14}}
    head = title or f"{trace.kind} unrolled in time, sample {named}"
    cut = toks.notice() if toks is not None else ""
    padded = len(toks.padding) if toks is not None else 0
    view_note = (f"{T} step{'s' if T != 1 else ''}" + (f" ({T - padded} tokens + {padded} padding, shaded)" if padded else "")
                 + (f", {window} at a time around t (box in the strip above)" if long else ""))
    sub = "; ".join(x for x in (said, view_note, cut, "grey = not read yet") if x)   # the veils
    notes = notes_line(trace)
    layout.update({"height": height, "margin": {"t": top_m, "b": bottom_m, "l": 100}, "plot_bgcolor": "white"})
    layout["annotations"] = [{"text": text_, "xref": "paper", "yref": "paper", "x": 0, "xshift": -px, "y": sum(dom) / 2,
                              "xanchor": "right", "yanchor": "middle", "showarrow": False, "align": "right"}
                             for text_, dom, px in tracks]

    labels = step_labels(T, toks)
    low = (read_dom or strip_dom or [0.0])[0]                              # bottom of the track the cursor spans
    heat_top = layout[f"yaxis{heat_axes[0]}"]["domain"][1]
    pads = [{"xref": "x", "yref": "paper", "x0": a - 0.5, "x1": c + 0.5, "y0": low, "y1": heat_top, "fillcolor": _PAD,
             "line": {"width": 0}} for a, c in _spans(toks.padding)] if toks is not None else []

    def said_at(t: int) -> str:
        return " ".join(([fmt(values[t])] if values is not None else []) + ([f"'{token_text(text[t])}'"] if text else []))

    def answer(t: int) -> str:
        return f" · {name_text} = {said_at(t)}" if has_readout else ""

    def label(t: int) -> str:                            # the slider's caption names the readout once
        return labels[t] + (f" · {said_at(t)}" if has_readout else "")

    def veils(x_of) -> list[dict]:
        """Veils over what a direction has not read yet, and the cursor box around column t."""
        out = []
        for r, (_, d, _) in enumerate(rows):
            x0, x1 = x_of(d)
            out.append({"xref": xref, "yref": f"y{heat_axes[r]} domain", "x0": x0, "x1": x1,   # drawn above
                        "y0": 0, "y1": 1, "fillcolor": _MASK, "line": {"width": 0}})
        return out

    steps = []
    if long:
        # the read head stays put (the column a third from the left) and the input slides under it:
        # the veils and the cursor box are fixed in the x axis's own fraction, a step sets the range only
        xref = "x domain"
        at = (window // 3) / window
        one = 1 / window
        shapes = veils(lambda d: (0, at) if d else (at + one, 1))
        # the room before step 0 and after the last step holds no steps: blank, over the veils, so grey
        # keeps meaning "not read yet" (in data coordinates, so they slide with the input)
        for r in range(n):
            for x0, x1 in ((-window - 0.5, -0.5), (T - 0.5, T + window - 0.5)):
                shapes.append({"xref": "x", "yref": f"y{heat_axes[r]} domain", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                               "fillcolor": "white", "line": {"width": 0}})
        shapes.append({"type": "rect", "xref": xref, "yref": "paper", "x0": at, "x1": at + one, "y0": low,
                       "y1": heat_top, "line": {"color": "black", "width": 2}})
        layout["shapes"] = shapes + pads
        for t in range(T):
            rng = time_window(t, T, window, fixed=True)
            steps.append(Step(label(t), data={box: {"x": [(rng[0] + rng[1]) / 2]}},   # add_timeline adds its type
                              layout={"xaxis": {"range": rng}}))
        layout["title"] = {"text": f"{head}<br><sup>{sub}</sup>{notes}", "x": 0.01}
    else:
        xref = "x"
        for t in range(T):
            shapes = veils(lambda d: (-0.5, t - 0.5) if d else (t + 0.5, T - 0.5))
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": t - 0.5, "x1": t + 0.5,
                           "y0": low, "y1": heat_top, "line": {"color": "black", "width": 2}})    # not filled
            token = ""
            if toks is not None:
                mark = " (padding)" if t in toks.padding else " (unknown: read as <unk>)" if t in toks.unknown else ""
                token = f" · input '{token_text(toks[t])}'" + (token_text(mark) if mark else "")
            line = f"{head}: step t = {t}{token}{answer(t)}"
            steps.append(Step(label(t), layout={
                "shapes": shapes + pads, "title": {"text": f"{line}<br><sup>{sub}</sup>{notes}", "x": 0.01}}))
        layout.update(steps[0].layout)
    prefix = ("t · token" if toks is not None else "t") + (f" · {name_text}" if has_readout else "") + " = "
    timeline = Timeline(steps, active=0, prefix=prefix)
    return {"data": data, "layout": layout}, timeline


def unroll_view(rnn_or_trace, inputs=None, tokens=None, *, sample: int = 0, clamp: dict | None = None,
                module: str | nn.Module | None = None, encode: Callable | None = None, text: str | None = None,
                title: str | None = None, units=None, max_units: int | None = None, window: int | None = None,
                readout: Callable | None = None, readout_name: str = "readout", readout_labels=None,
                widget: bool | None = None, fps: float = PLAY_FPS, projector: bool | None = None):
    """Show an RNN unrolled in time: h_t as a units x time heatmap per layer and direction.

    rnn_or_trace: a live ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or a model holding
    one, chosen by ``module``: its name or the submodule) with ``inputs`` in its own layout (a tuple is a
    model's arguments, e.g. ``(ids, lengths)``, called as ``model(*inputs)``), or an
    ``rnnviz.Trace``. tokens: one label per time step, written under the
    heatmap; a :class:`rnnviz.views.Tokens` list also marks unknown words and
    padding and says how many tokens were cut. sample: which batch element.
    clamp: gates to clamp while capturing, e.g. ``{"forget": 1.0}``; with a
    live LSTM/GRU it also adds clamp controls (``{}``: controls, nothing
    clamped). encode: ``text -> inputs``, ``(inputs, tokens)`` or
    ``(inputs, tokens, {"dropped": n, "unknown": [...], "padding": [...]})``,
    for a what-if text box starting at ``text``.

    units: which units to show: None (all when they fit in ``max_units``,
    else "active"), a list/range of unit indices, "active" (largest mean
    |h_t|) or ``("token", word)`` (most correlated with that input). The title
    says which. window: steps shown at once for a long input (default 40, 30
    for words, 50 for characters); an overview strip then shows the whole
    sequence. The token strip shortens a word to the room it has (the slider's
    label gives it whole). Every step stays on the slider and in the heatmap, so
    the figure grows with T: about 0.5 KB a step with word tokens (under 1 MB
    at 2,000 steps, 2.3 MB at 5,000; ``bench/views.py``).

    readout: the model's answer after every step, drawn under the tokens and
    recomputed by a what-if edit: ``readout(h)`` with h the top layer's h_t of
    the sample, (T, D*P), returns (T,) numbers (e.g.
    ``lambda h: model.head(h).softmax(-1)[:, 1]`` for P(positive) had the text
    ended at t), T strings, a pair of both, or (T, K) numbers whose largest
    is shown, named by ``readout_labels`` (K strings). readout_name names it.

    widget: a notebook view (default: inside Jupyter) or a plain plotly Figure
    (outside Jupyter). fps: steps per second Play shows. The time slider and
    Play are one control that runs in the browser, also in a saved notebook
    without a kernel and in an exported page; values are rounded to 3
    significant digits. ``projector``: projector-sized fonts (None: the global
    switch, see ``rnnviz.set_projector``).
    """
    if not isinstance(readout_name, str):
        raise TypeError(f"expected readout_name as a str, got {type(readout_name).__name__}")

    def checked(trace, toks):
        return check_tokens(toks, token_steps(trace, sample, toks))

    def build(tr, toks):
        return build_unroll(tr, toks, sample, title, units=units, max_units=max_units, window=window,
                            readout=readout, readout_name=readout_name, readout_labels=readout_labels)

    return show(rnn_or_trace, inputs, tokens, clamp=clamp, module=module, encode=encode, text=text, widget=widget,
                build=build, check_tokens=checked, fps=fps, what="rnnviz unroll view", projector=projector)
