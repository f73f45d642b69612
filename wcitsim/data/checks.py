"""A scenario against the data: every name it takes from the data must be there, and someone must be seated.

:func:`check_world` is the one list of these checks, in plain Python: the
covariates and the stakeholders' reach are numeric columns of ``states.csv``, the
blocs its columns, the host, the seated, the excluded and the overridden states
Member States, the economic and the temperature clauses on the table, the expert
positions file readable. :func:`wcitsim.core.world.build_world` runs it before it
builds anything, and ``wcitsim check`` runs it on the data files read by
:func:`wcitsim.data.tables.load_tables`, without pandas or numpy: the two refuse
the same scenarios with the same one-line :class:`~wcitsim.errors.ScenarioError`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from wcitsim.data.schema import SCALE_COVARIATE, STATES_COLUMNS, TIES_COLUMNS
from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import Scenario

__all__ = [
    "check_world",
    "delegation_count",
    "expert_positions_file",
    "scenario_folder",
    "seated_codes",
]


#: Each numeric column's lowest allowed value, and those that are positive everywhere (a log covariate's).
_LOWEST = {c.name: c.lo for c in (*STATES_COLUMNS, *TIES_COLUMNS) if c.kind in ("number", "binary")}
_LOWEST.update({c.name: 0.0 for c in (*STATES_COLUMNS, *TIES_COLUMNS) if c.kind == "binary"})
_POSITIVE = frozenset(name for name, lo in _LOWEST.items() if lo > 0)


def _check_columns(scenario: Scenario, numeric: Sequence[str], codes: Collection[str]) -> None:
    """Covariates named by the seeder must be numeric columns of states.csv; the host a Member State."""
    src = scenario.source
    for key, names in (
        ("seeder.covariate_weights", list(scenario.seeder.covariate_weights)),
        ("seeder.economic_weights", list(scenario.seeder.economic_weights)),
        ("seeder.log_covariates", list(scenario.seeder.log_covariates)),
        *((f"seeder.clause_weights.{c}", list(w)) for c, w in scenario.seeder.clause_weights.items()),
    ):
        for name in names:
            if name not in numeric:
                where = f"{key}.{name}:" if name.strip() else f"{key}: {name!r} is"
                raise ScenarioError(
                    f"{src}: {where} not a numeric column of states.csv; expected one of {', '.join(numeric)}"
                )
    for name in scenario.seeder.log_covariates:
        lo = _LOWEST.get(name, float("-inf"))
        if lo <= 0:
            raise ScenarioError(
                f"{src}: seeder.log_covariates: {name!r} may be {lo:g} (its lowest allowed value) and has no logarithm "
                f"there; expected covariates whose values are all positive ({', '.join(sorted(_POSITIVE & set(numeric)))})"
            )
    if scenario.seeder.fit_economic_weights and not set(scenario.seeder.economic_weights) - {SCALE_COVARIATE}:
        raise ScenarioError(
            f"{src}: seeder.fit_economic_weights: true, but seeder.economic_weights has no weight to fit "
            "(the UNGA ideal point's stays 1: it sets the scale); expected weights of other covariates, or false"
        )
    if scenario.seeder.economic_slope is not None and not (
        scenario.seeder.name == "tabled" and scenario.seeder.economic_clauses
    ):
        raise ScenarioError(
            f"{src}: seeder.economic_slope: {scenario.seeder.economic_slope:g}, but only the 'tabled' seeder's "
            "economic clauses take it; expected seeder.name = 'tabled' with seeder.economic_clauses, or no economic_slope"
        )
    if scenario.seeder.clause_weights and scenario.seeder.name != "tabled":
        raise ScenarioError(
            f"{src}: seeder.clause_weights: given, but seeder.name is {scenario.seeder.name!r} and only the "
            "'tabled' seeder gives a clause its own index; expected seeder.name = 'tabled', or no clause_weights"
        )
    clauses = {c.id for c in scenario.agenda.active}
    # a clause a variant drops may stay named by its base file: off the table, it is a no-op
    dropped = {c.id for c in scenario.agenda.clauses} - clauses
    for key, named in (
        ("seeder.economic_clauses", scenario.seeder.economic_clauses),
        ("seeder.clause_weights", tuple(scenario.seeder.clause_weights)),
    ):
        for clause in named:
            if clause not in clauses | dropped:
                raise ScenarioError(
                    f"{src}: {key}: {clause!r} is not a clause on the table; expected one of "
                    f"{', '.join(sorted(clauses))}"
                )
    for clause, weights in scenario.seeder.clause_weights.items():
        if not any(weights.values()):
            raise ScenarioError(
                f"{src}: seeder.clause_weights.{clause}: no weight other than 0; expected at least one "
                "covariate with a nonzero weight"
            )
    clause = scenario.chair.temperature_clause
    if clause and clause not in clauses:
        raise ScenarioError(
            f"{src}: chair.temperature_clause: {clause!r} is not a clause on the table; expected one of "
            f"{', '.join(sorted(clauses))} or ''"
        )
    if scenario.chair.host not in codes:
        raise ScenarioError(
            f"{src}: chair.host: {scenario.chair.host!r} is not an ITU Member State; expected an ISO3 code"
        )


def seated_codes(scenario: Scenario, codes: Sequence[str]) -> list[str]:
    """The Member States seated (of ``codes``, in their order), after checking the seating's codes."""
    src = scenario.source
    members = set(codes)
    for key, listed in (
        ("seating.include", scenario.seating.include),
        ("seating.exclude", scenario.seating.exclude),
    ):
        for i, iso in enumerate(listed):
            if iso not in members:
                raise ScenarioError(
                    f"{src}: {key}[{i}]: {iso!r} is not an ITU Member State; expected an ISO3 code"
                )
    chosen = codes if scenario.seating.mode == "all" else scenario.seating.include
    excluded = set(scenario.seating.exclude)
    seated = [iso for iso in chosen if iso not in excluded]
    if not seated:
        raise ScenarioError(f"{src}: seating: no state is seated; expected at least one")
    return seated


