"""The ``wcitsim`` command line: thin wrappers that parse, call one library function and print.

Every user mistake (a bad file, a bad argument) ends with one line on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from wcitsim._version import __version__
from wcitsim.errors import UsageError, WcitsimError
from wcitsim.io.scenario import scenario_path

__all__ = ["main", "main_entry"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}\n")


#: Characters that str.splitlines() breaks on: a user's key or value holding one is escaped in messages.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def one_line(text: str) -> str:
    """The message with every line-breaking character escaped, so an error is always one line."""
    return "".join(c.encode("unicode_escape").decode() if c in LINE_BREAKS else c for c in text)


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
    print(json.dumps(report, indent=2) if args.json else format_coverage(report))
    return 0


def format_run(summary: dict, folder: Path | None) -> str:
    """Render a run's summary as a few readable lines."""
    split, c, text, pol = summary["split"], summary["countries"], summary["text"], summary["polarization"]
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
    for clause in text["clauses"]:
        mark = "=" if clause["modal"] == clause["final_acts"] else "≠"
        fa = clause["final_acts_label"] or "unknown"
        share = "" if clause["match_share"] is None else f" ({100 * clause['match_share']:.0f} % match)"
        vote = ""
        if clause["votes_mean"]:
            y, n, a = clause["votes_mean"]
            vote = f"; voted in {100 * clause['contested_share']:.0f} % ({y:.0f}–{n:.0f}–{a:.0f})"
        lines.append(f"    {clause['id']:<13} {mark} {clause['modal_label']}{share}; Final Acts: {fa}{vote}")
    er = pol["esteban_ray"]
    bim = pol["bimodality"]
    binary = pol["binary_from_session"]
    lines.append(
        f"  polarization (Esteban–Ray) opening {er[0]:.2f} → deadline {er[-1]:.2f}; bimodality {bim[0]:.2f} → {bim[-1]:.2f}"
        + (
            f"; two camps (bimodality > 5/9) from session {binary}"
            if binary is not None
            else "; never bimodal"
        )
    )
    timing = summary["timing"]
    lines.append(f"  {timing['seconds']:.2f} s ({timing['replications_per_second']:.0f} replications/s)")
    if folder is not None:
        lines.append(f"  written to {folder}")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.records import write_run
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    result = run_scenario(scenario, args.reps, args.seed, args.engine, load_dataset(args.data_dir))
    folder = None if args.no_write else write_run(result, args.out, figures=not args.no_figures)
    summary = result.summary()
    if args.json:
        summary["output"] = None if folder is None else str(folder)
        print(json.dumps(summary, indent=2))
    else:
        print(format_run(summary, folder))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.crossval import cross_validate
    from wcitsim.validation.report import verdict, write_validation

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    progress = (
        None
        if args.json or not sys.stderr.isatty()
        else lambda m: print(f"\r  {m:<40}", end="", file=sys.stderr)
    )
    v = cross_validate(
        scenario,
        data,
        args.folds,
        args.reps,
        args.seed,
        args.budget,
        not args.no_calibrate,
        progress,
        args.protocol_reps,
    )
    if progress:
        print(file=sys.stderr)
    command = (
        "wcitsim " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("wcitsim") else "wcitsim validate ..."
    )
    folder = write_validation(v, args.out, command)
    scores = v.scores()
    if args.json:
        print(
            json.dumps(
                {"verdict": verdict(scores), "folds": v.plan.k, "scores": scores, "output": str(folder)},
                indent=2,
            )
        )
        return 0
    print(
        f"wcitsim validate: {scenario.meta.name}, {v.plan.k} folds over {len(v.plan.states)} known states, seed {v.plan.seed}"
    )
    print(
        f"  {'predictor':<22} {'accuracy':>8} {'bal.acc':>8} {'Brier':>7} {'logloss':>8} {'AUC':>6}  eligible split"
    )
    for name, sc in scores.items():
        split = sc["split"]
        print(
            f"  {name:<22} {sc['accuracy']:8.3f} {sc['balanced_accuracy']:8.3f} {sc['brier']:7.3f} "
            f"{sc['log_loss']:8.3f} {sc['auc']:6.3f}  {split['signed_median']:.0f} / {144 - split['signed_median']:.0f} "
            f"vs {split['record_signed']} / {split['record_not_signed']}"
            + (
                f"; text {sc['text']['matches_mean']:.2f} of {sc['text']['comparable']}"
                if "text" in sc
                else ""
            )
        )
    print(f"  {verdict(scores)}")
    print(f"  report: {folder / 'report.md'}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.calibrate import calibrate, known_states, summary_table, write_calibrated

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    out = args.out or Path("results") / "calibration" / f"{scenario.meta.name}.toml"
    if out.exists() and out.is_dir():
        raise UsageError(f"{out}: is a folder; expected the path of the calibrated scenario file to write")
    result = calibrate(
        scenario,
        data,
        known_states(data),
        budget=args.budget,
        replications=args.reps,
        seed=args.seed,
        start=args.start,
    )
    command = f"wcitsim calibrate {args.scenario} --budget {args.budget} --reps {args.reps} --seed {args.seed} --start {args.start}"
    written = write_calibrated(result, args.scenario, out, command)
    print(
        f"wcitsim calibrate: {scenario.meta.name}, {result.evaluations} evaluations on {len(result.states)} known states"
    )
    print(
        f"  loss {result.loss_start:.4f} → {result.loss:.4f} (mean log-loss + share of clauses missing the Final Acts), in sample"
    )
    print(summary_table(result).to_string(float_format=lambda x: f"{x:.4g}"))
    print(f"  written to {written}; out-of-sample scores: wcitsim validate {written} --folds {args.folds}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.explain import explain_state

    result = run_scenario(
        load_scenario(args.scenario), args.reps, args.seed, data=load_dataset(args.data_dir)
    )
    e = explain_state(result, args.iso3.upper())
    if args.json:
        print(json.dumps(e, indent=2))
        return 0
    st = e["state"]
    lines = [
        f"{st['name']} ({st['iso3']}), group {st['group']}: signs in {100 * e['sign_rate']:.0f} % of "
        f"{e['replications']} replications, P(sign) {e['p_sign']:.2f}; recorded: {st['record'].replace('_', ' ')}",
        "  utility of the final text against the 1988 ITRs, clause by clause:",
    ]
    for c in e["clauses"]:
        lines.append(
            f"    {c['id']:<13} wants {c['ideal']:.2f} (weight {c['weight']:.2f}); 1988: {c['status_quo_label']}; "
            f"final: {c['final_label']} → {c['contribution']:+.3f} ({c['chair']})"
        )
    g = e["group"]
    lines += [
        f"  total utility gain {e['gain']:+.3f}; its group ({g['name']}) signs at {100 * g['share_signing']:.0f} %, "
        f"a pull of {g['pull']:+.3f}; intercept {e['intercept']:+.3f}; reservation shift {e['reservation_shift']:+.3f}",
        f"  P(sign) = logistic((gain + pull + intercept − shift) / {e['temperature']:.3f})",
        "  won: the chair's text moved toward it from 1988; lost: away from it; held: no change",
    ]
    print("\n".join(lines))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from wcitsim.experiments.executors import make_executor
    from wcitsim.experiments.sweep_run import run_sweep
    from wcitsim.experiments.sweeps import load_spec

    spec = load_spec(args.spec)
    folder = run_sweep(
        spec,
        args.out,
        make_executor(args.workers, args.scheduler),
        args.resume,
        args.data_dir,
        progress=not args.quiet,
    )
    table = _read_parquet(folder / "outcomes.parquet")
    print(
        f"wcitsim sweep: {spec.sweep.name}, {len(table)} experiments × {spec.sweep.replications} replications "
        f"({spec.sweep.design} over {', '.join(spec.parameters)})"
    )
    print(
        f"  signatories of the 144 eligible: {table['signed_eligible'].min():.1f} to {table['signed_eligible'].max():.1f} (record 89)"
    )
    print(f"  written to {folder}; analyse with: wcitsim analyze {folder}")
    return 0


def _read_parquet(path: Path):
    import pandas as pd

    return pd.read_parquet(path)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from wcitsim.experiments.analysis import analyze_sweep

    out = analyze_sweep(args.results)
    print(f"wcitsim analyze: summary, indices and figures in {out}")
    print((out / "summary.md").read_text(encoding="utf-8"))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    import tomllib

    from wcitsim.data import load_dataset

    path = args.file
    try:
        is_spec = "sweep" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        is_spec = False  # the loaders below report the problem precisely
    data = load_dataset(args.data_dir)
    if is_spec:
        from wcitsim.experiments.sweeps import design_experiments, load_spec

        spec = load_spec(path)
        print(
            f"ok: sweep {spec.sweep.name}, {len(design_experiments(spec))} experiments ({spec.sweep.design})"
        )
        return 0
    from wcitsim.core.world import build_world
    from wcitsim.io.scenario import load_scenario

    scenario = load_scenario(path)
    world = build_world(scenario, data)
    print(
        f"ok: scenario {scenario.meta.name}, {world.n} delegations, {world.agenda.k} clauses, "
        f"protocol {scenario.protocol.name}"
    )
    return 0


def _cmd_game(args: argparse.Namespace) -> int:
    import numpy as np

    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach import gametheory as gt

    data = load_dataset(args.data_dir)
    result = run_scenario(load_scenario(args.scenario), args.reps, data=data)
    w, agenda = result.world, result.world.agenda
    names = list(w.group_names)
    seats = np.array([int((w.group == g).sum()) for g in names])
    quota = seats.sum() / 2 + 0.5
    ss, bz = gt.shapley_shubik(seats, quota), gt.banzhaf(seats, quota)
    texts = gt.all_texts(agenda)
    nbs, nbs_info = gt.nash_bargaining(
        texts, agenda, w.position, w.salience, w.capability, w.signing.exponent
    )
    compromise = gt.compromise_point(w.position, w.salience, w.capability)
    values, counts = zip(
        *[np.unique(result.outcome.text[:, k], return_counts=True) for k in range(agenda.k)], strict=True
    )
    chair = np.array([v[np.argmax(c)] for v, c in zip(values, counts, strict=True)])
    west = data.states.loc[list(w.iso3)].eval("oecd == 1 or eu == 1").to_numpy()
    camps = {"OECD and EU": west, "the others": ~west}
    sets = gt.acceptable_sets(texts, agenda, w.position, w.salience, camps, w.signing.exponent, args.share)
    report = {
        "voting_power": {
            g: {"seats": int(n), "shapley_shubik": float(a), "banzhaf": float(b)}
            for g, n, a, b in zip(names, seats, ss, bz, strict=True)
        },
        "quota": float(quota),
        "nash_bargaining": None if nbs is None else dict(zip(agenda.ids, map(float, nbs), strict=True)),
        "nash_details": nbs_info,
        "compromise_point": dict(zip(agenda.ids, map(float, compromise), strict=True)),
        "chair_text": dict(zip(agenda.ids, map(float, chair), strict=True)),
        "acceptable_sets": {k: v for k, v in sets.items() if k != "accepted"},
        "share": args.share,
        "explanations": gt.EXPLANATIONS,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    lines = [f"wcitsim game: {result.scenario.meta.name}, {w.n} delegations, {len(texts)} possible texts", "",
             f"Voting power of the regional groups voting as blocs (majority: {quota:.1f} of {seats.sum()} votes):"]  # fmt: skip
    lines += [
        f"  {g:<7} {n:>4} seats  Shapley–Shubik {a:.3f}  Banzhaf {b:.3f}"
        for g, n, a, b in zip(names, seats, ss, bz, strict=True)
    ]
    lines += [
        "  " + gt.EXPLANATIONS["voting_power"],
        "",
        "Nash bargaining solution (disagreement point: the 1988 ITRs):",
    ]
    if nbs is None:
        lines.append(
            f"  none: no text leaves every delegation better off than 1988 (the best text satisfies "
            f"{100 * nbs_info['best_coverage']:.0f} % of them)"
        )
    else:
        lines += [
            f"  {c:<13} {agenda.label_of(k, v)}" for k, (c, v) in enumerate(zip(agenda.ids, nbs, strict=True))
        ]
    lines += [
        "  " + gt.EXPLANATIONS["nash"],
        "",
        "Compromise point against the chair's text (modal over the replications):",
    ]
    lines += [
        f"  {c:<13} compromise {x:.2f} → {agenda.label_of(k, float(agenda.snap(np.array([x]))[0]) if agenda.k == 1 else float(agenda.snap(compromise)[k]))}; chair: {agenda.label_of(k, t)}"
        for k, (c, x, t) in enumerate(zip(agenda.ids, compromise, chair, strict=True))
    ]
    lines += ["  " + gt.EXPLANATIONS["compromise"], "",
              f"Acceptable sets (texts at least {100 * args.share:.0f} % of a camp prefers to 1988, of {len(texts)}):"]  # fmt: skip
    lines += [f"  {name:<12} {size}" for name, size in sets["sizes"].items()]
    lines.append(
        f"  both camps: {sets['intersection']}"
        + ("  → binary: no text both camps accept" if sets["binary"] else "")
    )
    lines.append("  " + gt.EXPLANATIONS["acceptable_sets"])
    print("\n".join(lines))
    return 0


def _cmd_debrief(args: argparse.Namespace) -> int:
    """`wcitsim debrief FOLDER...`: the debriefs of finished classes, one line each, and one table of them all."""
    import pandas as pd

    from wcitsim.teach.classroom.room import load_class

    rows, lines = [], []
    for folder in args.folders:
        room = load_class(folder)
        if room.phase != "done":
            raise UsageError(
                f"{folder}: the class is in the {room.phase}; expected a finished class (resume it to finish)"
            )
        d, s = room.debrief(), room.settings
        m = d["model_range"]
        differs = [
            c for c, a, b in zip(d["clauses"], d["class"]["text"], d["model"]["text"], strict=True) if a != b
        ]
        lines.append(
            f"{s.code} {Path(s.scenario).stem} (seed {s.seed}, {s.sessions} sessions, {len(d['students'])} student "
            f"delegations): {d['class']['signed']} signatories (model alone {d['model']['signed']}; "
            f"{m['runs']} model runs {m['signed_mean']}, 90% {m['signed_interval'][0]:g}–{m['signed_interval'][1]:g}); "
            f"of the 144: {d['class']['eligible_signed']:g} (89); text unlike the model alone: {', '.join(differs) or 'none'}; "
            f"decisions changed: {', '.join(d['changed_decisions']) or 'none'}"
        )
        rows.append(
            pd.DataFrame(d["delegations"]).assign(
                **{"class": s.code, "scenario": Path(s.scenario).stem, "seed": s.seed}
            )
        )
    print("\n".join(lines))
    if args.out:
        table = pd.concat(rows, ignore_index=True)
        table = table[
            [
                "class",
                "scenario",
                "seed",
                *[c for c in table.columns if c not in ("class", "scenario", "seed")],
            ]
        ]
        _writable(args.out.parent, "--out")
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        table.to_csv(tmp, index=False)
        tmp.replace(args.out)
        print(f"wcitsim debrief: {len(table)} rows ({len(rows)} classes × delegations) in {args.out}")
    return 0


def _cmd_handout(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach.handout import write_handout

    data = load_dataset(args.data_dir)
    result = run_scenario(load_scenario(args.scenario), args.reps, args.seed, data=data)
    others = [run_scenario(load_scenario(c), args.reps, args.seed, data=data) for c in args.counterfactual]
    written = write_handout(result, others, args.out)
    print("wcitsim handout: " + ", ".join(f"{kind} {path}" for kind, path in written.items()))
    return 0


def _cmd_teach(args: argparse.Namespace) -> int:
    import importlib.util
    import os
    import subprocess

    if args.class_:
        return _serve_class(args)
    if args.resume or args.sessions or args.time_limit is not None or args.seed is not None or args.data_dir:
        raise UsageError(
            "--resume, --sessions, --time-limit, --seed and --data-dir belong to a class session; add --class"
        )
    if importlib.util.find_spec("solara") is None:
        raise UsageError("the teaching page needs Solara: pip install 'wcitsim[teach]'")
    if args.scenario is not None:
        from wcitsim.io.scenario import load_scenario

        load_scenario(args.scenario)  # a wrong scenario stops here, with one line
    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "WCITSIM_TEACH_SCENARIO": str(scenario_path(args.scenario).resolve()) if args.scenario else "",
    }
    if not args.scenario:
        env.pop("WCITSIM_TEACH_SCENARIO")
    args.host = args.host or "127.0.0.1"
    command = [sys.executable, "-m", "solara", "run", "wcitsim.teach.page", "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]  # fmt: skip
    print(f"wcitsim teach: the page is at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    return subprocess.call(command, env=env)


def _writable(folder: Path, option: str = "--folder") -> None:
    """Refuse, in one line, a folder that cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".wcitsim-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise UsageError(
            f"--folder {folder}: cannot write there ({err.strerror}); expected a writable folder"
        ) from None


def _lan_address() -> str:
    """This machine's address on the local network (no packet is sent: a UDP connect only picks a route)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _serve_class(args: argparse.Namespace) -> int:
    """`wcitsim teach --class`: start or resume a class session and serve it until Ctrl-C."""
    import importlib.util
    import os
    import signal
    import socket
    import webbrowser

    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("starlette") is None:
        raise UsageError("the class role play needs uvicorn and starlette: pip install 'wcitsim[teach]'")
    import uvicorn

    from wcitsim.teach.classroom.room import load_class, new_class
    from wcitsim.teach.classroom.server import create_app

    host = args.host or "0.0.0.0"
    with socket.socket() as probe:
        try:
            probe.bind((host, args.port))
        except OSError as err:
            raise UsageError(
                f"--port {args.port}: cannot listen on {host}:{args.port} ({err.strerror}); expected a free port"
            ) from None
    if args.resume:
        folder = Path(args.resume) if Path(args.resume).is_dir() else args.folder / args.resume.upper()
        if args.scenario or args.sessions or args.time_limit is not None or args.seed is not None:
            raise UsageError(
                "--resume: a resumed class keeps its scenario, seed, sessions and time limit; give none of them"
            )
        room = load_class(folder)
        verb = "resumed"
    else:
        scenario = args.scenario or "wcit2012"
        _writable(args.folder)
        room = new_class(
            scenario, args.folder, seed=2012 if args.seed is None else args.seed, sessions=args.sessions,
            time_limit=180.0 if args.time_limit is None else args.time_limit, data_dir=args.data_dir,
        )  # fmt: skip
        verb = "started"
    shown = _lan_address() if host == "0.0.0.0" else host
    room.address = f"http://{shown}:{args.port}/"
    teacher = f"http://127.0.0.1:{args.port}/teacher?key={room.settings.teacher_key}"
    s = room.settings
    print(
        f"wcitsim class {s.code} {verb}: {Path(s.scenario).stem}, {s.sessions} sessions, {s.time_limit:g} s per turn, "
        f"now in the {room.phase}\n"
        f"  students: open {room.address} and enter the join code {s.code}\n"
        f"  teacher:  {teacher}\n"
        f"  saved after every change in {room.folder}; if the server stops: wcitsim teach --class --resume {s.code}"
        + (f" --folder {args.folder}" if str(args.folder) != "results/class" else "")
        + "\n  Ctrl-C stops the server",
        flush=True,
    )
    graphical = sys.platform != "linux" or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if graphical and not args.no_open:  # on a text console it would start a text-mode browser
        webbrowser.open(teacher)
    # uvicorn re-raises SIGINT/SIGTERM after shutting down; with a handler that exits, the line below is printed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        uvicorn.run(create_app(room), host=host, port=args.port, log_level="warning")
    finally:
        print(
            f"wcitsim class {s.code} stopped in the {room.phase}; saved in {room.folder}"
            + ("" if room.phase == "done" else f"; resume with: wcitsim teach --class --resume {s.code}"),
            flush=True,
        )
    return 0


def _bounded(convert, what: str, within, expected: str):
    """An argparse type: ``convert`` the text (else "is not ``what``"), then require ``within(value)``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not within(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected {expected}")
        return value

    return parse


_positive_int = _bounded(int, "an integer", lambda v: v >= 1, "an integer ≥ 1")
_seed = _bounded(int, "an integer", lambda v: 0 <= v < 2**63, "0 ≤ seed < 2**63")
_time_limit = _bounded(float, "a number of seconds", lambda v: 10 <= v <= 3600, "seconds from 10 to 3600")


def _folds(text: str) -> int | str:
    if text == "loo":
        return "loo"
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} folds; expected at least 2, or 'loo'")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``wcitsim`` command."""
    parser = _Parser(prog="wcitsim", description="An agent-based model of WCIT-12 (Dubai, 2012).")
    parser.add_argument("--version", action="version", version=f"wcitsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = commands.add_parser("data", help="report what the data cover")
    data.add_argument("--json", action="store_true", help="print one JSON object")
    data.add_argument(
        "--data-dir", type=Path, help="a folder with states.csv, wcit2012_record.csv, facts.toml"
    )
    data.set_defaults(func=_cmd_data)

    run = commands.add_parser("run", help="run a scenario and compare it with the record")
    run.add_argument("scenario", type=Path, help="a scenario TOML file, e.g. scenarios/wcit2012.toml")
    run.add_argument("--reps", type=_positive_int, help="replications (default: the scenario's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's)")
    run.add_argument("--engine", choices=("vectorized", "reference"), help="default: the scenario's")
    run.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: results/)")
    run.add_argument("--json", action="store_true", help="print one JSON object (keys in docs/cli.md)")
    run.add_argument("--no-write", action="store_true", help="print only; write nothing")
    run.add_argument("--no-figures", action="store_true", help="write tables but no figures")
    run.add_argument("--data-dir", type=Path, help="use another data folder")
    run.set_defaults(func=_cmd_run)

    validate = commands.add_parser(
        "validate", help="cross-validate the model and the baselines on the known states"
    )
    validate.add_argument("scenario", type=Path)
    validate.add_argument("--folds", type=_folds, default=10, help="number of folds, or 'loo' (default 10)")
    validate.add_argument("--reps", type=_positive_int, default=50, help="replications per fold (default 50)")
    validate.add_argument("--seed", type=_seed, default=0, help="seed of the folds and the runs (default 0)")
    validate.add_argument(
        "--budget", type=_positive_int, default=150, help="calibration evaluations per fold"
    )
    validate.add_argument(
        "--protocol-reps",
        type=_positive_int,
        default=8,
        help="replications per fold of the slower protocols (default 8)",
    )
    validate.add_argument(
        "--no-calibrate", action="store_true", help="use the scenario's coefficients as given"
    )
    validate.add_argument(
        "--out", type=Path, default=Path("results"), help="results folder (default: results/)"
    )
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.add_argument("--data-dir", type=Path, help="use another data folder")
    validate.set_defaults(func=_cmd_validate)

    cal = commands.add_parser("calibrate", help="fit the global coefficients on the known states")
    cal.add_argument("scenario", type=Path)
    cal.add_argument(
        "--budget", type=_positive_int, default=300, help="evaluations of the loss (default 300)"
    )
    cal.add_argument("--folds", type=_folds, default=10, help="folds suggested for validating the result")
    cal.add_argument(
        "--reps", type=_positive_int, default=16, help="replications per evaluation (default 16)"
    )
    cal.add_argument("--seed", type=_seed, default=0)
    cal.add_argument(
        "--start", choices=("midpoint", "scenario"), default="midpoint", help="where CMA-ES starts"
    )
    cal.add_argument(
        "--out", type=Path, help="the calibrated scenario to write (default results/calibration/NAME.toml)"
    )
    cal.add_argument("--data-dir", type=Path, help="use another data folder")
    cal.set_defaults(func=_cmd_calibrate)

    explain = commands.add_parser("explain", help="why a state signs or not in the model")
    explain.add_argument("scenario", type=Path)
    explain.add_argument("iso3", help="ISO3 code, e.g. KEN")
    explain.add_argument("--reps", type=_positive_int, default=100)
    explain.add_argument("--seed", type=_seed)
    explain.add_argument("--json", action="store_true")
    explain.add_argument("--data-dir", type=Path, help="use another data folder")
    explain.set_defaults(func=_cmd_explain)

    sweep = commands.add_parser("sweep", help="run a parameter sweep (grid, LHS, Sobol, Morris)")
    sweep.add_argument("spec", type=Path, help="a sweep spec (TOML)")
    sweep.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    sweep.add_argument(
        "--scheduler", help="a Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster"
    )
    sweep.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: results/)")
    sweep.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
    sweep.add_argument("--quiet", action="store_true", help="no progress output")
    sweep.add_argument("--data-dir", type=Path, help="use another data folder")
    sweep.set_defaults(func=_cmd_sweep)

    game = commands.add_parser(
        "game", help="voting power, Nash bargaining, acceptable sets: the game-theory panel"
    )
    game.add_argument("scenario", type=Path)
    game.add_argument(
        "--reps", type=_positive_int, default=50, help="replications for the chair's text (default 50)"
    )
    game.add_argument(
        "--share", type=float, default=0.9, help="share of a camp that must prefer a text (default 0.9)"
    )
    game.add_argument("--json", action="store_true")
    game.add_argument("--data-dir", type=Path, help="use another data folder")
    game.set_defaults(func=_cmd_game)

    handout = commands.add_parser(
        "handout", help="the debrief handout (HTML, and PDF where a converter exists)"
    )
    handout.add_argument("scenario", type=Path)
    handout.add_argument(
        "--counterfactual", type=Path, action="append", default=[], help="a scenario to compare (twice)"
    )
    handout.add_argument("--reps", type=_positive_int, default=50)
    handout.add_argument("--seed", type=_seed)
    handout.add_argument("--out", type=Path, default=Path("results/handout/handout.html"))
    handout.add_argument("--data-dir", type=Path, help="use another data folder")
    handout.set_defaults(func=_cmd_handout)

    teach = commands.add_parser("teach", help="serve the teaching page on this machine")
    teach.add_argument(
        "scenario", type=Path, nargs="?", help="the scenario to open with (default: the baseline)"
    )
    teach.add_argument("--port", type=_positive_int, default=8765)
    teach.add_argument(
        "--host",
        help="where to listen: 127.0.0.1 for the page (default), 0.0.0.0 for a class (the default with --class)",
    )
    teach.add_argument(
        "--class", dest="class_", action="store_true", help="a class role play: students play delegations"
    )
    teach.add_argument(
        "--sessions", type=_positive_int, help="with --class: negotiating sessions (default: the scenario's)"
    )
    teach.add_argument(
        "--time-limit", type=_time_limit, help="with --class: seconds per turn, 10 to 3600 (default 180)"
    )
    teach.add_argument("--seed", type=_seed, help="with --class: the conference's seed (default 2012)")
    teach.add_argument(
        "--folder", type=Path, default=Path("results/class"), help="with --class: where classes are saved"
    )
    teach.add_argument(
        "--resume",
        metavar="CODE",
        help="with --class: resume the saved class with this join code (or folder)",
    )
    teach.add_argument("--data-dir", type=Path, help="use another data folder")
    teach.add_argument(
        "--no-open", action="store_true", help="with --class: do not open the teacher's page in a browser"
    )
    teach.set_defaults(func=_cmd_teach)

    debrief = commands.add_parser("debrief", help="the debriefs of finished classes (wcitsim teach --class)")
    debrief.add_argument("folders", type=Path, nargs="+", help="class folders (results/class/CODE)")
    debrief.add_argument("--out", type=Path, help="one CSV of every class's delegations")
    debrief.set_defaults(func=_cmd_debrief)

    check = commands.add_parser("check", help="validate a scenario or sweep spec without running it")
    check.add_argument("file", type=Path, help="a scenario or sweep spec (TOML)")
    check.add_argument("--data-dir", type=Path, help="use another data folder")
    check.set_defaults(func=_cmd_check)

    analyze = commands.add_parser("analyze", help="tables and figures from a sweep's results")
    analyze.add_argument("results", type=Path, help="the folder wcitsim sweep wrote")
    analyze.set_defaults(func=_cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WcitsimError as err:
        print(f"wcitsim: error: {one_line(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("wcitsim: interrupted", file=sys.stderr)
        return 130


def main_entry() -> None:
    """Entry point of the ``wcitsim`` script."""
    sys.exit(main())
