"""``docgen verify``: was this bundle sealed by this installation, and is it unchanged since?

GÜLTIG needs all of this, checked with pyHanko's own validation:

* every signature in the file is intact (its signed bytes are unchanged);
* at least one of them is trusted: made with this installation's seal (the configured
  ``seal_cert``, the local seal, or a retired local seal) or chaining up to a trust root
  configured in ``seal_trust_roots``;
* after the last trusted seal nothing was added that changes content: pyHanko's
  difference analysis of the later revisions allows at most validation data
  (document timestamps, DSS), or data appended after the sealed revision in which it
  finds no change at all (then ``verify`` says so, without calling it validation data);
  another signature, a form entry, an annotation or any other change makes the bundle
  UNGÜLTIG, even when a later signature covers it;
* the receipt, when there is one, is a JSON object whose hashes match the file and
  the seal. A missing receipt (how every recipient gets a bundle) is only a note; a
  malformed or contradicting one makes the verdict UNGÜLTIG. The receipt of a bundle
  ``x.pdf`` is ``x.receipt.json`` beside it (entry ``paket``); for the internal bundle
  ``x/x-intern.pdf`` it is ``x.receipt.json`` one folder up (entry ``paket_intern``).
  Receipts before issue 11 name ``erzeugnisse`` ``ausgaben``; both are read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from docgen.errors import ConfigError, FileAccessError, oserror_text, require_readable_file
from docgen.settings import Settings
from docgen.stages.seal import LOCAL_UNIT, installation_certificates

log = logging.getLogger(__name__)
HEX64 = re.compile(r"[0-9a-f]{64}")
# What a later revision may add after the trusted seal without changing content.
# (pyHanko's ModificationLevel by member name: pyHanko is imported only when a bundle is verified,
# since loading it costs 0.5 s that the other commands should not pay.)
HARMLESS_AFTER_SEAL = ("NONE", "LTA_UPDATES")
CHANGE_TEXT = {
    "FORM_FILLING": "eine weitere Signatur oder Formulareingaben",
    "ANNOTATIONS": "Kommentare oder Anmerkungen",
    "OTHER": "inhaltliche Änderungen",
}


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)  # what the user sees: reasons first, then facts and notes
    reasons: list[str] = field(default_factory=list)  # why the bundle is UNGÜLTIG (empty when ok)


@dataclass
class _SealFacts:
    """What the signature check found; ``fingerprint`` is the trusted seal's certificate."""

    reasons: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    fingerprint: str | None = None


def receipt_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.stem + ".receipt.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _as_asn1(cert: x509.Certificate) -> Any:
    """The certificate as pyHanko's validator wants it (asn1crypto)."""
    from pyhanko.keys.pemder import load_certs_from_pemder_data  # pyHanko only when verifying (0.5 s)

    return next(iter(load_certs_from_pemder_data(cert.public_bytes(serialization.Encoding.PEM))))


def _configured_roots(settings: Settings) -> list[x509.Certificate]:
    """Certificates from ``seal_trust_roots`` (a PEM/DER file or a folder of them), if that setting exists."""
    setting = getattr(settings, "seal_trust_roots", None)  # optional key, see the module docstring
    if not setting:
        return []
    paths: list[Path] = []
    for item in setting if isinstance(setting, list | tuple) else [setting]:
        path = Path(item)
        try:
            paths.extend(sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path])
        except OSError as exc:
            raise ConfigError(f"{path}: Ordner der vertrauenswürdigen Stellen (seal_trust_roots) nicht lesbar "
                              f"({oserror_text(exc)}).") from exc
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            data = path.read_bytes()
            certs.extend(x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                         else [x509.load_der_x509_certificate(data)])
        except OSError as exc:
            raise ConfigError(f"{path}: vertrauenswürdige Stelle (seal_trust_roots) nicht lesbar "
                              f"({oserror_text(exc)}).") from exc
        except ValueError as exc:
            raise ConfigError(f"{path}: kein Zertifikat (PEM oder DER) für seal_trust_roots.") from exc
    return certs


def trust_roots(settings: Settings) -> list[Any]:
    """The anchors ``verify`` trusts: this installation's seal certificates and the configured roots.

    A seal certificate is trusted by itself (pinned), not through its issuer, so another
    seal from the same certification authority is not taken for this installation's.
    """
    certs = installation_certificates(settings) + _configured_roots(settings)
    return [_as_asn1(cert) for cert in certs]


def find_receipt(bundle: Path) -> tuple[Path, str] | None:
    """The receipt that describes ``bundle`` and the entry of ``erzeugnisse`` that names it."""
    beside = receipt_path(bundle)
    if beside.exists():
        return beside, "paket"
    folder = bundle.parent
    above = folder.parent / f"{folder.name}.receipt.json"
    if bundle.stem.startswith(folder.name) and above.exists():
        return above, "paket_intern"
    return None


