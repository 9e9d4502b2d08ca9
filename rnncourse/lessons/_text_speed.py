"""Timing helpers of notebook 07: an RNN against a Transformer layer of the same size.

- :func:`race` - training and inference time over growing lengths, interleaved (:class:`Race`).
- :class:`CachedLayer` and :func:`stream_costs` - generating token by token: an RNN's fixed
  state against a Transformer layer's growing key/value cache.

Public through :mod:`rnncourse.lessons.text`. Letters: B batch, T time, E features, S cached steps.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["Race", "race", "CachedLayer", "stream_costs"]


@dataclass
class Race:
    """Wall times of :func:`race` (fastest repetition): ``ms[(model, mode)]`` one value per length, in ms.

    model: "rnn" or "transformer"; mode: "inference" (no grad) or "training" (forward + backward).
    """

    lengths: list[int]
    ms: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def growth(self, model: str, mode: str) -> float:
        """Time at the longest length / time at the shortest: how fast the cost grows with length."""
        times = self.ms[(model, mode)]
        return times[-1] / times[0]

    def ratio(self, mode: str) -> list:
        """Transformer time / RNN time at every length (above 1: the Transformer is slower)."""
        return [t / r for t, r in zip(self.ms[("transformer", mode)], self.ms[("rnn", mode)])]

    def crossover(self, mode: str) -> float:
        """The length at which the Transformer becomes slower than the RNN, interpolated on log scales
        between the two measured lengths around it; ``nan`` when the ratio does not cross 1."""
        logs = [math.log(r) for r in self.ratio(mode)]
        for i in range(len(logs) - 1):
            if logs[i] < 0 <= logs[i + 1]:
                a, b = math.log(self.lengths[i]), math.log(self.lengths[i + 1])
                return math.exp(a + (b - a) * -logs[i] / (logs[i + 1] - logs[i]))
        return math.nan

    def __repr__(self) -> str:
        keys = list(self.ms)
        head = "length " + " ".join(f"{m[:3]}·{mode[:5]} ms".rjust(15) for m, mode in keys)
        rows = [f"{T:6d} " + " ".join(f"{self.ms[k][i]:15.2f}" for k in keys) for i, T in enumerate(self.lengths)]
        grow = "growth " + " ".join(f"x{self.growth(*k):14.1f}" for k in keys)
        return "\n".join([head, *rows, grow])


def _pair(d_model: int, nhead: int) -> dict:
    """A GRU and a Transformer encoder layer of (nearly) the same size: 6E^2+6E against 6E^2+10E numbers."""
    return {"rnn": nn.GRU(d_model, d_model, batch_first=True),
            "transformer": nn.TransformerEncoderLayer(d_model, nhead, d_model, dropout=0.0, batch_first=True)}


def _timed(model: nn.Module, x: torch.Tensor, training: bool, calls: int = 1) -> float:
    """Wall time in ms of one forward (and backward, when training) pass on x (B, T, E),
    averaged over ``calls`` passes in a row (short passes are too brief to time one by one)."""
    model.train(training)
    start = time.perf_counter()
    for _ in range(calls):
        with torch.set_grad_enabled(training):
            out = model(x)
            out = out[0] if isinstance(out, tuple) else out                           # (B, T, E)
            if training:
                out.square().mean().backward()
    ms = 1000 * (time.perf_counter() - start) / calls
    model.zero_grad(set_to_none=True)
    return ms


def race(lengths=(16, 64, 256, 1024), *, d_model: int = 64, nhead: int = 4, batch: int = 8,
         reps: int = 5, threads: int = 1, seed: int = 0) -> Race:
    """Time a GRU against a Transformer encoder layer of the same size over growing lengths.

    Every repetition times every (length, model, mode) once, interleaved, so machine load
    hits all alike; a short length is timed over several passes in a row (at least 64 steps in
    all). The result holds the fastest repetition of each: load from other programs only ever
    adds time, so the minimum is the closest to what the pass costs on a quiet machine. Inputs are (batch, T, d_model) floats.
    Both run on ``threads`` torch threads (default one core: the race is then about
    sequential steps against a few large matrix products, not about thread counts).
    """
    lengths = sorted(int(T) for T in lengths)
    if len(lengths) < 2 or lengths[0] < 1 or reps < 1:
        raise ValueError(f"expected at least two positive lengths and reps >= 1, got {lengths}, reps={reps}")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        models = _pair(d_model, nhead)
        xs = {T: torch.randn(batch, T, d_model) for T in lengths}                    # (B, T, E)
    out = Race(lengths, params={n: sum(p.numel() for p in m.parameters()) for n, m in models.items()})
    samples = {(n, mode): {T: [] for T in lengths} for n in models for mode in ("inference", "training")}
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        _race(models, xs, samples, reps)
    finally:
        torch.set_num_threads(before)
    out.ms = {k: [min(v[T]) for T in lengths] for k, v in samples.items()}
    return out


def _race(models: dict, xs: dict, samples: dict, reps: int) -> None:
    for rep in tqdm(range(reps + 1), desc="race", leave=False):   # repetition 0 warms up, untimed
        for T, x in xs.items():
            for (name, mode), times in samples.items():
                ms = _timed(models[name], x, mode == "training", calls=max(1, 64 // x.shape[1]))
                if rep:
                    times[T].append(ms)


class CachedLayer:
    """Run a post-norm ``nn.TransformerEncoderLayer`` (batch_first) one token at a time under a
    causal mask, keeping every earlier step's keys and values in a cache.

    ``step(x)`` x (B, E) -> (B, E) equals the last row of ``layer(prefix + x, causal mask)``.
    ``cached_floats`` grows by 2E per step and sequence; an RNN's state stays the same size.
    """

    def __init__(self, layer: nn.TransformerEncoderLayer):
        if not isinstance(layer, nn.TransformerEncoderLayer) or layer.norm_first or not layer.self_attn.batch_first:
            raise TypeError("expected a post-norm nn.TransformerEncoderLayer(batch_first=True), "
                            f"got {type(layer).__name__}")
        self.layer = layer
        self.heads = layer.self_attn.num_heads
        self.k = self.v = None                                                        # (B, heads, S, E/heads)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        B, T, E = x.shape
        return x.view(B, T, self.heads, E // self.heads).transpose(1, 2)             # (B, heads, T, E/heads)

    def _kv(self, x: torch.Tensor):
        attn = self.layer.self_attn
        q, k, v = nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)  # (B, T, E)
        return self._split(q), self._split(k), self._split(v)

    @torch.no_grad()
    def prefill(self, xs: torch.Tensor) -> None:
        """Cache the keys and values of a whole prefix xs (B, S, E) at once."""
        _, self.k, self.v = self._kv(xs)                                              # (B, heads, S, E/heads)

    @torch.no_grad()
    def step(self, x: torch.Tensor) -> torch.Tensor:
        """One new token x (B, E) attends to itself and the cache; returns the layer's output (B, E)."""
        lay = self.layer
        q, k, v = self._kv(x[:, None])                                                # (B, heads, 1, E/heads)
        self.k = k if self.k is None else torch.cat([self.k, k], dim=2)               # (B, heads, S+1, E/heads)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=2)
        w = torch.softmax(q @ self.k.transpose(2, 3) / q.shape[-1] ** 0.5, dim=-1)    # (B, heads, 1, S+1)
        a = (w @ self.v).transpose(1, 2).reshape(x.shape)                             # (B, E)
        h = lay.norm1(x + lay.self_attn.out_proj(a))                                  # (B, E)
        return lay.norm2(h + lay.linear2(lay.activation(lay.linear1(h))))             # (B, E)

    def truncate(self, steps: int) -> None:
        """Forget every cached step from ``steps`` on."""
        self.k, self.v = self.k[:, :, :steps], self.v[:, :, :steps]

    @property
    def cached_floats(self) -> int:
        return 0 if self.k is None else self.k.numel() + self.v.numel()


