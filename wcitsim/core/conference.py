"""The conference, written once: R replications at once, advanced one step at a time.

A :class:`Conference` opens (positions and saliences after each replication's
noise), then runs sessions one at a time: the chair drafts (:meth:`open_session`),
delegations caucus, heed allies, concede, hear lobbyists and absorb shocks
(:meth:`close_session`). At the deadline the chair's final draft goes to the
floor (:meth:`open_deadline`), contested clauses are voted (:meth:`close_vote`)
and each delegation signs or stays under the 1988 rules (:meth:`close_sign`).

Every face drives this one object: :func:`run_vectorized` loops over it; the
Mesa model (:mod:`wcitsim.model`) steps it with R = 1; the class role play steps
it with R = 1 and the students' moves, votes and signatures given. The rules are
the pure functions of :mod:`wcitsim.core.session` and :mod:`wcitsim.core.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from wcitsim.core import compiled, kernels
from wcitsim.core.measures import FIELD_MEASURES, field_shape
from wcitsim.core.outcome import FIELD_VIEWS, Outcome
from wcitsim.core.rules import (
    apply_votes,
    consensus_draft,
    contested_clauses,
    delegation_votes,
    floor_motions,
    lost_votes,
    passed_clauses,
    signing_probabilities,
    tally,
)
from wcitsim.core.session import (
    chair_draft,
    field_measures,
    projected_probabilities,
    session_step,
    yielding,
)
from wcitsim.core.utility import normalized, utility
from wcitsim.core.world import Streams, World, initial_state

__all__ = ["Conference", "Outcome", "run_iterative", "run_vectorized"]

#: Given choices of some delegations: {delegation index: {clause index: value}}, the same in every replication.
Given = Mapping[int, Mapping[int, float]]


class Conference:
    """R replications of a scenario's conference, advanced step by step.

    Args:
        world: the seated, seeded delegations.
        streams: one random stream per replication; draws are made in this order:
            position noise, salience noise, one shock per session, the signing draw.
        negotiate: hold sessions and votes (False: the chair's draft of the opening
            field is the text, the one-shot ``compromise`` protocol).
        policy: the chair's drafting policy for the final draft (None: the scenario's).
        trace: compute the per-session diagnostics (False: only at the opening and
            the deadline, NaN between; what sweeps need).
        measure: measure the field's shape at all (False: NaN throughout; what a
            calibration's many runs need, which read only P(sign) and the text);
            ``"deadline"``: only the table at the deadline (what a sweep records);
            ``"ends"``: the opening and the deadline, the other diagnostics traced
            after every session (a long run's replications past the first
            ``--traced``, :func:`~wcitsim.experiments.runner.stream_scenario`).
    """

    def __init__(
        self,
        world: World,
        streams: Streams,
        negotiate: bool = True,
        policy: str | None = None,
        trace: bool = True,
        measure: bool | str = True,
    ) -> None:
        self.world, self.streams = world, streams
        self.policy, self.trace, self.negotiates, self.measure = policy, trace, negotiate, measure
        self.every_session = trace and measure != "ends"  # measure the field after every session
        self.sessions = world.sessions if negotiate else 0
        n, k = world.n, world.agenda.k
        # the compiled kernels draw both noise blocks in one call per stream (the same numbers) and keep
        # the stacks in their lanes, the replications last in memory (wcitsim.core.kernels)
        if kernels.compiled():
            self.position, self.salience, self.salience_norm, self.yield_weight = compiled.opening(
                world, streams.normal((2, n, k))
            )
        else:
            self.position, self.salience = initial_state(
                world, streams.normal((n, k)), streams.normal((n, k))
            )
            self.salience_norm = normalized(self.salience)
            self.yield_weight = yielding(self.salience)
        self.interest = self.position.copy(order="K")
        fixed_view = world.scenario.signing.persuasion == 0
        a = world.signing.exponent
        self.sq_utility = (
            utility(world.agenda.status_quo, self.interest, self.salience_norm, a) if fixed_view else None
        )
        self.drafts: list[np.ndarray] = []  # the chair's draft of each session, R × K
        self.projected: list[np.ndarray] = []  # P(sign) of each delegation under that draft, R × N
        self.closed = 0  # sessions closed
        # the field's shape (R × 2 × M) at the opening and after each session
        self.measures: list[np.ndarray] = []
        self.measures.append(self._measure())
        self.final_draft = self.contested = self.model_votes = self.cast = None
        self.moved = self.mover = None  # motions from the floor at the deadline, R × K
        r, k = self.replications, world.agenda.k
        self.declared = np.zeros((r, k), dtype=bool)  # clauses the chair declared adopted by a show of hands
        self.declared_option = np.zeros((r, k))
        self.hands = np.zeros((r, n, k), dtype=np.int8)  # the show of hands (1 for, −1 against, 0 none)
        self.text = self.tallies = self.gain = self.probability = self.signed = None
        self._pending = None  # the streams' states, while compiled kernels draw the shocks (in run)

    @property
    def replications(self) -> int:
        return len(self.streams)

    def view(self) -> np.ndarray:
        """The positions capitals judge the text by, R × N × K."""
        return self.world.signing_view(self.interest, self.position)

    # ---------------------------------------------------------------- the sessions
    def open_session(self) -> np.ndarray:
        """The chair drafts the next session's text from the positions at the table; returns it (R × K)."""
        w = self.world
        draft = np.where(
            self.declared, self.declared_option, chair_draft(w, self.position, self.salience, self.interest)
        )
        self.drafts.append(draft)
        if self.closed + 1 == w.scenario.chair.temperature_session:
            self._take_the_temperature(draft)
        if self.trace:
            p = projected_probabilities(
                w, draft, self.interest, self.position, self.salience_norm, self.sq_utility
            )
        else:
            p = np.full((self.replications, w.n), np.nan)
        self.projected.append(p)
        return draft

    def _take_the_temperature(self, draft: np.ndarray) -> None:
        """A show of hands on the chair's clause, the draft's option against 1988; a majority of those
        entitled to vote makes the chair declare it adopted (it stays in every later draft, unvoted)."""
        w = self.world
        clause = w.scenario.chair.temperature_clause
        if clause not in w.agenda.ids:
            return
        k = w.agenda.ids.index(clause)
        sq = w.agenda.status_quo[k : k + 1]
        hands = delegation_votes(
            draft[:, k : k + 1],
            sq,
            self.view()[..., k : k + 1],
            w.signing.exponent,
            w.scenario.voting.abstain_band,
        )
        counted = tally(hands, w.eligibility)[:, 0]
        declared = (counted[:, 0] > counted[:, 1]) & (draft[:, k] != sq[0])
        self.hands[:, :, k] = hands[..., 0]
        self.declared[:, k] = declared
        self.declared_option[:, k] = draft[:, k]

    def close_session(self, moves: Given | None = None) -> None:
        """The session's moves: the model's for every delegation, then the ``moves`` given for some."""
        w = self.world
        uniform = self._pending if self._pending is not None else self.streams.uniform((w.n, w.agenda.k))
        self.position = session_step(
            w, self.position, self.yield_weight, self.drafts[-1], uniform, self.closed, self.salience_norm
        )
        for i, clauses in (moves or {}).items():
            for k, value in clauses.items():
                self.position[:, i, k] = value
        self.closed += 1
        last = self.closed == self.sessions
        if self.every_session or last:
            self.measures.append(self._measure())
        else:
            self.measures.append(np.full_like(self.measures[0], np.nan))

    def _measure(self) -> np.ndarray:
        nothing = np.full((self.replications, len(FIELD_VIEWS), len(FIELD_MEASURES)), np.nan)
        if not self.measure:
            return nothing
        if self.measure == "deadline":  # the table at the deadline only, what a sweep records
            if self.closed < self.sessions:
                return nothing
            nothing[:, FIELD_VIEWS.index("table")] = field_shape(
                self.position, self.salience_norm, self.world.membership
            )
            return nothing
        previous = self.measures[0] if self.measures else None
        return field_measures(self.world, self.interest, self.position, self.salience_norm, previous)

    # ---------------------------------------------------------------- the deadline
    def open_deadline(self) -> None:
        """The chair's final draft, which clauses lack consensus, and how each delegation would vote."""
        w = self.world
        draft = np.where(
            self.declared,
            self.declared_option,
            chair_draft(w, self.position, self.salience, self.interest, self.policy),
        )
        self.moved = np.zeros(draft.shape, dtype=bool)
        self.mover = np.full(draft.shape, -1)
        if not self.negotiates:
            self.final_draft = draft
            self.contested = np.zeros(draft.shape, dtype=bool)
            self.model_votes = np.zeros((*draft.shape[:-1], w.n, w.agenda.k), dtype=np.int8)
            return
        view, voting, sq = self.view(), w.scenario.voting, w.agenda.status_quo
        if w.scenario.chair.consensus_draft:  # a vote only where consensus fails (docs/model.md)
            draft = consensus_draft(draft, sq, view, self.salience, voting, w.signing.exponent, self.declared)
        if voting.motions:
            draft, self.moved, self.mover = floor_motions(
                draft,
                sq,
                w.agenda,
                view,
                self.salience,
                w.eligibility,
                w.signing.exponent,
                voting.motion_stake,
            )
        self.final_draft = draft
        contested = self.moved | contested_clauses(draft, sq, view, self.salience, voting, w.signing.exponent)
        self.contested = contested & ~self.declared  # a clause declared adopted is not voted again
        self.model_votes = delegation_votes(
            draft, w.agenda.status_quo, view, w.signing.exponent, w.scenario.voting.abstain_band
        )

    def close_vote(self, votes: Given | None = None) -> None:
        """Settle the text: the model's votes, with the ``votes`` given (1 yes, −1 no, 0 abstain) replacing some."""
        w = self.world
        if not self.negotiates:
            self.text = self.final_draft
            self.tallies = np.zeros((*self.final_draft.shape, 3), dtype=int)
            return
        cast = self.model_votes
        if votes:
            cast = cast.copy()
            for i, clauses in votes.items():
                for k, vote in clauses.items():
                    cast[:, i, k] = vote
        self.cast = cast
        weights = w.eligibility if w.scenario.voting.eligible_only else None
        self.text, self.tallies = apply_votes(
            self.final_draft, w.agenda.status_quo, self.contested, tally(cast, weights), w.scenario.voting
        )

    def signing_probabilities(self, decided: Mapping[int, bool] | None = None) -> np.ndarray:
        """P(sign) of each delegation for the final text (R × N), the ``decided`` ones fixed (groups conform)."""
        w = self.world
        fixed = None
        if decided:
            mask, value = np.zeros(w.n, dtype=bool), np.zeros(w.n)
            for i, sign in decided.items():
                mask[i], value[i] = True, float(sign)
            fixed = (mask, value)
        lost = None
        if w.signing.lost_vote and self.cast is not None:
            lost = lost_votes(self.cast, self.contested, passed_clauses(self.tallies, w.scenario.voting))
            lost |= lost_votes(self.hands, self.declared, self.declared)  # against a clause declared adopted
        self.gain, prob = signing_probabilities(
            self.text, w.agenda.status_quo, self.view(), self.salience, w.membership, w.signing, fixed=fixed,
            lost=lost,
        )  # fmt: skip
        return prob

    def close_sign(self, signatures: Mapping[int, bool] | None = None) -> None:
        """Everyone decides: the given delegations as given, the others by their draw."""
        self.probability = self.signing_probabilities(signatures)
        self.signed = self.streams.uniform((self.world.n,)) < self.probability
        for i, sign in (signatures or {}).items():
            self.signed[:, i] = bool(sign)

    # ---------------------------------------------------------------- the whole run
    def run(self) -> Conference:
        """Play the rest of the conference with nobody's choices given."""
        # nothing else draws until the deadline: the compiled kernels may draw the shocks themselves
        self._pending = self.streams.hold() if kernels.compiled() and self.closed < self.sessions else None
        try:
            while self.closed < self.sessions:
                self.open_session()
                self.close_session()
        finally:
            if self._pending is not None:
                self.streams.release(self._pending)
                self._pending = None
        if self.text is None:
            if self.final_draft is None:
                self.open_deadline()
            self.close_vote()
        if self.signed is None:
            self.close_sign()
        return self

    def outcome(self) -> Outcome:
        """The replications' outcome (the conference must be done)."""
        r, k = self.replications, self.world.agenda.k
        return Outcome(
            text=self.text,
            drafts=np.stack(self.drafts, axis=1) if self.drafts else np.empty((r, 0, k)),
            contested=self.contested,
            tallies=self.tallies,
            position=self.position,
            gain=self.gain,
            probability=self.probability,
            signed=self.signed,
            field=np.stack(self.measures, axis=1),
            final_draft=self.final_draft,
            votes=self.model_votes,
            moved=self.moved,
            mover=self.mover,
            declared=self.declared,
            projected=np.stack([p.sum(axis=-1) for p in self.projected], axis=1)
            if self.projected
            else np.empty((r, 0)),
            interest=self.interest,
            salience=self.salience,
        )


