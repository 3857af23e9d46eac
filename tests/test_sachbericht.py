"""Sachbericht (issue 5) through the real CLI: schema, domain rules, the DOCX, and once with LibreOffice.

Rules: a goal that is not "erreicht" needs ``abweichungsgrund`` (error), periods run forwards
(error), "erreicht" although the numeric Ist is below the Soll, staff outside the
Berichtszeitraum and goals of a Handlungsfeld without Maßnahmen are warnings.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES, CliResult, load_example, render_once

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]

NAME = "sachbericht"
ZIEL_OHNE_GRUND = ("das Ziel „In allen acht kreisangehörigen Gemeinden finden regelmäßige Fallkonferenzen statt.“ "
                   "ist mit „teilweise erreicht“ bewertet; bitte die Ursache der Abweichung im Feld "
                   "„abweichungsgrund“ angeben.")


def bericht() -> dict[str, Any]:
    return copy.deepcopy(load_example(NAME))


def errors(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith(("Hinweis: ", "20"))]


def hints(result: CliResult) -> list[str]:
    return [line.removeprefix("Hinweis: ") for line in result.stderr.splitlines() if line.startswith("Hinweis: ")]


def docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    return [[[c.text for c in row.cells] for row in table.rows] for table in Document(str(path)).tables]


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    from docx import Document

    return [(p.style.name if p.style is not None else "", p.text) for p in Document(str(path)).paragraphs]


# --- validation ----------------------------------------------------------------------------------


def test_example_validates_without_hints(docgen: Run) -> None:
    result = docgen("validate", EXAMPLES / "sachbericht.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sachbericht.json: gültig (Sachbericht).\n"
    assert hints(result) == []


def test_example_command_prints_a_valid_input(docgen: Run, tmp_path: Path) -> None:
    printed = docgen("example", NAME)
    assert printed.returncode == 0
    path = tmp_path / "aus-example.json"
    path.write_text(printed.stdout, encoding="utf-8")
    assert docgen("validate", path).returncode == 0


def test_schema_is_printed_self_contained(docgen: Run) -> None:
    result = docgen("schema", NAME)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert "gemeinsam.schema.json" not in result.stdout
    assert schema["$defs"]["handlungsfeld"]["enum"] == [
        "Integration durch Bildung", "Integration als Querschnittsaufgabe", "KOMM-AN", "KIM", "Sprachmittlung",
        "sonstige"]
    assert schema["$defs"]["zieldimension"]["enum"] == [
        "Erstintegration von Neuzugewanderten", "Nachhaltige Integration in die Regelsysteme",
        "Migrationsgesellschaft gestalten"]


def test_goal_not_reached_needs_a_reason(docgen: Run, write_json: Write) -> None:
    data = bericht()
    del data["ziele"][0]["abweichungsgrund"]
    data["ziele"][2]["bewertung"] = "nicht erreicht"  # a second one, reported in the same run
    result = docgen("validate", write_json("ohne-grund.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        f"ohne-grund.json: /ziele/0/abweichungsgrund: {ZIEL_OHNE_GRUND}",
        "ohne-grund.json: /ziele/2/abweichungsgrund: das Ziel „Geduldete mit Bleibeperspektive werden im Case "
        "Management begleitet.“ ist mit „nicht erreicht“ bewertet; bitte die Ursache der Abweichung im Feld "
        "„abweichungsgrund“ angeben.",
    ]


def test_periods_run_forwards(docgen: Run, write_json: Write) -> None:
    data = bericht()
    data["berichtszeitraum"] = {"von": "2025-07-01", "bis": "2025-06-30"}
    data["personal"][1].update(besetzt_von="2025-05-01", besetzt_bis="2025-04-30")
    result = docgen("validate", write_json("zeitraum.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        "zeitraum.json: /berichtszeitraum/bis: der Berichtszeitraum endet (30.06.2025) vor seinem Beginn "
        "(01.07.2025). Bitte „von“ und „bis“ prüfen.",
        "zeitraum.json: /personal/1/besetzt_bis: „Case Management“: besetzt bis 30.04.2025 liegt vor besetzt ab "
        "01.05.2025.",
    ]


def test_schema_messages_name_the_field(docgen: Run, write_json: Write) -> None:
    data = bericht()
    data["ziele"][1]["bewertung"] = "teilweise"
    data["massnahmen"][0]["handlungsfeld"] = "Bildung"
    del data["ausblick"]
    result = docgen("validate", write_json("schema.json", data))
    assert result.returncode == 4
    lines = errors(result)
    for fragment in (
        "schema.json: /ausblick: Pflichtfeld fehlt. Bitte „ausblick“ angeben.",
        'schema.json: /ziele/1/bewertung: "teilweise" ist nicht zulässig. Erlaubt sind: „erreicht“, '
        "„teilweise erreicht“, „nicht erreicht“.",
        'schema.json: /massnahmen/0/handlungsfeld: "Bildung" ist nicht zulässig. Erlaubt sind: '
        "„Integration durch Bildung“",
    ):
        assert any(line.startswith(fragment) for line in lines), (fragment, lines)


def test_warnings_do_not_stop_the_job(docgen: Run, write_json: Write) -> None:
    data = bericht()
    data["ziele"][2].update(soll=80, ist=71)  # still rated "erreicht"
    data["personal"][2]["besetzt_von"] = "2025-08-01"  # after the Berichtszeitraum
    data["ziele"].append({"ziel": "Sprachmittlung in den Fallkonferenzen", "indikator": "Einsätze", "soll": 20,
                          "ist": 20, "bewertung": "erreicht", "handlungsfeld": "Sprachmittlung"})
    result = docgen("validate", write_json("hinweise.json", data))
    assert result.returncode == 0, result.stderr
    assert hints(result) == [
        "hinweise.json: /ziele/2/bewertung: das Ziel „Geduldete mit Bleibeperspektive werden im Case Management "
        "begleitet.“ ist als „erreicht“ bewertet, aber der Ist-Wert (71) liegt unter dem Soll (80). Bitte die "
        "Bewertung prüfen.",
        "hinweise.json: /personal/2: „Case Management“ war nach diesen Angaben im Berichtszeitraum (01.01.2025 – "
        "30.06.2025) nicht besetzt.",
        "hinweise.json: /massnahmen: für das Handlungsfeld „Sprachmittlung“ sind Ziele, aber keine Maßnahmen "
        "angegeben.",
    ]


# --- the Word document (no LibreOffice) ----------------------------------------------------------


def test_docx_groups_goals_and_measures_by_handlungsfeld(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    data = bericht()
    data["ziele"][1]["handlungsfeld"] = "Integration durch Bildung"
    data["massnahmen"][1]["handlungsfeld"] = "Integration durch Bildung"
    del data["kooperationen"], data["oeffentlichkeitsarbeit"]
    result = docgen("render", write_json("gruppen.json", data), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    docx = tmp_path / "out" / "gruppen.docx"
    ziele = next(t for t in docx_tables(docx) if t[0][0] == "Ziel laut Antrag")
    assert ziele[0] == ["Ziel laut Antrag", "Indikator", "Soll", "Ist", "Bewertung", "Ursache der Abweichung"]
    # a full-width group row per Handlungsfeld, in the order of the KI's fields
    assert [row[0] for row in ziele if len(set(row)) == 1] == [
        "Integration durch Bildung", "Kommunales Integrationsmanagement (KIM)"]
    assert ziele[2] == ["Eine Datenschutzvereinbarung regelt den Austausch von Falldaten zwischen den beteiligten "
                        "Stellen.", "Vereinbarung von allen beteiligten Stellen unterzeichnet", "ja", "ja", "erreicht",
                        "–"]
    assert ziele[4] == ["In allen acht kreisangehörigen Gemeinden finden regelmäßige Fallkonferenzen statt.\n"
                        "Zieldimension: Nachhaltige Integration in die Regelsysteme",
                        "Gemeinden mit mindestens einer Fallkonferenz je Quartal", "8", "6", "teilweise erreicht",
                        data["ziele"][0]["abweichungsgrund"]]
    paragraphs = docx_paragraphs(docx)
    headings = [text for style, text in paragraphs if style.startswith("Heading")]
    assert headings[:7] == ["1 Ausgangslage", "2 Ziele und Zielerreichung", "3 Durchgeführte Maßnahmen",
                            "3.1 Integration durch Bildung", "Datenschutzvereinbarung",
                            "3.2 Kommunales Integrationsmanagement (KIM)", "Fallkonferenzen in den Gemeinden"]
    texts = [text for _, text in paragraphs]
    assert "Ziele insgesamt: 3 – davon erreicht: 2, teilweise erreicht: 1, nicht erreicht: 0." in texts
    assert "Teilnehmende: 43" in texts and "Zieldimension (Strategie 2030): Erstintegration von Neuzugewanderten" \
        in texts
    assert texts.count("Keine Angaben.") == 2  # Kooperationen, Öffentlichkeitsarbeit
    assert "Entwurf – noch nicht freigegeben" in texts
    personal = next(t for t in docx_tables(docx) if t[0][0] == "Stellenart")
    assert personal[3] == ["Case Management", "1,00", "15.05.2025", "30.06.2025", "Nordheim und Südwald"]
    assert personal[-1][:2] == ["Insgesamt", "6,50"]


# --- with real LibreOffice -----------------------------------------------------------------------


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"[ \t\u00a0]+", " ", text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """The standalone example (a draft) rendered once to DOCX, PDF and bundle."""
    return render_once(tmp_path_factory, "bericht", bericht())


@pytest.mark.slow
def test_standalone_bundle(rendered: tuple[Path, CliResult]) -> None:
    out, result = rendered
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "bericht-ENTWURF", "bericht-ENTWURF.pdf", "bericht-ENTWURF.receipt.json"]
    text = pdf_text(out / "bericht-ENTWURF.pdf")
    for fragment in (
        "Sachbericht", "Zwischenbericht für den Berichtszeitraum 01.01.2025 bis 30.06.2025",
        "Aktenzeichen 36.08.02-KIM-2025-031", "Ziel laut Antrag Indikator Soll Ist Bewertung Ursache der",
        "3.1 Kommunales Integrationsmanagement (KIM)", "4 Personal", "5 Kooperationen und Netzwerke",
        "6 Öffentlichkeitsarbeit", "7 Ausblick", "Zwischenbericht 01.01.2025 – 30.06.2025 – Seite 1 von",
    ):
        assert fragment in text, fragment
    reader = PdfReader(out / "bericht-ENTWURF.pdf")
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["Sachbericht – Az. 36.08.02-KIM-2025-031", "Freigabevermerk"]
    receipt = json.loads((out / "bericht-ENTWURF.receipt.json").read_text(encoding="utf-8"))
    assert receipt["dokumentart"] == NAME and receipt["status"] == "entwurf"
    assert "berechnung" not in receipt
    assert receipt["vorlagen"]["sachbericht.docx"]["eigene_vorlage"] is False
