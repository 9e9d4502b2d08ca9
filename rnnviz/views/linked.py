"""One time slider and Play button driving several views shown together."""
from __future__ import annotations

import ipywidgets as widgets

from ._display import View


class Linked(widgets.VBox):
    """Views stacked under one Play button and time slider (kernel-side: one message per step).

    ``views`` are the linked :class:`View` objects; ``slider`` the shared
    IntSlider (its value is the step index); ``set_step(k)`` moves all of them.
    Each view keeps its own in-figure slider for scrubbing without the kernel.
    """

    def __init__(self, views: list[View]):
        self.views = views
        steps = views[0].steps
        self.slider = widgets.IntSlider(value=views[0].timeline.active, min=0, max=steps - 1,
                                        description="step", continuous_update=True,
                                        layout=widgets.Layout(width="60%"))
        self.player = widgets.Play(value=self.slider.value, min=0, max=steps - 1, interval=500)
        widgets.jslink((self.player, "value"), (self.slider, "value"))  # Play ticks in the browser
        self.slider.observe(lambda ch: self.set_step(ch["new"]), names="value")
        for v in views:
            v.player.layout.display = "none"
        super().__init__(children=[widgets.HBox([self.player, self.slider]), *views])

    def set_step(self, k: int) -> None:
        """Show step ``k`` in every linked view."""
        for v in self.views:
            v.set_step(k)
        if self.slider.value != k:
            self.slider.value = k


def linked_views(*views: View) -> Linked:
    """Link notebook views (e.g. ``unroll_view(...)`` and ``gates_view(...)`` of the same input) to one slider.

    Every view must have the same number of slider steps. Views are widgets
    inside Jupyter; elsewhere build them with ``widget=True``.
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
