"""The delayed-recall task of Chapter 4: read a symbol, then name it again L steps later.

Each sequence has T = L + 1 steps over D = n_symbols + 1 input channels (one-hot)::

    x_1        the symbol s to remember, one of n_symbols
    x_2..x_L   distractors: random symbols from the same n_symbols
               (adding up the inputs helps only a little: the first
               symbol is one vote among L, see counting_accuracy)
    x_{L+1}    the cue (channel D - 1): "answer now"

Only y_{L+1} is scored, against s, so the gradient that teaches the network to keep s must
travel back L steps. Guessing is right 1 / n_symbols of the time.

Held-out sequences are never trained on: read the L symbols as a number in base n_symbols;
its remainder modulo 7 puts the sequence in the validation set (0), the test set (1) or the
training set (2 to 6). Changing the first symbol changes the remainder, so every split holds
every target.

Two references for a trained network: ``counting_accuracy``, the strongest simple baseline
(name the most frequent symbol), and ``latch_rnn``, a hand-set vanilla RNN that solves the task
for every delay, so that a vanilla RNN can hold the symbol (whether training finds such
weights is another question).
"""
import functools

import numpy as np

from .._checks import check_shape
from ..losses import softmax_cross_entropy
from ..lstm import LSTM
from ..optim import Adagrad
from ..rnn import VanillaRNN
from ..training import train
from .cells import LSTMLockstep
from .lockstep import Lockstep

__all__ = ["recall_batch", "recall_split", "training_overlap", "last_step_loss",
           "recall_accuracy", "counting_accuracy", "latch_rnn", "train_recall",
           "train_recall_lockstep", "recall_runs"]

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


# For each split, which remainders modulo 7 it holds: a lookup table instead of np.isin
# (recall_batch sorts every batch it draws, so this runs thousands of times per chapter).
_IN_SPLIT = {name: np.isin(np.arange(7), values) for name, values in SPLITS.items()}


@functools.lru_cache(maxsize=None)
def _powers(L, K):
    """K^j mod 7 for j = 0..L-1 (read-only: it is shared)."""
    powers = np.ones(L, dtype=np.int64)
    for j in range(1, L):
        powers[j] = powers[j - 1] * K % 7
    powers.flags.writeable = False
    return powers


def _remainders(symbols, K):
    """sum_j symbols[j] K^j mod 7, for symbols (L, B)."""
    return (_powers(len(symbols), K) @ symbols) % 7


def _split_names(symbols, K):
    names = np.empty(symbols.shape[1], dtype=object)
    remainders = _remainders(symbols, K)
    for name, inside in _IN_SPLIT.items():
        names[inside[remainders]] = name
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
        symbols = symbols[:, _IN_SPLIT[split][_remainders(symbols, K)]]
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


def counting_accuracy(xs, targets):
    """The expected accuracy of the counting baseline on a batch xs (T, B, D), targets (B,):
    name the symbol seen most often in x_1..x_L (ties broken uniformly at random; the
    expectation is computed exactly, so the result does not depend on a random draw).

    A network whose state only adds up its inputs can do this much, and no more.
    """
    check_shape("xs", xs, (None, None, None), ("T", "B", "D"))
    check_shape("targets", targets, (xs.shape[1],), ("B",))
    counts = xs[:-1, :, :-1].sum(axis=0)                        # (B, n_symbols)
    top = counts == counts.max(axis=1, keepdims=True)
    hit = top[np.arange(len(counts)), np.asarray(targets)]
    return float(np.mean(hit / top.sum(axis=1)))


