"""The pages for clerks: login, "Meine Entwürfe", the form, preview, hand-in, seal, hot folder.

Plain POST forms that work without JavaScript; ``static/docgen.js`` only adds live checking
(autosave + the library's messages) and focus handling. Field names are JSON pointers.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import secrets
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from anyio import to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from docgen import api
from docgen.errors import DocgenError, Problem
from docgen.formatting import zeitpunkt
from docgen.web import jobs, store, users
from docgen.web.auth import SESSION_COOKIE, SESSION_SECONDS, Identity
from docgen.web.core import SECURITY_HEADERS, Web, web_of
from docgen.web.form import Walker, drop_unknown, parent, slug
from docgen.web.formparse import Reader, apply_action, strip_freigabe
from docgen.web.jsontext import Unreadable, advised, dumps, nodes, parse, read
from docgen.web.service import Pruefung, check_file, write_input

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
ZUSTAENDE = {"wartend": "wartet im Eingang", "genommen": "wird übernommen", "laeuft": "läuft",
             "fertig": "fertig", "fehlgeschlagen": "fehlgeschlagen"}


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    identity = request.scope.get("docgen.identity")
    web = web_of(request)
    csrf = web.auth.csrf_token(identity) if identity else ""
    html = TEMPLATES.get_template(template).render(identity=identity, csrf=csrf, proxy=web.auth.proxy,
                                                   zustaende=ZUSTAENDE, zeit=_zeit(web), **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def heute(zone: str) -> dt.date:
    """Today in the setting ``zeitzone``, not in the server's zone (a server in UTC says "yesterday" until 1 am)."""
    return dt.datetime.now(ZoneInfo(zone)).date()


def _zeit(web: Web) -> Callable[[str | None], str]:
    """For the templates: a stored time (UTC) as ``02.12.2024, 14:05 Uhr`` in the setting ``zeitzone``."""
    return functools.partial(zeitpunkt, zone=web.settings.zeitzone)


def error_page(request: Request, status: int, text: str) -> HTMLResponse:
    return page(request, "fehler.html", status=status, titel=f"Fehler {status}", text=text)


# --- who is asking, and may they change something --------------------------------------------------

def ui_identity(request: Request) -> Identity | Response:
    web = web_of(request)
    if web.auth.proxy:
        if not web.auth.via_proxy(request):
            return error_page(request, 403, "Anfrage nicht über den eingerichteten Proxy: abgewiesen.")
        identity = web.auth.from_proxy(request)
        if identity is None:
            return error_page(request, 401, "Der Proxy hat keinen Benutzer übermittelt.")
    else:
        identity = web.auth.from_session(request)
        if identity is None:
            return RedirectResponse("/anmelden?weiter=" + quote(request.url.path), status_code=303)
    if not identity.rollen:
        return error_page(request, 403, "Keine Berechtigung: Ihr Konto hat keine docgen-Rolle.")
    return identity


