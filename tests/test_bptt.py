"""Chapter 3's BPTT tools: the deliberately broken backward, truncated BPTT, its cost, its drawing."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lamassu_course import (VanillaRNN, numerical_gradients, relative_error,  # noqa: E402
                            softmax_cross_entropy)
from lamassu_course.classroom.plots import draw_truncated  # noqa: E402
from lamassu_course.experiments.bptt import (BUGS, backward_with_bug, bptt_cost,  # noqa: E402
                                 bptt_flops, forward_backward_seconds,
                                 truncated_gradients)

TOLERANCE = 1e-7


def _problem(seed, T=7, B=2, V=5, H=6, hidden_activation="tanh"):
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(V, H, V, seed=seed, hidden_activation=hidden_activation)
    for name in ("b_h", "b_y"):
        rnn.params[name][:] = 0.3 * rng.standard_normal(rnn.params[name].shape)
    ids = rng.integers(0, V, size=(T + 1, B))
    return rnn, np.eye(V)[ids[:-1]], ids[1:]


def _loss_and_grads(rnn, xs, targets):
    ys, hs = rnn.forward(xs)
    _, dys = softmax_cross_entropy(ys, targets)
    return hs, dys, rnn.backward(xs, hs, dys)


# ---------------------------------------------------------------- backward_with_bug
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bugs_break_the_hidden_gradients_only(seed, bug):
    rnn, xs, targets = _problem(seed)
    hs, dys, _ = _loss_and_grads(rnn, xs, targets)
    broken = backward_with_bug(rnn, xs, hs, dys, bug)
    assert sorted(broken) == sorted(rnn.params)
    numeric = numerical_gradients(lambda: softmax_cross_entropy(rnn.forward(xs)[0], targets)[0],
                                  rnn.params)
    for name in ("W_yh", "b_y"):   # the output layer is not part of the recursion
        assert relative_error(broken[name], numeric[name]) < TOLERANCE, (bug, name)
    for name in ("W_hx", "W_hh", "b_h"):
        error = relative_error(broken[name], numeric[name])
        assert error > 1e-2, f"bug {bug!r}: d{name} has relative error {error:.1e}; expected > 1e-2"


@pytest.mark.parametrize("seed", range(3))
def test_bugs_that_cannot_matter_leave_the_gradient_right(seed):
    # one step: no recursion to drop; identity g1: g1' = 1 to forget
    rnn, xs, targets = _problem(seed, T=1)
    hs, dys, right = _loss_and_grads(rnn, xs, targets)
    for name, value in backward_with_bug(rnn, xs, hs, dys, "no W_hh^T").items():
        np.testing.assert_allclose(value, right[name], rtol=1e-12, atol=1e-14, err_msg=name)
    rnn, xs, targets = _problem(seed, hidden_activation="identity")
    hs, dys, right = _loss_and_grads(rnn, xs, targets)
    for name, value in backward_with_bug(rnn, xs, hs, dys, "no g1'").items():
        np.testing.assert_allclose(value, right[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_unknown_bug_is_refused():
    rnn, xs, targets = _problem(0)
    hs, dys, _ = _loss_and_grads(rnn, xs, targets)
    with pytest.raises(ValueError, match="unknown bug 'typo'"):
        backward_with_bug(rnn, xs, hs, dys, "typo")


# ---------------------------------------------------------------- truncated_gradients
@pytest.mark.parametrize("seed", range(3))
def test_a_window_as_long_as_the_sequence_is_full_bptt(seed):
    rnn, xs, targets = _problem(seed)
    loss = softmax_cross_entropy(rnn.forward(xs)[0], targets)[0]
    _, _, full = _loss_and_grads(rnn, xs, targets)
    for window in (len(xs), len(xs) + 5):
        total, grads = truncated_gradients(rnn, xs, targets, window)
        assert total == pytest.approx(loss, rel=1e-12)
        for name in rnn.params:
            np.testing.assert_allclose(grads[name], full[name], rtol=1e-10, atol=1e-12,
                                       err_msg=f"d{name}, window={window}")


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("window", [1, 2, 3])
def test_truncated_gradient_is_the_gradient_with_the_boundary_states_held_fixed(seed, window):
    """Independent reference: finite differences of sum_w L_w(theta; h_start(w)), where the
    state entering each window is computed once, at the current parameters, then held fixed."""
    rnn, xs, targets = _problem(seed)
    h0 = 0.5 * np.random.default_rng(seed).standard_normal((xs.shape[1], rnn.sizes[1]))
    _, hs = rnn.forward(xs, h0)
    starts = range(0, len(xs), window)
    entering = {s: hs[s].copy() for s in starts}       # hs[s] enters the window at xs[s]

    def stopped_loss():
        return sum(softmax_cross_entropy(rnn.forward(xs[s:s + window], entering[s])[0],
                                         targets[s:s + window])[0] for s in starts)

    total, grads = truncated_gradients(rnn, xs, targets, window, h0=h0)
    assert total == pytest.approx(stopped_loss(), rel=1e-12)  # the forward pass is not truncated
    numeric = numerical_gradients(stopped_loss, rnn.params)
    for name in rnn.params:
        error = relative_error(grads[name], numeric[name])
        assert error < TOLERANCE, f"d{name}, window={window}: relative error {error:.1e}"


def test_truncation_changes_the_recurrent_gradient():
    rnn, xs, targets = _problem(0, T=12)
    full = truncated_gradients(rnn, xs, targets, 12)[1]
    short = truncated_gradients(rnn, xs, targets, 3)[1]
    np.testing.assert_allclose(short["W_yh"], full["W_yh"], rtol=1e-10)   # no recursion there
    assert relative_error(short["W_hh"], full["W_hh"]) > 1e-3


@pytest.mark.parametrize("window", [0, -1, 2.5, True])
def test_truncated_gradients_refuses_a_bad_window(window):
    rnn, xs, targets = _problem(0)
    with pytest.raises(ValueError, match="window is"):
        truncated_gradients(rnn, xs, targets, window)


def test_truncated_gradients_names_a_wrong_shape():
    rnn, xs, targets = _problem(0)
    with pytest.raises(ValueError, match="xs has shape"):
        truncated_gradients(rnn, xs[..., :-1], targets, 2)
    with pytest.raises(ValueError, match="targets has shape"):
        truncated_gradients(rnn, xs, targets[:-1], 2)


# ---------------------------------------------------------------- bptt_cost
def test_bptt_cost_counts_the_stored_arrays():
    rnn = VanillaRNN(5, 6, 4, seed=0)
    seconds, nbytes = bptt_cost(rnn, 10, batch_size=3)
    T, B, D, H, K = 10, 3, 5, 6, 4
    assert nbytes == 8 * (T * B * D + (T + 1) * B * H + 2 * T * B * K)
    assert seconds > 0
    with pytest.raises(ValueError, match="T is 0"):
        bptt_cost(rnn, 0)


# ---------------------------------------------------------------- bptt_flops, timing
def test_bptt_flops_by_hand():
    forward, backward = bptt_flops(T=2, B=3, D=4, H=5, K=6)
    # per row and step: W_hx x (5*4) + W_hh h (5*5) + W_yh h (6*5) = 75; 6 rows -> 450
    assert sum(forward.values()) == 450
    assert forward == {"W_hx x_t": 120, "W_hh h_(t-1)": 150, "W_yh h_t": 180}
    assert backward["dW_hh"] == backward["W_hh^T da_t"] == 150
    assert backward["dW_yh"] == backward["W_yh^T dy_t"] == 180
    assert backward["dW_hx"] == backward["W_hx^T da_t (dx_t)"] == 120


@pytest.mark.parametrize("sizes", [(1, 1, 1, 1, 1), (25, 32, 72, 100, 72), (7, 2, 3, 11, 5)])
def test_the_backward_pass_does_twice_the_products(sizes):
    forward, backward = bptt_flops(*sizes)
    assert sum(backward.values()) == 2 * sum(forward.values())


def test_bptt_flops_and_timing_refuse_bad_sizes():
    with pytest.raises(ValueError, match="H is 0"):
        bptt_flops(1, 1, 1, 0, 1)
    with pytest.raises(ValueError, match="T is 2.5"):
        bptt_flops(2.5, 1, 1, 1, 1)
    rnn = VanillaRNN(3, 4, 3, seed=0)
    with pytest.raises(ValueError, match="repeats is 0"):
        forward_backward_seconds(rnn, 5, repeats=0)
    with pytest.raises(ValueError, match="T is 0"):
        forward_backward_seconds(rnn, 0)


def test_forward_backward_seconds_are_positive_and_leave_the_weights():
    rnn = VanillaRNN(3, 4, 3, seed=0, dtype=np.float32)
    before = {name: value.copy() for name, value in rnn.params.items()}
    forward, backward = forward_backward_seconds(rnn, 5, batch_size=2, repeats=2)
    assert forward > 0 and backward > 0
    for name, value in rnn.params.items():
        np.testing.assert_array_equal(value, before[name])


# ---------------------------------------------------------------- draw_truncated
@pytest.mark.parametrize("steps, window", [(9, 3), (7, 3), (4, 4), (5, 1)])
def test_draw_truncated_stops_the_gradient_at_each_boundary(steps, window):
    fig, ax = plt.subplots()
    try:
        assert draw_truncated(ax, steps, window) is ax
        windows = -(-steps // window)
        bars = [line for line in ax.lines if line.get_linewidth() == 3]
        assert len(bars) == windows - 1, f"{len(bars)} stop bars; expected {windows - 1}"
        dashed = [p for p in ax.patches if getattr(p, "get_linestyle", lambda: "-")() == "--"]
        assert len(dashed) == steps - windows, f"{len(dashed)} gradient arrows; expected {steps - windows}"
        labels = [t.get_text() for t in ax.texts if t.get_text().startswith("window of")]
        assert len(labels) == windows
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_draw_truncated_refuses_bad_sizes():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="window is 0"):
            draw_truncated(ax, 5, 0)
    finally:
        plt.close(fig)
