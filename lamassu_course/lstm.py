"""The long short-term memory (LSTM) cell: a second state, the cell c_t, that the gates add to.

Book (column vectors, ``*`` elementwise; Hochreiter & Schmidhuber 1997 with the forget gate of
Gers et al. 2000)::

    i_t  = sigma(W_ix x_t + W_ih h_{t-1} + b_i)      input gate     (H,)
    f_t  = sigma(W_fx x_t + W_fh h_{t-1} + b_f)      forget gate    (H,)
    o_t  = sigma(W_ox x_t + W_oh h_{t-1} + b_o)      output gate    (H,)
    c~_t = tanh(W_cx x_t + W_ch h_{t-1} + b_c)       candidate      (H,)
    c_t  = f_t * c_{t-1} + i_t * c~_t                cell           (H,)
    h_t  = o_t * tanh(c_t)                           state          (H,)
    y_t  = g2(W_yh h_t + b_y)                        output         (K,)

Along the cell, dc_{t-1} = f_t * dc_t: no weight matrix and no squashing slope, so where the
forget gate is near 1 the gradient passes many steps almost unchanged.
Code: rows are the batch and weights are (out, in), as in ``layers``: x_t (B, D), h, c (B, H).
The four pre-activations are computed as one product with the weights stacked in the order
i, f, o, c~ (the three sigmoids first), built from ``params`` at each call.
"""
import numpy as np

from ._checks import as_array, check_shape
from .activations import OUTPUT_ACTIVATIONS, get_activation
from .gated import _sigmoid
from .init import recurrent_matrix, scaled_normal
from .layers import output_backward, output_forward
from .rnn import _positive_int

__all__ = ["LSTM", "LSTM_PARAM_NAMES", "lstm_step_forward", "lstm_step_backward"]

LSTM_PARAM_NAMES = ("W_ix", "W_ih", "b_i", "W_fx", "W_fh", "b_f",
                    "W_cx", "W_ch", "b_c", "W_ox", "W_oh", "b_o", "W_yh", "b_y")
_GATE_NAMES = LSTM_PARAM_NAMES[:12]
_ORDER = "ifoc"                                   # the stacked order: sigmoids, then tanh
_CACHE_KEYS = ("hs", "cs", "i", "f", "o", "c_tilde")


def _check_params(params):
    """The 12 gate arrays of ``params``, checked: W_?x (H, D), W_?h (H, H), b_? (H,)."""
    missing = [name for name in _GATE_NAMES if name not in params]
    if missing:
        raise ValueError(f"params has no {missing}; expected every name of {_GATE_NAMES}")
    W_ix = as_array("W_ix", params["W_ix"], dtype=None)
    check_shape("W_ix", W_ix, (None, None), ("H", "D"))
    H, D = W_ix.shape
    p = {}
    for name in _GATE_NAMES:
        kind = name[-1] if name.startswith("W") else "b"
        letters = {"x": ("H", "D"), "h": ("H", "H"), "b": ("H",)}[kind]
        wanted = {"x": (H, D), "h": (H, H), "b": (H,)}[kind]
        p[name] = as_array(name, params[name], W_ix.dtype)
        check_shape(name, p[name], wanted, letters)
    return p


def _stacked(p):
    """W_x (4H, D), W_h (4H, H), b (4H,): the gates' weights one above the other (i, f, o, c~)."""
    return (np.concatenate([p[f"W_{g}x"] for g in _ORDER]),
            np.concatenate([p[f"W_{g}h"] for g in _ORDER]),
            np.concatenate([p[f"b_{g}"] for g in _ORDER]))


def _split(blocks):
    """(..., 4H) -> the four (..., H) views i, f, o, c~."""
    return np.split(blocks, 4, axis=-1)


# --- one function per equation, each with its backward ------------------------------------

def _gates(a):
    """i, f, o = sigma(a_i, a_f, a_o), c~ = tanh(a_c), in place on the pre-activations
    a (..., 4H) = W_x x_t + W_h h_{t-1} + b. Returns a, now holding [i, f, o, c~]."""
    H = a.shape[-1] // 4
    a[..., :3 * H] = _sigmoid(a[..., :3 * H])
    np.tanh(a[..., 3 * H:], out=a[..., 3 * H:])
    return a


def _gates_backward(di, df, do, dc_tilde, i, f, o, c_tilde):
    """da = [sigma' di, sigma' df, sigma' do, tanh' dc~] with sigma' = g (1 - g), tanh' = 1 - g^2.
    Returns da (B, 4H)."""
    return np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), do * o * (1.0 - o),
                           dc_tilde * (1.0 - c_tilde * c_tilde)], axis=-1)


def _cell(f, c_prev, i, c_tilde):
    """c_t = f_t * c_{t-1} + i_t * c~_t."""
    return f * c_prev + i * c_tilde


