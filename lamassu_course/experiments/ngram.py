"""The sceptic's baseline for a character model: an interpolated n-gram (Chapter 3).

``InterpolatedNGram(order, V)`` mixes the maximum-likelihood estimates of every length up
to ``order`` (Jelinek–Mercer interpolation):

    P(c | context) = sum_{n=0..order} lambda_n P_n(c | last n-1 chars),

    P_n(c | x) = count(x c) / count(x)   (counted in the training text, for n >= 1),
    P_0(c)     = 1 / V                    (uniform, so no character has probability 0).

When a context x of length n-1 never occurs in the training text (or the text read so far
is shorter than n-1 characters), P_n takes the value of P_{n-1}: that level adds nothing,
and the distribution still sums to 1. The weights lambda_0..lambda_order do not depend on
the context; ``tune`` sets them by expectation–maximisation (EM) on a text the counts did
not see, which never lowers that text's likelihood.

``KneserNeyNGram(order, V)`` has the same interface: interpolated Kneser–Ney, absolute
discounting with continuation counts below the top level (see its docstring). On Alice it
beats Jelinek–Mercer from order 3 on.

``ngram_ladder`` measures orders 1, 2, ... on a held-out text. Losses are in nats per
character predicted, as in ``charlm``: ``nats_per_char(ids)`` predicts ids[1:], each from
the characters before it in ``ids``. Divide by ln 2 (``charlm.BITS_PER_NAT``) for bits.

Determinism (no BLAS anywhere): counts are integers; probabilities use ``+``, ``*``, ``/`` of IEEE
doubles in a fixed order; ``nats_per_char`` sums ``math.log`` terms with ``math.fsum``
(exact). EM sums each level's shares along one contiguous row (NumPy's pairwise sum, a
fixed order). The Kneser–Ney grid search compares losses with a margin of 1e-12, far above
the last-bit differences of ``np.log`` between CPUs. Checked: the same bits under OpenBLAS
Haswell, Sandybridge, Prescott and with NumPy's AVX-512 loops switched off.
"""
import math

import numpy as np

__all__ = ["InterpolatedNGram", "KneserNeyNGram", "ngram_ladder"]


def _positive_int(name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} is {value!r}; expected an integer >= {least}")
    return int(value)


def _check_ids(name, ids, V, least):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < least:
        raise ValueError(f"{name} has shape {ids.shape} and dtype {ids.dtype}; expected a 1-D "
                         f"array of at least {least} integer indices")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{name} holds values in [{ids.min()}, {ids.max()}]; "
                         f"expected indices in [0, {V - 1}] (V={V})")
    return ids.astype(np.int64)


def _count(table, keys):
    """How often each key occurs in ``table`` = (sorted unique keys, counts); 0 if absent."""
    unique, counts = table
    if len(unique) == 0:
        return np.zeros(keys.shape, dtype=np.int64)
    where = np.minimum(np.searchsorted(unique, keys), len(unique) - 1)
    return np.where(unique[where] == keys, counts[where], 0)


def _check_order(order, vocab_size):
    order, V = _positive_int("order", order), _positive_int("vocab_size", vocab_size)
    if V ** order >= 2 ** 62:
        raise ValueError(f"vocab_size**order = {V}**{order} does not fit the integer keys; "
                         "expected vocab_size**order < 2**62")
    return order, V


def _training_grams(ids, order, V):
    """[(sorted unique keys of the n-grams of ids, their counts) for n = 1..order].

    Key of the n-gram ending at t: context * V + ids[t], where the context key grows one
    character to the left at a time: context_n = context_{n-1} * V + ids[t-n+1]."""
    grams = []
    context = np.zeros(len(ids), dtype=np.int64)
    for n in range(1, order + 1):
        if n > 1:                                           # one more character to the left
            context[n - 1:] = context[n - 1:] * V + ids[:len(ids) - n + 1]
        grams.append(np.unique(context[n - 1:] * V + ids[n - 1:], return_counts=True))
    return grams


def _contexts_of(grams, V):
    """From an n-gram table, its contexts: (keys, total count, number of distinct next chars).
    The context of a key is key // V, so the contexts come out sorted."""
    keys, counts = grams
    prefix = keys // V
    starts = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1]]) if len(keys) else keys
    totals = np.add.reduceat(counts, starts) if len(keys) else counts
    return prefix[starts], totals, np.diff(np.r_[starts, len(keys)])


