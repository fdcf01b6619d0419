"""The VanillaRNN contract: constructor, parameters, forward, backward and initialisers.

Seeded trials compare against an independent reference written in the book's column-vector
form (one sequence at a time, h = g1(W_hh h + W_hx x + b_h)), and tiny fixtures check
numbers worked out by hand. Gradients against finite differences live in test_gradients.py.
"""
import math

import numpy as np
import pytest

from lamassu_course import PARAM_NAMES, VanillaRNN, orthogonal, scaled_normal, spectral_radius
from lamassu_course import with_spectral_radius
from lamassu_course.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

SEEDS = range(5)


# --- an independent reference ------------------------------------------------------------

def _ref_softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


REFERENCE_G = {
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.where(a > 0, a, 0.0),
    "identity": lambda a: a,
    "softmax": _ref_softmax,
}


def _reference_forward(params, xs, h0, hidden_activation, output_activation):
    """The book's equations, one sequence and one step at a time, weights as (out, in)."""
    g1, g2 = REFERENCE_G[hidden_activation], REFERENCE_G[output_activation]
    T, B, _ = xs.shape
    H, K = params["W_hh"].shape[0], params["W_yh"].shape[0]
    hs, ys = np.zeros((T + 1, B, H)), np.zeros((T, B, K))
    for b in range(B):
        h = h0[b]
        hs[0, b] = h
        for t in range(T):
            h = g1(params["W_hh"] @ h + params["W_hx"] @ xs[t, b] + params["b_h"])
            hs[t + 1, b] = h
            ys[t, b] = g2(params["W_yh"] @ h + params["b_y"])
    return ys, hs


def _random_setup(seed, hidden_activation="tanh", output_activation="identity"):
    rng = np.random.default_rng(seed)
    T, B, D, H, K = (int(n) for n in rng.integers(1, 7, size=5))
    rnn = VanillaRNN(D, H, K, hidden_activation=hidden_activation,
                     output_activation=output_activation, seed=seed)
    rnn.params["b_h"][:] = rng.standard_normal(H)  # non-zero biases, so a dropped bias shows
    rnn.params["b_y"][:] = rng.standard_normal(K)
    xs = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    return rnn, xs, h0


# --- constructor and parameters ----------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_params_have_exactly_the_five_keys_with_their_shapes(seed):
    rng = np.random.default_rng(seed)
    D, H, K = (int(n) for n in rng.integers(1, 10, size=3))
    rnn = VanillaRNN(D, H, K, seed=seed)
    expected = {"W_hx": (H, D), "W_hh": (H, H), "W_yh": (K, H), "b_h": (H,), "b_y": (K,)}
    assert set(rnn.params) == set(expected), (
        f"params keys: got {sorted(rnn.params)}, expected {sorted(expected)}")
    assert tuple(PARAM_NAMES) == ("W_hx", "W_hh", "W_yh", "b_h", "b_y")
    for name, shape in expected.items():
        assert rnn.params[name].shape == shape, (
            f"params[{name!r}].shape: got {rnn.params[name].shape}, expected {shape} "
            f"(D={D}, H={H}, K={K})")
        assert rnn.params[name].dtype == np.float64, (
            f"params[{name!r}].dtype: got {rnn.params[name].dtype}, expected float64")
    assert rnn.sizes == (D, H, K), f"sizes: got {rnn.sizes}, expected {(D, H, K)}"


def test_biases_start_at_zero_and_weights_do_not():
    rnn = VanillaRNN(4, 6, 3, seed=0)
    for name in ("b_h", "b_y"):
        assert np.all(rnn.params[name] == 0), f"params[{name!r}] = {rnn.params[name]}; expected 0"
    for name in ("W_hx", "W_hh", "W_yh"):
        assert np.all(rnn.params[name] != 0), f"params[{name!r}] has zero entries"


