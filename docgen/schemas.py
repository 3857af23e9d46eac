"""The JSON Schemas of the document types, and their findings in German.

Schemas are Draft 2020-12 files in the shipped ``schemas/`` folder; they refer to
each other by ``$id`` (``gemeinsam.schema.json`` holds the shared parts). A
validator per schema is built once per process. :func:`schema_problems` turns
jsonschema's errors into :class:`~docgen.errors.Problem` objects: a JSON path, a
German message that says what is expected, and a stable code.

Two input rules live here because every schema uses them. Money (format ``geldbetrag``, see
:func:`money_problem`): a JSON number or a text with a point as decimal sign, no thousands
separators and at most two decimals, judged by the digits as written (``1.150`` has three and is
refused, with "meinten Sie 1150?"); German notation ("1.234,56") is refused with the value meant.
Domain rules (:func:`regelwerk`) run even when the schema found problems, but each only if the
input fields it reads passed the schema (:func:`schema_broken`), so all problems come in one run.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource

from docgen.errors import Problem
from docgen.resources import schemas_dir
from docgen.settings import Settings

DATE_HINT = "(erwartet JJJJ-MM-TT)"
# Schema formats of amounts in euros: the name and whether a negative amount is refused.
MONEY_FORMATS = {"geldbetrag": False, "geldbetrag_nicht_negativ": True}
MONEY_DIGITS = 15  # digits before the decimal point

__all__ = [
    "DATE_HINT", "MONEY_FORMATS", "Regel", "date_hint", "german_number", "load_schema", "money_problem", "pointer",
    "regelwerk", "schema_broken", "schema_problems", "schemas_dir", "show",
]


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
def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, not_negative in MONEY_FORMATS.items():
        checker.checks(name)(lambda value, nn=not_negative: money_problem(value, nn) is None)
    return checker


@cache
def _validator(schema_file: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(schema_file),
        registry=_schema_registry(),
        format_checker=_format_checker(),
    )


# --- money and dates as clerks write them ----------------------------------------------------

_PLAIN_MONEY = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,2})?")  # MONEY_DIGITS before the point
_GERMAN_MONEY = re.compile(r"(-?)([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]{1,2}))?")
_CURRENCY = re.compile(r"\s*(€|EUR|Euro)\s*$|^\s*(€|EUR)\s*", re.IGNORECASE)
CENT = Decimal("0.01")
# The longest text an amount can be written as, German notation and currency included ("-999.999.999.999.999,99 EUR").
MONEY_TEXT_MAX = 40


def _cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _too_many_decimals(text: str) -> str:
    """The message for an amount written with more than two decimals, as number or text."""
    digits = text.lstrip("-").partition(".")
    if len(digits[0]) <= 3 and len(digits[2]) == 3:  # 1.150: a German thousands point
        meant, small = text.replace(".", ""), _cents(Decimal(text))
        return (f"{text} hat drei Nachkommastellen; ein Betrag hat höchstens zwei. Der Punkt ist in JSON das "
                f"Dezimalzeichen, kein Tausenderpunkt – meinten Sie {meant}? Dann bitte {meant} schreiben "
                f"(für {small.replace('.', ',')} € bitte {small}).")
    return (f"{text} hat {len(digits[2])} Nachkommastellen; ein Betrag hat höchstens zwei. Bitte auf Cent "
            f"runden, z. B. {_cents(Decimal(text))}.")


def money_problem(value: Any, not_negative: bool = False) -> str | None:
    """Why ``value`` is no amount in euros as the input contract writes it, or None if it is one.

    A JSON number counts with the decimals it was written with (parsed as ``Decimal``, which keeps
    them); a text must look like ``1234.56``. German notation is never guessed at: "1.234,56",
    "1234,5" or "1.150 €" are refused and the message names the value meant (1234.56, 1234.50, 1150).
    Other types are left to the schema's ``type``.
    """
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            return _too_many_decimals(str(value))
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _PLAIN_MONEY.fullmatch(text) and text == value:
        if not_negative and text.startswith("-"):
            return f"{show(value)}: der Betrag darf nicht negativ sein."
        return None
    if len(text) > MONEY_TEXT_MAX:  # no way of writing an amount is this long; and the patterns below
        return _no_amount(value)     # would read a long run of spaces once from each of its positions
    bare = _CURRENCY.sub("", text).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", bare):
        return f"{show(value)}: " + _too_many_decimals(bare)
    german = _GERMAN_MONEY.fullmatch(bare)
    if german and (german.group(3) or "." in bare or bare != text):
        meant = f"{german.group(1)}{german.group(2).replace('.', '')}.{(german.group(3) or '00').ljust(2, '0')}"
        return (f"{show(value)} ist in deutscher Schreibweise geschrieben; in der Eingabe steht ein Betrag ohne "
                f"Tausenderpunkte und Währungszeichen, mit Punkt vor den Cent. Bitte {meant} schreiben.")
    if _PLAIN_MONEY.fullmatch(bare):
        return f"{show(value)}: bitte ohne Leerzeichen und Währungszeichen schreiben: {bare}."
    return _no_amount(value)


def german_number(text: str) -> str | None:
    """The JSON number meant by a number written the German way ("1.234,56" → 1234.56, "1150 €" → 1150), if any.

    None when ``text`` is no number in German notation (or already one as JSON writes it).
    """
    stripped = text.strip()
    if len(stripped) > MONEY_TEXT_MAX:
        return None
    bare = _CURRENCY.sub("", stripped).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    german = _GERMAN_MONEY.fullmatch(bare)
    if not german or not (german.group(3) or "." in bare or bare != stripped):
        return None
    decimals = f".{german.group(3)}" if german.group(3) else ""
    return f"{german.group(1)}{german.group(2).replace('.', '')}{decimals}"


def _no_amount(value: str) -> str:
    return (f"{show(value)} ist kein Geldbetrag (erwartet eine Zahl wie 1234.56 oder einen Text wie "
            f"\"1234.56\", höchstens {MONEY_DIGITS} Stellen vor dem Punkt und zwei danach).")


_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{2}|[0-9]{4})")
_LOOSE_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9:.]+Z?)?")


def date_hint(value: Any) -> str | None:
    """The ISO date meant by a date written otherwise ("28.11.2024", "2025-9-1"), if it is one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if german := _GERMAN_DATE.fullmatch(text):
        day, month, year = (int(g) for g in german.groups())
        year += 2000 if year < 100 else 0
    elif iso := _LOOSE_ISO.fullmatch(text):
        year, month, day = (int(g) for g in iso.groups())
    else:
        return None
    try:
        meant = datetime.date(year, month, day).isoformat()
    except ValueError:
        return None
    return meant if meant != value else None


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


