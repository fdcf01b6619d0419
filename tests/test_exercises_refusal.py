"""An answer that only calls the package's own implementation of the exercise is refused,
however it reaches it; the course's own solutions, and the package functions an exercise says
to use, are not.

The solutions are read from the notebooks' solution cells, so a check that refused one of them
would fail here before the notebooks' committed outputs do.
"""
import ast
import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import lamassu_course as lc
from lamassu_course import layers
from lamassu_course.activations import ACTIVATIONS
from lamassu_course.classroom import exercises
from lamassu_course.classroom.applications import note_frequency
from lamassu_course.experiments.bptt import truncated_gradients
from lamassu_course.experiments.seq2seq import last_step_cross_entropy
from lamassu_course.gated import gru_step

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _one_step_backward(dh, x, hp, h, W_hx, W_hh):
    return lc.hidden_step_backward(dh, lc.hidden_step(x, hp, W_hx, W_hh, np.zeros(len(W_hh)))[1])


def _backward_over_one_step(dh, x, hp, h, W_hx, W_hh):
    dxs, dh0, dW_hx, dW_hh, db_h = layers.hidden_backward(dh[None], x[None], np.stack([hp, h]),
                                                          W_hx, W_hh)
    return dxs[0], dh0, dW_hx, dW_hh, db_h


def _two_steps_backward(x_1, x_2, h_0, W_hx, W_hh, b_h, W_yh):
    xs = np.stack([x_1, x_2])[:, None]
    hs = lc.hidden_forward(xs, h_0[None], W_hx, W_hh, b_h)
    return lc.hidden_backward(np.ones((2, 1, len(W_yh))) @ W_yh, xs, hs, W_hx, W_hh)[3]


def _rnn_with(W_hx, W_hh, b_h, W_yh=None, b_y=None):
    rnn = lc.VanillaRNN(W_hx.shape[1], len(W_hh), 1 if W_yh is None else len(W_yh))
    rnn.params.update(W_hx=W_hx, W_hh=W_hh, b_h=b_h)
    if W_yh is not None:
        rnn.params.update(W_yh=W_yh, b_y=b_y)
    return rnn


def _clip_by_hand_with_global_norm(grads, max_norm):
    norm = lc.global_norm(grads)
    return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}, norm


def _seed_states_then_output_forward(xs, h0, W_hh, W_xh, W_hy, Bh, By):
    """The states by hand, the outputs by the package's output_forward."""
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ W_hh + x @ W_xh + Bh))
    return lc.output_forward(np.stack(hs[1:]), W_hy, By), hs[-1]


def _step_with_a_default(x, h, W_hx, W_hh, b, step=layers.hidden_step):
    """The reference kept in a default argument: no import at the call to catch."""
    return step(x, h, W_hx, W_hh, b)[0]


def _step_through_importlib(x, h, W_hx, W_hh, b):
    return importlib.import_module("lamassu_course.layers").hidden_step(x, h, W_hx, W_hh, b)[0]


# (check, an answer that wraps the package's reference, the name the refusal must give)
WRAPPERS = [
    (exercises.check_rnn_step, lambda x, h, W_hx, W_hh, b: lc.hidden_step(x, h, W_hx, W_hh, b)[0],
     "hidden_step"),
    (exercises.check_rnn_step, _step_with_a_default, "hidden_step"),
    (exercises.check_rnn_step, _step_through_importlib, "hidden_step"),
    (exercises.check_rnn_step, lambda x, h, W_hx, W_hh, b: lc.hidden_forward(
        x[None], h, W_hx, W_hh, b)[1], "hidden_forward"),
    (exercises.check_rnn_step, lambda x, h, W_hx, W_hh, b: _rnn_with(W_hx, W_hh, b).forward(
        x[None], h)[1][1], "VanillaRNN.forward"),
    (exercises.check_rnn_forward, lambda *a: lc.hidden_forward(*a), "hidden_forward"),
    (exercises.check_rnn_forward, lambda xs, h0, W_hx, W_hh, b: _rnn_with(W_hx, W_hh, b).forward(
        xs, h0)[1], "VanillaRNN.forward"),
    (exercises.check_count_parameters,
     lambda D, H, K: lc.VanillaRNN(D, H, K).num_parameters(), "VanillaRNN"),
    (exercises.check_output_probabilities, lambda h, W, b: lc.softmax(h @ W.T + b), "softmax"),
    (exercises.check_output_probabilities, lambda h, W, b: ACTIVATIONS["softmax"](h @ W.T + b),
     "softmax"),
    (exercises.check_output_probabilities, lambda h, W, b: lc.output_step(h, W, b, "softmax")[0],
     "output_step"),
    (exercises.check_tanh_derivative, lambda a: ACTIVATIONS["tanh"].derivative(a),
     'ACTIVATIONS["tanh"].derivative'),
    (exercises.check_tanh_derivative, lambda a: ACTIVATIONS["tanh"].backward(np.tanh(a), 1.0),
     'ACTIVATIONS["tanh"].backward'),
    (exercises.check_seed_forward, lambda xs, h0, W_hh, W_xh, W_hy, Bh, By: (
        lambda hs: (hs[1:] @ W_hy.T + By, hs[-1]))(lc.hidden_forward(xs, h0, W_xh.T, W_hh.T, Bh)),
     "hidden_forward"),
    (exercises.check_seed_forward, _seed_states_then_output_forward, "output_forward"),
    (exercises.check_step_backward, _one_step_backward, "hidden_step_backward"),
    (exercises.check_step_backward, _backward_over_one_step, "hidden_backward"),
    (exercises.check_dW_hh_two_steps, _two_steps_backward, "hidden_backward"),
    (exercises.check_clip_by_global_norm, lambda g, m: lc.clip_by_global_norm(g, m),
     "clip_by_global_norm"),
    (exercises.check_clip_by_global_norm, _clip_by_hand_with_global_norm, "global_norm"),
    (exercises.check_truncated_dW_hh, lambda r, x, t, k: truncated_gradients(r, x, t, k)[1]["W_hh"],
     "truncated_gradients"),
    (exercises.check_decay_rate, lambda W: np.log(lc.spectral_radius(W)), "spectral_radius"),
    (exercises.check_gate, lambda x, h, W, U, b: lc.hidden_step(x, h, W, U, b, "sigmoid")[0],
     "hidden_step"),
    (exercises.check_gru_step, lambda x, h, p: gru_step(x, h, p), "gru_step"),
    (exercises.check_one_step_mlp, lambda x, W_hx, b_h, W_yh, b_y: _rnn_with(
        W_hx, np.zeros((len(W_hx),) * 2), b_h, W_yh, b_y).forward(x[None])[0][0], "VanillaRNN"),
    (exercises.check_note_frequency, lambda m: note_frequency(m, base=0), "note_frequency"),
    (exercises.check_last_step_gradient, lambda ys, l, n: last_step_cross_entropy(ys, l, n)[1],
     "last_step_cross_entropy"),
]