def _read_receipt(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The receipt as a dict, or the reason it is unusable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, f"Der Beleg {path.name} ist nicht lesbar ({oserror_text(exc)})."
    except UnicodeDecodeError:
        return None, f"Der Beleg {path.name} ist keine UTF-8-Textdatei und damit kein Beleg von docgen."
    except ValueError as exc:
        return None, f"Der Beleg {path.name} ist kein gültiges JSON ({exc})."
    if not isinstance(data, dict):
        return None, f"Der Beleg {path.name} ist kein JSON-Objekt und damit kein Beleg von docgen."
    return data, None


def _receipt_findings(bundle: Path, found: tuple[Path, str], receipt: dict[str, Any],
                      seal_fingerprint: str | None) -> tuple[list[str], list[str]]:
    """(reasons, lines) from comparing the file and its seal with the receipt."""
    name, entry = found[0].name, found[1]
    reasons: list[str] = []
    lines: list[str] = []
    outputs = receipt.get("erzeugnisse", receipt.get("ausgaben"))
    package = outputs.get(entry) if isinstance(outputs, dict) else None
    expected = package.get("sha256") if isinstance(package, dict) else None
    if not isinstance(expected, str) or not HEX64.fullmatch(expected):
        reasons.append(f"Der Beleg {name} ist fehlerhaft: erzeugnisse.{entry}.sha256 fehlt oder ist kein "
                       "SHA-256-Wert.")
    elif expected != sha256_file(bundle):
        reasons.append(f"Die Datei stimmt NICHT mit ihrem Beleg {name} überein.")
    else:
        lines.append(f"Die Datei stimmt mit ihrem Beleg {name} überein.")
    seal = receipt.get("siegel")
    if not isinstance(seal, dict):
        reasons.append(f"Der Beleg {name} vermerkt kein Siegel, die Datei trägt aber eines: der Beleg gehört nicht "
                       "zu dieser Datei.")
        return reasons, lines
    recorded = seal.get("zertifikat_sha256")
    if not isinstance(recorded, str) or not HEX64.fullmatch(recorded):
        reasons.append(f"Der Beleg {name} ist fehlerhaft: siegel.zertifikat_sha256 fehlt oder ist kein "
                       "SHA-256-Wert.")
    elif seal_fingerprint is not None and recorded != seal_fingerprint:
        reasons.append(f"Das Siegelzertifikat ist ein anderes als im Beleg {name} vermerkt.")
    return reasons, lines


# The attributes of a certificate's name (asn1crypto's names) in German, for "Gesiegelt von: …".
NAME_LABELS = {
    "common_name": "Name", "name": "Name", "surname": "Nachname", "given_name": "Vorname",
    "initials": "Initialen", "generation_qualifier": "Namenszusatz", "pseudonym": "Pseudonym",
    "title": "Titel", "serial_number": "Seriennummer", "organization_name": "Organisation",
    "organizational_unit_name": "Organisationseinheit", "organization_identifier": "Organisationskennung",
    "business_category": "Geschäftsbereich", "street_address": "Straße", "postal_code": "Postleitzahl",
    "locality_name": "Ort", "state_or_province_name": "Bundesland", "country_name": "Land",
    "email_address": "E-Mail", "telephone_number": "Telefon", "domain_component": "Domänenteil",
    "user_id": "Benutzerkennung", "dn_qualifier": "DN-Kennzeichen", "unique_identifier": "Kennung",
}


def name_text(name: Any) -> str:
    """A certificate name (asn1crypto) with German attribute names, most specific first:
    ``Name: Stadt Musterstadt, Organisationseinheit: …, Organisation: …, Land: DE``."""
    parts: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for attribute in rdn:
            kind = attribute["type"]
            label = NAME_LABELS.get(kind.native, f"Attribut {kind.dotted}")
            value = attribute["value"].native
            parts.append((label, value if isinstance(value, str) else str(value)))
    if parts and parts[-1][0] != "Land":  # stored country first (the usual order): show the name first
        parts.reverse()
    separator = "; " if any("," in value for _, value in parts) else ", "
    return separator.join(f"{label}: {value}" for label, value in parts) or "ohne Namen"


def _subject(status: Any) -> str:
    cert = status.signing_cert
    return name_text(cert.subject) if cert is not None else "unbekannt"


def _is_local_seal(status: Any) -> bool:
    cert = status.signing_cert
    text = str(cert.subject.human_friendly)
    return bool(cert.self_signed) and (LOCAL_UNIT in text or "lokales Siegel" in text)


def _validate_all(signatures: list[Any], roots: list[Any], facts: _SealFacts) -> list[tuple[int, Any, Any]]:
    """Validate every signature (and document timestamp); broken ones become reasons."""
    # pyHanko only when verifying: it costs 0.5 s to import
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    results = []
    for number, sig in enumerate(signatures, start=1):
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                status: Any = validate_pdf_timestamp(sig, validation_context=context)
            else:
                status = validate_pdf_signature(sig, signer_validation_context=context)
        except Exception as exc:  # a hostile or broken signature can fail in many ways inside pyHanko
            facts.reasons.append(f"Signatur {number} ist beschädigt und nicht prüfbar ({type(exc).__name__}).")
            continue
        if not (status.intact and status.valid):
            facts.reasons.append(f"Signatur {number} ({_subject(status)}) ist UNGÜLTIG: der gesiegelte Inhalt wurde "
                                 "verändert.")
            continue
        results.append((number, sig, status))
    return results


def _seal_facts(bundle: Path, roots: list[Any]) -> _SealFacts:
    from pyhanko.pdf_utils.reader import PdfFileReader  # pyHanko only when verifying (0.5 s)

    facts = _SealFacts()
    pinned = {cert.sha256 for cert in roots}
    with bundle.open("rb") as fh:
        try:
            signatures = list(PdfFileReader(fh, strict=False).embedded_signatures)
        except Exception as exc:  # a broken file can fail in many ways inside pyHanko
            log.debug("PDF nicht lesbar: %r", exc)
            facts.reasons.append("Die Datei lässt sich nicht als PDF lesen (beschädigt, abgeschnitten oder kein PDF).")
            return facts
        if not signatures:
            facts.reasons.append("Das Dokument trägt kein Siegel (Entwurf oder nachträglich verändert).")
            return facts
        checked = _validate_all(signatures, roots, facts)
    seals = [(n, s) for n, sig, s in checked if sig.sig_object_type == "/Sig"]
    trusted = [(n, s) for n, s in seals if s.trusted]
    for number, status in seals:
        if not status.trusted:
            facts.reasons.append(
                f"Signatur {number} stammt nicht von dieser Installation und nicht von einer hier hinterlegten "
                f"vertrauenswürdigen Stelle: {_subject(status)} (Fingerabdruck SHA-256 "
                f"{status.signing_cert.sha256.hex()}).")
    if not trusted:
        if not facts.reasons:
            facts.reasons.append("Das Dokument trägt kein gültiges Siegel dieser Installation.")
        return facts
    number, status = trusted[-1]
    facts.fingerprint = status.signing_cert.sha256.hex()
    facts.lines.append("Siegel unversehrt: der gesiegelte Inhalt wurde nicht verändert.")
    level = status.modification_level
    if status.coverage.name == "ENTIRE_FILE":
        facts.lines.append("Das Siegel umfasst die gesamte Datei.")
    elif level is not None and level.name == "LTA_UPDATES":
        facts.lines.append("Das Siegel umfasst die Datei bis auf später angefügte Prüfdaten (Zeitstempel, "
                           "Sperrinformationen); der Inhalt ist unverändert.")
    elif level is not None and level.name in HARMLESS_AFTER_SEAL:  # NONE: bytes after the sealed revision
        facts.lines.append("Das Siegel umfasst nicht die gesamte Datei: nach dem Siegeln wurden Daten angehängt, "
                           "die keinen gesiegelten Inhalt verändern; der Inhalt ist unverändert.")
    else:
        added = CHANGE_TEXT.get(level.name, "Änderungen, die sich nicht prüfen lassen") if level else \
            "Änderungen, die sich nicht prüfen lassen"
        facts.reasons.append(f"Das Siegel umfasst NICHT die gesamte Datei: nach dem Siegeln wurden {added} "
                             "angefügt.")
    facts.lines.append(f"Gesiegelt von: {_subject(status)}")
    if status.signing_cert.sha256 in pinned:
        facts.lines.append("Zertifikat: Siegel dieser Installation.")
    else:
        facts.lines.append("Zertifikat: ausgestellt von einer hier hinterlegten vertrauenswürdigen Stelle "
                           f"({name_text(status.signing_cert.issuer)}).")
    if _is_local_seal(status):
        facts.lines.append("Hinweis: lokales Siegel von docgen, kein qualifiziertes elektronisches Siegel.")
    return facts


def verify_bundle(bundle: Path, roots: list[Any] | None = None) -> Verdict:
    """Check ``bundle`` against ``roots`` (see :func:`trust_roots`) and its receipt, if it has one."""
    require_readable_file(bundle, "Datei", "ein Dokumentenpaket (PDF)")
    try:
        facts = _seal_facts(bundle, roots or [])
        reasons, lines = list(facts.reasons), list(facts.lines)
        found = find_receipt(bundle)
        if found is None:
            lines.append(f"Hinweis: kein Beleg ({receipt_path(bundle).name}) neben der Datei; geprüft wurde das "
                         "Siegel allein.")
        else:
            receipt, problem = _read_receipt(found[0])
            if receipt is None:
                reasons.append(problem or f"Der Beleg {found[0].name} ist unbrauchbar.")
            else:
                more_reasons, more_lines = _receipt_findings(bundle, found, receipt, facts.fingerprint)
                reasons += more_reasons
                lines += more_lines
    except OSError as exc:
        raise FileAccessError(f"{bundle}: Datei nicht lesbar ({oserror_text(exc)}).") from exc
    return Verdict(not reasons, reasons + lines, reasons)
