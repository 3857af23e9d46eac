"""docgen lint-template, and the sandbox that keeps edited templates away from Python internals."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
TEMPLATE = EXAMPLES.parent / "templates" / "beschlussvorlage.docx"


def own_template(tmp_path: Path, *runs: str) -> Path:
    """A copy of the shipped template with one extra paragraph made of the given Word runs."""
    folder = tmp_path / "vorlagen"
    folder.mkdir(exist_ok=True)
    path = folder / "beschlussvorlage.docx"
    shutil.copy(TEMPLATE, path)
    doc = Document(str(path))
    para = doc.add_paragraph()
    for text in runs:
        para.add_run(text)
    doc.save(str(path))
    return path


def test_shipped_templates_are_clean(docgen: Run) -> None:
    result = docgen("lint-template")
    assert result.returncode == 0, result.stdout
    assert "beschlussvorlage.docx: sauber." in result.stdout
    assert "freigabevermerk.docx: sauber." in result.stdout


@pytest.mark.parametrize(("runs", "fragment"), [
    (("Nr. {{ vorlage.num", "mer }}",), "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere "
     "Textabschnitte verteilt"),
    (("{", "{ vorlage.nummer }}",), "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere"),
    (("{% if vorlage.oeffentlich %}öffentlich",), "„{% if … %}“ wird nicht geschlossen (es fehlt „{% endif %}“)"),
    (("{% endfor %}",), "„{% endfor %}“ ohne passendes „{% for … %}“"),
    (("Sitzung {{ vorlage.sitzungsnummer }}",), "die Variable „vorlage.sitzungsnummer“ ist weder im Schema von "
     "„beschlussvorlage“ noch in den berechneten Werten definiert – im Absatz: „Sitzung {{ vorlage.sitzungsnummer "
     "}}“"),
    (("{% for b in beratungsfolge %}{{ b.raum }}{% endfor %}",), "die Variable „beratungsfolge[].raum“"),
])
def test_findings_give_exit_5_with_paragraph(docgen: Run, tmp_path: Path, runs: tuple[str, ...],
                                             fragment: str) -> None:
    path = own_template(tmp_path, *runs)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout
    assert f"beschlussvorlage.docx: {fragment}" in result.stdout


def test_known_computed_values_are_accepted(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{% for a in auswirkungen %}{{ a.titel }}{% endfor %} {{ koerperschaft.name }}")
    assert docgen("lint-template", path).returncode == 0


def test_not_a_docx(docgen: Run, tmp_path: Path) -> None:
    path = tmp_path / "vorlage.docx"
    path.write_text("kein Word", encoding="utf-8")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "keine Word-Datei (.docx)" in result.stderr


@pytest.mark.parametrize("expression", [
    "{{ vorlage.__class__.__mro__ }}",
    "{{ vorlage.nummer.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
])
def test_sandbox_blocks_python_internals(docgen: Run, tmp_path: Path, example: dict[str, object],
                                         expression: str) -> None:
    path = own_template(tmp_path, expression)
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(path.parent)})
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("Vorlage beschlussvorlage.docx:")
    assert not (tmp_path / "out" / "beschlussvorlage.docx").exists()
