"""Runs that stream: statistics tallied batch by batch, the run folder written as the replications come,
the sweep's final tables joined a part at a time."""

from __future__ import annotations

import json
import math
import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wcitsim.cli import main
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS, Outcome
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.experiments import records
from wcitsim.experiments.instruments import record_vote_table
from wcitsim.experiments.runner import (
    outcome_batches,
    run_outcome,
    run_scenario,
    seed_batches,
    stream_scenario,
)
from wcitsim.experiments.summary import RunTally
from wcitsim.experiments.tally import Counts, ExactSum
from wcitsim.io.files import json_text
from wcitsim.io.scenario import load_scenario
from wcitsim.metrics import known_decisions, split_summary, text_summary

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"


@pytest.fixture(scope="module")
def toy():
    """The toy's world, data and the outcome of 40 replications."""
    data = load_dataset()
    world = build_world(load_scenario(TOY), data)
    return world, data, run_outcome(world, replication_seeds(3, 40))


def _same(a, b, where: str = "") -> None:
    """``a`` and ``b`` have the same keys, lengths, strings and integers, and floats equal to rounding."""
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not (isinstance(b, float) and math.isnan(a) and math.isnan(b)):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-12), where
    else:
        assert a == b and type(a) is type(b), where


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _field_oracle(field: np.ndarray) -> dict:
    """The field's summary computed from the whole stack, as numpy gives it."""
    poles, bipolar = FIELD_MEASURES.index("clusters"), FIELD_MEASURES.index("bipolarity")
    out = {}
    for v, view in enumerate(FIELD_VIEWS):
        values = field[:, :, v, :]
        traced = np.isfinite(values[..., 0]).any(axis=0)
        means = np.where(traced[:, None], np.where(np.isfinite(values), values, 0).mean(axis=0), np.nan)
        binary = np.mean((values[..., poles] == 2) & (values[..., bipolar] >= 0.85), axis=0)
        out[view] = {m: [_num(x) for x in means[:, j]] for j, m in enumerate(FIELD_MEASURES)}
        out[view]["binary_share"] = [_num(x) for x in np.where(traced, binary, np.nan)]
        out[view]["measured"] = [int(x) for x in np.isfinite(values[..., 0]).sum(axis=0)]
        for moment, s in (("opening", 0), ("deadline", -1)):
            counts = values[:, s, poles]
            out[view][f"poles_{moment}"] = {
                int(k): float(np.mean(counts == k)) for k in np.unique(counts[np.isfinite(counts)])
            }
    return out


