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


def _describe(schema: Mapping[str, Any], fallback: str | None = None) -> str:
    ref = schema.get("$ref", "")
    if "description" in schema:
        return str(schema["description"])
    if isinstance(ref, str) and ref:
        name = ref.rsplit("/", 1)[-1]
        target = load_schema("gemeinsam.schema.json")["$defs"].get(name, {})
        return str(target.get("description", name))
    return fallback or "einen gültigen Wert"


_TYPE_NAMES = {
    "string": "einen Text", "object": "ein Objekt {…}", "array": "eine Liste […]",
    "number": "eine Zahl", "integer": "eine ganze Zahl", "boolean": "true oder false",
    "null": "null",
}


def _german(error: ValidationError, fallback: str | None = None) -> tuple[str, str, str]:
    """(path, message, code) for one schema error, in German.

    ``fallback`` describes the value when the failing schema has no description of its own
    (a branch of an ``anyOf``, e.g. the number form of a Geldbetrag).
    """
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
    if kind == "multipleOf":
        wanted = fallback or f"ein Vielfaches von {error.validator_value}"
        return path, f"{show(value)} hat zu viele Nachkommastellen (erwartet {wanted}).", "schema.nachkommastellen"
    return path, f"{show(value)} ist ungültig (erwartet {_describe(schema, fallback)}).", f"schema.{kind}"


_SHAPE_KEYWORDS = {"type", "required", "additionalProperties", "const", "enum"}


def _leaf_errors(error: ValidationError, fallback: str | None = None) -> list[tuple[ValidationError, str | None]]:
    """For anyOf/oneOf, the errors of the alternative the user evidently meant.

    An alternative was meant when its shape fits (type, required keys, no unknown keys)
    and only something inside it is wrong; otherwise the whole alternative list is
    reported once with its German description. Each leaf comes with the description of the
    alternative list it was found in, for messages about a branch that has none.
    """
    if error.validator not in {"anyOf", "oneOf"} or not error.context:
        return [(error, fallback)]
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    meant = [
        errs for errs in by_branch.values()
        if not any(len(e.relative_path) == 0 and e.validator in _SHAPE_KEYWORDS for e in errs)
    ]
    if len(meant) != 1:
        return [(error, fallback)]
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    described = str(schema["description"]) if "description" in schema else fallback
    leaves: list[tuple[ValidationError, str | None]] = []
    for sub in meant[0]:
        leaves.extend(_leaf_errors(sub, described))
    return leaves


def schema_problems(data: Any, schema_file: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(_validator(schema_file).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        for leaf, fallback in _leaf_errors(error):
            path, message, code = _german(leaf, fallback)
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
