"""Several views on one time axis: one figure, one slider and one Play button for all of them.

Linked views are put side by side (two per row) into a single plotly figure
whose animation frames move every view's time cursor at once, so they stay
together in the browser with no kernel, in a saved notebook and in an exported
page. Each view's axes, colour axis and shapes are renamed so that they do not
collide, and its extent is squeezed into a box of the combined figure; its
title, wrapped to the box, becomes an annotation above the box.
"""
from __future__ import annotations

import re

from . import _style
from ._display import View
from ._figure import FIT_HEIGHT, Step, Timeline, at_step, refit_strip

_AXIS_KEY = re.compile(r"^([xy])axis(\d*)$")
_TOP, _ROW_GAP = 10, 110         # px: above all; between two rows of views (tick labels, axis title)
_COL_GAP = 0.2                   # paper: between two columns (a colour bar with its labels, then the next view's axis labels and title)
_COLUMNS = 2                     # views side by side: two views with one slider fit a 1366x768 laptop


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


def _squeeze(obj: dict, names: _Names, box: tuple[float, float, float, float]) -> dict:
    """A shape or annotation with its refs renamed and paper coordinates moved into ``box``
    (x0, x1, y0, y1 in the combined figure's paper)."""
    x0, x1, lo, hi = box
    out = dict(obj)
    for key in ("xref", "yref"):
        if key in out:
            out[key] = names.ref(out[key])
    if out.get("yref", "paper") == "paper":
        for key in ("y", "y0", "y1"):
            if isinstance(out.get(key), (int, float)):
                out[key] = lo + out[key] * (hi - lo)
    if out.get("xref", "paper") == "paper":
        for key in ("x", "x0", "x1"):
            if isinstance(out.get(key), (int, float)):
                out[key] = x0 + out[key] * (x1 - x0)
    return out


def _title(layout: dict) -> str:
    t = layout.get("title", "")
    return t.get("text", "") if isinstance(t, dict) else str(t)


_FOCUS_MENU = 16                 # units the browser's focus menu lists at most (those of the gates views first)
_FADED = 0.35                    # opacity of the other units' gate lines while one unit is in focus


def _unit_of(tr: dict) -> str | None:
    """The unit a gates-view line belongs to ("3" for legend group "unit 3"), else None."""
    group = str(tr.get("legendgroup", ""))
    return group[5:] if group.startswith("unit ") else None


def _layer_of(tr: dict) -> tuple | None:
    """(layer, direction) whose units a trace shows, from its ``meta`` (None when it does not say)."""
    meta = tr.get("meta")
    return (meta.get("layer"), meta.get("direction")) if isinstance(meta, dict) else None


