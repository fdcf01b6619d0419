"""Attention: a weighted average of states, the weights computed from the states themselves.

Book (column vectors; j runs over the Tx source positions, the encoder's states h_1..h_Tx)::

    e_{t,j}     = v_a^T tanh(W_a s_{t-1} + U_a h_j)   additive (Bahdanau 2015)
    e_{t,j}     = q_t . k_j / sqrt(d)                  dot product (Luong 2015)
    alpha_{t,j} = exp(e_{t,j}) / sum_k exp(e_{t,k})    softmax over j
    c_t         = sum_j alpha_{t,j} h_j                context vector

Padded source positions (mask 0) get the weight exactly 0, so padding changes nothing.
Code: rows are the batch, weights are (out, in) as in ``layers``; the encoder's states are
time-major, hs_enc (Tx, B, H_enc), as ``VanillaRNN.forward`` returns them (``hs[1:]``); masks
and weights are batch-major, (B, Tx). Each forward returns ``(out, cache)``, its backward
takes ``(dout, cache)``. Self-attention (``self_attention_forward``) relates every position of
one sequence to every other as matrix products with no recurrence: (B, T, T) scores.
"""
import numpy as np

from ._checks import as_array, check_shape

__all__ = ["masked_softmax", "masked_softmax_backward", "length_mask",
           "additive_scores", "additive_scores_backward",
           "additive_attention_forward", "additive_attention_backward",
           "dot_product_attention_forward", "dot_product_attention_backward",
           "self_attention_forward", "self_attention_backward"]


# ---------------------------------------------------------------- the masked softmax
def length_mask(lengths, T):
    """(B, T) 0/1 mask of real positions for sequences of ``lengths`` (B,) padded at the end:
    mask[b, j] = 1 if j < lengths[b]. ``lengths`` are integers in 1..T."""
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu" or \
            (lengths.size and (lengths.min() < 1 or lengths.max() > T)):
        raise ValueError(f"lengths has shape {lengths.shape} and dtype {lengths.dtype}; "
                         f"expected (B,) integers in 1..{T}")
    return (np.arange(T) < lengths[:, None]).astype(float)


def _check_mask(mask, shape, letters):
    """``mask`` as a bool array of ``shape``, refusing other values and fully masked rows."""
    check_shape("mask", mask, shape, letters)
    mask = as_array("mask", mask)
    if np.any((mask != 0) & (mask != 1)):
        raise ValueError("mask holds values other than 0 and 1; expected a 0/1 (or bool) array")
    mask = mask.astype(bool)
    empty = ~mask.any(axis=-1)
    if np.any(empty):
        row = tuple(int(i) for i in np.argwhere(empty)[0])
        raise ValueError(f"mask masks every position of row {row}; expected at least one 1 "
                         "per row (a softmax over no position is undefined)")
    return mask


def _letters(ndim):
    """Axis names for a scores array of ``ndim`` axes: (T,), (B, T), (B, Tq, T), ..."""
    names = {1: ("T",), 2: ("B", "T"), 3: ("B", "Tq", "T")}
    return names.get(ndim, tuple(f"n{i}" for i in range(ndim - 1)) + ("T",))


def masked_softmax(scores, mask=None):
    """alpha_j = m_j exp(e_j) / sum_k m_k exp(e_k) along the last axis: weights that sum to 1
    over the real positions (m = 1) and are exactly 0 on the masked ones (m = 0).

    scores (..., T); mask like scores, or (B, T) for scores (B, Tq, T) (the same key mask for
    every query), 0/1 or bool, default all ones. Stable: the largest unmasked score is
    subtracted before exp. Raises ValueError if a row has every position masked.
    """
    scores = as_array("scores", scores, dtype=None)
    if scores.ndim == 0:
        raise ValueError("scores has shape (); expected (..., T)")
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    elif scores.ndim == 3 and np.ndim(mask) == 2:
        B, _, T = scores.shape
        mask = _check_mask(mask, (B, T), ("B", "T"))[:, None, :]
    else:
        mask = _check_mask(mask, scores.shape, _letters(scores.ndim))
    return _softmax(scores, mask)


