"""``wcitsim data`` through every entry point, and its errors."""

from __future__ import annotations

import json
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
