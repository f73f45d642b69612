"""The options several commands share, each written once, and the range types of their values.

In the spirit of SALib's ``common_args``: a command adds ``--reps``, ``--seed``, ``--json``,
``--out``, ``--data-dir``, ``--engine`` or its scenario argument with one call here,
giving only what differs between commands (a default, a help text).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wcitsim.errors import UsageError

__all__ = [
    "DATA_DIR_HELP",
    "RESULTS",
    "Commands",
    "add_data_dir",
    "add_engine",
    "add_json",
    "add_out",
    "add_reps",
    "add_scenario",
    "add_seed",
    "bounded",
    "folds",
    "positive_int",
    "seed",
    "time_limit",
    "writable",
]

#: What ``add_subparsers`` returns: each family of commands adds its parsers to it.
Commands = argparse._SubParsersAction
#: The default results folder.
RESULTS = Path("results")
#: The help of ``--data-dir`` on every command but ``data``.
DATA_DIR_HELP = "use another data folder"


def bounded(
    convert: Callable[[str], Any], what: str, within: Callable[[Any], bool], expected: str
) -> Callable[[str], Any]:
    """An argparse type: ``convert`` the text (else "is not ``what``"), then require ``within(value)``."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not within(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected {expected}")
        return value

    return parse


positive_int = bounded(int, "an integer", lambda v: v >= 1, "an integer ≥ 1")
seed = bounded(int, "an integer", lambda v: 0 <= v < 2**63, "0 ≤ seed < 2**63")
time_limit = bounded(float, "a number of seconds", lambda v: 10 <= v <= 3600, "seconds from 10 to 3600")


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
        option: The option that named it (the message names ``--folder`` whatever it is).

    Raises:
        UsageError: When the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".wcitsim-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise UsageError(
            f"--folder {folder}: cannot write there ({err.strerror}); expected a writable folder"
        ) from None


def _add(parser: argparse.ArgumentParser, *names: str, **settings: Any) -> None:
    """``parser.add_argument`` with the settings that are not None."""
    parser.add_argument(*names, **{key: value for key, value in settings.items() if value is not None})


def add_scenario(parser: argparse.ArgumentParser, help: str | None = None, nargs: str | None = None) -> None:
    """The positional scenario file."""
    _add(parser, "scenario", type=Path, nargs=nargs, help=help)


def add_reps(parser: argparse.ArgumentParser, default: int | None = None, help: str | None = None) -> None:
    """``--reps``: a number of replications (an integer ≥ 1)."""
    _add(parser, "--reps", type=positive_int, default=default, help=help)


def add_seed(parser: argparse.ArgumentParser, default: int | None = None, help: str | None = None) -> None:
    """``--seed``: a root seed (0 ≤ seed < 2**63)."""
    _add(parser, "--seed", type=seed, default=default, help=help)


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
