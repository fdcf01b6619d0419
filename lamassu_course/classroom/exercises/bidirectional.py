"""Checks for Chapter 6, two directions: the states a bidirectional layer reads out."""
import numpy as np

from ...bidirectional import BidirectionalRNN
from ...init import scaled_normal
from ...layers import hidden_forward
from ._runner import make_cases as _cases, run_check as _run

__all__ = ["check_bidirectional_states"]


class _Pass:
    """One direction's pass, as the exercise hands it over: a function of a sequence.

    ``pass_(xs)`` runs h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h) from h_0 over xs (T, B, D)
    in the order it is given, and returns every state, (T+1, B, H), h_0 first. Its weights
    stay inside: the answer can only call it.
    """

    def __init__(self, rng, D, H, B, name):
        self._weights = (scaled_normal(rng, H, D, 1.5), scaled_normal(rng, H, H, 1.2),
                         0.3 * rng.standard_normal(H))
        self._h0 = 0.5 * rng.standard_normal((B, H))    # not zero: h_0 is a state like any
        self.name, self.H = name, H

    def __call__(self, xs):
        xs = np.asarray(xs, dtype=float)
        if xs.ndim != 3 or xs.shape[1:] != (len(self._h0), self._weights[0].shape[1]):
            raise ValueError(f"{self.name} got xs of shape {xs.shape}; expected (T, B, D) "
                             f"with B={len(self._h0)}, D={self._weights[0].shape[1]}")
        W_hx, W_hh, b_h = self._weights
        return hidden_forward(xs, self._h0, W_hx, W_hh, b_h, "tanh")

    def __repr__(self):
        return f"<{self.name}, H={self.H}>"


def _case(rng, T, B, D, H):
    return dict(xs=rng.standard_normal((T, B, D)),
                forward_pass=_Pass(rng, D, H, B, "forward_pass"),
                backward_pass=_Pass(rng, D, H, B, "backward_pass"))


def _states(xs, forward_pass, backward_pass):
    """The reference: step t holds [forward state after x_1..x_t; backward state after
    x_T..x_t], the forward half first."""
    forward = forward_pass(xs)[1:]
    backward = backward_pass(xs[::-1])[1:][::-1]
    return np.concatenate([forward, backward], axis=-1)


def check_bidirectional_states(fn):
    """Check ``fn(xs, forward_pass, backward_pass) -> states (T, B, 2H)``.

    Each pass is a function: given a sequence (T, B, D) it runs its own recurrence over the
    steps in the order it receives them and returns all T+1 states (T+1, B, H), its initial
    state first. Step t of the answer must hold the forward half's state after reading
    x_1..x_t and the backward half's state after reading x_T down to x_t, the forward half
    first: the vector W_yh reads at step t. An answer that calls the package's
    BidirectionalRNN is refused.
    """
    def both(c, backward, forward=None):
        forward = c["forward_pass"](c["xs"])[1:] if forward is None else forward
        return np.concatenate([forward, backward], axis=-1)

    def reversed_run(c):
        return c["backward_pass"](c["xs"][::-1])

    right_backward = lambda c: reversed_run(c)[1:][::-1]  # noqa: E731
    wrong = [
        (lambda c: both(c, reversed_run(c)[1:]),
         "the backward half is in reversed time order: its pass read x_T first, so its "
         "first state belongs to step T; turn its states back into time order before "
         "you pair them with the forward ones"),
        (lambda c: both(c, reversed_run(c)[:-1][::-1]),
         "off by one step: your backward half at step t is the backward state from "
         "before it read x_t (it has read x_T..x_{t+1} only), so step T got the pass's "
         "initial state. Step t needs the state after the pass read x_T down to x_t"),
        (lambda c: both(c, right_backward(c), c["forward_pass"](c["xs"])[:-1]),
         "off by one step in the forward half: its state at step t is h_t, after reading "
         "x_t; you paired h_{t-1} (the first row of the pass's output is h_0)"),
        (lambda c: both(c, c["backward_pass"](c["xs"])[1:]),
         "the backward pass read the sequence from its start: it must read x_T first, so "
         "give it the sequence reversed in time"),
        (lambda c: both(c, c["backward_pass"](c["xs"])[1:][::-1]),
         "the backward pass read the sequence from its start (you reversed only its "
         "states): it must read x_T first, so give it the sequence reversed in time too"),
        (lambda c: both(c, c["forward_pass"](c["xs"][::-1])[1:][::-1],
                        c["backward_pass"](c["xs"])[1:]),
         "the two passes swapped roles: you ran backward_pass over x_1..x_T and "
         "forward_pass over the reversed sequence. forward_pass reads x_1 first, "
         "backward_pass reads x_T first"),
        (lambda c: both(c, c["forward_pass"](c["xs"][::-1])[1:][::-1]),
         "both halves come from forward_pass: the backward half has its own weights, "
         "call backward_pass"),
        (lambda c: np.concatenate([right_backward(c), c["forward_pass"](c["xs"])[1:]], -1),
         "the halves are swapped: the forward half comes first, [h_f; h_b]"),
        (lambda c: np.concatenate([c["forward_pass"](c["xs"])[1:], right_backward(c)], 0),
         "concatenated on the time axis (axis 0): the two halves of one step go side by "
         "side along the hidden units, the last axis"),
        (lambda c: np.concatenate([c["forward_pass"](c["xs"])[1:], right_backward(c)], 1),
         "concatenated on the batch axis (axis 1): the two halves of one step go side by "
         "side along the hidden units, the last axis"),
        (lambda c: both(c, np.flip(reversed_run(c)[1:])),
         "np.flip without an axis reverses every axis (time, batch and hidden units): "
         "reverse the time axis only"),
        (lambda c: both(c, reversed_run(c)[1:][:, :, ::-1]),
         "you reversed the hidden units, not time: reverse axis 0"),
    ]
    cases = _cases(_case, [(5, 3, 4, 2), (4, 2, 3, 3), (6, 1, 2, 4), (3, 4, 4, 4)])
    return _run("check_bidirectional_states", fn, cases, _states, "(T, B, 2H)", wrong,
                forbidden=(BidirectionalRNN,), own="pair the two passes' states yourself")
