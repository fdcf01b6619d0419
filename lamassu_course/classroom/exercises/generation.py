"""Checks for Chapter 5's design-or-train exercises: a training run (one-to-one) and the
feedback loop that writes a melody (one-to-many)."""
import numpy as np

from ...activations import softmax
from ...data import one_hot
from ...experiments.baselines import fit_logistic, predict_logistic
from ...experiments.seq2seq import generate
from ...experiments.tasks import two_moons
from ...rnn import VanillaRNN
from ._runner import NOT_WRITTEN, fail as _fail, run_check as _run

__all__ = ["check_training_run", "check_generation_loop"]


# ---------------------------------------------------------------- one-to-one: a training run
MAX_HIDDEN, MARGIN, SEEDS = 4, 0.05, (0, 1, 2)


def _moons():
    """The check's own two-moons data (not the page's): 400 training, 200 held-out points."""
    points, labels = two_moons(np.random.default_rng(50), 600, noise=0.2)
    return points[:400][None], labels[:400], points[400:][None], labels[400:]


def _trained(fn, train_x, train_y, seed):
    """fn's network for one seed, or a message saying what is wrong with the answer."""
    try:
        with np.errstate(all="ignore"):
            model = fn(np.copy(train_x), np.copy(train_y), seed)
    except NotImplementedError:
        return None, NOT_WRITTEN
    except Exception as error:  # the student's bug, reported in their terms
        return None, f"your function raised {type(error).__name__}: {error} (seed {seed})"
    if model is None:
        return None, "returned None: did you forget to `return` the trained network?"
    if isinstance(model, dict):
        return None, ("returned a dict: `train` returns the history; the network is trained "
                      "in place, so return the network itself")
    if not isinstance(model, VanillaRNN):
        return None, (f"returned a {type(model).__name__}; expected the trained network, a "
                      "VanillaRNN (the check predicts the held-out points with it)")
    D, H, K = model.sizes
    if (D, K) != (2, 2):
        return None, f"the network has D = {D} inputs and K = {K} outputs; expected 2 and 2"
    if H > MAX_HIDDEN:
        return None, (f"the network has H = {H} hidden units; this exercise allows at most "
                      f"{MAX_HIDDEN}: make a small one learn")
    return model, None


def _predict(model, xs):
    with np.errstate(all="ignore"):
        return model.forward(xs)[0][-1].argmax(axis=-1)


def _untrained(model, seed):
    """True if ``model`` holds the weights VanillaRNN(2, H, 2, seed=seed) starts from."""
    fresh = VanillaRNN(2, model.sizes[1], 2, seed=seed).params
    return all(np.array_equal(model.params[k], v) for k, v in fresh.items())


def check_training_run(fn):
    """Check ``fn(train_x, train_y, seed) -> rnn``: a training run that returns a trained
    one-step VanillaRNN with at most 4 hidden units, seeded by ``seed`` (its weights and the
    order of its minibatches). train_x (1, N, 2) points as sequences of one step, train_y (N,)
    labels 0/1. The check uses its own two-moons data, trains with seeds 0, 1 and 2, and
    passes when every network's held-out accuracy beats the linear classifier's by more
    than 0.05, the page's margin."""
    name = "check_training_run"
    if not callable(fn):
        return _fail(name, f"expected a function; got {type(fn).__name__} {fn!r}")
    train_x, train_y, test_x, test_y = _moons()
    linear = float(np.mean(predict_logistic(fit_logistic(train_x[0], train_y), test_x[0])
                           == test_y))
    needed, models, predictions = linear + MARGIN, [], []
    for seed in SEEDS:
        model, problem = _trained(fn, train_x, train_y, seed)
        if problem:
            return _fail(name, problem)
        models.append(model)
        predictions.append(_predict(model, test_x))
    again, problem = _trained(fn, train_x, train_y, SEEDS[0])
    if problem:
        return _fail(name, problem)
    if not all(np.array_equal(again.params[k], v) for k, v in models[0].params.items()):
        return _fail(name, "two runs with seed 0 gave different networks: seed the weights "
                           "(VanillaRNN(..., seed=seed)) and the minibatch order "
                           "(np.random.default_rng(seed))")
    if all(np.array_equal(models[1].params[k], v) for k, v in models[0].params.items()):
        return _fail(name, "seeds 0 and 1 gave the same network: use `seed` for the weights "
                           "and the minibatch order, not a fixed number")
    for seed, model, predicted in zip(SEEDS, models, predictions):
        accuracy = float(np.mean(predicted == test_y))
        if accuracy > needed:
            continue
        where = f"seed {seed}: held-out accuracy {accuracy:.3f}, needs > {needed:.3f}"
        if _untrained(model, seed):
            return _fail(name, "the network is untrained: it still has its initial weights. "
                               "Call `train` on it (it trains in place) before returning it",
                         where)
        if len(np.unique(predicted)) == 1:
            return _fail(name, "the network names the same class for every point: is the "
                               "loss last_step_cross_entropy, with the labels as targets?",
                         where)
        return _fail(name, f"no better than a straight line (the linear classifier scores "
                           f"{linear:.3f}): with H = {model.sizes[1]} units this run has not yet "
                           "bent the boundary; try a larger learning rate or more updates",
                     where)
    print(f"✓ {name}: H = {models[0].sizes[1]}, seeds {', '.join(map(str, SEEDS))}: every "
          f"network beats\n   the linear classifier ({linear:.3f}) by more than {MARGIN:g} "
          "on the held-out points")
    return True


