"""Finding the recurrent submodule (nn.RNN, nn.LSTM or nn.GRU) of a model, by itself or by name."""
from __future__ import annotations

from torch import nn

from .cells import RECURRENT, check_module


def find_recurrent(model: nn.Module, module=None) -> tuple[str, nn.Module]:
    """(qualified name, module) of the recurrent submodule to inspect.

    ``module``: None (the only nn.RNN/LSTM/GRU in ``model``), a qualified name such
    as ``"encoder.rnn"``, or the submodule itself. A TypeError when the chosen
    module is one rnnviz cannot read exactly (a subclass with its own forward).
    """
    name, found = _find(model, module)
    check_module(found)
    return name, found


def _find(model: nn.Module, module) -> tuple[str, nn.Module]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module as model, got {type(model).__name__}")
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, RECURRENT)]
    names = ", ".join(repr(n) for n, _ in found)
    if module is None:
        if not found:
            raise ValueError(f"expected a model containing an nn.RNN, nn.LSTM or nn.GRU, but "
                             f"{type(model).__name__} has none (gradient_flow and the Jacobian read a whole sequence "
                             f"module; cells stepped in a loop, nn.RNNCell/LSTMCell/GRUCell included, are not supported)")
        if len(found) > 1:
            raise ValueError(f"{type(model).__name__} has several recurrent submodules: {names}; "
                             f"pass module=<one of these names>")
        return found[0]
    if isinstance(module, nn.Module):
        for n, m in found:
            if m is module:
                return n, m
        raise ValueError(f"the given module is not a recurrent submodule of {type(model).__name__}; "
                         f"its recurrent submodules are: {names or 'none'}")
    if not isinstance(module, str):
        raise TypeError(f"expected module to be None, a qualified name or an nn.Module, got {type(module).__name__}")
    for n, m in found:
        if n == module:
            return n, m
    raise ValueError(f"no recurrent submodule named {module!r} in {type(model).__name__}; "
                     f"valid names: {names or 'none (the model has no nn.RNN/LSTM/GRU)'}")
