"""Progress of long runs on stderr: a rich progress bar on a terminal, a plain line now and then otherwise.

Library code reports progress through a callback ``progress(done, total)`` (replications
done so far, replications in all); this module renders it, so that only the command
line prints.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["LOG_INTERVAL", "ProgressCallback", "replications_progress"]

#: A library's progress report: (replications done, replications in all).
ProgressCallback = Callable[[int, int], None]
#: Seconds between two plain progress lines when stderr is not a terminal.
LOG_INTERVAL = 5.0


class _Rate(ProgressColumn):
    """Replications per second."""

    def render(self, task: Task) -> Text:
        return Text("-- rep/s" if task.speed is None else f"{task.speed:.0f} rep/s")


@contextmanager
def _bar(label: str) -> Iterator[ProgressCallback]:
    """A transient rich progress bar on stderr, with rate and time left."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("replications"), _Rate(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _log(label: str, interval: float) -> ProgressCallback:
    """One plain line on stderr at most every ``interval`` seconds, and one when all is done."""
    start = time.perf_counter()
    last = -interval

    def update(done: int, total: int) -> None:
        nonlocal last
        now = time.perf_counter() - start
        if now - last >= interval or done >= total:
            print(f"{label}: {done}/{total} replications ({done / max(now, 1e-9):.0f}/s)", file=sys.stderr)
            last = now

    return update


@contextmanager
def replications_progress(
    label: str, enabled: bool = True, interval: float = LOG_INTERVAL
) -> Iterator[ProgressCallback | None]:
    """A progress callback for the length of the ``with`` block.

    Args:
        label: What runs (``sweep``), the first word of the bar or line.
        enabled: False gives None: no progress output.
        interval: Seconds between two plain lines when stderr is not a terminal.

    Yields:
        ``progress(done, total)``, or None when disabled.
    """
    if not enabled:
        yield None
    elif sys.stderr.isatty():
        with _bar(label) as update:
            yield update
    else:
        yield _log(label, interval)
