"""``docgen lint-template``: check a Word template before it meets real data.

For administrators who edit templates in Word. In one pass it lists, each with
its paragraph (number and text), in German:

- tags that Word split across runs (such a tag does not work),
- unbalanced ``{% %}`` blocks and any other broken tag,
- typographic quotes (“ ” „ ‘ ’) inside tags, which Word's AutoCorrect types,
- filters and tests that docgen does not know (rendering would fail),
- variables that neither the schema of the template's dokumentart nor the render
  context defines,
- styles that rich text needs and the template lacks.

The dokumentart comes from ``--dokumentart``, else from the template's own
metadata (the custom document property ``dokumentart``, or the core property
``category``, "Kategorie" in Word), else from the file name; when none says it,
linting stops with a usage error instead of calling an unchecked template clean.
"""

from __future__ import annotations

import json
import re
import zipfile
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from docgen import documents
from docgen.errors import DocgenError, ExitCode, TemplateProblem
from docgen.formatting import FILTERS
from docgen.model import DocumentType
from docgen.resources import examples_dir, templates_dir
from docgen.schemas import load_schema, standalone_schema_text
from docgen.settings import Settings
from docgen.stages.render import (
    TELL_OWNERS,
    RenderTools,
    jinja_env,
    koerperschaft_for,
    load_template,
    missing_styles,
    missing_styles_message,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
BLOCK_TAG = re.compile(r"\{%-?\s*(?:[prtc]{1,2}\s+)?(\w+)")
OPENERS = {"if": "endif", "for": "endfor", "macro": "endmacro", "block": "endblock", "with": "endwith",
           "filter": "endfilter", "call": "endcall", "set": None}
MIDDLES = {"elif": "if", "else": None}
TYPOGRAPHIC_QUOTES = "“”„‟‘’‚‛«»‹›"

# Templates that belong to every bundle besides the document types' own, and the variables
# their context holds (the pipeline's sign-off page; the watermark has none).
SUPPORT_KINDS: dict[str, set[str]] = {
    "freigabevermerk": {
        "koerperschaft.name", "koerperschaft.verwaltungsspitze", "koerperschaft.anschrift", "koerperschaft.logo",
        "bezug", "titel", "freigegeben", "inhalt", "inhalt[].label", "inhalt[].titel", "inhalt[].seiten",
        "mitzeichnungen", "mitzeichnungen[].rolle", "mitzeichnungen[].name", "mitzeichnungen[].datum",
        "unterzeichnung", "unterzeichnung.zusatz", "unterzeichnung.name", "unterzeichnung.funktion",
        "unterzeichnung.datum", "eingabe", "sha256", "erzeugt", "version",
    },
    "entwurf": set(),
}


class LintUsageError(DocgenError):
    """The dokumentart to lint against is unknown or cannot be told (exit 2)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Paragraph:
    part: str  # e.g. "word/document.xml"
    number: int  # 1-based within its part, in document order (table cells included)
    runs: list[str]

    @property
    def text(self) -> str:
        return "".join(self.runs)

    @cached_property
    def where(self) -> str:  # computed once: lint() compares it for every paragraph and finding
        kind = re.fullmatch(r"word/(document|header|footer)(\d*)\.xml", self.part)
        label = {"document": "im Haupttext", "header": "in Kopfzeile", "footer": "in Fußzeile"}
        name = label[kind.group(1)] if kind else self.part
        return f"Absatz {self.number} {name}" + (f" {kind.group(2)}" if kind and kind.group(2) else "")


@dataclass(frozen=True)
class Finding:
    kind: str  # "geteilt", "block", "anfuehrung", "syntax", "filter", "variable", "formatvorlage"
    message: str
    paragraph: str  # the paragraph's text ("" = the template as a whole)
    where: str = ""  # "Absatz 12 im Haupttext"

    def render(self, template: str) -> str:
        if not self.where:
            return f"{template}: {self.message}"
        text = self.paragraph if len(self.paragraph) <= 90 else self.paragraph[:87] + "…"
        return f"{template}: {self.message} – im Absatz: „{text}“ ({self.where})"


def _finding(kind: str, message: str, para: Paragraph | None) -> Finding:
    return Finding(kind, message, para.text if para else "", para.where if para else "")


# -- reading the template -------------------------------------------------------------------

def _own_runs(para: Any) -> Iterator[Any]:
    """The runs of a paragraph, without those of paragraphs nested in it (text boxes)."""
    for run in para.iter(f"{W}r"):
        parent = run.getparent()
        while parent is not None and parent.tag != f"{W}p":
            parent = parent.getparent()
        if parent is para:
            yield run


def read_paragraphs(template: Path) -> list[Paragraph]:
    """Every paragraph of the body, headers and footers; a broken file is a template error."""
    try:
        with zipfile.ZipFile(template) as archive:
            names = archive.namelist()
            if "word/document.xml" not in names:
                raise TemplateProblem(f"Vorlage {template.name}: keine gültige Word-Datei (der Bestandteil "
                                      f"word/document.xml fehlt). {TELL_OWNERS}")
            parts = sorted((n for n in names if PARTS.fullmatch(n)), key=_part_order)
            xml = {name: archive.read(name) for name in parts}
    except (OSError, zipfile.BadZipFile) as exc:
        raise TemplateProblem(f"Vorlage {template.name}: keine Word-Datei (.docx) ({exc}).") from exc
    found = []
    for name in parts:
        try:
            root = etree.fromstring(xml[name])
        except etree.XMLSyntaxError as exc:
            raise TemplateProblem(f"Vorlage {template.name}: keine gültige Word-Datei ({name} ist kein "
                                  f"gültiges XML: {exc.msg}). {TELL_OWNERS}") from exc
        for number, para in enumerate(root.iter(f"{W}p"), start=1):
            runs = ["".join(t.text or "" for t in run.iter(f"{W}t")) for run in _own_runs(para)]
            found.append(Paragraph(name, number, [r for r in runs if r]))
    return found


def _part_order(name: str) -> tuple[int, str]:
    return (0 if name == "word/document.xml" else 1 if "header" in name else 2, name)


# -- structure: split tags, blocks, quotes --------------------------------------------------
#
# Tags are found by scanning with str.find, not with lazy regexes such as ``\{\{.*?\}\}``: for
# every opening mark without a close such a regex searches to the paragraph's end again, which
# is quadratic in a long paragraph. Each finder below remembers its last hit, so a paragraph is
# scanned once per mark.

def _finder(text: str, mark: str) -> Callable[[int], int]:
    """``text.find(mark, pos)``, but ``len(text)`` when absent; ``pos`` must never decrease."""
    hit = -1

    def find(pos: int) -> int:
        nonlocal hit
        if hit < pos:
            hit = text.find(mark, pos)
            if hit < 0:
                hit = len(text)
        return hit

    return find


def _openers(text: str) -> Callable[[int], int]:
    """The next ``{{`` or ``{%`` at or after a position (``len(text)`` when none)."""
    expr, stmt = _finder(text, "{{"), _finder(text, "{%")
    return lambda pos: min(expr(pos), stmt(pos))


def word_tag_spans(text: str) -> Iterator[tuple[int, int]]:
    r"""Each ``{{``/``{%`` with its text up to the first ``}}`` or ``%}`` on the same line, or, for
    the first one that no ``}`` or ``%`` follows at all, the rest of the paragraph (an unclosed tag).

    Exactly what ``re.finditer(r"\{[{%].*?[}%]\}|\{[{%][^}%]*$", text)`` matches, in linear time.
    """
    end = len(text)
    opener, closes = _openers(text), (_finder(text, "}}"), _finder(text, "%}"))
    newline = _finder(text, "\n")
    last_mark = max(text.rfind("}"), text.rfind("%"))
    pos = 0
    while (start := opener(pos)) < end:
        close = min(find(start + 2) for find in closes)
        if close == end:
            # No close here, so none for any later opener either: the first opener that no "}"
            # or "%" follows is an unclosed tag up to the end, and no other tag matches.
            start = opener(max(start, last_mark - 1))
            if start < end:
                yield start, end
            return
        if newline(start + 2) > close:
            yield start, close + 2
            pos = close + 2
        else:  # a line break before the close: no tag starts here
            pos = start + 1


def tag_spans(text: str) -> Iterator[tuple[int, int]]:
    r"""Each ``{{ … }}`` and ``{% … %}`` (line breaks allowed), up to the first matching close.

    Exactly what ``re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text, re.S)`` matches, in linear time.
    """
    end = len(text)
    opener, close_expr, close_stmt = _openers(text), _finder(text, "}}"), _finder(text, "%}")
    pos = 0
    while (start := opener(pos)) < end:
        close = (close_expr if text[start + 1] == "{" else close_stmt)(start + 2)
        if close < end:
            yield start, close + 2
            pos = close + 2
        else:
            pos = start + 1


def split_tags(paragraphs: list[Paragraph]) -> list[Finding]:
    findings = []
    for para in paragraphs:
        text = para.text
        boundaries, pos = [], 0  # where one run ends and the next begins, ascending
        for run in para.runs[:-1]:
            pos += len(run)
            boundaries.append(pos)
        for start, end in word_tag_spans(text):
            tag = text[start:end]
            after = bisect_right(boundaries, start)  # the first boundary behind the tag's start
            if (after < len(boundaries) and boundaries[after] < end) or not tag.endswith(("}}", "%}")):
                findings.append(_finding("geteilt", f"Platzhalter „{tag}“ ist von Word auf mehrere "
                                         "Textabschnitte verteilt; bitte den Platzhalter löschen und in einem Zug "
                                         "neu tippen", para))
    return findings


def unbalanced(paragraphs: list[Paragraph]) -> list[Finding]:
    stack: list[tuple[str, Paragraph]] = []
    findings = []
    for para in paragraphs:
        for match in BLOCK_TAG.finditer(para.text):
            word = match.group(1)
            if word in OPENERS and OPENERS[word] is not None:
                stack.append((word, para))
            elif word.startswith("end"):
                opener = word[3:]
                if stack and stack[-1][0] == opener:
                    stack.pop()
                else:
                    findings.append(_finding("block", f"„{{% {word} %}}“ ohne passendes „{{% {opener} … %}}“",
                                             para))
            elif word in MIDDLES and (not stack or stack[-1][0] not in ("if", "for")):
                findings.append(_finding("block", f"„{{% {word} %}}“ außerhalb eines if/for-Blocks", para))
    findings += [_finding("block", f"„{{% {word} … %}}“ wird nicht geschlossen (es fehlt „{{% end{word} %}}“)",
                          para) for word, para in stack]
    return findings


def typographic_quotes(paragraphs: list[Paragraph]) -> list[Finding]:
    findings = []
    for para in paragraphs:
        for start, end in tag_spans(para.text):
            tag = para.text[start:end]
            quotes = sorted({c for c in tag if c in TYPOGRAPHIC_QUOTES})
            if quotes:
                findings.append(_finding(
                    "anfuehrung", f"im Platzhalter „{tag}“ stehen typografische Anführungszeichen "
                    f"({' '.join(quotes)}), die Word beim Tippen einsetzt; bitte gerade Anführungszeichen "
                    "(\" oder ') verwenden (AutoKorrektur: „Gerade Anführungszeichen durch typografische "
                    "ersetzen“ ausschalten)", para))
    return findings


# -- Jinja: syntax, filters, variables ------------------------------------------------------

_DOCXTPL_PREFIX = re.compile(r"\{([{%#])(?:p|tr|tc|r)\s")
_DOCXTPL_CELL = re.compile(r"\{%-?\s*(colspan|cellbg)\s+([^%]*?)-?%\}")
_DOCXTPL_MERGE = re.compile(r"\{%-?\s*(vm|hm)\s*-?%\}")
_STRAIGHT = str.maketrans({c: '"' for c in "“”„‟«»‹›"} | {c: "'" for c in "‘’‚‛"})


def _line(para: Paragraph) -> str:
    """A paragraph as docxtpl hands it to Jinja: special prefixes dropped, quotes straightened."""
    text = _DOCXTPL_PREFIX.sub(lambda m: "{" + m.group(1) + " ", para.text)
    text = _DOCXTPL_CELL.sub(lambda m: "{{ " + m.group(2) + " }}", text)
    text = _DOCXTPL_MERGE.sub("", text)
    parts, pos = [], 0
    for start, end in tag_spans(text):
        parts += [text[pos:start], text[start:end].translate(_STRAIGHT)]
        pos = end
    parts.append(text[pos:])
    return "".join(parts).replace("\n", " ")


def _without_tags(line: str) -> str:
    return re.sub(r"\{[{%#].*?[}%#]\}|\{[{%#].*$", "", line)


def jinja_check(paragraphs: list[Paragraph], skip: set[int]) -> tuple[list[Finding], list[tuple[str, int]]]:
    """Syntax errors, unknown filters and tests, and the variables used (path, line).

    One line per paragraph, so Jinja's line numbers point at paragraphs. Paragraphs in
    ``skip`` (already reported as broken) and each one with a syntax error are parsed without
    their tags, so the rest of the template is still checked.
    """
    lines = [_without_tags(_line(p)) if i in skip else _line(p) for i, p in enumerate(paragraphs)]
    findings: list[Finding] = []
    env = SandboxedEnvironment()
    tree = None
    for _attempt in range(50):
        parser = Parser(env, "\n".join(lines))  # what env.parse() does, but the parser stays at hand
        try:
            tree = parser.parse()
            break
        except TemplateSyntaxError as exc:
            lineno, message, deep = exc.lineno, exc.message, False
        except RecursionError:  # Jinja's parser recurses once per nesting level: "((((…" exhausts the stack
            lineno, message, deep = parser.stream.current.lineno, TOO_DEEP, True
        index = min(max((lineno or 1) - 1, 0), len(paragraphs) - 1)
        para = paragraphs[index] if paragraphs else None
        if index not in skip:
            findings.append(_finding("syntax", f"fehlerhafter Platzhalter: {message}", para))
        if lines[index] == _without_tags(lines[index]) or (deep and not _too_deep(env, lines[index])):
            break  # nothing left to remove here (or the nesting spans paragraphs): give up on the Jinja checks
        skip.add(index)
        lines[index] = _without_tags(lines[index])
    if tree is None:
        return findings, []
    known = jinja_env()
    own = ", ".join(sorted(FILTERS))
    for node in _nodes(tree):
        if not isinstance(node, (nodes.Filter, nodes.Test)):
            continue
        is_filter = isinstance(node, nodes.Filter)
        if node.name not in (known.filters if is_filter else known.tests):
            para = paragraphs[min(node.lineno - 1, len(paragraphs) - 1)]
            hint = (f"docgen kennt {own} und die Jinja-Standardfilter" if is_filter
                    else "erlaubt sind die Jinja-Standardtests wie defined, none, number")
            findings.append(_finding("filter", f"unbekannter {'Filter' if is_filter else 'Test'} „{node.name}“: "
                                     f"das Erzeugen würde scheitern ({hint})", para))
    used: list[tuple[str, int]] = []
    _visit(tree, {}, used)
    return findings, [(p, line) for p, line in used if p and not p.startswith(("loop", "range"))]


TOO_DEEP = ("der Ausdruck ist zu tief verschachtelt (zu viele Klammern oder Blöcke ineinander); bitte ihn "
            "vereinfachen")


def _too_deep(env: SandboxedEnvironment, line: str) -> bool:
    """Whether one line alone exhausts the parser's stack (else only the nesting across paragraphs does)."""
    try:
        env.parse(line)
    except TemplateSyntaxError:
        return False
    except RecursionError:
        return True
    return False


def _nodes(tree: nodes.Node) -> Iterator[nodes.Node]:
    """Every node below ``tree`` in document order (``find_all`` without recursion: a long filter
    chain parses into a tree deeper than Python's stack)."""
    stack = list(reversed(list(tree.iter_child_nodes())))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(node.iter_child_nodes())))


