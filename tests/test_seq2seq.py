"""Chapter 5's package code: the many-to-one and encoder-decoder gradients, the task data."""
import numpy as np
import pytest

from lamassu_course import (VanillaRNN, numerical_gradient, relative_error, softmax,
                            softmax_cross_entropy)
from lamassu_course.classroom.applications import note_frequency, synthesize
from lamassu_course.experiments.seq2seq import (encoder_decoder_loss, greedy_decode,
                                    last_outputs, last_step_cross_entropy, minibatches,
                                    train_many_to_one)
from lamassu_course.experiments.tasks import (entity_f1, entity_spans, in_key, number_words, pad_left,
                                  pad_right, scale_walks, sentiment_sentences,
                                  tagged_sentences, two_moons, next_note_probabilities,
                                  one_clause_reviews, seen_in_place, template_sizes,
                                  unseen_split, unseen_split_by_group)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_many_to_one_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    T, B, D, H, K = rng.integers(2, 5, size=5)
    rnn = VanillaRNN(D, H, K, seed=seed)
    xs, labels = rng.standard_normal((T, B, D)), rng.integers(0, K, B)

    def loss():
        return last_step_cross_entropy(rnn.forward(xs)[0], labels)[0]

    ys, hs = rnn.forward(xs)
    _, dys = last_step_cross_entropy(ys, labels)
    assert np.all(dys[:-1] == 0), "dys must be zero before the last step"
    grads = rnn.backward(xs, hs, dys)
    for name, param in rnn.params.items():
        err = relative_error(grads[name], numerical_gradient(loss, param))
        assert err < 1e-7, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_encoder_decoder_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    Tx, Ty, B, D, H, V = 3, 4, 3, 4, 5, 6
    enc, dec = VanillaRNN(D, H, 2, seed=seed), VanillaRNN(V, H, V, seed=seed + 10)
    src = rng.standard_normal((Tx, B, D))
    dec_in, targets = rng.integers(0, V, (Ty, B)), rng.integers(0, V, (Ty, B))
    mask = (rng.random((Ty, B)) < 0.8).astype(float)

    def loss():
        return encoder_decoder_loss(enc, dec, src, dec_in, targets, mask)[0]

    _, grads = encoder_decoder_loss(enc, dec, src, dec_in, targets, mask)
    for part, rnn in (("encoder", enc), ("decoder", dec)):
        for name, param in rnn.params.items():
            err = relative_error(grads[part][name], numerical_gradient(loss, param))
            assert err < 1e-7, f"{part} {name}: relative error {err:.2e}"
    # the encoder learns only through dh_last: its output weights get no gradient
    assert np.all(grads["encoder"]["W_yh"] == 0) and np.all(grads["encoder"]["b_y"] == 0)


def test_encoder_decoder_loss_is_decoder_loss_from_encoder_state():
    rng = np.random.default_rng(3)
    enc, dec = VanillaRNN(3, 4, 1, seed=1), VanillaRNN(5, 4, 5, seed=2)
    src, dec_in, targets = rng.standard_normal((2, 2, 3)), rng.integers(0, 5, (3, 2)), \
        rng.integers(0, 5, (3, 2))
    _, hs = enc.forward(src)
    logits, _ = dec.forward(np.eye(5)[dec_in], h0=hs[-1])
    expected = softmax_cross_entropy(logits, targets)[0]
    assert encoder_decoder_loss(enc, dec, src, dec_in, targets)[0] == pytest.approx(expected)


