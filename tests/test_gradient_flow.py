"""Chapter 4's measurements: Jacobian products, decay rates, the cliff, the recall task and the
explorer. Every gradient is compared with an independent computation (finite differences in
float64, explicit Jacobian matrices, or VanillaRNN.backward)."""
import re

import matplotlib
import numpy as np
import pytest

from lamassu_course import VanillaRNN, check_gradients, hidden_forward, numerical_gradient
from lamassu_course.experiments.cliff import cliff_loss, cliff_loss_and_grad, cliff_states
from lamassu_course.gated import GRU
from lamassu_course.experiments.gradients import (decay_rate, gradient_decay, model_state_gradient_norms,
                                      real_dominant_matrix, rescaled, state_gradients)
from lamassu_course.init import orthogonal, scaled_normal, spectral_radius
from lamassu_course.experiments.memory import last_step_loss, recall_accuracy, recall_batch, train_recall
from lamassu_course.classroom.vanishing import (draw_gradient_decay, gradient_decay_grid,
                                      gradient_explorer)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TOLERANCE = 1e-7


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


# ---------------------------------------------------------------- Jacobian products
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_state_gradients_equal_explicit_jacobian_products(seed, activation):
    """dL/dh_t = (J_T ... J_{t+1})^T dL/dh_T with J_t = diag(g1'(a_t)) W_hh, built as matrices."""
    rng = np.random.default_rng(seed)
    T, H = 7, 4
    W_hh, W_hx = scaled_normal(rng, H, H, 1.3), scaled_normal(rng, H, 3)
    b_h, xs = rng.standard_normal(H), rng.standard_normal((T, 1, 3))
    hs = hidden_forward(xs, 0.3 * rng.standard_normal((1, H)), W_hx, W_hh, b_h, activation)
    u = rng.standard_normal((1, H))
    dhs = state_gradients(W_hh, hs, u, activation)
    slope = {"tanh": lambda h: 1 - h ** 2, "sigmoid": lambda h: h * (1 - h),
             "identity": np.ones_like}[activation]
    product = np.eye(H)                                  # dh_T / dh_t, built from t = T down
    for t in range(T, -1, -1):
        np.testing.assert_allclose(dhs[t, 0], product.T @ u[0], rtol=1e-10, atol=1e-14,
                                   err_msg=f"dL/dh_{t} ({activation})")
        if t > 0:
            product = product @ (np.diag(slope(hs[t, 0])) @ W_hh)


def test_state_gradients_match_vanilla_backward_and_finite_differences():
    rng = np.random.default_rng(7)
    rnn = VanillaRNN(3, 5, 2, seed=7)
    rnn.params["b_h"][:] = rng.standard_normal(5)
    xs, h0, u = rng.standard_normal((6, 2, 3)), rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    _, hs = rnn.forward(xs, h0)
    dhs = state_gradients(rnn.params["W_hh"], hs, u)
    grads = rnn.backward(xs, hs, np.zeros((6, 2, 2)), dh_last=u)
    np.testing.assert_allclose(dhs[0], grads["h0"], rtol=1e-12)
    numeric = numerical_gradient(lambda: np.sum(u * rnn.forward(xs, h0)[1][-1]), h0)
    assert np.max(np.abs(numeric - dhs[0])) / np.max(np.abs(numeric)) < TOLERANCE


def test_linear_decay_rate_is_log_rho():
    """A normal matrix with eigenvalues rho, then at most 0.6 rho: the rate is log rho."""
    rng = np.random.default_rng(1)
    Q = orthogonal(rng, 6)
    for rho in (0.5, 1.0, 1.7):
        W = Q @ np.diag(rho * np.array([1.0, 0.6, -0.5, 0.3, 0.1, -0.6])) @ Q.T
        rate = decay_rate(gradient_decay(W, 80, "identity"), start=40)
        assert rate == pytest.approx(np.log(rho), abs=1e-9), f"rho={rho}"


@pytest.mark.parametrize("input_scale", [0.0, 0.1, 1.0])
def test_tanh_gradient_stays_below_the_sigma_max_bound(input_scale):
    """||dL_T/dh_{T-k}|| <= sigma_max^k ||dL_T/dh_T|| when |g1'| <= 1 (Pascanu et al., 2013)."""
    W = rescaled(scaled_normal(np.random.default_rng(2), 8, 8), 1.5, "sigma_max")
    norms = gradient_decay(W, 40, "tanh", input_scale)
    bound = 1.5 ** np.arange(41)[:, None]
    assert np.all(norms <= bound * (1 + 1e-12))
    np.testing.assert_allclose(norms[0], 1.0)


