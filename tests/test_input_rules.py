"""The input contract where clerks and attackers get it wrong (issue 12 A): one validate run, all problems.

Through :func:`docgen.stages.validate.validate_file` (the stage itself; the CLI prints exactly
these lines, see tests/test_corpus.py): money as written (``1.150`` is not 1,15 €), German money
and dates refused with the value meant, keys given twice, characters the documents cannot show
as written (bidi controls, DEL/NEL, CJK, emoji; the allowed set checked against the installed
font), the Anlagen of nested documents checked and bundled, the Sachbericht inside a
Verwendungsnachweis inheriting what it repeats, the 20 % explanation, plain Kooperationen; and
the three rounds (schema, rules, Anlagen) reported together, without any rule crashing on data
the schema refused.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from docgen.documents import sachbericht as sb
from docgen.errors import DocgenError, ExitCode
from docgen.settings import Settings
from docgen.stages.validate import PRINTABLE, validate_file
from tests.conftest import EXAMPLES, load_example
from tests.test_corpus import BAD, CASES, CORPUS, GOOD, build_folder, expected_line

ANLAGE = "anlagen/zielerreichung-2024-2025.pdf"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "zustand")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "anlagen").mkdir()
    shutil.copy(EXAMPLES / ANLAGE, tmp_path / ANLAGE)
    return tmp_path


def write(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str),
                    encoding="utf-8")
    return path


def refused(path: Path, settings: Settings, code: ExitCode = ExitCode.INVALID_INPUT) -> list[str]:
    """The lines a refused input reports (``<datei>: <pfad>: <meldung>``), after checking the exit code."""
    with pytest.raises(DocgenError) as info:
        validate_file(path, settings)
    assert info.value.exit_code == code, info.value.lines()
    return info.value.lines()


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_example(name))


def text_of(data: Any) -> str:
    """JSON text for data holding Decimal amounts, written as the clerk would (the Decimal's digits)."""
    if isinstance(data, Decimal):
        return str(data)
    if isinstance(data, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {text_of(v)}" for k, v in data.items()) + "}"
    if isinstance(data, list):
        return "[" + ", ".join(text_of(v) for v in data) + "]"
    return json.dumps(data, ensure_ascii=False)


# --- A1: money and dates as clerks write them ------------------------------------------------


def test_german_thousands_as_a_number_is_refused(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["ausgaben"][2]["ist"] = Decimal("1.150")
    lines = refused(write(folder, "vn.json", text_of(data)), settings)
    assert ("vn.json: /ausgaben/2/ist: 1.150 hat drei Nachkommastellen; ein Betrag hat höchstens zwei. Der Punkt "
            "ist in JSON das Dezimalzeichen, kein Tausenderpunkt – meinten Sie 1150? Dann bitte 1150 schreiben "
            "(für 1,15 € bitte 1.15).") in lines


@pytest.mark.parametrize(("literal", "meant"), [
    ("1.150", "meinten Sie 1150?"), ("12.3456", "z. B. 12.35"), ("0.125", "meinten Sie 0125?"),
    ("1150e-3", "meinten Sie 1150?"), ("5.000", "meinten Sie 5000?"),
])
def test_any_money_literal_with_more_than_two_decimals_is_refused(
        literal: str, meant: str, folder: Path, settings: Settings) -> None:
    raw = json.dumps(example("verwendungsnachweis"), ensure_ascii=False).replace(
        '"ist": "38960.00"', f'"ist": {literal}')
    lines = refused(write(folder, "vn.json", raw), settings)
    assert any(line.startswith("vn.json: /ausgaben/2/ist: ") and meant in line for line in lines), lines


@pytest.mark.parametrize("literal", ["1.15", "1.1", "1150", "1150.00", "\"1.15\"", "1.5e3"])
def test_money_with_at_most_two_decimals_is_taken_exactly(literal: str, folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["bescheide"][1]["betrag"] = "__X__"
    data["finanzierung"]["hoechstbetrag"] = "__H__"
    first = Decimal(data["bescheide"][0]["betrag"])
    value = Decimal(json.loads(literal)) if literal.startswith('"') else Decimal(literal)
    raw = (json.dumps(data, ensure_ascii=False).replace('"__X__"', literal)
           .replace('"__H__"', str(first + value)))
    job = validate_file(write(folder, "vn.json", raw), settings)
    assert Decimal(job.data["bescheide"][1]["betrag"]) == value


@pytest.mark.parametrize(("written", "meant"), [
    ("1.234,56", "Bitte 1234.56 schreiben."), ("1234,5", "Bitte 1234.50 schreiben."),
    ("1.150", "meinten Sie 1150?"), ("40.000,00 €", "Bitte 40000.00 schreiben."),
    ("1150 EUR", "Bitte 1150.00 schreiben."), ("-1.234,56", "Bitte -1234.56 schreiben."),
])
def test_german_money_strings_are_refused_with_the_value_meant(
        written: str, meant: str, folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["bescheide"][1]["betrag"] = written  # a Geldbetrag that may be negative (Änderungsbescheid)
    lines = refused(write(folder, "vn.json", data), settings)
    assert any(line.startswith("vn.json: /bescheide/1/betrag: ") and meant in line for line in lines), lines


def test_german_date_is_refused_with_the_iso_date(folder: Path, settings: Settings) -> None:
    data = example("beschlussvorlage")
    data["vorlage"]["datum"] = "28.11.2024"
    lines = refused(write(folder, "bv.json", data), settings)
    assert ('bv.json: /vorlage/datum: "28.11.2024" ist kein gültiges Datum (erwartet JJJJ-MM-TT): bitte '
            '"2024-11-28" schreiben.') in lines


def test_schema_says_how_money_is_written() -> None:
    common = json.loads((EXAMPLES.parent / "schemas" / "gemeinsam.schema.json").read_text(encoding="utf-8"))
    described = common["$defs"]["betrag"]["description"]
    assert "1.150" in described and "1.234,56" in described and "abgelehnt" in described


# --- A7: keys given twice ----------------------------------------------------------------------


def test_duplicate_key_is_refused_with_its_path(folder: Path, settings: Settings) -> None:
    raw = json.dumps(example("beschlussvorlage"), ensure_ascii=False).replace(
        '"betreff": ', '"betreff": "Erster Betreff", "betreff": ', 1)
    lines = refused(write(folder, "bv.json", raw), settings)
    assert lines == ["bv.json: /vorlage/betreff: das Feld „betreff“ steht in diesem Objekt mehrfach; bitte nur "
                     "einmal angeben (welcher Wert gemeint ist, bleibt sonst offen)."]


def test_duplicate_keys_deep_and_at_the_top(folder: Path, settings: Settings) -> None:
    raw = json.dumps(example("sachbericht"), ensure_ascii=False)
    raw = raw.replace('"ziel": ', '"ziel": "doppelt", "ziel": ', 1)
    raw = raw.replace('{"dokumentart": "sachbericht"', '{"dokumentart": "sachbericht", "dokumentart": "sachbericht"')
    lines = refused(write(folder, "sb.json", raw), settings)
    assert [line.split(": ", 2)[1] for line in lines] == ["/dokumentart", "/ziele/0/ziel"]


# --- A8: characters that do not reach paper as written ------------------------------------------


@pytest.mark.parametrize(("char", "shown"), [
    ("\u202e", "U+202E (Richtungsumkehr)"), ("\u202d", "U+202D (Richtungsumkehr)"),
    ("\u202b", "U+202B (Richtungseinbettung)"), ("\u2067", "U+2067 (Richtungsisolierung)"),
    ("\u200f", "U+200F (Richtungsmarke)"), ("\u007f", "U+007F (Steuerzeichen DEL)"),
    ("\u0085", "U+0085 (Steuerzeichen NEL, Zeilenwechsel)"), ("\u009b", "U+009B (Steuerzeichen)"),
    ("\u200b", "U+200B (Leerzeichen ohne Breite)"), ("\u2028", "U+2028 (Zeilentrenner)"),
    ("\u4e2d", "U+4E2D („中“, Cjk Unified Ideograph-4E2D)"), ("\U0001f600", "U+1F600 („😀“, Grinning Face)"),
    ("\ue000", "U+E000 (privates Zeichen)"), ("\u05d0", "U+05D0 („א“, Hebrew Letter Alef)"),
])
def test_characters_the_documents_cannot_show_are_refused(
        char: str, shown: str, folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["ausgaben"][2]["position"] = f"Sachausgaben {char}100.000,00"
    lines = refused(write(folder, "vn.json", data), settings)
    assert len(lines) == 1 and lines[0].startswith(
        f"vn.json: /ausgaben/2/position: der Text enthält das Zeichen {shown}: "), lines
    assert "Bitte das Zeichen entfernen" in lines[0]


def test_bidi_message_says_what_it_does(folder: Path, settings: Settings) -> None:
    data = example("beschlussvorlage")
    data["vorlage"]["betreff"] = "Zuschuss \u202e00,000.001\u202c €"
    lines = refused(write(folder, "bv.json", data), settings)
    assert lines == ["bv.json: /vorlage/betreff: der Text enthält das Zeichen U+202E (Richtungsumkehr), U+202C "
                     "(Ende einer Richtungsvorgabe): es steuert die Schreibrichtung und kann Text auf der Seite "
                     "umdrehen (aus 100.000,00 würde 00,000.001). Bitte das Zeichen entfernen."]


def test_keys_and_anlage_paths_are_checked_too(folder: Path, settings: Settings) -> None:
    data = example("beschlussvorlage")
    data["vorlage"]["betr\u202eeff"] = "x"
    data["anlagen"] = [{"titel": "Plan", "datei": "anlagen/fdp.\u202eexe"}]
    lines = refused(write(folder, "bv.json", data), settings)
    assert any(line.startswith("bv.json: /vorlage: der Feldname „betr\u202eeff“ enthält das Zeichen U+202E")
               for line in lines), lines
    assert any(line.startswith("bv.json: /anlagen/0/datei: der Text enthält das Zeichen U+202E") for line in lines)


@pytest.mark.parametrize("text", [
    "Nguyễn Thị Minh Khai", "Łódź, Kraków, Iași, Ñuñoa", "Олександр Шевченко", "Ἀθῆναι, Θεσσαλονίκη",
    "Straße – „Zitat“ ‚halb‘ … 1 234,56 € ≤ 5 %", "Sil\u00adben\u00adtren\u00adnung", "• Punkt ▪ ● ◦ → ↑",
    "Zeile\nneue Zeile\tTab", "ﬁ ﬂ № ™ ½ ¼ ² ³ ‰",
])
def test_what_the_font_shows_is_accepted(text: str, folder: Path, settings: Settings) -> None:
    data = example("beschlussvorlage")
    data["vorlage"]["betreff"] = text
    job = validate_file(write(folder, "bv.json", data), settings)
    assert job.data["vorlage"]["betreff"] == text


def _font_charset(style: str) -> set[int]:
    found = subprocess.run(["fc-match", "-f", "%{file}", f"Liberation Sans:style={style}"],
                           capture_output=True, text=True, check=True).stdout
    assert "LiberationSans" in found, f"Liberation Sans {style} is not installed ({found})"
    ranges = subprocess.run(["fc-query", "--format", "%{charset}", found], capture_output=True, text=True,
                            check=True).stdout.split()
    chars: set[int] = set()
    for part in ranges:
        low, _, high = part.partition("-")
        chars.update(range(int(low, 16), int(high or low, 16) + 1))
    return chars


@pytest.mark.skipif(shutil.which("fc-query") is None, reason="fontconfig (fc-query) is not installed")
@pytest.mark.parametrize("style", ["Regular", "Bold", "Italic", "Bold Italic"])
def test_allowed_characters_are_in_the_installed_font(style: str) -> None:
    """Every character validate lets through has a glyph in the templates' font, in every style."""
    allowed = {c for low, high in PRINTABLE for c in range(low, high + 1)}
    missing = sorted(allowed - _font_charset(style))
    assert missing == [], [f"U+{c:04X}" for c in missing[:20]]


def test_allowed_characters_are_no_controls_and_templates_use_that_font() -> None:
    allowed = {c for low, high in PRINTABLE for c in range(low, high + 1)}
    invisible = [f"U+{c:04X}" for c in allowed if unicodedata.category(chr(c)) in {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"}
                 and c != 0xAD]
    assert invisible == []
    tool = (EXAMPLES.parent / "tools" / "build_templates.py").read_text(encoding="utf-8")
    assert 'FONT = "Liberation Sans"' in tool


# --- A8: Anlagen of nested documents ------------------------------------------------------------


def _beschlussvorlage_mit(anlagen: list[dict[str, Any]]) -> dict[str, Any]:
    data = example("beschlussvorlage")
    data.pop("freigabe", None)
    data["anlagen"] = anlagen
    return data


def _sachbericht(**extra: Any) -> dict[str, Any]:
    bericht = example("sachbericht")
    bericht.pop("freigabe", None)
    bericht.update(extra)
    return bericht


def test_nested_documents_anlagen_are_checked_and_bundled(folder: Path, settings: Settings) -> None:
    bericht = _sachbericht(anlagen=[{"titel": "Zielerreichung", "datei": ANLAGE}])
    data = _beschlussvorlage_mit([{"titel": "Plan", "datei": ANLAGE}, {"titel": "Sachbericht", "dokument": bericht}])
    job = validate_file(write(folder, "bv.json", data), settings)
    assert [(p.label, p.json_path, p.pdf_file is not None) for p in job.parts] == [
        ("Hauptdokument", "", False), ("Anlage 1", "/anlagen/0", True), ("Anlage 2", "/anlagen/1", False),
        ("Anlage 2.1: Zielerreichung", "/anlagen/1/dokument/anlagen/0", True)]
    assert len({p.number for p in job.parts}) == len(job.parts)


def test_nested_documents_missing_anlage_is_named(folder: Path, settings: Settings) -> None:
    bericht = _sachbericht(anlagen=[{"titel": "Fehlt", "datei": "anlagen/fehlt.pdf"}])
    data = _beschlussvorlage_mit([{"titel": "Sachbericht", "dokument": bericht}])
    lines = refused(write(folder, "bv.json", data), settings, ExitCode.FILE_ACCESS)
    assert lines == [f"bv.json: /anlagen/0/dokument/anlagen/0/datei: Anlage „anlagen/fehlt.pdf“ nicht gefunden "
                     f"(gesucht in {folder}). Bitte die Datei dort ablegen."]


def test_nested_documents_bad_anlage_and_deeper_nesting_are_refused(folder: Path, settings: Settings) -> None:
    (folder / "anlagen" / "text.pdf").write_text("kein PDF", encoding="utf-8")
    bericht = _sachbericht(anlagen=[{"titel": "Text", "datei": "anlagen/text.pdf"},
                                    {"titel": "Noch ein Bericht", "dokument": _sachbericht()},
                                    {"titel": "Intern", "datei": ANLAGE, "oeffentlich": False}])
    data = _beschlussvorlage_mit([{"titel": "Sachbericht", "dokument": bericht}])
    lines = refused(write(folder, "bv.json", data), settings)
    assert [line.split(": ", 2)[1] for line in lines] == [
        "/anlagen/0/dokument/anlagen/0/datei", "/anlagen/0/dokument/anlagen/1/dokument"]
    assert "„anlagen/text.pdf“ ist keine PDF-Datei." in lines[0]
    assert "kann selbst nur PDF-Dateien als Anlagen haben" in lines[1]


def test_sachbericht_of_a_nachweis_brings_its_anlagen(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data.pop("freigabe", None)
    data["sachbericht"]["anlagen"] = [{"titel": "Zielerreichung", "datei": ANLAGE}]
    job = validate_file(write(folder, "vn.json", data), settings)
    assert [p.label for p in job.parts] == ["Hauptdokument", "Sachbericht", "Sachbericht, Anlage 1: Zielerreichung"]


# --- A9: the Sachbericht inside a Verwendungsnachweis --------------------------------------------


def test_sachbericht_inherits_what_it_repeats(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    assert "zuwendungsempfaenger" not in data["sachbericht"]  # the example shows the short form
    job = validate_file(write(folder, "vn.json", data), settings)
    bericht = job.parts[1].data
    assert bericht is not None
    assert bericht["zuwendungsempfaenger"] == data["zuwendungsempfaenger"]
    assert bericht["bewilligungsbehoerde"] == data["bewilligungsbehoerde"]
    assert bericht["aktenzeichen"] == data["bescheide"][0]["aktenzeichen"]
    assert bericht["berichtszeitraum"] == data["bewilligungszeitraum"]


def test_zwischennachweis_sachbericht_covers_the_berichtsjahr(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data.update(nachweisart="Zwischennachweis", berichtsjahr=2025,
                bewilligungszeitraum={"von": "2024-07-01", "bis": "2026-06-30"})
    data["sachbericht"]["berichtsart"] = "Zwischenbericht"
    data.pop("freigabe", None)
    job = validate_file(write(folder, "vn.json", data), settings)
    assert job.parts[1].data is not None
    assert job.parts[1].data["berichtszeitraum"] == {"von": "2025-01-01", "bis": "2025-12-31"}


def test_sachbericht_that_contradicts_the_nachweis_is_refused(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["sachbericht"].update(
        zuwendungsempfaenger={"name": "Kreis Altland"}, aktenzeichen="36.08.01-KI-2024-999",
        berichtszeitraum={"von": "2025-01-01", "bis": "2025-06-30"})
    lines = refused(write(folder, "vn.json", data), settings)
    assert lines == [
        'vn.json: /sachbericht/zuwendungsempfaenger/name: "Kreis Altland" weicht vom Verwendungsnachweis ab '
        '(/zuwendungsempfaenger/name: "Kreis Musterland"). Der Sachbericht übernimmt diese Angabe aus dem '
        "Nachweis, wenn sie fehlt: bitte hier weglassen oder beide angleichen.",
        'vn.json: /sachbericht/aktenzeichen: "36.08.01-KI-2024-999" weicht vom Verwendungsnachweis ab '
        '(/bescheide/0/aktenzeichen: "36.08.01-KI-2025-031"). Der Sachbericht übernimmt diese Angabe aus dem '
        "Nachweis, wenn sie fehlt: bitte hier weglassen oder beide angleichen.",
        'vn.json: /sachbericht/berichtszeitraum/bis: "2025-06-30" weicht vom Verwendungsnachweis ab '
        '(/bewilligungszeitraum, bis: "2025-12-31"). Der Sachbericht übernimmt diese Angabe aus dem Nachweis, '
        "wenn sie fehlt: bitte hier weglassen oder beide angleichen."]


def test_same_values_written_twice_are_fine(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["sachbericht"].update(zuwendungsempfaenger={"name": "Kreis Musterland"},
                               aktenzeichen=data["bescheide"][0]["aktenzeichen"],
                               berichtszeitraum=dict(data["bewilligungszeitraum"]))
    validate_file(write(folder, "vn.json", data), settings)


def test_staff_months_must_match_the_nachweis(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    data["sachbericht"]["personal"][2]["besetzt_von"] = "2025-07-01"  # the Nachweis says 9 months
    lines = refused(write(folder, "vn.json", data), settings)
    assert lines == ["vn.json: /sachbericht/personal: „Fachkraft“: laut Sachbericht 66,00 VZÄ-Monate (VZÄ × "
                     "besetzte Monate im Berichtszeitraum), laut zahlenmäßigem Nachweis (/personal) 69,00. Bitte VZÄ "
                     "und Besetzungszeiten angleichen."]


def test_staff_missing_in_the_sachbericht_is_a_warning(folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    del data["sachbericht"]["personal"]
    job = validate_file(write(folder, "vn.json", data), settings)
    assert "sachbericht.personal_fehlt" in [w.code for w in job.warnings]


# --- A9: the 20 % explanation --------------------------------------------------------------------


@pytest.mark.parametrize(("soll", "ist", "needed"), [
    ("40000.00", "48000.00", False), ("40000.00", "48000.01", True), ("40000.00", "31999.99", True),
    ("40000.00", "32000.00", False), ("0", "100.00", True), ("0", "0", False),
])
def test_lines_off_by_more_than_20_percent_need_a_begruendung(
        soll: str, ist: str, needed: bool, folder: Path, settings: Settings) -> None:
    data = example("verwendungsnachweis")
    zeile = data["ausgaben"][2]
    zeile.update(soll=soll, ist=ist)  # the Einnahmen no longer balance: a warning only
    path = write(folder, "vn.json", data)
    if not needed:
        validate_file(path, settings)
        return
    lines = refused(path, settings)
    assert [line for line in lines if "/ausgaben/2/begruendung" in line] == [line for line in lines if line.startswith(
        "vn.json: /ausgaben/2/begruendung: „Sachausgaben Laiensprachmittlerpool“ weicht ")]
    assert any("Eine Abweichung von mehr als 20 % ist zu begründen: bitte im Feld „begruendung“ erläutern." in line
               for line in lines), lines
    zeile["begruendung"] = "Mehr Einsätze wegen neuer Zuzüge"
    assert not any("/ausgaben/2/begruendung" in line for line in _lines_or_none(write(folder, "vn.json", data),
                                                                                 settings))


def _lines_or_none(path: Path, settings: Settings) -> list[str]:
    try:
        validate_file(path, settings)
    except DocgenError as exc:
        return exc.lines()
    return []


# --- A10: Kooperationen as plain names -----------------------------------------------------------


def test_kooperationen_accept_plain_names(folder: Path, settings: Settings) -> None:
    data = example("sachbericht")
    data["kooperationen"] = ["Schulamt für den Kreis", {"partner": "Jobcenter", "form": "Fallkonferenzen"}]
    job = validate_file(write(folder, "sb.json", data), settings)
    assert [sb.kooperation(k) for k in job.data["kooperationen"]] == [
        {"partner": "Schulamt für den Kreis", "form": None}, {"partner": "Jobcenter", "form": "Fallkonferenzen"}]
    data["kooperationen"] = ["", {"form": "ohne Partner"}]
    lines = refused(write(folder, "sb.json", data), settings)
    assert [line.split(": ", 2)[1] for line in lines] == ["/kooperationen/0", "/kooperationen/1"]


# --- A6: every problem in one run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("korpus-stufe")
    build_folder(folder, [c for c in CASES if c.get("erzeugt") not in {"gross_50mb", "text_10mb", "fifo"}])
    return folder


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["datei"].removesuffix(".json") for c in cases]


STAGE_BAD = [c for c in BAD if c.get("erzeugt") not in {"gross_50mb", "text_10mb", "fifo"}]


@pytest.mark.parametrize("case", STAGE_BAD, ids=_ids(STAGE_BAD))
def test_every_corpus_case_through_the_stage(case: dict[str, Any], corpus: Path, tmp_path: Path) -> None:
    """The validate stage alone gives each corpus case's exit code and line (never an internal error)."""
    lines = refused(corpus / case["datei"], Settings(state_dir=tmp_path), ExitCode(case["exit"]))
    assert expected_line(case) in "\n".join(lines)


@pytest.mark.parametrize("case", GOOD, ids=_ids(GOOD))
def test_positive_controls_through_the_stage(case: dict[str, Any], corpus: Path, tmp_path: Path) -> None:
    validate_file(corpus / case["datei"], Settings(state_dir=tmp_path))


LATER_ROUNDS = [c for c in BAD if c["gruppe"] in {"Domain rules", "Attachments"} and c["exit"] == 4
                and not c["datei"].startswith("vn-eingebetteter")]


@pytest.mark.parametrize("case", LATER_ROUNDS, ids=_ids(LATER_ROUNDS))
def test_schema_rule_and_anlage_problems_come_together(case: dict[str, Any], corpus: Path, tmp_path: Path) -> None:
    """A rule or Anlage problem is still reported when the same file also breaks the schema."""
    data = json.loads((CORPUS / case["datei"]).read_text(encoding="utf-8"))
    data["tippfehler_feld"] = True
    data.setdefault("anlagen", []).append({"titel": "Fehlt auch", "datei": "anlagen/gibt-es-nicht.pdf"})
    path = write(corpus, f"gemischt-{case['datei']}", data)
    lines = refused(path, Settings(state_dir=tmp_path))
    joined = "\n".join(lines)
    assert f": {case['pfad']}: {case['meldung']}" in joined
    assert "unbekanntes Feld „tippfehler_feld“" in joined
    assert "Anlage „anlagen/gibt-es-nicht.pdf“ nicht gefunden" in joined


def test_all_three_rounds_in_one_run(folder: Path, settings: Settings) -> None:
    data = example("beschlussvorlage")
    data["vorlage"]["oeffentlich"] = False
    data["vorlage"].pop("begruendung_nichtoeffentlichkeit", None)  # rule
    data["vorlage"]["datum"] = "28.11.2024"  # schema
    data["anlagen"] = [{"titel": "Plan", "datei": "anlagen/fehlt.pdf"}]  # Anlage
    lines = refused(write(folder, "bv.json", data), settings)
    assert [line.split(": ", 2)[1] for line in lines] == [
        "/vorlage/datum", "/vorlage/begruendung_nichtoeffentlichkeit", "/anlagen/0/datei"]


JUNK: list[Any] = ["x", 7, None, [], {}, [1], {"x": 1}]


def _paths(value: Any, path: str = "", depth: int = 0) -> list[str]:
    found = [path] if path else []
    if depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, f"{path}/{key}", depth + 1)
    elif depth < 4 and isinstance(value, list):
        for i, item in enumerate(value[:2]):
            found += _paths(item, f"{path}/{i}", depth + 1)
    return found


def _replace(data: Any, path: str, junk: Any) -> None:
    *parents, last = path.strip("/").split("/")
    for key in parents:
        data = data[int(key)] if isinstance(data, list) else data[key]
    data[int(last) if isinstance(data, list) else last] = junk


@pytest.mark.parametrize("name", ["beschlussvorlage", "sachbericht", "verwendungsnachweis", "integrationskonzept"])
def test_no_rule_crashes_on_data_the_schema_refuses(name: str, folder: Path, settings: Settings) -> None:
    """Every field of each example replaced by junk of every JSON type: exit 4 or valid, never a crash."""
    original = example(name)
    for path in _paths(original):
        if path == "/dokumentart":
            continue
        for junk in JUNK:
            data = copy.deepcopy(original)
            _replace(data, path, junk)
            target = write(folder, f"{name}.json", data)
            try:
                validate_file(target, settings)
            except DocgenError as exc:
                assert exc.exit_code in (ExitCode.INVALID_INPUT, ExitCode.FILE_ACCESS), (path, junk, exc.lines())


def test_non_public_nested_document_keeps_its_parts_internal(folder: Path, settings: Settings) -> None:
    """A non-public nested document and everything it brings (its Sachbericht) stay out of the public bundle."""
    nachweis = example("verwendungsnachweis")
    nachweis.pop("freigabe", None)
    data = _beschlussvorlage_mit([{"titel": "Nachweis", "dokument": nachweis, "oeffentlich": False}])
    job = validate_file(write(folder, "bv.json", data), settings)
    assert [(p.json_path, p.public) for p in job.parts] == [
        ("", True), ("/anlagen/0", False), ("/anlagen/0/dokument/sachbericht", False)]
