"""The options several commands share, each written once, and the range types of their values.

In the spirit of SALib's ``common_args``: a command adds ``--reps``, ``--seed``, ``--json``,
``--out``, ``--data-dir``, ``--engine`` or its scenario argument with one call here,
giving only what differs between commands (a default, a help text).
"""

from __future__ import annotations

import argparse
import functools
import math
import tempfile
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from wcitsim.errors import UsageError
from wcitsim.io.files import machine_cores

__all__ = [
    "CORES",
    "DATA_DIR_HELP",
    "MAX_BUDGET",
    "MAX_REPLICATIONS",  # noqa: F822 (read from the schema when first asked for: __getattr__)
    "MAX_SESSIONS",  # noqa: F822
    "RESULTS",
    "Commands",
    "add_data_dir",
    "add_engine",
    "add_json",
    "add_out",
    "add_reps",
    "add_scenario",
    "add_seed",
    "add_workers",
    "bounded",
    "budget",
    "fit_in_memory",
    "folds",
    "json_text",
    "port",
    "positive_int",
    "replication_bytes",
    "replications",
    "scheduler",
    "seed",
    "sessions",
    "time_limit",
    "workers",
    "writable",
    "writable_file",
    "writable_folder",
]

#: What ``add_subparsers`` returns: each family of commands adds its parsers to it.
Commands = argparse._SubParsersAction
#: The default results folder.
RESULTS = Path("results")
#: The help of ``--data-dir`` on every command but ``data``.
DATA_DIR_HELP = "use another data folder"


def bounded(
    convert: Callable[[str], Any], what: str, within: Callable[[Any], bool], expected: str | Callable[[], str]
) -> Callable[[str], Any]:
    """An argparse type: ``convert`` the text (else "is not ``what``"), then require ``within(value)``.

    ``expected`` says what is in range (or a function that says it, called only for a value out of range).
    """

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not within(value):
            said = expected() if callable(expected) else expected
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected {said}")
        return value

    return parse


@functools.cache
def _schema_bound(name: str) -> int:
    """The upper bound the scenario schema sets on ``run.NAME``: an option and the key it overrides agree.

    Read when first needed: the schema's module is not imported to start the command line.
    """
    from wcitsim.io.scenario import Run

    return next(f.metadata["hi"] for f in fields(Run) if f.name == name)


#: The cores this process may use: the bound of every count of worker processes.
CORES = machine_cores()
#: The module's constants read from the scenario schema when first asked for: ``MAX_REPLICATIONS``, the most
#: replications one run may ask for (``run.replications``), and ``MAX_SESSIONS``, the most negotiating
#: sessions (``run.sessions``).
_SCHEMA_BOUNDS = {"MAX_REPLICATIONS": "replications", "MAX_SESSIONS": "sessions"}


