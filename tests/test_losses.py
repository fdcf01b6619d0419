"""Losses (softmax cross-entropy, mean squared error) and the gradient checker itself.

The loss convention: summed over time, averaged over the batch, masked steps dropped.
References are written here with math.log / math.exp, one entry at a time.
"""
import math

import numpy as np
import pytest

from lamassu_course import (check_gradients, mean_squared_error, numerical_gradient,
                            numerical_gradients, relative_error, softmax_cross_entropy)

SEEDS = range(5)
TOLERANCE = 1e-7


def _reference_cross_entropy(logits, targets, mask=None):
    """L = (1/B) sum_{t,b} mask * (log sum_j e^{z_j} - z_target), entry by entry in Python."""
    logits = np.asarray(logits, dtype=float)
    if logits.ndim == 2:
        logits, targets = logits[None], np.asarray(targets)[None]
        mask = None if mask is None else np.asarray(mask)[None]
    T, B, V = logits.shape
    mask = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=float)
    total, grad = 0.0, np.zeros_like(logits)
    for t in range(T):
        for b in range(B):
            z = [float(v) for v in logits[t, b]]
            top = max(z)
            lse = top + math.log(sum(math.exp(v - top) for v in z))
            total += mask[t, b] * (lse - z[targets[t, b]])
            for j in range(V):
                p = math.exp(z[j] - lse)
                grad[t, b, j] = mask[t, b] * (p - (j == targets[t, b])) / B
    return total / B, grad


def _random_problem(seed, scale=3.0):
    rng = np.random.default_rng(seed)
    T, B, V = (int(n) for n in rng.integers(1, 7, size=3))
    logits = rng.standard_normal((T, B, V)) * scale
    targets = rng.integers(0, V, size=(T, B))
    mask = rng.integers(0, 2, size=(T, B))
    return rng, logits, targets, mask


# --- softmax cross-entropy -----------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_logits_give_T_log_V(seed):
    rng, logits, targets, _ = _random_problem(seed)
    T, B, V = logits.shape
    constant = np.full_like(logits, rng.standard_normal() * 10)  # any constant: uniform softmax
    loss, dlogits = softmax_cross_entropy(constant, targets)
    assert loss == pytest.approx(T * math.log(V), rel=1e-13), (
        f"loss for uniform logits (T={T}, B={B}, V={V}): got {loss!r}, expected T log V = "
        f"{T * math.log(V)!r}")
    expected = (np.full((T, B, V), 1.0 / V) - np.eye(V)[targets]) / B
    np.testing.assert_allclose(dlogits, expected, rtol=1e-12, atol=1e-15,
                               err_msg="dlogits for uniform logits: (1/V - onehot) / B")


def test_known_values_by_hand():
    # logits [0, log 3]: softmax = [1/4, 3/4]; target 1 gives -log(3/4) = log(4/3).
    loss, d = softmax_cross_entropy(np.array([[0.0, math.log(3.0)]]), np.array([1]))
    assert loss == pytest.approx(math.log(4.0 / 3.0), rel=1e-14), f"loss: got {loss!r}"
    np.testing.assert_allclose(d, [[0.25, -0.25]], rtol=1e-14, err_msg="dlogits, one row")
    # Two rows (B=2) are averaged: row 0 as above (log 4/3), row 1 logits [0, 0] target 0 (log 2).
    logits = np.array([[0.0, math.log(3.0)], [0.0, 0.0]])
    loss, d = softmax_cross_entropy(logits, np.array([1, 0]))
    want = (math.log(4.0 / 3.0) + math.log(2.0)) / 2
    assert loss == pytest.approx(want, rel=1e-14), f"batch-averaged loss: got {loss!r}, expected {want!r}"
    np.testing.assert_allclose(d, [[0.125, -0.125], [-0.25, 0.25]], rtol=1e-14,
                               err_msg="dlogits are divided by B=2")
    # Two time steps (T=2, B=1) are summed: log 4/3 + log 2.
    loss, _ = softmax_cross_entropy(logits[:, None, :], np.array([[1], [0]]))
    want = math.log(4.0 / 3.0) + math.log(2.0)
    assert loss == pytest.approx(want, rel=1e-14), f"time-summed loss: got {loss!r}, expected {want!r}"
    # logits [1, 2, 3], target 0: log(e + e^2 + e^3) - 1.
    loss, _ = softmax_cross_entropy(np.array([[1.0, 2.0, 3.0]]), np.array([0]))
    want = math.log(math.e + math.e ** 2 + math.e ** 3) - 1.0
    assert loss == pytest.approx(want, rel=1e-14), f"loss: got {loss!r}, expected {want!r}"


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_matches_the_reference(seed):
    _, logits, targets, mask = _random_problem(seed)
    for m in (None, mask):
        loss, d = softmax_cross_entropy(logits, targets, m)
        want, want_d = _reference_cross_entropy(logits, targets, m)
        label = "no mask" if m is None else "mask"
        assert loss == pytest.approx(want, rel=1e-12, abs=1e-14), (
            f"loss ({label}, shape {logits.shape}): got {loss!r}, expected {want!r}")
        np.testing.assert_allclose(d, want_d, rtol=1e-10, atol=1e-14, err_msg=f"dlogits ({label})")


