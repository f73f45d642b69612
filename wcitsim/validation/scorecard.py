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
from wcitsim.experiments.instruments import BINARY_BIPOLARITY, BINARY_SHARE
from wcitsim.io.jsonfile import JsonFile
from wcitsim.io.schema import shown

__all__ = ["TARGETS", "Target", "kind_of", "scorecard", "signed", "table"]

#: The targets' thresholds, as they were written. The record they are measured against (89 of the 144
#: signing, 77–33–8 on the right of access) is read from each run, which took it from facts.toml.
SPLIT_WITHIN, TALLY_WITHIN = 3, 10
ACCURACY_AT_LEAST, BRIER_AT_MOST = 0.90, 0.085
MOTION_SHARE, TEXT_SHARE = 0.5, 0.5
OPENING_POLES, MULTIPOLAR_SHARE = 3, 0.8

#: The rows every scorecard reads by name (``wcitsim validate``'s predictors).
ABLATIONS = ("no conference", "compromise")
REGRESSIONS = ("logit: covariates + groups", "logit: UNGA ideal point")
TEXT_PREDICTED = "model, text predicted"


def signed(x: float, digits: int = 3) -> str:
    """A difference as the documentation prints it: sign always, a true minus (−0.013, +0.017)."""
    text = f"{x:+.{digits}f}"
    return text.replace("-", "−")


def percent(x: float) -> str:
    """A share as a whole percentage ('46 %')."""
    return f"{100 * x:.0f} %"


def kind_of(payload: dict) -> str | None:
    """What ``payload`` is: ``'validate'`` (a validation's metrics.json), ``'selection'`` (a selection's),
    ``'run'`` (a run's summary), or None."""
    if "inner_folds" in payload and "chosen" in payload:
        return "selection"
    if isinstance(payload.get("scores"), dict) and "comparisons" in payload:
        return "validate"
    if isinstance(payload.get("field"), dict) and "split" in payload:
        return "run"
    return None


def model_of(r: JsonFile) -> str:
    """The name of the validation's one row of kind 'model' (the model the targets are about)."""
    scores = r.get("scores", kind=dict)
    models = [name for name, row in scores.items() if isinstance(row, dict) and row.get("kind") == "model"]
    if len(models) != 1:
        r.fail(
            ("scores",),
            f"{len(models)} rows of kind 'model'; expected one, the model the targets are about",
        )
    return models[0]


def comparison(r: JsonFile, b: str) -> tuple[float, float, float]:
    """The model − ``b`` Brier difference and its interval, from the validation's comparisons."""
    a, rows = model_of(r), r.get("comparisons", kind=list)
    for i, row in enumerate(rows):
        if isinstance(row, dict) and row.get("a") == a and row.get("b") == b:
            difference = r.number("comparisons", i, "brier", "difference", lo=-1.0, hi=1.0)
            low, high = r.numbers("comparisons", i, "brier", "interval", length=2, lo=-1.0, hi=1.0)
            return difference, low, high
    r.fail(("comparisons",), f"no comparison {a} − {b}; expected the one wcitsim validate makes")


@dataclass(frozen=True)
class Figure:
    """One run's figure for a target: the text printed, whether the rule holds, the values read."""

    text: str
    met: bool
    values: dict


def _beats(r: JsonFile, against: tuple[str, ...]) -> Figure:
    """Met when every interval of the model − ``against`` Brier difference lies wholly below 0."""
    parts, values, met = [], {}, True
    for b in against:
        difference, low, high = comparison(r, b)
        parts.append(f"model − {b} {signed(difference)} ({signed(low)}, {signed(high)})")
        values[b] = {"difference": difference, "interval": [low, high]}
        met = met and high < 0
    return Figure("; ".join(parts), met, values)


def conference_matters(r: JsonFile) -> Figure:
    """The model against its two ablations (:func:`_beats`)."""
    return _beats(r, ABLATIONS)


def better_than_regressions(r: JsonFile) -> Figure:
    """The model against the covariate and the UNGA-only regressions (:func:`_beats`)."""
    return _beats(r, REGRESSIONS)


def _vote(r: JsonFile) -> tuple | None:
    """The path of the model's record vote, or None when the validation's scenario puts none to the floor."""
    path = ("scores", model_of(r), "record_vote")
    return path if r.get(*path, kind=dict, optional=True) is not None else None


