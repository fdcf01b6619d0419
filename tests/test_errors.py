"""Every bad input gives a clear error, and a refused call changes nothing.

Each case names the call, the exception type and the message (matched literally), so a
message that stops saying what is wrong fails here.
"""
import re

import numpy as np
import pytest

from lamassu_course import (SGD, Adagrad, CharVocab, VanillaRNN, check_gradients,
                            clip_by_global_norm, clip_by_value, hidden_step,
                            mean_squared_error, numerical_gradient, one_hot, relative_error,
                            sample, softmax_cross_entropy, spectral_radius, tbptt_windows,
                            train_step, with_spectral_radius)

T, B, D, H, K = 6, 3, 4, 5, 2


def _rnn(**options):
    return VanillaRNN(D, H, K, seed=0, **options)


def _data():
    rng = np.random.default_rng(0)
    rnn = _rnn()
    xs = rng.standard_normal((T, B, D))
    ys, hs = rnn.forward(xs)
    return rnn, xs, hs, np.ones_like(ys)


def _with(array, index, value):
    out = np.array(array, dtype=float)
    out[index] = value
    return out


def _grads(rnn, **changes):
    grads = {name: np.ones_like(p) for name, p in rnn.params.items()}
    grads.update(changes)
    return {name: g for name, g in grads.items() if g is not None}


def _raises(exception, message, call):
    with pytest.raises(exception, match=re.escape(message)):
        call()


# --- the network ---------------------------------------------------------------------------

RNN_CASES = {
    "xs 2-D": (ValueError, "xs has shape (5, 3); expected (T, B, D) with D=4",
               lambda rnn, xs, hs, dys: VanillaRNN(4, 5, 2).forward(np.zeros((5, 3)))),
    "xs wrong D": (ValueError, "xs has shape (6, 3, 5); expected (T, B, D) with D=4",
                   lambda rnn, xs, hs, dys: rnn.forward(np.zeros((6, 3, 5)))),
    "xs 4-D": (ValueError, "xs has shape (6, 3, 4, 1); expected (T, B, D) with D=4",
               lambda rnn, xs, hs, dys: rnn.forward(np.zeros((6, 3, 4, 1)))),
    "h0 wrong H": (ValueError, "h0 has shape (3, 4); expected (B, H) with B=3, H=5",
                   lambda rnn, xs, hs, dys: rnn.forward(xs, np.zeros((3, 4)))),
    "h0 wrong B": (ValueError, "h0 has shape (1, 5); expected (B, H) with B=3, H=5",
                   lambda rnn, xs, hs, dys: rnn.forward(xs, np.zeros((1, 5)))),
    "h0 1-D": (ValueError, "h0 has shape (5,); expected (B, H) with B=3, H=5",
               lambda rnn, xs, hs, dys: rnn.forward(xs, np.zeros(5))),
    "dys wrong K": (ValueError, "dys has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
                    lambda rnn, xs, hs, dys: rnn.backward(xs, hs, np.zeros((6, 3, 3)))),
    "dys wrong T": (ValueError, "dys has shape (5, 3, 2); expected (T, B, K) with T=6, B=3, K=2",
                    lambda rnn, xs, hs, dys: rnn.backward(xs, hs, dys[1:])),
    "hs without h0": (ValueError,
                      "hs has shape (6, 3, 5); expected (T+1, B, H) with T+1=7, B=3, H=5",
                      lambda rnn, xs, hs, dys: rnn.backward(xs, hs[1:], dys)),
    "hs of another batch": (ValueError,
                            "hs has shape (7, 3, 5); expected (T+1, B, H) with T+1=7, B=2, H=5",
                            lambda rnn, xs, hs, dys: rnn.backward(xs[:, :2], hs, dys[:, :2])),
    "xs wrong D in backward": (ValueError, "xs has shape (6, 3, 3); expected (T, B, D) with D=4",
                               lambda rnn, xs, hs, dys: rnn.backward(xs[..., :3], hs, dys)),
    "dh_last wrong B": (ValueError, "dh_last has shape (2, 5); expected (B, H) with B=3, H=5",
                        lambda rnn, xs, hs, dys: rnn.backward(xs, hs, dys, np.zeros((2, 5)))),
    "dh_last 3-D": (ValueError, "dh_last has shape (1, 3, 5); expected (B, H) with B=3, H=5",
                    lambda rnn, xs, hs, dys: rnn.backward(xs, hs, dys, np.zeros((1, 3, 5)))),
    "NaN in xs": (ValueError, "xs contains 1 NaN or infinite value(s); expected finite numbers",
                  lambda rnn, xs, hs, dys: rnn.forward(_with(xs, (2, 1, 0), np.nan))),
    "inf in xs": (ValueError, "xs contains 2 NaN or infinite value(s); expected finite numbers",
                  lambda rnn, xs, hs, dys: rnn.forward(
                      _with(_with(xs, (0, 0, 0), np.inf), (1, 0, 0), -np.inf))),
    "inf in h0": (ValueError, "h0 contains 1 NaN or infinite value(s); expected finite numbers",
                  lambda rnn, xs, hs, dys: rnn.forward(xs, _with(np.zeros((3, 5)), (0, 0), np.inf))),
    "NaN in dys": (ValueError, "dys contains 1 NaN or infinite value(s); expected finite numbers",
                   lambda rnn, xs, hs, dys: rnn.backward(xs, hs, _with(dys, (0, 0, 0), np.nan))),
    "NaN in dh_last": (ValueError,
                       "dh_last contains 1 NaN or infinite value(s); expected finite numbers",
                       lambda rnn, xs, hs, dys: rnn.backward(
                           xs, hs, dys, _with(np.zeros((3, 5)), (1, 1), np.nan))),
    "string xs": (TypeError,
                  "xs has dtype <U1; expected a real numeric array (float, int or bool)",
                  lambda rnn, xs, hs, dys: rnn.forward(np.full((6, 3, 4), "a"))),
    "object xs": (TypeError,
                  "xs has dtype object; expected a real numeric array (float, int or bool)",
                  lambda rnn, xs, hs, dys: rnn.forward(xs.astype(object))),
    "complex xs": (TypeError,
                   "xs has dtype complex128; expected a real numeric array (float, int or bool)",
                   lambda rnn, xs, hs, dys: rnn.forward(xs + 0j)),
    "string h0": (TypeError, "h0 has dtype <U1; expected a real numeric array",
                  lambda rnn, xs, hs, dys: rnn.forward(xs, np.full((3, 5), "0"))),
    "complex dys": (TypeError, "dys has dtype complex128; expected a real numeric array",
                    lambda rnn, xs, hs, dys: rnn.backward(xs, hs, dys + 0j)),
}


