"""Chapter 6's LSTM checks pass the right answer, name each typical wrong answer, and refuse
an answer that calls the package's own LSTM code.

Answers are written the way a student would write them, with NumPy only.
"""
import numpy as np
import pytest

import lamassu_course
from lamassu_course import LSTM, lstm_step_backward, lstm_step_forward
from lamassu_course.classroom.exercises import check_lstm_step, check_lstm_step_backward
from lamassu_course.classroom.exercises import lstm as checks_module


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gates(x, h, p, squash=None, candidate=np.tanh):
    squash = squash or {}

    def pre(g):
        return x @ p[f"W_{g}x"].T + h @ p[f"W_{g}h"].T + p[f"b_{g}"]
    i, f, o = (squash.get(g, sigmoid)(pre(g)) for g in "ifo")
    return i, f, o, candidate(pre("c"))


def step(x, h, c, p, squash=None, candidate=np.tanh, cell=None, hidden=None, swap=False):
    i, f, o, c_tilde = gates(x, h, p, squash, candidate)
    c_t = cell(i, f, c_tilde, c, h) if cell else f * c + i * c_tilde
    h_t = hidden(o, c_t, c) if hidden else o * np.tanh(c_t)
    return (c_t, h_t) if swap else (h_t, c_t)


def step_backward(dh, dc_next, x, h, c, p, carried=True, forget_path=True, full_dc_prev=True,
                  slope_at=None, slopes=True, do_tanh=True, W_h_T=False, through_h=True):
    i, f, o, c_tilde = gates(x, h, p)
    c_t = f * c + i * c_tilde
    t = np.tanh(c if slope_at == "prev" else c_t)
    dc = (dc_next if carried else 0) + (dh * o * (1 - t ** 2) if through_h else 0)
    if slopes:
        s = {"i": i * (1 - i), "f": f * (1 - f), "o": o * (1 - o), "c": 1 - c_tilde ** 2}
    else:
        s = dict.fromkeys("ifoc", 1.0)
    da = {"i": dc * c_tilde * s["i"], "f": dc * c * s["f"],
          "o": dh * (np.tanh(c_t) if do_tanh else c_t) * s["o"], "c": dc * i * s["c"]}
    dx = sum(da[g] @ p[f"W_{g}x"] for g in "ifoc")
    dh_prev = sum(da[g] @ (p[f"W_{g}h"].T if W_h_T else p[f"W_{g}h"]) for g in "ifoc")
    if not full_dc_prev:
        return dx, dh_prev, f * dc_next
    return dx, dh_prev, (f * dc if forget_path else dc)


def step_h_transposed(x, h, c, p):
    p = dict(p, **{f"W_{g}h": p[f"W_{g}h"].T for g in "ifoc"})
    return step(x, h, c, p)


def step_in_place(x, h, c, p):
    """Right values, but the caller's c_prev is overwritten."""
    i, f, o, c_tilde = gates(x, h, p)
    c *= f
    c += i * c_tilde
    return o * np.tanh(c), c.copy()


def step_backward_in_place(dh, dc_next, x, h, c, p):
    """Right values, but the caller's dc_next becomes the cell's whole gradient."""
    i, f, o, c_tilde = gates(x, h, p)
    dc_next += dh * o * (1 - np.tanh(f * c + i * c_tilde) ** 2)
    return step_backward(dh, dc_next, x, h, c, p, carried=True, through_h=False)


def calls_the_package(x, h, c, p):
    h_t, c_t, _ = lstm_step_forward(x, h, c, p)
    return h_t, c_t


def calls_the_package_backward(dh, dc, x, h, c, p):
    _, _, cache = lstm_step_forward(x, h, c, p)
    grads = lstm_step_backward(dh, dc, cache)
    return grads["x_t"], grads["h_prev"], grads["c_prev"]


def calls_the_package_by_module(x, h, c, p):
    return lamassu_course.lstm.lstm_step_forward(x, h, c, p)[:2]


def calls_the_class(x, h, c, p):
    lstm = LSTM(x.shape[1], h.shape[1], 1)
    lstm.params.update(p)
    _, cache = lstm.forward(x[None], h, c)
    return cache["hs"][1], cache["cs"][1]


RIGHT = [
    (check_lstm_step, step, 5),
    (check_lstm_step, lambda x, h, c, p: list(step(x, h, c, p)), 5),
    (check_lstm_step_backward, step_backward, 5),
]

