"""The scorecard: the model's targets checked, by rule, from the outputs that measure them.

The targets are those the model was asked to meet (docs/validation.md, "The
targets, met and missed"): that the conference matters, that the field turns
from multipolar to binary, the record's vote, who signs, the split and the text.
Each is read from a ``wcitsim validate`` run's ``metrics.json`` (one per fold
seed: the per-state figures are out of fold) or, for the field, from a ``wcitsim
run`` summary (``summary.json``, or the output of ``--json``). Nothing is
recomputed: a figure is the one the run reported, and the verdict is the target's
rule applied to it, so the scorecard of the shipped runs is the one the
documentation states (``tests/test_scorecard.py`` checks it against
docs/validation.md).

A target is **met** when its rule holds on every run that measures it, **met in
k of n** when it holds on some, **missed** when on none, and **not measured**
when no run given measures it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wcitsim.errors import UsageError

__all__ = [
    "RECORD_SPLIT",
    "RECORD_TALLY",
    "TARGETS",
    "Target",
    "kind_of",
    "scorecard",
    "signed",
    "table",
]

#: The record's split of the 144 present and accredited (89 signed, 55 did not) and the vote on
#: the right of access (77 for, 33 against, 8 abstentions): wcitsim/data/facts.toml.
RECORD_SPLIT = 89
RECORD_TALLY = (77, 33, 8)
#: The targets' thresholds, as they were written.
SPLIT_WITHIN, TALLY_WITHIN = 3, 10
ACCURACY_AT_LEAST, BRIER_AT_MOST = 0.90, 0.085
MOTION_SHARE, TEXT_SHARE = 0.5, 0.5
OPENING_POLES, MULTIPOLAR_SHARE, BINARY_SHARE = 3, 0.8, 0.8

#: The rows every scorecard reads by name (``wcitsim validate``'s predictors).
ABLATIONS = ("no conference", "compromise")
REGRESSIONS = ("logit: covariates + groups", "logit: UNGA ideal point")
TEXT_PREDICTED = "model, text predicted"


def signed(x: float, digits: int = 3) -> str:
    """A difference as the documentation prints it: sign always, a true minus (−0.013, +0.017)."""
    text = f"{x:+.{digits}f}"
    return text.replace("-", "−")


def percent(x: float) -> str:
    return f"{100 * x:.0f} %"


def kind_of(payload: dict) -> str | None:
    """``'validate'`` for a validation's metrics.json, ``'run'`` for a run's summary, None otherwise."""
    if "inner_folds" in payload and "chosen" in payload:
        return "selection"
    if isinstance(payload.get("scores"), dict) and "comparisons" in payload:
        return "validate"
    if isinstance(payload.get("field"), dict) and "split" in payload:
        return "run"
    return None


def _model(m: dict) -> str:
    return next(name for name, s in m["scores"].items() if s.get("kind") == "model")


def _comparison(m: dict, b: str) -> dict | None:
    a = _model(m)
    return next((c for c in m.get("comparisons", []) if c["a"] == a and c["b"] == b), None)


@dataclass(frozen=True)
class Figure:
    """One run's figure for a target: the text printed, whether the rule holds, the values read."""

    text: str
    met: bool
    values: dict


def _beats(m: dict, against: tuple[str, ...]) -> Figure | None:
    found = [_comparison(m, b) for b in against]
    if any(c is None for c in found):
        return None
    parts, values = [], {}
    for c in found:
        low, high = c["brier"]["interval"]
        parts.append(f"model − {c['b']} {signed(c['brier']['difference'])} ({signed(low)}, {signed(high)})")
        values[c["b"]] = {"difference": c["brier"]["difference"], "interval": [low, high]}
    return Figure("; ".join(parts), all(c["brier"]["verdict"] == "better" for c in found), values)


def conference_matters(m: dict) -> Figure | None:
    return _beats(m, ABLATIONS)


def better_than_regressions(m: dict) -> Figure | None:
    return _beats(m, REGRESSIONS)


def motion(m: dict) -> Figure | None:
    vote = m["scores"][_model(m)].get("record_vote")
    if not vote:
        return None
    share = vote["share_adopted_by_motion"]
    return Figure(percent(share), share >= MOTION_SHARE, {"share_adopted_by_motion": share})


def tally(m: dict) -> Figure | None:
    vote = m["scores"][_model(m)].get("record_vote")
    if not vote:
        return None
    counts = vote["tally_scaled"]
    worst = max(abs(c - r) for c, r in zip(counts, RECORD_TALLY, strict=True))
    text = "–".join(f"{c:.0f}" for c in counts) + f" (error {vote['mae']:.1f})"
    return Figure(text, worst <= TALLY_WITHIN, {"tally": counts, "mean_error": vote["mae"], "worst": worst})


