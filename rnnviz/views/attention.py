"""Attention weights: a target x source heatmap with tokens, stepping through the decoder steps."""
from __future__ import annotations

import numpy as np

from ._display import make
from ._figure import (FIT_HEIGHT, MAX_CELLS, PLAY_FPS, SEQUENTIAL, Step, Timeline, as_numpy, check_tokens, shown, step_labels,
                      time_ticks)
from ._sources import pick_sample

_MASK = "rgba(255,255,255,0.85)"
_COLUMNS = 4  # heads per row of panels
ROW_PX = 32   # px at most per target step: one query row is a strip, not a 300 px block
PANEL_PX = 320  # px of a panel with many target steps
BAR_PX = 110    # px at least of the colour bar (its 0 .. 1 labels apart), also beside a one-row panel
HOWTO = "row = target step, column = source; yellow = large weight; each row sums to 1"


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
        picked = np.nanmean(w, axis=0) if sample is None else w[pick_sample(sample, w.shape[0])]
        return picked[None] if w.ndim == 3 else picked    # (1, T, S) or (heads, T, S)
    raise ValueError(f"expected attention weights as (target, source), (batch, target, source) or "
                     f"(batch, heads, target, source), got shape {tuple(w.shape)}")


def _pick_heads(w: np.ndarray, heads) -> tuple[np.ndarray, list[int], str]:
    """The heads to draw, at most MAX_CELLS values in all (the title then says which)."""
    n, T, S = w.shape
    if heads is None:
        keep = list(range(max(1, min(n, MAX_CELLS // (T * S)))))
    else:
        keep = [heads] if isinstance(heads, int) else list(heads)
        if not keep or any(isinstance(h, bool) or not isinstance(h, int) or not 0 <= h < n for h in keep):
            raise ValueError(f"expected heads as head indices in 0..{n - 1}, got {heads!r}")
    note = "" if len(keep) == n else f" (heads {keep[0]}..{keep[-1]} of {n} shown; choose with heads=)"
    return w[keep], keep, note


def build_attention(weights, source_tokens=None, target_tokens=None, sample: int | None = 0, heads=None,
                    title: str | None = None):
    """Figure spec and timeline: one heatmap per head, rows = target steps (top first), columns = source.

    Slider step k shows decoder step k: later rows are veiled and row k is
    outlined. Weights are rounded to 3 significant digits. A panel gives a
    target step at most ``ROW_PX`` px (one query is a strip), at most
    ``PANEL_PX`` in all. The title says what is shown: ``sample k`` or the
    mean over the batch (``sample=None``).
    """
    w, names, note = _pick_heads(_weights(weights, sample), heads)  # (heads, T, S)
    heads, T, S = w.shape
    src = check_tokens(source_tokens, S, "source positions")
    tgt = check_tokens(target_tokens, T, "target steps")
    xl, yl = step_labels(S, src), step_labels(T, tgt)
    cols = min(heads, _COLUMNS)
    rows = -(-heads // cols)
    gx = 0.06
    panel = min(PANEL_PX, max(ROW_PX, ROW_PX * T))            # px of one panel's plot area
    gap_px = 110 if rows > 1 else 0                            # tick labels and head name between panel rows
    plot_px = rows * panel + (rows - 1) * gap_px
    gy = gap_px / plot_px
    pw, ph = (1 - gx * (cols - 1)) / cols, panel / plot_px
    data, layout = [], {}
    for k in range(heads):
        ax = "" if k == 0 else str(k + 1)
        r, c = divmod(k, cols)
        x0, y1 = c * (pw + gx), 1 - r * (ph + gy)
        data.append({"type": "heatmap", "z": shown(w[k]), "x": list(range(S)), "y": list(range(T)),
                     "xaxis": f"x{ax}", "yaxis": f"y{ax}", "coloraxis": "coloraxis", "name": f"head {names[k]}",
                     "hovertemplate": f"head {names[k]}<br>target %{{y}} → source %{{x}}<br>weight %{{z}}<extra></extra>"})
        layout[f"xaxis{ax}"] = {"domain": [x0, x0 + pw], "anchor": f"y{ax}", "title": {"text": "source"},
                                **time_ticks(list(range(S)), xl)}
        layout[f"yaxis{ax}"] = {"domain": [max(y1 - ph, 0), y1], "anchor": f"x{ax}", "autorange": "reversed",
                                "title": {"text": "target" if c == 0 else ""}, **time_ticks(list(range(T)), yl)}
        if heads > 1:
            layout.setdefault("annotations", []).append({
                "text": f"head {names[k]}", "xref": f"x{ax} domain", "yref": f"y{ax} domain", "x": 0.5, "y": 1,
                "yanchor": "bottom", "yshift": 2, "showarrow": False})      # just above the panel (room: _style)
    top = max(1.0, float(np.nanmax(w))) if np.isfinite(w).any() else 1.0   # weights lie in [0, 1]: fixed
    bar = {"title": {"text": "weight"}}
    if plot_px < BAR_PX:                      # a thin strip of panels: a colour bar as long as them could not be read
        bar.update({"lenmode": "pixels", "len": BAR_PX, "y": 0.5, "yanchor": "middle"})
    layout["coloraxis"] = {"colorscale": SEQUENTIAL, "cmin": 0.0, "cmax": top, "colorbar": bar}
    # title block and source labels ~170 px, the slider and Play ~90 px more when there are steps to move through
    layout.update({"height": min(FIT_HEIGHT, 170 + plot_px + (90 if T > 1 else 0))})
    shape = tuple(getattr(weights, "shape", None) or np.shape(weights))
    which = (f"mean of {shape[0]} samples" if sample is None and len(shape) >= 3 else
             "" if len(shape) == 2 else f"sample {sample}")
    which = f", {which}" if which else ""
    head = (title or ("attention weights" + (f", {heads} heads" if heads > 1 else "") + which)) + note
    steps = []
    mean = np.nanmean(w, axis=0)                          # (T, S)
    for t in range(T):
        shapes = []
        for k in range(heads):
            ax = "" if k == 0 else str(k + 1)
            shapes.append({"type": "rect", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                           "y0": t + 0.5, "y1": T - 0.5, "fillcolor": _MASK, "line": {"width": 0}, "layer": "above"})
            shapes.append({"type": "rect", "xref": f"x{ax} domain", "yref": f"y{ax}", "x0": 0, "x1": 1,
                           "y0": t - 0.5, "y1": t + 0.5, "line": {"color": "red", "width": 2}})
        best = int(np.nanargmax(mean[t])) if np.isfinite(mean[t]).any() else 0
        steps.append(Step(yl[t], layout={"shapes": shapes, "title": {
            "text": f"{head}: target step {yl[t]} attends most to source {xl[best]}<br><sup>{HOWTO}</sup>",
            "x": 0.01}}))
    timeline = Timeline(steps, active=T - 1, prefix="target step ")
    layout.update(steps[-1].layout)
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
    """
    spec, timeline = build_attention(weights, source_tokens, target_tokens, sample, heads, title)
    return make(spec, timeline, widget, fps=fps, title="rnnviz attention view", projector=projector)
