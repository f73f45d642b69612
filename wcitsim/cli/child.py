"""A child server in its own process group, stopped with this process on SIGTERM or Ctrl-C.

``wcitsim teach`` serves the page from a ``python -m solara run`` child. Started in a
new session, the child does not see the terminal's Ctrl-C, and stopping ``wcitsim``
would leave it behind: so on SIGTERM or SIGINT this process terminates the child's
whole process group, kills it after a short grace period, and returns.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

__all__ = ["GRACE_SECONDS", "run_child", "stop_child"]

#: Seconds a stopped child has to exit after SIGTERM before it is killed.
GRACE_SECONDS = 5.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stopped(Exception):
    """This process received a stop signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, _frame: object) -> None:
    raise _Stopped(signum)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the child's process group (to the child alone where there are no groups)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signum)
        else:  # pragma: no cover - Windows
            child.send_signal(signum)
    except ProcessLookupError:
        pass


def stop_child(child: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """Terminate the child's process group; kill it if the child is still there after ``grace`` seconds."""
    _signal_group(child, signal.SIGTERM)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))
        child.wait()


def run_child(command: Sequence[str], env: Mapping[str, str], grace: float = GRACE_SECONDS) -> int:
    """Run ``command`` in a new process group until it exits or this process is told to stop.

    Args:
        command: The child's command line.
        env: The child's environment.
        grace: Seconds between terminating and killing the child once stopped.

    Returns:
        The child's exit status; 128 + the signal's number (143) after SIGTERM.

    Raises:
        KeyboardInterrupt: After Ctrl-C (SIGINT), once the child is stopped.
    """
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in _STOP_SIGNALS}
    child = None
    try:
        child = subprocess.Popen(list(command), env=dict(env), start_new_session=True)
        return child.wait()
    except _Stopped as stop:
        for signum in _STOP_SIGNALS:  # a second Ctrl-C does not interrupt the clean-up
            signal.signal(signum, signal.SIG_IGN)
        if child is not None:
            stop_child(child, grace)
        if stop.signum == signal.SIGINT:
            raise KeyboardInterrupt from None
        return 128 + stop.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