def test_dtype_option_sets_the_parameter_dtype():
    rnn = VanillaRNN(3, 4, 2, seed=0, dtype=np.float32)
    for name, p in rnn.params.items():
        assert p.dtype == np.float32, f"params[{name!r}].dtype: got {p.dtype}, expected float32"


def test_keyword_only_options():
    with pytest.raises(TypeError):
        VanillaRNN(3, 4, 2, "tanh")  # hidden_activation is keyword-only


@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_params_different_seed_different(seed):
    a, b = VanillaRNN(5, 7, 3, seed=seed), VanillaRNN(5, 7, 3, seed=seed)
    c = VanillaRNN(5, 7, 3, seed=seed + 100)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(a.params[name], b.params[name],
                                      err_msg=f"params[{name!r}] differ for equal seed {seed}")
    for name in ("W_hx", "W_hh", "W_yh"):
        assert not np.allclose(a.params[name], c.params[name]), (
            f"params[{name!r}] equal for seeds {seed} and {seed + 100}")


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_draws_W_hh_then_W_hx_then_W_yh(seed):
    """Printed numbers in the chapters depend on the draw order from default_rng(seed)."""
    D, H, K = 3, 5, 2
    rnn = VanillaRNN(D, H, K, seed=seed)
    rng = np.random.default_rng(seed)
    expected = {"W_hh": rng.standard_normal((H, H)) / math.sqrt(H),
                "W_hx": rng.standard_normal((H, D)) / math.sqrt(D),
                "W_yh": rng.standard_normal((K, H)) / math.sqrt(H)}
    for name, want in expected.items():
        np.testing.assert_allclose(rnn.params[name], want, rtol=1e-14, atol=0,
                                   err_msg=f"params[{name!r}] for seed {seed}")


@pytest.mark.parametrize("seed", SEEDS)
def test_num_parameters_is_the_formula_and_independent_of_T(seed):
    rng = np.random.default_rng(seed)
    D, H, K = (int(n) for n in rng.integers(1, 12, size=3))
    rnn = VanillaRNN(D, H, K, seed=seed)
    expected = H * D + H * H + K * H + H + K
    counts = []
    for T in (1, 7, 40):
        rnn.forward(rng.standard_normal((T, 2, D)))
        counts.append(rnn.num_parameters())
    assert counts == [expected] * 3, (
        f"num_parameters after T=1,7,40: got {counts}, expected {expected} (D={D}, H={H}, K={K})")


def test_params_is_the_only_copy():
    rng = np.random.default_rng(0)
    rnn = VanillaRNN(3, 4, 2, seed=0)
    xs = rng.standard_normal((5, 2, 3))
    ys_before, _ = rnn.forward(xs)
    rnn.params["W_hh"] *= -2.0  # in place
    ys_after, hs_after = rnn.forward(xs)
    assert not np.allclose(ys_before, ys_after), "changing params['W_hh'] left forward unchanged"
    ref_ys, ref_hs = _reference_forward(rnn.params, xs, np.zeros((2, 4)), "tanh", "identity")
    np.testing.assert_allclose(ys_after, ref_ys, rtol=1e-12, atol=1e-12,
                               err_msg="ys after an in-place change of params['W_hh']")
    rnn.params["b_y"] += 1.0
    np.testing.assert_allclose(rnn.forward(xs)[0], ys_after + 1.0, rtol=1e-12, atol=1e-12,
                               err_msg="ys after params['b_y'] += 1")


# --- forward -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output_activation", OUTPUT_ACTIVATIONS)
def test_forward_matches_the_reference(seed, hidden_activation, output_activation):
    rnn, xs, h0 = _random_setup(seed, hidden_activation, output_activation)
    ys, hs = rnn.forward(xs, h0)
    ref_ys, ref_hs = _reference_forward(rnn.params, xs, h0, hidden_activation, output_activation)
    label = f"({hidden_activation}/{output_activation}, T,B,D={xs.shape}, sizes={rnn.sizes})"
    np.testing.assert_allclose(hs, ref_hs, rtol=1e-12, atol=1e-12, err_msg=f"hs {label}")
    np.testing.assert_allclose(ys, ref_ys, rtol=1e-12, atol=1e-12, err_msg=f"ys {label}")


