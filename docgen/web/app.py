"""The Starlette application: middleware, the JSON API and the pages (see ``docgen.web.ui``).

Errors are translated here, at the edge: a ``DocgenError`` becomes its German message and an
HTTP status, never a traceback. Every state-changing page request needs the session's CSRF token
and a same-origin ``Origin``; the API takes HTTP Basic (or the proxy's headers) and JSON only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docgen.settings import Settings
from docgen.web import jobs, store, ui
from docgen.web.auth import Identity
from docgen.web.core import SECURITY_HEADERS, Web, problem_json, web_of
from docgen.web.formparse import has_freigabe
from docgen.web.jsontext import Unreadable, advised, read
from docgen.web.service import Service, check_file, write_input

log = logging.getLogger("docgen.web")
STATIC = Path(__file__).parent / "static"
# --- the JSON API ---------------------------------------------------------------------------------

def api_identity(request: Request) -> Identity | Response:
    web = web_of(request)
    if web.auth.proxy:
        if not web.auth.via_proxy(request):
            return problem_json(403, "Anfrage nicht über den eingerichteten Proxy: abgewiesen.")
        identity = web.auth.from_proxy(request)
    else:
        identity = web.auth.from_basic(request)
    if identity is None:
        response = problem_json(401, "Anmeldung erforderlich (HTTP Basic mit einem docgen-Benutzer).")
        if not web.auth.proxy:
            response.headers["WWW-Authenticate"] = 'Basic realm="docgen", charset="UTF-8"'
        return response
    if not identity.rollen:
        return problem_json(403, "Keine Berechtigung: Ihr Konto hat keine docgen-Rolle.")
    return identity


ApiHandler = Callable[[Request, Identity], Awaitable[Response]]


def api_route(handler: ApiHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        identity = api_identity(request)
        if isinstance(identity, Response):
            return identity
        if request.method == "POST":
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":  # also keeps plain HTML forms of other sites out
                return problem_json(415, "Bitte das Eingabedokument als JSON senden (Content-Type: "
                                         "application/json).")
        return await handler(request, identity)
    return endpoint


async def _body_document(request: Request) -> tuple[bytes, Any] | Response:
    body = await request.body()
    try:  # in a worker thread: the library's parser gets the same nesting room as in ``docgen validate``
        data = await to_thread.run_sync(functools.partial(read, body, "anfrage.json", web_of(request).settings,
                                                          draft=False))
    except Unreadable as exc:  # the library's own reason: encoding, empty, syntax with line and column, nesting
        text = advised(exc.message, "Bitte korrigieren und erneut senden.")
        return problem_json(400, f"Der Inhalt der Anfrage ist kein lesbares JSON: {text}")
    if not isinstance(data, dict):
        return problem_json(400, "Der Inhalt muss ein JSON-Objekt (ein Eingabedokument) sein.")
    return body, data


async def _check_body(web: Web, body: bytes) -> tuple[Path, Any]:
    scratch = web.service.scratch()
    source = scratch / "entwurf.json"
    source.write_bytes(body)  # as sent: the library judges exactly what the caller wrote
    (scratch / "anlagen").mkdir()
    return scratch, await to_thread.run_sync(check_file, source, web.settings)


async def api_pruefen(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    parsed = await _body_document(request)
    if isinstance(parsed, Response):
        return parsed
    scratch, pruefung = await _check_body(web, parsed[0])
    _remove(scratch)
    return JSONResponse(pruefung.as_json(), headers=SECURITY_HEADERS)


async def api_vorschau(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    parsed = await _body_document(request)
    if isinstance(parsed, Response):
        return parsed
    scratch, pruefung = await _check_body(web, parsed[0])
    try:
        if not pruefung.gueltig:
            return JSONResponse(pruefung.as_json(), status_code=422, headers=SECURITY_HEADERS)
        pdf = await to_thread.run_sync(web.service.preview, scratch, parsed[1])
    finally:
        _remove(scratch)
    return Response(pdf, media_type="application/pdf", headers={
        **SECURITY_HEADERS, "Content-Disposition": 'inline; filename="vorschau-ENTWURF.pdf"'})


async def api_auftrag_neu(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    parsed = await _body_document(request)
    if isinstance(parsed, Response):
        return parsed
    body, data = parsed
    if has_freigabe(data) and not identity.darf_siegeln:
        return problem_json(403, "Eingaben mit „freigabe“ darf nur die Rolle „freigabe“ einreichen; "
                                 "es wurde nichts gespeichert.")
    scratch, pruefung = await _check_body(web, body)
    if not pruefung.gueltig:
        _remove(scratch)
        return JSONResponse(pruefung.as_json(), status_code=422, headers=SECURITY_HEADERS)
    auftrag = jobs.start(web.service, web.auftraege, identity.name, scratch,
                         gesiegelt_von=identity.name if has_freigabe(data) else None)
    return JSONResponse({"id": auftrag.id, "zustand": auftrag.zustand}, status_code=201,
                        headers={**SECURITY_HEADERS, "Location": f"/api/auftraege/{auftrag.id}"})


def _own_job(web: Web, identity: Identity, auftrag_id: str) -> store.Auftrag | None:
    try:
        auftrag = web.auftraege.get(auftrag_id)
    except KeyError:
        return None
    return auftrag if auftrag.besitzer == identity.name or identity.ist_admin else None


async def api_auftrag(request: Request, identity: Identity) -> Response:
    auftrag = _own_job(web_of(request), identity, request.path_params["id"])
    if auftrag is None:
        return problem_json(404, "Kein solcher Auftrag.")
    return JSONResponse(jobs.as_json(auftrag, web_of(request).settings.zeitzone), headers=SECURITY_HEADERS)


async def api_paket(request: Request, identity: Identity) -> Response:
    auftrag = _own_job(web_of(request), identity, request.path_params["id"])
    if auftrag is None:
        return problem_json(404, "Kein solcher Auftrag.")
    paket = auftrag.ergebnis.get("paket") if auftrag.zustand == "fertig" else None
    if not paket:
        return problem_json(409, jobs.ohne_paket(auftrag.zustand), zustand=auftrag.zustand)
    return FileResponse(paket, media_type="application/pdf", filename=Path(paket).name,
                        headers=SECURITY_HEADERS)


async def gesund(request: Request) -> Response:
    problem = await to_thread.run_sync(web_of(request).service.health)
    if problem is None:
        return JSONResponse({"gesund": True}, headers=SECURITY_HEADERS)
    return JSONResponse({"gesund": False, "grund": problem}, status_code=503, headers=SECURITY_HEADERS)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


# --- the application ------------------------------------------------------------------------------

async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    texts = {413: "Die Anfrage ist zu groß. Bitte kleinere Dateien hochladen (höchstens {mb} MB je Anfrage).",
             404: "Diese Seite gibt es nicht.", 405: "Diese Aktion ist hier nicht erlaubt.",
             403: "Zugriff verweigert.", 400: "Die Anfrage ist fehlerhaft."}
    text = texts.get(exc.status_code, str(exc.detail)).format(mb=web_of(request).settings.max_upload_bytes // 1_000_000)
    if request.url.path.startswith("/api/") or request.url.path == "/gesund":
        return problem_json(exc.status_code, text)
    return ui.error_page(request, exc.status_code, text)


def create_app(settings: Settings, service: Service | None = None) -> Starlette:
    """The app; without ``service`` it opens its own warm LibreOffice for its lifetime."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with contextlib.ExitStack() as stack:
            own = service or stack.enter_context(Service(settings, workers=1))
            app.state.web = Web(settings, own)
            yield

    routes: list[BaseRoute] = [
        Route("/gesund", gesund),
        Route("/api/pruefen", api_route(api_pruefen), methods=["POST"]),
        Route("/api/vorschau", api_route(api_vorschau), methods=["POST"]),
        Route("/api/auftraege", api_route(api_auftrag_neu), methods=["POST"]),
        Route("/api/auftraege/{id}", api_route(api_auftrag)),
        Route("/api/auftraege/{id}/paket", api_route(api_paket)),
        Mount("/statisch", StaticFiles(directory=STATIC), name="statisch"),
        *ui.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error},
                    middleware=[Middleware(BodyLimit, limit=settings.max_upload_bytes)])
    return app


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse bodies over ``max_upload_bytes`` with 413 and a German answer (page or JSON).

    Starlette's own limit answers in English plain text; this one checks Content-Length first and
    counts chunked bodies as they arrive.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        total = 0
        started = False

        async def counted() -> Message:
            nonlocal total
            message = await receive()
            total += len(message.get("body", b""))
            if total > self.limit:
                raise _TooLarge
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = (f"Die Anfrage ist zu groß (höchstens {self.limit / 1_000_000:g} MB je Anfrage). Bitte kleinere "
                "Dateien hochladen.")
        response: Response
        if str(scope.get("path", "")).startswith("/api/"):
            response = problem_json(413, text)
        else:
            html = ("<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Zu groß – docgen</title>"
                    "<link rel=\"stylesheet\" href=\"/statisch/docgen.css\"></head><body><main id=\"inhalt\">"
                    f"<h1>Anfrage zu groß</h1><div class=\"meldung meldung-fehler\" role=\"alert\"><p>{text}</p></div>"
                    "<p><a href=\"/\">Zurück zu „Meine Entwürfe“</a></p></main></body></html>")
            response = HTMLResponse(html, status_code=413, headers={**SECURITY_HEADERS, "Connection": "close"})
        await response(scope, receive, send)


__all__ = ["create_app", "write_input"]
