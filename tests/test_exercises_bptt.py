"""Chapter 3's checks pass the right answer and name each typical wrong answer.

Answers are written the way a student would write them (NumPy; the choose-k answers use the
package's ``truncated_gradients``, as the exercise asks).
"""
import numpy as np
import pytest

from lamassu_course.classroom import exercises
from lamassu_course.experiments.bptt import truncated_gradients
from lamassu_course.classroom.exercises import (check_choose_k, check_clip_by_global_norm,
                                      check_dW_hh_two_steps, check_step_backward,
                                      check_truncated_dW_hh)
from lamassu_course.losses import softmax_cross_entropy
from lamassu_course.classroom.exercises.bptt import TWO_STEPS

tanh = np.tanh


# ---------------------------------------------------------------- students' answers
def step_backward(dh, x, h_prev, h, W_hx, W_hh, slope=None, W_back=None, h_for_W=None,
                  db=lambda da: da.sum(0), W_in=None):
    da = (1 - h ** 2) * dh if slope is None else slope(h, h_prev) * dh
    back = W_hh if W_back is None else W_back(W_hh)
    into_x = W_hx if W_in is None else W_in(W_hx)
    return da @ into_x, da @ back, da.T @ x, da.T @ (h_prev if h_for_W is None else h), db(da)


def step_backward_columns(dh, x, h_prev, h, W_hx, W_hh):
    """The math's column layout copied as it stands: W^T da and da h^T."""
    da = (1 - h ** 2) * dh
    return W_hx.T @ da, W_hh.T @ da, da @ x.T, da @ h_prev.T, da.sum(axis=1)


def step_backward_matmul_slope(dh, x, h_prev, h, W_hx, W_hh):
    """g1' applied with @ in place of *: it runs only when B = H."""
    da = (1 - h ** 2) @ dh
    return da @ W_hx, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(0)


def two_steps(x_1, x_2, h_0, W_hx, W_hh, b_h, W_yh, slope=True, back="T", terms=(1, 2),
              use_h_t=False, transpose=False, dot=False):
    h_1 = tanh(W_hh @ h_0 + W_hx @ x_1 + b_h)
    h_2 = tanh(W_hh @ h_1 + W_hx @ x_2 + b_h)
    g = W_yh.T @ np.ones(len(W_yh))
    d = (lambda h: 1 - h ** 2) if slope else (lambda h: 1)
    da_2 = d(h_2) * g
    da_1 = d(h_1) * (g + {"T": W_hh.T @ da_2, "plain": W_hh @ da_2, "none": 0}[back])
    entering = {1: h_1 if use_h_t else h_0, 2: h_2 if use_h_t else h_1}
    da = {1: da_1, 2: da_2}
    if dot:                                       # da_t @ h_{t-1}.T on 1-D vectors
        return sum(da[t] @ entering[t].T for t in terms)
    outer = (lambda a, b: np.outer(b, a)) if transpose else np.outer
    return sum(outer(da[t], entering[t]) for t in terms)


