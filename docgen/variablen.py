"""``docgen variablen ART``: what a Word template of one dokumentart may use, taken from the code.

For the administrator who adapts templates. Everything here is computed from the
same sources rendering and ``lint-template`` use, so the list cannot drift from
the program:

- the variables: the render context the plug-in builds (``DocumentType.context``)
  from the shipped example input, each marked as taken from the input (the same
  path exists in the JSON Schema, whose German description is shown) or computed
  by the plug-in; with the example's value and its kind (text, date, rich text …);
- the input fields the template does not see directly (the plug-in passes them on
  only in computed form, e.g. ``berichtszeitraum`` as ``zeitraum``);
- the filters (:data:`docgen.formatting.FILTERS`), each with an example computed by
  calling it;
- the styles rich text needs (:func:`docgen.richtext.required_styles`).

The path walk mirrors :func:`docgen.lint.known_paths`; the services are independent of each other
(the import contract), so this module walks itself and ``tests/test_variablen.py`` checks that
both see the same paths.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docgen import documents
from docgen.formatting import FILTERS
from docgen.model import DocumentType
from docgen.resources import examples_dir, templates_dir
from docgen.richtext import BlockXml, required_styles
from docgen.schemas import load_schema, standalone_schema_text
from docgen.settings import Settings
from docgen.stages.render import RenderTools, koerperschaft_for, load_template

__all__ = ["Filter", "Variable", "Variablen", "variablen"]

EINGABE = "Eingabe"
BERECHNET = "berechnet"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_EXAMPLE = 48

# German words for each filter and the calls that show it (the results are computed, not written here).
_FILTER_HILFE: dict[str, tuple[str, list[tuple[str, tuple[Any, ...]]]]] = {
    "datum": ("Datum nach DIN 5008, Ziffern mit führenden Nullen", [("\"2024-11-28\"", ("2024-11-28",))]),
    "datum_lang": ("Datum für Fließtext, Monat ausgeschrieben", [("\"2024-11-28\"", ("2024-11-28",))]),
    "euro": ("Geldbetrag mit Tausenderpunkt, zwei Nachkommastellen und €; leer bei fehlendem Wert",
             [("1234.5", (Decimal("1234.5"),)), ("1234.5", (Decimal("1234.5"), 0))]),
    "prozent": ("Prozentwert (die Zahl ist schon in Prozent); leer bei fehlendem Wert",
                [("60", (60,)), ("12.345", (Decimal("12.345"), 1))]),
    "zahl": ("Zahl mit Tausenderpunkt und Komma, kaufmännisch gerundet (Standard: zwei Nachkommastellen)",
             [("1234.5", (Decimal("1234.5"),)), ("31400", (31400, 0))]),
}


@dataclass(frozen=True)
class Variable:
    pfad: str  # e.g. "vorlage.nummer", "beratungsfolge[].gremium" ([] = ein Eintrag einer Liste)
    herkunft: str  # EINGABE or BERECHNET
    art: str  # "Text", "Datum (JJJJ-MM-TT)", "Zahl", "Ja/Nein", "Liste", "Gruppe", "Rich Text", "kann leer sein"
    beschreibung: str  # the schema's description, "" for computed values
    beispiel: str  # the value in the shipped example, shortened

    def as_dict(self) -> dict[str, str]:
        return {"pfad": self.pfad, "herkunft": self.herkunft, "art": self.art, "beschreibung": self.beschreibung,
                "beispiel": self.beispiel}


@dataclass(frozen=True)
class Filter:
    name: str
    beschreibung: str
    # (Jinja expression, the value of ``wert`` as the input gives it, what the expression prints)
    beispiele: list[tuple[str, str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "beschreibung": self.beschreibung,
                "beispiele": [{"ausdruck": a, "wert": w, "ergebnis": e} for a, w, e in self.beispiele]}


@dataclass(frozen=True)
class Variablen:
    dokumentart: str
    titel: str
    vorlage: str  # the template's file name
    variablen: list[Variable]  # everything the render context holds, in path order
    nur_eingabe: list[str]  # schema paths the context does not pass on as they are
    filter: list[Filter]
    formatvorlagen: list[str]

    @property
    def berechnet(self) -> list[Variable]:
        """What the plug-in adds beyond the input."""
        return [v for v in self.variablen if v.herkunft == BERECHNET]

    def as_json(self) -> dict[str, Any]:
        return {
            "dokumentart": self.dokumentart,
            "titel": self.titel,
            "vorlage": self.vorlage,
            "variablen": [v.as_dict() for v in self.variablen],
            "berechnet": [v.pfad for v in self.berechnet],
            "nur_eingabe": self.nur_eingabe,
            "filter": [f.as_dict() for f in self.filter],
            "formatvorlagen": self.formatvorlagen,
        }



# -- the input side: schema paths with their descriptions ---------------------------------------

def _schema_descriptions(schema: Any, defs: dict[str, Any], prefix: str, out: dict[str, str],
                         blocks: set[str], depth: int = 0) -> None:
    """Path → German description, walked like ``docgen.lint._schema_paths``; rich-text fields in ``blocks``."""
    if depth > 12 or not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name == "bloecke" and prefix:
            blocks.add(prefix)
        _schema_descriptions(defs.get(name, {}), defs, prefix, out, blocks, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _schema_descriptions(sub, defs, prefix, out, blocks, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(sub, dict) and isinstance(sub.get("description"), str) and not out.get(path):
            out[path] = sub["description"]
        else:
            out.setdefault(path, "")
        _schema_descriptions(sub, defs, path, out, blocks, depth + 1)
    if "items" in schema:
        _schema_descriptions(schema["items"], defs, prefix + "[]", out, blocks, depth + 1)


def _under_block(path: str, blocks: set[str]) -> bool:
    return any(path.startswith(b + "[]") or path.startswith(b + ".") for b in blocks)


# -- the template side: the render context of the example -------------------------------------

def _context_values(value: Any, prefix: str, out: dict[str, Any], empty: set[str], depth: int = 0) -> None:
    """Path → first non-empty value seen, walked like ``docgen.lint._context_paths``; in ``empty`` the
    paths that are empty somewhere in the example (lint accepts anything below them)."""
    if depth > 12:
        return
    if value is None or value == []:
        empty.add(prefix)
        return
    items: list[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif hasattr(value, "__dataclass_fields__"):
        items = [(k, getattr(value, k)) for k in value.__dataclass_fields__]
    elif isinstance(value, list):
        for item in value:
            _context_values(item, prefix + "[]", out, empty, depth + 1)
        return
    else:
        return
    for key, sub in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        if path not in out or out[path] is None or out[path] == []:
            out[path] = sub
        _context_values(sub, path, out, empty, depth + 1)


def _kind(value: Any) -> str:
    if isinstance(value, BlockXml):
        return "Rich Text"
    if value is None or value == [] or value == "":
        return "kann leer sein"
    if isinstance(value, bool):
        return "Ja/Nein"
    if isinstance(value, int | Decimal | float):
        return "Zahl"
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return "Datum (JJJJ-MM-TT)"
    if isinstance(value, str):
        return "Text"
    if isinstance(value, list):
        return "Liste"
    return "Gruppe"


def _example(value: Any) -> str:
    if value is None or isinstance(value, BlockXml | dict | list) or hasattr(value, "__dataclass_fields__"):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = " ".join(str(value).split())
    return text if len(text) <= _MAX_EXAMPLE else text[:_MAX_EXAMPLE - 1] + "…"


def render_context(doc: DocumentType, settings: Settings) -> dict[str, Any]:
    """The context the plug-in builds from its shipped example (the shipped template gives the style ids)."""
    example = json.loads((examples_dir() / doc.example_file).read_text(encoding="utf-8"), parse_float=Decimal)
    tpl = load_template(templates_dir() / doc.template_file)
    return doc.context(example, RenderTools(tpl, settings, koerperschaft_for(example, settings)))


def _reshaped(path: str, value: Any, schema_paths: set[str]) -> bool:
    """The context holds a list where the input has a group of fields, or the other way round
    (``auswirkungen``: four fields in the input, a list of sections for the template)."""
    as_list = any(p.startswith(path + "[]") for p in schema_paths)
    as_group = any(p.startswith(path + ".") for p in schema_paths)
    if isinstance(value, list) and value:
        return as_group and not as_list
    if isinstance(value, dict) or hasattr(value, "__dataclass_fields__"):
        return as_list and not as_group
    return False


# -- filters and styles -------------------------------------------------------------------------

def filters() -> list[Filter]:
    found = []
    for name, function in sorted(FILTERS.items()):
        words, calls = _FILTER_HILFE.get(name, (_first_line(function), []))
        examples = [(_expression(name, args), shown, str(function(*args))) for shown, args in calls]
        found.append(Filter(name, words, examples))
    return found


def _expression(name: str, args: tuple[Any, ...]) -> str:
    """The filter applied to a variable ``wert``: numbers come from the input as exact decimals, and the
    filters refuse a number typed into the template with a decimal point (Jinja makes it a float)."""
    extra = ", ".join(str(a) for a in args[1:])
    return f"{{{{ wert|{name}{f'({extra})' if extra else ''} }}}}"


def _first_line(function: Callable[..., Any]) -> str:
    return (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""


# -- all together -------------------------------------------------------------------------------

def variablen(dokumentart: str, settings: Settings) -> Variablen:
    """Every variable, computed value, filter and required style of ``dokumentart``'s template."""
    doc = documents.require(dokumentart)
    schema = json.loads(standalone_schema_text(doc.schema_file))
    load_schema.cache_clear()
    descriptions: dict[str, str] = {}
    blocks: set[str] = set()
    _schema_descriptions(schema, schema.get("$defs", {}), "", descriptions, blocks)
    schema_paths = set(descriptions)

    context = render_context(doc, settings)
    values: dict[str, Any] = {}
    empty: set[str] = set()
    _context_values(context, "", values, empty)

    found = []
    for path in sorted(values):
        value = values[path]
        kind = _kind(value)
        if path in empty and kind not in ("Rich Text", "kann leer sein"):
            kind = "kann leer sein"
        source = EINGABE if path in schema_paths and not _reshaped(path, value, schema_paths) else BERECHNET
        found.append(Variable(path, source, kind, descriptions.get(path, "") if source == EINGABE else "",
                              _example(value)))
    not_passed = sorted(p for p in schema_paths - set(values) if not _under_block(p, blocks))
    return Variablen(doc.name, doc.title, doc.template_file, found, not_passed, filters(), required_styles())