def motion(r: JsonFile) -> Figure | None:
    """The share of replications adopting the right of access by a motion, met from a half (None: no vote)."""
    if (vote := _vote(r)) is None:
        return None
    share = r.number(*vote, "share_adopted_by_motion", lo=0.0, hi=1.0)
    return Figure(percent(share), share >= MOTION_SHARE, {"share_adopted_by_motion": share})


def tally(r: JsonFile) -> Figure | None:
    """The floor's tally scaled to the record's voters, met when each count is within 10 (None: no vote)."""
    if (vote := _vote(r)) is None:
        return None
    record = [r.number(*vote, "record", cast, lo=0, hi=1000, whole=True) for cast in ("yes", "no", "abstain")]
    voters = sum(record)
    counts = r.numbers(*vote, "tally_scaled", length=3, lo=0.0, hi=voters)
    error = r.number(*vote, "mae", lo=0.0, hi=voters)
    worst = max(abs(c - cast) for c, cast in zip(counts, record, strict=True))
    text = "–".join(f"{c:.0f}" for c in counts) + f" (error {error:.1f})"
    return Figure(text, worst <= TALLY_WITHIN, {"tally": counts, "mean_error": error, "worst": worst})


def who_signs(r: JsonFile) -> Figure:
    """The model's out-of-fold accuracy and Brier score, met at ≥ 0.90 and ≤ 0.085."""
    row = ("scores", model_of(r))
    accuracy, brier = r.number(*row, "accuracy", lo=0.0, hi=1.0), r.number(*row, "brier", lo=0.0, hi=1.0)
    met = accuracy >= ACCURACY_AT_LEAST and brier <= BRIER_AT_MOST
    return Figure(f"{accuracy:.2f}, {brier:.3f}", met, {"accuracy": accuracy, "brier": brier})


def split(r: JsonFile) -> Figure:
    """The expected signatories of the 144 and their interval, met within 3 of the record's."""
    row = ("scores", model_of(r), "split")
    expected = r.number(*row, "signed_expected", lo=0.0, hi=1000.0)
    low, high = r.numbers(*row, "signed_interval", length=2, lo=0.0, hi=1000.0)
    text = f"{expected:.1f} ({low:.0f}–{high:.0f})"
    met = abs(expected - r.number(*row, "record_signed", lo=0, hi=1000, whole=True)) <= SPLIT_WITHIN
    return Figure(text, met, {"signed_expected": expected, "interval": [low, high]})


def text_predicted(r: JsonFile) -> Figure | None:
    """The share of the text-predicted row's replications matching all clauses but one, met above a half."""
    if r.get("scores", TEXT_PREDICTED, kind=dict, optional=True) is None:
        return None
    row = ("scores", TEXT_PREDICTED, "text")
    share = r.number(*row, "share_all_but_one", lo=0.0, hi=1.0)
    clauses = r.number(*row, "comparable", lo=1, hi=100, whole=True)
    matches = r.number(*row, "matches_mean", lo=0.0, hi=clauses)
    text = f"{percent(share)} ({matches:.2f} clauses)"
    return Figure(text, share > TEXT_SHARE, {"share_all_but_one": share, "matches_mean": matches})


def _at_least(poles: dict[int, float], k: int) -> float:
    return sum(share for count, share in poles.items() if count >= k)


def opening(r: JsonFile) -> Figure:
    """The opening's figure: the share of replications whose interests have ≥ 3 poles, met from 80 %.

    The target's alternative, bipolarity ≤ 0.6, adds nothing a multipolar field
    could meet: two poles have bipolarity 1 by construction, and a field of one
    pole (bipolarity 0) is not multipolar.
    """
    share = _at_least(r.shares("field", "interest", "poles_opening"), OPENING_POLES)
    bipolarity = r.number("field", "interest", "bipolarity", 0, lo=0.0, hi=1.0)
    return Figure(
        f"{percent(share)} of replications with ≥ {OPENING_POLES} poles, bipolarity {bipolarity:.2f}",
        share >= MULTIPOLAR_SHARE,
        {"share_multipolar": share, "bipolarity": bipolarity},
    )


#: How the field's two views are named in a figure.
VIEWS = {"interest": "interests", "table": "table"}


