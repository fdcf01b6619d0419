"""Decoding: greedy and beam search on models small enough to enumerate every output, length
normalisation on a model built by hand, the adapters, and scheduled sampling's inputs."""
import itertools

import numpy as np
import pytest

from lamassu_course import VanillaRNN
from lamassu_course.attention_decoder import AttentionDecoder
from lamassu_course.data import one_hot
from lamassu_course.decoding import (attention_decoder_steps, batch_beam_search, beam_search,
                                     greedy_decode, length_penalty, log_softmax,
                                     rnn_decoder_steps,
                                     scheduled_inputs, sequence_log_prob, take_state,
                                     teacher_forced_decode)

A, END, START = 0, 1, 2          # the tiny models' vocabulary: V = 3


def _tiny_pair(seed, attention=False, V=3, gain=3.0):
    """A random encoder-decoder (V output tokens) with weights scaled up by ``gain``, so
    that its next-token distributions are far from uniform, and two sources."""
    rng = np.random.default_rng(seed)
    encoder = VanillaRNN(2, 3, 1, seed=seed)
    decoder = AttentionDecoder(V, 3, 3, 2, seed=seed + 100) if attention \
        else VanillaRNN(V, 3, V, seed=seed + 100)
    for net in (encoder, decoder):
        for value in net.params.values():
            value *= gain
    src = rng.standard_normal((3, 2, 2))
    make = attention_decoder_steps if attention else rnn_decoder_steps
    return make(encoder, decoder, src)


def _one(state, b):
    """The state of source b alone (N = 1)."""
    return take_state(state, np.array([b]))


def _every_output(V, end, max_len):
    """Every output the decoders can write: sequences that stop at their first ``end``, and
    the sequences of max_len tokens with no ``end``."""
    others = [t for t in range(V) if t != end]
    for n in range(1, max_len + 1):
        for body in itertools.product(others, repeat=n - 1):
            yield list(body) + [end]
    yield from (list(seq) for seq in itertools.product(others, repeat=max_len))


def _log_prob(step_fn, state, tokens):
    return float(sequence_log_prob(step_fn, state, START, np.array(tokens)[:, None], END)[0])


def _best_by_enumeration(step_fn, state, max_len):
    outputs = list(_every_output(3, END, max_len))
    scores = [_log_prob(step_fn, state, seq) for seq in outputs]
    return outputs[int(np.argmax(scores))], max(scores), len(outputs)


# ---------------------------------------------------------------- greedy and beam search
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("attention", [False, True])
def test_beam_width_one_is_greedy(seed, attention):
    step_fn, state = _tiny_pair(seed, attention, V=5)
    tokens, scores = greedy_decode(step_fn, state, START, END, 6)
    for b in range(tokens.shape[1]):
        ((best, log_p, score),) = beam_search(step_fn, _one(state, b), START, END, 1, 6)
        ends = np.flatnonzero(tokens[:, b] == END)
        n = ends[0] + 1 if ends.size else len(tokens)
        np.testing.assert_array_equal(best, tokens[:n, b])
        assert log_p == pytest.approx(scores[b], abs=1e-12) and score == log_p


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("attention", [False, True])
def test_a_wide_beam_finds_the_most_probable_output(seed, attention):
    """V = 3, max_len = 4: 31 possible outputs, all scored; a beam of 3^4 never prunes."""
    step_fn, state = _tiny_pair(seed, attention)
    for b in range(2):
        one = _one(state, b)
        best, best_score, count = _best_by_enumeration(step_fn, one, 4)
        assert count == 1 + 2 + 4 + 8 + 16
        hyps = beam_search(step_fn, one, START, END, 3 ** 4, 4)
        assert len(hyps) == count, "an unpruned beam ends with every output"
        assert hyps[0][0].tolist() == best
        assert hyps[0][1] == pytest.approx(best_score, abs=1e-12)
        for tokens, log_p, _ in hyps[:5]:
            assert log_p == pytest.approx(_log_prob(step_fn, one, tokens), abs=1e-12)


def test_greedy_can_miss_the_best_output_that_the_beam_finds():
    """Among the first random models there is one where greedy's output is less probable
    than the output a beam of 3 finds (and the beam's is the most probable of all)."""
    found = []
    for seed in range(10):
        step_fn, state = _tiny_pair(seed)
        for b in range(2):
            one = _one(state, b)
            _, greedy_score = greedy_decode(step_fn, one, START, END, 4)
            beam = beam_search(step_fn, one, START, END, 3, 4)[0]
            best, best_score, _ = _best_by_enumeration(step_fn, one, 4)
            if beam[1] > greedy_score[0] + 1e-3 and beam[0].tolist() == best:
                found.append((seed, b))
    assert found, "no model where greedy misses the best output"


