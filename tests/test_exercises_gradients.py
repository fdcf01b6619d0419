"""Chapter 4's checks pass the right answer and name each typical wrong answer.

Answers are written the way a student would write them, with NumPy only.
"""
import numpy as np
import pytest

from lamassu_course.classroom import exercises
from lamassu_course.classroom.exercises import (check_decay_rate, check_gate, check_gru_step,
                                                check_transient_growth,
                                                check_vanishing_despite_large_sigma)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def rho(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def gate(x, h, W, U, b, g=sigmoid):
    return g(x @ W.T + h @ U.T + b)


def gru(x, h, p, swap=False, reset_after=False, no_reset=False, candidate=False, g=sigmoid,
        update_from_reset=False):
    u = "r" if update_from_reset else "u"
    update = g(x @ p[f"W_{u}x"].T + h @ p[f"W_{u}h"].T + p[f"b_{u}"])
    reset = 1.0 if no_reset else g(x @ p["W_rx"].T + h @ p["W_rh"].T + p["b_r"])
    recurrent = reset * (h @ p["W_hh"].T) if reset_after else (reset * h) @ p["W_hh"].T
    c = np.tanh(x @ p["W_hx"].T + recurrent + p["b_h"])
    if candidate:
        return c
    return (1 - update) * c + update * h if swap else update * c + (1 - update) * h


RIGHT = [
    (check_decay_rate, lambda W: np.log(rho(W)), 5),
    (check_decay_rate, lambda W: float(np.log(np.abs(np.linalg.eigvals(W))).max()), 5),
    (check_gate, gate, 5),
    (check_gru_step, gru, 5),
]

WRONG = [
    (check_decay_rate, rho, "you returned rho itself"),
    (check_decay_rate, lambda W: np.log(np.linalg.norm(W, 2)), "you used the largest singular value"),
    (check_decay_rate, lambda W: np.log10(rho(W)), "you used log10"),
    (check_decay_rate, lambda W: -np.log(rho(W)), "wrong sign"),
    (check_decay_rate, lambda W: np.log(np.max(np.abs(np.linalg.eigvals(W).real))),
     "you used the real parts of the eigenvalues"),
    (check_decay_rate, lambda W: np.log(np.linalg.eigvals(W)[np.argmax(np.abs(np.linalg.eigvals(W)))]),
     "you returned a complex number"),
    (check_decay_rate, lambda W: np.log(np.linalg.eigvals(W)[np.argmax(np.abs(np.linalg.eigvals(W)))].real),
     "you returned NaN"),
    (check_gate, lambda *args: gate(*args, g=np.tanh), "you used tanh"),
    (check_gate, lambda *args: gate(*args, g=lambda a: a), "no sigmoid"),
    (check_gate, lambda x, h, W, U, b: gate(x, h, W, U, 0 * b), "the bias b is missing"),
    (check_gate, lambda x, h, W, U, b: gate(x, h, W, U.T, b), "looks like U is transposed"),
    (check_gate, lambda x, h, W, U, b: sigmoid(x @ W + h @ U.T + b), "looks like W is transposed"),
    (check_gate, lambda x, h, W, U, b: sigmoid(x @ W.T + b), "h_prev is ignored"),
    (check_gate, lambda *args: 1 - gate(*args), "you returned 1 - Gamma"),
    (check_gru_step, lambda *args: gru(*args, swap=True), "Gamma_u and 1 - Gamma_u are swapped"),
    (check_gru_step, lambda *args: gru(*args, reset_after=True), "PyTorch's variant"),
    (check_gru_step, lambda *args: gru(*args, no_reset=True), "the reset gate is missing"),
    (check_gru_step, lambda *args: gru(*args, candidate=True), "you returned the candidate"),
    (check_gru_step, lambda *args: gru(*args, g=np.tanh), "the gates use tanh"),
    (check_gru_step, lambda *args: gru(*args, update_from_reset=True),
     "the update gate uses the reset gate's weights"),
]

FUNCTION_CHECKS = [check_decay_rate, check_gate, check_gru_step]


@pytest.mark.parametrize("check, answer, n_cases", RIGHT, ids=lambda v: getattr(v, "__name__", None))
def test_right_answer_passes(check, answer, n_cases, checks):
    checks.passes(check, answer, n_cases)


@pytest.mark.parametrize("check, answer, hint", WRONG, ids=[f"{c.__name__}-{h[:25]}" for c, _, h in WRONG])
def test_typical_wrong_answer_gets_its_hint(check, answer, hint, checks):
    checks.rejects(check, answer, hint)


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_stub_is_not_written_yet(check, checks):
    checks.not_written(check)


def test_gru_step_params_cannot_be_changed_by_the_answer(capsys):
    def in_place(x, h, p):
        p["W_ux"][:] = 0
        return gru(x, h, p)
    assert check_gru_step(in_place) is False
    out = capsys.readouterr().out
    assert "read-only" in out and "params={W_ux (5, 4)" in out


def test_wrong_shape_is_reported():
    assert check_gate(lambda *args: gate(*args).T) is False
    assert check_gru_step(lambda *args: gru(*args)[:1]) is False


# ---------------------------------------------------------------- the matrix exercise
def nonnormal(H=8, sigma=1.1):
    """A strictly upper-triangular matrix: rho = 0, sigma_max = sigma."""
    W = np.triu(np.random.default_rng(0).standard_normal((H, H)), 1)
    return W * (sigma / np.linalg.norm(W, 2))


@pytest.mark.parametrize("W, why", [
    (3.0 * np.eye(6), "rho >= 1: a linear network's gradient would not vanish"),
    (nonnormal(), "rho < 1: it vanishes even in a linear network"),
    ([[0.0, 5.0], [0.0, 0.0]], "none of the gradient reaches h_0"),
], ids=["saturating", "non-normal", "nilpotent list"])
def test_matrix_that_vanishes_passes(W, why, capsys):
    assert check_vanishing_despite_large_sigma(W) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ check_vanishing_despite_large_sigma: sigma_max = ")
    assert why in out


@pytest.mark.parametrize("W, hint", [
    (None, "not written yet"),
    (0.9 * np.eye(4), "sigma_max(W_hh) = 0.9 <= 1"),
    (1.1 * np.eye(4), "but after 100 steps up to"),
    (np.ones((3, 4)), "W_hh has shape (3, 4); expected a square matrix (H, H)"),
    (np.eye(3) * 1j, "W_hh is complex"),
    (np.full((2, 2), np.nan), "W_hh holds NaN"),
    (np.array([["a", "b"], ["c", "d"]]), "W_hh has dtype <U1"),
    (lambda H: np.eye(H), "not a function"),
], ids=["None", "small sigma", "keeps the gradient", "not square", "complex", "nan", "strings",
        "function"])
def test_matrix_mistakes_get_their_hint(W, hint, capsys):
    assert check_vanishing_despite_large_sigma(W) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ check_vanishing_despite_large_sigma: ")
    assert hint in out, out


# ---------------------------------------------------------------- the harder version
@pytest.mark.parametrize("W", [
    [[0.0, 5.0], [0.0, 0.0]],
    nonnormal(sigma=3.0),
    [[0.5, 4.0], [0.0, 0.5]],
], ids=["nilpotent list", "upper triangular", "jordan-like rho 0.5"])
def test_growing_then_vanishing_matrix_passes(W, capsys):
    assert check_transient_growth(W) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ check_transient_growth: sigma_max = ")
    assert "in the linear network" in out


@pytest.mark.parametrize("W, hint", [
    (3.0 * np.eye(8), "rho = 3 >= 1, so in the linear network this gradient never vanishes"),
    (np.diag([0.5, 2.0]), "rho = 2 >= 1"),
    (0.5 * np.eye(4), "W_hh is normal (W W^T = W^T W), so ||W^k|| = rho^k"),
    (np.array([[0.6, 0.8], [-0.8, 0.6]]) * 0.9, "W_hh is normal"),
    ([[0.9, 0.3], [0.0, 0.9]], "the gradient grows by at most"),
    ([[0.99, 3.0], [0.0, 0.99]], "rho = 0.99 < 1, but after 100 steps"),
    (None, "not written yet"),
    (np.ones((2, 3)), "W_hh has shape (2, 3)"),
    (lambda H: np.eye(H), "not a function"),
], ids=["3I, the easy answer", "normal, rho > 1", "normal, shrinking", "rotation", "weak coupling",
        "too slow", "None", "not square", "function"])
def test_transient_growth_rejects_the_easy_and_wrong_answers(W, hint, capsys):
    assert check_transient_growth(W) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ check_transient_growth: ") and hint in out, out


def test_the_easy_answer_passes_the_first_check_but_not_the_harder_one(capsys):
    assert check_vanishing_despite_large_sigma(3.0 * np.eye(8)) is True
    assert check_transient_growth(3.0 * np.eye(8)) is False
    assert "the slopes of tanh did it, the first reason" in capsys.readouterr().out


def test_checks_are_exported():
    for check in FUNCTION_CHECKS + [check_vanishing_despite_large_sigma, check_transient_growth]:
        assert check.__name__ in exercises.__all__


def test_gate_in_the_math_column_layout_gets_its_hint(capsys):
    """W @ x_t raises on the first case (B differs from D); on the square cases it runs."""
    assert check_gate(lambda x, h, W, U, b: sigmoid(W @ x + U @ h + b)) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ check_gate: you wrote the math's column layout"), out
    assert "(your function raised ValueError: matmul" in out
