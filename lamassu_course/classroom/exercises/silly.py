"""Checks for Chapter 2, the silly network."""
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

from ...activations import ACTIVATIONS, sigmoid
from ...init import scaled_normal, spectral_radius
from ...layers import hidden_forward, hidden_step, output_forward, output_step
from ...rnn import VanillaRNN
from ._runner import (fail as _fail, make_cases as _cases, run_check as _run,
                      same as _same)
from .formulation import _step

__all__ = ["check_seed_forward", "check_fixed_point", "check_contraction_rate"]


# ---------------------------------------------------------------- Chapter 2: the seed's network
def _seed_case(rng, T, B, D, H, K):
    """A sequence xs (T, B, D) and a first state h0 (B, H), with the seed's weights: W_hh (H, H)
    and W_xh (D, H) multiplied from the right, W_hy (K, H) as the seed stores it."""
    return dict(xs=rng.standard_normal((T, B, D)), h0=np.tanh(rng.standard_normal((B, H))),
                W_hh=scaled_normal(rng, H, H).T, W_xh=scaled_normal(rng, H, D).T,
                W_hy=scaled_normal(rng, K, H), Bh=rng.standard_normal(H), By=rng.standard_normal(K))


def _row_output(h, W_hy, By):
    """The fix: each row of h (B, H) gets its own output, h @ W_hy.T + By (B, K)."""
    return output_step(h, W_hy, By)[0]


def _seed_forward(xs, h0, W_hh, W_xh, W_hy, Bh, By, output=_row_output, carry=True,
                  before=False):
    """(ys (T, B, K), the last state (B, H)): the seed's network, fixed, over xs from h0.

    The seed multiplies W_hh and W_xh from the right, (in, out): the package's weights
    transposed. The mistakes: ``output(h, W_hy, By)`` computes one step's y (the seed's own
    W_hy.dot(h) + By, say); carry=False starts every step from h0; before=True computes y
    from the state before the step."""
    h, ys = h0, []
    for x in xs:
        new = _step(x, h if carry else h0, W_xh.T, W_hh.T, Bh)
        ys.append(output(h if before else new, W_hy, By))
        h = new
    return np.stack(ys), h


def _seed_loop(xs, h0, W_hh, W_xh, W_hy, Bh, By, step, output=_row_output):
    """The seed's loop with another state update ``step(h, x, W_hh, W_xh, Bh)``: a mistake's."""
    h, ys = h0, []
    for x in xs:
        h = step(h, x, W_hh, W_xh, Bh)
        ys.append(output(h, W_hy, By))
    return np.stack(ys), h


