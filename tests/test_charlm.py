"""Chapter 3's character model tools: held-out loss, baselines, the training monitor, and
the clipping demonstration (``lamassu_course.experiments.charlm``, ``lamassu_course.experiments.clipping``)."""
import numpy as np
import pytest

from lamassu_course import (SGD, Adagrad, CharVocab, VanillaRNN, global_norm, one_hot,
                            softmax_cross_entropy, train_tbptt)
from lamassu_course.experiments.charlm import (BITS_PER_NAT, Monitor, TextStack, bigram_nats,
                                              nats_per_char, rate_grid, stack_runs, unigram_nats,
                                              word_set, word_share, charlm_benchmark)
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


# ---------------------------------------------------------------- TextStack
def _models(seeds, V=6, H=5, dtype=np.float64):
    return [VanillaRNN(V, H, V, seed=seed, dtype=dtype) for seed in seeds]


@pytest.mark.parametrize("seed", range(3))
def test_text_stack_gradient_is_the_backward_pass_of_each_model(seed):
    rng = np.random.default_rng(seed)
    V, H, k, B = int(rng.integers(3, 8)), int(rng.integers(2, 7)), 7, 3
    models = _models((seed, seed + 10), V, H)
    alone = [{name: value.copy() for name, value in m.params.items()} for m in models]
    stack = TextStack(models, optimizer="sgd", lrs=0.1)
    inputs, targets = rng.integers(0, V, (k, B)), rng.integers(0, V, (k, B))
    h0 = 0.5 * rng.standard_normal((2, B, H))
    losses, grads, h_last = stack.gradients(inputs, targets, h0)
    for m, params in enumerate(alone):
        rnn = VanillaRNN(V, H, V)
        rnn.params = params
        xs = one_hot(inputs, V)
        ys, hs = rnn.forward(xs, h0[m])
        loss, dys = softmax_cross_entropy(ys, targets)
        expected = rnn.backward(xs, hs, dys)
        assert losses[m] == pytest.approx(loss, rel=1e-12)
        assert np.allclose(h_last[m], hs[-1], rtol=1e-12, atol=0)
        for name in params:
            error = np.max(np.abs(grads[name][m] - expected[name])) / np.max(np.abs(expected[name]))
            assert error < 1e-12, f"d{name} of model {m}: relative error {error:.1e}"


@pytest.mark.parametrize("optimizer, options", [
    ("sgd", {"clip_norm": 1.0}), ("sgd", {"clip_value": 0.05}), ("sgd", {}),
    ("adagrad", {"clip_value": 5.0}), ("adagrad", {"clip_norm": 2.0})])
def test_text_stack_trains_each_model_as_train_tbptt_does(optimizer, options):
    ids = _stream(7, n=400)
    lrs = (0.3, 0.1) if optimizer == "sgd" else (0.05, 0.2)
    stack_models = _models((0, 1))
    recorders = []
    record = TextStack(stack_models, optimizer=optimizer, lrs=lrs, **options).train(
        ids, window=6, batch_size=4, epochs=2)
    for m, (seed, lr) in enumerate(zip((0, 1), lrs)):
        rnn = VanillaRNN(6, 5, 6, seed=seed)
        make = SGD if optimizer == "sgd" else Adagrad
        recorders.append(StepRecorder(make(rnn.params, lr=lr)))
        history = train_tbptt(rnn, ids, window=6, batch_size=4, epochs=2, progress=False,
                              optimizer=recorders[-1], **options)
        for name, value in rnn.params.items():
            assert np.allclose(stack_models[m].params[name], value, rtol=1e-9, atol=1e-12), name
        assert np.allclose(record["loss"][m], history["loss"], rtol=1e-9)
        assert np.allclose(record["grad_norm"][m], history["grad_norm"], rtol=1e-9)
        assert np.allclose(record["steps"][m], recorders[-1].lengths, rtol=1e-7)
        assert np.allclose(record["largest"][m], recorders[-1].largest, rtol=1e-7)


