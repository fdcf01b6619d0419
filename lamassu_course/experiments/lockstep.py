"""Many independent models trained at once, with the same numbers as training each alone.

Chapter 4 trains each network of its memory task with several learning rates and seeds. One
model at a time, most of the time goes to Python: every step multiplies tiny (B, H) by (H, H)
matrices. Here M models of one architecture (all ``VanillaRNN`` with the same activations, or
all ``GRU``, with the same sizes D, H, K) are stacked along a leading axis m, so that a step is
one batched product (M, B, H) @ (M, H, H) for all of them:

    xs (T, M, B, D): model m reads xs[:, m];   params[name] (M, ...): model m's array.

The loss reads only the last output, softmax(y_T) against a target (the recall task), so the
backward pass starts at h_T. Each line is the batched twin of ``layers.hidden_backward`` or
``GRU.backward`` (``.mT`` transposes every matrix of a stack); ``tests/test_lockstep.py``
checks that each member's gradient equals the one-model code's, and that training in lockstep
equals training each model alone.
"""
import numpy as np

from ..activations import get_activation
from ..gated import GRU
from ..optim import Adagrad
from ..rnn import VanillaRNN

__all__ = ["Lockstep"]


def _kind(model):
    if isinstance(model, GRU):
        return "GRU", model.output_activation
    if isinstance(model, VanillaRNN):
        return model.hidden_activation, model.output_activation
    raise ValueError(f"models holds a {type(model).__name__}; expected VanillaRNN or GRU")


