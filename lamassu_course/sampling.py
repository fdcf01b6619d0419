"""Sampling text from a character model, with a temperature."""
import numpy as np

from .activations import softmax
from .data import one_hot
from .training import final_state

__all__ = ["sample"]


def sample(rnn, vocab, prime, length, *, temperature=1.0, seed=None):
    """Feed the string ``prime``, then draw ``length`` characters one at a time.

    Each next character is drawn from softmax(y_t / temperature), where y_t are the
    network's logits (``output_activation="identity"``). Temperature 1 samples the model as
    it is; below 1 is more conservative, above 1 more random. The same ``seed`` gives the
    same text. Returns the ``length`` new characters. Works on any model of the package: the
    state carried from one character to the next is ``training.final_state``'s.
    """
    D, _, K = rnn.sizes
    if D != vocab.size or K != vocab.size:
        raise ValueError(f"the network has D={D} inputs and K={K} outputs; "
                         f"expected both equal to the vocabulary size V={vocab.size}")
    if rnn.output_activation != "identity":
        raise ValueError("sample needs output_activation='identity' (the outputs are logits)")
    if not prime:
        raise ValueError("prime must hold at least one character to start from")
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature is {temperature!r}; expected a finite number > 0")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length is {length!r}; expected an integer >= 0")
    rng = np.random.default_rng(seed)
    ys, cache = rnn.forward(vocab.one_hot(prime)[:, None, :])
    logits, state = ys[-1, 0], final_state(rnn, cache)   # any model: h, or (h, c), or a stack
    out = []
    for _ in range(length):
        idx = int(rng.choice(vocab.size, p=softmax(logits / temperature)))
        out.append(idx)
        ys, cache = rnn.forward(one_hot([[idx]], vocab.size), **state)
        logits, state = ys[-1, 0], final_state(rnn, cache)
    return vocab.decode(np.array(out, dtype=np.int64))
