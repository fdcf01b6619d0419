"""Chapter 3's character model tools: held-out loss, baselines, the training monitor, and
the clipping demonstration (``lamassu_course.experiments.charlm``, ``lamassu_course.experiments.clipping``)."""
import numpy as np
import pytest

from lamassu_course import (SGD, Adagrad, CharVocab, VanillaRNN, global_norm, one_hot,
                            softmax_cross_entropy, train_tbptt)
from lamassu_course.experiments.charlm import (BITS_PER_NAT, Monitor, bigram_nats, nats_per_char,
                                              rate_grid, unigram_nats, word_set, word_share)
from lamassu_course.experiments.clipping import (StepRecorder, clip_grid, loss_along,
                                                 run_until_spike)


def _stream(seed, n=200, V=6):
    return np.random.default_rng(seed).integers(0, V, size=n)


# ---------------------------------------------------------------- nats_per_char
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("streams", [1, 3, 8])
def test_nats_per_char_is_the_mean_loss_of_each_piece(seed, streams):
    V, ids = 6, _stream(seed)
    rnn = VanillaRNN(V, 7, V, seed=seed)
    n = (len(ids) - 1) // streams
    losses = []
    for b in range(streams):          # each piece read alone from h_0 = 0
        piece = ids[b * n: (b + 1) * n + 1]
        logits, _ = rnn.forward(one_hot(piece[:-1, None], V))
        losses.append(softmax_cross_entropy(logits, piece[1:, None])[0])
    assert nats_per_char(rnn, ids, streams) == pytest.approx(np.mean(losses) / n, rel=1e-12)


def test_a_model_with_zero_weights_guesses_uniformly():
    V = 5
    rnn = VanillaRNN(V, 4, V, seed=0)
    for value in rnn.params.values():
        value[...] = 0.0
    assert nats_per_char(rnn, _stream(0, V=V)) == pytest.approx(np.log(V), rel=1e-12)
    assert np.log(V) * BITS_PER_NAT == pytest.approx(np.log2(V), rel=1e-12)


def test_nats_per_char_refuses_bad_input():
    rnn = VanillaRNN(4, 3, 4, seed=0)
    with pytest.raises(ValueError, match="ids holds values in"):
        nats_per_char(rnn, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="ids has shape"):
        nats_per_char(rnn, np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="streams is 0"):
        nats_per_char(rnn, np.array([0, 1, 2]), streams=0)
    with pytest.raises(ValueError, match="need at least streams"):
        nats_per_char(rnn, np.array([0, 1, 2]), streams=5)


# ---------------------------------------------------------------- baselines
def test_baselines_by_hand():
    vocab = CharVocab("ab")
    train, test = vocab.encode("aaab"), vocab.encode("aab")
    # unigram: counts a=3, b=1, plus alpha=1 -> p(a) = 4/6, p(b) = 2/6; targets "ab"
    assert unigram_nats(train, test, 2) == pytest.approx(-(np.log(4 / 6) + np.log(2 / 6)) / 2)
    # bigram, alpha=1: pairs aa, aa, ab -> p(a|a) = 3/5, p(b|a) = 2/5; test pairs aa, ab
    assert bigram_nats(train, test, 2, alpha=1.0) == pytest.approx(
        -(np.log(3 / 5) + np.log(2 / 5)) / 2)


@pytest.mark.parametrize("seed", range(3))
def test_bigram_beats_unigram_on_text_with_structure(seed):
    rng = np.random.default_rng(seed)
    ids = np.cumsum(rng.integers(1, 3, size=2000)) % 7     # the next symbol depends on this one
    assert bigram_nats(ids[:1500], ids[1500:], 7) < unigram_nats(ids[:1500], ids[1500:], 7) - 0.3
    uniform = np.arange(700) % 7
    assert unigram_nats(uniform, uniform, 7) == pytest.approx(np.log(7), rel=1e-3)


def test_baselines_refuse_bad_input():
    ids = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="alpha is 0"):
        bigram_nats(ids, ids, 3, alpha=0)
    with pytest.raises(ValueError, match="test_ids holds values"):
        unigram_nats(ids, np.array([0, 3]), 3)


