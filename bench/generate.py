"""Synthetic, realistic Beschlussvorlagen for the benchmark (4–5 pages each).

Built on the shipped example (``examples/beschlussvorlage.json``): the header,
Beratungsfolge, texts, tables and figures are varied with a seeded random
generator, so every run of the benchmark converts the same N documents while
no two of them are alike (LibreOffice gets no help from identical input).
"""

from __future__ import annotations

import copy
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "beschlussvorlage.json"

THEMEN = [
    ("Schwerpunkte des Kommunalen Integrationszentrums für die Jahre {j} und {k}",
     "Festlegung der Themenschwerpunkte nach der Förderrichtlinie des Landes"),
    ("Fortschreibung des Integrationskonzepts des Kreises {j}–{k}",
     "Beschluss über die Handlungsfelder und Maßnahmen"),
    ("Sprachförderung in Kindertageseinrichtungen ab {j}",
     "Ausbau der alltagsintegrierten Sprachbildung"),
    ("Bildungserstberatung für neu zugewanderte Kinder und Jugendliche {j}",
     "Verstetigung des Angebots und Personalbemessung"),
    ("Kommunales Integrationsmanagement: Case Management {j}/{k}",
     "Verwendung der Landesmittel und Stellenplan"),
    ("Förderprogramm „Zusammen im Quartier“ {j}",
     "Richtlinie für Zuwendungen an Vereine und Migrantenorganisationen"),
]
AEMTER = [
    "A 56 – Kommunales Integrationszentrum",
    "A 50 – Sozialamt",
    "A 51 – Jugendamt",
    "A 40 – Schulverwaltung",
]
GREMIEN = [
    ("Integrationsrat des Kreises Musterland", "Anhörung/Empfehlung"),
    ("Ausschuss für Soziales, Gesundheit und Integration", "Vorberatung"),
    ("Jugendhilfeausschuss", "Vorberatung"),
    ("Schulausschuss", "Empfehlung"),
    ("Finanzausschuss", "Vorberatung"),
]
ENTSCHEIDER = ["Kreisausschuss", "Kreistag"]
SAETZE = [
    "Die Verwaltung hat die Ergebnisse des Vorjahres ausgewertet und mit den Partnern erörtert.",
    "Die Zahl der Beratungen ist gegenüber dem Vorjahr um {p} % gestiegen.",
    "Im Berichtszeitraum wurden {n} Familien in {m} Kommunen des Kreises begleitet.",
    "Das Land fördert die Maßnahme nach der einschlägigen Richtlinie mit bis zu {p} % der "
    "zuwendungsfähigen Ausgaben.",
    "Die Angebote werden in enger Abstimmung mit dem Schulamt und den Trägern der freien "
    "Wohlfahrtspflege umgesetzt.",
    "Ein Zwischenbericht wird dem Ausschuss im {monat} vorgelegt.",
    "Die Maßnahmen sind mit dem vorhandenen Personal umsetzbar; Sachmittel sind im "
    "Haushaltsentwurf veranschlagt.",
    "Die Erfahrungen aus dem Modellprojekt in {m} Kommunen zeigen, dass niedrigschwellige "
    "Angebote besonders gut angenommen werden.",
    "Rund {n} Ehrenamtliche engagieren sich in den Sprachcafés und Patenschaftsprojekten.",
    "Die Wartezeit bis zur ersten Beratung konnte auf durchschnittlich {m} Wochen gesenkt werden.",
    "Für die Sprachmittlung stehen Honorarkräfte in {m} Sprachen zur Verfügung.",
    "Der Integrationsrat hat das Vorhaben in seiner letzten Sitzung ausdrücklich begrüßt.",
    "Die Zielerreichung wird jährlich anhand der vereinbarten Kennzahlen überprüft.",
    "Eine Beteiligung der kreisangehörigen Städte und Gemeinden ist über den Arbeitskreis "
    "Integration sichergestellt.",
    "Die Ergebnisse fließen in die Fortschreibung des Integrationskonzepts ein.",
]
MONATE = ["März", "Juni", "September", "November"]
ABSCHNITTE = [
    "Bisherige Ergebnisse",
    "Zielgruppen und Bedarfe",
    "Maßnahmen im Einzelnen",
    "Zusammenarbeit mit Partnern",
    "Zeitplan",
    "Evaluation",
]


def _satz(rng: random.Random) -> str:
    return rng.choice(SAETZE).format(
        p=rng.randint(5, 90), n=rng.randint(40, 2400), m=rng.randint(2, 12),
        monat=rng.choice(MONATE),
    )


def _absatz(rng: random.Random) -> str:
    return " ".join(_satz(rng) for _ in range(rng.randint(4, 6)))


def _euro(value: int) -> str:
    return f"{value:,} €".replace(",", ".")


