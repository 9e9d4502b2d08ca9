"""Experiment helpers for notebooks 04 (hybrid architectures) and 05 (kinds of RNN, input/output patterns).

Letters: B batch, T time (frames), S source steps, C channels, Hi/W image height/width,
H units, K classes/outputs.

- long noisy signals for the CNN-RNN section (:func:`bursts`, :func:`ordered_bursts`, the baseline
  :class:`ConvOnly`), defined in :mod:`rnncourse.lessons.signals` and re-exported here;
- next-frame prediction with a ConvLSTM (:class:`NextFrame`, :func:`frame_errors`, :func:`frames_figure`);
- date translation with a seq2seq model and the alignment of its attention
  (:func:`date_model`, :func:`translate`, :func:`year_attention`);
- the cell zoo (:func:`param_counts`, :class:`AttentionClassifier`, :func:`step_seconds`) and a
  one-to-many model (:class:`OneToMany`, :func:`count_up`).
"""
from __future__ import annotations

import time

import torch
from torch import nn

from rnnviz.models import ConvLSTM, Seq2Seq
from rnnviz.models import validate as _check
from rnnviz.models import make_rnn, run_rnn as run
from rnnviz.attention import AdditiveAttention
from rnnviz.synthetic import DateTask

from .signals import ConvOnly, bursts, ordered_bursts  # noqa: F401  (notebook 04 reads them from here)

__all__ = ["bursts", "ordered_bursts", "ConvOnly", "NextFrame", "next_frame_loss", "frame_errors", "frames_figure", "date_model",
           "date_batches", "translate", "year_span", "year_attention", "param_counts",
           "AttentionClassifier", "step_seconds", "OneToMany", "count_up", "date_attention",
           "date_months", "moving_direction", "interleaved_fit"]


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"expected {name} an int >= {minimum}, got {value!r}")
    return value


class NextFrame(nn.Module):
    """A ConvLSTM layer and a 1x1 convolution that read frames 0..t and predict frame t + 1.

    ``forward(video (B, T, C, Hi, W))`` -> logits (B, T, C, Hi, W): step t holds the
    prediction of frame t + 1 (pixel probability = sigmoid of the logit).
    The ConvLSTM is ``self.convlstm``; its cell keeps the gates of the last step.
    """

    def __init__(self, channels: int = 1, hidden_channels: int = 8, kernel_size: int = 3):
        super().__init__()
        self.convlstm = ConvLSTM(channels, hidden_channels, kernel_size)
        self.head = nn.Conv2d(hidden_channels, channels, 1)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        out, _ = self.convlstm(video)                                         # (B, T, Hc, Hi, W)
        B, T = out.shape[:2]
        logits = self.head(out.flatten(0, 1))                                 # (B*T, C, Hi, W)
        return logits.reshape(B, T, *logits.shape[1:])                        # (B, T, C, Hi, W)


