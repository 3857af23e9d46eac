"""``docgen oparl FILE``: a Beschlussvorlage as OParl 1.1 objects for a Ratsinformationssystem.

The mapping (docs/domain.md, OParl; the field lists of OParl 1.1, repository OParl/spec):

- ``Paper``: ``name`` = Betreff, ``reference`` = Vorlagen-Nr., ``date`` = Datum der Vorlage,
  ``paperType`` = Vorlagenart, ``underDirectionOf`` = the federführende Amt, ``body`` = the
  Körperschaft, ``relatedPaper`` = the earlier Vorlagen in ``vorlage.bezug`` (when the input has them);
- ``consultation``: one ``Consultation`` per entry of the Beratungsfolge, in order: ``role`` =
  Zuständigkeit, ``authoritative`` = true only for the Entscheidung, ``organization`` = the Gremium;
- ``mainFile``: the bundle as ``File`` (``application/pdf``); with the rendered bundle
  (``paket``) also ``size`` and ``sha512Checksum``, after the bundle was checked against the
  SHA-256 and size its receipt records (OParl 1.1 has no SHA-256 field);
- ``auxiliaryFile``: every public Anlage as ``File``; Anlagen marked ``"oeffentlich": false``
  are left out, as they are left out of the public bundle;
- the Gremien and the federführende Amt as ``Organization`` objects (``organizationType``
  "Gremium" or "Verwaltungsbereich"), because OParl refers to organisations by URL.

Every ``id`` is a URL under ``basis_url``; the file URLs follow the OParl example
(``…/file/<name>`` for the object, ``…/file/<name>.pdf`` for the file itself). Absent values
are left out, never written as ``null`` or ``""`` (OParl 1.1, JSON-Ausgabe). ``created`` and
``modified`` (required in OParl 1.1 for every object) are the receipt's time when the bundle is
given, else the time of the call, in the setting ``zeitzone``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docgen.errors import ConfigError, FileAccessError, InvalidInput, Problem, SealError, oserror_text
from docgen.settings import Settings
from docgen.stages.render import koerperschaft_for
from docgen.stages.validate import validate_file

__all__ = ["DEFAULT_BASIS_URL", "SCHEMA", "OParlExport", "oparl_export"]

DEFAULT_BASIS_URL = "https://ris.example.invalid/oparl/v1"
SCHEMA = "https://schema.oparl.org/1.1/"
ENTSCHEIDUNG = "Entscheidung"
DOKUMENTART = "beschlussvorlage"
PDF = "application/pdf"

_UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


@dataclass(frozen=True)
class OParlExport:
    """The Paper (with its Consultations and Files embedded) and the Organizations it refers to."""

    paper: dict[str, Any]
    organizations: list[dict[str, Any]]
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"paper": self.paper, "organization": self.organizations}

    def text(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n"


def slug(text: str) -> str:
    """A URL path segment: lower case, umlauts spelt out, everything else as '-'."""
    plain = unicodedata.normalize("NFKD", text.translate(_UMLAUTE)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"


def check_basis_url(url: str) -> str:
    """The base URL without a trailing slash; anything but an http(s) URL is a configuration error."""
    url = url.strip().rstrip("/")
    if not _URL.match(url):
        raise ConfigError(f"--basis-url {url!r} ist keine gültige Adresse (erwartet z. B. {DEFAULT_BASIS_URL}).")
    return url


@dataclass(frozen=True)
class _Bundle:
    name: str
    size: int
    sha512: str
    created: str
    draft: bool


def _read_bundle(paket: Path, raw_input: bytes, input_name: str) -> _Bundle:
    """The bundle checked against its receipt (``<name>.receipt.json`` beside it) and the input."""
    receipt_path = paket.with_suffix(".receipt.json")
    try:
        data = paket.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"{paket}: Paket nicht lesbar ({oserror_text(exc)}).") from exc
    try:
        receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FileAccessError(f"{receipt_path}: der Beleg zum Paket fehlt oder ist nicht lesbar "
                              f"({oserror_text(exc)}). Er liegt nach „docgen render“ neben dem Paket.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise SealError(f"{receipt_path}: der Beleg ist kein gültiges JSON ({exc}).") from exc
    outputs = receipt.get("erzeugnisse") or receipt.get("ausgaben") or {}
    recorded = outputs.get("paket") if isinstance(outputs, dict) else None
    if not isinstance(recorded, dict) or "sha256" not in recorded or "bytes" not in recorded:
        raise SealError(f"{receipt_path}: der Beleg nennt keine Prüfsumme des Pakets.")
    if hashlib.sha256(data).hexdigest() != recorded["sha256"] or len(data) != recorded["bytes"]:
        raise SealError(f"{paket.name}: das Paket stimmt nicht mit seinem Beleg überein (Prüfsumme oder Größe "
                        "weichen ab); es wurde nach dem Erzeugen verändert oder ausgetauscht. Bitte das Paket "
                        "neu erzeugen oder mit „docgen verify“ prüfen.")
    entered = receipt.get("eingabe", {}).get("sha256") if isinstance(receipt.get("eingabe"), dict) else None
    if entered != hashlib.sha256(raw_input).hexdigest():
        raise InvalidInput(input_name, [Problem(
            "", f"das Paket {paket.name} wurde nicht aus dieser Eingabe erzeugt (laut Beleg aus "
            f"„{receipt.get('eingabe', {}).get('datei', '?')}“ mit anderem Inhalt). Bitte das passende Paket "
            "angeben oder die Eingabe neu erzeugen.", "oparl.paket_fremd")])
    return _Bundle(paket.name, len(data), hashlib.sha512(data).hexdigest(), str(receipt.get("erzeugt_am", "")),
                   receipt.get("status") == "entwurf")


def _file(file_id: str, name: str, file_name: str, day: str, stamps: dict[str, str]) -> dict[str, Any]:
    return {"id": file_id, "type": SCHEMA + "File", "name": name, "fileName": file_name, "mimeType": PDF,
            "date": day, "accessUrl": file_id + ".pdf", **stamps}


def oparl_export(path: Path, settings: Settings, *, basis_url: str = DEFAULT_BASIS_URL,
                 paket: Path | None = None, now: dt.datetime | None = None) -> OParlExport:
    """The Beschlussvorlage in ``path`` as OParl 1.1 objects; raises InvalidInput for any other input."""
    base = check_basis_url(basis_url)
    job = validate_file(path, settings)
    if job.document.name != DOKUMENTART:
        raise InvalidInput(path.name, [Problem(
            "/dokumentart", f"„docgen oparl“ schreibt nur Beschlussvorlagen als OParl-Drucksache; diese Datei "
            f"ist ein Dokument der Art „{job.document.title}“ (dokumentart „{job.document.name}“).",
            "oparl.dokumentart")])
    data: Mapping[str, Any] = job.data
    vorlage = data["vorlage"]
    warnings = list(job.warnings)
    bundle = _read_bundle(paket, job.raw, path.name) if paket is not None else None
    moment = bundle.created if bundle and bundle.created else (
        (now or dt.datetime.now(ZoneInfo(settings.zeitzone))).replace(microsecond=0).isoformat())
    stamps = {"created": moment, "modified": moment}

    paper_slug = slug(vorlage["nummer"])
    paper_id = f"{base}/paper/{paper_slug}"
    organizations: dict[str, dict[str, Any]] = {}
    body_name = koerperschaft_for(data, settings).name
    body = f"{base}/body/{slug(body_name)}" if body_name else None

    def organization(name: str, kind: str) -> str:
        org_id = f"{base}/organization/{slug(name)}"
        if org_id not in organizations:
            organizations[org_id] = {"id": org_id, "type": SCHEMA + "Organization", **({"body": body} if body else {}),
                                     "name": name, "organizationType": kind, **stamps}
        return org_id

    lead = organization(str(vorlage["federfuehrend"]), "Verwaltungsbereich")
    consultations = [
        {"id": f"{base}/consultation/{paper_slug}-{i}", "type": SCHEMA + "Consultation",
         "organization": [organization(str(b["gremium"]), "Gremium")],
         "authoritative": b["zustaendigkeit"] == ENTSCHEIDUNG, "role": b["zustaendigkeit"], **stamps}
        for i, b in enumerate(data["beratungsfolge"], start=1)
    ]

    main_name = bundle.name if bundle else f"{path.stem}.pdf"
    main = _file(f"{base}/file/{paper_slug}", job.document.reference(data), main_name, vorlage["datum"], stamps)
    if bundle is not None:
        main = {**main, "size": bundle.size, "sha512Checksum": bundle.sha512}
        if bundle.draft:
            warnings.append(Problem("", f"das Paket {bundle.name} ist ein ENTWURF (nicht freigegeben, nicht "
                                    "gesiegelt); bitte erst das freigegebene Paket veröffentlichen.",
                                    "oparl.entwurf", "warning"))
    auxiliary = []
    for number, anlage in enumerate(data.get("anlagen", []), start=1):
        if anlage.get("oeffentlich", True) is False:
            warnings.append(Problem(f"/anlagen/{number - 1}", f"Anlage {number} „{anlage['titel']}“ ist nicht "
                                    "öffentlich und fehlt deshalb in auxiliaryFile.", "oparl.anlage_intern",
                                    "warning"))
            continue
        file_slug = f"{paper_slug}-anlage-{number}"
        file_name = Path(anlage["datei"]).name if anlage.get("datei") else f"{file_slug}.pdf"
        auxiliary.append(_file(f"{base}/file/{file_slug}", f"Anlage {number}: {anlage['titel']}", file_name,
                               vorlage["datum"], stamps))
    if not vorlage["oeffentlich"]:
        warnings.append(Problem("/vorlage/oeffentlich", "die Vorlage ist nichtöffentlich: die OParl-Daten "
                                "gehören nicht in ein öffentliches Bürgerinfoportal.", "oparl.nichtoeffentlich",
                                "warning"))

    paper: dict[str, Any] = {"id": paper_id, "type": SCHEMA + "Paper"}
    if body:
        paper["body"] = body
    paper |= {"name": vorlage["betreff"], "reference": vorlage["nummer"], "date": vorlage["datum"],
              "paperType": vorlage["art"]}
    related = [f"{base}/paper/{slug(str(b['nummer']))}" for b in vorlage.get("bezug", [])
               if isinstance(b, Mapping) and b.get("nummer")]
    if related:
        paper["relatedPaper"] = related
    paper |= {"mainFile": main, **({"auxiliaryFile": auxiliary} if auxiliary else {}),
              "underDirectionOf": [lead], "consultation": consultations, **stamps}
    return OParlExport(paper, list(organizations.values()), warnings)
