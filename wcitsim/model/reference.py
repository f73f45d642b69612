"""The reference engine, the test oracle: the conference per agent on Mesa, one replication.

:class:`ReferenceModel` reads like the design: each session the chair drafts,
every delegation negotiates (caucus, allies, concessions, lobbyists, shocks), and
a ``DataCollector`` records the session; at the deadline the chair settles the
text clause by clause and each delegation decides whether to sign. Each rule is
the core's pure function (:mod:`wcitsim.core.session`, :mod:`wcitsim.core.rules`)
applied to one delegation's row; what the oracle does its own way is the
aggregation: per-agent sums instead of the conference's matrix products, counts of
objections and votes instead of array reductions. It draws the same random
numbers as :class:`~wcitsim.core.conference.Conference`, in the same order, and
the tests require the same results for the same seeds.
"""

from __future__ import annotations

import mesa
import numpy as np

from wcitsim.core.outcome import Outcome
from wcitsim.core.session import field_measures
from wcitsim.core.utility import normalized
from wcitsim.core.world import World, initial_state
from wcitsim.model.reference_agents import Chair, Delegation, Stakeholder

__all__ = ["ReferenceModel", "run_reference"]


class ReferenceModel(mesa.Model):
    """WCIT-12 per agent: delegations, a chair and stakeholders negotiating one text.

    Args:
        world: the seated, seeded delegations (:func:`wcitsim.core.world.build_world`).
        rng: the replication's seed; every random draw comes from ``self.rng``.
        negotiate: hold sessions and votes (False: the one-shot compromise protocol).
    """

    def __init__(self, world: World, rng: int | None = None, negotiate: bool = True) -> None:
        super().__init__(rng=rng)
        self.world = world
        self.negotiates = negotiate
        n, k = world.n, world.agenda.k
        self.position, self.salience = initial_state(
            world, self.rng.standard_normal((n, k)), self.rng.standard_normal((n, k))
        )
        self.interest = self.position.copy()
        self.session = 0
        self.draft = world.agenda.status_quo.copy()
        self.chair = Chair(self, world.scenario.chair.policy)
        for i in range(n):
            Delegation(self, i)
        self.delegations = self.agents_by_type[Delegation]
        self.stakeholders = [
            Stakeholder(self, st.name, pos, pull)
            for st, pos, pull in zip(
                world.scenario.stakeholders, world.stakeholder_position, world.stakeholder_pull, strict=True
            )
        ]
        self.projected = np.nan
        self.opening_field = None
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "session": "session",
                "draft": lambda m: m.draft.copy(),
                "projected": "projected",
                "field": lambda m: m.field_shape(),
            }
        )
        self.datacollector.collect(self)

    def field_shape(self) -> np.ndarray:
        """The field's shape on the capitals' interests and at the table (2 × M), as the core measures it."""
        shape = field_measures(
            self.world, self.interest, self.position, normalized(self.salience), self.opening_field
        )
        if self.opening_field is None:
            self.opening_field = shape
        return shape

    def step(self) -> None:
        """One session: the chair drafts, delegations negotiate, the session is recorded."""
        self.session += 1
        self.draft = self.chair.draft_text()
        self.projected = float(self.signing_probabilities(self.draft).sum())
        shocks = self.rng.random((self.world.n, self.world.agenda.k))
        self.delegations.do("negotiate", self.position.copy(), self.draft, shocks)
        self.datacollector.collect(self)

    def signing_probabilities(self, text: np.ndarray) -> np.ndarray:
        """Each delegation's probability of signing ``text``, leaning toward its group."""
        conformity = self.world.signing.conformity
        gains = {d: d.judge(text) for d in self.delegations}
        lean = {d: d.lean(g, 0.5, 0.0) for d, g in gains.items()}
        groups = self.delegations.groupby("group")
        for _ in range(2):
            share = {name: np.mean([lean[d] for d in members]) for name, members in groups}
            lean = {d: d.lean(gains[d], share[d.group], conformity) for d in self.delegations}
        return np.array([lean[d] for d in sorted(self.delegations, key=lambda d: d.index)])

    def finish(self, policy: str | None = None) -> Outcome:
        """The deadline: settle the text, decide signatures, and return the outcome (one replication)."""
        draft = self.chair.draft_text(policy)
        ordered = sorted(self.delegations, key=lambda d: d.index)
        if self.negotiates:
            text, contested, tallies, votes = self.chair.settle(draft, ordered)
        else:
            text, contested, tallies, votes = (
                draft,
                np.zeros(len(draft), dtype=bool),
                np.zeros((len(draft), 3), dtype=int),
                np.zeros((self.world.n, len(draft)), dtype=np.int8),
            )
        probability = self.signing_probabilities(text)
        signed = self.rng.random(self.world.n) < probability
        for d in ordered:
            d.probability, d.signed = probability[d.index], bool(signed[d.index])
        gains = np.array([d.judge(text) for d in ordered])
        frame = self.datacollector.get_model_vars_dataframe()
        sessions = frame.iloc[1:]
        return Outcome(
            text=text[None],
            drafts=np.array(list(sessions["draft"])).reshape(1, len(sessions), self.world.agenda.k),
            contested=contested[None],
            tallies=tallies[None],
            position=self.position[None].copy(),
            gain=gains[None],
            probability=probability[None],
            signed=signed[None],
            field=np.stack(list(frame["field"]))[None],
            projected=sessions["projected"].to_numpy(dtype=float)[None],
            interest=self.interest[None].copy(),
            salience=self.salience[None].copy(),
            final_draft=draft[None].copy(),
            votes=votes[None],
            moved=np.zeros((1, len(draft)), dtype=bool),
            mover=np.full((1, len(draft)), -1),
            declared=np.zeros((1, len(draft)), dtype=bool),
        )


def run_reference(
    world: World, seeds: list[int], negotiate: bool = True, policy: str | None = None
) -> Outcome:
    """Run one :class:`ReferenceModel` per seed and stack their outcomes like the vectorised engine's."""
    outcomes = []
    for seed in seeds:
        model = ReferenceModel(world, rng=seed, negotiate=negotiate)
        for _ in range(world.sessions if negotiate else 0):
            model.step()
        outcomes.append(model.finish(policy))
    return Outcome.concatenate(outcomes)
