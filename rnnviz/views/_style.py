"""One look for every view, at laptop or projector size, applied where a figure is assembled.

Every view's figure passes through :func:`apply` (in ``_display.figure_dict``),
so unroll, gates, gradients, attention and linked views share one background
(white plot and paper), one font family, one colour-bar style, one title
layout and one way of placing the time slider below the axis labels.

Two sizes:

- laptop (default): tick labels 13 px, axis titles 14 px, titles 17 px; a view
  with its slider fits the ~650 px a 1366x768 laptop browser shows;
- projector: tick labels and text 18 px, axis titles 20 px, titles 24 px;
  the view keeps its height, the plot area gives up the room.

Switch for every view built from now on with ``rnnviz.set_projector(True)``
or ``rnnviz.views.style(projector=True)``; ``with rnnviz.views.style(projector=True):``
switches only for the views built inside the block. A view keeps the size it
was built with.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

FONT_FAMILY = "Open Sans, Helvetica Neue, Arial, sans-serif"
TEXT_COLOUR = "#222222"
GRID_COLOUR = "#e8e8e8"
ZERO_COLOUR = "#b8b8b8"
LINE_COLOUR = "#888888"
PLOT_WIDTH = 700         # px: a plot area in JupyterLab at 1366 px, margins, legend and colour bar taken off
                         # (on the small side: labels judged to fit side by side must fit there)
TOP = 6                  # px above a view's title
TITLE_WIDTH = 700        # px a title line may take from the plot's left edge: long lines wrap to it (a figure in
                         # JupyterLab at 1366 px gives a title about 830 px; a character is taken as half its size)
ROTATED_STANDOFF = 14    # px between rotated tick labels and their axis title (plotly.js's default let them touch)
TITLE_NAME = "rnnviz-title"   # an annotation with this name is styled as a title (linked views' band titles)
STRIP_NAME = "input tokens"   # a token strip's trace: its words at tick size (shorter ones at projector size)
PROJECTOR_GROWTH = 1.3        # a view at projector size is this much taller: its fonts are 1.4x, and at the
                              # laptop height panels of six gate rows or 20 attention labels ran into each other


@dataclass(frozen=True)
class Sizes:
    """Font sizes in px for one look."""

    tick: int       # tick labels
    text: int       # legend, annotations, slider caption, buttons, sub-lines of a title
    axis: int       # axis and colour-bar titles
    title: int      # the view's title line

    @property
    def line(self) -> float:
        """Height of one title line (plotly spaces the lines of a text by 1.3 x its base size)."""
        return 1.3 * self.title


LAPTOP = Sizes(tick=13, text=13, axis=14, title=17)
PROJECTOR = Sizes(tick=18, text=18, axis=20, title=24)


class _State:
    projector = False


class style:
    """Set the look of the views built from now on; usable as a context manager.

    ``rnnviz.views.style(projector=True)`` makes fonts projector-sized (18 px
    and more) for every view built afterwards; ``style(projector=False)`` goes
    back to laptop sizes (13 px ticks). Inside ``with style(projector=True):``
    the switch holds for the block only. ``style()`` changes nothing and tells
    the current setting (``.projector``, ``.sizes``).
    """

    def __init__(self, projector: bool | None = None):
        if projector is not None and not isinstance(projector, bool):
            raise TypeError(f"expected projector=True, False or None (keep), got {projector!r}")
        self.previous = _State.projector
        if projector is not None:
            _State.projector = projector

    @property
    def projector(self) -> bool:
        return _State.projector

    @property
    def sizes(self) -> Sizes:
        return sizes(_State.projector)

    def __enter__(self) -> style:
        return self

    def __exit__(self, *exc) -> None:
        _State.projector = self.previous

    def __repr__(self) -> str:
        s = self.sizes
        return (f"<rnnviz views style: projector={_State.projector} "
                f"(ticks {s.tick} px, text {s.text} px, titles {s.title} px)>")


def set_projector(on: bool = True) -> None:
    """Projector-sized fonts (18 px and more) for every view built from now on (``False``: laptop sizes).

    The views are then 1.3x taller (780 px instead of 600: a 1920x1080 projector shows them whole,
    a 1366x768 one scrolls) so that the larger labels keep clear of each other, and the token strip
    writes shorter words at the larger size."""
    if not isinstance(on, bool):
        raise TypeError(f"expected set_projector(True) or set_projector(False), got {on!r}")
    _State.projector = on


def resolve(projector: bool | None) -> bool:
    """A view's size: ``projector`` when given, else the global switch as it stands now."""
    if projector is None:
        return _State.projector
    if not isinstance(projector, bool):
        raise TypeError(f"expected projector=True, False or None (the global switch), got {projector!r}")
    return projector


