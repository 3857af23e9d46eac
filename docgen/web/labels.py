"""German labels for schema properties that have no ``title`` yet.

The schemas should carry a German ``title`` on every property; until they do, the form takes the label
from here (and, failing that, builds one from the key). ``fehlende_titel`` lists what the schemas lack.
"""

from __future__ import annotations

LABELS: dict[str, str] = {
    "ab": "Gültig ab", "absatz": "Absatz", "abteilung": "Abteilung", "abweichungen": "Abweichungen",
    "abweichungsgrund": "Grund der Abweichung", "aktenzeichen": "Aktenzeichen", "akteur": "Akteur",
    "anbest": "Nebenbestimmungen (ANBest)", "anbindung": "Anbindung", "anlagen": "Anlagen",
    "anschrift": "Anschrift", "art": "Art", "aufgaben": "Aufgaben",
    "aufschlag_prozentpunkte": "Aufschlag (Prozentpunkte)", "ausblick": "Ausblick", "ausgaben": "Ausgaben",
    "ausgangslage": "Ausgangslage", "auswirkungen": "Auswirkungen", "auszahlungen": "Auszahlungen",
    "bagatellgrenze": "Bagatellgrenze", "basiszinssatz": "Basiszinssatz", "begruendung": "Begründung",
    "begruendung_nichtoeffentlichkeit": "Begründung der Nichtöffentlichkeit", "bemerkung": "Bemerkung",
    "beratungsfolge": "Beratungsfolge", "bereich": "Bereich", "berichtsart": "Berichtsart",
    "berichtsjahr": "Berichtsjahr", "berichtszeitraum": "Berichtszeitraum", "bescheide": "Bescheide",
    "beschluss": "Beschluss", "beschlussvorschlag": "Beschlussvorschlag", "besetzt_bis": "Besetzt bis",
    "besetzt_von": "Besetzt von", "bestaetigung": "Bestätigung", "beteiligt": "Beteiligte Dienststellen",
    "beteiligung": "Beteiligung", "betrag": "Betrag (Euro)", "betrag_je_vzae": "Betrag je Vollzeitäquivalent",
    "betreff": "Betreff", "betreff_hier": "Betreff, Unterzeile „hier:“", "bewertung": "Bewertung",
    "bewilligungsbehoerde": "Bewilligungsbehörde", "bewilligungszeitraum": "Bewilligungszeitraum",
    "bezeichnung": "Bezeichnung", "bis": "Bis", "datei": "PDF-Datei", "datum": "Datum",
    "dokument": "Eingebettetes Dokument", "dokumentart": "Dokumentart", "einheit": "Einheit",
    "einleitung": "Einleitung", "einnahmen": "Einnahmen", "ergebnis": "Ergebnis",
    "federfuehrend": "Federführendes Amt", "festbetrag": "Festbetrag", "finanziell": "Finanzielle Auswirkungen",
    "finanzierung": "Finanzierung", "foerderprogramm": "Förderprogramm", "foerdersatz": "Fördersatz (Prozent)",
    "form": "Form", "format": "Format", "freigabe": "Freigabe", "frist": "Frist", "funktion": "Funktion",
    "gemeinden": "Gemeinden", "gremium": "Gremium", "handlungsfeld": "Handlungsfeld",
    "handlungsfelder": "Handlungsfelder", "hoechstbetrag": "Höchstbetrag (Euro)",
    "hoechstbetrag_je_vzae": "Höchstbetrag je Vollzeitäquivalent", "indikator": "Indikator",
    "indikatoren": "Indikatoren", "inhalt": "Inhalt",
    "integration_als_querschnittsaufgabe": "Integration als Querschnittsaufgabe",
    "integration_durch_bildung": "Integration durch Bildung", "ist": "Ist", "jahr": "Jahr",
    "klima": "Auswirkungen auf das Klima", "koerperschaft": "Körperschaft (nur wenn abweichend)",
    "kontakt": "Kontakt", "kooperationen": "Kooperationen", "kooperationspartner": "Kooperationspartner",
    "leitbild": "Leitbild", "liste": "Aufzählung", "logo": "Logo (Pfad)", "massnahmen": "Maßnahmen",
    "menge_ist": "Menge (Ist)", "menge_plan": "Menge (Plan)", "mitzeichnungen": "Mitzeichnungen",
    "monate_besetzt": "Monate besetzt", "monitoring": "Monitoring", "nachweisart": "Nachweisart",
    "name": "Name", "nebenbestimmungen": "Nebenbestimmungen", "nummer": "Vorlagen-Nummer",
    "oeffentlich": "Öffentlich", "oeffentlichkeitsarbeit": "Öffentlichkeitsarbeit", "ort": "Ort",
    "partner": "Partner", "personal": "Personal", "personalausgaben": "Personalausgaben",
    "personell": "Personelle Auswirkungen", "position": "Position", "quelle": "Quelle", "raeume": "Räume",
    "rechtslage": "Rechtslage", "rolle": "Rolle", "sachbericht": "Sachbericht",
    "sachbericht_kurz": "Sachbericht (Kurzfassung)", "sachlage": "Sachlage (Sachverhalt, Begründung)",
    "satz": "Satz", "schwerpunkt": "Schwerpunkt", "soll": "Soll", "sozial": "Soziale Auswirkungen",
    "spalten": "Spaltenüberschriften", "stand": "Stand", "stellen_hoechstbetraege": "Höchstbeträge der Stellen",
    "stellenart": "Stellenart", "stichtag": "Stichtag", "tabelle": "Tabelle", "teilnehmende": "Teilnehmende",
    "text": "Text", "thema": "Thema", "titel": "Titel", "top": "Tagesordnungspunkt", "traeger": "Träger",
    "typ": "Typ", "ueberschreitung_genehmigt": "Überschreitung genehmigt", "ueberschrift": "Überschrift",
    "unterzeichnung": "Unterzeichnung", "verantwortlich": "Verantwortlich", "verfasser": "Verfasser/in",
    "version": "Version", "verwaltungsspitze": "Verwaltungsspitze", "vn_frist_override": "Abweichende Frist",
    "von": "Von", "vorlage": "Kopfdaten der Vorlage", "vorsteuerabzug": "Vorsteuerabzugsberechtigt",
    "vorwort": "Vorwort", "vzae": "Vollzeitäquivalente", "weitere": "Weitere", "wert": "Wert",
    "zeilen": "Zeilen", "zeitraum": "Zeitraum", "zentrum": "Kommunales Integrationszentrum", "ziel": "Ziel",
    "zieldimension": "Zieldimension", "ziele": "Ziele", "zielgruppe": "Zielgruppe", "zielwert": "Zielwert",
    "zinsen": "Zinsen", "zusatz": "Zusatz", "zustaendigkeit": "Zuständigkeit",
    "zuwendungsempfaenger": "Zuwendungsempfänger", "zuwendungszweck": "Zuwendungszweck",
    "zweck_erfuellt_am": "Zweck erfüllt am",
}

# One row of a list, by the list's key ("Beratung 2 von 3").
ROW_LABELS: dict[str, str] = {
    "beratungsfolge": "Beratung", "anlagen": "Anlage", "beteiligt": "Dienststelle", "weitere": "Eintrag",
    "ziele": "Ziel", "massnahmen": "Maßnahme", "ausgaben": "Ausgabe", "einnahmen": "Einnahme",
    "auszahlungen": "Auszahlung", "bescheide": "Bescheid", "personal": "Stelle", "mitzeichnungen": "Mitzeichnung",
    "indikatoren": "Indikator", "kooperationen": "Kooperation", "zeilen": "Zeile", "spalten": "Spalte",
    "liste": "Punkt", "gemeinden": "Gemeinde", "abweichungen": "Abweichung",
}


def label(key: str, schema: dict[str, object]) -> str:
    title = schema.get("title")
    if isinstance(title, str) and title.strip():
        return title
    if key in LABELS:
        return LABELS[key]
    return key.replace("_", " ").capitalize()


def row_label(key: str) -> str:
    return ROW_LABELS.get(key, "Eintrag")
