"""Chapter 6's bidirectional check passes the right answer and names each typical wrong answer.

Answers are written the way a student would write them (plain NumPy slicing).
"""
import numpy as np
import pytest

from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import check_bidirectional_states
from lamassu_course.classroom.exercises.bidirectional import _case, _states

CHECK = check_bidirectional_states


def states(xs, forward_pass, backward_pass, *, flip_input=True, drop=1, order="time",
           forward_drop=1, halves="fb", axis=-1, backward_from=None):
    """A student's answer with one knob per typical mistake (the defaults are right)."""
    forward = forward_pass(xs)
    forward = forward[1:] if forward_drop == 1 else forward[:-1]
    run = backward_from or backward_pass
    backward = run(xs[::-1] if flip_input else xs)
    backward = backward[1:] if drop == 1 else backward[:-1]
    backward = {"time": backward[::-1], "none": backward, "all": np.flip(backward),
                "units": backward[:, :, ::-1]}[order]
    pair = (forward, backward) if halves == "fb" else (backward, forward)
    return np.concatenate(pair, axis=axis)


def test_right_answer_passes(checks):
    checks.passes(CHECK, states, 4)


def test_the_np_flip_spelling_passes_too(checks):
    def answer(xs, forward_pass, backward_pass):
        back = np.flip(backward_pass(np.flip(xs, axis=0))[1:], axis=0)
        return np.dstack([forward_pass(xs)[1:], back])
    checks.passes(CHECK, answer, 4)


WRONG = [
    (dict(order="none"), "in reversed time order"),
    (dict(drop=0), "off by one step: your backward half"),
    (dict(forward_drop=0), "off by one step in the forward half"),
    (dict(flip_input=False, order="none"), "read the sequence from its start: it must"),
    (dict(flip_input=False), "you reversed only its states"),
    (dict(halves="bf"), "the halves are swapped"),
    (dict(axis=0), "concatenated on the time axis"),
    (dict(axis=1), "concatenated on the batch axis"),
    (dict(order="all"), "np.flip without an axis"),
    (dict(order="units"), "you reversed the hidden units"),
]


@pytest.mark.parametrize("mistake, hint", WRONG, ids=[h for _, h in WRONG])
def test_typical_wrong_answer_gets_its_hint(mistake, hint, checks):
    checks.rejects(CHECK, lambda *a: states(*a, **mistake), hint)


def test_both_halves_from_the_forward_pass_get_their_hint(checks):
    checks.rejects(CHECK, lambda x, f, b: states(x, f, b, backward_from=f),
                   "both halves come from forward_pass")


def test_the_two_passes_with_swapped_roles_get_their_hint(checks):
    def answer(xs, forward_pass, backward_pass):
        front = backward_pass(xs)[1:]
        back = forward_pass(xs[::-1])[1:][::-1]
        return np.concatenate([front, back], axis=-1)
    checks.rejects(CHECK, answer, "the two passes swapped roles")


def suffix_at_a_time(xs, forward_pass, backward_pass, late=0):
    """The backward state of each step computed alone: the pass reads the suffix from
    step t (0-based) backwards; ``late=1`` starts one step too late."""
    back = [backward_pass(xs[t + late:][::-1])[-1] for t in range(len(xs))]
    return np.concatenate([forward_pass(xs)[1:], np.stack(back)], axis=-1)


def test_a_suffix_at_a_time_answer_passes(checks):
    checks.passes(CHECK, suffix_at_a_time, 4)


def test_a_suffix_at_a_time_answer_one_step_late_gets_the_symptom(checks):
    """The hint names which state was used, not a recipe the student did not follow."""
    checks.rejects(CHECK, lambda *a: suffix_at_a_time(*a, late=1),
                   "before it read x_t (it has read x_T..x_{t+1} only)")


def test_reversing_first_then_dropping_the_last_row_passes(checks):
    """The solution note says so: reversing first leaves the initial state last."""
    def answer(xs, forward_pass, backward_pass):
        back = backward_pass(xs[::-1])[::-1][:-1]
        return np.concatenate([forward_pass(xs)[1:], back], axis=-1)
    checks.passes(CHECK, answer, 4)


def test_reversing_first_then_dropping_the_first_row_is_off_by_one(checks):
    def answer(xs, forward_pass, backward_pass):
        back = backward_pass(xs[::-1])[::-1][1:]
        return np.concatenate([forward_pass(xs)[1:], back], axis=-1)
    checks.rejects(CHECK, answer, "off by one step: your backward half")


def test_an_unknown_mistake_gets_the_largest_difference(checks):
    checks.rejects(CHECK, lambda *a: 2 * states(*a), "wrong values")


def test_a_wrong_shape_is_named(checks):
    checks.rejects(CHECK, lambda *a: states(*a)[:-1], "expected (T, B, 2H)")


def test_stub_is_not_written_yet(checks):
    checks.not_written(CHECK)


def test_an_answer_that_merely_calls_the_package_fails(checks):
    """An answer that runs the package's BidirectionalRNN instead of the passes it was given
    (which would pair the states of other weights anyway) is refused by name."""
    from lamassu_course import BidirectionalRNN

    def answer(xs, forward_pass, backward_pass):
        net = BidirectionalRNN(xs.shape[2], forward_pass.H, 1, seed=0)
        _, cache = net.forward(xs)
        return np.concatenate([cache["hs_f"][1:], cache["hs_b"][:-1]], axis=-1)
    checks.rejects(CHECK, answer, "your function calls lamassu_course's BidirectionalRNN")


def test_the_reference_pairs_the_right_states():
    """The reference, written out step by step with a loop, on one case."""
    case = _case(np.random.default_rng(7), 4, 2, 3, 2)
    xs, f, b = case["xs"], case["forward_pass"], case["backward_pass"]
    got = _states(xs, f, b)
    T = len(xs)
    for t in range(1, T + 1):                 # 1-based step t
        forward_t = f(xs[:t])[-1]             # after x_1..x_t
        backward_t = b(xs[t - 1:][::-1])[-1]  # after x_T..x_t
        assert np.allclose(got[t - 1], np.concatenate([forward_t, backward_t], -1))


def test_a_pass_refuses_a_sequence_of_the_wrong_shape():
    case = _case(np.random.default_rng(0), 3, 2, 4, 2)
    with pytest.raises(ValueError, match="forward_pass got xs of shape"):
        case["forward_pass"](np.zeros((3, 2, 5)))


def test_check_is_exported():
    assert "check_bidirectional_states" in exercises.__all__


def test_the_reference_is_what_the_package_reads_out():
    """Given passes that run the two halves of a BidirectionalRNN, the reference pairs
    exactly the states the network's W_yh reads."""
    from lamassu_course import BidirectionalRNN
    from lamassu_course.layers import hidden_forward

    net = BidirectionalRNN(3, 4, 2, seed=5)
    xs = np.random.default_rng(5).standard_normal((6, 2, 3))
    p = net.params

    def half(side):
        return lambda seq: hidden_forward(seq, np.zeros((seq.shape[1], 4)), p[f"W_hx_{side}"],
                                          p[f"W_hh_{side}"], p[f"b_h_{side}"], "tanh")
    _, cache = net.forward(xs)
    read = np.concatenate([cache["hs_f"][1:], cache["hs_b"][:-1]], axis=-1)
    np.testing.assert_allclose(_states(xs, half("f"), half("b")), read, rtol=1e-12, atol=1e-14)
