"""Chapter 7's attention and decoding checks pass the right answer, name each typical wrong
answer, and refuse an answer that calls the package's own implementation.

Answers are written the way a student would write them, with NumPy only.
"""
import numpy as np
import pytest

import lamassu_course as lc
from lamassu_course import attention, decoding
from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import (check_attention_step, check_beam_step,
                                                check_free_running)
from lamassu_course.classroom.exercises import attention as checks_module


# ---------------------------------------------------------------- 1. attention, by hand
def attend(query, keys, values, mask, scale=True, axis=1, use_mask=True, mask_after=False,
           subtract_max=True, normalise=True, masking="where"):
    d = query.shape[1]
    scores = np.einsum("bd,tbd->bt", query, keys)
    if scale:
        scores = scores / (np.sqrt(d) if scale is True else scale)
    if use_mask and not mask_after:
        if masking == "where":
            scores = np.where(mask == 1, scores, -np.inf)
        elif masking == "big":
            scores = scores - 1e9 * (1 - mask)
        else:                                   # scores * mask: padding scores 0, not -inf
            scores = scores * mask
    if subtract_max:
        scores = scores - scores.max(axis=axis, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=axis, keepdims=True) if normalise else e
    if mask_after:
        weights = weights * mask
    return np.einsum("bt,tbv->bv", weights, values), weights


def attend_mask_by_multiplying(query, keys, values, mask):
    """Exp of all scores minus the row max, times the mask, renormalised: right until a
    padded position holds the row's largest score, by more than exp's range (0/0)."""
    scores = np.einsum("bd,tbd->bt", query, keys) / np.sqrt(query.shape[1])
    e = np.exp(scores - scores.max(axis=1, keepdims=True)) * mask
    weights = e / e.sum(axis=1, keepdims=True)
    return (weights[:, :, None] * values.transpose(1, 0, 2)).sum(axis=1), weights


def attend_clipped(low, high, mask_first=True):
    """The scores clipped into [low, high] in place of subtracting the max."""
    def answer(query, keys, values, mask):
        scores = np.einsum("bd,tbd->bt", query, keys) / np.sqrt(query.shape[1])
        if mask_first:
            scores = np.where(mask == 1, scores, -np.inf)
        e = np.exp(np.clip(scores, low, high))
        e = e if mask_first else e * mask
        weights = e / e.sum(axis=1, keepdims=True)
        return np.einsum("bt,tbv->bv", weights, values), weights
    return answer


def attend_minimum(high):
    """np.minimum(scores, high) in place of subtracting the max."""
    def answer(query, keys, values, mask):
        scores = np.einsum("bd,tbd->bt", query, keys) / np.sqrt(query.shape[1])
        e = np.exp(np.minimum(np.where(mask == 1, scores, -np.inf), high))
        weights = e / e.sum(axis=1, keepdims=True)
        return np.einsum("bt,tbv->bv", weights, values), weights
    return answer


def attend_time_major(query, keys, values, mask):
    """Scores (T, B), the softmax over axis 0 = T, weights returned transposed: right."""
    scores = (keys * query).sum(axis=-1) / np.sqrt(query.shape[1])
    scores = np.where(mask.T == 1, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=0))
    w = e / e.sum(axis=0)
    return (w[:, :, None] * values).sum(axis=0), w.T


