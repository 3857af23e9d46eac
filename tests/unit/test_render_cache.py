"""The render stage's per-process caches: compiled templates, patched XML, template styles.

They must never change what is rendered: two renders give the same XML, and an edited
template file is read again.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from docx import Document

from docgen.richtext import LIST_STYLE
from docgen.settings import Settings
from docgen.stages import render
from docgen.stages.render import missing_styles, render_docx, render_env, render_template
from docgen.stages.validate import validate_file
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT


def _body(docx: Path) -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def _template(path: Path, text: str) -> Path:
    document = Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def _touch_later(path: Path) -> None:
    """Make sure the file's stamp changes even on a file system with coarse times."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 2_000_000_000))


def test_two_renders_of_the_example_give_identical_xml(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)
    job = validate_file(EXAMPLES / "beschlussvorlage.json", settings)
    first = _body(render_docx(job, tmp_path / "a.docx", settings))
    compiled = len(render_env()._compiled)  # type: ignore[attr-defined]
    second = _body(render_docx(job, tmp_path / "b.docx", settings))
    assert first == second
    assert len(render_env()._compiled) == compiled  # type: ignore[attr-defined]  # nothing compiled again


def test_an_edited_template_is_picked_up(tmp_path: Path) -> None:
    template = _template(tmp_path / "vorlage.docx", "Erste Fassung: {{ name }}")
    render_template(template, {"name": "Ada"}, tmp_path / "1.docx", "test")
    assert "Erste Fassung: Ada" in _body(tmp_path / "1.docx")
    _template(template, "Zweite Fassung: {{ name }}")
    _touch_later(template)
    render_template(template, {"name": "Ada"}, tmp_path / "2.docx", "test")
    body = _body(tmp_path / "2.docx")
    assert "Zweite Fassung: Ada" in body
    assert "Erste Fassung" not in body


def test_an_edited_template_s_styles_are_read_again(tmp_path: Path) -> None:
    shipped = Path(render.__file__).resolve().parents[2] / "templates" / "beschlussvorlage.docx"
    template = tmp_path / "vorlage.docx"
    template.write_bytes(shipped.read_bytes())
    assert missing_styles(template) == []
    _rename_style(template, LIST_STYLE, "Umbenannt")
    _touch_later(template)
    assert missing_styles(template) == [LIST_STYLE]
    assert render._defined_styles(template) == render._read_styles(template)


def _rename_style(docx: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(docx) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    styles = parts["word/styles.xml"].decode("utf-8")
    assert f'w:val="{old}"' in styles
    parts["word/styles.xml"] = styles.replace(f'w:val="{old}"', f'w:val="{new}"').encode("utf-8")
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
