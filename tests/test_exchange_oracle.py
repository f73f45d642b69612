"""The exchange protocol against decide-exchange-model 2025.3.1 on its Copenhagen input (known answers).

The oracle files (tests/data/oracles/, PROVENANCE.md) were written by the
reference package itself (tools/regenerate_exchange_oracle.py): the 48 exchanges
of round 1 in order, and every actor's start, voting and next positions in
rounds 1 and 10, as its 28-digit decimals.

- ``kernel = "decimal"`` (the reference's arithmetic and list order) reproduces
  every printed digit: all 48 exchanges and both rounds' positions.
- The float kernels (numpy, compiled) reproduce round 1 to 1e-9. From round 2 on
  they part where the reference decides between two exchanges whose gains are
  equal exactly, by the 28th digit of its decimals: the test shows the first.
- ``compiled`` and ``numpy`` agree bit for bit, for both round rules.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from wcitsim.core.protocols import exchange as ex
from wcitsim.core.protocols import exchange_matching, exchange_matching_numba
from wcitsim.core.protocols.exchange_decimal import decimal_rounds
from wcitsim.errors import ScenarioError

DATA = Path(__file__).resolve().parent / "data"
ORACLES = DATA / "oracles"


def _rows(name: str) -> list[dict[str, str]]:
    with (ORACLES / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _issue(cell: str) -> str:
    return cell.split(" [")[0]  # "Extra [0 - 100]"


@pytest.fixture(scope="module")
def copenhagen():
    return ex.read_decide((DATA / "copenhagen_exchange.tsv").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def decimal_history(copenhagen):
    _actors, _issues, x, s, c, bounds = copenhagen
    return decimal_rounds(x, c, s, bounds, ex.REFERENCE, 10)


def _named(copenhagen, done, t):
    actors, issues = copenhagen[:2]
    return (
        actors[int(done["i"][t])],
        issues[int(done["q"][t])],
        issues[int(done["p"][t])],
        actors[int(done["j"][t])],
    )


def _oracle_named(row):
    return (row["i_actor_name"], _issue(row["i_supply"]), _issue(row["i_demand_issue"]), row["j_actor_name"])


def test_decimal_kernel_makes_the_reference_exchanges_of_round_one_digit_for_digit(
    copenhagen, decimal_history
):
    oracle = _rows("copenhagen_exchanges_round1.csv")
    made = decimal_history[0]["exchanges"]
    assert len(made) == len(oracle) == 48
    for e, row in zip(made, oracle, strict=True):
        actors, issues = copenhagen[:2]
        assert (actors[e["i"]], issues[e["q"]], issues[e["p"]], actors[e["j"]]) == _oracle_named(row)
        assert (_issue(row["j_supply"]), _issue(row["j_demand_issue"])) == (issues[e["p"]], issues[e["q"]])
        assert e["gain"] == Decimal(row["i_gain p=0"]) == Decimal(row["j_gain p=0"])
        for side in ("i", "j"):
            assert e[f"x{side}"] == Decimal(row[f"{side}_start"])
            assert e[f"m{side}"] == Decimal(row[f"{side}_move"])
            assert e[f"y{side}"] == Decimal(row[f"{side}_voting"])


@pytest.mark.parametrize(("name", "index", "label"), [("round1", 0, "round1"), ("final", 9, "round10")])
def test_decimal_kernel_gives_the_reference_positions_digit_for_digit(
    copenhagen, decimal_history, name, index, label
):
    actors, issues = copenhagen[:2]
    rows = [r for r in _rows(f"copenhagen_equal_gain_{name}.csv") if r["actor"] != "MDS"]
    assert len(rows) == 75
    state = decimal_history[index]
    for row in rows:
        a, k = actors.index(row["actor"]), issues.index(row["issue"])
        assert state["start"][a, k] == Decimal(row[f"start_position_{label}"])
        assert state["voting"][a, k] == Decimal(row[f"voting_position_{label}"])
        assert state["next"][a, k] == Decimal(row[f"position_after_{label}"])


@pytest.mark.parametrize("kernel", ["numpy", "compiled"])
def test_float_kernels_make_the_reference_exchanges_of_round_one(copenhagen, kernel):
    _actors, _issues, x, s, c, bounds = copenhagen
    voting, done = ex.play_round(x, c, s, {**ex.REFERENCE, "kernel": kernel}, bounds)
    oracle = _rows("copenhagen_exchanges_round1.csv")
    assert len(done["gain"]) == len(oracle) == 48
    for t, row in enumerate(oracle):
        assert _named(copenhagen, done, t) == _oracle_named(row)
        assert done["gain"][t] == pytest.approx(float(row["i_gain p=0"]), abs=1e-12)
        for side in ("i", "j"):
            assert done[f"x{side}"][t] == pytest.approx(float(row[f"{side}_start"]), abs=1e-9)
            assert done[f"y{side}"][t] == pytest.approx(float(row[f"{side}_voting"]), abs=1e-9)
    # the equal gain, and the outcome shifts behind it: G = s_ip·b − s_iq·a = s_jq·a − s_jp·b
    i, j, p, q = done["i"], done["j"], done["p"], done["q"]
    assert s[i, p] * done["b"] - s[i, q] * done["a"] == pytest.approx(done["gain"], rel=1e-9)
    assert s[j, q] * done["a"] - s[j, p] * done["b"] == pytest.approx(done["gain"], rel=1e-9)
    positions = _rows("copenhagen_equal_gain_round1.csv")
    after = ex.carry(x, voting, s, ex.REFERENCE)
    actors, issues = copenhagen[:2]
    for row in positions:
        k = issues.index(row["issue"])
        if row["actor"] == "MDS":  # the weighted means of the start, voting and next positions
            for state, column in (
                (x, "start_position"),
                (voting, "voting_position"),
                (after, "position_after"),
            ):
                assert ex.outcomes(state, c, s)[k] == pytest.approx(float(row[f"{column}_round1"]), abs=1e-9)
            continue
        a = actors.index(row["actor"])
        assert voting[a, k] == pytest.approx(float(row["voting_position_round1"]), abs=1e-9)
        assert after[a, k] == pytest.approx(float(row["position_after_round1"]), abs=1e-9)


def test_float_kernels_part_from_the_reference_at_an_exact_tie(copenhagen, decimal_history):
    """Round 2 from the reference's own start: 16 exchanges agree; the 17th is a tie the reference breaks by its 28th digit."""
    actors, issues, _x, s, c, bounds = copenhagen
    start = decimal_history[1]["start"].astype(float)  # position_after_round1 of the oracle
    _voting, done = ex.play_round(start, c, s, ex.REFERENCE, bounds)
    reference = decimal_history[1]["exchanges"]
    for t in range(16):
        e = reference[t]
        assert (done["i"][t], done["j"][t], done["p"][t], done["q"][t]) == (e["i"], e["j"], e["p"], e["q"])
        assert done["yi"][t] == pytest.approx(float(e["yi"]), abs=1e-9)
    e, t = reference[16], 16
    usa, china = actors.index("USA"), actors.index("China India")
    assert (e["i"], e["j"], done["i"][t], done["j"][t]) == (china, usa, china, usa)
    assert (
        issues[e["q"]] == issues[done["q"][t]] == "Commitments"
    )  # China-India supplies Commitments to the USA
    # the USA supplies MRVdecrease in the reference, Newtreaty here; both give the same gain, as the two
    # actors weigh each of those issues equally (0.9 and 0.9; 1.0 and 1.0)
    assert (issues[e["p"]], issues[done["p"][t]]) == ("MRVdecrease", "Newtreaty")
    for issue in ("MRVdecrease", "Newtreaty"):
        k = issues.index(issue)
        assert s[usa, k] == s[china, k]
    assert float(e["gain"]) == pytest.approx(done["gain"][t], rel=1e-14)
    assert str(e["gain"]) == "0.200691876750700281687245003"  # the tied exchange's gain ends in ...002


