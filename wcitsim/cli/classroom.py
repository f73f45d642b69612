"""The class role play: ``wcitsim teach --class`` serves a class, ``wcitsim debrief`` sums finished ones up."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wcitsim.cli import options
from wcitsim.errors import UsageError

__all__ = ["add_debrief", "serve_class"]


def _lan_address() -> str:
    """This machine's address on the local network (no packet is sent: a UDP connect only picks a route)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _names(host: str, shown: str) -> list[str]:
    """The host names a request may address this server by: loopback, the address students are given, the
    machine's name (no name is looked up: a classroom may have no name server)."""
    import socket

    names = {"localhost", "127.0.0.1", "[::1]", shown}
    if host in ("0.0.0.0", "::"):
        hostname = socket.gethostname()
        names |= {hostname, f"{hostname}.local"}
    else:
        names.add(f"[{host}]" if ":" in host else host)
    return sorted(name.lower() for name in names if name)


def _listen(host: str, port: int):
    """The server's listening socket on ``host:port`` (SO_REUSEADDR: a killed class resumes on its port at once)."""
    from wcitsim.teach.classroom.server import listening_socket

    try:
        return listening_socket(host, port)
    except OSError as err:
        raise UsageError(
            f"--port {port}: cannot listen on {host}:{port} ({err.strerror}); expected a free port"
        ) from None


def _resume_hint(args: argparse.Namespace, room) -> str:
    """The command that resumes ``room`` from any folder, on the same address (students' pages reconnect)."""
    where = [f"--folder {Path(room.folder).resolve().parent}"]
    if args.port != 8765:
        where.append(f"--port {args.port}")
    if args.host:
        where.append(f"--host {args.host}")
    return f"wcitsim teach --class --resume {room.settings.code} " + " ".join(where)


def _open_room(args: argparse.Namespace):
    """The class to serve, resumed or new, and the verb that says which."""
    from wcitsim.teach.classroom.room import load_class, new_class

    if args.resume:
        folder = Path(args.resume) if Path(args.resume).is_dir() else args.folder / args.resume.upper()
        if args.scenario or args.sessions or args.time_limit is not None or args.seed is not None:
            raise UsageError(
                "--resume: a resumed class keeps its scenario, seed, sessions and time limit; give none of them"
            )
        return load_class(folder), "resumed"
    options.writable(args.folder)
    room = new_class(
        args.scenario or "wcit2012", args.folder, seed=2012 if args.seed is None else args.seed,
        sessions=args.sessions, time_limit=180.0 if args.time_limit is None else args.time_limit,
        data_dir=args.data_dir,
    )  # fmt: skip
    return room, "started"


def serve_class(args: argparse.Namespace) -> int:
    """`wcitsim teach --class`: start or resume a class session and serve it until Ctrl-C."""
    import importlib.metadata
    import importlib.util
    import os
    import signal
    import webbrowser

    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("starlette") is None:
        raise UsageError("the class role play needs uvicorn and starlette: pip install 'wcitsim[teach]'")
    starlette = importlib.metadata.version("starlette")
    if tuple(int(part) for part in starlette.split(".")[:2] if part.isdigit()) < (1, 6):
        raise UsageError(
            f"starlette {starlette}: the class role play needs starlette 1.6 or later (it limits request bodies "
            "as they stream in): pip install 'wcitsim[teach]'"
        )
    from wcitsim.teach.classroom.server import serve
    from wcitsim.teach.classroom.views import where

    host = args.host or "0.0.0.0"
    if args.resume:  # a saved class is checked first: reading it changes nothing
        room, verb = _open_room(args)
        sock = _listen(host, args.port)
    else:  # a new class is written only once the port is ours
        sock = _listen(host, args.port)
        room, verb = _open_room(args)
    shown = _lan_address() if host == "0.0.0.0" else host
    room.address = f"http://{shown}:{args.port}/"
    s = room.settings
    teacher = f"http://127.0.0.1:{args.port}/teacher?key={s.teacher_key}"
    resume = _resume_hint(args, room)
    print(
        f"wcitsim class {s.code} {verb}: {Path(s.scenario).stem}, {s.sessions} sessions, {s.time_limit:g} s per turn, "
        f"now {where(room)}\n"
        f"  students: open {room.address} and enter the join code {s.code}\n"
        f"  teacher:  {teacher}\n"
        f"  saved after every change in {room.folder}; if the server stops: {resume}\n"
        "  Ctrl-C stops the server",
        flush=True,
    )
    graphical = sys.platform != "linux" or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if graphical and not args.no_open:  # on a text console it would start a text-mode browser
        webbrowser.open(teacher)
    # uvicorn re-raises SIGINT/SIGTERM after shutting down; with a handler that exits, the line below is printed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        serve(room, sock, _names(host, shown))
    finally:
        print(
            f"wcitsim class {s.code} stopped {where(room)}; saved in {room.folder}"
            + ("" if room.phase == "done" else f"; resume with: {resume}"),
            flush=True,
        )
    return 0


