"""`wcitsim teach --class` over HTTP: the command's errors, refused requests, 30 students, a restart.

Traffic goes only to 127.0.0.1. The 30-student class is the acceptance's load test;
its speed is measured by `make bench` (benchmarks/class_bench.py), not asserted here.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest
from conftest import free_port
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("uvicorn")

from wcitsim.teach.classroom.drill import ClassServer, drill
from wcitsim.teach.classroom.guards import ATTEMPTS, MAX_BODY, REFILL_SECONDS, Attempts
from wcitsim.teach.classroom.server import HEARTBEAT_SECONDS, PAGES


def call(
    address: str, path: str, body=None, raw: bytes | None = None, device: str = "127.0.0.1", headers=None
) -> tuple[int, dict]:
    """A request from ``device``: a loopback address, as a device on the classroom's network has its own."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    where = urllib.parse.urlsplit(address)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30, source_address=(device, 0))
    try:
        conn.request("GET" if data is None else "POST", path, data, headers or {})
        response = conn.getresponse()
        text = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(text)
    except ValueError:  # Starlette's own 413 and its Host check's 400 are one line of plain text
        return response.status, {"error": text.decode()}


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
        (["teach", "--class", "--sessions", "0"], "--sessions: 0"),
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
        device = f"127.1.{i // 5}.1"  # five requests a device: under the rate of refused codes and keys
        if i % 7 == 0:
            raw = rng.choice(
                [b"{", b"\xff\xfe", b"[]", b"null", b'"text"', b"1e999", b"{" * 5000, b"x" * 70_000]
            )
            status, answer = call(server.address, path, raw=raw, device=device)
        else:
            body = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, 5))}
            status, answer = call(server.address, path, body, device=device)
        statuses.append(status)
        assert status < 500, (path, answer)
        if status >= 400:
            assert answer["error"] and "\n" not in answer["error"]
    for path in ["/api/state?seat=NOPE", "/api/state", "/api/delegations?code=zz", "/api/teacher?key=",
                 "/api/debrief?seat=" + seat["seat"], "/api/debrief.svg", "/static/../../etc/passwd", "/static/x.js"]:  # fmt: skip
        status, answer = call(server.address, path)
        assert 400 <= status < 500 and answer["error"], (path, status)
    assert {400, 403, 409, 413} <= set(statuses) and 429 not in statuses
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
    resume = f"wcitsim teach --class --resume {srv.code} --folder {tmp_path.resolve()} --port {srv.port} --host 127.0.0.1"
    assert resume in srv.banner  # from any folder, on the same address
    assert any(f"stopped in session 2 of 3; saved in {tmp_path / srv.code}; resume with: {resume}" in line
               for line in srv.output), srv.output  # fmt: skip
    again = ClassServer(tmp_path, "--resume", srv.code)
    try:
        assert "resumed" in again.banner and again.key == srv.key and again.code == srv.code
        _, after = call(again.address, f"/api/state?seat={seat['seat']}")
        assert after["session"] == 2 and after["iso3"] == "KEN"
        assert after["submitted"] == {"internet": 1}  # the open session's submission survived
        assert after["clauses"] == before["clauses"]
    finally:
        again.stop()


def test_a_class_killed_with_sigkill_resumes_on_its_port_at_once_with_its_clock(tmp_path):
    srv = ClassServer(tmp_path, "--sessions", "3", "--time-limit", "600")
    call(srv.address, "/api/teacher/advance", {"key": srv.key})
    held = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)  # a student's open connection
    held.request("GET", "/api/public")
    held.getresponse().read()
    time.sleep(1.5)  # the clock runs, and the heartbeat saves it
    asked = time.monotonic()
    before = call(srv.address, "/api/public")[1]["time_left"]  # to 0.1 s; a heartbeat may save once more
    srv.kill()
    killed = time.monotonic()
    held.close()  # the killed server's side of it lingers in TIME_WAIT
    saved = json.loads((tmp_path / srv.code / "class.json").read_text())["remaining"]
    assert before - (killed - asked) - 0.05 <= saved <= before + HEARTBEAT_SECONDS + 0.2, before  # every beat
    time.sleep(2.0)  # the class stays down long enough that a clock running on would show it
    restarted = time.monotonic()
    again = ClassServer(tmp_path, "--resume", srv.code, port=srv.port)
    try:
        up = time.monotonic() - restarted
        after = call(again.address, "/api/public")[1]
        running = time.monotonic() - restarted  # the resumed clock runs at most this long
        assert up < 5, f"the class took {up:.1f} s to be served again on its port"
        assert "resumed" in again.banner and after["session"] == 1 and not after["paused"]
        # the time saved at the kill, less the time since the resume; a clock that ran on would show 2 s less
        assert saved - running - 0.05 <= after["time_left"] <= saved + 0.05, (saved, after, running)
    finally:
        again.stop()


