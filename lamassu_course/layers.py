"""The recurrence, one function per equation, each with its backward (CS231n style).

The book's equations use column vectors::

    h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h)
    y_t = g2(W_yh h_t + b_y)

The code's rows are the batch, and weights are (out, in)::

    h_t = g1(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    y_t = g2(h_t @ W_yh.T + b_y)

Shapes: T time, B batch, D input, H hidden, K output.
Step functions take one time step and return ``(out, cache)``; their backward takes the
upstream gradient and the cache. Sequence functions run all T steps, time-major
(``xs`` is (T, B, D)), and do every product that does not depend on the recurrence as one
matrix product over all T*B rows.
"""
import numpy as np

from ._checks import as_array, check_shape
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation

__all__ = ["hidden_step", "hidden_step_backward", "output_step", "output_step_backward",
           "hidden_forward", "hidden_backward", "output_forward", "output_backward"]


def _hidden_params(W_hx, W_hh, b_h):
    W_hx = as_array("W_hx", W_hx, dtype=None)
    H, D = W_hx.shape if W_hx.ndim == 2 else (None, None)
    check_shape("W_hx", W_hx, (None, None), ("H", "D"))
    W_hh = as_array("W_hh", W_hh, W_hx.dtype)
    check_shape("W_hh", W_hh, (H, H), ("H", "H"))
    b_h = as_array("b_h", b_h, W_hx.dtype)
    check_shape("b_h", b_h, (H,), ("H",))
    return W_hx, W_hh, b_h


def _output_params(W_yh, b_y, H=None):
    W_yh = as_array("W_yh", W_yh, dtype=None)
    check_shape("W_yh", W_yh, (None, H), ("K", "H"))
    b_y = as_array("b_y", b_y, W_yh.dtype)
    check_shape("b_y", b_y, (W_yh.shape[0],), ("K",))
    return W_yh, b_y


