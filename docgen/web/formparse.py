"""The way back from the form: posted fields (JSON pointers) to the input document, exactly.

Money typed the German way ("1.234,56", "1.150") becomes an exact Decimal; what cannot be read
as German money is passed on as typed, so the library's own message explains it. Row actions
(add, remove, move) work on the rebuilt document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from docgen.errors import Problem
from docgen.settings import Settings
from docgen.web import jsontext
from docgen.web.form import MISSING, Unsupported, child, kind, parse_money, parse_number, resolve

Fields = Mapping[str, list[str]]


@dataclass
class Reader:
    schema: Mapping[str, Any]
    form: Fields
    problems: list[Problem] = field(default_factory=list)  # what the form itself could not read
    settings: Settings = field(default_factory=Settings)  # max_input_bytes for a JSON field

    @property
    def defs(self) -> Mapping[str, Any]:
        return self.schema

    def one(self, name: str) -> str:
        values = self.form.get(name) or [""]
        return values[-1].replace("\r\n", "\n")

    def has(self, name: str) -> bool:
        return name in self.form

    def document(self) -> dict[str, Any]:
        data = self.properties(resolve(self.schema, self.defs), "")
        return data if isinstance(data, dict) else {}

    def properties(self, s: Mapping[str, Any], ptr: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(s.get("required", []))
        for key, sub in s.get("properties", {}).items():
            value = self.node(sub, child(ptr, key), key in required)
            if value is not MISSING:
                out[key] = value
        return out

    def node(self, node: Mapping[str, Any], ptr: str, required: bool) -> Any:
        k = kind(node, self.defs)
        s = resolve(node, self.defs)
        if k == "freigabe":
            return MISSING
        if k == "const":
            return s["const"]
        return getattr(self, "r_" + k)(s, ptr, required)

    def r_text(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        value = self.one(ptr)
        return value if value.strip() else MISSING

    r_enum = r_text
    r_datum = r_text

    def r_datum_null(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        value = self.one(ptr).strip()
        if value:
            return value
        return None if self.has("_null:" + ptr) else MISSING

    def r_geld(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        raw = self.one(ptr).strip().replace(" ", "").replace("€", "")
        if not raw:
            return MISSING
        number = parse_money(raw)
        if number is None:
            return raw  # not German money: the library says what is wrong and what was meant
        return format(number, "f") if self.one("_typ:" + ptr) == "text" else number

    def r_zahl(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        raw = self.one(ptr).strip()
        if not raw:
            return MISSING
        number = parse_number(raw)
        return raw if number is None else number

    def r_zahl_text(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        raw = self.one(ptr).strip()
        if not raw:
            return MISSING
        if self.one("_typ:" + ptr) == "text":
            return self.one(ptr)
        number = parse_number(raw)
        return raw if number is None else number

    def r_ja_nein(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        value = self.one(ptr)
        return True if value == "ja" else False if value == "nein" else MISSING

    def r_json(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        raw = self.one(ptr)
        if not raw.strip():
            return MISSING
        try:
            return jsontext.read(raw.encode("utf-8", "surrogatepass"), "feld.json", self.settings)
        except jsontext.Unreadable as exc:  # the library's reasons, at this field (or inside it)
            for problem in exc.problems:
                text = jsontext.advised(problem.message, "Bitte korrigieren.")
                self.problems.append(Problem(ptr + problem.path, text, problem.code))
            return MISSING

    def r_objekt(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        value = self.properties(s, ptr)
        return value if value or required else MISSING

    def _count(self, ptr: str) -> int:
        try:
            return max(0, min(int(self.one("_anzahl:" + ptr) or 0), 10_000))
        except ValueError:
            return 0

    def r_liste(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        n = self._count(ptr)
        item = s["items"]
        item_kind = kind(item, self.defs)
        rows: list[Any] = []
        for i in range(n):
            value = self.node(item, child(ptr, i), True)
            if value is MISSING:
                value = {} if item_kind == "objekt" else ""
            rows.append(value)
        return rows if rows or required else MISSING

    def r_anlagen(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        props = resolve(resolve(s, self.defs)["items"], self.defs)["properties"]
        rows: list[Any] = []
        for i in range(self._count(ptr)):
            ip = child(ptr, i)
            row: dict[str, Any] = {}
            titel = self.node(props["titel"], ip + "/titel", True)
            if titel is not MISSING:
                row["titel"] = titel
            if self.one("_art:" + ip) == "dokument":
                doc = self.node(props["dokument"], ip + "/dokument", False)
                if doc is not MISSING:
                    row["dokument"] = doc
            elif self.one(ip + "/datei"):
                row["datei"] = self.one(ip + "/datei")
            oeffentlich = self.node(props["oeffentlich"], ip + "/oeffentlich", False)
            if oeffentlich is not MISSING:
                row["oeffentlich"] = oeffentlich
            rows.append(row)
        return rows if rows or required else MISSING

    def r_bloecke(self, s: Mapping[str, Any], ptr: str, required: bool) -> Any:
        blocks = [b for b in (self._block(child(ptr, i)) for i in range(self._count(ptr))) if b is not MISSING]
        if not blocks:
            return MISSING
        if self.one("_form:" + ptr) == "text" and len(blocks) == 1 and isinstance(blocks[0], str):
            return blocks[0]
        return blocks

    def _block(self, bp: str) -> Any:
        art = self.one("_art:" + bp) or "absatz"
        content = self.one(bp)
        if not content.strip():
            return MISSING
        lines = [line for line in content.split("\n") if line.strip()]
        if art == "ueberschrift":
            return {"ueberschrift": content}
        if art == "liste":
            return {"liste": lines}
        if art == "tabelle":
            cells = [[c.strip() for c in line.split("|")] for line in lines]
            table: dict[str, Any] = {}
            if self.has("_kopf:" + bp) and cells:
                table["spalten"] = cells.pop(0)
            table["zeilen"] = cells
            return {"tabelle": table}
        return {"absatz": content} if self.one("_form:" + bp) == "objekt" else content


_INDEX = re.compile(r"[0-9]{1,5}")  # a row number as the form writes it (ASCII digits, not "²" or "١")


def _index(part: str) -> int | None:
    return int(part) if _INDEX.fullmatch(part) else None


def apply_action(data: dict[str, Any], action: str, schema: Mapping[str, Any]) -> str | None:
    """Apply a row action ``neu:/ptr``, ``weg:/ptr/i``, ``hoch:/ptr/i``, ``runter:/ptr/i`` in place.

    ``neu`` adds a row only to a list the form of ``schema`` has (creating the objects on the way);
    anything else, and a row number that is not one, is ignored. Returns the pointer that should
    get the focus afterwards (the new or moved row), or None.
    """
    verb, _, ptr = action.partition(":")
    if verb == "neu":
        rows = _form_list(schema, _parts(ptr))
        target = None if rows is None else _container(data, ptr, create=True, rows=rows)
        if not isinstance(target, list):
            return None
        target.append(_empty_like(target))
        return f"{ptr}/{len(target) - 1}"
    list_ptr, _, index = ptr.rpartition("/")
    target = _container(data, list_ptr, create=False)
    i = _index(index)
    if not isinstance(target, list) or i is None or i >= len(target):
        return None
    if verb == "weg":
        del target[i]
        return list_ptr
    j = i - 1 if verb == "hoch" else i + 1 if verb == "runter" else -1
    if 0 <= j < len(target):
        target[i], target[j] = target[j], target[i]
        return f"{list_ptr}/{j}"
    return None


def _parts(ptr: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]


def _form_list(schema: Mapping[str, Any], parts: list[str]) -> list[bool] | None:
    """If ``parts`` lead, through the schema's properties and list rows, to a list of the form: which
    parts are row numbers (True) and which are field names; else None."""
    node: Mapping[str, Any] = schema
    rows: list[bool] = []
    try:
        for part in parts:
            s = resolve(node, schema)
            if isinstance(s.get("items"), dict) and _index(part) is not None:
                node = s["items"]
                rows.append(True)
            elif isinstance(s.get("properties"), dict) and part in s["properties"]:
                node = s["properties"][part]
                rows.append(False)
            else:
                return None
        return rows if parts and kind(node, schema) in ("liste", "anlagen", "bloecke") else None
    except (Unsupported, KeyError, TypeError):
        return None


def _empty_like(rows: list[Any]) -> Any:
    return {} if rows and isinstance(rows[0], dict) and not _is_block_list(rows) else ""


def _is_block_list(rows: list[Any]) -> bool:
    keys = {"absatz", "ueberschrift", "liste", "tabelle"}
    return all(isinstance(r, str) or (isinstance(r, dict) and set(r) <= keys) for r in rows)


def _container(data: dict[str, Any], ptr: str, *, create: bool, rows: list[bool] | None = None) -> Any:
    """The value at ``ptr``; with ``create``, missing objects on the way and the list at its end are made.

    ``rows`` (from the schema) marks the parts that are row numbers: rows are never made, a row
    number must name an existing row.
    """
    parts = _parts(ptr)
    if create and rows:  # nothing is made unless the whole way can be: a missing row stops it first
        value: Any = data
        for n, part in enumerate(parts):
            if isinstance(value, dict) and not rows[n] and part in value:
                value = value[part]
            elif isinstance(value, list) and rows[n] and (i := _index(part)) is not None and i < len(value):
                value = value[i]
            elif any(rows[n:]) or not isinstance(value, dict):
                return None
            else:
                break
    value = data
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if isinstance(value, dict) and not (rows and rows[n]):
            if part not in value or (last and isinstance(value[part], str)):
                if not create:
                    return None
                value[part] = [value[part]] if last and isinstance(value.get(part), str) else [] if last else {}
            value = value[part]
        elif isinstance(value, list) and (i := _index(part)) is not None and i < len(value):
            value = value[i]
        else:
            return None
    return value


def strip_freigabe(data: Any) -> bool:
    """Remove every ``freigabe`` from the document and its nested documents; True if one was there."""
    found = False
    for value in jsontext.nodes(data):
        if isinstance(value, dict) and "freigabe" in value:
            del value["freigabe"]
            found = True
    return found


def has_freigabe(data: Any) -> bool:
    return any(isinstance(value, dict) and "freigabe" in value for value in jsontext.nodes(data))


__all__ = ["Decimal", "Reader", "apply_action", "has_freigabe", "strip_freigabe"]
