"""The world of a run: everything a scenario and the data fix before any random draw.

:func:`build_world` turns a validated :class:`~wcitsim.io.scenario.Scenario` and the
:class:`~wcitsim.data.Dataset` into arrays shared by both engines: who is seated,
their groups, seeded positions and saliences, capabilities, the caucus-and-influence
step, stakeholders; with a scenario's ``[population]``, the delegations cloned from
the seated states (:mod:`wcitsim.data.synthetic`). Building it is linear in the
delegations: the dense N × N matrices (:attr:`World.transition`) are built only when
the numpy kernels first ask for them, the matrix-free step (:attr:`World.influence`)
when the compiled kernels do. The per-replication random streams (:class:`Streams`)
live in :mod:`wcitsim.core.streams`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.drafting import DraftContext
from wcitsim.core.influence import Influence, influence_of
from wcitsim.core.seeding import SEEDERS, Seed
from wcitsim.core.streams import Streams, replication_seeds, seed_batches
from wcitsim.data import Dataset
from wcitsim.data.checks import check_world, scenario_folder
from wcitsim.data.synthetic import clone_labels, synthetic_rows
from wcitsim.io.scenario import Scenario

__all__ = [
    "SigningParams",
    "Streams",
    "World",
    "build_world",
    "eligibility",
    "initial_state",
    "replication_seeds",
    "seed_batches",
]


@dataclass(frozen=True)
class SigningParams:
    """The signing rule's parameters, with the per-state reservation shift as an array."""

    conformity: float
    intercept: float
    temperature: float
    exponent: float
    shift: np.ndarray
    lost_vote: float = 0.0


@dataclass(frozen=True)
class Caucus:
    """A group or bloc that pulls its members toward its capability-weighted mean."""

    name: str
    cohesion: float
    members: np.ndarray  # indices
    weights: np.ndarray  # capability shares, summing to 1


