"""Could the scorecard see the conference if the model were the truth? A synthetic-truth test.

``wcitsim validate`` finds that the conference does not beat its ablations (no
conference; the one-shot compromise) out of fold on the 100 known decisions
(docs/validation.md). That is evidence against the conference only if the test
could have seen it. This script asks: in a world where the calibrated model *is*
the data-generating process, how often does the same test pass?

For each of D draws, one replication of the scenario (its own coefficients, its
conference, its votes and its signing draws; replication seeds from ``--seed``,
which must differ from ``--fold-seed`` and the next seed: the calibration's common
seeds come from the fold seed and its predictions' from the next, and the same
root would replay the synthetic worlds' own draws)
gives each of the 100 states whose decision the record knows a synthetic
decision. A copy of the package's data folder with those decisions in place of
the record's (every unknown state stays unknown, the facts and covariates are
the package's) is then validated exactly as the record is::

    wcitsim validate SCENARIO --data-dir DRAW/data --seed F --budget B --reps R

Each predictor is calibrated per fold on the synthetic decisions, as on the real
ones. The calibration's text target stays the Final Acts; the synthetic worlds'
texts match them on the same 7 of 8 clauses in every replication of the
baseline, so the target is the same one the generating model meets.

Printed per draw and over the draws (and written to ``OUT/summary-seed<S>.csv``):
the model's out-of-fold Brier beside two oracles, the generating replication's
own P(sign) for each state (``oracle``: it knows how that conference went) and
the world's, its mean over 200 further replications of the same root, the ones
after its first 1,000 whatever ``--draws`` (``world``: it knows the
coefficients but not how the conference went); the ablations' and the logit's;
and model − no conference and model − compromise with their 90 % paired-bootstrap
intervals. The
share of draws whose two intervals lie wholly below 0 is the power of the test
"the conference beats both ablations" on 100 states, under the model itself.

Usage::

    python tools/synthetic_truth.py [scenario] [--draws 10] [--seed 2012] [--fold-seed 0]
        [--budget 150] [--reps 50] [--workers 2] [--out results/synthetic_truth]

A draw whose ``metrics.json`` exists is not run again, so an interrupted run
resumes where it stopped; the data and the validation of a draw are written
before the draw counts as done. A ``metrics.json`` of another run (another
scenario, fold seed, budget or replications) is refused with a one-line error
before any work, as is a truth seed equal to the fold seed or the next one (the
seeds of the calibration's common random numbers and of its predictions).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from wcitsim.cli import OneLineParser
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import default_data_dir, load_dataset
from wcitsim.errors import UsageError, WcitsimError
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import write_text_atomic
from wcitsim.io.scenario import load_scenario
from wcitsim.metrics import brier, known_decisions
from wcitsim.validation.predictors import run_final_acts

RECORD = "wcit2012_record.csv"
MARGINAL_REPS = 200
MAX_DRAWS = 1000  # the world's replications are the root's children after the first MAX_DRAWS
ABLATIONS = ("no conference", "compromise")
COLUMNS = (
    "draw",
    "signed_known",
    "oracle_brier",
    "world_brier",
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


def known_index(world) -> np.ndarray:
    """Where in the world's seating the states whose decision the record knows sit."""
    return np.flatnonzero(known_decisions(world.record))


def synthetic_decisions(world, draws: int, seed: int, marginal_reps: int = MARGINAL_REPS):
    """The known states; per draw their decisions (D × n_known booleans) and P(sign) (D × n_known); and the
    world's P(sign) (n_known), the mean over ``marginal_reps`` further replications of the same root seed."""
    known = known_index(world)
    seeds = replication_seeds(seed, MAX_DRAWS + marginal_reps)
    outcome = run_outcome(world, seeds[:draws], trace=False, measure=False)
    world_p = run_outcome(world, seeds[MAX_DRAWS:], trace=False, measure=False).probability.mean(axis=0)
    iso3 = [world.iso3[i] for i in known]
    return iso3, outcome.signed[:, known], outcome.probability[:, known], world_p[known]


