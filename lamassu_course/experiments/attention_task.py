"""Chapter 7's task: copy or reverse a string of digits, where the encoder's last state is a
bottleneck.

A source is 1 to L digits; the target is the same digits (``task="copy"``) or the digits
reversed (``task="reverse"``), then ``<end>``. A vanilla encoder-decoder must carry every digit
in its one state s_0 = h_Tx; a decoder with attention reads the encoder's state at every
position instead. Sources are padded at the end and read with their lengths: s_0 is each
source's state at its own last real digit, padded positions get attention weight 0, and
padded target steps are masked out of the loss, so an example's loss and gradients do not
depend on the batch it is in.

Vocabularies: source digits 0-9 and ``<pad>`` = 10 (D = 11); target digits 0-9, ``<end>`` = 10,
``<start>`` = 11 (V = 12; ``<start>`` is only ever an input).
"""
from collections import namedtuple

import numpy as np

from .._checks import check_shape
from ..attention import length_mask
from ..attention_decoder import AttentionDecoder
from ..data import one_hot
from ..decoding import (attention_decoder_steps, beam_search, greedy_decode,
                        rnn_decoder_steps, scheduled_inputs, take_state)
from ..layers import hidden_backward, hidden_forward
from ..losses import softmax_cross_entropy
from ..optim import Adagrad, clip_by_global_norm
from ..rnn import VanillaRNN
from .seq2seq import minibatches

__all__ = ["PAD", "END", "START", "SRC_SIZE", "TGT_SIZE", "TASKS", "Batch",
           "digit_strings", "make_split", "check_disjoint", "make_batch", "encode",
           "vanilla_loss", "attention_loss", "make_pair", "decoder_steps", "train_pair",
           "decode", "beam_decode", "attention_weights", "sequence_accuracy", "first_mistake",
           "edit_distance", "accuracy_by_length"]

PAD, END, START = 10, 10, 11
SRC_SIZE, TGT_SIZE = 11, 12
TASKS = ("copy", "reverse")


Batch = namedtuple("Batch", "src lengths dec_in targets mask")
Batch.__doc__ = """A batch of N examples: src (Tx, N, 11) one-hot sources padded at the end; lengths (N,);
dec_in (Ty, N) decoder inputs (``<start>`` then the targets shifted); targets (Ty, N);
mask (Ty, N) 0/1 of real target steps (Ty = Tx + 1: the digits and ``<end>``)."""


# ---------------------------------------------------------------- data
def digit_strings(rng, n, length):
    """n random strings of ``length`` digits: (n, length) ints in 0..9."""
    return rng.integers(0, 10, size=(n, length))


def make_split(rng, max_len, n_train, n_test, min_len=1, held_share=0.2):
    """(train, test): lists of digit strings (1-D int arrays) that share no string.

    The held-out set has, for each length from ``min_len`` to ``max_len``, ``n_test``
    different strings, or ``held_share`` of all 10^length strings of that length if fewer
    (2 of the 10 one-digit strings, 20 of the 100 two-digit ones). The training set is
    ``n_train`` strings of lengths uniform in min_len..max_len, drawn at random among the
    strings not held out (repeats allowed). ``check_disjoint`` asserts it."""
    if not 1 <= min_len <= max_len:
        raise ValueError(f"min_len={min_len}, max_len={max_len}; expected 1 <= min_len <= max_len")
    test = []
    for length in range(min_len, max_len + 1):
        want = min(n_test, max(1, int(held_share * 10 ** min(length, 9))))
        chosen = set()
        while len(chosen) < want:
            chosen.add(tuple(digit_strings(rng, 1, length)[0]))
        test += [np.array(s) for s in sorted(chosen)]
    held = {tuple(s) for s in test}
    lengths = rng.integers(min_len, max_len + 1, size=n_train)
    train = []
    for length in lengths:
        while True:
            s = digit_strings(rng, 1, length)[0]
            if tuple(s) not in held:
                break
        train.append(s)
    check_disjoint(train, test)
    return train, test


def check_disjoint(train, test):
    """Raise ValueError if a held-out string is also a training string."""
    shared = {tuple(s) for s in train} & {tuple(s) for s in test}
    if shared:
        raise ValueError(f"{len(shared)} held-out string(s) are in the training set, "
                         f"e.g. {sorted(shared)[0]}; expected none")


