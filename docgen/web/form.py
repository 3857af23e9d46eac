"""The form of a dokumentart, generated from its self-contained JSON Schema, and the way back.

Field names are JSON pointers (``/beratungsfolge/1/datum``), so the library's problems land on
their field. Helper fields carry a prefix: ``_anzahl:`` rows of a list, ``_typ:`` whether a
number was written as number or text, ``_form:`` plain text or blocks, ``_art:`` a block's or an
Anlage's kind, ``_null:`` "noch nicht terminiert", ``_kopf:`` a table's header row.
The walker knows exactly the keywords and shapes our schemas use; :func:`unsupported` names any
other, and a test fails on it, so a growing schema cannot silently lose a field in the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from docgen.web import jsontext
from docgen.web.labels import label, row_label

MISSING: Any = object()
KNOWN_KEYWORDS = {
    "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "description",
    "title", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "anyOf", "oneOf", "minimum",
    "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum", "$schema", "$id", "x-version", "$defs",
    "x-eingabe",
}
LONG_TEXT = {"begruendung_nichtoeffentlichkeit", "begruendung", "bemerkung", "abweichungsgrund", "anschrift",
             "bewertung", "ergebnis", "beschluss"}
BLOCK_KINDS = (("absatz", "Absatz"), ("ueberschrift", "Zwischenüberschrift"), ("liste", "Aufzählung"),
               ("tabelle", "Tabelle"))
_GERMAN_MONEY = re.compile(r"^(-?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$")
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def child(ptr: str, key: str | int) -> str:
    return f"{ptr}/{str(key).replace('~', '~0').replace('/', '~1')}"


def slug(ptr: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", ptr.replace("/", "-")) or "-"


def parent(ptr: str) -> str:
    return ptr.rsplit("/", 1)[0] if "/" in ptr else ""


# --- reading the schema ---------------------------------------------------------------------------

class Unsupported(ValueError):
    pass


def unsupported(schema: Mapping[str, Any]) -> list[str]:
    """Keywords and shapes in ``schema`` the form cannot show, as ``pointer: keyword`` lines."""
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        found.extend(f"{where}: {k}" for k in node if k not in KNOWN_KEYWORDS)
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{where}/{key}")
        for key, sub in node.get("$defs", {}).items():
            walk(sub, f"#/$defs/{key}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}/[]")
        for combinator in ("anyOf", "oneOf"):
            for n, sub in enumerate(node.get(combinator, [])):
                walk(sub, f"{where}/{combinator}[{n}]")
    walk(schema, "")
    defs = schema
    try:
        Walker(schema, {}).kinds_of(schema, defs)
    except Unsupported as exc:
        found.append(str(exc))
    return found


def resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (a pointer into the root schema ``defs``); the referring node's keys win."""
    result = dict(node)
    while "$ref" in result:
        target: Any = defs
        for part in str(result.pop("$ref")).lstrip("#").split("/")[1:]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        result = {**target, **result}
    return result


