"""The commands about one scenario and the data: ``data``, ``run``, ``check`` and ``explain``."""

from __future__ import annotations

import argparse
from pathlib import Path

from wcitsim.cli import options

__all__ = ["add_check", "add_data", "add_explain", "add_run", "format_coverage", "format_run"]


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())


def format_coverage(report: dict) -> str:
    """Render :func:`wcitsim.data.coverage.coverage_report` as readable lines."""
    t = report["totals"]
    region = report["itu_region"]
    lines = [
        f"wcitsim data: {report['states']} ITU Member States (2012); record of 14 December 2012 "
        f"with {report['record_rows']} rows",
        f"  decisions: {_format_counts(report['decisions'])}",
    ]
    for conf, counts in report["by_confidence"].items():
        lines.append(f"    by {conf.replace('_', ' ')}: {_format_counts(counts)}")
    lines.append("  by ITU region:")
    for key, counts in report["by_region"].items():
        lines.append(f"    {key:<13} {_format_counts(counts)}")
    lines += [
        f"  against the totals ({t['eligible']} eligible: {t['signed']} signed, {t['not_signed']} not):",
        f"    known {t['known_signed']} + {t['known_not_signed']} = {t['known']} of {t['eligible']}; "
        f"still unplaced: {t['unknown_signed']} signatories, {t['unknown_not_signed']} non-signatories",
        f"    {t['no_signing_right']} Member States had no right to sign (absent or without credentials); "
        f"{t['unknown_member_states']} Member States and {t['unknown_non_members']} non-member row(s) are unknown",
        f"  ITU region: {region['filled']} of {report['states']} filled "
        f"({_format_counts(region['by_basis'])}); blank: {' '.join(region['blank']) or 'none'}",
        f"  APT members: {report['apt']['members']}; unknown: {' '.join(report['apt']['blank']) or 'none'}",
        "  missing covariates:",
    ]
    for column, codes in report["missing"].items():
        shown = " ".join(codes[:12]) + (f" … (+{len(codes) - 12})" if len(codes) > 12 else "")
        lines.append(f"    {column:<26} {len(codes):>3}: {shown}")
    return "\n".join(lines)


