"""Decoding: turning a decoder's next-token probabilities into an output sequence.

Every decoder here is seen through one small interface, a *step function*::

    log_probs, new_state = step_fn(tokens, state)

tokens (N,) ints, the previous token of each of N sequences; log_probs (N, V), the
log-probabilities of the next token; state a NumPy array, or a tuple or dict of arrays,
with the N sequences on axis 0, so that a search can copy or reorder them with
``take(..., axis=0)``. ``rnn_decoder_steps`` and ``attention_decoder_steps`` build
(step_fn, state) from a trained encoder and decoder and a batch of sources.

A sequence's score is its summed log-probability, log p(z_1..z_n) = sum_t log p(z_t | z_<t),
counted up to and including the first ``end`` token. ``greedy_decode`` takes the most likely
token at every step; ``beam_search`` keeps the ``beam_width`` best partial sequences of one
source, ``batch_beam_search`` does the same for many sources at once.
"""
import numpy as np

from ._checks import check_shape
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .attention import length_mask
from .data import _int_ids, one_hot

__all__ = ["log_softmax", "take_state", "greedy_decode", "teacher_forced_decode",
           "sequence_log_prob", "beam_search", "batch_beam_search", "length_penalty",
           "rnn_decoder_steps", "attention_decoder_steps", "scheduled_inputs"]


def log_softmax(logits):
    """log softmax(z) along the last axis, stable: z - max z - log sum exp(z - max z)."""
    z = np.asarray(logits, dtype=float)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def take_state(state, rows):
    """The state of the sequences ``rows`` (ints): ``take(rows, axis=0)`` on every array of an
    array, tuple or dict state."""
    if isinstance(state, dict):
        return {key: take_state(value, rows) for key, value in state.items()}
    if isinstance(state, tuple):
        return tuple(take_state(value, rows) for value in state)
    return np.take(state, rows, axis=0)


def _check_int(name, value, low=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} is {value!r}; expected an integer >= {low}")
    return int(value)


def _first_tokens(start, state):
    """(N,) copies of ``start``, N read from the state's first array."""
    first = state
    while isinstance(first, (dict, tuple)):
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    return np.full(np.shape(first)[0], _check_int("start", start))


def greedy_decode(step_fn, state, start, end, max_len):
    """Free-running decoding: feed back the most likely token, max_len steps.

    Returns (tokens (max_len, N) ints, scores (N,)): after ``end`` a sequence keeps emitting
    ``end`` (as ``experiments.seq2seq.greedy_decode`` does), and its score is the summed
    log-probability of its tokens up to and including the first ``end`` (all max_len if it
    never emits one)."""
    end = _check_int("end", end)
    max_len = _check_int("max_len", max_len, 1)
    token = _first_tokens(start, state)
    done = np.zeros(len(token), dtype=bool)
    scores = np.zeros(len(token))
    out = []
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)
        best = log_probs.argmax(axis=-1)
        scores += np.where(done, 0.0, log_probs[np.arange(len(best)), best])
        token = np.where(done, end, best)
        done |= token == end
        out.append(token)
    return np.array(out), scores


def teacher_forced_decode(step_fn, state, dec_in):
    """The most likely token at each step when the decoder reads the true previous tokens
    ``dec_in`` (Ty, N) (as in training), not its own: a probe of the network, not a
    translation (it needs the answer). Returns (predictions (Ty, N), log_probs (Ty, N, V))."""
    dec_in = np.asarray(dec_in)
    if dec_in.ndim != 2 or dec_in.dtype.kind not in "iu":
        raise ValueError(f"dec_in has shape {dec_in.shape} and dtype {dec_in.dtype}; "
                         "expected (Ty, N) integer tokens")
    steps = []
    for t in range(len(dec_in)):
        log_probs, state = step_fn(dec_in[t], state)
        steps.append(log_probs)
    log_probs = np.array(steps)
    return log_probs.argmax(axis=-1), log_probs


