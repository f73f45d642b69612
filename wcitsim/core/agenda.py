"""Clauses and the agenda as arrays: options, status quo, Final Acts. Pure, no preferences, no randomness."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from wcitsim.core import compiled, kernels
from wcitsim.io.scenario import Clause

__all__ = ["AgendaArrays"]


@dataclass(frozen=True)
class AgendaArrays:
    """The active clauses of a scenario as arrays.

    Attributes:
        ids: clause ids, in agenda order (K).
        options: option values, K × O, padded with NaN where a clause has fewer options.
        labels: option labels per clause.
        status_quo: the 1988 option per clause (K).
        final_acts: the Final Acts option per clause, NaN where unknown (K).
        salience: base salience per clause (K).
    """

    ids: tuple[str, ...]
    options: np.ndarray
    labels: tuple[tuple[str, ...], ...]
    status_quo: np.ndarray
    final_acts: np.ndarray
    salience: np.ndarray

    @classmethod
    def from_clauses(cls, clauses: tuple[Clause, ...]) -> AgendaArrays:
        width = max(len(c.values) for c in clauses)
        options = np.full((len(clauses), width), np.nan)
        for k, clause in enumerate(clauses):
            options[k, : len(clause.values)] = clause.values
        return cls(
            ids=tuple(c.id for c in clauses),
            options=options,
            labels=tuple(c.options for c in clauses),
            status_quo=np.array([c.status_quo for c in clauses]),
            final_acts=np.array([np.nan if c.final_acts is None else c.final_acts for c in clauses]),
            salience=np.array([c.salience for c in clauses]),
        )

    @functools.cached_property
    def midpoints(self) -> np.ndarray:
        """The midpoints between each clause's neighbouring options, K × (O − 1), NaN past its options."""
        return np.ascontiguousarray(0.5 * (self.options[:, :-1] + self.options[:, 1:]))

    @functools.cached_property
    def last_option(self) -> np.ndarray:
        """The index of each clause's last option (K)."""
        return (np.isfinite(self.options).sum(axis=1) - 1).astype(np.int64)

    @property
    def k(self) -> int:
        """Number of clauses."""
        return len(self.ids)

    def snap(self, target: np.ndarray) -> np.ndarray:
        """The option nearest to ``target`` on each clause (last axis = clauses); ties go to the lower option."""
        if kernels.compiled():
            return compiled.snap(self, target)
        distance = np.abs(target[..., :, None] - self.options)
        distance = np.where(np.isnan(distance), np.inf, distance)
        index = np.argmin(distance, axis=-1)
        return np.take_along_axis(
            np.broadcast_to(self.options, (*target.shape, self.options.shape[1])), index[..., None], -1
        )[..., 0]

    def label_of(self, k: int, value: float) -> str:
        """The label of the option of clause ``k`` whose value is ``value``."""
        index = int(np.nanargmin(np.abs(self.options[k] - value)))
        return self.labels[k][index]
