"""LSTM and GRU gates over time for chosen units, with each gate's equation and numbers on hover."""
from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from torch import nn

from ._figure import (FIT_HEIGHT, MAX_CELLS, PLAY_FPS, Step, Timeline, Tokens, as_numpy, check_tokens, fmt,
                      notes_line, shown, step_labels, stride_for, time_window, token_strip, token_text,
                      window_for)
from ._sources import cut_to_sample, pick_sample, token_steps
from ._style import LAPTOP, TITLE_WIDTH
from ._whatif import show
from .unroll import _check_count, pick_units, unit_list

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
# row key -> (label, equation, kind of value): "sig" gate in 0..1, "tanh" in -1..1, "free"
_ROWS = {
    "LSTM": [("input", "i_t", "i_t = σ(W_i x_t + U_i h_{t−1} + b_i)", "sig"),
             ("forget", "f_t", "f_t = σ(W_f x_t + U_f h_{t−1} + b_f)", "sig"),
             ("cell", "g_t", "g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)", "tanh"),
             ("output", "o_t", "o_t = σ(W_o x_t + U_o h_{t−1} + b_o)", "sig"),
             ("c", "c_t", "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t", "free"),
             ("h", "h_t", "h_t = o_t ⊙ tanh(c_t)", "tanh")],
    "GRU": [("reset", "r_t", "r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)", "sig"),
            ("update", "z_t", "z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)", "sig"),
            ("new", "n_t", "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))", "tanh"),
            ("h", "h_t", "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}", "tanh")],
}


def _previous(cur: np.ndarray, inferred: np.ndarray, backward: bool, starts=(0,),
              initial: np.ndarray | None = None) -> np.ndarray:
    """x_{t−1} in reading order (x_{t+1} for the backward direction), each (T, U).

    Where a run begins (the first step read; a step in ``starts``, where a joined call began
    from its own initial state (``Trace.starts``)) the state is ``initial`` (S, U), the one
    each run began from (``Trace.initial_hidden``/``initial_cell``), when the trace has it.
    Where there is no captured value (no ``initial``; padding) the value ``inferred`` from
    the step's own equation stands in, float noise around a zero initial state shown as 0
    (it divides by a gate: a gate near 0 magnifies that noise, hence ``initial`` first).
    """
    prev = np.full_like(cur, np.nan)
    if backward:                      # a backward run begins at its call's last step
        prev[:-1] = cur[1:]
        first = [s - 1 for s in starts if s > 0] + [len(cur) - 1]
    else:
        prev[1:] = cur[:-1]
        first = list(starts)
    prev[first] = np.nan if initial is None else initial
    inferred = np.where(np.abs(inferred) < 1e-6, 0.0, inferred)
    return np.where(np.isnan(prev), inferred, prev)


