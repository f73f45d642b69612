"""The scenarios ship with the package: found by name from any folder, listed and copied by `wcitsim scenarios`."""

from __future__ import annotations

import json

from wcitsim.cli import main
from wcitsim.io.scenario import load_scenario, scenario_path, shipped_scenarios


def test_the_shipped_scenarios_are_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert {"wcit2012", "consensus_rule", "us_concedes"} <= set(shipped_scenarios())
    assert scenario_path("wcit2012") == shipped_scenarios()["wcit2012"]
    assert load_scenario("wcit2012").meta.name == "wcit2012"
    assert main(["run", "wcit2012", "--reps", "4", "--json"]) == 0


def test_check_takes_a_shipped_scenario_by_name_as_run_does(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "objection_fitted"]) == 0
    assert capsys.readouterr().out.startswith("ok: scenario objection_fitted, 193 delegations")
    assert main(["check", "no_such_scenario"]) == 2
    assert "no_such_scenario: file not found" in capsys.readouterr().err


def test_scenarios_lists_and_copies_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["scenarios", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(shipped_scenarios())
    assert main(["scenarios", "--copy", str(tmp_path / "mine")]) == 0
    copied = tmp_path / "mine"
    assert (copied / "wcit2012.toml").is_file() and (copied / "sweeps").is_dir()
    assert load_scenario(copied / "us_concedes.toml").meta.name == "us_concedes"  # `extends` still resolves
    capsys.readouterr()
    assert main(["scenarios", "--copy", str(copied)]) == 2
    assert "already there" in capsys.readouterr().err
