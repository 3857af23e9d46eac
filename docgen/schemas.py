"""The JSON Schemas of the document types, and their findings in German.

Schemas are Draft 2020-12 files in the shipped ``schemas/`` folder; they refer to
each other by ``$id`` (``gemeinsam.schema.json`` holds the shared parts). A
validator per schema is built once per process. :func:`schema_problems` turns
jsonschema's errors into :class:`~docgen.errors.Problem` objects: a JSON path, a
German message that says what is expected, and a stable code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

from docgen.errors import Problem
from docgen.resources import schemas_dir

DATE_HINT = "(erwartet JJJJ-MM-TT)"

__all__ = ["DATE_HINT", "load_schema", "pointer", "schema_problems", "schemas_dir", "show"]


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


@cache
def _validator(schema_file: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(schema_file),
        registry=_schema_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


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


def _inline_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {k: _inline_refs(v, prefix) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            out["$ref"] = "#" + ref[len(prefix):]
        return out
    if isinstance(node, list):
        return [_inline_refs(v, prefix) for v in node]
    return node


def standalone_schema(schema_file: str) -> dict[str, Any]:
    """The schema ``schema_file`` with the shared definitions inlined (no outside ``$ref``)."""
    main: dict[str, Any] = _inline_refs(load_schema(schema_file), "gemeinsam.schema.json#")
    common = load_schema("gemeinsam.schema.json")["$defs"]
    main["$defs"] = {**common, **main.get("$defs", {})}
    return main


def standalone_schema_text(schema_file: str) -> str:
    """:func:`standalone_schema` as indented JSON text."""
    return json.dumps(standalone_schema(schema_file), ensure_ascii=False, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(type(value).__name__)