# Field names compared as a clerk might have mistyped them: case, umlauts, blanks and hyphens aside.
_SPELLINGS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "_", "-": "_"})
_TYPO_CUTOFF = 0.75  # difflib ratio: "federfuerend"/"federfuehrend" 0.96, "datum"/"daten" 0.6 (no guess)
_TYPO_LOOKED_AT = 100  # unknown names per object compared with the allowed ones


def _spelling(name: str) -> str:
    return name.strip().lower().translate(_SPELLINGS)


def likely_typos(value: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, str]:
    """Unknown field → the allowed field it is most likely a misspelling of (one not given in ``value``).

    A field already present is never guessed: "vorlagen" beside "vorlage" is no typo of it. Each
    allowed name is guessed for one unknown field at most.
    """
    ordered = list(allowed)  # in the schema's order, so that a tie is always decided alike
    names = set(ordered)
    free = {_spelling(a): a for a in ordered if a not in value}
    guesses: dict[str, str] = {}
    for extra in sorted(k for k in value if k not in names)[:_TYPO_LOOKED_AT]:
        if len(extra) > 60 or not free:
            continue
        spelt = _spelling(extra)
        close = [spelt] if spelt in free else difflib.get_close_matches(spelt, list(free), n=1, cutoff=_TYPO_CUTOFF)
        if close:
            guesses[extra] = free.pop(close[0])
    return guesses


