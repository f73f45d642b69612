"""A class plays the conference: students take delegations, the model plays every other one.

Two layers, both free of any web framework:

* :class:`Conference` is one replication of the vectorised engine advanced a step
  at a time (open a session, close it, the deadline, the vote, the signatures),
  with the moves, votes and signatures of some delegations given from outside.
  With nothing given it reproduces :func:`wcitsim.core.conference.run_vectorized` draw for
  draw, so a class's outcome differs from the model-only run of the same seed
  only through what the students did.
* :class:`ClassRoom` is the class session around it: the join code, seats and
  their codes, phases and the turn clock, what the teacher reveals, every request's
  checks (:class:`Refused` carries the HTTP status and a one-line message), and
  the file it is saved to after every change. The file holds the settings and the
  log of closed steps; loading it replays the log, so a restarted server resumes
  exactly where the class was.

Seat codes, the join code and the teacher's key come from :mod:`secrets`: they
are credentials, not model draws, and never touch the model's random streams.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.core.conference import chair_draft, opening, projected_probabilities, session_step, yielding
from wcitsim.core.rules import delegation_votes, settle_text, signing_probabilities
from wcitsim.core.utility import utility, utility_gain
from wcitsim.core.world import Streams, World, build_world, replication_seeds
from wcitsim.data import Dataset, load_dataset
from wcitsim.errors import UsageError, WcitsimError
from wcitsim.experiments.records import json_default, write_json_atomic
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario, scenario_path
from wcitsim.metrics import eligible_signatories, interval, known_decisions

__all__ = ["ClassRoom", "Conference", "Refused", "Settings", "load_class", "new_class"]

FORMAT = "wcitsim-class/1"
PHASES = ("lobby", "negotiate", "vote", "sign", "done")
VOTES = {"yes": 1, "no": -1, "abstain": 0}
VOTE_NAMES = {v: k for k, v in VOTES.items()}
#: Letters and digits that cannot be misread on a projector (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REVEALABLE = ("projected", "group")
MODEL_RUNS = 200  # model-only runs the debrief places the class among


class Refused(Exception):
    """A request the class session turns down: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# --------------------------------------------------------------------------- the model, a step at a time


class Conference:
    """One replication of a scenario advanced step by step, some delegations' choices given.

    ``moves`` (closing a session) set a delegation's positions after the model's
    moves of that session; ``votes`` replace the votes its interests imply on
    contested clauses; ``signatures`` replace its signing draw (and its group
    conforms to the decision). The random draws are those of the engine, in its
    order: position and salience noise, one shock per session, the signing draw.
    """

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.seed = seed
        self.streams = Streams([seed])
        self.position, self.salience, self.interest, self.salience_norm, self.sq_utility = opening(
            world, self.streams
        )
        self.yield_weight = yielding(self.salience)
        self.drafts: list[np.ndarray] = []  # the chair's draft of each session, K
        self.projected: list[np.ndarray] = []  # P(sign) of each delegation under that draft, N
        self.closed = 0  # sessions closed
        self.final_draft = self.contested = self.model_votes = None
        self.text = self.tallies = self.probability = self.signed = None

    # the sessions
    def open_session(self) -> np.ndarray:
        """The chair drafts for the next session from the positions at the table; returns the draft (K)."""
        w = self.world
        draft = chair_draft(w, self.position, self.salience, self.interest)
        self.drafts.append(draft[0])
        self.projected.append(
            projected_probabilities(
                w, draft, self.interest, self.position, self.salience_norm, self.sq_utility
            )[0]
        )
        return draft[0]

    def close_session(self, moves: dict[int, dict[int, float]]) -> None:
        """The session's moves: the model's for everyone, then the given positions {delegation: {clause: value}}."""
        w = self.world
        shock = self.streams.uniform((w.n, w.agenda.k))
        draft = self.drafts[-1][None, :]
        self.position = session_step(w, self.position, self.yield_weight, draft, shock, self.closed)
        for i, clauses in moves.items():
            for k, value in clauses.items():
                self.position[0, i, k] = value
        self.closed += 1

    # the deadline
    def view(self) -> np.ndarray:
        """The positions capitals judge the text by (N × K)."""
        return self.world.signing_view(self.interest, self.position)[0]

    def open_deadline(self) -> None:
        """The chair's final draft, which clauses lack consensus, and how each delegation would vote."""
        w = self.world
        draft = chair_draft(w, self.position, self.salience, self.interest)
        view = w.signing_view(self.interest, self.position)
        _, contested, _ = settle_text(
            draft, w.agenda.status_quo, view, self.salience, w.scenario.voting, w.signing.exponent
        )
        self.final_draft, self.contested = draft[0], contested[0]
        self.model_votes = delegation_votes(
            draft, w.agenda.status_quo, view, w.signing.exponent, w.scenario.voting.abstain_band
        )[0]

    def close_vote(self, votes: dict[int, dict[int, int]]) -> None:
        """Settle the text with the given votes {delegation: {clause: 1 | −1 | 0}} replacing the model's."""
        w = self.world
        cast = self.model_votes.copy()
        for i, clauses in votes.items():
            for k, vote in clauses.items():
                cast[i, k] = vote
        text, _, tallies = settle_text(
            self.final_draft[None, :],
            w.agenda.status_quo,
            w.signing_view(self.interest, self.position),
            self.salience,
            w.scenario.voting,
            w.signing.exponent,
            votes=cast[None],
        )
        self.text, self.tallies = text[0], tallies[0]

    def sign_probabilities(self, decided: dict[int, bool] | None = None) -> np.ndarray:
        """P(sign) of each delegation for the final text, by its capital's view, the ``decided`` ones fixed (N)."""
        w = self.world
        mask = np.zeros(w.n, dtype=bool)
        value = np.zeros(w.n)
        for i, sign in (decided or {}).items():
            mask[i], value[i] = True, float(sign)
        view = w.signing_view(self.interest, self.position)
        _, prob = signing_probabilities(
            self.text[None], w.agenda.status_quo, view, self.salience, w.membership, w.signing,
            fixed=(mask, value) if mask.any() else None,
        )  # fmt: skip
        return prob[0]

    def close_sign(self, signatures: dict[int, bool]) -> None:
        """Everyone decides: the given delegations as given, the others by the model's draw."""
        self.probability = self.sign_probabilities(signatures)
        draw = self.streams.uniform((self.world.n,))[0]
        self.signed = draw < self.probability
        for i, sign in signatures.items():
            self.signed[i] = bool(sign)

    def run_alone(self) -> Conference:
        """Play the whole conference with no one else's choices (the model-only run of this seed)."""
        for _ in range(self.world.sessions):
            self.open_session()
            self.close_session({})
        self.open_deadline()
        self.close_vote({})
        self.close_sign({})
        return self


