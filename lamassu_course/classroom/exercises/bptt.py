"""Checks for Chapter 3, backpropagation through time."""
import numpy as np

from ...experiments.bptt import truncated_gradients
from ...gradcheck import relative_error
from ...init import scaled_normal
from ...layers import hidden_backward, hidden_forward, hidden_step_backward
from ...losses import softmax_cross_entropy
from ...optim import clip_by_global_norm, global_norm
from ...rnn import VanillaRNN
from ._runner import fail as _fail, make_cases as _cases, run_check as _run

# The package's own backward pass: an answer of 3.1 or 3.2 that calls it is refused.
_BACKWARD_CODE = (hidden_step_backward, hidden_backward,
                  (VanillaRNN.backward, "VanillaRNN.backward"))

__all__ = ["check_step_backward", "check_dW_hh_two_steps", "check_clip_by_global_norm",
           "check_truncated_dW_hh", "check_choose_k"]


# ---------------------------------------------------------------- one step backward
def _step_case(rng, B, D, H):
    x_t, h_prev = rng.standard_normal((B, D)), np.tanh(rng.standard_normal((B, H)))
    W_hx, W_hh = scaled_normal(rng, H, D, 1.5), scaled_normal(rng, H, H, 1.2)
    hs = hidden_forward(x_t[None], h_prev, W_hx, W_hh, 0.5 * rng.standard_normal(H))
    return dict(dh_t=rng.standard_normal((B, H)), x_t=x_t, h_prev=h_prev, h_t=hs[1],
                W_hx=W_hx, W_hh=W_hh)


def _step_backward(dh_t, x_t, h_prev, h_t, W_hx, W_hh):
    """The package's BPTT over a sequence of one step is exactly one step backward."""
    dxs, dh_prev, dW_hx, dW_hh, db_h = hidden_backward(
        dh_t[None], x_t[None], np.stack([h_prev, h_t]), W_hx, W_hh)
    return dxs[0], dh_prev, dW_hx, dW_hh, db_h


def _by_hand(c, da=None, W_hh=None, h_for_dW_hh=None):
    """One step backward written out, with one piece swapped for a typical mistake."""
    da = (1 - c["h_t"] ** 2) * c["dh_t"] if da is None else da
    W_hh = c["W_hh"] if W_hh is None else W_hh
    h = c["h_prev"] if h_for_dW_hh is None else h_for_dW_hh
    return da @ c["W_hx"], da @ W_hh, da.T @ c["x_t"], da.T @ h, da.sum(axis=0)


def _with(result, **parts):
    """One step's five gradients with some of them replaced (by name)."""
    names = ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h")
    return tuple(parts.get(name, value) for name, value in zip(names, result))


def _da(c):
    return (1 - c["h_t"] ** 2) * c["dh_t"]


_COLUMN_BACKWARD = ("you wrote the math's column layout (W^T da_t as W.T @ da): here da_t holds "
                    "one example per row (B, H), so the math's W^T da_t becomes da_t @ W, and "
                    "its outer product da_t h^T becomes da_t.T @ h")


