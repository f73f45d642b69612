"""Sweep specs and designs: which scenarios to run, as a table of experiments with their seeds.

A spec (TOML) names a base scenario, the parameters (dotted paths into the
scenario) with levels or bounds, a design (``grid``, ``lhs``, ``sobol``,
``morris``; the last three through SALib), replications per experiment and a
root seed. Each experiment's integer seed is a child of ``SeedSequence(root)``.
A design may make at most the experiments this machine's memory holds
(:func:`max_experiments`); it is refused before it is made.

What else determines a sweep's results is recorded as digests
(:func:`sweep_inputs`), so a resumed sweep can refuse inputs that changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import math
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from wcitsim.errors import ScenarioError
from wcitsim.io.files import machine_memory
from wcitsim.io.scenario import Scenario, load_scenario
from wcitsim.io.schema import FOLDER_NAME, build, fail, read_toml, spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Parameter",
    "SweepSpec",
    "check_design",
    "code_fingerprint",
    "data_digest",
    "data_files",
    "design_experiments",
    "experiment_bytes",
    "experiment_count",
    "experiment_seeds",
    "file_digest",
    "import_closure",
    "library_versions",
    "load_spec",
    "max_experiments",
    "salib_problem",
    "sweep_inputs",
]

DESIGNS = ("grid", "lhs", "sobol", "morris")
#: The module whose functions run a sweep's tasks: the root of the code that decides their results.
TASKS_MODULE = "wcitsim.experiments.sweep_run"
#: Memory the main process of a sweep holds per experiment, at most: :data:`BYTES_PER_EXPERIMENT` and
#: :data:`BYTES_PER_PARAMETER` for each parameter (measured here at 900-1,500 bytes for 1 to 12 parameters:
#: the design table and the tasks, one experiment each; ``tests/test_sweep.py`` checks the bound).
BYTES_PER_EXPERIMENT = 1536
BYTES_PER_PARAMETER = 128
#: The share of the machine's memory a sweep's experiments may take (as for ``--reps``).
MEMORY_SHARE = 0.5


@dataclass(frozen=True, kw_only=True)
class Parameter:
    levels: tuple[float, ...] = spec(factory=tuple, doc="values to try (grid)")
    bounds: tuple[float, ...] = spec(factory=tuple, doc="[low, high] (lhs, sobol, morris)")


@dataclass(frozen=True, kw_only=True)
class Sweep:
    name: str = spec(pattern=FOLDER_NAME, doc="identifier, used for the results folder")
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


def data_files(directory=None) -> list[Path]:
    """The data files the loaders read from ``directory`` (default: the package's data), present or not."""
    from wcitsim.data.loaders import FACTS_FILE, RECORD_FILE, STATES_FILE, TIES_FILE, default_data_dir

    folder = Path(directory) if directory else default_data_dir()
    return [folder / name for name in (FACTS_FILE, STATES_FILE, RECORD_FILE, TIES_FILE)]


def file_digest(path: Path) -> str:
    """A digest of the file at ``path``, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:16]


def data_digest(directory=None) -> str:
    """A digest of the data files of ``directory`` (:func:`data_files`; read them after the loaders checked them)."""
    digest = hashlib.sha256()
    for path in data_files(directory):
        digest.update(f"{path.name}\0{file_digest(path) if path.is_file() else 'absent'}\0".encode())
    return digest.hexdigest()[:16]


def _statements(nodes: list) -> Iterator[ast.AST]:
    """Every statement under ``nodes``, at any depth (expressions are not visited: no import is in one)."""
    for node in nodes:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, block, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _imports(source: bytes, module: str, package: bool) -> set[str]:
    """The modules a module's source imports anywhere (in functions too), as absolute names."""
    names = set()
    anchor = module if package else module.rpartition(".")[0]
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            relative = "." * node.level + (node.module or "")
            base = importlib.util.resolve_name(relative, anchor) if node.level else node.module
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # a submodule, when it is one
    return names


def _module_file(name: str, folder: Path) -> tuple[Path, bool] | None:
    """The source file of module ``name`` of the package in ``folder``, and whether it is a package itself
    (found without importing it)."""
    base = folder.joinpath(*name.split(".")[1:])
    for path, package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
        if path.is_file():
            return path, package
    return None


def import_closure(module: str, folder: Path) -> tuple[dict[str, bytes], set[str]]:
    """The modules of a package that running ``module`` can import, and the other libraries they import.

    Args:
        module: A module of the package whose sources are in ``folder`` (``wcitsim.…``).
        folder: The package's folder.

    Returns:
        The source of every module of the package it imports at any depth (inside
        functions too, with the packages that hold them), by name; and the top-level
        names of the libraries outside the package and the standard library they import.
    """
    package_name = module.partition(".")[0]
    sources, libraries, todo = {}, set(), [module]
    while todo:
        name = todo.pop()
        found = None if name in sources else _module_file(name, folder)
        if found is None:
            continue
        path, package = found
        sources[name] = path.read_bytes()
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a module runs its packages
        for imported in _imports(sources[name], name, package):
            top = imported.partition(".")[0]
            if top == package_name:
                todo.append(imported)
            elif top not in sys.stdlib_module_names:
                libraries.add(top)
    return sources, libraries


@cache
def code_fingerprint() -> tuple[str, dict[str, str]]:
    """What decides a task's results beyond its inputs: wcitsim's code and the versions of its libraries.

    Returns a digest of the source of every wcitsim module a task can import
    (:func:`import_closure` of :data:`TASKS_MODULE`) and of the versions of the installed
    libraries those modules import, and those versions by name. A new wcitsim
    version that leaves that code alone does not change it; an edit of the model does.
    """
    sources, libraries = import_closure(TASKS_MODULE, Path(__file__).resolve().parents[1])
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"{name}\0".encode() + sources[name] + b"\0")
    versions = {}
    for top in sorted(libraries):
        with suppress(importlib.metadata.PackageNotFoundError):  # a library installed under another name
            versions[importlib.metadata.metadata(top)["Name"]] = importlib.metadata.version(top)
    digest.update(json.dumps(versions).encode())
    return digest.hexdigest()[:16], versions


