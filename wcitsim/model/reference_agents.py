"""The reference engine's agents: delegations, the chair and non-state stakeholders (Mesa).

Agents are thin: the numeric state lives in arrays on the model (delegations ×
clauses) and each agent reads and writes its own row. Every decision is a pure
function of :mod:`wcitsim.core` applied to that row; the agents do the
aggregation their own way (per-agent sums and counts), which is what the tests
compare with the vectorised conference.
"""

from __future__ import annotations

import mesa
import numpy as np

from wcitsim.core import session as rule
from wcitsim.core.rules import delegation_votes, lacks_consensus, objections, passes
from wcitsim.core.utility import normalized, sign_probability, utility_gain

__all__ = ["Chair", "Delegation", "Stakeholder"]


class Delegation(mesa.Agent):
    """One ITU Member State at the table.

    Attributes:
        index: its row in the model's arrays.
        iso3, name, group: who it is and the regional group it caucuses with.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        world = model.world
        self.index = index
        self.iso3 = world.iso3[index]
        self.name = world.names[index]
        self.group = world.group[index]
        self.caucuses = [c for c in world.caucuses if index in c.members]
        self.allies = world.allies[index]
        self.probability = np.nan
        self.signed = False

    # ---- its state, as rows of the model's arrays
    @property
    def position(self) -> np.ndarray:
        return self.model.position[self.index]

    @property
    def salience(self) -> np.ndarray:
        return self.model.salience[self.index]

    @property
    def interest(self) -> np.ndarray:
        return self.model.interest[self.index]

    @property
    def capability(self) -> float:
        return float(self.model.world.capability[self.index])

    # ---- a session
    def negotiate(self, field: np.ndarray, draft: np.ndarray, shocks: np.ndarray) -> None:
        """Caucus, heed allies, concede toward the draft, hear lobbyists, absorb a shock.

        ``field`` is everyone's positions at the start of the session (all move at once);
        ``shocks`` the session's uniform draws, one row per delegation.
        """
        moved = self.caucus(field)
        moved = self.concede(moved, draft)
        for stakeholder in self.model.stakeholders:
            moved = stakeholder.lobby(self, moved)
        noise = self.model.world.scenario.protocol.session_noise
        self.model.position[self.index] = rule.shock(moved, shocks[self.index], noise)

    def caucus(self, field: np.ndarray) -> np.ndarray:
        """Pulled toward its groups' members (cohesion × capability share) and its allies (influence × weight).

        The pulls are scaled down when they sum past 1, so it never moves past its targets.
        """
        mine = field[self.index]
        pulls = [
            (c.cohesion * w, field[j])
            for c in self.caucuses
            for j, w in zip(c.members, c.weights, strict=True)
        ]
        influence = self.model.world.scenario.protocol.influence
        pulls += [(influence * w, field[j]) for j, w in enumerate(self.allies) if w > 0]
        if not pulls:
            return mine.copy()
        total = sum(weight for weight, _ in pulls)
        scale = 1.0 / total if total > 1.0 else 1.0
        return mine + sum(scale * weight * (other - mine) for weight, other in pulls)

    def concede(self, position: np.ndarray, draft: np.ndarray) -> np.ndarray:
        """Move toward the draft on the clauses it cares least about, more as the deadline nears."""
        world = self.model.world
        rate = rule.pressure(world.scenario.protocol, self.model.session, world.sessions)
        return rule.concede(position, rule.yielding(self.salience), draft, rate)

    # ---- the deadline
    def view(self) -> np.ndarray:
        """The positions its capital instructs it by: interests, moved toward the table by persuasion."""
        return self.model.world.signing_view(self.interest, self.position)

    def objections(self, draft: np.ndarray) -> np.ndarray:
        """On which clauses the draft leaves it worse off than 1988 by more than the threshold (K booleans)."""
        world = self.model.world
        threshold = world.scenario.voting.objection_threshold
        sq, a = world.agenda.status_quo, world.signing.exponent
        return objections(draft, sq, self.view()[None], self.salience[None], a, threshold)[0]

    def votes(self, draft: np.ndarray) -> np.ndarray:
        """Its vote on each clause, draft option against 1988: 1 yes, −1 no, 0 abstain (K)."""
        world = self.model.world
        band, a = world.scenario.voting.abstain_band, world.signing.exponent
        return delegation_votes(draft, world.agenda.status_quo, self.view()[None], a, band)[0]

    def judge(self, text: np.ndarray) -> float:
        """Utility gain of ``text`` over the 1988 ITRs, as its capital sees it."""
        world = self.model.world
        gain = utility_gain(
            text, world.agenda.status_quo, self.view(), normalized(self.salience), world.signing.exponent
        )
        return float(gain)

    def lean(self, gain: float, group_share: float, conformity: float) -> float:
        """Probability of signing given its gain and the share of its group expected to sign."""
        s = self.model.world.signing
        return float(
            sign_probability(gain, group_share, conformity, s.intercept, s.shift[self.index], s.temperature)
        )


class Chair(mesa.Agent):
    """The conference chair: drafts the single negotiating text and calls votes."""

    def __init__(self, model, policy: str) -> None:
        super().__init__(model)
        self.policy = policy

    def draft_text(self, policy: str | None = None) -> np.ndarray:
        """A draft for the current field, by the chair's drafting policy (it consults capitals)."""
        m = self.model
        return rule.chair_draft(m.world, m.position, m.salience, m.interest, policy)

    def settle(self, draft: np.ndarray, delegations) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Seek consensus clause by clause; put the others to the vote of those present and voting.

        Returns the text, which clauses were contested, their tallies, and every delegation's votes (N × K).
        """
        world = self.model.world
        voting, sq = world.scenario.voting, world.agenda.status_quo
        text, contested = draft.copy(), np.zeros(len(draft), dtype=bool)
        tallies = np.zeros((len(draft), 3), dtype=int)
        objecting = [d.objections(draft) for d in delegations]
        cast = [d.votes(draft) for d in delegations]
        for k, (option, old) in enumerate(zip(draft, sq, strict=True)):
            share = sum(bool(o[k]) for o in objecting) / len(delegations)
            if option == old or not lacks_consensus(share, voting):
                continue
            contested[k] = True
            if voting.rule == "consensus":
                text[k] = old
                continue
            yes, no = sum(v[k] == 1 for v in cast), sum(v[k] == -1 for v in cast)
            tallies[k] = yes, no, len(cast) - yes - no
            text[k] = option if passes(yes, no, voting) else old
        return text, contested, tallies, np.array(cast, dtype=np.int8).reshape(len(delegations), len(draft))


class Stakeholder(mesa.Agent):
    """A non-state actor (industry, civil society, technical community): lobbies, cannot vote."""

    def __init__(self, model, name: str, position: np.ndarray, pull: np.ndarray) -> None:
        super().__init__(model)
        self.name = name
        self.target = position
        self.pull = pull

    def lobby(self, delegation: Delegation, position: np.ndarray) -> np.ndarray:
        """Pull a delegation's position toward its own on the clauses it lobbies on."""
        return rule.lobby(position.copy(), self.target, self.pull[delegation.index])