# --------------------------------------------------------------------------- the class session


@dataclass
class Settings:
    """What a class session is started with; saved with it."""

    scenario: str
    seed: int
    sessions: int
    time_limit: float
    code: str = field(default_factory=lambda: _code(4))
    teacher_key: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    data_dir: str | None = None


def _check_settings(s: Settings, where: str) -> None:
    if not isinstance(s.seed, int) or isinstance(s.seed, bool) or s.seed < 0:
        raise UsageError(f"{where}: seed: {s.seed!r}; expected an integer ≥ 0")
    if not isinstance(s.sessions, int) or isinstance(s.sessions, bool) or not 1 <= s.sessions <= 100:
        raise UsageError(f"{where}: sessions: {s.sessions!r}; expected an integer from 1 to 100")
    if not _seconds(s.time_limit, 10):
        raise UsageError(f"{where}: time_limit: {s.time_limit!r}; expected seconds from 10 to 3600")
    if not (isinstance(s.code, str) and len(s.code) == 4 and set(s.code) <= set(ALPHABET)):
        raise UsageError(
            f"{where}: code: {s.code!r}; expected four letters or digits of the join-code alphabet"
        )


class ClassRoom:
    """A class session: seats, phases, the turn clock, what students see, saved after every change.

    Phases: ``lobby`` (students claim delegations) → ``negotiate`` (sessions 1..S:
    each student may set its delegation's positions on the chair's draft) →
    ``vote`` (contested clauses) → ``sign`` → ``done`` (the debrief). The teacher
    advances; with ``auto`` on, the phase also closes when its time runs out. A
    delegation whose student did nothing in time is played by the model.
    """

    def __init__(
        self,
        settings: Settings,
        folder: Path | None = None,
        data: Dataset | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _check_settings(settings, str(folder) if folder else "class settings")
        self.settings = settings
        self.folder = folder
        self.clock = clock
        self.data = data or load_dataset(Path(settings.data_dir) if settings.data_dir else None)
        scenario = load_scenario(settings.scenario).replace(**{"run.sessions": settings.sessions})
        if scenario.protocol.name != "single_text":
            raise UsageError(
                f"{settings.scenario}: protocol.name: {scenario.protocol.name!r}; a class plays the single_text "
                "protocol (sessions under a chair, a vote, signatures); expected 'single_text'"
            )
        self.world = build_world(scenario, self.data)
        self.index = {iso: i for i, iso in enumerate(self.world.iso3)}
        self.conference = Conference(self.world, replication_seeds(settings.seed, 1)[0])
        self.seats: dict[str, str] = {}  # seat code → ISO3
        self.members: Counter[str] = Counter()  # ISO3 → people on its seat (the claimant and teammates)
        self.history: list[dict] = []  # closed steps, replayed on loading
        self.pending: dict[str, dict] = {}  # ISO3 → this phase's submission
        self.acted: dict[str, int] = {}  # ISO3 → steps in which its student acted
        self.phase = "lobby"
        self.deadline: float | None = None
        self.remaining: float | None = None  # while paused
        self.paused = False
        self.auto = False
        self.debrief_open = False
        self.reveal = {"projected": True, "group": True}
        self.timings: list[float] = []  # seconds each advance took
        self.address: str | None = None  # where students join, as the server announces it
        self._debrief: dict | None = None
        self._figure = ""
        self._debrief_lock = threading.Lock()

    # ---------------------------------------------------------------- the clock
    def time_left(self) -> float | None:
        """Seconds left in the current phase (None in the lobby and at the end)."""
        if self.phase in ("lobby", "done"):
            return None
        if self.paused:
            return self.remaining
        return max(0.0, (self.deadline or 0.0) - self.clock())

    def _start_clock(self) -> None:
        self.deadline = self.clock() + self.settings.time_limit
        self.paused, self.remaining = False, None

    def tick(self) -> None:
        """Close the phase if its time ran out and the teacher chose auto-advance."""
        if self.auto and self.phase in ("negotiate", "vote", "sign") and self.time_left() == 0:
            self.advance()

    # ---------------------------------------------------------------- the teacher
    def check_teacher(self, key: object) -> None:
        given = key.encode("utf-8", "replace") if isinstance(key, str) else b""
        if not secrets.compare_digest(given, self.settings.teacher_key.encode()):
            raise Refused(
                403, "this needs the teacher's key (the teacher's address printed by wcitsim teach --class)"
            )

    def advance(self) -> None:
        """Close the current phase (the model decides for those who did not act) and open the next."""
        start = time.perf_counter()
        if self.phase == "done":
            raise Refused(409, "the conference is over; open the debrief")
        if self.phase == "lobby":
            self._open()
        else:
            self._close(self._step_record())
        self.pending = {}
        self.timings.append(time.perf_counter() - start)
        self.save()

    def _step_record(self) -> dict:
        """The closing turn as it is logged (``closed_at``: wall-clock seconds, for research on the class's pace)."""
        closed_at = round(self.clock(), 3)
        if self.phase == "negotiate":
            return {
                "step": "session",
                "session": self.conference.closed + 1,
                "moves": self.pending,
                "closed_at": closed_at,
            }
        if self.phase == "vote":
            return {"step": "vote", "votes": self.pending, "closed_at": closed_at}
        return {"step": "sign", "signatures": self.pending, "closed_at": closed_at}

    def _open(self) -> None:
        self.conference.open_session()
        self.phase = "negotiate"
        self._start_clock()

    def _close(self, record: dict) -> None:
        """Apply one closed step (live or from the saved log) and open what follows it."""
        conf, k_of = self.conference, {c: k for k, c in enumerate(self.world.agenda.ids)}
        for iso in record.get("moves", record.get("votes", record.get("signatures", {}))):
            self.acted[iso] = self.acted.get(iso, 0) + 1
        if record["step"] == "session":
            moves = {
                self.index[iso]: {k_of[c]: self.world.agenda.options[k_of[c], o] for c, o in clauses.items()}
                for iso, clauses in record["moves"].items()
            }
            conf.close_session(moves)
            if conf.closed < self.world.sessions:
                conf.open_session()
            else:
                conf.open_deadline()
                self.phase = "vote"
        elif record["step"] == "vote":
            votes = {
                self.index[iso]: {k_of[c]: VOTES[v] for c, v in clauses.items()}
                for iso, clauses in record["votes"].items()
            }
            conf.close_vote(votes)
            self.phase = "sign"
        else:
            conf.close_sign({self.index[iso]: bool(s) for iso, s in record["signatures"].items()})
            self.phase = "done"
        self.history.append(record)
        if self.phase == "vote" and not conf.contested.any():  # nothing to vote on: settle at once
            self._close({"step": "vote", "votes": {}})
            return
        if self.phase != "done":
            self._start_clock()
        else:
            self.deadline = None

    def pause(self, paused: object) -> None:
        """Stop the clock (students cannot act) or restart it with the time that was left."""
        paused = _boolean(paused, "paused")
        if self.phase in ("lobby", "done"):
            raise Refused(409, f"nothing to pause in the {self.phase}")
        if paused and not self.paused:
            self.remaining, self.paused = self.time_left(), True
        elif not paused and self.paused:
            self.deadline, self.paused = self.clock() + (self.remaining or 0.0), False
        self.save()

    def set_options(self, body: dict) -> None:
        """Reveal or hide information, set the time per turn or extend this one, auto-advance, open the debrief.

        Every option is checked before any is applied: a refused request changes nothing.
        """
        flags = {
            name: _boolean(body[name], name) for name in (*REVEALABLE, "auto", "debrief") if name in body
        }
        if "debrief" in flags and self.phase != "done":
            raise Refused(409, "the debrief opens when the conference is over")
        extend = body.get("extend", 0)
        if not _seconds(extend, 0):
            raise Refused(400, f"extend: {str(extend)[:20]!r}; expected seconds from 0 to 3600")
        if extend and self.phase in ("lobby", "done"):
            raise Refused(409, f"no turn to extend in the {self.phase}")
        limit = body.get("time_limit", self.settings.time_limit)
        if not _seconds(limit, 10):
            raise Refused(400, f"time_limit: {str(limit)[:20]!r}; expected seconds from 10 to 3600")
        self.settings.time_limit = float(limit)
        self.reveal.update({name: flags[name] for name in REVEALABLE if name in flags})
        self.auto = flags.get("auto", self.auto)
        self.debrief_open = flags.get("debrief", self.debrief_open)
        if extend:  # more time for this turn (also after it ran out)
            if self.paused:
                self.remaining = (self.remaining or 0.0) + extend
            else:
                self.deadline = max(self.deadline or 0.0, self.clock()) + extend
        self.save()

    def release(self, iso3: object) -> None:
        """Free a delegation (a student left): the model plays it again, and another student may claim it."""
        iso = self._delegation(iso3)
        self.seats = {code: i for code, i in self.seats.items() if i != iso}
        self.members.pop(iso, None)
        self.pending.pop(iso, None)
        self.save()

    # ---------------------------------------------------------------- students
    def check_code(self, code: object) -> None:
        if not isinstance(code, str) or code.strip().upper() != self.settings.code:
            raise Refused(403, "that is not this class's join code; ask the teacher for it")

    def _delegation(self, iso3: object) -> str:
        if not isinstance(iso3, str) or iso3.upper() not in self.index:
            raise Refused(
                404, f"delegation {str(iso3)[:20]!r} is not seated; expected an ISO3 code from the list"
            )
        return iso3.upper()

    def claim(self, code: object, iso3: object) -> str:
        """Claim a delegation; returns its seat code (teammates enter it to share the seat)."""
        self.check_code(code)
        iso = self._delegation(iso3)
        if self.phase == "done":
            raise Refused(409, "the conference is over; no more seats")
        if iso in self.seats.values():
            raise Refused(409, f"{iso} is already claimed; to share it, ask its team for their seat code")
        seat = _code(8)
        self.seats[seat] = iso
        self.members[iso] = 1
        self.save()
        return seat

    def join(self, seat: object) -> str:
        """A teammate joins a seat with its code; returns the delegation."""
        iso = self.seat(seat)
        self.members[iso] += 1
        self.save()
        return iso

    def seat(self, seat: object) -> str:
        """The delegation a seat code plays (a reload or a teammate); refused for an unknown code."""
        if not isinstance(seat, str) or seat.strip().upper() not in self.seats:
            raise Refused(403, "unknown seat code; claim a delegation or ask your team for its seat code")
        return self.seats[seat.strip().upper()]

    def _acting(self, seat: object, iso3: object, phase: str) -> str:
        iso = self.seat(seat)
        if iso3 is not None and (not isinstance(iso3, str) or iso3.upper() != iso):
            raise Refused(403, f"your seat plays {iso}; you cannot act for {str(iso3)[:20]!r}")
        if self.phase != phase:
            raise Refused(409, f"not now: the conference is in the {self.phase} phase, not the {phase} phase")
        if self.paused:
            raise Refused(409, "the session is suspended; wait for the chair")
        if self.time_left() == 0:
            raise Refused(409, "time is up for this turn; the model decides for delegations that did not act")
        return iso

    def move(self, seat: object, iso3: object, positions: object) -> None:
        """Set the seat's positions for this session: {clause id: option number (0 = first option)}."""
        iso = self._acting(seat, iso3, "negotiate")
        checked = self._positions(positions)
        self.pending[iso] = {**self.pending.get(iso, {}), **checked}
        self.save()

    def vote(self, seat: object, iso3: object, votes: object) -> None:
        """Cast the seat's votes on contested clauses: {clause id: "yes" | "no" | "abstain"}."""
        iso = self._acting(seat, iso3, "vote")
        self._votes(votes)
        self.pending[iso] = {**self.pending.get(iso, {}), **votes}
        self.save()

    def _positions(self, positions: object) -> dict:
        """Checked positions {clause id: option number}; refused (400) with a message otherwise."""
        if not isinstance(positions, dict) or not positions:
            raise Refused(400, "positions: expected an object {clause id: option number}")
        agenda = self.world.agenda
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

    def _votes(self, votes: object) -> dict:
        """Checked votes {contested clause id: "yes" | "no" | "abstain"}; refused (400) with a message otherwise."""
        contested = [c for c, x in zip(self.world.agenda.ids, self.conference.contested, strict=True) if x]
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

    def sign(self, seat: object, iso3: object, decision: object) -> None:
        """The seat's decision: sign the Final Acts (true) or stay under the 1988 rules (false)."""
        iso = self._acting(seat, iso3, "sign")
        self.pending[iso] = _boolean(decision, "sign")
        self.save()

    # ---------------------------------------------------------------- what is shown
    def _clause_rows(self, i: int | None) -> list[dict]:
        w, conf = self.world, self.conference
        agenda = w.agenda
        draft = conf.drafts[-1] if conf.drafts else None
        if self.phase in ("vote", "sign"):
            draft = conf.final_draft
        if self.phase in ("sign", "done"):
            draft = conf.text
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
                row["contested"] = bool(conf.contested[k])
            if self.phase == "done" or (self.phase == "sign" and conf.tallies is not None):
                row["tally"] = [int(x) for x in conf.tallies[k]]
            if i is not None:
                row["interest"] = _option(agenda, k, conf.interest[0, i, k])
                row["salience"] = round(float(s[k]), 3)
                row["position"] = _option(agenda, k, conf.position[0, i, k])
                if self.reveal["group"]:
                    g = w.group_names.index(w.group[i])
                    row["group"] = _option(agenda, k, float(w.membership[g] @ conf.position[0, :, k]))
                if self.phase == "vote" and conf.contested[k]:
                    row["model_vote"] = VOTE_NAMES[int(conf.model_votes[i, k])]
            rows.append(row)
        return rows

    def _signatures(self) -> dict | None:
        conf = self.conference
        if self.phase == "done":
            return {"signed": int(conf.signed.sum()), "of": self.world.n}
        if self.phase == "sign":
            p = conf.sign_probabilities()
        elif conf.projected:
            p = conf.projected[-1]
        else:
            return None
        return {"expected": round(float(p.sum()), 1), "of": self.world.n, "p": p}

    def public(self) -> dict:
        """What everyone may see: the phase, the clock, the draft."""
        left = self.time_left()
        return {
            "format": FORMAT,
            "phase": self.phase,
            "session": min(self.conference.closed + 1, self.world.sessions)
            if self.phase == "negotiate"
            else None,
            "sessions": self.world.sessions,
            "time_left": None if left is None else round(left, 1),
            "time_limit": self.settings.time_limit,
            "paused": self.paused,
            "scenario": Path(self.settings.scenario).stem,
            "debrief_open": self.debrief_open,
            "reveal": dict(self.reveal),
        }

    def student_view(self, seat: object) -> dict:
        """A seat's screen: its briefing card, the draft, its group's position and, if revealed, who may sign."""
        iso = self.seat(seat)
        i = self.index[iso]
        w, conf = self.world, self.conference
        view = {
            **self.public(),
            "seat": seat.strip().upper(),
            "iso3": iso,
            "name": w.names[i],
            "group": str(w.group[i]),
            "team": self.members[iso],
            "clauses": self._clause_rows(i),
            "submitted": self.pending.get(iso),
            "students_at_table": sorted(set(self.seats.values())),
        }
        signatures = self._signatures()
        if signatures is not None and self.reveal["projected"]:
            p = signatures.pop("p", None)
            view["signatures"] = signatures
            if p is not None:
                view["own_probability"] = round(float(p[i]), 2)
                members = np.flatnonzero(w.group == w.group[i])
                view["group_members"] = [
                    {"iso3": w.iso3[j], "name": w.names[j], "p": round(float(p[j]), 2)} for j in members
                ]
        if self.phase == "done":
            view["signed"] = bool(conf.signed[i])
        return view

    def teacher_view(self) -> dict:
        """The teacher's screen: everything students see in aggregate, the seats and who has acted."""
        w, conf = self.world, self.conference
        view = {
            **self.public(),
            "code": self.settings.code,
            "address": self.address,
            "auto": self.auto,
            "clauses": self._clause_rows(None),
            "seats": [
                {
                    "iso3": iso,
                    "name": w.names[self.index[iso]],
                    "group": str(w.group[self.index[iso]]),
                    "team": n,
                    "acted": iso in self.pending,
                    "steps_acted": self.acted.get(iso, 0),
                }
                for iso, n in sorted(self.members.items())
            ],
            "step_seconds": [round(t, 4) for t in self.timings],
            "history": [
                {"session": t + 1, "expected_signatures": round(float(p.sum()), 1)}
                for t, p in enumerate(conf.projected)
            ],
        }
        signatures = self._signatures()
        if signatures is not None:
            signatures.pop("p", None)
            view["signatures"] = signatures
        return view

    def delegations(self, code: object) -> list[dict]:
        """The seated delegations for the claim list, with whether each is taken."""
        self.check_code(code)
        taken = set(self.seats.values())
        w = self.world
        return [
            {"iso3": iso, "name": w.names[i], "group": str(w.group[i]), "claimed": iso in taken}
            for i, iso in enumerate(w.iso3)
        ]

    # ---------------------------------------------------------------- the debrief
    def debrief(self) -> dict:
        """The class against the model-only run of the same seed and against history, delegation by delegation."""
        if self.phase != "done":
            raise Refused(409, "the debrief opens when the conference is over")
        with self._debrief_lock:  # the server computes it off the event loop, once
            if self._debrief is None:
                result = debrief(self)
                self._figure = debrief_figure(result)
                if self.folder is not None:
                    write_debrief(result, self._figure, self.folder)
                self._debrief = result
        return self._debrief

    def figure(self) -> str:
        """The debrief's figure (SVG)."""
        self.debrief()
        return self._figure

    # ---------------------------------------------------------------- saving
    def state(self) -> dict:
        """What is saved: the settings, the seats, the log of closed steps and the open phase's submissions."""
        return {
            "format": FORMAT,
            "settings": asdict(self.settings),
            "seats": self.seats,
            "members": dict(self.members),
            "history": self.history,
            "pending": self.pending,
            "deadline": self.deadline,
            "remaining": self.remaining,
            "paused": self.paused,
            "auto": self.auto,
            "reveal": self.reveal,
            "debrief_open": self.debrief_open,
            "started": self.phase != "lobby",
        }

    def save(self) -> None:
        """Write the state file atomically (nothing is lost if the server dies mid-write)."""
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.folder / "class.json", self.state())