def _german(error: ValidationError, fallback: str | None = None,
            typos: Mapping[str, Mapping[str, str]] | None = None) -> tuple[str, str, str]:
    """(path, message, code) for one schema error, in German.

    ``fallback`` describes the value when the failing schema has no description of its own
    (a branch of an ``anyOf``, e.g. the number form of a Geldbetrag). ``typos``: per object path,
    its unknown fields and the allowed field each is likely a misspelling of (:func:`likely_typos`),
    so that a misspelt required field and its "missing" field read as one problem.
    """
    path = pointer(error.absolute_path)
    value = error.instance
    kind = str(error.validator)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    guessed = (typos or {}).get(path or "/", {})
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        message = f"Pflichtfeld fehlt. Bitte „{name}“ angeben."
        written = [e for e, meant in guessed.items() if meant == name]
        if written:
            message = (f"Pflichtfeld fehlt. Bitte „{name}“ angeben – vermutlich steht es falsch geschrieben als "
                       f"„{written[0]}“ da: bitte diesen Feldnamen zu „{name}“ korrigieren.")
        return f"{path}/{name}", message, "schema.pflichtfeld"
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(schema.get("properties", {})))
        allowed = ", ".join(schema.get("properties", {}))
        required = set(schema.get("required", ()))
        # a name as long as a page, or thousands of them, would bury the answer: five, each shortened
        shown = [f"„{e if len(e) <= 40 else e[:39] + '…'}“" for e in extra[:5]]
        more = f" und {len(extra) - 5} weitere" if len(extra) > 5 else ""
        if len(extra) == 1 and extra[0] in guessed:
            meant = guessed[extra[0]]
            also = (f" Bitte den Feldnamen korrigieren; dann ist auch das fehlende Pflichtfeld „{meant}“ erledigt."
                    if meant in required else "")
            message = f"unbekanntes Feld {shown[0]} – gemeint ist wohl „{meant}“?{also} Erlaubt sind: {allowed}."
        elif any(e in guessed for e in extra[:5]):
            fields = ", ".join(f"{s} (gemeint ist wohl „{guessed[e]}“?)" if e in guessed else s
                               for e, s in zip(extra, shown, strict=False))
            message = f"unbekanntes Feld {fields}{more}. Erlaubt sind: {allowed}."
        else:
            message = f"unbekanntes Feld {', '.join(shown)}{more} (Tippfehler?). Erlaubt sind: {allowed}."
        return path or "/", message, "schema.unbekanntes_feld"
    if kind == "format" and error.validator_value == "date":
        hint = date_hint(value)
        meant = f": bitte \"{hint}\" schreiben." if hint else "."
        return path, f"{show(value)} ist kein gültiges Datum {DATE_HINT}{meant}", "schema.datum"
    money = schema.get("format")
    if kind in {"format", "pattern", "multipleOf"} and money in MONEY_FORMATS:
        message = money_problem(value, MONEY_FORMATS[money]) or f"{show(value)} ist kein gültiger Geldbetrag."
        return path, message, "schema.geldbetrag"
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
    leaves = [leaf for error in errors for leaf in _leaf_errors(error)]
    typos: dict[str, dict[str, str]] = {}
    for leaf, _ in leaves:
        schema = leaf.schema if isinstance(leaf.schema, Mapping) else {}
        if leaf.validator == "additionalProperties" and isinstance(leaf.instance, Mapping):
            found = likely_typos(leaf.instance, schema.get("properties", {}))
            typos.setdefault(pointer(leaf.absolute_path) or "/", {}).update(found)
    for leaf, fallback in leaves:
        path, message, code = _german(leaf, fallback, typos)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Problem(path, message, code))
    return problems


# --- domain rules that run beside the schema --------------------------------------------------

_BROKEN: ContextVar[frozenset[str]] = ContextVar("docgen_schema_broken", default=frozenset())


@contextmanager
def schema_broken(paths: Iterable[str]) -> Iterator[None]:
    """While active, rules (:func:`regelwerk`) skip checks that read one of these JSON paths.

    The paths are those where the schema (or the parser) found a problem; a check reading at,
    above or below one of them would see data of the wrong shape.
    """
    token = _BROKEN.set(frozenset(paths))
    try:
        yield
    finally:
        _BROKEN.reset(token)


def broken_paths(problems: Iterable[Problem]) -> set[str]:
    """The JSON paths whose values are not shaped as the schema says (an unknown field breaks none)."""
    return {p.path for p in problems if p.level == "error" and p.code != "schema.unbekanntes_feld"}


@dataclass(frozen=True)
class Regel:
    """One domain check and the JSON paths of the input it reads (e.g. ``/berichtszeitraum``)."""

    pruefe: Callable[[Mapping[str, Any], Settings], list[Problem]]
    liest: tuple[str, ...]

    def touches(self, broken: Iterable[str]) -> bool:
        return any(b == f or b.startswith(f + "/") or f.startswith(b + "/") or not b or b == "/"
                   for f in self.liest for b in broken)


def regelwerk(*regeln: Regel) -> Callable[[Mapping[str, Any], Settings], list[Problem]]:
    """A document type's ``rules``: every check, each on data that passed the schema.

    Without schema problems (:func:`schema_broken` inactive) every check runs as is, and a crash is
    a bug that surfaces. With them, a check runs only if none of the paths it reads is broken, and
    a check that still meets data of an unexpected shape is skipped: its cause is reported already.
    """
    def rules(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
        broken = _BROKEN.get()
        found: list[Problem] = []
        for regel in regeln:
            if not broken:
                found += regel.pruefe(data, settings)
            elif not regel.touches(broken):
                try:
                    found += regel.pruefe(data, settings)
                except Exception:  # shape differs from the schema, which reported it
                    continue
        return found
    return rules


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