def attend_time_major_wrong_axis(query, keys, values, mask):
    scores = (keys * query).sum(axis=-1) / np.sqrt(query.shape[1])
    scores = np.where(mask.T == 1, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    w = e / e.sum(axis=1, keepdims=True)
    return (w[:, :, None] * values).sum(axis=0), w.T


def attend_weights_transposed(query, keys, values, mask):
    context, weights = attend(query, keys, values, mask)
    return context, weights.T


def attend_with_the_package(query, keys, values, mask):
    return attention.dot_product_attention_forward(query, keys, values, mask)[0]


def attend_with_masked_softmax(query, keys, values, mask):
    scores = np.einsum("bd,tbd->bt", query, keys) / np.sqrt(query.shape[1])
    weights = lc.attention.masked_softmax(scores, mask)
    return np.einsum("bt,tbv->bv", weights, values), weights


def attend_with_plain_softmax(query, keys, values, mask):
    """Chapter 1's softmax is allowed: the masking is the student's."""
    scores = np.einsum("bd,tbd->bt", query, keys) / np.sqrt(query.shape[1])
    weights = lc.softmax(np.where(mask == 1, scores, -np.inf))
    return np.einsum("bt,tbv->bv", weights, values), weights


# ---------------------------------------------------------------- 2. beam step, by hand
def beam_step(scores, log_probs, beam_width, rank="sum", reverse=False, worst=False,
              unravel="right", returned="sum"):
    V = log_probs.shape[1]
    total = scores[:, None] + log_probs
    key = {"sum": total, "last": log_probs, "product": scores[:, None] * log_probs}[rank]
    flat = np.argsort(key, axis=None)              # ascending
    keep = flat[:beam_width] if worst else flat[::-1][:beam_width]
    if reverse:
        keep = keep[::-1]
    beam, token = (keep // V, keep % V) if unravel == "right" else (keep % V, keep // V)
    new = {"sum": total.ravel()[keep], "last": log_probs.ravel()[keep],
           "old": scores[keep // V], "product": key.ravel()[keep]}[returned]
    return beam, token, new


def unravel_swapped(scores, log_probs, beam_width):
    """Scores right (from the flat index), beam and token swapped."""
    total = (scores[:, None] + log_probs).ravel()
    keep = np.argsort(-total)[:beam_width]
    return keep % log_probs.shape[1], keep // log_probs.shape[1], total[keep]


def beam_step_per_beam(scores, log_probs, beam_width):
    """Each beam's best token, sorted by total: n pairs, not the k best overall."""
    token = log_probs.argmax(axis=1)
    beam = np.arange(len(scores))
    total = scores + log_probs[beam, token]
    order = np.argsort(-total)[:beam_width]
    return beam[order], token[order], total[order]


def beam_step_per_beam_k(scores, log_probs, beam_width):
    """Each beam's k best tokens, concatenated without a final ranking."""
    best = np.argsort(-log_probs, axis=1)[:, :beam_width]
    beam = np.repeat(np.arange(len(scores)), best.shape[1])
    token = best.ravel()
    return beam, token, scores[beam] + log_probs[beam, token]


def beam_step_best_old_beams(scores, log_probs, beam_width):
    """The k best old beams, each extended by its best token."""
    top = np.argsort(-scores)[:beam_width]
    token = log_probs[top].argmax(axis=1)
    total = scores[top] + log_probs[top, token]
    order = np.argsort(-total)
    return top[order], token[order], total[order]


def beam_step_extend_best_old_beams(scores, log_probs, beam_width):
    """The k best old beams, then the k best of their extensions."""
    top = np.argsort(-scores)[:beam_width]
    flat = (scores[top][:, None] + log_probs[top]).ravel()
    best = np.argsort(-flat)[:beam_width]
    V = log_probs.shape[1]
    return top[best // V], best % V, flat[best]


def beam_step_argpartition(scores, log_probs, beam_width):
    """The k best by np.argpartition, not sorted after."""
    flat = (scores[:, None] + log_probs).ravel()
    best = np.argpartition(-flat, beam_width - 1)[:beam_width]
    V = log_probs.shape[1]
    return best // V, best % V, flat[best]


def beam_step_threshold(scores, log_probs, beam_width):
    """The k best as those at or above the kth best total: in index order."""
    flat = (scores[:, None] + log_probs).ravel()
    best = np.flatnonzero(flat >= np.sort(flat)[-beam_width])
    V = log_probs.shape[1]
    return best // V, best % V, flat[best]


def beam_step_heap(scores, log_probs, beam_width):
    """Right, another way: every beam's top k, then the best k of those."""
    candidates = [(s + lp, b, t) for b, s in enumerate(scores)
                  for t, lp in enumerate(log_probs[b])]
    candidates.sort(reverse=True)
    best = candidates[:beam_width]
    return (np.array([b for _, b, _ in best]), np.array([t for _, _, t in best]),
            np.array([s for s, _, _ in best]))


def beam_step_with_the_package(scores, log_probs, beam_width):
    def step_fn(tokens, state):
        return log_probs[:1], state
    decoding.beam_search(step_fn, np.zeros((1, 1)), 0, 0, beam_width, 1)
    return beam_step(scores, log_probs, beam_width)


# ---------------------------------------------------------------- 3. free running, by hand
def rows(state):
    return len(state["s"]) if isinstance(state, dict) else len(state)


def greedy(step_fn, state, start, end, max_len, feed="own", carry=True, stop=True,
           start_row=False, axis=1, rng=None, stop_early=False, with_scores=False):
    first = state
    token = np.full(rows(state), start)
    done = np.zeros(len(token), dtype=bool)
    out = [token] if start_row else []
    while len(out) < max_len:
        log_probs, new_state = step_fn(token, state)
        state = new_state if carry else first
        if rng is not None:
            p = np.exp(log_probs)
            best = np.array([rng.choice(len(row), p=row / row.sum()) for row in p])
        else:
            best = log_probs.argmax(axis=axis)
        if stop:
            best = np.where(done, end, best)
            done = done | (best == end)
        out.append(best)
        token = best if feed == "own" else np.full(len(token), start)
        if stop_early and done.all():
            break
    out = np.array(out)
    return (out, np.zeros(out.shape[1])) if with_scores else out


def greedy_one_step_late(step_fn, state, start, end, max_len):
    """Marks a sequence done when it reads end, after this step's token is written."""
    token = np.full(rows(state), start)
    done = np.zeros(len(token), dtype=bool)
    out = []
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)
        best = np.where(done, end, log_probs.argmax(axis=1))
        done |= token == end
        out.append(best)
        token = best
    return np.array(out)


def greedy_done_from_the_token_read(step_fn, state, start, end, max_len):
    """Right, another way: a sequence that reads end is done before its step is written."""
    token = np.full(rows(state), start)
    done = np.zeros(len(token), dtype=bool)
    out = []
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)
        done |= token == end
        token = np.where(done, end, log_probs.argmax(axis=1))
        out.append(token)
    return np.array(out)


def greedy_for_loop(step_fn, state, start, end, max_len):
    """Right, another way: a Python list per sequence, end padded at the end."""
    token = np.full(rows(state), start)
    out = np.full((max_len, len(token)), end)
    alive = np.ones(len(token), dtype=bool)
    for t in range(max_len):
        log_probs, state = step_fn(token, state)
        token = log_probs.argmax(axis=1)
        out[t, alive] = token[alive]
        alive &= token != end
    return out


def greedy_with_the_package(step_fn, state, start, end, max_len):
    return decoding.greedy_decode(step_fn, state, start, end, max_len)[0]


def greedy_with_beam_search(step_fn, state, start, end, max_len):
    out = np.full((max_len, rows(state)), end)
    for n in range(rows(state)):
        tokens = decoding.beam_search(step_fn, decoding.take_state(state, [n]), start, end,
                                      1, max_len)[0][0]
        out[:len(tokens), n] = tokens
    return out


# ---------------------------------------------------------------- the notebook's solutions
# (as in the solution cells of notebooks/07_attention.ipynb)
def my_attention(query, keys, values, mask):
    """Scaled dot-product attention for one decoder step:
    (context (B, Dv), weights (B, T))."""
    d = query.shape[1]
    scores = (keys * query).sum(axis=2).T / np.sqrt(d)   # (B, T)
    scores = np.where(mask == 1, scores, -np.inf)    # padding out
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)                               # exp(-inf) = 0
    weights = e / e.sum(axis=1, keepdims=True)       # softmax over T
    context = (weights.T[:, :, None] * values).sum(axis=0)
    return context, weights


def my_beam_step(scores, log_probs, beam_width):
    """The beam_width best extensions, best first:
    (beam, token, score)."""
    total = scores[:, None] + log_probs    # (n, V): summed log p
    flat = total.ravel()                   # all n * V extensions
    best = np.argsort(-flat)[:beam_width]  # highest first
    V = log_probs.shape[1]
    return best // V, best % V, flat[best]


def my_greedy_decode(step_fn, state, start, end, max_len):
    """Free-running greedy decoding: tokens (max_len, N)."""
    s = state["s"] if isinstance(state, dict) else state
    token = np.full(len(s), start)        # every sequence starts
    done = np.zeros(len(s), dtype=bool)
    out = []
    for _ in range(max_len):
        log_probs, state = step_fn(token, state)  # carry the state
        token = log_probs.argmax(axis=1)          # its own guess
        token = np.where(done, end, token)        # end stays end
        done |= token == end
        out.append(token)
    return np.array(out)


RIGHT = [
    (check_attention_step, my_attention, 5),
    (check_beam_step, my_beam_step, 5),
    (check_free_running, my_greedy_decode, 5),
    (check_attention_step, attend, 5),
    (check_attention_step, lambda *a: attend(*a, masking="big"), 5),
    (check_attention_step, lambda *a: list(attend(*a)), 5),
    (check_attention_step, attend_time_major, 5),
    (check_attention_step, attend_with_plain_softmax, 5),
    (check_beam_step, beam_step, 5),
    (check_beam_step, beam_step_heap, 5),
    (check_free_running, greedy, 5),
    (check_free_running, greedy_for_loop, 5),
    (check_free_running, greedy_done_from_the_token_read, 5),
    (check_free_running, lambda *a: greedy(*a).tolist(), 5),
]

WRONG = [
    # attention
    (check_attention_step, lambda *a: attend(*a)[::-1], "you returned (weights, context)"),
    (check_attention_step, lambda *a: attend(*a, axis=0), "the softmax runs over the wrong axis"),
    (check_attention_step, attend_time_major_wrong_axis, "the softmax runs over the wrong axis"),
    (check_attention_step, lambda *a: attend(*a, use_mask=False), "padding gets weight"),
    (check_attention_step, lambda *a: attend(*a, masking="multiply"), "padding gets weight"),
    (check_attention_step, lambda *a: attend(*a, mask_after=True),
     "the mask is applied after the softmax"),
    (check_attention_step, lambda *a: attend(*a, scale=False), "the scores are not scaled"),
    (check_attention_step, lambda q, k, v, m: attend(q, k, v, m, scale=q.shape[1]),
     "the scores are divided by d"),
    (check_attention_step, lambda q, k, v, m: attend(q, k, v, m, scale=np.sqrt(v.shape[2])),
     "scaled by the values' size"),
    (check_attention_step, lambda *a: attend(*a, subtract_max=False, masking="big"),
     "NaN or inf on large scores"),
    (check_attention_step, lambda *a: attend(*a, subtract_max=False), "NaN or inf on large"),
    (check_attention_step, attend_clipped(-50, 50), "the scores are clipped"),
    (check_attention_step, attend_clipped(-50, 50, mask_first=False), "the scores are clipped"),
    (check_attention_step, attend_clipped(-700, 700), "the scores are clipped"),
    (check_attention_step, attend_minimum(30), "the scores are clipped"),
    (check_attention_step, attend_minimum(700), "the scores are clipped"),
    (check_attention_step, attend_mask_by_multiplying,
     "NaN where a padded position holds a row's largest score"),
    (check_attention_step, lambda q, k, v, m: attend(q, v, k, m), "keys and values are swapped"),
    (check_attention_step, lambda q, k, v, m: attend(q, k, k, m), "the context averages the keys"),
    (check_attention_step, lambda *a: attend(*a, normalise=False),
     "the weights do not sum to 1"),
    (check_attention_step, attend_weights_transposed, "weights are (T, B)"),
    (check_attention_step, lambda *a: (attend(*a)[0] * 2, attend(*a)[1]),
     "the weights are right but the context is not"),
    (check_attention_step, lambda *a: attend(*a)[0], "expected a pair"),
    (check_attention_step, lambda *a: (*attend(*a), 0), "expected a pair"),
    (check_beam_step, lambda *a: (*beam_step(*a), 0), "expected a pair"),
    (check_attention_step, lambda *a: (attend(*a)[0][:, :1], attend(*a)[1]),
     "context: returned shape"),
    (check_attention_step, attend_with_the_package,
     "calls lamassu_course's dot_product_attention_forward"),
    (check_attention_step, attend_with_masked_softmax, "calls lamassu_course's masked_softmax"),
    # beam step
    (check_beam_step, lambda *a: beam_step(*a, returned="last"),
     "the score is the new token's log-probability alone"),
    (check_beam_step, lambda *a: beam_step(*a, returned="old"), "the score is the beam's old"),
    (check_beam_step, lambda *a: beam_step(*a, rank="last", returned="last"),
     "ranked by the new token's log-probability alone"),
    (check_beam_step, lambda *a: beam_step(*a, rank="last"),
     "ranked by the new token's log-probability alone"),
    (check_beam_step, lambda *a: beam_step(*a, rank="product", returned="product"),
     "the log-probabilities are multiplied"),
    (check_beam_step, lambda *a: beam_step(*a, rank="product"),
     "the log-probabilities are multiplied"),
    (check_beam_step, lambda *a: beam_step(*a, worst=True), "kept the worst k"),
    (check_beam_step, lambda *a: beam_step(*a, worst=True, reverse=True), "kept the worst k"),
    (check_beam_step, lambda *a: beam_step(*a, reverse=True), "in the wrong order"),
    (check_beam_step, lambda *a: beam_step(*a, unravel="swapped"),
     "the flat index is unravelled the wrong way round"),
    (check_beam_step, lambda s, lp, k: unravel_swapped(s, lp, k), "unravelled the wrong way"),
    (check_beam_step, beam_step_per_beam, "each beam keeps its own best token"),
    (check_beam_step, beam_step_per_beam_k, "each beam keeps its own best token"),
    (check_beam_step, beam_step_best_old_beams, "each beam keeps its own best token"),
    (check_beam_step, beam_step_extend_best_old_beams,
     "only the k best old beams are extended"),
    (check_beam_step, beam_step_threshold, "not sorted best first"),
    (check_beam_step, lambda *a: tuple(x[[1, 0, *range(2, len(x))]] for x in beam_step(*a)),
     "not sorted best first"),
    (check_beam_step, lambda *a: beam_step(*a)[:2], "expected a pair (beam, token, score)"),
    (check_beam_step, lambda *a: tuple(x[:-1] for x in beam_step(*a)), "beam: returned shape"),
    (check_beam_step, beam_step_with_the_package, "calls lamassu_course's beam_search"),
    # free running
    (check_free_running, lambda *a: greedy(*a, feed="start"),
     "the decoder reads the start token at every step"),
    (check_free_running, lambda *a: greedy(*a, carry=False), "the state is not carried"),
    (check_free_running, lambda *a: greedy(*a, stop=False), "a sequence goes on after end"),
    (check_free_running, greedy_one_step_late, "a sequence stops one step late"),
    (check_free_running, lambda *a: greedy(*a, start_row=True), "the first row is the start"),
    (check_free_running, lambda s, st, a, e, n: greedy(s, st, a, e, n + 1, start_row=True),
     "the first row is the start"),
    (check_free_running, lambda *a: greedy(*a, axis=0), "argmax over the wrong axis"),
    (check_free_running, lambda *a: greedy(*a, rng=np.random.default_rng(0)),
     "some token is not the most likely one"),
    (check_free_running, lambda *a: greedy(*a, stop_early=True), "returned fewer than max_len"),
    (check_free_running, lambda *a: greedy(*a, with_scores=True), "returned a tuple"),
    (check_free_running, lambda *a: greedy(*a)[:, :1], "returned shape"),
    (check_free_running, lambda *a: greedy(*a)[0], "returned shape"),
    (check_free_running, lambda *a: greedy(*a).T, "the tokens are (N, max_len)"),
    (check_free_running, lambda *a: [greedy(*a), [1, 2]], "parts of different shapes"),
    (check_free_running, greedy_with_the_package, "calls lamassu_course's greedy_decode"),
    (check_free_running, greedy_with_beam_search, "calls lamassu_course's beam_search"),
]

FUNCTION_CHECKS = [check_attention_step, check_beam_step, check_free_running]


@pytest.mark.parametrize("check, answer, n_cases", RIGHT,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(RIGHT)])
def test_right_answer_passes(check, answer, n_cases, checks):
    checks.passes(check, answer, n_cases)


@pytest.mark.parametrize("check, answer, hint", WRONG,
                         ids=[f"{c.__name__}-{h[:30]}" for c, _, h in WRONG])
def test_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_not_a_function(check, checks):
    checks.rejects(check, 42, "expected a function")


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_an_error_is_reported_in_the_readers_terms(check, checks):
    def broken(*args):
        raise KeyError("s")
    checks.rejects(check, broken, "your function raised KeyError")


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_returning_none_is_named(check, checks):
    checks.rejects(check, lambda *a: None, "did you forget the `return`?")


def test_checks_are_exported():
    for check in FUNCTION_CHECKS:
        assert check.__name__ in exercises.__all__
        assert getattr(exercises, check.__name__) is check


# ---------------------------------------------------------------- the references
@pytest.mark.parametrize("number", range(len(checks_module.ATTENTION_SIZES) + 1))
def test_the_attention_reference_is_the_packages(number):
    case = checks_module._attention_cases()[number]
    (context, weights), _ = attention.dot_product_attention_forward(**case)
    got = checks_module._attention(**case)
    np.testing.assert_allclose(got[0], context, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got[1], weights, rtol=1e-12, atol=1e-300)


def test_the_attention_cases_have_padding_and_large_scores():
    cases = checks_module._attention_cases()
    assert all(np.any(c["mask"] == 0) for c in cases[:3] + cases[-1:])
    assert checks_module._large(cases[-1]) and not any(map(checks_module._large, cases[:-1]))
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(attend(*cases[-1].values(), subtract_max=False)[1]))


