"""Shared figure helpers: rounding, token labels, the client-side time axis.

Every view is a plotly figure plus a :class:`Timeline`: one entry per slider
step, each a small update (new y values for some traces, new shapes and
title). The timeline becomes either

- layout ``sliders`` whose steps call ``"update"``/``"relayout"`` in the
  browser (a ``FigureWidget`` in a notebook: scrubbing needs no kernel), or
- animation ``frames`` with ``"animate"`` slider steps and Play/Pause buttons
  (a plain ``Figure`` outside Jupyter and in exported HTML; plotly's
  FigureWidget refuses frames).

Documented rounding: values shown are the captured values rounded to
``SIG_DIGITS`` significant digits (float64, NaN shown as a gap).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

SIG_DIGITS = 3
MAX_CELLS = 105_000     # heatmap values per figure; beyond it, time is strided (and the title says so)
MAX_TICKS = 40          # labelled ticks on a time axis
DIVERGING = "RdBu_r"    # tanh-range values, centred on 0 (zmid=0)
SEQUENTIAL = "Viridis"  # gates and attention, 0..1
CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "filename": "rnnviz", "scale": 2},
}


def as_numpy(x, what: str) -> np.ndarray:
    """A float64 numpy copy of a tensor / array / nested list (a TypeError otherwise)."""
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy()
    if isinstance(x, (np.ndarray, list, tuple)):
        try:
            return np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"expected {what} as a tensor or array of numbers, got {type(x).__name__}: {err}") from None
    raise TypeError(f"expected {what} as a torch.Tensor or numpy array, got {type(x).__name__}")


def round_sig(a: np.ndarray, digits: int = SIG_DIGITS) -> np.ndarray:
    """``a`` rounded to ``digits`` significant digits; NaN and inf pass through."""
    a = np.asarray(a, dtype=np.float64)
    out = a.copy()
    ok = np.isfinite(a) & (a != 0)
    mag = np.floor(np.log10(np.abs(a[ok])))
    scale = 10.0 ** (digits - 1 - mag)
    out[ok] = np.round(a[ok] * scale) / scale
    return out


def shown(a: np.ndarray, digits: int = SIG_DIGITS):
    """What a figure holds for ``a``, rounded to ``digits`` significant digits.

    A float64 array when every value is finite (fast for plotly to validate);
    nested lists with None for NaN/inf otherwise (a gap; JSON has no NaN).
    """
    r = round_sig(a, digits)
    if np.isfinite(r).all():
        return r
    obj = r.astype(object)
    obj[~np.isfinite(r)] = None
    return obj.tolist()


def as_lists(obj):
    """``obj`` with every numpy array turned into nested lists (short JSON for static pages)."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dict):
        return {k: as_lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_lists(v) for v in obj]
    return obj


def fmt(v: float) -> str:
    """One number as hover text shows it (``SIG_DIGITS`` significant digits)."""
    return "nan" if not np.isfinite(v) else f"{v:.{SIG_DIGITS}g}"


def notes_line(trace) -> str:
    """The trace's notes a viewer must see (clamped gates, dropout not applied) as a title subline."""
    notes = [n for n in getattr(trace, "notes", []) if not n.startswith("unbatched")]
    return ("<br><sup>" + "; ".join(notes) + "</sup>") if notes else ""


def check_tokens(tokens, steps: int, what: str = "time steps") -> list[str] | None:
    """Tokens as a list of strings, one per step; a ValueError that counts both otherwise."""
    if tokens is None:
        return None
    if isinstance(tokens, str):
        raise TypeError(f"expected tokens as a list of {steps} strings, got one str; split it first (e.g. text.split())")
    tokens = [str(t) for t in tokens]
    if len(tokens) != steps:
        raise ValueError(f"expected {steps} tokens, one per {what[:-1] if what.endswith('s') else what}, "
                         f"got {len(tokens)}")
    return tokens


def step_labels(steps: int, tokens: list[str] | None) -> list[str]:
    """"t · token" (or "t") for each step."""
    return [f"{t} · {tokens[t]}" if tokens else str(t) for t in range(steps)]


