"""BidirectionalRNN: BPTT against central finite differences in float64, each half against a
VanillaRNN (the backward half on the time-reversed input), what each output can see, and
clear errors for bad inputs.
"""
import re

import numpy as np
import pytest

from lamassu_course import BidirectionalRNN, VanillaRNN, check_gradients
from lamassu_course.bidirectional import BIDIRECTIONAL_PARAM_NAMES

TOLERANCE = 1e-7


def _random_problem(seed, output_activation="identity", hidden_activation="tanh"):
    """A BidirectionalRNN of random sizes (each 1 to 7) with non-zero biases, inputs, initial
    states, and a random linear loss L = sum(R * ys) + sum(Q * h^f_T) + sum(P * h^b_1)."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(1, 8, size=5)
    bi = BidirectionalRNN(D, H, K, hidden_activation=hidden_activation,
                          output_activation=output_activation, seed=seed)
    for name in BIDIRECTIONAL_PARAM_NAMES:
        bi.params[name] *= 1.5
        if name.startswith("b"):
            bi.params[name][:] = rng.standard_normal(bi.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    h0_f, h0_b = 0.5 * rng.standard_normal((2, B, H))
    R = rng.standard_normal((T, B, K))
    Q, P = rng.standard_normal((2, B, H))
    return bi, xs, h0_f, h0_b, R, Q, P


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("output_activation", ["identity", "softmax"])
def test_bptt_matches_finite_differences(seed, output_activation):
    bi, xs, h0_f, h0_b, R, Q, P = _random_problem(seed, output_activation)

    def loss():
        ys, cache = bi.forward(xs, h0_f, h0_b)
        return np.sum(R * ys) + np.sum(Q * cache["hs_f"][-1]) + np.sum(P * cache["hs_b"][0])

    _, cache = bi.forward(xs, h0_f, h0_b)
    grads = bi.backward(xs, cache, R, dh_last_f=Q, dh_last_b=P)
    assert set(grads) == set(BIDIRECTIONAL_PARAM_NAMES) | {"xs", "h0_f", "h0_b"}
    arrays = dict(bi.params, xs=xs, h0_f=h0_f, h0_b=h0_b)
    for name, error in check_gradients(loss, arrays, grads).items():
        assert error < TOLERANCE, (f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e} "
                                   f"(seed {seed}, {output_activation}, T,B={xs.shape[:2]}, "
                                   f"D,H,K={bi.sizes})")


@pytest.mark.parametrize("hidden_activation", ["relu", "sigmoid", "identity"])
def test_other_hidden_activations_match_finite_differences(hidden_activation):
    bi, xs, h0_f, h0_b, R, _, _ = _random_problem(7, hidden_activation=hidden_activation)

    def loss():
        return np.sum(R * bi.forward(xs, h0_f, h0_b)[0])

    grads = bi.backward(xs, bi.forward(xs, h0_f, h0_b)[1], R)
    for name, error in check_gradients(loss, dict(bi.params, xs=xs, h0_f=h0_f, h0_b=h0_b),
                                       grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} ({hidden_activation})"


def _halves(bi):
    """Two VanillaRNNs holding the forward and the backward direction's weights, each with
    the matching half of W_yh as its own output weights (and b_y only on the forward one)."""
    D, H, K = bi.sizes
    p = bi.params
    halves = []
    for half, W_yh, b_y in (("f", p["W_yh"][:, :H], p["b_y"]), ("b", p["W_yh"][:, H:], 0 * p["b_y"])):
        rnn = VanillaRNN(D, H, K, hidden_activation=bi.hidden_activation)
        rnn.params.update(W_hx=p[f"W_hx_{half}"].copy(), W_hh=p[f"W_hh_{half}"].copy(),
                          b_h=p[f"b_h_{half}"].copy(), W_yh=W_yh.copy(), b_y=b_y.copy())
        halves.append(rnn)
    return halves


@pytest.mark.parametrize("seed", range(4))
def test_each_half_is_a_vanilla_rnn(seed):
    """The forward half is a VanillaRNN on xs; the backward half a VanillaRNN on xs[::-1],
    its states reversed in time; with identity output, ys is the sum of their outputs."""
    bi, xs, h0_f, h0_b, R, Q, P = _random_problem(seed)
    forward_rnn, backward_rnn = _halves(bi)
    ys, cache = bi.forward(xs, h0_f, h0_b)
    ys_f, hs_f = forward_rnn.forward(xs, h0_f)
    ys_r, hs_r = backward_rnn.forward(xs[::-1], h0_b)
    np.testing.assert_allclose(cache["hs_f"], hs_f, rtol=0, atol=1e-14)
    np.testing.assert_allclose(cache["hs_b"], hs_r[::-1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(ys, ys_f + ys_r[::-1], rtol=0, atol=1e-13)
    # and the gradients: each half's, the xs gradients summed
    grads = bi.backward(xs, cache, R, dh_last_f=Q, dh_last_b=P)
    g_f = forward_rnn.backward(xs, hs_f, R, dh_last=Q)
    g_r = backward_rnn.backward(xs[::-1], hs_r, R[::-1], dh_last=P)
    for name in ("W_hx", "W_hh", "b_h"):
        np.testing.assert_allclose(grads[f"{name}_f"], g_f[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(grads[f"{name}_b"], g_r[name], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["W_yh"], np.hstack([g_f["W_yh"], g_r["W_yh"]]), atol=1e-12)
    np.testing.assert_allclose(grads["xs"], g_f["xs"] + g_r["xs"][::-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["h0_f"], g_f["h0"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["h0_b"], g_r["h0"], rtol=0, atol=1e-12)


def test_each_output_reads_the_whole_sequence():
    """Changing x_t changes y_s for every s (the past through h^f, the future through h^b);
    with the backward half's output weights zero, only y_s for s >= t change."""
    bi = BidirectionalRNN(3, 4, 2, seed=0)
    xs = np.random.default_rng(0).standard_normal((6, 1, 3))
    ys, _ = bi.forward(xs)
    changed = xs.copy()
    changed[3] += 1.0
    moved = np.abs(bi.forward(changed)[0] - ys).max(axis=(1, 2))
    assert np.all(moved > 1e-6), moved
    bi.params["W_yh"][:, 4:] = 0.0
    ys, _ = bi.forward(xs)
    moved = np.abs(bi.forward(changed)[0] - ys).max(axis=(1, 2))
    assert np.all(moved[:3] == 0.0) and np.all(moved[3:] > 1e-6), moved


