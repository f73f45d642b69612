"""The checks a class's requests pass: live ones and the open turn of a saved file alike, and who claimed what.

A request the class turns down raises :class:`Refused`, which carries the HTTP
status and a one-line message saying what was expected. The same checks vet the
submissions a saved class file holds for its open turn, so a file cannot hold
what a student could not have sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wcitsim.core.agenda import AgendaArrays
from wcitsim.teach.classroom.steps import VOTES

__all__ = [
    "PHASE_WORDS",
    "REVEALABLE",
    "Devices",
    "Refused",
    "TeacherOptions",
    "boolean",
    "check_pending",
    "checked_options",
    "checked_per_device",
    "checked_positions",
    "checked_votes",
    "seconds",
]

#: What the teacher may show students or hide from them: who may sign, and their group's position.
REVEALABLE = ("projected", "group")
#: Where the conference is in each phase, for a sentence ("the class stopped at the vote").
PHASE_WORDS = {
    "lobby": "in the lobby",
    "negotiate": "in a negotiating session",
    "vote": "at the vote",
    "sign": "at the signing",
    "done": "after the signing (the conference is over)",
}


class Refused(Exception):
    """A request the class session turns down: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def seconds(value: object, lo: float, hi: float = 3600) -> bool:
    """Whether ``value`` is a number of seconds from ``lo`` to ``hi`` (a boolean is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi


def boolean(value: object, key: str) -> bool:
    """``value`` if it is true or false; refused (400) otherwise, naming ``key``."""
    if not isinstance(value, bool):
        raise Refused(400, f"{key}: {str(value)[:20]!r}; expected true or false")
    return value


def checked_positions(agenda: AgendaArrays, positions: object) -> dict:
    """Checked positions {clause id: option number}; refused (400) with a message otherwise."""
    if not isinstance(positions, dict) or not positions:
        raise Refused(400, "positions: expected an object {clause id: option number}")
    for clause, option in positions.items():
        if clause not in agenda.ids:
            raise Refused(
                400,
                f"positions: {str(clause)[:30]!r} is not a clause; expected one of {', '.join(agenda.ids)}",
            )
        count = len(agenda.labels[agenda.ids.index(clause)])
        if not isinstance(option, int) or isinstance(option, bool) or not 0 <= option < count:
            raise Refused(
                400,
                f"positions.{clause}: {str(option)[:20]!r}; expected an option number from 0 to {count - 1}",
            )
    return positions


def checked_votes(contested: list[str], votes: object) -> dict:
    """Checked votes {contested clause id: "yes" | "no" | "abstain"}; refused (400) with a message otherwise."""
    if not isinstance(votes, dict) or not votes:
        raise Refused(400, "votes: expected an object {clause id: 'yes' | 'no' | 'abstain'}")
    for clause, vote in votes.items():
        if clause not in contested:
            raise Refused(
                400,
                f"votes: {str(clause)[:30]!r} is not put to the vote; expected one of {', '.join(contested)}",
            )
        if not isinstance(vote, str) or vote not in VOTES:
            raise Refused(400, f"votes.{clause}: {str(vote)[:20]!r}; expected 'yes', 'no' or 'abstain'")
    return votes


def check_pending(
    pending: object, phase: str, seated: Iterable[str], agenda: AgendaArrays, contested: list[str]
) -> None:
    """The open turn's submissions in a saved file are what the live checks would have let through.

    Args:
        pending: the file's submissions {ISO3: submission}.
        phase: the phase the replayed class is in.
        seated: the ISO3 codes of the seated delegations.
        agenda: the agenda the positions refer to.
        contested: the ids of the clauses put to the vote (in the vote).

    Raises:
        ValueError: the submissions are not of seated delegations, or none is open in this phase.
        Refused: a submission the live request would have refused.
    """
    if not isinstance(pending, dict) or not set(pending) <= set(seated):
        raise ValueError("pending: expected submissions of seated delegations")
    for iso, value in pending.items():
        if phase == "sign":
            boolean(value, f"pending.{iso}")
        elif phase == "vote":
            checked_votes(contested, value)
        elif phase == "negotiate":
            checked_positions(agenda, value)
        else:
            raise ValueError(f"pending.{iso}: no submission is open {PHASE_WORDS.get(phase, phase)}")


def checked_per_device(value: object, seated: int) -> int:
    """``value`` if it is a number of delegations one device may claim (1 to ``seated``); refused (400) otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= seated:
        raise Refused(
            400, f"per_device: {str(value)[:20]!r}; expected a number of delegations from 1 to {seated}"
        )
    return value


