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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="metrics.json of run A")
    parser.add_argument("b", type=Path, help="metrics.json of run B")
    args = parser.parse_args(argv)
    try:
        a, b = _read(args.a), _read(args.b)
        rows = comparisons(a, b, load_dataset().record["decision"])
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
