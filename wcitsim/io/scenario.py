"""Scenario files: TOML validated into frozen dataclasses.

A scenario names everything a run needs: the agenda (clauses with ordered options on [0, 1], the 1988
status quo and the Final Acts option), who sits at the table, the seeder and its global coefficients,
the regional groups and their anchors, the chair's drafting policy, the protocol, the voting and
signing rules, replications and seed. A variant starts with ``extends = "base.toml"`` and changes a
few keys: tables merge key by key, lists replace.

Every mistake stops with :class:`~wcitsim.errors.ScenarioError`, one line naming
the file, the key path, the bad value and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from wcitsim.errors import ScenarioError
from wcitsim.io.schema import FOLDER_NAME, IDENTIFIER, Population, build, fail, read_extending, spec
from wcitsim.registry import CHAIR_POLICIES, PROTOCOLS, SEEDERS

__all__ = [
    "Agenda",
    "Chair",
    "Clause",
    "Groups",
    "Meta",
    "Override",
    "Protocol",
    "Run",
    "Scenario",
    "Seating",
    "Seeder",
    "Signing",
    "Stakeholder",
    "Voting",
    "load_scenario",
    "scenario_from_dict",
    "scenario_path",
    "shipped_scenarios",
]

ENGINES = ("vectorized", "reference")
#: The regional telecommunication organisations, the caucus groups of ``groups.order`` (docs/model.md).
REGIONAL_ORGANISATIONS = ("RCC", "ASMG", "CEPT", "ATU", "APT", "CITEL")


@dataclass(frozen=True, kw_only=True)
class Meta:
    name: str = spec(pattern=FOLDER_NAME, doc="short identifier, used for the results folder")
    title: str = spec("", doc="one line for people")
    description: str = spec("", doc="what the scenario asks")


@dataclass(frozen=True, kw_only=True)
class Run:
    replications: int = spec(100, lo=1, hi=10_000_000, doc="replications per run")
    seed: int = spec(0, lo=0, hi=2**63 - 1, doc="root seed of all random draws")
    sessions: int = spec(12, lo=1, hi=1000, doc="negotiating sessions before the deadline")
    engine: str = spec("vectorized", choices=ENGINES, doc="vectorized (fast) or reference (per-agent Mesa)")


@dataclass(frozen=True, kw_only=True)
class Seating:
    mode: str = spec("all", choices=("all", "list"), doc="seat every Member State, or only `include`")
    include: tuple[str, ...] = spec(factory=tuple, unique=True, doc="ISO3 codes seated when mode = 'list'")
    exclude: tuple[str, ...] = spec(factory=tuple, unique=True, doc="ISO3 codes never seated")


@dataclass(frozen=True, kw_only=True)
class Clause:
    id: str = spec(pattern=IDENTIFIER, doc="identifier (an HTML attribute and a column name)")
    label: str = spec("", doc="what the clause is about")
    options: tuple[str, ...] = spec(doc="text options, from the narrowest reach to the widest")
    values: tuple[float, ...] = spec(lo=0.0, hi=1.0, doc="each option's place on [0, 1], increasing")
    status_quo: float = spec(lo=0.0, hi=1.0, doc="the 1988 ITRs' option (a value in `values`)")
    final_acts: float | None = spec(None, lo=0.0, hi=1.0, doc="the option of the Final Acts, if known")
    salience: float = spec(1.0, lo=0.0, hi=100.0, doc="base salience of the clause")


@dataclass(frozen=True, kw_only=True)
class Agenda:
    clauses: tuple[Clause, ...] = spec(doc="the contested clauses")
    drop: tuple[str, ...] = spec(factory=tuple, unique=True, doc="clause ids taken off the table")

    @property
    def active(self) -> tuple[Clause, ...]:
        """The clauses on the table: all but the dropped ones."""
        return tuple(c for c in self.clauses if c.id not in self.drop)


@dataclass(frozen=True, kw_only=True)
class Groups:
    order: tuple[str, ...] = spec(
        REGIONAL_ORGANISATIONS,
        choices=REGIONAL_ORGANISATIONS,
        unique=True,
        doc="regional telecom organisations, in the order that decides a state's primary group",
    )
    cohesion: dict[str, float] = spec(factory=dict, lo=0.0, hi=1.0, doc="caucus pull per group or bloc")
    blocs: tuple[str, ...] = spec(factory=tuple, unique=True, doc="blocs that caucus too (e.g. 'eu')")
    anchors: dict[str, dict[str, tuple[float, ...]]] = spec(
        factory=dict, doc="per group, per clause: [position, salience weight] from its proposals ([]: none)"
    )


@dataclass(frozen=True, kw_only=True)
class Seeder:
    name: str = spec("anchors", doc="registered seeder")
    anchor_weight: float = spec(0.6, lo=0.0, hi=1.0, doc="λ: weight of the group anchor against covariates")
    covariate_slope: float = spec(1.5, lo=0.0, hi=20.0, doc="γ: steepness of the covariate term")
    covariate_weights: dict[str, float] = spec(factory=dict, lo=-10.0, hi=10.0, doc="weights of z-scores")
    log_covariates: tuple[str, ...] = spec(factory=tuple, unique=True, doc="covariates taken as logarithms")
    position_noise: float = spec(0.05, lo=0.0, hi=1.0, doc="sd of the per-state, per-clause position noise")
    salience_noise: float = spec(0.1, lo=0.0, hi=2.0, doc="sd of the log-normal salience noise")
    capability_exponent: float = spec(0.5, lo=0.0, hi=2.0, doc="capability ∝ (GDP / median GDP)^θ")
    positions_file: str = spec("", doc="CSV of expert-coded positions (seeder 'expert')")
    economic_clauses: tuple[str, ...] = spec(factory=tuple, doc="clauses on the economic index ('tabled')")
    economic_weights: dict[str, float] = spec(factory=dict, lo=-10.0, hi=10.0, doc="its z-score weights")
    fit_economic_weights: bool = spec(False, doc="calibrate economic_weights (but the UNGA ideal point's)")
    economic_slope: float | None = spec(None, lo=0.0, hi=20.0, doc="its own γ, fitted where given ('tabled')")
    clause_weights: dict[str, dict[str, float]] = spec(
        factory=dict, lo=-10.0, hi=10.0, doc="per clause, the z-score weights of its own index ('tabled')"
    )


@dataclass(frozen=True, kw_only=True)
class Chair:
    policy: str = spec("compromise", doc="drafting policy: compromise, median, majority or final_acts")
    host: str = spec("ARE", doc="ISO3 code of the host (the chair's camp)")
    host_bias: float = spec(0.0, lo=0.0, hi=1.0, doc="pull of the draft toward the host's positions")
    temperature_clause: str = spec("", doc="the clause of the chair's show of hands ('' for none)")
    temperature_session: int = spec(
        0,
        lo=0,
        hi=100,
        doc="the session that ends with the show of hands (0: none); a majority declares it adopted",
    )
    consensus_draft: bool = spec(False, doc="the final draft keeps at 1988 a clause without consensus")
    weights: str = spec(
        "capability",
        choices=("capability", "state"),
        doc="whose voice counts in the draft: capability × salience, or each state equally (× salience)",
    )


@dataclass(frozen=True, kw_only=True)
class Protocol:
    name: str = spec("single_text", doc="registered protocol")
    influence: float = spec(0.1, lo=0.0, hi=1.0, doc="pull of allies across groups per session")
    influence_bandwidth: float = spec(0.5, lo=0.01, hi=10.0, doc="UNGA ideal-point distance of an ally")
    concession: float = spec(0.3, lo=0.0, hi=1.0, doc="concession toward the draft at the deadline")
    deadline_exponent: float = spec(2.0, lo=0.0, hi=10.0, doc="how sharply concessions rise near the end")
    session_noise: float = spec(0.01, lo=0.0, hi=1.0, doc="sd of per-session position shocks")
    alignment: float = spec(
        0.0,
        lo=0.0,
        hi=1.0,
        doc="pull toward the mean of one's camp on the draft (for or against) per session",
    )
    params: dict[str, bool | int | float | str] = spec(
        factory=dict, doc="the protocol's parameters, checked against its own (docs/protocols.md)"
    )


@dataclass(frozen=True, kw_only=True)
class Voting:
    rule: str = spec("majority", choices=("majority", "supermajority", "consensus"), doc="deadline rule")
    objection_threshold: float = spec(
        0.05, lo=0.0, hi=10.0, doc="utility loss on a clause that is an objection"
    )
    fit_objection_threshold: bool = spec(False, doc="calibrate objection_threshold (0 to 0.2)")
    consensus_share: float = spec(0.9, lo=0.0, hi=1.0, doc="share without objection that is consensus")
    abstain_band: float = spec(0.05, lo=0.0, hi=1.0, doc="indifference that leads to abstaining")
    supermajority: float = spec(2 / 3, lo=0.5, hi=1.0, doc="share of yes votes needed under 'supermajority'")
    motions: bool = spec(False, doc="a delegation may move an option the final draft left out to a vote")
    motion_stake: float = spec(
        0.05, lo=0.0, hi=1.0, doc="the stake (salience × utility gain) a delegation needs to move a motion"
    )
    eligible_only: bool = spec(
        False, doc="only delegations entitled to vote count in a tally (known states 1, unknown their chance)"
    )


@dataclass(frozen=True, kw_only=True)
class Signing:
    conformity: float = spec(1.0, lo=0.0, hi=20.0, doc="κ: weight of the group's signing share")
    intercept: float = spec(0.0, lo=-10.0, hi=10.0, doc="value of signing at equal utility")
    temperature: float = spec(0.1, lo=1e-4, hi=10.0, doc="scale of the logistic noise")
    exponent: float = spec(1.0, lo=0.5, hi=3.0, doc="a in U = -Σ s |t - p|^a")
    persuasion: float = spec(
        0.0,
        lo=0.0,
        hi=1.0,
        doc="weight of the negotiated position, against the seeded interests, when signing",
    )
    lost_vote: float = spec(
        0.0, lo=0.0, hi=5.0, doc="cost to a capital of signing a text it voted against and lost (× salience)"
    )
    reservation_shift: dict[str, float] = spec(
        factory=dict, lo=-10.0, hi=10.0, doc="documented domestic constraints raising a state's reservation"
    )


@dataclass(frozen=True, kw_only=True)
class Override:
    position: dict[str, float] = spec(factory=dict, lo=0.0, hi=1.0, doc="clause -> position")
    salience: dict[str, float] = spec(factory=dict, lo=0.0, hi=100.0, doc="clause -> salience")


@dataclass(frozen=True, kw_only=True)
class Stakeholder:
    name: str = spec(doc="e.g. industry, civil_society, technical_community")
    position: dict[str, float] = spec(factory=dict, lo=0.0, hi=1.0, doc="clause -> position lobbied for")
    strength: float = spec(0.0, lo=0.0, hi=1.0, doc="pull on the delegations it reaches, per session")
    reach: str = spec("uniform", doc="'uniform' or a states.csv column scaled to [0, 1]")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    meta: Meta
    agenda: Agenda
    run: Run = field(default_factory=Run)
    seating: Seating = field(default_factory=Seating)
    groups: Groups = field(default_factory=Groups)
    seeder: Seeder = field(default_factory=Seeder)
    chair: Chair = field(default_factory=Chair)
    protocol: Protocol = field(default_factory=Protocol)
    voting: Voting = field(default_factory=Voting)
    signing: Signing = field(default_factory=Signing)
    overrides: dict[str, Override] = field(default_factory=dict)
    stakeholders: tuple[Stakeholder, ...] = field(default_factory=tuple)
    population: Population = field(default_factory=Population)
    source: str = field(default="<dict>", compare=False)
    digest: str = field(default="", compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with dotted keys changed, validated again (``{'run.seed': 3}``)."""
        raw = copy.deepcopy(self.raw)
        for dotted, value in changes.items():
            node = raw
            *parents, last = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
        return scenario_from_dict(raw, self.source)


