"""Chapter 4's explorer: how ||dL_T/dh_t|| changes with the steps back, for a rescaled W_hh.

One drawing function, ``draw_gradient_decay``, is shown live (``gradient_explorer``, needs a
kernel) or as small multiples that work on the website (``gradient_decay_grid``).
"""
import matplotlib.pyplot as plt
import numpy as np

from .._checks import check_choice
from ..experiments.gradients import gradient_decay, rescaled

__all__ = ["draw_gradient_decay", "gradient_explorer", "gradient_decay_grid"]

_SYMBOL = {"spectral_radius": r"\rho", "sigma_max": r"\sigma_{\max}"}
_NAME = {"identity": "linear", "tanh": "tanh"}


def draw_gradient_decay(ax, W_base, values, activation="identity", steps=60, input_scale=0.1,
                        by="spectral_radius", seed=0):
    """One curve per value v of ``values``: W_hh = W_base rescaled so that rho (or sigma_max,
    ``by="sigma_max"``) is v; the curve is the geometric mean over 8 sequences of
    ||dL_T/dh_{T-k}|| (with ||dL_T/dh_T|| = 1) against k, measured by ``gradient_decay``.
    A dashed line of the same colour is v^k: the linear prediction for rho, the upper bound of
    Pascanu et al. (2013) for sigma_max. Returns {v: the plotted curve (steps+1,)}.
    """
    check_choice("by", by, _SYMBOL)
    check_choice("activation", activation, _NAME)
    k = np.arange(steps + 1)
    curves = {}
    for value, color in zip(values, plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        W_hh = rescaled(W_base, value, by)
        norms = gradient_decay(W_hh, steps, activation, input_scale, batch_size=8, seed=seed)
        with np.errstate(divide="ignore"):
            curve = np.exp(np.log(norms).mean(axis=1))
        curves[value] = curve
        shown = curve > 0
        ax.semilogy(k[shown], curve[shown], color=color, label=rf"${_SYMBOL[by]}$ = {value:g}")
        ax.semilogy(k, float(value) ** k, color=color, linestyle="--", linewidth=1)
    drive = "" if activation == "identity" else f", input scale {input_scale:g}"
    ax.set(title=f"{_NAME[activation]}{drive}", xlabel="steps back, T - t",
           ylabel=r"$\|\partial L_T / \partial h_t\|$ (log scale)", xlim=(0, steps),
           ylim=(1e-20, 1e12))
    ax.legend(loc="lower left", fontsize=8)
    return curves


def gradient_explorer(W_base, steps=60):
    """Sliders for the spectral radius, the activation, T and the input scale (needs a kernel)."""
    import ipywidgets

    def show(rho, activation, T, input_scale):
        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        draw_gradient_decay(ax, W_base, [rho], activation, T, input_scale)
        plt.show()

    return ipywidgets.interactive(
        show,
        rho=ipywidgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.05,
                                   description="rho(W_hh)"),
        activation=ipywidgets.Dropdown(options=[("linear", "identity"), ("tanh", "tanh")],
                                       value="tanh", description="g1"),
        T=ipywidgets.IntSlider(value=steps, min=10, max=200, step=10, description="T"),
        input_scale=ipywidgets.FloatSlider(value=0.1, min=0.0, max=3.0, step=0.05,
                                           description="input scale"))


def gradient_decay_grid(W_base, values, input_scales=(0.01, 0.1, 0.3, 1.0, 3.0), steps=60):
    """The static twin of ``gradient_explorer``: the linear network, then tanh at each input
    scale, every panel with one curve per spectral radius in ``values``."""
    panels = [("identity", 0.0)] + [("tanh", scale) for scale in input_scales]
    columns = 3
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(10, 3.2 * rows), layout="constrained",
                             sharex=True, sharey=True, squeeze=False)
    for number, (ax, (activation, scale)) in enumerate(zip(axes.ravel(), panels)):
        draw_gradient_decay(ax, W_base, values, activation, steps, scale)
        if number % columns:
            ax.set_ylabel("")
        if number + columns < len(panels):
            ax.set_xlabel("")
        if number:
            ax.get_legend().remove()
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    return fig