def _vote_oracle(table: pd.DataFrame) -> dict:
    """Some of the record vote's summary, computed with pandas from the whole table."""
    went = table["to_vote"].to_numpy(dtype=bool)
    return {
        "share_to_vote": float(went.mean()),
        "share_passes": float(table["passes"].mean()),
        "tally_eligible": [float(table[f"{c}_eligible"].mean()) for c in ("yes", "no", "abstain")],
        "movers": {
            str(k): float(v) for k, v in table.loc[went, "mover"].value_counts(normalize=True).head(5).items()
        },
        "supporters": {
            str(k): float(v) for k, v in table["supporter"].value_counts(normalize=True).head(5).items()
        },
    }


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=60)
    | st.lists(st.sampled_from([0.0, 0.25, 1 / 3, 0.9]), min_size=1, max_size=60),
    st.floats(0, 1),
)
def test_quantiles_and_medians_from_counts_are_numpys(values, q):
    counts = Counts()
    counts.add(np.array(values[: len(values) // 2]))
    counts.add(np.array(values[len(values) // 2 :]))
    assert counts.quantile(q) == float(np.quantile(values, q))
    assert counts.median() == float(np.median(values))
    assert counts.mode() == float(np.unique(values)[np.argmax(np.unique(values, return_counts=True)[1])])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(-1e300, 1e300, allow_nan=False) | st.floats(-1e-300, 1e-300), min_size=1, max_size=40),
    st.integers(0, 40),
)
def test_an_exact_sum_gives_the_correctly_rounded_mean_whatever_the_batches(values, cut):
    whole, split = ExactSum(), ExactSum()
    whole.add(np.array(values))
    for part in (values[cut:], values[:cut]):  # another order, other batches
        if part:
            split.add(np.array(part))
    exact = float(sum(map(Fraction, values)) / len(values))
    assert whole.mean() == split.mean() == [exact]


def test_an_exact_sum_passes_nan_and_infinities_through():
    s = ExactSum(2)
    s.add(np.array([[1.0, np.inf], [2.0, 3.0]]))
    assert s.mean() == [1.5, np.inf]
    s.add(np.array([[np.nan, -np.inf]]))
    assert all(math.isnan(x) for x in s.mean())


def test_the_tally_gives_the_summary_numpy_gives_for_the_whole_stack(toy):
    world, data, o = toy
    tally = RunTally(world, data)
    tally.add(o)
    summary = tally.summary()
    known_total = int(known_decisions(data.record["decision"]).sum())
    _same(
        split_summary(o.signed, world.record, data.facts.eligible, data.facts.signed, known_total),
        summary["split"],
    )
    _same(text_summary(o.text, o.contested, o.tallies, world.agenda, o.declared), summary["text"])
    field = {
        view: {k: v for k, v in summary["field"][view].items() if k != "binary_from_session"}
        for view in FIELD_VIEWS
    }
    _same(_field_oracle(o.field), field)
    _same(o.projected.mean(axis=0).tolist(), summary["projected_signatories"])
    vote = _vote_oracle(record_vote_table(world, o, data.facts))
    _same(vote, {key: summary["record_vote"][key] for key in vote})
    countries = tally.countries()
    assert countries["p_sign"].to_numpy() == pytest.approx(o.probability.mean(axis=0), rel=1e-13)
    first = f"position_{world.agenda.ids[0]}"
    assert countries[first].to_numpy() == pytest.approx(o.position[:, :, 0].mean(axis=0), rel=1e-13)
    assert (countries["sign_rate"].to_numpy() == o.signed.mean(axis=0)).all()


def _chunks(o: Outcome, size: int) -> list[Outcome]:
    n = len(o.signed)
    return [Outcome(**{k: v[i : i + size] for k, v in vars(o).items()}) for i in range(0, n, size)]


def test_the_tally_is_the_same_however_the_replications_are_batched(toy):
    world, data, o = toy
    summaries, countries = [], []
    for size in (1, 7, 32, 40):
        tally = RunTally(world, data)
        for part in _chunks(o, size):
            tally.add(part)
        summaries.append(json.dumps(tally.summary()))
        countries.append(tally.countries())
    assert len(set(summaries)) == 1
    for frame in countries[1:]:
        pd.testing.assert_frame_equal(countries[0], frame, check_exact=True)


def test_the_tally_holds_as_much_for_ten_times_the_replications(toy):
    """What a tally keeps (sums, counts of discrete values) does not grow with the replications."""
    world, data, _ = toy
    sizes = []
    for replications in (32, 320):
        tally = RunTally(world, data)
        for _, o in outcome_batches(world, seed_batches(9, replications)):
            tally.add(o)
        sizes.append(len(pickle.dumps({k: v for k, v in vars(tally).items() if k not in ("world", "facts")})))
    assert sizes[1] < 1.1 * sizes[0], sizes


def test_a_streamed_run_reports_what_a_kept_run_reports():
    scenario = load_scenario(TOY)
    kept, streamed = run_scenario(scenario, 45, 2), stream_scenario(scenario, 45, 2)
    a, b = kept.summary(), streamed.summary()
    a.pop("timing"), b.pop("timing")
    assert json.dumps(a) == json.dumps(b)
    pd.testing.assert_frame_equal(kept.countries(), streamed.countries(), check_exact=True)


def test_a_long_run_measures_every_session_in_its_first_replications_only():
    """``traced``: the sessions between the opening and the deadline are measured in the first replications;
    everything else is what the fully measured run reports, whatever the batching."""
    scenario = load_scenario(TOY)
    full, first = stream_scenario(scenario, 50, 4, traced=None), stream_scenario(scenario, 20, 4, traced=None)
    parts = [stream_scenario(scenario, 50, 4, traced=20, batch=b).summary() for b in (32, 7)]
    a, b = full.summary(), parts[0]
    assert json.dumps(parts[0]["field"]) == json.dumps(parts[1]["field"])
    for s in (a, b):
        s.pop("timing")
    fa, fb, f20 = a.pop("field"), b.pop("field"), first.summary()["field"]
    assert json.dumps(a) == json.dumps(b)  # the split, the states, the text, the vote: all replications
    for view in FIELD_VIEWS:
        sessions = len(fa[view]["measured"])
        assert fb[view]["measured"] == [50] + [20] * (sessions - 2) + [50]
        for m in FIELD_MEASURES:  # the ends over all 50, the sessions between over the first 20
            assert [fb[view][m][0], fb[view][m][-1]] == [fa[view][m][0], fa[view][m][-1]]
            assert fb[view][m][1:-1] == f20[view][m][1:-1]
        assert fb[view]["poles_opening"] == fa[view]["poles_opening"]
        assert fb[view]["binary_share"][1:-1] == f20[view]["binary_share"][1:-1]


def test_seeds_in_batches_are_the_replication_seeds():
    assert [s for batch in seed_batches(11, 1000, 64) for s in batch] == replication_seeds(11, 1000)


def test_the_run_folder_is_written_as_the_replications_stream(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(records, "ROW_GROUP", 5)  # a row group a batch: 32, 32 and 6 replications
    assert (
        main(["run", str(TOY), "--reps", "70", "--seed", "6", "--out", str(tmp_path / "a"), "--no-figures"])
        == 0
    )
    (folder,) = (tmp_path / "a" / "toy").iterdir()
    kept = run_scenario(load_scenario(TOY), 70, 6)
    for name, frame in records.tables(kept).items():
        written = pd.read_parquet(folder / f"{name}.parquet")
        pd.testing.assert_frame_equal(frame, written, check_exact=True)
        if name != "countries":
            assert pq.ParquetFile(folder / f"{name}.parquet").metadata.num_row_groups == 3
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["replication_seeds"] == kept.seeds
    text = json_text({**meta, "replication_seeds": kept.seeds})
    assert (folder / "meta.json").read_text(encoding="utf-8") == text
    again = records.write_run(kept, tmp_path / "kept", figures=False)  # a kept run: the same tables
    for name in ("replications", "sessions", "votes", "record_vote", "countries"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(again / f"{name}.parquet"),
            pd.read_parquet(folder / f"{name}.parquet"),
            check_exact=True,
        )
    assert (
        main(
            [
                "run",
                str(TOY),
                "--reps",
                "23",
                "--out",
                str(tmp_path / "b"),
                "--no-replications",
                "--no-figures",
            ]
        )
        == 0
    )
    (folder,) = (tmp_path / "b" / "toy").iterdir()
    assert {p.name for p in folder.iterdir()} == {"countries.parquet", "summary.json", "meta.json"}
    capsys.readouterr()


def test_a_run_that_fails_while_streaming_leaves_no_folder(tmp_path, monkeypatch):
    tables, calls = records.replication_tables, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return tables(*args)

    monkeypatch.setattr(records, "replication_tables", failing)
    with pytest.raises(Exception, match="No space left"):
        records.stream_run(load_scenario(TOY), 70, 1, out=tmp_path, figures=False)
    assert not list(tmp_path.rglob("*.parquet")) and not list(tmp_path.rglob(".tmp-*"))


def test_the_sweeps_final_tables_are_joined_a_part_at_a_time(tmp_path):
    from wcitsim.experiments.sweep_run import _write_final

    parts, rng = tmp_path / "parts", np.random.default_rng(0)
    parts.mkdir()
    frames = {"outcomes": [], "states": []}
    for t in range(4):
        experiments = np.arange(3 * t, 3 * t + 3)
        outcomes = pd.DataFrame({"experiment": experiments, "accuracy": rng.random(3)}).sample(
            frac=1, random_state=t
        )
        states = pd.DataFrame(
            {"experiment": np.repeat(experiments, 2), "iso3": ["USA", "KEN"] * 3, "p_sign": rng.random(6)}
        ).sample(frac=1, random_state=t)
        for kind, frame in (("outcomes", outcomes), ("states", states)):
            frame.to_parquet(parts / f"{kind}-{t:05d}.parquet", index=False)
            frames[kind].append(frame)
    _write_final(tmp_path, parts, 4, {"sweep": "s"}, "resume")
    for kind, order in (("outcomes", ["experiment"]), ("states", ["experiment", "iso3"])):
        expected = pd.concat(frames[kind]).sort_values(order).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / f"{kind}.parquet"), expected, check_exact=True
        )
        assert pq.ParquetFile(tmp_path / f"{kind}.parquet").metadata.num_row_groups == 4
    assert "finished" in json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))


def test_a_sweeps_tasks_are_made_when_read_as_they_were_made_all_at_once(tmp_path):
    from wcitsim.experiments.sweep_run import _tasks
    from wcitsim.experiments.sweeps import design_experiments, load_spec

    spec_file = tmp_path / "s.toml"
    spec_file.write_text(
        f'[sweep]\nname = "s"\nscenario = "{TOY.as_posix()}"\ndesign = "grid"\nreplications = 4\nseed = 2\n'
        '[parameters."signing.intercept"]\nlevels = [0.1, 0.2, 0.3]\n[parameters."seeder.anchor_weight"]\n'
        "levels = [0.2, 0.6]\n",
        encoding="utf-8",
    )
    spec = load_spec(spec_file)
    experiments = design_experiments(spec)
    names = list(spec.parameters)
    rows = [  # as the tasks were made before, all at once
        {
            "experiment": int(r.experiment),
            "seed": int(r.seed),
            "parameters": {n: float(getattr(r, f"p{i}")) for i, n in enumerate(names)},
        }
        for r in experiments.rename(columns={n: f"p{i}" for i, n in enumerate(names)}).itertuples()
    ]
    tasks = _tasks(spec, experiments, tmp_path, 4)
    assert len(tasks) == 2 and [len(t["experiments"]) for t in tasks] == [4, 2]
    assert [e for t in tasks for e in t["experiments"]] == rows
    assert tasks[1]["data_dir"] == str(tmp_path) and tasks[1]["replications"] == 4
    with pytest.raises(IndexError):
        tasks[2]
