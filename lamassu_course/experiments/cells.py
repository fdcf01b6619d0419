"""Chapter 6: the vanilla RNN, the GRU and the LSTM compared on the recall task of Chapter 4.

Two tools for a fair comparison:

* ``matched_hidden_size``: the number of hidden units H that gives a network a chosen number
  of parameters, so that each cell gets the same budget of weights (a GRU has three weight
  blocks and an LSTM four where a vanilla RNN has one, so at the same H they would be 3 and 4
  times as large);
* ``LSTMLockstep``: M LSTMs of the same sizes trained at once, one update each per step, with
  the numbers of training each alone (``experiments.lockstep.Lockstep`` does this for the
  vanilla RNN and the GRU; ``memory.recall_runs`` picks the right one).

The LSTM lines are the batched twins of ``lstm.LSTM.forward`` and ``LSTM.backward`` for a
loss that reads only the last output, softmax(y_T) against a target. The four gates' weights
are kept stacked, in the order i, f, o, c~ (as in ``lstm``): W_x (M, 4H, D), W_h (M, 4H, H),
b (M, 4H). Adagrad and clipping by global norm act entry by entry and on the sum of all
squares, so stacking does not change them (``tests/test_cells.py`` checks both claims).
"""
import numpy as np

from ..gated import _sigmoid
from ..lstm import LSTM
from ..optim import Adagrad
from .lockstep import Lockstep

__all__ = ["matched_hidden_size", "LSTMLockstep"]

_ORDER = "ifoc"                     # i, f, o (the sigmoids), then c~ (tanh), as in ``lstm``


def matched_hidden_size(make, target, sizes=range(1, 257)):
    """The H of ``sizes`` whose network ``make(H)`` has a parameter count closest to
    ``target`` (the smaller H on a tie). Returns (H, count).

    >>> from lamassu_course import VanillaRNN
    >>> matched_hidden_size(lambda H: VanillaRNN(5, H, 4), 420)
    (16, 420)
    """
    if not callable(make):
        raise ValueError(f"make is {make!r}; expected a function H -> model")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise ValueError(f"target is {target!r}; expected a positive number of parameters")
    best = None
    for H in sizes:
        count = make(H).num_parameters()
        if best is None or abs(count - target) < abs(best[1] - target):
            best = (int(H), int(count))
        if count > target:                            # counts grow with H: no closer one
            break
    if best is None:
        raise ValueError("sizes is empty; expected at least one hidden size")
    return best