def kind(node: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    ref = str(node.get("$ref", "")).rsplit("/", 1)[-1]
    if ref in ("bloecke", "anlagen", "freigabe"):
        return ref
    s = resolve(node, defs)
    if "const" in s:
        return "const"
    if "anyOf" in s:
        branches = [resolve(b, defs) for b in s["anyOf"]]
        if any(str(b.get("format", "")).startswith("geldbetrag") for b in branches):
            return "geld"
        if any(b.get("$ref") for b in s["anyOf"]) and {"null"} == {b.get("type") for b in branches} - {"string"}:
            return "datum_null" if any(b.get("format") == "date" for b in branches) else "json"
        types = {b.get("type") for b in branches}
        if types in ({"number", "string"}, {"integer", "string"}):
            return "zahl_text"
        return "json"
    if "enum" in s:
        if not all(isinstance(v, str) for v in s["enum"]):
            raise Unsupported(f"enum mit Werten, die kein Text sind: {s['enum']}")
        return "enum"
    t = s.get("type")
    if t == "boolean":
        return "ja_nein"
    if t == "string":
        return "datum" if s.get("format") == "date" else "text"
    if t in ("number", "integer"):
        return "zahl"
    if t == "object":
        # an open object (other keys allowed, e.g. an embedded Sachbericht) is edited as JSON
        return "objekt" if s.get("properties") and s.get("additionalProperties") is False else "json"
    if t == "array":
        item = s.get("items")
        if not isinstance(item, dict):
            raise Unsupported(f"array ohne items: {s}")
        return "json" if resolve(item, defs).get("type") == "array" else "liste"
    raise Unsupported(f"unbekannte Form: {sorted(s)}")


# --- values ---------------------------------------------------------------------------------------

def money_text(value: Any) -> str:
    """A money value as a clerk writes it: ``1.234,56`` (as many decimals as the value has)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    sign = "-" if number < 0 else ""
    whole, _, frac = format(abs(number), "f").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def parse_money(text: str) -> Decimal | None:
    """German input (``1.234,56``, ``1234,5``, ``1.150`` = 1150) to an exact Decimal; None if not German."""
    match = _GERMAN_MONEY.match(text)
    if not match:
        return None
    sign, whole, frac = match.groups()
    return Decimal(f"{sign}{whole.replace('.', '')}" + (f".{frac}" if frac else ""))


def number_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | int | float):
        return format(value, "f").replace(".", ",") if isinstance(value, Decimal) else str(value)
    return str(value)


def parse_number(text: str) -> int | Decimal | None:
    if not _PLAIN_NUMBER.match(text):
        return None
    normal = text.replace(",", ".")
    return Decimal(normal) if "." in normal else int(normal)


def get(data: Any, ptr: str) -> Any:
    value = data
    for part in [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


_ARTICLE = re.compile(r"^(der|die|das|den|dem|des|ein|eine|einer|eines|ihr|ihre|sein|seine)\s+", re.IGNORECASE)
_TRUE_FALSE = {"true": "„Ja“", "false": "„Nein“"}


def help_text(s: Mapping[str, Any], title: str) -> str:
    """The help under a field, from the schema's ``description``, written for clerks.

    A description that only repeats the label ("der Betreff der Vorlage" under "Betreff") is left
    out; JSON's true/false read as the Ja/Nein the form offers.
    """
    text = str(s.get("description", "")).strip()
    if not text:
        return ""
    bare = _ARTICLE.sub("", text).rstrip(".").casefold()
    label_text = _ARTICLE.sub("", title).casefold()
    if bare in (label_text, label_text.split(" (")[0]):
        return ""
    text = re.sub(r"\b(true|false)\b", lambda m: _TRUE_FALSE[m.group(1)], text)
    return text[:1].upper() + text[1:]


# --- rendering ------------------------------------------------------------------------------------

@dataclass
class Walker:
    schema: Mapping[str, Any]
    data: Any
    errors: dict[str, list[str]] = field(default_factory=dict)
    fokus: str | None = None
    known: dict[str, str] = field(default_factory=dict)  # pointer → id of its first control
    labels: dict[str, str] = field(default_factory=dict)  # pointer → the label shown
    _focused: bool = False
    # the non-empty ids of ``known`` in the order they were registered: a group's first control is
    # the first id registered while it was rendered (``_ids[start]``), found without a scan of ``known``
    _ids: list[str] = field(default_factory=list, repr=False)
    # every error pointer and each of its ancestors, so "an error in this group" is one look-up
    _error_scope: frozenset[str] | None = field(default=None, repr=False)

    @property
    def defs(self) -> Mapping[str, Any]:
        return self.schema

    def kinds_of(self, node: Mapping[str, Any], defs: Mapping[str, Any]) -> None:
        """Classify every property (raises Unsupported on a shape the form cannot show)."""
        s = resolve(node, defs)
        for sub in s.get("properties", {}).values():
            k = kind(sub, defs)
            if k == "objekt":
                self.kinds_of(sub, defs)
            elif k == "liste":
                item = resolve(sub, defs)["items"]
                if kind(item, defs) == "objekt":
                    self.kinds_of(item, defs)

    def render(self) -> Markup:
        self._error_scope = None  # ``errors`` may have changed since the walker was made
        return self.properties(resolve(self.schema, self.defs), "", self.data)

    def _register(self, ptr: str, fid: str) -> None:
        """Record the id of the first control of ``ptr`` (the first registration wins)."""
        if ptr not in self.known:
            self.known[ptr] = fid
            if fid:
                self._ids.append(fid)

    def _first_since(self, start: int) -> str:
        """The first id registered after ``len(self._ids)`` was ``start`` ("" if there is none).

        Only a group's own descendants are registered while it is rendered, so this is the id of its
        first control: the same as the first non-empty id in ``known`` below its pointer.
        """
        return self._ids[start] if len(self._ids) > start else ""

    def _has_errors(self, ptr: str) -> bool:
        """Whether there is an error at ``ptr`` or below it."""
        if self._error_scope is None:
            scope = set(self.errors)
            for p in self.errors:
                scope.update(p[:i] for i, ch in enumerate(p) if ch == "/")
            self._error_scope = frozenset(scope)
        return ptr in self._error_scope

    def properties(self, s: Mapping[str, Any], ptr: str, value: Any) -> Markup:
        required = set(s.get("required", []))
        out = []
        for key, sub in s.get("properties", {}).items():
            out.append(self.node(key, sub, child(ptr, key), get(value, "/" + key) if isinstance(value, dict)
                                 else MISSING, key in required))
        return Markup("").join(out)

    def node(self, key: str, node: Mapping[str, Any], ptr: str, value: Any, required: bool,
             row: str | None = None) -> Markup:
        k = kind(node, self.defs)
        s = resolve(node, self.defs)
        text = row or label(key, s)
        if k == "freigabe":
            return Markup("")  # set by "Freigeben und siegeln", never typed into the form
        if k == "const":
            self._register(ptr, "")
            return Markup('<input type="hidden" name="{}" value="{}">').format(ptr, s["const"])
        s = {**s, "description": help_text(s, text)}
        method = getattr(self, "w_" + k)
        return method(key, s, ptr, value, required, text)  # type: ignore[no-any-return]

    # one control with label, help and error slot
    def _field(self, ptr: str, text: str, s: Mapping[str, Any], required: bool, control: Markup,
               extra: Markup | str = "") -> Markup:
        fid = "f" + slug(ptr)
        self._register(ptr, fid)
        self.labels.setdefault(ptr, text)
        errs = self.errors.get(ptr, [])
        help_text = str(s.get("description", ""))
        help_html = Markup('<p class="hilfe" id="h{}">{}</p>').format(slug(ptr), help_text[:1].upper()
                                                                      + help_text[1:]) if help_text else ""
        mark = Markup(' <span class="pflicht">(Pflichtfeld)</span>') if required else ""
        return Markup('<div class="feld{cls}" id="b{sl}"><label for="{fid}">{text}{mark}</label>{help}'
                      '{err}{control}{extra}</div>').format(
            cls=" feld-fehler" if errs else "", sl=slug(ptr), fid=fid, text=text, mark=mark, help=help_html,
            err=self._errslot(ptr, errs), control=control, extra=extra)

    def _errslot(self, ptr: str, errs: list[str]) -> Markup:
        inner = Markup("").join(Markup('<span class="fehlerzeile"><span class="unsichtbar">Fehler: </span>{}'
                                       '</span>').format(m) for m in errs)
        return Markup('<p class="fehlertext" id="e{}" data-pfad="{}"{}>{}</p>').format(
            slug(ptr), ptr, "" if errs else Markup(" hidden"), inner)

    def _attrs(self, ptr: str, s: Mapping[str, Any], required: bool) -> Markup:
        sl = slug(ptr)
        described = " ".join(x for x in (f"h{sl}" if s.get("description") else "", f"e{sl}") if x)
        attrs = Markup(' id="f{}" name="{}" aria-describedby="{}"').format(sl, ptr, described)
        if self.errors.get(ptr):
            attrs += Markup(' aria-invalid="true"')
        if self._take_focus(ptr):
            attrs += Markup(" autofocus")
        return attrs

    def _take_focus(self, ptr: str) -> bool:
        """The first control at or below the pointer to focus (a new row: its first field) gets it."""
        if self.fokus is None or self._focused or not (ptr == self.fokus or ptr.startswith(self.fokus + "/")):
            return False
        self._focused = True
        return True

    def w_text(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        shown = "" if value is MISSING else str(value)
        attrs = self._attrs(ptr, s, required)
        if key in LONG_TEXT or "\n" in shown:
            control = Markup('<textarea{} rows="4">{}</textarea>').format(attrs, shown)
        else:
            control = Markup('<input type="text"{} value="{}">').format(attrs, shown)
        return self._field(ptr, text, s, required, control)

    def w_datum(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        shown = "" if value is MISSING or value is None else str(value)
        control = Markup('<input type="date" class="kurz"{} value="{}">').format(self._attrs(ptr, s, required),
                                                                                  shown)
        return self._field(ptr, text, s, required, control)

    def w_datum_null(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                     text: str) -> Markup:
        shown = "" if value is MISSING or value is None else str(value)
        control = Markup('<input type="date" class="kurz"{} value="{}">').format(self._attrs(ptr, s, required),
                                                                                  shown)
        extra = Markup('<div class="auswahl"><input type="checkbox" id="n{sl}" name="_null:{ptr}" value="1"{c}>'
                       '<label for="n{sl}">noch nicht terminiert</label></div>').format(
            sl=slug(ptr), ptr=ptr, c=Markup(" checked") if value is None else "")
        return self._field(ptr, text, s, required, control, extra)

    def w_geld(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        shown = "" if value is MISSING else money_text(value)
        typ = "text" if isinstance(value, str) else "zahl"
        control = Markup('<span class="einheit-feld"><input type="text" inputmode="decimal" class="kurz"{} '
                         'value="{}"><span aria-hidden="true"> €</span></span>'
                         '<input type="hidden" name="_typ:{}" value="{}">').format(
            self._attrs(ptr, s, required), shown, ptr, typ)
        s = {**s, "description": "Betrag in Euro, z. B. 1.234,56"}
        return self._field(ptr, text, s, required, control)

    def w_zahl(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        shown = "" if value is MISSING else number_text(value)
        control = Markup('<input type="text" inputmode="decimal" class="kurz"{} value="{}">').format(
            self._attrs(ptr, s, required), shown)
        return self._field(ptr, text, s, required, control)

    def w_zahl_text(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                    text: str) -> Markup:
        shown = "" if value is MISSING else number_text(value)
        typ = "text" if isinstance(value, str) else "zahl"
        control = Markup('<input type="text" class="kurz"{} value="{}"><input type="hidden" name="_typ:{}" '
                         'value="{}">').format(self._attrs(ptr, s, required), shown, ptr,
                                              "neu" if value is MISSING else typ)
        return self._field(ptr, text, s, required, control)

    def w_json(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        shown = "" if value is MISSING else jsontext.dumps(value)
        control = Markup('<textarea class="code" rows="6"{}>{}</textarea>').format(self._attrs(ptr, s, required),
                                                                                 shown)
        s = {**s, "description": str(s.get("description", "")) + " (als JSON)"}
        return self._field(ptr, text + " (JSON)", s, required, control)

    def w_enum(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool, text: str) -> Markup:
        options = [Markup('<option value="">– bitte wählen –</option>')]
        options += [Markup('<option value="{v}"{sel}>{v}</option>').format(
            v=v, sel=Markup(" selected") if v == value else "") for v in s["enum"]]
        control = Markup("<select{}>{}</select>").format(self._attrs(ptr, s, required), Markup("").join(options))
        return self._field(ptr, text, s, required, control)

    def w_ja_nein(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                  text: str) -> Markup:
        sl = slug(ptr)
        self._register(ptr, f"f{sl}")
        errs = self.errors.get(ptr, [])
        radios = Markup("").join(
            Markup('<div class="auswahl"><input type="radio" id="{id}" name="{ptr}" value="{v}"{c}{inv}{af}>'
                   '<label for="{id}">{t}</label></div>').format(
                id=f"f{sl}" if v == "ja" else f"f{sl}-nein", ptr=ptr, v=v, t=t,
                c=Markup(" checked") if value is (v == "ja") and value is not MISSING else "",
                inv=Markup(' aria-invalid="true"') if errs else "",
                af=Markup(" autofocus") if v == "ja" and self._take_focus(ptr) else "")
            for v, t in (("ja", "Ja"), ("nein", "Nein")))
        return self._fieldset(ptr, text, s, required, radios, cls="frage")

    def _fieldset(self, ptr: str, text: str, s: Mapping[str, Any], required: bool, inner: Markup,
                  cls: str = "gruppe") -> Markup:
        sl = slug(ptr)
        self.labels.setdefault(ptr, text)
        errs = self.errors.get(ptr, [])
        help_text = str(s.get("description", ""))
        help_html = Markup('<p class="hilfe" id="h{}">{}</p>').format(sl, help_text[:1].upper() + help_text[1:]) \
            if help_text else ""
        mark = Markup(' <span class="pflicht">(Pflichtfeld)</span>') if required else ""
        described = " ".join(x for x in (f"h{sl}" if help_text else "", f"e{sl}") if x)
        return Markup('<fieldset class="{cls}{fe}" id="b{sl}" aria-describedby="{d}"><legend>{text}{mark}</legend>'
                      '{help}{err}{inner}</fieldset>').format(
            cls=cls, fe=" feld-fehler" if errs else "", sl=sl, d=described, text=text, mark=mark,
            help=help_html, err=self._errslot(ptr, errs), inner=inner)

    def w_objekt(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                 text: str) -> Markup:
        start = len(self._ids)
        inner = self.properties(s, ptr, value)
        self._register(ptr, self._first_since(start))
        box = self._fieldset(ptr, text, s, required, inner)
        if required or value is not MISSING or self._has_errors(ptr):
            return box
        # an optional group such as a different Körperschaft stays folded until it is needed
        return Markup('<details class="zusatz"><summary>{}</summary>{}</details>').format(text, box)

    def _buttons(self, list_ptr: str, i: int, n: int, name: str) -> Markup:
        item = child(list_ptr, i)
        buttons = []
        if i > 0:
            buttons.append(("hoch", "Nach oben"))
        if i < n - 1:
            buttons.append(("runter", "Nach unten"))
        buttons.append(("weg", "Entfernen"))
        return Markup('<div class="zeilenknoepfe">{}</div>').format(Markup("").join(
            Markup('<button type="submit" class="knopf-klein" name="_aktion" value="{a}:{p}" formnovalidate>'
                   '{t}<span class="unsichtbar">: {name} {nr}</span></button>').format(
                a=a, p=item, t=t, name=name, nr=i + 1) for a, t in buttons))

    def w_liste(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                text: str) -> Markup:
        items = value if isinstance(value, list) else []
        item_schema = s["items"]
        row_schema = resolve(item_schema, self.defs) if items and kind(item_schema, self.defs) == "objekt" else None
        name = row_label(key)
        rows = []
        for i, item in enumerate(items):
            item_ptr = child(ptr, i)
            heading = f"{name} {i + 1} von {len(items)}"
            if row_schema is not None:
                start = len(self._ids)
                inner = self.properties(row_schema, item_ptr, item)
                self._register(item_ptr, self._first_since(start))
                rows.append(Markup('<fieldset class="zeile" id="b{}"><legend>{}</legend>{}{}{}</fieldset>').format(
                    slug(item_ptr), heading, self._errslot(item_ptr, self.errors.get(item_ptr, [])), inner,
                    self._buttons(ptr, i, len(items), name)))
            else:
                rows.append(Markup('<div class="zeile-einfach">{}{}</div>').format(
                    self.node(key, item_schema, item_ptr, item, True, row=heading),
                    self._buttons(ptr, i, len(items), name)))
        inner = Markup('<input type="hidden" name="_anzahl:{}" value="{}">{}'
                       '<button type="submit" class="knopf-zweit" name="_aktion" value="neu:{}" formnovalidate>'
                       '{} hinzufügen</button>').format(ptr, len(items), Markup("").join(rows), ptr, name)
        self._register(ptr, "f" + slug(ptr + "-neu"))
        return self._fieldset(ptr, text, s, required, inner, cls="liste")

    def w_anlagen(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                  text: str) -> Markup:
        items = value if isinstance(value, list) else []
        rows = []
        item_schema = resolve(s, self.defs)["items"]
        props = resolve(item_schema, self.defs)["properties"]
        for i, item in enumerate(items):
            item = item if isinstance(item, dict) else {}
            ip = child(ptr, i)
            sl = slug(ip)
            is_doc = "dokument" in item
            datei = str(item.get("datei", ""))
            upload = Markup('<div class="feld" id="b{sl}-datei"><label for="f{sl}-upload">PDF-Datei hochladen</label>'
                            '<p class="hilfe" id="h{sl}-upload">{cur}</p>{err}'
                            '<input type="file" id="f{sl}-upload" name="_datei:{ip}" accept="application/pdf,.pdf" '
                            'aria-describedby="h{sl}-upload e{dsl}">'
                            '<input type="hidden" name="{ip}/datei" value="{datei}"></div>').format(
                sl=sl, ip=ip, datei=datei, dsl=slug(ip + "/datei"),
                cur=f"Gespeichert: {datei.rsplit('/', 1)[-1]}" if datei else "Noch keine Datei gespeichert.",
                err=self._errslot(ip + "/datei", self.errors.get(ip + "/datei", [])))
            self._register(ip + "/datei", f"f{sl}-upload")
            art = Markup("").join(
                Markup('<div class="auswahl"><input type="radio" id="f{sl}-art-{v}" name="_art:{ip}" value="{v}"{c}>'
                       '<label for="f{sl}-art-{v}">{t}</label></div>').format(
                    sl=sl, ip=ip, v=v, t=t, c=Markup(" checked") if (v == "dokument") == is_doc else "")
                for v, t in (("datei", "PDF-Datei"), ("dokument", "Eingebettetes Dokument (JSON)")))
            inner = Markup("").join([
                self.node("titel", props["titel"], ip + "/titel", item.get("titel", MISSING), True),
                Markup('<fieldset class="frage"><legend>Art der Anlage</legend>{}</fieldset>').format(art),
                upload,
                self.node("dokument", props["dokument"], ip + "/dokument", item.get("dokument", MISSING), False),
                self.node("oeffentlich", props["oeffentlich"], ip + "/oeffentlich",
                          item.get("oeffentlich", MISSING), False),
            ])
            self._register(ip, "f" + slug(ip + "/titel"))
            rows.append(Markup('<fieldset class="zeile" id="b{}"><legend>Anlage {} von {}</legend>{}{}{}</fieldset>')
                        .format(sl, i + 1, len(items), self._errslot(ip, self.errors.get(ip, [])), inner,
                                self._buttons(ptr, i, len(items), "Anlage")))
        inner = Markup('<input type="hidden" name="_anzahl:{}" value="{}">{}'
                       '<button type="submit" class="knopf-zweit" name="_aktion" value="neu:{}" formnovalidate>'
                       'Anlage hinzufügen</button>').format(ptr, len(items), Markup("").join(rows), ptr)
        self._register(ptr, "")
        return self._fieldset(ptr, text, s, required, inner, cls="liste")

    def w_bloecke(self, key: str, s: Mapping[str, Any], ptr: str, value: Any, required: bool,
                  text: str) -> Markup:
        form = "text" if isinstance(value, str) or value is MISSING else "liste"
        blocks: list[Any] = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
        if not blocks:
            blocks = [""]
        rows = []
        for i, block in enumerate(blocks):
            bp = child(ptr, i) if form == "liste" or i > 0 else ptr + "/0"
            rows.append(self._block(bp, block, i, len(blocks), ptr))
        inner = Markup('<input type="hidden" name="_form:{p}" value="{f}">'
                       '<input type="hidden" name="_anzahl:{p}" value="{n}">{rows}'
                       '<button type="submit" class="knopf-zweit" name="_aktion" value="neu:{p}" formnovalidate>'
                       'Baustein hinzufügen</button>').format(p=ptr, f=form, n=len(blocks),
                                                             rows=Markup("").join(rows))
        self._register(ptr, "f" + slug(ptr + "/0"))
        return self._fieldset(ptr, text, s, required, inner, cls="liste bloecke")

    def _block(self, bp: str, block: Any, i: int, n: int, list_ptr: str) -> Markup:
        sl = slug(bp)
        art, content, kopf, form = "absatz", "", False, "text"
        if isinstance(block, dict) and len(block) == 1:
            (art, inhalt), = block.items()
            form = "objekt"
            if art == "liste" and isinstance(inhalt, list):
                content = "\n".join(map(str, inhalt))
            elif art == "tabelle" and isinstance(inhalt, dict):
                lines = [inhalt["spalten"]] if isinstance(inhalt.get("spalten"), list) else []
                kopf = bool(lines)
                lines += inhalt.get("zeilen", []) if isinstance(inhalt.get("zeilen"), list) else []
                content = "\n".join(" | ".join(map(str, r)) if isinstance(r, list) else str(r) for r in lines)
            else:
                content = "" if inhalt is None else str(inhalt)
        elif isinstance(block, str):
            content = block
        else:
            art, content, form = "absatz", jsontext.dumps(block), "text"
        errs = self.errors.get(bp, [])
        self._register(bp, f"f{sl}")
        options = Markup("").join(Markup('<option value="{}"{}>{}</option>').format(
            v, Markup(" selected") if v == art else "", t) for v, t in BLOCK_KINDS)
        return Markup(
            '<fieldset class="zeile baustein{fe}" id="b{sl}"><legend>Baustein {nr} von {n}</legend>{err}'
            '<div class="feld"><label for="a{sl}">Art des Bausteins</label>'
            '<select id="a{sl}" name="_art:{bp}">{options}</select></div>'
            '<div class="feld"><label for="f{sl}">Text</label>'
            '<p class="hilfe" id="h{sl}">Aufzählung: ein Punkt je Zeile. Tabelle: eine Zeile je Tabellenzeile, '
            'Zellen durch | getrennt.</p>'
            '<textarea id="f{sl}" name="{bp}" rows="4" aria-describedby="h{sl} e{sl}"{inv}{af}>{content}</textarea>'
            '</div><div class="auswahl"><input type="checkbox" id="k{sl}" name="_kopf:{bp}" value="1"{kopf}>'
            '<label for="k{sl}">Tabelle: erste Zeile enthält die Spaltenüberschriften</label></div>'
            '<input type="hidden" name="_form:{bp}" value="{form}">{buttons}</fieldset>').format(
            fe=" feld-fehler" if errs else "", sl=sl, nr=i + 1, n=n, err=self._errslot(bp, errs), bp=bp,
            options=options, content=content, kopf=Markup(" checked") if kopf else "", form=form,
            inv=Markup(' aria-invalid="true"') if errs else "",
            af=Markup(" autofocus") if self._take_focus(bp) else "", buttons=self._buttons(list_ptr, i, n, "Baustein"))


# --- what the form cannot hold ----------------------------------------------------------------------

ANLAGE_KEYS = ("titel", "datei", "dokument", "oeffentlich")


def drop_unknown(schema: Mapping[str, Any], data: Any) -> list[str]:
    """Remove from ``data`` every field the form has no control for; return their pointers.

    Imported JSON may carry fields the schema does not know (a typo, a newer version, notes of
    another tool). The form could not show them, so saving would lose them without a word; the
    import removes them and the clerk is told which.
    """
    dropped: list[str] = []

    def objekt(s: Mapping[str, Any], ptr: str, value: Any) -> None:
        if not isinstance(value, dict):
            return
        props = s.get("properties", {})
        for key in list(value):
            if key not in props:
                dropped.append(child(ptr, key))
                del value[key]
            else:
                node(props[key], child(ptr, key), value[key])

    def node(n: Mapping[str, Any], ptr: str, value: Any) -> None:
        k = kind(n, schema)
        s = resolve(n, schema)
        if k == "objekt":
            objekt(s, ptr, value)
        elif k == "liste" and isinstance(value, list):
            for i, item in enumerate(value):
                node(s["items"], child(ptr, i), item)
        elif k == "anlagen" and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    for key in [x for x in item if x not in ANLAGE_KEYS]:
                        dropped.append(child(child(ptr, i), key))
                        del item[key]

    objekt(resolve(schema, schema), "", data)
    return dropped
