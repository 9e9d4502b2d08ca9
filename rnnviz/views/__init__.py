"""The rnnviz views: one public call per view, plotly figures with the time axis inside.

In Jupyter each call returns a view that shows itself as a plotly figure whose
time slider and Play button run in the browser (also in a saved notebook and
its nbconvert page); controls that need the model (what-if text, clamp,
Train) add a live widget. Elsewhere a call returns a plain
``plotly.graph_objects.Figure`` with the same frames.

Every view has one look (white background, one font, one colour-bar style)
at laptop size by default; ``set_projector(True)`` or ``style(projector=True)``
makes fonts projector-sized for the views built afterwards (``with
style(projector=True):`` for a block only; every view also takes ``projector=``).
"""
from ._figure import Tokens
from ._style import set_projector, style
from .attention import attention_view
from .export import export_html
from .gates import gates_view
from .gradients import gradient_view
from .linked import linked_views
from .unroll import unroll_view

__all__ = ["unroll_view", "gates_view", "gradient_view", "attention_view", "linked_views", "export_html", "Tokens",
           "style", "set_projector"]