def stream_costs(prefixes=(16, 128, 1024), *, d_model: int = 64, nhead: int = 4, reps: int = 5,
                 threads: int = 1, seed: int = 0) -> list[dict]:
    """Cost of the next token after a prefix of S tokens, for one stream (batch 1).

    Per prefix: ``state_floats`` the GRU carries to the next token (the size of the state it
    returns: E), ``cache_floats`` the Transformer layer keeps (its cached keys and values after
    the prefix: 2 S E), and median microseconds per new token for the GRU step (``rnn_us``), the
    cached layer step (``cached_us``) and re-running the layer on the whole prefix
    (``recompute_us``), interleaved over ``reps`` repetitions, on ``threads`` torch threads.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _stream_costs(prefixes, d_model, nhead, reps, seed)
    finally:
        torch.set_num_threads(before)


def _stream_costs(prefixes, d_model: int, nhead: int, reps: int, seed: int) -> list[dict]:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        models = _pair(d_model, nhead)
        rnn, layer = models["rnn"].eval(), models["transformer"].eval()
        xs = {S: torch.randn(1, S + 1, d_model) for S in prefixes}                   # (1, S+1, E)
    cached = CachedLayer(layer)
    timings = {S: {"rnn_us": [], "cached_us": [], "recompute_us": []} for S in prefixes}
    sizes = {}                                # floats each model carries to the next token, read off its tensors
    h = torch.zeros(1, 1, d_model)                                                    # (1, B, H)
    with torch.no_grad():
        for rep in tqdm(range(reps + 1), desc="stream", leave=False):   # repetition 0 warms up
            for S, x in xs.items():
                cached.prefill(x[:, :S])
                cache = cached.cached_floats
                t0 = time.perf_counter()
                _, state = rnn(x[:, S:], h)                                           # (1, 1, H)
                t1 = time.perf_counter()
                sizes[S] = {"state_floats": state.numel(), "cache_floats": cache}
                cached.step(x[:, S])
                t2 = time.perf_counter()
                layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(S + 1), is_causal=True)
                t3 = time.perf_counter()
                for key, dt in (("rnn_us", t1 - t0), ("cached_us", t2 - t1), ("recompute_us", t3 - t2)):
                    if rep:
                        timings[S][key].append(1e6 * dt)
    return [{"prefix": S, **sizes[S], **{k: statistics.median(v) for k, v in timings[S].items()}} for S in prefixes]
