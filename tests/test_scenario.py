"""Scenario files: loading, variants, and one clear line for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wcitsim.cli import main
from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "wcit2012.toml"
PRIOR = ROOT / "scenarios" / "priors" / "wcit2012_prior.toml"


def test_baseline_loads_with_the_eight_clauses():
    s = load_scenario(BASE)
    assert [c.id for c in s.agenda.active] == [
        "scope", "internet", "security", "spam", "access_right", "human_rights", "content", "charging",
    ]  # fmt: skip
    assert s.protocol.name == "single_text" and s.run.replications == 200
    assert len(s.digest) == 16


def test_variant_extends_the_baseline_and_changes_only_its_keys():
    base, variant = load_scenario(BASE), load_scenario(ROOT / "scenarios" / "no_internet_resolution.toml")
    assert [c.id for c in variant.agenda.active] == [c.id for c in base.agenda.active if c.id != "internet"]
    assert variant.seeder == base.seeder and variant.signing == base.signing
    assert variant.digest != base.digest


def test_replace_validates_again():
    s = load_scenario(BASE)
    assert s.replace(**{"run.seed": 3}).run.seed == 3
    with pytest.raises(ScenarioError, match=r"run\.seed: -1 is out of range"):
        s.replace(**{"run.seed": -1})


def _write(tmp_path: Path, body: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{BASE.as_posix()}"\n' + body, encoding="utf-8")
    return path


CASES = [
    ("[run]\nreplicatoins = 5\n", "run.replicatoins: unknown key; expected one of"),
    ('[run]\nreplications = "many"\n', "run.replications: 'many'; expected an integer"),
    ("[chair]\nhost_bias = 1.5\n", "chair.host_bias: 1.5 is out of range; expected in [0, 1]"),
    ("[seeder]\nposition_noise = nan\n", "seeder.position_noise: nan; expected a finite number"),
    ('[protocol]\nname = "bargain"\n', "protocol.name: 'bargain' is not known; expected one of"),
    (
        '[chair]\npolicy = "dictator"\n',
        "chair.policy: 'dictator' is not known; expected one of compromise, final_acts, majority, median",
    ),
    ('[seeder]\nname = "oracle"\n', "seeder.name: 'oracle' is not known"),
    (
        '[voting]\nrule = "lottery"\n',
        "voting.rule: 'lottery' is not known; expected one of majority, supermajority, consensus",
    ),
    ('[agenda]\ndrop = ["internt"]\n', "agenda.drop[0]: 'internt' is not a clause"),
    ('[seating]\nexclude = ["XXX"]\n', "seating.exclude[0]: 'XXX' is not an ITU Member State"),
    ("[overrides.USA]\nposition = { secrity = 0.5 }\n", "overrides.USA: 'secrity' is not a clause"),
    (
        "[groups.anchors.CEPT]\nscope = [1.5, 1.0]\n",
        "groups.anchors.CEPT.scope: [1.5, 1.0]; expected [position in [0, 1]",
    ),
    ("[signing]\ntemperature = 0\n", "signing.temperature: 0 is out of range"),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_a_wrong_scenario_names_file_key_and_expectation(tmp_path, body, expected, capsys):
    path = _write(tmp_path, body)
    assert main(["run", str(path), "--reps", "1", "--no-write"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"wcitsim: error: {path}")
    assert expected in err


def test_option_not_on_the_clause(tmp_path):
    text = PRIOR.read_text(encoding="utf-8").replace(
        'final_acts = 0.5     # [FA] "authorized', 'final_acts = 0.7     # [FA] "authorized', 1
    )
    path = tmp_path / "wcit.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ScenarioError,
        match=r"agenda\.clauses\[0\]\.final_acts: 0\.7 is not an option; expected one of \[0\.0, 0\.5, 1\.0\]",
    ):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[meta\nname = 1", "not valid TOML"),
        ('extends = "nowhere.toml"\n', "nowhere.toml: file not found"),
        ("[meta]\nname = 'x'\n", "agenda: missing; expected a table"),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['only']\nvalues = [0.0]\nstatus_quo = 0.0\n",
            "agenda.clauses[0].options: 1 option(s); expected at least 2",
        ),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['x', 'y']\nvalues = [0.6, 0.2]\nstatus_quo = 0.2\n",
            "agenda.clauses[0].values: [0.6, 0.2]; expected strictly increasing values",
        ),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['x', 'y']\nvalues = [0.0, 1.0]\nstatus_quo = 0.5\n",
            "agenda.clauses[0].status_quo: 0.5 is not an option",
        ),
        ("[meta]\nname = 'x'\n[agenda]\nclauses = []\n", "agenda: no clause left on the table"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert expected in str(err.value)


def test_no_state_seated(tmp_path):
    path = _write(tmp_path, '[seating]\nmode = "list"\ninclude = ["USA"]\nexclude = ["USA"]\n')
    with pytest.raises(ScenarioError, match="no state is seated"):
        from wcitsim.experiments.runner import run_scenario

        run_scenario(load_scenario(path), 1)


def test_extends_loop_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="loops back"):
        load_scenario(tmp_path / "a.toml")


def test_cli_error_has_no_traceback_and_writes_nothing(tmp_path):
    path = _write(tmp_path, "[run]\nsessions = 0\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "wcitsim", "run", str(path), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "run.sessions: 0 is out of range; expected in [1, 1000]" in done.stderr
    assert not out.exists()