def check_step_backward(fn):
    """Check ``fn(dh_t, x_t, h_prev, h_t, W_hx, W_hh) -> (dx_t, dh_prev, dW_hx, dW_hh, db_h)``:
    the gradients of the loss with respect to x_t, h_prev, W_hx, W_hh and b_h, given
    dh_t = dL/dh_t, for one step h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h) with rows as the
    batch. Shapes: dh_t, h_prev, h_t (B, H); x_t (B, D); W_hx (H, D); W_hh (H, H); each
    gradient has the shape of what it is the gradient of (db_h: (H,)).
    An answer that calls the package's hidden_step_backward or hidden_backward is refused."""
    wrong = [
        (lambda c: _by_hand(c, da=c["dh_t"]),
         "g1' is missing: first da_t = (1 - h_t**2) * dh_t, then every product uses da_t"),
        (lambda c: _by_hand(c, da=(1 - c["h_prev"] ** 2) * c["dh_t"]),
         "g1' is taken at h_prev: the step's own output gives tanh'(a_t) = 1 - h_t**2"),
        (lambda c: _by_hand(c, da=(1 - c["h_t"]) * c["dh_t"]),
         "the square is missing in g1': tanh'(a_t) = 1 - h_t**2"),
        (lambda c: _by_hand(c, W_hh=c["W_hh"].T),
         "dh_prev uses W_hh the wrong way round: the forward pass computed h_prev @ W_hh.T, "
         "so the gradient into h_prev is da_t @ W_hh (the math's W_hh^T da_t)"),
        (lambda c: _by_hand(c, h_for_dW_hh=c["h_t"]),
         "dW_hh uses h_t: it needs the state that entered the step, dW_hh = da_t.T @ h_prev"),
        (lambda c: (lambda r: r[:3] + (r[3].T, r[4]))(_by_hand(c)),
         "dW_hh is transposed: it is (to, from), dW_hh = da_t.T @ h_prev, not h_prev.T @ da_t"),
        (lambda c: (lambda r: r[:2] + (r[2].T,) + r[3:])(_by_hand(c)),
         "dW_hx is transposed: it is (H, D), dW_hx = da_t.T @ x_t"),
        (lambda c: (lambda r: r[:4] + ((1 - c["h_t"] ** 2) * c["dh_t"],))(_by_hand(c)),
         "db_h is not summed over the batch: the bias is shared by every row, so "
         "db_h = da_t.sum(axis=0), shape (H,)"),
        (lambda c: (lambda r: (r[0], r[1], r[3], r[2], r[4]))(_by_hand(c)),
         "dW_hx and dW_hh are swapped: return (dx_t, dh_prev, dW_hx, dW_hh, db_h)"),
        (lambda c: _with(_by_hand(c), db_h=_da(c).mean(axis=0)),
         "db_h is averaged over the batch: the bias gradient is the sum, "
         "db_h = da_t.sum(axis=0) (every row of the batch adds its own share to the loss)"),
        (lambda c: _by_hand(c, da=(1 - np.tanh(c["h_t"]) ** 2) * c["dh_t"]),
         "g1' applies tanh again: h_t is already tanh(a_t), so tanh'(a_t) = 1 - h_t**2, "
         "not 1 - tanh(h_t)**2"),
        (lambda c: _with(_by_hand(c), dx_t=_da(c) @ c["W_hx"].T),
         "dx_t uses W_hx the wrong way round: the forward pass computed x_t @ W_hx.T, so the "
         "gradient into x_t is da_t @ W_hx (the math's W_hx^T da_t)"),
        (lambda c: _with(_by_hand(c), dx_t=c["W_hx"].T @ _da(c)), _COLUMN_BACKWARD),
        (lambda c: _with(_by_hand(c), dh_prev=c["W_hh"].T @ _da(c)), _COLUMN_BACKWARD),
        (lambda c: _with(_by_hand(c), dW_hx=_da(c) @ c["x_t"].T), _COLUMN_BACKWARD),
        (lambda c: _by_hand(c, da=(1 - c["h_t"] ** 2) @ c["dh_t"]),
         "g1' multiplies elementwise: da_t = (1 - h_t**2) * dh_t, with *, not @"),
    ]
    expect = {"dx_t": "(B, D)", "dh_prev": "(B, H)", "dW_hx": "(H, D)", "dW_hh": "(H, H)",
              "db_h": "(H,)"}
    cases = _cases(_step_case, [(3, 4, 4), (2, 5, 3), (4, 2, 6), (1, 3, 3), (5, 6, 4)])
    square = _cases(_step_case, [(4, 4, 4), (3, 3, 3)])   # B = D = H: the column layout runs
    return _run("check_step_backward", fn, cases, _step_backward, expect, wrong, probes=square,
                forbidden=_BACKWARD_CODE, own="write the backward step yourself, with NumPy")