def test_decay_rate_of_a_geometric_sequence():
    norms = 0.8 ** np.arange(10.0)
    assert decay_rate(norms) == pytest.approx(np.log(0.8), abs=1e-12)
    assert decay_rate(np.stack([norms, 3 * norms], axis=1), start=4) == pytest.approx(np.log(0.8))
    _raises(ValueError, "norms holds zeros or negative values", lambda: decay_rate([1.0, 0.0, 0.1]))
    _raises(ValueError, "start is 9; expected 0 <= start <= 8", lambda: decay_rate(norms, 9))


def test_rescaled_and_real_dominant_matrix():
    rng = np.random.default_rng(3)
    W = real_dominant_matrix(rng, 10, max_ratio=0.9)
    eigenvalues = np.linalg.eigvals(W)
    order = np.argsort(-np.abs(eigenvalues))
    assert eigenvalues[order[0]].imag == 0
    assert abs(eigenvalues[order[1]]) <= 0.9 * abs(eigenvalues[order[0]])
    assert spectral_radius(rescaled(W, 1.1)) == pytest.approx(1.1)
    assert np.linalg.norm(rescaled(W, 1.1, "sigma_max"), 2) == pytest.approx(1.1)
    _raises(ValueError, "unknown by 'norm'", lambda: rescaled(W, 1.0, "norm"))
    _raises(ValueError, "W has shape (2, 3); expected a square matrix (H, H)",
            lambda: rescaled(np.ones((2, 3)), 1.0))
    _raises(ValueError, "max_ratio is 1.5", lambda: real_dominant_matrix(rng, 4, 1.5))


def test_gradient_decay_checks_its_arguments():
    _raises(ValueError, "steps is 0; expected a positive integer",
            lambda: gradient_decay(np.eye(2), 0))
    _raises(ValueError, "input_scale is -1", lambda: gradient_decay(np.eye(2), 5, input_scale=-1))
    _raises(ValueError, "unknown activation 'softmax'",
            lambda: gradient_decay(np.eye(2), 5, "softmax"))


def test_model_state_gradient_norms_for_the_vanilla_rnn():
    """With the loss on the last output only, row t is ||dL/dh_t|| from the Jacobian chain."""
    rng = np.random.default_rng(4)
    rnn = VanillaRNN(3, 6, 2, seed=4)
    xs = rng.standard_normal((5, 3, 3))
    dys = np.zeros((5, 3, 2))
    dys[-1] = rng.standard_normal((3, 2))
    _, hs = rnn.forward(xs)
    dhs = state_gradients(rnn.params["W_hh"], hs, dys[-1] @ rnn.params["W_yh"])
    norms = model_state_gradient_norms(rnn, xs, dys)
    np.testing.assert_allclose(norms, np.linalg.norm(dhs[:-1], axis=2), rtol=1e-12)


# ---------------------------------------------------------------- the cliff
def test_cliff_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    w, b = rng.uniform(-2, 4, size=6), rng.uniform(-3, 2, size=6)
    _, dw, db = cliff_loss_and_grad(w, b, steps=20)
    for i in range(6):
        arrays = {"w": w[i:i + 1].copy(), "b": b[i:i + 1].copy()}
        errors = check_gradients(lambda: float(cliff_loss(arrays["w"], arrays["b"], 20)[0]),
                                 arrays, {"w": dw[i:i + 1], "b": db[i:i + 1]})
        for name, error in errors.items():
            assert error < TOLERANCE, f"d{name} at (w, b) = ({w[i]:.3f}, {b[i]:.3f}): {error:.2e}"


def test_cliff_is_a_one_unit_vanilla_rnn():
    """h_t = sigmoid(w h_{t-1} + b): VanillaRNN(1, 1, 1) with no input gives the same states
    and the same gradients."""
    w, b, T = 4.7, -2.4, 50
    rnn = VanillaRNN(1, 1, 1, hidden_activation="sigmoid", seed=0)
    rnn.params.update(W_hx=np.zeros((1, 1)), W_hh=np.array([[w]]), b_h=np.array([b]))
    h0 = np.array([[1 / (1 + np.exp(-0.5))]])
    xs = np.zeros((T, 1, 1))
    _, hs = rnn.forward(xs, h0)
    np.testing.assert_allclose(cliff_states(np.array(w), np.array(b), T), hs[:, 0, 0], rtol=1e-12)
    loss, dw, db = cliff_loss_and_grad(np.array(w), np.array(b), T)
    grads = rnn.backward(xs, hs, np.zeros((T, 1, 1)), dh_last=2 * (hs[-1] - 0.7))
    assert float(loss) == pytest.approx(float((hs[-1, 0, 0] - 0.7) ** 2))
    assert float(dw) == pytest.approx(grads["W_hh"][0, 0], rel=1e-12)
    assert float(db) == pytest.approx(grads["b_h"][0], rel=1e-12)


