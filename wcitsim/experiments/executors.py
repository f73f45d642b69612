"""Where a sweep's tasks run: in this process, on local worker processes, or on a Dask cluster.

Every executor is a context manager with ``map_unordered(function, items)``,
which yields ``(item, result)`` pairs as tasks finish. Results depend only on the
items (each carries its own seeds), so every executor gives the same tables.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection

from wcitsim.errors import UsageError

__all__ = ["DaskExecutor", "ProcessExecutor", "SerialExecutor", "Started", "make_executor", "one_thread"]


#: Modules a worker imports before its first task (by name: the executors do not depend on what they run).
PRELOAD = (
    "wcitsim.experiments.sweep_run",
    "wcitsim.experiments.runner",
    "wcitsim.metrics",
    "wcitsim.core.protocols",
    "wcitsim.core.kernels_session",  # the compiled kernels (numba), loaded once for every worker
    "wcitsim.core.kernels_rules",
    "wcitsim.core.kernels_measures",
)


def _warm() -> None:
    """Import the sweep's modules in a worker before the first task."""
    for name in PRELOAD:
        importlib.import_module(name)


#: Kept to 1 in every worker: BLAS's threads, and wcitsim's own (:func:`wcitsim.core.kernels.threads`).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "WCITSIM_THREADS")
#: Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers. Setting any malloc threshold turns off glibc's
#: dynamic mmap threshold, so every numpy temporary of a batch (≈400 KB) is mapped and unmapped again:
#: measured here, that makes a worker 2-2.5 times slower. A local cluster's workers start without it.
DASK_LOCAL_CONFIG = {"distributed.nanny.pre-spawn-environ": dict.fromkeys(THREAD_VARIABLES, 1)}


def one_thread() -> None:
    """Keep each worker to one thread (BLAS's, and wcitsim's protocols'): the workers are the parallelism."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def _exit_when_closed(alive: Connection) -> None:
    """Wait until the other end of ``alive`` closes (the main process ended, however), then exit at once."""
    with contextlib.suppress(EOFError, OSError):
        alive.recv_bytes()
    os._exit(1)


def _start_worker(alive: Connection) -> None:
    """A worker's initializer: one BLAS thread, and a watchdog that ends the worker when the main process ends.

    The workers are children of the forkserver, not of the main process, and the
    forkserver lives as long as they do, so neither notices a killed main process by
    itself; the watchdog reads a pipe whose only writing end the main process holds.
    """
    one_thread()
    threading.Thread(target=_exit_when_closed, args=(alive,), name="wcitsim-watchdog", daemon=True).start()


def _noop(_: int) -> None:
    return None


class Started:
    """An executor already entered: ``with Started(ex)`` neither starts nor stops it (to time start-up apart)."""

    def __init__(self, executor) -> None:
        self.executor = executor

    def __enter__(self):
        return self.executor

    def __exit__(self, *exc) -> None:
        return None


class SerialExecutor:
    """Runs every task in this process, in order."""

    workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map_unordered(self, function: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        for item in items:
            yield item, function(item)


class ProcessExecutor:
    """Local worker processes (forkserver), at most ``2 × workers`` tasks in flight.

    The workers end within moments when the main process ends, even by ``kill -9``
    (:func:`_start_worker`); on an error or an interruption in the main process they
    are stopped at once instead of finishing their tasks. Workers that cannot start,
    or one that dies in a task (killed, out of memory), end the sweep with one line.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __enter__(self) -> ProcessExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        self._watched, self._alive = context.Pipe(duplex=False)  # each worker gets a copy of the reading end
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_worker, initargs=(self._watched,)
        )
        try:
            list(self.pool.map(_noop, range(self.workers)))  # start the workers now, not on the first task
        except (OSError, BrokenProcessPool) as err:
            self.__exit__(type(err), err, None)
            raise UsageError(
                f"--workers {self.workers}: the worker processes did not start ({err}); expected fewer workers"
            ) from None
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:
            self._alive.close()  # the workers exit now, without finishing their tasks
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._alive.close()
        self._watched.close()

    def map_unordered(self, function: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        try:
            pending, queue = {}, iter(items)
            for item in queue:
                pending[self.pool.submit(function, item)] = item
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    yield item, future.result()
                    for nxt in queue:
                        pending[self.pool.submit(function, nxt)] = nxt
                        break
        except BrokenProcessPool:
            raise UsageError(
                "--workers: a worker process ended in the middle of a task (killed, or out of memory); "
                "expected it to finish: run the same command with --resume to continue"
            ) from None


class DaskExecutor:
    """A Dask distributed cluster: ``address`` of a scheduler, or ``"local"`` for a LocalCluster of ``workers``."""

    def __init__(self, address: str, workers: int) -> None:
        self.address, self.workers = address, workers

    def __enter__(self) -> DaskExecutor:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--scheduler needs Dask: pip install 'wcitsim[dist]'") from None
        if self.address == "local":
            quiet = dict.fromkeys(THREAD_VARIABLES, "1")
            saved = {name: os.environ.get(name) for name in (*quiet, "MALLOC_TRIM_THRESHOLD_")}
            os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # left by an earlier cluster's nanny
            os.environ.update(quiet)  # the workers inherit one BLAS thread each
            import dask

            try:
                with dask.config.set(DASK_LOCAL_CONFIG):
                    self.cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                    )
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            self.client = Client(self.cluster)
        else:
            self.cluster = None
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, ValueError, TypeError) as err:
                raise UsageError(
                    f"--scheduler {self.address}: cannot connect ({err}); expected a running Dask scheduler"
                ) from None
        self.client.run(one_thread)
        self.client.run(_warm)
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map_unordered(self, function: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        from dask.distributed import as_completed

        items = list(items)
        futures = self.client.map(function, items, pure=False)
        index = {f.key: item for f, item in zip(futures, items, strict=True)}
        for future in as_completed(futures):
            yield index[future.key], future.result()


def make_executor(workers: int, scheduler: str | None):
    """The executor a command line asks for."""
    if scheduler:
        return DaskExecutor(scheduler, workers)
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)
