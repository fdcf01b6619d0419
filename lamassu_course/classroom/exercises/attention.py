"""Checks for Chapter 7's attention and decoding exercises.

* ``check_attention_step``: scaled dot-product attention for one decoder step, against
  ``attention.dot_product_attention_forward``;
* ``check_beam_step``: one step of beam search, keeping the k best (beam, token) pairs;
* ``check_free_running``: the free-running greedy decoding loop, against
  ``decoding.greedy_decode``, on small seeded decoders seen through the step interface.

Each check's reference is written out here with switches for the typical mistakes;
``tests/test_exercises_attention.py`` checks that the references equal the package's
functions. An answer that calls the package function the exercise asks for is refused.
"""
import contextlib
import io

import numpy as np

from ... import attention as _attention_module
from ... import decoding as _decoding
from ...attention_decoder import AttentionDecoder
from ...data import one_hot
from ...experiments import seq2seq as _seq2seq
from ...rnn import VanillaRNN
from ._runner import make_cases as _cases, run_check as _run

__all__ = ["check_attention_step", "check_beam_step", "check_free_running"]

OWN = "write it yourself, with NumPy"


def _frozen(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


# ================================================================ 1. one step of attention
def _attention(query, keys, values, mask, mistake=None):
    """(context (B, Dv), weights (B, T)) of scaled dot-product attention, with one typical
    ``mistake`` switched on (or none)."""
    d, Dv = query.shape[1], values.shape[2]
    factor = {"no_scale": 1.0, "scale_by_d": 1.0 / d,
              "scale_by_Dv": 1.0 / np.sqrt(Dv)}.get(mistake, 1.0 / np.sqrt(d))
    if mistake == "swapped_kv":
        keys, values = values, keys
    scores = np.einsum("bd,tbd->bt", query, keys) * factor
    real = np.asarray(mask) != 0
    if mistake in ("no_mask", "mask_after"):
        real = np.ones_like(real)
    axis = 0 if mistake == "batch_axis" else 1
    top = np.where(real, scores, -np.inf).max(axis=axis, keepdims=True)
    e = np.where(real, np.exp(np.where(real, scores - top, 0.0)), 0.0)
    weights = e / e.sum(axis=axis, keepdims=True)
    if mistake == "mask_after":
        weights = weights * mask
    context = np.einsum("bt,tbv->bv", weights, keys if mistake == "context_from_keys"
                        else values)
    return (weights, context) if mistake == "swapped_outputs" else (context, weights)


def _attention_case(rng, B, T, d, Dv, size=1.0, padded=True):
    """query (B, d), keys (T, B, d), values (T, B, Dv) and a (B, T) 0/1 mask: row 0 is
    full length, the others padded at the end (if ``padded``). The padded positions hold
    ordinary keys and values, so that attending to them shows."""
    lengths = rng.integers(1, T + 1, B) if padded else np.full(B, T)
    lengths[0] = T
    if padded and B > 1:
        lengths[1] = rng.integers(1, T)
    mask = (np.arange(T) < lengths[:, None]).astype(float)
    return dict(zip(("query", "keys", "values", "mask"), _frozen(
        size * rng.standard_normal((B, d)), size * rng.standard_normal((T, B, d)),
        rng.standard_normal((T, B, Dv)), mask)))


def _large_case(rng, scores, lengths, d):
    """A case whose scaled scores q . k_j / sqrt(d) are ``scores`` (B, T) and whose rows
    have these ``lengths``: each key is random but for its part along its query."""
    B, T = scores.shape
    query, keys = rng.standard_normal((B, d)), rng.standard_normal((T, B, d))
    norm2 = (query ** 2).sum(axis=1)
    along = np.einsum("bd,tbd->tb", query, keys) / norm2
    keys += (scores.T * np.sqrt(d) / norm2 - along)[:, :, None] * query
    mask = (np.arange(T) < np.asarray(lengths)[:, None]).astype(float)
    return dict(zip(("query", "keys", "values", "mask"), _frozen(
        query, keys, rng.standard_normal((T, B, d)), mask)))


# (B, T, d, Dv): d = Dv in some (keys and values swapped still run), B = T in one
ATTENTION_SIZES = [(3, 5, 4, 4), (2, 4, 3, 6), (4, 4, 6, 2), (5, 3, 2, 3)]
# The last case's scaled scores, (B, T) = (4, 5), d = Dv = 4: in the thousands, so that exp
# overflows (row 0) or underflows to 0 in a whole row (row 2) without subtracting the row's
# largest score; the top scores of a row within 2 of each other, so that clipping changes
# the weights; padding that holds the largest score of rows 1 and 2, so that the largest
# score must be taken over the real positions only.
LARGE_SCORES = np.array([[2000.0, 2001.0, -700.0, 1999.5, 350.0],
                         [120.0, -300.0, 121.2, 3000.0, -50.0],
                         [-2500.0, -2501.3, -2499.0, 40.0, 10.0],
                         [-1500.0, 800.0, 799.2, 801.1, -3000.0]])
LARGE_LENGTHS = [5, 3, 2, 4]


def _attention_cases():
    cases = _cases(_attention_case, ATTENTION_SIZES)
    cases.append(_large_case(np.random.default_rng(1100), LARGE_SCORES, LARGE_LENGTHS, 4))
    return cases


def _scores(case):
    """The case's scaled scores (B, T)."""
    return (np.einsum("bd,tbd->bt", case["query"], case["keys"])
            / np.sqrt(case["query"].shape[1]))


def _large(case):
    return np.abs(_scores(case)).max() > 100


def _weights_of(result):
    return np.asarray(result[1], dtype=float)


def _if_a_pair(symptom):
    """The symptom, tested only on an answer that returned two parts."""
    return lambda result, c: (isinstance(result, (tuple, list)) and len(result) == 2
                              and symptom(result, c))


def _clipped(result, c):
    """True if, on a case with large scores, two real positions of a row whose scores
    differ get the very same (nonzero) weight, as when the scores are clipped."""
    w, real = _weights_of(result), np.asarray(c["mask"]) != 0
    if not _large(c) or w.shape != real.shape:
        return False
    s = _scores(c)
    apart = np.abs(s[:, :, None] - s[:, None, :]) > 0.1
    both = real[:, :, None] & real[:, None, :] & (w[:, :, None] > 1e-300)
    with np.errstate(invalid="ignore"):
        tied = np.isclose(w[:, :, None], w[:, None, :], rtol=1e-9, atol=0.0)
    return bool(np.any(apart & both & tied))


def _max_with_padding(result, c):
    """True if the answer's weights are NaN or inf exactly in the rows where a padded
    score beats every real one by more than exp's range (the max taken with padding)."""
    w, real = _weights_of(result), np.asarray(c["mask"]) != 0
    if w.shape != real.shape:
        return False
    s = _scores(c)
    swamped = (np.where(real, -np.inf, s).max(axis=1)
               - np.where(real, s, -np.inf).max(axis=1)) > 750
    broken = ~np.all(np.isfinite(w), axis=1)
    return bool(swamped.any()) and np.array_equal(broken, swamped)


def check_attention_step(fn):
    """Check ``fn(query, keys, values, mask) -> (context, weights)``: scaled dot-product
    attention for one decoder step. query (B, d), keys (T, B, d) and values (T, B, Dv)
    time-major, mask (B, T) 0/1 (0 = padding); context (B, Dv), weights (B, T). Each row of
    weights is a softmax over the T source positions of the scaled scores, 0 where the mask
    is 0. The last case has large scores, with padding. Calling the package's
    ``dot_product_attention_forward`` or ``masked_softmax`` is not accepted."""
    def mistake(name):
        return lambda c: _attention(**c, mistake=name)
    axis_hint = ("the softmax runs over the wrong axis: each query's weights over the T "
                 "source positions sum to 1 (along the T axis of the (B, T) scores, "
                 "axis=1), not over the batch")
    padding_hint = ("padding gets weight: where mask is 0 the weight must be exactly 0; "
                    "set those scores to -inf (np.where(mask, scores, -np.inf)) before "
                    "the softmax")
    wrong = [
        (mistake("swapped_outputs"), "you returned (weights, context): return "
                                     "(context, weights)"),
        (mistake("batch_axis"), axis_hint),
        (mistake("no_mask"), padding_hint),
        (mistake("mask_after"), "the mask is applied after the softmax: the padded "
                                "positions' share is lost and the weights sum to less "
                                "than 1; mask the scores before the softmax (or "
                                "renormalise)"),
        (mistake("no_scale"), "the scores are not scaled: the dot-product score is "
                              "q . k_j / sqrt(d), d = query.shape[1]"),
        (mistake("scale_by_d"), "the scores are divided by d: divide by sqrt(d)"),
        (mistake("scale_by_Dv"), "the scores are scaled by the values' size: divide by "
                                 "sqrt(d), d the size of the query and keys"),
        (mistake("swapped_kv"), "keys and values are swapped: the scores compare the "
                                "query with the keys, the context averages the values"),
        (mistake("context_from_keys"), "the context averages the keys: "
                                       "c = sum_j alpha_j v_j, over the values"),
    ]

    def sums_over_batch(result, c):
        w = _weights_of(result)
        return (w.shape == c["mask"].shape and np.allclose(w.sum(axis=0), 1.0)
                and not np.allclose(w.sum(axis=1), 1.0))

    def pads_weighted(result, c):
        w = _weights_of(result)
        return w.shape == c["mask"].shape and np.any(np.abs(w[c["mask"] == 0]) > 1e-12)
    symptoms = [
        (_clipped, "the scores are clipped (np.clip, np.minimum, ...): two real positions "
                   "whose scores differ get the same weight, so the softmax is not the "
                   "softmax of the scores; subtract each row's largest score instead, "
                   "softmax(e) = softmax(e - max e): it changes no weight, and every exp "
                   "is then at most 1"),
        (_max_with_padding, "NaN where a padded position holds a row's largest score: "
                            "the max you subtract counts the padding, so every real "
                            "exp(score - max) underflows to 0 and the row is 0/0; take "
                            "the max over the real positions only (set the padding to "
                            "-inf first)"),
        (lambda result, c: _large(c) and not (
            np.all(np.isfinite(np.asarray(result[0], float)))
            and np.all(np.isfinite(_weights_of(result)))),
         "NaN or inf on large scores: exp overflows (exp(710) is inf), or every exp of "
         "a row underflows to 0 (exp(-746) is 0) and the row is 0/0; subtract each "
         "row's largest score before exp, softmax(e) = softmax(e - max e)"),
        (lambda result, c: _weights_of(result).shape == c["mask"].shape[::-1]
         and c["mask"].shape[0] != c["mask"].shape[1],
         "weights are (T, B): return them batch first, (B, T), like the mask"),
        (sums_over_batch, axis_hint),
        (pads_weighted, padding_hint),
        (lambda result, c: not np.allclose(_weights_of(result).sum(axis=1), 1.0),
         "the weights do not sum to 1 over the source positions: divide each row of "
         "exp(scores) by its sum"),
        (lambda result, c: np.shape(result[0]) == np.shape(_attention(**c)[0])
         and np.allclose(_weights_of(result), _attention(**c)[1]),
         "the weights are right but the context is not: c = sum_j alpha_j v_j, "
         "weighting each source position's value (B, Dv)"),
    ]
    symptoms = [(_if_a_pair(symptom), hint) for symptom, hint in symptoms]
    expect = {"context": "(B, Dv)", "weights": "(B, T)"}
    forbidden = (_attention_module.dot_product_attention_forward,
                 _attention_module.masked_softmax,
                 (_attention_module._softmax, "masked_softmax"))
    return _run("check_attention_step", fn, _attention_cases(), _attention, expect, wrong,
                symptoms, forbidden=forbidden, own=OWN)


# ================================================================ 2. one step of beam search
def _beam_step(scores, log_probs, beam_width, mistake=None):
    """(beam (k,), token (k,), score (k,)) of the k = beam_width best extensions, best
    first, with one typical ``mistake`` (or none)."""
    V = log_probs.shape[1]
    total = scores[:, None] + log_probs
    rank_by = {"last_only": log_probs, "product": scores[:, None] * log_probs}.get(
        mistake, total).ravel()
    order = np.argsort(-rank_by, kind="stable")
    keep = order[::-1][:beam_width] if mistake == "worst" else order[:beam_width]
    beam, token = keep // V, keep % V
    if mistake == "unravel_swapped":
        beam, token = keep % V, keep // V
    new = {"score_is_last": log_probs.ravel()[keep], "score_is_old": scores[beam],
           "product": rank_by[keep]}.get(mistake, total.ravel()[keep])
    return beam, token, new


def _per_beam_pairs(case, m):
    """The pairs of each beam's m best tokens (a set)."""
    best = np.argsort(-case["log_probs"], axis=1, kind="stable")[:, :m]
    return {(b, int(t)) for b, row in enumerate(best) for t in row}


def _from_best_old_beams(got, case):
    """True if every pair continues one of the k best beams by their old scores."""
    best = np.argsort(-case["scores"], kind="stable")[:case["beam_width"]]
    return {b for b, _ in got} <= set(best.tolist())


def _pairs(result):
    """The answer's (beam, token) pairs as a list, or None if it did not return three
    parts with two index vectors of one length."""
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return None
    beam, token = (np.asarray(part) for part in result[:2])
    if beam.shape != token.shape or beam.ndim != 1:
        return None
    return [(int(b), int(t)) for b, t in zip(beam, token)]


class _Answers:
    """The answer's result on each case, run once each when first asked for (None where it
    raises), to test a typical mistake against every case, not only the failing one."""

    def __init__(self, fn, cases):
        self.fn, self.cases, self._results = fn, cases, None

    def results(self):
        if self._results is None:
            self._results = []
            for case in self.cases:
                args = [np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()]
                try:
                    with np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
                        self._results.append(self.fn(*args))
                except Exception:
                    self._results.append(None)
        return self._results

    def everywhere(self, shows):
        """A symptom: ``shows(pairs, case)`` holds on every case where the answer gives
        (beam, token) pairs (and there is at least one)."""
        def symptom(result, case):
            tested = [(_pairs(r), c) for r, c in zip(self.results(), self.cases)
                      if r is not None]
            tested = [(got, c) for got, c in tested if got is not None]
            return bool(tested) and all(shows(got, c) for got, c in tested)
        return symptom


def _beam_case(rng, n, V, k):
    """n beams' summed log-probs (best first, spread apart) and their next-token log-probs."""
    scores = -np.cumsum(rng.exponential(1.0, n))
    log_probs = _decoding.log_softmax(2.0 * rng.standard_normal((n, V)))
    return dict(scores=_frozen(scores)[0], log_probs=_frozen(log_probs)[0], beam_width=k)


def _one_beam_case(rng, n, V, k):
    """n > k beams with close scores, best first; every beam's next token is uncertain
    but beam n - 2's, which is nearly sure to be one of k tokens: the k best extensions
    all continue that one beam, which is not among the k best old ones."""
    scores = -1.0 - np.cumsum(rng.exponential(0.05, n))
    logits = 0.1 * rng.standard_normal((n, V))
    logits[n - 2, rng.choice(V, k, replace=False)] += 6.0 + 0.2 * rng.standard_normal(k)
    log_probs = _decoding.log_softmax(logits)
    return dict(scores=_frozen(scores)[0], log_probs=_frozen(log_probs)[0], beam_width=k)


# (n beams, V tokens, beam_width): k = n, one beam (as at the first step), k > n
BEAM_SIZES = [(3, 5, 3), (1, 6, 3), (2, 4, 5)]
ONE_BEAM_SIZES = [(6, 10, 4), (5, 8, 3)]     # k < n, the k best from one beam


def _beam_cases():
    cases = _cases(_beam_case, BEAM_SIZES)
    for seed, size in enumerate(ONE_BEAM_SIZES):
        cases.append(_one_beam_case(np.random.default_rng(1300 + seed), *size))
    return cases


def check_beam_step(fn):
    """Check ``fn(scores, log_probs, beam_width) -> (beam, token, score)``: one step of beam
    search. scores (n,) the summed log-probabilities of the n live partial sequences;
    log_probs (n, V) the log-probabilities of each one's next token. Of all n * V
    extensions, keep the beam_width best by the summed log-probability of the extended
    sequence, best first: beam (k,) the row each came from, token (k,) its new token,
    score (k,) its new summed log-probability, k = beam_width."""
    def mistake(name):
        return lambda c: _beam_step(**c, mistake=name)
    last_hint = ("ranked by the new token's log-probability alone: rank each extension "
                 "by the whole sequence's, scores[beam] + log_probs[beam, token]")
    product_hint = ("the log-probabilities are multiplied: probabilities multiply, so "
                    "their logs add, log(p q) = log p + log q")
    unravel_hint = ("the flat index is unravelled the wrong way round: in the flattened "
                    "(n, V) array, index i is beam i // V, token i % V")
    wrong = [
        (mistake("score_is_last"), "the pairs are right but the score is the new "
                                   "token's log-probability alone: return the summed "
                                   "scores[beam] + log_probs[beam, token]"),
        (mistake("score_is_old"), "the pairs are right but the score is the beam's old "
                                  "one: add the new token's log-probability"),
        (mistake("last_only"), last_hint),
        (mistake("product"), product_hint),
        (mistake("unravel_swapped"), unravel_hint),
    ]

    cases = _beam_cases()
    answers = _Answers(fn, cases)

    def same_pairs(mistake_name, as_set=False):
        def shows(got, c):
            want = _pairs(_beam_step(**c, mistake=mistake_name))
            return set(got) == set(want) if as_set else got == want
        return answers.everywhere(shows)

    def each_beams_own(got, c):
        return (set(got) <= _per_beam_pairs(c, 1)
                or set(got) == _per_beam_pairs(c, c["beam_width"]))

    def per_beam(result, c):
        got = _pairs(result)
        return (got is not None and got != _pairs(_beam_step(**c))
                and answers.everywhere(each_beams_own)(result, c))

    def old_beams_only(result, c):
        got = _pairs(result)
        return (got is not None and set(got) != set(_pairs(_beam_step(**c)))
                and answers.everywhere(_from_best_old_beams)(result, c))

    def same_set(got, c):
        return set(got) == set(_pairs(_beam_step(**c)))

    def reversed_order(got, c):
        return got == _pairs(_beam_step(**c))[::-1]

    def wrong_order(result, c):
        got = _pairs(result)
        return (got is not None and got != _pairs(_beam_step(**c))
                and answers.everywhere(same_set)(result, c))

    def worst_first(result, c):
        return wrong_order(result, c) and answers.everywhere(reversed_order)(result, c)
    symptoms = [
        (same_pairs("last_only"), last_hint),
        (same_pairs("product"), product_hint),
        (same_pairs("worst", as_set=True), "kept the worst k: sort the totals in "
                                           "descending order (np.argsort(-total)), "
                                           "the highest summed log-probability first"),
        (same_pairs("unravel_swapped"), unravel_hint),
        (per_beam,
         "each beam keeps its own best token(s): rank all n * V extensions together "
         "(flatten the (n, V) totals) and keep the k best overall; one beam may supply "
         "several of them, another none"),
        (old_beams_only,
         "only the k best old beams are extended: a beam further down may have much "
         "likelier next tokens, so its extensions can beat all of theirs; extend all n "
         "beams, rank the n * V extensions together and keep the k best"),
        (worst_first,
         "the right k extensions in the wrong order: best first, the highest summed "
         "log-probability at index 0"),
        (wrong_order,
         "the right k extensions, but not sorted best first: np.argpartition (like a "
         "threshold with np.nonzero) leaves the k best in no particular order; sort them "
         "by their summed log-probability, the highest at index 0"),
    ]
    expect = {"beam": "(k,)", "token": "(k,)", "score": "(k,)"}
    return _run("check_beam_step", fn, cases, _beam_step, expect,
                wrong, symptoms, forbidden=(_decoding.beam_search,), own=OWN)


# ================================================================ 3. the free-running loop
class _StepFn:
    """A case's step function, with a short name for the check's messages."""

    def __init__(self, step_fn, label):
        self.step_fn, self.label = step_fn, label

    def __call__(self, tokens, state):
        return self.step_fn(tokens, state)

    def __repr__(self):
        return self.label


class _State(dict):
    """A dict state that prints as its keys and shapes."""

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: {np.shape(v)}" for k, v in self.items()) + "}"