class Devices:
    """Which device (client address) claimed each delegation, and which devices joined its team.

    Kept in memory only: a restarted server counts each device afresh. A device ``None`` is
    a caller outside the server: never limited, and counted at every join.
    """

    def __init__(self) -> None:
        self.claimant: dict[str, str | None] = {}  # ISO3 → the device that claimed it
        self.teams: dict[str, set[str | None]] = {}  # ISO3 → the devices counted in its team

    def check_claim(self, device: str | None, per_device: int) -> None:
        """Refuse (409) a claim by a device that holds ``per_device`` delegations already."""
        mine = sorted(iso for iso, d in self.claimant.items() if d == device)
        if device is not None and len(mine) >= per_device:
            raise Refused(
                409, f"this device already claimed {', '.join(mine)}; a device may claim {per_device} "
                f"delegation{'s' if per_device > 1 else ''} (the teacher can allow more); "
                "to share a delegation, enter its seat code",
            )  # fmt: skip

    def claimed(self, iso: str, device: str | None) -> None:
        """``device`` claimed ``iso``: the first member of its team."""
        self.claimant[iso], self.teams[iso] = device, {device}

    def joins(self, iso: str, device: str | None) -> bool:
        """Whether ``device`` is new to the team of ``iso`` (and now in it): a replayed join is not."""
        team = self.teams.setdefault(iso, set())
        new = device is None or device not in team
        team.add(device)
        return new

    def release(self, iso: str) -> None:
        """``iso`` is free again."""
        self.claimant.pop(iso, None)
        self.teams.pop(iso, None)


@dataclass(frozen=True)
class TeacherOptions:
    """The teacher's checked options: ``flags`` given (reveal, ``auto``, ``debrief``), seconds to extend,
    time limit, delegations one device may claim."""

    flags: dict[str, bool]
    extend: float
    time_limit: float
    per_device: int


def checked_options(
    body: dict, phase: str, time_limit: float, per_device: int, seated: int
) -> TeacherOptions:
    """The options of a teacher's request, all checked before any is applied; refused (400, 409) otherwise.

    Args:
        body: the request: any of the :data:`REVEALABLE` names, ``auto``, ``debrief`` (true or false),
            ``extend`` (seconds to add to this turn), ``time_limit`` (seconds per turn) and
            ``per_device`` (delegations one device may claim).
        phase: the class's phase.
        time_limit: the time per turn now (kept when the request sets none).
        per_device: delegations one device may claim now (kept when the request sets none).
        seated: the number of seated delegations.
    """
    flags = {name: boolean(body[name], name) for name in (*REVEALABLE, "auto", "debrief") if name in body}
    if "debrief" in flags and phase != "done":
        raise Refused(409, "the debrief opens when the conference is over")
    extend = body.get("extend", 0)
    if not seconds(extend, 0):
        raise Refused(400, f"extend: {str(extend)[:20]!r}; expected seconds from 0 to 3600")
    if extend and phase in ("lobby", "done"):
        raise Refused(409, f"no turn to extend {PHASE_WORDS[phase]}")
    limit = body.get("time_limit", time_limit)
    if not seconds(limit, 10):
        raise Refused(400, f"time_limit: {str(limit)[:20]!r}; expected seconds from 10 to 3600")
    devices = checked_per_device(body.get("per_device", per_device), seated)
    return TeacherOptions(flags, extend, float(limit), devices)
