"""Integrationskonzept (issue 6) through the real CLI.

The smallest valid input is a skeleton with every chapter and a visible placeholder
"[Hier ergänzen: …]" wherever content is missing; every open placeholder is a warning
(``platzhalter.offen``), so `docgen validate`/`render` list them and the receipt records
them. Domain warnings: Schulaufsicht, kreisangehörige Gemeinden (Kreis),
Integrationsrat/-ausschuss and freie Träger among the Beteiligten.

Tests that need the bundle stage (receipt, bundle with bookmarks) are marked
"BUNDLE STAGE" in their docstrings: test_skeleton_receipt_lists_warnings,
test_signed_off_with_open_placeholders_warns_on_every_one and
test_konzept_as_anlage_gives_one_bundle_with_bookmarks_for_both.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES, CliResult, load_example, render_once

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]

NAME = "integrationskonzept"
MINIMAL = EXAMPLES / "integrationskonzept-minimal.json"
BILDUNG = "/handlungsfelder/integration_durch_bildung"
QUER = "/handlungsfelder/integration_als_querschnittsaufgabe"
# Every section of the skeleton that shows a placeholder, in document order: (JSON path, heading).
SKELETON_OPEN = [
    ("/einleitung", "1.1 Anlass und Auftrag"),
    ("/leitbild", "2 Leitbild und Leitziele"),
    ("/ausgangslage/indikatoren", "3.1 Datengrundlage und Kennzahlen"),
    ("/ausgangslage/text", "3.2 Bewertung und Bedarfe"),
    (f"{BILDUNG}/ausgangslage", "4.1 Ausgangslage"),
    (f"{BILDUNG}/ziele", "4.2 Ziele"),
    (f"{BILDUNG}/massnahmen", "4.3 Maßnahmen"),
    (f"{QUER}/ausgangslage", "5.1 Ausgangslage"),
    (f"{QUER}/schwerpunkt", "5.2 Schwerpunkt der Querschnittsarbeit"),
    (f"{QUER}/ziele", "5.3 Ziele"),
    (f"{QUER}/massnahmen", "5.4 Maßnahmen"),
    ("/zentrum/anbindung", "6.1 Organisatorische Anbindung"),
    ("/zentrum/personal", "6.2 Personelle Ausstattung"),
    ("/zentrum/raeume", "6.3 Räume und Sachausstattung"),
    ("/zentrum/aufgaben", "6.4 Aufgaben und Arbeitsweise"),
    ("/beteiligung", "7 Beteiligung"),
    ("/monitoring", "8 Umsetzung, Monitoring und Fortschreibung"),
]
SKELETON_HEADINGS = [
    ("Heading 1", "1 Einleitung und Rechtsgrundlagen"), ("Heading 2", "1.1 Anlass und Auftrag"),
    ("Heading 2", "1.2 Rechtsgrundlagen"), ("Heading 1", "2 Leitbild und Leitziele"),
    ("Heading 1", "3 Bestands- und Bedarfsanalyse"), ("Heading 2", "3.1 Datengrundlage und Kennzahlen"),
    ("Heading 2", "3.2 Bewertung und Bedarfe"), ("Heading 1", "4 Handlungsfeld Integration durch Bildung"),
    ("Heading 2", "4.1 Ausgangslage"), ("Heading 2", "4.2 Ziele"), ("Heading 2", "4.3 Maßnahmen"),
    ("Heading 1", "5 Handlungsfeld Integration als Querschnittsaufgabe"), ("Heading 2", "5.1 Ausgangslage"),
    ("Heading 2", "5.2 Schwerpunkt der Querschnittsarbeit"), ("Heading 2", "5.3 Ziele"),
    ("Heading 2", "5.4 Maßnahmen"),
    ("Heading 1", "6 Anbindung und Ausgestaltung des Kommunalen Integrationszentrums"),
    ("Heading 2", "6.1 Organisatorische Anbindung"), ("Heading 2", "6.2 Personelle Ausstattung"),
    ("Heading 2", "6.3 Räume und Sachausstattung"), ("Heading 2", "6.4 Aufgaben und Arbeitsweise"),
    ("Heading 1", "7 Beteiligung"), ("Heading 1", "8 Umsetzung, Monitoring und Fortschreibung"),
]
# The open sections of examples/integrationskonzept.json (partly filled on purpose).
EXAMPLE_OPEN = [f"{QUER}/massnahmen", "/handlungsfelder/weitere/0/massnahmen", "/zentrum/raeume", "/monitoring"]
WARN_SCHULAUFSICHT = "/beteiligung: die untere Schulaufsicht (Schulamt) ist nicht unter den Beteiligten."
WARN_GEMEINDEN = "/beteiligung: der Kreis hat keine kreisangehörige Stadt oder Gemeinde beteiligt."
WARN_INTEGRATIONSRAT = "/beteiligung: weder ein Integrationsrat noch ein Integrationsausschuss (§ 27 GO NRW)"
WARN_FREIE_TRAEGER = "/beteiligung: keine freien Träger (Wohlfahrtsverbände, Migrantenorganisationen) sind beteiligt"
PLACEHOLDER = re.compile(r"\[Hier ergänzen: [^\]]+\]")


# --- inputs --------------------------------------------------------------------------------------


def minimal() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MINIMAL.read_text(encoding="utf-8"))
    return data


def full_konzept() -> dict[str, Any]:
    """The example with every open section filled: a Konzept without a single placeholder."""
    data = copy.deepcopy(load_example(NAME))
    data["vorwort"] = "Liebe Leserinnen und Leser, dieses Konzept ist in zwei Jahren gemeinsamer Arbeit entstanden."
    data["stand"]["beschluss"] = {"gremium": "Kreistag", "datum": "2025-12-11", "vorlage": "2025/0412"}
    hf = data["handlungsfelder"]
    hf["integration_als_querschnittsaufgabe"]["massnahmen"] = [
        {"titel": "Fallkonferenzen im Kommunalen Integrationsmanagement", "verantwortlich": "KI",
         "partner": ["Ausländerbehörde", "Jobcenter"], "zeitraum": "ab 2026"}]
    hf["weitere"][0]["massnahmen"] = [
        {"titel": "Gesundheitslotsinnen und -lotsen in den Familienzentren", "verantwortlich": "Gesundheitsamt",
         "zeitraum": "2026–2028"}]
    data["zentrum"]["raeume"] = "Das Zentrum hat sechs Büros und einen Beratungsraum im Kreishaus."
    data["monitoring"] = [
        "Das KI berichtet dem Kreistag und dem Integrationsrat jährlich über die Umsetzung.",
        {"liste": ["Fortschreibung alle fünf Jahre", "Kennzahlen jährlich zum 31.12."]}]
    return data


# --- helpers -------------------------------------------------------------------------------------


def hinweise(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Hinweis: ")]


def open_paths(stderr: str) -> list[str]:
    """The JSON paths of the "ist noch offen" warnings, in the order they were printed."""
    return [m.group(1) for line in hinweise(stderr)
            if (m := re.match(r"Hinweis: [^:]+: (\S+): Kapitel „[^“]+“ ist noch offen: ", line))]


def find_docx(out: Path, stem: str) -> Path:
    """The rendered DOCX wherever the output layout puts it (out/ or out/<bundle>/)."""
    found = [p for p in out.rglob("*.docx") if p.stem == stem]
    assert len(found) == 1, sorted(out.rglob("*"))
    return found[0]


def bundle_pdf(out: Path) -> Path:
    found = sorted(out.glob("*.pdf"))
    assert len(found) == 1, sorted(out.rglob("*"))
    return found[0]


def docx_paragraphs(docx: Path) -> list[tuple[str, str]]:
    from docx import Document

    return [(p.style.name if p.style is not None else "", p.text) for p in Document(str(docx)).paragraphs]


def docx_xml(docx: Path) -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def outline(pdf: Path) -> list[tuple[str, list[str]]]:
    """Top-level bookmarks with the titles of all bookmarks below each."""
    def titles(items: list[Any]) -> list[str]:
        flat: list[str] = []
        for item in items:
            flat.extend(titles(item) if isinstance(item, list) else [str(item.title)])
        return flat

    tree: list[tuple[str, list[str]]] = []
    for item in PdfReader(pdf).outline:
        if isinstance(item, list):
            tree[-1][1].extend(titles(item))
        else:
            tree.append((str(item.title), []))
    return tree


# --- validation: examples, schema, required keys ---------------------------------------------------


def test_examples_validate(docgen: Run) -> None:
    result = docgen("validate", EXAMPLES / "integrationskonzept.json", MINIMAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["integrationskonzept.json: gültig (Integrationskonzept).",
                                          "integrationskonzept-minimal.json: gültig (Integrationskonzept)."]


def test_example_command_prints_a_valid_input(docgen: Run, tmp_path: Path) -> None:
    printed = docgen("example", NAME)
    assert printed.returncode == 0
    path = tmp_path / "aus-example.json"
    path.write_text(printed.stdout, encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 0, result.stderr
    assert open_paths(result.stderr) == EXAMPLE_OPEN


def test_schema_is_printed_self_contained(docgen: Run) -> None:
    result = docgen("schema", NAME)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["x-version"] == "1.0"
    assert "gemeinsam.schema.json" not in result.stdout
    assert schema["required"] == ["dokumentart", "traeger", "stand", "handlungsfelder", "zentrum"]
    assert schema["properties"]["handlungsfelder"]["required"] == [
        "integration_durch_bildung", "integration_als_querschnittsaufgabe"]
    typen = schema["properties"]["beteiligung"]["items"]["properties"]["typ"]["enum"]
    assert {"Schulaufsicht", "Integrationsrat/-ausschuss", "kreisangehörige Gemeinde", "sonstige"} <= set(typen)
    assert {"handlungsfeld", "bloecke", "anlagen", "freigabe"} <= set(schema["$defs"])


def _without(data: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.strip("/").split("/")
    node = data
    for key in parents:
        node = node[key]
    del node[last]
    return data


REQUIRED = ["/zentrum", "/handlungsfelder", BILDUNG, QUER, "/traeger", "/traeger/typ", "/stand/version"]


def test_missing_required_key_is_exit_4_with_path(docgen: Run, write_json: Write) -> None:
    files = [write_json(f"fehlt-{i}.json", _without(minimal(), path)) for i, path in enumerate(REQUIRED)]
    result = docgen("validate", *files)  # one run, one file per missing key
    assert result.returncode == 4, result.stderr
    assert result.stderr.splitlines() == [
        f"fehlt-{i}.json: {path}: Pflichtfeld fehlt. Bitte „{path.rsplit('/', 1)[-1]}“ angeben."
        for i, path in enumerate(REQUIRED)]
    assert "gültig" not in result.stdout


def test_all_schema_problems_at_once(docgen: Run, write_json: Write) -> None:
    data = load_example(NAME)
    del data["handlungsfelder"]["integration_als_querschnittsaufgabe"]
    del data["zentrum"]
    data["traeger"]["typ"] = "Gemeinde"
    data["stand"]["datum"] = "2025-02-30"
    data["beteiligung"][0]["typ"] = "Schule"
    data["ausgangslage"]["indikatoren"][0]["wert"] = None
    data["handlungsfelder"]["integration_durch_bildung"]["ziel"] = []
    result = docgen("validate", write_json("kaputt.json", data))
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    expected = [
        f"kaputt.json: {QUER}: Pflichtfeld fehlt. Bitte „integration_als_querschnittsaufgabe“ angeben.",
        "kaputt.json: /zentrum: Pflichtfeld fehlt. Bitte „zentrum“ angeben.",
        'kaputt.json: /traeger/typ: "Gemeinde" ist nicht zulässig. Erlaubt sind: „Kreis“, „kreisfreie Stadt“.',
        'kaputt.json: /stand/datum: "2025-02-30" ist kein gültiges Datum (erwartet JJJJ-MM-TT).',
        'kaputt.json: /beteiligung/0/typ: "Schule" ist nicht zulässig. Erlaubt sind: „Schulaufsicht“,',
        "kaputt.json: /ausgangslage/indikatoren/0/wert: null ist ungültig (erwartet der Wert als Zahl (12.6) "
        'oder als Text ("rund 31.400")).',
        f"kaputt.json: {BILDUNG}: unbekanntes Feld „ziel“ (Tippfehler?).",
    ]
    for fragment in expected:
        assert any(line.startswith(fragment) for line in lines), (fragment, lines)
    assert not hinweise(result.stderr)  # domain rules and placeholders only run on schema-valid input


def test_negative_vzae_is_rejected(docgen: Run, write_json: Write) -> None:
    data = minimal()
    data["zentrum"]["personal"] = [{"stellenart": "Fachkraft", "vzae": -0.5}]
    result = docgen("validate", write_json("vzae.json", data))
    assert result.returncode == 4
    assert "vzae.json: /zentrum/personal/0/vzae: -0.5 ist zu klein (Minimum 0)." in result.stderr


# --- warnings: placeholders and domain rules -------------------------------------------------------


def test_validate_lists_every_open_chapter_of_the_skeleton(docgen: Run) -> None:
    result = docgen("validate", MINIMAL)
    assert result.returncode == 0, result.stderr
    assert open_paths(result.stderr) == [path for path, _ in SKELETON_OPEN]
    lines = hinweise(result.stderr)
    for path, title in SKELETON_OPEN:
        prefix = f"Hinweis: {MINIMAL.name}: {path}: Kapitel „{title}“ ist noch offen: [Hier ergänzen: "
        assert any(line.startswith(prefix) and line.endswith("]") for line in lines), (prefix, lines)
    indikatoren = next(line for line in lines if "/ausgangslage/indikatoren:" in line)
    assert "Schuleingangsuntersuchung" in indikatoren and "Quelle" in indikatoren


def test_skeleton_warns_about_missing_partners(docgen: Run) -> None:
    stderr = docgen("validate", MINIMAL).stderr
    for warning in (WARN_SCHULAUFSICHT, WARN_GEMEINDEN, WARN_INTEGRATIONSRAT, WARN_FREIE_TRAEGER):
        assert f"Hinweis: integrationskonzept-minimal.json: {warning}" in stderr


BETEILIGT = {
    "Schulaufsicht": {"akteur": "Schulamt", "typ": "Schulaufsicht"},
    "Gemeinde": {"akteur": "Stadt Musterstadt", "typ": "kreisangehörige Gemeinde", "form": "Workshop"},
    "Integrationsrat": {"akteur": "Integrationsrat", "typ": "Integrationsrat/-ausschuss"},
    "Wohlfahrt": {"akteur": "AG Wohlfahrt", "typ": "Wohlfahrtsverband"},
}


PARTNER_WARNINGS = {"Schulaufsicht": WARN_SCHULAUFSICHT, "Gemeinde": WARN_GEMEINDEN,
                    "Integrationsrat": WARN_INTEGRATIONSRAT, "Wohlfahrt": WARN_FREIE_TRAEGER}


def test_each_missing_partner_warns_alone(docgen: Run, write_json: Write) -> None:
    files = []
    for weg in PARTNER_WARNINGS:
        data = minimal()
        data["beteiligung"] = [b for key, b in BETEILIGT.items() if key != weg]
        files.append(write_json(f"ohne-{weg}.json", data))
    complete = minimal()
    complete["beteiligung"] = list(BETEILIGT.values())
    files.append(write_json("alle.json", complete))
    result = docgen("validate", *files)
    assert result.returncode == 0, result.stderr
    partner = [line for line in hinweise(result.stderr) if ": /beteiligung: " in line and "ist noch offen" not in line]
    assert [line.split(": /beteiligung: ")[0] for line in partner] == [
        f"Hinweis: ohne-{weg}.json" for weg in PARTNER_WARNINGS]  # one each, none for alle.json
    for line, (weg, warning) in zip(partner, PARTNER_WARNINGS.items(), strict=True):
        assert line.startswith(f"Hinweis: ohne-{weg}.json: {warning}")


def test_kreisfreie_stadt_needs_no_gemeinden_but_warns_when_listed(docgen: Run, write_json: Write) -> None:
    data = minimal()
    data["traeger"] = {"name": "Stadt Musterstadt", "typ": "kreisfreie Stadt", "gemeinden": ["Nordviertel"]}
    data["koerperschaft"] = {"name": "Stadt Musterstadt", "verwaltungsspitze": "Die Oberbürgermeisterin"}
    result = docgen("validate", write_json("stadt.json", data))
    assert result.returncode == 0
    assert WARN_GEMEINDEN not in result.stderr
    assert ("Hinweis: stadt.json: /traeger/gemeinden: eine kreisfreie Stadt hat keine kreisangehörigen "
            "Gemeinden") in result.stderr
    assert "/traeger/name" not in result.stderr


def test_traeger_other_than_the_koerperschaft_warns(docgen: Run, write_json: Write) -> None:
    data = minimal()
    data["traeger"] = {"name": "Stadt Musterstadt", "typ": "kreisfreie Stadt"}
    result = docgen("validate", write_json("fremd.json", data))
    assert result.returncode == 0
    assert ("Hinweis: fremd.json: /traeger/name: „Stadt Musterstadt“ ist nicht die Körperschaft „Kreis "
            "Musterland“, die auf dem Titelblatt als Herausgeberin steht.") in result.stderr


def test_massnahme_without_verantwortlich_and_duplicate_field_warn(docgen: Run, write_json: Write) -> None:
    data = minimal()
    data["handlungsfelder"]["integration_durch_bildung"]["massnahmen"] = [{"titel": "Elterncafés"}]
    data["handlungsfelder"]["weitere"] = [{"name": "Integration durch Bildung"}]
    result = docgen("validate", write_json("hf.json", data))
    assert result.returncode == 0
    assert (f"Hinweis: hf.json: {BILDUNG}/massnahmen/0/verantwortlich: für die Maßnahme „Elterncafés“ ist "
            "niemand verantwortlich; bitte ergänzen.") in result.stderr
    assert ("Hinweis: hf.json: /handlungsfelder/weitere/0/name: das Handlungsfeld „Integration durch Bildung“ "
            f"steht bereits unter {BILDUNG}.") in result.stderr


# --- the DOCX (no LibreOffice) ---------------------------------------------------------------------


def test_skeleton_docx_has_every_chapter_and_placeholder(docgen: Run, tmp_path: Path) -> None:
    result = docgen("render", MINIMAL, "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    docx = find_docx(tmp_path / "out", "integrationskonzept-minimal")
    paragraphs = docx_paragraphs(docx)
    headings = [(style, text) for style, text in paragraphs if style in {"Heading 1", "Heading 2"}]
    assert headings == SKELETON_HEADINGS
    shown = [text for _, text in paragraphs if PLACEHOLDER.fullmatch(text)]
    warned = [PLACEHOLDER.search(line).group(0) for line in hinweise(result.stderr)  # type: ignore[union-attr]
              if "ist noch offen" in line]
    assert shown == warned and len(shown) == len(SKELETON_OPEN)
    texts = [text for _, text in paragraphs]
    assert "Geltungsbereich: Kreis Musterland mit den kreisangehörigen Städten und Gemeinden." in texts
    assert any(text.startswith("Nach § 8 des Teilhabe- und Integrationsgesetzes") for text in texts)
    assert any("§ 9 Abs. 2 TIntG" in text for text in texts)  # the Kreis paragraph on KIM
    xml = docx_xml(docx)
    assert 'TOC \\o "1-3" \\h \\z \\u' in xml and "Das Inhaltsverzeichnis wird bei der Umwandlung aktualisiert." in xml
    assert "{{" not in xml and "{%" not in xml


def test_full_konzept_docx_has_no_placeholder(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    result = docgen("render", write_json("voll.json", full_konzept()), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "ist noch offen" not in result.stderr
    assert "Hinweis" not in result.stderr  # the example involves every partner the rules ask for
    paragraphs = docx_paragraphs(find_docx(tmp_path / "out", "voll"))
    texts = [text for _, text in paragraphs]
    assert not [text for text in texts if "Hier ergänzen" in text]
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    assert headings == [
        "Vorwort", "1 Einleitung und Rechtsgrundlagen", "2 Leitbild und Leitziele", "3 Bestands- und Bedarfsanalyse",
        "4 Handlungsfeld Integration durch Bildung", "5 Handlungsfeld Integration als Querschnittsaufgabe",
        "6 Handlungsfeld Gesundheit und Pflege",
        "7 Anbindung und Ausgestaltung des Kommunalen Integrationszentrums", "8 Beteiligung",
        "9 Umsetzung, Monitoring und Fortschreibung"]
    assert "Leitziele" in [text for style, text in paragraphs if style == "Heading 3"]


def test_tables_indicators_grouped_and_vzae_total(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    from docx import Document

    result = docgen("render", write_json("tabellen.json", full_konzept()), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    tables = Document(str(find_docx(tmp_path / "out", "tabellen"))).tables
    rows: dict[str, list[list[str]]] = {}  # the body rows of all tables with the same first column
    for table in tables:
        rows.setdefault(table.rows[0].cells[0].text, []).extend([c.text for c in r.cells] for r in table.rows[1:])
    indikatoren = rows["Kennzahl"]
    assert indikatoren[0] == ["Bevölkerung"] * 4  # a full-width group row per Bereich
    assert ["Einwohnerinnen und Einwohner insgesamt", "248.600\u00a0Personen", "2024", "IT.NRW"] in indikatoren
    assert ["Anteil mit ausländischer Staatsangehörigkeit", "12,6\u00a0%", "2024", "Einwohnermeldeämter"] \
        in indikatoren
    assert [row[0] for row in indikatoren if len(set(row)) == 1] == [
        "Bevölkerung", "Bildung und Sprache", "Arbeit und Einkommen"]
    personal = rows["Stelle"]
    assert personal[0] == ["Leitung", "1,00", "Landesförderung"]
    assert personal[-1] == ["Summe", "9,75", ""]
    assert ["Fallkonferenzen im Kommunalen Integrationsmanagement", "KI", "Ausländerbehörde, Jobcenter",
            "ab 2026"] in rows["Maßnahme"]
    assert ["Gesundheitslotsinnen und -lotsen in den Familienzentren", "Gesundheitsamt", "–", "2026–2028"] \
        in rows["Maßnahme"]
    ziele = rows["Ziel"]
    assert ziele[0][3] == "31.07.2027"  # an ISO date as Frist is printed TT.MM.JJJJ
    assert ["Schulamt für den Kreis Musterland", "Schulaufsicht", "Fachwerkstatt Bildung, schriftliche "
            "Stellungnahme"] in rows["Akteur"]


# --- with real LibreOffice -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """The minimal skeleton (a draft) rendered once to DOCX, PDF and bundle."""
    return render_once(tmp_path_factory, "skelett", minimal())


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """The partly filled example, signed off although four placeholders are still open."""
    data = load_example(NAME)
    data["freigabe"] = {"unterzeichnung": {"zusatz": "Im Auftrag", "name": "Dr. B. Musterfrau",
                                           "funktion": "Dezernentin", "datum": "2025-09-20"}}
    return render_once(tmp_path_factory, "freigegeben", data)


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    """The Beschlussvorlage example carrying the full Konzept as its only Anlage."""
    data = load_example("beschlussvorlage")
    data["anlagen"] = [{"titel": "Integrationskonzept des Kreises Musterland", "dokument": full_konzept()}]
    return render_once(tmp_path_factory, "bv", data)


@pytest.mark.slow
def test_skeleton_pdf_has_every_chapter_and_placeholder(skeleton: tuple[Path, CliResult]) -> None:
    out, result = skeleton
    assert result.returncode == 0, result.stderr
    text = pdf_text(bundle_pdf(out))
    assert "Integrationskonzept" in text and "Kreis Musterland" in text and "Version 0.1" in text
    for _, heading in SKELETON_HEADINGS:
        assert heading in text, heading
    assert len(PLACEHOLDER.findall(text)) == len(SKELETON_OPEN)
    assert "Integrationskonzept Kreis Musterland – Seite 3 von" in text
    chapters = [title for _, below in outline(bundle_pdf(out)) for title in below]
    assert "1 Einleitung und Rechtsgrundlagen" in chapters and "8 Umsetzung, Monitoring und Fortschreibung" in chapters


@pytest.mark.slow
def test_skeleton_receipt_lists_warnings(skeleton: tuple[Path, CliResult]) -> None:
    """BUNDLE STAGE: the draft's receipt holds every placeholder and the partner warnings."""
    out, result = skeleton
    assert result.returncode == 0, result.stderr
    receipt = json.loads((out / "skelett-ENTWURF.receipt.json").read_text(encoding="utf-8"))
    warnungen = receipt["warnungen"]
    assert [w["pfad"] for w in warnungen if w["code"] == "platzhalter.offen"] == [p for p, _ in SKELETON_OPEN]
    codes = {w["code"] for w in warnungen}
    assert {"beteiligung.schulaufsicht_fehlt", "beteiligung.gemeinden_fehlen",
            "beteiligung.integrationsrat_fehlt"} <= codes
    assert all(w["stufe"] == "warning" for w in warnungen)
    schulaufsicht = next(w for w in warnungen if w["code"] == "beteiligung.schulaufsicht_fehlt")
    assert schulaufsicht["pfad"] == "/beteiligung"
    assert schulaufsicht["meldung"].startswith("die untere Schulaufsicht (Schulamt) ist nicht unter den Beteiligten.")