def _small(seed: int, n: int = 12, k: int = 4, twins: bool = True):
    rng = np.random.default_rng(seed)
    x, s, c = rng.random((n, k)), rng.uniform(0.1, 1.0, (n, k)), rng.uniform(0.2, 2.0, n)
    if twins:  # two pairs of identical actors: exactly tied gains
        x[1], s[1], c[1] = x[0], s[0], c[0]
        x[3], s[3], c[3] = x[2], s[2], c[2]
    return x, c, s


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("rule", "carry"), [("sequential", "partial"), ("matching", "voting"), ("matching", "partial")]
)
def test_compiled_equals_numpy_bit_for_bit(seed, rule, carry):
    x, c, s = _small(seed, twins=seed % 2 == 0)
    _runs_equal(x, c, s, {"round_rule": rule, "carry": carry, "max_rounds": 4}, (0.0, 1.0))


def _runs_equal(x, c, s, params, bounds):
    runs = [ex.run(x, c, s, {**params, "kernel": kernel}, bounds) for kernel in ("numpy", "compiled")]
    (xa, ha), (xb, hb) = runs
    assert np.array_equal(xa, xb)
    assert len(ha) == len(hb) >= 1
    for a, b in zip(ha, hb, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert np.array_equal(a[key], b[key]), key
    return ha


@pytest.mark.parametrize(("seed", "coded"), [(0, False), (1, True)])
def test_compiled_sequential_equals_numpy_on_a_larger_field(seed, coded):
    """40 actors on 6 issues of a 0–100 scale: ~2,000 candidates (the compiled kernel's max-tree has two
    levels), some saliences 0, twins, positions drawn or coded; outcome caps bind in some rounds."""
    rng = np.random.default_rng(seed)
    n, k = 40, 6
    x = 100.0 * (rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], (n, k)) if coded else rng.random((n, k)))
    s = np.where(rng.random((n, k)) < 0.1, 0.0, rng.uniform(0.1, 1.0, (n, k)))
    c = rng.uniform(0.2, 2.0, n)
    x[1], s[1], c[1] = x[0], s[0], c[0]
    history = _runs_equal(x, c, s, {**ex.REFERENCE, "max_rounds": 3}, (0.0, 100.0))
    assert sum(len(h["gain"]) for h in history) > 300


