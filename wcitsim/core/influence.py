"""The caucus-and-influence step without an N × N matrix: linear in delegations and clauses.

One session of caucus and influence is p ← T p with T = I + M − diag(M 1),
M = influence · A + Σ_c cohesion_c · (c's capability shares on its members' rows),
each row of M scaled down when it sums past 1 (:attr:`~wcitsim.core.world.World.transition`).
The ally weights A_ij ∝ c_j · exp(−|x_i − x_j| / h) (j ≠ i, rows summing to 1) are a
one-dimensional exponential kernel: sorted by x, the sums Σ_{j<i} c_j e^{−(x_i − x_j)/h} p_j
follow one another by S_i = e^{−(x_i − x_{i−1})/h} (S_{i−1} + c_{i−1} p_{i−1}), and the
same from the right; equal x (clones of a state) just carry e⁰ = 1. A caucus's pull
is its capability-weighted mean. So

    (T p)_i = p_i + s_i · (influence · (S_i + S'_i) / W_i + Σ_{c ∋ i} cohesion_c · m_c(p)) − pull_i · p_i,

with W_i = Σ_{j≠i} c_j e^{−|x_i − x_j|/h}, s_i the row's scale (1, or 1 / its sum past 1)
and pull_i = s_i · (row sum). Everything here is O(N log N) to build (one sort) and
O(N K) per replication to apply (:func:`~wcitsim.core.kernels_session.influence_step`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Influence", "influence_of"]


@dataclass(frozen=True)
class Influence:
    """The influence step's arrays (N delegations, C caucuses with E seats in all)."""

    order: np.ndarray  # N, delegations sorted by the covariate index (stable)
    decay: np.ndarray  # N − 1, e^{−(x_(t+1) − x_(t)) / h} between neighbours in that order
    capability: np.ndarray  # N
    ally_weight: np.ndarray  # N, s_i · influence / W_i (0 without allies)
    ptr: np.ndarray  # C + 1, where each caucus's seats start in members
    members: np.ndarray  # E, the members of each caucus in turn
    weights: np.ndarray  # E, their capability shares in the caucus (summing to 1)
    entry_pull: np.ndarray  # E, s_i · cohesion of the caucus, for its member i
    pull: np.ndarray  # N, s_i · (row sum of M)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in the order the compiled kernels take them."""
        return (
            self.order, self.decay, self.capability, self.ally_weight, self.ptr, self.members, self.weights,
            self.entry_pull, self.pull,
        )  # fmt: skip

    def apply(self, position: np.ndarray) -> np.ndarray:
        """T p for positions (..., N, K): a new array."""
        from wcitsim.core import kernels
        from wcitsim.core.kernels_session import influence_step

        p = kernels.lanes(position)
        n = p.shape[0]
        q = influence_step(p.reshape(n, -1), *self.arrays(), 0.0, p.reshape(n, -1), p[0].reshape(-1))
        return kernels.stacked(q.reshape(p.shape), np.shape(position)[:-2])


def influence_of(index, capability, bandwidth: float, influence: float, caucuses) -> Influence:
    """The matrix-free influence step for covariate indices ``index`` (N), ``capability`` (N) and ``caucuses``."""
    from wcitsim.core.kernels_session import ally_totals

    index = np.asarray(index, dtype=float)
    capability = np.ascontiguousarray(capability, dtype=float)
    order = np.argsort(index, kind="stable").astype(np.int64)
    decay = np.exp(-np.diff(index[order]) / bandwidth)
    totals = ally_totals(order, decay, capability)
    has_allies = totals > 0
    row = np.where(has_allies, influence, 0.0)
    for caucus in caucuses:
        row[caucus.members] += caucus.cohesion
    scale = np.where(row > 1.0, 1.0 / np.maximum(row, 1e-300), 1.0)  # never pull past the targets
    ally_weight = np.divide(scale * influence, totals, out=np.zeros_like(totals), where=has_allies)
    sizes = [len(c.members) for c in caucuses]
    members = np.concatenate([c.members for c in caucuses]).astype(np.int64) if caucuses else np.zeros(0, int)
    weights = np.concatenate([c.weights for c in caucuses]) if caucuses else np.zeros(0)
    cohesion = np.repeat([c.cohesion for c in caucuses], sizes) if caucuses else np.zeros(0)
    return Influence(
        order=order,
        decay=np.ascontiguousarray(decay),
        capability=capability,
        ally_weight=ally_weight,
        ptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        members=members,
        weights=np.ascontiguousarray(weights, dtype=float),
        entry_pull=np.ascontiguousarray(scale[members] * cohesion, dtype=float),
        pull=np.where(row > 1.0, 1.0, row),
    )
