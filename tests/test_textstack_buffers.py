"""``TextStack`` with reusable buffers: bit-identical to the allocating code it replaced.

``TextStack.forward``, ``gradients``, ``nats_per_char`` and the update ``_step`` write
their temporaries into arrays the stack keeps (``out=``), add b_h to the V columns of W_hx
before picking them (not to every step's copy), compute the slope 1 - h_t^2 step by step,
and skip the clean-up passes that change no number (``nan_to_num`` when every norm is finite,
``clip`` at +-inf, a scale of 1). Chapter 3's committed outputs were computed with the code
below (the package's before that change), so the numbers must be the same to the last bit,
not just close: float32 and float64, Adagrad and SGD, clipping by value, by norm, mixed and
none, a diverging model, the notebook's sizes (V = 72, H = 100, k = 25, B = 32).
"""
import numpy as np
import pytest

from lamassu_course import VanillaRNN
from lamassu_course.experiments.charlm import TextStack


# ------------------------------------------------ the allocating code, as it was: the reference
class ReferenceStack(TextStack):
    def forward(self, inputs, h0):
        p = self.params
        M, H, V = p["W_hx"].shape
        k, B = inputs.shape
        hs = np.empty((M, k + 1, B, H), dtype=p["W_hh"].dtype)
        hs[:, 0] = h0
        hs[:, 1:] = np.take(np.ascontiguousarray(p["W_hx"].mT), inputs, axis=1)  # W_hx x_t
        hs[:, 1:] += p["b_h"][:, None, None, :]
        W_hh_T, recurrent = p["W_hh"].mT, np.empty((M, B, H), dtype=hs.dtype)
        for t in range(k):                                 # h_t = tanh(W_hh h_{t-1} + ...)
            np.matmul(hs[:, t], W_hh_T, out=recurrent)
            recurrent += hs[:, t + 1]
            np.tanh(recurrent, out=hs[:, t + 1])
        logs = hs[:, 1:].reshape(M, k * B, H) @ p["W_yh"].mT    # y_t = W_yh h_t + b_y
        logs += p["b_y"][:, None, :]
        logs -= logs.max(axis=2, keepdims=True)
        logs -= np.log(np.exp(logs).sum(axis=2, keepdims=True))
        return hs, logs

    def nats_per_char(self, ids, streams=16, window=100):
        V, H = self.params["W_hx"].shape[2], self.params["W_hx"].shape[1]
        n = (len(ids) - 1) // streams
        inputs = ids[: n * streams].reshape(streams, n).T
        targets = ids[1: n * streams + 1].reshape(streams, n).T
        total = np.zeros(len(self.models))
        h = np.zeros((len(self.models), streams, H), dtype=self.lrs.dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, n, window):
                hs, logs = self.forward(inputs[start:start + window], h)
                picked = np.arange(logs.shape[1]) * V + targets[start:start + window].ravel()
                total -= logs.reshape(len(self.models), -1)[:, picked].sum(axis=1,
                                                                           dtype=np.float64)
                h = hs[:, -1]
        return total / (n * streams)

    def gradients(self, inputs, targets, h0):
        p = self.params
        M, H, V = p["W_hx"].shape
        k, B = inputs.shape
        hs, probs = self.forward(inputs, h0)
        rows = hs[:, 1:].reshape(M, k * B, H)
        picked = np.arange(k * B) * V + targets.reshape(-1)
        flat = probs.reshape(M, -1)
        losses = -flat[:, picked].sum(axis=1, dtype=np.float64) / B
        np.exp(probs, out=probs)                           # p_t = softmax(y_t)
        flat[:, picked] -= 1.0                             # dy_t = (p_t - e_c) / B
        probs /= B
        grads = {"W_yh": probs.mT @ rows, "b_y": probs.sum(axis=1)}
        das = (probs @ p["W_yh"]).reshape(M, k, B, H)      # W_yh^T dy_t, overwritten by da_t
        slopes = 1.0 - np.square(hs[:, 1:])                # g1'(a_t) = 1 - h_t^2
        dh = np.zeros((M, B, H), dtype=hs.dtype)
        for t in reversed(range(k)):                       # da_t = g1'(a_t) (dh_t)
            das[:, t] += dh
            das[:, t] *= slopes[:, t]
            np.matmul(das[:, t], p["W_hh"], out=dh)        # W_hh^T da_t
        da_rows = das.reshape(M, k * B, H)
        grads["W_hh"] = da_rows.mT @ hs[:, :-1].reshape(M, k * B, H)
        grads["W_hx"] = da_rows.mT @ np.eye(V, dtype=hs.dtype)[inputs.reshape(-1)]
        grads["b_h"] = da_rows.sum(axis=1)
        return losses, grads, hs[:, -1].copy()

    def _step(self, grads):
        M = len(self.models)
        norms = np.sqrt(sum(np.sum(np.square(g).reshape(M, -1), axis=1, dtype=np.float64)
                            for g in grads.values()))
        self.diverged |= ~np.isfinite(norms)
        scale = np.where(norms > self.clip_norm, self.clip_norm / norms, 1.0)
        scale = np.where(self.diverged, 0.0, scale).astype(self.lrs.dtype)
        lengths, largest = np.zeros(M), np.zeros(M)
        for name, g in grads.items():
            shape = (M,) + (1,) * (g.ndim - 1)
            np.nan_to_num(g, copy=False)                   # a diverged model's: scale is 0
            np.clip(g, -self.clip_value.reshape(shape), self.clip_value.reshape(shape), out=g)
            g *= scale.reshape(shape)
            if self.adagrad:                               # m <- m + g^2; lr g / sqrt(m + eps)
                self.memory[name] += g * g
                g /= np.sqrt(self.memory[name] + 1e-8)
            g *= self.lrs.reshape(shape)
            self.params[name] -= g
            lengths += np.sum(np.square(g).reshape(M, -1), axis=1, dtype=np.float64)
            largest = np.maximum(largest, np.abs(g).reshape(M, -1).max(axis=1))
        return norms, np.sqrt(lengths), largest


