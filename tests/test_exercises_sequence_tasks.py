"""Chapter 5's design checks pass the right answer and name each typical wrong answer.

Answers are written the way a student would write them: plain NumPy, or the package's pieces
(VanillaRNN, train, Adagrad, ...) but not the function that is the whole exercise.
"""
import numpy as np
import pytest

from lamassu_course import Adagrad, VanillaRNN, decoding, one_hot, train
from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import (check_greedy_decode, check_next_word_loss,
                                                check_trained_classifier)
from lamassu_course.experiments.seq2seq import (greedy_decode, last_step_cross_entropy,
                                                minibatches, train_many_to_one)


# ---------------------------------------------------------------- a training run
def fit(xs, labels, lengths, seed, steps, *, use_lengths=True, rng_seed="seed", lr=0.05,
        fixed_steps=None, learn=True, returns="net"):
    """The page's training run (Adagrad, minibatches of 50, clip 5), or one typical mistake."""
    steps = steps if fixed_steps is None else fixed_steps
    net = VanillaRNN(xs.shape[2], 32, 2, seed=seed if rng_seed == "seed" else 0)
    rng = np.random.default_rng({"seed": seed, "none": None, "fixed": 0}[rng_seed])
    batches = []
    for i in minibatches(rng, xs.shape[1], 50, steps):
        T = lengths[i].max() if use_lengths else xs.shape[0]
        batches.append((xs[:T, i], (labels[i], lengths[i])))

    def loss(ys, target):
        return last_step_cross_entropy(ys, target[0], target[1] if use_lengths else None)
    history = train(net, batches if learn else [], loss, Adagrad(net.params, lr=lr),
                    clip_norm=5.0, progress=False)
    return {"net": net, "pair": (net, history), "none": None}[returns]


def test_right_training_run_passes(capsys):
    assert check_trained_classifier(fit) is True
    out = capsys.readouterr().out
    assert out == ("✓ check_trained_classifier: seeded, and it beats the strongest baseline\n"
                   "   on the held-out reviews: accuracy 1.000 against 0.993\n"), out


TRAINING_MISTAKES = [
    (lambda *a: fit(*a, rng_seed="none"), "two runs from the same seed differ"),
    (lambda *a: fit(*a, rng_seed="fixed"), "runs from seeds 0 and 1 give the same network"),
    (lambda *a: fit(*a, use_lengths=False), "trained on its output at step T"),
    (lambda *a: fit(*a, learn=False), "learned next to nothing"),
    (lambda *a: fit(*a, fixed_steps=100), "does not beat the strongest baseline's 0.993"),
    (lambda *a: fit(*a, returns="pair"), "return the network alone"),
    (lambda *a: fit(*a, returns="none"), "returned None"),
    (lambda xs, y, n, seed, steps: train_many_to_one(xs, y, 32, seed, lengths=n, steps=steps)[0],
     "calls lamassu_course's train_many_to_one"),
]


@pytest.mark.parametrize("answer, hint", TRAINING_MISTAKES)
def test_training_mistake_gets_its_hint(answer, hint, checks):
    checks.rejects(check_trained_classifier, answer, hint)


# ---------------------------------------------------------------- a loss mask
def next_word(ys, word_ids, lengths, last=1, upto=None, denominator="mask", shift=1,
              grad_mask=True, grad_scale=True):
    T, B, V = ys.shape
    if shift == 1:
        targets = np.vstack([word_ids[1:], np.zeros((1, B), int)])
    elif shift == 0:
        targets = word_ids
    else:
        targets = np.vstack([np.zeros((1, B), int), word_ids[:-1]])
    t = np.arange(T)[:, None]
    mask = t < (lengths - last if upto is None else upto)
    if shift == -1:
        mask = mask & (t >= 1)
    mask = mask.astype(float)
    n = {"mask": mask.sum(), "all": mask.size, "B": B}[denominator]
    z = ys - ys.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    loss = -(mask * picked).sum() / n
    dys = np.exp(logp) - np.eye(V)[targets]
    if grad_mask:
        dys = dys * mask[..., None]
    return loss, dys / (n if grad_scale else 1)