# ---------------------------------------------------------------- Monitor
def test_monitor_records_losses_and_samples():
    text = "the cat sat on the mat. " * 20
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    rnn = VanillaRNN(vocab.size, 8, vocab.size, seed=0)
    monitor = Monitor(vocab, ids[:200], ids[200:], every=5, sample_at=(0, 10), prime="the",
                      length=15)
    monitor(0, rnn)
    history = train_tbptt(rnn, ids[:400], window=10, batch_size=2,
                          optimizer=Adagrad(rnn.params, lr=0.1), progress=False, callback=monitor)
    updates = len(history["loss"])
    assert monitor.steps == list(range(0, updates + 1, 5))
    assert len(monitor.train) == len(monitor.heldout) == len(monitor.steps)
    assert sorted(monitor.samples) == [0, 10]
    assert all(len(text) == 15 for text in monitor.samples.values())
    assert monitor.heldout[-1] < monitor.heldout[0], "training should lower the held-out loss"
    assert updates == 20     # 199 steps per stream in windows of 10: the last update is recorded
    assert monitor.heldout[-1] == pytest.approx(nats_per_char(rnn, ids[200:]), rel=1e-12)
    with pytest.raises(ValueError, match="every is 0"):
        Monitor(vocab, ids, ids, every=0)
    held_only = Monitor(vocab, None, ids[200:], every=5)
    held_only(0, rnn)
    assert held_only.train == [] and held_only.heldout == [monitor.heldout[-1]]


# ---------------------------------------------------------------- clipping demonstration
def _spiky_run(factor=4.0, lr=0.5):
    ids = _stream(1, n=3000, V=8)
    rnn = VanillaRNN(8, 16, 8, seed=1)
    spike = run_until_spike(rnn, ids, window=10, batch_size=4, optimizer=SGD(rnn.params, lr=lr),
                            factor=factor)
    return rnn, spike


def test_run_until_spike_stops_before_the_first_spike():
    rnn, spike = _spiky_run()
    norms = spike["norms"]
    assert len(norms) == spike["step"]
    assert norms[-1] > 4.0 * np.median(norms[:-1])
    for i in range(2, len(norms) - 1):
        assert norms[i] <= 4.0 * np.median(norms[:i]), f"an earlier spike at update {i + 1}"
    # rnn holds the parameters the spike was computed at: recomputing gives the same gradient
    ys, hs = rnn.forward(spike["xs"], spike["h0"])
    loss, dys = softmax_cross_entropy(ys, spike["targets"])
    grads = rnn.backward(spike["xs"], hs, dys)
    for name in rnn.params:
        np.testing.assert_allclose(grads[name], spike["grads"][name], rtol=1e-12, err_msg=name)
    assert spike["loss"] == pytest.approx(loss / len(spike["xs"]))
    assert global_norm(spike["grads"]) == pytest.approx(norms[-1])


def test_run_until_spike_follows_train_tbptt_up_to_the_spike():
    ids = _stream(1, n=3000, V=8)
    _, spike = _spiky_run()
    twin = VanillaRNN(8, 16, 8, seed=1)    # the same run by train_tbptt, on the windows before
    history = train_tbptt(twin, ids, window=10, batch_size=4, optimizer=SGD(twin.params, lr=0.5),
                          progress=False, callback=lambda step, r: None)
    np.testing.assert_allclose(history["grad_norm"][:spike["step"]], spike["norms"], rtol=1e-10)


def test_run_until_spike_without_a_spike_and_bad_factor():
    ids = _stream(2, n=500)
    rnn = VanillaRNN(6, 5, 6, seed=0)
    with pytest.raises(RuntimeError, match="no gradient norm above 100"):
        run_until_spike(rnn, ids, window=10, batch_size=2, optimizer=Adagrad(rnn.params, 1e-3),
                        factor=100.0)
    with pytest.raises(ValueError, match="factor is 1"):
        run_until_spike(rnn, ids, window=10, batch_size=2, optimizer=Adagrad(rnn.params),
                        factor=1)


