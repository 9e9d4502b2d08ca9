"""Input checks shared by the models: clear errors that say what was expected and what was got."""
from __future__ import annotations

import torch


def token_ids(x: torch.Tensor, vocab_size: int, what: str = "token ids") -> torch.Tensor:
    """Check a (B, T) integer tensor of ids in [0, vocab_size); return it unchanged."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected {what} as a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8, torch.int8):
        raise TypeError(f"expected integer {what} (e.g. torch.long), got dtype {x.dtype}")
    if x.dim() != 2:
        raise ValueError(f"expected a (batch, time) tensor of {what}, got {tuple(x.shape)}")
    if x.numel():
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi >= vocab_size:
            bad = f"max {hi}" if hi >= vocab_size else f"min {lo}"
            raise ValueError(f"{what} must be in [0, {vocab_size}), got {bad}")
    return x


def features(x: torch.Tensor, size: int, what: str = "inputs") -> torch.Tensor:
    """Check a (B, T, size) float tensor; return it unchanged."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected {what} as a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or x.shape[-1] != size:
        raise ValueError(f"expected a (batch, time, {size}) tensor of {what}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"expected floating-point {what}, got dtype {x.dtype}")
    return x


def lengths(lengths: torch.Tensor | None, batch: int, time: int) -> torch.Tensor | None:
    """Check (B,) lengths in [1, T]; return them as int64 on the CPU (what packing wants)."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths)
    if lengths.shape != (batch,):
        raise ValueError(f"expected lengths of shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point():
        raise TypeError(f"expected integer lengths, got dtype {lengths.dtype}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > time):
        raise ValueError(f"lengths must be in [1, {time}] (the padded time length), "
                         f"got min {int(lengths.min())}, max {int(lengths.max())}")
    return lengths.to("cpu", torch.int64)


def valid_mask(lengths: torch.Tensor | None, batch: int, time: int, device) -> torch.Tensor:
    """(B, T) bool, True at steps before each sequence's length (all True without lengths)."""
    if lengths is None:
        return torch.ones(batch, time, dtype=torch.bool, device=device)
    steps = torch.arange(time, device=device)                  # (T,)
    return steps[None, :] < lengths.to(device)[:, None]        # (B, T)
