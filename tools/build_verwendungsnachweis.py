"""The Verwendungsnachweis template: letter head to the Bewilligungsbehörde, I.–IV. of the NRW form.

I. Sachbericht (a reference to the attached one, or a short text), II. zahlenmäßiger Nachweis
(Einnahmen with v.H., Ausgaben with Soll-Ist deviation and the 20 % flags, Personal with the
per-post caps, Einnahmen against Ausgaben), III. Ergebnis (recognised Ausgaben, Zuwendung due,
paid out, Erstattung, interest), IV. Bestätigung with Ort, Datum, Name, Funktion. Every figure
comes from the render context (computed by docgen.documents.zuwendung); money is right-aligned.
"""

from __future__ import annotations

from build_sachbericht import (
    H1,
    H2,
    LIGHT,
    cell,
    cell_para,
    control_row,
    data_row,
    finish,
    grid,
    header_row,
    keep_together,
    no_borders,
    note,
    para,
    shade,
    top_rule,
)
from build_templates import base_document, footer_page_x_of_y, header_line, header_logo, set_widths
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

PLUS = "{{ '+' if %s > 0 else '' }}"  # a sign for increases; the filters print the minus themselves


def _signed_euro(expr: str) -> str:
    return PLUS % expr + "{{ " + expr + "|euro }}"


def _signed_percent(expr: str) -> str:
    return "{% if " + expr + " is none %}–{% else %}" + PLUS % expr + "{{ " + expr + "|prozent }}{% endif %}"


def _vh(expr: str) -> str:
    return "{{ " + expr + "|zahl if " + expr + " is not none else '–' }}"


# --- letter head and the grant -----------------------------------------------------------------


def _briefkopf(doc: DocumentObject) -> None:
    table = doc.add_table(rows=1, cols=2)
    no_borders(table)
    left, right = table.rows[0].cells
    cell(left, "{{ empfaenger.name }}", bold=True, size=11)
    cell_para(left, "{%p if empfaenger.abteilung %}")
    cell_para(left, "{{ empfaenger.abteilung }}", size=10)
    cell_para(left, "{%p endif %}")
    cell_para(left, "{%p for z in empfaenger.zeilen %}")
    cell_para(left, "{{ z }}", size=10)
    cell_para(left, "{%p endfor %}")
    cell_para(left, "{%p if empfaenger.kontakt %}")
    cell_para(left, "{{ empfaenger.kontakt }}", size=9)
    cell_para(left, "{%p endif %}")
    cell(right, "{% if datum %}{% if ort %}{{ ort }}, {% endif %}{{ datum|datum }}{% endif %}", right=True, size=10)
    cell_para(right, "{%p if aktenzeichen %}")
    cell_para(right, "Az.: {{ aktenzeichen }}", size=10).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    cell_para(right, "{%p endif %}")
    set_widths(table, [10.5, 6.0])
    para(doc, "", after=10)
    para(doc, "An", size=9, after=0)
    para(doc, "{{ behoerde.name }}", after=0)
    para(doc, "{%p if behoerde.abteilung %}")
    para(doc, "{{ behoerde.abteilung }}", after=0)
    para(doc, "{%p endif %}")
    para(doc, "{%p for z in behoerde.zeilen %}")
    para(doc, "{{ z }}", after=0)
    para(doc, "{%p endfor %}")
    para(doc, "", after=14)
    para(doc, "{{ titel }}", bold=True, size=17, after=0)
    para(doc, "nach Nr. 7 {{ anbest }} über die Verwendung der Zuwendung für", size=10.5, after=2)
    para(doc, "{{ zweck }}", bold=True, size=12, after=8)


