"""The compiled kernels are the numpy kernels; the influence step without its matrix is the matrix; synthetic
populations keep the states they clone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.core import kernels
from wcitsim.core.influence import influence_of
from wcitsim.core.kernels_streams import pcg64_doubles
from wcitsim.core.measures import FIELD_MEASURES, field_shape
from wcitsim.core.outcome import Outcome
from wcitsim.core.session import interact
from wcitsim.core.streams import Streams
from wcitsim.core.world import Caucus, _allies, _interaction, build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.data.synthetic import clone_labels, copy_numbers, synthetic_rows
from wcitsim.errors import ScenarioError, UsageError
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import machine_cores
from wcitsim.io.scenario import load_scenario
from wcitsim.model.reference import run_reference

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()
BASELINE = load_scenario(ROOT / "scenarios" / "wcit2012.toml")


def on_both(world, seeds, **options) -> tuple[Outcome, Outcome]:
    with kernels.use("numpy"):
        numpy_run = run_outcome(world, seeds, **options)
    with kernels.use("compiled"):
        compiled_run = run_outcome(world, seeds, **options)
    return numpy_run, compiled_run


def assert_same(a: Outcome, b: Outcome) -> None:
    """Discrete results equal; numbers to 1e-12. The field's silhouettes come from Gram-matrix distances,
    which turn the ~1e-15 by which the positions differ into up to ~1e-9 for close pairs: 1e-7 there."""
    for name in Outcome.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-7 if name == "field" else 1e-12, err_msg=name)


# ---------------------------------------------------------------- compiled == numpy


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63 - 1))
def test_compiled_equals_numpy_on_the_toy(seed):
    assert_same(*on_both(build_world(load_scenario(TOY), DATA), [seed]))


def test_compiled_equals_numpy_on_the_baseline():
    """Every mechanism that sorts (camps, the show of hands, motions, eligible-only tallies, lost votes)."""
    assert_same(*on_both(build_world(BASELINE, DATA), replication_seeds(4, 3)))


@pytest.mark.parametrize(
    "variant", ["industry_lobby", "host_bias", "majority_chair", "consensus_rule", "consensus_chair"]
)
def test_compiled_equals_numpy_on_the_counterfactuals(variant):
    """Lobbyists, the host's pull (the sorted median), the majority chair, the consensus rule and chair."""
    world = build_world(load_scenario(ROOT / "scenarios" / f"{variant}.toml"), DATA)
    assert_same(*on_both(world, replication_seeds(9, 2), trace=False, measure="deadline"))


@st.composite
def fields(draw):
    """A stack of fields with 1–4 random poles and noise, their saliences and three groups."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b, n, dim, poles = (
        draw(st.integers(1, 4)),
        draw(st.integers(3, 70)),
        draw(st.integers(1, 8)),
        draw(st.integers(1, 4)),
    )
    centres = rng.random((b, poles, dim))
    x = centres[np.arange(b)[:, None], rng.integers(poles, size=(b, n))]
    x = np.clip(x + draw(st.sampled_from([0.0, 0.02, 0.1])) * rng.standard_normal(x.shape), 0, 1)
    salience = rng.random((b, n, dim)) + 0.01
    group = np.arange(n) % 3
    membership = np.array([(group == g) / max((group == g).sum(), 1) for g in range(3)])
    return x, salience / salience.sum(-1, keepdims=True), membership


@settings(max_examples=40, deadline=None)
@given(field=fields())
def test_compiled_measures_equal_numpy_measures(field):
    """On the same points the compiled k-means and silhouettes give numpy's distances, partitions and scores."""
    with kernels.use("numpy"):
        expected = field_shape(*field)
    got = field_shape(*field)
    np.testing.assert_array_equal(got[..., FIELD_MEASURES.index("clusters")], expected[..., 0])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=4),
    counts=st.lists(st.integers(0, 600), min_size=1, max_size=3),
)
def test_the_compiled_streams_draw_what_numpy_draws(seeds, counts):
    """The kernels' PCG64 gives Generator.random's doubles, and the generators go on from where it stopped."""
    mine, theirs = Streams(seeds), Streams(seeds)
    for count in counts:
        pending = mine.hold()
        got = np.empty((len(seeds), count))
        pcg64_doubles(pending.states, got)
        mine.release(pending)
        np.testing.assert_array_equal(got, theirs.uniform((count,)))
    np.testing.assert_array_equal(mine.normal((3,)), theirs.normal((3,)))


