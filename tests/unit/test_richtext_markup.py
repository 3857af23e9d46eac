"""Inline markup in rich text (bold, italic, links, escaped stars) and German typography, on the XML."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docgen.richtext import BlockBuilder, Span, inline_spans, is_numeric, typography

IDS = {"Heading 2": "Heading2", "Heading 3": "Heading3", "Heading 4": "Heading4", "List Bullet": "ListBullet",
       "Table Grid": "TableGrid"}


def build(value: object, links: list[str] | None = None) -> str:
    def link(url: str) -> str:
        assert links is not None
        links.append(url)
        return f"rId{len(links) + 100}"

    return BlockBuilder(IDS, link=link if links is not None else None).build(value).xml


def test_bold_italic_and_both() -> None:
    assert inline_spans("a **fett** und *kursiv* und ***beides***") == [
        Span("a "), Span("fett", bold=True), Span(" und "), Span("kursiv", italic=True), Span(" und "),
        Span("beides", bold=True, italic=True)]
    assert inline_spans("**fett mit *kursiv* darin**") == [
        Span("fett mit ", bold=True), Span("kursiv", bold=True, italic=True), Span(" darin", bold=True)]


@pytest.mark.parametrize("text", [
    "Mitarbeiter*innen und Kolleg*innen",  # gender star: no emphasis inside words
    "5 * 3 * 2",  # stars with spaces around them
    "ein * allein",
    "**",
    "[Text](javascript:alert(1))",  # only http, https and mailto become links
    "[Text](file:///etc/passwd)",
])
def test_text_that_stays_as_it_is(text: str) -> None:
    assert inline_spans(text) == [Span(text)]


def test_escaped_star_is_literal() -> None:
    assert inline_spans(r"\*kein kursiv\* und \\ und \[x\]") == [Span(r"*kein kursiv* und \ und [x]")]
    assert inline_spans(r"*a\*b*") == [Span("a*b", italic=True)]


def test_links() -> None:
    assert inline_spans("siehe [Portal](https://example.org/a?b=1) und [Mail](mailto:ki@example.org)") == [
        Span("siehe "), Span("Portal", url="https://example.org/a?b=1"), Span(" und "),
        Span("Mail", url="mailto:ki@example.org")]
    assert inline_spans("[**fett**](http://example.org)") == [Span("fett", bold=True, url="http://example.org")]


def test_word_runs_for_markup() -> None:
    xml = build("Das ist **wichtig** und *betont*.")
    assert xml == ('<w:p><w:r><w:t xml:space="preserve">Das ist </w:t></w:r>'
                   "<w:r><w:rPr><w:b/></w:rPr><w:t>wichtig</w:t></w:r>"
                   '<w:r><w:t xml:space="preserve"> und </w:t></w:r>'
                   "<w:r><w:rPr><w:i/></w:rPr><w:t>betont</w:t></w:r><w:r><w:t>.</w:t></w:r></w:p>")


def test_hyperlink_with_relationship_and_link_look() -> None:
    links: list[str] = []
    xml = build(["Mehr im [Bürgerinfoportal](https://ris.example.org/vo/412)."], links)
    assert links == ["https://ris.example.org/vo/412"]
    assert ('r:id="rId101" w:history="1"><w:r><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr>'
            "<w:t>Bürgerinfoportal</w:t></w:r></w:hyperlink>") in xml


def test_link_without_a_document_part_shows_the_address() -> None:
    assert "<w:t>Portal (https://example.org)</w:t>" in build("[Portal](https://example.org)")


def test_markup_in_lists_and_cells_not_in_headings() -> None:
    xml = build([{"ueberschrift": "**nicht fett**"}, {"liste": ["**fett**"]},
                 {"tabelle": {"zeilen": [["*kursiv*"]]}}])
    assert "<w:t>**nicht fett**</w:t>" in xml
    assert "<w:r><w:rPr><w:b/></w:rPr><w:t>fett</w:t></w:r>" in xml
    assert "<w:r><w:rPr><w:i/></w:rPr><w:t>kursiv</w:t></w:r>" in xml


def test_no_break_spaces() -> None:
    assert typography("1.234,56 € nach § 50 Abs. 1, §§ 48 und 49, − 307.500 EUR, 12,6 %") == (
        "1.234,56\u00a0€ nach §\u00a050 Abs. 1, §§\u00a048 und 49, −\u00a0307.500\u00a0EUR, 12,6\u00a0%")
    assert typography("2 Euro-Münzen und 3 Eier") == "2 Euro-Münzen und 3 Eier"
    assert "<w:t>Betrag 1.234,56\u00a0€ nach §\u00a050</w:t>" in build("Betrag 1.234,56 € nach § 50")


@pytest.mark.parametrize(("text", "numeric"), [
    ("412.300 €", True), ("− 307.500 €", True), ("2026", True), ("12,6 %", True), ("1 234 567", True),
    ("-5", True), ("57.000 EUR", True), ("12.11.2025", False), ("offen", False), ("A 56", False), ("", False),
])
def test_numeric_cells(text: str, numeric: bool) -> None:
    assert is_numeric(text) is numeric


# -- reading the markup: the grammar as one regular expression, beside the reader ------------------------

# The grammar inline_spans reads, written as the regular expression it was read with up to commit a3610b3
# (plus the rule that bold must hold something besides stars). Matched recursively, it is the reference
# for small texts; on long ones its lazy matches cost the square of the length, and its recursion
# overflowed on nesting a few thousand deep.
_REFERENCE = re.compile(
    r"\\(?P<esc>[*\[\]\\])"
    r"|(?<![\w*\\])\*\*(?=\S)(?P<bold>[\s*]*?[^\s*].*?)(?<=\S)(?<!\\)\*\*(?![\w*])"
    r"|(?<![\w*\\])\*(?=[^\s*])(?P<italic>.+?)(?<=\S)(?<![\\*])\*(?![\w*])"
    r"|\[(?P<text>[^\]\n]+)\]\((?P<url>(?:https?://|mailto:)[^\s()<>]+)\)",
    re.S,
)


def _reference(text: str, bold: bool = False, italic: bool = False, url: str | None = None) -> list[Span]:
    spans: list[Span] = []

    def add(piece: str, b: bool, i: bool, u: str | None) -> None:
        if piece and spans and (spans[-1].bold, spans[-1].italic, spans[-1].url) == (b, i, u):
            spans[-1] = Span(spans[-1].text + piece, b, i, u)
        elif piece:
            spans.append(Span(piece, b, i, u))

    pos = 0
    for match in _REFERENCE.finditer(text):
        add(text[pos:match.start()], bold, italic, url)
        pos = match.end()
        if match.group("esc") is not None:
            inner = [Span(match.group("esc"), bold, italic, url)]
        elif match.group("bold") is not None:
            inner = _reference(match.group("bold"), True, italic, url)
        elif match.group("italic") is not None:
            inner = _reference(match.group("italic"), bold, True, url)
        elif url is None:
            inner = _reference(match.group("text"), bold, italic, match.group("url"))
        else:
            inner = [Span(match.group(0), bold, italic, url)]
        for span in inner:
            add(span.text, span.bold, span.italic, span.url)
    add(text[pos:], bold, italic, url)
    return spans


_PIECES = ["*", "**", "***", "\\", "[", "]", "(", ")", "a", "ß", "_", "1", " ", "\n", "\u00a0", "x*", "*y",
           "](https://a.de/x)", "](mailto:ki@a.de)", "](http://", "[T](https://b.de)", "\\*", "\\[", "<"]


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.booleans())
def test_the_reader_reads_as_the_grammar_says(pieces: list[str], bold: bool) -> None:
    text = "".join(pieces)
    assert inline_spans(text, bold=bold) == _reference(text, bold=bold)


@pytest.mark.parametrize("text", ["****", "*****", "**********", "Trenner: ********** Ende", "*** *** ***",
                                  "** **", "* * *"])
def test_a_row_of_stars_is_printed_as_typed(text: str) -> None:
    assert inline_spans(text) == [Span(text)]


def test_deep_nesting_is_followed_without_recursion() -> None:
    """Each "**" closes at the text's end only, so this is bold 5,000 levels deep: one bold x."""
    assert inline_spans("**" * 5000 + "x" + "**" * 5000) == [Span("x", bold=True)]
    assert inline_spans("*" + "**" * 4000 + "x" + "**" * 4000 + "* Ende") == [
        Span("x", bold=True, italic=True), Span(" Ende")]


@pytest.mark.parametrize(("text", "expected"), [
    ("**a " * 50_000, None),  # 50,000 bold openings without a closing
    ("*a " * 50_000, None),
    ("[" * 200_000, None),
    ("[a](https://x.de " * 20_000, None),
    ("*** " * 50_000, None),
    ("**a " * 50_000 + "a**", [Span("a " + "**a " * 49_999 + "a", bold=True)]),
    ("a\\*" * 200_000, [Span("a*" * 200_000)]),  # each escaped star once copied all the text before it
])
def test_long_texts_are_read_in_one_pass(text: str, expected: list[Span] | None) -> None:
    """Openings without a closing made every one of them read the rest of the text: 40,000 characters
    took seconds, a 5 MB input hours (``bench/render_size.py`` measures the reader's time per character)."""
    assert inline_spans(text) == (expected if expected is not None else [Span(text)])
