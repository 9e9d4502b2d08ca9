"""A view as one standalone, offline HTML page (plotly.js inlined, never a CDN)."""
from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from ._display import View, static_figure
from ._figure import CONFIG
from .linked import Linked


def _figures(view) -> list[go.Figure]:
    if isinstance(view, Linked):
        return [f for v in view.views for f in _figures(v)]
    if isinstance(view, View):
        return [static_figure(view.spec, view.timeline)]  # frames and Play, not kernel-side controls
    if isinstance(view, go.FigureWidget):
        return [go.Figure(view)]
    if isinstance(view, go.Figure):
        return [view]
    raise TypeError(f"expected an rnnviz view, linked views or a plotly figure, got {type(view).__name__}")


def export_html(view_or_figure, path, title: str = "rnnviz") -> Path:
    """Write ``view_or_figure`` to ``path`` as a standalone page that works offline.

    plotly.js is inlined (``include_plotlyjs=True``, about 4.6 MB); the time
    slider and Play/Pause run in the page. Linked views become one page with
    each figure under its own slider. Returns the path written.
    """
    figs = _figures(view_or_figure)
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"expected a path ending in .html, got {str(path)!r}")
    parts = [f.to_html(include_plotlyjs=(i == 0), full_html=False, config=CONFIG, auto_play=False)
             for i, f in enumerate(figs)]
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body>\n" + "\n".join(parts) + "\n</body></html>\n")
    path.write_text(page, encoding="utf-8")
    return path
