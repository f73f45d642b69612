"""The turn clock: a deadline for the open turn, which the teacher may pause and extend.

The class file holds the seconds left in the turn (written after every change and every
second while the clock runs), so a server that stops and is resumed gives the turn back the
time it had, not the time its deadline left after running on while the server was down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TurnClock"]


@dataclass
class TurnClock:
    """The time left in the open turn: a wall-clock ``deadline``, or the seconds ``remaining`` while paused."""

    clock: Callable[[], float]
    deadline: float | None = None
    remaining: float | None = None
    paused: bool = False

    def left(self) -> float | None:
        """Seconds left in the turn (what was left when it was paused, while it is)."""
        if self.paused:
            return self.remaining
        return max(0.0, (self.deadline or 0.0) - self.clock())

    def start(self, seconds: float) -> None:
        """Open a turn of ``seconds``, running."""
        self.deadline = self.clock() + seconds
        self.paused, self.remaining = False, None

    def stop(self) -> None:
        """No turn is open any more."""
        self.deadline = None

    def pause(self, paused: bool) -> None:
        """Stop the clock, or restart it with the time that was left."""
        if paused and not self.paused:
            self.remaining, self.paused = self.left(), True
        elif not paused and self.paused:
            self.deadline, self.paused = self.clock() + (self.remaining or 0.0), False

    def extend(self, seconds: float) -> None:
        """More time for this turn (also after it ran out)."""
        if self.paused:
            self.remaining = (self.remaining or 0.0) + seconds
        else:
            self.deadline = max(self.deadline or 0.0, self.clock()) + seconds

    def to_dict(self) -> dict:
        """The clock as the class file holds it: with an open turn, the seconds ``remaining`` in it now."""
        remaining = None if self.deadline is None else self.left()
        return {"deadline": self.deadline, "remaining": remaining, "paused": self.paused}

    def restore(self, state: dict) -> None:
        """Take up the clock a class file holds (KeyError or ValueError if it holds none).

        The time the server was down does not count: an open turn restarts with the seconds
        ``remaining`` when the file was written (a file that has none keeps its ``deadline``).
        """
        self.deadline, self.remaining, self.paused = state["deadline"], state["remaining"], state["paused"]
        if self.remaining is not None:
            self.remaining = float(self.remaining)
        if self.deadline is not None:
            self.deadline = float(self.deadline)
            if not self.paused and self.remaining is not None:
                self.deadline, self.remaining = self.clock() + self.remaining, None
