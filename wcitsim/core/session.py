"""One session's kernels: pure functions over arrays, called by every face of the conference.

Shapes: positions, saliences and interests ``(..., N, K)`` (leading axes are
replications), drafts ``(..., K)``. The vectorised :class:`~wcitsim.core.conference.Conference`
calls them on whole stacks of replications; the per-agent reference model calls
the same functions on one delegation's row, so a rule is written once.
"""

from __future__ import annotations

import numpy as np

from wcitsim.core import compiled, kernels
from wcitsim.core.drafting import BLIND_TO_CAPITALS
from wcitsim.core.measures import field_shape
from wcitsim.core.rules import probabilities_from_gain
from wcitsim.core.utility import utility, utility_gain
from wcitsim.registry import CHAIR_POLICIES

__all__ = [
    "SQRT12",
    "align",
    "chair_draft",
    "concede",
    "field_measures",
    "interact",
    "lobby",
    "pressure",
    "projected_probabilities",
    "session_step",
    "shock",
    "yielding",
]

#: A uniform [0, 1) draw u gives a shock sd · √12 · (u − ½) with standard deviation sd.
SQRT12 = float(np.sqrt(12.0))


def interact(world, position: np.ndarray) -> np.ndarray:
    """Caucus and influence: p ← p + M p − diag(M 1) p = T p, for every replication in one matrix product.

    With the compiled kernels, or above :data:`~wcitsim.core.kernels.DENSE_MAX`
    delegations, the same step without the matrix (:mod:`wcitsim.core.influence`).
    """
    if not kernels.dense_influence(world.n):
        return world.influence.apply(position)
    return np.matmul(world.transition, position)


def yielding(salience: np.ndarray) -> np.ndarray:
    """How readily a delegation concedes on each clause: 1 − salience / its highest salience."""
    return 1.0 - salience / salience.max(axis=-1, keepdims=True)


def pressure(protocol, session: int, sessions: int) -> float:
    """The concession rate in session ``session`` (1-based) of ``sessions``: it rises toward the deadline."""
    return protocol.concession * (session / sessions) ** protocol.deadline_exponent


def concede(position, yield_weight, draft, rate: float) -> np.ndarray:
    """Move toward the draft on the clauses a delegation cares least about, in place: p += rate · yielding · (draft − p)."""
    position += rate * yield_weight * (draft - position)
    return position


def lobby(position, target, pull) -> np.ndarray:
    """A stakeholder pulls positions toward its own on the clauses it lobbies (``target`` finite), in place.

    ``pull`` is the strength on each delegation, broadcasting against ``position[..., 0]``.
    """
    lobbied = np.isfinite(target)
    position[..., lobbied] += pull[..., None] * (target[lobbied] - position[..., lobbied])
    return position


def align(position, draft, status_quo, salience_norm, exponent: float, rate: float) -> np.ndarray:
    """Camps form on the single text, in place: each delegation moves toward the mean of its camp.

    The draft splits the table in two, those it leaves better off than the 1988
    text (by their table positions) and the others; each moves ``rate`` of the way
    toward its camp's mean position, on every clause (the text is one package).
    """
    gain = utility_gain(draft[..., None, :], status_quo, position, salience_norm, exponent)  # (..., N)
    for camp in (gain > 0, gain <= 0):
        w = camp[..., None].astype(float)
        size = w.sum(axis=-2, keepdims=True)
        mean = (w * position).sum(axis=-2, keepdims=True) / np.maximum(size, 1.0)
        position += rate * w * (mean - position)
    return position


def shock(position, uniform, noise: float) -> np.ndarray:
    """A uniform shock with standard deviation ``noise`` from draws in [0, 1), then clipped to [0, 1], in place."""
    position += (noise * SQRT12) * (uniform - 0.5)
    return np.clip(position, 0.0, 1.0, out=position)


def session_step(world, position, yield_weight, draft, uniform, t: int, salience_norm=None) -> np.ndarray:
    """One session's moves after the chair has drafted (``t`` counts from 0); returns the new positions.

    Caucus and influence, then concessions toward the draft on low-salience
    clauses (rising toward the deadline), camps aligning on the draft
    (``protocol.alignment``, needs ``salience_norm``), stakeholders' lobbying, and shocks
    from ``uniform`` (R × N × K draws in [0, 1); with the compiled kernels, also the
    streams' :class:`~wcitsim.core.streams.PendingDraws`, which the kernel draws itself).
    """
    proto = world.scenario.protocol
    if kernels.compiled():
        rate, scale = pressure(proto, t + 1, world.sessions), proto.session_noise * SQRT12
        return compiled.session_step(
            world, position, yield_weight, draft, uniform, rate, scale, salience_norm
        )
    position = interact(world, position)
    position = concede(position, yield_weight, draft[..., None, :], pressure(proto, t + 1, world.sessions))
    if proto.alignment:
        align(
            position, draft, world.agenda.status_quo, salience_norm, world.signing.exponent, proto.alignment
        )
    for target, pull in zip(world.stakeholder_position, world.stakeholder_pull, strict=True):
        lobby(position, target, pull)
    return shock(position, uniform, proto.session_noise)


def chair_draft(world, position, salience, interest, policy: str | None = None) -> np.ndarray:
    """The chair's draft for the current field, (..., K) (``policy`` overrides the scenario's)."""
    host = None if world.host is None else position[..., world.host, :]
    name = policy or world.scenario.chair.policy
    weight = world.capability if policy else world.chair_weight
    deaf = kernels.compiled() and name in BLIND_TO_CAPITALS  # the view would not be read
    context = world.draft_context(host, None if deaf else world.signing_view(interest, position))
    return CHAIR_POLICIES[name](position, salience, weight, context)


def projected_probabilities(world, draft, interest, position, salience_norm, sq_utility) -> np.ndarray:
    """P(sign) of each delegation if ``draft`` were the final text.

    ``sq_utility`` is each delegation's utility of the 1988 text when it does not
    change between sessions (no persuasion), else None.
    """
    a = world.signing.exponent
    if sq_utility is None:
        view = world.signing_view(interest, position)
        gain = utility_gain(draft[..., None, :], world.agenda.status_quo, view, salience_norm, a)
    else:
        gain = utility(draft[..., None, :], interest, salience_norm, a) - sq_utility
    return probabilities_from_gain(gain, world.membership, world.signing)


def field_measures(world, interest, position, salience_norm, previous=None) -> np.ndarray:
    """The field's shape (:data:`~wcitsim.core.measures.FIELD_MEASURES`) on the capitals' view and at
    the table: (..., 2, M), view 0 the interests capitals vote and sign by, view 1 the table positions.

    ``previous`` (a former result) is reused for the capitals' view when it cannot
    have moved (no persuasion: capitals judge by their fixed interests); where the
    two views coincide (at the opening) the field is measured once.
    """
    table = field_shape(position, salience_norm, world.membership)
    if previous is not None and world.scenario.signing.persuasion == 0:
        capitals = previous[..., 0, :]
    else:
        view = world.signing_view(interest, position)
        same = view is position or np.array_equal(view, position)  # at the opening, before anyone moved
        capitals = table if same else field_shape(view, salience_norm, world.membership)
    return np.stack([capitals, table], axis=-2)
