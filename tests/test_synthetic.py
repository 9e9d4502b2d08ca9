"""Synthetic tasks: shapes, determinism, and that each task is what it says."""
from __future__ import annotations

import datetime as dt

import pytest
import torch

from rnnviz import synthetic as syn

# name -> call with a given seed; every generator must be deterministic in its seed
CALLS = {
    "adding": lambda s: syn.adding(64, 30, seed=s),
    "recall": lambda s: syn.recall(64, lag=12, seed=s),
    "parity": lambda s: syn.parity(64, 20, seed=s),
    "noisy_sine": lambda s: syn.noisy_sine(64, 40, horizon=3, seed=s),
    "future_tags": lambda s: syn.future_tags(64, 15, k=2, seed=s),
    "moving_squares": lambda s: syn.moving_squares(16, 10, seed=s),
    "dates": lambda s: (syn.dates(64, seed=s).src, syn.dates(64, seed=s).tgt),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_seed_same_data_other_seed_other_data(name):
    state = torch.random.get_rng_state()
    a, b, c = CALLS[name](0), CALLS[name](0), CALLS[name](1)
    assert torch.equal(torch.random.get_rng_state(), state)    # global RNG untouched
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a, c))


def test_adding_target_is_the_sum_of_the_two_marked_values():
    x, y = syn.adding(200, 50, seed=3)
    assert x.shape == (200, 50, 2) and y.shape == (200,)
    marks = x[..., 1]
    assert torch.all(marks.sum(1) == 2)
    assert torch.all(marks[:, :25].sum(1) == 1) and torch.all(marks[:, 25:].sum(1) == 1)
    assert torch.allclose((x[..., 0] * marks).sum(1), y)
    assert 0 <= float(x[..., 0].min()) and float(x[..., 0].max()) < 1


@pytest.mark.parametrize("lag", [1, 5, 40])
def test_recall_target_is_the_symbol_shown_lag_steps_earlier(lag):
    x, y = syn.recall(300, lag=lag, n_symbols=6, seed=lag)
    assert x.shape == (300, lag + 1) and y.shape == (300,)
    assert torch.equal(x[:, -lag - 1] - 1, y)                  # the symbol lag steps before the end
    assert torch.all(x[:, 1:] == 0)
    assert set(y.tolist()) == set(range(6))


def test_parity_counts_ones():
    x, y = syn.parity(100, 17, seed=2)
    _, running = syn.parity(100, 17, running=True, seed=2)
    assert x.shape == (100, 17, 1) and y.shape == (100,) and running.shape == (100, 17)
    for i in range(100):
        bits = [int(b) for b in x[i, :, 0].tolist()]
        assert y[i].item() == sum(bits) % 2
        assert running[i].tolist() == [sum(bits[: t + 1]) % 2 for t in range(17)]


def test_noisy_sine_targets_continue_the_clean_signal():
    x, y = syn.noisy_sine(50, 60, horizon=5, noise=0.0, seed=4)
    assert x.shape == (50, 60, 1) and y.shape == (50, 5)
    # a sine obeys s[t+1] = 2 cos(w) s[t] - s[t-1]; recover 2 cos(w) from the inputs
    s = torch.cat([x[..., 0], y], dim=1).double()              # (B, T + horizon)
    c = (s[:, 2:40] + s[:, :38]) * s[:, 1:39]
    two_cos = c.sum(1) / (s[:, 1:39] ** 2).sum(1)
    pred = two_cos[:, None] * s[:, 60:64] - s[:, 59:63]
    assert torch.allclose(pred, s[:, 61:65], atol=1e-4)
    noisy, _ = syn.noisy_sine(50, 60, horizon=5, noise=0.3, seed=4)
    assert 0.25 < float((noisy - x).std()) < 0.35
    for bad in (float("inf"), float("nan"), -0.1):                       # inf made every input inf
        with pytest.raises(ValueError, match="expected a finite noise >= 0"):
            syn.noisy_sine(5, 10, noise=bad)


