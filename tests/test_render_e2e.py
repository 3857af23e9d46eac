"""End to end with real LibreOffice: JSON → DOCX and PDF/A-2b through the real CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]

pytestmark = pytest.mark.slow

SPECIAL = 'Müller & Söhne <GmbH> „Straße“ "Zitat" § 12 – Größe ≥ 5 %'


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example rendered once by the real CLI; the output folder."""
    out = tmp_path_factory.mktemp("out")
    state = tmp_path_factory.mktemp("state")
    proc = subprocess.run(
        ["python", "-m", "docgen", "render", str(EXAMPLES / "beschlussvorlage.json"), "--out", str(out)],
        env={"PATH": _path(), "DOCGEN_STATE_DIR": str(state), "HOME": str(state),
             "DOCGEN_KOERPERSCHAFT_NAME": "Kreis Musterland"},  # a body must be configured (issue 12 A2)
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _path() -> str:
    import os
    import sys

    return f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"[ \t]+", " ", text)


def docx_text(docx: Path) -> str:
    with zipfile.ZipFile(docx) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def test_outputs_exist(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == [
        "beschlussvorlage", "beschlussvorlage.pdf", "beschlussvorlage.receipt.json"]
    assert sorted(p.name for p in (rendered / "beschlussvorlage").iterdir()) == [
        "beschlussvorlage.docx", "beschlussvorlage.pdf", "freigabevermerk.pdf"]


def test_pdf_holds_the_content(rendered: Path) -> None:
    text = pdf_text(rendered / "beschlussvorlage" / "beschlussvorlage.pdf")
    flat = " ".join(text.split())
    assert "Schwerpunkte des Kommunalen Integrationszentrums für die Jahre 2026 und 2027" in flat
    assert "2025/0412" in flat
    for line in ("12.11.2025 Integrationsrat des Kreises Musterland Anhörung/Empfehlung",
                 "04.12.2025 Kreisausschuss (TOP 7) Entscheidung"):
        assert line in flat
    assert "19.11.2025" in flat and "Vorberatung" in flat
    assert "Der Kreisausschuss beschließt die in dieser Vorlage beschriebenen" in flat
    for cell in ("Elternbeteiligung", "Meilenstein 2027", "Personalaufwand", "412.300 €", "− 307.500 €"):
        assert cell in flat
    assert "Vorlage 2025/0412 – Seite 1 von" in flat
    assert "Im Auftrag" in flat and "gez. Dr. B. Musterfrau" in flat
    assert "20.10.2025" in flat


def test_pdf_is_pdfa2b_and_tagged(rendered: Path) -> None:
    reader = PdfReader(rendered / "beschlussvorlage" / "beschlussvorlage.pdf")
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"<pdfaid:part>2</pdfaid:part>|pdfaid:part=\"2\"", raw)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>|pdfaid:conformance=\"B\"", raw)
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


@pytest.mark.parametrize("pdf", ["beschlussvorlage/beschlussvorlage.pdf", "beschlussvorlage.pdf"])
def test_all_fonts_embedded(rendered: Path, pdf: str) -> None:
    out = subprocess.run(["pdffonts", str(rendered / pdf)], capture_output=True, text=True,
                         check=True).stdout.splitlines()[2:]
    assert out, "pdffonts listed no fonts"
    for line in out:
        columns = line.split()
        assert columns[-5] == "yes", f"not embedded: {line}"
    assert any("LiberationSans" in line for line in out)


def test_docx_opens_and_has_no_tags_left(rendered: Path) -> None:
    from docx import Document

    doc = Document(str(rendered / "beschlussvorlage" / "beschlussvorlage.docx"))
    assert doc.paragraphs
    text = docx_text(rendered / "beschlussvorlage" / "beschlussvorlage.docx")
    assert "{{" not in text and "{%" not in text
    assert "Beratungsfolge" in text and "Kreisausschuss" in text


