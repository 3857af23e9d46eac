"""Stage 1, validate: JSON file → checked job data, or every problem at once.

JSON is parsed with ``Decimal`` for numbers (money is never a float); a UTF-8
byte-order mark is accepted, UTF-16 and binary files are named as such. Values
that parse but mean nothing are refused with their path: ``NaN``/``Infinity``,
numbers with more than 15 digits before the point, and lone UTF-16 surrogates
(``\\ud800``), which no later stage could write as UTF-8; a key given twice in one
object; characters that would not reach paper as written (see :data:`PRINTABLE`).
The document is then checked against its JSON Schema (Draft 2020-12, formats
checked), against the domain rules of its document type (each on the parts that
passed the schema) and its Anlagen are looked at: every problem of all three
rounds is reported at once, with its JSON path.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from docgen import documents
from docgen.errors import FileAccessError, InvalidInput, Problem, oserror_text
from docgen.model import DocumentType, Job, Part
from docgen.schemas import broken_paths, date_hint, german_number, pointer, schema_broken, schema_problems, show
from docgen.settings import Settings
from docgen.stages.anlagen import check_pdf, resolve

__all__ = [
    "PRINTABLE", "check_data", "collect_parts", "parse_json", "pointer", "read_input", "read_json", "show",
    "too_large", "validate_file",
]


def read_input(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes; files above ``limit`` bytes are refused unread (exit 4)."""
    try:
        if path.is_dir():
            raise IsADirectoryError
        if limit is not None and path.stat().st_size > limit:
            raise too_large(path.name, path.stat().st_size, limit)
        if not path.is_file() and path.exists():
            raise FileAccessError(f"{path}: ist keine gewöhnliche Datei.")
        return path.read_bytes()
    except FileNotFoundError:
        if str(path) == "-":
            raise FileAccessError("-: docgen liest Eingaben aus Dateien, nicht von der Standardeingabe. Bitte den "
                                  "Namen der JSON-Datei angeben, z. B. vorlage.json.") from None
        raise FileAccessError(f"{path}: Datei nicht gefunden.") from None
    except IsADirectoryError:
        raise FileAccessError(f"{path}: ist ein Ordner, keine JSON-Datei.{_files_in(path)}") from None
    except PermissionError:
        raise FileAccessError(
            f"{path}: keine Leseberechtigung. Bitte die Dateirechte prüfen."
        ) from None
    except OSError as exc:
        raise FileAccessError(f"{path}: Datei nicht lesbar ({oserror_text(exc)}).") from None


def _files_in(folder: Path) -> str:
    """" Bitte die Dateien darin angeben, z. B. …" naming up to three JSON files of ``folder``, or ""."""
    try:
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    except OSError:
        return ""
    if not names:
        return ""
    shown = " ".join(shlex.quote(str(folder / name)) for name in names[:3]) + (" …" if len(names) > 3 else "")
    return f" Bitte die Dateien darin angeben, z. B. {shown} (oder {shlex.quote(str(folder))}/*.json)."


def too_large(filename: str, size: int, limit: int) -> InvalidInput:
    """The refusal of an input of ``size`` bytes above ``limit`` (the setting max_input_bytes)."""
    return InvalidInput(filename, [Problem(
        "", f"die Datei ist {size / 1e6:.1f} MB groß; erlaubt sind höchstens {limit / 1e6:.1f} MB (Einstellung "
        "max_input_bytes). Große Inhalte bitte als PDF-Anlage beifügen.", "eingabe.zu_gross")])


def parse_json(raw: bytes, filename: str) -> Any:
    """Parse UTF-8 JSON (BOM accepted) with Decimal numbers, or raise InvalidInput with every problem."""
    data, problems = read_json(raw, filename)
    if problems:
        raise InvalidInput(filename, problems)
    return data


def read_json(raw: bytes, filename: str) -> tuple[Any, list[Problem]]:
    """Parse UTF-8 JSON; raise InvalidInput if it is no JSON text, else return the data and its problems.

    The problems are values docgen refuses (numbers, lone surrogates, characters, keys given twice);
    each refused number is replaced by ``None`` so the schema and rules can look at the rest.
    """
    while raw.startswith(b"\xef\xbb\xbf"):  # some tools write the byte-order mark twice
        raw = raw[3:]
    if not raw.replace(b"\xef\xbb\xbf", b"").strip():
        raise InvalidInput(filename, [Problem("", _EMPTY, "json.leer")])
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
    twice: dict[int, list[str]] = {}
    try:
        data = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_Unusable.constant,
                          object_pairs_hook=_keys_once(twice))
    except json.JSONDecodeError as exc:
        raise InvalidInput(filename, [Problem("", _syntax_message(text, exc), "json.syntax")]) from None
    except RecursionError:
        raise InvalidInput(filename, [Problem(
            "", "die Datei ist zu tief verschachtelt.", "json.verschachtelung")]) from None
    if isinstance(data, _Unusable):
        raise InvalidInput(filename, [Problem("", data.message, data.code)])
    try:
        return data, _unusable_values(data, twice)
    except _TooDeep as deep:
        raise InvalidInput(filename, [Problem(
            deep.path, f"die Datei ist zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen ineinander; so tief ist "
            "kein Dokument aufgebaut). Bitte die eckigen und geschweiften Klammern prüfen.",
            "json.verschachtelung")]) from None


