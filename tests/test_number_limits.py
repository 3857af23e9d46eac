"""Numbers at the edge of what can be printed or computed: never exit 1, always exit 4 with the field's path.

- Integrationskonzept: a Kennzahl or VZÄ with more decimals than the Decimal context's 28 digits
  crashed the render (``InvalidOperation`` in ``numbers._round``). Now at most
  ``MAX_NACHKOMMASTELLEN`` (6) decimals are printed: more are rounded with a warning
  (``zahl.gerundet``); a non-zero value that would print as 0 (1e-28) is refused at validate time
  (``zahl.zu_klein``).
- Verwendungsnachweis: a computed amount too large to be computed in cents (more than 26 digits before
  the point), a Festbetrag ``satz × menge`` or interest, is refused with its path instead of escaping
  as a ``ValueError`` (exit 1).
- ``pruefe_personal`` points each capped pool at its Stellenart's first entry (a dict now, no rescans).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from docgen.documents import zuwendung as zw
from docgen.documents import zuwendung_fristen as zf
from docgen.errors import Problem
from docgen.numbers import cent, runden, zahl
from tests.conftest import EXAMPLES, CliResult, load_example

Run = Callable[..., CliResult]
NBSP = "\u00a0"


# --- helpers -------------------------------------------------------------------------------------


def write_raw(folder: Path, name: str, data: Any, zahlen: Mapping[str, str]) -> Path:
    """``data`` as JSON with the placeholders ``zahlen`` keys replaced by raw JSON number texts.

    JSON numbers such as 1e-28 or 0.111… with 29 digits cannot pass through a float, so they are
    written as text into the file.
    """
    text = json.dumps(data, ensure_ascii=False, indent=2)
    for platzhalter, zahl_text in zahlen.items():
        assert f'"{platzhalter}"' in text
        text = text.replace(f'"{platzhalter}"', zahl_text)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith(("Hinweis: ", "20"))]


def hints(result: CliResult, pfad: str) -> list[str]:
    return [line.removeprefix("Hinweis: ") for line in result.stderr.splitlines()
            if line.startswith("Hinweis: ") and f": {pfad}: " in line]


def konzept() -> dict[str, Any]:
    return copy.deepcopy(load_example("integrationskonzept"))


def nachweis(decimal: bool = False) -> dict[str, Any]:
    """The example without its Sachbericht; ``decimal``: numbers as the validator parses them (for the library)."""
    if decimal:
        text = (EXAMPLES / "verwendungsnachweis.json").read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(text, parse_float=Decimal)
    else:
        data = copy.deepcopy(load_example("verwendungsnachweis"))
    data.pop("sachbericht", None)
    return data


def find_docx(out: Path, stem: str) -> Path:
    found = [p for p in out.rglob("*.docx") if p.stem == stem]
    assert len(found) == 1, sorted(out.rglob("*"))
    return found[0]


def docx_tables(path: Path) -> dict[str, list[list[str]]]:
    """The body rows of the DOCX's tables, by the text of their first header cell."""
    from docx import Document

    rows: dict[str, list[list[str]]] = {}
    for table in Document(str(path)).tables:
        rows.setdefault(table.rows[0].cells[0].text, []).extend([c.text for c in r.cells] for r in table.rows[1:])
    return rows


# --- numbers: rounding never depends on the Decimal context's 28 digits --------------------------


def test_zahl_prints_more_digits_than_the_decimal_context_holds() -> None:
    assert zahl(Decimal("1E-28"), 28) == "0," + "0" * 27 + "1"
    assert zahl(Decimal("0." + "1" * 40), 40) == "0," + "1" * 40
    assert zahl(Decimal("123456789012345.125"), 20) == "123.456.789.012.345," + "125".ljust(20, "0")
    assert zahl(Decimal("0." + "1" * 29) + Decimal("-0." + "1" * 29), 30) == "0," + "0" * 30  # never "-0"
    assert runden("0.4895807180517", 6) == Decimal("0.489581")
    assert runden("-0.0000001", 6) == Decimal("0.000000")


def test_cent_still_refuses_an_amount_beyond_the_decimal_context() -> None:
    assert cent(Decimal("9" * 26)) == Decimal("9" * 26 + ".00")
    for too_big in (Decimal("9" * 27), Decimal("1E+30"), Decimal("1E+999999")):
        with pytest.raises(ValueError, match="ist zu groß"):
            cent(too_big)


# --- Integrationskonzept: Kennzahlen and VZÄ ------------------------------------------------------


