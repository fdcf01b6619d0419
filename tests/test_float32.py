"""The in-place recurrence loops: float64 bit-identical to the plain loops, float32 stays float32.

``hidden_forward`` and ``hidden_backward`` write each step into preallocated arrays
(``out=``) for speed. The book's committed notebook outputs were computed with the plain
loops below (the package's code before that change), so in float64 the numbers must be the
same to the last bit, not just close.
"""
import numpy as np
import pytest

from lamassu_course import VanillaRNN
from lamassu_course.activations import get_activation
from lamassu_course.layers import hidden_backward, hidden_forward


# ------------------------------------------------ the plain loops, as they were: the reference
def reference_hidden_forward(xs, h0, W_hx, W_hh, b_h, activation):
    act = get_activation(activation)
    T, B, D = xs.shape
    H = W_hh.shape[0]
    hs = np.empty((T + 1, B, H), dtype=W_hx.dtype)
    hs[0] = h0
    np.matmul(xs.reshape(T * B, D), W_hx.T, out=hs[1:].reshape(T * B, H))
    hs[1:] += b_h
    W_hh_T = W_hh.T
    for t in range(T):
        hs[t + 1] = act(hs[t + 1] + hs[t] @ W_hh_T)
    return hs


def reference_hidden_backward(dhs, xs, hs, W_hx, W_hh, activation, dh_last):
    act = get_activation(activation)
    T, B, D = xs.shape
    H = W_hh.shape[0]
    dh = np.zeros((B, H), dtype=W_hx.dtype)
    if dh_last is not None:
        dh = dh + dh_last
    das = np.empty((T, B, H), dtype=W_hx.dtype)
    for t in reversed(range(T)):
        das[t] = act.backward(hs[t + 1], dh + dhs[t])
        dh = das[t] @ W_hh
    da_rows = das.reshape(T * B, H)
    dW_hx = da_rows.T @ xs.reshape(T * B, D)
    dW_hh = da_rows.T @ hs[:-1].reshape(T * B, H)
    dxs = (da_rows @ W_hx).reshape(T, B, D)
    return dxs, dh, dW_hx, dW_hh, da_rows.sum(axis=0)


def reference_rnn(rnn, xs, h0, dys, dh_last):
    """VanillaRNN.forward + backward as they were, built on the reference loops."""
    p, g2 = rnn.params, get_activation(rnn.output_activation)
    T, B, _ = xs.shape
    K, H = p["W_yh"].shape
    hs = reference_hidden_forward(xs, h0, p["W_hx"], p["W_hh"], p["b_h"],
                                  rnn.hidden_activation)
    z = hs[1:].reshape(T * B, H) @ p["W_yh"].T
    z += p["b_y"]
    ys = g2(z.reshape(T, B, K))
    dz_rows = g2.backward(ys, dys).reshape(T * B, K)
    dhs = (dz_rows @ p["W_yh"]).reshape(T, B, H)
    dxs, dh0, dW_hx, dW_hh, db_h = reference_hidden_backward(
        dhs, xs, hs, p["W_hx"], p["W_hh"], rnn.hidden_activation, dh_last)
    grads = {"W_hx": dW_hx, "W_hh": dW_hh, "W_yh": dz_rows.T @ hs[1:].reshape(T * B, H),
             "b_h": db_h, "b_y": dz_rows.sum(axis=0), "xs": dxs, "h0": dh0}
    return ys, hs, grads


# ------------------------------------------------ float64: exactly the old numbers
SHAPES = [(1, 1, 1, 1, 1), (7, 3, 5, 6, 4), (25, 1, 65, 100, 65), (13, 32, 9, 37, 11),
          (40, 16, 64, 128, 64)]


