"""Checks for Chapter 2, the silly network."""
import numpy as np

from ...init import scaled_normal, spectral_radius
from ...layers import output_step
from ._runner import make_cases as _cases, run_check as _run, same as _same
from .formulation import _step

__all__ = ["check_row_forward", "check_fixed_point", "check_contraction_rate"]


# ---------------------------------------------------------------- Chapter 2: the seed's network
def _row_case(rng, B, D, H, K):
    return dict(h_prev=np.tanh(rng.standard_normal((B, H))), x=rng.standard_normal((B, D)),
                W_hh=scaled_normal(rng, H, H).T, W_xh=scaled_normal(rng, H, D).T,
                W_hy=scaled_normal(rng, K, H), Bh=rng.standard_normal(H), By=rng.standard_normal(K))


def _row_forward(h_prev, x, W_hh, W_xh, W_hy, Bh, By):
    # The seed multiplies W_hh and W_xh from the right, (in, out): the package's weights
    # transposed. It applies W_hy from the left, (out, in) = (K, H): the package's W_yh.
    h = _step(x, h_prev, W_xh.T, W_hh.T, Bh)
    return h, output_step(h, W_hy, By)[0]


def check_row_forward(fn):
    """Check ``fn(h_prev, x, W_hh, W_xh, W_hy, Bh, By) -> (h, y)``, the seed's network with rows as
    the batch: h = tanh(h_prev @ W_hh + x @ W_xh + Bh), y = h @ W_hy.T + By.
    The seed's shapes: W_hh (H, H) and W_xh (D, H), multiplied from the right; W_hy (K, H),
    which the seed applies from the left (W_hy.dot(h)); Bh (H,), By (K,); h (B, H), y (B, K)."""
    new_h = lambda c: _row_forward(**c)[0]  # noqa: E731
    wrong = [
        (lambda c: (new_h(c), c["W_hy"].dot(new_h(c)) + c["By"]),
         "this is the seed's bug: W_hy.dot(h) mixes the rows of the batch; write h @ W_hy.T + By"),
        (lambda c: (new_h(c), new_h(c) @ c["W_hy"] + c["By"]),
         "W_hy is (K, H): with rows as the batch the output is h @ W_hy.T + By"),
        (lambda c: (new_h(c), new_h(c) @ c["W_hy"].T), "the output bias By is missing"),
        (lambda c: (new_h(c), c["h_prev"] @ c["W_hy"].T + c["By"]),
         "y is computed from h_prev: compute the new h first, then y from it"),
        (lambda c: _row_forward(**c | {"W_hh": c["W_hh"].T}),
         "W_hh is transposed: the seed multiplies from the right, h_prev @ W_hh"),
        (lambda c: _row_forward(**c | {"W_xh": c["W_xh"].T}),
         "W_xh is transposed: the seed multiplies from the right, x @ W_xh"),
        (lambda c: _row_forward(**c | {"Bh": 0 * c["Bh"]}), "the hidden bias Bh is missing"),
        (lambda c: _row_forward(**c)[::-1], "h and y are swapped: return (h, y), in that order"),
    ]
    symptoms = [(lambda out, c: _same(out[0], c["h_prev"]),
                 "h is not updated: you returned h_prev; return the new h = tanh(...)")]
    cases = _cases(_row_case, [(3, 3, 3, 3), (2, 4, 5, 3), (4, 3, 2, 5), (5, 2, 5, 5), (1, 2, 3, 4)])
    return _run("check_row_forward", fn, cases, _row_forward, {"h": "(B, H)", "y": "(B, K)"},
                wrong, symptoms)


# ---------------------------------------------------------------- fixed points and contraction
def _fixed_point_case(rng, H, D):
    W_hh = scaled_normal(rng, H, H)
    W_hh *= rng.uniform(0.5, 0.9) / np.linalg.norm(W_hh, 2)  # a contraction: ||W_hh||_2 < 1
    return dict(W_hh=W_hh, W_hx=scaled_normal(rng, H, D, 2.0), b_h=0.5 * rng.standard_normal(H),
                x=rng.standard_normal(D))


