"""JSON text with exact numbers: ``Decimal`` is written as it is, never through a binary float.

:func:`parse` reads trusted text (drafts and jobs this app wrote). :func:`read` reads what a
client sent (an API body, an imported file, a JSON field of the form): when the text is no
usable JSON, the reason comes from the library (``docgen validate``'s own German messages, via
``docgen.api``) as :class:`Unreadable`. Neither function nor :func:`dumps` recurses in Python,
so no nesting depth ends in a ``RecursionError``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from docgen import api
from docgen.errors import InvalidInput, Problem
from docgen.settings import Settings

# A draft is stored, loaded and shown by code that follows its nesting; the documents need about
# a dozen levels (an Anlage's embedded document with its tables), so 64 leaves room for any real one.
MAX_DEPTH = 64
# What the library says about a text it cannot read as JSON at all (or reads only by losing a value).
UNREADABLE = frozenset({"eingabe.zu_gross", "json.leer", "json.kodierung", "json.binaer", "json.syntax",
                        "json.verschachtelung", "json.doppelter_schluessel"})
_MAX_INT_DIGITS = 15  # the library refuses longer numbers; they stay Decimal here (int() stops at 4,300 digits)
_SURROGATE = re.compile("[\ud800-\udfff]")


class Unreadable(ValueError):
    """Client JSON the app does not take; ``problems`` carry the library's German messages."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))

    @property
    def message(self) -> str:
        return " ".join((f"{p.path}: " if p.path else "") + p.message for p in self.problems)


def _int(text: str) -> int | Decimal:
    return Decimal(text) if len(text.lstrip("-")) > _MAX_INT_DIGITS else int(text)


class _Twice(ValueError):
    pass


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Twice
    return obj


def parse(text: str | bytes) -> Any:
    """Parse JSON the way the library does: numbers with a fraction become ``Decimal``.

    Raises ``ValueError`` for text that is no JSON and ``RecursionError`` for absurd nesting.
    """
    return json.loads(text, parse_float=Decimal, parse_int=_int)


def read(raw: bytes, name: str, settings: Settings, *, draft: bool = True) -> Any:
    """Client JSON → data; raise :class:`Unreadable` with the library's reasons if it is no usable JSON.

    Refused is text the library cannot read: no UTF-8 (UTF-16, binary), empty, a syntax error,
    nesting deeper than the parser goes. For a ``draft`` (a file to import, a JSON field of the
    form) also more than ``max_input_bytes``, a key given twice in one object (one value would be
    lost without a word) and more than :data:`MAX_DEPTH` levels. Values the library refuses inside
    good JSON (long numbers, characters) are kept: the check names them at their field.
    """
    data: Any = None
    failed = draft and len(raw) > settings.max_input_bytes
    if not failed:
        try:
            data = json.loads(raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8"), parse_float=Decimal,
                              parse_int=_int, object_pairs_hook=_once if draft else None)
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            failed = True
    if failed:
        raise Unreadable(_library_reasons(raw, name, settings))
    if draft and depth(data) > MAX_DEPTH:
        raise Unreadable([Problem("", f"die Datei ist zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen).",
                                  "json.verschachtelung")])
    return data


def _library_reasons(raw: bytes, name: str, settings: Settings) -> list[Problem]:
    """Why the library cannot read ``raw`` (``docgen validate``'s own problems for this text)."""
    try:
        _data, problems = api.read_json(raw, name, settings)
    except InvalidInput as exc:
        problems = exc.problems
    return [p for p in problems if p.code in UNREADABLE] or [Problem("", "kein gültiges JSON.", "json.syntax")]


def advised(message: str, advice: str) -> str:
    """``message`` with ``advice`` ("Bitte …") added, unless the library's message already says what to do."""
    return message if "bitte" in message.lower() else f"{message} {advice}"


def nodes(value: Any) -> list[Any]:
    """Every dict and list in ``value`` (itself included), without recursion: nesting depth does not matter."""
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            found.append(item)
            stack.extend(item)
    return found


def depth(value: Any) -> int:
    """How deeply ``value`` nests (a scalar: 0, ``[]``: 1, ``[[1]]``: 2), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
            deepest = max(deepest, level + 1)
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
            deepest = max(deepest, level + 1)
    return deepest


def _scalar(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN/Infinity ist kein JSON")
        text = str(value)
        if "E" not in text or abs(value.adjusted()) > 40:  # 1E+999999999 stays short: the check names it
            return text
        return format(value, "f")
    if isinstance(value, str) and _SURROGATE.search(value):
        return json.dumps(value)  # a lone surrogate as \\udxxx: UTF-8 cannot hold it, the check names it
    return json.dumps(value, ensure_ascii=False)


def dumps(value: Any, indent: int = 2) -> str:
    """Like ``json.dumps(..., ensure_ascii=False, indent=2)``, but a Decimal keeps its digits."""
    out: list[str] = []
    # work items: a value to write at a level, or a literal piece of text
    stack: list[tuple[Any, int] | str] = [(value, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, level = item
        if isinstance(node, dict | list) and node:
            pad = " " * (indent * (level + 1))
            opening, closing = ("{", "}") if isinstance(node, dict) else ("[", "]")
            out.append(opening + "\n")
            pieces: list[tuple[Any, int] | str] = []
            entries = list(node.items()) if isinstance(node, dict) else [(None, v) for v in node]
            for n, (key, child) in enumerate(entries):
                head = pad if key is None else f"{pad}{_scalar(str(key))}: "
                pieces += [(",\n" if n else "") + head, (child, level + 1)]
            pieces.append("\n" + " " * (indent * level) + closing)
            stack.extend(reversed(pieces))
        elif isinstance(node, dict):
            out.append("{}")
        elif isinstance(node, list):
            out.append("[]")
        else:
            out.append(_scalar(node))
    return "".join(out)
