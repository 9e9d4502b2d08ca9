"""A callback for benchmarks: train for a fixed wall-clock budget, with the learning rate
following a schedule over *time* (short warm-up, then cosine decay to 0 as the budget ends),
so a run completes its schedule however loaded the machine is."""
from __future__ import annotations

import math
import time


class TimeBudget:
    """``cb = TimeBudget(seconds, max_lr); cb.start(); fit(..., callbacks=[cb])``.

    Sets every parameter group's LR after each step and stops training once ``seconds``
    have passed since ``start()``; ``elapsed`` is the measured training wall time.
    """

    def __init__(self, seconds: float, max_lr: float, warmup: float = 0.1, clock: str = "wall"):
        if clock not in ("wall", "cpu"):
            raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
        self.seconds, self.max_lr, self.warmup = seconds, max_lr, warmup
        # "cpu": this process's CPU seconds, a stand-in for wall time on a machine nobody else loads
        self.clock = time.perf_counter if clock == "wall" else time.process_time
        self.t0 = None
        self.elapsed = 0.0

    def lr_at(self, frac: float) -> float:
        if frac < self.warmup:
            return self.max_lr * (0.1 + 0.9 * frac / self.warmup)
        return self.max_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - self.warmup) / (1 - self.warmup))))

    def start(self) -> None:
        self.t0 = self.clock()
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def wall_and_cpu(self) -> tuple[float, float]:
        """Seconds of wall clock and of this process's CPU time since ``start()``."""
        return time.perf_counter() - self.wall0, time.process_time() - self.cpu0

    def on_batch_end(self, state) -> None:
        self.elapsed = self.clock() - self.t0
        for group in state.optimizer.param_groups:
            group["lr"] = self.lr_at(self.elapsed / self.seconds)
        if self.elapsed >= self.seconds:
            state.stop = True