def _softmax(scores, mask=None):
    """``masked_softmax`` without the checks (mask a checked bool array or None)."""
    if mask is None:
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    else:
        top = np.where(mask, scores, -np.inf).max(axis=-1, keepdims=True)
        e = np.exp(np.where(mask, scores - top, -np.inf))    # exp(-inf) = 0 exactly
    return e / e.sum(axis=-1, keepdims=True)


def masked_softmax_backward(dalpha, alpha):
    """de_j = alpha_j (dalpha_j - sum_k alpha_k dalpha_k): the softmax's Jacobian-vector
    product. Masked positions have alpha_j = 0, so their de_j is exactly 0.
    dalpha and alpha (..., T) -> de (..., T)."""
    check_shape("dalpha", dalpha, np.shape(alpha), _letters(np.ndim(alpha)))
    return _softmax_backward(as_array("dalpha", dalpha, alpha.dtype), alpha)


def _softmax_backward(dalpha, alpha):
    """``masked_softmax_backward`` without the checks."""
    return alpha * (dalpha - np.sum(alpha * dalpha, axis=-1, keepdims=True))


def _attend(alpha, values):
    """c = sum_j alpha_j v_j: alpha (B, Tx), values (Tx, B, Dv) -> (B, Dv)."""
    return np.einsum("bj,jbd->bd", alpha, values)


def _attend_backward(dcontext, alpha, values):
    """(dalpha (B, Tx), dvalues (Tx, B, Dv)) of c = sum_j alpha_j v_j."""
    dalpha = np.einsum("bd,jbd->bj", dcontext, values)
    dvalues = alpha.T[:, :, None] * dcontext[None]
    return dalpha, dvalues


def _weights_backward(dcontext, dalpha, alpha, values, dtype, value_size="Dv"):
    """From dcontext (B, Dv) and an optional dalpha (B, Tx) arriving at the weights, through
    c = sum_j alpha_j v_j and the softmax: (dscores (B, Tx), dvalues (Tx, B, Dv))."""
    Tx, B, Dv = values.shape
    check_shape("dcontext", dcontext, (B, Dv), ("B", value_size))
    dcontext = as_array("dcontext", dcontext, dtype)
    da, dvalues = _attend_backward(dcontext, alpha, values)
    if dalpha is not None:
        check_shape("dalpha", dalpha, (B, Tx), ("B", "Tx"))
        da = da + as_array("dalpha", dalpha, dtype)
    return masked_softmax_backward(da, alpha), dvalues


def _source_mask(mask, B, Tx):
    return None if mask is None else _check_mask(mask, (B, Tx), ("B", "Tx"))


# ---------------------------------------------------------------- additive (Bahdanau) attention
def additive_scores(Ws, Uh, v_a):
    """e_j = v_a^T tanh(W_a s + U_a h_j), from the two projections computed once each:
    Ws = s_prev @ W_a.T (B, A) and Uh = hs_enc @ U_a.T (Tx, B, A). Returns (scores (B, Tx),
    pre (Tx, B, A)), pre = the tanh, kept for the backward."""
    pre = np.tanh(Uh + Ws)
    return (pre @ v_a).T, pre


def additive_scores_backward(dscores, pre, v_a):
    """Backward of ``additive_scores``: with da_j = (1 - pre_j^2) * v_a de_j,
    dWs = sum_j da_j, dUh_j = da_j, dv_a = sum_{j,b} de_j pre_j. Returns (dWs, dUh, dv_a)."""
    de = dscores.T[:, :, None]                      # (Tx, B, 1)
    dv_a = np.sum(de * pre, axis=(0, 1))
    da = de * v_a * (1.0 - pre * pre)               # (Tx, B, A)
    return da.sum(axis=0), da, dv_a


