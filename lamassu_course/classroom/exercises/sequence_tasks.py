"""Checks for Chapter 5's design exercises: a training run, a loss mask, a greedy decoder.

* ``check_trained_classifier`` (many-to-one): the student's training run, judged on the
  page's held-out reviews against the page's strongest count model;
* ``check_next_word_loss`` (many-to-many): the mask and mean of a loss for a new task;
* ``check_greedy_decode`` (encoder-decoder): the decoding loop, against ``greedy_decode``.

The answers may use the package's pieces (``VanillaRNN``, ``train``, ``one_hot``, ...) but
not the one function that is the whole exercise (``train_many_to_one``, ``greedy_decode``).
"""
import contextlib
import functools
import io

import numpy as np

from ... import decoding as _decoding
from ...data import one_hot
from ...init import scaled_normal
from ...losses import softmax_cross_entropy
from ...rnn import VanillaRNN
from ...experiments import seq2seq as _seq2seq
from ...experiments.baselines import BagOfWords, fit_logistic, predict_logistic
from ...experiments.tasks import WordVocab, pad_right, sentiment_sentences, unseen_split
from ._runner import fail as _fail, make_cases as _cases, run_check as _run

__all__ = ["check_trained_classifier", "check_next_word_loss", "check_greedy_decode"]


OWN = "write it yourself; the package's other pieces (VanillaRNN, train, one_hot, ...) are allowed"


# ---------------------------------------------------------------- many-to-one: a training run
def _last_clause(words):
    return words[len(words) - words[::-1].index("but"):] if "but" in words else words


@functools.lru_cache(maxsize=1)
def _reviews():
    """The page's reviews and split (seed 0: 2000 drawn, 1000 for training, 400 unseen), one-hot
    and padded at the end, with the accuracy of its strongest baseline and of the majority."""
    sentences, labels = sentiment_sentences(np.random.default_rng(0), 2000)
    vocab = WordVocab(sentences)
    train_ids, test_ids = unseen_split(sentences, 1000, 400)
    ids, real = pad_right([vocab.encode(words) for words in sentences])
    lengths, xs = real.sum(axis=0).astype(int), one_hot(ids, vocab.size)
    clause = [_last_clause(words) for words in sentences]
    bag = BagOfWords([clause[i] for i in train_ids], n=3, skip=True)
    w = fit_logistic(bag.transform([clause[i] for i in train_ids]), labels[train_ids])
    guess = predict_logistic(w, bag.transform([clause[i] for i in test_ids]))
    majority = np.bincount(labels[train_ids]).argmax()
    data = {"train": (xs[:, train_ids], labels[train_ids], lengths[train_ids]),
            "test": (xs[:, test_ids], labels[test_ids], lengths[test_ids]),
            "baseline": float(np.mean(guess == labels[test_ids])),
            "majority": float(np.mean(labels[test_ids] == majority))}
    for part in ("train", "test"):
        for array in data[part]:
            array.flags.writeable = False
    return data


class _Run:
    """The answer as the runner sees it: train, then the held-out outputs at each review's
    last word, (400, K). Keeps the last network's outputs at every step."""

    def __init__(self, fn, data):
        self.fn, self.data, self.ys = fn, data, None

    def __call__(self, xs, labels, lengths, seed, steps):
        net = self.fn(xs, labels, lengths, seed, steps)
        if net is None or not callable(getattr(net, "forward", None)):
            return net                       # the runner names what came back
        test_x, _, test_len = self.data["test"]
        self.ys = np.asarray(net.forward(np.copy(test_x))[0])
        return _seq2seq.last_outputs(self.ys, test_len)


def _accuracy(outputs, labels):
    return float(np.mean(np.argmax(outputs, axis=-1) == labels))