# ---------------------------------------------------------------- dW_hh over two steps
# Chapter 1's hand example (same weights and inputs), started from h_0 = (0.5, -0.5),
# with the loss L = y_1 + y_2, y_t = W_yh h_t.
TWO_STEPS = dict(x_1=np.array([1.0, 2.0]), x_2=np.array([0.0, 1.0]), h_0=np.array([0.5, -0.5]),
                 W_hx=np.array([[0.5, 0.0], [0.0, -0.5]]), W_hh=np.array([[0.1, 0.2], [0.0, 0.1]]),
                 b_h=np.array([0.0, 0.1]), W_yh=np.array([[1.0, -1.0]]))


def _two_step_case(rng, D, H, K):
    return dict(x_1=rng.standard_normal(D), x_2=rng.standard_normal(D),
                h_0=np.tanh(rng.standard_normal(H)), W_hx=scaled_normal(rng, H, D, 1.5),
                W_hh=scaled_normal(rng, H, H, 1.2), b_h=0.5 * rng.standard_normal(H),
                W_yh=scaled_normal(rng, K, H))


def _dW_hh(x_1, x_2, h_0, W_hx, W_hh, b_h, W_yh):
    """The package's BPTT for L = sum of the entries of y_1 and y_2 (one sequence, B = 1)."""
    xs = np.stack([x_1, x_2])[:, None]
    hs = hidden_forward(xs, h_0[None], W_hx, W_hh, b_h)
    dhs = np.ones((2, 1, len(W_yh))) @ W_yh                      # dL/dh_t from y_t: W_yh^T 1
    return hidden_backward(dhs, xs, hs, W_hx, W_hh)[3]


def _two_steps_by_hand(c, g1=True, recursion="W_hh^T", terms=(1, 2), h_shift=0, transpose=False,
                       outer=np.outer):
    """The two-step derivation written out, with one piece changed for a typical mistake."""
    h = [c["h_0"]]
    for x in (c["x_1"], c["x_2"]):
        h.append(np.tanh(c["W_hh"] @ h[-1] + c["W_hx"] @ x + c["b_h"]))
    slope = (lambda t: 1 - h[t] ** 2) if g1 else (lambda t: 1.0)
    from_y = c["W_yh"].T @ np.ones(len(c["W_yh"]))                  # W_yh^T dL/dy_t
    da = {2: slope(2) * from_y}
    back = {"W_hh^T": c["W_hh"].T @ da[2], "W_hh": c["W_hh"] @ da[2], "none": 0.0}[recursion]
    da[1] = slope(1) * (from_y + back)
    outer = (lambda a, b, product=outer: product(b, a)) if transpose else outer
    return sum(outer(da[t], h[t - 1 + h_shift]) for t in terms)


HAND_ATOL = 2e-3   # a hand-computed array may be this far off (4 decimals are enough)


def _snapped(value, candidates):
    """A hand-computed array, taken as the candidate (the right answer or a typical mistake)
    it rounds to: the one within HAND_ATOL of every entry, if there is one."""
    for candidate in candidates:
        candidate = _quiet_value(candidate)
        if (candidate is not None and np.shape(candidate) == value.shape
                and np.all(np.abs(value - candidate) <= HAND_ATOL)):
            return np.array(candidate, dtype=float)
    return value


def _quiet_value(make):
    try:
        with np.errstate(all="ignore"):
            return make()
    except Exception:
        return None


