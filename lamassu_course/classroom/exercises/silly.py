"""Checks for Chapter 2, the silly network."""
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

from ...init import scaled_normal, spectral_radius
from ...layers import hidden_forward, hidden_step, output_step
from ...rnn import VanillaRNN
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
    the batch: h is the seed's hidden update (tanh, its weights multiplied from the right, plus
    Bh), and y the seed's output W_hy h + By computed for each row on its own.
    The seed's shapes: W_hh (H, H) and W_xh (D, H), multiplied from the right; W_hy (K, H),
    which the seed applies from the left (W_hy.dot(h)); Bh (H,), By (K,); h (B, H), y (B, K).
    An answer that calls the package's hidden_step or output_step (or VanillaRNN) is refused."""
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
                wrong, symptoms, forbidden=(hidden_step, hidden_forward, output_step, VanillaRNN),
                own="write the seed's two lines yourself, with NumPy")


# ---------------------------------------------------------------- fixed points and contraction
# Exercise 2.2 asks: iterate h <- tanh(W_hh h + W_hx x + b_h) from h = 0, stop at the first step
# whose largest absolute change is below tol and return that state, or raise RuntimeError once
# max_steps steps have passed without it. The check holds an answer to each part of that:
# - where it stops: the answer must return the state at the step where the reference loop stops
#   (or the one before it), so a 2-norm test, a tol of its own or another start is caught;
# - where it starts: one network has two attracting fixed points, and h = 0 leads to one of them;
# - when it gives up: on a network whose state cycles, the answer must raise after max_steps
#   steps, not fewer and not more.
# The last needs the number of steps an answer ran, and a bound on it (an answer without a bound,
# `while True:`, never returns there). So every call runs under a step guard (`_guarded`): a
# trace function counts the runs of each line of Python the answer executes (NumPy's own lines
# aside). The answer's number of steps is the median count over the lines that ran more than
# twice (the lines of its loop); past 20 * max_steps runs of one line, the guard raises `_RanAway`
# inside the answer. It is a BaseException, so an `except Exception` in the answer's loop cannot
# swallow it. Unlike signal.alarm, this works in any thread, in a notebook and on Windows, and it
# counts steps, not seconds, whatever the speed of the machine. (It replaces a debugger's trace
# function while the answer runs, and puts it back after.)
FIXED_POINT_TOL = 1e-10
SETTLING_MAX_STEPS = 3_000   # the settling cases; the slow one needs about 950 steps
CYCLING_MAX_STEPS = 100      # the cycling case: the answer must give up after 100 steps
GUARD_FACTOR = 20            # the guard stops an answer after 20 * max_steps runs of one line
_NUMPY_DIR = str(Path(np.__file__).parent)


class _RanAway(BaseException):
    """Raised by the step guard inside an answer that ran too many steps."""


class _Outcome:
    """What a guarded answer did instead of returning an array (shown in a hint, never compared)."""

    def __init__(self, what, detail="", steps=None):
        self.what, self.detail, self.steps = what, detail, steps

    def __repr__(self):
        return f"<{self.what}>"


def _loop_steps(counts):
    """The number of steps of an answer's loop: the median run count of its lines run > 2 times."""
    looped = sorted(n for n in counts.values() if n > 2)
    return None if not looped else int(round(float(np.median(looped))))


