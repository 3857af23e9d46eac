"""Stage 2, render: job data → DOCX through a docxtpl Word template.

Rendering is strict: a variable the template uses but the data lacks is an
error naming both (never a blank in a legal document). Values are XML-escaped
(autoescape), and templates run in Jinja's sandbox so an edited template cannot
reach Python internals.
"""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from docx import Document
from docx.image.image import Image as DocxImage
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from docgen.errors import ConfigError, FileAccessError, InvalidInput, Problem, TemplateProblem, oserror_text
from docgen.formatting import FILTERS
from docgen.model import DocumentType, Job
from docgen.richtext import (
    DEFAULT_TEXT_WIDTH,
    LIST_STYLE,
    TABLE_STYLE,
    BlockBuilder,
    BlockProblem,
    BlockXml,
    clean_text,
    required_styles,
)
from docgen.settings import Koerperschaft, Settings

# Seconds one document may take to render, until the settings carry ``render_timeout``.
TELL_OWNERS = ("Die Vorlage ist fehlerhaft, nicht die Eingabe: bitte die Vorlagen-Verantwortlichen "
               "informieren.")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class RenderTools:
    """What a document type's context builder may use: rich text and the body profile.

    ``data``, ``data_name`` and ``json_path`` only serve messages: a block list that is too
    large is reported with its JSON path (found by identity in ``data``) in the input file.
    """

    template: DocxTemplate
    settings: Settings
    koerperschaft: Koerperschaft
    data: Mapping[str, Any] | None = None
    data_name: str = ""
    json_path: str = ""  # where ``data`` stands in the input, e.g. "/sachbericht"
    deadline: float | None = None  # time.monotonic() value
    timeout: float | None = None
    # The input's folder: a relative ``koerperschaft.logo`` in the input is looked up there
    # (never outside it); None = the current folder.
    base_dir: Path | None = None
    _builder: BlockBuilder | None = None

    LOGO_HEIGHT_MM: ClassVar[float] = 16.0  # a Wappen's usual height in a letterhead
    LOGO_MAX_WIDTH_MM: ClassVar[float] = 60.0  # a wide logo is scaled down to this width instead
    LOGO_FORMATS: ClassVar[dict[bytes, str]] = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}

    def blocks(self, value: Any, heading_level: int = 2) -> BlockXml:
        if self._builder is None:
            path = Path(str(self.template.template_file))
            self._builder = BlockBuilder(style_ids(path), text_width=_text_width(self.template),
                                         deadline=self.deadline, timeout=self.timeout, link=self._relate)
        try:
            return self._builder.build(value, heading_level)
        except BlockProblem as exc:
            found = locate(self.data, value) if self.data is not None else None
            where = self.json_path + (found + exc.path if found is not None else "")
            raise InvalidInput(self.data_name or "Eingabe", [Problem(where, exc.message, exc.code)]) from exc

    def _relate(self, url: str) -> str:
        """The relationship id of an external hyperlink in the document part (made once per address)."""
        return str(self.template.docx.part.relate_to(url, RT.HYPERLINK, is_external=True))

    def logo(self) -> InlineImage | None:
        """The body's logo for the template's header (``{{ logo }}``), or None when none is set.

        The input's ``koerperschaft.logo`` wins over the setting ``[koerperschaft] logo``.
        """
        path = self.logo_file(self.data or {}, self.settings, self.base_dir, self.json_path, self.data_name)
        return None if path is None else self.logo_image(self.template, path)

    @classmethod
    def logo_image(cls, template: DocxTemplate, path: Path) -> InlineImage:
        """``path`` (a checked logo file) as an image of fixed height for ``template``."""
        picture = DocxImage.from_file(str(path))
        height: Mm | None = Mm(cls.LOGO_HEIGHT_MM)
        width: Mm | None = None
        if picture.px_height and picture.px_width * cls.LOGO_HEIGHT_MM > cls.LOGO_MAX_WIDTH_MM * picture.px_height:
            height, width = None, Mm(cls.LOGO_MAX_WIDTH_MM)
        return InlineImage(template, str(path), width=width, height=height)

    @classmethod
    def logo_file(cls, data: Mapping[str, Any], settings: Settings, base_dir: Path | None = None,
                  json_path: str = "", data_name: str = "") -> Path | None:
        """The logo file to print, checked: PNG or JPEG that exists and can be read.

        A missing file or SVG from the input is an input error (exit 4, with its JSON path); from
        the settings a settings error (exit 9); a file that exists but cannot be read, exit 7.
        """
        own = (data.get("koerperschaft") or {}).get("logo")
        if own:
            where = f"{json_path}/koerperschaft/logo"

            def refuse(message: str, code: str) -> NoReturn:
                raise InvalidInput(data_name or "Eingabe", [Problem(where, message, code)])

            relative = Path(str(own))
            base = (base_dir or Path.cwd()).resolve()
            if "\x00" in str(own) or relative.is_absolute() or ".." in relative.parts:
                refuse(f"„{own}“: das Logo wird relativ zur JSON-Datei angegeben, in ihrem Ordner oder einem "
                       "Unterordner (z. B. bilder/wappen.png).", "koerperschaft.logo_pfad")
            path = base / relative
            if not path.resolve().is_relative_to(base):
                refuse(f"„{own}“ verweist auf eine Datei außerhalb des Ordners der JSON-Datei. Bitte die "
                       "Bilddatei selbst dort ablegen.", "koerperschaft.logo_pfad")
            if not path.is_file():
                refuse(f"Logo-Datei „{own}“ nicht gefunden (gesucht: {path}).", "koerperschaft.logo_fehlt")
            if path.suffix.lower() == ".svg":
                refuse(f"„{own}“ ist eine SVG-Grafik; das Logo muss als PNG oder JPEG vorliegen (SVG "
                       "bitte vorher in PNG umwandeln, etwa 600 Pixel hoch).", "koerperschaft.logo_format")
            return cls._readable_logo(path, f"Logo „{own}“ aus der Eingabe")
        setting = settings.koerperschaft.logo
        if not setting:
            return None
        source = f"Einstellung [koerperschaft] logo = „{setting}“"
        if settings.config_file is not None:
            source += f" ({settings.config_file})"
        path = Path(setting)
        if not path.is_absolute():
            path = (settings.config_file.parent if settings.config_file is not None else Path.cwd()) / path
        if not path.is_file():
            raise ConfigError(f"{source}: Datei nicht gefunden (gesucht: {path}). Bitte den Pfad zum Wappen "
                              "oder Logo (PNG oder JPEG) prüfen oder die Einstellung entfernen.")
        if path.suffix.lower() == ".svg":
            raise ConfigError(f"{source}: SVG-Grafiken werden nicht unterstützt. Bitte das Logo als PNG "
                              "(etwa 600 Pixel hoch) oder JPEG ablegen und die Einstellung anpassen.")
        return cls._readable_logo(path, source)

    @classmethod
    def _readable_logo(cls, path: Path, source: str) -> Path:
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            raise FileAccessError(f"{source}: die Datei {path} ist nicht lesbar ({oserror_text(exc)}).") from exc
        if not any(head.startswith(magic) for magic in cls.LOGO_FORMATS):
            raise FileAccessError(f"{source}: {path} ist kein PNG- oder JPEG-Bild. Bitte das Logo als PNG "
                                  "oder JPEG ablegen.")
        try:
            DocxImage.from_file(str(path))
        except Exception as exc:  # python-docx raises several types for a damaged picture
            raise FileAccessError(f"{source}: {path} ist kein lesbares Bild ({type(exc).__name__}).") from exc
        return path


