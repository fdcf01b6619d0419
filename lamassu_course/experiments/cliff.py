"""The cliff of Pascanu, Mikolov & Bengio (2013, Fig. 6): a one-unit RNN whose loss jumps.

Their model has no input: x_t = w sigma(x_{t-1}) + b from x_0 = 0.5, with the loss
E = (sigma(x_T) - 0.7)^2 after T = 50 steps (sigma is the logistic sigmoid). Writing
h_t = sigma(x_t) turns it into a vanilla RNN with one hidden unit, g1 = sigmoid, W_hh = w,
b_h = b and no input:

    h_t = sigma(w h_{t-1} + b),   h_0 = sigma(0.5),   E = (h_T - 0.7)^2.

Every function takes arrays w and b of one shape and evaluates each pair (w, b) separately,
so a whole grid of networks runs at once.
"""
import numpy as np

from .._checks import as_array
from ..optim import clip_by_global_norm

__all__ = ["cliff_states", "cliff_loss", "cliff_loss_and_grad", "cliff_edge", "descend",
           "draw_cliff"]


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))   # = 1 / (1 + e^-a), without overflow


def _inputs(w, b, steps):
    w, b = as_array("w", w), as_array("b", b)
    if w.shape != b.shape:
        raise ValueError(f"w has shape {w.shape} but b has shape {b.shape}; expected equal shapes")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps is {steps!r}; expected a positive integer")
    return w, b


def cliff_states(w, b, steps=50, x0=0.5):
    """h_0..h_T of h_t = sigma(w h_{t-1} + b) with h_0 = sigma(x0), for every pair (w, b).

    w, b: arrays of one shape S -> (T+1,) + S.
    """
    w, b = _inputs(w, b, steps)
    hs = np.empty((steps + 1,) + w.shape)
    hs[0] = _sigmoid(x0)
    for t in range(steps):
        hs[t + 1] = _sigmoid(w * hs[t] + b)
    return hs


def cliff_loss(w, b, steps=50, x0=0.5, target=0.7):
    """E = (h_T - target)^2 for every pair (w, b): an array of the shape of w."""
    return (cliff_states(w, b, steps, x0)[-1] - target) ** 2


def cliff_loss_and_grad(w, b, steps=50, x0=0.5, target=0.7):
    """(E, dE/dw, dE/db) by backpropagation through time, for every pair (w, b).

    With dE/dh_T = 2 (h_T - target) and going back, da_t = h_t (1 - h_t) dE/dh_t,
    dE/dw += da_t h_{t-1}, dE/db += da_t, dE/dh_{t-1} = w da_t.
    """
    hs = cliff_states(w, b, steps, x0)
    w = as_array("w", w)
    dh = 2.0 * (hs[-1] - target)
    dw, db = np.zeros_like(dh), np.zeros_like(dh)
    for t in range(steps, 0, -1):
        da = hs[t] * (1.0 - hs[t]) * dh
        dw += da * hs[t - 1]
        db += da
        dh = w * da
    return (hs[-1] - target) ** 2, dw, db


def cliff_edge(w, x0=0.5):
    """The b of the wall for a given w: where h_0 = sigma(x0) is a fixed point,
    sigma(w h_0 + b) = h_0, i.e. w h_0 + b = x0. For w h_0 (1 - h_0) > 1 it repels, and a
    state starting a hair above it climbs to the high fixed point, a hair below to the low one."""
    return x0 - as_array("w", w) * _sigmoid(x0)


def descend(w, b, steps, lr, clip_norm=None, **loss_options):
    """Gradient descent on the cliff loss from (w, b): (w, b) <- (w, b) - lr * g, where g is
    clipped to global norm ``clip_norm`` first if given (``optim.clip_by_global_norm``).

    Returns (path (steps+1, 2) of (w, b), losses (steps+1,), gradient norms (steps+1,)).
    """
    point = np.array([w, b], dtype=float)
    path, losses, norms = [point.copy()], [], []
    for step in range(steps + 1):
        loss, dw, db = cliff_loss_and_grad(point[0], point[1], **loss_options)
        grads = {"w": float(dw), "b": float(db)}
        if clip_norm is None:
            norm = float(np.hypot(dw, db))
        else:
            grads, norm = clip_by_global_norm(grads, clip_norm)
        losses.append(float(loss))
        norms.append(norm)
        if step < steps:
            point -= lr * np.array([grads["w"], grads["b"]])
            path.append(point.copy())
    return np.array(path), np.array(losses), np.array(norms)


def draw_cliff(ax_surface, ax_map, paths=(), w_range=(0.0, 10.0), b_range=(-7.0, 1.0),
               points=200):
    """The loss E(w, b) as a surface in 3-D (``ax_surface``, made with projection="3d") and as
    a map seen from above (``ax_map``), with descent ``paths`` on the map: a list of
    (label, path (N, 2), color, linestyle), each drawn thinner than the one before. A path
    that leaves the map is drawn up to its last point inside, then an arrow shows the
    direction of the step that left."""
    w, b = np.meshgrid(np.linspace(*w_range, points), np.linspace(*b_range, points))
    loss = cliff_loss(w, b)
    ax_surface.plot_surface(w, b, loss, cmap="viridis", rcount=points, ccount=points,
                            linewidth=0, antialiased=False)
    ax_surface.view_init(elev=32, azim=-125)
    ax_surface.set(xlabel="w", ylabel="b", zlabel="loss E", title="the loss surface")
    filled = ax_map.contourf(w, b, loss, levels=20, cmap="viridis")
    ax_map.figure.colorbar(filled, ax=ax_map, label=r"loss $E = (h_{50} - 0.7)^2$")
    for number, (label, path, color, linestyle) in enumerate(paths):
        inside = ((path[:, 0] >= w_range[0]) & (path[:, 0] <= w_range[1])
                  & (path[:, 1] >= b_range[0]) & (path[:, 1] <= b_range[1]))
        stop = len(path) if inside.all() else int(np.argmin(inside))
        ax_map.plot(path[:stop, 0], path[:stop, 1], color=color, linestyle=linestyle,
                    marker=".", markersize=4, linewidth=max(3.0 - number, 1.0), label=label)
        if stop < len(path):                   # the step that left: an arrow to the edge
            start, step = path[stop - 1], path[stop] - path[stop - 1]
            room = min(((edge - start[i]) / step[i] for i, span in enumerate((w_range, b_range))
                        for edge in span if step[i] != 0 and (edge - start[i]) / step[i] > 0))
            ax_map.annotate("", xy=start + 0.97 * room * step, xytext=start,
                            arrowprops=dict(arrowstyle="-|>", color=color, linewidth=2))
    if paths:
        ax_map.plot(*paths[0][1][0], marker="o", color="white", markeredgecolor="black",
                    linestyle="", label="start")
    ax_map.set(xlabel="w (recurrent weight)", ylabel="b (bias)", xlim=w_range, ylim=b_range,
               title="seen from above, with descent paths")
    ax_map.legend(loc="lower left", fontsize=8)
    ax_map.grid(False)
