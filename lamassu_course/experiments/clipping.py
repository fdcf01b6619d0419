"""Gradient clipping, shown on one exploding step (Chapter 3).

``run_until_spike`` trains without clipping and stops at the first update whose gradient is
far larger than the ones before it, keeping everything needed to take that step two ways.
``loss_along`` measures the loss along the gradient's direction, where a step of length
lr * ||g|| lands. ``StepRecorder`` wraps an optimiser and records how far each update moved
the weights: the length of the whole step and the largest move of one weight.
``clip_grid`` trains SGD with each clipping setting of a small grid, from each seed, all at
once (``charlm.TextStack``), and measures every run on held-out text, so that clipping by value and by norm can each be
compared at its best threshold. The clipping itself is ``optim.clip_by_value`` and
``optim.clip_by_global_norm``.
"""
import numpy as np

from ..data import one_hot, tbptt_windows
from ..losses import softmax_cross_entropy
from ..optim import global_norm
from .charlm import stack_runs

__all__ = ["run_until_spike", "loss_along", "StepRecorder", "clip_grid"]


def run_until_spike(rnn, ids, *, window, batch_size, optimizer, factor=4.0, max_steps=None):
    """Truncated BPTT without clipping (one pass over ``ids``), stopped at the first spike.

    Windows and carried state as in ``train_tbptt``. Before each update the global norm of
    the gradient is compared with the median of the norms so far (from the third update on);
    at the first one above ``factor`` times that median, training stops *before* the update.
    ``rnn`` is left with the parameters the spike was computed at. Returns a dict:
    step (the 1-based number of that update), norms (every norm so far, the spike last),
    xs (k, B, V), targets (k, B) and h0 (B, H) of its window, grads (its gradient), and loss
    (its nats per character). Raises RuntimeError if there is no spike.
    """
    if not (np.isfinite(factor) and factor > 1):
        raise ValueError(f"factor is {factor!r}; expected a number > 1")
    V = rnn.sizes[0]
    norms, h = [], None
    for step, (inputs, targets) in enumerate(tbptt_windows(ids, window, batch_size), 1):
        if max_steps is not None and step > max_steps:
            break
        xs = one_hot(inputs, V)
        ys, hs = rnn.forward(xs, h)
        loss, dys = softmax_cross_entropy(ys, targets)
        grads = {name: g for name, g in rnn.backward(xs, hs, dys).items() if name in rnn.params}
        norms.append(global_norm(grads))
        if len(norms) > 2 and norms[-1] > factor * np.median(norms[:-1]):
            return dict(step=step, norms=np.array(norms), xs=xs, targets=targets, h0=h,
                        grads=grads, loss=loss / len(xs))
        optimizer.step(grads)
        h = hs[-1]
    raise RuntimeError(f"no gradient norm above {factor} times the median in {len(norms)} "
                       "updates; try a larger learning rate or a smaller factor")


def loss_along(rnn, xs, targets, grads, lengths, h0=None):
    """Loss (nats per character) after a step of each length s against the gradient:
    L(theta - s g / ||g||), on the window (xs (k, B, V), targets (k, B), h0 (B, H)).

    An SGD step lr * g has length lr * ||g||; clipping to norm c shortens it to lr * c.
    The parameters of ``rnn`` are restored afterwards. Returns an array like ``lengths``.
    """
    norm = global_norm({name: grads[name] for name in rnn.params})
    if norm == 0:
        raise ValueError("grads is all zeros; it has no direction")
    saved = {name: value.copy() for name, value in rnn.params.items()}
    out = []
    try:
        for length in np.ravel(lengths):
            for name, value in rnn.params.items():
                value[...] = saved[name] - (length / norm) * grads[name]
            out.append(softmax_cross_entropy(rnn.forward(xs, h0)[0], targets)[0] / len(xs))
    finally:
        for name, value in rnn.params.items():
            value[...] = saved[name]
    return np.reshape(out, np.shape(lengths))


