"""Compare the baseline with every counterfactual scenario: splits, text, and who changes sides.

Run:  python scenarios/scripts/counterfactual_comparison.py [REPLICATIONS]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from wcitsim import load_scenario, run_scenario

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent


def compare(replications: int = 100, seed: int = 1) -> pd.DataFrame:
    """One row per scenario: signatories (known states, of the eligible), P(sign) of the US and the EU, text matches."""
    baseline = run_scenario(load_scenario(SCENARIOS / "wcit2012.toml"), replications, seed)
    base_p = baseline.countries().set_index("iso3")["p_sign"]
    rows = []
    for path in sorted(SCENARIOS.glob("*.toml")):
        result = (
            baseline
            if path.name == "wcit2012.toml"
            else run_scenario(load_scenario(path), replications, seed)
        )
        summary, countries = result.summary(), result.countries().set_index("iso3")
        moved = (countries["p_sign"] - base_p.reindex(countries.index)).abs().sort_values(ascending=False)
        rows.append(
            {
                "scenario": summary["scenario"]["name"],
                "signed_known": summary["split"]["known_states"]["signed_mean"],
                "signed_eligible": summary["split"]["eligible"]["signed_mean"],
                "p_sign_USA": countries.loc["USA", "p_sign"],
                "p_sign_EU": countries.loc[result.data.states.query("eu == 1").index, "p_sign"].mean(),
                "text_matches": summary["text"]["matches_mean"],
                "most_moved": " ".join(moved.index[:3]) if moved.iloc[0] > 0.01 else "",
            }
        )
    return pd.DataFrame(rows).set_index("scenario")


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with pd.option_context("display.width", 160, "display.max_columns", None, "display.precision", 2):
        print(compare(reps))
