"""Backpropagation through time, taken apart (Chapter 3).

* ``backward_with_bug``: BPTT with one of two classic bugs, on purpose, so that a gradient
  check can be seen to catch them. Never train with it.
* ``truncated_gradients``: the gradient that truncated BPTT computes for one sequence, to
  measure how far it is from the full gradient.
* ``bptt_cost``: the time and memory of one full BPTT over a sequence of T steps.
* ``bptt_flops`` and ``forward_backward_seconds``: the multiply-adds of the forward and the
  backward pass, counted product by product, and the time of each, measured.

(The chapter's drawing of truncation is ``classroom.plots.draw_truncated``.)

The correct BPTT is ``VanillaRNN.backward`` (``layers.hidden_backward``):
dh_t = W_yh^T dy_t + W_hh^T da_{t+1},  da_t = g1'(a_t) * dh_t,
dW_hh = sum_t da_t h_{t-1}^T,  dW_hx = sum_t da_t x_t^T,  db_h = sum_t da_t.
"""
import time

import numpy as np

from .._checks import check_choice, check_shape
from ..activations import ACTIVATIONS
from ..losses import softmax_cross_entropy

__all__ = ["BUGS", "backward_with_bug", "truncated_gradients", "bptt_cost", "bptt_flops",
           "forward_backward_seconds"]

BUGS = {
    "no W_hh^T": "drops the term W_hh^T da_{t+1}: dh_t = W_yh^T dy_t only",
    "no g1'": "forgets g1': da_t = dh_t instead of g1'(a_t) * dh_t",
}


def backward_with_bug(rnn, xs, hs, dys, bug):
    """``rnn.backward(xs, hs, dys)`` with one deliberate bug, for the gradient check only.

    bug "no W_hh^T": the recursion loses its recurrent term, dh_t = W_yh^T dy_t.
    bug "no g1'":    the derivative of g1 is forgotten, da_t = dh_t.
    Shapes as in ``VanillaRNN.backward``; returns the five parameter gradients (a dict).
    The output gradients dW_yh and db_y do not go through the recursion, so they stay right.
    """
    check_choice("bug", bug, BUGS)
    grads = rnn.backward(xs, hs, dys)          # checks every shape; dW_yh, db_y are right
    p, act = rnn.params, ACTIVATIONS[rnn.hidden_activation]
    if rnn.output_activation != "identity":
        raise ValueError("backward_with_bug needs output_activation='identity' (logits)")
    T, B, D = np.shape(xs)
    H = len(p["W_hh"])
    xs, hs = np.asarray(xs, dtype=float), np.asarray(hs, dtype=float)
    dhs = np.asarray(dys, dtype=float) @ p["W_yh"]          # W_yh^T dy_t, (T, B, H)
    das = np.empty((T, B, H))
    dh_next = np.zeros((B, H))                              # W_hh^T da_{t+1}
    for t in reversed(range(T)):
        dh = dhs[t] if bug == "no W_hh^T" else dhs[t] + dh_next
        das[t] = dh if bug == "no g1'" else act.backward(hs[t + 1], dh)
        dh_next = das[t] @ p["W_hh"]
    da_rows = das.reshape(T * B, H)
    grads = {name: grads[name] for name in ("W_yh", "b_y")}
    grads.update(W_hx=da_rows.T @ xs.reshape(T * B, D), W_hh=da_rows.T @ hs[:-1].reshape(T * B, H),
                 b_h=da_rows.sum(axis=0))
    return grads


