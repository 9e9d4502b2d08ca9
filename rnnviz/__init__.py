"""rnnviz: see inside live PyTorch RNNs.

The public surface is what ``__all__`` lists; everything else is private.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__: list[str] = []
