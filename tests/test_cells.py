"""Chapter 6's comparison tools: LSTMs trained in lockstep get the numbers of training each
alone, matched parameter counts, and the gradient-highway measurement."""
import numpy as np
import pytest

from lamassu_course import GRU, VanillaRNN
from lamassu_course.experiments.cells import LSTMLockstep, matched_hidden_size
from lamassu_course.experiments.gradients import model_state_gradient_norms
from lamassu_course.experiments.highway import cell_shares, hidden_shares
from lamassu_course.experiments.memory import (last_step_loss, recall_batch, recall_runs,
                                               train_recall, train_recall_lockstep)
from lamassu_course.lstm import LSTM


def _with_random_biases(model, rng):
    for name in model.params:                  # non-zero biases, so each bias gradient shows
        if name.startswith("b"):
            model.params[name][:] = rng.standard_normal(model.params[name].shape)
    return model


@pytest.mark.parametrize("seed", range(4))
def test_each_member_gets_the_gradient_of_lstm_backward(seed):
    rng = np.random.default_rng(seed)
    T, B, M, D, H, K = rng.integers(1, 7, size=6) + np.array([0, 0, 0, 1, 0, 1])
    models = [_with_random_biases(LSTM(D, H, K, seed=int(rng.integers(1000))), rng)
              for _ in range(M)]
    xs = rng.standard_normal((T, M, B, D))
    targets = rng.integers(0, K, size=(M, B))
    stack = LSTMLockstep(models, np.full(M, 0.1))
    for _ in range(2):                        # the second call reuses the work arrays
        losses, grads = stack.gradients(xs, targets)
    for m, model in enumerate(models):
        ys, cache = model.forward(xs[:, m])
        loss, dys = last_step_loss(ys, targets[m])
        expected = model.backward(xs[:, m], cache, dys)
        assert losses[m] == pytest.approx(loss, rel=1e-12)
        assert set(grads) == set(model.params)
        for name in model.params:
            np.testing.assert_allclose(grads[name][m], expected[name], rtol=1e-10, atol=1e-13,
                                       err_msg=f"member {m}, d{name}")


def test_training_lstms_in_lockstep_equals_training_each_alone():
    rates, seeds = (0.1, 0.03, 0.05), (0, 1, 0)           # two models share their batches
    alone = [LSTM(5, 6, 4, seed=s, forget_bias=2.0) for s in seeds]
    for model, rate, seed in zip(alone, rates, seeds):
        train_recall(model, 7, 8, lr=rate, seed=seed, batch_size=8)
    together = [LSTM(5, 6, 4, seed=s, forget_bias=2.0) for s in seeds]
    losses = train_recall_lockstep(together, 7, 8, lrs=rates, seeds=seeds, batch_size=8)
    assert losses.shape == (8, 3)
    for a, b in zip(alone, together):
        for name in a.params:
            assert not np.array_equal(a.params[name], LSTM(5, 6, 4, seed=0).params[name])
            np.testing.assert_allclose(b.params[name], a.params[name], rtol=1e-9, atol=1e-12)


def test_recall_runs_trains_lstms_and_scores_them():
    rng = np.random.default_rng(0)
    held_out = {"test": recall_batch(rng, 20, 3, 4, "test")}
    runs = recall_runs(lambda seed: LSTM(5, 4, 4, seed=seed), 3, 5, (0.1, 0.3), (0, 1),
                       held_out, batch_size=4)
    assert runs["loss"].shape == (5, 2, 2) and runs["test"].shape == (2, 2)
    assert all(isinstance(m, LSTM) for row in runs["models"] for m in row)


@pytest.mark.parametrize("make, target, expected", [
    (lambda H: VanillaRNN(5, H, 4), 420, (16, 420)),
    (lambda H: VanillaRNN(5, H, 4), 700, (22, 708)),
    (lambda H: GRU(5, H, 4), 700, (12, 700)),
    (lambda H: LSTM(5, H, 4), 700, (10, 684)),
    (lambda H: LSTM(5, H, 4), 1, (1, 36)),
])
def test_matched_hidden_size_picks_the_closest_count(make, target, expected):
    assert matched_hidden_size(make, target) == expected


@pytest.mark.parametrize("kwargs, message", [
    (dict(make=None, target=10), "make is None"),
    (dict(make=lambda H: LSTM(5, H, 4), target=0), "target is 0"),
    (dict(make=lambda H: LSTM(5, H, 4), target=10, sizes=[]), "sizes is empty"),
])
def test_matched_hidden_size_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        matched_hidden_size(**kwargs)