def hidden_step(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """One step of the recurrence: h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h).

    Shapes: x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,) -> h_t (B, H).
    Returns (h_t, cache); cache holds what ``hidden_step_backward`` needs.
    """
    act = get_activation(activation, HIDDEN_ACTIVATIONS, "hidden activation")
    W_hx, W_hh, b_h = _hidden_params(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    x_t = as_array("x_t", x_t, W_hx.dtype)
    check_shape("x_t", x_t, (None, D), ("B", "D"))
    h_prev = as_array("h_prev", h_prev, W_hx.dtype)
    check_shape("h_prev", h_prev, (x_t.shape[0], H), ("B", "H"))
    h_t = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    return h_t, (x_t, h_prev, W_hx, W_hh, h_t, act)


def hidden_step_backward(dh_t, cache):
    """Backward of ``hidden_step``: with a_t the pre-activation, da_t = g1'(a_t) * dh_t, and

    dx_t = W_hx^T da_t, dh_{t-1} = W_hh^T da_t, dW_hx = da_t x_t^T, dW_hh = da_t h_{t-1}^T,
    db_h = da_t (summed over the batch). Returns (dx_t, dh_prev, dW_hx, dW_hh, db_h).
    """
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    dh_t = as_array("dh_t", dh_t, h_t.dtype)
    check_shape("dh_t", dh_t, h_t.shape, ("B", "H"))
    da = act.backward(h_t, dh_t)
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def output_step(h_t, W_yh, b_y, activation="identity"):
    """The output at one step: y_t = g2(W_yh h_t + b_y).

    Shapes: h_t (B, H), W_yh (K, H), b_y (K,) -> y_t (B, K). Returns (y_t, cache).
    """
    act = get_activation(activation, OUTPUT_ACTIVATIONS, "output activation")
    W_yh, b_y = _output_params(W_yh, b_y)
    h_t = as_array("h_t", h_t, W_yh.dtype)
    check_shape("h_t", h_t, (None, W_yh.shape[1]), ("B", "H"))
    y_t = act(h_t @ W_yh.T + b_y)
    return y_t, (h_t, W_yh, y_t, act)


def output_step_backward(dy_t, cache):
    """Backward of ``output_step``: dz_t = g2'(z_t) dy_t, dh_t = W_yh^T dz_t,
    dW_yh = dz_t h_t^T, db_y = dz_t. Returns (dh_t, dW_yh, db_y)."""
    h_t, W_yh, y_t, act = cache
    dy_t = as_array("dy_t", dy_t, y_t.dtype)
    check_shape("dy_t", dy_t, y_t.shape, ("B", "K"))
    dz = act.backward(y_t, dy_t)
    return dz @ W_yh, dz.T @ h_t, dz.sum(axis=0)


def hidden_forward(xs, h0, W_hx, W_hh, b_h, activation="tanh"):
    """All T steps of h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h), from h_0 = h0.

    Shapes: xs (T, B, D), h0 (B, H) -> hs (T+1, B, H) with hs[0] = h0.
    Same numbers as calling ``hidden_step`` T times; the term W_hx x_t + b_h does not
    depend on the recurrence, so it is one (T*B, D) @ (D, H) product for all steps.
    """
    act = get_activation(activation, HIDDEN_ACTIVATIONS, "hidden activation")
    W_hx, W_hh, b_h = _hidden_params(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    xs = as_array("xs", xs, W_hx.dtype)
    check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
    T, B, _ = xs.shape
    h0 = as_array("h0", h0, W_hx.dtype)
    check_shape("h0", h0, (B, H), ("B", "H"))
    hs = np.empty((T + 1, B, H), dtype=W_hx.dtype)
    hs[0] = h0
    # W_hx x_t + b_h for every t at once; hs[1:] holds it until the step overwrites it.
    np.matmul(xs.reshape(T * B, D), W_hx.T, out=hs[1:].reshape(T * B, H))
    hs[1:] += b_h
    W_hh_T = W_hh.T
    a = np.empty((B, H), dtype=W_hx.dtype)   # one buffer for every step's pre-activation
    for t in range(T):
        np.matmul(hs[t], W_hh_T, out=a)
        a += hs[t + 1]                        # a_t = W_hh h_{t-1} + (W_hx x_t + b_h)
        if act.name == "tanh":
            np.tanh(a, out=hs[t + 1])         # no new array per step
        else:
            hs[t + 1] = act(a)
    return hs


def hidden_backward(dhs, xs, hs, W_hx, W_hh, activation="tanh", dh_last=None,
                    overwrite_dhs=False):
    """Backpropagation through time for the recurrence.

    dhs (T, B, H) is the gradient arriving at h_1..h_T from the outputs; dh_last (B, H) is
    extra gradient arriving at h_T (e.g. from a decoder). Going backwards in time:
    dh_t = dhs_t + W_hh^T da_{t+1},  da_t = g1'(a_t) * dh_t,
    then dW_hx = sum_t da_t x_t^T, dW_hh = sum_t da_t h_{t-1}^T, db_h = sum_t da_t
    (each sum is one matrix product over all T*B rows).
    Returns (dxs (T, B, D), dh0 (B, H), dW_hx, dW_hh, db_h).
    With ``overwrite_dhs=True`` the da_t are written over ``dhs`` (no new (T, B, H) array;
    memory that is already in use is faster to write than fresh memory).
    """
    act = get_activation(activation, HIDDEN_ACTIVATIONS, "hidden activation")
    W_hx, W_hh, _ = _hidden_params(W_hx, W_hh, np.zeros(len(W_hh)))
    H, D = W_hx.shape
    xs = as_array("xs", xs, W_hx.dtype)
    check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
    T, B, _ = xs.shape
    hs = as_array("hs", hs, W_hx.dtype)
    check_shape("hs", hs, (T + 1, B, H), ("T+1", "B", "H"))
    dhs = as_array("dhs", dhs, W_hx.dtype)
    check_shape("dhs", dhs, (T, B, H), ("T", "B", "H"))
    dh = np.zeros((B, H), dtype=W_hx.dtype)
    if dh_last is not None:
        dh_last = as_array("dh_last", dh_last, W_hx.dtype)
        check_shape("dh_last", dh_last, (B, H), ("B", "H"))
        dh += dh_last
    # das[t] may share memory with dhs[t]: each step reads dhs[t] before writing das[t].
    das = dhs if overwrite_dhs else np.empty((T, B, H), dtype=W_hx.dtype)
    if act.name == "tanh":
        # act.backward's operations in the same order (so the same numbers), written into
        # arrays that already exist: no new (B, H) array per step
        slope = np.empty((B, H), dtype=W_hx.dtype)
        for t in reversed(range(T)):
            np.multiply(hs[t + 1], hs[t + 1], out=slope)
            np.subtract(1.0, slope, out=slope)            # g1'(a_t) = 1 - h_t^2
            np.add(dh, dhs[t], out=das[t])                # dh_t = dhs_t + W_hh^T da_{t+1}
            das[t] *= slope                               # da_t = g1'(a_t) * dh_t
            np.matmul(das[t], W_hh, out=dh)               # W_hh^T da_t, into h_{t-1}
    else:
        for t in reversed(range(T)):
            das[t] = act.backward(hs[t + 1], dh + dhs[t])   # da_t = g1'(a_t) * dh_t
            dh = das[t] @ W_hh                               # W_hh^T da_t, into h_{t-1}
    da_rows = das.reshape(T * B, H)
    dW_hx = da_rows.T @ xs.reshape(T * B, D)
    dW_hh = da_rows.T @ hs[:-1].reshape(T * B, H)
    dxs = (da_rows @ W_hx).reshape(T, B, D)
    return dxs, dh, dW_hx, dW_hh, da_rows.sum(axis=0)


def output_forward(hs, W_yh, b_y, activation="identity"):
    """y_t = g2(W_yh h_t + b_y) for every step at once: hs (T, B, H) -> ys (T, B, K).

    Pass the states h_1..h_T (``hs[1:]`` of ``hidden_forward``), not h_0.
    """
    act = get_activation(activation, OUTPUT_ACTIVATIONS, "output activation")
    W_yh, b_y = _output_params(W_yh, b_y)
    K, H = W_yh.shape
    hs = as_array("hs", hs, W_yh.dtype)
    check_shape("hs", hs, (None, None, H), ("T", "B", "H"))
    T, B, _ = hs.shape
    z = hs.reshape(T * B, H) @ W_yh.T
    z += b_y   # in place: no second (T*B, K) array for the sum
    return act(z.reshape(T, B, K))


def output_backward(dys, hs, ys, W_yh, activation="identity"):
    """Backward of ``output_forward``: dz_t = g2'(z_t) dy_t, dh_t = W_yh^T dz_t,
    dW_yh = sum_t dz_t h_t^T, db_y = sum_t dz_t. Returns (dhs (T, B, H), dW_yh, db_y)."""
    act = get_activation(activation, OUTPUT_ACTIVATIONS, "output activation")
    W_yh = as_array("W_yh", W_yh, dtype=None)
    check_shape("W_yh", W_yh, (None, None), ("K", "H"))
    K, H = W_yh.shape
    hs = as_array("hs", hs, W_yh.dtype)
    check_shape("hs", hs, (None, None, H), ("T", "B", "H"))
    T, B, _ = hs.shape
    for name, array in (("ys", ys), ("dys", dys)):
        check_shape(name, array, (T, B, K), ("T", "B", "K"))
    ys = as_array("ys", ys, W_yh.dtype)
    dys = as_array("dys", dys, W_yh.dtype)
    dz_rows = act.backward(ys, dys).reshape(T * B, K)
    dhs = (dz_rows @ W_yh).reshape(T, B, H)
    return dhs, dz_rows.T @ hs.reshape(T * B, H), dz_rows.sum(axis=0)
