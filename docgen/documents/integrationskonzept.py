"""Integrationskonzept: the municipal integration concept a KI needs (§ 8 TIntG; docs/domain.md, Integrationskonzept).

The document always has the same chapters in the same order, whatever the input
holds: Einleitung und Rechtsgrundlagen, Leitbild, Bestands- und Bedarfsanalyse,
the two required Handlungsfelder and any further ones, Anbindung und
Ausgestaltung des KI, Beteiligung, Umsetzung/Monitoring/Fortschreibung. Chapter
numbers are computed here (further Handlungsfelder shift the later chapters).

A section without content is not left out but shows a visible placeholder
"[Hier ergänzen: …]" with a short guidance, so the smallest valid input is a
skeleton a clerk can fill in Word. :func:`gliederung` is the one place that
knows the outline; the render context and the warnings (one
``platzhalter.offen`` per open section) both come from it, so the document and
the list of open placeholders never disagree.

Domain warnings: no Schulaufsicht, no freie Träger, no Integrationsrat/-ausschuss
among the Beteiligten; a Kreis without its Gemeinden; Gemeinden listed for a
kreisfreie Stadt; Maßnahmen without a responsible body; duplicate Handlungsfelder;
a Träger that is not the issuing Körperschaft of the title page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docgen.errors import Problem
from docgen.formatting import datum
from docgen.model import DocumentType, RenderTools
from docgen.numbers import runden, to_decimal, zahl
from docgen.schemas import Regel, regelwerk, show
from docgen.settings import Settings

KREIS = "Kreis"
OFFEN_CODE = "platzhalter.offen"
LEER = "–"  # shown in a table cell without a value
BLOCK_HEADING_LEVEL = 3
BILDUNG = "integration_durch_bildung"
QUERSCHNITT = "integration_als_querschnittsaufgabe"
PFLICHTFELDER = ((BILDUNG, "Integration durch Bildung"), (QUERSCHNITT, "Integration als Querschnittsaufgabe"))
# The most decimals a number is printed with (a Kennzahl, a VZÄ): more is an export artefact such as
# 0.48958071805172 (rounded for print, with a warning) or a typo such as 1e-28 (refused: it would print as 0).
MAX_NACHKOMMASTELLEN = 6
ZAHL_CODE_GERUNDET = "zahl.gerundet"
ZAHL_CODE_ZU_KLEIN = "zahl.zu_klein"

# Guidance shown in the placeholder of an empty section: what usually belongs there.
HINWEIS = {
    "einleitung": "Anlass und Auftrag des Konzepts (wer hat es wann in Auftrag gegeben), wie es erarbeitet "
                  "wurde und der Zeitplan bis zum Beschluss.",
    "leitbild": "das Verständnis von Integration vor Ort und drei bis fünf Leitziele, z. B. entlang der "
                "Zieldimensionen der Teilhabe- und Integrationsstrategie 2030 des Landes (Erstintegration, "
                "Integration in die Regelsysteme, Gestaltung der Migrationsgesellschaft).",
    "indikatoren": "Kennzahlen mit Stichtag und Quelle, z. B. Bevölkerung nach Staatsangehörigkeit und "
                   "Einwanderungsgeschichte, Altersstruktur, Zuzüge und Geflüchtete, Betreuungsquoten in "
                   "Kitas, Sprachstand bei der Schuleingangsuntersuchung, Seiteneinsteigerinnen und "
                   "Seiteneinsteiger, Schulabschlüsse, SGB-II- und Arbeitslosenquote.",
    "bewertung": "Bewertung der Daten: vorhandene Angebote und Akteure, erkennbare Lücken und die Bedarfe, "
                 "aus denen die Handlungsfelder folgen.",
    BILDUNG: "die Lage entlang der Bildungskette – frühe Bildung und Kita, Schule einschließlich "
             "Seiteneinstieg, Übergang Schule–Beruf – und die Zusammenarbeit mit der unteren Schulaufsicht.",
    QUERSCHNITT: "wie die Verwaltung Integration als Aufgabe aller Fachbereiche wahrnimmt: Koordinierung, "
                 "interkulturelle Öffnung, Zusammenarbeit mit freien Trägern und Migrantenorganisationen.",
    "weitere": "Daten, vorhandene Angebote und Bedarfe im Handlungsfeld „{name}“.",
    "schwerpunkt": "das Schwerpunktthema der Querschnittsarbeit für die nächsten zwei Jahre (z. B. Arbeit, "
                   "Gesundheit, Sport oder interkulturelle Öffnung der Verwaltung) mit Zeitraum und Begründung.",
    "ziele": "zwei bis vier überprüfbare Ziele, jeweils mit Indikator, Zielwert und Frist.",
    "massnahmen": "Maßnahmen zu den Zielen, jeweils mit Verantwortlichen, Partnern und Zeitraum.",
    "anbindung": "wo das Kommunale Integrationszentrum in der Verwaltung angesiedelt ist (z. B. Stabsstelle, "
                 "Amt oder Fachbereich), wer es leitet und an wen es berichtet.",
    "personal": "die Stellen des Zentrums mit Vollzeitäquivalenten, z. B. Leitung, pädagogische Fachkräfte, "
                "Verwaltungsassistenz und vom Land abgeordnete Lehrkräfte.",
    "raeume": "Räume, Sachausstattung und Sachmittel, die der Träger für das Zentrum bereitstellt.",
    "aufgaben": "die Aufgaben des Zentrums in den Handlungsfeldern und wie es mit Verwaltung, Schulen und "
                "Partnern zusammenarbeitet.",
    "beteiligung": "wer an der Erarbeitung beteiligt war und in welcher Form – insbesondere untere "
                   "Schulaufsicht, Jugendhilfe, Wohlfahrtsverbände, Migrantenorganisationen, Integrationsrat "
                   "bzw. -ausschuss und bei Kreisen die kreisangehörigen Städte und Gemeinden.",
    "monitoring": "wer die Umsetzung steuert, woran der Fortschritt gemessen wird, wann Rat bzw. Kreistag und "
                  "Integrationsrat berichtet wird und in welchem Turnus das Konzept fortgeschrieben wird.",
}


@dataclass(frozen=True)
class Abschnitt:
    """One heading of the outline; ``hinweis`` is set where the section may still be open."""

    key: str  # e.g. "leitbild", "hf1_ziele", "zentrum_personal"
    titel: str  # the numbered heading, e.g. "5.3 Ziele"
    pfad: str  # JSON pointer of the input that fills the section
    hinweis: str | None = None
    gefuellt: bool = True

    @property
    def offen(self) -> bool:
        return self.hinweis is not None and not self.gefuellt

    @property
    def platzhalter(self) -> str:
        return f"[Hier ergänzen: {self.hinweis}]"


@dataclass(frozen=True)
class Feld:
    """A Handlungsfeld as it appears in the document."""

    pfad: str  # e.g. "/handlungsfelder/weitere/0"
    name: str
    daten: Mapping[str, Any]
    hinweis: str  # the guidance for its Ausgangslage
    querschnitt: bool = False


def vorhanden(value: Any) -> bool:
    """Whether an input value holds content (absent, blank text and empty lists do not)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Sequence | Mapping):
        return len(value) > 0
    return True


