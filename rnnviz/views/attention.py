"""Attention weights: a target x source heatmap with tokens, stepping through the decoder steps.

Short maps (at most ``WHOLE`` = 64 target steps and 64 source positions) show
the whole map. Longer ones (100 to 2,000 positions and more) show a window of
``ROW_WINDOW`` target steps x ``WINDOW`` source positions around the step on
the slider, with every source and (room allowing, else every k-th) step in
the window labelled, and, for one head, an overview of the whole map beside
it with a box where the window is.
"""
from __future__ import annotations

import json
import numbers
import re

import numpy as np

from . import _style
from ._display import make
from ._figure import (FIT_HEIGHT, MAX_CELLS, PLAY_FPS, SEQUENTIAL, STRIP_WIDTH, WINDOW, Step, Timeline,
                      as_numpy, check_tokens, nanmean, shown, step_labels, tick_labels, time_ticks, time_window)
from ._sources import pick_sample

_MASK = "rgba(255,255,255,0.85)"
_COLUMNS = 4  # heads per row of panels
ROW_PX = 32   # px at most per target step: one query row is a strip, not a 300 px block
PANEL_PX = 320  # px of a panel with many target steps
BAR_PX = 110    # px at least of the colour bar (its 0 .. 1 labels apart), also beside a one-row panel
HOWTO = "row = target step, column = source; yellow = large weight; each row sums to 1"
WHOLE = 64            # target steps and sources a map may have and still be drawn whole (~5 px a row)
ROW_WINDOW = 30       # target steps a long map's window shows (about 10 px a row in a 320 px panel)
OVERVIEW_SIDE = 120   # cells at most along each side of the overview (about one per 1.5 px of its ~170 px)
LONG_BYTES = 940_000  # figure JSON a long map may take, estimated before building (the limit is 1 MB)
_MAIN = 0.72          # of the plot width: the window panel of one head; the overview takes the right
_OVER_X, _OVER_Y = 0.80, 0.32   # the overview's left edge (of the width) and lower edge (of the height)
_BOX = "red"                   # the window's box on the overview, the current row's outline


def _weights(weights, sample: int | None) -> np.ndarray:
    """(heads, T, S) from (T, S), (B, T, S) or (B, heads, T, S); a ValueError naming the shape otherwise.

    ``sample`` picks a batch element; None averages over the batch.
    """
    w = as_numpy(weights, "attention weights")
    if 0 in w.shape:
        raise ValueError(f"expected attention weights with at least one target step and one source position, "
                         f"got shape {tuple(w.shape)}")
    if w.ndim == 2:
        return w[None]                                    # (1, T, S)
    if w.ndim in (3, 4):
        picked = nanmean(w, axis=0) if sample is None else w[pick_sample(sample, w.shape[0])]
        return picked[None] if w.ndim == 3 else picked    # (1, T, S) or (heads, T, S)
    raise ValueError(f"expected attention weights as (target, source), (batch, target, source) or "
                     f"(batch, heads, target, source), got shape {tuple(w.shape)}")


