"""The class server under a hostile classroom network, on loopback, bounded in count and time.

One siege (about 16 s): while attackers hold 1,960 half-open and slow connections, stream two
400 MB bodies and a chunked one, guess join codes and replay joins, each from its own loopback
address as a device on the network would, a student and the teacher keep polling from
127.0.0.1. The issue's bounds are asserted as measured: every normal answer within 1 s, the
server's peak RSS under 400 MiB. The figures are printed (``pytest -s``) for the report.
"""

from __future__ import annotations

import http.client
import json
import secrets
import selectors
import socket
import threading
import time
from functools import partial
from pathlib import Path

import psutil
import pytest

pytest.importorskip("uvicorn")

from wcitsim.teach.classroom.drill import ClassServer
from wcitsim.teach.classroom.guards import (
    ATTEMPTS,
    CONNECTIONS_PER_CLIENT,
    MAX_BODY,
    REFILL_SECONDS,
    REQUEST_SECONDS,
)
from wcitsim.teach.classroom.store import ALPHABET

#: The issue's bounds.
ANSWER_SECONDS, RSS_MIB = 1.0, 400
#: How long the siege lasts: every slow connection must have met its deadline by then.
SIEGE_SECONDS = REQUEST_SECONDS + 6


class Device:
    """A client on the classroom network: its own loopback address."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address

    def socket(self) -> socket.socket:
        return socket.create_connection(
            ("127.0.0.1", self.port), timeout=10, source_address=(self.address, 0)
        )

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.address, 0)
        )
        try:
            conn.request(method, path, None if body is None else json.dumps(body), headers or {})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()


def _closed_within(sockets: list[socket.socket], seconds: float) -> list[float | None]:
    """When the server closed each socket (seconds from now), None if it still held it after ``seconds``."""
    start, closed = time.monotonic(), [None] * len(sockets)
    with selectors.DefaultSelector() as watch:
        for i, s in enumerate(sockets):
            s.setblocking(False)
            watch.register(s, selectors.EVENT_READ, i)
        while watch.get_map() and time.monotonic() - start < seconds:
            for key, _ in watch.select(timeout=0.2):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:  # an answer would be data: slow and half-open requests get none
                    closed[key.data] = time.monotonic() - start
                    watch.unregister(key.fileobj)
    for s in sockets:
        s.close()
    return closed


def half_open(device: Device, count: int, report: dict, name: str) -> None:
    """``count`` connections that send nothing."""
    held = []
    for _ in range(count):
        try:
            held.append(device.socket())
        except OSError:
            report.setdefault(f"{name}_refused", 0)
            report[f"{name}_refused"] += 1
    report[name] = _closed_within(held, SIEGE_SECONDS)


def slow(device: Device, count: int, report: dict, name: str, *, body: bool) -> None:
    """``count`` connections sending their request a byte every half second (the headers, or the body)."""
    held = [device.socket() for _ in range(count)]
    head = b"POST /api/move HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    for s in held:
        s.sendall(head + (b"Content-Length: 1000\r\n\r\n{" if body else b""))
    start, closed = time.monotonic(), [None] * count
    while time.monotonic() - start < SIEGE_SECONDS and None in closed:
        for i, s in enumerate(held):
            if closed[i] is None:
                try:
                    s.sendall(b" " if body else b"X")
                except OSError:
                    closed[i] = time.monotonic() - start
        time.sleep(0.5)
    for s in held:
        s.close()
    report[name] = closed


def oversized(device: Device, report: dict, name: str, *, chunked: bool) -> None:
    """A 400 MB body (declared, or chunked without a length) sent as fast as the server takes it."""
    s = device.socket()
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: 400000000"
    s.sendall(b"POST /api/claim HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + b"\r\n\r\n")
    block = b"x" * (1 << 20)
    chunk = b"%x\r\n" % len(block) + block + b"\r\n" if chunked else block
    sent, start = 0, time.monotonic()
    try:
        while sent < 400_000_000 and time.monotonic() - start < SIEGE_SECONDS:
            s.sendall(chunk)
            sent += len(block)
    except OSError:
        pass  # the server closed the connection
    s.settimeout(2)
    try:
        answer = s.recv(200)
    except OSError:
        answer = b""
    s.close()
    report[name] = {"sent": sent, "seconds": time.monotonic() - start, "answer": answer}


def guess(device: Device, tries: int, report: dict) -> None:
    """``tries`` join codes guessed on one keep-alive connection, as fast as the server answers."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", device.port, timeout=10, source_address=(device.address, 0)
    )
    statuses, start = [], time.monotonic()
    for _ in range(tries):
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        conn.request("GET", f"/api/delegations?code={code}")
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()
    report["guesses"] = {"statuses": statuses, "seconds": time.monotonic() - start}


