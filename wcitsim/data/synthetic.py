"""Synthetic populations: conferences of any size, cloned from the seated Member States.

A scenario's ``[population] size = N`` seats N delegations instead of the seated
states (docs/model.md, "Synthetic populations"). With S states seated:

- N ≥ S: every seated state once, under its own ISO3 code, then N − S clones drawn
  uniformly with replacement from the seated states;
- N < S: N distinct seated states drawn without replacement, in their seated order.

A clone carries its state's row of ``states.csv`` (its groups, blocs and
covariates) and is coded ``ISO3-2``, ``ISO3-3``, … in the order the copies appear
(:func:`clone_labels`). The draw comes from the numpy Generator handed in: the
same seed, the same population. Everything here is linear in N.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["clone_labels", "copy_numbers", "synthetic_rows"]


def synthetic_rows(seated: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Which of the ``seated`` states each of ``size`` delegations copies: indices, originals first."""
    if size >= seated:
        return np.concatenate([np.arange(seated), rng.integers(0, seated, size - seated)])
    return np.sort(rng.choice(seated, size, replace=False))


def copy_numbers(rows: np.ndarray) -> np.ndarray:
    """Each delegation's copy number of its state, in the order they appear: 1 for a state's first seat."""
    rows = np.asarray(rows)
    order = np.argsort(rows, kind="stable")
    ranked = rows[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    out = np.empty(len(rows), dtype=np.int64)
    out[order] = np.arange(len(rows)) - first + 1
    return out


def clone_labels(labels: Sequence[str], rows: np.ndarray, pattern: str = "{label}-{copy}") -> tuple[str, ...]:
    """The seated states' ``labels`` for each delegation of ``rows``; a clone's as ``pattern`` with its copy number."""
    values = np.asarray(labels, dtype=object)[np.asarray(rows)]
    copies = copy_numbers(rows)
    return tuple(
        label if copy == 1 else pattern.format(label=label, copy=copy)
        for label, copy in zip(values.tolist(), copies.tolist(), strict=True)
    )
