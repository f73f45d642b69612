"""``wcitsim scorecard``: the targets' rules by hand, the shipped scorecard against the docs, bad input."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wcitsim.cli import main
from wcitsim.errors import UsageError
from wcitsim.validation.scorecard import TARGETS, scorecard, signed, table

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "docs" / "validation"
CARD = [SHIPPED / "wcit2012-b600", SHIPPED / "wcit2012-b600-s1", SHIPPED / "wcit2012-field"]
DOC = ROOT / "docs" / "validation.md"


def comparison(b: str, difference: float, low: float, high: float) -> dict:
    verdict = "better" if high < 0 else "worse" if low > 0 else "no difference at 90 %"
    return {
        "a": "model (single_text)",
        "b": b,
        "brier": {"difference": difference, "interval": [low, high], "verdict": verdict},
    }


def metrics(
    *,
    ablations=(-0.02, -0.03, -0.01),
    regressions=(-0.01, -0.02, -0.005),
    accuracy=0.91,
    brier=0.08,
    expected=88.0,
    tally=(70.0, 40.0, 8.0),
    motion=0.6,
    text=0.7,
    seed=0,
) -> dict:
    """A validation's metrics.json, reduced to what the scorecard reads."""
    record = {"yes": 77, "no": 33, "abstain": 8}
    vote = {"share_adopted_by_motion": motion, "tally_scaled": list(tally), "mae": 0.0, "record": record}
    return {
        "scenario": "toy",
        "scenario_digest": "abc",
        "seed": seed,
        "budget": 10,
        "scores": {
            "model (single_text)": {
                "kind": "model",
                "accuracy": accuracy,
                "brier": brier,
                "split": {
                    "signed_expected": expected,
                    "signed_interval": [expected - 7, expected + 7],
                    "record_signed": 89,
                },
                "record_vote": vote,
            },
            "model, text predicted": {
                "kind": "variant",
                "text": {"share_all_but_one": text, "matches_mean": 6.8, "comparable": 8},
            },
        },
        "comparisons": [
            comparison("no conference", *ablations),
            comparison("compromise", *ablations),
            comparison("logit: covariates + groups", *regressions),
            comparison("logit: UNGA ideal point", *regressions),
        ],
    }


def field(opening: dict, binary_interest: float, binary_table: float = 0.0) -> dict:
    """A run's summary, reduced to what the scorecard reads: poles at the opening, binary shares."""
    view = lambda binary: {  # noqa: E731
        "poles_opening": opening,
        "poles_deadline": {"2": 1.0},
        "bipolarity": [0.5, 1.0],
        "binary_share": [0.0, binary],
        "binary_from_session": 1 if binary >= 0.8 else None,
    }
    return {
        "scenario": {"name": "toy", "digest": "abc"},
        "seed": 1,
        "replications": 10,
        "split": {},
        "field": {"interest": view(binary_interest), "table": view(binary_table)},
    }


def verdicts(*runs: dict) -> dict[str, str]:
    card = scorecard([(f"run{i}", r) for i, r in enumerate(runs)])
    return {row["key"]: row["verdict"] for row in card["targets"]}


def test_every_target_met_by_a_run_that_meets_every_rule():
    assert set(verdicts(metrics(), field({"3": 0.9, "2": 0.1}, 0.85)).values()) == {"met"}


def test_each_rule_at_its_threshold_by_hand():
    # the ablations' interval reaches 0: not beaten; the split 3 away is met, 3.5 is not
    v = verdicts(metrics(ablations=(-0.01, -0.02, 0.0), expected=92.0))
    assert v["conference_matters"] == "missed" and v["split"] == "met"
    assert verdicts(metrics(expected=85.5))["split"] == "missed"
    # the tally: each count within 10 (87 − 77 = 10 met; 22 abstentions is 14 off)
    assert verdicts(metrics(tally=(87, 23, 8)))["tally"] == "met"
    assert verdicts(metrics(tally=(67, 29, 22)))["tally"] == "missed"
    # who signs needs both: accuracy 0.90 and Brier 0.085 exactly meet it; 0.89 does not
    assert verdicts(metrics(accuracy=0.90, brier=0.085))["who_signs"] == "met"
    assert verdicts(metrics(accuracy=0.89, brier=0.05))["who_signs"] == "missed"
    # a motion in half the replications meets it; the text in exactly half is not "most"
    assert verdicts(metrics(motion=0.5))["motion"] == "met"
    assert verdicts(metrics(motion=0.49))["motion"] == "missed"
    assert verdicts(metrics(accuracy=0.95, brier=0.086))["who_signs"] == "missed"
    assert verdicts(metrics(text=0.5))["text"] == "missed"


