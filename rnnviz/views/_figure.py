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
import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ._style import LAPTOP, PROJECTOR, STRIP_NAME

SIG_DIGITS = 3
FIT_HEIGHT = 600        # px: a view with its slider and Play fits the ~650 px a 1366x768 laptop shows
MAX_CELLS = 105_000     # heatmap values per figure; beyond it, time is strided (and the title says so)
MAX_TICKS = 40          # labelled ticks on a time axis
WINDOW = 40             # steps a long view shows at once around the time cursor (about 18 px a step on a laptop)
WORD_WINDOW = 30        # the same for words: two strip lines then give a word about 50 px, room for 6 letters
CHAR_WINDOW = 50        # the same for single characters (one strip line)
OVERVIEW_COLS = 250     # time columns at most in the whole-sequence overview strip of a long view
STRIP_CHARS = 9         # characters of a token the token strip shows at most (the slider's label shows all of it)
STRIP_WIDTH = 740       # px: the plot area a token strip is written across on a 1366 px laptop (JupyterLab)
CHAR_PX = 7.5           # px: an average character of the strip's 13 px font
# tanh-range values, centred on 0 (zmid=0): ColorBrewer's RdBu, blue negative, white zero, red positive,
# symmetric stops so +v and -v are equally strong; written out so that the notebook view (plotly.js,
# whose own 'RdBu' has a grey middle and uneven stops) and a plain figure draw the same colours
DIVERGING = [[0.0, "rgb(5,48,97)"], [0.1, "rgb(33,102,172)"], [0.2, "rgb(67,147,195)"], [0.3, "rgb(146,197,222)"],
             [0.4, "rgb(209,229,240)"], [0.5, "rgb(247,247,247)"], [0.6, "rgb(253,219,199)"],
             [0.7, "rgb(244,165,130)"], [0.8, "rgb(214,96,77)"], [0.9, "rgb(178,24,43)"], [1.0, "rgb(103,0,31)"]]
SEQUENTIAL = "Viridis"  # gates and attention, 0..1
CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "filename": "rnnviz", "scale": 2},
}


def as_numpy(x, what: str) -> np.ndarray:
    """A float64 numpy array of a tensor / array / nested list (a TypeError otherwise); it shares memory
    with a float64 CPU tensor or array it is given, so the views only read it."""
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


class Tokens(list):
    """Token labels, one string per time step, plus what the encoder did to the text.

    A plain ``list`` of strings (so ``ids, words = encode(text)`` keeps working)
    with three optional attributes a view shows:

    - ``dropped``: how many tokens of the text were cut off (e.g. a 150-word
      review read as its last 100 words: ``dropped=50``); ``dropped_at``:
      ``"start"`` (default, the first words were cut) or ``"end"``. The view
      then says "input cut: the first 50 of 150 tokens are not shown/read".
    - ``unknown``: step indices whose token the model does not know (read as
      ``<unk>``): shown as typed, in grey italics, marked "?".
    - ``padding``: step indices that are padding, not text: grey italics, and
      their columns shaded.

    Tokens spelled ``<unk>``/``[UNK]`` or ``<pad>``/``[PAD]`` are marked so
    without being listed. An ``encode`` function returns
    ``(inputs, Tokens(words, dropped=..., unknown=...))``.
    """

    def __init__(self, tokens=(), *, dropped: int = 0, dropped_at: str = "start", unknown=(), padding=()):
        super().__init__(str(t) for t in tokens)
        if isinstance(dropped, bool) or not isinstance(dropped, (int, np.integer)) or dropped < 0:
            raise ValueError(f"expected dropped as a count of cut tokens (int >= 0), got {dropped!r}")
        if dropped_at not in ("start", "end"):
            raise ValueError(f"expected dropped_at 'start' or 'end', got {dropped_at!r}")
        self.dropped, self.dropped_at = int(dropped), dropped_at
        self.unknown = self._steps(unknown, "unknown")
        self.padding = self._steps(padding, "padding")
        for t, tok in enumerate(self):
            low = tok.lower()
            if low in ("<unk>", "[unk]"):
                self.unknown.add(t)
            elif low in ("<pad>", "[pad]"):
                self.padding.add(t)

    def _steps(self, steps, what: str) -> set[int]:
        if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
            raise TypeError(f"expected {what} as step indices (a list of ints), got {type(steps).__name__}")
        out = set()
        for t in steps:
            if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < len(self):
                raise ValueError(f"expected {what} steps in 0..{len(self) - 1}, got {t!r}")
            out.add(int(t))
        return out

    def notice(self) -> str:
        """One line saying how much input was cut ('' when nothing was)."""
        if not self.dropped:
            return ""
        total = self.dropped + len(self) - len(self.padding)
        which = "first" if self.dropped_at == "start" else "last"
        return f"input cut: the {which} {self.dropped} of {total} tokens were dropped, {len(self)} steps read"