def sequence_log_prob(step_fn, state, start, tokens, end=None):
    """Summed log-probability of the given output ``tokens`` (Ty, N) ints: sum_t log
    p(z_t | z_<t), the decoder reading start, z_1, z_2, ... With ``end``, steps after the
    first ``end`` of a sequence are not counted. Returns (N,)."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
        raise ValueError(f"tokens has shape {tokens.shape} and dtype {tokens.dtype}; "
                         "expected (Ty, N) integer tokens")
    first = _first_tokens(start, state)
    check_shape("tokens", tokens, (None, len(first)), ("Ty", "N"))
    dec_in = np.vstack([first[None], tokens[:-1]])
    _, log_probs = teacher_forced_decode(step_fn, state, dec_in)
    picked = np.take_along_axis(log_probs, tokens[..., None], axis=-1)[..., 0]
    if end is not None:
        ended_before = np.cumsum(tokens == end, axis=0) - (tokens == end) > 0
        picked = np.where(ended_before, 0.0, picked)
    return picked.sum(axis=0)


def length_penalty(length, alpha):
    """Wu et al.'s (2016) lp(n) = ((5 + n) / 6)^alpha; a hypothesis of n tokens is ranked by
    log p / lp(n). alpha = 0 gives lp = 1 (no normalisation); alpha = 1 is close to dividing
    by the length for long sequences. Shorter sequences have fewer negative terms, so without
    it a search prefers them."""
    return ((5.0 + np.asarray(length, dtype=float)) / 6.0) ** alpha


def beam_search(step_fn, state, start, end, beam_width, max_len, length_norm=None):
    """Beam search for one source: keep the ``beam_width`` best partial sequences.

    ``state`` holds one sequence (N = 1 on axis 0). At each step every live hypothesis is
    extended by every token; of all the extensions, the ``beam_width`` with the highest summed
    log-probability are kept. An extension that emits ``end`` is finished and set aside, and
    the beam narrows by one (as in Jurafsky & Martin's description); the search stops when no
    hypothesis is live or after ``max_len`` tokens, when the live ones are set aside too
    (unfinished, like a greedy output that never emits ``end``). So ``beam_width=1`` is
    greedy decoding exactly, and a beam of V^max_len hypotheses never prunes and finds the
    most probable sequence.

    Hypotheses are pruned by summed log-probability; the finished ones are ranked by
    log p / lp(n), lp the length penalty ``length_penalty(n, length_norm)`` with n the number
    of tokens including ``end`` (no normalisation if ``length_norm`` is None).
    Returns a list of (tokens (n,) ints, log p, score), best first.
    """
    end, beam_width, max_len = _search_args(end, beam_width, max_len, length_norm)
    token = _first_tokens(start, state)
    if len(token) != 1:
        raise ValueError(f"state holds {len(token)} sequences on axis 0; expected 1 "
                         "(beam_search decodes one source; loop over a batch)")
    sequences = np.zeros((1, 0), dtype=int)
    scores = np.zeros(1)
    finished = []
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)
        V = log_probs.shape[1]
        total = (scores[:, None] + log_probs).ravel()
        keep = np.argsort(-total, kind="stable")[:beam_width]
        rows, token = np.divmod(keep, V)               # the beam and the token of each
        sequences = np.concatenate([sequences[rows], token[:, None]], axis=1)
        scores = total[keep]
        ended = token == end
        if ended.any():                                 # set aside, narrow the beam
            finished += [(sequences[i], scores[i]) for i in np.flatnonzero(ended)]
            live = np.flatnonzero(~ended)
            if live.size == 0:
                break
            beam_width -= len(keep) - live.size
            sequences, scores, token, rows = (a[live] for a in (sequences, scores, token, rows))
        state = take_state(state, rows)
    else:
        finished += list(zip(sequences, scores))
    return _ranked(finished, length_norm)


def _search_args(end, beam_width, max_len, length_norm):
    """The beam searches' arguments, checked: (end, beam_width, max_len) as ints."""
    if length_norm is not None and not (np.isfinite(length_norm) and length_norm >= 0):
        raise ValueError(f"length_norm is {length_norm!r}; expected None or a number >= 0")
    return (_check_int("end", end), _check_int("beam_width", beam_width, 1),
            _check_int("max_len", max_len, 1))


def _ranked(finished, length_norm):
    """(tokens, log p, score) of each finished hypothesis, best score first."""
    alpha = 0.0 if length_norm is None else float(length_norm)
    ranked = [(seq, float(lp), float(lp / length_penalty(len(seq), alpha)))
              for seq, lp in finished]
    return sorted(ranked, key=lambda hyp: -hyp[2])


def batch_beam_search(step_fn, state, start, end, beam_width, max_len, length_norm=None):
    """``beam_search`` for each of the N sources of ``state``, all at once.

    The same search, source by source (each has its own beam, narrowed as its hypotheses
    finish, and the same ties broken the same way), but one ``step_fn`` call per step runs
    every live hypothesis of every source, instead of one call per source: on a page that
    decodes hundreds of sources, ten times faster. ``beam_search`` is the version to read.
    The log-probabilities can differ from ``beam_search``'s in the last bits (a product
    over more rows may round differently). Returns a list of N lists, as ``beam_search``'s.
    """
    end, beam_width, max_len = _search_args(end, beam_width, max_len, length_norm)
    token = _first_tokens(start, state)
    N = len(token)
    source = np.arange(N)                    # the source of each live hypothesis (a row)
    widths = np.full(N, beam_width)          # each source's beam width, narrowed
    sequences = np.zeros((N, 0), dtype=int)
    scores = np.zeros(N)
    finished = [[] for _ in range(N)]
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)
        V = log_probs.shape[1]
        # Row b of ``table``: source b's extensions, flattened as beam_search flattens them
        # (hypothesis by hypothesis, best first); -inf after them sorts last.
        counts = np.bincount(source, minlength=N)
        first = np.cumsum(counts) - counts                  # each source's first row
        rank = np.arange(len(source)) - first[source]       # a row's place in its source
        table = np.full((N, counts.max() * V), -np.inf)
        table[source[:, None], rank[:, None] * V + np.arange(V)] = scores[:, None] + log_probs
        order = np.argsort(-table, axis=1, kind="stable")
        kept = np.arange(table.shape[1]) < np.minimum(widths, counts * V)[:, None]
        source, place = np.nonzero(kept)                    # source by source, best first
        flat = order[source, place]
        rows, token = np.divmod(flat, V)
        rows += first[source]
        sequences = np.concatenate([sequences[rows], token[:, None]], axis=1)
        scores = table[source, flat]
        ended = token == end
        for i in np.flatnonzero(ended):                     # set aside, narrow the beam
            finished[source[i]].append((sequences[i], scores[i]))
        widths -= np.bincount(source[ended], minlength=N)
        live = ~ended
        if not live.any():
            break
        sequences, scores, token, rows, source = (
            a[live] for a in (sequences, scores, token, rows, source))
        state = take_state(state, rows)
    else:
        for i, b in enumerate(source):
            finished[b].append((sequences[i], scores[i]))
    return [_ranked(hyps, length_norm) for hyps in finished]