def check_trained_classifier(fn):
    """Check ``fn(xs, labels, lengths, seed, steps) -> rnn``: a training run of a many-to-one
    classifier on the page's 1000 training reviews, xs (T, N, D) one-hot and padded at the end,
    labels (N,) 0/1, lengths (N,) the real lengths; it returns the trained network (a
    ``VanillaRNN``, or anything with ``forward(xs) -> (ys, hs)``), read at each review's last
    word, and takes ``steps`` updates from ``seed``.

    First it must be seeded: two runs of 5 updates from seed 0 give the same outputs on the 400
    held-out reviews, and a run from seed 1 other ones. Then one run of 600 updates from seed 0
    must beat, on those 400 unseen reviews, the page's strongest baseline: a logistic
    regression on the words, pairs, skip-pairs and triples of the last clause.
    """
    name = "check_trained_classifier"
    if not callable(fn):
        return _fail(name, f"expected a function; got {type(fn).__name__} {fn!r}")
    data = _reviews()
    run = _Run(fn, data)
    train = dict(zip(("xs", "labels", "lengths"), data["train"]))
    base, majority = data["baseline"], data["majority"]
    test_y = data["test"][1]
    expect = "the trained network (with .forward(xs) -> (ys, hs))"
    not_network = [(lambda out, c: isinstance(out, tuple) and hasattr(out[0], "forward"),
                    "returned a tuple: return the network alone (train returns its history "
                    "separately; the check reads the network)")]

    def seeded(outputs, case):
        again = run(**case)
        if np.shape(again) != np.shape(outputs) or not np.allclose(outputs, again, 1e-10, 1e-12):
            return ("two runs from the same seed differ: make every random choice from the "
                    "seed (the starting weights, VanillaRNN(..., seed=seed), and the order of "
                    "the minibatches, np.random.default_rng(seed))")
        other = run(**(case | {"seed": case["seed"] + 1}))
        if np.shape(other) == np.shape(outputs) and np.allclose(outputs, other, 1e-10, 1e-12):
            return ("runs from seeds 0 and 1 give the same network: use the seed argument, "
                    "not a fixed seed of your own")
        return None

    def beats(outputs, case):
        accuracy = _accuracy(outputs, test_y)
        if accuracy > base:
            return None
        return (f"held-out accuracy {accuracy:.3f} does not beat the strongest baseline's "
                f"{base:.3f} (a linear model of the last clause's words, pairs, skip-pairs and "
                f"triples): train for all `steps` updates, with a learning rate that moves the "
                f"weights (the page: Adagrad, lr=0.05, minibatches of 50, clip_norm=5.0)")

    def learned_nothing(outputs, case):
        return _accuracy(outputs, test_y) < majority + 0.1

    def trained_at_T(outputs, case):
        return _accuracy(run.ys[-1], test_y) > _accuracy(outputs, test_y) + 0.1
    symptoms = not_network + [
        (trained_at_T,
         "the network was trained on its output at step T, after the padding: read at each "
         "review's last word it is wrong, read at step T right. Give the loss each "
         "minibatch's lengths, last_step_cross_entropy(ys, labels, lengths)"),
        (learned_nothing,
         f"the network learned next to nothing (the majority class alone gets {majority:.3f}): "
         "does each update reach the network's own weights (optimizer on rnn.params, the "
         "gradient of the loss passed to backward)?"),
    ]
    for steps, judge, signs in ((5, seeded, not_network), (600, beats, symptoms)):
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet):
            ok = _run(name, run, [train | {"seed": 0, "steps": steps}],
                      lambda **case: np.zeros((len(test_y), 2)), expect, (), signs, judge,
                      forbidden=(_seq2seq.train_many_to_one,), own=OWN)
        if not ok:
            print(quiet.getvalue().replace("case 1 of 1", f"run of {steps} updates"), end="")
            return False
    accuracy = _accuracy(_seq2seq.last_outputs(run.ys, data["test"][2]), test_y)
    print(f"✓ {name}: seeded, and it beats the strongest baseline\n"
          f"   on the held-out reviews: accuracy {accuracy:.3f} against {base:.3f}")
    return True


# ---------------------------------------------------------------- many-to-many: a loss mask
def _words_case(rng, T, B, V):
    lengths = rng.integers(2, T + 1, B)
    lengths[0] = T                            # one sentence fills the batch, ...
    lengths[1] = rng.integers(2, T)           # ... and one ends before step T
    ids = rng.integers(1, V, (T, B))          # 0 is <pad>
    ids[np.arange(T)[:, None] >= lengths] = 0
    return dict(ys=2 * rng.standard_normal((T, B, V)), word_ids=ids, lengths=lengths)


