"""The delayed-recall task of Chapter 4: read a symbol, then name it again L steps later.

Each sequence has T = L + 1 steps over D = n_symbols + 1 input channels (one-hot)::

    x_1        the symbol s to remember, one of n_symbols
    x_2..x_L   distractors: random symbols from the same n_symbols (a network that only adds
               up its inputs cannot tell which one came first)
    x_{L+1}    the cue (channel D - 1): "answer now"

Only y_{L+1} is scored, against s, so the gradient that teaches the network to keep s must
travel back L steps. Guessing is right 1 / n_symbols of the time.

Held-out sequences are never trained on: read the L symbols as a number in base n_symbols;
its remainder modulo 7 puts the sequence in the validation set (0), the test set (1) or the
training set (2 to 6). Changing the first symbol changes the remainder, so every split holds
every target.
"""
import numpy as np

from .._checks import check_shape
from ..losses import softmax_cross_entropy
from ..optim import Adagrad
from ..training import train
from .lockstep import Lockstep

__all__ = ["recall_batch", "recall_split", "training_overlap", "last_step_loss",
           "recall_accuracy", "train_recall", "train_recall_lockstep", "recall_runs"]

SPLITS = {"validation": (0,), "test": (1,), "train": (2, 3, 4, 5, 6)}


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")
    return int(value)


def recall_split(xs):
    """The split of each sequence of a batch xs (T, B, D): an array (B,) of "train",
    "validation" or "test" (see the module docstring)."""
    check_shape("xs", xs, (None, None, None), ("T", "B", "D"))
    return _split_names(np.argmax(xs[:-1], axis=2), xs.shape[2] - 1)


def _remainders(symbols, K):
    """sum_j symbols[j] K^j mod 7, for symbols (L, B)."""
    powers = np.ones(len(symbols), dtype=np.int64)
    for j in range(1, len(symbols)):
        powers[j] = powers[j - 1] * K % 7
    return (powers @ symbols) % 7


def _split_names(symbols, K):
    names = np.empty(symbols.shape[1], dtype=object)
    remainders = _remainders(symbols, K)
    for name, values in SPLITS.items():
        names[np.isin(remainders, values)] = name
    return names


def training_overlap(xs, seeds, steps, batch_size=32):
    """How many sequences of xs (T, B, D) also occur in the training batches that
    ``train_recall`` draws (``steps`` batches for each seed of ``seeds``): 0 for held-out data."""
    check_shape("xs", xs, (None, None, None), ("T", "B", "D"))
    delay, n_symbols = xs.shape[0] - 1, xs.shape[2] - 1
    seen = set()
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for _ in range(_positive("steps", steps)):
            batch, _ = recall_batch(rng, batch_size, delay, n_symbols, "train")
            seen.update(map(bytes, np.argmax(batch[:-1], axis=2).T.astype(np.int8)))
    held = map(bytes, np.argmax(xs[:-1], axis=2).T.astype(np.int8))
    return sum(sequence in seen for sequence in held)


def recall_batch(rng, batch_size, delay, n_symbols=4, split=None):
    """One batch: xs (T, B, D) with T = delay + 1, D = n_symbols + 1, and targets (B,) ints.

    ``rng`` is a NumPy Generator; x_1 holds the target symbol, x_2..x_delay random symbols
    and x_T the cue (see the module docstring). With ``split`` ("train", "validation" or
    "test") every sequence is drawn from that split only.
    """
    B, L = _positive("batch_size", batch_size), _positive("delay", delay)
    K = _positive("n_symbols", n_symbols)
    if K < 2:
        raise ValueError(f"n_symbols is {K}; expected at least 2 (one symbol needs no memory)")
    if split is not None and split not in SPLITS:
        raise ValueError(f"split is {split!r}; expected None or one of {sorted(SPLITS)}")
    symbols = rng.integers(0, K, size=(L, B))       # symbols[0] is the one to recall
    while split is not None:
        symbols = symbols[:, _split_names(symbols, K) == split]
        if symbols.shape[1] >= B:
            symbols = symbols[:, :B]
            break
        symbols = np.concatenate([symbols, rng.integers(0, K, size=(L, B))], axis=1)
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
    """Train ``model`` (a VanillaRNN or a GRU) on ``steps`` fresh batches of the task, drawn
    from the training split only (``rng = default_rng(seed)``).

    Adagrad with learning rate ``lr``, gradients clipped to global norm ``clip_norm``.
    Returns ``train``'s history: {"loss": (steps,), "grad_norm": (steps,)}.
    """
    rng = np.random.default_rng(seed)
    steps = _positive("steps", steps)
    batches = (recall_batch(rng, batch_size, delay, n_symbols, "train") for _ in range(steps))
    return train(model, batches, last_step_loss, Adagrad(model.params, lr=lr),
                 clip_norm=clip_norm, progress=False)


def train_recall_lockstep(models, delay, steps, *, lrs, seeds, batch_size=32, clip_norm=1.0,
                          n_symbols=4):
    """Train every model as ``train_recall(models[m], delay, steps, lr=lrs[m], seed=seeds[m])``
    would, all at once (``Lockstep``: the same numbers up to rounding, several times faster).

    Models with the same seed see the same batches. The trained weights are written into the
    models. Returns the training losses before each update, (steps, M).
    """
    steps = _positive("steps", steps)
    if len(seeds) != len(models):
        raise ValueError(f"seeds has {len(seeds)} entries; expected one per model ({len(models)})")
    stack = Lockstep(models, lrs, clip_norm)
    distinct = sorted(set(seeds))
    rngs = [np.random.default_rng(seed) for seed in distinct]
    reads = [distinct.index(seed) for seed in seeds]
    losses = np.empty((steps, len(models)))
    for step in range(steps):
        batches = [recall_batch(rng, batch_size, delay, n_symbols, "train") for rng in rngs]
        xs = np.stack([xs for xs, _ in batches], axis=1)[:, reads]
        targets = np.stack([targets for _, targets in batches])[reads]
        losses[step] = stack.step(xs, targets)
    stack.write_back()
    return losses


def recall_runs(make, delay, steps, rates, seeds, held_out, **options):
    """Train ``make(seed)`` at every learning rate of ``rates`` and every seed of ``seeds``
    (in lockstep) and score each run on the held-out sets.

    ``held_out`` maps a name ("validation", "test") to a batch (xs, targets) of that split.
    Returns {"models": [[model]], "loss": (steps, R, S) training losses, and for each
    held-out name an (R, S) array of accuracies}: row r is rates[r], column s is seeds[s].
    """
    grid = [(rate, seed) for rate in rates for seed in seeds]
    models = [make(seed) for _, seed in grid]
    losses = train_recall_lockstep(models, delay, steps, lrs=[rate for rate, _ in grid],
                                   seeds=[seed for _, seed in grid], **options)
    shape = (len(rates), len(seeds))
    runs = {"models": [models[r * len(seeds):(r + 1) * len(seeds)] for r in range(len(rates))],
            "loss": losses.reshape((steps,) + shape)}
    for name, (xs, targets) in held_out.items():
        runs[name] = np.array([recall_accuracy(m, xs, targets) for m in models]).reshape(shape)
    return runs
