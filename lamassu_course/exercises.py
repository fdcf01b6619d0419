"""Checks for the exercises: run a student's answer on seeded cases and say what is wrong.

Each ``check_*`` takes the answer (usually a function), runs it on a few seeded cases and
compares it with the package's own implementation. Some cases are square (D = H = K, where a
transposed weight still has the right shape, so only its values can give it away) and some
are not. The check prints one pass line, or one hint for the first case that fails: not
written yet, the exception raised, the shape returned, a typical mistake it recognises (a
transposed weight, a missing bias, ...), or else the largest difference. It returns True or False.

    >>> import numpy as np
    >>> check_tanh_derivative(lambda a: 1 - np.tanh(a) ** 2)
    ✓ check_tanh_derivative: correct on 4 cases
    True
    >>> check_tanh_derivative(lambda a: 1 - a ** 2)
    ✗ check_tanh_derivative: 1 - a**2 uses a where it needs tanh(a): d tanh(a)/da = 1 - tanh(a)**2
       (case 1 of 4, inputs a (7,))
    False
"""
import numpy as np

from .activations import ACTIVATIONS, softmax
from .init import scaled_normal, spectral_radius
from .layers import hidden_step, output_step
from .rnn import VanillaRNN

__all__ = ["check_rnn_step", "check_count_parameters", "check_output_probabilities",
           "check_tanh_derivative", "check_row_forward", "check_fixed_point",
           "check_contraction_rate"]

RTOL, ATOL = 1e-5, 1e-8  # loose enough for float32 answers, far tighter than any typical mistake
NOT_WRITTEN = "not written yet: replace the `raise NotImplementedError` with your code"


# ---------------------------------------------------------------- the one generic runner
def _run(name, answer, cases, reference, expect, wrong=(), symptoms=(), judge=None):
    """Run ``answer(*case.values())`` on every case (a dict of arguments) against ``reference(**case)``.

    On the first failing case, print the hint of the first typical wrong answer it equals
    (``wrong``: pairs (wrong_answer(case), hint)), or of the first symptom it shows
    (``symptoms``: pairs (symptom(result, case) -> bool, hint)), or else what is wrong.
    ``expect`` names the expected shape in letters, e.g. "(B, H)" ({"h": ..., "y": ...} for a pair);
    ``judge(result, case)`` returns a problem or None, in place of comparing with the reference.
    """
    if not callable(answer):
        return _fail(name, f"expected a function; got {type(answer).__name__} {answer!r}")
    for number, case in enumerate(cases, 1):
        where = f"case {number} of {len(cases)}, inputs {_describe(case)}"
        try:
            result = answer(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()])
        except NotImplementedError:
            return _fail(name, NOT_WRITTEN)
        except Exception as error:  # the student's bug, reported in their terms
            return _fail(name, f"your function raised {type(error).__name__}: {error}", where)
        problem = _problem(result, reference(**case), expect, judge and (lambda got: judge(got, case)))
        if problem is None:
            continue
        for wrong_answer, hint in wrong:
            if _quietly(lambda: _same(result, wrong_answer(case))):
                return _fail(name, hint, where)
        for symptom, hint in symptoms:
            if _quietly(lambda: symptom(result, case)):
                return _fail(name, hint, where)
        return _fail(name, problem, where)
    print(f"✓ {name}: correct on {len(cases)} cases")
    return True


def _problem(result, expected, expect, judge=None):
    """What is wrong with ``result`` in the reader's terms, or None if it is right."""
    if result is None:
        return "returned None: did you forget the `return`?"
    if isinstance(expected, tuple):
        if not isinstance(result, (tuple, list)) or len(result) != len(expected):
            return f"returned {type(result).__name__}; expected a pair ({', '.join(expect)})"
        for part, want, (label, letters) in zip(result, expected, expect.items()):
            problem = _problem(part, want, letters)
            if problem:
                return f"{label}: {problem}"
        return None
    if isinstance(expected, int):
        if isinstance(result, bool) or not isinstance(result, (int, np.integer)):
            return (f"returned {result!r}, a {type(result).__name__}; a count of parameters is a "
                    f"whole number: return an int")
        off = int(result) - expected
        return None if off == 0 else f"returned {result}, which is {abs(off)} too {'many' if off > 0 else 'few'}"
    if np.iscomplexobj(result):
        return "returned complex numbers; expected real ones"
    try:
        got = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return f"returned a {type(result).__name__}; expected {expect or 'a number'}"
    if got.shape != np.shape(expected):
        if not expect:
            return f"returned an array of shape {got.shape}; expected a single number"
        return f"returned shape {got.shape}; expected {expect} = {np.shape(expected)}"
    if not np.all(np.isfinite(got)):
        return "returned NaN or infinite values"
    if judge is not None:
        return judge(got)
    if not np.allclose(got, expected, RTOL, ATOL):
        return f"wrong values: the largest absolute difference is {np.max(np.abs(got - expected)):.3g}"
    return None


