"""The seed page's untrained "silly" network, reproduced faithfully in Python 3.

Kept as the seed wrote it: its class and attribute names (``W_xh``, ``W_hy``, ``Bh``, ``By``),
3x3 shapes, the order of its draws from NumPy's global generator, and its row/column mix
(only two long lines are wrapped to fit the book's code column):
the hidden state is updated as ``h @ W_hh`` (rows are the batch) but the output is
``W_hy.dot(h)`` (columns are the batch). It runs only because every size is 3; Chapter 2
shows it break, and the rest of the course uses ``VanillaRNN`` instead.

    >>> import numpy as np
    >>> np.random.seed(0)         # the seed page seeds once, before building it
    >>> silly_network = VanillaRecurrentNetwork()
    >>> silly_network.forward_prop(np.ones((3, 3)))[0, 0].round(8)
    np.float64(-1.73665315)
"""
import numpy as np

__all__ = ["VanillaRecurrentNetwork", "SEED_OUTPUTS"]

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
