"""Two directions, measured (Chapter 6): a tagger that reads the words ahead, and why such a
model cannot write text.

* ``train_tagger``: Chapter 5's tagging loop for any model with ``forward``/``backward``
  (a ``VanillaRNN``, a ``BidirectionalRNN``, ...): the same shuffled minibatches for the same
  seed, the same masked loss, optimiser, rate and clipping.
* ``tag_ids``: each sentence's predicted tag indices, cut to its length.
* ``ambiguous_cases``: the held-out ambiguous names counted case by case, as in Chapter 5.
* ``output_change``: how much each step's output moves when one input is changed.
* ``stepwise_nats``: a character model's loss when it reads the text one character at a time,
  carrying its state (``final_state``) from call to call: all a model that writes text has.
"""
import numpy as np

from ..data import one_hot
from ..losses import softmax_cross_entropy
from ..optim import Adagrad
from ..training import train
from .seq2seq import minibatches

__all__ = ["train_tagger", "tag_ids", "ambiguous_cases", "output_change", "stepwise_nats"]


def _masked_loss(ys, targets_and_mask):
    return softmax_cross_entropy(ys, *targets_and_mask)


def train_tagger(model, xs, targets, mask, seed, *, steps=600, batch_size=50, lr=0.05,
                 clip_norm=5.0):
    """Train ``model`` in place to tag every step: ``steps`` Adagrad updates (rate ``lr``,
    gradients clipped to global norm ``clip_norm``) on minibatches of ``batch_size`` columns
    of xs (T, N, D), drawn as Chapter 5 draws them from ``seed``; targets (T, N) ints, mask
    (T, N) 0/1 (padding gets no loss). Returns ``train``'s history."""
    xs, targets, mask = np.asarray(xs), np.asarray(targets), np.asarray(mask)
    if xs.ndim != 3:
        raise ValueError(f"xs has shape {xs.shape}; expected (T, N, D)")
    for name, array in (("targets", targets), ("mask", mask)):
        if array.shape != xs.shape[:2]:
            raise ValueError(f"{name} has shape {array.shape}; expected (T, N) = "
                             f"{xs.shape[:2]}")
    order = minibatches(np.random.default_rng(seed), xs.shape[1], batch_size, steps)
    batches = [(xs[:, i], (targets[:, i], mask[:, i])) for i in order]
    return train(model, batches, _masked_loss, Adagrad(model.params, lr=lr),
                 clip_norm=clip_norm, progress=False)


def tag_ids(model, xs, lengths):
    """The argmax tag of every real step: a list with one int array per column of xs
    (T, N, D), cut to that sentence's length (``lengths``, N ints)."""
    guess = model.forward(xs)[0].argmax(axis=-1)
    if len(lengths) != guess.shape[1]:
        raise ValueError(f"lengths has {len(lengths)} entries; expected one per column of xs "
                         f"({guess.shape[1]})")
    return [guess[:n, b] for b, n in enumerate(lengths)]


def ambiguous_cases(sentences, true_tags, predicted, names=("jordan", "paris", "lima")):
    """{(name, true type, "first word" or "inside"): (count, right)} over the words of
    ``names`` in ``sentences`` (word lists), with their true and predicted BIO tags."""
    if not len(sentences) == len(true_tags) == len(predicted):
        raise ValueError(f"sentences, true_tags and predicted have {len(sentences)}, "
                         f"{len(true_tags)} and {len(predicted)} entries; expected the same")
    out = {}
    for words, true, guess in zip(sentences, true_tags, predicted):
        for j, (word, t, g) in enumerate(zip(words, true, guess)):
            if word in names:
                key = (word, t[2:], "first word" if j == 0 else "inside")
                count, right = out.get(key, (0, 0))
                out[key] = (count + 1, right + (g == t))
    return out


def output_change(model, xs, xs_changed):
    """For each step t, the largest ``abs(ys[t] - ys_changed[t])`` over batch and outputs:
    (T,), where ``ys`` and ``ys_changed`` are the model's outputs on xs and xs_changed (the
    same shape, (T, B, D))."""
    if np.shape(xs) != np.shape(xs_changed):
        raise ValueError(f"xs_changed has shape {np.shape(xs_changed)}; expected the shape of "
                         f"xs, {np.shape(xs)}")
    ys, ys_changed = model.forward(xs)[0], model.forward(xs_changed)[0]
    return np.abs(ys - ys_changed).max(axis=(1, 2))


def stepwise_nats(model, ids):
    """Nats per character when the model reads ``ids`` (1-D ints) one character per call,
    each call starting from ``model.final_state`` of the call before: it predicts ids[t+1]
    having read ids[0..t] and nothing after, as it must when it writes text. For a
    left-to-right model this equals reading the text in one call."""
    V = model.sizes[0]
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < 2:
        raise ValueError(f"ids has shape {ids.shape} and dtype {ids.dtype}; expected a 1-D "
                         "array of at least 2 integer indices")
    xs, state, total = one_hot(ids[:-1, None], V), {}, 0.0
    for t in range(len(ids) - 1):
        ys, cache = model.forward(xs[t:t + 1], **state)
        total += softmax_cross_entropy(ys, ids[t + 1:t + 2, None])[0]
        state = model.final_state(cache) if hasattr(model, "final_state") else {"h0": cache[-1]}
    return total / (len(ids) - 1)
