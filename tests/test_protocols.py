"""The expected-utility and exchange protocols on their published worked examples.

Sources: Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group
decision model", Journal of Theoretical Politics 23(4) (the EU car-emission
example of Bueno de Mesquita & Stokman 1994); Stokman & Van Oosten (1994) and
Dijkstra, Van Assen & Stokman (2008), with the Copenhagen input of the
decide-exchange-model package. See tests/data/README.md.

These tests check by hand the quantities the published formulas fix on these
inputs (success probabilities, utilities, expected utilities, risk, outcomes,
exchange rates and gains). The models' outputs are compared with the reference
implementations' own outputs elsewhere: the expected-utility model, round by
round, with the three open replications of Scholz et al.'s reconstruction
(tests/test_eu_oracle.py); the exchange model, digit for digit, with
decide-exchange-model on the Copenhagen input (tests/test_exchange_oracle.py).
The published tables themselves (the reconstruction's forecast path, the
exchange model's published Copenhagen outcomes) are not in the project's
reference, which holds the inputs and the implementations' outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.core.protocols import exchange as ex
from wcitsim.core.protocols import expected_utility as eu

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parents[1]


@pytest.fixture(scope="module")
def emissions():
    table = pd.read_csv(DATA / "bdm_eu_emissions.csv").set_index("actor")
    return table


def _arrays(table):
    return (
        table["position"].to_numpy(float)[None],
        table["capability"].to_numpy(float)[None],
        (table["salience"].to_numpy(float) / 100)[None],
    )


def test_emissions_median_and_mean_by_hand(emissions):
    x, c, s = _arrays(emissions)
    # c·s at 4: .08·.8 + .03·.2 + .16·.8 + .05·1 = .248; at 7: .032 + .005 + .056 = .093; at 10: .096+.096+.144 = .336
    # half of .677 is .3385, reached at 7 (.248 + .093 = .341) -> median 7
    assert eu.weighted_median(x, c * s).tolist() == [7.0]
    assert float((x * c * s).sum() / (c * s).sum()) == pytest.approx(5.003 / 0.677)


def test_success_probability_by_hand(emissions):
    x, c, s = _arrays(emissions)
    names = list(emissions.index)
    fr, de = names.index("France"), names.index("Germany")
    p = eu.success_probability(x, c * s, span=6.0)[0]  # r = 1, Δ = 10 − 4
    # votes for France over Germany: the three at 10 each give c·s·(|10 − 4| − 0)/6, weight .336; those at 7 none.
    # Scholz's denominator, every vote over every pair of actors: a voter at 4 sees distances 0 (4 actors),
    # .5 (3) and 1 (3), Σ_ab |a_b − a_a| = 2(12·.5 + 12·1 + 9·.5) = 45; at 10 the same; at 7, .5 (7) and 0 (3): 21.
    total = 0.248 * 45 + 0.093 * 21 + 0.336 * 45
    assert p[fr, de] == pytest.approx(0.336 / total) and p[de, fr] == pytest.approx(0.248 / total)
    assert p[fr, names.index("Italy")] == 0.0  # same position: no contest
    # Bueno de Mesquita's per-pair denominator (win_denominator = "pair"): the votes cast in the pair
    pair = eu.success_probability(x, c * s, params={"win_denominator": "pair"}, span=6.0)[0]
    assert pair[fr, de] == pytest.approx(0.336 / (0.336 + 0.248))
    assert pair[fr, de] + pair[de, fr] == pytest.approx(1.0)


def test_expected_utility_by_hand(emissions):
    x, c, s = _arrays(emissions)
    names = list(emissions.index)
    fr, de = names.index("France"), names.index("Germany")
    e = eu.expected_utilities(x, c, s, np.ones_like(x), eu.DEFAULTS, span=6.0)[0]
    # r = 1, Δ = 6: |x_FR − x_DE|/Δ = 1 -> U_s = 2 − 4(.5 − .5) = 2, U_f = 2 − 4(.5 + .5) = −2, U_sq = 0;
    # Q = 1: EU_ij = s_j(P U_s + (1 − P) U_f) + (1 − s_j) U_s − U_sq, s_j the target's salience (s_DE = .8)
    p = 0.336 / 28.233  # the probability of the test above
    assert e[fr, de] == pytest.approx(0.8 * (2 * p - 2 * (1 - p)) + 0.2 * 2)
    q = 0.248 / 28.233  # Germany challenging France (s_FR = .6)
    assert e[de, fr] == pytest.approx(0.6 * (2 * q - 2 * (1 - q)) + 0.4 * 2)
    # with Q = .5, T = 1: subtract .5 U_sq + .5 U_b, μ = 7, U_b = 2 − 4(.5 − .25(|10 − 7| + 6)/6) = 1.5
    half = eu.expected_utilities(x, c, s, np.ones_like(x), {**eu.DEFAULTS, "q": 0.5}, span=6.0)[0]
    assert half[fr, de] == pytest.approx(e[fr, de] - 0.5 * 1.5)


def test_risk_exponents_follow_the_security_levels(emissions):
    x, c, s = _arrays(emissions)
    e = eu.expected_utilities(x, c, s, np.ones_like(x), eu.DEFAULTS, span=6.0)
    r = eu.risk_exponents(e)[0]
    security = e[0].sum(axis=0)
    big_r = (2 * security - security.max() - security.min()) / (security.max() - security.min())
    assert r == pytest.approx((1 - big_r / 3) / (1 + big_r / 3))
    assert r.min() == pytest.approx(0.5) and r.max() == pytest.approx(2.0)  # R = ±1 at the extremes
    # a round measures its exponents from the risk-neutral EUs, all at once (risk_update = "together")
    assert eu.measure_risk(x, c, s, eu.DEFAULTS, span=6.0)[0] == pytest.approx(r, abs=1e-15)


def test_emissions_forecast_is_the_reconstructions(emissions):
    """The default forecast, the weighted median after 10 rounds, is Scholz et al.'s (jmckib's round 10)."""
    x, c, s = _arrays(emissions)
    final, rounds = eu.run(x, c, s, {"max_rounds": 10})
    oracle = pd.read_csv(DATA / "oracles" / "bdm_eu_emissions_jmckib.csv")
    median = oracle[(oracle["round"] == 10) & (oracle["actor"] == "forecast_median")]["position"].item()
    # it never settles: each round some actors trade places (Luxembourg and Ireland in round 1)
    assert rounds == 10
    assert float(eu.weighted_median(final, c * s)[0]) == median == 7.0


PROBABILITY_SETTINGS = [{}, {"win_votes": "linear"}, {"win_count": "net"}, {"win_denominator": "pair"}]


@pytest.mark.parametrize("settings", [*PROBABILITY_SETTINGS, eu.PRESETS["dmasad_master"]])
def test_success_probability_equals_the_definition_on_random_fields(settings):
    rng = np.random.default_rng(1)
    x, w = rng.random((4, 9)).round(1), rng.random((4, 9))  # rounded: ties included
    r = 0.5 + 1.5 * rng.random((4, 9))
    p = eu.success_probability(x, w, r, settings, span=0.9)
    linear, net = settings.get("win_votes") == "linear", "win_count" in settings
    pair = "win_denominator" in settings
    for row in range(4):
        exponent = np.ones(9) if linear else r[row]
        a = (np.abs(x[row][:, None] - x[row][None, :]) / 0.9) ** exponent[:, None]  # a[k, j]
        every = sum(w[row, k] * abs(a[k, b] - a[k, c]) for k in range(9) for b in range(9) for c in range(9))
        for i in range(9):
            for j in range(9):
                v = w[row] * (a[:, j] - a[:, i])  # each voter's vote for i over j
                num = max(v.sum(), 0.0) if net else np.maximum(v, 0).sum()
                den = np.abs(v).sum() if pair else every
                expected = num / den if den > 0 and x[row, i] != x[row, j] else 0.0
                assert p[row, i, j] == pytest.approx(expected, abs=1e-12)


@pytest.fixture(scope="module")
def copenhagen():
    return ex.read_decide((DATA / "copenhagen_exchange.tsv").read_text(encoding="utf-8"))


def test_reads_the_decide_format(copenhagen):
    actors, issues, _x, s, power, bounds = copenhagen
    assert len(actors) == 11 and len(issues) == 7
    assert bounds.tolist() == [[0.0, 100.0]] * 7
    assert power.sum() == pytest.approx(1.001)
    russia = actors.index("Russia")
    assert s[russia, issues.index("Commitments")] == 0.0  # no row: no salience


def test_initial_outcomes_by_hand(copenhagen):
    _actors, issues, x, s, power, _ = copenhagen
    rows = [line.split("\t") for line in (DATA / "copenhagen_exchange.tsv").read_text().splitlines()]
    rows = [r for r in rows if r[0] == "'#D'" and r[2] == "'Newtreaty'"]
    num = sum(float(r[3]) * float(r[4]) * float(r[5]) for r in rows)
    den = sum(float(r[4]) * float(r[5]) for r in rows)
    assert ex.outcomes(x, power, s)[issues.index("Newtreaty")] == pytest.approx(num / den)


def test_the_best_first_exchange_by_hand(copenhagen):
    """USA (demands Commitments) and China-India (demands Extra): rate, moves and equal gains by hand."""
    actors, issues, x, s, power, bounds = copenhagen
    o, total, _ = ex.prepare(x, power, s)
    cand = ex.candidates(x, power, s, o, total)
    best = int(np.argmax(cand["gain"]))
    i, j, p, q = (int(cand[key][best]) for key in ("i", "j", "p", "q"))
    assert {actors[i], actors[j]} == {"USA", "China India"}
    assert {issues[p], issues[q]} == {"Commitments", "Extra"}
    S = (power[:, None] * s).sum(axis=0)
    rate = (s[i, q] + s[j, q]) / (s[i, p] + s[j, p])
    a_max = power[i] * s[i, q] * abs(x[i, q] - x[j, q]) / S[q]
    b_max = power[j] * s[j, p] * abs(x[j, p] - x[i, p]) / S[p]
    a = min(a_max, b_max / rate)
    b = a * rate
    assert cand["a"][best] == pytest.approx(a) and cand["b"][best] == pytest.approx(b)
    gain_i = s[i, p] * b - s[i, q] * a
    gain_j = s[j, q] * a - s[j, p] * b
    assert gain_i == pytest.approx(gain_j)  # equal gain
    assert cand["gain"][best] == pytest.approx(gain_i) == pytest.approx(3.2788, abs=1e-4)
    # both round rules make it first
    for rule in ("matching", "sequential"):
        _, done = ex.play_round(x, power, s, {"round_rule": rule}, bounds)
        first = int(np.argmax(done["gain"])) if rule == "matching" else 0
        assert (done["i"][first], done["j"][first], done["p"][first], done["q"][first]) == (i, j, p, q)
        assert done["gain"][first] == pytest.approx(gain_i)


MATCHING = {"round_rule": "matching", "carry": "voting"}  # wcitsim 0.1.0's exchange round


def test_every_exchange_of_the_matching_rule_is_equal_gain_and_disjoint(copenhagen):
    _actors, issues, x, s, power, _ = copenhagen
    new, done = ex.exchange_round(x, power, s, params=MATCHING)
    k = len(issues)
    slots = np.concatenate(
        [
            done["i"] * k + done["p"],
            done["i"] * k + done["q"],
            done["j"] * k + done["p"],
            done["j"] * k + done["q"],
        ]
    )
    assert len(slots) == len(set(slots.tolist()))  # each actor trades at most once per issue
    gain_j = s[done["j"], done["q"]] * done["a"] - s[done["j"], done["p"]] * done["b"]
    assert done["gain"] == pytest.approx(gain_j)
    assert (done["gain"] > 0).all()
    # each issue's outcome moves by exactly the sum of the exchanged shifts (a on the supply, b on the demand)
    shift = np.zeros(k)
    np.add.at(shift, done["p"], np.sign(x[done["i"], done["p"]] - x[done["j"], done["p"]]) * done["b"])
    np.add.at(shift, done["q"], np.sign(x[done["j"], done["q"]] - x[done["i"], done["q"]]) * done["a"])
    assert ex.outcomes(new, power, s) - ex.outcomes(x, power, s) == pytest.approx(shift)


def test_every_exchange_of_the_sequential_rule_is_equal_gain_and_moves_the_outcomes_by_its_shifts(copenhagen):
    """The reference's rule: actors trade several times a round; each exchange still gains both sides equally."""
    _actors, issues, x, s, power, bounds = copenhagen
    voting, done = ex.play_round(x, power, s, ex.REFERENCE, bounds)
    i, j, p, q, a, b = (done[key] for key in ("i", "j", "p", "q", "a", "b"))
    assert len(done["gain"]) == 48 and len(set(zip(i.tolist(), q.tolist(), strict=True))) < 48
    assert s[i, p] * b - s[i, q] * a == pytest.approx(done["gain"])
    assert s[j, q] * a - s[j, p] * b == pytest.approx(done["gain"])
    total = (power[:, None] * s).sum(axis=0)
    assert power[i] * s[i, q] * np.abs(done["yi"] - done["xi"]) / total[q] == pytest.approx(a)
    assert power[j] * s[j, p] * np.abs(done["yj"] - done["xj"]) / total[p] == pytest.approx(b)
    shift = np.zeros(len(issues))
    np.add.at(shift, q, np.sign(done["yi"] - done["xi"]) * a)
    np.add.at(shift, p, np.sign(done["yj"] - done["xj"]) * b)
    assert ex.outcomes(voting, power, s) - ex.outcomes(x, power, s) == pytest.approx(shift)


