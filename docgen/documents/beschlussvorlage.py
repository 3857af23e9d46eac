"""Beschlussvorlage: the council submission (docs/domain.md, Beschlussvorlage).

Domain rules beyond the schema: the Beratungsfolge's Entscheidung rules by
Vorlagenart, non-decreasing consultation dates, the reason a Vorlage is not
public, and the body's Vorlagen-Nr. format.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from docgen.errors import Problem
from docgen.formatting import datum
from docgen.model import DocumentType, RenderTools
from docgen.schemas import Regel, regelwerk
from docgen.settings import Settings

ENTSCHEIDUNG = "Entscheidung"
DECIDING_ARTEN = {"Beschlussvorlage", "Dringlichkeitsvorlage"}
INFO_ARTEN = {"Mitteilungsvorlage", "Informationsvorlage", "Bericht"}
AUSWIRKUNGEN = (
    ("personell", "Personelle Auswirkungen"),
    ("finanziell", "Finanzielle/bilanzielle Auswirkungen"),
    ("sozial", "Soziale Auswirkungen"),
    ("klima", "Auswirkungen auf den Klimaschutz"),
)


def _entscheidung_rules(art: str, folge: list[Mapping[str, Any]]) -> list[Problem]:
    decisions = [i for i, b in enumerate(folge) if b["zustaendigkeit"] == ENTSCHEIDUNG]
    problems: list[Problem] = []
    if art in DECIDING_ARTEN:
        if not decisions:
            problems.append(Problem(
                "/beratungsfolge",
                f"eine Vorlage der Art „{art}“ braucht genau eine Beratung mit der Zuständigkeit „Entscheidung“ "
                "(das beschließende Gremium, als letzte Beratung). Bitte ergänzen.",
                "beratungsfolge.entscheidung_fehlt"))
        for i in decisions[1:]:
            problems.append(Problem(
                f"/beratungsfolge/{i}/zustaendigkeit",
                f"eine Vorlage der Art „{art}“ hat genau eine Entscheidung; hier steht eine weitere "
                f"(die erste in Beratung {decisions[0] + 1}). Bitte nur das beschließende "
                "Gremium mit „Entscheidung“ eintragen, die anderen mit „Vorberatung“ oder "
                "„Empfehlung“.",
                "beratungsfolge.entscheidung_mehrfach"))
        if len(decisions) == 1 and decisions[0] != len(folge) - 1:
            problems.append(Problem(
                f"/beratungsfolge/{decisions[0]}/zustaendigkeit",
                "die Entscheidung muss die letzte Beratung sein; danach folgen noch "
                f"{len(folge) - 1 - decisions[0]} Beratung(en). Bitte die Reihenfolge korrigieren.",
                "beratungsfolge.entscheidung_nicht_letzte"))
    elif art in INFO_ARTEN:
        for i in decisions:
            problems.append(Problem(
                f"/beratungsfolge/{i}/zustaendigkeit",
                f"eine Vorlage der Art „{art}“ dient nur der Kenntnisnahme und hat keine Entscheidung. "
                "Bitte „Kenntnisnahme“ eintragen oder die Vorlagenart auf „Beschlussvorlage“ ändern.",
                "beratungsfolge.entscheidung_unzulaessig"))
    return problems


def _date_rules(folge: list[Mapping[str, Any]], vorlage_datum: str) -> list[Problem]:
    problems: list[Problem] = []
    previous: tuple[int, str] | None = None
    for i, beratung in enumerate(folge):
        day = beratung["datum"]
        if day is None:
            problems.append(Problem(
                f"/beratungsfolge/{i}/datum",
                f"die Beratung im Gremium „{beratung['gremium']}“ ist noch nicht terminiert "
                "(erscheint als „offen“).", "beratungsfolge.ohne_datum", "warning"))
            continue
        if previous is not None and day < previous[1]:
            problems.append(Problem(
                f"/beratungsfolge/{i}/datum",
                f"{datum(day)} liegt vor der vorherigen Beratung ({datum(previous[1])}, "
                f"Beratung {previous[0] + 1}). Die Daten der Beratungsfolge dürfen nicht "
                "abnehmen (gleiche Tage sind erlaubt).", "beratungsfolge.datum_abnehmend"))
        elif day < vorlage_datum:
            problems.append(Problem(
                f"/beratungsfolge/{i}/datum",
                f"die Beratung am {datum(day)} liegt vor dem Datum der Vorlage "
                f"({datum(vorlage_datum)}).", "beratungsfolge.vor_vorlagedatum", "warning"))
        previous = (i, day)
    return problems


def _oeffentlich_rule(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    vorlage = data["vorlage"]
    if vorlage["oeffentlich"] or vorlage.get("begruendung_nichtoeffentlichkeit"):
        return []
    return [Problem(
        "/vorlage/begruendung_nichtoeffentlichkeit",
        "eine nichtöffentliche Vorlage braucht eine Begründung der Nichtöffentlichkeit. "
        "Bitte das Feld ergänzen oder „oeffentlich“ auf true setzen.",
        "vorlage.begruendung_fehlt")]


def _nummer_rule(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    nummer, pattern = data["vorlage"]["nummer"], settings.vorlage_nummer_pattern
    if re.fullmatch(pattern, nummer):
        return []
    return [Problem(
        "/vorlage/nummer",
        f"„{nummer}“ entspricht nicht dem Nummernformat der Körperschaft "
        f"({pattern}; Einstellung vorlage_nummer_pattern).", "vorlage.nummer_format")]


def _integrationsrat_rule(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    gremien = " ".join(b["gremium"] for b in data["beratungsfolge"])
    if "ntegration" not in data["vorlage"]["betreff"] or "Integration" in gremien:
        return []
    return [Problem(
        "/beratungsfolge",
        "die Vorlage betrifft die Integration, aber weder Integrationsrat noch "
        "Integrationsausschuss sind in der Beratungsfolge (§ 27 GO NRW).",
        "beratungsfolge.integrationsrat", "warning")]


# Each rule with the fields it reads: it runs when they passed the schema (docgen.schemas.regelwerk).
rules = regelwerk(
    Regel(lambda d, s: _entscheidung_rules(d["vorlage"]["art"], list(d["beratungsfolge"])),
          ("/vorlage/art", "/beratungsfolge")),
    Regel(lambda d, s: _date_rules(list(d["beratungsfolge"]), d["vorlage"]["datum"]),
          ("/beratungsfolge", "/vorlage/datum")),
    Regel(_oeffentlich_rule, ("/vorlage/oeffentlich", "/vorlage/begruendung_nichtoeffentlichkeit")),
    Regel(_nummer_rule, ("/vorlage/nummer",)),
    Regel(_integrationsrat_rule, ("/vorlage/betreff", "/beratungsfolge")),
)


def context(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    vorlage = dict(data["vorlage"])
    for key in ("begruendung_nichtoeffentlichkeit", "betreff_hier", "aktenzeichen", "verfasser"):
        vorlage.setdefault(key, None)
    vorlage["beteiligt"] = list(vorlage.get("beteiligt", []))
    vorlage["bezug"] = [{"nummer": z["nummer"], "betreff": z.get("betreff")} for z in vorlage.get("bezug", [])]
    auswirkungen_in = data.get("auswirkungen", {})
    auswirkungen = [
        {"titel": titel, "inhalt": tools.blocks(auswirkungen_in.get(key) or "keine", 3)}
        for key, titel in AUSWIRKUNGEN
    ]
    auswirkungen += [
        {"titel": w["titel"], "inhalt": tools.blocks(w["inhalt"], 3)}
        for w in auswirkungen_in.get("weitere", [])
    ]
    freigabe = data.get("freigabe")
    if freigabe is not None:
        unterzeichnung = {"zusatz": "", **freigabe["unterzeichnung"]}
        freigabe = {"mitzeichnungen": list(freigabe.get("mitzeichnungen", [])),
                    "unterzeichnung": unterzeichnung}
    return {
        "koerperschaft": tools.koerperschaft,
        "logo": tools.logo(),
        "vorlage": vorlage,
        "beratungsfolge": [
            {"datum": b["datum"], "gremium": b["gremium"], "zustaendigkeit": b["zustaendigkeit"],
             "top": b.get("top")}
            for b in data["beratungsfolge"]
        ],
        "beschlussvorschlag": tools.blocks(data["beschlussvorschlag"]),
        "sachlage": tools.blocks(data["sachlage"]),
        "rechtslage": tools.blocks(data["rechtslage"]) if data.get("rechtslage") else None,
        "auswirkungen": auswirkungen,
        "freigabe": freigabe,
        "anlagen": [{"nr": i + 1, "titel": a["titel"]} for i, a in enumerate(data.get("anlagen", []))],
    }


def next_consultation(data: Mapping[str, Any], today: datetime.date | None = None) -> datetime.date | None:
    """The next scheduled consultation from today on; if all are past, the last one (it is overdue)."""
    today = today or datetime.date.today()
    days = sorted(datetime.date.fromisoformat(b["datum"]) for b in data["beratungsfolge"] if b.get("datum"))
    upcoming = [d for d in days if d >= today]
    if upcoming:
        return upcoming[0]
    return days[-1] if days else None


def reference(data: Mapping[str, Any]) -> str:
    return f"Vorlage {data['vorlage']['nummer']}"


DOCUMENT = DocumentType(
    name="beschlussvorlage",
    title="Beschlussvorlage",
    schema_file="beschlussvorlage.schema.json",
    template_file="beschlussvorlage.docx",
    rules=rules,
    context=context,
    reference=reference,
    example_file="beschlussvorlage.json",
    title_of=lambda data: str(data["vorlage"]["betreff"]),
    office_of=lambda data: str(data["vorlage"]["federfuehrend"]),
    due_of=next_consultation,
)
