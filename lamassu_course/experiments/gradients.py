"""How the gradient travels back in time: Jacobian products, their norms and their decay rate.

With a_t = W_hh h_{t-1} + W_hx x_t + b_h and h_t = g1(a_t), one step back multiplies by::

    dh_t/dh_{t-1} = diag(g1'(a_t)) W_hh,
    dL_T/dh_t = (dh_T/dh_t)^T dL_T/dh_T,
    dh_T/dh_t = (dh_T/dh_{T-1}) ... (dh_{t+1}/dh_t)    (T - t factors).

With ``|g1'| <= gamma``, ``||dh_T/dh_t|| <= (gamma sigma_max(W_hh))^(T-t)`` (Pascanu et al., 2013).
For a linear g1 the norm grows or shrinks like rho(W_hh)^(T-t) once T - t is large, so the slope
of log ||dL_T/dh_t|| against T - t tends to log rho(W_hh) (``decay_rate`` measures it).
"""
import numpy as np

from .._checks import as_array, check_choice, check_shape
from ..activations import HIDDEN_ACTIVATIONS, get_activation
from ..init import scaled_normal, with_spectral_radius
from ..layers import hidden_forward

__all__ = ["state_gradients", "gradient_decay", "decay_rate", "rescaled",
           "real_dominant_matrix", "model_state_gradient_norms"]


def _square(name, W):
    W = as_array(name, W)
    check_shape(name, W, (None, None), ("H", "H"))
    if W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} has shape {W.shape}; expected a square matrix (H, H)")
    return W


def state_gradients(W_hh, hs, dh_last, activation="tanh"):
    """dL/dh_t for t = 0..T when the loss reads h_T only, one Jacobian at a time:
    dL/dh_{t-1} = W_hh^T (g1'(a_t) * dL/dh_t)   (row layout: (dh * g1') @ W_hh).

    W_hh (H, H); hs (T+1, B, H) from ``hidden_forward``; dh_last (B, H) = dL/dh_T.
    Returns (T+1, B, H) whose [t] is dL/dh_t. g1' is read from the stored h_t.
    """
    act = get_activation(activation, HIDDEN_ACTIVATIONS, "activation")
    W_hh = _square("W_hh", W_hh)
    H = W_hh.shape[0]
    hs = as_array("hs", hs)
    check_shape("hs", hs, (None, None, H), ("T+1", "B", "H"))
    dh_last = as_array("dh_last", dh_last)
    check_shape("dh_last", dh_last, (hs.shape[1], H), ("B", "H"))
    dhs = np.empty_like(hs)
    dhs[-1] = dh_last
    for t in range(len(hs) - 1, 0, -1):
        dhs[t - 1] = act.backward(hs[t], dhs[t]) @ W_hh
    return dhs


def gradient_decay(W_hh, steps, activation="tanh", input_scale=1.0, batch_size=8, seed=0):
    """||dL_T/dh_{T-k}|| for k = 0..steps, measured on a driven recurrence.

    h_t = g1(W_hh h_{t-1} + x_t) from h_0 = 0 for T = ``steps`` steps, with x_t drawn from
    N(0, input_scale^2 I) (D = H, W_hx = I, b_h = 0), for ``batch_size`` sequences; dL/dh_T
    is a random unit vector per sequence. Returns (steps+1, batch_size): row k is T - t = k.
    """
    W_hh = _square("W_hh", W_hh)
    get_activation(activation, HIDDEN_ACTIVATIONS, "activation")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps is {steps!r}; expected a positive integer")
    if not np.isfinite(input_scale) or input_scale < 0:
        raise ValueError(f"input_scale is {input_scale!r}; expected a finite number >= 0")
    H = W_hh.shape[0]
    rng = np.random.default_rng(seed)
    xs = input_scale * rng.standard_normal((steps, batch_size, H))
    hs = hidden_forward(xs, np.zeros((batch_size, H)), np.eye(H), W_hh, np.zeros(H), activation)
    dh_last = rng.standard_normal((batch_size, H))
    dh_last /= np.linalg.norm(dh_last, axis=1, keepdims=True)
    dhs = state_gradients(W_hh, hs, dh_last, activation)
    return np.linalg.norm(dhs, axis=2)[::-1]