def test_the_large_case_has_the_scores_it_was_made_for():
    """Its scaled scores are LARGE_SCORES; some row's two best real scores are within 2 of
    each other (clipping them changes the weights), and in some row a padded score beats
    every real one by more than exp's range (a max taken with the padding gives 0/0)."""
    case = checks_module._attention_cases()[-1]
    scores = checks_module._scores(case)
    np.testing.assert_allclose(scores, checks_module.LARGE_SCORES, rtol=0, atol=1e-9)
    real = case["mask"] == 1
    top_two = np.sort(np.where(real, scores, -np.inf), axis=1)[:, -2:]
    assert np.any((top_two[:, 1] - top_two[:, 0] < 2) & (top_two[:, 0] > 700))
    assert np.any(np.where(real, -np.inf, scores).max(axis=1)
                  > np.where(real, scores, -np.inf).max(axis=1) + 750)
    assert np.all(np.isfinite(checks_module._attention(**case)[1]))


def test_the_beam_reference_matches_beam_search():
    """From one beam, the reference's k best extensions are beam_search's k hypotheses of
    one token (max_len=1, an end token that is never chosen), shifted by the beam's score."""
    cases = checks_module._beam_cases()
    case = next(c for c in cases if len(c["scores"]) == 1)
    lp, k = case["log_probs"], case["beam_width"]
    beam, token, score = checks_module._beam_step(**case)

    def step_fn(tokens, state):
        return lp, state
    found = decoding.beam_search(step_fn, np.zeros((1, 1)), 0, lp.shape[1], k, 1)
    assert np.array_equal(beam, np.zeros(k)) and len(found) == k
    assert [int(seq[0]) for seq, _, _ in found] == list(token)
    np.testing.assert_allclose([p for _, p, _ in found], score - case["scores"][0],
                               rtol=1e-12)


