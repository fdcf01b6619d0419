"""A gated recurrent unit (GRU): the seed page's gate Gamma = sigma(W x_t + U h_{t-1} + b), twice.

Book (column vectors, Cho et al. 2014 with the update gate written as in CS230):

    Gamma_u = sigma(W_ux x_t + W_uh h_{t-1} + b_u)                 update gate   (H,)
    Gamma_r = sigma(W_rx x_t + W_rh h_{t-1} + b_r)                 reset gate    (H,)
    h~_t    = tanh(W_hx x_t + W_hh (Gamma_r * h_{t-1}) + b_h)      candidate     (H,)
    h_t     = Gamma_u * h~_t + (1 - Gamma_u) * h_{t-1}             new state     (H,)
    y_t     = g2(W_yh h_t + b_y)                                   output        (K,)

``*`` is the elementwise product. The candidate is the vanilla RNN's step with a reset-gated
state; where Gamma_u is near 0 the state is copied, dh_t/dh_{t-1} is near the identity, and
the gradient passes many steps unchanged. Cho et al. write z = 1 - Gamma_u for the same cell.
Code: rows are the batch and weights are (out, in), as in ``layers``: x_t (B, D), h (B, H).
"""
import numpy as np

from ._checks import as_array, check_shape
from .activations import OUTPUT_ACTIVATIONS, get_activation
from .init import recurrent_matrix, scaled_normal
from .layers import output_backward, output_forward
from .rnn import _positive_int

__all__ = ["GRU", "GRU_PARAM_NAMES", "gru_step"]

GRU_PARAM_NAMES = ("W_ux", "W_uh", "b_u", "W_rx", "W_rh", "b_r",
                   "W_hx", "W_hh", "b_h", "W_yh", "b_y")
_GATES = (("u", "W_ux", "W_uh", "b_u"), ("r", "W_rx", "W_rh", "b_r"))


def _sigmoid(a):
    """sigma(a) = (1 + tanh(a / 2)) / 2: the same function as ``activations.sigmoid``, stable
    for any a, and one ufunc call (the gates evaluate it 2T times per sequence)."""
    out = np.tanh(0.5 * a)
    out += 1.0
    out *= 0.5
    return out


def _gates(x_part, h_prev, p):
    """Gamma_u, Gamma_r and the candidate from the input terms x_part = {"u", "r", "h"}:
    W_.x x_t + b_. for one step (B, H) or for all steps (T, B, H). ``.mT`` transposes the
    last two axes, so the same lines serve a stack of models (``experiments.lockstep``)."""
    update = _sigmoid(x_part["u"] + h_prev @ p["W_uh"].mT)
    reset = _sigmoid(x_part["r"] + h_prev @ p["W_rh"].mT)
    candidate = np.tanh(x_part["h"] + (reset * h_prev) @ p["W_hh"].mT)
    return update, reset, candidate


def _input_terms(xs, p):
    """W_ux x_t + b_u, W_rx x_t + b_r and W_hx x_t + b_h for every row of xs (..., D),
    each one (rows, D) @ (D, H) product."""
    rows = xs.reshape(-1, xs.shape[-1])
    shape = xs.shape[:-1] + (-1,)
    return {gate: (rows @ p[f"W_{gate}x"].T + p[f"b_{gate}"]).reshape(shape)
            for gate in ("u", "r", "h")}