def _rows(state):
    return len(state["s"]) if isinstance(state, dict) else len(state)


def _decode(step_fn, state, start, end, max_len, mistake=None):
    """Greedy free-running decoding (max_len, N), with one typical ``mistake`` (or none)."""
    first, n = state, _rows(state)
    token = np.full(n, start)
    done = np.zeros(n, dtype=bool)
    out = [token] if mistake == "start_row" else []
    while len(out) < max_len:
        log_probs, state = step_fn(token, first if mistake == "restart" else state)
        best = log_probs.argmax(axis=0 if mistake == "wrong_axis" else 1)
        if mistake == "one_late":          # done from the token read, after this step
            best = np.where(done, end, best)
            done |= token == end
        elif mistake != "no_stop":
            best = np.where(done, end, best)
            done |= best == end
        out.append(best)
        token = np.full(n, start) if mistake == "start_every_step" else best
    return np.array(out)


def _free_running_reference(step_fn, state, start, end, max_len):
    return _decoding.greedy_decode(step_fn, state, start, end, max_len)[0]


def _scaled(net, rng, scale):
    for name, value in net.params.items():
        net.params[name] = scale * value + (0.3 * rng.standard_normal(value.shape)
                                            if name.startswith("b") else 0.0)


def _rnn_case(rng, Tx, N, D, H, V, max_len, end):
    encoder, decoder = VanillaRNN(D, H, 1, seed=rng), VanillaRNN(V, H, V, seed=rng)
    _scaled(encoder, rng, 2.0)
    _scaled(decoder, rng, 2.5)
    src = one_hot(rng.integers(0, D, (Tx, N)), D)
    step_fn, state = _decoding.rnn_decoder_steps(encoder, decoder, src)
    return dict(step_fn=_StepFn(step_fn, f"<an RNN decoder's step, V={V}>"),
                state=_frozen(state)[0], start=0, end=end, max_len=max_len)


