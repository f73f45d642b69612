"""What a stack of replications produced: arrays whose first axis is the replication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["FIELD_VIEWS", "Outcome"]

#: The two views of the field in :attr:`Outcome.field`, in order.
FIELD_VIEWS = ("interest", "table")


@dataclass
class Outcome:
    """What R replications produced; the first axis of every array is the replication.

    Attributes:
        text: the final text, R × K.
        drafts: the chair's draft after each session, R × S × K.
        contested: clauses that lacked consensus at the deadline, R × K.
        tallies: yes/no/abstain on each contested clause, R × K × 3.
        position: final positions, R × N × K.
        gain: utility gain of the final text over the 1988 ITRs, R × N.
        probability: probability of signing, R × N.
        signed: the signing draw, R × N.
        field: the field's shape before the first and after each session, R × (S+1) × 2 × M: view 0 the
            capitals' interests, view 1 the table positions; the measures are
            :data:`~wcitsim.core.measures.FIELD_MEASURES` (NaN for sessions not traced).
        projected: expected signatories of each session's draft, R × S.
        interest: each delegation's seeded ideal point (after noise and overrides), R × N × K.
        salience: its saliences, R × N × K.
        final_draft: the chair's draft put to the floor at the deadline, R × K.
        votes: each delegation's vote on each clause of that draft (1 yes, −1 no, 0 abstain), R × N × K.
        moved: clauses put to the vote by a motion from the floor, R × K; mover: the mover's index (−1: none).
        declared: clauses the chair declared adopted after a show of hands ("taking the temperature"), R × K.
    """

    text: np.ndarray
    drafts: np.ndarray
    contested: np.ndarray
    tallies: np.ndarray
    position: np.ndarray
    gain: np.ndarray
    probability: np.ndarray
    signed: np.ndarray
    field: np.ndarray
    projected: np.ndarray
    interest: np.ndarray
    salience: np.ndarray
    final_draft: np.ndarray
    votes: np.ndarray
    moved: np.ndarray
    mover: np.ndarray
    declared: np.ndarray

    @classmethod
    def concatenate(cls, parts: Sequence[Outcome]) -> Outcome:
        """Stack the outcomes of several batches of replications, in order."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})