def __getattr__(name: str) -> int:
    if name in _SCHEMA_BOUNDS:
        return _schema_bound(_SCHEMA_BOUNDS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The most evaluations of the loss one calibration may ask for.
MAX_BUDGET = 100_000

positive_int = bounded(int, "an integer", lambda v: v >= 1, "an integer ≥ 1")
count = bounded(int, "an integer", lambda v: v >= 0, "an integer ≥ 0")
seed = bounded(int, "an integer", lambda v: 0 <= v < 2**63, "0 ≤ seed < 2**63")
#: validate, calibrate and select: CMA-ES and the folds take 32-bit seeds, and the runs use seed + 1
fit_seed = bounded(
    int,
    "an integer",
    lambda v: 0 <= v < 2**32 - 1,
    "0 ≤ seed < 4294967295 (2**32 − 1: CMA-ES and the folds take 32-bit seeds)",
)
time_limit = bounded(float, "a number of seconds", lambda v: 10 <= v <= 3600, "seconds from 10 to 3600")
replications = bounded(
    int,
    "an integer",
    lambda v: 1 <= v <= _schema_bound("replications"),
    lambda: f"1 to {_schema_bound('replications'):,} replications",
)
sessions = bounded(
    int,
    "an integer",
    lambda v: 1 <= v <= _schema_bound("sessions"),
    lambda: f"1 to {_schema_bound('sessions')} sessions",
)
budget = bounded(int, "an integer", lambda v: 1 <= v <= MAX_BUDGET, f"1 to {MAX_BUDGET:,} evaluations")
port = bounded(int, "a port number", lambda v: 1 <= v <= 65535, "a TCP port from 1 to 65535")
workers = bounded(
    int,
    "an integer",
    lambda v: 1 <= v <= CORES,
    f"1 to {CORES} worker processes (the cores this process may use)",
)


def scheduler(text: str) -> str:
    """An argparse type: a Dask scheduler address (``tcp://host:port``, also ``tls://``, ``ws://``, ``wss://``) or ``local``."""
    from urllib.parse import urlsplit

    if text == "local":
        return text
    expected = "'local' or a scheduler address such as tcp://host:8786"
    try:
        parts = urlsplit(text)
        port_number = parts.port  # ValueError when it is not a number from 0 to 65535
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address; expected {expected}") from None
    if parts.scheme not in ("tcp", "tls", "ws", "wss") or not parts.hostname or not port_number:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address; expected {expected}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address; expected {expected}")
    return text


def folds(text: str) -> int | str:
    """An argparse type: a number of folds (at least 2), or ``loo`` for leave-one-out."""
    if text == "loo":
        return "loo"
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} folds; expected at least 2, or 'loo'")
    return value


def writable(folder: Path, option: str = "--folder") -> None:
    """Refuse, in one line, a folder that cannot be created or written.

    Args:
        folder: The folder to create (with its parents) and probe.
        option: The option that named it, for the message.

    Raises:
        UsageError: When the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UsageError(
            f"{option} {folder}: cannot write there ({err.strerror}); expected a writable folder"
        ) from None


def _unwritable(folder: Path) -> str | None:
    """Why nothing could be written at or under ``folder`` (its nearest existing ancestor decides), or None."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        return f"{folder}: {err.strerror}"
    return None


def writable_file(path: Path, option: str = "--out") -> None:
    """Refuse, in one line and before any work, a path where a file cannot be written; create nothing.

    The path may not be a folder; its nearest existing ancestor must be a folder
    this process can write in (the missing folders between are made when writing).

    Raises:
        UsageError: When ``path`` is a folder, lies under a file, or its folder is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; expected the path of a file to write")
    reason = _unwritable(path.parent)
    if reason:
        raise UsageError(
            f"{option} {path}: cannot write this file ({reason}); expected a file in a writable folder"
        )


def writable_folder(folder: Path, option: str = "--out") -> None:
    """Refuse, in one line and before any work, a results folder that could not be made or written; create nothing.

    Raises:
        UsageError: When ``folder`` is a file, lies under a file, or cannot be written in.
    """
    reason = _unwritable(Path(folder))
    if reason:
        raise UsageError(
            f"{option} {folder}: cannot write results here ({reason}); expected a writable folder"
        )


def json_text(payload: Any) -> str:
    """``payload`` as indented, standard JSON (:func:`wcitsim.io.files.json_text`)."""
    from wcitsim.io.files import json_text as text

    return text(payload)


def replication_bytes(delegations: int, clauses: int, sessions: int) -> int:
    """A generous bound on the memory one replication of a run holds, in bytes.

    Its outcome (:class:`~wcitsim.core.outcome.Outcome`) keeps numbers of 8 bytes: four
    N × K arrays (positions, interests, saliences, votes), three of N, the drafts S × K,
    the field (S + 1) × 2 × M and, for each of its other arrays, at most K and S (N
    delegations, K clauses, S sessions, M field measures). Three times that covers the
    copies made while stacking batches and writing tables.
    """
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.core.outcome import Outcome

    n, k, s, m, others = delegations, clauses, sessions, len(FIELD_MEASURES), len(fields(Outcome)) - 9
    return 3 * 8 * (4 * n * k + 3 * n + s * k + 2 * (s + 1) * m + others * (k + s))


def machine_memory() -> int:
    """This machine's physical memory in bytes (:func:`wcitsim.io.files.machine_memory`)."""
    from wcitsim.io.files import machine_memory as memory

    return memory()


