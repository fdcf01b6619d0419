"""Every check passes the right answer and names each typical wrong answer.

A student's answer is written here the way a student would write it (NumPy, not the
package), so a check that compares with the wrong reference fails here too.
"""
import numpy as np
import pytest

from lamassu_course.classroom.exercises import silly as silly_module

from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import (check_contraction_rate, check_count_parameters,
                                      check_fixed_point, check_output_probabilities,
                                      check_rnn_forward, check_rnn_step, check_seed_forward,
                                      check_tanh_derivative)

tanh = np.tanh


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax_rows(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def rho(M):
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def iterate(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000, give_up=RuntimeError, start=0.0,
            change=lambda d: np.max(np.abs(d)), steps=None, return_old=False, late=0):
    """A student's fixed-point loop; give_up=None returns the last state instead of raising.

    The mistakes a reader can make: another start, another measure of the change (the 2-norm),
    a number of steps of one's own (steps=lambda max_steps: 1000), the state before the last,
    ``late`` steps more after the stop."""
    h = np.full(len(b_h), start)
    for _ in range(max_steps if steps is None else steps(max_steps)):
        h, h_old = tanh(W_hh @ h + W_hx @ x + b_h), h
        if change(h - h_old) < tol:
            for _ in range(late):
                h = tanh(W_hh @ h + W_hx @ x + b_h)
            return h_old if return_old else h
    if give_up is None:
        return h
    raise give_up("no fixed point: the state may be cycling")


def iterate_while(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """A right answer written another way: a while loop with a counter and a loop over units."""
    h, step = np.zeros(len(b_h)), 0
    while step < max_steps:
        step += 1
        h_new = np.empty_like(h)
        for i in range(len(h)):
            h_new[i] = np.tanh(W_hh[i] @ h + W_hx[i] @ x + b_h[i])
        if np.abs(h_new - h).max() < tol:
            return h_new
        h = h_new
    raise RuntimeError(f"not settled after {max_steps} steps")


def iterate_by_units(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """Right, with a loop over the units whose lines run H times a step, and a log line."""
    H = len(b_h)
    h = np.zeros(H)
    for step in range(max_steps):
        h_new = np.zeros(H)
        for i in range(H):
            recurrent = W_hh[i] @ h
            drive = W_hx[i] @ x + b_h[i]
            h_new[i] = np.tanh(recurrent + drive)
        if step % 10 == 0:
            log = f"step {step}: largest change {np.max(np.abs(h_new - h)):.2e}"
            assert log
        if np.max(np.abs(h_new - h)) < tol:
            return h_new
        h = h_new
    raise RuntimeError("no fixed point")


def iterate_with_hidden_step(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """Right, with the package's hidden_step (not refused here: the exercise is the loop)."""
    from lamassu_course import hidden_step
    h = np.zeros((1, len(b_h)))
    for _ in range(max_steps):
        h_new = hidden_step(x[None], h, W_hx, W_hh, b_h)[0]
        if np.max(np.abs(h_new - h)) < tol:
            return h_new[0]
        h = h_new
    raise RuntimeError("no fixed point")


def two_steps_a_pass(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """Right: two steps a pass, (max_steps + 1) // 2 passes, each step tested."""
    h = np.zeros(len(b_h))
    for _ in range((max_steps + 1) // 2):
        for _ in range(2):
            h, h_old = tanh(W_hh @ h + W_hx @ x + b_h), h
            if np.max(np.abs(h - h_old)) < tol:
                return h
    raise RuntimeError("no fixed point")


def two_steps_a_pass_wrong(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """Wrong: two steps a pass, max_steps passes, so 2 * max_steps steps before giving up."""
    h = np.zeros(len(b_h))
    for _ in range(max_steps):
        for _ in range(2):
            h, h_old = tanh(W_hh @ h + W_hx @ x + b_h), h
            if np.max(np.abs(h - h_old)) < tol:
                return h
    raise RuntimeError("no fixed point")


def softmax_shifted(shift):
    """A softmax that subtracts something other than each row's maximum (an overflow mistake)."""
    def answer(h, W_yh, b_y):
        z = h @ W_yh.T + b_y
        e = np.exp(z - {"min": z.min(axis=1, keepdims=True), "mean": z.mean(axis=1, keepdims=True),
                        "global": z.max()}[shift])
        return e / e.sum(axis=1, keepdims=True)
    return answer


def loop_forever(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """`while True:` without a bound: right where the state settles, endless where it cycles."""
    h = np.zeros(len(b_h))
    while True:
        h, h_old = tanh(W_hh @ h + W_hx @ x + b_h), h
        if np.max(np.abs(h - h_old)) < tol:
            return h


def never_stops(W_hh, W_hx, b_h, x, tol=1e-10, max_steps=10_000):
    """A loop that forgets its exit test, and swallows every Exception on the way."""
    h = np.zeros(len(b_h))
    while True:
        try:
            h = tanh(W_hh @ h + W_hx @ x + b_h)
        except Exception:
            pass


def rnn_forward(xs, h0, W_hx, W_hh, b_h, shift=0, carry=True):
    """A student's loop over time; shift=1 reads the next input, carry=False restarts from h0."""
    hs = [h0]
    for t in range(len(xs)):
        x = xs[t + shift] if t + shift < len(xs) else 0 * xs[0]
        hs.append(tanh(x @ W_hx.T + (hs[-1] if carry else h0) @ W_hh.T + b_h))
    return np.array(hs)


def rnn_forward_past_the_end(xs, h0, W_hx, W_hh, b_h):
    """The natural off-by-one: hs[t] = step(xs[t], hs[t-1]) for t = 1..T reads xs[T]."""
    hs = [h0]
    for t in range(1, len(xs) + 1):
        hs.append(tanh(xs[t] @ W_hx.T + hs[t - 1] @ W_hh.T + b_h))
    return np.array(hs)


def rnn_forward_preallocated(xs, h0, W_hx, W_hh, b_h):
    """The same off-by-one, with hs allocated first."""
    hs = np.zeros((len(xs) + 1,) + h0.shape)
    hs[0] = h0
    for t in range(len(xs)):
        hs[t + 1] = tanh(xs[t + 1] @ W_hx.T + hs[t] @ W_hh.T + b_h)
    return hs


def seed_forward(xs, h0, W_hh, W_xh, W_hy, Bh, By, y_from_before=False, By_on=True, W_hh_T=False,
                 W_xh_T=False, Bh_on=True, W_hy_T=True, carry=True, h0_on=True, seed_bug=False):
    """A student's loop over the seed's network, fixed; the keywords are the typical mistakes."""
    h, ys = (h0 if h0_on else np.zeros_like(h0)), []
    for x in xs:
        new = tanh((h if carry else h0) @ (W_hh.T if W_hh_T else W_hh)
                   + x @ (W_xh.T if W_xh_T else W_xh) + (Bh if Bh_on else 0))
        read = h if y_from_before else new
        ys.append(W_hy.dot(read) + By if seed_bug else
                  read @ (W_hy.T if W_hy_T else W_hy) + (By if By_on else 0))
        h = new
    return np.array(ys), h


def seed_forward_columns(xs, h0, W_hh, W_xh, W_hy, Bh, By):
    """The math's column layout with the seed's (in, out) matrices: runs only when square."""
    h, ys = h0, []
    for x in xs:
        h = np.tanh(W_hh @ h + W_xh @ x + Bh)
        ys.append(h @ W_hy.T + By)
    return np.array(ys), h


def seed_forward_bias_outside(xs, h0, W_hh, W_xh, W_hy, Bh, By):
    h, ys = h0, []
    for x in xs:
        h = np.tanh(h @ W_hh + x @ W_xh) + Bh
        ys.append(h @ W_hy.T + By)
    return np.array(ys), h


def seed_forward_tanh_output(xs, h0, W_hh, W_xh, W_hy, Bh, By):
    ys, h = seed_forward(xs, h0, W_hh, W_xh, W_hy, Bh, By)
    return np.tanh(ys), h


def seed_forward_preallocated(xs, h0, W_hh, W_xh, W_hy, Bh, By):
    """A right answer written another way: ys allocated first, an index over time."""
    ys = np.empty((len(xs), len(h0), len(By)))
    h = h0
    for t in range(len(xs)):
        h = np.tanh(np.dot(h, W_hh) + np.dot(xs[t], W_xh) + Bh)
        ys[t] = np.dot(h, W_hy.T) + By
    return ys, h


def rate(h, x, W_hh, W_xh, Bh, dg, a=None, slope=None, J=None):
    """A student's rho(J) in the seed's layout; a, slope and J replace a part by a mistake."""
    a = h @ W_hh + x @ W_xh + Bh if a is None else a
    J = np.diag(dg(a) if slope is None else slope) @ W_hh.T if J is None else J
    return rho(J)


# (check, the right answer, its number of cases)
RIGHT = [
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx.T + h @ W_hh.T + b), 6),
    (check_rnn_forward, rnn_forward, 4),
    (check_count_parameters, lambda D, H, K: H * D + H * H + K * H + H + K, 5),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(h @ W_yh.T + b_y), 9),
    (check_tanh_derivative, lambda a: 1 - tanh(a) ** 2, 4),
    (check_seed_forward, seed_forward, 5),
    (check_seed_forward, seed_forward_preallocated, 5),
    (check_fixed_point, iterate, 10),
    (check_fixed_point, iterate_while, 10),
    (check_fixed_point, iterate_by_units, 10),
    (check_fixed_point, iterate_with_hidden_step, 10),
    (check_fixed_point, two_steps_a_pass, 10),
    (check_fixed_point, lambda *args: iterate(*args, return_old=True), 10),  # the state before: fine
    (check_contraction_rate, rate, 5),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(  # J with the seed's W_hh: the
        h, x, W_hh, W_xh, Bh, dg, J=np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh), 5),  # same rho
]

# (check, a typical wrong answer, the words its hint must contain)
WRONG = [
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx.T + h @ W_hh + b),
     "looks like W_hh is transposed: in the row layout the recurrent term is h_prev @ W_hh.T"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx + h @ W_hh.T + b),
     "looks like W_hx is transposed"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx.T + h @ W_hh.T),
     "the bias b_h is missing"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: x @ W_hx.T + h @ W_hh.T + b,
     "no tanh: you returned the pre-activation"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: sigmoid(x @ W_hx.T + h @ W_hh.T + b),
     "you used a sigmoid"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: np.maximum(0, x @ W_hx.T + h @ W_hh.T + b),
     "you used a ReLU"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx.T + b), "h_prev is ignored"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(h @ W_hh.T + b), "x_t is ignored"),
    (check_count_parameters, lambda D, H, K: H * D + H * H + K * H, "the biases are forgotten"),
    (check_count_parameters, lambda D, H, K: H * D + K * H + H + K, "W_hh is forgotten"),
    (check_count_parameters, lambda D, H, K: H * D + H * H + K * H + H,
     "the output bias b_y (K numbers) is forgotten"),
    (check_count_parameters, lambda D, H, K: 2 * H * D + K * H + H + K, "W_hh counted as H*D"),
    (check_count_parameters, lambda D, H, K: float(H * D + H * H + K * H + H + K),
     "returned 42.0, a float; a count of parameters is a whole number: return an int"),
    (check_count_parameters, lambda D, H, K: H * D + H * H + K * H + H + K + 1,
     "returned 43, which is 1 too many"),
    (check_output_probabilities, lambda h, W_yh, b_y: h @ W_yh.T + b_y, "no softmax"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(h @ W_yh.T + b_y, axis=0),
     "softmax over axis 0 (the batch)"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(h @ W_yh.T),
     "the bias b_y is missing"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(h @ W_yh + b_y),
     "looks like W_yh is transposed"),
    (check_output_probabilities, lambda h, W_yh, b_y: sigmoid(h @ W_yh.T + b_y), "you used a sigmoid"),
    (check_output_probabilities, lambda h, W_yh, b_y: np.exp(h @ W_yh.T + b_y),
     "the rows do not sum to 1"),
    (check_tanh_derivative, lambda a: 1 - a ** 2, "1 - a**2 uses a where it needs tanh(a)"),
    (check_tanh_derivative, lambda a: 1 - tanh(a), "the square is missing"),
    (check_tanh_derivative, tanh, "you returned tanh(a) itself"),
    (check_tanh_derivative, lambda a: 1 / np.cosh(a), "1/cosh(a) is sech(a), not squared"),
    (check_seed_forward, lambda *args: seed_forward(*args, seed_bug=True),
     "this is the seed's bug: W_hy.dot(h) mixes the rows of the batch"),
    (check_seed_forward, lambda *args: seed_forward(*args, W_hy_T=False), "W_hy is (K, H)"),
    (check_seed_forward, lambda *args: seed_forward(*args, By_on=False), "the output bias By is missing"),
    (check_seed_forward, lambda *args: seed_forward(*args, y_from_before=True),
     "each y is computed from the state before its step"),
    (check_seed_forward, lambda *args: seed_forward(*args, W_hh_T=True), "W_hh is transposed"),
    (check_seed_forward, lambda *args: seed_forward(*args, W_xh_T=True), "W_xh is transposed"),
    (check_seed_forward, lambda *args: seed_forward(*args, Bh_on=False), "the hidden bias Bh is missing"),
    (check_seed_forward, lambda *args: seed_forward(*args, carry=False), "the state is not carried"),
    (check_seed_forward, lambda *args: seed_forward(*args, h0_on=False), "h0 is ignored"),
    (check_seed_forward, lambda *args: seed_forward(*args)[::-1], "ys and h are swapped"),
    (check_seed_forward, seed_forward_columns, "you wrote the math's column layout"),
    (check_seed_forward, seed_forward_bias_outside, "Bh is added after the tanh"),
    (check_seed_forward, seed_forward_tanh_output, "the output has no tanh"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, slope=1 - np.tanh(h @ W_hh + x @ W_xh + Bh) ** 2),
     "1 - tanh(a)**2 is the slope of tanh only"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: float(np.max(np.linalg.eigvals(
        np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh.T).real)), "the largest real part"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: np.linalg.norm(
        np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh.T), "you returned the Frobenius norm"),
    (check_contraction_rate, lambda *args: silly_module._rate(*args),
     "calls lamassu_course's"),
    (check_seed_forward, lambda *args: (seed_forward(*args)[0], args[1]), "h is h0: return the last state"),
    (check_seed_forward, lambda *args: (seed_forward(*args)[0][-1], seed_forward(*args)[1]),
     "ys holds only the last step's output"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx + h @ W_hh + b),
     "both weights are untransposed"),
    (check_count_parameters, lambda D, H, K: H * D + H * H + K * H + K, "the hidden bias b_h"),
    (check_rnn_forward, lambda *args: rnn_forward(*args)[1:], "hs has T entries; it needs T+1"),
    (check_rnn_forward, lambda *args: rnn_forward(*args, shift=1), "off by one in time"),
    (check_rnn_forward, lambda *args: rnn_forward(*args, carry=False), "the state is not carried"),
    (check_rnn_forward, lambda xs, h0, *w: rnn_forward(xs, 0 * h0, *w), "h0 is ignored"),
    (check_rnn_forward, lambda xs, h0, W_hx, W_hh, b: rnn_forward(xs, h0, W_hx, W_hh.T, b),
     "W_hh is transposed"),
    (check_output_probabilities, lambda h, W, b: (lambda e: e / e.sum(1, keepdims=True))(
        np.exp(h @ W.T + b)), "overflow"),
    (check_output_probabilities, softmax_shifted("min"), "you subtracted each row's minimum"),
    (check_output_probabilities, softmax_shifted("mean"), "you subtracted each row's mean"),
    (check_output_probabilities, softmax_shifted("global"),
     "you subtracted the largest score of the whole batch"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: tanh(W_hx @ x + b_h), "one step only"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh.T, W_hx, b_h, x),
     "looks like W_hh is transposed"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, tol=1e-5),
     "steps early: keep iterating until the largest absolute change is below the tol argument"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, 1e-10),
     "steps late: stop at the first step whose largest absolute change"),   # tol ignored
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, 1e-10),
     "you seem to ignore tol: a tolerance of your own, or an exact solver"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, 1e-15),
     "you seem to ignore tol"),                       # solved exactly
    (check_fixed_point, lambda *args: iterate(*args, change=np.linalg.norm),
     "you seem to use the 2-norm of the change, which is larger than its largest entry"),
    (check_fixed_point, lambda *args: iterate(*args, start=0.3),
     "start the iteration from h = np.zeros(H)"),
    (check_fixed_point, lambda *args: iterate(*args, start=0.3, change=np.linalg.norm),
     "start the iteration from h = np.zeros(H)"),
    (check_fixed_point, lambda *args: iterate(*args, steps=lambda max_steps: 1000),
     "returned a state although max_steps=956 steps are not enough to settle (this network "
     "needs 958): give up after max_steps steps and raise RuntimeError"),
    (check_fixed_point, lambda *args: iterate(*args, steps=lambda max_steps: 15 * max_steps),
     "returned a state although max_steps=956 steps"),
    (check_fixed_point, two_steps_a_pass_wrong, "returned a state although max_steps=956 steps"),
    (check_fixed_point, lambda *args: iterate(*args, steps=lambda max_steps: max_steps // 2),
     "raised RuntimeError with max_steps=959, although the state settles at step 958"),
    (check_fixed_point, lambda *args: iterate(*args, steps=lambda max_steps: max_steps - 2),
     "raised RuntimeError with max_steps=959, although the state settles at step 958"),
    (check_fixed_point, lambda *args: iterate(*args) + 0.05, "not a fixed point: the residual"),
    (check_fixed_point, loop_forever, "returned a state although max_steps=956 steps"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, tol),
     "returned a state although max_steps=956 steps"),      # ignores max_steps: 10_000 steps
    (check_fixed_point, lambda *args: iterate(*args, late=1), "stopped 1 step late: stop at the "
     "first step whose largest absolute change, np.max(np.abs(h_new - h)), is below the tol "
     "argument (here tol=1e-10); return the state of that step (or the one before it), not a "
     "step more"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(
        W_hh, W_hx, 0 * b_h, x, tol, max_steps), "the bias b_h is missing"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(
        W_hh, W_hx, b_h, 0 * x, tol, max_steps), "the input term W_hx @ x is missing"),
    (check_fixed_point, lambda *args: iterate(*args, give_up=None),
     "returned a state although max_steps=956 steps are not enough"),
    (check_fixed_point, lambda *args: iterate(*args, give_up=ValueError),
     "your function raised ValueError: no fixed point: the state may be cycling; when the state "
     "has not settled after max_steps steps, raise RuntimeError"),
    (check_fixed_point, lambda W_hh, W_hx, b_h, x, tol, max_steps: iterate(W_hh, W_hx, b_h, x, tol, 500),
     "raised RuntimeError on a network whose state settles in fewer than max_steps steps"),
    (check_fixed_point, never_stops,
     "still running after 200 * max_steps runs of one line on a network that settles"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rho(W_hh), "you returned rho(W_hh)"),
    (check_contraction_rate, lambda h, *args: rate(h, *args, slope=1 - h ** 2),
     "1 - h_star**2 is the slope of tanh only"),
    (check_contraction_rate, lambda h, *args: rate(h, *args, a=h), "you applied dg to h_star"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, a=W_hh @ h + W_xh @ x + Bh), "you wrote the math's column layout"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, a=h @ W_hh.T + x @ W_xh + Bh), "W_hh is transposed in a*"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, a=h @ W_hh + x @ W_xh.T + Bh), "W_xh is transposed in a*"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, a=h @ W_hh + x @ W_xh), "the hidden bias Bh is missing"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: rate(
        h, x, W_hh, W_xh, Bh, dg, a=h @ W_hh + Bh), "the input term is missing"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: np.linalg.norm(
        np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh.T, 2), "you returned the largest singular value"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh.T,
     "you returned the Jacobian matrix"),
    (check_contraction_rate, lambda h, x, W_hh, W_xh, Bh, dg: np.linalg.eigvals(
        np.diag(dg(h @ W_hh + x @ W_xh + Bh)) @ W_hh.T)[0], "you returned a complex eigenvalue"),
    (check_tanh_derivative, lambda a: (1 - tanh(a)) ** 2, "(1 - tanh(a))**2 squares the difference"),
]

