"""The class role play's mechanics and integrity, without a browser.

Known answers: a class whose students do nothing is the model-only run, draw for
draw; a student's move is its position after the session; votes all "no" return
every contested clause to 1988, all "yes" keep the draft; a decided signature is
final and its group conforms. Integrity: one claim per delegation, a seat acts
only for its delegation, out-of-turn and malformed requests are refused with a
status and a message, and a saved class replays to the same state.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.core.conference import Conference, run_vectorized
from wcitsim.core.world import Streams, build_world
from wcitsim.data import load_dataset
from wcitsim.errors import UsageError
from wcitsim.io.scenario import load_scenario
from wcitsim.teach.classroom.glossary import display_name, glossary
from wcitsim.teach.classroom.room import ClassRoom, Refused, Settings, load_class, new_class
from wcitsim.teach.classroom.views import LIKELY, UNLIKELY, group_outlook

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "wcit2012.toml"
DATA = load_dataset()
WORLDS = {
    name: build_world(load_scenario(ROOT / "scenarios" / f"{name}.toml").replace(**{"run.sessions": 6}), DATA)
    for name in ("wcit2012", "consensus_rule", "host_bias")
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def room(tmp_path: Path | None = None, seed: int = 7, sessions: int = 6, clock=None) -> ClassRoom:
    settings_ = Settings(str(BASELINE), seed, sessions, 120.0, code="ABCD")
    return ClassRoom(settings_, tmp_path / "ABCD" if tmp_path else None, data=DATA, clock=clock or Clock())


def refused(status: int, call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    assert caught.value.status == status, str(caught.value)
    return str(caught.value)


def play(r: ClassRoom, actions) -> None:
    """Advance ``r`` to the end; ``actions(r)`` runs before each close."""
    while r.phase != "done":
        if r.phase != "lobby":
            actions(r)
        r.advance()


# --------------------------------------------------------------------------- the model, a step at a time


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63 - 1), name=st.sampled_from(sorted(WORLDS)))
def test_a_conference_left_alone_is_the_model_run_draw_for_draw(seed, name):
    world = WORLDS[name]
    alone = Conference(world, Streams([seed])).run()
    model = run_vectorized(world, Streams([seed]))
    assert np.array_equal(alone.text[0], model.text[0])
    assert np.array_equal(alone.signed[0], model.signed[0])
    assert np.array_equal(alone.tallies[0], model.tallies[0])
    np.testing.assert_array_equal(np.array([d[0] for d in alone.drafts]), model.drafts[0])
    np.testing.assert_allclose(alone.probability[0], model.probability[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(alone.position, model.position, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        np.array([p[0] for p in alone.projected]).sum(axis=1), model.projected[0], atol=1e-9
    )


def test_a_move_is_the_position_after_the_session_and_moves_the_others_only_afterwards():
    world = WORLDS["wcit2012"]
    usa, internet = world.iso3.index("USA"), world.agenda.ids.index("internet")
    a, b = Conference(world, Streams([3])), Conference(world, Streams([3]))
    for c in (a, b):
        c.open_session()
    a.close_session({usa: {internet: 1.0}})
    b.close_session({})
    assert a.position[0, usa, internet] == 1.0  # exactly the chosen option
    others = np.arange(world.n) != usa
    np.testing.assert_array_equal(
        a.position[0, others], b.position[0, others]
    )  # nobody else moved differently yet
    for c in (a, b):
        c.open_session()
        c.close_session({})
    assert not np.allclose(a.position[0, others], b.position[0, others])  # the USA's stand was heard


def test_all_no_votes_return_contested_clauses_to_1988_and_all_yes_keep_the_draft():
    world = WORLDS["wcit2012"]
    seed = next(s for s in range(200) if _contested(world, s).any())
    for vote, expected in ((-1, "status quo"), (1, "draft")):
        c = Conference(world, Streams([seed]))
        for _ in range(world.sessions):
            c.open_session()
            c.close_session({})
        c.open_deadline()
        contested = c.contested[0].copy()
        c.close_vote({i: {k: vote for k in np.flatnonzero(contested)} for i in range(world.n)})
        text, final_draft, tallies = c.text[0], c.final_draft[0], c.tallies[0]
        want = world.agenda.status_quo if expected == "status quo" else final_draft
        np.testing.assert_array_equal(text[contested], want[contested])
        np.testing.assert_array_equal(text[~contested], final_draft[~contested])
        # only delegations entitled to vote count, each with its weight (144 in all) when the scenario says so
        n = world.eligibility.sum() if world.scenario.voting.eligible_only else world.n
        np.testing.assert_allclose(
            tallies[contested], [[0, n, 0] if vote == -1 else [n, 0, 0]] * int(contested.sum())
        )


def _contested(world, seed):
    c = Conference(world, Streams([seed]))
    for _ in range(world.sessions):
        c.open_session()
        c.close_session({})
    c.open_deadline()
    return c.contested[0]


def test_a_decided_signature_is_final_and_its_group_conforms():
    world = WORLDS["wcit2012"]
    c = Conference(world, Streams([11])).run()
    group = np.flatnonzero(world.group == "ATU")
    free = c.signing_probabilities()[0]
    refusing = c.signing_probabilities({int(i): False for i in group[:10]})[0]
    assert (refusing[group[:10]] == 0).all()
    assert (refusing[group[10:]] < free[group[10:]]).all()  # conformity pulls the rest of the group
    outside = np.flatnonzero(world.group != "ATU")
    assert np.allclose(refusing[outside], free[outside])
    signing = c.signing_probabilities({int(i): True for i in group[:10]})[0]
    assert (signing[group[10:]] > free[group[10:]]).all()


# --------------------------------------------------------------------------- the class session


def test_students_who_do_nothing_leave_the_model_run_unchanged(tmp_path):
    r = room(tmp_path)
    for iso in ("USA", "CHN", "KEN"):
        r.claim("ABCD", iso)
    play(r, lambda r: None)
    d = r.debrief()
    assert d["class"] == d["model"]
    assert d["changed_decisions"] == []
    assert all(row["won"] == 0 and row["text_won"] == 0 for row in d["delegations"])
    assert {row["iso3"] for row in d["students"]} == {"USA", "CHN", "KEN"}
    assert all(row["deviation"] is None and row["acted_steps"] == 0 for row in d["students"])
    assert d["record"] == {"signed_known": 56, "known": 100, "eligible": 144, "signed": 89, "members": 193}
    m = d["model_range"]
    assert m["runs"] == 200 and m["signed_interval"][0] <= m["signed_mean"] <= m["signed_interval"][1]
    assert all(0 < share <= 1 for share in m["text_share"])  # the class's text is among the model's own
    assert 0 <= m["class_percentile"] <= 1
    assert {"debrief.json", "delegations.csv", "debrief.svg", "debrief.html", "class.json"} <= {
        p.name for p in (tmp_path / "ABCD").iterdir()
    }


def test_a_students_choices_are_what_the_class_text_and_signature_record(tmp_path):
    r = room(tmp_path, seed=5)
    seat = r.claim("ABCD", "RUS")
    r.advance()
    widest = {c: len(labels) - 1 for c, labels in zip(r.world.agenda.ids, r.world.agenda.labels, strict=True)}

    def act(r):
        if r.phase == "negotiate":
            r.move(seat, "RUS", widest)
        elif r.phase == "vote":
            r.vote(
                seat,
                "RUS",
                {c: "yes" for c, x in zip(r.world.agenda.ids, r.conference.contested[0], strict=True) if x},
            )
        elif r.phase == "sign":
            r.sign(seat, "RUS", False)

    play(r, act)
    d = r.debrief()
    row = next(x for x in d["students"] if x["iso3"] == "RUS")
    assert row["class_signed"] is False  # its decision, whatever the model would have drawn
    assert row["class_payoff"] == 0  # it stays under the 1988 rules
    assert row["won"] == pytest.approx(-row["model_payoff"], abs=1e-4)
    assert row["acted_steps"] >= r.world.sessions + 1
    i = r.index["RUS"]
    interest = r.conference.interest[0, i]
    s = r.conference.salience_norm[0, i]
    assert row["deviation"] == pytest.approx(float(s @ np.abs(1.0 - interest)) / s.sum(), abs=1e-3)  # by hand


def test_one_claim_per_delegation_and_a_seat_acts_only_for_its_own(tmp_path):
    r = room(tmp_path)
    usa = r.claim("abcd", "usa")  # codes are not case-sensitive
    assert r.seat(usa) == "USA" and r.seat(usa.lower()) == "USA"  # a reload resumes the seat
    assert "already claimed" in refused(409, r.claim, "ABCD", "USA")
    assert "join code" in refused(403, r.claim, "WXYZ", "CHN")
    assert "not seated" in refused(404, r.claim, "ABCD", "XXX")
    refused(404, r.claim, "ABCD", None)
    chn = r.claim("ABCD", "CHN")
    r.advance()
    assert "cannot act for 'CHN'" in refused(403, r.move, usa, "CHN", {"internet": 0})
    refused(403, r.move, "NOSUCHSEAT", "USA", {"internet": 0})
    refused(403, r.move, None, None, {"internet": 0})
    r.move(chn, "CHN", {"internet": 2})
    assert r.pending == {"CHN": {"internet": 2}}  # the USA's refused request changed nothing


@pytest.mark.parametrize(
    ("positions", "needle"),
    [
        ({}, "expected an object"),
        ([1, 2], "expected an object"),
        ("internet", "expected an object"),
        ({"nosuch": 0}, "is not a clause"),
        ({"internet": 3}, "from 0 to 2"),
        ({"internet": -1}, "from 0 to 2"),
        ({"internet": True}, "from 0 to 2"),
        ({"internet": 1.0}, "from 0 to 2"),
        ({"internet": "1"}, "from 0 to 2"),
        ({"internet": None}, "from 0 to 2"),
    ],
)
def test_malformed_moves_are_refused_with_a_message(tmp_path, positions, needle):
    r = room(tmp_path)
    seat = r.claim("ABCD", "USA")
    r.advance()
    assert needle in refused(400, r.move, seat, "USA", positions)
    assert r.pending == {}


@pytest.mark.parametrize(
    ("votes", "needle"),
    [
        ({}, "expected an object"),
        (["yes"], "expected an object"),
        ({"spam": "yes"}, "is not put to the vote"),
        ({"internet": "maybe"}, "expected 'yes', 'no' or 'abstain'"),
        ({"internet": ["yes"]}, "expected 'yes', 'no' or 'abstain'"),
        ({"internet": {"a": 1}}, "expected 'yes', 'no' or 'abstain'"),
        ({"internet": 1}, "expected 'yes', 'no' or 'abstain'"),
    ],
)
def test_malformed_votes_are_refused_with_a_message(tmp_path, votes, needle):
    r = room(tmp_path, seed=7, sessions=6)
    seat = r.claim("ABCD", "USA")
    while r.phase != "vote":
        r.advance()
    assert "internet" in [c for c, x in zip(r.world.agenda.ids, r.conference.contested[0], strict=True) if x]
    assert needle in refused(400, r.vote, seat, "USA", votes)
    assert r.pending == {}


def test_out_of_turn_requests_are_refused(tmp_path):
    clock = Clock()
    r = room(tmp_path, sessions=1, clock=clock)
    seat = r.claim("ABCD", "USA")
    assert "lobby" in refused(409, r.move, seat, "USA", {"internet": 0})
    r.advance()
    refused(409, r.vote, seat, "USA", {"internet": "yes"})
    refused(409, r.sign, seat, "USA", True)
    r.pause(True)
    clock.now += 500  # the clock stands still while paused
    assert "suspended" in refused(409, r.move, seat, "USA", {"internet": 0})
    r.pause(False)
    assert r.time_left() == pytest.approx(120.0)
    clock.now += 121
    assert "time is up" in refused(409, r.move, seat, "USA", {"internet": 0})
    refused(400, r.pause, "yes")
    while r.phase != "done":
        r.advance()
    refused(409, r.advance)
    refused(409, r.sign, seat, "USA", True)
    refused(409, r.claim, "ABCD", "CHN")


def test_auto_advance_closes_a_turn_when_its_time_runs_out(tmp_path):
    clock = Clock()
    r = room(tmp_path, sessions=2, clock=clock)
    r.advance()
    r.tick()
    assert r.conference.closed == 0  # auto is off: the teacher closes turns
    r.set_options({"auto": True})
    clock.now += 119
    r.tick()
    assert r.conference.closed == 0
    clock.now += 2
    r.tick()
    assert r.conference.closed == 1 and r.time_left() == pytest.approx(120.0)
    r.set_options({"auto": False})
    clock.now += 200  # time ran out; the teacher gives another minute
    r.set_options({"extend": 60})
    assert r.time_left() == pytest.approx(60.0)
    r.pause(True)
    r.set_options({"extend": 30})
    assert r.time_left() == pytest.approx(90.0)
    refused(400, r.set_options, {"extend": -5})
    refused(400, r.set_options, {"extend": "60"})


def test_teacher_options_are_checked(tmp_path):
    r = room(tmp_path)
    refused(403, r.check_teacher, "wrong")
    refused(403, r.check_teacher, None)
    r.check_teacher(r.settings.teacher_key)
    refused(400, r.set_options, {"projected": "no"})
    refused(400, r.set_options, {"time_limit": 5})
    refused(400, r.set_options, {"time_limit": True})
    refused(400, r.set_options, {"projected": False, "time_limit": 1})
    assert r.reveal["projected"] is True  # a refused request changes nothing
    refused(409, r.set_options, {"debrief": True})
    refused(409, r.set_options, {"extend": 60})
    refused(409, r.debrief)
    seat = r.claim("ABCD", "USA")
    r.set_options({"projected": False, "group": False, "time_limit": 60})
    r.advance()
    view = r.student_view(seat)
    assert "signatures" not in view and all("group" not in c for c in view["clauses"])
    assert view["time_left"] == 60
    r.release("USA")
    refused(403, r.student_view, seat)
    r.claim("ABCD", "USA")  # free again


def test_a_team_shares_a_seat(tmp_path):
    r = room(tmp_path)
    seat = r.claim("ABCD", "IND")
    assert r.student_view(seat)["team"] == 1
    assert r.join(seat) == "IND"  # a teammate enters the seat code
    view = r.student_view(seat)
    assert view["iso3"] == "IND" and view["team"] == 2
    assert [(s["iso3"], s["team"]) for s in r.teacher_view()["seats"]] == [("IND", 2)]
    assert load_class(r.folder).members == {"IND": 2}
    refused(403, r.join, "NOSUCHSEAT")
    r.release("IND")
    assert r.teacher_view()["seats"] == []


def test_the_briefing_card_is_the_seeded_interest(tmp_path):
    r = room(tmp_path)
    seat = r.claim("ABCD", "BRA")
    r.advance()
    view = r.student_view(seat)
    i, agenda = r.index["BRA"], r.world.agenda
    for k, row in enumerate(view["clauses"]):
        want = int(np.nanargmin(np.abs(agenda.options[k] - r.conference.interest[0, i, k])))
        assert row["interest"] == want
        assert row["salience"] == pytest.approx(r.conference.salience_norm[0, i, k], abs=1e-3)
        assert row["draft"] == int(np.nanargmin(np.abs(agenda.options[k] - r.conference.drafts[-1][0, k])))
    assert sum(row["salience"] for row in view["clauses"]) == pytest.approx(1.0, abs=0.01)
    assert 0 < view["signatures"]["expected"] <= r.world.n
    assert json.dumps(view)  # plain JSON


def test_the_group_outlook_sorts_the_members_into_likely_undecided_and_unlikely():
    w = WORLDS["wcit2012"]
    p = np.linspace(0.0, 1.0, w.n)  # every probability from 0 to 1 across the seated states
    i = list(w.iso3).index("KEN")
    outlook = group_outlook(w, p, i)
    members = [m for kind in ("likely", "undecided", "unlikely") for m in outlook[kind]]
    group = {w.iso3[j] for j in np.flatnonzero(w.group == w.group[i])}
    assert {m["iso3"] for m in members} == group and len(members) == len(group)  # each member once
    assert [m["p"] for m in members] == sorted((m["p"] for m in members), reverse=True)
    assert all(m["p"] >= LIKELY for m in outlook["likely"]) and all(
        m["p"] < UNLIKELY for m in outlook["unlikely"]
    )
    assert all(UNLIKELY <= m["p"] < LIKELY for m in outlook["undecided"])
    ken = next(m for m in members if m["iso3"] == "KEN")
    assert ken == {"iso3": "KEN", "name": "Kenya", "p": round(float(p[i]), 2)}
    # the bounds as the page shows them: 64.99 % is shown 65 % and likely, 34.49 % is shown 34 % and unlikely
    cut = group_outlook(w, np.where(np.arange(w.n) == i, 0.6499, 0.3449), i)
    assert [m["iso3"] for m in cut["likely"]] == ["KEN"] and not cut["undecided"]
    assert len(cut["unlikely"]) == len(group) - 1


def test_the_pages_name_a_delegation_once_and_in_full(tmp_path):
    r = room(tmp_path)
    seat = r.claim("ABCD", "USA")
    view = r.student_view(seat)
    assert view["name"] == "United States" and view["students_at_table"] == [
        {"iso3": "USA", "name": "United States"}
    ]
    assert r.teacher_view()["seats"][0]["name"] == "United States"
    names = {d["iso3"]: d["name"] for d in r.delegations("ABCD")}
    assert (
        names["GBR"] == "United Kingdom"
        and names["ARE"] == "United Arab Emirates"
        and names["KEN"] == "Kenya"
    )
    assert display_name("FRA", "France") == "France"


def test_the_glossary_defines_the_briefing_cards_terms_in_one_line_each():
    terms = glossary()
    spellings = {m for t in terms for m in t["match"]}
    needed = {"recognized operating agencies", "authorized operating agencies", "Art. 5A", "Art. 5B",
              "sending-party-network-pays", "Res. PLEN/3", "salience", "1988"}  # fmt: skip
    assert needed <= spellings
    assert {str(g) for g in WORLDS["wcit2012"].group_names} - {"none"} <= spellings  # every regional group
    for t in terms:
        assert t["definition"].endswith(".") and "\n" not in t["definition"] and len(t["definition"]) < 260, t
    assert len(spellings) == sum(len(t["match"]) for t in terms)  # a spelling marks one term only
    w = WORLDS["wcit2012"]
    for labels in w.agenda.labels:  # every clause's options but the plain ones are explained
        for option in labels:
            assert option in {"none", "no Internet text"} or any(m in option for m in spellings), option


# --------------------------------------------------------------------------- saving and resuming


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 10_000),
    cut=st.integers(0, 12),
    choices=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.booleans()), min_size=12, max_size=12
    ),
)
def test_a_class_saved_at_any_point_resumes_to_the_same_outcome(tmp_path_factory, seed, cut, choices):
    folder = tmp_path_factory.mktemp("class")
    states = ("USA", "RUS", "KEN")

    def run(interrupt: int | None):
        r = ClassRoom(
            Settings(str(BASELINE), seed, 4, 120.0, code="ABCD"), folder / str(interrupt), data=DATA
        )
        seats = {iso: r.claim("ABCD", iso) for iso in states}
        step = 0
        while r.phase != "done":
            if step == interrupt:
                r = load_class(folder / str(interrupt))  # the server restarts
                seats = {iso: s for s, iso in r.seats.items()}
            if r.phase != "lobby":
                for j, iso in enumerate(states):
                    option, vote, sign = choices[(step + j) % len(choices)]
                    if r.phase == "negotiate" and (step + j) % 2:
                        r.move(seats[iso], iso, {"internet": option, "scope": vote})
                    elif r.phase == "vote":
                        contested = [
                            c for c, x in zip(r.world.agenda.ids, r.conference.contested[0], strict=True) if x
                        ]
                        r.vote(seats[iso], iso, {c: ("yes", "no", "abstain")[vote] for c in contested})
                    elif r.phase == "sign":
                        r.sign(seats[iso], iso, sign)
            r.advance()
            step += 1
        return r

    whole, resumed = run(None), run(cut)

    def log(r):
        return [{k: v for k, v in record.to_dict().items() if k != "closed_at"} for record in r.history]

    assert log(whole) == log(resumed)
    np.testing.assert_array_equal(whole.conference.signed, resumed.conference.signed)
    np.testing.assert_array_equal(whole.conference.text, resumed.conference.text)
    assert whole.debrief() == resumed.debrief()


def test_a_running_clock_resumes_with_the_time_it_had_not_the_time_the_server_was_down(tmp_path):
    clock = Clock()
    r = room(tmp_path, clock=clock)  # 120 s per turn
    r.advance()
    clock.now += 30
    r.heartbeat()  # the server saves the time left every second while the clock runs
    clock.now += 0.6  # the server dies 0.6 s after its last heartbeat ...
    clock.now += 500  # ... and is down for 500 s, longer than the turn
    again = load_class(tmp_path / "ABCD", clock=clock)
    assert not again.paused and again.time_left() == pytest.approx(90.0)  # not 0, and not 89.4
    clock.now += 10
    assert again.time_left() == pytest.approx(80.0)  # and it runs again
    r.set_options({"auto": True})
    clock.now += 90
    r.heartbeat()  # auto-advance needs no request: the heartbeat closes the turn
    assert r.conference.closed == 1 and load_class(tmp_path / "ABCD", clock=clock).conference.closed == 1


def test_a_resumed_class_keeps_pending_submissions_seats_and_clock(tmp_path):
    clock = Clock()
    r = room(tmp_path, clock=clock)
    seat = r.claim("ABCD", "USA")
    r.advance()
    r.move(seat, "USA", {"internet": 0})
    r.pause(True)
    again = load_class(tmp_path / "ABCD", clock=clock)
    assert again.seat(seat) == "USA"
    assert again.pending == {"USA": {"internet": 0}}
    assert again.paused and again.time_left() == pytest.approx(120.0)
    assert again.student_view(seat)["clauses"] == r.student_view(seat)["clauses"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{", "not a readable class file"),
        ('{"format": "other"}', "format"),
        ('{"format": "wcitsim-class/1"}', "damaged class file"),
        ('{"format": "wcitsim-class/1", "settings": {"scenario": "x"}}', "damaged class file"),
    ],
)
def test_a_damaged_class_file_is_refused_in_one_line(tmp_path, text, needle):
    (tmp_path / "class.json").write_text(text)
    with pytest.raises(UsageError) as caught:
        load_class(tmp_path)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_a_class_file_with_a_tampered_log_is_refused(tmp_path):
    r = room(tmp_path)
    r.claim("ABCD", "USA")
    r.advance()
    r.advance()
    state = json.loads((tmp_path / "ABCD" / "class.json").read_text())
    state["history"][0]["moves"] = {"XXX": {"internet": 0}}
    (tmp_path / "ABCD" / "class.json").write_text(json.dumps(state))
    with pytest.raises(UsageError, match="damaged class file"):
        load_class(tmp_path / "ABCD")
    state["history"][0]["moves"] = {}
    for pending in ({"USA": {"internet": 7}}, {"USA": True}, {"XXX": {}}, []):
        state["pending"] = pending
        (tmp_path / "ABCD" / "class.json").write_text(json.dumps(state))
        with pytest.raises(UsageError, match="damaged class file"):
            load_class(tmp_path / "ABCD")
    state["pending"] = {"USA": {"internet": 1}}
    (tmp_path / "ABCD" / "class.json").write_text(json.dumps(state))
    assert load_class(tmp_path / "ABCD").pending == {"USA": {"internet": 1}}
    state["seats"] = {"S": "NOPE"}
    (tmp_path / "ABCD" / "class.json").write_text(json.dumps(state))
    with pytest.raises(UsageError, match="damaged class file"):
        load_class(tmp_path / "ABCD")


def test_the_model_range_places_the_class_among_the_models_runs(tmp_path):
    from wcitsim.core.world import replication_seeds
    from wcitsim.experiments.runner import run_outcome

    r = room(tmp_path, seed=3, sessions=3)
    seat = r.claim("ABCD", "USA")
    r.advance()
    r.move(seat, "USA", {"internet": 2})
    play(r, lambda r: None)
    m = r.debrief()["model_range"]
    runs = run_outcome(r.world, replication_seeds(3, 200), trace=False)
    counts = runs.signed.sum(axis=1)
    c = int(r.conference.signed[0].sum())
    assert m["class_percentile"] == pytest.approx((counts < c).mean() + 0.5 * (counts == c).mean(), abs=1e-3)
    assert m["signed_mean"] == pytest.approx(counts.mean(), abs=0.05)
    assert int(runs.signed[0].sum()) == r.debrief()["model"]["signed"]  # the same seed is the first run


def test_a_class_needs_the_single_text_protocol(tmp_path):
    scenario = tmp_path / "eu.toml"
    scenario.write_text(f'extends = "{BASELINE.as_posix()}"\n[protocol]\nname = "expected_utility"\n')
    with pytest.raises(UsageError, match="expected 'single_text'"):
        ClassRoom(Settings(str(scenario), 1, 2, 60.0, code="ABCD"), None, data=DATA)


def test_new_classes_get_their_own_folders_and_codes(tmp_path):
    a = new_class(BASELINE, tmp_path, sessions=2)
    b = new_class(BASELINE, tmp_path, sessions=2)
    assert a.settings.code != b.settings.code
    assert (tmp_path / a.settings.code / "class.json").exists()
    assert len(a.settings.code) == 6 and not set(a.settings.code) & set("01OIL")
    with pytest.raises(UsageError, match="time_limit"):
        new_class(BASELINE, tmp_path, time_limit=1)


def test_the_debrief_command_reports_finished_classes_and_joins_their_tables(tmp_path, capsys):
    from wcitsim.cli import main

    folders = []
    for code, seed in (("ABCD", 1), ("WXYZ", 2)):
        r = ClassRoom(Settings(str(BASELINE), seed, 2, 60.0, code=code), tmp_path / code, data=DATA)
        seat = r.claim(code, "USA")
        r.advance()
        r.move(seat, "USA", {"internet": 0})
        play(r, lambda r: None)
        folders.append(str(r.folder))
    out = tmp_path / "classes.csv"
    assert main(["debrief", *folders, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("ABCD wcit2012 (seed 1, 2 sessions, 1 student delegations)")
    assert printed[1].startswith("WXYZ") and "rows (2 classes" in printed[2]
    import pandas as pd

    table = pd.read_csv(out)
    assert len(table) == 2 * 193 and set(table["class"]) == {"ABCD", "WXYZ"}
    assert (table[table["iso3"] == "USA"]["played_by"] == "students").all()
    unfinished = ClassRoom(Settings(str(BASELINE), 1, 2, 60.0, code="QQQQ"), tmp_path / "QQQQ", data=DATA)
    unfinished.save()
    assert main(["debrief", str(tmp_path / "QQQQ")]) == 2
    assert main(["debrief", str(tmp_path / "nosuch")]) == 2
    err = capsys.readouterr().err
    assert "expected a finished class" in err and "no saved class here" in err