def sweep_inputs(spec: SweepSpec, data_dir=None) -> dict[str, str]:
    """The digests of what determines a sweep's results: its spec, its scenario as resolved through ``extends``
    (every file of the chain), the data files, and the code (:func:`code_fingerprint`)."""
    return {
        "spec": spec.digest,
        "scenario": spec.scenario.digest,
        "data": data_digest(data_dir),
        "code": code_fingerprint()[0],
    }


def library_versions() -> dict[str, str]:
    """The versions of the libraries a sweep's tasks import, by name (see :func:`code_fingerprint`)."""
    return code_fingerprint()[1]


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


def experiment_bytes(parameters: int) -> int:
    """The memory the main process of a sweep holds per experiment of ``parameters`` parameters, at most."""
    return BYTES_PER_EXPERIMENT + BYTES_PER_PARAMETER * parameters


def max_experiments(parameters: int) -> int | None:
    """The most experiments of ``parameters`` parameters a sweep may have on this machine (:data:`MEMORY_SHARE`
    of its memory); None when the system does not say how much memory it has."""
    memory = machine_memory()
    return int(memory * MEMORY_SHARE) // experiment_bytes(parameters) if memory else None


def experiment_count(sweep: Sweep, parameters: dict[str, Parameter]) -> int:
    """The number of experiments the design makes, computed without making it."""
    d = len(parameters)
    if sweep.design == "grid":
        return math.prod(len(p.levels) for p in parameters.values())
    return sweep.samples * {"lhs": 1, "sobol": d + 2, "morris": d + 1}[sweep.design]


def _bound_size(src: str, sweep: Sweep, parameters: dict[str, Parameter]) -> None:
    """Refuse a design of more experiments than this machine can hold, naming the key that sets the size."""
    count, most = experiment_count(sweep, parameters), max_experiments(len(parameters))
    if most is None or count <= most:
        return
    if sweep.design == "grid":
        key = "parameters"
        made = " × ".join(str(len(p.levels)) for p in parameters.values()) + " levels"
    else:
        key = "sweep.samples"
        rule = {"lhs": "N", "sobol": "N × (D + 2)", "morris": "N × (D + 1)"}[sweep.design]
        made = f"{sweep.samples} samples ({sweep.design}: {rule}, D = {len(parameters)})"
    fail(
        src,
        key,
        f"{made} make {count:,} experiments; expected at most {most:,} on this machine "
        f"(at {experiment_bytes(len(parameters)):,} bytes each, half of its {machine_memory() / 2**30:.1f} GiB "
        "of memory)",
    )


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
    _bound_size(src, sweep, parameters)
    try:
        scenario_path = (path.parent / sweep.scenario).resolve()
        is_file = scenario_path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        is_file = False
    if not is_file:
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


def check_design(spec: SweepSpec) -> int:
    """The number of experiments of the spec's design, after checking it can be made (a SALib design needs SALib),
    without making it."""
    if spec.sweep.design != "grid" and importlib.util.find_spec("SALib") is None:
        raise ScenarioError(
            f"{spec.source}: sweep.design: {spec.sweep.design!r} needs SALib; pip install 'wcitsim[dist]'"
        )
    return experiment_count(spec.sweep, spec.parameters)


def design_experiments(spec: SweepSpec) -> pd.DataFrame:
    """The experiments: one row per parameter point, in design order."""
    import numpy as np
    import pandas as pd

    names = list(spec.parameters)
    s = spec.sweep
    check_design(spec)
    if s.design == "grid":
        points = np.array(list(itertools.product(*(spec.parameters[n].levels for n in names))), dtype=float)
    else:
        problem = salib_problem(spec)
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
    """Integer seeds of the experiments: children of ``SeedSequence(root)``, as the replications' are."""
    from wcitsim.core.streams import replication_seeds

    return replication_seeds(root, count)
