"""A class of simulated students over HTTP: the load test, the benchmark and a rehearsal before a seminar.

Each student is a thread that claims a delegation and then does what a browser
does: polls its screen, submits positions every session, votes, signs. A teacher
thread advances each turn as soon as every student has acted. The requests are
the pages' requests, so the figures are those a class would see.

    python -m wcitsim.teach.classroom.drill http://127.0.0.1:8765/ CODE KEY --students 30

:class:`ClassServer` starts `wcitsim teach --class` on a loopback port for the tests and the benchmark.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

__all__ = ["ClassServer", "drill"]


class _Client:
    def __init__(self, address: str) -> None:
        self.address = address.rstrip("/")
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def call(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.address + path, data=data, method="POST" if body is not None else "GET"
        )
        request.add_header("Content-Type", "application/json")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            status, payload = err.code, json.loads(err.read() or b"{}")
        self.latencies.append(time.perf_counter() - start)
        if status >= 500:
            self.errors.append(f"{path}: {status}")
        return status, payload


def _student(
    client: _Client, code: str, iso3: str, rng: np.random.Generator, stop: threading.Event, poll: float
) -> dict:
    status, answer = client.call("/api/claim", {"code": code, "iso3": iso3})
    if status != 200:
        raise RuntimeError(f"{iso3} could not claim its seat: {answer}")
    seat = answer["seat"]
    done_turns: set[tuple] = set()
    decided = None
    while not stop.is_set():
        status, view = client.call(f"/api/state?seat={seat}")
        turn = (view.get("phase"), view.get("session"))
        if view.get("phase") == "done":
            return {"iso3": iso3, "signed": view["signed"], "decided": decided}
        if turn not in done_turns and view.get("time_left") and not view.get("paused"):
            clauses = view["clauses"]
            if view["phase"] == "negotiate":  # hold the capital's line, or concede to the draft
                positions = {c["id"]: (c["interest"] if rng.random() < 0.6 else c["draft"]) for c in clauses}
                status, _ = client.call("/api/move", {"seat": seat, "iso3": iso3, "positions": positions})
            elif view["phase"] == "vote":
                votes = {
                    c["id"]: str(rng.choice(["yes", "no", "abstain"])) for c in clauses if c.get("contested")
                }
                status, _ = client.call("/api/vote", {"seat": seat, "iso3": iso3, "votes": votes})
            elif view["phase"] == "sign":
                decided = bool(rng.random() < 0.6)
                status, _ = client.call("/api/sign", {"seat": seat, "iso3": iso3, "sign": decided})
            if view["phase"] != "lobby" and status == 200:
                done_turns.add(turn)
        time.sleep(poll)
    return {"iso3": iso3, "signed": None, "decided": decided}


def drill(
    address: str, code: str, key: str, students: int = 30, seed: int = 1, poll: float = 0.25, delegations=None
) -> dict:
    """Play a whole class: ``students`` threads and a teacher; returns the timings and what happened.

    Returns ``advance_seconds`` (each teacher step, as the client waited for it),
    ``server_step_seconds`` (the model's step inside the server), ``debrief_seconds``
    (the first debrief request, which runs the model alone and writes the files), request latencies
    (median, 95th percentile, maximum), the requests made, server errors (5xx), and
    each student's signing decision as submitted (``decided``) and as the server recorded it (``signed``).
    """
    teacher = _Client(address)
    _, public = teacher.call(f"/api/teacher?key={key}")
    if "error" in public:
        raise RuntimeError(public["error"])
    _, listing = teacher.call(f"/api/delegations?code={code}")
    free = [d["iso3"] for d in listing["delegations"] if not d["claimed"]]
    rng = np.random.default_rng(seed)
    chosen = list(delegations) if delegations else [str(x) for x in rng.choice(free, students, replace=False)]
    # the simulated students share this machine's address: let one device claim them all
    teacher.call("/api/teacher/options", {"key": key, "per_device": max(1, len(chosen))})
    clients = [_Client(address) for _ in chosen]
    stop = threading.Event()
    results: list[dict] = []

    def student(client: _Client, iso3: str, i: int) -> None:
        results.append(_student(client, code, iso3, np.random.default_rng([seed, i]), stop, poll))

    threads = [
        threading.Thread(target=student, args=(c, iso, i))
        for i, (c, iso) in enumerate(zip(clients, chosen, strict=True))
    ]
    for t in threads:
        t.start()
    start = time.perf_counter()
    advances = []
    deadline = time.time() + 600
    while time.time() < deadline:
        _, view = teacher.call(f"/api/teacher?key={key}")
        seated = {s["iso3"] for s in view["seats"]}
        acted = {s["iso3"] for s in view["seats"] if s["acted"]}
        ready = (view["phase"] == "lobby" and set(chosen) <= seated) or (
            view["phase"] != "lobby" and set(chosen) <= acted
        )
        if view["phase"] == "done":
            break
        if ready:
            t0 = time.perf_counter()
            teacher.call("/api/teacher/advance", {"key": key})
            advances.append(time.perf_counter() - t0)
        else:
            time.sleep(poll / 2)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    total = time.perf_counter() - start
    _, final = teacher.call(f"/api/teacher?key={key}")
    t0 = time.perf_counter()
    teacher.call(f"/api/debrief?key={key}")  # the first call computes the model-only run and writes the files
    debrief_seconds = time.perf_counter() - t0
    latencies = np.array([x for c in [teacher, *clients] for x in c.latencies])
    return {
        "students": len(chosen),
        "phase": final["phase"],
        "seats": final["seats"],
        "advance_seconds": advances,
        "server_step_seconds": final["step_seconds"],
        "debrief_seconds": debrief_seconds,
        "requests": int(latencies.size),
        "latency_median": float(np.median(latencies)),
        "latency_p95": float(np.percentile(latencies, 95)),
        "latency_max": float(latencies.max()),
        "server_errors": [e for c in [teacher, *clients] for e in c.errors],
        "signed": {r["iso3"]: r["signed"] for r in results},
        "decided": {r["iso3"]: r["decided"] for r in results},
        "seconds": total,
    }


class ClassServer:
    """`wcitsim teach --class` in a subprocess on a free loopback port, saving under ``folder``.

    ``address``, ``code`` and ``key`` come from the banner it prints; ``output`` collects
    what it prints afterwards; ``stop()`` ends it as a teacher's Ctrl-C would (SIGTERM), ``kill()``
    as a crash would (SIGKILL). ``port`` None takes a free one.
    """

    def __init__(self, folder, *args: str, port: int | None = None) -> None:
        self.folder = Path(folder)
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wcitsim", "teach", "--class", "--no-open", "--host", "127.0.0.1",
             "--port", str(self.port), "--folder", str(folder), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.address = f"http://127.0.0.1:{self.port}/"
        self.banner = self._wait()
        self.output: list[str] = []  # what the server prints afterwards, drained so that it never blocks

        def drain() -> None:
            for line in self.proc.stdout:
                self.output.append(line)

        self.drain = threading.Thread(target=drain, daemon=True)
        self.drain.start()
        self.code = self.banner.split("join code ")[1].split()[0]
        self.key = self.banner.split("teacher?key=")[1].split()[0]

    def _wait(self) -> str:
        lines = [self.proc.stdout.readline() for _ in range(5)]
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.address + "api/public", timeout=5).close()
                return "".join(lines)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the class server did not start: " + "".join(lines))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.drain.join(timeout=5)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=20)
        self.drain.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address")
    parser.add_argument("code")
    parser.add_argument("key")
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    report = drill(args.address, args.code, args.key, args.students)
    report.pop("seats")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
