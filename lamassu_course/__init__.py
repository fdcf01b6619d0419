"""lamassu_course: the one NumPy implementation of every equation in the course.

h_t = g1(W_hh h_{t-1} + W_hx x_t + b_h),   y_t = g2(W_yh h_t + b_y)

Three rooms, by role; imports only run down this list (``tests/test_layout.py`` checks it).

The network, this top level: the equations and everything a reader reuses. ``activations``
(g1, g2 and derivatives), ``layers`` (one function per equation, with its backward), ``rnn``
(``VanillaRNN``), ``gated`` (a GRU), ``lstm`` (``LSTM``), ``stacked`` (``StackedRNN``),
``bidirectional`` (``BidirectionalRNN``), ``init``, ``losses``, ``gradcheck``, ``optim``
(optimisers, clipping), ``data`` (vocabulary, one-hot, TBPTT windows, the shipped text),
``training`` and ``sampling``; ``attention`` (additive, dot-product and self-attention),
``attention_decoder`` (``AttentionDecoder``) and ``decoding`` (greedy decoding, beam search,
scheduled sampling's inputs). It imports only NumPy (and tqdm for progress bars).

The experiments, ``lamassu_course.experiments``: one module per idea a chapter measures
(``bptt``, ``charlm``, ``clipping``; ``gradients``, ``cliff``, ``memory``; ``tasks``,
``seq2seq``). They import the network, never the classroom.

The classroom, ``lamassu_course.classroom``: ``exercises``, ``student``, ``plots``,
``widgets``, ``source``, ``silly`` and the chapters' figure modules (``vanishing``,
``applications``). It imports the network and the experiments.
"""
from .activations import ACTIVATIONS, get_activation, sigmoid, softmax
from .attention import (additive_attention_backward, additive_attention_forward,
                        dot_product_attention_backward, dot_product_attention_forward,
                        length_mask, masked_softmax, masked_softmax_backward,
                        self_attention_backward, self_attention_forward)
from .attention_decoder import AttentionDecoder
from .bidirectional import BidirectionalRNN
from .data import CharVocab, load_text, one_hot, tbptt_windows
from .decoding import (attention_decoder_steps, beam_search, greedy_decode, rnn_decoder_steps,
                       scheduled_inputs, sequence_log_prob, teacher_forced_decode)
from .gated import GRU
from .gradcheck import check_gradients, numerical_gradient, numerical_gradients, relative_error
from .init import orthogonal, scaled_normal, spectral_radius, with_spectral_radius
from .layers import (hidden_backward, hidden_forward, hidden_step, hidden_step_backward,
                     output_backward, output_forward, output_step, output_step_backward)
from .losses import mean_squared_error, softmax_cross_entropy
from .lstm import LSTM, lstm_step_backward, lstm_step_forward
from .optim import SGD, Adagrad, clip_by_global_norm, clip_by_value, global_norm
from .rnn import PARAM_NAMES, VanillaRNN
from .sampling import sample
from .stacked import StackedRNN
from .training import train, train_step, train_tbptt

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "get_activation", "sigmoid", "softmax",
    "GRU", "CharVocab", "load_text", "one_hot", "tbptt_windows",
    "check_gradients", "numerical_gradient", "numerical_gradients", "relative_error",
    "orthogonal", "scaled_normal", "spectral_radius", "with_spectral_radius",
    "hidden_backward", "hidden_forward", "hidden_step", "hidden_step_backward",
    "output_backward", "output_forward", "output_step", "output_step_backward",
    "mean_squared_error", "softmax_cross_entropy",
    "LSTM", "lstm_step_backward", "lstm_step_forward", "BidirectionalRNN", "StackedRNN",
    "SGD", "Adagrad", "clip_by_global_norm", "clip_by_value", "global_norm",
    "PARAM_NAMES", "VanillaRNN", "sample", "train", "train_step", "train_tbptt",
    "additive_attention_backward", "additive_attention_forward",
    "dot_product_attention_backward", "dot_product_attention_forward", "length_mask",
    "masked_softmax", "masked_softmax_backward", "self_attention_backward",
    "self_attention_forward", "AttentionDecoder",
    "attention_decoder_steps", "beam_search", "greedy_decode", "rnn_decoder_steps",
    "scheduled_inputs", "sequence_log_prob", "teacher_forced_decode",
]
