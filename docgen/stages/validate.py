"""Stage 1, validate: JSON file → checked job data, or every problem at once.

JSON is parsed with ``Decimal`` for numbers (money is never a float); a UTF-8
byte-order mark is accepted. The document is checked against its JSON Schema
(Draft 2020-12, formats checked) and then against the domain rules of its
document type. All problems are collected and reported with their JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

from docgen import documents
from docgen.documents import DocumentType
from docgen.errors import FileAccessError, InvalidInput, Problem
from docgen.settings import Settings, project_root
from docgen.stages.anlagen import Part, collect_parts

DATE_HINT = "(erwartet JJJJ-MM-TT)"


@dataclass(frozen=True)
class Job:
    """A validated input: its data, its document type and the warnings found."""

    source: Path
    data: Mapping[str, Any]
    document: DocumentType
    raw: bytes
    warnings: list[Problem] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)  # main document first, then the Anlagen


def schemas_dir() -> Path:
    return project_root() / "schemas"


@cache
def _schema_registry() -> Registry:
    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def load_schema(schema_file: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (schemas_dir() / schema_file).read_text(encoding="utf-8"), parse_float=Decimal
    )
    return data


def _validator(schema_file: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(schema_file),
        registry=_schema_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


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
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte als „UTF-8“ speichern.",
            "json.kodierung")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(filename, [Problem(
            "", f"Zeile {line}: die Datei ist nicht UTF-8-kodiert (vermutlich Windows-1252). "
            "Bitte im Editor als „UTF-8“ speichern.", "json.kodierung")]) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InvalidInput(filename, [Problem(
            "", f"Zeile {exc.lineno}, Spalte {exc.colno}: kein gültiges JSON ({_json_reason(exc.msg)}).",
            "json.syntax")]) from None
    except RecursionError:
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist zu tief verschachtelt.", "json.verschachtelung")]) from None


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


def pointer(parts: Iterable[Any]) -> str:
    """JSON pointer of a path, e.g. ``/beratungsfolge/2/datum``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def show(value: Any) -> str:
    """A value as the user wrote it in JSON, shortened."""
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, dict):
        text = "{…}"
    elif isinstance(value, list):
        text = "[…]"
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _describe(schema: Mapping[str, Any]) -> str:
    ref = schema.get("$ref", "")
    if "description" in schema:
        return str(schema["description"])
    if isinstance(ref, str) and ref:
        name = ref.rsplit("/", 1)[-1]
        target = load_schema("gemeinsam.schema.json")["$defs"].get(name, {})
        return str(target.get("description", name))
    return "einen gültigen Wert"


_TYPE_NAMES = {
    "string": "einen Text", "object": "ein Objekt {…}", "array": "eine Liste […]",
    "number": "eine Zahl", "integer": "eine ganze Zahl", "boolean": "true oder false",
    "null": "null",
}


def _german(error: ValidationError) -> tuple[str, str, str]:
    """(path, message, code) for one schema error, in German."""
    path = pointer(error.absolute_path)
    value = error.instance
    kind = str(error.validator)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        return f"{path}/{name}", f"Pflichtfeld fehlt. Bitte „{name}“ angeben.", "schema.pflichtfeld"
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(schema.get("properties", {})))
        allowed = ", ".join(schema.get("properties", {}))
        fields = ", ".join(f"„{e}“" for e in extra)
        message = f"unbekanntes Feld {fields} (Tippfehler?). Erlaubt sind: {allowed}."
        return path or "/", message, "schema.unbekanntes_feld"
    if kind == "format" and error.validator_value == "date":
        return path, f"{show(value)} ist kein gültiges Datum {DATE_HINT}.", "schema.datum"
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " oder ".join(_TYPE_NAMES.get(n, n) for n in names)
        return path, f"{show(value)} hat den falschen Typ (erwartet {wanted}).", "schema.typ"
    if kind == "enum":
        options = ", ".join(f"„{o}“" for o in error.validator_value)
        return path, f"{show(value)} ist nicht zulässig. Erlaubt sind: {options}.", "schema.auswahl"
    if kind == "const":
        return path, f"{show(value)} ist nicht zulässig (erwartet {show(error.validator_value)}).", "schema.konstante"
    if kind in {"minLength", "pattern"} and isinstance(value, str) and not value.strip():
        return path, "darf nicht leer sein.", "schema.leer"
    if kind == "minItems":
        return path, f"die Liste braucht mindestens {error.validator_value} Eintrag/Einträge.", "schema.zu_wenige"
    if kind == "maxItems":
        return path, f"die Liste darf höchstens {error.validator_value} Einträge haben.", "schema.zu_viele"
    if kind == "maxLength":
        return path, f"der Text ist zu lang (höchstens {error.validator_value} Zeichen).", "schema.zu_lang"
    if kind in {"minimum", "exclusiveMinimum"}:
        return path, f"{show(value)} ist zu klein (Minimum {error.validator_value}).", "schema.zu_klein"
    if kind in {"maximum", "exclusiveMaximum"}:
        return path, f"{show(value)} ist zu groß (Maximum {error.validator_value}).", "schema.zu_gross"
    return path, f"{show(value)} ist ungültig (erwartet {_describe(schema)}).", f"schema.{kind}"


_SHAPE_KEYWORDS = {"type", "required", "additionalProperties", "const", "enum"}


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf, the errors of the alternative the user evidently meant.

    An alternative was meant when its shape fits (type, required keys, no unknown keys)
    and only something inside it is wrong; otherwise the whole alternative list is
    reported once with its German description.
    """
    if error.validator not in {"anyOf", "oneOf"} or not error.context:
        return [error]
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    meant = [
        errs for errs in by_branch.values()
        if not any(len(e.relative_path) == 0 and e.validator in _SHAPE_KEYWORDS for e in errs)
    ]
    if len(meant) != 1:
        return [error]
    leaves: list[ValidationError] = []
    for sub in meant[0]:
        leaves.extend(_leaf_errors(sub))
    return leaves


def schema_problems(data: Any, schema_file: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(_validator(schema_file).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        for leaf in _leaf_errors(error):
            path, message, code = _german(leaf)
            if (path, message) not in seen:
                seen.add((path, message))
                problems.append(Problem(path, message, code))
    return problems


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
