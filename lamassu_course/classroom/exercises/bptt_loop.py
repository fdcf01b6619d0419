"""Checks for Chapter 3's whole backward pass (the loop over the steps) and for sampling with
a temperature."""
import numpy as np

from ...activations import softmax
from ...init import scaled_normal
from ...layers import hidden_backward, hidden_forward, hidden_step_backward
from ...rnn import VanillaRNN
from ...sampling import sample
from ._runner import fail as _fail, make_cases as _cases, run_check as _run, same as _same

__all__ = ["check_bptt_backward", "check_sample_next"]

# The package's own code for these answers: an answer that calls it is refused.
_BACKWARD_CODE = (hidden_step_backward, hidden_backward,
                  (VanillaRNN.backward, "VanillaRNN.backward"))
_SAMPLING_CODE = (softmax, sample)


# ---------------------------------------------------------------- the whole backward pass
def _loop_case(rng, T, B, D, H):
    xs = rng.standard_normal((T, B, D))
    W_hx, W_hh = scaled_normal(rng, H, D, 1.5), scaled_normal(rng, H, H, 1.2)
    hs = hidden_forward(xs, np.tanh(rng.standard_normal((B, H))), W_hx, W_hh,
                        0.5 * rng.standard_normal(H))
    return dict(dhs=rng.standard_normal((T, B, H)), xs=xs, hs=hs, W_hx=W_hx, W_hh=W_hh,
                dh_last=rng.standard_normal((B, H)))


def _bptt_backward(dhs, xs, hs, W_hx, W_hh, dh_last):
    return hidden_backward(dhs, xs, hs, W_hx, W_hh, dh_last=dh_last)


def _loop_by_hand(c, carry="W_hh", backwards=True, add_dW=True, start=True, shift=1,
                  dxs_in_time_order=True):
    """The loop written out, one step at a time, with one piece changed for a typical mistake."""
    dhs, xs, hs, W_hx, W_hh = c["dhs"], c["xs"], c["hs"], c["W_hx"], c["W_hh"]
    T = len(xs)
    dh = np.array(c["dh_last"]) if start else np.zeros_like(c["dh_last"])
    dxs, dW_hx, dW_hh, db_h = [None] * T, 0.0, 0.0, 0.0
    for n, t in enumerate(reversed(range(T)) if backwards else range(T)):
        h_prev, h_t = hs[t + shift - 1], hs[t + shift]
        da = (1 - h_t ** 2) * (dhs[t] + (dh if carry else 0.0))
        step = (da @ W_hx, da.T @ xs[t], da.T @ h_prev, da.sum(axis=0))
        dxs[t if dxs_in_time_order else n] = step[0]
        dh = {"W_hh": da @ W_hh, "W_hh.T": da @ W_hh.T, "da": da, None: da @ W_hh}[carry]
        if add_dW:
            dW_hx, dW_hh, db_h = dW_hx + step[1], dW_hh + step[2], db_h + step[3]
        else:
            dW_hx, dW_hh, db_h = step[1:]
    return np.stack(dxs), dh, dW_hx, dW_hh, db_h


def _shows_weights(result, mistake):
    """True if the answer's three weight gradients equal the mistake's."""
    return len(result) == 5 and all(_same(result[i], mistake[i]) for i in (2, 3, 4))