def felder(data: Mapping[str, Any]) -> list[Feld]:
    """The two required Handlungsfelder, then the further ones, in document order."""
    hf = data["handlungsfelder"]
    result = [
        Feld(f"/handlungsfelder/{key}", name, hf[key], HINWEIS[key], key == QUERSCHNITT)
        for key, name in PFLICHTFELDER
    ]
    result += [
        Feld(f"/handlungsfelder/weitere/{i}", w["name"], w, HINWEIS["weitere"].format(name=w["name"]))
        for i, w in enumerate(hf.get("weitere", []))
    ]
    return result


def _feld_abschnitte(nr: int, index: int, feld: Feld) -> list[Abschnitt]:
    daten, key = feld.daten, f"hf{index}"
    parts = [("ausgangslage", "Ausgangslage", feld.hinweis)]
    if feld.querschnitt:
        parts.append(("schwerpunkt", "Schwerpunkt der Querschnittsarbeit", HINWEIS["schwerpunkt"]))
    parts += [("ziele", "Ziele", HINWEIS["ziele"]), ("massnahmen", "Maßnahmen", HINWEIS["massnahmen"])]
    result = [Abschnitt(key, f"{nr} Handlungsfeld {feld.name}", feld.pfad)]
    for sub, (name, titel, hinweis) in enumerate(parts, start=1):
        result.append(Abschnitt(f"{key}_{name}", f"{nr}.{sub} {titel}", f"{feld.pfad}/{name}", hinweis,
                                vorhanden(daten.get(name))))
    return result


