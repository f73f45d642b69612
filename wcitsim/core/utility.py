"""Utility of a text: pure functions over arrays.

Arrays of delegations are shaped ``(..., N, K)``: any leading axes (replications)
broadcast, N delegations, K clauses; texts are ``(..., K)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["normalized", "sign_probability", "utility", "utility_gain"]


def utility(
    text: np.ndarray, position: np.ndarray, salience: np.ndarray, exponent: float = 1.0
) -> np.ndarray:
    """U_i(t) = −Σ_k s_ik · |t_k − p_ik|^a, summed over the last axis."""
    return -(salience * np.abs(text - position) ** exponent).sum(axis=-1)


def normalized(salience: np.ndarray) -> np.ndarray:
    """Saliences scaled to sum to one over clauses (a delegation with none gets equal weights)."""
    total = salience.sum(axis=-1, keepdims=True)
    k = salience.shape[-1]
    return np.divide(salience, total, out=np.full_like(salience, 1.0 / k), where=total > 0)


def utility_gain(text, status_quo, position, salience_norm, exponent: float = 1.0) -> np.ndarray:
    """U_i(text) − U_i(1988 text) with normalised saliences: in [−1, 1]."""
    return utility(text, position, salience_norm, exponent) - utility(
        status_quo, position, salience_norm, exponent
    )


def sign_probability(gain, group_share, conformity, intercept, shift, temperature) -> np.ndarray:
    """P(sign) = logistic((ΔU + κ·(share of the group signing − ½) + intercept − shift) / τ)."""
    z = (gain + conformity * (group_share - 0.5) + intercept - shift) / temperature
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, stable for large |z|


# --------------------------------------------------------------------------- seeding
