"""``AttentionDecoder``: a vanilla RNN decoder that reads a new context vector at every step.

Book (column vectors; x_t the one-hot previous token, h_1..h_Tx the encoder's states)::

    alpha_t = softmax_j(v_a^T tanh(W_a s_{t-1} + U_a h_j))
    c_t = sum_j alpha_{t,j} h_j
    s_t = tanh(W_sx x_t + W_sc c_t + W_ss s_{t-1} + b_s)
    y_t = W_ys s_t + W_yc c_t + b_y        (logits; p_t = softmax(y_t))

This is Bahdanau et al.'s (2015) decoder with a vanilla cell in place of their gated one, and
s_0 given (the encoder's last real state, as the encoder-decoder of Chapter 5 does). The
context depends on s_{t-1}, so the attention runs step by step inside the recurrence; the
terms that do not depend on it, W_sx x_t + b_s for every t and U_a h_j for every j, are one
matrix product each, and so are the logits of all steps.
"""
import numpy as np

from ._checks import as_array, check_shape
from .attention import (_attend, _attend_backward, _check_mask, additive_scores,
                        additive_scores_backward, _softmax, _softmax_backward)
from .init import recurrent_matrix, scaled_normal
from .rnn import _positive_int

__all__ = ["AttentionDecoder", "ATTENTION_PARAM_NAMES"]

ATTENTION_PARAM_NAMES = ("W_a", "U_a", "v_a", "W_sx", "W_sc", "W_ss", "b_s",
                         "W_ys", "W_yc", "b_y")
_CACHE_KEYS = ("ss", "contexts", "alphas", "pre", "hs_enc", "mask")