def expected_brier(p: np.ndarray) -> float:
    """The Brier score P(sign) = ``p`` expects on decisions drawn from it: the mean of p(1 − p).

    Drawn from a replication's own P, whose mean over replications is ``p``, the
    expectation is the same: E[P_r(1 − P_r) + (P_r − p)²] = p(1 − p).
    """
    return float(np.mean(p * (1.0 - p)))


def conference_effect(world, reps: int = MARGINAL_REPS, seed: int = 1) -> tuple[float, float]:
    """Mean and largest |P(sign) with the conference − without it| over the known states, same coefficients.

    "Without it" is the no-conference ablation of ``wcitsim validate`` (the Final Acts
    judged by the seeded interests), run with the world's own coefficients.
    """
    seeds = replication_seeds(seed, reps)
    full = run_outcome(world, seeds, trace=False, measure=False).probability.mean(axis=0)
    ablated = run_final_acts(world, seeds).probability.mean(axis=0)
    gap = np.abs(full - ablated)[known_index(world)]
    return float(gap.mean()), float(gap.max())


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


def summarise_draw(
    draw: int, metrics: dict, truth: dict[str, bool], oracle: dict[str, float], world: dict[str, float]
) -> dict:
    """One row of the summary from a draw's ``metrics.json``, its decisions, the P(sign) of the replication
    that drew them (``oracle``) and the world's, averaged over replications (``world``)."""
    scores, comparisons = metrics["scores"], metrics["comparisons"]
    model = next(name for name, s in scores.items() if s.get("kind") == "model")
    iso = sorted(truth)
    y = np.array([truth[i] for i in iso], dtype=float)
    row = {
        "draw": draw,
        "signed_known": int(y.sum()),
        "oracle_brier": brier(np.array([oracle[i] for i in iso]), y),
        "world_brier": brier(np.array([world[i] for i in iso]), y),
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
        "draw  signed/100  oracle  world  model  no conf.  compromise  logit"
        "   model − no conference     model − compromise"
    )
    for r in rows:
        print(
            f"{r['draw']:4d}  {r['signed_known']:10d}  {r['oracle_brier']:.3f}  {r['world_brier']:.3f}"
            f"  {r['model_brier']:.3f}  {r['no_conference_brier']:8.3f}  {r['compromise_brier']:10.3f}"
            f"  {r['logit_brier']:.3f}"
            f"   {r['vs_no_conference']:+.3f} ({r['vs_no_conference_lo']:+.3f}, {r['vs_no_conference_hi']:+.3f})"
            f"   {r['vs_compromise']:+.3f} ({r['vs_compromise_lo']:+.3f}, {r['vs_compromise_hi']:+.3f})"
        )
    if not rows:
        return

    def mean(key):
        return float(np.mean([r[key] for r in rows]))

    print(
        f"mean  {mean('signed_known'):10.1f}  {mean('oracle_brier'):.3f}  {mean('world_brier'):.3f}"
        f"  {mean('model_brier'):.3f}  {mean('no_conference_brier'):8.3f}  {mean('compromise_brier'):10.3f}"
        f"  {mean('logit_brier'):.3f}   {mean('vs_no_conference'):+.3f}                    "
        f"{mean('vs_compromise'):+.3f}"
    )
    n = len(rows)
    print(
        f"the model beats both ablations (both 90 % intervals below 0) in {sum(r['beats_both'] for r in rows)} "
        f"of {n} draws; below 0 against no conference in {sum(r['vs_no_conference_hi'] < 0 for r in rows)}, "
        f"against the compromise in {sum(r['vs_compromise_hi'] < 0 for r in rows)}; its Brier is below the "
        f"logit's (covariates + groups) in {sum(r['model_brier'] < r['logit_brier'] for r in rows)} of {n}"
    )


