"""Gradient checking: central finite differences, and the relative error between two gradients.

df/dp_i ~ (f(p + eps e_i) - f(p - eps e_i)) / (2 eps). In float64 with eps = 1e-5 the error
of this estimate is about ``eps^2 |f'''|`` (truncation) + ``1e-16 |f| / eps`` (rounding), so a correct
backward pass agrees with it to a relative error of 1e-7 or better.
"""
import numpy as np

__all__ = ["numerical_gradient", "numerical_gradients", "relative_error", "check_gradients"]


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly afterwards;
    ``f`` takes no arguments and must read ``x`` (e.g. a closure over a parameter dict).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 NumPy array (finite differences need float64)")
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        flat_grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def numerical_gradients(f, arrays, eps=1e-5):
    """``numerical_gradient`` for every array of the dict ``arrays``; returns a dict."""
    return {name: numerical_gradient(f, array, eps) for name, array in arrays.items()}


def relative_error(a, b):
    """``max |a - b| / max(1e-12, max(|a| + |b|))``: 0 when equal, about 1e-8 or less when a
    backward pass is right, about 1 when it is wrong. Scaling by the largest entry (not
    entry by entry) keeps tiny entries, where finite differences are noise, from dominating."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}; expected equal shapes")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(a) + np.abs(b)))))


def check_gradients(f, arrays, analytic, eps=1e-5):
    """Relative error of every analytic gradient against finite differences.

    ``arrays`` maps names to the float64 arrays ``f`` reads; ``analytic`` maps the same
    names to the gradients to test. Returns {name: relative error}.
    """
    missing = sorted(set(arrays) - set(analytic))
    if missing:
        raise ValueError(f"analytic has no gradient for {missing}; expected one for every array")
    numeric = numerical_gradients(f, arrays, eps)
    return {name: relative_error(analytic[name], numeric[name]) for name in arrays}