def _many_sources(seed, attention, N=7, V=5):
    """A random encoder-decoder (weights scaled up, as ``_tiny_pair``) and N sources of
    different lengths."""
    rng = np.random.default_rng(seed)
    encoder = VanillaRNN(2, 3, 1, seed=seed)
    decoder = AttentionDecoder(V, 3, 3, 2, seed=seed + 100) if attention \
        else VanillaRNN(V, 3, V, seed=seed + 100)
    for net in (encoder, decoder):
        for value in net.params.values():
            value *= 3.0
    make = attention_decoder_steps if attention else rnn_decoder_steps
    lengths = rng.integers(1, 5, N)
    return make(encoder, decoder, rng.standard_normal((4, N, 2)), lengths)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("attention", [False, True])
@pytest.mark.parametrize("width, max_len, norm", [(1, 6, None), (2, 6, 1.0), (3, 3, None),
                                                  (5, 6, 1.0), (7, 4, 0.5)])
def test_batch_beam_search_is_beam_search_on_each_source(seed, attention, width, max_len,
                                                         norm):
    """The same hypotheses in the same order for every source, whether the beam narrows
    as hypotheses end, stops at max_len with live ones, or is wider than V = 5 at first."""
    step_fn, state = _many_sources(seed, attention)
    together = batch_beam_search(step_fn, state, START, END, width, max_len, norm)
    assert len(together) == 7
    for b, hyps in enumerate(together):
        alone = beam_search(step_fn, _one(state, b), START, END, width, max_len, norm)
        assert len(hyps) == len(alone) == width
        for (tokens, log_p, score), (tokens_1, log_p_1, score_1) in zip(hyps, alone):
            np.testing.assert_array_equal(tokens, tokens_1)
            assert log_p == pytest.approx(log_p_1, abs=1e-12)
            assert score == pytest.approx(score_1, abs=1e-12)


def test_batch_beam_search_refuses_bad_arguments():
    step_fn, state = _many_sources(0, False)
    with pytest.raises(ValueError, match="beam_width is 0; expected an integer >= 1"):
        batch_beam_search(step_fn, state, START, END, 0, 4)
    with pytest.raises(ValueError, match="length_norm is -1"):
        batch_beam_search(step_fn, state, START, END, 2, 4, length_norm=-1)


def _table_model(rows):
    """A decoder with no weights: at step t every sequence gets the next-token
    probabilities rows[t] (over a, end, start). The state is the step, (N,) ints."""
    probs = np.array(rows, dtype=float)
    probs = (probs + 1e-9) / (probs + 1e-9).sum(axis=1, keepdims=True)

    def step_fn(tokens, step):
        return np.log(probs[step]), step + 1

    return step_fn


def test_length_normalisation_changes_the_chosen_length():
    """'end' at once has p = 0.3; 'a a a end' has p = 0.7^4 = 0.24, less in all, but more per
    token. Ranked by log p the search returns the short output; divided by lp(n) with
    alpha = 1 (lp(1) = 1, lp(4) = 1.5), the long one."""
    step_fn = _table_model([[0.7, 0.3, 0], [0.7, 0.3, 0], [0.7, 0.3, 0], [0.3, 0.7, 0]])
    state = np.zeros(1, dtype=int)
    raw = beam_search(step_fn, state, START, END, 2, 4)
    normed = beam_search(step_fn, state, START, END, 2, 4, length_norm=1.0)
    assert raw[0][0].tolist() == [END]
    assert normed[0][0].tolist() == [A, A, A, END]
    assert raw[0][1] == pytest.approx(np.log(0.3), abs=1e-6)
    assert normed[0][2] == pytest.approx(4 * np.log(0.7) / 1.5, abs=1e-6)
    assert length_penalty(1, 1.0) == 1.0 and length_penalty(4, 0.0) == 1.0