@pytest.mark.parametrize("case", list(RNN_CASES))
def test_rnn_forward_backward_refuse_bad_inputs(case):
    exception, message, call = RNN_CASES[case]
    rnn, xs, hs, dys = _data()
    _raises(exception, message, lambda: call(rnn, xs, hs, dys))


CONSTRUCTOR_CASES = {
    "input_size 0": (ValueError, "input_size is 0; expected a positive integer",
                     lambda: VanillaRNN(0, 5, 2)),
    "hidden_size negative": (ValueError, "hidden_size is -1; expected a positive integer",
                             lambda: VanillaRNN(4, -1, 2)),
    "output_size float": (ValueError, "output_size is 2.0; expected a positive integer",
                          lambda: VanillaRNN(4, 5, 2.0)),
    "input_size bool": (ValueError, "input_size is True; expected a positive integer",
                        lambda: VanillaRNN(True, 5, 2)),
    "hidden softmax": (ValueError,
                       "unknown hidden_activation 'softmax'; expected one of "
                       "'identity', 'relu', 'sigmoid', 'tanh'",
                       lambda: _rnn(hidden_activation="softmax")),
    "hidden misspelt": (ValueError, "unknown hidden_activation 'Tanh'; expected one of",
                        lambda: _rnn(hidden_activation="Tanh")),
    "output unknown": (ValueError,
                       "unknown output_activation 'gelu'; expected one of "
                       "'identity', 'relu', 'sigmoid', 'softmax', 'tanh'",
                       lambda: _rnn(output_activation="gelu")),
    "output not a string": (ValueError, "unknown output_activation None; expected one of",
                            lambda: _rnn(output_activation=None)),
    "recurrent_init": (ValueError,
                       "unknown recurrent_init 'xavier'; expected one of "
                       "'identity', 'orthogonal', 'scaled_normal'",
                       lambda: _rnn(recurrent_init="xavier")),
    "spectral_radius negative": (ValueError, "rho is -1; expected a finite number >= 0",
                                 lambda: _rnn(spectral_radius=-1)),
    "spectral_radius inf": (ValueError, "rho is inf; expected a finite number >= 0",
                            lambda: _rnn(spectral_radius=float("inf"))),
    "integer dtype": (TypeError, "dtype is int32; expected a float dtype",
                      lambda: _rnn(dtype=np.int32)),
}