@pytest.mark.parametrize("seed", SEEDS)
def test_forward_shapes_and_h0(seed):
    rnn, xs, h0 = _random_setup(seed)
    T, B, _ = xs.shape
    D, H, K = rnn.sizes
    ys, hs = rnn.forward(xs)
    assert ys.shape == (T, B, K), f"ys.shape: got {ys.shape}, expected {(T, B, K)}"
    assert hs.shape == (T + 1, B, H), f"hs.shape: got {hs.shape}, expected {(T + 1, B, H)}"
    assert ys.dtype == np.float64 and hs.dtype == np.float64, f"dtypes {ys.dtype}, {hs.dtype}"
    np.testing.assert_array_equal(hs[0], np.zeros((B, H)), err_msg="default hs[0] is not zeros")
    np.testing.assert_array_equal(rnn.forward(xs, np.zeros((B, H)))[1], hs,
                                  err_msg="h0=None and h0=zeros give different hs")
    _, hs_given = rnn.forward(xs, h0)
    np.testing.assert_array_equal(hs_given[0], h0, err_msg="hs[0] is not the h0 passed")


def test_forward_does_not_modify_its_inputs():
    rnn, xs, h0 = _random_setup(3)
    xs_copy, h0_copy = xs.copy(), h0.copy()
    params = {name: p.copy() for name, p in rnn.params.items()}
    rnn.forward(xs, h0)
    np.testing.assert_array_equal(xs, xs_copy, err_msg="forward changed xs")
    np.testing.assert_array_equal(h0, h0_copy, err_msg="forward changed h0")
    for name, p in params.items():
        np.testing.assert_array_equal(rnn.params[name], p, err_msg=f"forward changed {name}")


def test_batch_rows_are_independent_sequences():
    """Each batch row gives the same result as running it alone."""
    rnn, xs, h0 = _random_setup(4)
    ys, hs = rnn.forward(xs, h0)
    for b in range(xs.shape[1]):
        ys_b, hs_b = rnn.forward(xs[:, b:b + 1], h0[b:b + 1])
        np.testing.assert_allclose(ys_b[:, 0], ys[:, b], rtol=1e-12, atol=1e-12,
                                   err_msg=f"ys of batch row {b} alone vs in the batch")


def test_integer_and_boolean_inputs_are_accepted():
    rnn = VanillaRNN(3, 4, 2, seed=0)
    ids = np.array([[0], [2], [1]])
    onehot_bool = np.eye(3, dtype=bool)[ids]
    ys_bool, _ = rnn.forward(onehot_bool)
    ys_float, _ = rnn.forward(onehot_bool.astype(float))
    np.testing.assert_array_equal(ys_bool, ys_float, err_msg="bool one-hot vs float one-hot")


# --- hand-checked fixtures ----------------------------------------------------------------

def _set(rnn, **values):
    for name, value in values.items():
        rnn.params[name][...] = value


