"""The shape of a field of positions in the clause space. Pure, deterministic functions.

A field is N delegations' points in [0, 1]^K (one axis per clause), stacked over
any leading axes: ``(..., N, K)``. Every measure is computed from the points
alone (no random draw), so it never changes a run.

- :func:`clusters`: how many poles the field has. k-means for k = 2 … ``KMAX``
  (farthest-first start, Lloyd steps); the k of greatest mean silhouette
  (Rousseeuw 1987) is the count if that silhouette shows at least "reasonable
  structure" (0.5, Kaufman & Rousseeuw 1990), else the field is one pole. The
  silhouette itself is :func:`separation`. A field whose spread is below
  ``SPREAD`` is unanimous: one pole.
- :func:`first_component_share`: the share of the field's variance on its first
  principal component (1: the field lies on one line).
- :func:`bipolarity`: of the variance between the poles, the share the best
  split of the poles into two camps captures (1: two camps; four equal poles on
  a square: 0.5; one pole: 0).
- :func:`esteban_ray`: Esteban & Ray (1994) polarization over groups (the
  regional groups, or the poles), with distances between group means.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from wcitsim.core import compiled, kernels

__all__ = [
    "ALPHA",
    "FIELD_MEASURES",
    "GRAM_MAX",
    "KMAX",
    "SPREAD",
    "STRUCTURE",
    "Poles",
    "bipolarity",
    "bipolarity_of",
    "clusters",
    "cohesion",
    "esteban_ray",
    "esteban_ray_of",
    "field_shape",
    "find_poles",
    "first_component_share",
    "main_axis",
    "separation",
    "silhouette",
    "spread",
]

#: At most this many poles are looked for (six regional organisations tabled common proposals).
KMAX = 6
#: Mean silhouette from which a partition counts as poles: "reasonable structure" (Kaufman & Rousseeuw 1990).
STRUCTURE = 0.5
#: A field whose points lie this close to their mean (root mean square per clause, on the 0–1 scale
#: of the options) is unanimous: one pole, whatever its shape below that scale.
SPREAD = 0.01
#: Esteban–Ray's sensitivity to identification (their α, between 1 and 1.6).
ALPHA = 1.6
#: Lloyd steps per k; the fields here settle in fewer.
LLOYD_STEPS = 12
#: Above this many delegations the distances come pair by pair from the differences, not from an
#: N × N Gram matrix per field (which the numpy kernels form for all fields at once).
GRAM_MAX = 2048
#: The measures of :func:`field_shape`, in order.
FIELD_MEASURES = (
    "clusters",
    "separation",
    "first_component",
    "bipolarity",
    "er_groups",
    "er_poles",
    "cohesion",
)


def main_axis(position: np.ndarray, salience_norm: np.ndarray) -> np.ndarray:
    """Salience-weighted mean position per delegation, (..., N); ``salience_norm`` sums to 1 over clauses."""
    return (salience_norm * position).sum(axis=-1)


def _flat(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    x = np.asarray(x, dtype=float)
    return x.reshape(-1, *x.shape[-2:]), x.shape[:-2]


def _sq_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared distances of points (B, N, K) to centres (B, k, K): (B, N, k)."""
    d = (
        (x * x).sum(-1)[..., None]
        - 2 * (x @ centres.transpose(0, 2, 1))
        + (centres * centres).sum(-1)[:, None]
    )
    return np.maximum(d, 0.0)


def _kmeans(x: np.ndarray, k: int) -> np.ndarray:
    """Deterministic k-means of (B, N, K): labels (B, N).

    The start is farthest-first (Gonzalez 1985) from the point farthest from the
    mean; a centre left without points keeps its place.
    """
    b = np.arange(x.shape[0])
    first = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(-1).argmax(axis=1)
    centres = [x[b, first]]
    nearest = ((x - centres[0][:, None]) ** 2).sum(-1)
    for _ in range(1, k):
        pick = nearest.argmax(axis=1)
        centres.append(x[b, pick])
        nearest = np.minimum(nearest, ((x - centres[-1][:, None]) ** 2).sum(-1))
    c = np.stack(centres, axis=1)
    labels = np.full(x.shape[:2], -1)
    for _ in range(LLOYD_STEPS):
        new = _sq_distances(x, c).argmin(axis=-1)
        if np.array_equal(new, labels):
            break
        labels = new
        onehot = (labels[..., None] == np.arange(k)).astype(float)  # (B, N, k)
        count = onehot.sum(axis=1)  # (B, k)
        total = onehot.transpose(0, 2, 1) @ x
        c = np.where(count[..., None] > 0, total / np.maximum(count, 1)[..., None], c)
    return labels


