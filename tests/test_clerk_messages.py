"""The messages a new clerk meets first, through the real CLI: each names the place and what to write instead.

A review by a clerk new to docgen found messages that were correct but did not help: typographic
quotes from Word (the most common mistake, per docs/anleitung-sachbearbeitung.md) gave only "Wert
erwartet", a misspelt field name gave two unrelated lines, a missing Anlage was "gesucht in .". Each
case here writes the file as a clerk would and checks the exact exit code and German line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from docgen.errors import InvalidInput
from docgen.inputs import validate
from docgen.settings import Settings
from tests.conftest import CliResult

Run = Callable[..., CliResult]
BASIS = (Path(__file__).resolve().parent / "corpus" / "basis-beschlussvorlage.json").read_text(encoding="utf-8")
QUOTES = ("Texte und Feldnamen stehen in JSON zwischen geraden Anführungszeichen \"…\"; Word und Outlook ersetzen "
          "sie beim Tippen durch typografische („…“ oder “…”). Bitte die Datei in einem Texteditor wie Notepad++ "
          "bearbeiten, nicht in Word oder Outlook.")
EMPTY = "die Datei ist leer (erwartet ein JSON-Objekt)."


def basis(old: str = "", new: str = "") -> str:
    """The valid Beschlussvorlage of the corpus with ``old`` written as ``new`` (exactly once)."""
    assert BASIS.count(old) == 1 or not old, old
    return BASIS.replace(old, new) if old else BASIS


def lines_of(docgen: Run, tmp_path: Path, content: str | bytes, code: int = 4) -> list[str]:
    path = tmp_path / "vorlage.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    result = docgen("validate", "vorlage.json", cwd=tmp_path)
    assert result.returncode == code, result.stderr
    return result.stderr.splitlines()


# --- 1. typographic quotes from Word and Outlook ---------------------------------------------------


@pytest.mark.parametrize(("opening", "closing"), [("„", "“"), ("“", "”"), ("”", "”"), ("«", "»"), ("‚", "‘")],
                         ids=["deutsch", "englisch", "word-rechts", "guillemets", "einfach"])
def test_a_typographic_quote_around_a_value_says_what_to_write(docgen: Run, tmp_path: Path, opening: str,
                                                               closing: str) -> None:
    content = basis('"gremium": "Integrationsrat"', f'"gremium": {opening}Integrationsrat{closing}')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: Zeile 14, Spalte 18: kein gültiges JSON (Wert erwartet). An dieser Stelle steht ein "
        f"typografisches Anführungszeichen: statt {opening}Integrationsrat{closing} bitte \"Integrationsrat\" "
        f"schreiben. {QUOTES}"]


def test_a_typographic_quote_around_a_field_name(docgen: Run, tmp_path: Path) -> None:
    content = basis('"gremium": "Integrationsrat"', '“gremium”: “Integrationsrat”')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: Zeile 14, Spalte 7: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet). "
        f"An dieser Stelle steht ein typografisches Anführungszeichen: statt “gremium” bitte \"gremium\" schreiben. "
        f"{QUOTES}"]


def test_a_typographic_closing_quote_after_a_straight_one(docgen: Run, tmp_path: Path) -> None:
    """Only the closing quote was replaced: the parser stops at the end of the line, the quote is before it."""
    content = basis('"gremium": "Integrationsrat"', '"gremium": "Integrationsrat“')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: Zeile 14, Spalte 36: kein gültiges JSON (unzulässiges Steuerzeichen). In dieser Zeile steht "
        f"ein typografisches Anführungszeichen: statt \"Integrationsrat“ bitte \"Integrationsrat\" schreiben. {QUOTES}"]


def test_typographic_quotes_inside_a_text_are_fine(docgen: Run, tmp_path: Path) -> None:
    path = tmp_path / "vorlage.json"
    path.write_text(basis('"Integrationsrat"', '"Integrationsrat (»Beirat«, „IR“)"'), encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 0, result.stderr


# --- 2. a misspelt field name ----------------------------------------------------------------------


def test_a_misspelt_required_field_reads_as_one_problem(docgen: Run, tmp_path: Path) -> None:
    content = basis('"federfuehrend"', '"federfuerend"')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: /vorlage/federfuehrend: Pflichtfeld fehlt. Bitte „federfuehrend“ angeben – vermutlich steht "
        "es falsch geschrieben als „federfuerend“ da: bitte diesen Feldnamen zu „federfuehrend“ korrigieren.",
        "vorlage.json: /vorlage: unbekanntes Feld „federfuerend“ – gemeint ist wohl „federfuehrend“? Bitte den "
        "Feldnamen korrigieren; dann ist auch das fehlende Pflichtfeld „federfuehrend“ erledigt. Erlaubt sind: "
        "nummer, art, datum, oeffentlich, begruendung_nichtoeffentlichkeit, betreff, betreff_hier, federfuehrend, "
        "beteiligt, aktenzeichen, verfasser, bezug."]


def test_the_pair_keeps_its_paths_and_codes(tmp_path: Path) -> None:
    """The web form places each problem by its path and code; both stay as they were."""
    path = tmp_path / "vorlage.json"
    path.write_text(basis('"federfuehrend"', '"federfuerend"'), encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        validate(path, Settings(state_dir=tmp_path / "zustand"))
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("/vorlage/federfuehrend", "schema.pflichtfeld"), ("/vorlage", "schema.unbekanntes_feld")]


def test_an_optional_field_misspelt_with_an_umlaut_is_named(docgen: Run, tmp_path: Path) -> None:
    content = basis('"betreff": ', '"Betreff_hier": "Festlegung", "betreff": ')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: /vorlage: unbekanntes Feld „Betreff_hier“ – gemeint ist wohl „betreff_hier“? Erlaubt sind: "
        "nummer, art, datum, oeffentlich, begruendung_nichtoeffentlichkeit, betreff, betreff_hier, federfuehrend, "
        "beteiligt, aktenzeichen, verfasser, bezug."]


def test_a_field_given_already_is_no_guess(docgen: Run, tmp_path: Path) -> None:
    """"vorlagen" beside "vorlage" is not a misspelling of it: no guess, the list of allowed names."""
    content = basis('"beschlussvorschlag":', '"vorlagen": {}, "beschlussvorschlag":')
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: /: unbekanntes Feld „vorlagen“ (Tippfehler?). Erlaubt sind: dokumentart, koerperschaft, "
        "vorlage, beratungsfolge, beschlussvorschlag, sachlage, rechtslage, auswirkungen, anlagen, freigabe."]


# --- 3. a missing Anlage names the folder it was looked for in --------------------------------------


def test_a_missing_anlage_names_the_absolute_folder(docgen: Run, tmp_path: Path) -> None:
    content = basis('"sachlage": [', '"anlagen": [{"titel": "Plan", "datei": "anlagen/plan.pdf"}],\n  "sachlage": [')
    assert lines_of(docgen, tmp_path, content, code=7) == [
        f"vorlage.json: /anlagen/0/datei: Anlage „anlagen/plan.pdf“ nicht gefunden (gesucht in {tmp_path.resolve()})."
        " Bitte die Datei dort ablegen."]


# --- the other mistakes of a clerk's first file ----------------------------------------------------


SYNTAX = [
    pytest.param(b"", EMPTY, id="leer"),
    pytest.param(b"\xef\xbb\xbf \n\xef\xbb\xbf\n", EMPTY, id="nur-bom-zweimal"),
    pytest.param(basis('"Entscheidung"', '"Entscheidung",'),
                 "Zeile 21, Spalte 5: kein gültiges JSON (überzähliges Komma vor „}“). Bitte das Komma in Zeile 20, "
                 "Spalte 39 löschen: nach dem letzten Feld einer Gruppe { … } steht kein Komma.", id="komma-am-ende"),
    pytest.param(basis('"Das Kommunale Integrationszentrum legt seine Schwerpunkte alle zwei Jahre fest."',
                       '"Erster Absatz.",'),
                 "Zeile 26, Spalte 3: kein gültiges JSON (überzähliges Komma vor „]“). Bitte das Komma in Zeile 25, "
                 "Spalte 21 löschen: nach dem letzten Eintrag einer Liste [ … ] steht kein Komma.",
                 id="komma-am-ende-liste"),
    pytest.param(basis('"oeffentlich": true,', '"oeffentlich": true'),
                 "Zeile 8, Spalte 5: kein gültiges JSON (Komma erwartet). Vermutlich fehlt am Ende von Zeile 7 ein "
                 "Komma: zwischen zwei Feldern und zwischen zwei Einträgen einer Liste steht ein Komma.",
                 id="komma-fehlt"),
    pytest.param(basis('"datum": "2025-10-20"', '"datum": 20.10.2025'),
                 "Zeile 6, Spalte 19: kein gültiges JSON (Komma erwartet). Hier steht das Datum 20.10.2025 ohne "
                 "Anführungszeichen. Ein Datum steht in geraden Anführungszeichen und als Jahr-Monat-Tag: bitte "
                 "\"2025-10-20\" schreiben.", id="datum-deutsch-ohne-anfuehrungszeichen"),
    pytest.param(basis('"oeffentlich": true,', '"oeffentlich": true, "betrag": 1.234,56,'),
                 "Zeile 7, Spalte 42: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet). Hier "
                 "steht die Zahl 1.234,56 in deutscher Schreibweise. In JSON steht eine Zahl ohne Tausenderpunkte und "
                 "Währungszeichen, mit Punkt vor den Nachkommastellen: bitte 1234.56 schreiben.",
                 id="zahl-tausenderpunkt"),
    pytest.param(basis('"oeffentlich": true,', '"oeffentlich": true, "betrag": 1.234.567 €,'),
                 "Zeile 7, Spalte 41: kein gültiges JSON (Komma erwartet). Hier steht die Zahl 1.234.567 € in "
                 "deutscher Schreibweise. In JSON steht eine Zahl ohne Tausenderpunkte und Währungszeichen, mit Punkt "
                 "vor den Nachkommastellen: bitte 1234567 schreiben.", id="zahl-tausenderpunkte-euro"),
    pytest.param(basis('"oeffentlich": true,', '"oeffentlich": ja,'),
                 "Zeile 7, Spalte 20: kein gültiges JSON (Wert erwartet). Ja und Nein stehen in JSON als true oder "
                 "false (ohne Anführungszeichen), nicht als ja.", id="ja"),
    pytest.param(basis('"Kreisausschuss"', "Kreisausschuss"),
                 "Zeile 19, Spalte 18: kein gültiges JSON (Wert erwartet). Ein Text steht in geraden "
                 "Anführungszeichen: bitte \"Kreisausschuss\" schreiben.", id="text-ohne-anfuehrungszeichen"),
    pytest.param(basis('"Schwerpunkte des', '"Die "Schwerpunkte" des'),
                 "Zeile 8, Spalte 22: kein gültiges JSON (Komma erwartet). Vermutlich steht im Text davor ein "
                 "gerades Anführungszeichen \", das den Text vorzeitig beendet. Innerhalb eines Textes bitte „…“ "
                 "schreiben (oder \\\").", id="gerade-anfuehrungszeichen-im-text"),
    pytest.param(basis('"oeffentlich": true,', '"oeffentlich":\u00a0true,'),
                 "Zeile 7, Spalte 19: kein gültiges JSON (Wert erwartet). An dieser Stelle steht ein geschütztes "
                 "Leerzeichen (U+00A0), ein unsichtbares Zeichen, das JSON nicht als Leerzeichen gelten lässt. Bitte "
                 "das Zeichen löschen (bzw. durch ein normales Leerzeichen ersetzen).", id="geschuetztes-leerzeichen"),
    pytest.param(basis('"zustaendigkeit": "Entscheidung"', '"zustaendigkeit": "Entscheidung", "top": 07'),
                 "Zeile 20, Spalte 49: kein gültiges JSON (Komma erwartet). Eine Zahl beginnt in JSON nicht mit 0: "
                 "bitte 7 schreiben (oder als Text in Anführungszeichen: \"07\").", id="fuehrende-null"),
]


@pytest.mark.parametrize(("content", "message"), SYNTAX)
def test_a_syntax_mistake_says_what_to_write_instead(docgen: Run, tmp_path: Path, content: str | bytes,
                                                     message: str) -> None:
    assert lines_of(docgen, tmp_path, content) == [f"vorlage.json: {message}"]


def test_a_byte_order_mark_written_twice_is_accepted(docgen: Run, tmp_path: Path) -> None:
    """Some tools write the mark once more; it used to give "Unexpected UTF-8 BOM (decode using utf-8-sig)"."""
    path = tmp_path / "vorlage.json"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + BASIS.encode("utf-8"))
    result = docgen("validate", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "vorlage.json: gültig (Beschlussvorlage)."


@pytest.mark.parametrize(("written", "message"), [
    ('"1.234,56"', '"1.234,56" ist in deutscher Schreibweise geschrieben; in der Eingabe steht ein Betrag ohne '
                   "Tausenderpunkte und Währungszeichen, mit Punkt vor den Cent. Bitte 1234.56 schreiben."),
    ("1.234", "1.234 hat drei Nachkommastellen; ein Betrag hat höchstens zwei. Der Punkt ist in JSON das "
              "Dezimalzeichen, kein Tausenderpunkt – meinten Sie 1234? Dann bitte 1234 schreiben (für 1,23 € bitte "
              "1.23)."),
])
def test_an_amount_with_a_thousands_point_as_a_value(docgen: Run, tmp_path: Path, written: str,
                                                     message: str) -> None:
    """Written so that the JSON parses, the amount is refused at its field with the value meant (unchanged)."""
    vn = (Path(__file__).resolve().parent / "corpus" / "basis-verwendungsnachweis.json").read_text(encoding="utf-8")
    assert vn.count('"betrag": "40000.00"') == 2
    lines = lines_of(docgen, tmp_path, vn.replace('"betrag": "40000.00"', f'"betrag": {written}', 1))
    assert f"vorlage.json: /bescheide/0/betrag: {message}" in lines


def test_a_german_date_as_text_names_the_date_meant(docgen: Run, tmp_path: Path) -> None:
    assert lines_of(docgen, tmp_path, basis('"datum": "2025-10-20"', '"datum": "05.04.2025"')) == [
        'vorlage.json: /vorlage/datum: "05.04.2025" ist kein gültiges Datum (erwartet JJJJ-MM-TT): bitte '
        '"2025-04-05" schreiben.']


# --- found in review: a file that ends too early, quotes that pair inside a text -----------------------

END = ("Die Datei endet mitten im Inhalt: ist sie vollständig gespeichert? Sonst fehlt am Ende eine schließende "
       "Klammer } oder ].")


@pytest.mark.parametrize(("content", "where"), [
    ('{"a": "x"', "Zeile 1, Spalte 10: kein gültiges JSON (Komma erwartet)."),  # was: "fehlt … ein Komma"
    ('{"a": {"b": 1}\n\n', "Zeile 3, Spalte 1: kein gültiges JSON (Komma erwartet)."),
    ('{"a": [1, 2', "Zeile 1, Spalte 12: kein gültiges JSON (Komma erwartet)."),  # was: no advice
    ('{"a": 1,\n', "Zeile 2, Spalte 1: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet)."),
])
def test_a_file_that_ends_too_early_is_not_told_to_add_a_comma(docgen: Run, tmp_path: Path, content: str,
                                                               where: str) -> None:
    assert lines_of(docgen, tmp_path, content) == [f"vorlage.json: {where} {END}"]


def test_quotes_that_pair_inside_a_text_are_not_blamed_for_a_missing_comma(docgen: Run, tmp_path: Path) -> None:
    content = '{"titel": "Antrag „Radweg“" "datum": "2024-03-12"}'
    assert lines_of(docgen, tmp_path, content) == [
        "vorlage.json: Zeile 1, Spalte 29: kein gültiges JSON (Komma erwartet). Vermutlich fehlt vor Spalte 29 ein "
        "Komma: zwischen zwei Feldern und zwischen zwei Einträgen einer Liste steht ein Komma."]


def test_a_dash_is_not_read_from_standard_input(docgen: Run) -> None:
    # As other tools read "-" from standard input, a user may try `docgen validate - < vorlage.json`.
    for command in ("validate", "render"):
        result = docgen(command, "-")
        assert result.returncode == 7, result.stderr
        assert result.stderr == ("-: docgen liest Eingaben aus Dateien, nicht von der Standardeingabe. Bitte den Namen "
                                 "der JSON-Datei angeben, z. B. vorlage.json.\n")


def test_a_folder_names_the_files_in_it(docgen: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vorlagen"
    folder.mkdir()
    result = docgen("validate", "vorlagen")
    assert (result.returncode, result.stderr) == (7, "vorlagen: ist ein Ordner, keine JSON-Datei.\n")
    for name in ("c.json", "a.json", "b.json", "d.json", "notiz.txt"):
        (folder / name).write_text(BASIS, encoding="utf-8")
    result = docgen("validate", "vorlagen")
    assert result.returncode == 7
    assert result.stderr == ("vorlagen: ist ein Ordner, keine JSON-Datei. Bitte die Dateien darin angeben, z. B. "
                             "vorlagen/a.json vorlagen/b.json vorlagen/c.json … (oder vorlagen/*.json).\n")
