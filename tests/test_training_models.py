"""The training loops and sampling on every model of the package: LSTM, StackedRNN and
BidirectionalRNN next to VanillaRNN and GRU. A step equals forward, loss, backward and the
optimiser done by hand; TBPTT's carried state equals one long forward over the stream; the loss
falls on small tasks; a bidirectional model learns what a forward-only one cannot.
"""
import re

import numpy as np
import pytest

from lamassu_course import (GRU, LSTM, SGD, Adagrad, BidirectionalRNN, CharVocab, StackedRNN,
                            VanillaRNN, mean_squared_error, one_hot, sample,
                            softmax_cross_entropy, tbptt_windows, train, train_step, train_tbptt)
from lamassu_course.training import final_state

MODELS = {
    "vanilla": lambda D, H, K, seed: VanillaRNN(D, H, K, seed=seed),
    "gru": lambda D, H, K, seed: GRU(D, H, K, seed=seed),
    "lstm": lambda D, H, K, seed: LSTM(D, H, K, seed=seed),
    "stacked": lambda D, H, K, seed: StackedRNN(D, H, K, num_layers=2, seed=seed),
    "stacked3": lambda D, H, K, seed: StackedRNN(D, H, K, num_layers=3, seed=seed),
    "bidirectional": lambda D, H, K, seed: BidirectionalRNN(D, H, K, seed=seed),
}
NEW = ["lstm", "stacked", "stacked3", "bidirectional"]


class _Frozen:
    """An optimiser that records what it is given and changes nothing."""

    def __init__(self):
        self.grads = []

    def step(self, grads):
        self.grads.append(grads)


@pytest.mark.parametrize("kind", NEW)
def test_train_step_is_forward_loss_backward_and_the_optimiser(kind):
    rng = np.random.default_rng(0)
    model, twin = MODELS[kind](3, 4, 2, 0), MODELS[kind](3, 4, 2, 0)
    xs, targets = rng.standard_normal((5, 3, 3)), rng.standard_normal((5, 3, 2))
    loss, norm, cache = train_step(model, xs, targets, mean_squared_error,
                                   SGD(model.params, lr=0.1), clip_norm=0.5)
    ys, twin_cache = twin.forward(xs)
    twin_loss, dys = mean_squared_error(ys, targets)
    grads = {name: g for name, g in twin.backward(xs, twin_cache, dys).items()
             if name in twin.params}
    twin_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    assert loss == twin_loss and norm == pytest.approx(twin_norm, rel=1e-12)
    for key in twin_cache:
        np.testing.assert_array_equal(cache[key], twin_cache[key], err_msg=key)
    scale = min(1.0, 0.5 / twin_norm)
    for name, param in twin.params.items():
        np.testing.assert_allclose(model.params[name], param - 0.1 * scale * grads[name],
                                   rtol=1e-13, atol=1e-15, err_msg=name)


def test_train_step_passes_the_initial_states():
    rng = np.random.default_rng(1)
    lstm = LSTM(3, 4, 2, seed=0)
    xs, targets = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 2))
    h0, c0 = rng.standard_normal((2, 2, 4))
    frozen = _Frozen()
    loss, _, cache = train_step(lstm, xs, targets, mean_squared_error, frozen,
                                state={"h0": h0, "c0": c0})
    ys, expected = lstm.forward(xs, h0, c0)
    assert loss == mean_squared_error(ys, targets)[0]
    np.testing.assert_array_equal(cache["cs"], expected["cs"])
    # h0= alone still works, as for VanillaRNN
    _, _, cache = train_step(lstm, xs, targets, mean_squared_error, frozen, h0=h0)
    np.testing.assert_array_equal(cache["hs"][0], h0)
    np.testing.assert_array_equal(cache["cs"][0], 0.0)
    with pytest.raises(ValueError, match=re.escape("give h0 or state['h0'], not both")):
        train_step(lstm, xs, targets, mean_squared_error, frozen, h0=h0, state={"h0": h0})
    with pytest.raises(ValueError, match=re.escape(
            "state is a tuple; expected a dict of initial states such as {'h0': h}")):
        train_step(lstm, xs, targets, mean_squared_error, frozen, state=(h0, c0))
    with pytest.raises(ValueError, match=re.escape("c0 has shape (4,); expected (B, H)")):
        train_step(lstm, xs, targets, mean_squared_error, frozen, state={"c0": c0[0]})


@pytest.mark.parametrize("kind", list(MODELS))
def test_train_lowers_the_loss_on_a_small_task(kind):
    """y_t = M x_t + N x_{t-1}: every model can learn it; 200 Adagrad steps cut the loss 4-fold."""
    rng = np.random.default_rng(3)
    M, N = rng.standard_normal((2, 2, 3))
    batches = []
    for _ in range(200):
        xs = rng.standard_normal((6, 8, 3))
        previous = np.concatenate([np.zeros((1, 8, 3)), xs[:-1]])
        batches.append((xs, xs @ M.T + previous @ N.T))
    model = MODELS[kind](3, 8, 2, 0)
    history = train(model, batches, mean_squared_error, Adagrad(model.params, lr=0.05),
                    clip_norm=5.0, progress=False)
    first, last = history["loss"][:20].mean(), history["loss"][-20:].mean()
    assert last < 0.25 * first, f"{kind}: loss {first:.3f} -> {last:.3f}"


