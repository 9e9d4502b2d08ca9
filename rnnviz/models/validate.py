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


def padded_at_the_end(ids: torch.Tensor, lengths: torch.Tensor | None, pad: int | None) -> None:
    """Refuse token ids (B, T) padded at the front when ``lengths`` say each sequence's steps come
    first: packing would then read the padding and drop the last words, silently (e.g.
    ``rnnviz.data.imdb``'s default ``align="right"`` with lengths). A row is refused when its step
    ``length - 1`` is ``pad`` while its last step is not."""
    if lengths is None or pad is None or ids.dim() != 2 or ids.is_floating_point():
        return
    rows = (lengths < ids.shape[1]).nonzero().flatten()                   # the padded rows, on the CPU
    if not rows.numel():
        return
    at = (lengths[rows] - 1).to(ids.device)
    here = rows.to(ids.device)
    bad = (ids[here, at] == pad) & (ids[here, -1] != pad)
    if bool(bad.any()):
        b = int(rows[bad.nonzero()[0, 0].cpu()])
        raise ValueError(f"sample {b}: lengths say its first {int(lengths[b])} steps are the sequence and padding "
                         f"follows, but step {int(lengths[b]) - 1} is padding (id {pad}) and the last step is not: "
                         f"the ids look padded at the front. Pad at the end (e.g. rnnviz.data.imdb(..., "
                         f"align=\"left\")) or pass no lengths")


def valid_mask(lengths: torch.Tensor | None, batch: int, time: int, device) -> torch.Tensor:
    """(B, T) bool, True at steps before each sequence's length (all True without lengths)."""
    if lengths is None:
        return torch.ones(batch, time, dtype=torch.bool, device=device)
    steps = torch.arange(time, device=device)                  # (T,)
    return steps[None, :] < lengths.to(device)[:, None]        # (B, T)