def additive_attention_forward(s_prev, hs_enc, W_a, U_a, v_a, mask=None):
    """Additive attention (Bahdanau et al. 2015) of one decoder state over the encoder's states.

    e_j = v_a^T tanh(W_a s_{t-1} + U_a h_j),  alpha = softmax_j(e) (0 where mask is 0),
    c_t = sum_j alpha_j h_j.

    Shapes: s_prev (B, H_dec), hs_enc (Tx, B, H_enc), W_a (A, H_dec), U_a (A, H_enc), v_a (A,),
    mask (B, Tx) 0/1 (0 = padding), default all ones. Returns ((context (B, H_enc),
    alpha (B, Tx)), cache).
    """
    W_a = as_array("W_a", W_a, dtype=None)
    check_shape("W_a", W_a, (None, None), ("A", "H_dec"))
    A, H_dec = W_a.shape
    U_a = as_array("U_a", U_a, W_a.dtype)
    check_shape("U_a", U_a, (A, None), ("A", "H_enc"))
    H_enc = U_a.shape[1]
    v_a = as_array("v_a", v_a, W_a.dtype)
    check_shape("v_a", v_a, (A,), ("A",))
    s_prev = as_array("s_prev", s_prev, W_a.dtype)
    check_shape("s_prev", s_prev, (None, H_dec), ("B", "H_dec"))
    B = s_prev.shape[0]
    hs_enc = as_array("hs_enc", hs_enc, W_a.dtype)
    check_shape("hs_enc", hs_enc, (None, B, H_enc), ("Tx", "B", "H_enc"))
    Tx = hs_enc.shape[0]
    mask = _source_mask(mask, B, Tx)
    scores, pre = additive_scores(s_prev @ W_a.T, hs_enc @ U_a.T, v_a)
    alpha = masked_softmax(scores, mask)
    context = _attend(alpha, hs_enc)
    return (context, alpha), (s_prev, hs_enc, W_a, U_a, v_a, pre, alpha)


def additive_attention_backward(dcontext, cache, dalpha=None):
    """Backward of ``additive_attention_forward``, from dcontext (B, H_enc) and optionally a
    gradient dalpha (B, Tx) arriving at the weights themselves.

    dalpha_j += h_j . dc,  dh_j = alpha_j dc + U_a^T da_j,  de = softmax backward,
    then ``additive_scores_backward``: ds_prev = W_a^T sum_j da_j, dW_a = (sum_j da_j) s^T,
    dU_a = sum_j da_j h_j^T, dv_a = sum_j de_j pre_j.
    Returns (ds_prev (B, H_dec), dhs_enc (Tx, B, H_enc), dW_a, dU_a, dv_a).
    """
    s_prev, hs_enc, W_a, U_a, v_a, pre, alpha = cache
    Tx, B, H_enc = hs_enc.shape
    dscores, dhs_enc = _weights_backward(dcontext, dalpha, alpha, hs_enc, W_a.dtype,
                                         "H_enc")
    dWs, dUh, dv_a = additive_scores_backward(dscores, pre, v_a)
    A = W_a.shape[0]
    dhs_enc += dUh @ U_a
    dU_a = dUh.reshape(Tx * B, A).T @ hs_enc.reshape(Tx * B, H_enc)
    return dWs @ W_a, dhs_enc, dWs.T @ s_prev, dU_a, dv_a


# ---------------------------------------------------------------- dot-product (Luong) attention
def dot_product_attention_forward(query, keys, values, mask=None, scale=True):
    """Dot-product attention (Luong et al. 2015; scaled as in Vaswani et al. 2017).

    e_j = q . k_j / sqrt(d) (without the 1/sqrt(d) if ``scale`` is False),
    alpha = softmax_j(e) (0 where mask is 0), c = sum_j alpha_j v_j. No weights of its own:
    with query = s_{t-1} and keys = values = hs_enc it is Luong's "dot" score.

    Shapes: query (B, d), keys (Tx, B, d), values (Tx, B, Dv), mask (B, Tx).
    Returns ((context (B, Dv), alpha (B, Tx)), cache).
    """
    query = as_array("query", query, dtype=None)
    check_shape("query", query, (None, None), ("B", "d"))
    B, d = query.shape
    keys = as_array("keys", keys, query.dtype)
    check_shape("keys", keys, (None, B, d), ("Tx", "B", "d"))
    Tx = keys.shape[0]
    values = as_array("values", values, query.dtype)
    check_shape("values", values, (Tx, B, None), ("Tx", "B", "Dv"))
    mask = _source_mask(mask, B, Tx)
    factor = 1.0 / np.sqrt(d) if scale else 1.0
    scores = np.einsum("bd,jbd->bj", query, keys) * factor
    alpha = masked_softmax(scores, mask)
    return (_attend(alpha, values), alpha), (query, keys, values, alpha, factor)