def check_dW_hh_two_steps(answer):
    """Check dW_hh for two steps of h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h) with the loss
    L = sum(y_1) + sum(y_2), y_t = W_yh h_t (so dL/dh_t gets W_yh^T 1 from the output).

    ``answer`` is either the (H, H) array you computed for the example ``TWO_STEPS``
    (checked on it alone, to within 2e-3 per entry: a hand computation to 4 decimals
    passes), or a function ``fn(x_1, x_2, h_0, W_hx, W_hh, b_h, W_yh) -> dW_hh`` on 1-D
    vectors (checked on the example and on random cases of other sizes). An answer that
    calls the package's backward pass (hidden_backward, ...) is refused."""
    name = "check_dW_hh_two_steps"
    cases = [dict(TWO_STEPS)] + _cases(_two_step_case, [(3, 4, 2), (2, 3, 1), (4, 2, 3)])
    wrong = [
        (lambda c: _two_steps_by_hand(c, terms=(2,)),
         "only step 2's term: dW_hh = da_2 h_1^T + da_1 h_0^T sums over both steps"),
        (lambda c: _two_steps_by_hand(c, terms=(1,)),
         "only step 1's term: dW_hh = da_2 h_1^T + da_1 h_0^T sums over both steps"),
        (lambda c: _two_steps_by_hand(c, recursion="none"),
         "the recursion is missing: dL/dh_1 = W_yh^T 1 + W_hh^T da_2 (h_1 also feeds h_2)"),
        (lambda c: _two_steps_by_hand(c, recursion="W_hh"),
         "the recursion uses W_hh; it needs the transpose: dL/dh_1 = W_yh^T 1 + W_hh^T da_2"),
        (lambda c: _two_steps_by_hand(c, g1=False),
         "g1' is missing: da_t = (1 - h_t**2) * dL/dh_t"),
        (lambda c: _two_steps_by_hand(c, h_shift=1),
         "each term uses h_t; it needs the state that entered the step: da_t h_{t-1}^T"),
        (lambda c: _two_steps_by_hand(c, transpose=True),
         "dW_hh is transposed: each term is da_t h_{t-1}^T (an outer product, to-from)"),
        (lambda c: _two_steps_by_hand(c, outer=np.dot),
         "you returned a number: on 1-D vectors da_t @ h_{t-1} (and .T does nothing to a 1-D "
         "array) is a dot product; the outer product da_t h_{t-1}^T is np.outer(da_t, h_{t-1})"),
    ]
    if not callable(answer):
        try:
            value = np.array(answer, dtype=float)
        except (TypeError, ValueError):
            return _fail(name, f"expected an array of numbers or a function; got {answer!r}")
        example = cases[0]
        value = _snapped(value, [lambda: _dW_hh(**example)]
                         + [lambda w=w: w(example) for w, _ in wrong])
        answer, cases = (lambda *args: value), cases[:1]
        symptoms = [(lambda got, c: np.max(np.abs(got - _dW_hh(**c))) < 10 * HAND_ATOL,
                     f"close, but not close enough for rounding: keep 4 decimals all the way "
                     f"through (each entry may be off by {HAND_ATOL:g})")]
    else:
        symptoms = []
    return _run(name, answer, cases, _dW_hh, "(H, H)", wrong, symptoms, forbidden=_BACKWARD_CODE,
                own="write the two steps backward yourself, with NumPy")


# ---------------------------------------------------------------- clip by global norm
class _Grads(dict):
    """A dict of gradients whose repr shows shapes, so a hint stays one line."""

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: {np.shape(v)}" for k, v in self.items()) + "}"


def _clip_case(rng, scale, max_norm):
    D, H, K = rng.integers(2, 6, size=3)
    grads = {"W_hx": rng.standard_normal((H, D)), "W_hh": rng.standard_normal((H, H)),
             "b_h": rng.standard_normal(H), "W_yh": rng.standard_normal((K, H)),
             "b_y": rng.standard_normal(K)}
    grads["W_hh"] *= 3.0                                  # one array larger than the others
    total = global_norm(grads)
    return dict(grads=_Grads({k: v * (scale / total) for k, v in grads.items()}),
                max_norm=max_norm)


_CLIP_CASES = [(12.0, 5.0), (30.0, 1.0), (3.0, 5.0), (8.0, 5.0), (0.5, 2.0)]


_KEYS = ("W_hx", "W_hh", "b_h", "W_yh", "b_y")
_CHANGED = "grads changed in place"      # what the check sees when an answer modifies grads