def _pick_heads(w: np.ndarray, heads) -> tuple[np.ndarray, list[int], str]:
    """The heads to draw, at most MAX_CELLS values in all (the title then says which)."""
    n, T, S = w.shape
    if heads is None:
        keep = list(range(max(1, min(n, MAX_CELLS // (T * S)))))
    else:
        keep = [heads] if isinstance(heads, numbers.Integral) else list(np.ravel(heads))   # numpy ints and arrays too
        if not keep or any(isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Integral) or not -n <= h < n
                           for h in keep):
            raise ValueError(f"expected heads as head indices in 0..{n - 1} (or -{n}..-1 from the end), got {heads!r}")
        keep = [int(h) % n for h in keep]
    run = keep == list(range(keep[0], keep[0] + len(keep)))
    which = (f"head {keep[0]}" if len(keep) == 1 else f"heads {keep[0]}..{keep[-1]}" if run
             else "heads " + ", ".join(map(str, keep)))
    note = "" if keep == list(range(n)) else f" ({which} of {n} shown; choose with heads=)"
    return w[keep], keep, note


LABEL_PX = 20     # px along the axis a turned source label needs (its 13-18 px font's height, and a gap)


def _grid(heads: int, T: int) -> tuple[int, float, float, float, float, int]:
    """Panels of ``heads`` heads: (columns, pw, ph, gx, gy, plot px) in paper fractions and px.

    Only the first panel of a row writes the row labels (every panel has the same target steps),
    so the gap between two panels side by side is a fixed 6 % of the plot area, whatever the
    labels' length (a gap sized to the longest label left no width for 4 panels from a
    27-character target token, and a negative one past it)."""
    cols = min(heads, _COLUMNS)
    rows = -(-heads // cols)
    gx = 0.06
    panel = min(PANEL_PX, max(ROW_PX, ROW_PX * T))            # px of one panel's plot area
    gap_px = 110 if rows > 1 else 0                            # tick labels and head name between panel rows
    plot_px = rows * panel + (rows - 1) * gap_px
    gy = gap_px / plot_px
    pw, ph = (1 - gx * (cols - 1)) / cols, panel / plot_px
    return cols, pw, ph, gx, gy, plot_px


def _colour_axis(w: np.ndarray, plot_px: int) -> dict:
    """One colour axis 0 .. 1 for every panel (weights lie in [0, 1]: fixed, never rescaled by the data)."""
    finite = w[np.isfinite(w)]                # an inf weight is a gap in the map, not the colour scale's top
    top = max(1.0, float(finite.max())) if finite.size else 1.0
    bar = {"title": {"text": "weight", "side": "right"}}   # beside the bar: on top it met the "1" label
    if plot_px < BAR_PX:                      # a thin strip of panels: a colour bar as long as them could not be read
        bar.update({"lenmode": "pixels", "len": BAR_PX, "y": 0.5, "yanchor": "middle"})
    return {"colorscale": SEQUENTIAL, "cmin": 0.0, "cmax": top, "colorbar": bar}


def _most_attended(mean: np.ndarray) -> np.ndarray:
    """(T,) the source each target step attends to most, NaN skipped (0 where a row has no finite weight).

    mean: (T, S)."""
    top = np.where(np.isnan(mean), -np.inf, mean).argmax(axis=1)
    return np.where(np.isfinite(mean).any(axis=1), top, 0)


def build_attention(weights, source_tokens=None, target_tokens=None, sample: int | None = 0, heads=None,
                    title: str | None = None, *, projector: bool = False):
    """Figure spec and timeline: one heatmap per head, rows = target steps (top first), columns = source.

    weights: (T, S), (B, T, S) or (B, heads, T, S). Slider step k shows
    target (decoder) step k: later rows are veiled and row k is outlined.
    Weights are rounded to 3 significant digits. The title says what is
    shown (``sample k`` or the mean over the batch, ``sample=None``; which
    heads) and which source the step attends to most (the largest mean weight
    over the heads shown).

    Short maps (T and S at most ``WHOLE`` = 64): the whole map; a panel
    gives a target step at most ``ROW_PX`` px (one query is a strip), at most
    ``PANEL_PX`` in all; the figure opens on the last step.

    Long maps (T or S above 64, e.g. 100 to 2,000 positions): a window of 30
    target steps x 40 sources that follows the slider, every source in it
    labelled and every target step that has a line of text's height (else
    every k-th; the slider names the step shown), an overview of the whole map with a box where the
    window is (one head), under 1 MB of figure JSON; see :func:`_build_long`.
    ``projector``: the font size the view will be drawn at (a long map's
    margin holds its longest row label at that size).
    """
    w, names, note = _pick_heads(_weights(weights, sample), heads)  # (heads, T, S)
    n, T, S = w.shape
    src = check_tokens(source_tokens, S, "source positions")
    tgt = check_tokens(target_tokens, T, "target steps")
    xl, yl = step_labels(S, src), step_labels(T, tgt)
    shape = tuple(getattr(weights, "shape", None) or np.shape(weights))
    which = (f"mean of {shape[0]} samples" if sample is None and len(shape) >= 3 else
             "" if len(shape) == 2 else f"sample {pick_sample(sample, shape[0])}")
    which = f", {which}" if which else ""
    if title:      # a mean over samples is said even under the caller's own title: it is not one sample's map
        head = title + (which if sample is None else "") + note
    else:
        head = "attention weights" + (f", {n} heads" if n > 1 else "") + which + note
    if T > WHOLE or S > WHOLE:
        return _build_long(w, names, head, xl, yl, _style.sizes(projector))
    return _build_short(w, names, head, xl, yl)


def _build_short(w: np.ndarray, names: list[int], head: str, xl: list[str], yl: list[str]):
    """The whole map, one panel per head (w: (heads, T, S), T and S at most ``WHOLE``)."""
    heads, T, S = w.shape
    cols, pw, ph, gx, gy, plot_px = _grid(heads, T)
    xt, yt = tick_labels(xl), tick_labels(yl)           # the axes' labels cut; the slider and title say it all
    # source labels a panel can hold side by side, turned -45 degrees: one per ~20 px of its width (4 heads
    # in a row leave ~100 px each on a laptop, and 20 labels piled on top of each other)
    across = max(2, int(pw * STRIP_WIDTH / LABEL_PX))
    data, layout = [], {}
    for k in range(heads):
        ax = "" if k == 0 else str(k + 1)
        r, c = divmod(k, cols)
        x0, y1 = c * (pw + gx), 1 - r * (ph + gy)
        data.append({"type": "heatmap", "z": shown(w[k]), "x": list(range(S)), "y": list(range(T)),
                     "xaxis": f"x{ax}", "yaxis": f"y{ax}", "coloraxis": "coloraxis", "name": f"head {names[k]}",
                     "hovertemplate": f"head {names[k]}<br>target %{{y}} → source %{{x}}<br>weight %{{z:.3g}}<extra></extra>"})
        layout[f"xaxis{ax}"] = {"domain": [x0, x0 + pw], "anchor": f"y{ax}", "title": {"text": "source"},
                                **time_ticks(list(range(S)), xt, across)}
        layout[f"yaxis{ax}"] = {"domain": [max(y1 - ph, 0), y1], "anchor": f"x{ax}", "autorange": "reversed",
                                "title": {"text": "target" if c == 0 else ""}, "showticklabels": c == 0,
                                **time_ticks(list(range(T)), yt)}
        if heads > 1:
            layout.setdefault("annotations", []).append({
                "text": f"head {names[k]}", "xref": f"x{ax} domain", "yref": f"y{ax} domain", "x": 0.5, "y": 1,
                "yanchor": "bottom", "yshift": 2, "showarrow": False})      # just above the panel (room: _style)
    layout["coloraxis"] = _colour_axis(w, plot_px)
    # title block and source labels ~170 px, the slider and Play ~90 px more when there are steps to move through
    layout.update({"height": min(FIT_HEIGHT, 170 + plot_px + (90 if T > 1 else 0))})
    steps = []
    best = _most_attended(nanmean(w, axis=0))          # (T,)
    over_heads = f" (mean over the {heads} heads)" if heads > 1 else ""    # a head of its own may differ
    for t in range(T):
        shapes = []
        for k in range(heads):
            ax = "" if k == 0 else str(k + 1)
            shapes.append({"type": "rect", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                           "y0": t + 0.5, "y1": T - 0.5, "fillcolor": _MASK, "line": {"width": 0}, "layer": "above"})
            shapes.append({"type": "rect", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                           "y0": t - 0.5, "y1": t + 0.5, "line": {"color": "red", "width": 2}})
        steps.append(Step(yl[t], layout={"shapes": shapes, "title": {
            "text": f"{head}: target step {yl[t]} attends most to source {xl[best[t]]}{over_heads}<br><sup>{HOWTO}</sup>",
            "x": 0.01}}))
    timeline = Timeline(steps, active=T - 1, prefix="target step ")
    layout.update(steps[-1].layout)
    return {"data": data, "layout": layout}, timeline


def _ordinal(k: int) -> str:
    """2nd, 3rd, 4th, 11th, 21st ..."""
    return f"{k}{'th' if k % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def _pool_max(a: np.ndarray, side: int) -> tuple[np.ndarray, int, int]:
    """(``a`` (T, S) as the largest value of each pr x pc block, pr, pc): at most ``side`` blocks a side.

    The largest, not the mean, so that one strong weight stays visible; NaN where a block has no value.
    """
    T, S = a.shape
    pr, pc = -(-T // side), -(-S // side)
    if pr == pc == 1:
        return a, 1, 1
    R, C = -(-T // pr), -(-S // pc)
    padded = np.full((R * pr, C * pc), -np.inf)
    padded[:T, :S] = np.where(np.isnan(a), -np.inf, a)
    m = padded.reshape(R, pr, C, pc).max(axis=(1, 3))                     # (R, C)
    return np.where(np.isneginf(m), np.nan, m), pr, pc


def _json_len(obj) -> int:
    return len(json.dumps(obj, separators=(",", ":")))


def _cell_bytes(values: np.ndarray) -> float:
    """JSON bytes a value of ``values`` (1-D) takes in a figure, rounded as shown, from 20,000 of them at most."""
    sample = values[:: max(1, values.size // 20_000)][:20_000]
    return (_json_len(np.asarray(shown(sample), dtype=object).tolist()) - 1) / sample.size


class _Plan:
    """What a long map keeps: every ``k``-th target step (rows and slider steps, ``pos``) and, per head,
    either the whole map (``blocks`` None) or blocks of rows (first, end, first column, end column)
    holding only the cells some window shows; ``bytes``: the figure JSON estimated."""

    def __init__(self, k: int, pos: np.ndarray, blocks: list[tuple[int, int, int, int]] | None, size: float):
        self.k, self.pos, self.blocks, self.bytes = k, pos, blocks, int(size)


def _window_starts(centre: np.ndarray, steps: int, width: int) -> np.ndarray:
    """First position of the ``width``-wide window around each of ``centre`` (as :func:`time_window`:
    the centre a third from the start, the window kept inside ``0 .. steps-1``)."""
    return np.clip(centre - width // 3, 0, max(0, steps - width))


def _row_starts(t, steps: int, width: int):
    """First target step of the ``width``-row window that shows step ``t`` two thirds down (a third
    from its bottom), kept inside ``0 .. steps-1``: the rows above it, already computed, fill most of the
    window, and the rows still veiled the rest. ``t``: an int or an array of them."""
    return np.clip(np.asarray(t) - (width - 1 - width // 3), 0, max(0, steps - width))


def _plan(w: np.ndarray, follow: np.ndarray, rw: int, cw: int, step_bytes: np.ndarray, fixed_bytes: int,
          row_tick_bytes: np.ndarray, over_cells: int) -> _Plan:
    """The smallest stride k whose figure JSON, estimated, stays under ``LONG_BYTES``.

    w: (heads, T, S); follow: (T,) the source column each step's window follows; rw x cw: the
    window (target steps x sources; T and S when a side is not windowed); step_bytes: (T,) the JSON
    a slider step and its frame take (with k = 1); fixed_bytes: the rest but values;
    row_tick_bytes: (T,) the y tick value and label of each target step; over_cells: values in the
    overview. First the whole map (of the kept rows) is tried, then only the cells some window
    shows, in blocks of about a third of a window of rows.
    """
    heads, T, S = w.shape
    cell = _cell_bytes(w.reshape(-1))
    per_trace = 260                                        # a heatmap's keys, name and hover template
    for k in range(1, T + 1):
        pos = np.arange(0, T, k)
        n = len(pos)
        rest = fixed_bytes + int(step_bytes[pos].sum()) + int(row_tick_bytes[pos].sum()) + over_cells * cell
        size = rest + heads * (n * S * cell + per_trace)
        if size <= LONG_BYTES:
            return _Plan(k, pos, None, size)               # the whole map (of the kept steps)
        if cw >= S:                                        # every window shows every column: keep fewer steps
            continue
        c0 = _window_starts(follow[pos], S, cw)            # the window at step pos[j]: columns c0[j] .. c0[j]+cw-1
        r0 = _row_starts(pos, T, rw) - 0.5                 # ... and target steps r0[j] .. r0[j]+rw (edges)
        first = np.searchsorted(pos + k / 2, r0, side="right")       # kept rows whose cell reaches into it
        end = np.searchsorted(pos - k / 2, r0 + rw, side="left")
        lo, hi = np.full(n, S), np.zeros(n, dtype=int)
        for j in range(n):
            a, b = first[j], end[j]
            np.minimum(lo[a:b], c0[j], out=lo[a:b])
            np.maximum(hi[a:b], c0[j] + cw, out=hi[a:b])
        rows = max(1, round(rw / 3 / k))
        blocks = [(s, min(s + rows, n), int(lo[s:s + rows].min()), int(hi[s:s + rows].max()))
                  for s in range(0, n, rows)]
        cells = sum((e - s) * (b1 - b0) for s, e, b0, b1 in blocks)
        band = np.concatenate([w[:, pos[s:e], b0:b1].ravel() for s, e, b0, b1 in blocks])
        size = rest + heads * (cells * _cell_bytes(band) + len(blocks) * per_trace)
        if size <= LONG_BYTES:
            return _Plan(k, pos, blocks, size)
    return _Plan(T, np.arange(0, T, T), None, 0)           # not reached: one kept step always fits


def _build_long(w: np.ndarray, names: list[int], head: str, xl: list[str], yl: list[str], size: _style.Sizes):
    """A long map (w: (heads, T, S), T or S above ``WHOLE``): a window that follows the slider.

    - The window (one head): ``ROW_WINDOW`` (30) target steps x ``WINDOW``
      (40) sources, the whole of a side that is not longer (projector size:
      18 x 29, so that its larger labels stay as far apart). Slider step t
      shows target step t about two thirds down the window (outlined in
      red, later rows veiled as in a short map), so the rows already computed
      fill most of it, and the source column the
      window follows about a third from its left: the source step t attends
      to most (largest mean weight over the heads shown), so the row's
      strongest weight is always in view, for self-attention too (a recall
      task's query looks far back, not at its own neighbours).
      The window is kept inside the map (near the ends step t moves within
      it), so it is always full. Each step's frame sets the axis ranges, the
      veil and outline: plain figure JSON, no kernel. Every source in the
      window is labelled, and every target step where rows are a line of
      tick text apart (else every k-th row: styling thins them, see
      ``_style``); plotly's zoom and pan reach the rest.
    - One head: the whole map beside the window (axes x2/y2), each cell the
      largest weight of a block of positions (at most ``OVERVIEW_SIDE``
      cells a side; exact values when the map is smaller), with a red box
      (trace "window shown") where the window is. Several heads: every panel
      shows the same window, smaller in proportion to its panel so that its
      labels stay as far apart, and no overview (``heads=k`` picks one head
      and gives it one).
    - The title, one for every step, says what is shown (sample or batch
      mean, heads), the window ("window: 30 of 2000 target steps × 40 of
      2000 sources") and any step kept out; the step's own words (target
      step t, the source it attends to most) are the slider's caption
      (a title per frame would take a third of the budget at 2,000 steps).
    - Size: the figure JSON (frames included) is estimated before building
      and kept under ``LONG_BYTES``: the whole map at full resolution when it
      fits, else only the cells some window shows (still at full
      resolution, in blocks of rows: heatmap traces with x0/y0); when even
      that does not fit, every k-th target step is kept (its row and its
      slider step) and the title says so ("every 4th target step shown":
      a 2,000 x 2,000 map).
    - The window panels' margins are fixed (no plotly automargin: labels of
      different widths from step to step made plotly.js move the plot area
      during the animation and draw the heatmap off its axes): the left one
      holds the longest row label at ``size``, the bottom one (``_style``) the
      longest source label.
    - Opens on the last step, as a short map does.
    """
    heads, T, S = w.shape
    over = heads == 1
    # projector fonts are larger and its title takes more of the height: fewer rows and columns, as far apart
    scale = _style.LAPTOP.tick / size.tick
    rw, cw = round(ROW_WINDOW * scale ** 1.5), round(WINDOW * scale)
    if over:
        panel = PANEL_PX if T > ROW_WINDOW else min(PANEL_PX, max(ROW_PX, ROW_PX * T))
        plot_px, cols = panel, 1
        panels = [(0.0, _MAIN, 0.0, 1.0)]                                    # x0, x1, y0, y1 of the panel
    else:
        cols, pw, ph, gx, gy, plot_px = _grid(heads, T)
        panels = []
        for h in range(heads):
            r, c = divmod(h, cols)
            x0, y1 = c * (pw + gx), 1 - r * (ph + gy)
            panels.append((x0, x0 + pw, max(y1 - ph, 0), y1))
        rw, cw = max(6, round(rw * ph)), max(8, round(cw * pw / _MAIN))    # labels as far apart
    rows_win, cols_win = T > rw, S > cw
    rw, cw = min(rw, T), min(cw, S)
    mean = nanmean(w, axis=0) if heads > 1 else w[0]  # (T, S)
    best = _most_attended(mean)                          # (T,) the source column each step's window follows

    def x_range(t: int) -> list[float]:
        return time_window(int(best[t]), S, cw)

    def y_range(t: int) -> list[float]:                  # reversed: the first target step on top
        lo = int(_row_starts(t, T, rw))
        return [lo + rw - 0.5, lo - 0.5]

    parts = ([f"{rw} of {T} target steps"] if rows_win else []) + ([f"{cw} of {S} sources"] if cols_win else [])
    where = "box in the whole map at right" if over else "the same in every head"
    window_note = f"window: {' × '.join(parts)} ({where})"

    def title(k: int, lead: str = "") -> str:          # one for every step (a step's own words: its slider label)
        every = f"; every {_ordinal(k)} target step shown ({-(-rw // k)} rows in the window)" if k > 1 else ""
        return f"{head}{lead}<br><sup>{window_note}{every}; {HOWTO}</sup>"

    def label(t: int) -> str:
        return f"{yl[t]}, attends most to source {xl[best[t]]}" + (f" (mean over the {heads} heads)" if heads > 1 else "")

    # sizes in JSON (estimated, styled and framed; checked against the built figures) for the plan
    per_head = 45 * rows_win + 45 * cols_win + 260        # its axis ranges, its veil and outline
    step_bytes = np.array([_json_len(label(t)) + 200 + heads * per_head + (100 if over else 0) for t in range(T)])
    row_ticks = np.array([_json_len(yl[t]) + len(str(t)) + 2 for t in range(T)])
    fixed = 6000 + heads * 900 + _json_len(xl) + _json_len(list(range(S)))
    over_cells = -(-T // -(-T // OVERVIEW_SIDE)) * -(-S // -(-S // OVERVIEW_SIDE)) if over else 0   # as _pool_max
    plan = _plan(w, best, rw, cw, step_bytes, fixed, row_ticks, over_cells)
    k, pos = plan.k, plan.pos
    kept = [int(t) for t in pos]
    n = len(kept)

    data, layout = [], {}
    xt, yt = tick_labels(xl), tick_labels(yl)           # the axes' labels cut; the slider and title say it all
    x_ticks = {"tickmode": "array", "tickvals": list(range(S)), "ticktext": xt}             # every one: not thinned
    y_ticks = {"tickmode": "array", "tickvals": kept, "ticktext": [yt[t] for t in kept]}
    for h in range(heads):
        ax = "" if h == 0 else str(h + 1)
        x0, x1, y0, y1 = panels[h]
        trace = {"type": "heatmap", "xaxis": f"x{ax}", "yaxis": f"y{ax}", "coloraxis": "coloraxis",
                 "name": f"head {names[h]}", "dx": 1, "dy": k,
                 "hovertemplate": f"head {names[h]}<br>target %{{y}} → source %{{x}}<br>weight %{{z:.3g}}<extra></extra>"}
        if plan.blocks is None:
            data.append({**trace, "z": shown(w[h][pos]), "x0": 0, "y0": 0})
        else:                                                # only the cells a window shows, row block by row block
            for s, e, c0, c1 in plan.blocks:
                data.append({**trace, "z": shown(w[h][pos[s:e], c0:c1]), "x0": c0, "y0": kept[s]})
        layout[f"xaxis{ax}"] = {"domain": [x0, x1], "anchor": f"y{ax}", "title": {"text": "source"},
                                "range": x_range(kept[-1]), "automargin": False, **x_ticks}
        layout[f"yaxis{ax}"] = {"domain": [y0, y1], "anchor": f"x{ax}", "range": y_range(kept[-1]),
                                "automargin": False, "title": {"text": "target" if h % cols == 0 else ""},
                                "showticklabels": h % cols == 0, **y_ticks}   # the same rows in every head of a row
        if heads > 1:
            layout.setdefault("annotations", []).append({
                "text": f"head {names[h]}", "xref": f"x{ax} domain", "yref": f"y{ax} domain", "x": 0.5, "y": 1,
                "yanchor": "bottom", "yshift": 2, "showarrow": False})
    box = None
    if over:
        z, pr, pc = _pool_max(w[0], OVERVIEW_SIDE)
        pooled = ("" if pr == pc == 1 else f"{pc} sources" if pr == 1 else f"{pr} steps" if pc == 1 else
                  f"{pr} × {pc}")
        what = f"largest weight of {pooled} around it: %{{z:.3g}}" if pooled else "weight %{z:.3g}"
        data.append({"type": "heatmap", "z": shown(z), "x0": (pc - 1) / 2, "dx": pc, "y0": (pr - 1) / 2, "dy": pr,
                     "xaxis": "x2", "yaxis": "y2", "coloraxis": "coloraxis", "name": "whole map",
                     "hovertemplate": f"whole map: target %{{y:.0f}} → source %{{x:.0f}}<br>{what}<extra></extra>"})
        box = len(data)
        data.append({"type": "scatter", "mode": "lines", "x": [], "y": [], "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": _BOX, "width": 2}, "hoverinfo": "skip", "showlegend": False,
                     "name": "window shown"})
        layout["xaxis2"] = {"domain": [_OVER_X, 1.0], "anchor": "y2", "range": [-0.5, S - 0.5], "fixedrange": True,
                            "showgrid": False, "ticks": "outside", "nticks": 4,
                            "title": {"text": "whole map" + (f"<br>(max of {pooled})" if pooled else "")}}
        layout["yaxis2"] = {"domain": [_OVER_Y if T > ROW_WINDOW else 0.0, 1.0], "anchor": "x2",
                            "range": [T - 0.5, -0.5], "fixedrange": True, "showgrid": False, "ticks": "outside",
                            **({"nticks": 5} if T > 10 else {"tickmode": "array", "tickvals": list(range(T))})}
    longest = max(len(re.sub(r"&\w+;", "x", yt[t])) for t in kept)          # characters, an entity as one
    layout["margin"] = {"l": int(0.62 * size.tick * longest + 14 + 1.5 * size.axis + 10)}
    layout["coloraxis"] = _colour_axis(w, plot_px)
    layout["height"] = FIT_HEIGHT if over and T > ROW_WINDOW else min(FIT_HEIGHT, 170 + plot_px + (90 if n > 1 else 0))

    steps = []
    for t in kept:
        frame: dict = {"shapes": []}
        for h in range(heads):
            ax = "" if h == 0 else str(h + 1)
            if cols_win:                                 # a side shown whole keeps its range
                frame[f"xaxis{ax}"] = {"range": x_range(t)}
            if rows_win:
                frame[f"yaxis{ax}"] = {"range": y_range(t)}
            ref = {"xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1}
            frame["shapes"] += [{"type": "rect", **ref, "y0": t + k / 2, "y1": max(T - 0.5, t + k / 2),
                                 "fillcolor": _MASK, "line": {"width": 0}, "layer": "above"},
                                {"type": "rect", **ref, "y0": t - k / 2, "y1": t + k / 2,
                                 "line": {"color": _BOX, "width": 2}}]
        moved = {}
        if box is not None:
            (xa, xb), (yb, ya) = x_range(t), y_range(t)
            moved[box] = {"x": [xa, xb, xb, xa, xa], "y": [ya, ya, yb, yb, ya]}
        steps.append(Step(label(t), data=moved, layout=frame))
    # plotly.js hides heatmap images while an eased transition moves the window: step by step
    timeline = Timeline(steps, active=n - 1, prefix="target step ", eased=False)
    layout["title"] = {"text": title(k, f": target step {label(kept[0])}" if n == 1 else ""), "x": 0.01}  # no slider
    last = steps[-1]
    for i, attrs in last.data.items():
        data[i].update(attrs)
    for key, value in last.layout.items():                   # a step sets an axis's range, not the axis
        if key.startswith(("xaxis", "yaxis")):
            layout[key].update(value)
        else:
            layout[key] = value
    return {"data": data, "layout": layout}, timeline


def attention_view(weights, source_tokens=None, target_tokens=None, *, sample: int | None = 0, heads=None,
                   title: str | None = None, widget: bool | None = None, fps: float = PLAY_FPS,
                   projector: bool | None = None):
    """Show attention weights as a target x source heatmap with tokens, one panel per head.

    weights: (target, source), (batch, target, source), or (batch, heads,
    target, source) as ``nn.MultiheadAttention(..., average_attn_weights=False)``
    returns; ``sample`` picks the batch element (None: the mean over the
    batch, and the title says so), ``heads`` the head indices to
    draw (default: all that fit in the size budget). source_tokens / target_tokens:
    one label per source position / target step. The slider steps through the
    decoder steps in the browser; Play shows ``fps`` steps per second.
    ``projector``: projector-sized fonts (None: the global switch).

    Maps longer than 40 steps or sources (100 to 2,000 and more) show a window
    of 30 target steps x 40 sources that follows the slider, every source in
    it labelled and every target step that has room (else every k-th), and
    (one head) an overview of the whole map with a box where the window is;
    a 2,000 x 2,000 map builds in well under a second and stays under 1 MB
    (every k-th target step is kept when needed: the title says so). See
    :func:`build_attention`.
    """
    big = _style.resolve(projector)
    spec, timeline = build_attention(weights, source_tokens, target_tokens, sample, heads, title, projector=big)
    return make(spec, timeline, widget, fps=fps, title="rnnviz attention view", projector=big)