def test_hand_fixture_scalar_identity():
    """D=H=K=1, identity activations: every number below is worked out by hand.

    W_hx=2, W_hh=0.5, W_yh=3, b_h=1, b_y=-1, x = 1, 2, 3, h0 = 0:
    h1 = 0.5*0 + 2*1 + 1 = 3,        y1 = 3*3 - 1 = 8
    h2 = 0.5*3 + 2*2 + 1 = 6.5,      y2 = 18.5
    h3 = 0.5*6.5 + 2*3 + 1 = 10.25,  y3 = 29.75
    Backward with dL/dy_t = 1: dh3 = 3, dh2 = 3 + 0.5*3 = 4.5, dh1 = 3 + 0.5*4.5 = 5.25,
    dh0 = 0.5*5.25 = 2.625; dW_hx = 5.25*1 + 4.5*2 + 3*3 = 23.25, dW_hh = 5.25*0 + 4.5*3
    + 3*6.5 = 33, db_h = 12.75, dW_yh = 3 + 6.5 + 10.25 = 19.75, db_y = 3, dx = 2*dh.
    """
    rnn = VanillaRNN(1, 1, 1, hidden_activation="identity", seed=0)
    _set(rnn, W_hx=2.0, W_hh=0.5, W_yh=3.0, b_h=1.0, b_y=-1.0)
    xs = np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1)
    ys, hs = rnn.forward(xs)
    np.testing.assert_array_equal(hs.ravel(), [0.0, 3.0, 6.5, 10.25], err_msg="hs")
    np.testing.assert_array_equal(ys.ravel(), [8.0, 18.5, 29.75], err_msg="ys")
    grads = rnn.backward(xs, hs, np.ones((3, 1, 1)))
    expected = {"W_hx": 23.25, "W_hh": 33.0, "W_yh": 19.75, "b_h": 12.75, "b_y": 3.0,
                "h0": 2.625}
    for name, want in expected.items():
        assert float(grads[name].ravel()[0]) == want, (
            f"d{name}: got {grads[name].ravel()[0]!r}, expected {want!r}")
    np.testing.assert_array_equal(grads["xs"].ravel(), [10.5, 9.0, 6.0], err_msg="dxs")


def test_hand_fixture_two_by_two_identity():
    """D=H=K=2 with non-symmetric weights, so a transposed weight changes the numbers.

    W_hx = [[1, 2], [0, 1]], W_hh = [[0, 1], [0.5, 0]], W_yh = [[1, -1], [2, 0]],
    b_h = [0.5, -0.5], b_y = [0, 1]; sequence 0: x1 = [1, 0], x2 = [0, 1];
    sequence 1: x1 = [0, 1], x2 = [1, 0]; h0 = 0.
    seq 0: h1 = W_hx x1 + b_h = [1, 0] + b_h = [1.5, -0.5]
           h2 = W_hh h1 + W_hx x2 + b_h = [-0.5, 0.75] + [2, 1] + b_h = [2.0, 1.25]
           y1 = W_yh h1 + b_y = [2, 3] + b_y = [2, 4];  y2 = [0.75, 4] + b_y = [0.75, 5]
    seq 1: h1 = [2, 1] + b_h = [2.5, 0.5]
           h2 = [0.5, 1.25] + [1, 0] + b_h = [2.0, 0.75]
           y1 = [2, 5] + b_y = [2, 6];  y2 = [1.25, 4] + b_y = [1.25, 5]
    """
    rnn = VanillaRNN(2, 2, 2, hidden_activation="identity", seed=0)
    _set(rnn, W_hx=[[1, 2], [0, 1]], W_hh=[[0, 1], [0.5, 0]], W_yh=[[1, -1], [2, 0]],
         b_h=[0.5, -0.5], b_y=[0, 1])
    xs = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]]], dtype=float)  # (T=2, B=2, D=2)
    ys, hs = rnn.forward(xs)
    expected_hs = [[[0, 0], [0, 0]], [[1.5, -0.5], [2.5, 0.5]], [[2.0, 1.25], [2.0, 0.75]]]
    expected_ys = [[[2, 4], [2, 6]], [[0.75, 5], [1.25, 5]]]
    np.testing.assert_array_equal(hs, expected_hs, err_msg="hs (2x2 fixture)")
    np.testing.assert_array_equal(ys, expected_ys, err_msg="ys (2x2 fixture)")


