"""The vectorised engine: R replications at once as arrays (replications × delegations × clauses).

Each session is a handful of array operations over all replications: the chair
drafts, groups caucus and allies influence (one matrix product), delegations
concede toward the draft, stakeholders lobby, shocks arrive. At the deadline the
text is settled by the voting rule and each delegation decides whether to sign.
The reference engine (:mod:`wcitsim.model`) does the same per agent on Mesa and
gives the same results for the same seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wcitsim.measures import bimodality, cohesion, esteban_ray, main_axis
from wcitsim.preferences import CHAIR_POLICIES, normalized, utility, utility_gain
from wcitsim.rules import probabilities_from_gain, settle_text, signing_probabilities
from wcitsim.world import Streams, World, initial_state

SQRT12 = float(np.sqrt(12.0))

__all__ = [
    "Outcome",
    "chair_draft",
    "deadline",
    "interact",
    "opening",
    "projected_probabilities",
    "run_iterative",
    "run_vectorized",
    "session_step",
    "yielding",
]


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
        polarization, bimodality, cohesion: of the field before the first and after each session, R × (S+1).
        projected: expected signatories of each session's draft, R × S.
        interest: each delegation's seeded ideal point (after noise and overrides), R × N × K.
        salience: its saliences, R × N × K.
    """

    text: np.ndarray
    drafts: np.ndarray
    contested: np.ndarray
    tallies: np.ndarray
    position: np.ndarray
    gain: np.ndarray
    probability: np.ndarray
    signed: np.ndarray
    polarization: np.ndarray
    bimodality: np.ndarray
    cohesion: np.ndarray
    projected: np.ndarray
    interest: np.ndarray
    salience: np.ndarray


def interact(world: World, position: np.ndarray) -> np.ndarray:
    """Caucus and influence: p ← p + M p − diag(M 1) p = T p, for every replication in one matrix product."""
    return np.matmul(world.transition, position)


def yielding(salience: np.ndarray) -> np.ndarray:
    """How readily a delegation concedes on each clause: 1 − salience / its highest salience."""
    return 1.0 - salience / salience.max(axis=-1, keepdims=True)


def session_step(world: World, position, yield_weight, draft, shock, t: int) -> np.ndarray:
    """One session's moves after the chair has drafted; returns the new positions.

    ``shock`` holds uniform [0, 1) draws; the shock applied is uniform with sd ``session_noise``.

    Caucus and influence, then concessions toward the draft on low-salience
    clauses (rising toward the deadline), stakeholders' lobbying, and shocks.
    """
    proto = world.scenario.protocol
    position = interact(world, position)
    pressure = proto.concession * ((t + 1) / world.sessions) ** proto.deadline_exponent
    position += pressure * yield_weight * (draft[:, None, :] - position)
    for target, pull in zip(world.stakeholder_position, world.stakeholder_pull, strict=True):
        lobbied = np.isfinite(target)
        position[..., lobbied] += pull[:, None] * (target[lobbied] - position[..., lobbied])
    position += (proto.session_noise * SQRT12) * (shock - 0.5)  # uniform shock with sd session_noise
    return np.clip(position, 0.0, 1.0, out=position)


def chair_draft(world: World, position, salience, interest, policy: str | None = None) -> np.ndarray:
    """The chair's draft for the current field, R × K (``policy`` overrides the scenario's)."""
    host = None if world.host is None else position[:, world.host, :]
    draft = CHAIR_POLICIES[policy or world.scenario.chair.policy]
    weight = world.capability if policy else world.chair_weight
    context = world.draft_context(host, world.signing_view(interest, position))
    return draft(position, salience, weight, context)


def deadline(world: World, draft, position, interest, salience, sign_u, votes: bool = True):
    """Settle the text and decide signatures: (text, contested, tallies, gain, probability, signed).

    Capitals instruct their delegations: objections, votes and signatures follow
    each state's interests (moved toward its position at the table by
    ``signing.persuasion``), while the chair drafts from the positions at the table.
    """
    sq = world.agenda.status_quo
    view = world.signing_view(interest, position)
    if votes:
        voting = world.scenario.voting
        text, contested, tallies = settle_text(draft, sq, view, salience, voting, world.signing.exponent)
    else:
        text, contested = draft, np.zeros(draft.shape, dtype=bool)
        tallies = np.zeros((*draft.shape, 3), dtype=int)
    gain, prob = signing_probabilities(text, sq, view, salience, world.membership, world.signing)
    return text, contested, tallies, gain, prob, sign_u < prob


