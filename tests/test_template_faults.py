"""Template faults are template errors (exit 5, German, naming style and file), never internal errors.

A house template without a style rich text needs (List Bullet, Heading 2 …) and a DOCX whose
``word/document.xml`` is missing or malformed: rendering and ``lint-template`` both end in exit 5
with a message that blames the template and says whom to tell, not the input.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from docgen import documents
from docgen.errors import ExitCode, TemplateProblem
from docgen.richtext import required_styles
from docgen.settings import Settings
from docgen.stages.render import missing_styles, render_document
from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
TEMPLATE = EXAMPLES.parent / "templates" / "beschlussvorlage.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _rewrite(source: Path, target: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy a DOCX part by part; ``edit`` returns new bytes, or None to leave the part out."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = edit(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info, data)
    return target


def template_without(folder: Path, style: str) -> Path:
    """The shipped Beschlussvorlage template with ``style`` deleted from word/styles.xml."""
    folder.mkdir(parents=True, exist_ok=True)

    def drop_style(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        root = etree.fromstring(data)
        for element in root.findall(f"{W}style"):
            label = element.find(f"{W}name")
            if label is not None and str(label.get(f"{W}val", "")).lower() == style.lower():
                root.remove(element)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))

    return _rewrite(TEMPLATE, folder / "beschlussvorlage.docx", drop_style)


def broken_template(folder: Path, how: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def edit(name: str, data: bytes) -> bytes | None:
        if name != "word/document.xml":
            return data
        return None if how == "fehlt" else b"<w:document><w:body><w:p>kaputt"

    return _rewrite(TEMPLATE, folder / "beschlussvorlage.docx", edit)


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"),
                                      parse_float=Decimal)
    return data


@pytest.mark.parametrize("style", ["List Bullet", "Heading 2"])
def test_missing_styles_names_exactly_the_missing_one(tmp_path: Path, style: str) -> None:
    assert missing_styles(TEMPLATE) == []
    assert missing_styles(template_without(tmp_path, style)) == [style]
    assert style in required_styles()


@pytest.mark.parametrize("style", ["List Bullet", "Heading 2", "Table Grid"])
def test_render_stage_raises_template_problem(tmp_path: Path, style: str) -> None:
    folder = tmp_path / "vorlagen"
    template_without(folder, style)
    settings = dataclasses.replace(Settings(), templates_dir=folder, state_dir=tmp_path / "state")
    doc = documents.get("beschlussvorlage")
    assert doc is not None
    with pytest.raises(TemplateProblem) as caught:
        render_document(doc, example_data(), tmp_path / "out.docx", settings, "beschlussvorlage.json")
    message = caught.value.message
    assert caught.value.exit_code == ExitCode.TEMPLATE
    assert message.startswith(f"Vorlage beschlussvorlage.docx: es fehlt die Formatvorlage „{style}“")
    assert "Die Vorlage ist fehlerhaft, nicht die Eingabe: bitte die Vorlagen-Verantwortlichen informieren." \
        in message
    assert str(folder / "beschlussvorlage.docx") in message
    assert not (tmp_path / "out.docx").exists()


@pytest.mark.parametrize("style", ["List Bullet", "Heading 2"])
def test_cli_render_without_style_is_exit_5(docgen: Run, tmp_path: Path, style: str) -> None:
    folder = tmp_path / "vorlagen"
    template_without(folder, style)
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(folder)})
    assert result.returncode == 5, result.stderr
    assert "Vorlage beschlussvorlage.docx" in result.stderr
    assert f"Formatvorlage „{style}“" in result.stderr
    assert "Vorlagen-Verantwortlichen informieren" in result.stderr
    assert "Interner Fehler" not in result.stderr
    assert not (tmp_path / "out" / "beschlussvorlage.docx").exists()


@pytest.mark.parametrize("style", ["List Bullet", "Heading 2"])
def test_cli_lint_without_style_is_exit_5(docgen: Run, tmp_path: Path, style: str) -> None:
    path = template_without(tmp_path / "vorlagen", style)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout + result.stderr
    assert (f"beschlussvorlage.docx: Vorlage beschlussvorlage.docx: es fehlt die Formatvorlage „{style}“ "
            "(gebraucht für Überschriften, Aufzählungen und Tabellen im Text).") in result.stdout
    assert "Interner Fehler" not in result.stderr


@pytest.mark.parametrize(("how", "reason"), [
    ("fehlt", "keine gültige Word-Datei (der Bestandteil word/document.xml fehlt)."),
    ("kaputt", "keine gültige Word-Datei (word/document.xml ist kein gültiges XML:"),
])
def test_cli_lint_broken_docx_is_exit_5(docgen: Run, tmp_path: Path, how: str, reason: str) -> None:
    path = broken_template(tmp_path / "vorlagen", how)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith(f"Vorlage beschlussvorlage.docx: {reason}")
    assert "bitte die Vorlagen-Verantwortlichen informieren" in result.stderr


@pytest.mark.parametrize(("how", "reason"), [
    ("fehlt", "keine gültige Word-Datei (der Bestandteil word/document.xml fehlt)."),
    ("kaputt", "keine gültige Word-Datei (ein Bestandteil ist kein gültiges XML:"),
])
def test_cli_render_broken_docx_is_exit_5(docgen: Run, tmp_path: Path, how: str, reason: str) -> None:
    folder = tmp_path / "vorlagen"
    broken_template(folder, how)
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(folder)})
    assert result.returncode == 5, result.stderr
    assert "Vorlage beschlussvorlage.docx: " in result.stderr
    assert "Interner Fehler" not in result.stderr


def test_shipped_template_copy_renders(tmp_path: Path) -> None:
    """The control: the same path with the untouched template works."""
    folder = tmp_path / "vorlagen"
    folder.mkdir()
    shutil.copy(TEMPLATE, folder / "beschlussvorlage.docx")
    settings = dataclasses.replace(Settings(), templates_dir=folder, state_dir=tmp_path / "state")
    doc = documents.get("beschlussvorlage")
    assert doc is not None
    out = render_document(doc, example_data(), tmp_path / "out.docx", settings, "beschlussvorlage.json")
    assert zipfile.is_zipfile(out)


def test_cli_render_of_a_placeholder_nested_too_deep_is_exit_5(docgen: Run, tmp_path: Path) -> None:
    """Jinja reads brackets recursively: a placeholder with a hundred of them ran out of stack (exit 1)."""
    folder = tmp_path / "vorlagen"
    folder.mkdir()

    def nest(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        deep = b"<w:p><w:r><w:t>{{ " + b"(" * 100 + b"1" + b")" * 100 + b" }}</w:t></w:r></w:p>"
        return data.replace(b"<w:sectPr", deep + b"<w:sectPr", 1)

    _rewrite(TEMPLATE, folder / "beschlussvorlage.docx", nest)
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(folder)})
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("Vorlage beschlussvorlage.docx: ein Platzhalter ist zu tief verschachtelt "
                                    "(zu viele Klammern ineinander). Bitte den Ausdruck in Word vereinfachen."), \
        result.stderr
    assert not (tmp_path / "out" / "beschlussvorlage.docx").exists()
