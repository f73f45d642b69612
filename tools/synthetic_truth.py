"""Could the scorecard see the conference if the model were the truth? A synthetic-truth test.

``wcitsim validate`` finds that the conference does not beat its ablations (no
conference; the one-shot compromise) out of fold on the 100 known decisions
(docs/validation.md). That is evidence against the conference only if the test
could have seen it. This script asks: in a world where the calibrated model *is*
the data-generating process, how often does the same test pass?

For each of D draws, one replication of the scenario (its own coefficients, its
conference, its votes and its signing draws; replication seeds from ``--seed``,
which must differ from ``--fold-seed``: the calibration's common seeds come from
the fold seed, and the same root would replay the synthetic worlds' own draws)
gives each of the 100 states whose decision the record knows a synthetic
decision. A copy of the package's data folder with those decisions in place of
the record's (every unknown state stays unknown, the facts and covariates are
the package's) is then validated exactly as the record is::

    wcitsim validate SCENARIO --data-dir DRAW/data --seed F --budget B --reps R

Each predictor is calibrated per fold on the synthetic decisions, as on the real
ones. The calibration's text target stays the Final Acts; the synthetic worlds'
texts match them on the same 7 of 8 clauses in every replication of the
baseline, so the target is the same one the generating model meets.

Printed per draw and over the draws (and written to ``OUT/summary.csv``): the
model's out-of-fold Brier beside the oracle's (the generating replication's own
P(sign) for each state, which no predictor can beat on average), and model − no
conference and model − compromise with their 90 % paired-bootstrap intervals. The
share of draws whose two intervals lie wholly below 0 is the power of the test
"the conference beats both ablations" on 100 states, under the model itself.

Usage::

    python tools/synthetic_truth.py [scenario] [--draws 10] [--seed 2012] [--fold-seed 0]
        [--budget 150] [--reps 50] [--workers 2] [--out results/synthetic_truth]

A draw whose ``metrics.json`` exists is not run again, so an interrupted run
resumes where it stopped; the data and the validation of a draw are written
before the draw counts as done.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import default_data_dir, load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import write_text_atomic
from wcitsim.io.scenario import load_scenario

RECORD = "wcit2012_record.csv"
ABLATIONS = ("no conference", "compromise")
COLUMNS = (
    "draw",
    "signed_known",
    "oracle_brier",
    "model_brier",
    "no_conference_brier",
    "compromise_brier",
    "logit_brier",
    "vs_no_conference",
    "vs_no_conference_lo",
    "vs_no_conference_hi",
    "vs_compromise",
    "vs_compromise_lo",
    "vs_compromise_hi",
    "beats_both",
)


def synthetic_decisions(scenario_path: str, draws: int, seed: int):
    """The known states, and per draw their decisions (D × n_known booleans) and P(sign) (D × n_known)."""
    data = load_dataset()
    world = build_world(load_scenario(scenario_path), data)
    known = [i for i, d in enumerate(world.record) if d in ("signed", "not_signed")]
    outcome = run_outcome(world, replication_seeds(seed, draws), trace=False, measure=False)
    iso3 = [world.iso3[i] for i in known]
    return iso3, outcome.signed[:, known], outcome.probability[:, known]


def write_synthetic_data(folder: Path, decisions: dict[str, bool], label: str) -> Path:
    """A copy of the package's data folder whose record has ``decisions`` for the states it names.

    Each such row keeps its confidence (how the real decision is known) and says in
    its evidence and source that the decision is a draw of the model, not a fact.
    """
    source = default_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and path.suffix in (".csv", ".toml", ".md") and path.name != RECORD:
            shutil.copyfile(path, folder / path.name)
    rows = list(csv.reader(io.StringIO((source / RECORD).read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    at = {name: header.index(name) for name in ("iso3", "decision", "evidence", "source")}
    for row in body:
        iso = row[at["iso3"]]
        if iso in decisions:
            row[at["decision"]] = "signed" if decisions[iso] else "not_signed"
            row[at["evidence"]] = label
            row[at["source"]] = "tools/synthetic_truth.py (not a fact: a draw of the model)"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    write_text_atomic(folder / RECORD, out.getvalue())
    return folder


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def summarise_draw(draw: int, metrics: dict, truth: dict[str, bool], oracle: dict[str, float]) -> dict:
    """One row of the summary from a draw's ``metrics.json``, its decisions and its generating P(sign)."""
    scores, comparisons = metrics["scores"], metrics["comparisons"]
    model = next(name for name, s in scores.items() if s.get("kind") == "model")
    iso = sorted(truth)
    y = np.array([truth[i] for i in iso], dtype=float)
    row = {
        "draw": draw,
        "signed_known": int(y.sum()),
        "oracle_brier": _brier(y, np.array([oracle[i] for i in iso])),
        "model_brier": scores[model]["brier"],
        "no_conference_brier": scores["no conference"]["brier"],
        "compromise_brier": scores["compromise"]["brier"],
        "logit_brier": scores["logit: covariates + groups"]["brier"],
    }
    beats = True
    for ablation in ABLATIONS:
        pair = next(c for c in comparisons if c["a"] == model and c["b"] == ablation)
        key = "vs_" + ablation.replace(" ", "_")
        lo, hi = pair["brier"]["interval"]
        row[key], row[key + "_lo"], row[key + "_hi"] = pair["brier"]["difference"], lo, hi
        beats &= hi < 0
    row["beats_both"] = bool(beats)
    return row