def _cell_backward(dc, f, c_prev, i, c_tilde):
    """df = dc * c_{t-1}, dc_{t-1} = dc * f, di = dc * c~, dc~ = dc * i.
    Returns (df, dc_prev, di, dc_tilde)."""
    return dc * c_prev, dc * f, dc * c_tilde, dc * i


def _hidden(o, c):
    """h_t = o_t * tanh(c_t). Returns (h_t, tanh(c_t))."""
    tanh_c = np.tanh(c)
    return o * tanh_c, tanh_c


def _hidden_backward(dh, o, tanh_c):
    """do = dh * tanh(c_t), dc_t = dh * o_t * (1 - tanh(c_t)^2). Returns (do, dc)."""
    return dh * tanh_c, dh * o * (1.0 - tanh_c * tanh_c)


def _step_backward(dh, dc, i, f, o, c_tilde, c_prev, tanh_c):
    """The three backwards above in turn: dh, dc (B, H) arriving at h_t and c_t (from step
    t+1) -> da (B, 4H), dc_prev (B, H) (the part of dL/dc_{t-1} through c_t)."""
    do, dc_h = _hidden_backward(dh, o, tanh_c)
    df, dc_prev, di, dc_tilde = _cell_backward(dc + dc_h, f, c_prev, i, c_tilde)
    return _gates_backward(di, df, do, dc_tilde, i, f, o, c_tilde), dc_prev


# --- one step ------------------------------------------------------------------------------

def lstm_step_forward(x_t, h_prev, c_prev, params):
    """One LSTM step (the six equations of the module docstring, without the output).

    Shapes: x_t (B, D), h_prev (B, H), c_prev (B, H); params holds W_ix, W_fx, W_ox, W_cx
    (H, D), W_ih, W_fh, W_oh, W_ch (H, H) and b_i, b_f, b_o, b_c (H,) (extra keys such as W_yh
    are ignored) -> (h_t (B, H), c_t (B, H), cache); cache is for ``lstm_step_backward``.
    """
    p = _check_params(params)
    H, D = p["W_ix"].shape
    x_t = as_array("x_t", x_t, p["W_ix"].dtype)
    check_shape("x_t", x_t, (None, D), ("B", "D"))
    for name, state in (("h_prev", h_prev), ("c_prev", c_prev)):
        check_shape(name, state, (x_t.shape[0], H), ("B", "H"))
    h_prev = as_array("h_prev", h_prev, x_t.dtype)
    c_prev = as_array("c_prev", c_prev, x_t.dtype)
    W_x, W_h, b = _stacked(p)
    i, f, o, c_tilde = _split(_gates(x_t @ W_x.T + h_prev @ W_h.T + b))
    c_t = _cell(f, c_prev, i, c_tilde)
    h_t, tanh_c = _hidden(o, c_t)
    return h_t, c_t, (x_t, h_prev, c_prev, i, f, o, c_tilde, tanh_c, p)


def lstm_step_backward(dh_t, dc_t, cache):
    """Backward of ``lstm_step_forward``.

    dh_t (B, H) is the gradient arriving at h_t; dc_t (B, H) the gradient arriving at c_t
    from the next step (zeros at the last step; the part through h_t is added here). With
    da = [da_i, da_f, da_o, da_c] the gradients of the four pre-activations:
    dx_t = sum_g W_gx^T da_g, dh_{t-1} = sum_g W_gh^T da_g, dc_{t-1} = f_t * dc,
    dW_gx = da_g x_t^T, dW_gh = da_g h_{t-1}^T, db_g = da_g (summed over the batch).
    Returns a dict: "x_t" (B, D), "h_prev" (B, H), "c_prev" (B, H) and the 12 gate weights.
    """
    x_t, h_prev, c_prev, i, f, o, c_tilde, tanh_c, p = cache
    dh_t = as_array("dh_t", dh_t, x_t.dtype)
    check_shape("dh_t", dh_t, h_prev.shape, ("B", "H"))
    dc_t = as_array("dc_t", dc_t, x_t.dtype)
    check_shape("dc_t", dc_t, h_prev.shape, ("B", "H"))
    da, dc_prev = _step_backward(dh_t, dc_t, i, f, o, c_tilde, c_prev, tanh_c)
    W_x, W_h, _ = _stacked(p)
    grads = {"x_t": da @ W_x, "h_prev": da @ W_h, "c_prev": dc_prev}
    for gate, da_g in zip(_ORDER, _split(da)):
        grads[f"W_{gate}x"] = da_g.T @ x_t
        grads[f"W_{gate}h"] = da_g.T @ h_prev
        grads[f"b_{gate}"] = da_g.sum(axis=0)
    return grads


# --- the network ---------------------------------------------------------------------------