def test_a_field_binary_from_the_opening_has_not_turned():
    v = verdicts(field({"2": 1.0}, 1.0))
    assert v["opening"] == "missed" and v["deadline"] == "missed"
    v = verdicts(field({"3": 0.5, "4": 0.3, "2": 0.2}, 0.9))  # 80 % with three or more poles
    assert v["opening"] == "met" and v["deadline"] == "met"
    assert verdicts(field({"3": 0.9, "2": 0.1}, 0.7))["deadline"] == "missed"


def test_targets_no_run_measures_are_not_measured_and_mixed_runs_are_counted():
    v = verdicts(metrics())
    assert v["opening"] == v["deadline"] == "not measured"
    v = verdicts(metrics(expected=89), metrics(expected=80, seed=1), metrics(expected=90, seed=2))
    assert v["split"] == "met in 2 of 3"


@given(st.lists(st.floats(70, 110), min_size=1, max_size=5))
def test_the_split_verdict_is_the_rule_over_runs(expected):
    met = sum(abs(x - 89) <= 3 for x in expected)
    want = "met" if met == len(expected) else "missed" if met == 0 else f"met in {met} of {len(expected)}"
    assert verdicts(*(metrics(expected=x, seed=i) for i, x in enumerate(expected)))["split"] == want


def test_runs_of_different_scenarios_are_refused():
    other = metrics(seed=1)
    other["scenario_digest"] = "def"
    with pytest.raises(
        UsageError, match=r"run1: scenario toy \(digest def\), but run0 is toy \(digest abc\)"
    ):
        scorecard([("run0", metrics()), ("run1", other)])


def test_validations_that_differ_in_more_than_their_fold_seed_are_refused():
    with pytest.raises(
        UsageError, match=r"^b: seed: 0 again \(as in a\); expected one validation per fold seed"
    ):
        scorecard([("a", metrics()), ("b", metrics())])
    other = metrics(seed=1) | {"budget": 600}
    with pytest.raises(
        UsageError, match=r"^b: budget: 600, but a has 10; expected validations that differ in"
    ):
        scorecard([("a", metrics()), ("b", other)])
    selection = metrics() | {"inner_folds": 3, "chosen": ["all"]}
    with pytest.raises(UsageError, match=r"^s: a selection's metrics.json \(wcitsim select\)"):
        scorecard([("s", selection)])


def test_a_malformed_run_names_the_file_and_the_target():
    broken = metrics()
    del broken["scores"]["model (single_text)"]["split"]
    with pytest.raises(
        UsageError, match=r"^bad.json: scores\['model \(single_text\)'\].split: missing; expected"
    ):
        scorecard([("bad.json", broken)])
    with pytest.raises(UsageError, match=r"^x.json: neither a validation's metrics.json nor a run's summary"):
        scorecard([("x.json", {"scores": 1})])


def test_differences_print_as_the_documentation_does():
    assert signed(-0.0128) == "−0.013" and signed(0.0024) == "+0.002" and signed(0.0) == "+0.000"


# ------------------------------------------------------------------ the shipped scorecard and the docs


@pytest.fixture(scope="module")
def shipped():
    runs = []
    for folder in CARD:
        file = folder / ("summary.json" if folder.name.endswith("field") else "metrics.json")
        runs.append((str(file), json.loads(file.read_text(encoding="utf-8"))))
    return scorecard(runs)