def who_signs(m: dict) -> Figure:
    s = m["scores"][_model(m)]
    met = s["accuracy"] >= ACCURACY_AT_LEAST and s["brier"] <= BRIER_AT_MOST
    return Figure(
        f"{s['accuracy']:.2f}, {s['brier']:.3f}", met, {"accuracy": s["accuracy"], "brier": s["brier"]}
    )


def split(m: dict) -> Figure:
    sp = m["scores"][_model(m)]["split"]
    low, high = sp["signed_interval"]
    text = f"{sp['signed_expected']:.1f} ({low:.0f}–{high:.0f})"
    met = abs(sp["signed_expected"] - RECORD_SPLIT) <= SPLIT_WITHIN
    return Figure(text, met, {"signed_expected": sp["signed_expected"], "interval": [low, high]})


def text_predicted(m: dict) -> Figure | None:
    row = m["scores"].get(TEXT_PREDICTED, {}).get("text")
    if not row:
        return None
    share = row["share_all_but_one"]
    text = f"{percent(share)} ({row['matches_mean']:.2f} clauses)"
    return Figure(text, share > TEXT_SHARE, {"share_all_but_one": share, "matches_mean": row["matches_mean"]})


def _poles_at_least(poles: dict, k: int) -> float:
    return sum(share for count, share in poles.items() if int(float(count)) >= k)


def opening(run: dict) -> Figure:
    """The share of replications whose interests have ≥ 3 poles at the opening.

    The target's alternative, bipolarity ≤ 0.6, adds nothing a multipolar field
    could meet: two poles have bipolarity 1 by construction, and a field of one
    pole (bipolarity 0) is not multipolar.
    """
    view = run["field"]["interest"]
    share = _poles_at_least(view["poles_opening"], OPENING_POLES)
    return Figure(
        f"{percent(share)} of replications with ≥ {OPENING_POLES} poles, bipolarity {view['bipolarity'][0]:.2f}",
        share >= MULTIPOLAR_SHARE,
        {"share_multipolar": share, "bipolarity": view["bipolarity"][0]},
    )


#: How the field's two views are named in a figure.
VIEWS = {"interest": "interests", "table": "table"}


def deadline(run: dict) -> Figure:
    parts, values = [], {}
    for view in ("interest", "table"):
        v = run["field"][view]
        values[view] = {
            "share_binary": v["binary_share"][-1],
            "binary_from_session": v["binary_from_session"],
        }
        since = v["binary_from_session"]
        first = "never" if since is None else "at the opening" if since == 0 else f"from session {since}"
        poles = ", ".join(
            f"{int(float(k))} {'pole' if int(float(k)) == 1 else 'poles'} in {percent(share)}"
            for k, share in v["poles_deadline"].items()
        )
        parts.append(
            f"{VIEWS[view]}: at the deadline {poles}, binary in {percent(v['binary_share'][-1])} "
            f"(binary in ≥ {percent(BINARY_SHARE)} of replications {first})"
        )
    opened = _poles_at_least(run["field"]["interest"]["poles_opening"], OPENING_POLES) >= MULTIPOLAR_SHARE
    # A turn needs the opening to be multipolar: a field binary from the start has not turned.
    met = opened and values["interest"]["share_binary"] >= BINARY_SHARE
    return Figure("; ".join(parts), met, values)


@dataclass(frozen=True)
class Target:
    """A target as written, the kind of run that measures it and its rule."""

    key: str
    text: str
    source: str
    measure: Callable[[dict], Figure | None]


TARGETS: tuple[Target, ...] = (
    Target(
        "conference_matters",
        "out-of-fold Brier beats both ablations (no conference, compromise), 90 % interval below 0",
        "validate",
        conference_matters,
    ),
    Target("opening", "≥ 3 poles at the opening in ≥ 80 % of replications (interests)", "run", opening),
    Target(
        "deadline",
        "after a multipolar opening, 2 poles with bipolarity ≥ 0.85 at the deadline in ≥ 80 %",
        "run",
        deadline,
    ),
    Target("motion", "the right of access adopted by a motion from the floor in ≥ 50 %", "validate", motion),
    Target("tally", "yes / no / abstain each within ±10 of 77 / 33 / 8", "validate", tally),
    Target("who_signs", "out-of-fold accuracy ≥ 0.90 and Brier ≤ 0.085", "validate", who_signs),
    Target(
        "better_than_regressions",
        "better Brier than the covariate and the UNGA-only regressions, 90 % interval below 0",
        "validate",
        better_than_regressions,
    ),
    Target("split", "expected signatories within ±3 of 89", "validate", split),
    Target("text", "7 of 8 clauses predicted (not fitted) in most replications", "validate", text_predicted),
)


