"""Scenario files: loading, variants, and one clear line for every mistake."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wcitsim.cli import main
from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "wcit2012.toml"
PRIOR = ROOT / "scenarios" / "priors" / "wcit2012_prior.toml"


def test_baseline_loads_with_the_eight_clauses():
    s = load_scenario(BASE)
    assert [c.id for c in s.agenda.active] == [
        "scope", "internet", "security", "spam", "access_right", "human_rights", "content", "charging",
    ]  # fmt: skip
    assert s.protocol.name == "single_text" and s.run.replications == 200
    assert len(s.digest) == 16


def test_variant_extends_the_baseline_and_changes_only_its_keys():
    base, variant = load_scenario(BASE), load_scenario(ROOT / "scenarios" / "no_internet_resolution.toml")
    assert [c.id for c in variant.agenda.active] == [c.id for c in base.agenda.active if c.id != "internet"]
    assert variant.seeder == base.seeder and variant.signing == base.signing
    assert variant.digest != base.digest


def test_replace_validates_again():
    s = load_scenario(BASE)
    assert s.replace(**{"run.seed": 3}).run.seed == 3
    with pytest.raises(ScenarioError, match=r"run\.seed: -1 is out of range"):
        s.replace(**{"run.seed": -1})


def _write(tmp_path: Path, body: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{BASE.as_posix()}"\n' + body, encoding="utf-8")
    return path


CASES = [
    ("[run]\nreplicatoins = 5\n", "run.replicatoins: unknown key; expected one of"),
    ('[run]\nreplications = "many"\n', "run.replications: 'many'; expected an integer"),
    ("[chair]\nhost_bias = 1.5\n", "chair.host_bias: 1.5 is out of range; expected in [0, 1]"),
    ("[seeder]\nposition_noise = nan\n", "seeder.position_noise: nan; expected a finite number"),
    ('[protocol]\nname = "bargain"\n', "protocol.name: 'bargain' is not known; expected one of"),
    (
        '[chair]\npolicy = "dictator"\n',
        "chair.policy: 'dictator' is not known; expected one of compromise, final_acts, majority, median",
    ),
    ('[seeder]\nname = "oracle"\n', "seeder.name: 'oracle' is not known"),
    (
        '[voting]\nrule = "lottery"\n',
        "voting.rule: 'lottery' is not known; expected one of majority, supermajority, consensus",
    ),
    ('[agenda]\ndrop = ["internt"]\n', "agenda.drop[0]: 'internt' is not a clause"),
    ('[seating]\nexclude = ["XXX"]\n', "seating.exclude[0]: 'XXX' is not an ITU Member State"),
    ("[overrides.USA]\nposition = { secrity = 0.5 }\n", "overrides.USA: 'secrity' is not a clause"),
    (
        "[groups.anchors.CEPT]\nscope = [1.5, 1.0]\n",
        "groups.anchors.CEPT.scope: [1.5, 1.0]; expected [] or [position in [0, 1], salience weight ≥ 0]",
    ),
    ("[groups.anchors.CEPT]\nscope = [0.5]\n", "groups.anchors.CEPT.scope: [0.5]; expected [] or [position"),
    ("[signing]\ntemperature = 0\n", "signing.temperature: 0 is out of range"),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_a_wrong_scenario_names_file_key_and_expectation(tmp_path, body, expected, capsys):
    path = _write(tmp_path, body)
    assert main(["run", str(path), "--reps", "1", "--no-write"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"wcitsim: error: {path}")
    assert expected in err


@pytest.mark.parametrize("seeder", ["anchors", "tabled"])
def test_an_empty_anchor_leaves_the_clause_to_the_covariates(seeder):
    """A variant removes a group's anchor with ``[]``: its members' seeded interests and saliences on that
    clause are those of a group with no anchor there, and the other clauses do not move."""
    from wcitsim.core.world import build_world
    from wcitsim.data import load_dataset

    base = load_scenario("wcit2012").replace(**{"seeder.name": seeder})
    anchors = {g: {c: list(v) for c, v in t.items()} for g, t in base.groups.anchors.items()}
    emptied = {**anchors, "ATU": {**anchors["ATU"], "spam": []}}
    dropped = {**anchors, "ATU": {c: v for c, v in anchors["ATU"].items() if c != "spam"}}
    data = load_dataset()
    worlds = [build_world(base.replace(**{"groups.anchors": a}), data) for a in (anchors, emptied, dropped)]
    k = worlds[0].agenda.ids.index("spam")
    (p0, s0), (p1, s1), (p2, s2) = ((w.position, w.salience) for w in worlds)
    assert (p1 == p2).all() and (s1 == s2).all()
    atu = worlds[0].group == "ATU"
    assert (p1[atu, k] != p0[atu, k]).any() and (s1[atu, k] != s0[atu, k]).any()  # the anchor mattered
    others = [j for j in range(p0.shape[1]) if j != k]
    assert (p1[:, others] == p0[:, others]).all()


def test_option_not_on_the_clause(tmp_path):
    text = PRIOR.read_text(encoding="utf-8").replace(
        'final_acts = 0.5     # [FA] "authorized', 'final_acts = 0.7     # [FA] "authorized', 1
    )
    path = tmp_path / "wcit.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ScenarioError,
        match=r"agenda\.clauses\[0\]\.final_acts: 0\.7 is not an option; expected one of \[0\.0, 0\.5, 1\.0\]",
    ):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[meta\nname = 1", "not valid TOML"),
        ('extends = "nowhere.toml"\n', "nowhere.toml: file not found"),
        ("[meta]\nname = 'x'\n", "agenda: missing; expected a table"),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['only']\nvalues = [0.0]\nstatus_quo = 0.0\n",
            "agenda.clauses[0].options: 1 option(s); expected at least 2",
        ),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['x', 'y']\nvalues = [0.6, 0.2]\nstatus_quo = 0.2\n",
            "agenda.clauses[0].values: [0.6, 0.2]; expected strictly increasing values",
        ),
        (
            "[meta]\nname = 'x'\n[[agenda.clauses]]\nid = 'a'\noptions = ['x', 'y']\nvalues = [0.0, 1.0]\nstatus_quo = 0.5\n",
            "agenda.clauses[0].status_quo: 0.5 is not an option",
        ),
        ("[meta]\nname = 'x'\n[agenda]\nclauses = []\n", "agenda: no clause left on the table"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert expected in str(err.value)


def test_no_state_seated(tmp_path):
    path = _write(tmp_path, '[seating]\nmode = "list"\ninclude = ["USA"]\nexclude = ["USA"]\n')
    with pytest.raises(ScenarioError, match="no state is seated"):
        from wcitsim.experiments.runner import run_scenario

        run_scenario(load_scenario(path), 1)


def test_extends_loop_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="loops back"):
        load_scenario(tmp_path / "a.toml")


def test_cli_error_has_no_traceback_and_writes_nothing(tmp_path):
    path = _write(tmp_path, "[run]\nsessions = 0\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "wcitsim", "run", str(path), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "run.sessions: 0 is out of range; expected in [1, 1000]" in done.stderr
    assert not out.exists()


# ---------------------------------------------------------------- protocol parameters, names, groups, repeats


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('name = "expected_utility"\n[protocol.params]\nq = "high"\n',
         "protocol.params.q: 'high'; expected a number in [0, 1]"),
        ('name = "expected_utility"\n[protocol.params]\nq = 1.5\n',
         "protocol.params.q: 1.5 is out of range; expected in [0, 1]"),
        ('name = "expected_utility"\n[protocol.params]\nrisk = "sometimes"\n',
         "protocol.params.risk: 'sometimes' is not known; expected one of once, every_round, neutral"),
        ('name = "expected_utility"\n[protocol.params]\nmax_rounds = 2.5\n',
         "protocol.params.max_rounds: 2.5; expected an integer in [1, 1000]"),
        ('name = "expected_utility"\n[protocol.params]\nmin_gain = 0.1\n',
         "protocol.params.min_gain: unknown key; expected one of capitulation, compromise_key, compromise_rule, "
         "max_rounds, mu, offers, q, risk, risk_update, span, status_quo, t, tolerance, win_count, win_denominator, "
         "win_votes"),
        ('name = "exchange"\n[protocol.params]\nmin_gain = -1\n',
         "protocol.params.min_gain: -1 is out of range; expected in [0, 100]"),
        ('name = "single_text"\n[protocol.params]\nmax_rounds = 4\n',
         "protocol.params.max_rounds: unknown key; single_text takes no parameters"),
        ('name = "exchange"\n[protocol.params]\nmax_rounds = [4]\n',
         "protocol.params.max_rounds: [4]; expected true or false, an integer, a number or a string"),
    ],
)  # fmt: skip
def test_protocol_parameters_are_checked_against_the_protocols_own_spec(tmp_path, body, expected):
    path = _write(tmp_path, "[protocol]\n" + body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: {expected}"


def test_a_protocol_gets_its_parameters_typed_and_completed():
    from wcitsim.core.protocols import PROTOCOLS, _params
    from wcitsim.core.protocols import expected_utility as eu
    from wcitsim.core.world import build_world
    from wcitsim.data import load_dataset

    s = load_scenario(ROOT / "tests" / "data" / "toy.toml").replace(
        **{"protocol.name": "expected_utility", "protocol.params": {"max_rounds": 4, "q": 1}}
    )
    params = _params(build_world(s, load_dataset()), PROTOCOLS["expected_utility"].parameters)
    assert params == {**eu.DEFAULTS, "max_rounds": 4, "q": 1.0}
    assert type(params["max_rounds"]) is int and type(params["q"]) is float
    assert eu.DEFAULTS == {"q": 1.0, "t": 1.0, "status_quo": "full", "mu": "median", "win_votes": "risk",
                           "win_count": "positive", "win_denominator": "all_pairs", "risk": "every_round",
                           "risk_update": "together", "offers": "receiver", "compromise_key": "abs",
                           "capitulation": True, "compromise_rule": "ratio", "span": "initial_range",
                           "max_rounds": 10, "tolerance": 1e-3}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[meta]\nname = "../../escaped"\n', "meta.name: '../../escaped'; expected a plain name for a folder"),
        ('[meta]\nname = "/tmp/x"\n', "meta.name: '/tmp/x'; expected a plain name for a folder"),
        ('[meta]\nname = ".."\n', "meta.name: '..'; expected a plain name for a folder"),
        ('[meta]\nname = ""\n', "meta.name: ''; expected a plain name for a folder"),
        ('[seating]\nmode = "list"\ninclude = ["USA", "DEU", "USA"]\n',
         "seating.include[2]: 'USA' is listed twice (first at [0]); expected each once"),
        ('[seating]\nexclude = ["FRA", "FRA"]\n', "seating.exclude[1]: 'FRA' is listed twice"),
        ('[groups]\norder = ["RCC", "NATO"]\n',
         "groups.order[1]: 'NATO' is not known; expected one of RCC, ASMG, CEPT, ATU, APT, CITEL"),
        ('[groups]\norder = ["RCC", "CEPT", "RCC"]\n', "groups.order[2]: 'RCC' is listed twice"),
        ('[groups]\nblocs = ["eu", "eu"]\n', "groups.blocs[1]: 'eu' is listed twice"),
        ("[groups.cohesion]\nEUROPE = 0.5\n", "groups.cohesion.EUROPE: not a group; expected one of default, RCC"),
        ("[groups.anchors.EU]\nscope = [0.1, 1.0]\n",
         "groups.anchors.EU: not a group; expected one of RCC, ASMG, CEPT, ATU, APT, CITEL"),
        ('[agenda]\ndrop = ["spam", "spam"]\n', "agenda.drop[1]: 'spam' is listed twice"),
        ("[overrides.USA]\nposition = { scope = 0.1 }\n[overrides.USA]\nsalience = { scope = 1.0 }\n",
         "not valid TOML"),
    ],
)  # fmt: skip
def test_names_repeats_and_unknown_groups_are_refused(tmp_path, body, expected, capsys):
    path = _write(tmp_path, body)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"wcitsim: error: {path}: ")
    assert expected in err


def test_a_bloc_named_in_cohesion_is_a_group():
    s = load_scenario(BASE)
    assert s.groups.blocs == ("eu",) and s.groups.cohesion["eu"] == 0.5


@pytest.mark.parametrize("clause_id", ['a"b', "a b", "scope'", "<x>", "1st", "é", ""])
def test_a_clause_id_is_a_plain_identifier(tmp_path, clause_id):
    text = (ROOT / "tests" / "data" / "toy.toml").read_text(encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(text.replace('id = "access_right"', f"id = {json.dumps(clause_id)}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"agenda\.clauses\[2\]\.id: .*; expected a plain identifier"):
        load_scenario(path)


@given(st.text(max_size=120))
def test_a_name_the_folder_rule_accepts_stays_one_folder_under_out(name):
    """Property: every name FOLDER_NAME accepts is one path component, neither '.' nor '..', under any folder."""
    from wcitsim.io.schema import FOLDER_NAME

    if re.fullmatch(FOLDER_NAME.regex, name):
        joined = os.path.normpath(os.path.join("/results/out", name))
        assert os.path.dirname(joined) == "/results/out" and os.path.basename(joined) == name
        assert not name.startswith(".") and len(name) <= 100


# ---------------------------------------------------------------- reading files: extends, nesting, special files


def test_a_chain_of_extends_is_bounded_and_read_without_recursion(tmp_path):
    from wcitsim.io.schema import MAX_EXTENDS

    last = 3 * MAX_EXTENDS  # s1 extends s2 ... extends s<last>, the toy
    for i in range(1, last):
        (tmp_path / f"s{i}.toml").write_text(
            f'extends = "s{i + 1}.toml"\n[run]\nseed = {i}\n', encoding="utf-8"
        )
    (tmp_path / f"s{last}.toml").write_text(
        (ROOT / "tests" / "data" / "toy.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "s1.toml")
    assert str(err.value) == (
        f"{(tmp_path / 's1.toml').resolve()}: extends: more than {MAX_EXTENDS} files in the chain "
        f"(the next is {(tmp_path / f's{MAX_EXTENDS + 1}.toml').resolve()}); expected at most {MAX_EXTENDS}"
    )
    first = last - MAX_EXTENDS + 1  # a chain of exactly MAX_EXTENDS files: each file's keys over its base's
    s = load_scenario(tmp_path / f"s{first}.toml")
    assert s.run.seed == first and s.meta.name == "toy"


def test_extends_with_a_nul_character_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('extends = "a\\u0000b.toml"\n', encoding="utf-8")
    with pytest.raises(
        ScenarioError, match=r"extends: 'a\\x00b.toml'; expected the path of a scenario TOML file"
    ):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a = " + "[" * 3000 + "]" * 3000,
            "nested too deeply to parse; expected tables and lists nested at most 16",
        ),
        ("[" + ".".join("t" * 17) + "]\nx = 1\n", "nested more than 16 deep"),
        ("a = 1" + "0" * 5000, "not valid TOML (Exceeds the limit (4300 digits)"),
        ("[meta]\nname = 'x'\n", "agenda: missing"),
    ],
)
def test_deep_or_huge_toml_is_one_line(tmp_path, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert expected in str(err.value) and str(path) in str(err.value)


def _alarm(seconds: int):
    """Fail the test, instead of hanging it, when a read blocks for ``seconds``."""
    import signal

    def hang(*_):
        raise TimeoutError("the read blocked")

    signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "loop", "big", "empty", "latin-1", "bom"])
def test_read_text_reads_only_small_regular_utf8_files(tmp_path, kind):
    import signal

    from wcitsim.errors import DataError
    from wcitsim.io.schema import MAX_BYTES, read_text

    path = tmp_path / "f.toml"
    expected = {
        "fifo": "is not a regular file (a device, FIFO or socket); expected a table",
        "device": "is not a regular file",
        "folder": "is a folder; expected a table",
        "loop": "cannot be read (Too many levels of symbolic links)",
        "big": "larger than 8 MiB; expected a table of at most 8 MiB",
        "empty": "file is empty; expected a table",
        "latin-1": "line 2, column 6: byte 0xe9 is not UTF-8; expected a table in UTF-8",
    }
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "big":
        with open(path, "wb") as f:
            f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    elif kind == "empty":
        path.write_text(" \n\n", encoding="utf-8")
    elif kind == "latin-1":
        path.write_bytes("a = 1\nb = 'é'\n".encode("latin-1"))
    else:
        path.write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\r\n")
    _alarm(20)
    try:
        if kind == "bom":
            assert read_text(path, DataError, "a table") == "a = 1\nb = 2\n"
            return
        with pytest.raises(DataError) as err:
            read_text(path, DataError, "a table")
    finally:
        signal.alarm(0)
    assert str(err.value) == f"{path}: {expected[kind]}" or str(err.value).startswith(
        f"{path}: {expected[kind]}"
    )


# ---------------------------------------------------------------- expert positions


def _expert(tmp_path: Path, csv: bytes | str) -> Path:
    positions = tmp_path / "positions.csv"
    if isinstance(csv, str):
        positions.write_text(csv, encoding="utf-8")
    else:
        positions.write_bytes(csv)
    return _write(tmp_path, f'[seeder]\nname = "expert"\npositions_file = "{positions.as_posix()}"\n')


HEADER = "iso3,clause,position,salience\n"


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        ("", "seeder.positions_file: {positions}: file is empty; expected a CSV of expert positions"),
        ("\n\n", "seeder.positions_file: {positions}: file is empty"),
        (b"iso3,clause,position,salience\nUSA,scope,0.2,1\nFRA,s\xe9curit\xe9,0.1,1\n",
         "seeder.positions_file: {positions}: line 3, column 6: byte 0xe9 is not UTF-8"),
        (HEADER + "USA,scope,0.2,1\nFRA,scope,high,1\n",
         "{positions}: line 3, column 'position': 'high'; expected a number in [0, 1]"),
        (HEADER + "USA,scope,0.2,lots\n", "{positions}: line 2, column 'salience': 'lots'; expected a number ≥ 0"),
        (HEADER + "USA,scope,1.5,1\n", "{positions}: line 2, column 'position': '1.5'; expected a number in [0, 1]"),
        (HEADER + "USA,scope,nan,1\n", "{positions}: line 2, column 'position': 'nan'"),
        (HEADER + "USA,scope,0.2,-1\n", "{positions}: line 2, column 'salience': '-1'"),
        (HEADER + "USA,scope,0.2\n", "{positions}: line 2: 3 fields; expected 4"),
        ("iso3,clause,position\nUSA,scope,0.2\n", "{positions}: line 1: missing column(s) salience"),
        (HEADER, "{positions}: no rows after the header"),
        (HEADER + "USA,scope,0.2,1\n\nUSA,scope,0.3,1\n",
         "{positions}: line 4: USA on scope again (first on line 2); expected each state and clause once"),
    ],
)  # fmt: skip
def test_a_wrong_expert_positions_file_is_one_line_naming_line_and_column(tmp_path, csv, expected, capsys):
    path = _expert(tmp_path, csv)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert expected.format(positions=tmp_path / "positions.csv") in err, err


def test_expert_positions_are_read_as_written(tmp_path):
    """Columns in any order, cells trimmed, blank rows skipped, a byte-order mark and Windows line ends accepted."""
    from wcitsim.io.positions import read_expert_positions

    path = tmp_path / "p.csv"
    path.write_bytes(
        b"\xef\xbb\xbfclause,iso3,salience,position\r\nscope, USA ,2,0.25\r\n\r\ninternet,DEU,0,1\r\n"
    )
    assert read_expert_positions(path, "s.toml").to_dict("list") == {
        "iso3": ["USA", "DEU"], "clause": ["scope", "internet"], "position": [0.25, 1.0], "salience": [2.0, 0.0],
    }  # fmt: skip


def test_the_baseline_anchors_the_split_groups_only_where_sourced():
    """CITEL is anchored on the scope and the content exclusion only (Mexico's proposals), APT on no clause;
    the sensitivity ``reasoned_anchors`` puts back the prior's anchors on every clause for both."""

    def anchored(scenario, group):  # ``[]`` in a variant is kept as an empty anchor: no anchor
        return sorted(c for c, v in scenario.groups.anchors.get(group, {}).items() if v)

    base = load_scenario("wcit2012")
    assert anchored(base, "CITEL") == ["content", "scope"] and anchored(base, "APT") == []
    assert anchored(base, "CEPT") == sorted(c.id for c in base.agenda.clauses)
    reasoned = load_scenario("reasoned_anchors")
    for group in ("CITEL", "APT"):
        assert anchored(reasoned, group) == sorted(c.id for c in base.agenda.clauses)
    assert reasoned.seeder == base.seeder and reasoned.signing == base.signing  # coefficients kept