def _size(n: float) -> str:
    """``n`` bytes in the largest binary unit it reaches (bytes, KiB, ... PiB)."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = min(int(math.log(max(n, 1), 1024)), len(units) - 1)
    return f"{n:.0f} bytes" if power == 0 else f"{n / 1024**power:.1f} {units[power]}"


def fit_in_memory(reps: int, scenario, data, option: str = "--reps", copies: int = 1) -> None:
    """Refuse, in one line, more replications than half this machine's memory holds.

    Args:
        reps: The replications asked for.
        scenario: The scenario they run (its seating, clauses and sessions).
        data: The dataset (its Member States bound the delegations when all are seated).
        option: What asked for them, for the message (``--reps`` or ``run.replications``).
        copies: How many runs hold their replications at once (worker processes).

    Raises:
        UsageError: When ``copies × reps`` replications would need more than half the memory.
    """
    seating = scenario.seating
    n = len(seating.include) if seating.mode == "list" else len(data.states)
    k = len(scenario.agenda.active)
    memory, each = machine_memory(), replication_bytes(n, k, scenario.run.sessions) * copies
    if not memory or reps * each <= memory // 2:
        return
    most = max(1, memory // 2 // each)
    raise UsageError(
        f"{option} {reps}: about {_size(reps * each)} of memory; expected at most {most:,} replications "
        f"(half of this machine's {_size(memory)}, at about {_size(each)} per replication of "
        f"{n} delegations × {k} clauses)"
    )


def _add(parser: argparse.ArgumentParser, *names: str, **settings: Any) -> None:
    """``parser.add_argument`` with the settings that are not None."""
    parser.add_argument(*names, **{key: value for key, value in settings.items() if value is not None})


def add_scenario(parser: argparse.ArgumentParser, help: str | None = None, nargs: str | None = None) -> None:
    """The positional scenario file."""
    _add(parser, "scenario", type=Path, nargs=nargs, help=help)


def add_reps(parser: argparse.ArgumentParser, default: int | None = None, help: str | None = None) -> None:
    """``--reps``: a number of replications (1 to :data:`MAX_REPLICATIONS`)."""
    _add(parser, "--reps", type=replications, default=default, help=help)


def add_workers(parser: argparse.ArgumentParser, default: int = 1, help: str | None = None) -> None:
    """``--workers``: local worker processes, at most the cores this process may use."""
    _add(parser, "--workers", type=workers, default=min(default, CORES), help=help)


def add_seed(
    parser: argparse.ArgumentParser, default: int | None = None, help: str | None = None, kind=seed
) -> None:
    """``--seed``: a root seed (0 ≤ seed < 2**63; ``kind`` :data:`fit_seed` for the commands that calibrate)."""
    _add(parser, "--seed", type=kind, default=default, help=help)


def add_json(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--json``: print one JSON object instead of lines."""
    _add(parser, "--json", action="store_true", help=help)


def add_out(
    parser: argparse.ArgumentParser,
    default: Path | None = RESULTS,
    help: str | None = "results folder (default: results/)",
) -> None:
    """``--out``: where to write (by default the results folder)."""
    _add(parser, "--out", type=Path, default=default, help=help)


def add_data_dir(parser: argparse.ArgumentParser, help: str = DATA_DIR_HELP) -> None:
    """``--data-dir``: a data folder instead of the package's."""
    _add(parser, "--data-dir", type=Path, help=help)


def add_engine(parser: argparse.ArgumentParser) -> None:
    """``--engine``: the vectorised engine or the per-agent reference model."""
    _add(parser, "--engine", choices=("vectorized", "reference"), help="default: the scenario's")