class LSTMLockstep(Lockstep):
    """M LSTMs (same sizes D, H, K, identity output), stacked; ``step`` trains each by one
    update and ``write_back`` copies the weights back, as ``Lockstep`` does for VanillaRNN
    and GRU (same arguments and methods; ``params[name]`` is (M, ...) for each LSTM name)."""

    def __init__(self, models, lrs, clip_norm=1.0):
        models = list(models)
        if not models:
            raise ValueError("models is empty; expected at least one model")
        for model in models:
            if not isinstance(model, LSTM):
                raise ValueError(f"models holds a {type(model).__name__}; expected LSTM "
                                 "(Lockstep trains VanillaRNN and GRU)")
            if model.output_activation != "identity":
                raise ValueError(f"output_activation is {model.output_activation!r}; expected "
                                 "'identity' (the loss applies the softmax)")
        sizes = {model.sizes for model in models}
        if len(sizes) > 1:
            raise ValueError(f"models have sizes {sorted(sizes)}; expected one (D, H, K)")
        self.lrs = np.asarray(lrs, dtype=float)
        if self.lrs.shape != (len(models),) or not np.all(self.lrs > 0):
            raise ValueError(f"lrs has shape {self.lrs.shape}; expected {len(models)} "
                             "positive learning rates, one per model")
        if not clip_norm > 0:
            raise ValueError(f"clip_norm is {clip_norm!r}; expected a number > 0")
        self.models, self.clip_norm, self.kind = models, clip_norm, "LSTM"
        self.params = {name: np.stack([m.params[name] for m in models])
                       for name in models[0].params}
        self.memory = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.eps = Adagrad(self.params).eps              # the package's Adagrad, per model
        self.diverged = np.zeros(len(models), dtype=bool)
        self._buffers = {}

    def _buffer(self, name, shape):
        """A work array kept from one step to the next (as ``Lockstep._work``): a fresh array
        of a few MB at every step costs more than the arithmetic done in it."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = np.empty(shape, dtype=self.params["W_ix"].dtype)
        return buffer

    def gradients(self, xs, targets):
        """Each model's mean cross-entropy of softmax(y_T) against targets (M, B), and its
        gradient: (losses (M,), {name: (M, ...)}).

        The four gates of step t are kept one after the other, gates[t] (4, M, B, H) in the
        order i, f, o, c~, so that every line below works on whole contiguous blocks (a
        slice of H = 10 numbers at a time would cost more than the arithmetic).

        The input terms of the four gates are one product with their stacked weights
        (D, 4H), one per step and model: each entry is the same dot product of length D as
        with one product per gate, so for B, H >= 2 the numbers are those of the code before
        that change to the last bit (``tests/test_lstm_lockstep_bits.py``).
        """
        p = self.params
        xs = np.asarray(xs, dtype=p["W_ix"].dtype)
        T, M, B, D = xs.shape
        H = p["W_ih"].shape[-1]
        W_x = np.concatenate([p[f"W_{gate}x"] for gate in _ORDER], axis=1)   # (M, 4H, D)
        b = np.concatenate([p[f"b_{gate}"] for gate in _ORDER], axis=1)      # (M, 4H)
        x_part = self._buffer("x_part", (T, M, B, 4 * H))  # W_x x_t + b, all steps at once:
        np.matmul(xs, W_x.mT, out=x_part)                  # (B, D) @ (D, 4H) per step, model
        x_part += b[:, None, :]
        gates = self._buffer("gates", (T, 4, M, B, H))
        gates[...] = x_part.reshape(T, M, B, 4, H).transpose(0, 3, 1, 2, 4)
        hs, cs = self._buffer("hs", (T + 1, M, B, H)), self._buffer("cs", (T + 1, M, B, H))
        hs[0], cs[0] = 0.0, 0.0
        tanh_cs = self._buffer("tanh_cs", (T, M, B, H))
        W_h = [p[f"W_{gate}h"] for gate in _ORDER]
        for t in range(T):
            a = gates[t]
            for g in range(4):
                a[g] += hs[t] @ W_h[g].mT                  # the pre-activations of step t
            sig = a[:3]                                    # i, f, o = sigma(.), computed
            sig *= 0.5                                     # as (1 + tanh(a / 2)) / 2,
            np.tanh(a, out=a)                              # and c~ = tanh(.)
            sig += 1.0
            sig *= 0.5
            np.multiply(a[1], cs[t], out=cs[t + 1])
            cs[t + 1] += a[0] * a[3]                       # c_t = f * c_{t-1} + i * c~
            np.tanh(cs[t + 1], out=tanh_cs[t])
            np.multiply(a[2], tanh_cs[t], out=hs[t + 1])   # h_t = o * tanh(c_t)
        logits = hs[-1] @ p["W_yh"].mT + p["b_y"][:, None, :]
        logits -= logits.max(axis=2, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        picked = (np.arange(M)[:, None], np.arange(B), targets)
        losses = -log_probs[picked].mean(axis=1)
        dy = np.exp(log_probs)
        dy[picked] -= 1.0
        dy /= B
        grads = {"W_yh": dy.mT @ hs[-1], "b_y": dy.sum(axis=1)}
        slopes = self._buffer("slopes", gates.shape)       # sigma' = g (1 - g), tanh' = 1 - g^2
        np.subtract(1.0, gates, out=slopes)
        slopes *= gates
        np.square(gates[:, 3], out=slopes[:, 3])
        np.subtract(1.0, slopes[:, 3], out=slopes[:, 3])
        da = self._buffer("da", gates.shape)
        work = self._buffer("work", (M, B, H))
        dh, dc = dy @ p["W_yh"], np.zeros((M, B, H))       # dL/dh_T; nothing at c_T yet
        for t in reversed(range(T)):                       # as in LSTM.backward
            i, f, o, c_tilde = gates[t]
            np.square(tanh_cs[t], out=work)                # dc += dh o (1 - tanh(c_t)^2):
            np.subtract(1.0, work, out=work)               # all of dL/dc_t
            work *= o
            work *= dh
            dc += work
            for g, (grad, value) in enumerate(((dc, c_tilde), (dc, cs[t]),
                                               (dh, tanh_cs[t]), (dc, i))):
                np.multiply(grad, value, out=da[t, g])     # di, df, do, dc~
                da[t, g] *= slopes[t, g]                   # times the slope of its gate
            dc *= f                                        # the cell's path
            dh = da[t, 0] @ W_h[0]
            for g in (1, 2, 3):
                dh += da[t, g] @ W_h[g]
        rows = self._buffer("rows", (M, T, B, D))          # xs and h_{t-1}, model by model
        rows[...] = xs.transpose(1, 0, 2, 3)
        rows = rows.reshape(M, T * B, D)
        h_rows = self._buffer("h_rows", (M, T, B, H))
        h_rows[...] = hs[:-1].transpose(1, 0, 2, 3)
        h_rows = h_rows.reshape(M, T * B, H)
        da_rows = self._buffer("da_rows", (M, T, B, H))
        for g, gate in enumerate(_ORDER):
            da_rows[...] = da[:, g].transpose(1, 0, 2, 3)
            flat = da_rows.reshape(M, T * B, H)
            grads[f"W_{gate}x"] = flat.mT @ rows
            grads[f"W_{gate}h"] = flat.mT @ h_rows
            grads[f"b_{gate}"] = flat.sum(axis=1)
        return losses, {name: grads[name] for name in p}
