"""Every Python block in the docs runs, and every ``wcitsim`` command in the README works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for page in DOCS:
        for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
            if lang == language:
                found.append((page.name, body))
    return found


@pytest.mark.parametrize(("page", "code"), _blocks("python"), ids=lambda v: v if v.endswith(".md") else "")
def test_python_blocks_run(page, code, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = textwrap.dedent(code)  # a block inside a list item is indented with it
    exec(compile(code, f"{page}:python-block", "exec"), {"__name__": "__doc_example__"})


def _wcitsim_commands() -> list[str]:
    commands = []
    for _, body in _blocks("bash"):
        for line in body.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("wcitsim ") and "my_" not in line:
                commands.append(line)
    return commands


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Where the documented commands write: a fresh folder, not the checkout's results/."""
    return tmp_path_factory.mktemp("results")


@pytest.mark.parametrize("command", _wcitsim_commands())
def test_readme_commands_run(command, results):
    args = [a.replace("results/", f"{results}/") for a in shlex.split(command)[1:]]
    if args[0] in ("sweep", "run", "validate") and "--out" not in args:
        args += ["--out", str(results)]
    done = subprocess.run(
        [sys.executable, "-m", "wcitsim", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_the_documented_calibration_is_the_one_that_wrote_the_baseline():
    """docs/cli.md gives the command the header of scenarios/wcit2012.toml records."""
    header = (ROOT / "scenarios" / "wcit2012.toml").read_text(encoding="utf-8").splitlines()[1]
    command = header.lstrip("# ").strip()
    assert command.startswith("wcitsim calibrate ")
    assert f"{command} --out scenarios/wcit2012.toml" in (ROOT / "docs" / "cli.md").read_text(
        encoding="utf-8"
    )


def test_the_citation_file_names_the_version_and_licence_the_package_declares():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^(cff-version|version|license|title): (.+)$", cff, re.MULTILINE))
    assert fields["cff-version"] == "1.2.0" and fields["version"] == project["version"]
    assert fields["license"] == project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert "WCIT-12" in fields["title"] and "meta.json" in cff  # how to report what was run
    newest = re.search(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert newest and newest.group(1) == project["version"]  # the changelog opens with the version installed