@pytest.mark.parametrize("case", list(CONSTRUCTOR_CASES))
def test_constructor_refuses_bad_arguments(case):
    exception, message, call = CONSTRUCTOR_CASES[case]
    _raises(exception, message, call)


def test_layers_refuse_unknown_activation():
    _raises(ValueError, "unknown hidden activation 'softmax'; expected one of",
            lambda: hidden_step(np.zeros((1, 2)), np.zeros((1, 3)), np.zeros((3, 2)),
                                np.zeros((3, 3)), np.zeros(3), activation="softmax"))


def test_spectral_radius_refusals():
    _raises(ValueError, "W has shape (2, 3); expected a square matrix (H, H)",
            lambda: spectral_radius(np.ones((2, 3))))
    _raises(ValueError, "W has spectral radius 0 (e.g. all zeros); it cannot be rescaled",
            lambda: with_spectral_radius(np.zeros((3, 3)), 1.0))
    _raises(ValueError, "rho is nan; expected a finite number >= 0",
            lambda: with_spectral_radius(np.eye(2), float("nan")))


@pytest.mark.parametrize("case", ["xs", "h0", "nan"])
def test_refused_forward_changes_nothing(case):
    rnn, xs, hs, dys = _data()
    params = {name: p.copy() for name, p in rnn.params.items()}
    xs_before = xs.copy()
    bad = {"xs": lambda: rnn.forward(xs[..., :3]),
           "h0": lambda: rnn.forward(xs, np.zeros((3, 4))),
           "nan": lambda: rnn.forward(_with(xs, (0, 0, 0), np.nan))}[case]
    with pytest.raises(ValueError):
        bad()
    for name, p in params.items():
        np.testing.assert_array_equal(rnn.params[name], p, err_msg=f"{name} changed by a refused forward")
    np.testing.assert_array_equal(xs, xs_before, err_msg="xs changed by a refused forward")


# --- losses --------------------------------------------------------------------------------

LOGITS = np.zeros((2, 3, 4))     # (T, B, V)
TARGETS = np.zeros((2, 3), dtype=np.int64)

