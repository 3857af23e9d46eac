"""The main document and its Freigabevermerk converted in one LibreOffice load (``pipeline._signoff_in_one``).

Every job runs through the real pipeline and a real warm pool; the pool is only watched (which of its
two ways converted what), never replaced. What the bundle shows must not depend on the way: page ranges
of the Freigabevermerk, the main document's "Seite x von y", the single PDFs beside the bundle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from docgen.intake.procpool import JobProcesses
from docgen.pipeline import run_job
from docgen.settings import Settings
from docgen.stages.convert import Split
from docgen.stages.convert.pool import LibreOfficePool
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, load_example, one_worker_pool

pytestmark = pytest.mark.slow


class WatchedPool:
    """The real pool, with a list of what went through which of its two ways."""

    def __init__(self, pool: LibreOfficePool) -> None:
        self.pool = pool
        self.calls: list[tuple[str, str]] = []

    def convert(self, docx: Path, pdf: Path) -> int:
        self.calls.append(("einzeln", docx.name))
        return self.pool.convert(docx, pdf)

    def convert_split(self, docx: Path, pdf: Path, split: Split) -> tuple[int, int] | None:
        self.calls.append(("zusammen", docx.name))
        return self.pool.convert_split(docx, pdf, split)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOfficePool]:
    """One real warm LibreOffice worker, as the pipeline converts with."""
    yield from one_worker_pool(tmp_path_factory)


@pytest.fixture
def job(tmp_path: Path, pool: LibreOfficePool) -> Any:
    """Run one input through the pipeline: (receipt, output folder, the pool's calls)."""
    (tmp_path / "anlagen").mkdir()
    (tmp_path / "anlagen" / "ziele.pdf").write_bytes((EXAMPLES / "anlagen" / "zielerreichung-2024-2025.pdf")
                                                      .read_bytes())
    settings = Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)

    def run(data: dict[str, Any], name: str = "vorlage") -> tuple[dict[str, Any], Path, list[tuple[str, str]]]:
        source = tmp_path / f"{name}.json"
        source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        watched = WatchedPool(pool)
        result = run_job(source, tmp_path / "out", settings, watched)
        assert result.receipt is not None
        return json.loads(result.receipt.read_text(encoding="utf-8")), tmp_path / "out", watched.calls

    return run


