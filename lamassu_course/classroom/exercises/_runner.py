"""The one generic runner behind every check: cases, a reference, and known mistakes."""
import contextlib
import inspect
import io
import sys

import numpy as np

__all__ = ["RTOL", "ATOL", "NOT_WRITTEN", "run_check", "fail", "make_cases", "same"]

RTOL, ATOL = 1e-5, 1e-8  # loose enough for float32 answers, far tighter than any typical mistake
NOT_WRITTEN = "not written yet: replace the `raise NotImplementedError` with your code"


# ---------------------------------------------------------------- the one generic runner
def _run(name, answer, cases, reference, expect, wrong=(), symptoms=(), judge=None,
         probes=(), forbidden=(), own="write it yourself, with NumPy"):
    """Run ``answer(*case.values())`` on every case (a dict of arguments) against ``reference(**case)``.

    On the first failing case, print the hint of the first typical wrong answer it equals
    (``wrong``: pairs (wrong_answer(case), hint)), or of the first symptom it shows
    (``symptoms``: pairs (symptom(result, case) -> bool, hint)), or else what is wrong.
    ``expect`` names the expected shape in letters, e.g. "(B, H)" ({"h": ..., "y": ...} for a pair);
    ``judge(result, case)`` returns a problem or None, in place of comparing with the reference.

    When the answer raises, the typical wrong answers are tried too (``_explains``): one that
    raises the same kind of exception there, and gives the answer's values wherever both run
    (on the cases and on ``probes``, extra cases such as square ones where a layout mistake
    still runs), gets its hint printed with the exception.

    ``forbidden``: the package's own functions (or classes) that compute this exercise's answer;
    an answer that calls one of them is refused, and told ``own``: what to do instead.
    """
    if not callable(answer):
        return _fail(name, f"expected a function; got {type(answer).__name__} {answer!r}")
    watch = _Watch(forbidden)
    for number, case in enumerate(cases, 1):
        where = f"case {number} of {len(cases)}, inputs {_describe(case)}"
        try:
            with np.errstate(all="ignore"), watch:   # an overflow gets a hint, not a warning
                result = answer(*_copies(case))
        except NotImplementedError:
            return _fail(name, NOT_WRITTEN)
        except Exception as error:  # the student's bug, reported in their terms
            if watch.called:
                return _fail(name, watch.message(own))
            runs = _Runs(answer, list(cases) + list(probes))
            for wrong_answer, hint in wrong:
                if _explains(runs, error, case, wrong_answer, reference):
                    return _fail(name, f"{hint}\n   (your function raised "
                                       f"{_brief(error)})", where)
            return _fail(name, f"your function raised {type(error).__name__}: {error}", where)
        if watch.called:
            return _fail(name, watch.message(own))
        problem = _problem(result, reference(**case), expect, judge and (lambda got: judge(got, case)))
        if problem is None:
            continue
        for wrong_answer, hint in wrong:
            if _quietly(lambda: _same(result, wrong_answer(case))) and _consistent(
                    answer, wrong_answer, cases):
                return _fail(name, hint, where)
        for symptom, hint in symptoms:
            if _quietly(lambda: symptom(result, case)):
                return _fail(name, hint, where)
        return _fail(name, problem, where)
    print(f"✓ {name}: correct on {len(cases)} cases")
    return True


def _copies(case):
    return [np.copy(v) if isinstance(v, np.ndarray) else v for v in case.values()]


def _outcome(function, *args):
    """("value", result) or ("error", the exception) of ``function(*args)``, quietly."""
    try:
        with np.errstate(all="ignore"):
            return "value", function(*args)
    except Exception as error:
        return "error", error


class _Runs:
    """The answer's outcome on each of ``cases``, run once each, when first asked for."""

    def __init__(self, answer, cases):
        self.answer, self.cases, self._outcomes = answer, cases, {}

    def __iter__(self):
        for number, case in enumerate(self.cases):
            if number not in self._outcomes:
                with contextlib.redirect_stdout(io.StringIO()):    # its prints, once is enough
                    self._outcomes[number] = _outcome(self.answer, *_copies(case))
            yield case, self._outcomes[number]