# ------------------------------------------------ the notebook's kind of runs, both ways
V, H = 72, 100


def _text(n, seed=0):
    """Character ids with the skew of English text (a few frequent, many rare), V = 72."""
    rng = np.random.default_rng(seed)
    return rng.choice(V, size=n, p=np.arange(V, 0, -1) ** 2 / np.sum(np.arange(V, 0, -1) ** 2))


def _pair(seeds, dtype, **options):
    """The same stack twice: the package's and the reference."""
    return [cls([VanillaRNN(V, H, V, seed=s, dtype=dtype) for s in seeds], **options)
            for cls in (TextStack, ReferenceStack)]


def _assert_same(new, old):
    for name in old.params:
        assert np.array_equal(new.params[name], old.params[name]), name
        assert np.array_equal(new.memory[name], old.memory[name]), name
    assert np.array_equal(new.diverged, old.diverged)


# Chapter 3's runs: the main Adagrad run (cell "the run"), the rate grid (norm 5), the
# clipping grid (by value, by norm, none, each model its own), and a twin one float32 step up.
RUNS = [
    dict(optimizer="adagrad", lrs=0.05, clip_value=5.0),
    dict(optimizer="adagrad", lrs=(0.01, 0.05, 0.1), clip_norm=5.0),
    dict(optimizer="sgd", lrs=(0.1, 0.2, 0.4), clip_norm=5.0),
    dict(optimizer="sgd", lrs=(0.2, 0.2, 0.02), clip_value=(0.03, None, None),
         clip_norm=(None, 5.0, None)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", RUNS)
def test_training_is_bit_identical_to_the_allocating_code(options, dtype):
    ids = _text(6 * 25 * 32 + 1)
    new, old = _pair((0, 1, 0), dtype, **options)
    for stack in (new, old):                                # model 2: the twin of seed 0
        W = stack.params["W_hh"]
        W[2, 0, 0] = np.nextafter(W[2, 0, 0], np.inf)
    seen = {id(new): [], id(old): []}

    def watch(stack):                                       # a callback that evaluates
        def callback(step, models):
            if step % 3 == 0:
                seen[id(stack)].append(stack.nats_per_char(ids[:801], window=20))
        return callback
    records = [stack.train(ids, window=25, batch_size=32, epochs=2, callback=watch(stack))
               for stack in (new, old)]
    for key in records[1]:
        assert np.array_equal(records[0][key], records[1][key]), key
    assert np.array_equal(seen[id(new)], seen[id(old)]) and len(seen[id(new)]) == 4
    _assert_same(new, old)
    held_out = _text(4000, seed=1)
    assert np.array_equal(new.nats_per_char(held_out), old.nats_per_char(held_out))


def test_forward_and_gradients_are_bit_identical_and_do_not_share_memory():
    rng = np.random.default_rng(5)
    new, old = _pair((3, 4), np.float32, optimizer="sgd", lrs=0.1)
    for k in (25, 7, 25):                                   # a shorter last window, and back
        inputs, targets = rng.integers(0, V, (k, 32)), rng.integers(0, V, (k, 32))
        h0 = np.tanh(rng.standard_normal((2, 32, H))).astype(np.float32)
        first = new.forward(inputs, h0)
        for got, want in zip(first, old.forward(inputs, h0)):
            assert np.array_equal(got, want)
        out_new, out_old = new.gradients(inputs, targets, h0), old.gradients(inputs, targets, h0)
        assert np.array_equal(out_new[0], out_old[0]) and np.array_equal(out_new[2], out_old[2])
        for name in out_old[1]:
            assert np.array_equal(out_new[1][name], out_old[1][name]), name
        again = new.gradients(inputs, targets, np.zeros_like(h0))   # reuses the buffers
        for got, want in zip(first, old.forward(inputs, h0)):       # forward's own arrays
            assert np.array_equal(got, want)
        assert not np.array_equal(again[2], out_new[2])              # h_T is a copy
        assert np.array_equal(out_new[2], out_old[2])


def test_a_diverging_model_is_stopped_as_before():
    ids = _text(6 * 10 * 8 + 1, seed=2)
    new, old = _pair((0, 0), np.float32, optimizer="sgd", lrs=(3e38, 0.1), clip_value=(None, 1.0))
    records = [stack.train(ids, window=10, batch_size=8) for stack in (new, old)]
    assert new.diverged[0] and not new.diverged[1]
    for key in records[1]:
        assert np.array_equal(records[0][key], records[1][key]), key
    _assert_same(new, old)
