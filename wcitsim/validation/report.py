"""The validation report: ``report.md`` with tables and figures, and ``metrics.json``, written atomically."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.seeding import primary_groups
from wcitsim.experiments.records import git_revision
from wcitsim.io.files import staged_folder, write_json_atomic
from wcitsim.validation.calibrate import PRIOR_SD, parameters_for
from wcitsim.validation.crossval import Validation
from wcitsim.validation.fit import search_name

__all__ = ["comparison_table", "run_keys", "validation_id", "verdict", "write_validation"]


def validation_id(v: Validation) -> str:
    """``<scenario>-k<folds>-s<seed>-r<reps>-b<budget>[-p<prior sd>][-v<vote weight>][-held<N>-<digest>]``: one folder per inputs.

    The prior's sd is named only when it is not the default (:data:`~wcitsim.validation.calibrate.PRIOR_SD`).
    """
    tuned = f"b{v.budget}" if v.tuned else "untuned"
    if v.tuned and v.prior_sd != PRIOR_SD:
        tuned += f"-p{v.prior_sd:g}"
    if v.tuned and v.vote_weight:
        tuned += f"-v{v.vote_weight:g}"
    if v.held:  # which coefficients, not only how many: two different sets never share a folder
        tuned += f"-held{len(v.held)}-{hashlib.sha1(','.join(sorted(v.held)).encode()).hexdigest()[:6]}"
    return f"{v.scenario.meta.name}-k{v.plan.k}-s{v.plan.seed}-r{v.reps}-{tuned}" + (
        "-quick" if v.quick else ""
    )


def verdict(scores: dict, comparisons: list[dict]) -> str:
    """Plain sentences: does the model beat its ablations and the regressions, by intervals that exclude 0?"""
    model = next(name for name, s in scores.items() if s["kind"] == "model")
    against = [c for c in comparisons if c["a"] == model]
    beats = [
        c["b"] for c in against if c["brier"]["verdict"] == "better" and c["log_loss"]["verdict"] != "worse"
    ]
    loses = [c["b"] for c in against if c["brier"]["verdict"] == "worse"]
    ties = [c["b"] for c in against if c["b"] not in beats and c["b"] not in loses]
    parts = []
    if beats:
        parts.append(
            f"The {model} beats {', '.join(beats)} out of sample (Brier, 90 % interval of the difference below 0)."
        )
    if loses:
        parts.append(f"It loses to {', '.join(loses)} (interval above 0).")
    if ties:
        parts.append(f"It cannot be told apart from {', '.join(ties)} (intervals include 0).")
    free = "model without outcome inputs"
    against_free = [c for c in comparisons if c["a"] == free]
    if against_free:
        said = {"better": "beats", "worse": "loses to", "no difference at 90 %": "cannot be told apart from"}
        parts.append(
            "Without outcome inputs, the model "
            + "; ".join(
                f"{said.get(c['brier']['verdict'], c['brier']['verdict'])} the {c['b']}" for c in against_free
            )
            + " (Brier, same inputs, same folds)."
        )
    best = min(scores, key=lambda name: scores[name]["brier"])
    parts.append(f"The best Brier score is the {best}'s ({scores[best]['brier']:.3f}).")
    return " ".join(parts)


def comparison_table(comparisons: list[dict]) -> str:
    """The paired-bootstrap differences as a Markdown table, each metric with its verdict."""
    rows = [
        "| A | B | Brier A − B (90 %) | | log-loss A − B (90 %) | |",
        "|---|---|---|---|---|---|",
    ]
    for c in comparisons:
        b, ll = c["brier"], c["log_loss"]
        rows.append(
            f"| {c['a']} | {c['b']} | {b['difference']:+.3f} ({b['interval'][0]:+.3f} to {b['interval'][1]:+.3f}) | "
            f"{b['verdict']} | {ll['difference']:+.3f} ({ll['interval'][0]:+.3f} to {ll['interval'][1]:+.3f}) | "
            f"{ll['verdict']} |"
        )
    return "\n".join(rows)


def _vote_table(scores: dict) -> str:
    rows = [
        "| predictor | yes–no–abstain (of 118) | mean abs. error | passes | to a vote | in the text | strongest supporters |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in scores.items():
        v = s.get("record_vote")
        if not v:
            continue
        y, n, a = v["tally_scaled"]
        who = ", ".join(f"{k} {p:.0%}" for k, p in list(v["supporters"].items())[:3])
        rows.append(
            f"| {name} | {y:.0f}–{n:.0f}–{a:.0f} | {v['mae']:.1f} | {v['share_passes']:.0%} | "
            f"{v['share_to_vote']:.0%} | {v['share_adopted']:.0%} | {who} |"
        )
    return "\n".join(rows)


def _method(v: Validation) -> str:
    """How the model's coefficients were searched (:func:`~wcitsim.validation.fit.search_name`)."""
    n = len(v.model.fitted[0].get("coefficients", {})) if v.model.fitted else 0
    return search_name(n) or "nothing fitted"


