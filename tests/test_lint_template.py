"""docgen lint-template, and the sandbox that keeps edited templates away from Python internals."""

from __future__ import annotations

import random
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from docx import Document

from docgen import lint
from docgen.lint import Finding, Paragraph, jinja_check, split_tags, typographic_quotes
from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
TEMPLATE = EXAMPLES.parent / "templates" / "beschlussvorlage.docx"


def own_template(tmp_path: Path, *runs: str) -> Path:
    """A copy of the shipped template with one extra paragraph made of the given Word runs."""
    folder = tmp_path / "vorlagen"
    folder.mkdir(exist_ok=True)
    path = folder / "beschlussvorlage.docx"
    shutil.copy(TEMPLATE, path)
    doc = Document(str(path))
    para = doc.add_paragraph()
    for text in runs:
        para.add_run(text)
    doc.save(str(path))
    return path


def test_shipped_templates_are_clean(docgen: Run) -> None:
    result = docgen("lint-template")
    assert result.returncode == 0, result.stdout
    assert "beschlussvorlage.docx: sauber." in result.stdout
    assert "freigabevermerk.docx: sauber." in result.stdout


@pytest.mark.parametrize(("runs", "fragment"), [
    (("Nr. {{ vorlage.num", "mer }}",), "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere "
     "Textabschnitte verteilt"),
    (("{", "{ vorlage.nummer }}",), "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere"),
    (("{% if vorlage.oeffentlich %}öffentlich",), "„{% if … %}“ wird nicht geschlossen (es fehlt „{% endif %}“)"),
    (("{% endfor %}",), "„{% endfor %}“ ohne passendes „{% for … %}“"),
    (("Sitzung {{ vorlage.sitzungsnummer }}",), "die Variable „vorlage.sitzungsnummer“ ist weder im Schema von "
     "„beschlussvorlage“ noch in den berechneten Werten definiert – im Absatz: „Sitzung {{ vorlage.sitzungsnummer "
     "}}“"),
    (("{% for b in beratungsfolge %}{{ b.raum }}{% endfor %}",), "die Variable „beratungsfolge[].raum“"),
])
def test_findings_give_exit_5_with_paragraph(docgen: Run, tmp_path: Path, runs: tuple[str, ...],
                                             fragment: str) -> None:
    path = own_template(tmp_path, *runs)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout
    assert f"beschlussvorlage.docx: {fragment}" in result.stdout


def test_known_computed_values_are_accepted(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{% for a in auswirkungen %}{{ a.titel }}{% endfor %} {{ koerperschaft.name }}")
    assert docgen("lint-template", path).returncode == 0


def test_not_a_docx(docgen: Run, tmp_path: Path) -> None:
    path = tmp_path / "vorlage.docx"
    path.write_text("kein Word", encoding="utf-8")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "keine Word-Datei (.docx)" in result.stderr


@pytest.mark.parametrize("expression", [
    "{{ vorlage.__class__.__mro__ }}",
    "{{ vorlage.nummer.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
])
def test_sandbox_blocks_python_internals(docgen: Run, tmp_path: Path, example: dict[str, object],
                                         expression: str) -> None:
    path = own_template(tmp_path, expression)
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--docx-only", "--out", tmp_path / "out",
                    env={"DOCGEN_TEMPLATES_DIR": str(path.parent)})
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("Vorlage beschlussvorlage.docx:")
    assert not (tmp_path / "out" / "beschlussvorlage.docx").exists()


def renamed_copy(tmp_path: Path, name: str, category: str | None, *paragraphs: str,
                 source: Path = TEMPLATE) -> Path:
    """A copy of a shipped template under another file name, with its category set or cleared."""
    path = tmp_path / name
    shutil.copy(source, path)
    doc = Document(str(path))
    for text in paragraphs:
        doc.add_paragraph().add_run(text)
    doc.core_properties.category = category or ""
    doc.save(str(path))
    return path