def sizes(projector: bool) -> Sizes:
    return PROJECTOR if projector else LAPTOP


_AXIS = re.compile(r"^([xy])axis(\d*)$")
_SUP = re.compile(r"<sup>(.*?)</sup>", re.S)


def _font(obj: dict, size: int, key: str = "font") -> None:
    obj[key] = {**obj.get(key, {}), "size": size}


def _title_text(title) -> str:
    return title.get("text", "") if isinstance(title, dict) else str(title or "")


def _sub_lines(text: str, s: Sizes) -> str:
    """``<sup>`` sub-lines of a title at the text size (plotly draws ``<sup>`` at 70 %, raised)."""
    return _SUP.sub(lambda m: f'<span style="font-size:{s.text}px">{m.group(1)}</span>', text)


def _styled_title(title, s: Sizes, height: float) -> dict:
    """A view title: top-left, in the title size; ``<sup>`` sub-lines at the text size (not 70 %).

    plotly.js places a title by its first line whatever ``yanchor`` says, and
    writes the other lines below it: the first line's middle goes ``TOP`` px
    below the figure's top edge, the margin above the plot makes room for the rest.
    """
    title = dict(title) if isinstance(title, dict) else {"text": str(title or "")}
    title["text"] = _sub_lines(wrap_title(title["text"], TITLE_WIDTH, s), s)
    title.update({"x": 0, "xanchor": "left", "xref": "paper", "yref": "container", "yanchor": "middle",
                  "y": round(1 - (TOP + 0.5 * s.line) / height, 4)})
    _font(title, s.title)
    return title


def wrap(text: str, chars: int) -> str:
    """``text`` with each ``<br>`` line longer than ``chars`` characters (tags not counted) broken at
    spaces; a line wrapped in one tag (``<sup>...</sup>``) keeps the tag on every piece."""
    out = []
    for line in text.split("<br>"):
        m = re.fullmatch(r"(<(\w+)[^>]*>)(.*)(</\2>)", line, re.S)
        head, body, tail = (m.group(1), m.group(3), m.group(4)) if m else ("", line, "")
        pieces, cur = [], ""
        for word in body.split(" "):
            if cur and len(re.sub(r"<[^>]+>", "", cur + " " + word)) > chars:
                pieces.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}" if cur else word
        pieces.append(cur)
        out += [head + p + tail for p in pieces]
    return "<br>".join(out)


def wrap_title(text: str, px: float, s: Sizes) -> str:
    """A title's lines wrapped to ``px`` pixels: ``<sup>`` sub-lines at the text size, the others at the
    title size, a character taken as half its font size wide (Open Sans/Arial average under 0.5)."""
    lines = []
    for line in text.split("<br>"):
        size = s.text if re.fullmatch(r"<sup>.*</sup>", line, re.S) else s.title
        lines.append(wrap(line, max(10, int(px / (0.5 * size)))))
    return "<br>".join(lines)


def _lines(text: str) -> int:
    return text.count("<br>") + 1 if text else 0


def _label_band(labels: list[str], domain: list[float], s: Sizes, angle) -> tuple[float, float]:
    """(tickangle, px) that tick labels below an x axis take: flat when they fit side by side, else -45."""
    if not labels:
        return (angle if angle is not None else 0), 1.4 * s.tick
    chars = max(len(re.sub(r"&\w+;", "x", str(t))) for t in labels)
    wide = 0.6 * s.tick * chars
    room = PLOT_WIDTH * (domain[1] - domain[0]) / len(labels)
    if angle is None:
        angle = 0 if wide + 8 <= room else -45
    if angle == 0:
        return 0, 1.4 * s.tick
    return angle, 0.71 * (wide + s.tick) + 10


def _labels_above_top(layout: dict, axes: dict) -> bool:
    """Whether an annotation sits above the topmost plot (on the domain of a y axis that reaches the
    top, at y >= 1): the title block then needs a line more, or the title's last line lies on it."""
    for a in layout.get("annotations", []):
        yref = str(a.get("yref", ""))
        if not yref.endswith(" domain") or not isinstance(a.get("y"), (int, float)) or a["y"] < 1:
            continue
        ax = axes.get(yref.split(" ")[0])
        if isinstance(ax, dict) and ax.get("domain", [0, 1])[1] >= 1 - 1e-6:
            return True
    return False


