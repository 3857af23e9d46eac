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

from dataclasses import dataclass
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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


def _text(value: Any) -> str:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, DictionaryObject):  # a file specification
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if key in value:
                return _text(value[key])
        return ""
    return "" if value is None else str(value)


def _action(item: DictionaryObject) -> tuple[str, str, str] | None:
    """(code, description, target) when ``item`` is an action that must go."""
    kind = item.get("/S")
    if kind == "/URI":
        uri = _text(item.get("/URI")).strip()
        if uri.lower().startswith(WEB_SCHEMES):
            return None
        return "dateiverweis", "Verweis auf eine Datei oder Freigabe", uri[:200]
    if kind in ACTIONS:
        code, what = ACTIONS[str(kind)]
        win = item.get("/Win")
        win = win.get_object() if isinstance(win, IndirectObject) else win
        target = item.get("/F") or (win.get("/F") if isinstance(win, DictionaryObject) else None) or ""
        return code, what, _text(target)[:200]
    if "/JS" in item:
        return "javascript", "JavaScript", ""
    return None


def _annotation(item: DictionaryObject) -> tuple[str, str, str] | None:
    subtype = item.get("/Subtype")
    if item.get("/Type", "/Annot") == "/Annot" and subtype in ANNOTATIONS:
        code, what = ANNOTATIONS[str(subtype)]
        return code, what, _text(item.get("/FS"))[:200]
    return None


def _name_tree_names(tree: Any) -> list[str]:
    """The file names in an ``/EmbeddedFiles`` name tree (leaves and kids)."""
    names: list[str] = []
    stack = [tree]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        node = node.get_object() if isinstance(node, IndirectObject) else node
        if not isinstance(node, DictionaryObject) or id(node) in seen:
            continue
        seen.add(id(node))
        pairs = node.get("/Names")
        pairs = pairs.get_object() if isinstance(pairs, IndirectObject) else pairs
        if isinstance(pairs, ArrayObject):
            for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
                names.append(_text(spec) or _text(key))
        kids = node.get("/Kids")
        kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
        if isinstance(kids, ArrayObject):
            stack.extend(kids)
    return names


class _Cleaner:
    def __init__(self, where: str) -> None:
        self.where = where
        self.removed: list[Removal] = []
        self.seen: set[int] = set()

    def note(self, code: str, what: str, target: str) -> None:
        removal = Removal(self.where, code, what, target)
        if removal not in self.removed:
            self.removed.append(removal)

    def verdict(self, value: Any) -> tuple[str, str, str] | None:
        """Why ``value`` must go, if it must."""
        item = value.get_object() if isinstance(value, IndirectObject) else value
        if not isinstance(item, DictionaryObject):
            return None
        return _action(item) or _annotation(item)

    def clean_dict(self, item: DictionaryObject) -> list[Any]:
        for key in ("/EmbeddedFiles", "/AF", "/JavaScript"):
            if key in item and (key != "/JavaScript" or "/S" not in item):
                files = _name_tree_names(item[key]) if key == "/EmbeddedFiles" else []
                for name in files or [""]:
                    code, what = (("javascript", "JavaScript") if key == "/JavaScript"
                                  else ("eingebettete_datei", "eingebettete Datei"))
                    self.note(code, what, name)
                del item[key]
        if item.get("/FT") == "/Sig" and "/V" in item:
            # A part's own signature covers the bytes of its original file, never the bundle's: after
            # the merge it could only ever fail (and make the bundle's verification fail), so its value
            # goes; the field and its visible stamp stay as the part showed them.
            self.note("signatur", "Signatur der Originaldatei", _text(item.get("/T")))
            del item[NameObject("/V")]
        if "/EF" in item:  # a file specification that holds the file itself
            self.note("eingebettete_datei", "eingebettete Datei", _text(item))
            del item[NameObject("/EF")]
        children = []
        for key, value in list(item.items()):
            reason = self.verdict(value)
            if reason is not None:
                self.note(*reason)
                del item[key]
            else:
                children.append(value)
        return children

    def clean_array(self, items: ArrayObject) -> list[Any]:
        kept = []
        for value in items:
            reason = self.verdict(value)
            if reason is not None:
                self.note(*reason)
            else:
                kept.append(value)
        if len(kept) != len(items):
            items[:] = kept
        return kept

    def run(self, root: Any) -> list[Removal]:
        stack: list[Any] = [root]
        while stack:  # iterative: object graphs are deep and have cycles (/Parent, /P)
            item = stack.pop()
            item = item.get_object() if isinstance(item, IndirectObject) else item
            if id(item) in self.seen:
                continue
            if isinstance(item, DictionaryObject):  # stream dictionaries too; their data is not decoded
                self.seen.add(id(item))
                stack.extend(self.clean_dict(item))
            elif isinstance(item, ArrayObject):
                self.seen.add(id(item))
                stack.extend(self.clean_array(item))
        return self.removed


def sanitize(root: Any, where: str) -> list[Removal]:
    """Strip embedded files and outward actions from everything reachable from ``root``, in place.

    ``root`` is a document catalogue (``PdfReader.trailer["/Root"]`` before a merge, or
    ``PdfWriter.root_object`` after it); ``where`` names the part in the messages. Works on
    pypdf objects in memory: a reader's objects stay changed for a following ``append``.
    """
    return _Cleaner(where).run(root)