def _flat(result):
    """(dict, norm) -> (array, ..., norm) in the order of _KEYS, so the runner can compare."""
    if (isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[0], dict)
            and set(result[0]) == set(_KEYS)):
        return tuple(result[0][k] for k in _KEYS) + (result[1],)
    return result


def _clip_variant(c, per_array=False, norm_after=False, always=False, power=0.5, inverted=False):
    grads, max_norm = c["grads"], c["max_norm"]
    squares = sum(float(np.sum(g * g)) for g in grads.values())
    norm = squares ** power
    if per_array:
        clipped = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    else:
        scale = max_norm / norm if (always or norm > max_norm) else 1.0
        clipped = {k: g * (1 / scale if inverted else scale) for k, g in grads.items()}
    return _flat((clipped, global_norm(clipped) if norm_after else norm))


def _clip_sum_of_norms(c):
    """Clipping with the norms of the arrays added up, in place of one norm of all entries."""
    norm = sum(float(np.linalg.norm(g)) for g in c["grads"].values())
    scale = c["max_norm"] / norm if norm > c["max_norm"] else 1.0
    return _flat(({k: g * scale for k, g in c["grads"].items()}, norm))


def _over_keys(square):
    """A loop `for g in grads:` that squares each g: it gets the names (str) and raises."""
    return lambda c: sum(np.sum(square(g)) for g in c["grads"])


_OVER_KEYS = ("iterating over a dict gives its keys, the names (strings), not the arrays: loop "
              "over grads.values(), or grads.items() for (name, array) pairs")


def check_clip_by_global_norm(fn):
    """Check ``fn(grads, max_norm) -> (clipped, norm)``: ``grads`` is a dict of arrays; norm is
    sqrt(sum of g**2 over every entry of every array), the norm BEFORE clipping; if it is
    above max_norm every array is multiplied by max_norm / norm, otherwise nothing changes.
    ``clipped`` is a new dict with the same keys; ``grads`` and its arrays are left unchanged
    (the check passes its own arrays and compares them afterwards). An answer that calls the
    package's clip_by_global_norm (or global_norm) is refused."""
    name = "check_clip_by_global_norm"
    if not callable(fn):
        return _fail(name, f"expected a function; got {type(fn).__name__} {fn!r}")

    def answer(grads, max_norm):
        before = {k: np.copy(v) for k, v in grads.items()}
        result = fn(grads, max_norm)             # the case's own arrays, as a student would
        if any(not np.array_equal(grads[k], before[k]) for k in before):
            grads.update(before)                 # restore the case for the reference
            return _CHANGED
        return _flat(result)

    def reference(grads, max_norm):
        return _flat(clip_by_global_norm(dict(grads), max_norm))

    wrong = [
        (lambda c: _clip_variant(c, per_array=True),
         "each array was clipped by its own norm: the global norm treats all the gradients "
         "as one vector, and one scale multiplies every array"),
        (lambda c: _clip_variant(c, norm_after=True),
         "the norm returned is the one after clipping: return the norm before clipping"),
        (lambda c: _clip_variant(c, always=True),
         "a gradient below max_norm was scaled up: only scale when the norm is above max_norm"),
        (lambda c: _clip_variant(c, inverted=True),
         "the scale is upside down: multiply by max_norm / norm (a number below 1)"),
        (lambda c: _clip_variant(c, power=1.0),
         "the norm is missing its square root: norm = sqrt(sum of g**2)"),
        (lambda c: _flat(({k: np.clip(g, -c["max_norm"], c["max_norm"])
                           for k, g in c["grads"].items()}, global_norm(c["grads"]))),
         "that is clipping by value (np.clip): clipping by norm keeps the direction and "
         "scales every entry by the same number"),
        (_clip_sum_of_norms,
         "you added up the norms of the arrays: the global norm is the length of all the "
         "entries as one vector, the square root of the sum of every g**2 (add the squares "
         "of all the arrays, then take one square root)"),
        (_over_keys(lambda g: g ** 2), _OVER_KEYS),
        (_over_keys(lambda g: g * g), _OVER_KEYS),
        (_over_keys(np.square), _OVER_KEYS),
        (_over_keys(np.linalg.norm), _OVER_KEYS),
    ]
    symptoms = [
        (lambda r, c: r is _CHANGED, "grads was changed in place: leave the caller's arrays as "
         "they are and return a new dict (g * scale makes new arrays; g *= scale does not)"),
        (lambda r, c: isinstance(r, dict), "return a pair: (the clipped dict, the norm before "
         "clipping)"),
        (lambda r, c: isinstance(r, (tuple, list)) and len(r) == 2 and isinstance(r[1], dict),
         "the pair is the wrong way round: return (clipped, norm)"),
        (lambda r, c: isinstance(r, (tuple, list)) and len(r) == 2 and not isinstance(r[0], dict),
         "the clipped gradients must be a dict with the same keys as grads"),
    ]
    expect = {f"clipped[{k!r}]": "the shape of grads[" + repr(k) + "]" for k in _KEYS}
    expect["norm"] = ""
    cases = _cases(_clip_case, _CLIP_CASES)
    return _run(name, answer, cases, reference, expect, wrong, symptoms,
                forbidden=(clip_by_global_norm, global_norm),
                own="compute the norm and the clipped arrays yourself, with NumPy")