def _guarded(fn):
    """``fn``, run so that it cannot loop forever and so that its RuntimeError is recorded.

    The wrapper's last positional argument is max_steps. It returns fn's result, or an
    ``_Outcome``: "ran away" (still running after GUARD_FACTOR * max_steps runs of one line) or
    "gave up" (fn raised RuntimeError), with ``steps``, the steps its loop ran (``_loop_steps``).
    Lines of NumPy's own Python code are not counted.
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
            sys.settrace(previous)            # before counting, so the count is not traced
            return _Outcome("gave up", error, _loop_steps(counts))
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


def _two_fixed_points_case(rng, H, D):
    """W_hh = 2 I with a small negative drive: each unit has three fixed points, near -0.96,
    +0.1 and +0.95 (the middle one repels), so the network has 27, of which 8 attract. From
    h = 0 every unit goes to -0.96; from h = 0.3 every unit goes to +0.95. A larger tol (1e-6)
    also tells an answer that uses tol from one that ignores it."""
    return dict(W_hh=2.0 * np.eye(H), W_hx=scaled_normal(rng, H, D, 0.01),
                b_h=np.full(H, -0.1), x=rng.standard_normal(D), tol=1e-6,
                max_steps=SETTLING_MAX_STEPS)


def _cycling_case(rng, H, D):
    """W_hh near -3 I: the fixed point repels (its Jacobian has eigenvalues near -3), and from
    h = 0 the state falls into a cycle of period 2 whose largest change stays near 2."""
    return dict(W_hh=-3 * np.eye(H) + scaled_normal(rng, H, H, 0.3), W_hx=scaled_normal(rng, H, D),
                b_h=0.5 * rng.standard_normal(H), x=rng.standard_normal(D),
                tol=FIXED_POINT_TOL, max_steps=CYCLING_MAX_STEPS)


def _map(h, W_hh, W_hx, b_h, x):
    """h -> tanh(W_hh h + W_hx x + b_h) on 1-D vectors: one package step with a batch of one row."""
    return _step(x[None], h[None], W_hx, W_hh, b_h)[0]


def _path(W_hh, W_hx, b_h, x, tol, max_steps, extra=0):
    """The states h_0 = 0, h_1, ... until the largest change is below tol (step n), then ``extra``
    steps more. Returns (states, n), n None if max_steps steps pass without settling."""
    states, n = [np.zeros(len(W_hh))], None
    for step in range(1, max_steps + 1):
        states.append(_map(states[-1], W_hh, W_hx, b_h, x))
        change = np.max(np.abs(states[-1] - states[-2]))
        if n is None and change < tol:
            n = step
        if n is not None and (step >= n + extra or change == 0):   # 0: it moves no more
            break
    return np.array(states), n


def _iterate(W_hh, W_hx, b_h, x, tol, max_steps):
    """(h, steps): iterate from zeros until the largest change is below tol, or max_steps steps."""
    states, n = _path(W_hh, W_hx, b_h, x, tol, max_steps)
    return states[-1], n


def _fixed_point(W_hh, W_hx, b_h, x, tol=None, max_steps=None):
    """The reference h_star, iterated to 1e-15 (it ignores the answer's tol and max_steps)."""
    return _iterate(W_hh, W_hx, b_h, x, 1e-15, 10_000)[0]


def _residual(h, c):
    return np.linalg.norm(h - _map(h, **_weights(c)))


def _weights(c):
    return {k: c[k] for k in ("W_hh", "W_hx", "b_h", "x")}


_FIXED_POINT_CASES = [(4, 3), (5, 2), (3, 3), (6, 4), (2, 5)]
PATH_ATOL = 1e-12   # how close an answer must be to the reference's last state (or the one before)


def _settling_cases():
    return (_cases(_fixed_point_case, _FIXED_POINT_CASES)
            + [_slow_case(np.random.default_rng(1005), 3, 2),
               _two_fixed_points_case(np.random.default_rng(1006), 3, 2)])


def _steps(n):
    return f"{n} step" + ("" if n == 1 else "s")


def _judge_fixed_point(h, c):
    """None if h is where the reference loop stops (step n) or the state before; else what is wrong."""
    states, n = _path(**c, extra=5_000)
    gap = np.max(np.abs(states - h), axis=1)
    if min(gap[n], gap[n - 1]) <= PATH_ATOL:
        return None
    step = int(np.argmin(gap))
    if gap[step] <= PATH_ATOL and step > n:
        late = (f"stopped {_steps(step - n)} late: stop at the first step whose largest absolute "
                f"change, np.max(np.abs(h_new - h)), is below the tol argument (here tol={c['tol']:g})")
        norms = np.linalg.norm(np.diff(states, axis=0), axis=1)
        if step == 1 + int(np.argmax(norms < c["tol"])):   # where a 2-norm loop stops
            return late + ("; you seem to use the 2-norm of the change, which is larger than "
                           "its largest entry, so it stops later")
        return late + ("; you seem to ignore tol: a tolerance of your own, or an exact solver, "
                       "gives a state further along the path")
    if gap[step] <= PATH_ATOL:
        return (f"stopped {_steps(n - step)} early: keep iterating until the largest absolute "
                f"change is below the tol argument (here tol={c['tol']:g})")
    if _residual(h, c) < 1e-8:
        other = np.max(np.abs(h - _fixed_point(**c))) > 1e-3
        return ("your state is " + ("a fixed point, but not the one that h = 0 leads to (this "
                                    "network has several)" if other else
                                    "near the fixed point, but off the path that starts at h = 0")
                + ": start the iteration from h = np.zeros(H), the exercise's h = 0")
    return (f"not a fixed point: the residual ||h - tanh(W_hh h + W_hx x + b_h)|| is "
            f"{_residual(h, c):.3g}; expected the state where the change first drops below tol")


def check_fixed_point(fn):
    """Check ``fn(W_hh, W_hx, b_h, x, tol, max_steps) -> h_star`` of shape (H,), with 1-D vectors:
    iterate h <- tanh(W_hh @ h + W_hx @ x + b_h) from h = 0 until the largest absolute change
    np.max(np.abs(h_new - h)) is below tol, and return that state; raise RuntimeError if max_steps
    steps pass without that.

    Seven networks settle (max_steps=3000): five contractions, a slow one (about 950 steps) and
    one with several attracting fixed points (tol=1e-6). Each passes when the answer returns the state where the
    reference loop stops, or the one before it (within 1e-12). Then one network's state cycles
    forever (max_steps=100): the answer must raise RuntimeError after max_steps steps (its loop
    counted by the step guard, one step of slack). An answer still running after 20 * max_steps
    runs of one of its lines is stopped (see ``_guarded``), so a loop without a bound gets a hint
    instead of hanging the notebook.
    """
    name = "check_fixed_point"
    if not callable(fn):
        return _fail(name, f"expected a function; got {type(fn).__name__} {fn!r}")
    answer = _guarded(fn)
    wrong = [
        (lambda c: _map(np.zeros(len(c["W_hh"])), **_weights(c)),
         "one step only: you returned tanh(W_hx @ x + b_h); repeat the step until h stops changing"),
        (lambda c: _iterate(**c | {"W_hh": c["W_hh"].T})[0],
         "looks like W_hh is transposed: with column vectors the recurrent term is W_hh @ h"),
    ]
    symptoms = [
        (lambda h, c: isinstance(h, _Outcome) and h.what == "ran away",
         "your function was still running after 20 * max_steps steps on a network that settles: "
         "stop as soon as the largest change |h_new - h| is below tol"),
        (lambda h, c: isinstance(h, _Outcome) and h.what == "gave up",
         "your function raised RuntimeError on a network whose state settles in fewer than "
         "max_steps steps: give up only after max_steps steps (use the max_steps argument)"),
    ]
    cases = _settling_cases()
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):   # one line in all: the runner's pass line waits
        settled = _run(name, answer, cases, _fixed_point, "(H,)", wrong, symptoms,
                       _judge_fixed_point)
    if not settled:
        print(quiet.getvalue(), end="")
        return False
    return _check_gives_up(name, answer, len(cases) + 1)


