"""`wcitsim teach --class` over HTTP: the command's errors, refused requests, 30 students, a restart.

Traffic goes only to 127.0.0.1. The 30-student class is the acceptance's load test;
its speed is measured by `make bench` (benchmarks/class_bench.py), not asserted here.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from conftest import free_port

pytest.importorskip("uvicorn")

from wcitsim.teach.classroom.drill import ClassServer, drill


def call(address: str, path: str, body=None, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        address.rstrip("/") + path, data=data, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wcitsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wcitsim", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["teach", "--sessions", "3"], "add --class"),
        (["teach", "--resume", "ABCD"], "add --class"),
        (["teach", "--class", "--time-limit", "5"], "expected seconds from 10 to 3600"),
        (["teach", "--class", "--sessions", "0"], "expected an integer ≥ 1"),
        (["teach", "--class", "nosuch.toml", "--no-open"], "nosuch.toml"),
    ],
)
def test_the_class_command_refuses_bad_arguments_in_one_line(args, needle, tmp_path):
    result = wcitsim(*args, "--folder", str(tmp_path), "--port", str(free_port()))
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # argparse adds its usage line


def test_resuming_a_class_that_does_not_exist_or_a_busy_port_is_refused(tmp_path):
    result = wcitsim(
        "teach",
        "--class",
        "--resume",
        "NOPE",
        "--folder",
        str(tmp_path),
        "--port",
        str(free_port()),
        "--no-open",
    )
    assert result.returncode == 2 and "no saved class here" in result.stderr, result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = wcitsim(
            "teach",
            "--class",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--folder",
            str(tmp_path),
            "--no-open",
        )
    assert result.returncode == 2 and "expected a free port" in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())  # nothing started, nothing written


@pytest.fixture
def server(tmp_path):
    srv = ClassServer(tmp_path, "--sessions", "6", "--time-limit", "600", "--seed", "7")
    yield srv
    srv.stop()


def test_thirty_students_play_a_six_session_conference(server):
    report = drill(server.address, server.code, server.key, students=30, seed=3, poll=0.2)
    assert report["phase"] == "done"
    assert report["server_errors"] == []
    assert len(report["seats"]) == 30
    history = json.loads((server.folder / server.code / "class.json").read_text())["history"]
    steps = [r["step"] for r in history]
    assert steps[:6] == ["session"] * 6 and steps[-1] == "sign"
    actable = [
        r for r in history if r["step"] != "vote" or r["votes"]
    ]  # a vote with nothing contested is skipped
    for record in actable:
        assert len(record.get("moves", record.get("votes", record.get("signatures")))) == 30, record["step"]
    assert all(s["steps_acted"] == len(actable) for s in report["seats"]), report["seats"]
    _, debrief = call(server.address, f"/api/debrief?key={server.key}")
    signed = {row["iso3"]: row["class_signed"] for row in debrief["students"]}
    assert signed == report["decided"]  # every student's own decision stands
    assert len(report["server_step_seconds"]) == len(actable) + 1  # and the opening


def test_malformed_and_forged_requests_get_a_message_never_a_server_error(server):
    rng = random.Random(20121214)
    _, seat = call(server.address, "/api/claim", {"code": server.code, "iso3": "USA"})
    paths = ["/api/claim", "/api/seat", "/api/move", "/api/vote", "/api/sign", "/api/teacher/advance",
             "/api/teacher/pause", "/api/teacher/options", "/api/teacher/release"]  # fmt: skip
    values = [None, True, 0, -1, 3, 1.5, "", "USA", "CHN", "x" * 500, [], {}, {"internet": 9}, {"nosuch": 0},
              {"internet": "yes"}, seat["seat"], seat["seat"].lower(), server.code, "\u0085\n"]  # fmt: skip
    keys = [
        "code",
        "iso3",
        "seat",
        "positions",
        "votes",
        "sign",
        "key",
        "paused",
        "time_limit",
        "projected",
        "debrief",
    ]
    statuses = []
    for i in range(600):
        path = rng.choice(paths)
        if i % 7 == 0:
            raw = rng.choice(
                [b"{", b"\xff\xfe", b"[]", b"null", b'"text"', b"1e999", b"{" * 5000, b"x" * 70_000]
            )
            status, answer = call(server.address, path, raw=raw)
        else:
            body = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, 5))}
            status, answer = call(server.address, path, body)
        statuses.append(status)
        assert status < 500, (path, answer)
        if status >= 400:
            assert answer["error"] and "\n" not in answer["error"]
    for path in ["/api/state?seat=NOPE", "/api/state", "/api/delegations?code=zz", "/api/teacher?key=",
                 "/api/debrief?seat=" + seat["seat"], "/api/debrief.svg", "/static/../../etc/passwd", "/static/x.js"]:  # fmt: skip
        status, answer = call(server.address, path)
        assert 400 <= status < 500 and answer["error"], (path, status)
    assert {400, 403, 409} <= set(statuses)
    status, view = call(server.address, f"/api/state?seat={seat['seat']}")
    assert status == 200 and view["iso3"] == "USA"  # still serving, the seat intact


def test_a_restarted_server_resumes_the_class(tmp_path):
    srv = ClassServer(tmp_path, "--sessions", "3", "--time-limit", "600")
    _, seat = call(srv.address, "/api/claim", {"code": srv.code, "iso3": "KEN"})
    call(srv.address, "/api/teacher/advance", {"key": srv.key})
    call(srv.address, "/api/move", {"seat": seat["seat"], "iso3": "KEN", "positions": {"internet": 2}})
    call(srv.address, "/api/teacher/advance", {"key": srv.key})
    call(srv.address, "/api/move", {"seat": seat["seat"], "iso3": "KEN", "positions": {"internet": 1}})
    _, before = call(srv.address, f"/api/state?seat={seat['seat']}")
    srv.stop()
    assert any(f"resume with: wcitsim teach --class --resume {srv.code}" in line for line in srv.output)
    again = ClassServer(tmp_path, "--resume", srv.code)
    try:
        assert "resumed" in again.banner and again.key == srv.key and again.code == srv.code
        _, after = call(again.address, f"/api/state?seat={seat['seat']}")
        assert after["session"] == 2 and after["iso3"] == "KEN"
        assert after["submitted"] == {"internet": 1}  # the open session's submission survived
        assert after["clauses"] == before["clauses"]
    finally:
        again.stop()
