"""Chapter 3's sceptic's baselines: the interpolated character n-gram, Jelinek–Mercer and
Kneser–Ney (``lamassu_course.experiments.ngram``), checked against pure-Python counts."""
import itertools
from collections import Counter

import numpy as np
import pytest

from lamassu_course import CharVocab, load_text
from lamassu_course.experiments.charlm import BITS_PER_NAT, bigram_nats, unigram_nats
from lamassu_course.experiments.ngram import InterpolatedNGram, KneserNeyNGram, ngram_ladder


def _text(seed, n=300, V=4):
    """A random stream with structure: the next symbol usually follows from the last two."""
    rng = np.random.default_rng(seed)
    ids = [0, 1]
    for _ in range(n - 2):
        ids.append((ids[-1] + ids[-2]) % V if rng.random() < 0.7 else int(rng.integers(V)))
    return np.array(ids)


def _brute_probability(train, order, V, weights, context, char):
    """sum_n lambda_n P_n(char | context) with dicts of counts, one position at a time."""
    train, context = list(train), list(context)
    total, lower = weights[0] / V, 1.0 / V
    for n in range(1, order + 1):
        p = lower                                  # no context of length n-1: fall back
        if len(context) >= n - 1:
            grams = Counter(tuple(train[t - n + 1: t + 1]) for t in range(n - 1, len(train)))
            key = tuple(context[len(context) - n + 1:])
            seen = sum(count for gram, count in grams.items() if gram[:-1] == key)
            if seen > 0:
                p = grams[key + (char,)] / seen
        total, lower = total + weights[n] * p, p
    return total


def _brute_kneser_ney(train, order, V, discounts, context, char):
    """P^(order)(char | context) of interpolated Kneser–Ney with dicts, one level at a time."""
    train, context = list(train), list(context)

    def grams(n):
        return Counter(tuple(train[t - n + 1: t + 1]) for t in range(n - 1, len(train)))

    p = 1.0 / V
    for n in range(1, order + 1):
        if len(context) < n - 1:
            break
        key = tuple(context[len(context) - n + 1:])
        # the top level counts n-grams; a lower one counts the distinct chars before each n-gram
        counts = grams(n) if n == order else Counter(gram[1:] for gram in grams(n + 1))
        seen = sum(count for gram, count in counts.items() if gram[:-1] == key)
        types = sum(1 for gram in counts if gram[:-1] == key)
        if seen > 0:
            D = discounts[n - 1]
            p = max(counts[key + (char,)] - D, 0) / seen + D * types / seen * p
    return p


