"""Chapter 5's checks pass the right answer and name each typical wrong answer.

Answers are written the way a student would write them (plain NumPy, not the package).
"""
import numpy as np
import pytest

from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import (check_decoder_inputs, check_last_step_gradient,
                                      check_note_frequency, check_one_step_mlp,
                                      check_token_accuracy)


def mlp(x, W_hx, b_h, W_yh, b_y, g=np.tanh, hidden_bias=True, out_bias=True, out_tanh=False,
        transposed=False):
    W1, W2 = (W_hx, W_yh) if transposed else (W_hx.T, W_yh.T)
    y = g(x @ W1 + (b_h if hidden_bias else 0)) @ W2 + (b_y if out_bias else 0)
    return np.tanh(y) if out_tanh else y


def frequency(midi, scale=440.0, per=12, ref=69, sign=1):
    return scale * 2.0 ** (sign * (midi - ref) / per)


def last_grad(ys, labels, lengths, mean=True, all_steps=False, onehot=True, first=False,
              at_T=False):
    B = ys.shape[1]
    steps = np.zeros(B, int) if first else np.full(B, len(ys) - 1) if at_T else lengths - 1
    z = ys if all_steps else ys[steps, np.arange(B)]
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    if onehot:
        p = p - np.eye(ys.shape[-1])[labels]
    if mean:
        p = p / B
    if all_steps:
        return p
    out = np.zeros_like(ys)
    out[steps, np.arange(B)] = p
    return out


def accuracy(pred, tgt, mask, how="right"):
    hits = (pred == tgt)
    return {"right": (hits * mask).sum() / mask.sum(), "all": hits.mean(),
            "size": (hits * mask).sum() / mask.size, "count": (hits * mask).sum()}[how]


def shift(targets, start, how="right"):
    first = np.full((1, targets.shape[1]), start)
    return {"right": lambda: np.vstack([first, targets[:-1]]), "none": lambda: targets,
            "back": lambda: np.vstack([targets[1:], first]),
            "roll": lambda: np.roll(targets, 1, 0),
            "long": lambda: np.vstack([first, targets])}[how]()


RIGHT = [(check_one_step_mlp, mlp, 4), (check_note_frequency, frequency, 3),
         (check_last_step_gradient, last_grad, 4), (check_token_accuracy, accuracy, 3),
         (check_decoder_inputs, shift, 3)]


@pytest.mark.parametrize("check, answer, cases", RIGHT)
def test_right_answer_passes(check, answer, cases, checks):
    checks.passes(check, answer, cases)


WRONG = [
    (check_one_step_mlp, lambda *a: mlp(*a, g=lambda v: v), "the tanh is missing"),
    (check_one_step_mlp, lambda *a: mlp(*a, hidden_bias=False), "hidden bias b_h is missing"),
    (check_one_step_mlp, lambda *a: mlp(*a, out_bias=False), "output bias b_y is missing"),
    (check_one_step_mlp, lambda *a: mlp(*a, out_tanh=True), "the output has a tanh"),
    (check_one_step_mlp, lambda *a: mlp(*a, transposed=True), "weights are transposed"),
    (check_note_frequency, lambda m: frequency(m, scale=1.0), "the 440 is missing"),
    (check_note_frequency, lambda m: frequency(m, per=1), "the /12 is missing"),
    (check_note_frequency, lambda m: frequency(m, sign=-1), "the sign is flipped"),
    (check_note_frequency, lambda m: frequency(m, ref=60), "not to middle C"),
    (check_note_frequency, lambda m: 440 * (m - 69) / 12 + 440, "exponential"),
    (check_last_step_gradient, lambda y, l, n: last_grad(y, l, n, at_T=True),
     "reads ys[-1] for every sequence"),
    (check_last_step_gradient, lambda y, l, n: last_grad(y, l, n, mean=False),
     "1/B is missing"),
    (check_last_step_gradient, lambda y, l, n: last_grad(y, l, n, all_steps=True),
     "every step gets a gradient"),
    (check_last_step_gradient, lambda y, l, n: last_grad(y, l, n, onehot=False),
     "one-hot is missing"),
    (check_last_step_gradient, lambda y, l, n: last_grad(y, l, n, first=True),
     "gradient is at the first step"),
    (check_token_accuracy, lambda p, t, m: accuracy(p, t, m, "all"), "padding is counted"),
    (check_token_accuracy, lambda p, t, m: accuracy(p, t, m, "size"),
     "denominator counts the padding"),
    (check_token_accuracy, lambda p, t, m: accuracy(p, t, m, "count"), "this is a count"),
    (check_decoder_inputs, lambda t, s: shift(t, s, "none"), "no shift"),
    (check_decoder_inputs, lambda t, s: shift(t, s, "back"), "shifted the wrong way"),
    (check_decoder_inputs, lambda t, s: shift(t, s, "roll"), "np.roll wraps"),
    (check_decoder_inputs, lambda t, s: shift(t, s, "long"), "one step too many"),
]


@pytest.mark.parametrize("check, answer, hint", WRONG)
def test_typical_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check", [r[0] for r in RIGHT])
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


def test_checks_are_exported():
    for check, _, _ in RIGHT:
        assert check.__name__ in exercises.__all__
