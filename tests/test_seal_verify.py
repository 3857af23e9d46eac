"""Seal and verify without LibreOffice: who seals (settings only), and when ``verify`` says GÜLTIG.

Bundles here are small PDFs made with pypdf and sealed with the real seal stage; the
attacks (content added after sealing, a self-made second seal, an edited receipt) are
made with pyHanko the way an attacker would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfWriter

from docgen.errors import ConfigError, ExitCode
from docgen.settings import Koerperschaft, Settings
from docgen.stages.seal import (
    RETIRED_DIR,
    _replace_local_seal,
    load_seal,
    local_paths,
    seal,
    seal_summary,
)
from docgen.verify import receipt_path, sha256_file, trust_roots, verify_bundle
from tests.pki import Pki, make_pki, make_self_signed

LONG_NAME = "Zweckverband Kommunales Integrationszentrum Märkischer Kreis und Städte"  # 71 characters


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def second_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Another seal from the same kind of CA: a stranger's, not this installation's."""
    return make_pki(tmp_path_factory.mktemp("pki2"))


def settings_for(tmp_path: Path, *, name: str = "Landeshauptstadt Düsseldorf", pki: Pki | None = None) -> Settings:
    passphrase = None
    if pki is not None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        passphrase = tmp_path / "siegel.passwort"
        passphrase.write_text(pki.passphrase, encoding="utf-8")
    return Settings(inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", state_dir=tmp_path / "state",
                    seal_cert=pki.seal_p12 if pki else None, seal_passphrase_file=passphrase,
                    koerperschaft=Koerperschaft(name=name))


def plain_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def sealed_bundle(tmp_path: Path, settings: Settings, name: str = "paket.pdf", *, receipt: bool = True) -> Path:
    key = load_seal(settings)
    out = seal(plain_pdf(tmp_path / "ungesiegelt.pdf"), tmp_path / name, key, reason="Freigabe", location="Test")
    if receipt:
        receipt_path(out).write_text(json.dumps({
            "status": "freigegeben",
            "erzeugnisse": {"paket": {"datei": out.name, "sha256": sha256_file(out)}},
            "siegel": {"gesiegelt": True, "zertifikat_sha256": key.fingerprint},
        }), encoding="utf-8")
    return out


def attacker_signer(tmp_path: Path) -> signers.SimpleSigner:
    p12 = make_self_signed(tmp_path / "angreifer", "Kreis Musterland – Siegel")
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=b"angreifer-1234")
    assert signer is not None
    return signer


def add_content(pdf: Path, out: Path) -> Path:
    """An incremental update that replaces what page 1 shows (what a forger does)."""
    with pdf.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Betrag: 999.999,00 EUR) Tj ET")
        page["/Contents"] = writer.add_object(stream)
        writer.update_container(page)
        with out.open("wb") as target:
            writer.write(target)
    return out


def sign_again(pdf: Path, out: Path, signer: signers.SimpleSigner) -> Path:
    meta = signers.PdfSignatureMetadata(field_name="Siegel2", subfilter=fields.SigSeedSubFilter.PADES)
    with pdf.open("rb") as fh, out.open("wb") as target:
        signers.sign_pdf(IncrementalPdfFileWriter(fh, strict=False), meta, signer=signer, output=target)
    return out


def edit_receipt_to_match(bundle: Path, original: Path, fingerprint: str) -> None:
    data = json.loads(receipt_path(original).read_text(encoding="utf-8"))
    data["erzeugnisse"]["paket"]["sha256"] = sha256_file(bundle)
    data["siegel"]["zertifikat_sha256"] = fingerprint
    receipt_path(bundle).write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("configured", [False, True], ids=["lokales Siegel", "Siegel einer CA"])
def test_signed_attributes_are_the_bytes_pyhanko_makes(tmp_path: Path, pki: Pki, configured: bool) -> None:
    """docgen builds the signing-certificate attribute once per certificate; what it signs stays pyHanko's."""
    import asyncio
    import hashlib

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    key = load_seal(settings_for(tmp_path, pki=pki if configured else None))
    plain = signers.SimpleSigner(signing_key=key.signer.signing_key, signing_cert=key.signer.signing_cert,
                                 cert_registry=key.signer.cert_registry)
    for content in (b"erstes Paket", b"zweites Paket"):
        digest = hashlib.sha256(content).digest()
        ours, theirs = (asyncio.run(signer.signed_attrs(digest, "sha256", PdfCMSSignedAttributes(), use_pades=True))
                        for signer in (key.signer, plain))
        assert ours.dump() == theirs.dump()
        assert [a["type"].native for a in ours] == ["content_type", "message_digest", "signing_certificate_v2"]


