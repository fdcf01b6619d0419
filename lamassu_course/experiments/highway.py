"""Chapter 6: the LSTM's cell state as a "gradient highway", measured.

A loss that reads only the last output (the recall task of Chapter 4) sends its gradient
back from step T. How much of it reaches step t?

* In a vanilla RNN, dL/dh_{t-1} = W_hh^T (g1'(a_t) * dL/dh_t): one Jacobian per step, a
  matrix and a slope every time (``gradients.state_gradients``).
* In an LSTM, dL/dc_{t-1} = f_t * dL/dc_t + (the paths through h_{t-1} and the gates). The
  first term alone is the highway: dL/dc_T multiplied by the forget gates on the way, with
  no matrix and no squashing slope. ``cell_shares`` measures the whole gradient and that
  term alone, so the two can be compared.

Every share is a ratio of means over the batch, mean_b ||g_t|| / mean_b ||g_T||, for
t = 0..T (index t; the distance back is T - t), as in Chapter 4's gradient profiles.
"""
import numpy as np

from .._checks import as_array, check_shape
from ..lstm import LSTM
from ..rnn import VanillaRNN
from .gradients import state_gradients

__all__ = ["hidden_shares", "cell_shares"]


def _last_step_only(dys):
    dys = as_array("dys", dys)
    check_shape("dys", dys, (None, None, None), ("T", "B", "K"))
    if np.any(dys[:-1]):
        raise ValueError("dys is non-zero before the last step; expected a loss that reads "
                         "only y_T (such as memory.last_step_loss)")
    return dys


def _shares(grads):
    """(T+1, B, H) -> mean_b ||g_t|| / mean_b ||g_T||, (T+1,)."""
    norms = np.linalg.norm(grads, axis=2).mean(axis=1)
    return norms / norms[-1]


def hidden_shares(rnn, xs, dys):
    """The share of dL/dh_T that reaches h_t, t = 0..T, in a VanillaRNN (identity output)
    whose loss reads only y_T: xs (T, B, D), dys (T, B, K) = dL/dys, zero before T.
    Returns (T+1,), 1 at index T."""
    if not isinstance(rnn, VanillaRNN) or rnn.output_activation != "identity":
        raise ValueError(f"rnn is {rnn!r}; expected a VanillaRNN with identity output")
    dys = _last_step_only(dys)
    _, hs = rnn.forward(xs)
    dh_last = dys[-1] @ rnn.params["W_yh"]                 # dL/dh_T = W_yh^T dL/dy_T
    return _shares(state_gradients(rnn.params["W_hh"], hs, dh_last, rnn.hidden_activation))


def cell_shares(lstm, xs, dys):
    """The share of dL/dc_T that reaches c_t, t = 0..T, in an LSTM whose loss reads only y_T.

    xs (T, B, D), dys (T, B, K) = dL/dys, zero before T. Returns {"cell": all of dL/dc_t
    (``LSTM.backward(..., state_grads=True)``), "highway": the forget-gate path alone,
    (f_{t+1} * ... * f_T) * dL/dc_T}, each (T+1,) and 1 at index T. The highway is at most
    the forget gates' product, and it never passes a weight matrix.
    """
    if not isinstance(lstm, LSTM):
        raise ValueError(f"lstm is a {type(lstm).__name__}; expected an LSTM")
    dys = _last_step_only(dys)
    _, cache = lstm.forward(xs)
    dcs = lstm.backward(xs, cache, dys, state_grads=True)["cs"]
    highway = np.empty_like(dcs)
    highway[-1] = dcs[-1]
    for t in range(len(dcs) - 1, 0, -1):                   # dc_{t-1} = f_t * dc_t
        highway[t - 1] = cache["f"][t - 1] * highway[t]
    return {"cell": _shares(dcs), "highway": _shares(highway)}
