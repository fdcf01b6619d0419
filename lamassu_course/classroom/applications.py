"""Drawings and sound for Chapter 5: the taxonomy, decision regions, piano rolls, melodies.

Our own drawings, from ``plots.draw_unrolled``; the seed page borrowed the CS230 figures.
"""
import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np

from .plots import PALETTE, draw_unrolled
from ..experiments.tasks import MAJOR_SCALE

__all__ = ["TAXONOMY", "draw_taxonomy", "draw_shape", "draw_decision_regions",
           "note_frequency", "synthesize", "draw_piano_roll", "figure_with_audio"]

# (name, steps, input steps, output steps, the seed's example)
TAXONOMY = (
    ("one-to-one", 1, [1], [1], "traditional neural network"),
    ("one-to-many", 4, [1], [1, 2, 3, 4], "music generation"),
    ("many-to-one", 4, [1, 2, 3, 4], [4], "sentiment classification"),
    ("many-to-many, $T_x = T_y$", 4, [1, 2, 3, 4], [1, 2, 3, 4], "named entity recognition"),
    ("many-to-many, $T_x \\neq T_y$", 5, [1, 2], [3, 4, 5], "machine translation"),
)


def draw_shape(ax, kind):
    """Draw one row of ``TAXONOMY`` (``kind`` is its index) with its name and example."""
    name, steps, inputs, outputs, example = TAXONOMY[kind]
    draw_unrolled(ax, steps, inputs=inputs, outputs=outputs)
    ax.set_xlim(-0.8, 5 * 1.8 + 0.8)   # the same scale in every panel
    ax.set_title(f"{name}\n({example})")
    return ax


def draw_taxonomy():
    """The five shapes of the seed's table, one panel each. Returns the figure."""
    fig, axes = plt.subplots(3, 2, figsize=(10, 9))
    for kind, ax in enumerate(axes.flat[:5]):
        draw_shape(ax, kind)
    axes.flat[5].axis("off")
    fig.tight_layout()
    return fig


def draw_decision_regions(ax, predict, points, labels, title=""):
    """Shade where ``predict`` (points (N, 2) -> class ids (N,)) says 0 or 1; overlay the
    labelled ``points`` (N, 2) with ``labels`` (N,)."""
    lo, hi = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    regions = predict(grid).reshape(g0.shape)
    ax.contourf(g0, g1, regions, levels=[-0.5, 0.5, 1.5], alpha=0.2,
                colors=[PALETTE["input"], PALETTE["gradient"]])
    for label, color, marker in ((0, PALETTE["input"], "o"), (1, PALETTE["gradient"], "^")):
        chosen = points[labels == label]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=12, color=color, marker=marker,
                   label=f"class {label}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return ax


def note_frequency(note, base=60):
    """Equal temperament: f = 440 * 2**((m - 69) / 12) Hz for MIDI note m = base + note."""
    return 440.0 * 2.0 ** ((np.asarray(note) + base - 69) / 12)


def synthesize(notes, rate=8000, seconds=0.25, base=60):
    """A melody as sound: one sine wave per note with a 10 ms attack and exponential decay.

    notes (N,) ints -> float64 samples (N * rate * seconds,) in [-1, 1]. Deterministic."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-4.0 * t / seconds)
    waves = [np.sin(2 * np.pi * note_frequency(note, base) * t) * envelope for note in notes]
    return 0.8 * np.concatenate(waves)


def draw_piano_roll(ax, notes, tonic, title="", base=60):
    """Notes (N,) as bars on a pitch-time grid; rows of the tonic's major scale are shaded."""
    notes = np.asarray(notes)
    low, high = min(notes.min(), tonic) - 1, notes.max() + 1
    for pitch in range(low, high + 1):
        if (pitch - tonic) % 12 in MAJOR_SCALE:
            ax.axhspan(pitch - 0.45, pitch + 0.45, color=PALETTE["yellow"], alpha=0.35, lw=0)
    ax.barh(notes, 0.9, left=np.arange(len(notes)), height=0.8, align="center",
            color=[PALETTE["input"]] + [PALETTE["output"]] * (len(notes) - 1))
    names = "C C# D D# E F F# G G# A A# B".split()
    ticks = range(low, high + 1)
    ax.set_yticks(list(ticks), [f"{names[(base + p) % 12]}{(base + p) // 12 - 1}" for p in ticks],
                  fontsize=8)
    ax.set_ylim(low - 0.5, high + 0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("time step t (0.25 s each)")
    ax.set_ylabel("pitch")
    ax.set_title(title)
    return ax



def figure_with_audio(fig, sound, rate=8000, alt=""):
    """One HTML output holding the figure (as a PNG) and an audio player under it.

    A reader without sound still sees the notes; a notebook page shows both in one output,
    so one caption covers both. ``fig`` is closed. Returns an ``IPython.display.HTML``."""
    from IPython.display import HTML, Audio

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    player = Audio(sound, rate=rate)._repr_html_()
    return HTML(f'<img src="data:image/png;base64,{image}" alt="{html.escape(alt)}" '
                f'style="max-width:100%"/><br/>{player}')
