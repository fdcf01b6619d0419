"""The GRU lockstep's buffered loops: bit-identical to the loops they replaced.

``Lockstep._states`` and ``Lockstep.gradients`` write every step of a GRU stack into arrays
kept from one step to the next (``out=``), instead of allocating each term. Chapter 4's committed
outputs were computed with the plain loops below (the package's code before that change), so
the numbers must be the same to the last bit, not just close: every product and sum is kept,
in the same order.
"""
import numpy as np
import pytest

from lamassu_course.experiments import memory
from lamassu_course.experiments.lockstep import Lockstep, _summed
from lamassu_course.gated import GRU, _gates


# ------------------------------------------------ the plain loops, as they were: the reference
class ReferenceLockstep(Lockstep):
    def _states(self, xs):
        p, (T, M, B, _) = self.params, xs.shape
        H = p["W_hh"].shape[-1]
        hs = np.empty((T + 1, M, B, H))
        hs[0] = 0.0
        x_part = {g: np.matmul(xs, p[f"W_{g}x"].mT) for g in "urh"}
        for g in "urh":
            x_part[g] += p[f"b_{g}"][:, None, :]
        gates = np.empty((3,) + hs[1:].shape)
        for t in range(T):
            gates[:, t] = _gates({g: x_part[g][t] for g in "urh"}, hs[t], p)
            update, _, candidate = gates[:, t]
            hs[t + 1] = update * candidate + (1.0 - update) * hs[t]
        return hs, gates

    def gradients(self, xs, targets):
        p, (T, M, B, D) = self.params, xs.shape
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
        dh = dy @ p["W_yh"]
        h_prev = hs[:-1]
        update, reset, candidate = gates
        slope_h = update * (1.0 - candidate ** 2)
        slope_u = (candidate - h_prev) * update * (1.0 - update)
        slope_r = h_prev * reset * (1.0 - reset)
        rows = {g: np.empty_like(h_prev) for g in "urh"}
        for t in reversed(range(T)):
            rows["h"][t] = slope_h[t] * dh
            d_reset_h = rows["h"][t] @ p["W_hh"]
            rows["u"][t] = slope_u[t] * dh
            rows["r"][t] = slope_r[t] * d_reset_h
            dh = ((1.0 - update[t]) * dh + reset[t] * d_reset_h
                  + rows["u"][t] @ p["W_uh"] + rows["r"][t] @ p["W_rh"])
        grads["W_hh"] = _summed(rows["h"], reset * h_prev)
        for g in "ur":
            grads[f"W_{g}h"] = _summed(rows[g], h_prev)
        for g, da in rows.items():
            grads[f"W_{g}x"] = _summed(da, xs)
            grads[f"b_{g}"] = da.sum(axis=(0, 2))
        return losses, {name: grads[name] for name in p}


def _stack(rng, M, D, H, K):
    models = [GRU(D, H, K, seed=int(rng.integers(1000)), update_bias=-1.0) for _ in range(M)]
    for model in models:                       # every parameter non-zero and distinct
        for value in model.params.values():
            value[...] = rng.standard_normal(value.shape)
    return models


@pytest.mark.parametrize("seed", range(4))
def test_buffered_gru_lockstep_gives_the_same_bits(seed):
    rng = np.random.default_rng(seed)
    T, M, B, D, H, K = rng.integers(1, 9, size=6) + np.array([0, 0, 0, 1, 0, 1])
    models = _stack(rng, M, D, H, K)
    xs = rng.standard_normal((T, M, B, D))
    targets = rng.integers(0, K, size=(M, B))
    new, old = Lockstep(models, np.full(M, 0.1)), ReferenceLockstep(models, np.full(M, 0.1))
    for _ in range(2):                         # the second call reuses the work arrays
        (hs, gates), (hs_old, gates_old) = new._states(xs), old._states(xs)
        assert np.array_equal(hs, hs_old) and np.array_equal(gates, gates_old)
        losses, grads = new.gradients(xs, targets)
        losses_old, grads_old = old.gradients(xs, targets)
        assert np.array_equal(losses, losses_old)
        for name, value in grads_old.items():
            assert np.array_equal(grads[name], value), name


def test_chapter_4_sized_gru_training_gives_the_same_bits(monkeypatch):
    """Chapter 4's GRU sizes (D = 5, H = 9, K = 4, L = 40, batches of 32), two rates and two
    seeds, 6 updates: the trained weights and every loss are the same to the bit."""
    rates, seeds = (0.3, 1.0, 0.3, 1.0), (0, 0, 1, 1)

    def train():
        models = [GRU(5, 9, 4, seed=s, update_bias=b) for s, b in zip(seeds, (-3, 0, -3, 0))]
        losses = memory.train_recall_lockstep(models, 40, 6, lrs=rates, seeds=seeds)
        return losses, [m.params for m in models]

    losses, params = train()
    monkeypatch.setattr(memory, "Lockstep", ReferenceLockstep)
    losses_old, params_old = train()
    assert np.array_equal(losses, losses_old)
    for new, old in zip(params, params_old):
        for name, value in old.items():
            assert np.array_equal(new[name], value), name