def next_frame_loss(logits: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the predictions of frames 1..T-1 (from logits (B, T, ...) of :class:`NextFrame`)."""
    if logits.shape != video.shape or video.dim() != 5:
        raise ValueError(f"expected logits and video of the same (batch, time, channels, height, width) shape, "
                         f"got {tuple(logits.shape)} and {tuple(video.shape)}")
    return nn.functional.binary_cross_entropy_with_logits(logits[:, :-1], video[:, 1:])


@torch.no_grad()
def frame_errors(model: NextFrame, video: torch.Tensor, warmup: int = 2) -> dict[str, float]:
    """Mean squared pixel error of the model's next-frame probabilities and of copying the last frame.

    Scored on frames ``warmup``..T-1, so that the model has seen at least ``warmup``
    frames (one frame alone cannot show which way a square moves).
    Returns {"model": ..., "copy last frame": ...}.
    """
    if video.dim() != 5 or not warmup < video.shape[1]:
        raise ValueError(f"expected a (batch, time, channels, height, width) video with more than {warmup} "
                         f"frames, got {tuple(video.shape)}")
    was = model.training
    model.eval()
    prob = torch.sigmoid(model(video))                                        # (B, T, C, Hi, W)
    model.train(was)
    truth = video[:, warmup:]                                                 # (B, T-w, C, Hi, W)
    return {"model": float(((prob[:, warmup - 1:-1] - truth) ** 2).mean()),
            "copy last frame": float(((video[:, warmup - 1:-1] - truth) ** 2).mean())}


def frames_figure(rows: dict, sample: int = 0, title: str | None = None):
    """A grid of frames as images: one row per entry of ``rows``, one column per time step.

    rows: name -> (B, T, 1, Hi, W) or (T, Hi, W) values in 0..1 (e.g. the true video and
    the model's probabilities); ``sample`` picks the batch element; ``title`` defaults to the row
    names. Returns a plotly Figure.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if not rows:
        raise ValueError("expected at least one row of frames, got none")
    grids = {}
    for name, v in rows.items():
        v = torch.as_tensor(v).detach().float().cpu()
        v = v[sample, :, 0] if v.dim() == 5 else v                            # (T, Hi, W)
        if v.dim() != 3:
            raise ValueError(f"expected row {name!r} as (batch, time, 1, height, width) or (time, height, width), "
                             f"got {tuple(v.shape)}")
        grids[name] = v
    T = max(v.shape[0] for v in grids.values())
    fig = make_subplots(rows=len(grids), cols=T, horizontal_spacing=0.01, vertical_spacing=0.04,
                        column_titles=[f"t={t}" for t in range(T)], row_titles=list(grids))
    for r, v in enumerate(grids.values(), start=1):
        for t in range(v.shape[0]):
            fig.add_trace(go.Heatmap(z=v[t].numpy().round(2), zmin=0, zmax=1, colorscale="Greys", reversescale=True,
                                     showscale=False, hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>"), r, t + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=110 + 95 * len(grids), width=110 + 85 * T, margin=dict(l=10, r=60, t=70, b=10),
                      title=title or ", ".join(grids) + " (white = 1)",
                      template="plotly_white")                               # rnnviz's look
    return fig


def date_model(task: DateTask, attention: str | None = "additive", hidden_size: int = 64,
               embed_dim: int = 16) -> Seq2Seq:
    """A GRU :class:`~rnnviz.models.Seq2Seq` sized for ``task``'s vocabularies, with its ``<s>``/``</s>`` ids."""
    stoi = task.tgt_vocab.stoi
    return Seq2Seq(len(task.src_vocab), len(task.tgt_vocab), embed_dim=embed_dim, hidden_size=hidden_size,
                   attention=attention, bos_id=stoi["<s>"], eos_id=stoi["</s>"])


def date_batches(task: DateTask) -> tuple[torch.Tensor, ...]:
    """``(src (B, S), src_lengths (B,), tgt_in (B, 11), tgt_out (B, 11))`` for ``rnnviz.fit``:
    the model reads ``(src, src_lengths, tgt_in)`` and is scored against ``tgt_out``."""
    return task.src, task.src_lengths, task.tgt[:, :-1], task.tgt[:, 1:]


def translate(model: Seq2Seq, task: DateTask, max_len: int = 11) -> list[str]:
    """Greedy translations of every source in ``task``; ``model.last_attention`` then holds their weights."""
    was = model.training
    model.eval()
    ids = model.greedy(task.src, task.src_lengths, max_len=max_len)         # (B, max_len)
    model.train(was)
    return [task.decode(row) for row in ids]


def year_span(source: str) -> tuple[int, int]:
    """(start, stop) of the year's digits in a date spelling: the first four of ``yyyymmdd``,
    else the trailing digits (every other spelling ends with its year)."""
    if len(source) == 8 and source.isdigit():
        return 0, 4
    stop = len(source)
    start = stop
    while start > 0 and source[start - 1].isdigit():
        start -= 1
    if start == stop:
        raise ValueError(f"expected a date spelling that ends with its year (or yyyymmdd), got {source!r}")
    return start, stop


def year_attention(weights: torch.Tensor, task: DateTask) -> float:
    """Share of attention that the four year characters of the output put on the year in the source.

    weights: (B, T, S) from ``model.last_attention`` after a call on ``task``; rows 0..3
    are the steps that emit the year. 1.0 means every year character looked only at
    the year's digits; a model that spread its attention evenly would score about
    (year digits) / (source length).
    """
    if weights is None or weights.dim() != 3 or weights.shape[0] != len(task) or weights.shape[1] < 4:
        got = None if weights is None else tuple(weights.shape)
        raise ValueError(f"expected attention weights ({len(task)}, target >= 4, source) for this task, got {got}")
    mask = torch.zeros(weights.shape[0], weights.shape[2])                  # (B, S)
    for i, s in enumerate(task.source):
        a, b = year_span(s)
        mask[i, a:b] = 1.0
    on_year = (weights[:, :4].float().cpu() * mask[:, None, :]).sum(-1)     # (B, 4)
    return float(on_year.mean())


def date_attention(model: Seq2Seq, task: DateTask, index: int = 0):
    """Translate example ``index`` alone; return (weights (T, S), source characters, output characters)
    for ``rnnviz.attention_view``. T counts the output characters and the final ``</s>``."""
    if not 0 <= index < len(task):
        raise ValueError(f"expected index in 0..{len(task) - 1}, got {index}")
    n = int(task.src_lengths[index])
    one = DateTask(task.source[index:index + 1], task.target[index:index + 1], task.src[index:index + 1, :n],
                   task.src_lengths[index:index + 1], task.tgt[index:index + 1], task.src_vocab, task.tgt_vocab)
    text = translate(model, one)[0]
    weights = model.last_attention[0, : len(text) + 1]                      # (T, S)
    return weights, list(task.source[index]), list(text) + ["</s>"]


def date_months(task: DateTask) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(src (B, S), src_lengths (B,), month (B,) in 0..11)``: read a date spelling, name its month."""
    month = torch.tensor([int(t[5:7]) - 1 for t in task.target])            # (B,)
    return task.src, task.src_lengths, month


def moving_direction(n: int, frames: int = 6, size: int = 12, seed: int = 0):
    """Clips of one moving square, labelled 1 when it moves right in the last frame, else 0.

    Returns ``video`` (B, T, 1, Hi, W) and ``y`` (B,) int64. One frame alone tells little:
    only a square touching a wall shows where it came from (a perfect reader of the last frame
    scores about 0.6); two consecutive frames tell it every time.
    """
    from rnnviz.synthetic import moving_squares
    _count("frames", frames, 2)
    video, corner = moving_squares(n, frames, size=size, seed=seed)          # (B, T, 1, Hi, W), (B, T, 2)
    return video, (corner[:, -1, 1] > corner[:, -2, 1]).long()


def interleaved_fit(models: dict, train_data, *, epochs: int, seed: int = 0, lr: float = 1e-3,
                    **fit_kwargs) -> dict[str, list[float]]:
    """Train several models on the same data one epoch at a time, taking turns.

    Each model keeps its own Adam optimiser across epochs, so this is ordinary
    training; taking turns means a busy moment of a shared machine slows every
    model alike, which keeps their timings comparable. Other arguments go to
    ``rnnviz.fit``. Returns {name: training seconds of each epoch}.
    """
    from rnnviz.train import fit
    _count("epochs", epochs)
    optimizers = {name: torch.optim.Adam(m.parameters(), lr=lr) for name, m in models.items()}
    seconds = {name: [] for name in models}
    for epoch in range(epochs):
        for name, model in models.items():
            history = fit(model, train_data, epochs=1, optimizer=optimizers[name], seed=seed + epoch, **fit_kwargs)
            seconds[name] += history.seconds
    return seconds


def param_counts(input_size: int, hidden_size: int) -> dict[str, int]:
    """Trainable parameters of one recurrent layer of each kind (and of two wider variants),
    counted on the torch modules themselves."""
    kinds = {"vanilla RNN": ("rnn", 1, False), "LSTM": ("lstm", 1, False), "GRU": ("gru", 1, False),
             "bidirectional GRU": ("gru", 1, True), "2-layer GRU": ("gru", 2, False)}
    with torch.random.fork_rng(devices=[]):                                 # leave the caller's RNG alone
        return {name: sum(p.numel() for p in make_rnn(cell, input_size, hidden_size, layers, bi).parameters())
                for name, (cell, layers, bi) in kinds.items()}


class AttentionClassifier(nn.Module):
    """Many-to-one with attention: a GRU reads the sequence, a learned query attends over all its states.

    context = sum_t a_t h_t with a = softmax_t(v . tanh(W_q q + W_k h_t)); the logits come
    from the context instead of the last state alone. ``forward(x (B, T) ids, lengths (B,) = None)``
    -> (B, K); padded steps get weight 0; ``self.attention.last_weights`` then holds (B, 1, T).
    """

    def __init__(self, vocab_size: int, *, embed_dim: int = 16, hidden_size: int = 32, num_classes: int = 2,
                 cell: str = "gru", padding_idx: int | None = 0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = make_rnn(cell, embed_dim, hidden_size)
        self.query = nn.Parameter(torch.randn(hidden_size) / hidden_size ** 0.5)
        self.attention = AdditiveAttention(hidden_size, hidden_size)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        B, T = _check.token_ids(x, self.vocab_size).shape
        lengths = _check.lengths(lengths, B, T)
        states, _ = run(self.rnn, self.embedding(x), lengths)                 # (B, T, H)
        mask = _check.valid_mask(lengths, B, T, x.device)                     # (B, T)
        query = self.query.expand(B, -1)                                      # (B, H)
        context, _ = self.attention(query, states, mask=mask)                 # (B, H)
        return self.head(context)                                             # (B, K)


@torch.no_grad()
def step_seconds(models: dict, x: torch.Tensor, repeats: int = 5) -> dict[str, float]:
    """Seconds per time step of each model's forward pass on ``x`` (B, T, ...), no gradients.

    Models are timed in turn, interleaved, ``repeats`` times; each figure is the median,
    so a burst of load on a shared machine hits every model alike.
    """
    _count("repeats", repeats)
    times = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model(x)
            times[name].append(time.perf_counter() - start)
    return {name: sorted(ts)[len(ts) // 2] / x.shape[1] for name, ts in times.items()}


class OneToMany(nn.Module):
    """One-to-many: one input (a symbol) sets the initial state, the RNN then unrolls ``length`` steps.

    Each step reads its own previous output (as ids, teacher-forced in training when
    ``targets`` is given, greedy otherwise). ``forward(x (B,) ids, targets (B, T) = None)``
    -> logits (B, T, V).
    """

    def __init__(self, vocab_size: int, length: int, *, hidden_size: int = 32, cell: str = "gru"):
        super().__init__()
        self.vocab_size, self.length = vocab_size, _count("length", length)
        self.start = nn.Embedding(vocab_size, hidden_size)
        self.feed = nn.Embedding(vocab_size + 1, hidden_size)                  # id vocab_size = "nothing yet"
        self.rnn = make_rnn(cell, hidden_size, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 1 or x.dtype != torch.long:
            raise ValueError(f"expected one symbol per example, a (batch,) int64 tensor, got {x.dtype} {tuple(x.shape)}")
        state = self.start(x)[None]                                           # (1, B, H)
        if isinstance(self.rnn, nn.LSTM):
            state = (state, torch.zeros_like(state))
        prev = torch.full_like(x, self.vocab_size)                            # (B,)
        if targets is not None and self.training:
            prev_ids = torch.cat([prev[:, None], targets[:, :-1]], 1)         # (B, T)
            out, _ = self.rnn(self.feed(prev_ids), state)                     # (B, T, H)
            return self.head(out)                                             # (B, T, V)
        logits = []
        for _ in range(self.length):
            out, state = self.rnn(self.feed(prev)[:, None], state)            # (B, 1, H)
            logits.append(self.head(out[:, 0]))                               # (B, V)
            prev = logits[-1].argmax(-1)                                      # (B,)
        return torch.stack(logits, 1)                                         # (B, T, V)


def count_up(n: int, length: int, n_symbols: int = 10, step: int = 3, seed: int = 0):
    """One-to-many data: a start symbol s -> the sequence s, s + step, s + 2 step, ... (mod n_symbols).

    Returns ``x`` (B,) int64 and ``y`` (B, length) int64.
    """
    _count("n", n), _count("length", length), _count("n_symbols", n_symbols, 2)
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, n_symbols, (n,), generator=g)                        # (B,)
    y = (x[:, None] + step * torch.arange(length)) % n_symbols                # (B, T)
    return x, y
