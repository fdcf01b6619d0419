"""Checks for Chapter 5, the application taxonomy: one per shape of RNN."""
import numpy as np

from ..applications import note_frequency
from ...init import scaled_normal
from ...layers import hidden_forward, hidden_step, output_step
from ...rnn import VanillaRNN
from ...experiments.seq2seq import last_outputs, last_step_cross_entropy
from ._runner import make_cases as _cases, run_check as _run

__all__ = ["check_one_step_mlp", "check_note_frequency", "check_last_step_gradient",
           "check_token_accuracy", "check_decoder_inputs"]


# ---------------------------------------------------------------- one-to-one: T = 1 is an MLP
def _mlp_case(rng, B, D, H, K):
    return dict(x=rng.standard_normal((B, D)), W_hx=scaled_normal(rng, H, D, 1.5),
                b_h=rng.standard_normal(H), W_yh=scaled_normal(rng, K, H),
                b_y=rng.standard_normal(K))


def _one_step_mlp(x, W_hx, b_h, W_yh, b_y):
    """The package's VanillaRNN over a sequence of one step, from h_0 = 0."""
    rnn = VanillaRNN(W_hx.shape[1], W_hx.shape[0], W_yh.shape[0])
    rnn.params.update(W_hx=W_hx, b_h=b_h, W_yh=W_yh, b_y=b_y)
    return rnn.forward(x[None])[0][0]


def check_one_step_mlp(fn):
    """Check ``fn(x, W_hx, b_h, W_yh, b_y) -> y``: the output y_1 of a VanillaRNN run for one
    step from h_0 = 0, written as a one-hidden-layer network, rows as the batch.
    Shapes: x (B, D), W_hx (H, D), b_h (H,), W_yh (K, H), b_y (K,) -> y (B, K).
    An answer that calls the package's VanillaRNN (or hidden_step, output_step) is refused."""
    hidden = lambda c, g=np.tanh: g(c["x"] @ c["W_hx"].T + c["b_h"])  # noqa: E731
    wrong = [
        (lambda c: hidden(c, lambda a: a) @ c["W_yh"].T + c["b_y"],
         "the tanh is missing: without g1 the network is linear, whatever H is"),
        (lambda c: np.tanh(c["x"] @ c["W_hx"].T) @ c["W_yh"].T + c["b_y"],
         "the hidden bias b_h is missing (h_0 = 0 removes W_hh h_0, not b_h)"),
        (lambda c: hidden(c) @ c["W_yh"].T, "the output bias b_y is missing"),
        (lambda c: np.tanh(hidden(c) @ c["W_yh"].T + c["b_y"]),
         "the output has a tanh: y = W_yh h + b_y is linear (g2 is the identity here)"),
        (lambda c: np.tanh(c["x"] @ c["W_hx"] + c["b_h"]) @ c["W_yh"] + c["b_y"],
         "the weights are transposed: with rows as the batch, x @ W_hx.T and h @ W_yh.T"),
    ]
    cases = _cases(_mlp_case, [(4, 3, 3, 3), (5, 2, 6, 3), (3, 4, 5, 2), (1, 2, 3, 4)])
    return _run("check_one_step_mlp", fn, cases, _one_step_mlp, "(B, K)", wrong,
                forbidden=(VanillaRNN, hidden_step, hidden_forward, output_step),
                own="write the two layers yourself, with NumPy")


# ---------------------------------------------------------------- one-to-many: notes to sound
def _note_case(rng, N):
    return dict(midi=rng.integers(21, 109, N))


def _frequency(midi):
    return note_frequency(midi, base=0)


def check_note_frequency(fn):
    """Check ``fn(midi) -> Hz``: the equal-temperament frequency of each MIDI note number in
    the array ``midi`` (A4 = 69 is 440 Hz; each of the 12 semitones of an octave multiplies
    the frequency by the same factor, so an octave doubles it). An answer that calls the
    page's note_frequency is refused."""
    m = lambda c: c["midi"].astype(float)  # noqa: E731
    wrong = [
        (lambda c: 2 ** ((m(c) - 69) / 12),
         "the 440 is missing: 2**((m - 69) / 12) is the ratio to A4, not a frequency"),
        (lambda c: 440 * 2 ** (m(c) - 69), "the /12 is missing: an octave is 12 notes"),
        (lambda c: 440 * 2 ** ((69 - m(c)) / 12),
         "the sign is flipped: higher notes have higher frequencies, (m - 69)"),
        (lambda c: 440 * 2 ** ((m(c) - 60) / 12),
         "440 Hz belongs to A4 = 69, not to middle C = 60"),
        (lambda c: 440 * (m(c) - 69) / 12 + 440,
         "pitch is exponential in the note number: use 2 ** ((m - 69) / 12)"),
    ]
    cases = _cases(_note_case, [(5,), (1,), (12,)])
    return _run("check_note_frequency", fn, cases, _frequency, "(N,)", wrong,
                forbidden=(note_frequency,), own="write the formula yourself, with NumPy")


