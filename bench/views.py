"""Views: payload size and kernel-side recompute time.

1. Payload of each view for 200 steps x 128 units (target: at most 1 MB):
   bytes of the figure JSON a notebook saves (the plotly MIME output, frames
   included; plotly.js itself travels once per notebook, not per view) and of
   the live widget's state when the view has kernel controls (its Canvas,
   without ``_esm``, the widget's own script).
2. Time to recompute after a new input, 2-layer LSTM, 100 steps, 128 units
   (target: at most 150 ms), with torch.set_num_threads(2). Measured side by
   side, interleaved, median (and best) of several repetitions: capture alone
   (rnnviz.trace), the views' own share (figure rebuilt and refreshed from an
   already captured Trace), the whole in-place refresh a new text triggers,
   and building a fresh view, so the ratios hold on a noisy shared machine.

3. Long inputs (issue 14): build time and figure JSON size of the unroll view
   at 100, 500 and 2,000 steps, 128 LSTM units (32 shown), with word tokens,
   without and with a readout track (target: under 1 s and 1 MB each). Build
   time: from a captured Trace to the MIME bundle a notebook stores (figure
   built, styled, packed, serialised), median of 3.

4. Long attention maps: build time and figure JSON size of the attention
   view at 120 x 120, 500 x 500 and 2,000 x 2,000 (one head, word tokens;
   target: under 1 s and 1 MB each), median of 3, measured as in 3.

Run: .venv/bin/python bench/views.py
"""
from __future__ import annotations

import json
import re
import statistics
import time

import torch
from ipywidgets.widgets.widget import _remove_buffers
from tqdm.auto import tqdm

import rnnviz
from rnnviz.capture import Trace
from rnnviz.gradients import GradientFlow

torch.set_num_threads(2)
torch.set_flush_denormal(True)
LIMIT = 1_000_000


def widget_bytes(view) -> int:
    """Bytes of the live Canvas state as sent to the browser, its script excluded."""
    state = view.canvas.get_state()
    state.pop("_esm", None)
    stripped, _, buffers = _remove_buffers(state)
    return len(json.dumps(stripped, default=str)) + sum(len(b) for b in buffers)


def payloads() -> None:
    torch.manual_seed(0)
    T, H = 200, 128
    lstm = torch.nn.LSTM(16, H)
    x = torch.randn(T, 16)                                  # (T, I)
    tokens = [f"w{t}" for t in range(T)]
    tr = rnnviz.trace(lstm, x)
    flows = {k: GradientFlow(torch.rand(2, 1, 1, T), torch.rand(1, T), 1.0, kind=k) for k in ("RNN", "LSTM", "GRU")}
    history = [(s, GradientFlow(torch.rand(2, 1, 1, T), torch.rand(1, T), 1.0, kind="LSTM")) for s in range(0, 50, 5)]
    stacked = Trace("LSTM", torch.rand(2, 2, 1, T, H) * 2 - 1, None, {}, tr.output, tr.h_n, None, tr.lengths)
    cases = {
        "unroll  (live LSTM + clamp, 200 x 128)": lambda w: rnnviz.unroll_view(lstm, x, tokens=tokens, clamp={},
                                                                               widget=w),
        "unroll  (1 layer, 200 x 128)": lambda w: rnnviz.unroll_view(tr, tokens=tokens, widget=w),
        "unroll  (2 layers x 2 dirs, 200 x 128 each)": lambda w: rnnviz.unroll_view(stacked, tokens=tokens, widget=w),
        "gates   (4 units, default)": lambda w: rnnviz.gates_view(tr, tokens=tokens, widget=w),
        "gates   (16 units)": lambda w: rnnviz.gates_view(tr, tokens=tokens, units=range(16), widget=w),
        "gradient (3 models x 2 layers)": lambda w: rnnviz.gradient_view(flows, tokens=tokens, widget=w),
        "gradient (10 training steps)": lambda w: rnnviz.gradient_view(history, widget=w),
        "attention (200 target x 128 source)": lambda w: rnnviz.attention_view(
            torch.softmax(torch.randn(T, H), -1), widget=w),
        "attention (4 heads, 50 x 50)": lambda w: rnnviz.attention_view(
            torch.softmax(torch.randn(1, 4, 50, 50), -1), widget=w),
        "attention (2,000 x 2,000, windowed)": lambda w: rnnviz.attention_view(
            torch.softmax(torch.randn(2000, 2000), -1), widget=w),
    }
    print(f"payload per view (limit {LIMIT:,} bytes)")
    print(f"  {'view':46s} {'figure JSON':>12s} {'widget state':>13s}")
    for name, make in tqdm(cases.items(), desc="payload", leave=False):
        view = make(True)
        fig_bytes = len(json.dumps(view._repr_mimebundle_()["application/vnd.plotly.v1+json"]))
        state_bytes = widget_bytes(view) if view.canvas is not None else 0
        flag = "ok" if max(fig_bytes, state_bytes) <= LIMIT else "OVER"
        live = f"{state_bytes:13,d}" if view.canvas is not None else f"{'(no widget)':>13s}"
        print(f"  {name:46s} {fig_bytes:12,d} {live}  {flag}")