def _map(h, W_hh, W_hx, b_h, x):
    """h -> tanh(W_hh h + W_hx x + b_h) on 1-D vectors: one package step with a batch of one row."""
    return _step(x[None], h[None], W_hx, W_hh, b_h)[0]


def _fixed_point(W_hh, W_hx, b_h, x):
    h = np.zeros(len(W_hh))
    for _ in range(10_000):
        h, h_old = _map(h, W_hh, W_hx, b_h, x), h
        if np.max(np.abs(h - h_old)) < 1e-15:
            break
    return h


def _residual(h, c):
    return np.linalg.norm(h - _map(h, **c))


_FIXED_POINT_CASES = [(4, 3), (5, 2), (3, 3), (6, 4), (2, 5)]


def check_fixed_point(fn):
    """Check ``fn(W_hh, W_hx, b_h, x, tol=1e-10) -> h_star`` of shape (H,), with 1-D vectors:
    iterate h <- tanh(W_hh @ h + W_hx @ x + b_h) from zeros until the change is below tol.
    Passes when the residual ||h_star - tanh(W_hh h_star + W_hx x + b_h)|| is below 1e-8."""
    wrong = [
        (lambda c: _map(np.zeros(len(c["W_hh"])), **c),
         "one step only: you returned tanh(W_hx @ x + b_h); repeat the step until h stops changing"),
        (lambda c: _fixed_point(**c | {"W_hh": c["W_hh"].T}),
         "looks like W_hh is transposed: with column vectors the recurrent term is W_hh @ h"),
    ]
    symptoms = [(lambda h, c: 1e-8 <= _residual(h, c) < 1e-3,
                 "stopped too early: keep iterating until the change is below tol (1e-10)")]
    judge = lambda h, c: (None if _residual(h, c) < 1e-8 else  # noqa: E731
                          f"not a fixed point: the residual ||h - tanh(W_hh h + W_hx x + b_h)|| is "
                          f"{_residual(h, c):.3g}; expected below 1e-8")
    cases = _cases(_fixed_point_case, _FIXED_POINT_CASES)
    return _run("check_fixed_point", fn, cases, _fixed_point, "(H,)", wrong, symptoms, judge)


def _jacobian(W_hh, h_star):
    return np.diag(1 - h_star ** 2) @ W_hh


def check_contraction_rate(fn):
    """Check ``fn(W_hh, h_star) -> float``: the spectral radius (the largest absolute eigenvalue) of the
    Jacobian J = diag(1 - h_star**2) @ W_hh of the map h -> tanh(W_hh h + W_hx x + b_h) at h_star."""
    wrong = [
        (lambda c: spectral_radius(c["W_hh"]),
         "you returned rho(W_hh): the Jacobian is diag(1 - h_star**2) @ W_hh (tanh' scales each row)"),
        (lambda c: spectral_radius(np.diag(c["h_star"] ** 2) @ c["W_hh"]),
         "you used diag(h_star**2): tanh'(a) = 1 - tanh(a)**2, so the diagonal is 1 - h_star**2"),
        (lambda c: spectral_radius(np.diag(1 - c["h_star"]) @ c["W_hh"]),
         "you used diag(1 - h_star): the square is missing, the diagonal is 1 - h_star**2"),
        (lambda c: np.linalg.norm(_jacobian(**c), 2),
         "you returned the largest singular value (the 2-norm); the spectral radius is max |eigenvalue|"),
        (lambda c: _jacobian(**c), "you returned the Jacobian matrix; return its spectral radius, a number"),
    ]
    symptoms = [(lambda rate, c: np.iscomplexobj(rate),
                 "you returned a complex eigenvalue: the spectral radius is the largest |eigenvalue| (np.abs)")]
    cases = [dict(W_hh=c["W_hh"], h_star=_fixed_point(**c))
             for c in _cases(_fixed_point_case, _FIXED_POINT_CASES)]
    return _run("check_contraction_rate", fn, cases,
                lambda W_hh, h_star: spectral_radius(_jacobian(W_hh, h_star)), "", wrong, symptoms)