@pytest.mark.parametrize("check, answer, called", WRAPPERS,
                         ids=[f"{c.__name__}-{n}" for c, _, n in WRAPPERS])
def test_wrapping_the_reference_is_refused(check, answer, called, capsys):
    assert check(answer) is False
    out = capsys.readouterr().out
    assert out == (f"✗ {check.__name__}: your function calls lamassu_course's {called}, the "
                   f"reference this exercise asks you to write: " + out.split(": ", 3)[-1]), out
    assert out.count("✗") == 1 and "yourself" in out, out


def test_a_refusal_leaves_no_profile_function_behind():
    def profiler(frame, event, arg):      # stands for a profiler that was running before
        return None

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        exercises.check_rnn_step(lambda x, h, W_hx, W_hh, b: lc.hidden_step(x, h, W_hx, W_hh, b)[0])
        exercises.check_rnn_step(lambda *a: 1 / 0)
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(previous)


def test_package_functions_the_exercise_asks_for_are_accepted(checks):
    """3.4 asks for rnn.forward, softmax_cross_entropy and rnn.backward (which call the
    package's hidden_forward and hidden_backward); 3.5 allows truncated_gradients."""
    def truncated(rnn, xs, targets, k):
        dW_hh, h = 0.0, None
        for s in range(0, len(xs), k):
            ys, hs = rnn.forward(xs[s:s + k], h)
            dys = lc.softmax_cross_entropy(ys, targets[s:s + k])[1]
            dW_hh, h = dW_hh + rnn.backward(xs[s:s + k], hs, dys)["W_hh"], hs[-1]
        return dW_hh
    checks.passes(exercises.check_truncated_dW_hh, truncated, 4)


# ---------------------------------------------------------------- the notebooks' own solutions
def _solutions():
    """(notebook, check name, answer name, namespace) for every check cell of a notebook
    whose answer a solution cell defines; the namespace holds the notebook's imports and the
    solution cells' definitions (only: no cell is run)."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        imports, definitions, calls = [], [], []
        for cell in cells:
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:                      # a cell with IPython magics
                continue
            for node in tree.body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    imports.append(node)
                elif (isinstance(node, ast.FunctionDef)
                      and "solution" in cell.get("metadata", {}).get("tags", [])):
                    definitions.append(node)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id.startswith("check_") and len(node.args) == 1
                        and isinstance(node.args[0], ast.Name)):
                    calls.append((node.func.id, node.args[0].id))
        defined = {node.name for node in definitions}
        module = ast.Module(body=imports + definitions, type_ignores=[])
        for check, answer in calls:
            if answer in defined:
                found.append((path.stem, check, answer, module))
    return found


SOLUTIONS = _solutions()


def test_solutions_are_found():
    names = {check for _, check, _, _ in SOLUTIONS}
    for check in ("check_rnn_step", "check_step_backward", "check_dW_hh_two_steps",
                  "check_clip_by_global_norm", "check_truncated_dW_hh", "check_choose_k"):
        assert check in names, sorted(names)


@pytest.mark.parametrize("notebook, check, answer, module", SOLUTIONS,
                         ids=[f"{n}-{c}" for n, c, _, _ in SOLUTIONS])
def test_the_notebooks_solutions_pass(notebook, check, answer, module, capsys):
    namespace = {}
    exec(compile(module, f"<{notebook} solutions>", "exec"), namespace)
    assert getattr(exercises, check)(namespace[answer]) is True, capsys.readouterr().out
    assert capsys.readouterr().out.startswith(f"✓ {check}: ")
