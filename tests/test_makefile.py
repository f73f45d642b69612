"""The Makefile's promise: without a Python >= 3.12 it says so in one clear sentence."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_make_without_a_recent_python_says_what_to_install(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "sh", "ls", "sort", "echo", "env"):
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    old = bindir / "python3"
    old.write_text("#!/bin/sh\nexit 1\n")  # a Python that is too old: the version check fails
    old.chmod(0o755)
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    done = subprocess.run(
        [shutil.which("make"), "run"],
        cwd=tmp_path,
        env={"PATH": str(bindir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "needs Python 3.12 or newer" in done.stderr
    assert "install python3.12 or python3.13" in done.stderr
    assert not (tmp_path / ".venv").exists()