def _fp(v: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({fmt(v)})" if v < 0 else fmt(v)


def _arg(p: float) -> str:
    """A pre-activation recovered from its gate: a gate that rounds to exactly 0 or 1 (or ±1 for tanh)
    only says the input was far out, so it reads '≫0' / '≪0' instead of an infinite (or NaN) number."""
    return "≫0" if p == np.inf else "≪0" if p == -np.inf else fmt(p)


def _each(form, *arrays: np.ndarray) -> np.ndarray:
    """``form(*values)`` for every element of equally shaped arrays, as an array of str."""
    flat = [a.ravel().tolist() for a in arrays]
    return np.array([form(*vals) for vals in zip(*flat)], dtype=object).reshape(arrays[0].shape)


def _texts(kind: str, v: dict[str, np.ndarray], backward: bool, clamped: dict, starts=(0,),
           initial: dict | None = None) -> dict[str, np.ndarray]:
    """Hover numbers per row: the right-hand side of each equation filled in. Each (T, U) of str.
    starts: ``Trace.starts``; initial: {"c" or "h": (S, U)} the state each run began from
    (see :func:`_previous`), or None."""
    initial = initial or {}
    out = {}
    with np.errstate(all="ignore"):
        for key, val in v.items():
            if key in clamped:
                out[key] = _each(lambda g: f"clamped to {fmt(g)}", val)
            elif key in ("input", "forget", "output", "reset", "update"):
                pre = np.log(val / (1.0 - val))                 # σ⁻¹: the gate's pre-activation
                out[key] = _each(lambda p, g: f"σ({_arg(p)}) = {fmt(g)}", pre, val)
            elif key in ("cell", "new"):
                out[key] = _each(lambda p, g: f"tanh({_arg(p)}) = {fmt(g)}", np.arctanh(val), val)
        if kind == "LSTM":
            f, i, g, c, o = v["forget"], v["input"], v["cell"], v["c"], v["output"]
            cp = _previous(c, (c - i * g) / f, backward, starts, initial.get("c"))   # c_{t−1}
            out["c"] = _each(lambda a, b, d, e, r: f"{fmt(a)}·{_fp(b)} + {fmt(d)}·{_fp(e)} = {fmt(r)}", f, cp, i, g, c)
            if "h" in v:
                out["h"] = _each(lambda a, b, r: f"{fmt(a)}·tanh({fmt(b)}) = {fmt(r)}", o, c, v["h"])
        else:
            z, n, h = v["update"], v["new"], v["h"]
            hp = _previous(h, (h - (1 - z) * n) / z, backward, starts, initial.get("h"))  # h_{t−1}
            out["h"] = _each(lambda a, b, d, r: f"(1 − {fmt(a)})·{_fp(b)} + {fmt(a)}·{_fp(d)} = {fmt(r)}", z, n, hp, h)
    return out


_FUTURE = "rgba(255,255,255,0.72)"   # steps not read yet, veiled as in the unroll view
MAX_FRAMES = 600                      # slider steps a gates view keeps (every k-th step beyond; the title says so)
STRIP = 0.09                          # of the plot area's height: the token strip under the gate rows (~32 px)
ROW_PAD = 0.2                         # of a row's range (1 for a gate): its end labels sit this far inside the row


# what each kind of row reads like, in the view's "how to read" line
HOWTO = {"LSTM": "gates i, f, o in 0..1; dotted line = step shown, pale = not read yet",
         "GRU": "gates r, z in 0..1; dotted line = step shown, pale = not read yet"}


MAX_UNITS = 4                         # lines per row by default: beyond ~8 (the colours) a row is unreadable
SUB_CHARS = int(TITLE_WIDTH / (0.5 * LAPTOP.text))   # characters a title's sub-line holds before it wraps


def _units_line(units: list[int], H: int) -> str:
    """Which units the view shows, e.g. 'units 0–3 of 6' or 'units 1, 4 of 6'."""
    if units == list(range(units[0], units[0] + len(units))) and len(units) > 2:
        which = f"units {units[0]}–{units[-1]}"
    else:
        which = ("unit " if len(units) == 1 else "units ") + ", ".join(map(str, units))
    return f"{which} of {H}"


def choose_units(trace, tokens, units, max_units: int, layer: int, direction: int, b: int) -> tuple[list[int], str]:
    """Which units a gates view draws (in legend and colour order) and a phrase saying so.

    units: None (the first ``max_units``), a list/range of unit indices (kept
    in that order), "active" (the ``max_units`` units with the largest mean
    |h_t| over the steps, most active first) or ("token", word) (the
    ``max_units`` units whose h_t correlates most, |Pearson r|, with "the
    input at t is ``word``"), chosen as :func:`~rnnviz.views.unroll.pick_units`
    does for the unroll view, on h_t of this layer, direction and sample. An
    LSTM with ``proj_size`` has h_t in another space than its gates: its
    units are then judged by o_t ⊙ tanh(c_t), each unit's output before the
    projection.
    """
    H = next(iter(trace.gates.values())).shape[-1]
    if units is None:
        chosen = list(range(min(max_units, H)))
        return chosen, _units_line(chosen, H)
    if isinstance(units, str) or (isinstance(units, tuple) and len(units) == 2 and units[0] == "token"):
        d = direction % trace.hidden.shape[1]
        if trace.hidden.shape[-1] == H:
            h, said = as_numpy(trace.hidden[layer, d, b], "Trace.hidden"), None
        else:                                    # projected h_t: the unit's own output o ⊙ tanh(c)
            o = as_numpy(trace.gates["output"][layer, d, b], "Trace.gates")
            h, said = o * np.tanh(as_numpy(trace.cell[layer, d, b], "Trace.cell")), "|o⊙tanh(c)|"
        chosen, phrase = pick_units(h, units, max_units, tokens)
        phrase = re.sub(r", [^,]* on top$", "", phrase)          # a gates view has no rows: the legend's order
        return chosen, phrase if said is None else phrase.replace("|h|", said)
    chosen = unit_list(units, H)
    return chosen, _units_line(chosen, H)


_INDEX = re.compile(r"(?<=[A-Za-z])_(\{[^}]*\}|[A-Za-z0-9]+)")


def subscripts(text: str) -> str:
    """Our equations' plain-text indices as plotly subscripts: 'h_{t−1}' -> 'h<sub>t−1</sub>',
    'W_ir' -> 'W<sub>ir</sub>' (a title or hover would otherwise show the braces)."""
    return _INDEX.sub(lambda m: "<sub>" + m.group(1).strip("{}") + "</sub>", text)


def equation(kind: str, texts: dict[str, np.ndarray], t: int, j: int, unit: int, backward: bool = False) -> str:
    """The state update of step ``t`` for one unit with its numbers, e.g.
    'unit 0: c_t = f·c_{t−1} + i·g = 0.91·0.42 + 0.33·(−0.8) = 0.12' (LSTM) or
    'unit 0: h_t = (1 − z)·n + z·h_{t−1} = ...' (GRU), indices as subscripts."""
    before = "t+1" if backward else "t−1"            # the step read before t: backwards, the one after it
    if kind == "LSTM":
        return subscripts(f"unit {unit}: c_t = f·c_{{{before}}} + i·g = ") + texts["c"][t, j]
    return subscripts(f"unit {unit}: h_t = (1 − z)·n + z·h_{{{before}}} = ") + texts["h"][t, j]


def cell_range(c: np.ndarray) -> float:
    """The c_t axis ±m: m = 1 while |c| stays within 1 (the range of tanh-range values), else the
    next whole number above the largest |c|, so the axis only moves when c_t leaves ±1."""
    finite = np.abs(c[np.isfinite(c)])
    top = float(finite.max()) if finite.size else 0.0
    return 1.0 if top <= 1.0 else float(np.ceil(top))


def build_gates(trace, tokens: list[str] | None, units=None, sample: int = 0, layer: int = -1,
                direction: int = 0, title: str | None = None, focus: int | None = None,
                max_units: int | None = None, focus_fallback: bool = False):
    """Figure spec and timeline of the gates view: one row per gate (+ c_t, h_t), one line per unit.

    Values are the trace's, rounded to 3 significant digits; each point's hover
    shows the equation and its numbers (pre-activations recovered as σ⁻¹/tanh⁻¹
    of the gate). The slider moves a time cursor; steps not read yet are
    veiled. The title says which units are shown, how to read the view, and
    the state update of the step shown for the ``focus`` unit (default the
    first shown; drawn thicker) with its numbers; ``focus_fallback``: a focus
    the chosen units leave out becomes the first shown instead of an error
    (a what-if refresh). ``units``/``max_units``: which units, see
    :func:`choose_units` (default the first ``MAX_UNITS``).
    Under the rows, a token strip writes each token under its step as the
    unroll view does; the time axis is labelled with numbers, flat.

    Long inputs (more than :func:`~rnnviz.views._figure.window_for` steps with tokens, ``WINDOW``
    without): the x axis shows a window of that many steps around t, which
    each step moves (kept inside the sequence), so lines and tokens stay
    readable; hover then gives the value without the equation (the title
    still writes the focus unit's update with its numbers). Beyond
    ``MAX_FRAMES`` steps every k-th step is kept, and the title says so.
    """
    if trace.kind not in _ROWS:
        raise ValueError(f"expected an LSTM or GRU trace (a plain RNN has no gates: use unroll_view), got {trace.kind}")
    named = pick_sample(sample, trace.hidden.size(2))               # its index in the batch, for the title
    trace, tokens, sample = cut_to_sample(trace, sample, tokens)   # a packed sample: its own steps
    L, D, B, T, P = trace.hidden.shape
    H = next(iter(trace.gates.values())).shape[-1]
    b = pick_sample(sample, B)
    for what, value, size in (("layer", layer, L), ("direction", direction, D)):
        if isinstance(value, bool) or not isinstance(value, int) or not -size <= value < size:
            raise ValueError(f"expected {what} as an int in {-size}..{size - 1}, got {value!r}")
    max_units = MAX_UNITS if max_units is None else _check_count(max_units, "max_units")
    toks = None if tokens is None else tokens if isinstance(tokens, Tokens) else Tokens(tokens)
    units, phrase = choose_units(trace, toks, units, max_units, layer, direction, b)
    if focus is None or (focus_fallback and focus in range(H) and focus not in units):
        focus = units[0]                 # focus_fallback: a what-if input chose other units than the focus
    if isinstance(focus, bool) or not isinstance(focus, (int, np.integer)) or int(focus) not in units:
        raise ValueError(f"expected focus as one of the units shown {units}, got {focus!r}")
    fj = units.index(int(focus))
    pick = lambda t: as_numpy(t[layer, direction % D, b][:, units], "Trace")  # noqa: E731  (T, U)
    vals = {name: pick(g) for name, g in trace.gates.items()}
    if trace.cell is not None:
        vals["c"] = pick(trace.cell)
    if P == H:
        vals["h"] = pick(trace.hidden)
    rows = [r for r in _ROWS[trace.kind] if r[0] in vals]
    backward = direction % D == 1
    initial = {}                        # the state each run began from, where the trace has it: (S, U)
    for key, state in (("c", getattr(trace, "initial_cell", None)), ("h", getattr(trace, "initial_hidden", None))):
        if state is not None and key in vals:
            initial[key] = as_numpy(state[:, layer, direction % D, b][:, units], "Trace")
    texts = _texts(trace.kind, vals, backward, getattr(trace, "clamp", None) or {}, trace.starts, initial)
    window = window_for(toks)              # as the unroll view: as many steps as a token strip can write
    long = T > window                        # a sliding window of ``window`` steps; points carry no hover text
    stride = stride_for(T, len(units) * len(rows), MAX_CELLS if long else MAX_CELLS // 8)  # text ~ 8 cells a point
    stride = max(stride, -(-T // MAX_FRAMES))  # a frame carries its step's equation (~0.9 KB): 1 MB holds ~600
    pos = list(range(0, T, stride))
    if pos[-1] != T - 1:                     # the last step, the final state, is always one of them
        pos.append(T - 1)
    # evenly spaced steps are written as x0 + k dx; with the last step added, as their numbers
    where_x = ({"x0": pos[0], "dx": stride} if pos[-1] - pos[0] == stride * (len(pos) - 1)
               else {"x": np.asarray(pos, dtype=np.int32)})
    labels = step_labels(T, tokens)
    n = len(rows)
    gap, data, layout = 0.035, [], {}
    strip = toks is not None and (long or len(pos) <= window)   # tokens under their steps, not as ticks
    height = (1.0 - gap * (n - 1) - ((STRIP + gap) if strip else 0.0)) / n
    # c_t: one range for the whole trace at this layer (every unit, every sample), so it does not jump
    c_all = as_numpy(trace.cell[layer, direction % D], "Trace.cell") if trace.cell is not None else np.zeros(1)
    cm = cell_range(c_all)
    for r, (key, sym, eq, rng) in enumerate(rows):
        eq = eq.replace("t−1", "t+1") if backward else eq     # the backward direction reads t+1 before t
        ax = "" if r == 0 else str(r + 1)
        top = 1.0 - r * (height + gap)
        m = 1.0 if rng != "free" else cm
        # fixed ranges, never rescaled by the data; labelled only at their ends (0 is the zero line), and the ends
        # sit ROW_PAD inside the row so one row's bottom label does not run into the next row's top label
        scale = ({"range": [-ROW_PAD, 1 + ROW_PAD], "tickvals": [0, 1]} if rng == "sig" else
                 {"range": [-(1 + ROW_PAD) * m, (1 + ROW_PAD) * m], "tickvals": [-m, m]})
        layout[f"yaxis{ax}"] = {"domain": [max(top - height, 0.0), top], "anchor": "x",
                                "title": {"text": subscripts(sym)}, "zeroline": True, "fixedrange": True, **scale}
        for j, u in enumerate(units):
            line = {
                "type": "scatter", "mode": "lines", **where_x, "y": shown(vals[key][pos, j]),
                "xaxis": "x", "yaxis": f"y{ax}",
                "line": {"color": _COLOURS[j % len(_COLOURS)], "width": 3 if j == fj else 1.5},
                "name": f"unit {u}" + (" (equation)" if j == fj and len(units) > 1 else ""),
                "legendgroup": f"unit {u}", "showlegend": r == 0,
                "meta": {"layer": layer % L, "direction": direction % D},   # whose units: a linked focus needs it
                "hovertemplate": f"unit {u} · t = %{{x}}<br>{subscripts(eq)}<br>= %{{text}}<extra></extra>",
            }
            if long:                         # 2,000 steps of equation text would pass the 1 MB budget
                line["hovertemplate"] = f"unit {u} · t = %{{x}}<br>{subscripts(sym)} = %{{y:.3g}}<extra></extra>"
            else:
                line["text"] = texts[key][pos, j].astype(str)
            data.append(line)
    bottom = n
    if strip:                                  # the token strip, as in the unroll view: flat text, never rotated
        bottom = n + 1
        strip, layout[f"yaxis{bottom}"] = token_strip(toks, pos, f"y{bottom}", [0.0, STRIP], min(len(pos), window))
        data.append({**strip, "x": np.asarray(pos)})
        layout["annotations"] = [{"text": "input", "xref": "paper", "yref": "paper", "x": 0, "xshift": -8,
                                  "y": STRIP / 2, "xanchor": "right", "yanchor": "middle", "showarrow": False}]
    half = stride / 2
    span = lambda t: time_window(t, T, window) if long else [pos[0] - half, pos[-1] + half]  # noqa: E731
    layout["xaxis"] = {"anchor": f"y{bottom}", "title": {"text": "time step t", "standoff": 4}, "ticks": "outside",
                       "range": span(pos[0])}
    where = f"layer {layer % L}" + (f", direction {'backward' if backward else 'forward'}" if D == 2 else "")
    head = title or f"{trace.kind} gates, {where}, sample {named}"
    note = ((f" (one step in {stride} of {T} shown{', and the last' if 'x' in where_x else ''})" if stride > 1 else "")
            + (f" ({window} of {T} steps at a time, the window follows t)" if long else "")
            + ("" if "h" in vals else " (h<sub>t</sub> projected: not shown)") + notes_line(trace))
    howto = f"{phrase} · {HOWTO[trace.kind]}"      # one sub-line when it fits, else the phrase on a line of its own
    howto = (f"<br><sup>{howto}</sup>" if len(howto) <= SUB_CHARS
             else f"<br><sup>{phrase}</sup><br><sup>{HOWTO[trace.kind]}</sup>")
    layout.update({"height": FIT_HEIGHT, "hovermode": "closest", "legend": {"y": 1, "yanchor": "top"}})
    steps = []
    for t in pos:
        cursor = {"type": "line", "xref": "x", "yref": "paper", "x0": t, "x1": t, "y0": 0, "y1": 1,
                  "line": {"color": "black", "width": 1.5, "dash": "dot"}}
        x0, x1 = (pos[0] - half, t - half) if backward else (t + half, pos[-1] + half)
        veil = {"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                "fillcolor": _FUTURE, "line": {"width": 0}, "layer": "above"}
        token = f" · input '{token_text(tokens[t])}'" if tokens else ""
        eqn = f"<br><sup>{equation(trace.kind, texts, t, fj, units[fj], backward)}</sup>"
        text = f"{head}: t = {t}{token}{note}{eqn}{howto}"
        frame = {"shapes": [veil, cursor], "title": {"text": text, "x": 0.01}}
        if long:
            frame["xaxis"] = {"range": span(t)}                       # the window follows the cursor
        steps.append(Step(labels[t], layout=frame))
    timeline = Timeline(steps, active=0, prefix="t · token = ")
    first = dict(steps[0].layout)
    layout["xaxis"].update(first.pop("xaxis", {}))              # a step sets the axis's range, not the axis
    layout.update(first)
    return {"data": data, "layout": layout}, timeline


def gates_view(rnn_or_trace, inputs=None, tokens=None, *, units=None, sample: int = 0, layer: int = -1,
               direction: int = 0, clamp: dict | None = None, module: str | nn.Module | None = None,
               encode: Callable | None = None, text: str | None = None, title: str | None = None,
               focus: int | None = None, widget: bool | None = None, fps: float = PLAY_FPS,
               projector: bool | None = None, max_units: int | None = None):
    """Show LSTM input/forget/candidate/output gates, c_t and h_t (GRU reset/update/new, h_t) over time.

    units: which units to draw, one line each, the same colour in every row,
    in the order chosen (the legend's); the same forms as :func:`unroll_view`:

    - None (default): the first ``max_units`` units (default 4);
    - a list/range of unit indices, e.g. ``[1, 4]``, drawn in that order;
    - ``"active"``: the ``max_units`` most active units, those with the
      largest mean |h_t| over the steps of the layer, direction and sample
      shown (as the unroll view judges them, so both views pick the same
      units), most active first; an LSTM with ``proj_size`` is judged by
      o_t ⊙ tanh(c_t), each unit's output before the projection;
    - ``("token", word)``: the ``max_units`` units whose h_t is most
      correlated (|Pearson r| over the steps) with "the input at t is
      ``word``", strongest first; needs ``tokens`` (or an ``encode`` that
      returns them).

    max_units: how many units "active", ("token", word) and None draw
    (default 4; beyond 8 the line colours repeat). The title's "how to read"
    line says which units are shown, e.g. "4 most active of 128 units
    (largest mean |h| over the 50 steps)" or "units 1, 4 of 6". With
    ``encode``/``clamp`` what-if controls the units are chosen again for each
    new input (``focus`` then falls back to the first shown unit when the
    new choice leaves it out). layer/direction/sample pick what to show
    (negative indices count from the end). Hover shows the gate's equation
    with its numbers, e.g. "f_t = σ(W_f x_t + U_f h_{t−1} + b_f) = σ(2.61) = 0.932" (indices
    drawn as subscripts);
    the title shows the step's state update for the ``focus`` unit (one of
    the units shown, default the first) with its numbers, e.g.
    "c_t = f·c_{t−1} + i·g = 0.91·0.42 + 0.33·(−0.8) = 0.12", frame by frame.
    Gates are drawn on 0..1, candidate and h_t on −1..1, c_t on ±1 (wider
    only when c_t leaves ±1). ``projector``: projector-sized fonts (None: the
    global switch, see ``rnnviz.set_projector``). The other arguments are those of :func:`unroll_view` (live model or Trace,
    tokens, clamp, encode/text what-if, widget, fps).
    """
    def checked(trace, toks):
        return check_tokens(toks, token_steps(trace, sample, toks))

    if hasattr(units, "__next__"):    # an iterator is read once: keep its units for the what-if rebuilds
        units = list(units)
    built = []                        # the first build checks focus; later ones are what-if refreshes

    def build(tr, toks):
        # new input or clamp: "active"/("token", w) may choose other units; a focus left out is not an error
        out = build_gates(tr, toks, units, sample, layer, direction, title, focus, max_units,
                          focus_fallback=bool(built))
        built.append(True)
        return out

    return show(rnn_or_trace, inputs, tokens, clamp=clamp, module=module, encode=encode, text=text, widget=widget,
                build=build, check_tokens=checked, fps=fps, what="rnnviz gates view", projector=projector)
