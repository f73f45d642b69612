"""Sweep specs and designs: which scenarios to run, as a table of experiments with their seeds.

A spec (TOML) names a base scenario, the parameters (dotted paths into the
scenario) with levels or bounds, a design (``grid``, ``lhs``, ``sobol``,
``morris``; the last three through SALib), replications per experiment and a
root seed. Each experiment's integer seed is a child of ``SeedSequence(root)``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import Scenario, load_scenario
from wcitsim.io.schema import build, fail, read_toml, spec

__all__ = ["Parameter", "SweepSpec", "design_experiments", "experiment_seeds", "load_spec", "salib_problem"]

DESIGNS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True, kw_only=True)
class Parameter:
    levels: tuple[float, ...] = spec(factory=tuple, doc="values to try (grid)")
    bounds: tuple[float, ...] = spec(factory=tuple, doc="[low, high] (lhs, sobol, morris)")


@dataclass(frozen=True, kw_only=True)
class Sweep:
    name: str = spec(doc="identifier, used for the results folder")
    scenario: str = spec(doc="the base scenario file, relative to the spec")
    design: str = spec("grid", choices=DESIGNS)
    samples: int = spec(
        16, lo=1, hi=10_000_000, doc="base samples: N for sobol, points for lhs, trajectories for morris"
    )
    replications: int = spec(32, lo=1, hi=1_000_000, doc="replications per experiment")
    seed: int = spec(0, lo=0, hi=2**63 - 1)
    levels: int = spec(4, lo=2, hi=100, doc="grid levels of the morris design")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep."""

    sweep: Sweep
    parameters: dict[str, Parameter]
    scenario: Scenario
    source: str
    raw: dict = field(repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True).encode()).hexdigest()[:16]


def _scenario_value(scenario: Scenario, path: str):
    """The current value at a dotted path of the scenario (0.0 for a new key of a table), or raise KeyError."""
    node = scenario
    for key in path.split("."):
        if isinstance(node, dict):
            node = node.get(key, 0.0)
        elif hasattr(node, key) and not key.startswith("_"):
            node = getattr(node, key)
        else:
            raise KeyError(path)
    return node


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; every parameter must name a numeric scenario field."""
    path = Path(path)
    src = str(path)
    raw = read_toml(path, ScenarioError, "a sweep spec (TOML)")
    for key in raw:
        if key not in ("sweep", "parameters"):
            fail(src, key, "unknown key; expected one of parameters, sweep")
    if "sweep" not in raw:
        fail(src, "sweep", "missing; expected a table")
    sweep = build(Sweep, raw["sweep"], src, "sweep")
    params_raw = raw.get("parameters", {})
    if not isinstance(params_raw, dict) or not params_raw:
        fail(src, "parameters", "missing or empty; expected a table of dotted scenario keys")
    parameters = {
        name: build(Parameter, value, src, f"parameters.{name}") for name, value in params_raw.items()
    }
    scenario_path = (path.parent / sweep.scenario).resolve()
    if not scenario_path.is_file():
        fail(
            src,
            "sweep.scenario",
            f"{sweep.scenario!r} is not a file; expected a scenario file (relative to the spec)",
        )
    scenario = load_scenario(scenario_path)
    for name, p in parameters.items():
        where = f'parameters."{name}"'
        try:
            current = _scenario_value(scenario, name)
        except KeyError:
            fail(src, where, "names no scenario field; expected a dotted key such as seeder.anchor_weight")
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            fail(src, where, f"the field holds {current!r}; expected a numeric scenario field")
        if sweep.design == "grid":
            if not p.levels:
                fail(src, f"{where}.levels", "missing; expected the values to try (design = grid)")
        else:
            if len(p.bounds) != 2:
                fail(
                    src,
                    f"{where}.bounds",
                    f"{list(p.bounds)}; expected [low, high] (design = {sweep.design})",
                )
            if not p.bounds[0] < p.bounds[1]:
                fail(src, f"{where}.bounds", f"{list(p.bounds)}: low ≥ high; expected low < high")
        for value in p.levels or p.bounds:
            try:
                scenario.replace(**{name: value})
            except ScenarioError as err:
                fail(src, where, f"{value!r} is not valid for the scenario ({str(err).split(': ', 1)[-1]})")
    return SweepSpec(sweep, parameters, scenario, src, raw)


def salib_problem(spec: SweepSpec) -> dict:
    """The SALib problem dict of a spec's bounded parameters."""
    names = list(spec.parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(spec.parameters[n].bounds) for n in names],
    }


def design_experiments(spec: SweepSpec) -> pd.DataFrame:
    """The experiments: one row per parameter point, in design order."""
    names = list(spec.parameters)
    s = spec.sweep
    if s.design == "grid":
        points = np.array(list(itertools.product(*(spec.parameters[n].levels for n in names))), dtype=float)
    else:
        problem = salib_problem(spec)
        try:
            import SALib  # noqa: F401
        except ImportError:
            raise ScenarioError(
                f"{spec.source}: sweep.design: {s.design!r} needs SALib; pip install 'wcitsim[dist]'"
            ) from None
        if s.design == "lhs":
            from SALib.sample import latin

            points = latin.sample(problem, s.samples, seed=s.seed)
        elif s.design == "sobol":
            from SALib.sample import sobol

            points = sobol.sample(problem, s.samples, calc_second_order=False, seed=s.seed)
        else:
            from SALib.sample import morris

            points = morris.sample(problem, s.samples, num_levels=s.levels, seed=s.seed)
    frame = pd.DataFrame(points, columns=names)
    frame.insert(0, "experiment", np.arange(len(frame)))
    frame["seed"] = experiment_seeds(s.seed, len(frame))
    return frame


def experiment_seeds(root: int, count: int) -> list[int]:
    """Integer seeds of the experiments: children of ``SeedSequence(root)``."""
    children = np.random.SeedSequence(root).spawn(count)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