def _label(run: dict, kind: str) -> str:
    if kind == "validate":
        return f"fold seed {run['seed']}, budget {run['budget']}" + (" (quick)" if run.get("quick") else "")
    return f"run seed {run['seed']}, {run['replications']} replications"


#: What a malformed run raises while a target reads it: a missing key, a wrong type, an empty list.
MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, StopIteration)


def _scenario(run: dict, kind: str) -> tuple[str, str]:
    if kind == "validate":
        return run["scenario"], run["scenario_digest"]
    return run["scenario"]["name"], run["scenario"]["digest"]


#: What validations scored together must share: they may differ in their fold seed only.
SETTINGS = ("folds", "replications", "budget", "quick", "prior_sd", "vote_weight", "held")


def _same_settings(name: str, run: dict, seen: dict) -> None:
    """Refuse a validation that repeats a fold seed, or that was made with other settings than the first."""
    settings = {key: run.get(key) for key in SETTINGS}
    if run["seed"] in seen.get("seeds", {}):
        raise UsageError(
            f"{name}: fold seed {run['seed']} again (as in {seen['seeds'][run['seed']]}); "
            "expected one validation per fold seed"
        )
    seen.setdefault("seeds", {})[run["seed"]] = name
    first = seen.setdefault("first", (name, settings))
    for key in SETTINGS:
        if settings[key] != first[1][key]:
            raise UsageError(
                f"{name}: {key} {settings[key]!r}, but {first[0]} has {first[1][key]!r}; "
                "expected validations that differ in their fold seed only"
            )


def scorecard(runs: list[tuple[str, dict]]) -> dict:
    """Every target of :data:`TARGETS` checked on every run that measures it.

    ``runs``: (where it was read, parsed JSON) pairs, validations and run summaries
    of one scenario. Returns ``{"scenario", "runs": [labels], "targets": [{key,
    target, verdict, figures: [...]}]}``. A run that is neither kind, that breaks
    the shape a target reads, or whose scenario differs from the others' raises
    :class:`~wcitsim.errors.UsageError` naming it.
    """
    kinds, labels, scenarios, settings = [], [], {}, {}
    for name, run in runs:
        kind = kind_of(run)
        if kind is None:
            raise UsageError(f"{name}: neither a validation's metrics.json nor a run's summary; {EXPECTED}")
        if kind == "selection":
            raise UsageError(
                f"{name}: a selection's metrics.json (wcitsim select), whose rows are calibration choices, "
                f"not the model the targets are about; {EXPECTED}"
            )
        try:
            labels.append(_label(run, kind))
            scenarios.setdefault(_scenario(run, kind), name)
        except MALFORMED as err:
            raise UsageError(
                f"{name}: malformed {kind} output ({type(err).__name__}: {err}); {EXPECTED}"
            ) from None
        kinds.append(kind)
        if kind == "validate":
            _same_settings(name, run, settings)
    if len(scenarios) > 1:
        (a, first), (b, second) = list(scenarios.items())[:2]
        raise UsageError(
            f"{second}: scenario {b[0]} (digest {b[1]}), but {first} is {a[0]} (digest {a[1]}); "
            "expected the runs of one scenario"
        )
    rows = []
    for t in TARGETS:
        figures = []
        for (name, run), kind, label in zip(runs, kinds, labels, strict=True):
            if kind != t.source:
                continue
            try:
                figure = t.measure(run)
            except MALFORMED as err:
                raise UsageError(
                    f"{name}: the target {t.key!r} cannot be read ({type(err).__name__}: {err}); {EXPECTED}"
                ) from None
            if figure is not None:
                figures.append(
                    {"run": label, "figure": figure.text, "met": figure.met, "values": figure.values}
                )
        met = sum(f["met"] for f in figures)
        verdict = (
            "not measured"
            if not figures
            else "met"
            if met == len(figures)
            else "missed"
            if met == 0
            else f"met in {met} of {len(figures)}"
        )
        rows.append({"key": t.key, "target": t.text, "verdict": verdict, "figures": figures})
    return {"scenario": sorted({s for s, _ in scenarios}), "runs": labels, "targets": rows}


#: What every input must be.
EXPECTED = (
    "expected the metrics.json of wcitsim validate or the summary.json of wcitsim run (or its --json output)"
)


def table(card: dict) -> str:
    """The scorecard as plain lines: each target, its verdict, then each run's figure."""
    lines = [f"scorecard of {', '.join(card['scenario'])}: {'; '.join(card['runs'])}"]
    for row in card["targets"]:
        lines.append(f"  {row['verdict'].upper():<13} {row['target']}")
        for f in row["figures"]:
            lines.append(f"      {'met' if f['met'] else 'missed':<7}{f['run']}: {f['figure']}")
    return "\n".join(lines)
