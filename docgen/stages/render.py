"""Stage 2, render: job data → DOCX through a docxtpl Word template.

Rendering is strict: a variable the template uses but the data lacks is an
error naming both (never a blank in a legal document). Values are XML-escaped
(autoescape), and templates run in Jinja's sandbox so an edited template cannot
reach Python internals.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from docgen.errors import FileAccessError, TemplateProblem
from docgen.formatting import FILTERS
from docgen.model import DocumentType, Job
from docgen.richtext import BlockXml, blocks_subdoc, clean_text
from docgen.settings import Koerperschaft, Settings


@dataclass
class RenderTools:
    """What a document type's context builder may use: sub-documents and the body profile."""

    template: DocxTemplate
    settings: Settings
    koerperschaft: Koerperschaft
    _scratch: Subdoc | None = None

    def blocks(self, value: Any, heading_level: int = 2) -> BlockXml:
        if self._scratch is None:
            self._scratch = self.template.new_subdoc()
        return blocks_subdoc(self._scratch, value, heading_level)


def _finalize(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def jinja_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)
    env.filters.update(FILTERS)
    return env


def koerperschaft_for(data: Mapping[str, Any], settings: Settings) -> Koerperschaft:
    """The settings' body profile, overridden field by field by the input's ``koerperschaft``."""
    own = data.get("koerperschaft")
    if not own:
        return settings.koerperschaft
    base = {f.name: getattr(settings.koerperschaft, f.name) for f in fields(Koerperschaft)}
    base.update({k: v for k, v in own.items() if v is not None})
    return Koerperschaft(**base)


def _undefined_name(exc: UndefinedError) -> str:
    text = str(exc)
    match = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text)
    return match.group(1) if match else text


def load_template(path: Path) -> DocxTemplate:
    if not path.is_file():
        raise TemplateProblem(
            f"Vorlage {path.name} nicht gefunden (gesucht: {path}). "
            "Bitte templates_dir in der Konfiguration prüfen."
        )
    try:
        return DocxTemplate(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateProblem(f"Vorlage {path.name}: keine gültige Word-Datei ({exc}).") from exc


def render_template(template_path: Path, context: dict[str, Any], out: Path, data_name: str) -> Path:
    """Fill ``template_path`` with ``context`` strictly and write ``out``."""
    tpl = load_template(template_path)
    return _render(tpl, template_path.name, context, out, data_name)


def _render(tpl: DocxTemplate, name: str, context: dict[str, Any], out: Path, data_name: str) -> Path:
    try:
        tpl.render(context, jinja_env=jinja_env(), autoescape=True)
    except UndefinedError as exc:
        raise TemplateProblem(
            f"Vorlage {name}: die Variable „{_undefined_name(exc)}“ kommt in den Daten von "
            f"{data_name} nicht vor. Bitte die Vorlage korrigieren "
            f"(`docgen lint-template {name}`) oder das Feld ergänzen."
        ) from exc
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"Vorlage {name}: fehlerhafter Platzhalter ({exc.message}). "
            "Bitte die {{ }}- und {% %}-Marken in Word prüfen."
        ) from exc
    except TemplateError as exc:
        raise TemplateProblem(f"Vorlage {name}: {exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        tpl.save(str(out))
    except OSError as exc:
        raise FileAccessError(f"{out}: DOCX nicht schreibbar ({exc.strerror}).") from exc
    return out


def render_document(
    document: DocumentType, data: Mapping[str, Any], out: Path, settings: Settings, data_name: str,
) -> Path:
    """Fill the document type's template with ``data`` and write ``out``."""
    template_path = settings.template_path(document.template_file)
    tpl = load_template(template_path)
    tools = RenderTools(tpl, settings, koerperschaft_for(data, settings))
    context = document.context(data, tools)
    return _render(tpl, template_path.name, context, out, data_name)


def render_docx(job: Job, out: Path, settings: Settings) -> Path:
    """Fill the job's main document template and write ``out``."""
    return render_document(job.document, job.data, out, settings, job.source.name)