def make_batch(strings, task="reverse"):
    """A ``Batch`` of the digit strings ``strings`` (1-D int arrays of lengths >= 1)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    strings = [np.asarray(s) for s in strings]
    lengths = np.array([len(s) for s in strings])
    # The padding of ``tasks.pad_right``, for the whole batch at once (training makes a
    # batch at every update): column b holds string b, then PAD (sources) or END (targets).
    steps = np.arange(lengths.max())[:, None]
    real = steps < lengths                                   # (Tx, N)
    ids = np.full(real.shape, PAD)
    ids.T[real.T] = np.concatenate(strings)                  # string after string
    if task == "reverse":                                    # position t: digit n - 1 - t
        ids_out = np.take_along_axis(ids, np.where(real, lengths - 1 - steps, 0), axis=0)
    else:
        ids_out = ids
    targets = np.vstack([np.where(real, ids_out, END), np.full((1, len(strings)), END)])
    mask = (np.arange(len(targets))[:, None] <= lengths).astype(float)   # digits and <end>
    dec_in = np.vstack([np.full((1, len(strings)), START), targets[:-1]])
    return Batch(one_hot(ids, SRC_SIZE), lengths, dec_in, targets, mask)


# ---------------------------------------------------------------- losses
def encode(encoder, batch):
    """Run the encoder: (hs (Tx+1, N, H), s0 (N, H)), s0 each source's state at its last real
    digit, hs[lengths[b], b]. The states of ``encoder.forward``, without its outputs y_t,
    which nothing reads."""
    p = encoder.params
    h0 = np.zeros((len(batch.lengths), p["W_hh"].shape[0]), dtype=p["W_hx"].dtype)
    hs = hidden_forward(batch.src, h0, p["W_hx"], p["W_hh"], p["b_h"],
                        encoder.hidden_activation)
    return hs, hs[batch.lengths, np.arange(len(batch.lengths))]


def _encoder_grads(encoder, batch, hs, dhs, ds0):
    """The encoder's parameter gradients from dL/dh_j (dhs (Tx, N, H)) and dL/ds0, which is
    added at each source's last real step. Its output weights are unused (zero gradient)."""
    dhs = dhs.copy()
    dhs[batch.lengths - 1, np.arange(len(batch.lengths))] += ds0
    p = encoder.params
    _, _, dW_hx, dW_hh, db_h = hidden_backward(dhs, batch.src, hs, p["W_hx"], p["W_hh"],
                                               encoder.hidden_activation, overwrite_dhs=True)
    return {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h,
            "W_yh": np.zeros_like(p["W_yh"]), "b_y": np.zeros_like(p["b_y"])}


def vanilla_loss(encoder, decoder, batch, dec_in=None, encoded=None, grads=True):
    """Loss and gradients of the vanilla encoder-decoder (two ``VanillaRNN``s, s_0 = the
    encoder's last real state), teacher forcing: L = (1/N) sum masked CE. ``dec_in``
    replaces ``batch.dec_in`` (scheduled sampling); ``encoded``, if given, is ``encode``'s
    (hs, s0), already computed. Returns (loss, {"encoder": grads, "decoder": grads}), as
    ``experiments.seq2seq.encoder_decoder_loss``; with ``grads=False``, (loss, None), the
    loss alone (half the work, for finite differences)."""
    dec_x = one_hot(batch.dec_in if dec_in is None else dec_in, TGT_SIZE)
    hs, s0 = encode(encoder, batch) if encoded is None else encoded
    logits, ss = decoder.forward(dec_x, h0=s0)
    loss, dlogits = softmax_cross_entropy(logits, batch.targets, batch.mask)
    if not grads:
        return loss, None
    grads = decoder.backward(dec_x, ss, dlogits)
    enc = _encoder_grads(encoder, batch, hs, np.zeros_like(hs[1:]), grads["h0"])
    return loss, {"encoder": enc, "decoder": {k: grads[k] for k in decoder.params}}


def attention_loss(encoder, decoder, batch, dec_in=None, encoded=None, grads=True):
    """Loss and gradients of a ``VanillaRNN`` encoder and an ``AttentionDecoder``: s_0 the
    encoder's last real state, attention over its real states (padding masked), teacher
    forcing. The encoder's gradient enters at every state (dL/dh_j from the attention) and at
    s_0. ``dec_in``, ``encoded`` and ``grads`` as in ``vanilla_loss``. Returns (loss,
    {"encoder": grads, "decoder": grads})."""
    dec_x = one_hot(batch.dec_in if dec_in is None else dec_in, TGT_SIZE)
    hs, s0 = encode(encoder, batch) if encoded is None else encoded
    mask = length_mask(batch.lengths, hs.shape[0] - 1)
    logits, cache = decoder.forward(dec_x, hs[1:], s0, mask)
    loss, dlogits = softmax_cross_entropy(logits, batch.targets, batch.mask)
    if not grads:
        return loss, None
    grads = decoder.backward(dec_x, cache, dlogits)
    enc = _encoder_grads(encoder, batch, hs, grads["hs_enc"], grads["s0"])
    return loss, {"encoder": enc, "decoder": {k: grads[k] for k in decoder.params}}


