"""Voting and signing rules at the deadline: pure functions over arrays.

Shapes: positions and saliences ``(..., N, K)``; texts ``(..., K)``.
"""

from __future__ import annotations

import numpy as np

from wcitsim.core import compiled, kernels
from wcitsim.core.utility import normalized, sign_probability, utility_gain

__all__ = [
    "apply_votes",
    "clause_votes",
    "consensus_draft",
    "contested_clauses",
    "delegation_votes",
    "floor_motions",
    "group_share",
    "lacks_consensus",
    "lost_votes",
    "objections",
    "passes",
    "probabilities_from_gain",
    "settle_text",
    "signing_probabilities",
    "tally",
]


def objections(draft, status_quo, position, salience, exponent: float, threshold: float) -> np.ndarray:
    """Which delegations object to each clause of the draft: (..., N, K) booleans.

    A delegation objects when the draft's option leaves it worse off than the 1988
    text on that clause by more than ``threshold`` (normalised salience × distance).
    """
    s = normalized(salience)
    loss = s * (
        np.abs(draft[..., None, :] - position) ** exponent - np.abs(status_quo - position) ** exponent
    )
    return loss > threshold


def delegation_votes(draft, status_quo, position, exponent: float, band: float) -> np.ndarray:
    """Each delegation's vote on each clause, draft option against the 1988 option: (..., N, K) of 1, −1, 0.

    A delegation votes yes (1) when the draft option is nearer its position than the
    1988 option by more than ``band``, no (−1) in the opposite case, and abstains (0) otherwise.
    """
    if kernels.compiled():
        return compiled.delegation_votes(draft, status_quo, position, exponent, band)
    d_draft = np.abs(draft[..., None, :] - position) ** exponent
    d_sq = np.abs(status_quo - position) ** exponent
    return (d_draft < d_sq - band).astype(np.int8) - (d_sq < d_draft - band).astype(np.int8)


def tally(votes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Counts of yes, no and abstain on each clause from votes (..., N, K): (..., K, 3).

    ``weights`` (N) counts each delegation's vote with its weight (its chance of
    being entitled to vote); None counts every vote 1.
    """
    if kernels.compiled():
        return compiled.tally(votes, weights)
    if weights is None:
        yes, no = (votes == 1).sum(axis=-2), (votes == -1).sum(axis=-2)
        return np.stack([yes, no, votes.shape[-2] - yes - no], axis=-1)
    w = weights[:, None]
    return np.stack([((votes == v) * w).sum(axis=-2) for v in (1, -1, 0)], axis=-1)


def floor_motions(draft, status_quo, agenda, view, salience, weights, exponent: float, stake: float):
    """Motions from the floor: on a clause the draft leaves at 1988, a delegation may move another option.

    Each delegation entitled to vote (``weights`` > 0) prefers the option nearest
    its view; its stake in it is ŝ_ik · (|sq_k − v_ik|^a − |o_ik − v_ik|^a). On each
    clause the delegation with the largest stake moves its option if that stake
    reaches ``stake``. Returns the draft with the motions in it (..., K), which
    clauses were moved (..., K) and the mover's index (..., K; −1 where none).
    """
    if kernels.compiled():
        return compiled.floor_motions(draft, status_quo, agenda, view, salience, weights, exponent, stake)
    preferred = agenda.snap(view)  # (..., N, K)
    s = normalized(salience)
    gain = s * (np.abs(status_quo - view) ** exponent - np.abs(preferred - view) ** exponent)
    gain = np.where((weights > 0)[:, None], gain, -np.inf)
    mover = gain.argmax(axis=-2)  # (..., K)
    best = np.take_along_axis(gain, mover[..., None, :], axis=-2)[..., 0, :]
    option = np.take_along_axis(preferred, mover[..., None, :], axis=-2)[..., 0, :]
    moved = (draft == status_quo) & (option != status_quo) & (best >= stake)
    return np.where(moved, option, draft), moved, np.where(moved, mover, -1)


def lost_votes(votes, contested, passed) -> np.ndarray:
    """Which delegations lost the vote on each clause (..., N, K): no on a clause adopted, yes on one that fell."""
    if kernels.compiled():
        return compiled.lost_votes(votes, contested, passed)
    c, p = contested[..., None, :], passed[..., None, :]
    return c & (((votes == -1) & p) | ((votes == 1) & ~p))


def clause_votes(draft, status_quo, position, exponent: float, band: float) -> np.ndarray:
    """Votes on each clause, draft option against the 1988 option: (..., K, 3) counts of yes, no, abstain."""
    return tally(delegation_votes(draft, status_quo, position, exponent, band))


def contested_clauses(draft, status_quo, position, salience, voting, exponent: float) -> np.ndarray:
    """Which clauses of the draft lack consensus, (..., K): changed from 1988, and too many delegations object."""
    if kernels.compiled():
        share = compiled.objecting_share(
            draft, status_quo, position, salience, exponent, voting.objection_threshold
        )
        return (draft != status_quo) & lacks_consensus(share, voting)
    objecting = objections(draft, status_quo, position, salience, exponent, voting.objection_threshold)
    return (draft != status_quo) & lacks_consensus(objecting.mean(axis=-2), voting)


def consensus_draft(draft, status_quo, position, salience, voting, exponent: float, keep=None) -> np.ndarray:
    """The draft with every clause that lacks consensus back at its 1988 option, (..., K).

    The chair drafts only what has consensus and leaves the rest to a motion from
    the floor; ``keep`` (..., K) marks clauses it keeps whatever the objections
    (those declared adopted by the show of hands).
    """
    lacking = contested_clauses(draft, status_quo, position, salience, voting, exponent)
    if keep is not None:
        lacking &= ~keep
    return np.where(lacking, status_quo, draft)


def apply_votes(draft, status_quo, contested, tallies, voting):
    """The final text and the recorded tallies: a contested clause that does not pass falls back to 1988.

    Tallies (..., K, 3) are kept only on contested clauses (zero elsewhere, and under the consensus rule).
    """
    final = np.where(contested & ~passed_clauses(tallies, voting), status_quo, draft)
    return final, np.where(contested[..., None] & (voting.rule != "consensus"), tallies, 0)


def passed_clauses(tallies, voting) -> np.ndarray:
    """Whether each clause's tally (..., K, 3) passes under the voting rule, (..., K)."""
    return passes(tallies[..., 0], tallies[..., 1], voting)