class StepRecorder:
    """An optimiser that runs ``optimizer`` and measures each update Delta = p_new - p_old.

    ``lengths[i]`` is ||Delta|| over all the parameters together (the step length) and
    ``largest[i]`` is ``max |Delta_j|`` (the largest move of one weight), for update i + 1.
    Use it wherever an optimiser goes: ``train_tbptt(..., optimizer=StepRecorder(Adagrad(...)))``.
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "params"):
            raise ValueError(f"optimizer is {optimizer!r}; expected an object with .params "
                             "and .step(grads), such as SGD or Adagrad")
        self.optimizer, self.params = optimizer, optimizer.params
        self.lengths, self.largest = [], []

    def step(self, grads):
        before = {name: value.copy() for name, value in self.params.items()}
        self.optimizer.step(grads)
        moves = {name: self.params[name] - before[name] for name in self.params}
        self.lengths.append(global_norm(moves))
        self.largest.append(max(float(np.max(np.abs(m))) for m in moves.values()))


def clip_grid(new_model, lr, settings, seeds, train_ids, heldout_ids, *, updates, window=25,
              batch_size=32, reuse=None):
    """SGD at rate ``lr`` with each clipping setting, from each seed, for ``updates`` updates.

    ``settings`` maps a label to the options of that run: ``{}`` for no clipping,
    ``{"clip_value": c}`` or ``{"clip_norm": c}``, and optionally ``"lr"`` (a rate of its
    own instead of ``lr``). ``new_model(seed)`` returns a fresh model. All the runs train at
    once (``charlm.stack_runs``: one ``TextStack``); each reads the first ``updates * window
    * batch_size + 1`` characters of ``train_ids`` (exactly ``updates`` windows, as in
    ``charlm.rate_grid``) and is measured on ``heldout_ids``; a run that diverges counts
    as inf. Returns (losses, runs): losses (len(settings), len(seeds)) in nats per
    character, and runs[label, seed], a dict of the run's "model" and, one value per update,
    "loss", "grad_norm" (before clipping), "steps" (the length of each update) and
    "largest" (the largest move of one weight).

    ``reuse`` maps (label, seed) to a run already trained with that very setting, rate,
    seed, text and number of updates, such as a ``charlm.rate_grid`` record (a dict with
    "model", "nats" and the record): it is taken as it is, not trained again. A run trains
    to the same numbers alone or in any stack, so the result is the same either way.
    """
    if not isinstance(settings, dict) or not settings:
        raise ValueError(f"settings is {settings!r}; expected a non-empty dict of label -> "
                         "options such as {'none': {}, 'norm 5': {'clip_norm': 5.0}}")
    for label, options in settings.items():
        clips = set(options) - {"lr"}
        if not clips <= {"clip_value", "clip_norm"} or len(clips) > 1:
            raise ValueError(f"settings[{label!r}] is {options!r}; expected {{}}, "
                             "{'clip_value': c} or {'clip_norm': c}, optionally with 'lr'")
    pairs = [(label, seed) for label in settings for seed in seeds]
    done = dict(reuse or {})
    for pair, run in done.items():
        if pair not in pairs or not isinstance(run, dict) or not {"model", "nats"} <= set(run):
            raise ValueError(f"reuse[{pair!r}] is not a run of this grid; expected a key "
                             "(label, seed) of settings and seeds, and a dict with 'model' and "
                             "'nats' (a rate_grid record)")
    todo = [pair for pair in pairs if pair not in done]
    if todo:
        runs = [dict({"lr": lr}, **settings[label], seed=seed) for label, seed in todo]
        done.update(zip(todo, stack_runs(new_model, "sgd", runs, train_ids, heldout_ids,
                                         updates=updates, window=window,
                                         batch_size=batch_size)[1]))
    losses = np.array([done[pair]["nats"] for pair in pairs])
    return losses.reshape(len(settings), len(seeds)), {pair: done[pair] for pair in pairs}
