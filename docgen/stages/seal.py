"""Stage 5, seal: a PAdES signature (B-B) with the body's seal certificate, as the last change.

The certificate comes from the settings (a PKCS#12 file; its passphrase from
``DOCGEN_SEAL_PASSPHRASE`` or a passphrase file, never from the shared folders).
Without one, docgen creates a local self-signed seal in the state directory on
first use, so bundles are sealed out of the box; it is not a qualified seal.

The seal's subject comes from the settings (``[koerperschaft] name``) and never from
an input: an input may print another body in its header, but it cannot choose who
seals. A local seal whose subject no longer matches the settings is retired (its
certificate is kept, so bundles it sealed still verify) and a new one is made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.version import __version__ as _pyhanko_version  # a tiny module; pyHanko itself is not loaded

if TYPE_CHECKING:
    from pyhanko.sign import signers

from docgen.errors import ConfigError, FileAccessError, SealError, oserror_text
from docgen.settings import Koerperschaft, Settings

PASSPHRASE_ENV = "DOCGEN_SEAL_PASSPHRASE"
LOCAL_DIR = "siegel"
LOCAL_P12 = "siegel.p12"
LOCAL_PASS = "siegel.passwort"
LOCAL_PEM = "siegel.pem"  # the certificate alone (public), so verify needs no passphrase
RETIRED_DIR = "siegel-frueher"  # certificates of retired local seals, still trusted by verify
LOCAL_UNIT = "docgen – lokales Siegel (nicht qualifiziert)"
# X.509 upper bounds (RFC 5280): 64 characters for CN and O; cryptography counts CN in UTF-8 bytes.
NAME_LIMIT = 64
FIELD_NAME = "Siegel"
# pyHanko writes its own name as the XMP producer when it signs and appends it to the
# document information's producer unless it is already there. PDF/A wants both to
# agree, so a bundle that will be sealed carries exactly this producer from the start.
# (pyHanko's own VENDOR, spelled without importing pyHanko: loading it costs 0.5 s, which a
# command that does not seal should not pay; a unit test keeps the two equal.)
SEALED_PRODUCER: str = f"pyHanko {_pyhanko_version}"


def _signer(pyca_key: Any, pyca_cert: x509.Certificate, chain: list[x509.Certificate]) -> signers.SimpleSigner:
    """A pyHanko signer from the key and certificates already read from the PKCS#12 file.

    pyHanko's own ``load_pkcs12_data`` would decrypt the file a second time (0.1 s and more,
    the key derivation is slow on purpose). Besides, its SimpleSigner re-parses (and
    re-validates) the private key for every signature, about 0.2 s for RSA 3072; this one
    keeps the parsed key for RSA PKCS#1 v1.5.
    """
    from asn1crypto import keys as asn1_keys
    from asn1crypto import tsp as asn1_tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import attributes, signers  # pyHanko only when sealing: it costs 0.5 s to import
    from pyhanko.sign.general import as_signing_certificate_v2
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    private = asn1_keys.PrivateKeyInfo.load(pyca_key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    certificate = asn1_x509.Certificate.load(pyca_cert.public_bytes(der))
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple([asn1_x509.Certificate.load(extra.public_bytes(der)) for extra in chain])

    # The signing-certificate attribute names this certificate by its hash and issuer; built once. asn1crypto
    # encodes a freshly built value again at every read, and the issuer's name nests deep: a new one per seal
    # was two thirds of the seal's time.
    signing_certificate = as_signing_certificate_v2(certificate).dump()

    class _SigningCertificate(attributes.SigningCertificateV2Provider):
        async def build_attr_value(self, dry_run: bool = False) -> Any:
            return asn1_tsp.SigningCertificateV2.load(signing_certificate)

    class _CachedKeySigner(signers.SimpleSigner):
        def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Any:
            for provider in super()._signed_attr_providers(*args, **kwargs):
                if type(provider) is attributes.SigningCertificateV2Provider and provider.signing_cert is certificate:
                    yield _SigningCertificate(certificate)
                else:
                    yield provider

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism == "rsassa_pkcs1v15" and isinstance(pyca_key, rsa.RSAPrivateKey):
                digest = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
                if digest_algorithm in digest:
                    return bytes(pyca_key.sign(data, padding.PKCS1v15(), digest[digest_algorithm]))
            return bytes(super().sign_raw(data, digest_algorithm))

    return _CachedKeySigner(signing_key=private, signing_cert=certificate, cert_registry=registry)


_CACHE: dict[tuple[str, int, int, bytes | None], SealKey] = {}
_CACHE_LOCK = threading.Lock()
_LOAD_LOCK = threading.Lock()
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

    @property
    def certificate(self) -> x509.Certificate:
        cert: Any = self.signer.signing_cert
        return x509.load_der_x509_certificate(cert.dump())


def local_paths(settings: Settings) -> tuple[Path, Path]:
    folder = settings.state_dir / LOCAL_DIR
    return folder / LOCAL_P12, folder / LOCAL_PASS


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def fit_name(name: str, limit: int = NAME_LIMIT, *, in_bytes: bool = False) -> str:
    """``name`` shortened to ``limit`` characters (or UTF-8 bytes), at a word boundary, with „…“."""
    def size(text: str) -> int:
        return len(text.encode("utf-8")) if in_bytes else len(text)

    name = " ".join(name.split())
    if size(name) <= limit:
        return name
    cut = name
    while cut and size(cut + "…") > limit:
        cut = cut[:-1]
    head, _, _ = cut.rpartition(" ")
    if len(head) >= len(cut) * 2 // 3:  # break at a word when that does not lose too much
        cut = head
    return cut.rstrip(" -–,") + "…"


def seal_subject(settings: Settings) -> x509.Name:
    """The subject of the local seal: the configured body's name, never an input's."""
    body: Koerperschaft | None = settings.koerperschaft
    name = " ".join((body.name if body is not None else "").split())
    if not name:
        raise ConfigError("Für das lokale Siegel fehlt der Name der Körperschaft: bitte [koerperschaft] name = "
                          "\"…\" in docgen.toml eintragen (oder DOCGEN_KOERPERSCHAFT_NAME setzen) oder ein "
                          "Siegelzertifikat (seal_cert) einstellen.")
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, fit_name(name, in_bytes=True)),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, LOCAL_UNIT),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit_name(name)),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
    ])


def create_local_seal(settings: Settings, body: Koerperschaft | None = None) -> Path:
    """Make a self-signed seal certificate (RSA 3072, 5 years) in the state directory.

    The subject comes from ``settings.koerperschaft``; ``body`` is ignored (kept so old
    callers still work). Key and passphrase are written into a private temporary folder
    that is renamed into place in one step, so concurrent jobs or daemons never see (or
    mix) half a seal.
    """
    del body  # an input's body never names the seal
    subject = seal_subject(settings)
    p12_path = local_paths(settings)[0]
    folder = p12_path.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".siegel-", dir=folder.parent))
    try:
        _make_seal_files(staging, subject)
        try:
            os.rename(staging, folder)  # atomic; fails when another job was first
        except OSError:
            if not p12_path.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return p12_path


def _make_seal_files(folder: Path, name: x509.Name) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
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
    _write_private(folder / LOCAL_PASS, passphrase)
    _write_private(folder / LOCAL_P12, blob)
    (folder / LOCAL_PEM).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _retire_local_seal(settings: Settings, cert: x509.Certificate) -> None:
    """Move the local seal out of the way, keeping its certificate so what it sealed still verifies.

    The private key is deleted: nothing is sealed with it again. Two processes may race
    here; the loser finds the folder gone and simply uses (or makes) the new seal.
    """
    folder = local_paths(settings)[0].parent
    retired = settings.state_dir / RETIRED_DIR
    retired.mkdir(parents=True, exist_ok=True)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    (retired / f"{fingerprint}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    doomed = settings.state_dir / f".siegel-alt-{secrets.token_hex(8)}"
    try:
        os.rename(folder, doomed)
    except FileNotFoundError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def _passphrase(settings: Settings, p12: Path, local: bool) -> bytes | None:
    if local:
        try:
            return local_paths(settings)[1].read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"{local_paths(settings)[1]}: Passwortdatei des lokalen Siegels nicht lesbar "
                              f"({oserror_text(exc)}). Bitte den Ordner „siegel“ im state_dir entfernen; docgen legt "
                              "dann ein neues lokales Siegel an.") from exc
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode()
    if settings.seal_passphrase_file is not None:
        try:
            return settings.seal_passphrase_file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"{settings.seal_passphrase_file}: Passwortdatei des Siegels nicht lesbar "
                              f"({oserror_text(exc)}).") from exc
    return None


def _refuse_shared_folders(settings: Settings, p12: Path) -> None:
    for label, folder in (("Eingangsordner", settings.inbox), ("Ausgabeordner", settings.outbox)):
        for secret in (p12, settings.seal_passphrase_file):
            if secret is not None and secret.resolve().is_relative_to(folder.resolve()):
                raise ConfigError(f"{secret}: liegt im {label} {folder}. Schlüssel und Passwort des Siegels "
                                  "gehören nie in die geteilten Ordner; bitte an einen geschützten Ort legen.")


def _make_local(settings: Settings) -> None:
    p12 = local_paths(settings)[0]
    try:
        create_local_seal(settings)
    except OSError as exc:
        raise FileAccessError(f"{p12.parent}: lokales Siegel nicht anlegbar ({oserror_text(exc)}).") from exc


def load_seal(settings: Settings, body: Koerperschaft | None = None, *, create: bool = True) -> SealKey:
    """The configured seal, or the local self-signed one (made on first use when ``create``).

    ``body`` is ignored: the seal's subject comes from the settings only, never from an
    input's ``koerperschaft``. With ``create`` a local seal whose subject no longer matches
    ``settings.koerperschaft`` is retired and replaced; without it nothing is written.
    """
    del body
    local = settings.seal_cert is None
    p12 = settings.seal_cert if settings.seal_cert is not None else local_paths(settings)[0]
    # One load at a time in a process: a thread that needs the seal while another opens it (a render's
    # seal opened ahead, api.render_files) waits and takes the opened key from the cache.
    with _LOAD_LOCK:
        _refuse_shared_folders(settings, p12)
        if local and not p12.exists():
            if not create:
                raise ConfigError("Es ist noch kein Siegelzertifikat vorhanden.")
            _make_local(settings)
        key = _open_p12(settings, p12, local)
        if local and create and key.certificate.subject != seal_subject(settings):
            key = _replace_local_seal(settings, p12)
    return key


def _replace_local_seal(settings: Settings, p12: Path) -> SealKey:
    """Retire the wrongly named local seal and make a new one, one process at a time.

    Job processes may all notice at once; under the lock each looks again, so only the first
    replaces the seal and none ever retires the new one another process just made.
    """
    lock_path = settings.state_dir / ".siegel.lock"
    try:
        lock = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError as exc:
        raise FileAccessError(f"{lock_path}: Sperrdatei für das lokale Siegel nicht anlegbar "
                              f"({oserror_text(exc)}).") from exc
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = _open_p12(settings, p12, True) if p12.exists() else None
        if key is None or key.certificate.subject != seal_subject(settings):
            if key is not None:
                _retire_local_seal(settings, key.certificate)
            _make_local(settings)
            key = _open_p12(settings, p12, True)
        return key
    finally:
        os.close(lock)  # releases the lock


def _open_p12(settings: Settings, p12: Path, local: bool) -> SealKey:
    try:
        data = p12.read_bytes()
        stat = p12.stat()
    except OSError as exc:
        raise ConfigError(f"{p12}: Siegelzertifikat nicht lesbar ({oserror_text(exc)}). Einstellung seal_cert "
                          "prüfen.") from exc
    passphrase = _passphrase(settings, p12, local)
    cache_key = (str(p12.resolve()), stat.st_mtime_ns, stat.st_size, passphrase)
    with _CACHE_LOCK:
        if cache_key in _CACHE:
            return _CACHE[cache_key]
    try:
        pyca_key, pyca_cert, pyca_chain = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        hint = ("Das Passwort fehlt oder ist falsch: bitte in der Umgebungsvariable DOCGEN_SEAL_PASSPHRASE "
                "oder in der Datei seal_passphrase_file angeben." if not local else
                "Die lokale Siegeldatei ist beschädigt: bitte den Ordner „siegel“ im state_dir entfernen; "
                "docgen legt dann ein neues lokales Siegel an.")
        raise ConfigError(f"{p12}: das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen. {hint}") from exc
    if pyca_key is None or pyca_cert is None:
        raise ConfigError(f"{p12}: die PKCS#12-Datei enthält keinen privaten Schlüssel mit Zertifikat. Bitte "
                          "die vollständige Siegeldatei (Schlüssel und Zertifikat) einstellen.")
    try:
        signer = _signer(pyca_key, pyca_cert, pyca_chain)
    except ValueError as exc:
        raise ConfigError(f"{p12}: der Schlüssel des Siegelzertifikats wird nicht unterstützt ({exc}).") from exc
    key = SealKey(signer, p12, local)
    with _CACHE_LOCK:
        _CACHE[cache_key] = key
    return key


def _load_pem_file(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def installation_certificates(settings: Settings) -> list[x509.Certificate]:
    """The certificates this installation seals (or sealed) with: the configured seal or the
    local one, plus every retired local seal. Nothing is created or rotated here.

    The local seal's certificate is read from its public PEM copy when there is one, so no
    passphrase is needed; a configured PKCS#12 is opened with its passphrase.
    """
    certs: list[x509.Certificate] = []
    pem = local_paths(settings)[0].with_name(LOCAL_PEM)
    if settings.seal_cert is None and pem.is_file():
        certs.extend(_load_pem_file(pem))
    else:
        with contextlib.suppress(ConfigError):  # no seal yet, or not readable here: other anchors only
            certs.append(load_seal(settings, create=False).certificate)
    retired = settings.state_dir / RETIRED_DIR
    if retired.is_dir():
        for path in sorted(retired.glob("*.pem")):
            try:
                certs.extend(_load_pem_file(path))
            except (OSError, ValueError):
                continue
    return certs


def _name_text(name: x509.Name) -> str:
    labels = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
              NameOID.ORGANIZATION_NAME: "O", NameOID.COUNTRY_NAME: "C"}
    return ", ".join(f"{labels.get(a.oid, a.oid.dotted_string)}={a.value!s}" for a in name)


def certificate_summary(cert: x509.Certificate) -> dict[str, Any]:
    """Subject, issuer, SHA-256 fingerprint and validity of ``cert``, as text for people."""
    return {
        "subjekt": _name_text(cert.subject),
        "aussteller": _name_text(cert.issuer),
        "fingerabdruck_sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "gueltig_ab": cert.not_valid_before_utc.isoformat(timespec="seconds"),
        "gueltig_bis": cert.not_valid_after_utc.isoformat(timespec="seconds"),
        "selbst_ausgestellt": cert.subject == cert.issuer,
    }


def seal_summary(settings: Settings) -> dict[str, Any]:
    """What ``docgen check`` shows about the seal; reads only, never creates or rotates a seal.

    Keys: ``art`` ("konfiguriert" | "lokal"), ``vorhanden`` (bool), ``pfad``, ``qualifiziert``
    (False for the local seal, None = unknown for a configured one), ``hinweis`` (German),
    and when the certificate could be read ``subjekt``, ``aussteller``, ``fingerabdruck_sha256``,
    ``gueltig_ab``, ``gueltig_bis``, ``selbst_ausgestellt``. For the local seal also
    ``passt_zur_koerperschaft`` (False: the next sealing replaces it; None: no Körperschaft is set).
    Configuration errors (an unreadable PKCS#12, a wrong passphrase, a key in a shared folder) raise
    ConfigError.
    """
    local = settings.seal_cert is None
    p12 = settings.seal_cert if settings.seal_cert is not None else local_paths(settings)[0]
    summary: dict[str, Any] = {"art": "lokal" if local else "konfiguriert", "pfad": str(p12),
                               "qualifiziert": False if local else None}
    if local and not p12.exists():
        summary["vorhanden"] = False
        summary["subjekt_geplant"] = _name_text(seal_subject(settings))
        summary["hinweis"] = ("noch kein Siegel; beim ersten freigegebenen Paket legt docgen ein lokales, selbst "
                              "ausgestelltes Siegel an (KEIN qualifiziertes elektronisches Siegel)")
        return summary
    key = load_seal(settings, create=False)
    summary["vorhanden"] = True
    summary.update(certificate_summary(key.certificate))
    if local:
        try:
            matches: bool | None = key.certificate.subject == seal_subject(settings)
        except ConfigError:  # no Körperschaft set: nothing to compare with, and nothing can be sealed
            matches = None
        summary["passt_zur_koerperschaft"] = matches
        summary["hinweis"] = ("lokales, selbst ausgestelltes Siegel von docgen – KEIN qualifiziertes elektronisches "
                              "Siegel")
        if matches is None:
            summary["hinweis"] += ("; es ist keine Körperschaft eingestellt ([koerperschaft] name), ohne sie "
                                   "wird nichts gesiegelt")
        elif not matches:
            summary["hinweis"] += ("; sein Name passt nicht zur eingestellten Körperschaft, beim nächsten Siegeln "
                                   "wird es ersetzt")
    else:
        summary["hinweis"] = "Siegelzertifikat aus den Einstellungen (seal_cert)"
    if key.certificate.not_valid_after_utc < dt.datetime.now(dt.UTC):
        summary["hinweis"] += "; das Zertifikat ist ABGELAUFEN"
    return summary


def seal(pdf: Path, out: Path, key: SealKey, reason: str, location: str) -> Path:
    """Sign ``pdf`` into ``out`` (PAdES B-B, incremental update, invisible signature field)."""
    # pyHanko only when sealing: it costs 0.5 s to import
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location,
    )
    try:
        with pdf.open("rb") as inf, out.open("wb") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            signers.sign_pdf(writer, meta, signer=key.signer, output=outf, bytes_reserved=SIGNATURE_BYTES)
    except OSError as exc:
        raise FileAccessError(f"{out}: gesiegeltes PDF nicht schreibbar ({oserror_text(exc)}).") from exc
    except Exception as exc:  # pyHanko raises many types; all mean "could not seal"
        raise SealError(f"{pdf.name}: Siegeln fehlgeschlagen ({exc}).") from exc
    return out