def clip(grads, max_norm, per_array=False, after=False, always=False, squared=False,
         upside_down=False, sum_of_norms=False):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if sum_of_norms:
        norm = sum(np.linalg.norm(g) for g in grads.values())
    if squared:
        norm = norm ** 2
    if per_array:
        out = {k: g * min(1, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    else:
        scale = max_norm / norm if (norm > max_norm or always) else 1.0
        out = {k: g * (1 / scale if upside_down else scale) for k, g in grads.items()}
    if after:
        norm = np.sqrt(sum(np.sum(g ** 2) for g in out.values()))
    return out, norm


def clip_over_keys(grads, max_norm):
    """`for g in grads` gives the names: squaring a str raises TypeError."""
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}, norm


def truncated_unsliced(rnn, xs, targets, k, unsliced="targets"):
    """Truncated BPTT that passes the whole targets (or xs) where a window's belong."""
    dW_hh, h = 0.0, None
    for s in range(0, len(xs), k):
        ys, hs = rnn.forward(xs[s:s + k], h)
        dys = softmax_cross_entropy(ys, targets if unsliced == "targets" else targets[s:s + k])[1]
        dW_hh = dW_hh + rnn.backward(xs if unsliced == "xs" else xs[s:s + k], hs, dys)["W_hh"]
        h = hs[-1]
    return dW_hh


def truncated(rnn, xs, targets, k, carry_state=True, carry_grad=False, length=None, stop=None,
              only_last=False, mean=False):
    """A student's truncated BPTT, with one misunderstanding switched on at a time."""
    length = k if length is None else length
    starts = list(range(0, len(xs) if stop is None else stop(len(xs), k), k))
    if only_last:
        starts = starts[-1:]
    h, windows = None, []
    for s in starts:
        ys, hs = rnn.forward(xs[s:s + length], h if carry_state else None)
        windows.append((xs[s:s + length], hs, softmax_cross_entropy(ys, targets[s:s + length])[1]))
        h = hs[-1]
    dW_hh, dh = 0.0, None
    for xs_k, hs, dys in reversed(windows):          # last window first
        grads = rnn.backward(xs_k, hs, dys, dh_last=dh if carry_grad else None)
        dW_hh, dh = dW_hh + grads["W_hh"], grads["h0"]
    return dW_hh / len(windows) if mean else dW_hh


def choose_k(rnn, xs, targets, tol, carry=True, relative=True, which="W_hh", off=0,
             search="every larger"):
    full = truncated_gradients(rnn, xs, targets, len(xs))[1]
    errors = []
    for k in range(1, len(xs) + 1):
        if carry:
            grads = truncated_gradients(rnn, xs, targets, k)[1]
        else:
            grads = {n: 0 for n in full}
            for s in range(0, len(xs), k):
                g = truncated_gradients(rnn, xs[s:s + k], targets[s:s + k], k)[1]
                grads = {n: grads[n] + g[n] for n in full}
        if which == "all":
            diff = np.sqrt(sum(np.sum((grads[n] - full[n]) ** 2) for n in full))
            size = np.sqrt(sum(np.sum(full[n] ** 2) for n in full))
        elif which == "max":
            a, b = grads["W_hh"], full["W_hh"]
            diff, size = np.max(np.abs(a - b)), np.max(np.abs(a) + np.abs(b))
        elif which == "truncated":
            diff = np.linalg.norm(grads["W_hh"] - full["W_hh"])
            size = np.linalg.norm(grads["W_hh"])
        else:
            diff, size = np.linalg.norm(grads["W_hh"] - full["W_hh"]), np.linalg.norm(full["W_hh"])
        errors.append(diff <= (tol * size if relative else tol))
    T = len(xs)
    if search == "first":
        return errors.index(True) + 1 + off
    if search.startswith("look ahead"):          # k and the next m windows within tol
        m = int(search.split()[-1])
        return next(k for k in range(1, T + 1) if all(errors[k - 1:k + m])) + off
    if search == "bisect":
        low, high = 1, T
        while low < high:
            mid = (low + high) // 2
            if errors[mid - 1]:
                high = mid
            else:
                low = mid + 1
        return low + off
    k = T                                   # from T down: the last run of k's within tol
    while k > 1 and errors[k - 2]:
        k -= 1
    return k + off


# (check, the right answer, its number of cases)
RIGHT = [
    (check_step_backward, step_backward, 5),
    (check_dW_hh_two_steps, two_steps, 4),
    (check_dW_hh_two_steps, two_steps(**TWO_STEPS), 1),
    (check_dW_hh_two_steps, two_steps(**TWO_STEPS).tolist(), 1),
    (check_dW_hh_two_steps, np.round(two_steps(**TWO_STEPS), 4), 1),   # the solution's print
    (check_dW_hh_two_steps, [[0.8689, -1.1832], [-0.5395, 0.7955]], 1),  # copied from the page
    (check_dW_hh_two_steps, np.round(two_steps(**TWO_STEPS), 3), 1),
    (check_clip_by_global_norm, clip, 5),
    (check_truncated_dW_hh, truncated, 4),
    (check_choose_k, choose_k, 5),
]

# (check, a typical wrong answer, the words its hint must contain)
WRONG = [
    (check_step_backward, lambda *a: step_backward(*a, slope=lambda h, hp: 1.0), "g1' is missing"),
    (check_step_backward, lambda *a: step_backward(*a, slope=lambda h, hp: 1 - hp ** 2),
     "g1' is taken at h_prev"),
    (check_step_backward, lambda *a: step_backward(*a, slope=lambda h, hp: 1 - h),
     "the square is missing in g1'"),
    (check_step_backward, lambda *a: step_backward(*a, W_back=lambda W: W.T),
     "dh_prev uses W_hh the wrong way round"),
    (check_step_backward, lambda *a: step_backward(*a, h_for_W=True), "dW_hh uses h_t"),
    (check_step_backward, lambda *a: (lambda r: r[:3] + (r[3].T, r[4]))(step_backward(*a)),
     "dW_hh is transposed"),
    (check_step_backward, lambda *a: (lambda r: r[:2] + (r[2].T,) + r[3:])(step_backward(*a)),
     "dW_hx is transposed"),
    (check_step_backward, lambda dh, x, hp, h, W_hx, W_hh: step_backward(dh, x, hp, h, W_hx, W_hh)[:4]
     + ((1 - h ** 2) * dh,), "db_h is not summed over the batch"),
    (check_step_backward, lambda *a: (lambda r: (r[0], r[1], r[3], r[2], r[4]))(step_backward(*a)),
     "dW_hx and dW_hh are swapped"),
    (check_step_backward, lambda *a: step_backward(*a, db=lambda da: da.mean(0)),
     "db_h is averaged over the batch: the bias gradient is the sum"),
    (check_step_backward, lambda *a: step_backward(*a, slope=lambda h, hp: 1 - tanh(h) ** 2),
     "g1' applies tanh again: h_t is already tanh(a_t)"),
    (check_step_backward, lambda *a: step_backward(*a, W_in=lambda W: W.T),
     "dx_t uses W_hx the wrong way round"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, dot=True), "you returned a number"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, sum_of_norms=True),
     "you added up the norms of the arrays"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, terms=(2,)), "only step 2's term"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, terms=(1,)), "only step 1's term"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, back="none"), "the recursion is missing"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, back="plain"),
     "the recursion uses W_hh; it needs the transpose"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, slope=False), "g1' is missing"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, use_h_t=True), "each term uses h_t"),
    (check_dW_hh_two_steps, lambda *a: two_steps(*a, transpose=True), "dW_hh is transposed"),
    (check_dW_hh_two_steps, two_steps(**TWO_STEPS, terms=(2,)), "only step 2's term"),
    (check_dW_hh_two_steps, two_steps(**TWO_STEPS, use_h_t=True), "each term uses h_t"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, per_array=True),
     "each array was clipped by its own norm"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, after=True),
     "the norm returned is the one after clipping"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, always=True),
     "a gradient below max_norm was scaled up"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, upside_down=True),
     "the scale is upside down"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m, squared=True),
     "the norm is missing its square root"),
    (check_clip_by_global_norm, lambda g, m: ({k: np.clip(v, -m, m) for k, v in g.items()},
                                              clip(g, m)[1]), "that is clipping by value"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m)[0], "return a pair"),
    (check_clip_by_global_norm, lambda g, m: clip(g, m)[::-1], "the pair is the wrong way round"),
    (check_clip_by_global_norm, lambda g, m: (list(clip(g, m)[0].values()), clip(g, m)[1]),
     "the clipped gradients must be a dict"),
    (check_truncated_dW_hh, lambda *a: truncated(*a, carry_grad=True), "that is the full BPTT"),
    (check_truncated_dW_hh, lambda *a: truncated(*a, carry_state=False),
     "the state restarts from zeros in every window"),
    (check_truncated_dW_hh, lambda r, x, t, k: truncated(r, x, t, k + 1), "k + 1 steps long"),
    (check_truncated_dW_hh, lambda r, x, t, k: truncated(r, x, t, k - 1), "k - 1 steps long"),
    (check_truncated_dW_hh, lambda r, x, t, k: truncated(r, x, t, k, length=k + 1),
     "your windows overlap by one step"),
    (check_truncated_dW_hh, lambda *a: truncated(*a, stop=lambda T, k: T - k + 1),
     "the last, shorter window is missing"),
    (check_truncated_dW_hh, lambda *a: truncated(*a, only_last=True),
     "only the last window's gradient"),
    (check_truncated_dW_hh, lambda *a: truncated(*a, mean=True), "you averaged over the windows"),
    (check_truncated_dW_hh, lambda r, x, t, k: truncated(r, x, t, k)[:, ::-1],
     "wrong values"),
    (check_choose_k, lambda *a: choose_k(*a, carry=False), "the state was reset to zero"),
    (check_choose_k, lambda *a: choose_k(*a, relative=False), "tol is relative"),
    (check_choose_k, lambda *a: choose_k(*a, which="all"), "you compared all the parameters"),
    (check_choose_k, lambda *a: choose_k(*a, which="max"), "you used the largest entry"),
    (check_choose_k, lambda *a: choose_k(*a, off=-1), "one too small"),
    (check_choose_k, lambda *a: choose_k(*a, which="truncated"),
     "you divided by the truncated gradient's norm"),
    (check_choose_k, lambda *a: choose_k(*a, search="first"), "the first k within tol"),
    (check_choose_k, lambda *a: choose_k(*a, search="bisect"), "bisection assumes"),
    *[(check_choose_k, lambda *a, m=m: choose_k(*a, search=f"look ahead {m}"),
       "not enough" if m == 8 else "")
      for m in (3, 4, 5, 6, 8, 12)],
]

