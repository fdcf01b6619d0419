"""The experiments: one module per idea a chapter measures.

They run the network (``lamassu_course``'s top level) on a task and return numbers and
arrays; they may use matplotlib, but they never import the classroom, so a test or a
script can run any experiment without the teaching tools.

Chapter 3: ``bptt`` (BPTT taken apart: planted bugs, truncation, cost), ``charlm`` (a character
model measured in bits per character, count baselines), ``clipping`` (one exploding step),
``ngram`` (the interpolated n-gram baseline a sceptic would pick).
Chapter 4: ``gradients`` (Jacobian products and decay rates), ``cliff`` (Pascanu et al.'s
one-unit cliff), ``memory`` (the delayed-recall task, its held-out split), ``lockstep``
(many models of one architecture trained at once, with the numbers of training each alone).
Chapter 5: ``tasks`` (the generated tasks, held-out splits of unseen items), ``seq2seq``
(many-to-one losses, the encoder–decoder, decoding), ``baselines`` (bag of words and
logistic regression, lookup taggers, n-grams, nearest neighbour).
Chapter 6, the LSTM: ``highway`` (the gradient along the LSTM's cell against a vanilla RNN's
Jacobian product), ``cells`` (matched parameter counts, LSTMs trained in lockstep).
Chapter 6, stacking and two directions: ``depth`` (equal budgets for one and two layers:
matched weight counts, rates chosen on the tuning part, runs per seed), ``bidir`` (the
bidirectional tagger's training and case counts, and why such a model cannot write text).
Chapter 7: ``attention_task`` (reversing digit strings: disjoint splits, padded batches, the
vanilla and the attention encoder–decoder trained on one budget, accuracy by source length).

Import a module by its path: ``from lamassu_course.experiments.memory import ...``.
"""
