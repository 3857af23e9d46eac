"""Jobs of docgen web: one input through the whole pipeline into the outbox, in the background.

Used by ``POST /api/auftraege`` and by "Freigeben und siegeln". The state lives in
``web/auftraege/<id>/auftrag.json`` (``wartend`` → ``laeuft`` → ``fertig`` | ``fehlgeschlagen``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from docgen import api
from docgen.errors import DocgenError, InvalidInput
from docgen.formatting import zeit_iso
from docgen.web import store
from docgen.web.service import Service

log = logging.getLogger("docgen.web")


def start(service: Service, auftraege: store.Auftraege, besitzer: str, scratch: Path, *,
          gesiegelt_von: str | None = None) -> store.Auftrag:
    """Adopt the checked input folder ``scratch`` (with ``entwurf.json``) as a new job and run it."""
    auftrag = store.Auftrag(store.new_id(), besitzer, angelegt=store.now(), gesiegelt_von=gesiegelt_von)
    folder = auftraege.folder(auftrag.id)
    shutil.move(str(scratch), folder)
    source = folder / f"auftrag-{auftrag.id}.json"
    (folder / "entwurf.json").rename(source)
    auftraege.put(auftrag)
    service.executor.submit(_run, service, auftraege, auftrag, source)
    return auftrag


def _run(service: Service, auftraege: store.Auftraege, auftrag: store.Auftrag, source: Path) -> None:
    auftrag.zustand = "laeuft"
    auftraege.put(auftrag)
    try:
        result = service.render(source, service.settings.outbox, auftrag.gesiegelt_von)
        ergebnis: dict[str, Any] = {
            "paket": str(result.pdf) if result.pdf else None, "gesiegelt": result.sealed, "seiten": result.pages,
            "beleg": str(result.receipt) if result.receipt else None,
            "hinweise": [p.as_dict() for p in result.warnings]}
        if result.sealed and result.pdf is not None:
            verdict = api.verify(result.pdf, service.settings)
            ergebnis["pruefung"] = {"gueltig": verdict.ok, "zeilen": verdict.lines}
        auftrag.ergebnis = ergebnis
        auftrag.zustand = "fertig"
    except InvalidInput as exc:
        auftrag.zustand = "fehlgeschlagen"
        auftrag.fehler = [p.as_dict() for p in exc.problems]
    except DocgenError as exc:
        auftrag.zustand = "fehlgeschlagen"
        auftrag.fehler = [{"pfad": "", "meldung": exc.message, "code": f"exit.{int(exc.exit_code)}",
                           "stufe": "error"}]
    except Exception:  # a bug: the job fails with a message, the app goes on
        log.exception("Auftrag %s: interner Fehler", auftrag.id)
        auftrag.zustand = "fehlgeschlagen"
        auftrag.fehler = [{"pfad": "", "meldung": "Interner Fehler in docgen; bitte melden.", "code": "exit.1",
                           "stufe": "error"}]
    auftrag.beendet = store.now()
    auftraege.put(auftrag)


def as_json(auftrag: store.Auftrag, zone: str) -> dict[str, Any]:
    """The job for ``GET /api/auftraege/{id}``; its times (stored in UTC) in ISO 8601 with the offset of
    the time zone ``zone`` (the setting ``zeitzone``)."""
    result: dict[str, Any] = {"id": auftrag.id, "zustand": auftrag.zustand,
                              "angelegt": zeit_iso(auftrag.angelegt, zone), "beendet": zeit_iso(auftrag.beendet, zone),
                              "gesiegelt_von": auftrag.gesiegelt_von}
    if auftrag.zustand == "fertig":
        ergebnis = dict(auftrag.ergebnis)
        for key in ("paket", "beleg"):
            if ergebnis.get(key):
                ergebnis[key] = Path(ergebnis[key]).name
        result["ergebnis"] = ergebnis
    if auftrag.fehler:
        result["fehler"] = auftrag.fehler
    return result


def ohne_paket(zustand: str) -> str:
    """Why a job has no bundle to download (yet), as a sentence: never the stored state name ("laeuft")."""
    if zustand in ("wartend", "laeuft"):
        verb = "wartet noch" if zustand == "wartend" else "läuft noch"
        return f"Der Auftrag {verb}; ein Paket gibt es erst, wenn er fertig ist."
    if zustand == "fehlgeschlagen":
        return "Der Auftrag ist fehlgeschlagen und hat kein Paket erzeugt; die Gründe stehen beim Auftrag."
    return "Der Auftrag hat kein Paket erzeugt."