# (check, a typical wrong answer that raises, the words its hint must contain): the hint of
# the mistake behind the exception, then the exception itself
CRASHING = [
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(W_hh @ h + W_hx @ x + b),
     "you wrote the math's column layout, W_hh @ h_prev + W_hx @ x_t"),
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(W_hx @ x + W_hh @ h + b[:, None]),
     "you wrote the math's column layout"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(W_yh @ h + b_y),
     "you wrote the math's column layout, W_yh @ h_t"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(W_yh @ h + b_y, axis=0),
     "you wrote the math's column layout, W_yh @ h_t"),
    (check_rnn_forward, rnn_forward_past_the_end, "off by one in time: your loop reads xs[T]"),
    (check_rnn_forward, rnn_forward_preallocated, "off by one in time: your loop reads xs[T]"),
]

# (check, an answer of the wrong shape, the shape message)
WRONG_SHAPE = [
    (check_rnn_step, lambda x, h, W_hx, W_hh, b: tanh(x @ W_hx.T + h @ W_hh.T + b).T,
     "returned shape (4, 3); expected (B, H) = (3, 4)"),
    (check_output_probabilities, lambda h, W_yh, b_y: softmax_rows(h @ W_yh.T + b_y)[:, :1],
     "returned shape (3, 1); expected (B, K) = (3, 4)"),
    (check_tanh_derivative, lambda a: np.ravel(1 - tanh(a) ** 2)[:3],
     "returned shape (3,); expected the shape of a = (7,)"),
    (check_seed_forward, lambda *args: seed_forward(*args)[0], "returned ndarray; expected a pair (ys, h)"),
    (check_seed_forward, lambda *args: (seed_forward(*args)[0], seed_forward(*args)[1].T[:1]),
     "h: returned shape (1, 3); expected (B, H) = (3, 3)"),
    (check_fixed_point, lambda *args: iterate(*args)[:, None],
     "returned shape (4, 1); expected (H,) = (4,)"),
    (check_contraction_rate, lambda *args: [1.0, 2.0],
     "returned an array of shape (2,); expected a single number"),
]

