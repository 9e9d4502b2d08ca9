"""Experiments on memory through time and through depth (notebooks 02 and 03).

Notebook 02 (how far back can a network remember, and why gradients vanish or explode):
:func:`distracted_recall`, :func:`memory_model`, :func:`memory_span`, :func:`gradient_reach`,
:func:`forget_path`, :func:`random_rnn`, :func:`exploding_run`. Notebook 03 (stacked and bidirectional networks):
:func:`next_token_pairs`, :func:`streaming_accuracy`,
:func:`forecast_windows` (depth itself: ``rnncourse.lessons.depth``). :func:`table` prints any of their results.

Letters: L layers, D directions, B batch, T time, H units, V vocabulary.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from rnnviz import synthetic
from rnnviz.models import SequenceClassifier
from rnnviz.train import History, accuracy, evaluate, fit

__all__ = ["distracted_recall", "memory_model", "memory_span", "gradient_reach", "forget_path", "random_rnn", "exploding_model",
           "exploding_run",
           "next_token_pairs", "streaming_accuracy", "forecast_windows", "table"]


def distracted_recall(n: int, lag: int, n_symbols: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``synthetic.recall`` with random distractor tokens instead of blanks.

    Returns ``x`` (B, lag + 1) int64 and ``y`` (B,) int64. ``x[:, 0]`` is the symbol to
    remember (ids 1..n_symbols, answer ``y = x[:, 0] - 1``); every later step is a random
    distractor id in n_symbols+1..2*n_symbols, which the network must learn to ignore.
    Vocabulary size ``2 * n_symbols + 1``; chance accuracy ``1 / n_symbols``.
    """
    x, y = synthetic.recall(n, lag, n_symbols=n_symbols, seed=seed)         # (B, T), (B,)
    g = torch.Generator().manual_seed(seed + 1)
    noise = torch.randint(n_symbols + 1, 2 * n_symbols + 1, (n, lag), generator=g)  # (B, T - 1)
    x[:, 1:] = noise
    return x, y


def memory_model(cell: str, n_symbols: int = 4, hidden_size: int = 32, keep_bias: float = 3.0,
                 seed: int = 0, orthogonal: bool = False) -> SequenceClassifier:
    """A many-to-one classifier for :func:`distracted_recall`, seeded.

    For LSTM and GRU the gate that keeps the old state starts open: ``keep_bias`` is
    added to the forget-gate bias (LSTM, rows H..2H of ``bias_ih``) or to the update-gate
    bias (GRU, also rows H..2H: z near 1 keeps h). A plain RNN has no such gate; its
    closest help is ``orthogonal=True``: W_hh starts as a random orthogonal matrix (every
    eigenvalue of modulus 1, so in tanh's linear part the state is neither shrunk nor blown up).
    """
    if orthogonal and cell != "rnn":
        raise ValueError(f"orthogonal=True is the vanilla RNN's start; for {cell!r} use keep_bias")
    torch.manual_seed(seed)
    model = SequenceClassifier(2 * n_symbols + 1, embed_dim=16, hidden_size=hidden_size,
                               num_classes=n_symbols, cell=cell)
    if orthogonal:
        with torch.no_grad():
            model.rnn.weight_hh_l0.copy_(random_rnn(1.0, hidden_size, seed=seed).weight_hh_l0)
    if cell != "rnn":
        with torch.no_grad():
            for name, p in model.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    p[hidden_size:2 * hidden_size] += keep_bias
    return model


def memory_span(cells: Sequence[str] = ("rnn", "lstm", "gru"), lags: Sequence[int] = (5, 15, 40), *,
                n_train: int = 768, n_test: int = 512, n_symbols: int = 4, hidden_size: int = 32,
                epochs: int = 10, lr: float = 1e-2, keep_bias: float = 3.0, orthogonal: bool = False,
                seed: int = 0):
    """Train one :func:`memory_model` per cell and lag on :func:`distracted_recall`.

    Returns ``(acc, models)``: ``acc[cell][lag]`` the held-out accuracy (float) and
    ``models[cell][lag]`` the trained model. Training clips the gradient norm at 1.
    ``keep_bias`` opens the LSTM/GRU keep gate at the start (0: torch's default start);
    ``orthogonal`` starts a vanilla RNN from an orthogonal W_hh (see :func:`memory_model`).
    """
    acc: dict[str, dict[int, float]] = {c: {} for c in cells}
    models: dict[str, dict[int, nn.Module]] = {c: {} for c in cells}
    runs = [(c, lag) for lag in lags for c in cells]
    for cell, lag in tqdm(runs, desc="memory span", leave=False):
        train = distracted_recall(n_train, lag, n_symbols, seed=seed + 10)
        test = distracted_recall(n_test, lag, n_symbols, seed=seed + 20)
        model = memory_model(cell, n_symbols, hidden_size, keep_bias=keep_bias, seed=seed, orthogonal=orthogonal)
        fit(model, train, epochs=epochs, loss_fn=nn.functional.cross_entropy, lr=lr, batch_size=64,
            clip=1.0, seed=seed, progress=False)
        acc[cell][lag] = evaluate(model, test)
        models[cell][lag] = model
    return acc, models


