"""Seq2seq with additive attention on the date-format task: exact match on held-out inputs
after at most 60 s of training (2 CPU threads), and a check that the attention aligns
(the year digits of the output attend to the year characters of the input).

Run: .venv/bin/python bench/seq2seq_dates.py   (RNNVIZ_BENCH_THREADS overrides the 2 threads;
RNNVIZ_BENCH_CLOCK=cpu budgets this process's CPU seconds instead of wall time: on a machine
that others load, with 1 thread, that approximates the wall time of a quiet machine)
"""
from __future__ import annotations

import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from _budget import TimeBudget  # noqa: E402

from rnnviz.models import Seq2Seq  # noqa: E402
from rnnviz.synthetic import dates  # noqa: E402
from rnnviz.train import BucketBatches, fit, token_cross_entropy  # noqa: E402

BUDGET_S, TARGET = 55.0, 0.99
SETTINGS = dict(embed_dim=32, hidden_size=64, cell="gru", attention="additive", bidirectional_encoder=True)
N_TRAIN, N_TEST, BATCH, MAX_LR = 30_000, 2_000, 128, 1e-2


def year_span(source: str, year: int) -> range:
    """Character positions of the year in a date spelling (4 digits, or 2 in the 03/03/21 form)."""
    if source.startswith(str(year)) and len(source) == 8:          # 20210303
        return range(0, 4)
    if source.endswith(str(year)):
        return range(len(source) - 4, len(source))
    return range(len(source) - 2, len(source))                       # two-digit year at the end


def main() -> None:
    threads = int(os.environ.get("RNNVIZ_BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min load average), torch threads: {threads}, "
          f"budget clock: {os.environ.get('RNNVIZ_BENCH_CLOCK', 'wall')}")
    train = dates(N_TRAIN, seed=0)
    pool = dates(N_TEST * 2, seed=1)
    seen = set(train.source)
    keep = [i for i, s in enumerate(pool.source) if s not in seen][:N_TEST]   # held-out inputs only
    test_src, test_len = pool.src[keep], pool.src_lengths[keep]
    test_tgt = pool.tgt[keep]                                         # (N, 12)
    torch.manual_seed(0)
    pad = train.tgt_vocab.stoi["<pad>"]
    model = Seq2Seq(len(train.src_vocab), len(train.tgt_vocab), bos_id=train.tgt_vocab.stoi["<s>"],
                    eos_id=train.tgt_vocab.stoi["</s>"], pad_id=pad, **SETTINGS)
    data = (train.src, train.src_lengths, train.tgt[:, :-1], train.tgt[:, 1:])
    budget = TimeBudget(BUDGET_S, MAX_LR, clock=os.environ.get("RNNVIZ_BENCH_CLOCK", "wall"))
    opt = torch.optim.Adam(model.parameters(), lr=budget.lr_at(0.0))
    budget.start()
    hist = fit(model, BucketBatches(data, train.src_lengths, BATCH), epochs=100, optimizer=opt,
               loss_fn=token_cross_entropy, callbacks=[budget], progress=False)
    train_s, cpu_s = budget.wall_and_cpu()
    model.eval()
    pred = model.greedy(test_src, test_len, max_len=test_tgt.shape[1] - 1)       # (N, 11)
    exact = float((pred == test_tgt[:, 1:]).all(1).float().mean())
    # alignment: teacher-forced attention of the 4 year-digit outputs (target steps 0..3)
    model(test_src, test_len, test_tgt[:, :-1])
    att = model.last_attention                                        # (N, 11, S)
    on_year, argmax_in = [], []
    for n, i in enumerate(keep):
        span = list(year_span(pool.source[i], int(pool.target[i][:4])))
        w = att[n, 0:4]                                               # (4, S)
        on_year.append(float(w[:, span].sum(-1).mean()))
        argmax_in.append(float(sum(int(a) in span for a in w.argmax(-1)) / 4))
    mass, hits = sum(on_year) / len(on_year), sum(argmax_in) / len(argmax_in)
    print(f"settings: {SETTINGS}, train {N_TRAIN} examples, batch {BATCH}, Adam max lr {MAX_LR} "
          f"(cosine over the {BUDGET_S:.0f} s budget)")
    print(f"training: {train_s:.1f} s wall clock, {cpu_s:.1f} s CPU, {len(hist.step_loss)} steps, "
          f"{len(hist.train_loss)} epochs, last loss {hist.step_loss[-1]:.4f}")
    print(f"held-out exact match: {exact:.4f} on {len(keep)} inputs never seen in training (target {TARGET})")
    print(f"attention of year-digit outputs on the source year characters: mean weight {mass:.3f}, "
          f"argmax inside the year {hits:.3f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    ok = exact >= TARGET and (cpu_s if os.environ.get('RNNVIZ_BENCH_CLOCK') == 'cpu' else train_s) <= 60 and hits >= 0.9
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