def test_the_beam_cases_separate_the_mistakes():
    """Some case keeps two tokens of one beam, and the summed ranking is not the last
    token's anywhere it matters."""
    cases = checks_module._beam_cases()
    assert any(len(set(checks_module._beam_step(**c)[0])) < c["beam_width"] for c in cases)
    assert any(not np.array_equal(checks_module._beam_step(**c)[1],
                                  checks_module._beam_step(**c, mistake="last_only")[1])
               for c in cases)


@pytest.mark.parametrize("number", range(len(checks_module.BEAM_SIZES),
                                          len(checks_module._beam_cases())))
def test_a_one_beam_case_takes_its_k_best_from_a_beam_behind(number):
    """n > k, and the k best extensions all continue one beam that is not among the k best
    old ones (so extending only those, or each beam's best token, is wrong)."""
    case = checks_module._beam_cases()[number]
    k, scores = case["beam_width"], case["scores"]
    beam = checks_module._beam_step(**case)[0]
    assert len(scores) > k and len(set(beam.tolist())) == 1
    assert beam[0] not in np.argsort(-scores)[:k]


def test_argpartition_is_judged_by_the_order_it_gives(checks):
    """np.argpartition does not promise an order: on this machine's NumPy it may well give
    the k best sorted, on another not. The check judges what it returns."""
    cases = checks_module._beam_cases()
    unsorted = any(not np.array_equal(beam_step_argpartition(*c.values())[2],
                                      checks_module._beam_step(**c)[2]) for c in cases)
    if unsorted:
        checks.rejects(check_beam_step, beam_step_argpartition, "not sorted best first")
    else:
        checks.passes(check_beam_step, beam_step_argpartition, len(cases))


