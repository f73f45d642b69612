"""The field measures (:mod:`wcitsim.core.measures`): known answers on constructed fields, Esteban–Ray by
hand, scikit-learn as the oracle for the silhouette, PCA and k-means, and properties on generated fields."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score

from wcitsim.core.measures import (
    FIELD_MEASURES,
    KMAX,
    _kmeans,
    bipolarity,
    bipolarity_of,
    clusters,
    cohesion,
    esteban_ray,
    esteban_ray_of,
    field_shape,
    find_poles,
    first_component_share,
    main_axis,
    separation,
    silhouette,
)

N, K = 200, 8


def regional(n: int) -> np.ndarray:
    """Four regional groups by seat (seat mod 4), as a G × N membership whose rows sum to 1."""
    member = np.array([np.arange(n) % 4 == g for g in range(4)], dtype=float)
    return member / member.sum(axis=1, keepdims=True)


GROUPS = regional(N)
UNIFORM = np.full((N, K), 1 / K)
#: Esteban–Ray's maximum, two equal groups at opposite corners: 2 · 0.5^(1+α) · 0.5 · 1.
ER_MAX = 2 * 0.5**3.6


def poles_field(centres, sd: float, seed: int, n: int = N) -> np.ndarray:
    """n points in equal shares at ``centres`` (P × K), with Gaussian noise of ``sd``."""
    centres = np.asarray(centres, dtype=float)
    x = np.repeat(centres, n // len(centres), axis=0)
    return x + sd * np.random.default_rng(seed).standard_normal(x.shape)


def shape(x: np.ndarray) -> dict[str, float]:
    """:func:`field_shape` of one field, by measure name (uniform salience, the four groups of 50)."""
    return dict(zip(FIELD_MEASURES, field_shape(x, UNIFORM, GROUPS), strict=True))


def distances(x: np.ndarray) -> np.ndarray:
    """Euclidean distances between the points of one field (N × K), by differences."""
    return np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))


# --- known answers on constructed fields -------------------------------------------------------------


def test_one_blob_is_one_pole():
    x = poles_field([[0.5] * K], 0.03, seed=1)
    s = shape(x)
    assert s["clusters"] == 1
    assert s["separation"] < 0.5
    # one pole: no second camp, and no pair of poles to be apart
    assert s["bipolarity"] == 0.0
    assert s["er_poles"] == 0.0
    # isotropic noise spreads the variance over all 8 axes (1/8 each, plus sampling)
    assert s["first_component"] < 0.3


def test_two_opposite_corners_are_two_poles():
    x = poles_field([[0.0] * K, [1.0] * K], 0.02, seed=2)
    s = shape(x)
    assert s["clusters"] == 2
    assert s["separation"] > 0.9
    # two poles: the only split is the poles themselves, which captures all between-pole variance
    assert s["bipolarity"] == pytest.approx(1.0, abs=1e-9)
    # centres within ~0.02/√100 of the corners: δ ≈ 1, shares 1/2 → ER ≈ 1
    assert s["er_poles"] == pytest.approx(1.0, abs=0.01)
    # between-pole variance 8 · 1/4 = 2 on the diagonal, noise 0.02² on each of 8 axes:
    # (2 + 0.0004) / (2 + 0.0032) ≈ 0.9986
    assert s["first_component"] == pytest.approx(0.9986, abs=0.005)


def test_four_poles_on_a_square():
    corners = np.full((4, K), 0.5)
    corners[:, :2] = [[0, 0], [0, 1], [1, 0], [1, 1]]
    x = poles_field(corners, 0.02, seed=3)
    s = shape(x)
    assert s["clusters"] == 4
    # between-pole variance: each pole 1/2 (squared) from the centre (1/2, 1/2) → 1/2. The split into
    # sides {(0,0),(0,1)} | {(1,0),(1,1)} has camp means (0, 1/2), (1, 1/2): captures 1/2 · 1/4 · 2 = 1/4
    # → 1/2. The diagonals split has both camps at the centre (0); one corner against three: 1/3.
    assert s["bipolarity"] == pytest.approx(0.5, abs=0.01)
    # variance 1/4 on each of the two clauses: (0.25 + 0.0004) / (0.5 + 0.0032) ≈ 0.498
    assert s["first_component"] == pytest.approx(0.5, abs=0.01)
    # δ: 1/√8 to each neighbour (×2), √2/√8 = 1/2 across; every pole has share 1/4:
    # 4 · 0.25^3.6 · (2/√8 + 1/2) / (2 · 0.5^3.6) = 0.19909
    assert s["er_poles"] == pytest.approx(4 * 0.25**3.6 * (2 / np.sqrt(8) + 0.5) / ER_MAX, abs=0.005)


def test_four_poles_on_a_line():
    # poles at t = 0, 1/3, 2/3, 1 on every clause (the cube's diagonal), so δ(t, u) = |t − u|
    x = poles_field(np.array([0, 1 / 3, 2 / 3, 1])[:, None] * np.ones(K), 0.02, seed=4)
    s = shape(x)
    assert s["clusters"] == 4
    # per clause: between-pole variance (1/4 + 1/36 + 1/36 + 1/4) / 4 = 5/36; the split
    # {0, 1/3} | {2/3, 1} has camp means 1/6, 5/6, each 1/3 from 1/2: captures 1/9 → (1/9)/(5/36) = 0.8
    assert s["bipolarity"] == pytest.approx(0.8, abs=0.01)
    assert s["first_component"] == pytest.approx(1.0, abs=0.01)
    # ordered pairs: Σ|t − u| = 2 · (3 · 1/3 + 2 · 2/3 + 1) = 20/3, shares 1/4: 0.25^3.6 · 20/3 / ER_MAX = 0.2749
    assert s["er_poles"] == pytest.approx(0.25**3.6 * 20 / 3 / ER_MAX, abs=0.005)


@pytest.mark.parametrize("poles", range(2, KMAX + 1))
def test_k_distinct_corners_are_k_poles(poles):
    corners = np.array([[(c >> i) & 1 for i in range(K)] for c in (0, 255, 15, 240, 51, 204)], dtype=float)
    x = poles_field(corners[:poles], 0.02, seed=poles, n=60 * poles)
    assert clusters(x) == poles
    assert separation(x) > 0.9


def _halves(base: float) -> np.ndarray:
    return base + 1e-9 * np.where(np.arange(N) < N // 2, -1.0, 1.0)[:, None] * np.ones(K)


#: Fields unanimous in fact, and whether exactly. The silhouette is scale-free, so without the floor
#: SPREAD points 1e-9 apart (or the rounding noise of expanded distances) would read as poles.
UNANIMOUS = [
    pytest.param(np.full((N, K), 0.5), True, id="exactly 0.5"),
    pytest.param(np.full((N, K), 0.1), True, id="exactly 0.1"),
    pytest.param(_halves(0.5), False, id="0.5 ± 1e-9, two halves"),
    pytest.param(
        0.5 + 1e-9 * np.random.default_rng(0).choice([-1.0, 1.0], size=(N, K)),
        False,
        id="0.5 ± 1e-9, sign by coordinate",
    ),
    pytest.param(_halves(0.1), False, id="0.1 ± 1e-9, two halves"),
]


@pytest.mark.parametrize(("x", "exact"), UNANIMOUS)
def test_a_unanimous_field_is_one_pole(x, exact):
    s = shape(x)
    assert s["clusters"] == 1
    assert s["bipolarity"] == 0.0
    assert s["er_groups"] == pytest.approx(0.0, abs=1e-6)
    assert s["er_poles"] == pytest.approx(0.0, abs=1e-6)
    assert s["first_component"] == 0.0  # below SPREAD: no main direction, not polarized


@pytest.mark.parametrize(("half_gap", "poles"), [(0.005, 1), (0.05, 2)])
def test_the_spread_floor_separates_unanimity_from_two_camps(half_gap, poles):
    # two halves at 0.5 ∓ half_gap on every clause: the spread (RMS per clause) is half_gap,
    # below SPREAD = 0.01 one pole, above it two perfectly separated camps
    x = 0.5 + half_gap * np.where(np.arange(N) < N // 2, -1.0, 1.0)[:, None] * np.ones(K)
    s = shape(x)
    assert s["clusters"] == poles
    assert s["bipolarity"] == (1.0 if poles == 2 else 0.0)


# --- Esteban–Ray by hand -------------------------------------------------------------------------------


def test_esteban_ray_of_two_equal_groups_is_their_distance():
    # p = 0.2 everywhere; q moves 0.6 on two clauses: |p − q| = 0.6√2, over √8 → δ = 0.3.
    # 2 · 0.5^2.6 · 0.5 · δ / (2 · 0.5^3.6) = δ
    x = np.full((N, K), 0.2)
    x[N // 2 :, :2] = 0.8
    halves = np.array([np.arange(N) < N // 2, np.arange(N) >= N // 2]) / (N // 2)
    assert esteban_ray(x, halves) == pytest.approx(0.3, rel=1e-12)
    assert esteban_ray(x) == pytest.approx(0.3, rel=1e-12)  # the two poles are the two groups
    centres = np.full((1, 2, K), 0.2)
    centres[0, 1, :2] = 0.8
    assert esteban_ray_of(centres, np.array([[0.5, 0.5]])) == pytest.approx([0.3], rel=1e-12)


def test_esteban_ray_of_unequal_groups_at_opposite_corners():
    # (0.25^2.6 · 0.75 + 0.75^2.6 · 0.25) / (2 · 0.5^3.6) = 0.138735 / 0.164938 = 0.84113
    expected = (0.25**2.6 * 0.75 + 0.75**2.6 * 0.25) / (2 * 0.5**3.6)
    assert expected == pytest.approx(0.84113, abs=1e-5)
    x = np.zeros((N, K))
    x[N // 4 :] = 1.0
    quarter = np.arange(N) < N // 4
    groups = np.array([quarter / quarter.sum(), ~quarter / (~quarter).sum()])
    assert esteban_ray(x, groups) == pytest.approx(expected, rel=1e-12)
    assert esteban_ray(x) == pytest.approx(expected, rel=1e-12)


def test_esteban_ray_with_a_none_singleton_group():
    # A = {0, 1} at corner 0, B = {2, 3} at corner 1, 'none' = {4} at the centre; shares 2/5, 2/5, 1/5.
    # δ(A, B) = 1, δ(A, none) = δ(B, none) = 1/2. Ordered pairs:
    # (A,B), (B,A): 2 · 0.4^2.6 · 0.4 · 1;  (A,n), (B,n): 2 · 0.4^2.6 · 0.2 · 1/2;
    # (n,A), (n,B): 2 · 0.2^2.6 · 0.4 · 1/2  →  0.098424 / 0.164938 = 0.59673
    x = np.array([[0.0] * K, [0.0] * K, [1.0] * K, [1.0] * K, [0.5] * K])
    groups = np.array([[0.5, 0.5, 0, 0, 0], [0, 0, 0.5, 0.5, 0], [0, 0, 0, 0, 1.0]])
    expected = (2 * 0.4**3.6 + 0.2 * 0.4**2.6 + 0.4 * 0.2**2.6) / ER_MAX
    assert expected == pytest.approx(0.59673, abs=1e-5)
    assert esteban_ray(x, groups) == pytest.approx(expected, rel=1e-12)
    # batched over runs, the same groups
    assert esteban_ray(np.stack([x, x[:, ::-1]]), groups) == pytest.approx([expected] * 2, rel=1e-12)


def test_bipolarity_of_hand_made_poles():
    # shares 1/2, 1/4, 1/4 at 0, 1, 1 (one clause): the split {0} | {1, 1} captures everything
    centres = np.array([[[0.0], [1.0], [1.0]]])
    assert bipolarity_of(centres, np.array([[0.5, 0.25, 0.25]])) == pytest.approx([1.0])
    # one group: 0
    assert bipolarity_of(centres[:, :1], np.array([[1.0]])).tolist() == [0.0]


def test_cohesion_by_hand():
    groups = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    assert cohesion(np.array([0.2, 0.2, 0.9, 0.9]), groups) == pytest.approx(1.0)
    # first group united (1); the second 1/2 from its mean 1/2 → 1 − 2 · 1/2 = 0; mean 1/2
    assert cohesion(np.array([0.3, 0.3, 0.0, 1.0]), groups) == pytest.approx(0.5)


def test_field_shape_takes_cohesion_on_the_main_axis():
    rng = np.random.default_rng(5)
    x = rng.random((N, K))
    salience = rng.random((N, K))
    salience /= salience.sum(axis=-1, keepdims=True)
    got = field_shape(x, salience, GROUPS)[FIELD_MEASURES.index("cohesion")]
    assert got == pytest.approx(cohesion(main_axis(x, salience), GROUPS), rel=1e-12)
    assert got != pytest.approx(cohesion(main_axis(x, UNIFORM), GROUPS), rel=1e-6)


# --- oracles: scikit-learn ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_silhouette_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    k, dim = int(rng.integers(2, 7)), int(rng.integers(2, 9))
    sizes = 2 + rng.multinomial(60 - 2 * k, np.ones(k) / k)  # every cluster has at least two members
    labels = rng.permutation(np.repeat(np.arange(k), sizes))
    x = rng.random((60, dim))
    got = silhouette(distances(x)[None], labels[None], k)[0]
    assert got == pytest.approx(silhouette_score(x, labels), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_first_component_share_equals_pca(seed):
    rng = np.random.default_rng(seed)
    fields = rng.random((3, 80, K)) * rng.random(K) * 3  # unequal spread across clauses
    expected = [PCA().fit(f).explained_variance_ratio_[0] for f in fields]
    assert first_component_share(fields) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_kmeans_partitions_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    centres = rng.permutation(np.array(np.meshgrid(*[[0.0, 1.0]] * 3)).reshape(3, -1).T)[:k]
    centres = np.hstack([centres, rng.random((k, K - 3))])
    labels = rng.integers(k, size=150)
    labels[:k] = np.arange(k)  # every blob seen
    x = centres[labels] + 0.03 * rng.standard_normal((150, K))
    oracle = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x)
    ours = _kmeans(x[None], k)[0]
    assert adjusted_rand_score(oracle.labels_, ours) == 1.0
    poles = find_poles(x[None])
    assert poles.count[0] == k
    found = poles.centres[0, poles.shares[0] > 0]
    np.testing.assert_allclose(
        found[np.lexsort(found.T)], oracle.cluster_centers_[np.lexsort(oracle.cluster_centers_.T)], atol=1e-9
    )


# --- properties ----------------------------------------------------------------------------------------


@st.composite
def fields(draw, n: int | None = None, dim: int | None = None):
    """A field with 1–4 random poles and noise, its salience (rows sum to 1) and three regional groups."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = n or draw(st.integers(12, 60))
    dim = dim or draw(st.integers(2, K))
    poles = draw(st.integers(1, 4))
    sd = draw(st.sampled_from([0.02, 0.05, 0.1]))
    x = np.clip(
        rng.random((poles, dim))[rng.integers(poles, size=n)] + sd * rng.standard_normal((n, dim)), 0, 1
    )
    salience = rng.random((n, dim)) + 0.01
    salience /= salience.sum(axis=-1, keepdims=True)
    group = rng.permutation(np.arange(n) % 3)
    membership = np.array([(group == g) / (group == g).sum() for g in range(3)])
    return x, salience, membership


