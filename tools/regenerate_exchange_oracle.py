"""Regenerate the exchange model's oracle files from ``decide-exchange-model``.

The files in ``tests/data/oracles/`` that the exchange protocol's known-answer
tests (``tests/test_exchange_oracle.py``) compare with:

- ``copenhagen_exchanges_round1.csv``: the realised exchanges of round 1 in order;
- ``copenhagen_equal_gain_round1.csv``, ``copenhagen_equal_gain_final.csv``: per
  actor and issue the start, voting and after-round positions of round 1 and of
  round 10, with the issue's weighted mean (``MDS``) under them.

It runs the equal-gain model of ``decide-exchange-model`` 2025.3.1 (GPL-3.0,
PyPI) unmodified on ``tests/data/copenhagen_exchange.tsv``: 10 rounds, one
repetition, p = 0, with the package's own switch ``EqualGainModel.ALLOW_RANDOM =
False`` (exact ties in gain go to the first exchange in input order instead of a
coin). Numbers are written as the package holds them (``str`` of its Decimals).

The package needs Python 3.13 and is not a dependency of wcitsim; install it in a
separate environment and run this file with that interpreter::

    python3.13 -m venv /tmp/demvenv
    /tmp/demvenv/bin/pip install decide-exchange-model==2025.3.1
    /tmp/demvenv/bin/python tools/regenerate_exchange_oracle.py [--out DIR] [--time]

``--time`` prints the seconds the package takes for the 10 rounds (best of 3)
and writes nothing. The test suite does not run this file.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUT = ROOT / "tests" / "data" / "copenhagen_exchange.tsv"
OUT = ROOT / "tests" / "data" / "oracles"
ROUNDS = 10
VERSION = "2025.3.1"

try:
    from decide.data.modelfactory import ModelFactory
    from decide.data.reader import InputDataFile
    from decide.model.equalgain import EqualGainModel
    from decide.model.observers.observer import Observable, Observer
    from decide.model.utils import ModelLoop
except ImportError:
    sys.exit(
        f"decide-exchange-model is not installed in this interpreter ({sys.executable}).\n"
        f"Install it in a Python 3.13 environment and run this file with that interpreter:\n"
        f"  python3.13 -m venv /tmp/demvenv && /tmp/demvenv/bin/pip install decide-exchange-model=={VERSION}\n"
        f"  /tmp/demvenv/bin/python {Path(__file__).relative_to(ROOT)}"
    )


class Recorder(Observer):
    """Keeps what the oracle files hold: round 1's realised exchanges, and positions per round."""

    def __init__(self, observable) -> None:
        super().__init__(observable)
        self.exchanges = []
        self.start, self.voting, self.nbs_start, self.nbs_voting = {}, {}, {}, {}

    def before_loop(self, iteration, repetition=None) -> None:
        self.start[iteration] = positions(self.model_ref)
        self.nbs_start[iteration] = dict(self.model_ref.nbs)

    def after_loop(self, realized, iteration, repetition) -> None:
        if iteration == 0:
            self.exchanges = [exchange_row(order, e) for order, e in enumerate(realized, start=1)]

    def end_loop(self, iteration, repetition) -> None:
        self.voting[iteration] = positions(self.model_ref)
        self.nbs_voting[iteration] = dict(self.model_ref.nbs)


def positions(model) -> dict:
    return {
        (issue, actor): actor_issue.position
        for issue, by_actor in model.actor_issues.items()
        for actor, actor_issue in by_actor.items()
    }


def exchange_row(order: int, exchange) -> list:
    """The package's own exchange row (``csv_row``), with each side's demand issue and the internal shifts."""
    row = exchange.csv_row()
    side = len(row) // 2  # 21 columns a side, then an empty separator in the middle
    return [
        order,
        *row[:side],
        exchange.i.demand.issue,
        *row[side + 1 :],
        exchange.j.demand.issue,
        exchange.dp,
        exchange.dq,
    ]


def exchange_head(exchange_class) -> list[str]:
    head = exchange_class.csv_row(None, head=True)
    side = len(head) // 2
    i = [f"i_{h}" for h in head[:side]] + ["i_demand_issue"]
    j = [f"j_{h}" for h in head[side + 1 :]] + ["j_demand_issue"]
    return ["order", *i, *j, "internal_dp", "internal_dq"]


def run(rounds: int = ROUNDS):
    """The model after ``rounds`` rounds, its recorder, and the input rows."""
    logging.disable(logging.CRITICAL)
    EqualGainModel.ALLOW_RANDOM = False
    data = InputDataFile.open(INPUT)
    model = ModelFactory(data)(model_klass=EqualGainModel, randomized_value="0")
    events = Observable(model_ref=model, output_directory=Path("."))
    recorder = Recorder(events)
    loop = ModelLoop(model, events, 0)
    for _ in range(rounds):
        loop.loop()
    model.calc_nbs()  # the weighted means of the new start positions, after the last round
    return model, recorder, data


def write_positions(path: Path, model, recorder, data, iteration: int, after: dict, nbs_after: dict) -> None:
    label = f"round{iteration + 1}"
    inputs = {(row.issue, row.actor): row for row in data.actor_issues.values()}
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            [
                "actor",
                "issue",
                "salience",
                "power",
                "input_position",
                f"start_position_{label}",
                f"voting_position_{label}",
                f"position_after_{label}",
            ]
        )
        for issue, by_actor in model.actor_issues.items():
            for actor, actor_issue in by_actor.items():
                key = (issue, actor)
                row = inputs[(issue.name, actor.actor_id)]
                values = (recorder.start[iteration][key], recorder.voting[iteration][key], after[key])
                out.writerow(
                    [
                        actor.name,
                        issue.name,
                        actor_issue.salience,
                        actor_issue.power,
                        row.position,
                        *(issue.de_normalize(v) for v in values),
                    ]
                )
            nbs = (
                recorder.nbs_start[iteration][issue],
                recorder.nbs_voting[iteration][issue],
                nbs_after[issue],
            )
            out.writerow(["MDS", issue.name, "", "", "", *(issue.de_normalize(v) for v in nbs)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write the three files to")
    parser.add_argument("--time", action="store_true", help="print the package's seconds for 10 rounds only")
    args = parser.parse_args()
    if args.time:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        print(f"{best:.4f}")
        return
    model, recorder, data = run()
    args.out.mkdir(parents=True, exist_ok=True)
    from decide.model.equalgain import EqualGainExchange

    with (args.out / "copenhagen_exchanges_round1.csv").open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(exchange_head(EqualGainExchange))
        out.writerows(recorder.exchanges)
    final = positions(model)
    write_positions(
        args.out / "copenhagen_equal_gain_round1.csv",
        model,
        recorder,
        data,
        0,
        recorder.start[1],
        recorder.nbs_start[1],
    )
    write_positions(
        args.out / "copenhagen_equal_gain_final.csv",
        model,
        recorder,
        data,
        ROUNDS - 1,
        final,
        dict(model.nbs),
    )
    print(f"wrote the three oracle files to {args.out}")


if __name__ == "__main__":
    main()