def latch_rnn(n_symbols=4, hidden_size=16, strength=10.0, write=4.0):
    """A hand-set tanh VanillaRNN (D = n_symbols + 1, H = hidden_size, K = n_symbols) that
    solves the recall task at every delay: unit k is a latch for symbol k.

    h_k,t = tanh(strength h_k,t-1 + write (x_k,t - 1/2)), from h_0 = 0. At t = 1 the input
    sets h_k to +tanh(write / 2) if the symbol is k, else to -tanh(write / 2); from then on
    the self-connection (strength tanh(write / 2) > write / 2) outweighs every input, so the
    sign never changes. The output y_k = 10 h_k is largest for the stored symbol. The other
    hidden units and the cue's weights are 0. (Saturated, the latch passes almost no gradient:
    it holds the symbol, but gradient descent would not find it by following that gradient.)
    """
    K, H = _positive("n_symbols", n_symbols), _positive("hidden_size", hidden_size)
    if H < K:
        raise ValueError(f"hidden_size is {H}; expected at least n_symbols = {K} (one latch "
                         "per symbol)")
    if not write > 0 or not strength * np.tanh(write / 2) > write / 2:
        raise ValueError(f"strength = {strength!r}, write = {write!r}; expected write > 0 and "
                         "strength tanh(write / 2) > write / 2 (else an input can flip a latch)")
    model = VanillaRNN(K + 1, H, K, seed=0)
    for value in model.params.values():
        value[...] = 0.0
    p, latches = model.params, np.arange(K)
    p["W_hh"][latches, latches] = strength
    p["W_hx"][latches, latches] = write
    p["b_h"][latches] = -write / 2
    p["W_yh"][latches, latches] = 10.0
    return model


def train_recall(model, delay, steps, *, batch_size=32, lr=0.05, clip_norm=1.0, n_symbols=4,
                 seed=0):
    """Train ``model`` (a VanillaRNN, a GRU or an LSTM) on ``steps`` fresh batches of the
    task, drawn from the training split only (``rng = default_rng(seed)``).

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
    would, all at once (``Lockstep``, or ``cells.LSTMLockstep`` for LSTMs: the same numbers
    up to rounding, several times faster).

    Models with the same seed see the same batches. The trained weights are written into the
    models. Returns the training losses before each update, (steps, M).
    """
    steps = _positive("steps", steps)
    if len(seeds) != len(models):
        raise ValueError(f"seeds has {len(seeds)} entries; expected one per model ({len(models)})")
    lstm = bool(models) and isinstance(models[0], LSTM)    # Chapter 6: its own lockstep
    stack = (LSTMLockstep if lstm else Lockstep)(models, lrs, clip_norm)
    distinct = sorted(set(seeds))
    rngs = [np.random.default_rng(seed) for seed in distinct]
    reads = [distinct.index(seed) for seed in seeds]
    losses = np.empty((steps, len(models)))
    xs = np.empty((delay + 1, len(models), batch_size, n_symbols + 1))   # one buffer
    for step in range(steps):
        batches = [recall_batch(rng, batch_size, delay, n_symbols, "train") for rng in rngs]
        np.take(np.stack([batch for batch, _ in batches], axis=1), reads, axis=1, out=xs)
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

    ``make`` may also be a dict {name: make} of networks of one architecture (say, two
    initialisations of a GRU): all their runs are then trained in one lockstep, which is
    cheaper than one after the other, and the result is {name: runs}.
    """
    makers = make if isinstance(make, dict) else {None: make}
    if not makers:
        raise ValueError("make is an empty dict; expected at least one network")
    grid = [(rate, seed) for rate in rates for seed in seeds]
    models = [maker(seed) for maker in makers.values() for _, seed in grid]
    losses = train_recall_lockstep(models, delay, steps,
                                   lrs=[rate for rate, _ in grid] * len(makers),
                                   seeds=[seed for _, seed in grid] * len(makers), **options)
    shape, S, n = (len(rates), len(seeds)), len(seeds), len(grid)
    result = {}
    for number, name in enumerate(makers):
        own = models[number * n:(number + 1) * n]
        runs = {"models": [own[r * S:(r + 1) * S] for r in range(len(rates))],
                "loss": losses[:, number * n:(number + 1) * n].reshape((steps,) + shape)}
        for split, (xs, targets) in held_out.items():
            runs[split] = np.array([recall_accuracy(m, xs, targets)
                                    for m in own]).reshape(shape)
        result[name] = runs
    return result if isinstance(make, dict) else result[None]
