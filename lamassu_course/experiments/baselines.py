"""The baselines a sceptic would pick for the tasks of Chapter 5: counts and linear models.

* ``BagOfWords``: count features of a sentence (its words, or its words and word pairs),
  which know which words occur but not in which order.
* ``fit_logistic`` / ``predict_logistic``: a linear classifier, binary logistic regression
  with a small L2 penalty, fitted by Newton's method (the loss is convex, so it converges to
  the one minimum).
* ``LookupTagger``: tag each word with the tag it had most often in training in the same
  context (``left`` words before it, ``right`` after it), backing off to less context.
* ``NGramModel``: the next token from the n - 1 tokens before it, counts interpolated with
  lower orders.
* ``nearest_neighbour``: copy the answer of the most similar training input.
* ``StepSoftmax``: one softmax regression per output step on the one-hot (position, token)
  features of the input, fitted to its minimum by L-BFGS; it writes an output token by token,
  with no hidden state.

None of them has a hidden state; each is what a count or a straight line can do.
"""
from collections import Counter

import numpy as np

__all__ = ["BagOfWords", "fit_logistic", "predict_logistic", "LookupTagger", "NGramModel",
           "nearest_neighbour", "StepSoftmax"]


def _positive(name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} is {value!r}; expected an integer >= {least}")
    return int(value)


# ---------------------------------------------------------------- bag of words + a line
class BagOfWords:
    """Count features: one column per word (``n=1``), or per word and word pair (``n=2``),
    seen in the training ``sentences`` (lists of words). Unseen words count nowhere. With
    ``skip=True`` it also counts the pairs with one word between them, written
    ``(first, "*", last)``: "not very good" holds the skip-pair ("not", "*", "good")."""

    def __init__(self, sentences, n=1, skip=False):
        self.n = _positive("n", n)
        self.skip = bool(skip)
        grams = sorted({g for s in sentences for g in self._grams(s)})
        self.index = {g: i for i, g in enumerate(grams)}

    def _grams(self, words):
        words = list(words)
        grams = [tuple(words[i:i + k]) for k in range(1, self.n + 1)
                 for i in range(len(words) - k + 1)]
        if self.skip:
            grams += [(words[i], "*", words[i + 2]) for i in range(len(words) - 2)]
        return grams

    @property
    def size(self):
        return len(self.index)

    def transform(self, sentences):
        """Sentences -> (N, size) counts."""
        out = np.zeros((len(sentences), self.size))
        for b, words in enumerate(sentences):
            for g in self._grams(words):
                if g in self.index:
                    out[b, self.index[g]] += 1
        return out


def fit_logistic(features, labels, l2=1e-3, steps=50):
    """Binary logistic regression p(1 | x) = sigmoid(w . x + c), fitted by Newton's method.

    Minimises mean log-loss + (l2 / 2) (w . w) (the bias c is not penalised). features (N, F),
    labels (N,) of 0/1. Returns the weights (F + 1,), bias last."""
    X = np.asarray(features, dtype=float)
    y = np.asarray(labels)
    if X.ndim != 2:
        raise ValueError(f"features has shape {X.shape}; expected (N, F)")
    if y.shape != (len(X),) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels has shape {y.shape}; expected ({len(X)},) of 0 and 1")
    if not l2 > 0:
        raise ValueError(f"l2 is {l2!r}; expected a number > 0")
    X = np.hstack([X, np.ones((len(X), 1))])
    penalty = np.full(X.shape[1], float(l2))
    penalty[-1] = 1e-8
    w = np.zeros(X.shape[1])
    for _ in range(_positive("steps", steps)):
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) / len(X) + penalty * w
        hess = (X.T * (p * (1 - p))) @ X / len(X) + np.diag(penalty)
        move = np.linalg.solve(hess, grad)
        w -= move
        if np.abs(move).max() < 1e-12:
            break
    return w


def predict_logistic(w, features):
    """Class 0/1 of each row of ``features`` (N, F) under weights ``w`` from fit_logistic."""
    X = np.asarray(features, dtype=float)
    if X.ndim != 2 or X.shape[1] + 1 != len(w):
        raise ValueError(f"features has shape {X.shape}; expected (N, {len(w) - 1})")
    return (X @ w[:-1] + w[-1] > 0).astype(int)