def settle_text(draft, status_quo, position, salience, voting, exponent: float, votes=None):
    """Apply the deadline rule: clauses with consensus stand, the others go to a vote (or fall).

    Returns ``(final, contested, tallies)``: the final text (..., K), which clauses
    lacked consensus (..., K), and the vote counts (..., K, 3) (zero where no vote).
    ``votes`` (..., N, K of 1, −1, 0) replaces the votes the positions imply, as when
    students cast their delegations' votes.
    """
    contested = contested_clauses(draft, status_quo, position, salience, voting, exponent)
    if votes is None:
        tallies = clause_votes(draft, status_quo, position, exponent, voting.abstain_band)
    else:
        tallies = tally(votes)
    final, tallies = apply_votes(draft, status_quo, contested, tallies, voting)
    return final, contested, tallies


def lacks_consensus(objecting_share, voting):
    """A changed clause lacks consensus when more than ``1 − consensus_share`` of the delegations object."""
    return objecting_share > 1.0 - voting.consensus_share


def passes(yes, no, voting):
    """Whether a contested clause passes: a majority of those present and voting, a supermajority, or never
    (consensus: a clause without consensus falls back to the 1988 text)."""
    if voting.rule == "majority":
        return yes > no
    if voting.rule == "supermajority":
        return yes >= voting.supermajority * np.maximum(yes + no, 1)
    return np.zeros(np.shape(yes), dtype=bool)


def group_share(probability: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Each delegation's group's mean probability of signing. ``membership`` is G × N (rows sum to 1 over members)."""
    by_group = probability @ membership.T  # (..., G)
    return by_group @ (membership > 0)  # back to (..., N)


def signing_probabilities(
    final, status_quo, position, salience, membership, signing, rounds: int = 2, fixed=None, lost=None
):
    """Probability that each delegation signs the final text rather than stay under the 1988 rules.

    Returns ``(gain, probability)``: utility gain over 1988 (..., N) and P(sign).
    ``lost`` (..., N, K) marks the votes a delegation lost: signing a text it voted
    against costs ``signing.lost_vote`` × the salience of each such clause.
    Group conformity is solved by ``rounds`` fixed-point steps from the
    probabilities without conformity; ``fixed`` as in :func:`probabilities_from_gain`.
    """
    if kernels.compiled():
        gain = compiled.signing_gain(final, status_quo, position, salience, signing, lost)
        return gain, probabilities_from_gain(gain, membership, signing, rounds, fixed)
    s = normalized(salience)
    gain = utility_gain(final[..., None, :], status_quo, position, s, signing.exponent)
    if lost is not None and signing.lost_vote:
        gain = gain - signing.lost_vote * (s * lost).sum(axis=-1)
    return gain, probabilities_from_gain(gain, membership, signing, rounds, fixed)


def probabilities_from_gain(gain, membership, signing, rounds: int = 2, fixed=None) -> np.ndarray:
    """P(sign) from utility gains, with group conformity solved by ``rounds`` fixed-point steps.

    ``fixed`` is ``(mask, decided)``: delegations whose decision is already taken
    (1 signs, 0 does not), which their groups conform to.
    """
    shift = signing.shift

    def settled(prob):
        return prob if fixed is None else np.where(fixed[0], fixed[1], prob)

    prob = settled(sign_probability(gain, 0.5, 0.0, signing.intercept, shift, signing.temperature))
    for _ in range(rounds):
        share = group_share(prob, membership)
        prob = settled(
            sign_probability(gain, share, signing.conformity, signing.intercept, shift, signing.temperature)
        )
    return prob
