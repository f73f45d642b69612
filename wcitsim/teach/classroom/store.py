"""The class file: the settings a class starts with, and ``class.json`` read and written.

The file (format ``wcitsim-class/1``) holds the settings, the seats, the log of
closed steps (:mod:`wcitsim.teach.classroom.steps`), the open turn's submissions,
the clock and the teacher's options. It is written atomically after every change
and read back whole; whatever is wrong with it is refused in one line.

Seat codes, the join code and the teacher's key come from :mod:`secrets`: they
are credentials, not model draws, and never touch the model's random streams.
The server limits how fast they can be guessed (:class:`wcitsim.teach.classroom.server.Attempts`);
their lengths make guessing one take years at that rate (docs/teaching.md has the arithmetic).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wcitsim.errors import UsageError, WcitsimError
from wcitsim.io.files import write_json_atomic
from wcitsim.io.scenario import load_scenario, scenario_path
from wcitsim.teach.classroom.checks import Refused, seconds

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "FORMAT",
    "Settings",
    "check_settings",
    "class_file",
    "damaged_file",
    "fresh_settings",
    "new_code",
    "read_state",
    "write_state",
]

FORMAT = "wcitsim-class/1"
#: Letters and digits that cannot be misread on a projector (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Characters of a join code: 31⁶ = 887,503,681 codes. Classes saved before codes had six kept their four.
CODE_LENGTH = 6
#: Characters of the teacher's key as :func:`secrets.token_urlsafe` writes it (12 random bytes, 96 bits).
KEY_LENGTH = 16
KEY_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
FILE = "class.json"


def class_file(folder: Path) -> Path:
    """The class file of the class saved in ``folder``."""
    return Path(folder) / FILE


def new_code(length: int) -> str:
    """A fresh code of ``length`` characters of :data:`ALPHABET` (a join or seat code)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@dataclass
class Settings:
    """What a class session is started with; saved with it."""

    scenario: str
    seed: int
    sessions: int
    time_limit: float
    code: str = field(default_factory=lambda: new_code(CODE_LENGTH))
    teacher_key: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    data_dir: str | None = None


def check_settings(s: Settings, where: str) -> None:
    """Refuse settings no class can start with (UsageError naming ``where``)."""
    if not isinstance(s.seed, int) or isinstance(s.seed, bool) or s.seed < 0:
        raise UsageError(f"{where}: seed: {s.seed!r}; expected an integer ≥ 0")
    if not isinstance(s.sessions, int) or isinstance(s.sessions, bool) or not 1 <= s.sessions <= 100:
        raise UsageError(f"{where}: sessions: {s.sessions!r}; expected an integer from 1 to 100")
    if not seconds(s.time_limit, 10):
        raise UsageError(f"{where}: time_limit: {s.time_limit!r}; expected seconds from 10 to 3600")
    if not (isinstance(s.code, str) and len(s.code) in (4, CODE_LENGTH) and set(s.code) <= set(ALPHABET)):
        raise UsageError(
            f"{where}: code: {s.code!r}; expected {CODE_LENGTH} letters or digits of the join-code alphabet"
        )
    key = s.teacher_key
    if not (isinstance(key, str) and len(key) >= KEY_LENGTH and set(key) <= KEY_ALPHABET):
        shown = key[:20] if isinstance(key, str) else key
        raise UsageError(
            f"{where}: teacher_key: {shown!r}; expected the key wcitsim wrote ({KEY_LENGTH} or more letters, "
            "digits, '-' or '_'): restore the file from a copy, or start a new class"
        )


def fresh_settings(
    scenario: Path,
    folder_root: Path,
    seed: int,
    sessions: int | None,
    time_limit: float,
    data_dir: Path | None,
) -> Settings:
    """The settings of a new class, its join code not yet a folder under ``folder_root``.

    ``scenario`` is a scenario's name or file; ``sessions`` None takes the scenario's.
    """
    scenario = scenario_path(scenario).resolve()
    sessions = sessions or load_scenario(scenario).run.sessions
    for _ in range(100):
        settings = Settings(
            str(scenario), seed, sessions, float(time_limit), data_dir=str(data_dir) if data_dir else None
        )
        if not (folder_root / settings.code).exists():
            break
    return settings


def write_state(folder: Path, state: dict) -> None:
    """Write ``state`` to ``folder/class.json`` atomically (nothing is lost if the server dies mid-write)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(class_file(folder), state)


@contextmanager
def damaged_file(path: Path) -> Iterator[None]:
    """Turn whatever a damaged class file makes go wrong inside the block into one line (UsageError)."""
    try:
        yield
    except WcitsimError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, Refused) as err:
        raise UsageError(
            f"{path}: a damaged class file ({type(err).__name__}: {err}); expected the JSON wcitsim wrote"
        ) from None


def read_state(folder: Path) -> dict:
    """The state saved in ``folder/class.json``, of this format (UsageError in one line otherwise)."""
    path = class_file(folder)
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
    with damaged_file(path):
        if state.get("format") != FORMAT:
            raise UsageError(f"{path}: format: {state.get('format')!r}; expected {FORMAT!r}")
    return state