WRONG = [
    (check_lstm_step, lambda *a: step(*a, swap=True), "you returned (c_t, h_t)"),
    (check_lstm_step, lambda *a: step(*a, squash={"i": np.tanh}), "the input gate i uses tanh"),
    (check_lstm_step, lambda *a: step(*a, squash={"f": np.tanh}), "the forget gate f uses tanh"),
    (check_lstm_step, lambda *a: step(*a, squash={"o": np.tanh}), "the output gate o uses tanh"),
    (check_lstm_step, lambda *a: step(*a, candidate=sigmoid), "the candidate c~ uses the sigmoid"),
    (check_lstm_step, lambda *a: step(*a, hidden=lambda o, c_t, c: np.tanh(c_t)),
     "the output gate is missing"),
    (check_lstm_step, lambda *a: step(*a, hidden=lambda o, c_t, c: o * c_t), "h_t lacks the tanh"),
    (check_lstm_step, lambda *a: step(*a, hidden=lambda o, c_t, c: o * np.tanh(c)),
     "h_t reads the old cell"),
    (check_lstm_step, lambda *a: step(*a, cell=lambda i, f, g, c, h: f * h + i * g),
     "c_t keeps h_{t-1}"),
    (check_lstm_step, lambda *a: step(*a, cell=lambda i, f, g, c, h: f * c + g),
     "the input gate is missing"),
    (check_lstm_step, lambda *a: step(*a, cell=lambda i, f, g, c, h: c + i * g),
     "the forget gate is missing"),
    (check_lstm_step, lambda *a: step(*a, cell=lambda i, f, g, c, h: i * c + f * g),
     "i and f are swapped"),
    (check_lstm_step, step_h_transposed, "the recurrent weights are used the wrong way round"),
    (check_lstm_step, step_in_place, "changes its input c_prev in place"),
    (check_lstm_step_backward, step_backward_in_place, "changes its input dc_next in place"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, through_h=False),
     "the cell's gradient misses the part through h_t"),
    (check_lstm_step, calls_the_package, "calls lamassu_course's lstm_step_forward"),
    (check_lstm_step, calls_the_package_by_module, "calls lamassu_course's lstm_step_forward"),
    (check_lstm_step, calls_the_class, "calls lamassu_course's LSTM.forward"),
    (check_lstm_step, lambda x, h, c, p: step(x, h, c, p)[0], "expected a pair"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, carried=False),
     "dc misses the carried gradient"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, forget_path=False),
     "dc_prev lacks the forget gate"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, full_dc_prev=False),
     "dc_prev passes on only dc_next"),
    (check_lstm_step_backward, lambda *a: step_backward(*a)[:2] + (0 * a[0],),
     "dc_prev is zero"),
    (check_lstm_step_backward, lambda *a: step_backward(*a)[:2] + (np.zeros(a[0].shape),),
     "dc_prev is zero"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, slope_at="prev"),
     "tanh' is taken at c_{t-1}"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, slopes=False),
     "the gates' slopes are missing"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, do_tanh=False),
     "the output gate's gradient uses c_t"),
    (check_lstm_step_backward, lambda *a: step_backward(*a, W_h_T=True),
     "dh_prev uses the recurrent weights the wrong way round"),
    (check_lstm_step_backward, calls_the_package_backward,
     "calls lamassu_course's lstm_step_forward"),
]

FUNCTION_CHECKS = [check_lstm_step, check_lstm_step_backward]


@pytest.mark.parametrize("check, answer, n_cases", RIGHT, ids=lambda v: getattr(v, "__name__", None))
def test_right_answer_passes(check, answer, n_cases, checks):
    checks.passes(check, answer, n_cases)


@pytest.mark.parametrize("check, answer, hint", WRONG, ids=[f"{c.__name__}-{h[:30]}" for c, _, h in WRONG])
def test_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_not_a_function(check, checks):
    checks.rejects(check, 42, "expected a function")


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_an_error_is_reported_in_the_readers_terms(check, checks):
    def broken(*args):
        raise KeyError("W_ix")
    checks.rejects(check, broken, "your function raised KeyError")


def test_the_tripwires_are_removed_after_the_check(checks):
    before = (lamassu_course.lstm_step_forward, lamassu_course.lstm.lstm_step_forward,
              LSTM.forward, LSTM.backward)
    checks.rejects(check_lstm_step, calls_the_package, "calls lamassu_course's")
    checks.passes(check_lstm_step, step, 5)
    after = (lamassu_course.lstm_step_forward, lamassu_course.lstm.lstm_step_forward,
             LSTM.forward, LSTM.backward)
    assert all(a is b for a, b in zip(before, after))


@pytest.mark.parametrize("size", checks_module.SIZES)
def test_the_checks_reference_is_the_packages_step(size):
    """The checks use their own NumPy reference; it must equal the package's LSTM step."""
    rng = np.random.default_rng(sum(size))
    case = checks_module._backward_case(rng, *size)
    dh, dc = case.pop("dh_t"), case.pop("dc_next")
    h_t, c_t, cache = lstm_step_forward(case["x_t"], case["h_prev"], case["c_prev"],
                                        dict(case["params"]))
    np.testing.assert_allclose(checks_module._step(**case), (h_t, c_t), rtol=1e-12)
    grads = lstm_step_backward(dh, dc, cache)
    expected = (grads["x_t"], grads["h_prev"], grads["c_prev"])
    for got, want in zip(checks_module._step_backward(dh, dc, **case), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_docstrings_do_not_give_the_solution_away():
    for check in FUNCTION_CHECKS:
        doc = check.__doc__
        for formula in ("f * c", "o * np.tanh", "tanh(c_t)", "f_t * dc", "1 - tanh",
                        "g (1 - g)", "dc_next +", "@ W"):
            assert formula not in doc, f"{check.__name__}'s docstring gives away {formula!r}"
