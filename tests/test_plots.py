"""The course's figure style and its drawings of the network (headless, Agg backend)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lamassu_course.plots import PALETTE, draw_rnn_cell, draw_unrolled, use_course_style  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_draw_rnn_cell(ax):
    assert draw_rnn_cell(ax) is ax
    texts = _texts(ax)
    for label in ("$x_t$", "$h_t$", "$y_t$", "$W_{hx}$", "$W_{yh}$"):
        assert label in texts, f"{label} not drawn; texts: {texts}"
    assert any("$W_{hh}$" in t for t in texts), f"W_hh loop label missing; texts: {texts}"
    assert len(ax.patches) >= 6, f"{len(ax.patches)} patches; expected 3 nodes and 3 arrows"
    assert not ax.axison, "axes should be hidden"
    ax.figure.canvas.draw()  # renders (mathtext included) without error


@pytest.mark.parametrize("steps", [1, 3, 6])
def test_draw_unrolled_draws_every_step(ax, steps):
    assert draw_unrolled(ax, steps=steps) is ax
    texts = _texts(ax)
    for kind in ("h", "x", "y"):
        got = sorted(t for t in texts if t.startswith(f"${kind}_{{"))
        want = sorted(f"${kind}_{{{t}}}$" for t in range(1, steps + 1))
        assert got == want, f"{kind}-nodes for steps={steps}: got {got}, expected {want}"
    assert texts.count("$h_0$") == 1, f"h_0 not drawn once; texts: {texts}"
    # h_0 plus, per step, h, x and y nodes and three arrows
    assert len(ax.patches) == 1 + 6 * steps, (
        f"{len(ax.patches)} patches for steps={steps}; expected {1 + 6 * steps}")
    ax.figure.canvas.draw()


def test_draw_unrolled_three_steps_labels(ax):
    draw_unrolled(ax, steps=3)
    h_nodes = [t for t in _texts(ax) if t.startswith("$h_{")]
    assert h_nodes == ["$h_{1}$", "$h_{2}$", "$h_{3}$"], f"h-nodes: {h_nodes}"


def test_inputs_and_outputs_choose_the_steps(ax):
    draw_unrolled(ax, steps=3, inputs={1}, outputs=[3])
    texts = _texts(ax)
    xs = [t for t in texts if t.startswith("$x_")]
    ys = [t for t in texts if t.startswith("$y_")]
    assert xs == ["$x_{1}$"], f"inputs={{1}}: x-nodes {xs}"
    assert ys == ["$y_{3}$"], f"outputs=[3]: y-nodes {ys}"
    assert len(ax.patches) == 1 + 3 * 2 + 2 + 2, f"{len(ax.patches)} patches"


def test_no_inputs_and_losses_and_gradients(ax):
    draw_unrolled(ax, steps=2, inputs=[], losses=True, title="one to many")
    texts = _texts(ax)
    assert not [t for t in texts if t.startswith("$x_")], f"inputs=[] drew {texts}"
    losses = [t for t in texts if "mathcal{L}" in t]
    assert losses == [r"$\mathcal{L}_{1}$", r"$\mathcal{L}_{2}$"], f"loss labels {losses}"
    assert ax.get_title() == "one to many"
    fig, plain_ax = plt.subplots()
    try:
        draw_unrolled(plain_ax, steps=2)
        _, grad_ax = plt.subplots()
        draw_unrolled(grad_ax, steps=2, gradients=True)
        # dashed backward arrows: one through W_hh and one from each output, per step
        assert len(grad_ax.patches) == len(plain_ax.patches) + 4, (
            f"gradients=True: {len(grad_ax.patches)} patches vs {len(plain_ax.patches)} without")
        dashed = [p for p in grad_ax.patches if p.get_linestyle() not in ("-", "solid")]
        assert len(dashed) == 4, f"{len(dashed)} dashed arrows; expected 4"
    finally:
        plt.close("all")


@pytest.mark.parametrize("steps", [0, -2, 2.5, True, "3"])
def test_bad_steps_are_refused(ax, steps):
    with pytest.raises(ValueError, match=f"steps is {steps!r}; expected a positive integer"):
        draw_unrolled(ax, steps=steps)


@pytest.mark.parametrize("name,chosen,outside", [("inputs", {0}, [0]), ("inputs", [1, 4, 5], [4, 5]),
                                                 ("outputs", {-1, 2}, [-1])])
def test_steps_outside_the_range_are_refused(ax, name, chosen, outside):
    message = f"{name} names steps {outside}; expected steps in 1..3"
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        draw_unrolled(ax, steps=3, **{name: chosen})


def test_use_course_style_sets_a_colour_cycle():
    with matplotlib.rc_context():
        use_course_style()
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[:3] == [PALETTE["input"], PALETTE["hidden"], PALETTE["output"]], (
            f"colour cycle starts {colours[:3]}")
        assert len(colours) == 8 and len(set(colours)) == 8, f"colour cycle {colours}"
        assert plt.rcParams["figure.facecolor"] == "white"
        fig, ax = plt.subplots()
        try:
            line, = ax.plot([0, 1])
            assert line.get_color() == PALETTE["input"], f"first line colour {line.get_color()}"
        finally:
            plt.close(fig)
    default = matplotlib.rcParamsDefault["axes.prop_cycle"].by_key()["color"]
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == default, "style leaked out of the test"