# (check, a typical wrong answer that raises, the words its hint must contain)
CRASHING = [
    (check_step_backward, step_backward_columns, "you wrote the math's column layout"),
    (check_step_backward, lambda *a: step_backward(*a, W_back=lambda W: W.T)[:1]
     + step_backward_columns(*a)[1:], "you wrote the math's column layout"),
    (check_step_backward, step_backward_matmul_slope, "g1' multiplies elementwise"),
    (check_clip_by_global_norm, clip_over_keys, "iterating over a dict gives its keys"),
    (check_truncated_dW_hh, truncated_unsliced, "the loss got all the targets"),
    (check_truncated_dW_hh, lambda *a: truncated_unsliced(*a, unsliced="xs"),
     "backward got the whole xs"),
]

# Exercise 3.2 by hand: each typical mistake, rounded to 4 decimals as on paper, gets its hint
HAND_WRONG = [(dict(terms=(2,)), "only step 2's term"), (dict(terms=(1,)), "only step 1's term"),
              (dict(back="none"), "the recursion is missing"),
              (dict(back="plain"), "the recursion uses W_hh; it needs the transpose"),
              (dict(slope=False), "g1' is missing"), (dict(use_h_t=True), "each term uses h_t"),
              (dict(transpose=True), "dW_hh is transposed")]