def _check_params(params):
    missing = [name for name in GRU_PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params has no {missing}; expected every name of {GRU_PARAM_NAMES}")
    W_ux = as_array("W_ux", params["W_ux"], dtype=None)
    check_shape("W_ux", W_ux, (None, None), ("H", "D"))
    H, D = W_ux.shape
    p = {}
    for name in GRU_PARAM_NAMES[:9]:
        kind = name[-1] if name.startswith("W") else "b"
        letters = {"x": ("H", "D"), "h": ("H", "H"), "b": ("H",)}[kind]
        wanted = {"x": (H, D), "h": (H, H), "b": (H,)}[kind]
        p[name] = as_array(name, params[name], W_ux.dtype)
        check_shape(name, p[name], wanted, letters)
    return p


def gru_step(x_t, h_prev, params):
    """One GRU step (the five equations of the module docstring, without the output).

    Shapes: x_t (B, D), h_prev (B, H); params holds W_ux, W_rx, W_hx (H, D), W_uh, W_rh,
    W_hh (H, H) and b_u, b_r, b_h (H,) (extra keys such as W_yh are ignored) -> h_t (B, H).
    """
    p = _check_params(params)
    H, D = p["W_ux"].shape
    x_t = as_array("x_t", x_t, p["W_ux"].dtype)
    check_shape("x_t", x_t, (None, D), ("B", "D"))
    h_prev = as_array("h_prev", h_prev, p["W_ux"].dtype)
    check_shape("h_prev", h_prev, (x_t.shape[0], H), ("B", "H"))
    update, _, candidate = _gates(_input_terms(x_t, p), h_prev, p)
    return update * candidate + (1.0 - update) * h_prev


class GRU:
    """A GRU with D inputs, H hidden units and K outputs; the same interface as ``VanillaRNN``.

    ``params`` holds the 11 arrays of ``GRU_PARAM_NAMES``: input weights (H, D) scaled
    normal, recurrent weights (H, H) from ``recurrent_init``, W_yh (K, H), biases zero except
    b_u = ``update_bias`` (a negative value starts the cell copying its state).
    """

    def __init__(self, input_size, hidden_size, output_size, *, output_activation="identity",
                 seed=None, recurrent_init="scaled_normal", update_bias=0.0, dtype=np.float64):
        D = _positive_int("input_size", input_size)
        H = _positive_int("hidden_size", hidden_size)
        K = _positive_int("output_size", output_size)
        self.output_activation = get_activation(
            output_activation, OUTPUT_ACTIVATIONS, "output_activation").name
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype is {np.dtype(dtype)}; expected a float dtype")
        if not np.isfinite(update_bias):
            raise ValueError(f"update_bias is {update_bias!r}; expected a finite number")
        rng = np.random.default_rng(seed)
        params = {}
        for gate in ("u", "r", "h"):
            params[f"W_{gate}x"] = scaled_normal(rng, H, D)
            params[f"W_{gate}h"] = recurrent_matrix(rng, H, recurrent_init)
            params[f"b_{gate}"] = np.zeros(H)
        params["b_u"] += update_bias
        params["W_yh"], params["b_y"] = scaled_normal(rng, K, H), np.zeros(K)
        self.params = {name: params[name].astype(dtype) for name in GRU_PARAM_NAMES}

    @property
    def sizes(self):
        """(D, H, K), read from the current parameters."""
        H, D = self.params["W_ux"].shape
        return D, H, self.params["W_yh"].shape[0]

    def num_parameters(self):
        """3 (H*D + H*H + H) + K*H + K: three times the vanilla recurrence, plus the output."""
        return sum(int(p.size) for p in self.params.values())

    def _inputs(self, xs, h0):
        p = _check_params(self.params)
        D, H, _ = self.sizes
        xs = as_array("xs", xs, p["W_ux"].dtype)
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        if h0 is None:
            h0 = np.zeros((xs.shape[1], H), dtype=p["W_ux"].dtype)
        h0 = as_array("h0", h0, p["W_ux"].dtype)
        check_shape("h0", h0, (xs.shape[1], H), ("B", "H"))
        return p, xs, h0

    def forward(self, xs, h0=None):
        """xs (T, B, D); h0 (B, H), zeros by default -> ys (T, B, K), hs (T+1, B, H).

        The input terms ``W_.x x_t + b_.`` are one product over all T*B rows; only the
        recurrent terms run step by step.
        """
        p, xs, h0 = self._inputs(xs, h0)
        T = xs.shape[0]
        x_part = _input_terms(xs, p)
        hs = np.empty((T + 1,) + h0.shape, dtype=h0.dtype)
        hs[0] = h0
        for t in range(T):
            update, _, candidate = _gates({gate: x_part[gate][t] for gate in "urh"}, hs[t], p)
            hs[t + 1] = update * candidate + (1.0 - update) * hs[t]
        ys = output_forward(hs[1:], self.params["W_yh"], self.params["b_y"],
                            self.output_activation)
        return ys, hs

    def backward(self, xs, hs, dys, dh_last=None):
        """Backpropagation through time; same arguments and result as ``VanillaRNN.backward``.

        The gates of every step are recomputed at once from xs and hs[:-1]. Going back in time,
        with dh the gradient reaching h_t:
        dh~ = Gamma_u * dh,  dGamma_u = (h~ - h_{t-1}) * dh,  dh_{t-1} = (1 - Gamma_u) * dh + ...,
        da_h = (1 - h~^2) * dh~,  d(Gamma_r * h_{t-1}) = W_hh^T da_h,
        da_u = Gamma_u (1 - Gamma_u) dGamma_u,  da_r = Gamma_r (1 - Gamma_r) dGamma_r,
        dh_{t-1} += Gamma_r * d(Gamma_r h_{t-1}) + W_uh^T da_u + W_rh^T da_r.
        Returns a dict with the gradient of every parameter, plus "xs" and "h0".
        """
        p, xs, _ = self._inputs(xs, None)
        T, B, D = xs.shape
        H, K = self.sizes[1:]
        check_shape("hs", hs, (T + 1, B, H), ("T+1", "B", "H"))
        check_shape("dys", dys, (T, B, K), ("T", "B", "K"))
        hs = as_array("hs", hs, xs.dtype)
        ys = output_forward(hs[1:], self.params["W_yh"], self.params["b_y"],
                            self.output_activation)
        dhs, dW_yh, db_y = output_backward(dys, hs[1:], ys, self.params["W_yh"],
                                           self.output_activation)
        h_prev = hs[:-1]
        update, reset, candidate = _gates(_input_terms(xs, p), h_prev, p)
        da = {gate: np.empty((T, B, H), dtype=xs.dtype) for gate in ("u", "r", "h")}
        dh = np.zeros((B, H), dtype=xs.dtype)
        if dh_last is not None:
            dh_last = as_array("dh_last", dh_last, xs.dtype)
            check_shape("dh_last", dh_last, (B, H), ("B", "H"))
            dh = dh + dh_last
        # The factors that do not depend on dh, for every step at once (fewer operations per step).
        slope_h = update * (1.0 - candidate ** 2)                      # da_h / dh
        slope_u = (candidate - h_prev) * update * (1.0 - update)       # da_u / dh
        slope_r = h_prev * reset * (1.0 - reset)                       # da_r / d(Gamma_r h)
        keep = 1.0 - update
        for t in reversed(range(T)):
            dh = dh + dhs[t]
            da["h"][t] = slope_h[t] * dh
            d_reset_h = da["h"][t] @ p["W_hh"]               # gradient of Gamma_r * h_{t-1}
            da["u"][t] = slope_u[t] * dh
            da["r"][t] = slope_r[t] * d_reset_h
            dh = (keep[t] * dh + reset[t] * d_reset_h
                  + da["u"][t] @ p["W_uh"] + da["r"][t] @ p["W_rh"])
        rows = {gate: d.reshape(T * B, H) for gate, d in da.items()}
        x_rows = xs.reshape(T * B, D)
        h_rows = h_prev.reshape(T * B, H)
        grads = {"W_hh": rows["h"].T @ (reset * h_prev).reshape(T * B, H)}
        for gate, W_x, W_h, b in _GATES + (("h", "W_hx", None, "b_h"),):
            grads[W_x] = rows[gate].T @ x_rows
            grads[b] = rows[gate].sum(axis=0)
            if W_h is not None:
                grads[W_h] = rows[gate].T @ h_rows
        dxs = sum(rows[gate] @ p[f"W_{gate}x"] for gate in ("u", "r", "h")).reshape(T, B, D)
        grads = {name: grads[name] for name in GRU_PARAM_NAMES[:9]}
        grads.update(W_yh=dW_yh, b_y=db_y, xs=dxs, h0=dh)
        return grads

    def __repr__(self):
        D, H, K = self.sizes
        return (f"GRU(input_size={D}, hidden_size={H}, output_size={K}, "
                f"output_activation={self.output_activation!r})")
