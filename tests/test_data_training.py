"""Vocabulary, one-hot, TBPTT windows, the training loops and sampling."""
import copy
import math
import string

import numpy as np
import pytest

from lamassu_course import (SGD, Adagrad, CharVocab, VanillaRNN, global_norm,
                            mean_squared_error, one_hot, sample, softmax, softmax_cross_entropy,
                            tbptt_windows, train, train_step, train_tbptt)

SEEDS = range(5)
ABC = "abc" * 100


def _random_text(rng, n, alphabet="hello world!\n"):
    return "".join(rng.choice(list(alphabet), size=n))


# --- vocabulary and one-hot ----------------------------------------------------------------

def test_vocab_by_hand():
    vocab = CharVocab("hello")
    assert vocab.chars == "ehlo", f"chars: got {vocab.chars!r}, expected 'ehlo'"
    assert vocab.size == 4, f"size: got {vocab.size}, expected 4"
    np.testing.assert_array_equal(vocab.encode("hole"), [1, 3, 2, 0], err_msg="encode('hole')")
    assert vocab.encode("hole").dtype == np.int64
    assert vocab.decode([1, 0, 2, 2, 3]) == "hello"


@pytest.mark.parametrize("seed", SEEDS)
def test_vocab_round_trip_and_sorted_chars(seed):
    rng = np.random.default_rng(seed)
    text = _random_text(rng, 200, string.ascii_letters + string.punctuation + " \n")
    vocab = CharVocab(text)
    assert vocab.chars == "".join(sorted(set(text))), f"chars not sorted and unique: {vocab.chars!r}"
    assert vocab.size == len(set(text))
    ids = vocab.encode(text)
    assert ids.shape == (len(text),) and ids.min() >= 0 and ids.max() < vocab.size
    assert vocab.decode(ids) == text, "decode(encode(text)) != text"
    assert vocab.decode(ids.reshape(20, 10)) == text, "decode of a 2-D array"
    for i, ch in enumerate(vocab.chars):
        assert vocab.encode(ch)[0] == i, f"encode({ch!r}): got {vocab.encode(ch)[0]}, expected {i}"


