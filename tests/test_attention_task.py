"""Chapter 7's task: the digit strings and their split, the batches, both encoder-decoder
losses against finite differences end to end, padding that changes nothing, and training."""
import numpy as np
import pytest

from lamassu_course import numerical_gradient, relative_error
from lamassu_course.data import one_hot
from lamassu_course.decoding import greedy_decode
from lamassu_course.experiments.attention_task import (
    END, PAD, SRC_SIZE, START, accuracy_by_length, attention_loss, attention_weights,
    beam_decode, check_disjoint, decode, decoder_steps, edit_distance, encode, first_mistake,
    make_batch, make_pair, make_split, sequence_accuracy, train_pair, vanilla_loss)
from lamassu_course.experiments.tasks import pad_right

TOLERANCE = 1e-7
LOSSES = {"vanilla": vanilla_loss, "attention": attention_loss}


def test_make_batch_by_hand():
    batch = make_batch([np.array([1, 2, 3]), np.array([7])], "reverse")
    assert batch.src.shape == (3, 2, SRC_SIZE)
    assert batch.src.argmax(axis=-1).T.tolist() == [[1, 2, 3], [7, PAD, PAD]]
    assert batch.lengths.tolist() == [3, 1]
    assert batch.targets.T.tolist() == [[3, 2, 1, END], [7, END, END, END]]
    assert batch.dec_in.T.tolist() == [[START, 3, 2, 1], [START, 7, END, END]]
    assert batch.mask.T.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    copy = make_batch([np.array([1, 2, 3])], "copy")
    assert copy.targets[:, 0].tolist() == [1, 2, 3, END]
    with pytest.raises(ValueError, match="unknown task 'sort'"):
        make_batch([np.array([1])], "sort")


@pytest.mark.parametrize("task", ["reverse", "copy"])
def test_make_batch_is_the_strings_padded_one_by_one(task):
    """The batch is built for all strings at once; it must be what padding each string
    at the end, one column at a time (``tasks.pad_right``), gives, dtypes included."""
    rng = np.random.default_rng(1)
    strings = [rng.integers(0, 10, rng.integers(1, 9)) for _ in range(50)]
    batch = make_batch(strings, task)
    outs = [s[::-1] if task == "reverse" else s for s in strings]
    ids, _ = pad_right(strings, value=PAD)
    targets, mask = pad_right([list(o) + [END] for o in outs], value=END)
    dec_in = np.vstack([np.full((1, 50), START), targets[:-1]])
    expected = (one_hot(ids, SRC_SIZE), np.array([len(s) for s in strings]), dec_in,
                targets, mask)
    for name, got, want in zip(batch._fields, batch, expected):
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_split_is_disjoint_and_held_out_by_length():
    train, test = make_split(np.random.default_rng(0), 5, 3000, 50)
    check_disjoint(train, test)
    assert not {tuple(s) for s in train} & {tuple(s) for s in test}
    counts = np.bincount([len(s) for s in test])
    assert counts.tolist() == [0, 2, 20, 50, 50, 50]        # 20% of 10 and of 100 strings
    assert len({tuple(s) for s in test}) == len(test), "a held-out string is repeated"
    assert set(len(s) for s in train) == {1, 2, 3, 4, 5} and len(train) == 3000
    with pytest.raises(ValueError, match="1 held-out string"):
        check_disjoint(train + [test[7]], test)
    with pytest.raises(ValueError, match="min_len"):
        make_split(np.random.default_rng(0), 3, 10, 5, min_len=4)


def _padded_batch():
    return make_batch([np.array([4, 0, 9, 2]), np.array([3]), np.array([5, 5])], "reverse")


