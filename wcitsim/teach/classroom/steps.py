"""The closed steps a class logs: a session's moves, the votes, the signatures.

A class file's ``history`` is the list of these steps in the order they closed;
loading the file replays them. Each is a frozen dataclass whose
:meth:`to_dict` is the record in the file and :func:`step_from_dict` reads one
back, so this module is the specification of the log:

* ``{"step": "session", "session": n, "moves": {ISO3: {clause id: option number}}, "closed_at": t}``
* ``{"step": "vote", "votes": {ISO3: {clause id: "yes" | "no" | "abstain"}}, "closed_at": t}``
  (a vote closed at once because nothing was contested has no ``closed_at``)
* ``{"step": "sign", "signatures": {ISO3: true | false}, "closed_at": t}``

``closed_at`` is the wall-clock second the step closed, for research on the
class's pace; replaying ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.conference import Conference

__all__ = ["VOTES", "VOTE_NAMES", "SessionClosed", "SignClosed", "Step", "VoteClosed", "step_from_dict"]

VOTES = {"yes": 1, "no": -1, "abstain": 0}
VOTE_NAMES = {v: k for k, v in VOTES.items()}


def _clause_numbers(agenda: AgendaArrays) -> dict[str, int]:
    return {c: k for k, c in enumerate(agenda.ids)}


def _with_time(record: dict, closed_at: float | None) -> dict:
    return record if closed_at is None else {**record, "closed_at": closed_at}


def _mapping(record: Mapping, key: str) -> dict:
    value = record[key]
    if not isinstance(value, dict):
        raise ValueError(f"{key}: expected an object, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class SessionClosed:
    """A session closed: the positions the students chose {ISO3: {clause id: option number}}."""

    session: int
    moves: dict[str, dict[str, int]]
    closed_at: float | None = None
    kind: ClassVar[str] = "session"

    @property
    def choices(self) -> dict:
        """The delegations that acted in this step, with what they chose."""
        return self.moves

    def apply(self, conference: Conference, index: Mapping[str, int], agenda: AgendaArrays) -> None:
        """Close the conference's open session with these moves."""
        k_of = _clause_numbers(agenda)
        conference.close_session({
            index[iso]: {k_of[c]: agenda.options[k_of[c], o] for c, o in clauses.items()}
            for iso, clauses in self.moves.items()
        })  # fmt: skip

    def to_dict(self) -> dict:
        """The record in the class file."""
        return _with_time({"step": self.kind, "session": self.session, "moves": self.moves}, self.closed_at)

    @classmethod
    def from_dict(cls, record: Mapping) -> SessionClosed:
        """Read the record back (KeyError, TypeError or ValueError if it is not one)."""
        return cls(record["session"], _mapping(record, "moves"), record.get("closed_at"))


@dataclass(frozen=True)
class VoteClosed:
    """The vote closed: the students' votes on contested clauses {ISO3: {clause id: "yes" | "no" | "abstain"}}."""

    votes: dict[str, dict[str, str]]
    closed_at: float | None = None
    kind: ClassVar[str] = "vote"

    @property
    def choices(self) -> dict:
        """The delegations that acted in this step, with what they chose."""
        return self.votes

    def apply(self, conference: Conference, index: Mapping[str, int], agenda: AgendaArrays) -> None:
        """Settle the conference's text with these votes."""
        k_of = _clause_numbers(agenda)
        conference.close_vote({
            index[iso]: {k_of[c]: VOTES[v] for c, v in clauses.items()} for iso, clauses in self.votes.items()
        })  # fmt: skip

    def to_dict(self) -> dict:
        """The record in the class file."""
        return _with_time({"step": self.kind, "votes": self.votes}, self.closed_at)

    @classmethod
    def from_dict(cls, record: Mapping) -> VoteClosed:
        """Read the record back (KeyError, TypeError or ValueError if it is not one)."""
        return cls(_mapping(record, "votes"), record.get("closed_at"))


@dataclass(frozen=True)
class SignClosed:
    """The signing closed: the students' decisions {ISO3: sign (true) or stay under the 1988 rules (false)}."""

    signatures: dict[str, bool]
    closed_at: float | None = None
    kind: ClassVar[str] = "sign"

    @property
    def choices(self) -> dict:
        """The delegations that acted in this step, with what they chose."""
        return self.signatures

    def apply(self, conference: Conference, index: Mapping[str, int], agenda: AgendaArrays) -> None:
        """Everyone decides: these delegations as given, the others by the model's draw."""
        conference.close_sign({index[iso]: bool(s) for iso, s in self.signatures.items()})

    def to_dict(self) -> dict:
        """The record in the class file."""
        return _with_time({"step": self.kind, "signatures": self.signatures}, self.closed_at)

    @classmethod
    def from_dict(cls, record: Mapping) -> SignClosed:
        """Read the record back (KeyError, TypeError or ValueError if it is not one)."""
        return cls(_mapping(record, "signatures"), record.get("closed_at"))


Step = SessionClosed | VoteClosed | SignClosed
_KINDS: dict[str, type[SessionClosed] | type[VoteClosed] | type[SignClosed]] = {
    kind.kind: kind for kind in (SessionClosed, VoteClosed, SignClosed)
}


def step_from_dict(record: Mapping) -> Step:
    """The step a class file's record describes.

    Raises:
        KeyError, TypeError, ValueError: the record is not one of the three steps.
    """
    kind = record["step"]
    if kind not in _KINDS:
        raise ValueError(f"step: {str(kind)[:20]!r}; expected one of {', '.join(_KINDS)}")
    return _KINDS[kind].from_dict(record)
