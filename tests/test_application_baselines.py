"""Chapter 5's baselines: counts, lookups, a line, a copy; and the helpers that train and decode."""
import numpy as np
import pytest

from lamassu_course import VanillaRNN
from lamassu_course.experiments.baselines import (BagOfWords, LookupTagger, NGramModel,
                                                  StepSoftmax, fit_logistic,
                                                  nearest_neighbour, predict_logistic)
from lamassu_course.experiments.seq2seq import (greedy_decode, teacher_forced_decode,
                                                train_many_to_one)
from lamassu_course.experiments.tasks import scale_walks


# ---------------------------------------------------------------- bag of words + a line
def test_bag_of_words_counts_and_ignores_order_unless_pairs():
    bag = BagOfWords([["not", "good"], ["good"]])
    assert bag.transform([["good", "good", "not", "new"]]).tolist() == [[2, 1]]
    assert np.array_equal(bag.transform([["not", "good"]]), bag.transform([["good", "not"]]))
    pairs = BagOfWords([["not", "good"]], n=2)
    assert not np.array_equal(pairs.transform([["not", "good"]]),
                              pairs.transform([["good", "not"]]))


def test_bag_of_words_skip_pairs_jump_one_word():
    bag = BagOfWords([["not", "very", "good"]], n=2, skip=True)
    assert ("not", "*", "good") in bag.index and bag.size == 6
    assert bag.transform([["not", "good"]])[0, bag.index[("not", "*", "good")]] == 0
    assert bag.transform([["not", "so", "good"]])[0, bag.index[("not", "*", "good")]] == 1
    assert BagOfWords([["not", "very", "good"]], n=2).size == 5


def test_step_softmax_reaches_the_minimum_and_composes():
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 3, (2, 60))                  # Tx=2, N=60, n_in=3
    outputs = np.stack([inputs[1], (inputs[0] + 1) % 3])  # step 1 copies x_2, step 2 shifts x_1
    model = StepSoftmax(inputs, outputs, 3, 3, l2=0.01)
    assert np.array_equal(model.predict(inputs), outputs)
    X = model._features(inputs)

    def objective(W, t):    # mean cross-entropy + l2/2 |W|^2 of output step t
        z = X @ W
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.mean(logp[np.arange(60), outputs[t]]) + 0.005 * np.sum(W ** 2)

    eps = 1e-6
    for t in range(2):
        W = model.W[t]
        grad = [(objective(W + eps * E, t) - objective(W - eps * E, t)) / (2 * eps)
                for E in np.eye(W.size).reshape(-1, *W.shape)]
        assert np.abs(grad).max() < 1e-6, np.abs(grad).max()
    # a warm start from another penalty's model reaches the same minimum
    warm = StepSoftmax(inputs, outputs, 3, 3, l2=0.01,
                       start=StepSoftmax(inputs, outputs, 3, 3, l2=0.1))
    assert np.abs(warm.W - model.W).max() < 1e-5
    with pytest.raises(ValueError, match="start"):
        StepSoftmax(inputs[:1], outputs, 3, 3, start=model)
    with pytest.raises(ValueError, match="tol"):
        StepSoftmax(inputs, outputs, 3, 3, tol=0)
    with pytest.raises(ValueError, match="outputs"):
        StepSoftmax(inputs, outputs + 3, 3, 3)
    with pytest.raises(ValueError, match="inputs"):
        model.predict(inputs[:1])
    with pytest.raises(ValueError, match="inputs"):
        StepSoftmax(inputs + 5, outputs, 3, 3)


def test_lbfgs_finds_the_minimum_of_a_quadratic_and_says_when_it_cannot():
    from lamassu_course.experiments.baselines import _lbfgs
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    A = A @ A.T + 0.1 * np.eye(6)                        # condition number about 200
    b = 0.1 * rng.standard_normal(6)
    w = _lbfgs(lambda w: (0.5 * w @ A @ w - b @ w, A @ w - b), np.zeros(6), tol=1e-7)
    assert np.allclose(w, np.linalg.solve(A, b), rtol=0, atol=1e-5)
    with pytest.raises(RuntimeError, match="tol"):
        _lbfgs(lambda w: (0.5 * w @ A @ w - b @ w, A @ w - b), np.zeros(6), tol=1e-7,
               max_iter=2)


