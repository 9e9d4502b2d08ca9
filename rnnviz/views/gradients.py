"""The norm of dL/dh_t against t on a log scale: vanishing and exploding gradients made visible."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

from ..gradients import GradientFlow, GradientRecorder
from . import _display
from ._display import make
from ._figure import PLAY_FPS, Step, Timeline, as_numpy, check_tokens, fmt, shown, step_labels, time_ticks
from ._sources import pick_sample

HOWTO = ("one line per layer (dotted: the input); log scale, a grid line per factor 10; "
         "lower on the left = the gradient vanishes going back in time")
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _curves(flow: GradientFlow, sample: int | None) -> tuple[list[tuple[str, np.ndarray]], bool]:
    """(name, norms over t) per layer and direction, then the inputs; mean over the batch when sample
    is None. Also whether a drawn norm is inf or NaN at a step the sample (any sample, for the mean)
    really has: NaN past a sample's length is padding, not a blow-up."""
    if not isinstance(flow, GradientFlow):
        raise TypeError(f"expected an rnnviz.GradientFlow, got {type(flow).__name__}")
    h = as_numpy(flow.hidden, "GradientFlow.hidden")      # (L, D, B, T)
    x = as_numpy(flow.inputs, "GradientFlow.inputs")      # (B, T)
    if h.ndim != 4 or x.ndim != 2 or x.shape != h.shape[2:]:
        raise ValueError(f"expected GradientFlow.hidden (L, D, B, T) and inputs (B, T), got {h.shape} and {x.shape}")
    L, D, B, T = h.shape
    valid = _valid(flow, B, T)                            # (B, T)
    if sample is None:
        h, x = _batch_mean(h, valid, axis=2), _batch_mean(x, valid, axis=0)   # (L, D, T), (T,)
        real = valid.any(axis=0)                          # (T,)
    else:
        b = pick_sample(sample, B)
        h, x, real = h[:, :, b], x[b], valid[b]
    bad = not (np.isfinite(h[..., real]).all() and np.isfinite(x[real]).all())
    out = [(f"layer {l}" + (" ←" if d else " →" if D == 2 else ""), h[l, d]) for l in range(L) for d in range(D)]
    return out + [("input x<sub>t</sub>", x)], bad


def _valid(flow: GradientFlow, B: int, T: int) -> np.ndarray:
    """(B, T) True at the steps a sample really has (before its length)."""
    if flow.lengths is None:
        return np.ones((B, T), dtype=bool)
    lengths = as_numpy(flow.lengths, "GradientFlow.lengths").reshape(-1)
    return np.arange(T)[None, :] < lengths[:, None]


def _batch_mean(a: np.ndarray, valid: np.ndarray, axis: int) -> np.ndarray:
    """The mean over the batch ``axis`` of the samples that have step t: the NaN past a sample's
    length is left out, but an inf or NaN norm at a real step makes the mean inf/NaN (a gap), so
    one sample's blow-up is not hidden by averaging the others. NaN where no sample has step t."""
    shape = [1] * a.ndim
    shape[axis], shape[-1] = valid.shape
    mask = valid.reshape(shape)
    with np.errstate(all="ignore"):
        return np.where(mask, a, 0.0).sum(axis=axis) / mask.sum(axis=axis)


def _positive(y: np.ndarray) -> list:
    """Values a log axis can draw: zero, inf and NaN become gaps."""
    y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
    return shown(y)


def _models(source) -> dict[str, list]:
    """name -> list of (training step or None, GradientFlow)."""
    if isinstance(source, GradientFlow):
        return {source.kind or "model": [(None, source)]}
    if isinstance(source, GradientRecorder):
        source = source.records
    if isinstance(source, dict):
        if not source:
            raise ValueError("expected a non-empty dict of name -> GradientFlow")
        return {str(k): _models(v)[next(iter(_models(v)))] for k, v in source.items()}
    if isinstance(source, (list, tuple)):
        if not source or not all(isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], GradientFlow)
                                 for r in source):
            raise ValueError("expected a non-empty list of (step, GradientFlow) pairs, as GradientRecorder.records")
        return {source[0][1].kind or "model": [(int(s), f) for s, f in source]}
    raise TypeError(f"expected a GradientFlow, a dict name -> GradientFlow, a list of (step, GradientFlow) "
                    f"or a GradientRecorder, got {type(source).__name__}")