def _sequence_contexts(ids, order, V):
    """Context keys (order, T-1) and whether they exist, for predicting ids[1:] from the
    characters before each one (row n-1: the last n-1 characters)."""
    T = len(ids)
    context = np.zeros((order, T), dtype=np.int64)
    available = np.zeros((order, T), dtype=bool)
    available[0] = True
    for n in range(2, order + 1):
        context[n - 1, n - 1:] = context[n - 2, n - 1:] * V + ids[:T - n + 1]
        available[n - 1, n - 1:] = True
    return context[:, 1:], available[:, 1:]


def _one_context(context_ids, order, V):
    """Context keys (order, 1) and whether they exist, for the char after context_ids."""
    recent = context_ids[len(context_ids) - min(len(context_ids), order - 1):][::-1]
    context = np.zeros((order, 1), dtype=np.int64)
    available = np.zeros((order, 1), dtype=bool)
    available[0] = True
    for n in range(2, len(recent) + 2):                     # recent[0] is the latest char
        context[n - 1] = context[n - 2] * V + recent[n - 2]
        available[n - 1] = True
    return context, available


def _mean_log_loss(p):
    """-mean ln p, with math.log and an exact sum (math.fsum): the same on every CPU."""
    if p.min() <= 0:            # only if someone set lambda_0 = 0 by hand
        return math.inf
    return -math.fsum(map(math.log, p.tolist())) / len(p)


class InterpolatedNGram:
    """Jelinek–Mercer interpolated character n-gram: P(c | context) = sum_n lambda_n P_n(c | last n-1 chars),
    with P_0 the uniform distribution over the vocabulary (so nothing has probability 0).

    ``order`` N uses up to N-1 characters of context; ``weights`` (N+1,) holds lambda_0
    (uniform) .. lambda_N, uniform 1/(N+1) until ``tune`` sets them. (Chapter 3 names the
    weights by context length instead: its lambda_u is ``weights[0]`` and its lambda_k, for k
    characters of context, is ``weights[k + 1]``.) ``fit`` replaces the
    counts and keeps the weights, so ``fit(a).tune(b).fit(np.concatenate([a, b]))`` is allowed.
    A context is stored as an integer in base V, so V**order must stay below 2**62.
    """

    def __init__(self, order, vocab_size):
        self.order, self.V = _check_order(order, vocab_size)
        self.weights = np.full(self.order + 1, 1.0 / (self.order + 1))
        self.tables = None      # tables[n] = (n-gram table, context table), n = 1..order
        self.tune_nats = []     # tuning nats per char before each EM step and after the last

    def fit(self, ids):
        """Count every n-gram (n = 1..order) of the training ``ids`` (1-D ints); returns self."""
        ids = _check_ids("ids", ids, self.V, least=1)
        self.tables = [None] + [(grams, _contexts_of(grams, self.V)[:2])
                                for grams in _training_grams(ids, self.order, self.V)]
        return self

    def _levels(self, context, chars, available):
        """P_0..P_order for each pair (context, char): (order+1,) + chars.shape, float64."""
        if self.tables is None:
            raise ValueError("the model has no counts yet; call fit(ids) first")
        levels = np.empty((self.order + 1,) + chars.shape)
        levels[0] = 1.0 / self.V
        for n in range(1, self.order + 1):
            grams, contexts = self.tables[n]
            seen = _count(contexts, context[n - 1]) * available[n - 1]
            hits = _count(grams, context[n - 1] * self.V + chars)
            levels[n] = np.where(seen > 0, hits / np.maximum(seen, 1), levels[n - 1])
        return levels

    def _mix(self, levels):
        """sum_n lambda_n P_n, added in the order n = 0, 1, ..., order."""
        total = self.weights[0] * levels[0]
        for n in range(1, self.order + 1):
            total = total + self.weights[n] * levels[n]
        return total

    def tune(self, ids, iterations=20):
        """Set the weights by EM on the tuning ``ids`` (not the training text); returns self.

        E-step: the share of level n in each prediction, lambda_n P_n / sum_m lambda_m P_m.
        M-step: lambda_n = the mean share over the tuning text. Starts from uniform weights.
        """
        if self.tables is None:
            raise ValueError("tune called before fit; call fit(ids) on the training text first")
        ids = _check_ids("ids", ids, self.V, least=2)
        iterations = _positive_int("iterations", iterations, least=0)
        context, available = _sequence_contexts(ids, self.order, self.V)
        levels = self._levels(context, ids[1:], available)
        self.weights = np.full(self.order + 1, 1.0 / (self.order + 1))
        self.tune_nats = []
        for _ in range(iterations):
            mix = self._mix(levels)
            self.tune_nats.append(-np.log(mix).mean())      # for inspection only
            shares = (self.weights[:, None] * levels / mix).sum(axis=1)
            self.weights = shares / math.fsum(shares.tolist())
        self.tune_nats.append(-np.log(self._mix(levels)).mean())
        return self

    def probabilities(self, context_ids):
        """The (V,) distribution of the next character after ``context_ids`` (1-D ints, may be
        empty; only its last order-1 characters matter)."""
        if self.tables is None:
            raise ValueError("the model has no counts yet; call fit(ids) first")
        context_ids = _check_ids("context_ids", context_ids, self.V, least=0)
        context, available = _one_context(context_ids, self.order, self.V)
        return self._mix(self._levels(context, np.arange(self.V)[None, :], available))[0]

    def nats_per_char(self, ids):
        """-(1/(len-1)) sum_{t>=1} ln P(ids[t] | ids[:t]): the loss per character predicted."""
        ids = _check_ids("ids", ids, self.V, least=2)
        context, available = _sequence_contexts(ids, self.order, self.V)
        return _mean_log_loss(self._mix(self._levels(context, ids[1:], available)))