def apply(fig: dict, projector: bool) -> dict:
    """``fig`` (data, layout, frames) with the one look at laptop or projector size; a new dict.

    Sets the background, fonts, axis and colour-bar style, the title block
    (margin above the plot for every title line of every frame), and moves the
    time slider and Play below the lowest x axis's tick labels and title.
    """
    s = sizes(projector)
    layout = dict(fig.get("layout", {}))
    if "height" in layout:   # from the laptop height, kept in meta: styling a styled figure again grows it no more
        meta = layout["meta"] if isinstance(layout.get("meta"), dict) else {}
        laptop = meta.get("laptop_height", layout["height"])
        layout["meta"] = {**meta, "laptop_height": laptop}
        layout["height"] = int(round(laptop * PROJECTOR_GROWTH)) if projector else laptop
    from ._figure import refit_strip          # (the figure helpers use this module's sizes)
    data = [refit_strip(tr, size=s.tick) if isinstance(tr, dict) and tr.get("name") == STRIP_NAME else tr
            for tr in fig.get("data", [])]       # a token strip's words at tick size, cut to fit it
    base = {"font": {"family": FONT_FAMILY, "size": s.text, "color": TEXT_COLOUR},
            "paper_bgcolor": "white", "plot_bgcolor": "white",
            "hoverlabel": {"font": {"size": s.text}}}
    axis_look = {"gridcolor": GRID_COLOUR, "zerolinecolor": ZERO_COLOUR, "linecolor": LINE_COLOUR,
                 "showline": True, "automargin": True}
    # a template of our own: a plain plotly Figure then shows the same look (not plotly.py's grey default)
    layout["template"] = {"layout": {**base, "xaxis": axis_look, "yaxis": axis_look}}
    layout.update(base)
    bottom, axes = 1.0, {}
    for key in list(layout):
        m = _AXIS.match(key)
        if not m:
            continue
        ax = {**axis_look, **layout[key]}
        _font(ax, s.tick, "tickfont")
        if "title" in ax:
            ax["title"] = dict(ax["title"]) if isinstance(ax["title"], dict) else {"text": str(ax["title"])}
            _font(ax["title"], s.axis)
        layout[key] = ax
        axes[m.group(1) + m.group(2)] = ax
    for key in [k for k in layout if k.startswith("coloraxis")]:
        ca = dict(layout[key])
        bar = {"thickness": 14, "outlinewidth": 0, "ticks": "outside", "ticklen": 4, **ca.get("colorbar", {})}
        _font(bar, s.tick, "tickfont")
        bar["title"] = dict(bar.get("title", {}))
        _font(bar["title"], s.axis)
        ca["colorbar"] = bar
        layout[key] = ca
    legend = dict(layout.get("legend", {}))
    _font(legend, s.text)
    layout["legend"] = legend

    def notes(anns: list) -> list:
        out = []
        for a in anns:
            a = dict(a)
            _font(a, s.title if a.get("name") == TITLE_NAME else s.text)
            if isinstance(a.get("text"), str):
                a["text"] = _sub_lines(a["text"], s)
            out.append(a)
        return out

    if "annotations" in layout:
        layout["annotations"] = notes(layout["annotations"])
    height = float(layout.get("height", 450))
    frames = []
    if "title" in layout:
        layout["title"] = _styled_title(layout["title"], s, height)
    lines = _lines(_title_text(layout.get("title")))
    for fr in fig.get("frames", []):
        fl = dict(fr.get("layout", {}))
        if "title" in fl:
            fl["title"] = _styled_title(fl["title"], s, height)
            lines = max(lines, _lines(fl["title"]["text"]))
        if "annotations" in fl:
            fl["annotations"] = notes(fl["annotations"])
        frames.append({**fr, "layout": fl})
    margin = dict(layout.get("margin", {}))
    if lines:
        above = 1.4 * s.text + 4 if _labels_above_top(layout, axes) else 0   # e.g. attention's "head 0"
        margin["t"] = max(int(margin.get("t", 0)), int(TOP + lines * s.line + 10 + above))
    margin.setdefault("l", 70)
    margin.setdefault("r", 30)

    # the slider goes below the lowest x axis's labels and title, never on them
    band = 0.0
    for name, ax in axes.items():
        if name[0] != "x":
            continue
        anchor = axes.get(ax.get("anchor", "y"), {})
        lo = anchor.get("domain", [0, 1])[0] if isinstance(anchor, dict) else 0
        if lo > bottom + 1e-6 or ax.get("showticklabels") is False:
            continue
        angle, labels = _label_band(list(ax.get("ticktext", [])), ax.get("domain", [0, 1]), s, ax.get("tickangle"))
        if ax.get("ticktext") is not None and "tickangle" not in ax:
            ax["tickangle"] = angle
        title_px = 1.5 * s.axis + 6 + (ROTATED_STANDOFF if angle else 0) if _title_text(ax.get("title")) else 0
        if lo < bottom - 1e-6:
            bottom, band = lo, 0.0
        band = max(band, labels + title_px)
    for name, ax in axes.items():             # rotated tick labels: their corners reach lower than plotly.js
        if name[0] == "x" and ax.get("tickangle") not in (None, 0) and _title_text(ax.get("title")):  # allows for
            ax["title"] = {**ax["title"], "standoff": max(ROTATED_STANDOFF, ax["title"].get("standoff", 0))}
    pad = int(band + 14)
    if all(len(sl.get("steps", [])) <= 1 for sl in layout.get("sliders", [])):
        layout.pop("sliders", None)        # one step: nothing to move through, no slider and no Play
        menus = [um for um in layout.get("updatemenus", []) if not _plays(um)]   # a menu of its own stays
        if menus:
            layout["updatemenus"] = menus
        else:
            layout.pop("updatemenus", None)
        margin["b"] = max(int(margin.get("b", 0)), pad + 10)
    sliders = []
    for sl in layout.get("sliders", []):
        sl = dict(sl)
        sl["pad"] = {**sl.get("pad", {}), "t": pad, "l": 9 * s.text + 20}
        # the axis already labels each step: the slider's own step labels are invisible and take no room
        # (plotly has no switch to hide them; at 1 px they can no more reach the Play buttons)
        sl["font"] = {"size": 1, "color": "rgba(0,0,0,0)"}
        sl["ticklen"], sl["minorticklen"] = 4, 2
        cv = dict(sl.get("currentvalue", {}))
        cv["font"] = {"size": s.text, "color": TEXT_COLOUR}
        sl["currentvalue"] = cv
        sliders.append(sl)
    if sliders:
        layout["sliders"] = sliders
        menus = []
        for um in layout.get("updatemenus", []):
            um = dict(um)
            um["pad"] = {**um.get("pad", {}), "t": pad + int(1.6 * s.text) + 4}
            um["font"] = {"size": s.text}
            menus.append(um)
        layout["updatemenus"] = menus
        margin["b"] = max(int(margin.get("b", 0)), pad + int(1.6 * s.text) + 48)
    layout["margin"] = margin
    _thin_row_labels(layout, axes, height - margin.get("t", 0) - margin.get("b", 0), s)
    return {**fig, "data": data, "layout": layout, "frames": frames}