def test_greedy_decode_feeds_back_its_own_tokens():
    enc, dec = VanillaRNN(3, 4, 1, seed=1), VanillaRNN(5, 4, 5, seed=2)
    src = np.random.default_rng(0).standard_normal((2, 3, 3))
    out = greedy_decode(enc, dec, src, start=0, end=1, max_len=4)
    _, hs = enc.forward(src)
    logits, _ = dec.forward(np.eye(5)[np.zeros(3, int)][None], h0=hs[-1])
    assert out.shape == (4, 3)
    first = logits[0].argmax(-1)
    assert np.array_equal(out[0], first)
    after_end = np.cumsum(out == 1, axis=0) > 0
    assert np.all(out[after_end] == 1), "after <end> a sequence must keep emitting <end>"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_many_to_one_gradient_at_each_last_real_step_matches_finite_differences(seed):
    """Right-padded sequences read at their own last real step: every parameter's gradient
    (through last_step_cross_entropy with lengths and BPTT) against finite differences."""
    rng = np.random.default_rng(seed)
    T, B, D, H, K = 5, 4, 3, 4, 3
    rnn = VanillaRNN(D, H, K, seed=seed)
    xs, labels = rng.standard_normal((T, B, D)), rng.integers(0, K, B)
    lengths = np.array([5, 1, 3, 2])

    def loss():
        return last_step_cross_entropy(rnn.forward(xs)[0], labels, lengths)[0]

    ys, hs = rnn.forward(xs)
    _, dys = last_step_cross_entropy(ys, labels, lengths)
    nonzero = np.abs(dys).sum(axis=2) > 0
    assert np.array_equal(nonzero, np.arange(T)[:, None] == lengths - 1), \
        "dys must be nonzero only at each sequence's last real step"
    grads = rnn.backward(xs, hs, dys)
    for name, param in rnn.params.items():
        err = relative_error(grads[name], numerical_gradient(loss, param))
        assert err < 1e-7, f"{name}: relative error {err:.2e}"
    # the pad steps (after each sequence) change neither the loss nor any gradient
    xs_other = xs.copy()
    xs_other[np.arange(T)[:, None] >= lengths] = rng.standard_normal(D)
    ys2, hs2 = rnn.forward(xs_other)
    grads2 = rnn.backward(xs_other, hs2, last_step_cross_entropy(ys2, labels, lengths)[1])
    for name in rnn.params:
        assert np.allclose(grads2[name], grads[name], rtol=0, atol=1e-14), name


def _score_padded(rnn, review, other, pad_at_end):
    """p(class 1) of ``review`` (token ids) in a batch with ``other``, one-hot, V = 6."""
    if pad_at_end:
        ids, real = pad_right([review, other])
        ys = rnn.forward(np.eye(6)[ids])[0]
        return softmax(last_outputs(ys, real.sum(axis=0).astype(int)))[0, 1]
    ys = rnn.forward(np.eye(6)[pad_left([review, other])])[0]
    return softmax(ys[-1])[0, 1]


def test_a_review_scores_the_same_whatever_the_padding_of_its_batch():
    rnn = VanillaRNN(6, 5, 2, seed=3)
    review = [3, 1, 4]
    scores = [_score_padded(rnn, review, other, pad_at_end=True)
              for other in ([2], [1, 5, 2, 2, 5, 1, 3, 2, 4])]
    assert abs(scores[0] - scores[1]) < 1e-12, scores
    # padding at the start and reading step T, the old way, fails this test
    left = [_score_padded(rnn, review, other, pad_at_end=False)
            for other in ([2], [1, 5, 2, 2, 5, 1, 3, 2, 4])]
    assert abs(left[0] - left[1]) > 1e-3, left