def used_paths(source: str) -> set[str]:
    """Dotted variable paths a Jinja source uses (loop variables resolved to ``list[]``, scoped)."""
    found: list[tuple[str, int]] = []
    _visit(SandboxedEnvironment().parse(source), {}, found)
    return {p for p, _line in found if p and not p.startswith(("loop", "range"))}


def _visit(tree: nodes.Node, loops: dict[str, str], found: list[tuple[str, int]]) -> None:
    """The variable paths below ``tree``, in document order (with a stack, not recursion: see ``_nodes``)."""
    stack: list[tuple[nodes.Node, dict[str, str]]] = [(tree, loops)]
    while stack:
        node, loops = stack.pop()
        if isinstance(node, nodes.For):
            inner = dict(loops)
            iterable = _dotted(node.iter, loops)
            if isinstance(node.target, nodes.Name) and iterable:
                inner[node.target.name] = iterable + "[]"
            later = [*node.body, *node.else_] + ([node.test] if node.test is not None else [])
            stack.extend((child, inner) for child in reversed(later))
            stack.append((node.iter, loops))
            continue
        if isinstance(node, (nodes.Getattr, nodes.Name)) and isinstance(getattr(node, "ctx", "load"), str):
            path = _dotted(node, loops)
            if path:
                found.append((path, node.lineno))
                continue
        stack.extend((child, loops) for child in reversed(list(node.iter_child_nodes())))


