"""Checks for the exercises: run a student's answer on seeded cases and say what is wrong.

Each ``check_*`` takes the answer (usually a function), runs it on a few seeded cases and
compares it with the package's own implementation. Some cases are square (D = H = K, where a
transposed weight still has the right shape, so only its values can give it away) and some
are not. The check prints one pass line, or one hint for the first case that fails: not
written yet, the exception raised, the shape returned, a typical mistake it recognises (a
transposed weight, a missing bias, ...), or else the largest difference. It returns True or False.

    >>> check_count_parameters(lambda D, H, K: 7)
    ✗ check_count_parameters: returned 7, which is 35 too few
       (case 1 of 5, inputs D=3, H=4, K=2)
    False

A docstring here never shows a solution: ``help(check_...)`` says what is checked, not how
to write it.
"""
from .formulation import (check_count_parameters, check_output_probabilities,
                          check_rnn_forward, check_rnn_step, check_tanh_derivative)
from .silly import check_contraction_rate, check_fixed_point, check_seed_forward
from .bptt import (check_choose_k, check_clip_by_global_norm, check_dW_hh_two_steps,
                   check_step_backward, check_truncated_dW_hh)
from .bptt_loop import check_bptt_backward, check_sample_next
from .gradients import (check_decay_rate, check_gate, check_gru_step, check_transient_growth,
                        check_vanishing_despite_large_sigma)
from .applications import (check_decoder_inputs, check_last_step_gradient,
                           check_note_frequency, check_one_step_mlp, check_token_accuracy)
from .generation import check_generation_loop, check_training_run
from .bidirectional import check_bidirectional_states
from .sequence_tasks import (check_greedy_decode, check_next_word_loss,
                             check_trained_classifier)
from .lstm import check_lstm_step, check_lstm_step_backward
from .attention import check_attention_step, check_beam_step, check_free_running

__all__ = ["check_rnn_step", "check_rnn_forward", "check_count_parameters", "check_output_probabilities",
           "check_tanh_derivative", "check_seed_forward", "check_fixed_point",
           "check_contraction_rate",
           "check_step_backward", "check_dW_hh_two_steps", "check_clip_by_global_norm",
           "check_truncated_dW_hh", "check_choose_k", "check_bptt_backward",
           "check_sample_next",
           "check_decay_rate", "check_vanishing_despite_large_sigma", "check_transient_growth",
           "check_gate",
           "check_gru_step",
           "check_one_step_mlp", "check_note_frequency", "check_last_step_gradient",
           "check_token_accuracy", "check_decoder_inputs",
           "check_training_run", "check_generation_loop",
           "check_trained_classifier", "check_next_word_loss", "check_greedy_decode",
           "check_bidirectional_states",
           "check_lstm_step", "check_lstm_step_backward",
           "check_attention_step", "check_beam_step", "check_free_running"]