def _cmd_data(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.data.coverage import coverage_report

    report = coverage_report(load_dataset(args.data_dir))
    print(options.json_text(report) if args.json else format_coverage(report))
    return 0


def _format_clause(clause: dict) -> str:
    mark = "=" if clause["modal"] == clause["final_acts"] else "≠"
    fa = clause["final_acts_label"] or "unknown"
    share = "" if clause["match_share"] is None else f" ({100 * clause['match_share']:.0f} % match)"
    vote = ""
    if clause["votes_mean"]:
        y, n, a = clause["votes_mean"]
        voted = 100 * clause["contested_share"]
        shown = "<1" if 0 < voted < 1 else f"{voted:.0f}"  # a vote in 1 of 200 replications is not "0 %"
        vote = f"; voted in {shown} % ({y:.0f}–{n:.0f}–{a:.0f} for–against–abstaining of {y + n + a:.0f} present)"
    if clause.get("declared_share"):
        vote += f"; declared adopted by the chair's show of hands in {100 * clause['declared_share']:.0f} %"
    return f"    {clause['id']:<13} {mark} {clause['modal_label']}{share}; Final Acts: {fa}{vote}"


def format_run(summary: dict, folder: Path | None) -> str:
    """Render a run's summary as a few readable lines."""
    from wcitsim.experiments.instruments import record_vote_line, trajectory_line

    split, c, text = summary["split"], summary["countries"], summary["text"]
    known, eligible = split["known_states"], split["eligible"]
    lo, hi = known["signed_interval"]
    elo, ehi = eligible["signed_interval"]
    s = summary["scenario"]
    lines = [
        f"wcitsim run: {s['name']} ({s['protocol']}, chair {s['chair_policy']}, {s['voting_rule']} vote), "
        f"{summary['replications']} replications, seed {summary['seed']}, {summary['engine']} engine",
        f"  split on the {known['n']} states whose decision is known: {known['signed_mean']:.1f} sign "
        f"(90 % {lo:.0f}–{hi:.0f}) against {known['record_signed']} recorded; "
        f"{known['n'] - known['signed_mean']:.1f} do not against {known['record_not_signed']}",
        f"  split of the {eligible['eligible']} eligible (the known states + {eligible['unplaced']} unknown ones, "
        f"signing like the unknown states at the table): {eligible['signed_mean']:.1f} / "
        f"{eligible['eligible'] - eligible['signed_mean']:.1f} (90 % {elo:.0f}–{ehi:.0f} signing) "
        f"against {eligible['record_signed']} / {eligible['record_not_signed']}",
        f"  per country ({c['n_known']} known): accuracy {c['accuracy']:.3f}, balanced accuracy "
        f"{c['balanced_accuracy']:.3f}, Brier {c['brier']:.3f}, AUC {c['auc']:.3f}",
        f"    misclassified: {' '.join(c['misclassified']) or 'none'}",
        f"  final text vs the Final Acts: {text['matches_mean']:.2f} of {text['comparable']} clauses match on average; "
        f"{100 * text['share_all_but_two']:.0f} % of replications match at least {text['comparable'] - 2}",
    ]
    lines += [_format_clause(clause) for clause in text["clauses"]]
    lines.append(f"  the field, capitals' interests: {trajectory_line(summary['field'], 'interest')}")
    lines.append(f"  the field, at the table: {trajectory_line(summary['field'], 'table')}")
    between = summary["field"]["table"]["measured"][1:-1]
    if between and 0 < min(between) < summary["replications"]:
        lines.append(
            f"  (the field between the opening and the deadline measured in the first {min(between):,} of "
            f"{summary['replications']:,} replications: --traced)"
        )
    if summary["record_vote"] is not None:
        lines.append(f"  {record_vote_line(summary['record_vote'])}")
    timing = summary["timing"]
    lines.append(f"  {timing['seconds']:.2f} s ({timing['replications_per_second']:.0f} replications/s)")
    if folder is not None:
        lines.append(f"  written to {folder}")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.records import stream_run
    from wcitsim.io.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    if not args.no_write:
        options.writable_folder(args.out, "--out")
    run, folder = stream_run(
        scenario,
        args.reps,
        args.seed,
        args.engine,
        data,
        out=None if args.no_write else args.out,
        figures=not args.no_figures,
        per_replication=not args.no_replications,
        **({} if args.traced is None else {"traced": args.traced}),
    )
    summary = run.summary()
    if args.json:
        summary["output"] = None if folder is None else str(folder)
        print(options.json_text(summary))
    else:
        print(format_run(summary, folder))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from wcitsim.data.tables import load_tables
    from wcitsim.errors import ScenarioError
    from wcitsim.io.scenario import scenario_path
    from wcitsim.io.schema import read_toml

    path = scenario_path(args.file)  # a shipped scenario by name, as run takes it; checked before the data
    if "sweep" in read_toml(path, ScenarioError, "a scenario or sweep spec (TOML)"):
        from wcitsim.experiments.sweeps import check_design, load_spec

        spec = load_spec(path)
        load_tables(args.data_dir)
        print(f"ok: sweep {spec.sweep.name}, {check_design(spec)} experiments ({spec.sweep.design})")
        return 0
    from wcitsim.data.checks import check_world, delegation_count
    from wcitsim.io.scenario import load_scenario

    scenario = load_scenario(path)  # the world's checks in plain Python: no table or array is made
    tables = load_tables(args.data_dir)
    seated = check_world(scenario, tables.codes, set(tables.columns), tables.numeric)
    print(
        f"ok: scenario {scenario.meta.name}, {delegation_count(scenario, len(seated))} delegations, "
        f"{len(scenario.agenda.active)} clauses, protocol {scenario.protocol.name}"
    )
    return 0


def _format_explanation(e: dict) -> str:
    st, g = e["state"], e["group"]
    lines = [
        f"{st['name']} ({st['iso3']}), group {st['group']}: signs in {100 * e['sign_rate']:.0f} % of "
        f"{e['replications']} replications, P(sign) {e['p_sign']:.2f}; recorded: {st['record'].replace('_', ' ')}",
        "  utility of the final text against the 1988 ITRs, clause by clause:",
    ]
    lines += [
        f"    {c['id']:<13} wants {c['ideal']:.2f} (weight {c['weight']:.2f}); 1988: {c['status_quo_label']}; "
        f"final: {c['final_label']} → {c['contribution']:+.3f} ({c['chair']})"
        + (f"; lost the vote in {100 * c['lost_vote']:.0f} %" if c["lost_vote"] > 0 else "")
        for c in e["clauses"]
    ]
    lines += [
        f"  total utility gain {e['gain']:+.3f}; the votes it lost cost {e['lost_vote_cost']:.3f} "
        f"(δ = {e['lost_vote_weight']:.2f} × the weight of each clause it voted against and lost, or that was declared "
        "adopted over its objection)",
        f"  its group ({g['name']}) signs at {100 * g['share_signing']:.0f} %, a pull of {g['pull']:+.3f}; "
        f"intercept {e['intercept']:+.3f}; reservation shift {e['reservation_shift']:+.3f}",
        f"  P(sign) = logistic((gain − lost-vote cost + pull + intercept − shift) / {e['temperature']:.3f}), "
        "per replication, then averaged",
        "  won: the chair's text moved toward it from 1988; lost: away from it; held: no change",
    ]
    return "\n".join(lines)


def _cmd_explain(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.explain import explain_state

    scenario, data = load_scenario(args.scenario), load_dataset(args.data_dir)
    options.fit_in_memory(args.reps, scenario, data)
    result = run_scenario(scenario, args.reps, args.seed, data=data)
    e = explain_state(result, args.iso3.upper())
    print(options.json_text(e) if args.json else _format_explanation(e))
    return 0


def add_data(commands: options.Commands) -> None:
    """``wcitsim data``."""
    data = commands.add_parser("data", help="report what the data cover")
    options.add_json(data, help="print one JSON object")
    options.add_data_dir(data, help="a folder with states.csv, wcit2012_record.csv, facts.toml")
    data.set_defaults(func=_cmd_data)


def add_run(commands: options.Commands) -> None:
    """``wcitsim run``."""
    run = commands.add_parser("run", help="run a scenario and compare it with the record")
    options.add_scenario(run, help="a scenario TOML file, e.g. scenarios/wcit2012.toml")
    options.add_reps(run, help="replications (default: the scenario's)")
    options.add_seed(run, help="root seed (default: the scenario's)")
    options.add_engine(run)
    options.add_out(run)
    options.add_json(run, help="print one JSON object (keys in docs/cli.md)")
    run.add_argument("--no-write", action="store_true", help="print only; write nothing")
    run.add_argument("--no-figures", action="store_true", help="write tables but no figures")
    run.add_argument(
        "--no-replications",
        action="store_true",
        help="write the summary, the countries table and figures but no per-replication tables",
    )
    run.add_argument(
        "--traced",
        type=options.count,
        metavar="N",
        help="measure the field after every session in the first N replications, in the others at the "
        "opening and the deadline only (default 10,000; measuring costs most of a replication)",
    )
    options.add_data_dir(run)
    run.set_defaults(func=_cmd_run)


def add_explain(commands: options.Commands) -> None:
    """``wcitsim explain``."""
    explain = commands.add_parser("explain", help="why a state signs or not in the model")
    options.add_scenario(explain)
    explain.add_argument("iso3", help="ISO3 code, e.g. KEN")
    options.add_reps(explain, default=100)
    options.add_seed(explain)
    options.add_json(explain)
    options.add_data_dir(explain)
    explain.set_defaults(func=_cmd_explain)


def add_check(commands: options.Commands) -> None:
    """``wcitsim check``."""
    check = commands.add_parser("check", help="validate a scenario or sweep spec without running it")
    check.add_argument("file", type=Path, help="a scenario or sweep spec (TOML)")
    options.add_data_dir(check)
    check.set_defaults(func=_cmd_check)