def assert_same_shape(a: np.ndarray, b: np.ndarray) -> None:
    """Same pole counts; the rest to 1e-6, as the distances behind the silhouette are |x|² − 2x·c + |c|²,
    good to ~1e-8 for close pairs, and BLAS may round a row differently by its place in the batch."""
    i = FIELD_MEASURES.index("clusters")
    np.testing.assert_array_equal(a[..., i], b[..., i])
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(field=fields(), seed=st.integers(0, 2**32 - 1))
def test_measures_ignore_the_order_of_delegations(field, seed):
    x, salience, membership = field
    order = np.random.default_rng(seed).permutation(len(x))
    assert_same_shape(
        field_shape(x[order], salience[order], membership[:, order]), field_shape(x, salience, membership)
    )


@settings(max_examples=8, deadline=None)
@given(runs=st.lists(fields(n=40, dim=5), min_size=2, max_size=4))
def test_a_batch_equals_its_fields_one_by_one(runs):
    x, salience = np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs])
    membership = runs[0][2]
    batched = field_shape(x, salience, membership)
    assert batched.shape == (len(runs), len(FIELD_MEASURES))
    assert_same_shape(
        batched, np.stack([field_shape(xi, si, membership) for xi, si in zip(x, salience, strict=True)])
    )
    # and over two leading axes
    assert_same_shape(field_shape(x[None], salience[None], membership)[0], batched)