CHECKS = [check_step_backward, check_dW_hh_two_steps, check_clip_by_global_norm,
          check_truncated_dW_hh, check_choose_k]


def _id(item):
    return getattr(item, "__name__", None) if callable(item) else "value"


@pytest.mark.parametrize("check, answer, n_cases", RIGHT, ids=_id)
def test_right_answer_passes(check, answer, n_cases, checks):
    checks.passes(check, answer, n_cases)


@pytest.mark.parametrize("check, answer, hint", WRONG,
                         ids=[f"{c.__name__}-{h[:30]}" for c, _, h in WRONG])
def test_typical_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check", CHECKS, ids=_id)
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


@pytest.mark.parametrize("check", CHECKS, ids=_id)
def test_forgotten_return(check, capsys):
    assert check(lambda *args: None) is False
    assert "returned None: did you forget the `return`?" in capsys.readouterr().out


def test_checks_are_exported():
    for check in CHECKS:
        assert check.__name__ in exercises.__all__, f"{check.__name__} not in exercises.__all__"


def test_clip_answer_that_changes_grads_in_place_is_rejected(checks):
    def in_place(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
        for g in grads.values():
            g *= min(1.0, max_norm / norm)      # right values, but the caller's arrays change
        return grads, norm
    checks.rejects(check_clip_by_global_norm, in_place, "grads was changed in place")


def test_clip_check_leaves_its_cases_intact(capsys):
    """After an in-place answer is caught, the next (right) answer still passes."""
    def in_place(grads, max_norm):
        for g in grads.values():
            g *= 0.5
        return grads, 1.0
    assert check_clip_by_global_norm(in_place) is False
    assert check_clip_by_global_norm(clip) is True


def test_choose_k_cases_are_not_monotone():
    """Each case has a k within tol followed by a larger k outside it: bisection and the
    first k within tol are both wrong there, on at least one case."""
    from lamassu_course.classroom.exercises.bptt import _k_errors, _k_from_errors, _K_CASES
    from lamassu_course.classroom.exercises._runner import make_cases
    from lamassu_course.classroom.exercises.bptt import _k_case
    firsts, bisects = [], []
    for case in make_cases(_k_case, _K_CASES):
        errors = _k_errors(case["rnn"], case["xs"], case["targets"])
        right = _k_from_errors(errors, case["tol"])
        assert errors[right - 1:].max() <= case["tol"] < errors[right - 2]
        firsts.append(_k_from_errors(errors, case["tol"], "first") != right)
        bisects.append(_k_from_errors(errors, case["tol"], "bisect") != right)
    assert any(firsts) and any(bisects)


def test_clip_hint_shows_shapes_not_values(capsys):
    check_clip_by_global_norm(lambda g, m: clip(g, m, after=True))
    out = capsys.readouterr().out
    assert "grads={'W_hx': (" in out and "max_norm=5.0" in out, out


def test_step_backward_wrong_shape_names_the_output(capsys):
    check_step_backward(lambda *a: step_backward(*a)[:4] + (np.zeros((1, 1)),))
    assert "db_h: returned shape (1, 1); expected (H,)" in capsys.readouterr().out


def test_two_steps_value_that_is_not_numbers(capsys):
    assert check_dW_hh_two_steps("dW_hh") is False
    assert "expected an array of numbers or a function" in capsys.readouterr().out


@pytest.mark.parametrize("check, answer, hint", CRASHING,
                         ids=[f"{c.__name__}-{h[:30]}" for c, _, h in CRASHING])
def test_answer_that_raises_gets_the_hint_of_its_mistake(check, answer, hint, capsys):
    assert check(answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {check.__name__}: {hint}"), out
    assert "\n   (your function raised " in out and "(case 1 of " in out, out
    assert out.count("✗") == 1, out


@pytest.mark.parametrize("mistake, hint", HAND_WRONG, ids=[h for _, h in HAND_WRONG])
def test_two_steps_by_hand_rounded_mistake_gets_its_hint(mistake, hint, checks):
    checks.rejects(check_dW_hh_two_steps, np.round(two_steps(**TWO_STEPS, **mistake), 4), hint)


def test_two_steps_by_hand_tolerance_is_hand_sized_and_tells_mistakes_apart(capsys):
    """Every typical mistake is more than twice the tolerance from the right answer and from
    every other mistake, so a rounded answer can be taken for one of them only."""
    from lamassu_course.classroom.exercises.bptt import HAND_ATOL
    values = [two_steps(**TWO_STEPS)] + [two_steps(**TWO_STEPS, **m) for m, _ in HAND_WRONG]
    for i, a in enumerate(values):
        for b in values[:i]:
            assert np.max(np.abs(a - b)) > 4 * HAND_ATOL
    assert 1e-4 <= HAND_ATOL <= 5e-3
    assert check_dW_hh_two_steps(np.round(two_steps(**TWO_STEPS), 2)) is False   # too coarse
    assert "close, but not close enough for rounding" in capsys.readouterr().out
    assert check_dW_hh_two_steps(two_steps(**TWO_STEPS) + 0.05) is False
    assert "wrong values" in capsys.readouterr().out