def gradient_reach(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """How much of the loss's gradient reaches the first step: ‖∂L/∂h_0‖ / ‖∂L/∂h_T‖.

    ``model`` is a :func:`memory_model` (one recurrent layer), ``x`` (B, T) ids and ``y``
    (B,) classes of :func:`distracted_recall`; L is the mean cross-entropy. Both norms are
    averaged over the batch before dividing. Returns ``(ratio, flow)`` with the
    :class:`rnnviz.GradientFlow`; the model and its gradients are left as they were.
    """
    import rnnviz

    flow = rnnviz.gradient_flow(model, x, lambda logits: nn.functional.cross_entropy(logits, y))
    norms = flow.hidden[0, 0]                                                   # (B, T)
    return float(norms[:, 0].mean() / norms[:, -1].mean()), flow


def forget_path(model: nn.Module, x: torch.Tensor) -> float:
    """The LSTM's direct cell path back to the first step: mean over batch and units of Π_t f_t.

    Along the cell state alone, ∂c_T/∂c_0 = diag(f_1 ⊙ f_2 ⊙ ... ⊙ f_T): no weight
    matrix and no tanh derivative, only the forget gates. ``model`` has an ``nn.LSTM`` as
    ``model.rnn`` (e.g. a :func:`memory_model`); ``x`` is what the model reads, (B, T) ids.
    """
    import rnnviz

    if not isinstance(getattr(model, "rnn", None), nn.LSTM):
        raise TypeError("forget_path needs a model whose .rnn is an nn.LSTM, "
                        f"got {type(getattr(model, 'rnn', None)).__name__}")
    with torch.no_grad(), rnnviz.record(model) as seen:
        model(x)
    forget = seen["rnn"].gates["forget"][0, 0]                                  # (B, T, H)
    return float(forget[:, 1:].prod(dim=1).mean())


def random_rnn(radius: float, hidden_size: int = 32, input_size: int = 1, seed: int = 0) -> nn.RNN:
    """A tanh ``nn.RNN`` (batch_first) whose W_hh is ``radius`` times a random orthogonal matrix.

    Every eigenvalue of W_hh then has modulus exactly ``radius`` (its spectral radius),
    so in the linear regime dh_T/dh_t behaves like ``radius ** (T - t)``. Biases are zero.
    """
    if not radius > 0:
        raise ValueError(f"expected a spectral radius > 0, got {radius!r}")
    g = torch.Generator().manual_seed(seed)
    rnn = nn.RNN(input_size, hidden_size, batch_first=True)
    with torch.no_grad():
        q, r = torch.linalg.qr(torch.randn(hidden_size, hidden_size, generator=g))
        rnn.weight_hh_l0.copy_(radius * q * torch.sign(torch.diagonal(r)))     # (H, H)
        rnn.weight_ih_l0.copy_(torch.randn(hidden_size, input_size, generator=g) / math.sqrt(input_size))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    return rnn


def exploding_model(input_size: int, outputs: int, *, radius: float = 1.5, hidden_size: int = 32,
                    seed: int = 0) -> SequenceClassifier:
    """The vanilla RNN regressor of :func:`exploding_run`: seeded (``torch.manual_seed(seed)``),
    its W_hh set to spectral radius ``radius`` by :func:`random_rnn`."""
    torch.manual_seed(seed)
    model = SequenceClassifier(input_size=input_size, hidden_size=hidden_size, num_classes=outputs, cell="rnn")
    with torch.no_grad():
        model.rnn.weight_hh_l0.copy_(random_rnn(radius, hidden_size, seed=seed).weight_hh_l0)
    return model


def exploding_run(data: tuple[torch.Tensor, torch.Tensor], clip: float | None, *, radius: float = 1.5,
                  lr: float = 0.1, epochs: int = 8, hidden_size: int = 32, seed: int = 0) -> History:
    """Train a vanilla RNN regressor with plain SGD from a W_hh of spectral radius ``radius``.

    ``data`` is ``(x (B, T, F), y (B, K))``, e.g. ``synthetic.noisy_sine``; the loss is the
    mean squared error. With ``clip`` the total gradient norm is capped at that value
    (``history.grad_norm`` then holds the norms before clipping). Returns the History;
    a run that explodes ends with inf or NaN losses.
    """
    x, y = data
    model = exploding_model(x.shape[-1], y.shape[-1], radius=radius, hidden_size=hidden_size, seed=seed)
    return fit(model, (x, y), epochs=epochs, loss_fn=nn.functional.mse_loss, batch_size=32, seed=seed,
               optimizer=torch.optim.SGD(model.parameters(), lr=lr), clip=clip, progress=False)


def next_token_pairs(ids: torch.Tensor, length: int, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random windows of a (T,) id stream: inputs (B, length) and next ids (B, length).

    ``y[:, t] = x[:, t + 1]`` in the stream: the task of a language model.
    """
    ids = torch.as_tensor(ids)
    if ids.dim() != 1 or ids.shape[0] < length + 2:
        raise ValueError(f"expected a 1-D id stream longer than length + 1 = {length + 1}, got {tuple(ids.shape)}")
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, ids.shape[0] - length - 1, (n,), generator=g)   # (B,)
    idx = starts[:, None] + torch.arange(length + 1)                          # (B, T + 1)
    window = ids[idx]                                                         # (B, T + 1)
    return window[:, :-1], window[:, 1:]


@torch.no_grad()
def streaming_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ignore_index: int = -100) -> float:
    """Accuracy of a per-step model (x (B, T) -> logits (B, T, C)) when the future is unknown.

    The prediction for step t comes from running the model on the prefix x[:, :t+1]
    alone and reading its last step, as in a live stream. For a forward-only model this
    equals its ordinary accuracy; a bidirectional model loses what it read from the future.
    """
    if x.dim() != 2 or y.shape != x.shape:
        raise ValueError(f"expected x and y of the same (batch, time) shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    was_training = model.training
    model.eval()
    try:
        logits = torch.stack([model(x[:, :t + 1])[:, -1] for t in range(x.shape[1])], 1)   # (B, T, C)
    finally:
        model.train(was_training)
    return accuracy(logits, y, ignore_index)


def forecast_windows(series: torch.Tensor, length: int, horizon: int, stride: int = 1):
    """Cut a (T,) series into inputs (N, length, 1) and targets (N, 1) ``horizon`` steps after each window.

    Target of window i: ``series[i*stride + length - 1 + horizon]``.
    """
    series = torch.as_tensor(series, dtype=torch.float32)
    if series.dim() != 1 or series.shape[0] < length + horizon:
        raise ValueError(f"expected a 1-D series of at least length + horizon = {length + horizon} values, "
                         f"got shape {tuple(series.shape)}")
    if min(length, horizon, stride) < 1:
        raise ValueError(f"need length, horizon, stride >= 1, got {length}, {horizon}, {stride}")
    starts = torch.arange(0, series.shape[0] - length - horizon + 1, stride)  # (N,)
    x = series[starts[:, None] + torch.arange(length)]                        # (N, T)
    y = series[starts + length - 1 + horizon]                                 # (N,)
    return x.unsqueeze(-1), y.unsqueeze(-1)


def table(rows, columns: Sequence[str] | None = None, digits: int = 3) -> str:
    """Plain-text table of a list of dicts (or a dict of dicts: row name -> {column: value})."""
    if isinstance(rows, dict):
        rows = [{"": name, **vals} for name, vals in rows.items()]
    if not rows:
        raise ValueError("expected at least one row to show")
    columns = list(columns) if columns is not None else [k for k in rows[0] if k != "model"]

    def cell(v):
        return f"{v:.{digits}g}" if isinstance(v, float) else str(v)

    body = [[cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(str(c)), *(len(b[i]) for b in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(b, widths)) for b in body]
    return "\n".join(lines)
