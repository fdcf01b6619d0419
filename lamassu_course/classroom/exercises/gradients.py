"""Checks for Chapter 4, vanishing and exploding gradients, and the gates that fix them."""
import numpy as np

from ...activations import sigmoid
from ...gated import GRU, gru_step
from ...experiments.gradients import decay_rate, gradient_decay, real_dominant_matrix, rescaled
from ...init import orthogonal, scaled_normal, spectral_radius
from ...layers import hidden_forward, hidden_step
from ._runner import fail as _fail, make_cases as _cases, run_check as _run

__all__ = ["check_decay_rate", "check_vanishing_despite_large_sigma", "check_transient_growth",
           "check_gate", "check_gru_step"]


# ---------------------------------------------------------------- the decay rate
def _rotation_scaling(rng, H, rho):
    """A matrix whose dominant eigenvalues are the complex pair rho e^{+-i 0.7}."""
    W = 0.5 * rho * orthogonal(rng, H)
    W[:2, :2] = rho * np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    W[:2, 2:] = 0.0
    return W


def _decay_cases():
    rng = np.random.default_rng(400)
    cases = []
    for H, rho, sign in [(6, 0.8, 1), (5, 1.3, -1), (8, 0.5, 1), (4, 1.1, -1)]:
        W = rescaled(real_dominant_matrix(rng, H), rho)
        eigenvalues = np.linalg.eigvals(W)
        if np.sign(eigenvalues[np.argmax(np.abs(eigenvalues))].real) != sign:
            W = -W                               # a negative dominant eigenvalue in some cases
        cases.append(dict(W_hh=W))
    cases.append(dict(W_hh=_rotation_scaling(rng, 5, 0.9)))
    return cases


def _log_rho(W_hh):
    return float(np.log(spectral_radius(W_hh)))


def check_decay_rate(fn):
    """Check ``fn(W_hh) -> float``: the rate, per step and in nats, at which log ||dL_T/dh_t||
    changes with T - t in the linear network h_t = W_hh h_{t-1} + W_hx x_t + b_h, for large
    T - t, from W_hh alone. Some of the matrices have a negative or a complex dominant
    eigenvalue. An answer that calls the package's spectral_radius (or decay_rate) is
    refused: the exercise asks for NumPy only."""
    wrong = [
        (lambda c: spectral_radius(c["W_hh"]),
         "you returned rho itself: the gradient is multiplied by rho per step, so its log "
         "changes by log rho per step"),
        (lambda c: float(np.log(np.linalg.norm(c["W_hh"], 2))),
         "you used the largest singular value: log sigma_max is an upper bound on the rate, "
         "the rate itself is log rho (the largest |eigenvalue|)"),
        (lambda c: float(np.log10(spectral_radius(c["W_hh"]))),
         "you used log10: the rate is in nats, use the natural log np.log"),
        (lambda c: -_log_rho(c["W_hh"]),
         "wrong sign: a gradient that shrinks (rho < 1) has a negative rate"),
        (lambda c: float(np.log(np.max(np.abs(np.linalg.eigvals(c["W_hh"]).real)))),
         "you used the real parts of the eigenvalues: a complex eigenvalue rotates as it "
         "scales, use its modulus np.abs(lambda)"),
    ]
    symptoms = [(lambda rate, c: np.iscomplexobj(rate),
                 "you returned a complex number: the rate uses the modulus |lambda|, a real number"),
                (lambda rate, c: np.isnan(rate),
                 "you returned NaN: the log of a negative eigenvalue? use the modulus |lambda|")]
    return _run("check_decay_rate", fn, _decay_cases(), _log_rho, "", wrong, symptoms,
                forbidden=(spectral_radius, decay_rate),
                own="write it yourself, with NumPy (np.linalg)")


# ---------------------------------------------------------------- sigma_max > 1, still vanishing
STEPS, INPUT_SCALE, BATCH, VANISHED = 100, 0.1, 16, 1e-3