def _angaben(doc: DocumentObject) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    rows = [
        ("Zuwendungsempfänger", "{{ empfaenger.name }}{% if empfaenger.abteilung %}, {{ empfaenger.abteilung }}"
                                "{% endif %}"),
        ("Bewilligungszeitraum", "{{ zeitraum.von|datum }} bis {{ zeitraum.bis|datum }}"),
        ("Finanzierungsart", "{{ finanzierung.art }}{% if finanzierung.foerdersatz is not none %} "
                             "({{ finanzierung.foerdersatz|prozent }} der zuwendungsfähigen Ausgaben){% endif %}"),
    ]
    for label, value in rows:
        cells = table.add_row().cells
        cell(cells[0], label, bold=True, size=10)
        shade(cells[0])
        cell(cells[1], value, size=10)
    for condition, label, value in (
        ("foerderprogramm", "Förderprogramm", "{{ foerderprogramm }}"),
        ("zweck_erfuellt_am", "Zweck erfüllt am", "{{ zweck_erfuellt_am|datum }}"),
    ):
        control_row(table, f"{{%tr if {condition} %}}")
        cells = table.add_row().cells
        cell(cells[0], label, bold=True, size=10)
        shade(cells[0])
        cell(cells[1], value, size=10)
        control_row(table, "{%tr endif %}")
    set_widths(table, [4.5, 12.0])
    para(doc, "", after=4)


BEWILLIGUNG_WIDTHS = [5.2, 2.6, 5.4, 3.3]


def _bewilligung(doc: DocumentObject) -> None:
    table = grid(doc, BEWILLIGUNG_WIDTHS)
    header_row(table, ["Bewilligung und Auszahlung", "Datum", "Aktenzeichen", "Betrag"], right_from=3)
    control_row(table, "{%tr for b in bescheide %}")
    data_row(table, ["{{ b.art }}", "{{ b.datum|datum }}", "{{ b.aktenzeichen }}", "{{ b.betrag|euro }}"], 3)
    control_row(table, "{%tr endfor %}")
    data_row(table, ["Bewilligt insgesamt", "", "", "{{ bewilligt|euro }}"], 3, bold=True, fill=LIGHT)
    control_row(table, "{%tr for a in auszahlungen %}")
    data_row(table, ["Auszahlung", "{{ a.datum|datum }}", "", "{{ a.betrag|euro }}"], 3)
    control_row(table, "{%tr endfor %}")
    data_row(table, ["Ausgezahlt insgesamt", "", "", "{{ ausgezahlt|euro }}"], 3, bold=True, fill=LIGHT)
    finish(table, BEWILLIGUNG_WIDTHS)


def _sachbericht(doc: DocumentObject) -> None:
    para(doc, "I. Sachbericht", style=H1)
    para(doc, "{%p if sachbericht %}")
    para(doc, "Der Sachbericht ({{ sachbericht.berichtsart }} für die Zeit vom {{ sachbericht.zeitraum.von|datum }} "
              "bis {{ sachbericht.zeitraum.bis|datum }}) ist diesem Nachweis als eigenes Dokument beigefügt: "
              "siehe Teil „Sachbericht“ im Dokumentenpaket.")
    para(doc, "{%p elif sachbericht_kurz %}")
    para(doc, "{{p sachbericht_kurz }}")
    para(doc, "{%p else %}")
    para(doc, "Der Sachbericht wird gesondert vorgelegt.", italic=True)
    para(doc, "{%p endif %}")


# --- II. zahlenmäßiger Nachweis ----------------------------------------------------------------


EINNAHMEN_WIDTHS = [7.1, 3.1, 1.6, 3.1, 1.6]


def _einnahmen(doc: DocumentObject) -> None:
    para(doc, "1. Einnahmen", style=H2)
    table = grid(doc, EINNAHMEN_WIDTHS, header_rows=2)
    top, sub = table.rows[0].cells, table.rows[1].cells
    art = top[0].merge(sub[0])
    bescheid, abrechnung = top[1].merge(top[2]), top[3].merge(top[4])
    for c, text in ((art, "Art der Einnahme"), (bescheid, "lt. Zuwendungsbescheid"), (abrechnung, "lt. Abrechnung")):
        cell(c, text, bold=True).alignment = None if c is art else WD_ALIGN_PARAGRAPH.CENTER
        shade(c)
    for i, text in ((1, "€"), (2, "v.H."), (3, "€"), (4, "v.H.")):
        cell(sub[i], text, bold=True, right=True)
        shade(sub[i])
    control_row(table, "{%tr for z in einnahmen.zeilen %}")
    data_row(table, ["{{ z.bezeichnung }}", "{{ z.soll|euro }}", _vh("z.anteil_soll"), "{{ z.ist|euro }}",
                     _vh("z.anteil_ist")], 1)
    control_row(table, "{%tr endfor %}")
    data_row(table, ["Insgesamt", "{{ einnahmen.summe.soll|euro }}", _vh("einnahmen.summe.anteil_soll"),
                     "{{ einnahmen.summe.ist|euro }}", _vh("einnahmen.summe.anteil_ist")], 1, bold=True, fill=LIGHT)
    finish(table, EINNAHMEN_WIDTHS, header_rows=2)
    note(doc, "v.H. = Anteil an den Einnahmen insgesamt. Die Zeile „Zuwendung des Landes“ weist unter "
              "„lt. Abrechnung“ die ausgezahlte Zuwendung aus.")


