"""The cell zoo of notebook 05 over time: learning curves and training speed, measured side by side.

:func:`learning_curves` trains several models on the same data one epoch at a time,
taking turns (so a busy moment of a shared machine slows each alike), and scores every
model on the test data after each epoch. :func:`over_seeds` repeats a comparison with
several initial seeds, so that a conclusion does not rest on one lucky start (notebook 04
uses it for the GRU against the GRU + Transformer). :func:`median_ratio` turns the
per-epoch seconds into one robust speed ratio.
"""
from __future__ import annotations

import torch

__all__ = ["learning_curves", "over_seeds", "median_ratio", "first_epoch_reaching"]


def learning_curves(models: dict, train_data, test_data, *, epochs: int, seed: int = 0, lr: float = 1e-2,
                    **fit_kwargs) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Train every model for ``epochs`` epochs, one epoch each in turn, each with its own Adam.

    Returns ``(accuracy, seconds)``: {name: test accuracy after epoch 1..epochs} and
    {name: training seconds of each epoch}. Other arguments go to ``rnnviz.fit``; the
    shuffling of epoch e is seeded with ``seed + e``, the same for every model.
    """
    from rnnviz.train import evaluate, fit

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"expected epochs an int >= 1, got {epochs!r}")
    if not models:
        raise ValueError("expected at least one model, got none")
    optimizers = {name: torch.optim.Adam(m.parameters(), lr=lr) for name, m in models.items()}
    accuracy = {name: [] for name in models}
    seconds = {name: [] for name in models}
    for epoch in range(epochs):
        for name, model in models.items():
            history = fit(model, train_data, epochs=1, optimizer=optimizers[name], seed=seed + epoch,
                          progress=False, **fit_kwargs)
            seconds[name] += history.seconds
            accuracy[name].append(evaluate(model, test_data))
    return accuracy, seconds


def over_seeds(make_models, train_data, test_data, *, seeds, epochs: int, lr: float = 1e-2,
               **fit_kwargs) -> tuple[dict[str, list[float]], dict]:
    """Train the models ``make_models(seed)`` returns, for every seed, with :func:`learning_curves`.

    ``make_models(seed)`` builds fresh models (its random draws come from ``torch.manual_seed(seed)``,
    set here; the caller's RNG is left as it was). Returns ``(accuracy, first)``: {name: final
    test accuracy for each seed} and the models trained with the first seed.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("expected at least one seed, got none")
    accuracy: dict[str, list[float]] = {}
    first = None
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            models = make_models(seed)
        curves, _ = learning_curves(models, train_data, test_data, epochs=epochs, seed=seed, lr=lr, **fit_kwargs)
        for name, curve in curves.items():
            accuracy.setdefault(name, []).append(curve[-1])
        first = models if first is None else first
    return accuracy, first


def median_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median of the per-epoch ratios ``numerator[e] / denominator[e]`` (epochs measured in turn,
    so each ratio compares two runs made under the same load)."""
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError(f"expected two equally long, non-empty lists, got {len(numerator)} and {len(denominator)}")
    ratios = sorted(a / b for a, b in zip(numerator, denominator))
    mid = len(ratios) // 2
    return ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2


def first_epoch_reaching(curve: list[float], level: float) -> int | None:
    """The first epoch (1-based) whose accuracy is at least ``level``, or None if none reached it."""
    return next((e for e, a in enumerate(curve, start=1) if a >= level), None)