def test_vzae_that_would_print_as_zero_is_exit_4_at_validate_and_render(docgen: Run, tmp_path: Path) -> None:
    data = konzept()
    data["zentrum"]["personal"][4]["vzae"] = "@ZAHL@"
    path = write_raw(tmp_path, "klein.json", data, {"@ZAHL@": "1e-28"})
    message = ("klein.json: /zentrum/personal/4/vzae: die Zahl 1E-28 hat 28 Nachkommastellen; gedruckt werden "
               "höchstens 6, so erschiene sie als 0,000000. Bitte den Wert prüfen (Tippfehler?) und mit "
               "höchstens 6 Nachkommastellen angeben.")
    validated = docgen("validate", path)
    assert validated.returncode == 4, validated.stderr
    assert errors(validated) == [message]
    rendered = docgen("render", path, "--docx-only", "--out", tmp_path / "out")
    assert rendered.returncode == 4, rendered.stderr
    assert errors(rendered) == [message]
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_indicator_with_29_decimals_is_printed_rounded_with_a_warning(docgen: Run, tmp_path: Path) -> None:
    data = konzept()
    data["ausgangslage"]["indikatoren"][1]["wert"] = "@ZAHL@"
    path = write_raw(tmp_path, "lang.json", data, {"@ZAHL@": "0." + "1" * 29})
    hint = (f"lang.json: /ausgangslage/indikatoren/1/wert: die Zahl 0.{'1' * 29} hat 29 Nachkommastellen; "
            "gedruckt werden höchstens 6, daher erscheint sie gerundet als 0,111111.")
    validated = docgen("validate", path)
    assert validated.returncode == 0, validated.stderr
    assert hints(validated, "/ausgangslage/indikatoren/1/wert") == [hint]
    rendered = docgen("render", path, "--docx-only", "--out", tmp_path / "out")
    assert rendered.returncode == 0, rendered.stderr
    assert hints(rendered, "/ausgangslage/indikatoren/1/wert") == [hint]
    indikatoren = docx_tables(find_docx(tmp_path / "out", "lang"))["Kennzahl"]
    assert ["Anteil mit ausländischer Staatsangehörigkeit", f"0,111111{NBSP}%", "2024", "Einwohnermeldeämter"] \
        in indikatoren


def test_indicator_zero_with_many_decimals_is_not_refused(docgen: Run, tmp_path: Path) -> None:
    data = konzept()
    data["ausgangslage"]["indikatoren"][1]["wert"] = "@ZAHL@"
    path = write_raw(tmp_path, "null.json", data, {"@ZAHL@": "0.0000000000"})
    validated = docgen("validate", path)
    assert validated.returncode == 0, validated.stderr
    assert hints(validated, "/ausgangslage/indikatoren/1/wert") == [
        "null.json: /ausgangslage/indikatoren/1/wert: die Zahl 0E-10 hat 10 Nachkommastellen; gedruckt werden "
        "höchstens 6, daher erscheint sie gerundet als 0,000000."]


def test_vzae_column_is_capped_at_six_decimals_and_adds_up(docgen: Run, tmp_path: Path) -> None:
    data = konzept()
    data["zentrum"]["personal"][4]["vzae"] = "@A@"
    data["zentrum"]["personal"][6]["vzae"] = "@B@"
    path = write_raw(tmp_path, "vzae.json", data, {"@A@": "0.3333334", "@B@": "0.3333334"})
    validated = docgen("validate", path)
    assert validated.returncode == 0, validated.stderr
    assert hints(validated, "/zentrum/personal/6/vzae") == [
        "vzae.json: /zentrum/personal/6/vzae: die Zahl 0.3333334 hat 7 Nachkommastellen; gedruckt werden "
        "höchstens 6, daher erscheint sie gerundet als 0,333333."]
    rendered = docgen("render", path, "--docx-only", "--out", tmp_path / "out")
    assert rendered.returncode == 0, rendered.stderr
    personal = docx_tables(find_docx(tmp_path / "out", "vzae"))["Stelle"]
    assert [row[1] for row in personal] == [
        "1,000000", "1,000000", "3,000000", "1,000000", "0,333333", "2,500000", "0,333333",
        "9,166666"]  # the sum of the printed values (exactly: 9,1666668)


