"""``StackedRNN``: L vanilla recurrences, each reading the states of the one below.

Book (column vectors; layer l = 1..L, with h^(0)_t = x_t)::

    h^(l)_t = g1(W_hh_l h^(l)_{t-1} + W_hx_l h^(l-1)_t + b_h_l)
    y_t     = g2(W_yh h^(L)_t + b_y)           the output reads the top

W_hx_1 is (H, D), every other W_hx_l (H, H).

Layer l runs all T steps of ``layers.hidden_forward`` on the T states of layer l-1, so every
layer's input term is one product over all T*B rows. Going back, the gradient reaching the
inputs of layer l (``dxs`` of its ``hidden_backward``) is the gradient that reaches the
states of layer l-1 from above; it is the only one they get, since only the top feeds y_t.
"""
import numpy as np

from ._checks import as_array, check_shape
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .init import recurrent_matrix, scaled_normal
from .layers import hidden_backward, hidden_forward, output_backward, output_forward
from .rnn import _positive_int

__all__ = ["StackedRNN", "stacked_param_names"]


def stacked_param_names(num_layers):
    """("W_hx_1", "W_hh_1", "b_h_1", ..., "W_hx_L", "W_hh_L", "b_h_L", "W_yh", "b_y")."""
    names = [f"{name}_{layer}" for layer in range(1, num_layers + 1)
             for name in ("W_hx", "W_hh", "b_h")]
    return tuple(names) + ("W_yh", "b_y")