def _same(result, value):
    if isinstance(value, tuple):
        return len(result) == len(value) and all(_same(r, v) for r, v in zip(result, value))
    result = np.asarray(result)
    return result.shape == np.shape(value) and np.allclose(result, value, RTOL, ATOL)


def _quietly(test):
    """``test()``, or False if it raises (a wrong answer that does not fit this case's shapes)."""
    try:
        with np.errstate(all="ignore"):
            return bool(test())
    except Exception:
        return False


def _describe(case):
    return ", ".join(f"{k} {np.shape(v)}" if isinstance(v, np.ndarray) else f"{k}={v!r}"
                     for k, v in case.items())


def _fail(name, message, where=None):
    print(f"✗ {name}: {message}" + (f"\n   ({where})" if where else ""))
    return False


def _cases(make, sizes):
    """One case per tuple of sizes, each from its own seeded generator."""
    return [make(np.random.default_rng(1000 + seed), *size) for seed, size in enumerate(sizes)]


# ---------------------------------------------------------------- the formulation
def _step_case(rng, B, D, H):
    return dict(x_t=rng.standard_normal((B, D)), h_prev=np.tanh(rng.standard_normal((B, H))),
                W_hx=scaled_normal(rng, H, D, 1.5), W_hh=scaled_normal(rng, H, H, 1.2),
                b_h=0.5 * rng.standard_normal(H))