def test_only_the_bidirectional_model_predicts_the_next_input():
    """y_t = x_{t+1}: a bidirectional model reads it; a forward-only one can only guess 0."""
    rng = np.random.default_rng(4)
    batches = []
    for _ in range(300):
        xs = rng.standard_normal((6, 8, 2))
        targets = np.concatenate([xs[1:], np.zeros((1, 8, 2))])
        batches.append((xs, targets))
    final = {}
    for kind in ("bidirectional", "stacked", "lstm"):
        model = MODELS[kind](2, 8, 2, 0)
        history = train(model, batches, mean_squared_error, Adagrad(model.params, lr=0.05),
                        progress=False)
        final[kind] = history["loss"][-30:].mean()
    chance = 5 * 2                     # sum over 5 steps and 2 outputs of E[x^2] = 1
    assert final["bidirectional"] < 0.2 * chance, final
    assert min(final["stacked"], final["lstm"]) > 0.8 * chance, final


def _stream(seed, n=240, V=5):
    return np.random.default_rng(seed).integers(0, V, n)


@pytest.mark.parametrize("kind", ["lstm", "stacked", "stacked3", "vanilla"])
@pytest.mark.parametrize("batch_size", [1, 3])
def test_tbptt_carried_state_equals_one_long_forward(kind, batch_size):
    """With the weights held still, each window's loss is the loss of the same steps of one
    forward over the whole stream: the state is carried exactly. Each epoch starts again."""
    ids, V = _stream(1), 5
    model = MODELS[kind](V, 6, V, 2)
    frozen = _Frozen()
    history = train_tbptt(model, ids, window=7, batch_size=batch_size, optimizer=frozen,
                          epochs=2, progress=False)
    windows = list(tbptt_windows(ids, 7, batch_size))
    inputs = np.concatenate([w[0] for w in windows])
    targets = np.concatenate([w[1] for w in windows])
    ys, _ = model.forward(one_hot(inputs, V))
    expected, start = [], 0
    for window_inputs, _ in windows:
        k = len(window_inputs)
        expected.append(softmax_cross_entropy(ys[start:start + k], targets[start:start + k])[0] / k)
        start += k
    np.testing.assert_allclose(history["loss"], expected * 2, rtol=1e-12)
    assert set(frozen.grads[0]) >= set(model.params)


def test_tbptt_on_a_bidirectional_model_carries_the_forward_half_only():
    """The forward half's state is carried; the backward half starts from zeros at each
    window's end (it has no past to carry)."""
    ids, V = _stream(2), 5
    model = BidirectionalRNN(V, 6, V, seed=0)
    history = train_tbptt(model, ids, window=7, batch_size=2, optimizer=_Frozen(),
                          progress=False)
    windows = list(tbptt_windows(ids, 7, 2))
    _, cache = model.forward(one_hot(np.concatenate([w[0] for w in windows]), V))
    start = 0
    for (inputs, targets), loss in zip(windows, history["loss"]):
        ys, _ = model.forward(one_hot(inputs, V), h0_f=cache["hs_f"][start])
        assert loss == pytest.approx(softmax_cross_entropy(ys, targets)[0] / len(inputs),
                                     rel=1e-12)
        start += len(inputs)


@pytest.mark.parametrize("kind", ["lstm", "stacked", "gru"])
def test_tbptt_learns_a_periodic_text(kind):
    vocab = CharVocab("abcd")
    ids = vocab.encode("abcdcba" * 60)
    model = MODELS[kind](4, 12, 4, 0)
    seen = []
    history = train_tbptt(model, ids, window=10, batch_size=4, epochs=4, progress=False,
                          optimizer=Adagrad(model.params, lr=0.1), clip_norm=5.0,
                          callback=lambda step, m: seen.append((step, m is model)))
    assert seen[-1] == (len(history["loss"]), True)
    first, last = history["loss"][:5].mean(), history["loss"][-5:].mean()
    assert last < 0.3 * first, f"{kind}: {first:.3f} -> {last:.3f} nats per character"
    # after training it continues the period
    assert sample(model, vocab, "abcdcb", 14, temperature=0.05, seed=0) == ("abcdcba" * 3)[6:20]


@pytest.mark.parametrize("kind", ["lstm", "stacked", "vanilla"])
def test_sample_carries_the_state_like_one_forward(kind):
    """Each drawn character is what the model gives after one forward over prime + text so far."""
    vocab = CharVocab("abcde")
    model = MODELS[kind](5, 6, 5, 3)
    text = sample(model, vocab, "abc", 12, seed=5, temperature=1.5)
    rng = np.random.default_rng(5)
    so_far = "abc"
    for char in text:
        ys, _ = model.forward(vocab.one_hot(so_far)[:, None, :])
        z = ys[-1, 0] / 1.5
        probs = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert vocab.chars[int(rng.choice(5, p=probs))] == char
        so_far += char


def test_final_state_of_each_model():
    xs = np.random.default_rng(0).standard_normal((4, 2, 3))
    vanilla = VanillaRNN(3, 5, 2, seed=0)
    _, hs = vanilla.forward(xs)
    np.testing.assert_array_equal(final_state(vanilla, hs)["h0"], hs[-1])
    lstm = LSTM(3, 5, 2, seed=0)
    assert set(final_state(lstm, lstm.forward(xs)[1])) == {"h0", "c0"}
    stacked = StackedRNN(3, 5, 2, num_layers=3, seed=0)
    assert final_state(stacked, stacked.forward(xs)[1])["h0"].shape == (3, 2, 5)
    bi = BidirectionalRNN(3, 5, 2, seed=0)
    assert set(final_state(bi, bi.forward(xs)[1])) == {"h0_f"}
