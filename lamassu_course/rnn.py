"""``VanillaRNN``: the two equations of the book, with parameters and BPTT in one object.

h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h),   y_t = g2(W_yh h_t + b_y)

The object holds only ``params``; ``forward`` returns every state it computed and
``backward`` takes them back, so nothing is hidden between the two calls.
"""
import numpy as np

from ._checks import check_shape
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, get_activation
from .init import recurrent_matrix, scaled_normal, with_spectral_radius
from .layers import hidden_backward, hidden_forward, output_backward, output_forward

__all__ = ["VanillaRNN", "PARAM_NAMES"]

PARAM_NAMES = ("W_hx", "W_hh", "W_yh", "b_h", "b_y")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")
    return int(value)


class VanillaRNN:
    """An Elman network: D inputs, H hidden units, K outputs.

    Parameters (in ``params``, float64 by default, the only copy of the weights):
    W_hx (H, D) and W_yh (K, H) scaled normal; W_hh (H, H) from ``recurrent_init``
    ("scaled_normal", "orthogonal" or "identity"), optionally rescaled to spectral radius
    ``spectral_radius``; b_h (H,) and b_y (K,) zero. ``seed`` seeds the generator.
    """

    def __init__(self, input_size, hidden_size, output_size, *, hidden_activation="tanh",
                 output_activation="identity", seed=None, recurrent_init="scaled_normal",
                 spectral_radius=None, dtype=np.float64):
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
        W_hh = recurrent_matrix(rng, H, recurrent_init)
        if spectral_radius is not None:
            W_hh = with_spectral_radius(W_hh, spectral_radius)
        params = {"W_hx": scaled_normal(rng, H, D), "W_hh": W_hh,
                  "W_yh": scaled_normal(rng, K, H), "b_h": np.zeros(H), "b_y": np.zeros(K)}
        self.params = {name: params[name].astype(dtype) for name in PARAM_NAMES}

    @property
    def sizes(self):
        """(D, H, K), read from the current parameters."""
        H, D = self.params["W_hx"].shape
        return D, H, self.params["W_yh"].shape[0]

    def num_parameters(self):
        """H*D + H*H + K*H + H + K: the count does not depend on the sequence length T."""
        return sum(int(p.size) for p in self.params.values())

    def forward(self, xs, h0=None):
        """Run the network over a sequence.

        xs (T, B, D); h0 (B, H), zeros by default -> ys (T, B, K), hs (T+1, B, H), hs[0] = h0.
        """
        p = self.params
        D, H, _ = self.sizes
        xs_shape = np.shape(xs)
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        if h0 is None:
            h0 = np.zeros((xs_shape[1], H), dtype=p["W_hx"].dtype)
        hs = hidden_forward(xs, h0, p["W_hx"], p["W_hh"], p["b_h"], self.hidden_activation)
        ys = output_forward(hs[1:], p["W_yh"], p["b_y"], self.output_activation)
        return ys, hs

    def backward(self, xs, hs, dys, dh_last=None):
        """Backpropagation through time.

        xs (T, B, D) and hs (T+1, B, H) from ``forward``; dys (T, B, K) = dL/dys;
        dh_last (B, H) extra gradient at hs[T]. Returns a dict with the gradient of every
        parameter, plus "xs" (T, B, D) and "h0" (B, H).
        """
        p = self.params
        D, H, K = self.sizes
        check_shape("xs", xs, (None, None, D), ("T", "B", "D"))
        T, B, _ = np.shape(xs)
        check_shape("hs", hs, (T + 1, B, H), ("T+1", "B", "H"))
        check_shape("dys", dys, (T, B, K), ("T", "B", "K"))
        hs = np.asarray(hs)   # checked and converted by output_backward and hidden_backward
        if self.output_activation == "identity":
            # identity's backward never reads the output: a view of one zero, nothing allocated
            ys = np.broadcast_to(np.zeros((), dtype=hs.dtype), (T, B, K))
        else:
            ys = output_forward(hs[1:], p["W_yh"], p["b_y"], self.output_activation)
        dhs, dW_yh, db_y = output_backward(dys, hs[1:], ys, p["W_yh"], self.output_activation)
        dxs, dh0, dW_hx, dW_hh, db_h = hidden_backward(
            dhs, xs, hs, p["W_hx"], p["W_hh"], self.hidden_activation, dh_last,
            overwrite_dhs=True)   # dhs is this method's own temporary
        return {"W_hx": dW_hx, "W_hh": dW_hh, "W_yh": dW_yh, "b_h": db_h, "b_y": db_y,
                "xs": dxs, "h0": dh0}

    def __repr__(self):
        D, H, K = self.sizes
        return (f"VanillaRNN(input_size={D}, hidden_size={H}, output_size={K}, "
                f"hidden_activation={self.hidden_activation!r}, "
                f"output_activation={self.output_activation!r})")
