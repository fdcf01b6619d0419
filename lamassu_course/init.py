"""Initialisers for the weights, and the spectral radius of W_hh.

The spectral radius ``rho(W_hh) = max |eigenvalue|`` decides whether the linear part of the
recurrence shrinks or grows a state over many steps (Chapter 4).
"""
import numpy as np

from ._checks import as_array, check_choice, check_shape

__all__ = ["scaled_normal", "orthogonal", "identity", "spectral_radius",
           "with_spectral_radius", "RECURRENT_INITS", "recurrent_matrix"]


def scaled_normal(rng, fan_out, fan_in, gain=1.0):
    """A (fan_out, fan_in) matrix with entries N(0, gain^2 / fan_in).

    With gain 1 the product W v keeps the size of v on average, and a square matrix of this
    kind has its eigenvalues spread over a disk of radius about 1 (the circular law).
    """
    return rng.standard_normal((fan_out, fan_in)) * (gain / np.sqrt(fan_in))


def orthogonal(rng, size, gain=1.0):
    """A random (size, size) orthogonal matrix Q (Q^T Q = I) times ``gain``.

    Q comes from the QR decomposition of a Gaussian matrix, with the signs of R's diagonal
    folded in so that Q is uniformly distributed (Mezzadri, 2007).
    """
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return gain * q * np.sign(np.diag(r))


def identity(rng, size, gain=1.0):
    """``gain`` times the identity (the IRNN of Le, Jaitly & Hinton, 2015); ``rng`` is unused."""
    return gain * np.eye(size)


RECURRENT_INITS = {"scaled_normal": scaled_normal, "orthogonal": orthogonal, "identity": identity}


def recurrent_matrix(rng, size, init="scaled_normal"):
    """W_hh (size, size) drawn by the initialiser named ``init`` (one of ``RECURRENT_INITS``)."""
    check_choice("recurrent_init", init, RECURRENT_INITS)
    if init == "scaled_normal":
        return scaled_normal(rng, size, size)
    return RECURRENT_INITS[init](rng, size)


def spectral_radius(W):
    """``rho(W) = max |lambda_i(W)|`` for a square matrix W."""
    W = as_array("W", W)
    check_shape("W", W, (None, None), ("H", "H"))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W has shape {W.shape}; expected a square matrix (H, H)")
    return float(np.max(np.abs(np.linalg.eigvals(W)))) if W.size else 0.0


def with_spectral_radius(W, rho):
    """W rescaled so that its spectral radius is ``rho`` (eigenvectors unchanged)."""
    current = spectral_radius(W)
    if not np.isfinite(rho) or rho < 0:
        raise ValueError(f"rho is {rho!r}; expected a finite number >= 0")
    if current == 0.0:
        raise ValueError("W has spectral radius 0 (e.g. all zeros); it cannot be rescaled")
    return np.asarray(W, dtype=float) * (rho / current)
