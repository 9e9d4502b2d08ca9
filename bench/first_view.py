"""First view in a fresh kernel: what every notebook pays before its first picture (target: 1.5 s).

Starts a fresh IPython kernel with jupyter_client (as JupyterLab does), then
times, each as one executed cell, wall clock from request to reply:

1. ``import torch, rnnviz``
2. the first ``rnnviz.unroll_view(...)`` of a 2-layer LSTM on 11 tokens,
   displayed (the MIME bundle, plotly.js included, is built and sent),
3. a second one (warm), and the first view with kernel controls
   (``clamp={}``: the live widget too).

Repeated in ``--runs`` fresh kernels (default 3); prints each run and the median.
Run: .venv/bin/python bench/first_view.py
"""
from __future__ import annotations

import argparse
import statistics
import time

from jupyter_client.manager import start_new_kernel

SETUP = """import torch
torch.set_num_threads(2)"""
IMPORT = "import torch, rnnviz"
BUILD = """torch.manual_seed(0)
lstm = torch.nn.LSTM(3, 8, num_layers=2)
tokens = "the cat sat on the mat and then it ran off".split()
x = torch.randn(len(tokens), 3)"""
VIEW = "rnnviz.unroll_view(lstm, x, tokens=tokens)"
LIVE = "rnnviz.gates_view(lstm, x, tokens=tokens, clamp={})"


def run_cell(kc, code: str) -> tuple[float, int]:
    """Seconds from execute request to its reply, and bytes of display data received."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=120)
    seconds = time.perf_counter() - t0
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
    size = 0
    while True:  # drain IOPub up to this cell's idle status
        msg = kc.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "execute_result"):
            size += sum(len(str(v)) for v in msg["content"]["data"].values())
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return seconds, size


def one_run() -> dict[str, float]:
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        run_cell(kc, "pass")                       # the kernel is up and idle
        out = {}
        out["import torch, rnnviz"], _ = run_cell(kc, IMPORT)
        run_cell(kc, SETUP + "\n" + BUILD)
        out["first unroll_view"], out["bytes"] = run_cell(kc, VIEW)
        out["second unroll_view"], _ = run_cell(kc, VIEW)
        out["first view with controls"], _ = run_cell(kc, LIVE)
        return out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = [one_run() for _ in range(parser.parse_args().runs)]
    keys = ["import torch, rnnviz", "first unroll_view", "second unroll_view", "first view with controls"]
    print(f"fresh kernel, {len(runs)} runs (seconds, request to reply)")
    print(f"  {'':28s}" + "".join(f"{'run ' + str(i + 1):>9s}" for i in range(len(runs))) + f"{'median':>9s}")
    for k in keys:
        vals = [r[k] for r in runs]
        print(f"  {k:28s}" + "".join(f"{v:9.2f}" for v in vals) + f"{statistics.median(vals):9.2f}")
    total = [r["import torch, rnnviz"] + r["first unroll_view"] for r in runs]
    print(f"  {'import + first view':28s}" + "".join(f"{v:9.2f}" for v in total)
          + f"{statistics.median(total):9.2f}   (target <= 1.50)")
    print(f"  first view output: {runs[0]['bytes'] / 1e6:.1f} MB (plotly.js once for the notebook + the figure)")


if __name__ == "__main__":
    main()