def test_every_class_of_finding_in_one_pass(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "Nr. {{ vorlage.num", "mer }}")
    doc = Document(str(path))
    for text in ("{{ vorlage.nummer|default(„keine“) }}", "{{ vorlage.datum|datum_kurz }}",
                 "{{ vorlage.sitzung }}", "{% for a in beratungsfolge %}"):
        doc.add_paragraph().add_run(text)
    doc.save(str(path))
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout
    expected = [
        "Platzhalter „{{ vorlage.nummer }}“ ist von Word auf mehrere Textabschnitte verteilt",
        "im Platzhalter „{{ vorlage.nummer|default(„keine“) }}“ stehen typografische Anführungszeichen (“ „)",
        "unbekannter Filter „datum_kurz“: das Erzeugen würde scheitern (docgen kennt datum, datum_lang, euro, "
        "prozent, zahl und die Jinja-Standardfilter)",
        "die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“ noch in den berechneten Werten "
        "definiert",
        "„{% for … %}“ wird nicht geschlossen (es fehlt „{% endfor %}“)",
    ]
    numbers = []
    for line, fragment in zip(lines, expected, strict=True):
        assert line.startswith(f"beschlussvorlage.docx: {fragment}"), line
        match = re.search(r"\(Absatz (\d+) im Haupttext\)$", line)
        assert match, line
        numbers.append(int(match.group(1)))
    assert numbers == list(range(numbers[0], numbers[0] + 5))  # the five added paragraphs, in order


