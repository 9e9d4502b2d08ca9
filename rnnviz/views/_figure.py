"""Shared figure helpers: rounding, token labels, the client-side time axis.

Every view is a plotly figure plus a :class:`Timeline`: one entry per slider
step, each a small update (new y values for some traces, new shapes and
title). The timeline becomes either

animation ``frames`` with a slider whose steps jump to a frame and a
Play/Pause pair that runs them (:func:`add_timeline`): time lives in
plotly.js, in a notebook, a saved notebook and an exported page alike.

Documented rounding: values shown are the captured values rounded to
``SIG_DIGITS`` significant digits (float64, NaN shown as a gap).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import torch

SIG_DIGITS = 3
FIT_HEIGHT = 600        # px: a view with its slider and Play fits the ~650 px a 1366x768 laptop shows
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


_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def token_text(token: str) -> str:
    """A token as a figure shows it: text, never markup (plotly reads ``<b>``, ``<a href>``...
    in labels, so ``<``, ``>`` and ``&`` are escaped), whitespace and control characters
    visible (space ␣, newline ↵, tab ⇥, others as their U+2400 symbol), an empty token as ∅."""
    shown_ = "".join(_VISIBLE.get(c, chr(0x2400 + ord(c)) if ord(c) < 32 else c) for c in str(token))
    return html.escape(shown_, quote=False) if shown_ else "∅"


def step_labels(steps: int, tokens: list[str] | None) -> list[str]:
    """"t · token" (or "t") for each step, the token shown as text (see :func:`token_text`)."""
    return [f"{t} · {token_text(tokens[t])}" if tokens else str(t) for t in range(steps)]


def symmetric_range(values: np.ndarray) -> float:
    """The colour range ±m for tanh-range values: m = 1, or the largest |value| when it exceeds 1
    (e.g. a ReLU RNN), so that a colour means the same value whatever the input or clamp."""
    finite = np.abs(values[np.isfinite(values)])
    return max(1.0, float(finite.max())) if finite.size else 1.0


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
    """One slider step: ``data`` maps trace index -> attributes to set; ``layout`` is set as is."""

    label: str
    data: dict[int, dict] = field(default_factory=dict)
    layout: dict = field(default_factory=dict)


@dataclass
class Timeline:
    """The slider of a view: its steps, the one shown first, and the slider's caption."""

    steps: list[Step]
    active: int = 0
    prefix: str = "t = "

    def __len__(self) -> int:
        return len(self.steps)


PLAY_FPS = 3.0   # steps per second Play shows by default


def _jump(duration_ms: float = 0) -> dict:
    """plotly.js animation options that show one frame now (the slider and Pause use it)."""
    return {"mode": "immediate", "frame": {"duration": duration_ms, "redraw": True},
            "transition": {"duration": 0}}


def play_args(fps: float) -> dict:
    """Play's animation options: a steady ``fps`` steps per second, eased, from the frame shown."""
    frame = 1000.0 / fps
    return {"mode": "immediate", "fromcurrent": True, "frame": {"duration": frame, "redraw": True},
            "transition": {"duration": min(300.0, 0.5 * frame), "easing": "cubic-in-out"}}


def check_fps(fps) -> float:
    """A checked Play rate in steps per second."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0.1 <= fps <= 30:
        raise ValueError(f"expected fps as steps per second between 0.1 and 30, got {fps!r}")
    return float(fps)


def add_timeline(fig: dict, timeline: Timeline, fps: float = PLAY_FPS) -> dict:
    """Add animation frames, the time slider and the Play/Pause buttons to a figure dict.

    One frame per timeline step (named by its index); the slider's steps jump to
    a frame and Play runs the frames from the one shown, so the slider follows
    Play and Play starts where the slider stands: one control, all in plotly.js
    (the browser), never the kernel. The figure's data and layout must already
    show ``timeline.active``. Returns a new dict; ``fig`` is left as it was.
    """
    fig = {**fig, "layout": dict(fig.get("layout", {}))}
    layout = fig["layout"]
    steps = [{"label": st.label, "method": "animate", "args": [[str(k)], _jump()]}
             for k, st in enumerate(timeline.steps)]
    layout["sliders"] = [{
        "active": timeline.active, "steps": steps, "pad": {"t": 50, "l": 130}, "len": 1.0, "x": 0.0,
        "currentvalue": {"prefix": timeline.prefix, "font": {"size": 14}}, "transition": {"duration": 0},
    }]
    fig["frames"] = [
        {"name": str(k), "data": [st.data[i] for i in sorted(st.data)], "traces": sorted(st.data),
         "layout": st.layout}
        for k, st in enumerate(timeline.steps)
    ]
    layout["updatemenus"] = [{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0,
        "xanchor": "left", "yanchor": "top", "pad": {"t": 60, "r": 10},
        "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play_args(fps)]},
                    {"label": "❚❚", "method": "animate", "args": [[None], _jump()]}],
    }]
    return fig


def at_step(spec: dict, timeline: Timeline, k: int) -> tuple[dict, Timeline]:
    """``spec`` and ``timeline`` showing step ``k`` (0-based, clipped): its data and layout applied."""
    k = max(0, min(int(k), len(timeline) - 1))
    st = timeline.steps[k]
    data = [dict(tr) for tr in spec["data"]]
    for i, attrs in st.data.items():
        data[i].update(attrs)
    layout = {**spec["layout"], **st.layout}
    return {**spec, "data": data, "layout": layout}, Timeline(timeline.steps, k, timeline.prefix)
