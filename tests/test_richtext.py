"""Rich text: the Word XML of blocks, wide tables, limits with JSON paths, the render deadline.

The builder is tested directly (fast, points at richtext.py); the limits also through the render
stage and the real CLI, which must answer exit 4 with the field's JSON path in German.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from docgen import documents
from docgen.errors import InvalidInput, TemplateProblem
from docgen.richtext import MAX_COLUMNS, BlockBuilder, BlockProblem, Limits, required_styles
from docgen.settings import Settings
from docgen.stages.render import locate, render_document
from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]
IDS = {"Heading 2": "Heading2", "Heading 3": "Heading3", "Heading 4": "Heading4", "List Bullet": "ListBullet",
       "Table Grid": "TableGrid"}


def build(value: Any, level: int = 2, **kwargs: Any) -> str:
    return BlockBuilder(IDS, **kwargs).build(value, level).xml


def test_required_styles() -> None:
    assert required_styles() == ["Heading 2", "Heading 3", "Heading 4", "List Bullet", "Table Grid"]


def test_paragraphs_lines_tabs_and_spaces() -> None:
    assert build("Ein Absatz.\n\nZweiter\nmit Umbruch") == (
        "<w:p><w:r><w:t>Ein Absatz.</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Zweiter</w:t><w:br/></w:r><w:r><w:t>mit Umbruch</w:t></w:r></w:p>")
    assert build(["  führend\tTab", "a\rb", ""]) == (
        '<w:p><w:r><w:t xml:space="preserve">  führend</w:t><w:tab/><w:t>Tab</w:t></w:r></w:p>'
        "<w:p><w:r><w:t>a</w:t><w:br/><w:t>b</w:t></w:r></w:p><w:p><w:r/></w:p>")


def test_heading_list_escaping_and_control_characters() -> None:
    assert build([{"ueberschrift": "Titel"}, {"absatz": "A & <b>"}, {"liste": ["eins", "zwei\x01"]}], 3) == (
        '<w:p><w:pPr><w:pStyle w:val="Heading3"/></w:pPr><w:r><w:t>Titel</w:t></w:r></w:p>'
        "<w:p><w:r><w:t>A &amp; &lt;b&gt;</w:t></w:r></w:p>"
        '<w:p><w:pPr><w:pStyle w:val="ListBullet"/></w:pPr><w:r><w:t>eins</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:pStyle w:val="ListBullet"/></w:pPr><w:r><w:t>zwei</w:t></w:r></w:p>')


def test_ordinary_table_fills_the_text_width_by_content() -> None:
    xml = build([{"tabelle": {"spalten": ["A", "B"], "zeilen": [["1", "2"], ["3"]]}}])
    assert xml.startswith('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="dxa" w:w="9354"/>'
                          '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook ')
    assert '<w:tblGrid><w:gridCol w:w="4677"/><w:gridCol w:w="4677"/></w:tblGrid>' in xml
    # a column of numbers is right-aligned, its header too
    assert ('<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr><w:tc><w:tcPr><w:tcW w:type="dxa" w:w="4677"/>'
            '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/></w:tcPr><w:p><w:pPr><w:spacing w:after="40"/>'
            '<w:jc w:val="right"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>A</w:t></w:r></w:p></w:tc>') in xml
    # a short row gets empty cells; a paragraph follows the table
    assert xml.endswith('<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="4677"/></w:tcPr><w:p><w:pPr>'
                        '<w:spacing w:after="40"/><w:jc w:val="right"/></w:pPr></w:p></w:tc></w:tr></w:tbl><w:p/>')
    assert "w:sz" not in xml and "tblCellMar" not in xml


def test_amount_columns_are_right_aligned_and_narrow() -> None:
    rows = [["Personalaufwand", "412.300 €", "424.700 €"], ["Sachaufwand Schwerpunkte", "− 307.500 €", "1 €"]]
    xml = build([{"tabelle": {"spalten": ["Position", "2026", "2027"], "zeilen": rows}}])
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    assert sum(widths) <= 9355 and widths[0] > 3 * max(widths[1:])
    cells = re.findall(r"<w:tc>.*?</w:tc>", xml)
    assert ['<w:jc w:val="right"/>' in c for c in cells[:3]] == [False, True, True]
    # amounts keep their sign and unit: no-break spaces
    assert "<w:t>−\u00a0307.500\u00a0€</w:t>" in xml


def test_mixed_column_stays_left() -> None:
    xml = build([{"tabelle": {"zeilen": [["1", "12.11.2025"], ["2", "offen"]]}}])
    cells = re.findall(r"<w:tc>.*?</w:tc>", xml)
    assert ['<w:jc w:val="right"/>' in c for c in cells] == [True, False, True, False]


def test_breiten_give_relative_widths() -> None:
    xml = build([{"tabelle": {"spalten": ["A", "B", "C"], "zeilen": [["x", "y", "z"]], "breiten": [1, 2, 1]}}])
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    assert abs(widths[1] - 2 * widths[0]) <= 2 and widths[0] == widths[2]
    with pytest.raises(BlockProblem) as caught:
        build(["Text", {"tabelle": {"zeilen": [["x", "y"]], "breiten": [1, 2, 3]}}])
    assert caught.value.path == "/1/tabelle/breiten" and caught.value.code == "tabelle.breiten"
    assert "genau 2 positive Zahlen" in caught.value.message


@pytest.mark.parametrize("columns", [7, 10, MAX_COLUMNS])
def test_wide_table_is_scaled_to_the_text_width(columns: int) -> None:
    rows = [[f"Z{r}S{c} Integrationsrat" for c in range(columns)] for r in range(3)]
    xml = build([{"tabelle": {"spalten": [f"Spalte {c}" for c in range(columns)], "zeilen": rows}}],
                text_width=9355)
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    assert len(widths) == columns
    assert sum(widths) <= 9355
    assert '<w:tblLayout w:type="fixed"/>' in xml
    sizes = {int(s) for s in re.findall(r'<w:sz w:val="(\d+)"/>', xml)}
    assert len(sizes) == 1 and 14 <= sizes.pop() <= 18  # 7 to 9 pt
    for r in range(3):
        for c in range(columns):
            assert f"Z{r}S{c} Integrationsrat" in xml


def test_widths_follow_content() -> None:
    rows = [["Eine sehr lange Beschreibung der Maßnahme im Quartier", "1", "2", "3", "4", "5", "6", "7"]]
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', build([{"tabelle": {"zeilen": rows}}]))]
    assert widths[0] > 2 * max(widths[1:])


def test_too_many_columns_is_refused_with_path() -> None:
    with pytest.raises(BlockProblem) as caught:
        build(["Text", {"tabelle": {"zeilen": [[str(c) for c in range(50)]]}}])
    assert caught.value.path == "/1/tabelle"
    assert caught.value.message.startswith(f"50 Spalten; höchstens {MAX_COLUMNS} passen lesbar auf eine A4-Seite.")


def test_limits_count_over_the_whole_document() -> None:
    builder = BlockBuilder(IDS, limits=Limits(items=5))
    builder.build([{"liste": ["a", "b", "c"]}])
    with pytest.raises(BlockProblem) as caught:
        builder.build(["x", {"liste": ["d", "e"]}])
    assert caught.value.path == "/1/liste"
    assert caught.value.code == "umfang.bloecke"
    assert "(höchstens 5)" in caught.value.message


def test_table_rows_and_cells_limits() -> None:
    with pytest.raises(BlockProblem) as rows:
        BlockBuilder(IDS, limits=Limits(table_rows=3)).build([{"tabelle": {"zeilen": [["a"]] * 4}}])
    assert (rows.value.path, rows.value.code) == ("/0/tabelle/zeilen", "umfang.zeilen")
    with pytest.raises(BlockProblem) as cells:
        BlockBuilder(IDS, limits=Limits(cells=7)).build([{"tabelle": {"zeilen": [["a", "b"]] * 4}}])
    assert (cells.value.path, cells.value.code) == ("/0/tabelle", "umfang.zellen")


def test_deadline_stops_building() -> None:
    with pytest.raises(BlockProblem) as caught:
        build([{"liste": ["a"] * 10}], deadline=0.0, timeout=5)
    assert caught.value.code == "umfang.zeit"
    assert "länger als das Zeitlimit 5 s" in caught.value.message


def test_unknown_style_is_a_template_problem() -> None:
    with pytest.raises(TemplateProblem, match="Formatvorlage „Heading 6“ fehlt"):
        build([{"ueberschrift": "x"}], 6)


def test_locate_gives_json_pointers() -> None:
    inner = ["x"]
    data = {"a/b": [{"c~d": inner}]}
    assert locate(data, inner) == "/a~1b/0/c~0d"
    assert locate(data, ["x"]) is None  # equal is not the same


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"),
                                      parse_float=Decimal)
    return data


def test_render_stage_reports_the_json_path(tmp_path: Path) -> None:
    data = example()
    data["sachlage"] = ["Vorher.", {"tabelle": {"zeilen": [[str(c) for c in range(MAX_COLUMNS + 1)]]}}]
    doc = documents.get("beschlussvorlage")
    assert doc is not None
    settings = dataclasses.replace(Settings(), state_dir=tmp_path)
    with pytest.raises(InvalidInput) as caught:
        render_document(doc, data, tmp_path / "x.docx", settings, "vorlage.json")
    assert caught.value.lines() == [
        f"vorlage.json: /sachlage/1/tabelle: {MAX_COLUMNS + 1} Spalten; höchstens {MAX_COLUMNS} passen lesbar auf "
        "eine A4-Seite. Bitte die Tabelle aufteilen oder als PDF-Anlage beifügen."]
    with pytest.raises(InvalidInput) as nested:
        render_document(doc, data, tmp_path / "x.docx", settings, "nachweis.json", json_path="/anlagen/0/dokument")
    assert nested.value.problems[0].path == "/anlagen/0/dokument/sachlage/1/tabelle"


def test_render_timeout_is_exit_4(tmp_path: Path) -> None:
    doc = documents.get("beschlussvorlage")
    assert doc is not None
    settings = dataclasses.replace(Settings(), state_dir=tmp_path)
    with pytest.raises(InvalidInput) as caught:
        render_document(doc, example(), tmp_path / "x.docx", settings, "vorlage.json", timeout=1e-9)
    assert caught.value.exit_code == 4
    assert "die Aufbereitung dauerte länger als das Zeitlimit" in caught.value.lines()[0]
    assert not (tmp_path / "x.docx").exists()


def test_cli_hundred_thousand_list_items_exit_4(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    """Issue 12 C6: 1.5 MB of list items is refused quickly, naming the field and the limit."""
    data = example()
    data.pop("anlagen", None)
    data["sachlage"] = ["Übersicht:", {"liste": [f"Punkt {i}" for i in range(100_000)]}]
    path = write_json("gross.json", data)
    result = docgen("render", path, "--docx-only", "--out", tmp_path / "out", timeout=120)
    assert result.returncode == 4, result.stderr
    assert ("gross.json: /sachlage/1/liste: zu viel Text für ein Dokument: mehr als 10.000 Absätze, "
            "Überschriften, Listenpunkte und Tabellenzeilen zusammen (höchstens 10.000).") in result.stderr
    assert not (tmp_path / "out" / "gross.docx").exists()


def test_cli_fifty_columns_exit_4(docgen: Run, write_json: Write, tmp_path: Path) -> None:
    """Issue 12 A8: a 50-column table printed an empty grid under exit 0; now it is refused."""
    data = example()
    data.pop("anlagen", None)
    data["sachlage"] = ["a", "b", "c", {"tabelle": {"spalten": [f"S{c}" for c in range(50)],
                                                    "zeilen": [[str(c) for c in range(50)]]}}]
    result = docgen("render", write_json("breit.json", data), "--docx-only", "--out", tmp_path / "out")
    assert result.returncode == 4, result.stderr
    assert (f"breit.json: /sachlage/3/tabelle: 50 Spalten; höchstens {MAX_COLUMNS} passen lesbar auf eine "
            "A4-Seite.") in result.stderr