ALL_CHECKS = sorted({check for check, *_ in RIGHT}, key=lambda check: check.__name__)


def _label(item):
    return getattr(item, "__name__", None) if callable(item) else None


@pytest.mark.parametrize("check, answer, n_cases", RIGHT, ids=_label)
def test_right_answer_passes(check, answer, n_cases, checks):
    checks.passes(check, answer, n_cases)


@pytest.mark.parametrize("check, answer, hint", WRONG, ids=[f"{c.__name__}-{h[:30]}" for c, _, h in WRONG])
def test_typical_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check, answer, hint", CRASHING,
                         ids=[f"{c.__name__}-{h[:30]}" for c, _, h in CRASHING])
def test_answer_that_raises_gets_the_hint_of_its_mistake(check, answer, hint, checks, capsys):
    """The exception comes from a typical mistake: its hint, then the exception, briefly."""
    assert check(answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {check.__name__}: {hint}"), out
    assert "\n   (your function raised " in out and "(case 1 of " in out, out
    assert out.count("✗") == 1, out


def test_an_exception_no_mistake_explains_is_reported_as_it_is(capsys):
    """A column-layout answer with its own bug (here a transposed result) is not blamed on the
    column layout: on the square cases, where it runs, its values are not the layout's."""
    assert check_rnn_step(lambda x, h, W_hx, W_hh, b: tanh(W_hh @ h + W_hx @ x + b).T) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ check_rnn_step: your function raised ValueError: matmul"), out


@pytest.mark.parametrize("check, answer, message", WRONG_SHAPE, ids=[c.__name__ for c, *_ in WRONG_SHAPE])
def test_wrong_shape_is_reported_with_letters(check, answer, message, capsys):
    assert check(answer) is False
    assert message in capsys.readouterr().out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=_label)
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=_label)
def test_other_exception_is_named_with_the_input_shapes(check, capsys):
    def broken(*args, **kwargs):
        return np.ones((2, 3)) @ np.ones((4, 5))
    assert check(broken) is False
    out = capsys.readouterr().out
    assert "your function raised ValueError: matmul" in out
    assert "(case 1 of " in out


