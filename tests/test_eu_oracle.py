"""The expected-utility protocol against the open replications of Scholz, Calbert & Smith (2011).

Oracles (tests/data/oracles/, PROVENANCE.md): the round-by-round positions, median
and mean of jmckib/bdm-scholz-expected-utility-model (which reproduces Scholz et al.'s
published results) and of dmasad/BDM_DecisionModel_Replication's improved_version and
master branches, run unmodified on the EC car-emissions example
(tests/data/bdm_eu_emissions.csv). Each replication is one setting of
``expected_utility.Parameters`` (``PRESETS``); the default is the reconstruction and
reproduces jmckib. The compiled kernels and the numpy specification are held equal
bit for bit.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.core.protocols import expected_utility as eu
from wcitsim.io.schema import build

DATA = Path(__file__).resolve().parent / "data"
ORACLES = DATA / "oracles"
ORACLE_OF = {
    "scholz_jmckib": "jmckib",
    "dmasad_improved": "dmasad_improved",
    "dmasad_master": "dmasad_master",
}
TOLERANCE = 1e-9  # the oracles are repr() floats: the replications' own numbers


@pytest.fixture(scope="module")
def example():
    table = pd.read_csv(DATA / "bdm_eu_emissions.csv")
    x = table["position"].to_numpy(float)
    return (
        list(table["actor"]),
        x,
        table["capability"].to_numpy(float),
        table["salience"].to_numpy(float) / 100,
    )


def oracle(name: str) -> pd.DataFrame:
    """round × actor positions, with the forecast_median and forecast_mean columns."""
    table = pd.read_csv(ORACLES / f"bdm_eu_emissions_{name}.csv")
    return table.pivot(index="round", columns="actor", values="position")


@pytest.mark.parametrize("preset", [*ORACLE_OF, "default"])
def test_each_replication_round_by_round(example, preset):
    """Every actor's position after each of the 10 rounds, and each round's median and mean."""
    actors, x, c, s = example
    params = eu.PRESETS.get(preset, {})
    expected = oracle(ORACLE_OF.get(preset, "jmckib"))
    path = eu.trajectory(x, c, s, params)
    assert path.shape == (11, len(actors))
    np.testing.assert_allclose(path, expected[actors].to_numpy(), rtol=0, atol=TOLERANCE)
    w = c * s
    np.testing.assert_allclose(
        eu.weighted_median(path, w), expected["forecast_median"], rtol=0, atol=TOLERANCE
    )
    np.testing.assert_allclose((path * w).sum(1) / w.sum(), expected["forecast_mean"], rtol=0, atol=TOLERANCE)


def test_the_replications_disagree_where_provenance_says(example):
    """dmasad improved leaves jmckib in the 4th digit (risk one actor at a time); master never settles."""
    _, x, c, s = example
    jmckib, improved = oracle("jmckib"), oracle("dmasad_improved")
    assert 1e-5 < (jmckib - improved).abs().to_numpy().max() < 1e-2
    together = eu.trajectory(x, c, s, {**eu.PRESETS["dmasad_improved"], "risk_update": "together"})
    np.testing.assert_allclose(
        together, eu.trajectory(x, c, s, eu.PRESETS["scholz_jmckib"]), rtol=0, atol=1e-12
    )
    assert oracle("dmasad_master")["forecast_median"].iloc[1:].tolist()[::2] == [10.0] * 5


def test_one_by_one_risk_depends_on_the_order_of_the_rows(example):
    """Updating exponents in list order makes dmasad's improved result depend on row order; together does not."""
    _, x, c, s = example
    order = np.arange(x.size)[::-1]
    for update, equivariant in (("together", True), ("one_by_one", False)):
        params = {"risk_update": update}
        forward = eu.trajectory(x, c, s, params, rounds=2)
        backward = eu.trajectory(x[order], c[order], s[order], params, rounds=2)[:, np.argsort(order)]
        assert np.allclose(forward, backward, rtol=0, atol=1e-12) == equivariant


def test_every_preset_is_a_valid_setting_of_the_declared_parameters():
    fields = {f.name: f for f in dataclasses.fields(eu.Parameters)}
    for name, settings in eu.PRESETS.items():
        assert set(settings) <= set(fields), name
        built = build(eu.Parameters, settings, "test", "protocol.params")  # types and choices, as a scenario
        assert all(getattr(built, key) == value for key, value in settings.items())
    differences = {key for settings in eu.PRESETS.values() for key in settings}
    assert differences <= set(fields) - {"q", "t", "max_rounds", "tolerance"}


