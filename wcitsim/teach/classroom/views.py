"""What the screens show: the public state, a seat's briefing and draft, the teacher's overview.

Every view is plain JSON-ready data read from a class session (anything that has
the attributes of :class:`Room`); none changes it. What a student sees of who may
sign and of its group's position follows what the teacher chose to reveal. A
delegation is shown by its full name (:func:`~wcitsim.teach.classroom.glossary.display_name`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Protocol

import numpy as np

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.conference import Conference
from wcitsim.core.world import World
from wcitsim.data import Dataset
from wcitsim.teach.classroom.checks import PHASE_WORDS
from wcitsim.teach.classroom.glossary import display_name
from wcitsim.teach.classroom.steps import VOTE_NAMES
from wcitsim.teach.classroom.store import FORMAT, Settings

__all__ = [
    "LIKELY",
    "UNLIKELY",
    "Room",
    "claim_list",
    "contested",
    "group_outlook",
    "public",
    "student_view",
    "teacher_view",
    "where",
]

#: A group member is *likely* to sign from this probability up, *unlikely* below :data:`UNLIKELY`.
LIKELY, UNLIKELY = 0.65, 0.35


class Room(Protocol):
    """What the views read of a class session (:class:`wcitsim.teach.classroom.room.ClassRoom`)."""

    settings: Settings
    data: Dataset
    world: World
    conference: Conference
    index: dict[str, int]
    phase: str
    paused: bool
    auto: bool
    debrief_open: bool
    reveal: dict[str, bool]
    seats: dict[str, str]
    members: Counter[str]
    pending: dict[str, object]
    acted: dict[str, int]
    timings: list[float]
    address: str | None
    per_device: int

    def time_left(self) -> float | None: ...


def where(room: Room) -> str:
    """Where the conference is, for a sentence: "in the lobby", "in session 2 of 6", "at the vote" ..."""
    if room.phase == "negotiate":
        return f"in session {min(room.conference.closed + 1, room.world.sessions)} of {room.world.sessions}"
    return PHASE_WORDS[room.phase]


def contested(room: Room) -> list[str]:
    """The ids of the clauses put to the vote (none before the deadline)."""
    if room.conference.contested is None:
        return []
    return [c for c, x in zip(room.world.agenda.ids, room.conference.contested[0], strict=True) if x]


def _name(w: World, i: int) -> str:
    return display_name(w.iso3[i], w.names[i])


def group_outlook(w: World, p: np.ndarray, i: int) -> dict[str, list[dict]]:
    """The members of delegation ``i``'s group by their chance of signing (``p``, N): likely, undecided, unlikely.

    Each list runs from the most to the least likely to sign (then by name); a member's
    ``p`` is rounded to the hundredth the pages show, and sorted by it.
    """
    members = [
        {"iso3": w.iso3[j], "name": _name(w, j), "p": round(float(p[j]), 2)}
        for j in np.flatnonzero(w.group == w.group[i])
    ]
    members.sort(key=lambda m: (-m["p"], m["name"]))
    return {
        "likely": [m for m in members if m["p"] >= LIKELY],
        "undecided": [m for m in members if UNLIKELY <= m["p"] < LIKELY],
        "unlikely": [m for m in members if m["p"] < UNLIKELY],
    }


def _option(agenda: AgendaArrays, k: int, value: float) -> int:
    """The number of the option of clause ``k`` nearest to ``value``."""
    return int(np.nanargmin(np.abs(agenda.options[k] - value)))


def _shown_text(room: Room) -> np.ndarray | None:
    """The text on the table (K): the session's draft, the final draft at the vote, the text once settled."""
    conf = room.conference
    if room.phase in ("sign", "done"):
        return conf.text[0]
    if room.phase == "vote":
        return conf.final_draft[0]
    return conf.drafts[-1][0] if conf.drafts else None


