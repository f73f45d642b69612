"""Seeding, the one bridge from data to agents: positions, saliences, capabilities and groups.

Seeders are registered by name (``seeder.name`` in a scenario): ``anchors`` blends
each group's anchor positions with covariate terms through global coefficients;
``tabled`` centres each group's members on what the group tabled, spread by how
their covariates differ from the group's, clause family by clause family;
``expert`` reads expert-coded positions from a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.core.agenda import AgendaArrays
from wcitsim.data.checks import expert_positions_file
from wcitsim.errors import ScenarioError
from wcitsim.io.positions import read_expert_positions
from wcitsim.registry import SEEDERS

__all__ = [
    "GROUP_COLUMNS",
    "NO_GROUP",
    "REGION_GROUPS",
    "SEEDERS",
    "Seed",
    "capabilities",
    "covariate_index",
    "primary_groups",
    "seed_anchors",
    "seed_expert",
    "seed_tabled",
]

#: Regional telecom organisations and their membership column in states.csv.
GROUP_COLUMNS = {
    "RCC": "rcc",
    "ASMG": "asmg_arab_states",
    "CEPT": "cept",
    "ATU": "atu",
    "APT": "apt",
    "CITEL": "citel",
}
#: A state in no regional organisation joins the one of its ITU region.
REGION_GROUPS = {"A": "CITEL", "B": "CEPT", "C": "RCC", "D": "ATU", "E": "APT"}
NO_GROUP = "none"


@dataclass(frozen=True)
class Seed:
    """What a seeder gives the model: base positions and saliences, capabilities, groups.

    ``position`` and ``salience`` are N × K before the per-replication noise.
    """

    position: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    group: np.ndarray
    index: np.ndarray


def primary_groups(states: pd.DataFrame, order: tuple[str, ...]) -> np.ndarray:
    """Each state's caucus group: the first organisation of ``order`` it belongs to.

    A state in none of them joins the organisation of its ITU region
    (A CITEL, B CEPT, C RCC, D ATU, E APT); with no region either, it caucuses alone ('none').
    """
    groups = np.full(len(states), NO_GROUP, dtype=object)
    for name in reversed(order):
        column = GROUP_COLUMNS.get(name, name.lower())
        if column in states:
            groups[(states[column] == 1).to_numpy()] = name
    fallback = states["itu_region"].map(REGION_GROUPS).fillna(NO_GROUP).to_numpy()
    none = groups == NO_GROUP
    groups[none] = fallback[none]
    return groups


def covariate_index(states: pd.DataFrame, weights: dict[str, float], logs: tuple[str, ...]) -> np.ndarray:
    """x_i = Σ_j w_j z_ij / Σ_j |w_j| over the covariates known for state i.

    z are z-scores over all Member States (logarithms first for ``logs``). A
    missing covariate is left out of that state's sum and the weights of the
    others renormalised: nothing is imputed. With no covariate known, x_i = 0.
    """
    num = np.zeros(len(states))
    den = np.zeros(len(states))
    for column, w in weights.items():
        values = states[column].astype(float)
        if column in logs:
            values = np.log(values)
        z = ((values - values.mean()) / values.std(ddof=0)).to_numpy()
        known = np.isfinite(z)
        num[known] += w * z[known]
        den[known] += abs(w)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def capabilities(states: pd.DataFrame, exponent: float) -> np.ndarray:
    """Weight at the table: (GDP / median GDP)^θ, scaled to mean 1; unknown GDP counts as the median."""
    gdp = states["gdp_current_usd_2012"].to_numpy(dtype=float)
    ratio = np.where(np.isfinite(gdp), gdp / np.nanmedian(gdp), 1.0)
    cap = ratio**exponent
    return cap / cap.mean()


@SEEDERS.register("anchors")
def seed_anchors(states: pd.DataFrame, agenda: AgendaArrays, scenario, base: Path | None = None) -> Seed:
    """Group anchors blended with covariates through global coefficients (docs/model.md).

    p_ik = λ·a_{g(i),k} + (1 − λ)·σ(−γ·x_i); s_ik = base_k · w_{g(i),k}; capability from GDP.
    A group without an anchor on a clause leaves that clause to the covariate term.
    """
    cfg, groups_cfg = scenario.seeder, scenario.groups
    group = primary_groups(states, groups_cfg.order)
    index = covariate_index(states, cfg.covariate_weights, cfg.log_covariates)
    covariate_position = 1.0 / (1.0 + np.exp(cfg.covariate_slope * index))
    n, k = len(states), agenda.k
    position = np.repeat(covariate_position[:, None], k, axis=1)
    weight = np.ones((n, k))
    for g in np.unique(group):
        table = groups_cfg.anchors.get(g, {})
        rows = group == g
        for j, clause in enumerate(agenda.ids):
            if table.get(clause):  # an empty anchor ([], a variant's) leaves the clause to the covariates
                anchor, w = table[clause]
                position[rows, j] = (
                    cfg.anchor_weight * anchor + (1 - cfg.anchor_weight) * covariate_position[rows]
                )
                weight[rows, j] = w
    return Seed(
        position=position,
        salience=agenda.salience[None, :] * weight,
        capability=capabilities(states, cfg.capability_exponent),
        group=group,
        index=index,
    )


#: Anchors are kept this far inside (0, 1) so that their logit is finite.
ANCHOR_MARGIN = 0.02


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, ANCHOR_MARGIN, 1 - ANCHOR_MARGIN)
    return np.log(p / (1 - p))


@SEEDERS.register("tabled")
def seed_tabled(states: pd.DataFrame, agenda: AgendaArrays, scenario, base: Path | None = None) -> Seed:
    """Each group's members centred on what the group tabled, spread by their covariates (docs/model.md).

    p_ik = σ(logit(a_{g(i),k}) − γ·(x_i^f − x̄_g^f)), f the clause's family: the
    economic clauses (``seeder.economic_clauses``) use the index of
    ``seeder.economic_weights``, the others that of ``seeder.covariate_weights``;
    x̄_g^f is the mean index of the group's members. A state's position departs
    from its group's proposal only as far as its covariates depart from its
    group's; a group without an anchor on a clause, or a state in no group,
    takes σ(−γ·x_i^f). The economic clauses take their own slope where
    ``seeder.economic_slope`` is given, else γ. A clause named in
    ``seeder.clause_weights`` takes the index of its own weights instead of its
    family's (with its family's slope). Saliences and capabilities as in ``anchors``.
    """
    cfg, groups_cfg = scenario.seeder, scenario.groups
    group = primary_groups(states, groups_cfg.order)
    economic = set(cfg.economic_clauses)
    index = {
        "governance": covariate_index(states, cfg.covariate_weights, cfg.log_covariates),
        "economic": covariate_index(
            states, cfg.economic_weights or cfg.covariate_weights, cfg.log_covariates
        ),
    }
    own = {c: covariate_index(states, w, cfg.log_covariates) for c, w in cfg.clause_weights.items()}
    n, k = len(states), agenda.k
    position = np.empty((n, k))
    weight = np.ones((n, k))
    for j, clause in enumerate(agenda.ids):
        family = "economic" if clause in economic else "governance"
        x = own.get(clause, index[family])
        slope = (
            cfg.economic_slope
            if family == "economic" and cfg.economic_slope is not None
            else cfg.covariate_slope
        )
        position[:, j] = 1.0 / (1.0 + np.exp(slope * x))
        for g in np.unique(group):
            table = groups_cfg.anchors.get(g, {})
            if not table.get(clause):  # no anchor, or an empty one ([], a variant's)
                continue
            anchor, w = table[clause]
            rows = group == g
            centred = x[rows] - x[rows].mean()
            position[rows, j] = 1.0 / (1.0 + np.exp(-(_logit(np.float64(anchor)) - slope * centred)))
            weight[rows, j] = w
    return Seed(
        position=position,
        salience=agenda.salience[None, :] * weight,
        capability=capabilities(states, cfg.capability_exponent),
        group=group,
        index=index["governance"],
    )


@SEEDERS.register("expert")
def seed_expert(states: pd.DataFrame, agenda: AgendaArrays, scenario, base: Path | None = None) -> Seed:
    """Expert-coded positions and saliences from a CSV (the DEU practice).

    Columns: ``iso3, clause, position, salience``. States or clauses without a row
    fall back to the ``anchors`` seeder.
    """
    fallback = seed_anchors(states, agenda, scenario, base)
    path = expert_positions_file(scenario, base)
    table = read_expert_positions(path, scenario.source)
    position, salience = fallback.position.copy(), fallback.salience.copy()
    rows = {iso: i for i, iso in enumerate(states.index)}
    cols = {c: j for j, c in enumerate(agenda.ids)}
    for line, row in enumerate(table.itertuples(index=False), start=2):
        if row.iso3 in rows and row.clause in cols:
            if not (0 <= row.position <= 1 and row.salience >= 0):
                raise ScenarioError(
                    f"{path}: line {line}: position {row.position}, salience {row.salience}; expected [0, 1] and ≥ 0"
                )
            position[rows[row.iso3], cols[row.clause]] = row.position
            salience[rows[row.iso3], cols[row.clause]] = row.salience
    return Seed(position, salience, fallback.capability, fallback.group, fallback.index)
