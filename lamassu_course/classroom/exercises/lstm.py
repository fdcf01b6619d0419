"""Checks for Chapter 6's LSTM page: one LSTM step forward, and one step backward.

The checks compare an answer with a reference written out here in NumPy, never with the
package's ``lstm`` module: an answer that calls ``lstm_step_forward``, ``lstm_step_backward``
(or any other function of that module) or ``LSTM``'s forward or backward is refused by the
runner (``forbidden=``) and told to write the step itself. ``tests/test_exercises_lstm.py``
checks that the reference equals the package's ``lstm_step_forward`` and
``lstm_step_backward``.
"""
import inspect

import numpy as np

from ... import lstm as _lstm_module
from ...init import scaled_normal
from ._runner import fail as _fail, make_cases as _cases, run_check as _run
from .gradients import _Params

__all__ = ["check_lstm_step", "check_lstm_step_backward"]

_GATES = "ifoc"


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- the reference, with switches
def _pre(x_t, h_prev, p, gate, h_transposed=False):
    W_h = p[f"W_{gate}h"] if h_transposed else p[f"W_{gate}h"].T
    return x_t @ p[f"W_{gate}x"].T + h_prev @ W_h + p[f"b_{gate}"]


def _forward_parts(x_t, h_prev, c_prev, p, tanh_gate=None, sigmoid_candidate=False,
                   h_transposed=False):
    """i, f, o, c~ and c_t, h_t of the right step, or with one gate squashed the wrong way
    (or every recurrent weight used transposed)."""
    squash = {g: (np.tanh if g == tanh_gate else _sigmoid) for g in "ifo"}
    i, f, o = (squash[g](_pre(x_t, h_prev, p, g, h_transposed)) for g in "ifo")
    c_tilde = (_sigmoid if sigmoid_candidate else np.tanh)(
        _pre(x_t, h_prev, p, "c", h_transposed))
    return i, f, o, c_tilde


def _step(x_t, h_prev, c_prev, params, mistake=None):
    """(h_t, c_t) of one LSTM step, with one typical ``mistake`` switched on (or none)."""
    p = params
    i, f, o, c_tilde = _forward_parts(
        x_t, h_prev, c_prev, p, tanh_gate={"tanh_i": "i", "tanh_f": "f", "tanh_o": "o"}.get(
            mistake), sigmoid_candidate=mistake == "sigmoid_candidate",
        h_transposed=mistake == "W_h_transposed")
    kept = h_prev if mistake == "keeps_h" else c_prev
    c_t = {"no_input_gate": f * kept + c_tilde, "no_forget_gate": kept + i * c_tilde,
           "swapped_i_f": i * kept + f * c_tilde}.get(mistake, f * kept + i * c_tilde)
    h_t = {"no_output_gate": np.tanh(c_t), "no_tanh": o * c_t,
           "old_cell": o * np.tanh(c_prev)}.get(mistake, o * np.tanh(c_t))
    return (c_t, h_t) if mistake == "swapped_outputs" else (h_t, c_t)


def _step_backward(dh_t, dc_next, x_t, h_prev, c_prev, params, mistake=None):
    """(dx_t, dh_prev, dc_prev) of one LSTM step, with one typical ``mistake`` (or none)."""
    p = params
    i, f, o, c_tilde = _forward_parts(x_t, h_prev, c_prev, p)
    c_t = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c_prev if mistake == "slope_at_c_prev" else c_t)
    through_h = dh_t * o * (1.0 - tanh_c ** 2)
    dc = {"no_carried": through_h, "no_through_h": dc_next}.get(mistake, dc_next + through_h)
    slope = {g: value * (1.0 - value) for g, value in (("i", i), ("f", f), ("o", o))}
    slope["c"] = 1.0 - c_tilde ** 2
    if mistake == "no_gate_slopes":
        slope = {g: 1.0 for g in _GATES}
    d_gate = {"i": dc * c_tilde, "f": dc * c_prev, "o": dh_t * np.tanh(c_t), "c": dc * i}
    if mistake == "do_without_tanh":
        d_gate["o"] = dh_t * c_t
    da = {g: d_gate[g] * slope[g] for g in _GATES}
    W_h = {g: (p[f"W_{g}h"].T if mistake == "W_h_transposed" else p[f"W_{g}h"]) for g in _GATES}
    dx_t = sum(da[g] @ p[f"W_{g}x"] for g in _GATES)
    dh_prev = sum(da[g] @ W_h[g] for g in _GATES)
    dc_prev = {"no_forget_path": dc, "carried_only": f * dc_next,
               "dc_prev_zero": np.zeros_like(dc)}.get(mistake, f * dc)
    return dx_t, dh_prev, dc_prev


