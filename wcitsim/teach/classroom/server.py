"""The class session over HTTP: a JSON API and two pages (students, teacher), served by Starlette.

Every request is checked by :class:`wcitsim.teach.classroom.room.ClassRoom`; a refusal comes
back as ``{"error": message}`` with a 4xx status, never as a server error. The
handlers are coroutines that do their work without awaiting in between, so the
class's state changes one request at a time. The pages are plain HTML and
JavaScript shipped in the package: nothing is fetched from outside.
"""

from __future__ import annotations

import json
import traceback
from importlib import resources

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from wcitsim.io.files import json_default
from wcitsim.teach.classroom.room import ClassRoom, Refused

__all__ = ["create_app"]

MAX_BODY = 64 * 1024
PAGES = resources.files("wcitsim.teach.classroom") / "static"
STATIC = {"classroom.js": "text/javascript", "classroom.css": "text/css"}


class Json(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, default=json_default, allow_nan=False, ensure_ascii=False).encode("utf-8")


async def _body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Refused(413, f"the request body has {len(raw)} bytes; expected at most {MAX_BODY}")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused(400, "the request body is not JSON; expected an object") from None
    if not isinstance(body, dict):
        raise Refused(400, "the request body is JSON but not an object; expected {...}")
    return body


def create_app(room: ClassRoom) -> Starlette:
    """The Starlette application serving ``room``."""

    def endpoint(handler, *, post: bool = False, heavy: bool = False):
        async def run(request: Request) -> Response:
            try:
                room.tick()
                body = await _body(request) if post else dict(request.query_params)
                if (
                    heavy and room.phase == "done"
                ):  # the first debrief runs the model alone: off the event loop
                    await run_in_threadpool(room.debrief)
                result = handler(body)
            except Refused as refusal:
                return Json({"error": str(refusal)}, status_code=refusal.status)
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

    routes = [
        Route("/", page("student.html")),
        Route("/teacher", page("teacher.html")),
        Route("/static/{name}", static),
        Route("/api/public", endpoint(lambda body: room.public())),
        Route("/api/delegations", endpoint(lambda body: {"delegations": room.delegations(body.get("code"))})),
        Route(
            "/api/claim",
            endpoint(lambda b: {"seat": (seat := room.claim(b.get("code"), b.get("iso3"))), "iso3": room.seat(seat)}, post=True),
            methods=["POST"],
        ),
        Route("/api/seat", endpoint(lambda b: {"seat": b.get("seat"), "iso3": room.join(b.get("seat"))}, post=True), methods=["POST"]),
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

    return Starlette(routes=routes, exception_handlers={HTTPException: not_here})