def dot_product_attention_backward(dcontext, cache, dalpha=None):
    """Backward of ``dot_product_attention_forward``: dalpha_j += v_j . dc, dv_j = alpha_j dc,
    de = softmax backward, dq = factor sum_j de_j k_j, dk_j = factor de_j q.
    Returns (dquery (B, d), dkeys (Tx, B, d), dvalues (Tx, B, Dv))."""
    query, keys, values, alpha, factor = cache
    dscores, dvalues = _weights_backward(dcontext, dalpha, alpha, values, query.dtype)
    de = dscores * factor
    dquery = np.einsum("bj,jbd->bd", de, keys)
    dkeys = de.T[:, :, None] * query[None]
    return dquery, dkeys, dvalues


# ---------------------------------------------------------------- self-attention
def self_attention_forward(xs, W_q, W_k, W_v, mask=None, causal=False):
    """Scaled dot-product self-attention over a whole sequence, with no recurrence.

    Q = X W_q^T, K = X W_k^T, V = X W_v^T (one product each over all T*B rows),
    S = Q K^T / sqrt(d_k) (B, T, T), A = softmax over the last axis, out = A V.
    Every position reads every other in one step, so T sequential steps become a few
    matrix products; the price is the (B, T, T) scores: memory and work grow as T^2.

    Shapes: xs (T, B, D), W_q and W_k (d_k, D), W_v (d_v, D); mask (B, T) 0/1 of real
    positions (keys), default all ones; ``causal`` True lets position t read only positions
    <= t (as a decoder must). Returns ((out (T, B, d_v), weights (B, T, T)), cache).
    """
    W_q = as_array("W_q", W_q, dtype=None)
    check_shape("W_q", W_q, (None, None), ("d_k", "D"))
    d_k, D = W_q.shape
    W_k = as_array("W_k", W_k, W_q.dtype)
    check_shape("W_k", W_k, (d_k, D), ("d_k", "D"))
    W_v = as_array("W_v", W_v, W_q.dtype)
    check_shape("W_v", W_v, (None, D), ("d_v", "D"))
    xs = as_array("xs", xs, W_q.dtype)
    check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
    T, B, _ = xs.shape
    X = xs.transpose(1, 0, 2)                                   # (B, T, D)
    Q, K, V = X @ W_q.T, X @ W_k.T, X @ W_v.T
    factor = 1.0 / np.sqrt(d_k)
    scores = Q @ K.transpose(0, 2, 1) * factor                  # (B, T, T)
    full = None                                                 # no mask: nothing to build
    if mask is not None:
        full = np.broadcast_to(_check_mask(mask, (B, T), ("B", "T"))[:, None, :], (B, T, T))
    if causal:
        full = np.tri(T, dtype=bool) if full is None else full & np.tri(T, dtype=bool)
    weights = _softmax(scores, full)
    out = weights @ V                                           # (B, T, d_v)
    return (out.transpose(1, 0, 2), weights), (X, W_q, W_k, W_v, Q, K, V, weights, factor)


def self_attention_backward(dout, cache):
    """Backward of ``self_attention_forward``: dA = dOut V^T, dV = A^T dOut, dS = softmax
    backward, dQ = factor dS K, dK = factor dS^T Q, then dW_q = sum dQ^T X (and so on) and
    dX = dQ W_q + dK W_k + dV W_v. dout (T, B, d_v).
    Returns (dxs (T, B, D), dW_q, dW_k, dW_v)."""
    X, W_q, W_k, W_v, Q, K, V, weights, factor = cache
    B, T, D = X.shape
    check_shape("dout", dout, (T, B, V.shape[2]), ("T", "B", "d_v"))
    dO = as_array("dout", dout, X.dtype).transpose(1, 0, 2)    # (B, T, d_v)
    dA = dO @ V.transpose(0, 2, 1)
    dV = weights.transpose(0, 2, 1) @ dO
    dS = masked_softmax_backward(dA, weights) * factor
    dQ, dK = dS @ K, dS.transpose(0, 2, 1) @ Q
    rows = X.reshape(B * T, D)
    grads = [dG.reshape(B * T, -1).T @ rows for dG in (dQ, dK, dV)]
    dX = dQ @ W_q + dK @ W_k + dV @ W_v
    return (dX.transpose(1, 0, 2), *grads)
