"""Characters to numbers and back: a vocabulary, one-hot vectors, and TBPTT windows."""
from pathlib import Path

import numpy as np

__all__ = ["CharVocab", "one_hot", "tbptt_windows", "load_text", "TEXTS"]

# Public-domain texts shipped inside the package (sources in texts/README.md).
TEXTS = {"alice": "alice_in_wonderland.txt"}


def load_text(name="alice"):
    """A text shipped with the course, as one string (nothing is downloaded).

    "alice": Lewis Carroll, Alice's Adventures in Wonderland (1865), public domain.
    """
    if name not in TEXTS:
        valid = ", ".join(repr(key) for key in sorted(TEXTS))
        raise ValueError(f"unknown text {name!r}; expected one of {valid}")
    return (Path(__file__).parent / "texts" / TEXTS[name]).read_text(encoding="utf-8")


def _int_ids(name, ids, V):
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} has dtype {ids.dtype}; expected integer indices")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{name} holds values in [{ids.min()}, {ids.max()}]; "
                         f"expected indices in [0, {V - 1}] (V={V})")
    return ids


def one_hot(ids, V):
    """Integer indices of any shape (...) -> float64 one-hot vectors (..., V)."""
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"V is {V!r}; expected a positive integer vocabulary size")
    ids = _int_ids("ids", ids, V)
    return np.eye(V)[ids]


class CharVocab:
    """The sorted set of characters of a text, with ``encode`` and ``decode``.

    >>> vocab = CharVocab("hello")
    >>> vocab.chars, vocab.size
    ('ehlo', 4)
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        self.chars = "".join(sorted(set(text)))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def size(self):
        """V, the number of distinct characters."""
        return len(self.chars)

    def encode(self, text):
        """A string -> int64 array of indices; a character outside the vocabulary is an error."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"text holds characters {unknown!r} that are not in the vocabulary")
        return np.array([self.index[ch] for ch in text], dtype=np.int64)

    def decode(self, ids):
        """Indices -> the string they spell."""
        if np.size(ids) == 0:
            return ""
        ids = _int_ids("ids", ids, self.size)
        return "".join(self.chars[i] for i in np.ravel(ids))

    def one_hot(self, text):
        """A string of length T -> (T, V) one-hot rows."""
        return one_hot(self.encode(text), self.size)

    def __repr__(self):
        return f"CharVocab(size={self.size}, chars={self.chars!r})"


def tbptt_windows(ids, window, batch_size=1):
    """Cut a stream of indices into windows for truncated BPTT.

    The stream is split into ``batch_size`` contiguous streams side by side (column b is the
    b-th slice of the text), so the hidden state at the end of one window is the right start
    for the next. Returns a generator of (inputs, targets), each (k, B) with k <= window;
    targets are the inputs shifted by one character. Bad arguments raise at the call.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids has shape {ids.shape} and dtype {ids.dtype}; "
                         "expected a 1-D array of integer indices")
    for name, value in (("window", window), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} is {value!r}; expected a positive integer")
    n = (len(ids) - 1) // batch_size
    if n < 1:
        raise ValueError(f"ids has {len(ids)} entries; need at least batch_size + 1 = "
                         f"{batch_size + 1} for one input and its target")
    inputs = ids[: n * batch_size].reshape(batch_size, n).T
    targets = ids[1: n * batch_size + 1].reshape(batch_size, n).T
    return ((inputs[start: start + window], targets[start: start + window])
            for start in range(0, n, window))