def test_compiled_sequential_equals_numpy_without_candidates():
    x, c, s = _small(2)
    x[:] = 0.5  # everyone on the same side of every outcome: nobody to trade with
    voting, done = ex.play_round(x, c, s, {"kernel": "compiled"})
    expected, reference = ex.play_round(x, c, s, {"kernel": "numpy"})
    assert np.array_equal(voting, expected) and np.array_equal(voting, x)
    assert len(done["gain"]) == len(reference["gain"]) == 0
    assert done.keys() == reference.keys()


def test_compiled_rounds_of_dominant_exchanges_equal_numpys_when_keys_tie():
    """With equal keys (gain less 1e-15 per place) a greedy pass would take one of two tied exchanges, the rounds both."""
    n, k = 4, 3
    cand = {
        "i": np.array([0, 0, 1]),
        "j": np.array([2, 3, 2]),
        "p": np.array([0, 0, 1]),
        "q": np.array([1, 1, 2]),
        "gain": np.array([0.5, 0.5 + 1e-15, 0.25]),
    }
    key = cand["gain"] - np.arange(3) * 1e-15
    assert key[0] == key[1]
    numpy_take = np.sort(exchange_matching.dominant_matching(cand, n, k, 0.0))
    slots = np.stack(
        [
            cand["i"] * k + cand["p"],
            cand["i"] * k + cand["q"],
            cand["j"] * k + cand["p"],
            cand["j"] * k + cand["q"],
        ],
        axis=1,
    )
    compiled = exchange_matching_numba._dominant(slots.astype(np.int32), cand["gain"], n, k, 0.0)
    assert numpy_take.tolist() == np.sort(compiled).tolist() == [0, 1]  # both tied exchanges, sharing (0, p)


def test_decimal_kernel_runs_the_sequential_rule_only():
    x, c, s = _small(0)
    with pytest.raises(ScenarioError, match="kernel: 'decimal' with round_rule = 'matching'"):
        ex.play_round(x, c, s, {"kernel": "decimal", "round_rule": "matching"})


@pytest.mark.parametrize("rule", ["sequential", "matching"])
def test_a_stack_steps_the_same_on_one_thread_or_several(monkeypatch, rule):
    """Replications shared among threads (the compiled sequential round runs without the lock) are computed
    alone: five replications on 1, 2 or 5 threads give the same positions, bit for bit, as each on its own."""
    rng = np.random.default_rng(7)
    reps, n, k = 5, 40, 6
    position, salience = rng.random((reps, n, k)), rng.uniform(0.1, 1.0, (reps, n, k))
    c = rng.uniform(0.2, 2.0, n)
    params = {"round_rule": rule, "kernel": "compiled"}
    alone = np.stack([ex.exchange_round(position[r], c, salience[r], params=params)[0] for r in range(reps)])
    for threads in ("1", "2", "5"):
        monkeypatch.setenv("WCITSIM_THREADS", threads)
        assert np.array_equal(ex.step(position, c, salience, params), alone), threads
    assert not np.array_equal(alone, position)  # exchanges were made