def check_tokens(tokens, steps: int, what: str = "time steps") -> Tokens | None:
    """Tokens as a :class:`Tokens` list of strings, one per step; a ValueError that counts both otherwise."""
    if tokens is None:
        return None
    if isinstance(tokens, str):
        raise TypeError(f"expected tokens as a list of {steps} strings, got one str; split it first (e.g. text.split())")
    if not isinstance(tokens, Tokens):
        if not hasattr(tokens, "__iter__"):
            raise TypeError(f"expected tokens as a list of {steps} strings, got {type(tokens).__name__}")
        tokens = Tokens(tokens)
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


def strip_text(tokens: Tokens, chars: int = STRIP_CHARS) -> list[str]:
    """Each token as the token strip writes it: shown as text (:func:`token_text`), at most
    ``chars`` characters (then "…"), unknown and padding tokens in grey italics."""
    out = []
    for t, tok in enumerate(tokens):
        tok = str(tok)
        text = token_text(tok)
        if t in tokens.padding:
            text = f"<i>{text}</i>"
        elif t in tokens.unknown:
            text = f"<i>{text}?</i>" if tok.lower() not in ("<unk>", "[unk]") else f"<i>{text}</i>"
        out.append(_cut(text, chars))                 # the one rule that also re-cuts a strip to less room
    return out