def test_typographic_quotes_alone_are_a_finding(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{{ vorlage.nummer|default(“keine”) }}")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "stehen typografische Anführungszeichen (“ ”)" in result.stdout


def test_unknown_test_is_a_finding(docgen: Run, tmp_path: Path) -> None:
    path = own_template(tmp_path, "{% if vorlage.nummer is teilbar %}x{% endif %}")
    result = docgen("lint-template", path)
    assert result.returncode == 5
    assert "unbekannter Test „teilbar“: das Erzeugen würde scheitern" in result.stdout


def test_name_without_type_and_no_metadata_is_exit_2(docgen: Run, tmp_path: Path) -> None:
    path = renamed_copy(tmp_path, "hausvorlage.docx", None)
    result = docgen("lint-template", path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("hausvorlage.docx: für welche Dokumentart die Vorlage ist, sagt weder "
                                    "--dokumentart noch ihre Dokumenteigenschaft „Kategorie“")
    assert "sauber" not in result.stdout
    assert docgen("lint-template", path, "--dokumentart", "beschlussvorlage").returncode == 0


def test_unknown_dokumentart_flag_is_exit_2(docgen: Run, tmp_path: Path) -> None:
    result = docgen("lint-template", TEMPLATE, "--dokumentart", "haushaltsplan")
    assert result.returncode == 2
    assert result.stderr.strip() == ("Unbekannte Dokumentart „haushaltsplan“ (--dokumentart). Bekannt sind: "
                                     "beschlussvorlage, integrationskonzept, sachbericht, verwendungsnachweis, "
                                     "freigabevermerk, entwurf.")


def test_dokumentart_from_the_templates_category(docgen: Run, tmp_path: Path) -> None:
    path = renamed_copy(tmp_path, "kreis-vorlage.docx", "beschlussvorlage", "{{ vorlage.sitzung }}")
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert "kreis-vorlage.docx: die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“" \
        in result.stdout


def test_support_template_variables_are_checked(docgen: Run, tmp_path: Path) -> None:
    source = EXAMPLES.parent / "templates" / "freigabevermerk.docx"
    path = renamed_copy(tmp_path, "vermerk.docx", "freigabevermerk", "{{ unterzeichnung.titel }}", source=source)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert "die Variable „unterzeichnung.titel“ ist weder im Schema von „freigabevermerk“" in result.stdout


def test_shipped_templates_say_their_dokumentart() -> None:
    from docgen.lint import dokumentart_of, shipped_templates

    for template in shipped_templates():
        with zipfile.ZipFile(template) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8")
        assert f"<cp:category>{template.stem}</cp:category>" in core
        assert dokumentart_of(template, None) == template.stem


def test_lint_does_not_reach_above_the_stages() -> None:
    source = (EXAMPLES.parent / "docgen" / "lint.py").read_text(encoding="utf-8")
    imports = set(re.findall(r"^(?:from|import) (docgen[\w.]*)", source, flags=re.M))
    assert not imports & {"docgen.api", "docgen.cli", "docgen.pipeline", "docgen.intake"}, imports


# -- size and depth: what an edited template may hold must not stall or crash the check -----

SPLIT = ("Platzhalter „{tag}“ ist von Word auf mehrere Textabschnitte verteilt; bitte den Platzhalter löschen und "
         "in einem Zug neu tippen")


def raw_template(tmp_path: Path, paragraphs_xml: str) -> Path:
    """A copy of the shipped template with raw ``<w:p>`` XML put at the start of the body (fast for
    thousands of paragraphs; they are paragraphs 1, 2, … of the body)."""
    folder = tmp_path / "roh"
    folder.mkdir(exist_ok=True)
    path = folder / "beschlussvorlage.docx"
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                body = xml.index("<w:body>") + len("<w:body>")
                data = (xml[:body] + paragraphs_xml + xml[body:]).encode("utf-8")
            target.writestr(item, data)
    return path


def para_xml(*runs: str) -> str:
    return "<w:p>" + "".join(f'<w:r><w:t xml:space="preserve">{escape(run)}</w:t></w:r>' for run in runs) + "</w:p>"


def line(message: str, paragraph: str, number: int) -> str:
    return Finding("", message, paragraph, f"Absatz {number} im Haupttext").render("beschlussvorlage.docx")


def test_many_split_tags_are_each_reported(docgen: Run, tmp_path: Path) -> None:
    # Every paragraph used to be compared with every finding: 16 000 took minutes.
    count = 16_000
    path = raw_template(tmp_path, para_xml("{{ vorlage.", "nummer }}") * count)
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    tag = "{{ vorlage.nummer }}"
    assert result.stdout.splitlines() == [line(SPLIT.format(tag=tag), tag, n) for n in range(1, count + 1)]


def test_long_paragraph_of_unclosed_tags(docgen: Run, tmp_path: Path) -> None:
    # Each "{%" used to search the rest of the paragraph for its close: 32 000 took half a minute and more.
    text = "{%" * 32_000
    path = raw_template(tmp_path, para_xml(text) + para_xml("{{ vorlage.sitzung }}"))
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stderr
    assert result.stdout.splitlines() == [
        line(SPLIT.format(tag="{%"), text, 1),
        line("die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“ noch in den berechneten "
             "Werten definiert", "{{ vorlage.sitzung }}", 2),
    ]


def test_long_paragraphs_of_openers_scan_in_one_pass() -> None:
    opened = Paragraph("word/document.xml", 1, ["{{" * 16_000 + "}"])
    assert split_tags([opened]) == []  # no "}}" anywhere, and a "}" after every opener
    quoted = Paragraph("word/document.xml", 2, ["{%" * 16_000 + "{{ „b“ }}"])  # no "%}" for any "{%"
    [finding] = typographic_quotes([quoted])
    assert finding.message.startswith("im Platzhalter „{{ „b“ }}“ stehen typografische Anführungszeichen (“ „)")
    assert lint._line(quoted) == "{%" * 16_000 + "{{ \"b\" }}"


# The regexes the tag scanners replaced (quadratic on long paragraphs); the scanners must find exactly
# what these found.
OLD_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def old_split_tags(paragraphs: list[Paragraph]) -> list[Finding]:
    findings = []
    for para in paragraphs:
        text = para.text
        boundaries, pos = set(), 0
        for run in para.runs[:-1]:
            pos += len(run)
            boundaries.add(pos)
        for match in re.finditer(r"\{[{%].*?[}%]\}|\{[{%][^}%]*$", text):
            start, end = match.span()
            if any(start < b < end for b in boundaries) or not match.group().endswith(("}}", "%}")):
                findings.append(lint._finding("geteilt", f"Platzhalter „{match.group()}“ ist von Word auf mehrere "
                                              "Textabschnitte verteilt; bitte den Platzhalter löschen und in einem "
                                              "Zug neu tippen", para))
    return findings


def old_typographic_quotes(paragraphs: list[Paragraph]) -> list[Finding]:
    findings = []
    for para in paragraphs:
        for match in OLD_TAG.finditer(para.text):
            quotes = sorted({c for c in match.group() if c in lint.TYPOGRAPHIC_QUOTES})
            if quotes:
                findings.append(lint._finding(
                    "anfuehrung", f"im Platzhalter „{match.group()}“ stehen typografische Anführungszeichen "
                    f"({' '.join(quotes)}), die Word beim Tippen einsetzt; bitte gerade Anführungszeichen "
                    "(\" oder ') verwenden (AutoKorrektur: „Gerade Anführungszeichen durch typografische "
                    "ersetzen“ ausschalten)", para))
    return findings


def old_line(para: Paragraph) -> str:
    text = lint._DOCXTPL_PREFIX.sub(lambda m: "{" + m.group(1) + " ", para.text)
    text = lint._DOCXTPL_CELL.sub(lambda m: "{{ " + m.group(2) + " }}", text)
    text = lint._DOCXTPL_MERGE.sub("", text)
    return OLD_TAG.sub(lambda m: m.group().translate(lint._STRAIGHT), text).replace("\n", " ")


PIECES = ["{", "}", "%", "{{", "}}", "{%", "%}", "a", " "]


@pytest.mark.parametrize("extra", [[], ["\n", "“", "‚"]], ids=["marks", "with-breaks-and-quotes"])
def test_tag_scanners_find_what_the_old_regexes_found(extra: list[str]) -> None:
    rng = random.Random(20251020)
    pieces = PIECES + extra
    for number in range(1, 20_001):
        runs = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6))) for _ in range(rng.randrange(1, 5))]
        para = Paragraph("word/document.xml", number, runs)
        assert split_tags([para]) == old_split_tags([para]), runs
        assert typographic_quotes([para]) == old_typographic_quotes([para]), runs
        assert lint._line(para) == old_line(para), runs


