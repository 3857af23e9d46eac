"""The Integrationskonzept template: title page, table of contents, numbered chapters with placeholders.

Chapter titles and numbers come from the render context (``kapitel.*``, ``hf.titel``),
so further Handlungsfelder shift the numbering. Every section shows either its content
or, where the input has none, the placeholder text of the context in a shaded, italic
paragraph a clerk can overwrite in Word. The standard text on the legal basis lives
here, in the template, so an administrator can adjust its wording in Word.
"""

from __future__ import annotations

from typing import Any

from build_templates import (
    BLACK,
    HEADER_BODY,
    base_document,
    cell_text,
    control_row,
    footer_page_x_of_y,
    header_line,
    header_logo,
    para,
    repeat_header,
    set_widths,
    shade,
)
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Row
from docx.text.paragraph import Paragraph

H1 = "Heading 1"
H2 = "Heading 2"
GREY_TEXT = RGBColor(0x59, 0x59, 0x59)
PLACEHOLDER_FILL = "FFF2CC"  # light yellow: "still to be written"
PLACEHOLDER_LINE = "BF9000"
PLACEHOLDER_TEXT = RGBColor(0x7F, 0x60, 0x00)
TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER = "Das Inhaltsverzeichnis wird bei der Umwandlung aktualisiert."


# --- building blocks -----------------------------------------------------------------------------


# The children of <w:pPr> that follow <w:pBdr> in schema order (Word rejects them out of order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
               "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _border(p: Paragraph, side: str, color: str, size: int = 4, space: int = 1) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *_AFTER_PBDR)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", str(space)), ("w:color", color)):
        line.set(qn(key), value)
    borders.append(line)  # a single side per call, so top/left/bottom/right order is the caller's