def _attention_decoder_case(rng, Tx, N, D, H, V, max_len, end):
    encoder = VanillaRNN(D, H, 1, seed=rng)
    decoder = AttentionDecoder(V, H, H, 4, seed=rng)
    _scaled(encoder, rng, 2.0)
    _scaled(decoder, rng, 2.5)
    src = one_hot(rng.integers(0, D, (Tx, N)), D)
    lengths = rng.integers(1, Tx + 1, N)
    lengths[0] = Tx
    step_fn, state = _decoding.attention_decoder_steps(encoder, decoder, src, lengths)
    _frozen(*state.values())
    return dict(step_fn=_StepFn(step_fn, f"<an attention decoder's step, V={V}>"),
                state=_State(state), start=0, end=end, max_len=max_len)


# (Tx, N, D, H, V, max_len, end): each decoder writes its end token somewhere (in some
# sequences before max_len, and would write other tokens after it)
FREE_RUNNING_SIZES = [(3, 6, 4, 5, 6, 6, 1), (4, 5, 5, 6, 5, 7, 1), (2, 8, 3, 4, 4, 5, 3)]
ATTENTION_DECODER_SIZES = [(5, 4, 4, 5, 7, 6, 1), (4, 6, 3, 4, 5, 7, 3)]


def _free_running_cases():
    cases = _cases(_rnn_case, FREE_RUNNING_SIZES)
    for seed, size in enumerate(ATTENTION_DECODER_SIZES):
        cases.append(_attention_decoder_case(np.random.default_rng(1200 + seed), *size))
    return cases