def run_vectorized(
    world: World,
    streams: Streams,
    negotiate: bool = True,
    policy: str | None = None,
    trace: bool = True,
    measure: bool | str = True,
) -> Outcome:
    """Run the replications whose random streams are ``streams`` (arguments as :class:`Conference`)."""
    return Conference(world, streams, negotiate, policy, trace, measure).run().outcome()


def run_iterative(
    world: World,
    streams: Streams,
    step,
    forecast,
    rounds: int,
    trace: bool = True,
    measure: bool | str = True,
) -> Outcome:
    """Run a protocol that revises positions in rounds and forecasts the text from them.

    ``step(position, salience, state) -> (position, state)`` makes one round for all
    replications (state starts as None); ``forecast(position, salience) -> R × K``
    gives the text the current positions imply (already snapped to options).
    It runs ``rounds`` rounds (a field that has converged no longer moves). There
    is no vote: the last forecast is the text; signing is the shared rule.
    ``trace`` and ``measure`` as in :class:`Conference`.
    """
    conf = Conference(world, streams, negotiate=False, trace=trace, measure=measure)
    state = None
    for r in range(rounds):
        draft = forecast(conf.position, conf.salience)
        conf.drafts.append(draft)
        if trace:
            p = projected_probabilities(
                world, draft, conf.interest, conf.position, conf.salience_norm, conf.sq_utility
            )
        else:
            p = np.full((conf.replications, world.n), np.nan)
        conf.projected.append(p)
        conf.position, state = step(conf.position, conf.salience, state)
        if conf.every_session or r == rounds - 1:
            conf.measures.append(conf._measure())
        else:
            conf.measures.append(np.full_like(conf.measures[0], np.nan))
    conf.final_draft = forecast(conf.position, conf.salience)
    conf.contested = np.zeros(conf.final_draft.shape, dtype=bool)
    conf.model_votes = np.zeros((*conf.final_draft.shape[:-1], world.n, world.agenda.k), dtype=np.int8)
    conf.moved, conf.mover = np.zeros(conf.final_draft.shape, dtype=bool), np.full(conf.final_draft.shape, -1)
    conf.close_vote()
    conf.close_sign()
    return conf.outcome()