def _clause_rows(room: Room, i: int | None) -> list[dict]:
    """One row per clause: the options, the text, the 1988 and 2012 texts, and delegation ``i``'s card."""
    w, conf = room.world, room.conference
    agenda = w.agenda
    draft = _shown_text(room)
    rows = []
    s = conf.salience_norm[0, i] if i is not None else None
    for k, cid in enumerate(agenda.ids):
        row = {"id": cid, "label": w.scenario.agenda.active[k].label, "options": list(agenda.labels[k])}
        row["draft"] = None if draft is None else _option(agenda, k, draft[k])
        row["final_acts"] = (
            None if np.isnan(agenda.final_acts[k]) else _option(agenda, k, agenda.final_acts[k])
        )
        row["status_quo"] = _option(agenda, k, agenda.status_quo[k])
        if conf.contested is not None:
            row["contested"] = bool(conf.contested[0, k])
        if room.phase == "done" or (room.phase == "sign" and conf.tallies is not None):
            row["tally"] = [int(x) for x in conf.tallies[0, k]]
        if i is not None:
            row["interest"] = _option(agenda, k, conf.interest[0, i, k])
            row["salience"] = round(float(s[k]), 3)
            row["position"] = _option(agenda, k, conf.position[0, i, k])
            if room.reveal["group"]:
                g = w.group_names.index(w.group[i])
                row["group"] = _option(agenda, k, float(w.membership[g] @ conf.position[0, :, k]))
            if room.phase == "vote" and conf.contested[0, k]:
                row["model_vote"] = VOTE_NAMES[int(conf.model_votes[0, i, k])]
        rows.append(row)
    return rows


def _signatures(room: Room) -> dict | None:
    """Who signs (at the end) or is expected to sign (before), with each delegation's P(sign) as ``p``."""
    conf = room.conference
    if room.phase == "done":
        return {"signed": int(conf.signed[0].sum()), "of": room.world.n}
    if room.phase == "sign":
        p = conf.signing_probabilities()[0]
    elif conf.projected:
        p = conf.projected[-1][0]
    else:
        return None
    return {"expected": round(float(p.sum()), 1), "of": room.world.n, "p": p}


def public(room: Room) -> dict:
    """What everyone may see: the phase, the clock, the draft."""
    left = room.time_left()
    return {
        "format": FORMAT,
        "phase": room.phase,
        "session": min(room.conference.closed + 1, room.world.sessions)
        if room.phase == "negotiate"
        else None,
        "sessions": room.world.sessions,
        "time_left": None if left is None else round(left, 1),
        "time_limit": room.settings.time_limit,
        "paused": room.paused,
        "scenario": Path(room.settings.scenario).stem,
        "debrief_open": room.debrief_open,
        "reveal": dict(room.reveal),
        "record": {  # the bases of the counts: Member States, those with signing rights, signatories
            "members": room.data.facts.itu_member_states,
            "eligible": room.data.facts.eligible,
            "signed": room.data.facts.signed,
        },
    }


def student_view(room: Room, seat: str, iso: str) -> dict:
    """Seat ``seat``'s screen (it plays ``iso``): its briefing card, the draft, its group and who may sign."""
    i = room.index[iso]
    w, conf = room.world, room.conference
    view = {
        **public(room),
        "seat": seat.strip().upper(),
        "iso3": iso,
        "name": _name(w, i),
        "group": str(w.group[i]),
        "team": room.members[iso],
        "clauses": _clause_rows(room, i),
        "submitted": room.pending.get(iso),
        "students_at_table": [
            {"iso3": s, "name": _name(w, room.index[s])} for s in sorted(set(room.seats.values()))
        ],
    }
    signatures = _signatures(room)
    if signatures is not None and room.reveal["projected"]:
        p = signatures.pop("p", None)
        view["signatures"] = signatures
        if p is not None:
            view["own_probability"] = round(float(p[i]), 2)
            view["group_outlook"] = group_outlook(w, p, i)
    if room.phase == "done":
        view["signed"] = bool(conf.signed[0, i])
    return view


def teacher_view(room: Room) -> dict:
    """The teacher's screen: everything students see in aggregate, the seats and who has acted."""
    w, conf = room.world, room.conference
    view = {
        **public(room),
        "code": room.settings.code,
        "address": room.address,
        "auto": room.auto,
        "per_device": room.per_device,
        "clauses": _clause_rows(room, None),
        "seats": [
            {
                "iso3": iso,
                "name": _name(w, room.index[iso]),
                "group": str(w.group[room.index[iso]]),
                "team": n,
                "acted": iso in room.pending,
                "steps_acted": room.acted.get(iso, 0),
            }
            for iso, n in sorted(room.members.items())
        ],
        "step_seconds": [round(t, 4) for t in room.timings],
        "history": [
            {"session": t + 1, "expected_signatures": round(float(p[0].sum()), 1)}
            for t, p in enumerate(conf.projected)
        ],
    }
    signatures = _signatures(room)
    if signatures is not None:
        signatures.pop("p", None)
        view["signatures"] = signatures
    return view


def claim_list(room: Room) -> list[dict]:
    """The seated delegations for the claim list, with whether each is taken."""
    taken = set(room.seats.values())
    w = room.world
    return [
        {"iso3": iso, "name": _name(w, i), "group": str(w.group[i]), "claimed": iso in taken}
        for i, iso in enumerate(w.iso3)
    ]