def gliederung(data: Mapping[str, Any]) -> list[Abschnitt]:
    """Every heading of the document in order, with its number and whether it is still open."""
    ausgangslage = data.get("ausgangslage", {})
    zentrum = data["zentrum"]
    result = [
        Abschnitt("einleitung", "1 Einleitung und Rechtsgrundlagen", ""),
        Abschnitt("einleitung_auftrag", "1.1 Anlass und Auftrag", "/einleitung", HINWEIS["einleitung"],
                  vorhanden(data.get("einleitung"))),
        Abschnitt("einleitung_recht", "1.2 Rechtsgrundlagen", ""),
        Abschnitt("leitbild", "2 Leitbild und Leitziele", "/leitbild", HINWEIS["leitbild"],
                  vorhanden(data.get("leitbild"))),
        Abschnitt("analyse", "3 Bestands- und Bedarfsanalyse", "/ausgangslage"),
        Abschnitt("analyse_indikatoren", "3.1 Datengrundlage und Kennzahlen", "/ausgangslage/indikatoren",
                  HINWEIS["indikatoren"], vorhanden(ausgangslage.get("indikatoren"))),
        Abschnitt("analyse_bewertung", "3.2 Bewertung und Bedarfe", "/ausgangslage/text", HINWEIS["bewertung"],
                  vorhanden(ausgangslage.get("text"))),
    ]
    nr = 4
    for index, feld in enumerate(felder(data)):
        result += _feld_abschnitte(nr, index, feld)
        nr += 1
    result.append(Abschnitt("zentrum", f"{nr} Anbindung und Ausgestaltung des Kommunalen Integrationszentrums",
                            "/zentrum"))
    for sub, (name, titel) in enumerate((("anbindung", "Organisatorische Anbindung"),
                                         ("personal", "Personelle Ausstattung"),
                                         ("raeume", "Räume und Sachausstattung"),
                                         ("aufgaben", "Aufgaben und Arbeitsweise")), start=1):
        result.append(Abschnitt(f"zentrum_{name}", f"{nr}.{sub} {titel}", f"/zentrum/{name}", HINWEIS[name],
                                vorhanden(zentrum.get(name))))
    result += [
        Abschnitt("beteiligung", f"{nr + 1} Beteiligung", "/beteiligung", HINWEIS["beteiligung"],
                  vorhanden(data.get("beteiligung"))),
        Abschnitt("monitoring", f"{nr + 2} Umsetzung, Monitoring und Fortschreibung", "/monitoring",
                  HINWEIS["monitoring"], vorhanden(data.get("monitoring"))),
    ]
    return result


# --- domain rules --------------------------------------------------------------------------------