def _focus(data: list[dict], unit: int | None) -> dict | None:
    """Unit focus in the browser: outline traces appended to ``data`` and a focus menu (returned).

    Each unroll heatmap (rows named by unit, as strings; an attention map's
    rows are steps) of the layers and directions the gates views show (all
    of them without a gates view) gets one outline per unit the menu lists (a horizontal
    bar one row high, transparent inside, drawn only while its unit is in
    focus), so the outline is a trace that the animation frames never touch,
    unlike a shape, which each frame replaces. The menu's entries restyle
    every line of the gates views (the unit's lines thick, the others faded but
    the unit whose update the gates view's title writes out)
    and show that unit's outlines, all in plotly.js with no kernel. ``unit``
    is the focus the figure opens with (None: no focus). None is returned
    when no view has units to focus.
    """
    lines = [i for i, tr in enumerate(data) if _unit_of(tr) is not None]
    heats = [i for i, tr in enumerate(data) if tr.get("type") == "heatmap" and tr.get("name") != "whole sequence"
             and tr.get("y") and all(isinstance(y, str) for y in tr["y"])]   # unit rows (an unroll view's)
    known = {_unit_of(data[i]) for i in lines} | {str(y) for i in heats for y in data[i]["y"]}
    if unit is not None and str(unit) not in known:
        units = sorted(map(int, known)) if all(k.isdigit() for k in known) else sorted(known)
        raise ValueError(f"expected focus as a unit that the views show, one of {units[:20]}"
                         f"{' ...' if len(units) > 20 else ''}, got {unit}")
    shown = {_layer_of(data[i]) for i in lines}           # the layers and directions the gates views show
    if lines and None not in shown:                       # unit 2 of another layer is another unit: no outline
        heats = [i for i in heats if _layer_of(data[i]) in shown]
    menu: list[str] = []
    for i in lines:
        if _unit_of(data[i]) not in menu:
            menu.append(_unit_of(data[i]))
    for i in ([] if menu else heats):        # with gates views, their units (another would fade every line)
        menu += [str(y) for y in data[i]["y"] if str(y) not in menu]
    if unit is not None and str(unit) not in menu:
        menu.insert(0, str(unit))
    menu = menu[:max(_FOCUS_MENU, 1 + menu.index(str(unit)) if unit is not None else 0)]
    if not menu:
        return None
    outlines: list[tuple[int, str]] = []             # (trace index, unit)
    for i in heats:
        heat, rows = data[i], [str(y) for y in data[i]["y"]]
        width = len(heat["x"]) if "x" in heat else len(heat["z"][0])
        for u in menu:
            if u in rows:
                outlines.append((len(data), u))
                data.append({"type": "bar", "orientation": "h", "y": [u], "x": [width], "base": [-0.5], "width": [1],
                             "xaxis": heat["xaxis"], "yaxis": heat["yaxis"], "name": f"unit {u} (focus)",
                             "hoverinfo": "skip", "showlegend": False, "opacity": 0.0,
                             "marker": {"color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2.5}}})
    widths = {i: data[i].get("line", {}).get("width", 2) for i in lines}
    equation = {i for i in lines if str(data[i].get("name", "")).endswith("(equation)")}
    touched = lines + [i for i, _ in outlines]

    def state(u: str | None) -> dict:
        """restyle values for ``touched`` with unit ``u`` in focus (None: as the views drew them)."""
        width = [widths[i] if u is None else 3.5 if _unit_of(data[i]) == u else 1.5 for i in lines]
        # the unit whose update the title writes out stays drawn in full: its numbers are on screen
        opacity = [1.0 if u is None or _unit_of(data[i]) == u or i in equation else _FADED for i in lines]
        width += [2.5] * len(outlines)
        opacity += [1.0 if o == u else 0.0 for _, o in outlines]
        return {"line.width": width, "opacity": opacity}

    start = state(None if unit is None else str(unit))                  # the figure opens in this state
    for i, width, opacity in zip(touched, start["line.width"], start["opacity"]):
        if i in widths:
            data[i]["line"] = {**data[i].get("line", {}), "width": width}
        data[i]["opacity"] = opacity
    options = [None] + menu
    return {"type": "dropdown", "direction": "up", "showactive": True, "x": 1.0, "xanchor": "left",
            "y": 0.0, "yanchor": "top", "pad": {"t": 52, "l": 8},
            "active": options.index(None if unit is None else str(unit)),
            "buttons": [{"label": "focus: none" if u is None else f"focus: unit {u}", "method": "restyle",
                         "args": [state(u), touched]} for u in options]}


def combine(views: list[View], step: int, projector: bool = False,
            focus: int | None = None) -> tuple[dict, Timeline]:
    """One figure spec and timeline showing ``views`` side by side (two per row), all at slider step ``step``.

    Each view keeps its own axes (renamed so they do not collide) inside its
    box of the combined figure; its title, wrapped to the box's width, becomes
    an annotation above the box, frame by frame. With two views the figure
    keeps the height of one view (``FIT_HEIGHT``), so it fits a laptop.
    ``focus``: a unit highlighted in every view (see :func:`_focus`).
    """
    size = _style.sizes(projector)
    specs = [at_step(v.spec, v.timeline, step) for v in views]
    cols = min(_COLUMNS, len(views))
    nrows = -(-len(views) // cols)
    width = (1 - _COL_GAP * (cols - 1)) / cols
    room = width + _COL_GAP * 0.8      # a title may reach over the gap, up to just before the next view
    chars = {"head": int(_style.PLOT_WIDTH * room / (0.5 * size.title)),
             "sub": int(_style.PLOT_WIDTH * room / (0.5 * size.text))}

    def wrapped(text: str) -> str:
        first, _, rest = text.partition("<br>")
        return _style.wrap(first, chars["head"]) + ("<br>" + _style.wrap(rest, chars["sub"]) if rest else "")

    # a step's title, or the view's own when its steps leave the title as it is (a long unroll view)
    titles = [[wrapped(_title(st.layout if "title" in st.layout else v.spec["layout"])) for st in v.timeline.steps]
              for v in views]
    lines = [max(t.count("<br>") + 1 for t in ts) for ts in titles]
    row_title = [max(lines[i] for i in range(r * cols, min(len(views), (r + 1) * cols))) * 1.3 * size.title + 8
                 for r in range(nrows)]
    bottom = 150 if not projector else 200                        # px: tick labels, axis title, slider and Play
    plot_px = max(200, FIT_HEIGHT - _TOP - bottom - max(row_title))
    paper = sum(t + plot_px for t in row_title) + _ROW_GAP * (nrows - 1)
    counters: dict[str, int] = {}
    data, layout, bands = [], {}, []
    in_legend = set()      # (legend group, name) already listed: one legend entry toggles it in every view
    for i, (spec, _) in enumerate(specs):
        r, c = divmod(i, cols)
        offset = sum(row_title[:r]) + r * (plot_px + _ROW_GAP)
        hi = 1 - (offset + row_title[r]) / paper
        lo = 1 - (offset + row_title[r] + plot_px) / paper
        x0 = c * (width + _COL_GAP)
        x1 = x0 + width
        box = (x0, x1, lo, hi)
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
            layout["legend"] = {"y": hi, "yanchor": "top"}       # at the right, level with the view it names
        for tr in spec["data"]:
            tr = dict(tr)
            for key in ("xaxis", "yaxis", "coloraxis"):
                tr[key] = names.ref(tr.get(key, key[0] if key != "coloraxis" else None))
            if tr["coloraxis"] is None:
                del tr["coloraxis"]
            if tr.get("name") == _style.STRIP_NAME:     # a narrower box: shorter words, or they run together
                tr = refit_strip(tr, x1 - x0)
            if tr.get("showlegend"):
                key = (tr.get("legendgroup"), tr.get("name"))
                tr["showlegend"] = key not in in_legend
                in_legend.add(key)
            data.append(tr)
        for key, value in src.items():
            m = _AXIS_KEY.match(key)
            if m:
                axis = {k: names.ref(v) if k in ("anchor", "matches", "overlaying", "scaleanchor") else v
                        for k, v in value.items()}
                a, b = axis.get("domain", [0, 1])
                axis["domain"] = ([lo + a * (hi - lo), lo + b * (hi - lo)] if m.group(1) == "y" else
                                  [x0 + a * (x1 - x0), x0 + b * (x1 - x0)])
                new = names.map[m.group(1) + m.group(2)]
                layout[f"{new[0]}axis{new[1:]}"] = axis
            elif key.startswith("coloraxis"):
                bar = {**value.get("colorbar", {}), "y": (lo + hi) / 2, "yanchor": "middle", "len": hi - lo,
                       "lenmode": "fraction", "x": x1 + 0.01, "xanchor": "left"}
                layout[names.map[key]] = {**value, "colorbar": bar}
            elif key not in ("shapes", "annotations", "title", "height", "margin", "sliders", "updatemenus") \
                    and key not in layout:
                layout[key] = value
        bands.append((first, names, box, src))

    def step_layout(k: int) -> dict:
        """Frame k's layout: every view's shapes and notes (a step's own, or the view's static ones when its
        steps leave them as they are, e.g. a long unroll view's veils and cursor), its title, and the axis
        settings its step makes (a long unroll view's 40-step window), on the renamed axes."""
        shapes, notes, axes = [], [], {}
        for i, (v, (first, names, box, src)) in enumerate(zip(views, bands)):
            st = v.timeline.steps[k]
            shapes += [_squeeze(sh, names, box) for sh in st.layout.get("shapes", src.get("shapes", []))]
            notes += [_squeeze(a, names, box) for a in st.layout.get("annotations", src.get("annotations", []))]
            notes.append({"text": titles[i][k], "xref": "paper", "yref": "paper", "x": box[0], "y": box[3],
                          "yshift": 4, "xanchor": "left", "yanchor": "bottom", "align": "left",
                          "showarrow": False, "name": _style.TITLE_NAME})
            for key, value in st.layout.items():
                m = _AXIS_KEY.match(key)
                if m and isinstance(value, dict):
                    if "domain" in value:
                        raise ValueError(f"cannot link a view whose steps move an axis's domain ({key})")
                    new = names.map[m.group(1) + m.group(2)]
                    axes[f"{new[0]}axis{new[1:]}"] = {a: names.ref(b) for a, b in value.items()}
        return {"shapes": shapes, "annotations": notes, **axes}

    menu = _focus(data, focus)
    steps = []
    for k, st in enumerate(views[0].timeline.steps):
        merged = {}
        for v, (first, *_rest) in zip(views, bands):
            merged.update({first + i: attrs for i, attrs in v.timeline.steps[k].data.items()})
        steps.append(Step(st.label, data=merged, layout=step_layout(k)))
    layout.update({"height": int(paper + _TOP + bottom), "margin": {"t": _TOP, "b": bottom}})
    if menu is not None:
        layout["updatemenus"] = [menu]          # the timeline adds Play and Pause beside it
    timeline = Timeline(steps, active=step, prefix=views[0].timeline.prefix,
                        eased=all(v.timeline.eased for v in views))
    return at_step({"data": data, "layout": layout}, timeline, step)


class Linked(View):
    """Views stacked in one figure under one time slider and Play button (all in the browser).

    ``views`` are the linked views; ``set_step(k)`` shows step ``k`` in all of
    them. Controls that need the model (what-if text, clamp) stay with each
    view on its own; the linked figure is for moving through time together.
    """

    def __init__(self, views: list[View], projector: bool | None = None, focus: int | None = None):
        self.views = views
        step = views[0].step
        projector = _style.resolve(projector)
        spec, timeline = combine(views, step, projector, focus)
        super().__init__(spec, timeline, fps=views[0].fps, title=f"rnnviz linked views ({len(views)})",
                         projector=projector)


def linked_views(*views: View, projector: bool | None = None, focus: int | None = None) -> Linked:
    """Link notebook views (e.g. ``unroll_view(...)`` and ``gates_view(...)`` of the same input) to one slider.

    The views become one figure with one time slider and Play button, so their
    time cursors move together in the browser, with or without a kernel.
    Every view must have the same number of slider steps. Views are rnnviz
    views inside Jupyter; elsewhere build them with ``widget=True``. Two
    views stand side by side (more: two per row); ``projector``:
    projector-sized fonts (None: the global switch). A focus menu beside
    the slider (in the browser, no kernel needed) highlights one unit in every
    view: its heatmap rows outlined, its gate lines drawn thick and the others
    faded; ``focus`` is the unit index the figure opens with (None: no
    focus). Clicking a unit in the legend hides or shows it in every view.
    """
    if focus is not None and (isinstance(focus, bool) or not isinstance(focus, int) or focus < 0):
        raise TypeError(f"expected focus as a unit index (an int >= 0) or None, got {focus!r}")
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
        raise ValueError(f"expected views with the same number of slider steps to link, got {counts} (a gates "
                         f"view over 600 steps keeps every k-th step, and a view of a shorter sample has fewer: "
                         f"link views of the same sample whose sliders have the same steps)")
    return Linked(list(views), projector, focus)
