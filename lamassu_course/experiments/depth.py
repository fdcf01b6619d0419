"""What depth buys a character model, measured at an equal budget (Chapter 6).

A fair comparison of a one-layer and a two-layer network gives both the same number of
weights, the same number of updates on the same text, and each its own best learning rate.

* ``stacked_parameters(D, H, K, num_layers)``: the number of weights of a ``StackedRNN``
  (``num_layers=1`` is a ``VanillaRNN``).
* ``matched_hidden_size(D, K, num_layers, target)``: the H whose count is nearest ``target``.
* ``multiply_adds_per_step(D, H, K, num_layers)``: the forward pass's multiply-adds for one
  step of one sequence (the backward pass does twice as many, Chapter 3).
* ``DepthStack``: many ``StackedRNN`` of one depth and size trained side by side (one per
  rate and seed), with the numbers of ``train_tbptt``, faster.
* ``depth_grid``: every rate of a grid and every seed trained at the full budget at once,
  each run scored on the texts it is given (a tuning part, a held-out part).
"""
import numpy as np

from ..data import tbptt_windows
from .charlm import TextStack, _ids

__all__ = ["stacked_parameters", "matched_hidden_size", "multiply_adds_per_step",
           "DepthStack", "depth_grid"]


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


class DepthStack(TextStack):
    """M ``StackedRNN`` character models (one depth L, one size, one dtype; tanh layers,
    identity output) trained side by side with Adagrad: ``charlm.TextStack`` for stacks.

    Model m's weights are slice m of ``params[name]`` (M, ...), and its ``params`` become
    views of that slice. Each layer runs its whole window before the next one starts, so the
    input term of layer l > 1 is one product over all k * B rows. ``lrs`` and ``clip_value``
    (or ``clip_norm``) are one value or one per model; the update is ``TextStack``'s, the same
    formulas as ``Adagrad``. ``tests/test_depth_bidir.py`` checks that each model's gradient
    and training equal ``StackedRNN.backward``'s and ``train_tbptt``'s.
    """

    def __init__(self, models, *, lrs, clip_value=None, clip_norm=None):
        self.models = list(models)
        M = len(self.models)
        if M == 0:
            raise ValueError("models is empty; expected at least one StackedRNN")
        for model in self.models:
            if (type(model).__name__ != "StackedRNN" or model.hidden_activation != "tanh"
                    or model.output_activation != "identity"):
                raise ValueError(f"models holds {model!r}; expected StackedRNN models with "
                                 "hidden_activation='tanh' and output_activation='identity'")
        kinds = {(m.sizes, m.num_layers, m.params["W_hh_1"].dtype.name) for m in self.models}
        if len(kinds) > 1:
            raise ValueError(f"models have sizes, depths and dtypes {sorted(kinds)}; "
                             "expected one")
        self.adagrad, self.L = True, self.models[0].num_layers
        dtype = self.models[0].params["W_hh_1"].dtype
        self.lrs = self._per_model("lrs", lrs, M, dtype)
        if np.any(np.isinf(self.lrs)):
            raise ValueError("lrs holds None; expected a learning rate for every model")
        self.clip_value = self._per_model("clip_value", clip_value, M, dtype)
        self.clip_norm = self._per_model("clip_norm", clip_norm, M, np.float64)
        self.params = {name: np.stack([m.params[name] for m in self.models])
                       for name in self.models[0].params}
        for i, model in enumerate(self.models):
            model.params = {name: value[i] for name, value in self.params.items()}
        self.memory = {name: np.zeros_like(v) for name, v in self.params.items()}
        self.diverged = np.zeros(M, dtype=bool)

    def _zeros(self, B):
        M, H = len(self.models), self.params["W_hh_1"].shape[1]
        return np.zeros((self.L, M, B, H), dtype=self.lrs.dtype)

    def forward(self, inputs, h0):
        """Each layer's hs (L, M, k+1, B, H) from h0 (L, M, B, H), and the log-probabilities
        log softmax(y_t) as rows (M, k*B, V), for character ids ``inputs`` (k, B)."""
        p, (k, B) = self.params, inputs.shape
        M, H, V = p["W_hx_1"].shape
        hs = np.empty((self.L, M, k + 1, B, H), dtype=p["W_hh_1"].dtype)
        recurrent = np.empty((M, B, H), dtype=hs.dtype)
        for l in range(self.L):
            h = hs[l]
            h[:, 0] = h0[l]
            if l == 0:                                     # W_hx_1 x_t: a column of W_hx_1
                h[:, 1:] = np.take(np.ascontiguousarray(p["W_hx_1"].mT), inputs, axis=1)
            else:                                          # W_hx_l h^(l-1)_t, all t at once
                below = hs[l - 1, :, 1:].reshape(M, k * B, H)
                h[:, 1:] = (below @ p[f"W_hx_{l + 1}"].mT).reshape(M, k, B, H)
            h[:, 1:] += p[f"b_h_{l + 1}"][:, None, None, :]
            W_hh_T = p[f"W_hh_{l + 1}"].mT
            for t in range(k):
                np.matmul(h[:, t], W_hh_T, out=recurrent)
                recurrent += h[:, t + 1]
                np.tanh(recurrent, out=h[:, t + 1])
        logs = hs[-1, :, 1:].reshape(M, k * B, H) @ p["W_yh"].mT
        logs += p["b_y"][:, None, :]
        logs -= logs.max(axis=2, keepdims=True)
        logs -= np.log(np.exp(logs).sum(axis=2, keepdims=True))
        return hs, logs

    def nats_per_char(self, ids, streams=16, window=100):
        """``charlm.nats_per_char`` of every model (M,), ``window`` steps at a time."""
        V = self.params["W_hx_1"].shape[2]
        ids = _ids("ids", ids, V)
        n = (len(ids) - 1) // streams
        if n < 1:
            raise ValueError(f"ids has {len(ids)} entries; need at least {streams + 1}")
        inputs = ids[: n * streams].reshape(streams, n).T
        targets = ids[1: n * streams + 1].reshape(streams, n).T
        total, h = np.zeros(len(self.models)), self._zeros(streams)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, n, window):
                hs, logs = self.forward(inputs[start:start + window], h)
                picked = np.arange(logs.shape[1]) * V + targets[start:start + window].ravel()
                total -= logs.reshape(len(self.models), -1)[:, picked].sum(axis=1,
                                                                           dtype=np.float64)
                h = hs[:, :, -1]
        return total / (n * streams)

    def gradients(self, inputs, targets, h0):
        """Each model's loss on one window (summed over the window, averaged over B), its
        gradient as ``StackedRNN.backward``'s, and the last states (L, M, B, H)."""
        p, (k, B) = self.params, inputs.shape
        M, H, V = p["W_hx_1"].shape
        hs, probs = self.forward(inputs, h0)
        picked = np.arange(k * B) * V + targets.reshape(-1)
        flat = probs.reshape(M, -1)
        losses = -flat[:, picked].sum(axis=1, dtype=np.float64) / B
        np.exp(probs, out=probs)                           # dy_t = (softmax(y_t) - e_c) / B
        flat[:, picked] -= 1.0
        probs /= B
        grads = {"W_yh": probs.mT @ hs[-1, :, 1:].reshape(M, k * B, H),
                 "b_y": probs.sum(axis=1)}
        das = (probs @ p["W_yh"]).reshape(M, k, B, H)      # dL/dh of the top layer
        for l in reversed(range(self.L)):
            h, dh = hs[l], np.zeros((M, B, H), dtype=hs.dtype)
            slopes = 1.0 - np.square(h[:, 1:])             # tanh'(a_t) = 1 - h_t^2
            for t in reversed(range(k)):                   # da_t = tanh'(a_t) dh_t
                das[:, t] += dh
                das[:, t] *= slopes[:, t]
                np.matmul(das[:, t], p[f"W_hh_{l + 1}"], out=dh)
            rows = das.reshape(M, k * B, H)
            grads[f"W_hh_{l + 1}"] = rows.mT @ h[:, :-1].reshape(M, k * B, H)
            grads[f"b_h_{l + 1}"] = rows.sum(axis=1)
            if l == 0:
                grads["W_hx_1"] = rows.mT @ np.eye(V, dtype=hs.dtype)[inputs.reshape(-1)]
            else:                                          # and down to layer l - 1
                below = hs[l - 1, :, 1:].reshape(M, k * B, H)
                grads[f"W_hx_{l + 1}"] = rows.mT @ below
                das = (rows @ p[f"W_hx_{l + 1}"]).reshape(M, k, B, H)
        return losses, grads, hs[:, :, -1].copy()

    def train(self, ids, *, window=25, batch_size=32, epochs=1):
        """Truncated BPTT over ``ids`` for every model at once, as ``train_tbptt`` (the
        state carried from window to window, restarted from zeros at each epoch). Returns
        the loss in nats per character of every window, (M, updates); inf once diverged."""
        V = self.params["W_hx_1"].shape[2]
        ids = _ids("ids", ids, V)
        windows = list(tbptt_windows(ids, window, batch_size))
        losses = []
        for _ in range(epochs):
            h = self._zeros(batch_size)
            for inputs, targets in windows:
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, grads, h = self.gradients(inputs, targets, h)
                self.step(grads)
                losses.append(np.where(self.diverged, np.inf, loss / len(inputs)))
        return np.array(losses).T


def depth_grid(new_model, rates, seeds, train_ids, scored, *, epochs, window=25,
               batch_size=32, clip_value=None):
    """Train ``new_model(seed)`` for every rate and seed at once (one ``DepthStack``), for
    ``epochs`` passes over ``train_ids`` by truncated BPTT with Adagrad, and score every run
    on each text of ``scored`` (a dict {name: ids}).

    Returns {name: nats per character (len(rates), len(seeds)), inf for a diverged run}.
    """
    _positive("epochs", epochs)
    if len(rates) == 0 or len(seeds) == 0:
        raise ValueError("rates and seeds must each hold at least one value")
    pairs = [(rate, seed) for rate in rates for seed in seeds]
    stack = DepthStack([new_model(seed) for _, seed in pairs],
                       lrs=[rate for rate, _ in pairs], clip_value=clip_value)
    stack.train(train_ids, window=window, batch_size=batch_size, epochs=epochs)
    return {name: np.where(stack.diverged, np.inf, stack.nats_per_char(ids))
            .reshape(len(rates), len(seeds)) for name, ids in scored.items()}