def check_seed_forward(fn):
    """Check ``fn(xs, h0, W_hh, W_xh, W_hy, Bh, By) -> (ys, h)``: the seed's network, with its
    output fixed, over a whole sequence. From h0 (B, H), each step updates the state as the
    seed does, h = tanh(h @ W_hh + x @ W_xh + Bh) for x = xs[t], and computes that step's
    output from the new h, one per row (each sequence of the batch on its own), with W_hy
    kept (K, H) as the seed stores it, plus By. ys (T, B, K) holds every step's output and h
    (B, H) is the last state. The seed's shapes: xs (T, B, D), W_hh (H, H) and W_xh (D, H),
    multiplied from the right; W_hy (K, H); Bh (H,), By (K,).
    An answer that calls the package's hidden_step, hidden_forward, output_step,
    output_forward or VanillaRNN is refused."""
    def run(c, **mistake):
        return _seed_forward(**c, **mistake)
    wrong = [
        (lambda c: run(c, output=lambda h, W_hy, By: W_hy.dot(h) + By),
         "this is the seed's bug: W_hy.dot(h) mixes the rows of the batch; write h @ W_hy.T + By"),
        (lambda c: run(c, output=lambda h, W_hy, By: h @ W_hy + By),
         "W_hy is (K, H): with rows as the batch the output is h @ W_hy.T + By"),
        (lambda c: run(c, output=lambda h, W_hy, By: h @ W_hy.T), "the output bias By is missing"),
        (lambda c: run(c, before=True),
         "each y is computed from the state before its step: compute the new h first, then "
         "y from it"),
        (lambda c: run(c | {"W_hh": c["W_hh"].T}),
         "W_hh is transposed: the seed multiplies from the right, h @ W_hh"),
        (lambda c: run(c | {"W_xh": c["W_xh"].T}),
         "W_xh is transposed: the seed multiplies from the right, x @ W_xh"),
        (lambda c: run(c | {"Bh": 0 * c["Bh"]}), "the hidden bias Bh is missing"),
        (lambda c: run(c, carry=False),
         "the state is not carried: each step must start from the h of the step before, "
         "not from h0"),
        (lambda c: run(c | {"h0": 0 * c["h0"]}),
         "h0 is ignored: the first step must start from the h0 you were given (the seed's "
         "class starts from zeros; this function starts from h0)"),
        (lambda c: run(c)[::-1], "ys and h are swapped: return (ys, h), in that order"),
        (lambda c: _seed_loop(**c, step=lambda h, x, W_hh, W_xh, Bh:
                              np.tanh(W_hh @ h + W_xh @ x + Bh)),
         "you wrote the math's column layout, W_hh @ h + W_xh @ x, with the seed's matrices and "
         "rows as the batch: the seed multiplies from the right, h @ W_hh + x @ W_xh + Bh"),
        (lambda c: _seed_loop(**c, step=lambda h, x, W_hh, W_xh, Bh:
                              np.tanh(h @ W_hh + x @ W_xh) + Bh),
         "Bh is added after the tanh: it belongs inside, h = tanh(h @ W_hh + x @ W_xh + Bh)"),
        (lambda c: run(c, output=lambda h, W_hy, By: np.tanh(h @ W_hy.T + By)),
         "the output has no tanh: the seed's y is linear, h @ W_hy.T + By"),
    ]
    symptoms = [
        (lambda out, c: _same(out[1], c["h0"]),
         "h is h0: return the last state, the h after the last step"),
        (lambda out, c: _same(out[0], run(c)[0][-1]),
         "ys holds only the last step's output: collect one output per step, (T, B, K)"),
    ]
    cases = _cases(_seed_case, [(3, 3, 3, 3, 3), (4, 2, 4, 5, 3), (2, 4, 3, 2, 5),
                                (5, 3, 2, 4, 1), (1, 2, 3, 4, 5)])
    return _run("check_seed_forward", fn, cases, _seed_forward, {"ys": "(T, B, K)", "h": "(B, H)"},
                wrong, symptoms,
                forbidden=(hidden_step, hidden_forward, output_step, output_forward, VanillaRNN,
                           _seed_forward, _seed_loop),
                own="write the seed's loop yourself, with NumPy")