def locate(data: Any, target: Any, path: str = "") -> str | None:
    """The JSON pointer of ``target`` (the same object) inside ``data``, or None."""
    if data is target:
        return path
    if isinstance(data, Mapping):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        if isinstance(value, (Mapping, list)) or value is target:
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            found = locate(value, target, f"{path}/{escaped}")
            if found is not None:
                return found
    return None


def _text_width(template: DocxTemplate) -> int:
    """The text width of the template's last section in twips (tables must fit into it)."""
    try:
        section = template.docx.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin
        return int(width.twips) if width > 0 else DEFAULT_TEXT_WIDTH
    except (AttributeError, IndexError, TypeError):
        return DEFAULT_TEXT_WIDTH


# -- styles ------------------------------------------------------------------------------------

_STYLE_TYPES = {LIST_STYLE: "paragraph", TABLE_STYLE: "table"}


# Per process: the styles of each template file, keyed by path and the file's mtime and size, so an
# edited template is read again. Callers must not change the dictionaries they get.
_STYLES: dict[Path, tuple[tuple[int, int], dict[str, tuple[str, str]]]] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of ``path``, or None when it cannot be read (the caller reports that)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _defined_styles(template: Path) -> dict[str, tuple[str, str]]:
    """Lower-cased style name → (style id, type) as ``word/styles.xml`` defines them (cached per file)."""
    stamp = _stamp(template)
    cached = _STYLES.get(template)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    defined = _read_styles(template)
    if stamp is not None:
        _STYLES[template] = (stamp, defined)
    return defined