def replay(claimant: Device, teammate: Device, report: dict) -> None:
    """A teammate's join replayed 300 times, and one device claiming 50 delegations."""
    _, claimed = claimant.call("POST", "/api/claim", {"code": report["code"], "iso3": "KEN"})
    joins = [teammate.call("POST", "/api/seat", {"seat": claimed["seat"]})[0] for _ in range(300)]
    grabs = [claimant.call("POST", "/api/claim", {"code": report["code"], "iso3": iso})[0]
             for iso in report["free"][:50]]  # fmt: skip
    report["replay"] = {"seat": claimed["seat"], "joins": joins, "grabs": grabs}


def probe(port: int, seat: str, cookie: str, stop: threading.Event, report: dict) -> None:
    """A student's and the teacher's pages polling, each request on a new connection: (seconds, status)."""
    answers = []
    while not stop.is_set():
        for path, headers in ((f"/api/state?seat={seat}", {}), ("/api/teacher", {"Cookie": cookie})):
            start = time.perf_counter()
            try:
                status = Device(port, "127.0.0.1").call("GET", path, headers=headers)[0]
            except OSError as err:
                status = type(err).__name__
            answers.append((time.perf_counter() - start, status))
        time.sleep(0.1)
    report["probe"] = answers


def memory(pid: int, stop: threading.Event, report: dict) -> None:
    peak = 0
    while not stop.is_set():
        peak = max(peak, psutil.Process(pid).memory_info().rss)
        time.sleep(0.05)
    status = Path(f"/proc/{pid}/status")
    if status.exists():  # the kernel's high-water mark catches a peak between samples
        hwm = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM"))
        peak = max(peak, int(hwm.split()[1]) * 1024)
    report["peak_rss_mib"] = peak / 2**20


@pytest.fixture(scope="module")
def siege(tmp_path_factory):
    server = ClassServer(tmp_path_factory.mktemp("siege"), "--sessions", "3", "--time-limit", "600")
    try:
        you = Device(server.port, "127.0.0.1")
        _, student = you.call("POST", "/api/claim", {"code": server.code, "iso3": "USA"})
        entry = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        entry.request("GET", f"/teacher?key={server.key}")
        cookie = entry.getresponse().getheader("Set-Cookie").split(";")[0]
        entry.close()
        _, listing = you.call("GET", f"/api/delegations?code={server.code}")
        free = [d["iso3"] for d in listing["delegations"] if not d["claimed"] and d["iso3"] != "KEN"]
        report = {"code": server.code, "free": free}
        device = {n: Device(server.port, f"127.0.0.{n}") for n in range(2, 40)}
        attacks = [
            partial(half_open, device[2], 1_500, report, "half_open_one_device"),
            *[partial(half_open, device[n], 40, report, f"half_open_{n}") for n in range(10, 20)],
            partial(slow, device[3], 40, report, "slow_headers", body=False),
            partial(slow, device[4], 20, report, "slow_body", body=True),
            partial(oversized, device[5], report, "oversized_declared_1", chunked=False),
            partial(oversized, device[6], report, "oversized_declared_2", chunked=False),
            partial(oversized, device[7], report, "oversized_chunked", chunked=True),
            partial(guess, device[8], 300, report),
            partial(replay, device[30], device[31], report),
        ]
        stop = threading.Event()
        watchers = [
            threading.Thread(target=probe, args=(server.port, student["seat"], cookie, stop, report)),
            threading.Thread(target=memory, args=(server.proc.pid, stop, report)),
        ]
        threads = [threading.Thread(target=attack) for attack in attacks]
        for t in watchers + threads:
            t.start()
        for t in threads:
            t.join(timeout=SIEGE_SECONDS + 30)
        stop.set()
        for t in watchers:
            t.join(timeout=30)
        report["team"] = you.call("GET", f"/api/state?seat={report['replay']['seat']}")[1]["team"]
        report["teacher"] = you.call("GET", "/api/teacher", headers={"Cookie": cookie})[1]
        report["alive"] = server.proc.poll() is None
        _print(report)
        yield report
    finally:
        server.stop()
    assert not any("Traceback" in line for line in server.output), "".join(server.output)[-2000:]


