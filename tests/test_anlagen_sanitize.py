"""Hostile Anlagen: embedded files and actions that reach outside the bundle are stripped while assembling.

Each hostile PDF is built with pypdf from the project's example Anlage; the bundle is made by the
real assemble stage (no LibreOffice), then searched object by object for anything that survived.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

from docgen.settings import Koerperschaft, Settings
from docgen.stages.assemble import BundleEntry, BundleMeta, PartUnreadable, assemble_bundle, page_count
from docgen.stages.sanitize import sanitize
from docgen.stages.seal import load_seal, seal
from docgen.verify import trust_roots, verify_bundle
from tests.conftest import CliResult
from tests.pki import make_pki

ROOT = Path(__file__).resolve().parent.parent
ANLAGE = ROOT / "examples" / "anlagen" / "zielerreichung-2024-2025.pdf"
META = BundleMeta(title="Vorlage", subject="Vorlage 2025/0412", author="Kreis Musterland",
                  created=dt.datetime(2025, 11, 3, tzinfo=dt.UTC), creator="docgen test", producer="docgen test")
UNC = "\\\\host\\share\\plan.pdf"
FORBIDDEN_ACTIONS = {"/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm", "/JavaScript"}


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **extra: Any) -> DictionaryObject:
    action = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(kind)})
    for key, value in extra.items():
        action[_name(f"/{key}")] = value
    return action


def _link(writer: PdfWriter, action: DictionaryObject, y: float) -> IndirectObject:
    rect = ArrayObject([FloatObject(72), FloatObject(y), FloatObject(300), FloatObject(y + 20)])
    return writer._add_object(DictionaryObject({
        _name("/Type"): _name("/Annot"), _name("/Subtype"): _name("/Link"), _name("/Rect"): rect,
        _name("/A"): action}))


def _add_annots(page: Any, writer: PdfWriter, annots: list[IndirectObject]) -> None:
    existing = page.get("/Annots")
    array = ArrayObject(list(existing.get_object()) if existing is not None else [])
    array.extend(annots)
    page[_name("/Annots")] = array


def hostile_pdf(path: Path) -> Path:
    """Every trick at once: EmbeddedFiles, a file-attachment annotation, GoToR to a share, Launch in a page
    action, file: and UNC links, GoToE, ImportData, SubmitForm behind a harmless link (/Next) and in the outline."""
    writer = PdfWriter(clone_from=ANLAGE)
    writer.add_attachment("setup.exe", b"MZ\x90\x00 nicht ausfuehren")
    page = writer.pages[0]
    payload = DecodedStreamObject()
    payload.set_data(b"MZ rechnung")
    payload[_name("/Type")] = _name("/EmbeddedFile")
    spec = DictionaryObject({_name("/Type"): _name("/Filespec"), _name("/F"): TextStringObject("rechnung.exe"),
                             _name("/UF"): TextStringObject("rechnung.exe"),
                             _name("/EF"): DictionaryObject({_name("/F"): writer._add_object(payload)})})
    attachment = writer._add_object(DictionaryObject({
        _name("/Type"): _name("/Annot"), _name("/Subtype"): _name("/FileAttachment"),
        _name("/Rect"): ArrayObject([FloatObject(v) for v in (500, 700, 520, 720)]),
        _name("/FS"): writer._add_object(spec), _name("/Contents"): TextStringObject("Rechnung")}))
    harmless = _action("/URI", URI=TextStringObject("https://www.example.org/"))
    harmless[_name("/Next")] = _action("/SubmitForm", F=TextStringObject("http://sammler.example/formular"))
    _add_annots(page, writer, [
        attachment,
        _link(writer, _action("/GoToR", F=TextStringObject(UNC), D=ArrayObject([FloatObject(0)])), 600),
        _link(writer, _action("/URI", URI=TextStringObject("file:///etc/passwd")), 560),
        _link(writer, _action("/URI", URI=TextStringObject("\\\\host\\share\\daten.xlsx")), 520),
        _link(writer, _action("/GoToE", T=DictionaryObject({_name("/R"): _name("/C")})), 480),
        _link(writer, harmless, 440),
        _link(writer, _action("/URI", URI=TextStringObject("https://www.kreis-musterland.de/")), 400),
    ])
    page[_name("/AA")] = DictionaryObject({_name("/O"): _action(
        "/Launch", Win=DictionaryObject({_name("/F"): TextStringObject("cmd.exe")}))})
    outline = writer.add_outline_item(title="Daten laden", page_number=0).get_object()
    outline[_name("/A")] = _action("/ImportData", F=TextStringObject("daten.fdf"))
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _everything(root: Any) -> list[Any]:
    """Every dictionary reachable from ``root``."""
    found, stack, seen = [], [root], set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, list[Any]]:
    hostile = hostile_pdf(tmp_path / "plan.pdf")
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1),
               BundleEntry("Anlage 1", "Statistik", ANLAGE, 1),
               BundleEntry("Anlage 2", "Plan", hostile, page_count(hostile))]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    return result.path, result.removed


def test_nothing_dangerous_survives_in_the_bundle(bundle: tuple[Path, list[Any]]) -> None:
    path, _ = bundle
    reader = PdfReader(path)
    objects = _everything(reader.trailer["/Root"])
    assert not [o for o in objects if o.get("/S") in FORBIDDEN_ACTIONS]
    assert not [o for o in objects if o.get("/Subtype") == "/FileAttachment"]
    assert not [o for o in objects if "/EF" in o or "/EmbeddedFiles" in o]
    uris = [str(o["/URI"]) for o in objects if o.get("/S") == "/URI"]
    assert sorted(uris) == ["https://www.example.org/", "https://www.kreis-musterland.de/"]
    assert b"setup.exe" not in path.read_bytes() and b"MZ rechnung" not in path.read_bytes()
    assert len(reader.pages) == 3
    assert PdfReader(path).trailer["/Root"]["/OutputIntents"]  # harmless parts still make a PDF/A bundle


def test_every_removal_is_reported_in_german(bundle: tuple[Path, list[Any]]) -> None:
    _, removed = bundle
    assert {r.message for r in removed} == {
        "Anlage 2 „Plan“: eingebettete Datei „setup.exe“ entfernt",
        "Anlage 2 „Plan“: Dateianhang „rechnung.exe“ entfernt",
        f"Anlage 2 „Plan“: Verweis auf eine andere Datei „{UNC}“ entfernt",
        "Anlage 2 „Plan“: Verweis auf eine Datei oder Freigabe „file:///etc/passwd“ entfernt",
        "Anlage 2 „Plan“: Verweis auf eine Datei oder Freigabe „\\\\host\\share\\daten.xlsx“ entfernt",
        "Anlage 2 „Plan“: Sprung in eine eingebettete Datei entfernt",
        "Anlage 2 „Plan“: Formularversand „http://sammler.example/formular“ entfernt",
        "Anlage 2 „Plan“: Programmstart „cmd.exe“ entfernt",
        "Anlage 2 „Plan“: Datenimport „daten.fdf“ entfernt",
    }
    entry = next(r for r in removed if r.code == "fremdverweis").as_dict()
    assert entry == {"bestandteil": "Anlage 2 „Plan“", "code": "fremdverweis", "ziel": UNC,
                     "meldung": f"Anlage 2 „Plan“: Verweis auf eine andere Datei „{UNC}“ entfernt"}


def test_clean_parts_are_left_alone(tmp_path: Path) -> None:
    with pikepdf.open(ANLAGE) as pdf:
        assert sanitize(pdf, "Anlage 1 „Statistik“") == []


def test_javascript_name_tree_and_open_action_are_removed(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=ANLAGE)
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("app.alert('hallo');")))
    writer._root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("start"), script])})})
    writer._root_object[_name("/OpenAction")] = _action("/Launch", F=TextStringObject("calc.exe"))
    writer.write(tmp_path / "skript.pdf")
    with pikepdf.open(tmp_path / "skript.pdf") as pdf:
        removed = sanitize(pdf, "Anlage 3 „Skript“")
        assert {r.message for r in removed} == {"Anlage 3 „Skript“: JavaScript entfernt",
                                                 "Anlage 3 „Skript“: Programmstart „calc.exe“ entfernt"}
        assert "/OpenAction" not in pdf.Root
        assert "/JavaScript" not in pdf.Root.Names


def test_signature_of_a_signed_anlage_is_dropped_and_the_bundle_seal_verifies(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    signed = tmp_path / "bescheid.pdf"
    signer = signers.SimpleSigner.load_pkcs12(str(pki.seal_p12), passphrase=pki.passphrase.encode())
    assert signer is not None
    with ANLAGE.open("rb") as fh, signed.open("wb") as out:
        signers.sign_pdf(IncrementalPdfFileWriter(fh, strict=False), signers.PdfSignatureMetadata(
            field_name="Bescheid", subfilter=fields.SigSeedSubFilter.PADES), signer=signer, output=out)
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Bescheid", signed, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert [r.message for r in result.removed] == [
        "Anlage 1 „Bescheid“: Signatur der Originaldatei „Bescheid“ entfernt"]
    settings = Settings(state_dir=tmp_path / "state", inbox=tmp_path / "in", outbox=tmp_path / "out",
                        koerperschaft=Koerperschaft(name="Kreis Musterland"))
    sealed = seal(result.path, tmp_path / "gesiegelt.pdf", load_seal(settings), reason="Freigabe", location="x")
    verdict = verify_bundle(sealed, trust_roots(settings))
    assert verdict.ok, verdict.lines


@pytest.mark.slow
def test_render_strips_a_hostile_anlage_and_the_bundle_verifies(docgen: Callable[..., CliResult],
                                                                 write_json: Callable[[str, Any], Path],
                                                                 example: dict[str, Any], tmp_path: Path) -> None:
    """End to end with real LibreOffice: the parts the Anlagen check lets through (an embedded .exe, a GoToR
    link to a share, a file: link) never reach the sealed bundle, and verify says GÜLTIG."""
    writer = PdfWriter(clone_from=ANLAGE)
    writer.add_attachment("setup.exe", b"MZ\x90\x00 nicht ausfuehren")
    _add_annots(writer.pages[0], writer, [
        _link(writer, _action("/GoToR", F=TextStringObject(UNC), D=ArrayObject([FloatObject(0)])), 600),
        _link(writer, _action("/URI", URI=TextStringObject("file:///etc/passwd")), 560)])
    with (tmp_path / "anlagen" / "plan.pdf").open("wb") as fh:
        writer.write(fh)
    example["anlagen"] = [{"titel": "Plan", "datei": "anlagen/plan.pdf"}]
    env = {"DOCGEN_KOERPERSCHAFT_NAME": "Landeshauptstadt Düsseldorf"}
    result = docgen("render", write_json("plan.json", example), "--out", tmp_path / "out", env=env)
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "out" / "plan.pdf"
    objects = _everything(PdfReader(bundle).trailer["/Root"])
    assert not [o for o in objects if o.get("/S") in FORBIDDEN_ACTIONS or "/EF" in o or "/EmbeddedFiles" in o]
    assert not [o for o in objects if o.get("/S") == "/URI" and str(o["/URI"]).startswith("file:")]
    verdict = docgen("verify", bundle, env=env)
    assert verdict.returncode == 0, verdict.stdout
    assert verdict.stdout.startswith("plan.pdf: GÜLTIG")
    receipt = json.loads((tmp_path / "out" / "plan.receipt.json").read_text(encoding="utf-8"))
    assert {(r["bestandteil"], r["code"]) for r in receipt["entfernt"]} >= {
        ("Anlage 1 „Plan“", "eingebettete_datei"), ("Anlage 1 „Plan“", "fremdverweis")}
    assert all(w["stufe"] == "warning" and w["code"].startswith("anlage.entfernt.")
               for w in receipt["warnungen"] if w["code"].startswith("anlage.entfernt"))
    assert any("setup.exe" in w["meldung"] for w in receipt["warnungen"])
    assert "Hinweis: plan.json: " in result.stderr


def _raw_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF written byte by byte (object n is ``objects[n - 1]``), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_escaped_names_and_a_shared_action_are_found(tmp_path: Path) -> None:
    """Names spelt with #-escapes are the same names (qpdf reads them so), and an action that two objects
    refer to goes from both: the page's link and the document's open action."""
    content = b"0 0 m 10 10 l S"
    tricky = _raw_pdf(tmp_path / "trick.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 7 0 R"
        b" /Annots [4 0 R 6 0 R] >>",
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 5 0 R >>",
        b"<< /Type /Action /S /L#61unch /F (calc.exe) >>",
        b"<< /Type /Annot /Subtype /Link /Rect [72 600 300 620] /A << /S /J#61vaScript /JS (app.alert\\(1\\)) >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ])
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Trick", tricky, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert sorted(r.message for r in result.removed) == ["Anlage 1 „Trick“: JavaScript entfernt",
                                                         "Anlage 1 „Trick“: Programmstart „calc.exe“ entfernt"]
    objects = _everything(PdfReader(result.path).trailer["/Root"])
    assert not [o for o in objects if o.get("/S") in FORBIDDEN_ACTIONS or "/JS" in o]
    links = [o for o in objects if o.get("/Subtype") == "/Link"]
    assert len(links) == 2 and not [o for o in links if "/A" in o]  # the links stay, without their actions


def test_form_fields_and_hidden_layers_of_an_anlage_come_along(tmp_path: Path) -> None:
    """A filled-in form keeps its field (Acrobat shows widgets only through the form), and a layer the
    Anlage hides stays hidden: without its /OCProperties a viewer would print what the Anlage hid."""
    content = b"/OC /verdeckt BDC 0 0 m 10 10 l S EMC"
    form = _raw_pdf(tmp_path / "antrag.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >>"
        b" /OCProperties << /OCGs [5 0 R] /D << /OFF [5 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [4 0 R]"
        b" /Resources << /Properties << /verdeckt 5 0 R >> >> >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Antragsteller) /V (Verein Br\\374cke e. V.)"
        b" /Rect [72 700 300 720] /P 3 0 R >>",
        b"<< /Type /OCG /Name (Interne Notizen) >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ])
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Antrag", form, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    with pikepdf.open(result.path) as bundle:
        fields = bundle.Root.AcroForm.Fields
        assert [(str(f.T), str(f.V)) for f in fields] == [("Antragsteller", "Verein Brücke e. V.")]
        assert fields[0].objgen == bundle.pages[1].obj.Annots[0].objgen  # the widget on the Anlage's page
        hidden = bundle.Root.OCProperties.D.OFF
        assert [str(g.Name) for g in hidden] == ["Interne Notizen"]
        assert hidden[0].objgen == bundle.pages[1].obj.Resources.Properties.verdeckt.objgen


_PAGE_TREE = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Annots [4 0 R] >>"]


@pytest.mark.parametrize(("objects", "removed"), [
    pytest.param([b"<< /Type /Catalog /Pages 2 0 R /S /GoToR /F (nirgends.pdf) >>", *_PAGE_TREE,
                  b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A << /S /Launch /F (calc.exe) >> >>"],
                 "Programmstart „calc.exe“", id="Katalog-wie-eine-Aktion"),
    pytest.param([b"<< /Type /Catalog /Pages 2 0 R >>", *_PAGE_TREE,
                  b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 6 0 R >>", b"/Launch",
                  b"<< /S 5 0 R /F (calc.exe) >>"],
                 "Programmstart „calc.exe“", id="Aktionsname-als-eigenes-Objekt"),
])
def test_no_way_round_the_cleaning(tmp_path: Path, objects: list[bytes], removed: str) -> None:
    """A catalogue that looks like an action must not end the cleaning of its document, and an action whose
    kind is an object of its own ("/S 5 0 R") is as dangerous as one that names it."""
    tricky = _raw_pdf(tmp_path / "trick.pdf", objects)
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Trick", tricky, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert f"Anlage 1 „Trick“: {removed} entfernt" in [r.message for r in result.removed]
    objects_left = _everything(PdfReader(result.path).trailer["/Root"])
    assert not [o for o in objects_left if o.get("/S") in FORBIDDEN_ACTIONS]
    assert b"calc.exe" not in result.path.read_bytes()


def test_long_runs_of_digits_are_read_once_and_the_references_beside_them_followed(tmp_path: Path) -> None:
    """A signature's /Contents is a hex string padded with tens of thousands of zeros. The cleaning finds
    references in each object's text; read digit by digit from every position, such a run cost seconds
    (``bench/sanitize.py``), and this one, 100,000 digits long, minutes. What lies beside it is still seen:
    the link's action after the run, and a reference whose number starts right after a string."""
    zeros = b"0" * 100_000
    tricky = _raw_pdf(tmp_path / "ziffern.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", *_PAGE_TREE,
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 5 0 R /Contents <" + zeros
        + b"> /NM (007) /Zusatz [<" + zeros + b">6 0 R] >>",
        b"<< /S /Launch /F (calc.exe) >>",
        b"<< /S /ImportData /F (daten.fdf) >>"])
    with pikepdf.open(tricky) as pdf:
        removed = sanitize(pdf, "Anlage 1 „Ziffern“")
        assert sorted(r.message for r in removed) == ["Anlage 1 „Ziffern“: Datenimport „daten.fdf“ entfernt",
                                                       "Anlage 1 „Ziffern“: Programmstart „calc.exe“ entfernt"]
        link = pdf.pages[0].Annots[0]
        assert "/A" not in link and len(link.Zusatz) == 1 and len(bytes(link.Contents)) == 50_000
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Ziffern", tricky, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert b"calc.exe" not in result.path.read_bytes() and b"daten.fdf" not in result.path.read_bytes()


