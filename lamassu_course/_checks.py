"""Input checks shared by the public functions of ``lamassu_course``.

Every public function checks its arguments here, once, and says what is wrong in the
reader's terms (``"xs has shape (5, 3); expected (T, B, D) with D=4"``). Nothing is
allowed to broadcast silently, and a failed check changes no state.
"""
import numpy as np

__all__ = ["as_array", "check_shape", "check_choice"]


def as_array(name, value, dtype=np.float64, allow_nonfinite=False):
    """Return ``value`` as a NumPy array of ``dtype``, refusing what is not numeric or finite.

    Booleans and integers are accepted (a one-hot input may be boolean); strings, objects
    and complex numbers are refused with a ``TypeError`` that names the argument. With
    ``dtype=None`` a float array keeps its precision and anything else becomes float64.
    """
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"{name} has dtype {array.dtype}; expected a real numeric array "
            f"(float, int or bool)"
        )
    if dtype is None:
        dtype = array.dtype if kind == "f" else np.float64
    array = array.astype(dtype, copy=False)
    if not allow_nonfinite and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); expected finite numbers")
    return array


def check_shape(name, array, expected, letters):
    """Raise ``ValueError`` unless ``array.shape`` matches ``expected``.

    ``expected`` is a tuple of ints or ``None`` (any size); ``letters`` names each axis,
    e.g. ``("T", "B", "D")``. The message shows the shape found and the shape wanted.
    """
    shape = np.shape(array)
    ok = len(shape) == len(expected) and all(
        want is None or got == want for got, want in zip(shape, expected)
    )
    if ok:
        return
    fixed = [f"{letter}={want}" for letter, want in zip(letters, expected) if want is not None]
    wanted = "(" + ", ".join(letters) + (",)" if len(letters) == 1 else ")")
    if fixed:
        wanted += " with " + ", ".join(fixed)
    raise ValueError(f"{name} has shape {tuple(shape)}; expected {wanted}")


def check_choice(name, value, choices):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``, listing the valid ones."""
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(choice) for choice in sorted(choices))
        raise ValueError(f"unknown {name} {value!r}; expected one of {valid}")
    return value