# ---------------------------------------------------------------- teacher forcing, adapters
@pytest.mark.parametrize("attention", [False, True])
def test_teacher_forced_decode_reads_the_true_tokens(attention):
    step_fn, state = _tiny_pair(3, attention, V=5)
    dec_in = np.array([[START, START], [0, 3], [4, 1]])
    predictions, log_probs = teacher_forced_decode(step_fn, state, dec_in)
    assert predictions.shape == (3, 2) and log_probs.shape == (3, 2, 5)
    s = state
    for t in range(3):
        lp, s = step_fn(dec_in[t], s)
        np.testing.assert_array_equal(log_probs[t], lp)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=-1), 1.0, atol=1e-12)


def test_rnn_adapter_is_the_encoder_decoder_of_chapter_5():
    rng = np.random.default_rng(0)
    encoder, decoder = VanillaRNN(2, 3, 1, seed=1), VanillaRNN(4, 3, 4, seed=2)
    src, dec_in = rng.standard_normal((5, 3, 2)), rng.integers(0, 4, (3, 3))
    lengths = np.array([5, 2, 3])
    _, hs = encoder.forward(src)
    s0 = hs[lengths, np.arange(3)]                     # each source's last real state
    logits, _ = decoder.forward(one_hot(dec_in, 4), h0=s0)
    step_fn, state = rnn_decoder_steps(encoder, decoder, src, lengths)
    _, log_probs = teacher_forced_decode(step_fn, state, dec_in)
    np.testing.assert_allclose(log_probs, log_softmax(logits), rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation, dtype", [("tanh", np.float64), ("relu", np.float64),
                                               ("tanh", np.float32)])
def test_rnn_adapter_steps_are_exactly_the_decoder_forward(activation, dtype):
    """The step function skips forward's checks; its numbers must be those of a one-step
    ``decoder.forward`` to the bit, for a whole batch and for one source (a beam's N = 1),
    its states those of the whole sequence's, and it reads the weights when it is called,
    not when it is built. (A forward over all T steps computes the logits of every step in
    one product, which may round differently in the last bit.)"""
    rng = np.random.default_rng(5)
    encoder = VanillaRNN(2, 4, 1, seed=1, dtype=dtype)
    decoder = VanillaRNN(5, 4, 5, seed=2, hidden_activation=activation, dtype=dtype)
    decoder.params["b_h"][:] = rng.standard_normal(4)
    decoder.params["b_y"][:] = rng.standard_normal(5)
    src, dec_in = rng.standard_normal((3, 3, 2)), rng.integers(0, 5, (4, 3))
    step_fn, state = rnn_decoder_steps(encoder, decoder, src)
    for rows in ([0, 1, 2], [1]):
        _, states = decoder.forward(one_hot(dec_in[:, rows], 5), h0=state[rows])
        s = take_state(state, rows)
        for t in range(4):
            one, _ = decoder.forward(one_hot(dec_in[t:t + 1, rows], 5), h0=s)
            log_probs, s = step_fn(dec_in[t, rows], s)
            np.testing.assert_array_equal(s, states[t + 1])
            np.testing.assert_array_equal(log_probs, log_softmax(one[0]))
            assert s.dtype == dtype
    decoder.params["b_y"][:] = 0.0
    after, _ = step_fn(dec_in[0], state)
    np.testing.assert_array_equal(
        after, log_softmax(decoder.forward(one_hot(dec_in[:1], 5), h0=state)[0][0]))


@pytest.mark.parametrize("attention", [False, True])
def test_adapters_given_the_encoder_states_do_not_run_the_encoder(attention):
    rng = np.random.default_rng(3)
    encoder = VanillaRNN(2, 3, 1, seed=1)
    decoder = AttentionDecoder(4, 3, 3, 2, seed=2) if attention else VanillaRNN(4, 3, 4, seed=2)
    make = attention_decoder_steps if attention else rnn_decoder_steps
    src, lengths = rng.standard_normal((5, 3, 2)), np.array([5, 2, 3])
    _, hs = encoder.forward(src)
    step_fn, state = make(encoder, decoder, src, lengths)
    given_fn, given = make(None, decoder, src, lengths, hs=hs)   # no encoder to run
    dec_in = rng.integers(0, 4, (3, 3))
    np.testing.assert_array_equal(teacher_forced_decode(given_fn, given, dec_in)[1],
                                  teacher_forced_decode(step_fn, state, dec_in)[1])
    with pytest.raises(ValueError, match=r"hs has shape \(5, 3, 3\); expected \(Tx\+1, B, H\)"):
        make(None, decoder, src, lengths, hs=hs[1:])