def _read_styles(template: Path) -> dict[str, tuple[str, str]]:
    try:
        with zipfile.ZipFile(template) as archive:
            root = etree.fromstring(archive.read("word/styles.xml"))
    except FileNotFoundError as exc:
        raise TemplateProblem(f"Vorlage {template.name} nicht gefunden (gesucht: {template}).") from exc
    except KeyError:
        return {}  # a document without styles part defines none
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise TemplateProblem(f"Vorlage {template.name}: keine gültige Word-Datei ({exc}). "
                              + TELL_OWNERS) from exc
    defined: dict[str, tuple[str, str]] = {}
    for style in root.iter(f"{_W}style"):
        name = style.find(f"{_W}name")
        style_id = style.get(f"{_W}styleId")
        if name is not None and style_id:
            defined.setdefault(str(name.get(f"{_W}val", "")).lower(),
                               (style_id, style.get(f"{_W}type", "paragraph")))
    return defined


def missing_styles(template_path: Path) -> list[str]:
    """The styles rich text needs (:func:`docgen.richtext.required_styles`) that the template lacks.

    Names compare without case (Word writes "heading 2" for the built-in "Heading 2"); a style
    of the wrong kind (a character style named "List Bullet") counts as missing.
    """
    defined = _defined_styles(template_path)
    missing = []
    for name in required_styles():
        found = defined.get(name.lower())
        if found is None or found[1] != _STYLE_TYPES.get(name, "paragraph"):
            missing.append(name)
    return missing


def missing_styles_message(template_path: Path, missing: list[str]) -> str:
    names = ", ".join(f"„{m}“" for m in missing)
    noun = "die Formatvorlage" if len(missing) == 1 else "die Formatvorlagen"
    return (f"Vorlage {template_path.name}: es fehlt {noun} {names} (gebraucht für Überschriften, "
            f"Aufzählungen und Tabellen im Text). {TELL_OWNERS} (Datei: {template_path}; "
            "in Word unter Start → Formatvorlagen anlegen, prüfen mit `docgen lint-template`.)")


def style_ids(template_path: Path) -> dict[str, str]:
    """Style name → style id for every style rich text needs; a missing style is a template error."""
    missing = missing_styles(template_path)
    if missing:
        raise TemplateProblem(missing_styles_message(template_path, missing))
    defined = _defined_styles(template_path)
    return {name: defined[name.lower()][0] for name in required_styles()}


