"""The tried seedings' tables in docs/validation.md ("The right of access on alignment alone") against the runs
shipped in docs/validation/tried: every figure, and the rule's verdict, read from the files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import load_tool

from wcitsim.data import load_dataset
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TRIED = ROOT / "docs" / "validation" / "tried"
BASELINE = {0: ROOT / "docs" / "validation" / "wcit2012", 1: ROOT / "docs" / "validation" / "wcit2012-s1"}
SECTION = "## The right of access on alignment alone"
MODEL, PREDICTED = "model (single_text)", "model, text predicted"


def _tool():
    return load_tool("compare_validations")


def _metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


def _section() -> str:
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    return text[start : text.index("\n## ", start + 1)]


def _rows() -> dict[tuple[str, int], list[str]]:
    """The tables' rows by (run, fold seed), cells stripped."""
    rows = {}
    for line in _section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[1] in ("0", "1"):
            rows[(cells[0].strip("`"), int(cells[1]))] = cells
    return rows


def _d(x: float) -> str:
    """A Brier difference as the docs print it: +0.012, −0.004 (the minus sign U+2212)."""
    return f"{x:+.3f}".replace("-", "−")


def _expected(run: dict, baseline: dict | None) -> list[str]:
    model, predicted = run["scores"][MODEL], run["scores"][PREDICTED]
    vote, split = model["record_vote"], model["split"]
    tally = "–".join(str(round(x)) for x in vote["tally_scaled"])
    if baseline is None:
        difference = "–"
    else:
        record = load_dataset().record["decision"]
        rows = {r["predictor"]: r for r in _tool().comparisons(run, baseline, record)}
        brier = rows[MODEL]["brier"]
        lo, hi = brier["interval"]
        difference = f"{_d(brier['difference'])} ({_d(lo)} to {_d(hi)})"
    lo, hi = split["signed_interval"]
    return [
        f"{model['accuracy']:.2f}, {model['brier']:.3f}",
        difference,
        f"{tally} ({vote['mae']:.1f})",
        f"{100 * vote['share_to_vote']:.0f} / {100 * vote['share_adopted_by_motion']:.0f} / "
        f"{100 * vote['share_moved_by_record_mover']:.0f} %",
        f"{split['signed_expected']:.1f} ({lo:.0f}–{hi:.0f})",
        f"{predicted['text']['matches_mean']:.2f} ({100 * predicted['text']['share_all_but_one']:.0f} %)",
    ]


#: The tables' run names and the folders in docs/validation/tried their rows come from.
FOLDERS = {
    "access_alignment": "access_alignment",
    "consensus_chair_aligned": "consensus_chair_aligned",
    "consensus_chair_aligned --hold signing.persuasion": "consensus_chair_aligned-held-persuasion",
    "consensus_chair_aligned_unpersuaded": "consensus_chair_aligned_unpersuaded",
}
CASES = [("baseline", 0), ("baseline", 1)] + [(name, seed) for name in FOLDERS for seed in (0, 1)]


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_every_figure_of_the_tried_tables_is_the_shipped_runs(name, seed):
    rows = _rows()
    assert (name, seed) in rows, f"no row for {name}, fold seed {seed}"
    if name == "baseline":
        run, baseline = _metrics(BASELINE[seed]), None
    else:
        run, baseline = _metrics(TRIED / f"{FOLDERS[name]}-s{seed}"), _metrics(BASELINE[seed])
        assert (run["seed"], run["budget"], run["folds"]) == (seed, 150, 10)
        assert run["held"] == (["signing.persuasion"] if "--hold" in name else [])
        assert run["fold_of"] == baseline["fold_of"]  # the same folds as the baseline's run
    assert rows[(name, seed)][2:] == _expected(run, baseline)


@pytest.mark.parametrize("name", list(FOLDERS))
def test_the_tried_runs_are_of_the_scenarios_as_they_are(name):
    digest = load_scenario(ROOT / "scenarios" / f"{name.split()[0]}.toml").digest
    for seed in (0, 1):
        assert _metrics(TRIED / f"{FOLDERS[name]}-s{seed}")["scenario_digest"] == digest


def test_the_persuasion_test_s_prediction_is_what_the_shipped_runs_give():
    """Persuasion off: adopted by a motion above 38 % and 26 % on both fold seeds (it is 100 %); held at 0.5: lower
    than with persuasion fitted on both; and the scope matches the Final Acts in no replication without persuasion."""

    def vote(folder: str, seed: int) -> dict:
        return _metrics(TRIED / f"{folder}-s{seed}")["scores"][MODEL]["record_vote"]

    fitted = [vote("consensus_chair_aligned", s)["share_adopted_by_motion"] for s in (0, 1)]
    assert [round(100 * x) for x in fitted] == [38, 26]
    off = [vote("consensus_chair_aligned_unpersuaded", s)["share_adopted_by_motion"] for s in (0, 1)]
    high = [vote("consensus_chair_aligned-held-persuasion", s)["share_adopted_by_motion"] for s in (0, 1)]
    assert all(o > f for o, f in zip(off, fitted, strict=True)) and off == [1.0, 1.0]
    assert all(h < f for h, f in zip(high, fitted, strict=True))
    for seed in (0, 1):
        run = _metrics(TRIED / f"consensus_chair_aligned_unpersuaded-s{seed}")
        assert run["scores"][MODEL]["text"]["clauses"]["scope"] == 0.0
    assert re.search(
        r"\*\*The prediction held\*\*: with persuasion off the clause is moved from the floor", _section()
    )