def check_bptt_backward(fn):
    """Check ``fn(dhs, xs, hs, W_hx, W_hh, dh_last) -> (dxs, dh_0, dW_hx, dW_hh, db_h)``: the
    backward pass through all T steps of h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h), rows as
    the batch, against the package's ``hidden_backward``. Shapes: dhs (T, B, H), the gradient
    arriving at h_1..h_T from the outputs; xs (T, B, D); hs (T + 1, B, H), h_0..h_T; dh_last
    (B, H), extra gradient arriving at h_T. Going back from t = T to 1:
    dh_t = dhs_t + W_hh^T da_{t+1} (dh_last in place of W_hh^T da_{T+1}), da_t = (1 - h_t**2)
    dh_t; dW_hx, dW_hh and db_h sum their steps; dh_0 = W_hh^T da_1. An answer that calls the
    package's backward pass (hidden_backward, hidden_step_backward, ...) is refused."""
    symptoms = [
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, carry=None)),
         "no gradient is carried from step t + 1: dh_t = dhs[t] + dh, where dh = da_{t+1} @ "
         "W_hh comes from the step after (your step's dh_prev)"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, carry="da")),
         "the gradient carried back is da_{t+1} itself: it reaches h_t through W_hh, so carry "
         "dh = da_{t+1} @ W_hh (the math's W_hh^T da_{t+1}: your step's dh_prev)"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, carry="W_hh.T")),
         "the gradient carried back uses W_hh the wrong way round: the forward pass computed "
         "h_prev @ W_hh.T, so carry dh = da @ W_hh"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, backwards=False)),
         "the loop runs forward in time: dh_t needs da_{t+1}, so start at the last step, "
         "for t in reversed(range(T))"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, add_dW=False)),
         "dW_hx, dW_hh and db_h are those of one step only: the weights are shared, so add up "
         "every step's gradients (start from zeros, then +=)"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, start=False)),
         "dh_last is ignored: it is the gradient arriving at h_T from after the sequence, so "
         "start the carried dh from dh_last, not from zeros"),
        (lambda r, c: _shows_weights(r, _loop_by_hand(c, shift=0)),
         "the states are off by one: hs holds T + 1 states, h_0 first, so step t (0-based) "
         "reads h_prev = hs[t] and produced h_t = hs[t + 1]"),
        (lambda r, c: len(r) == 5 and _same(r[0], _loop_by_hand(c, dxs_in_time_order=False)[0]),
         "dxs is in reverse time order: the loop runs backwards, so put each dx_t at dxs[t] "
         "(or reverse the list before stacking)"),
    ]
    expect = {"dxs": "(T, B, D)", "dh_0": "(B, H)", "dW_hx": "(H, D)", "dW_hh": "(H, H)",
              "db_h": "(H,)"}
    cases = _cases(_loop_case, [(4, 2, 3, 5), (3, 1, 4, 4), (6, 3, 2, 3), (5, 2, 5, 4),
                                (1, 2, 3, 2)])
    return _run("check_bptt_backward", fn, cases, _bptt_backward, expect, (), symptoms,
                forbidden=_BACKWARD_CODE,
                own="write the loop yourself; your my_step_backward may do each step")


# ---------------------------------------------------------------- sampling with a temperature
DRAWS = 1000                    # draws per case: frequencies within a few percent
_NAN, _NOT_ONE, _NOT_INDEX, _NOT_RNG, _PROBS = (
    "probabilities with NaN", "probabilities that do not sum to 1", "not an index",
    "not the rng passed in", "probabilities, not an index")
_LOGITS = [np.array([1.0, 0.5, -0.5, 2.0, 0.0, -1.0]),
           np.array([2.0, 1.0, 0.0, -1.0, 0.5]),
           np.array([0.5, -1.0, 1.5, 0.0, 1.0, -0.5, 2.0, -2.0]),
           np.array([20.0, 19.98, 5.0, -3.0, 12.0, 0.0])]   # T = 0.02: e^1000 overflows
_SAMPLE_CASES = [(_LOGITS[0], 1.0), (_LOGITS[1], 0.5), (_LOGITS[2], 2.0), (_LOGITS[3], 0.02)]


def _stable(scores):
    scores = np.asarray(scores, dtype=float)
    e = np.exp(scores - scores.max())
    return e / e.sum()


def _probs(logits, temperature, seed=None):
    """The distribution the draws must follow: softmax(logits / temperature)."""
    return _stable(logits / temperature)


