"""Attention: every backward against central finite differences in float64, the masked softmax,
the attention decoder (gradients, steps, padding), and clear errors for bad inputs."""
import re

import numpy as np
import pytest

from lamassu_course import check_gradients
from lamassu_course.attention import (additive_attention_backward, additive_attention_forward,
                                      dot_product_attention_backward,
                                      dot_product_attention_forward, length_mask,
                                      masked_softmax, masked_softmax_backward,
                                      self_attention_backward, self_attention_forward)
from lamassu_course.attention_decoder import ATTENTION_PARAM_NAMES, AttentionDecoder

TOLERANCE = 1e-7


def _padding_mask(rng, B, Tx):
    """(B, Tx) 0/1: random real lengths 1..Tx, the first row full and (if B > 1) the last
    row of length 1, so the mask always holds padding when Tx > 1."""
    lengths = rng.integers(1, Tx + 1, size=B)
    lengths[0], lengths[-1] = Tx, 1
    return length_mask(lengths, Tx)


def _assert_small(errors, where):
    for name, error in errors.items():
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} ({where})"


# ---------------------------------------------------------------- the masked softmax
def test_masked_softmax_sums_to_one_and_is_zero_where_masked():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((4, 6)) * 5
    mask = _padding_mask(rng, 4, 6)
    alpha = masked_softmax(scores, mask)
    np.testing.assert_allclose(alpha.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    assert np.all(alpha[mask == 0] == 0.0), "a padded position must get weight exactly 0"
    assert np.all(alpha[mask == 1] > 0)
    # the real positions get the softmax of their own scores, as if the pads were not there
    row = 3
    real = scores[row, :int(mask[row].sum())]
    np.testing.assert_allclose(alpha[row, :len(real)], np.exp(real) / np.exp(real).sum(),
                               rtol=1e-14)


def test_masked_softmax_is_stable_and_ignores_masked_scores():
    scores = np.array([[1e300, 1e300 - 1e285, -1e300], [0.0, 700.0, 1e308]])
    mask = np.array([[1, 1, 1], [1, 1, 0]])
    alpha = masked_softmax(scores, mask)
    assert np.all(np.isfinite(alpha))
    np.testing.assert_allclose(alpha[0], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(alpha[1], [np.exp(-700.0), 1.0, 0.0], rtol=1e-12)
    # a huge masked score changes nothing
    other = scores.copy()
    other[1, 2] = -5.0
    np.testing.assert_array_equal(masked_softmax(other, mask), alpha)


def test_masked_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    scores, R = rng.standard_normal((2, 3, 5))
    mask = _padding_mask(rng, 3, 5)

    def loss():
        return np.sum(R * masked_softmax(scores, mask))

    de = masked_softmax_backward(R, masked_softmax(scores, mask))
    assert np.all(de[mask == 0] == 0.0)
    _assert_small(check_gradients(loss, {"scores": scores}, {"scores": de}), "softmax")


def test_a_fully_masked_row_is_an_error():
    with pytest.raises(ValueError, match=re.escape("mask masks every position of row (1,)")):
        masked_softmax(np.zeros((2, 3)), np.array([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="values other than 0 and 1"):
        masked_softmax(np.zeros((2, 3)), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=re.escape("mask has shape (3, 2); expected (B, T)")):
        masked_softmax(np.zeros((2, 3)), np.ones((3, 2)))


# ---------------------------------------------------------------- additive attention
def _additive_problem(seed):
    rng = np.random.default_rng(seed)
    B, Tx, H_dec, H_enc, A = rng.integers(1, 6, size=5) + [1, 1, 0, 0, 0]
    s_prev = rng.standard_normal((B, H_dec))
    hs_enc = rng.standard_normal((Tx, B, H_enc))
    W_a, U_a = rng.standard_normal((A, H_dec)), rng.standard_normal((A, H_enc))
    v_a = rng.standard_normal(A)
    mask = _padding_mask(rng, B, Tx)
    R, Q = rng.standard_normal((B, H_enc)), rng.standard_normal((B, Tx))
    return s_prev, hs_enc, W_a, U_a, v_a, mask, R, Q


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("with_dalpha", [False, True])
def test_additive_attention_backward_matches_finite_differences(seed, with_dalpha):
    s_prev, hs_enc, W_a, U_a, v_a, mask, R, Q = _additive_problem(seed)
    Q = Q if with_dalpha else None

    def loss():
        (context, alpha), _ = additive_attention_forward(s_prev, hs_enc, W_a, U_a, v_a, mask)
        return np.sum(R * context) + (np.sum(Q * alpha) if with_dalpha else 0.0)

    _, cache = additive_attention_forward(s_prev, hs_enc, W_a, U_a, v_a, mask)
    grads = dict(zip(("s_prev", "hs_enc", "W_a", "U_a", "v_a"),
                     additive_attention_backward(R, cache, Q)))
    arrays = {"s_prev": s_prev, "hs_enc": hs_enc, "W_a": W_a, "U_a": U_a, "v_a": v_a}
    _assert_small(check_gradients(loss, arrays, grads), f"seed {seed}")
    # a padded encoder state gets no gradient at all
    assert np.all(grads["hs_enc"][mask.T == 0] == 0.0)


def test_additive_attention_by_hand():
    """v_a = 1, U_a = I, W_a = 0, A = H_enc = 1: e_j = tanh(h_j); alpha and c on paper."""
    hs_enc = np.array([[[0.5]], [[-1.0]], [[2.0]]])          # Tx=3, B=1, H_enc=1
    (context, alpha), _ = additive_attention_forward(
        np.zeros((1, 2)), hs_enc, np.zeros((1, 2)), np.eye(1), np.ones(1))
    e = np.exp(np.tanh([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(alpha[0], e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(context[0, 0], np.dot(e / e.sum(), [0.5, -1.0, 2.0]), rtol=1e-14)


def test_additive_attention_ignores_what_the_pads_hold():
    s_prev, hs_enc, W_a, U_a, v_a, mask, _, _ = _additive_problem(2)
    other = hs_enc.copy()
    other[mask.T == 0] = 99.0
    out = additive_attention_forward(s_prev, hs_enc, W_a, U_a, v_a, mask)[0]
    again = additive_attention_forward(s_prev, other, W_a, U_a, v_a, mask)[0]
    for a, b in zip(out, again):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- dot-product attention
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scale", [True, False])
def test_dot_product_attention_backward_matches_finite_differences(seed, scale):
    rng = np.random.default_rng(seed)
    B, Tx, d, Dv = rng.integers(1, 6, size=4) + [1, 1, 0, 0]
    query, keys = rng.standard_normal((B, d)), rng.standard_normal((Tx, B, d))
    values = rng.standard_normal((Tx, B, Dv))
    mask = _padding_mask(rng, B, Tx)
    R, Q = rng.standard_normal((B, Dv)), rng.standard_normal((B, Tx))

    def loss():
        (context, alpha), _ = dot_product_attention_forward(query, keys, values, mask, scale)
        return np.sum(R * context) + np.sum(Q * alpha)

    _, cache = dot_product_attention_forward(query, keys, values, mask, scale)
    grads = dict(zip(("query", "keys", "values"), dot_product_attention_backward(R, cache, Q)))
    arrays = {"query": query, "keys": keys, "values": values}
    _assert_small(check_gradients(loss, arrays, grads), f"seed {seed}, scale {scale}")


def test_dot_product_scores_by_hand():
    query = np.array([[1.0, 2.0]])                          # B=1, d=2
    keys = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])           # Tx=2
    values = np.array([[[10.0]], [[20.0]]])
    for scale, factor in ((True, 1 / np.sqrt(2)), (False, 1.0)):
        (context, alpha), _ = dot_product_attention_forward(query, keys, values, scale=scale)
        e = np.exp(np.array([1.0, 2.0]) * factor)
        np.testing.assert_allclose(alpha[0], e / e.sum(), rtol=1e-14)
        np.testing.assert_allclose(context[0, 0], 10 * alpha[0, 0] + 20 * alpha[0, 1])


# ---------------------------------------------------------------- self-attention
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_backward_matches_finite_differences(seed, causal):
    rng = np.random.default_rng(seed)
    T, B, D, d_k, d_v = rng.integers(1, 6, size=5) + [1, 1, 0, 0, 0]
    xs = rng.standard_normal((T, B, D))
    W_q, W_k = rng.standard_normal((2, d_k, D))
    W_v = rng.standard_normal((d_v, D))
    mask = _padding_mask(rng, B, T)
    R = rng.standard_normal((T, B, d_v))

    def loss():
        return np.sum(R * self_attention_forward(xs, W_q, W_k, W_v, mask, causal)[0][0])

    (_, weights), cache = self_attention_forward(xs, W_q, W_k, W_v, mask, causal)
    assert weights.shape == (B, T, T)
    assert np.all(weights[np.broadcast_to(mask[:, None, :] == 0, weights.shape)] == 0)
    if causal:
        assert np.all(np.triu(weights, k=1) == 0), "a causal position read a later one"
    grads = dict(zip(("xs", "W_q", "W_k", "W_v"), self_attention_backward(R, cache)))
    arrays = {"xs": xs, "W_q": W_q, "W_k": W_k, "W_v": W_v}
    _assert_small(check_gradients(loss, arrays, grads), f"seed {seed}, causal {causal}")


def test_self_attention_is_dot_product_attention_at_every_position():
    """Row t of self-attention is dot_product_attention with query q_t over all keys."""
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((4, 2, 3))
    W_q, W_k, W_v = rng.standard_normal((3, 3, 3))
    (out, weights), _ = self_attention_forward(xs, W_q, W_k, W_v)
    for t in range(4):
        (context, alpha), _ = dot_product_attention_forward(xs[t] @ W_q.T, xs @ W_k.T,
                                                            xs @ W_v.T)
        np.testing.assert_allclose(context, out[t], rtol=0, atol=1e-12)
        np.testing.assert_allclose(alpha, weights[:, t], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- the attention decoder
def _decoder_problem(seed):
    """An AttentionDecoder of random sizes with non-zero biases, weights away from the linear
    part of tanh, a source mask with padding, and a random linear loss on the logits and s_Ty."""
    rng = np.random.default_rng(seed)
    Ty, B, Tx, V, He, H, A = rng.integers(1, 5, size=7) + [0, 1, 1, 1, 0, 0, 0]
    decoder = AttentionDecoder(V, He, H, A, seed=seed)
    for name, value in decoder.params.items():
        value *= 1.5
        if name.startswith("b"):
            value[:] = rng.standard_normal(value.shape)
    dec_x = np.eye(V)[rng.integers(0, V, size=(Ty, B))]
    hs_enc = rng.standard_normal((Tx, B, He))
    s0 = 0.5 * rng.standard_normal((B, H))
    mask = _padding_mask(rng, B, Tx)
    R, P = rng.standard_normal((Ty, B, V)), rng.standard_normal((B, H))
    return decoder, dec_x, hs_enc, s0, mask, R, P


@pytest.mark.parametrize("seed", range(6))
def test_attention_decoder_backward_matches_finite_differences(seed):
    decoder, dec_x, hs_enc, s0, mask, R, P = _decoder_problem(seed)

    def loss():
        logits, cache = decoder.forward(dec_x, hs_enc, s0, mask)
        return np.sum(R * logits) + np.sum(P * cache["ss"][-1])

    _, cache = decoder.forward(dec_x, hs_enc, s0, mask)
    grads = decoder.backward(dec_x, cache, R, ds_last=P)
    assert set(grads) == set(ATTENTION_PARAM_NAMES) | {"dec_x", "hs_enc", "s0"}
    arrays = dict(decoder.params, dec_x=dec_x, hs_enc=hs_enc, s0=s0)
    _assert_small(check_gradients(loss, arrays, grads), f"seed {seed}, sizes {decoder.sizes}")
    assert np.all(grads["hs_enc"][mask.T == 0] == 0.0), "a padded state got a gradient"


def test_attention_decoder_steps_equal_forward_and_ignore_the_pads():
    decoder, dec_x, hs_enc, s0, mask, _, _ = _decoder_problem(3)
    logits, cache = decoder.forward(dec_x, hs_enc, s0, mask)
    assert cache["alphas"].shape == (len(dec_x), hs_enc.shape[1], hs_enc.shape[0])
    np.testing.assert_allclose(cache["alphas"].sum(axis=-1), 1.0, atol=1e-14)
    s = s0
    for t in range(len(dec_x)):
        step_logits, s, alpha = decoder.step(dec_x[t], s, hs_enc, mask)
        np.testing.assert_allclose(step_logits, logits[t], rtol=0, atol=1e-12)
        np.testing.assert_allclose(alpha, cache["alphas"][t], rtol=0, atol=1e-12)
    other = hs_enc.copy()
    other[mask.T == 0] = -7.0
    np.testing.assert_array_equal(decoder.forward(dec_x, other, s0, mask)[0], logits)


def test_attention_decoder_sizes_parameters_and_seed():
    decoder = AttentionDecoder(12, 8, 6, 5, seed=0)
    assert decoder.sizes == (12, 8, 6, 5)
    assert tuple(decoder.params) == ATTENTION_PARAM_NAMES
    assert decoder.num_parameters() == 5 * (6 + 8 + 1) + 6 * (12 + 8 + 6 + 1) + 12 * (6 + 8 + 1)
    again = AttentionDecoder(12, 8, 6, 5, seed=0)
    for name in ATTENTION_PARAM_NAMES:
        np.testing.assert_array_equal(decoder.params[name], again.params[name], err_msg=name)
    assert repr(decoder) == "AttentionDecoder(vocab_size=12, enc_hidden=8, hidden_size=6, " \
                            "attn_size=5)"
    small = AttentionDecoder(3, 2, 2, 2, seed=0, dtype=np.float32)
    logits, cache = small.forward(np.ones((2, 1, 3)), np.ones((4, 1, 2)))
    assert logits.dtype == cache["ss"].dtype == np.float32
    grads = small.backward(np.ones((2, 1, 3)), cache, np.ones_like(logits))
    assert all(g.dtype == np.float32 for g in grads.values())


# ---------------------------------------------------------------- errors
def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


def test_bad_attention_arguments_are_named():
    s, hs = np.zeros((2, 3)), np.zeros((4, 2, 5))
    W_a, U_a, v_a = np.zeros((6, 3)), np.zeros((6, 5)), np.zeros(6)
    _raises(ValueError, "hs_enc has shape (4, 3, 5); expected (Tx, B, H_enc) with B=2, H_enc=5",
            lambda: additive_attention_forward(s, np.zeros((4, 3, 5)), W_a, U_a, v_a))
    _raises(ValueError, "s_prev has shape (2, 4); expected (B, H_dec) with H_dec=3",
            lambda: additive_attention_forward(np.zeros((2, 4)), hs, W_a, U_a, v_a))
    _raises(ValueError, "U_a has shape (5, 5); expected (A, H_enc) with A=6",
            lambda: additive_attention_forward(s, hs, W_a, np.zeros((5, 5)), v_a))
    _raises(ValueError, "v_a has shape (5,); expected (A,) with A=6",
            lambda: additive_attention_forward(s, hs, W_a, U_a, np.zeros(5)))
    _raises(ValueError, "mask has shape (4, 2); expected (B, Tx) with B=2, Tx=4",
            lambda: additive_attention_forward(s, hs, W_a, U_a, v_a, np.ones((4, 2))))
    _raises(ValueError, "mask masks every position of row (0,)",
            lambda: additive_attention_forward(s, hs, W_a, U_a, v_a,
                                               np.array([[0, 0, 0, 0], [1, 0, 0, 0]])))
    _, cache = additive_attention_forward(s, hs, W_a, U_a, v_a)
    _raises(ValueError, "dcontext has shape (2, 3); expected (B, H_enc) with B=2, H_enc=5",
            lambda: additive_attention_backward(np.zeros((2, 3)), cache))
    _raises(ValueError, "dalpha has shape (2, 5); expected (B, Tx) with B=2, Tx=4",
            lambda: additive_attention_backward(np.zeros((2, 5)), cache, np.zeros((2, 5))))
    _raises(ValueError, "keys has shape (4, 2, 3); expected (Tx, B, d) with B=2, d=5",
            lambda: dot_product_attention_forward(np.zeros((2, 5)), np.zeros((4, 2, 3)), hs))
    _raises(ValueError, "values has shape (3, 2, 5); expected (Tx, B, Dv) with Tx=4, B=2",
            lambda: dot_product_attention_forward(np.zeros((2, 5)), hs, np.zeros((3, 2, 5))))
    _raises(ValueError, "W_k has shape (3, 4); expected (d_k, D) with d_k=2, D=4",
            lambda: self_attention_forward(np.zeros((3, 1, 4)), np.zeros((2, 4)),
                                           np.zeros((3, 4)), np.zeros((2, 4))))
    _raises(ValueError, "xs has shape (3, 1, 5); expected (T, B, D) with D=4",
            lambda: self_attention_forward(np.zeros((3, 1, 5)), np.zeros((2, 4)),
                                           np.zeros((2, 4)), np.zeros((2, 4))))
    _raises(TypeError, "query has dtype <U1; expected a real numeric array",
            lambda: dot_product_attention_forward(np.full((2, 5), "a"), hs, hs))
    _raises(ValueError, "lengths has shape (2,) and dtype int64; expected (B,) integers in 1..3",
            lambda: length_mask(np.array([0, 2]), 3))


def test_bad_decoder_arguments_are_named():
    decoder = AttentionDecoder(5, 4, 3, 2, seed=0)
    dec_x, hs = np.zeros((3, 2, 5)), np.zeros((6, 2, 4))
    _raises(ValueError, "dec_x has shape (3, 2, 4); expected (Ty, B, V) with V=5",
            lambda: decoder.forward(np.zeros((3, 2, 4)), hs))
    _raises(ValueError, "hs_enc has shape (6, 2, 3); expected (Tx, B, H_enc) with B=2, H_enc=4",
            lambda: decoder.forward(dec_x, np.zeros((6, 2, 3))))
    _raises(ValueError, "s0 has shape (2, 4); expected (B, H) with B=2, H=3",
            lambda: decoder.forward(dec_x, hs, np.zeros((2, 4))))
    _raises(ValueError, "mask has shape (2, 5); expected (B, Tx) with B=2, Tx=6",
            lambda: decoder.forward(dec_x, hs, mask=np.ones((2, 5))))
    logits, cache = decoder.forward(dec_x, hs)
    _raises(ValueError, "dlogits has shape (3, 2, 4); expected (Ty, B, V) with Ty=3, B=2, V=5",
            lambda: decoder.backward(dec_x, cache, np.zeros((3, 2, 4))))
    _raises(ValueError, "ds_last has shape (2, 2); expected (B, H) with B=2, H=3",
            lambda: decoder.backward(dec_x, cache, logits, ds_last=np.zeros((2, 2))))
    _raises(ValueError, "cache is not the dict returned by AttentionDecoder.forward",
            lambda: decoder.backward(dec_x, cache["ss"], logits))
    _raises(ValueError, "x_t has shape (2, 3); expected (B, V) with V=5",
            lambda: decoder.step(np.zeros((2, 3)), np.zeros((2, 3)), hs))
    _raises(ValueError, "attn_size is 0; expected a positive integer",
            lambda: AttentionDecoder(5, 4, 3, 0))
    _raises(TypeError, "dtype is int64; expected a float dtype",
            lambda: AttentionDecoder(5, 4, 3, 2, dtype=int))