def _next_word(c, shift=1, last=1, upto=None, denominator="mask", grad_mask=True,
               grad_scale=True):
    """The next-word loss with one typical mistake (the defaults are right): the target at
    step t is word t + ``shift`` (0, the padding, where there is none); a step counts when
    t < lengths - ``last`` (or t < ``upto``)."""
    ys, ids, lengths = c["ys"], c["word_ids"], c["lengths"]
    T, B = ids.shape
    t = np.arange(T)[:, None]
    targets = np.zeros_like(ids)
    if shift >= 0:
        targets[:T - shift] = ids[shift:]
    else:
        targets[-shift:] = ids[:shift]
    mask = (t < (lengths - last if upto is None else upto)) & (t + min(shift, 0) >= 0)
    mask = mask.astype(float)
    n = {"mask": mask.sum(), "all": mask.size, "B": B}[denominator]
    p = np.exp(ys - ys.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    onehot = np.eye(ys.shape[-1])[targets]
    loss = -np.sum(mask * np.log(np.sum(p * onehot, axis=-1))) / n
    d = (p - onehot) * (mask[..., None] if grad_mask else 1.0) / (n if grad_scale else 1.0)
    return loss, d


def _next_word_loss(ys, word_ids, lengths):
    """The reference, from the package's masked cross-entropy, rescaled from a sum over B
    sentences to a mean over the predicted words."""
    T, B = word_ids.shape
    targets = np.concatenate([word_ids[1:], np.zeros((1, B), dtype=word_ids.dtype)])
    mask = (np.arange(T)[:, None] < lengths - 1).astype(float)
    loss, dys = softmax_cross_entropy(ys, targets, mask)
    return loss * B / mask.sum(), dys * B / mask.sum()


def check_next_word_loss(fn):
    """Check ``fn(ys, word_ids, lengths) -> (loss, dys)``: the loss of a next-word predictor on
    sentences padded at the end. ys (T, B, V) logits, word_ids (T, B) ints (0 is the padding),
    lengths (B,) ints in 2..T. The output at step t predicts the word at step t + 1, so a
    sentence of T_b words gives T_b - 1 predictions (t < T_b - 1); the loss is their mean
    cross-entropy, L = sum_{t,b} mask CE / sum(mask), and dys (T, B, V) is its gradient, zero
    wherever the mask is 0."""
    wrong = [
        (lambda c: _next_word(c, last=0),
         "off by one: the last real word (step lengths[b] - 1) has no next word to predict, "
         "only the padding after it; a sentence of T_b words gives T_b - 1 predictions, the "
         "mask is t < lengths[b] - 1"),
        (lambda c: _next_word(c, upto=c["word_ids"].shape[0] - 1),
         "padding is counted: the steps after a sentence's last word predict <pad>; mask "
         "them out, t < lengths[b] - 1"),
        (lambda c: _next_word(c, denominator="all"),
         "the mask is missing from the mean's denominator: divide by mask.sum(), the number "
         "of predicted words, not by every step of the batch"),
        (lambda c: _next_word(c, denominator="B"),
         "divided by B: that is the page's loss per sentence; this task asks the mean per "
         "predicted word, divided by mask.sum()"),
        (lambda c: _next_word(c, shift=0, last=0),
         "no shift: the output at step t predicts the next word, word_ids[t + 1], not the "
         "word it has just read"),
        (lambda c: _next_word(c, shift=-1, last=0),
         "shifted the wrong way: the target at step t is word_ids[t + 1], the word to come"),
        (lambda c: _next_word(c, grad_mask=False),
         "the loss is right but dys is not masked: no gradient may enter where the mask is 0"),
        (lambda c: _next_word(c, grad_scale=False),
         "the loss is right but dys lacks the 1 / mask.sum() of the mean"),
    ]
    cases = _cases(_words_case, [(5, 4, 6), (4, 3, 4), (6, 2, 9), (3, 5, 5)])
    return _run("check_next_word_loss", fn, cases, _next_word_loss,
                {"loss": "", "dys": "(T, B, V)"}, wrong)


# ---------------------------------------------------------------- encoder-decoder: greedy
def _decoder_case(rng, Tx, B, D, H, V, max_len):
    encoder, decoder = VanillaRNN(D, H, 1), VanillaRNN(V, H, V)
    for net, inputs in ((encoder, D), (decoder, V)):
        net.params.update(W_hx=scaled_normal(rng, H, inputs, 2.0),
                          W_hh=scaled_normal(rng, H, H, 1.5),
                          b_h=0.3 * rng.standard_normal(H))
    decoder.params.update(W_yh=scaled_normal(rng, V, H, 3.0),
                          b_y=0.5 * rng.standard_normal(V))
    return dict(encoder=encoder, decoder=decoder,
                src=one_hot(rng.integers(0, D, (Tx, B)), D),
                start=0, end=1, max_len=max_len)


def _greedy(c, state="encoder", restart=False, feed="argmax", stop=True, start_row=False):
    """Greedy decoding with one typical mistake (the defaults are right)."""
    encoder, decoder, V = c["encoder"], c["decoder"], c["decoder"].sizes[0]
    h_enc = encoder.forward(c["src"])[1][-1]
    h = h_enc if state == "encoder" else np.zeros_like(h_enc)
    B = c["src"].shape[1]
    token, x = np.full(B, c["start"]), one_hot(np.full(B, c["start"]), V)
    done, out = np.zeros(B, bool), [token] if start_row else []
    while len(out) < c["max_len"]:
        logits, hs = decoder.forward(x[None], h0=h_enc if restart else h)
        h = hs[-1]
        token = logits[0].argmax(axis=-1)
        if stop:
            token = np.where(done, c["end"], token)
            done |= token == c["end"]
        out.append(token)
        if feed == "argmax":
            x = one_hot(token, V)
        elif feed == "softmax":
            e = np.exp(logits[0] - logits[0].max(axis=-1, keepdims=True))
            x = e / e.sum(axis=-1, keepdims=True)
    return np.array(out)


def check_greedy_decode(fn, encoder=None, decoder=None, src=None, start=None, end=None,
                        max_len=None):
    """Check ``fn(encoder, decoder, src, start, end, max_len) -> tokens (max_len, B)``: greedy
    decoding of an encoder-decoder pair of VanillaRNNs, as ``seq2seq.greedy_decode`` does it.
    The encoder reads src (Tx, B, D); its last state starts the decoder, s_0 = h_Tx. The
    decoder (sizes (V, H, V)) reads the one-hot start token, then at each step the one-hot of
    the token it just wrote, the argmax of its output, carrying its state from step to step.
    A sequence that has written ``end`` keeps writing ``end``; the answer has max_len rows.

    Four cases are small random pairs; given ``encoder, decoder, src, start, end, max_len``
    (a page's trained pair and its inputs), that is a fifth case."""
    name = "check_greedy_decode"
    wrong = [
        (lambda c: _greedy(c, state="zeros"),
         "the decoder starts from zeros: its first state is the encoder's last one, "
         "s_0 = h_Tx = encoder.forward(src)[1][-1], which is all it knows of the source"),
        (lambda c: _greedy(c, restart=True),
         "the decoder restarts from the encoder's state at every step: carry its own state "
         "on, h0 of each step = the last state of the step before"),
        (lambda c: _greedy(c, feed="start"),
         "the decoder reads the start token at every step: feed back the token it just wrote "
         "(one-hot), as it read the previous target in training"),
        (lambda c: _greedy(c, feed="softmax"),
         "the decoder reads its softmax probabilities: feed back the one-hot of the token it "
         "wrote (the argmax), the kind of input it was trained on"),
        (lambda c: _greedy(c, stop=False),
         "a sequence goes on after `end`: once it has written end it keeps writing end"),
        (lambda c: _greedy(c, start_row=True),
         "the first row is the start token: the output is the tokens the decoder writes, "
         "max_len of them, without the start it reads"),
    ]
    symptoms = [(lambda out, c: np.ndim(out) == 2 and 0 < len(out) < c["max_len"]
                 and np.shape(out)[1] == c["src"].shape[1],
                 "returned fewer than max_len rows: do not stop the loop when a sequence (or "
                 "every one) has written end; a finished sequence writes end until max_len")]
    cases = _cases(_decoder_case, [(3, 6, 4, 5, 6, 5), (4, 5, 5, 5, 5, 6), (2, 8, 3, 7, 4, 4),
                                   (5, 3, 6, 4, 7, 6)])
    if encoder is not None:
        cases.append(dict(encoder=encoder, decoder=decoder, src=src, start=start, end=end,
                          max_len=max_len))

    def reference(encoder, decoder, src, start, end, max_len):
        return _seq2seq.greedy_decode(encoder, decoder, src, start, end, max_len)
    forbidden = (_seq2seq.greedy_decode, _decoding.greedy_decode)   # Chapter 7's too
    return _run(name, fn, cases, reference, "(max_len, B)", wrong, symptoms,
                forbidden=forbidden, own=OWN)