def test_the_switch_is_scoped_and_checked():
    before = kernels.current()
    with kernels.use("numpy"):
        assert not kernels.compiled() and kernels.dense_influence(193)
        assert not kernels.dense_influence(kernels.DENSE_MAX + 1)  # no N × N matrix past DENSE_MAX
    assert kernels.current() == before
    with pytest.raises(UsageError, match="expected one of numpy, compiled"):
        kernels.set_kernels("fortran")


# ---------------------------------------------------------------- the influence step without its matrix


def dense_step(index, capability, bandwidth, influence, caucuses, position):
    m = _interaction(len(index), caucuses, _allies(index, capability, bandwidth), influence)
    return np.matmul(np.eye(len(index)) + m - np.diag(m.sum(axis=1)), position)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    ties=st.booleans(),
    bandwidth=st.sampled_from([0.01, 0.5, 10.0]),
    influence=st.floats(0.0, 1.0),
    cohesion=st.lists(st.floats(0.0, 1.0), min_size=0, max_size=4),
)
def test_the_matrix_free_step_equals_the_dense_product(seed, n, ties, bandwidth, influence, cohesion):
    """Allies by two sweeps, caucuses by their means, rows scaled past 1: T p to 1e-12, ties and lone
    delegations (no allies, one-member caucuses) included."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, 3, n).astype(float) if ties else rng.normal(size=n)
    capability = rng.random(n) + 0.05
    caucuses = []
    for c in cohesion:
        members = np.flatnonzero(rng.random(n) < 0.5)
        if len(members):
            caucuses.append(Caucus("g", c, members, capability[members] / capability[members].sum()))
    position = rng.random((3, n, 4))
    step = influence_of(index, capability, bandwidth, influence, tuple(caucuses))
    expected = dense_step(index, capability, bandwidth, influence, caucuses, position)
    np.testing.assert_allclose(step.apply(position), expected, rtol=0, atol=1e-12)


def test_the_conference_moves_the_same_with_either_step():
    world = build_world(BASELINE.replace(**{"population.size": 600}), DATA)
    position = np.random.default_rng(1).random((2, world.n, world.agenda.k))
    with kernels.use("numpy"):
        np.testing.assert_allclose(interact(world, position), world.transition @ position, rtol=0, atol=0)
    np.testing.assert_allclose(
        world.influence.apply(position), world.transition @ position, rtol=0, atol=1e-12
    )


# ---------------------------------------------------------------- synthetic populations


@given(seated=st.integers(1, 300), size=st.integers(1, 2000), seed=st.integers(0, 2**32 - 1))
def test_synthetic_rows_clone_every_state_once_then_draw(seated, size, seed):
    rows = synthetic_rows(seated, size, np.random.default_rng(seed))
    assert len(rows) == size and rows.min() >= 0 and rows.max() < seated
    if size >= seated:
        assert np.array_equal(rows[:seated], np.arange(seated))  # every state once, in its seat, first
    else:
        assert len(set(rows)) == size and np.all(np.diff(rows) > 0)  # distinct states, in seated order
    assert np.array_equal(rows, synthetic_rows(seated, size, np.random.default_rng(seed)))
    copies = copy_numbers(rows)
    assert all(np.sum(rows[: i + 1] == rows[i]) == copies[i] for i in range(0, size, max(1, size // 50)))


def test_clone_labels_number_the_copies():
    assert clone_labels(["FRA", "KEN"], np.array([0, 1, 1, 0, 1])) == (
        "FRA",
        "KEN",
        "KEN-2",
        "FRA-2",
        "KEN-3",
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.sampled_from([5, 150, 193, 194, 1000]), seed=st.integers(0, 2**63 - 1))
def test_a_synthetic_population_keeps_its_states(size, seed):
    seated = build_world(BASELINE, DATA)
    world = build_world(BASELINE.replace(**{"population.size": size, "population.seed": seed}), DATA)
    assert world.n == size and len(set(world.iso3)) == size
    origin = [seated.iso3.index(code.split("-")[0]) for code in world.iso3]
    for name in ("position", "salience", "capability", "index", "group", "region", "eligibility"):
        np.testing.assert_array_equal(getattr(world, name), getattr(seated, name)[origin], err_msg=name)
    if size >= seated.n:
        assert world.iso3[: seated.n] == seated.iso3 and set(world.group_names) == set(seated.group_names)
        assert world.record.notna().sum() == seated.record.notna().sum()  # clones have no record
    again = build_world(BASELINE.replace(**{"population.size": size, "population.seed": seed}), DATA)
    assert again.iso3 == world.iso3
    np.testing.assert_array_equal(again.position, world.position)


def test_the_seed_draws_another_population():
    a, b = (
        build_world(BASELINE.replace(**{"population.size": 400, "population.seed": s}), DATA) for s in (1, 2)
    )
    assert a.iso3 != b.iso3


def test_the_reference_engine_runs_a_synthetic_population_as_the_vectorised_one():
    """Clones share their state's covariate index: ties in the sweeps, which the per-agent oracle does densely."""
    world = build_world(load_scenario(TOY).replace(**{"population.size": 11}), DATA)
    seeds = replication_seeds(2, 2)
    reference, vectorised = run_reference(world, seeds), run_outcome(world, seeds)
    for name in ("text", "contested", "tallies", "signed", "votes"):
        np.testing.assert_array_equal(getattr(reference, name), getattr(vectorised, name), err_msg=name)
    np.testing.assert_allclose(reference.position, vectorised.position, rtol=0, atol=1e-9)


