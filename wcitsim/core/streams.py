"""The random streams of a stack of replications: one numpy Generator per replication, and their seeds.

Both are re-exported by :mod:`wcitsim.core.world`, where the rest of the code imports them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["PendingDraws", "Streams", "replication_seeds", "seed_batches"]

_WORD = (1 << 64) - 1


class PendingDraws:
    """The streams' states held by a compiled kernel, which draws the next uniforms itself.

    ``states`` (R × 4, uint64) are each PCG64's state and increment, low and high
    words (:mod:`wcitsim.core.kernels_streams`); :meth:`Streams.hold` makes one,
    :meth:`Streams.release` writes the advanced states back. While they are held,
    nothing else may draw from the generators.
    """

    def __init__(self, states: np.ndarray) -> None:
        self.states = states


class Streams:
    """The random streams of a stack of replications: one numpy Generator per replication.

    Every draw of a replication comes from its own generator, in the order the
    model makes them (position noise, salience noise, one shock per session, the
    signing draw), so a replication's result does not depend on which other
    replications share its batch, nor on the engine: the reference engine draws
    the same numbers from ``model.rng`` in the same order.

    A Generator's numbers do not depend on how many are drawn per call, so
    :meth:`normal` of shape (2, N, K) draws the two opening blocks at once; and
    :meth:`hold` lends the PCG64 states to the compiled kernels, which draw a
    session's shocks themselves, the same numbers (:mod:`wcitsim.core.kernels_streams`).
    """

    def __init__(self, seeds: list[int]) -> None:
        self.seeds = list(seeds)
        self.generators = [np.random.Generator(np.random.PCG64(seed)) for seed in self.seeds]

    @classmethod
    def of(cls, generators: list[np.random.Generator]) -> Streams:
        """Streams that draw from these generators (e.g. a Mesa model's ``rng``; its seeds are unknown: None)."""
        streams = cls([])
        streams.seeds, streams.generators = [None] * len(generators), list(generators)
        return streams

    def __len__(self) -> int:
        return len(self.generators)

    def normal(self, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normal draws, one block of ``shape`` per replication."""
        out = np.empty((len(self.generators), *shape))
        for row, generator in zip(out, self.generators, strict=True):
            generator.standard_normal(out=row)
        return out

    def uniform(self, shape: tuple[int, ...]) -> np.ndarray:
        """Uniform [0, 1) draws, one block of ``shape`` per replication."""
        out = np.empty((len(self.generators), *shape))
        for row, generator in zip(out, self.generators, strict=True):
            generator.random(out=row)
        return out

    def hold(self) -> PendingDraws | None:
        """Hand the generators' states to compiled kernels (None unless every one is a PCG64)."""
        if not all(type(g.bit_generator) is np.random.PCG64 for g in self.generators):
            return None
        states = np.empty((len(self.generators), 4), dtype=np.uint64)
        for row, generator in zip(states, self.generators, strict=True):
            pcg = generator.bit_generator.state["state"]
            row[:] = (pcg["state"] & _WORD, pcg["state"] >> 64, pcg["inc"] & _WORD, pcg["inc"] >> 64)
        return PendingDraws(states)

    def release(self, pending: PendingDraws) -> None:
        """Take the states back from the kernels: the generators go on where the kernels' draws ended."""
        for (lo, hi, inc_lo, inc_hi), generator in zip(pending.states.tolist(), self.generators, strict=True):
            state = generator.bit_generator.state
            state["state"] = {"state": (hi << 64) | lo, "inc": (inc_hi << 64) | inc_lo}
            generator.bit_generator.state = state


#: Children of a SeedSequence spawned at a time: a million replications never hold a million children.
SPAWN = 4096


def seed_batches(root: int, replications: int, batch: int = SPAWN) -> Iterator[list[int]]:
    """The replications' integer seeds (children of ``SeedSequence(root)``), ``batch`` at a time.

    Spawning a batch at a time numbers the children as spawning them all at once does,
    so the seeds are the same whatever ``batch``.
    """
    parent = np.random.SeedSequence(root)
    for start in range(0, replications, batch):
        children = parent.spawn(min(batch, replications - start))
        yield [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def replication_seeds(root: int, replications: int) -> list[int]:
    """Integer seeds of the replications: children of ``SeedSequence(root)``."""
    return [seed for batch in seed_batches(root, replications) for seed in batch]