# ---------------------------------------------------------------- adapters
def _last_states(hs, lengths):
    """Each source's encoder state at its last real step: hs (Tx+1, B, H) -> (B, H)."""
    if lengths is None:
        return hs[-1]
    return hs[1:][np.asarray(lengths) - 1, np.arange(hs.shape[1])]


def _encoder_states(encoder, src, hs):
    """The encoder's states (Tx+1, B, H) on ``src``: ``hs`` if given (already computed, e.g.
    by a training step that needs them too), else those of ``encoder.forward(src)``."""
    if hs is None:
        _, hs = encoder.forward(src)
    check_shape("hs", hs, (np.shape(src)[0] + 1, np.shape(src)[1], None), ("Tx+1", "B", "H"))
    return hs


def rnn_decoder_steps(encoder, decoder, src, lengths=None, hs=None):
    """(step_fn, state) for Chapter 5's encoder-decoder: two ``VanillaRNN`` networks, the decoder
    started from the encoder's last state, s_0 = h_Tx, reading one-hot tokens.

    src (Tx, B, D) the encoder's inputs; ``lengths`` (B,) the real lengths of sources padded
    at the end (s_0 is then each source's state at its own last real step). state = s (B, H).
    The decoder's H must equal the encoder's. ``hs`` (Tx+1, B, H), if given, are the
    encoder's states on src (``encoder.forward(src)[1]``), not computed again.
    """
    V = decoder.sizes[0]
    hs = _encoder_states(encoder, src, hs)
    if lengths is not None:
        length_mask(lengths, hs.shape[0] - 1)               # checks them
    g1 = get_activation(decoder.hidden_activation, HIDDEN_ACTIVATIONS)
    g2 = get_activation(decoder.output_activation, OUTPUT_ACTIVATIONS)

    def step_fn(tokens, s):
        # One step of decoder.forward, the same numbers in the same order, without its
        # checks of the weights at every call (a search calls it thousands of times):
        # for a one-hot x_t, W_hx x_t is row `token` of W_hx.T.
        p = decoder.params
        tokens = _int_ids("tokens", tokens, V)
        check_shape("tokens", tokens, (len(s),), ("N",))
        s = np.asarray(s, dtype=p["W_hh"].dtype)     # as forward's h0
        a = s @ p["W_hh"].T
        a += p["W_hx"].T[tokens] + p["b_h"]       # W_hh s_{t-1} + (W_hx x_t + b_h)
        s_t = g1(a)
        z = s_t @ p["W_yh"].T
        z += p["b_y"]
        return log_softmax(g2(z)), s_t

    return step_fn, _last_states(hs, lengths)


