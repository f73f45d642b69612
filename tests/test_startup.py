"""The command line starts without the heavy libraries: a command imports what it needs when it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Libraries that take a large share of a second to import.
HEAVY = ("numpy", "pandas", "pyarrow", "matplotlib", "mesa", "scipy", "numba")


def _loaded(code: str) -> list[str]:
    """The heavy libraries in ``sys.modules`` after a fresh interpreter runs ``code``."""
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps(sorted({{m.partition('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["wcitsim", "wcitsim.cli", "wcitsim.registry"])
def test_importing_the_package_or_its_command_line_loads_no_heavy_library(module):
    assert _loaded(f"import {module}") == []


def test_the_help_and_the_version_load_no_heavy_library():
    code = (
        "import contextlib, io\n"
        "from wcitsim.cli import main\n"
        "for argv in (['--help'], ['--version'], ['run', '--help'], ['sweep', '--help']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv)\n"
    )
    assert _loaded(code) == []


def _checked(*files: str) -> list[str]:
    """The heavy libraries loaded by ``wcitsim check`` of each of ``files`` in turn, in one interpreter."""
    code = (
        "import contextlib, io\n"
        "from wcitsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    for file in {list(files)!r}:\n"
        "        assert main(['check', file]) == 0, file\n"
    )
    return _loaded(code)


def test_checking_a_scenario_loads_neither_matplotlib_nor_mesa():
    loaded = _checked("scenarios/wcit2012.toml")
    assert not {"matplotlib", "mesa"} & set(loaded), loaded


def test_checking_a_scenario_or_a_sweep_spec_loads_neither_pandas_nor_numpy():
    """``check`` validates the data and the scenario against them in plain Python: no table, no array."""
    sweeps = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios" / "sweeps").glob("*.toml"))
    assert sweeps
    loaded = _checked("scenarios/wcit2012.toml", "tests/data/toy.toml", *sweeps)
    assert not {"numpy", "pandas"} & set(loaded), loaded


def test_reading_and_checking_the_data_files_loads_no_heavy_library():
    code = (
        "import wcitsim.data.checks\n"
        "from wcitsim.data.tables import load_tables\n"
        "tables = load_tables()\n"
        "assert len(tables.codes) == tables.facts.itu_member_states\n"
    )
    assert _loaded(code) == []


def test_a_scenarios_names_are_checked_against_registries_that_fill_themselves():
    """No import of the core beforehand: a registry knows the names its package registers, and imports the
    package when a component (or a name it does not list) is asked for."""
    code = (
        "from wcitsim.io.scenario import load_scenario\n"
        "s = load_scenario('scenarios/wcit2012.toml')\n"
        "from wcitsim.registry import PROTOCOLS\n"
        "assert s.protocol.name in PROTOCOLS and 'compromise' in PROTOCOLS\n"
    )
    assert _loaded(code) == []
    assert "numpy" in _loaded(code + "assert PROTOCOLS['compromise'].name == 'compromise'\n")
    assert "numpy" in _loaded(code + "assert 'toy' not in PROTOCOLS\n")


def test_the_names_a_registry_lists_are_those_its_package_registers():
    from wcitsim.registry import CHAIR_POLICIES, PROTOCOLS, SEEDERS

    for registry in (PROTOCOLS, CHAIR_POLICIES, SEEDERS):
        assert registry.names == set(registry), registry.kind


def test_every_protocols_parameters_have_defaults():
    """An empty ``protocol.params`` is valid for every protocol, so loading a scenario that sets none
    needs no protocol class (``io.scenario._check_names``)."""
    from wcitsim.io.schema import build
    from wcitsim.registry import PROTOCOLS

    for name in PROTOCOLS:
        assert build(PROTOCOLS[name].parameters, {}, "<test>", "protocol.params") is not None, name


#: Changes to the toy scenario, each refused by one of the checks of the scenario against the data (or none).
VARIANTS = [
    {},
    {"population": {"size": 4, "seed": 3}},
    {"population": {"size": 40}},
    {"seating": {"mode": "all", "exclude": ["USA", "ARE"]}, "chair": {"host": "USA"}},
    {"seeder": {"covariate_weights": {"name": 1.0}}},
    {"seeder": {"log_covariates": ["trade_share_usa", "fh_status"]}},
    {"seeder": {"economic_weights": {"nope": 1.0}}},
    {"seeder": {"economic_clauses": ["zz"]}},
    {"chair": {"temperature_clause": "zz"}},
    {"chair": {"host": "XXX"}},
    {"seating": {"include": ["USA", "XXX"]}},
    {"seating": {"mode": "all", "exclude": ["XXX"]}},
    {"seating": {"include": ["USA"], "exclude": ["USA"]}},
    {"signing": {"reservation_shift": {"FRA": 0.1}}},
    {"stakeholders": [{"name": "a", "reach": "us_defense_pact"}, {"name": "b", "reach": "itu_region"}]},
    {"overrides": {"FRA": {"position": {"scope": 0.5}}}},
    {"groups": {"blocs": ["eu", "nato", "nope"]}},
    {"seeder": {"name": "expert", "positions_file": "missing.csv"}},
    {"chair": {"host": "XXX"}, "seating": {"include": ["XXX"]}, "groups": {"blocs": ["nope"]}},
]


def _merged(base: dict, change: dict) -> dict:
    out = dict(base)
    for key, value in change.items():
        out[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize("change", VARIANTS, ids=[",".join(v) or "toy" for v in VARIANTS])
def test_check_refuses_and_counts_as_building_the_world_does(change, tmp_path):
    """The plain-Python check against the data files is the world's own: the same refusal, the same size."""
    import tomllib

    import pandas as pd

    from wcitsim.core.world import build_world
    from wcitsim.data import load_dataset
    from wcitsim.data.checks import check_world, delegation_count
    from wcitsim.data.tables import load_tables
    from wcitsim.errors import ScenarioError
    from wcitsim.io.scenario import scenario_from_dict

    toy = tomllib.loads((ROOT / "tests" / "data" / "toy.toml").read_text(encoding="utf-8"))
    scenario = scenario_from_dict(_merged(toy, change), str(tmp_path / "variant.toml"))
    tables, data = load_tables(), load_dataset()
    frame_numeric = [c for c in data.states.columns if pd.api.types.is_numeric_dtype(data.states[c])]
    assert list(tables.columns) == list(data.states.columns) and list(tables.numeric) == frame_numeric
    try:
        world = build_world(scenario, data)
    except ScenarioError as err:
        with pytest.raises(ScenarioError) as refused:
            check_world(scenario, tables.codes, set(tables.columns), tables.numeric)
        assert str(refused.value) == str(err)
        return
    seated = check_world(scenario, tables.codes, set(tables.columns), tables.numeric)
    assert delegation_count(scenario, len(seated)) == world.n
    assert change.get("population") or tuple(seated) == world.iso3


def test_a_reader_that_stops_early_gets_no_traceback():
    """``wcitsim data | head``: a pipe whose reader has gone ends the command quietly, with status 1."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "wcitsim", "data"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")
