"""A class plays the conference: students take delegations, the model plays every other one.

:class:`ClassRoom` is the class session around one replication of the core engine
(:class:`wcitsim.core.conference.Conference` with R = 1), free of any web
framework: the join code, seats and their codes, phases and the turn clock, what
the teacher reveals, every request's checks (:class:`Refused` carries the HTTP
status and a one-line message), and the file it is saved to after every change.
The file holds the settings and the log of closed steps; loading it
(:func:`load_class`) replays the log, so a restarted server resumes exactly where
the class was. With no student acting, the class's conference is the model-only
run of its seed, draw for draw.

What the screens show is in :mod:`~wcitsim.teach.classroom.views`, the debrief in
:mod:`~wcitsim.teach.classroom.debrief`, the saved file in
:mod:`~wcitsim.teach.classroom.store` and its log in :mod:`~wcitsim.teach.classroom.steps`.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from wcitsim.core.conference import Conference
from wcitsim.core.world import Streams, build_world, replication_seeds
from wcitsim.data import Dataset, load_dataset
from wcitsim.errors import UsageError
from wcitsim.io.scenario import load_scenario
from wcitsim.teach.classroom import views
from wcitsim.teach.classroom.checks import (
    PHASE_WORDS,
    REVEALABLE,
    Devices,
    Refused,
    boolean,
    check_pending,
    checked_options,
    checked_per_device,
    checked_positions,
    checked_votes,
)
from wcitsim.teach.classroom.clock import TurnClock
from wcitsim.teach.classroom.debrief import Debrief
from wcitsim.teach.classroom.steps import SessionClosed, SignClosed, Step, VoteClosed, step_from_dict
from wcitsim.teach.classroom.store import (
    FORMAT,
    Settings,
    check_settings,
    class_file,
    damaged_file,
    fresh_settings,
    new_code,
    read_state,
    write_state,
)

__all__ = ["ClassRoom", "Refused", "Settings", "load_class", "new_class"]


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
        check_settings(settings, str(class_file(folder)) if folder else "class settings")
        self.settings = settings
        self.folder = folder
        self.turn = TurnClock(clock)
        self.data = data or load_dataset(Path(settings.data_dir) if settings.data_dir else None)
        scenario = load_scenario(settings.scenario).replace(**{"run.sessions": settings.sessions})
        if scenario.protocol.name != "single_text":
            raise UsageError(
                f"{settings.scenario}: protocol.name: {scenario.protocol.name!r}; a class plays the single_text "
                "protocol (sessions under a chair, a vote, signatures); expected 'single_text'"
            )
        self.world = build_world(scenario, self.data)
        self.index = {iso: i for i, iso in enumerate(self.world.iso3)}
        self.seed = replication_seeds(settings.seed, 1)[0]
        self.conference = Conference(self.world, Streams([self.seed]))
        self.seats: dict[str, str] = {}  # seat code → ISO3
        self.members: Counter[str] = Counter()  # ISO3 → people on its seat (the claimant and teammates)
        self.devices = Devices()  # who claimed and joined each seat (in memory only)
        self.per_device = 1  # delegations one device may claim
        self.history: list[Step] = []  # closed steps, replayed on loading
        self.pending: dict[str, dict | bool] = {}  # ISO3 → this phase's submission
        self.acted: dict[str, int] = {}  # ISO3 → steps in which its student acted
        self.phase, self.auto, self.debrief_open = "lobby", False, False
        self.reveal = {"projected": True, "group": True}
        self.timings: list[float] = []  # seconds each advance took
        self.address: str | None = None  # where students join, as the server announces it
        self._debrief = Debrief()

    # ---------------------------------------------------------------- the clock
    @property
    def paused(self) -> bool:
        """Whether the teacher stopped the clock (students cannot act)."""
        return self.turn.paused

    def time_left(self) -> float | None:
        """Seconds left in the current phase (None in the lobby and at the end)."""
        return None if self.phase in ("lobby", "done") else self.turn.left()

    def tick(self) -> None:
        """Close the phase if its time ran out and the teacher chose auto-advance."""
        if self.auto and self.phase in ("negotiate", "vote", "sign") and self.time_left() == 0:
            self.advance()

    def heartbeat(self) -> None:
        """Every second: :meth:`tick`, and save the time left while the clock runs (a resumed turn restarts from it)."""
        self.tick()
        if self.time_left() and not self.paused:
            self.save()

    # ---------------------------------------------------------------- the phases
    def advance(self) -> None:
        """Close the current phase (the model decides for those who did not act) and open the next."""
        start = time.perf_counter()
        if self.phase == "done":
            raise Refused(409, "the conference is over; open the debrief")
        if self.phase == "lobby":
            self._open()
        else:
            self._close(self._closing_step())
        self.pending = {}
        self.timings.append(time.perf_counter() - start)
        self.save()

    def _closing_step(self) -> Step:
        """The closing turn as it is logged (``closed_at``: wall-clock seconds, for research on the class's pace)."""
        closed_at = round(self.turn.clock(), 3)
        if self.phase == "negotiate":
            return SessionClosed(self.conference.closed + 1, self.pending, closed_at)
        if self.phase == "vote":
            return VoteClosed(self.pending, closed_at)
        return SignClosed(self.pending, closed_at)

    def _open(self) -> None:
        self.conference.open_session()
        self.phase = "negotiate"
        self.turn.start(self.settings.time_limit)

    def _close(self, step: Step) -> None:
        """Apply one closed step (live or from the saved log) and open what follows it."""
        conf = self.conference
        for iso in step.choices:
            self.acted[iso] = self.acted.get(iso, 0) + 1
        step.apply(conf, self.index, self.world.agenda)
        if isinstance(step, SessionClosed):
            if conf.closed < conf.sessions:
                conf.open_session()
            else:
                conf.open_deadline()
                self.phase = "vote"
        else:
            self.phase = "sign" if isinstance(step, VoteClosed) else "done"
        self.history.append(step)
        if self.phase == "vote" and not conf.contested[0].any():  # nothing to vote on: settle at once
            self._close(VoteClosed({}))
            return
        if self.phase != "done":
            self.turn.start(self.settings.time_limit)
        else:
            self.turn.stop()

    # ---------------------------------------------------------------- the teacher
    def check_teacher(self, key: object) -> None:
        """Refuse (403) a request without the teacher's key."""
        given = key.encode("utf-8", "replace") if isinstance(key, str) else b""
        if not secrets.compare_digest(given, self.settings.teacher_key.encode()):
            raise Refused(
                403, "this needs the teacher's key (the teacher's address printed by wcitsim teach --class)"
            )

    def pause(self, paused: object) -> None:
        """Stop the clock (students cannot act) or restart it with the time that was left."""
        paused = boolean(paused, "paused")
        if self.phase in ("lobby", "done"):
            raise Refused(409, f"nothing to pause {views.where(self)}")
        self.turn.pause(paused)
        self.save()

    def set_options(self, body: dict) -> None:
        """Reveal or hide information, set the time per turn or extend this one, auto-advance, open the debrief.

        Every option is checked before any is applied: a refused request changes nothing.
        """
        options = checked_options(body, self.phase, self.settings.time_limit, self.per_device, self.world.n)
        flags = options.flags
        self.settings.time_limit = options.time_limit
        self.reveal.update({name: flags[name] for name in REVEALABLE if name in flags})
        self.auto = flags.get("auto", self.auto)
        self.debrief_open = flags.get("debrief", self.debrief_open)
        self.per_device = options.per_device
        if options.extend:
            self.turn.extend(options.extend)
        self.save()

    def release(self, iso3: object) -> None:
        """Free a delegation (a student left): the model plays it again, and another student may claim it."""
        iso = self._delegation(iso3)
        self.seats = {code: i for code, i in self.seats.items() if i != iso}
        self.members.pop(iso, None)
        self.devices.release(iso)
        self.pending.pop(iso, None)
        self.save()

    # ---------------------------------------------------------------- students
    def check_code(self, code: object) -> None:
        """Refuse (403) anything but this class's join code (in any case, spaces around it ignored)."""
        if not isinstance(code, str) or code.strip().upper() != self.settings.code:
            raise Refused(403, "that is not this class's join code; ask the teacher for it")

    def _delegation(self, iso3: object) -> str:
        if not isinstance(iso3, str) or iso3.upper() not in self.index:
            raise Refused(
                404, f"delegation {str(iso3)[:20]!r} is not seated; expected an ISO3 code from the list"
            )
        return iso3.upper()

    def claim(self, code: object, iso3: object, device: str | None = None) -> str:
        """Claim a delegation from ``device`` (at most :attr:`per_device` each); returns its seat code."""
        self.check_code(code)
        iso = self._delegation(iso3)
        if self.phase == "done":
            raise Refused(409, "the conference is over; no more seats")
        if iso in self.seats.values():
            raise Refused(409, f"{iso} is already claimed; to share it, ask its team for their seat code")
        self.devices.check_claim(device, self.per_device)
        seat = new_code(8)
        self.seats[seat] = iso
        self.members[iso] = 1
        self.devices.claimed(iso, device)
        self.save()
        return seat

    def join(self, seat: object, device: str | None = None) -> str:
        """A teammate joins a seat with its code from ``device`` (counted once); returns the delegation."""
        iso = self.seat(seat)
        if self.devices.joins(iso, device):
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
            raise Refused(409, f"not now: the conference is {views.where(self)}, not {PHASE_WORDS[phase]}")
        if self.paused:
            raise Refused(409, "the session is suspended; wait for the chair")
        if self.time_left() == 0:
            raise Refused(409, "time is up for this turn; the model decides for delegations that did not act")
        return iso

    def move(self, seat: object, iso3: object, positions: object) -> None:
        """Set the seat's positions for this session: {clause id: option number (0 = first option)}."""
        iso = self._acting(seat, iso3, "negotiate")
        checked = checked_positions(self.world.agenda, positions)
        self.pending[iso] = {**self.pending.get(iso, {}), **checked}
        self.save()

    def vote(self, seat: object, iso3: object, votes: object) -> None:
        """Cast the seat's votes on contested clauses: {clause id: "yes" | "no" | "abstain"}."""
        iso = self._acting(seat, iso3, "vote")
        checked = checked_votes(views.contested(self), votes)
        self.pending[iso] = {**self.pending.get(iso, {}), **checked}
        self.save()

    def sign(self, seat: object, iso3: object, decision: object) -> None:
        """The seat's decision: sign the Final Acts (true) or stay under the 1988 rules (false)."""
        iso = self._acting(seat, iso3, "sign")
        self.pending[iso] = boolean(decision, "sign")
        self.save()

    # ---------------------------------------------------------------- what is shown
    def public(self) -> dict:
        """What everyone may see: the phase, the clock, the draft."""
        return views.public(self)

    def student_view(self, seat: object) -> dict:
        """A seat's screen: its briefing card, the draft, its group's position and, if revealed, who may sign."""
        return views.student_view(self, seat, self.seat(seat))

    def teacher_view(self) -> dict:
        """The teacher's screen: everything students see in aggregate, the seats and who has acted."""
        return views.teacher_view(self)

    def delegations(self, code: object) -> list[dict]:
        """The seated delegations for the claim list, with whether each is taken."""
        self.check_code(code)
        return views.claim_list(self)

    def debrief(self) -> dict:
        """The class against the model-only run of the same seed and against history, delegation by delegation."""
        if self.phase != "done":
            raise Refused(409, "the debrief opens when the conference is over")
        return self._debrief.of(self, self.folder)

    def figure(self) -> str:
        """The debrief's figure (SVG)."""
        self.debrief()
        return self._debrief.figure

    # ---------------------------------------------------------------- saving and resuming
    def state(self) -> dict:
        """What is saved: the settings, the seats, the log of closed steps and the open phase's submissions."""
        return {
            "format": FORMAT,
            "settings": asdict(self.settings),
            "seats": self.seats,
            "members": dict(self.members),
            "history": [step.to_dict() for step in self.history],
            "pending": self.pending,
            **self.turn.to_dict(),
            "auto": self.auto,
            "reveal": self.reveal,
            "debrief_open": self.debrief_open,
            "per_device": self.per_device,
            "started": self.phase != "lobby",
        }

    def save(self) -> None:
        """Write the state file atomically (nothing is lost if the server dies mid-write)."""
        if self.folder is not None:
            write_state(self.folder, self.state())

    def restore(self, state: dict) -> None:
        """Take up a saved state: the seats, the replayed log, the open turn, the clock and the options.

        Raises:
            KeyError, TypeError, ValueError, AttributeError, IndexError, Refused: the state is damaged.
        """
        self.seats = {str(k): self._delegation(v) for k, v in state["seats"].items()}
        self.members = Counter({self._delegation(k): int(v) for k, v in state["members"].items()})
        if set(self.members) != set(self.seats.values()):
            raise ValueError("members: expected a count for every claimed delegation")
        if state["started"]:
            self._open()
            for record in state["history"]:
                step = step_from_dict(record)
                if isinstance(step, VoteClosed) and not step.votes and self.phase == "sign":
                    continue  # replayed already: nothing was contested
                self._close(step)
        check_pending(state["pending"], self.phase, self.index, self.world.agenda, views.contested(self))
        self.pending = state["pending"]
        self.turn.restore(state)
        self.auto, self.debrief_open = bool(state["auto"]), bool(state["debrief_open"])
        self.reveal = {name: bool(state["reveal"][name]) for name in REVEALABLE}
        self.per_device = checked_per_device(state.get("per_device", 1), self.world.n)  # older files: 1


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
    settings = fresh_settings(scenario, folder_root, seed, sessions, time_limit, data_dir)
    room = ClassRoom(settings, folder_root / settings.code)
    room.save()
    return room


def load_class(folder: Path, clock: Callable[[], float] = time.time) -> ClassRoom:
    """Resume a saved class session: rebuild the conference and replay its closed steps."""
    state = read_state(folder)
    with damaged_file(class_file(folder)):
        room = ClassRoom(Settings(**state["settings"]), Path(folder), clock=clock)
        room.restore(state)
    return room