def time_ticks(positions: list[int], labels: list[str], most: int = MAX_TICKS) -> dict:
    """Axis settings that label at most ``most`` of the given positions."""
    every = max(1, -(-len(positions) // max(most, 2)))
    keep = list(range(0, len(positions), every))
    return {"tickmode": "array", "tickvals": [positions[i] for i in keep], "ticktext": [labels[i] for i in keep]}


def stride_for(steps: int, cells_per_step: int, max_cells: int = MAX_CELLS) -> int:
    """Keep every k-th time step so that steps/k * cells_per_step <= max_cells."""
    return max(1, -(-steps * cells_per_step // max_cells))


@dataclass
class Step:
    """One slider step: ``data`` maps trace index -> attributes to set; ``layout`` is set as is.

    ``relayout``, when given, is the same layout change in plotly.js's compact
    path form (e.g. {"shapes[0].x0": 3.5}) for the browser-side slider; frames
    and kernel-side updates use ``layout``.
    """

    label: str
    data: dict[int, dict] = field(default_factory=dict)
    layout: dict = field(default_factory=dict)
    relayout: dict | None = None


@dataclass
class Timeline:
    """The slider of a view: its steps, the one shown first, and the slider's caption."""

    steps: list[Step]
    active: int = 0
    prefix: str = "t = "

    def __len__(self) -> int:
        return len(self.steps)


_FRAME_ARGS = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}


def _restyle_args(step: Step) -> tuple[dict, list[int]]:
    """plotly.js restyle form: {attr: [value per trace]}, trace indices."""
    idx = sorted(step.data)
    attrs = sorted({a for i in idx for a in step.data[i]})
    for i in idx:
        if set(step.data[i]) != set(attrs):
            raise ValueError("every trace updated by one slider step must set the same attributes")
    return {a: [step.data[i][a] for i in idx] for a in attrs}, idx


def add_timeline(fig: dict, timeline: Timeline, animated: bool) -> dict:
    """Add the slider (and, when ``animated``, frames and Play/Pause) to a figure dict.

    The figure's data and layout must already show ``timeline.active``. Returns a
    new dict; ``fig`` is left as it was.
    """
    fig = {**fig, "layout": dict(fig.get("layout", {}))}
    layout = fig["layout"]
    steps = []
    for k, st in enumerate(timeline.steps):
        if animated:
            args = [[str(k)], _FRAME_ARGS]
            method = "animate"
        elif st.data:
            restyle, idx = _restyle_args(st)
            args, method = [restyle, st.relayout or st.layout, idx], "update"
        else:
            args, method = [st.relayout or st.layout], "relayout"
        steps.append({"label": st.label, "method": method, "args": args})
    layout["sliders"] = [{
        "active": timeline.active, "steps": steps, "pad": {"t": 50, "l": 80 if animated else 0},
        "currentvalue": {"prefix": timeline.prefix, "font": {"size": 13}}, "len": 0.9 if animated else 1.0,
        "x": 0.1 if animated else 0.0,
    }]
    if animated:
        fig["frames"] = [
            {"name": str(k), "data": [st.data[i] for i in sorted(st.data)], "traces": sorted(st.data),
             "layout": st.layout}
            for k, st in enumerate(timeline.steps)
        ]
        play = {"frame": {"duration": 500, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0}}
        layout["updatemenus"] = [{
            "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0,
            "xanchor": "left", "yanchor": "top", "pad": {"t": 60, "r": 10},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], _FRAME_ARGS]}],
        }]
    return fig


def apply_step(fig, timeline: Timeline, k: int) -> None:
    """Show step ``k`` of ``timeline`` on a FigureWidget (kernel side, in place)."""
    st = timeline.steps[k]
    with fig.batch_update():
        for i, attrs in st.data.items():
            fig.data[i].update(attrs)
        if st.layout:
            fig.layout.update(st.layout)
        fig.layout.sliders[0].active = k
