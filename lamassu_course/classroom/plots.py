"""One place for the look of every figure, and the drawings the chapters share.

``use_course_style()`` sets sizes, fonts and a palette that colour-blind readers can tell
apart (Okabe & Ito, 2008); figures keep an opaque white background so they stay readable
in the website's dark mode. ``draw_rnn_cell`` and ``draw_unrolled`` draw the network
(our own drawings; the seed page borrowed the CS230 cheatsheet's); ``draw_truncated`` draws
truncated BPTT (Chapter 3); ``draw_chapter_map`` draws the course itself, from ``CHAPTERS``.
"""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["PALETTE", "CHAPTERS", "use_course_style", "draw_rnn_cell", "draw_unrolled",
           "draw_truncated", "draw_chapter_map"]

# Okabe-Ito colours, named by their role in the drawings.
PALETTE = {"input": "#0072B2", "hidden": "#E69F00", "output": "#009E73",
           "gradient": "#D55E00", "neutral": "#555555", "accent": "#CC79A7",
           "sky": "#56B4E9", "yellow": "#F0E442"}
# The course in reading order: (number, title, what you do there, the chapters it builds on,
# its sections as (number, title, what you do there)). book/intro.md's table says the same
# at length; keep the two in step.
CHAPTERS = (
    ("1", "The formulation", "write the two equations as code", (), ()),
    ("2", "The silly network", "run the seed's network, fix its bugs", ("1",), ()),
    ("3", "Backpropagation through time", "derive BPTT, train a character model", ("2",), ()),
    ("4", "Vanishing and exploding gradients", "measure gradient decay, build a GRU", ("3",), ()),
    ("5", "The application taxonomy", "train one network of each shape", ("3",),
     (("5a", "one-to-one", "classify 2-D points"),
      ("5b", "one-to-many", "write melodies from one note"),
      ("5c", "many-to-one", "score the sentiment of a review"),
      ("5d", "many-to-many ($T_x = T_y$)", "tag every word of a sentence"),
      ("5e", "encoder–decoder ($T_x \\neq T_y$)", "turn number words into digits"))),
    ("6", "Beyond the vanilla cell", "build an LSTM, stack layers, read both ways", ("4", "5"),
     (("6a", "the LSTM", "carry memory in a cell state"),
      ("6b", "stacked RNNs", "give the character model depth"),
      ("6c", "bidirectional RNNs", "tag with the words ahead"))),
    ("7", "From encoder–decoder to attention", "beam search, then attend to every input",
     ("5", "6"), ()),
)
_CYCLE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_course_style():
    """Apply the course's matplotlib style (call once, in a chapter's first cell)."""
    plt.rcParams.update({
        "figure.figsize": (7.0, 3.6), "figure.dpi": 100, "savefig.dpi": 100,
        "figure.facecolor": "white", "savefig.facecolor": "white",
        "axes.facecolor": "white", "axes.prop_cycle": plt.cycler(color=_CYCLE),
        "axes.titlesize": 12, "axes.labelsize": 11, "font.size": 11,
        "legend.fontsize": 10, "xtick.labelsize": 10, "ytick.labelsize": 10,
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "lines.linewidth": 2.0,
    })


def _node(ax, xy, text, color, shape="round", size=None, fontsize=16):
    """A rounded node centred on ``xy``; ``size`` (width, height) overrides the shape's."""
    width, height = size or ((1.0, 0.7) if shape == "box" else (0.8, 0.6))
    pad = 0.05 if shape == "box" else 0.3
    ax.add_patch(FancyBboxPatch((xy[0] - width / 2, xy[1] - height / 2), width, height,
                                boxstyle=f"round,pad={pad}", facecolor=color, alpha=0.25,
                                edgecolor=color, linewidth=2))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, color, label=None, rad=0.0, style="-|>", linestyle="-", side=0.18):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=color,
                                 linewidth=1.8, linestyle=linestyle,
                                 connectionstyle=f"arc3,rad={rad}"))
    if label:
        mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        vertical = abs(end[0] - start[0]) < 1e-9
        offset = (side, 0) if vertical else (0, side)
        ax.text(mid[0] + offset[0], mid[1] + offset[1], label, color=color, fontsize=14,
                ha="left" if vertical else "center", va="center" if vertical else "bottom")