def test_cliff_wall_is_where_h0_is_the_unstable_fixed_point():
    """On the line b = 0.5 - w sigma(0.5) the state stays at h_0; across it the loss jumps."""
    w = np.array([6.0, 6.0, 6.0])
    edge = 0.5 - 6.0 / (1 + np.exp(-0.5))
    loss = cliff_loss(w, edge + np.array([-1e-3, 0.0, 1e-3]))
    assert loss[0] > 0.4 and loss[2] < 0.05
    np.testing.assert_allclose(cliff_states(w[1], np.array(edge))[-1], 1 / (1 + np.exp(-0.5)),
                               atol=1e-3)
    _raises(ValueError, "w has shape (3,) but b has shape (2,)",
            lambda: cliff_loss(w, np.zeros(2)))
    _raises(ValueError, "steps is 0", lambda: cliff_states(w, w, 0))


# ---------------------------------------------------------------- the recall task
def test_recall_batch_layout():
    xs, targets = recall_batch(np.random.default_rng(0), 5, 7, n_symbols=3)
    assert xs.shape == (8, 5, 4) and targets.shape == (5,)
    np.testing.assert_array_equal(xs.sum(axis=2), 1.0)               # one-hot everywhere
    np.testing.assert_array_equal(np.argmax(xs[0], axis=1), targets)  # x_1 holds the target
    np.testing.assert_array_equal(xs[-1, :, 3], 1.0)                  # the cue, last
    assert not xs[:-1, :, 3].any()                                    # and only last
    _raises(ValueError, "delay is 0; expected a positive integer",
            lambda: recall_batch(np.random.default_rng(0), 5, 0))
    _raises(ValueError, "n_symbols is 1; expected at least 2",
            lambda: recall_batch(np.random.default_rng(0), 5, 3, n_symbols=1))


def test_last_step_loss_scores_only_the_last_output():
    rng = np.random.default_rng(1)
    ys, targets = rng.standard_normal((4, 3, 5)), rng.integers(0, 5, 3)
    loss, dys = last_step_loss(ys, targets)
    assert not dys[:-1].any()
    numeric = numerical_gradient(lambda: last_step_loss(ys, targets)[0], ys)
    assert np.max(np.abs(numeric - dys)) / np.max(np.abs(dys)) < TOLERANCE


class _Oracle:
    """A stand-in model whose last output names the first input's symbol."""

    def forward(self, xs):
        return np.repeat(xs[:1, :, :-1], len(xs), axis=0), None


def test_recall_accuracy_and_training():
    xs, targets = recall_batch(np.random.default_rng(2), 200, 6)
    assert recall_accuracy(_Oracle(), xs, targets) == 1.0
    for model in (VanillaRNN(5, 8, 4, seed=0), GRU(5, 8, 4, seed=0, update_bias=-2.0)):
        history = train_recall(model, 3, 150, seed=0)
        assert history["loss"].shape == history["grad_norm"].shape == (150,)
        assert history["loss"][-20:].mean() < 0.5 * history["loss"][:20].mean()
        xs, targets = recall_batch(np.random.default_rng(3), 200, 3)
        assert recall_accuracy(model, xs, targets) > 0.9, type(model).__name__
    _raises(ValueError, "targets has shape (3,); expected (B,) with B=200",
            lambda: recall_accuracy(_Oracle(), xs, targets[:3]))


# ---------------------------------------------------------------- the explorer
def test_draw_gradient_decay_curves_follow_rho_in_the_linear_case():
    W = real_dominant_matrix(np.random.default_rng(4), 12)
    fig, ax = plt.subplots()
    curves = draw_gradient_decay(ax, W, [0.7, 1.2], "identity", steps=50)
    for rho, curve in curves.items():
        assert curve.shape == (51,) and curve[0] == pytest.approx(1.0)
        assert np.log(curve[50] / curve[40]) / 10 == pytest.approx(np.log(rho), abs=1e-2)
    assert len(ax.get_lines()) == 4 and ax.get_legend() is not None
    plt.close(fig)
    _raises(ValueError, "unknown by 'rho'", lambda: draw_gradient_decay(ax, W, [1], by="rho"))


def test_grid_and_explorer_build():
    W = real_dominant_matrix(np.random.default_rng(5), 6)
    fig = gradient_decay_grid(W, [0.9, 1.1], input_scales=(0.1, 1.0), steps=10)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3
    plt.close(fig)
    explorer = gradient_explorer(W, steps=10)
    assert [child.description for child in explorer.children[:4]] == [
        "rho(W_hh)", "g1", "T", "input scale"]
    plt.close("all")
