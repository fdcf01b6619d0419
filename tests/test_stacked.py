"""StackedRNN: BPTT against central finite differences in float64, one layer against
VanillaRNN, a stack against its layers run one by one, and clear errors for bad inputs.
"""
import re

import numpy as np
import pytest

from lamassu_course import StackedRNN, VanillaRNN, check_gradients
from lamassu_course.stacked import stacked_param_names

TOLERANCE = 1e-7


def _random_problem(seed, output_activation="identity", num_layers=None):
    """A StackedRNN of random sizes (each 1 to 6, 1 to 3 layers) with non-zero biases, inputs,
    h0 (L, B, H), and a random linear loss L = sum(R * ys) + sum(Q * every layer's h_T)."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(1, 7, size=5)
    L = int(rng.integers(1, 4)) if num_layers is None else num_layers
    stacked = StackedRNN(D, H, K, num_layers=L, output_activation=output_activation, seed=seed)
    for name in stacked.params:
        stacked.params[name] *= 1.5
        if name.startswith("b"):
            stacked.params[name][:] = rng.standard_normal(stacked.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((L, B, H))
    return stacked, xs, h0, rng.standard_normal((T, B, K)), rng.standard_normal((L, B, H))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("output_activation", ["identity", "softmax"])
def test_bptt_matches_finite_differences(seed, output_activation):
    stacked, xs, h0, R, Q = _random_problem(seed, output_activation, num_layers=1 + seed % 3)

    def loss():
        ys, cache = stacked.forward(xs, h0)
        return np.sum(R * ys) + np.sum(Q * cache["hs"][:, -1])

    _, cache = stacked.forward(xs, h0)
    grads = stacked.backward(xs, cache, R, dh_last=Q)
    assert set(grads) == set(stacked.params) | {"xs", "h0"}
    for name, error in check_gradients(loss, dict(stacked.params, xs=xs, h0=h0), grads).items():
        assert error < TOLERANCE, (f"d{name}: relative error {error:.2e} >= {TOLERANCE:.0e} "
                                   f"(seed {seed}, {output_activation}, T,B={xs.shape[:2]}, "
                                   f"D,H,K={stacked.sizes}, L={stacked.num_layers})")


def test_relu_stack_without_dh_last_matches_finite_differences():
    rng = np.random.default_rng(3)
    stacked = StackedRNN(3, 4, 2, num_layers=3, hidden_activation="relu", seed=3)
    for name in stacked.params:
        if name.startswith("b"):
            stacked.params[name][:] = rng.standard_normal(stacked.params[name].shape)
    xs, h0, R = rng.standard_normal((5, 2, 3)), rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 2))

    def loss():
        return np.sum(R * stacked.forward(xs, h0)[0])

    grads = stacked.backward(xs, stacked.forward(xs, h0)[1], R)
    for name, error in check_gradients(loss, dict(stacked.params, xs=xs, h0=h0), grads).items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e}"


@pytest.mark.parametrize("seed", range(4))
def test_one_layer_is_a_vanilla_rnn(seed):
    """num_layers=1 with the same seed: VanillaRNN's weights, outputs and gradients."""
    rng = np.random.default_rng(seed)
    stacked = StackedRNN(3, 5, 2, num_layers=1, seed=seed, output_activation="softmax")
    vanilla = VanillaRNN(3, 5, 2, seed=seed, output_activation="softmax")
    for name in ("W_hx", "W_hh", "b_h"):
        np.testing.assert_array_equal(stacked.params[f"{name}_1"], vanilla.params[name])
    for name in ("W_yh", "b_y"):
        np.testing.assert_array_equal(stacked.params[name], vanilla.params[name])
    xs, h0, R = rng.standard_normal((6, 4, 3)), rng.standard_normal((4, 5)), rng.standard_normal((6, 4, 2))
    ys, cache = stacked.forward(xs, h0[None])
    ys_v, hs_v = vanilla.forward(xs, h0)
    np.testing.assert_array_equal(ys, ys_v)
    np.testing.assert_array_equal(cache["hs"][0], hs_v)
    grads, grads_v = stacked.backward(xs, cache, R), vanilla.backward(xs, hs_v, R)
    for name in ("W_hx", "W_hh", "b_h"):
        np.testing.assert_allclose(grads[f"{name}_1"], grads_v[name], rtol=0, atol=1e-14)
    for name in ("W_yh", "b_y", "xs"):
        np.testing.assert_allclose(grads[name], grads_v[name], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads["h0"][0], grads_v["h0"], rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", range(3))
def test_a_stack_is_its_layers_one_after_another(seed):
    """Layer l is a VanillaRNN reading layer l-1's states; the top one holds W_yh."""
    stacked, xs, h0, _, _ = _random_problem(seed, num_layers=3)
    D, H, K = stacked.sizes
    ys, cache = stacked.forward(xs, h0)
    below = xs
    for layer in range(1, 4):
        rnn = VanillaRNN(D if layer == 1 else H, H, K)
        rnn.params.update(W_hx=stacked.params[f"W_hx_{layer}"], W_hh=stacked.params[f"W_hh_{layer}"],
                          b_h=stacked.params[f"b_h_{layer}"], W_yh=stacked.params["W_yh"],
                          b_y=stacked.params["b_y"])
        ys_layer, hs = rnn.forward(below, h0[layer - 1])
        np.testing.assert_allclose(cache["hs"][layer - 1], hs, rtol=0, atol=1e-14)
        below = hs[1:]
    np.testing.assert_allclose(ys, ys_layer, rtol=0, atol=1e-14)


def test_the_gradient_reaches_the_bottom_only_through_the_layers_above():
    """With W_hx_2 = 0 the top layer ignores the bottom one: no gradient reaches layer 1."""
    stacked, xs, h0, R, _ = _random_problem(2, num_layers=2)
    stacked.params["W_hx_2"][:] = 0.0
    grads = stacked.backward(xs, stacked.forward(xs, h0)[1], R)
    for name in ("W_hx_1", "W_hh_1", "b_h_1", "xs"):
        np.testing.assert_array_equal(grads[name], 0.0, err_msg=name)
    np.testing.assert_array_equal(grads["h0"][0], 0.0)


def test_final_state_continues_the_stream():
    stacked, xs, h0, _, _ = _random_problem(5, num_layers=2)
    ys, _ = stacked.forward(xs, h0)
    cut = len(xs) // 2
    first, first_cache = stacked.forward(xs[:cut], h0)
    state = stacked.final_state(first_cache)
    assert set(state) == {"h0"} and state["h0"].shape == h0.shape
    second, _ = stacked.forward(xs[cut:], **state)
    np.testing.assert_allclose(np.concatenate([first, second]), ys, rtol=0, atol=1e-13)


def test_sizes_parameters_and_init():
    stacked = StackedRNN(3, 5, 2, num_layers=3, seed=0, recurrent_init="orthogonal")
    assert stacked.sizes == (3, 5, 2) and stacked.num_layers == 3
    assert stacked.num_parameters() == (5 * 3 + 5 * 5 + 5) + 2 * (2 * 5 * 5 + 5) + 2 * 5 + 2
    assert tuple(stacked.params) == stacked_param_names(3) == (
        "W_hx_1", "W_hh_1", "b_h_1", "W_hx_2", "W_hh_2", "b_h_2",
        "W_hx_3", "W_hh_3", "b_h_3", "W_yh", "b_y")
    assert stacked.params["W_hx_1"].shape == (5, 3) and stacked.params["W_hx_2"].shape == (5, 5)
    again = StackedRNN(3, 5, 2, num_layers=3, seed=0, recurrent_init="orthogonal")
    for name in stacked.params:
        np.testing.assert_array_equal(stacked.params[name], again.params[name], err_msg=name)
    assert repr(stacked) == ("StackedRNN(input_size=3, hidden_size=5, output_size=2, "
                             "num_layers=3, hidden_activation='tanh', output_activation='identity')")


def test_float32_is_kept():
    stacked = StackedRNN(2, 3, 2, seed=0, dtype=np.float32)
    ys, cache = stacked.forward(np.ones((4, 1, 2)))
    assert ys.dtype == cache["hs"].dtype == np.float32
    grads = stacked.backward(np.ones((4, 1, 2)), cache, np.ones_like(ys))
    assert all(g.dtype == np.float32 for g in grads.values())


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


def test_bad_inputs_are_named():
    stacked = StackedRNN(4, 5, 2, num_layers=2, seed=0)
    xs, dys = np.zeros((6, 3, 4)), np.zeros((6, 3, 2))
    _, cache = stacked.forward(xs)
    _raises(ValueError, "xs has shape (6, 3, 5); expected (T, B, D) with D=4",
            lambda: stacked.forward(np.zeros((6, 3, 5))))
    _raises(ValueError, "h0 has shape (3, 5); expected (L, B, H) with L=2, B=3, H=5",
            lambda: stacked.forward(xs, np.zeros((3, 5))))
    _raises(ValueError, "h0 has shape (1, 3, 5); expected (L, B, H) with L=2, B=3, H=5",
            lambda: stacked.forward(xs, np.zeros((1, 3, 5))))
    _raises(ValueError, "dys has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
            lambda: stacked.backward(xs, cache, np.zeros((6, 3, 3))))
    _raises(ValueError, "dh_last has shape (3, 5); expected (L, B, H) with L=2, B=3, H=5",
            lambda: stacked.backward(xs, cache, dys, dh_last=np.zeros((3, 5))))
    _raises(ValueError, "cache has no ['hs']; expected the dict returned by StackedRNN.forward",
            lambda: stacked.backward(xs, {}, dys))
    _raises(ValueError, "cache is a ndarray; expected the dict returned by StackedRNN.forward",
            lambda: stacked.backward(xs, cache["hs"], dys))
    _raises(ValueError, 'cache["hs"] has shape (1, 7, 3, 5); expected (L, T+1, B, H) with L=2',
            lambda: stacked.backward(xs, {"hs": cache["hs"][:1]}, dys))
    _raises(ValueError, "h0 contains 1 NaN or infinite value(s)",
            lambda: stacked.forward(xs, np.where(np.arange(30).reshape(2, 3, 5) == 7, np.inf, 0.0)))
    _raises(ValueError, "num_layers is 0; expected a positive integer",
            lambda: StackedRNN(4, 5, 2, num_layers=0))
    _raises(ValueError, "num_layers is 2.0; expected a positive integer",
            lambda: StackedRNN(4, 5, 2, num_layers=2.0))
    _raises(TypeError, "dtype is int64; expected a float dtype",
            lambda: StackedRNN(4, 5, 2, dtype=int))
    _raises(ValueError, "unknown hidden_activation 'softmax'",
            lambda: StackedRNN(4, 5, 2, hidden_activation="softmax"))
    _raises(ValueError, "unknown recurrent_init 'xavier'",
            lambda: StackedRNN(4, 5, 2, recurrent_init="xavier"))