LOSS_CASES = {
    "targets transposed": (ValueError, "targets has shape (3, 2); expected (T, B) with T=2, B=3",
                           lambda: softmax_cross_entropy(LOGITS, TARGETS.T)),
    "targets one-hot": (ValueError,
                        "targets has shape (2, 3, 4); expected (T, B) with T=2, B=3",
                        lambda: softmax_cross_entropy(LOGITS, np.zeros((2, 3, 4), dtype=int))),
    "targets 2-D form": (ValueError, "targets has shape (2,); expected (B,) with B=3",
                         lambda: softmax_cross_entropy(np.zeros((3, 4)), np.zeros(2, dtype=int))),
    "targets float": (TypeError, "targets has dtype float64; expected integer class indices",
                      lambda: softmax_cross_entropy(LOGITS, TARGETS.astype(float))),
    "targets bool": (TypeError, "targets has dtype bool; expected integer class indices",
                     lambda: softmax_cross_entropy(LOGITS, TARGETS.astype(bool))),
    "targets too large": (ValueError,
                          "targets holds values in [0, 4]; expected class indices in [0, 3] (V=4)",
                          lambda: softmax_cross_entropy(LOGITS, _with(TARGETS, (1, 2), 4)
                                                        .astype(int))),
    "targets negative": (ValueError,
                         "targets holds values in [-1, 0]; expected class indices in [0, 3] (V=4)",
                         lambda: softmax_cross_entropy(LOGITS, _with(TARGETS, (0, 0), -1)
                                                       .astype(int))),
    "logits 1-D": (ValueError, "logits has shape (4,); expected (T, B, V) or (B, V)",
                   lambda: softmax_cross_entropy(np.zeros(4), np.zeros((), dtype=int))),
    "NaN logits": (ValueError, "logits contains 1 NaN or infinite value(s)",
                   lambda: softmax_cross_entropy(_with(LOGITS, (0, 0, 0), np.nan), TARGETS)),
    "mask value 2": (ValueError,
                     "mask holds values other than 0 and 1; expected a 0/1 (or bool) array",
                     lambda: softmax_cross_entropy(LOGITS, TARGETS, _with(np.ones((2, 3)), (0, 0), 2))),
    "mask value 0.5": (ValueError, "mask holds values other than 0 and 1",
                       lambda: softmax_cross_entropy(LOGITS, TARGETS, np.full((2, 3), 0.5))),
    "mask shape": (ValueError, "mask has shape (3,); expected (T, B) with T=2, B=3",
                   lambda: softmax_cross_entropy(LOGITS, TARGETS, np.ones(3))),
    "mask NaN": (ValueError, "mask contains 1 NaN or infinite value(s)",
                 lambda: softmax_cross_entropy(LOGITS, TARGETS, _with(np.ones((2, 3)), (0, 0), np.nan))),
    "mse targets shape": (ValueError,
                          "targets has shape (2, 3, 3); expected (T, B, K) with T=2, B=3, K=2",
                          lambda: mean_squared_error(np.zeros((2, 3, 2)), np.zeros((2, 3, 3)))),
    "mse 2-D targets shape": (ValueError, "targets has shape (3,); expected (B, K) with B=3, K=2",
                              lambda: mean_squared_error(np.zeros((3, 2)), np.zeros(3))),
    "mse preds 1-D": (ValueError, "preds has shape (3,); expected (T, B, K) or (B, K)",
                      lambda: mean_squared_error(np.zeros(3), np.zeros(3))),
    "mse targets strings": (TypeError, "targets has dtype <U1; expected a real numeric array",
                            lambda: mean_squared_error(np.zeros((3, 2)), np.full((3, 2), "1"))),
    "mse mask value": (ValueError, "mask holds values other than 0 and 1",
                       lambda: mean_squared_error(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)),
                                                  np.full((2, 3), -1))),
    "mse mask shape": (ValueError, "mask has shape (2, 3, 2); expected (T, B) with T=2, B=3",
                       lambda: mean_squared_error(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)),
                                                  np.ones((2, 3, 2)))),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_losses_refuse_bad_inputs(case):
    exception, message, call = LOSS_CASES[case]
    _raises(exception, message, call)


# --- optimisers and clipping ---------------------------------------------------------------

OPTIM_CASES = {
    "SGD lr 0": (ValueError, "lr is 0; expected a finite number > 0",
                 lambda p: SGD(p, lr=0)),
    "SGD lr negative": (ValueError, "lr is -0.1; expected a finite number > 0",
                        lambda p: SGD(p, lr=-0.1)),
    "SGD lr nan": (ValueError, "lr is nan; expected a finite number > 0",
                   lambda p: SGD(p, lr=float("nan"))),
    "SGD lr string": (ValueError, "lr is '0.1'; expected a finite number > 0",
                      lambda p: SGD(p, lr="0.1")),
    "SGD momentum 1": (ValueError, "momentum is 1.0; expected a number in [0, 1)",
                       lambda p: SGD(p, momentum=1.0)),
    "SGD momentum negative": (ValueError, "momentum is -0.5; expected a number in [0, 1)",
                              lambda p: SGD(p, momentum=-0.5)),
    "Adagrad lr 0": (ValueError, "lr is 0.0; expected a finite number > 0",
                     lambda p: Adagrad(p, lr=0.0)),
    "Adagrad eps 0": (ValueError, "eps is 0; expected a finite number > 0",
                      lambda p: Adagrad(p, eps=0)),
    "clip_by_value 0": (ValueError, "clip is 0; expected a finite number > 0",
                        lambda p: clip_by_value(p, 0)),
    "clip_by_value negative": (ValueError, "clip is -5.0; expected a finite number > 0",
                               lambda p: clip_by_value(p, -5.0)),
    "clip_by_global_norm 0": (ValueError, "max_norm is 0; expected a finite number > 0",
                              lambda p: clip_by_global_norm(p, 0)),
    "clip_by_global_norm inf": (ValueError, "max_norm is inf; expected a finite number > 0",
                                lambda p: clip_by_global_norm(p, float("inf"))),
}


@pytest.mark.parametrize("case", list(OPTIM_CASES))
def test_optimisers_and_clipping_refuse_bad_settings(case):
    exception, message, call = OPTIM_CASES[case]
    _raises(exception, message, lambda: call(_rnn().params))


