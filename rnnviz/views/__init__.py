"""The rnnviz views: one public call per view, plotly figures with the time axis inside.

In Jupyter each call returns a widget (controls + a plotly FigureWidget);
elsewhere a plain ``plotly.graph_objects.Figure``.
"""
from .attention import attention_view
from .export import export_html
from .gates import gates_view
from .gradients import gradient_view
from .linked import linked_views
from .unroll import unroll_view

__all__ = ["unroll_view", "gates_view", "gradient_view", "attention_view", "linked_views", "export_html"]