def _print(report: dict) -> None:
    latencies = sorted(t for t, _ in report["probe"])
    print(
        f"\nsiege: {len(latencies)} normal requests, median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; peak RSS {report['peak_rss_mib']:.0f} MiB; "
        f"guesses {report['guesses']['statuses'].count(403)} looked at of 300 "
        f"in {report['guesses']['seconds']:.1f} s; sent of each 400 MB body before the server closed: "
        + ", ".join(f"{report[k]['sent'] / 2**20:.0f} MiB" for k in report if k.startswith("oversized"))
    )


def test_normal_requests_answer_within_a_second_under_attack(siege):
    assert siege["alive"]
    statuses = {status for _, status in siege["probe"]}
    assert statuses == {200}, statuses
    assert len(siege["probe"]) >= 20  # it kept polling through the siege
    worst = max(t for t, _ in siege["probe"])
    assert worst < ANSWER_SECONDS, f"a normal request took {worst:.2f} s"


def test_the_server_stays_under_400_mib(siege):
    assert siege["peak_rss_mib"] < RSS_MIB


def test_one_device_holds_no_more_than_its_share_of_connections(siege):
    closed = siege["half_open_one_device"] + [None] * siege.get("half_open_one_device_refused", 0)
    at_once = [t for t in closed if t is not None and t < 2]
    assert len(closed) - len(at_once) <= CONNECTIONS_PER_CLIENT, len(at_once)


def test_half_open_and_slow_connections_are_closed_at_the_deadline(siege):
    names = [k for k in siege if k.startswith("half_open_") and not k.endswith("refused")]
    names += ["slow_headers", "slow_body"]
    for name in names:
        held = [t for t in siege[name] if t is None or t >= 2]  # beyond the cap: closed at once
        assert held and None not in held, (name, siege[name][:5])
        assert all(REQUEST_SECONDS - 1.5 <= t <= REQUEST_SECONDS + 5 for t in held), (name, held[:5])


def test_oversized_bodies_are_refused_as_they_stream(siege):
    for name in ("oversized_declared_1", "oversized_declared_2", "oversized_chunked"):
        taken = siege[name]
        assert taken["sent"] < 64 * 2**20, (name, taken["sent"])  # the server stopped reading: not 400 MB
        assert taken["answer"] == b"" or taken["answer"].startswith(b"HTTP/1.1 413"), (name, taken["answer"])
    assert MAX_BODY == 64 * 1024


def test_join_code_guessing_is_held_to_the_rate(siege):
    statuses, seconds = siege["guesses"]["statuses"], siege["guesses"]["seconds"]
    assert set(statuses) <= {403, 429}
    looked_at = statuses.count(403)
    assert ATTEMPTS <= looked_at <= ATTEMPTS + seconds / REFILL_SECONDS + 1, (looked_at, seconds)
    assert statuses[:ATTEMPTS] == [403] * ATTEMPTS and statuses[ATTEMPTS] == 429


def test_replayed_joins_and_grabs_count_once(siege):
    replay = siege["replay"]
    assert set(replay["joins"]) == {200}
    assert siege["team"] == 2  # the claimant and one teammate's device, however often it joined
    assert set(replay["grabs"]) == {409}  # one device, one delegation
    played = {s["iso3"] for s in siege["teacher"]["seats"]}
    assert played == {"USA", "KEN"}