@pytest.mark.parametrize("seed", SEEDS)
def test_one_hot(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(1, 8))
    ids = rng.integers(0, V, size=(4, 3))
    oh = one_hot(ids, V)
    assert oh.shape == (4, 3, V) and oh.dtype == np.float64, f"shape {oh.shape}, dtype {oh.dtype}"
    for idx in np.ndindex(ids.shape):
        want = np.zeros(V)
        want[ids[idx]] = 1.0
        np.testing.assert_array_equal(oh[idx], want, err_msg=f"one_hot at {idx} (id {ids[idx]})")
    vocab = CharVocab("cab")
    np.testing.assert_array_equal(vocab.one_hot("cab"), [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
                                  err_msg="CharVocab('cab').one_hot('cab')")


# --- TBPTT windows -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_tbptt_windows_cover_the_stream(seed):
    rng = np.random.default_rng(seed)
    N = int(rng.integers(2, 120))
    B = int(rng.integers(1, max(2, min(6, N - 1))))
    window = int(rng.integers(1, 15))
    ids = rng.integers(0, 10, size=N)
    windows = list(tbptt_windows(ids, window, batch_size=B))
    n = (N - 1) // B
    label = f"(N={N}, B={B}, window={window})"
    lengths = [len(inp) for inp, _ in windows]
    expected_lengths = [window] * (n // window) + ([n % window] if n % window else [])
    assert lengths == expected_lengths, f"window lengths {label}: got {lengths}, expected {expected_lengths}"
    inputs = np.concatenate([inp for inp, _ in windows])
    targets = np.concatenate([tgt for _, tgt in windows])
    assert inputs.shape == (n, B) and targets.shape == (n, B), f"shapes {inputs.shape}, {targets.shape}"
    for b in range(B):  # column b is the b-th contiguous slice of the stream
        np.testing.assert_array_equal(inputs[:, b], ids[b * n:(b + 1) * n],
                                      err_msg=f"inputs of column {b} {label}")
        np.testing.assert_array_equal(targets[:, b], ids[b * n + 1:(b + 1) * n + 1],
                                      err_msg=f"targets of column {b} {label}")
    np.testing.assert_array_equal(inputs.T.ravel(), ids[:n * B],
                                  err_msg=f"columns concatenated {label}")
    np.testing.assert_array_equal(targets[:-1], inputs[1:], err_msg=f"targets are inputs shifted {label}")


def test_tbptt_windows_by_hand():
    # ids 0..10, B = 2: n = 5; column 0 is 0..4 (targets 1..5), column 1 is 5..9 (6..10).
    windows = list(tbptt_windows(np.arange(11), 3, batch_size=2))
    assert len(windows) == 2
    np.testing.assert_array_equal(windows[0][0], [[0, 5], [1, 6], [2, 7]])
    np.testing.assert_array_equal(windows[0][1], [[1, 6], [2, 7], [3, 8]])
    np.testing.assert_array_equal(windows[1][0], [[3, 8], [4, 9]])
    np.testing.assert_array_equal(windows[1][1], [[4, 9], [5, 10]])


@pytest.mark.parametrize("seed", SEEDS)
def test_carried_state_equals_one_forward_over_the_concatenation(seed):
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(4, 6, 3, seed=seed)
    xs = rng.standard_normal((11, 2, 4))
    k = int(rng.integers(1, 10))
    ys, hs = rnn.forward(xs)
    ys1, hs1 = rnn.forward(xs[:k])
    ys2, hs2 = rnn.forward(xs[k:], h0=hs1[-1])
    np.testing.assert_allclose(np.concatenate([hs1, hs2[1:]]), hs, rtol=1e-13, atol=1e-14,
                               err_msg=f"hidden states, windows [:{k}] + [{k}:] vs one forward")
    np.testing.assert_allclose(np.concatenate([ys1, ys2]), ys, rtol=1e-13, atol=1e-14,
                               err_msg=f"outputs, windows [:{k}] + [{k}:] vs one forward")


def _record_forward(rnn):
    calls, original = [], rnn.forward

    def forward(xs, h0=None):
        ys, hs = original(xs, h0)
        calls.append((None if h0 is None else np.array(h0), hs[-1].copy()))
        return ys, hs

    rnn.forward = forward
    return calls


def test_train_tbptt_carries_the_state_and_restarts_each_epoch():
    vocab = CharVocab(ABC)
    ids = vocab.encode(ABC[:101])
    rnn = VanillaRNN(3, 8, 3, seed=0)
    calls = _record_forward(rnn)
    history = train_tbptt(rnn, ids, window=10, batch_size=2, epochs=2,
                          optimizer=SGD(rnn.params, lr=0.1), progress=False)
    per_epoch = 5  # n = 100 // 2 = 50 steps per column, windows of 10
    assert len(calls) == 2 * per_epoch == len(history["loss"]), (
        f"{len(calls)} forwards, {len(history['loss'])} losses; expected {2 * per_epoch}")
    for i, (h0, _) in enumerate(calls):
        if i % per_epoch == 0:
            assert h0 is None, f"window {i} starts an epoch; expected h0=None, got a state"
        else:
            assert h0 is not None, f"window {i}: the state was not carried (h0=None)"
            np.testing.assert_array_equal(h0, calls[i - 1][1],
                                          err_msg=f"h0 of window {i} vs last state of window {i - 1}")


def test_train_tbptt_records_nats_per_character():
    vocab = CharVocab(ABC)
    ids = vocab.encode(ABC[:13])  # one window of 12
    rnn = VanillaRNN(3, 5, 3, seed=1)
    ref = copy.deepcopy(rnn)
    ys, _ = ref.forward(one_hot(ids[:-1, None], 3))
    loss, _ = softmax_cross_entropy(ys, ids[1:, None])
    history = train_tbptt(rnn, ids, window=12, optimizer=SGD(rnn.params), progress=False)
    assert history["loss"][0] == pytest.approx(loss / 12, rel=1e-12), (
        f"recorded loss: got {history['loss'][0]!r}, expected loss / 12 = {loss / 12!r}")


def test_train_tbptt_learns_abc():
    vocab = CharVocab(ABC)
    rnn = VanillaRNN(3, 16, 3, seed=0)
    history = train_tbptt(rnn, vocab.encode(ABC), window=10, optimizer=Adagrad(rnn.params, lr=0.1),
                          epochs=2, clip_norm=5.0, progress=False)
    loss, norm = history["loss"], history["grad_norm"]
    assert loss.shape == norm.shape == (60,), f"shapes: loss {loss.shape}, grad_norm {norm.shape}"
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(norm))
    first, last = loss[0], loss[-5:].mean()  # it learns "abc" within a few windows
    assert first == pytest.approx(math.log(3), abs=0.3), (
        f"first window: {first:.3f} nats/char; expected near log 3 = {math.log(3):.3f}")
    assert last < 0.1 * first, (
        f"per-char loss went from {first:.3f} (first window) to {last:.3f} (last 5); "
        "expected a clear drop")


# --- train_step and train ------------------------------------------------------------------

def _regression(seed, T=5, B=3, D=4, H=6, K=2):
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(D, H, K, seed=seed)
    xs = rng.standard_normal((T, B, D))
    targets = rng.standard_normal((T, B, K)) * 3.0
    return rnn, xs, targets


def _reference_grads(rnn, xs, targets):
    ref = copy.deepcopy(rnn)
    ys, hs = ref.forward(xs)
    loss, dys = mean_squared_error(ys, targets)
    grads = ref.backward(xs, hs, dys)
    return loss, {name: grads[name] for name in rnn.params}


@pytest.mark.parametrize("seed", SEEDS)
def test_train_step_without_clipping(seed):
    rnn, xs, targets = _regression(seed)
    loss_ref, grads = _reference_grads(rnn, xs, targets)
    before = copy.deepcopy(rnn.params)
    loss, norm, hs = train_step(rnn, xs, targets, mean_squared_error, SGD(rnn.params, lr=0.01))
    assert isinstance(loss, float) and math.isfinite(loss) and math.isfinite(norm)
    assert loss == pytest.approx(loss_ref, rel=1e-14), f"loss: got {loss!r}, expected {loss_ref!r}"
    assert norm == pytest.approx(global_norm(grads), rel=1e-14), f"norm: got {norm!r}"
    assert hs.shape == (xs.shape[0] + 1, xs.shape[1], rnn.sizes[1])
    for name in rnn.params:
        np.testing.assert_allclose(rnn.params[name], before[name] - 0.01 * grads[name],
                                   rtol=1e-13, atol=1e-15, err_msg=f"params[{name!r}] after train_step")


@pytest.mark.parametrize("seed", SEEDS)
def test_train_step_honours_clip_norm(seed):
    rnn, xs, targets = _regression(seed)
    _, grads = _reference_grads(rnn, xs, targets)
    true_norm = global_norm(grads)
    clip = true_norm / 4
    before = copy.deepcopy(rnn.params)
    lr = 0.1
    _, norm, _ = train_step(rnn, xs, targets, mean_squared_error, SGD(rnn.params, lr=lr),
                            clip_norm=clip)
    assert norm == pytest.approx(true_norm, rel=1e-14), (
        f"recorded norm: got {norm!r}, expected the norm before clipping {true_norm!r}")
    update = {name: (before[name] - rnn.params[name]) / lr for name in rnn.params}
    assert global_norm(update) == pytest.approx(clip, rel=1e-10), (
        f"norm of the applied gradient: got {global_norm(update)!r}, expected clip_norm {clip!r}")
    for name in rnn.params:
        np.testing.assert_allclose(update[name], grads[name] * (clip / true_norm), rtol=1e-9,
                                   atol=1e-13, err_msg=f"{name}: clipped gradient direction")


@pytest.mark.parametrize("seed", SEEDS)
def test_train_step_honours_clip_value(seed):
    rnn, xs, targets = _regression(seed)
    _, grads = _reference_grads(rnn, xs, targets)
    clip = 0.25 * max(float(np.abs(g).max()) for g in grads.values())
    before = copy.deepcopy(rnn.params)
    lr = 0.1
    _, norm, _ = train_step(rnn, xs, targets, mean_squared_error, SGD(rnn.params, lr=lr),
                            clip_value=clip)
    assert norm == pytest.approx(global_norm(grads), rel=1e-14), "recorded norm is not before clipping"
    for name in rnn.params:
        np.testing.assert_allclose((before[name] - rnn.params[name]) / lr,
                                   np.clip(grads[name], -clip, clip), rtol=1e-9, atol=1e-13,
                                   err_msg=f"{name}: applied gradient should be clipped to +-{clip:.3g}")


@pytest.mark.parametrize("seed", SEEDS)
def test_train_loop(seed):
    rng = np.random.default_rng(seed)
    rnn, xs, targets = _regression(seed)
    batches = [(xs + rng.standard_normal(xs.shape) * 0.1, targets) for _ in range(6)]
    _, first_grads = _reference_grads(rnn, *batches[0])
    history = train(rnn, batches, mean_squared_error, Adagrad(rnn.params, lr=0.05),
                    clip_norm=1e-3, progress=False)
    assert set(history) == {"loss", "grad_norm"}
    assert history["loss"].shape == history["grad_norm"].shape == (6,)
    assert np.all(np.isfinite(history["loss"])) and np.all(np.isfinite(history["grad_norm"]))
    assert history["grad_norm"][0] == pytest.approx(global_norm(first_grads), rel=1e-13), (
        "train records the norm before clipping")
    assert np.all(history["grad_norm"] > 1e-3), "recorded norms look clipped"
    gen = train(rnn, (b for b in batches[:2]), mean_squared_error, SGD(rnn.params, lr=0.01),
                progress=False)
    assert gen["loss"].shape == (2,), "train over a generator"


def test_train_lowers_a_regression_loss():
    rnn, xs, targets = _regression(0, T=4, B=8, D=3, H=10, K=2)
    history = train(rnn, [(xs, targets)] * 60, mean_squared_error, Adagrad(rnn.params, lr=0.05),
                    progress=False)
    first, last = history["loss"][0], history["loss"][-1]
    assert last < 0.7 * first, f"loss went from {first:.3f} to {last:.3f}; expected a drop"


# --- sampling ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_abc():
    vocab = CharVocab(ABC)
    rnn = VanillaRNN(3, 16, 3, seed=0)
    train_tbptt(rnn, vocab.encode(ABC), window=10, optimizer=Adagrad(rnn.params, lr=0.1),
                epochs=2, progress=False)
    return rnn, vocab


def test_sample_is_deterministic_and_seeded():
    vocab = CharVocab("hello world")
    rnn = VanillaRNN(vocab.size, 12, vocab.size, seed=3)
    params = copy.deepcopy(rnn.params)
    a = sample(rnn, vocab, "he", 40, seed=7)
    b = sample(rnn, vocab, "he", 40, seed=7)
    c = sample(rnn, vocab, "he", 40, seed=8)
    assert a == b, f"same seed, different text: {a!r} vs {b!r}"
    assert a != c, f"seeds 7 and 8 gave the same text {a!r}"
    assert len(a) == 40 and set(a) <= set(vocab.chars), f"{a!r}: wrong length or characters"
    assert sample(rnn, vocab, "h", 0, seed=1) == ""
    for name in params:
        np.testing.assert_array_equal(rnn.params[name], params[name], err_msg=f"sample changed {name}")


@pytest.mark.parametrize("seed", SEEDS)
def test_cold_sample_is_greedy_decoding(seed):
    """At a tiny temperature the draw is the argmax; a greedy loop written here must agree
    (it also checks that the prime's state is carried into the first draw)."""
    vocab = CharVocab("abcdef")
    rnn = VanillaRNN(6, 10, 6, seed=seed)
    prime = "fad"
    ys, hs = rnn.forward(vocab.one_hot(prime)[:, None, :])
    h, logits, greedy = hs[-1], ys[-1, 0], []
    for _ in range(15):
        idx = int(np.argmax(logits))
        greedy.append(vocab.chars[idx])
        ys, hs = rnn.forward(np.eye(6)[[[idx]]], h)
        h, logits = hs[-1], ys[-1, 0]
    got = sample(rnn, vocab, prime, 15, temperature=1e-9, seed=seed)
    assert got == "".join(greedy), f"cold sample {got!r} vs greedy {''.join(greedy)!r}"


def test_temperature_one_samples_the_model():
    """Over many draws of the first character, frequencies follow softmax(logits)."""
    vocab = CharVocab("abc")
    rnn = VanillaRNN(3, 4, 3, seed=2)
    rnn.params["W_yh"] *= 3.0
    ys, _ = rnn.forward(vocab.one_hot("ab")[:, None, :])
    p = softmax(ys[-1, 0])
    draws = [sample(rnn, vocab, "ab", 1, seed=s) for s in range(1500)]
    freq = np.array([draws.count(ch) for ch in vocab.chars]) / len(draws)
    np.testing.assert_allclose(freq, p, atol=0.05, err_msg="first-draw frequencies vs softmax")


def test_low_temperature_continues_the_pattern(trained_abc):
    rnn, vocab = trained_abc
    for seed in range(3):
        got = sample(rnn, vocab, "ab", 12, temperature=0.2, seed=seed)
        assert got == "cabcabcabcab", f"seed {seed}: got {got!r}, expected 'cabcabcabcab'"


def test_shipped_text_loads_and_unknown_name_is_refused():
    from lamassu_course import load_text
    text = load_text("alice")
    assert len(text.encode("utf-8")) > 50_000, len(text)
    assert text.lstrip().startswith("ALICE'S ADVENTURES IN WONDERLAND")
    assert "\r" not in text and "\x1a" not in text
    with pytest.raises(ValueError, match="unknown text 'bob'; expected one of 'alice'"):
        load_text("bob")
