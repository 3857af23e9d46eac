"""Drafts and jobs of docgen web on disk, in the state directory.

``web/entwuerfe/<id>/``: ``entwurf.json`` (the input as the form built it), ``meta.json`` (owner,
version, times, original Anlage names) and ``anlagen/`` (uploaded PDFs under names the server
chose). ``web/auftraege/<id>/``: a job of the HTTP API or a seal from the form, with its state.
Every file is written under a temporary name and renamed into place. A version number per draft
turns a save from an older tab into a conflict instead of a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docgen.settings import Settings
from docgen.web import jsontext
from docgen.web.users import web_dir

_ID = re.compile(r"^[0-9a-f]{16}$")
_LOCK = threading.Lock()


class Konflikt(Exception):
    """The draft was saved elsewhere (another tab) since this form was loaded."""

    def __init__(self, aktuell: int) -> None:
        super().__init__(aktuell)
        self.aktuell = aktuell


def new_id() -> str:
    return secrets.token_hex(8)


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class Entwurf:
    id: str
    besitzer: str
    dokumentart: str
    titel: str = ""
    version: int = 0
    angelegt: str = ""
    geaendert: str = ""
    anlagen: dict[str, str] = field(default_factory=dict)  # stored file name → name the user uploaded
    eingaenge: list[dict[str, str]] = field(default_factory=list)  # hand-ins to the inbox

    @property
    def ordner_name(self) -> str:
        return self.id


class Entwuerfe:
    """All drafts; each belongs to one user."""

    def __init__(self, settings: Settings) -> None:
        self.root = web_dir(settings) / "entwuerfe"
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, entwurf_id: str) -> Path:
        if not valid_id(entwurf_id):
            raise KeyError(entwurf_id)
        return self.root / entwurf_id

    def create(self, besitzer: str, dokumentart: str, data: dict[str, Any]) -> Entwurf:
        entwurf = Entwurf(new_id(), besitzer, dokumentart, angelegt=now())
        folder = self.folder(entwurf.id)
        (folder / "anlagen").mkdir(parents=True)
        self._write(entwurf, data)
        return entwurf

    def meta(self, entwurf_id: str) -> Entwurf:
        try:
            raw = json.loads((self.folder(entwurf_id) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(entwurf_id) from None
        return Entwurf(**raw)

    def load(self, entwurf_id: str) -> tuple[Entwurf, dict[str, Any]]:
        entwurf = self.meta(entwurf_id)
        data = jsontext.parse((self.folder(entwurf_id) / "entwurf.json").read_text(encoding="utf-8"))
        return entwurf, data

    def save(self, entwurf: Entwurf, data: dict[str, Any], version: int) -> Entwurf:
        """Save when ``version`` is still the stored one; otherwise raise Konflikt."""
        with _LOCK:
            current = self.meta(entwurf.id)
            if current.version != version:
                raise Konflikt(current.version)
            entwurf.version = current.version
            self._write(entwurf, data)
        return entwurf

    def _write(self, entwurf: Entwurf, data: dict[str, Any]) -> None:
        folder = self.folder(entwurf.id)
        entwurf.version += 1
        entwurf.geaendert = now()
        entwurf.titel = titel_von(data)
        write_atomic(folder / "entwurf.json", (jsontext.dumps(data) + "\n").encode("utf-8"))
        write_atomic(folder / "meta.json", json.dumps(asdict(entwurf), ensure_ascii=False, indent=2).encode())

    def update_meta(self, entwurf: Entwurf) -> None:
        with _LOCK:
            write_atomic(self.folder(entwurf.id) / "meta.json",
                         json.dumps(asdict(entwurf), ensure_ascii=False, indent=2).encode())

    def of_user(self, besitzer: str) -> list[Entwurf]:
        found = []
        for folder in self.root.iterdir():
            try:
                entwurf = self.meta(folder.name)
            except KeyError:
                continue
            if entwurf.besitzer == besitzer:
                found.append(entwurf)
        return sorted(found, key=lambda e: e.geaendert, reverse=True)

    def delete(self, entwurf_id: str) -> None:
        shutil.rmtree(self.folder(entwurf_id), ignore_errors=True)


def titel_von(data: dict[str, Any]) -> str:
    """A short title for lists: the Betreff, a name or the dokumentart."""
    for path in (("vorlage", "betreff"), ("titel",), ("zuwendungszweck",), ("traeger", "name"),
                 ("zuwendungsempfaenger",), ("foerderprogramm",)):
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()[:120]
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return str(value["name"])[:120]
    return ""


@dataclass
class Auftrag:
    id: str
    besitzer: str
    zustand: str = "wartend"  # wartend, laeuft, fertig, fehlgeschlagen
    angelegt: str = ""
    beendet: str | None = None
    gesiegelt_von: str | None = None
    ergebnis: dict[str, Any] = field(default_factory=dict)
    fehler: list[dict[str, str]] = field(default_factory=list)


class Auftraege:
    def __init__(self, settings: Settings) -> None:
        self.root = web_dir(settings) / "auftraege"
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, auftrag_id: str) -> Path:
        if not valid_id(auftrag_id):
            raise KeyError(auftrag_id)
        return self.root / auftrag_id

    def put(self, auftrag: Auftrag) -> None:
        folder = self.folder(auftrag.id)
        folder.mkdir(exist_ok=True)
        write_atomic(folder / "auftrag.json", json.dumps(asdict(auftrag), ensure_ascii=False, indent=2).encode())

    def get(self, auftrag_id: str) -> Auftrag:
        try:
            raw = json.loads((self.folder(auftrag_id) / "auftrag.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(auftrag_id) from None
        return Auftrag(**raw)

    def of_user(self, besitzer: str) -> list[Auftrag]:
        """The user's jobs, newest first."""
        found = []
        for folder in self.root.iterdir():
            try:
                auftrag = self.get(folder.name)
            except KeyError:
                continue
            if auftrag.besitzer == besitzer:
                found.append(auftrag)
        return sorted(found, key=lambda a: a.angelegt, reverse=True)

    def input_of(self, auftrag_id: str) -> dict[str, Any]:
        """The input document the job was started with (raises KeyError if it is gone)."""
        source = self.folder(auftrag_id) / f"auftrag-{auftrag_id}.json"
        try:
            data = jsontext.parse(source.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(auftrag_id) from None
        if not isinstance(data, dict):
            raise KeyError(auftrag_id)
        return data
