"""Chapter 6's drawings of stacked and bidirectional RNNs (headless, Agg backend)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from lamassu_course.classroom.wiring import draw_bidirectional, draw_stacked  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _count(ax, kind):
    return sum(isinstance(p, kind) for p in ax.patches)


@pytest.mark.parametrize("steps, layers", [(1, 1), (3, 2), (4, 3)])
def test_draw_stacked_has_every_state_and_link(ax, steps, layers):
    assert draw_stacked(ax, steps, layers, title="t") is ax
    texts = [t.get_text() for t in ax.texts]
    for layer in range(1, layers + 1):
        for t in range(0, steps + 1):
            assert f"$h^{{({layer})}}_{{{t}}}$" in texts, (layer, t, texts)
    assert _count(ax, FancyBboxPatch) == layers * (steps + 1) + 2 * steps
    # per step: x up, one W_hh per layer, one link between layers, y up
    assert _count(ax, FancyArrowPatch) == steps * (2 * layers + 1)
    assert ax.get_title() == "t" and not ax.axison
    ax.figure.canvas.draw()


def test_draw_bidirectional_runs_each_row_its_own_way(ax):
    steps = 3
    assert draw_bidirectional(ax, steps) is ax
    texts = [t.get_text() for t in ax.texts]
    assert "$h^f_0$" in texts and f"$h^b_{{{steps + 1}}}$" in texts
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 6 * steps
    rightward = leftward = 0
    for arrow in arrows:
        (x0, y0), (x1, y1) = arrow._posA_posB
        rightward += x1 > x0 + 0.3 and y0 == y1
        leftward += x1 < x0 - 0.3 and y0 == y1
    assert rightward == steps and leftward == steps
    ax.figure.canvas.draw()


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_bad_sizes_are_refused(ax, bad):
    with pytest.raises(ValueError, match="steps is"):
        draw_stacked(ax, steps=bad)
    with pytest.raises(ValueError, match="layers is"):
        draw_stacked(ax, layers=bad)
    with pytest.raises(ValueError, match="steps is"):
        draw_bidirectional(ax, steps=bad)
