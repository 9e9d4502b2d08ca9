"""The network unrolled in time: h_t filling in step by step, one heatmap row per layer and direction."""
from __future__ import annotations

from collections.abc import Callable

from ._figure import (DIVERGING, FIT_HEIGHT, PLAY_FPS, Step, Timeline, as_numpy, check_tokens, notes_line, shown,
                      step_labels, stride_for, symmetric_range, time_ticks, token_text)
from ._sources import pick_sample
from ._whatif import show

_MASK = "rgba(255,255,255,0.88)"


def _row_names(L: int, D: int) -> list[tuple[int, int, str]]:
    return [(l, d, f"layer {l}" + (" ←" if d else " →" if D == 2 else "")) for l in range(L) for d in range(D)]


def build_unroll(trace, tokens: list[str] | None, sample: int = 0, title: str | None = None):
    """Figure spec and timeline of the unroll view for one sample of ``trace``.

    One heatmap per (layer, direction): units (y) x time (x), values h_t rounded
    to 3 significant digits. Step k of the slider shows input position t: the
    forward rows have read positions 0..t, the backward rows t..end; the rest is
    veiled, and column t is outlined. Beyond ``MAX_CELLS`` values, every k-th
    step is kept and the title says so.
    """
    L, D, B, T, P = trace.hidden.shape
    b = pick_sample(sample, B)
    h = as_numpy(trace.hidden[:, :, b], "Trace.hidden")   # (L, D, T, P)
    stride = stride_for(T, L * D * P)
    pos = list(range(0, T, stride))
    labels = step_labels(T, tokens)
    rows = _row_names(L, D)
    n = len(rows)
    gap = 0.06 / max(n - 1, 1)
    height = (1.0 - gap * (n - 1)) / n
    data, layout = [], {}
    for r, (l, d, name) in enumerate(rows):
        top = 1.0 - r * (height + gap)
        ax = "" if r == 0 else str(r + 1)
        data.append({
            "type": "heatmap", "z": shown(h[l, d, pos].T), "x": pos, "y": list(range(P)),   # (P, T')
            "xaxis": "x", "yaxis": f"y{ax}", "coloraxis": "coloraxis", "name": name,
            "hovertemplate": f"{name}<br>t = %{{x}}<br>unit %{{y}}<br>h = %{{z}}<extra></extra>",
        })
        layout[f"yaxis{ax}"] = {"domain": [max(top - height, 0.0), top], "title": {"text": f"{name}<br>unit"},
                                "anchor": "x"}
    layout["xaxis"] = {"title": {"text": "time step · input token"}, "anchor": f"y{n if n > 1 else ''}",
                       **time_ticks(pos, [labels[p] for p in pos])}
    m = symmetric_range(h)                                                  # fixed: ±1 for tanh-range h
    layout["coloraxis"] = {"colorscale": DIVERGING, "cmin": -m, "cmax": m, "colorbar": {"title": {"text": "h"}}}
    note = (f" (one step in {stride} of {T} shown)" if stride > 1 else "") + notes_line(trace)
    head = title or f"{trace.kind} unrolled in time, sample {b}"
    layout.update({"height": min(FIT_HEIGHT, 260 + 170 * n), "margin": {"t": 70}, "plot_bgcolor": "white"})

    half = stride / 2
    steps = []
    for k, t in enumerate(pos):
        shapes = []
        for r, (_, d, _) in enumerate(rows):
            ax = "" if r == 0 else str(r + 1)
            x0, x1 = (pos[0] - half, t - half) if d else (t + half, pos[-1] + half)
            shapes.append({"xref": "x", "yref": f"y{ax} domain", "x0": x0, "x1": x1,   # a rect, drawn above
                           "y0": 0, "y1": 1, "fillcolor": _MASK, "line": {"width": 0}})
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": t - half, "x1": t + half,
                       "y0": 0, "y1": 1, "line": {"color": "black", "width": 2}})    # not filled
        token = f" · input '{token_text(tokens[t])}'" if tokens else ""
        text = f"{head}: step t = {t}{token}{note}"
        steps.append(Step(labels[t], layout={"shapes": shapes, "title": {"text": text, "x": 0.01}}))
    timeline = Timeline(steps, active=0, prefix="t · token = ")
    layout.update(steps[0].layout)
    return {"data": data, "layout": layout}, timeline


def unroll_view(rnn_or_trace, inputs=None, tokens=None, *, sample: int = 0, clamp: dict | None = None,
                module: str | None = None, encode: Callable | None = None, text: str | None = None,
                title: str | None = None, widget: bool | None = None, fps: float = PLAY_FPS):
    """Show an RNN unrolled in time: h_t as a units x time heatmap per layer and direction.

    rnn_or_trace: a live ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or a model holding
    one, chosen by ``module``) with ``inputs`` in its own layout, or an
    ``rnnviz.Trace``. tokens: one label per time step. sample: which batch
    element. clamp: gates to clamp while capturing, e.g. ``{"forget": 1.0}``;
    with a live LSTM/GRU it also adds clamp controls (``{}``: controls, nothing
    clamped). encode: ``text -> inputs`` (or ``(inputs, tokens)``), for a
    what-if text box starting at ``text``. widget: a notebook view (default:
    inside Jupyter) or a plain plotly Figure (outside Jupyter). fps: steps per
    second Play shows.

    The time slider and Play are one control that runs in the browser, also
    in a saved notebook without a kernel and in an exported page; values are
    rounded to 3 significant digits.
    """
    def checked(trace, toks):
        return check_tokens(toks, trace.hidden.shape[3])

    return show(rnn_or_trace, inputs, tokens, clamp=clamp, module=module, encode=encode, text=text, widget=widget,
                build=lambda tr, toks: build_unroll(tr, toks, sample, title), check_tokens=checked, fps=fps,
                what="rnnviz unroll view")
