"""Several views on one time axis: one figure, one slider and one Play button for all of them.

Linked views are stacked into a single plotly figure whose animation frames
move every view's time cursor at once, so they stay together in the browser
with no kernel, in a saved notebook and in an exported page. Each view's axes,
colour axis and shapes are renamed so that they do not collide, and its
vertical extent is squeezed into a band of the combined figure; its title
becomes an annotation above the band.
"""
from __future__ import annotations

import re

from ._display import View
from ._figure import Step, Timeline, at_step

_AXIS_KEY = re.compile(r"^([xy])axis(\d*)$")
_TOP, _TITLE, _GAP, _BOTTOM = 40, 50, 90, 160  # px: above all, title of a band, between bands, slider below


class _Names:
    """Renames one view's axes (x2 -> x5, ...) and colour axes into the combined figure's."""

    def __init__(self, counters: dict[str, int]):
        self.counters, self.map = counters, {}

    def new(self, old: str) -> str:
        if old not in self.map:
            kind = "coloraxis" if old.startswith("coloraxis") else old[0]
            self.counters[kind] = self.counters.get(kind, 0) + 1
            n = self.counters[kind]
            self.map[old] = kind + ("" if n == 1 else str(n))
        return self.map[old]

    def ref(self, value):
        """An axis reference ("x2", "y domain", "paper") in the new names."""
        if not isinstance(value, str):
            return value
        base, _, rest = value.partition(" ")
        if base in self.map:
            return self.map[base] + (" " + rest if rest else "")
        return value


def _squeeze(obj: dict, names: _Names, lo: float, hi: float) -> dict:
    """A shape or annotation with its refs renamed and paper-y coordinates moved into [lo, hi]."""
    out = dict(obj)
    for key in ("xref", "yref"):
        if key in out:
            out[key] = names.ref(out[key])
    if out.get("yref", "paper") == "paper":
        for key in ("y", "y0", "y1"):
            if isinstance(out.get(key), (int, float)):
                out[key] = lo + out[key] * (hi - lo)
    return out


def _title(layout: dict) -> str:
    t = layout.get("title", "")
    return t.get("text", "") if isinstance(t, dict) else str(t)


