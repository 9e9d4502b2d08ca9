"""Building and running the plain torch recurrent modules every model uses.

Models keep their recurrent part as a plain ``nn.RNN``/``nn.LSTM``/``nn.GRU``
(batch_first=True) so that ``rnnviz.trace``, ``rnnviz.record`` and
``rnnviz.gradient_flow`` see it. Letters: L layers, D directions, B batch,
T time, H units.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
             bidirectional: bool = False, dropout: float = 0.0) -> nn.Module:
    """A batch_first torch recurrent module; ``cell`` is "rnn", "lstm" or "gru"."""
    if not isinstance(cell, str) or cell.lower() not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    if num_layers < 1 or hidden_size < 1:
        raise ValueError(f"need num_layers >= 1 and hidden_size >= 1, got {num_layers} and {hidden_size}")
    return CELLS[cell.lower()](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)


def run_rnn(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None, hx=None):
    """Run ``rnn`` on (B, T, I) inputs, packed when lengths are given so padding costs nothing.

    Returns (output (B, T, D*H) with zeros past each length, h_n (L*D, B, H)).
    For an LSTM h_n is the hidden state only (the cell state is dropped).
    """
    time = x.shape[1]
    if lengths is not None and not isinstance(lengths, torch.Tensor):
        lengths = torch.as_tensor(lengths)                                      # a list or tuple of ints
    if lengths is not None and bool((lengths < time).any()):
        # a batch that is all full length skips packing (same result, faster on CPU);
        # otherwise only the steps up to the longest sequence are run at all
        x = x[:, : int(lengths.max())]                                          # (B, T', I)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h_n = rnn(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=time)  # (B, T, D*H)
    else:
        out, h_n = rnn(x, hx)                                                   # (B, T, D*H)
    if isinstance(h_n, tuple):
        h_n = h_n[0]                                                            # (L*D, B, H)
    return out, h_n


def last_layer_state(h_n: torch.Tensor, rnn: nn.Module) -> torch.Tensor:
    """(L*D, B, H) final states -> (B, D*H): the top layer's forward (and backward) final state.

    The backward direction's final state is the one after reading the whole
    sequence right to left, i.e. its state at position 0.
    """
    d = 2 if rnn.bidirectional else 1
    top = h_n.view(rnn.num_layers, d, h_n.shape[1], h_n.shape[2])[-1]          # (D, B, H)
    return top.transpose(0, 1).reshape(h_n.shape[1], -1)                        # (B, D*H)
