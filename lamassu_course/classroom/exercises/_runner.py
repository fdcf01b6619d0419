"""The one generic runner behind every check: cases, a reference, and known mistakes."""
import numpy as np

__all__ = ["RTOL", "ATOL", "NOT_WRITTEN", "run_check", "fail", "make_cases", "same"]

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
            with np.errstate(all="ignore"):   # an overflow gets a hint, not a warning
                result = answer(*[np.copy(v) if isinstance(v, np.ndarray) else v
                                  for v in case.values()])
        except NotImplementedError:
            return _fail(name, NOT_WRITTEN)
        except Exception as error:  # the student's bug, reported in their terms
            return _fail(name, f"your function raised {type(error).__name__}: {error}", where)
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