def test_exception_message_names_every_input_shape(capsys):
    def fails_when_D_differs_from_H(x, h, W_hx, W_hh, b):
        return tanh(x @ W_hx.T + h @ W_hh.T + b) + 0 * (x @ W_hh)
    assert check_rnn_step(fails_when_D_differs_from_H) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ check_rnn_step: your function raised ValueError: matmul")
    assert "(case 2 of 6, inputs x_t (2, 5), h_prev (2, 3), W_hx (3, 5), W_hh (3, 3), b_h (3,))" in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=_label)
def test_forgotten_return_and_non_function(check, capsys):
    assert check(lambda *args: None) is False
    assert "returned None: did you forget the `return`?" in capsys.readouterr().out
    assert check(42) is False
    assert "expected a function; got int 42" in capsys.readouterr().out


def test_wrong_values_report_the_largest_difference(capsys):
    assert check_tanh_derivative(lambda a: 1 - tanh(a) ** 2 + 0.25) is False
    out = capsys.readouterr().out
    assert "wrong values: the largest absolute difference is 0.25" in out
    assert "(case 1 of 4, inputs a (7,))" in out


def test_answer_may_change_its_inputs_without_fooling_the_check(capsys):
    def in_place(x, h, W_hx, W_hh, b):
        W_hh *= 0          # the check passes copies: the reference still sees the real W_hh
        return tanh(x @ W_hx.T + b)
    assert check_rnn_step(in_place) is False
    assert "h_prev is ignored" in capsys.readouterr().out