def _bad_grads(rnn, case):
    p = rnn.params
    return {
        "missing key": (ValueError,
                        "grads has no entry for ['b_y']; expected one for every parameter",
                        _grads(rnn, b_y=None)),
        "missing keys": (ValueError,
                         "grads has no entry for ['W_hh', 'b_h']; expected one for every parameter",
                         _grads(rnn, W_hh=None, b_h=None)),
        "transposed": (ValueError,
                       "grads['W_hx'] has shape (4, 5); expected (5, 4) like params['W_hx']",
                       _grads(rnn, W_hx=np.ones_like(p["W_hx"]).T)),
        "broadcastable": (ValueError, "grads['b_h'] has shape (1, 5); expected (5,) like params['b_h']",
                          _grads(rnn, b_h=np.ones((1, 5)))),
        "scalar": (ValueError, "grads['b_y'] has shape (); expected (2,) like params['b_y']",
                   _grads(rnn, b_y=1.0)),
        "NaN": (ValueError, "grads['W_yh'] contains NaN or inf; expected finite numbers",
                _grads(rnn, W_yh=_with(np.ones_like(p["W_yh"]), (0, 0), np.nan))),
        "inf last": (ValueError, "grads['b_y'] contains NaN or inf; expected finite numbers",
                     _grads(rnn, b_y=np.array([1.0, np.inf]))),
        "complex last": (TypeError, "grads['b_y'] has dtype complex128; expected a real numeric array",
                         _grads(rnn, b_y=np.ones(2) + 0j)),
        "strings last": (TypeError, "grads['b_y'] has dtype <U1; expected a real numeric array",
                         _grads(rnn, b_y=np.array(["1", "2"]))),
    }[case]


GRAD_CASES = ["missing key", "missing keys", "transposed", "broadcastable", "scalar", "NaN",
              "inf last", "complex last", "strings last"]


@pytest.mark.parametrize("optimizer", ["SGD", "SGD momentum", "Adagrad"])
@pytest.mark.parametrize("case", GRAD_CASES)
def test_refused_step_changes_nothing(optimizer, case):
    rnn = _rnn()
    opt = {"SGD": lambda: SGD(rnn.params, lr=0.1),
           "SGD momentum": lambda: SGD(rnn.params, lr=0.1, momentum=0.9),
           "Adagrad": lambda: Adagrad(rnn.params, lr=0.1)}[optimizer]()
    opt.step(_grads(rnn))  # one good step first, so the optimiser's state is not all zeros
    params = {name: p.copy() for name, p in rnn.params.items()}
    state = getattr(opt, "velocity", None) or opt.memory
    state_before = {name: s.copy() for name, s in state.items()}
    exception, message, grads = _bad_grads(rnn, case)
    _raises(exception, message, lambda: opt.step(grads))
    for name, p in params.items():
        np.testing.assert_array_equal(rnn.params[name], p,
                                      err_msg=f"{optimizer}: params[{name!r}] changed by a refused step ({case})")
        np.testing.assert_array_equal(state[name], state_before[name],
                                      err_msg=f"{optimizer}: state of {name!r} changed by a refused step ({case})")


def test_train_step_refuses_two_kinds_of_clipping():
    rnn, xs, hs, dys = _data()
    params = {name: p.copy() for name, p in rnn.params.items()}
    _raises(ValueError, "give clip_norm or clip_value, not both",
            lambda: train_step(rnn, xs, np.zeros((T, B, K)), mean_squared_error,
                               SGD(rnn.params), clip_norm=1.0, clip_value=1.0))
    _raises(ValueError, "targets has shape (6, 3, 3); expected (T, B, K) with T=6, B=3, K=2",
            lambda: train_step(rnn, xs, np.zeros((T, B, 3)), mean_squared_error, SGD(rnn.params)))
    for name, p in params.items():
        np.testing.assert_array_equal(rnn.params[name], p, err_msg=f"{name} changed by a refused train_step")


# --- gradcheck -----------------------------------------------------------------------------

def test_gradcheck_refusals():
    _raises(TypeError, "x must be a float64 NumPy array",
            lambda: numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32)))
    _raises(TypeError, "x must be a float64 NumPy array",
            lambda: numerical_gradient(lambda: 0.0, [0.0, 1.0]))
    _raises(ValueError, "x must be contiguous so it can be perturbed in place",
            lambda: numerical_gradient(lambda: 0.0, np.zeros((3, 4)).T))
    _raises(ValueError, "a has shape (3,) but b has shape (3, 1); expected equal shapes",
            lambda: relative_error(np.zeros(3), np.zeros((3, 1))))
    _raises(ValueError, "analytic has no gradient for ['b']; expected one for every array",
            lambda: check_gradients(lambda: 0.0, {"a": np.zeros(2), "b": np.zeros(2)},
                                    {"a": np.zeros(2)}))


