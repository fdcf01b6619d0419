"""A character-level language model, measured (Chapter 3).

* ``nats_per_char``: the model's average loss per character on a text it reads.
* ``unigram_nats`` and ``bigram_nats``: the two baselines any model must beat, counted
  from the training text with add-alpha smoothing.
* ``Monitor``: a callback for ``train_tbptt`` that records the loss on a training and a
  held-out text at regular steps, and samples text at chosen steps.
* ``rate_grid``: held-out loss after the same number of updates, for each learning rate of
  a grid and each seed, so that two optimisers can each be compared at their best rate.
* ``word_set`` and ``word_share``: the words of a text, and the share of the words of a
  sample that are words of the training text.
* ``TextStack`` and ``stack_runs``: many character models trained side by side (one model
  per seed, rate or clipping setting), with the numbers of ``train_tbptt``, faster.
* ``charlm_benchmark``: the results of ``benchmarks/bench_charlm.py``, shipped as data.

Losses are in nats per character (natural log); divide by ln 2 for bits per character.
"""
import json
import re
from importlib.resources import files

import numpy as np

from ..data import one_hot, tbptt_windows
from ..losses import softmax_cross_entropy
from ..sampling import sample
from ..training import train_tbptt

__all__ = ["BITS_PER_NAT", "nats_per_char", "unigram_nats", "bigram_nats", "Monitor",
           "rate_grid", "stack_runs", "word_set", "word_share", "TextStack",
           "charlm_benchmark"]

BITS_PER_NAT = 1.0 / np.log(2.0)   # bits = nats / ln 2


def _ids(name, ids, V):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < 2:
        raise ValueError(f"{name} has shape {ids.shape} and dtype {ids.dtype}; expected a 1-D "
                         "array of at least 2 integer indices")
    if ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"{name} holds values in [{ids.min()}, {ids.max()}]; "
                         f"expected indices in [0, {V - 1}] (V={V})")
    return ids


def nats_per_char(rnn, ids, streams=16):
    """-(1/N) sum_t log p(c_{t+1} | c_1..c_t): the average loss of predicting each next character.

    The text ``ids`` (n,) is cut into ``streams`` equal pieces read side by side (rows of one
    batch), each from h_0 = 0, as ``tbptt_windows`` cuts a training text; the last
    (n - 1) mod streams characters are left out. Returns nats per character (a float).
    """
    V = rnn.sizes[0]
    ids = _ids("ids", ids, V)
    if isinstance(streams, bool) or not isinstance(streams, (int, np.integer)) or streams < 1:
        raise ValueError(f"streams is {streams!r}; expected a positive integer")
    n = (len(ids) - 1) // streams
    if n < 1:
        raise ValueError(f"ids has {len(ids)} entries; need at least streams + 1 = {streams + 1}")
    inputs = ids[: n * streams].reshape(streams, n).T          # (T, B), column b = piece b
    targets = ids[1: n * streams + 1].reshape(streams, n).T
    logits, _ = rnn.forward(one_hot(inputs, V))
    loss, _ = softmax_cross_entropy(logits, targets)         # summed over T, mean over B
    return loss / n


def _check_alpha(alpha):
    if not (isinstance(alpha, (int, float)) and np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha is {alpha!r}; expected a finite number > 0")


def unigram_nats(train_ids, test_ids, V, alpha=1.0):
    """Loss of p(c) = (count(c) + alpha) / (N + alpha V), the same guess at every step.

    Counts come from ``train_ids``; the loss is averaged over test_ids[1:] (the characters a
    next-character model is asked to predict). Returns nats per character.
    """
    _check_alpha(alpha)
    train_ids, test_ids = _ids("train_ids", train_ids, V), _ids("test_ids", test_ids, V)
    counts = np.bincount(train_ids, minlength=V) + alpha
    return float(-np.mean(np.log(counts[test_ids[1:]] / counts.sum())))


def bigram_nats(train_ids, test_ids, V, alpha=0.1):
    """Loss of p(c' | c) = (count(c c') + alpha) / (count(c) + alpha V): the next character
    from the current one only. Counts come from ``train_ids``; the loss is averaged over the
    pairs of ``test_ids``. Returns nats per character."""
    _check_alpha(alpha)
    train_ids, test_ids = _ids("train_ids", train_ids, V), _ids("test_ids", test_ids, V)
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(probs[test_ids[:-1], test_ids[1:]])))


