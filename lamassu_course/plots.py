"""One place for the look of every figure, and the drawings the chapters share.

``use_course_style()`` sets sizes, fonts and a palette that colour-blind readers can tell
apart (Okabe & Ito, 2008); figures keep an opaque white background so they stay readable
in the website's dark mode. ``draw_rnn_cell`` and ``draw_unrolled`` draw the network
(our own drawings; the seed page borrowed the CS230 cheatsheet's).
"""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["PALETTE", "use_course_style", "draw_rnn_cell", "draw_unrolled"]

# Okabe-Ito colours, named by their role in the drawings.
PALETTE = {"input": "#0072B2", "hidden": "#E69F00", "output": "#009E73",
           "gradient": "#D55E00", "neutral": "#555555", "accent": "#CC79A7",
           "sky": "#56B4E9", "yellow": "#F0E442"}
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


def _node(ax, xy, text, color, shape="round"):
    width, height = (1.0, 0.7) if shape == "box" else (0.8, 0.6)
    pad = 0.05 if shape == "box" else 0.3
    ax.add_patch(FancyBboxPatch((xy[0] - width / 2, xy[1] - height / 2), width, height,
                                boxstyle=f"round,pad={pad}", facecolor=color, alpha=0.25,
                                edgecolor=color, linewidth=2))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=16)


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
               r"$W_{hh}$" if t == 1 else None)
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