def truncated_gradients(rnn, xs, targets, window, h0=None):
    """The gradient truncated BPTT computes for one sequence, with the parameters held fixed.

    The T steps are cut into windows of ``window`` steps. Each window starts from the last
    state of the one before (carried) and is backpropagated on its own (the gradient is
    stopped at its first step). Returns (loss, grads): the loss summed over all windows
    (the same number as full BPTT) and the sum of the windows' parameter gradients.
    ``window >= T`` gives full BPTT. Shapes: xs (T, B, V) one-hot, targets (T, B) ints,
    h0 (B, H) or None for zeros. The loss is ``softmax_cross_entropy`` of the logits.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window is {window!r}; expected a positive integer")
    D, _, _ = rnn.sizes
    check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
    check_shape("targets", targets, np.shape(xs)[:2], ("T", "B"))
    grads = {name: np.zeros_like(value) for name, value in rnn.params.items()}
    total, h = 0.0, h0
    for start in range(0, len(xs), window):
        xs_k, targets_k = xs[start:start + window], targets[start:start + window]
        ys, hs = rnn.forward(xs_k, h)
        loss, dys = softmax_cross_entropy(ys, targets_k)
        window_grads = rnn.backward(xs_k, hs, dys)   # no dh_last: the gradient stops here
        for name in grads:
            grads[name] += window_grads[name]
        total += loss
        h = hs[-1]                                   # the state is carried to the next window
    return total, grads


def bptt_cost(rnn, T, batch_size=1, seed=0):
    """Seconds and bytes for one forward + full BPTT over T steps of random one-hot input.

    The bytes are what must be kept between the forward and the backward pass: the inputs
    xs (T, B, D), the states hs (T+1, B, H), the logits ys and their gradient dys (T, B, K).
    Both grow in proportion to T. Returns (seconds, bytes).
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T is {T!r}; expected a positive integer")
    D, _, K = rnn.sizes
    rng = np.random.default_rng(seed)
    xs = np.eye(D)[rng.integers(0, D, size=(T, batch_size))]
    targets = rng.integers(0, K, size=(T, batch_size))
    start = time.perf_counter()
    ys, hs = rnn.forward(xs)
    _, dys = softmax_cross_entropy(ys, targets)
    rnn.backward(xs, hs, dys)
    seconds = time.perf_counter() - start
    return seconds, xs.nbytes + hs.nbytes + ys.nbytes + dys.nbytes


def bptt_flops(T, B, D, H, K):
    """Multiply-adds of the matrix products in one forward and one backward pass.

    Returns (forward, backward): two dicts {product: count}. Forward, per step and row:
    W_hx x_t (H*D), W_hh h_{t-1} (H*H), W_yh h_t (K*H). Backward, the same products twice:
    once for the gradient flowing down (W_yh^T dy_t, W_hh^T da_t, W_hx^T da_t = dx_t) and
    once for the weights (dW_yh, dW_hh, dW_hx). Element-wise work (tanh, softmax) is left
    out: it is O(T*B*(H+K)), small next to these. ``VanillaRNN.backward`` computes dx_t too.
    """
    for name, value in (("T", T), ("B", B), ("D", D), ("H", H), ("K", K)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} is {value!r}; expected a positive integer")
    rows = T * B
    forward = {"W_hx x_t": rows * H * D, "W_hh h_(t-1)": rows * H * H, "W_yh h_t": rows * K * H}
    backward = {"W_yh^T dy_t": rows * K * H, "dW_yh": rows * K * H,
                "W_hh^T da_t": rows * H * H, "dW_hh": rows * H * H,
                "W_hx^T da_t (dx_t)": rows * H * D, "dW_hx": rows * H * D}
    return forward, backward


def forward_backward_seconds(rnn, T, batch_size=1, repeats=5, seed=0):
    """The fastest of ``repeats`` timings of ``rnn.forward`` and of ``rnn.backward``, over T
    steps of random one-hot input. The loss and its gradient dys (softmax) are computed
    between the two and timed in neither. Returns (forward s, backward s)."""
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats is {repeats!r}; expected a positive integer")
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T is {T!r}; expected a positive integer")
    D, _, K = rnn.sizes
    rng = np.random.default_rng(seed)
    xs = np.eye(D, dtype=rnn.params["W_hx"].dtype)[rng.integers(0, D, size=(T, batch_size))]
    targets = rng.integers(0, K, size=(T, batch_size))
    best = [np.inf, np.inf]
    for _ in range(repeats):
        start = time.perf_counter()
        ys, hs = rnn.forward(xs)
        forward = time.perf_counter() - start
        _, dys = softmax_cross_entropy(ys, targets)
        start = time.perf_counter()
        rnn.backward(xs, hs, dys)
        backward = time.perf_counter() - start
        best = [min(best[0], forward), min(best[1], backward)]
    return best[0], best[1]