def check_vanishing_despite_large_sigma(W_hh):
    """Check a matrix ``W_hh`` (H, H) with sigma_max(W_hh) > 1 whose gradient still vanishes.

    The check runs h_t = tanh(W_hh h_{t-1} + x_t) for T = 100 steps from h_0 = 0, with inputs
    x_t ~ N(0, 0.1^2 I), on 16 sequences (``gradients.gradient_decay``), and passes when every
    sequence's ||dL_T/dh_0|| is below 1e-3 ||dL_T/dh_T||.
    """
    name = "check_vanishing_despite_large_sigma"
    W, problem = _as_matrix("W_hh", W_hh)
    if problem:
        return _fail(name, problem)
    sigma, rho = float(np.linalg.norm(W, 2)), spectral_radius(W)
    if sigma <= 1:
        return _fail(name, f"sigma_max(W_hh) = {sigma:.3g} <= 1: then ||dh_T/dh_t|| <= "
                           "sigma_max^(T-t) and the gradient must vanish; find one with "
                           "sigma_max > 1")
    norms = gradient_decay(W, STEPS, "tanh", INPUT_SCALE, batch_size=BATCH, seed=0)
    kept = float(np.max(norms[-1] / norms[0]))
    if not kept < VANISHED:
        return _fail(name, f"sigma_max = {sigma:.3g} and rho = {rho:.3g}, but after {STEPS} "
                           f"steps up to {kept:.3g} of the gradient is left (needs < {VANISHED:g}): "
                           "try rho < 1 with sigma_max > 1 (a non-normal matrix), or strong "
                           "self-connections that saturate tanh")
    why = ("rho < 1: it vanishes even in a linear network" if rho < 1 else
           "rho >= 1: a linear network's gradient would not vanish;\n    "
           "the slopes of tanh (below 1) made it vanish")
    left = "none" if kept == 0 else f"at most {kept:.2g}"
    print(f"✓ {name}: sigma_max = {sigma:.3g}, rho = {rho:.3g}\n"
          f"   {left} of the gradient reaches h_0 after {STEPS} steps\n   ({why})")
    return True


def _as_matrix(name, W_hh):
    """W_hh as a float square matrix, or a message saying what is wrong with it."""
    if W_hh is None:
        return None, "not written yet: set your answer to a matrix (H, H) in place of None"
    if callable(W_hh):
        return None, "expected a matrix (a 2-D array), not a function: pass the matrix itself"
    try:
        W = np.asarray(W_hh)
    except Exception as error:  # a ragged list, say
        return None, f"could not make an array of it: {error}"
    if W.dtype.kind == "c":
        return None, "W_hh is complex; expected a real matrix"
    if W.dtype.kind not in "biuf":
        return None, f"W_hh has dtype {W.dtype}; expected a real matrix of numbers"
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        return None, f"W_hh has shape {W.shape}; expected a square matrix (H, H)"
    W = W.astype(float)
    if not np.all(np.isfinite(W)):
        return None, "W_hh holds NaN or infinite values"
    return W, None


GROWTH, GONE = 2.0, 1e-3