# --------------------------------------------------------------------------- a hostile classroom network
# (the same faults under load, with the figures: tests/test_class_server_load.py)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    srv = ClassServer(tmp_path_factory.mktemp("guarded"), "--sessions", "3", "--time-limit", "600")
    yield srv
    srv.stop()
    assert not any("Traceback" in line for line in srv.output), "".join(srv.output)[-2000:]


def _get(server: ClassServer, path: str, headers=None) -> http.client.HTTPResponse:
    """A GET whose answer is not followed (a redirect stays a redirect)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_the_teachers_key_is_traded_for_a_cookie_and_leaves_the_address(guarded):
    entry = _get(guarded, f"/teacher?key={guarded.key}")
    assert entry.status == 303 and entry.getheader("Location") == "/teacher"
    assert entry.getheader("Cache-Control") == "no-store"
    cookie = entry.getheader("Set-Cookie")
    name_value, *flags = [part.strip() for part in cookie.split(";")]
    assert name_value == f"wcitsim-teacher-{guarded.code}={guarded.key}"
    assert {"HttpOnly", "SameSite=strict", "Path=/"} <= set(flags)
    with_cookie = {"Cookie": name_value}
    status, view = call(guarded.address, "/api/teacher", headers=with_cookie)
    assert status == 200 and view["code"] == guarded.code
    status, _ = call(guarded.address, "/api/teacher/options", {"per_device": 1}, headers=with_cookie)
    assert status == 200  # the teacher's page acts with the cookie alone
    wrong = _get(guarded, "/teacher?key=not-the-key-at-all")
    assert wrong.status == 303 and wrong.getheader("Set-Cookie") is None
    assert call(guarded.address, "/api/teacher")[0] == 403
    page = _get(guarded, "/teacher")
    assert page.status == 200
    script = (PAGES / "teacher.html").read_text()
    assert "location.search" not in script and "key=" not in script  # the page never puts a key in an address


def test_other_sites_pages_and_foreign_host_names_are_refused(guarded):
    body = {"code": guarded.code, "iso3": "FRA"}
    here = f"http://127.0.0.1:{guarded.port}"
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": f"http://127.0.0.1:{guarded.port + 1}"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):  # fmt: skip
        status, answer = call(guarded.address, "/api/claim", body, device="127.2.0.1", headers=headers)
        assert status == 403 and "another site" in answer["error"], (headers, status)
    for host in (
        "evil.example",
        "attacker.127.0.0.1.nip.io",
    ):  # DNS rebinding: a name that is not this machine
        status, answer = call(guarded.address, "/api/public", headers={"Host": host})
        assert status == 400 and answer["error"] == "Invalid host header"
    assert call(guarded.address, "/api/public", headers={"Host": f"localhost:{guarded.port}"})[0] == 200
    status, _ = call(guarded.address, "/api/claim", body, device="127.2.0.1",
                     headers={"Origin": here, "Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert status == 200  # the server's own page


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"[" * 30_000 + b"]" * 30_000, 400),  # nested 30,000 deep (60 kB, under the size limit)
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, 400),
        (b"[" * 30_000, 400),
        (
            b'{"iso3": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
            400,
        ),  # one the parser takes: too deep for the checks
        (b'{"code": ' + b"7" * 5_000 + b"}", 400),  # a 5,000-digit number
        (b"x" * (MAX_BODY + 1), 413),
    ],
)
def test_a_body_nested_deep_or_with_a_huge_number_gets_a_4xx(guarded, raw, status):
    got, answer = call(guarded.address, "/api/claim", raw=raw, device="127.3.0.1")
    assert got == status and answer["error"] and "\n" not in answer["error"], (got, answer)
    assert call(guarded.address, "/api/public", device="127.3.0.1")[0] == 200


def test_guessing_codes_or_keys_is_held_to_the_rate_per_device(guarded):
    statuses = [
        call(guarded.address, f"/api/delegations?code=GUESS{i}", device="127.4.0.1")[0]
        for i in range(ATTEMPTS)
    ]
    statuses.append(call(guarded.address, "/api/teacher?key=guess", device="127.4.0.1")[0])
    assert statuses == [403] * ATTEMPTS + [429]
    conn = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=30, source_address=("127.4.0.1", 0))
    conn.request("GET", f"/api/delegations?code={guarded.code}")  # the right code, too late
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    assert response.status == 429 and 0 < int(response.getheader("Retry-After")) <= REFILL_SECONDS
    assert "try again in" in answer["error"]
    assert (
        call(guarded.address, f"/api/delegations?code={guarded.code}", device="127.4.0.2")[0] == 200
    )  # another device


def test_one_device_claims_one_delegation_and_counts_once_in_a_team(guarded):
    status, first = call(
        guarded.address, "/api/claim", {"code": guarded.code, "iso3": "IND"}, device="127.5.0.1"
    )
    assert status == 200
    status, answer = call(
        guarded.address, "/api/claim", {"code": guarded.code, "iso3": "PAK"}, device="127.5.0.1"
    )
    assert status == 409 and "already claimed IND" in answer["error"]
    for _ in range(20):  # a replayed join
        assert call(guarded.address, "/api/seat", {"seat": first["seat"]}, device="127.5.0.2")[0] == 200
    assert (
        call(guarded.address, "/api/seat", {"seat": first["seat"]}, device="127.5.0.1")[0] == 200
    )  # the claimant
    assert call(guarded.address, f"/api/state?seat={first['seat']}")[1]["team"] == 2
    call(guarded.address, "/api/seat", {"seat": first["seat"]}, device="127.5.0.3")
    assert call(guarded.address, f"/api/state?seat={first['seat']}")[1]["team"] == 3  # another device
    assert call(guarded.address, "/api/teacher/options", {"key": guarded.key, "per_device": 2})[0] == 200
    assert (
        call(guarded.address, "/api/claim", {"code": guarded.code, "iso3": "PAK"}, device="127.5.0.1")[0]
        == 200
    )
    assert call(guarded.address, "/api/teacher/options", {"key": guarded.key, "per_device": 0})[0] == 400
    call(guarded.address, "/api/teacher/options", {"key": guarded.key, "per_device": 1})
    call(guarded.address, "/api/teacher/release", {"key": guarded.key, "iso3": "IND"})
    call(guarded.address, "/api/teacher/release", {"key": guarded.key, "iso3": "PAK"})
    assert (
        call(guarded.address, "/api/claim", {"code": guarded.code, "iso3": "BGD"}, device="127.5.0.1")[0]
        == 200
    )


def test_a_class_saved_with_an_empty_teachers_key_is_not_served(tmp_path):
    from wcitsim.teach.classroom.room import new_class

    room = new_class("wcit2012", tmp_path, sessions=2)
    path = tmp_path / room.settings.code / "class.json"
    for key in ("", "short", None, "x" * 15 + "!"):
        state = json.loads(path.read_text())
        state["settings"]["teacher_key"] = key
        path.write_text(json.dumps(state))
        result = wcitsim("teach", "--class", "--resume", room.settings.code, "--folder", str(tmp_path),
                         "--port", str(free_port()), "--no-open")  # fmt: skip
        assert result.returncode == 2, result.stdout
        assert "teacher_key" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "started" not in result.stdout


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.floats(0, 3 * REFILL_SECONDS), min_size=1, max_size=60),
    window=st.floats(0, 10 * REFILL_SECONDS),
)
def test_attempts_never_let_more_through_than_the_rate(gaps, window):
    """In any span of ``window`` seconds, at most ``ATTEMPTS + window / REFILL_SECONDS`` refusals are looked at."""
    now = [0.0]
    attempts = Attempts(clock=lambda: now[0])
    looked_at = []
    for gap in gaps:  # a client sends a wrong code after each gap, every one refused
        now[0] += gap
        if not attempts.wait("a"):
            attempts.refused("a")
            looked_at.append(now[0])
    for start in looked_at:
        inside = sum(start <= t <= start + window for t in looked_at)
        assert inside <= ATTEMPTS + window / REFILL_SECONDS + 1e-9
    burst = Attempts(clock=lambda: 0.0)
    for _ in range(ATTEMPTS):
        assert burst.wait("b") == 0
        burst.refused("b")
    assert burst.wait("b") == pytest.approx(REFILL_SECONDS) and burst.wait("c") == 0
