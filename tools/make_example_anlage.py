"""Make examples/anlagen/zielerreichung-2024-2025.pdf, the PDF attachment of the example Vorlage.

Run once with ``python tools/make_example_anlage.py``; needs LibreOffice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from docx import Document
from docx.shared import Pt

from docgen.stages.convert.oneshot import OneShotConverter

ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    ("Schnellere Schulplatzvergabe", "Wartezeit ≤ 8 Wochen", "7 Wochen", "erreicht"),
    ("Fortbildungen Sprachbildung", "30 Fachkräfte", "34 Fachkräfte", "erreicht"),
    ("Elterncafés mit Sprachmittlung", "4 Termine", "3 Termine", "teilweise erreicht"),
    ("Runde Tische Arbeitsmarkt", "2 Runden", "2 Runden", "erreicht"),
]


def main() -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Liberation Sans"
    style.font.size = Pt(11)
    doc.add_heading("Kreis Musterland – Kommunales Integrationszentrum", level=1)
    doc.add_paragraph("Übersicht der Schwerpunkte 2024/2025 mit Zielerreichung (Stand 30.09.2025)")
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Ziel", "Soll", "Ist", "Bewertung"), strict=True):
        cell.text = text
    for row in ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    doc.add_paragraph()
    doc.add_paragraph("Die Elterncafés begannen wegen eines Personalwechsels erst im zweiten Quartal.")
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / "anlage.docx"
        doc.save(str(docx))
        target = ROOT / "examples" / "anlagen" / "zielerreichung-2024-2025.pdf"
        OneShotConverter("soffice", Path(tmp) / "lo", 120).convert(docx, target)
    print(f"geschrieben: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
