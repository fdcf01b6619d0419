"""Chapter 6's experiments: equal budgets for depth (``experiments.depth``) and the
bidirectional tagger's tools (``experiments.bidir``)."""
import numpy as np
import pytest

from lamassu_course import (Adagrad, BidirectionalRNN, StackedRNN, VanillaRNN, one_hot,
                            softmax_cross_entropy, train_tbptt)
from lamassu_course.experiments.bidir import (ambiguous_cases, output_change, stepwise_nats,
                                              tag_ids, train_tagger)
from lamassu_course.experiments.charlm import nats_per_char
from lamassu_course.experiments.depth import (DepthStack, depth_grid, matched_hidden_size,
                                              multiply_adds_per_step, stacked_parameters)


# ---------------------------------------------------------------- counting weights
@pytest.mark.parametrize("D, H, K, L", [(5, 3, 4, 1), (6, 4, 2, 2), (3, 7, 3, 3)])
def test_stacked_parameters_counts_the_models_weights(D, H, K, L):
    model = StackedRNN(D, H, K, num_layers=L)
    assert stacked_parameters(D, H, K, L) == model.num_parameters()
    biases = sum(v.size for k, v in model.params.items() if k.startswith("b_"))
    assert multiply_adds_per_step(D, H, K, L) == model.num_parameters() - biases


def test_one_layer_is_the_vanilla_count():
    assert stacked_parameters(72, 100, 72, 1) == VanillaRNN(72, 100, 72).num_parameters()


@pytest.mark.parametrize("L", [1, 2, 3])
def test_matched_hidden_size_is_the_nearest_count(L):
    target = stacked_parameters(72, 100, 72, 1)
    H = matched_hidden_size(72, 72, L, target)
    best = min(range(1, 120), key=lambda h: abs(stacked_parameters(72, h, 72, L) - target))
    assert H == best
    assert (L, H) != (2, 100) and (L != 1 or H == 100)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_counts_refuse_bad_sizes(bad):
    with pytest.raises(ValueError, match="num_layers is"):
        stacked_parameters(3, 4, 5, bad)
    with pytest.raises(ValueError, match="target is"):
        matched_hidden_size(3, 5, 2, bad)