@settings(max_examples=15, deadline=None)
@given(field=fields(), shift=st.floats(-2.0, 2.0), seed=st.integers(0, 2**32 - 1))
def test_first_component_and_bipolarity_ignore_a_shift(field, shift, seed):
    x = field[0]
    moved = x + shift * np.random.default_rng(seed).random(x.shape[-1])
    assert first_component_share(moved) == pytest.approx(first_component_share(x), abs=1e-9)
    assert clusters(moved) == clusters(x)
    assert bipolarity(moved) == pytest.approx(bipolarity(x), abs=1e-9)


@settings(max_examples=15, deadline=None)
@given(field=fields())
def test_measures_stay_in_their_ranges(field):
    x, salience, membership = field
    s = dict(zip(FIELD_MEASURES, field_shape(x, salience, membership), strict=True))
    assert s["clusters"] in range(1, KMAX + 1)
    assert 0.0 <= s["separation"] <= 1.0
    assert s["first_component"] == 0.0 or 1 / x.shape[-1] - 1e-12 <= s["first_component"] <= 1.0 + 1e-12
    for name in ("bipolarity", "er_groups", "er_poles", "cohesion"):
        assert -1e-12 <= s[name] <= 1.0 + 1e-12, name
    poles = find_poles(x[None])
    assert poles.count[0] == (poles.shares[0] > 0).sum() == s["clusters"]
    assert poles.shares[0].sum() == pytest.approx(1.0)


