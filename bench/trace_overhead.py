"""Benchmark: rnnviz.trace against the module's own forward, side by side.

2-layer LSTM and GRU, batch 32, 200 steps, 64 inputs, 128 units, float32 on
the CPU, 2 threads, both under torch.no_grad(). Forward and trace are timed
interleaved (forward, trace, forward, trace, ...) so machine noise hits both
alike; the script prints the median of the per-pair ratios and the median
absolute times. Target: trace at most 2.0x the forward on an AVX2 machine.

The ratio depends on the CPU's vector width: on AVX-512 torch's fused kernel
(oneDNN) gains more than the batched matmuls of the recompute do. ``--isa
avx2`` runs the measurement in a child process whose torch, MKL and oneDNN
are held to AVX2 (ATEN_CPU_CAPABILITY, MKL_ENABLE_INSTRUCTIONS,
ONEDNN_MAX_CPU_ISA), as on an AVX2 laptop; ``--isa both`` prints the
native and the AVX2 rows one after the other.

Each row also prints the median minor page faults of one call. A trace returns
about 13x the memory of the forward's output, and when the allocator takes it
fresh from the system every first write to a 4 KB page faults (on this
project's virtual machine ~10,000 faults cost about 9 ms); when it reuses freed
memory the count is near 0. Which case a run gets is up to glibc's heap
(whether the freed trace sat at the top of the heap and was given back), so
``--memory kept`` measures again in a child process whose glibc keeps freed
memory (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_): neither side then
faults, and the ratio is the computation alone; ``--memory both`` prints both.
Run: python bench/trace_overhead.py [--reps N] [--threads N] [--isa native|avx2|both]
                                    [--memory default|kept|both]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

try:
    import resource                      # Unix only: page faults are not counted elsewhere
except ImportError:
    resource = None

import rnnviz

B, T, I, H, L = 32, 200, 64, 128, 2
TARGET = 2.0


def _page_faults() -> int:
    """Minor page faults of this process so far (0 where the OS does not say)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def _clock(fn, faults: list[int]) -> float:
    """Seconds one call takes; appends the minor page faults it caused (first writes to fresh memory)."""
    before = _page_faults()
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    faults.append(_page_faults() - before)
    return took


def measure(kind: str, reps: int) -> tuple[float, float, float, float, float]:
    """(median ratio trace/forward, median forward ms, median trace ms, median page faults of a
    forward, of a trace)."""
    torch.manual_seed(0)
    rnn = getattr(nn, kind)(I, H, num_layers=L, batch_first=True)
    x = torch.randn(B, T, I)                                             # (B, T, I)

    def forward() -> None:
        with torch.no_grad():
            rnn(x)

    def trace() -> None:
        rnnviz.trace(rnn, x)

    for fn in (forward, trace, forward, trace):  # warm-up
        fn()
    f_faults: list[int] = []
    t_faults: list[int] = []
    pairs = [(_clock(forward, f_faults), _clock(trace, t_faults)) for _ in range(reps)]
    ratio = statistics.median(t / f for f, t in pairs)
    return (ratio, 1e3 * statistics.median(f for f, _ in pairs), 1e3 * statistics.median(t for _, t in pairs),
            statistics.median(f_faults), statistics.median(t_faults))


AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
        "DNNL_MAX_CPU_ISA": "AVX2"}
# glibc keeps freed memory instead of giving it back (32 MB is the largest mmap threshold it takes)
KEPT = {"MALLOC_TRIM_THRESHOLD_": str(2 ** 40), "MALLOC_MMAP_THRESHOLD_": str(2 ** 25)}


def main(reps: int, threads: int) -> None:
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    held = all(os.environ.get(k) == v for k, v in AVX2.items())
    kept = all(os.environ.get(k) == v for k, v in KEPT.items())
    print(f"[{'AVX2 (held by environment)' if held else 'native ISA'}, "
          f"{'freed memory kept by glibc' if kept else 'default allocator'}] "
          f"rnnviz.trace / module forward: {L} layers, batch {B}, {T} steps, {I} inputs, {H} units, "
          f"float32, CPU, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"median of {reps} interleaved pairs")
    worst = 0.0
    for kind in ("LSTM", "GRU"):
        ratio, f_ms, t_ms, f_pf, t_pf = measure(kind, reps)
        worst = max(worst, ratio)
        print(f"  {kind:4s}  forward {f_ms:7.2f} ms   trace {t_ms:7.2f} ms   ratio {ratio:.2f}x   "
              f"page faults: forward {f_pf:.0f}, trace {t_pf:.0f}")
    print(f"target <= {TARGET:.1f}x: {'met' if worst <= TARGET else 'NOT met'} (worst {worst:.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--isa", choices=("native", "avx2", "both"), default="native")
    parser.add_argument("--memory", choices=("default", "kept", "both"), default="default")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main(args.reps, args.threads)
        sys.exit(0)
    # the ISA and glibc's settings are fixed when the process starts: a child process for each
    isas = ("native", "avx2") if args.isa == "both" else (args.isa,)
    memories = ("default", "kept") if args.memory == "both" else (args.memory,)
    failed = 0
    for isa in isas:
        for memory in memories:
            env = {k: v for k, v in os.environ.items() if k not in {**AVX2, **KEPT}}
            env.update(AVX2 if isa == "avx2" else {})
            env.update(KEPT if memory == "kept" else {})
            cmd = [sys.executable, __file__, "--child", "--reps", str(args.reps), "--threads", str(args.threads)]
            failed |= subprocess.run(cmd, env=env).returncode
    sys.exit(failed)