def _drop_unused_styles(document: Any) -> None:
    """Remove the paragraph, character and table styles the rendered ``document`` (python-docx) does not use.

    Word's default template, and so every template made from it, defines dozens of paragraph and
    character styles and about a hundred table styles. LibreOffice reads every one of them on each
    load: the unused table styles cost about a fifth of converting a short Vorlage, the unused
    paragraph and character styles another 6 ms per document (``bench/lo_costs.py``). A style only
    takes effect where the text, a header, a footer or a list names it, so the output looks the same
    without the others; kept are the used ones, those they are based on, linked to or followed by,
    the defaults, and the styles Word and LibreOffice apply without the text naming them when they
    fill a field or an index (a table of contents' "toc 1", footnotes, captions, hyperlinks …).
    Word offers its built-in styles again from its own list when a clerk edits the DOCX.
    """
    styles = document.styles.element
    used: set[str] = set()
    for part in document.part.package.iter_parts():
        name = str(part.partname)
        if not (name.startswith("/word/") and name.endswith(".xml")):
            continue
        element = getattr(part, "_element", None)
        if element is styles:
            continue
        if element is None:  # a part python-docx keeps as bytes (footnotes, comments …)
            try:
                element = etree.fromstring(part.blob, _PART_PARSER)
            except etree.XMLSyntaxError:
                return  # unreadable here: keep every style
        used.update(str(ref.get(f"{_W}val")) for ref in element.iter(*_STYLE_REFERENCES))
    for style in styles.iterchildren(f"{_W}style"):
        name = style.find(f"{_W}name")
        if name is not None and str(name.get(f"{_W}val", "")).lower().startswith(_IMPLICIT_STYLES):
            used.add(str(style.get(f"{_W}styleId")))
    _prune_styles(styles, used, ("paragraph", "character", "table"))


# Names (lower case, as Word writes them) of the styles fields and indexes apply on their own.
_IMPLICIT_STYLES = ("toc", "index", "table of ", "caption", "footnote", "endnote", "hyperlink",
                    "followedhyperlink", "annotation", "line number", "page number", "bibliography",
                    "toa heading", "placeholder text")


_STYLE_REFERENCES = tuple(f"{_W}{tag}" for tag in ("pStyle", "rStyle", "tblStyle"))
_PART_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)  # as python-docx reads its parts
_STYLE_LINKS = tuple(f"{_W}{tag}" for tag in ("basedOn", "link", "next"))


def _prune_styles(styles: Any, used: set[str], kinds: tuple[str, ...]) -> None:
    """Remove from the ``w:styles`` element every style of ``kinds`` outside ``used``, the styles they are
    based on, linked to or followed by, and the defaults. Style ids compare without case, as Word's do."""
    every = {str(s.get(f"{_W}styleId")).lower(): s for s in styles.iterchildren(f"{_W}style")}
    candidates = {sid: s for sid, s in every.items() if s.get(f"{_W}type", "paragraph") in kinds}
    keep = {sid for sid, s in candidates.items() if s.get(f"{_W}default") in ("1", "true", "on")}
    keep |= {sid.lower() for sid in used}
    todo = list(keep)
    while todo:
        style = every.get(todo.pop())
        if style is None:
            continue
        for link in style.iterchildren(*_STYLE_LINKS):
            target = str(link.get(f"{_W}val")).lower()
            if target not in keep:
                keep.add(target)
                todo.append(target)
    for style_id, style in candidates.items():
        if style_id not in keep:
            styles.remove(style)


# Per process: each template file as a package whose styles part holds only the table styles a
# rendering can use (those the template's own parts name, rich text's table style, their bases, the
# default) and without Word 2010's copy of the styles, keyed by path, mtime and size like _STYLES.
# Opening it instead of the file spares every rendering reading, dropping and compressing the rest
# (most of opening, pruning and saving a Vorlage).
_LEAN: dict[Path, tuple[tuple[int, int], bytes | None]] = {}


def _lean_package(template: Path) -> bytes | None:
    """The template's package without what no rendering uses (unusable table styles, Word 2010's style
    copy), or None: open the file."""
    stamp = _stamp(template)
    cached = _LEAN.get(template)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        lean = _lean_bytes(template.read_bytes(), template)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError, TemplateProblem):
        lean = None  # opening the file itself reports what is wrong, as always
    if stamp is not None and _stamp(template) == stamp:  # not replaced while being read
        _LEAN[template] = (stamp, lean)
    return lean