def test_hand_fixture_scalar_tanh():
    """D=H=K=1 with tanh, reference numbers from math.tanh.

    W_hx=0.5, W_hh=-1, W_yh=2, b_h=0.1, b_y=0.3, x = 1, -2, h0 = 0.2:
    h1 = tanh(-0.2 + 0.5 + 0.1), h2 = tanh(-h1 - 1 + 0.1), y_t = 2 h_t + 0.3.
    Backward with dL/dy_t = 1: da2 = 2 (1 - h2^2), da1 = (2 - da2) (1 - h1^2).
    """
    rnn = VanillaRNN(1, 1, 1, seed=0)
    _set(rnn, W_hx=0.5, W_hh=-1.0, W_yh=2.0, b_h=0.1, b_y=0.3)
    xs = np.array([1.0, -2.0]).reshape(2, 1, 1)
    h0 = np.array([[0.2]])
    h1 = math.tanh(-0.2 + 0.5 + 0.1)
    h2 = math.tanh(-h1 - 1.0 + 0.1)
    ys, hs = rnn.forward(xs, h0)
    np.testing.assert_allclose(hs.ravel(), [0.2, h1, h2], rtol=1e-15, atol=0, err_msg="hs")
    np.testing.assert_allclose(ys.ravel(), [2 * h1 + 0.3, 2 * h2 + 0.3], rtol=1e-15, atol=0,
                               err_msg="ys")
    da2 = 2.0 * (1.0 - h2 * h2)
    da1 = (2.0 - da2) * (1.0 - h1 * h1)
    expected = {"b_h": da1 + da2, "W_hx": da1 * 1.0 + da2 * -2.0, "W_hh": da1 * 0.2 + da2 * h1,
                "W_yh": h1 + h2, "b_y": 2.0, "h0": -da1}
    grads = rnn.backward(xs, hs, np.ones((2, 1, 1)))
    for name, want in expected.items():
        got = float(grads[name].ravel()[0])
        assert got == pytest.approx(want, rel=1e-14, abs=1e-15), (
            f"d{name}: got {got!r}, expected {want!r}")
    np.testing.assert_allclose(grads["xs"].ravel(), [0.5 * da1, 0.5 * da2], rtol=1e-14,
                               err_msg="dxs")


# --- backward ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_backward_returns_every_param_and_xs_and_h0(seed):
    rnn, xs, h0 = _random_setup(seed)
    ys, hs = rnn.forward(xs, h0)
    grads = rnn.backward(xs, hs, np.ones_like(ys))
    expected = set(PARAM_NAMES) | {"xs", "h0"}
    assert set(grads) == expected, f"backward keys: got {sorted(grads)}, expected {sorted(expected)}"
    shapes = {name: p.shape for name, p in rnn.params.items()}
    shapes.update(xs=xs.shape, h0=h0.shape)
    for name, shape in shapes.items():
        assert grads[name].shape == shape, (
            f"grads[{name!r}].shape: got {grads[name].shape}, expected {shape}")


@pytest.mark.parametrize("seed", SEEDS)
def test_dh_last_adds_gradient_at_the_last_state(seed):
    """backward(dys, dh_last) = backward(dys) + backward(0, dh_last), the gradient being linear
    in its upstream; and with dys = 0 and T = 1 (identity g1) it is checked directly:
    da_1 = dh_last, so db_h = sum_b dh_last, dW_hx = dh_last^T x_1, dW_hh = dh_last^T h_0,
    dx_1 = dh_last W_hx, dh_0 = dh_last W_hh, and the output weights get nothing."""
    rng = np.random.default_rng(seed)
    rnn, xs, h0 = _random_setup(seed)
    ys, hs = rnn.forward(xs, h0)
    dys = rng.standard_normal(ys.shape)
    dh_last = rng.standard_normal(h0.shape)
    both = rnn.backward(xs, hs, dys, dh_last=dh_last)
    only_dys = rnn.backward(xs, hs, dys)
    only_last = rnn.backward(xs, hs, np.zeros_like(dys), dh_last=dh_last)
    for name in both:
        np.testing.assert_allclose(both[name], only_dys[name] + only_last[name], rtol=1e-10,
                                   atol=1e-12, err_msg=f"d{name}: dh_last is not additive")
    assert not np.allclose(both["W_hh"], only_dys["W_hh"]), "dh_last changed nothing"

    D, H, K = rnn.sizes
    lin = VanillaRNN(D, H, K, hidden_activation="identity", seed=seed)
    lin.params["b_h"][:] = rng.standard_normal(H)
    x1 = xs[:1]
    _, hs1 = lin.forward(x1, h0)
    g = lin.backward(x1, hs1, np.zeros((1,) + h0.shape[:1] + (K,)), dh_last=dh_last)
    p = lin.params
    direct = {"b_h": dh_last.sum(axis=0), "W_hx": dh_last.T @ x1[0], "W_hh": dh_last.T @ h0,
              "xs": (dh_last @ p["W_hx"])[None], "h0": dh_last @ p["W_hh"],
              "W_yh": np.zeros((K, H)), "b_y": np.zeros(K)}
    for name, want in direct.items():
        np.testing.assert_allclose(g[name], want, rtol=1e-12, atol=1e-12,
                                   err_msg=f"d{name} from dh_last alone, checked directly")