# ---------------------------------------------------------------- the same thing two ways
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_vectorised_counts_match_a_dict_count(seed, order):
    V = 4
    train, test = _text(seed, n=120, V=V), _text(seed + 10, n=40, V=V)
    model = InterpolatedNGram(order, V).fit(train)
    model.weights = np.random.default_rng(seed).dirichlet(np.ones(order + 1))
    logs = []
    for t in range(len(test)):
        got = model.probabilities(test[:t])
        want = [_brute_probability(train, order, V, model.weights, test[:t], c) for c in range(V)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"context {test[:t]}")
        if t >= 1:
            logs.append(np.log(want[test[t]]))
    assert model.nats_per_char(test) == pytest.approx(-np.mean(logs), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_kneser_ney_matches_a_dict_count(seed, order):
    V = 4
    train, test = _text(seed, n=120, V=V), _text(seed + 10, n=40, V=V)
    model = KneserNeyNGram(order, V).fit(train)
    model.discounts = np.random.default_rng(seed).uniform(0.05, 0.95, size=order)
    logs = []
    for t in range(len(test)):
        got = model.probabilities(test[:t])
        want = [_brute_kneser_ney(train, order, V, model.discounts, test[:t], c) for c in range(V)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"context {test[:t]}")
        if t >= 1:
            logs.append(np.log(want[test[t]]))
    assert model.nats_per_char(test) == pytest.approx(-np.mean(logs), rel=1e-12)


def test_a_small_case_by_hand():
    # "aab" with a=0, b=1: unigram a 2/3, b 1/3; after "a": a 1/2, b 1/2; after "b": unseen
    model = InterpolatedNGram(2, 2).fit(np.array([0, 0, 1]))
    model.weights = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(model.probabilities(np.array([0])),
                               [0.1 + 0.3 * 2 / 3 + 0.5 / 2, 0.1 + 0.3 / 3 + 0.5 / 2], atol=1e-15)
    # after "b" the bigram level takes the unigram's value: weight 0.8 on (2/3, 1/3)
    np.testing.assert_allclose(model.probabilities(np.array([1])),
                               [0.1 + 0.8 * 2 / 3, 0.1 + 0.8 / 3], atol=1e-15)


@pytest.mark.parametrize("kind", [InterpolatedNGram, KneserNeyNGram])
def test_every_distribution_sums_to_one(kind):
    V, order = 3, 3
    train = np.array([0, 1, 0, 1, 1, 0, 0, 1])      # never a 2: many contexts unseen
    model = kind(order, V).fit(train).tune(np.array([0, 1, 2, 0, 1, 1, 2, 0]))
    for length in range(order + 1):
        for context in itertools.product(range(V), repeat=length):
            p = model.probabilities(np.array(context, dtype=int))
            assert p.shape == (V,)
            assert p.min() > 0, f"context {context}: {p}"
            assert p.sum() == pytest.approx(1.0, abs=1e-12), f"context {context}: {p}"


# ---------------------------------------------------------------- the weights
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", [1, 3, 5])
def test_em_never_lowers_the_tuning_likelihood(seed, order):
    V = 4
    model = InterpolatedNGram(order, V).fit(_text(seed, n=400, V=V))
    tune = _text(seed + 20, n=200, V=V)
    model.tune(tune, iterations=30)
    nats = np.array(model.tune_nats)
    assert len(nats) == 31
    assert np.all(np.diff(nats) <= 1e-12), nats
    assert nats[-1] < nats[0] - 1e-4                # and it does move
    assert model.tune_nats[-1] == pytest.approx(model.nats_per_char(tune), rel=1e-12)
    assert model.weights.shape == (order + 1,) and model.weights.min() >= 0
    assert model.weights.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", [1, 3, 5])
def test_kneser_ney_tuning_never_raises_the_tuning_loss(seed, order):
    V = 4
    model = KneserNeyNGram(order, V).fit(_text(seed, n=400, V=V))
    tune = _text(seed + 20, n=200, V=V)
    ney = model.nats_per_char(tune)
    model.tune(tune)
    nats = np.array(model.tune_nats)
    assert nats[0] == pytest.approx(ney, rel=1e-12)    # it starts from Ney's discounts
    assert np.all(np.diff(nats) <= 0), nats
    assert model.nats_per_char(tune) == pytest.approx(nats[-1], rel=1e-12)
    assert model.discounts.shape == (order,)
    assert np.all((0.05 <= model.discounts) & (model.discounts <= 0.95))


def test_em_finds_the_best_order_1_weight():
    V, rng = 4, np.random.default_rng(0)
    train = rng.choice(V, size=200, p=[0.6, 0.2, 0.1, 0.1])    # the tuning text is less skewed:
    tune = rng.choice(V, size=200, p=[0.4, 0.2, 0.2, 0.2])     # the best lambda_0 is inside (0, 1)
    model = InterpolatedNGram(1, V).fit(train).tune(tune, iterations=200)
    grid = np.linspace(0.001, 0.999, 999)
    nats = []
    for weight in grid:                              # lambda_0 on a grid, lambda_1 = 1 - lambda_0
        model_at = InterpolatedNGram(1, V).fit(train)
        model_at.weights = np.array([weight, 1 - weight])
        nats.append(model_at.nats_per_char(tune))
    best = grid[np.argmin(nats)]
    assert abs(model.weights[0] - best) < 2e-3, (model.weights, best)
    assert model.nats_per_char(tune) <= min(nats) + 1e-12


def test_order_1_is_the_smoothed_unigram():
    V, alpha = 4, 0.7
    train, test = _text(1, n=150, V=V), _text(2, n=60, V=V)
    # (count + alpha) / (N + alpha V) = lambda_0 / V + lambda_1 count / N
    # with lambda_0 = alpha V / (N + alpha V)
    lambda_0 = alpha * V / (len(train) + alpha * V)
    model = InterpolatedNGram(1, V).fit(train)
    model.weights = np.array([lambda_0, 1 - lambda_0])
    want = unigram_nats(train, test, V, alpha)
    assert model.nats_per_char(test) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_a_higher_order_fits_the_training_text_better(seed):
    V = 5
    train = _text(seed, n=600, V=V)
    nats = [InterpolatedNGram(order, V).fit(train).tune(train).nats_per_char(train)
            for order in range(1, 6)]
    assert np.all(np.diff(nats) < -1e-3), nats


def test_fit_keeps_the_weights_and_refits_the_counts():
    V = 4
    a, b = _text(0, n=100, V=V), _text(1, n=100, V=V)
    model = InterpolatedNGram(2, V).fit(a).tune(b)
    weights = model.weights.copy()
    model.fit(np.concatenate([a, b]))
    np.testing.assert_array_equal(model.weights, weights)
    fresh = InterpolatedNGram(2, V).fit(np.concatenate([a, b]))
    fresh.weights = weights
    assert model.nats_per_char(b) == fresh.nats_per_char(b)


# ---------------------------------------------------------------- Alice
def test_ladder_on_alice():
    """The split of Chapter 3: the first 90 % of the text trains, the rest is held out. Of the
    training part, the first 90 % gives the counts and the last 10 % tunes the weights."""
    text = load_text("alice")
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    n_train = int(0.9 * len(text))
    n_counts = int(0.9 * n_train)
    counts_ids, tune_ids, heldout_ids = ids[:n_counts], ids[n_counts:n_train], ids[n_train:]
    assert len(counts_ids) + len(tune_ids) + len(heldout_ids) == len(ids)
    ladder = ngram_ladder(counts_ids, tune_ids, heldout_ids, vocab.size)
    bits = {order: nats * BITS_PER_NAT for order, nats in ladder.items()}
    print("held-out bits per char:", {order: round(b, 3) for order, b in bits.items()})
    assert list(bits) == [1, 2, 3, 4, 5]
    assert np.all(np.diff(list(bits.values())) < -0.05), bits
    unigram = unigram_nats(ids[:n_train], heldout_ids, vocab.size) * BITS_PER_NAT
    bigram = bigram_nats(ids[:n_train], heldout_ids, vocab.size) * BITS_PER_NAT
    assert abs(bits[1] - unigram) < 0.02 and abs(bits[2] - bigram) < 0.05, (bits, unigram, bigram)
    assert 2.6 < bits[3] < 2.9 and 2.2 < bits[4] < 2.5 and 2.1 < bits[5] < 2.4, bits
    assert ngram_ladder(counts_ids, tune_ids, heldout_ids, vocab.size) == ladder   # deterministic
    # sharing the counts across orders gives what each order alone gives
    alone = InterpolatedNGram(3, vocab.size).fit(counts_ids).tune(tune_ids)
    assert alone.nats_per_char(heldout_ids) == ladder[3]
    # Kneser–Ney, on the same split: better from order 3 on
    kn = ngram_ladder(counts_ids, tune_ids, heldout_ids, vocab.size, model=KneserNeyNGram)
    kn_bits = {order: nats * BITS_PER_NAT for order, nats in kn.items()}
    print("Kneser-Ney held-out bits per char:",
          {order: round(b, 3) for order, b in kn_bits.items()})
    assert np.all(np.diff(list(kn_bits.values())) < -0.05), kn_bits
    assert all(kn_bits[order] < bits[order] - 0.04 for order in (3, 4, 5)), (kn_bits, bits)
    assert 2.1 < kn_bits[4] < 2.45 and 2.0 < kn_bits[5] < 2.3, kn_bits


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kind", [InterpolatedNGram, KneserNeyNGram])
def test_bad_input_is_refused(kind):
    ids = np.array([0, 1, 2, 1])
    for order, message in ((0, "order is 0"), (True, "order is True"), (2.0, "order is 2.0")):
        with pytest.raises(ValueError, match=message):
            kind(order, 3)
    for size, message in ((0, "vocab_size is 0"), (3.0, "vocab_size is 3.0")):
        with pytest.raises(ValueError, match=message):
            kind(2, size)
    with pytest.raises(ValueError, match=r"vocab_size\*\*order"):
        kind(20, 100)
    model = kind(2, 3)
    with pytest.raises(ValueError, match="tune called before fit"):
        model.tune(ids)
    with pytest.raises(ValueError, match="call fit"):
        model.probabilities(ids)
    with pytest.raises(ValueError, match="call fit"):
        model.nats_per_char(ids)
    with pytest.raises(ValueError, match="ids holds values in"):
        model.fit(np.array([0, 3]))
    with pytest.raises(ValueError, match="ids holds values in"):
        model.fit(np.array([-1, 0]))
    with pytest.raises(ValueError, match="ids has shape"):
        model.fit(np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="ids has shape .* dtype float64"):
        model.fit(np.array([0.0, 1.0]))
    model.fit(ids)
    with pytest.raises(ValueError, match="iterations is -1"):
        model.tune(ids, iterations=-1)
    with pytest.raises(ValueError, match="context_ids has shape"):
        model.probabilities(np.zeros((1, 1), dtype=int))
    with pytest.raises(ValueError, match="ids has shape"):
        model.nats_per_char(np.array([1]))
    with pytest.raises(ValueError, match="orders is empty"):
        ngram_ladder(ids, ids, ids, 3, orders=())
    with pytest.raises(ValueError, match="orders is 0"):
        ngram_ladder(ids, ids, ids, 3, orders=(0, 1))
    with pytest.raises(ValueError, match="heldout_ids holds values"):
        ngram_ladder(ids, ids, np.array([0, 5]), 3)
    with pytest.raises(ValueError, match="vocab_size is -3"):
        ngram_ladder(ids, ids, ids, -3)
    with pytest.raises(ValueError, match="model is"):
        ngram_ladder(ids, ids, ids, 3, model="kneser-ney")
