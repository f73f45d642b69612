"""The compiled kernels of the field's measures (numba): k-means and the silhouette of each field.

:func:`kmeans` and :func:`silhouettes` are :func:`~wcitsim.core.measures.find_poles`'
search written as loops, one field at a time: farthest-first k-means for k = 2 … kmax
(Lloyd steps until the labels repeat), then every partition's mean silhouette in one
pass over the pairs of delegations. Given the Gram matrix numpy computes today (``gram``), the
distances are today's to the last bit, so the silhouettes agree to rounding
(≈ 1e-15); above :data:`~wcitsim.core.measures.GRAM_MAX` delegations, where that
matrix would not fit, they are computed pair by pair from the differences.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["best_split", "kmeans", "silhouettes"]


@njit(cache=True, error_model="numpy")
def kmeans(fields, norms, first, kmax, steps):
    """Farthest-first k-means of each field (B × N × K, centred) for k = 2 … kmax: labels (B, kmax − 1, N).

    ``norms`` (B × N) are the points' squared norms, ``first`` (B) the point farthest
    from the mean, where each search starts; Lloyd steps until the labels repeat, at
    most ``steps`` (:func:`~wcitsim.core.measures._kmeans`).
    """
    b, n, dim = fields.shape
    out = np.zeros((b, max(kmax - 1, 0), n), dtype=np.int64)
    centres = np.empty((kmax, dim))
    nearest, cc, count, total = np.empty(n), np.empty(kmax), np.empty(kmax), np.empty((kmax, dim))
    for f in range(b):
        x, xx = fields[f], norms[f]
        for k in range(2, kmax + 1):
            labels = out[f, k - 2]
            for c in range(dim):
                centres[0, c] = x[first[f], c]
            for i in range(n):
                d = 0.0
                for c in range(dim):
                    d += (x[i, c] - centres[0, c]) ** 2
                nearest[i] = d
            for j in range(1, k):  # the next centre: the point farthest from those chosen (the first if tied)
                pick = 0
                for i in range(n):
                    if nearest[i] > nearest[pick]:
                        pick = i
                for c in range(dim):
                    centres[j, c] = x[pick, c]
                for i in range(n):
                    d = 0.0
                    for c in range(dim):
                        d += (x[i, c] - centres[j, c]) ** 2
                    nearest[i] = min(nearest[i], d)
            labels[:] = -1
            for _ in range(steps):
                for j in range(k):
                    s = 0.0
                    for c in range(dim):
                        s += centres[j, c] * centres[j, c]
                    cc[j] = s
                changed = False
                for i in range(n):  # |x|² − 2 x·c + |c|², the nearest centre (the first if tied)
                    best, arg = np.inf, 0
                    for j in range(k):
                        g = 0.0
                        for c in range(dim):
                            g += x[i, c] * centres[j, c]
                        d = max((xx[i] - 2.0 * g) + cc[j], 0.0)
                        if d < best:
                            best, arg = d, j
                    if labels[i] != arg:
                        labels[i] = arg
                        changed = True
                if not changed:
                    break
                count[:] = 0.0
                total[:] = 0.0
                for i in range(n):
                    count[labels[i]] += 1.0
                    for c in range(dim):
                        total[labels[i], c] += x[i, c]
                for j in range(k):  # a centre left without points keeps its place
                    if count[j] > 0:
                        for c in range(dim):
                            centres[j, c] = total[j, c] / count[j]
    return out


@njit(cache=True, error_model="numpy")
def silhouettes(fields, norms, gram, labels):
    """The mean silhouette (:func:`~wcitsim.core.measures.silhouette`) of each partition ``labels``
    (B × P × N, partition p into p + 2 clusters) of each field: (B, P).

    With ``gram`` (B × N × N, x xᵀ) the distances are numpy's, d_ij = √max(|x_i|² − 2 x_i·x_j + |x_j|², 0)
    from row i (d_ii included: the Gram form does not always give 0); with ``gram``
    (1 × 0 × 0) they come from the differences, each pair once.
    """
    b, n, dim = fields.shape
    parts = labels.shape[1]
    kmax = parts + 1
    score = np.zeros((b, parts))
    to = np.empty((parts, n, kmax))  # summed distances from each point to each cluster's points
    row = np.empty(n)
    acc = np.empty((4, kmax))  # four partial sums, so that additions to one cluster need not wait
    count = np.empty(kmax)
    for f in range(b):
        x, xx, lab = fields[f], norms[f], labels[f]
        to[:] = 0.0
        for i in range(n):
            if gram.shape[1]:
                for j in range(n):
                    row[j] = np.sqrt(max((xx[i] - 2.0 * gram[f, i, j]) + xx[j], 0.0))
            else:
                for j in range(n):
                    s = 0.0
                    for c in range(dim):
                        s += (x[i, c] - x[j, c]) ** 2
                    row[j] = np.sqrt(s)
            for p in range(parts):
                acc[:] = 0.0
                for j in range(n):
                    acc[j & 3, lab[p, j]] += row[j]
                for c in range(kmax):
                    to[p, i, c] = (acc[0, c] + acc[1, c]) + (acc[2, c] + acc[3, c])
        for p in range(parts):
            k = p + 2
            count[:] = 0.0
            for i in range(n):
                count[lab[p, i]] += 1.0
            total = 0.0
            for i in range(n):
                own = lab[p, i]
                if count[own] <= 1:
                    continue  # a point alone in its cluster scores 0
                a = to[p, i, own] / max(count[own] - 1.0, 1.0)
                nearest = np.inf
                for c in range(k):
                    if c != own and count[c] > 0:
                        nearest = min(nearest, to[p, i, c] / count[c])
                top = max(a, nearest)
                if top > 0 and np.isfinite(top):
                    total += (nearest - a) / top
            score[f, p] = total / n
    return score


@njit(cache=True, error_model="numpy")
def best_split(centres, shares, splits):
    """The between-camp variance of the best split of the groups into two camps (B): centres (B, G, K),
    population shares (B, G), the splits (S, G) as 0/1 (:func:`~wcitsim.core.measures.bipolarity_of`)."""
    b, g, dim = centres.shape
    best = np.zeros(b)
    m1, m0 = np.empty(dim), np.empty(dim)
    for f in range(b):
        total = 0.0
        for a in range(g):
            total += shares[f, a]
        for s in range(splits.shape[0]):
            w1 = 0.0
            m1[:] = 0.0
            m0[:] = 0.0
            for a in range(g):
                w = shares[f, a]
                w1 += w * splits[s, a]
                for c in range(dim):
                    m1[c] += w * splits[s, a] * centres[f, a, c]
                    m0[c] += w * (1.0 - splits[s, a]) * centres[f, a, c]
            w0 = total - w1
            captured1, captured0 = 0.0, 0.0
            for c in range(dim):
                one, zero = m1[c] / max(w1, 1e-300), m0[c] / max(w0, 1e-300)
                mean = w1 * one + w0 * zero
                captured1 += (one - mean) ** 2
                captured0 += (zero - mean) ** 2
            best[f] = max(best[f], w1 * captured1 + w0 * captured0)
    return best