def _seconds(value: object, lo: float, hi: float = 3600) -> bool:
    """Whether ``value`` is a number of seconds from ``lo`` to ``hi`` (a boolean is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi


def _boolean(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise Refused(400, f"{key}: {str(value)[:20]!r}; expected true or false")
    return value


def _option(agenda, k: int, value: float) -> int:
    """The number of the option of clause ``k`` nearest to ``value``."""
    return int(np.nanargmin(np.abs(agenda.options[k] - value)))


# --------------------------------------------------------------------------- starting and resuming


def new_class(
    scenario: Path,
    folder_root: Path,
    seed: int = 2012,
    sessions: int | None = None,
    time_limit: float = 180.0,
    data_dir: Path | None = None,
) -> ClassRoom:
    """Start a class session saved under ``folder_root/<join code>/``."""
    scenario = scenario_path(scenario).resolve()
    sessions = sessions or load_scenario(scenario).run.sessions
    for _ in range(100):
        settings = Settings(
            str(scenario), seed, sessions, float(time_limit), data_dir=str(data_dir) if data_dir else None
        )
        if not (folder_root / settings.code).exists():
            break
    room = ClassRoom(settings, folder_root / settings.code)
    room.save()
    return room


def load_class(folder: Path, clock: Callable[[], float] = time.time) -> ClassRoom:
    """Resume a saved class session: rebuild the conference and replay its closed steps."""
    path = Path(folder) / "class.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no saved class here; expected the folder wcitsim teach --class printed"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(
            f"{path}: not a readable class file ({err}); expected the JSON wcitsim wrote"
        ) from None
    try:
        if state.get("format") != FORMAT:
            raise UsageError(f"{path}: format: {state.get('format')!r}; expected {FORMAT!r}")
        room = ClassRoom(Settings(**state["settings"]), Path(folder), clock=clock)
        room.seats = {str(k): room._delegation(v) for k, v in state["seats"].items()}
        room.members = Counter({room._delegation(k): int(v) for k, v in state["members"].items()})
        if set(room.members) != set(room.seats.values()):
            raise ValueError("members: expected a count for every claimed delegation")
        if state["started"]:
            room._open()
            for record in state["history"]:
                if record["step"] == "vote" and not record["votes"] and room.phase == "sign":
                    continue  # replayed already: nothing was contested
                room._close(record)
        _check_pending(room, state["pending"])
        room.pending = state["pending"]
        room.deadline, room.remaining, room.paused = state["deadline"], state["remaining"], state["paused"]
        room.auto, room.debrief_open = bool(state["auto"]), bool(state["debrief_open"])
        room.reveal = {name: bool(state["reveal"][name]) for name in REVEALABLE}
        if room.deadline is not None:
            room.deadline = float(room.deadline)
    except WcitsimError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, Refused) as err:
        raise UsageError(
            f"{path}: a damaged class file ({type(err).__name__}: {err}); expected the JSON wcitsim wrote"
        ) from None
    return room


def _check_pending(room: ClassRoom, pending: object) -> None:
    """The open turn's submissions in a saved file are what the live checks would have let through."""
    if not isinstance(pending, dict) or not set(pending) <= set(room.index):
        raise ValueError("pending: expected submissions of seated delegations")
    for iso, value in pending.items():
        if room.phase == "sign":
            _boolean(value, f"pending.{iso}")
        elif room.phase == "vote":
            room._votes(value)
        elif room.phase == "negotiate":
            room._positions(value)
        else:
            raise ValueError(f"pending.{iso}: no submission is open in the {room.phase}")