def _keys_once(twice: dict[int, list[str]]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An ``object_pairs_hook`` that notes, per object, the keys that occur more than once."""
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            counts = collections.Counter(k for k, _ in pairs)
            twice[id(obj)] = [k for k, n in counts.items() if n > 1]
        return obj
    return hook


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


def _unusable_values(data: Any, twice: Mapping[int, list[str]]) -> list[Problem]:
    """Refused numbers, strings that cannot reach paper as written, and keys given twice.

    Refused numbers are replaced by ``None`` in place; at most ``MAX_PROBLEMS`` are reported. A
    value's JSON pointer is written out only when a problem names it (each value keeps its parent's
    place and its own key), so that a long key above a long list costs its length once, not once per
    item. Deeper than ``MAX_DEPTH`` levels: :class:`_TooDeep`.
    """
    problems: list[Problem] = []
    stack: list[tuple[_Place, Any, Any, Any, int]] = [(None, data, None, None, 0)]  # iterative: ~1,000 deep
    while stack:
        place, value, parent, key, depth = stack.pop()
        if isinstance(value, _Unusable):
            problems.append(Problem(_pointer(place), value.message, value.code))
            parent[key] = None
        elif isinstance(value, str):
            found = _text_problems("", value)
            problems += [replace(p, path=_pointer(place)) for p in found]
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _TooDeep(_pointer(place))
            if isinstance(value, list):
                stack.extend(((place, str(i)), item, value, i, depth + 1)
                             for i, item in reversed(list(enumerate(value))))
                continue
            path = _pointer(place)
            for name in twice.get(id(value), []):
                problems.append(Problem(f"{path}/{_escape_key(name)}", f"das Feld „{_escaped(name)}“ steht in "
                                        "diesem Objekt mehrfach; bitte nur einmal angeben (welcher Wert gemeint "
                                        "ist, bleibt sonst offen).", "json.doppelter_schluessel"))
            for name in reversed(list(value)):
                found = _text_problems(path or "/", name, key=True)
                problems += found
                if not found:
                    stack.append(((place, _escape_key(name)), value[name], value, name, depth + 1))
    return problems[:MAX_PROBLEMS]


# Objects and lists inside each other: the deepest document (an Anlage's nested document with a table
# in its Sachlage) has about a dozen levels. Deeper input is a mistake, and the schema check, which
# follows the data recursively, would run out of stack on it.
MAX_DEPTH = 64
# A value's place: its parent's place and its own key as a JSON pointer token; None is the whole file.
_Place = tuple["_Place", str] | None


class _TooDeep(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _pointer(place: _Place) -> str:
    tokens: list[str] = []
    while place is not None:
        place, token = place
        tokens.append(token)
    return "".join("/" + token for token in reversed(tokens))


def _escape_key(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --- characters that reach paper as written ----------------------------------------------------

MAX_PROBLEMS = 50
# The characters of the documents' font, Liberation Sans (every template uses it, in all four
# styles): Latin (with Vietnamese), Greek, Cyrillic, punctuation, currency, arrows, simple maths
# and bullets. Deliberately left out although the font has them: the right-to-left Hebrew block,
# every control and invisible format character (bidi overrides, embeddings, isolates and marks,
# which can reverse "100.000,00" on the page; zero-width characters) except the soft hyphen
# U+00AD. C0 control characters (U+0000–U+001F) are let through: the renderer removes them.
# tests/test_input_rules.py checks every character here against the installed font files.
PRINTABLE: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E), (0xA0, 0x36F), (0x374, 0x375), (0x37A, 0x37E), (0x384, 0x38A), (0x38C, 0x38C),
    (0x38E, 0x3A1), (0x3A3, 0x3CE), (0x3D0, 0x513), (0x51A, 0x51D), (0x1E00, 0x1E9B), (0x1E9E, 0x1E9E),
    (0x1EA0, 0x1EF9), (0x1F00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D),
    (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D),
    (0x1F80, 0x1FB4), (0x1FB6, 0x1FC4), (0x1FC6, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FDD, 0x1FEF),
    (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFE), (0x2000, 0x200A), (0x2010, 0x2010), (0x2012, 0x2022),
    (0x2026, 0x2026), (0x202F, 0x2030), (0x2032, 0x2034), (0x2039, 0x203A), (0x203C, 0x203C),
    (0x203E, 0x203E), (0x2044, 0x2044), (0x2074, 0x2079), (0x207F, 0x2089), (0x2090, 0x2094),
    (0x20A0, 0x20B5), (0x20BF, 0x20BF), (0x2105, 0x2105), (0x2113, 0x2113), (0x2116, 0x2117),
    (0x2122, 0x2122), (0x2126, 0x2126), (0x212E, 0x212E), (0x2153, 0x2154), (0x215B, 0x215E),
    (0x2190, 0x2195), (0x21D4, 0x21D4), (0x2202, 0x2202), (0x2206, 0x2206), (0x220F, 0x220F),
    (0x2211, 0x2212), (0x2215, 0x2215), (0x2219, 0x221A), (0x221E, 0x221F), (0x2229, 0x2229),
    (0x222B, 0x222B), (0x2248, 0x2248), (0x2260, 0x2261), (0x2264, 0x2265), (0x25A0, 0x25A1),
    (0x25AA, 0x25AB), (0x25CB, 0x25CB), (0x25CF, 0x25CF), (0x25E6, 0x25E6),
    (0xFB01, 0xFB02),
)
_REFUSED = re.compile("[^\x00-\x1f" + "".join(
    f"\\u{a:04x}-\\u{b:04x}" for a, b in PRINTABLE) + "]")
_DIRECTION = {0x202A: "Richtungseinbettung", 0x202B: "Richtungseinbettung", 0x202C: "Ende einer Richtungsvorgabe",
              0x202D: "Richtungsumkehr", 0x202E: "Richtungsumkehr", 0x2066: "Richtungsisolierung",
              0x2067: "Richtungsisolierung", 0x2068: "Richtungsisolierung", 0x2069: "Ende einer Richtungsisolierung",
              0x200E: "Richtungsmarke", 0x200F: "Richtungsmarke", 0x061C: "Richtungsmarke"}
_NAMED = {0x7F: "Steuerzeichen DEL", 0x85: "Steuerzeichen NEL, Zeilenwechsel", 0x200B: "Leerzeichen ohne Breite",
          0x2028: "Zeilentrenner", 0x2029: "Absatztrenner", 0xFEFF: "Leerzeichen ohne Breite/BOM",
          0xFFFC: "Objekt-Platzhalter", 0xFFFD: "Ersatzzeichen für ein unlesbares Zeichen"}


def _character(char: str) -> tuple[str, str]:
    """``U+202E (Richtungsumkehr)`` and the kind: "richtung", "unsichtbar" or "schrift"."""
    code = ord(char)
    kind = unicodedata.category(char)
    if code in _DIRECTION:
        return f"U+{code:04X} ({_DIRECTION[code]})", "richtung"
    if code in _NAMED or kind in {"Cc", "Cf", "Zl", "Zp"}:
        return f"U+{code:04X} ({_NAMED.get(code, 'Steuerzeichen' if kind == 'Cc' else 'Formatzeichen')})", "unsichtbar"
    name = unicodedata.name(char, "").title() or ("privates Zeichen" if kind == "Co" else "nicht belegt")
    shown = f"„{char}“, " if kind not in {"Co", "Cn", "Mn", "Me"} else ""
    return f"U+{code:04X} ({shown}{name})", "schrift"


_WHY = {
    "richtung": "es steuert die Schreibrichtung und kann Text auf der Seite umdrehen (aus 100.000,00 würde "
                "00,000.001). Bitte das Zeichen entfernen.",
    "unsichtbar": "es ist ein unsichtbares Steuer- oder Formatzeichen und würde als Kästchen gedruckt oder "
                  "verschwinden. Bitte das Zeichen entfernen.",
    "schrift": "die Schrift der Dokumente (Liberation Sans) enthält es nicht; es würde als leeres Kästchen "
               "gedruckt. Bitte das Zeichen entfernen oder umschreiben (z. B. in lateinischer Umschrift).",
}


def _text_problems(path: str, text: str, key: bool = False) -> list[Problem]:
    """A lone surrogate or a character the documents cannot show in ``text`` (a value or a key)."""
    where = f"der Feldname „{_escaped(text)[:40]}“" if key else "der Text"
    if _SURROGATE.search(text):
        found = ", ".join(sorted({_escaped(c) for c in _SURROGATE.findall(text)})[:3])
        return [Problem(path, f"{where} enthält ein ungültiges Zeichen ({found}: ein einzelnes UTF-16-Surrogat, "
                        "kein Schriftzeichen). Bitte das Zeichen entfernen.", "json.unicode")]
    refused = list(dict.fromkeys(_REFUSED.findall(text)))
    if not refused:
        return []
    described = [_character(c) for c in refused[:3]]
    more = f" und {len(refused) - 3} weitere" if len(refused) > 3 else ""
    names = ", ".join(d for d, _ in described)
    kind = described[0][1]
    return [Problem(path, f"{where} enthält das Zeichen {names}{more}: {_WHY[kind]}", f"text.zeichen_{kind}")]


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


_EMPTY = "die Datei ist leer (erwartet ein JSON-Objekt)."  # the web form and the API add what to do there

# --- JSON syntax errors as clerks make them ---------------------------------------------------

# Quotes Word and Outlook put in place of straight ones (and their relatives from other keyboards).
TYPOGRAPHIC_QUOTES = "„“”‚‘’«»‹›″‟‛＂"
_QUOTES_ADVICE = ("Texte und Feldnamen stehen in JSON zwischen geraden Anführungszeichen \"…\"; Word und Outlook "
                  "ersetzen sie beim Tippen durch typografische („…“ oder “…”). Bitte die Datei in einem "
                  "Texteditor wie Notepad++ bearbeiten, nicht in Word oder Outlook.")
# Characters no one sees that JSON does not take as a blank between fields.
_INVISIBLE = {"\ufeff": "eine Byte-Order-Markierung (BOM, U+FEFF)", "\u00a0": "ein geschütztes Leerzeichen (U+00A0)",
              "\u202f": "ein schmales geschütztes Leerzeichen (U+202F)", "\u2007": "ein Ziffernleerzeichen (U+2007)",
              "\u200b": "ein Leerzeichen ohne Breite (U+200B)", "\u2060": "ein Wortverbinder (U+2060)"}
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)(")?', re.DOTALL)
_NUMBER_LIKE = re.compile(r"-?[0-9][0-9.,\-]*[0-9](?:\s*(?:€|EUR|Euro))?|-?[0-9](?:\s*(?:€|EUR|Euro))?")
_WORD = re.compile(r"[^\s,:{}\[\]\"]+")


def _syntax_message(text: str, exc: json.JSONDecodeError) -> str:
    """``Zeile …, Spalte …: kein gültiges JSON (…).`` and, where the cause is plain, what to write instead."""
    reason, advice = _json_reason(exc.msg), _syntax_advice(text, exc)
    if advice and advice[0]:
        reason = advice[0]
    message = f"Zeile {exc.lineno}, Spalte {exc.colno}: kein gültiges JSON ({reason})."
    return f"{message} {advice[1]}" if advice else message


def _position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"Zeile {line}, Spalte {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def _syntax_advice(text: str, exc: json.JSONDecodeError) -> tuple[str | None, str] | None:
    """(a better reason or None, advice) for the mistakes clerks make most, or None.

    The parser stops where the text stops making sense, which is often after the mistake: a
    typographic quote (Word), a comma too many or too few, a German date or amount without
    quotes, straight quotes inside a text, an invisible character.
    """
    pos, msg = exc.pos, exc.msg
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line_end = len(text) if end < 0 else end
    here = text[pos] if pos < len(text) else ""
    quotes = _quotes_advice(text, pos, start, line_end, msg)
    if quotes:
        return None, quotes
    if not text[pos:].strip():  # the parser ran out of text: whatever it expected, the end is missing
        return None, ("Die Datei endet mitten im Inhalt: ist sie vollständig gespeichert? Sonst fehlt am Ende "
                      "eine schließende Klammer } oder ].")
    if here in _INVISIBLE:
        return None, (f"An dieser Stelle steht {_INVISIBLE[here]}, ein unsichtbares Zeichen, das JSON nicht als "
                      "Leerzeichen gelten lässt. Bitte das Zeichen löschen (bzw. durch ein normales Leerzeichen "
                      "ersetzen).")
    before = text[:pos].rstrip()
    expected = msg.startswith(("Expecting property name", "Expecting value"))
    if here and here in "}]" and before.endswith(",") and expected:
        where = _position(text, len(before) - 1)
        group = "Feld einer Gruppe { … }" if here == "}" else "Eintrag einer Liste [ … ]"
        return (f"überzähliges Komma vor „{here}“", f"Bitte das Komma in {where} löschen: nach dem letzten "
                f"{group} steht kein Komma.")
    value = _unquoted_value(text, pos, start, line_end, msg.startswith("Expecting property name"))
    if value is not None:  # "": a number the parser stopped in, but no way of writing it to suggest
        return (None, value) if value else None
    if here == "'" and expected:
        return None, ("Texte und Feldnamen stehen in JSON zwischen doppelten geraden Anführungszeichen \"…\", nicht "
                      "zwischen einfachen '…'.")
    if text.startswith(("//", "/*"), pos) or here == "#":
        return None, "JSON kennt keine Kommentare. Bitte den Kommentar löschen."
    if msg.startswith("Expecting ','"):
        if before.endswith('"') and len(before) >= start and here not in "\"{[":
            return None, ("Vermutlich steht im Text davor ein gerades Anführungszeichen \", das den Text vorzeitig "
                          "beendet. Innerhalb eines Textes bitte „…“ schreiben (oder \\\").")
        line = before.count("\n") + 1
        where = f"am Ende von Zeile {line}" if len(before) < start else f"vor Spalte {exc.colno}"
        return None, (f"Vermutlich fehlt {where} ein Komma: zwischen zwei Feldern und zwischen zwei Einträgen "
                      "einer Liste steht ein Komma.")
    if msg.startswith("Expecting ':'"):
        return None, "Zwischen Feldname und Wert steht ein Doppelpunkt, z. B. \"gremium\": \"Kreistag\"."
    if msg.startswith("Invalid control character") and here and here in "\r\n":
        return None, ("Die Zeile endet mitten in einem Text: fehlt das schließende Anführungszeichen \" am Ende des "
                      "Textes?")
    if msg.startswith("Invalid control character") and here:
        kind = "ein Tabulator" if here == "\t" else "ein unsichtbares Steuerzeichen"
        return None, (f"An dieser Stelle steht im Text {kind} (U+{ord(here):04X}). Bitte das Zeichen löschen oder "
                      "durch ein Leerzeichen ersetzen.")
    if msg.startswith("Unterminated string"):
        return None, ("Bitte das schließende Anführungszeichen \" ergänzen – oder ist die Datei nicht vollständig "
                      "gespeichert?")
    if msg.startswith("Invalid \\escape"):
        return None, ("Ein umgekehrter Schrägstrich \\ steht in JSON doppelt: \\\\ (z. B. \"C:\\\\Ablage\"); in "
                      "Pfaden geht auch /.")
    if msg.startswith("Extra data"):
        return None, ("Nach der letzten schließenden Klammer } darf nichts mehr stehen: steht dort eine Klammer zu "
                      "viel, oder ist der Inhalt doppelt eingefügt?")
    return None


def _quotes_advice(text: str, pos: int, start: int, line_end: int, msg: str) -> str | None:
    """The advice for a typographic quote where a straight one belongs (at the error, or around it on its line)."""
    strings = [(m.start(), m.end(), m.group(2) is not None) for m in _STRING.finditer(text, 0, pos)]
    # the string the parser was in when it stopped, or the one it had just closed
    last = strings[-1] if strings else None
    culprit: int | None = None
    opened_straight = False
    if pos < len(text) and text[pos] in TYPOGRAPHIC_QUOTES:
        culprit = pos
    elif last and (not last[2] or (msg.startswith(("Expecting ','", "Expecting ':'"))
                                   and not text[last[1]:pos].strip())):
        content = text[last[0] + 1:last[1] - (1 if last[2] else 0)].rstrip(" \t\r\n,:}]")
        paired = any(q in content[:-1] for q in TYPOGRAPHIC_QUOTES)  # „Radweg“ inside a text is right
        if content and content[-1] in TYPOGRAPHIC_QUOTES and last[0] >= start and not paired:
            culprit, opened_straight = last[0] + len(content), True
    elif msg.startswith("Unterminated string"):
        content = text[pos + 1:line_end].rstrip(" \t\r,:}]")
        if content and content[-1] in TYPOGRAPHIC_QUOTES:
            culprit, opened_straight = pos + len(content), True
    if culprit is None:
        low, high = max(start, pos - 200), min(line_end, pos + 80)
        inside = [(a, b) for a, b, _ in strings if b > low and a < high]  # a one-line file holds thousands
        for i in range(low, high):
            if text[i] in TYPOGRAPHIC_QUOTES and not any(a <= i < b for a, b in inside):
                culprit = i
                break
            if i >= pos and text[i] in ',"':
                break
    if culprit is None:
        return None
    if opened_straight:
        opening = text.rfind('"', start, culprit)
        shown, inner = text[opening:culprit + 1], text[opening + 1:culprit]
    elif culprit == pos:  # an opening quote: the text runs to the next quote
        close = next((i for i in range(culprit + 1, min(line_end, culprit + 62))
                      if text[i] in TYPOGRAPHIC_QUOTES + '"'), -1)
        shown, inner = (text[culprit:close + 1], text[culprit + 1:close]) if close > 0 else ("", "")
    else:  # somewhere else on the line: which text it belongs to is a guess
        shown = inner = ""
    where = "An dieser Stelle" if culprit == pos else "In dieser Zeile"
    if 0 < len(inner) <= 60 and '"' not in inner and not any(q in inner for q in TYPOGRAPHIC_QUOTES) \
            and "\\" not in inner:
        return (f"{where} steht ein typografisches Anführungszeichen: statt {shown} bitte \"{inner}\" schreiben. "
                + _QUOTES_ADVICE)
    return f"{where} steht ein typografisches Anführungszeichen ({text[culprit]}). " + _QUOTES_ADVICE


def _unquoted_value(text: str, pos: int, start: int, line_end: int, name_expected: bool) -> str | None:
    """Advice for a date, amount, word or field name written without quotes where the parser stopped.

    "" when the parser stopped inside a number-like value without a better way of writing it.
    """
    start = max(start, pos - 100)  # a minified file is one long line
    line = text[start:min(line_end, pos + 100)]
    for match in _NUMBER_LIKE.finditer(line):
        if not match.start() <= pos - start < match.end() + 1:
            continue
        if line[:match.start()].rstrip()[-1:] not in (":", "[", ","):
            return None
        written = match.group()
        if re.fullmatch(r"-?0[0-9]+", written):
            return (f"Eine Zahl beginnt in JSON nicht mit 0: bitte {int(written)} schreiben (oder als Text in "
                    f"Anführungszeichen: \"{written}\").")
        date = date_hint(written) or (written if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", written) else None)
        if date:
            return (f"Hier steht das Datum {written} ohne Anführungszeichen. Ein Datum steht in geraden "
                    f"Anführungszeichen und als Jahr-Monat-Tag: bitte \"{date}\" schreiben.")
        number = german_number(written)
        if number:
            return (f"Hier steht die Zahl {written} in deutscher Schreibweise. In JSON steht eine Zahl ohne "
                    f"Tausenderpunkte und Währungszeichen, mit Punkt vor den Nachkommastellen: bitte {number} "
                    "schreiben.")
        return "" if match.start() < pos - start else None
    if pos >= len(text) or not text[pos].isalpha():
        return None
    word = _WORD.match(text, pos)
    written = text[pos:line_end].split(",")[0].strip().rstrip("}]").strip() if word else ""
    if not word or not written or len(written) > 60:
        return None
    if name_expected:
        name = text[pos:text.find(":", pos, line_end)].strip() if ":" in text[pos:line_end] else ""
        if name and '"' not in name and len(name) <= 60:
            return f"Feldnamen stehen in geraden Anführungszeichen: bitte \"{name}\" schreiben."
        return None
    if written.lower() in {"ja", "nein", "wahr", "falsch"}:
        return f"Ja und Nein stehen in JSON als true oder false (ohne Anführungszeichen), nicht als {written}."
    if written in {"True", "False", "TRUE", "FALSE", "Null", "NULL", "None"}:
        meant = {"true": "true", "false": "false"}.get(written.lower(), "null")
        return f"true, false und null werden klein geschrieben: bitte {meant} schreiben."
    if '"' in written:
        return None
    return f"Ein Text steht in geraden Anführungszeichen: bitte \"{written}\" schreiben."


def _known_types() -> str:
    return ", ".join(f"„{n}“" for n in documents.names())


def document_type(data: Any, filename: str) -> DocumentType:
    if not isinstance(data, dict):
        raise InvalidInput(filename, [Problem("", "erwartet ein JSON-Objekt {…} auf oberster Ebene.", "schema.typ")])
    art = data.get("dokumentart")
    if art is None:
        raise InvalidInput(filename, [Problem(
            "/dokumentart", f"Pflichtfeld fehlt. Erlaubt sind: {_known_types()}.", "schema.pflichtfeld")])
    doc = documents.get(art) if isinstance(art, str) else None
    if doc is None:
        raise InvalidInput(filename, [Problem(
            "/dokumentart", f"{show(art)} ist keine bekannte Dokumentart. Erlaubt sind: {_known_types()}.",
            "schema.dokumentart")])
    return doc


def check_data(data: Any, filename: str, settings: Settings) -> tuple[DocumentType, list[Problem]]:
    """Schema and domain rules for already parsed data; raises InvalidInput on errors.

    Returns the document type and the warnings. The rules run beside the schema, each on the
    fields that passed it (:func:`docgen.schemas.regelwerk`).
    """
    doc = document_type(data, filename)
    problems = _check(data, doc, settings)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InvalidInput(filename, errors)
    return doc, [p for p in problems if p.level == "warning"]


def _check(data: Mapping[str, Any], doc: DocumentType, settings: Settings,
           refused: frozenset[str] = frozenset()) -> list[Problem]:
    """Schema problems and rule findings of one document; ``refused``: paths the parser refused."""
    schema = [p for p in schema_problems(data, doc.schema_file) if p.path not in refused]
    with schema_broken(broken_paths(schema) | refused):
        return schema + doc.rules(data, settings)


def validate_file(path: Path, settings: Settings, base_dir: Path | None = None) -> Job:
    """Read, parse and check ``path``; Anlagen are looked up relative to ``base_dir`` (default: its folder).

    Every problem is reported at once: refused values, schema, domain rules and Anlagen. A missing
    or unreadable Anlage alone is a file access error (exit 7); with other problems it is listed
    among them (exit 4).
    """
    raw = read_input(path, settings.max_input_bytes)
    data, problems = read_json(raw, path.name)
    try:
        doc = document_type(data, path.name)
    except InvalidInput as exc:
        raise InvalidInput(path.name, problems + exc.problems) from None
    problems += _check(data, doc, settings, frozenset(p.path for p in problems))
    parts, found = collect_parts(data, doc, path, settings, base_dir or path.parent)
    problems += found
    errors = [p for p in problems if p.level == "error"]
    if any(p.code not in FILE_ACCESS for p in errors):
        raise InvalidInput(path.name, errors)
    if errors:
        raise FileAccessError("\n".join(p.render(path.name) for p in errors))
    warnings = [p for p in problems if p.level == "warning"]
    for part in parts:
        warnings += part.warnings
    return Job(source=path, data=data, document=doc, raw=raw, warnings=warnings, parts=parts)


FILE_ACCESS = {"anlage.nicht_gefunden", "anlage.nicht_lesbar"}  # exit 7 when they are the only problems


@dataclass
class _Bundle:
    """The parts of a bundle while they are collected, and the problems found on the way."""

    source: Path
    settings: Settings
    base: Path
    parts: list[Part] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    inner: Iterator[int] = field(default_factory=lambda: itertools.count(-101, -1))  # numbers of inner parts

    def nested(self, data: dict[str, Any], where: str, given: Any = None) -> tuple[DocumentType | None, list[Problem]]:
        """Check a nested document: its type (None if it has errors, noted under ``where``) and its warnings.

        ``given``: the document as written, if its plug-in filled in fields from the parent (the
        Sachbericht of a Verwendungsnachweis); problems in the filled-in fields are the parent's own.
        """
        try:
            doc = document_type(data, self.source.name)
        except InvalidInput as exc:
            self.problems += [_shift(p, where) for p in exc.problems]
            return None, []
        filled = {f"/{k}" for k in data if isinstance(given, Mapping) and k not in given and k != "dokumentart"}
        found = [_shift(p, where) for p in _check(data, doc, self.settings)
                 if not any(p.path == f or p.path.startswith(f + "/") for f in filled)]
        errors = [p for p in found if p.level == "error"]
        self.problems += errors
        return (None if errors else doc), [p for p in found if p.level == "warning"]


def _shift(problem: Problem, where: str) -> Problem:
    return Problem(f"{where}{problem.path}", problem.message, problem.code, problem.level)


def collect_parts(
    data: Mapping[str, Any], document: DocumentType, source: Path, settings: Settings, base: Path,
) -> tuple[list[Part], list[Problem]]:
    """Every part of the bundle in bundle order, and every problem of the nested documents and files.

    The main document, its own parts (the Sachbericht of a Verwendungsnachweis), then each Anlage;
    a nested document brings its own parts and Anlagen right after it (titles "Anlage 2 –
    Sachbericht", "Anlage 2.1: …"). Anlage files are checked wherever the entry names a ``datei``
    text, even when other fields of the input are wrong; files of a nested document are found
    relative to the same folder as the main document's.
    """
    bundle = _Bundle(source, settings, base, [Part(0, document.title, "", document=document, data=data)])
    _collect(bundle, document, data, "", 0, lambda t: t, lambda n, t: t)
    return bundle.parts, bundle.problems


def _collect(bundle: _Bundle, doc: DocumentType, data: Mapping[str, Any], where: str, depth: int,
             part_title: Callable[[str], str], file_title: Callable[[int, str], str], public: bool = True) -> None:
    """The parts of ``doc`` (its own parts, then its Anlagen) into ``bundle``; ``depth`` 0 = the main document."""
    try:
        own = doc.parts_of(data) if doc.parts_of else []
    except Exception:  # the input is not shaped as the schema says; the schema reported it
        own = []
    for j, (title, sub, sub_where) in enumerate(own):
        sub_data = _inherit(dict(sub), data)
        sub_doc, warnings = bundle.nested(sub_data, where + sub_where, _at(data, sub_where))
        if sub_doc is None:
            continue
        number = -1 - j if depth == 0 else next(bundle.inner)
        name = part_title(title)
        bundle.parts.append(Part(number, name, where + sub_where, document=sub_doc, data=sub_data,
                                 warnings=warnings, public=public))
        _collect(bundle, sub_doc, sub_data, where + sub_where, depth + 1, _prefixed(f"{name} – "),
                 _numbered(f"{name}, Anlage "), public)
    anlagen = data.get("anlagen")
    if not isinstance(anlagen, list):
        return
    if len(anlagen) > bundle.settings.max_anlagen:
        bundle.problems.append(Problem(
            f"{where}/anlagen", f"{len(anlagen)} Anlagen; erlaubt sind höchstens {bundle.settings.max_anlagen} "
            "(Einstellung max_anlagen).", "anlagen.zu_viele"))
        return
    for i, anlage in enumerate(anlagen):
        if isinstance(anlage, dict):
            _anlage(bundle, anlage, i, where, depth, part_title, file_title, public)


def _anlage(bundle: _Bundle, anlage: dict[str, Any], i: int, where: str, depth: int,
            part_title: Callable[[str], str], file_title: Callable[[int, str], str], public: bool) -> None:
    here = f"{where}/anlagen/{i}"
    titel = anlage["titel"] if isinstance(anlage.get("titel"), str) else ""
    public = public and anlage.get("oeffentlich") is not False
    number = i + 1 if depth == 0 else next(bundle.inner)
    if isinstance(anlage.get("datei"), str):
        path = _anlage_file(bundle, anlage["datei"], f"{here}/datei")
        if path is not None:
            bundle.parts.append(Part(number, file_title(i + 1, titel), here, pdf_file=path, public=public))
        return
    nested = anlage.get("dokument")
    if not isinstance(nested, dict):
        return
    if depth:
        bundle.problems.append(Problem(
            f"{here}/dokument", "ein eingebettetes Dokument kann selbst nur PDF-Dateien als Anlagen haben (datei). "
            "Bitte das Dokument als eigene Anlage des Hauptdokuments angeben.", "anlage.zu_tief_verschachtelt"))
        return
    nested_data = _inherit(dict(nested), bundle.parts[0].data or {})
    nested_doc, warnings = bundle.nested(nested_data, f"{here}/dokument")
    if nested_doc is None:
        return
    bundle.parts.append(Part(number, titel, here, document=nested_doc, data=nested_data, warnings=warnings,
                             public=public))
    _collect(bundle, nested_doc, nested_data, f"{here}/dokument", depth + 1, _prefixed(f"Anlage {number} – "),
             _numbered(f"Anlage {number}."), public)


def _at(data: Any, path: str) -> Any:
    """The value at a JSON pointer such as ``/sachbericht``, or None."""
    for key in path.strip("/").split("/") if path.strip("/") else []:
        data = data.get(key.replace("~1", "/").replace("~0", "~")) if isinstance(data, Mapping) else None
    return data


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda title: prefix + title


def _numbered(prefix: str) -> Callable[[int, str], str]:
    return lambda k, title: f"{prefix}{k}: {title}"


def _anlage_file(bundle: _Bundle, relative: str, where: str) -> Path | None:
    """The checked path of an Anlage file, or None with its problem noted."""
    path, problem = resolve(bundle.base, relative, where)
    try:
        if problem is None and path is not None and not path.exists() and not path.is_symlink():
            bundle.problems.append(Problem(where, f"Anlage „{relative}“ nicht gefunden (gesucht in "
                                           f"{_folder(bundle.base)}). Bitte die Datei dort ablegen.",
                                           "anlage.nicht_gefunden"))
            return None
        if problem is None and path is not None:
            problem = check_pdf(path, relative, where)
    except OSError as exc:
        bundle.problems.append(Problem(where, f"Anlage „{relative}“ nicht lesbar ({oserror_text(exc)}). Bitte die "
                                       "Dateirechte prüfen.", "anlage.nicht_lesbar"))
        return None
    if problem is not None:
        bundle.problems.append(problem)
        return None
    return path


def _folder(base: Path) -> Path:
    """The folder Anlagen are looked up in, as a clerk can find it: absolute (``.`` means nothing to them)."""
    try:
        return base.resolve()
    except (OSError, RuntimeError):
        return base.absolute()


def _inherit(nested: dict[str, Any], parent: Mapping[str, Any]) -> dict[str, Any]:
    """A nested document shares the body and the sign-off of the bundle unless it has its own."""
    for key in ("koerperschaft", "freigabe"):
        if key in parent and key not in nested:
            nested[key] = parent[key]
    return nested
