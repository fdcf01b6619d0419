"""A character-level language model, measured (Chapter 3).

* ``nats_per_char``: the model's average loss per character on a text it reads.
* ``unigram_nats`` and ``bigram_nats``: the two baselines any model must beat, counted
  from the training text with add-alpha smoothing.
* ``Monitor``: a callback for ``train_tbptt`` that records the loss on a training and a
  held-out text at regular steps, and samples text at chosen steps.
* ``rate_grid``: held-out loss after the same number of updates, for each learning rate of
  a grid and each seed, so that two optimisers can each be compared at their best rate.
* ``word_set`` and ``word_share``: the words of a text, and the share of the words of a
  sample that are words of the training text.

Losses are in nats per character (natural log); divide by ln 2 for bits per character.
"""
import re

import numpy as np

from ..data import one_hot
from ..losses import softmax_cross_entropy
from ..sampling import sample
from ..training import train_tbptt

__all__ = ["BITS_PER_NAT", "nats_per_char", "unigram_nats", "bigram_nats", "Monitor",
           "rate_grid", "word_set", "word_share"]

BITS_PER_NAT = 1.0 / np.log(2.0)   # bits = nats / ln 2


def _ids(name, ids, V):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < 2:
        raise ValueError(f"{name} has shape {ids.shape} and dtype {ids.dtype}; expected a 1-D "
                         "array of at least 2 integer indices")
    if ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"{name} holds values in [{ids.min()}, {ids.max()}]; "
                         f"expected indices in [0, {V - 1}] (V={V})")
    return ids


def nats_per_char(rnn, ids, streams=16):
    """-(1/N) sum_t log p(c_{t+1} | c_1..c_t): the average loss of predicting each next character.

    The text ``ids`` (n,) is cut into ``streams`` equal pieces read side by side (rows of one
    batch), each from h_0 = 0, as ``tbptt_windows`` cuts a training text; the last
    (n - 1) mod streams characters are left out. Returns nats per character (a float).
    """
    V = rnn.sizes[0]
    ids = _ids("ids", ids, V)
    if isinstance(streams, bool) or not isinstance(streams, (int, np.integer)) or streams < 1:
        raise ValueError(f"streams is {streams!r}; expected a positive integer")
    n = (len(ids) - 1) // streams
    if n < 1:
        raise ValueError(f"ids has {len(ids)} entries; need at least streams + 1 = {streams + 1}")
    inputs = ids[: n * streams].reshape(streams, n).T          # (T, B), column b = piece b
    targets = ids[1: n * streams + 1].reshape(streams, n).T
    logits, _ = rnn.forward(one_hot(inputs, V))
    loss, _ = softmax_cross_entropy(logits, targets)         # summed over T, mean over B
    return loss / n


def _check_alpha(alpha):
    if not (isinstance(alpha, (int, float)) and np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha is {alpha!r}; expected a finite number > 0")


def unigram_nats(train_ids, test_ids, V, alpha=1.0):
    """Loss of p(c) = (count(c) + alpha) / (N + alpha V), the same guess at every step.

    Counts come from ``train_ids``; the loss is averaged over test_ids[1:] (the characters a
    next-character model is asked to predict). Returns nats per character.
    """
    _check_alpha(alpha)
    train_ids, test_ids = _ids("train_ids", train_ids, V), _ids("test_ids", test_ids, V)
    counts = np.bincount(train_ids, minlength=V) + alpha
    return float(-np.mean(np.log(counts[test_ids[1:]] / counts.sum())))


def bigram_nats(train_ids, test_ids, V, alpha=0.1):
    """Loss of p(c' | c) = (count(c c') + alpha) / (count(c) + alpha V): the next character
    from the current one only. Counts come from ``train_ids``; the loss is averaged over the
    pairs of ``test_ids``. Returns nats per character."""
    _check_alpha(alpha)
    train_ids, test_ids = _ids("train_ids", train_ids, V), _ids("test_ids", test_ids, V)
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(probs[test_ids[:-1], test_ids[1:]])))