def test_copenhagen_outcomes_of_the_matching_rule_pinned(copenhagen):
    _actors, _issues, x, s, power, _ = copenhagen
    final, history = ex.run(x, power, s, {"max_rounds": 10, **MATCHING})
    assert len(history) == 10 and len(history[0]["gain"]) == 14
    assert ex.outcomes(final, power, s).round(2).tolist() == [54.24, 70.05, 48.94, 51.66, 18.23, 73.79, 90.74]


def test_copenhagen_outcomes_of_the_reference_settings(copenhagen):
    """The package's weighted means after 10 rounds (tests/data/oracles/copenhagen_equal_gain_final.csv, MDS)."""
    _actors, _issues, x, s, power, bounds = copenhagen
    final, history = ex.run(x, power, s, {**ex.REFERENCE, "kernel": "decimal"}, bounds)
    assert [len(h["gain"]) for h in history] == [48, 46, 42, 44, 47, 42, 45, 46, 45, 45]
    assert ex.outcomes(final, power, s).round(2).tolist() == [58.38, 72.63, 31.92, 46.35, 20.52, 74.91, 93.73]


@pytest.mark.parametrize("protocol", ["expected_utility", "exchange"])
def test_protocol_runs_on_the_toy_and_rejects_the_reference_engine(tmp_path, protocol, capsys):
    scenario = tmp_path / f"{protocol}.toml"
    scenario.write_text(
        f'extends = "{(DATA / "toy.toml").as_posix()}"\n[protocol]\nname = "{protocol}"\n[protocol.params]\nmax_rounds = 4\n',
        encoding="utf-8",
    )
    assert main(["run", str(scenario), "--reps", "3", "--json", "--no-write"]) == 0
    capsys.readouterr()
    assert main(["run", str(scenario), "--reps", "1", "--engine", "reference", "--no-write"]) == 2
    assert "runs on the vectorized engine only" in capsys.readouterr().err


@pytest.mark.parametrize("protocol", ["expected_utility", "exchange"])
def test_protocol_runs_on_the_baseline(protocol):
    from wcitsim import load_scenario, run_scenario

    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml").replace(
        **{"protocol.name": protocol, "protocol.params": {"max_rounds": 2}}
    )
    result = run_scenario(scenario, 2, 1)
    assert result.outcome.text.shape == (2, 8)
    assert result.summary()["countries"]["n_known"] == 100
