"""Chapter 6's experiments: equal budgets for depth (``experiments.depth``) and the
bidirectional tagger's tools (``experiments.bidir``)."""
import numpy as np
import pytest

from lamassu_course import (Adagrad, BidirectionalRNN, StackedRNN, VanillaRNN, one_hot,
                            softmax_cross_entropy, train_tbptt)
from lamassu_course.experiments.bidir import (ambiguous_cases, output_change, stepwise_nats,
                                              tag_ids, train_tagger)
from lamassu_course.experiments.charlm import nats_per_char
from lamassu_course.experiments.depth import (matched_hidden_size, multiply_adds_per_step,
                                              rate_scores, stacked_parameters, train_seeds)


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


def test_rate_scores_equals_training_each_run_by_hand():
    V, ids, tune = 5, _text(), _text(200, seed=1)
    new = lambda seed: StackedRNN(V, 4, V, num_layers=2, seed=seed)  # noqa: E731
    scores = rate_scores(new, (0.05, 0.2), (0, 3), ids, tune, updates=3, window=5,
                         batch_size=4, clip_value=5.0)
    assert scores.shape == (2, 2)
    model = new(3)
    train_tbptt(model, ids[:3 * 5 * 4 + 1], window=5, batch_size=4,
                optimizer=Adagrad(model.params, lr=0.2), clip_value=5.0, progress=False)
    assert scores[1, 1] == pytest.approx(nats_per_char(model, tune), rel=1e-12)
    assert scores[0, 0] != scores[1, 0]


def test_rate_scores_refuses_more_updates_than_the_text_holds():
    with pytest.raises(ValueError, match="updates is 100"):
        rate_scores(lambda s: StackedRNN(5, 3, 5), (0.1,), (0,), _text(), _text(), updates=100)


def test_train_seeds_measures_before_and_after_every_pass():
    V, ids, held = 5, _text(), _text(200, seed=2)
    new = lambda seed: StackedRNN(V, 4, V, num_layers=2, seed=seed)  # noqa: E731
    runs = train_seeds(new, 0.1, (0, 1), ids, held, epochs=2, window=10, batch_size=4)
    assert set(runs) == {0, 1}
    for seed, run in runs.items():
        assert run["heldout"].shape == (3,) and run["seconds"] > 0
        assert run["heldout"][0] == pytest.approx(nats_per_char(new(seed), held))
        assert run["heldout"][-1] == pytest.approx(nats_per_char(run["model"], held))
    same = new(0)                                  # two passes in one call: the same weights
    train_tbptt(same, ids, window=10, batch_size=4, optimizer=Adagrad(same.params, lr=0.1),
                epochs=2, progress=False)
    for name, value in same.params.items():
        np.testing.assert_allclose(runs[0]["model"].params[name], value, rtol=1e-12)


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
