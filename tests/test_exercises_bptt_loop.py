"""Chapter 3's loop and temperature checks pass the right answer and name each typical mistake.

Answers are written the way a student would write them: the loop around a one-step backward,
and a draw from a softmax written by hand.
"""
import numpy as np
import pytest

from lamassu_course import hidden_backward, softmax
from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import check_bptt_backward, check_sample_next


# ---------------------------------------------------------------- students' answers
def step(dh_t, x_t, h_prev, h_t, W_hx, W_hh):
    da = (1 - h_t ** 2) * dh_t
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def loop(dhs, xs, hs, W_hx, W_hh, dh_last, carry="dh_prev", order="backward", add=True,
         start="dh_last", states=1, dxs_order="time"):
    """The loop around ``step``, with one misunderstanding switched on at a time."""
    T = len(xs)
    dh = dh_last if start == "dh_last" else np.zeros_like(dh_last)
    dxs, dW_hx, dW_hh, db_h = [], 0, 0, 0
    for t in (reversed(range(T)) if order == "backward" else range(T)):
        into = dhs[t] + dh if carry != "none" else dhs[t]
        dx, dh_prev, g_hx, g_hh, g_b = step(into, xs[t], hs[t + states - 1], hs[t + states],
                                            W_hx, W_hh)
        da = (1 - hs[t + states] ** 2) * into
        dh = {"dh_prev": dh_prev, "none": dh_prev, "da": da, "W_hh.T": da @ W_hh.T}[carry]
        dxs.append(dx)
        if add:
            dW_hx, dW_hh, db_h = dW_hx + g_hx, dW_hh + g_hh, db_h + g_b
        else:
            dW_hx, dW_hh, db_h = g_hx, g_hh, g_b
    if order == "backward" and dxs_order == "time":
        dxs = dxs[::-1]
    return np.stack(dxs), dh, dW_hx, dW_hh, db_h


def draw(logits, temperature, rng, how="divide", stable=True, pick="choice"):
    scores = {"divide": logits / temperature, "multiply": logits * temperature,
              "none": logits, "after": logits}[how]
    e = np.exp(scores - scores.max()) if stable else np.exp(scores)
    p = e / e.sum()
    if how == "after":
        p = p / temperature
    if pick == "argmax":
        return int(np.argmax(p))
    if pick == "probs":
        return p
    if pick == "global":
        return np.random.choice(len(p), p=p)
    if pick == "cumsum":
        return int(np.searchsorted(np.cumsum(p), rng.random()))
    return rng.choice(len(p), p=p)


# (check, the right answer, its number of cases)
RIGHT = [
    (check_bptt_backward, loop, 5),
    (check_sample_next, draw, 4),
    (check_sample_next, lambda y, T, rng: draw(y, T, rng, pick="cumsum"), 4),
]

# (check, a typical wrong answer, the words its hint must contain)
WRONG = [
    (check_bptt_backward, lambda *a: loop(*a, carry="none"), "no gradient is carried"),
    (check_bptt_backward, lambda *a: loop(*a, carry="da"),
     "the gradient carried back is da_{t+1} itself"),
    (check_bptt_backward, lambda *a: loop(*a, carry="W_hh.T"), "W_hh the wrong way round"),
    (check_bptt_backward, lambda *a: loop(*a, order="forward"), "the loop runs forward in time"),
    (check_bptt_backward, lambda *a: loop(*a, add=False), "those of one step only"),
    (check_bptt_backward, lambda *a: loop(*a, start="zeros"), "dh_last is ignored"),
    (check_bptt_backward, lambda *a: loop(*a, states=0), "the states are off by one"),
    (check_bptt_backward, lambda *a: loop(*a, dxs_order="reversed"),
     "dxs is in reverse time order"),
    (check_bptt_backward, lambda *a: hidden_backward(*a[:5], dh_last=a[5]),
     "calls lamassu_course's hidden_backward"),
    (check_sample_next, lambda *a: draw(*a, stable=False), "exp overflows"),
    (check_sample_next, lambda *a: draw(*a, how="multiply"), "divide by the temperature"),
    (check_sample_next, lambda *a: draw(*a, how="after"), "before the softmax"),
    (check_sample_next, lambda *a: draw(*a, how="none"), "the temperature changed nothing"),
    (check_sample_next, lambda *a: draw(*a, pick="argmax"), "that is argmax"),
    (check_sample_next, lambda *a: draw(*a, pick="probs"), "looks like the probabilities"),
    (check_sample_next, lambda *a: draw(*a, pick="global"), "the same seed gave other draws"),
    (check_sample_next, lambda y, T, rng: int(rng.integers(len(y))),
     "your draws do not follow softmax(logits / temperature)"),
    (check_sample_next, lambda y, T, rng: "a", "return one index"),
    (check_sample_next, lambda y, T, rng: rng.choice(len(y), p=softmax(y / T)),
     "calls lamassu_course's softmax"),
]

CHECKS = [check_bptt_backward, check_sample_next]


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
    out = capsys.readouterr().out
    assert ("returned None" in out if check is check_bptt_backward
            else "return one index" in out), out


def test_checks_are_exported():
    for check in CHECKS:
        assert check.__name__ in exercises.__all__, f"{check.__name__} not in exercises.__all__"


def test_not_a_function(capsys):
    for check in CHECKS:
        assert check(3) is False
        assert "expected a function" in capsys.readouterr().out


def test_sampling_cases_separate_the_mistakes():
    """On the first case with T != 1, each mistake's distribution lies outside the noise band
    of the right one (and the right one outside each mistake's), so no draw can pass both."""
    from lamassu_course.classroom.exercises.bptt_loop import (_SAMPLE_CASES, _matches,
                                                              _stable)
    logits, T = _SAMPLE_CASES[1]
    right = _stable(logits / T)
    for wrong in (_stable(logits * T), _stable(logits)):
        assert not _matches(wrong, right) and not _matches(right, wrong)

