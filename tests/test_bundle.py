"""Signed-off bundles end to end: attachments, nested documents, sign-off page, bookmarks, PDF/A, seal, verify."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.conftest import EXAMPLES, CliResult
from tests.pki import Pki, make_pki

Run = Callable[..., CliResult]
Write = Callable[[str, Any], Path]

pytestmark = pytest.mark.slow

ANLAGE = EXAMPLES / "anlagen" / "zielerreichung-2024-2025.pdf"


def two_page_pdf(path: Path) -> Path:
    writer = PdfWriter()
    for page in PdfReader(ANLAGE).pages:
        writer.add_page(page)
        writer.add_page(page)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def nested_mitteilung(example: dict[str, Any]) -> dict[str, Any]:
    nested = json.loads(json.dumps(example))
    del nested["anlagen"]
    del nested["freigabe"]
    nested["vorlage"].update(nummer="2025/0399", art="Mitteilungsvorlage", betreff="Bericht über das Jahr 2024")
    nested["beratungsfolge"] = [
        {"datum": "2025-11-12", "gremium": "Integrationsrat", "zustaendigkeit": "Kenntnisnahme"}]
    return nested


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def seal_env(pki: Pki) -> dict[str, str]:
    return {"DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": pki.passphrase}


@pytest.fixture
def full_bundle(docgen: Run, write_json: Write, example: dict[str, Any], tmp_path: Path,
                pki: Pki) -> tuple[Path, CliResult]:
    two_page_pdf(tmp_path / "anlagen" / "zwei-seiten.pdf")
    example["anlagen"] = [
        {"titel": "Zielerreichung 2024/2025", "datei": "anlagen/zielerreichung-2024-2025.pdf"},
        {"titel": "Statistik (zwei Seiten)", "datei": "anlagen/zwei-seiten.pdf"},
        {"titel": "Mitteilung zum Jahr 2024", "dokument": nested_mitteilung(example)},
    ]
    result = docgen("render", write_json("paket.json", example), "--out", tmp_path / "out", env=seal_env(pki))
    return tmp_path / "out", result


def test_bundle_contents_bookmarks_metadata(full_bundle: tuple[Path, CliResult]) -> None:
    out, result = full_bundle
    assert result.returncode == 0, result.stderr
    assert "paket.json: Paket" in result.stdout and "gesiegelt" in result.stdout
    receipt = json.loads((out / "paket.receipt.json").read_text(encoding="utf-8"))
    reader = PdfReader(out / "paket.pdf")
    main = len(PdfReader(out / "paket" / "paket.pdf").pages)
    nested = len(PdfReader(out / "paket" / "anlage-3-Mitteilung-zum-Jahr-2024.pdf").pages)
    signoff = len(PdfReader(out / "paket" / "freigabevermerk.pdf").pages)
    assert len(reader.pages) == main + 1 + 2 + nested + signoff
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [
        "Beschlussvorlage – Vorlage 2025/0412", "Anlage 1: Zielerreichung 2024/2025",
        "Anlage 2: Statistik (zwei Seiten)", "Anlage 3: Mitteilung zum Jahr 2024", "Freigabevermerk"]
    starts = [reader.get_destination_page_number(item) for item in top]
    assert starts == [0, main, main + 1, main + 3, main + 3 + nested]
    assert any(isinstance(item, list) for item in reader.outline)  # headings nested under documents
    assert [c["seiten"] for c in receipt["inhalt"]][:2] == [[1, main], [main + 1, main + 1]]
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Schwerpunkte des Kommunalen Integrationszentrums für die Jahre 2026 und 2027"
    assert meta.subject == "Vorlage 2025/0412"
    assert meta.author == "Kreis Musterland – A 56 – Kommunales Integrationszentrum"
    assert reader.trailer["/Root"]["/Lang"] == "de-DE"
    assert reader.page_labels[main] == "Anlage 1 – 1"
    assert receipt["pruefungen"]["pdfa"]["ergebnis"] == "bestanden"
    assert receipt["status"] == "freigegeben"
    text = subprocess.run(["pdftotext", str(out / "paket.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    signoff_text = " ".join(text.split("Freigabevermerk")[-2:])
    for expected in ("Amtsleitung A 56", "K. Beispiel", "14.10.2025", "Im Auftrag", "Dr. B. Musterfrau",
                     receipt["eingabe"]["sha256"], "docgen 0.1.0"):
        assert expected in " ".join(text.split()), expected
    assert "Anlage 2" in signoff_text


def test_pdfa_identification_survives_sealing(full_bundle: tuple[Path, CliResult]) -> None:
    out, _ = full_bundle
    data = (out / "paket.pdf").read_bytes()
    last_xmp = data[data.rindex(b"<x:xmpmeta"):]
    assert b'pdfaid:part="2"' in last_xmp or b"<pdfaid:part>2</pdfaid:part>" in last_xmp
    reader = PdfReader(out / "paket.pdf")
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    fonts = subprocess.run(["pdffonts", str(out / "paket.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)


def test_seal_verifies_with_docgen_and_pdfsig(full_bundle: tuple[Path, CliResult], docgen: Run, pki: Pki,
                                              tmp_path: Path) -> None:
    out, _ = full_bundle
    verdict = docgen("verify", out / "paket.pdf", env=seal_env(pki))
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "paket.pdf: GÜLTIG" in verdict.stdout
    assert "Das Siegel umfasst die gesamte Datei." in verdict.stdout
    assert "Die Datei stimmt mit ihrem Beleg paket.receipt.json überein." in verdict.stdout
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "testwurzel", "-t", "CT,C,C", "-i",
                    str(pki.root_pem)], check=True)
    pdfsig = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(out / "paket.pdf")], capture_output=True,
                            text=True).stdout
    assert "Signature Validation: Signature is Valid." in pdfsig
    assert "Certificate Validation: Certificate is Trusted." in pdfsig
    assert "Total document signed" in pdfsig


def test_one_changed_byte_fails_verification(full_bundle: tuple[Path, CliResult], docgen: Run) -> None:
    out, _ = full_bundle
    data = bytearray((out / "paket.pdf").read_bytes())
    position = data.index(b"/Type /Page") + 2  # well inside the signed range
    data[position] = ord("X") if data[position] != ord("X") else ord("Y")
    tampered = out / "paket.pdf"
    tampered.write_bytes(bytes(data))
    result = docgen("verify", tampered)
    assert result.returncode == 8
    assert "paket.pdf: UNGÜLTIG" in result.stdout
    assert "Die Datei stimmt NICHT mit ihrem Beleg paket.receipt.json überein." in result.stdout


def test_draft_is_watermarked_and_not_sealed(docgen: Run, write_json: Write, example: dict[str, Any],
                                             tmp_path: Path) -> None:
    del example["freigabe"]
    result = docgen("render", write_json("entwurf.json", example), "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "out" / "entwurf-ENTWURF.pdf"
    assert "ENTWURF, nicht gesiegelt" in result.stdout
    reader = PdfReader(bundle)
    for number, page in enumerate(reader.pages, start=1):
        # pdftotext skips diagonal text; pypdf reads it.
        assert "ENTWURF" in page.extract_text().replace("\n", ""), f"page {number} has no watermark"
        assert "/GSdocgenWZ" in page["/Resources"]["/ExtGState"], f"page {number}: watermark not translucent"
    assert "/AcroForm" not in reader.trailer["/Root"]
    receipt = json.loads((tmp_path / "out" / "entwurf-ENTWURF.receipt.json").read_text(encoding="utf-8"))
    assert receipt["status"] == "entwurf" and receipt["siegel"] is None
    assert receipt["pruefungen"]["pdfa"]["ergebnis"] == "bestanden"
    verdict = docgen("verify", bundle)
    assert verdict.returncode == 8
    assert "Das Dokument trägt kein Siegel" in verdict.stdout


def test_rerun_never_overwrites_a_sealed_bundle(docgen: Run, write_json: Write, example: dict[str, Any],
                                                tmp_path: Path) -> None:
    path = write_json("zweimal.json", example)
    out = tmp_path / "out"
    assert docgen("render", path, "--out", out).returncode == 0
    first = (out / "zweimal.pdf").read_bytes()
    second = docgen("render", path, "--out", out)
    assert second.returncode == 0, second.stderr
    assert (out / "zweimal.pdf").read_bytes() == first
    assert (out / "zweimal-v2.pdf").is_file() and (out / "zweimal-v2.receipt.json").is_file()
    assert (out / "zweimal-v2" / "zweimal.docx").is_file()
    assert docgen("verify", out / "zweimal.pdf").returncode == 0
    assert docgen("verify", out / "zweimal-v2.pdf").returncode == 0
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def _attachment_case(docgen: Run, write_json: Write, example: dict[str, Any], tmp_path: Path,
                     datei: str) -> CliResult:
    example["anlagen"] = [{"titel": "Anlage", "datei": datei}]
    result = docgen("render", write_json("anlage.json", example), "--out", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return result


@pytest.mark.parametrize(("datei", "code", "message"), [
    ("../geheim.pdf", 4, "/anlagen/0/datei: „../geheim.pdf“ verlässt den Ordner der JSON-Datei"),
    ("/etc/passwd", 4, "/anlagen/0/datei: „/etc/passwd“ ist ein absoluter Pfad."),
    ("anlagen/link.pdf", 4, "/anlagen/0/datei: „anlagen/link.pdf“ ist ein Verweis (Symlink) auf eine Datei "
     "außerhalb des Ordners"),
    ("anlagen/fehlt.pdf", 7, "/anlagen/0/datei: Anlage „anlagen/fehlt.pdf“ nicht gefunden"),
    ("anlagen/text.pdf", 4, "/anlagen/0/datei: „anlagen/text.pdf“ ist keine PDF-Datei."),
    ("anlagen/geschuetzt.pdf", 4, "/anlagen/0/datei: „anlagen/geschuetzt.pdf“ ist verschlüsselt oder "
     "kennwortgeschützt."),
    ("anlagen/skript.pdf", 4, "/anlagen/0/datei: „anlagen/skript.pdf“ enthält aktive Inhalte (JavaScript)."),
    ("anlagen/kaputt.pdf", 4, "/anlagen/0/datei: „anlagen/kaputt.pdf“ lässt sich nicht als PDF öffnen"),
])
def test_bad_attachments(docgen: Run, write_json: Write, example: dict[str, Any], tmp_path: Path, datei: str,
                         code: int, message: str) -> None:
    folder = tmp_path / "anlagen"
    outside = tmp_path.parent / f"aussen-{tmp_path.name}.pdf"
    shutil.copy(ANLAGE, outside)
    os.symlink(outside, folder / "link.pdf")
    (folder / "text.pdf").write_text("nur Text", encoding="utf-8")
    (folder / "kaputt.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    writer = PdfWriter(clone_from=ANLAGE)
    writer.encrypt("kennwort")
    with (folder / "geschuetzt.pdf").open("wb") as fh:
        writer.write(fh)
    writer = PdfWriter(clone_from=ANLAGE)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hallo');")})
    with (folder / "skript.pdf").open("wb") as fh:
        writer.write(fh)
    result = _attachment_case(docgen, write_json, example, tmp_path, datei)
    assert result.returncode == code, result.stderr
    assert f"anlage.json: {message}" in result.stderr


def test_broken_or_locked_seal_certificate_is_exit_9(docgen: Run, write_json: Write, example: dict[str, Any],
                                                     tmp_path: Path, pki: Pki) -> None:
    path = write_json("siegel.json", example)
    wrong = docgen("render", path, "--out", tmp_path / "out",
                   env={"DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": "falsch"})
    assert wrong.returncode == 9
    assert "das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen. Das Passwort fehlt oder ist falsch" \
        in wrong.stderr
    broken = tmp_path / "kaputt.p12"
    broken.write_bytes(b"kein zertifikat")
    result = docgen("render", path, "--out", tmp_path / "out", env={"DOCGEN_SEAL_CERT": str(broken)})
    assert result.returncode == 9
    assert f"{broken}: das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen." in result.stderr
    assert not (tmp_path / "out" / "siegel.pdf").exists()


def test_local_seal_is_created_private(docgen: Run, write_json: Write, example: dict[str, Any], tmp_path: Path,
                                       state_dir: Path) -> None:
    assert docgen("render", write_json("lokal.json", example), "--out", tmp_path / "out").returncode == 0
    key = state_dir / "siegel" / "siegel.p12"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert not list((tmp_path / "out").rglob("*.p12"))
    receipt = json.loads((tmp_path / "out" / "lokal.receipt.json").read_text(encoding="utf-8"))
    assert receipt["siegel"]["qualifiziert"] is False
    check = docgen("check")
    assert "[WARNUNG] Siegelzertifikat: lokales, selbst ausgestelltes Siegel" in check.stdout
    assert "KEIN qualifiziertes elektronisches Siegel" in check.stdout
    key.chmod(0o644)
    check = docgen("check")
    assert f"[WARNUNG] Siegelzertifikat: {key} ist für andere lesbar (Rechte 0o644)" in check.stdout


def test_seal_key_in_shared_folder_is_refused(docgen: Run, write_json: Write, example: dict[str, Any],
                                              tmp_path: Path, pki: Pki) -> None:
    outbox = tmp_path / "out"
    outbox.mkdir()
    key = outbox / "siegel.p12"
    shutil.copy(pki.seal_p12, key)
    result = docgen("render", write_json("schluessel.json", example), "--out", outbox,
                    env={"DOCGEN_SEAL_CERT": str(key), "DOCGEN_SEAL_PASSPHRASE": pki.passphrase,
                         "DOCGEN_OUTBOX": str(outbox)})
    assert result.returncode == 9
    assert "liegt im Ausgabeordner" in result.stderr and "gehören nie in die geteilten Ordner" in result.stderr
    assert pki.passphrase not in result.stderr + result.stdout