TOO_DEEP = ("fehlerhafter Platzhalter: der Ausdruck ist zu tief verschachtelt (zu viele Klammern oder Blöcke "
            "ineinander); bitte ihn vereinfachen")


def test_too_deeply_nested_expression_is_a_finding(docgen: Run, tmp_path: Path) -> None:
    # Jinja's parser recursed past Python's limit; the RecursionError ended lint-template with exit 1.
    deep, fifty = "{{ " + "(" * 100 + " }}", "{{ " + "(" * 50 + " }}"
    path = raw_template(tmp_path, para_xml(deep) + para_xml(fifty) + para_xml("{{ vorlage.sitzung }}"))
    result = docgen("lint-template", path)
    assert result.returncode == 5, result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        line(TOO_DEEP, deep, 1),
        line("fehlerhafter Platzhalter: unexpected '}', expected ')'", fifty, 2),
        line("die Variable „vorlage.sitzung“ ist weder im Schema von „beschlussvorlage“ noch in den berechneten "
             "Werten definiert", "{{ vorlage.sitzung }}", 3),  # the rest of the template is still checked
    ]


def test_nesting_too_deep_across_paragraphs_is_one_finding() -> None:
    texts = ["{% if vorlage.oeffentlich %}"] * 400 + ["{% endif %}"] * 400
    paragraphs = [Paragraph("word/document.xml", n, [t]) for n, t in enumerate(texts, start=1)]
    findings, used = jinja_check(paragraphs, set())
    [finding] = findings
    assert (finding.kind, finding.message, finding.paragraph) == ("syntax", TOO_DEEP, texts[0])
    assert re.fullmatch(r"Absatz \d+ im Haupttext", finding.where)
    assert used == []  # each paragraph parses alone: the Jinja checks stop instead of repeating the finding


def test_long_filter_chain_does_not_exhaust_the_stack() -> None:
    # Parses fine, but into a tree 3 000 levels deep: walking it must not recurse.
    chain = Paragraph("word/document.xml", 1, ["{{ vorlage.nummer" + "|trim" * 3_000 + "|unbekannt }}"])
    findings, used = jinja_check([chain], set())
    assert [f.message for f in findings] == ["unbekannter Filter „unbekannt“: das Erzeugen würde scheitern "
                                             "(docgen kennt datum, datum_lang, euro, prozent, zahl und die "
                                             "Jinja-Standardfilter)"]
    assert used == [("vorlage.nummer", 1)]