_TOP = {
    "meta": Meta,
    "agenda": Agenda,
    "run": Run,
    "seating": Seating,
    "groups": Groups,
    "seeder": Seeder,
    "chair": Chair,
    "protocol": Protocol,
    "voting": Voting,
    "signing": Signing,
    "population": Population,
}


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a parsed scenario (after ``extends`` merging) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        fail(source, "", f"{data!r}; expected a table")
    known = set(_TOP) | {"overrides", "stakeholders"}
    for key in data:
        if key not in known:
            fail(source, key, f"unknown key; expected one of {', '.join(sorted(known))}")
    for key in ("meta", "agenda"):
        if key not in data:
            fail(source, key, "missing; expected a table")
    parts = {key: build(cls, data[key], source, key) for key, cls in _TOP.items() if key in data}
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        fail(source, "overrides", f"{overrides!r}; expected a table of ISO3 codes")
    parts["overrides"] = {iso: build(Override, v, source, f"overrides.{iso}") for iso, v in overrides.items()}
    stakeholders = data.get("stakeholders", [])
    if not isinstance(stakeholders, list):
        fail(source, "stakeholders", f"{stakeholders!r}; expected a list of tables")
    parts["stakeholders"] = tuple(
        build(Stakeholder, s, source, f"stakeholders[{i}]") for i, s in enumerate(stakeholders)
    )
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    scenario = Scenario(**parts, source=source, digest=digest[:16], raw=copy.deepcopy(data))
    _check(scenario)
    return scenario


