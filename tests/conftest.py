"""Shared fixtures: a writable copy of the shipped data folder, the teaching page's server, a loader for
the scripts in tools/, and a guard that fails the run when the tests leave a process running (a server,
a sweep's workers)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from wcitsim.data import default_data_dir

#: The repository's root, whose tools/ folder holds the scripts :func:`load_tool` loads.
ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str):
    """The script ``tools/<name>.py`` as a fresh module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


#: The processes the tests left running, as the guard found them (pid and command line).
LEFT_BEHIND = pytest.StashKey[list[str]]()
#: Seconds that processes the tests have stopped get to exit before the guard counts them as left behind.
GRACE = 5.0
#: prctl(2) option: orphaned descendants are reparented to this process instead of init.
PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the package's data files that a test may break."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("states.csv", "wcit2012_record.csv", "facts.toml"):
        shutil.copy(default_data_dir() / name, target / name)
    return target


def free_port() -> int:
    """A free TCP port on every interface (the class server listens on 0.0.0.0, so loopback alone is not enough)."""
    import socket

    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
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


def descendants(pid: int) -> list[int]:
    """The live processes under ``pid``, at any depth (zombies excluded)."""
    try:
        found = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p.pid for p in found if running(p.pid)]


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_running_after(pids: list[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for the processes ``pids`` to end; return those still running then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(running, pids)):
        time.sleep(0.1)
    return [pid for pid in pids if running(pid)]


def kill_all(pids: list[int]) -> None:
    """Kill whichever of ``pids`` still runs (a test's clean-up after a failed check)."""
    for pid in filter(running, pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _become_subreaper() -> None:
    """Have orphaned descendants (the child of a process a test killed) reparented to this process, not init."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _own_helpers() -> set[int]:
    """This process's multiprocessing forkserver and resource tracker: they end when it ends."""
    from multiprocessing import forkserver, resource_tracker

    pids = (
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    )
    return {pid for pid in pids if pid}


def _reap(me) -> None:
    """Collect the exit status of this process's finished children that nobody waits for (adopted orphans)."""
    for child in me.children():
        with contextlib.suppress(psutil.Error):
            if child.status() == psutil.STATUS_ZOMBIE:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child.pid, os.WNOHANG)


def _left_behind(me, before: set[tuple[int, float]]) -> list:
    """The processes under this one that the tests started and that are still running after the grace period."""
    deadline = time.monotonic() + GRACE
    while True:
        _reap(me)
        helpers = _own_helpers()
        left = []
        for proc in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if (
                    proc.pid not in helpers
                    and (proc.pid, proc.create_time()) not in before
                    and running(proc.pid)
                ):
                    left.append(proc)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _describe(proc) -> str:
    try:
        return f"pid {proc.pid}: {' '.join(proc.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {proc.pid}"


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind(request):
    """At the end of the session, kill every process the tests started and left running, and fail the run.

    The pytest process becomes a child subreaper (Linux), so a server orphaned by a
    killed parent is found too. Processes that end within :data:`GRACE` seconds (a
    browser closing) and this process's own multiprocessing helpers are not counted.
    """
    _become_subreaper()
    me = psutil.Process()
    before = set()
    for proc in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            before.add((proc.pid, proc.create_time()))
    yield
    left = _left_behind(me, before)
    if left:
        request.config.stash[LEFT_BEHIND] = [_describe(proc) for proc in left]
        for proc in left:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(left, timeout=5)
        _reap(me)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Say which processes the tests left running, and make the run fail (after the fixtures' teardown)."""
    left = session.config.stash.get(LEFT_BEHIND, [])
    if not left:
        return
    lines = [f"the tests left {len(left)} process(es) running (killed now):", *left]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print("\n".join(lines), file=sys.stderr)
    else:
        reporter.line("")
        reporter.write_sep("=", "processes left running", red=True, bold=True)
        for line in lines:
            reporter.line(line, red=True)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
