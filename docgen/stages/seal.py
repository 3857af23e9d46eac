"""Stage 5, seal: a PAdES signature (B-B) with the body's seal certificate, as the last change.

The certificate comes from the settings (a PKCS#12 file; its passphrase from
``DOCGEN_SEAL_PASSPHRASE`` or a passphrase file, never from the shared folders).
Without one, docgen creates a local self-signed seal in the state directory on
first use, so bundles are sealed out of the box; it is not a qualified seal.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.sign import fields, signers

from docgen.errors import ConfigError, FileAccessError, SealError
from docgen.settings import Koerperschaft, Settings

PASSPHRASE_ENV = "DOCGEN_SEAL_PASSPHRASE"
LOCAL_DIR = "siegel"
LOCAL_P12 = "siegel.p12"
LOCAL_PASS = "siegel.passwort"
FIELD_NAME = "Siegel"
# pyHanko writes its own name as the XMP producer when it signs and appends it to the
# document information's producer unless it is already there. PDF/A wants both to
# agree, so a bundle that will be sealed carries exactly this producer from the start.
SEALED_PRODUCER: str = VENDOR


class _CachedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses (and re-validates) the private key for every signature,
    which costs about 0.2 s for RSA 3072; this keeps the parsed key for RSA PKCS#1 v1.5."""

    def __init__(self, pyca_key: Any, base: signers.SimpleSigner) -> None:
        super().__init__(signing_key=base.signing_key, signing_cert=base.signing_cert,
                         cert_registry=base.cert_registry)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._pyca_key, rsa.RSAPrivateKey):
            digest = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
            if digest_algorithm in digest:
                return bytes(self._pyca_key.sign(data, padding.PKCS1v15(), digest[digest_algorithm]))
        return bytes(super().sign_raw(data, digest_algorithm))


_CACHE: dict[tuple[str, int, int, bytes | None], SealKey] = {}
_CACHE_LOCK = threading.Lock()
# Room for the CMS signature container; pyHanko otherwise signs once more just to measure it.
SIGNATURE_BYTES = 16384


@dataclass(frozen=True)
class SealKey:
    signer: signers.SimpleSigner
    path: Path
    local: bool  # the self-signed seal docgen made itself

    @property
    def subject(self) -> str:
        cert: Any = self.signer.signing_cert
        return str(cert.subject.human_friendly)

    @property
    def fingerprint(self) -> str:
        cert: Any = self.signer.signing_cert
        return str(cert.sha256.hex())


def local_paths(settings: Settings) -> tuple[Path, Path]:
    folder = settings.state_dir / LOCAL_DIR
    return folder / LOCAL_P12, folder / LOCAL_PASS


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def create_local_seal(settings: Settings, body: Koerperschaft) -> Path:
    """Make a self-signed seal certificate (RSA 3072, 5 years) in the state directory.

    Key and passphrase are written into a private temporary folder that is renamed into
    place in one step, so concurrent jobs or daemons never see (or mix) half a seal.
    """
    p12_path = local_paths(settings)[0]
    folder = p12_path.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".siegel-", dir=folder.parent))
    try:
        _make_seal_files(staging / LOCAL_P12, staging / LOCAL_PASS, body)
        try:
            os.rename(staging, folder)  # atomic; fails when another job was first
        except OSError:
            if not p12_path.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return p12_path


def _make_seal_files(p12_path: Path, pass_path: Path, body: Koerperschaft) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{body.name} – lokales Siegel (nicht qualifiziert)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, body.name),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(32).encode()
    blob = pkcs12.serialize_key_and_certificates(
        b"docgen-siegel", key, cert, None, serialization.BestAvailableEncryption(passphrase))
    _write_private(pass_path, passphrase)
    _write_private(p12_path, blob)


def _passphrase(settings: Settings, p12: Path, local: bool) -> bytes | None:
    if local:
        return local_paths(settings)[1].read_bytes().strip()
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode()
    if settings.seal_passphrase_file is not None:
        try:
            return settings.seal_passphrase_file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"{settings.seal_passphrase_file}: Passwortdatei des Siegels nicht lesbar "
                              f"({exc.strerror}).") from exc
    return None


def load_seal(settings: Settings, body: Koerperschaft, *, create: bool = True) -> SealKey:
    """The configured seal, or the local self-signed one (made on first use when ``create``)."""
    local = settings.seal_cert is None
    p12 = settings.seal_cert if settings.seal_cert is not None else local_paths(settings)[0]
    for label, folder in (("Eingangsordner", settings.inbox), ("Ausgabeordner", settings.outbox)):
        for secret in (p12, settings.seal_passphrase_file):
            if secret is not None and secret.resolve().is_relative_to(folder.resolve()):
                raise ConfigError(f"{secret}: liegt im {label} {folder}. Schlüssel und Passwort des Siegels "
                                  "gehören nie in die geteilten Ordner; bitte an einen geschützten Ort legen.")
    if local and not p12.exists():
        if not create:
            raise ConfigError("Es ist noch kein Siegelzertifikat vorhanden.")
        try:
            create_local_seal(settings, body)
        except OSError as exc:
            raise FileAccessError(f"{p12.parent}: lokales Siegel nicht anlegbar ({exc.strerror}).") from exc
    try:
        data = p12.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p12}: Siegelzertifikat nicht lesbar ({exc.strerror}). Einstellung seal_cert "
                          "prüfen.") from exc
    passphrase = _passphrase(settings, p12, local)
    stat = p12.stat()
    cache_key = (str(p12.resolve()), stat.st_mtime_ns, stat.st_size, passphrase)
    with _CACHE_LOCK:
        if cache_key in _CACHE:
            return _CACHE[cache_key]
    try:
        base = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
        pyca_key = pkcs12.load_key_and_certificates(data, passphrase)[0]
    except ValueError as exc:
        hint = ("Das Passwort fehlt oder ist falsch: bitte in der Umgebungsvariable DOCGEN_SEAL_PASSPHRASE "
                "oder in der Datei seal_passphrase_file angeben." if not local else
                "Die lokale Siegeldatei ist beschädigt: bitte den Ordner „siegel“ im state_dir entfernen; "
                "docgen legt dann ein neues lokales Siegel an.")
        raise ConfigError(f"{p12}: das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen. {hint}") from exc
    key = SealKey(_CachedKeySigner(pyca_key, base), p12, local)
    with _CACHE_LOCK:
        _CACHE[cache_key] = key
    return key


def seal(pdf: Path, out: Path, key: SealKey, reason: str, location: str) -> Path:
    """Sign ``pdf`` into ``out`` (PAdES B-B, incremental update, invisible signature field)."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location,
    )
    try:
        with pdf.open("rb") as inf, out.open("wb") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            signers.sign_pdf(writer, meta, signer=key.signer, output=outf, bytes_reserved=SIGNATURE_BYTES)
    except OSError as exc:
        raise FileAccessError(f"{out}: gesiegeltes PDF nicht schreibbar ({exc.strerror}).") from exc
    except Exception as exc:  # pyHanko raises many types; all mean "could not seal"
        raise SealError(f"{pdf.name}: Siegeln fehlgeschlagen ({exc}).") from exc
    return out
