"""Statistics over replications that arrive in batches: running sums and counts, the same whatever the batching.

A run's summary is a set of means, shares, distributions and intervals over its
replications. Kept as running sums and counts, a run of a million replications
holds no more than a run of a thousand, and the batches may be of any size:

- :class:`RowSum`, the mean of an array per replication (P(sign) per state, the
  field per session): the rows are added one by one in replication order, so the
  sum is the same however the replications were batched (it is numpy's sum of the
  whole stack along its first axis, to the last bit when the stack is C-ordered,
  and equal to rounding otherwise);
- :class:`ExactSum`, the mean of a number per replication (a tally, an error):
  the sum is exact, so the mean is the correctly rounded one whatever the order
  (numpy's pairwise sum of the whole stack can differ from it in the last bit);
- :class:`Counts`, how often each discrete value occurred (signatories, a clause's
  text, pole counts, movers): shares, modes, means, medians and quantiles from
  them are exact, and the quantiles and medians are numpy's (linear interpolation).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from fractions import Fraction

import numpy as np

__all__ = ["Counts", "ExactSum", "RowSum", "exact_mean"]

#: Every finite float64 is a whole multiple of 2**-1126 (a 53-bit mantissa times 2**(exponent - 53), exponent ≥ -1073).
_SCALE = 1126
#: One NaN stands for all: a dict finds a key by identity before equality, and NaN equals nothing.
_NAN = float("nan")


def exact_mean(total: Fraction | int, count: int) -> float:
    """``total / count`` correctly rounded to a float."""
    return float(Fraction(total) / count)


class RowSum:
    """The running sum of one array per replication, the rows added one by one in replication order."""

    def __init__(self) -> None:
        self.total: np.ndarray | None = None
        self.count = 0

    def add(self, rows: np.ndarray) -> None:
        """Add the arrays of a batch of replications (``rows``: replications × the array's shape)."""
        for row in rows:
            if self.total is None:
                self.total = np.array(row, dtype=float)
            else:
                self.total += row
        self.count += len(rows)

    def mean(self) -> np.ndarray | None:
        """The mean over the replications added (None before any)."""
        return None if self.total is None else self.total / self.count


class ExactSum:
    """Exact running sums of float64 values in ``columns`` columns; NaN and infinities pass through as numpy's do."""

    def __init__(self, columns: int = 1) -> None:
        self.scaled = [0] * columns  # each sum times 2**_SCALE, a whole number
        self.special = np.zeros(columns)  # the sum of the NaNs and infinities added
        self.count = 0

    def add(self, values: np.ndarray) -> None:
        """Add a batch of values (``values``: replications × columns, or replications for one column)."""
        values = np.asarray(values, dtype=float).reshape(len(values), -1)
        finite = np.isfinite(values)
        if not finite.all():
            with np.errstate(invalid="ignore"):  # infinities of both signs: NaN, as numpy's sum gives
                self.special += np.where(finite, 0.0, values).sum(axis=0)
        mantissa, exponent = np.frexp(np.where(finite, values, 0.0))
        whole = (mantissa * 2.0**53).astype(np.int64)  # exact: |mantissa| < 1 has 53 bits
        shift = exponent.astype(np.int64) + (_SCALE - 53)
        high, low = whole >> 26, whole & ((1 << 26) - 1)  # halves whose sums cannot overflow
        for j in range(values.shape[1]):
            for s in np.unique(shift[:, j]):
                rows = shift[:, j] == s
                part = (int(high[rows, j].sum()) << 26) + int(low[rows, j].sum())
                self.scaled[j] += part << int(s)
        self.count += len(values)

    def mean(self) -> list[float]:
        """The correctly rounded mean of each column (NaN or an infinity where one was added)."""
        return [
            float(special / self.count)
            if special != 0 or math.isnan(special)
            else exact_mean(Fraction(scaled, 1 << _SCALE), self.count)
            for scaled, special in zip(self.scaled, self.special, strict=True)
        ]


class Counts:
    """How often each value occurred, in the order the values first occurred."""

    def __init__(self) -> None:
        self.counts: dict[Hashable, int] = {}
        self.total = 0

    @staticmethod
    def _key(value) -> Hashable:
        if isinstance(value, (float, np.floating)):
            return _NAN if math.isnan(value) else float(value)
        if isinstance(value, np.integer):
            return int(value)
        return value

    def add(self, values: Iterable) -> None:
        """Count a batch of values (numbers or strings)."""
        values = np.asarray(values)
        if values.dtype.kind in "biuf" and len(values):
            keys, first, counts = np.unique(values, return_index=True, return_counts=True)
            for i in np.argsort(first, kind="stable"):
                key = self._key(keys[i])
                self.counts[key] = self.counts.get(key, 0) + int(counts[i])
        else:
            for value in values.tolist():
                key = self._key(value)
                self.counts[key] = self.counts.get(key, 0) + 1
        self.total += len(values)

    def add_counts(self, values: np.ndarray, counts: np.ndarray) -> None:
        """Count ``counts[i]`` occurrences of ``values[i]`` (e.g. from ``np.bincount``)."""
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            if count:
                key = self._key(value)
                self.counts[key] = self.counts.get(key, 0) + count
                self.total += count

    def count(self, value) -> int:
        """How often ``value`` occurred."""
        return self.counts.get(self._key(value), 0)

    def by_count(self) -> list[tuple[Hashable, int]]:
        """The values and their counts, most frequent first; ties in the order they first occurred."""
        return sorted(self.counts.items(), key=lambda item: -item[1])

    def _sorted(self) -> tuple[list, np.ndarray]:
        values = sorted(self.counts)
        return values, np.cumsum([self.counts[v] for v in values])

    def mode(self):
        """The most frequent value; the least of the most frequent ones (as ``np.unique`` sorts them)."""
        best = None
        for value in sorted(self.counts):
            if best is None or self.counts[value] > self.counts[best]:
                best = value
        return best

    def mean(self) -> float:
        """The correctly rounded mean of the (finite, numeric) values."""
        return exact_mean(sum(Fraction(v) * c for v, c in self.counts.items()), self.total)

    def _order(self, values: list, cumulative: np.ndarray, i: int):
        """The ``i``-th smallest value (from 0)."""
        return values[int(np.searchsorted(cumulative, i, side="right"))]

    def quantile(self, q: float) -> float:
        """``np.quantile`` of the values (its default, linear method), exactly."""
        values, cumulative = self._sorted()
        n = self.total
        virtual = (n - 1) * np.float64(q)
        below = math.floor(virtual)
        above = below + 1
        if virtual >= n - 1:
            below = above = n - 1
        gamma = virtual - (below if virtual < n - 1 else -1)
        a, b = self._order(values, cumulative, below), self._order(values, cumulative, above)
        diff = b - a
        return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)

    def median(self) -> float:
        """``np.median`` of the values, exactly."""
        values, cumulative = self._sorted()
        middle = self.total // 2
        if self.total % 2:
            return float(self._order(values, cumulative, middle))
        low, high = self._order(values, cumulative, middle - 1), self._order(values, cumulative, middle)
        return float((np.float64(low) + high) / 2)