# --- determinism ---------------------------------------------------------------------------------------


def test_two_calls_give_identical_results():
    x = np.stack([poles_field([[0.0] * K, [1.0] * K, [0.5] * K], 0.05, seed=s, n=198) for s in range(3)])
    salience = np.full(x.shape, 1 / K)
    groups = regional(198)
    first = field_shape(x, salience, groups)
    again = field_shape(x.copy(), salience.copy(), groups.copy())
    assert np.array_equal(first, again)
    assert np.array_equal(find_poles(x).centres, find_poles(x.copy()).centres)


def test_the_run_reports_the_session_where_the_field_turns_binary():
    """A field of two tight poles throughout is binary from the opening; one that splits later turns then."""
    from types import SimpleNamespace

    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.experiments.instruments import field_summary

    r, s = 10, 4
    field = np.zeros((r, s + 1, 2, len(FIELD_MEASURES)))
    poles, bipolar = FIELD_MEASURES.index("clusters"), FIELD_MEASURES.index("bipolarity")
    field[..., poles] = 3.0
    field[..., bipolar] = 0.5
    field[:, 3:, 1, poles], field[:, 3:, 1, bipolar] = 2.0, 0.9  # the table turns binary at session 3
    field[:7, :, 0, poles], field[:7, :, 0, bipolar] = 2.0, 1.0  # 7 of 10 interests binary: under 80 %
    summary = field_summary(SimpleNamespace(field=field))
    assert summary["table"]["binary_from_session"] == 3
    assert summary["table"]["binary_share"] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert summary["interest"]["binary_from_session"] is None


