"""Training loops: one step, a loop over batches, and stateful truncated BPTT for text.

One training step is: forward, loss, backward, (clip), optimiser step. The loops record the
loss and the gradient norm before clipping, and show a tqdm progress bar.

They work on any model with the package's interface: ``ys, cache = model.forward(xs,
**initial_states)``, ``grads = model.backward(xs, cache, dys)`` (a gradient for every key of
``model.params``), ``model.sizes`` = (D, H, K), and, to carry a state from one window to the
next, ``model.final_state(cache)`` (``LSTM``, ``StackedRNN``, ``BidirectionalRNN``). A model
without ``final_state`` (``VanillaRNN``, ``GRU``) returns hs as its cache and carries hs[-1].
"""
import numpy as np
from tqdm.auto import tqdm

from .data import one_hot, tbptt_windows
from .losses import softmax_cross_entropy
from .optim import clip_by_global_norm, clip_by_value, global_norm

__all__ = ["train_step", "train", "train_tbptt", "final_state"]


def final_state(rnn, cache):
    """The initial states that continue a stream after ``ys, cache = rnn.forward(...)``, as a
    dict of keyword arguments for the next ``forward``: ``rnn.final_state(cache)`` when the
    model has that method (e.g. {"h0": h_T, "c0": c_T} for an LSTM), else {"h0": cache[-1]}
    (VanillaRNN and GRU, whose cache is hs)."""
    if hasattr(rnn, "final_state"):
        return rnn.final_state(cache)
    return {"h0": cache[-1]}


def train_step(rnn, xs, targets, loss_fn, optimizer, h0=None, clip_norm=None, clip_value=None,
               *, state=None):
    """forward -> loss_fn(ys, targets) -> backward -> clip -> optimizer.step.

    ``state`` is a dict of the model's initial states, passed to ``forward`` as keyword
    arguments (e.g. {"h0": h, "c0": c} for an LSTM, or what ``final_state`` returns); ``h0``
    alone may be given as before. Returns (loss, gradient norm before clipping, cache), cache
    being what ``forward`` returned after ys (hs for VanillaRNN and GRU). ``clip_norm`` clips
    by global norm, ``clip_value`` entry by entry; give at most one.
    """
    if clip_norm is not None and clip_value is not None:
        raise ValueError("give clip_norm or clip_value, not both")
    if state is not None and not isinstance(state, dict):
        raise ValueError(f"state is a {type(state).__name__}; expected a dict of initial "
                         "states such as {'h0': h}")
    state = dict(state or {})
    if h0 is not None:
        if "h0" in state:
            raise ValueError("give h0 or state['h0'], not both")
        state["h0"] = h0
    ys, cache = rnn.forward(xs, **state)
    loss, dys = loss_fn(ys, targets)
    grads = rnn.backward(xs, cache, dys)
    grads = {name: grads[name] for name in rnn.params}
    if clip_norm is not None:
        grads, norm = clip_by_global_norm(grads, clip_norm)
    else:
        norm = global_norm(grads)
        if clip_value is not None:
            grads = clip_by_value(grads, clip_value)
    optimizer.step(grads)
    return loss, norm, cache


def train(rnn, batches, loss_fn, optimizer, *, clip_norm=None, clip_value=None,
          progress=True, desc="training"):
    """Run ``train_step`` on every (xs, targets) of ``batches`` (a list or generator).

    Returns {"loss": array of losses, "grad_norm": array of norms before clipping}.
    """
    losses, norms = [], []
    total = len(batches) if hasattr(batches, "__len__") else None
    for xs, targets in tqdm(batches, total=total, desc=desc, disable=not progress):
        loss, norm, _ = train_step(rnn, xs, targets, loss_fn, optimizer,
                                   clip_norm=clip_norm, clip_value=clip_value)
        losses.append(loss)
        norms.append(norm)
    return {"loss": np.array(losses), "grad_norm": np.array(norms)}


def train_tbptt(rnn, ids, *, window=25, batch_size=1, optimizer, epochs=1, clip_norm=None,
                clip_value=None, progress=True, callback=None):
    """Train a character model on a stream of indices by truncated BPTT.

    Each window of k = ``window`` steps is one forward/backward; the state at its end
    (``final_state``: h_T, or h_T and c_T for an LSTM, every layer's h_T for a stack) starts
    the next window (carried), but no gradient flows back across the boundary (stopped). The
    state restarts from zeros at each epoch. ``callback(step, rnn)``, if
    given, runs after every update. Returns {"loss": nats per character per window,
    "grad_norm": norm before clipping}.
    """
    V = rnn.sizes[0]
    windows = [w for w in tbptt_windows(ids, window, batch_size)]
    losses, norms = [], []
    bar = tqdm(total=epochs * len(windows), desc="TBPTT", disable=not progress)
    for _ in range(epochs):
        state = {}
        for inputs, targets in windows:
            loss, norm, cache = train_step(rnn, one_hot(inputs, V), targets,
                                           softmax_cross_entropy, optimizer, state=state,
                                           clip_norm=clip_norm, clip_value=clip_value)
            state = final_state(rnn, cache)  # carried to the next window; the gradient stops here
            losses.append(loss / len(inputs))
            norms.append(norm)
            bar.update()
            if callback is not None:
                callback(len(losses), rnn)
    bar.close()
    return {"loss": np.array(losses), "grad_norm": np.array(norms)}