def _spread_table(v: Validation) -> str:
    """The model's calibrated coefficients across the folds: least, median, greatest."""
    fitted = [f.get("coefficients", {}) for f in v.model.fitted]
    keys = list(fitted[0]) if fitted and fitted[0] else []
    if not v.tuned:
        return "Not calibrated (`--no-calibrate`)."
    centre = {p.path: f"{p.from_unit(p.centre):.3g}" for p in parameters_for(v.scenario)}
    rows = ["| coefficient | prior's centre | least | median | greatest |", "|---|---|---|---|---|"]
    rows += [f"| `{key}` | {centre.get(key, '–')} | held | held | held |" for key in v.held]
    if not keys:
        return "\n".join([*rows, "", "Every coefficient held at its centre: nothing fitted."])
    for key in keys:
        values = np.array([f[key] for f in fitted])
        rows.append(
            f"| `{key}` | {centre.get(key, '–')} | {values.min():.3g} | {np.median(values):.3g} | {values.max():.3g} |"
        )
    return "\n".join(rows)


def _score_table(scores: dict) -> str:
    rows = [
        "| predictor | kind | accuracy | balanced acc. | Brier | log-loss | AUC | eligible split: expected signatories (90 %) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in scores.items():
        split = s["split"]
        lo, hi = split["signed_interval"]
        rows.append(
            f"| {name} | {s['kind']} | {s['accuracy']:.3f} | {s['balanced_accuracy']:.3f} | {s['brier']:.3f} | "
            f"{s['log_loss']:.3f} | {s['auc']:.3f} | {split['signed_expected']:.1f} ({lo:.0f}–{hi:.0f}) vs {split['record_signed']} |"
        )
    return "\n".join(rows)


def _confusion(p: pd.Series, y: pd.Series) -> str:
    predicted = p >= 0.5
    signed = y == "signed"
    cells = {
        (a, b): int(((predicted == a) & (signed == b)).sum()) for a in (True, False) for b in (True, False)
    }
    return "\n".join(
        [
            "| | recorded: signed | recorded: did not sign |",
            "|---|---|---|",
            f"| predicted: sign | {cells[(True, True)]} | {cells[(True, False)]} |",
            f"| predicted: not sign | {cells[(False, True)]} | {cells[(False, False)]} |",
        ]
    )


def _regions(scores: dict) -> str:
    regions = sorted({r for s in scores.values() for r in s["by_region"]})
    rows = [
        "| predictor | "
        + " | ".join(f"{r} (n={next(iter(scores.values()))['by_region'][r]['n']})" for r in regions)
        + " |"
    ]
    rows.append("|---|" + "---|" * len(regions))
    for name, s in scores.items():
        rows.append(
            f"| {name} | " + " | ".join(f"{s['by_region'][r]['accuracy']:.2f}" for r in regions) + " |"
        )
    return "\n".join(rows)


def _text_table(v: Validation, scores: dict) -> str:
    from wcitsim.core.agenda import AgendaArrays

    agenda = AgendaArrays.from_clauses(v.scenario.agenda.active)
    sims = [name for name, s in scores.items() if "text" in s]
    rows = ["| clause | Final Acts | " + " | ".join(sims) + " |", "|---|---|" + "---|" * len(sims)]
    for k, clause in enumerate(agenda.ids):
        if not np.isfinite(agenda.final_acts[k]):
            continue
        label = agenda.label_of(k, agenda.final_acts[k])
        cells = [f"{100 * scores[n]['text']['clauses'][clause]:.0f} %" for n in sims]
        rows.append(f"| {clause} | {label} | " + " | ".join(cells) + " |")
    rows.append(
        "| *clauses matching (mean)* | | "
        + " | ".join(f"{scores[n]['text']['matches_mean']:.2f}" for n in sims)
        + " |"
    )
    return "\n".join(rows)


def _figures(v: Validation, scores: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wcitsim.plotting import plot_region_bars, plot_reliability, plot_sign_map

    record = v.data.record["decision"]
    fig, ax = plt.subplots(figsize=(5.5, 6.4))
    shown = [
        r for r in v.results
        if (r.kind in ("model", "ablation") and "without outcome inputs" not in r.name) or r.name.startswith("logit")
    ]  # fmt: skip
    plot_reliability({r.name: r.probability for r in shown}, record, ax)
    fig.tight_layout()
    fig.savefig(folder / "reliability.png", dpi=120)
    plt.close(fig)
    model = next(r for r in v.results if r.kind == "model")
    states = v.data.states
    frame = pd.DataFrame(
        {
            "iso3": states.index,
            "itu_region": states["itu_region"].to_numpy(),
            "p_sign": model.probability.reindex(states.index)
            .fillna(model.unknown.reindex(states.index))
            .to_numpy(),
            "record": record.reindex(states.index).to_numpy(),
        }
    )
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_sign_map(frame, ax, title=f"Out-of-fold P(sign), {model.name}")
    fig.tight_layout()
    fig.savefig(folder / "errors_map.png", dpi=140)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4.8))
    plot_region_bars({r.name: scores[r.name]["by_region"] for r in shown}, ax)
    fig.tight_layout()
    fig.savefig(folder / "regions.png", dpi=120)
    plt.close(fig)