def deadline(r: JsonFile) -> Figure:
    """Each view's poles and binary share at the deadline; met when the interests, after a multipolar
    opening (:func:`opening`), are binary in 80 % of replications."""
    parts, values = [], {}
    for view in VIEWS:
        binary = r.number("field", view, "binary_share", -1, lo=0.0, hi=1.0)
        since = r.get("field", view, "binary_from_session", kind=(int, type(None)))
        values[view] = {"share_binary": binary, "binary_from_session": since}
        first = "never" if since is None else "at the opening" if since == 0 else f"from session {since}"
        poles = ", ".join(
            f"{k} {'pole' if k == 1 else 'poles'} in {percent(share)}"
            for k, share in r.shares("field", view, "poles_deadline").items()
        )
        parts.append(
            f"{VIEWS[view]}: at the deadline {poles}, binary in {percent(binary)} "
            f"(first binary in ≥ {percent(BINARY_SHARE)} of replications {first})"
        )
    # A turn needs the opening to be multipolar: a field binary from the start has not turned.
    met = opening(r).met and values["interest"]["share_binary"] >= BINARY_SHARE
    return Figure("; ".join(parts), met, values)


@dataclass(frozen=True)
class Target:
    """A target as written, the kind of run that measures it and its rule."""

    key: str
    text: str
    source: str
    measure: Callable[[JsonFile], Figure | None]


TARGETS: tuple[Target, ...] = (
    Target(
        "conference_matters",
        "out-of-fold Brier beats both ablations (no conference, compromise), 90 % interval below 0",
        "validate",
        conference_matters,
    ),
    Target(
        "opening",
        f"≥ {OPENING_POLES} poles at the opening in ≥ {percent(MULTIPOLAR_SHARE)} of replications (interests)",
        "run",
        opening,
    ),
    Target(
        "deadline",
        f"after a multipolar opening, 2 poles with bipolarity ≥ {BINARY_BIPOLARITY:g} at the deadline "
        f"in ≥ {percent(BINARY_SHARE)}",
        "run",
        deadline,
    ),
    Target(
        "motion",
        f"the right of access adopted by a motion from the floor in ≥ {percent(MOTION_SHARE)}",
        "validate",
        motion,
    ),
    Target("tally", f"yes / no / abstain each within ±{TALLY_WITHIN} of 77 / 33 / 8", "validate", tally),
    Target(
        "who_signs",
        f"out-of-fold accuracy ≥ {ACCURACY_AT_LEAST:.2f} and Brier ≤ {BRIER_AT_MOST:g}",
        "validate",
        who_signs,
    ),
    Target(
        "better_than_regressions",
        "better Brier than the covariate and the UNGA-only regressions, 90 % interval below 0",
        "validate",
        better_than_regressions,
    ),
    Target("split", f"expected signatories within ±{SPLIT_WITHIN} of 89", "validate", split),
    Target("text", "7 of 8 clauses predicted (not fitted) in most replications", "validate", text_predicted),
)


def _label(r: JsonFile, kind: str) -> str:
    if kind == "validate":
        seed, budget = r.number("seed", lo=0, hi=2**32, whole=True), r.get("budget", kind=(int, type(None)))
        quick = r.get("quick", kind=bool, optional=True)
        return f"fold seed {seed:.0f}, budget {budget}" + (" (quick)" if quick else "")
    seed = r.number("seed", lo=0, hi=2**64, whole=True)
    reps = r.number("replications", lo=1, hi=1e9, whole=True)
    return f"run seed {seed:.0f}, {reps:.0f} replications"


def _scenario(r: JsonFile, kind: str) -> tuple[str, str]:
    if kind == "validate":
        return r.get("scenario", kind=str), r.get("scenario_digest", kind=str)
    return r.get("scenario", "name", kind=str), r.get("scenario", "digest", kind=str)


#: What validations scored together must share: they may differ in their fold seed only.
SETTINGS = ("folds", "replications", "budget", "quick", "prior_sd", "vote_weight", "held")


def _same_settings(r: JsonFile, seen: dict) -> None:
    """Refuse a validation made with other settings than the first, or that repeats a fold seed."""
    settings = {key: r.data.get(key) for key in SETTINGS}
    first = seen.setdefault("first", (r.name, settings))
    for key in SETTINGS:
        if settings[key] != first[1][key]:
            r.fail(
                (key,),
                f"{shown(settings[key])}, but {first[0]} has {shown(first[1][key])}; "
                "expected validations that differ in their fold seed only",
            )
    seed = r.data["seed"]
    if seed in seen.setdefault("seeds", {}):
        r.fail(
            ("seed",), f"{seed} again (as in {seen['seeds'][seed]}); expected one validation per fold seed"
        )
    seen["seeds"][seed] = r.name