# ---------------------------------------------------------------- tagging by lookup
class LookupTagger:
    """The most frequent tag of a word in its context, counted in training.

    The context is the ``left`` words before and the ``right`` words after (``<s>`` and
    ``</s>`` beyond the sentence). A context never seen in training backs off: first the
    right context shrinks, then the left, down to the word alone; an unseen word gets the
    most common tag. Ties go to the tag that comes first in sorted order.
    """

    def __init__(self, sentences, tags, left=0, right=0):
        self.left, self.right = _positive("left", left, 0), _positive("right", right, 0)
        if len(sentences) != len(tags):
            raise ValueError(f"sentences has {len(sentences)} items but tags has {len(tags)}; "
                             "expected the same number")
        self.windows = [(l, r) for l in range(self.left, -1, -1)
                        for r in range(self.right, -1, -1) if l == self.left or r == 0]
        self.counts = {w: {} for w in self.windows}
        every = Counter()
        for words, labels in zip(sentences, tags):
            if len(words) != len(labels):
                raise ValueError(f"a sentence has {len(words)} words but {len(labels)} tags")
            for t, tag in enumerate(labels):
                every[tag] += 1
                for w in self.windows:
                    self.counts[w].setdefault(self._key(words, t, w), Counter())[tag] += 1
        self.default = self._best(every)

    @staticmethod
    def _key(words, t, window):
        padded = ["<s>"] * window[0] + list(words) + ["</s>"] * window[1]
        return tuple(padded[t:t + window[0] + 1 + window[1]])

    @staticmethod
    def _best(counter):
        return max(sorted(counter), key=lambda tag: counter[tag])

    def tag(self, words):
        """One tag per word of ``words``."""
        out = []
        for t in range(len(words)):
            for w in self.windows:
                found = self.counts[w].get(self._key(words, t, w))
                if found:
                    out.append(self._best(found))
                    break
            else:
                out.append(self.default)
        return out


# ---------------------------------------------------------------- next token from counts
class NGramModel:
    """P(x_t | the n-1 tokens before it), from counts in training sequences, interpolated:

        P_k(x | c) = (count(c x) + beta * P_{k-1}(x | c')) / (count(c) + beta),

    where c is the k tokens before x, c' is c without its oldest token, and P_0 = 1/V
    (uniform). Near the start of a sequence the context is padded with a start token, so the
    first positions are contexts of their own. ``sequences`` is (N, L) ints in [0, V);
    ``order`` n >= 1 uses up to n - 1 tokens of context.
    """

    def __init__(self, sequences, order, vocab_size, beta=1.0):
        self.order, self.V = _positive("order", order), _positive("vocab_size", vocab_size)
        if not beta > 0:
            raise ValueError(f"beta is {beta!r}; expected a number > 0")
        self.beta = float(beta)
        self.counts = [{} for _ in range(self.order)]     # counts[k][context of k] = (V,)
        for context, x in self._events(sequences):
            for k in range(self.order):
                row = self.counts[k].setdefault(context[len(context) - k:], np.zeros(self.V))
                row[x] += 1

    def _events(self, sequences):
        seqs = np.asarray(sequences)
        if seqs.ndim != 2 or seqs.shape[1] < 2 or seqs.dtype.kind not in "iu":
            raise ValueError(f"sequences has shape {seqs.shape} and dtype {seqs.dtype}; "
                             "expected (N, L) integers with L >= 2")
        if seqs.min() < 0 or seqs.max() >= self.V:
            raise ValueError(f"sequences holds values in [{seqs.min()}, {seqs.max()}]; "
                             f"expected [0, {self.V - 1}]")
        for row in seqs.tolist():
            padded = [-1] * (self.order - 1) + row
            for t in range(self.order, len(padded)):
                yield tuple(padded[t - self.order + 1:t]), padded[t]

    def _mix(self, contexts):
        """(len(contexts), V): the interpolated distribution after each context tuple."""
        p = np.full((len(contexts), self.V), 1.0 / self.V)
        missing = np.zeros(self.V)
        for k in range(self.order):
            rows = np.array([self.counts[k].get(c[len(c) - k:], missing) for c in contexts])
            total = rows.sum(axis=1, keepdims=True)
            p = np.where(total > 0, (rows + self.beta * p) / (total + self.beta), p)
        return p

    def probabilities(self, sequences):
        """(N, L-1, V): the distribution of each token after the first, given those before."""
        seqs = np.asarray(sequences)
        p = self._mix([context for context, _ in self._events(seqs)])
        return p.reshape(seqs.shape[0], seqs.shape[1] - 1, self.V)

    def sample(self, first, length, rng):
        """Write sequences from their first tokens ``first`` (B,): each next token drawn from
        the model given the tokens before it. Returns (length, B) ints, first row ``first``."""
        rows = [[int(x)] for x in np.asarray(first)]
        for _ in range(length - 1):
            contexts = [tuple(([-1] * self.order + row)[-(self.order - 1):])
                        if self.order > 1 else () for row in rows]
            p = self._mix(contexts)
            draws = rng.random((len(rows), 1))
            nxt = np.minimum((p.cumsum(axis=1) < draws).sum(axis=1), self.V - 1)
            for row, x in zip(rows, nxt):
                row.append(int(x))
        return np.array(rows).T

    def nats(self, sequences):
        """Cross-entropy in nats per predicted token (every token after the first)."""
        seqs = np.asarray(sequences)
        p = self.probabilities(seqs)
        return float(-np.mean(np.log(np.take_along_axis(p, seqs[:, 1:, None], -1))))

    @classmethod
    def tuned(cls, sequences, order, vocab_size, betas=(0.1, 1.0, 10.0, 100.0), dev=0.2):
        """The model with the beta of ``betas`` that predicts best the last ``dev`` share of
        ``sequences`` when counted on the rest, then counted on all of ``sequences``."""
        seqs = np.asarray(sequences)
        cut = len(seqs) - max(1, int(round(dev * len(seqs))))
        if cut < 1:
            raise ValueError(f"sequences has {len(seqs)} rows; expected at least 2 to tune")
        model = cls(seqs[:cut], order, vocab_size)
        scores = []
        for beta in betas:
            model.beta = float(beta)
            scores.append(model.nats(seqs[cut:]))
        return cls(seqs, order, vocab_size, betas[int(np.argmin(scores))])


