"""The seed page's "silly" network, reproduced exactly (names, shapes, draws and outputs)."""
import numpy as np
import pytest

from lamassu_course.classroom.silly import SEED_OUTPUTS, VanillaRecurrentNetwork

# The first row printed on the seed page, typed here again so that a typo in SEED_OUTPUTS
# cannot pass unnoticed.
FIRST_PRINTED_ROW = [-1.73665315, -2.40366542, -2.72344361]


@pytest.fixture
def seeded():
    """np.random.seed(0) as on the seed page; the global generator's state is put back after."""
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)


def test_three_forward_props_reproduce_the_seed_page(seeded):
    net = VanillaRecurrentNetwork()
    outputs = [net.forward_prop(np.ones((3, 3))) for _ in range(3)]
    for i, (got, want) in enumerate(zip(outputs, SEED_OUTPUTS)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-8,
                                   err_msg=f"call {i + 1} of forward_prop(np.ones((3, 3)))")
    np.testing.assert_allclose(outputs[0][0], FIRST_PRINTED_ROW, rtol=0, atol=1e-8,
                               err_msg="first printed row of the seed page")
    np.testing.assert_array_equal(SEED_OUTPUTS[0, 0], FIRST_PRINTED_ROW,
                                  err_msg="SEED_OUTPUTS[0, 0] vs the row typed in this test")
    assert SEED_OUTPUTS.shape == (3, 3, 3), f"SEED_OUTPUTS.shape {SEED_OUTPUTS.shape}"


def test_attributes_and_shapes(seeded):
    net = VanillaRecurrentNetwork()
    shapes = {"W_hh": (3, 3), "W_xh": (3, 3), "W_hy": (3, 3), "Bh": (3,), "By": (3,),
              "hidden_state": (3, 3)}
    for name, shape in shapes.items():
        assert hasattr(net, name), f"VanillaRecurrentNetwork has no attribute {name!r}"
        assert np.shape(getattr(net, name)) == shape, (
            f"{name}.shape: got {np.shape(getattr(net, name))}, expected {shape}")
    np.testing.assert_array_equal(net.hidden_state, np.zeros((3, 3)), err_msg="initial hidden state")


def test_draws_from_the_global_generator_in_the_seed_order(seeded):
    """W_hh, W_xh, W_hy and Bh from randn, then By from rand (uniform), in that order."""
    net = VanillaRecurrentNetwork()
    np.random.seed(0)
    expected = {"W_hh": np.random.randn(3, 3), "W_xh": np.random.randn(3, 3),
                "W_hy": np.random.randn(3, 3), "Bh": np.random.randn(3), "By": np.random.rand(3)}
    for name, want in expected.items():
        np.testing.assert_array_equal(getattr(net, name), want, err_msg=f"{name} after np.random.seed(0)")


def test_forward_prop_is_the_seed_formula(seeded):
    """h <- tanh(h @ W_hh + x @ W_xh + Bh) (rows), y = W_hy . h + By (columns), as written."""
    net = VanillaRecurrentNetwork()
    x = np.random.default_rng(0).standard_normal((3, 3))
    h = np.zeros((3, 3))
    for step in range(2):
        h = np.tanh(h @ net.W_hh + x @ net.W_xh + net.Bh)
        y = net.W_hy @ h + net.By
        np.testing.assert_allclose(net.forward_prop(x), y, rtol=1e-14, atol=1e-14,
                                   err_msg=f"forward_prop, call {step + 1}")
        np.testing.assert_allclose(net.hidden_state, h, rtol=1e-14, atol=1e-14,
                                   err_msg=f"hidden_state after call {step + 1}")


# -- Chapter 2's measurements on the seed's class and on random networks ------------------------

from lamassu_course.classroom.silly import (  # noqa: E402
    SETTLED_BELOW, classify_run, seed_forward_outcome, settling_census)


@pytest.mark.parametrize("B, D, H, K", [(3, 3, 3, 3), (3, 7, 3, 3), (4, 2, 4, 4), (2, 3, 3, 3),
                                        (3, 3, 5, 3), (5, 3, 5, 3), (3, 3, 3, 2), (4, 3, 4, 1)])
def test_seed_code_runs_only_when_batch_hidden_and_output_sizes_agree(B, D, H, K):
    state = np.random.get_state()
    outcome = seed_forward_outcome(B, D, H, K, np.random.default_rng(0))
    runs = B == H and K in (H, 1)
    assert outcome.startswith("runs") == runs, (B, D, H, K, outcome)
    if runs:
        assert outcome == f"runs, y {(K, H)}", outcome
    else:
        assert outcome.startswith("ValueError: "), outcome
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:], (
        "seed_forward_outcome moved NumPy's global generator")


def test_seed_forward_outcome_rejects_a_bad_size():
    with pytest.raises(ValueError, match=r"H=0; expected a positive int"):
        seed_forward_outcome(3, 3, 0, 3, np.random.default_rng(0))


def test_classify_run_on_runs_whose_answer_is_known():
    t = np.arange(200)[:, None]
    settling = 0.5 + 0.8 ** t * np.array([1.0, -1.0])          # change 0.2 * 0.8**(t-1)
    kind, step = classify_run(settling)
    first = int(np.flatnonzero(0.2 * 0.8 ** np.arange(200) < SETTLED_BELOW)[0]) + 1
    assert kind == "settled" and abs(step - first) <= 1, (kind, step, first)
    assert classify_run(np.zeros((5, 2))) == ("settled", 1)
    two_cycle = np.where(t % 2 == 0, 0.5, -0.5) * np.ones((1, 3))
    assert classify_run(two_cycle) == ("period 2", None)
    three_cycle = np.array([0.1, 0.5, -0.4])[t % 3] * np.ones((1, 3))
    assert classify_run(three_cycle) == ("other", None)
    with pytest.raises(ValueError, match=r"hs has shape \(2, 3\)"):
        classify_run(np.zeros((2, 3)))


def test_settling_census_sorts_the_grid_networks():
    census = settling_census(1.0, [0, 1], steps=600)
    assert census[0] == ("period 2", None), census       # Chapter 2's grid, middle panel
    assert census[1][0] == "settled" and census[1][1] < 100, census