class KneserNeyNGram:
    """Interpolated Kneser–Ney character n-gram (absolute discounting), with the interface of
    ``InterpolatedNGram``: P(c | x) = P^(order)(c | x), where for a context x of n-1 chars

        P^(n)(c | x) = max(N_n(x c) - D_n, 0) / N_n(x .) + D_n T_n(x) / N_n(x .) * P^(n-1)(c | x'),

    x' is x without its oldest char, P^(0) = 1/V, N_order are the counts of the training text,
    N_n for n < order the continuation counts (how many distinct chars precede x c), T_n(x)
    the number of distinct chars seen after x; a context never seen gives P^(n) = P^(n-1).
    ``discounts`` (order,) holds D_1..D_order: Ney's n1 / (n1 + 2 n2) per level after ``fit``
    (clipped to [0.05, 0.95]); ``tune`` moves one D_n at a time to the best value on the grid
    0.05, 0.10, ..., 0.95 for the tuning text, for up to ``iterations`` rounds.
    """

    GRID = np.arange(1, 20) / 20

    def __init__(self, order, vocab_size):
        self.order, self.V = _check_order(order, vocab_size)
        self.discounts = np.full(self.order, 0.5)
        self.tables = None
        self.tune_nats = []     # tuning nats per char after each round (the first: before any)

    def fit(self, ids):
        """Counts (top level) and continuation counts (lower levels) of the training ``ids``,
        and Ney's discounts; returns self."""
        ids = _check_ids("ids", ids, self.V, least=1)
        raw = _training_grams(ids, self.order, self.V)
        self.tables = [None]
        for n in range(1, self.order + 1):
            grams = raw[n - 1]
            if n < self.order:              # N1+(. x c): distinct (n+1)-grams ending in x c
                longer = raw[n][0]
                grams = np.unique((longer // self.V // self.V) * self.V + longer % self.V,
                                  return_counts=True)
            self.tables.append((grams, _contexts_of(grams, self.V)))
        ones = np.array([np.sum(t[0][1] == 1) for t in self.tables[1:]])
        twos = np.array([np.sum(t[0][1] == 2) for t in self.tables[1:]])
        ney = ones / np.maximum(ones + 2 * twos, 1)
        self.discounts = np.clip(np.where(ones + twos > 0, ney, 0.5), 0.05, 0.95)
        self.ney_discounts = self.discounts.copy()
        return self

    def _stats(self, context, chars, available):
        """Per level n: (N_n(x c), N_n(x .), T_n(x)) for each pair (context, char)."""
        if self.tables is None:
            raise ValueError("the model has no counts yet; call fit(ids) first")
        stats = []
        for n in range(1, self.order + 1):
            grams, (keys, totals, types) = self.tables[n]
            seen = _count((keys, totals), context[n - 1]) * available[n - 1]
            stats.append((_count(grams, context[n - 1] * self.V + chars), seen,
                          _count((keys, types), context[n - 1])))
        return stats

    def _probability(self, stats, discounts):
        p = np.full(stats[0][0].shape, 1.0 / self.V)
        for (hits, seen, types), D in zip(stats, discounts):
            per = 1.0 / np.maximum(seen, 1)
            p = np.where(seen > 0, np.maximum(hits - D, 0.0) * per + D * types * per * p, p)
        return p

    def tune(self, ids, iterations=20):
        """Coordinate search of the discounts on the tuning ``ids``, from Ney's; returns self."""
        if self.tables is None:
            raise ValueError("tune called before fit; call fit(ids) on the training text first")
        ids = _check_ids("ids", ids, self.V, least=2)
        iterations = _positive_int("iterations", iterations, least=0)
        context, available = _sequence_contexts(ids, self.order, self.V)
        stats = self._stats(context, ids[1:], available)
        discounts = self.ney_discounts.copy()
        best = -np.log(self._probability(stats, discounts)).mean()
        self.tune_nats = [best]
        for _ in range(iterations):
            before = best
            for n in range(self.order):
                for D in self.GRID:
                    trial = discounts.copy()
                    trial[n] = D
                    loss = -np.log(self._probability(stats, trial)).mean()
                    if loss < best - 1e-12:
                        best, discounts = loss, trial
            self.tune_nats.append(best)
            if best == before:
                break
        self.discounts = discounts
        return self

    def probabilities(self, context_ids):
        """The (V,) distribution of the next character after ``context_ids`` (1-D ints)."""
        if self.tables is None:
            raise ValueError("the model has no counts yet; call fit(ids) first")
        context_ids = _check_ids("context_ids", context_ids, self.V, least=0)
        context, available = _one_context(context_ids, self.order, self.V)
        stats = self._stats(context, np.arange(self.V)[None, :], available)
        return self._probability(stats, self.discounts)[0]

    def nats_per_char(self, ids):
        """-(1/(len-1)) sum_{t>=1} ln P(ids[t] | ids[:t]): the loss per character predicted."""
        ids = _check_ids("ids", ids, self.V, least=2)
        context, available = _sequence_contexts(ids, self.order, self.V)
        return _mean_log_loss(self._probability(self._stats(context, ids[1:], available),
                                                self.discounts))


def ngram_ladder(train_ids, tune_ids, heldout_ids, vocab_size, orders=(1, 2, 3, 4, 5),
                 model=InterpolatedNGram):
    """{order: held-out nats per char} for each order, each fit on train_ids and tuned on tune_ids.

    ``model`` is ``InterpolatedNGram`` (the default) or ``KneserNeyNGram``. For the first,
    the counts of length n are the same for every order >= n, so the largest order makes
    them once and the others share them: the same numbers as fitting each order alone.
    """
    V = _positive_int("vocab_size", vocab_size)
    orders = [_positive_int("orders", order) for order in orders]
    if not orders:
        raise ValueError("orders is empty; expected at least one integer >= 1")
    if model not in (InterpolatedNGram, KneserNeyNGram):
        raise ValueError(f"model is {model!r}; expected InterpolatedNGram or KneserNeyNGram")
    for name, ids in (("train_ids", train_ids), ("tune_ids", tune_ids),
                      ("heldout_ids", heldout_ids)):
        _check_ids(name, ids, V, least=2)
    if model is InterpolatedNGram:
        largest = InterpolatedNGram(max(orders), V).fit(train_ids)
    ladder = {}
    for order in orders:
        fitted = model(order, V)
        if model is InterpolatedNGram:
            fitted.tables = largest.tables[:order + 1]
        else:
            fitted.fit(train_ids)
        ladder[order] = fitted.tune(tune_ids).nats_per_char(heldout_ids)
    return ladder
