"""BPTT against central finite differences in float64, for every parameter, xs and h0.

Seeded trials over random shapes (T, B, D, H, K each from 1 to 8) and every pair of
hidden and output activations; the worst relative error must stay below 1e-7.
"""
import itertools

import numpy as np
import pytest

from lamassu_course import (VanillaRNN, check_gradients, hidden_step, hidden_step_backward,
                            output_step, output_step_backward, softmax_cross_entropy)
from lamassu_course.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

TOLERANCE = 1e-7


def _random_problem(seed, hidden_activation, output_activation):
    """An RNN, inputs and a random linear loss L = sum(R * ys) + sum(Q * hs[T]).

    For relu the draw is repeated until no pre-activation lies within 1e-3 of the kink at 0,
    where a finite difference of step 1e-5 would straddle it.
    """
    for attempt in range(50):
        rng = np.random.default_rng([seed, attempt])
        T, B, D, H, K = rng.integers(1, 9, size=5)
        rnn = VanillaRNN(D, H, K, hidden_activation=hidden_activation,
                         output_activation=output_activation, seed=int(rng.integers(1 << 30)))
        for name in ("b_h", "b_y"):  # non-zero biases, so a missing bias gradient shows
            rnn.params[name][:] = rng.standard_normal(rnn.params[name].shape)
        xs = rng.standard_normal((T, B, D))
        h0 = rng.standard_normal((B, H)) * 0.5
        R = rng.standard_normal((T, B, K))
        Q = rng.standard_normal((B, H))
        if hidden_activation != "relu":
            break
        _, hs = rnn.forward(xs, h0)
        p = rnn.params
        pre = xs @ p["W_hx"].T + hs[:-1] @ p["W_hh"].T + p["b_h"]
        if np.min(np.abs(pre)) > 1e-3:
            break
    return rnn, xs, h0, R, Q


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("hidden_activation,output_activation",
                         list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS)))
def test_bptt_matches_finite_differences(seed, hidden_activation, output_activation):
    rnn, xs, h0, R, Q = _random_problem(seed, hidden_activation, output_activation)

    def loss():
        ys, hs = rnn.forward(xs, h0)
        return np.sum(R * ys) + np.sum(Q * hs[-1])

    ys, hs = rnn.forward(xs, h0)
    grads = rnn.backward(xs, hs, R, dh_last=Q)
    arrays = dict(rnn.params, xs=xs, h0=h0)
    errors = check_gradients(loss, arrays, grads)
    for name, error in errors.items():
        assert error < TOLERANCE, (
            f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e} "
            f"({hidden_activation}/{output_activation}, shapes T,B={xs.shape[:2]}, "
            f"D,H,K={rnn.sizes})")


@pytest.mark.parametrize("seed", range(3))
def test_bptt_with_cross_entropy_and_mask(seed):
    rng = np.random.default_rng(seed)
    T, B, V, H = 6, 3, 5, 7
    rnn = VanillaRNN(V, H, V, seed=seed)
    xs = rng.standard_normal((T, B, V))
    targets = rng.integers(0, V, size=(T, B))
    mask = rng.integers(0, 2, size=(T, B))

    def loss():
        return softmax_cross_entropy(rnn.forward(xs)[0], targets, mask)[0]

    ys, hs = rnn.forward(xs)
    grads = rnn.backward(xs, hs, softmax_cross_entropy(ys, targets, mask)[1])
    for name, error in check_gradients(loss, dict(rnn.params, xs=xs), grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e}"


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_hidden_step_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(7)
    B, D, H = 3, 4, 5
    arrays = {"x_t": rng.standard_normal((B, D)), "h_prev": rng.standard_normal((B, H)),
              "W_hx": rng.standard_normal((H, D)), "W_hh": rng.standard_normal((H, H)) * 0.5,
              "b_h": rng.standard_normal(H)}
    upstream = rng.standard_normal((B, H))

    def loss():
        return np.sum(upstream * hidden_step(**arrays, activation=activation)[0])

    _, cache = hidden_step(**arrays, activation=activation)
    names = ("x_t", "h_prev", "W_hx", "W_hh", "b_h")
    grads = dict(zip(names, hidden_step_backward(upstream, cache)))
    for name, error in check_gradients(loss, arrays, grads).items():
        assert error < TOLERANCE, f"d{name} ({activation}): relative error {error:.2e}"


@pytest.mark.parametrize("activation", OUTPUT_ACTIVATIONS)
def test_output_step_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(8)
    B, H, K = 3, 5, 4
    arrays = {"h_t": rng.standard_normal((B, H)), "W_yh": rng.standard_normal((K, H)),
              "b_y": rng.standard_normal(K)}
    upstream = rng.standard_normal((B, K))

    def loss():
        return np.sum(upstream * output_step(**arrays, activation=activation)[0])

    _, cache = output_step(**arrays, activation=activation)
    grads = dict(zip(("h_t", "W_yh", "b_y"), output_step_backward(upstream, cache)))
    for name, error in check_gradients(loss, arrays, grads).items():
        assert error < TOLERANCE, f"d{name} ({activation}): relative error {error:.2e}"


@pytest.mark.parametrize("seed", range(4))
def test_sequence_functions_equal_a_loop_of_step_functions(seed):
    """VanillaRNN's batched products give the same numbers as T calls of the step functions."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(1, 9, size=5)
    rnn = VanillaRNN(D, H, K, output_activation="softmax", seed=seed)
    p = rnn.params
    p["b_h"][:] = rng.standard_normal(H)
    xs, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    dys = rng.standard_normal((T, B, K))
    ys, hs = rnn.forward(xs, h0)
    grads = rnn.backward(xs, hs, dys)

    h, caches, loop = h0, [], {name: np.zeros_like(v) for name, v in p.items()}
    for t in range(T):
        h, hidden_cache = hidden_step(xs[t], h, p["W_hx"], p["W_hh"], p["b_h"])
        y, output_cache = output_step(h, p["W_yh"], p["b_y"], "softmax")
        np.testing.assert_allclose(y, ys[t], rtol=0, atol=1e-12, err_msg=f"ys[{t}]")
        caches.append((hidden_cache, output_cache))
    dh_next = np.zeros((B, H))
    dxs = np.zeros((T, B, D))
    for t in reversed(range(T)):
        hidden_cache, output_cache = caches[t]
        dh, dW_yh, db_y = output_step_backward(dys[t], output_cache)
        dxs[t], dh_next, dW_hx, dW_hh, db_h = hidden_step_backward(dh + dh_next, hidden_cache)
        for name, g in (("W_yh", dW_yh), ("b_y", db_y), ("W_hx", dW_hx),
                        ("W_hh", dW_hh), ("b_h", db_h)):
            loop[name] += g
    for name in p:
        np.testing.assert_allclose(grads[name], loop[name], rtol=1e-10, atol=1e-12,
                                   err_msg=f"d{name}: batched BPTT vs loop of step backwards")
    np.testing.assert_allclose(grads["xs"], dxs, rtol=1e-10, atol=1e-12, err_msg="dxs")
    np.testing.assert_allclose(grads["h0"], dh_next, rtol=1e-10, atol=1e-12, err_msg="dh0")
