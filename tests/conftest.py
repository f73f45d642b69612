"""Shared fixtures: a writable copy of the shipped data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wcitsim.data import default_data_dir


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the package's data files that a test may break."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("states.csv", "wcit2012_record.csv", "facts.toml"):
        shutil.copy(default_data_dir() / name, target / name)
    return target


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def teach_server():
    """`wcitsim teach` on a free loopback port, for the page's tests; yields its address."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wcitsim", "teach", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(address, timeout=5).close()
            break
        except OSError:
            time.sleep(0.5)
    yield address
    proc.terminate()
    proc.wait(timeout=20)