def test_right_loss_passes(checks):
    checks.passes(check_next_word_loss, next_word, 4)


LOSS_MISTAKES = [
    (lambda y, w, n: next_word(y, w, n, last=0), "off by one"),
    (lambda y, w, n: next_word(y, w, n, upto=len(w) - 1), "padding is counted"),
    (lambda y, w, n: next_word(y, w, n, denominator="all"), "missing from the mean's denominator"),
    (lambda y, w, n: next_word(y, w, n, denominator="B"), "divided by B"),
    (lambda y, w, n: next_word(y, w, n, shift=0, last=0), "no shift"),
    (lambda y, w, n: next_word(y, w, n, shift=-1, last=0), "shifted the wrong way"),
    (lambda y, w, n: next_word(y, w, n, grad_mask=False), "dys is not masked"),
    (lambda y, w, n: next_word(y, w, n, grad_scale=False), "lacks the 1 / mask.sum()"),
    (lambda y, w, n: next_word(y, w, n)[0], "expected a pair"),
]


@pytest.mark.parametrize("answer, hint", LOSS_MISTAKES)
def test_loss_mistake_gets_its_hint(answer, hint, checks):
    checks.rejects(check_next_word_loss, answer, hint)


# ---------------------------------------------------------------- a greedy decoder
def decode(encoder, decoder, src, start, end, max_len, h_start="last", restart=False,
           feed="argmax", stop=True, with_start=False, stop_when_done=False):
    V = decoder.sizes[0]
    hs_enc = encoder.forward(src)[1]
    h = hs_enc[-1] if h_start == "last" else hs_enc[0]
    B = src.shape[1]
    x = one_hot(np.full(B, start), V)
    done = np.zeros(B, bool)
    out = [np.full(B, start)] if with_start else []
    while len(out) < max_len:
        ys, hs = decoder.forward(x[None], h0=hs_enc[-1] if restart else h)
        h = hs[-1]
        token = ys[0].argmax(axis=1)
        if stop:
            token[done] = end
            done = done | (token == end)
        out.append(token)
        if stop_when_done and done.all():
            break
        if feed == "argmax":
            x = one_hot(token, V)
        elif feed == "softmax":
            x = np.exp(ys[0]) / np.exp(ys[0]).sum(axis=1, keepdims=True)
    return np.stack(out)


def test_right_decoder_passes(checks):
    checks.passes(check_greedy_decode, decode, 4)


DECODER_MISTAKES = [
    (lambda *a: decode(*a, h_start="zeros"), "starts from zeros"),
    (lambda *a: decode(*a, restart=True), "restarts from the encoder's state at every step"),
    (lambda *a: decode(*a, feed="start"), "reads the start token at every step"),
    (lambda *a: decode(*a, feed="softmax"), "reads its softmax probabilities"),
    (lambda *a: decode(*a, stop=False), "goes on after `end`"),
    (lambda *a: decode(*a, with_start=True), "the first row is the start token"),
    (lambda *a: decode(*a, stop_when_done=True), "fewer than max_len rows"),
    (lambda *a: greedy_decode(*a), "calls lamassu_course's greedy_decode"),
    (lambda enc, dec, src, start, end, n: decoding.greedy_decode(
        *decoding.rnn_decoder_steps(enc, dec, src), start, end, n)[0],
     "calls lamassu_course's greedy_decode"),
]


@pytest.mark.parametrize("answer, hint", DECODER_MISTAKES)
def test_decoder_mistake_gets_its_hint(answer, hint, checks):
    checks.rejects(check_greedy_decode, answer, hint)


@pytest.mark.parametrize("check", [check_trained_classifier, check_next_word_loss,
                                   check_greedy_decode])
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


def test_checks_are_exported():
    for check in (check_trained_classifier, check_next_word_loss, check_greedy_decode):
        assert check.__name__ in exercises.__all__
