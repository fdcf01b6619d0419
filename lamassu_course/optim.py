"""Optimisers that update a parameter dict in place, and gradient clipping.

Clipping is a separate step between ``backward`` and ``step``; it never happens inside a
loss or a backward pass, so a gradient check always sees the true gradient.
"""
import numpy as np

from ._checks import as_array

__all__ = ["SGD", "Adagrad", "global_norm", "clip_by_value", "clip_by_global_norm"]


def _check_grads(params, grads):
    missing = sorted(set(params) - set(grads))
    if missing:
        raise ValueError(f"grads has no entry for {missing}; expected one for every parameter")
    for name, param in params.items():
        if np.shape(grads[name]) != param.shape:
            raise ValueError(f"grads[{name!r}] has shape {np.shape(grads[name])}; "
                             f"expected {param.shape} like params[{name!r}]")
        grad = as_array(f"grads[{name!r}]", grads[name], allow_nonfinite=True)
        if not np.all(np.isfinite(grad)):
            raise ValueError(f"grads[{name!r}] contains NaN or inf; expected finite numbers "
                             "(an exploding gradient? try clipping)")


def _check_positive(name, value):
    if not (isinstance(value, (int, float, np.floating)) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} is {value!r}; expected a finite number > 0")


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum:
    v <- momentum * v - lr * g,  p <- p + v.  With momentum 0 this is p <- p - lr * g."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        _check_positive("lr", lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum is {momentum!r}; expected a number in [0, 1)")
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads):
        """Update every parameter in place from ``grads`` (extra keys such as "xs" are ignored)."""
        _check_grads(self.params, grads)
        for name, param in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v -= self.lr * grads[name]
            param += v


class Adagrad:
    """Adagrad (Duchi et al., 2011), as in min-char-rnn:
    m <- m + g^2,  p <- p - lr * g / sqrt(m + eps). Each weight gets its own step size."""

    def __init__(self, params, lr=0.1, eps=1e-8):
        _check_positive("lr", lr)
        _check_positive("eps", eps)
        self.params, self.lr, self.eps = params, lr, eps
        self.memory = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads):
        """Update every parameter in place from ``grads`` (extra keys such as "xs" are ignored)."""
        _check_grads(self.params, grads)
        for name, param in self.params.items():
            g = grads[name]
            self.memory[name] += g * g
            param -= self.lr * g / np.sqrt(self.memory[name] + self.eps)


def global_norm(grads):
    """sqrt(sum over every array of sum g^2): the length of all gradients as one vector."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))


def clip_by_value(grads, clip):
    """Each entry limited to [-clip, clip] (min-char-rnn's np.clip). Returns a new dict."""
    _check_positive("clip", clip)
    return {name: np.clip(g, -clip, clip) for name, g in grads.items()}


def clip_by_global_norm(grads, max_norm):
    """If ||g|| > max_norm, scale every gradient by max_norm / ||g|| (Pascanu et al., 2013).

    The direction is kept; only the length is capped. Returns (clipped grads, norm before
    clipping). Pass only the parameter gradients (not "xs" or "h0").
    """
    _check_positive("max_norm", max_norm)
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}, norm