@pytest.mark.parametrize("number", range(5))
def test_the_free_running_reference_is_the_packages_and_shows_the_mistakes(number):
    case = checks_module._free_running_cases()[number]
    reference = decoding.greedy_decode(**case)[0]
    np.testing.assert_array_equal(checks_module._decode(**case), reference)


def test_the_free_running_cases_end_some_sequences_early():
    """Every case writes its end token before max_len somewhere; some sequence would go on
    after it, and stopping a step late shows in some case."""
    cases = checks_module._free_running_cases()
    assert all(np.any(decoding.greedy_decode(**c)[0][:-1] == c["end"]) for c in cases)
    assert any(checks_module._after_end_not_end(checks_module._decode(**c, mistake="no_stop"), c)
               for c in cases)
    assert any(not np.array_equal(checks_module._decode(**c, mistake="one_late"),
                                  checks_module._decode(**c)) for c in cases)


def test_messages_do_not_show_memory_addresses(capsys):
    check_free_running(lambda *a: greedy(*a, carry=False))
    out = capsys.readouterr().out
    assert " at 0x" not in out and "array(" not in out, out


def test_a_refusal_leaves_no_profile_function_behind():
    import sys
    before = sys.getprofile()
    check_free_running(greedy_with_the_package)
    assert sys.getprofile() is before


def test_docstrings_do_not_give_the_solution_away():
    for check in FUNCTION_CHECKS:
        for formula in ("np.where(mask", "-np.inf", "argsort", "// V", "% V",
                        "argmax(axis=1)", "sqrt(d)"):
            assert formula not in check.__doc__, f"{check.__name__} gives away {formula!r}"