def check_transient_growth(W_hh):
    """Check the harder version: a matrix ``W_hh`` whose gradient, in the *linear* network
    h_t = W_hh h_{t-1} + x_t, first grows and then vanishes. The check computes
    ||(W_hh^T)^k||, the most that k steps back can multiply a gradient by, and passes when it
    exceeds 2 for some k and is below 1e-3 at k = 100. This needs rho < 1 < sigma_max, which
    only a non-normal matrix has (for a normal one, ||W^k|| = rho^k)."""
    name = "check_transient_growth"
    W, problem = _as_matrix("W_hh", W_hh)
    if problem:
        return _fail(name, problem)
    sigma, rho = float(np.linalg.norm(W, 2)), spectral_radius(W)
    norms, power = [1.0], np.eye(len(W))
    for _ in range(STEPS):
        power = power @ W.T
        norms.append(float(np.linalg.norm(power, 2)))
    peak = int(np.argmax(norms))
    if not norms[-1] < GONE:
        why = (f"rho = {rho:.3g} >= 1, so in the linear network this gradient never "
               "vanishes (where it vanishes under tanh, as with 3 I, the slopes of tanh "
               "did it, the first reason); here it must vanish without tanh"
               if rho >= 1 else
               f"rho = {rho:.3g} < 1, but after {STEPS} steps the gradient can still be "
               f"{norms[-1]:.3g} times its size (needs < {GONE:g}): decay this slow needs "
               "rho further below 1")
        return _fail(name, why)
    if not norms[peak] > GROWTH:
        normal = np.allclose(W @ W.T, W.T @ W, atol=1e-12 * max(1.0, sigma ** 2))
        why = (f"W_hh is normal (W W^T = W^T W), so ||W^k|| = rho^k = {rho:.3g}^k only "
               "shrinks: the growth needs a non-normal matrix (say, upper triangular)"
               if normal else
               f"the gradient grows by at most {norms[peak]:.3g} times (needs > {GROWTH:g}): "
               "make the off-diagonal coupling stronger, so that sigma_max is larger")
        return _fail(name, why)
    print(f"✓ {name}: sigma_max = {sigma:.3g}, rho = {rho:.3g}\n"
          f"   the gradient grows up to {norms[peak]:.3g} times at k = {peak} steps back,\n"
          f"   then falls below {GONE:g} by k = {STEPS}, in the linear network")
    return True


# ---------------------------------------------------------------- the gate and the GRU step
def _gate_case(rng, B, D, H):
    return dict(x_t=rng.standard_normal((B, D)), h_prev=np.tanh(rng.standard_normal((B, H))),
                W=scaled_normal(rng, H, D, 2.0), U=scaled_normal(rng, H, H, 2.0),
                b=rng.standard_normal(H))


def _gate(x_t, h_prev, W, U, b, activation="sigmoid"):
    # A gate is the recurrence's step with sigma for g1: Gamma = sigma(W x_t + U h_{t-1} + b).
    return hidden_step(x_t, h_prev, W, U, b, activation)[0]


def _column_gate(c):
    """The math's sigma(W x_t + U h_{t-1} + b) copied as it stands (it runs only when B = D = H)."""
    return sigmoid(c["W"] @ c["x_t"] + c["U"] @ c["h_prev"] + c["b"])


def check_gate(fn):
    """Check ``fn(x_t, h_prev, W, U, b) -> Gamma`` of shape (B, H): the seed page's gate
    Gamma = sigma(W x_t + U h_{t-1} + b) with rows as the batch: x_t (B, D), h_prev (B, H),
    W (H, D), U (H, H), b (H,). An answer that calls the package's hidden_step is refused."""
    wrong = [
        (lambda c: _gate(**c, activation="tanh"), "you used tanh: a gate uses the sigmoid, so "
                                                  "every entry is between 0 and 1"),
        (lambda c: _gate(**c, activation="identity"), "no sigmoid: you returned the pre-activation"),
        (lambda c: _gate(**c | {"b": 0 * c["b"]}), "the bias b is missing"),
        (lambda c: _gate(**c | {"U": c["U"].T}),
         "looks like U is transposed: in the row layout the term is h_prev @ U.T"),
        (lambda c: _gate(**c | {"W": c["W"].T}),
         "looks like W is transposed: W is (H, D), so the term is x_t @ W.T"),
        (lambda c: _gate(**c | {"h_prev": 0 * c["h_prev"]}), "h_prev is ignored: add h_prev @ U.T"),
        (lambda c: 1 - _gate(**c), "you returned 1 - Gamma"),
        (_column_gate, "you wrote the math's column layout, W @ x_t + U @ h_prev: here x_t "
                       "(B, D) and h_prev (B, H) hold one example per row, so the math's W v "
                       "becomes v @ W.T: write x_t @ W.T + h_prev @ U.T"),
    ]
    cases = _cases(_gate_case, [(3, 4, 4), (2, 5, 3), (4, 3, 6), (1, 2, 2), (5, 6, 4)])
    square = _cases(_gate_case, [(4, 4, 4), (3, 3, 3)])     # B = D = H: the column layout runs
    return _run("check_gate", fn, cases, _gate, "(B, H)", wrong, probes=square,
                forbidden=(hidden_step, hidden_forward),
                own="write the gate yourself, with NumPy")