def same_origin(request: Request) -> bool:
    """Origin (or Sec-Fetch-Site) says the request comes from our own pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:  # older clients and scripts send none: the CSRF token still has to match
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")


Handler = Callable[[Request, Identity], Awaitable[Response]]


def ui_route(handler: Handler, *, post: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        identity = ui_identity(request)
        if isinstance(identity, Response):
            return identity
        request.scope["docgen.identity"] = identity
        if request.method == "POST":
            if not same_origin(request):
                return error_page(request, 403, "Anfrage von einer fremden Seite abgewiesen (Herkunftsprüfung).")
            form = await _form(request)
            token = form.get("_csrf")
            if not isinstance(token, str) or not web_of(request).auth.csrf_ok(identity, token):
                return error_page(request, 403, "Sicherheitsmerkmal (CSRF) fehlt oder ist abgelaufen. Bitte die "
                                                "Seite neu laden und erneut absenden.")
        return await handler(request, identity)
    return endpoint


async def _form(request: Request) -> FormData:
    cached = request.scope.get("docgen.form")
    if cached is None:
        limit = web_of(request).settings.max_upload_bytes
        cached = await request.form(max_files=60, max_fields=20_000, max_part_size=limit)
        request.scope["docgen.form"] = cached
    return cached


def _fields(form: FormData) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    return fields


# --- login ----------------------------------------------------------------------------------------

async def anmelden_form(request: Request) -> Response:
    if web_of(request).auth.proxy:
        return RedirectResponse("/", status_code=303)
    return page(request, "anmelden.html", titel="Anmelden", weiter=_weiter(request.query_params.get("weiter")))


def _weiter(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


async def anmelden(request: Request) -> Response:
    web = web_of(request)
    if web.auth.proxy or not same_origin(request):
        return error_page(request, 403, "Anmeldung hier nicht möglich.")
    form = await _form(request)
    name, passwort = str(form.get("name", "")), str(form.get("passwort", ""))
    benutzer = await to_thread.run_sync(users.pruefen, web.settings, name, passwort)
    if benutzer is None:
        return page(request, "anmelden.html", status=401, titel="Anmelden", name=name,
                    fehler="Benutzername oder Passwort ist falsch.", weiter=_weiter(str(form.get("weiter", "/"))))
    response = RedirectResponse(_weiter(str(form.get("weiter", "/"))), status_code=303)
    response.set_cookie(SESSION_COOKIE, web.auth.session_cookie(benutzer), max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def abmelden(request: Request, identity: Identity) -> Response:
    response = RedirectResponse("/anmelden", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- Meine Entwürfe -------------------------------------------------------------------------------

async def liste(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    return page(request, "liste.html", titel="Meine Entwürfe", entwuerfe=web.entwuerfe.of_user(identity.name),
                auftraege=_auftraege(web, identity), arten=_arten(), hinweis=request.query_params.get("hinweis"))


def _arten() -> list[tuple[str, str]]:
    """Each dokumentart with its German name (the schema's title, up to its first bracket)."""
    return [(art, str(_schema(art).get("title", art)).split(" (")[0]) for art in api.dokumentarten()]


def _auftraege(web: Web, identity: Identity) -> list[dict[str, str]]:
    shown = []
    for auftrag in web.auftraege.of_user(identity.name)[:20]:
        try:
            data = web.auftraege.input_of(auftrag.id)
        except KeyError:
            continue
        shown.append({"id": auftrag.id, "titel": store.titel_von(data) or auftrag.id,
                      "zustand": ZUSTAENDE.get(auftrag.zustand, auftrag.zustand),
                      "angelegt": zeitpunkt(auftrag.angelegt, web.settings.zeitzone),
                      "gesiegelt": "ja" if auftrag.gesiegelt_von else "nein"})
    return shown


async def neu(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    form = await _form(request)
    art = str(form.get("dokumentart", ""))
    start = str(form.get("start", "leer"))
    upload = form.get("json")
    anlagen_von: Path | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        name = _safe_name(upload.filename)
        try:  # the whole file (the request limit bounds it): one over max_input_bytes is named, not cut
            data = await to_thread.run_sync(read, await upload.read(), name, web.settings)
        except Unreadable as exc:
            text = advised(exc.message, "Bitte die Datei korrigieren.")
            return _liste_fehler(request, identity, f"Die Datei „{name}“ kann nicht importiert werden: {text}")
        if not isinstance(data, dict) or data.get("dokumentart") not in api.dokumentarten():
            return _liste_fehler(request, identity, "Die Datei nennt keine bekannte Dokumentart.")
    elif start.startswith("kopie:"):
        try:
            quelle, data = web.entwuerfe.load(start.removeprefix("kopie:"))
        except KeyError:
            return _liste_fehler(request, identity, "Der Entwurf für die Kopie wurde nicht gefunden.")
        if quelle.besitzer != identity.name:
            return _liste_fehler(request, identity, "Der Entwurf für die Kopie wurde nicht gefunden.")
        data.pop("anlagen", None) if any("datei" in a for a in data.get("anlagen", [])) else None
    elif start.startswith("auftrag:"):
        auftrag_id = start.removeprefix("auftrag:")
        try:
            auftrag = web.auftraege.get(auftrag_id)
            data = web.auftraege.input_of(auftrag_id)
        except KeyError:
            auftrag, data = None, {}
        if auftrag is None or auftrag.besitzer != identity.name or data.get("dokumentart") not in api.dokumentarten():
            return _liste_fehler(request, identity, "Der Auftrag für die Kopie wurde nicht gefunden.")
        anlagen_von = web.auftraege.folder(auftrag_id) / "anlagen"
    elif art not in api.dokumentarten():
        return _liste_fehler(request, identity, "Bitte eine Dokumentart wählen.")
    elif start == "beispiel":
        data = parse(api.example(art))
    else:
        data = {"dokumentart": art}
    notices = []
    if strip_freigabe(data):
        notices.append("Die Freigabe aus der Vorlage wurde entfernt; sie wird beim Siegeln neu gesetzt.")
    dropped = sorted(drop_unknown(_schema(str(data["dokumentart"])), data))
    if dropped:
        shown = ", ".join(dropped[:20]) + (f" und {len(dropped) - 20} weitere" if len(dropped) > 20 else "")
        notices.append(f"Diese Felder kennt das Formular nicht; sie wurden beim Import entfernt: {shown}.")
    notice = " ".join(notices)
    entwurf = web.entwuerfe.create(identity.name, str(data["dokumentart"]), data)
    if anlagen_von is not None and anlagen_von.is_dir():
        _copy_anlagen(web, entwurf, anlagen_von)
    return RedirectResponse(f"/entwuerfe/{entwurf.id}" + (f"?hinweis={quote(notice)}" if notice else ""),
                            status_code=303)


def _copy_anlagen(web: Web, entwurf: store.Entwurf, quelle: Path) -> None:
    """The PDF Anlagen of a job into the new draft (only plain files with the server's own names)."""
    ziel = web.entwuerfe.folder(entwurf.id) / "anlagen"
    for datei in sorted(quelle.iterdir()):
        if datei.is_file() and not datei.is_symlink() and re.fullmatch(r"anlage-[0-9a-f]{12}\.pdf", datei.name):
            shutil.copyfile(datei, ziel / datei.name)
            entwurf.anlagen[datei.name] = datei.name
    web.entwuerfe.update_meta(entwurf)


def _liste_fehler(request: Request, identity: Identity, text: str) -> Response:
    web = web_of(request)
    return page(request, "liste.html", status=400, titel="Meine Entwürfe", fehler=text,
                entwuerfe=web.entwuerfe.of_user(identity.name), auftraege=_auftraege(web, identity), arten=_arten())


# --- the form -------------------------------------------------------------------------------------

def _own(web: Web, identity: Identity, entwurf_id: str) -> tuple[store.Entwurf, dict[str, Any]] | None:
    try:
        entwurf, data = web.entwuerfe.load(entwurf_id)
    except KeyError:
        return None
    return (entwurf, data) if entwurf.besitzer == identity.name else None


@functools.lru_cache(maxsize=16)
def _schema(art: str) -> dict[str, Any]:
    """The self-contained schema of ``art`` (built once per process; read only)."""
    return json.loads(api.schema(art))  # type: ignore[no-any-return]


def place(schema: dict[str, Any], data: dict[str, Any], problems: list[Problem]) -> tuple[
        dict[str, list[str]], list[dict[str, str]]]:
    """Each problem at its field (or the nearest field above it) and as a summary line with a link."""
    if not problems:  # nothing to place: spare rendering the whole form once more just to learn its ids
        return {}, []
    walker = Walker(schema, data)
    walker.render()
    errors: dict[str, list[str]] = {}
    summary = []
    for problem in problems:
        target = problem.path
        while target and target not in walker.known:
            target = parent(target)
        if target:
            errors.setdefault(target, []).append(problem.message)
        anchor = walker.known.get(target) or ("b" + slug(target) if target else "")
        where = walker.labels.get(target, "Dokument") if target else "Dokument"
        summary.append({"pfad": problem.path, "meldung": problem.message, "anker": anchor, "ziel": target,
                        "feld": where})
    return errors, summary


def render_form(request: Request, entwurf: store.Entwurf, data: dict[str, Any], *, pruefung: Pruefung | None = None,
                fokus: str | None = None, hinweis: str | None = None, status: int = 200,
                konflikt: bool = False) -> Response:
    schema = _schema(entwurf.dokumentart)
    problems = pruefung.problems if pruefung else []
    errors, summary = place(schema, data, problems)
    walker = Walker(schema, data, errors=errors, fokus=fokus)
    felder = walker.render()
    return page(request, "formular.html", status=status, titel=entwurf.titel or "Neuer Entwurf", entwurf=entwurf,
                felder=felder, summary=summary, pruefung=pruefung, hinweis=hinweis, konflikt=konflikt,
                art_titel=schema.get("title", entwurf.dokumentart), eingaenge=_eingaenge(request, entwurf))


async def formular(request: Request, identity: Identity) -> Response:
    own = _own(web_of(request), identity, request.path_params["id"])
    if own is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht (oder er gehört jemand anderem).")
    entwurf, data = own
    return render_form(request, entwurf, data, fokus=request.query_params.get("fokus"),
                       hinweis=request.query_params.get("hinweis"))


def _safe_name(name: str) -> str:
    """An uploaded file's name, for display only (it never becomes a path)."""
    base = re.split(r"[\\/]", name)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:120] or "datei.pdf"


_ANLAGE_ROW = re.compile(r"/anlagen/([0-9]{1,5})")


def _take_uploads(web: Web, entwurf: store.Entwurf, form: FormData,
                  fields: dict[str, list[str]]) -> list[tuple[str, UploadFile]]:
    """The PDF uploads for existing Anlage rows, under names the server chose; nothing is written yet.

    Only ``_datei:/anlagen/<i>`` of a row the form has (``i`` below the row count and below
    ``max_anlagen``) is taken; the row's ``datei`` field and the draft's meta name the new file,
    which :func:`_write_uploads` stores once the draft was saved.
    """
    try:
        rows = int((fields.get("_anzahl:/anlagen") or ["0"])[-1])
    except ValueError:
        rows = 0
    limit = min(rows, web.settings.max_anlagen)
    chosen: dict[str, UploadFile] = {}
    for key, value in form.multi_items():
        row = _ANLAGE_ROW.fullmatch(key.removeprefix("_datei:")) if key.startswith("_datei:") else None
        if row is not None and int(row.group(1)) < limit and isinstance(value, UploadFile) and value.filename:
            chosen[row.group(0)] = value  # one file per row: the last one given
    taken = []
    for ptr, value in chosen.items():
        stored = f"anlage-{secrets.token_hex(6)}.pdf"  # the server's name; the user's name is only shown
        entwurf.anlagen[stored] = _safe_name(value.filename or "")
        fields[ptr + "/datei"] = [f"anlagen/{stored}"]
        taken.append((stored, value))
    return taken


async def _write_uploads(web: Web, entwurf: store.Entwurf, taken: list[tuple[str, UploadFile]]) -> None:
    folder = web.entwuerfe.folder(entwurf.id) / "anlagen"
    for stored, value in taken:
        store.write_atomic(folder / stored, await value.read(web.settings.max_upload_bytes + 1))


def _tidy_anlagen(web: Web, entwurf: store.Entwurf, data: dict[str, Any]) -> None:
    """Remove the draft's stored PDFs that the saved document no longer names (a row removed or replaced)."""
    named = {value["datei"].replace("\\", "/").rsplit("/", 1)[-1] for value in nodes(data)
             if isinstance(value, dict) and isinstance(value.get("datei"), str)}
    folder = web.entwuerfe.folder(entwurf.id) / "anlagen"
    for datei in folder.iterdir() if folder.is_dir() else []:
        if datei.name not in named and datei.is_file():
            datei.unlink(missing_ok=True)
    gone = [name for name in entwurf.anlagen if name not in named]
    if gone:
        for name in gone:
            del entwurf.anlagen[name]
        web.entwuerfe.update_meta(entwurf)


def _saved(web: Web, entwurf: store.Entwurf, data: dict[str, Any], fields: dict[str, list[str]]) -> int:
    try:
        version = int((fields.get("_version") or ["0"])[-1])
    except ValueError:
        version = 0
    web.entwuerfe.save(entwurf, data, version)
    return entwurf.version


async def speichern(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    own = _own(web, identity, request.path_params["id"])
    if own is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht (oder er gehört jemand anderem).")
    entwurf, _old = own
    form = await _form(request)
    fields = _fields(form)
    uploads = _take_uploads(web, entwurf, form, fields)
    schema = _schema(entwurf.dokumentart)
    reader = Reader(schema, fields, settings=web.settings)
    data = reader.document()
    action = (fields.get("_aktion") or ["speichern"])[-1]
    fokus = apply_action(data, action, schema) if ":" in action else None
    try:
        _saved(web, entwurf, data, fields)
    except store.Konflikt:  # nothing was saved: the uploads are not stored either
        return render_form(request, entwurf, data, status=409, konflikt=True)
    await _write_uploads(web, entwurf, uploads)
    _tidy_anlagen(web, entwurf, data)
    if ":" in action:
        # no #fragment: a page opened at a fragment skips autofocus, and the focus belongs in the new row
        return RedirectResponse(f"/entwuerfe/{entwurf.id}?fokus={quote(fokus or '')}",
                                status_code=303)
    pruefung = await _check(web, entwurf)
    pruefung.problems = reader.problems + pruefung.problems
    if action == "vorschau" and pruefung.gueltig:
        return RedirectResponse(f"/entwuerfe/{entwurf.id}/vorschau", status_code=303)
    if action == "posteingang" and pruefung.gueltig:
        return await _posteingang(request, web, entwurf, data)
    if action == "siegeln" and pruefung.gueltig:
        return await _siegeln(request, web, identity, entwurf, data, fields)
    hinweis = "Gespeichert. Keine Fehler gefunden." if pruefung.gueltig else None
    return render_form(request, entwurf, data, pruefung=pruefung, hinweis=hinweis,
                       status=200 if pruefung.gueltig else 422)


async def _check(web: Web, entwurf: store.Entwurf) -> Pruefung:
    return await to_thread.run_sync(check_file, web.entwuerfe.folder(entwurf.id) / "entwurf.json", web.settings)


async def live(request: Request, identity: Identity) -> Response:
    """Autosave and check (JavaScript): the messages per field and the new version."""
    web = web_of(request)
    own = _own(web, identity, request.path_params["id"])
    if own is None:
        return JSONResponse({"fehler": "Entwurf nicht gefunden."}, status_code=404)
    entwurf, _old = own
    fields = _fields(await _form(request))
    reader = Reader(_schema(entwurf.dokumentart), fields, settings=web.settings)
    data = reader.document()
    try:
        version = _saved(web, entwurf, data, fields)
    except store.Konflikt as exc:
        return JSONResponse({"konflikt": True, "meldung": _KONFLIKT, "version": exc.aktuell}, status_code=409)
    _tidy_anlagen(web, entwurf, data)
    pruefung = await _check(web, entwurf)
    problems = reader.problems + pruefung.problems
    if pruefung.general:
        problems.append(Problem("", pruefung.general, "allgemein"))
    _errors, summary = place(_schema(entwurf.dokumentart), data, problems)
    return JSONResponse({"version": version, "gueltig": not problems, "probleme": summary},
                        headers=SECURITY_HEADERS)


_KONFLIKT = ("Dieser Entwurf wurde inzwischen an anderer Stelle (z. B. in einem anderen Tab) gespeichert. Ihre "
             "Änderungen hier wurden NICHT gespeichert. Bitte die Seite neu laden und die Änderungen erneut "
             "eintragen.")


async def export(request: Request, identity: Identity) -> Response:
    own = _own(web_of(request), identity, request.path_params["id"])
    if own is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht.")
    entwurf, data = own
    return Response(dumps(data) + "\n", media_type="application/json", headers={
        **SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{entwurf.dokumentart}-{entwurf.id}.json"'})


async def loeschen(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    if _own(web, identity, request.path_params["id"]) is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht.")
    web.entwuerfe.delete(request.path_params["id"])
    return RedirectResponse("/?hinweis=" + quote("Entwurf gelöscht."), status_code=303)


# --- preview --------------------------------------------------------------------------------------

async def vorschau(request: Request, identity: Identity) -> Response:
    own = _own(web_of(request), identity, request.path_params["id"])
    if own is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht.")
    entwurf, _data = own
    return page(request, "vorschau.html", titel="Vorschau (ENTWURF)", entwurf=entwurf)


async def vorschau_pdf(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    own = _own(web, identity, request.path_params["id"])
    if own is None:
        return error_page(request, 404, "Diesen Entwurf gibt es nicht.")
    entwurf, data = own
    try:
        pdf = await to_thread.run_sync(web.service.preview, web.entwuerfe.folder(entwurf.id), data)
    except DocgenError as exc:
        return error_page(request, 422, "Die Vorschau ist nicht möglich: " + exc.message)
    return Response(pdf, media_type="application/pdf", headers={
        **SECURITY_HEADERS, "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
        "Content-Disposition": 'inline; filename="vorschau-ENTWURF.pdf"'})


# --- hand in: inbox, seal -------------------------------------------------------------------------

async def _posteingang(request: Request, web: Web, entwurf: store.Entwurf, data: dict[str, Any]) -> Response:
    """JSON and its Anlagen into the inbox, atomically: Anlagen folder first, then the JSON by rename."""
    stem = f"web-{entwurf.id}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S')}"
    inbox = web.settings.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    data = parse(dumps(data))
    strip_freigabe(data)  # the hot folder seals what carries freigabe: sealing goes through "Freigeben und siegeln"
    source_dir = web.entwuerfe.folder(entwurf.id)
    files = [a for a in data.get("anlagen", []) if isinstance(a, dict) and "datei" in a]
    if files:
        tmp_dir = inbox / f".{stem}.tmp"
        tmp_dir.mkdir()
        for anlage in files:
            name = Path(str(anlage["datei"])).name
            shutil.copyfile(source_dir / "anlagen" / name, tmp_dir / name)
            anlage["datei"] = f"{stem}-anlagen/{name}"
        os.replace(tmp_dir, inbox / f"{stem}-anlagen")
    tmp = inbox / f".{stem}.json.tmp"
    write_input(inbox, data, tmp.name)
    os.replace(tmp, inbox / f"{stem}.json")
    entwurf.eingaenge.append({"datei": f"{stem}.json", "zeit": store.now()})
    web.entwuerfe.update_meta(entwurf)
    return RedirectResponse(f"/entwuerfe/{entwurf.id}?hinweis=" + quote(f"In den Posteingang gelegt: {stem}.json"),
                            status_code=303)


def _eingaenge(request: Request, entwurf: store.Entwurf) -> list[dict[str, str]]:
    if not entwurf.eingaenge:
        return []
    report = api.status(web_of(request).settings, 200)
    states = {row.input_name: row for row in reversed(report.recent)}
    shown = []
    for eingang in entwurf.eingaenge:
        row = states.get(eingang["datei"])
        state = row.state if row else ("wartend" if eingang["datei"] in report.waiting else "genommen")
        detail = (row.error_message or "").splitlines()[0] if row and row.error_message else ""
        shown.append({"datei": eingang["datei"], "zeit": eingang["zeit"], "zustand": ZUSTAENDE.get(state, state),
                      "detail": detail})
    return shown


async def _siegeln(request: Request, web: Web, identity: Identity, entwurf: store.Entwurf, data: dict[str, Any],
                   fields: dict[str, list[str]]) -> Response:
    if not identity.darf_siegeln:
        return error_page(request, 403, "Siegeln darf nur die Rolle „freigabe“. Es wurde nichts erzeugt.")
    zusatz = (fields.get("_freigabe_zusatz") or ["Im Auftrag"])[-1]
    funktion = (fields.get("_freigabe_funktion") or [""])[-1].strip()
    sealed = parse(dumps(data))
    unterzeichnung = {"zusatz": zusatz if zusatz in ("Im Auftrag", "In Vertretung", "") else "Im Auftrag",
                      "name": identity.name, "datum": heute(web.settings.zeitzone).isoformat()}
    if funktion:
        unterzeichnung["funktion"] = funktion
    sealed["freigabe"] = {"mitzeichnungen": [], "unterzeichnung": unterzeichnung}
    scratch = web.service.scratch()
    source_dir = web.entwuerfe.folder(entwurf.id)
    shutil.copytree(source_dir / "anlagen", scratch / "anlagen")
    write_input(scratch, sealed)
    pruefung = await to_thread.run_sync(check_file, scratch / "entwurf.json", web.settings)
    if not pruefung.gueltig:
        shutil.rmtree(scratch, ignore_errors=True)
        return render_form(request, entwurf, data, pruefung=pruefung, status=422)
    auftrag = jobs.start(web.service, web.auftraege, identity.name, scratch, gesiegelt_von=identity.name)
    return RedirectResponse(f"/auftraege/{auftrag.id}", status_code=303)


async def auftrag_seite(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    try:
        auftrag = web.auftraege.get(request.path_params["id"])
    except KeyError:
        auftrag = None
    if auftrag is None or (auftrag.besitzer != identity.name and not identity.ist_admin):
        return error_page(request, 404, "Diesen Auftrag gibt es nicht.")
    return page(request, "auftrag.html", titel="Auftrag", auftrag=jobs.as_json(auftrag, web.settings.zeitzone),
                laeuft=auftrag.zustand in ("wartend", "laeuft"))


async def auftrag_paket(request: Request, identity: Identity) -> Response:
    web = web_of(request)
    try:
        auftrag = web.auftraege.get(request.path_params["id"])
    except KeyError:
        return error_page(request, 404, "Diesen Auftrag gibt es nicht.")
    if auftrag.besitzer != identity.name and not identity.ist_admin:
        return error_page(request, 404, "Diesen Auftrag gibt es nicht.")
    paket = auftrag.ergebnis.get("paket")
    if auftrag.zustand != "fertig" or not paket:
        return error_page(request, 409, jobs.ohne_paket(auftrag.zustand))
    return FileResponse(paket, media_type="application/pdf", filename=Path(paket).name, headers=SECURITY_HEADERS)


# --- admin ----------------------------------------------------------------------------------------

async def verwaltung(request: Request, identity: Identity) -> Response:
    if not identity.ist_admin:
        return error_page(request, 403, "Diese Seite ist nur für die Rolle „admin“.")
    report = await to_thread.run_sync(api.status, web_of(request).settings, 50)
    return page(request, "verwaltung.html", titel="Posteingang (Hot-Folder)", report=report)


def routes() -> list[BaseRoute]:
    return [
        Route("/anmelden", anmelden_form),
        Route("/anmelden", anmelden, methods=["POST"]),
        Route("/abmelden", ui_route(abmelden), methods=["POST"]),
        Route("/", ui_route(liste)),
        Route("/entwuerfe", ui_route(neu), methods=["POST"]),
        Route("/entwuerfe/{id}", ui_route(formular)),
        Route("/entwuerfe/{id}", ui_route(speichern), methods=["POST"]),
        Route("/entwuerfe/{id}/pruefen", ui_route(live), methods=["POST"]),
        Route("/entwuerfe/{id}/export", ui_route(export)),
        Route("/entwuerfe/{id}/loeschen", ui_route(loeschen), methods=["POST"]),
        Route("/entwuerfe/{id}/vorschau", ui_route(vorschau)),
        Route("/entwuerfe/{id}/vorschau.pdf", ui_route(vorschau_pdf)),
        Route("/auftraege/{id}", ui_route(auftrag_seite)),
        Route("/auftraege/{id}/paket", ui_route(auftrag_paket)),
        Route("/verwaltung", ui_route(verwaltung)),
    ]


__all__ = ["Markup", "error_page", "routes"]
