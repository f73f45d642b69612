"""The class server's guards against an untrusted classroom network.

- uvicorn's HTTP/1.1 protocol (:func:`guarded_protocol`): a request must arrive whole, headers
  and body, within :data:`REQUEST_SECONDS` of its connection or of the previous answer, and one
  client address holds at most :data:`CONNECTIONS_PER_CLIENT` connections (uvicorn has neither);
  :func:`connection_budget` bounds all connections together (503 beyond).
- :class:`SameOrigin` refuses a request that changes the class sent by another site's page.
- :func:`read_body` refuses a body that is not JSON or nests more than :data:`MAX_DEPTH` levels (400).
- :class:`Attempts` holds a client address sending refused codes or keys to :data:`ATTEMPTS`
  at once and then one every :data:`REFILL_SECONDS` (429 in between).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable

import h11
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

from wcitsim.io.files import json_default
from wcitsim.teach.classroom.checks import Refused

__all__ = [
    "ATTEMPTS",
    "CONNECTIONS_PER_CLIENT",
    "MAX_BODY",
    "MAX_DEPTH",
    "REFILL_SECONDS",
    "REQUEST_SECONDS",
    "Attempts",
    "Json",
    "SameOrigin",
    "connection_budget",
    "guarded_protocol",
    "read_body",
]

#: Bytes a request body may have (a student's positions take about 200).
MAX_BODY = 64 * 1024
#: Levels a request body may nest (a student's positions nest two).
MAX_DEPTH = 8
#: Seconds a request has to arrive whole, headers and body, from its connection or the previous answer.
REQUEST_SECONDS = 10.0
#: Connections one client address may hold open at once (a browser opens at most 6 to one server).
CONNECTIONS_PER_CLIENT = 64
#: Refused codes or keys a client address may send at once, and the seconds that earn it one more.
ATTEMPTS, REFILL_SECONDS = 10, 6.0


class Json(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, default=json_default, allow_nan=False, ensure_ascii=False).encode("utf-8")


def guarded_protocol(
    per_client: int = CONNECTIONS_PER_CLIENT, seconds: float = REQUEST_SECONDS
) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with a deadline for each request to arrive and a cap per client address.

    The deadline runs from the connection, and from each answer to the next request, until the
    request is in whole (headers and body); then the connection is closed. A connection beyond
    ``per_client`` from one address is closed as soon as it is accepted. An answer sent before
    its request's body was in (a 413) closes the connection: the rest of the body is not read.
    """
    held: Counter[str] = Counter()  # client address → connections open

    class Guarded(H11Protocol):
        deadline: asyncio.TimerHandle | None = None
        address: str | None = None  # counted in ``held`` while set

        def connection_made(self, transport) -> None:
            address = (get_remote_addr(transport) or ("",))[0]
            if held[address] >= per_client:  # closed before uvicorn counts it among its connections
                transport.close()
                return
            held[address] += 1
            self.address = address
            super().connection_made(transport)
            self.arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.address is None:  # closed as it was accepted
                return
            super().connection_lost(exc)
            self.disarm()
            held[self.address] -= 1
            if not held[self.address]:
                del held[self.address]
            self.address = None

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):  # the request is in whole
                self.disarm()

        def on_response_complete(self) -> None:
            if self.conn.their_state is h11.SEND_BODY:
                self.transport.close()
            self.arm()  # before the next request, which the base class may take from the buffer at once
            super().on_response_complete()

        def arm(self) -> None:
            self.disarm()
            if not self.transport.is_closing():
                self.deadline = self.loop.call_later(seconds, self.expire)

        def disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def expire(self) -> None:
            self.deadline = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self.transport.close()

    return Guarded


class Attempts:
    """How fast each client address may send refused credentials: join codes, seat codes, the teacher's key.

    A generic cell rate: ``burst`` refusals at once, then one every ``every`` seconds. A
    client over the rate is answered 429 without its request being looked at, so it cannot
    guess faster than one credential every ``every`` seconds.
    """

    def __init__(
        self,
        burst: int = ATTEMPTS,
        every: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.every, self.clock = burst, every, clock
        self.clear_at: dict[str, float] = {}  # client address → when its refusals no longer count

    def wait(self, client: str) -> float:
        """Seconds until ``client`` may send a credential again (0: now)."""
        ahead = self.clear_at.get(client, 0.0) - self.clock()
        return max(0.0, ahead - (self.burst - 1) * self.every)

    def refused(self, client: str) -> None:
        """Count one refused credential of ``client``."""
        now = self.clock()
        self.clear_at[client] = max(self.clear_at.get(client, now), now) + self.every
        if len(self.clear_at) > 4096:  # forget the clients whose refusals no longer count
            self.clear_at = {c: t for c, t in self.clear_at.items() if t > now}


class SameOrigin:
    """Refuse (403) a request other than GET or HEAD that a page of another site sent (a forged form or fetch).

    A browser names the sending page in ``Origin`` and ``Sec-Fetch-Site``; a request without
    them comes from no page, and is held by the checks of the codes and the key.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            headers = Headers(scope=scope)
            origin, site = headers.get("origin"), headers.get("sec-fetch-site")
            own = f"http://{headers.get('host')}".lower()
            if (origin is not None and origin.lower() != own) or site not in (None, "same-origin", "none"):
                message = (
                    f"Origin {str(origin)[:60]}: a page of another site cannot act here; "
                    "expected this server's own pages"
                )
                await Json({"error": message}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def depth(value: object) -> int:
    """How many levels ``value`` nests (a number 0, a list of numbers 1), counted without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            todo.extend((x, level + 1) for x in (item.values() if isinstance(item, dict) else item))
    return deepest


async def read_body(request: Request) -> dict:
    try:
        raw = await request.body()  # the app's max_body_size stops a longer body while it streams in
    except ClientDisconnect:
        raise Refused(400, "the request body did not arrive (the connection closed)") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, an integer over 4,300 digits, nested too deep
        raise Refused(400, "the request body is not JSON; expected an object of a few values") from None
    if not isinstance(body, dict):
        raise Refused(400, "the request body is JSON but not an object; expected {...}")
    if (levels := depth(body)) > MAX_DEPTH:  # no check downstream meets a structure deeper than this
        raise Refused(400, f"the request body nests {levels} levels deep; expected at most {MAX_DEPTH}")
    return body


def connection_budget() -> int:
    """Connections the server holds at once: 1,024, or half the open files the system allows if fewer."""
    try:
        import resource
    except ImportError:  # not POSIX
        return 1024
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1024 if soft == resource.RLIM_INFINITY else max(64, min(1024, soft // 2))