def _is_index(value, V):
    """True for a whole number from 0 to V - 1 (a Python or NumPy integer, or a whole float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return False
    return bool(np.isreal(value) and float(value).is_integer() and 0 <= value < V)


def _frequencies(fn, logits, temperature, seed):
    """How often each index came out in DRAWS calls of ``fn`` with one generator, or a label
    of what went wrong (a NaN or unnormalised p in rng.choice, a non-index, another rng)."""
    V, rng, counts = len(logits), np.random.default_rng(seed), np.zeros(len(logits))
    first = []
    try:
        for n in range(DRAWS):
            index = fn(np.copy(logits), temperature, rng)
            if not _is_index(index, V):
                return _PROBS if np.shape(index) == (V,) else _NOT_INDEX
            counts[int(index)] += 1
            if n < 20:
                first.append(int(index))
        again = np.random.default_rng(seed)
        if [int(fn(np.copy(logits), temperature, again)) for _ in first] != first:
            return _NOT_RNG
    except ValueError as error:
        if "NaN" in str(error) or "nan" in str(error):
            return _NAN
        if "sum to 1" in str(error):
            return _NOT_ONE
        raise
    return counts / DRAWS


def _matches(frequencies, p):
    """Whether DRAWS draws with these frequencies could come from p: every frequency within
    five standard deviations (and one draw) of its probability."""
    frequencies = np.asarray(frequencies, dtype=float)
    return bool(np.all(np.abs(frequencies - p) <= 5 * np.sqrt(p * (1 - p) / DRAWS) + 1 / DRAWS))


def _judge(got, case):
    p = _probs(**case)
    if _matches(got, p):
        return None
    worst = int(np.argmax(np.abs(got - p)))
    return (f"your draws do not follow softmax(logits / temperature): index {worst} came out "
            f"{100 * got[worst]:.1f}% of the time, expected {100 * p[worst]:.1f}%")


def check_sample_next(fn):
    """Check ``fn(logits, temperature, rng) -> index``: one index drawn at random, with the
    generator ``rng``, from p = softmax(logits / temperature), computed without overflow
    (subtract the largest score before exp). logits (V,) the scores of one step. The check
    draws 1000 times per case and compares how often each index comes out with p (within
    sampling noise), and that the same seed gives the same draws. An answer that calls the
    package's softmax or sample is refused."""
    if not callable(fn):
        return _fail("check_sample_next", f"expected a function; got {type(fn).__name__} {fn!r}")

    def answer(logits, temperature, seed):
        return _frequencies(fn, logits, temperature, seed)

    def like(scores):
        return lambda r, c: _matches(r, _stable(scores(c)))

    symptoms = [
        (lambda r, c: isinstance(r, str) and r == _NAN,
         "p holds NaN at a low temperature: logits / temperature is large and exp overflows "
         "to inf (inf / inf = NaN). Subtract the largest score before exp: softmax is the same"),
        (lambda r, c: isinstance(r, str) and r == _NOT_ONE,
         "p does not sum to 1: the temperature divides the scores before the softmax, "
         "softmax(logits / temperature), not the probabilities after it"),
        (lambda r, c: isinstance(r, str) and r == _NOT_RNG,
         "the same seed gave other draws: draw with the rng passed in (rng.choice(len(p), "
         "p=p)), not with np.random, so that a seed gives the same text"),
        (lambda r, c: isinstance(r, str) and r == _PROBS,
         "that looks like the probabilities: return one index drawn from them, "
         "rng.choice(len(p), p=p)"),
        (lambda r, c: isinstance(r, str) and r == _NOT_INDEX,
         "return one index, an integer from 0 to V - 1, drawn from p"),
        (lambda r, c: np.max(r) == 1.0,
         "every draw gave the same index: that is argmax (greedy decoding), not sampling. "
         "Draw at random with the probabilities p: rng.choice(len(p), p=p)"),
        (like(lambda c: c["logits"] * c["temperature"]),
         "your draws follow softmax(logits * temperature): divide by the temperature. "
         "Below 1 it must sharpen the distribution, above 1 flatten it"),
        (like(lambda c: c["logits"]),
         "the temperature changed nothing: your draws follow softmax(logits). Divide the "
         "scores by it before the softmax, softmax(logits / temperature)"),
    ]
    cases = [dict(logits=logits, temperature=temperature, seed=number)
             for number, (logits, temperature) in enumerate(_SAMPLE_CASES)]
    return _run("check_sample_next", answer, cases, _probs, "(V,)", (), symptoms,
                judge=_judge, forbidden=_SAMPLING_CODE,
                own="write the softmax yourself, with NumPy, and draw with rng.choice")
