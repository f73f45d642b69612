"""The class session over HTTP: a JSON API and two pages (students, teacher), served by Starlette on uvicorn.

Every request is checked by :class:`wcitsim.teach.classroom.room.ClassRoom`; a refusal comes
back as ``{"error": message}`` with a 4xx status, never as a server error (Starlette's body
limit and host check may answer with one line of plain text). The
handlers are coroutines that do their work without awaiting in between, so the
class's state changes one request at a time. The pages are plain HTML and
JavaScript shipped in the package: nothing is fetched from outside.

The classroom network is not trusted. What holds, and where:

- uvicorn (:func:`serve`): a request must arrive whole, headers and body, within
  :data:`REQUEST_SECONDS` of its connection or of the previous answer, and one client
  address holds at most :data:`CONNECTIONS_PER_CLIENT` connections (uvicorn has neither;
  :func:`guarded_protocol` adds both to its HTTP/1.1 protocol); ``limit_concurrency`` bounds
  all connections together (503 beyond); h11 caps the headers at 16 KiB; no WebSocket, no proxy headers.
- Starlette: ``max_body_size`` stops a body longer than :data:`MAX_BODY` while it streams in (413);
  ``TrustedHostMiddleware`` refuses a ``Host`` that does not name this machine (DNS rebinding);
  :class:`SameOrigin` refuses a request that changes the class sent by another site's page.
- the app: a body that is not JSON or nests more than :data:`MAX_DEPTH` levels is refused (400);
  :class:`Attempts` answers 429 to a client address sending refused codes or keys
  faster than :data:`ATTEMPTS` at once and then one every :data:`REFILL_SECONDS`; the teacher's key
  is exchanged for a cookie, so the teacher's page (on the projector) has no key in its address.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import resources

import h11
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

from wcitsim.io.files import json_default
from wcitsim.teach.classroom.room import ClassRoom, Refused

__all__ = ["Attempts", "SameOrigin", "create_app", "guarded_protocol", "serve"]

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
PAGES = resources.files("wcitsim.teach.classroom") / "static"
STATIC = {"classroom.js": "text/javascript", "classroom.css": "text/css"}


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


def _depth(value: object) -> int:
    """How many levels ``value`` nests (a number 0, a list of numbers 1), counted without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            todo.extend((x, level + 1) for x in (item.values() if isinstance(item, dict) else item))
    return deepest