def test_special_characters_survive(docgen: Run, write_json: Write, example: dict[str, Any],
                                    tmp_path: Path) -> None:
    example["vorlage"]["betreff"] = SPECIAL
    example["beschlussvorschlag"] = [SPECIAL, {"liste": [SPECIAL]}, {"tabelle": {"zeilen": [[SPECIAL]]}}]
    example["vorlage"]["federfuehrend"] = "{{ vorlage.nummer }} {% if true %}x{% endif %}"
    example["sachlage"] = ["Steuer\u0007zeichen werden entfernt."]
    path = write_json("sonderzeichen.json", example)
    result = docgen("render", path, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    docx = docx_text(tmp_path / "out" / "sonderzeichen" / "sonderzeichen.docx").replace("\u00a0", " ")
    assert docx.count(SPECIAL.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) >= 3
    pdf = " ".join(pdf_text(tmp_path / "out" / "sonderzeichen.pdf").split())
    assert pdf.count(SPECIAL) >= 3
    assert "{{ vorlage.nummer }} {% if true %}x{% endif %}" in pdf  # data is never evaluated
    assert "Steuerzeichen werden entfernt." in pdf


def test_missing_variable_in_template_is_exit_5(docgen: Run, tmp_path: Path) -> None:
    from docx import Document

    own = tmp_path / "eigene-vorlagen"
    own.mkdir()
    template = own / "beschlussvorlage.docx"
    shutil.copy(EXAMPLES.parent / "templates" / "beschlussvorlage.docx", template)
    doc = Document(str(template))
    doc.add_paragraph("{{ vorlage.sitzungsnummer }}")
    doc.save(str(template))
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(own)})
    assert result.returncode == 5
    assert result.stderr.rstrip().endswith(
        "Vorlage beschlussvorlage.docx: die Variable „vorlage.sitzungsnummer“ kommt in den Daten von "
        f"beschlussvorlage.json nicht vor. Bitte die Vorlage korrigieren (`docgen lint-template {template}`) oder "
        "das Feld ergänzen. Steht das Feld in den Daten, ist die Vorlage fehlerhaft: bitte die "
        "Vorlagen-Verantwortlichen informieren.")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_broken_tag_in_template_is_exit_5(docgen: Run, tmp_path: Path) -> None:
    from docx import Document

    own = tmp_path / "eigene-vorlagen"
    own.mkdir()
    template = own / "beschlussvorlage.docx"
    shutil.copy(EXAMPLES.parent / "templates" / "beschlussvorlage.docx", template)
    doc = Document(str(template))
    doc.add_paragraph("{% if vorlage.nummer %} ohne Ende")
    doc.save(str(template))
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(own)})
    assert result.returncode == 5
    assert "Vorlage beschlussvorlage.docx: fehlerhafter Platzhalter" in result.stderr


