"""``wcitsim data`` through every entry point, and its errors; out-of-range values, output paths and JSON of
every command: one line, exit 2, bounded by what the machine can do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wcitsim.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_python_dash_m_prints_the_report_as_json():
    done = _run(sys.executable, "-m", "wcitsim", "data", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["states"] == 193
    assert report["decisions"] == {"signed": 56, "not_signed": 44, "unknown": 94}
    assert report["by_confidence"]["bloc_statement"] == {"not_signed": 15}


def test_installed_script_prints_the_text_report():
    script = Path(sys.executable).with_name("wcitsim")
    exe = str(script) if script.exists() else shutil.which("wcitsim")
    assert exe, "the wcitsim script is not installed"
    done = _run(exe, "data")
    assert done.returncode == 0, done.stderr
    assert "56 signed, 44 not signed, 94 unknown" in done.stdout
    assert "known 56 + 44 = 100 of 144" in done.stdout


@pytest.mark.parametrize(
    "breakage",
    ["duplicate", "status", "numeric", "column"],
)
def test_broken_data_gives_one_line_and_status_2(data_copy, breakage):
    states, record = data_copy / "states.csv", data_copy / "wcit2012_record.csv"
    if breakage == "duplicate":
        states.write_text(states.read_text().replace("\nFRA,", "\nDEU,"))
    elif breakage == "status":
        record.write_text(record.read_text().replace("FRA,France,not_signed", "FRA,France,abstained"))
    elif breakage == "numeric":
        states.write_text(states.read_text().replace(",F,1,1,", ",F,one,1,", 1))
    else:
        lines = states.read_text().splitlines()
        states.write_text("\n".join(",".join(line.split(",")[1:]) for line in lines) + "\n")
    done = _run(sys.executable, "-m", "wcitsim", "data", "--data-dir", str(data_copy))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wcitsim: error: ")
    assert "Traceback" not in done.stderr
    assert str(data_copy) in lines[0]


def test_unknown_command_and_bad_option_exit_2(capsys):
    with pytest.raises(SystemExit) as err:
        main(["nonsense"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        main(["data", "--bogus"])
    assert err.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_missing_data_dir_is_a_user_error(tmp_path, capsys):
    assert main(["data", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_error_messages_stay_on_one_line():
    from wcitsim.cli import one_line

    assert one_line("key 'a\x85b\nc': bad – é") == "key 'a\\x85b\\nc': bad – é"


# ---------------------------------------------------------------- values out of range, bounded by the machine

TOY = Path(__file__).resolve().parent / "data" / "toy.toml"


def _usage_error(argv: list[str], capsys) -> str:
    """Run ``argv``: exit 2 with one line on stderr, by argparse or by the command; return that line."""
    try:
        code = main(argv)
    except SystemExit as err:
        code = err.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["teach", "--port", "70000"], "argument --port: 70000 is out of range; expected a TCP port from 1 to 65535"),
        (["teach", "--port", "0"], "argument --port: 0 is out of range"),
        (["teach", "--class", "--sessions", "5000"], "argument --sessions: 5000 is out of range; expected 1 to 1000"),
        (["game", str(TOY), "--share", "nan"], "argument --share: nan is out of range; expected a share from 0 to 1"),
        (["game", str(TOY), "--share", "1.5"], "argument --share: 1.5 is out of range"),
        (["game", str(TOY), "--share=-inf"], "argument --share: -inf is out of range"),
        (["run", str(TOY), "--reps", str(10**12)], f"argument --reps: {10**12} is out of range; expected 1 to 10,000,000"),
        (["run", str(TOY), "--reps", "10**12"], "argument --reps: '10**12' is not an integer"),
        (["validate", str(TOY), "--workers", "1000000"], "argument --workers: 1000000 is out of range; expected 1 to"),
        (["calibrate", str(TOY), "--budget", "1000000000"], "argument --budget: 1000000000 is out of range"),
        (["run", str(TOY), "--reps", "0\n"], "argument --reps: 0\\n is out of range"),
    ],
)  # fmt: skip
def test_out_of_range_values_are_one_line(argv, expected, capsys):
    assert expected in _usage_error(argv, capsys)


def test_workers_are_bounded_by_the_cores_this_process_may_use(capsys):
    from wcitsim.cli import options

    assert len(os.sched_getaffinity(0)) == options.CORES
    line = _usage_error(["validate", str(TOY), "--workers", str(options.CORES + 1)], capsys)
    assert f"expected 1 to {options.CORES} worker processes (the cores this process may use)" in line


def _largest_stratum() -> tuple[int, int]:
    """The known states and the largest decision × ITU-region stratum among them (folds cannot outnumber it)."""
    from wcitsim.data import load_dataset

    data = load_dataset()
    record = data.record[data.record["decision"] != "unknown"]
    record = record[record.index.isin(data.states.index)]
    region = data.states.loc[record.index, "itu_region"].replace("", "unassigned")
    return len(record), int((record["decision"] + "/" + region).value_counts().max())


@pytest.mark.parametrize("folds", ["1000", "60"])
@pytest.mark.parametrize("command", ["validate", "calibrate"])
def test_more_folds_than_the_known_states_allow_is_one_line(tmp_path, command, folds, capsys):
    n, most = _largest_stratum()
    out = ["--out", str(tmp_path / ("out" if command == "validate" else "c.toml"))]
    scenario = tmp_path / "toy_all.toml"  # seats every state, so the known states are the 100 of the record
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    line = _usage_error([command, str(scenario), "--folds", folds, *out], capsys)
    assert line == (
        f"wcitsim: error: --folds {folds}: the {n} known states cannot be split into {folds} folds stratified by "
        f"decision and ITU region; expected 2 to {most} folds, or 'loo' (leave one out)"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["toy_all.toml"]


def test_a_scenario_seating_few_known_states_is_told_how_it_can_be_validated(capsys):
    line = _usage_error(["validate", str(TOY), "--folds", "3"], capsys)  # the toy seats 6, one per stratum
    assert line.endswith("the 6 known states cannot be split into 3 folds stratified by decision and ITU region; "
                         "expected 'loo' (leave one out)")  # fmt: skip


def test_replications_beyond_the_memory_are_refused_with_the_bound(monkeypatch, capsys):
    from dataclasses import fields

    from wcitsim.cli import options
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.core.outcome import Outcome

    monkeypatch.setattr(options, "machine_memory", lambda: 2**30)
    n, k, s, m = 6, 3, 2, len(FIELD_MEASURES)  # the toy: 6 seated, 3 clauses, 2 sessions
    # position, interest, salience, votes (N × K); gain, probability, signed (N); drafts (S × K); field; the rest
    others = len(fields(Outcome)) - 9
    each = 3 * 8 * (4 * n * k + 3 * n + s * k + 2 * (s + 1) * m + others * (k + s))
    assert options.replication_bytes(n, k, s) == each
    most = 2**29 // each
    line = _usage_error(["explain", str(TOY), "USA", "--reps", str(most + 1)], capsys)
    assert f"--reps {most + 1}: about " in line
    assert f"expected at most {most:,} replications (half of this machine's 1.0 GiB" in line
    assert "per replication of 6 delegations × 3 clauses" in line


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("local", True), ("tcp://127.0.0.1:8786", True), ("tls://scheduler.example:443", True),
        ("tcp://[::1]:8786", True), ("tcp://h:99999", False), ("tcp://h:0", False), ("127.0.0.1:8786", False),
        ("tcp://:8786", False), ("tcp://h", False), ("http://h:8786", False), ("tcp://h:8786/x", False),
        ("tcp://u:p@h:8786", False), ("", False), ("tcp://h:port", False),
    ],
)  # fmt: skip
def test_a_scheduler_address_is_checked_before_connecting(address, ok):
    import argparse

    from wcitsim.cli import options

    if ok:
        assert options.scheduler(address) == address
    else:
        with pytest.raises(
            argparse.ArgumentTypeError, match="is not an address; expected 'local' or a scheduler"
        ):
            options.scheduler(address)


# ---------------------------------------------------------------- output paths


@pytest.mark.parametrize("where", ["folder", "under a file", "read-only", "folder under a file"])
@pytest.mark.parametrize("command", ["handout", "calibrate"])
def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, command, where, capsys):
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    (tmp_path / "a_folder").mkdir()
    out = {
        "folder": tmp_path / "a_folder",
        "under a file": tmp_path / "a_file" / "h.html",
        "read-only": Path("/proc/wcitsim-test.html"),
        "folder under a file": tmp_path / "a_file" / "deeper" / "h.html",
    }[where]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    line = _usage_error([command, str(TOY), "--out", str(out), "--reps", "1"], capsys)
    assert line.startswith(f"wcitsim: error: --out {out}: ")
    expected = {"folder": "is a folder; expected the path of a file to write",
                "read-only": "cannot write this file (/proc: "}.get(where, f"{tmp_path / 'a_file'} is a file")  # fmt: skip
    assert expected in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no .NAME.tmp, no folder made


# ---------------------------------------------------------------- JSON that strict readers accept


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_one_delegation_run_prints_standard_json(tmp_path, capsys):
    scenario = tmp_path / "one.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\ninclude = ["USA"]\n', encoding="utf-8")
    assert main(["run", str(scenario), "--reps", "2", "--json", "--no-write"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert summary["countries"]["n_known"] == 1
    assert summary["countries"]["auc"] is None  # undefined with one delegation: null, not NaN


def test_json_text_writes_null_for_what_is_not_a_number():
    import numpy as np

    from wcitsim.cli.options import json_text

    payload = {"a": float("nan"), "b": [np.float64("inf"), -float("inf"), 1.5], "c": np.array([np.nan, 2]),
               "d": {"e": np.int64(3), "f": (float("nan"),)}, "g": "NaN"}  # fmt: skip
    assert _strict(json_text(payload)) == {"a": None, "b": [None, None, 1.5], "c": [None, 2.0],
                                           "d": {"e": 3, "f": [None]}, "g": "NaN"}  # fmt: skip


def test_a_one_delegation_run_writes_standard_json_files(tmp_path, capsys):
    scenario = tmp_path / "one.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\ninclude = ["USA"]\n', encoding="utf-8")
    assert main(["run", str(scenario), "--reps", "2", "--no-figures", "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    written = sorted((tmp_path / "out").rglob("*.json"))
    assert written
    for path in written:
        _strict(path.read_text(encoding="utf-8"))