# --------------------------------------------------------------------------- the debrief


def debrief(room: ClassRoom) -> dict:
    """Delegation by delegation: the class, the model-only run of the same seed, and the record.

    ``model_range`` places the class among ``MODEL_RUNS`` model-only runs (other seeds;
    the class's own seed is the first): how many sign, and how often each clause of the
    class's text comes out.

    *Deviation* is how far a student's positions at the table stood from the
    delegation's seeded interest (salience-weighted mean distance over the sessions
    it acted in, 0 to 1). Payoffs are judged by the seeded interests and saliences:
    a state that signs gets the text's utility gain over the 1988 text, one that does
    not stays under the 1988 rules (0). *Won* is the class payoff minus the
    model-only payoff: what the class's play (the text and the decision) cost
    (negative) or won the delegation; *text_won* is the part due to the text alone
    (utility of the class text minus that of the model-only text).
    """
    w, conf = room.world, room.conference
    alone = Conference(w, conf.seed).run_alone()
    sal = conf.salience_norm[0]
    a = w.signing.exponent
    interest, sq = conf.interest[0], w.agenda.status_quo
    text_won = utility(conf.text, interest, sal, a) - utility(alone.text, interest, sal, a)
    payoff = {
        key: np.where(c.signed, utility_gain(c.text, sq, interest, sal, a), 0.0)
        for key, c in (("class", conf), ("model", alone))
    }
    won = payoff["class"] - payoff["model"]
    played = set(room.seats.values())
    deviations: dict[str, list[float]] = {}
    for record in room.history:
        for iso, clauses in record.get("moves", {}).items():
            i = room.index[iso]
            k = [w.agenda.ids.index(c) for c in clauses]
            chosen = np.array([w.agenda.options[kk, o] for kk, o in zip(k, clauses.values(), strict=True)])
            weight = sal[i, k] / sal[i, k].sum() if sal[i, k].sum() > 0 else np.full(len(k), 1 / len(k))
            deviations.setdefault(iso, []).append(float(weight @ np.abs(chosen - conf.interest[0, i, k])))
    record = w.record.fillna("unknown")
    rows = []
    for i, iso in enumerate(w.iso3):
        rows.append({
            "iso3": iso,
            "name": w.names[i],
            "group": str(w.group[i]),
            "played_by": "students" if iso in played else "model",
            "acted_steps": room.acted.get(iso, 0),
            "record": record.iloc[i],
            "class_signed": bool(conf.signed[i]),
            "model_signed": bool(alone.signed[i]),
            "class_p_sign": round(float(conf.probability[i]), 3),
            "model_p_sign": round(float(alone.probability[i]), 3),
            "deviation": round(float(np.mean(deviations[iso])), 3) if iso in deviations else None,
            "class_payoff": round(float(payoff["class"][i]), 4),
            "model_payoff": round(float(payoff["model"][i]), 4),
            "won": round(float(won[i]), 4),
            "text_won": round(float(text_won[i]), 4),
        })  # fmt: skip
    table = pd.DataFrame(rows).astype(object)
    table = table.where(table.notna(), None)  # no NaN in JSON: a delegation that never moved has no deviation
    known = known_decisions(record)
    truth = (record == "signed").to_numpy()
    known_total = int(known_decisions(room.data.record["decision"]).sum())
    facts = room.data.facts

    def summary(c: Conference) -> dict:
        return {
            "signed": int(c.signed.sum()),
            "signed_known": int(c.signed[known].sum()),
            "agree_known": round(float((c.signed[known] == truth[known]).mean()), 3) if known.any() else None,
            "eligible_signed": round(
                float(eligible_signatories(c.signed[None], known, facts.eligible, known_total)[0]), 1
            ),
            "text": [w.agenda.label_of(k, v) for k, v in enumerate(c.text)],
            "projected": [round(float(p.sum()), 1) for p in c.projected],
        }

    many = run_outcome(w, replication_seeds(room.settings.seed, MODEL_RUNS), trace=False)
    counts = many.signed.sum(axis=1)
    eligible = eligible_signatories(many.signed, known, facts.eligible, known_total)
    class_signed = int(conf.signed.sum())
    model_range = {
        "runs": MODEL_RUNS,
        "signed_mean": round(float(counts.mean()), 1),
        "signed_interval": [round(x, 1) for x in interval(counts)],
        "eligible_mean": round(float(eligible.mean()), 1),
        "eligible_interval": [round(x, 1) for x in interval(eligible)],
        # the class's place among the model's runs: the share with fewer signatories, ties counted half
        "class_percentile": round(
            float((counts < class_signed).mean() + 0.5 * (counts == class_signed).mean()), 3
        ),
        "text_share": [round(float((many.text[:, k] == conf.text[k]).mean()), 3) for k in range(w.agenda.k)],
    }
    final = w.agenda.final_acts
    return {
        "clauses": list(w.agenda.ids),
        "model_range": model_range,
        "final_acts": [None if np.isnan(v) else w.agenda.label_of(k, v) for k, v in enumerate(final)],
        "class": summary(conf),
        "model": summary(alone),
        "record": {
            "signed_known": int(truth[known].sum()),
            "known": int(known.sum()),
            "eligible": facts.eligible,
            "signed": facts.signed,
        },
        "delegations": table.to_dict(orient="records"),
        "students": table[table["played_by"] == "students"].to_dict(orient="records"),
        "changed_decisions": table[table["class_signed"] != table["model_signed"]]["iso3"].tolist(),
    }


