"""The bundle's structure tree (tagging) and the Anlage mark, read back with pypdf, pdfinfo and pdffonts.

Parts are the project's example Anlage (a tagged LibreOffice PDF/A-2b, used twice as if it were
docgen's own document and the sign-off page) and an untagged PDF made with pypdf; no
LibreOffice run is needed.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader, PdfWriter

import docgen.stages.assemble as assemble_module
from docgen.pdfa import check_pdfa
from docgen.stages.assemble import (
    STAMP_CHARACTERS,
    BundleEntry,
    BundleMeta,
    assemble_bundle,
    page_count,
    stamp_text,
)

ROOT = Path(__file__).resolve().parents[2]
TAGGED = ROOT / "examples" / "anlagen" / "zielerreichung-2024-2025.pdf"
META = BundleMeta(title="Schwerpunkte 2026/2027", subject="Vorlage 2025/0412", author="Kreis Musterland – A 56",
                  created=dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC), creator="docgen test",
                  producer="docgen test")


def untagged(out: Path, pages: int = 2) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def entries(tmp_path: Path) -> list[BundleEntry]:
    plan = untagged(tmp_path / "plan.pdf")
    return [BundleEntry("Hauptdokument", "Beschlussvorlage", TAGGED, page_count(TAGGED)),
            BundleEntry("Anlage 1", "Lageplan", plan, page_count(plan)),
            BundleEntry("Anlage 2", "Zielerreichung", TAGGED, page_count(TAGGED)),
            BundleEntry("Freigabevermerk", "Freigabevermerk", TAGGED, page_count(TAGGED))]


def parent_tree(root: Any) -> dict[int, Any]:
    nums = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    return {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}


def elements_with_content(root: Any) -> list[Any]:
    found, stack = [], [root["/StructTreeRoot"]]
    while stack:
        elem = stack.pop().get_object()
        kids = elem.get("/K")
        kids = kids if isinstance(kids, list) else ([kids] if kids is not None else [])
        if any(isinstance(k, int) for k in kids):
            found.append(elem)
        stack.extend(k for k in kids if not isinstance(k, int))
    return found


def test_bundle_is_tagged_with_every_tagged_page_reachable(tmp_path: Path) -> None:
    parts = entries(tmp_path)
    done = assemble_bundle(parts, META, tmp_path / "bundle.pdf", None)
    assert done.tagged is True
    assert done.tagging_findings == ["Anlage 1 „Lageplan“: ohne Tags (Barrierefreiheit), unverändert übernommen"]
    info = subprocess.run(["pdfinfo", str(done.path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    reader = PdfReader(done.path)
    root: Any = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert root["/Lang"] == "de-DE"
    # one Document with a Part per tagged part, in bundle order
    document = root["/StructTreeRoot"]["/K"][0].get_object()
    assert document["/S"] == "/Document"
    assert [k.get_object()["/T"] for k in document["/K"]] == [
        "Hauptdokument „Beschlussvorlage“", "Anlage 2 „Zielerreichung“", "Freigabevermerk"]
    assert all(k.get_object()["/P"].get_object() is document for k in document["/K"])
    # each page's StructParents is its own key; the parent tree maps each MCID back to an element on that page
    tree = parent_tree(root)
    page_numbers = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    keys = [reader.pages[i].get("/StructParents") for i in range(len(reader.pages))]
    assert keys[1] is None and keys[2] is None  # the untagged Anlage
    tagged_keys = [k for k in keys if k is not None]
    assert len(set(tagged_keys)) == len(tagged_keys) == 3
    for i, key in enumerate(keys):
        if key is None:
            continue
        for elem in tree[int(key)]:
            if elem is not None and hasattr(elem, "get"):
                assert page_numbers[elem.get_object().raw_get("/Pg").idnum] == i
    reached = {page_numbers[e.raw_get("/Pg").idnum] for e in elements_with_content(root)}
    assert reached == {0, 3, 4}
    assert root["/StructTreeRoot"]["/RoleMap"]
    # the PDF/A identification stays
    assert check_pdfa(done.path)["ergebnis"] == "bestanden"


def test_untagged_main_document_makes_the_bundle_untagged(tmp_path: Path) -> None:
    plain = untagged(tmp_path / "plain.pdf", 1)
    parts = [BundleEntry("Hauptdokument", "Vorlage", plain, 1),
             BundleEntry("Freigabevermerk", "Freigabevermerk", TAGGED, page_count(TAGGED))]
    done = assemble_bundle(parts, META, tmp_path / "bundle.pdf", None)
    assert done.tagged is False
    assert done.tagging_findings == ["Hauptdokument „Vorlage“: ohne Tags (Barrierefreiheit), unverändert übernommen"]


def test_anlage_pages_carry_the_mark_as_an_artifact(tmp_path: Path) -> None:
    done = assemble_bundle(entries(tmp_path), META, tmp_path / "bundle.pdf", None)
    reader = PdfReader(done.path)
    texts = [page.extract_text() for page in reader.pages]
    assert ["Anlage 1 zur Vorlage 2025/0412" in t for t in texts] == [False, True, True, False, False]
    assert "Anlage 2 zur Vorlage 2025/0412" in texts[3]
    for page in reader.pages[1:4]:
        last = page["/Contents"][-1].get_object().get_data()
        assert b"/Artifact" in last and b"BDC" in last and b"EMC" in last
        assert page["/Contents"][0].get_object().get_data() == b"q\n"
    fonts = subprocess.run(["pdffonts", str(done.path)], capture_output=True, text=True, check=True).stdout
    stamp_font = [line.split() for line in fonts.splitlines() if line.startswith("DGANLG+LiberationSans ")]
    assert stamp_font and stamp_font[0][3:5] == ["yes", "yes"]  # embedded, as a subset of the glyphs it needs
    by_name: dict[str, Any] = {font.get_object()["/BaseFont"]: font.get_object()
                               for page in PdfReader(done.path).pages
                               for font in page["/Resources"].get_object().get("/Font", {}).values()}
    program = by_name["/DGANLG+LiberationSans"]["/FontDescriptor"]["/FontFile2"].get_object()
    assert int(program["/Length1"]) < 40_000  # the whole font program is about 400 KB
    subset = TTFont(io.BytesIO(program.get_data()))
    assert sorted(set(subset.keys()) & {"GSUB", "GPOS", "GDEF", "kern"}) == []  # no layout in a PDF font
    # The marks' characters and those nearly every mark has (one subset for most bundles, kept on disk).
    assert set(subset.getBestCmap()) == {ord(c) for c in "Anlage 12zurVo0/45" + STAMP_CHARACTERS}
    assert check_pdfa(done.path)["ergebnis"] == "bestanden"


def test_mark_can_be_switched_off(tmp_path: Path) -> None:
    done = assemble_bundle(entries(tmp_path), META, tmp_path / "bundle.pdf", None, anlagen_vermerk=False)
    assert all("zur Vorlage" not in page.extract_text() for page in PdfReader(done.path).pages)


def test_stamp_text() -> None:
    assert stamp_text("Anlage 3", "Vorlage 2025/0412") == "Anlage 3 zur Vorlage 2025/0412"
    assert stamp_text("Anlage 1", "Az. 56.10.02") == "Anlage 1 zu Az. 56.10.02"



def _with(change: Callable[[pikepdf.Pdf], None], path: Path) -> Path:
    with pikepdf.open(TAGGED) as pdf:
        change(pdf)
        pdf.save(path)
    return path


def _odd_outline(pdf: pikepdf.Pdf) -> None:
    outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    item = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Daten"), Count=pikepdf.Name.Viele,
                                                C=pikepdf.Array([pikepdf.Name.Rot]), F=pikepdf.Name.Fett,
                                                Parent=outlines))
    item.Next = item  # a loop as well
    outlines.First = outlines.Last = item
    pdf.Root.Outlines = outlines


@pytest.mark.parametrize("change", [
    pytest.param(lambda pdf: setattr(pdf.pages[0].obj, "StructParents", pikepdf.Name.X), id="StructParents"),
    pytest.param(lambda pdf: setattr(pdf.Root.StructTreeRoot, "ParentTree", pikepdf.Dictionary(
        Nums=pikepdf.Array([pikepdf.String("eins"), 3]))), id="Schluessel-im-ParentTree"),
    pytest.param(lambda pdf: setattr(pdf.Root.StructTreeRoot, "ParentTreeNextKey", pikepdf.String("z")),
                 id="ParentTreeNextKey"),
    pytest.param(_odd_outline, id="Lesezeichen"),
])
def test_an_anlage_with_words_where_numbers_belong_is_still_merged(tmp_path: Path,
                                                                   change: Callable[[pikepdf.Pdf], None]) -> None:
    odd = _with(change, tmp_path / "seltsam.pdf")
    parts = [BundleEntry("Hauptdokument", "Vorlage", TAGGED, 1), BundleEntry("Anlage 1", "Seltsam", odd, 1)]
    done = assemble_bundle(parts, META, tmp_path / "paket.pdf", None)
    reader = PdfReader(done.path)
    assert len(reader.pages) == 2 and reader.page_labels == ["1", "Anlage 1 – 1"]
    assert [item.title for item in reader.outline if not isinstance(item, list)] == ["Vorlage", "Anlage 1: Seltsam"]


def test_the_marks_font_subset_is_made_once_per_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = assemble_bundle(entries(tmp_path), META, tmp_path / "eins.pdf", None, cache_dir=cache)
    kept = sorted(p.name for p in cache.iterdir())
    assert len(kept) == 1 and kept[0].startswith("stempel-") and kept[0].endswith(".ttf")  # no temporary left
    # A new process (here: the per-process cache emptied) reads the subset instead of making it again.
    assemble_module._subset.cache_clear()

    def no_subsetting(data: bytes, characters: str) -> bytes:
        raise AssertionError("subset made again")

    monkeypatch.setattr(assemble_module, "_subset_of_characters", no_subsetting)
    second = assemble_bundle(entries(tmp_path), META, tmp_path / "zwei.pdf", None, cache_dir=cache)

    def program(path: Path) -> bytes:
        for page in PdfReader(path).pages:
            for font in page["/Resources"].get_object().get("/Font", {}).values():
                if font.get_object()["/BaseFont"] == "/DGANLG+LiberationSans":
                    return bytes(font.get_object()["/FontDescriptor"]["/FontFile2"].get_object().get_data())
        raise AssertionError("no mark")

    assert program(second.path) == program(first.path)
    assert check_pdfa(second.path)["ergebnis"] == "bestanden"


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    assemble_module._subset.cache_clear()
    blocked = tmp_path / "cache"
    blocked.write_text("eine Datei, kein Ordner", encoding="utf-8")
    done = assemble_bundle(entries(tmp_path), META, tmp_path / "paket.pdf", None, cache_dir=blocked)
    assert "Anlage 1 zur Vorlage 2025/0412" in PdfReader(done.path).pages[1].extract_text()
    assert check_pdfa(done.path)["ergebnis"] == "bestanden"


def test_a_cached_subset_cut_short_is_made_again(tmp_path: Path) -> None:
    # Renamed into place whole, but a crash before the data reached the disk can leave it short.
    cache = tmp_path / "cache"
    assemble_bundle(entries(tmp_path), META, tmp_path / "eins.pdf", None, cache_dir=cache)
    (kept,) = cache.iterdir()
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 2])
    assemble_module._subset.cache_clear()
    done = assemble_bundle(entries(tmp_path), META, tmp_path / "zwei.pdf", None, cache_dir=cache)
    assert kept.read_bytes() == whole
    assert check_pdfa(done.path)["ergebnis"] == "bestanden"