def build_gradients(models: dict[str, list], tokens: list[str] | None = None, sample: int | None = None,
                    title: str | None = None):
    """Figure spec and timeline: one panel per model, one line per layer/direction (+ inputs), log y.

    With one record per model the slider moves a time cursor; with a training
    history (list of (step, flow)) the slider walks the training steps, each
    step restyling every line's y in the browser.
    """
    names = list(models)
    history = max(len(r) for r in models.values())
    T = next(iter(models.values()))[0][1].hidden.shape[-1]
    for name, recs in models.items():
        if len(recs) != history or any(f.hidden.shape[-1] != T for _, f in recs):
            raise ValueError(f"expected every model to have {history} record(s) over {T} steps; "
                             f"{name!r} has {len(recs)} over {recs[0][1].hidden.shape[-1]}")
    if sample is not None:                  # a negative index named as the sample it picks, as in the title
        sample = pick_sample(sample, next(iter(models.values()))[0][1].hidden.shape[2])
    labels = step_labels(T, tokens)
    n, gap = len(names), 0.04
    width = (1.0 - gap * (n - 1)) / n
    data, layout, per_step = [], {}, [dict() for _ in range(history)]
    notes = set()
    for c, name in enumerate(names):
        ax = "" if c == 0 else str(c + 1)
        left = c * (width + gap)
        layout[f"xaxis{ax}"] = {"domain": [left, left + width], "anchor": f"y{ax}",
                                "title": {"text": "time step t"}, **time_ticks(list(range(T)), labels, 24 // n)}
        layout[f"yaxis{ax}"] = {"type": "log", "anchor": f"x{ax}", "exponentformat": "power",
                                # one shared log scale, labelled once: the other panels' labels met the
                                # previous panel's time cursor
                                **({"title": {"text": "‖dL/dh<sub>t</sub>‖", "standoff": 12}} if c == 0 else
                                   {"matches": "y", "showticklabels": False})}
        layout.setdefault("annotations", []).append({
            "text": f"<b>{name}</b>", "xref": f"x{ax} domain", "yref": f"y{ax} domain", "x": 0.5, "y": 1.08,
            "showarrow": False})
        for k, (step, flow) in enumerate(models[name]):
            curves, bad = _curves(flow, sample)
            if bad:
                notes.add(f"{name}: some norms are inf or NaN (exploding, or NaN in the input), not drawn")
            if k == 0:
                first = len(data)
                for j, (line, y) in enumerate(curves):
                    data.append({"type": "scatter", "mode": "lines+markers", "x": list(range(T)),
                                 "xaxis": f"x{ax}", "yaxis": f"y{ax}", "name": line, "legendgroup": line,
                                 "showlegend": c == 0, "marker": {"size": 4},
                                 "line": {"color": _COLOURS[j % len(_COLOURS)],
                                          "dash": "dot" if line.startswith("input") else "solid"},
                                 "hovertemplate": f"{name}, {line}<br>t = %{{x}}<br>norm = %{{text}}<extra></extra>"})
            for j, (_, y) in enumerate(curves):
                per_step[k][first + j] = {"y": _positive(y), "text": [fmt(v) for v in y]}
    head = title or ("gradient norm through time" + (" (mean over the batch)" if sample is None else f", sample {sample}"))
    note = ("<br><sup>" + "; ".join(sorted(notes)) + "</sup>") if notes else ""
    note += f"<br><sup>{HOWTO}</sup>"
    layout.update({"height": 460, "margin": {"t": 90}, "hovermode": "closest"})
    steps = []
    if history > 1:  # one y range for the whole history, so training visibly moves the curves
        ys = np.array([v for st in per_step for a in st.values() for v in np.ravel(np.asarray(a["y"], dtype=float))
                       if v is not None and np.isfinite(v)])
        if ys.size:
            lo, hi = np.log10(ys.min()), np.log10(ys.max())
            layout["yaxis"]["range"] = [lo - 0.1 * (hi - lo + 1), hi + 0.1 * (hi - lo + 1)]
        train = [s for s, _ in next(iter(models.values()))]
        for k, s in enumerate(train):
            title_k = {"text": f"{head}: training step {s}{note}", "x": 0.01}
            steps.append(Step(str(s), data=per_step[k], layout={"title": title_k}))
        timeline = Timeline(steps, active=0, prefix="training step ")
    else:            # the title is the same at every t: written once, a step moves only the cursors
        layout["title"] = {"text": f"{head}{note}", "x": 0.01}
        for t in range(T):
            cursors = [{"type": "line", "xref": "x" + ("" if c == 0 else str(c + 1)), "yref": "paper",
                        "x0": t, "x1": t, "y0": 0, "y1": 1, "line": {"color": "black", "width": 1, "dash": "dot"}}
                       for c in range(n)]
            steps.append(Step(labels[t], layout={"shapes": cursors}))
        timeline = Timeline(steps, active=T - 1, prefix="t · token = " if tokens else "t = ")
    layout.update(steps[timeline.active].layout)
    for i, attrs in per_step[timeline.active if history > 1 else 0].items():
        data[i].update(attrs)
    return {"data": data, "layout": layout}, timeline


def gradient_view(source, inputs=None, loss_fn: Callable | None = None, *, tokens=None, module=None,
                  sample: int | None = None, train: Callable[[], object] | None = None, title: str | None = None,
                  widget: bool | None = None, fps: float = PLAY_FPS, projector: bool | None = None):
    """Show ‖dL/dh_t‖ against t on a log scale, per layer (and direction), several models side by side.

    source: a GradientFlow; a dict name -> GradientFlow (or name -> live model,
    run with the shared ``inputs`` and ``loss_fn`` through
    ``rnnviz.gradient_flow``); a live model; or a training history, a list of
    (step, GradientFlow) or a ``GradientRecorder``, whose steps go on the slider
    (Play animates training). train: with a GradientRecorder in a notebook, a
    no-argument callable that trains some more steps (recording into it); a
    "Train" button calls it and the curves update in place. sample: a batch
    index, or None for the mean over the batch. Zero, inf and NaN norms are gaps
    on the log axis and the title says when a model's norms are not finite.
    fps: steps per second Play shows (time steps, or training steps).
    projector: projector-sized fonts (None: the global switch, ``rnnviz.set_projector``).
    """
    from ..gradients import gradient_flow
    if isinstance(source, nn.Module):
        source = gradient_flow(source, inputs, loss_fn, module)
    elif isinstance(source, dict) and any(isinstance(v, nn.Module) for v in source.values()):
        source = {k: gradient_flow(v, inputs, loss_fn, module) if isinstance(v, nn.Module) else v
                  for k, v in source.items()}
    elif inputs is not None or loss_fn is not None:
        raise ValueError("inputs/loss_fn are for a live model; the given source is already computed")
    models = _models(source)
    T = next(iter(models.values()))[0][1].hidden.shape[-1]
    build = lambda m: build_gradients(m, check_tokens(tokens, T), sample, title)  # noqa: E731
    spec, timeline = build(models)
    what = "rnnviz gradient view"
    if train is None:
        return make(spec, timeline, widget, fps=fps, title=what, projector=projector)
    if not isinstance(source, GradientRecorder) or not callable(train):
        raise ValueError("train= needs a GradientRecorder as source and a callable that trains (recording into it)")
    if widget is False or (widget is None and not _display.in_kernel()):
        return make(spec, timeline, False, fps=fps, projector=projector)
    import ipywidgets as widgets
    button = widgets.Button(description="Train", icon="play")
    view = make(spec, timeline, True, controls=[button], fps=fps, title=what, projector=projector)

    def clicked(_):
        train()
        new_spec, new_timeline = build(_models(source))
        view.refresh(new_spec, new_timeline, step=len(new_timeline) - 1)   # the newest training step
    button.on_click(clicked)
    view.train = clicked
    return view
