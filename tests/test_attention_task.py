"""Chapter 7's task: the digit strings and their split, the batches, both encoder-decoder
losses against finite differences end to end, padding that changes nothing, and training."""
import numpy as np
import pytest

from lamassu_course import numerical_gradient, relative_error
from lamassu_course.decoding import greedy_decode
from lamassu_course.experiments.attention_task import (
    END, PAD, SRC_SIZE, START, accuracy_by_length, attention_loss, attention_weights,
    beam_decode, check_disjoint, decode, decoder_steps, first_mistake, make_batch, make_pair,
    make_split, sequence_accuracy, train_pair, vanilla_loss)

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
    _, grads = loss_fn(encoder, decoder, batch)
    for part, net in (("encoder", encoder), ("decoder", decoder)):
        for name, value in net.params.items():
            numeric = numerical_gradient(lambda: loss_fn(encoder, decoder, batch)[0], value)
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