# ---------------------------------------------------------------- the answer may not call lstm
def _check_without_the_package(name, answer, cases, reference, expect, wrong, symptoms=(),
                               in_place=None):
    """``run_check``, refusing the package's LSTM code, after making sure the answer leaves
    its input arrays as it found them (``in_place``: {argument: hint} for the likeliest
    ones)."""
    if callable(answer) and cases:
        args = [np.copy(v) if isinstance(v, np.ndarray) else v for v in cases[0].values()]
        raised = False
        try:
            with np.errstate(all="ignore"):
                answer(*args)
        except Exception:
            raised = True                          # run_check reports the error itself
        changed = [key for (key, value), arg in zip(cases[0].items(), args)
                   if isinstance(value, np.ndarray) and not np.array_equal(value, arg)]
        if changed and not raised:
            key = changed[0]
            return _fail(name, f"your function changes its input {key} in place"
                               f"{(in_place or {}).get(key, '')}: the caller still needs "
                               "it (an LSTM loop passes it on); compute the result into a new "
                               "array instead")
    return _run(name, answer, cases, reference, expect, wrong, symptoms,
                forbidden=_PACKAGE_LSTM, own="write the step yourself, with NumPy only")


# the package's LSTM code, however an answer reaches it (a default argument, a closure, ...):
# every function of lamassu_course.lstm, and LSTM's forward and backward
_PACKAGE_LSTM = tuple(value for value in vars(_lstm_module).values()
                      if inspect.isfunction(value)
                      and value.__module__ == _lstm_module.__name__) + (
    (_lstm_module.LSTM.forward, "LSTM.forward"), (_lstm_module.LSTM.backward, "LSTM.backward"))


# ---------------------------------------------------------------- the cases
def _params(rng, D, H):
    params = {}
    for g in _GATES:                        # larger weights and non-zero biases, so that a
        params[f"W_{g}x"] = scaled_normal(rng, H, D, 1.5)        # missing term shows
        params[f"W_{g}h"] = scaled_normal(rng, H, H, 1.5)
        params[f"b_{g}"] = 0.5 * rng.standard_normal(H)
    for value in params.values():
        value.flags.writeable = False
    return _Params(params)


def _step_case(rng, B, D, H):
    return dict(x_t=rng.standard_normal((B, D)), h_prev=np.tanh(rng.standard_normal((B, H))),
                c_prev=rng.standard_normal((B, H)), params=_params(rng, D, H))


def _backward_case(rng, B, D, H):
    case = _step_case(rng, B, D, H)
    return dict(dh_t=rng.standard_normal((B, H)), dc_next=rng.standard_normal((B, H)), **case)


SIZES = [(3, 4, 5), (2, 5, 3), (4, 3, 3), (1, 2, 6), (5, 6, 4)]


# ---------------------------------------------------------------- one step forward
def check_lstm_step(fn):
    """Check ``fn(x_t, h_prev, c_prev, params) -> (h_t, c_t)``, each (B, H): one step of the
    LSTM of Chapter 6, rows as the batch. ``params`` maps the twelve gate names W_ix, W_ih,
    b_i, W_fx, W_fh, b_f, W_ox, W_oh, b_o, W_cx, W_ch, b_c to arrays (input weights (H, D),
    recurrent weights (H, H), biases (H,)). Calling the package's LSTM code is not accepted."""
    def mistake(name):
        return lambda c: _step(**c, mistake=name)
    wrong = [
        (mistake("swapped_outputs"), "you returned (c_t, h_t): return (h_t, c_t)"),
        (mistake("W_h_transposed"), "the recurrent weights are used the wrong way round: "
                                    "with the batch as rows, h_prev (B, H) meets W_gh "
                                    "(H, H) transposed, like x_t and W_gx (a square matrix "
                                    "fits either way, so the shapes do not catch it)"),
        (mistake("tanh_i"), "the input gate i uses tanh: a gate uses the sigmoid, so every "
                            "entry is between 0 and 1"),
        (mistake("tanh_f"), "the forget gate f uses tanh: a gate uses the sigmoid, so every "
                            "entry is between 0 and 1"),
        (mistake("tanh_o"), "the output gate o uses tanh: a gate uses the sigmoid, so every "
                            "entry is between 0 and 1"),
        (mistake("sigmoid_candidate"), "the candidate c~ uses the sigmoid: it is tanh, so it "
                                       "can add or subtract (between -1 and 1)"),
        (mistake("no_output_gate"), "the output gate is missing: h_t is o_t times tanh(c_t)"),
        (mistake("no_tanh"), "h_t lacks the tanh: the output gate multiplies tanh(c_t), "
                             "not c_t"),
        (mistake("old_cell"), "h_t reads the old cell c_{t-1}: compute c_t first, then "
                              "h_t from it"),
        (mistake("keeps_h"), "c_t keeps h_{t-1} where it should keep the cell c_{t-1}: the "
                             "forget gate scales the previous cell"),
        (mistake("no_input_gate"), "the input gate is missing: the candidate enters the cell "
                                   "scaled by i_t"),
        (mistake("no_forget_gate"), "the forget gate is missing: the previous cell is kept "
                                    "scaled by f_t"),
        (mistake("swapped_i_f"), "i and f are swapped: f_t scales the previous cell, i_t "
                                 "the candidate"),
    ]
    cases = _cases(_step_case, SIZES)
    in_place = {name: f" (for example `{name} *= ...`)" for name in ("c_prev", "h_prev")}
    return _check_without_the_package("check_lstm_step", fn, cases, _step,
                                      {"h_t": "(B, H)", "c_t": "(B, H)"}, wrong,
                                      in_place=in_place)