def _check(s: Scenario) -> None:
    """Cross-field checks the types cannot express."""
    src = s.source
    ids = [c.id for c in s.agenda.clauses]
    first: dict[str, int] = {}
    for i, clause in enumerate(s.agenda.clauses):
        path = f"agenda.clauses[{i}]"
        if first.setdefault(clause.id, i) != i:
            fail(src, f"{path}.id", f"{clause.id!r} appears twice; expected unique clause ids")
        if len(clause.options) < 2:
            fail(src, f"{path}.options", f"{len(clause.options)} option(s); expected at least 2")
        if len(clause.values) != len(clause.options):
            fail(
                src,
                f"{path}.values",
                f"{len(clause.values)} values; expected one per option ({len(clause.options)})",
            )
        if any(b <= a for a, b in zip(clause.values, clause.values[1:], strict=False)):
            fail(src, f"{path}.values", f"{list(clause.values)}; expected strictly increasing values")
        if clause.status_quo not in clause.values:
            fail(
                src,
                f"{path}.status_quo",
                f"{clause.status_quo!r} is not an option; expected one of {list(clause.values)}",
            )
        if clause.final_acts is not None and clause.final_acts not in clause.values:
            fail(
                src,
                f"{path}.final_acts",
                f"{clause.final_acts!r} is not an option; expected one of {list(clause.values)}",
            )
    for j, dropped in enumerate(s.agenda.drop):
        if dropped not in ids:
            fail(src, f"agenda.drop[{j}]", f"{dropped!r} is not a clause; expected one of {', '.join(ids)}")
    if not s.agenda.active:
        fail(src, "agenda", "no clause left on the table; expected at least one")
    caucuses = ("default", *REGIONAL_ORGANISATIONS, *s.groups.blocs)
    for key, known in (("anchors", REGIONAL_ORGANISATIONS), ("cohesion", caucuses)):
        for name in getattr(s.groups, key):
            if name not in known:
                fail(src, f"groups.{key}.{name}", f"not a group; expected one of {', '.join(known)}")
    for group, table in s.groups.anchors.items():
        for clause, pair in table.items():
            path = f"groups.anchors.{group}.{clause}"
            if clause not in ids:
                fail(src, path, f"{clause!r} is not a clause; expected one of {', '.join(ids)}")
            if len(pair) and (len(pair) != 2 or not 0 <= pair[0] <= 1 or pair[1] < 0):
                fail(src, path, f"{list(pair)}; expected [] or [position in [0, 1], salience weight ≥ 0]")
    for iso, override in s.overrides.items():
        for clause in (*override.position, *override.salience):
            if clause not in ids:
                fail(src, f"overrides.{iso}", f"{clause!r} is not a clause; expected one of {', '.join(ids)}")
    for i, st in enumerate(s.stakeholders):
        for clause in st.position:
            if clause not in ids:
                fail(
                    src,
                    f"stakeholders[{i}].position",
                    f"{clause!r} is not a clause; expected one of {', '.join(ids)}",
                )
    if s.seating.mode == "list" and not s.seating.include:
        fail(src, "seating.include", "empty with mode = 'list'; expected the ISO3 codes to seat")
    _check_names(s)