class LSTM:
    """An LSTM with D inputs, H hidden units and K outputs; ``forward``/``backward`` as the
    other models of the package, with a second initial state c0.

    ``params`` holds the 14 arrays of ``LSTM_PARAM_NAMES``: input weights ``W_?x`` (H, D)
    scaled normal, recurrent weights ``W_?h`` (H, H) from ``recurrent_init``, W_yh (K, H)
    scaled normal, biases zero except b_f = ``forget_bias``.

    Why forget_bias = 1 by default: the forget gate (Gers et al. 2000) multiplies the cell and
    its gradient at every step. With b_f = 0 an untrained gate sits near sigma(0) = 0.5 and
    halves both, step after step, about as fast as a vanilla RNN forgets; with b_f = 1 it
    starts near sigma(1) = 0.73. Jozefowicz et al. (2015) found that this bias of 1 made the
    LSTM about as good as the GRU on their tasks. A larger bias keeps more for longer.
    """

    def __init__(self, input_size, hidden_size, output_size, *, output_activation="identity",
                 seed=None, forget_bias=1.0, recurrent_init="scaled_normal", dtype=np.float64):
        D = _positive_int("input_size", input_size)
        H = _positive_int("hidden_size", hidden_size)
        K = _positive_int("output_size", output_size)
        self.output_activation = get_activation(
            output_activation, OUTPUT_ACTIVATIONS, "output_activation").name
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype is {np.dtype(dtype)}; expected a float dtype")
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.number)) \
                or not np.isfinite(forget_bias):
            raise ValueError(f"forget_bias is {forget_bias!r}; expected a finite number")
        rng = np.random.default_rng(seed)
        params = {}
        for gate in "ifco":
            params[f"W_{gate}x"] = scaled_normal(rng, H, D)
            params[f"W_{gate}h"] = recurrent_matrix(rng, H, recurrent_init)
            params[f"b_{gate}"] = np.zeros(H)
        params["b_f"] += forget_bias
        params["W_yh"], params["b_y"] = scaled_normal(rng, K, H), np.zeros(K)
        self.params = {name: params[name].astype(dtype) for name in LSTM_PARAM_NAMES}

    @property
    def sizes(self):
        """(D, H, K), read from the current parameters."""
        H, D = self.params["W_ix"].shape
        return D, H, self.params["W_yh"].shape[0]

    def num_parameters(self):
        """4 (H*D + H*H + H) + K*H + K: four times the vanilla recurrence, plus the output."""
        return sum(int(p.size) for p in self.params.values())

    def _inputs(self, xs, **states):
        """Checked params, xs (T, B, D) and each named state (B, H) (zeros when None)."""
        p = _check_params(self.params)
        D, H, _ = self.sizes
        dtype = p["W_ix"].dtype
        xs = as_array("xs", xs, dtype)
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        B = xs.shape[1]
        checked = []
        for name, state in states.items():
            if state is None:
                checked.append(np.zeros((B, H), dtype=dtype))
                continue
            check_shape(name, state, (B, H), ("B", "H"))
            checked.append(as_array(name, state, dtype))
        return p, xs, checked

    def forward(self, xs, h0=None, c0=None):
        """Run the LSTM over a sequence.

        xs (T, B, D); h0, c0 (B, H), zeros by default -> ys (T, B, K), cache, a dict:
        "hs", "cs" (T+1, B, H) with hs[0] = h0, cs[0] = c0 (as VanillaRNN's hs), and the gates
        "i", "f", "o", "c_tilde" (T, B, H) of every step (index t-1 for step t). The input
        terms W_x x_t + b of the four gates are one product over all T*B rows; only the
        recurrent terms W_h h_{t-1} run step by step.
        """
        p, xs, (h0, c0) = self._inputs(xs, h0=h0, c0=c0)
        T, B, D = xs.shape
        H = h0.shape[1]
        W_x, W_h, b = _stacked(p)
        gates = (xs.reshape(T * B, D) @ W_x.T + b).reshape(T, B, 4 * H)
        hs = np.empty((T + 1, B, H), dtype=xs.dtype)
        cs = np.empty((T + 1, B, H), dtype=xs.dtype)
        hs[0], cs[0] = h0, c0
        W_h_T = W_h.T
        for t in range(T):
            gates[t] += hs[t] @ W_h_T                  # the pre-activations of step t
            i, f, o, c_tilde = _split(_gates(gates[t]))
            cs[t + 1] = _cell(f, cs[t], i, c_tilde)
            hs[t + 1] = _hidden(o, cs[t + 1])[0]
        ys = output_forward(hs[1:], self.params["W_yh"], self.params["b_y"],
                            self.output_activation)
        i, f, o, c_tilde = _split(gates)
        return ys, {"hs": hs, "cs": cs, "i": i, "f": f, "o": o, "c_tilde": c_tilde}

    def final_state(self, cache):
        """The state to carry into the next window: {"h0": h_T, "c0": c_T}, so that
        ``forward(next_xs, **lstm.final_state(cache))`` continues the stream."""
        _check_cache(cache)
        return {"h0": cache["hs"][-1], "c0": cache["cs"][-1]}

    def backward(self, xs, cache, dys, dh_last=None, dc_last=None, *, state_grads=False):
        """Backpropagation through time, going back from step T with dh, dc arriving at h_t, c_t:

        dh += dL/dh_t from y_t;  do = dh * tanh(c_t);  dc += dh * o_t * (1 - tanh(c_t)^2);
        df = dc * c_{t-1}, di = dc * c~_t, dc~ = dc * i_t  -> da (the four pre-activations);
        dc_{t-1} = f_t * dc  (the cell's path: no matrix);  dh_{t-1} = W_h^T da.

        xs (T, B, D) and cache from ``forward``; dys (T, B, K) = dL/dys; dh_last, dc_last (B, H)
        extra gradient at h_T, c_T. Returns a dict with the gradient of every parameter, plus
        "xs" (T, B, D), "h0" and "c0" (B, H). With ``state_grads=True`` it also holds "hs"
        and "cs" (T+1, B, H): the whole dL/dh_t and dL/dc_t for t = 0..T.
        """
        p, xs, (dh, dc) = self._inputs(xs, dh_last=dh_last, dc_last=dc_last)
        T, B, D = xs.shape
        H, K = self.sizes[1:]
        _check_cache(cache, (T, B, H))
        check_shape("dys", dys, (T, B, K), ("T", "B", "K"))
        hs, cs = (as_array(name, cache[name], xs.dtype) for name in ("hs", "cs"))
        i, f, o, c_tilde = (cache[name] for name in ("i", "f", "o", "c_tilde"))
        if self.output_activation == "identity":
            ys = np.broadcast_to(np.zeros((), dtype=xs.dtype), (T, B, K))  # never read
        else:
            ys = output_forward(hs[1:], self.params["W_yh"], self.params["b_y"],
                                self.output_activation)
        dhs, dW_yh, db_y = output_backward(dys, hs[1:], ys, self.params["W_yh"],
                                           self.output_activation)
        W_x, W_h, _ = _stacked(p)
        tanh_cs = np.tanh(cs[1:])
        da = np.empty((T, B, 4 * H), dtype=xs.dtype)
        if state_grads:
            dH = np.empty((T + 1, B, H), dtype=xs.dtype)
            dC = np.empty((T + 1, B, H), dtype=xs.dtype)
        for t in reversed(range(T)):
            dh = dh + dhs[t]                           # all of dL/dh_{t+1}
            if state_grads:
                dH[t + 1] = dh
                dC[t + 1] = dc + _hidden_backward(dh, o[t], tanh_cs[t])[1]
            da[t], dc = _step_backward(dh, dc, i[t], f[t], o[t], c_tilde[t], cs[t], tanh_cs[t])
            dh = da[t] @ W_h
        rows = da.reshape(T * B, 4 * H)
        dW_x = rows.T @ xs.reshape(T * B, D)
        dW_h = rows.T @ hs[:-1].reshape(T * B, H)
        grads = {}
        for gate, dW_gx, dW_gh, db_g in zip(_ORDER, _split(dW_x.T), _split(dW_h.T),
                                            _split(rows.sum(axis=0))):
            grads[f"W_{gate}x"], grads[f"W_{gate}h"], grads[f"b_{gate}"] = dW_gx.T, dW_gh.T, db_g
        grads = {name: grads[name] for name in _GATE_NAMES}
        grads.update(W_yh=dW_yh, b_y=db_y, xs=(rows @ W_x).reshape(T, B, D), h0=dh, c0=dc)
        if state_grads:
            dH[0], dC[0] = dh, dc
            grads.update(hs=dH, cs=dC)
        return grads

    def __repr__(self):
        D, H, K = self.sizes
        return (f"LSTM(input_size={D}, hidden_size={H}, output_size={K}, "
                f"output_activation={self.output_activation!r})")


def _check_cache(cache, sizes=None):
    """Refuse what is not ``LSTM.forward``'s cache; with sizes (T, B, H), check its shapes."""
    if not isinstance(cache, dict):
        raise ValueError(f"cache is a {type(cache).__name__}; expected the dict returned by "
                         "LSTM.forward")
    missing = [key for key in _CACHE_KEYS if key not in cache]
    if missing:
        raise ValueError(f"cache has no {missing}; expected the dict returned by LSTM.forward")
    if sizes is not None:
        T, B, H = sizes
        for key in _CACHE_KEYS:
            rows = T + 1 if key in ("hs", "cs") else T
            check_shape(f'cache["{key}"]', cache[key], (rows, B, H),
                        ("T+1" if rows == T + 1 else "T", "B", "H"))