# ---------------------------------------------------------------- one step backward
def check_lstm_step_backward(fn):
    """Check ``fn(dh_t, dc_next, x_t, h_prev, c_prev, params) -> (dx_t, dh_prev, dc_prev)``:
    the gradients that flow back through one LSTM step to its inputs x_t (B, D), h_{t-1} and
    c_{t-1} (B, H) (for h_{t-1} and c_{t-1}, only the parts through this step). ``dh_t``
    (B, H) is all of dL/dh_t; ``dc_next`` (B, H) is the part of dL/dc_t that comes from
    step t+1, not through h_t. ``params`` as in
    ``check_lstm_step``. Calling the package's LSTM code is not accepted."""
    def mistake(name):
        return lambda c: _step_backward(**c, mistake=name)
    wrong = [
        (mistake("no_through_h"), "the cell's gradient misses the part through h_t: dc_next "
                                  "is only what comes from step t+1, and h_t = o_t "
                                  "tanh(c_t) reads c_t too, so add dh_t's share to it"),
        (mistake("no_carried"), "dc misses the carried gradient: the cell's gradient is "
                                "dc_next (from step t+1) plus the part through h_t"),
        (mistake("no_forget_path"), "dc_prev lacks the forget gate: c_{t-1} reaches c_t "
                                    "through f_t, so its gradient is f_t times dc"),
        (mistake("carried_only"), "dc_prev passes on only dc_next: it should pass on all of "
                                  "the cell's gradient, including the part through h_t"),
        (mistake("dc_prev_zero"), "dc_prev is zero: c_{t-1} reaches the loss through c_t, "
                                  "the cell's path back (the highway)"),
        (mistake("slope_at_c_prev"), "tanh' is taken at c_{t-1}: h_t = o_t tanh(c_t), so the "
                                     "slope is 1 - tanh(c_t)**2"),
        (mistake("no_gate_slopes"), "the gates' slopes are missing: each gradient passes "
                                    "sigma' = g (1 - g) (tanh' = 1 - c~**2 for the "
                                    "candidate) before the weights"),
        (mistake("do_without_tanh"), "the output gate's gradient uses c_t: o_t multiplies "
                                     "tanh(c_t), so d o_t = dh_t tanh(c_t)"),
        (mistake("W_h_transposed"), "dh_prev uses the recurrent weights the wrong way round: "
                                    "the forward pass computed h_prev @ W_gh.T, so the "
                                    "gradient is da_g @ W_gh"),
    ]
    symptoms = [(lambda result, c: np.allclose(result[2], 0.0),
                 "dc_prev is zero: c_{t-1} reaches the loss through c_t, the cell's path back "
                 "(the highway)")]
    expect = {"dx_t": "(B, D)", "dh_prev": "(B, H)", "dc_prev": "(B, H)"}
    cases = _cases(_backward_case, SIZES)
    in_place = {"dc_next": " (for example `dc_next += ...`; start a new array for the cell's "
                        "whole gradient)", "dh_t": " (for example `dh_t *= ...`)"}
    return _check_without_the_package("check_lstm_step_backward", fn, cases, _step_backward,
                                      expect, wrong, symptoms, in_place=in_place)
