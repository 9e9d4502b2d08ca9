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

    def __init__(self, seconds: float, max_lr: float, warmup: float = 0.1):
        self.seconds, self.max_lr, self.warmup = seconds, max_lr, warmup
        self.t0 = None
        self.elapsed = 0.0

    def lr_at(self, frac: float) -> float:
        if frac < self.warmup:
            return self.max_lr * (0.1 + 0.9 * frac / self.warmup)
        return self.max_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - self.warmup) / (1 - self.warmup))))

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def on_batch_end(self, state) -> None:
        self.elapsed = time.perf_counter() - self.t0
        for group in state.optimizer.param_groups:
            group["lr"] = self.lr_at(self.elapsed / self.seconds)
        if self.elapsed >= self.seconds:
            state.stop = True