def draw_rnn_cell(ax=None):
    """The folded network: x_t enters the cell, h_t loops back through W_hh, y_t leaves."""
    ax = ax or plt.gca()
    _node(ax, (0, 0), r"$x_t$", PALETTE["input"])
    _node(ax, (0, 1.6), r"$h_t$", PALETTE["hidden"], shape="box")
    _node(ax, (0, 3.2), r"$y_t$", PALETTE["output"])
    _arrow(ax, (0, 0.45), (0, 1.15), PALETTE["input"], r"$W_{hx}$")
    _arrow(ax, (0, 2.05), (0, 2.75), PALETTE["output"], r"$W_{yh}$")
    ax.add_patch(FancyArrowPatch((0.62, 1.8), (0.62, 1.4), arrowstyle="-|>", mutation_scale=16,
                                 color=PALETTE["hidden"], linewidth=1.8,
                                 connectionstyle="arc3,rad=-1.6"))
    ax.text(1.3, 1.6, r"$W_{hh}$", color=PALETTE["hidden"], va="center", fontsize=14)
    ax.set_xlim(-1.5, 2.3)
    ax.set_ylim(-0.6, 3.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_unrolled(ax=None, steps=4, inputs=None, outputs=None, gradients=False, losses=False,
                  title=None):
    """The network unrolled over ``steps`` time steps, left to right.

    ``inputs`` and ``outputs`` are the 1-based steps that have an x_t or a y_t (all by default),
    so the same drawing gives every shape of the application taxonomy. ``gradients`` adds the
    backward flow (dashed, from each loss back through W_hh); ``losses`` adds L_t above y_t.
    """
    ax = ax or plt.gca()
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps is {steps!r}; expected a positive integer")
    inputs = range(1, steps + 1) if inputs is None else inputs
    outputs = range(1, steps + 1) if outputs is None else outputs
    for name, chosen in (("inputs", inputs), ("outputs", outputs)):
        outside = sorted(set(chosen) - set(range(1, steps + 1)))
        if outside:
            raise ValueError(f"{name} names steps {outside}; expected steps in 1..{steps}")
    gap = 1.8
    _node(ax, (0, 1.6), r"$h_0$", PALETTE["neutral"], shape="box")
    for t in range(1, steps + 1):
        x = t * gap
        _node(ax, (x, 1.6), rf"$h_{{{t}}}$", PALETTE["hidden"], shape="box")
        _arrow(ax, (x - gap + 0.55, 1.6), (x - 0.55, 1.6), PALETTE["hidden"],
               r"$W_{hh}$" if t == 1 else None, side=0.32)   # clear of the boxes' tops
        if t in inputs:
            _node(ax, (x, 0), rf"$x_{{{t}}}$", PALETTE["input"])
            _arrow(ax, (x, 0.45), (x, 1.2), PALETTE["input"], r"$W_{hx}$" if t == 1 else None)
        if t in outputs:
            _node(ax, (x, 3.2), rf"$y_{{{t}}}$", PALETTE["output"])
            _arrow(ax, (x, 2.0), (x, 2.75), PALETTE["output"], r"$W_{yh}$" if t == 1 else None)
            if losses:
                ax.text(x, 4.1, rf"$\mathcal{{L}}_{{{t}}}$", ha="center", va="center",
                        fontsize=13, color=PALETTE["gradient"])
                _arrow(ax, (x, 3.65), (x, 3.85), PALETTE["neutral"], style="-")
        if gradients:
            _arrow(ax, (x - 0.55, 1.35), (x - gap + 0.55, 1.35), PALETTE["gradient"],
                   linestyle="--", rad=0.0)
            if t in outputs:
                _arrow(ax, (x - 0.25, 2.75), (x - 0.25, 2.0), PALETTE["gradient"], linestyle="--")
    ax.set_xlim(-0.8, steps * gap + 0.8)
    ax.set_ylim(-0.6, 4.5 if losses else 3.8)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def draw_chapter_map(ax=None):
    """The course's map, drawn from ``CHAPTERS``: the chapters top to bottom in reading order,
    under each box what you do there, an arrow from each chapter to those that build on it,
    and a chapter's sections in a column beside it (rising to the chapter's row, or falling
    from it for the last chapter that has sections).

    Draws on a new 8.2 x 9.5 inch figure unless ``ax`` is given, and makes the figure's
    background opaque white (the website has a dark mode). Returns ``ax``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8.2, 9.5), layout="constrained")
    ax.figure.patch.set_facecolor("white")
    ax.figure.patch.set_alpha(1.0)
    x_chapter, width, pitch = 2.725, 3.95, 1.2       # the chapters' column, in inches
    x_bus, x_section, width_section = 4.95, 6.65, 2.8  # Chapter 5's sections, right of it
    row = {}
    for index, (number, title, does, builds_on, sections) in enumerate(CHAPTERS):
        y = 5.6 - pitch * index
        row[number] = y
        _node(ax, (x_chapter, y), f"{number}  {title}", PALETTE["input"], shape="box",
              size=(width, 0.46), fontsize=14)
        ax.text(x_chapter, y - 0.47, does, ha="center", va="center", fontsize=12,
                color=PALETTE["neutral"])
        for earlier in builds_on:       # arcs in the left margin, wider for longer jumps
            jump = round((row[earlier] - y) / pitch)
            _arrow(ax, (x_chapter - width / 2 - 0.07, row[earlier]),
                   (x_chapter - width / 2 - 0.07, y), PALETTE["neutral"], rad=0.3 + 0.1 * jump)
        if not sections:
            continue
        if any(later[4] for later in CHAPTERS[index + 1:]):   # rising: the last section
            # level with the chapter, clear of a later chapter's sections
            ys = [y + 0.9 * k for k in reversed(range(len(sections)))]
        else:                               # falling: the first section level with it
            ys = [y - 0.9 * k for k in range(len(sections))]
        far = max(ys, key=lambda y_sub: abs(y_sub - y))
        ax.plot([x_chapter + width / 2 + 0.07, x_bus, x_bus], [y, y, far],
                color=PALETTE["output"], linewidth=1.8)              # a bus to every section
        for (sub, sub_title, sub_does), y_sub in zip(sections, ys):
            _node(ax, (x_section, y_sub), f"{sub}  {sub_title}", PALETTE["output"],
                  shape="box", size=(width_section, 0.38), fontsize=12.5)
            ax.text(x_section, y_sub - 0.41, sub_does, ha="center", va="center",
                    fontsize=11.5, color=PALETTE["neutral"])
            _arrow(ax, (x_bus, y_sub), (x_section - width_section / 2 - 0.07, y_sub),
                   PALETTE["output"])
    for y, key, words in ((5.75, "neutral", "to a chapter that builds on it"),
                          (5.3, "output", "to a section of a chapter")):    # the legend
        _arrow(ax, (x_bus, y), (x_bus + 0.5, y), PALETTE[key])
        ax.text(x_bus + 0.65, y, words, fontsize=12, va="center")
    ax.set_xlim(0, 8.15)
    ax.set_ylim(-2.85, 6.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("The course map, in reading order", fontsize=15)
    return ax


def draw_truncated(ax, steps=9, window=3, title=None):
    """Truncated BPTT over ``steps`` states cut into windows of ``window`` steps.

    Solid arrows: the forward pass, which carries h_t across every boundary. Dashed arrows:
    the gradient, which flows back only inside a window; a bar marks where it is stopped.
    """
    for name, value in (("steps", steps), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} is {value!r}; expected a positive integer")
    gap = 1.8
    for start in range(1, steps + 1, window):
        end = min(start + window - 1, steps)
        left, right = start * gap - 0.75, end * gap + 0.75
        ax.fill_between([left, right], -0.5, 2.4, color=PALETTE["sky"], alpha=0.12, linewidth=0)
        ax.text((left + right) / 2, 2.6, f"window of {end - start + 1}", ha="center", fontsize=11)
    _node(ax, (0, 1.6), r"$h_0$", PALETTE["neutral"], shape="box")
    for t in range(1, steps + 1):
        x = t * gap
        _node(ax, (x, 1.6), rf"$h_{{{t}}}$", PALETTE["hidden"], shape="box")
        _node(ax, (x, 0), rf"$x_{{{t}}}$", PALETTE["input"])
        _arrow(ax, (x, 0.45), (x, 1.2), PALETTE["input"])
        _arrow(ax, (x - gap + 0.55, 1.75), (x - 0.55, 1.75), PALETTE["hidden"])
        if (t - 1) % window:                       # inside a window: the gradient flows back
            _arrow(ax, (x - 0.55, 1.35), (x - gap + 0.55, 1.35), PALETTE["gradient"],
                   linestyle="--")
        elif t > 1:                                # first step of a window: stopped
            ax.plot([x - gap / 2] * 2, [1.1, 1.55], color=PALETTE["gradient"], linewidth=3)
            ax.text(x - gap / 2, 0.95, "stop", color=PALETTE["gradient"], ha="center",
                    va="top", fontsize=10)
    ax.set_xlim(-0.8, steps * gap + 0.8)
    ax.set_ylim(-0.6, 3.0)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
