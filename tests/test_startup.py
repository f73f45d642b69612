"""The command line starts without the heavy libraries: a command imports what it needs when it runs."""

from __future__ import annotations

import json
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


def test_checking_a_scenario_loads_neither_matplotlib_nor_mesa():
    code = (
        "import contextlib, io\n"
        "from wcitsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['check', 'scenarios/wcit2012.toml']) == 0\n"
    )
    loaded = _loaded(code)
    assert "pandas" in loaded  # the data and the world are tables
    assert not {"matplotlib", "mesa"} & set(loaded), loaded


def test_a_scenarios_names_are_checked_against_registries_that_fill_themselves():
    """No import of the core beforehand: the registries import what registers their components."""
    code = (
        "from wcitsim.io.scenario import load_scenario\n"
        "s = load_scenario('scenarios/wcit2012.toml')\n"
        "from wcitsim.registry import PROTOCOLS\n"
        "assert s.protocol.name in PROTOCOLS and 'compromise' in PROTOCOLS\n"
    )
    assert "numpy" in _loaded(code)
