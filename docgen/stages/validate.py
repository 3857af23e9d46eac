"""Stage 1, validate: JSON file → checked job data, or every problem at once.

JSON is parsed with ``Decimal`` for numbers (money is never a float); a UTF-8
byte-order mark is accepted, UTF-16 and binary files are named as such. Values
that parse but mean nothing are refused with their path: ``NaN``/``Infinity``,
numbers with more than 15 digits before the point, and lone UTF-16 surrogates
(``\\ud800``), which no later stage could write as UTF-8. The document is then
checked against its JSON Schema (Draft 2020-12, formats checked) and against the
domain rules of its document type. All problems are collected and reported with
their JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from docgen import documents
from docgen.errors import FileAccessError, InvalidInput, Problem
from docgen.model import DocumentType, Job, Part
from docgen.schemas import pointer, schema_problems, show
from docgen.settings import Settings
from docgen.stages.anlagen import check_pdf, resolve

__all__ = ["check_data", "collect_parts", "parse_json", "pointer", "read_input", "show", "validate_file"]


def read_input(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes; files above ``limit`` bytes are refused unread (exit 4)."""
    try:
        if limit is not None and path.stat().st_size > limit:
            raise InvalidInput(path.name, [Problem(
                "", f"die Datei ist {path.stat().st_size / 1e6:.1f} MB groß; erlaubt sind höchstens "
                f"{limit / 1e6:.1f} MB (Einstellung max_input_bytes). Große Inhalte bitte als PDF-Anlage "
                "beifügen.", "eingabe.zu_gross")])
        if not path.is_file() and path.exists():
            raise FileAccessError(f"{path}: ist keine gewöhnliche Datei.")
        return path.read_bytes()
    except FileNotFoundError:
        raise FileAccessError(f"{path}: Datei nicht gefunden.") from None
    except IsADirectoryError:
        raise FileAccessError(f"{path}: ist ein Ordner, keine JSON-Datei.") from None
    except PermissionError:
        raise FileAccessError(
            f"{path}: keine Leseberechtigung. Bitte die Dateirechte prüfen."
        ) from None
    except OSError as exc:
        raise FileAccessError(f"{path}: Datei nicht lesbar ({exc.strerror}).") from None


def parse_json(raw: bytes, filename: str) -> Any:
    """Parse UTF-8 JSON (BOM accepted) with Decimal numbers, or raise InvalidInput."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise InvalidInput(filename, [Problem("", "die Datei ist leer (erwartet ein JSON-Objekt).", "json.leer")])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(raw):
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte als „UTF-8“ speichern.",
            "json.kodierung")])
    if b"\x00" in raw:
        # JSON text never holds a NUL byte (not even inside strings): this is no text file.
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist keine Textdatei (sie enthält Binärdaten, z. B. ein PDF, Bild oder Archiv); "
            "erwartet wird JSON-Text in UTF-8.", "json.binaer")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(filename, [Problem(
            "", f"Zeile {line}: die Datei ist nicht UTF-8-kodiert (vermutlich Windows-1252). "
            "Bitte im Editor als „UTF-8“ speichern.", "json.kodierung")]) from None
    try:
        data = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_Unusable.constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(filename, [Problem(
            "", f"Zeile {exc.lineno}, Spalte {exc.colno}: kein gültiges JSON ({_json_reason(exc.msg)}).",
            "json.syntax")]) from None
    except RecursionError:
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist zu tief verschachtelt.", "json.verschachtelung")]) from None
    problems = _unusable_values(data)
    if problems:
        raise InvalidInput(filename, problems)
    return data


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte of the (mostly ASCII) text is NUL."""
    head = raw[:400]
    pairs = len(head) // 2
    return pairs > 0 and max(head[0::2].count(0), head[1::2].count(0)) > pairs // 2


# Numbers in these documents are amounts, counts, years and shares; one with more digits before the
# decimal point than this is a typo or an attack (1e999999999 would stall Decimal arithmetic).
MAX_INTEGER_DIGITS = 15
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class _Unusable:
    """Stands in for a JSON value docgen refuses, so the problem can be reported with its path."""

    text: str
    message: str
    code: str

    @classmethod
    def constant(cls, name: str) -> _Unusable:
        return cls(name, f"{name} ist kein gültiger JSON-Wert (erwartet eine Zahl wie 12.5).", "json.zahl")

    @classmethod
    def too_big(cls, text: str) -> _Unusable:
        shown = text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text)} Zeichen)"
        return cls(text, f"die Zahl {shown} ist zu groß (höchstens {MAX_INTEGER_DIGITS} Stellen vor dem Komma).",
                   "json.zahl")