AUSGABEN_WIDTHS = [4.6, 2.55, 2.55, 2.45, 1.75, 2.6]


def _ausgaben(doc: DocumentObject) -> None:
    para(doc, "2. Ausgaben", style=H2)
    table = grid(doc, AUSGABEN_WIDTHS, header_rows=2)
    top, sub = table.rows[0].cells, table.rows[1].cells
    position = top[0].merge(sub[0])
    cell(position, "Position des Finanzierungsplans", bold=True)
    shade(position)
    abweichung = top[3].merge(top[4])
    for c, text in ((top[1], "Soll"), (top[2], "Ist"), (abweichung, "Abweichung"), (top[5], "anerkannt")):
        cell(c, text, bold=True).alignment = WD_ALIGN_PARAGRAPH.CENTER
        shade(c)
    for i, text in ((1, "Bescheid €"), (2, "Abrechnung €"), (3, "€"), (4, "v.H."), (5, "€")):
        cell(sub[i], text, bold=True, right=True)
        shade(sub[i])
    control_row(table, "{%tr for z in ausgaben.zeilen %}")
    cells = data_row(table, ["{{ z.nr }}. {{ z.position }}", "{{ z.soll|euro }}", "{{ z.ist|euro }}",
                             _signed_euro("z.abweichung"), _signed_percent("z.abweichung_prozent"),
                             "{{ z.anerkannt|euro }}"], 1)
    cell_para(cells[0], "{%p if z.hinweis %}")
    cell_para(cells[0], "¹ {{ z.hinweis }}", size=8, italic=True)
    cell_para(cells[0], "{%p endif %}")
    control_row(table, "{%tr endfor %}")
    data_row(table, ["Insgesamt", "{{ ausgaben.summe.soll|euro }}", "{{ ausgaben.summe.ist|euro }}",
                     _signed_euro("ausgaben.summe.abweichung"), _signed_percent("ausgaben.summe.abweichung_prozent"),
                     "{{ ausgaben.summe.anerkannt|euro }}"], 1, bold=True, fill=LIGHT)
    finish(table, AUSGABEN_WIDTHS, header_rows=2)
    note(doc, "Einzelansätze dürfen um bis zu 20 % überschritten werden, soweit die Mehrausgaben durch Einsparungen "
              "bei anderen Ansätzen ausgeglichen werden; eine größere Überschreitung wird nur mit Genehmigung der "
              "Bewilligungsbehörde anerkannt (¹). Verbindlich ist der Finanzierungsplan im Ganzen.", after=2)
    para(doc, "{%p if not ausgaben.ausgeglichen %}")
    para(doc, "Die Ausgaben übersteigen insgesamt den Finanzierungsplan; die Überschreitung ist nicht durch "
              "Einsparungen ausgeglichen. Die Zuwendung bleibt auf den Höchstbetrag begrenzt.", bold=True, size=9.5)
    para(doc, "{%p endif %}")


PERSONAL_WIDTHS = [4.2, 1.5, 2.0, 2.9, 2.9, 3.0]


