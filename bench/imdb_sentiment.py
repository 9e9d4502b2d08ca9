"""IMDB sentiment with a recurrent network: all 25,000 test reviews, a fixed seeded schedule.

The course's Keras reference: Embedding(10000, 2) + SimpleRNN(32), the last 100 words, Adam,
83.4 % after 5 epochs. Here a GRU stays in the path, and the score depends on no clock: the
schedule is a fixed number of optimiser steps (EPOCHS passes of length-bucketed batches in a
seeded order), so the same test accuracy comes out on every machine, up to the CPU's float
rounding (check with ATEN_CPU_CAPABILITY=default).

Choices (see notebook 06's ablation for what each buys): the last 400 words instead of 100,
32-d embeddings with dropout, a Conv1d of stride 4 that turns every 4 words into one step
(the GRU runs 100 sequential steps, not 400), mean+max pooling of the GRU's states instead of
its last state, batches of 256, Adam with a one-cycle learning rate.

The same run times the reference recipe's epoch on this machine (CPU time of a few batches,
scaled to the epoch) and prints the ratio. Times are this process's CPU seconds on 2 torch
threads: others loading the machine stretch wall time, much less CPU time.

Run: .venv/bin/python bench/imdb_sentiment.py     (RNNVIZ_BENCH_THREADS overrides the 2 threads)
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import rnnviz.data  # noqa: E402
from rnncourse.lessons.reviews import ReviewRNN, reference_epoch_seconds, train_reviews  # noqa: E402

SEED, MAX_LEN, EPOCHS, BATCH, LR = 0, 400, 4, 256, 1e-2
SETTINGS = dict(embed_dim=32, hidden_size=32, cell="gru", pooling="meanmax", stride=4, embed_dropout=0.3)
TARGET, LIMIT_S = 0.87, 60.0


def main() -> int:
    threads = int(os.environ.get("RNNVIZ_BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    t = time.perf_counter()
    data = rnnviz.data.imdb(max_len=MAX_LEN, vocab_size=10_000, align="left", keep="last")
    reference = rnnviz.data.imdb(max_len=100, vocab_size=10_000, align="left", keep="last")
    print(f"data: {len(data.train):,} train / {len(data.test):,} test reviews, last {MAX_LEN} words, "
          f"10,000 ids, loaded in {time.perf_counter() - t:.1f} s")
    print(f"torch threads: {threads}, ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', 'native')}, "
          f"1-min load average before: {os.getloadavg()[0]:.1f}")
    torch.manual_seed(SEED)
    model = ReviewRNN(10_000, **SETTINGS)
    run = train_reviews(model, data.train, data.test, epochs=EPOCHS, batch_size=BATCH, lr=LR, seed=SEED,
                        score_train=False)
    ref_epoch = reference_epoch_seconds(reference.train, batches=40, seed=SEED)
    print(f"settings: {SETTINGS}, last {MAX_LEN} words, batch {BATCH}, Adam one-cycle max lr {LR}, "
          f"{EPOCHS} epochs = {run.steps} steps, seed {SEED}")
    print("test accuracy per epoch: " + ", ".join(f"{a:.4f}" for a in run.test_acc))
    print(f"training: {run.cpu_s:.1f} s CPU ({run.wall_s:.1f} s wall) on {threads} threads (limit {LIMIT_S:.0f} s)")
    print(f"reference recipe (Embedding(10000, 2) + RNN(32), last 100 words, batches of 32, Adam): "
          f"{ref_epoch:.1f} s CPU per epoch; this whole training = {run.cpu_s / ref_epoch:.2f} reference epochs")
    print(f"1-min load average after: {os.getloadavg()[0]:.1f}")
    acc = run.test_acc[-1]
    print(f"test accuracy: {acc:.4f}")
    ok = acc >= TARGET and run.cpu_s <= LIMIT_S
    print("PASS" if ok else f"FAIL (target {TARGET} within {LIMIT_S:.0f} s CPU)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