class Monitor:
    """A ``callback(step, rnn)`` for ``train_tbptt``: what the model knows as it trains.

    Every ``every`` updates it records ``nats_per_char`` on ``train_ids`` and ``heldout_ids``
    (in ``steps``, ``train`` and ``heldout``); with ``train_ids=None`` only the held-out text
    is measured (``train`` stays empty), which halves the cost. At each step of ``sample_at``
    it stores a sample of ``length`` characters after ``prime`` in ``samples[step]`` (temperature 1,
    seeded, so the same model gives the same text). Call ``monitor(0, rnn)`` before training
    to record the untrained model. ``streams`` is passed to ``nats_per_char``.
    """

    def __init__(self, vocab, train_ids, heldout_ids, every=50, sample_at=(), prime="Alice ",
                 length=120, seed=0, streams=16):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every is {every!r}; expected a positive integer")
        self.streams = streams
        self.vocab, self.train_ids, self.heldout_ids = vocab, train_ids, heldout_ids
        self.every, self.sample_at = every, set(sample_at)
        self.prime, self.length, self.seed = prime, length, seed
        self.steps, self.train, self.heldout, self.samples = [], [], [], {}

    def __call__(self, step, rnn):
        if step % self.every == 0:
            self.steps.append(step)
            if self.train_ids is not None:
                self.train.append(nats_per_char(rnn, self.train_ids, self.streams))
            self.heldout.append(nats_per_char(rnn, self.heldout_ids, self.streams))
        if step in self.sample_at:
            self.samples[step] = sample(rnn, self.vocab, self.prime, self.length, seed=self.seed)


def rate_grid(new_model, optimizer, rates, seeds, train_ids, heldout_ids, *, updates,
              window=25, batch_size=32, records=None, clip_value=None, clip_norm=None):
    """Held-out nats per character after ``updates`` updates, for every rate and seed.

    ``new_model(seed)`` returns a fresh model; ``optimizer`` is "sgd" or "adagrad". All the
    runs train at once in one ``TextStack``. Each reads the first ``updates * window *
    batch_size + 1`` characters of ``train_ids`` once (cut into ``batch_size`` streams:
    exactly ``updates`` windows), clipped by ``clip_value`` or ``clip_norm`` if given, and is
    measured on ``heldout_ids`` (``TextStack.nats_per_char``). A run that diverges (its
    gradient is not finite) counts as inf. If ``records`` is a dict, records[rate, seed]
    receives the run's "model", its score "nats" and its record ("loss", "grad_norm",
    "steps", "largest": one value per update, see ``TextStack.train``), so that a later
    experiment can reuse it (``clipping.clip_grid``'s ``reuse``).
    Returns an array (len(rates), len(seeds)).
    """
    if len(rates) == 0 or len(seeds) == 0:
        raise ValueError("rates and seeds must each hold at least one value")
    pairs = [(rate, seed) for rate in rates for seed in seeds]
    scores, runs = stack_runs(new_model, optimizer, [dict(seed=seed, lr=rate) for rate, seed
                                                      in pairs],
                              train_ids, heldout_ids, updates=updates, window=window,
                              batch_size=batch_size, clip_value=clip_value, clip_norm=clip_norm)
    if records is not None:
        records.update(zip(pairs, runs))
    return scores.reshape(len(rates), len(seeds))


