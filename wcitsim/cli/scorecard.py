"""``wcitsim scorecard``: the model's targets, met or missed, read from validation and run outputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from wcitsim.cli import options
from wcitsim.errors import UsageError

__all__ = ["add_scorecard", "resolve"]

#: The file a folder is read for: a validation's, then a run's.
FILES = ("metrics.json", "summary.json")


def resolve(path: Path) -> Path:
    """The JSON file a path names: the file itself, or the one metrics.json or summary.json in a folder."""
    try:
        if not path.is_dir():
            return path  # reading it says what is wrong with it
        found = [path / name for name in FILES if (path / name).is_file()]
    except OSError as err:  # a folder that cannot be searched, a name too long
        raise UsageError(f"{path}: cannot be read ({err.strerror}); expected {PATHS}") from None
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{path}: holds both {' and '.join(FILES)}; expected one of them, named")
    raise UsageError(f"{path}: a folder with neither {' nor '.join(FILES)}; expected {PATHS}")


#: What a path must name.
PATHS = "a validation's folder (wcitsim validate --out), a run's (wcitsim run), or one of their JSON files"


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from wcitsim.io.schema import read_json
    from wcitsim.validation.scorecard import WHAT, scorecard, table

    runs = []
    for path in args.paths:
        file = resolve(path)
        runs.append((str(file), read_json(file, UsageError, WHAT)))
    card = scorecard(runs)
    print(options.json_text(card) if args.json else table(card))
    return 0


def add_scorecard(commands: options.Commands) -> None:
    """``wcitsim scorecard``."""
    card = commands.add_parser(
        "scorecard",
        help="the model's targets, met or missed, from validation and run outputs",
        description="Check the model's targets (docs/validation.md, 'The targets, met and missed') by rule on "
        "the outputs that measure them: the metrics.json of one or more `wcitsim validate` runs (one per fold "
        "seed) and, for the field's turn, the summary of a `wcitsim run`. Nothing is recomputed.",
    )
    card.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a validation's folder or metrics.json, a run's folder or summary.json (or its --json output)",
    )
    options.add_json(card, help="print the scorecard as one JSON object")
    card.set_defaults(func=_cmd_scorecard)