# --- data and sampling ---------------------------------------------------------------------

def test_vocabulary_refusals():
    vocab = CharVocab("abc")
    _raises(ValueError, "text holds characters ['y', 'z'] that are not in the vocabulary",
            lambda: vocab.encode("abzcy"))
    _raises(ValueError, "text holds characters ['A'] that are not in the vocabulary",
            lambda: vocab.encode("Abc"))
    _raises(ValueError, "text must be a non-empty string", lambda: CharVocab(""))
    _raises(ValueError, "text must be a non-empty string", lambda: CharVocab(["a", "b"]))
    _raises(ValueError, "ids holds values in [0, 3]; expected indices in [0, 2] (V=3)",
            lambda: vocab.decode([0, 3]))
    _raises(TypeError, "ids has dtype float64; expected integer indices",
            lambda: vocab.decode(np.array([0.0, 1.0])))
    _raises(ValueError, "V is 0; expected a positive integer vocabulary size",
            lambda: one_hot([0], 0))
    _raises(ValueError, "ids holds values in [-1, 1]; expected indices in [0, 2] (V=3)",
            lambda: one_hot([1, -1], 3))


TBPTT_CASES = {
    "one entry": ("ids has 1 entries; need at least batch_size + 1 = 2 for one input and its target",
                  lambda: tbptt_windows(np.array([0]), 5)),
    "empty": ("ids has 0 entries; need at least batch_size + 1 = 2",
              lambda: tbptt_windows(np.array([], dtype=np.int64), 5)),
    "too short for the batch": ("ids has 4 entries; need at least batch_size + 1 = 5",
                                lambda: tbptt_windows(np.arange(4), 2, batch_size=4)),
    "window 0": ("window is 0; expected a positive integer",
                 lambda: tbptt_windows(np.arange(10), 0)),
    "batch_size 0": ("batch_size is 0; expected a positive integer",
                     lambda: tbptt_windows(np.arange(10), 3, batch_size=0)),
    "2-D ids": ("ids has shape (2, 2) and dtype int64; expected a 1-D array of integer indices",
                lambda: tbptt_windows(np.zeros((2, 2), dtype=np.int64), 3)),
    "float ids": ("ids has shape (4,) and dtype float64; expected a 1-D array of integer indices",
                  lambda: tbptt_windows(np.zeros(4), 3)),
}


@pytest.mark.parametrize("case", list(TBPTT_CASES))
def test_tbptt_windows_refuses_bad_input_when_called(case):
    """The error comes at the call itself, not later at the first window of a loop."""
    message, call = TBPTT_CASES[case]
    _raises(ValueError, message, call)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf")])
def test_sample_refuses_bad_temperature(temperature):
    vocab = CharVocab("abc")
    rnn = VanillaRNN(3, 4, 3, seed=0)
    _raises(ValueError, f"temperature is {temperature!r}; expected a finite number > 0",
            lambda: sample(rnn, vocab, "a", 5, temperature=temperature))


def test_sample_refuses_other_bad_arguments():
    vocab = CharVocab("abc")
    rnn = VanillaRNN(3, 4, 3, seed=0)
    _raises(ValueError, "length is -1; expected an integer >= 0",
            lambda: sample(rnn, vocab, "a", -1))
    _raises(ValueError, "length is 2.5; expected an integer >= 0",
            lambda: sample(rnn, vocab, "a", 2.5))
    _raises(ValueError, "prime must hold at least one character to start from",
            lambda: sample(rnn, vocab, "", 5))
    _raises(ValueError, "text holds characters ['z'] that are not in the vocabulary",
            lambda: sample(rnn, vocab, "az", 5))
    _raises(ValueError, "the network has D=4 inputs and K=3 outputs; "
                        "expected both equal to the vocabulary size V=3",
            lambda: sample(VanillaRNN(4, 4, 3, seed=0), vocab, "a", 5))
    _raises(ValueError, "sample needs output_activation='identity' (the outputs are logits)",
            lambda: sample(VanillaRNN(3, 4, 3, output_activation="softmax"), vocab, "a", 5))