class Monitor:
    """A ``callback(step, rnn)`` for ``train_tbptt``: what the model knows as it trains.

    Every ``every`` updates it records ``nats_per_char`` on ``train_ids`` and ``heldout_ids``
    (in ``steps``, ``train`` and ``heldout``); with ``train_ids=None`` only the held-out text
    is measured (``train`` stays empty), which halves the cost. At each step of ``sample_at``
    it stores a sample of ``length`` characters after ``prime`` in ``samples[step]`` (temperature 1,
    seeded, so the same model gives the same text). Call ``monitor(0, rnn)`` before training
    to record the untrained model. ``streams`` is passed to ``nats_per_char``.
    """

    def __init__(self, vocab, train_ids, heldout_ids, every=50, sample_at=(), prime="Alice ",
                 length=120, seed=0, streams=16):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every is {every!r}; expected a positive integer")
        self.streams = streams
        self.vocab, self.train_ids, self.heldout_ids = vocab, train_ids, heldout_ids
        self.every, self.sample_at = every, set(sample_at)
        self.prime, self.length, self.seed = prime, length, seed
        self.steps, self.train, self.heldout, self.samples = [], [], [], {}

    def __call__(self, step, rnn):
        if step % self.every == 0:
            self.steps.append(step)
            if self.train_ids is not None:
                self.train.append(nats_per_char(rnn, self.train_ids, self.streams))
            self.heldout.append(nats_per_char(rnn, self.heldout_ids, self.streams))
        if step in self.sample_at:
            self.samples[step] = sample(rnn, self.vocab, self.prime, self.length, seed=self.seed)


def rate_grid(new_model, make_optimizer, rates, seeds, train_ids, heldout_ids, *, updates,
              window=25, batch_size=32, records=None, **train_options):
    """Held-out nats per character after ``updates`` updates, for every rate and seed.

    ``new_model(seed)`` returns a fresh model; ``make_optimizer(params, rate)`` its optimiser.
    Each run reads the first ``updates * window * batch_size + 1`` characters of ``train_ids``
    once (``train_tbptt`` cuts them into ``batch_size`` streams: exactly ``updates`` windows),
    with ``train_options`` such as clip_norm, and is measured with ``nats_per_char`` on
    ``heldout_ids``. A run that diverges (its loss or gradient is not finite) counts as inf.
    If ``records`` is a dict, records[rate, seed] receives each finished run's ``train_tbptt``
    result plus "optimizer" (the object ``make_optimizer`` returned), so that a later
    experiment can reuse the run. Returns an array (len(rates), len(seeds)).
    """
    if isinstance(updates, bool) or not isinstance(updates, (int, np.integer)) or updates < 1:
        raise ValueError(f"updates is {updates!r}; expected a positive integer")
    if len(rates) == 0 or len(seeds) == 0:
        raise ValueError("rates and seeds must each hold at least one value")
    length = updates * window * batch_size + 1
    if length > len(train_ids):
        raise ValueError(f"updates is {updates}: {updates} windows of {window} x {batch_size} "
                         f"need {length} characters; train_ids has {len(train_ids)}")
    short = np.asarray(train_ids)[:length]
    out = np.empty((len(rates), len(seeds)))
    for i, rate in enumerate(rates):
        for j, seed in enumerate(seeds):
            rnn = new_model(seed)
            optimizer = make_optimizer(rnn.params, rate)
            with np.errstate(all="ignore"):
                try:
                    result = train_tbptt(rnn, short, window=window, batch_size=batch_size,
                                         optimizer=optimizer, progress=False, **train_options)
                    loss = nats_per_char(rnn, heldout_ids)
                    if records is not None:
                        records[rate, seed] = dict(result, optimizer=optimizer)
                except ValueError as error:  # the optimiser refuses NaN gradients: diverged
                    if "NaN or inf" not in str(error):
                        raise
                    loss = np.inf
            out[i, j] = loss if np.isfinite(loss) else np.inf
    return out


def word_set(text):
    """The set of the words of ``text``: runs of the letters a-z, lower-cased."""
    return set(re.findall(r"[a-z]+", text.lower()))


def word_share(sample_text, known_words):
    """The share of the words of ``sample_text`` (runs of letters, lower-cased) that are in
    ``known_words`` (a set of lower-case words). 0.0 if the sample has no word."""
    words = re.findall(r"[a-z]+", sample_text.lower())
    if not words:
        return 0.0
    return sum(word in known_words for word in words) / len(words)