def test_checks_are_exported():
    """Every check tested here is exported, and every export is a check_* function."""
    missing = sorted({check.__name__ for check in ALL_CHECKS} - set(exercises.__all__))
    assert not missing, f"checks not in exercises.__all__: {missing}"
    for name in exercises.__all__:
        assert name.startswith("check_") and callable(getattr(exercises, name)), name


def test_float32_answer_passes(capsys):
    def step32(x, h, W_hx, W_hh, b):
        x, h, W_hx, W_hh, b = (np.asarray(v, dtype=np.float32) for v in (x, h, W_hx, W_hh, b))
        return tanh(x @ W_hx.T + h @ W_hh.T + b)
    assert check_rnn_step(step32) is True


# -- Exercise 2.2's cases: what the check's design relies on -----------------------------------

def test_fixed_point_cases_settle_in_time_and_the_cycling_case_never_settles():
    from lamassu_course.classroom.exercises import silly
    steps = [silly._iterate(**case)[1] for case in silly._settling_cases()]
    assert all(n is not None and n <= silly.SETTLING_MAX_STEPS // 3 for n in steps), steps
    assert 500 < steps[-2], f"the slow case settles in {steps[-2]} steps; a cap of 500 must fail it"
    case = silly._cycling_case(np.random.default_rng(1011), 3, 2)
    h, settled = silly._iterate(**case | {"max_steps": 10_000})
    assert settled is None, f"the cycling case settled after {settled} steps"
    h1 = silly._map(h, **silly._weights(case))
    h2 = silly._map(h1, **silly._weights(case))
    assert np.abs(h1 - h).max() > 1 and np.allclose(h2, h, atol=1e-12), "expected a 2-cycle"


def test_fixed_point_cases_stop_at_a_step_that_rounding_cannot_move():
    """The check compares the answer with the state where the reference stops: the change there
    is below tol, and the step before above it, each by a margin far above rounding."""
    from lamassu_course.classroom.exercises import silly
    for number, case in enumerate(silly._settling_cases(), 1):
        states, n = silly._path(**case)
        change = np.max(np.abs(np.diff(states, axis=0)), axis=1) / case["tol"]
        assert change[n - 1] < 1 - 1e-3 and change[n - 2] > 1 + 1e-4, (number, change[n - 2:n])


def test_two_fixed_points_case_has_two_attractors_told_apart_by_the_start():
    from lamassu_course.classroom.exercises import silly
    case = silly._settling_cases()[-1]
    from_zero = iterate(**case)
    from_elsewhere = iterate(**case, start=0.3)
    assert np.all(from_zero < -0.5) and np.all(from_elsewhere > 0.5), (from_zero, from_elsewhere)
    for h in (from_zero, from_elsewhere):
        assert silly._residual(h, case) < 1e-5, "both are fixed points (to within tol)"
    drive = case["W_hx"] @ case["x"] + case["b_h"]   # the units do not interact: W_hh = 2 I
    assert np.array_equal(case["W_hh"], 2 * np.eye(3))
    for d in drive:                  # each unit: three fixed points, the outer two attract
        grid = np.linspace(-1, 1, 200_001)
        f = np.tanh(2 * grid + d) - grid
        roots = grid[:-1][np.sign(f[:-1]) != np.sign(f[1:])]
        assert len(roots) == 3 and roots[0] < -0.9 and 0 < roots[1] < 0.2 and roots[2] > 0.9
        slopes = 2 * (1 - np.tanh(2 * roots + d) ** 2)     # |slope| < 1: attracts
        assert np.array_equal(slopes < 1, [True, False, True])   # so 2**3 = 8 attract of 27


def test_fixed_point_gives_up_where_max_steps_says_on_the_slow_case():
    """The give-up cases: the slow network settles at step n; a right loop raises with
    max_steps = n - 2 (and n - 1, one step of slack) and returns with n + 1 (and n)."""
    from lamassu_course.classroom.exercises import silly
    slow = silly._settling_cases()[-2]
    n = silly._iterate(**slow)[1]
    assert n == 958, n                   # the hints in WRONG name it
    exact = (iterate, iterate_while)          # two_steps_a_pass may take one step more
    for answer in (iterate, iterate_while, two_steps_a_pass):
        for max_steps in (n - 2, n - 1) if answer in exact else (n - 2,):
            with pytest.raises(RuntimeError):
                answer(**slow | {"max_steps": max_steps})
        for max_steps in (n, n + 1):
            assert np.max(np.abs(answer(**slow | {"max_steps": max_steps})
                                 - silly._iterate(**slow)[0])) < 1e-12
    case = silly._cycling_case(np.random.default_rng(1011), 3, 2)
    assert silly._guarded(loop_forever)(*case.values()).what == "ran away"
    assert silly._guarded(iterate)(*case.values()).what == "gave up"


def test_fixed_point_guard_stops_quickly_and_restores_the_trace_function(capsys):
    import sys
    import time

    def tracer(frame, event, arg):   # stands for a debugger's or coverage's trace function
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        start = time.perf_counter()
        assert check_fixed_point(never_stops) is False
        seconds = time.perf_counter() - start
        assert sys.gettrace() is tracer, "the step guard did not put the trace function back"
    finally:
        sys.settrace(previous)
    assert "still running after" in capsys.readouterr().out
    assert seconds < 20, f"the guard took {seconds:.1f} s to stop a `while True` loop"
