"""LSTM and GRU gates over time for chosen units, with each gate's equation and numbers on hover."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._figure import (FIT_HEIGHT, MAX_CELLS, PLAY_FPS, Step, Timeline, as_numpy, check_tokens, fmt, notes_line,
                      shown, step_labels, stride_for, time_ticks, token_text)
from ._sources import pick_sample
from ._whatif import show

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


def _previous(cur: np.ndarray, inferred: np.ndarray, backward: bool) -> np.ndarray:
    """x_{t−1} in reading order (x_{t+1} for the backward direction), each (T, U).

    Where there is no captured neighbour (the first step read, or padding) the
    value ``inferred`` from the step's own equation stands in; float noise
    around a zero initial state is shown as 0.
    """
    prev = np.full_like(cur, np.nan)
    if backward:
        prev[:-1] = cur[1:]
    else:
        prev[1:] = cur[:-1]
    inferred = np.where(np.abs(inferred) < 1e-6, 0.0, inferred)
    return np.where(np.isnan(prev), inferred, prev)


def _fp(v: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({fmt(v)})" if v < 0 else fmt(v)


def _each(form, *arrays: np.ndarray) -> np.ndarray:
    """``form(*values)`` for every element of equally shaped arrays, as an array of str."""
    flat = [a.ravel().tolist() for a in arrays]
    return np.array([form(*vals) for vals in zip(*flat)], dtype=object).reshape(arrays[0].shape)


def _texts(kind: str, v: dict[str, np.ndarray], backward: bool, clamped: dict) -> dict[str, np.ndarray]:
    """Hover numbers per row: the right-hand side of each equation filled in. Each (T, U) of str."""
    out = {}
    with np.errstate(all="ignore"):
        for key, val in v.items():
            if key in clamped:
                out[key] = _each(lambda g: f"clamped to {fmt(g)}", val)
            elif key in ("input", "forget", "output", "reset", "update"):
                pre = np.log(val / (1.0 - val))                 # σ⁻¹: the gate's pre-activation
                out[key] = _each(lambda p, g: f"σ({fmt(p)}) = {fmt(g)}", pre, val)
            elif key in ("cell", "new"):
                out[key] = _each(lambda p, g: f"tanh({fmt(p)}) = {fmt(g)}", np.arctanh(val), val)
        if kind == "LSTM":
            f, i, g, c, o = v["forget"], v["input"], v["cell"], v["c"], v["output"]
            cp = _previous(c, (c - i * g) / f, backward)       # c_{t−1}; before the first step: from c = f c' + i g
            out["c"] = _each(lambda a, b, d, e, r: f"{fmt(a)}·{_fp(b)} + {fmt(d)}·{_fp(e)} = {fmt(r)}", f, cp, i, g, c)
            if "h" in v:
                out["h"] = _each(lambda a, b, r: f"{fmt(a)}·tanh({fmt(b)}) = {fmt(r)}", o, c, v["h"])
        else:
            z, n, h = v["update"], v["new"], v["h"]
            hp = _previous(h, (h - (1 - z) * n) / z, backward)  # h_{t−1}; before the first step: from the equation
            out["h"] = _each(lambda a, b, d, r: f"(1 − {fmt(a)})·{_fp(b)} + {fmt(a)}·{_fp(d)} = {fmt(r)}", z, n, hp, h)
    return out


def build_gates(trace, tokens: list[str] | None, units=None, sample: int = 0, layer: int = -1,
                direction: int = 0, title: str | None = None):
    """Figure spec and timeline of the gates view: one row per gate (+ c_t, h_t), one line per unit.

    Values are the trace's, rounded to 3 significant digits; each point's hover
    shows the equation and its numbers (pre-activations recovered as σ⁻¹/tanh⁻¹
    of the gate). The slider moves a time cursor.
    """
    if trace.kind not in _ROWS:
        raise ValueError(f"expected an LSTM or GRU trace (a plain RNN has no gates: use unroll_view), got {trace.kind}")
    L, D, B, T, P = trace.hidden.shape
    H = next(iter(trace.gates.values())).shape[-1]
    b = pick_sample(sample, B)
    for what, value, size in (("layer", layer, L), ("direction", direction, D)):
        if isinstance(value, bool) or not isinstance(value, int) or not -size <= value < size:
            raise ValueError(f"expected {what} as an int in {-size}..{size - 1}, got {value!r}")
    units = list(range(min(4, H))) if units is None else list(units)
    if not units or any(isinstance(u, bool) or not isinstance(u, (int, np.integer)) or not 0 <= u < H for u in units):
        raise ValueError(f"expected units as a non-empty list of unit indices in 0..{H - 1}, got {units!r}")
    pick = lambda t: as_numpy(t[layer, direction % D, b][:, units], "Trace")  # noqa: E731  (T, U)
    vals = {name: pick(g) for name, g in trace.gates.items()}
    if trace.cell is not None:
        vals["c"] = pick(trace.cell)
    if P == H:
        vals["h"] = pick(trace.hidden)
    rows = [r for r in _ROWS[trace.kind] if r[0] in vals]
    texts = _texts(trace.kind, vals, direction % D == 1, getattr(trace, "clamp", None) or {})
    stride = stride_for(T, len(units) * len(rows), MAX_CELLS // 8)  # a point + its hover text ~ 8 heatmap cells
    pos = list(range(0, T, stride))
    labels = step_labels(T, tokens)
    n = len(rows)
    gap, data, layout = 0.03, [], {}
    height = (1.0 - gap * (n - 1)) / n
    for r, (key, sym, eq, rng) in enumerate(rows):
        ax = "" if r == 0 else str(r + 1)
        top = 1.0 - r * (height + gap)
        layout[f"yaxis{ax}"] = {"domain": [max(top - height, 0.0), top], "anchor": "x",
                                "title": {"text": sym}, "zeroline": True,
                                **({"range": [-0.05, 1.05]} if rng == "sig" else
                                   {"range": [-1.05, 1.05]} if rng == "tanh" else {})}   # fixed, c_t free
        for j, u in enumerate(units):
            data.append({
                "type": "scatter", "mode": "lines", "x": np.asarray(pos), "y": shown(vals[key][pos, j]),
                "text": texts[key][pos, j].astype(str), "xaxis": "x", "yaxis": f"y{ax}",
                "line": {"color": _COLOURS[j % len(_COLOURS)], "width": 1.5}, "name": f"unit {u}",
                "legendgroup": f"unit {u}", "showlegend": r == 0,
                "hovertemplate": f"unit {u} · t = %{{x}}<br>{eq}<br>= %{{text}}<extra></extra>",
            })
    layout["xaxis"] = {"anchor": f"y{n}", "title": {"text": "time step · input token"},
                       **time_ticks(pos, [labels[p] for p in pos])}
    where = f"layer {layer % L}" + (f", direction {'backward' if direction % D else 'forward'}" if D == 2 else "")
    head = title or f"{trace.kind} gates, {where}, sample {b}"
    note = ((f" (one step in {stride} of {T} shown)" if stride > 1 else "")
            + ("" if "h" in vals else " (h_t projected: not shown)") + notes_line(trace))
    layout.update({"height": min(FIT_HEIGHT, 120 + 130 * n), "margin": {"t": 70}, "hovermode": "closest",
                   "plot_bgcolor": "white"})
    steps = []
    for t in pos:
        cursor = {"type": "line", "xref": "x", "yref": "paper", "x0": t, "x1": t, "y0": 0, "y1": 1,
                  "line": {"color": "black", "width": 1.5, "dash": "dot"}}
        token = f" · input '{token_text(tokens[t])}'" if tokens else ""
        text = f"{head}: t = {t}{token}{note}"
        steps.append(Step(labels[t], layout={"shapes": [cursor], "title": {"text": text, "x": 0.01}}))
    timeline = Timeline(steps, active=0, prefix="t · token = ")
    layout.update(steps[0].layout)
    return {"data": data, "layout": layout}, timeline


def gates_view(rnn_or_trace, inputs=None, tokens=None, *, units=None, sample: int = 0, layer: int = -1,
               direction: int = 0, clamp: dict | None = None, module: str | None = None,
               encode: Callable | None = None, text: str | None = None, title: str | None = None,
               widget: bool | None = None, fps: float = PLAY_FPS):
    """Show LSTM input/forget/candidate/output gates, c_t and h_t (GRU reset/update/new, h_t) over time.

    units: unit indices to draw (default the first 4); one line each, the same
    colour in every row. layer/direction/sample pick what to show (negative
    indices count from the end). Hover shows the gate's equation with its
    numbers, e.g. "f_t = σ(W_f x_t + U_f h_{t−1} + b_f) = σ(2.61) = 0.932".
    The other arguments are those of :func:`unroll_view` (live model or Trace,
    tokens, clamp, encode/text what-if, widget, fps).
    """
    def checked(trace, toks):
        return check_tokens(toks, trace.hidden.shape[3])

    return show(rnn_or_trace, inputs, tokens, clamp=clamp, module=module, encode=encode, text=text, widget=widget,
                build=lambda tr, toks: build_gates(tr, toks, units, sample, layer, direction, title),
                check_tokens=checked, fps=fps, what="rnnviz gates view")
