"""How a hidden state's influence on the final state shrinks or grows: norms of dh_last/dh_t.

This is the spectral story of vanishing and exploding gradients: in a plain tanh
RNN near its linear regime, dh_last/dh_t is close to W_hh^(T-1-t), whose norm
falls like rho^(T-1-t) when W_hh's spectral radius rho < 1 and grows when rho > 1.

Letters: B batch, T time, P units of h (proj_size or hidden_size), H hidden size.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from tqdm.auto import tqdm

from .._recurrent.cells import RECURRENT, cell_weights, check_module, input_part, run_direction
from .._recurrent.find import find_recurrent
from .._recurrent.inputs import describe, model_args, prepare
from .._restore import eval_mode

_NORMS = {"spectral": 2, "fro": "fro"}
_BUDGET = 2 ** 25  # floats of activations per chunk of replicated samples


def _module_call(model: nn.Module, inputs, hx, module):
    """(rnn, its input, its hx): the model itself, or what the model passes to its recurrent submodule."""
    if isinstance(model, RECURRENT) and module is None:
        check_module(model)
        return model, inputs, hx
    if hx is not None:
        raise ValueError("expected hx=None for a whole model (the model decides what it passes to its "
                         "recurrent submodule); pass hx only with a bare nn.RNN/LSTM/GRU")
    _, rnn = find_recurrent(model, module)
    calls = []

    def grab(mod, args, kwargs):
        inp = args[0] if args else kwargs.get("input")
        calls.append((inp, args[1] if len(args) > 1 else kwargs.get("hx")))

    handle = rnn.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        with torch.no_grad():
            model(*model_args(inputs))
    finally:
        handle.remove()
    if len(calls) != 1:
        raise ValueError(f"expected the recurrent submodule to be called once in model(inputs), "
                         f"it was called {len(calls)} times")
    return rnn, calls[0][0], calls[0][1]


def state_jacobian_norms(model: nn.Module, inputs, hx=None, *, module=None, layer: int = -1,
                         direction: int = 0, norm: str = "spectral") -> torch.Tensor:
    """Norms of the Jacobians dh_last/dh_t of one layer and direction, for t = 0..T-1.

    - ``model``: an ``nn.RNN``/``nn.LSTM``/``nn.GRU`` called as ``model(inputs, hx)``, or a
      whole model called as ``model(*inputs)`` (``module`` picks its recurrent submodule).
    - ``layer``, ``direction``: which layer (negative counts from the top) and direction.
    - ``norm``: ``"spectral"`` (largest singular value: the most any direction is
      amplified) or ``"fro"`` (Frobenius).
    Returns (B, T), detached: entry t is ||d h_last / d h_t|| where h_last is the
    state at the last position read (T-1 forward; 0 for the backward direction), so
    entry T-1 (resp. 0) is the norm of the identity. Same convention as
    ``gradient_flow``: h_t is a node of the unrolled loop; for an LSTM c_t is held
    fixed. Runs in eval semantics (no between-layer dropout); a whole model runs
    in eval mode, and its modes, buffers and the random stream are restored
    afterwards. Inputs must be a tensor.
    Cost: one batch of P copies of each sequence through the chosen layer.
    """
    if norm not in _NORMS:
        raise ValueError(f"expected norm to be one of {sorted(_NORMS)}, got {norm!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module as model, got {type(model).__name__}")
    with eval_mode(model):
        rnn, inp, hx = _module_call(model, inputs, hx, module)
    if isinstance(inp, PackedSequence):
        raise TypeError("expected a padded tensor input; state_jacobian_norms does not follow "
                        "PackedSequence lengths (use sequences of one length)")
    L, D = rnn.num_layers, 2 if rnn.bidirectional else 1
    for what, value in (("layer", layer), ("direction", direction)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected {what} as an int, got {value!r}")
    if not -L <= layer < L or direction not in range(D):
        raise ValueError(f"expected layer in [{-L}, {L}) and direction in {list(range(D))} for this "
                         f"{describe(rnn)}, got layer={layer}, direction={direction}")
    layer %= L
    p = prepare(rnn, inp, hx)
    kind, nonlin = p.kind, p.nonlinearity
    B, T = p.x.shape[:2]
    if B == 0:
        raise ValueError("expected at least one sequence to take Jacobians of, got a batch of 0")
    h0, c0 = p.h0.detach(), None if p.c0 is None else p.c0.detach()   # (L*D, B, P), (L*D, B, H)
    with torch.no_grad():
        layer_in = p.x.detach()                                        # (B, T, I)
        for lay in range(layer):
            outs = []
            for d in range(D):
                w, k = cell_weights(rnn, lay, d), lay * D + d
                hs = run_direction(kind, nonlin, w, input_part(w, layer_in), h0[k],
                                   None if c0 is None else c0[k], reverse=bool(d))[0]
                outs.append(torch.stack(hs, 1))                        # (B, T, P)
            layer_in = torch.cat(outs, -1)                             # (B, T, D*P)
    k, P = layer * D + direction, h0.shape[-1]
    w = cell_weights(rnn, layer, direction)
    with torch.no_grad():
        gi = input_part(w, layer_in)                                   # (B, T, G*H)
    per_sample = P * T * (w.w_ih.shape[0] + 2 * rnn.hidden_size)
    chunk = max(1, _BUDGET // per_sample)
    starts = range(0, B, chunk)
    result = []
    for s in tqdm(starts, desc="state Jacobians", leave=False, disable=len(starts) < 2):
        bc = min(chunk, B - s)
        gis = gi[s:s + bc].repeat_interleave(P, 0)                     # (bc*P, T, G*H)
        h = h0[k, s:s + bc].repeat_interleave(P, 0).requires_grad_(True)  # (bc*P, P)
        c = None if c0 is None else c0[k, s:s + bc].repeat_interleave(P, 0)  # (bc*P, H)
        with torch.enable_grad():
            hs = run_direction(kind, nonlin, w, gis, h, c, reverse=bool(direction))[0]
            last = hs[0] if direction else hs[-1]                      # (bc*P, P)
            picked = last.reshape(bc, P, P).diagonal(dim1=1, dim2=2).sum()  # copy j of a sample keeps unit j
            rows = torch.autograd.grad(picked, hs)                     # T x (bc*P, P)
        with torch.no_grad():
            jac = [r.reshape(bc, P, P) for r in rows]                  # T x (bc, P, P): J_t[j, :] = dh_last[j]/dh_t
            result.append(torch.stack([torch.linalg.matrix_norm(j, ord=_NORMS[norm]) for j in jac], 1))
    return torch.cat(result)                                           # (B, T)