# ---------------------------------------------------------------- many-to-one: the last step
def _last_case(rng, T, B, K):
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T                      # one sequence fills the batch, ...
    if T > 1 and B > 1:
        lengths[1] = rng.integers(1, T)  # ... and one ends before step T
    return dict(ys=2 * rng.standard_normal((T, B, K)), labels=rng.integers(0, K, B),
                lengths=lengths)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_last_step_gradient(fn):
    """Check ``fn(ys, labels, lengths) -> dys``: dL/dys for L = (1/B) sum_b
    CE(softmax(ys[T_b - 1, b]), labels[b]), the loss of a many-to-one network on sequences
    padded at the end, each read at its own last step T_b = lengths[b]. ys (T, B, K) logits,
    labels (B,) ints, lengths (B,) ints in 1..T -> dys (T, B, K), shaped like ys.
    An answer that calls the package's last_step_cross_entropy is refused."""
    def at_last(c, value, steps=None):
        out = np.zeros_like(c["ys"])
        B = c["ys"].shape[1]
        steps = c["lengths"] - 1 if steps is None else steps
        out[steps, np.arange(B)] = value
        return out

    def last(c):
        return c["ys"][c["lengths"] - 1, np.arange(c["ys"].shape[1])]

    onehot = lambda c: np.eye(c["ys"].shape[-1])[c["labels"]]  # noqa: E731
    B = lambda c: c["ys"].shape[1]  # noqa: E731
    wrong = [
        (lambda c: at_last(c, (_softmax(c["ys"][-1]) - onehot(c)) / B(c),
                           np.full(B(c), c["ys"].shape[0] - 1)),
         "reads ys[-1] for every sequence: a sequence shorter than T ends at step "
         "lengths[b], and the steps after it are padding"),
        (lambda c: at_last(c, _softmax(last(c)) - onehot(c)),
         "the 1/B is missing: the loss is the mean over the batch"),
        (lambda c: (_softmax(c["ys"]) - onehot(c)) / B(c),
         "every step gets a gradient: only each sequence's last output is in the loss, so "
         "dys is zero at every other step"),
        (lambda c: at_last(c, _softmax(last(c)) / B(c)),
         "the one-hot is missing: dL/dz = softmax(z) - onehot(label)"),
        (lambda c: at_last(c, (_softmax(c["ys"][0]) - onehot(c)) / B(c), np.zeros(B(c), int)),
         "the gradient is at the first step: the many-to-one output is the last one, at "
         "step lengths[b]"),
    ]
    cases = _cases(_last_case, [(3, 4, 3), (5, 2, 4), (1, 3, 2), (4, 1, 5)])
    return _run("check_last_step_gradient", fn, cases,
                lambda ys, labels, lengths: last_step_cross_entropy(ys, labels, lengths)[1],
                "(T, B, K)", wrong, forbidden=(last_step_cross_entropy, last_outputs),
                own="write the gradient yourself, with NumPy")


# ---------------------------------------------------------------- many-to-many: token accuracy
def _accuracy_case(rng, T, B, K):
    targets = rng.integers(0, K, (T, B))
    predicted = np.where(rng.random((T, B)) < 0.7, targets, rng.integers(0, K, (T, B)))
    mask = np.ones((T, B))
    for b, length in enumerate(rng.integers(1, T + 1, B)):
        mask[length:, b] = 0
    mask[:, 0] = 1   # at least one full-length sentence
    return dict(predicted=predicted, targets=targets, mask=mask)


def _token_accuracy(predicted, targets, mask):
    return float(np.sum((predicted == targets) * mask) / np.sum(mask))


def check_token_accuracy(fn):
    """Check ``fn(predicted, targets, mask) -> accuracy``: the fraction of real tokens (mask 1)
    whose predicted tag equals the target; padded steps (mask 0) count neither way.
    predicted, targets (T, B) ints; mask (T, B) 0/1 -> a float in [0, 1]."""
    right = lambda c: (c["predicted"] == c["targets"])  # noqa: E731
    wrong = [
        (lambda c: float(np.mean(right(c))),
         "padding is counted: average only over the real tokens, where mask is 1"),
        (lambda c: float(np.sum(right(c) * c["mask"]) / c["mask"].size),
         "the denominator counts the padding: divide by mask.sum(), the number of real tokens"),
        (lambda c: float(np.sum(right(c) * c["mask"])),
         "this is a count: divide by the number of real tokens to get a fraction"),
    ]
    cases = _cases(_accuracy_case, [(6, 4, 3), (5, 3, 7), (8, 5, 2)])
    return _run("check_token_accuracy", fn, cases, _token_accuracy, None, wrong)


# ---------------------------------------------------------------- encoder-decoder: teacher forcing
def _decoder_case(rng, Ty, B):
    return dict(targets=rng.integers(2, 12, (Ty, B)), start=int(rng.integers(0, 2)))


def _decoder_inputs(targets, start):
    return np.concatenate([np.full((1, targets.shape[1]), start), targets[:-1]])


def check_decoder_inputs(fn):
    """Check ``fn(targets, start) -> dec_in``: the decoder's inputs under teacher forcing:
    the start token at the first step, then at each step the previous step's target.
    targets (Ty, B) ints, start an int -> dec_in (Ty, B)."""
    wrong = [
        (lambda c: c["targets"],
         "no shift: the decoder would read the very token it must predict"),
        (lambda c: np.concatenate([c["targets"][1:], np.full((1, c["targets"].shape[1]),
                                                             c["start"])]),
         "shifted the wrong way: input t is the target of step t-1, so the start comes first"),
        (lambda c: np.roll(c["targets"], 1, axis=0),
         "the first input is the start token, not the last target (np.roll wraps around)"),
        (lambda c: np.concatenate([np.full((1, c["targets"].shape[1]), c["start"]),
                                   c["targets"]]),
         "one step too many: drop the last target, dec_in has Ty steps like targets"),
    ]
    cases = _cases(_decoder_case, [(4, 3), (3, 5), (6, 1)])
    return _run("check_decoder_inputs", fn, cases, _decoder_inputs, "(Ty, B)", wrong)
