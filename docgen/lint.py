"""``docgen lint-template``: check a Word template before it meets real data.

For administrators who edit templates in Word. It lists every variable the
template uses that neither the schema of its dokumentart nor the render
context defines, every tag that Word split across runs (such a tag does not
work), and unbalanced ``{% %}`` blocks — each with the text of the paragraph
where it occurs.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from docgen import documents
from docgen.errors import TemplateProblem
from docgen.model import DocumentType
from docgen.resources import examples_dir, templates_dir
from docgen.schemas import load_schema, standalone_schema_text
from docgen.settings import Settings
from docgen.stages.render import RenderTools, koerperschaft_for, load_template

PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
BLOCK_TAG = re.compile(r"\{%-?\s*(?:[prtc]{1,2}\s+)?(\w+)")
OPENERS = {"if": "endif", "for": "endfor", "macro": "endmacro", "block": "endblock", "with": "endwith",
           "filter": "endfilter", "call": "endcall", "set": None}
MIDDLES = {"elif": "if", "else": None}


@dataclass(frozen=True)
class Finding:
    kind: str  # "variable", "geteilt", "block"
    message: str
    paragraph: str

    def render(self, template: str) -> str:
        where = self.paragraph if len(self.paragraph) <= 90 else self.paragraph[:87] + "…"
        return f"{template}: {self.message} – im Absatz: „{where}“"


def _paragraphs(template: Path) -> list[tuple[str, list[str]]]:
    """(part name, run texts) for every paragraph of the body, headers and footers."""
    found = []
    with zipfile.ZipFile(template) as archive:
        for name in sorted(n for n in archive.namelist() if PARTS.fullmatch(n)):
            xml = archive.read(name).decode("utf-8")
            for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
                runs = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", run))
                        for run in re.findall(r"<w:r[ >].*?</w:r>", para, flags=re.S)]
                found.append((name, [r for r in runs if r]))
    return found


def split_tags(paragraphs: list[tuple[str, list[str]]]) -> list[Finding]:
    findings = []
    for _part, runs in paragraphs:
        text = "".join(runs)
        boundaries, pos = set(), 0
        for run in runs[:-1]:
            pos += len(run)
            boundaries.add(pos)
        for match in re.finditer(r"\{[{%].*?[}%]\}|\{[{%][^}%]*$", text):
            start, end = match.span()
            if any(start < b < end for b in boundaries) or not match.group().endswith(("}}", "%}")):
                findings.append(Finding("geteilt", f"Platzhalter „{match.group()}“ ist von Word auf mehrere "
                                        "Textabschnitte verteilt; bitte den Platzhalter löschen und in einem Zug "
                                        "neu tippen", text))
    return findings


def unbalanced(paragraphs: list[tuple[str, list[str]]]) -> list[Finding]:
    stack: list[tuple[str, str]] = []
    findings = []
    for _part, runs in paragraphs:
        text = "".join(runs)
        for match in BLOCK_TAG.finditer(text):
            word = match.group(1)
            if word in OPENERS and OPENERS[word] is not None:
                stack.append((word, text))
            elif word.startswith("end"):
                opener = word[3:]
                if stack and stack[-1][0] == opener:
                    stack.pop()
                else:
                    findings.append(Finding("block", f"„{{% {word} %}}“ ohne passendes „{{% {opener} … %}}“",
                                            text))
            elif word in MIDDLES and (not stack or stack[-1][0] not in ("if", "for")):
                findings.append(Finding("block", f"„{{% {word} %}}“ außerhalb eines if/for-Blocks", text))
    findings += [Finding("block", f"„{{% {word} … %}}“ wird nicht geschlossen (es fehlt „{{% end{word} %}}“)",
                         text) for word, text in stack]
    return findings


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
    tpl = load_template(settings.template_path(doc.template_file))
    context = doc.context(example, RenderTools(tpl, settings, koerperschaft_for(example, settings)))
    _context_paths(context, "", paths)
    return paths


def used_paths(source: str) -> set[str]:
    """Dotted variable paths a Jinja source uses (loop variables resolved to ``list[]``, scoped)."""
    found: set[str] = set()
    _visit(SandboxedEnvironment().parse(source), {}, found)
    return {p for p in found if p and not p.startswith(("loop", "range"))}


def _visit(node: nodes.Node, loops: dict[str, str], found: set[str]) -> None:
    if isinstance(node, nodes.For):
        _visit(node.iter, loops, found)
        inner = dict(loops)
        iterable = _dotted(node.iter, loops)
        if isinstance(node.target, nodes.Name) and iterable:
            inner[node.target.name] = iterable + "[]"
        for child in [*node.body, *node.else_]:
            _visit(child, inner, found)
        if node.test is not None:
            _visit(node.test, inner, found)
        return
    if isinstance(node, (nodes.Getattr, nodes.Name)) and isinstance(getattr(node, "ctx", "load"), str):
        path = _dotted(node, loops)
        if path:
            found.add(path)
            return
    for child in node.iter_child_nodes():
        _visit(child, loops, found)


def _dotted(node: nodes.Node, loops: dict[str, str]) -> str:
    if isinstance(node, nodes.Name):
        return loops.get(node.name, node.name)
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node, loops)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _jinja_source(template: Path) -> str:
    tpl = DocxTemplate(str(template))
    tpl.init_docx()
    parts = [tpl.patch_xml(tpl.get_xml())]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        parts += [tpl.patch_xml(tpl.get_part_xml(part)) for _rel, part in tpl.get_headers_footers(uri)]
    return "\n".join(parts)


def lint(template: Path, settings: Settings, dokumentart: str | None = None) -> list[Finding]:
    if not template.is_file() or not zipfile.is_zipfile(template):
        raise TemplateProblem(f"{template}: keine Word-Datei (.docx).")
    paragraphs = _paragraphs(template)
    findings = split_tags(paragraphs) + unbalanced(paragraphs)
    if findings:
        return findings  # variables can only be read from a template whose tags are whole
    doc = documents.get(dokumentart) if dokumentart else next(
        (d for d in documents.registry().values() if d.template_file == template.name), None)
    if doc is None:
        return findings
    try:
        used = used_paths(_jinja_source(template))
    except TemplateSyntaxError as exc:
        return [Finding("block", f"fehlerhafter Platzhalter: {exc.message}", "")]
    known = known_paths(doc, settings)
    for path in sorted(used):
        if _is_known(path, known):
            continue
        texts = ["".join(r) for _n, r in paragraphs]
        attr = "." + path.rsplit(".", 1)[-1].removesuffix("[]")
        where = next((t for t in texts if path in t), "") or next((t for t in texts if attr in t), "")
        findings.append(Finding("variable", f"die Variable „{path}“ ist weder im Schema von "
                                f"„{doc.name}“ noch in den berechneten Werten definiert", where))
    return findings


def _is_known(path: str, known: set[str]) -> bool:
    if path in known or path.removesuffix("[]") in known:
        return True
    if any(k.startswith(path + ".") or k.startswith(path + "[]") for k in known):
        return True  # a prefix of a known path (e.g. a loop over it)
    return any(k.endswith("*") and path.startswith(k[:-1]) for k in known)


def shipped_templates() -> list[Path]:
    return sorted(templates_dir().glob("*.docx"))
