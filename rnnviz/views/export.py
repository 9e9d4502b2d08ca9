"""A view as one standalone, offline HTML page (plotly.js inlined once, never a CDN)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from ._display import View, html_div, packed
from ._figure import CONFIG


def _figures(view) -> list[dict]:
    """Figure dicts (data, layout, frames, config) of a view, linked views or a plotly figure."""
    if isinstance(view, View):
        return [view.figure_dict()]
    try:
        import plotly.graph_objects as go
    except ImportError:  # pragma: no cover - plotly is a dependency
        go = None
    if go is not None and isinstance(view, go.Figure):          # also a FigureWidget
        # plotly's own encoder: numpy arrays, dates and NaN (as null) become plain JSON
        fig = json.loads(view.to_json())
        return [{"data": fig.get("data", []), "layout": fig.get("layout", {}),
                 "frames": fig.get("frames", []), "config": dict(CONFIG)}]
    raise TypeError(f"expected an rnnviz view, linked views or a plotly figure, got {type(view).__name__}")


def export_html(view_or_figure, path, title: str = "rnnviz") -> Path:
    """Write ``view_or_figure`` to ``path`` as a standalone page that works offline.

    plotly.js is inlined once (about 4.8 MB); the time slider and Play run in
    the page. ``~`` in ``path`` is expanded. Returns the path written.
    """
    figs = _figures(view_or_figure)
    path = Path(path).expanduser()
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"expected a path ending in .html, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist "
                                f"(create it first, e.g. Path({str(path.parent)!r}).mkdir(parents=True))")
    parts = [html_div(packed(f), with_plotly=(i == 0)) for i, f in enumerate(figs)]
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body>\n" + "\n".join(parts) + "\n</body></html>\n")
    path.write_text(page, encoding="utf-8")
    return path
