"""The compiled kernels of the field's measures (numba): k-means and the silhouette of each field.

:func:`farthest`, :func:`kmeans` and :func:`silhouettes` are :func:`~wcitsim.core.measures.find_poles`'
search written as loops, one field at a time, over the points along the vector lanes
(a field is transposed to clauses × delegations first):

- k-means: the farthest-first picks are the same for every k (k takes the first k of
  them), so they and the distances to them are found once; a Lloyd step recomputes the
  distances to a centre, and its sum of members, only if its members changed (a centre
  whose members stay is the same sum, to the bit). Every distance, sum and comparison is
  the one the loop over every centre would make, in the same order: the same labels.
- silhouettes: the partitions for k = 2 … kmax split the field into a few cells (the
  points of the same cluster in every partition; 6 to 20 in the baseline's fields).
  Each point's distances to all others are added, along the lanes, to its cell's sums;
  a cluster's sums are then the sums of its cells. Given the Gram matrix numpy computes
  (``gram``, symmetric to the bit: numpy mirrors one triangle, and each entry is
  the same products in the same order either way), the distances are numpy's to the last
  bit; only the order of the additions differs, so the silhouettes agree to rounding
  (≈ 1e-15). Above :data:`~wcitsim.core.measures.GRAM_MAX` delegations, where that
  matrix would not fit, the distances come point by point from the differences.

Arrays are filled and copied by loops, not slices: numba compiles slice assignments
several times slower, and every kernel here is compiled on its first use.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["CELLS", "best_split", "farthest", "kmeans", "silhouettes"]

#: At most this many cells are summed (memory: cells × N per field); past it, each
#: partition's clusters are summed directly (as many additions per point as partitions).
CELLS = 64


@njit(cache=True, error_model="numpy", inline="always")
def _transpose(x, xt):
    n, dim = x.shape
    for i in range(n):
        for c in range(dim):
            xt[c, i] = x[i, c]


@njit(cache=True, error_model="numpy", inline="always")
def _squared_distances(xt, point, out):
    """Σ_c (x_ic − point_c)², the clauses in order, for every point i along the lanes."""
    dim, n = xt.shape
    out[:] = 0.0
    c = 0
    while c + 4 <= dim:  # four clauses a pass, each added in turn
        r0, r1, r2, r3 = xt[c], xt[c + 1], xt[c + 2], xt[c + 3]
        p0, p1, p2, p3 = point[c], point[c + 1], point[c + 2], point[c + 3]
        for i in range(n):
            out[i] = (((out[i] + (r0[i] - p0) ** 2) + (r1[i] - p1) ** 2) + (r2[i] - p2) ** 2) + (
                r3[i] - p3
            ) ** 2
        c += 4
    while c < dim:
        r, p = xt[c], point[c]
        for i in range(n):
            out[i] += (r[i] - p) ** 2
        c += 1


@njit(cache=True, error_model="numpy", inline="always")
def _gram_distances(xt, xx, centre, out):
    """max(|x_i|² − 2 x_i·c + |c|², 0) for every point i (numpy's ``_sq_distances``, the sums in clause order)."""
    dim, n = xt.shape
    cc = 0.0
    for c in range(dim):
        cc += centre[c] * centre[c]
    out[:] = 0.0
    c = 0
    while c + 4 <= dim:
        r0, r1, r2, r3 = xt[c], xt[c + 1], xt[c + 2], xt[c + 3]
        v0, v1, v2, v3 = centre[c], centre[c + 1], centre[c + 2], centre[c + 3]
        for i in range(n):
            out[i] = (((out[i] + r0[i] * v0) + r1[i] * v1) + r2[i] * v2) + r3[i] * v3
        c += 4
    while c < dim:
        r, v = xt[c], centre[c]
        for i in range(n):
            out[i] += r[i] * v
        c += 1
    for i in range(n):
        out[i] = max((xx[i] - 2.0 * out[i]) + cc, 0.0)


@njit(cache=True, error_model="numpy")
def farthest(fields):
    """The point of each field (B × N × K) farthest from its mean, where k-means starts (B), and whether
    numpy's ``((x - x.mean(1)) ** 2).sum(-1).argmax(1)`` is sure to pick the same point (B).

    It is, if no other point comes within the rounding of both sums (each within
    3 (K + 4) ε of the exact sum about its mean, the two means within 2 (N + 1) ε max|x|),
    or the points that do are the same point (the same numbers: numpy too takes the first).
    """
    b, n, dim = fields.shape
    first, sure = np.zeros(b, dtype=np.int64), np.ones(b, dtype=np.bool_)
    mean, far = np.empty(dim), np.empty(n)
    eps = 2.0**-52
    for f in range(b):
        x = fields[f]
        mean[:] = 0.0
        largest = 0.0
        for i in range(n):
            for c in range(dim):
                mean[c] += x[i, c]
                largest = max(largest, abs(x[i, c]))
        for c in range(dim):
            mean[c] /= n
        top, finite = 0, True
        for i in range(n):
            s = 0.0
            for c in range(dim):
                s += (x[i, c] - mean[c]) ** 2
            far[i] = s
            finite = finite and np.isfinite(s)
            if s > far[top]:
                top = i
        shift = 8.0 * dim * (n + 1) * eps * largest * largest  # from the two means
        margin = 8.0 * (3.0 * (dim + 4) * eps * (far[top] + shift) + shift)
        sure[f] = finite
        for i in range(n):
            if i != top and far[i] >= far[top] - margin:
                for c in range(dim):
                    if x[i, c] != x[top, c]:
                        sure[f] = False
        first[f] = top
    return first, sure


@njit(cache=True, error_model="numpy")
def kmeans(fields, norms, first, kmax, steps):
    """Farthest-first k-means of each field (B × N × K, centred) for k = 2 … kmax: labels (B, kmax − 1, N).

    ``norms`` (B × N) are the points' squared norms, ``first`` (B) the point farthest
    from the mean, where each search starts; Lloyd steps until the labels repeat, at
    most ``steps`` (:func:`~wcitsim.core.measures._kmeans`).
    """
    b, n, dim = fields.shape
    out = np.zeros((b, max(kmax - 1, 0), n), dtype=np.int64)
    xt = np.empty((dim, n))
    picks, centres, total = np.empty((kmax, dim)), np.empty((kmax, dim)), np.empty((kmax, dim))
    to_pick, to_centre = np.empty((kmax, n)), np.empty((kmax, n))  # squared distances, Gram form
    nearest, d, arg = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    count, moved = np.empty(kmax), np.empty(kmax, dtype=np.bool_)
    for f in range(b):
        x, xx = fields[f], norms[f]
        _transpose(x, xt)
        for c in range(dim):
            picks[0, c] = x[first[f], c]
        _squared_distances(xt, picks[0], nearest)
        for j in range(1, kmax):  # the next centre: the point farthest from those chosen (the first if tied)
            pick = 0
            for i in range(n):
                if nearest[i] > nearest[pick]:
                    pick = i
            for c in range(dim):
                picks[j, c] = x[pick, c]
            _squared_distances(xt, picks[j], d)
            for i in range(n):
                nearest[i] = min(nearest[i], d[i])
        for j in range(kmax):
            _gram_distances(xt, xx, picks[j], to_pick[j])
        for k in range(2, kmax + 1):
            labels = out[f, k - 2]
            for i in range(n):
                labels[i] = -1
            for j in range(k):
                for c in range(dim):
                    centres[j, c] = picks[j, c]
                for i in range(n):
                    to_centre[j, i] = to_pick[j, i]
            for step in range(steps):
                for j in range(k):
                    if step and moved[j]:
                        _gram_distances(xt, xx, centres[j], to_centre[j])
                for i in range(n):  # the nearest centre (the first if tied)
                    d[i] = to_centre[0, i]
                    arg[i] = 0
                for j in range(1, k):
                    dj = to_centre[j]
                    for i in range(n):
                        if dj[i] < d[i]:
                            d[i] = dj[i]
                            arg[i] = j
                for j in range(k):
                    moved[j] = False
                changed = False
                for i in range(n):
                    if labels[i] != arg[i]:
                        if labels[i] >= 0:
                            moved[labels[i]] = True
                        moved[arg[i]] = True
                        labels[i] = arg[i]
                        changed = True
                if not changed:
                    break
                for j in range(k):
                    if moved[j]:
                        count[j] = 0.0
                        for c in range(dim):
                            total[j, c] = 0.0
                for i in range(n):  # the members' sums, in their order
                    j = labels[i]
                    if moved[j]:
                        count[j] += 1.0
                        for c in range(dim):
                            total[j, c] += x[i, c]
                for j in range(k):  # a centre left without points keeps its place
                    if moved[j] and count[j] > 0:
                        for c in range(dim):
                            centres[j, c] = total[j, c] / count[j]
    return out


@njit(cache=True, error_model="numpy")
def _cells(labels, cell, member):
    """The cells of partitions ``labels`` (P × N): each point's cell (N) and each cell's cluster in every
    partition (``member``, cells × P); returns the number of cells."""
    parts, n = labels.shape
    key = np.empty(n * (parts + 2), dtype=np.int64)
    first = np.empty(n, dtype=np.int64)  # a point of each cell
    for j in range(n):
        cell[j] = 0
    m = 1
    for p in range(parts):
        k = p + 2
        for q in range(m * k):
            key[q] = -1
        found = 0
        for j in range(n):
            at = cell[j] * k + labels[p, j]
            if key[at] < 0:
                key[at] = found
                first[found] = j
                found += 1
            cell[j] = key[at]
        m = found
    for q in range(m):
        for p in range(parts):
            member[q, p] = labels[p, first[q]]
    return m


@njit(cache=True, error_model="numpy")
def silhouettes(fields, norms, gram, labels, cells):
    """The mean silhouette (:func:`~wcitsim.core.measures.silhouette`) of each partition ``labels``
    (B × P × N, partition p into p + 2 clusters) of each field: (B, P).

    With ``gram`` (B × N × N, x xᵀ) the distances are numpy's, d_ij = √max(|x_i|² − 2 x_i·x_j + |x_j|², 0)
    (d_ii included: the Gram form does not always give 0); with ``gram`` (1 × 0 × 0) they
    come from the differences. Up to ``cells`` cells are summed (:data:`CELLS`; 0: by cluster).
    """
    b, n, dim = fields.shape
    parts = labels.shape[1]
    kmax = parts + 1
    score = np.zeros((b, parts))
    if parts == 0:
        return score
    to = np.empty((parts, kmax, n))  # summed distances from each point (lanes) to each cluster's points
    by_cell = np.empty((min(cells, n), n))
    cell, member = np.empty(n, dtype=np.int64), np.empty((n, parts), dtype=np.int64)
    xt, d, sq = np.empty((dim, n)), np.empty(n), np.empty(n)
    within, apart, count = np.empty(n), np.empty(n), np.empty(kmax)
    for f in range(b):
        x, xx, lab = fields[f], norms[f], labels[f]
        m = _cells(lab, cell, member)
        direct = m > cells
        to[:] = 0.0
        by_cell[: min(m, cells)] = 0.0
        if not gram.shape[1]:
            _transpose(x, xt)
        for j in range(n):  # j's distances to every point (along the lanes), added to its cell's sums
            t = d if direct else by_cell[cell[j]]
            if direct:
                d[:] = 0.0
            if gram.shape[1]:
                g, xj = gram[f, j], xx[j]  # row j of x xᵀ is its column j
                for i in range(n):
                    t[i] += np.sqrt(max((xx[i] - 2.0 * g[i]) + xj, 0.0))
            else:
                _squared_distances(xt, x[j], sq)
                for i in range(n):
                    t[i] += np.sqrt(sq[i])
            if direct:
                for p in range(parts):
                    u = to[p, lab[p, j]]
                    for i in range(n):
                        u[i] += d[i]
        if not direct:  # a cluster's sums: its cells' sums
            for q in range(m):
                for p in range(parts):
                    t, s = to[p, member[q, p]], by_cell[q]
                    for i in range(n):
                        t[i] += s[i]
        for p in range(parts):
            k = p + 2
            count[:] = 0.0
            for i in range(n):
                count[lab[p, i]] += 1.0
            apart[:] = np.inf
            for c in range(k):  # a: the mean distance within the own cluster; b: the least to another
                t, size = to[p, c], count[c]
                others = max(size - 1.0, 1.0)
                for i in range(n):
                    if lab[p, i] == c:
                        within[i] = t[i] / others
                    elif size > 0:
                        apart[i] = min(apart[i], t[i] / size)
            total = 0.0
            for i in range(n):
                if count[lab[p, i]] <= 1:
                    continue  # a point alone in its cluster scores 0
                top = max(within[i], apart[i])
                if top > 0 and np.isfinite(top):
                    total += (apart[i] - within[i]) / top
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
