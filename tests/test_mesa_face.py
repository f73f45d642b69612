"""The Mesa face: WcitModel takes plain parameters, steps one session at a time, and Mesa's tools drive it."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.core.outcome import Outcome
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.errors import UsageError
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario
from wcitsim.model import WcitModel

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()


def _run(model: WcitModel) -> WcitModel:
    while model.running:
        model.step()
    return model


def _equal(a: Outcome, b: Outcome) -> None:
    for name in Outcome.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63 - 1))
def test_the_mesa_face_is_the_vectorised_replication_of_the_same_seed(seed):
    world = build_world(load_scenario(TOY), DATA)
    _equal(_run(WcitModel(world=world, rng=seed)).outcome(), run_outcome(world, [seed]))


@pytest.mark.parametrize(
    "name, protocol",
    [
        ("wcit2012", "single_text"),
        ("wcit2012", "compromise"),
        ("consensus_chair", "single_text"),
        ("consensus_chair_aligned", "single_text"),  # a clause on its own index (seeder.clause_weights)
    ],
)
def test_the_mesa_face_equals_the_vectorised_engine_on_the_baseline(name, protocol):
    scenario = load_scenario(name).replace(**{"protocol.name": protocol})
    world = build_world(scenario, DATA)
    seeds = replication_seeds(3, 2)
    mesa_runs = Outcome.concatenate([_run(WcitModel(world=world, rng=s)).outcome() for s in seeds])
    _equal(
        mesa_runs, run_outcome(world, seeds, "vectorized", batch=1)
    )  # bit for bit, one replication a batch


@pytest.mark.parametrize("protocol", ["single_text", "compromise"])
def test_the_mesa_face_equals_the_reference_engine_without_sorting(protocol):
    scenario = load_scenario("no_sorting").replace(**{"protocol.name": protocol})
    world = build_world(scenario, DATA)
    seeds = replication_seeds(3, 2)
    mesa_runs = Outcome.concatenate([_run(WcitModel(world=world, rng=s)).outcome() for s in seeds])
    reference = run_outcome(world, seeds, "reference")
    np.testing.assert_array_equal(mesa_runs.text, reference.text)
    np.testing.assert_array_equal(mesa_runs.signed, reference.signed)
    np.testing.assert_array_equal(mesa_runs.tallies, reference.tallies)
    np.testing.assert_allclose(mesa_runs.position, reference.position, rtol=0, atol=1e-9)


def test_one_step_is_one_session_and_the_last_votes_and_signs():
    model = WcitModel(scenario=TOY, rng=5)
    sessions = model.world.sessions
    for t in range(1, sessions + 1):
        assert model.running and model.signatories is None
        model.step()
        assert model.conference.closed == t
    assert not model.running
    assert model.signatories == sum(bool(d.signed) for d in model.delegations)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == sessions + 1  # the opening and each session
    assert list(frame["session"]) == list(range(sessions + 1))
    assert frame["signatories"].iloc[-1] == model.signatories
    assert np.isnan(frame["projected"].iloc[0]) and np.isfinite(frame["projected"].iloc[1:]).all()


def test_dotted_overrides_reach_the_scenario_and_unknown_keys_are_refused():
    model = WcitModel(scenario=TOY, rng=1, **{"protocol.concession": 0.9}, chair__policy="majority")
    assert model.world.scenario.protocol.concession == 0.9
    assert model.world.scenario.chair.policy == "majority"
    with pytest.raises(UsageError):
        WcitModel(world=model.world, rng=1, **{"protocol.concession": 0.5})
    with pytest.raises(UsageError):
        WcitModel(scenario=TOY, rng=1, **{"protocol.name": "exchange"})


def test_batch_run_returns_one_row_per_delegation_per_step_with_signatures_at_the_last():
    rows = mesa.batch_run(
        WcitModel,
        parameters={"scenario": str(TOY), "protocol.concession": [0.2, 0.6]},
        rng=[1, 2],
        max_steps=100,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    world = build_world(load_scenario(TOY), DATA)
    steps = world.sessions + 1
    assert len(rows) == 2 * 2 * steps * world.n  # 2 values × 2 seeds × (opening + sessions) × delegations
    last = [r for r in rows if r["Step"] == world.sessions]
    assert len(last) == 2 * 2 * world.n
    assert all(isinstance(r["signed"], bool) for r in last)
    assert all(r["signed"] is None for r in rows if r["Step"] < world.sessions)
    assert {r["iso3"] for r in last} == set(world.iso3)
    # each run's signatories are the count of its delegations' signatures
    for run in {(r["RunId"]) for r in last}:
        mine = [r for r in last if r["RunId"] == run]
        assert mine[0]["signatories"] == sum(r["signed"] for r in mine)
    # the same seed and parameters give the same signatures, whatever else was run beside them
    alone = _run(WcitModel(scenario=TOY, rng=1, **{"protocol.concession": 0.2}))
    first = sorted(
        (r["iso3"], r["signed"]) for r in last if r["rng"] == 1 and r["protocol.concession"] == 0.2
    )
    assert first == sorted((d.iso3, d.signed) for d in alone.delegations)


def test_solaraviz_shows_the_model_and_its_controller_steps_it():
    solara = pytest.importorskip("solara")
    v = pytest.importorskip("ipyvuetify")
    pytest.importorskip("altair")  # mesa.visualization imports it
    from mesa.visualization.solara_viz import ModelController

    from wcitsim.teach import mesa_view

    model = WcitModel(scenario=TOY, rng=3)
    solara.render(mesa_view.make_page(model), handle_error=False)  # SolaraViz builds the page of this model
    reactive = solara.reactive(model)
    _, rc = solara.render(
        ModelController(
            reactive,
            play_interval=solara.reactive(100),
            render_interval=solara.reactive(1),
            use_threads=solara.reactive(False),
        ),
        handle_error=False,
    )
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert reactive.value.conference.closed == 1
    assert mesa_view.MODEL_PARAMS["scenario"]["value"] in mesa_view.MODEL_PARAMS["scenario"]["values"]