def _shade_paragraph(p: Paragraph, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    p._p.get_or_add_pPr().insert_element_before(shd, *_AFTER_PBDR[1:])


def placeholder(doc: DocumentObject, expression: str) -> None:
    """The placeholder paragraph: shaded, italic, with a coloured bar on the left."""
    p = para(doc, "{{ " + expression + " }}", italic=True, after=8)
    p.runs[0].font.color.rgb = PLACEHOLDER_TEXT
    p.paragraph_format.keep_together = True
    _border(p, "left", PLACEHOLDER_LINE, size=18, space=6)
    _shade_paragraph(p, PLACEHOLDER_FILL)


def section(doc: DocumentObject, content: str, offen: str) -> None:
    """Rich-text content (a sub-document) or, if the input has none, its placeholder."""
    para(doc, f"{{%p if {content} %}}")
    para(doc, f"{{{{p {content} }}}}")
    para(doc, "{%p else %}")
    placeholder(doc, offen)
    para(doc, "{%p endif %}")


def heading(doc: DocumentObject, expression: str, style: str = H2, *, new_page: bool = False) -> None:
    p = para(doc, "{{ " + expression + " }}", style=style)
    if new_page:
        p.paragraph_format.page_break_before = True


def _keep_row_together(row: _Row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def table(doc: DocumentObject, columns: list[tuple[str, float, str]], loop: str, *,
          total: list[str] | None = None, right: tuple[int, ...] = (), group: str | None = None) -> None:
    """A grid table: header row, one row per item of ``loop``, optional bold total row.

    ``columns`` holds (header, width in cm, cell expression) per column; the columns in
    ``right`` (numbers) are right-aligned. With ``group``, an item whose ``group`` expression
    is set first gets a full-width, shaded row with that text (e.g. the Bereich of indicators).
    """
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, (label, _, _) in zip(grid.rows[0].cells, columns, strict=True):
        cell_text(cell, label, bold=True)
        shade(cell)
    repeat_header(grid)
    control_row(grid, f"{{%tr for {loop} %}}")
    if group:
        control_row(grid, f"{{%tr if {group} %}}")
        row = grid.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        cell_text(merged, "{{ " + group + " }}", bold=True)
        shade(merged, "F2F2F2")
        _keep_row_together(row)
        control_row(grid, "{%tr endif %}")
    row = grid.add_row()
    for cell, (_, _, expression) in zip(row.cells, columns, strict=True):
        cell_text(cell, "{{ " + expression + " }}")
    _keep_row_together(row)
    aligned = [grid.rows[0], row]
    control_row(grid, "{%tr endfor %}")
    if total:
        aligned.append(grid.add_row())
        for cell, text in zip(aligned[-1].cells, total, strict=True):
            cell_text(cell, text, bold=True)
            shade(cell, "F2F2F2")
    for line in aligned:
        for index in right:
            line.cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_widths(grid, [width for _, width, _ in columns])


def _field_char(p: Paragraph, kind: str) -> None:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    p.add_run()._r.append(char)


def toc_field(doc: DocumentObject) -> None:
    """A real Word TOC field; Word and LibreOffice fill it from the Heading 1–3 paragraphs.

    Until a converter or Word updates it, it shows a short note instead of entries.
    """
    p = doc.add_paragraph()
    _field_char(p, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {TOC_INSTRUCTION} "
    p.add_run()._r.append(instr)
    _field_char(p, "separate")
    note = p.add_run(TOC_PLACEHOLDER)
    note.italic = True
    note.font.color.rgb = GREY_TEXT
    _field_char(p, "end")


def _toc_styles(doc: DocumentObject) -> None:
    """Styles for the entries Word/LibreOffice write into the TOC (dotted leader, page number right)."""
    for level, (indent, bold, before) in enumerate(((0, True, 6), (0.6, False, 0), (1.2, False, 0)), start=1):
        style = doc.styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        fmt = style.paragraph_format
        fmt.left_indent = Cm(indent)
        fmt.space_before, fmt.space_after = Pt(before), Pt(2)
        fmt.tab_stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        style.font.bold = bold


def _update_fields_on_open(doc: DocumentObject) -> None:
    """Ask Word to refresh the TOC when the clerk opens the DOCX (w:updateFields, in schema order)."""
    settings = doc.settings.element
    flag = OxmlElement("w:updateFields")
    flag.set(qn("w:val"), "true")
    later = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
             "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
             "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType",
             "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")
    for child in settings:
        if child.tag in {qn(f"w:{name}") for name in later}:
            child.addprevious(flag)
            return
    settings.append(flag)


# --- the document --------------------------------------------------------------------------------


def _titelblatt(doc: DocumentObject) -> None:
    para(doc, "{{ koerperschaft.name }}", bold=True, size=13, after=0)
    para(doc, "{{ koerperschaft.verwaltungsspitze }}", size=11, after=0)
    title = para(doc, "Integrationskonzept", bold=True, size=30, after=4)
    title.paragraph_format.space_before = Pt(160)
    para(doc, "{{ traeger.name }}", size=18, after=6)
    sub = para(doc, "nach § 8 des Teilhabe- und Integrationsgesetzes Nordrhein-Westfalen (TIntG)", size=11,
               after=24)
    sub.runs[0].font.color.rgb = GREY_TEXT
    _border(sub, "bottom", "808080", size=6, space=8)
    facts = doc.add_table(rows=0, cols=2)
    for label, value in (("Version", "{{ stand.version }}"), ("Stand", "{{ stand.datum|datum }}"),
                         ("Fassung", "{% if freigabe %}freigegeben am {{ freigabe.datum|datum }}"
                                     "{% else %}Entwurf{% endif %}")):
        cells = facts.add_row().cells
        cell_text(cells[0], label, bold=True, size=11)
        cell_text(cells[1], value, size=11)
    control_row(facts, "{%tr if stand.beschluss %}")
    cells = facts.add_row().cells
    cell_text(cells[0], "Beschluss", bold=True, size=11)
    cell_text(cells[1], "{{ stand.beschluss.gremium }}, {{ stand.beschluss.datum|datum }}"
                        "{% if stand.beschluss.vorlage %} (Vorlage {{ stand.beschluss.vorlage }}){% endif %}", size=11)
    control_row(facts, "{%tr endif %}")
    set_widths(facts, [3.0, 13.5])
    # The publisher sits in the title page's own footer: always at the foot of the page.
    footer = doc.sections[0].first_page_footer
    first = footer.paragraphs[0]
    first.add_run("Herausgeber").bold = True
    for expression in ("{{ koerperschaft.name }}", "{{ koerperschaft.verwaltungsspitze }}",
                       "{{ koerperschaft.anschrift }}"):
        para(footer, expression, after=0)
    for line in footer.paragraphs:
        line.paragraph_format.space_after = Pt(0)
        for run in line.runs:
            run.font.size = Pt(9)


def _inhaltsverzeichnis(doc: DocumentObject) -> None:
    title = para(doc, "Inhalt", bold=True, size=16, after=12)
    title.paragraph_format.page_break_before = True
    toc_field(doc)


def _rechtsgrundlagen(doc: DocumentObject) -> None:
    heading(doc, "kapitel.einleitung_recht")
    para(doc, "Nach § 8 des Teilhabe- und Integrationsgesetzes Nordrhein-Westfalen (TIntG) fördert das Land "
              "Kommunale Integrationszentren in Kreisen und kreisfreien Städten. Voraussetzung ist, dass die "
              "Gebietskörperschaft ein Integrationskonzept hat; es soll die Zusammenarbeit mit den freien "
              "Trägern vorsehen. Dieses Konzept beschreibt daher die Integration durch Bildung, die Integration "
              "als Querschnittsaufgabe der Verwaltung sowie die Anbindung und Ausstattung des Zentrums.")
    para(doc, "Das Kommunale Integrationszentrum unterstützt gemeinsam mit der unteren Schulaufsicht Angebote "
              "in der frühen Bildung, in der Schule und am Übergang von der Schule in den Beruf. Es koordiniert "
              "die Integrationsarbeit der kommunalen Stellen und der freien Träger und unterstützt ehrenamtliches "
              "Engagement, vor allem für Geflüchtete und neu Zugewanderte.")
    para(doc, "{%p if traeger.kreis %}")
    para(doc, "Als Kreis nimmt der Träger diese Aufgaben im Einvernehmen mit seinen kreisangehörigen Städten "
              "und Gemeinden wahr.")
    para(doc, "{%p endif %}")
    para(doc, "§ 9 TIntG regelt die Förderung des Kommunalen Integrationsmanagements (KIM). Es setzt ein "
              "Kommunales Integrationszentrum voraus und verbindet die Arbeit der beteiligten Ämter, Behörden "
              "und Träger zu einer rechtskreisübergreifenden Steuerung mit einer Begleitung im Einzelfall "
              "(Case Management) für Geflüchtete und andere Neuzugewanderte.")
    para(doc, "{%p if traeger.kreis %}")
    para(doc, "Die Zusammenarbeit mit den kreisangehörigen Städten und Gemeinden im Kommunalen "
              "Integrationsmanagement legt der Kreis auf der Grundlage eines gemeinsamen Integrationskonzepts "
              "fest (§ 9 Abs. 2 TIntG).")
    para(doc, "{%p endif %}")
    para(doc, "Nach § 27 der Gemeindeordnung für das Land Nordrhein-Westfalen (GO NRW) bildet eine Gemeinde "
              "mit mindestens 5.000 ausländischen Einwohnerinnen und Einwohnern einen Integrationsrat; an "
              "seiner Stelle kann der Rat einen Integrationsausschuss einrichten. Das Gremium kann sich mit "
              "allen Angelegenheiten der Gemeinde befassen und berät Rat und Verwaltung. Integrationsrat "
              "und Integrationsausschuss werden deshalb an der Erarbeitung und Fortschreibung dieses Konzepts "
              "beteiligt.")


def _einleitung(doc: DocumentObject) -> None:
    para(doc, "{%p if vorwort %}")
    para(doc, "Vorwort", style=H1).paragraph_format.page_break_before = True
    para(doc, "{{p vorwort }}")
    para(doc, "{%p endif %}")
    heading(doc, "kapitel.einleitung", H1, new_page=True)
    heading(doc, "kapitel.einleitung_auftrag")
    p = para(doc, "Geltungsbereich: ", bold=True)
    p.add_run("{{ traeger.geltungsbereich }}.")
    section(doc, "einleitung", "offen.einleitung_auftrag")
    _rechtsgrundlagen(doc)
    heading(doc, "kapitel.leitbild", H1)
    section(doc, "leitbild", "offen.leitbild")


def _analyse(doc: DocumentObject) -> None:
    heading(doc, "kapitel.analyse", H1)
    heading(doc, "kapitel.analyse_indikatoren")
    para(doc, "{%p if analyse.indikatoren %}")
    para(doc, "{%p if analyse.stichtag %}")
    para(doc, "Datenstand: {{ analyse.stichtag|datum }}")
    para(doc, "{%p endif %}")
    table(doc, [("Kennzahl", 6.6, "i.name"), ("Wert", 3.5, "i.wert"), ("Jahr", 2.3, "i.jahr"),
                ("Quelle", 4.1, "i.quelle")], "i in analyse.indikatoren", right=(1,), group="i.bereich")
    para(doc, "{%p else %}")
    placeholder(doc, "offen.analyse_indikatoren")
    para(doc, "{%p endif %}")
    heading(doc, "kapitel.analyse_bewertung")
    section(doc, "analyse.bewertung", "offen.analyse_bewertung")


def _table_or_placeholder(doc: DocumentObject, rows: str, offen: str, columns: list[tuple[str, float, str]],
                          loop: str, **options: Any) -> None:
    para(doc, f"{{%p if {rows} %}}")
    table(doc, columns, loop, **options)
    para(doc, "{%p else %}")
    placeholder(doc, offen)
    para(doc, "{%p endif %}")


def _handlungsfelder(doc: DocumentObject) -> None:
    para(doc, "{%p for hf in handlungsfelder %}")
    heading(doc, "hf.titel", H1)
    heading(doc, "hf.kapitel.ausgangslage")
    section(doc, "hf.ausgangslage", "hf.offen.ausgangslage")
    para(doc, "{%p if hf.querschnitt %}")
    heading(doc, "hf.kapitel.schwerpunkt")
    para(doc, "{%p if hf.schwerpunkt %}")
    p = para(doc, "Schwerpunkt{% if hf.schwerpunkt.zeitraum %} {{ hf.schwerpunkt.zeitraum }}{% endif %}: ",
             bold=True)
    p.add_run("{{ hf.schwerpunkt.thema }}")
    para(doc, "{%p if hf.schwerpunkt.begruendung %}")
    para(doc, "{{p hf.schwerpunkt.begruendung }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p else %}")
    placeholder(doc, "hf.offen.schwerpunkt")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")
    heading(doc, "hf.kapitel.ziele")
    _table_or_placeholder(doc, "hf.ziele", "hf.offen.ziele", [
        ("Ziel", 6.4, "z.text"), ("Indikator", 4.6, "z.indikator"), ("Zielwert", 3.0, "z.zielwert"),
        ("Frist", 2.5, "z.frist")], "z in hf.ziele")
    heading(doc, "hf.kapitel.massnahmen")
    _table_or_placeholder(doc, "hf.massnahmen", "hf.offen.massnahmen", [
        ("Maßnahme", 5.6, "m.titel"), ("Verantwortlich", 3.6, "m.verantwortlich"), ("Partner", 4.6, "m.partner"),
        ("Zeitraum", 2.7, "m.zeitraum")], "m in hf.massnahmen")
    para(doc, "{%p endfor %}")


def _zentrum(doc: DocumentObject) -> None:
    heading(doc, "kapitel.zentrum", H1)
    heading(doc, "kapitel.zentrum_anbindung")
    section(doc, "zentrum.anbindung", "offen.zentrum_anbindung")
    heading(doc, "kapitel.zentrum_personal")
    _table_or_placeholder(doc, "zentrum.personal", "offen.zentrum_personal", [
        ("Stelle", 8.0, "p.stellenart"), ("VZÄ", 2.0, "p.vzae"), ("Finanzierung", 6.5, "p.finanzierung")],
        "p in zentrum.personal", total=["Summe", "{{ zentrum.vzae_summe }}", ""], right=(1,))
    heading(doc, "kapitel.zentrum_raeume")
    section(doc, "zentrum.raeume", "offen.zentrum_raeume")
    heading(doc, "kapitel.zentrum_aufgaben")
    section(doc, "zentrum.aufgaben", "offen.zentrum_aufgaben")


def _schluss(doc: DocumentObject) -> None:
    heading(doc, "kapitel.beteiligung", H1)
    para(doc, "{%p if beteiligung %}")
    para(doc, "An der Erarbeitung des Konzepts waren beteiligt:")
    table(doc, [("Akteur", 6.3, "b.akteur"), ("Art", 4.7, "b.typ"), ("Form der Beteiligung", 5.5, "b.form")],
          "b in beteiligung")
    para(doc, "{%p else %}")
    placeholder(doc, "offen.beteiligung")
    para(doc, "{%p endif %}")
    heading(doc, "kapitel.monitoring", H1)
    section(doc, "monitoring", "offen.monitoring")
    para(doc, "{%p if anlagen %}")
    para(doc, "Anlagen", style=H1)
    para(doc, "{%p for a in anlagen %}")
    para(doc, "Anlage {{ a.nr }}: {{ a.titel }}", after=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")


def build() -> DocumentObject:
    doc = base_document()
    doc.styles["Heading 1"].font.size = Pt(15)
    doc.styles["Heading 1"].paragraph_format.space_before = Pt(20)
    doc.styles["Heading 1"].font.color.rgb = BLACK
    _toc_styles(doc)
    section_ = doc.sections[0]
    section_.different_first_page_header_footer = True  # the title page has no header or footer
    header_line(doc, HEADER_BODY,
                "Integrationskonzept, Version {{ stand.version }}")
    header_logo(doc)
    footer_page_x_of_y(doc, "Integrationskonzept {{ traeger.name }}")
    _titelblatt(doc)
    _inhaltsverzeichnis(doc)
    _einleitung(doc)
    _analyse(doc)
    _handlungsfelder(doc)
    _zentrum(doc)
    _schluss(doc)
    _update_fields_on_open(doc)
    doc.core_properties.title = "Integrationskonzept"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "integrationskonzept"
    doc.core_properties.author = "docgen"
    doc.core_properties.language = "de-DE"
    return doc