def test_text_stack_mixes_settings_without_mixing_models():
    ids = _stream(8, n=400)
    models = _models((0, 0, 3))
    TextStack(models, optimizer="sgd", lrs=(0.5, 0.2, 0.5),
              clip_value=(None, 0.1, None), clip_norm=(1.0, None, None)).train(
        ids, window=5, batch_size=3)
    for model, (seed, lr, options) in zip(models, [(0, 0.5, {"clip_norm": 1.0}),
                                                  (0, 0.2, {"clip_value": 0.1}), (3, 0.5, {})]):
        rnn = VanillaRNN(6, 5, 6, seed=seed)
        train_tbptt(rnn, ids, window=5, batch_size=3, optimizer=SGD(rnn.params, lr=lr),
                    progress=False, **options)
        assert np.allclose(model.params["W_hh"], rnn.params["W_hh"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("window", [1, 7, 100])
def test_text_stack_nats_per_char_is_each_models(window):
    ids = _stream(9, n=300)
    models = _models((0, 1, 2))
    stack = TextStack(models, optimizer="sgd", lrs=0.1)
    scores = stack.nats_per_char(ids, streams=4, window=window)
    for model, score in zip(models, scores):
        assert score == pytest.approx(nats_per_char(model, ids, streams=4), rel=1e-12)


def test_text_stack_in_float32_follows_float64_for_a_few_updates():
    ids = _stream(10, n=400)
    low, high = _models((0,), dtype=np.float32), _models((0,))
    for models in (low, high):
        TextStack(models, optimizer="adagrad", lrs=0.05, clip_value=5.0).train(
            ids, window=6, batch_size=4)
    assert low[0].params["W_hh"].dtype == np.float32
    assert np.allclose(low[0].params["W_hh"], high[0].params["W_hh"], atol=1e-4)


def test_text_stack_stops_a_diverged_model_and_refuses_bad_input():
    ids = _stream(11, n=400)
    models = _models((0, 0))
    record = TextStack(models, optimizer="sgd", lrs=(1e308, 0.1)).train(ids, window=5,
                                                                        batch_size=3)
    assert np.isinf(record["loss"][0, -1]) and np.all(np.isfinite(record["loss"][1]))
    rnn = VanillaRNN(6, 5, 6, seed=0)
    train_tbptt(rnn, ids, window=5, batch_size=3, optimizer=SGD(rnn.params, lr=0.1),
                progress=False)
    assert np.allclose(models[1].params["W_hh"], rnn.params["W_hh"], rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="models is empty"):
        TextStack([], optimizer="sgd", lrs=0.1)
    with pytest.raises(ValueError, match="expected one"):
        TextStack([VanillaRNN(6, 5, 6), VanillaRNN(6, 4, 6)], optimizer="sgd", lrs=0.1)
    with pytest.raises(ValueError, match="hidden_activation='tanh'"):
        TextStack([VanillaRNN(6, 5, 6, hidden_activation="relu")], optimizer="sgd", lrs=0.1)
    with pytest.raises(ValueError, match="optimizer is 'adam'"):
        TextStack(_models((0,)), optimizer="adam", lrs=0.1)
    with pytest.raises(ValueError, match="lrs has 3 values; expected 1 or 2"):
        TextStack(_models((0, 1)), optimizer="sgd", lrs=(0.1, 0.1, 0.1))
    with pytest.raises(ValueError, match="clip_norm holds -1"):
        TextStack(_models((0,)), optimizer="sgd", lrs=0.1, clip_norm=-1)
    with pytest.raises(ValueError, match="expected a learning rate for every model"):
        TextStack(_models((0,)), optimizer="sgd", lrs=None)
    with pytest.raises(ValueError, match="ids holds values up to 6"):
        TextStack(_models((0,)), optimizer="sgd", lrs=0.1).train(np.arange(7), window=2,
                                                                 batch_size=2)


# ---------------------------------------------------------------- rate_grid
def test_rate_grid_is_the_loss_after_the_same_updates():
    ids = _stream(4, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    grid = rate_grid(new_model, "sgd", (0.05, 0.2), (0, 1), ids[:800], ids[800:], updates=3,
                     window=10, batch_size=4, clip_norm=5.0)
    assert grid.shape == (2, 2)
    twin = new_model(1)                                          # rate 0.2, seed 1, by hand
    history = train_tbptt(twin, ids[:3 * 10 * 4 + 1], window=10, batch_size=4,
                          optimizer=SGD(twin.params, lr=0.2), progress=False, clip_norm=5.0)
    assert len(history["loss"]) == 3
    assert grid[1, 1] == pytest.approx(nats_per_char(twin, ids[800:]), rel=1e-9)


def test_rate_grid_counts_a_diverged_run_as_inf_and_refuses_bad_input():
    ids = _stream(5, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    grid = rate_grid(new_model, "sgd", (1e308, 0.1), (0,), ids, ids, updates=5, window=10,
                     batch_size=4)
    assert grid[0, 0] == np.inf and np.isfinite(grid[1, 0])
    with pytest.raises(ValueError, match="updates is 0"):
        rate_grid(new_model, "sgd", (0.1,), (0,), ids, ids, updates=0)
    with pytest.raises(ValueError, match="need 4001 characters"):
        rate_grid(new_model, "sgd", (0.1,), (0,), ids, ids, updates=100, window=10,
                  batch_size=4)
    with pytest.raises(ValueError, match="at least one value"):
        rate_grid(new_model, "sgd", (), (0,), ids, ids, updates=1)
    with pytest.raises(ValueError, match="lrs holds -1"):    # not a divergence: raised
        rate_grid(new_model, "sgd", (-1,), (0,), ids, ids, updates=1, window=10, batch_size=4)
    with pytest.raises(ValueError, match="settings holds"):
        stack_runs(new_model, "sgd", [{"seed": 0}], ids, ids, updates=1)


def test_rate_grid_records_each_run_for_reuse():
    ids = _stream(4, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    records = {}
    grid = rate_grid(new_model, "adagrad", (0.05, 0.2), (0, 1), ids[:800], ids[800:],
                     updates=3, window=10, batch_size=4, clip_norm=5.0, records=records)
    assert sorted(records) == [(0.05, 0), (0.05, 1), (0.2, 0), (0.2, 1)]
    run = records[0.2, 1]
    assert len(run["loss"]) == 3 and len(run["steps"]) == 3 and len(run["largest"]) == 3
    assert nats_per_char(run["model"], ids[800:]) == pytest.approx(grid[1, 1], rel=1e-9)


# ---------------------------------------------------------------- clip_grid
def test_clip_grid_matches_rate_grid():
    ids = _stream(6, n=1000)
    new_model = lambda seed: VanillaRNN(6, 5, 6, seed=seed)      # noqa: E731
    settings = {"none": {}, "value 0.1": {"clip_value": 0.1}, "norm 1": {"clip_norm": 1.0},
                "own rate": {"lr": 0.05}}
    losses, runs = clip_grid(new_model, 0.5, settings, (0, 1), ids[:800], ids[800:],
                             updates=3, window=10, batch_size=4)
    assert losses.shape == (4, 2) and set(runs) == {(l, s) for l in settings for s in (0, 1)}
    by_rate = rate_grid(new_model, "sgd", (0.5,), (0, 1), ids[:800], ids[800:], updates=3,
                        window=10, batch_size=4, clip_norm=1.0)
    assert np.allclose(losses[2], by_rate[0], rtol=1e-9)
    own = rate_grid(new_model, "sgd", (0.05,), (0, 1), ids[:800], ids[800:], updates=3,
                    window=10, batch_size=4)
    assert np.allclose(losses[3], own[0], rtol=1e-9)
    steps = runs["norm 1", 0]["steps"]
    assert len(steps) == 3 and np.all(steps <= 0.5 * 1.0 * (1 + 1e-9))   # ||step|| <= lr c
    value_steps = runs["value 0.1", 0]["steps"]
    n = new_model(0).num_parameters()
    assert np.all(value_steps <= 0.5 * 0.1 * np.sqrt(n) * (1 + 1e-9))     # <= lr c sqrt(n)
    assert np.all(runs["value 0.1", 0]["largest"] <= 0.5 * 0.1 * (1 + 1e-9))


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


# ---------------------------------------------------------------- the benchmark's results
def _table_rows(markdown):
    rows = [line for line in markdown.split("## float32")[0].splitlines()
            if line.startswith("| ") and line[2].isdigit()]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_shipped_benchmark_results_are_the_markdown_table():
    from pathlib import Path
    results = charlm_benchmark()
    markdown = (Path(__file__).resolve().parents[1] / "benchmarks" / "charlm.md").read_text()
    assert f"- date: {results['date']}" in markdown
    assert f"- machine: {results['machine']}" in markdown
    assert f"- cap: {results['cap_seconds']} s" in markdown
    target = results["target"]
    assert f"(order {target['order']}), {target['heldout_bpc']:.3f} bits/char" in markdown
    rows = _table_rows(markdown)
    assert len(rows) == len(results["settings"]) == 2
    for row, run in zip(rows, results["settings"]):
        assert row[:6] == [str(run["H"]), str(run["B"]), str(run["lr"]), str(run["passes"]),
                           str(run["training_seconds"]), f"{run['last_bpc']:.3f}"]
        assert row[6] == (f"{run['best_bpc']:.3f} (pass {run['best_pass']}, "
                          f"{run['best_seconds']} s)")
        assert row[7].startswith("yes" if run["beats_target"] else "no")
        assert run["best_bpc"] <= run["last_bpc"] and run["best_pass"] <= run["passes"]
    for key in ("optimizer", "window", "clip_value", "dtype", "seed"):
        assert key in results["rnn"]


def test_the_table_reader_catches_a_changed_number():
    rows = _table_rows("| H |\n|---:|\n| 100 | 32 | 0.05 | 601 | 300 | 2.535 | 2.379 (pass 78, "
                       "34 s) | no |\n")
    assert rows[0][5] == "2.535" and rows[0][6].startswith("2.379")
