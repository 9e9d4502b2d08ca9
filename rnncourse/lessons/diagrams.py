"""Diagrams of the ideas, drawn by code as SVG: the loop folded and unrolled, a stack, a pair.

Each function returns a :class:`Diagram`, which a notebook shows as an image (it has
``_repr_svg_``) and which stays in a saved notebook, an exported HTML page or a PDF with
no JavaScript and no network. The live views (``rnnviz.unroll_view`` ...) show the same
structures with a model's numbers; these show only the wiring.

- :func:`rnn_loop` - one cell with its loop, = the same cell unrolled over T steps
  (``backward=True`` adds the path of the gradient, BPTT);
- :func:`stack` - L layers over T steps: time runs right, depth runs up;
- :func:`bidirectional` - a forward and a backward layer whose states are concatenated.
"""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Diagram", "rnn_loop", "stack", "bidirectional"]

CELL_W, CELL_H = 64, 40            # one cell's box, in SVG units (px at 100 %)
GAP_X, GAP_Y = 44, 52              # between cells in time / between rows
FONT = "font-family='DejaVu Sans, Arial, sans-serif' font-size='15'"
COLOURS = {"cell": "#dbe9f6", "edge": "#2b5d8a", "forward": "#2b5d8a", "backward": "#b3541e",
           "grad": "#c0392b", "text": "#1b1b1b", "io": "#f4f4f4"}


@dataclass(frozen=True)
class Diagram:
    """An SVG drawing: ``svg`` holds the markup, ``title`` says what it shows."""

    svg: str
    title: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"Diagram({self.title!r})"


class _Canvas:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.width = self.height = 0.0

    def _grow(self, x: float, y: float) -> None:
        self.width, self.height = max(self.width, x), max(self.height, y)

    def box(self, x: float, y: float, label: str, fill: str = COLOURS["cell"], w: float = CELL_W,
            h: float = CELL_H) -> None:
        self.items.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w}' height='{h}' rx='8' fill='{fill}' "
                          f"stroke='{COLOURS['edge']}' stroke-width='1.5'/>")
        self.text(x + w / 2, y + h / 2 + 5, label)
        self._grow(x + w, y + h)

    def text(self, x: float, y: float, label: str, colour: str = COLOURS["text"], anchor: str = "middle",
             italic: bool = False) -> None:
        style = " font-style='italic'" if italic else ""
        self.items.append(f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{colour}' {FONT}{style}>"
                          f"{escape(label)}</text>")
        self._grow(x + 8 * len(label) / (2 if anchor == "middle" else 1), y + 6)

    def arrow(self, x1: float, y1: float, x2: float, y2: float, colour: str = COLOURS["edge"],
              dashed: bool = False, label: str = "", path: str | None = None) -> None:
        marker = {COLOURS["grad"]: "g", COLOURS["backward"]: "b"}.get(colour, "a")
        dash = " stroke-dasharray='6 4'" if dashed else ""
        d = path or f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
        self.items.append(f"<path d='{d}' fill='none' stroke='{colour}' stroke-width='2'{dash} "
                          f"marker-end='url(#m{marker})'/>")
        if label:
            self.text((x1 + x2) / 2, min(y1, y2) - 6, label, colour, italic=True)
        self._grow(max(x1, x2), max(y1, y2))

    def render(self, title: str) -> Diagram:
        w, h = self.width + 16, self.height + 16
        markers = "".join(
            f"<marker id='m{k}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            f"orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='{c}'/></marker>"
            for k, c in (("a", COLOURS["edge"]), ("g", COLOURS["grad"]), ("b", COLOURS["backward"])))
        svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{w:.0f}' height='{h:.0f}' "
               f"viewBox='0 0 {w:.0f} {h:.0f}' role='img' aria-label='{escape(title)}'>"
               f"<title>{escape(title)}</title><defs>{markers}</defs>"
               f"<rect width='100%' height='100%' fill='white'/>" + "".join(self.items) + "</svg>")
        return Diagram(svg, title)