class Lockstep:
    """M models of one architecture, stacked; ``step`` trains all of them by one update each.

    ``models`` is a list of VanillaRNN or GRU objects (same class, activations and sizes; the
    output activation must be the identity, as the loss applies the softmax). ``lrs`` gives
    each model its own Adagrad learning rate. Call ``write_back`` to copy the trained weights
    into the models.
    """

    def __init__(self, models, lrs, clip_norm=1.0):
        models = list(models)
        if not models:
            raise ValueError("models is empty; expected at least one model")
        kinds = {_kind(m) + (m.sizes,) for m in models}
        if len(kinds) > 1:
            raise ValueError(f"models mixes architectures {sorted(map(str, kinds))}; "
                             "expected one class, activation and size")
        self.kind, output, _ = kinds.pop()
        if output != "identity":
            raise ValueError(f"output_activation is {output!r}; expected 'identity' "
                             "(the loss applies the softmax)")
        self.lrs = np.asarray(lrs, dtype=float)
        if self.lrs.shape != (len(models),) or not np.all(self.lrs > 0):
            raise ValueError(f"lrs has shape {self.lrs.shape}; expected {len(models)} "
                             "positive learning rates, one per model")
        if not clip_norm > 0:
            raise ValueError(f"clip_norm is {clip_norm!r}; expected a number > 0")
        self.models, self.clip_norm = models, clip_norm
        self.params = {name: np.stack([m.params[name] for m in models])
                       for name in models[0].params}
        self.memory = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.eps = Adagrad(self.params).eps              # the package's Adagrad, per model
        self.diverged = np.zeros(len(models), dtype=bool)
        self._buffers = {}

    def _work(self, name, shape):
        """A work array kept from one step to the next (every step has the same shapes):
        allocating a few MB afresh for each of them every step costs more than the sums."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = np.empty(shape, dtype=self.params["W_hh"].dtype)
        return buffer

    def _per_model(self, values, like):
        """values (M,) shaped to broadcast against ``like`` (M, ...)."""
        return values.reshape((-1,) + (1,) * (like.ndim - 1))

    def _states(self, xs):
        """hs (T+1, M, B, H) from h_0 = 0, and for a GRU the gates of every step."""
        p, (T, M, B, _) = self.params, xs.shape
        H = p["W_hh"].shape[-1]
        hs = self._work("hs", (T + 1, M, B, H))
        hs[0] = 0.0
        if self.kind != "GRU":
            act = get_activation(self.kind)
            np.matmul(xs, p["W_hx"].mT, out=hs[1:])
            hs[1:] += p["b_h"][:, None, :]                      # W_hx x_t + b_h, all steps
            W_hh_T = p["W_hh"].mT
            for t in range(T):
                hs[t + 1] = act(hs[t + 1] + hs[t] @ W_hh_T)
            return hs, None
        x_part = {g: np.matmul(xs, p[f"W_{g}x"].mT, out=self._work(f"x_{g}", hs[1:].shape))
                  for g in "urh"}
        for g in "urh":
            x_part[g] += p[f"b_{g}"][:, None, :]
        gates = self._work("gates", (3,) + hs[1:].shape)           # update, reset, candidate
        other = self._work("other_step", (M, B, H))
        for t in range(T):        # gated._gates and GRU.forward, written into the buffers
            h, update, reset, candidate = hs[t], gates[0, t], gates[1, t], gates[2, t]
            for gate, g in ((update, "u"), (reset, "r")):          # sigma(a) as in _sigmoid:
                np.matmul(h, p[f"W_{g}h"].mT, out=gate)             # (1 + tanh(a / 2)) / 2
                gate += x_part[g][t]
                gate *= 0.5
                np.tanh(gate, out=gate)
                gate += 1.0
                gate *= 0.5
            np.multiply(reset, h, out=other)
            np.matmul(other, p["W_hh"].mT, out=candidate)
            candidate += x_part["h"][t]
            np.tanh(candidate, out=candidate)
            np.multiply(update, candidate, out=hs[t + 1])        # u c + (1 - u) h
            np.subtract(1.0, update, out=other)
            other *= h
            hs[t + 1] += other
        return hs, gates

    def gradients(self, xs, targets):
        """Each model's mean cross-entropy of softmax(y_T) against targets (M, B), and its
        gradient: (losses (M,), {name: (M, ...)})."""
        p, (T, M, B, D) = self.params, xs.shape
        xs = np.asarray(xs, dtype=p["W_hh"].dtype)
        hs, gates = self._states(xs)
        logits = hs[-1] @ p["W_yh"].mT + p["b_y"][:, None, :]
        logits -= logits.max(axis=2, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        picked = (np.arange(M)[:, None], np.arange(B), targets)
        losses = -log_probs[picked].mean(axis=1)
        dy = np.exp(log_probs)
        dy[picked] -= 1.0
        dy /= B
        grads = {"W_yh": dy.mT @ hs[-1], "b_y": dy.sum(axis=1)}
        dh = dy @ p["W_yh"]                                        # dL/dh_T
        h_prev = hs[:-1]
        if self.kind != "GRU":
            act, da = get_activation(self.kind), self._work("da", h_prev.shape)
            for t in reversed(range(T)):                           # da_t, then dh_{t-1}
                da[t] = act.backward(hs[t + 1], dh)
                dh = da[t] @ p["W_hh"]
            rows = {"h": da}
            grads["W_hh"] = _summed(da, h_prev)
        else:
            update, reset, candidate = gates
            work = {name: self._work(name, h_prev.shape)
                    for name in ("slope_h", "slope_u", "slope_r", "other")}
            slope_h, slope_u, slope_r, other = work.values()
            np.square(candidate, out=slope_h)                      # update * (1 - c^2)
            np.subtract(1.0, slope_h, out=slope_h)
            slope_h *= update
            np.subtract(1.0, update, out=other)                    # (c - h) u (1 - u)
            np.subtract(candidate, h_prev, out=slope_u)
            slope_u *= update
            slope_u *= other
            keep = other                                           # 1 - u, kept for the loop
            one_minus_r = self._work("one_minus_r", h_prev.shape)  # h r (1 - r)
            np.subtract(1.0, reset, out=one_minus_r)
            np.multiply(h_prev, reset, out=slope_r)
            slope_r *= one_minus_r
            rows = {g: self._work(f"row_{g}", h_prev.shape) for g in "urh"}
            d_reset_h, part = self._work("d_reset_h", dh.shape), self._work("part", dh.shape)
            dh_buffers = self._work("dh", (2,) + dh.shape)         # dh_t and dh_{t-1}, in turn
            for t in reversed(range(T)):                           # as in GRU.backward
                np.multiply(slope_h[t], dh, out=rows["h"][t])
                np.matmul(rows["h"][t], p["W_hh"], out=d_reset_h)
                np.multiply(slope_u[t], dh, out=rows["u"][t])
                np.multiply(slope_r[t], d_reset_h, out=rows["r"][t])
                dh_prev = dh_buffers[t % 2]                        # dh_{t-1}, summed in the
                np.multiply(keep[t], dh, out=dh_prev)              # order of GRU.backward
                np.multiply(reset[t], d_reset_h, out=part)
                dh_prev += part
                np.matmul(rows["u"][t], p["W_uh"], out=part)
                dh_prev += part
                np.matmul(rows["r"][t], p["W_rh"], out=part)
                dh_prev += part
                dh = dh_prev
            grads["W_hh"] = _summed(rows["h"], np.multiply(reset, h_prev, out=other))
            for g in "ur":
                grads[f"W_{g}h"] = _summed(rows[g], h_prev)
        for g, da in rows.items():
            grads[f"W_{g}x"] = _summed(da, xs)
            grads[f"b_{g}"] = da.sum(axis=(0, 2))
        return losses, {name: grads[name] for name in p}

    def step(self, xs, targets):
        """One update of every model: its gradient clipped to global norm ``clip_norm``
        (``clip_by_global_norm``), then Adagrad with its own rate. Returns the losses (M,)."""
        with np.errstate(over="ignore", invalid="ignore"):
            losses, grads = self.gradients(xs, targets)
            norms = np.sqrt(sum(np.sum(g.reshape(len(g), -1) ** 2, axis=1)
                                for g in grads.values()))
        # A model whose gradient overflowed (an exploding run) stops: it gets no more updates.
        self.diverged |= ~np.isfinite(norms)
        keep = np.where(self.diverged, 0.0, np.minimum(1.0, self.clip_norm / norms))
        for name, g in grads.items():
            g[self.diverged] = 0.0
            g *= self._per_model(keep, g)
            self.memory[name] += g * g                   # Adagrad: m <- m + g^2,
            self.params[name] -= (self._per_model(self.lrs, g) * g  # p <- p - lr g / sqrt(m + eps)
                                  / np.sqrt(self.memory[name] + self.eps))
        return losses

    def write_back(self):
        """Copy each model's trained arrays into its object (``models[m].params``)."""
        for m, model in enumerate(self.models):
            for name, value in self.params.items():
                model.params[name][...] = value[m]
        return self.models


def _summed(da, inputs):
    """sum over t and b of da_t inputs_t^T, per model: (T, M, B, H), (T, M, B, X) -> (M, H, X).
    (A loop of T batched products: faster here than reshaping to one (M, H, T*B) product.)"""
    total = da[0].mT @ inputs[0]
    for t in range(1, len(da)):
        total += da[t].mT @ inputs[t]
    return total
