"""The LSTM lockstep's stacked input product: bit-identical to the per-gate products it replaced.

``LSTMLockstep.gradients`` computes the input terms W_gx x_t + b_g of the four gates as one
product with their stacked weights (D, 4H), one per step and model, where it used to compute
one product per gate over all T*B rows of a model. Chapter 6's committed outputs (the memory
grid of 06a_lstm) were computed with the loop below (the package's code before that change),
so the numbers must be the same to the last bit, not just close: every entry is the same dot
product of length D, and every later line is unchanged.
"""
import numpy as np
import pytest

from lamassu_course.experiments import memory
from lamassu_course.experiments.cells import LSTMLockstep
from lamassu_course.lstm import LSTM

_ORDER = "ifoc"


# ------------------------------------------------ the loop as it was: the reference
class ReferenceLSTMLockstep(LSTMLockstep):
    def gradients(self, xs, targets):
        p = self.params
        xs = np.asarray(xs, dtype=p["W_ix"].dtype)
        T, M, B, D = xs.shape
        H = p["W_ih"].shape[-1]
        rows = np.empty((M, T, B, D))
        rows[...] = xs.transpose(1, 0, 2, 3)
        rows = rows.reshape(M, T * B, D)
        gates = np.empty((T, 4, M, B, H))
        for g, gate in enumerate(_ORDER):
            x_part = rows @ p[f"W_{gate}x"].mT + p[f"b_{gate}"][:, None, :]
            gates[:, g] = x_part.reshape(M, T, B, H).transpose(1, 0, 2, 3)
        hs, cs = np.empty((T + 1, M, B, H)), np.empty((T + 1, M, B, H))
        hs[0], cs[0] = 0.0, 0.0
        tanh_cs = np.empty((T, M, B, H))
        W_h = [p[f"W_{gate}h"] for gate in _ORDER]
        for t in range(T):
            a = gates[t]
            for g in range(4):
                a[g] += hs[t] @ W_h[g].mT
            sig = a[:3]
            sig *= 0.5
            np.tanh(sig, out=sig)
            sig += 1.0
            sig *= 0.5
            np.tanh(a[3], out=a[3])
            np.multiply(a[1], cs[t], out=cs[t + 1])
            cs[t + 1] += a[0] * a[3]
            np.tanh(cs[t + 1], out=tanh_cs[t])
            np.multiply(a[2], tanh_cs[t], out=hs[t + 1])
        logits = hs[-1] @ p["W_yh"].mT + p["b_y"][:, None, :]
        logits -= logits.max(axis=2, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        picked = (np.arange(M)[:, None], np.arange(B), targets)
        losses = -log_probs[picked].mean(axis=1)
        dy = np.exp(log_probs)
        dy[picked] -= 1.0
        dy /= B
        grads = {"W_yh": dy.mT @ hs[-1], "b_y": dy.sum(axis=1)}
        slopes = np.empty(gates.shape)
        np.subtract(1.0, gates, out=slopes)
        slopes *= gates
        np.square(gates[:, 3], out=slopes[:, 3])
        np.subtract(1.0, slopes[:, 3], out=slopes[:, 3])
        da = np.empty(gates.shape)
        work = np.empty((M, B, H))
        dh, dc = dy @ p["W_yh"], np.zeros((M, B, H))
        for t in reversed(range(T)):
            i, f, o, c_tilde = gates[t]
            np.square(tanh_cs[t], out=work)
            np.subtract(1.0, work, out=work)
            work *= o
            work *= dh
            dc += work
            for g, (grad, value) in enumerate(((dc, c_tilde), (dc, cs[t]),
                                               (dh, tanh_cs[t]), (dc, i))):
                np.multiply(grad, value, out=da[t, g])
                da[t, g] *= slopes[t, g]
            dc *= f
            dh = da[t, 0] @ W_h[0]
            for g in (1, 2, 3):
                dh += da[t, g] @ W_h[g]
        h_rows = np.empty((M, T, B, H))
        h_rows[...] = hs[:-1].transpose(1, 0, 2, 3)
        h_rows = h_rows.reshape(M, T * B, H)
        da_rows = np.empty((M, T, B, H))
        for g, gate in enumerate(_ORDER):
            da_rows[...] = da[:, g].transpose(1, 0, 2, 3)
            flat = da_rows.reshape(M, T * B, H)
            grads[f"W_{gate}x"] = flat.mT @ rows
            grads[f"W_{gate}h"] = flat.mT @ h_rows
            grads[f"b_{gate}"] = flat.sum(axis=1)
        return losses, {name: grads[name] for name in p}


def _stack(rng, M, D, H, K):
    models = [LSTM(D, H, K, seed=int(rng.integers(1000))) for _ in range(M)]
    for model in models:                       # every parameter non-zero and distinct
        for value in model.params.values():
            value[...] = rng.standard_normal(value.shape)
    return models


# T, M, B, D, H, K. With B = 1 or H = 1 a product has one row or one column, and NumPy hands
# it to BLAS's matrix-vector routine, which may add in another order: the bits are promised
# for B, H >= 2 (Chapter 6 has B = 32, H = 10, and 30 models when both biases share a stack).
SIZES = [(1, 1, 2, 1, 2, 2), (3, 2, 4, 5, 2, 4), (5, 3, 2, 1, 4, 3), (41, 15, 32, 5, 10, 4),
         (41, 30, 32, 5, 10, 4), (9, 4, 16, 9, 37, 6)]


@pytest.mark.parametrize("T, M, B, D, H, K", SIZES)
def test_stacked_input_product_gives_the_same_bits(T, M, B, D, H, K):
    rng = np.random.default_rng([T, M, B, D, H, K])
    models = _stack(rng, M, D, H, K)
    xs = rng.standard_normal((T, M, B, D))
    targets = rng.integers(0, K, size=(M, B))
    new = LSTMLockstep(models, np.full(M, 0.1))
    old = ReferenceLSTMLockstep(models, np.full(M, 0.1))
    for _ in range(2):                         # the second call reuses the work arrays
        (losses, grads), (losses_old, grads_old) = new.gradients(xs, targets), \
            old.gradients(xs, targets)
        assert np.array_equal(losses, losses_old)
        assert grads.keys() == grads_old.keys()
        for name, value in grads_old.items():
            assert np.array_equal(grads[name], value), name


def test_the_comparison_sees_the_last_bit():
    """The test can fail: one weight moved by one unit in the last place changes the bits
    of the gradient, while the numbers stay close."""
    rng = np.random.default_rng(0)
    models = _stack(rng, 3, 5, 10, 4)
    xs, targets = rng.standard_normal((20, 3, 8, 5)), rng.integers(0, 4, size=(3, 8))
    _, grads = LSTMLockstep(models, np.full(3, 0.1)).gradients(xs, targets)
    W = models[1].params["W_fx"]
    W[2, 3] = np.nextafter(W[2, 3], np.inf)
    _, moved = ReferenceLSTMLockstep(models, np.full(3, 0.1)).gradients(xs, targets)
    assert not np.array_equal(moved["W_ih"][1], grads["W_ih"][1])
    np.testing.assert_allclose(moved["W_ih"][1], grads["W_ih"][1], rtol=1e-12)
    assert np.array_equal(moved["W_ih"][0], grads["W_ih"][0])       # another model: untouched


def test_chapter_6_sized_lstm_grid_gives_the_same_bits(monkeypatch):
    """06a_lstm's memory grid at its sizes (D = 5, H = 10, K = 4, L = 40, batches of 32):
    three rates and two seeds of both forget biases, 5 updates; every loss and every trained
    weight is the same to the bit, and so is each held-out accuracy."""
    rng = np.random.default_rng(6)
    held_out = {"test": memory.recall_batch(rng, 200, 40, 4, "test")}
    makers = {bias: (lambda seed, bias=bias: LSTM(5, 10, 4, seed=seed, forget_bias=bias))
              for bias in (1.0, 3.0)}

    def grid():
        return memory.recall_runs(makers, 40, 5, (0.03, 0.1, 0.3), (0, 1), held_out)

    runs = grid()
    monkeypatch.setattr(memory, "LSTMLockstep", ReferenceLSTMLockstep)
    runs_old = grid()
    for bias, run in runs.items():
        assert np.array_equal(run["loss"], runs_old[bias]["loss"])
        assert np.array_equal(run["test"], runs_old[bias]["test"])
        for row, row_old in zip(run["models"], runs_old[bias]["models"]):
            for model, model_old in zip(row, row_old):
                for name, value in model_old.params.items():
                    assert np.array_equal(model.params[name], value), name
