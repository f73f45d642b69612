"""How many poles the opening field has under other codings of what the groups tabled.

The baseline's interests open with two poles (docs/model.md, "The field"). This
script asks whether that is the coding of the proposals or the record: it
measures the opening field (the seeded positions, before noise) with the
instruments (`wcitsim.core.measures`), with scikit-learn's k-means
and silhouette per k beside them, under

- ``baseline``: the anchors of the scenario (for `scenarios/wcit2012.toml`: CEPT, RCC,
  ASMG and ATU on every clause, CITEL on the scope and the content exclusion, APT on none;
  `scenarios/reasoned_anchors.toml` has CITEL and APT on every clause);
- ``tabled only``: anchors kept only on the clauses each group tabled or opposed
  in the record (`../shared/reference/wcit_facts.md`: RCC Internet resources,
  security and scope; the Arab group Art. 3.8, spam, security and its opposition
  to content rules; the African group the Internet resolution, access and
  charging; CITEL only the content exclusion and "authorized" scope; APT none,
  its members split; CEPT against every clause); elsewhere a state's covariates decide;
- each of them without CEPT (is the rest of the field multipolar?), and on
  salience-weighted positions (do the groups differ in what they push?).

Usage: ``python tools/opening_poles.py [scenario]``. It prints the mean
silhouette for k = 2 … 6, the poles the instruments count and the bipolarity.
"""

from __future__ import annotations

import copy
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from wcitsim.core import measures
from wcitsim.core.world import build_world
from wcitsim.data.loaders import load_dataset
from wcitsim.io.scenario import load_scenario, scenario_from_dict

#: The clauses on which each group tabled a proposal or an opposition, as the record has it.
TABLED = {
    "RCC": ("scope", "internet", "security"),
    "ASMG": ("internet", "spam", "security", "content"),
    "ATU": ("internet", "access_right", "charging"),
    "APT": (),
    "CITEL": ("content", "scope"),
}


def tabled_only(scenario):
    """The scenario with each group's anchors cut to the clauses it tabled (CEPT keeps all)."""
    raw = copy.deepcopy(scenario.raw)
    anchors = {g: {c: list(v) for c, v in table.items()} for g, table in scenario.groups.anchors.items()}
    raw.setdefault("groups", {})["anchors"] = {
        g: {c: v for c, v in table.items() if g not in TABLED or c in TABLED[g]}
        for g, table in anchors.items()
    }
    return scenario_from_dict(raw, scenario.source)


def shape(x: np.ndarray) -> str:
    """Mean silhouette per k (scikit-learn's k-means, as a check), then the instruments' poles and bipolarity."""
    scores = [
        silhouette_score(x, KMeans(k, n_init=10, random_state=0).fit_predict(x))
        for k in range(2, measures.KMAX + 1)
    ]
    return (
        "silhouette k=2..6 "
        + " ".join(f"{s:.2f}" for s in scores)
        + f"  poles {int(measures.clusters(x))}  bipolarity {float(measures.bipolarity(x[None])[0]):.2f}"
    )


def main(path: str = "scenarios/wcit2012.toml") -> None:
    data = load_dataset()
    baseline = load_scenario(path)
    for label, scenario in (("baseline", baseline), ("tabled only", tabled_only(baseline))):
        world = build_world(scenario, data)
        rest = ~np.isin(world.group, ["CEPT", "none"])
        weight = world.salience / world.salience.sum(axis=1, keepdims=True)
        pushed = world.position * weight / weight.max()
        print(f"{label:<12} all states:          {shape(world.position)}")
        print(f"{'':<12} without CEPT:        {shape(world.position[rest])}")
        print(f"{'':<12} salience-weighted:   {shape(pushed)}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