def _beratungsfolge(rng: random.Random, datum: date) -> list[dict[str, Any]]:
    folge = []
    day = datum
    for gremium, zustaendigkeit in rng.sample(GREMIEN, rng.randint(1, 3)):
        day += timedelta(days=rng.randint(5, 20))
        folge.append({"datum": day.isoformat(), "gremium": gremium,
                      "zustaendigkeit": zustaendigkeit})
    day += timedelta(days=rng.randint(5, 20))
    folge.append({"datum": day.isoformat(), "gremium": rng.choice(ENTSCHEIDER),
                  "zustaendigkeit": "Entscheidung"})
    return folge


def _zusatz_abschnitte(rng: random.Random, start: int) -> list[Any]:
    """Extra sections after the example's Sachlage: varied text, a list and a table."""
    blocks: list[Any] = []
    for offset, titel in enumerate(rng.sample(ABSCHNITTE, 3)):
        blocks.append({"ueberschrift": f"{start + offset}. {titel}"})
        blocks.extend(_absatz(rng) for _ in range(rng.randint(1, 3)))
        if offset == 1:
            blocks.append({"liste": [_satz(rng) for _ in range(rng.randint(3, 5))]})
    rows = [[f"Maßnahme {i + 1}", _satz(rng), _euro(rng.randint(2, 90) * 500)]
            for i in range(rng.randint(3, 5))]
    blocks.append({"tabelle": {"spalten": ["Maßnahme", "Beschreibung", "Kosten"],
                               "zeilen": rows}})
    return blocks


def _finanzen(rng: random.Random, jahre: tuple[int, int]) -> list[Any]:
    personal = [rng.randint(300, 500) * 1000 + rng.randint(0, 9) * 100 for _ in jahre]
    sach = [rng.randint(20, 60) * 500 for _ in jahre]
    foerderung = rng.randint(200, 300) * 1000
    rows = [
        ["Personalaufwand", *(_euro(v) for v in personal)],
        ["Sachaufwand", *(_euro(v) for v in sach)],
        ["Zuwendung des Landes", *("− " + _euro(foerderung) for _ in jahre)],
        ["Eigenanteil des Kreises",
         *(_euro(p + s - foerderung) for p, s in zip(personal, sach, strict=True))],
    ]
    return [_absatz(rng), {"tabelle": {"spalten": ["Position", *map(str, jahre)],
                                       "zeilen": rows}}]


def beschlussvorlage(rng: random.Random, index: int, base: dict[str, Any]) -> dict[str, Any]:
    """One varied Beschlussvorlage; ``base`` is the parsed example."""
    doc = copy.deepcopy(base)
    datum = date(2025, 1, 6) + timedelta(days=rng.randint(0, 300))
    jahre = (datum.year + 1, datum.year + 2)
    betreff, hier = rng.choice(THEMEN)
    vorlage = doc["vorlage"]
    vorlage.update({
        "nummer": f"{datum.year}/{index + 100:04d}",
        "datum": datum.isoformat(),
        "betreff": betreff.format(j=jahre[0], k=jahre[1]),
        "betreff_hier": hier,
        "federfuehrend": rng.choice(AEMTER),
        "aktenzeichen": f"{rng.randint(10, 99)}.{rng.randint(10, 99)}.02-{datum.year}",
    })
    doc["beratungsfolge"] = _beratungsfolge(rng, datum)
    entscheider = doc["beratungsfolge"][-1]["gremium"]
    doc["beschlussvorschlag"] = [
        f"Der {entscheider} beschließt die in dieser Vorlage beschriebenen Maßnahmen für die "
        f"Jahre {jahre[0]} und {jahre[1]} und beauftragt die Verwaltung mit der Umsetzung.",
    ]
    sachlage = [b if not isinstance(b, str) else _absatz(rng) if rng.random() < 0.5 else b
                for b in doc["sachlage"]]
    doc["sachlage"] = sachlage + _zusatz_abschnitte(rng, start=6)
    doc["auswirkungen"]["finanziell"] = _finanzen(rng, jahre)
    doc.pop("anlagen", None)  # attachments are files; the benchmark measures render + convert
    for zeichnung in doc["freigabe"]["mitzeichnungen"]:
        zeichnung["datum"] = (datum - timedelta(days=rng.randint(1, 6))).isoformat()
    doc["freigabe"]["unterzeichnung"]["datum"] = datum.isoformat()
    return doc


def write_inputs(folder: Path, n: int, seed: int = 2025) -> list[Path]:
    """Write ``n`` input files ``vorlage-001.json``… into ``folder``; return their paths."""
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(n):
        path = folder / f"vorlage-{index + 1:03d}.json"
        data = beschlussvorlage(rng, index, base)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths
