"""Checks for Chapter 2, the silly network."""
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

from ...init import scaled_normal, spectral_radius
from ...layers import output_step
from ._runner import (fail as _fail, make_cases as _cases, run_check as _run,
                      same as _same)
from .formulation import _step

__all__ = ["check_row_forward", "check_fixed_point", "check_contraction_rate"]


# ---------------------------------------------------------------- Chapter 2: the seed's network
def _row_case(rng, B, D, H, K):
    return dict(h_prev=np.tanh(rng.standard_normal((B, H))), x=rng.standard_normal((B, D)),
                W_hh=scaled_normal(rng, H, H).T, W_xh=scaled_normal(rng, H, D).T,
                W_hy=scaled_normal(rng, K, H), Bh=rng.standard_normal(H), By=rng.standard_normal(K))


def _row_forward(h_prev, x, W_hh, W_xh, W_hy, Bh, By):
    # The seed multiplies W_hh and W_xh from the right, (in, out): the package's weights
    # transposed. It applies W_hy from the left, (out, in) = (K, H): the package's W_yh.
    h = _step(x, h_prev, W_xh.T, W_hh.T, Bh)
    return h, output_step(h, W_hy, By)[0]


def check_row_forward(fn):
    """Check ``fn(h_prev, x, W_hh, W_xh, W_hy, Bh, By) -> (h, y)``, the seed's network with rows as
    the batch: h = tanh(h_prev @ W_hh + x @ W_xh + Bh), y = h @ W_hy.T + By.
    The seed's shapes: W_hh (H, H) and W_xh (D, H), multiplied from the right; W_hy (K, H),
    which the seed applies from the left (W_hy.dot(h)); Bh (H,), By (K,); h (B, H), y (B, K)."""
    new_h = lambda c: _row_forward(**c)[0]  # noqa: E731
    wrong = [
        (lambda c: (new_h(c), c["W_hy"].dot(new_h(c)) + c["By"]),
         "this is the seed's bug: W_hy.dot(h) mixes the rows of the batch; write h @ W_hy.T + By"),
        (lambda c: (new_h(c), new_h(c) @ c["W_hy"] + c["By"]),
         "W_hy is (K, H): with rows as the batch the output is h @ W_hy.T + By"),
        (lambda c: (new_h(c), new_h(c) @ c["W_hy"].T), "the output bias By is missing"),
        (lambda c: (new_h(c), c["h_prev"] @ c["W_hy"].T + c["By"]),
         "y is computed from h_prev: compute the new h first, then y from it"),
        (lambda c: _row_forward(**c | {"W_hh": c["W_hh"].T}),
         "W_hh is transposed: the seed multiplies from the right, h_prev @ W_hh"),
        (lambda c: _row_forward(**c | {"W_xh": c["W_xh"].T}),
         "W_xh is transposed: the seed multiplies from the right, x @ W_xh"),
        (lambda c: _row_forward(**c | {"Bh": 0 * c["Bh"]}), "the hidden bias Bh is missing"),
        (lambda c: _row_forward(**c)[::-1], "h and y are swapped: return (h, y), in that order"),
    ]
    symptoms = [(lambda out, c: _same(out[0], c["h_prev"]),
                 "h is not updated: you returned h_prev; return the new h = tanh(...)")]
    cases = _cases(_row_case, [(3, 3, 3, 3), (2, 4, 5, 3), (4, 3, 2, 5), (5, 2, 5, 5), (1, 2, 3, 4)])
    return _run("check_row_forward", fn, cases, _row_forward, {"h": "(B, H)", "y": "(B, K)"},
                wrong, symptoms)


# ---------------------------------------------------------------- fixed points and contraction
# Exercise 2.2 asks for a RuntimeError when the state has not settled after max_steps steps. A
# check can only test that on a network whose state never settles, where an answer without a
# bound (`while True:`) would never return. So every call of the answer runs under a step guard
# (`_guarded`): a trace function counts the runs of each line of Python the answer executes
# (NumPy's own lines aside) and, past 20 * max_steps runs of one line, raises `_RanAway` inside
# the answer. It is a BaseException, so an `except Exception` in the answer's loop cannot swallow
# it. Unlike signal.alarm, this works in any thread, in a notebook and on Windows, and it stops
# the answer after a number of steps, not of seconds, whatever the speed of the machine. (It
# replaces a debugger's trace function while the answer runs, and puts it back after.)
FIXED_POINT_TOL = 1e-10
SETTLING_MAX_STEPS = 3_000   # the contracting cases; the slow one needs about 950 steps
CYCLING_MAX_STEPS = 100      # the cycling case: the answer must give up after 100 steps
GUARD_FACTOR = 20            # the guard stops an answer after 20 * max_steps runs of one line
_NUMPY_DIR = str(Path(np.__file__).parent)


