"""Re-make the shipped validations and check that they come out identical to the files in docs/validation.

Every ``metrics.json`` that ``wcitsim validate`` or ``wcitsim select`` writes records the
command that made it (``produced_by.command``). This script re-runs that command into a
scratch folder, from the repository's root, and compares the new ``metrics.json`` with the
shipped one key by key: every score, interval, out-of-fold P(sign), calibrated coefficient
and tally must be equal, to the last digit; only ``produced_by`` (the command's ``--out``
and the git revision) may differ. The shipped field run (``wcitsim run``) is re-made by
the test suite instead (tests/test_scorecard.py); the synthetic-truth tables in
docs/validation/synthetic_truth are re-made by ``python tools/synthetic_truth.py``, not here.

Usage::

    python tools/reproduce.py --list                      # what would be re-made, and the commands
    python tools/reproduce.py --quick                     # the runs of budget 150 (1.5 to 3.5 minutes each on two cores)
    python tools/reproduce.py                             # every shipped run (the budget-600 ones take 11-12 minutes each)
    python tools/reproduce.py docs/validation/wcit2012    # one run (a folder or its metrics.json, from here or the root)

``make reproduce`` runs the whole set (about 40 minutes on two cores). Exit status 0 if every
run re-made is identical, 1 if one differs (its first differing keys are printed), 2 for a
path that is not a validation's metrics.json with the command that made it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "docs" / "validation"
#: The commands whose outputs this script re-makes, and the folder each writes its metrics.json under.
COMMANDS = {"validate": "validation", "select": "selection"}
#: Keys that may differ between two runs of the same command: where it was written, and from which revision.
VOLATILE = frozenset({"produced_by"})
#: The largest calibration budget ``--quick`` re-makes (``wcitsim validate``'s default).
QUICK_BUDGET = 150
#: Differences printed per run.
SHOWN = 10


class Refused(Exception):
    """A path or a recorded command this script cannot re-make (exit 2)."""


def differences(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ, as key paths (``/scores/model (single_text)/brier: 0.114 ≠ 0.115``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if path == "" and key in VOLATILE:
                continue
            if key not in a or key not in b:
                out.append(f"{path}/{key}: only in the {'shipped' if key in a else 're-made'} file")
            else:
                out += differences(a[key], b[key], f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items ≠ {len(b)}"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")
        ]
    if a != b or type(a) is not type(b):
        return [f"{path}: {a!r} ≠ {b!r}"]
    return []


def _metrics(path: Path) -> Path:
    """The metrics.json a path names, taken from the current folder or else from the repository's root."""
    if not path.exists() and not path.is_absolute() and (ROOT / path).exists():
        path = ROOT / path
    file = path / "metrics.json" if path.is_dir() else path
    if not file.is_file():
        raise Refused(f"{path}: no metrics.json; expected a shipped validation folder or its metrics.json")
    return file


def recorded(file: Path) -> tuple[dict, list[str]]:
    """The shipped metrics and the command that made them, without its ``--out``."""
    try:
        shipped = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise Refused(f"{file}: {err}; expected a metrics.json of wcitsim validate or select") from None
    command = shipped.get("produced_by", {}).get("command") if isinstance(shipped, dict) else None
    if not isinstance(command, str):
        raise Refused(f"{file}: produced_by.command: missing; expected the command that wrote the file")
    words = shlex.split(command)
    if len(words) < 2 or words[0] != "wcitsim" or words[1] not in COMMANDS:
        raise Refused(f"{file}: produced_by.command: {command!r}; expected wcitsim {' or '.join(COMMANDS)}")
    args = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word == "--out":
            skip = True
        elif not word.startswith("--out="):
            args.append(word)
    return shipped, args


def remake(args: list[str], scratch: Path) -> Path:
    """Run ``wcitsim ARGS --out SCRATCH`` from the repository's root; the metrics.json it wrote."""
    done = subprocess.run(
        [sys.executable, "-m", "wcitsim", *args, "--out", str(scratch)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wcitsim {shlex.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    found = sorted((scratch / COMMANDS[args[0]]).glob("*/metrics.json"))
    if len(found) != 1:
        raise RuntimeError(f"wcitsim {shlex.join(args)} wrote {len(found)} metrics.json files; expected 1")
    return found[0]


def _short(shipped: dict) -> bool:
    """A run of budget 150 or less (the ``--quick`` ones)."""
    return (shipped.get("budget") or 0) <= QUICK_BUDGET


def shipped_runs(quick: bool) -> list[Path]:
    """Every shipped metrics.json with a recorded command (budget ≤ 150 only, with ``quick``)."""
    files = []
    for file in sorted(SHIPPED.rglob("metrics.json")):
        try:
            shipped, _ = recorded(file)
        except Refused:
            continue
        if not quick or _short(shipped):
            files.append(file)
    return files


def _name(file: Path) -> Path:
    """A run's folder, relative to the repository's root where it lies inside it."""
    folder = file.resolve().parent
    return folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reproduce", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="shipped validations (default: every one)")
    parser.add_argument(
        "--quick", action="store_true", help="only the runs of budget 150 or less (given or shipped)"
    )
    parser.add_argument("--list", action="store_true", help="print what would be re-made, and stop")
    options = parser.parse_args(argv)
    try:
        files = [_metrics(p) for p in options.paths] if options.paths else shipped_runs(options.quick)
        jobs = [(file, *recorded(file)) for file in files]
        jobs = [job for job in jobs if not options.quick or _short(job[1])]
    except Refused as err:
        print(f"reproduce: {err}", file=sys.stderr)
        return 2
    if not jobs:
        print("reproduce: no shipped validation to re-make", file=sys.stderr)
        return 2
    for file, _, args in jobs if options.list else ():
        print(f"{_name(file)}: wcitsim {shlex.join(args)}")
    if options.list:
        return 0
    failed = 0
    for file, shipped, args in jobs:
        name = _name(file)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="wcitsim-reproduce-") as scratch:
            try:
                again = json.loads(remake(args, Path(scratch)).read_text(encoding="utf-8"))
            except RuntimeError as err:
                print(f"{name}: could not be re-made: {err}")
                failed += 1
                continue
        found = differences(shipped, again)
        seconds = time.perf_counter() - start
        if found:
            failed += 1
            print(f"{name}: DIFFERS in {len(found)} values ({seconds:.0f} s; wcitsim {shlex.join(args)})")
            for line in found[:SHOWN]:
                print(f"    {line}")
        else:
            print(f"{name}: identical ({seconds:.0f} s; wcitsim {shlex.join(args)})", flush=True)
    print(f"{len(jobs) - failed} of {len(jobs)} re-made identically")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