# --- A3: who the seal names -------------------------------------------------------------------------------------

def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    return str(cert.subject.get_attributes_for_oid(oid)[0].value)


def test_local_seal_subject_comes_from_settings_not_from_the_input(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    key = load_seal(settings, Koerperschaft(name="Bundeskanzleramt"))
    assert _attr(key.certificate, NameOID.ORGANIZATION_NAME) == "Landeshauptstadt Düsseldorf"
    assert _attr(key.certificate, NameOID.COMMON_NAME) == "Landeshauptstadt Düsseldorf"
    assert "nicht qualifiziert" in _attr(key.certificate, NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert "Bundeskanzleramt" not in key.subject
    again = load_seal(settings, Koerperschaft(name="Bundeskanzleramt"))
    assert again.fingerprint == key.fingerprint  # no new seal per input


@pytest.mark.parametrize("name", [
    "Landeshauptstadt Düsseldorf",
    "Kreisfreie Stadt Mönchengladbach – Kommunales Integrationszentrum",  # 63 characters, 66 bytes
    LONG_NAME,
    "Ä" * 70,
])
def test_local_seal_fits_any_body_name(tmp_path: Path, name: str) -> None:
    key = load_seal(settings_for(tmp_path, name=name))
    common = _attr(key.certificate, NameOID.COMMON_NAME)
    organization = _attr(key.certificate, NameOID.ORGANIZATION_NAME)
    assert len(common.encode("utf-8")) <= 64 and len(organization) <= 64
    if len(name) <= 64:
        assert organization == name
    else:
        assert organization.endswith("…") and name.startswith(organization[:-1])
    assert name.startswith(common.removesuffix("…"))
    out = seal(plain_pdf(tmp_path / "a.pdf"), tmp_path / "b.pdf", key, reason="Freigabe", location=name)
    assert verify_bundle(out, trust_roots(settings_for(tmp_path, name=name))).ok


def test_local_seal_without_body_name_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_seal(settings_for(tmp_path, name="  "))
    assert caught.value.exit_code == ExitCode.CONFIG == 9
    assert "Für das lokale Siegel fehlt der Name der Körperschaft" in caught.value.message


def test_a_wrongly_named_local_seal_is_retired_and_what_it_sealed_still_verifies(tmp_path: Path) -> None:
    old_settings = settings_for(tmp_path, name="Bundeskanzleramt")  # e.g. made by the old code from an input
    old = sealed_bundle(tmp_path, old_settings, "alt.pdf")
    settings = settings_for(tmp_path)
    key = load_seal(settings)
    assert _attr(key.certificate, NameOID.ORGANIZATION_NAME) == "Landeshauptstadt Düsseldorf"
    assert len(list((settings.state_dir / RETIRED_DIR).glob("*.pem"))) == 1
    assert not list(settings.state_dir.glob(".siegel-*"))
    assert verify_bundle(old, trust_roots(settings)).ok


def test_a_late_process_never_retires_the_new_seal(tmp_path: Path) -> None:
    load_seal(settings_for(tmp_path, name="Bundeskanzleramt"))
    settings = settings_for(tmp_path)
    new = load_seal(settings)
    # A job process that read the old seal before the first one replaced it now tries to replace it too.
    late = _replace_local_seal(settings, local_paths(settings)[0])
    assert late.fingerprint == new.fingerprint
    assert len(list((settings.state_dir / RETIRED_DIR).glob("*.pem"))) == 1


def test_seal_summary_for_check(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path)
    before = seal_summary(settings)
    assert before["vorhanden"] is False and before["art"] == "lokal"
    assert "O=Landeshauptstadt Düsseldorf" in before["subjekt_geplant"]
    assert not local_paths(settings)[0].exists()  # check never creates a seal
    load_seal(settings)
    summary = seal_summary(settings)
    assert summary["art"] == "lokal" and summary["qualifiziert"] is False and summary["selbst_ausgestellt"]
    assert summary["subjekt"] == summary["aussteller"]
    assert "O=Landeshauptstadt Düsseldorf" in summary["subjekt"]
    assert len(summary["fingerabdruck_sha256"]) == 64 and summary["gueltig_bis"] > summary["gueltig_ab"]
    assert summary["passt_zur_koerperschaft"] is True
    assert "KEIN qualifiziertes elektronisches Siegel" in summary["hinweis"]
    configured = seal_summary(settings_for(tmp_path, pki=pki))
    assert configured["art"] == "konfiguriert" and configured["qualifiziert"] is None
    assert "CN=Test-Wurzel" in configured["aussteller"] and not configured["selbst_ausgestellt"]


def test_pkcs12_without_key_is_a_config_error(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12
    settings = settings_for(tmp_path)
    cert = load_seal(settings).certificate
    only_cert = tmp_path / "nur-zertifikat.p12"
    only_cert.write_bytes(pkcs12.serialize_key_and_certificates(b"x", None, cert, None,
                                                                serialization.NoEncryption()))
    with pytest.raises(ConfigError) as caught:
        load_seal(Settings(state_dir=tmp_path / "state", seal_cert=only_cert,
                           koerperschaft=settings.koerperschaft))
    assert caught.value.exit_code == 9
    assert "enthält keinen privaten Schlüssel mit Zertifikat" in caught.value.message


# --- D1: GÜLTIG only for this installation's seal over the whole file ------------------------------------------

def test_valid_seal_of_this_installation(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    verdict = verify_bundle(sealed_bundle(tmp_path, settings), trust_roots(settings))
    assert verdict.ok, verdict.lines
    assert "Das Siegel umfasst die gesamte Datei." in verdict.lines
    assert "Zertifikat: Siegel dieser Installation." in verdict.lines
    assert "Die Datei stimmt mit ihrem Beleg paket.receipt.json überein." in verdict.lines


def test_valid_seal_without_receipt_is_valid_with_a_note(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    verdict = verify_bundle(sealed_bundle(tmp_path, settings, receipt=False), trust_roots(settings))
    assert verdict.ok, verdict.lines
    assert ("Hinweis: kein Beleg (paket.receipt.json) neben der Datei; geprüft wurde das Siegel allein."
            in verdict.lines)


def test_local_seal_verifies_with_a_note(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    verdict = verify_bundle(sealed_bundle(tmp_path, settings), trust_roots(settings))
    assert verdict.ok, verdict.lines
    assert "Hinweis: lokales Siegel von docgen, kein qualifiziertes elektronisches Siegel." in verdict.lines


def test_changed_and_resealed_with_a_self_made_certificate_is_invalid(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    original = sealed_bundle(tmp_path, settings)
    changed = add_content(original, tmp_path / "geaendert.pdf")
    signer = attacker_signer(tmp_path)
    forged = sign_again(changed, tmp_path / "faelschung.pdf", signer)
    edit_receipt_to_match(forged, original, signer.signing_cert.sha256.hex())
    verdict = verify_bundle(forged, trust_roots(settings))
    assert not verdict.ok
    stranger = ("Signatur 2 stammt nicht von dieser Installation und nicht von einer hier hinterlegten "
                "vertrauenswürdigen Stelle: Name: Kreis Musterland – Siegel")
    assert any(r.startswith(stranger) for r in verdict.reasons)
    assert ("Das Siegel umfasst NICHT die gesamte Datei: nach dem Siegeln wurden inhaltliche Änderungen angefügt."
            in verdict.reasons)
    assert "Das Siegelzertifikat ist ein anderes als im Beleg faelschung.receipt.json vermerkt." in verdict.reasons


def test_resealed_without_change_by_someone_else_is_invalid(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    countersigned = sign_again(sealed_bundle(tmp_path, settings), tmp_path / "gegen.pdf", attacker_signer(tmp_path))
    verdict = verify_bundle(countersigned, trust_roots(settings))
    assert not verdict.ok
    assert ("Das Siegel umfasst NICHT die gesamte Datei: nach dem Siegeln wurden eine weitere Signatur oder "
            "Formulareingaben angefügt." in verdict.reasons)


def test_content_added_after_sealing_is_invalid(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    changed = add_content(sealed_bundle(tmp_path, settings, receipt=False), tmp_path / "angefuegt.pdf")
    verdict = verify_bundle(changed, trust_roots(settings))
    assert verdict.reasons == [
        "Das Siegel umfasst NICHT die gesamte Datei: nach dem Siegeln wurden inhaltliche Änderungen angefügt."]


def test_sealed_only_with_a_self_made_certificate_is_invalid(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    signer = attacker_signer(tmp_path)
    forged = sign_again(plain_pdf(tmp_path / "roh.pdf"), tmp_path / "fremd.pdf", signer)
    verdict = verify_bundle(forged, trust_roots(settings))
    assert not verdict.ok
    assert verdict.reasons[0].startswith("Signatur 1 stammt nicht von dieser Installation")
    assert signer.signing_cert.sha256.hex() in verdict.reasons[0]


def test_seal_from_the_same_kind_of_ca_is_not_this_installations(tmp_path: Path, pki: Pki,
                                                                 second_pki: Pki) -> None:
    stranger = sealed_bundle(tmp_path, settings_for(tmp_path / "fremd", pki=second_pki), receipt=False)
    verdict = verify_bundle(stranger, trust_roots(settings_for(tmp_path, pki=pki)))
    assert not verdict.ok and verdict.reasons[0].startswith("Signatur 1 stammt nicht von dieser Installation")


def test_configured_trust_root_makes_a_seal_valid(tmp_path: Path, pki: Pki, second_pki: Pki) -> None:
    stranger = sealed_bundle(tmp_path, settings_for(tmp_path / "fremd", pki=second_pki), receipt=False)
    settings = settings_for(tmp_path, pki=pki)
    # The settings key seal_trust_roots is proposed to settings.py; set it as load_settings would.
    object.__setattr__(settings, "seal_trust_roots", second_pki.root_pem)
    verdict = verify_bundle(stranger, trust_roots(settings))
    assert verdict.ok, verdict.lines
    assert any(line.startswith("Zertifikat: ausgestellt von einer hier hinterlegten vertrauenswürdigen Stelle")
               for line in verdict.lines)


def test_one_changed_byte_is_invalid(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    bundle = sealed_bundle(tmp_path, settings)
    data = bytearray(bundle.read_bytes())
    position = data.index(b"/MediaBox")
    data[position + 1] = ord("X")
    bundle.write_bytes(bytes(data))
    verdict = verify_bundle(bundle, trust_roots(settings))
    assert not verdict.ok
    assert "Die Datei stimmt NICHT mit ihrem Beleg paket.receipt.json überein." \
        in verdict.reasons
    assert any("ist UNGÜLTIG: der gesiegelte Inhalt wurde verändert." in r for r in verdict.reasons)


def test_draft_without_seal_is_invalid(tmp_path: Path) -> None:
    verdict = verify_bundle(plain_pdf(tmp_path / "entwurf.pdf"), [])
    assert verdict.reasons == ["Das Dokument trägt kein Siegel (Entwurf oder nachträglich verändert)."]


@pytest.mark.parametrize(("content", "reason"), [
    ("kein json", "Der Beleg paket.receipt.json ist kein gültiges JSON"),
    ("[1, 2]", "Der Beleg paket.receipt.json ist kein JSON-Objekt und damit kein Beleg von docgen."),
    ('{"erzeugnisse": {"paket": {"sha256": "abc"}}, "siegel": {}}',
     "Der Beleg paket.receipt.json ist fehlerhaft: erzeugnisse.paket.sha256 fehlt oder ist kein SHA-256-Wert."),
    ('{"erzeugnisse": {"paket": "kaputt"}}',
     "Der Beleg paket.receipt.json ist fehlerhaft: erzeugnisse.paket.sha256 fehlt oder ist kein SHA-256-Wert."),
    ('{"ausgaben": {"paket": {"sha256": "' + "0" * 64 + '"}}, "siegel": null}',
     "Die Datei stimmt NICHT mit ihrem Beleg paket.receipt.json überein."),
])
def test_malformed_receipt_is_invalid(tmp_path: Path, pki: Pki, content: str, reason: str) -> None:
    settings = settings_for(tmp_path, pki=pki)
    bundle = sealed_bundle(tmp_path, settings)
    receipt_path(bundle).write_text(content, encoding="utf-8")
    verdict = verify_bundle(bundle, trust_roots(settings))
    assert not verdict.ok
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_broken_file_is_invalid_not_an_internal_error(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)
    verdict = verify_bundle(broken, [])
    assert not verdict.ok and verdict.reasons[0].startswith("Die Datei lässt sich nicht als PDF lesen")


# --- through the command, for the exit codes ---------------------------------------------------------------------

def _docgen_verify(bundle: Path, settings: Settings, pki: Pki) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update({"DOCGEN_STATE_DIR": str(settings.state_dir), "DOCGEN_SEAL_CERT": str(pki.seal_p12),
                "DOCGEN_SEAL_PASSPHRASE": pki.passphrase, "DOCGEN_KOERPERSCHAFT_NAME": "Landeshauptstadt Düsseldorf"})
    return subprocess.run([sys.executable, "-m", "docgen", "verify", str(bundle)], cwd=bundle.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_verify_exit_codes(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    bundle = sealed_bundle(tmp_path, settings)
    good = _docgen_verify(bundle, settings, pki)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("paket.pdf: GÜLTIG\n")
    forged = sign_again(add_content(bundle, tmp_path / "neu.pdf"), tmp_path / "falsch.pdf", attacker_signer(tmp_path))
    bad = _docgen_verify(forged, settings, pki)
    assert bad.returncode == ExitCode.SEAL == 8, bad.stdout + bad.stderr
    assert bad.stdout.startswith("falsch.pdf: UNGÜLTIG\n")
    assert "nach dem Siegeln wurden inhaltliche Änderungen angefügt." in bad.stdout
    receipt_path(bundle).write_text("{kaputt", encoding="utf-8")
    malformed = _docgen_verify(bundle, settings, pki)
    assert malformed.returncode == 8 and "Der Beleg paket.receipt.json ist kein gültiges JSON" in malformed.stdout
    piped = subprocess.run(f"{sys.executable} -m docgen verify {forged} | head -1", shell=True, cwd=tmp_path,
                           env={**os.environ, "DOCGEN_STATE_DIR": str(settings.state_dir)},
                           capture_output=True, text=True, timeout=120)
    assert piped.stdout == "falsch.pdf: UNGÜLTIG\n" and "Interner Fehler" not in piped.stderr


def test_receipt_from_before_issue_11_is_read(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    bundle = sealed_bundle(tmp_path, settings)
    data = json.loads(receipt_path(bundle).read_text(encoding="utf-8"))
    data["ausgaben"] = data.pop("erzeugnisse")
    receipt_path(bundle).write_text(json.dumps(data), encoding="utf-8")
    verdict = verify_bundle(bundle, trust_roots(settings))
    assert verdict.ok and "Die Datei stimmt mit ihrem Beleg paket.receipt.json überein." in verdict.lines


def test_internal_bundle_is_checked_against_the_receipt_one_folder_up(tmp_path: Path, pki: Pki) -> None:
    settings = settings_for(tmp_path, pki=pki)
    public = sealed_bundle(tmp_path, settings, "antrag.pdf")
    (tmp_path / "antrag").mkdir()
    internal = sealed_bundle(tmp_path / "antrag", settings, "antrag-intern.pdf", receipt=False)
    data = json.loads(receipt_path(public).read_text(encoding="utf-8"))
    data["erzeugnisse"]["paket_intern"] = {"datei": "antrag/antrag-intern.pdf", "sha256": sha256_file(internal)}
    receipt_path(public).write_text(json.dumps(data), encoding="utf-8")
    verdict = verify_bundle(internal, trust_roots(settings))
    assert verdict.ok and "Die Datei stimmt mit ihrem Beleg antrag.receipt.json überein." in verdict.lines
    data["erzeugnisse"]["paket_intern"]["sha256"] = "1" * 64
    receipt_path(public).write_text(json.dumps(data), encoding="utf-8")
    assert verify_bundle(internal, trust_roots(settings)).reasons == [
        "Die Datei stimmt NICHT mit ihrem Beleg antrag.receipt.json überein."]