def silhouette(distance: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean silhouette (Rousseeuw 1987) of partitions, (B,), from distances (B, N, N) and labels (B, N).

    s(i) = (b − a) / max(a, b), a the mean distance to the others of its cluster,
    b the least mean distance to another cluster; 0 for a point alone in its
    cluster or where a = b = 0 (a field without spread scores 0).
    """
    onehot = (labels[..., None] == np.arange(k)).astype(float)
    count = onehot.sum(axis=1)  # (B, k)
    to_cluster = distance @ onehot  # (B, N, k): summed distances to each cluster's points
    own = np.take_along_axis(count, labels, axis=1)  # (B, N)
    a = np.take_along_axis(to_cluster, labels[..., None], axis=-1)[..., 0] / np.maximum(own - 1, 1)
    mean = to_cluster / np.maximum(count, 1)[:, None, :]
    mean = np.where((onehot > 0) | (count[:, None, :] == 0), np.inf, mean)
    b = mean.min(axis=-1)
    top = np.maximum(a, b)
    ok = (top > 0) & np.isfinite(top)
    s = np.divide(b - a, np.where(ok, top, 1.0), out=np.zeros_like(a), where=ok)
    return np.where(own > 1, s, 0.0).mean(axis=1)


@dataclass(frozen=True)
class Poles:
    """The poles found in a batch of fields: count (B,), silhouette (B,), centres (B, KMAX, K), shares (B, KMAX)."""

    count: np.ndarray
    silhouette: np.ndarray
    centres: np.ndarray
    shares: np.ndarray


def find_poles(x: np.ndarray, kmax: int = KMAX) -> Poles:
    """The poles of fields (B, N, K): the k-means partition (k = 2 … ``kmax``) of greatest mean silhouette,
    if that silhouette reaches :data:`STRUCTURE`; else the whole field is one pole."""
    b, n, _ = x.shape
    mean = x.mean(axis=1, keepdims=True)
    centred = x - mean  # distances from the Gram matrix lose less to rounding about the mean
    if kernels.compiled() or n > GRAM_MAX:
        labels, best = compiled.pole_search(centred, kmax, LLOYD_STEPS, GRAM_MAX)
    else:
        distance = np.sqrt(_sq_distances(centred, centred))
        best = np.zeros(b)
        labels = np.zeros((b, n), dtype=int)
        for k in range(2, min(kmax, n - 1) + 1):
            lab = _kmeans(centred, k)
            score = silhouette(distance, lab, k)
            better = score > best + 1e-12
            best = np.where(better, score, best)
            labels[better] = lab[better]
    best = np.where(spread(x) < SPREAD, 0.0, best)
    labels[best < STRUCTURE] = 0
    onehot = (labels[..., None] == np.arange(kmax)).astype(float)
    count = onehot.sum(axis=1)
    centres = (onehot.transpose(0, 2, 1) @ centred) / np.maximum(count, 1)[..., None] + mean
    return Poles((count > 0).sum(axis=1), best, centres, count / n)


def spread(x: np.ndarray) -> np.ndarray:
    """Root-mean-square distance of the points from their mean, per clause: (B,) for fields (B, N, K)."""
    return np.sqrt(((x - x.mean(axis=1, keepdims=True)) ** 2).mean(axis=(1, 2)))


def separation(x: np.ndarray, kmax: int = KMAX) -> np.ndarray:
    """How distinct the poles of each field (..., N, K) are: the best mean silhouette over k = 2 … ``kmax``."""
    flat, lead = _flat(x)
    return find_poles(flat, kmax).silhouette.reshape(lead)


def clusters(x: np.ndarray, kmax: int = KMAX) -> np.ndarray:
    """The number of poles of each field (..., N, K) (:func:`find_poles`): (...)."""
    flat, lead = _flat(x)
    return find_poles(flat, kmax).count.reshape(lead)


def first_component_share(x: np.ndarray) -> np.ndarray:
    """Share of each field's variance on its first principal component, (...); 0 for a unanimous field
    (spread below :data:`SPREAD`), which has no main direction."""
    flat, lead = _flat(x)
    d = flat - flat.mean(axis=1, keepdims=True)
    eig = np.linalg.eigvalsh(d.transpose(0, 2, 1) @ d)
    total = eig.sum(axis=-1)
    share = np.divide(eig[:, -1], total, out=np.zeros_like(total), where=spread(flat) >= SPREAD)
    return share.reshape(lead)


def _two_camp_splits(k: int) -> np.ndarray:
    """Every split of k poles into two non-empty camps, (splits, k) booleans (pole 0 always in camp False)."""
    rows = [(False, *bits) for bits in product((False, True), repeat=k - 1)]
    return np.array([r for r in rows if any(r)], dtype=bool).reshape(-1, k)


def _between(centres: np.ndarray, shares: np.ndarray) -> np.ndarray:
    mean = (shares[..., None] * centres).sum(axis=-2, keepdims=True)
    return (shares * ((centres - mean) ** 2).sum(-1)).sum(-1)


def bipolarity_of(centres: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The share of the between-group variance that the best two-camp split captures, (B,); 0 for one group.

    ``centres`` (B, G, K), ``shares`` (B, G) (population shares, an empty group 0).
    """
    g = centres.shape[1]
    between = _between(centres, shares)
    if g < 2:
        return np.zeros(centres.shape[0])
    splits = _two_camp_splits(g).astype(float)  # (S, G)
    if kernels.compiled():
        best = compiled.best_split(centres, shares, splits)
        return np.divide(best, between, out=np.zeros_like(between), where=between > 1e-12)
    best = np.zeros(centres.shape[0])
    for camp in splits:
        w1 = shares @ camp
        w0 = shares.sum(-1) - w1
        m1 = np.einsum("bg,g,bgk->bk", shares, camp, centres) / np.maximum(w1, 1e-300)[:, None]
        m0 = np.einsum("bg,g,bgk->bk", shares, 1 - camp, centres) / np.maximum(w0, 1e-300)[:, None]
        mean = w1[:, None] * m1 + w0[:, None] * m0
        captured = w1 * ((m1 - mean) ** 2).sum(-1) + w0 * ((m0 - mean) ** 2).sum(-1)
        best = np.maximum(best, captured)
    return np.divide(best, between, out=np.zeros_like(between), where=between > 1e-12)


def bipolarity(x: np.ndarray, kmax: int = KMAX) -> np.ndarray:
    """Bipolarity of each field (..., N, K) over its poles (:func:`clusters`): (...)."""
    flat, lead = _flat(x)
    poles = find_poles(flat, kmax)
    return bipolarity_of(poles.centres, poles.shares).reshape(lead)


def esteban_ray_of(centres: np.ndarray, shares: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Esteban–Ray polarization of groups, (B,): Σ_a Σ_b π_a^(1+α) π_b δ(a, b), scaled to 1 at the maximum.

    δ is the distance between group means over √K (1 between opposite corners of
    the clause space); two equal groups at opposite corners give 1.
    """
    dim = centres.shape[-1]
    delta = np.sqrt(((centres[:, :, None] - centres[:, None]) ** 2).sum(-1)) / np.sqrt(dim)
    value = np.einsum("bi,bj,bij->b", shares ** (1 + alpha), shares, delta)
    return value / (2 * 0.5 ** (2 + alpha))


def esteban_ray(x: np.ndarray, groups: np.ndarray | None = None, alpha: float = ALPHA) -> np.ndarray:
    """Esteban–Ray polarization of fields (..., N, K) over ``groups`` (G × N membership, rows summing to 1
    over members), or over the field's poles when None: (...)."""
    flat, lead = _flat(x)
    if groups is None:
        poles = find_poles(flat)
        return esteban_ray_of(poles.centres, poles.shares, alpha).reshape(lead)
    centres, shares = _group_means(flat, groups)
    return esteban_ray_of(centres, shares, alpha).reshape(lead)


def _group_means(x: np.ndarray, membership: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    members = (membership > 0).sum(axis=1)
    shares = np.broadcast_to(members / members.sum(), (x.shape[0], membership.shape[0]))
    return membership @ x, shares


def cohesion(x: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """1 − 2 × the mean absolute deviation of members from their group's mean, averaged over groups.

    ``x`` is one value per delegation (..., N); ``membership`` is G × N with rows
    summing to 1 over members; 1 means every group is united.
    """
    mean = x @ membership.T  # (..., G)
    member = membership > 0
    deviation = np.abs(x[..., None, :] - mean[..., :, None]) * member  # (..., G, N)
    mad = deviation.sum(axis=-1) / member.sum(axis=-1)
    return 1.0 - 2.0 * mad.mean(axis=-1)


def field_shape(x: np.ndarray, salience_norm: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Every measure of :data:`FIELD_MEASURES` for fields (..., N, K): (..., len(FIELD_MEASURES)).

    Cohesion is taken on the salience-weighted main axis (:func:`main_axis`).
    """
    flat, lead = _flat(x)
    poles = find_poles(flat)
    centres, shares = _group_means(flat, membership)
    axis = main_axis(flat, salience_norm.reshape(flat.shape))
    out = np.stack(
        [
            poles.count.astype(float),
            poles.silhouette,
            first_component_share(flat),
            bipolarity_of(poles.centres, poles.shares),
            esteban_ray_of(centres, shares),
            esteban_ray_of(poles.centres, poles.shares),
            cohesion(axis, membership),
        ],
        axis=-1,
    )
    return out.reshape(*lead, len(FIELD_MEASURES))
