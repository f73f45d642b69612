"""Does the model's consensus test see the minority the record's vote saw? One clause, fold by fold.

A clause lacks consensus when more than 1 − ``voting.consensus_share`` of the
delegations *object*: the clause's option costs them more than
``voting.objection_threshold`` of their normalised salience against the 1988
text (docs/model.md, "The conference"). A delegation *votes no* as soon as the
1988 option is nearer its view by more than the abstention band. The two differ
for a delegation that prefers the 1988 text but cares little about the clause.

For each training fold of a ``wcitsim validate`` run (its calibrated
coefficients, from ``metrics.json``; those the run held, ``--hold``, at the middle
of their range), this script plays the scenario with those coefficients and
measures, on the clause (default ``access_right``) with its Final Acts option against 1988 and the capitals' instructions at the deadline,
the share of the seated delegations that object (as the consensus test counts
them: every delegation once), that would vote no and that would vote yes (on the
same footing, so that the shares compare), and the share of replications in
which the clause was moved from the floor. Bad input stops with one line and
exit status 2.

Usage::

    python tools/consensus_test.py RUN/metrics.json SCENARIO [--clause access_right] [--reps 50] [--seed 7]

docs/validation.md, "A chair who drafts only what has consensus", quotes it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from wcitsim.cli import OneLineParser
from wcitsim.core.conference import Conference
from wcitsim.core.rules import delegation_votes, objections
from wcitsim.core.streams import Streams, replication_seeds
from wcitsim.core.world import build_world
from wcitsim.data import load_dataset
from wcitsim.errors import WcitsimError
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import hold


def clause_shares(scenario, data, clause: str, reps: int, seed: int) -> dict:
    """Objecting, voting no and voting yes on ``clause`` (its Final Acts option against 1988), and moved."""
    world = build_world(scenario, data)
    conference = Conference(world, Streams(replication_seeds(seed, reps)), trace=False, measure=False).run()
    k = world.agenda.ids.index(clause)
    agenda, voting, exponent = world.agenda, scenario.voting, world.signing.exponent
    text = np.broadcast_to(agenda.final_acts, conference.final_draft.shape).copy()
    view = conference.view()
    objecting = objections(
        text, agenda.status_quo, view, conference.salience, exponent, voting.objection_threshold
    )
    votes = delegation_votes(text, agenda.status_quo, view, exponent, voting.abstain_band)

    def share(mask):
        return float(mask[..., k].mean())

    return {
        "objecting": share(objecting),
        "no": share(votes == -1),
        "yes": share(votes == 1),
        "moved": float(conference.moved[:, k].mean()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="consensus_test", description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("scenario")
    parser.add_argument("--clause", default="access_right")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.reps < 1 or args.seed < 0:
        parser.error(f"--reps {args.reps}, --seed {args.seed}: expected at least 1 and at least 0")
    try:
        metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        parser.error(f"{args.metrics}: {error}; expected the metrics.json of a wcitsim validate run")
    folds = (
        (metrics.get("calibrated") or {}).get("model (single_text)") if isinstance(metrics, dict) else None
    )
    if not folds or not all(isinstance(f, dict) and "coefficients" in f for f in folds):
        parser.error(
            f"{args.metrics}: no calibrated model (single_text) coefficients; expected a calibrated run"
        )
    try:
        scenario, data = load_scenario(args.scenario), load_dataset()
        scenario = hold(scenario, metrics.get("held") or [])  # what the run held stays where it held it
        ids = [c.id for c in scenario.agenda.active]
        if args.clause not in ids:
            parser.error(f"--clause {args.clause!r}: not on the table; expected one of {', '.join(ids)}")
        rows = []
        for f, fold in enumerate(folds):
            rows.append(
                clause_shares(
                    scenario.replace(**fold["coefficients"]), data, args.clause, args.reps, args.seed
                )
            )
            r = rows[-1]
            print(f"fold {f}: objecting {r['objecting']:.3f}, voting no {r['no']:.3f}, yes {r['yes']:.3f}, "
                  f"moved from the floor in {r['moved']:.0%}")  # fmt: skip
    except WcitsimError as error:
        print(f"consensus_test: error: {error}", file=sys.stderr)
        return 2
    mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
    print(f"mean: objecting {mean['objecting']:.3f}, voting no {mean['no']:.3f}, yes {mean['yes']:.3f}, "
          f"moved {mean['moved']:.0%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