class _RanAway(BaseException):
    """Raised by the step guard inside an answer that ran too many steps."""


class _Outcome:
    """What a guarded answer did instead of returning an array (shown in a hint, never compared)."""

    def __init__(self, what, detail=""):
        self.what, self.detail = what, detail

    def __repr__(self):
        return f"<{self.what}>"


def _guarded(fn):
    """``fn``, run so that it cannot loop forever and so that its RuntimeError is recorded.

    The wrapper's last positional argument is max_steps. It returns fn's result, or an
    ``_Outcome``: "ran away" (still running after GUARD_FACTOR * max_steps runs of one line) or
    "gave up" (fn raised RuntimeError). Lines of NumPy's own Python code are not counted.
    """
    def run(*args):
        limit = GUARD_FACTOR * args[-1]
        counts = {}

        def on_line(frame, event, arg):
            if event == "line":
                key = (frame.f_code, frame.f_lineno)
                counts[key] = runs = counts.get(key, 0) + 1
                if runs > limit:
                    raise _RanAway(runs)
            return on_line

        def on_call(frame, event, arg):
            return None if frame.f_code.co_filename.startswith(_NUMPY_DIR) else on_line

        previous = sys.gettrace()
        sys.settrace(on_call)
        try:
            return fn(*args)
        except _RanAway:
            return _Outcome("ran away", limit)
        except NotImplementedError:       # a RuntimeError too: the stub of the exercise
            raise
        except RuntimeError as error:
            return _Outcome("gave up", error)
        finally:
            sys.settrace(previous)
    return run


def _fixed_point_case(rng, H, D):
    W_hh = scaled_normal(rng, H, H)
    W_hh *= rng.uniform(0.5, 0.9) / np.linalg.norm(W_hh, 2)  # a contraction: ||W_hh||_2 < 1
    return dict(W_hh=W_hh, W_hx=scaled_normal(rng, H, D, 2.0), b_h=0.5 * rng.standard_normal(H),
                x=rng.standard_normal(D), tol=FIXED_POINT_TOL, max_steps=SETTLING_MAX_STEPS)


def _slow_case(rng, H, D):
    """A contraction at rate about 0.98: from h = 0 it takes about 950 steps to settle."""
    return dict(W_hh=-0.98 * np.eye(H), W_hx=scaled_normal(rng, H, D, 0.1),
                b_h=0.1 * rng.standard_normal(H), x=rng.standard_normal(D),
                tol=FIXED_POINT_TOL, max_steps=SETTLING_MAX_STEPS)


def _cycling_case(rng, H, D):
    """W_hh near -3 I: the fixed point repels (its Jacobian has eigenvalues near -3), and from
    h = 0 the state falls into a cycle of period 2 whose largest change stays near 2."""
    return dict(W_hh=-3 * np.eye(H) + scaled_normal(rng, H, H, 0.3), W_hx=scaled_normal(rng, H, D),
                b_h=0.5 * rng.standard_normal(H), x=rng.standard_normal(D),
                tol=FIXED_POINT_TOL, max_steps=CYCLING_MAX_STEPS)


def _map(h, W_hh, W_hx, b_h, x):
    """h -> tanh(W_hh h + W_hx x + b_h) on 1-D vectors: one package step with a batch of one row."""
    return _step(x[None], h[None], W_hx, W_hh, b_h)[0]


def _iterate(W_hh, W_hx, b_h, x, tol, max_steps):
    """(h, steps): iterate from zeros until the largest change is below tol, or max_steps steps."""
    h = np.zeros(len(W_hh))
    for step in range(1, max_steps + 1):
        h, h_old = _map(h, W_hh, W_hx, b_h, x), h
        if np.max(np.abs(h - h_old)) < tol:
            return h, step
    return h, None


def _fixed_point(W_hh, W_hx, b_h, x, tol=None, max_steps=None):
    """The reference h_star, iterated to 1e-15 (it ignores the answer's tol and max_steps)."""
    return _iterate(W_hh, W_hx, b_h, x, 1e-15, 10_000)[0]