def test_example_vzae_column_is_unchanged(docgen: Run, tmp_path: Path) -> None:
    result = docgen("render", EXAMPLES / "integrationskonzept.json", "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    personal = docx_tables(find_docx(tmp_path / "out", "integrationskonzept"))["Stelle"]
    assert [row[1] for row in personal] == ["1,00", "1,00", "3,00", "1,00", "0,50", "2,50", "0,75", "9,75"]


# --- Verwendungsnachweis: computed amounts beyond what an amount can hold ------------------------

FESTBETRAG_ZU_GROSS = (
    "/finanzierung/festbetrag: satz (999999999999999.99) × menge_plan (999999999999999) ergibt mehr als 26 "
    "Stellen vor dem Komma; so groß kann kein Festbetrag sein. Bitte Betrag je Einheit und Menge prüfen.")


def test_festbetrag_per_unit_too_large_to_compute_is_exit_4(docgen: Run, write_json: Callable[[str, Any], Path],
                                                         tmp_path: Path) -> None:
    data = nachweis()
    data["finanzierung"]["festbetrag"] = {"satz": "999999999999999.99", "menge_plan": 999999999999999}
    path = write_json("festbetrag.json", data)
    validated = docgen("validate", path)
    assert validated.returncode == 4, validated.stderr
    assert errors(validated) == [f"festbetrag.json: {FESTBETRAG_ZU_GROSS}"]
    rendered = docgen("render", path, "--docx-only", "--out", tmp_path / "out")
    assert rendered.returncode == 4, rendered.stderr
    assert errors(rendered) == [f"festbetrag.json: {FESTBETRAG_ZU_GROSS}"]


def test_festbetrag_names_menge_ist_when_it_is_given() -> None:
    data = nachweis(decimal=True)
    data["finanzierung"]["festbetrag"] = {"satz": "1000.00", "menge_plan": 10, "menge_ist": Decimal("1E+24")}
    assert zw.pruefe(data) == [Problem(
        "/finanzierung/festbetrag",
        "satz (1000.00) × menge_ist (1E+24) ergibt mehr als 26 Stellen vor dem Komma; so groß kann kein "
        "Festbetrag sein. Bitte Betrag je Einheit und Menge prüfen.",
        "finanzierung.festbetrag_zu_gross")]


def test_festbetrag_within_the_limit_is_computed_and_z_stays_capped() -> None:
    data = nachweis(decimal=True)
    data["finanzierung"]["art"] = "Festbetragsfinanzierung"
    data["finanzierung"]["festbetrag"] = {"satz": "999999999999999.99", "menge_plan": 10**10}
    fin, _ = zf.lies_finanzierung(data)
    assert fin.festbetrag == Decimal("9999999999999999900000000.00")
    assert zw.berechne(data).zuwendung_festgesetzt <= fin.hoechstbetrag


def test_interest_too_large_to_compute_is_exit_4_with_a_german_message(docgen: Run,
                                                                   write_json: Callable[[str, Any], Path]) -> None:
    data = nachweis()
    data["zinsen"] = {"basiszinssatz": 999999999999999, "aufschlag_prozentpunkte": 999999999999999,
                      "ab": "0001-01-01", "bis": "9999-12-31", "betrag": "999999999999999.99"}
    result = docgen("validate", write_json("zinsen.json", data))
    assert result.returncode == 4, result.stderr
    assert errors(result) == [
        f"zinsen.json: /zinsen: Die Zinsen vom 01.01.0001 bis 31.12.9999 (3652058 Tage zu "
        f"1.999.999.999.999.998,00{NBSP}% p. a. auf 999.999.999.999.999,99{NBSP}€) hätten mehr als 26 Stellen "
        "vor dem Komma. Bitte Basiszinssatz, Aufschlag, Betrag und Zeitraum prüfen."]
    library = nachweis(decimal=True)
    library["zinsen"] = data["zinsen"]
    assert [p.code for p in zw.pruefe(library)] == ["zinsen.zu_gross"]


def test_interest_with_an_ordinary_rate_on_the_largest_amount_is_computed() -> None:
    data = nachweis(decimal=True)
    data["zinsen"] = {"basiszinssatz": "2.27", "ab": "2025-01-01", "bis": "2026-01-01",
                      "betrag": "999999999999999.99"}
    berechnung = zw.berechne(data)
    assert berechnung.zinsen is not None
    assert berechnung.zinsen.betrag == Decimal("52700000000000.00")  # 5,27 % of it for 365 days


# --- personal: the warning points at each Stellenart's first entry -------------------------------


def test_capped_pools_point_at_their_first_entry_in_input_order() -> None:
    data = nachweis(decimal=True)
    # Interleaved Stellenarten; S0 and S2 exceed their caps, S1 does not.
    data["personal"] = [{"stellenart": f"S{i % 3}", "vzae": 1, "monate_besetzt": 12, "hoechstbetrag_je_vzae": "1",
                         "ist": "1" if i % 3 == 1 else "2"} for i in range(3, 3000)]
    data["ausgaben"] = []
    warnungen = [(p.path, p.code) for p in zw.pruefe(data) if p.code == "personal.hoechstbetrag_ueberschritten"]
    # range(3, …): the first S0 entry is index 0, S1 index 1, S2 index 2 of the list.
    assert warnungen == [("/personal/0/ist", "personal.hoechstbetrag_ueberschritten"),
                         ("/personal/2/ist", "personal.hoechstbetrag_ueberschritten")]


def test_many_capped_pools_each_warn_once() -> None:
    data = nachweis(decimal=True)
    n = 2000
    data["personal"] = [{"stellenart": f"S{i}", "vzae": 1, "monate_besetzt": 12, "hoechstbetrag_je_vzae": "1",
                         "ist": "2"} for i in range(n)]
    warnungen = [p for p in zw.pruefe(data) if p.code == "personal.hoechstbetrag_ueberschritten"]
    assert [p.path for p in warnungen] == [f"/personal/{i}/ist" for i in range(n)]
    assert warnungen[7].message == (
        f"Die Personalausgaben „S7“ (2,00{NBSP}€) übersteigen den Höchstbetrag für die besetzten Stellen "
        f"(1,00{NBSP}€); anerkannt werden 1,00{NBSP}€.")