# ---------------------------------------------------------------- models and training
def make_pair(kind, hidden_size, seed, attn_size=None):
    """(encoder, decoder) for ``kind`` "vanilla" or "attention": a VanillaRNN encoder
    (11, H, 1) from seed 2 seed + 1, and a VanillaRNN decoder (12, H, 12) or an
    AttentionDecoder(12, H, H, attn_size (default H)) from seed 2 seed + 2."""
    encoder = VanillaRNN(SRC_SIZE, hidden_size, 1, seed=2 * seed + 1)
    if kind == "vanilla":
        decoder = VanillaRNN(TGT_SIZE, hidden_size, TGT_SIZE, seed=2 * seed + 2)
    elif kind == "attention":
        decoder = AttentionDecoder(TGT_SIZE, hidden_size, hidden_size,
                                   attn_size or hidden_size, seed=2 * seed + 2)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected 'vanilla' or 'attention'")
    return encoder, decoder


def decoder_steps(encoder, decoder, batch, hs=None):
    """(step_fn, state) of ``decoding`` for either kind of pair, on ``batch``'s sources
    (``hs``: the encoder's states on them, if already computed)."""
    make = attention_decoder_steps if isinstance(decoder, AttentionDecoder) \
        else rnn_decoder_steps
    return make(encoder, decoder, batch.src, batch.lengths, hs)


def train_pair(kind, train, hidden_size, seed, *, task="reverse", steps=1000, batch_size=32,
               lr=0.05, clip_norm=5.0, attn_size=None, eps=0.0, sample=True,
               callback=None):
    """An encoder-decoder of ``kind`` trained from ``seed`` on the strings ``train``.

    ``steps`` Adagrad updates (rate ``lr``) on shuffled minibatches of ``batch_size``, the
    gradients of both networks clipped together to global norm ``clip_norm``. The seed sets
    the weights (``make_pair``), the order of the minibatches and the scheduled-sampling
    draws. ``eps`` (a number, or a function of the update's index 0..steps-1) is the
    probability of feeding the model's own previous token instead of the true one
    (``decoding.scheduled_inputs``; 0, the default, is teacher forcing).
    ``callback(i, encoder, decoder)``, if given, is called after update i (0-based), e.g.
    to keep a copy of the weights part way: the first k minibatches do not depend on
    ``steps``, so the copy after k updates is the pair ``steps=k`` would return.
    Returns (encoder, decoder, losses (steps,)).
    """
    encoder, decoder = make_pair(kind, hidden_size, seed, attn_size)
    loss_fn = attention_loss if kind == "attention" else vanilla_loss
    rng = np.random.default_rng(seed)
    order = minibatches(rng, len(train), batch_size, steps)
    opt_e, opt_d = Adagrad(encoder.params, lr=lr), Adagrad(decoder.params, lr=lr)
    losses = np.empty(steps)
    for i, idx in enumerate(order):
        batch = make_batch([train[j] for j in idx], task)
        rate = eps(i) if callable(eps) else eps
        encoded = encode(encoder, batch)          # once, for the loss and the sampling
        dec_in = None
        if rate > 0:
            dec_in = scheduled_inputs(*decoder_steps(encoder, decoder, batch, encoded[0]),
                                      batch.dec_in, rate, rng, sample)
        losses[i], grads = loss_fn(encoder, decoder, batch, dec_in, encoded)
        flat = {("e", k): g for k, g in grads["encoder"].items()}
        flat.update({("d", k): g for k, g in grads["decoder"].items()})
        flat, _ = clip_by_global_norm(flat, clip_norm)
        opt_e.step({k: flat[("e", k)] for k in encoder.params})
        opt_d.step({k: flat[("d", k)] for k in decoder.params})
        if callback is not None:
            callback(i, encoder, decoder)
    return encoder, decoder, losses


# ---------------------------------------------------------------- evaluation
def decode(encoder, decoder, batch):
    """Greedy (free-running) outputs (Ty, N) for ``batch``'s sources, Ty = Tx + 1."""
    step_fn, state = decoder_steps(encoder, decoder, batch)
    tokens, _ = greedy_decode(step_fn, state, START, END, batch.targets.shape[0])
    return tokens


