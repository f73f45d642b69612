"""The class session over HTTP: a JSON API and two pages (students, teacher), served by Starlette on uvicorn.

Every request is checked by :class:`wcitsim.teach.classroom.room.ClassRoom`; a refusal comes
back as ``{"error": message}`` with a 4xx status, never as a server error (Starlette's body
limit and host check may answer with one line of plain text). The
handlers are coroutines that do their work without awaiting in between, so the
class's state changes one request at a time. The pages are plain HTML and
JavaScript shipped in the package: nothing is fetched from outside. Every second a
heartbeat closes a turn whose time ran out (with auto-advance on) and saves the time left,
so a class resumed after a crash gets its turn back with the time it had.

The classroom network is not trusted. What holds, and where:

- uvicorn (:func:`serve`): the guards of :mod:`~wcitsim.teach.classroom.guards` (a deadline for
  each request to arrive, connections per client address and in all); h11 caps the headers at
  16 KiB; no WebSocket, no proxy headers.
- Starlette: ``max_body_size`` stops a body longer than :data:`MAX_BODY` while it streams in (413);
  ``TrustedHostMiddleware`` refuses a ``Host`` that does not name this machine (DNS rebinding);
  :class:`~wcitsim.teach.classroom.guards.SameOrigin` refuses a request that changes the class sent by another site's page.
- the app: a body that is not JSON or nests too deep is refused (400); refused codes or keys
  are held to a rate per client address (429); the teacher's key is exchanged for a cookie,
  so the teacher's page (on the projector) has no key in its address.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import traceback
from collections.abc import Sequence
from importlib import resources

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from wcitsim.teach.classroom.glossary import display_name, glossary
from wcitsim.teach.classroom.guards import (
    MAX_BODY,
    Attempts,
    Json,
    SameOrigin,
    connection_budget,
    guarded_protocol,
    read_body,
)
from wcitsim.teach.classroom.room import ClassRoom, Refused

__all__ = ["HEARTBEAT_SECONDS", "create_app", "listening_socket", "serve"]

PAGES = resources.files("wcitsim.teach.classroom") / "static"
STATIC = {"classroom.js": "text/javascript", "classroom.css": "text/css"}
#: Seconds between heartbeats: at most this much of a turn is lost when the server dies.
HEARTBEAT_SECONDS = 1.0


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
                body = await read_body(request) if post else dict(request.query_params)
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

    def seated(seat: str, iso: str) -> dict:
        return {"seat": seat, "iso3": iso, "name": display_name(iso, room.world.names[room.index[iso]])}

    def claim(b: dict, client: str) -> dict:
        seat = room.claim(b.get("code"), b.get("iso3"), device=client)
        return seated(seat, room.seat(seat))

    routes = [
        Route("/", page("student.html")),
        Route("/teacher", teacher_entry),
        Route("/static/{name}", static),
        Route("/api/public", endpoint(lambda body: room.public())),
        Route("/api/glossary", endpoint(lambda body: {"terms": glossary()})),
        Route("/api/delegations", endpoint(lambda body: {"delegations": room.delegations(body.get("code"))})),
        Route("/api/claim", endpoint(claim, post=True, device=True), methods=["POST"]),
        Route("/api/seat", endpoint(lambda b, c: seated(b.get("seat"), room.join(b.get("seat"), device=c)), post=True, device=True), methods=["POST"]),
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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        async def beat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                try:
                    room.heartbeat()
                except Exception:  # a bug: log it and keep beating
                    traceback.print_exc()

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            room.save()  # the time left as the server stops

    middleware = [Middleware(SameOrigin)]
    if hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: not_here},
        max_body_size=MAX_BODY,
        lifespan=lifespan,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (OSError if another server listens there).

    With ``SO_REUSEADDR`` (POSIX), so that a class whose server was killed can be resumed on
    its port at once: the killed server's connections linger in TIME_WAIT for a minute, and
    without it the new server could not bind until they expire.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # on Windows SO_REUSEADDR would let another server share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(socket.SOMAXCONN)
    except OSError:
        sock.close()
        raise
    return sock


def serve(room: ClassRoom, sock: socket.socket, hosts: Sequence[str]) -> None:
    """Serve ``room`` on the listening ``sock`` until stopped, answering only requests addressed to ``hosts``."""
    import uvicorn

    config = uvicorn.Config(
        create_app(room, hosts), log_level="warning", http=guarded_protocol(), ws="none",
        proxy_headers=False, limit_concurrency=connection_budget(),
    )  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])
