"""The delayed-recall task of Chapter 4: read a symbol, then name it again L steps later.

Each sequence has T = L + 1 steps over D = n_symbols + 1 input channels (one-hot)::

    x_1        the symbol s to remember, one of n_symbols
    x_2..x_L   distractors: random symbols from the same n_symbols (a network that only adds
               up its inputs cannot tell which one came first)
    x_{L+1}    the cue (channel D - 1): "answer now"

Only y_{L+1} is scored, against s, so the gradient that teaches the network to keep s must
travel back L steps. Guessing is right 1 / n_symbols of the time.
"""
import numpy as np

from .._checks import check_shape
from ..losses import softmax_cross_entropy
from ..optim import Adagrad
from ..training import train

__all__ = ["recall_batch", "last_step_loss", "recall_accuracy", "train_recall"]


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")
    return int(value)


def recall_batch(rng, batch_size, delay, n_symbols=4):
    """One batch: xs (T, B, D) with T = delay + 1, D = n_symbols + 1, and targets (B,) ints.

    ``rng`` is a NumPy Generator; x_1 holds the target symbol, x_2..x_delay random symbols
    and x_T the cue (see the module docstring).
    """
    B, L = _positive("batch_size", batch_size), _positive("delay", delay)
    K = _positive("n_symbols", n_symbols)
    if K < 2:
        raise ValueError(f"n_symbols is {K}; expected at least 2 (one symbol needs no memory)")
    symbols = rng.integers(0, K, size=(L, B))       # symbols[0] is the one to recall
    xs = np.zeros((L + 1, B, K + 1))
    xs[np.arange(L)[:, None], np.arange(B), symbols] = 1.0
    xs[L, :, K] = 1.0                               # the cue
    return xs, symbols[0]


def last_step_loss(ys, targets):
    """Cross-entropy of softmax(y_T) against ``targets``; earlier outputs are not scored.

    ys (T, B, K), targets (B,) ints -> (loss, dys) with dys zero except dys[-1]
    (the mean over the batch, as in ``softmax_cross_entropy``).
    """
    check_shape("ys", ys, (None, None, None), ("T", "B", "K"))
    loss, d_last = softmax_cross_entropy(ys[-1], targets)
    dys = np.zeros_like(ys, dtype=d_last.dtype)
    dys[-1] = d_last
    return loss, dys


def recall_accuracy(model, xs, targets):
    """The fraction of sequences whose last output names the target (argmax of y_T)."""
    ys, _ = model.forward(xs)
    check_shape("targets", targets, (ys.shape[1],), ("B",))
    return float(np.mean(np.argmax(ys[-1], axis=1) == np.asarray(targets)))


def train_recall(model, delay, steps, *, batch_size=32, lr=0.05, clip_norm=1.0, n_symbols=4,
                 seed=0):
    """Train ``model`` (a VanillaRNN or a GRU) on ``steps`` fresh batches of the task.

    Adagrad with learning rate ``lr``, gradients clipped to global norm ``clip_norm``.
    Returns ``train``'s history: {"loss": (steps,), "grad_norm": (steps,)}.
    """
    rng = np.random.default_rng(seed)
    steps = _positive("steps", steps)
    batches = (recall_batch(rng, batch_size, delay, n_symbols) for _ in range(steps))
    return train(model, batches, last_step_loss, Adagrad(model.params, lr=lr),
                 clip_norm=clip_norm, progress=False)
