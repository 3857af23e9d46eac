"""What must not travel inside a sealed bundle, removed while assembling.

A PDF Anlage can carry files (the ``/EmbeddedFiles`` name tree, file-attachment
annotations, associated files) and actions that reach outside the document: open
another file or a network share (``GoToR``, ``GoToE``, ``URI`` with ``file:`` or a UNC
path), start a program (``Launch``), send or load form data (``SubmitForm``,
``ImportData``), run scripts or play media. A seal would vouch for all of it, and
PDF/A forbids most of it, so the assemble stage strips every such object from each
part before the merge and reports each removal (German, naming the part) for the
receipt. A part's own digital signature is dropped too: it covers the part's original
bytes and cannot be valid inside the bundle, whose seal covers everything instead.
Ordinary links (``http``, ``https``, ``mailto``) and jumps inside the document stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pikepdf import Array, Dictionary, Name, Object, Pdf, Stream, String

from docgen.pdfa import first_visit

WEB_SCHEMES = ("http:", "https:", "mailto:")
# action type → (receipt code, German description)
ACTIONS = {
    "/Launch": ("programmstart", "Programmstart"),
    "/GoToR": ("fremdverweis", "Verweis auf eine andere Datei"),
    "/GoToE": ("eingebettet_verweis", "Sprung in eine eingebettete Datei"),
    "/ImportData": ("datenimport", "Datenimport"),
    "/SubmitForm": ("formularversand", "Formularversand"),
    "/JavaScript": ("javascript", "JavaScript"),
    "/Rendition": ("multimedia", "Multimedia-Aktion"),
    "/Sound": ("multimedia", "Tonwiedergabe"),
    "/Movie": ("multimedia", "Filmwiedergabe"),
    "/RichMediaExecute": ("multimedia", "Multimedia-Aktion"),
}
ANNOTATIONS = {
    "/FileAttachment": ("dateianhang", "Dateianhang"),
    "/Sound": ("multimedia", "Ton-Anmerkung"),
    "/Movie": ("multimedia", "Film-Anmerkung"),
    "/Screen": ("multimedia", "Multimedia-Anmerkung"),
    "/RichMedia": ("multimedia", "Multimedia-Anmerkung"),
    "/3D": ("multimedia", "3D-Anmerkung"),
}


@dataclass(frozen=True)
class Removal:
    """One thing taken out of a part of the bundle."""

    where: str  # the part, e.g. "Anlage 2 „Plan“"
    code: str  # stable key: eingebettete_datei, dateianhang, fremdverweis, programmstart, dateiverweis, …
    what: str  # German, e.g. "eingebettete Datei"
    target: str  # the file name or address, "" when there is none

    @property
    def message(self) -> str:
        target = f" „{self.target}“" if self.target else ""
        return f"{self.where}: {self.what}{target} entfernt"

    def as_dict(self) -> dict[str, str]:
        return {"bestandteil": self.where, "code": self.code, "ziel": self.target, "meldung": self.message}


def _is_dict(value: Any) -> bool:
    """A dictionary or a stream's dictionary (whose data is never decoded here)."""
    return isinstance(value, (Dictionary, Stream))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, String):
        return str(value)
    if _is_dict(value):  # a file specification
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if key in value:
                return _text(value[key])
        return ""
    return str(value)


def _action(item: Object) -> tuple[str, str, str] | None:
    """(code, description, target) when ``item`` is an action that must go."""
    kind = str(item.get("/S", ""))
    if kind == "/URI":
        uri = _text(item.get("/URI")).strip()
        if uri.lower().startswith(WEB_SCHEMES):
            return None
        return "dateiverweis", "Verweis auf eine Datei oder Freigabe", uri[:200]
    if kind in ACTIONS:
        code, what = ACTIONS[kind]
        win: Any = item.get("/Win")
        target = item.get("/F") or (win.get("/F") if _is_dict(win) else None) or ""
        return code, what, _text(target)[:200]
    if "/JS" in item:
        return "javascript", "JavaScript", ""
    return None


def _annotation(item: Object) -> tuple[str, str, str] | None:
    subtype = str(item.get("/Subtype", ""))
    if str(item.get("/Type", "/Annot")) == "/Annot" and subtype in ANNOTATIONS:
        code, what = ANNOTATIONS[subtype]
        return code, what, _text(item.get("/FS"))[:200]
    return None


def _name_tree_names(tree: Any) -> list[str]:
    """The file names in an ``/EmbeddedFiles`` name tree (leaves and kids)."""
    names: list[str] = []
    stack = [tree]
    seen: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if not _is_dict(node) or not first_visit(node, seen):
            continue
        pairs = node.get("/Names")
        if isinstance(pairs, Array):
            for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
                names.append(_text(spec) or _text(key))
        kids = node.get("/Kids")
        if isinstance(kids, Array):
            stack.extend(kids)
    return names


