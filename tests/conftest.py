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


class ClassServer:
    """`wcitsim teach --class` in a subprocess on a free loopback port, saving under ``folder``."""

    def __init__(self, folder, *args: str) -> None:
        import subprocess
        import sys

        self.folder = folder
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wcitsim", "teach", "--class", "--no-open", "--host", "127.0.0.1",
             "--port", str(self.port), "--folder", str(folder), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.address = f"http://127.0.0.1:{self.port}/"
        self.banner = self._wait()
        self.output: list[str] = []  # what the server prints afterwards, drained so that it never blocks

        def drain() -> None:
            for line in self.proc.stdout:
                self.output.append(line)

        import threading

        self.drain = threading.Thread(target=drain, daemon=True)
        self.drain.start()
        self.code = self.banner.split("join code ")[1].split()[0]
        self.key = self.banner.split("teacher?key=")[1].split()[0]

    def _wait(self) -> str:
        import time
        import urllib.request

        lines = [self.proc.stdout.readline() for _ in range(5)]
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.address + "api/public", timeout=5).close()
                return "".join(lines)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the class server did not start: " + "".join(lines))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.drain.join(timeout=5)
