"""``BidirectionalRNN``: two vanilla recurrences over the same sequence, one in each direction.

Book (column vectors; Schuster & Paliwal 1997)::

    h^f_t = g1(W_hh_f h^f_{t-1} + W_hx_f x_t + b_h_f)    t = 1..T
    h^b_t = g1(W_hh_b h^b_{t+1} + W_hx_b x_t + b_h_b)    t = T..1
    y_t   = g2(W_yh [h^f_t; h^b_t] + b_y)

with h^f_0 = h0_f and h^b_{T+1} = h0_b; W_yh is (K, 2H), the forward half first.

y_t reads x_1..x_t through h^f_t and x_t..x_T through h^b_t: the whole sequence. That is why
it can tag a word by what follows it, and why it cannot generate text (x_{t+1} is what it
would be asked to predict). Each direction is ``layers.hidden_forward``; the backward one runs
on the time-reversed inputs, and its states are reversed back into time order. The cache's two
arrays, both (T+1, B, H), therefore differ in where the initial state sits:

* ``hs_f`` is laid out like ``VanillaRNN``'s ``hs``: ``hs_f[0] = h0_f`` (h^f_0) and
  ``hs_f[t] = h^f_t`` for t = 1..T;
* ``hs_b`` keeps its initial state LAST: ``hs_b[t-1] = h^b_t`` for t = 1..T and
  ``hs_b[T] = h0_b`` (h^b_{T+1}).

So the T states y_1..y_T read are ``hs_f[1:]`` and ``hs_b[:-1]``.
"""
import numpy as np

from ._checks import as_array, check_shape
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .init import recurrent_matrix, scaled_normal
from .layers import hidden_backward, hidden_forward, output_backward, output_forward
from .rnn import _positive_int

__all__ = ["BidirectionalRNN", "BIDIRECTIONAL_PARAM_NAMES"]

BIDIRECTIONAL_PARAM_NAMES = ("W_hx_f", "W_hh_f", "b_h_f", "W_hx_b", "W_hh_b", "b_h_b",
                             "W_yh", "b_y")


