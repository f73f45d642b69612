"""Two validation runs compared on the same folds: is one scenario's predictor better than the other's?

``wcitsim validate`` compares the predictors of one scenario. Two scenarios (a
variant and the baseline, say) validated with the same fold seed and fold count
see the same folds; this script pairs their out-of-fold P(sign) state by state and
prints, for each predictor both runs have, the paired bootstrap of the difference
in Brier score and log-loss (A − B, negative: A is better, 90 % interval;
:func:`wcitsim.validation.bootstrap.compare`). Runs on different folds are refused.

Usage::

    wcitsim validate scenarios/reasoned_anchors.toml --out runs/a
    wcitsim validate scenarios/wcit2012.toml --out runs/b
    python tools/compare_validations.py runs/a/validation/*/metrics.json runs/b/validation/*/metrics.json

With ``--pair A B`` it compares two predictors *within* each run given (one run or
several, e.g. two fold seeds): the paired bootstrap of A − B in each run, then
state by state the out-of-fold P(sign) under each and the difference in squared
error, averaged over the runs, the states A gains most on and loses most on, and
the summed gains and losses (docs/validation.md, "Which mechanisms fail")::

    python tools/compare_validations.py --pair "model (single_text)" "no conference" \
        runs/s0/validation/*/metrics.json runs/s1/validation/*/metrics.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from wcitsim.data import load_dataset
from wcitsim.validation.bootstrap import compare


def _read(path: Path) -> dict:
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: {err}; expected a metrics.json of wcitsim validate") from None
    if not isinstance(run, dict) or not {"scenario", "folds", "seed", "fold_of", "out_of_fold"} <= set(run):
        raise ValueError(f"{path}: not a metrics.json of wcitsim validate (no out_of_fold or fold_of)")
    return run


def comparisons(a: dict, b: dict, record: pd.Series, seed: int = 0) -> list[dict]:
    """Each predictor both runs scored: its paired bootstrap, A's run against B's, on the same states."""
    if a.get("fold_of") != b.get("fold_of"):
        raise ValueError("the two runs have different folds; validate both with the same --folds and --seed")
    rows = []
    for name in a["out_of_fold"]:
        if name in b["out_of_fold"]:
            pa, pb = pd.Series(a["out_of_fold"][name]), pd.Series(b["out_of_fold"][name])
            rows.append({"predictor": name, **compare(pa, pb, record, "A", "B", seed)})
    return rows


def state_differences(runs: list[dict], a: str, b: str, record: pd.Series) -> pd.DataFrame:
    """Per known state: P(sign) under predictors ``a`` and ``b`` and A's squared error less B's, each averaged
    over the runs (negative: A is nearer the record), sorted from A's largest gain to its largest loss."""
    frames = []
    for run in runs:
        missing = [name for name in (a, b) if name not in run["out_of_fold"]]
        if missing:
            raise ValueError(
                f"{run['scenario']} (seed {run['seed']}): no predictor {missing[0]!r}; "
                f"expected one of {sorted(run['out_of_fold'])}"
            )
        pa, pb = pd.Series(run["out_of_fold"][a]), pd.Series(run["out_of_fold"][b])
        y = (record.reindex(pa.index) == "signed").astype(float)
        frames.append(pd.DataFrame({"p_a": pa, "p_b": pb, "difference": (pa - y) ** 2 - (pb - y) ** 2}))
    out = sum(frames) / len(frames)
    out.insert(0, "record", record.reindex(out.index))
    return out.sort_values("difference")


def _print_pair(runs: list[dict], a: str, b: str, record: pd.Series, table: pd.DataFrame, shown: int) -> None:
    for run in runs:
        c = compare(
            pd.Series(run["out_of_fold"][a]), pd.Series(run["out_of_fold"][b]), record, a, b, run["seed"]
        )
        m = c["brier"]
        print(
            f"{run['scenario']}, {run['folds']} folds, seed {run['seed']}: Brier A − B {m['difference']:+.3f} "
            f"[{m['interval'][0]:+.3f}, {m['interval'][1]:+.3f}] {m['verdict']}"
        )
    gains, losses = table[table.difference < -0.02], table[table.difference > 0.02]
    print(
        f"A = {a}, B = {b}: per state, mean over {len(runs)} run(s) (squared error A − B; negative: A nearer)"
    )
    for title, rows in (("A gains most on", table.head(shown)), ("A loses most on", table.tail(shown)[::-1])):
        print(f"  {title}:")
        for iso, r in rows.iterrows():
            print(
                f"    {iso} ({r['record']}): P(sign) {r['p_b']:.2f} under B, {r['p_a']:.2f} under A; {r['difference']:+.3f}"
            )
    print(
        f"  {len(gains)} states gain more than 0.02 ({gains.difference.sum():+.2f} in all), "
        f"{len(losses)} lose more than 0.02 ({losses.difference.sum():+.2f}); mean {table.difference.mean():+.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "runs", type=Path, nargs="+", help="metrics.json of run A and of run B (with --pair: any)"
    )
    parser.add_argument("--pair", nargs=2, metavar=("A", "B"), help="compare two predictors within each run")
    parser.add_argument(
        "--states", type=int, default=7, help="with --pair: states shown each way (default 7)"
    )
    args = parser.parse_args(argv)
    try:
        runs = [_read(path) for path in args.runs]
        record = load_dataset().record["decision"]
        if args.pair:
            table = state_differences(runs, *args.pair, record)  # checks the names before anything is printed
            _print_pair(runs, *args.pair, record, table, args.states)
            return 0
        if len(runs) != 2:
            raise ValueError(f"{len(runs)} runs given; expected two metrics.json (A and B), or --pair")
        a, b = runs
        rows = comparisons(a, b, record)
    except ValueError as err:
        print(f"compare_validations: {err}", file=sys.stderr)
        return 2
    print(
        f"A = {a['scenario']}, B = {b['scenario']}: {a['folds']} folds, seed {a['seed']}; A − B, 90 % interval"
    )
    for row in rows:
        cells = [
            f"{m} {row[m]['difference']:+.3f} [{row[m]['interval'][0]:+.3f}, {row[m]['interval'][1]:+.3f}] "
            f"{row[m]['verdict']}"
            for m in ("brier", "log_loss")
        ]
        print(f"  {row['predictor']:<30} " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
