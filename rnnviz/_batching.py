"""Batches for ``rnnviz.fit``: from a tuple of tensors, any re-iterable of batches, or
:class:`BucketBatches` of similar lengths. Letters: N examples, B batch."""
from __future__ import annotations

from typing import Sequence

import torch


class BucketBatches:
    """Batches of similar lengths, for variable-length data: little padding, and batches that
    are all full length skip packing altogether.

    ``BucketBatches((*inputs, target), lengths, batch_size, seed=0)`` is a re-iterable for
    ``fit``: every pass shuffles, sorts by length within pools of 50 batches, and shuffles the
    batch order, from its own generator (the same seed gives the same batches, epoch by epoch).
    ``fit(..., seed=s)`` starts that generator from ``s`` (:meth:`reseed`), so a second ``fit``
    on the same object sees the same batches as the first, like tuple data.
    """

    def __init__(self, tensors: Sequence[torch.Tensor], lengths: torch.Tensor, batch_size: int, seed: int = 0):
        if isinstance(tensors, torch.Tensor) or not all(isinstance(t, torch.Tensor) for t in tensors):
            raise TypeError("expected tensors as a tuple (*inputs, target) of tensors, got "
                            + ("one tensor" if isinstance(tensors, torch.Tensor) else type(tensors).__name__))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"expected batch_size as a whole number >= 1, got {batch_size!r}")
        self.tensors, self.lengths, self.batch_size = tuple(tensors), torch.as_tensor(lengths), batch_size
        if self.lengths.dim() != 1:
            raise ValueError(f"expected lengths as a 1-D tensor (one length per example), got shape "
                             f"{tuple(self.lengths.shape)}")
        if any(t.shape[0] != self.lengths.shape[0] for t in self.tensors):
            raise ValueError(f"expected tensors with {self.lengths.shape[0]} examples (as lengths), got "
                             f"{[t.shape[0] for t in self.tensors]}")
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Start the shuffling over from ``seed`` (``fit`` calls it with its own seed)."""
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self) -> int:
        return -(-self.lengths.shape[0] // self.batch_size)

    def __iter__(self):
        order = torch.randperm(self.lengths.shape[0], generator=self.generator)        # (N,)
        pool = 50 * self.batch_size
        chunks = []
        for start in range(0, order.shape[0], pool):
            part = order[start:start + pool]
            part = part[torch.argsort(self.lengths[part], stable=True)]              # by length
            chunks += list(part.split(self.batch_size))
        for i in torch.randperm(len(chunks), generator=self.generator).tolist():
            yield tuple(t[chunks[i]] for t in self.tensors)


def batches(data, batch_size: int, generator: torch.Generator | None):
    """Yield (inputs tuple, target) batches from a tuple of tensors or an iterable of tuples."""
    if isinstance(data, (tuple, list)) and not data:
        raise ValueError(f"expected data as a tuple (*inputs, target) of tensors or an iterable of such "
                         f"batches, got an empty {type(data).__name__}")
    if isinstance(data, tuple) and any(isinstance(t, torch.Tensor) for t in data) and not all(
            isinstance(t, torch.Tensor) for t in data):
        bad = next(i for i, t in enumerate(data) if not isinstance(t, torch.Tensor))
        raise TypeError(f"expected data as a tuple (*inputs, target) of tensors, but element {bad} is a "
                        f"{type(data[bad]).__name__} (e.g. lengths as a list: pass torch.tensor(lengths))")
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        if len(data) < 2:
            raise ValueError(f"expected a tuple (*inputs, target) of at least 2 tensors, got {len(data)}")
        n = data[0].shape[0]
        if any(t.shape[0] != n for t in data):
            raise ValueError(f"all tensors must share their first (example) dimension, got sizes "
                             f"{[t.shape[0] for t in data]}")
        order = torch.randperm(n, generator=generator) if generator is not None else None
        for start in range(0, n, batch_size):
            if order is None:
                batch = tuple(t[start:start + batch_size] for t in data)
            else:
                idx = order[start:start + batch_size]
                batch = tuple(t[idx] for t in data)
            yield batch[:-1], batch[-1]
        return
    if iter(data) is data:
        raise TypeError("expected a tuple of tensors or a re-iterable (e.g. a DataLoader), got a "
                        f"one-shot iterator {type(data).__name__}: it would be empty after the first epoch")
    for batch in data:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(f"each batch must be a tuple (*inputs, target), got {type(batch).__name__}")
        yield tuple(batch[:-1]), batch[-1]


def to_device(x, device):
    return x.to(device, non_blocking=True) if isinstance(x, torch.Tensor) else x


def count(target, ignore_index: int = -100) -> int:
    """How many targets a batch's mean loss or metric averages over, so that batch means combine
    into the mean over all the data: class ids (B,) or token ids (B, T) that are not
    ``ignore_index`` (padding), else the B examples (a regression target)."""
    if not isinstance(target, torch.Tensor) or not target.dim():
        return 1
    if not target.is_floating_point() and target.dtype != torch.bool:      # ids: padding is left out
        return int((target != ignore_index).sum())
    return target.shape[0]