@pytest.mark.parametrize("kind", ["vanilla", "attention"])
@pytest.mark.parametrize("seed", range(3))
def test_loss_gradients_match_finite_differences_end_to_end(kind, seed):
    """Every weight and bias of the encoder and the decoder, on a right-padded batch."""
    encoder, decoder = make_pair(kind, 4, seed, attn_size=3)
    for net in (encoder, decoder):
        for name, value in net.params.items():
            if name.startswith("b"):
                value[:] = np.random.default_rng(seed).standard_normal(value.shape) * 0.5
    batch, loss_fn = _padded_batch(), LOSSES[kind]
    loss, grads = loss_fn(encoder, decoder, batch)
    # the loss alone (grads=False, for the finite differences) is the same number, and so
    # are loss and gradients given the encoder's states already computed
    assert loss_fn(encoder, decoder, batch, grads=False) == (loss, None)
    again, same = loss_fn(encoder, decoder, batch, encoded=encode(encoder, batch))
    assert again == loss and all(np.array_equal(same[part][name], grads[part][name])
                                 for part in grads for name in grads[part])
    for part, net in (("encoder", encoder), ("decoder", decoder)):
        for name, value in net.params.items():
            numeric = numerical_gradient(
                lambda: loss_fn(encoder, decoder, batch, grads=False)[0], value)
            error = relative_error(grads[part][name], numeric)
            assert error < TOLERANCE, f"{kind} {part} {name}: relative error {error:.2e}"
    # the encoder learns only through its states: its output weights get no gradient
    assert np.all(grads["encoder"]["W_yh"] == 0) and np.all(grads["encoder"]["b_y"] == 0)


@pytest.mark.parametrize("kind", ["vanilla", "attention"])
def test_an_example_gets_the_same_loss_and_gradients_padded_or_not(kind):
    """N * loss(batch) = sum of each example's loss alone, and so for every gradient: the
    padding a batch gives a short example changes nothing."""
    encoder, decoder = make_pair(kind, 5, 0, attn_size=4)
    strings = [np.array([4, 0, 9, 2, 8, 1]), np.array([3]), np.array([5, 5, 1])]
    loss_fn = LOSSES[kind]
    loss, grads = loss_fn(encoder, decoder, make_batch(strings))
    alone = [loss_fn(encoder, decoder, make_batch([s])) for s in strings]
    assert 3 * loss == pytest.approx(sum(a[0] for a in alone), abs=1e-12)
    for part in ("encoder", "decoder"):
        for name, value in grads[part].items():
            total = sum(a[1][part][name] for a in alone)
            np.testing.assert_allclose(3 * value, total, rtol=0, atol=1e-12,
                                       err_msg=f"{part} {name}")


@pytest.mark.parametrize("kind", ["vanilla", "attention"])
def test_training_is_seeded_and_lowers_the_loss(kind):
    train, _ = make_split(np.random.default_rng(1), 4, 400, 10)
    a = train_pair(kind, train, 8, seed=3, steps=60, batch_size=16, lr=0.1)
    b = train_pair(kind, train, 8, seed=3, steps=60, batch_size=16, lr=0.1)
    np.testing.assert_array_equal(a[2], b[2])
    assert a[2][-10:].mean() < 0.8 * a[2][:10].mean()
    c = train_pair(kind, train, 8, seed=3, steps=60, batch_size=16, lr=0.1,
                   eps=lambda i: 0.5 * i / 60)
    assert not np.array_equal(a[2], c[2]), "scheduled sampling changed nothing"


def test_sequence_accuracy_needs_every_token_and_the_end():
    batch = make_batch([np.array([1, 2]), np.array([3])], "copy")
    right = np.array([[1, 3], [2, END], [END, 4]])          # after <end> nothing is read
    assert sequence_accuracy(right, batch).tolist() == [True, True]
    wrong = np.array([[1, 3], [2, 5], [5, 4]])
    assert sequence_accuracy(wrong, batch).tolist() == [False, False]


def test_accuracy_by_length_reads_every_length():
    train, test = make_split(np.random.default_rng(2), 3, 100, 5)
    encoder, decoder = make_pair("attention", 4, 0)
    accuracy = accuracy_by_length(encoder, decoder, test)
    assert sorted(accuracy) == [1, 2, 3]
    assert all(0.0 <= v <= 1.0 for v in accuracy.values())


def test_first_mistake_by_hand():
    batch = make_batch([np.array([1, 2]), np.array([3]), np.array([4, 5])], "copy")
    outputs = np.array([[1, 3, 4], [2, 6, 9], [END, 7, 9]])
    assert first_mistake(outputs, batch).tolist() == [-1, 1, 1]