def _personal(doc: DocumentObject) -> None:
    para(doc, "{%p if personal %}")
    para(doc, "3. Personalausgaben und Stellenhöchstbeträge", style=H2)
    table = grid(doc, PERSONAL_WIDTHS)
    header_row(table, ["Stellenart", "VZÄ", "gefördert VZÄ", "Höchstbetrag €", "Ist €", "anerkannt €"], right_from=1)
    control_row(table, "{%tr for g in personal.zeilen %}")
    data_row(table, ["{{ g.stellenart }}", "{{ g.vzae|zahl }}", "{{ g.vzae_gefoerdert|zahl }}",
                     "{{ g.hoechstbetrag|euro if g.hoechstbetrag is not none else 'ohne' }}", "{{ g.ist|euro }}",
                     "{{ '² ' if g.gekappt else '' }}{{ g.anerkannt|euro }}"], 1)
    control_row(table, "{%tr endfor %}")
    data_row(table, ["Insgesamt", "", "", "", "{{ personal.ist|euro }}", "{{ personal.anerkannt|euro }}"], 1,
             bold=True, fill=LIGHT)
    finish(table, PERSONAL_WIDTHS)
    note(doc, "Gefördert VZÄ = Vollzeitäquivalente × besetzte Monate ÷ 12; Höchstbetrag = Betrag je Vollzeitstelle "
              "und Jahr × geförderte VZÄ. ² Die Ausgaben übersteigen den Höchstbetrag; anerkannt wird der "
              "Höchstbetrag.", after=2)
    para(doc, "{%p if personal.kuerzung %}")
    para(doc, "Die Stellenhöchstbeträge mindern die anerkannten Ausgaben um {{ personal.kuerzung|euro }}.", size=9.5)
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")


def _bilanz(doc: DocumentObject) -> None:
    para(doc, "{{ '4' if personal else '3' }}. Gegenüberstellung der Einnahmen und Ausgaben", style=H2)
    widths = [10.0, 3.5]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    data_row(table, ["Einnahmen insgesamt (lt. Abrechnung)", "{{ bilanz.einnahmen|euro }}"], 1)
    data_row(table, ["Ausgaben insgesamt (lt. Abrechnung)", "{{ bilanz.ausgaben|euro }}"], 1)
    data_row(table, ["{% if bilanz.fehlbetrag %}Fehlbetrag{% elif bilanz.ueberschuss %}Überschuss{% else %}"
                     "Differenz (ausgeglichen){% endif %}",
                     "{{ (bilanz.fehlbetrag or bilanz.ueberschuss)|euro }}"], 1, bold=True, fill=LIGHT)
    set_widths(table, widths)
    keep_together(table)


def _nachweis(doc: DocumentObject) -> None:
    para(doc, "II. Zahlenmäßiger Nachweis", style=H1)
    para(doc, "Einnahmen und Ausgaben in der Gliederung des Finanzierungsplans, in Euro"
              "{% if vorsteuerabzug %}, ohne Umsatzsteuer (Vorsteuerabzug){% endif %}.", size=10)
    _einnahmen(doc)
    _ausgaben(doc)
    _personal(doc)
    _bilanz(doc)


# --- III. Ergebnis and IV. Bestätigung ---------------------------------------------------------


def _ergebnis(doc: DocumentObject) -> None:
    para(doc, "III. Ergebnis", style=H1)
    widths = [12.5, 4.0]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    control_row(table, "{%tr for r in ergebnis %}")
    control_row(table, "{%tr if r.fett %}")
    data_row(table, ["{{ r.text }}", "{{ r.betrag|euro }}"], 1, bold=True, fill=LIGHT)
    control_row(table, "{%tr else %}")
    data_row(table, ["{{ r.text }}", "{{ r.betrag|euro }}"], 1)
    control_row(table, "{%tr endif %}")
    control_row(table, "{%tr endfor %}")
    set_widths(table, widths)
    keep_together(table)
    para(doc, "", after=2)
    para(doc, "{% if erstattung %}Es ergibt sich ein Erstattungsbetrag von {{ erstattung|euro }}. Er wird nach "
              "Festsetzung durch die Bewilligungsbehörde zurückgezahlt.{% else %}Es ergibt sich kein "
              "Erstattungsbetrag.{% endif %}")
    para(doc, "{%p if zinsen %}")
    para(doc, "Zinsen auf {{ zinsen.hauptbetrag|euro }} nach § 49a Abs. 3 VwVfG NRW (Basiszinssatz zuzüglich "
              "{{ zinsen.aufschlag|zahl }} Prozentpunkten, taggenau auf 365 Tage):", size=10)
    zins_widths = [5.0, 1.8, 3.0, 3.0, 3.7]
    table = grid(doc, zins_widths)
    header_row(table, ["Zeitraum", "Tage", "Basiszinssatz", "Zinssatz", "Zinsen €"], right_from=1)
    control_row(table, "{%tr for a in zinsen.abschnitte %}")
    data_row(table, ["{{ a.ab|datum }} bis {{ a.bis|datum }}", "{{ a.tage }}", "{{ a.basiszinssatz|prozent }}",
                     "{{ a.zinssatz|prozent }}", "{{ a.betrag|euro }}"], 1)
    control_row(table, "{%tr endfor %}")
    finish(table, zins_widths)
    para(doc, "{%p endif %}")