def test_loss_along_starts_at_the_loss_and_falls_at_the_gradient_rate():
    rnn, spike = _spiky_run()
    before = {name: value.copy() for name, value in rnn.params.items()}
    args = (rnn, spike["xs"], spike["targets"], spike["grads"])
    eps = 1e-6
    losses = loss_along(*args, np.array([0.0, eps, -eps]), h0=spike["h0"])
    assert losses[0] == pytest.approx(spike["loss"], rel=1e-12)
    # d/ds L(theta - s g/|g|) at 0 is -|g|, and loss_along reports L / k
    slope = (losses[1] - losses[2]) / (2 * eps)
    assert slope == pytest.approx(-global_norm(spike["grads"]) / len(spike["xs"]), rel=1e-5)
    for name in rnn.params:
        np.testing.assert_array_equal(rnn.params[name], before[name], err_msg=f"{name} not restored")
    with pytest.raises(ValueError, match="all zeros"):
        loss_along(rnn, spike["xs"], spike["targets"],
                   {n: 0 * g for n, g in spike["grads"].items()}, [1.0])


# ---------------------------------------------------------------- StepRecorder
def test_step_recorder_measures_sgd_steps():
    rnn = VanillaRNN(4, 5, 4, seed=0)
    recorder = StepRecorder(SGD(rnn.params, lr=0.1))
    grads = {name: np.ones_like(value) for name, value in rnn.params.items()}
    before = {name: value.copy() for name, value in rnn.params.items()}
    recorder.step(grads)
    # SGD: Delta = -lr g, so the step is lr ||g|| long and every weight moves by lr
    assert recorder.lengths == [pytest.approx(0.1 * np.sqrt(rnn.num_parameters()))]
    assert recorder.largest == [pytest.approx(0.1)]
    for name, value in rnn.params.items():
        np.testing.assert_allclose(value, before[name] - 0.1)


def test_adagrad_moves_no_weight_more_than_lr_but_its_step_can_be_long():
    ids = _stream(3, n=400)
    rnn = VanillaRNN(6, 8, 6, seed=0)
    recorder = StepRecorder(Adagrad(rnn.params, lr=0.05))
    train_tbptt(rnn, ids, window=10, batch_size=4, optimizer=recorder, progress=False,
                clip_value=5.0)
    assert len(recorder.lengths) == len(recorder.largest) == 10
    assert max(recorder.largest) <= 0.05 * (1 + 1e-9)
    # the first update moves every weight with a gradient by almost exactly lr
    assert recorder.lengths[0] > 0.05 * np.sqrt(rnn.num_parameters() / 2)
    assert np.median(recorder.lengths[5:]) < recorder.lengths[0] / 2
    with pytest.raises(ValueError, match="expected an object with .params"):
        StepRecorder("sgd")