LABEL_LINE = 1.1    # px between two row labels, per px of tick font: closer, plotly.js draws them over each other


def _thin_row_labels(layout: dict, axes: dict, plot_px: float, s: Sizes) -> None:
    """Write every k-th label of a y axis whose labels (an array, over a fixed range) would stand
    closer than a line of tick text, e.g. a long attention map's 30 window rows in about 300 px
    at 13 px: plotly.js draws them all, on top of each other. The ticks stay; the labels kept are
    the same rows whatever the range a frame moves to. The full labels stay in the layout's meta,
    so that styling again (projector, or in a linked view) starts from them."""
    meta = layout["meta"] if isinstance(layout.get("meta"), dict) else {}
    full = dict(meta.get("row_labels", {}))
    for name, ax in axes.items():
        vals, rng, dom = ax.get("tickvals"), ax.get("range"), ax.get("domain", [0, 1])
        if name[0] != "y" or ax.get("tickmode") != "array" or not isinstance(rng, list) or len(rng) != 2:
            continue
        if name in full:
            ax["ticktext"] = list(full[name])
        text = ax.get("ticktext")
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in [*(vals or []), *rng])
        if not (numbers and isinstance(text, list) and len(vals) >= 2 and len(text) == len(vals)) or rng[0] == rng[1]:
            continue                               # a category axis, or nothing to thin
        px = plot_px * (dom[1] - dom[0]) / abs(rng[1] - rng[0])                # px per data unit
        gap = min(abs(b - a) for a, b in zip(vals, vals[1:])) * px             # px between two labels
        every = max(1, math.ceil(LABEL_LINE * s.tick / max(gap, 1e-9)))
        if every > 1 or name in full:
            full[name] = list(text)
            ax["ticktext"] = [t if i % every == 0 else "" for i, t in enumerate(text)]
    if full:
        layout["meta"] = {**meta, "row_labels": full}


def _plays(menu: dict) -> bool:
    """True for the timeline's Play/Pause buttons (they animate frames)."""
    return any(b.get("method") == "animate" for b in menu.get("buttons", []))
