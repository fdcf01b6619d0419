"""The activation functions g1 (hidden) and g2 (output), each with its derivative.

An activation carries three functions:

* ``forward(a)``: the value g(a), elementwise (softmax works along the last axis);
* ``derivative(a)``: g'(a) elementwise, for plotting and for hand derivations;
* ``backward(out, dout)``: dL/da given out = g(a) and dL/dout. Backpropagation only needs
  the output, so the recurrence never stores pre-activations:
  tanh' = 1 - g^2, sigmoid' = g (1 - g), relu' = [g > 0], identity' = 1.

Softmax is an output activation only; its Jacobian is not diagonal, so ``backward``
computes the vector-Jacobian product y * (dy - sum(dy * y)).
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ._checks import check_choice

__all__ = ["Activation", "ACTIVATIONS", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS",
           "get_activation", "sigmoid", "softmax"]


def sigmoid(a):
    """The logistic function 1 / (1 + e^-a), without overflow for large ``|a|``."""
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    positive = a >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-a[positive]))
    exp_a = np.exp(a[~positive])
    out[~positive] = exp_a / (1.0 + exp_a)
    return out


def softmax(a):
    """softmax(a)_k = e^{a_k} / sum_j e^{a_j} along the last axis, stable for ``|a|`` up to 1e300."""
    a = np.asarray(a, dtype=float)
    shifted = np.exp(a - a.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _softmax_backward(out, dout):
    return out * (dout - np.sum(dout * out, axis=-1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """One activation g: its value, its elementwise derivative, and its backward pass."""

    name: str
    forward: Callable
    backward: Callable
    derivative: Optional[Callable]  # None for softmax, whose Jacobian is not diagonal

    def __call__(self, a):
        return self.forward(a)


ACTIVATIONS = {
    "tanh": Activation(
        "tanh", np.tanh,
        backward=lambda out, dout: dout * (1.0 - out * out),
        derivative=lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": Activation(
        "sigmoid", sigmoid,
        backward=lambda out, dout: dout * out * (1.0 - out),
        derivative=lambda a: sigmoid(a) * (1.0 - sigmoid(a))),
    "relu": Activation(
        "relu", lambda a: np.maximum(a, 0.0),
        backward=lambda out, dout: dout * (out > 0),
        derivative=lambda a: (np.asarray(a) > 0).astype(float)),
    "identity": Activation(
        "identity", lambda a: a,
        backward=lambda out, dout: dout,
        derivative=lambda a: np.ones_like(np.asarray(a, dtype=float))),
    "softmax": Activation("softmax", softmax, backward=_softmax_backward, derivative=None),
}
HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
OUTPUT_ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax",)


def get_activation(name, allowed=OUTPUT_ACTIVATIONS, role="activation"):
    """Look up an activation by name; an unknown name raises ``ValueError`` listing the valid ones."""
    if isinstance(name, Activation):
        name = name.name
    check_choice(role, name, allowed)
    return ACTIVATIONS[name]