# ---------------------------------------------------------------- rate_grid
def test_rate_grid_is_the_loss_after_the_same_updates():
    ids = _stream(4, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    make = lambda params, lr: SGD(params, lr=lr)                 # noqa: E731
    grid = rate_grid(new_model, make, (0.05, 0.2), (0, 1), ids[:800], ids[800:], updates=3,
                     window=10, batch_size=4, clip_norm=5.0)
    assert grid.shape == (2, 2)
    twin = new_model(1)                                          # rate 0.2, seed 1, by hand
    history = train_tbptt(twin, ids[:3 * 10 * 4 + 1], window=10, batch_size=4,
                          optimizer=SGD(twin.params, lr=0.2), progress=False, clip_norm=5.0)
    assert len(history["loss"]) == 3
    assert grid[1, 1] == pytest.approx(nats_per_char(twin, ids[800:]), rel=1e-12)


def test_rate_grid_counts_a_diverged_run_as_inf_and_refuses_bad_input():
    ids = _stream(5, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    make = lambda params, lr: SGD(params, lr=lr)                 # noqa: E731
    grid = rate_grid(new_model, make, (1e308,), (0,), ids, ids, updates=5, window=10,
                     batch_size=4)
    assert grid[0, 0] == np.inf
    with pytest.raises(ValueError, match="updates is 0"):
        rate_grid(new_model, make, (0.1,), (0,), ids, ids, updates=0)
    with pytest.raises(ValueError, match="need 4001 characters"):
        rate_grid(new_model, make, (0.1,), (0,), ids, ids, updates=100, window=10,
                  batch_size=4)
    with pytest.raises(ValueError, match="at least one value"):
        rate_grid(new_model, make, (), (0,), ids, ids, updates=1)
    with pytest.raises(ValueError, match="lr is -1"):      # not a divergence: raised
        rate_grid(new_model, make, (-1,), (0,), ids, ids, updates=1, window=10, batch_size=4)


def test_rate_grid_records_each_run_for_reuse():
    ids = _stream(4, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    make = lambda params, lr: StepRecorder(SGD(params, lr=lr))   # noqa: E731
    records = {}
    rate_grid(new_model, make, (0.05, 0.2), (0, 1), ids[:800], ids[800:], updates=3,
              window=10, batch_size=4, clip_norm=5.0, records=records)
    assert sorted(records) == [(0.05, 0), (0.05, 1), (0.2, 0), (0.2, 1)]
    assert len(records[0.2, 1]["loss"]) == 3 and len(records[0.2, 1]["optimizer"].lengths) == 3


# ---------------------------------------------------------------- clip_grid
def test_clip_grid_matches_rate_grid_and_reuses_known_runs():
    ids = _stream(6, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    settings = {"none": {}, "value 0.1": {"clip_value": 0.1}, "norm 1": {"clip_norm": 1.0}}
    losses, runs = clip_grid(new_model, 0.5, settings, (0, 1), ids[:800], ids[800:],
                             updates=3, window=10, batch_size=4)
    assert losses.shape == (3, 2) and set(runs) == {(l, s) for l in settings for s in (0, 1)}
    by_rate = rate_grid(new_model, lambda p, lr: SGD(p, lr=lr), (0.5,), (0, 1), ids[:800],
                        ids[800:], updates=3, window=10, batch_size=4, clip_norm=1.0)
    assert np.allclose(losses[2], by_rate[0], rtol=1e-12)
    steps = runs["norm 1", 0]["steps"]
    assert len(steps) == 3 and np.all(steps <= 0.5 * 1.0 * (1 + 1e-9))   # ||step|| <= lr c
    value_steps = runs["value 0.1", 0]["steps"]
    n = new_model(0).num_parameters()
    assert np.all(value_steps <= 0.5 * 0.1 * np.sqrt(n) * (1 + 1e-9))     # <= lr c sqrt(n)
    again, reused = clip_grid(new_model, 0.5, {"norm 1": {"clip_norm": 1.0}}, (0,), ids[:800],
                              ids[800:], updates=3, window=10, batch_size=4,
                              known={("norm 1", 0): (7.0, {"steps": "kept"})})
    assert again[0, 0] == 7.0 and reused["norm 1", 0] == {"steps": "kept"}


def test_clip_grid_refuses_bad_settings():
    ids = _stream(6, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    with pytest.raises(ValueError, match="expected a non-empty dict"):
        clip_grid(new_model, 0.1, {}, (0,), ids, ids, updates=1)
    with pytest.raises(ValueError, match=r"settings\['both'\]"):
        clip_grid(new_model, 0.1, {"both": {"clip_value": 1.0, "clip_norm": 1.0}}, (0,), ids,
                  ids, updates=1)
    with pytest.raises(ValueError, match="updates is 0"):
        clip_grid(new_model, 0.1, {"none": {}}, (0,), ids, ids, updates=0)
    with pytest.raises(ValueError, match="need 4001 characters"):
        clip_grid(new_model, 0.1, {"none": {}}, (0,), ids, ids, updates=100, window=10,
                  batch_size=4)


# ---------------------------------------------------------------- words of a sample
def test_word_share_counts_known_words():
    known = word_set("The cat sat, on THE mat.")
    assert known == {"the", "cat", "sat", "on", "mat"}
    assert word_share("the dog sat", known) == pytest.approx(2 / 3)
    assert word_share("Cat! ... mat?", known) == 1.0
    assert word_share("123 !!", known) == 0.0


def test_monitor_streams_reach_nats_per_char():
    text = "the cat sat on the mat. " * 20
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    rnn = VanillaRNN(vocab.size, 8, vocab.size, seed=0)
    monitor = Monitor(vocab, ids[:200], ids[200:], every=1, streams=4)
    monitor(0, rnn)
    assert monitor.heldout[0] == pytest.approx(nats_per_char(rnn, ids[200:], 4), rel=1e-12)
    assert monitor.heldout[0] != pytest.approx(nats_per_char(rnn, ids[200:], 16), rel=1e-6)
