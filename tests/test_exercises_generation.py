"""Chapter 5's design-or-train checks pass the right answer and name each typical wrong answer.

Answers are written the way a student would write them, with the package's public API.
"""
import numpy as np
import pytest

from lamassu_course import Adagrad, VanillaRNN, one_hot, softmax, train
from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import check_generation_loop, check_training_run
from lamassu_course.experiments.seq2seq import last_step_cross_entropy, minibatches


# ---------------------------------------------------------------- check_training_run
def run(train_x, train_y, seed, H=4, lr=1.0, steps=600, train_it=True, fixed_seed=None,
        order_seed=None, loss=last_step_cross_entropy):
    seed = seed if fixed_seed is None else fixed_seed
    rnn = VanillaRNN(2, H, 2, seed=seed)
    rng = np.random.default_rng(seed if order_seed is None else order_seed)
    batches = [(train_x[:, i], train_y[i]) for i in minibatches(rng, train_x.shape[1], 50, steps)]
    history = train(rnn, batches, loss, Adagrad(rnn.params, lr=lr), progress=False) \
        if train_it else None
    return rnn, history


def test_training_run_passes(capsys):
    assert check_training_run(lambda x, y, seed: run(x, y, seed)[0]) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ check_training_run: H = 4, seeds 0, 1, 2"), out
    assert "beats\n   the linear classifier (0.865) by more than 0.05" in out


def unseeded():
    state = {"calls": 0}

    def answer(x, y, seed):
        state["calls"] += 1
        return run(x, y, seed, order_seed=100 + state["calls"])[0]
    return answer


def majority_loss(ys, labels):           # a loss that only ever teaches class 0
    return last_step_cross_entropy(ys, np.zeros_like(labels))


TRAINING_WRONG = [
    (lambda x, y, s: run(x, y, s, H=16)[0], "H = 16 hidden units; this exercise allows at most 4"),
    (lambda x, y, s: run(x, y, s)[1], "`train` returns the history"),
    (lambda x, y, s: None, "returned None"),
    (lambda x, y, s: run(x, y, s)[0].forward(x)[0], "returned a ndarray; expected the trained"),
    (lambda x, y, s: run(x, y, s, train_it=False)[0], "the network is untrained"),
    (lambda x, y, s: run(x, y, s, lr=0.1)[0], "no better than a straight line"),
    (lambda x, y, s: run(x, y, s, loss=majority_loss)[0], "names the same class for every point"),
    (unseeded(), "two runs with seed 0 gave different networks"),
    (lambda x, y, s: run(x, y, s, fixed_seed=3)[0], "seeds 0 and 1 gave the same network"),
    (lambda x, y, s: run(x[0], y, s)[0], "your function raised ValueError"),
    (lambda x, y, s: VanillaRNN(3, 4, 2), "D = 3 inputs and K = 2 outputs"),
]


@pytest.mark.parametrize("answer, hint", TRAINING_WRONG)
def test_training_run_names_the_mistake(answer, hint, checks):
    checks.rejects(check_training_run, answer, hint)


# ---------------------------------------------------------------- check_generation_loop
def loop(rnn, first, length, draw, carry=True, feed="drawn", n_draws=None, keep_first=True,
         use_softmax=True):
    V = rnn.sizes[0]
    notes, h, x = [first], None, one_hot(first, V)
    for _ in range(length - 1 if n_draws is None else n_draws(length)):
        ys, hs = rnn.forward(x[None], h if carry else None)
        h = hs[-1]
        p = softmax(ys[0]) if use_softmax else ys[0]
        note = draw(p)
        notes.append(note)
        x = {"drawn": lambda: one_hot(note, V), "first": lambda: one_hot(first, V),
             "argmax": lambda: one_hot(p.argmax(-1), V), "probabilities": lambda: p}[feed]()
    return np.array(notes if keep_first else notes[1:])


def test_generation_loop_passes(checks):
    checks.passes(check_generation_loop, loop, 4)


def test_rerunning_the_prefix_from_h0_also_passes(checks):
    """Re-reading every note so far from h_0 each step is slow but right."""
    def prefix(rnn, first, length, draw):
        notes = [first]
        for _ in range(length - 1):
            ys, _ = rnn.forward(one_hot(np.array(notes), rnn.sizes[0]))
            notes.append(draw(softmax(ys[-1])))
        return np.array(notes)
    checks.passes(check_generation_loop, prefix, 4)


GENERATION_WRONG = [
    (dict(carry=False), "each step starts again from h_0 = 0"),
    (dict(feed="first"), "you feed the first note at every step"),
    (dict(feed="argmax"), "you feed back the most likely note"),
    (dict(feed="probabilities"), "you feed back the probabilities"),
    (dict(keep_first=False), "the first note is missing: the melody starts"),
    (dict(n_draws=lambda n: n), "one note too many"),
    (dict(n_draws=lambda n: n - 2), "one note too few"),
    (dict(n_draws=lambda n: n, keep_first=False), "the first note is missing and one note too"),
    (dict(use_softmax=False), "not probabilities"),
]


@pytest.mark.parametrize("variant, hint", GENERATION_WRONG)
def test_generation_loop_names_the_mistake(variant, hint, checks):
    checks.rejects(check_generation_loop, lambda *a: loop(*a, **variant), hint)


def test_generation_loop_reports_a_wrong_note(checks):
    def late(*args):                       # right, except the last note of melody 1
        notes = loop(*args)
        notes[-1, 0] = (notes[-1, 0] + 1) % args[0].sizes[0]
        return notes
    checks.rejects(check_generation_loop, late, "of melody 1 differs from `generate`'s")


@pytest.mark.parametrize("check", [check_training_run, check_generation_loop])
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


@pytest.mark.parametrize("check", [check_training_run, check_generation_loop])
def test_a_non_function_is_refused(check, checks):
    checks.rejects(check, None, "expected a function")


def test_checks_are_exported():
    for check in (check_training_run, check_generation_loop):
        assert check.__name__ in exercises.__all__
