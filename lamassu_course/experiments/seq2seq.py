"""Losses and loops for the shapes of Chapter 5 that need more than ``train``.

Many-to-one: the loss reads only the last output, L = CE(y_T, label), so dL/dy_t = 0 for t < T
and BPTT carries the one gradient back through every step. Sequences of different lengths are
padded at the end and each is read at its own last real step, t = length - 1: its output
there depends on its own words only, never on how much padding the batch gave it.

Encoder-decoder (Tx != Ty): an encoder RNN reads x_1..x_Tx; its last state starts the
decoder, s_0 = h_Tx. The decoder reads the previous target token (teacher forcing) and
predicts the next one:

    s_t = tanh(U_hh s_{t-1} + U_hx e(z_{t-1}) + c_h),   p_t = softmax(U_yh s_t + c_y)

L = (1/B) sum_{t,b} mask_{t,b} CE(p_t, z_t). The decoder's backward returns dL/ds_0, which is
dL/dh_Tx: the encoder's backward takes it as ``dh_last``, with no other gradient (its own
outputs are unused).
"""
import numpy as np

from .._checks import check_shape
from ..activations import softmax
from ..data import one_hot
from ..losses import softmax_cross_entropy
from ..optim import Adagrad, clip_by_global_norm
from ..rnn import VanillaRNN
from ..training import train

__all__ = ["last_step_cross_entropy", "last_outputs", "train_many_to_one", "encoder_decoder_loss",
           "train_encoder_decoder",
           "greedy_decode", "teacher_forced_decode", "minibatches", "generate"]


def _check_lengths(lengths, T, B):
    lengths = np.asarray(lengths)
    if lengths.shape != (B,) or lengths.dtype.kind not in "iu" or \
            (B and (lengths.min() < 1 or lengths.max() > T)):
        raise ValueError(f"lengths has shape {lengths.shape} and dtype {lengths.dtype}; "
                         f"expected ({B},) integers in 1..{T}")
    return lengths


def last_outputs(ys, lengths=None):
    """Each sequence's output at its last real step: ys (T, B, K) -> (B, K).

    ``lengths`` (B,) ints in 1..T are the real lengths of sequences padded at the end (as
    ``tasks.pad_right`` pads them): sequence b is read at step lengths[b] - 1. The recurrence
    runs forward, so that output has seen the sequence's words and no pad. Without
    ``lengths``, every sequence is read at the last step T (sequences padded at the start)."""
    ys = np.asarray(ys)
    if ys.ndim != 3:
        raise ValueError(f"ys has shape {ys.shape}; expected (T, B, K)")
    if lengths is None:
        return ys[-1]
    lengths = _check_lengths(lengths, *ys.shape[:2])
    return ys[lengths - 1, np.arange(ys.shape[1])]


def last_step_cross_entropy(ys, labels, lengths=None):
    """Cross-entropy of the last output only: ys (T, B, K), labels (B,) ints -> (loss, dys).

    L = (1/B) sum_b CE(softmax(ys[T-1, b]), labels[b]); dys is zero except at t = T-1.
    With ``lengths`` (B,) (sequences padded at the end), sequence b is read at its own last
    real step, ys[lengths[b] - 1, b], and dys is zero everywhere else: no gradient enters at
    a pad step, and BPTT carries none back through one (the pads come after).
    Pass it as ``loss_fn`` to ``train_step`` / ``train`` (with ``lengths``, through a lambda)."""
    last = last_outputs(ys, lengths)
    ys = np.asarray(ys)
    check_shape("labels", labels, (ys.shape[1],), ("B",))
    loss, dlast = softmax_cross_entropy(last, labels)
    dys = np.zeros_like(ys, dtype=dlast.dtype)
    if lengths is None:
        dys[-1] = dlast
    else:
        dys[np.asarray(lengths) - 1, np.arange(ys.shape[1])] = dlast
    return loss, dys


def train_many_to_one(xs, labels, hidden_size, seed, *, lengths=None, steps=600, batch_size=50,
                      lr=0.05, clip_norm=5.0):
    """A many-to-one classifier trained from ``seed``: a VanillaRNN (D, hidden_size, K) with
    K = labels.max() + 1, ``steps`` Adagrad updates on shuffled minibatches of xs (T, N, D)
    and labels (N,), loss ``last_step_cross_entropy``. The seed sets both the weights and the
    order of the minibatches. With ``lengths`` (N,) (sequences padded at the end), each
    sequence is read at its own last real step, and a minibatch is cut after its longest
    sequence (the steps cut hold only pads, which change no gradient). Returns
    (rnn, history) as ``train`` does."""
    xs, labels = np.asarray(xs), np.asarray(labels)
    if xs.ndim != 3:
        raise ValueError(f"xs has shape {xs.shape}; expected (T, N, D)")
    check_shape("labels", labels, (xs.shape[1],), ("N",))
    if lengths is not None:
        lengths = _check_lengths(lengths, *xs.shape[:2])
    rnn = VanillaRNN(xs.shape[2], hidden_size, int(labels.max()) + 1, seed=seed)
    rng = np.random.default_rng(seed)
    order = minibatches(rng, xs.shape[1], batch_size, steps)
    if lengths is None:
        batches, loss_fn = [(xs[:, i], labels[i]) for i in order], last_step_cross_entropy
    else:
        batches = [(xs[:lengths[i].max(), i], (labels[i], lengths[i])) for i in order]

        def loss_fn(ys, target):
            return last_step_cross_entropy(ys, *target)
    history = train(rnn, batches, loss_fn, Adagrad(rnn.params, lr=lr),
                    clip_norm=clip_norm, progress=False)
    return rnn, history