def _beteiligung_rules(data: Mapping[str, Any]) -> list[Problem]:
    typen = {b["typ"] for b in data.get("beteiligung", [])}
    problems: list[Problem] = []
    if "Schulaufsicht" not in typen:
        problems.append(Problem(
            "/beteiligung",
            "die untere Schulaufsicht (Schulamt) ist nicht unter den Beteiligten. Das Kommunale "
            "Integrationszentrum arbeitet mit ihr zusammen (§ 8 TIntG); bitte ergänzen (typ „Schulaufsicht“).",
            "beteiligung.schulaufsicht_fehlt", "warning"))
    if data["traeger"]["typ"] == KREIS and "kreisangehörige Gemeinde" not in typen:
        problems.append(Problem(
            "/beteiligung",
            "der Kreis hat keine kreisangehörige Stadt oder Gemeinde beteiligt. Das Konzept entsteht im "
            "Einvernehmen mit ihnen (§ 8 TIntG) und ist Grundlage der Zusammenarbeit im Kommunalen "
            "Integrationsmanagement (§ 9 Abs. 2 TIntG); bitte ergänzen (typ „kreisangehörige Gemeinde“).",
            "beteiligung.gemeinden_fehlen", "warning"))
    if "Integrationsrat/-ausschuss" not in typen:
        problems.append(Problem(
            "/beteiligung",
            "weder ein Integrationsrat noch ein Integrationsausschuss (§ 27 GO NRW) ist beteiligt; "
            "bitte ergänzen (typ „Integrationsrat/-ausschuss“).",
            "beteiligung.integrationsrat_fehlt", "warning"))
    if not typen & {"Wohlfahrtsverband", "Migrantenorganisation"}:
        problems.append(Problem(
            "/beteiligung",
            "keine freien Träger (Wohlfahrtsverbände, Migrantenorganisationen) sind beteiligt; das Konzept "
            "soll die Zusammenarbeit mit ihnen vorsehen (§ 8 TIntG).",
            "beteiligung.freie_traeger_fehlen", "warning"))
    return problems