def _table(rows: list[dict]) -> str:
    lines = [",".join(COLUMNS)]
    for r in rows:
        lines.append(",".join(f"{r[c]:.4f}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS))
    return "\n".join(lines) + "\n"


def _print(rows: list[dict]) -> None:
    print(
        "draw  signed/100  oracle  model  no conf.  compromise  logit   model − no conference     model − compromise"
    )
    for r in rows:
        print(
            f"{r['draw']:4d}  {r['signed_known']:10d}  {r['oracle_brier']:.3f}  {r['model_brier']:.3f}"
            f"  {r['no_conference_brier']:8.3f}  {r['compromise_brier']:10.3f}  {r['logit_brier']:.3f}"
            f"   {r['vs_no_conference']:+.3f} ({r['vs_no_conference_lo']:+.3f}, {r['vs_no_conference_hi']:+.3f})"
            f"   {r['vs_compromise']:+.3f} ({r['vs_compromise_lo']:+.3f}, {r['vs_compromise_hi']:+.3f})"
        )
    if rows:
        m = lambda key: np.mean([r[key] for r in rows])  # noqa: E731
        passed = sum(r["beats_both"] for r in rows)
        print(
            f"mean  {m('signed_known'):10.1f}  {m('oracle_brier'):.3f}  {m('model_brier'):.3f}"
            f"  {m('no_conference_brier'):8.3f}  {m('compromise_brier'):10.3f}  {m('logit_brier'):.3f}"
            f"   {m('vs_no_conference'):+.3f}                    {m('vs_compromise'):+.3f}"
        )
        print(
            f"the model beats both ablations (both 90 % intervals below 0) in {passed} of {len(rows)} draws; "
            f"below 0 against no conference in {sum(r['vs_no_conference_hi'] < 0 for r in rows)}, "
            f"against the compromise in {sum(r['vs_compromise_hi'] < 0 for r in rows)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/wcit2012.toml")
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument(
        "--seed", type=int, default=2012, help="root seed of the synthetic worlds (not the fold seed)"
    )
    parser.add_argument(
        "--fold-seed", type=int, default=0, help="seed of the folds and the validation's runs"
    )
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/synthetic_truth"))
    args = parser.parse_args(argv)
    if args.draws < 1 or args.budget < 1 or args.reps < 1:
        parser.error("--draws, --budget and --reps must be at least 1")
    if args.seed == args.fold_seed:  # the calibration's common seeds would replay the synthetic worlds' draws
        parser.error(f"--seed {args.seed}: the same as --fold-seed; expected another root seed")
    iso3, signed, probability = synthetic_decisions(args.scenario, args.draws, args.seed)
    rows = []
    for d in range(args.draws):
        folder = args.out / f"seed{args.seed}-draw{d}"
        truth = dict(zip(iso3, signed[d].tolist(), strict=True))
        oracle = dict(zip(iso3, probability[d].tolist(), strict=True))
        found = sorted(folder.glob("validation/*/metrics.json"))
        if not found:
            label = f"synthetic: replication {d} of {args.scenario}, seed {args.seed}"
            data = write_synthetic_data(folder / "data", truth, label)
            command = [
                sys.executable, "-m", "wcitsim", "validate", args.scenario, "--data-dir", str(data),
                "--seed", str(args.fold_seed), "--budget", str(args.budget), "--reps", str(args.reps),
                "--workers", str(args.workers), "--out", str(folder),
            ]  # fmt: skip
            print(f"draw {d}: {sum(truth.values())} of {len(truth)} sign; validating", flush=True)
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode:
                print(f"draw {d}: {done.stderr.strip().splitlines()[-1]}", file=sys.stderr)
                return done.returncode
            found = sorted(folder.glob("validation/*/metrics.json"))
        metrics = json.loads(found[-1].read_text(encoding="utf-8"))
        rows.append(summarise_draw(d, metrics, truth, oracle))
        write_text_atomic(args.out / f"summary-seed{args.seed}.csv", _table(rows))
    _print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