# ---------------------------------------------------------------- copy the closest example
def nearest_neighbour(train_inputs, train_outputs, inputs):
    """Copy the output of the most similar training input.

    train_inputs (T, N) and inputs (T, M) are padded token ids; similarity is the number of
    steps with the same token. train_outputs (..., N) -> (..., M); ties go to the first."""
    train_inputs, inputs = np.asarray(train_inputs), np.asarray(inputs)
    if train_inputs.ndim != 2 or inputs.ndim != 2 or len(train_inputs) != len(inputs):
        raise ValueError(f"train_inputs has shape {train_inputs.shape} and inputs "
                         f"{inputs.shape}; expected (T, N) and (T, M) with the same T")
    train_outputs = np.asarray(train_outputs)
    if train_outputs.shape[-1] != train_inputs.shape[1]:
        raise ValueError(f"train_outputs has shape {train_outputs.shape}; expected (..., "
                         f"{train_inputs.shape[1]})")
    same = (inputs[:, :, None] == train_inputs[:, None, :]).sum(axis=0)     # (M, N)
    return train_outputs[..., same.argmax(axis=1)]


# ---------------------------------------------------------------- a softmax per output step
def _lbfgs(objective, w, tol, memory=10, max_iter=5000):
    """Minimise a smooth convex function from ``w`` by L-BFGS with a backtracking (Armijo)
    line search; ``objective(w) -> (value, gradient)``. Stops when every entry of the
    gradient is below ``tol`` in size. Returns the minimiser. The line search compares
    values, so ``tol`` must be large enough that the value still changes in float64 on the
    way there (about sqrt(1e-16 abs(f) / curvature)); else it raises RuntimeError."""
    value, grad = objective(w)
    steps, changes = [], []                       # s_i = w_{i+1} - w_i, y_i = g_{i+1} - g_i
    for _ in range(max_iter):
        if np.abs(grad).max() < tol:
            return w
        direction, alphas = -grad, []             # the two-loop recursion: -H_k grad
        for s, y in zip(reversed(steps), reversed(changes)):
            alphas.append(np.vdot(s, direction) / np.vdot(y, s))
            direction = direction - alphas[-1] * y
        if steps:
            direction = direction * np.vdot(steps[-1], changes[-1]) / np.vdot(changes[-1],
                                                                               changes[-1])
        for s, y, alpha in zip(steps, changes, reversed(alphas)):
            direction = direction + (alpha - np.vdot(y, direction) / np.vdot(y, s)) * s
        slope = np.vdot(grad, direction)
        if slope >= 0:                            # not a descent direction: restart
            direction, slope, steps, changes = -grad, -np.vdot(grad, grad), [], []
        rate = 1.0 if steps else min(1.0, 1.0 / np.abs(grad).sum())
        while True:
            new_w = w + rate * direction
            new_value, new_grad = objective(new_w)
            if new_value <= value + 1e-4 * rate * slope or rate < 1e-12:
                break
            rate /= 2
        if np.vdot(new_w - w, new_grad - grad) > 1e-12:
            steps = (steps + [new_w - w])[-memory:]
            changes = (changes + [new_grad - grad])[-memory:]
        w, value, grad = new_w, new_value, new_grad
    raise RuntimeError(f"L-BFGS did not reach tol={tol} in {max_iter} iterations")