def test_edit_distance_by_hand():
    batch = make_batch([np.array([4, 1, 3]), np.array([5, 6]), np.array([7])], "copy")
    E = END
    outputs = np.array([[4, 5, 7], [3, 6, E], [E, E, 9], [9, 9, 9]])   # after <end>: unread
    assert edit_distance(outputs, batch).tolist() == [1, 0, 0]          # a dropped digit
    outputs = np.array([[4, 6, 8], [1, 5, E], [2, 6, 9], [3, E, 9], [E, 9, 9]])
    assert edit_distance(outputs, batch).tolist() == [1, 1, 1]          # extra, extra, swap
    outputs = np.array([[4, 5, 7], [1, 6, 7], [3, 6, 7], [3, 6, 7]])    # no <end> at all
    assert edit_distance(outputs, batch).tolist() == [1, 2, 3]
    assert first_mistake(outputs, batch).tolist() == [3, 2, 1]
    assert edit_distance(outputs[:0], batch).tolist() == [4, 3, 2]     # nothing written
    with pytest.raises(ValueError, match="outputs has shape"):
        edit_distance(outputs[:, :2], batch)
    with pytest.raises(TypeError, match="outputs has dtype float64; expected integer"):
        edit_distance(outputs * 1.0, batch)


def _levenshtein(a, b):
    """The textbook recursion, memoised: the reference for ``edit_distance``."""
    table = {}

    def d(i, j):
        if min(i, j) == 0:
            return max(i, j)
        if (i, j) not in table:
            table[i, j] = min(d(i - 1, j) + 1, d(i, j - 1) + 1,
                              d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        return table[i, j]
    return d(len(a), len(b))


@pytest.mark.parametrize("seed", range(4))
def test_edit_distance_is_the_levenshtein_distance(seed):
    rng = np.random.default_rng(seed)
    strings = [rng.integers(0, 3, rng.integers(1, 6)) for _ in range(40)]
    batch = make_batch(strings, "copy")
    outputs = rng.integers(0, 4, (rng.integers(1, 9), len(strings)))
    outputs[outputs == 3] = END                         # a few <end>s, anywhere
    for b, distance in enumerate(edit_distance(outputs, batch)):
        ends = np.flatnonzero(outputs[:, b] == END)
        out = outputs[:ends[0] + 1, b] if ends.size else outputs[:, b]
        target = list(strings[b]) + [END]
        assert distance == _levenshtein(list(out), target), (b, out, target)


@pytest.mark.parametrize("kind", ["vanilla", "attention"])
def test_beam_decode_of_width_one_is_decode(kind):
    _, test = make_split(np.random.default_rng(3), 4, 10, 6)
    encoder, decoder = make_pair(kind, 6, 1)
    batch = make_batch(test)
    outputs, log_probs = beam_decode(encoder, decoder, batch, 1)
    greedy = decode(encoder, decoder, batch)
    np.testing.assert_array_equal(outputs, greedy)
    _, greedy_log_probs = greedy_decode(*decoder_steps(encoder, decoder, batch), START, END,
                                        batch.targets.shape[0])
    np.testing.assert_allclose(log_probs, greedy_log_probs, rtol=0, atol=1e-12)


def test_attention_weights_are_those_of_the_decoding_steps():
    _, test = make_split(np.random.default_rng(4), 5, 10, 4)
    encoder, decoder = make_pair("attention", 6, 2)
    batch = make_batch(test)
    step_fn, state = decoder_steps(encoder, decoder, batch)
    outputs, _ = greedy_decode(step_fn, state, START, END, batch.targets.shape[0])
    alphas = attention_weights(encoder, decoder, batch, outputs)
    token = np.full(len(test), START)
    for t in range(len(outputs)):
        _, state = step_fn(token, state)
        np.testing.assert_allclose(alphas[t], state["alpha"], rtol=0, atol=1e-12)
        token = outputs[t]
    padded = np.arange(alphas.shape[2]) >= batch.lengths[:, None]
    assert np.all(alphas[:, padded] == 0)
    assert attention_weights(encoder, decoder, batch).shape == alphas.shape
    with pytest.raises(ValueError, match="expected an AttentionDecoder"):
        attention_weights(*make_pair("vanilla", 6, 2), batch)