@pytest.mark.parametrize("value", [0, 100_001, 2.5, "many"])
def test_the_population_size_is_checked(value):
    with pytest.raises(ScenarioError, match=r"population\.size"):
        BASELINE.replace(**{"population.size": value})


# ---------------------------------------------------------------- the field's measures, compiled


@st.composite
def tied_fields(draw):
    """Fields with ties: points stacked on 1–4 poles, on a coarse grid or with noise (B × N × K, centred)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b, n, dim, poles = (
        draw(st.integers(1, 3)),
        draw(st.integers(3, 40)),
        draw(st.integers(1, 9)),
        draw(st.integers(1, 4)),
    )
    x = rng.random((b, poles, dim))[np.arange(b)[:, None], rng.integers(poles, size=(b, n))]
    x = x + draw(st.sampled_from([0.0, 1e-9, 0.05])) * rng.standard_normal(x.shape)
    if draw(st.booleans()):
        x = np.round(x * 4) / 4
    return np.ascontiguousarray(x - x.mean(axis=1, keepdims=True))


def plain_kmeans(x, xx, first, k, steps):
    """The loop the compiled k-means stands for, every centre and every sum recomputed at every step, the
    clauses added in order (numpy's elementwise arithmetic is the kernel's): labels (N)."""
    n, dim = x.shape

    def squared(point):
        s = np.zeros(n)
        for c in range(dim):
            s = s + (x[:, c] - point[c]) * (x[:, c] - point[c])
        return s

    centres, nearest = [x[first]], squared(x[first])
    for _ in range(1, k):
        pick = int(np.argmax(nearest))
        centres.append(x[pick])
        nearest = np.minimum(nearest, squared(x[pick]))
    centres, labels = np.array(centres), np.full(n, -1)
    for _ in range(steps):
        d = np.empty((k, n))
        for j in range(k):
            cc, g = 0.0, np.zeros(n)
            for c in range(dim):
                cc += centres[j, c] * centres[j, c]
                g = g + x[:, c] * centres[j, c]
            d[j] = np.maximum((xx - 2.0 * g) + cc, 0.0)
        new = np.argmin(d, axis=0)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = np.flatnonzero(labels == j)
            if len(members):
                total = np.zeros(dim)
                for i in members:
                    total = total + x[i]
                centres[j] = total / float(len(members))
    return labels


@settings(max_examples=30, deadline=None)
@given(x=tied_fields(), steps=st.sampled_from([1, 2, 12]))
def test_the_compiled_kmeans_is_the_plain_loop(x, steps):
    """Shared farthest-first picks and centres recomputed only when their members change: the same labels."""
    from wcitsim.core.kernels_measures import kmeans

    kmax = min(6, x.shape[1] - 1)
    if kmax < 2:
        return
    xx = (x * x).sum(-1)
    first = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(-1).argmax(axis=1)
    found = kmeans(x, xx, first, kmax, steps)
    for f in range(len(x)):
        for k in range(2, kmax + 1):
            np.testing.assert_array_equal(found[f, k - 2], plain_kmeans(x[f], xx[f], first[f], k, steps))


@settings(max_examples=30, deadline=None)
@given(x=tied_fields())
def test_the_farthest_point_is_numpys_when_sure(x):
    from wcitsim.core.kernels_measures import farthest

    first, sure = farthest(x)
    expected = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(-1).argmax(axis=1)
    np.testing.assert_array_equal(first[sure], expected[sure])


def test_a_tie_between_two_places_is_left_to_numpy_and_one_place_is_not():
    from wcitsim.core.kernels_measures import farthest

    apart = np.array([[[-1.0, 0.0], [1.0, 0.0], [0.0, 0.5], [0.0, -0.5]]])  # 0 and 1 equally far
    stacked = np.array([[[0.0, 0.0], [0.1, 0.0], [3.0, 3.0], [0.0, 0.1], [3.0, 3.0]]])  # 2 and 4: one place
    assert not farthest(apart)[1][0]
    first, sure = farthest(stacked)
    assert sure[0] and first[0] == 2


@settings(max_examples=20, deadline=None)
@given(x=tied_fields())
def test_numpy_forms_the_gram_matrix_symmetric_to_the_bit(x):
    """The silhouettes read row j of x xᵀ as its column j; in a buffer or not, the same numbers."""
    gram = np.empty((len(x), x.shape[1], x.shape[1]))
    np.matmul(x, x.transpose(0, 2, 1), out=gram)
    np.testing.assert_array_equal(gram, gram.transpose(0, 2, 1))
    np.testing.assert_array_equal(gram, x @ x.transpose(0, 2, 1))


@settings(max_examples=30, deadline=None)
@given(x=tied_fields())
def test_the_silhouettes_by_cell_by_cluster_and_by_difference_are_numpys(x):
    """Summed by cell (the meet of the partitions) or by cluster: numpy's silhouettes from the Gram matrix to
    1e-12; from the differences, numpy's from the differences."""
    from wcitsim.core.kernels_measures import kmeans, silhouettes
    from wcitsim.core.measures import _sq_distances, silhouette

    kmax = min(6, x.shape[1] - 1)
    if kmax < 2:
        return
    xx = (x * x).sum(-1)
    found = kmeans(x, xx, np.zeros(len(x), dtype=np.int64), kmax, 12)
    gram = x @ x.transpose(0, 2, 1)
    by_gram = np.sqrt(_sq_distances(x, x))
    by_difference = np.sqrt(((x[:, :, None] - x[:, None]) ** 2).sum(-1))
    for distance, g in ((by_gram, gram), (by_difference, np.zeros((1, 0, 0)))):
        expected = np.stack([silhouette(distance, found[:, p], p + 2) for p in range(kmax - 1)], axis=1)
        for cells in (64, 0):
            np.testing.assert_allclose(silhouettes(x, xx, g, found, cells), expected, rtol=0, atol=1e-12)


def test_the_threads_come_from_the_environment_or_the_cores(monkeypatch):
    monkeypatch.delenv("WCITSIM_THREADS", raising=False)
    assert kernels.threads(1000) == machine_cores()
    assert kernels.threads(1) == 1  # never more threads than replications
    monkeypatch.setenv("WCITSIM_THREADS", "3")
    assert (kernels.threads(2), kernels.threads(8)) == (2, 3)
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("WCITSIM_THREADS", bad)
        with pytest.raises(UsageError, match=f"WCITSIM_THREADS \\(environment\\): '{bad}'; expected a whole"):
            kernels.threads(4)
