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
