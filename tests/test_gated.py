"""The GRU: BPTT against central finite differences in float64, the step against the sequence,
the copying behaviour that lets gradients through, and clear errors for bad inputs.
"""
import re

import numpy as np
import pytest

from lamassu_course import check_gradients
from lamassu_course.gated import GRU, GRU_PARAM_NAMES, gru_step
from lamassu_course.experiments.gradients import model_state_gradient_norms

TOLERANCE = 1e-7


def _random_problem(seed, output_activation):
    """A GRU of random sizes (each 1 to 7) with non-zero biases, inputs, h0, and a random linear
    loss L = sum(R * ys) + sum(Q * hs[T])."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(1, 8, size=5)
    gru = GRU(D, H, K, output_activation=output_activation, seed=seed)
    for name in GRU_PARAM_NAMES:
        gru.params[name] *= 1.5                      # gates away from 1/2, tanh off its linear part
        if name.startswith("b"):
            gru.params[name][:] = rng.standard_normal(gru.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    return gru, xs, h0, rng.standard_normal((T, B, K)), rng.standard_normal((B, H))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("output_activation", ["identity", "softmax"])
def test_bptt_matches_finite_differences(seed, output_activation):
    gru, xs, h0, R, Q = _random_problem(seed, output_activation)

    def loss():
        ys, hs = gru.forward(xs, h0)
        return np.sum(R * ys) + np.sum(Q * hs[-1])

    _, hs = gru.forward(xs, h0)
    grads = gru.backward(xs, hs, R, dh_last=Q)
    assert set(grads) == set(GRU_PARAM_NAMES) | {"xs", "h0"}
    for name, error in check_gradients(loss, dict(gru.params, xs=xs, h0=h0), grads).items():
        assert error < TOLERANCE, (f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e} "
                                   f"(seed {seed}, {output_activation}, T,B={xs.shape[:2]}, "
                                   f"D,H,K={gru.sizes})")


def test_bptt_without_dh_last_matches_finite_differences():
    gru, xs, h0, R, _ = _random_problem(11, "identity")

    def loss():
        return np.sum(R * gru.forward(xs, h0)[0])

    grads = gru.backward(xs, gru.forward(xs, h0)[1], R)
    for name, error in check_gradients(loss, dict(gru.params, xs=xs, h0=h0), grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e}"


@pytest.mark.parametrize("seed", range(4))
def test_forward_equals_a_loop_of_steps(seed):
    gru, xs, h0, _, _ = _random_problem(seed, "identity")
    _, hs = gru.forward(xs, h0)
    h = h0
    for t in range(len(xs)):
        h = gru_step(xs[t], h, gru.params)
        np.testing.assert_allclose(h, hs[t + 1], rtol=0, atol=1e-12, err_msg=f"hs[{t + 1}]")


def test_step_by_hand():
    """One unit, one input: every gate computed on paper."""
    p = {name: np.zeros((1, 1)) if name.startswith("W") else np.zeros(1)
         for name in GRU_PARAM_NAMES}
    p["W_ux"][:], p["W_hx"][:], p["W_hh"][:], p["b_r"][:] = 1.0, 2.0, 1.0, np.log(3.0)
    x, h_prev = np.array([[0.5]]), np.array([[0.4]])
    update = 1 / (1 + np.exp(-0.5))                  # sigma(W_ux x)
    reset = 0.75                                     # sigma(log 3) = 3 / 4
    candidate = np.tanh(2.0 * 0.5 + reset * 0.4)     # tanh(W_hx x + W_hh (reset h))
    expected = update * candidate + (1 - update) * 0.4
    assert gru_step(x, h_prev, p)[0, 0] == pytest.approx(expected, abs=1e-15)


def test_closed_update_gate_copies_the_state_and_the_gradient():
    """With Gamma_u = 0 the cell copies h_{t-1}: dh_t/dh_{t-1} = I, so nothing vanishes."""
    gru, xs, h0, _, Q = _random_problem(3, "identity")
    gru.params["b_u"][:] = -800.0                    # sigma(-800) = 0 in float64
    _, hs = gru.forward(xs, h0)
    np.testing.assert_array_equal(hs[-1], h0)
    grads = gru.backward(xs, hs, np.zeros((len(xs),) + (h0.shape[0], gru.sizes[2])), dh_last=Q)
    np.testing.assert_allclose(grads["h0"], Q, rtol=0, atol=1e-12)


def test_state_gradient_norms_read_the_h0_gradient():
    gru, xs, h0, R, _ = _random_problem(5, "identity")
    norms = model_state_gradient_norms(gru, xs, R)
    assert norms.shape == xs.shape[:2]
    full = gru.backward(xs, gru.forward(xs)[1], R)["h0"]
    np.testing.assert_allclose(norms[0], np.linalg.norm(full, axis=1), rtol=1e-12)


def test_sizes_parameters_and_init():
    gru = GRU(3, 5, 2, seed=0, update_bias=-2.0, recurrent_init="orthogonal")
    assert gru.sizes == (3, 5, 2)
    assert gru.num_parameters() == 3 * (5 * 3 + 5 * 5 + 5) + 2 * 5 + 2
    assert tuple(gru.params) == GRU_PARAM_NAMES
    np.testing.assert_array_equal(gru.params["b_u"], np.full(5, -2.0))
    np.testing.assert_allclose(gru.params["W_hh"] @ gru.params["W_hh"].T, np.eye(5), atol=1e-12)
    again = GRU(3, 5, 2, seed=0, update_bias=-2.0, recurrent_init="orthogonal")
    for name in GRU_PARAM_NAMES:
        np.testing.assert_array_equal(gru.params[name], again.params[name], err_msg=name)
    assert repr(gru) == "GRU(input_size=3, hidden_size=5, output_size=2, output_activation='identity')"


def test_float32_is_kept():
    gru = GRU(2, 3, 2, seed=0, dtype=np.float32)
    ys, hs = gru.forward(np.ones((4, 1, 2)))
    assert ys.dtype == hs.dtype == np.float32
    grads = gru.backward(np.ones((4, 1, 2)), hs, np.ones_like(ys))
    assert all(g.dtype == np.float32 for g in grads.values())


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


def test_bad_inputs_are_named():
    gru = GRU(4, 5, 2, seed=0)
    xs = np.zeros((6, 3, 4))
    _, hs = gru.forward(xs)
    _raises(ValueError, "xs has shape (6, 3, 5); expected (T, B, D) with D=4",
            lambda: gru.forward(np.zeros((6, 3, 5))))
    _raises(ValueError, "h0 has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: gru.forward(xs, np.zeros((3, 4))))
    _raises(ValueError, "hs has shape (6, 3, 5); expected (T+1, B, H) with T+1=7, B=3, H=5",
            lambda: gru.backward(xs, hs[1:], np.zeros((6, 3, 2))))
    _raises(ValueError, "dys has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
            lambda: gru.backward(xs, hs, np.zeros((6, 3, 3))))
    _raises(ValueError, "dh_last has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: gru.backward(xs, hs, np.zeros((6, 3, 2)), dh_last=np.zeros((3, 4))))
    _raises(TypeError, "xs has dtype <U1; expected a real numeric array",
            lambda: gru.forward(np.full((6, 3, 4), "a")))
    _raises(ValueError, "hidden_size is 0; expected a positive integer", lambda: GRU(4, 0, 2))
    _raises(ValueError, "update_bias is nan; expected a finite number",
            lambda: GRU(4, 5, 2, update_bias=float("nan")))
    _raises(TypeError, "dtype is int64; expected a float dtype", lambda: GRU(4, 5, 2, dtype=int))
    _raises(ValueError, "unknown output_activation 'relu6'",
            lambda: GRU(4, 5, 2, output_activation="relu6"))


def test_gru_step_checks_its_parameters():
    p = dict(GRU(4, 5, 2, seed=0).params)
    x, h = np.zeros((3, 4)), np.zeros((3, 5))
    _raises(ValueError, "W_rh has shape (5, 4); expected (H, H) with H=5, H=5",
            lambda: gru_step(x, h, p | {"W_rh": np.zeros((5, 4))}))
    _raises(ValueError, "b_h has shape (4,); expected (H,) with H=5",
            lambda: gru_step(x, h, p | {"b_h": np.zeros(4)}))
    _raises(ValueError, "params has no ['b_r']", lambda: gru_step(
        x, h, {k: v for k, v in p.items() if k != "b_r"}))
    _raises(ValueError, "h_prev has shape (2, 5); expected (B, H) with B=3, H=5",
            lambda: gru_step(x, np.zeros((2, 5)), p))
    _raises(ValueError, "x_t has shape (3, 3); expected (B, D) with D=4",
            lambda: gru_step(np.zeros((3, 3)), h, p))
