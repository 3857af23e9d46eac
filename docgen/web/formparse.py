"""The way back from the form: posted fields (JSON pointers) to the input document, exactly.

Money typed the German way ("1.234,56", "1.150") becomes an exact Decimal; what cannot be read
as German money is passed on as typed, so the library's own message explains it. Row actions
(add, remove, move) work on the rebuilt document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from docgen.errors import Problem
from docgen.web import jsontext
from docgen.web.form import MISSING, child, kind, parse_money, parse_number, resolve

Fields = Mapping[str, list[str]]


@dataclass
class Reader:
    schema: Mapping[str, Any]
    form: Fields
    problems: list[Problem] = field(default_factory=list)  # what the form itself could not read

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
            return jsontext.parse(raw)
        except json.JSONDecodeError as exc:
            self.problems.append(Problem(ptr, f"kein gültiges JSON (Zeile {exc.lineno}, Spalte {exc.colno}: "
                                              f"{exc.msg}). Bitte korrigieren.", "web.json"))
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


def apply_action(data: dict[str, Any], action: str) -> str | None:
    """Apply a row action ``neu:/ptr``, ``weg:/ptr/i``, ``hoch:/ptr/i``, ``runter:/ptr/i`` in place.

    Returns the pointer that should get the focus afterwards (the new or moved row), or None.
    """
    verb, _, ptr = action.partition(":")
    if verb == "neu":
        target = _container(data, ptr, create=True)
        if not isinstance(target, list):
            return None
        target.append(_empty_like(target))
        return f"{ptr}/{len(target) - 1}"
    list_ptr, _, index = ptr.rpartition("/")
    target = _container(data, list_ptr, create=False)
    if not isinstance(target, list) or not index.isdigit() or int(index) >= len(target):
        return None
    i = int(index)
    if verb == "weg":
        del target[i]
        return list_ptr
    j = i - 1 if verb == "hoch" else i + 1 if verb == "runter" else -1
    if 0 <= j < len(target):
        target[i], target[j] = target[j], target[i]
        return f"{list_ptr}/{j}"
    return None


def _empty_like(rows: list[Any]) -> Any:
    return {} if rows and isinstance(rows[0], dict) and not _is_block_list(rows) else ""


def _is_block_list(rows: list[Any]) -> bool:
    keys = {"absatz", "ueberschrift", "liste", "tabelle"}
    return all(isinstance(r, str) or (isinstance(r, dict) and set(r) <= keys) for r in rows)


def _container(data: dict[str, Any], ptr: str, *, create: bool) -> Any:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]
    value: Any = data
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if isinstance(value, dict):
            if part not in value or (last and isinstance(value[part], str)):
                if not create:
                    return None
                value[part] = [value[part]] if last and isinstance(value.get(part), str) else [] if last else {}
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def strip_freigabe(data: Any) -> bool:
    """Remove every ``freigabe`` from the document and its nested documents; True if one was there."""
    found = False
    if isinstance(data, dict):
        if "freigabe" in data:
            del data["freigabe"]
            found = True
        for value in data.values():
            found = strip_freigabe(value) or found
    elif isinstance(data, list):
        for value in data:
            found = strip_freigabe(value) or found
    return found


def has_freigabe(data: Any) -> bool:
    if isinstance(data, dict):
        return "freigabe" in data or any(has_freigabe(v) for v in data.values())
    if isinstance(data, list):
        return any(has_freigabe(v) for v in data)
    return False


__all__ = ["Decimal", "Reader", "apply_action", "has_freigabe", "strip_freigabe"]