class BidirectionalRNN:
    """A bidirectional Elman network: D inputs, H hidden units in each direction, K outputs.

    ``params`` holds the 8 arrays of ``BIDIRECTIONAL_PARAM_NAMES``. Each direction is drawn as
    ``VanillaRNN`` draws its weights (W_hh from ``recurrent_init``, then W_hx scaled normal),
    the forward direction first; W_yh (K, 2H) is scaled normal; the biases are zero.
    """

    def __init__(self, input_size, hidden_size, output_size, *, hidden_activation="tanh",
                 output_activation="identity", seed=None, recurrent_init="scaled_normal",
                 dtype=np.float64):
        D = _positive_int("input_size", input_size)
        H = _positive_int("hidden_size", hidden_size)
        K = _positive_int("output_size", output_size)
        self.hidden_activation = get_activation(
            hidden_activation, HIDDEN_ACTIVATIONS, "hidden_activation").name
        self.output_activation = get_activation(
            output_activation, OUTPUT_ACTIVATIONS, "output_activation").name
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype is {np.dtype(dtype)}; expected a float dtype")
        rng = np.random.default_rng(seed)
        params = {}
        for half in ("f", "b"):
            params[f"W_hh_{half}"] = recurrent_matrix(rng, H, recurrent_init)
            params[f"W_hx_{half}"] = scaled_normal(rng, H, D)
            params[f"b_h_{half}"] = np.zeros(H)
        params["W_yh"], params["b_y"] = scaled_normal(rng, K, 2 * H), np.zeros(K)
        self.params = {name: params[name].astype(dtype) for name in BIDIRECTIONAL_PARAM_NAMES}

    @property
    def sizes(self):
        """(D, H, K), read from the current parameters; H is the size of one direction."""
        H, D = self.params["W_hx_f"].shape
        return D, H, self.params["W_yh"].shape[0]

    def num_parameters(self):
        """2 (H*D + H*H + H) + K*2H + K: two recurrences, and an output that reads both."""
        return sum(int(p.size) for p in self.params.values())

    def _inputs(self, xs, **states):
        """xs (T, B, D) checked, and each named state (B, H) (zeros when None)."""
        D, H, _ = self.sizes
        dtype = self.params["W_hx_f"].dtype
        xs = as_array("xs", xs, dtype)
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        checked = []
        for name, state in states.items():
            if state is None:
                checked.append(np.zeros((xs.shape[1], H), dtype=dtype))
                continue
            check_shape(name, state, (xs.shape[1], H), ("B", "H"))
            checked.append(as_array(name, state, dtype))
        return xs, checked

    def _both(self, hs_f, hs_b):
        """[h^f_t; h^b_t] for t = 1..T: (T, B, 2H), the forward half first."""
        return np.concatenate([hs_f[1:], hs_b[:-1]], axis=-1)

    def forward(self, xs, h0_f=None, h0_b=None):
        """Run both directions over a sequence and read them together.

        xs (T, B, D); h0_f, h0_b (B, H), zeros by default -> ys (T, B, K), cache, a dict:
        "hs_f" (T+1, B, H) with hs_f[0] = h0_f and hs_f[t] = h^f_t (as VanillaRNN's hs);
        "hs_b" (T+1, B, H) with hs_b[T] = h0_b and hs_b[t-1] = h^b_t. So ys[t] reads
        hs_f[t+1] and hs_b[t]: the states of the T steps are hs_f[1:] and hs_b[:-1].
        """
        xs, (h0_f, h0_b) = self._inputs(xs, h0_f=h0_f, h0_b=h0_b)
        p, act = self.params, self.hidden_activation
        hs_f = hidden_forward(xs, h0_f, p["W_hx_f"], p["W_hh_f"], p["b_h_f"], act)
        # the backward direction is the same recurrence on x_T..x_1; reversed back into time order
        hs_b = hidden_forward(xs[::-1], h0_b, p["W_hx_b"], p["W_hh_b"], p["b_h_b"], act)[::-1]
        ys = output_forward(self._both(hs_f, hs_b), p["W_yh"], p["b_y"], self.output_activation)
        return ys, {"hs_f": hs_f, "hs_b": hs_b}

    def final_state(self, cache):
        """The state to carry into the next window of a stream: {"h0_f": h^f_T}. The backward
        direction has nothing from the past to carry (it starts at the window's end), so
        ``forward(next_xs, **final_state(cache))`` starts it from zeros again."""
        _check_cache(cache)
        return {"h0_f": cache["hs_f"][-1]}

    def backward(self, xs, cache, dys, dh_last_f=None, dh_last_b=None):
        """Backpropagation through time, in each direction separately.

        The output splits dL/d[h^f_t; h^b_t] = W_yh^T dz_t into its two halves; the forward
        half goes back from t = T to 1 as in ``VanillaRNN``, the backward half from t = 1 to T
        (it is ``hidden_backward`` on the reversed sequence). dL/dx_t is the sum of both.
        xs (T, B, D) and cache from ``forward``; dys (T, B, K) = dL/dys; dh_last_f (B, H) extra
        gradient at hs_f[T], dh_last_b (B, H) at hs_b[0] (the backward direction's last state,
        after reading x_1). Returns a dict with the gradient of every parameter, plus "xs",
        "h0_f" and "h0_b".
        """
        xs, (dh_last_f, dh_last_b) = self._inputs(xs, dh_last_f=dh_last_f, dh_last_b=dh_last_b)
        T, B, _ = xs.shape
        H, K = self.sizes[1:]
        _check_cache(cache, (T, B, H))
        check_shape("dys", dys, (T, B, K), ("T", "B", "K"))
        p, act = self.params, self.hidden_activation
        hs_f, hs_b = (as_array(key, cache[key], xs.dtype) for key in ("hs_f", "hs_b"))
        both = self._both(hs_f, hs_b)
        if self.output_activation == "identity":
            ys = np.broadcast_to(np.zeros((), dtype=xs.dtype), (T, B, K))   # never read
        else:
            ys = output_forward(both, p["W_yh"], p["b_y"], self.output_activation)
        dboth, dW_yh, db_y = output_backward(dys, both, ys, p["W_yh"], self.output_activation)
        dxs_f, dh0_f, dW_hx_f, dW_hh_f, db_h_f = hidden_backward(
            dboth[..., :H], xs, hs_f, p["W_hx_f"], p["W_hh_f"], act, dh_last_f)
        dxs_b, dh0_b, dW_hx_b, dW_hh_b, db_h_b = hidden_backward(
            dboth[::-1, :, H:], xs[::-1], hs_b[::-1], p["W_hx_b"], p["W_hh_b"], act, dh_last_b)
        return {"W_hx_f": dW_hx_f, "W_hh_f": dW_hh_f, "b_h_f": db_h_f,
                "W_hx_b": dW_hx_b, "W_hh_b": dW_hh_b, "b_h_b": db_h_b,
                "W_yh": dW_yh, "b_y": db_y,
                "xs": dxs_f + dxs_b[::-1], "h0_f": dh0_f, "h0_b": dh0_b}

    def __repr__(self):
        D, H, K = self.sizes
        return (f"BidirectionalRNN(input_size={D}, hidden_size={H}, output_size={K}, "
                f"hidden_activation={self.hidden_activation!r}, "
                f"output_activation={self.output_activation!r})")


def _check_cache(cache, sizes=None):
    """Refuse what is not ``BidirectionalRNN.forward``'s cache; with sizes (T, B, H), its shapes."""
    where = "expected the dict returned by BidirectionalRNN.forward"
    if not isinstance(cache, dict):
        raise ValueError(f"cache is a {type(cache).__name__}; {where}")
    missing = [key for key in ("hs_f", "hs_b") if key not in cache]
    if missing:
        raise ValueError(f"cache has no {missing}; {where}")
    if sizes is not None:
        T, B, H = sizes
        for key in ("hs_f", "hs_b"):
            check_shape(f'cache["{key}"]', cache[key], (T + 1, B, H), ("T+1", "B", "H"))
