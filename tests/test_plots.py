"""The course's figure style and its drawings of the network (headless, Agg backend)."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from lamassu_course.classroom.plots import (CHAPTERS, PALETTE, draw_chapter_map, draw_rnn_cell,  # noqa: E402
                                  draw_unrolled, use_course_style)


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


# The map's boxes, written out by hand (not read from CHAPTERS) so a wrong entry fails.
MAP_BOXES = ["1  The formulation", "2  The silly network", "3  Backpropagation through time",
             "4  Vanishing and exploding gradients", "5  The application taxonomy",
             "5a  one-to-one", "5b  one-to-many", "5c  many-to-one",
             "5d  many-to-many ($T_x = T_y$)", "5e  encoder–decoder ($T_x \\neq T_y$)",
             "6  Beyond the vanilla cell", "6a  the LSTM", "6b  stacked RNNs",
             "6c  bidirectional RNNs", "7  From encoder–decoder to attention"]


@pytest.fixture
def chapter_map():
    ax = draw_chapter_map()
    ax.figure.canvas.draw()
    yield ax, ax.figure.canvas.get_renderer()
    plt.close(ax.figure)


def test_chapter_map_draws_one_labelled_box_per_chapter_and_section(chapter_map):
    ax, renderer = chapter_map
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(MAP_BOXES), f"{len(boxes)} boxes; expected {len(MAP_BOXES)}"
    for label in MAP_BOXES:
        found = [t for t in ax.texts if t.get_text() == label]
        assert len(found) == 1, f"{label!r} drawn {len(found)} times; texts: {[t.get_text() for t in ax.texts]}"
        text = found[0].get_window_extent(renderer)
        holders = [b for b in boxes if b.x0 <= text.x0 and text.x1 <= b.x1
                   and b.y0 <= text.y0 and text.y1 <= b.y1]
        assert len(holders) == 1, f"{label!r} lies inside {len(holders)} boxes; expected 1"
        below = [t.get_text() for t in ax.texts if t.get_position()[0] == found[0].get_position()[0]
                 and 0 < found[0].get_position()[1] - t.get_position()[1] < 0.5]
        assert len(below) == 1, f"under {label!r}: {below}; expected one line of what you do"
    assert ax.get_title(), "the map has no title"
    assert not ax.axison, "axes should be hidden"


def test_chapter_map_arrows_follow_the_chapters(chapter_map):
    ax, _ = chapter_map
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    builds_on = sum(len(chapter[3]) for chapter in CHAPTERS)
    sections = sum(len(chapter[4]) for chapter in CHAPTERS)
    assert (builds_on, sections) == (8, 8), f"{builds_on} builds-on arrows, {sections} sections"
    grey = [a for a in arrows if a.get_edgecolor()[:3] == matplotlib.colors.to_rgb(PALETTE["neutral"])]
    green = [a for a in arrows if a.get_edgecolor()[:3] == matplotlib.colors.to_rgb(PALETTE["output"])]
    # one arrow per builds-on and per section, plus one of each colour in the legend
    assert (len(grey), len(green)) == (builds_on + 1, sections + 1), (
        f"{len(grey)} grey and {len(green)} green arrows; expected {builds_on + 1} and {sections + 1}")


def test_chapter_map_nothing_overlaps_or_is_clipped(chapter_map):
    ax, renderer = chapter_map
    texts = ax.texts + [ax.title]
    extents = [t.get_window_extent(renderer) for t in texts]
    figure = ax.figure.bbox
    for text, box in zip(texts, extents):
        assert (figure.x0 <= box.x0 and box.x1 <= figure.x1 and figure.y0 <= box.y0
                and box.y1 <= figure.y1), f"{text.get_text()!r} is clipped: {box} outside {figure}"
    for i, (a, box_a) in enumerate(zip(texts, extents)):
        for b, box_b in zip(texts[i + 1:], extents[i + 1:]):
            assert not box_a.overlaps(box_b), f"{a.get_text()!r} overlaps {b.get_text()!r}"
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    lines = [p for p in ax.patches if isinstance(p, FancyArrowPatch)] + list(ax.lines)
    for text, box in zip(texts, extents):
        for patch in boxes:
            inside = (patch.x0 <= box.x0 and box.x1 <= patch.x1
                      and patch.y0 <= box.y0 and box.y1 <= patch.y1)
            assert inside or not patch.overlaps(box), f"{text.get_text()!r} sticks out of a box"
        for line in lines:
            path = line.get_transform().transform_path(line.get_path())
            crossed = any(MplPath(polygon).intersects_bbox(box, filled=False)
                          for polygon in path.to_polygons(closed_only=False))
            assert not crossed, f"a line or arrow crosses {text.get_text()!r}"


def test_chapter_map_background_is_opaque_white():
    with matplotlib.rc_context({"figure.facecolor": "none"}):   # even if the style is transparent
        ax = draw_chapter_map()
    try:
        assert matplotlib.colors.to_rgba(ax.figure.get_facecolor()) == (1.0, 1.0, 1.0, 1.0), (
            f"figure facecolor {ax.figure.get_facecolor()}")
        ax.figure.canvas.draw()
        alpha = np.asarray(ax.figure.canvas.buffer_rgba())[..., 3]
        assert alpha.min() == 255, f"{(alpha < 255).sum()} transparent pixels"
    finally:
        plt.close(ax.figure)


def test_chapter_map_draws_on_a_given_axes(ax):
    assert draw_chapter_map(ax) is ax
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == len(MAP_BOXES)


def test_chapter_map_titles_match_the_intro_table():
    intro = (Path(__file__).resolve().parents[1] / "book" / "intro.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| \{doc\}`(\d)\. ([^<]+?) <", intro, flags=re.MULTILINE)
    assert table == [(number, title) for number, title, *_ in CHAPTERS], (
        f"book/intro.md's table lists {table}; CHAPTERS has {[c[:2] for c in CHAPTERS]}")
