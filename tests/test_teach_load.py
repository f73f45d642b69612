"""The teaching server holds up: 1,000 malformed requests and 30 concurrent clients, never a server error.

Traffic goes only to 127.0.0.1, bounded in count and time.
"""

from __future__ import annotations

import http.client
import random
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("solara")


@pytest.fixture(scope="module")
def port(teach_server):
    return int(teach_server.rstrip("/").rsplit(":", 1)[1])


def _malformed(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
    junk = "".join(rng.choice("%/\\.?&=#;:@!$'()*+,~ abcXYZ09\x7f") for _ in range(rng.randint(1, 60)))
    method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
    path = rng.choice([
        "/" + junk, "/../../etc/passwd", "/?" + junk, "/static/" + junk, "/jupyter/" + junk, "/_solara/" + junk,
        "/" + "a" * rng.randint(100, 4000), "/%00%ff%fe", "/solara/" + junk,
    ])  # fmt: skip
    headers = rng.choice([{}, {"Content-Type": "application/json"}, {"Cookie": junk.replace("\x7f", "")}])
    body = rng.choice([None, b"{", junk.encode("utf-8", "ignore"), b"\x00\xff" * 50])
    return method, path, headers, body


def test_a_thousand_malformed_requests_never_get_a_server_error(port):
    rng = random.Random(20121214)
    statuses = []
    for i in range(1000):
        method, path, headers, body = _malformed(rng)
        if i % 50 == 0:  # a bogus websocket upgrade: the server holds the socket open, which is no error
            headers = {"Upgrade": "websocket", "Connection": "Upgrade"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1 if i % 50 == 0 else 10)
        try:
            conn.putrequest(
                method, path.replace(" ", "%20").replace("\x7f", "%7F"), skip_accept_encoding=True
            )
            for key, value in headers.items():
                conn.putheader(key, value)
            if body is not None and "Content-Length" not in headers:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body is not None and "Content-Length" not in headers else None)
            statuses.append(conn.getresponse().status)
        except (http.client.HTTPException, OSError):
            statuses.append(None)  # the server closed a broken request: no error page either
        finally:
            conn.close()
    assert not [s for s in statuses if s is not None and s >= 500], sorted(set(statuses), key=str)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200  # still serving


def test_thirty_concurrent_clients(port):
    def client(_):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            return response.status, len(response.read())

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(client, range(30)))
    assert all(status == 200 and size > 1000 for status, size in results), results