# ---------------------------------------------------------------- one-to-many: the feedback loop
class _Draw:
    """The check's ``draw(p)``: one note per melody from probabilities p (B, V), drawn from a
    seeded generator exactly as ``seq2seq.generate`` draws (so the same seed gives the same
    notes). It refuses what is not a batch of probabilities."""

    def __init__(self, seed, V):
        self.rng, self.V = np.random.default_rng(seed), V

    def __call__(self, p):
        p = np.asarray(p)
        if p.ndim != 2 or p.shape[1] != self.V:
            raise ValueError(f"draw(p) got shape {p.shape}; expected (B, V) = (B, {self.V}): "
                             "the softmax of the one step's output ys[0]")
        if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0):
            raise ValueError("draw(p) got numbers that are not probabilities (rows must be "
                             ">= 0 and sum to 1): apply softmax to the output y_t first")
        draws = self.rng.random((len(p), 1))
        return np.minimum((p.cumsum(axis=-1) < draws).sum(axis=-1), self.V - 1)

    def __repr__(self):
        return "draw"


class _Seed(int):
    """The seed of the check's ``draw``, shown in a hint as what the function receives."""

    def __repr__(self):
        return "draw"


class _Network(VanillaRNN):
    """A VanillaRNN whose repr in a hint is short."""

    def __repr__(self):
        D, H, _ = self.sizes
        return f"VanillaRNN(V={D}, H={H})"


def _network_case(rng, V, H, B, length):
    rnn = _Network(V, H, V, seed=int(rng.integers(1 << 30)))
    for name, value in rnn.params.items():          # larger weights: the state matters
        value *= 2.5
        if name.startswith("b"):
            value += rng.standard_normal(value.shape)
    return dict(rnn=rnn, first=rng.integers(0, V, B), length=length,
                draw=_Seed(rng.integers(1 << 30)))


def _loop(rnn, first, length, draw, carry=True, feed="drawn", draws=None, keep_first=True):
    """The feedback loop with one typical mistake switched on."""
    V, draw = rnn.sizes[0], _Draw(draw, rnn.sizes[0])
    notes, h, x = [np.asarray(first)], None, one_hot(first, V)
    for _ in range(length - 1 if draws is None else draws):
        ys, hs = rnn.forward(x[None], h if carry else None)
        h, p = hs[-1], softmax(ys[0])
        notes.append(draw(p))
        x = p if feed == "probabilities" else one_hot(
            {"drawn": notes[-1], "first": first, "argmax": p.argmax(axis=-1)}[feed], V)
    return np.array(notes if keep_first else notes[1:])


def _generated(rnn, first, length, draw):
    return generate(rnn, first, length, np.random.default_rng(draw))


def _first_difference(result, case):
    expected = _generated(**case)
    steps, melodies = np.nonzero(np.asarray(result) != expected)
    if len(steps) == 0:
        return None
    return (f"note {steps[0] + 1} of melody {melodies[0] + 1} differs from `generate`'s with "
            "the same draws (notes are counted from 1, the first note included)")


def check_generation_loop(fn):
    """Check ``fn(rnn, first, length, draw) -> notes``: one-to-many generation with feedback.
    Read the first notes ``first`` (B,) as one-hot inputs, then ``length - 1`` times: run one
    step of ``rnn`` from the state it reached, turn its output into probabilities with the
    softmax, pick a note per melody with ``draw(p)`` and feed that note back as the next
    input. Returns the notes (length, B), the first row being ``first``. The check's ``draw``
    is seeded, so the notes must equal ``seq2seq.generate``'s with the same generator."""
    def mistake(**variant):
        return lambda c: _loop(c["rnn"], c["first"], c["length"], c["draw"], **variant)
    wrong = [
        (mistake(carry=False), "each step starts again from h_0 = 0: carry the state, pass "
                               "the last state hs[-1] as h0 of the next step's forward"),
        (mistake(feed="first"), "you feed the first note at every step: feed back the note "
                                "just drawn"),
        (mistake(feed="argmax"), "you feed back the most likely note, not the one drawn: the "
                                 "next input is the note the network wrote"),
        (mistake(feed="probabilities"), "you feed back the probabilities: the next input is "
                                        "the one-hot vector of the note drawn"),
        (mistake(draws=None, keep_first=False), "the first note is missing: the melody starts "
                                                "with `first`"),
        (lambda c: _loop(c["rnn"], c["first"], c["length"], c["draw"], draws=c["length"]),
         "one note too many: `length` counts the first note, so draw length - 1 times"),
        (lambda c: _loop(c["rnn"], c["first"], c["length"], c["draw"],
                         draws=c["length"] - 2),
         "one note too few: `length` counts the first note, so draw length - 1 times"),
        (lambda c: _loop(c["rnn"], c["first"], c["length"], c["draw"], draws=c["length"],
                         keep_first=False),
         "the first note is missing and one note too many is drawn: return `first`, then "
         "length - 1 drawn notes"),
    ]
    if not callable(fn):
        return _fail("check_generation_loop",
                     f"expected a function; got {type(fn).__name__} {fn!r}")

    def answer(rnn, first, length, draw):          # a fresh seeded draw for every call
        return fn(rnn, first, length, _Draw(draw, rnn.sizes[0]))

    cases = [_network_case(np.random.default_rng(1000 + number), *size) for number, size in
             enumerate([(5, 4, 3, 6), (7, 6, 2, 8), (4, 3, 4, 5), (6, 5, 1, 9)])]
    return _run("check_generation_loop", answer, cases, _generated, "(length, B)", wrong,
                judge=_first_difference)
