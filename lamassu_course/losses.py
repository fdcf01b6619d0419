"""Losses over a sequence, each returning ``(loss, dlogits)``.

The seed's loss is summed over time, L = sum_t L_t. Over a batch of B sequences we take the
mean, so L = (1/B) sum_b sum_t L_{t,b}: a longer sequence has a larger loss, a larger batch
does not. A ``mask`` (T, B) of 0/1 drops padded steps from both sums' terms.
"""
import numpy as np

from ._checks import as_array, check_shape

__all__ = ["softmax_cross_entropy", "mean_squared_error"]


def _mask(mask, shape, dtype):
    if mask is None:
        return np.ones(shape, dtype=dtype)
    check_shape("mask", mask, shape, ("T", "B")[-len(shape):])
    mask = as_array("mask", mask, dtype)
    if np.any((mask != 0) & (mask != 1)):
        raise ValueError("mask holds values other than 0 and 1; expected a 0/1 (or bool) array")
    return mask


def softmax_cross_entropy(logits, targets, mask=None):
    """Cross-entropy of softmax(logits) against integer targets.

    L = (1/B) sum_{t,b} mask_{t,b} * -log softmax(z_{t,b})[target_{t,b}]

    Shapes: logits (T, B, V) and targets (T, B) of ints in [0, V), or (B, V) and (B,) for a
    single step; mask like targets. Returns (loss, dlogits) with
    dlogits = mask * (softmax(z) - onehot(target)) / B. Stable for logits of any finite size:
    log-softmax is computed as z - max(z) - log sum exp(z - max(z)).
    """
    logits = as_array("logits", logits)
    if logits.ndim not in (2, 3):
        raise ValueError(f"logits has shape {logits.shape}; expected (T, B, V) or (B, V)")
    letters = ("T", "B")[3 - logits.ndim:]
    check_shape("targets", targets, logits.shape[:-1], letters)
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise TypeError(f"targets has dtype {targets.dtype}; expected integer class indices")
    V = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= V):
        raise ValueError(f"targets holds values in [{targets.min()}, {targets.max()}]; "
                         f"expected class indices in [0, {V - 1}] (V={V})")
    mask = _mask(mask, targets.shape, logits.dtype)
    B = logits.shape[-2]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    loss = -np.sum(mask * picked) / B
    onehot = np.eye(V, dtype=logits.dtype)[targets]
    dlogits = (np.exp(log_probs) - onehot) * (mask / B)[..., None]
    return float(loss), dlogits


def mean_squared_error(preds, targets, mask=None):
    """Squared error summed over time and outputs, averaged over the batch.

    L = (1/B) sum_{t,b} mask_{t,b} * sum_k (pred_{t,b,k} - target_{t,b,k})^2

    Shapes: preds and targets (T, B, K) or (B, K); mask (T, B) or (B,).
    Returns (loss, dpreds) with dpreds = 2 mask (pred - target) / B.
    """
    preds = as_array("preds", preds)
    if preds.ndim not in (2, 3):
        raise ValueError(f"preds has shape {preds.shape}; expected (T, B, K) or (B, K)")
    letters = ("T", "B", "K")[3 - preds.ndim:]
    check_shape("targets", targets, preds.shape, letters)
    targets = as_array("targets", targets, preds.dtype)
    mask = _mask(mask, preds.shape[:-1], preds.dtype)
    B = preds.shape[-2]
    diff = (preds - targets) * mask[..., None]
    return float(np.sum(diff * diff) / B), 2.0 * diff / B