def _traeger_rules(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    traeger = data["traeger"]
    problems: list[Problem] = []
    if traeger["typ"] != KREIS and traeger.get("gemeinden"):
        problems.append(Problem(
            "/traeger/gemeinden",
            "eine kreisfreie Stadt hat keine kreisangehörigen Gemeinden; die Liste erscheint nicht im "
            "Dokument. Bitte entfernen oder den typ auf „Kreis“ ändern.",
            "traeger.gemeinden_unerwartet", "warning"))
    herausgeber = (data.get("koerperschaft") or {}).get("name") or settings.koerperschaft.name
    if herausgeber != traeger["name"]:
        problems.append(Problem(
            "/traeger/name",
            f"„{traeger['name']}“ ist nicht die Körperschaft „{herausgeber}“, die auf dem Titelblatt als "
            "Herausgeberin steht. Bitte das Feld „koerperschaft“ oder die Einstellung [koerperschaft] angleichen.",
            "traeger.koerperschaft_abweichend", "warning"))
    return problems


def _feld_rules(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for feld in felder(data):
        key = feld.name.strip().casefold()
        if key in seen:
            problems.append(Problem(
                f"{feld.pfad}/name",
                f"das Handlungsfeld „{feld.name}“ steht bereits unter {seen[key]}. Bitte zusammenführen.",
                "handlungsfeld.doppelt", "warning"))
        seen.setdefault(key, feld.pfad)
        for i, massnahme in enumerate(feld.daten.get("massnahmen", [])):
            if not massnahme.get("verantwortlich"):
                problems.append(Problem(
                    f"{feld.pfad}/massnahmen/{i}/verantwortlich",
                    f"für die Maßnahme „{massnahme['titel']}“ ist niemand verantwortlich; bitte ergänzen.",
                    "massnahme.verantwortlich_fehlt", "warning"))
    return problems


def nachkommastellen(value: Any) -> int:
    """The decimals of a number as written, trailing zeros included: 12.60 → 2, 31400 → 0, 1E-28 → 28."""
    exponent = to_decimal(value).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _gedruckte_zahlen(data: Mapping[str, Any]) -> list[tuple[str, Decimal]]:
    """Every number the document prints from the input, with its JSON pointer (Kennzahlen, VZÄ)."""
    result = [(f"/ausgangslage/indikatoren/{i}/wert", to_decimal(row["wert"]))
              for i, row in enumerate(data.get("ausgangslage", {}).get("indikatoren", []))
              if not isinstance(row["wert"], str)]
    result += [(f"/zentrum/personal/{i}/vzae", to_decimal(p["vzae"]))
               for i, p in enumerate(data["zentrum"].get("personal", []))]
    return result


def _zahlen_rules(data: Mapping[str, Any]) -> list[Problem]:
    """A number with more decimals than are printed: rounded with a warning, or refused if it would print as 0."""
    problems: list[Problem] = []
    for pfad, wert in _gedruckte_zahlen(data):
        stellen = nachkommastellen(wert)
        if stellen <= MAX_NACHKOMMASTELLEN:
            continue
        gedruckt = zahl(wert, MAX_NACHKOMMASTELLEN)
        if wert and not runden(wert, MAX_NACHKOMMASTELLEN):
            problems.append(Problem(
                pfad,
                f"die Zahl {show(wert)} hat {stellen} Nachkommastellen; gedruckt werden höchstens "
                f"{MAX_NACHKOMMASTELLEN}, so erschiene sie als {gedruckt}. Bitte den Wert prüfen (Tippfehler?) "
                f"und mit höchstens {MAX_NACHKOMMASTELLEN} Nachkommastellen angeben.",
                ZAHL_CODE_ZU_KLEIN))
        else:
            problems.append(Problem(
                pfad,
                f"die Zahl {show(wert)} hat {stellen} Nachkommastellen; gedruckt werden höchstens "
                f"{MAX_NACHKOMMASTELLEN}, daher erscheint sie gerundet als {gedruckt}.",
                ZAHL_CODE_GERUNDET, "warning"))
    return problems


def offene_platzhalter(data: Mapping[str, Any]) -> list[Problem]:
    """One warning per section that still shows a placeholder, in document order."""
    return [
        Problem(a.pfad, f"Kapitel „{a.titel}“ ist noch offen: {a.platzhalter}", OFFEN_CODE, "warning")
        for a in gliederung(data) if a.offen
    ]


# Each rule with the fields it reads: it runs when they passed the schema (docgen.schemas.regelwerk).
rules = regelwerk(
    Regel(lambda d, s: offene_platzhalter(d), ("",)),  # the outline reads the whole document
    Regel(_traeger_rules, ("/traeger", "/koerperschaft")),
    Regel(lambda d, s: _beteiligung_rules(d), ("/beteiligung", "/traeger/typ")),
    Regel(lambda d, s: _feld_rules(d), ("/handlungsfelder",)),
    Regel(lambda d, s: _zahlen_rules(d), ("/ausgangslage/indikatoren", "/zentrum/personal")),
)


# --- render context ------------------------------------------------------------------------------


def aufzaehlung(items: Iterable[str]) -> str:
    """``["A", "B", "C"]`` → ``"A, B und C"``."""
    names = list(items)
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " und " + names[-1]


def zahl_wie_eingegeben(value: Any) -> str:
    """A number in German notation with the decimals the input had: 12.60 → 12,60; 31400 → 31.400.

    At most :data:`MAX_NACHKOMMASTELLEN` decimals, rounded half-up (the rules warn about it).
    """
    return zahl(value, min(nachkommastellen(value), MAX_NACHKOMMASTELLEN))


def noetige_nachkommastellen(values: Iterable[Any], mindestens: int = 1) -> int:
    """The decimals a column of numbers needs: as many as its most precise value (trailing zeros do not
    count), at least ``mindestens``, at most :data:`MAX_NACHKOMMASTELLEN`."""
    needed = [_signifikante_nachkommastellen(to_decimal(v)) for v in values]
    return min(max([mindestens, *needed]), max(mindestens, MAX_NACHKOMMASTELLEN))


def _signifikante_nachkommastellen(number: Decimal) -> int:
    """The decimals without trailing zeros: 0.750 → 2, 1E+2 → 0 (exact, unlike a context-bound normalize())."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    nullen = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + nullen))


def frist(value: str) -> str:
    """An ISO date is printed as TT.MM.JJJJ; any other text (\"2027\", \"Ende 2026\") as written."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datum(value)
        except ValueError:
            return value
    return value


def _indikatoren(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    result, previous = [], None
    for row in rows:
        wert = row["wert"]
        shown = wert if isinstance(wert, str) else zahl_wie_eingegeben(wert)
        if row.get("einheit"):
            shown += "\u00a0" + row["einheit"]
        result.append({
            "bereich": row["bereich"] if row["bereich"] != previous else None,  # a group row when it changes
            "name": row["name"], "wert": shown,
            "jahr": str(row["jahr"]) if "jahr" in row else LEER, "quelle": row.get("quelle") or LEER,
        })
        previous = row["bereich"]
    return result


TEILE = ("ausgangslage", "schwerpunkt", "ziele", "massnahmen")


def _feld_context(index: int, feld: Feld, tools: RenderTools, outline: Mapping[str, Abschnitt]) -> dict[str, Any]:
    key, daten = f"hf{index}", feld.daten
    schwerpunkt = daten.get("schwerpunkt") if feld.querschnitt else None
    if schwerpunkt is not None:
        schwerpunkt = {"thema": schwerpunkt["thema"], "zeitraum": schwerpunkt.get("zeitraum"),
                       "begruendung": _blocks(tools, schwerpunkt.get("begruendung"))}
    return {
        "titel": outline[key].titel,
        # Only the Querschnitt field has a Schwerpunkt section; elsewhere its title is None.
        "kapitel": {t: outline[f"{key}_{t}"].titel if f"{key}_{t}" in outline else None for t in TEILE},
        "offen": {t: _offen(outline, f"{key}_{t}") for t in TEILE},
        "querschnitt": feld.querschnitt,
        "ausgangslage": _blocks(tools, daten.get("ausgangslage")),
        "schwerpunkt": schwerpunkt,
        "ziele": [{"text": z["text"], "indikator": z.get("indikator") or LEER,
                   "zielwert": z.get("zielwert") or LEER, "frist": frist(z["frist"]) if z.get("frist") else LEER}
                  for z in daten.get("ziele", [])],
        "massnahmen": [{"titel": m["titel"], "verantwortlich": m.get("verantwortlich") or LEER,
                        "partner": ", ".join(m.get("partner", [])) or LEER, "zeitraum": m.get("zeitraum") or LEER}
                       for m in daten.get("massnahmen", [])],
    }


def _offen(outline: Mapping[str, Abschnitt], key: str) -> str | None:
    abschnitt = outline.get(key)
    return abschnitt.platzhalter if abschnitt is not None and abschnitt.offen else None


def _blocks(tools: RenderTools, value: Any) -> Any:
    """Rich text as a sub-document, or None for an open section; its own headings sit below the numbered ones."""
    return tools.blocks(value, BLOCK_HEADING_LEVEL) if vorhanden(value) else None


def _geltungsbereich(traeger: Mapping[str, Any]) -> str:
    if traeger["typ"] != KREIS:
        return f"{traeger['name']} (kreisfreie Stadt)"
    gemeinden = traeger.get("gemeinden", [])
    if not gemeinden:
        return f"{traeger['name']} mit den kreisangehörigen Städten und Gemeinden"
    return f"{traeger['name']} mit den kreisangehörigen Städten und Gemeinden {aufzaehlung(gemeinden)}"


def _zentrum(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    zentrum = data["zentrum"]
    personal = zentrum.get("personal", [])
    # One number of decimals for the whole VZÄ column, so the commas line up (1,00 / 0,75 / 9,75).
    n = noetige_nachkommastellen([p["vzae"] for p in personal])
    # The sum of the printed values, so the column adds up (they differ only beyond MAX_NACHKOMMASTELLEN).
    gedruckt = [runden(p["vzae"], n) for p in personal]
    return {
        "anbindung": _blocks(tools, zentrum.get("anbindung")),
        "personal": [{"stellenart": p["stellenart"], "vzae": zahl(wert, n),
                      "finanzierung": p.get("finanzierung") or LEER}
                     for p, wert in zip(personal, gedruckt, strict=True)],
        "vzae_summe": zahl(sum(gedruckt, Decimal(0)), n),
        "raeume": _blocks(tools, zentrum.get("raeume")),
        "aufgaben": _blocks(tools, zentrum.get("aufgaben")),
    }


def _kopf(data: Mapping[str, Any]) -> dict[str, Any]:
    traeger, stand = data["traeger"], data["stand"]
    beschluss = stand.get("beschluss")
    freigabe = data.get("freigabe")
    return {
        "traeger": {"name": traeger["name"], "typ": traeger["typ"], "kreis": traeger["typ"] == KREIS,
                    "geltungsbereich": _geltungsbereich(traeger)},
        "stand": {"version": stand["version"], "datum": stand["datum"],
                  "beschluss": None if beschluss is None else {
                      "gremium": beschluss["gremium"], "datum": beschluss["datum"],
                      "vorlage": beschluss.get("vorlage")}},
        "freigabe": None if freigabe is None else {"datum": freigabe["unterzeichnung"]["datum"]},
        "anlagen": [{"nr": i + 1, "titel": a["titel"]} for i, a in enumerate(data.get("anlagen", []))],
    }


def context(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    outline = {a.key: a for a in gliederung(data)}
    ausgangslage = data.get("ausgangslage", {})
    return _kopf(data) | {
        "koerperschaft": tools.koerperschaft,
        "logo": tools.logo(),
        "kapitel": {key: a.titel for key, a in outline.items() if not key.startswith("hf")},
        "offen": {key: _offen(outline, key) for key in outline if not key.startswith("hf")},
        "vorwort": _blocks(tools, data.get("vorwort")),
        "einleitung": _blocks(tools, data.get("einleitung")),
        "leitbild": _blocks(tools, data.get("leitbild")),
        "analyse": {"stichtag": ausgangslage.get("stichtag"),
                    "indikatoren": _indikatoren(ausgangslage.get("indikatoren", [])),
                    "bewertung": _blocks(tools, ausgangslage.get("text"))},
        "handlungsfelder": [_feld_context(i, f, tools, outline) for i, f in enumerate(felder(data))],
        "zentrum": _zentrum(data, tools),
        "beteiligung": [{"akteur": b["akteur"], "typ": b["typ"], "form": b.get("form") or LEER}
                        for b in data.get("beteiligung", [])],
        "monitoring": _blocks(tools, data.get("monitoring")),
    }


def reference(data: Mapping[str, Any]) -> str:
    """E.g. "Kreis Musterland, Version 0.3, Stand 15.09.2025"; bundles put the title in front of it."""
    stand = data["stand"]
    return f"{data['traeger']['name']}, Version {stand['version']}, Stand {datum(stand['datum'])}"


DOCUMENT = DocumentType(
    name="integrationskonzept",
    title="Integrationskonzept",
    schema_file="integrationskonzept.schema.json",
    template_file="integrationskonzept.docx",
    rules=rules,
    context=context,
    reference=reference,
    example_file="integrationskonzept.json",
    title_of=lambda data: f"Integrationskonzept {data['traeger']['name']}",
)