def _explains(runs, error, case, wrong_answer, reference):
    """True if the typical mistake ``wrong_answer`` explains the ``error`` the answer raised on
    ``case``: the mistake raises the same kind of exception there; on no case do the two give
    different values or different kinds of exception; and some case ties them together, where
    both run and the answer shows the mistake (see ``_shows``), or where both raise the very
    same message (an index one past the end, say)."""
    kind, mistake = _outcome(wrong_answer, case)
    if kind != "error" or type(mistake) is not type(error):
        return False
    tied = str(mistake) == str(error)
    for other, (own, got) in runs:
        kind, mistake = _outcome(wrong_answer, other)
        if kind == own == "error":
            if type(mistake) is not type(got):
                return False
            tied = tied or str(mistake) == str(got)
        elif kind == own == "value":
            try:
                with np.errstate(all="ignore"):
                    shows = _shows(got, mistake, reference(**other))
            except Exception:
                shows = False
            if shows is False:
                return False
            tied = tied or shows is True
    return tied


def _shows(result, mistake, expected):
    """Whether ``result`` shows the mistake where it differs from the right answer: True if it
    equals the mistake's value there (for a tuple, in every part where the mistake is wrong;
    the other parts may have mistakes of their own), False if not, None if the mistake gives
    the right answer on this case (so it tells nothing)."""
    if isinstance(expected, tuple):
        wrong_parts = [k for k, want in enumerate(expected) if not _same(mistake[k], want)]
        if not wrong_parts:
            return None
        return len(result) == len(expected) and all(_same(result[k], mistake[k])
                                                    for k in wrong_parts)
    if _same(mistake, expected):
        return None
    return _same(result, mistake)


def _brief(error, width=70):
    """The exception in one short line."""
    text = " ".join(str(error).split())
    text = text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " ..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# ---------------------------------------------------------------- refusing the package's own code
class _Watch:
    """A context that notes whether the answer calls one of the ``forbidden`` functions.

    While it is active, a profile function (``sys.setprofile``, put back after) sees every
    Python call; entering the code of a forbidden function, however it was imported or wrapped,
    is noted. Items of ``forbidden``: functions, classes (all their methods), or pairs
    (function, the name to show).
    """

    def __init__(self, forbidden):
        self.codes = {}
        for item in forbidden:
            item, label = item if isinstance(item, tuple) else (item, None)
            if isinstance(item, type):
                for attribute, value in vars(item).items():
                    function = inspect.unwrap(getattr(value, "__func__", value))
                    if hasattr(function, "__code__"):
                        self.codes[function.__code__] = label or item.__name__
            else:
                function = inspect.unwrap(getattr(item, "__func__", item))
                self.codes[function.__code__] = label or function.__qualname__
        self.called = None

    def __enter__(self):
        if self.codes:
            self.previous = sys.getprofile()
            sys.setprofile(self._on_event)
        return self

    def __exit__(self, *exc):
        if self.codes:
            sys.setprofile(self.previous)
        return False

    def _on_event(self, frame, event, arg):
        if event == "call" and self.called is None:
            self.called = self.codes.get(frame.f_code)

    def message(self, own):
        return (f"your function calls lamassu_course's {self.called}, the reference this "
                f"exercise asks you to write: {own}")


def _consistent(answer, wrong_answer, cases):
    """True unless some case separates the answer from this typical mistake.

    A hint names a mistake only when the answer equals it on every case where both can be
    computed (a transposed non-square weight cannot), so a coincidence on one case never
    blames the wrong mistake.
    """
    for case in cases:
        try:
            with np.errstate(all="ignore"):
                result = answer(*[np.copy(v) if isinstance(v, np.ndarray) else v
                                  for v in case.values()])
                mistake = wrong_answer(case)
        except Exception:
            continue
        if not _quietly(lambda: _same(result, mistake)):
            return False
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


# Public names for the chapter modules.
run_check, fail, make_cases, same = _run, _fail, _cases, _same