class StepSoftmax:
    """Write an output sequence token by token, each step from the whole input, no state.

    Output step t gets its own multinomial logistic regression, p(z_t | x) = softmax(W_t f(x)),
    on f(x), the one-hot features of (position, input token) plus a bias: "the word at input
    position p is w". Each is fitted to the minimum of the mean cross-entropy
    + ``(l2 / 2) |W_t|^2`` (convex, with one minimum) by L-BFGS, until every entry of the
    gradient is below ``tol``: training longer cannot change it. ``start``, a StepSoftmax
    fitted to inputs of the same shape (say with another ``l2``), is where the search starts,
    which only makes it faster. It can compose an output from parts (digit t from the words at
    their positions) but keeps nothing from step to step.

    inputs (Tx, N) ints in [0, n_in); outputs (Ty, N) ints in [0, n_out).
    """

    def __init__(self, inputs, outputs, n_in, n_out, l2=1e-3, tol=1e-7, start=None):
        self.n_in, self.n_out = _positive("n_in", n_in), _positive("n_out", n_out)
        X = self._features(inputs)
        Z = np.asarray(outputs)
        if Z.ndim != 2 or Z.shape[1] != len(X) or Z.dtype.kind not in "iu" or \
                Z.min() < 0 or Z.max() >= self.n_out:
            raise ValueError(f"outputs has shape {Z.shape} and dtype {Z.dtype}; expected "
                             f"(Ty, {len(X)}) integers in [0, {self.n_out - 1}]")
        if not l2 > 0:
            raise ValueError(f"l2 is {l2!r}; expected a number > 0")
        if not tol > 0:
            raise ValueError(f"tol is {tol!r}; expected a number > 0")
        N, F, Ty, K = len(X), X.shape[1], len(Z), self.n_out
        shape = (F, Ty, K)          # all output steps in one product: X (N, F) @ (F, Ty K)
        if start is None:
            w = np.zeros(shape)
        elif isinstance(start, StepSoftmax) and start.W.shape == (Ty, F, K):
            w = start.W.transpose(1, 0, 2).copy()
        else:
            raise ValueError(f"start is {start!r}; expected a StepSoftmax with W of shape "
                             f"{(Ty, F, K)}")
        Y = np.eye(K)[Z.T]                                           # (N, Ty, K)

        def objective(w):
            logits = (X @ w.reshape(F, -1)).reshape(N, Ty, K)
            logits = logits - logits.max(axis=-1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
            value = -np.sum(log_p * Y) / N + l2 / 2 * np.sum(w ** 2)
            grad = (X.T @ (np.exp(log_p) - Y).reshape(N, -1)).reshape(shape) / N + l2 * w
            return value, grad

        self.l2 = float(l2)
        self.W = _lbfgs(objective, w, tol).transpose(1, 0, 2)       # (Ty, F, K)

    def _features(self, inputs):
        ids = np.asarray(inputs)
        if ids.ndim != 2 or ids.dtype.kind not in "iu" or ids.min() < 0 or \
                ids.max() >= self.n_in:
            raise ValueError(f"inputs has shape {ids.shape} and dtype {ids.dtype}; expected "
                             f"(Tx, N) integers in [0, {self.n_in - 1}]")
        if hasattr(self, "W") and len(ids) * self.n_in + 1 != self.W.shape[1]:
            raise ValueError(f"inputs has {len(ids)} steps; expected "
                             f"{(self.W.shape[1] - 1) // self.n_in}")
        onehot = np.eye(self.n_in)[ids.T].reshape(ids.shape[1], -1)  # (N, Tx * n_in)
        return np.hstack([onehot, np.ones((len(onehot), 1))])

    def predict(self, inputs):
        """The most likely token of each output step: inputs (Tx, M) -> (Ty, M) ints."""
        return (self._features(inputs) @ self.W).argmax(axis=-1)
