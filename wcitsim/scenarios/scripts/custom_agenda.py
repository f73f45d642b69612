"""Build a scenario in code: a custom agenda of two clauses, the Americas only, three chair policies.

Run:  python scenarios/scripts/custom_agenda.py [REPLICATIONS]
"""

from __future__ import annotations

import sys

from wcitsim import load_dataset, run_scenario, scenario_from_dict

AMERICAS = load_dataset().states.query("itu_region == 'A'").index.tolist()

SCENARIO = {
    "meta": {"name": "americas_two_clauses", "title": "CITEL alone on scope and the Internet"},
    "run": {"replications": 100, "seed": 2012, "sessions": 8},
    "seating": {"mode": "list", "include": AMERICAS},
    "agenda": {
        "clauses": [
            {
                "id": "scope",
                "options": [
                    "recognized operating agencies",
                    "authorized operating agencies",
                    "all operating agencies",
                ],
                "values": [0.0, 0.5, 1.0],
                "status_quo": 0.0,
                "final_acts": 0.5,
            },
            {
                "id": "internet",
                "options": ["no Internet text", "non-binding resolution", "binding article"],
                "values": [0.0, 0.5, 1.0],
                "status_quo": 0.0,
                "final_acts": 0.5,
                "salience": 1.5,
            },
        ]
    },
    "groups": {
        "cohesion": {"default": 0.3},
        "anchors": {"CITEL": {"scope": [0.3, 1.0], "internet": [0.2, 1.0]}},
    },
    "seeder": {
        "anchor_weight": 0.4,
        "covariate_slope": 4.0,
        "covariate_weights": {"unga_idealpoint_s67_2012": 1.0, "fh_total_score": 0.5},
    },
    "signing": {"conformity": 0.5, "temperature": 0.1},
}


def main(replications: int = 100) -> None:
    for policy in ("compromise", "median", "majority"):
        raw = {**SCENARIO, "chair": {"policy": policy}}
        result = run_scenario(scenario_from_dict(raw, "custom_agenda.py"), replications)
        summary = result.summary()
        text = ", ".join(f"{c['id']}: {c['modal_label']}" for c in summary["text"]["clauses"])
        print(f"{policy:<10} {summary['split']['signed_mean']:5.1f} of {result.world.n} sign; {text}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
