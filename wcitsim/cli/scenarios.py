"""``wcitsim scenarios``: list the shipped scenarios, or copy them into a folder to edit."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from wcitsim.cli import options

__all__ = ["add_scenarios"]


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from wcitsim.errors import UsageError
    from wcitsim.io.scenario import load_scenario, shipped_scenarios

    shipped = shipped_scenarios()
    if args.copy is None:
        rows = [
            {"name": name, "title": load_scenario(path).meta.title, "file": str(path)}
            for name, path in shipped.items()
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(f"wcitsim scenarios: {len(rows)} shipped (run one by name, e.g. wcitsim run wcit2012)")
            for row in rows:
                print(f"  {row['name']:<24} {row['title']}")
        return 0
    folder = Path(args.copy)
    options.writable(folder, "--copy")
    source = next(iter(shipped.values())).parent
    copied = []
    for item in sorted(source.iterdir()):
        target = folder / item.name
        if item.name.startswith((".", "__")) or target.exists():
            continue
        if item.is_dir():
            shutil.copytree(item, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, target)
        copied.append(item.name)
    if not copied:
        raise UsageError(
            f"--copy {folder}: every shipped scenario is already there; expected a folder without them"
        )
    print(f"wcitsim scenarios: copied {', '.join(copied)} to {folder} (files already there were kept)")
    return 0


def add_scenarios(commands: options.Commands) -> None:
    """``wcitsim scenarios [--copy FOLDER] [--json]``."""
    p = commands.add_parser(
        "scenarios",
        help="list the shipped scenarios, or copy them into a folder to edit",
        description="List the scenarios shipped with wcitsim (usable by name from any folder), or copy them.",
    )
    p.add_argument(
        "--copy", metavar="FOLDER", help="copy the shipped scenarios (and sweep specs) into FOLDER"
    )
    p.add_argument("--json", action="store_true", help="the list as JSON")
    p.set_defaults(func=_cmd_scenarios)