@pytest.mark.parametrize("models, lrs, message", [
    ([], [], "models is empty"),
    ([GRU(5, 3, 4)], [0.1], "models holds a GRU; expected LSTM"),
    ([LSTM(5, 3, 4, output_activation="softmax")], [0.1], "output_activation is 'softmax'"),
    ([LSTM(5, 3, 4), LSTM(5, 4, 4)], [0.1, 0.1], "expected one"),
    ([LSTM(5, 3, 4)], [0.1, 0.1], "lrs has shape"),
])
def test_lstm_lockstep_refuses_bad_input(models, lrs, message):
    with pytest.raises(ValueError, match=message):
        LSTMLockstep(models, lrs)


def _recall_loss(model, xs, targets):
    ys, _ = model.forward(xs)
    return last_step_loss(ys, targets)[1]


def test_hidden_shares_agree_with_chapter_4s_measurement():
    rng = np.random.default_rng(3)
    rnn = VanillaRNN(5, 7, 4, seed=2)
    xs, targets = recall_batch(rng, 6, 9, 4)
    dys = _recall_loss(rnn, xs, targets)
    norms = model_state_gradient_norms(rnn, xs, dys).mean(axis=1)     # t = 0..T-1
    shares = hidden_shares(rnn, xs, dys)
    assert shares.shape == (len(xs) + 1,) and shares[-1] == 1.0
    np.testing.assert_allclose(shares[:-1] / shares[-2], norms / norms[-1], rtol=1e-12)


def test_cell_shares_read_the_full_gradient_and_the_forget_gate_product():
    rng = np.random.default_rng(4)
    lstm = _with_random_biases(LSTM(5, 6, 4, seed=1), rng)
    xs, targets = recall_batch(rng, 5, 8, 4)
    dys = _recall_loss(lstm, xs, targets)
    shares = cell_shares(lstm, xs, dys)
    _, cache = lstm.forward(xs)
    dcs = lstm.backward(xs, cache, dys, state_grads=True)["cs"]
    full = np.linalg.norm(dcs, axis=2).mean(axis=1)
    np.testing.assert_allclose(shares["cell"], full / full[-1], rtol=1e-12)
    T = len(xs)
    for t in range(T + 1):                   # (f_{t+1} ... f_T) * dL/dc_T, written out
        product = np.prod(cache["f"][t:], axis=0) * dcs[-1]
        expected = np.linalg.norm(product, axis=1).mean() / np.linalg.norm(dcs[-1], axis=1).mean()
        assert shares["highway"][t] == pytest.approx(expected, rel=1e-12)
    # The cell path alone passes less than the whole gradient here, and decays.
    assert np.all(np.diff(shares["highway"]) > 0)


def test_the_highway_is_the_whole_cell_gradient_when_the_recurrent_weights_are_zero():
    rng = np.random.default_rng(5)
    lstm = _with_random_biases(LSTM(5, 4, 4, seed=0), rng)
    for gate in "ifoc":
        lstm.params[f"W_{gate}h"][:] = 0.0       # no path from c_{t-1} through h_{t-1}
    xs, targets = recall_batch(rng, 3, 6, 4)
    shares = cell_shares(lstm, xs, _recall_loss(lstm, xs, targets))
    np.testing.assert_allclose(shares["cell"], shares["highway"], rtol=1e-12)


@pytest.mark.parametrize("function, model, message", [
    (hidden_shares, GRU(5, 3, 4), "expected a VanillaRNN"),
    (hidden_shares, VanillaRNN(5, 3, 4, output_activation="softmax"), "identity output"),
    (cell_shares, VanillaRNN(5, 3, 4), "lstm is a VanillaRNN; expected an LSTM"),
])
def test_shares_refuse_the_wrong_model(function, model, message):
    xs = np.zeros((3, 2, 5))
    with pytest.raises(ValueError, match=message):
        function(model, xs, np.zeros((3, 2, 4)))


def test_shares_refuse_a_loss_that_reads_earlier_outputs():
    with pytest.raises(ValueError, match="dys is non-zero before the last step"):
        cell_shares(LSTM(5, 3, 4), np.zeros((3, 2, 5)), np.ones((3, 2, 4)))