SETTINGS = [
    {},
    *eu.PRESETS.values(),
    {"win_votes": "linear", "win_denominator": "pair", "risk": "once", "compromise_rule": "half"},
    {"compromise_key": "nearest"},
    {"compromise_key": "nearest", "compromise_rule": "half", "win_denominator": "pair"},
    {"win_count": "net", "offers": "strongest", "risk": "neutral", "capitulation": False},
    {"q": 0.6, "t": 0.7, "status_quo": "full", "mu": "mean"},
    {"q": 0.6, "t": 0.3, "status_quo": "flipped", "offers": "strongest", "mu": "median_then_mean"},
    {
        "q": 0.5,
        "status_quo": "full",
        "compromise_key": "signed",
        "risk_update": "one_by_one",
        "span": "scale",
    },
]


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default"
)
def test_compiled_kernels_equal_the_numpy_specification_bit_for_bit(example, settings):
    _, x, c, s = example
    rng = np.random.default_rng(7)
    xs = np.vstack([x / 10, rng.random((3, x.size)).round(2)])  # rounded: shared positions and ties
    cs, ss = np.vstack([c, rng.random((3, x.size))]), np.vstack([s, rng.random((3, x.size))])
    compiled = eu.trajectory(xs, cs, ss, {**settings, "max_rounds": 6}, kernels="compiled")
    numpy = eu.trajectory(xs, cs, ss, {**settings, "max_rounds": 6}, kernels="numpy")
    assert np.array_equal(compiled, numpy)
    assert (compiled[-1] != compiled[0]).any()  # the actors move


def test_compiled_probabilities_risk_and_expected_utilities_equal_numpy():
    rng = np.random.default_rng(11)
    x, c, s = rng.random((3, 12)).round(1), rng.random((3, 12)), rng.random((3, 12))
    r = 0.5 + 1.5 * rng.random((3, 12))
    for combo in itertools.product(("risk", "linear"), ("positive", "net"), ("all_pairs", "pair")):
        params = dict(zip(("win_votes", "win_count", "win_denominator"), combo, strict=True))
        for kernels in ("compiled", "numpy"):
            assert np.array_equal(
                eu.success_probability(x, c * s, r, params, kernels=kernels),
                eu.success_probability(x, c * s, r, params, kernels="numpy"),
            )
    params = {"q": 0.4, "t": 0.6, "risk_update": "one_by_one"}
    for call in (
        lambda k: eu.expected_utilities(x, c, s, r, params, 0.9, kernels=k),
        lambda k: eu.measure_risk(x, c, s, params, 0.9, kernels=k),
        lambda k: eu.challenge_round(x, c, s, r, {**params, "risk": "once"}, 0.9, kernels=k)[0],
    ):
        assert np.array_equal(call("compiled"), call("numpy"))


def test_a_batch_moves_the_same_on_one_thread_or_several(monkeypatch):
    """The compiled round's rows (a clause of a replication each) shared among 1, 2, 3 or 7 threads give the
    same positions and expected utilities, bit for bit; 7 rows on 3 threads split unevenly."""
    rng = np.random.default_rng(5)
    x, c, s = rng.random((7, 30)).round(2), rng.random((7, 30)), rng.random((7, 30))
    params = {"q": 0.4, "risk": "every_round"}
    runs = []
    for threads in ("1", "2", "3", "7"):
        monkeypatch.setenv("WCITSIM_THREADS", threads)
        runs.append(eu.challenge_round(x, c, s, None, params, kernels="compiled"))
    for new, utilities in runs[1:]:
        assert np.array_equal(new, runs[0][0]) and np.array_equal(utilities, runs[0][1])
    assert np.array_equal(runs[0][0], eu.challenge_round(x, c, s, None, params, kernels="numpy")[0])
    assert np.isfinite(runs[0][1]).all()
    assert (runs[0][0] != x).any()


def test_the_oracle_tool_needs_checkouts(capsys):
    from conftest import load_tool

    tool = load_tool("regenerate_eu_oracles")
    assert tool.main([]) == 2
    assert "no checkout given" in capsys.readouterr().err
    assert tool.python2_sum([0.1] * 10) == 0.9999999999999999  # one after the other, as Python 2 added
