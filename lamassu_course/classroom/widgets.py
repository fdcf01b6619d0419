"""Explorers for the chapters: one drawing, shown live (ipywidgets) or as a static twin.

The live explorer needs a running kernel (Jupyter, Binder, Colab); the static twin is a
scrubbable animation (matplotlib's ``to_jshtml``) that works on the website. Both call the
same drawing function, so they always show the same thing.
"""
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .plots import PALETTE
from ..rnn import VanillaRNN

__all__ = ["draw_state_at", "state_explorer", "state_animation", "offline_jshtml",
           "constant_input_run", "draw_trajectory", "trajectory_explorer", "trajectory_grid"]


def draw_state_at(axes, xs, hs, ys, t):
    """Three panels at step t (1..T) of one sequence: the inputs with step t marked,
    h_t beside h_{t-1}, and the outputs y_1..y_t. xs (T, D), hs (T+1, H), ys (T, K)."""
    ax_x, ax_h, ax_y = axes
    T, D = xs.shape
    H, K = hs.shape[1], ys.shape[1]
    limit = max(1e-9, float(np.abs(xs).max()))
    ax_x.imshow(xs.T, aspect="auto", cmap="PuOr", vmin=-limit, vmax=limit,
                extent=(0.5, T + 0.5, D - 0.5, -0.5))
    ax_x.axvline(t, color="black", linewidth=2)
    ax_x.set(title=rf"inputs $x_1 \ldots x_{{{T}}}$ (line: $t = {t}$)", xlabel="time step t",
             ylabel="input unit (colour: value)", xticks=range(1, T + 1), yticks=range(D))
    ax_x.grid(False)
    units = np.arange(H)
    ax_h.bar(units - 0.2, hs[t - 1], width=0.4, color=PALETTE["neutral"], alpha=0.5,
             label=rf"$h_{{{t - 1}}}$")
    ax_h.bar(units + 0.2, hs[t], width=0.4, color=PALETTE["hidden"], label=rf"$h_{{{t}}}$")
    ax_h.set(title=rf"hidden state $h_{{{t}}}$", xlabel="hidden unit", ylabel="value (tanh: -1..1)",
             ylim=(-1.05, 1.05), xticks=units)
    ax_h.legend(loc="upper right")
    steps = np.arange(1, T + 1)
    for k in range(K):
        ax_y.plot(steps[:t], ys[:t, k], marker="o", label=f"y[{k}]")
    ax_y.set(title=rf"outputs $y_1 \ldots y_{{{t}}}$", xlabel="time step t", ylabel="output value",
             xlim=(0.5, T + 0.5), ylim=(ys.min() - 0.1, ys.max() + 0.1), xticks=steps)
    ax_y.legend(loc="upper right")


def _figure():
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
    return fig, axes


def state_explorer(rnn, xs):
    """A slider over t for one sequence xs (T, D) run through ``rnn`` (needs a kernel)."""
    import ipywidgets

    ys, hs = rnn.forward(xs[:, None, :])
    ys, hs = ys[:, 0], hs[:, 0]

    def show(t):
        fig, axes = _figure()
        draw_state_at(axes, xs, hs, ys, t)
        plt.show()

    slider = ipywidgets.IntSlider(value=1, min=1, max=len(xs), description="step t")
    return ipywidgets.interactive(show, t=slider)


def state_animation(rnn, xs):
    """The static twin of ``state_explorer``: the same drawing for t = 1..T, scrubbable in HTML."""
    ys, hs = rnn.forward(xs[:, None, :])
    ys, hs = ys[:, 0], hs[:, 0]
    fig, axes = _figure()

    def frame(t):
        for ax in axes:
            ax.clear()
        draw_state_at(axes, xs, hs, ys, t)

    anim = animation.FuncAnimation(fig, frame, frames=range(1, len(xs) + 1))
    html = anim.to_jshtml(fps=1, default_mode="once")
    plt.close(fig)
    return offline_jshtml(
        html, alt=f"The RNN's inputs, hidden state and outputs at each time step "
                  f"t = 1..{len(xs)}, one frame per step.",
        caption="Step through the sequence with the buttons or the slider: the inputs "
                "(left; the black line marks step t), the hidden state at step t beside "
                "the one before it (middle), and the outputs so far (right).")


# matplotlib's player draws its buttons with Font Awesome 4 icons fetched from a CDN. The
# website must work with no network, so the icons become plain characters (every button
# already has a title and an aria-label).
_BUTTON_ICONS = {"fa fa-minus": "\u2212", "fa fa-fast-backward": "|\u25c0\u25c0",
                 "fa fa-step-backward": "|\u25c0", "fa fa-play fa-flip-horizontal": "\u25c0",
                 "fa fa-pause": "\u275a\u275a", "fa fa-play": "\u25b6",
                 "fa fa-step-forward": "\u25b6|", "fa fa-fast-forward": "\u25b6\u25b6|",
                 "fa fa-plus": "+"}


