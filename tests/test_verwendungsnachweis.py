"""Verwendungsnachweis (issue 5) through the real CLI: rules, the Word document, and the bundle with LibreOffice.

The arithmetic itself is unit- and property-tested in tests/test_zuwendung*.py; here it is checked
where the user meets it: exit codes and German messages with JSON paths, the figures in the DOCX
and the PDF, the receipt's ``berechnung``, and one bundle holding the Nachweis and its Sachbericht.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES, ROOT, SAMPLE_BODY, CliResult, load_example

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]

NAME = "verwendungsnachweis"
AZ = "36.08.01-KI-2025-031"


def nb(text: str) -> str:
    """Messages put a no-break space before the euro sign."""
    return text.replace(" €", "\u00a0€").replace(" %", "\u00a0%")


def beispiel() -> dict[str, Any]:
    return copy.deepcopy(load_example(NAME))


def anteil() -> dict[str, Any]:
    """A small Anteilfinanzierung (docs/domain.md example A1 plus a line above 20 %): Z 47.400, Erstattung 12.600."""
    return {
        "dokumentart": NAME,
        "nachweisart": "Verwendungsnachweis",
        "zuwendungsempfaenger": {"name": "Stadt Beispielstadt", "abteilung": "Kommunales Integrationszentrum"},
        "bewilligungsbehoerde": {"name": "Bezirksregierung Arnsberg", "anschrift": "Seibertzstraße 1, 59821 Arnsberg"},
        "zuwendungszweck": "Sprachcafés für Neuzugewanderte 2025",
        "bescheide": [{"datum": "2025-01-20", "aktenzeichen": "36.2025-A1", "betrag": 60000}],
        "bewilligungszeitraum": {"von": "2025-01-01", "bis": "2025-12-31"},
        "finanzierung": {"art": "Anteilfinanzierung", "hoechstbetrag": 60000, "foerdersatz": 60},
        "auszahlungen": [{"datum": "2025-02-01", "betrag": "60000.00"}],
        "einnahmen": [{"art": "Eigenanteil", "soll": 40000, "ist": 20000},
                      {"art": "Zuwendung", "soll": 60000, "ist": 60000}],
        "ausgaben": [{"position": "Honorare", "soll": 60000, "ist": 50000},
                     {"position": "Sachausgaben", "soll": 20000, "ist": 25000,
                      "begruendung": "Mehr Sprachcafés als geplant"},
                     {"position": "Öffentlichkeitsarbeit", "soll": 20000, "ist": 5000,
                      "begruendung": "Flyer gespendet"}],
    }


def errors(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith(("Hinweis: ", "20"))]


def hints(result: CliResult) -> list[str]:
    return [line.removeprefix("Hinweis: ") for line in result.stderr.splitlines() if line.startswith("Hinweis: ")]


def docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    return [[[c.text for c in row.cells] for row in table.rows] for table in Document(str(path)).tables]


def table_starting(path: Path, first: str) -> list[list[str]]:
    return next(t for t in docx_tables(path) if t[0][0] == first)


# --- validation ----------------------------------------------------------------------------------


def test_all_examples_validate(docgen: Run) -> None:
    result = docgen("validate", *sorted(EXAMPLES.glob("*.json")))
    assert result.returncode == 0, result.stderr
    assert "verwendungsnachweis.json: gültig (Verwendungsnachweis)." in result.stdout.splitlines()
    assert "sachbericht.json: gültig (Sachbericht)." in result.stdout.splitlines()
    assert [h for h in hints(result) if h.startswith("verwendungsnachweis.json")] == [nb(
        "verwendungsnachweis.json: /personal/2/ist: Die Personalausgaben „Verwaltungsassistenz“ (23.118,90 €) "
        "übersteigen den Höchstbetrag für die besetzten Stellen (22.500,00 €); anerkannt werden 22.500,00 €.")]


def test_example_command_prints_a_valid_input(docgen: Run, tmp_path: Path) -> None:
    printed = docgen("example", NAME)
    assert printed.returncode == 0
    assert json.loads(printed.stdout)["sachbericht"]["berichtsart"] == "Schlussbericht"
    path = tmp_path / "aus-example.json"
    path.write_text(printed.stdout, encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "aus-example.json: gültig (Verwendungsnachweis).\n"


def test_schema_is_printed_self_contained(docgen: Run) -> None:
    result = docgen("schema", NAME)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert "gemeinsam.schema.json" not in result.stdout
    assert schema["properties"]["nachweisart"]["enum"] == [
        "Verwendungsnachweis", "Zwischennachweis", "einfacher Verwendungsnachweis"]
    assert schema["properties"]["finanzierung"]["properties"]["art"]["enum"] == [
        "Anteilfinanzierung", "Fehlbedarfsfinanzierung", "Vollfinanzierung", "Festbetragsfinanzierung"]
    assert {"betrag", "betrag_nn", "stelle", "zeitraum"} <= set(schema["$defs"])


def test_zuwendung_ist_must_equal_what_was_paid_out(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    data["einnahmen"][1]["ist"] = "400000.00"
    result = docgen("validate", write_json("falsch.json", data))
    assert result.returncode == 4
    assert errors(result) == [nb(
        "falsch.json: /einnahmen/1/ist: Die Zuwendung lt. Abrechnung (400.000,00 €) muss dem ausgezahlten Betrag "
        "entsprechen (Summe unter /auszahlungen: 404.500,00 €).")]


def test_anteilfinanzierung_needs_a_foerdersatz(docgen: Run, write_json: Write) -> None:
    data = anteil()
    del data["finanzierung"]["foerdersatz"]
    result = docgen("validate", write_json("ohne-satz.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        "ohne-satz.json: /finanzierung/foerdersatz: Bei Anteilfinanzierung muss der Fördersatz in v.H. angegeben "
        "sein (z. B. 60)."]


def test_goal_without_reason_inside_the_nachweis(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    del data["sachbericht"]["ziele"][1]["abweichungsgrund"]
    result = docgen("validate", write_json("ziel.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        "ziel.json: /sachbericht/ziele/1/abweichungsgrund: das Ziel „Kitas setzen alltagsintegrierte "
        "Sprachbildung mit geschulten Fachkräften um.“ ist mit „teilweise erreicht“ bewertet; bitte die Ursache "
        "der Abweichung im Feld „abweichungsgrund“ angeben."]


def test_every_problem_at_once_including_the_sachbericht(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    data["einnahmen"][1]["ist"] = "404000.00"
    data["bewilligungszeitraum"] = {"von": "2025-12-31", "bis": "2025-01-01"}
    data["sachbericht"]["berichtsart"] = "Endbericht"
    data["sachbericht"]["ziele"][0]["handlungsfeld"] = "Bildung"
    result = docgen("validate", write_json("viele.json", data))
    assert result.returncode == 4
    lines = errors(result)
    assert lines[:2] == [
        nb("viele.json: /einnahmen/1/ist: Die Zuwendung lt. Abrechnung (404.000,00 €) muss dem ausgezahlten "
           "Betrag entsprechen (Summe unter /auszahlungen: 404.500,00 €)."),
        "viele.json: /bewilligungszeitraum/bis: der Bewilligungszeitraum endet (01.01.2025) vor seinem Beginn "
        "(31.12.2025). Bitte „von“ und „bis“ prüfen."]
    assert lines[2].startswith('viele.json: /sachbericht/berichtsart: "Endbericht" ist nicht zulässig. '
                               "Erlaubt sind: „Zwischenbericht“, „Schlussbericht“.")
    assert lines[3].startswith('viele.json: /sachbericht/ziele/0/handlungsfeld: "Bildung" ist nicht zulässig.')
    assert len(lines) == 4


def test_signed_off_nachweis_needs_the_bestaetigung(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    del data["bestaetigung"]
    result = docgen("validate", write_json("ohne.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        "ohne.json: /bestaetigung: ein freigegebener Verwendungsnachweis braucht die Bestätigung des "
        "Zuwendungsempfängers (ort, datum, name, funktion). Bitte ergänzen oder die Freigabe entfernen (Entwurf)."]
    del data["freigabe"]
    assert docgen("validate", write_json("entwurf.json", data)).returncode == 0


def test_bescheide_add_up_to_the_hoechstbetrag(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    data["bescheide"][1]["betrag"] = "5000.00"
    result = docgen("validate", write_json("bescheide.json", data))
    assert result.returncode == 4
    assert errors(result) == [nb(
        "bescheide.json: /finanzierung/hoechstbetrag: der Höchstbetrag (404.500,00 €) muss der mit den Bescheiden "
        "bewilligten Zuwendung entsprechen (Summe unter /bescheide: 399.500,00 €). Bitte Beträge und "
        "Änderungsbescheide prüfen.")]


def test_zwischennachweis_names_its_year(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    data["nachweisart"] = "Zwischennachweis"
    result = docgen("validate", write_json("zwischen.json", data))
    assert result.returncode == 4
    assert errors(result) == [
        "zwischen.json: /berichtsjahr: ein Zwischennachweis gilt für ein Haushaltsjahr; bitte das Feld "
        "„berichtsjahr“ angeben (z. B. 2025)."]
    data["berichtsjahr"] = 2025
    result = docgen("validate", write_json("zwischen.json", data))
    assert result.returncode == 0, result.stderr
    assert "zwischen.json: /sachbericht/berichtsart: zu einem Zwischennachweis gehört in der Regel ein " \
           "Zwischenbericht, nicht ein Schlussbericht." in hints(result)


def test_negative_amounts_and_late_confirmation(docgen: Run, write_json: Write) -> None:
    data = beispiel()
    data["ausgaben"][2]["ist"] = -5
    result = docgen("validate", write_json("negativ.json", data))
    assert result.returncode == 4
    assert errors(result) == ["negativ.json: /ausgaben/2/ist: -5 ist zu klein (Minimum 0)."]
    data = beispiel()
    data["bestaetigung"]["datum"] = "2026-07-15"
    result = docgen("validate", write_json("spaet.json", data))
    assert result.returncode == 0
    assert "spaet.json: /bestaetigung/datum: der Nachweis wird nach Ablauf der Vorlagefrist (30.06.2026) " \
           "bestätigt. Bitte eine Fristverlängerung der Bewilligungsbehörde beifügen." in hints(result)


# --- the Word document (no LibreOffice) ----------------------------------------------------------


def test_docx_anteil_with_20_percent_flag_and_interest(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    data = anteil()
    data["zinsen"] = {"basiszinssatz": 2.27, "ab": "2026-01-01", "bis": "2026-07-01"}
    result = docgen("render", write_json("anteil.json", data), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert [h.split(": ")[1] for h in hints(result)] == ["/ausgaben/1/ist"]
    docx = tmp_path / "out" / "anteil.docx"
    ergebnis = table_starting(docx, "Zuwendungsfähige Ausgaben laut Abrechnung")
    assert ergebnis == [[text, nb(betrag)] for text, betrag in [
        ("Zuwendungsfähige Ausgaben laut Abrechnung", "80.000,00 €"),
        ("./. nicht anerkannte Überschreitung von Einzelansätzen (20-%-Regel)", "1.000,00 €"),
        ("Anerkannte zuwendungsfähige Ausgaben", "79.000,00 €"),
        (nb("Zuwendung: 60,00 % der anerkannten Ausgaben, höchstens der Höchstbetrag von 60.000,00 €"),
         "47.400,00 €"),
        ("Ausgezahlte Zuwendung", "60.000,00 €"),
        ("Erstattungsbetrag", "12.600,00 €"),
        ("Zinsen nach § 49a Abs. 3 VwVfG NRW (01.01.2026 bis 01.07.2026, 181 Tage)", "329,28 €"),
        ("Erstattungsbetrag einschließlich Zinsen", "12.929,28 €"),
    ]]
    ausgaben = table_starting(docx, "Position des Finanzierungsplans")
    assert ausgaben[3] == ["2. Sachausgaben\n¹ mehr als 20 % über dem Ansatz – anerkannt bis 120 % des Ansatzes; "
                          "Begründung der Abweichung: Mehr Sprachcafés als geplant"] + [
        nb(text) for text in ["20.000,00 €", "25.000,00 €", "+5.000,00 €", "+25,00 %", "24.000,00 €"]]
    assert ausgaben[-1] == ["Insgesamt"] + [nb(t) for t in ["100.000,00 €", "80.000,00 €", "-20.000,00 €",
                                                            "-20,00 %", "79.000,00 €"]]
    einnahmen = table_starting(docx, "Art der Einnahme")
    assert einnahmen[2:] == [[nb(t) for t in row] for row in [
        ["Eigenanteil", "40.000,00 €", "40,00", "20.000,00 €", "25,00"],
        ["Zuwendung des Landes", "60.000,00 €", "60,00", "60.000,00 €", "75,00"],
        ["Insgesamt", "100.000,00 €", "100,00", "80.000,00 €", "100,00"]]]
    zinsen = table_starting(docx, "Zeitraum")
    assert zinsen[1] == ["01.01.2026 bis 01.07.2026", "181", nb("2,27 %"), nb("5,27 %"), nb("329,28 €")]
    from docx import Document

    money = [p for t in Document(str(docx)).tables for row in t.rows for c in row.cells[1:] for p in c.paragraphs
             if p.text.endswith("\u00a0€")]  # the first column holds labels
    assert money and all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in money)


def test_docx_fehlbedarf_shows_the_fehlbetrag(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    """docs/domain.md example B1 with less Eigenmittel than planned: the grant stays 59.000, a Fehlbetrag remains."""
    data = anteil()
    data["finanzierung"] = {"art": "Fehlbedarfsfinanzierung", "hoechstbetrag": 70000}
    data["bescheide"][0]["betrag"] = 70000
    data["auszahlungen"][0]["betrag"] = 70000
    data["einnahmen"] = [{"art": "Eigenanteil", "soll": 20000, "ist": 5000},
                         {"art": "Leistungen Dritter", "soll": 10000, "ist": 13000},
                         {"art": "Zuwendung", "soll": 70000, "ist": 70000}]
    data["ausgaben"] = [{"position": "Ausgaben", "soll": 100000, "ist": 92000}]
    data["sachbericht_kurz"] = "Die Sprachcafés fanden an 40 Nachmittagen statt."
    result = docgen("render", write_json("fehlbedarf.json", data), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert hints(result) == [nb("fehlbedarf.json: /einnahmen: Die Einnahmen decken die Ausgaben (Ist) nicht: "
                                "Fehlbetrag 4.000,00 €.")]
    docx = tmp_path / "out" / "fehlbedarf.docx"
    assert table_starting(docx, "Einnahmen insgesamt (lt. Abrechnung)")[-1] == ["Fehlbetrag", nb("4.000,00 €")]
    ergebnis = table_starting(docx, "Zuwendungsfähige Ausgaben laut Abrechnung")
    assert ergebnis[2:6] == [[nb(a), nb(b)] for a, b in [
        ("./. Eigenanteil (mindestens laut Finanzierungsplan)", "20.000,00 €"),
        ("./. Leistungen Dritter und andere öffentliche Förderung", "13.000,00 €"),
        ("Zuwendung (Fehlbedarf), höchstens der Höchstbetrag von 70.000,00 €", "59.000,00 €"),
        ("Ausgezahlte Zuwendung", "70.000,00 €")]]
    assert ergebnis[-1] == ["Erstattungsbetrag", nb("11.000,00 €")]
    from docx import Document

    texts = [p.text for p in Document(str(docx)).paragraphs]
    assert "Die Sprachcafés fanden an 40 Nachmittagen statt." in texts
    assert nb("Es ergibt sich ein Erstattungsbetrag von 11.000,00 €. Er wird nach Festsetzung durch die "
              "Bewilligungsbehörde zurückgezahlt.") in texts
    signature = docx_tables(docx)[-1][0]  # a draft without Bestätigung: empty lines to sign on
    assert [signature[0], signature[2]] == ["\nOrt, Datum", "\nName, Funktion (rechtsverbindliche Unterschrift)"]


# --- with real LibreOffice: the example once -----------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """The signed-off example rendered once: Nachweis, Sachbericht and Freigabevermerk in one sealed bundle."""
    folder = tmp_path_factory.mktemp("vn")
    state = tmp_path_factory.mktemp("vn-state")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update({**SAMPLE_BODY, "DOCGEN_STATE_DIR": str(state), "HOME": str(state),
                "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    proc = subprocess.run([sys.executable, "-m", "docgen", "render", str(EXAMPLES / f"{NAME}.json"), "--out",
                           str(folder / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return folder / "out", CliResult(proc.returncode, proc.stdout, proc.stderr)


def pdf_text(pdf: Path, *pages: int) -> str:
    args = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    text = subprocess.run(["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"[ \t\u00a0]+", " ", text)


@pytest.mark.slow
def test_bundle_shows_erstattung_and_totals(bundle: tuple[Path, CliResult]) -> None:
    out, result = bundle
    assert result.returncode == 0, result.stderr
    assert "(8 Seiten, gesiegelt)" in result.stdout
    assert sorted(p.name for p in (out / NAME).iterdir()) == [
        "freigabevermerk.pdf", "sachbericht.docx", "sachbericht.pdf", f"{NAME}.docx", f"{NAME}.pdf"]
    text = pdf_text(out / f"{NAME}.pdf")
    for line in (
        "Bewilligt insgesamt 404.500,00 €",
        "Ausgezahlt insgesamt 404.500,00 €",
        "Zuwendung des Landes 404.500,00 € 100,00 404.500,00 € 99,72",
        "Insgesamt 404.500,00 € 100,00 405.650,00 € 100,00",
        "Insgesamt 404.500,00 € 383.924,52 € -20.575,48 € -5,09 % 383.924,52 €",
        "Verwaltungsassistenz 0,50 0,50 22.500,00 € 23.118,90 € ² 22.500,00 €",
        "Überschuss 21.725,48 €",
        "./. Überschreitung der Stellenhöchstbeträge 618,90 €",
        "Anerkannte zuwendungsfähige Ausgaben 383.305,62 €",
        "Zuwendung (Vollfinanzierung), höchstens der Höchstbetrag von 404.500,00 € 382.155,62 €",
        "Erstattungsbetrag 22.344,38 €",
        "Es ergibt sich ein Erstattungsbetrag von 22.344,38 €.",
        "Musterstadt, 20.03.2026 gez. Dr. Aylin Beispiel",
    ):
        assert line in text, line
    assert "siehe Teil „Sachbericht“ im Dokumentenpaket" in " ".join(text.split())


@pytest.mark.slow
def test_receipt_has_the_berechnung(bundle: tuple[Path, CliResult]) -> None:
    out, _ = bundle
    receipt = json.loads((out / f"{NAME}.receipt.json").read_text(encoding="utf-8"))
    b = receipt["berechnung"]
    assert {k: b[k] for k in ("anerkannte_ausgaben", "zuwendung_festgesetzt", "ausgezahlt", "erstattung",
                              "nachzahlung", "ueberschuss", "fehlbetrag", "kuerzung_personal", "vorlagefrist")} == {
        "anerkannte_ausgaben": "383305.62", "zuwendung_festgesetzt": "382155.62", "ausgezahlt": "404500.00",
        "erstattung": "22344.38", "nachzahlung": "0.00", "ueberschuss": "21725.48", "fehlbetrag": "0.00",
        "kuerzung_personal": "618.90", "vorlagefrist": "2026-06-30"}
    assert b["summen"]["einnahmen_ist"] == "405650.00" and b["summen"]["ausgaben_ist"] == "383924.52"
    assert [z["anteil_ist"] for z in b["einnahmen"]] == ["0.28", "99.72"]
    assert [g["hoechstbetrag"] for g in b["personal"]] == ["327750.00", "22500.00"]
    assert b["finanzierung"]["art"] == "Vollfinanzierung"
    assert [w["code"] for w in receipt["warnungen"]] == ["personal.hoechstbetrag_ueberschritten"]
    assert receipt["status"] == "freigegeben" and receipt["siegel"]["gesiegelt"] is True
    assert set(receipt["schemas"]) == {"verwendungsnachweis.schema.json", "sachbericht.schema.json"}


@pytest.mark.slow
def test_bundle_has_bookmarks_for_both_documents(bundle: tuple[Path, CliResult]) -> None:
    out, _ = bundle
    reader = PdfReader(out / f"{NAME}.pdf")
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [f"Verwendungsnachweis – Az. {AZ}", "Sachbericht", "Freigabevermerk"]
    starts = [reader.get_destination_page_number(item) for item in top]
    main_pages = len(PdfReader(out / NAME / f"{NAME}.pdf").pages)
    report_pages = len(PdfReader(out / NAME / "sachbericht.pdf").pages)
    assert starts == [0, main_pages, main_pages + report_pages]
    assert reader.page_labels[main_pages] == "Sachbericht – 1"
    below = [[item.title for item in group if not isinstance(item, list)]
             for group in reader.outline if isinstance(group, list)]
    assert below[0] == ["I. Sachbericht", "II. Zahlenmäßiger Nachweis", "III. Ergebnis", "IV. Bestätigung"]
    assert below[1][:3] == ["1 Ausgangslage", "2 Ziele und Zielerreichung", "3 Durchgeführte Maßnahmen"]
    report = pdf_text(out / f"{NAME}.pdf", main_pages + 1, main_pages + report_pages)
    assert "Schlussbericht für den Berichtszeitraum 01.01.2025 bis 31.12.2025" in report
    assert "Im Auftrag" in report and "gez. Dr. Aylin Beispiel" in report