def _param_grads(rnn, grads):
    return {name: grads[name] for name in rnn.params}


def encoder_decoder_loss(encoder, decoder, src, dec_in, targets, mask=None):
    """Loss and gradients of an encoder-decoder pair with teacher forcing.

    src (Tx, B, D) encoder inputs; dec_in (Ty, B) ints: the decoder's inputs (a start token,
    then the targets shifted by one step); targets (Ty, B) ints; mask (Ty, B) 0/1 of real
    target steps. The decoder's input size is its vocabulary size V (one-hot inputs).
    Returns (loss, {"encoder": grads, "decoder": grads}); each grads holds the parameters only.
    """
    V = decoder.sizes[0]
    check_shape("dec_in", dec_in, np.shape(targets), ("Ty", "B"))
    _, hs_enc = encoder.forward(src)
    dec_x = one_hot(dec_in, V)
    logits, hs_dec = decoder.forward(dec_x, h0=hs_enc[-1])     # s_0 = h_Tx
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    dec_grads = decoder.backward(dec_x, hs_dec, dlogits)
    no_output_grad = np.zeros(src.shape[:2] + (encoder.sizes[2],))
    enc_grads = encoder.backward(src, hs_enc, no_output_grad, dh_last=dec_grads["h0"])
    return loss, {"encoder": _param_grads(encoder, enc_grads),
                  "decoder": _param_grads(decoder, dec_grads)}


def minibatches(rng, n, batch_size, steps):
    """``steps`` arrays of ``batch_size`` indices into n examples: shuffled epochs, in order."""
    if batch_size > n:
        raise ValueError(f"batch_size is {batch_size}; expected at most n={n}")
    order = []
    while len(order) < steps * batch_size:
        order.extend(rng.permutation(n)[: n - n % batch_size])
    return [np.array(order[i * batch_size:(i + 1) * batch_size]) for i in range(steps)]


def train_encoder_decoder(encoder, decoder, batches, enc_opt, dec_opt, clip_norm=5.0):
    """One update per (src, dec_in, targets, mask) of ``batches``; the gradients of both
    networks are clipped together by their global norm. Returns the array of losses."""
    losses = []
    for src, dec_in, targets, mask in batches:
        loss, grads = encoder_decoder_loss(encoder, decoder, src, dec_in, targets, mask)
        flat = {("e", k): g for k, g in grads["encoder"].items()}
        flat.update({("d", k): g for k, g in grads["decoder"].items()})
        flat, _ = clip_by_global_norm(flat, clip_norm)
        enc_opt.step({k: flat[("e", k)] for k in grads["encoder"]})
        dec_opt.step({k: flat[("d", k)] for k in grads["decoder"]})
        losses.append(loss)
    return np.array(losses)


def greedy_decode(encoder, decoder, src, start, end, max_len):
    """Translate without the targets: feed back the most likely token at each step.

    src (Tx, B, D) -> (max_len, B) ints; after ``end`` a sequence keeps emitting ``end``."""
    V = decoder.sizes[0]
    _, hs_enc = encoder.forward(src)
    h = hs_enc[-1]
    token = np.full(src.shape[1], start)
    done = np.zeros(src.shape[1], dtype=bool)
    out = []
    for _ in range(max_len):
        logits, hs = decoder.forward(one_hot(token, V)[None], h0=h)
        h = hs[-1]
        token = np.where(done, end, logits[0].argmax(axis=-1))
        done |= token == end
        out.append(token)
    return np.array(out)


def teacher_forced_decode(encoder, decoder, src, dec_in):
    """The decoder's most likely token at each step when it reads the true previous tokens
    ``dec_in`` (Ty, B) (as in training), not its own: src (Tx, B, D) -> (Ty, B) ints."""
    V = decoder.sizes[0]
    _, hs_enc = encoder.forward(src)
    logits, _ = decoder.forward(one_hot(dec_in, V), h0=hs_enc[-1])
    return logits.argmax(axis=-1)


def generate(rnn, first, length, rng, temperature=1.0):
    """One-to-many generation with feedback: read ``first`` (B,) ints, draw the next token
    from softmax(y_t / temperature), feed it back as the next input, ``length - 1`` times.

    The network's input and output vocabularies are the same (D = K). Returns
    (length, B) ints whose first row is ``first``."""
    D, _, K = rnn.sizes
    if D != K:
        raise ValueError(f"the network has D={D} inputs and K={K} outputs; expected D = K")
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature is {temperature!r}; expected a finite number > 0")
    tokens, h = [np.asarray(first)], None
    for _ in range(length - 1):
        ys, hs = rnn.forward(one_hot(tokens[-1], K)[None], h)
        h = hs[-1]
        probs = softmax(ys[0] / temperature)
        draws = rng.random((len(probs), 1))
        tokens.append(np.minimum((probs.cumsum(axis=-1) < draws).sum(axis=-1), K - 1))
    return np.array(tokens)