class AttentionDecoder:
    """A decoder over a vocabulary of V tokens that attends to H_enc-dimensional encoder states.

    Sizes: V = ``vocab_size`` (one-hot inputs, V logits), H_enc = ``enc_hidden``,
    H = ``hidden_size`` (the decoder state s_t), A = ``attn_size`` (the attention's hidden
    layer). Parameters (in ``params``): W_a (A, H), U_a (A, H_enc), v_a (A,); W_sx (H, V),
    W_sc (H, H_enc), W_ss (H, H) (``recurrent_init``), b_s (H,); W_ys (V, H), W_yc (V, H_enc),
    b_y (V,). Weights scaled normal, biases zero; ``seed`` seeds the generator.
    """

    def __init__(self, vocab_size, enc_hidden, hidden_size, attn_size, *, seed=None,
                 recurrent_init="scaled_normal", dtype=np.float64):
        V = _positive_int("vocab_size", vocab_size)
        He = _positive_int("enc_hidden", enc_hidden)
        H = _positive_int("hidden_size", hidden_size)
        A = _positive_int("attn_size", attn_size)
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype is {np.dtype(dtype)}; expected a float dtype")
        rng = np.random.default_rng(seed)
        params = {"W_a": scaled_normal(rng, A, H), "U_a": scaled_normal(rng, A, He),
                  "v_a": scaled_normal(rng, 1, A)[0],
                  "W_sx": scaled_normal(rng, H, V), "W_sc": scaled_normal(rng, H, He),
                  "W_ss": recurrent_matrix(rng, H, recurrent_init), "b_s": np.zeros(H),
                  "W_ys": scaled_normal(rng, V, H), "W_yc": scaled_normal(rng, V, He),
                  "b_y": np.zeros(V)}
        self.params = {name: params[name].astype(dtype) for name in ATTENTION_PARAM_NAMES}

    @property
    def sizes(self):
        """(V, H_enc, H, A), read from the current parameters."""
        A, He = self.params["U_a"].shape
        H, V = self.params["W_sx"].shape
        return V, He, H, A

    def num_parameters(self):
        """A(H + H_enc + 1) + H(V + H_enc + H + 1) + V(H + H_enc + 1); no T in it."""
        return sum(int(p.size) for p in self.params.values())

    # ------------------------------------------------------------ checks
    def _checked(self, hs_enc, s0, mask, B):
        """hs_enc (Tx, B, H_enc), s0 (B, H) (zeros if None) and mask (B, Tx) as bool or None."""
        V, He, H, _ = self.sizes
        dtype = self.params["W_sx"].dtype
        check_shape("hs_enc", hs_enc, (None, B, He), ("Tx", "B", "H_enc"))
        hs_enc = as_array("hs_enc", hs_enc, dtype)
        if s0 is None:
            s0 = np.zeros((B, H), dtype=dtype)
        check_shape("s0", s0, (B, H), ("B", "H"))
        s0 = as_array("s0", s0, dtype)
        if mask is not None:
            mask = _check_mask(mask, (B, hs_enc.shape[0]), ("B", "Tx"))
        return hs_enc, s0, mask

    def _step(self, x_term, s_prev, hs_enc, Uh, mask):
        """One step from x_term = W_sx x_t + b_s: (s_t, c_t, alpha_t, pre_t)."""
        p = self.params
        scores, pre = additive_scores(s_prev @ p["W_a"].T, Uh, p["v_a"])
        alpha = _softmax(scores, mask)
        context = _attend(alpha, hs_enc)
        s_t = np.tanh(x_term + context @ p["W_sc"].T + s_prev @ p["W_ss"].T)
        return s_t, context, alpha, pre

    # ------------------------------------------------------------ the model
    def step(self, x_t, s_prev, hs_enc, mask=None):
        """One decoding step, for generation: x_t (B, V) the previous token (one-hot),
        s_prev (B, H), hs_enc (Tx, B, H_enc), mask (B, Tx) -> (logits (B, V), s_t (B, H),
        alpha_t (B, Tx)). Same numbers as one step of ``forward``."""
        V = self.sizes[0]
        p = self.params
        check_shape("x_t", x_t, (None, V), ("B", "V"))
        x_t = as_array("x_t", x_t, p["W_sx"].dtype)
        hs_enc, s_prev, mask = self._checked(hs_enc, s_prev, mask, x_t.shape[0])
        x_term = x_t @ p["W_sx"].T + p["b_s"]  # W_sx x_t + b_s
        s_t, context, alpha, _ = self._step(x_term, s_prev, hs_enc, hs_enc @ p["U_a"].T, mask)
        return s_t @ p["W_ys"].T + context @ p["W_yc"].T + p["b_y"], s_t, alpha

    def forward(self, dec_x, hs_enc, s0=None, mask=None):
        """Run the decoder over the target, reading the true previous tokens (teacher forcing).

        dec_x (Ty, B, V) one-hot previous tokens; hs_enc (Tx, B, H_enc) the encoder's states
        (``hs[1:]``); s0 (B, H), zeros by default; mask (B, Tx) 0/1 of real source positions.
        Returns logits (Ty, B, V) and cache, a dict: "ss" (Ty+1, B, H) with ss[0] = s0,
        "contexts" (Ty, B, H_enc), "alphas" (Ty, B, Tx) (the attention weights of every
        step: draw alphas[:, b] as a heat map), "pre" (Ty, Tx, B, A), "hs_enc", "mask".
        """
        V, He, H, A = self.sizes
        p = self.params
        check_shape("dec_x", dec_x, (None, None, V), ("Ty", "B", "V"))
        dec_x = as_array("dec_x", dec_x, p["W_sx"].dtype)
        Ty, B, _ = dec_x.shape
        hs_enc, s0, mask = self._checked(hs_enc, s0, mask, B)
        Tx = hs_enc.shape[0]
        x_terms = (dec_x.reshape(Ty * B, V) @ p["W_sx"].T + p["b_s"]).reshape(Ty, B, H)
        Uh = hs_enc @ p["U_a"].T                                   # U_a h_j, once for all t
        ss = np.empty((Ty + 1, B, H), dtype=dec_x.dtype)
        contexts = np.empty((Ty, B, He), dtype=dec_x.dtype)
        alphas = np.empty((Ty, B, Tx), dtype=dec_x.dtype)
        pre = np.empty((Ty, Tx, B, A), dtype=dec_x.dtype)
        ss[0] = s0
        for t in range(Ty):
            ss[t + 1], contexts[t], alphas[t], pre[t] = self._step(x_terms[t], ss[t], hs_enc,
                                                                   Uh, mask)
        logits = (ss[1:].reshape(Ty * B, H) @ p["W_ys"].T
                  + contexts.reshape(Ty * B, He) @ p["W_yc"].T + p["b_y"]).reshape(Ty, B, V)
        return logits, {"ss": ss, "contexts": contexts, "alphas": alphas, "pre": pre,
                        "hs_enc": hs_enc, "mask": mask}

    def backward(self, dec_x, cache, dlogits, ds_last=None):
        """Backpropagation through time, through the attention of every step.

        dec_x (Ty, B, V) and cache from ``forward``; dlogits (Ty, B, V) = dL/dy; ds_last (B, H)
        extra gradient at s_Ty. Going backwards: ds_t = W_ys^T dy_t + (from step t+1),
        da_t = (1 - s_t^2) ds_t, dc_t = W_yc^T dy_t + W_sc^T da_t, then the attention's
        backward gives its share of ds_{t-1}, dh_j and the attention weights.
        Returns a dict with the gradient of every parameter, plus "dec_x" (Ty, B, V),
        "hs_enc" (Tx, B, H_enc) and "s0" (B, H).
        """
        V, He, H, A = self.sizes
        p = self.params
        if not isinstance(cache, dict) or any(key not in cache for key in _CACHE_KEYS):
            raise ValueError("cache is not the dict returned by AttentionDecoder.forward; "
                             f"expected the keys {list(_CACHE_KEYS)}")
        check_shape("dec_x", dec_x, (None, None, V), ("Ty", "B", "V"))
        dec_x = as_array("dec_x", dec_x, p["W_sx"].dtype)
        Ty, B, _ = dec_x.shape
        ss, contexts, alphas, pre = (cache[k] for k in ("ss", "contexts", "alphas", "pre"))
        hs_enc = cache["hs_enc"]
        Tx = hs_enc.shape[0]
        check_shape('cache["ss"]', ss, (Ty + 1, B, H), ("Ty+1", "B", "H"))
        check_shape("dlogits", dlogits, (Ty, B, V), ("Ty", "B", "V"))
        dlogits = as_array("dlogits", dlogits, dec_x.dtype)
        rows = dlogits.reshape(Ty * B, V)
        grads = {"W_ys": rows.T @ ss[1:].reshape(Ty * B, H),
                 "W_yc": rows.T @ contexts.reshape(Ty * B, He), "b_y": rows.sum(axis=0)}
        dss = (rows @ p["W_ys"]).reshape(Ty, B, H)
        dcs = (rows @ p["W_yc"]).reshape(Ty, B, He)
        ds = np.zeros((B, H), dtype=dec_x.dtype)
        if ds_last is not None:
            check_shape("ds_last", ds_last, (B, H), ("B", "H"))
            ds = ds + as_array("ds_last", ds_last, dec_x.dtype)
        das = np.empty((Ty, B, H), dtype=dec_x.dtype)      # d pre-activation of s_t
        dWs = np.empty((Ty, B, A), dtype=dec_x.dtype)      # d (W_a s_{t-1}) of step t
        dUh = np.zeros((Tx, B, A), dtype=dec_x.dtype)
        dhs_enc = np.zeros_like(hs_enc)
        dv_a = np.zeros(A, dtype=dec_x.dtype)
        for t in reversed(range(Ty)):
            das[t] = (1.0 - ss[t + 1] ** 2) * (ds + dss[t])
            dcontext = dcs[t] + das[t] @ p["W_sc"]
            dalpha, dvalues = _attend_backward(dcontext, alphas[t], hs_enc)
            dhs_enc += dvalues
            dscores = _softmax_backward(dalpha, alphas[t])
            dWs[t], dUh_t, dv_t = additive_scores_backward(dscores, pre[t], p["v_a"])
            dUh += dUh_t
            dv_a += dv_t
            ds = das[t] @ p["W_ss"] + dWs[t] @ p["W_a"]          # into s_{t-1}
        da_rows = das.reshape(Ty * B, H)
        grads.update({
            "W_sx": da_rows.T @ dec_x.reshape(Ty * B, V), "b_s": da_rows.sum(axis=0),
            "W_sc": da_rows.T @ contexts.reshape(Ty * B, He),
            "W_ss": da_rows.T @ ss[:-1].reshape(Ty * B, H),
            "W_a": dWs.reshape(Ty * B, A).T @ ss[:-1].reshape(Ty * B, H),
            "U_a": dUh.reshape(Tx * B, A).T @ hs_enc.reshape(Tx * B, He), "v_a": dv_a})
        dhs_enc += dUh @ p["U_a"]
        out = {name: grads[name] for name in ATTENTION_PARAM_NAMES}
        out.update({"dec_x": (da_rows @ p["W_sx"]).reshape(Ty, B, V), "hs_enc": dhs_enc,
                    "s0": ds})
        return out

    def __repr__(self):
        V, He, H, A = self.sizes
        return (f"AttentionDecoder(vocab_size={V}, enc_hidden={He}, hidden_size={H}, "
                f"attn_size={A})")