def texts(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


def contents_rows(signoff_text: str) -> list[str]:
    """The lines of the Freigabevermerk's table of contents, as "label … pages"."""
    found = re.search(r"Nr\. Dokument Seiten (.*?) Mitzeichnungen", signoff_text)
    assert found, signoff_text
    return [row.strip() for row in re.split(r"(?=\b(?:Hauptdokument|Anlage \d+|Freigabevermerk) )", found.group(1))
            if row.strip()]


def with_anlagen(count: int, **anlage: Any) -> dict[str, Any]:
    data = load_example()
    data["anlagen"] = [{"titel": f"Zielerreichung Teil {i + 1}", "datei": "anlagen/ziele.pdf", **anlage}
                       for i in range(count)]
    return data


def test_document_and_freigabevermerk_are_converted_in_one_load(job: Any) -> None:
    receipt, out, calls = job(with_anlagen(2))
    assert calls == [("zusammen", "vorlage+freigabevermerk.docx")]
    main = texts(out / "vorlage" / "vorlage.pdf")
    pages = len(main)
    assert pages >= 2
    for number, text in enumerate(main, start=1):  # counts its own pages, not the Freigabevermerk's
        assert text.endswith(f"Vorlage 2025/0412 – Seite {number} von {pages}"), text[-80:]
    [signoff] = texts(out / "vorlage" / "freigabevermerk.pdf")
    assert "Vorlage 2025/0412 – Seite" not in signoff  # no footer of the Vorlage
    assert contents_rows(signoff) == [
        f"Hauptdokument Beschlussvorlage – Vorlage 2025/0412 1–{pages}",
        f"Anlage 1 Zielerreichung Teil 1 {pages + 1}",
        f"Anlage 2 Zielerreichung Teil 2 {pages + 2}",
        f"Freigabevermerk dieser Vermerk {pages + 3}"]
    assert [(row["nr"], row["seiten"]) for row in receipt["inhalt"]] == [
        ("Hauptdokument", [1, pages]), ("Anlage 1", [pages + 1] * 2), ("Anlage 2", [pages + 2] * 2),
        ("Freigabevermerk", [pages + 3] * 2)]
    bundle = texts(out / "vorlage.pdf")
    assert bundle[:pages] == main and bundle[-1] == signoff
    assert receipt["pruefungen"]["tagging"] == {"getaggt": True, "befunde": []}
    assert receipt["pruefungen"]["pdfa"]["ergebnis"] == "bestanden"


def test_a_freigabevermerk_of_two_pages_names_both(job: Any) -> None:
    data = with_anlagen(1)
    data["freigabe"]["mitzeichnungen"] = [
        {"rolle": f"Fachbereich {i}", "name": f"M. Mitzeichnende {i}", "datum": "2025-10-14"} for i in range(60)]
    receipt, out, calls = job(data)
    assert calls == [("zusammen", "vorlage+freigabevermerk.docx")]
    main = len(texts(out / "vorlage" / "vorlage.pdf"))
    signoff = texts(out / "vorlage" / "freigabevermerk.pdf")
    assert len(signoff) == 2
    assert contents_rows(signoff[0])[-1] == f"Freigabevermerk dieser Vermerk {main + 2}–{main + 3}"
    assert receipt["inhalt"][-1]["seiten"] == [main + 2, main + 3]


def test_the_internal_bundle_gets_its_own_freigabevermerk(job: Any) -> None:
    data = with_anlagen(2)
    data["anlagen"][0]["oeffentlich"] = False
    _receipt, out, calls = job(data)
    # The public bundle's Freigabevermerk with the document, the internal one on its own.
    assert calls == [("zusammen", "vorlage+freigabevermerk.docx"), ("einzeln", "freigabevermerk-intern.docx")]
    main = len(texts(out / "vorlage" / "vorlage.pdf"))
    [public] = texts(out / "vorlage" / "freigabevermerk.pdf")
    [internal] = texts(out / "vorlage" / "freigabevermerk-intern.pdf")
    assert contents_rows(public) == [
        f"Hauptdokument Beschlussvorlage – Vorlage 2025/0412 1–{main}",
        f"Anlage 2 Zielerreichung Teil 2 {main + 1}",
        "Anlage 1 Zielerreichung Teil 1 (nicht öffentlich: nur im internen Paket) –",
        f"Freigabevermerk dieser Vermerk {main + 2}"]
    assert contents_rows(internal)[-1] == f"Freigabevermerk dieser Vermerk {main + 3}"


def test_a_title_that_holds_a_marker_is_printed_as_written(job: Any) -> None:
    data = with_anlagen(2)
    data["anlagen"][1]["titel"] = "Liste #1# der Träger"  # the text the first page range is marked with
    _receipt, out, calls = job(data)
    assert calls == [("einzeln", "vorlage.docx"), ("einzeln", "freigabevermerk.docx")]  # part by part
    main = len(texts(out / "vorlage" / "vorlage.pdf"))
    [signoff] = texts(out / "vorlage" / "freigabevermerk.pdf")
    assert contents_rows(signoff) == [
        f"Hauptdokument Beschlussvorlage – Vorlage 2025/0412 1–{main}",
        f"Anlage 1 Zielerreichung Teil 1 {main + 1}",
        f"Anlage 2 Liste #1# der Träger {main + 2}",
        f"Freigabevermerk dieser Vermerk {main + 3}"]


def test_templates_that_cannot_be_merged_are_converted_part_by_part(job: Any) -> None:
    # The Integrationskonzept's Heading 1 differs from the Freigabevermerk's: merging would change one of them.
    receipt, out, calls = job(load_example("integrationskonzept"), "konzept")
    assert "freigabe" not in load_example("integrationskonzept")  # a draft: the watermark is converted too
    assert calls == [("einzeln", "konzept.docx"), ("einzeln", "freigabevermerk.docx"), ("einzeln", "entwurf.docx")]
    main = len(texts(out / "konzept-ENTWURF" / "konzept.pdf"))
    assert receipt["inhalt"][-1] == {"nr": "Freigabevermerk", "titel": "Freigabevermerk",
                                     "seiten": [main + 1, main + 1]}


def test_job_processes_convert_through_the_parents_pool_in_one_load(tmp_path: Path) -> None:
    """The daemon's and ``render --workers``' way: the split request crosses the socket to the parent's pool."""
    (tmp_path / "anlagen").mkdir()
    (tmp_path / "anlagen" / "ziele.pdf").write_bytes((EXAMPLES / "anlagen" / "zielerreichung-2024-2025.pdf")
                                                      .read_bytes())
    sources = []
    for count in (1, 2):
        source = tmp_path / f"vorlage-{count}.json"
        source.write_text(json.dumps(with_anlagen(count), ensure_ascii=False), encoding="utf-8")
        sources.append(source)
    settings = Settings(state_dir=tmp_path / "state", workers=1, koerperschaft=SAMPLE_KOERPERSCHAFT)
    with JobProcesses(settings) as processes:
        results = [future.result() for future in [processes.render(s, tmp_path / "out") for s in sources]]
    for count, result in zip((1, 2), results, strict=True):
        assert not isinstance(result, Exception), result
        folder = tmp_path / "out" / f"vorlage-{count}"
        main = texts(folder / f"vorlage-{count}.pdf")
        assert main[-1].endswith(f"Seite {len(main)} von {len(main)}")
        [signoff] = texts(folder / "freigabevermerk.pdf")
        assert contents_rows(signoff)[-1] == f"Freigabevermerk dieser Vermerk {len(main) + count + 1}"