def test_backward_does_not_modify_its_inputs():
    rnn, xs, h0 = _random_setup(2)
    ys, hs = rnn.forward(xs, h0)
    dys = np.random.default_rng(0).standard_normal(ys.shape)
    copies = [a.copy() for a in (xs, hs, dys)]
    params = {name: p.copy() for name, p in rnn.params.items()}
    rnn.backward(xs, hs, dys)
    for label, a, c in zip(("xs", "hs", "dys"), (xs, hs, dys), copies):
        np.testing.assert_array_equal(a, c, err_msg=f"backward changed {label}")
    for name, p in params.items():
        np.testing.assert_array_equal(rnn.params[name], p, err_msg=f"backward changed {name}")


# --- initialisers -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", [1, 4, 32])
def test_orthogonal_gives_QtQ_identity(seed, size):
    Q = orthogonal(np.random.default_rng(seed), size)
    np.testing.assert_allclose(Q.T @ Q, np.eye(size), rtol=0, atol=1e-12,
                               err_msg=f"Q^T Q (size={size}, seed={seed})")
    np.testing.assert_allclose(Q @ Q.T, np.eye(size), rtol=0, atol=1e-12,
                               err_msg=f"Q Q^T (size={size}, seed={seed})")
    Q3 = orthogonal(np.random.default_rng(seed), size, gain=3.0)
    np.testing.assert_allclose(Q3.T @ Q3, 9.0 * np.eye(size), rtol=0, atol=1e-11,
                               err_msg="gain 3: Q^T Q should be 9 I")


@pytest.mark.parametrize("seed", SEEDS)
def test_recurrent_init_orthogonal_and_identity(seed):
    H = 12
    W = VanillaRNN(3, H, 2, recurrent_init="orthogonal", seed=seed).params["W_hh"]
    np.testing.assert_allclose(W.T @ W, np.eye(H), rtol=0, atol=1e-12,
                               err_msg="W_hh^T W_hh for recurrent_init='orthogonal'")
    assert spectral_radius(W) == pytest.approx(1.0, abs=1e-10)
    W = VanillaRNN(3, H, 2, recurrent_init="identity", seed=seed).params["W_hh"]
    np.testing.assert_array_equal(W, np.eye(H), err_msg="W_hh for recurrent_init='identity'")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("init", ["scaled_normal", "orthogonal", "identity"])
@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
def test_spectral_radius_option_rescales_W_hh(seed, init, radius):
    H = 10
    plain = VanillaRNN(3, H, 2, recurrent_init=init, seed=seed).params["W_hh"]
    W = VanillaRNN(3, H, 2, recurrent_init=init, spectral_radius=radius,
                   seed=seed).params["W_hh"]
    got = float(np.max(np.abs(np.linalg.eigvals(W))))
    assert got == pytest.approx(radius, rel=1e-10), (
        f"max|eig(W_hh)| with spectral_radius={radius} ({init}, seed={seed}): got {got}")
    plain_radius = float(np.max(np.abs(np.linalg.eigvals(plain))))
    np.testing.assert_allclose(W, plain * (radius / plain_radius), rtol=1e-10, atol=1e-14,
                               err_msg=f"W_hh is not the {init} draw rescaled by rho")


