"""tools/reproduce.py: a shipped validation re-made from its recorded command, compared key by key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_tool

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    return load_tool("reproduce")


def test_differences_name_every_key_that_differs_but_where_the_run_was_written():
    tool = _tool()
    a = {
        "produced_by": {"command": "x --out a"},
        "scores": {"m": {"brier": 0.114, "tally": [64, 50, 4]}},
        "n": 1,
    }
    b = {
        "produced_by": {"command": "x --out b"},
        "scores": {"m": {"brier": 0.115, "tally": [64, 51]}},
        "k": 1,
    }
    assert tool.differences(a, a | {"produced_by": {}}) == []
    assert tool.differences(a, b) == [
        "/k: only in the re-made file",
        "/n: only in the shipped file",
        "/scores/m/brier: 0.114 ≠ 0.115",
        "/scores/m/tally: 3 items ≠ 2",
    ]
    assert tool.differences({"x": 1}, {"x": 1.0}) == ["/x: 1 ≠ 1.0"]  # a type that changed is a difference


def test_the_recorded_command_loses_its_out_and_nothing_else(tmp_path):
    tool = _tool()
    file = tmp_path / "metrics.json"
    file.write_text(
        json.dumps({"produced_by": {"command": "wcitsim validate s.toml --seed 1 --out /tmp/x --quick"}})
    )
    assert tool.recorded(file)[1] == ["validate", "s.toml", "--seed", "1", "--quick"]
    file.write_text(json.dumps({"produced_by": {"command": "rm -rf /"}}))
    with pytest.raises(
        tool.Refused, match=r"produced_by\.command: 'rm -rf /'; expected wcitsim validate or select"
    ):
        tool.recorded(file)
    file.write_text(json.dumps({"scores": {}}))
    with pytest.raises(tool.Refused, match=r"produced_by\.command: missing"):
        tool.recorded(file)


def test_every_shipped_validation_records_a_command_it_can_re_make():
    tool = _tool()
    files = tool.shipped_runs(quick=False)
    assert {f.parent.name for f in files} >= {"wcit2012", "wcit2012-s1", "wcit2012-b600", "wcit2012-b600-s1"}
    for file in files:
        _, args = tool.recorded(file)
        assert args[0] == "validate" and "--out" not in args
        assert (ROOT / args[1]).is_file(), args  # the scenario it names is in the repository
    assert {f.parent.name for f in tool.shipped_runs(quick=True)} == {
        f.parent.name for f in files if json.loads(f.read_text())["budget"] <= 150
    }


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "reproduce.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_run_re_made_is_identical_and_a_changed_one_is_not(tmp_path):
    """A small validation made here, re-made by the tool: identical; one figure changed in it: it differs, exit 1."""
    made = subprocess.run(
        [sys.executable, "-m", "wcitsim", "validate", "scenarios/wcit2012.toml", "--quick", "--no-calibrate",
         "--out", str(tmp_path / "v")],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert made.returncode == 0
    (folder,) = (tmp_path / "v" / "validation").iterdir()
    same = _run(str(folder))
    assert same.returncode == 0, same.stdout + same.stderr
    assert ": identical (" in same.stdout and same.stdout.strip().endswith("1 of 1 re-made identically")
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["scores"]["model (single_text)"]["brier"] += 1e-9
    (folder / "metrics.json").write_text(json.dumps(metrics))
    changed = _run(str(folder))
    assert changed.returncode == 1
    assert "DIFFERS in 1 values" in changed.stdout and "/scores/model (single_text)/brier:" in changed.stdout
    assert changed.stdout.strip().endswith("0 of 1 re-made identically")


def test_a_path_that_is_not_a_validation_is_one_line_and_exit_2(tmp_path):
    done = _run(str(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr
        == f"reproduce: {tmp_path}: no metrics.json; expected a shipped validation folder or its metrics.json\n"
    )
