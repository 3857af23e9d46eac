"""docgen lint-template, and the sandbox that keeps edited templates away from Python internals."""

from __future__ import annotations

import re
import shutil
import zipfile
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


def renamed_copy(tmp_path: Path, name: str, category: str | None, *paragraphs: str,
                 source: Path = TEMPLATE) -> Path:
    """A copy of a shipped template under another file name, with its category set or cleared."""
    path = tmp_path / name
    shutil.copy(source, path)
    doc = Document(str(path))
    for text in paragraphs:
        doc.add_paragraph().add_run(text)
    doc.core_properties.category = category or ""
    doc.save(str(path))
    return path


def test_every_class_of_finding_in_one_pass(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "Nr. {{ vorlage.num", "mer }}")
    doc = Document(str(path))
    for text in ("{{ vorlage.nummer|default(„keine“) }}", "{{ vorlage.datum|datum_kurz }}",
                 "{{ vorlage.sitzung }}", "{% for a in beratungsfolge %}"):
        doc.add_paragraph().add_run(text)
    doc.save(str(path))
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout
    expected = [
        "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere Textabschnitte verteilt",
        "im Platzhalter „{{ vorlage.nummer|default(„keine“) }}“ stehen typografische Anführungszeichen (“ „)",
        "unbekannter Filter „datum_kurz“: das Erzeugen würde scheitern (docgen kennt datum, datum_lang, euro, "
        "prozent, zahl und die Jinja-Standardfilter)",
        "die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“ noch in den berechneten Werten "
        "definiert",
        "„{% for … %}“ wird nicht geschlossen (es fehlt „{% endfor %}“)",
    ]
    numbers = []
    for line, fragment in zip(lines, expected, strict=True):
        assert line.startswith(f"beschlussvorlage.docx: {fragment}"), line
        match = re.search(r"\(Absatz (\d+) im Haupttext\)$", line)
        assert match, line
        numbers.append(int(match.group(1)))
    assert numbers == list(range(numbers[0], numbers[0] + 5))  # the five added paragraphs, in order


def test_typographic_quotes_alone_are_a_finding(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{{ vorlage.nummer|default(“keine”) }}")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "stehen typografische Anführungszeichen (“ ”)" in result.stdout


def test_unknown_test_is_a_finding(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{% if vorlage.nummer is teilbar %}x{% endif %}")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "unbekannter Test „teilbar“: das Erzeugen würde scheitern" in result.stdout


def test_name_without_type_and_no_metadata_is_exit_2(docgen: Run, tmp_path: Path) -> None:
    path = renamed_copy(tmp_path, "hausvorlage.docx", None)
    result = docgen("lint-template", path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("hausvorlage.docx: für welche Dokumentart die Vorlage ist, sagt weder "
                                    "--dokumentart noch ihre Dokumenteigenschaft „Kategorie“")
    assert "sauber" not in result.stdout
    assert docgen("lint-template", path, "--dokumentart", "beschlussvorlage").returncode == 0


def test_unknown_dokumentart_flag_is_exit_2(docgen: Run, tmp_path: Path) -> None:
    result = docgen("lint-template", TEMPLATE, "--dokumentart", "haushaltsplan")
    assert result.returncode == 2
    assert result.stderr.strip() == ("Unbekannte Dokumentart „haushaltsplan“ (--dokumentart). Bekannt sind: "
                                     "beschlussvorlage, integrationskonzept, sachbericht, verwendungsnachweis, "
                                     "freigabevermerk, entwurf.")


def test_dokumentart_from_the_templates_category(docgen: Run, tmp_path: Path) -> None:
    path = renamed_copy(tmp_path, "kreis-vorlage.docx", "beschlussvorlage", "{{ vorlage.sitzung }}")
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert "kreis-vorlage.docx: die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“" \
        in result.stdout


def test_support_template_variables_are_checked(docgen: Run, tmp_path: Path) -> None:
    source = EXAMPLES.parent / "templates" / "freigabevermerk.docx"
    path = renamed_copy(tmp_path, "vermerk.docx", "freigabevermerk", "{{ unterzeichnung.titel }}", source=source)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert "die Variable „unterzeichnung.titel“ ist weder im Schema von „freigabevermerk“" in result.stdout


def test_shipped_templates_say_their_dokumentart() -> None:
    from docgen.lint import dokumentart_of, shipped_templates

    for template in shipped_templates():
        with zipfile.ZipFile(template) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8")
        assert f"<cp:category>{template.stem}</cp:category>" in core
        assert dokumentart_of(template, None) == template.stem


def test_lint_does_not_reach_above_the_stages() -> None:
    source = (EXAMPLES.parent / "docgen" / "lint.py").read_text(encoding="utf-8")
    imports = set(re.findall(r"^(?:from|import) (docgen[\w.]*)", source, flags=re.M))
    assert not imports & {"docgen.api", "docgen.cli", "docgen.pipeline", "docgen.intake"}, imports