@pytest.mark.slow
def test_signed_off_with_open_placeholders_warns_on_every_one(signed: tuple[Path, CliResult]) -> None:
    """BUNDLE STAGE: a signed-off bundle may still have placeholders; each one is a warning in the receipt."""
    out, result = signed
    assert result.returncode == 0, result.stderr
    assert open_paths(result.stderr) == EXAMPLE_OPEN
    receipt = json.loads((out / "freigegeben.receipt.json").read_text(encoding="utf-8"))
    offen = [w for w in receipt["warnungen"] if w["code"] == "platzhalter.offen"]
    assert [w["pfad"] for w in offen] == EXAMPLE_OPEN
    assert offen[-1]["meldung"].startswith(
        "Kapitel „9 Umsetzung, Monitoring und Fortschreibung“ ist noch offen: [Hier ergänzen: ")
    assert len(PLACEHOLDER.findall(pdf_text(out / "freigegeben.pdf"))) == len(EXAMPLE_OPEN)


@pytest.mark.slow
def test_konzept_as_anlage_gives_one_bundle_with_bookmarks_for_both(nested: tuple[Path, CliResult]) -> None:
    """BUNDLE STAGE: Beschlussvorlage + Integrationskonzept (nested Anlage) = one bundle, one bookmark each."""
    out, result = nested
    assert result.returncode == 0, result.stderr
    pdf = bundle_pdf(out)
    tree = outline(pdf)
    assert len(tree) >= 3, tree  # main document, Anlage 1, Freigabevermerk
    assert tree[0][0].startswith("Beschlussvorlage"), tree
    anlage = [(title, below) for title, below in tree if "Integrationskonzept" in title]
    assert len(anlage) == 1, tree
    assert "Anlage 1" in anlage[0][0]
    assert "1 Einleitung und Rechtsgrundlagen" in anlage[0][1]
    assert "6 Handlungsfeld Gesundheit und Pflege" in anlage[0][1]
    assert tree[-1][0].startswith("Freigabevermerk"), tree
    text = pdf_text(pdf)
    assert "Hier ergänzen" not in text  # the full Konzept has no placeholder left
    assert "Schwerpunkte des Kommunalen Integrationszentrums für die Jahre 2026 und 2027" in text
    assert "Integrationskonzept Kreis Musterland – Seite 1 von" not in text  # the title page has no footer
    assert "Kreistag, 11.12.2025 (Vorlage 2025/0412)" in text


@pytest.mark.slow
def test_table_of_contents_is_filled_on_conversion(signed: tuple[Path, CliResult]) -> None:
    """The DOCX holds only a placeholder for the table of contents; LibreOffice fills it with page numbers."""
    out, result = signed
    assert result.returncode == 0, result.stderr
    text = pdf_text(bundle_pdf(out))
    assert "Das Inhaltsverzeichnis wird bei der Umwandlung aktualisiert." not in text
    assert re.search(r"1 Einleitung und Rechtsgrundlagen\.{5,}\s*3", text), text[:1500]
    assert re.search(r"9 Umsetzung, Monitoring und Fortschreibung\.{5,}\s*\d+", text)