def _parse_int(text: str) -> int | _Unusable:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:  # before int(): 5,000 digits raise ValueError there
        return _Unusable.too_big(text)
    return int(text)


def _parse_float(text: str) -> Decimal | _Unusable:
    value = Decimal(text)
    if value and (value.adjusted() >= MAX_INTEGER_DIGITS or value.adjusted() < -MAX_INTEGER_DIGITS * 2):
        return _Unusable.too_big(text) if value.adjusted() > 0 else _Unusable(
            text, f"die Zahl {show(value)} ist zu klein, um sinnvoll zu sein (Tippfehler?).", "json.zahl")
    return value


def _escaped(text: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _unusable_values(data: Any) -> list[Problem]:
    """Refused numbers and strings with lone surrogates (\\ud800: no character, not writable as UTF-8)."""
    problems: list[Problem] = []
    stack: list[tuple[str, Any]] = [("", data)]  # iterative: the data may be nested ~1,000 deep
    while stack and len(problems) < 20:
        path, value = stack.pop()
        if isinstance(value, _Unusable):
            problems.append(Problem(path, value.message, value.code))
        elif isinstance(value, str) and _SURROGATE.search(value):
            found = ", ".join(sorted({_escaped(c) for c in _SURROGATE.findall(value)})[:3])
            problems.append(Problem(path, f"der Text enthält ein ungültiges Zeichen ({found}: ein einzelnes "
                                    "UTF-16-Surrogat, kein Schriftzeichen). Bitte das Zeichen entfernen.",
                                    "json.unicode"))
        elif isinstance(value, dict):
            for key in reversed(list(value)):
                if _SURROGATE.search(key):
                    problems.append(Problem(path or "/", f"der Feldname „{_escaped(key)}“ enthält ein ungültiges "
                                            "Zeichen (ein einzelnes UTF-16-Surrogat). Bitte korrigieren.",
                                            "json.unicode"))
                else:
                    stack.append((f"{path}/{key.replace('~', '~0').replace('/', '~1')}", value[key]))
        elif isinstance(value, list):
            stack.extend((f"{path}/{i}", item) for i, item in reversed(list(enumerate(value))))
    return problems


_JSON_REASONS = {
    "Expecting value": "Wert erwartet",
    "Expecting ',' delimiter": "Komma erwartet",
    "Expecting ':' delimiter": "Doppelpunkt erwartet",
    "Expecting property name enclosed in double quotes": "Feldname in doppelten Anführungszeichen erwartet",
    "Unterminated string starting at": "Text ohne schließendes Anführungszeichen",
    "Extra data": "zusätzliche Zeichen nach dem Ende des JSON-Objekts",
    "Invalid control character at": "unzulässiges Steuerzeichen",
    "Invalid \\escape": "ungültige Escape-Sequenz",
}


def _json_reason(msg: str) -> str:
    for english, german in _JSON_REASONS.items():
        if msg.startswith(english):
            return german
    return msg


def document_type(data: Any, filename: str) -> DocumentType:
    if not isinstance(data, dict):
        raise InvalidInput(filename, [Problem("", "erwartet ein JSON-Objekt {…} auf oberster Ebene.", "schema.typ")])
    art = data.get("dokumentart")
    known = ", ".join(f"„{n}“" for n in documents.names())
    if art is None:
        raise InvalidInput(filename, [Problem(
            "/dokumentart", f"Pflichtfeld fehlt. Erlaubt sind: {known}.", "schema.pflichtfeld")])
    doc = documents.get(art) if isinstance(art, str) else None
    if doc is None:
        raise InvalidInput(filename, [Problem(
            "/dokumentart", f"{show(art)} ist keine bekannte Dokumentart. Erlaubt sind: {known}.",
            "schema.dokumentart")])
    return doc


def check_data(data: Any, filename: str, settings: Settings) -> tuple[DocumentType, list[Problem]]:
    """Schema and domain rules for already parsed data; raises InvalidInput on errors.

    Returns the document type and the warnings. Domain rules run only on data that
    passed the schema, so they can rely on its shape.
    """
    doc = document_type(data, filename)
    problems = schema_problems(data, doc.schema_file)
    if not problems:
        problems = doc.rules(data, settings)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InvalidInput(filename, errors)
    return doc, [p for p in problems if p.level == "warning"]


def validate_file(path: Path, settings: Settings, base_dir: Path | None = None) -> Job:
    """Read, parse and check ``path``; Anlagen are looked up relative to ``base_dir`` (default: its folder)."""
    raw = read_input(path, settings.max_input_bytes)
    data = parse_json(raw, path.name)
    doc, warnings = check_data(data, path.name, settings)
    parts = collect_parts(data, doc, path, settings, base_dir or path.parent)
    for part in parts:
        warnings += part.warnings
    return Job(source=path, data=data, document=doc, raw=raw, warnings=warnings, parts=parts)


def collect_parts(
    data: Mapping[str, Any], document: DocumentType, source: Path, settings: Settings, base: Path,
) -> list[Part]:
    """Resolve and check every Anlage; raise with all problems at once."""
    parts = [Part(0, document.title, "", document=document, data=data)]
    problems: list[Problem] = []
    for j, (title, sub, where) in enumerate(document.parts_of(data) if document.parts_of else []):
        sub_data = _inherit(dict(sub), data)
        try:
            sub_doc, sub_warnings = check_data(sub_data, source.name, settings)
        except InvalidInput as exc:
            problems += [Problem(f"{where}{p.path}", p.message, p.code) for p in exc.problems]
            continue
        shifted = [Problem(f"{where}{w.path}", w.message, w.code, w.level) for w in sub_warnings]
        parts.append(Part(-1 - j, title, where, document=sub_doc, data=sub_data, warnings=shifted))
    missing: list[str] = []
    anlagen = data.get("anlagen", [])
    if len(anlagen) > settings.max_anlagen:
        raise InvalidInput(source.name, [Problem(
            "/anlagen", f"{len(anlagen)} Anlagen; erlaubt sind höchstens {settings.max_anlagen} "
            "(Einstellung max_anlagen).", "anlagen.zu_viele")])
    for i, anlage in enumerate(anlagen):
        where = f"/anlagen/{i}"
        title = anlage["titel"]
        if "datei" in anlage:
            path, problem = resolve(base, anlage["datei"], f"{where}/datei")
            try:
                if problem is None and path is not None and not path.exists() and not path.is_symlink():
                    missing.append(f"{source.name}: {where}/datei: Anlage „{anlage['datei']}“ nicht gefunden "
                                   f"(gesucht in {base}). Bitte die Datei dort ablegen.")
                    continue
                if problem is None and path is not None:
                    problem = check_pdf(path, anlage["datei"], f"{where}/datei")
            except OSError as exc:
                missing.append(f"{source.name}: {where}/datei: Anlage „{anlage['datei']}“ nicht lesbar "
                               f"({exc.strerror}). Bitte die Dateirechte prüfen.")
                continue
            if problem is not None:
                problems.append(problem)
            else:
                parts.append(Part(i + 1, title, where, pdf_file=path))
            continue
        nested = _inherit(dict(anlage["dokument"]), data)
        try:
            nested_doc, warnings = check_data(nested, source.name, settings)
        except InvalidInput as exc:
            problems += [Problem(f"{where}/dokument{p.path}", p.message, p.code) for p in exc.problems]
            continue
        shifted = [Problem(f"{where}/dokument{w.path}", w.message, w.code, w.level) for w in warnings]
        parts.append(Part(i + 1, title, where, document=nested_doc, data=nested, warnings=shifted))
    if problems:
        raise InvalidInput(source.name, problems)
    if missing:
        raise FileAccessError("\n".join(missing))
    return parts


def _inherit(nested: dict[str, Any], parent: Mapping[str, Any]) -> dict[str, Any]:
    """A nested document shares the body and the sign-off of the bundle unless it has its own."""
    for key in ("koerperschaft", "freigabe"):
        if key in parent and key not in nested:
            nested[key] = parent[key]
    return nested
