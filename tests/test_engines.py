"""The two engines give the same results; results depend on the seed only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.core.conference import Outcome
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS
from wcitsim.core.protocols import PROTOCOLS
from wcitsim.core.world import Streams, build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.errors import UsageError
from wcitsim.experiments.runner import run_outcome, run_scenario
from wcitsim.io.scenario import load_scenario
from wcitsim.model.reference import ReferenceModel, run_reference

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()


def _same(a: Outcome, b: Outcome) -> None:
    for name in Outcome.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
            assert np.array_equal(x, y), name
        else:
            # positions agree to 1e-9 (the engines sum in different orders); the silhouette of a
            # field magnifies such differences about a thousandfold, the pole counts not at all
            atol = 1e-6 if name == "field" else 1e-9
            np.testing.assert_allclose(x, y, rtol=0, atol=atol, err_msg=name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63 - 1))
def test_reference_equals_vectorized_on_the_toy(seed):
    world = build_world(load_scenario(TOY), DATA)
    _same(run_reference(world, [seed]), PROTOCOLS["single_text"].run(world, Streams([seed])))


#: The keys that switch off the mechanisms the reference engine does not implement (scenarios/no_sorting.toml).
NO_SORTING = {
    "chair.temperature_clause": "", "chair.temperature_session": 0, "protocol.alignment": 0.0,
    "voting.motions": False, "voting.eligible_only": False, "signing.lost_vote": 0.0, "signing.persuasion": 0.0,
    "chair.consensus_draft": False,
}  # fmt: skip


@pytest.mark.parametrize("protocol", ["single_text", "compromise"])
def test_reference_equals_vectorized_on_the_baseline_without_sorting(protocol):
    scenario = load_scenario(ROOT / "scenarios" / "no_sorting.toml").replace(**{"protocol.name": protocol})
    world = build_world(scenario, DATA)
    seeds = replication_seeds(3, 2)
    _same(run_outcome(world, seeds, "reference"), run_outcome(world, seeds, "vectorized"))


@pytest.mark.parametrize(
    "variant",
    ["no_internet_resolution", "consensus_rule", "us_concedes", "industry_lobby", "host_bias", "prior"],
)
def test_reference_equals_vectorized_on_the_counterfactuals(variant):
    path = ROOT / "scenarios" / ("priors/wcit2012_prior.toml" if variant == "prior" else f"{variant}.toml")
    world = build_world(load_scenario(path).replace(**NO_SORTING), DATA)
    seeds = replication_seeds(11, 1)
    _same(run_outcome(world, seeds, "reference"), run_outcome(world, seeds, "vectorized"))


def test_the_reference_engine_refuses_the_sorting_baseline():
    world = build_world(load_scenario(ROOT / "scenarios" / "wcit2012.toml"), DATA)
    with pytest.raises(UsageError, match="reference engine implements the conference without"):
        run_outcome(world, replication_seeds(1, 1), "reference")


def test_same_seed_same_result_and_batching_does_not_matter():
    world = build_world(load_scenario(TOY), DATA)
    seeds = replication_seeds(5, 40)
    whole = run_outcome(world, seeds, batch=40)
    _same(whole, run_outcome(world, seeds, batch=40))
    _same(whole, run_outcome(world, seeds, batch=7))
    first = run_outcome(world, seeds[:13], batch=13)
    _same(first, Outcome(**{n: getattr(whole, n)[:13] for n in Outcome.__dataclass_fields__}))


def test_different_seeds_give_different_draws():
    world = build_world(load_scenario(TOY), DATA)
    a, b = run_outcome(world, [1]), run_outcome(world, [2])
    assert not np.array_equal(a.position, b.position)


def test_seeds_are_spawned_children_and_stable():
    seeds = replication_seeds(20121214, 3)
    assert seeds == replication_seeds(20121214, 3)
    assert replication_seeds(20121214, 5)[:3] == seeds
    assert all(0 <= s < 2**63 for s in seeds) and len(set(seeds)) == 3


def test_reference_model_records_every_session():
    world = build_world(load_scenario(TOY), DATA)
    model = ReferenceModel(world, rng=1)
    for _ in range(world.sessions):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == world.sessions + 1
    assert list(frame.columns) == ["session", "draft", "projected", "field"]
    assert np.stack(list(frame["field"])).shape == (world.sessions + 1, 2, len(FIELD_MEASURES))
    assert len(model.delegations) == world.n == 6
    assert {d.iso3 for d in model.delegations} == {"USA", "DEU", "RUS", "CHN", "KEN", "BRA"}


def test_run_scenario_summary_is_complete():
    result = run_scenario(load_scenario(TOY), 10, 3, data=DATA)
    summary = result.summary()
    assert summary["replications"] == 10 and summary["seed"] == 3
    assert set(summary) >= {
        "scenario",
        "split",
        "countries",
        "text",
        "field",
        "record_vote",
        "timing",
        "engine",
    }
    for view in FIELD_VIEWS:
        assert all(len(summary["field"][view][m]) == result.world.sessions + 1 for m in FIELD_MEASURES)