# ---------------------------------------------------------------- training at a budget
def _text(n=900, V=5, seed=0):
    return np.random.default_rng(seed).integers(0, V, size=n)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_depth_stack_gradient_is_each_models_own(L):
    V, rng = 5, np.random.default_rng(L)
    models = [StackedRNN(V, 4, V, num_layers=L, seed=s) for s in (0, 1)]
    alone = [StackedRNN(V, 4, V, num_layers=L, seed=s) for s in (0, 1)]
    stack = DepthStack(models, lrs=0.1)
    inputs, targets = rng.integers(0, V, (6, 3)), rng.integers(0, V, (6, 3))
    h0 = 0.5 * rng.standard_normal((L, 2, 3, 4))
    losses, grads, last = stack.gradients(inputs, targets, h0)
    for m, model in enumerate(alone):
        ys, cache = model.forward(one_hot(inputs, V), h0[:, m])
        loss, dys = softmax_cross_entropy(ys, targets)
        expected = model.backward(one_hot(inputs, V), cache, dys)
        assert losses[m] == pytest.approx(loss, rel=1e-12)
        for name in model.params:
            np.testing.assert_allclose(grads[name][m], expected[name], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(last[:, m], cache["hs"][:, -1], rtol=1e-12)


@pytest.mark.parametrize("L", [1, 2])
def test_depth_stack_trains_as_train_tbptt(L):
    V, ids = 5, _text(400)
    models = [StackedRNN(V, 4, V, num_layers=L, seed=s) for s in (0, 1)]
    alone = [StackedRNN(V, 4, V, num_layers=L, seed=s) for s in (0, 1)]
    stack = DepthStack(models, lrs=[0.1, 0.3], clip_value=5.0)
    losses = stack.train(ids, window=5, batch_size=4, epochs=2)
    assert losses.shape == (2, 2 * 20)
    for model, trained, lr in zip(alone, models, (0.1, 0.3)):
        train_tbptt(model, ids, window=5, batch_size=4, epochs=2, clip_value=5.0,
                    optimizer=Adagrad(model.params, lr=lr), progress=False)
        for name, value in model.params.items():
            np.testing.assert_allclose(trained.params[name], value, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(stack.nats_per_char(ids), [nats_per_char(m, ids) for m in alone],
                               rtol=1e-9)


def test_depth_grid_scores_every_rate_and_seed():
    V, ids, tune = 5, _text(), _text(200, seed=1)
    new = lambda seed: StackedRNN(V, 4, V, num_layers=2, seed=seed)  # noqa: E731
    scores = depth_grid(new, (0.05, 0.2), (0, 3), ids, {"tune": tune}, epochs=2, window=5,
                        batch_size=4, clip_value=5.0)
    assert set(scores) == {"tune"} and scores["tune"].shape == (2, 2)
    model = new(3)
    train_tbptt(model, ids, window=5, batch_size=4, epochs=2, clip_value=5.0,
                optimizer=Adagrad(model.params, lr=0.2), progress=False)
    assert scores["tune"][1, 1] == pytest.approx(nats_per_char(model, tune), rel=1e-7)
    assert scores["tune"][0, 0] != scores["tune"][1, 0]


def test_depth_stack_refuses_mixed_or_wrong_models():
    with pytest.raises(ValueError, match="expected one"):
        DepthStack([StackedRNN(5, 4, 5, num_layers=1), StackedRNN(5, 4, 5, num_layers=2)],
                   lrs=0.1)
    with pytest.raises(ValueError, match="expected StackedRNN"):
        DepthStack([VanillaRNN(5, 4, 5)], lrs=0.1)
    with pytest.raises(ValueError, match="lrs has 3 values"):
        DepthStack([StackedRNN(5, 4, 5)] * 2, lrs=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="epochs is"):
        depth_grid(lambda s: StackedRNN(5, 4, 5), (0.1,), (0,), _text(), {}, epochs=0)


# ---------------------------------------------------------------- the tagger's tools
def test_train_tagger_lowers_the_masked_loss_of_any_model():
    rng = np.random.default_rng(0)
    xs = one_hot(rng.integers(0, 4, (6, 40)), 4)
    targets = rng.integers(0, 3, (6, 40))
    mask = (rng.random((6, 40)) < 0.8).astype(float)
    for model in (VanillaRNN(4, 5, 3, seed=1), BidirectionalRNN(4, 5, 3, seed=1)):
        before = softmax_cross_entropy(model.forward(xs)[0], targets, mask)[0]
        history = train_tagger(model, xs, targets, mask, seed=0, steps=30, batch_size=10,
                               lr=0.1)
        assert len(history["loss"]) == 30
        assert softmax_cross_entropy(model.forward(xs)[0], targets, mask)[0] < before


def test_train_tagger_refuses_mismatched_targets():
    with pytest.raises(ValueError, match="mask has shape"):
        train_tagger(VanillaRNN(4, 5, 3), np.zeros((6, 10, 4)), np.zeros((6, 10), int),
                     np.zeros((5, 10)), seed=0)


def test_tag_ids_cuts_each_sentence_to_its_length():
    model = VanillaRNN(4, 3, 5, seed=0)
    xs = one_hot(np.random.default_rng(1).integers(0, 4, (7, 3)), 4)
    tags = tag_ids(model, xs, [7, 2, 5])
    assert [len(t) for t in tags] == [7, 2, 5]
    np.testing.assert_array_equal(tags[1], model.forward(xs)[0][:2, 1].argmax(-1))


def test_ambiguous_cases_counts_by_name_type_and_place():
    sentences = [["jordan", "is", "far"], ["we", "met", "jordan"], ["paris", "hilton"]]
    true = [["B-LOC", "O", "O"], ["O", "O", "B-PER"], ["B-PER", "I-PER"]]
    guess = [["B-PER", "O", "O"], ["O", "O", "B-PER"], ["B-PER", "I-PER"]]
    assert ambiguous_cases(sentences, true, guess) == {
        ("jordan", "LOC", "first word"): (1, 0), ("jordan", "PER", "inside"): (1, 1),
        ("paris", "PER", "first word"): (1, 1)}


def test_output_change_sees_the_future_only_in_the_bidirectional_model():
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((6, 2, 3))
    changed = xs.copy()
    changed[4] += 1.0
    forward_only = output_change(VanillaRNN(3, 4, 2, seed=0), xs, changed)
    both = output_change(BidirectionalRNN(3, 4, 2, seed=0), xs, changed)
    assert np.all(forward_only[:4] == 0) and np.all(forward_only[4:] > 0)
    assert np.all(both > 0)
    with pytest.raises(ValueError, match="xs_changed has shape"):
        output_change(VanillaRNN(3, 4, 2), xs, xs[:5])


def test_stepwise_nats_equals_one_pass_for_a_left_to_right_model():
    V, ids = 5, _text(60)
    for model in (VanillaRNN(V, 4, V, seed=0), StackedRNN(V, 4, V, num_layers=2, seed=0)):
        assert stepwise_nats(model, ids) == pytest.approx(nats_per_char(model, ids, 1),
                                                          rel=1e-10)


def test_stepwise_nats_differs_for_a_bidirectional_model():
    V, ids = 5, _text(60)
    model = BidirectionalRNN(V, 4, V, seed=0)
    assert abs(stepwise_nats(model, ids) - nats_per_char(model, ids, 1)) > 1e-6
    with pytest.raises(ValueError, match="ids has shape"):
        stepwise_nats(model, ids[:1])
