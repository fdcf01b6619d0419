"""Training many models in lockstep gives the numbers of training each one alone.

``experiments.lockstep`` re-derives the last-step loss's backward pass for a stack of M models;
these tests hold it to the one-model code (``VanillaRNN.backward``, ``GRU.backward``,
``train_recall``), and test the held-out split of the recall task that Chapter 4 trains on.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lamassu_course import VanillaRNN  # noqa: E402
from lamassu_course.classroom.vanishing import draw_recall_runs  # noqa: E402
from lamassu_course.experiments.gradients import model_state_gradient_norms  # noqa: E402
from lamassu_course.experiments.lockstep import Lockstep  # noqa: E402
from lamassu_course.experiments.memory import (counting_accuracy, last_step_loss,  # noqa: E402
                                               latch_rnn, recall_accuracy, recall_batch,
                                               recall_runs, recall_split, train_recall,
                                               train_recall_lockstep, training_overlap)
from lamassu_course.gated import GRU  # noqa: E402

MAKERS = {
    "tanh": lambda D, H, K, seed: VanillaRNN(D, H, K, seed=seed),
    "relu": lambda D, H, K, seed: VanillaRNN(D, H, K, seed=seed, hidden_activation="relu",
                                             recurrent_init="identity"),
    "GRU": lambda D, H, K, seed: GRU(D, H, K, seed=seed, update_bias=-1.0),
}


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("seed", range(3))
def test_each_member_gets_the_gradient_of_the_one_model_code(kind, seed):
    rng = np.random.default_rng(seed)
    T, B, M, D, H, K = rng.integers(1, 7, size=6) + np.array([0, 0, 0, 1, 0, 1])
    models = [MAKERS[kind](D, H, K, seed=int(rng.integers(1000))) for _ in range(M)]
    for model in models:                       # non-zero biases, so each bias gradient shows
        for name in model.params:
            if name.startswith("b"):
                model.params[name][:] = rng.standard_normal(model.params[name].shape)
    xs = rng.standard_normal((T, M, B, D))
    targets = rng.integers(0, K, size=(M, B))
    losses, grads = Lockstep(models, np.full(M, 0.1)).gradients(xs, targets)
    for m, model in enumerate(models):
        ys, hs = model.forward(xs[:, m])
        loss, dys = last_step_loss(ys, targets[m])
        expected = model.backward(xs[:, m], hs, dys)
        assert losses[m] == pytest.approx(loss, rel=1e-12)
        for name in model.params:
            np.testing.assert_allclose(grads[name][m], expected[name], rtol=1e-10, atol=1e-13,
                                       err_msg=f"{kind}, member {m}, d{name}")


@pytest.mark.parametrize("kind", MAKERS)
def test_training_in_lockstep_equals_training_alone(kind):
    rates, seeds = (0.1, 0.03, 0.05), (0, 1, 0)           # two models share their batches
    alone = [MAKERS[kind](5, 6, 4, seed=s) for s in seeds]
    for model, rate, seed in zip(alone, rates, seeds):
        train_recall(model, 7, 8, lr=rate, seed=seed, batch_size=8)
    together = [MAKERS[kind](5, 6, 4, seed=s) for s in seeds]
    losses = train_recall_lockstep(together, 7, 8, lrs=rates, seeds=seeds, batch_size=8)
    assert losses.shape == (8, 3)
    for a, b in zip(alone, together):
        for name in a.params:
            np.testing.assert_allclose(b.params[name], a.params[name], rtol=1e-9, atol=1e-12)


def test_an_exploding_member_stops_and_the_others_go_on():
    models = [VanillaRNN(5, 4, 4, seed=s, hidden_activation="relu") for s in range(2)]
    models[0].params["W_hh"][:] = 1e200 * np.eye(4)        # overflows at the second step
    before = {name: value.copy() for name, value in models[0].params.items()}
    train_recall_lockstep(models, 6, 3, lrs=(0.1, 0.1), seeds=(0, 0))
    for name, value in before.items():
        np.testing.assert_array_equal(models[0].params[name], value)
    assert np.all(np.isfinite(models[1].params["W_hh"]))


@pytest.mark.parametrize("models, lrs, message", [
    ([], [], "models is empty"),
    ([VanillaRNN(3, 4, 2), GRU(3, 4, 2)], [0.1, 0.1], "models mixes architectures"),
    ([VanillaRNN(3, 4, 2), VanillaRNN(3, 5, 2)], [0.1, 0.1], "models mixes architectures"),
    ([VanillaRNN(3, 4, 2, output_activation="softmax")], [0.1], "expected 'identity'"),
    ([VanillaRNN(3, 4, 2)], [0.1, 0.2], "lrs has shape (2,); expected 1 positive"),
    ([VanillaRNN(3, 4, 2)], [-0.1], "expected 1 positive learning rates"),
    (["a model"], [0.1], "models holds a str"),
])
def test_bad_stacks_are_named(models, lrs, message):
    with pytest.raises(ValueError) as error:
        Lockstep(models, lrs)
    assert message in str(error.value)


# ---------------------------------------------------------------- the held-out split
def test_each_split_draws_only_its_own_sequences():
    rng = np.random.default_rng(0)
    for split in ("train", "validation", "test"):
        xs, targets = recall_batch(rng, 300, 4, split=split)
        assert xs.shape == (5, 300, 5) and set(recall_split(xs)) == {split}
        assert set(targets) == {0, 1, 2, 3}                 # every target in every split
    xs, _ = recall_batch(rng, 2000, 4)
    shares = {split: np.mean(recall_split(xs) == split) for split in ("validation", "test")}
    assert all(0.1 < share < 0.19 for share in shares.values()), shares   # about 1/7 each
    with pytest.raises(ValueError, match="split is 'dev'"):
        recall_batch(rng, 3, 4, split="dev")


def test_held_out_sequences_never_occur_in_training():
    held, _ = recall_batch(np.random.default_rng(1), 400, 4, split="test")
    assert training_overlap(held, seeds=(0, 1), steps=50) == 0
    anything, _ = recall_batch(np.random.default_rng(1), 400, 4)   # 4^4 = 256 sequences
    assert training_overlap(anything, seeds=(0, 1), steps=50) > 200


def test_recall_runs_and_its_figure():
    rng = np.random.default_rng(2)
    runs, best = {}, {}
    for L in (2, 3):
        held_out = {"validation": recall_batch(rng, 50, L, split="validation"),
                    "test": recall_batch(rng, 60, L, split="test")}
        for name, make in (("vanilla", lambda s: VanillaRNN(5, 6, 4, seed=s)),
                           ("GRU", lambda s: GRU(5, 4, 4, seed=s, update_bias=-2.0))):
            runs[name, L] = recall_runs(make, L, 12, (0.1, 0.3), range(3), held_out)
            best[name, L] = 0
    run = runs["GRU", 3]
    assert run["loss"].shape == (12, 2, 3) and run["test"].shape == run["validation"].shape
    assert len(run["models"]) == 2 and len(run["models"][0]) == 3
    assert isinstance(run["models"][1][2], GRU)
    fig, axes = plt.subplots(1, 3)
    draw_recall_runs(axes, runs, (0.1, 0.3), best, chance=0.25, baseline={2: 0.6, 3: 0.5})
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    plt.close(fig)


def test_recall_runs_of_several_networks_in_one_lockstep():
    rng = np.random.default_rng(3)
    held_out = {"test": recall_batch(rng, 40, 4, split="test")}
    makers = {"closed": lambda s: GRU(5, 4, 4, seed=s, update_bias=-3.0),
              "open": lambda s: GRU(5, 4, 4, seed=s, update_bias=0.0)}
    together = recall_runs(makers, 4, 6, (0.1, 0.5), range(2), held_out)
    assert set(together) == {"closed", "open"}
    for name, make in makers.items():
        alone = recall_runs(make, 4, 6, (0.1, 0.5), range(2), held_out)
        assert np.allclose(together[name]["loss"], alone["loss"], rtol=1e-12, atol=0)
        assert np.array_equal(together[name]["test"], alone["test"])
        assert np.allclose(together[name]["models"][1][0].params["b_u"],
                           alone["models"][1][0].params["b_u"], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="make is an empty dict"):
        recall_runs({}, 4, 6, (0.1,), range(1), held_out)


def test_counting_baseline_counts_exactly():
    # symbols (L = 3): A A B -> A (right), B B A -> A (wrong), A B C -> A (a three-way tie)
    xs = np.zeros((4, 3, 5))
    for b, row in enumerate(([0, 0, 1], [0, 1, 1], [0, 1, 2])):
        xs[np.arange(3), b, row] = 1.0
    xs[3, :, 4] = 1.0
    assert np.isclose(counting_accuracy(xs, np.array([0, 0, 0])), (1 + 0 + 1 / 3) / 3)
    rng = np.random.default_rng(4)
    xs, targets = recall_batch(rng, 2000, 40)
    assert 0.28 < counting_accuracy(xs, targets) < 0.36     # above chance, far from 1
    with pytest.raises(ValueError, match="targets"):
        counting_accuracy(xs, targets[:5])


def test_hand_set_latch_solves_every_delay():
    rng = np.random.default_rng(5)
    for delay in (1, 40, 300):
        xs, targets = recall_batch(rng, 500, delay)
        assert recall_accuracy(latch_rnn(), xs, targets) == 1.0
    broken = latch_rnn()
    broken.params["W_hh"] *= 0.1                # too weak: distractors overwrite it
    with pytest.raises(ValueError, match="strength"):
        latch_rnn(strength=0.5)
    xs, targets = recall_batch(rng, 500, 40)
    assert recall_accuracy(broken, xs, targets) < 0.6
    with pytest.raises(ValueError, match="hidden_size"):
        latch_rnn(hidden_size=3)

    # saturated, the latch passes (almost) no gradient back to the symbol it holds
    xs, targets = recall_batch(rng, 64, 40)
    dys = last_step_loss(latch_rnn().forward(xs)[0], targets)[1]
    norms = model_state_gradient_norms(latch_rnn(), xs, dys).mean(axis=1)
    assert 0 < norms[-1] and norms[1] <= 1e-6 * norms[-1]
