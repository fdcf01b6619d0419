"""Drawings of how Chapter 6 wires vanilla layers together: stacked and bidirectional.

``draw_stacked`` puts layers on top of each other (the states of layer l are the inputs of
layer l + 1); ``draw_bidirectional`` runs one layer left to right and one right to left over
the same inputs, and reads both at every step. Same look as ``plots.draw_unrolled``.
"""
import matplotlib.pyplot as plt

from .plots import PALETTE, _arrow, _node

__all__ = ["draw_stacked", "draw_bidirectional"]

_GAP, _RISE = 1.8, 1.6


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")


def _finish(ax, steps, top, title):
    ax.set_xlim(-1.0, steps * _GAP + 0.8)
    ax.set_ylim(-0.6, top)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def draw_stacked(ax=None, steps=4, layers=2, title=None):
    """A stacked RNN unrolled over ``steps`` steps: ``layers`` rows of states.

    Row l holds h^(l)_1..h^(l)_T; each is computed from the state to its left (W_hh^(l)) and
    the one below it (x_t for l = 1, else h^(l-1)_t, through W_hx^(l)); y_t reads the top row.
    """
    ax = ax or plt.gca()
    _positive("steps", steps)
    _positive("layers", layers)
    for t in range(1, steps + 1):
        _node(ax, (t * _GAP, 0), rf"$x_{{{t}}}$", PALETTE["input"])
        _arrow(ax, (t * _GAP, 0.45), (t * _GAP, _RISE - 0.4), PALETTE["input"],
               r"$W_{hx}^{(1)}$" if t == 1 else None)
    for layer in range(1, layers + 1):
        y = layer * _RISE
        _node(ax, (0, y), rf"$h^{{({layer})}}_{{0}}$", PALETTE["neutral"], shape="box",
              fontsize=13)
        for t in range(1, steps + 1):
            x = t * _GAP
            _node(ax, (x, y), rf"$h^{{({layer})}}_{{{t}}}$", PALETTE["hidden"], shape="box",
                  fontsize=13)
            _arrow(ax, (x - _GAP + 0.55, y), (x - 0.55, y), PALETTE["hidden"],
                   rf"$W_{{hh}}^{{({layer})}}$" if t == 1 else None, side=0.32)
            if layer < layers:
                _arrow(ax, (x, y + 0.4), (x, y + _RISE - 0.4), PALETTE["hidden"],
                       rf"$W_{{hx}}^{{({layer + 1})}}$" if t == 1 else None)
    y_out = (layers + 1) * _RISE
    for t in range(1, steps + 1):
        _node(ax, (t * _GAP, y_out), rf"$y_{{{t}}}$", PALETTE["output"])
        _arrow(ax, (t * _GAP, y_out - _RISE + 0.4), (t * _GAP, y_out - 0.45),
               PALETTE["output"], r"$W_{yh}$" if t == 1 else None)
    return _finish(ax, steps, y_out + 0.6, title)


def draw_bidirectional(ax=None, steps=4, title=None):
    """A bidirectional RNN unrolled over ``steps`` steps.

    The lower row h^f runs left to right from h^f_0; the upper row h^b runs right to left
    from h^b_{T+1}; both read x_t, and y_t reads the pair [h^f_t; h^b_t].
    """
    ax = ax or plt.gca()
    _positive("steps", steps)
    forward, backward, y_out = _RISE, 2 * _RISE, 3 * _RISE
    _node(ax, (0, forward), r"$h^f_0$", PALETTE["neutral"], shape="box", fontsize=13)
    _node(ax, ((steps + 1) * _GAP, backward), rf"$h^b_{{{steps + 1}}}$", PALETTE["neutral"],
          shape="box", fontsize=13)
    for t in range(1, steps + 1):
        x = t * _GAP
        _node(ax, (x, 0), rf"$x_{{{t}}}$", PALETTE["input"])
        _node(ax, (x, forward), rf"$h^f_{{{t}}}$", PALETTE["hidden"], shape="box", fontsize=13)
        _node(ax, (x, backward), rf"$h^b_{{{t}}}$", PALETTE["accent"], shape="box",
              fontsize=13)
        _node(ax, (x, y_out), rf"$y_{{{t}}}$", PALETTE["output"])
        _arrow(ax, (x - _GAP + 0.55, forward), (x - 0.55, forward), PALETTE["hidden"])
        _arrow(ax, (x + _GAP - 0.55, backward), (x + 0.55, backward), PALETTE["accent"])
        _arrow(ax, (x - 0.15, 0.45), (x - 0.15, forward - 0.4), PALETTE["input"])
        _arrow(ax, (x + 0.3, 0.45), (x + 0.3, backward - 0.4), PALETTE["input"], rad=0.15)
        _arrow(ax, (x - 0.3, forward + 0.4), (x - 0.3, y_out - 0.45), PALETTE["output"],
               rad=-0.15)
        _arrow(ax, (x, backward + 0.4), (x, y_out - 0.45), PALETTE["output"])
    ax.text(-0.55, backward, "backward\nin time", ha="center", va="center", fontsize=11,
            color=PALETTE["accent"])
    ax.text((steps + 1) * _GAP, forward, "forward\nin time", ha="center", va="center",
            fontsize=11, color=PALETTE["hidden"])
    ax.set_xlim(-1.0, (steps + 1) * _GAP + 0.8)
    ax.set_ylim(-0.6, y_out + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
