"""Polarization, bimodality and group cohesion of a field of positions. Pure functions.

The main axis is each delegation's salience-weighted mean position over the
clauses: 0 is the 1988/narrowest reach everywhere, 1 the widest.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BIMODAL", "bimodality", "cohesion", "esteban_ray", "main_axis"]

#: A bimodality coefficient above 5/9 suggests two modes (SAS Institute; Pfister et al. 2013).
BIMODAL = 5 / 9


def main_axis(position: np.ndarray, salience_norm: np.ndarray) -> np.ndarray:
    """Salience-weighted mean position per delegation, (..., N); ``salience_norm`` sums to 1 over clauses."""
    return (salience_norm * position).sum(axis=-1)


def esteban_ray(x: np.ndarray, bins: int = 10, alpha: float = 1.6) -> np.ndarray:
    """Esteban–Ray (1994) polarization of values in [0, 1], scaled so two equal poles at 0 and 1 give 1.

    P = Σ_a Σ_b π_a^(1+α) π_b |y_a − y_b| over ``bins`` equal bins with centres y.
    """
    idx = np.clip((x * bins).astype(int), 0, bins - 1)
    flat = idx.reshape(-1, x.shape[-1]) + bins * np.arange(int(np.prod(x.shape[:-1], dtype=int)))[:, None]
    counts = np.bincount(flat.ravel(), minlength=flat.shape[0] * bins).reshape(*x.shape[:-1], bins)
    share = counts / x.shape[-1]
    centres = (np.arange(bins) + 0.5) / bins
    distance = np.abs(centres[:, None] - centres[None, :])
    value = np.einsum("...a,...b,ab->...", share ** (1 + alpha), share, distance)
    poles = 2 * 0.5 ** (2 + alpha) * (centres[-1] - centres[0])
    return value / poles


def bimodality(x: np.ndarray) -> np.ndarray:
    """Sample bimodality coefficient (skew² + 1) / (excess kurtosis + 3(n−1)²/((n−2)(n−3)))."""
    n = x.shape[-1]
    d = x - x.mean(axis=-1, keepdims=True)
    d2 = d * d
    m2 = d2.mean(axis=-1)
    safe = np.where(m2 > 0, m2, 1.0)
    g = (d2 * d).mean(axis=-1) / (safe * np.sqrt(safe))
    k = (d2 * d2).mean(axis=-1) / (safe * safe) - 3
    if n > 3:
        g = g * np.sqrt(n * (n - 1)) / (n - 2)
        k = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * k + 6)
        denominator = k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    else:
        denominator = k + 3
    value = np.divide(g**2 + 1, denominator, out=np.ones_like(denominator), where=denominator > 0)
    return np.where(m2 > 0, np.minimum(value, 1.0), 0.0)


def cohesion(x: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """1 − 2 × the mean absolute deviation of members from their group's mean, averaged over groups.

    ``membership`` is G × N with rows summing to 1 over members; 1 means every group is united.
    """
    mean = x @ membership.T  # (..., G)
    member = membership > 0
    deviation = np.abs(x[..., None, :] - mean[..., :, None]) * member  # (..., G, N)
    mad = deviation.sum(axis=-1) / member.sum(axis=-1)
    return 1.0 - 2.0 * mad.mean(axis=-1)