def _check(r: JsonFile) -> str:
    """The run's kind, once it is known to be one the scorecard reads."""
    kind = kind_of(r.data)
    if kind in (None, "validate") and "output" in r.data and "out_of_fold" not in r.data:
        raise UsageError(
            f"{r.name}: what `wcitsim validate --json` printed, which holds no folds or seed; "
            f"expected the metrics.json in the folder it names under 'output'"
        )
    if kind is None:
        raise UsageError(f"{r.name}: neither a validation's metrics.json nor a run's summary; {EXPECTED}")
    if kind == "selection":
        raise UsageError(
            f"{r.name}: a selection's metrics.json (wcitsim select), whose rows are calibration choices, "
            f"not the model the targets are about; {EXPECTED}"
        )
    return kind


def _verdict(figures: list[dict]) -> str:
    """'met' when every run meets the rule, 'missed' when none does, 'met in k of n' between; 'not measured'."""
    met = sum(f["met"] for f in figures)
    if not figures:
        return "not measured"
    return "met" if met == len(figures) else "missed" if met == 0 else f"met in {met} of {len(figures)}"


def scorecard(runs: list[tuple[str, dict]]) -> dict:
    """Every target of :data:`TARGETS` checked on every run that measures it.

    ``runs``: (where it was read, parsed JSON) pairs: validations of one scenario
    that differ in their fold seed only, and at most one run summary of it.
    Returns ``{"scenario": name, "runs": [labels], "targets": [{key, target,
    verdict, figures: [...]}]}``. A run that is neither kind, that lacks a key a target
    reads or holds a value outside its range (a share above 1, a count that is
    not whole), or that does not belong with the others raises
    :class:`~wcitsim.errors.UsageError` naming it, the key and the value.
    """
    if not runs:
        raise UsageError(f"no run given; {EXPECTED}")
    reads = [JsonFile(name, run, EXPECTED) for name, run in runs]
    kinds = [_check(r) for r in reads]
    labels, settings = [], {}
    first = (reads[0].name, _scenario(reads[0], kinds[0]))
    for r, kind in zip(reads, kinds, strict=True):
        labels.append(_label(r, kind))
        scenario = _scenario(r, kind)
        if scenario != first[1]:  # before the settings: a different scenario is the first thing wrong
            raise UsageError(
                f"{r.name}: scenario {scenario[0]} (digest {scenario[1]}), but {first[0]} is {first[1][0]} "
                f"(digest {first[1][1]}); expected the runs of one scenario"
            )
        if kind == "validate":
            _same_settings(r, settings)
    if kinds.count("run") > 1:
        second = [r.name for r, kind in zip(reads, kinds, strict=True) if kind == "run"][1]
        raise UsageError(
            f"{second}: a second run summary; expected at most one (the field's targets read one run)"
        )
    rows = []
    for t in TARGETS:
        figures = []
        for r, kind, label in zip(reads, kinds, labels, strict=True):
            figure = t.measure(r) if kind == t.source else None
            if figure is not None:
                figures.append(
                    {"run": label, "figure": figure.text, "met": figure.met, "values": figure.values}
                )
        rows.append({"key": t.key, "target": t.text, "verdict": _verdict(figures), "figures": figures})
    return {"scenario": first[1][0], "runs": labels, "targets": rows}


#: What every input must be (a message says "expected" before it).
WHAT = "the metrics.json of wcitsim validate or the summary.json of wcitsim run (or its --json output)"
EXPECTED = f"expected {WHAT}"


def table(card: dict) -> str:
    """The scorecard as plain lines: each target, its verdict, then each run's figure."""
    lines = [f"scorecard of {card['scenario']}: {'; '.join(card['runs'])}"]
    for row in card["targets"]:
        lines.append(f"  {row['verdict'].upper():<13} {row['target']}")
        for f in row["figures"]:
            lines.append(f"      {'met' if f['met'] else 'missed':<7}{f['run']}: {f['figure']}")
    return "\n".join(lines)
