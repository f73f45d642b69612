"""Which kernels the conference runs: the numpy kernels (the readable specification) or the compiled ones.

The numpy kernels of :mod:`wcitsim.core.session`, :mod:`wcitsim.core.drafting`,
:mod:`wcitsim.core.rules` and :mod:`wcitsim.core.measures` say what the model does;
each rule calls its compiled face in :mod:`wcitsim.core.compiled` when the compiled
kernels are chosen, which does the same in fused numba loops, with the influence
step without an N × N matrix (:mod:`wcitsim.core.influence`). They agree to rounding
(``tests/test_kernels.py`` holds them equal), and every random draw is the same
under both. The compiled kernels are built by numba on their first call and cached
beside their modules (``cache=True``): compiling them all takes some seconds once,
loading them from the cache a fraction of one.

The compiled kernels keep a stack (R, N, K) as *lanes*, (N, K, R) in memory with the
replications last (:func:`lanes`, :func:`stacked`), so that every loop runs over a
delegation's K · R numbers at once; the conference's stacks are views of lanes.

The choice is module-wide, not per thread: ``"compiled"`` by default
(``WCITSIM_KERNELS=numpy`` in the environment chooses the numpy kernels), and
:func:`use` switches for a block::

    with kernels.use("numpy"):
        outcome = run_vectorized(world, streams)

The protocols whose compiled rounds run without the interpreter's lock (``exchange``,
``expected_utility``) share a stack's replications among :func:`threads` threads:
``WCITSIM_THREADS`` if set, else the cores this process may use; a sweep's workers
set it to 1 (the workers are the parallelism there). Each replication is computed
alone, so the results do not depend on the number of threads.

Above :data:`DENSE_MAX` delegations the influence step is matrix-free whatever the
choice: the dense N × N matrix would not fit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from wcitsim.errors import UsageError
from wcitsim.io.files import machine_cores

__all__ = [
    "DENSE_MAX",
    "KERNELS",
    "compiled",
    "current",
    "dense_influence",
    "draft_lanes",
    "in_threads",
    "lanes",
    "set_kernels",
    "stacked",
    "threads",
    "use",
]

#: The kernels one may choose.
KERNELS = ("numpy", "compiled")
#: The most delegations for which the numpy kernels multiply by the dense N × N transition matrix.
DENSE_MAX = 2000

_chosen: list[str] = []


def _checked(name: str, where: str = "kernels") -> str:
    if name not in KERNELS:
        raise UsageError(f"{where}: {name!r}; expected one of {', '.join(KERNELS)}")
    return name


def current() -> str:
    """The kernels in use: ``"compiled"`` or ``"numpy"``."""
    if not _chosen:
        _chosen.append(
            _checked(os.environ.get("WCITSIM_KERNELS", "") or "compiled", "WCITSIM_KERNELS (environment)")
        )
    return _chosen[-1]


def threads(reps: int) -> int:
    """How many threads may step ``reps`` replications at once: ``WCITSIM_THREADS``, else this process's cores."""
    value = os.environ.get("WCITSIM_THREADS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"WCITSIM_THREADS (environment): {value!r}; expected a whole number, 1 or more")
        wanted = int(value)
    else:
        wanted = machine_cores()
    return max(1, min(wanted, reps))


def in_threads(work: Callable, pieces: Iterable, threads: int) -> list:
    """``[work(piece) for piece in pieces]``, on ``threads`` threads when more than one (for compiled kernels
    that run without the interpreter's lock); an error in a thread is raised here."""
    if threads <= 1:
        return [work(piece) for piece in pieces]
    with ThreadPoolExecutor(threads, thread_name_prefix="wcitsim") as pool:
        return list(pool.map(work, pieces))


def compiled() -> bool:
    """Whether the compiled kernels are in use."""
    return current() == "compiled"


def dense_influence(n: int) -> bool:
    """Whether the influence step of ``n`` delegations multiplies by the dense matrix (numpy kernels, small n)."""
    return not compiled() and n <= DENSE_MAX


def set_kernels(name: str) -> None:
    """Choose the kernels from now on (``"numpy"`` or ``"compiled"``)."""
    current()
    _chosen[-1] = _checked(name)


@contextlib.contextmanager
def use(name: str) -> Iterator[str]:
    """Run a block with the kernels ``name``, then return to the previous choice."""
    current()
    _chosen.append(_checked(name))
    try:
        yield name
    finally:
        _chosen.pop()


# ---------------------------------------------------------------- the compiled kernels' layout
def lanes(a: np.ndarray, reps: int | None = None, dtype=float) -> np.ndarray:
    """A stack (..., N, K) as lanes: (N, K, R) C-contiguous, the leading axes flattened to R (broadcast
    to ``reps`` if given). No copy when ``a`` already is a view of lanes (:func:`stacked`)."""
    if type(a) is np.ndarray and a.ndim == 3 and a.dtype == dtype and reps in (None, a.shape[0]):
        view = a.transpose(1, 2, 0)
        if view.flags.c_contiguous:  # already lanes
            return view
    a = np.asarray(a, dtype=dtype)
    n, k = a.shape[-2:]
    if reps is not None and a.reshape(-1, n, k).shape[0] != reps:
        a = np.broadcast_to(a, (reps, n, k))
    return np.ascontiguousarray(a.reshape(-1, n, k).transpose(1, 2, 0))


def stacked(lane_array: np.ndarray, lead: tuple[int, ...] | None = None) -> np.ndarray:
    """Lanes (N, K, R) seen as the stack (*lead, N, K) they hold (default lead: (R,); a view for one axis)."""
    n, k = lane_array.shape[:2]
    return lane_array.transpose(2, 0, 1).reshape(*(lane_array.shape[2:] if lead is None else lead), n, k)


def draft_lanes(draft: np.ndarray, reps: int) -> np.ndarray:
    """Drafts (..., K), broadcast to ``reps``, as (K, R)."""
    draft = np.asarray(draft, dtype=float)
    if draft.shape != (reps, draft.shape[-1]):
        draft = np.broadcast_to(draft, (reps, draft.shape[-1]))
    return np.ascontiguousarray(draft.T)
