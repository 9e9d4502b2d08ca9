"""Benchmark: rnnviz.gradient_flow against the model's plain forward+backward.

2-layer LSTM, batch 32, 200 steps, 128 units, float32 on CPU, 2 threads. The two
are timed interleaved in one run (A, B, A, B, ...) so machine noise hits both
alike; the script prints the median of the per-pair ratios and absolute times.
Run: python bench/gradient_flow.py [--reps N] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import rnnviz

B, T, I, H, L = 32, 200, 128, 128, 2
TARGET = 2.0


def main(reps: int, threads: int) -> None:
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = nn.LSTM(I, H, num_layers=L, batch_first=True)
    x = torch.randn(B, T, I)
    loss_fn = lambda out: out[0].pow(2).mean()  # noqa: E731

    def plain() -> None:
        model.zero_grad(set_to_none=True)
        loss_fn(model(x)).backward()

    def flow() -> None:
        rnnviz.gradient_flow(model, x, loss_fn)

    for fn in (plain, flow):  # warm-up
        fn()
    pairs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        plain()
        t1 = time.perf_counter()
        flow()
        t2 = time.perf_counter()
        pairs.append((t1 - t0, t2 - t1))
    plain_ms = statistics.median(p for p, _ in pairs) * 1e3
    flow_ms = statistics.median(f for _, f in pairs) * 1e3
    ratio = statistics.median(f / p for p, f in pairs)
    print(f"settings: nn.LSTM({I}, {H}, num_layers={L}, batch_first=True), batch {B}, {T} steps, "
          f"float32, CPU, torch {torch.__version__}, threads {torch.get_num_threads()}, {reps} interleaved pairs")
    print(f"plain forward+backward: median {plain_ms:.1f} ms")
    print(f"gradient_flow:          median {flow_ms:.1f} ms")
    print(f"ratio gradient_flow / plain (median of pairs): {ratio:.2f}x (target <= {TARGET:.0f}x): "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    main(args.reps, args.threads)