def scenario_folder(scenario: Scenario) -> Path | None:
    """The folder that a scenario's relative file names are relative to (None for a scenario not from a file)."""
    return Path(scenario.source).parent if scenario.source != "<dict>" else None


def expert_positions_file(scenario: Scenario, base: Path | None) -> Path:
    """The expert positions file of ``seeder.positions_file``, a relative name taken from ``base``."""
    path = Path(scenario.seeder.positions_file)
    if not path.is_absolute() and base is not None:
        path = base / path
    return path


def _check_seeder(scenario: Scenario) -> None:
    """What the seeder reads besides the data: the expert positions file (seeder ``expert``)."""
    if scenario.seeder.name == "expert":
        from wcitsim.io.positions import read_expert_rows

        read_expert_rows(expert_positions_file(scenario, scenario_folder(scenario)), scenario.source)


def _check_reservation_shift(scenario: Scenario, seated: Collection[str]) -> None:
    for iso in scenario.signing.reservation_shift:
        if iso not in seated:
            raise ScenarioError(
                f"{scenario.source}: signing.reservation_shift.{iso}: not a seated state; expected a seated ISO3 code"
            )


def _check_stakeholders(scenario: Scenario, numeric: Collection[str]) -> None:
    for i, st in enumerate(scenario.stakeholders):
        if st.reach != "uniform" and st.reach not in numeric:
            raise ScenarioError(
                f"{scenario.source}: stakeholders[{i}].reach: {st.reach!r}; expected 'uniform' or a numeric states.csv column"
            )


def _check_overrides(scenario: Scenario, seated: Collection[str]) -> None:
    for iso in scenario.overrides:
        if iso not in seated:
            raise ScenarioError(
                f"{scenario.source}: overrides.{iso}: not a seated Member State; expected a seated ISO3 code"
            )


def _check_blocs(scenario: Scenario, columns: Collection[str]) -> None:
    for bloc in scenario.groups.blocs:
        if bloc not in columns:
            raise ScenarioError(
                f"{scenario.source}: groups.blocs: {bloc!r} is not a column of states.csv; expected e.g. 'eu'"
            )


def check_world(
    scenario: Scenario, codes: Sequence[str], columns: Collection[str], numeric: Sequence[str]
) -> list[str]:
    """Check ``scenario`` against the data; return the ISO3 codes of the states it seats, in the data's order.

    Args:
        scenario: a validated scenario.
        codes: the Member States' ISO3 codes, in the order of ``states.csv``.
        columns: the columns of the states' table (``states.csv`` and the ties joined onto it).
        numeric: those of ``columns`` that hold numbers, in their order (an error lists them).

    Raises:
        ScenarioError: the first check that fails, in the order the world is built.
    """
    _check_columns(scenario, numeric, codes)
    seated = seated_codes(scenario, codes)
    _check_seeder(scenario)
    seated_set = set(seated)
    _check_reservation_shift(scenario, seated_set)
    _check_stakeholders(scenario, numeric)
    _check_overrides(scenario, seated_set)
    _check_blocs(scenario, columns)
    return seated


def delegation_count(scenario: Scenario, seated: int) -> int:
    """The delegations at the table: the ``seated`` states, or ``population.size`` clones of them."""
    return seated if scenario.population.size is None else scenario.population.size