def beam_decode(encoder, decoder, batch, beam_width, length_norm=None):
    """``decoding.beam_search`` on each source of ``batch``, one at a time. Returns
    (outputs (Ty, N) ints, the best hypothesis of each, padded with ``<end>`` after it;
    log_probs (N,) their summed log-probabilities). ``beam_width=1`` gives ``decode``'s
    outputs."""
    step_fn, state = decoder_steps(encoder, decoder, batch)
    Ty, N = batch.targets.shape
    outputs, log_probs = np.full((Ty, N), END), np.empty(N)
    for b in range(N):
        tokens, log_probs[b], _ = beam_search(step_fn, take_state(state, [b]), START, END,
                                              beam_width, Ty, length_norm)[0]
        outputs[:len(tokens), b] = tokens
    return outputs, log_probs


def attention_weights(encoder, decoder, batch, outputs=None):
    """The attention weights alphas (Ty, N, Tx) of an ``AttentionDecoder`` on ``batch``: the
    decoder reads the true previous tokens, or, given ``outputs`` (Ty, N) (e.g. ``decode``'s),
    its own, and then these are the weights of free-running decoding. alphas[:, b, :lengths[b]]
    is source b's alignment: output step down, source position across (0 on the pads)."""
    if not isinstance(decoder, AttentionDecoder):
        raise ValueError(f"decoder is a {type(decoder).__name__}; expected an AttentionDecoder")
    dec_in = batch.dec_in if outputs is None else \
        np.vstack([np.full((1, outputs.shape[1]), START), outputs[:-1]])
    hs, s0 = encode(encoder, batch)
    mask = length_mask(batch.lengths, hs.shape[0] - 1)
    _, cache = decoder.forward(one_hot(dec_in, TGT_SIZE), hs[1:], s0, mask)
    return cache["alphas"]


def first_mistake(outputs, batch):
    """(N,) the first target step (0-based) where ``outputs`` (Ty, N) is wrong, -1 where
    the output is exactly right (steps after the target's ``<end>`` are not read)."""
    wrong = (outputs != batch.targets) & (batch.mask == 1)
    return np.where(wrong.any(axis=0), wrong.argmax(axis=0), -1)


def edit_distance(outputs, batch):
    """(N,) ints: the edit (Levenshtein) distance between each output and its target, the
    fewest insertions, deletions and substitutions of one token that turn one into the other.

    ``outputs`` (Ty, N), e.g. ``decode``'s, each read up to and including its first
    ``<end>`` (all Ty tokens if it has none); targets up to their ``<end>``. Unlike a count
    of the positions where the two differ, a dropped or an extra token costs 1, not one at
    every later position: the output "4 3 <end>" for the target "4 1 3 <end>" is 1 edit
    away, though it differs from it at every position from the second on."""
    outputs = np.asarray(outputs)
    Ty, N = batch.targets.shape
    if outputs.dtype.kind not in "iu":
        raise TypeError(f"outputs has dtype {outputs.dtype}; expected integer tokens")
    check_shape("outputs", outputs, (None, N), ("T", "N"))
    ends = outputs == END
    out_len = np.full(N, len(outputs))                       # no <end>: all of it
    if ends.any():
        has_end = ends.any(axis=0)
        out_len[has_end] = ends[:, has_end].argmax(axis=0) + 1   # up to the first <end>
    tgt_len = batch.mask.sum(axis=0).astype(int)
    columns = np.arange(N)
    # row[j, b]: the distance between the first i tokens of output b and the first j of
    # its target, one row i at a time (the classic table, for every example at once)
    row = np.repeat(np.arange(Ty + 1)[:, None], N, axis=1)
    distance = tgt_len.copy()                  # an empty output: every target token
    for i in range(1, len(outputs) + 1):
        new = np.empty_like(row)
        new[0] = i
        for j in range(1, Ty + 1):
            swap = row[j - 1] + (outputs[i - 1] != batch.targets[j - 1])
            new[j] = np.minimum(np.minimum(row[j], new[j - 1]) + 1, swap)
        row = new
        done = out_len == i
        distance[done] = row[tgt_len[done], columns[done]]
    return distance


def sequence_accuracy(outputs, batch):
    """(N,) bools: True where every target token and the ``<end>`` are right (steps after
    the target's ``<end>`` are not read)."""
    right = (outputs == batch.targets) | (batch.mask == 0)
    return right.all(axis=0)


def accuracy_by_length(encoder, decoder, strings, task="reverse"):
    """{length: share of the strings of that length translated exactly right} (greedy)."""
    batch = make_batch(strings, task)
    right = sequence_accuracy(decode(encoder, decoder, batch), batch)
    return {int(n): float(right[batch.lengths == n].mean()) for n in np.unique(batch.lengths)}