def test_fit_logistic_reaches_the_minimum_and_separates():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 + 0.5 * rng.standard_normal(200) > 0).astype(int)
    w, l2 = fit_logistic(X, y, l2=0.01), 0.01

    def objective(v):
        z = X @ v[:-1] + v[-1]
        return np.mean(np.logaddexp(0, z) - y * z) + l2 / 2 * np.sum(v[:-1] ** 2)

    eps = 1e-6
    grad = [(objective(w + eps * e) - objective(w - eps * e)) / (2 * eps) for e in np.eye(4)]
    assert np.abs(grad).max() < 1e-6, grad
    assert np.mean(predict_logistic(w, X) == y) > 0.85
    with pytest.raises(ValueError, match="labels"):
        fit_logistic(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        predict_logistic(w, X[:, :2])


# ---------------------------------------------------------------- lookups
def test_lookup_tagger_uses_context_backs_off_and_breaks_ties():
    sentences = [["met", "jordan"], ["in", "jordan"], ["in", "jordan"], ["met", "anna"]]
    tags = [["O", "PER"], ["O", "LOC"], ["O", "LOC"], ["O", "PER"]]
    word = LookupTagger(sentences, tags)
    assert word.tag(["met", "jordan"]) == ["O", "LOC"]          # most often LOC
    left = LookupTagger(sentences, tags, left=1)
    assert left.tag(["met", "jordan"]) == ["O", "PER"]
    assert left.tag(["saw", "jordan"]) == ["O", "LOC"]           # backs off to the word
    assert left.tag(["saw", "omar"]) == ["O", "O"]               # unseen: the commonest tag
    tie = LookupTagger([["x"], ["x"]], [["B"], ["A"]])
    assert tie.tag(["x"]) == ["A"]
    with pytest.raises(ValueError, match="tags"):
        LookupTagger(sentences, tags[:2])


def test_nearest_neighbour_copies_the_closest_and_first_on_ties():
    train = np.array([[0, 1, 2], [5, 6, 7]])             # (T=2, N=3)
    outputs = np.array([[10, 11, 12]])
    query = np.array([[0, 2], [6, 9]])                   # (T=2, M=2)
    assert nearest_neighbour(train, outputs, query).tolist() == [[10, 12]]
    with pytest.raises(ValueError, match="same T"):
        nearest_neighbour(train, outputs, query[:1])


# ---------------------------------------------------------------- n-grams
def test_ngram_interpolation_by_hand():
    model = NGramModel(np.array([[0, 1], [0, 1], [0, 2]]), order=2, vocab_size=3, beta=1.0)
    p = model.probabilities(np.array([[0, 1]]))[0, 0]
    unigram = (np.array([0, 2, 1]) + 1.0 / 3) / (3 + 1)       # counts of tokens 2..L
    assert np.allclose(p, (np.array([0, 2, 1]) + unigram) / (3 + 1))
    assert model.nats(np.array([[0, 1]])) == pytest.approx(-np.log(p[1]))


def test_ngram_sums_to_one_learns_a_rule_and_samples_it():
    melodies = scale_walks(np.random.default_rng(0), 300)
    for order in (1, 2, 3):
        p = NGramModel(melodies, order, 36).probabilities(melodies[:20])
        assert np.allclose(p.sum(-1), 1)
    counting = np.tile(np.arange(6), (20, 1))                  # 0 1 2 3 4 5, always
    model = NGramModel.tuned(counting, 2, 6, betas=(10.0, 1e-3))
    assert model.beta == 1e-3
    written = model.sample(np.zeros(4, int), 6, np.random.default_rng(0))
    assert written.shape == (6, 4) and np.all(written == np.arange(6)[:, None])
    with pytest.raises(ValueError, match="sequences"):
        NGramModel(np.array([[0, 7]]), 2, 6)


# ---------------------------------------------------------------- training and decoding
def test_teacher_forced_decode_agrees_with_greedy_on_its_own_outputs():
    rng = np.random.default_rng(0)
    enc, dec = VanillaRNN(3, 5, 1, seed=0), VanillaRNN(6, 5, 6, seed=1)
    src = rng.standard_normal((4, 7, 3))
    greedy = greedy_decode(enc, dec, src, start=0, end=1, max_len=5)
    dec_in = np.vstack([np.zeros((1, 7), int), greedy[:-1]])
    forced = teacher_forced_decode(enc, dec, src, dec_in)
    before_end = np.cumsum(greedy == 1, axis=0) - (greedy == 1) == 0
    assert np.array_equal(forced[before_end], greedy[before_end])


def test_train_many_to_one_learns_the_sign_of_the_first_input():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((3, 200, 2))
    labels = (xs[0, :, 0] > 0).astype(int)
    rnn, history = train_many_to_one(xs, labels, 8, seed=0, steps=300, lr=0.1)
    assert np.mean(rnn.forward(xs)[0][-1].argmax(-1) == labels) > 0.9
    assert history["loss"][-20:].mean() < history["loss"][:20].mean()
    with pytest.raises(ValueError, match="labels"):
        train_many_to_one(xs, labels[:5], 8, seed=0)
