"""Validation through the real CLI: schema and domain rules, German messages with JSON paths, exit 4."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from docgen import documents
from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]


def test_example_validates(docgen: Run) -> None:
    result = docgen("validate", EXAMPLES / "beschlussvorlage.json")
    assert result.returncode == 0, result.stderr
    assert "beschlussvorlage.json: gültig (Beschlussvorlage)." in result.stdout


def test_printed_example_validates(docgen: Run, tmp_path: Path) -> None:
    printed = docgen("example", "beschlussvorlage")
    assert printed.returncode == 0
    path = tmp_path / "aus-example.json"
    path.write_text(printed.stdout, encoding="utf-8")
    assert docgen("validate", path).returncode == 0


def test_schema_is_printed_self_contained(docgen: Run) -> None:
    result = docgen("schema", "beschlussvorlage")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["vorlage"]["required"][:3] == ["nummer", "art", "datum"]
    assert "gemeinsam.schema.json" not in result.stdout
    assert "bloecke" in schema["$defs"]


def test_unknown_dokumentart_for_example(docgen: Run) -> None:
    result = docgen("example", "antrag")
    assert result.returncode == 4
    assert "unbekannte Dokumentart" in result.stderr


def test_invalid_date_message_names_file_and_path(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["beratungsfolge"].append({"datum": "2024-13-05", "gremium": "Kreistag", "zustaendigkeit": "Kenntnisnahme"})
    path = write_json("broken.json", example)
    result = docgen("validate", path)
    assert result.returncode == 4
    assert 'broken.json: /beratungsfolge/3/datum: "2024-13-05" ist kein gültiges Datum (erwartet JJJJ-MM-TT).' \
        in result.stderr.splitlines()


def test_all_problems_reported_at_once(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["vorlage"]["datum"] = "2025-02-30"
    del example["vorlage"]["betreff"]
    example["vorlage"]["art"] = "Antrag"
    example["beratungsfolge"][0]["zustaendigkeit"] = "Beschluss"
    example["sachlage"] = [{"absatz": 5}]
    example["vorlagen"] = {}
    result = docgen("validate", write_json("viele.json", example))
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    expected = [
        'viele.json: /vorlage/datum: "2025-02-30" ist kein gültiges Datum (erwartet JJJJ-MM-TT).',
        "viele.json: /vorlage/betreff: Pflichtfeld fehlt. Bitte „betreff“ angeben.",
        'viele.json: /beratungsfolge/0/zustaendigkeit: "Beschluss" ist nicht zulässig.',
        'viele.json: /vorlage/art: "Antrag" ist nicht zulässig.',
        "viele.json: /sachlage/0/absatz: 5 hat den falschen Typ (erwartet einen Text).",
        "viele.json: /: unbekanntes Feld „vorlagen“ (Tippfehler?).",
    ]
    for fragment in expected:
        assert any(line.startswith(fragment) for line in lines), (fragment, lines)


def test_json_syntax_error_names_line_and_column(docgen: Run, tmp_path: Path) -> None:
    path = tmp_path / "syntax.json"
    path.write_text('{\n  "dokumentart": "beschlussvorlage",\n  "vorlage": {,}\n}\n', encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 4
    assert result.stderr.strip() == (
        "syntax.json: Zeile 3, Spalte 15: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet)."
    )


def test_byte_order_mark_is_accepted(docgen: Run, tmp_path: Path, example: dict[str, Any]) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "beschlussvorlage.json").read_bytes())
    assert docgen("validate", path).returncode == 0


@pytest.mark.parametrize(
    ("encoding", "fragment"),
    [("utf-16", "UTF-16-kodiert; erwartet wird UTF-8"), ("cp1252", "nicht UTF-8-kodiert (vermutlich Windows-1252)")],
)
def test_wrong_encoding_says_what_is_expected(docgen: Run, tmp_path: Path, encoding: str, fragment: str) -> None:
    path = tmp_path / "kodierung.json"
    text = (EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding, errors="replace"))
    result = docgen("validate", path)
    assert result.returncode == 4
    assert fragment in result.stderr


def test_missing_file_is_file_access_error(docgen: Run, tmp_path: Path) -> None:
    result = docgen("validate", tmp_path / "gibt-es-nicht.json")
    assert result.returncode == 7
    assert "gibt-es-nicht.json: Datei nicht gefunden." in result.stderr


def _folge(*rows: tuple[str | None, str]) -> list[dict[str, Any]]:
    return [{"datum": d, "gremium": f"Gremium {i + 1}", "zustaendigkeit": z} for i, (d, z) in enumerate(rows)]


DOMAIN_CASES = [
    pytest.param(
        "Beschlussvorlage", _folge(("2025-11-01", "Vorberatung"), ("2025-11-02", "Vorberatung")),
        "/beratungsfolge", "eine Vorlage der Art „Beschlussvorlage“ braucht genau eine Beratung mit der Zuständigkeit",
        id="keine-entscheidung"),
    pytest.param(
        "Beschlussvorlage", _folge(("2025-11-01", "Entscheidung"), ("2025-11-02", "Entscheidung")),
        "/beratungsfolge/1/zustaendigkeit",
        "eine Vorlage der Art „Beschlussvorlage“ hat genau eine Entscheidung; hier steht eine weitere",
        id="zwei"),
    pytest.param(
        "Dringlichkeitsvorlage", _folge(("2025-11-01", "Entscheidung"), ("2025-11-02", "Kenntnisnahme")),
        "/beratungsfolge/0/zustaendigkeit", "die Entscheidung muss die letzte Beratung sein", id="nicht-letzte"),
    pytest.param(
        "Mitteilungsvorlage", _folge(("2025-11-01", "Kenntnisnahme"), ("2025-11-02", "Entscheidung")),
        "/beratungsfolge/1/zustaendigkeit", "eine Vorlage der Art „Mitteilungsvorlage“ dient nur der Kenntnisnahme",
        id="mitteilung"),
    pytest.param(
        "Bericht", _folge(("2025-11-01", "Entscheidung")),
        "/beratungsfolge/0/zustaendigkeit", "eine Vorlage der Art „Bericht“ dient nur der Kenntnisnahme",
        id="bericht"),
    pytest.param(
        "Beschlussvorlage", _folge(("2025-11-20", "Vorberatung"), ("2025-11-19", "Entscheidung")),
        "/beratungsfolge/1/datum", "19.11.2025 liegt vor der vorherigen Beratung (20.11.2025, Beratung 1)",
        id="datum-abnehmend"),
    pytest.param(
        "Beschlussvorlage",
        _folge(("2025-11-20", "Vorberatung"), (None, "Vorberatung"), ("2025-11-18", "Entscheidung")),
        "/beratungsfolge/2/datum", "18.11.2025 liegt vor der vorherigen Beratung (20.11.2025, Beratung 1)",
        id="datum-abnehmend-ueber-offenen-termin"),
]


@pytest.mark.parametrize(("art", "folge", "path", "message"), DOMAIN_CASES)
def test_domain_rules(docgen: Run, write_json: Write, example: dict[str, Any], art: str,
                      folge: list[dict[str, Any]], path: str, message: str) -> None:
    example["vorlage"]["art"] = art
    example["vorlage"]["betreff"] = "Kita-Ausbau"
    example["beratungsfolge"] = folge
    result = docgen("validate", write_json("regel.json", example))
    assert result.returncode == 4, result.stderr
    assert f"regel.json: {path}: {message}" in result.stderr


def test_equal_dates_and_open_dates_are_allowed(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["beratungsfolge"] = _folge(("2025-11-20", "Vorberatung"), (None, "Vorberatung"),
                                       ("2025-11-20", "Entscheidung"))
    example["vorlage"]["betreff"] = "Kita-Ausbau"
    result = docgen("validate", write_json("gleich.json", example))
    assert result.returncode == 0, result.stderr
    assert "Hinweis: gleich.json: /beratungsfolge/1/datum: die Beratung im Gremium „Gremium 2“ ist noch nicht " \
        "terminiert" in result.stderr


def test_nichtoeffentlich_needs_reason(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["vorlage"]["oeffentlich"] = False
    result = docgen("validate", write_json("geheim.json", example))
    assert result.returncode == 4
    assert ("geheim.json: /vorlage/begruendung_nichtoeffentlichkeit: eine nichtöffentliche Vorlage braucht eine "
            "Begründung der Nichtöffentlichkeit.") in result.stderr
    example["vorlage"]["begruendung_nichtoeffentlichkeit"] = "Personalangelegenheit (§ 48 Abs. 2 GO NRW)"
    assert docgen("validate", write_json("geheim.json", example)).returncode == 0


def test_vorlagen_nummer_pattern_is_configurable(docgen: Run, write_json: Write, example: dict[str, Any],
                                                 tmp_path: Path) -> None:
    path = write_json("nummer.json", example)
    (tmp_path / "docgen.toml").write_text('vorlage_nummer_pattern = "^FB \\\\d+/\\\\d{4}$"\n', encoding="utf-8")
    result = docgen("validate", path)
    assert result.returncode == 4
    assert "nummer.json: /vorlage/nummer: „2025/0412“ entspricht nicht dem Nummernformat" in result.stderr
    example["vorlage"]["nummer"] = "FB 56/0176"
    assert docgen("validate", write_json("nummer.json", example)).returncode == 0


def test_money_and_blocks_accept_plain_strings(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["sachlage"] = "Ein einziger Absatz genügt."
    example["beschlussvorschlag"] = [{"liste": ["a", "b"]}, {"tabelle": {"zeilen": [["x"]]}}]
    assert docgen("validate", write_json("text.json", example)).returncode == 0


def test_bad_block_is_explained(docgen: Run, write_json: Write, example: dict[str, Any]) -> None:
    example["sachlage"] = [{"bild": "x.png"}]
    result = docgen("validate", write_json("block.json", example))
    assert result.returncode == 4
    assert "block.json: /sachlage/0: {…} ist ungültig (erwartet ein Textbaustein: ein Text (Absatz) oder ein " \
        "Objekt mit genau einem der Schlüssel ueberschrift, absatz, liste, tabelle)." in result.stderr


def test_a_document_type_is_found_by_its_name_and_a_helper_module_is_none() -> None:
    assert documents.get("zuwendung") is None  # a helper module of the plug-ins, not a type
    assert documents.get("gibt_es_nicht") is None
    assert documents.get("../beschlussvorlage") is None
    found = documents.get("beschlussvorlage")
    assert found is not None and found.name == "beschlussvorlage"
    assert documents.names() == sorted(documents.registry())