def _lean_bytes(raw: bytes, template: Path) -> bytes | None:
    """The lean package's bytes (see :func:`_lean_package`), or None when nothing could be left out."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        entries = archive.infolist()
        names = {e.filename for e in entries}
        replaced: dict[str, bytes] = {}
        if "word/styles.xml" in names:
            styles = _pruned_styles(archive, entries, template)
            if styles is not None:
                replaced["word/styles.xml"] = styles
        dropped = _WORD_2010_STYLES if {_WORD_2010_STYLES, _DOCUMENT_RELS} <= names else None
        if dropped is not None:
            replaced[_DOCUMENT_RELS] = _without_word_2010_styles(archive.read(_DOCUMENT_RELS))
        if not replaced:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as lean:  # read once per rendering, never stored
            for entry in entries:
                if entry.filename != dropped:
                    data = replaced[entry.filename] if entry.filename in replaced else archive.read(entry)
                    lean.writestr(entry.filename, data)
    return out.getvalue()


def _pruned_styles(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], template: Path) -> bytes | None:
    """``word/styles.xml`` without the table styles no rendering can use; None when any may be used."""
    used: set[str] = set()
    for entry in entries:
        if entry.filename.startswith("word/") and entry.filename.endswith(".xml") \
                and entry.filename not in ("word/styles.xml", _WORD_2010_STYLES):
            used.update(str(ref.get(f"{_W}val")) for ref in
                        etree.fromstring(archive.read(entry)).iter(f"{_W}tblStyle"))
    if any("{" in ref or "%" in ref for ref in used):
        return None  # a style chosen by a placeholder: any of them may be used
    table = _defined_styles(template).get(TABLE_STYLE.lower())
    if table is not None:
        used.add(table[0])
    styles = etree.fromstring(archive.read("word/styles.xml"))
    _prune_styles(styles, used, ("table",))
    return _part_bytes(styles)


# Word 2010 saved a second copy of all styles for its text effects; Word 2013 and later and LibreOffice
# read only word/styles.xml, and Word 2010 falls back to it. Rendered documents leave the copy out:
# compressing its 430 KB was a third of the time saving a rendered document took.
_WORD_2010_STYLES = "word/stylesWithEffects.xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"


def _without_word_2010_styles(rels: bytes) -> bytes:
    """The main document's relationships without the one to ``stylesWithEffects.xml``."""
    root = etree.fromstring(rels)
    for rel in list(root):
        if str(rel.get("Type", "")).endswith("/stylesWithEffects"):
            root.remove(rel)
    return _part_bytes(root)