def test_train_many_to_one_with_lengths_ignores_the_pads():
    """Trained with lengths, the pads' inputs (and how many there are) change nothing."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 5, 40)
    xs = rng.standard_normal((6, 40, 2))
    labels = (xs[0, :, 0] > 0).astype(int)
    noisy = xs.copy()
    noisy[np.arange(6)[:, None] >= lengths] = 7.0          # other pads, two more steps
    noisy = np.concatenate([noisy, np.full((2, 40, 2), -3.0)])
    a, _ = train_many_to_one(xs, labels, 4, seed=1, lengths=lengths, steps=20, batch_size=10)
    b, _ = train_many_to_one(noisy, labels, 4, seed=1, lengths=lengths, steps=20,
                             batch_size=10)
    for name in a.params:
        assert np.allclose(a.params[name], b.params[name], rtol=0, atol=1e-12), name
    with pytest.raises(ValueError, match="lengths"):
        train_many_to_one(xs, labels, 4, seed=1, lengths=lengths + 6)


def test_last_outputs_picks_each_last_real_step():
    ys = np.arange(24.0).reshape(4, 3, 2)
    assert last_outputs(ys, np.array([4, 1, 2])).tolist() == [[18, 19], [2, 3], [10, 11]]
    assert np.array_equal(last_outputs(ys), ys[-1])
    for bad in (np.array([0, 1, 2]), np.array([1, 2]), np.array([1.0, 2.0, 3.0])):
        with pytest.raises(ValueError, match="lengths"):
            last_outputs(ys, bad)


def test_last_step_cross_entropy_checks_shapes():
    with pytest.raises(ValueError, match="labels"):
        last_step_cross_entropy(np.zeros((2, 3, 4)), np.zeros(2, int))
    with pytest.raises(ValueError, match="ys"):
        last_step_cross_entropy(np.zeros((3, 4)), np.zeros(3, int))


def test_minibatches_cover_every_example_once_per_epoch():
    batches = minibatches(np.random.default_rng(0), 10, 5, 4)
    assert len(batches) == 4
    assert sorted(np.concatenate(batches[:2])) == list(range(10))


def test_number_words_fixtures():
    assert [number_words(n) for n in (0, 7, 13, 20, 42, 100, 305, 999)] == [
        "zero", "seven", "thirteen", "twenty", "forty two", "one hundred",
        "three hundred five", "nine hundred ninety nine"]
    with pytest.raises(ValueError, match="number"):
        number_words(1000)


def test_entity_spans_and_f1_by_hand():
    assert entity_spans(["B-PER", "I-PER", "O", "B-LOC", "I-ORG"]) == {
        ("PER", 0, 2), ("LOC", 3, 4), ("ORG", 4, 5)}
    f1 = entity_f1([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]])
    assert f1 == {"LOC": 1.0, "PER": 0.0, "all": 0.5}
    with pytest.raises(ValueError, match="predicted_tags"):
        entity_f1([["O"]], [])


def test_generators_are_seeded_and_well_formed():
    for make in (lambda r: two_moons(r, 20), lambda r: scale_walks(r, 5),
                 lambda r: sentiment_sentences(r, 5), lambda r: tagged_sentences(r, 5)):
        a, b = make(np.random.default_rng(4)), make(np.random.default_rng(4))
        assert repr(a) == repr(b)
    melodies = scale_walks(np.random.default_rng(0), 50)
    assert np.all(in_key(melodies, melodies[:, :1])), "every note must be in the seed's key"
    assert np.all(np.abs(np.diff(melodies, axis=1)) <= 4)
    words, tags = tagged_sentences(np.random.default_rng(0), 30)
    assert all(len(w) == len(t) for w, t in zip(words, tags))
    with pytest.raises(TypeError, match="rng"):
        two_moons(0, 10)


def test_padding():
    assert pad_left([[1, 2], [3]]).tolist() == [[1, 0], [2, 3]]
    ids, mask = pad_right([[1, 2], [3]])
    assert ids.tolist() == [[1, 3], [2, 0]] and mask.tolist() == [[1, 1], [1, 0]]


def test_synthesize_is_deterministic_and_in_range():
    assert note_frequency(9) == pytest.approx(440.0)   # A4 = MIDI 69 = base 60 + 9
    wave = synthesize([0, 4, 7], rate=8000, seconds=0.25)
    assert wave.shape == (6000,) and np.max(np.abs(wave)) <= 1
    assert np.array_equal(wave, synthesize([0, 4, 7], rate=8000, seconds=0.25))


def test_generate_feeds_back_and_follows_a_peaked_model():
    from lamassu_course.experiments.seq2seq import generate
    rnn = VanillaRNN(4, 3, 4, seed=0)
    rnn.params["W_yh"][:] = 0
    rnn.params["b_y"][:] = [0, 0, 50, 0]        # the model always says token 2
    out = generate(rnn, np.array([1, 3]), 5, np.random.default_rng(0))
    assert out.shape == (5, 2) and out[0].tolist() == [1, 3]
    assert np.all(out[1:] == 2)
    with pytest.raises(ValueError, match="D = K"):
        generate(VanillaRNN(3, 2, 4), np.array([0]), 3, np.random.default_rng(0))



def test_figure_with_audio_holds_the_image_and_the_player():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lamassu_course.classroom.applications import figure_with_audio
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    page = figure_with_audio(fig, synthesize([0, 4]), alt='two "notes"').data
    assert page.count("data:image/png;base64,") == 1 and "<audio" in page
    assert 'alt="two &quot;notes&quot;"' in page
    assert not plt.fignum_exists(fig.number)


# ---------------------------------------------------------------- held-out items
def test_unseen_split_is_disjoint_distinct_and_in_order():
    items = [[1], [2], [1], [3], [2], [3], [4], [5]]
    train, test = unseen_split(items, 2, 3)
    assert train.tolist() == [0, 1] and test.tolist() == [3, 6, 7]
    rows = np.array([[0, 1], [0, 1], [1, 1], [0, 1], [1, 0]])
    assert unseen_split(rows, 1, 2)[1].tolist() == [2, 4]
    with pytest.raises(ValueError, match="n_test=4"):
        unseen_split(items, 2, 4)
    with pytest.raises(ValueError, match="n_train"):
        unseen_split(items, 0, 1)


def test_unseen_split_on_the_chapter_tasks():
    sentences, _ = sentiment_sentences(np.random.default_rng(0), 2000)
    train, test = unseen_split(sentences, 1000, 400)
    seen = {tuple(sentences[i]) for i in train}
    held = [tuple(sentences[i]) for i in test]
    assert not seen & set(held) and len(set(held)) == len(held) == 400


def test_unseen_split_by_group_holds_out_every_group_by_hand():
    items = [[1], [1], [2], [3], [9], [4], [5], [9], [6], [7]]
    groups = ["a", "a", "a", "a", "b", "a", "a", "b", "a", "a"]
    # group a has 7 different items: a quarter is 1, the first ([1]); b has 1: at least 1
    train, test = unseen_split_by_group(items, groups, 5)
    assert test.tolist() == [0, 4] and train.tolist() == [2, 3, 5, 6, 8]
    train, test = unseen_split_by_group(items, groups, 3, share=0.5, most=2)
    assert test.tolist() == [0, 2, 4] and train.tolist() == [3, 5, 6]
    for bad, match in (({"share": 1.0}, "share"), ({"most": 0}, "most")):
        with pytest.raises(ValueError, match=match):
            unseen_split_by_group(items, groups, 3, **bad)
    with pytest.raises(ValueError, match="n_train=9"):
        unseen_split_by_group(items, groups, 9)
    with pytest.raises(ValueError, match="groups"):
        unseen_split_by_group(items, groups[:-1], 3)


def test_unseen_split_by_group_on_the_tagging_task():
    sentences, tags = tagged_sentences(np.random.default_rng(0), 3000)
    groups = [tuple(w for w, t in zip(s, g) if t == "O") for s, g in zip(sentences, tags)]
    train, test = unseen_split_by_group(sentences, groups, 1000)
    held = [tuple(sentences[i]) for i in test]
    assert not {tuple(sentences[i]) for i in train} & set(held)
    assert len(set(held)) == len(held) and len(train) == 1000
    assert {groups[i] for i in test} == set(groups)          # every template held out


def test_one_clause_reviews_are_every_clause_the_generator_writes():
    reviews, labels = one_clause_reviews()
    table = {tuple(r): int(y) for r, y in zip(reviews, labels)}
    assert len(table) == len(reviews) == 6 * 2 * (2 * 4 * 6 + 5)
    sentences, gold = sentiment_sentences(np.random.default_rng(1), 3000)
    for words, label in zip(sentences, gold):
        if "but" not in words:
            assert table[tuple(words)] == label, words


def test_template_sizes_bound_the_distinct_sentences():
    sizes = template_sizes()
    assert sizes["the weather in {LOC} was cold"] == 8
    assert sizes["{PER} and {PER} visited {LOC}"] == 8 * 8 * 8
    sentences, _ = tagged_sentences(np.random.default_rng(0), 5000)
    assert len({tuple(s) for s in sentences}) <= sum(sizes.values()) == 1416


def test_seen_in_place_counts_the_rarest_word_by_hand():
    train = [["a", "b"], ["a", "c"], ["b"], ["a", "b", "c"]]
    assert seen_in_place(train, [["a", "b"], ["a"], ["c", "b"], ["b"]]).tolist() == [1, 0, 0, 1]


# ---------------------------------------------------------------- the rule's own probabilities
def test_next_note_probabilities_by_hand_and_on_walks():
    probs = next_note_probabilities(np.array([[0, 2]]))     # C major, from the tonic
    expected = np.zeros(36)
    expected[[2, 4]] = [0.7, 0.3]      # -1 and +1 reflect to degree 1, -2 and +2 to degree 2
    assert np.allclose(probs[0, 0], expected)
    melodies = scale_walks(np.random.default_rng(0), 200)
    probs = next_note_probabilities(melodies)
    assert np.allclose(probs.sum(-1), 1)
    assert np.all(np.take_along_axis(probs, melodies[:, 1:, None], -1) > 0)
    with pytest.raises(ValueError, match="outside"):
        next_note_probabilities(np.array([[0, 1]]))
