"""The seed page's untrained "silly" network, reproduced faithfully in Python 3.

Kept as the seed wrote it: its class and attribute names (``W_xh``, ``W_hy``, ``Bh``, ``By``),
3x3 shapes, the order of its draws from NumPy's global generator, and its row/column mix
(only two long lines are wrapped to fit the book's code column):
the hidden state is updated as ``h @ W_hh`` (rows are the batch) but the output is
``W_hy.dot(h)`` (columns are the batch). It runs only when the batch size B, the hidden size
H and the output size K are equal (every size is 3 on the seed page); Chapter 2 shows it break
(``seed_forward_outcome``), and the rest of the course uses ``VanillaRNN`` instead.

Chapter 2 also asks what such untrained networks do under a constant input:
``settling_census`` runs many of them and sorts each into settled, period-2 cycle or other.

    >>> import numpy as np
    >>> np.random.seed(0)         # the seed page seeds once, before building it
    >>> silly_network = VanillaRecurrentNetwork()
    >>> silly_network.forward_prop(np.ones((3, 3)))[0, 0].round(8)
    np.float64(-1.73665315)
"""
import numpy as np

from .widgets import constant_input_run

__all__ = ["VanillaRecurrentNetwork", "SEED_OUTPUTS", "seed_forward_outcome", "classify_run",
           "settling_census"]

# The three arrays printed on the seed page, for forward_prop(np.ones((3, 3))) three times.
SEED_OUTPUTS = np.array([
    [[-1.73665315, -2.40366542, -2.72344361],
     [1.61591482, 1.45557046, 1.13262256],
     [1.68977504, 1.54059305, 1.21757531]],
    [[-2.15023381, -2.41205828, -2.71701457],
     [1.71962883, 1.45767515, 1.13101034],
     [1.80488553, 1.542929, 1.21578594]],
    [[-2.15024751, -2.41207375, -2.720968],
     [1.71963227, 1.45767903, 1.13200175],
     [1.80488935, 1.54293331, 1.21688628]],
])


class VanillaRecurrentNetwork(object):
    def __init__(self):
        self.hidden_state = np.zeros((3, 3))
        self.W_hh = np.random.randn(3, 3)
        self.W_xh = np.random.randn(3, 3)
        self.W_hy = np.random.randn(3, 3)
        self.Bh = np.random.randn(3,)
        self.By = np.random.rand(3,)
        self.hidden_state_activation_function = lambda x: np.tanh(x)
        self.y_activation_function = lambda x: x

    def forward_prop(self, x):
        self.hidden_state = self.hidden_state_activation_function(
            np.dot(self.hidden_state, self.W_hh) + np.dot(x, self.W_xh)
            + self.Bh
        )
        return self.y_activation_function(
            self.W_hy.dot(self.hidden_state) + self.By)


# ---------------------------------------------------------------- the seed's class at other sizes
def seed_forward_outcome(B, D, H, K, rng):
    """What the seed's ``forward_prop``, unchanged, does at other sizes: "runs, y (shape)" or
    "ValueError: ...". The arrays are drawn from ``rng`` in the seed's layouts: hidden_state
    (B, H), W_hh (H, H), W_xh (D, H), W_hy (K, H), Bh (H,), By (K,); the input is ones (B, D).
    NumPy's global generator is left as it was."""
    for name, size in dict(B=B, D=D, H=H, K=K).items():
        if not (isinstance(size, (int, np.integer)) and size >= 1):
            raise ValueError(f"{name}={size!r}; expected a positive int")
    state = np.random.get_state()
    network = VanillaRecurrentNetwork()
    np.random.set_state(state)
    network.hidden_state = np.zeros((B, H))
    network.W_hh, network.W_xh = rng.standard_normal((H, H)), rng.standard_normal((D, H))
    network.W_hy, network.Bh, network.By = (rng.standard_normal((K, H)), rng.standard_normal(H),
                                            rng.standard_normal(K))
    try:
        y = network.forward_prop(np.ones((B, D)))
    except ValueError as error:
        return f"ValueError: {error}"
    return f"runs, y {y.shape}"


# ---------------------------------------------------------------- settling under a constant input
SETTLED_BELOW = 1e-12    # a state change below this is rounding-level: the state has settled
MOVING_ABOVE = 1e-3      # a cycle's jumps are far above this


def classify_run(hs):
    """(kind, step) for the states hs (steps+1, H) of one run: kind "settled" (the last change is
    below SETTLED_BELOW; step = the first step from which every change is), "period 2" (the state
    jumps by more than MOVING_ABOVE but repeats every two steps, to SETTLED_BELOW; step None)
    or "other" (step None)."""
    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 2 or len(hs) < 3:
        raise ValueError(f"hs has shape {hs.shape}; expected (steps+1, H) with steps >= 2")
    change = np.max(np.abs(np.diff(hs, axis=0)), axis=1)       # change[t-1] = |h_t - h_(t-1)|
    if change[-1] < SETTLED_BELOW:
        moving = np.flatnonzero(change >= SETTLED_BELOW)
        return "settled", 1 if len(moving) == 0 else int(moving[-1]) + 2
    if change[-1] > MOVING_ABOVE and np.max(np.abs(hs[-1] - hs[-3])) < SETTLED_BELOW:
        return "period 2", None
    return "other", None


def settling_census(scale, seeds, steps=3000, input_value=1.0):
    """{seed: (kind, step)}: ``classify_run`` on the network of ``constant_input_run(scale, seed,
    input_value, steps)`` (a 3-unit tanh RNN with weights scale x N(0, 1), constant input), the
    same network as Chapter 2's grid and explorer."""
    return {seed: classify_run(constant_input_run(scale, seed, input_value, steps=steps)[1])
            for seed in seeds}