def _part_bytes(root: Any) -> bytes:
    """A package part's XML as Word writes it (declaration, UTF-8, standalone)."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


# -- rendering ---------------------------------------------------------------------------------
def _finalize(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def jinja_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)
    env.filters.update(FILTERS)
    return env


class _CompilingOnceEnvironment(SandboxedEnvironment):
    """The rendering environment: each template source is compiled once per process.

    docxtpl hands every XML part of the template to ``from_string`` on every render; compiling a
    whole document body costs more than filling it. The compiled template is kept under its own
    source text, so an edited template (other XML) is compiled afresh and never confused with the
    old one. A compiled template holds no state between renders. The most recent
    ``COMPILED_KEEP`` sources are kept.
    """

    COMPILED_KEEP = 64

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined, finalize=_finalize)
        self.filters.update(FILTERS)
        self._compiled: OrderedDict[str, Template] = OrderedDict()
        self._compiled_lock = threading.Lock()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        with self._compiled_lock:
            template = self._compiled.get(source)
            if template is not None:
                self._compiled.move_to_end(source)
                return template
        template = super().from_string(source)  # a syntax error is raised here, never cached
        with self._compiled_lock:
            self._compiled[source] = template
            while len(self._compiled) > self.COMPILED_KEEP:
                self._compiled.popitem(last=False)
        return template


class _PatchingOnceTemplate(DocxTemplate):  # type: ignore[misc]
    """A ``DocxTemplate`` whose XML clean-up (``patch_xml``, a pure function of the part's XML)
    runs once per process for each distinct part; every render still has its own docx package."""

    _patched: ClassVar[OrderedDict[str, str]] = OrderedDict()
    _patched_lock: ClassVar[threading.Lock] = threading.Lock()

    def patch_xml(self, src_xml: str) -> str:
        cls = _PatchingOnceTemplate
        with cls._patched_lock:
            done = cls._patched.get(src_xml)
            if done is not None:
                cls._patched.move_to_end(src_xml)
                return done
        done = str(super().patch_xml(src_xml))
        with cls._patched_lock:
            cls._patched[src_xml] = done
            while len(cls._patched) > _CompilingOnceEnvironment.COMPILED_KEEP:
                cls._patched.popitem(last=False)
        return done


class _LeanTemplate(_PatchingOnceTemplate):
    """Opened from the template's lean package (:func:`_lean_package`); ``template_file`` stays the path."""

    docx: Any
    is_rendered: bool

    def init_docx(self, reload: bool = True) -> None:
        if not self.docx or (self.is_rendered and reload):
            lean = _lean_package(Path(str(self.template_file)))
            self.docx = Document(io.BytesIO(lean)) if lean is not None else Document(self.template_file)
            self.is_rendered = False


_ENV: _CompilingOnceEnvironment | None = None


def render_env() -> SandboxedEnvironment:
    """The process's rendering environment (strict, sandboxed, autoescaped, compiling once)."""
    global _ENV
    if _ENV is None:
        _ENV = _CompilingOnceEnvironment()
    return _ENV


def koerperschaft_for(data: Mapping[str, Any], settings: Settings) -> Koerperschaft:
    """The settings' body profile, overridden field by field by the input's ``koerperschaft``."""
    own = data.get("koerperschaft")
    if not own:
        return settings.koerperschaft
    base = {f.name: getattr(settings.koerperschaft, f.name) for f in fields(Koerperschaft)}
    base.update({k: v for k, v in own.items() if v is not None})
    return Koerperschaft(**base)


def _undefined_name(exc: UndefinedError, tpl: DocxTemplate | None = None) -> str:
    """The name Jinja could not find, as the template writes it where that can be seen
    (``vorlage.sitzungsnummer``; Jinja itself names only the last part, ``sitzungsnummer``)."""
    text = str(exc)
    match = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text)
    if not match:
        return text
    name = match.group(1)
    if tpl is not None and match.re.pattern.startswith("has no"):
        written = _DOTTED.findall(str(tpl.get_xml()))
        paths = {w for w in written if w.rsplit(".", 1)[-1] == name}
        if len(paths) == 1:  # else several could be meant: Jinja's own name
            return str(paths.pop())
    return name


# A dotted name as a placeholder writes it: vorlage.nummer, anlagen.0.titel (no brackets, no spaces).
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.\w+)+")


def load_template(path: Path, *, lean: bool = False) -> DocxTemplate:
    """The template, opened (so a broken file is a template error here, not an internal one later).

    ``lean``: for rendering, opened without the table styles no rendering can use (:func:`_lean_package`).
    """
    if not path.is_file():
        raise TemplateProblem(
            f"Vorlage {path.name} nicht gefunden (gesucht: {path}). "
            "Bitte templates_dir in der Konfiguration prüfen."
        )
    tpl = _PatchingOnceTemplate(str(path)) if not lean else _LeanTemplate(str(path))
    try:
        tpl.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, PackageNotFoundError) as exc:
        raise TemplateProblem(f"Vorlage {path.name}: keine gültige Word-Datei ({_reason(exc)}). "
                              + TELL_OWNERS) from exc
    return tpl


def _reason(exc: Exception) -> str:
    """The cause in German where it is known (a part missing, XML that is not well-formed)."""
    if isinstance(exc, KeyError):
        match = re.search(r"'([^']+)'", str(exc))
        return f"der Bestandteil {match.group(1) if match else exc} fehlt"
    if isinstance(exc, etree.XMLSyntaxError):
        return f"ein Bestandteil ist kein gültiges XML: {exc.msg}"
    if isinstance(exc, PackageNotFoundError):
        return "die Datei ist leer oder kein Word-Paket"
    return str(exc)