@pytest.mark.parametrize("c", [1e4, -1e4, 1e15])
def test_stable_for_huge_logits(c):
    """logits [c, c - 1, c - 2e4], target 1. Analytically, with the max c factored out,
    L = log(1 + e^{-1} + e^{-2e4}) + 1 = 1 + log1p(e^{-1}) to double precision, and
    dL/dz = softmax(z) - onehot = [p, (1 - p) - 1, 0] with p = 1 / (1 + e^{-1}).
    Computing e^{c} directly would overflow (c = 1e4) or underflow to 0/0 (c = -1e4)."""
    logits = np.array([[c, c - 1.0, c - 2e4]])
    loss, d = softmax_cross_entropy(logits, np.array([1]))
    assert math.isfinite(loss) and np.all(np.isfinite(d)), f"loss {loss}, dlogits {d}"
    want = 1.0 + math.log1p(math.exp(-1.0))
    assert loss == pytest.approx(want, rel=1e-12), (
        f"loss for logits around {c:g}: got {loss!r}, expected {want!r}")
    p = 1.0 / (1.0 + math.exp(-1.0))
    np.testing.assert_allclose(d, [[p, (1.0 - p) - 1.0, 0.0]], rtol=1e-12, atol=1e-300,
                               err_msg=f"dlogits for logits around {c:g}")


@pytest.mark.parametrize("big", [1e4, 1e300])
def test_stable_when_the_target_logit_is_hugely_negative(big):
    """logits [big, -big]: target 1 costs exactly 2 big, target 0 costs 0 (e^{-2 big} = 0)."""
    logits = np.array([[big, -big], [big, -big]])
    loss, d = softmax_cross_entropy(logits, np.array([1, 0]))
    assert loss == pytest.approx(big, rel=1e-15), f"loss: got {loss!r}, expected (2 big + 0) / 2 = {big!r}"
    np.testing.assert_allclose(d, [[0.5, -0.5], [0.0, 0.0]], rtol=1e-15, atol=1e-300,
                               err_msg=f"dlogits for [{big:g}, {-big:g}]")


@pytest.mark.parametrize("seed", SEEDS)
def test_mask_drops_steps(seed):
    rng, logits, targets, _ = _random_problem(seed)
    T, B, V = logits.shape
    keep = rng.integers(0, 2, size=T).astype(bool)
    keep[rng.integers(T)] = True   # at least one kept step
    mask = np.repeat(keep[:, None], B, axis=1)
    loss, d = softmax_cross_entropy(logits, targets, mask.astype(int))
    subset_loss, subset_d = softmax_cross_entropy(logits[keep], targets[keep])
    assert loss == pytest.approx(subset_loss, rel=1e-13), (
        f"masked loss: got {loss!r}, expected the loss on the kept steps {subset_loss!r} "
        f"(kept {keep.tolist()})")
    np.testing.assert_array_equal(d[~keep], 0.0, err_msg="dlogits on masked steps")
    np.testing.assert_allclose(d[keep], subset_d, rtol=1e-13, err_msg="dlogits on kept steps")
    bool_loss, bool_d = softmax_cross_entropy(logits, targets, mask)
    assert bool_loss == loss, f"bool mask {bool_loss!r} vs 0/1 mask {loss!r}"
    ones_loss, _ = softmax_cross_entropy(logits, targets, np.ones((T, B)))
    assert ones_loss == pytest.approx(softmax_cross_entropy(logits, targets)[0], rel=1e-15)
    zero_loss, zero_d = softmax_cross_entropy(logits, targets, np.zeros((T, B)))
    assert zero_loss == 0.0 and not np.any(zero_d), f"all-masked: loss {zero_loss}, dlogits {zero_d}"