def _debrief_line(room, d: dict) -> str:
    """One finished class in one line (``d``: its debrief): its signatories and text against the model alone."""
    s, facts, m = room.settings, room.data.facts, d["model_range"]
    differs = [
        c for c, a, b in zip(d["clauses"], d["class"]["text"], d["model"]["text"], strict=True) if a != b
    ]
    return (
        f"{s.code} {Path(s.scenario).stem} (seed {s.seed}, {s.sessions} sessions, {len(d['students'])} student "
        f"delegations): {d['class']['signed']} signatories (model alone {d['model']['signed']}; "
        f"{m['runs']} model runs {m['signed_mean']}, 90% {m['signed_interval'][0]:g}–{m['signed_interval'][1]:g}); "
        f"of the {facts.eligible} with signing rights (estimated from the known decisions, the others signing as "
        f"often as the undocumented states): {d['class']['eligible_signed']:g} (history {facts.signed}); "
        f"text unlike the model alone: {', '.join(differs) or 'none'}; "
        f"decisions changed: {', '.join(d['changed_decisions']) or 'none'}"
    )


def _write_table(rows: list, out: Path) -> int:
    """Write every class's delegations as one CSV (atomically); return its number of rows."""
    import pandas as pd

    table = pd.concat(rows, ignore_index=True)
    first = ["class", "scenario", "seed"]
    table = table[[*first, *[c for c in table.columns if c not in first]]]
    from wcitsim.io.files import write_text_atomic

    options.writable_file(out, "--out")
    write_text_atomic(out, table.to_csv(index=False))
    return len(table)


def _cmd_debrief(args: argparse.Namespace) -> int:
    """`wcitsim debrief FOLDER...`: the debriefs of finished classes, one line each, and one table of them all."""
    import pandas as pd

    from wcitsim.teach.classroom.room import load_class
    from wcitsim.teach.classroom.views import where

    if args.out:
        options.writable_file(args.out, "--out")  # before any work: refused in one line, nothing created
    rows, lines = [], []
    for folder in args.folders:
        room = load_class(folder)
        if room.phase != "done":
            raise UsageError(
                f"{folder}: the class is {where(room)}; expected a finished class (resume it to finish)"
            )
        d, s = room.debrief(), room.settings
        lines.append(_debrief_line(room, d))
        rows.append(
            pd.DataFrame(d["delegations"]).assign(
                **{"class": s.code, "scenario": Path(s.scenario).stem, "seed": s.seed}
            )
        )
    print("\n".join(lines))
    if args.out:
        n = _write_table(rows, args.out)
        print(f"wcitsim debrief: {n} rows ({len(rows)} classes × delegations) in {args.out}")
    return 0


def add_debrief(commands: options.Commands) -> None:
    """``wcitsim debrief``."""
    debrief = commands.add_parser("debrief", help="the debriefs of finished classes (wcitsim teach --class)")
    debrief.add_argument("folders", type=Path, nargs="+", help="class folders (results/class/CODE)")
    options.add_out(debrief, default=None, help="one CSV of every class's delegations")
    debrief.set_defaults(func=_cmd_debrief)
