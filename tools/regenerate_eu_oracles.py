"""Regenerate the expected-utility oracle files from checkouts of the open replications.

The oracles in ``tests/data/oracles/bdm_eu_emissions_*.csv`` are the round-by-round
positions of the three open replications of Scholz, Calbert & Smith's (2011)
reconstruction of Bueno de Mesquita's model on the EC car-emissions example
(``tests/data/bdm_eu_emissions.csv``); ``tests/data/oracles/PROVENANCE.md`` says
which commit of which repository made each file. This tool runs the replications
again, unmodified, and writes the files (or, with ``--check``, compares them with
the stored ones). It needs a checkout of each repository; ``make test`` never runs it::

    git clone https://github.com/jmckib/bdm-scholz-expected-utility-model jmckib
    git -C jmckib checkout 55f63e9f2b9528119491d292efab8cfe7f91f78f
    git clone https://github.com/dmasad/BDM_DecisionModel_Replication dmasad
    git -C dmasad worktree add ../dmasad-improved 2a7d9403603ea8bc4789c2a13d9ba2e5fdbeeeb6
    git -C dmasad checkout aa3899a308886b0f3cec5d976a67c681c348ef2c
    python tools/regenerate_eu_oracles.py --jmckib jmckib --dmasad-improved dmasad-improved \\
        --dmasad-master dmasad --check

The replications are Python 2 programs. To run them under Python 3 unchanged in
effect, ``print x`` statements become ``print(x)`` calls (their output is
discarded) and ``sum`` adds floats one after the other as Python 2 did (Python
3.12's ``sum`` compensates rounding, which moves the last digits). Floats are
written with ``repr()``, as the replications hold them.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import re
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUT = ROOT / "tests" / "data" / "bdm_eu_emissions.csv"
OUT = ROOT / "tests" / "data" / "oracles"
ROUNDS = 10

#: (option, source file in the checkout, output file, commit PROVENANCE.md names)
REPLICATIONS = (
    (
        "jmckib",
        "bdm_scholz_model.py",
        "bdm_eu_emissions_jmckib.csv",
        "55f63e9f2b9528119491d292efab8cfe7f91f78f",
    ),
    (
        "dmasad_improved",
        "GroupDecisionModel.py",
        "bdm_eu_emissions_dmasad_improved.csv",
        "2a7d9403603ea8bc4789c2a13d9ba2e5fdbeeeb6",
    ),
    (
        "dmasad_master",
        "GroupDecisionModel.py",
        "bdm_eu_emissions_dmasad_master.csv",
        "aa3899a308886b0f3cec5d976a67c681c348ef2c",
    ),
)

_PRINT = re.compile(r"^(\s*)print\s+(?!\()(.*?)\s*$")


def python2_sum(values, start=0):
    """``sum`` as Python 2 (and Python 3 before 3.12) adds floats: one after the other, uncompensated."""
    total = start
    for value in values:
        total = total + value
    return total


def load_python2(path: Path, name: str) -> types.ModuleType:
    """The module in ``path`` (Python 2), its ``print`` statements turned into calls and ``sum`` as Python 2's."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PRINT.match(line)
        lines.append(f"{match.group(1)}print({match.group(2)})" if match else line)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    module.sum = python2_sum
    exec(compile("\n".join(lines) + "\n", str(path), "exec"), module.__dict__)
    return module


def read_input(path: Path) -> list[dict]:
    """The example's actors: name, capability, position and salience in [0, 1] (the file holds 0–100)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "name": row["actor"],
                "c": float(row["capability"]),
                "x": float(row["position"]),
                "s": float(row["salience"]) / 100,
            }
            for row in csv.DictReader(handle)
        ]


def run_jmckib(module, actors):
    data = [
        {"Actor": a["name"], "Capability": repr(a["c"]), "Salience": repr(a["s"]), "Position": repr(a["x"])}
        for a in actors
    ]
    model = module.BDMScholzModel(data, q=1.0)
    yield [a.x for a in model.actors], model.median_position(), model.mean_position()
    for _ in range(ROUNDS):
        model.run_model(1)
        yield [a.x for a in model.actors], model.median_position(), model.mean_position()


def run_dmasad_improved(module, actors):
    model = module.Model([module.Actor(a["name"], a["x"], a["c"], a["s"]) for a in actors], Q=1.0)
    model.run_model(0)
    yield [a.x for a in model.actors], model.median_positions[-1], model.mean_positions[-1]
    for _ in range(ROUNDS):
        model.run_model(1)
        yield [a.x for a in model.actors], model.median_positions[-1], model.mean_positions[-1]


def run_dmasad_master(module, actors):
    xs = [a["x"] for a in actors]
    model = module.Model(
        [module.Actor(a["name"], None, a["x"], a["c"], a["s"]) for a in actors],
        xmax=max(xs),
        xmin=min(xs),
        Q=1,
        T=1,
    )
    yield [a.x for a in model.Actors], model.vote(), model.find_mean()
    for _ in range(ROUNDS):
        model.run_model()
        yield [a.x for a in model.Actors], model.vote(), model.find_mean()


RUNNERS = {"jmckib": run_jmckib, "dmasad_improved": run_dmasad_improved, "dmasad_master": run_dmasad_master}


def oracle_text(runner, module, actors) -> str:
    """The oracle file: ``round,actor,position`` rows, then each round's median and mean."""
    out = ["round,actor,position"]
    with contextlib.redirect_stdout(io.StringIO()):
        for rnd, (positions, median, mean) in enumerate(runner(module, actors)):
            out += [f"{rnd},{a['name']},{x!r}" for a, x in zip(actors, positions, strict=True)]
            out += [f"{rnd},forecast_median,{float(median)!r}", f"{rnd},forecast_mean,{float(mean)!r}"]
    return "\n".join(out) + "\n"


def commit_of(folder: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for option, source, _, commit in REPLICATIONS:
        parser.add_argument(
            f"--{option.replace('_', '-')}",
            type=Path,
            metavar="DIR",
            help=f"a checkout holding {source} ({commit[:7]})",
        )
    parser.add_argument(
        "--input", type=Path, default=INPUT, help="the example's actors (default: %(default)s)"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help="where the oracle files go (default: %(default)s)"
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out instead of writing"
    )
    args = parser.parse_args(argv)
    given = {option: getattr(args, option) for option, *_ in REPLICATIONS}
    if not any(given.values()):
        print(
            "regenerate_eu_oracles: no checkout given; pass --jmckib, --dmasad-improved and/or --dmasad-master "
            "with the folder of a checkout of each replication (tests/data/oracles/PROVENANCE.md names the commits)",
            file=sys.stderr,
        )
        return 2
    actors = read_input(args.input)
    status = 0
    for option, source, target, commit in REPLICATIONS:
        folder = given[option]
        if folder is None:
            continue
        path = folder / source
        if not path.is_file():
            print(
                f"regenerate_eu_oracles: {path}: not found; expected a checkout holding {source}",
                file=sys.stderr,
            )
            return 2
        head = commit_of(folder)
        if head is not None and head != commit:
            print(f"{option}: {folder} is at {head}, not {commit}; its file may differ from the oracle's")
        text = oracle_text(RUNNERS[option], load_python2(path, f"eu_{option}"), actors)
        stored = args.out / target
        if args.check:
            same = stored.is_file() and stored.read_text(encoding="utf-8") == text
            print(f"{option}: {stored} {'is identical' if same else 'DIFFERS'}")
            status = status or (0 if same else 1)
        else:
            stored.write_text(text, encoding="utf-8")
            print(f"{option}: wrote {stored}")
    return status


if __name__ == "__main__":
    sys.exit(main())