def _report(v: Validation, scores: dict, comparisons: list[dict], command: str) -> str:
    model = next(r for r in v.results if r.kind == "model")
    record = v.data.record["decision"]
    known = list(v.plan.states)
    facts = v.data.facts
    unplaced = facts.eligible - len(known)
    wrong = model.probability[(model.probability >= 0.5) != (record.loc[known] == "signed")]
    group = pd.Series(primary_groups(v.data.states, v.scenario.groups.order), index=v.data.states.index)
    by_group = wrong.groupby(group.reindex(wrong.index)).apply(
        lambda s: " ".join(f"{i} ({p:.2f})" for i, p in s.items())
    )
    folds = (
        "leave-one-out"
        if v.plan.k == len(known)
        else f"{v.plan.k}-fold, stratified by decision and ITU region"
    )
    tuning = (
        f"calibrated inside each training fold ({_method(v)}, {v.budget} evaluations, from the middle of every range, "
        + (
            "no prior: maximum likelihood)"
            if math.isinf(v.prior_sd)
            else f"a Gaussian prior of sd {v.prior_sd:g} of each range around its middle: maximum a posteriori)"
        )
        if v.tuned
        else "run with the scenario's coefficients as given (if they were calibrated on these states, the model's scores are in sample)"
    )
    lines = [
        f"# Validation: {v.scenario.meta.title or v.scenario.meta.name}",
        "",
        f"Produced by `{command}` (wcitsim {__version__}, git {git_revision() or 'unknown'}).",
        "",
        "## Basis",
        f"- States: the {len(known)} Member States whose decision of 14 December 2012 is known "
        f"({int((record.loc[known] == 'signed').sum())} signed, {int((record.loc[known] == 'not_signed').sum())} did not).",
        f"- Folds: {folds}, seed {v.plan.seed}; every predictor sees the same folds.",
        f"- Simulation protocols: {tuning}; {v.reps} replications per fold."
        + (
            f" Held at their prior's centre, not fitted: {', '.join(f'`{h}`' for h in v.held)}."
            if v.held
            else ""
        )
        + (
            f" The record's vote on the right of access is in the loss of every simulation calibrated per fold (weight {v.vote_weight:g}, "
            "the share of the record's voters cast differently): the vote below is fitted, not predicted."
            if v.vote_weight
            else ""
        ),
        f"- Split: the {facts.eligible} states with signing rights are the known states plus {unplaced} unknown ones "
        f"that the record does not identify; expected signatories = Σ P(sign) over the known states (out of fold) "
        f"+ {unplaced} × the mean P(sign) of the unknown states; the 90 % interval draws each state's decision from its P. "
        f"Record: {facts.signed} signed, {facts.not_signed} did not.",
        "",
        "## Scores (out of fold)",
        _score_table(scores),
        "",
        *[f"- *{name}*: {sc['note']}." for name, sc in scores.items() if sc.get("note")],
        "",
        "## Differences that matter (paired bootstrap over the known states)",
        "A − B of the mean per-state loss: negative means A is better. The interval is the 90 % percentile "
        "interval of 4,000 resamples of the states; 'better' or 'worse' only when it excludes 0.",
        "",
        comparison_table(comparisons),
        "",
        f"**{verdict(scores, comparisons)}**",
        "",
        f"## Confusion table: {model.name}",
        _confusion(model.probability, record.loc[known]),
        "",
        f"## The model's coefficients across the {v.plan.k} training folds",
        "How well the data identify them: a wide range means the training states barely tell the values apart.",
        "",
        _spread_table(v),
        "",
        "## Accuracy by ITU region",
        _regions(scores),
        "",
        "![per-region accuracy](regions.png)",
        "",
        "## The final text against the Final Acts (share of replications matching)",
        "The model's row is calibrated with the text in its loss (fitted); the row *model, text predicted* "
        "is calibrated without it, so its text is a prediction.",
        "",
        _text_table(v, scores),
        "",
        "## The record's vote: the preamble's right of access, 13 December 2012 (77–33–8, on Iran's motion)",
        "The record's motion (the Final Acts' option against 1988) before each predictor's floor, pooled over "
        "the folds' replications; only delegations entitled to vote count (docs/validation.md).",
        "",
        _vote_table(scores),
        "",
        "## Calibration of the probabilities",
        "![reliability diagram](reliability.png)",
        "",
        "## Where the model errs",
        "States the model misclassifies out of fold, by regional group, with their out-of-fold P(sign):",
        "",
    ]
    lines += [f"- **{g}**: {states}" for g, states in by_group.items()] or ["- none"]
    lines += ["", "![out-of-fold P(sign) by state](errors_map.png)", ""]
    return "\n".join(lines)