async def _body(request: Request) -> dict:
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
    if (depth := _depth(body)) > MAX_DEPTH:  # no check downstream meets a structure deeper than this
        raise Refused(400, f"the request body nests {depth} levels deep; expected at most {MAX_DEPTH}")
    return body


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def create_app(room: ClassRoom, hosts: Sequence[str] | None = None) -> Starlette:
    """The Starlette application serving ``room``; with ``hosts``, only requests addressed to one of them."""
    attempts = Attempts()
    cookie = f"wcitsim-teacher-{room.settings.code}"  # cookies ignore ports: one name per class

    def endpoint(handler, *, post: bool = False, heavy: bool = False, device: bool = False):
        async def run(request: Request) -> Response:
            client = _client(request)
            wait = attempts.wait(client)
            if wait:
                return Json(
                    {"error": f"too many refused codes or keys from {client}; try again in {math.ceil(wait)} s"},
                    status_code=429, headers={"Retry-After": str(math.ceil(wait))},
                )  # fmt: skip
            try:
                room.tick()
                body = await _body(request) if post else dict(request.query_params)
                if "key" not in body and cookie in request.cookies:
                    body["key"] = request.cookies[cookie]
                if (
                    heavy and room.phase == "done"
                ):  # the first debrief runs the model alone: off the event loop
                    await run_in_threadpool(room.debrief)
                result = handler(body, client) if device else handler(body)
            except Refused as refusal:
                if refusal.status == 403:
                    attempts.refused(client)
                return Json({"error": str(refusal)}, status_code=refusal.status)
            except HTTPException:  # the body limit's 413: answered by ``not_here``
                raise
            except Exception:  # a bug, not the user's mistake: log it, keep serving, say so in one line
                traceback.print_exc()
                return Json(
                    {"error": "the server failed on this request (a bug; the class is saved)"},
                    status_code=500,
                )
            return result if isinstance(result, Response) else Json(result)

        return run

    def page(name: str):
        text = (PAGES / name).read_text(encoding="utf-8")

        async def serve(request: Request) -> Response:
            return HTMLResponse(text)

        return serve

    teacher_page = page("teacher.html")

    async def teacher_entry(request: Request) -> Response:
        """The teacher's page; its address with ``?key=`` sets the key as a cookie and sends the browser on without it."""
        key = request.query_params.get("key")
        if key is None:
            return await teacher_page(request)
        answer = RedirectResponse("/teacher", status_code=303, headers={"Cache-Control": "no-store"})
        client = _client(request)
        if not attempts.wait(client):
            try:
                room.check_teacher(key)
                answer.set_cookie(cookie, key, httponly=True, samesite="strict")
            except Refused:
                attempts.refused(client)
        return answer

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Json({"error": f"no file {name[:40]!r} here"}, status_code=404)
        return Response((PAGES / name).read_text(encoding="utf-8"), media_type=STATIC[name])

    def teacher(handler):
        def checked(body: dict):
            room.check_teacher(body.get("key"))
            return handler(body)

        return checked

    def ok(action):
        def done(body: dict):
            action(body)
            return {"ok": True, **room.public()}

        return done

    def debrief(body: dict) -> dict:
        if "key" in body:
            room.check_teacher(body["key"])
        else:
            room.seat(body.get("seat"))
            if not room.debrief_open:
                raise Refused(409, "the teacher has not opened the debrief yet")
        return room.debrief()

    def advance(body: dict) -> Response:
        room.advance()
        # at the end, the debrief (the model alone, the files) is prepared after the answer, off the event loop
        later = BackgroundTask(room.debrief) if room.phase == "done" else None
        return Json({"ok": True, **room.public()}, background=later)

    def figure(body: dict) -> Response:
        debrief(body)  # the same checks
        return Response(room.figure(), media_type="image/svg+xml")

    def claim(b: dict, client: str) -> dict:
        seat = room.claim(b.get("code"), b.get("iso3"), device=client)
        return {"seat": seat, "iso3": room.seat(seat)}

    routes = [
        Route("/", page("student.html")),
        Route("/teacher", teacher_entry),
        Route("/static/{name}", static),
        Route("/api/public", endpoint(lambda body: room.public())),
        Route("/api/delegations", endpoint(lambda body: {"delegations": room.delegations(body.get("code"))})),
        Route("/api/claim", endpoint(claim, post=True, device=True), methods=["POST"]),
        Route("/api/seat", endpoint(lambda b, c: {"seat": b.get("seat"), "iso3": room.join(b.get("seat"), device=c)}, post=True, device=True), methods=["POST"]),
        Route("/api/state", endpoint(lambda body: room.student_view(body.get("seat")))),
        Route("/api/move", endpoint(ok(lambda b: room.move(b.get("seat"), b.get("iso3"), b.get("positions"))), post=True), methods=["POST"]),
        Route("/api/vote", endpoint(ok(lambda b: room.vote(b.get("seat"), b.get("iso3"), b.get("votes"))), post=True), methods=["POST"]),
        Route("/api/sign", endpoint(ok(lambda b: room.sign(b.get("seat"), b.get("iso3"), b.get("sign"))), post=True), methods=["POST"]),
        Route("/api/debrief", endpoint(debrief, heavy=True)),
        Route("/api/debrief.svg", endpoint(figure, heavy=True)),
        Route("/api/teacher", endpoint(teacher(lambda body: room.teacher_view()))),
        Route("/api/teacher/advance", endpoint(teacher(advance), post=True), methods=["POST"]),
        Route("/api/teacher/pause", endpoint(teacher(ok(lambda b: room.pause(b.get("paused")))), post=True), methods=["POST"]),
        Route("/api/teacher/options", endpoint(teacher(ok(room.set_options)), post=True), methods=["POST"]),
        Route("/api/teacher/release", endpoint(teacher(ok(lambda b: room.release(b.get("iso3")))), post=True), methods=["POST"]),
    ]  # fmt: skip

    async def not_here(request: Request, exc: HTTPException) -> Response:
        return Json(
            {"error": f"{request.method} {request.url.path[:60]}: {exc.detail}"}, status_code=exc.status_code
        )

    middleware = [Middleware(SameOrigin)]
    if hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: not_here},
        max_body_size=MAX_BODY,
    )


def _connection_budget() -> int:
    """Connections the server holds at once: 1,024, or half the open files the system allows if fewer."""
    try:
        import resource
    except ImportError:  # not POSIX
        return 1024
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1024 if soft == resource.RLIM_INFINITY else max(64, min(1024, soft // 2))


def serve(room: ClassRoom, host: str, port: int, hosts: Sequence[str]) -> None:
    """Serve ``room`` on ``host:port`` until stopped, answering only requests addressed to one of ``hosts``."""
    import uvicorn

    uvicorn.run(
        create_app(room, hosts), host=host, port=port, log_level="warning", http=guarded_protocol(), ws="none",
        proxy_headers=False, limit_concurrency=_connection_budget(),
    )  # fmt: skip