def _check(name: str, value: int, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def rnn_loop(steps: int = 4, backward: bool = False) -> Diagram:
    """The recurrent cell with its loop, and the same cell unrolled over ``steps`` steps.

    Left: x_t enters the cell, h_t leaves it and loops back (W_hh). Right: the unrolled chain
    h_0 -> h_1 -> ... -> h_T with x_t below and y_t above each copy of the one cell. With
    ``backward`` the gradient's path is drawn in red, from the loss back along the chain
    (backpropagation through time).
    """
    _check("steps", steps, 1, 12)
    c = _Canvas()
    top = 40
    y_cell = top + CELL_H + GAP_Y
    # folded: one cell with a loop
    x0 = 16
    c.text(x0 + CELL_W / 2, 20, "folded")
    c.box(x0, y_cell, "RNN")
    c.box(x0 + 8, y_cell + CELL_H + GAP_Y, "x_t", COLOURS["io"], w=CELL_W - 16)
    c.box(x0 + 8, top, "y_t", COLOURS["io"], w=CELL_W - 16)
    c.arrow(x0 + CELL_W / 2, y_cell + CELL_H + GAP_Y, x0 + CELL_W / 2, y_cell + CELL_H + 2)
    c.arrow(x0 + CELL_W / 2, y_cell, x0 + CELL_W / 2, top + CELL_H + 2, label="")
    loop = (f"M{x0 + CELL_W:.1f},{y_cell + 12:.1f} C{x0 + CELL_W + 46:.1f},{y_cell - 18:.1f} "
            f"{x0 + CELL_W + 46:.1f},{y_cell + CELL_H + 18:.1f} {x0 + CELL_W + 2:.1f},{y_cell + CELL_H - 12:.1f}")
    c.arrow(0, 0, 0, 0, path=loop)
    c.text(x0 + CELL_W + 40, y_cell + CELL_H / 2 + 5, "h", italic=True, anchor="start")
    c.text(x0 + CELL_W + 78, y_cell + CELL_H / 2 + 6, "=")
    # unrolled
    x_start = x0 + CELL_W + 110
    c.text(x_start + (steps * (CELL_W + GAP_X)) / 2, 20, f"unrolled over {steps} steps (one cell, shared weights)")
    c.box(x_start, y_cell, "h_0", COLOURS["io"], w=44)
    prev_right = x_start + 44
    for t in range(1, steps + 1):
        x = x_start + 44 + GAP_X + (t - 1) * (CELL_W + GAP_X)
        c.box(x, y_cell, f"h_{t}")
        c.box(x + 8, y_cell + CELL_H + GAP_Y, f"x_{t}", COLOURS["io"], w=CELL_W - 16)
        c.box(x + 8, top, f"y_{t}", COLOURS["io"], w=CELL_W - 16)
        c.arrow(prev_right, y_cell + CELL_H / 2, x - 2, y_cell + CELL_H / 2)
        if t == 2:
            c.text(prev_right + GAP_X / 2, y_cell - 8, "W_hh", COLOURS["edge"], italic=True)
        c.arrow(x + CELL_W / 2, y_cell + CELL_H + GAP_Y, x + CELL_W / 2, y_cell + CELL_H + 2,
                label="")
        c.arrow(x + CELL_W / 2, y_cell, x + CELL_W / 2, top + CELL_H + 2)
        if backward and t > 1:
            c.arrow(x + 4, y_cell + CELL_H - 6, prev_right + 2, y_cell + CELL_H - 6, COLOURS["grad"], dashed=True)
        prev_right = x + CELL_W
    if backward:
        c.text(x_start + 44 + GAP_X + (steps - 1) * (CELL_W + GAP_X) + CELL_W + 10, y_cell + CELL_H + 4,
               "∂L/∂h flows back", COLOURS["grad"], anchor="start", italic=True)
    c.text(x_start + 44 + GAP_X + 4, y_cell + CELL_H + GAP_Y / 2 + 4, "W_xh", italic=True, anchor="start")
    title = "an RNN folded and unrolled" + (" with the path of the gradient (BPTT)" if backward else "")
    return c.render(title)


def stack(layers: int = 3, steps: int = 4) -> Diagram:
    """``layers`` recurrent layers over ``steps`` steps: each layer reads the states of the one below.

    Time runs to the right inside a layer (its own W_hh); depth runs up (the layer above
    reads h_t of the layer below as its input at step t).
    """
    _check("layers", layers, 1, 6)
    _check("steps", steps, 1, 10)
    c = _Canvas()
    left, top = 96, 30
    row = lambda l: top + (layers - 1 - l) * (CELL_H + GAP_Y) + CELL_H + GAP_Y   # noqa: E731  layer l's y
    for t in range(steps):
        x = left + t * (CELL_W + GAP_X)
        c.box(x + 8, row(-1), f"x_{t + 1}", COLOURS["io"], w=CELL_W - 16)
        c.box(x + 8, top, f"y_{t + 1}", COLOURS["io"], w=CELL_W - 16)
        c.arrow(x + CELL_W / 2, row(layers - 1), x + CELL_W / 2, top + CELL_H + 2)
        for layer in range(layers):
            c.box(x, row(layer), f"h{layer + 1}_{t + 1}")
            c.arrow(x + CELL_W / 2, row(layer - 1) if layer else row(-1), x + CELL_W / 2, row(layer) + CELL_H + 2)
            if t:
                c.arrow(x - GAP_X, row(layer) + CELL_H / 2, x - 2, row(layer) + CELL_H / 2)
    for layer in range(layers):
        c.text(12, row(layer) + CELL_H / 2 + 5, f"layer {layer + 1}", anchor="start")
    c.text(12, row(-1) + CELL_H / 2 + 5, "input", anchor="start")
    c.text(left + steps * (CELL_W + GAP_X) - GAP_X + 8, row(0) + CELL_H / 2 + 5, "time →", anchor="start", italic=True)
    return c.render(f"a stack of {layers} recurrent layers over {steps} steps")


def bidirectional(steps: int = 4) -> Diagram:
    """A bidirectional layer: a forward row reads x_1..x_T, a backward row x_T..x_1.

    The output at step t concatenates the two states [h→_t ; h←_t]: it depends on the whole
    sequence, past and future, which is why it cannot run on a live stream.
    """
    _check("steps", steps, 1, 10)
    c = _Canvas()
    left, top = 110, 30
    y_out, y_fwd, y_bwd = top, top + CELL_H + GAP_Y, top + 2 * (CELL_H + GAP_Y)
    y_in = y_bwd + CELL_H + GAP_Y
    narrow = CELL_W - 20          # forward boxes sit left, backward boxes right, so the wires pass beside them
    for t in range(steps):
        x = left + t * (CELL_W + GAP_X)
        c.box(x + 4, y_out, f"[→{t + 1};←{t + 1}]", COLOURS["io"], w=CELL_W - 8)
        c.box(x, y_fwd, f"h→{t + 1}", w=narrow)
        c.box(x + 20, y_bwd, f"h←{t + 1}", "#f8e3d6", w=narrow)
        c.box(x + 8, y_in, f"x_{t + 1}", COLOURS["io"], w=CELL_W - 16)
        c.arrow(x + 12, y_in, x + 12, y_fwd + CELL_H + 2)
        c.arrow(x + 42, y_in, x + 42, y_bwd + CELL_H + 2, COLOURS["backward"])
        c.arrow(x + 12, y_fwd, x + 12, y_out + CELL_H + 2)
        c.arrow(x + 54, y_bwd, x + 54, y_out + CELL_H + 2, COLOURS["backward"], dashed=True)
        if t:
            before = x - CELL_W - GAP_X                                         # the previous column
            c.arrow(before + narrow, y_fwd + CELL_H / 2, x - 2, y_fwd + CELL_H / 2)
            c.arrow(x + 20, y_bwd + CELL_H / 2, before + 20 + narrow + 2, y_bwd + CELL_H / 2, COLOURS["backward"])
    c.text(12, y_fwd + CELL_H / 2 + 5, "forward", anchor="start")
    c.text(12, y_bwd + CELL_H / 2 + 5, "backward", COLOURS["backward"], anchor="start")
    c.text(12, y_out + CELL_H / 2 + 5, "output", anchor="start")
    c.text(12, y_in + CELL_H / 2 + 5, "input", anchor="start")
    return c.render(f"a bidirectional layer over {steps} steps: forward and backward states concatenated")