@dataclass(frozen=True)
class World:
    """Arrays fixed by the scenario and the data (N seated delegations, K clauses)."""

    scenario: Scenario
    iso3: tuple[str, ...]
    names: tuple[str, ...]
    region: np.ndarray
    group: np.ndarray
    group_names: tuple[str, ...]
    membership: np.ndarray  # G × N, rows sum to 1 over members
    agenda: AgendaArrays
    position: np.ndarray  # N × K, before noise
    salience: np.ndarray  # N × K, before noise
    capability: np.ndarray  # N
    index: np.ndarray  # N, the covariate index
    override_position: np.ndarray  # N × K, NaN where not overridden
    override_salience: np.ndarray  # N × K, NaN where not overridden
    caucuses: tuple[Caucus, ...]
    stakeholder_position: np.ndarray  # H × K, NaN where a stakeholder does not lobby
    stakeholder_pull: np.ndarray  # H × N: strength × reach
    signing: SigningParams
    host: int | None
    record: pd.Series  # decision per seated state
    eligibility: np.ndarray | None = (
        None  # N: 1 if known to have been entitled to vote and sign, else its chance
    )

    @property
    def n(self) -> int:
        return len(self.iso3)

    @property
    def sessions(self) -> int:
        return self.scenario.run.sessions

    @functools.cached_property
    def allies(self) -> np.ndarray:
        """N × N influence weights (rows sum to 1, zero diagonal); built when first asked for (O(N²))."""
        return _allies(self.index, self.capability, self.scenario.protocol.influence_bandwidth)

    @functools.cached_property
    def interaction(self) -> np.ndarray:
        """N × N: Σ cohesion·caucus + influence·allies, rows scaled to sum at most 1 (O(N²))."""
        return _interaction(self.n, self.caucuses, self.allies, self.scenario.protocol.influence)

    @functools.cached_property
    def transition(self) -> np.ndarray:
        """T = I + M − diag(M 1): one session of caucus and influence is p ← T p (dense, O(N²))."""
        m = self.interaction
        return np.eye(self.n) + m - np.diag(m.sum(axis=1))

    @functools.cached_property
    def influence(self) -> Influence:
        """The same step without an N × N matrix (:mod:`wcitsim.core.influence`), O(N) per clause."""
        p = self.scenario.protocol
        return influence_of(self.index, self.capability, p.influence_bandwidth, p.influence, self.caucuses)

    @property
    def chair_weight(self) -> np.ndarray:
        """Whose voice the chair weighs: capability, or each state equally."""
        return self.capability if self.scenario.chair.weights == "capability" else np.ones(self.n)

    def signing_view(self, interest: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The positions a capital judges the text by: its interests, moved by ``persuasion`` toward the table."""
        w = self.scenario.signing.persuasion
        return interest if w == 0 else (1 - w) * interest + w * position

    def draft_context(self, host_position: np.ndarray | None, view: np.ndarray | None = None) -> DraftContext:
        """The drafting policy's context, given the host's current position and the capitals' view."""
        return DraftContext(
            agenda=self.agenda,
            host_position=host_position,
            host_bias=self.scenario.chair.host_bias,
            signing=self.signing,
            view=view,
            membership=self.membership,
        )


def _caucuses(scenario, states, group, capability) -> tuple[Caucus, ...]:
    cohesion = scenario.groups.cohesion
    default = cohesion.get("default", 0.0)
    out = []
    for name in sorted(set(group)):
        members = np.flatnonzero(group == name)
        out.append(
            Caucus(
                name, cohesion.get(name, default), members, capability[members] / capability[members].sum()
            )
        )
    for bloc in scenario.groups.blocs:  # columns of states.csv (checked by check_world)
        members = np.flatnonzero((states[bloc] == 1).to_numpy())
        if len(members):
            out.append(
                Caucus(
                    bloc,
                    cohesion.get(bloc, default),
                    members,
                    capability[members] / capability[members].sum(),
                )
            )
    return tuple(c for c in out if c.cohesion > 0)


def _allies(index: np.ndarray, capability: np.ndarray, bandwidth: float) -> np.ndarray:
    """Influence weights: w_ij ∝ c_j · exp(−|x_i − x_j| / h), j ≠ i, rows summing to 1."""
    w = capability[None, :] * np.exp(-np.abs(index[:, None] - index[None, :]) / bandwidth)
    np.fill_diagonal(w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0)


def _interaction(n: int, caucuses, allies: np.ndarray, influence: float) -> np.ndarray:
    m = influence * allies
    for caucus in caucuses:
        m[np.ix_(caucus.members, caucus.members)] += caucus.cohesion * caucus.weights[None, :]
    total = m.sum(axis=1, keepdims=True)
    return np.where(total > 1.0, m / np.maximum(total, 1e-300), m)  # never pull past the targets


def _overrides(scenario, iso3, agenda, field: str) -> np.ndarray:
    out = np.full((len(iso3), agenda.k), np.nan)
    rows = {iso: i for i, iso in enumerate(iso3)}
    for iso, override in scenario.overrides.items():  # seated states (checked by check_world)
        for clause, value in getattr(override, field).items():
            if clause in agenda.ids:
                out[rows[iso], agenda.ids.index(clause)] = value
    return out


def _stakeholders(scenario, states, agenda, n):
    positions, pulls = [], []
    for st in scenario.stakeholders:
        pos = np.full(agenda.k, np.nan)
        for clause, value in st.position.items():
            if clause in agenda.ids:
                pos[agenda.ids.index(clause)] = value
        if st.reach == "uniform":
            reach = np.ones(n)
        else:  # a numeric column of states.csv (checked by check_world)
            values = states[st.reach].to_numpy(dtype=float)
            lo, hi = np.nanmin(values), np.nanmax(values)
            reach = np.nan_to_num((values - lo) / (hi - lo) if hi > lo else np.ones(n), nan=0.0)
        positions.append(pos)
        pulls.append(st.strength * reach)
    return np.array(positions).reshape(-1, agenda.k), np.array(pulls).reshape(-1, n)


def _seated(scenario: Scenario, states: pd.DataFrame) -> pd.DataFrame:
    """The seated states' rows, after :func:`~wcitsim.data.checks.check_world` checked the scenario against the data."""
    numeric = [c for c in states.columns if pd.api.types.is_numeric_dtype(states[c])]
    return states.loc[check_world(scenario, list(states.index), set(states.columns), numeric)]


def build_world(scenario: Scenario, data: Dataset) -> World:
    """Seat the delegations and seed them from the data, as the scenario says (a ``[population]`` cloned)."""
    seated = _seated(scenario, data.states)
    agenda = AgendaArrays.from_clauses(scenario.agenda.active)
    base = scenario_folder(scenario)
    seed = SEEDERS[scenario.seeder.name](seated, agenda, scenario, base)
    origin = tuple(seated.index)
    shift = np.zeros(len(origin))
    for iso, value in scenario.signing.reservation_shift.items():  # seated states (checked by check_world)
        shift[origin.index(iso)] = value
    st_pos, st_pull = _stakeholders(scenario, seated, agenda, len(origin))
    weight = eligibility(data.record["decision"].reindex(list(origin)), data.facts.eligible)
    overrides = [_overrides(scenario, origin, agenda, f) for f in ("position", "salience")]
    iso3, names = origin, tuple(seated["name"])
    region, blocs = seated["itu_region"].to_numpy(dtype=object), seated
    if scenario.population.size is not None:  # clones carry their state's seed, shift, weight, overrides
        rng = np.random.default_rng(scenario.population.seed)
        rows = synthetic_rows(len(seated), scenario.population.size, rng)
        iso3, names = clone_labels(iso3, rows), clone_labels(names, rows, "{label} ({copy})")
        region, blocs = region[rows], seated[[b for b in scenario.groups.blocs if b in seated]].iloc[rows]
        seed = Seed(
            **{f: getattr(seed, f)[rows] for f in ("position", "salience", "capability", "group", "index")}
        )
        shift, weight, st_pull = shift[rows], weight[rows], st_pull[:, rows]
        overrides = [o[rows] for o in overrides]
    group_names = sorted(set(seed.group))
    membership = np.array([(seed.group == g) / (seed.group == g).sum() for g in group_names])
    s = scenario.signing
    return World(
        scenario=scenario,
        iso3=iso3,
        names=names,
        region=region,
        group=seed.group,
        group_names=tuple(group_names),
        membership=membership,
        agenda=agenda,
        position=seed.position,
        salience=seed.salience,
        capability=seed.capability,
        index=seed.index,
        override_position=overrides[0],
        override_salience=overrides[1],
        caucuses=_caucuses(scenario, blocs, seed.group, seed.capability),
        stakeholder_position=st_pos,
        stakeholder_pull=st_pull,
        signing=SigningParams(s.conformity, s.intercept, s.temperature, s.exponent, shift, s.lost_vote),
        host=iso3.index(scenario.chair.host) if scenario.chair.host in iso3 else None,
        record=data.record["decision"].reindex(list(iso3)),  # a clone has no record
        eligibility=weight,
    )


def eligibility(record: pd.Series, eligible: int) -> np.ndarray:
    """Each seated state's weight as one of the ``eligible`` delegations present and accredited.

    Every state whose decision is known was one of them (1); which of the others
    were is not documented, so each counts its chance, (eligible − known) / unknown.
    """
    known = record.isin(["signed", "not_signed"]).to_numpy()
    unknown = int((~known).sum())
    share = (eligible - int(known.sum())) / unknown if unknown else 0.0
    return np.where(known, 1.0, min(max(share, 0.0), 1.0))


def initial_state(
    world: World, position_noise: np.ndarray, salience_noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and saliences after a replication's noise (standard normal, (..., N, K)) and the overrides."""
    cfg = world.scenario.seeder
    position = np.clip(world.position + cfg.position_noise * position_noise, 0.0, 1.0)
    salience = world.salience * np.exp(cfg.salience_noise * salience_noise - 0.5 * cfg.salience_noise**2)
    position = np.where(np.isnan(world.override_position), position, world.override_position)
    salience = np.where(np.isnan(world.override_salience), salience, world.override_salience)
    return position, salience