# ---------------------------------------------------------------- truncation, by hand
def _trunc_case(rng, T, B, V, H, rho, k):
    rnn = VanillaRNN(V, H, V, seed=int(rng.integers(1 << 30)), spectral_radius=rho)
    ids = rng.integers(0, V, size=(T + 1, B))
    return dict(rnn=rnn, xs=np.eye(V)[ids[:-1]], targets=ids[1:], k=k)


def _windows_dW_hh(rnn, xs, targets, starts, length, carry=True, whole=()):
    """Sum of dW_hh over windows xs[s:s+length] for s in ``starts``, each backpropagated on its
    own, the state carried from the end of the window before (or restarted from zeros).
    ``whole`` names what a mistake passes unsliced: "targets" (to the loss) or "xs" (to
    backward)."""
    total, h = np.zeros_like(rnn.params["W_hh"]), None
    for s in starts:
        ys, hs = rnn.forward(xs[s:s + length], h if carry else None)
        dys = softmax_cross_entropy(
            ys, targets if "targets" in whole else targets[s:s + length])[1]
        total += rnn.backward(xs if "xs" in whole else xs[s:s + length], hs, dys)["W_hh"]
        h = hs[-1]
    return total


def _truncated_dW_hh(rnn, xs, targets, k):
    return truncated_gradients(rnn, xs, targets, k)[1]["W_hh"]


