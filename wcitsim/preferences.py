"""Preferences: utility, seeders (data -> positions, saliences, capabilities) and the chair's drafting policies.

Pure functions over arrays. Arrays of delegations are shaped ``(..., N, K)``: any
leading axes (replications) broadcast, N delegations, K clauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.clauses import AgendaArrays
from wcitsim.errors import ScenarioError
from wcitsim.registry import Registry

__all__ = [
    "CHAIR_POLICIES",
    "GROUP_COLUMNS",
    "REGION_GROUPS",
    "SEEDERS",
    "DraftContext",
    "Seed",
    "covariate_index",
    "normalized",
    "primary_groups",
    "sign_probability",
    "utility",
    "utility_gain",
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


def utility(
    text: np.ndarray, position: np.ndarray, salience: np.ndarray, exponent: float = 1.0
) -> np.ndarray:
    """U_i(t) = −Σ_k s_ik · |t_k − p_ik|^a, summed over the last axis."""
    return -(salience * np.abs(text - position) ** exponent).sum(axis=-1)


def normalized(salience: np.ndarray) -> np.ndarray:
    """Saliences scaled to sum to one over clauses (a delegation with none gets equal weights)."""
    total = salience.sum(axis=-1, keepdims=True)
    k = salience.shape[-1]
    return np.divide(salience, total, out=np.full_like(salience, 1.0 / k), where=total > 0)


def utility_gain(text, status_quo, position, salience_norm, exponent: float = 1.0) -> np.ndarray:
    """U_i(text) − U_i(1988 text) with normalised saliences: in [−1, 1]."""
    return utility(text, position, salience_norm, exponent) - utility(
        status_quo, position, salience_norm, exponent
    )


def sign_probability(gain, group_share, conformity, intercept, shift, temperature) -> np.ndarray:
    """P(sign) = logistic((ΔU + κ·(share of the group signing − ½) + intercept − shift) / τ)."""
    z = (gain + conformity * (group_share - 0.5) + intercept - shift) / temperature
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, stable for large |z|


# --------------------------------------------------------------------------- seeding


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


SEEDERS: Registry[Callable[..., Seed]] = Registry("seeder")


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
            if clause in table:
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


@SEEDERS.register("expert")
def seed_expert(states: pd.DataFrame, agenda: AgendaArrays, scenario, base: Path | None = None) -> Seed:
    """Expert-coded positions and saliences from a CSV (the DEU practice).

    Columns: ``iso3, clause, position, salience``. States or clauses without a row
    fall back to the ``anchors`` seeder.
    """
    fallback = seed_anchors(states, agenda, scenario, base)
    path = Path(scenario.seeder.positions_file)
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as err:
        raise ScenarioError(f"{scenario.source}: seeder.positions_file: cannot read {path} ({err})") from None
    missing = {"iso3", "clause", "position", "salience"} - set(table.columns)
    if missing:
        raise ScenarioError(
            f"{path}: missing column(s) {sorted(missing)}; expected iso3, clause, position, salience"
        )
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


# ------------------------------------------------------------------ chair's policies


@dataclass(frozen=True)
class DraftContext:
    """What a drafting policy may use besides positions, saliences and capabilities."""

    agenda: AgendaArrays
    host_position: np.ndarray | None  # (..., K) or None
    host_bias: float
    exponent: float
    intercept: float
    temperature: float
    shift: np.ndarray  # N
    view: np.ndarray | None = None  # (..., N, K): the positions capitals judge by, if the chair consults them
    membership: np.ndarray | None = None  # G × N, for group conformity in the majority policy
    conformity: float = 0.0


CHAIR_POLICIES: Registry[Callable[..., np.ndarray]] = Registry("chair policy")


def _toward_host(target: np.ndarray, ctx: DraftContext) -> np.ndarray:
    if ctx.host_position is None or ctx.host_bias == 0:
        return target
    return (1 - ctx.host_bias) * target + ctx.host_bias * ctx.host_position


@CHAIR_POLICIES.register("compromise")
def draft_compromise(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Capability × salience weighted mean, snapped to the nearest option (Thomson et al. 2006)."""
    w = capability[:, None] * salience
    target = (w * position).sum(axis=-2) / w.sum(axis=-2)
    return ctx.agenda.snap(_toward_host(target, ctx))


@CHAIR_POLICIES.register("median")
def draft_median(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Capability × salience weighted median per clause (Black's median voter), snapped to an option.

    Without a host bias the snapped median is found without sorting: it is the
    first option o_j whose upper midpoint m_j has at least half the weight at or
    below it (the median p* ≤ m_j exactly then), and the last option otherwise.
    """
    w = np.broadcast_to(capability[:, None] * salience, position.shape)
    agenda = ctx.agenda
    if ctx.host_position is not None and ctx.host_bias > 0:
        return agenda.snap(_toward_host(_weighted_median(position, w), ctx))
    mids = 0.5 * (agenda.options[:, :-1] + agenda.options[:, 1:])  # K × (O−1), NaN past a clause's options
    half = 0.5 * w.sum(axis=-2)
    index = np.broadcast_to(np.isfinite(agenda.options).sum(axis=1) - 1, half.shape)
    for j in reversed(range(mids.shape[1])):  # the lowest crossing midpoint wins
        below = np.einsum("...nk,...nk->...k", w, position <= mids[:, j])
        index = np.where(below >= half, j, index)
    return np.take_along_axis(agenda.options, index.reshape(-1, agenda.k).T, axis=1).T.reshape(index.shape)


def _weighted_median(position: np.ndarray, w: np.ndarray) -> np.ndarray:
    order = np.argsort(position, axis=-2, kind="stable")
    p = np.take_along_axis(position, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-2), axis=-2)
    first = np.argmax(cum >= 0.5 * cum[..., -1:, :], axis=-2)
    return np.take_along_axis(p, first[..., None, :], axis=-2)[..., 0, :]


@CHAIR_POLICIES.register("majority")
def draft_majority(position, salience, capability, ctx: DraftContext) -> np.ndarray:
    """Per clause, the option that maximises the expected number of signatories.

    Starts from the compromise draft and improves it one clause at a time, each
    state counting once (one state, one vote), with the signing rule's group
    conformity. The chair consults capitals: it judges by ``ctx.view`` when
    given. Ties keep the option nearest to the compromise.
    """
    agenda = ctx.agenda
    draft = draft_compromise(position, salience, capability, ctx)
    sal = normalized(salience)
    judged = position if ctx.view is None else ctx.view

    def expected_signatories(text):
        gain = utility_gain(text[..., None, :], agenda.status_quo, judged, sal, ctx.exponent)
        prob = sign_probability(gain, 0.5, 0.0, ctx.intercept, ctx.shift, ctx.temperature)
        if ctx.membership is not None and ctx.conformity > 0:
            for _ in range(2):
                share = (prob @ ctx.membership.T) @ (ctx.membership > 0)
                prob = sign_probability(
                    gain, share, ctx.conformity, ctx.intercept, ctx.shift, ctx.temperature
                )
        return prob.sum(axis=-1)

    for k in range(agenda.k):
        best_value, best_score = draft[..., k].copy(), expected_signatories(draft)
        for value in agenda.options[k][np.isfinite(agenda.options[k])]:
            trial = draft.copy()
            trial[..., k] = value
            score = expected_signatories(trial)
            better = score > best_score + 1e-9
            best_value = np.where(better, value, best_value)
            best_score = np.where(better, score, best_score)
        draft[..., k] = best_value
    return draft