def run_keys(scenario, plan, reps: int) -> dict:
    """What ``tools/compare_validations.py`` checks two runs share: the scenario, its digest, the folds."""
    return {
        "scenario": scenario.meta.name,
        "scenario_digest": scenario.digest,
        "folds": plan.k,
        "seed": plan.seed,
        "replications": reps,
    }


def produced_by(command: str) -> dict:
    """What made a validation's ``metrics.json``: the command, the wcitsim version and the git revision."""
    return {"command": command, "wcitsim_version": __version__, "git_revision": git_revision()}


def write_validation(v: Validation, out: Path, command: str) -> Path:
    """Write ``OUT/validation/<id>/`` (report.md, metrics.json, figures) atomically; return the folder."""
    final = Path(out) / "validation" / validation_id(v)
    with staged_folder(final, out) as staging:
        scores, comparisons = v.scores(), v.comparisons()
        metrics = {
            **run_keys(v.scenario, v.plan, v.reps),
            "produced_by": produced_by(command),
            "budget": v.budget if v.tuned else None,
            "quick": v.quick,
            "prior_sd": None if math.isinf(v.prior_sd) else v.prior_sd,
            "held": list(v.held),
            "vote_weight": v.vote_weight,
            "verdict": verdict(scores, comparisons),
            "scores": scores,
            "comparisons": comparisons,
            "fold_of": v.plan.fold,
            "out_of_fold": {r.name: r.probability.to_dict() for r in v.results},
            "calibrated": {r.name: r.fitted for r in v.results if any(r.fitted)},
        }
        write_json_atomic(staging / "metrics.json", metrics)
        _figures(v, scores, staging)
        (staging / "report.md").write_text(_report(v, scores, comparisons, command), encoding="utf-8")
    return final