def test_final_state_carries_the_forward_half_only():
    bi, xs, h0_f, _, _, _, _ = _random_problem(5)
    _, cache = bi.forward(xs, h0_f)
    state = bi.final_state(cache)
    assert set(state) == {"h0_f"}
    np.testing.assert_array_equal(state["h0_f"], cache["hs_f"][-1])


def test_sizes_parameters_and_init():
    bi = BidirectionalRNN(3, 5, 2, seed=0, recurrent_init="orthogonal")
    assert bi.sizes == (3, 5, 2)
    assert bi.num_parameters() == 2 * (5 * 3 + 5 * 5 + 5) + 2 * 10 + 2
    assert tuple(bi.params) == BIDIRECTIONAL_PARAM_NAMES
    assert bi.params["W_yh"].shape == (2, 10)
    vanilla = VanillaRNN(3, 5, 2, seed=0, recurrent_init="orthogonal")
    for name in ("W_hx", "W_hh", "b_h"):          # the forward half is drawn as VanillaRNN draws
        np.testing.assert_array_equal(bi.params[f"{name}_f"], vanilla.params[name], err_msg=name)
    again = BidirectionalRNN(3, 5, 2, seed=0, recurrent_init="orthogonal")
    for name in BIDIRECTIONAL_PARAM_NAMES:
        np.testing.assert_array_equal(bi.params[name], again.params[name], err_msg=name)
    assert repr(bi) == ("BidirectionalRNN(input_size=3, hidden_size=5, output_size=2, "
                        "hidden_activation='tanh', output_activation='identity')")


def test_float32_is_kept():
    bi = BidirectionalRNN(2, 3, 2, seed=0, dtype=np.float32)
    ys, cache = bi.forward(np.ones((4, 1, 2)))
    assert ys.dtype == cache["hs_f"].dtype == cache["hs_b"].dtype == np.float32
    grads = bi.backward(np.ones((4, 1, 2)), cache, np.ones_like(ys))
    assert all(g.dtype == np.float32 for g in grads.values())


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


def test_bad_inputs_are_named():
    bi = BidirectionalRNN(4, 5, 2, seed=0)
    xs, dys = np.zeros((6, 3, 4)), np.zeros((6, 3, 2))
    _, cache = bi.forward(xs)
    _raises(ValueError, "xs has shape (6, 3, 5); expected (T, B, D) with D=4",
            lambda: bi.forward(np.zeros((6, 3, 5))))
    _raises(ValueError, "h0_f has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: bi.forward(xs, np.zeros((3, 4))))
    _raises(ValueError, "h0_b has shape (2, 5); expected (B, H) with B=3, H=5",
            lambda: bi.forward(xs, h0_b=np.zeros((2, 5))))
    _raises(ValueError, "dys has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
            lambda: bi.backward(xs, cache, np.zeros((6, 3, 3))))
    _raises(ValueError, "dh_last_b has shape (3, 4); expected (B, H) with B=3, H=5",
            lambda: bi.backward(xs, cache, dys, dh_last_b=np.zeros((3, 4))))
    _raises(ValueError, "cache has no ['hs_b']; expected the dict returned by BidirectionalRNN.forward",
            lambda: bi.backward(xs, {"hs_f": cache["hs_f"]}, dys))
    _raises(ValueError, "cache is a ndarray; expected the dict returned by BidirectionalRNN.forward",
            lambda: bi.backward(xs, cache["hs_f"], dys))
    _raises(ValueError, 'cache["hs_b"] has shape (6, 3, 5); expected (T+1, B, H) with T+1=7',
            lambda: bi.backward(xs, cache | {"hs_b": cache["hs_b"][1:]}, dys))
    _raises(ValueError, "xs contains 1 NaN or infinite value(s)",
            lambda: bi.forward(np.where(np.arange(72).reshape(6, 3, 4) == 5, np.nan, 0.0)))
    _raises(TypeError, "h0_b has dtype <U1; expected a real numeric array",
            lambda: bi.forward(xs, h0_b=np.full((3, 5), "a")))
    _raises(ValueError, "output_size is 0; expected a positive integer",
            lambda: BidirectionalRNN(4, 5, 0))
    _raises(TypeError, "dtype is int64; expected a float dtype",
            lambda: BidirectionalRNN(4, 5, 2, dtype=int))
    _raises(ValueError, "unknown hidden_activation 'softmax'",
            lambda: BidirectionalRNN(4, 5, 2, hidden_activation="softmax"))
    _raises(ValueError, "unknown output_activation 'relu6'",
            lambda: BidirectionalRNN(4, 5, 2, output_activation="relu6"))