def _matching(folder: Path, expected: dict) -> dict | None:
    """The draw's finished validation if it is one of this run's, None if there is none; another run's refused."""
    found = sorted(folder.glob("validation/*/metrics.json"))
    if not found:
        return None
    if len(found) > 1:
        raise UsageError(f"{folder}: {len(found)} validations; expected one per draw (use another --out)")
    metrics = json.loads(found[0].read_text(encoding="utf-8"))
    for key, value in expected.items():
        if metrics.get(key) != value:
            raise UsageError(
                f"{found[0]}: {key} {metrics.get(key)!r}; expected {value!r} (another run's validation; "
                "use another --out)"
            )
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="synthetic_truth", description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/wcit2012.toml")
    parser.add_argument("--draws", type=int, default=10, help=f"synthetic worlds (1 to {MAX_DRAWS})")
    parser.add_argument(
        "--seed",
        type=int,
        default=2012,
        help="root seed of the synthetic worlds (not the fold seed or the next)",
    )
    parser.add_argument(
        "--fold-seed", type=int, default=0, help="seed of the folds and the validation's runs"
    )
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/synthetic_truth"))
    args = parser.parse_args(argv)
    if not 1 <= args.draws <= MAX_DRAWS:
        parser.error(f"--draws {args.draws}: expected 1 to {MAX_DRAWS}")
    if min(args.budget, args.reps, args.workers) < 1 or min(args.seed, args.fold_seed) < 0:
        parser.error("--budget, --reps and --workers must be at least 1, the seeds at least 0")
    # the calibration's common seeds come from the fold seed and its predictions' from the next one: the same
    # root would replay the synthetic worlds' own draws
    if args.seed in (args.fold_seed, args.fold_seed + 1):
        parser.error(f"--seed {args.seed}: the fold seed or the next one; expected another root seed")
    try:
        return _run(args)
    except WcitsimError as error:
        print(f"synthetic_truth: error: {error}", file=sys.stderr)
        return 2


def _run(args) -> int:
    scenario = load_scenario(args.scenario)
    expected = {
        "scenario_digest": scenario.digest, "seed": args.fold_seed, "budget": args.budget,
        "replications": args.reps, "vote_weight": 0.0,
    }  # fmt: skip
    folders = [args.out / f"seed{args.seed}-draw{d}" for d in range(args.draws)]
    done = [
        _matching(folder, expected) for folder in folders
    ]  # another run's results refused before any work
    world = build_world(scenario, load_dataset())
    mean_gap, max_gap = conference_effect(world)
    print(
        f"with the scenario's coefficients the conference moves P(sign) by {mean_gap:.2f} on average over the "
        f"known states (at most {max_gap:.2f}) against the no-conference ablation"
    )
    iso3, signed, probability, world_p = synthetic_decisions(world, args.draws, args.seed)
    world_sign = dict(zip(iso3, world_p.tolist(), strict=True))
    print(
        f"the world's P(sign) expects a Brier score of {expected_brier(world_p):.4f} over the known states, "
        "whatever the draws (the best a forecast that knows the coefficients can expect)"
    )
    rows = []
    for d, folder in enumerate(folders):
        truth = dict(zip(iso3, signed[d].tolist(), strict=True))
        oracle = dict(zip(iso3, probability[d].tolist(), strict=True))
        metrics = done[d]
        if metrics is None:
            label = f"synthetic: replication {d} of {args.scenario}, seed {args.seed}"
            data = write_synthetic_data(folder / "data", truth, label)
            command = [
                sys.executable, "-m", "wcitsim", "validate", args.scenario, "--data-dir", str(data),
                "--seed", str(args.fold_seed), "--budget", str(args.budget), "--reps", str(args.reps),
                "--workers", str(args.workers), "--out", str(folder),
            ]  # fmt: skip
            print(f"draw {d}: {sum(truth.values())} of {len(truth)} sign; validating", flush=True)
            run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if run.returncode:
                print(f"draw {d}: {run.stderr.strip().splitlines()[-1]}", file=sys.stderr)
                return run.returncode
            metrics = _matching(folder, expected)
        rows.append(summarise_draw(d, metrics, truth, oracle, world_sign))
        write_text_atomic(args.out / f"summary-seed{args.seed}.csv", _table(rows))
    _print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