def _check_names(s: Scenario) -> None:
    """Component names against the registries (filled when :mod:`wcitsim.core` is imported, as the package does)."""
    for path, name, registry in (
        ("protocol.name", s.protocol.name, PROTOCOLS),
        ("chair.policy", s.chair.policy, CHAIR_POLICIES),
        ("seeder.name", s.seeder.name, SEEDERS),
    ):
        if name not in registry:
            fail(s.source, path, f"{name!r} is not known; expected one of {', '.join(sorted(registry))}")
    if s.protocol.params:  # none set is valid for every protocol (tests/test_startup.py): no class to load
        parameters = PROTOCOLS[s.protocol.name].parameters  # the protocol's own spec of protocol.params
        if not fields(parameters):
            key = next(iter(s.protocol.params))
            fail(s.source, f"protocol.params.{key}", f"unknown key; {s.protocol.name} takes no parameters")
        build(parameters, s.protocol.params, s.source, "protocol.params")


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file (or a shipped scenario by name, e.g. ``wcit2012``)."""
    path = scenario_path(path)
    data = read_extending(path, ScenarioError, "a scenario TOML file")
    return scenario_from_dict(data, str(path))


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the package, by name (the file's stem): the baseline and its counterfactuals."""
    folder = Path(str(resources.files("wcitsim") / "scenarios"))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def scenario_path(given: str | Path) -> Path:
    """A scenario file as given, or a shipped scenario named by its stem (``wcit2012``) when no such file exists."""
    path = Path(given)
    if path.suffix or os.path.exists(path):  # False, not an error, for a name too long to exist
        return path
    return shipped_scenarios().get(str(given), path)