def check_truncated_dW_hh(fn):
    """Check ``fn(rnn, xs, targets, k) -> dW_hh``: the gradient of W_hh that truncated BPTT
    computes with windows of k steps, the weights held fixed. Windows xs[0:k], xs[k:2k], ...
    (the last one may be shorter); each starts from the last state of the window before
    (h_0 = zeros for the first) and is backpropagated on its own, with no gradient from the
    next window; dW_hh is the sum over the windows. xs (T, B, V) one-hot, targets (T, B).
    An answer that calls the package's truncated_gradients is refused."""
    T_of = lambda c: len(c["xs"])                                       # noqa: E731
    wrong = [
        (lambda c: _truncated_dW_hh(c["rnn"], c["xs"], c["targets"], T_of(c)),
         "that is the full BPTT gradient: the gradient crossed the window boundaries. Call "
         "backward on each window alone (no dh_last from the next window)"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"], range(0, T_of(c), c["k"]),
                                  c["k"], carry=False),
         "the state restarts from zeros in every window: truncation stops the gradient, not the "
         "state. Start each window from hs[-1] of the window before"),
        (lambda c: _truncated_dW_hh(c["rnn"], c["xs"], c["targets"], c["k"] + 1),
         "your windows are k + 1 steps long: window j covers steps j*k to j*k + k - 1"),
        (lambda c: _truncated_dW_hh(c["rnn"], c["xs"], c["targets"], c["k"] - 1),
         "your windows are k - 1 steps long: window j covers steps j*k to j*k + k - 1"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"], range(0, T_of(c), c["k"]),
                                  c["k"] + 1),
         "your windows overlap by one step (xs[s:s + k + 1]): each step belongs to one window, "
         "xs[s:s + k]"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"],
                                  range(0, T_of(c) - c["k"] + 1, c["k"]), c["k"]),
         "the last, shorter window is missing: when k does not divide T, the steps left over "
         "form one more window"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"],
                                  [range(0, T_of(c), c["k"])[-1]], c["k"]),
         "only the last window's gradient: add up the gradients of all the windows"),
        (lambda c: _truncated_dW_hh(c["rnn"], c["xs"], c["targets"], c["k"])
         / len(range(0, T_of(c), c["k"])),
         "you averaged over the windows: the loss is a sum over all steps, so add the "
         "windows' gradients up"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"], range(0, T_of(c), c["k"]),
                                  c["k"], whole=("targets",)),
         "the loss got all the targets: slice them like the inputs, so that window "
         "xs[s:s + k] is scored against targets[s:s + k]"),
        (lambda c: _windows_dW_hh(c["rnn"], c["xs"], c["targets"], range(0, T_of(c), c["k"]),
                                  c["k"], whole=("xs",)),
         "backward got the whole xs: give it the window's own inputs xs[s:s + k], the ones "
         "its forward pass read"),
    ]
    # (T, B, V, H, spectral radius, k): k does not divide T in three of them
    cases = _cases(_trunc_case, [(13, 1, 5, 6, 1.2, 4), (12, 2, 4, 5, 1.1, 3),
                                 (17, 2, 5, 6, 1.3, 5), (10, 1, 4, 5, 0.9, 2)])
    return _run("check_truncated_dW_hh", fn, cases, _truncated_dW_hh, "(H, H)", wrong,
                forbidden=(truncated_gradients,),
                own="loop over the windows yourself, with rnn.forward and rnn.backward")


# ---------------------------------------------------------------- choosing k
# (T, V, H, spectral radius, tol): cases on which the error is not monotone in k, and every
# mistake of check_choose_k gives a k of its own on at least one case
_K_CASES = [(40, 5, 12, 0.9, 0.3), (30, 5, 8, 0.9, 0.3), (40, 5, 12, 1.3, 0.3),
            (40, 5, 12, 1.3, 0.3),
            (80, 5, 12, 1.5, 0.3)]  # a window outside tol 12 steps above a run within it


def _k_case(rng, T, V, H, rho, tol):
    rnn = VanillaRNN(V, H, V, seed=int(rng.integers(1 << 30)), spectral_radius=rho)
    ids = rng.integers(0, V, size=T + 1)
    return dict(rnn=rnn, xs=np.eye(V)[ids[:-1]][:, None, :], targets=ids[1:, None], tol=tol)


def _k_errors(rnn, xs, targets, measure="relative", reset=False, name="W_hh"):
    """The truncation error of every window k = 1..T (index k - 1), measured one way."""
    full = truncated_gradients(rnn, xs, targets, len(xs))[1]
    errors = []
    for k in range(1, len(xs) + 1):
        if reset:
            grads = {p: 0.0 for p in full}
            for start in range(0, len(xs), k):
                window = truncated_gradients(rnn, xs[start:start + k], targets[start:start + k], k)
                grads = {p: grads[p] + window[1][p] for p in full}
        else:
            grads = truncated_gradients(rnn, xs, targets, k)[1]
        if measure == "global":
            diff = global_norm({p: grads[p] - full[p] for p in full}) / global_norm(full)
        elif measure == "max":
            diff = relative_error(grads[name], full[name])
        elif measure == "absolute":
            diff = np.linalg.norm(grads[name] - full[name])
        elif measure == "truncated":
            diff = np.linalg.norm(grads[name] - full[name]) / np.linalg.norm(grads[name])
        else:
            diff = np.linalg.norm(grads[name] - full[name]) / np.linalg.norm(full[name])
        errors.append(diff)
    return np.array(errors)