def strip_chars(room: float, size: int) -> int:
    """Characters of a token a strip writes in ``room`` px at font ``size`` (at least 3, at most ``STRIP_CHARS``)."""
    return max(3, min(STRIP_CHARS, int(room // (CHAR_PX * size / LAPTOP.tick))))


def strip_every(room: float, size: int, every: int = 1) -> int:
    """Every how many tokens a strip writes one, so that each written token has room for 3 characters
    at font ``size`` (``room``: px per token; ``every``: the thinning it has already). Odd, so that on a
    strip whose words alternate two lines the written ones still alternate; a multiple of ``every``,
    so that a strip thinned again keeps a subset of its words."""
    need = 3 * CHAR_PX * size / LAPTOP.tick
    m = max(1, math.ceil(need / (room * every) - 1e-9))
    return every * (m if m % 2 else m + 1)


LABEL_CHARS = 20        # characters of a step's axis label ("12 · token") at most, then "…"


def tick_labels(labels: list[str], chars: int = LABEL_CHARS) -> list[str]:
    """Step labels (:func:`step_labels`) as an axis writes them: at most ``chars`` characters each,
    counted as shown (an escaped ``&lt;`` is one), so that a long token cannot push the plot aside."""
    return [_cut(label, chars) for label in labels]


def _cut(text: str, chars: int) -> str:
    """A strip entry (escaped, maybe ``<i>``-wrapped with a trailing "?") cut to ``chars`` visible characters."""
    italic = text.startswith("<i>") and text.endswith("</i>")
    inner = text[3:-4] if italic else text
    mark = "?" if italic and inner.endswith("?") else ""
    shown_ = html.unescape(inner[:len(inner) - len(mark)])
    if len(shown_) > chars:                  # a cut word keeps its first chars - 1 characters and an ellipsis
        shown_ = shown_[:chars - 1] + "…"
    out = html.escape(shown_, quote=False) + mark
    return f"<i>{out}</i>" if italic else out


def refit_strip(trace: dict, room_scale: float = 1.0, size: int = LAPTOP.tick) -> dict:
    """A token strip trace with ``room_scale`` times the room per token (a view in a narrower box)
    at font ``size``: its words cut to what fits, so neighbours do not run into each other, and thinned
    (:func:`strip_every`) where not even 3 characters a word fit."""
    meta = trace.get("meta") or {}
    room = meta.get("strip_room")
    if room is None:
        return trace
    room *= room_scale
    every = strip_every(room, size, meta.get("strip_every", 1))
    text = _thinned(trace["text"], strip_chars(room * every, size), every)
    return {**trace, "text": text, "meta": {**meta, "strip_room": room, "strip_every": every},
            "textfont": {**trace.get("textfont", {}), "size": size}}


def _thinned(text, chars: int, every: int) -> list[str]:
    """Strip entries cut to ``chars``; with ``every`` > 1 only every such entry is written (the others
    blank), when even 3 characters of each would run into their neighbours."""
    return [_cut(t, chars) if i % every == 0 else "" for i, t in enumerate(text)]


def nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """The mean over ``axis`` of the values that are not NaN; NaN, silently, where all of them are
    (a weight or norm left blank in every sample: numpy would warn "Mean of empty slice")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


STRIP_GREY, STRIP_INK = "#888", "#111"   # unknown / padding tokens, the others


def token_strip(tokens: Tokens, pos, yaxis: str, domain: list[float], visible: int | None = None) -> tuple[dict, dict]:
    """The token strip under a view's rows: a text trace writing the token of each step in ``pos``
    (words alternate two lines, so each has twice the room; unknown and padding tokens grey) and its
    y axis on ``domain``. The caller gives the trace its x values.

    ``visible``: how many of the steps the x axis shows at once (default all of ``pos``). A token
    gets as many characters as its room on a laptop holds (``STRIP_WIDTH`` / visible, twice that for
    words on two lines), at most ``STRIP_CHARS``; where even 3 would run into the neighbours, only
    every 3rd (5th, ...) token is written (:func:`strip_every`). The slider's label above the plot
    gives the whole token.
    """
    stagger = max(map(len, tokens), default=1) > 1 and len(pos) > 1
    marked = tokens.unknown | tokens.padding
    room = (2 if stagger else 1) * STRIP_WIDTH / max(1, visible or len(pos))     # px for one token
    every = strip_every(room, LAPTOP.tick)
    text = strip_text(tokens, strip_chars(room * every, LAPTOP.tick))
    trace = {"type": "scatter", "mode": "text",
             # alternate lines 0 and 1 as one byte each (a 2,000-word strip: 2.7 KB, not 10.7 as float32)
             "y": np.arange(len(pos), dtype=np.int8) % 2 if stagger else [0.5] * len(pos),
             "text": [text[t] if i % every == 0 else "" for i, t in enumerate(pos)],   # already cut
             "textfont": {"size": LAPTOP.tick, "color": [STRIP_GREY if t in marked else STRIP_INK for t in pos]
                          if marked else STRIP_INK},
             "xaxis": "x", "yaxis": yaxis, "name": STRIP_NAME, "showlegend": False,
             "hovertemplate": "t = %{x}: %{text}<extra>input</extra>",
             "meta": {"strip_room": room, "strip_every": every}}   # px a token has: the look and linked views cut words to it
    if (visible or len(pos)) >= len(pos):   # all of it in view: the first and last token may reach past the axis
        trace["cliponaxis"] = False         # ends a little instead of being cut (a window keeps the clip)
    axis = {"domain": domain, "anchor": "x", "range": [1.6, -0.6] if stagger else [0, 1],
            "showticklabels": False, "showgrid": False, "zeroline": False, "fixedrange": True}
    return trace, axis


def window_for(tokens) -> int:
    """Steps a long view shows at once: ``WINDOW`` without tokens, ``CHAR_WINDOW`` single characters,
    ``WORD_WINDOW`` words (as many as a token strip can write side by side)."""
    if tokens is None:
        return WINDOW
    return CHAR_WINDOW if max(map(len, tokens), default=1) <= 1 else WORD_WINDOW


def time_window(t: int, steps: int, width: int, fixed: bool = False) -> list[float]:
    """The x range of a ``width``-step window around step ``t``.

    Step t stands ``width // 3`` steps from the left edge, so the steps just
    read and those coming both show. ``fixed``: always there, so that column
    t stays at the same place on screen while the input slides (the range
    then reaches past 0 or the end, which show empty); else the window is
    kept inside ``0..steps-1``. A whole short sequence when ``steps <= width``.
    """
    if steps <= width:
        return [-0.5, steps - 0.5]
    lo = t - width // 3 if fixed else min(max(0, t - width // 3), steps - width)
    return [lo - 0.5, lo + width - 0.5]


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
    """The slider of a view: its steps, the one shown first, and the slider's caption.

    ``eased``: Play moves between steps with a short eased transition. plotly.js
    hides heatmap images while a transition moves a y axis's range, so a view
    whose steps move one (the windowed attention view) sets it to False.
    """

    steps: list[Step]
    active: int = 0
    prefix: str = "t = "
    eased: bool = True

    def __len__(self) -> int:
        return len(self.steps)


PLAY_FPS = 3.0   # steps per second Play shows by default


def _jump(duration_ms: float = 0) -> dict:
    """plotly.js animation options that show one frame now (the slider and Pause use it)."""
    return {"mode": "immediate", "frame": {"duration": duration_ms}, "transition": {"duration": 0}}  # redraw: default


def play_args(fps: float, eased: bool = True) -> dict:
    """Play's animation options: a steady ``fps`` steps per second, from the frame shown, eased
    (``eased``) or step by step."""
    frame = 1000.0 / fps
    move = {"duration": min(300.0, 0.5 * frame), "easing": "cubic-in-out"} if eased else {"duration": 0}
    return {"mode": "immediate", "fromcurrent": True, "frame": {"duration": frame, "redraw": True},
            "transition": move}


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
    data = fig.get("data", [])

    def typed(i: int, update: dict) -> dict:
        """A frame's update of trace i, naming the trace's type: plotly reads an update without a type
        as a scatter, and a bar (the unroll view's window box) then lost its width and base."""
        kind = data[i].get("type", "scatter") if i < len(data) else None
        return update if kind is None or "type" in update else {"type": kind, **update}

    fig["frames"] = [
        {"name": str(k), "data": [typed(i, st.data[i]) for i in sorted(st.data)], "traces": sorted(st.data),
         "layout": st.layout}
        for k, st in enumerate(timeline.steps)
    ]
    layout["updatemenus"] = list(layout.get("updatemenus", [])) + [{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0,
        "xanchor": "left", "yanchor": "top", "pad": {"t": 60, "r": 10},
        "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play_args(fps, timeline.eased)]},
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
    layout = dict(spec["layout"])
    for key, value in st.layout.items():   # an axis in a step sets some of its settings (its range), as plotly.js does
        axis = key.startswith(("xaxis", "yaxis")) and isinstance(value, dict) and isinstance(layout.get(key), dict)
        layout[key] = {**layout[key], **value} if axis else value
    return {**spec, "data": data, "layout": layout}, replace(timeline, active=k)