def test_a_sweep_measures_the_table_at_the_deadline_only_and_the_same():
    """``measure="deadline"`` (sweeps) gives the full run's table at the deadline, and NaN elsewhere."""
    from pathlib import Path

    from wcitsim.core.outcome import FIELD_VIEWS
    from wcitsim.core.world import build_world, replication_seeds
    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_outcome
    from wcitsim.io.scenario import load_scenario

    toy = Path(__file__).resolve().parents[1] / "tests" / "data" / "toy.toml"
    world = build_world(load_scenario(toy), load_dataset())
    seeds = replication_seeds(4, 6)
    full = run_outcome(world, seeds)
    deadline = run_outcome(world, seeds, trace=False, measure="deadline")
    table = FIELD_VIEWS.index("table")
    assert np.array_equal(full.field[:, -1, table], deadline.field[:, -1, table])
    assert np.isnan(deadline.field[:, :-1]).all() and np.isnan(deadline.field[:, -1, 1 - table]).all()
    assert np.array_equal(full.signed, deadline.signed)  # measuring never changes a draw


def test_past_gram_max_the_distances_come_pair_by_pair():
    """A field too large for the Gram matrix: its poles and the silhouette of the distances by differences."""
    from wcitsim.core.measures import GRAM_MAX

    x = poles_field([[0.0] * K, [1.0] * K, [0.0] * 4 + [1.0] * 4], 0.05, seed=7, n=3 * (GRAM_MAX // 3 + 20))
    poles = find_poles(x[None])
    assert x.shape[0] > GRAM_MAX and poles.count[0] == 3
    labels = np.argmin(((x[:, None] - poles.centres[0, :3][None]) ** 2).sum(-1), axis=1)
    rows = [np.sqrt(((x[lo : lo + 100, None] - x[None]) ** 2).sum(-1)) for lo in range(0, len(x), 100)]
    expected = silhouette(np.vstack(rows)[None], labels[None], 3)[0]
    assert poles.silhouette[0] == pytest.approx(expected, abs=1e-12)