def test_spectral_radius_of_known_matrices():
    cases = [
        (np.array([[0.0, 2.0], [0.5, 0.0]]), 1.0),           # eigenvalues +-1
        (3.0 * np.array([[0.0, -1.0], [1.0, 0.0]]), 3.0),    # rotation: +-3i
        (np.array([[0.5, 100.0], [0.0, -0.9]]), 0.9),         # non-normal: big norm, rho 0.9
        (np.diag([0.1, -2.5, 1.0]), 2.5),
    ]
    for W, want in cases:
        got = spectral_radius(W)
        assert got == pytest.approx(want, rel=1e-12), f"spectral_radius({W.tolist()}): got {got}, expected {want}"
        rescaled = with_spectral_radius(W, 0.8)
        assert spectral_radius(rescaled) == pytest.approx(0.8, rel=1e-12)
        np.testing.assert_allclose(rescaled, W * (0.8 / want), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_scaled_normal_has_std_one_over_sqrt_fan_in(seed):
    rng = np.random.default_rng(seed)
    fan_out, fan_in = 300, 200
    W = scaled_normal(rng, fan_out, fan_in)
    assert W.shape == (fan_out, fan_in)
    want = 1.0 / math.sqrt(fan_in)
    # 60000 draws: the sample std is within about 0.3% of the true one; allow 3%.
    assert W.std() == pytest.approx(want, rel=0.03), f"std: got {W.std()}, expected {want}"
    assert abs(W.mean()) < 4 * want / math.sqrt(W.size), f"mean {W.mean()} is not about 0"
    W2 = scaled_normal(np.random.default_rng(seed), fan_out, fan_in, gain=2.0)
    np.testing.assert_allclose(W2, 2.0 * W, rtol=1e-14, err_msg="gain 2 should double W")


def test_rnn_weights_have_std_one_over_sqrt_fan_in():
    D, H, K = 400, 150, 300
    p = VanillaRNN(D, H, K, seed=1).params
    for name, fan_in in (("W_hx", D), ("W_hh", H), ("W_yh", H)):
        want = 1.0 / math.sqrt(fan_in)
        assert p[name].std() == pytest.approx(want, rel=0.03), (
            f"std of params[{name!r}]: got {p[name].std():.5f}, expected {want:.5f}")


def test_float32_network_stays_float32():
    """dtype=np.float32 keeps every array float32 (no silent upcast to float64)."""
    rnn = VanillaRNN(3, 4, 2, seed=0, dtype=np.float32)
    xs = np.ones((2, 1, 3), dtype=np.float32)
    ys, hs = rnn.forward(xs)
    grads = rnn.backward(xs, hs, np.ones_like(ys))
    dtypes = {"ys": ys.dtype, "hs": hs.dtype, **{f"d{k}": g.dtype for k, g in grads.items()}}
    assert all(d == np.float32 for d in dtypes.values()), f"not float32: {dtypes}"


@pytest.mark.parametrize("seed", range(3))
def test_hidden_backward_overwrite_dhs_gives_the_same_gradients(seed):
    """overwrite_dhs=True reuses dhs for da_t; the gradients must not change."""
    from lamassu_course import hidden_backward
    rng = np.random.default_rng(seed)
    T, B, D, H = 6, 3, 4, 5
    rnn = VanillaRNN(D, H, 2, seed=seed)
    p = rnn.params
    xs = rng.standard_normal((T, B, D))
    _, hs = rnn.forward(xs)
    dhs = rng.standard_normal((T, B, H))
    fresh = hidden_backward(dhs.copy(), xs, hs, p["W_hx"], p["W_hh"])
    reused = hidden_backward(dhs.copy(), xs, hs, p["W_hx"], p["W_hh"], overwrite_dhs=True)
    for name, a, b in zip(("dxs", "dh0", "dW_hx", "dW_hh", "db_h"), fresh, reused):
        np.testing.assert_array_equal(a, b, err_msg=name)