BESTAETIGUNG = [
    "die Ausgaben zur Erfüllung des Zuwendungszwecks erforderlich waren und die Mittel wirtschaftlich und "
    "sparsam eingesetzt wurden,",
    "alle Angaben in diesem Nachweis mit den Büchern und Belegen übereinstimmen,",
    "die Zuwendung ausschließlich für den bewilligten Zweck verwendet und die Nebenbestimmungen des "
    "Zuwendungsbescheids eingehalten wurden und",
    "die Belege mindestens fünf Jahre nach Vorlage dieses Nachweises aufbewahrt und auf Verlangen vorgelegt werden.",
]


def _bestaetigung(doc: DocumentObject) -> None:
    para(doc, "IV. Bestätigung", style=H1)
    # The declaration and the signature stay on one page.
    lines = [para(doc, "Der Zuwendungsempfänger bestätigt, dass", after=2)]
    lines += [para(doc, text, style="List Bullet", after=2) for text in BESTAETIGUNG]
    lines.append(para(doc, "{% if vorsteuerabzug %}Er ist zum Vorsteuerabzug berechtigt; die Ausgaben sind ohne "
                           "Umsatzsteuer angegeben.{% else %}Er ist nicht zum Vorsteuerabzug berechtigt.{% endif %}",
                      after=14))
    for line in lines:
        line.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=3)
    no_borders(table)
    left, _, right = table.rows[0].cells
    cell(left, "{% if bestaetigung %}{{ bestaetigung.ort }}, {{ bestaetigung.datum|datum }}{% endif %}", size=10.5)
    top_rule(cell_para(left, "Ort, Datum", size=8.5))
    cell(right, "{% if bestaetigung %}{% if freigabe %}gez. {% endif %}{{ bestaetigung.name }}{% endif %}", size=10.5)
    top_rule(cell_para(right, "{% if bestaetigung %}{{ bestaetigung.funktion }}{% else %}Name, Funktion"
                              "{% endif %} (rechtsverbindliche Unterschrift)", size=8.5))
    for c in (left, right):
        c.paragraphs[0].paragraph_format.space_before = Pt(18)
    set_widths(table, [6.5, 2.0, 8.0])
    para(doc, "{%p if sachbericht or anlagen %}")
    para(doc, "Anlagen", style=H2)
    para(doc, "{%p if sachbericht %}")
    para(doc, "Sachbericht (im Dokumentenpaket unmittelbar nach diesem Nachweis)", after=2)
    para(doc, "{%p endif %}")
    para(doc, "{%p for a in anlagen %}")
    para(doc, "Anlage {{ a.nr }}: {{ a.titel }}", after=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")


def build() -> DocumentObject:
    doc = base_document()
    header_line(doc, "{{ empfaenger.name }}{% if empfaenger.abteilung %} – {{ empfaenger.abteilung }}{% endif %}",
                "{{ kurztitel }}, Az. {{ bescheide[0].aktenzeichen }}")
    header_logo(doc)
    footer_page_x_of_y(doc, "{{ kurztitel }} {{ zeitraum.von|datum }} – {{ zeitraum.bis|datum }}")
    _briefkopf(doc)
    _angaben(doc)
    _bewilligung(doc)
    _sachbericht(doc)
    _nachweis(doc)
    _ergebnis(doc)
    _bestaetigung(doc)
    doc.core_properties.title = "Verwendungsnachweis"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "verwendungsnachweis"
    doc.core_properties.author = "docgen"
    doc.core_properties.language = "de-DE"
    return doc