def _escape(text):
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def offline_jshtml(html, alt, caption=None):
    """matplotlib's ``to_jshtml`` player made self-contained: no stylesheet from a CDN,
    button icons as characters, ``alt`` text on the frame image, and the player wrapped in
    a ``<figure>`` with ``caption`` (if given) as its ``<figcaption>``.

    >>> player = ('<link rel="stylesheet" '
    ...           'href="https://cdn/font-awesome.css">'
    ...           '<img id="_anim_img1">'
    ...           '<button><i class="fa fa-play"></i></button>')
    >>> page = offline_jshtml(player, alt="frames")
    >>> "https://" in page, 'alt="frames"' in page
    (False, True)
    """
    html = re.sub(r'<link[^>]*font-awesome[^>]*>', "", html)
    for icon, text in _BUTTON_ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{text}</span>')
    html = re.sub(r'<img id="(_anim_img\w*)">',
                  rf'<img id="\1" alt="{_escape(alt)}" style="max-width: 100%; height: auto">',
                  html)
    # The slider keeps to the width of a phone's screen too.
    html = html.replace("width: 374px;", "width: min(374px, 100%);")
    if caption is not None:
        # Its own light background and dark text, readable in the site's light and dark
        # themes alike (the player itself is drawn for a light background).
        html = (f'<figure style="background: #fff; color: #222; padding: 0.5em; '
                f'max-width: 100%">{html}'
                f'<figcaption style="color: #222">{_escape(caption)}</figcaption></figure>')
    left = [part for part in ("http://", "https://", 'class="fa ') if part in html]
    left += re.findall(r"<img(?![^>]*alt=)[^>]*>", html)
    if left:
        raise RuntimeError(f"matplotlib's animation player changed; still contains {left}")
    return html


def constant_input_run(weight_scale, seed, input_value, steps=30, size=3):
    """A size x size x size tanh RNN whose weights and hidden bias are ``weight_scale`` times
    N(0, 1) draws (the seed page draws with np.random.randn, scale 1), run for ``steps`` steps
    on the constant input x_t = input_value * (1, ..., 1).
    Returns (ys (steps, size), hs (steps+1, size))."""
    rng = np.random.default_rng(seed)
    rnn = VanillaRNN(size, size, size, seed=seed)
    for name in ("W_hx", "W_hh", "W_yh", "b_h"):
        rnn.params[name][...] = weight_scale * rng.standard_normal(rnn.params[name].shape)
    ys, hs = rnn.forward(np.full((steps, 1, size), float(input_value)))
    return ys[:, 0], hs[:, 0]


def draw_trajectory(ax_y, ax_dh, ys, hs, title=""):
    """Outputs y_t over time (left) and the change ||h_t - h_{t-1}|| on a log scale (right)."""
    steps = np.arange(1, len(ys) + 1)
    for k in range(ys.shape[1]):
        ax_y.plot(steps, ys[:, k], marker=".", label=f"y[{k}]")
    ax_y.set(title=f"outputs {title}".strip(), xlabel="time step t", ylabel="output value")
    ax_y.legend(loc="best", fontsize=8)
    change = np.linalg.norm(np.diff(hs, axis=0), axis=1)
    shown = change > 0   # exact zeros (converged to machine precision) cannot go on a log axis
    ax_dh.semilogy(steps[shown], change[shown], marker=".", color=PALETTE["hidden"])
    ax_dh.set(title=f"state change {title}".strip(), xlabel="time step t",
              ylabel=r"$\|h_t - h_{t-1}\|$", ylim=(1e-17, 1e1))


def trajectory_explorer(steps=30):
    """Sliders for the weight scale, the seed and the constant input (needs a kernel)."""
    import ipywidgets

    def show(weight_scale, seed, input_value):
        fig, (ax_y, ax_dh) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
        draw_trajectory(ax_y, ax_dh, *constant_input_run(weight_scale, seed, input_value, steps))
        plt.show()

    return ipywidgets.interactive(
        show,
        weight_scale=ipywidgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1,
                                            description="weight scale"),
        seed=ipywidgets.IntSlider(value=0, min=0, max=20, description="seed"),
        input_value=ipywidgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.1,
                                           description="input"))


def trajectory_grid(weight_scales, seed=0, input_value=1.0, steps=30):
    """The static twin of ``trajectory_explorer``: one column per weight scale."""
    fig, axes = plt.subplots(2, len(weight_scales), figsize=(3.2 * len(weight_scales), 5.6),
                             layout="constrained", squeeze=False)
    for column, scale in enumerate(weight_scales):
        ys, hs = constant_input_run(scale, seed, input_value, steps)
        draw_trajectory(axes[0, column], axes[1, column], ys, hs, title=f"(scale {scale:g})")
    return fig
