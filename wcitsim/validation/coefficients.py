"""The global coefficients a calibration fits: their ranges, which a scenario fits, holding some fixed.

Every coefficient is a dotted scenario key with bounds, searched in its unit space
(0 and 1 the ends of its range, on a log scale where ``log``);
:mod:`wcitsim.validation.calibrate` fits them. Which are fitted follows from the
scenario: the defaults its seeder uses, a mechanism's only where the scenario
switches the mechanism on, and the optional ones its ``fit_*`` keys name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wcitsim.data.schema import SCALE_COVARIATE
from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import Scenario

__all__ = [
    "DEFAULT_PARAMETERS",
    "ECONOMIC_SLOPE",
    "MECHANISM_PARAMETERS",
    "OBJECTION_THRESHOLD",
    "Parameter",
    "current",
    "hold",
    "parameters_for",
    "with_values",
]


@dataclass(frozen=True)
class Parameter:
    """A global coefficient to fit: a dotted scenario key and its bounds (searched on a log scale if ``log``).

    ``centre`` is its prior's centre in the unit space (the middle of the range);
    ``sd`` the prior's standard deviation there (None: the calibration's ``prior_sd``).
    """

    path: str
    lo: float
    hi: float
    log: bool = False
    centre: float = 0.5
    sd: float | None = None

    def to_unit(self, value: float) -> float:
        """``value`` in the unit space (0 and 1 the range's ends; outside it beyond them, −inf for 0 on a log scale)."""
        if self.log:
            if value <= 0:
                return -math.inf
            return (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (value - self.lo) / (self.hi - self.lo)

    def from_unit(self, u: float) -> float:
        u = min(max(u, 0.0), 1.0)
        if self.log:
            return math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


#: The coefficients fitted by default. The UNGA ideal point's weight stays 1: it sets the index's scale.
DEFAULT_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("seeder.anchor_weight", 0.0, 1.0),
    Parameter("seeder.covariate_slope", 0.5, 12.0, log=True),
    Parameter("seeder.covariate_weights.fh_total_score", -2.0, 3.0),
    Parameter("seeder.covariate_weights.internet_users_pct_2012", -2.0, 3.0),
    Parameter("seeder.covariate_weights.gdp_pc_ppp_2012", -2.0, 3.0),
    Parameter("seeder.covariate_weights.foc_2012", -2.0, 3.0),
    Parameter("signing.intercept", -1.0, 1.0),
    Parameter("signing.temperature", 0.02, 1.0, log=True),
    Parameter("signing.conformity", 0.0, 3.0),
    Parameter("protocol.concession", 0.0, 1.0),
)


#: The coefficients of the mechanisms a scenario may switch on, fitted when it does (the switch: the key ≠ 0).
MECHANISM_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("protocol.alignment", 0.0, 0.5),
    Parameter("signing.persuasion", 0.0, 1.0),
    Parameter("signing.lost_vote", 0.0, 2.0),
)

#: The economic clauses' own slope, fitted where ``seeder.economic_slope`` is given: reaching below the
#: default slope's range, to a nearly flat spread of the economic index around each group's proposal.
ECONOMIC_SLOPE = Parameter("seeder.economic_slope", 0.1, 12.0, log=True)

#: The consensus test's threshold (a delegation objects to a clause that costs it more than
#: this, normalised salience × distance), fitted where ``voting.fit_objection_threshold`` is set.
#: 0 is the strictest test (any loss is an objection); 0.2 lets nearly every clause pass.
OBJECTION_THRESHOLD = Parameter("voting.objection_threshold", 0.0, 0.2)


def parameters_for(scenario: Scenario) -> tuple[Parameter, ...]:
    """The global coefficients to fit for ``scenario``: the defaults its seeder uses, and its mechanisms'.

    The ``tabled`` seeder has no anchor weight; its economic index's weights (but the
    scale-setting UNGA ideal point's) are fitted where ``seeder.fit_economic_weights`` is
    set, and otherwise keep the scenario's values; the economic clauses' own slope where
    ``seeder.economic_slope`` is given; a mechanism's coefficient is fitted
    only where the scenario switches the mechanism on (a coefficient ≠ 0), so an
    ablation is one line in a scenario, and calibrating it fits nothing extra; the
    consensus test's objection threshold where ``voting.fit_objection_threshold`` is set.
    """
    out = [
        p
        for p in DEFAULT_PARAMETERS
        if not (p.path == "seeder.anchor_weight" and scenario.seeder.name == "tabled")
    ]
    out = [
        p
        for p in out
        if p.path.split(".")[-1] in scenario.seeder.covariate_weights or "covariate_weights" not in p.path
    ]
    if scenario.seeder.fit_economic_weights:
        out += [
            Parameter(f"seeder.economic_weights.{name}", -2.0, 3.0)
            for name in scenario.seeder.economic_weights
            if name != SCALE_COVARIATE
        ]
    if scenario.seeder.economic_slope is not None:
        out.append(ECONOMIC_SLOPE)
    if scenario.voting.fit_objection_threshold:
        value, p = scenario.voting.objection_threshold, OBJECTION_THRESHOLD
        if not p.lo <= value <= p.hi:
            raise ScenarioError(
                f"{scenario.source}: voting.objection_threshold: {value:g} with voting.fit_objection_threshold; "
                f"expected a start within the range the calibration searches, {p.lo:g} to {p.hi:g}"
            )
        out.append(OBJECTION_THRESHOLD)
    out += [p for p in MECHANISM_PARAMETERS if math.isfinite(v := current(scenario, p)) and v != 0.0]
    return tuple(out)


def hold(scenario: Scenario, held: Sequence[str]) -> Scenario:
    """``scenario`` with the coefficients named in ``held`` at their centre, to be left out of the fit.

    A name that is not among :func:`parameters_for` the scenario is refused.
    """
    centres = {p.path: p.from_unit(p.centre) for p in parameters_for(scenario) if p.path in held}
    if unknown := sorted(set(held) - set(centres)):
        raise ScenarioError(
            f"{scenario.source}: held {unknown} are not among the coefficients it fits; "
            f"expected some of {[p.path for p in parameters_for(scenario)]}"
        )
    return scenario.replace(**centres) if centres else scenario


def with_values(scenario: Scenario, parameters: Sequence[Parameter], values: Sequence[float]) -> Scenario:
    return scenario.replace(**{p.path: float(v) for p, v in zip(parameters, values, strict=True)})


def current(scenario: Scenario, parameter: Parameter) -> float:
    """The coefficient's value in ``scenario``: as its file writes it, else the key's default; NaN if neither.

    A mechanism's default is 0 (off), so an unwritten mechanism is not fitted; a
    covariate weight the seeder does not name is NaN.
    """
    node = scenario
    for key in parameter.path.split("."):
        node = node.get(key) if isinstance(node, dict) else getattr(node, key, None)
        if node is None:
            return float("nan")
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else float("nan")
