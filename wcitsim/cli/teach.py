"""The teaching commands: ``teach`` (the page, or with ``--class`` the role play) and ``handout``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wcitsim.cli import options
from wcitsim.errors import UsageError

__all__ = ["add_handout", "add_teach", "page_command"]


def page_command(host: str, port: int) -> list[str]:
    """The command line of the Solara server of the teaching page."""
    return [sys.executable, "-m", "solara", "run", "wcitsim.teach.page", "--host", host,
            "--port", str(port), "--production", "--no-open"]  # fmt: skip


#: Solara warns on every page load over plain http to 127.0.0.1 that its cookie falls back to
#: samesite=lax; that is right for a page on the teacher's own machine, and the warning alarms for nothing.
QUIET_COOKIE = "ignore:Cookies with samesite=none require https:UserWarning"


def _page_environment(scenario: Path | None) -> dict[str, str]:
    """The Solara child's environment: no telemetry, no cookie warning, and the scenario to open with, if any."""
    import os

    from wcitsim.io.scenario import scenario_path

    warnings = ",".join(filter(None, (os.environ.get("PYTHONWARNINGS"), QUIET_COOKIE)))
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false", "PYTHONWARNINGS": warnings}
    if scenario:
        env["WCITSIM_TEACH_SCENARIO"] = str(scenario_path(scenario).resolve())
    else:
        env.pop("WCITSIM_TEACH_SCENARIO", None)
    return env


def _serve_page(args: argparse.Namespace) -> int:
    """`wcitsim teach`: serve the teaching page from a Solara child until it stops or this process is stopped."""
    import importlib.util

    from wcitsim.cli.child import run_child

    if args.resume or args.sessions or args.time_limit is not None or args.seed is not None or args.data_dir:
        raise UsageError(
            "--resume, --sessions, --time-limit, --seed and --data-dir belong to a class session; add --class"
        )
    if importlib.util.find_spec("solara") is None:
        raise UsageError("the teaching page needs Solara: pip install 'wcitsim[teach]'")
    if args.scenario is not None:
        from wcitsim.io.scenario import load_scenario

        load_scenario(args.scenario)  # a wrong scenario stops here, with one line
    env = _page_environment(args.scenario)
    host = args.host or "127.0.0.1"
    print(f"wcitsim teach: the page is at http://{host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    return run_child(page_command(host, args.port), env)


def _cmd_teach(args: argparse.Namespace) -> int:
    if args.class_:
        from wcitsim.cli.classroom import serve_class

        return serve_class(args)
    return _serve_page(args)


def _cmd_handout(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach.handout import write_handout

    options.writable_file(args.out, "--out")
    data = load_dataset(args.data_dir)
    scenarios = [load_scenario(path) for path in (args.scenario, *args.counterfactual)]
    for scenario in scenarios:
        options.fit_in_memory(args.reps, scenario, data)
    result, *others = [run_scenario(scenario, args.reps, args.seed, data=data) for scenario in scenarios]
    written = write_handout(result, others, args.out)
    print("wcitsim handout: " + ", ".join(f"{kind} {path}" for kind, path in written.items()))
    return 0


def add_handout(commands: options.Commands) -> None:
    """``wcitsim handout``."""
    handout = commands.add_parser(
        "handout", help="the debrief handout (HTML, and PDF where a converter exists)"
    )
    options.add_scenario(handout)
    handout.add_argument(
        "--counterfactual",
        type=Path,
        action="append",
        default=[],
        help="a counterfactual scenario to compare (repeat the option for more than one)",
    )
    options.add_reps(handout, default=50)
    options.add_seed(handout)
    options.add_out(handout, default=Path("results/handout/handout.html"), help=None)
    options.add_data_dir(handout)
    handout.set_defaults(func=_cmd_handout)


def add_teach(commands: options.Commands) -> None:
    """``wcitsim teach`` and its ``--class`` options."""
    teach = commands.add_parser("teach", help="serve the teaching page on this machine")
    options.add_scenario(teach, help="the scenario to open with (default: the baseline)", nargs="?")
    teach.add_argument("--port", type=options.port, default=8765, help="the TCP port (default 8765)")
    teach.add_argument(
        "--host",
        help="where to listen: 127.0.0.1 for the page (default), 0.0.0.0 for a class (the default with --class)",
    )
    teach.add_argument(
        "--class", dest="class_", action="store_true", help="a class role play: students play delegations"
    )
    teach.add_argument(
        "--sessions",
        type=options.sessions,
        help="with --class: negotiating sessions (default: the scenario's)",
    )
    teach.add_argument(
        "--time-limit",
        type=options.time_limit,
        help="with --class: seconds per turn, 10 to 3600 (default 180)",
    )
    options.add_seed(teach, help="with --class: the conference's seed (default 2012)")
    teach.add_argument(
        "--folder", type=Path, default=Path("results/class"), help="with --class: where classes are saved"
    )
    teach.add_argument(
        "--resume",
        metavar="CODE",
        help="with --class: resume the saved class with this join code (or folder)",
    )
    options.add_data_dir(teach)
    teach.add_argument(
        "--no-open", action="store_true", help="with --class: do not open the teacher's page in a browser"
    )
    teach.set_defaults(func=_cmd_teach)
