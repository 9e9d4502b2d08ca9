"""Hybrids: an RNN combined with a convolution, a Transformer layer or an MLP; and the MLP baseline.

Letters: B batch, T time, F features, C channels, H units (or image height where
marked), W image width, K classes/outputs.
"""
from __future__ import annotations

import torch
from torch import nn

from . import validate as _check
from .rnn import last_layer_state, make_rnn, run_rnn as run
from .sequence import _Inputs

__all__ = ["MLP", "ConvRNN", "ConvLSTMCell", "ConvLSTM", "RNNTransformer", "CNNRNNMLP"]


class MLP(nn.Module):
    """One-to-one baseline: a feedforward net on the flattened input, no notion of time.

    ``forward(x)``: x (B, ...) with ``input_size`` values per example -> (B, output_size).
    """

    def __init__(self, input_size: int, hidden_sizes: tuple[int, ...] = (64,), output_size: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        self.input_size = input_size
        layers, width = [], input_size
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, output_size))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)                                  # (B, input_size)
        if flat.shape[1] != self.input_size:
            raise ValueError(f"expected {self.input_size} values per example, got {tuple(x.shape)} "
                             f"({flat.shape[1]} per example)")
        return self.net(flat)                                             # (B, K)


class ConvRNN(nn.Module):
    """CNN-RNN: a strided 1D convolution (and optional max pooling) shortens a long sequence,
    then an RNN reads the shorter sequence of local features.

    Args: input_size F, conv_channels C, kernel_size, stride, pool (max-pool size, 1 = none),
    hidden_size, output_size K, cell. The RNN runs T' = ceil(T / stride) // pool steps instead
    of T (odd kernel_size; an even one gives T // stride + 1 before pooling): about T / (stride * pool).
    ``forward(x)``: x (B, T, F) -> (B, K) from the RNN's final state.
    """

    def __init__(self, input_size: int, *, conv_channels: int = 32, kernel_size: int = 5, stride: int = 2,
                 pool: int = 2, hidden_size: int = 64, output_size: int = 1, cell: str = "gru"):
        super().__init__()
        self.input_size = input_size
        self.conv = nn.Conv1d(input_size, conv_channels, kernel_size, stride=stride, padding=kernel_size // 2)
        self.pool = nn.MaxPool1d(pool) if pool > 1 else nn.Identity()
        self.rnn = make_rnn(cell, conv_channels, hidden_size)
        self.head = nn.Linear(hidden_size, output_size)

    def downsample(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> (B, T', C), the sequence the RNN reads."""
        _check.features(x, self.input_size)
        z = torch.relu(self.conv(x.transpose(1, 2)))                      # (B, C, ceil(T / stride))
        size = getattr(self.pool, "kernel_size", 1)                       # MaxPool1d(pool) keeps pool as an int
        if z.shape[-1] < size:
            raise ValueError(f"expected a sequence long enough to leave a step after the convolution "
                             f"(stride {self.conv.stride[0]}) and pooling ({size}): T = {x.shape[1]} gives "
                             f"{z.shape[-1]} step(s) before pooling, which needs {size}")
        z = self.pool(z)                                                  # (B, C, T')
        return z.transpose(1, 2)                                          # (B, T', C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h_n = run(self.rnn, self.downsample(x), None)                  # (1, B, H)
        return self.head(last_layer_state(h_n, self.rnn))                 # (B, K)


class ConvLSTMCell(nn.Module):
    """An LSTM cell whose gates are convolutions over an image-shaped state (Shi et al., 2015).

    i, f, g, o = split(conv([x; h])); c' = f*c + i*g; h' = o*tanh(c'), the same
    equations as ``nn.LSTMCell`` with every matrix product replaced by a convolution,
    so each pixel's state depends on its neighbourhood.
    ``forward(x (B, C, Hi, W), state=None)`` -> (h, c), each (B, Hc, Hi, W); Hi image height,
    Hc hidden channels. ``last_gates`` keeps the gates of the last step (detached).
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the state keeps its size, got {kernel_size}")
        self.in_channels, self.hidden_channels = in_channels, hidden_channels
        self.conv = nn.Conv2d(in_channels + hidden_channels, 4 * hidden_channels, kernel_size,
                              padding=kernel_size // 2)
        self.last_gates: dict[str, torch.Tensor] = {}

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected frames of shape (batch, {self.in_channels}, height, width), "
                             f"got {tuple(x.shape)}")
        if state is None:
            z = x.new_zeros(x.shape[0], self.hidden_channels, *x.shape[2:])  # (B, Hc, Hi, W)
            state = (z, z)
        h, c = state
        i, f, g, o = self.conv(torch.cat([x, h], 1)).chunk(4, dim=1)     # 4 x (B, Hc, Hi, W)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g                                                 # (B, Hc, Hi, W)
        h = o * torch.tanh(c)                                             # (B, Hc, Hi, W)
        self.last_gates = {"input": i.detach(), "forget": f.detach(), "cell": g.detach(), "output": o.detach()}
        return h, c


class ConvLSTM(nn.Module):
    """A ConvLSTM layer over frame sequences.

    ``forward(x)``: x (B, T, C, Hi, W) -> (outputs (B, T, Hc, Hi, W), (h, c) each (B, Hc, Hi, W)).
    Not an ``nn.LSTM``, so ``rnnviz.trace`` does not apply; the cell keeps ``last_gates``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3):
        super().__init__()
        self.cell = ConvLSTMCell(in_channels, hidden_channels, kernel_size)

    def forward(self, x: torch.Tensor, state=None):
        if x.dim() != 5:
            raise ValueError(f"expected frames of shape (batch, time, {self.cell.in_channels}, height, width), "
                             f"got {tuple(x.shape)}")
        outs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)                             # (B, Hc, Hi, W) x 2
            outs.append(state[0])
        return torch.stack(outs, 1), state                                # (B, T, Hc, Hi, W)


class RNNTransformer(nn.Module):
    """An RNN (order, local context) followed by one Transformer encoder layer (global self-attention).

    Args: vocab_size or input_size (as SequenceClassifier), embed_dim, hidden_size (= the
    Transformer's width), nhead, num_classes, cell, dim_feedforward.
    ``forward(x, lengths=None)`` -> (B, num_classes) from the mean over valid steps.
    """

    def __init__(self, vocab_size: int | None = None, *, input_size: int | None = None, embed_dim: int = 32,
                 hidden_size: int = 64, nhead: int = 4, num_classes: int = 2, cell: str = "gru",
                 dim_feedforward: int = 128, dropout: float = 0.0):
        super().__init__()
        self.inputs = _Inputs(vocab_size, input_size, embed_dim, 0, 0.0)
        self.rnn = make_rnn(cell, self.inputs.size, hidden_size)
        self.transformer = nn.TransformerEncoderLayer(hidden_size, nhead, dim_feedforward, dropout,
                                                      batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        e = self.inputs(x)                                                # (B, T, E)
        B, T = e.shape[:2]
        lengths = _check.lengths(lengths, B, T)
        out, _ = run(self.rnn, e, lengths)                                # (B, T, H)
        valid = _check.valid_mask(lengths, B, T, e.device)                # (B, T)
        z = self.transformer(out, src_key_padding_mask=~valid)            # (B, T, H)
        z = z.masked_fill(~valid[:, :, None], 0.0)                        # (B, T, H)
        return self.head(z.sum(1) / valid.sum(1, keepdim=True))           # (B, K)


class CNNRNNMLP(nn.Module):
    """CNN-RNN-MLP: a small CNN turns each frame into a vector, an RNN reads the vectors
    over time, an MLP head decides (e.g. video classification).

    ``forward(x)``: x (B, T, C, Hi, W) frames -> (B, num_classes).
    """

    def __init__(self, in_channels: int = 1, *, conv_channels: int = 8, feature_size: int = 32,
                 hidden_size: int = 64, mlp_size: int = 32, num_classes: int = 2, cell: str = "gru"):
        super().__init__()
        self.in_channels = in_channels
        self.cnn = nn.Sequential(
            nn.Conv2d(in_channels, conv_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(conv_channels, conv_channels, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(4 * conv_channels, feature_size), nn.ReLU())
        self.rnn = make_rnn(cell, feature_size, hidden_size)
        self.mlp = nn.Sequential(nn.Linear(hidden_size, mlp_size), nn.ReLU(), nn.Linear(mlp_size, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[2] != self.in_channels:
            raise ValueError(f"expected frames of shape (batch, time, {self.in_channels}, height, width), "
                             f"got {tuple(x.shape)}")
        B, T = x.shape[:2]
        f = self.cnn(x.reshape(B * T, *x.shape[2:])).reshape(B, T, -1)   # (B, T, F)
        _, h_n = run(self.rnn, f, None)                                   # (1, B, H)
        return self.mlp(last_layer_state(h_n, self.rnn))                  # (B, K)