def stack_runs(new_model, optimizer, settings, train_ids, heldout_ids, *, updates, window=25,
               batch_size=32, clip_value=None, clip_norm=None):
    """Train one model per entry of ``settings`` at once and score each on ``heldout_ids``.

    Each entry is a dict with "seed" (passed to ``new_model``), "lr", and optionally
    "clip_value" or "clip_norm" (else the defaults given here). Each run reads the first
    ``updates * window * batch_size + 1`` characters of ``train_ids``, as in ``rate_grid``.
    Returns (nats per character (n,), inf for a diverged run; and a list of n dicts, each
    the run's "model", its score "nats" and its record from ``TextStack.train``).
    """
    if isinstance(updates, bool) or not isinstance(updates, (int, np.integer)) or updates < 1:
        raise ValueError(f"updates is {updates!r}; expected a positive integer")
    length = updates * window * batch_size + 1
    if length > len(train_ids):
        raise ValueError(f"updates is {updates}: {updates} windows of {window} x {batch_size} "
                         f"need {length} characters; train_ids has {len(train_ids)}")
    for entry in settings:
        if not {"seed", "lr"} <= set(entry) <= {"seed", "lr", "clip_value", "clip_norm"}:
            raise ValueError(f"settings holds {entry!r}; expected a dict with 'seed' and "
                             "'lr', and optionally 'clip_value' or 'clip_norm'")
    models = [new_model(entry["seed"]) for entry in settings]
    stack = TextStack(models, optimizer=optimizer, lrs=[e["lr"] for e in settings],
                      clip_value=[e.get("clip_value", clip_value) for e in settings],
                      clip_norm=[e.get("clip_norm", clip_norm) for e in settings])
    record = stack.train(np.asarray(train_ids)[:length], window=window, batch_size=batch_size)
    scores = np.where(stack.diverged, np.inf, stack.nats_per_char(heldout_ids))
    runs = [dict(model=model, nats=float(scores[m]),
                 **{key: values[m] for key, values in record.items()})
            for m, model in enumerate(models)]
    return scores, runs


def charlm_benchmark():
    """What ``benchmarks/bench_charlm.py`` measured: how long this chapter's model must train
    to beat the best n-gram. The dict it wrote to the package's ``data/charlm_benchmark.json``
    (shipped with the package): "date", "machine", "rnn" (the training settings), "target"
    (the best n-gram's order and held-out bits per character), "cap_seconds", and for each
    setting (H, B, lr) its passes, training seconds, last and best held-out bpc, and the pass
    of the best. Seconds are that machine's CPU time; the bpc are deterministic there."""
    text = files(__package__).joinpath("data", "charlm_benchmark.json").read_text("utf-8")
    return json.loads(text)


def word_set(text):
    """The set of the words of ``text``: runs of the letters a-z, lower-cased."""
    return set(re.findall(r"[a-z]+", text.lower()))


def word_share(sample_text, known_words):
    """The share of the words of ``sample_text`` (runs of letters, lower-cased) that are in
    ``known_words`` (a set of lower-case words). 0.0 if the sample has no word."""
    words = re.findall(r"[a-z]+", sample_text.lower())
    if not words:
        return 0.0
    return sum(word in known_words for word in words) / len(words)