class _Cleaner:
    def __init__(self, where: str) -> None:
        self.where = where
        self.removed: list[Removal] = []

    def note(self, code: str, what: str, target: str) -> None:
        removal = Removal(self.where, code, what, target)
        if removal not in self.removed:
            self.removed.append(removal)

    def verdict(self, value: Any) -> tuple[str, str, str] | None:
        """Why ``value`` must go, if it must. A node of the page tree never goes as a whole (the page
        would be lost); what it carries that it should not is taken out of it instead (``clean_dict``)."""
        if not _is_dict(value) or str(value.get("/Type", "")) in _STRUCTURAL:
            return None
        return _action(value) or _annotation(value)

    def clean_dict(self, item: Object) -> list[Any]:
        for key in ("/EmbeddedFiles", "/AF", "/JavaScript"):
            if key in item and (key != "/JavaScript" or "/S" not in item):
                files = _name_tree_names(item[key]) if key == "/EmbeddedFiles" else []
                for name in files or [""]:
                    code, what = (("javascript", "JavaScript") if key == "/JavaScript"
                                  else ("eingebettete_datei", "eingebettete Datei"))
                    self.note(code, what, name)
                del item[key]
        if str(item.get("/FT", "")) == "/Sig" and "/V" in item:
            # A part's own signature covers the bytes of its original file, never the bundle's: after
            # the merge it could only ever fail (and make the bundle's verification fail), so its value
            # goes; the field and its visible stamp stay as the part showed them.
            self.note("signatur", "Signatur der Originaldatei", _text(item.get("/T")))
            del item["/V"]
        if "/JS" in item and str(item.get("/Type", "")) in _STRUCTURAL:
            self.note("javascript", "JavaScript", "")
            del item["/JS"]
        if "/EF" in item:  # a file specification that holds the file itself
            self.note("eingebettete_datei", "eingebettete Datei", _text(item))
            del item["/EF"]
        children = []
        for key, value in list(item.items()):
            reason = self.verdict(value)
            if reason is not None:
                self.note(*reason)
                del item[key]
            elif isinstance(value, (Dictionary, Stream, Array)):
                children.append(value)
        return children

    def clean_array(self, items: Object) -> list[Any]:
        kept, gone = [], []
        for index, value in enumerate(items):
            reason = self.verdict(value)
            if reason is not None:
                self.note(*reason)
                gone.append(index)
            elif isinstance(value, (Dictionary, Stream, Array)):
                kept.append(value)
        for index in reversed(gone):
            del items[index]
        return kept

    def run(self, pdf: Pdf) -> list[Removal]:
        """Find what must go among the objects reachable from the catalogue, then take it out.

        qpdf writes each object as text in microseconds; only an object whose text names something
        that can be dangerous (or that refers to an object that is) is looked at key by key.
        """
        root = pdf.Root
        parents: dict[tuple[int, int], list[tuple[int, int]]] = {}
        objects: dict[tuple[int, int], Any] = {}  # every object reached, by number
        suspects: list[tuple[int, int]] = []
        dangerous: set[tuple[int, int]] = set()
        stack = [root]
        while stack:  # iterative: object graphs are deep and have cycles (/Parent, /P)
            item = stack.pop()
            key = item.objgen
            if key in objects:
                continue
            objects[key] = item
            text = (item.stream_dict if isinstance(item, Stream) else item).unparse(resolved=True)
            suspect = bool(_SUSPECT.search(text))
            children = []
            for number, generation in _REFERENCE.findall(text):
                child = (int(number), int(generation))
                found = pdf.get_object(child)
                if isinstance(found, (Dictionary, Stream, Array)):
                    children.append((child, found))
                elif not suspect and isinstance(found, Name):  # "/S 5 0 R" with object 5 being /Launch
                    suspect = bool(_SUSPECT.search(str(found).encode()))
            # The catalogue is never dangerous itself (nothing refers to it that could drop it); an object
            # that is goes where it is referred to, and nothing of it is copied.
            if suspect and key != root.objgen and self.verdict(item) is not None:
                dangerous.add(key)
                continue
            if suspect:
                suspects.append(key)
            for child, found in children:
                parents.setdefault(child, []).append(key)
                if child not in objects:
                    stack.append(found)
        referring = [parent for child in dangerous for parent in parents.get(child, [])]
        for key in dict.fromkeys([*suspects, *referring]):
            self.clean(objects[key])
        return self.removed

    def clean(self, item: Any) -> list[Removal]:
        """Clean ``item`` and the direct objects inside it (indirect ones are cleaned on their own)."""
        stack: list[Any] = [item]
        while stack:
            current = stack.pop()
            children = self.clean_array(current) if isinstance(current, Array) else self.clean_dict(current)
            stack.extend(child for child in children if not child.is_indirect)
        return self.removed


_STRUCTURAL = ("/Page", "/Pages", "/Catalog")

# Names that can make an object dangerous: the actions, annotations and keys above (qpdf writes names
# in one spelling, so "/J#61vaScript" is found as /JavaScript), and a reference to another object.
_SUSPECT = re.compile(rb"/(?:" + b"|".join(re.escape(n.lstrip("/").encode()) for n in sorted(
    {*ACTIONS, *ANNOTATIONS, "/URI", "/JS", "/EmbeddedFiles", "/AF", "/EF", "/Sig"}, key=len, reverse=True))
    + rb")(?![^\s()<>\[\]{}/%])")
# A reference is matched only from the first digit of a number, and the numbers' digits are never given
# back: a signature's /Contents (thousands of hex digits, mostly zeros) takes one pass, not one per digit.
_REFERENCE = re.compile(rb"(?<!\d)(\d++) (\d++) R(?![^\s()<>\[\]{}/%])")


def sanitize(pdf: Pdf, where: str) -> list[Removal]:
    """Strip embedded files and outward actions from everything reachable from ``pdf``'s catalogue.

    ``pdf`` is a part before its pages are copied into the bundle, or the bundle; ``where``
    names the part in the messages. Works on the objects in memory: what is copied from the
    part afterwards is the cleaned state.
    """
    return _Cleaner(where).run(pdf)