def combine(views: list[View], step: int) -> tuple[dict, Timeline]:
    """One figure spec and timeline showing ``views`` stacked, all at slider step ``step``."""
    specs = [at_step(v.spec, v.timeline, step) for v in views]
    plots = [max(120, int(s["layout"].get("height", 450)) - 150) for s, _ in specs]   # px of plot area
    paper = sum(_TITLE + p for p in plots) + _GAP * (len(plots) - 1)
    counters: dict[str, int] = {}
    data, layout, static_notes, bands, all_names = [], {}, [], [], []
    offset = 0
    for (spec, _), px in zip(specs, plots):
        hi = 1 - (offset + _TITLE) / paper
        lo = 1 - (offset + _TITLE + px) / paper
        offset += _TITLE + px + _GAP
        names = _Names(counters)
        first = len(data)
        src = spec["layout"]
        for key in sorted(k for k in src if _AXIS_KEY.match(k)):           # axes first: refs resolve
            letter, num = _AXIS_KEY.match(key).groups()
            names.new(letter + num)
        for key in sorted(k for k in src if k.startswith("coloraxis")):
            names.new(key)
        for tr in spec["data"]:
            names.new(tr.get("xaxis", "x"))
            names.new(tr.get("yaxis", "y"))
        if "legend" not in layout and any(tr.get("showlegend") for tr in spec["data"]):
            layout["legend"] = {"y": hi, "yanchor": "top"}       # beside the view whose lines it names
        for tr in spec["data"]:
            tr = dict(tr)
            for key in ("xaxis", "yaxis", "coloraxis"):
                tr[key] = names.ref(tr.get(key, key[0] if key != "coloraxis" else None))
            if tr["coloraxis"] is None:
                del tr["coloraxis"]
            data.append(tr)
        for key, value in src.items():
            m = _AXIS_KEY.match(key)
            if m:
                axis = {k: names.ref(v) if k in ("anchor", "matches", "overlaying", "scaleanchor") else v
                        for k, v in value.items()}
                if m.group(1) == "y":
                    a, b = axis.get("domain", [0, 1])
                    axis["domain"] = [lo + a * (hi - lo), lo + b * (hi - lo)]
                new = names.map[m.group(1) + m.group(2)]
                layout[f"{new[0]}axis{new[1:]}"] = axis
            elif key.startswith("coloraxis"):
                bar = {**value.get("colorbar", {}), "y": (lo + hi) / 2, "yanchor": "middle", "len": hi - lo,
                       "lenmode": "fraction"}
                layout[names.map[key]] = {**value, "colorbar": bar}
            elif key == "annotations":
                static_notes += [_squeeze(a, names, lo, hi) for a in value]
            elif key not in ("shapes", "title", "height", "margin", "sliders", "updatemenus") and key not in layout:
                layout[key] = value
        bands.append((first, names, lo, hi))
        all_names.append(names)

    def step_layout(k: int) -> dict:
        shapes, notes = [], list(static_notes)
        for v, (first, names, lo, hi) in zip(views, bands):
            st = v.timeline.steps[k]
            shapes += [_squeeze(s, names, lo, hi) for s in st.layout.get("shapes", [])]
            notes.append({"text": _title(st.layout), "xref": "paper", "yref": "paper", "x": 0, "y": hi,
                          "yshift": 8, "xanchor": "left", "yanchor": "bottom", "align": "left",
                          "showarrow": False, "font": {"size": 14}})
        return {"shapes": shapes, "annotations": notes}

    steps = []
    for k, st in enumerate(views[0].timeline.steps):
        merged = {}
        for v, (first, *_rest) in zip(views, bands):
            merged.update({first + i: attrs for i, attrs in v.timeline.steps[k].data.items()})
        steps.append(Step(st.label, data=merged, layout=step_layout(k)))
    layout.update({"height": paper + _TOP + _BOTTOM, "margin": {"t": _TOP, "b": _BOTTOM}})
    timeline = Timeline(steps, active=step, prefix=views[0].timeline.prefix)
    return at_step({"data": data, "layout": layout}, timeline, step)


class Linked(View):
    """Views stacked in one figure under one time slider and Play button (all in the browser).

    ``views`` are the linked views; ``set_step(k)`` shows step ``k`` in all of
    them. Controls that need the model (what-if text, clamp) stay with each
    view on its own; the linked figure is for moving through time together.
    """

    def __init__(self, views: list[View]):
        self.views = views
        step = views[0].step
        spec, timeline = combine(views, step)
        super().__init__(spec, timeline, fps=views[0].fps, title=f"rnnviz linked views ({len(views)})")


def linked_views(*views: View) -> Linked:
    """Link notebook views (e.g. ``unroll_view(...)`` and ``gates_view(...)`` of the same input) to one slider.

    The views become one figure with one time slider and Play button, so their
    time cursors move together in the browser, with or without a kernel.
    Every view must have the same number of slider steps. Views are rnnviz
    views inside Jupyter; elsewhere build them with ``widget=True``.
    """
    if len(views) == 1 and isinstance(views[0], (list, tuple)):
        views = tuple(views[0])
    if len(views) < 2:
        raise ValueError(f"expected at least two views to link, got {len(views)}")
    for i, v in enumerate(views):
        if not isinstance(v, View):
            raise TypeError(f"expected notebook views (rnnviz views built with widget=True or inside Jupyter), "
                            f"got {type(v).__name__} at position {i}")
    counts = [v.steps for v in views]
    if len(set(counts)) != 1:
        raise ValueError(f"expected views with the same number of time steps to link, got {counts}")
    return Linked(list(views))