def _step(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    return hidden_step(x_t, h_prev, W_hx, W_hh, b_h, activation)[0]


def check_rnn_step(fn):
    """Check ``fn(x_t, h_prev, W_hx, W_hh, b_h) -> h_t`` of shape (B, H): one tanh step,
    h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h), written with rows as the batch:
    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,)."""
    wrong = [
        (lambda c: _step(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: in the row layout the recurrent term is h_prev @ W_hh.T"),
        (lambda c: _step(**c | {"W_hx": c["W_hx"].T}),
         "looks like W_hx is transposed: W_hx is (H, D), so the input term is x_t @ W_hx.T"),
        (lambda c: _step(**c | {"b_h": 0 * c["b_h"]}), "the bias b_h is missing"),
        (lambda c: _step(**c, activation="identity"), "no tanh: you returned the pre-activation"),
        (lambda c: _step(**c, activation="sigmoid"), "you used a sigmoid; this step uses tanh"),
        (lambda c: _step(**c, activation="relu"), "you used a ReLU; this step uses tanh"),
        (lambda c: _step(**c | {"h_prev": 0 * c["h_prev"]}),
         "h_prev is ignored: add the recurrent term h_prev @ W_hh.T"),
        (lambda c: _step(**c | {"x_t": 0 * c["x_t"]}), "x_t is ignored: add the input term x_t @ W_hx.T"),
    ]
    cases = _cases(_step_case, [(3, 4, 4), (2, 5, 3), (4, 2, 6), (2, 5, 5), (1, 3, 2), (5, 6, 4)])
    return _run("check_rnn_step", fn, cases, _step, "(B, H)", wrong)


def check_count_parameters(fn):
    """Check ``fn(D, H, K) -> int``: the number of scalars in W_hx, W_hh, W_yh, b_h and b_y."""
    def count(D, H, K):
        return VanillaRNN(D, H, K, seed=0).num_parameters()
    wrong = [
        (lambda c: count(**c) - c["H"] - c["K"], "the biases are forgotten: b_h has H numbers and b_y has K"),
        (lambda c: count(**c) - c["H"] ** 2, "W_hh is forgotten: the recurrent weights are H x H numbers"),
        (lambda c: count(**c) - c["K"], "the output bias b_y (K numbers) is forgotten"),
        (lambda c: count(**c) - c["H"] ** 2 + c["H"] * c["D"],
         "W_hh counted as H*D: it maps h_{t-1} (H numbers) to H numbers, so it is H x H"),
    ]
    cases = [dict(D=3, H=4, K=2), dict(D=5, H=3, K=2), dict(D=2, H=5, K=7),
             dict(D=4, H=4, K=4), dict(D=65, H=100, K=65)]
    return _run("check_count_parameters", fn, cases, count, "an int", wrong)


def _output_case(rng, B, H, K):
    return dict(h_t=np.tanh(rng.standard_normal((B, H))), W_yh=scaled_normal(rng, K, H, 2.0),
                b_y=rng.standard_normal(K))


def _probabilities(h_t, W_yh, b_y, activation="softmax"):
    return output_step(h_t, W_yh, b_y, activation)[0]


def check_output_probabilities(fn):
    """Check ``fn(h_t, W_yh, b_y) -> softmax(h_t @ W_yh.T + b_y)`` of shape (B, K), each row a
    probability distribution: y_t = softmax(W_yh h_t + b_y) with h_t (B, H), W_yh (K, H), b_y (K,)."""
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
    ]
    symptoms = [(lambda y, c: np.shape(y) == (len(c["h_t"]), len(c["b_y"]))
                 and not np.allclose(np.sum(y, axis=-1), 1.0),
                 "the rows do not sum to 1: softmax divides e^z by the sum of e^z over the row")]
    cases = _cases(_output_case, [(3, 4, 4), (3, 5, 2), (4, 2, 6), (2, 5, 5), (5, 6, 3), (1, 4, 3)])
    return _run("check_output_probabilities", fn, cases, _probabilities, "(B, K)", wrong, symptoms)


def check_tanh_derivative(fn):
    """Check ``fn(a) -> d tanh(a)/da``, elementwise, the same shape as ``a``."""
    cases = [dict(a=np.asarray(2 * np.random.default_rng(seed).standard_normal(shape)))
             for seed, shape in enumerate([(7,), (3, 4), (2, 3, 2), ()])]
    wrong = [
        (lambda c: 1 - c["a"] ** 2, "1 - a**2 uses a where it needs tanh(a): d tanh(a)/da = 1 - tanh(a)**2"),
        (lambda c: 1 - np.tanh(c["a"]), "the square is missing: d tanh(a)/da = 1 - tanh(a)**2"),
        (lambda c: np.tanh(c["a"]), "you returned tanh(a) itself, not its derivative"),
        (lambda c: 1 / np.cosh(c["a"]),
         "1/cosh(a) is sech(a), not squared: d tanh(a)/da = sech(a)**2 = 1 - tanh(a)**2"),
    ]
    return _run("check_tanh_derivative", fn, cases, ACTIVATIONS["tanh"].derivative,
                "the shape of a", wrong)


# ---------------------------------------------------------------- Chapter 2: the seed's network
def _row_case(rng, B, D, H, K):
    return dict(h_prev=np.tanh(rng.standard_normal((B, H))), x=rng.standard_normal((B, D)),
                W_hh=scaled_normal(rng, H, H).T, W_xh=scaled_normal(rng, H, D).T,
                W_hy=scaled_normal(rng, K, H).T, Bh=rng.standard_normal(H), By=rng.standard_normal(K))


def _row_forward(h_prev, x, W_hh, W_xh, W_hy, Bh, By):
    # The seed's (in, out) weights are the package's (out, in) weights transposed.
    h = _step(x, h_prev, W_xh.T, W_hh.T, Bh)
    return h, output_step(h, W_hy.T, By)[0]


def check_row_forward(fn):
    """Check ``fn(h_prev, x, W_hh, W_xh, W_hy, Bh, By) -> (h, y)``, the seed's network with rows as
    the batch: h = tanh(h_prev @ W_hh + x @ W_xh + Bh), y = h @ W_hy + By.
    Seed layout (in, out): W_hh (H, H), W_xh (D, H), W_hy (H, K), Bh (H,), By (K,); h (B, H), y (B, K)."""
    new_h = lambda c: _row_forward(**c)[0]  # noqa: E731
    wrong = [
        (lambda c: (new_h(c), c["W_hy"].dot(new_h(c)) + c["By"]),
         "this is the seed's bug: W_hy.dot(h) mixes the rows of the batch; write h @ W_hy + By"),
        (lambda c: (new_h(c), new_h(c) @ c["W_hy"]), "the output bias By is missing"),
        (lambda c: (new_h(c), c["h_prev"] @ c["W_hy"] + c["By"]),
         "y is computed from h_prev: compute the new h first, then y from it"),
        (lambda c: _row_forward(**c | {"W_hh": c["W_hh"].T}),
         "W_hh is transposed: in the seed's (in, out) layout the term is h_prev @ W_hh"),
    ]
    symptoms = [(lambda out, c: _same(out[0], c["h_prev"]),
                 "h is not updated: you returned h_prev; return the new h = tanh(...)")]
    cases = _cases(_row_case, [(3, 3, 3, 3), (2, 4, 5, 3), (4, 3, 2, 5), (5, 2, 5, 5), (1, 2, 3, 4)])
    return _run("check_row_forward", fn, cases, _row_forward, {"h": "(B, H)", "y": "(B, K)"},
                wrong, symptoms)


# ---------------------------------------------------------------- fixed points and contraction
def _fixed_point_case(rng, H, D):
    W_hh = scaled_normal(rng, H, H)
    W_hh *= rng.uniform(0.5, 0.9) / np.linalg.norm(W_hh, 2)  # a contraction: ||W_hh||_2 < 1
    return dict(W_hh=W_hh, W_hx=scaled_normal(rng, H, D, 2.0), b_h=0.5 * rng.standard_normal(H),
                x=rng.standard_normal(D))


def _map(h, W_hh, W_hx, b_h, x):
    """h -> tanh(W_hh h + W_hx x + b_h) on 1-D vectors: one package step with a batch of one row."""
    return _step(x[None], h[None], W_hx, W_hh, b_h)[0]


def _fixed_point(W_hh, W_hx, b_h, x):
    h = np.zeros(len(W_hh))
    for _ in range(10_000):
        h, h_old = _map(h, W_hh, W_hx, b_h, x), h
        if np.max(np.abs(h - h_old)) < 1e-15:
            break
    return h


def _residual(h, c):
    return np.linalg.norm(h - _map(h, **c))


_FIXED_POINT_CASES = [(4, 3), (5, 2), (3, 3), (6, 4), (2, 5)]


def check_fixed_point(fn):
    """Check ``fn(W_hh, W_hx, b_h, x, tol=1e-10) -> h_star`` of shape (H,), with 1-D vectors:
    iterate h <- tanh(W_hh @ h + W_hx @ x + b_h) from zeros until the change is below tol.
    Passes when the residual ||h_star - tanh(W_hh h_star + W_hx x + b_h)|| is below 1e-8."""
    wrong = [
        (lambda c: _map(np.zeros(len(c["W_hh"])), **c),
         "one step only: you returned tanh(W_hx @ x + b_h); repeat the step until h stops changing"),
        (lambda c: _fixed_point(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: with column vectors the recurrent term is W_hh @ h"),
    ]
    symptoms = [(lambda h, c: 1e-8 <= _residual(h, c) < 1e-3,
                 "stopped too early: keep iterating until the change is below tol (1e-10)")]
    judge = lambda h, c: (None if _residual(h, c) < 1e-8 else  # noqa: E731
                          f"not a fixed point: the residual ||h - tanh(W_hh h + W_hx x + b_h)|| is "
                          f"{_residual(h, c):.3g}; expected below 1e-8")
    cases = _cases(_fixed_point_case, _FIXED_POINT_CASES)
    return _run("check_fixed_point", fn, cases, _fixed_point, "(H,)", wrong, symptoms, judge)


def _jacobian(W_hh, h_star):
    return np.diag(1 - h_star ** 2) @ W_hh


def check_contraction_rate(fn):
    """Check ``fn(W_hh, h_star) -> float``: the spectral radius (largest |eigenvalue|) of the
    Jacobian J = diag(1 - h_star**2) @ W_hh of the map h -> tanh(W_hh h + W_hx x + b_h) at h_star."""
    wrong = [
        (lambda c: spectral_radius(c["W_hh"]),
         "you returned rho(W_hh): the Jacobian is diag(1 - h_star**2) @ W_hh (tanh' scales each row)"),
        (lambda c: spectral_radius(np.diag(c["h_star"] ** 2) @ c["W_hh"]),
         "you used diag(h_star**2): tanh'(a) = 1 - tanh(a)**2, so the diagonal is 1 - h_star**2"),
        (lambda c: spectral_radius(np.diag(1 - c["h_star"]) @ c["W_hh"]),
         "you used diag(1 - h_star): the square is missing, the diagonal is 1 - h_star**2"),
        (lambda c: np.linalg.norm(_jacobian(**c), 2),
         "you returned the largest singular value (the 2-norm); the spectral radius is max |eigenvalue|"),
        (lambda c: _jacobian(**c), "you returned the Jacobian matrix; return its spectral radius, a number"),
    ]
    symptoms = [(lambda rate, c: np.iscomplexobj(rate),
                 "you returned a complex eigenvalue: the spectral radius is the largest |eigenvalue| (np.abs)")]
    cases = [dict(W_hh=c["W_hh"], h_star=_fixed_point(**c))
             for c in _cases(_fixed_point_case, _FIXED_POINT_CASES)]
    return _run("check_contraction_rate", fn, cases,
                lambda W_hh, h_star: spectral_radius(_jacobian(W_hh, h_star)), "", wrong, symptoms)