class StackedRNN:
    """A stack of ``num_layers`` = L Elman layers of H units: D inputs, K outputs.

    ``params`` holds ``stacked_param_names(L)``. Layer by layer from the bottom, W_hh_l is
    drawn by ``recurrent_init`` and then W_hx_l scaled normal (as ``VanillaRNN`` draws its
    weights, so with L = 1 and the same seed the weights are VanillaRNN's); then W_yh (K, H)
    scaled normal; the biases are zero.
    """

    def __init__(self, input_size, hidden_size, output_size, *, num_layers=2,
                 hidden_activation="tanh", output_activation="identity", seed=None,
                 recurrent_init="scaled_normal", dtype=np.float64):
        D = _positive_int("input_size", input_size)
        H = _positive_int("hidden_size", hidden_size)
        K = _positive_int("output_size", output_size)
        L = _positive_int("num_layers", num_layers)
        self.hidden_activation = get_activation(
            hidden_activation, HIDDEN_ACTIVATIONS, "hidden_activation").name
        self.output_activation = get_activation(
            output_activation, OUTPUT_ACTIVATIONS, "output_activation").name
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype is {np.dtype(dtype)}; expected a float dtype")
        rng = np.random.default_rng(seed)
        params = {}
        for layer in range(1, L + 1):
            params[f"W_hh_{layer}"] = recurrent_matrix(rng, H, recurrent_init)
            params[f"W_hx_{layer}"] = scaled_normal(rng, H, D if layer == 1 else H)
            params[f"b_h_{layer}"] = np.zeros(H)
        params["W_yh"], params["b_y"] = scaled_normal(rng, K, H), np.zeros(K)
        self.params = {name: params[name].astype(dtype) for name in stacked_param_names(L)}

    @property
    def num_layers(self):
        """L, read from the current parameters."""
        return (len(self.params) - 2) // 3

    @property
    def sizes(self):
        """(D, H, K), read from the current parameters; H is the size of every layer."""
        H, D = self.params["W_hx_1"].shape
        return D, H, self.params["W_yh"].shape[0]

    def num_parameters(self):
        """(H*D + H*H + H) + (L-1)(2 H*H + H) + K*H + K: each layer above the first adds
        2 H^2 + H, whatever D is."""
        return sum(int(p.size) for p in self.params.values())

    def _layer(self, layer):
        p = self.params
        return p[f"W_hx_{layer}"], p[f"W_hh_{layer}"], p[f"b_h_{layer}"]

    def _inputs(self, xs, name, state):
        """xs (T, B, D) checked, and ``state`` (L, B, H) (zeros when None)."""
        D, H, _ = self.sizes
        L, dtype = self.num_layers, self.params["W_hx_1"].dtype
        xs = as_array("xs", xs, dtype)
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        if state is None:
            return xs, np.zeros((L, xs.shape[1], H), dtype=dtype)
        check_shape(name, state, (L, xs.shape[1], H), ("L", "B", "H"))
        return xs, as_array(name, state, dtype)

    def forward(self, xs, h0=None):
        """Run the stack over a sequence, the bottom layer first.

        xs (T, B, D); h0 (L, B, H), h0[l-1] the initial state of layer l, zeros by default ->
        ys (T, B, K), cache {"hs": (L, T+1, B, H)}: cache["hs"][l-1] is layer l's hs (as
        VanillaRNN's, hs[0] its initial state); cache["hs"][-1] is the top layer, read by y_t.
        """
        xs, h0 = self._inputs(xs, "h0", h0)
        T, B, _ = xs.shape
        hs = np.empty((self.num_layers, T + 1, B, self.sizes[1]), dtype=xs.dtype)
        below = xs
        for layer in range(1, self.num_layers + 1):
            hs[layer - 1] = hidden_forward(below, h0[layer - 1], *self._layer(layer),
                                           self.hidden_activation)
            below = hs[layer - 1, 1:]
        ys = output_forward(below, self.params["W_yh"], self.params["b_y"], self.output_activation)
        return ys, {"hs": hs}

    def final_state(self, cache):
        """The state to carry into the next window: {"h0": every layer's h_T, (L, B, H)}."""
        _check_cache(cache)
        return {"h0": cache["hs"][:, -1]}

    def backward(self, xs, cache, dys, dh_last=None):
        """Backpropagation through time, the top layer first.

        The output gives dL/dh^(L)_t = W_yh^T dz_t; ``hidden_backward`` of layer l turns the
        gradient at its states into the gradient at its inputs, dL/dh^(l-1)_t =
        sum over the layer's steps of W_hx_l^T da^(l)_t, which is what layer l-1 receives.
        xs (T, B, D) and cache from ``forward``; dys (T, B, K) = dL/dys; dh_last (L, B, H)
        extra gradient at each layer's h_T. Returns a dict with the gradient of every
        parameter, plus "xs" (T, B, D) and "h0" (L, B, H).
        """
        xs, dh_last = self._inputs(xs, "dh_last", dh_last)
        T, B, _ = xs.shape
        H, K, L = self.sizes[1], self.sizes[2], self.num_layers
        _check_cache(cache, (L, T, B, H))
        check_shape("dys", dys, (T, B, K), ("T", "B", "K"))
        hs = as_array('cache["hs"]', cache["hs"], xs.dtype)
        p = self.params
        if self.output_activation == "identity":
            ys = np.broadcast_to(np.zeros((), dtype=xs.dtype), (T, B, K))   # never read
        else:
            ys = output_forward(hs[-1, 1:], p["W_yh"], p["b_y"], self.output_activation)
        dhs, dW_yh, db_y = output_backward(dys, hs[-1, 1:], ys, p["W_yh"], self.output_activation)
        grads, dh0 = {}, np.empty_like(dh_last)
        for layer in range(L, 0, -1):
            below = xs if layer == 1 else hs[layer - 2, 1:]
            W_hx, W_hh, _ = self._layer(layer)
            dhs, dh0[layer - 1], grads[f"W_hx_{layer}"], grads[f"W_hh_{layer}"], \
                grads[f"b_h_{layer}"] = hidden_backward(
                    dhs, below, hs[layer - 1], W_hx, W_hh, self.hidden_activation,
                    dh_last[layer - 1], overwrite_dhs=True)     # dhs is this method's own
        grads = {name: grads[name] for name in stacked_param_names(L)[:-2]}
        grads.update(W_yh=dW_yh, b_y=db_y, xs=dhs, h0=dh0)
        return grads

    def __repr__(self):
        D, H, K = self.sizes
        return (f"StackedRNN(input_size={D}, hidden_size={H}, output_size={K}, "
                f"num_layers={self.num_layers}, hidden_activation={self.hidden_activation!r}, "
                f"output_activation={self.output_activation!r})")


def _check_cache(cache, sizes=None):
    """Refuse what is not ``StackedRNN.forward``'s cache; with sizes (L, T, B, H), its shape."""
    where = "expected the dict returned by StackedRNN.forward"
    if not isinstance(cache, dict):
        raise ValueError(f"cache is a {type(cache).__name__}; {where}")
    if "hs" not in cache:
        raise ValueError(f"cache has no ['hs']; {where}")
    if sizes is None:
        check_shape('cache["hs"]', cache["hs"], (None, None, None, None), ("L", "T+1", "B", "H"))
    else:
        L, T, B, H = sizes
        check_shape('cache["hs"]', cache["hs"], (L, T + 1, B, H), ("L", "T+1", "B", "H"))