class _Params(dict):
    """The GRU's parameters for a check: read-only, and short when printed in a hint."""

    def __repr__(self):
        return "{" + ", ".join(f"{k} {v.shape}" for k, v in self.items()) + "}"

    def _read_only(self, *args, **kwargs):
        raise TypeError("params is read-only in this check: compute new arrays instead")

    __setitem__ = __delitem__ = update = pop = _read_only


def _gru_case(rng, B, D, H):
    params = GRU(D, H, 2, seed=int(rng.integers(1 << 30)), update_bias=0.0).params
    for name in params:                               # larger weights and non-zero biases,
        params[name] = 1.5 * params[name] + (0.5 * rng.standard_normal(params[name].shape)
                                             if name.startswith("b") else 0.0)
        params[name].flags.writeable = False          # so a missing term shows in the values
    return dict(x_t=rng.standard_normal((B, D)), h_prev=np.tanh(rng.standard_normal((B, H))),
                params=_Params(params))


def _variant(x_t, h_prev, p, swap=False, reset_after=False, no_reset=False, candidate=False,
             gate=sigmoid, update_from_reset=False):
    """The GRU step with one typical mistake switched on."""
    u_name = "r" if update_from_reset else "u"
    update = gate(x_t @ p[f"W_{u_name}x"].T + h_prev @ p[f"W_{u_name}h"].T + p[f"b_{u_name}"])
    reset = 1.0 if no_reset else gate(x_t @ p["W_rx"].T + h_prev @ p["W_rh"].T + p["b_r"])
    recurrent = reset * (h_prev @ p["W_hh"].T) if reset_after else (reset * h_prev) @ p["W_hh"].T
    c = np.tanh(x_t @ p["W_hx"].T + recurrent + p["b_h"])
    if candidate:
        return c
    return (1 - update) * c + update * h_prev if swap else update * c + (1 - update) * h_prev


def check_gru_step(fn):
    """Check ``fn(x_t, h_prev, params) -> h_t`` of shape (B, H): one GRU step,
    Gamma_u = sigma(W_ux x_t + W_uh h_{t-1} + b_u), Gamma_r = sigma(W_rx x_t + W_rh h_{t-1} + b_r),
    h~_t = tanh(W_hx x_t + W_hh (Gamma_r * h_{t-1}) + b_h), h_t = Gamma_u * h~_t + (1 - Gamma_u) * h_{t-1},
    with rows as the batch; ``params`` maps the names of ``GRU_PARAM_NAMES`` to arrays.
    An answer that calls the package's gru_step (or GRU) is refused."""
    def case(variant):
        return lambda c: _variant(c["x_t"], c["h_prev"], c["params"], **variant)
    wrong = [
        (case(dict(swap=True)), "Gamma_u and 1 - Gamma_u are swapped: this course writes "
                                "h_t = Gamma_u * h~_t + (1 - Gamma_u) * h_{t-1} (Cho et al.'s z "
                                "is 1 - Gamma_u)"),
        (case(dict(reset_after=True)), "the reset gate multiplies h_prev @ W_hh.T (PyTorch's "
                                       "variant); here it multiplies h_{t-1} before W_hh: "
                                       "(Gamma_r * h_prev) @ W_hh.T"),
        (case(dict(no_reset=True)), "the reset gate is missing from the candidate"),
        (case(dict(candidate=True)), "you returned the candidate h~_t: mix it with h_{t-1} "
                                     "through Gamma_u"),
        (case(dict(gate=np.tanh)), "the gates use tanh: gates use the sigmoid, between 0 and 1"),
        (case(dict(update_from_reset=True)), "the update gate uses the reset gate's weights "
                                             "(W_rx, W_rh, b_r): use W_ux, W_uh, b_u"),
    ]
    cases = _cases(_gru_case, [(3, 4, 5), (2, 5, 3), (4, 3, 3), (1, 2, 6), (5, 6, 4)])
    return _run("check_gru_step", fn, cases, gru_step, "(B, H)", wrong,
                forbidden=(gru_step, GRU), own="write the step yourself, with your gate")