def recompute(reps: int = 15) -> None:
    torch.manual_seed(0)
    T, H, I = 100, 128, 32
    lstm = torch.nn.LSTM(I, H, num_layers=2).eval()
    table = torch.randn(128, I)

    def encode(text: str):
        ids = torch.tensor([ord(c) % 128 for c in text])
        return table[ids], list(text)                       # (T, I)

    texts = ["".join(chr(97 + (i * k) % 26) for i in range(T)) for k in range(1, reps + 3)]
    unroll = rnnviz.unroll_view(lstm, encode=encode, text=texts[0], widget=True)
    gates = rnnviz.gates_view(lstm, encode=encode, text=texts[0], widget=True)
    ready = {s: rnnviz.trace(lstm, encode(s)[0]) for s in texts}  # for the view-side share alone

    def views_only(view, s):
        view.refresh(*view.whatif.build(ready[s], list(s)))

    runs = {
        "capture only (rnnviz.trace)": lambda s: rnnviz.trace(lstm, encode(s)[0]),
        "unroll view: refresh from a ready Trace": lambda s: views_only(unroll, s),
        "gates view: refresh from a ready Trace": lambda s: views_only(gates, s),
        "unroll view: new text, in place": lambda s: unroll.whatif.set_text(s),
        "gates view: new text, in place": lambda s: gates.whatif.set_text(s),
        "unroll view: build a new widget": lambda s: rnnviz.unroll_view(lstm, encode=encode, text=s, widget=True),
    }
    for name, fn in runs.items():                           # warm-up round, not timed
        fn(texts[-1])
    times = {k: [] for k in runs}
    for r in tqdm(range(reps), desc="recompute", leave=False):  # interleaved: every variant once per round
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn(texts[r + 1])
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["capture only (rnnviz.trace)"])
    print(f"\nrecompute after a new input: 2-layer LSTM, {T} steps, {H} units, torch threads 2, "
          f"{reps} interleaved rounds (target <= 150 ms for the in-place refresh)")
    print(f"  {'':40s} {'median':>9s} {'best':>9s}   median ratio")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:40s} {med * 1e3:6.1f} ms {min(ts) * 1e3:6.1f} ms   x{med / base:6.2f} of capture")


def measured(build, reps: int) -> tuple[dict, str]:
    """Build a view ``reps`` times up to its saved output: (its plotly figure, a table row of the median
    build time, the figure's JSON size as saved and compact, and ok/OVER against LIMIT and 1 s)."""
    times, bundle = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        bundle = build()._repr_mimebundle_()
        times.append(time.perf_counter() - t0)
    fig = bundle["application/vnd.plotly.v1+json"]
    size = len(json.dumps(fig))
    compact = len(json.dumps(fig, separators=(",", ":"), ensure_ascii=False))
    flag = "ok" if size <= LIMIT and statistics.median(times) <= 1.0 else "OVER"
    return fig, f"{statistics.median(times) * 1e3:12.0f} ms {size:12,d} {compact:10,d}  {flag}"


def long_inputs(reps: int = 3) -> None:
    torch.manual_seed(0)
    H = 128
    lstm = torch.nn.LSTM(16, H).eval()
    head = torch.nn.Linear(H, 2)

    def p_positive(h):                                      # (T, H) -> (T,)
        return head(h).softmax(-1)[:, 1]

    print(f"\nlong inputs: unroll view, LSTM {H} units, word tokens (limit {LIMIT:,} bytes, 1 s)")
    print(f"  {'steps':>6s} {'readout':>8s} {'build (median)':>15s} {'figure JSON':>12s} {'compact':>10s}")
    for T in (100, 500, 2000):
        tr = rnnviz.trace(lstm, torch.randn(T, 16))         # (T, I)
        words = [("the", "film", "was", "wonderful", "and", "i", "loved", "it")[t % 8] for t in range(T)]
        for readout in (None, p_positive):
            fig, row = measured(lambda: rnnviz.unroll_view(tr, tokens=words, readout=readout,
                                                           readout_name="P(positive)", widget=True), reps)
            print(f"  {T:6d} {'yes' if readout else 'no':>8s} {row}")


def long_attention(reps: int = 3) -> None:
    torch.manual_seed(0)
    print(f"\nlong attention maps: one head, word tokens (limit {LIMIT:,} bytes, 1 s)")
    print(f"  {'map':>12s} {'weights':>9s} {'build (median)':>15s} {'figure JSON':>12s} {'compact':>10s}  title says")
    for T, kind in ((120, "random"), (500, "random"), (2000, "random"), (500, "local"), (2000, "local")):
        # random: the most-attended source jumps anywhere, so the windows cover the whole map (the worst
        # case for size); local: mostly near the query's own position, as a trained encoder often is
        i = torch.arange(T, dtype=torch.float32)
        near = -(i[:, None] - i[None]).abs() / 4 if kind == "local" else 0.0
        w = torch.softmax(near + torch.randn(T, T), -1)            # (T, S) self-attention
        words = [("the", "film", "was", "wonderful", "and", "i", "loved", "it")[t % 8] for t in range(T)]
        fig, row = measured(lambda: rnnviz.attention_view(w, words, words, widget=True), reps)
        text = " ".join(re.sub(r"<[^>]+>", " ", fig["layout"]["title"]["text"]).split())
        note = "; ".join(part.strip() for part in text.split(";") if "window" in part or "every" in part)
        print(f"  {f'{T} x {T}':>12s} {kind:>9s} {row}  {note}")


if __name__ == "__main__":
    payloads()
    recompute()
    long_inputs()
    long_attention()