def _after_end_not_end(out, c):
    out = np.asarray(out)
    ended = np.cumsum(out == c["end"], axis=0) - (out == c["end"]) > 0
    return bool(np.any(ended & (out != c["end"])))


def _full_size(symptom):
    """The symptom, tested only on an answer of the right shape (max_len, N)."""
    return lambda out, c: (not isinstance(out, _Ragged)
                           and np.shape(out) == (c["max_len"], _rows(c["state"]))
                           and symptom(out, c))


def _not_greedy(out, c):
    """True if some token, up to its sequence's first end, is not the most likely one given
    the tokens before it (replayed with the decoder reading them)."""
    out = np.asarray(out).astype(int)
    first = np.full((1, out.shape[1]), c["start"])
    predictions, _ = _decoding.teacher_forced_decode(
        c["step_fn"], c["state"], np.vstack([first, out[:-1]]))
    counted = np.cumsum(out == c["end"], axis=0) - (out == c["end"]) == 0
    return bool(np.any(counted & (predictions != out)))


class _Ragged:
    """What an answer returned when it is not one array (a tuple of tokens and scores,
    say): the runner cannot read it as an array, the symptoms name it."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"{type(self.value).__name__} of {len(self.value)} parts"


def _as_returned(fn):
    """``fn``, its result wrapped in ``_Ragged`` when it cannot be read as one array."""
    def answer(*args):
        result = fn(*args)
        if isinstance(result, (tuple, list)):
            try:
                np.asarray(result, dtype=float)
            except (TypeError, ValueError):
                return _Ragged(result)
        return result
    return answer


def check_free_running(fn):
    """Check ``fn(step_fn, state, start, end, max_len) -> tokens (max_len, N)``: greedy
    free-running decoding through the step interface, log_probs, new_state =
    step_fn(tokens, state), with tokens (N,) and log_probs (N, V). The first step reads
    the start token; each next step reads the most likely token of the step before and
    its new state. A sequence that has written ``end`` keeps writing ``end``; the answer
    has max_len rows. The cases are small random decoders: three RNN decoders (the state
    an (N, H) array) and two attention decoders (a dict, N = len(state["s"])). Calling the
    package's ``greedy_decode`` or ``beam_search`` is not accepted."""
    wrong = [
        (lambda c: _decode(**c, mistake="start_every_step"),
         "the decoder reads the start token at every step: feed back the token it has "
         "just written"),
        (lambda c: _decode(**c, mistake="restart"),
         "the state is not carried: each step must read the new_state returned by the "
         "step before, not the initial state"),
        (lambda c: _decode(**c, mistake="no_stop"),
         "a sequence goes on after end: once it has written end it keeps writing end"),
        (lambda c: _decode(**c, mistake="one_late"),
         "a sequence stops one step late: the step right after it writes end still "
         "writes its own guess; a sequence is done in the very step it writes end, and "
         "from the next step on writes end"),
        (lambda c: _decode(**c, mistake="start_row"),
         "the first row is the start token: return the max_len tokens the decoder "
         "writes, without the start it reads"),
        (lambda c: _decode(**c, mistake="wrong_axis"),
         "argmax over the wrong axis: log_probs is (N, V), so each sequence's next token "
         "is log_probs.argmax(axis=1)"),
    ]

    def fewer_rows(out, c):
        out, ref = np.asarray(out), _free_running_reference(**c)
        return (out.ndim == 2 and 0 < len(out) < c["max_len"]
                and np.array_equal(out, ref[:len(out)]))

    def start_row(out, c):
        out, ref = np.asarray(out), _free_running_reference(**c)
        return (out.ndim == 2 and np.all(out[0] == c["start"])
                and np.array_equal(out[1:], ref[:len(out) - 1]))
    symptoms = [
        (lambda out, c: isinstance(out, _Ragged) and isinstance(out.value, tuple)
         and np.shape(out.value[0]) == (c["max_len"], _rows(c["state"])),
         "returned a tuple: return the tokens alone, (max_len, N)"),
        (lambda out, c: isinstance(out, _Ragged),
         "returned a tuple or list of parts of different shapes: return one array of "
         "tokens, (max_len, N)"),
        (lambda out, c: not isinstance(out, _Ragged) and np.ndim(out) == 2
         and np.array_equal(np.transpose(out), _free_running_reference(**c)),
         "the tokens are (N, max_len): return them time-major, (max_len, N), one row per "
         "step (np.array of the list of steps' tokens)"),
        (start_row, "the first row is the start token: return the max_len tokens the "
                    "decoder writes, without the start it reads"),
        (fewer_rows, "returned fewer than max_len rows: do not stop the loop when a "
                     "sequence (or every one) has written end; a finished sequence "
                     "writes end until max_len"),
        (_full_size(_after_end_not_end), "a sequence goes on after end: once it has "
                                         "written end it keeps writing end"),
        (_full_size(_not_greedy), "some token is not the most likely one given the tokens before "
                      "it: greedy decoding takes log_probs.argmax(axis=1) at every step "
                      "(no sampling) and feeds that token back"),
    ]
    forbidden = (_decoding.greedy_decode, _decoding.beam_search, _seq2seq.greedy_decode)
    answer = _as_returned(fn) if callable(fn) else fn
    return _run("check_free_running", answer, _free_running_cases(), _free_running_reference,
                "(max_len, N)", wrong, symptoms, forbidden=forbidden, own=OWN)
