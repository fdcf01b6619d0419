"""Checks for Chapter 1, the formulation."""
import numpy as np

from ...activations import ACTIVATIONS, softmax
from ...init import scaled_normal
from ...layers import hidden_forward, hidden_step, output_step
from ...rnn import VanillaRNN
from ._runner import ATOL, RTOL, make_cases as _cases, run_check as _run

__all__ = ["check_rnn_step", "check_rnn_forward", "check_count_parameters",
           "check_output_probabilities", "check_tanh_derivative"]


# ---------------------------------------------------------------- the formulation
def _step_case(rng, B, D, H):
    return dict(x_t=rng.standard_normal((B, D)), h_prev=np.tanh(rng.standard_normal((B, H))),
                W_hx=scaled_normal(rng, H, D, 1.5), W_hh=scaled_normal(rng, H, H, 1.2),
                b_h=0.5 * rng.standard_normal(H))


def _step(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    return hidden_step(x_t, h_prev, W_hx, W_hh, b_h, activation)[0]


_COLUMN_LAYOUT = ("you wrote the math's column layout, W_hh @ h_prev + W_hx @ x_t: here x_t "
                  "(B, D) and h_prev (B, H) hold one example per row, so the math's W v becomes "
                  "v @ W.T: write x_t @ W_hx.T + h_prev @ W_hh.T")

# The package's own code for Chapter 1's answers: an answer that calls it is refused.
_STEP_CODE = (hidden_step, hidden_forward, (VanillaRNN.forward, "VanillaRNN.forward"))


def _column_step(c, bias_column=False):
    """The math's column layout copied as it stands (it runs only when B = D = H)."""
    b_h = c["b_h"][:, None] if bias_column else c["b_h"]
    return np.tanh(c["W_hh"] @ c["h_prev"] + c["W_hx"] @ c["x_t"] + b_h)


def check_rnn_step(fn):
    """Check ``fn(x_t, h_prev, W_hx, W_hh, b_h) -> h_t`` of shape (B, H): one tanh step,
    h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h), written with rows as the batch:
    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,).
    An answer that calls the package's hidden_step (or hidden_forward) is refused."""
    wrong = [
        (lambda c: _step(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: in the row layout the recurrent term is h_prev @ W_hh.T"),
        (lambda c: _step(**c | {"W_hh": c["W_hh"].T, "W_hx": c["W_hx"].T}),
         "both weights are untransposed: with rows as the batch, the math's W v becomes "
         "v @ W.T, so write x_t @ W_hx.T + h_prev @ W_hh.T"),
        (lambda c: _step(**c | {"W_hx": c["W_hx"].T}),
         "looks like W_hx is transposed: W_hx is (H, D), so the input term is x_t @ W_hx.T"),
        (lambda c: _step(**c | {"b_h": 0 * c["b_h"]}), "the bias b_h is missing"),
        (lambda c: _step(**c, activation="identity"), "no tanh: you returned the pre-activation"),
        (lambda c: _step(**c, activation="sigmoid"), "you used a sigmoid; this step uses tanh"),
        (lambda c: _step(**c, activation="relu"), "you used a ReLU; this step uses tanh"),
        (lambda c: _step(**c | {"h_prev": 0 * c["h_prev"]}),
         "h_prev is ignored: add the recurrent term h_prev @ W_hh.T"),
        (lambda c: _step(**c | {"x_t": 0 * c["x_t"]}), "x_t is ignored: add the input term x_t @ W_hx.T"),
        (_column_step, _COLUMN_LAYOUT),
        (lambda c: _column_step(c, bias_column=True), _COLUMN_LAYOUT),
    ]
    cases = _cases(_step_case, [(3, 4, 4), (2, 5, 3), (4, 2, 6), (2, 5, 5), (1, 3, 2), (5, 6, 4)])
    square = _cases(_step_case, [(4, 4, 4), (3, 3, 3)])     # B = D = H: the column layout runs
    return _run("check_rnn_step", fn, cases, _step, "(B, H)", wrong, probes=square,
                forbidden=_STEP_CODE, own="write the step yourself, with NumPy")


def _sequence_case(rng, T, B, D, H):
    step = _step_case(rng, B, D, H)
    return dict(xs=rng.standard_normal((T, B, D)), h0=step["h_prev"], W_hx=step["W_hx"],
                W_hh=step["W_hh"], b_h=step["b_h"])


def _forward(xs, h0, W_hx, W_hh, b_h):
    return hidden_forward(xs, h0, W_hx, W_hh, b_h)


def _reads_past_the_end(c):
    """The loop `for t in 1..T: hs[t] = step(xs[t], hs[t-1])`: it reads xs[T] and raises."""
    xs, hs = c["xs"], [c["h0"]]
    for t in range(1, len(xs) + 1):
        hs.append(_step(xs[t], hs[t - 1], c["W_hx"], c["W_hh"], c["b_h"]))
    return np.stack(hs)


def check_rnn_forward(fn):
    """Check ``fn(xs, h0, W_hx, W_hh, b_h) -> hs`` of shape (T+1, B, H): the recurrence
    h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h) over a whole sequence, time-major, with
    hs[0] = h0 and hs[t] = h_t computed from xs[t-1] (Python counts from 0).
    An answer that calls the package's hidden_forward (or VanillaRNN) is refused."""
    wrong = [
        (lambda c: np.concatenate([c["h0"][None], _forward(**c | {"xs": np.concatenate(
            [c["xs"][1:], 0 * c["xs"][:1]])})[1:]]),
         "off by one in time: hs[t] must use xs[t-1] (x_t), but yours uses the next input"),
        (lambda c: np.concatenate([c["h0"][None], [
            _step(x, c["h0"], c["W_hx"], c["W_hh"], c["b_h"]) for x in c["xs"]]]),
         "the state is not carried: each step must start from the previous step's h, "
         "not from h0"),
        (lambda c: _forward(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: in the row layout the recurrent term is h @ W_hh.T"),
        (lambda c: _forward(**c | {"h0": 0 * c["h0"]}),
         "h0 is ignored: the first step must start from the h0 you were given"),
        (_reads_past_the_end,
         "off by one in time: your loop reads xs[T], one past the last input (xs has T "
         "entries, xs[0] to xs[T-1]); hs[t] must use xs[t-1] (x_t), for t = 1 to T"),
    ]
    symptoms = [(lambda hs, c: np.shape(hs) == np.shape(c["xs"])[:2] + (len(c["b_h"]),),
                 "hs has T entries; it needs T+1: hs[0] = h0, then one state per input")]
    cases = _cases(_sequence_case, [(4, 3, 3, 3), (5, 2, 4, 3), (1, 2, 2, 5), (6, 1, 3, 4)])
    return _run("check_rnn_forward", fn, cases, _forward, "(T+1, B, H)", wrong, symptoms,
                forbidden=(hidden_forward, (VanillaRNN.forward, "VanillaRNN.forward")),
                own="loop over time yourself, with your step or NumPy")


def check_count_parameters(fn):
    """Check ``fn(D, H, K) -> int``: the number of scalars in W_hx, W_hh, W_yh, b_h and b_y.
    An answer that asks the package's VanillaRNN for its count is refused."""
    def count(D, H, K):
        return VanillaRNN(D, H, K, seed=0).num_parameters()
    wrong = [
        (lambda c: count(**c) - c["H"] - c["K"], "the biases are forgotten: b_h has H numbers and b_y has K"),
        (lambda c: count(**c) - c["H"] ** 2, "W_hh is forgotten: the recurrent weights are H x H numbers"),
        (lambda c: count(**c) - c["K"], "the output bias b_y (K numbers) is forgotten"),
        (lambda c: count(**c) - c["H"], "the hidden bias b_h (H numbers) is forgotten"),
        (lambda c: count(**c) - c["H"] ** 2 + c["H"] * c["D"],
         "W_hh counted as H*D: it maps h_{t-1} (H numbers) to H numbers, so it is H x H"),
    ]
    cases = [dict(D=3, H=4, K=2), dict(D=5, H=3, K=2), dict(D=2, H=5, K=7),
             dict(D=4, H=4, K=4), dict(D=65, H=100, K=65)]
    return _run("check_count_parameters", fn, cases, count, "an int", wrong,
                forbidden=(VanillaRNN,), own="count the numbers in each weight and bias yourself")


def _output_case(rng, B, H, K):
    return dict(h_t=np.tanh(rng.standard_normal((B, H))), W_yh=scaled_normal(rng, K, H, 2.0),
                b_y=rng.standard_normal(K))


def _probabilities(h_t, W_yh, b_y, activation="softmax"):
    return output_step(h_t, W_yh, b_y, activation)[0]


def _overflow_cases(rng):
    """Four cases with large scores, each overflowing a different wrong shift (in this order):
    1. every score near 1000 (B = 1): e^z itself overflows, with no shift at all;
    2. scores near (700, 700, -700) in each row: minus the row's minimum, e^1400 overflows;
    3. scores near (2000, 0, 0): minus the row's mean, e^1333 overflows;
    4. two rows, one near +1000 and one near -1000 (B = 2): minus the batch's maximum, the second
       row's e^-2000 underflows to 0 / 0.
    Subtracting each row's maximum gets all four right; each wrong shift gets the earlier ones right.
    """
    cases = [_output_case(rng, B, 4, 3) for B in (1, 3, 3, 2)]
    cases[0]["b_y"] = cases[0]["b_y"] + 1000.0
    cases[1]["b_y"] = cases[1]["b_y"] + np.array([700.0, 700.0, -700.0])
    cases[2]["b_y"] = cases[2]["b_y"] + np.array([2000.0, 0.0, 0.0])
    cases[3]["h_t"][:, 0] = [1.0, -1.0]        # rows far apart: the first unit, fully saturated,
    cases[3]["W_yh"][:, 0] += 1000.0           # gives +1000 to every score of row 0, -1000 of row 1
    return cases


def _shifted_softmax(c, shift):
    """A softmax that subtracts the wrong number (an overflow mistake): "min", "mean" or "global"."""
    z = _probabilities(**c, activation="identity")
    z = z - {"min": z.min(axis=-1, keepdims=True), "mean": z.mean(axis=-1, keepdims=True),
             "global": z.max()}[shift]
    with np.errstate(all="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _overflows_first(result, case, cases, shift):
    """True if ``case`` is the first case where this wrong shift overflows, and ``result`` equals
    it there, NaN for NaN: the cases passed before tell the wrong shifts apart."""
    first = next(c for c in cases if np.isnan(_shifted_softmax(c, shift)).any())
    return case is first and _same_with_nan(result, _shifted_softmax(case, shift))


def _same_with_nan(result, value):
    """Equal values, NaN where ``value`` is NaN (how an overflow mistake shows), and some NaN."""
    result = np.asarray(result, dtype=float)
    return (result.shape == value.shape and np.isnan(value).any()
            and np.array_equal(np.isnan(result), np.isnan(value))
            and np.allclose(result, value, RTOL, ATOL, equal_nan=True))


def _column_probabilities(c, axis):
    """The math's softmax(W_yh h_t + b_y) copied as it stands (it runs only when B = H)."""
    z = c["W_yh"] @ c["h_t"] + c["b_y"]
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def check_output_probabilities(fn):
    """Check ``fn(h_t, W_yh, b_y) -> y_t`` of shape (B, K): the output probabilities
    y_t = softmax(W_yh h_t + b_y) of each example, one per row, each row a probability
    distribution; h_t (B, H), W_yh (K, H), b_y (K,). Large scores must not overflow.
    An answer that calls the package's softmax (or output_step) is refused."""
    column = ("you wrote the math's column layout, W_yh @ h_t: here h_t (B, H) holds one "
              "example per row, so the math's W_yh h_t becomes h_t @ W_yh.T")
    wrong = [
        (lambda c: _probabilities(**c, activation="identity"),
         "no softmax: you returned the logits h_t @ W_yh.T + b_y"),
        (lambda c: softmax(_probabilities(**c, activation="identity").T).T,
         "softmax over axis 0 (the batch): each row, one example, should sum to 1 (axis=-1)"),
        (lambda c: _probabilities(**c | {"b_y": 0 * c["b_y"]}), "the bias b_y is missing"),
        (lambda c: _probabilities(**c | {"W_yh": c["W_yh"].T}),
         "looks like W_yh is transposed: W_yh is (K, H), so the logits are h_t @ W_yh.T"),
        (lambda c: _probabilities(**c, activation="sigmoid"),
         "you used a sigmoid: softmax divides e^z by the sum over the row, so the row sums to 1"),
        (lambda c: _column_probabilities(c, -1), column),
        (lambda c: _column_probabilities(c, 0), column),
    ]
    symptoms = [(lambda y, c: _overflows_first(y, c, cases, "min"),
                 "you subtracted each row's minimum: the largest score minus the minimum can still "
                 "overflow e^z; subtract each row's maximum, so the largest exponent is e^0 = 1"),
                (lambda y, c: _overflows_first(y, c, cases, "mean"),
                 "you subtracted each row's mean: a score far above the mean still overflows e^z; "
                 "subtract each row's maximum, so the largest exponent is e^0 = 1"),
                (lambda y, c: _overflows_first(y, c, cases, "global"),
                 "you subtracted the largest score of the whole batch: a row whose scores are all "
                 "far below it underflows to 0 / 0; subtract each row's own maximum "
                 "(axis=-1, keepdims=True)"),
                (lambda y, c: not np.all(np.isfinite(y)),
                 "overflow: e^z is infinite for large scores; subtract each row's maximum "
                 "before exponentiating (it does not change the softmax)"),
                (lambda y, c: np.shape(y) == (len(c["h_t"]), len(c["b_y"]))
                 and not np.allclose(np.sum(y, axis=-1), 1.0),
                 "the rows do not sum to 1: softmax divides e^z by the sum of e^z over the row")]
    cases = _cases(_output_case, [(3, 4, 4), (3, 5, 2), (4, 2, 6), (2, 5, 5), (5, 6, 3)])
    cases += _overflow_cases(np.random.default_rng(1005))
    square = _cases(_output_case, [(4, 4, 4), (3, 3, 3)])       # B = H = K: W_yh @ h_t runs
    return _run("check_output_probabilities", fn, cases, _probabilities, "(B, K)", wrong, symptoms,
                probes=square, forbidden=(softmax, output_step),
                own="write the softmax yourself, with NumPy")


def check_tanh_derivative(fn):
    """Check ``fn(a) -> d tanh(a)/da``, elementwise, the same shape as ``a``.
    An answer that calls the package's ACTIVATIONS["tanh"] derivative is refused."""
    cases = [dict(a=np.asarray(2 * np.random.default_rng(seed).standard_normal(shape)))
             for seed, shape in enumerate([(7,), (3, 4), (2, 3, 2), ()])]
    wrong = [
        (lambda c: 1 - c["a"] ** 2, "1 - a**2 uses a where it needs tanh(a): d tanh(a)/da = 1 - tanh(a)**2"),
        (lambda c: 1 - np.tanh(c["a"]), "the square is missing: d tanh(a)/da = 1 - tanh(a)**2"),
        (lambda c: np.tanh(c["a"]), "you returned tanh(a) itself, not its derivative"),
        (lambda c: 1 / np.cosh(c["a"]),
         "1/cosh(a) is sech(a), not squared: d tanh(a)/da = sech(a)**2 = 1 - tanh(a)**2"),
        (lambda c: (1 - np.tanh(c["a"])) ** 2,
         "(1 - tanh(a))**2 squares the difference; the square belongs to tanh alone: "
         "d tanh(a)/da = 1 - tanh(a)**2"),
    ]
    tanh = ACTIVATIONS["tanh"]
    return _run("check_tanh_derivative", fn, cases, tanh.derivative, "the shape of a", wrong,
                forbidden=((tanh.derivative, 'ACTIVATIONS["tanh"].derivative'),
                           (tanh.backward, 'ACTIVATIONS["tanh"].backward')),
                own="write the derivative yourself, with NumPy")


