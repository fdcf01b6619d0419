"""lamassu_course: the one NumPy implementation of every equation in the course.

h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h),   y_t = g2(W_yh h_t + b_y)

Modules, one concept each.

The core: ``activations`` (g1, g2 and their derivatives), ``layers`` (one function per
equation, with its backward), ``rnn`` (``VanillaRNN``), ``init`` (initialisers, spectral
radius), ``losses``, ``gradcheck``, ``optim`` (optimisers, clipping), ``data`` (vocabulary,
one-hot, TBPTT windows, the shipped text), ``training``, ``sampling``, ``plots`` (figure
style and drawings), ``source`` (show the line that implements an equation), ``widgets``
(explorers and their static twins) and ``silly`` (the seed page's network, kept as it was).

By chapter: ``bptt``, ``charlm`` and ``clipping`` (Chapter 3); ``gradients``, ``cliff``,
``memory``, ``gated`` (a GRU) and ``vanishing`` (Chapter 4); ``tasks``, ``seq2seq`` and
``applications`` (Chapter 5). For teaching: ``exercises`` (the checks) and ``student``
(``python -m lamassu_course.student notebooks/ student/`` writes student notebooks).
"""
from .activations import ACTIVATIONS, get_activation, sigmoid, softmax
from .data import CharVocab, load_text, one_hot, tbptt_windows
from .gradcheck import check_gradients, numerical_gradient, numerical_gradients, relative_error
from .init import orthogonal, scaled_normal, spectral_radius, with_spectral_radius
from .layers import (hidden_backward, hidden_forward, hidden_step, hidden_step_backward,
                     output_backward, output_forward, output_step, output_step_backward)
from .losses import mean_squared_error, softmax_cross_entropy
from .optim import SGD, Adagrad, clip_by_global_norm, clip_by_value, global_norm
from .rnn import PARAM_NAMES, VanillaRNN
from .sampling import sample
from .training import train, train_step, train_tbptt

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "get_activation", "sigmoid", "softmax",
    "CharVocab", "load_text", "one_hot", "tbptt_windows",
    "check_gradients", "numerical_gradient", "numerical_gradients", "relative_error",
    "orthogonal", "scaled_normal", "spectral_radius", "with_spectral_radius",
    "hidden_backward", "hidden_forward", "hidden_step", "hidden_step_backward",
    "output_backward", "output_forward", "output_step", "output_step_backward",
    "mean_squared_error", "softmax_cross_entropy",
    "SGD", "Adagrad", "clip_by_global_norm", "clip_by_value", "global_norm",
    "PARAM_NAMES", "VanillaRNN", "sample", "train", "train_step", "train_tbptt",
]