def _residual(h, c):
    return np.linalg.norm(h - _map(h, **_weights(c)))


def _weights(c):
    return {k: c[k] for k in ("W_hh", "W_hx", "b_h", "x")}


_FIXED_POINT_CASES = [(4, 3), (5, 2), (3, 3), (6, 4), (2, 5)]


def _settling_cases():
    return _cases(_fixed_point_case, _FIXED_POINT_CASES) + [_slow_case(np.random.default_rng(1005), 3, 2)]


def check_fixed_point(fn):
    """Check ``fn(W_hh, W_hx, b_h, x, tol, max_steps) -> h_star`` of shape (H,), with 1-D vectors:
    iterate h <- tanh(W_hh @ h + W_hx @ x + b_h) from zeros until the largest change is below tol,
    and raise RuntimeError if max_steps steps pass without that.

    Six networks settle (one slowly, in about 950 steps; max_steps=3000): each passes when the
    residual ||h_star - tanh(W_hh h_star + W_hx x + b_h)|| is below 1e-8. Then one network's state
    cycles forever (max_steps=100): the answer must raise RuntimeError. An answer still running
    after 20 * max_steps runs of one of its lines is stopped (see ``_guarded``), so a loop without
    a bound gets a hint instead of hanging the notebook.
    """
    name = "check_fixed_point"
    if not callable(fn):
        return _fail(name, f"expected a function; got {type(fn).__name__} {fn!r}")
    answer = _guarded(fn)
    wrong = [
        (lambda c: _map(np.zeros(len(c["W_hh"])), **_weights(c)),
         "one step only: you returned tanh(W_hx @ x + b_h); repeat the step until h stops changing"),
        (lambda c: _fixed_point(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: with column vectors the recurrent term is W_hh @ h"),
    ]
    symptoms = [
        (lambda h, c: isinstance(h, _Outcome) and h.what == "ran away",
         "your function was still running after 20 * max_steps steps on a network that settles: "
         "stop as soon as the largest change |h_new - h| is below tol"),
        (lambda h, c: isinstance(h, _Outcome) and h.what == "gave up",
         "your function raised RuntimeError on a network whose state settles in fewer than "
         "max_steps steps: give up only after max_steps steps (use the max_steps argument)"),
        (lambda h, c: 1e-8 <= _residual(h, c) < 1e-3,
         "stopped too early: keep iterating until the change is below tol (1e-10)"),
    ]
    judge = lambda h, c: (None if _residual(h, c) < 1e-8 else  # noqa: E731
                          f"not a fixed point: the residual ||h - tanh(W_hh h + W_hx x + b_h)|| is "
                          f"{_residual(h, c):.3g}; expected below 1e-8")
    cases = _settling_cases()
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):   # one line in all: the runner's pass line waits
        settled = _run(name, answer, cases, _fixed_point, "(H,)", wrong, symptoms, judge)
    if not settled:
        print(quiet.getvalue(), end="")
        return False
    case = _cycling_case(np.random.default_rng(1011), 3, 2)
    shapes = ", ".join(f"{k} {np.shape(v)}" if isinstance(v, np.ndarray) else f"{k}={v!r}"
                       for k, v in case.items())
    where = f"case {len(cases) + 1}, the last: a network whose state cycles, inputs {shapes}"
    try:
        with np.errstate(all="ignore"):
            result = answer(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()])
    except Exception as error:
        return _fail(name, f"your function raised {type(error).__name__}: {error}; when the state "
                     f"has not settled after max_steps steps, raise RuntimeError", where)
    if isinstance(result, _Outcome) and result.what == "gave up":
        print(f"✓ {name}: correct on {len(cases) + 1} cases")
        return True
    if isinstance(result, _Outcome):
        return _fail(name, f"your function was still running after {result.detail} steps, "
                     f"20 * max_steps (max_steps={CYCLING_MAX_STEPS}), on a network whose state "
                     f"never settles: stop after max_steps steps and raise RuntimeError (a loop "
                     f"without a bound, or one that ignores max_steps, never ends here)", where)
    return _fail(name, "returned a state for a network that never settles (its state cycles): "
                 "after max_steps steps without settling, raise RuntimeError instead", where)


def _jacobian(W_hh, h_star):
    return np.diag(1 - h_star ** 2) @ W_hh


def check_contraction_rate(fn):
    """Check ``fn(W_hh, h_star) -> float``: the spectral radius (the largest absolute eigenvalue) of the
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