def test_the_rules_verdicts_are_what_the_shipped_runs_give():
    """(a) tally error ≤ 10, (b) adopted by a motion in ≥ 50 %, (c) the Brier interval not wholly above 0,
    (d) the text predicted 7 of 8 in most replications, (e) the split within ±3 of 89: the docs say the first
    rule fails on (b) alone and the second on (a) once, (b) and (d)."""
    record = load_dataset().record["decision"]

    def held(name: str, seed: int) -> set[str]:
        run, baseline = _metrics(TRIED / f"{name}-s{seed}"), _metrics(BASELINE[seed])
        model, vote = run["scores"][MODEL], run["scores"][MODEL]["record_vote"]
        brier = {r["predictor"]: r for r in _tool().comparisons(run, baseline, record)}[MODEL]["brier"]
        checks = {
            "a": vote["mae"] <= 10,
            "b": vote["share_adopted_by_motion"] >= 0.5,
            "c": brier["interval"][0] <= 0,
            "d": run["scores"][PREDICTED]["text"]["share_all_but_one"] > 0.5,
            "e": abs(model["split"]["signed_expected"] - 89) <= 3,
        }
        return {k for k, ok in checks.items() if ok}

    assert [held("access_alignment", s) & {"a", "b", "c"} for s in (0, 1)] == [{"a", "c"}, {"a", "c"}]
    assert [held("consensus_chair_aligned", s) for s in (0, 1)] == [{"c", "e"}, {"a", "c", "e"}]
    section = _section()
    assert re.search(
        r"\*\*The rule did not hold\*\*: \(a\) and \(c\) hold on both fold seeds, \(b\) on\s+neither", section
    )
    assert re.search(
        r"\*\*It did not hold either\*\*: \(c\) and \(e\) hold on both fold seeds, \(a\) on fold\s+seed 1 only, \(b\) and \(d\) on neither",
        section,
    )


def _persuasion(folder: Path) -> list[float]:
    return [f["coefficients"]["signing.persuasion"] for f in _metrics(folder)["calibrated"][MODEL]]


@pytest.mark.parametrize(
    ("seed", "quoted", "baseline"), [(0, "0.21–0.47", "0.00–0.20"), (1, "0.21–0.68", "0.05–0.17")]
)
def test_the_consensus_chair_s_folds_raise_persuasion_above_the_baseline_s(seed, quoted, baseline):
    """The mechanism the docs give for the consensus chair keeping the clause: every training fold's persuasion
    lies above every one of the baseline's on the same folds, in the ranges quoted."""
    tried, base = _persuasion(TRIED / f"consensus_chair_aligned-s{seed}"), _persuasion(BASELINE[seed])
    assert min(tried) > max(base)
    assert f"{min(tried):.2f}–{max(tried):.2f}" == quoted and f"{min(base):.2f}–{max(base):.2f}" == baseline
    assert quoted in _section() and baseline in _section()


def test_the_target_s_own_rule_on_the_tally_is_met_on_one_fold_seed():
    """The target asks each count within ±10 of 77 / 33 / 8 (the scorecard's rule), stricter than rule (a)'s error:
    access_alignment meets it on fold seed 0 (74–41–3) and not on fold seed 1 (43.5 no against 33)."""
    met = []
    for seed in (0, 1):
        vote = _metrics(TRIED / f"access_alignment-s{seed}")["scores"][MODEL]["record_vote"]
        met.append(all(abs(x - r) <= 10 for x, r in zip(vote["tally_scaled"], (77, 33, 8), strict=True)))
        assert vote["mae"] <= 10
    assert met == [True, False]
    no = _metrics(TRIED / "access_alignment-s1")["scores"][MODEL]["record_vote"]["tally_scaled"][1]
    assert f"{no:.1f}" == "43.5" and "casts 43.5 no against the\n  record's 33" in _section()


def _consensus(folder: str, scenario: str, capsys) -> list[str]:
    tool = load_tool("consensus_test")
    assert (
        tool.main([str(TRIED / folder / "metrics.json"), str(ROOT / "scenarios" / f"{scenario}.toml")]) == 0
    )
    mean = capsys.readouterr().out.strip().splitlines()[-1]
    found = re.fullmatch(r"mean: objecting (\S+), voting no (\S+), yes \S+, moved (\d+)%", mean)
    assert found, mean
    return [found[1], found[2], found[3]]


def test_the_objections_counted_fold_by_fold_are_the_docs(capsys):
    """tools/consensus_test.py on the shipped runs gives the table's shares (a held coefficient at the middle of
    its range, as the run held it); objections fall as persuasion rises, on both fold seeds."""
    runs = {
        "persuasion off": ("consensus_chair_aligned_unpersuaded", "consensus_chair_aligned_unpersuaded"),
        "persuasion fitted": ("consensus_chair_aligned", "consensus_chair_aligned"),
        "persuasion fixed at 0.5": ("consensus_chair_aligned-held-persuasion", "consensus_chair_aligned"),
    }
    section = _section()
    objecting = {}
    for label, (folder, scenario) in runs.items():
        shares = [_consensus(f"{folder}-s{seed}", scenario, capsys) for seed in (0, 1)]
        row = next(line for line in section.splitlines() if line.startswith(f"| {label}"))
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert cells[1:] == [
            f"{shares[0][0]} / {shares[1][0]}",
            f"{shares[0][1]} / {shares[1][1]}",
            f"{shares[0][2]} % / {shares[1][2]} %",
        ], label
        objecting[label] = [float(s[0]) for s in shares]
    for seed in (0, 1):
        off, fitted, high = (objecting[k][seed] for k in runs)
        assert off > fitted and off > high and off > 0.1