def test_a_page_that_carries_javascript_keeps_its_place(tmp_path: Path) -> None:
    """The script goes, the page stays: dropping it would move every page range the Freigabevermerk names."""
    tricky = _raw_pdf(tmp_path / "seite.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", _PAGE_TREE[0],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /JS (app.alert\\(1\\)) >>"])
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Seite", tricky, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert [r.message for r in result.removed] == ["Anlage 1 „Seite“: JavaScript entfernt"]
    reader = PdfReader(result.path)
    assert len(reader.pages) == 2 and "/JS" not in reader.pages[1]


def test_an_anlage_whose_pages_two_readers_count_differently_is_refused(tmp_path: Path) -> None:
    """An annotation among the page tree's kids: pypdf counts one page, qpdf two. The page ranges the
    Freigabevermerk lists were counted before; a bundle that could contradict them is not made."""
    content = b"0 0 m 10 10 l S"
    odd = _raw_pdf(tmp_path / "zweideutig.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>",
        b"<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] >>"])
    assert page_count(odd) == 1
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Zweideutig", odd, 1)]
    with pytest.raises(PartUnreadable) as caught:
        assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert caught.value.entry is entries[1]
    assert caught.value.detail == "die Seitenzahl ist nicht eindeutig lesbar: 1 oder 2"