def decay_rate(norms, start=0):
    """The least-squares slope of mean_b log ||dL/dh_{T-k}|| against k, over k >= ``start``.

    ``norms`` (K+1, B) or (K+1,) as from ``gradient_decay``. The rate is per step, in nats:
    a gradient shrinking by 0.9 per step has rate log 0.9 = -0.105. Zeros count as -inf and
    are refused (a gradient that is exactly zero has no rate).
    """
    norms = as_array("norms", norms)
    if norms.ndim == 1:
        norms = norms[:, None]
    check_shape("norms", norms, (None, None), ("K+1", "B"))
    if not 0 <= start <= len(norms) - 2:
        raise ValueError(f"start is {start!r}; expected 0 <= start <= {len(norms) - 2}")
    if np.any(norms[start:] <= 0):
        raise ValueError("norms holds zeros or negative values; expected positive norms")
    steps = np.arange(start, len(norms))
    return float(np.polyfit(steps, np.log(norms[start:]).mean(axis=1), 1)[0])


def rescaled(W, value, by="spectral_radius"):
    """W times a positive number, so that rho(W) (``by="spectral_radius"``) or sigma_max(W)
    (``by="sigma_max"``, the largest singular value) equals ``value``."""
    check_choice("by", by, ("spectral_radius", "sigma_max"))
    W = _square("W", W)
    if by == "spectral_radius":
        return with_spectral_radius(W, value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"value is {value!r}; expected a finite number >= 0")
    return W * (value / np.linalg.norm(W, 2))


def real_dominant_matrix(rng, size, max_ratio=0.9):
    """A scaled-normal (size, size) matrix, drawn again until its eigenvalue of largest
    modulus is real and every other eigenvalue is at most ``max_ratio`` times as large
    in modulus. Then rho^k is the whole story of W^k for large k: no rotation, no tie."""
    if not 0 < max_ratio < 1:
        raise ValueError(f"max_ratio is {max_ratio!r}; expected a number in (0, 1)")
    for _ in range(1000):
        W = scaled_normal(rng, size, size)
        eigenvalues = np.linalg.eigvals(W)
        order = np.argsort(-np.abs(eigenvalues))
        moduli = np.abs(eigenvalues[order])
        if (abs(eigenvalues[order[0]].imag) < 1e-12
                and (size == 1 or moduli[1] <= max_ratio * moduli[0])):
            return W
    raise RuntimeError(f"no draw in 1000 met max_ratio={max_ratio}; try a larger one")


def model_state_gradient_norms(model, xs, dys):
    """||dL/dh_t|| for t = 0..T-1, for any model with ``forward``/``backward`` like VanillaRNN.

    The gradient that reaches h_t through h_{t+1} is the gradient with respect to h0 of the
    same model restarted at h_t on the remaining inputs xs[t:], so it is read from
    ``backward(...)["h0"]``, T times. When the loss reads only the last output (as in the
    recall task), that is all of dL/dh_t. xs (T, B, D), dys (T, B, K) = dL/dys.
    Returns (T, B); row t is ||dL/dh_t||.
    """
    xs = as_array("xs", xs)
    check_shape("xs", xs, (None, None, None), ("T", "B", "D"))
    check_shape("dys", dys, xs.shape[:2] + (None,), ("T", "B", "K"))
    _, hs = model.forward(xs)
    norms = np.empty(xs.shape[:2])
    for t in range(len(xs)):
        grad = model.backward(xs[t:], hs[t:], dys[t:])["h0"]
        norms[t] = np.linalg.norm(grad, axis=1)
    return norms
