"""The LSTM: BPTT and the step's backward against central finite differences in float64, the
step against the sequence, the cell as a copying path, and clear errors for bad inputs.
"""
import re

import numpy as np
import pytest

from lamassu_course import LSTM, check_gradients, lstm_step_backward, lstm_step_forward
from lamassu_course.lstm import LSTM_PARAM_NAMES

TOLERANCE = 1e-7
GATE_NAMES = LSTM_PARAM_NAMES[:12]


def _random_problem(seed, output_activation="identity"):
    """An LSTM of random sizes (each 1 to 7) with non-zero biases, inputs, h0, c0, and a random
    linear loss L = sum(R * ys) + sum(Q * h_T) + sum(P * c_T)."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(1, 8, size=5)
    lstm = LSTM(D, H, K, output_activation=output_activation, seed=seed)
    for name in LSTM_PARAM_NAMES:
        lstm.params[name] *= 1.5                     # gates away from 1/2, tanh off its linear part
        if name.startswith("b"):
            lstm.params[name][:] = rng.standard_normal(lstm.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    h0, c0 = 0.5 * rng.standard_normal((2, B, H))
    R = rng.standard_normal((T, B, K))
    Q, P = rng.standard_normal((2, B, H))
    return lstm, xs, h0, c0, R, Q, P


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("output_activation", ["identity", "softmax"])
def test_bptt_matches_finite_differences(seed, output_activation):
    lstm, xs, h0, c0, R, Q, P = _random_problem(seed, output_activation)

    def loss():
        ys, cache = lstm.forward(xs, h0, c0)
        return np.sum(R * ys) + np.sum(Q * cache["hs"][-1]) + np.sum(P * cache["cs"][-1])

    _, cache = lstm.forward(xs, h0, c0)
    grads = lstm.backward(xs, cache, R, dh_last=Q, dc_last=P)
    assert set(grads) == set(LSTM_PARAM_NAMES) | {"xs", "h0", "c0"}
    arrays = dict(lstm.params, xs=xs, h0=h0, c0=c0)
    for name, error in check_gradients(loss, arrays, grads).items():
        assert error < TOLERANCE, (f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e} "
                                   f"(seed {seed}, {output_activation}, T,B={xs.shape[:2]}, "
                                   f"D,H,K={lstm.sizes})")


def test_bptt_without_last_gradients_matches_finite_differences():
    lstm, xs, h0, c0, R, _, _ = _random_problem(11)

    def loss():
        return np.sum(R * lstm.forward(xs, h0, c0)[0])

    grads = lstm.backward(xs, lstm.forward(xs, h0, c0)[1], R)
    for name, error in check_gradients(loss, dict(lstm.params, xs=xs, h0=h0, c0=c0),
                                       grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e}"


@pytest.mark.parametrize("seed", range(4))
def test_step_backward_matches_finite_differences(seed):
    lstm, xs, h0, c0, _, Q, P = _random_problem(seed)
    params = {name: lstm.params[name] for name in GATE_NAMES}
    x_t = xs[0]

    def loss():
        h_t, c_t, _ = lstm_step_forward(x_t, h0, c0, params)
        return np.sum(Q * h_t) + np.sum(P * c_t)

    grads = lstm_step_backward(Q, P, lstm_step_forward(x_t, h0, c0, params)[2])
    assert set(grads) == set(GATE_NAMES) | {"x_t", "h_prev", "c_prev"}
    arrays = dict(params, x_t=x_t, h_prev=h0, c_prev=c0)
    for name, error in check_gradients(loss, arrays, grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} (seed {seed})"


@pytest.mark.parametrize("seed", range(4))
def test_forward_equals_a_loop_of_steps(seed):
    lstm, xs, h0, c0, _, _, _ = _random_problem(seed)
    _, cache = lstm.forward(xs, h0, c0)
    h, c = h0, c0
    for t in range(len(xs)):
        h, c, _ = lstm_step_forward(xs[t], h, c, lstm.params)
        np.testing.assert_allclose(h, cache["hs"][t + 1], rtol=0, atol=1e-12, err_msg=f"hs[{t + 1}]")
        np.testing.assert_allclose(c, cache["cs"][t + 1], rtol=0, atol=1e-12, err_msg=f"cs[{t + 1}]")


@pytest.mark.parametrize("seed", range(3))
def test_backward_equals_a_loop_of_step_backwards(seed):
    """BPTT is lstm_step_backward T times, the output's gradient added to dh at each step."""
    lstm, xs, h0, c0, R, Q, P = _random_problem(seed)
    _, cache = lstm.forward(xs, h0, c0)
    grads = lstm.backward(xs, cache, R, dh_last=Q, dc_last=P)
    caches, h, c = [], h0, c0
    for t in range(len(xs)):
        h, c, step_cache = lstm_step_forward(xs[t], h, c, lstm.params)
        caches.append(step_cache)
    dh, dc = Q, P
    total = {name: 0.0 for name in GATE_NAMES}
    for t in reversed(range(len(xs))):
        step = lstm_step_backward(dh + R[t] @ lstm.params["W_yh"], dc, caches[t])
        dh, dc = step["h_prev"], step["c_prev"]
        np.testing.assert_allclose(step["x_t"], grads["xs"][t], rtol=0, atol=1e-12)
        total = {name: total[name] + step[name] for name in GATE_NAMES}
    np.testing.assert_allclose(dh, grads["h0"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(dc, grads["c0"], rtol=0, atol=1e-12)
    for name in GATE_NAMES:
        np.testing.assert_allclose(total[name], grads[name], rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("seed", range(3))
def test_state_gradients_equal_restarted_models(seed):
    """grads["hs"][t], grads["cs"][t] are the whole dL/dh_t, dL/dc_t. The LSTM restarted at
    (h_t, c_t) on xs[t:] gives the parts through step t+1 as its "h0", "c0" gradients; the
    output y_t adds W_yh^T dy_t to dL/dh_t, and h_t = o_t tanh(c_t) passes dL/dh_t on to c_t."""
    lstm, xs, h0, c0, R, Q, P = _random_problem(seed)
    _, cache = lstm.forward(xs, h0, c0)
    grads = lstm.backward(xs, cache, R, dh_last=Q, dc_last=P, state_grads=True)
    T, B, _ = xs.shape
    H = lstm.sizes[1]
    assert grads["hs"].shape == grads["cs"].shape == (T + 1, B, H)
    np.testing.assert_array_equal(grads["hs"][0], grads["h0"])
    np.testing.assert_array_equal(grads["cs"][0], grads["c0"])
    np.testing.assert_allclose(grads["hs"][T], Q + R[-1] @ lstm.params["W_yh"], atol=1e-12)
    for t in range(1, T):
        _, rest = lstm.forward(xs[t:], cache["hs"][t], cache["cs"][t])
        again = lstm.backward(xs[t:], rest, R[t:], dh_last=Q, dc_last=P)
        dh_t = again["h0"] + R[t - 1] @ lstm.params["W_yh"]
        dc_t = again["c0"] + dh_t * cache["o"][t - 1] * (1 - np.tanh(cache["cs"][t]) ** 2)
        np.testing.assert_allclose(grads["hs"][t], dh_t, rtol=0, atol=1e-12, err_msg=f"t={t}")
        np.testing.assert_allclose(grads["cs"][t], dc_t, rtol=0, atol=1e-12, err_msg=f"t={t}")


def test_step_by_hand():
    """One unit, one input: every gate computed on paper."""
    p = {name: np.zeros((1, 1)) if name.startswith("W") else np.zeros(1) for name in GATE_NAMES}
    p["W_ix"][:], p["b_f"][:], p["W_cx"][:], p["W_oh"][:] = 1.0, np.log(3.0), 2.0, 1.0
    x, h_prev, c_prev = np.array([[0.5]]), np.array([[0.4]]), np.array([[-0.2]])
    i = 1 / (1 + np.exp(-0.5))                       # sigma(W_ix x)
    f = 0.75                                         # sigma(log 3) = 3 / 4
    o = 1 / (1 + np.exp(-0.4))                       # sigma(W_oh h_prev)
    c_tilde = np.tanh(1.0)                           # tanh(W_cx x)
    c = f * -0.2 + i * c_tilde
    h_t, c_t, _ = lstm_step_forward(x, h_prev, c_prev, p)
    assert c_t[0, 0] == pytest.approx(c, abs=1e-15)
    assert h_t[0, 0] == pytest.approx(o * np.tanh(c), abs=1e-15)


def test_open_forget_gate_and_closed_input_gate_copy_the_cell_and_its_gradient():
    """With f = 1 and i = 0 the cell copies c_0 for ever, and dL/dc_0 = dL/dc_T exactly:
    the highway with nothing subtracted, however long the sequence."""
    lstm, xs, h0, c0, _, _, P = _random_problem(3)
    lstm.params["b_f"][:], lstm.params["b_i"][:] = 800.0, -800.0   # sigma(+-800) = 1, 0
    xs = np.concatenate([xs] * 10)                                 # 10 times longer
    _, cache = lstm.forward(xs, h0, c0)
    np.testing.assert_array_equal(cache["cs"][-1], c0)
    np.testing.assert_allclose(cache["hs"][1:], cache["o"] * np.tanh(c0), rtol=0, atol=1e-15)
    dys = np.zeros(xs.shape[:2] + (lstm.sizes[2],))
    grads = lstm.backward(xs, cache, dys, dc_last=P)
    np.testing.assert_array_equal(grads["c0"], P)
    np.testing.assert_array_equal(grads["xs"], 0.0)


def test_closed_forget_gate_forgets():
    """With f = 0 the cell restarts every step: c_0 changes nothing after the first step."""
    lstm, xs, h0, c0, R, _, _ = _random_problem(4)
    lstm.params["b_f"][:] = -800.0
    _, cache = lstm.forward(xs, h0, c0)
    _, other = lstm.forward(xs, h0, c0 + 1.0)
    np.testing.assert_array_equal(cache["cs"][1:], other["cs"][1:])
    np.testing.assert_array_equal(lstm.backward(xs, cache, R)["c0"], 0.0)


def test_sizes_parameters_and_init():
    lstm = LSTM(3, 5, 2, seed=0, recurrent_init="orthogonal")
    assert lstm.sizes == (3, 5, 2)
    assert lstm.num_parameters() == 4 * (5 * 3 + 5 * 5 + 5) + 2 * 5 + 2
    assert tuple(lstm.params) == LSTM_PARAM_NAMES
    np.testing.assert_array_equal(lstm.params["b_f"], np.ones(5))
    for name in ("b_i", "b_c", "b_o", "b_y"):
        np.testing.assert_array_equal(lstm.params[name], 0.0, err_msg=name)
    np.testing.assert_allclose(lstm.params["W_ch"] @ lstm.params["W_ch"].T, np.eye(5), atol=1e-12)
    np.testing.assert_array_equal(LSTM(3, 5, 2, seed=0, forget_bias=-2).params["b_f"], -2.0)
    again = LSTM(3, 5, 2, seed=0, recurrent_init="orthogonal")
    for name in LSTM_PARAM_NAMES:
        np.testing.assert_array_equal(lstm.params[name], again.params[name], err_msg=name)
    assert repr(lstm) == "LSTM(input_size=3, hidden_size=5, output_size=2, output_activation='identity')"


def test_final_state_continues_the_stream():
    lstm, xs, h0, c0, _, _, _ = _random_problem(5)
    ys, cache = lstm.forward(xs, h0, c0)
    cut = len(xs) // 2
    first, first_cache = lstm.forward(xs[:cut], h0, c0)
    second, _ = lstm.forward(xs[cut:], **lstm.final_state(first_cache))
    np.testing.assert_allclose(np.concatenate([first, second]), ys, rtol=0, atol=1e-12)


def test_float32_is_kept():
    lstm = LSTM(2, 3, 2, seed=0, dtype=np.float32)
    ys, cache = lstm.forward(np.ones((4, 1, 2)))
    assert ys.dtype == cache["hs"].dtype == cache["cs"].dtype == np.float32
    grads = lstm.backward(np.ones((4, 1, 2)), cache, np.ones_like(ys), state_grads=True)
    assert all(g.dtype == np.float32 for g in grads.values())


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


def test_bad_inputs_are_named():
    lstm = LSTM(4, 5, 2, seed=0)
    xs, dys = np.zeros((6, 3, 4)), np.zeros((6, 3, 2))
    _, cache = lstm.forward(xs)
    _raises(ValueError, "xs has shape (6, 3, 5); expected (T, B, D) with D=4",
            lambda: lstm.forward(np.zeros((6, 3, 5))))
    _raises(ValueError, "h0 has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: lstm.forward(xs, np.zeros((3, 4))))
    _raises(ValueError, "c0 has shape (2, 5); expected (B, H) with B=3, H=5",
            lambda: lstm.forward(xs, c0=np.zeros((2, 5))))
    _raises(ValueError, "c0 contains 1 NaN or infinite value(s)",
            lambda: lstm.forward(xs, c0=np.where(np.eye(3, 5) * np.eye(3, 5)[0], np.nan, 0.0)))
    _raises(ValueError, "dys has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
            lambda: lstm.backward(xs, cache, np.zeros((6, 3, 3))))
    _raises(ValueError, "dc_last has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: lstm.backward(xs, cache, dys, dc_last=np.zeros((3, 4))))
    _raises(ValueError, "dh_last has shape (5,); expected (B, H) with B=3, H=5",
            lambda: lstm.backward(xs, cache, dys, dh_last=np.zeros(5)))
    _raises(ValueError, "cache has no ['cs']; expected the dict returned by LSTM.forward",
            lambda: lstm.backward(xs, {k: v for k, v in cache.items() if k != "cs"}, dys))
    _raises(ValueError, "cache is a ndarray; expected the dict returned by LSTM.forward",
            lambda: lstm.backward(xs, cache["hs"], dys))
    _raises(ValueError, 'cache["hs"] has shape (6, 3, 5); expected (T+1, B, H) with T+1=7',
            lambda: lstm.backward(xs, cache | {"hs": cache["hs"][1:]}, dys))
    _raises(ValueError, 'cache["f"] has shape (5, 3, 5); expected (T, B, H) with T=6',
            lambda: lstm.backward(xs, cache | {"f": cache["f"][1:]}, dys))
    _raises(ValueError, "cache has no ['hs', 'cs', 'i', 'f', 'o', 'c_tilde']",
            lambda: lstm.final_state({}))
    _raises(TypeError, "xs has dtype <U1; expected a real numeric array",
            lambda: lstm.forward(np.full((6, 3, 4), "a")))
    _raises(ValueError, "hidden_size is 0; expected a positive integer", lambda: LSTM(4, 0, 2))
    _raises(ValueError, "forget_bias is nan; expected a finite number",
            lambda: LSTM(4, 5, 2, forget_bias=float("nan")))
    _raises(ValueError, "forget_bias is '1'; expected a finite number",
            lambda: LSTM(4, 5, 2, forget_bias="1"))
    _raises(TypeError, "dtype is int64; expected a float dtype", lambda: LSTM(4, 5, 2, dtype=int))
    _raises(ValueError, "unknown output_activation 'relu6'",
            lambda: LSTM(4, 5, 2, output_activation="relu6"))
    _raises(ValueError, "unknown recurrent_init 'xavier'",
            lambda: LSTM(4, 5, 2, recurrent_init="xavier"))


def test_step_functions_check_their_arguments():
    p = dict(LSTM(4, 5, 2, seed=0).params)
    x, h, c = np.zeros((3, 4)), np.zeros((3, 5)), np.zeros((3, 5))
    _raises(ValueError, "W_fh has shape (5, 4); expected (H, H) with H=5, H=5",
            lambda: lstm_step_forward(x, h, c, p | {"W_fh": np.zeros((5, 4))}))
    _raises(ValueError, "b_o has shape (4,); expected (H,) with H=5",
            lambda: lstm_step_forward(x, h, c, p | {"b_o": np.zeros(4)}))
    _raises(ValueError, "params has no ['b_f']", lambda: lstm_step_forward(
        x, h, c, {k: v for k, v in p.items() if k != "b_f"}))
    _raises(ValueError, "h_prev has shape (2, 5); expected (B, H) with B=3, H=5",
            lambda: lstm_step_forward(x, np.zeros((2, 5)), c, p))
    _raises(ValueError, "c_prev has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: lstm_step_forward(x, h, np.zeros((3, 4)), p))
    _raises(ValueError, "x_t has shape (3, 3); expected (B, D) with D=4",
            lambda: lstm_step_forward(np.zeros((3, 3)), h, c, p))
    cache = lstm_step_forward(x, h, c, p)[2]
    _raises(ValueError, "dh_t has shape (3, 4); expected (B, H)",
            lambda: lstm_step_backward(np.zeros((3, 4)), c, cache))
    _raises(ValueError, "dc_t has shape (2, 5); expected (B, H)",
            lambda: lstm_step_backward(h, np.zeros((2, 5)), cache))