def write_debrief(result: dict, figure: str, folder: Path) -> None:
    """Save the debrief next to the class file: JSON, a CSV per delegation, the figure, and a page to hand out."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "debrief.json", result)
    table = pd.DataFrame(result["delegations"])
    tmp = folder / ".delegations.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(folder / "delegations.csv")
    tmp = folder / ".debrief.svg.tmp"
    tmp.write_text(figure, encoding="utf-8")
    tmp.replace(folder / "debrief.svg")
    tmp = folder / ".debrief.html.tmp"
    tmp.write_text(debrief_page(result, figure), encoding="utf-8")
    tmp.replace(folder / "debrief.html")


def debrief_page(result: dict, figure: str) -> str:
    """The debrief as one self-contained HTML file (the pages' own tables and style, the figure inline)."""
    from importlib import resources

    folder = resources.files("wcitsim.teach.classroom") / "static"
    style = (folder / "classroom.css").read_text(encoding="utf-8")
    script = (folder / "classroom.js").read_text(encoding="utf-8")
    data = json.dumps(result, default=json_default, allow_nan=False).replace("</", "<\\/")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>wcitsim class debrief</title>'
        f'<style>{style}</style></head><body><main><section id="debrief"></section><section>{figure}</section>'
        f'<div id="message" class="hidden"></div></main><script>{script}</script>'
        f"<script>document.getElementById('debrief').innerHTML = debriefTables({data});</script></body></html>\n"
    )


def debrief_figure(result: dict) -> str:
    """Two panels as SVG: what each student delegation won or lost, and projected signatures by session."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    students = result["students"] or []
    if students:
        names = [s["iso3"] for s in students]
        won = [s["won"] for s in students]
        left.barh(names, won, color=["#2a7" if x >= 0 else "#c44" for x in won])
        left.axvline(0, color="black", lw=0.8)
    else:
        left.text(0.5, 0.5, "no delegation was played by students", ha="center", va="center")
    left.set_xlabel("payoff won (+) or lost (−) against the model-only run")
    left.set_title("Student delegations")
    for label, key, style in (("class", "class", "-o"), ("model only", "model", "--s")):
        series = result[key]["projected"]
        right.plot(range(1, len(series) + 1), series, style, label=label)
    right.axhline(result["class"]["signed"], color="#2a7", lw=0.8, ls=":", label="class signatures")
    right.set_xticks(range(1, len(result["class"]["projected"]) + 1))
    right.set_xlabel("session")
    right.set_ylabel("expected signatories (all seated)")
    right.set_title("Who would sign each draft")
    right.legend(fontsize=8)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()