def attention_decoder_steps(encoder, decoder, src, lengths=None, hs=None):
    """(step_fn, state) for a ``VanillaRNN`` encoder and an ``AttentionDecoder``: s_0 is the
    encoder's last real state, and the decoder attends to every real encoder state.

    The decoder's H must equal the encoder's (s_0 = h_Tx). src (Tx, B, D); ``lengths`` (B,)
    the real lengths of sources padded at the end (the padded positions get attention
    weight 0); ``hs``, if given, the encoder's states on src, as in ``rnn_decoder_steps``.
    state is a dict with the batch on axis 0:
    "s" (B, H), "hs" (B, Tx, H_enc) (the encoder's states, batch first), "mask" (B, Tx), and
    "alpha" (B, Tx), the attention weights of the last step (for drawing).
    """
    V = decoder.sizes[0]
    hs = _encoder_states(encoder, src, hs)
    Tx, B = hs.shape[0] - 1, hs.shape[1]
    mask = np.ones((B, Tx)) if lengths is None else length_mask(lengths, Tx)

    def step_fn(tokens, state):
        logits, s, alpha = decoder.step(one_hot(tokens, V), state["s"],
                                        state["hs"].transpose(1, 0, 2), state["mask"])
        return log_softmax(logits), dict(state, s=s, alpha=alpha)

    state = {"s": _last_states(hs, lengths), "hs": hs[1:].transpose(1, 0, 2), "mask": mask,
             "alpha": np.zeros((B, Tx))}
    return step_fn, state


# ---------------------------------------------------------------- scheduled sampling
def scheduled_inputs(step_fn, state, dec_in, eps, rng, sample=True):
    """Decoder inputs for scheduled sampling (Bengio et al. 2015).

    dec_in (Ty, N) the teacher-forcing inputs (start, z_1, ..., z_{Ty-1}). The decoder runs
    step by step; at every step t >= 1, each sequence independently, with probability ``eps``
    its input is the model's own previous prediction (drawn from p_{t-1} if ``sample``, the
    most likely token if not) instead of the true z_{t-1}. Bengio et al.'s epsilon_i is the
    probability of the *true* token, 1 - eps here. Returns the mixed inputs (Ty, N) ints.

    Train on them with the ordinary teacher-forced loss: the gradient then ignores the
    sampling decision (no gradient flows through the choice or the draw), as in the paper.
    """
    if not (np.isfinite(eps) and 0.0 <= eps <= 1.0):
        raise ValueError(f"eps is {eps!r}; expected a probability in [0, 1]")
    dec_in = np.array(dec_in)
    if dec_in.ndim != 2 or dec_in.dtype.kind not in "iu":
        raise ValueError(f"dec_in has shape {dec_in.shape} and dtype {dec_in.dtype}; "
                         "expected (Ty, N) integer tokens")
    if eps == 0.0:
        return dec_in
    for t in range(len(dec_in) - 1):
        log_probs, state = step_fn(dec_in[t], state)
        if sample:
            probs = np.exp(log_probs)
            draws = rng.random((len(probs), 1))
            own = np.minimum((probs.cumsum(axis=-1) < draws).sum(axis=-1), probs.shape[1] - 1)
        else:
            own = log_probs.argmax(axis=-1)
        use_own = rng.random(len(own)) < eps
        dec_in[t + 1] = np.where(use_own, own, dec_in[t + 1])
    return dec_in
