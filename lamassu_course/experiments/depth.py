"""What depth buys a character model, measured at an equal budget (Chapter 6).

A fair comparison of a one-layer and a two-layer network gives both the same number of
weights, the same number of updates on the same text, and each its own best learning rate.

* ``stacked_parameters(D, H, K, num_layers)``: the number of weights of a ``StackedRNN``
  (``num_layers=1`` is a ``VanillaRNN``).
* ``matched_hidden_size(D, K, num_layers, target)``: the H whose count is nearest ``target``.
* ``multiply_adds_per_step(D, H, K, num_layers)``: the forward pass's multiply-adds for one
  step of one sequence (the backward pass does twice as many, Chapter 3).
* ``rate_scores``: the loss on a tuning text after a short run, for each rate and seed.
* ``train_seeds``: train one model per seed by truncated BPTT, measure each on a held-out
  text after every pass, and time each run.
"""
import time

import numpy as np

from ..optim import Adagrad
from ..training import train_tbptt
from .charlm import nats_per_char

__all__ = ["stacked_parameters", "matched_hidden_size", "multiply_adds_per_step",
           "rate_scores", "train_seeds"]


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")
    return int(value)


def stacked_parameters(D, H, K, num_layers):
    """H*D + H*H + H for layer 1, 2*H*H + H for each layer above it, K*H + K for the output."""
    D, H, K = _positive("D", D), _positive("H", H), _positive("K", K)
    L = _positive("num_layers", num_layers)
    return H * D + (L - 1) * H * H + L * (H * H + H) + K * H + K


def matched_hidden_size(D, K, num_layers, target):
    """The hidden size H (per layer) whose ``stacked_parameters`` is nearest ``target``."""
    target = _positive("target", target)
    H = 1                                     # the count grows with H: walk up to target
    while stacked_parameters(D, H + 1, K, num_layers) <= target:
        H += 1
    below, above = (stacked_parameters(D, h, K, num_layers) for h in (H, H + 1))
    return H if target - below <= above - target else H + 1


def multiply_adds_per_step(D, H, K, num_layers):
    """The multiply-adds of one forward step of one sequence: every weight matrix is used
    once (W_hx_l h, W_hh_l h for each layer, W_yh h), so this is the weight count without
    the biases."""
    L = _positive("num_layers", num_layers)
    return stacked_parameters(D, H, K, L) - L * H - K


def rate_scores(new_model, rates, seeds, train_ids, tune_ids, *, updates, window=25,
                batch_size=32, **train_options):
    """Nats per character on ``tune_ids`` after ``updates`` Adagrad updates, for every rate
    and seed: an array (len(rates), len(seeds)).

    Each run trains ``new_model(seed)`` with ``train_tbptt`` on the first
    ``updates * window * batch_size + 1`` characters of ``train_ids`` (exactly ``updates``
    windows, read once), with ``train_options`` such as clip_value. Any model with the
    package's interface works (``charlm.rate_grid`` is a faster twin for ``VanillaRNN``).
    """
    updates = _positive("updates", updates)
    length = updates * window * batch_size + 1
    if length > len(train_ids):
        raise ValueError(f"updates is {updates}: {updates} windows of {window} x {batch_size} "
                         f"need {length} characters; train_ids has {len(train_ids)}")
    if len(rates) == 0 or len(seeds) == 0:
        raise ValueError("rates and seeds must each hold at least one value")
    out = np.empty((len(rates), len(seeds)))
    for i, rate in enumerate(rates):
        for j, seed in enumerate(seeds):
            model = new_model(seed)
            train_tbptt(model, np.asarray(train_ids)[:length], window=window,
                        batch_size=batch_size, optimizer=Adagrad(model.params, lr=rate),
                        progress=False, **train_options)
            out[i, j] = nats_per_char(model, tune_ids)
    return out


def train_seeds(new_model, rate, seeds, train_ids, heldout_ids, *, epochs, window=25,
                batch_size=32, **train_options):
    """One run per seed: ``new_model(seed)`` trained by ``train_tbptt`` with Adagrad at
    ``rate`` for ``epochs`` passes over ``train_ids`` (``train_options`` such as clip_value
    go to ``train_tbptt``; the state restarts from zeros at every pass), measured with
    ``charlm.nats_per_char`` on ``heldout_ids`` before training and after every pass.

    Returns {seed: {"model", "heldout": (epochs + 1,) nats per character, "seconds": wall
    time of the training alone, the measurements left out}}.
    """
    _positive("epochs", epochs)
    runs = {}
    for seed in seeds:
        model = new_model(seed)
        optimizer = Adagrad(model.params, lr=rate)
        heldout, seconds = [nats_per_char(model, heldout_ids)], 0.0
        for _ in range(epochs):              # one pass at a time, measured after each
            start = time.perf_counter()
            train_tbptt(model, train_ids, window=window, batch_size=batch_size,
                        optimizer=optimizer, epochs=1, progress=False, **train_options)
            seconds += time.perf_counter() - start
            heldout.append(nats_per_char(model, heldout_ids))
        runs[seed] = {"model": model, "heldout": np.array(heldout), "seconds": seconds}
    return runs