# ---------------------------------------------------------------- fixed points and contraction
# Exercise 2.2 asks: iterate h <- tanh(W_hh h + W_hx x + b_h) from h = 0, stop at the first step
# whose largest absolute change is below tol and return that state, or raise RuntimeError once
# max_steps steps have passed without it. The check holds an answer to each part of that:
# - where it stops: the answer must return the state at the step where the reference loop stops
#   (or the one before it), so a 2-norm test, a tol of its own or another start is caught;
# - where it starts: one network has two attracting fixed points, and h = 0 leads to one of them;
# - when it gives up: on the slow network (it settles at step n, about 950), the answer must
#   raise RuntimeError when max_steps is n - 2 and return when it is n + 1 (one step of slack
#   each way: range(max_steps + 1) is not wrong enough to fail); and on a network whose state
#   cycles it must raise RuntimeError, not return a state.
# Judging by what the answer does with two values of max_steps needs no count of its steps, so
# any loop passes whatever it does inside (a loop over units, logging, two steps per pass). A
# loop without a bound (`while True:`) never returns on the cycling network, so every call runs
# under a step guard (`_guarded`): a trace function counts the runs of each line of Python the
# answer executes (NumPy's and this package's own lines aside), and past GUARD_FACTOR * max_steps
# runs of one line it raises `_RanAway` inside the answer. It is a BaseException, so an `except
# Exception` in the answer's loop cannot swallow it. Unlike signal.alarm, this works in any
# thread, in a notebook and on Windows, and it counts steps, not seconds, whatever the speed of
# the machine. (It replaces a debugger's trace function while the answer runs, and puts it back
# after.)
FIXED_POINT_TOL = 1e-10
SETTLING_MAX_STEPS = 3_000   # the settling cases; the slow one needs about 950 steps
CYCLING_MAX_STEPS = 100      # the cycling case: the answer must give up after 100 steps
GUARD_FACTOR = 200           # the guard stops an answer after 200 * max_steps runs of one line
_NUMPY_DIR = str(Path(np.__file__).parent)
_PACKAGE_DIR = str(Path(__file__).resolve().parents[2])   # lamassu_course/


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
    "gave up" (fn raised RuntimeError). Lines of NumPy's and of this package's own Python code
    are not counted (an answer may call ``hidden_step``, whose checks run many lines a step).
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
            filename = frame.f_code.co_filename
            return (None if filename.startswith(_NUMPY_DIR) or filename.startswith(_PACKAGE_DIR)
                    else on_line)

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
        if step - n <= 2:
            return late + ("; return the state of that step (or the one before it), not a "
                           "step more, and compare each new state with the one just before it")
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
    one with several attracting fixed points (tol=1e-6). Each passes when the answer returns the
    state where the reference loop stops, or the one before it (within 1e-12). Then when it gives
    up: on the slow network with max_steps two steps short of settling it must raise
    RuntimeError, with one step more than it needs it must return; and on a network whose state
    cycles forever (max_steps=100) it must raise RuntimeError. An answer still running after
    GUARD_FACTOR * max_steps runs of one of its lines is stopped (see ``_guarded``), so a loop
    without a bound gets a hint instead of hanging the notebook.
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
        (lambda c: _iterate(**c | {"b_h": 0 * c["b_h"]})[0],
         "the bias b_h is missing: the step is h <- tanh(W_hh @ h + W_hx @ x + b_h)"),
        (lambda c: _iterate(**c | {"x": 0 * c["x"]})[0],
         "the input term W_hx @ x is missing: the step is h <- tanh(W_hh @ h + W_hx @ x + b_h)"),
    ]
    symptoms = [
        (lambda h, c: isinstance(h, _Outcome) and h.what == "ran away",
         f"your function was still running after {GUARD_FACTOR} * max_steps runs of one line on a "
         "network that settles: "
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


def _call(answer, case, **change):
    case = case | change
    with np.errstate(all="ignore"):
        return answer(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()])


def _describe(case, what):
    shapes = ", ".join(f"{k} {np.shape(v)}" if isinstance(v, np.ndarray) else f"{k}={v!r}"
                       for k, v in case.items())
    return f"{what}, inputs {shapes}"


def _check_gives_up(name, answer, number):
    """The last cases: when the answer gives up. The slow network settles at step n: with
    max_steps = n - 2 the answer must raise RuntimeError, with n + 1 it must return. A network
    whose state cycles: it must raise RuntimeError (and a loop without a bound is stopped)."""
    slow = _settling_cases()[-2]
    n = _iterate(**slow)[1]
    for max_steps, must_raise in ((n - 2, True), (n + 1, False)):
        where = _describe(slow | {"max_steps": max_steps},
                          f"case {number}: the slow network, which settles at step {n}")
        number += 1
        try:
            result = _call(answer, slow, max_steps=max_steps)
        except Exception as error:
            return _fail(name, f"your function raised {type(error).__name__}: {error}; when the "
                         "state has not settled after max_steps steps, raise RuntimeError", where)
        gave_up = isinstance(result, _Outcome) and result.what == "gave up"
        if must_raise and not gave_up:
            return _fail(name, f"returned a state although max_steps={max_steps} steps are not "
                         f"enough to settle (this network needs {n}): give up after max_steps "
                         "steps and raise RuntimeError (loop over range(max_steps), not a number "
                         "of steps of your own)", where)
        if not must_raise and gave_up:
            return _fail(name, f"raised RuntimeError with max_steps={max_steps}, although the "
                         f"state settles at step {n}: give up only after max_steps steps have "
                         "passed", where)
    case = _cycling_case(np.random.default_rng(1011), 3, 2)
    max_steps = case["max_steps"]
    where = _describe(case, f"case {number}, the last: a network whose state cycles")
    try:
        result = _call(answer, case)
    except Exception as error:
        return _fail(name, f"your function raised {type(error).__name__}: {error}; when the state "
                     f"has not settled after max_steps steps, raise RuntimeError", where)
    if not isinstance(result, _Outcome):
        return _fail(name, "returned a state for a network that never settles (its state cycles): "
                     "after max_steps steps without settling, raise RuntimeError instead", where)
    if result.what == "ran away":
        return _fail(name, f"your function was still running after {result.detail} runs of one "
                     f"line, {GUARD_FACTOR} * max_steps (max_steps={max_steps}), on a network "
                     "whose state never settles: stop after max_steps steps and raise "
                     "RuntimeError (a loop without a bound, or one that ignores max_steps, never "
                     "ends here)", where)
    print(f"✓ {name}: correct on {number} cases")
    return True


class _Slope:
    """g', the slope of an activation g, as a function of the pre-activation: an answer's ``dg``.

    ``dg(a)`` works entrywise on an array; ``g`` is there for the check's own fixed points."""

    def __init__(self, name, g, slope):
        self.name, self.g, self.slope = name, g, slope

    def __call__(self, a):
        return self.slope(np.asarray(a, dtype=float))

    def __repr__(self):
        return f"<the slope of {self.name}>"


_SLOPES = {
    "tanh": _Slope("tanh", np.tanh, ACTIVATIONS["tanh"].derivative),
    "sigmoid": _Slope("sigmoid", sigmoid, ACTIVATIONS["sigmoid"].derivative),
    "softsign": _Slope("softsign", lambda a: a / (1 + np.abs(a)), lambda a: 1 / (1 + np.abs(a)) ** 2),
}
_SLOPE_MAX = {"tanh": 1.0, "sigmoid": 0.25, "softsign": 1.0}


def _pre_activation(h_star, x, W_hh, W_xh, Bh):
    """a* = h* @ W_hh + x @ W_xh + Bh: the seed's layout, one sequence as a row."""
    return h_star @ W_hh + x @ W_xh + Bh


def _rate_case(rng, D, H, activation):
    """A contraction in the seed's layout, ||W_hh||_2 * max g' between 0.6 and 0.95, and its
    fixed point h_star under the input x, iterated from 0 until the change is below 1e-15."""
    slope = _SLOPES[activation]
    W_hh = scaled_normal(rng, H, H).T
    W_hh *= rng.uniform(0.6, 0.95) / (_SLOPE_MAX[activation] * np.linalg.norm(W_hh, 2))
    x, W_xh, Bh = rng.standard_normal(D), scaled_normal(rng, H, D).T, 0.5 * rng.standard_normal(H)
    h = np.zeros(H)
    for _ in range(10_000):
        h, h_old = slope.g(_pre_activation(h, x, W_hh, W_xh, Bh)), h
        if np.max(np.abs(h - h_old)) < 1e-15:
            break
    return dict(h_star=h, x=x, W_hh=W_hh, W_xh=W_xh, Bh=Bh, dg=slope)


def _weights_of(c):
    return {k: c[k] for k in ("h_star", "x", "W_hh", "W_xh", "Bh")}


def _rate(h_star, x, W_hh, W_xh, Bh, dg, a=None, slope=None, W=None):
    """rho(J), J = diag(g'(a*)) W with the math's W = the seed's W_hh.T. The mistakes: ``a``,
    another pre-activation; ``slope``, another diagonal; ``W``, another matrix."""
    a = _pre_activation(h_star, x, W_hh, W_xh, Bh) if a is None else a
    d = dg(a) if slope is None else slope
    return spectral_radius(np.diag(d) @ (W_hh.T if W is None else W))


def _jacobian(h_star, x, W_hh, W_xh, Bh, dg):
    return np.diag(dg(_pre_activation(h_star, x, W_hh, W_xh, Bh))) @ W_hh.T


def check_contraction_rate(fn):
    """Check ``fn(h_star, x, W_hh, W_xh, Bh, dg) -> float``: the spectral radius (the largest
    absolute eigenvalue) of the Jacobian J = diag(g'(a*)) W of the map h -> g(W h + ...) at its
    fixed point h_star, for a network stored as the seed stores it: W_hh (H, H) and W_xh (D, H),
    multiplied from the right (the math's W is W_hh.T), Bh (H,), and one sequence as a row,
    h_star (H,) and x (D,), so the pre-activation is a* = h_star @ W_hh + x @ W_xh + Bh. ``dg``
    is g', the slope of the activation, taken at the pre-activation: dg(a) works entrywise.
    The cases use tanh, the logistic sigmoid and softsign a / (1 + abs(a))."""
    def a_with(c, **change):
        return _pre_activation(**_weights_of(c) | change)
    wrong = [
        (lambda c: spectral_radius(c["W_hh"]),
         "you returned rho(W_hh): the Jacobian scales each row of the math's W by g'(a*), "
         "J = diag(dg(a*)) @ W_hh.T"),
        (lambda c: _rate(**c, slope=1 - c["h_star"] ** 2),
         "1 - h_star**2 is the slope of tanh only: this network's activation may be another; "
         "take its slope dg at the pre-activation a* = h_star @ W_hh + x @ W_xh + Bh"),
        (lambda c: _rate(**c, a=c["h_star"]),
         "you applied dg to h_star: dg is the slope at the pre-activation, "
         "a* = h_star @ W_hh + x @ W_xh + Bh"),
        (lambda c: _rate(**c, a=c["W_hh"] @ c["h_star"] + c["W_xh"] @ c["x"] + c["Bh"]),
         "you wrote the math's column layout with the seed's matrices, W_hh @ h_star + "
         "W_xh @ x: the seed multiplies from the right, a* = h_star @ W_hh + x @ W_xh + Bh"),
        (lambda c: _rate(**c, a=a_with(c, W_hh=c["W_hh"].T)),
         "W_hh is transposed in a*: the seed multiplies from the right, h_star @ W_hh"),
        (lambda c: _rate(**c, a=a_with(c, W_xh=c["W_xh"].T)),
         "W_xh is transposed in a*: it is (D, H), multiplied from the right, x @ W_xh"),
        (lambda c: _rate(**c, a=a_with(c, Bh=0 * c["Bh"])),
         "the hidden bias Bh is missing from a* = h_star @ W_hh + x @ W_xh + Bh"),
        (lambda c: _rate(**c, a=a_with(c, x=0 * c["x"])),
         "the input term is missing from a* = h_star @ W_hh + x @ W_xh + Bh"),
        (lambda c: np.linalg.norm(_jacobian(**c), 2),
         "you returned the largest singular value (the 2-norm); the spectral radius is "
         "max |eigenvalue|"),
        (lambda c: _jacobian(**c), "you returned the Jacobian matrix; return its spectral radius, a number"),
        (lambda c: _rate(**c, slope=1 - np.tanh(_pre_activation(**_weights_of(c))) ** 2),
         "1 - tanh(a)**2 is the slope of tanh only: this network's activation may be another; "
         "use the dg you are given, dg(a*)"),
        (lambda c: float(np.max(np.linalg.eigvals(_jacobian(**c)).real)),
         "you returned the largest real part of the eigenvalues: the spectral radius is the "
         "largest absolute value, np.max(np.abs(eigenvalues))"),
        (lambda c: np.linalg.norm(_jacobian(**c)),
         "you returned the Frobenius norm (np.linalg.norm of a matrix); the spectral radius is "
         "max |eigenvalue|"),
    ]
    symptoms = [(lambda rate, c: np.iscomplexobj(rate),
                 "you returned a complex eigenvalue: the spectral radius is the largest "
                 "|eigenvalue| (np.abs)")]
    cases = [_rate_case(np.random.default_rng(1000 + seed), D, H, activation)
             for seed, (D, H, activation) in enumerate(
                 [(3, 3, "sigmoid"), (2, 4, "softsign"), (4, 3, "tanh"), (5, 2, "sigmoid"),
                  (3, 5, "softsign")])]
    return _run("check_contraction_rate", fn, cases, _rate, "", wrong, symptoms,
                forbidden=(_rate, _jacobian), own="write the rate yourself, with NumPy")