def test_the_documented_scorecard_is_the_one_the_shipped_runs_give(shipped):
    block = re.search(
        r"```\n\$ wcitsim scorecard ([^\n]+)\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert block, "docs/validation.md lost its scorecard block"
    assert block.group(1).split() == [str(p.relative_to(ROOT)) for p in CARD]
    assert block.group(2) == table(shipped)


#: Each target's row in the table of docs/validation.md, by how the row opens.
ROWS = {
    "conference_matters": "the conference matters",
    "opening": "the field turns",
    "deadline": "… and 2 poles at the deadline",
    "motion": "the vote: the right of access",
    "tally": "… with yes / no / abstain",
    "who_signs": "who signs:",
    "better_than_regressions": "… at the least better Brier",
    "split": "the split within",
    "text": "the text: 7 of 8",
}
NUMBER = re.compile(r"[+−]?\d+(?:\.\d+)?")


def test_the_table_of_targets_states_the_shipped_verdicts_and_figures(shipped):
    lines = DOC.read_text(encoding="utf-8").split("\n## The targets, met and missed", 1)[1].splitlines()
    assert set(ROWS) == {t.key for t in TARGETS}
    for row in shipped["targets"]:
        line = next(x for x in lines if x.startswith("| " + ROWS[row["key"]]))
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        stated = re.match(r"\*\*(met in \d of \d|met|missed)\*\*", cells[2])
        assert stated and stated.group(1) == row["verdict"], (row["key"], cells[2])
        if row["key"] in ("opening", "deadline"):
            continue  # stated in words ("2 poles in every replication"); the block above has the figures
        for figure in row["figures"]:
            for number in NUMBER.findall(figure["figure"]):
                assert number in cells[1], (row["key"], number, cells[1])


def test_the_shipped_field_is_the_run_it_says_it_is(tmp_path, capsys, monkeypatch):
    """Re-made bit for bit (the silhouettes to 1e-7: distances come from a Gram matrix)."""
    monkeypatch.chdir(ROOT)  # the summary records the scenario's path as it was given
    out = ["--out", str(tmp_path)]
    assert main(["run", "scenarios/wcit2012.toml", "--reps", "200", "--seed", "1", "--json", *out]) == 0
    shipped = json.loads((SHIPPED / "wcit2012-field" / "summary.json").read_text(encoding="utf-8"))
    made = json.loads(capsys.readouterr().out)
    for key in ("split", "text", "record_vote", "countries", "projected_signatories", "scenario"):
        assert made[key] == shipped[key], key
    for view in ("interest", "table"):
        for measure, values in shipped["field"][view].items():
            assert made["field"][view][measure] == pytest.approx(values, abs=1e-7), (view, measure)


# ------------------------------------------------------------------ the command


def test_the_command_prints_the_table_and_the_json(capsys):
    assert main(["scorecard", *map(str, CARD)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "scorecard of wcit2012: fold seed 0, budget 600; fold seed 1, budget 600; run seed 1"
    )
    assert main(["scorecard", *map(str, CARD), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in card["targets"]] == [t.key for t in TARGETS]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("{", "not valid JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ('{"a": 1}', "neither a validation's metrics.json nor a run's summary"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["scorecard", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and message in err


def test_a_folder_without_an_output_is_refused(tmp_path, capsys):
    assert main(["scorecard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: a folder with neither metrics.json nor summary.json" in err


def test_a_shipped_run_with_a_key_removed_names_the_target(tmp_path, capsys):
    run = json.loads((CARD[0] / "metrics.json").read_text(encoding="utf-8"))
    broken = copy.deepcopy(run)
    del broken["scores"]["model (single_text)"]["record_vote"]["tally_scaled"]
    (tmp_path / "metrics.json").write_text(json.dumps(broken), encoding="utf-8")
    assert main(["scorecard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "scores['model (single_text)'].record_vote.tally_scaled: missing; expected the metrics.json" in err


def test_every_shipped_run_is_of_the_baseline_as_it_is_now():
    """A shipped validation or run of an older baseline would be quoted for a model that no longer exists."""
    from wcitsim.io.scenario import load_scenario

    digest = load_scenario(ROOT / "scenarios" / "wcit2012.toml").digest
    folders = sorted(p for p in SHIPPED.glob("wcit2012*") if p.is_dir())
    assert len(folders) == 5
    for folder in folders:
        file = folder / ("summary.json" if (folder / "summary.json").exists() else "metrics.json")
        run = json.loads(file.read_text(encoding="utf-8"))
        assert (
            run["scenario_digest"] if "scenario_digest" in run else run["scenario"]["digest"]
        ) == digest, folder


def test_the_budget_150_scorecard_differs_from_the_budget_600_one_only_in_the_text(shipped):
    """As docs/validation.md says below its scorecard."""
    runs = [SHIPPED / "wcit2012" / "metrics.json", SHIPPED / "wcit2012-s1" / "metrics.json"]
    runs.append(SHIPPED / "wcit2012-field" / "summary.json")
    b150 = scorecard([(str(p), json.loads(p.read_text(encoding="utf-8"))) for p in runs])
    differ = {
        a["key"]: (a["verdict"], b["verdict"])
        for a, b in zip(shipped["targets"], b150["targets"], strict=True)
        if a["verdict"] != b["verdict"]
    }
    assert differ == {"text": ("met in 1 of 2", "met")}


M = "model (single_text)"


def _set(path, value):
    def edit(run):
        node = run
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(("scores", M, "accuracy"), 10**400), "scores['model (single_text)'].accuracy: 1000"),
        (_set(("scores", M, "accuracy"), 5.0), "accuracy: 5.0; expected a number from 0 to 1"),
        (_set(("scores", M, "accuracy"), True), "accuracy: True; expected a number"),
        (_set(("scores", M, "brier"), float("nan")), "brier: nan; expected a number from 0 to 1"),
        (_set(("scores", M, "record_vote", "share_adopted_by_motion"), 7.0), "share_adopted_by_motion: 7.0"),
        (_set(("scores", M, "split", "signed_expected"), float("inf")), "signed_expected: inf"),
        (_set(("seed",), [0]), "seed: [0]; expected a whole number"),
        (_set(("seed",), None), "seed: None; expected a whole number"),
        (_set(("seed",), "0"), "seed: '0'; expected a whole number"),
        (_set(("scenario",), 5), "scenario: 5; expected a string"),
        (_set(("comparisons",), []), "comparisons: no comparison model (single_text) − no conference"),
        (_set(("scores", "compromise", "kind"), "model"), "scores: 2 rows of kind 'model'; expected one"),
        (_set(("comparisons", 0, "brier", "interval"), [0.1]), "interval: 1 values; expected 2"),
    ],
)
def test_an_impossible_or_missing_value_is_refused_naming_its_key(tmp_path, capsys, edit, message):
    run = json.loads((CARD[0] / "metrics.json").read_text(encoding="utf-8"))
    edit(run)
    (tmp_path / "metrics.json").write_text(
        json.dumps(run), encoding="utf-8"
    )  # NaN and Infinity as JSON has them
    assert main(["scorecard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("poles", "message"),
    [
        ({"3": 5.0}, "poles_opening['3']: 5.0; expected a number from 0 to 1"),
        ({"3": 0.5, "3.0": 0.5}, "poles_opening['3.0']: a count '3.0'; expected a whole number from 1, once"),
        ({"3": 1.0, "2": -0.5}, "poles_opening['2']: -0.5"),
        ({"3": 0.5, "2": 0.2}, "poles_opening: shares summing to 0.7; expected shares summing to 1"),
        ({}, "poles_opening: shares summing to 0"),
        ({"inf": 1.0}, "a count 'inf'"),
        ({"²": 1.0}, "a count '²'"),
    ],
)
def test_a_field_whose_poles_are_not_a_distribution_is_refused(tmp_path, capsys, poles, message):
    run = json.loads((CARD[2] / "summary.json").read_text(encoding="utf-8"))
    run["field"]["interest"]["poles_opening"] = poles
    (tmp_path / "summary.json").write_text(json.dumps(run), encoding="utf-8")
    assert main(["scorecard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_the_verdict_is_read_from_the_interval_not_from_the_stored_words():
    run = metrics()
    for c in run["comparisons"][:2]:
        c["brier"] |= {"difference": 0.02, "interval": [0.01, 0.03], "verdict": "better"}
    assert verdicts(run)["conference_matters"] == "missed"


def test_two_run_summaries_a_folder_with_both_files_and_a_long_name_are_refused(tmp_path, capsys):
    assert main(["scorecard", str(CARD[2]), str(CARD[2] / "summary.json")]) == 2
    assert "a second run summary; expected at most one" in capsys.readouterr().err
    for name in ("metrics.json", "summary.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert main(["scorecard", str(tmp_path)]) == 2
    assert "holds both metrics.json and summary.json" in capsys.readouterr().err
    assert main(["scorecard", "a" * 300]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("File name too long" in err or "file not found" in err), err


def test_what_validate_json_printed_is_refused_with_where_to_look(tmp_path, capsys):
    printed = {"verdict": "", "folds": 10, "scores": {}, "comparisons": [], "output": "results/validation/x"}
    (tmp_path / "v.json").write_text(json.dumps(printed), encoding="utf-8")
    printed.pop("comparisons")
    (tmp_path / "w.json").write_text(json.dumps(printed), encoding="utf-8")
    for name in ("v.json", "w.json"):
        assert main(["scorecard", str(tmp_path / name)]) == 2
        assert "expected the metrics.json in the folder it names under 'output'" in capsys.readouterr().err