def test_future_tags_are_the_token_k_steps_later():
    x, y = syn.future_tags(40, 12, k=3, n_symbols=5, seed=1)
    assert x.shape == y.shape == (40, 12)
    assert torch.equal(y[:, :9], x[:, 3:])
    assert torch.all(y[:, 9:] == syn.IGNORE)


def test_moving_squares_move_one_pixel_and_stay_inside():
    video, corner = syn.moving_squares(32, 40, size=12, square=3, seed=5)
    assert video.shape == (32, 40, 1, 12, 12) and corner.shape == (32, 40, 2)
    assert torch.all(video.sum((2, 3, 4)) == 9)
    assert torch.all((corner >= 0) & (corner <= 9))
    assert torch.all((corner[:, 1:] - corner[:, :-1]).abs() == 1)
    b, t = 7, 13
    r, c = corner[b, t].tolist()
    assert torch.all(video[b, t, 0, r:r + 3, c:c + 3] == 1)


_PATTERNS = ["%B %d, %Y", "%d %B %Y", "%d %b %Y", "%b %d %Y", "%A, %B %d, %Y",
             "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%m/%d/%y"]


def _parse(text: str, date: dt.date) -> bool:
    """Independent reading of a spelling with strptime (C locale names)."""
    for pattern in _PATTERNS:
        try:
            got = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if pattern.endswith("%y"):   # strptime puts 69 in 1969; the task's rule puts it in 2069
            return (got.month, got.day, got.year % 100) == (date.month, date.day, date.year % 100)
        weekday_ok = not pattern.startswith("%A") or text.split(",")[0] == date.strftime("%A").lower()
        return got == date and weekday_ok
    return False


def test_dates_targets_are_the_iso_dates_of_the_sources():
    task = syn.dates(500, seed=9)
    assert len(task) == 500 and task.tgt.shape == (500, 12)
    assert task.src.shape == (500, int(task.src_lengths.max()))
    for i in range(500):
        d = dt.date.fromisoformat(task.target[i])
        assert dt.date(1970, 1, 1) <= d <= dt.date(2069, 12, 31)
        assert task.source[i] in {f(d) for f in syn.DATE_FORMATS.values()}
        assert _parse(task.source[i], d), (task.source[i], d)
        assert task.decode(task.tgt[i]) == task.target[i]
        n = int(task.src_lengths[i])
        assert task.src_vocab.decode(task.src[i, :n]) == task.source[i]
        assert torch.all(task.src[i, n:] == 0) and torch.all(task.src[i, :n] > 1)
    assert torch.equal(task.encode("March 3, 2021"), task.src_vocab.encode("march 3, 2021"))
    assert syn.DATE_FORMATS["03/03/21"](dt.date(2021, 3, 3)) == "03/03/21"
    assert syn.DATE_FORMATS["3.3.2021"](dt.date(2021, 3, 4)) == "4.3.2021"


def test_dates_every_source_has_one_answer():
    """Exact match near 100% is only reachable if no spelling maps to two dates."""
    task = syn.dates(20_000, seed=11)
    answers = {}
    for src, tgt in zip(task.source, task.target):
        assert answers.setdefault(src, tgt) == tgt, src
    assert len(set(task.source)) > 15_000


def test_dates_formats_argument():
    only = syn.dates(100, formats=["03/03/21"], seed=0)
    assert all(len(s) == 8 and s[2] == "/" for s in only.source)
    with pytest.raises(ValueError, match="expected formats among"):
        syn.dates(10, formats=["yyyy"])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="expected lag an int >= 1, got 0"):
        syn.recall(10, lag=0)
    with pytest.raises(ValueError, match=r"expected length an int >= 4, got 3"):
        syn.future_tags(10, 3, k=3)
    with pytest.raises(TypeError, match="expected seed an int, got float"):
        syn.adding(10, 10, seed=1.5)
    with pytest.raises(ValueError, match="expected size an int >= 4, got 3"):
        syn.moving_squares(2, 5, size=3, square=3)