def test_the_tree_of_a_tagged_form_points_at_the_widgets_on_the_page(tmp_path: Path) -> None:
    """qpdf brings a form's annotations over anew; the structure tree's references must reach those on the
    page, not copies of their own that lie on no page (and that no cleaning would see)."""
    content = b"/P <</MCID 0>> BDC 0 0 m 10 10 l S EMC"
    tagged_form = _raw_pdf(tmp_path / "formular.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /StructTreeRoot 5 0 R"
        b" /MarkInfo << /Marked true >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 7 0 R /Annots [4 0 R 8 0 R]"
        b" /StructParents 0 /Resources << >> >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /V (X) /Rect [72 700 300 720] /P 3 0 R"
        b" /StructParent 1 >>",
        b"<< /Type /StructTreeRoot /K 6 0 R /ParentTree << /Nums [0 [11 0 R] 1 9 0 R 2 10 0 R] >>"
        b" /ParentTreeNextKey 3 >>",
        b"<< /Type /StructElem /S /Document /P 5 0 R /K [9 0 R 10 0 R 11 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /StructParent 2"
        b" /A << /S /URI /URI (https://www.example.org/) >> >>",
        b"<< /Type /StructElem /S /Form /P 6 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 4 0 R >> >>",
        b"<< /Type /StructElem /S /Link /P 6 0 R /Pg 3 0 R /K << /Type /OBJR /Obj 8 0 R >> >>",
        b"<< /Type /StructElem /S /P /P 6 0 R /Pg 3 0 R /K 0 >>",
    ])
    entries = [BundleEntry("Hauptdokument", "Vorlage", ANLAGE, 1), BundleEntry("Anlage 1", "Formular", tagged_form, 1)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    with pikepdf.open(result.path) as bundle:
        on_page = {a.objgen for a in bundle.pages[1].obj.Annots}
        references, stack = [], [bundle.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary):
                if element.get("/Type") == "/OBJR":
                    references.append(element.Obj.objgen)
                kids = element.get("/K")
                stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
        assert len(references) == 2 and set(references) == on_page
