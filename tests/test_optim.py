"""Optimisers (SGD with momentum, Adagrad) and gradient clipping, against formulas by hand."""
import math

import numpy as np
import pytest

from lamassu_course import SGD, Adagrad, VanillaRNN, clip_by_global_norm, clip_by_value, global_norm

SEEDS = range(5)


def _params_and_grads(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    shapes = {"W": (3, 4), "U": (4, 4), "b": (4,), "c": (1,)}
    params = {name: rng.standard_normal(shape) for name, shape in shapes.items()}
    grads = {name: rng.standard_normal(shape) * scale for name, shape in shapes.items()}
    return rng, params, grads


def _copy(arrays):
    return {name: np.array(a, copy=True) for name, a in arrays.items()}


# --- SGD -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_step_is_p_minus_lr_g(seed):
    rng, params, grads = _params_and_grads(seed)
    lr = float(rng.uniform(0.01, 1.0))
    before = _copy(params)
    arrays = {name: p for name, p in params.items()}  # the same objects
    SGD(params, lr=lr).step(grads)
    for name in params:
        assert params[name] is arrays[name], f"params[{name!r}] was replaced, not updated in place"
        np.testing.assert_allclose(params[name], before[name] - lr * grads[name], rtol=1e-14,
                                   atol=1e-15, err_msg=f"params[{name!r}] after one SGD step (lr={lr})")


def test_sgd_momentum_two_steps_by_hand():
    """p0 = 1, lr = 0.1, momentum 0.9, g1 = 2, g2 = -1:
    v1 = -0.1*2 = -0.2, p1 = 0.8;  v2 = 0.9*(-0.2) - 0.1*(-1) = -0.08, p2 = 0.72."""
    params = {"p": np.array([1.0])}
    opt = SGD(params, lr=0.1, momentum=0.9)
    opt.step({"p": np.array([2.0])})
    assert params["p"][0] == pytest.approx(0.8, abs=1e-15), f"p1: got {params['p'][0]!r}, expected 0.8"
    opt.step({"p": np.array([-1.0])})
    assert params["p"][0] == pytest.approx(0.72, abs=1e-15), f"p2: got {params['p'][0]!r}, expected 0.72"
    assert opt.velocity["p"][0] == pytest.approx(-0.08, abs=1e-15), (
        f"v2: got {opt.velocity['p'][0]!r}, expected -0.08")


@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_momentum_accumulates(seed):
    rng, params, g1 = _params_and_grads(seed)
    g2 = {name: rng.standard_normal(g.shape) for name, g in g1.items()}
    lr, m = 0.05, float(rng.uniform(0.1, 0.95))
    p0 = _copy(params)
    opt = SGD(params, lr=lr, momentum=m)
    opt.step(g1)
    opt.step(g2)
    for name in params:
        v1 = -lr * g1[name]
        v2 = m * v1 - lr * g2[name]
        np.testing.assert_allclose(params[name], p0[name] + v1 + v2, rtol=1e-13, atol=1e-15,
                                   err_msg=f"params[{name!r}] after two steps (momentum={m:.3f})")


def test_sgd_ignores_extra_keys_and_updates_the_rnn_in_place():
    rnn = VanillaRNN(3, 4, 2, seed=0)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((5, 2, 3))
    ys, hs = rnn.forward(xs)
    grads = rnn.backward(xs, hs, np.ones_like(ys))  # has "xs" and "h0" too
    before = _copy(rnn.params)
    SGD(rnn.params, lr=0.5).step(grads)
    for name in rnn.params:
        np.testing.assert_allclose(rnn.params[name], before[name] - 0.5 * grads[name],
                                   rtol=1e-14, atol=1e-15, err_msg=f"rnn.params[{name!r}]")


# --- Adagrad -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_adagrad_first_and_second_steps(seed):
    rng, params, g1 = _params_and_grads(seed)
    g2 = {name: rng.standard_normal(g.shape) for name, g in g1.items()}
    lr, eps = 0.1, 1e-8
    p0 = _copy(params)
    opt = Adagrad(params, lr=lr, eps=eps)
    opt.step(g1)
    p1 = _copy(params)
    for name in params:
        step = lr * g1[name] / np.sqrt(g1[name] ** 2 + eps)
        np.testing.assert_allclose(p0[name] - p1[name], step, rtol=1e-13, atol=1e-16,
                                   err_msg=f"first Adagrad step of {name!r}: lr g / sqrt(g^2 + eps)")
        # |first step| is about lr wherever |g| >> sqrt(eps): the step size is per weight.
        big = np.abs(g1[name]) > 1e-2
        np.testing.assert_allclose(np.abs(p0[name] - p1[name])[big], lr, rtol=1e-4)
    opt.step(g2)
    for name in params:
        step = lr * g2[name] / np.sqrt(g1[name] ** 2 + g2[name] ** 2 + eps)
        np.testing.assert_allclose(p1[name] - params[name], step, rtol=1e-13, atol=1e-16,
                                   err_msg=f"second Adagrad step of {name!r}: memory g1^2 + g2^2")


def test_adagrad_eps_matters_for_a_zero_gradient_entry():
    params = {"p": np.array([1.0, 1.0])}
    Adagrad(params, lr=1.0, eps=1e-8).step({"p": np.array([0.0, 1e-4])})
    # Entry 0: g = 0, no change. Entry 1: 1e-4 / sqrt(1e-8 + 1e-8) = 1 / sqrt(2).
    np.testing.assert_allclose(params["p"], [1.0, 1.0 - 1.0 / math.sqrt(2.0)], rtol=1e-14,
                               err_msg="Adagrad with g = [0, 1e-4], eps = 1e-8")


# --- clipping ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_global_norm_is_sqrt_of_sum_of_squares(seed):
    _, _, grads = _params_and_grads(seed)
    flat = np.concatenate([g.ravel() for g in grads.values()])
    want = math.sqrt(sum(float(v) ** 2 for v in flat))
    got = global_norm(grads)
    assert got == pytest.approx(want, rel=1e-14), f"global_norm: got {got!r}, expected {want!r}"
    assert global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}) == 5.0


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_value_bounds(seed):
    rng, _, grads = _params_and_grads(seed, scale=3.0)
    clip = float(rng.uniform(0.5, 2.0))
    original = _copy(grads)
    clipped = clip_by_value(grads, clip)
    assert set(clipped) == set(grads), f"keys: got {sorted(clipped)}, expected {sorted(grads)}"
    for name, g in grads.items():
        c = clipped[name]
        assert np.all(np.abs(c) <= clip), f"{name}: max |clipped| = {np.abs(c).max()} > clip = {clip}"
        inside = np.abs(g) <= clip
        np.testing.assert_array_equal(c[inside], g[inside], err_msg=f"{name}: entries inside changed")
        np.testing.assert_array_equal(c[~inside], np.sign(g[~inside]) * clip,
                                      err_msg=f"{name}: entries outside should be +-clip")
        np.testing.assert_array_equal(grads[name], original[name],
                                      err_msg=f"clip_by_value changed its input {name!r}")
    assert any(np.any(np.abs(g) > clip) for g in grads.values()), "trial clipped nothing"


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_global_norm_above_the_limit(seed):
    rng, _, grads = _params_and_grads(seed, scale=5.0)
    norm_before = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    max_norm = norm_before * float(rng.uniform(0.1, 0.9))
    original = _copy(grads)
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(norm_before, rel=1e-14), (
        f"returned norm: got {norm!r}, expected the norm before clipping {norm_before!r}")
    after = math.sqrt(sum(float(np.sum(g * g)) for g in clipped.values()))
    assert after == pytest.approx(max_norm, rel=1e-12), (
        f"norm after clipping: got {after!r}, expected max_norm {max_norm!r}")
    scale = max_norm / norm_before
    for name, g in grads.items():  # same direction: every array scaled by the same factor
        np.testing.assert_allclose(clipped[name], scale * g, rtol=1e-12, atol=1e-15,
                                   err_msg=f"{name}: clipped should be g * max_norm / norm")
        np.testing.assert_array_equal(grads[name], original[name],
                                      err_msg=f"clip_by_global_norm changed its input {name!r}")


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_global_norm_below_the_limit_changes_nothing(seed):
    rng, _, grads = _params_and_grads(seed)
    norm_before = global_norm(grads)
    for max_norm in (norm_before * 1.5, norm_before):
        clipped, norm = clip_by_global_norm(grads, max_norm)
        assert norm == norm_before, f"returned norm {norm!r}, expected {norm_before!r}"
        for name, g in grads.items():
            np.testing.assert_array_equal(clipped[name], g,
                                          err_msg=f"{name} changed though norm <= max_norm={max_norm}")


def test_clip_by_global_norm_by_hand():
    # ||(3, 4)|| = 5; clipped to 1 gives (0.6, 0.8).
    clipped, norm = clip_by_global_norm({"a": np.array([3.0]), "b": np.array([4.0])}, 1.0)
    assert norm == 5.0, f"norm: got {norm!r}, expected 5.0"
    np.testing.assert_allclose([clipped["a"][0], clipped["b"][0]], [0.6, 0.8], rtol=1e-15)