def _dotted(node: nodes.Node, loops: dict[str, str]) -> str:
    attrs = []
    while isinstance(node, nodes.Getattr):
        attrs.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return ""
    base = loops.get(node.name, node.name)
    return ".".join([base, *reversed(attrs)]) if base else ""


# -- what a dokumentart defines -------------------------------------------------------------

def _schema_paths(schema: Any, defs: dict[str, Any], prefix: str, out: set[str], depth: int = 0) -> None:
    if depth > 12 or not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        _schema_paths(defs.get(ref.rsplit("/", 1)[-1], {}), defs, prefix, out, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _schema_paths(sub, defs, prefix, out, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        _schema_paths(sub, defs, path, out, depth + 1)
    if "items" in schema:
        _schema_paths(schema["items"], defs, prefix + "[]", out, depth + 1)


def _context_paths(value: Any, prefix: str, out: set[str], depth: int = 0) -> None:
    if depth > 12:
        return
    if value is None or value == []:
        out.add(prefix + ".*")  # empty in the example: what lies below cannot be checked
        out.add(prefix + "[].*")
        return
    items: list[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif hasattr(value, "__dataclass_fields__"):
        items = [(k, getattr(value, k)) for k in value.__dataclass_fields__]
    elif isinstance(value, list):
        for item in value:
            _context_paths(item, prefix + "[]", out, depth + 1)
        return
    else:
        return
    for key, sub in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        out.add(path)
        _context_paths(sub, path, out, depth + 1)


def known_paths(doc: DocumentType, settings: Settings) -> set[str]:
    """What the schema defines plus what the document type computes for the render context."""
    schema = json.loads(standalone_schema_text(doc.schema_file))
    paths: set[str] = set()
    _schema_paths(schema, schema.get("$defs", {}), "", paths)
    load_schema.cache_clear()
    example = json.loads((examples_dir() / doc.example_file).read_text(encoding="utf-8"),
                         parse_float=Decimal)
    # The shipped template serves only as the source of style ids while the context is built.
    tpl = load_template(templates_dir() / doc.template_file)
    context = doc.context(example, RenderTools(tpl, settings, koerperschaft_for(example, settings)))
    _context_paths(context, "", paths)
    return paths


def _is_known(path: str, known: set[str]) -> bool:
    if path in known or path.removesuffix("[]") in known:
        return True
    if any(k.startswith(path + ".") or k.startswith(path + "[]") for k in known):
        return True  # a prefix of a known path (e.g. a loop over it)
    return any(k.endswith("*") and path.startswith(k[:-1]) for k in known)


# -- which dokumentart ----------------------------------------------------------------------

def known_kinds() -> list[str]:
    return [*documents.names(), *SUPPORT_KINDS]


def _metadata(template: Path) -> tuple[str | None, str | None]:
    """(custom property ``dokumentart``, core property ``category``) of the template, if set."""
    custom = category = None
    with zipfile.ZipFile(template) as archive:
        names = set(archive.namelist())
        try:
            if "docProps/custom.xml" in names:
                root = etree.fromstring(archive.read("docProps/custom.xml"))
                for prop in root:
                    if str(prop.get("name", "")).strip().lower() == "dokumentart":
                        custom = "".join(prop.itertext()).strip()
            if "docProps/core.xml" in names:
                root = etree.fromstring(archive.read("docProps/core.xml"))
                for element in root:
                    if etree.QName(element).localname == "category":
                        category = (element.text or "").strip()
        except etree.XMLSyntaxError:
            pass  # damaged metadata: the file name may still tell
    return custom or None, category or None


def dokumentart_of(template: Path, flag: str | None) -> str:
    """The dokumentart a template is for: flag › custom property › category › file name."""
    kinds = known_kinds()
    listing = ", ".join(kinds)
    if flag is not None:
        if flag.lower() not in kinds:
            raise LintUsageError(f"Unbekannte Dokumentart „{flag}“ (--dokumentart). Bekannt sind: {listing}.")
        return flag.lower()
    custom, category = _metadata(template)
    if custom is not None:
        if custom.lower() not in kinds:
            raise LintUsageError(f"{template.name}: die Dokumenteigenschaft „dokumentart“ nennt „{custom}“, "
                                 f"eine unbekannte Dokumentart. Bekannt sind: {listing}. Bitte die Eigenschaft "
                                 "korrigieren oder --dokumentart angeben.")
        return custom.lower()
    if category is not None and category.lower() in kinds:
        return category.lower()
    by_file = {doc.template_file: doc.name for doc in documents.registry().values()}
    by_file.update({f"{kind}.docx": kind for kind in SUPPORT_KINDS})
    if template.name in by_file:
        return by_file[template.name]
    raise LintUsageError(
        f"{template.name}: für welche Dokumentart die Vorlage ist, sagt weder --dokumentart noch ihre "
        "Dokumenteigenschaft „Kategorie“ (oder „dokumentart“) noch ihr Dateiname; ungeprüft wird sie nicht "
        f"als sauber gemeldet. Bitte --dokumentart angeben (bekannt sind: {listing}).")


# -- the whole check ------------------------------------------------------------------------

def lint(template: Path, settings: Settings, dokumentart: str | None = None) -> list[Finding]:
    """Every finding about ``template``, in one pass; a file that is no DOCX is a TemplateProblem."""
    if not template.is_file() or not zipfile.is_zipfile(template):
        raise TemplateProblem(f"{template}: keine Word-Datei (.docx).")
    kind = dokumentart_of(template, dokumentart)
    paragraphs = read_paragraphs(template)
    load_template(template)  # python-docx must open it, as rendering will
    structural = split_tags(paragraphs) + unbalanced(paragraphs) + typographic_quotes(paragraphs)
    broken_at = {f.where for f in structural if f.kind in ("geteilt", "block")}
    broken = {para_index for para_index, para in enumerate(paragraphs) if para.where in broken_at}
    jinja_findings, used = jinja_check(paragraphs, broken)
    findings = structural + jinja_findings + _variables(kind, used, paragraphs, settings)
    missing = missing_styles(template)
    if missing:
        findings.append(Finding("formatvorlage", missing_styles_message(template, missing), ""))
    order = {para.where: i for i, para in enumerate(paragraphs)}
    return sorted(findings, key=lambda f: order.get(f.where, len(order)))


def _variables(kind: str, used: list[tuple[str, int]], paragraphs: list[Paragraph],
               settings: Settings) -> list[Finding]:
    doc = documents.get(kind)
    known = known_paths(doc, settings) if doc is not None else SUPPORT_KINDS[kind]
    findings = []
    reported: set[str] = set()
    for path, line in used:
        if path in reported or _is_known(path, known):
            continue
        reported.add(path)
        para = paragraphs[min(max(line - 1, 0), len(paragraphs) - 1)] if paragraphs else None
        findings.append(_finding("variable", f"die Variable „{path}“ ist weder im Schema von „{kind}“ noch in "
                                 "den berechneten Werten definiert", para))
    return findings


def shipped_templates() -> list[Path]:
    return sorted(templates_dir().glob("*.docx"))