def _k_from_errors(errors, tol, search="every larger"):
    """k from the errors of k = 1..T: the smallest k such that k and every larger k are
    within tol ("every larger"), the first k within tol ("first"), bisection ("bisect"), or
    the first k such that k and the next m windows are within tol ("look ahead m")."""
    within = errors <= tol
    if search.startswith("look ahead"):
        m = int(search.split()[-1])
        runs = [k for k in range(1, len(errors) + 1) if within[k - 1:k + m].all()]
        return runs[0]
    if search == "first":
        return int(np.argmax(within)) + 1 if within.any() else len(errors)
    if search == "bisect":
        low, high = 1, len(errors)
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if within[middle - 1] else (middle + 1, high)
        return low
    outside = np.flatnonzero(~within)
    return int(outside[-1]) + 2 if len(outside) else 1


def _k_variant(rnn, xs, targets, tol, search="every larger", **measure):
    return _k_from_errors(_k_errors(rnn, xs, targets, **measure), tol, search)


def _choose_k(rnn, xs, targets, tol):
    return _k_variant(rnn, xs, targets, tol)


def check_choose_k(fn):
    """Check ``fn(rnn, xs, targets, tol) -> k``: the smallest window k (1 <= k <= T) such that
    k and every larger window have a truncated gradient of W_hh within ``tol`` of the full
    one, relative to the full one: ||dW_hh(k') - dW_hh(T)|| <= tol * ||dW_hh(T)|| for every
    k' >= k (Frobenius norms), where dW_hh(k) comes from
    ``truncated_gradients(rnn, xs, targets, k)``. The error need not fall steadily with k, so
    the first k within tol is not always the answer. xs (T, B, V), targets (T, B)."""
    wrong = [
        (lambda c: _k_variant(**c, reset=True),
         "the state was reset to zero in each window: truncated BPTT carries hs[-1] into the "
         "next window and stops only the gradient (truncated_gradients does both)"),
        (lambda c: _k_variant(**c, measure="absolute"),
         "tol is relative: compare ||dW_hh(k) - dW_hh(T)|| with tol * ||dW_hh(T)||"),
        (lambda c: _k_variant(**c, measure="truncated"),
         "you divided by the truncated gradient's norm: tol is relative to the full "
         "gradient, ||dW_hh(k) - dW_hh(T)|| <= tol * ||dW_hh(T)||"),
        (lambda c: _k_variant(**c, measure="global"),
         "you compared all the parameters at once; the question is about dW_hh alone"),
        (lambda c: _k_variant(**c, measure="max"),
         "you used the largest entry (relative_error); use the Frobenius norm of the whole "
         "difference, np.linalg.norm"),
        (lambda c: _k_variant(**c, search="first"),
         "that is the first k within tol, but a larger k falls outside tol again (the error "
         "does not fall steadily with k): return the smallest k after which every k is within"),
        (lambda c: _k_variant(**c, search="look ahead 8"),
         "looking a few windows ahead is not enough: a window far above a run of windows "
         "within tol can fall outside again; check every k up to T"),
        (lambda c: _k_variant(**c, search="bisect"),
         "bisection assumes the error falls steadily with k, and here it does not: check "
         "every k, from T down, and return the smallest k after which every k is within tol"),
        (lambda c: _choose_k(**c) - 1,
         "one too small: you returned the last k that is still outside tol; the answer is the "
         "window after it, the smallest k from which every window is within tol"),
    ]
    cases = _cases(_k_case, _K_CASES)
    return _run("check_choose_k", fn, cases, _choose_k, "", wrong)
