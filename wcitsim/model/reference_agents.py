"""The agents of the reference engine: delegations, the chair and non-state stakeholders (Mesa).

Agents are thin: the numeric state lives in arrays on the model (delegations ×
clauses) and each agent reads and writes its own row; decisions delegate to the
pure functions of :mod:`wcitsim.preferences` and :mod:`wcitsim.core.rules`.
"""

from __future__ import annotations

import mesa
import numpy as np

from wcitsim.core.session import SQRT12
from wcitsim.core.drafting import CHAIR_POLICIES
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
        self.vote_cast: list[str] = []
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
        mine = field[self.index]
        pulls = [
            (c.cohesion * w, field[j])
            for c in self.caucuses
            for j, w in zip(c.members, c.weights, strict=True)
        ]
        influence = self.model.world.scenario.protocol.influence
        pulls += [(influence * w, field[j]) for j, w in enumerate(self.allies) if w > 0]
        total = sum(weight for weight, _ in pulls)
        scale = 1.0 / total if total > 1.0 else 1.0
        moved = (
            mine + sum(scale * weight * (other - mine) for weight, other in pulls) if pulls else mine.copy()
        )
        moved = self.concede(moved, draft)
        for stakeholder in self.model.stakeholders:
            moved = stakeholder.lobby(self, moved)
        noise = self.model.world.scenario.protocol.session_noise
        self.model.position[self.index] = np.clip(
            moved + noise * SQRT12 * (shocks[self.index] - 0.5), 0.0, 1.0
        )

    def concede(self, position: np.ndarray, draft: np.ndarray) -> np.ndarray:
        """Move toward the draft on the clauses it cares least about, more as the deadline nears."""
        proto = self.model.world.scenario.protocol
        pressure = (
            proto.concession * (self.model.session / self.model.world.sessions) ** proto.deadline_exponent
        )
        yielding = 1.0 - self.salience / self.salience.max()
        return position + pressure * yielding * (draft - position)

    # ---- the deadline
    def objects_to(self, k: int, draft: float, status_quo: float) -> bool:
        """Whether the draft's option on clause ``k`` leaves it worse off than 1988 by more than the threshold."""
        voting, a = self.model.world.scenario.voting, self.model.world.signing.exponent
        weight = normalized(self.salience)[k]
        p = self.view()[k]
        return weight * (abs(draft - p) ** a - abs(status_quo - p) ** a) > voting.objection_threshold

    def vote(self, draft: float, status_quo: float, k: int) -> str:
        """'yes' for the draft's option, 'no' for the 1988 text, 'abstain' when nearly indifferent."""
        band, a = self.model.world.scenario.voting.abstain_band, self.model.world.signing.exponent
        p = self.view()[k]
        to_draft, to_sq = abs(draft - p) ** a, abs(status_quo - p) ** a
        if to_draft < to_sq - band:
            return "yes"
        if to_sq < to_draft - band:
            return "no"
        return "abstain"

    def view(self) -> np.ndarray:
        """The positions its capital instructs it by: interests, moved toward the table by persuasion."""
        return self.model.world.signing_view(self.interest, self.position)

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
        """A draft for the current field, by the chair's drafting policy."""
        world = self.model.world
        host = None if world.host is None else self.model.position[world.host]
        weight = world.capability if policy else world.chair_weight
        draft = CHAIR_POLICIES[policy or self.policy]
        view = world.signing_view(self.model.interest, self.model.position)  # the chair consults capitals
        return draft(self.model.position, self.model.salience, weight, world.draft_context(host, view))

    def settle(self, draft: np.ndarray, delegations) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seek consensus clause by clause; put the others to the vote of those present and voting."""
        world = self.model.world
        voting, sq = world.scenario.voting, world.agenda.status_quo
        text, contested = draft.copy(), np.zeros(len(draft), dtype=bool)
        tallies = np.zeros((len(draft), 3), dtype=int)
        for k, (option, old) in enumerate(zip(draft, sq, strict=True)):
            if option == old:
                continue
            objecting = sum(d.objects_to(k, option, old) for d in delegations) / len(delegations)
            if objecting <= 1.0 - voting.consensus_share:
                continue
            contested[k] = True
            if voting.rule == "consensus":
                text[k] = old
                continue
            votes = [d.vote(option, old, k) for d in delegations]
            yes, no = votes.count("yes"), votes.count("no")
            tallies[k] = yes, no, len(votes) - yes - no
            passed = yes > no if voting.rule == "majority" else yes >= voting.supermajority * max(yes + no, 1)
            text[k] = option if passed else old
        return text, contested, tallies


class Stakeholder(mesa.Agent):
    """A non-state actor (industry, civil society, technical community): lobbies, cannot vote."""

    def __init__(self, model, name: str, position: np.ndarray, pull: np.ndarray) -> None:
        super().__init__(model)
        self.name = name
        self.target = position
        self.pull = pull

    def lobby(self, delegation: Delegation, position: np.ndarray) -> np.ndarray:
        """Pull a delegation's position toward its own on the clauses it lobbies on."""
        lobbied = np.isfinite(self.target)
        moved = position.copy()
        moved[lobbied] += self.pull[delegation.index] * (self.target[lobbied] - position[lobbied])
        return moved
