"""rnnviz: see inside live PyTorch RNNs.

The public surface is what ``__all__`` lists; everything else is private.
Names are imported on first use, so ``import rnnviz`` stays fast and a
notebook only pays for the parts it calls.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> submodule that defines it
_PUBLIC = {
    # capture
    "trace": "capture", "record": "capture", "Trace": "capture",
    # gradients
    "gradient_flow": "gradients", "GradientFlow": "gradients",
    "GradientRecorder": "gradients", "state_jacobian_norms": "gradients",
    # training
    "fit": "train",
    # views
    "unroll_view": "views", "gates_view": "views", "gradient_view": "views",
    "attention_view": "views", "linked_views": "views", "export_html": "views",
    "set_projector": "views",
}
_SUBMODULES = ("capture", "gradients", "train", "views", "models", "attention", "data", "synthetic")

__all__ = sorted(_PUBLIC) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'rnnviz' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