def test_rnn_adapter_names_bad_tokens():
    step_fn, state = _tiny_pair(0)                       # V = 3, two sources
    with pytest.raises(TypeError, match="tokens has dtype float64; expected integer"):
        step_fn(np.zeros(2), state)
    with pytest.raises(ValueError, match=r"tokens holds values in \[0, 3\]"):
        step_fn(np.array([0, 3]), state)
    with pytest.raises(ValueError, match=r"tokens has shape \(3,\); expected \(N,\)"):
        step_fn(np.array([0, 1, 2]), state)


def test_attention_adapter_is_the_decoder_forward_with_the_source_mask():
    rng = np.random.default_rng(1)
    encoder, decoder = VanillaRNN(2, 3, 1, seed=1), AttentionDecoder(4, 3, 3, 2, seed=2)
    src, dec_in = rng.standard_normal((5, 3, 2)), rng.integers(0, 4, (3, 3))
    lengths = np.array([5, 2, 3])
    _, hs = encoder.forward(src)
    mask = np.arange(5) < lengths[:, None]
    logits, cache = decoder.forward(one_hot(dec_in, 4), hs[1:], hs[lengths, np.arange(3)], mask)
    step_fn, state = attention_decoder_steps(encoder, decoder, src, lengths)
    s = state
    for t in range(3):
        lp, s = step_fn(dec_in[t], s)
        np.testing.assert_allclose(lp, log_softmax(logits[t]), rtol=0, atol=1e-12)
        np.testing.assert_allclose(s["alpha"], cache["alphas"][t], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- scheduled sampling
def test_scheduled_inputs_replace_the_true_tokens_at_rate_eps():
    """The table model always predicts a (token 0); the true inputs never are a, so the
    share of a among the inputs after the first is the share replaced."""
    step_fn = _table_model([[1, 0, 0]] * 6)
    dec_in = np.vstack([np.full((1, 2000), START), np.ones((5, 2000), dtype=int)])
    state = np.zeros(2000, dtype=int)
    np.testing.assert_array_equal(
        scheduled_inputs(step_fn, state, dec_in, 0.0, np.random.default_rng(0)), dec_in)
    for eps in (0.25, 1.0):
        mixed = scheduled_inputs(step_fn, state, dec_in, eps, np.random.default_rng(0))
        np.testing.assert_array_equal(mixed[0], START)
        share = np.mean(mixed[1:] == A)
        assert abs(share - eps) < 4 * np.sqrt(eps * (1 - eps) / mixed[1:].size) + 1e-12
    assert np.all(dec_in[1:] == 1), "the teacher-forcing inputs must not be changed"


def test_scheduled_inputs_with_eps_one_are_the_greedy_tokens():
    step_fn, state = _tiny_pair(2, V=5)
    tokens, _ = greedy_decode(step_fn, state, START, END, 5)
    dec_in = np.vstack([np.full((1, 2), START), np.zeros((4, 2), dtype=int)])
    mixed = scheduled_inputs(step_fn, state, dec_in, 1.0, np.random.default_rng(0),
                             sample=False)
    not_done = np.cumsum(tokens == END, axis=0)[:-1] == 0
    np.testing.assert_array_equal(mixed[1:][not_done], tokens[:-1][not_done])


# ---------------------------------------------------------------- errors
def test_bad_decoding_arguments_are_named():
    step_fn, state = _tiny_pair(0)
    with pytest.raises(ValueError, match="beam_width is 0; expected an integer >= 1"):
        beam_search(step_fn, _one(state, 0), START, END, 0, 4)
    with pytest.raises(ValueError, match="state holds 2 sequences on axis 0; expected 1"):
        beam_search(step_fn, state, START, END, 2, 4)
    with pytest.raises(ValueError, match="max_len is 0; expected an integer >= 1"):
        greedy_decode(step_fn, state, START, END, 0)
    with pytest.raises(ValueError, match="length_norm is -1"):
        beam_search(step_fn, _one(state, 0), START, END, 2, 4, length_norm=-1)
    with pytest.raises(ValueError, match="eps is 1.5; expected a probability"):
        scheduled_inputs(step_fn, state, np.zeros((3, 2), int), 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="dec_in has shape"):
        teacher_forced_decode(step_fn, state, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="tokens has shape"):
        sequence_log_prob(step_fn, state, START, np.zeros((3, 5), int))