@pytest.mark.parametrize("T, B, D, H, K", SHAPES)
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu", "identity"])
@pytest.mark.parametrize("with_state", [False, True])
def test_vanilla_rnn_float64_bit_identical_to_plain_loops(T, B, D, H, K, hidden, with_state):
    rng = np.random.default_rng([T, B, D, H, K, len(hidden), with_state])
    output = "softmax" if with_state else "identity"
    rnn = VanillaRNN(D, H, K, hidden_activation=hidden, output_activation=output,
                     seed=T + H, spectral_radius=0.9)
    for name in ("b_h", "b_y"):
        rnn.params[name][:] = 0.3 * rng.standard_normal(rnn.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    dys = rng.standard_normal((T, B, K))
    h0 = rng.standard_normal((B, H)) if with_state else np.zeros((B, H))
    dh_last = rng.standard_normal((B, H)) if with_state else None

    ys, hs = rnn.forward(xs, h0)
    grads = rnn.backward(xs, hs, dys, dh_last)
    ref_ys, ref_hs, ref_grads = reference_rnn(rnn, xs, h0, dys, dh_last)

    assert hs.dtype == np.float64
    assert np.array_equal(hs, ref_hs)
    assert np.array_equal(ys, ref_ys)
    for name, ref in ref_grads.items():
        assert grads[name].dtype == np.float64, name
        assert np.array_equal(grads[name], ref), name


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_hidden_layers_float64_bit_identical_and_dhs_kept(hidden):
    rng = np.random.default_rng(3)
    T, B, D, H = 30, 8, 5, 17
    xs, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    W_hx, W_hh = rng.standard_normal((H, D)), 0.3 * rng.standard_normal((H, H))
    b_h, dhs = rng.standard_normal(H), rng.standard_normal((T, B, H))
    dh_last = rng.standard_normal((B, H))
    hs = hidden_forward(xs, h0, W_hx, W_hh, b_h, hidden)
    assert np.array_equal(hs, reference_hidden_forward(xs, h0, W_hx, W_hh, b_h, hidden))
    dhs_before = dhs.copy()
    got = hidden_backward(dhs, xs, hs, W_hx, W_hh, hidden, dh_last)
    want = reference_hidden_backward(dhs_before, xs, hs, W_hx, W_hh, hidden, dh_last)
    assert np.array_equal(dhs, dhs_before)   # overwrite_dhs=False leaves the input alone
    for a, b in zip(got, want):
        assert np.array_equal(a, b)
    # written over dhs: the same numbers
    for a, b in zip(hidden_backward(dhs, xs, hs, W_hx, W_hh, hidden, dh_last,
                                    overwrite_dhs=True), want):
        assert np.array_equal(a, b)


# ------------------------------------------------ float32: stays float32, close to float64
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu", "identity"])
def test_float32_stays_float32_and_matches_float64(hidden):
    rng = np.random.default_rng(5)
    T, B, D, H, K = 20, 6, 7, 16, 5
    rnn64 = VanillaRNN(D, H, K, hidden_activation=hidden, seed=2, spectral_radius=0.9)
    rnn32 = VanillaRNN(D, H, K, hidden_activation=hidden, seed=2, spectral_radius=0.9,
                       dtype=np.float32)
    xs, dys = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, K))
    h0, dh_last = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    ys64, hs64 = rnn64.forward(xs, h0)
    grads64 = rnn64.backward(xs, hs64, dys, dh_last)
    x32, d32 = xs.astype(np.float32), dys.astype(np.float32)
    ys32, hs32 = rnn32.forward(x32, h0.astype(np.float32))
    grads32 = rnn32.backward(x32, hs32, d32, dh_last.astype(np.float32))

    assert ys32.dtype == hs32.dtype == np.float32
    for name, g in grads32.items():
        assert g.dtype == np.float32, name
        # float32 keeps about 7 digits; over 20 steps and sums over 120 rows, 1e-4
        # of the gradient's scale is loose enough for rounding and tight enough for a bug
        scale = max(1.0, float(np.max(np.abs(grads64[name]))))
        assert np.max(np.abs(g - grads64[name])) <= 1e-4 * scale, name
    assert np.max(np.abs(hs32 - hs64)) <= 1e-5 * max(1.0, float(np.max(np.abs(hs64))))