@pytest.mark.parametrize("seed", SEEDS)
def test_two_dimensional_form_is_one_time_step(seed):
    _, logits, targets, mask = _random_problem(seed)
    loss2, d2 = softmax_cross_entropy(logits[0], targets[0], mask[0])
    loss3, d3 = softmax_cross_entropy(logits[:1], targets[:1], mask[:1])
    assert loss2 == pytest.approx(loss3, rel=1e-15), f"(B, V) form {loss2!r} vs (1, B, V) form {loss3!r}"
    assert d2.shape == logits.shape[1:], f"dlogits shape {d2.shape}, expected {logits.shape[1:]}"
    np.testing.assert_array_equal(d2, d3[0], err_msg="dlogits, (B, V) form vs (1, B, V) form")
    want, want_d = _reference_cross_entropy(logits[0], targets[0], mask[0])
    assert loss2 == pytest.approx(want, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(d2, want_d[0], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_gradient_against_finite_differences(seed):
    _, logits, targets, mask = _random_problem(seed)
    for m in (None, mask):
        _, d = softmax_cross_entropy(logits, targets, m)
        errors = check_gradients(lambda: softmax_cross_entropy(logits, targets, m)[0],
                                 {"logits": logits}, {"logits": d})
        assert errors["logits"] < TOLERANCE, (
            f"dlogits ({'mask' if m is not None else 'no mask'}): relative error "
            f"{errors['logits']:.2e} >= {TOLERANCE:.0e}")


# --- mean squared error --------------------------------------------------------------------

def test_mean_squared_error_known_values():
    # B=1: (1-0)^2 + (2-0)^2 = 5; dpreds = 2 (pred - target) = [2, 4].
    loss, d = mean_squared_error(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert loss == 5.0, f"loss: got {loss!r}, expected 5.0"
    np.testing.assert_array_equal(d, [[2.0, 4.0]], err_msg="dpreds")
    # T=2, B=2, K=1: errors 1, 2 (t=0) and 3, -1 (t=1): (1 + 4 + 9 + 1) / 2 = 7.5;
    # dpreds = 2 * error / B = error.
    preds = np.array([[[1.0], [2.0]], [[3.0], [-1.0]]])
    loss, d = mean_squared_error(preds, np.zeros_like(preds))
    assert loss == 7.5, f"loss: got {loss!r}, expected 7.5"
    np.testing.assert_array_equal(d, preds, err_msg="dpreds = 2 (pred - target) / B")
    # The same with the step (t=1, b=0) masked: (1 + 4 + 1) / 2 = 3.
    mask = np.array([[1, 1], [0, 1]])
    loss, d = mean_squared_error(preds, np.zeros_like(preds), mask)
    assert loss == 3.0, f"masked loss: got {loss!r}, expected 3.0"
    np.testing.assert_array_equal(d, [[[1.0], [2.0]], [[0.0], [-1.0]]], err_msg="masked dpreds")


@pytest.mark.parametrize("seed", SEEDS)
def test_mean_squared_error_matches_the_reference_and_finite_differences(seed):
    rng = np.random.default_rng(seed)
    T, B, K = (int(n) for n in rng.integers(1, 6, size=3))
    preds, targets = rng.standard_normal((T, B, K)), rng.standard_normal((T, B, K))
    mask = rng.integers(0, 2, size=(T, B))
    want = sum(mask[t, b] * (preds[t, b, k] - targets[t, b, k]) ** 2
               for t in range(T) for b in range(B) for k in range(K)) / B
    loss, d = mean_squared_error(preds, targets, mask)
    assert loss == pytest.approx(want, rel=1e-12), f"loss: got {loss!r}, expected {want!r}"
    for m in (None, mask):
        _, d = mean_squared_error(preds, targets, m)
        errors = check_gradients(lambda: mean_squared_error(preds, targets, m)[0],
                                 {"preds": preds}, {"preds": d})
        assert errors["preds"] < TOLERANCE, f"dpreds: relative error {errors['preds']:.2e}"
    loss2, d2 = mean_squared_error(preds[0], targets[0], mask[0])
    loss3, d3 = mean_squared_error(preds[:1], targets[:1], mask[:1])
    assert loss2 == pytest.approx(loss3, rel=1e-15), f"(B, K) form {loss2!r} vs (1, B, K) {loss3!r}"
    np.testing.assert_array_equal(d2, d3[0], err_msg="dpreds, (B, K) form")


# --- the gradient checker ------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_gradient_of_sum_of_cubes(seed):
    x = np.random.default_rng(seed).uniform(-2, 2, size=(3, 4))
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    # Central differences: error eps^2 f'''/6 = 1e-10 per entry, plus rounding.
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=0, atol=1e-8,
                               err_msg="numerical gradient of sum(x^3) vs 3 x^2")


@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_gradient_restores_the_array_exactly(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5)) * 10.0 ** rng.integers(-6, 6, size=(4, 5))
    before = x.copy()
    seen = []
    numerical_gradient(lambda: seen.append(x.copy()) or float(np.sum(np.sin(x))), x)
    assert np.array_equal(x, before), (
        f"x changed by numerical_gradient at {np.argwhere(x != before).tolist()}")
    assert len(seen) == 2 * x.size, f"f called {len(seen)} times, expected 2 * {x.size}"
    changed = [int(np.count_nonzero(s != before)) for s in seen]
    assert changed == [1] * len(seen), f"entries perturbed per call: {changed}, expected one each"


def test_numerical_gradients_of_a_dict():
    rng = np.random.default_rng(0)
    arrays = {"a": rng.standard_normal(3), "b": rng.standard_normal((2, 2))}
    grads = numerical_gradients(lambda: float(np.sum(arrays["a"] ** 2) + 3 * np.sum(arrays["b"])),
                                arrays)
    np.testing.assert_allclose(grads["a"], 2 * arrays["a"], atol=1e-9, err_msg="d/da sum(a^2)")
    np.testing.assert_allclose(grads["b"], 3.0, atol=1e-9, err_msg="d/db 3 sum(b)")


@pytest.mark.parametrize("seed", SEEDS)
def test_relative_error_properties(seed):
    a = np.random.default_rng(seed).standard_normal((3, 4))
    assert relative_error(a, a) == 0.0, f"relative_error(a, a) = {relative_error(a, a)}"
    assert relative_error(a, -a) == pytest.approx(1.0, rel=1e-15), (
        f"relative_error(a, -a) = {relative_error(a, -a)}, expected 1")
    assert relative_error(a, a * (1 + 1e-9)) < 1e-9
    assert relative_error(a, 2 * a) == pytest.approx(1.0 / 3.0, rel=1e-14)
    assert relative_error(a, a + 1.0) == relative_error(a + 1.0, a), "not symmetric"
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0


def test_check_gradients_catches_a_wrong_gradient():
    x = np.random.default_rng(0).standard_normal(5)
    def f():
        return float(np.sum(x ** 3))
    good = check_gradients(f, {"x": x}, {"x": 3 * x ** 2})
    bad = check_gradients(f, {"x": x}, {"x": 3 * x ** 2 * 1.01})
    assert good["x"] < TOLERANCE, f"correct gradient: relative error {good['x']:.2e}"
    assert bad["x"] > 1e-3, f"1% wrong gradient: relative error {bad['x']:.2e}, expected > 1e-3"