def test_draft_without_freigabe_says_so(docgen: Run, write_json: Write, example: dict[str, Any],
                                        tmp_path: Path) -> None:
    del example["freigabe"]
    example["vorlage"]["oeffentlich"] = False
    example["vorlage"]["begruendung_nichtoeffentlichkeit"] = "Grundstücksangelegenheit"
    result = docgen("render", write_json("entwurf.json", example), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = docx_text(tmp_path / "out" / "entwurf.docx")
    assert "Entwurf – noch nicht freigegeben" in text
    assert "gez." not in text
    assert "nichtöffentlich" in text and "Begründung der Nichtöffentlichkeit" in text
    assert "Grundstücksangelegenheit" in text


def test_library_render_without_bundle(tmp_path: Path, example: dict[str, Any], write_json: Write) -> None:
    from docgen.api import open_converter, render_file
    from docgen.settings import Settings

    settings = Settings(state_dir=tmp_path / "state", workers=1)
    path = write_json("einzeln.json", example)
    with open_converter(settings, pooled=True) as converter:
        result = render_file(path, tmp_path / "out", settings, converter, bundle=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["einzeln.docx", "einzeln.pdf"]
    assert result.pdf == tmp_path / "out" / "einzeln.pdf" and result.pages == 3
    assert set(result.timings) >= {"validate", "render", "convert"}


def test_several_files_in_job_processes(docgen: Run, write_json: Write, example: dict[str, Any],
                                        tmp_path: Path) -> None:
    first = write_json("eins.json", example)
    second = write_json("zwei.json", example)
    broken = tmp_path / "kaputt.json"
    broken.write_text("{", encoding="utf-8")
    result = docgen("render", first, broken, second, "--out", tmp_path / "out", "--workers", "2")
    assert result.returncode == 4
    assert "kaputt.json: Zeile 1, Spalte 2: kein gültiges JSON" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("eins.json: Paket") and lines[1].startswith("zwei.json: Paket")
    assert f"({len(PdfReader(tmp_path / 'out' / 'eins.pdf').pages)} Seiten, gesiegelt)" in lines[0]
    assert docgen("verify", tmp_path / "out" / "zwei.pdf").returncode == 0


def test_a_job_process_gets_the_page_count_the_pool_verified(tmp_path: Path, example: dict[str, Any],
                                                            write_json: Write) -> None:
    """The conversion service of the job processes sends back the pages it counted with the PDF."""
    from docgen.api import render_file
    from docgen.intake.procpool import ConversionService, _RemoteConverter
    from docgen.settings import Settings

    settings = Settings(state_dir=tmp_path / "state", workers=1)
    render_file(write_json("einzeln.json", example), tmp_path / "docx", settings, None, docx_only=True)
    service = ConversionService(settings)
    try:
        remote = _RemoteConverter(service.address, service.authkey)
        pages = remote.convert(tmp_path / "docx" / "einzeln.docx", tmp_path / "einzeln.pdf")
        remote.close()
    finally:
        service.close()
    assert pages == len(PdfReader(tmp_path / "einzeln.pdf").pages) == 3


def test_widest_accepted_table_prints_every_cell(docgen: Run, write_json: Write, example: dict[str, Any],
                                                 tmp_path: Path) -> None:
    """Issue 12 A8: the widest table docgen accepts is scaled to the page and loses no cell."""
    from docgen.richtext import MAX_COLUMNS

    example.pop("anlagen", None)
    example.pop("freigabe", None)
    header = [f"Spalte {c + 1}" for c in range(MAX_COLUMNS)]
    kinds = [lambda r, c: f"{r + 1}{c + 1}.450,50", lambda r, c: f"Z{r + 1}S{c + 1}",
             lambda r, c: f"Kita {r + 1}-{c + 1}", lambda r, c: "Integrationsrat"]
    rows = [[kinds[(r + c) % 4](r, c) for c in range(MAX_COLUMNS)] for r in range(6)]
    example["sachlage"] = ["Vorher.", {"tabelle": {"spalten": header, "zeilen": rows}}, "Nachher."]
    result = docgen("render", write_json("breit.json", example), "--no-bundle", "--out", tmp_path / "out",
                    timeout=300)
    assert result.returncode == 0, result.stderr
    raw = subprocess.run(["pdftotext", "-raw", str(tmp_path / "out" / "breit.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    # German hyphenation may break a long word at a line end inside its cell ("Integrations-" / "rat").
    part = re.sub(r"(?<=[a-zäöüß])-\n(?=[a-zäöüß])", "", raw[raw.index("Vorher.") + 7: raw.index("Nachher.")])
    table = "".join(part.split())
    # In reading order, every cell's text (LibreOffice may wrap a long word inside its cell).
    pos = 0
    for cell in [*header, *(c for row in rows for c in row)]:
        found = table.find("".join(cell.split()), pos)
        assert found >= 0, f"{cell!r} fehlt im PDF (nach Zeichen {pos})"
        pos = found + len("".join(cell.split()))