def projected_probabilities(world: World, draft, interest, position, salience_norm, sq_utility) -> np.ndarray:
    """P(sign) of each delegation if ``draft`` were the final text.

    ``sq_utility`` is each delegation's utility of the 1988 text when it does not
    change between sessions (no persuasion), else None.
    """
    a = world.signing.exponent
    if sq_utility is None:
        view = world.signing_view(interest, position)
        gain = utility_gain(draft[:, None, :], world.agenda.status_quo, view, salience_norm, a)
    else:
        gain = utility(draft[:, None, :], interest, salience_norm, a) - sq_utility
    return probabilities_from_gain(gain, world.membership, world.signing)


def _field(world: World, position, salience_norm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = main_axis(position, salience_norm)
    return esteban_ray(x), bimodality(x), cohesion(x, world.membership)


def opening(world: World, streams: Streams):
    """The replications' opening: positions and saliences after the noise, and what stays fixed after it."""
    n, k = world.n, world.agenda.k
    position, salience = initial_state(world, streams.normal((n, k)), streams.normal((n, k)))
    interest = position.copy()
    salience_norm = normalized(salience)
    fixed_view = world.scenario.signing.persuasion == 0
    sq_utility = (
        utility(world.agenda.status_quo, interest, salience_norm, world.signing.exponent)
        if fixed_view
        else None
    )
    return position, salience, interest, salience_norm, sq_utility


def _outcome(
    text, drafts, contested, tallies, position, gain, prob, signed, measures, projected, interest, salience
):
    pol, bim, coh = (np.stack(m, axis=-1) for m in zip(*measures, strict=True))
    return Outcome(
        text,
        drafts,
        contested,
        tallies,
        position,
        gain,
        prob,
        signed,
        pol,
        bim,
        coh,
        projected,
        interest,
        salience,
    )


def run_vectorized(
    world: World, streams: Streams, negotiate: bool = True, policy: str | None = None, trace: bool = True
) -> Outcome:
    """Run the replications whose random streams are ``streams``.

    With ``negotiate`` False there are no sessions and no votes: the chair's draft
    of the seeded field is the text (the one-shot ``compromise`` protocol).
    ``policy`` replaces the chair's drafting policy for the final draft. With
    ``trace`` False the per-session diagnostics (polarization, bimodality,
    cohesion, projected signatories) are computed only at the opening and the
    deadline (NaN between): what sweeps need, a third faster.
    """
    n, k, r = world.n, world.agenda.k, len(streams)
    position, salience, interest, salience_norm, sq_utility = opening(world, streams)
    sessions = world.sessions if negotiate else 0
    drafts = np.empty((r, sessions, k))
    projected = np.empty((r, sessions))
    yield_weight = yielding(salience)
    measures = [_field(world, position, salience_norm)]
    blank = tuple(np.full(r, np.nan) for _ in range(3))
    for t in range(sessions):
        draft = chair_draft(world, position, salience, interest)
        drafts[:, t] = draft
        projected[:, t] = (
            projected_probabilities(world, draft, interest, position, salience_norm, sq_utility).sum(axis=-1)
            if trace
            else np.nan
        )
        shock = streams.uniform((n, k))
        position = session_step(world, position, yield_weight, draft, shock, t)
        measures.append(_field(world, position, salience_norm) if trace or t == sessions - 1 else blank)
    draft = chair_draft(world, position, salience, interest, policy)
    text, contested, tallies, gain, prob, signed = deadline(
        world, draft, position, interest, salience, streams.uniform((n,)), negotiate
    )
    return _outcome(
        text,
        drafts,
        contested,
        tallies,
        position,
        gain,
        prob,
        signed,
        measures,
        projected,
        interest,
        salience,
    )


def run_iterative(world: World, streams: Streams, step, forecast, rounds: int) -> Outcome:
    """Run a protocol that revises positions in rounds and forecasts the text from them.

    ``step(position, salience, state) -> (position, state)`` makes one round for all
    replications (state starts as None); ``forecast(position, salience) -> R × K``
    gives the text the current positions imply (already snapped to options).
    It runs ``rounds`` rounds (a field that has converged no longer moves). There
    is no vote: the last forecast is the text; signing is the shared rule.
    """
    n, k, r = world.n, world.agenda.k, len(streams)
    position, salience, interest, salience_norm, sq_utility = opening(world, streams)
    drafts, projected = np.empty((r, rounds, k)), np.empty((r, rounds))
    measures = [_field(world, position, salience_norm)]
    state = None
    for t in range(rounds):
        draft = forecast(position, salience)
        drafts[:, t] = draft
        projected[:, t] = projected_probabilities(
            world, draft, interest, position, salience_norm, sq_utility
        ).sum(axis=-1)
        position, state = step(position, salience, state)
        measures.append(_field(world, position, salience_norm))
    text = forecast(position, salience)
    _, contested, tallies, gain, prob, signed = deadline(
        world, text, position, interest, salience, streams.uniform((n,)), votes=False
    )
    return _outcome(
        text,
        drafts,
        contested,
        tallies,
        position,
        gain,
        prob,
        signed,
        measures,
        projected,
        interest,
        salience,
    )