def render_template(template_path: Path, context: dict[str, Any], out: Path, data_name: str, *,
                    logo: Path | None = None) -> Path:
    """Fill ``template_path`` with ``context`` strictly and write ``out``.

    ``logo``: a logo file checked by :meth:`RenderTools.logo_file`. The sign-off page prints it
    as ``koerperschaft.logo`` (the variable its template knows), so the body in the context is
    handed to the template as a mapping whose ``logo`` is the image, or None without a logo:
    the path itself is never printed.
    """
    tpl = load_template(template_path, lean=True)
    picture = RenderTools.logo_image(tpl, logo) if logo is not None else None
    context = {"logo": picture, **context}
    body = context.get("koerperschaft")
    if isinstance(body, Koerperschaft):
        context["koerperschaft"] = {**{f.name: getattr(body, f.name) for f in fields(body)}, "logo": picture}
    return _render(tpl, template_path.name, context, out, data_name, where=template_path)


def _render(tpl: DocxTemplate, name: str, context: dict[str, Any], out: Path, data_name: str,
            deadline: float | None = None, timeout: float | None = None, where: Path | None = None) -> Path:
    """Render ``tpl`` (the file ``name``, at ``where``) and save it as ``out``."""
    try:
        tpl.render(context, jinja_env=render_env(), autoescape=True)
    except UndefinedError as exc:
        raise TemplateProblem(
            f"Vorlage {name}: die Variable „{_undefined_name(exc, tpl)}“ kommt in den Daten von "
            f"{data_name} nicht vor. Bitte die Vorlage korrigieren "
            f"(`docgen lint-template {where or name}`) oder das Feld ergänzen. Steht das Feld in den Daten, "
            "ist die Vorlage fehlerhaft: bitte die Vorlagen-Verantwortlichen informieren."
        ) from exc
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"Vorlage {name}: fehlerhafter Platzhalter ({exc.message}). "
            "Bitte die {{ }}- und {% %}-Marken in Word prüfen. " + TELL_OWNERS
        ) from exc
    except TemplateError as exc:
        raise TemplateProblem(f"Vorlage {name}: {exc}. {TELL_OWNERS}") from exc
    except RecursionError as exc:  # Jinja reads nested brackets recursively: "{{ ((((…)))) }}"
        raise TemplateProblem(
            f"Vorlage {name}: ein Platzhalter ist zu tief verschachtelt (zu viele Klammern ineinander). "
            "Bitte den Ausdruck in Word vereinfachen. " + TELL_OWNERS
        ) from exc
    if deadline is not None and time.monotonic() > deadline:
        raise InvalidInput(data_name, [Problem("", f"das Dokument ist zu umfangreich: die Aufbereitung dauerte "
                                               f"länger als das Zeitlimit {timeout or 0:g} s. Bitte den Inhalt "
                                               "kürzen oder aufteilen.", "umfang.zeit")])
    _drop_unused_styles(tpl.docx)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        tpl.save(str(out))
    except OSError as exc:
        raise FileAccessError(f"{out}: DOCX nicht schreibbar ({oserror_text(exc)}).") from exc
    return out


def render_document(
    document: DocumentType, data: Mapping[str, Any], out: Path, settings: Settings, data_name: str,
    *, json_path: str = "", timeout: float | None = None, base_dir: Path | None = None,
) -> Path:
    """Fill the document type's template with ``data`` and write ``out``.

    ``json_path`` is where ``data`` stands in the input (a nested document), for messages;
    ``base_dir`` the input's folder, against which a logo path in the input is resolved.
    ``timeout`` bounds the work in seconds (default: the setting ``render_timeout``); beyond it
    the input is refused as too large (exit 4).
    """
    if timeout is None:
        timeout = settings.render_timeout
    deadline = time.monotonic() + timeout
    template_path = settings.template_path(document.template_file)
    tpl = load_template(template_path, lean=True)
    style_ids(template_path)  # a template without the styles rich text needs fails before any work
    tools = RenderTools(tpl, settings, koerperschaft_for(data, settings), data=data, data_name=data_name,
                        json_path=json_path, deadline=deadline, timeout=timeout, base_dir=base_dir)
    context = document.context(data, tools)
    return _render(tpl, template_path.name, context, out, data_name, deadline, timeout, where=template_path)


def render_docx(job: Job, out: Path, settings: Settings) -> Path:
    """Fill the job's main document template and write ``out``."""
    return render_document(job.document, job.data, out, settings, job.source.name)