def _check_gives_up(name, answer, number):
    """The last case: a network whose state cycles; the answer must raise after max_steps steps."""
    case = _cycling_case(np.random.default_rng(1011), 3, 2)
    shapes = ", ".join(f"{k} {np.shape(v)}" if isinstance(v, np.ndarray) else f"{k}={v!r}"
                       for k, v in case.items())
    where = f"case {number}, the last: a network whose state cycles, inputs {shapes}"
    max_steps = case["max_steps"]
    try:
        with np.errstate(all="ignore"):
            result = answer(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()])
    except Exception as error:
        return _fail(name, f"your function raised {type(error).__name__}: {error}; when the state "
                     f"has not settled after max_steps steps, raise RuntimeError", where)
    if not isinstance(result, _Outcome):
        return _fail(name, "returned a state for a network that never settles (its state cycles): "
                     "after max_steps steps without settling, raise RuntimeError instead", where)
    if result.what == "ran away":
        return _fail(name, f"your function was still running after {result.detail} steps, "
                     f"20 * max_steps (max_steps={max_steps}), on a network whose state "
                     f"never settles: stop after max_steps steps and raise RuntimeError (a loop "
                     f"without a bound, or one that ignores max_steps, never ends here)", where)
    steps = result.steps
    if steps is not None and steps > max_steps + 1:
        return _fail(name, f"your function raised RuntimeError after about {steps} steps, but "
                     f"max_steps={max_steps}: give up after max_steps steps (loop over "
                     f"range(max_steps), not a number of your own)", where)
    if steps is not None and steps < max_steps - 1:
        return _fail(name, f"your function raised RuntimeError after about {steps} steps, before "
                     f"max_steps={max_steps} steps had passed: give up only after max_steps steps",
                     where)
    print(f"✓ {name}: correct on {number} cases")
    return True


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