class TextStack:
    """M character models trained side by side on one text: ``train_tbptt`` for many runs.

    Chapter 3 compares rates, clipping thresholds and seeds, each run 100 or more updates
    of a (V, 100, V) model. One model at a time, most of the time goes to the big products
    over all k * B rows of a window, which ``VanillaRNN`` makes for any input; here the
    inputs are characters, so ``W_hx x_t`` is a column of ``W_hx`` (no one-hot product) and
    nobody needs dxs. ``models`` (VanillaRNN, tanh, identity output, one size and dtype) are
    stacked along a leading axis m, and each model's ``params`` become views of its slice, so
    the models always hold the current weights (``nats_per_char`` and ``sample`` read them).

    ``optimizer`` is "sgd" or "adagrad" (the package's ``SGD`` without momentum and
    ``Adagrad``, same formulas); ``lrs``, ``clip_value`` and ``clip_norm`` are one value or
    one per model (None: no clipping of that kind). ``tests/test_charlm.py`` checks that each
    model's gradient and training equal ``train_tbptt``'s to float32 rounding. The stack
    keeps its temporaries in buffers reused from window to window;
    ``tests/test_textstack_buffers.py`` checks that this changes no bit of any result.
    """

    def __init__(self, models, *, optimizer, lrs, clip_value=None, clip_norm=None):
        self.models = list(models)
        M = len(self.models)
        if M == 0:
            raise ValueError("models is empty; expected at least one VanillaRNN")
        for model in self.models:
            if (type(model).__name__ != "VanillaRNN" or model.hidden_activation != "tanh"
                    or model.output_activation != "identity"):
                raise ValueError(f"models holds {model!r}; expected VanillaRNN models with "
                                 "hidden_activation='tanh' and output_activation='identity'")
        kinds = {(m.sizes, m.params["W_hh"].dtype.name) for m in self.models}
        if len(kinds) > 1:
            raise ValueError(f"models have sizes and dtypes {sorted(kinds)}; expected one")
        if optimizer not in ("sgd", "adagrad"):
            raise ValueError(f"optimizer is {optimizer!r}; expected 'sgd' or 'adagrad'")
        self.adagrad = optimizer == "adagrad"
        dtype = self.models[0].params["W_hh"].dtype
        self.lrs = self._per_model("lrs", lrs, M, dtype)
        self.clip_value = self._per_model("clip_value", clip_value, M, dtype)
        self.clip_norm = self._per_model("clip_norm", clip_norm, M, np.float64)
        if np.any(np.isinf(self.lrs)):
            raise ValueError("lrs holds None; expected a learning rate for every model")
        self.params = {name: np.stack([m.params[name] for m in self.models])
                       for name in self.models[0].params}
        for i, model in enumerate(self.models):
            model.params = {name: value[i] for name, value in self.params.items()}
        self.memory = {name: np.zeros_like(v) for name, v in self.params.items()}
        self.diverged = np.zeros(M, dtype=bool)

    @staticmethod
    def _per_model(name, values, M, dtype):
        """(M,) array; None (no clipping) becomes inf. Refuses values <= 0 or a wrong count."""
        values = [values] * M if values is None or np.ndim(values) == 0 else list(values)
        if len(values) != M:
            raise ValueError(f"{name} has {len(values)} values; expected 1 or {M}, one per model")
        out = np.array([np.inf if v is None else v for v in values], dtype=dtype)
        if not np.all(out > 0):
            bad = values[int(np.argmin(out > 0))]
            raise ValueError(f"{name} holds {bad!r}; expected numbers > 0 (or None)")
        return out

    def _buffer(self, name, shape):
        """A reusable scratch array of the stack's dtype, one per name and shape: the same
        array again at the next call, so its contents last only until then (no new memory
        per window, the same numbers)."""
        buffers = self.__dict__.setdefault("_buffers", {})   # subclasses skip __init__
        key = (name, tuple(shape))
        if key not in buffers:
            buffers[key] = np.empty(shape, dtype=self.lrs.dtype)
        return buffers[key]

    def forward(self, inputs, h0):
        """hs (M, k+1, B, H) from h0 (M, B, H), and the log-probabilities log softmax(y_t) of
        every step as rows (M, k*B, V), for character ids ``inputs`` (k, B)."""
        return self._forward(inputs, h0, scratch=False)

    def _forward(self, inputs, h0, scratch):
        """``forward``; with ``scratch=True`` hs and the log-probabilities are written into
        the stack's reusable buffers (valid until the next call with the same shapes)."""
        p = self.params
        M, H, V = p["W_hx"].shape
        k, B = inputs.shape
        dtype = p["W_hh"].dtype
        new = self._buffer if scratch else (lambda _, shape: np.empty(shape, dtype=dtype))
        hs = new("hs", (M, k + 1, B, H))
        hs[:, 0] = h0
        # W_hx x_t + b_h is column x_t of W_hx plus b_h: added once per character of the
        # vocabulary (the same sum of the same two numbers), then picked for every step
        columns = self._buffer("columns", (M, V, H))
        np.add(p["W_hx"].mT, p["b_h"][:, None, :], out=columns)
        hs[:, 1:] = np.take(columns, inputs, axis=1)
        W_hh_T, recurrent = p["W_hh"].mT, self._buffer("recurrent", (M, B, H))
        for t in range(k):                                 # h_t = tanh(W_hh h_{t-1} + ...)
            np.matmul(hs[:, t], W_hh_T, out=recurrent)
            recurrent += hs[:, t + 1]
            np.tanh(recurrent, out=hs[:, t + 1])
        logs = new("logs", (M, k * B, V))                  # y_t = W_yh h_t + b_y
        np.matmul(hs[:, 1:].reshape(M, k * B, H), p["W_yh"].mT, out=logs)
        logs += p["b_y"][:, None, :]
        logs -= logs.max(axis=2, keepdims=True)
        exps = np.exp(logs, out=self._buffer("exps", logs.shape))
        logs -= np.log(exps.sum(axis=2, keepdims=True))
        return hs, logs

    def nats_per_char(self, ids, streams=16, window=100):
        """``nats_per_char`` of every model (M,): the text cut into ``streams`` pieces read
        side by side from h_0 = 0, here ``window`` steps at a time (the state carried)."""
        V, H = self.params["W_hx"].shape[2], self.params["W_hx"].shape[1]
        ids = _ids("ids", ids, V)
        n = (len(ids) - 1) // streams
        if n < 1:
            raise ValueError(f"ids has {len(ids)} entries; need at least {streams + 1}")
        inputs = ids[: n * streams].reshape(streams, n).T
        targets = ids[1: n * streams + 1].reshape(streams, n).T
        total = np.zeros(len(self.models))
        h = np.zeros((len(self.models), streams, H), dtype=self.lrs.dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, n, window):
                hs, logs = self._forward(inputs[start:start + window], h, scratch=True)
                picked = np.arange(logs.shape[1]) * V + targets[start:start + window].ravel()
                total -= logs.reshape(len(self.models), -1)[:, picked].sum(axis=1,
                                                                           dtype=np.float64)
                h = hs[:, -1]
        return total / (n * streams)

    def gradients(self, inputs, targets, h0):
        """Each model's loss on one window and its gradient, as ``VanillaRNN.backward``.

        inputs, targets (k, B) character ids; h0 (M, B, H). Returns (losses (M,) summed
        over the window and averaged over B, as ``softmax_cross_entropy``; grads {name: (M,
        ...)}; the last states (M, B, H)).
        """
        p = self.params
        M, H, V = p["W_hx"].shape
        k, B = inputs.shape
        hs, probs = self._forward(inputs, h0, scratch=True)
        rows = hs[:, 1:].reshape(M, k * B, H)
        picked = np.arange(k * B) * V + targets.reshape(-1)
        flat = probs.reshape(M, -1)
        losses = -flat[:, picked].sum(axis=1, dtype=np.float64) / B
        np.exp(probs, out=probs)                           # p_t = softmax(y_t)
        flat[:, picked] -= 1.0                             # dy_t = (p_t - e_c) / B
        probs /= B
        grads = {"W_yh": probs.mT @ rows, "b_y": probs.sum(axis=1)}
        das = self._buffer("das", (M, k, B, H))            # W_yh^T dy_t, overwritten by da_t
        np.matmul(probs, p["W_yh"], out=das.reshape(M, k * B, H))
        slope = self._buffer("slope", (M, B, H))
        dh = np.zeros((M, B, H), dtype=hs.dtype)
        for t in reversed(range(k)):                       # da_t = g1'(a_t) (dh_t)
            das[:, t] += dh
            np.square(hs[:, t + 1], out=slope)
            np.subtract(1.0, slope, out=slope)             # g1'(a_t) = 1 - h_t^2
            das[:, t] *= slope
            np.matmul(das[:, t], p["W_hh"], out=dh)        # W_hh^T da_t
        da_rows = das.reshape(M, k * B, H)
        grads["W_hh"] = da_rows.mT @ hs[:, :-1].reshape(M, k * B, H)
        eye = self.__dict__.get("_eye")
        if eye is None or eye.shape[0] != V:
            eye = self._eye = np.eye(V, dtype=hs.dtype)
        grads["W_hx"] = da_rows.mT @ eye[inputs.reshape(-1)]
        grads["b_h"] = da_rows.sum(axis=1)
        return losses, grads, hs[:, -1].copy()

    def step(self, grads):
        """Clip and update every model (a diverged one no more). Returns (norms before
        clipping (M,), step lengths (M,), largest move of one weight (M,))."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(grads)

    def _step(self, grads):
        M = len(self.models)
        norms = np.sqrt(sum(np.sum(np.square(g).reshape(M, -1), axis=1, dtype=np.float64)
                            for g in grads.values()))
        finite = np.isfinite(norms)
        self.diverged |= ~finite
        scale = np.where(norms > self.clip_norm, self.clip_norm / norms, 1.0)
        scale = np.where(self.diverged, 0.0, scale).astype(self.lrs.dtype)
        # Steps that would leave every number as it is are skipped: a finite norm means
        # finite gradients (nothing for nan_to_num), clip bounds of +-inf clip nothing, and
        # a scale of 1 multiplies by 1.
        clip, rescale = not np.all(np.isinf(self.clip_value)), not np.all(scale == 1)
        lengths, largest = np.zeros(M), np.zeros(M)
        for name, g in grads.items():
            shape = (M,) + (1,) * (g.ndim - 1)
            work = self._buffer("step " + name, g.shape)
            if not np.all(finite):
                np.nan_to_num(g, copy=False)               # a diverged model's: scale is 0
            if clip:
                np.clip(g, -self.clip_value.reshape(shape), self.clip_value.reshape(shape),
                        out=g)
            if rescale:
                g *= scale.reshape(shape)
            if self.adagrad:                               # m <- m + g^2; lr g / sqrt(m + eps)
                self.memory[name] += np.multiply(g, g, out=work)
                g /= np.sqrt(np.add(self.memory[name], 1e-8, out=work), out=work)
            g *= self.lrs.reshape(shape)
            self.params[name] -= g
            lengths += np.sum(np.square(g, out=work).reshape(M, -1), axis=1, dtype=np.float64)
            largest = np.maximum(largest, np.abs(g, out=work).reshape(M, -1).max(axis=1))
        return norms, np.sqrt(lengths), largest

    def train(self, ids, *, window=25, batch_size=32, epochs=1, callback=None):
        """Truncated BPTT over ``ids`` for every model at once, windows and carried state as
        in ``train_tbptt`` (the state restarts from zeros at each epoch). ``callback(step,
        models)`` runs after every update. Returns {"loss" (nats per character per window),
        "grad_norm" (before clipping), "steps" (length of each update), "largest" (largest
        move of one weight)}, each (M, updates); a diverged model's loss is inf from then on.
        """
        windows = list(tbptt_windows(ids, window, batch_size))
        V, H = self.params["W_hx"].shape[2], self.params["W_hx"].shape[1]
        if np.asarray(ids).max() >= V:
            raise ValueError(f"ids holds values up to {np.asarray(ids).max()}; expected "
                             f"indices in [0, {V - 1}] (V={V})")
        record = {key: [] for key in ("loss", "grad_norm", "steps", "largest")}
        for _ in range(epochs):
            h = np.zeros((len(self.models), batch_size, H), dtype=self.lrs.dtype)
            for inputs, targets in windows:
                with np.errstate(over="ignore", invalid="ignore"):
                    losses, grads, h = self.gradients(inputs, targets, h)
                for key, value in zip(record, (losses / len(inputs),) + self.step(grads)):
                    record[key].append(np.where(self.diverged, np.inf, value))
                if callback is not None:
                    callback(len(record["loss"]), self.models)
        return {key: np.array(values).T for key, values in record.items()}
