"""Chapter 4's explorer: how ||dL_T/dh_t|| changes with the steps back, for a rescaled W_hh.

One drawing function, ``draw_gradient_decay``, is shown live (``gradient_explorer``, needs a
kernel) or as small multiples that work on the website (``gradient_decay_grid``).
"""
import matplotlib.pyplot as plt
import numpy as np

from .._checks import check_choice
from ..experiments.gradients import gradient_decay, rescaled

__all__ = ["draw_gradient_decay", "gradient_explorer", "gradient_decay_grid", "draw_recall_runs"]

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


def draw_recall_runs(axes, runs, rates, best, chance, smooth=10, baseline=None):
    """Chapter 4's memory-task figure on three axes, from ``memory.recall_runs`` results.

    ``runs[name, L]`` holds "test" (R, S) accuracies and "loss" (steps, R, S); ``best[name, L]``
    is the row of the rate chosen on the validation set. Left: test accuracy at the best rate
    against the delay L. Middle: at the longest delay, accuracy against the learning rate.
    Right: at the longest delay and the best rate, the training loss (mean over ``smooth``
    steps). Each line is the mean over seeds; bars and bands go from the worst to the best seed.
    ``baseline`` ({L: accuracy}, optional) is drawn as a dashed grey line on the left and middle
    panels: the counting baseline (``memory.counting_accuracy``).
    """
    names = list(dict.fromkeys(name for name, _ in runs))
    delays = sorted({L for _, L in runs})
    longest = delays[-1]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for number, (name, color) in enumerate(zip(names, colors)):
        shift = (number - (len(names) - 1) / 2) * 0.04     # side by side, not on top
        best_runs = np.array([runs[name, L]["test"][best[name, L]] for L in delays])
        _mean_and_range(axes[0], np.arange(len(delays)) + 2 * shift, best_runs, color, name)
        _mean_and_range(axes[1], np.array(rates) * (1 + shift), runs[name, longest]["test"],
                        color, name)
        loss = runs[name, longest]["loss"][:, best[name, longest]]           # (steps, S)
        kernel = np.ones(smooth) / smooth
        smoothed = np.array([np.convolve(seed, kernel, "valid") for seed in loss.T])
        steps = np.arange(smooth, len(loss) + 1)
        axes[2].plot(steps, smoothed.mean(axis=0), color=color, label=name)
        axes[2].fill_between(steps, smoothed.min(axis=0), smoothed.max(axis=0), color=color,
                             alpha=0.15, linewidth=0)
    for ax in axes[:2]:
        ax.axhline(chance, color="0.5", linestyle=":", label=f"chance ({chance:g})")
        ax.set(ylim=(0, 1.05), ylabel="held-out accuracy (fraction correct)")
    if baseline is not None:
        axes[0].plot(range(len(delays)), [baseline[L] for L in delays], color="0.4",
                     linestyle="--", marker="x", label="counting baseline")
        axes[1].axhline(baseline[longest], color="0.4", linestyle="--",
                        label="counting baseline")
    axes[0].set(title="At each network's best rate", xlabel="delay L (steps)",
                xticks=range(len(delays)), xticklabels=[str(L) for L in delays],
                xlim=(-0.5, len(delays) - 0.5))
    axes[1].set(title=f"L = {longest}: every rate", xlabel="Adagrad learning rate, log scale",
                xscale="log")
    axes[1].set_xticks(rates, [f"{rate:g}" for rate in rates])
    axes[1].minorticks_off()
    axes[2].axhline(np.log(1 / chance), color="0.5", linestyle=":",
                    label=f"guessing (ln {1 / chance:g})")
    axes[2].set(title=f"L = {longest}: training loss, best rate", xlabel="training step",
                ylabel=f"cross-entropy (nats), mean of {smooth} steps",
                ylim=(0, 2 * np.log(1 / chance)))          # an exploding start goes off the top
    axes[0].legend(loc="lower left", fontsize=8)
    axes[2].legend(loc="upper right", fontsize=8)
    return axes


def _mean_and_range(ax, x, accuracies, color, label):
    """A line through the mean of each row of ``accuracies`` with bars to its min and max."""
    middle = accuracies.mean(axis=1)
    ax.errorbar(x, middle, yerr=[middle - accuracies.min(axis=1), accuracies.max(axis=1) - middle],
                color=color, marker="o", capsize=3, label=label)
